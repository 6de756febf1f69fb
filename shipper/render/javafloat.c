/*
 * javafloat.c
 *		Java's Double.toString and Float.toString (JDK 19 and later), which
 *		is how Jackson prints the float and double fields of a Connect struct.
 *
 * The digits are the shortest decimal that reads back as the same value
 * (when there are several, the one closest to it); when that is a single
 * digit, the closest two-digit decimal is used instead (so 4.9E-324, not
 * 5E-324).  Values from 10^-3 up to (not including) 10^7 print as plain
 * decimals with at least one digit after the point; others as d.dddE[-]n.
 *
 * The shortest digits are found with the C library, which rounds exactly:
 * printf's %.*e gives the closest decimal of a given length and strtod
 * checks that it reads back.  The length is binary-searched, since a length
 * that reads back stays good when lengthened.  At a power of two the
 * rounding interval is lopsided, so when the closest decimal misses, its
 * neighbour on the other side of the value is tried too.
 */
#include "render/json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Digits
{
	char		d[24];			/* significant digits, no point */
	int			n;				/* how many */
	int			exp;			/* value = d[0].d[1..] x 10^exp */
} Digits;

/* The closest n-digit decimal to v (v finite and positive). */
static void
closest(double v, int n, Digits *out)
{
	char		tmp[48];
	char	   *p,
			   *e;
	int			k = 0;

	snprintf(tmp, sizeof(tmp), "%.*e", n - 1, v);
	for (p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			out->d[k++] = *p;
	out->n = k;
	e = strchr(tmp, 'e');
	out->exp = e ? atoi(e + 1) : 0;
}

/* The decimal's value as text strtod can read. */
static double
digits_value(const Digits *x, bool is_float)
{
	char		tmp[48];
	int			k = 0,
				i;

	tmp[k++] = x->d[0];
	tmp[k++] = '.';
	for (i = 1; i < x->n; i++)
		tmp[k++] = x->d[i];
	snprintf(tmp + k, sizeof(tmp) - k, "e%d", x->exp);
	return is_float ? (double) strtof(tmp, NULL) : strtod(tmp, NULL);
}

/* Move the decimal one unit in its last place up (dir 1) or down (-1). */
static void
step(Digits *x, int dir)
{
	int			i;

	if (dir > 0)
	{
		for (i = x->n - 1; i >= 0 && x->d[i] == '9'; i--)
			x->d[i] = '0';
		if (i >= 0)
			x->d[i]++;
		else
		{
			x->d[0] = '1';		/* 99..9 -> 100..0: same length, exponent up */
			x->exp++;
		}
	}
	else
	{
		for (i = x->n - 1; i >= 0 && x->d[i] == '0'; i--)
			x->d[i] = '9';
		if (i >= 0)
			x->d[i]--;
		if (x->d[0] == '0')
		{
			/* 100..0 -> 099..9: shift left, one more 9 at the end */
			memmove(x->d, x->d + 1, x->n - 1);
			x->d[x->n - 1] = '9';
			x->exp--;
		}
	}
}

/* Is there an n-digit decimal that reads back as v?  Leaves it in out. */
static bool
fits(double v, int n, bool is_float, Digits *out)
{
	double		back;

	closest(v, n, out);
	back = digits_value(out, is_float);
	if (back == v)
		return true;
	step(out, back < v ? 1 : -1);
	return digits_value(out, is_float) == v;
}

/* The shortest digits by binary search over the length (floats, subnormals). */
static void
search(double v, bool is_float, Digits *best)
{
	Digits		x;
	int			lo = 1,
				hi = is_float ? 9 : 17;

	/* the longest length always fits: search down from it */
	if (!fits(v, hi, is_float, best))
		closest(v, hi, best);	/* cannot happen with an exact printf */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (fits(v, mid, is_float, &x))
		{
			hi = mid;
			*best = x;
		}
		else
			lo = mid + 1;
	}
	if (hi == 1 && fits(v, 2, is_float, &x))
		*best = x;
}

/*
 * Round the 17 correctly rounded digits of d17 to n digits.  False when the
 * dropped digits are exactly a half (the value itself may be either side).
 */
static bool
round_digits(const Digits *d17, int n, Digits *out)
{
	int			i;
	bool		half = d17->d[n] == '5';

	for (i = n + 1; i < d17->n && half; i++)
		if (d17->d[i] != '0')
			half = false;
	if (half)
		return false;
	memcpy(out->d, d17->d, (size_t) n);
	out->n = n;
	out->exp = d17->exp;
	if (d17->d[n] >= '5')
		step(out, 1);
	return true;
}

/* Does the decimal read back as v?  Clinger's exact fast path, else strtod. */
static bool
reads_back(const Digits *x, double v)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	int			e10 = x->exp - (x->n - 1);

	if (x->n <= 15 && e10 >= -22 && e10 <= 22)
	{
		uint64_t	m = 0;
		int			i;

		for (i = 0; i < x->n; i++)
			m = m * 10 + (uint64_t) (x->d[i] - '0');
		/* one IEEE operation on exact operands: correctly rounded */
		return (e10 >= 0 ? (double) m * p10[e10] : (double) m / p10[-e10]) == v;
	}
	return digits_value(x, false) == v;
}

/* Try the n-digit rounding of d17 (and its neighbour toward v). */
static bool
try_length(double v, const Digits *d17, int n, Digits *out)
{
	double		back;

	if (!round_digits(d17, n, out))
		closest(v, n, out);
	if (reads_back(out, v))
		return true;
	back = digits_value(out, false);
	step(out, back < v ? 1 : -1);
	return reads_back(out, v);
}

/*
 * Shortest digits of a normal double.  If any decimal of 15 or fewer digits
 * reads back as v, it is the 15-digit rounding of v with its trailing zeros
 * dropped (two such decimals would be 10^-14 apart relatively, more than
 * v's rounding interval): so 15, then 16, then 17 digits are enough.
 */
static void
shortest_double(double v, Digits *best)
{
	Digits		d17;

	closest(v, 17, &d17);
	if (try_length(v, &d17, 15, best) || try_length(v, &d17, 16, best))
		return;
	*best = d17;
}

/* Java's text for a finite nonzero positive v, after an optional sign. */
static size_t
format(double v, bool is_float, char *out)
{
	Digits		best;
	int			i,
				k = 0;

	if (is_float || v < 2.2250738585072014E-308)
		search(v, is_float, &best);
	else
		shortest_double(v, &best);
	/* drop trailing zeros, keeping one digit */
	while (best.n > 1 && best.d[best.n - 1] == '0')
		best.n--;

	if (best.exp >= 0 && best.exp < 7)
	{
		for (i = 0; i <= best.exp; i++)
			out[k++] = i < best.n ? best.d[i] : '0';
		out[k++] = '.';
		if (best.n > best.exp + 1)
			for (i = best.exp + 1; i < best.n; i++)
				out[k++] = best.d[i];
		else
			out[k++] = '0';
	}
	else if (best.exp < 0 && best.exp >= -3)
	{
		out[k++] = '0';
		out[k++] = '.';
		for (i = 0; i < -best.exp - 1; i++)
			out[k++] = '0';
		for (i = 0; i < best.n; i++)
			out[k++] = best.d[i];
	}
	else
	{
		out[k++] = best.d[0];
		out[k++] = '.';
		if (best.n > 1)
			for (i = 1; i < best.n; i++)
				out[k++] = best.d[i];
		else
			out[k++] = '0';
		k += snprintf(out + k, 8, "E%d", best.exp);
	}
	out[k] = '\0';
	return (size_t) k;
}

/* Common part: specials, zero and sign. */
static size_t
java_str(double v, bool is_float, char *out)
{
	size_t		k = 0;

	if (isnan(v))
	{
		strcpy(out, "NaN");
		return 3;
	}
	if (signbit(v))
	{
		out[k++] = '-';
		v = -v;
	}
	if (isinf(v))
	{
		strcpy(out + k, "Infinity");
		return k + 8;
	}
	if (v == 0)
	{
		strcpy(out + k, "0.0");
		return k + 3;
	}
	return k + format(v, is_float, out + k);
}

/* Double.toString(v) into out (at least 32 bytes); returns its length. */
size_t
java_double_str(double v, char *out)
{
	return java_str(v, false, out);
}

/* Float.toString(v) into out (at least 32 bytes); returns its length. */
size_t
java_float_str(float v, char *out)
{
	return java_str((double) v, true, out);
}
