/*
 * render_values.c
 *		Column values written as Debezium writes them, from PostgreSQL text.
 *
 * Most values arrive in binary form and are written by render.c; this file
 * handles everything that arrives (or is configured) as PostgreSQL's text:
 * the types the decoder sends through their output function (interval,
 * timetz, money, bit strings, hstore, arrays), column defaults, array
 * elements, and the constant TOAST placeholders and NOT NULL fallbacks.  It
 * also holds the date, time and decimal helpers both sides use.
 *
 * The text forms assumed are those of the shipper's replication session:
 * DateStyle=ISO, IntervalStyle=postgres, extra_float_digits=3,
 * bytea_output=hex.
 */
#include "render_types.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record.h"

#define US_PER_DAY		INT64_C(86400000000)

/* pgjdbc's PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY */
#define PGJDBC_PINF		INT64_C(9223372036825200000)
#define PGJDBC_NINF		INT64_C(-9223372036832400000)

/* ---------- dates and times ---------- */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of a day number (days since 1970-01-01). */
void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* floor(a / b) for b > 0 */
static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* n as exactly w digits (n >= 0) */
static char *
put_digits(char *o, int64_t n, int w)
{
	int			i;

	for (i = w - 1; i >= 0; i--)
	{
		o[i] = (char) ('0' + n % 10);
		n /= 10;
	}
	return o + w;
}

/*
 * ZonedTimestamp: UTC, 'Z', exactly frac fraction digits; years past 9999
 * with a '+', before year 0 with a '-', as java.time prints them.
 */
void
write_zoned_ts(Buf *b, int64_t unix_us, int frac)
{
	int64_t		days = floordiv(unix_us, US_PER_DAY);
	int64_t		tod = unix_us - days * US_PER_DAY;
	int64_t		y;
	int			m,
				d;
	char		tmp[64];
	char	   *o = tmp;
	int64_t		secs = tod / 1000000;
	int64_t		us = tod % 1000000;

	civil_from_days(days, &y, &m, &d);
	*o++ = '"';
	if (y > 9999)
		o += sprintf(o, "+%lld", (long long) y);
	else if (y < 0)
	{
		*o++ = '-';
		if (-y > 9999)
			o += sprintf(o, "%lld", (long long) -y);
		else
			o = put_digits(o, -y, 4);
	}
	else
		o = put_digits(o, y, 4);
	*o++ = '-';
	o = put_digits(o, m, 2);
	*o++ = '-';
	o = put_digits(o, d, 2);
	*o++ = 'T';
	o = put_digits(o, secs / 3600, 2);
	*o++ = ':';
	o = put_digits(o, secs / 60 % 60, 2);
	*o++ = ':';
	o = put_digits(o, secs % 60, 2);
	if (frac > 0)
	{
		char		f[6];

		put_digits(f, us, 6);
		*o++ = '.';
		memcpy(o, f, (size_t) frac);
		o += frac;
	}
	*o++ = 'Z';
	*o++ = '"';
	buf_put(b, tmp, (size_t) (o - tmp));
}

/* ZonedTime: HH:MM:SS, then only the fraction digits needed, then Z. */
static void
write_zoned_time(Buf *b, int64_t us_of_day)
{
	char		tmp[32];
	char	   *o = tmp;
	int64_t		secs = us_of_day / 1000000;
	int64_t		us = us_of_day % 1000000;

	*o++ = '"';
	o = put_digits(o, secs / 3600, 2);
	*o++ = ':';
	o = put_digits(o, secs / 60 % 60, 2);
	*o++ = ':';
	o = put_digits(o, secs % 60, 2);
	if (us != 0)
	{
		char		f[6];
		int			n = 6;

		put_digits(f, us, 6);
		while (f[n - 1] == '0')
			n--;
		*o++ = '.';
		memcpy(o, f, (size_t) n);
		o += n;
	}
	*o++ = 'Z';
	*o++ = '"';
	buf_put(b, tmp, (size_t) (o - tmp));
}

/* a cursor over text */
typedef struct Cur
{
	const char *p;
	const char *end;
} Cur;

/* Read an unsigned decimal of at most maxd digits; false if none. */
static bool
cur_uint(Cur *c, int64_t *v, int maxd)
{
	int			n = 0;

	*v = 0;
	while (c->p < c->end && isdigit((unsigned char) *c->p) && n < maxd)
	{
		*v = *v * 10 + (*c->p++ - '0');
		n++;
	}
	return n > 0;
}

/* Consume ch if it is next. */
static bool
cur_char(Cur *c, char ch)
{
	if (c->p < c->end && *c->p == ch)
	{
		c->p++;
		return true;
	}
	return false;
}

/* Consume the word w if it is next. */
static bool
cur_word(Cur *c, const char *w)
{
	size_t		n = strlen(w);

	if ((size_t) (c->end - c->p) >= n && strncmp(c->p, w, n) == 0)
	{
		c->p += n;
		return true;
	}
	return false;
}

/* Fraction digits after a '.', as microseconds (more than 6 truncated). */
static int64_t
cur_fraction(Cur *c)
{
	int64_t		us = 0;
	int			n = 0;

	if (!cur_char(c, '.'))
		return 0;
	while (c->p < c->end && isdigit((unsigned char) *c->p))
	{
		if (n < 6)
			us = us * 10 + (*c->p - '0');
		n++;
		c->p++;
	}
	for (; n < 6; n++)
		us *= 10;
	return us;
}

/* HH:MM[:SS[.ffffff]] as microseconds */
static bool
cur_time(Cur *c, int64_t *us)
{
	int64_t		h,
				mi,
				s = 0;

	if (!cur_uint(c, &h, 9) || !cur_char(c, ':') || !cur_uint(c, &mi, 2))
		return false;
	if (cur_char(c, ':') && !cur_uint(c, &s, 2))
		return false;
	*us = ((h * 60 + mi) * 60 + s) * 1000000 + cur_fraction(c);
	return true;
}

/* [+-]HH[:MM[:SS]] as seconds east of UTC */
static bool
cur_offset(Cur *c, int64_t *secs)
{
	int			sign;
	int64_t		h,
				m = 0,
				s = 0;

	if (cur_char(c, '+'))
		sign = 1;
	else if (cur_char(c, '-'))
		sign = -1;
	else
		return false;
	if (!cur_uint(c, &h, 2))
		return false;
	if (cur_char(c, ':'))
	{
		if (!cur_uint(c, &m, 2))
			return false;
		if (cur_char(c, ':') && !cur_uint(c, &s, 2))
			return false;
	}
	*secs = sign * (h * 3600 + m * 60 + s);
	return true;
}

/* YYYY-MM-DD as days since 1970 (" BC" looked for by the caller) */
static bool
cur_date(Cur *c, int64_t *days, int64_t *year, int *mon, int *day)
{
	int64_t		y,
				m,
				d;

	/* beyond year 290000 microseconds since 1970 no longer fit in 64 bits */
	if (!cur_uint(c, &y, 6) || y > 290000 || !cur_char(c, '-') || !cur_uint(c, &m, 2) ||
		!cur_char(c, '-') || !cur_uint(c, &d, 2) || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	*year = y;
	*mon = (int) m;
	*day = (int) d;
	*days = days_from_civil(y, (int) m, (int) d);
	return true;
}

/* " BC" at the end: recompute for year 1 - y */
static void
cur_bc(Cur *c, int64_t *days, int64_t year, int mon, int day)
{
	if (cur_word(c, " BC"))
		*days = days_from_civil(1 - year, mon, day);
}

/* A date's text: days since 1970, infinities as INT32 limits. */
static bool
parse_date(const char *s, size_t len, int64_t *days)
{
	Cur			c = {s, s + len};
	int64_t		y;
	int			m,
				d;

	if (len == 8 && memcmp(s, "infinity", 8) == 0)
		*days = INT32_MAX;
	else if (len == 9 && memcmp(s, "-infinity", 9) == 0)
		*days = INT32_MIN;
	else
	{
		if (!cur_date(&c, days, &y, &m, &d))
			return false;
		cur_bc(&c, days, y, m, d);
		return c.p == c.end;
	}
	return true;
}

/*
 * A timestamp's text (with an offset when tz) as Unix microseconds.  A
 * bare date is midnight.  *inf is set to +1 or -1 for infinities.
 */
static bool
parse_timestamp(const char *s, size_t len, bool tz, int64_t *us, int *inf)
{
	Cur			c = {s, s + len};
	int64_t		days,
				y,
				tod = 0,
				off = 0;
	int			m,
				d;

	*inf = 0;
	if (len == 8 && memcmp(s, "infinity", 8) == 0)
	{
		*inf = 1;
		return true;
	}
	if (len == 9 && memcmp(s, "-infinity", 9) == 0)
	{
		*inf = -1;
		return true;
	}
	if (!cur_date(&c, &days, &y, &m, &d))
		return false;
	if (cur_char(&c, ' ') || cur_char(&c, 'T'))
	{
		if (!cur_time(&c, &tod))
			return false;
		if (tz && c.p < c.end && (*c.p == '+' || *c.p == '-') && !cur_offset(&c, &off))
			return false;
		if (cur_char(&c, 'Z'))
			off = 0;
	}
	cur_bc(&c, &days, y, m, d);
	if (c.p != c.end)
		return false;
	*us = days * US_PER_DAY + tod - off * 1000000;
	return true;
}

/* ---------- decimals ---------- */

/*
 * Decimal digits of a numeric's absolute value at its display scale:
 * integer digits then dscale fraction digits (leading zeros possible).
 */
void
numeric_digits(const CdcNumeric *n, Buf *d)
{
	int64_t		i;
	uint32_t	written = 0;
	char		g[4];

	buf_reset(d);
	buf_reserve(d, (size_t) (n->weight > 0 ? n->weight + 1 : 1) * 4 + n->dscale + 4);
	for (i = 0; i <= n->weight; i++)
	{
		unsigned	v = i < n->ndigits ? cdc_numeric_digit(n, (uint32_t) i) : 0;

		g[0] = (char) ('0' + v / 1000);
		g[1] = (char) ('0' + v / 100 % 10);
		g[2] = (char) ('0' + v / 10 % 10);
		g[3] = (char) ('0' + v % 10);
		buf_put(d, g, 4);
	}
	if (n->weight < 0)
		buf_putc(d, '0');
	for (i = (int64_t) n->weight + 1; written < n->dscale; i++)
	{
		unsigned	v = (i >= 0 && i < n->ndigits) ? cdc_numeric_digit(n, (uint32_t) i) : 0;
		uint32_t	k = n->dscale - written < 4 ? n->dscale - written : 4;

		g[0] = (char) ('0' + v / 1000);
		g[1] = (char) ('0' + v / 100 % 10);
		g[2] = (char) ('0' + v / 10 % 10);
		g[3] = (char) ('0' + v % 10);
		buf_put(d, g, k);
		written += k;
	}
}

/*
 * Parse decimal text ("-12.50", "NaN", "Infinity") into digits (sign
 * dropped) and scale.  *special: 0 a number, else a CDC_NUM_* kind.
 */
static bool
parse_decimal(const char *s, size_t len, bool *neg, Buf *d, int *scale, int *special)
{
	const char *p = s,
			   *end = s + len;
	int			nd = 0;

	*neg = false;
	*scale = 0;
	*special = 0;
	buf_reset(d);
	if (len == 3 && memcmp(s, "NaN", 3) == 0)
	{
		*special = CDC_NUM_NAN;
		return true;
	}
	if (len == 8 && memcmp(s, "Infinity", 8) == 0)
	{
		*special = CDC_NUM_PINF;
		return true;
	}
	if (len == 9 && memcmp(s, "-Infinity", 9) == 0)
	{
		*special = CDC_NUM_NINF;
		return true;
	}
	if (p < end && (*p == '-' || *p == '+'))
		*neg = *p++ == '-';
	for (; p < end && isdigit((unsigned char) *p); p++, nd++)
		buf_putc(d, *p);
	if (p < end && *p == '.')
		for (p++; p < end && isdigit((unsigned char) *p); p++, nd++)
		{
			buf_putc(d, *p);
			(*scale)++;
		}
	return nd > 0 && p == end;
}

/* Java's BigInteger.toByteArray of ±digits (ASCII decimal), into out. */
static void
twos_complement(bool neg, const char *digits, size_t nd, Buf *out)
{
	uint8_t    *bytes;
	size_t		n,
				i;

	while (nd > 1 && *digits == '0')
		digits++, nd--;
	buf_reset(out);
	if (nd <= 18)
	{
		int64_t		v = 0;
		int			len = 1;

		for (i = 0; i < nd; i++)
			v = v * 10 + (digits[i] - '0');
		if (neg)
			v = -v;
		while (len < 8 && (v < -(INT64_C(1) << (8 * len - 1)) || v >= (INT64_C(1) << (8 * len - 1))))
			len++;
		buf_reserve(out, (size_t) len);
		for (i = 0; i < (size_t) len; i++)
			out->data[i] = (char) (uint8_t) ((uint64_t) v >> (8 * (len - 1 - i)));
		out->len = (size_t) len;
		return;
	}
	else
	{
		/* magnitude in 32-bit limbs, least significant first */
		size_t		nl = nd / 9 + 2;
		uint32_t   *limb = calloc(nl, sizeof(uint32_t));
		size_t		used = 1;
		size_t		pos = 0;

		if (limb == NULL)
			abort();
		while (pos < nd)
		{
			size_t		k = nd - pos < 9 ? nd - pos : 9;
			uint64_t	mul = 1,
						add = 0,
						carry;

			for (i = 0; i < k; i++)
			{
				mul *= 10;
				add = add * 10 + (uint64_t) (digits[pos + i] - '0');
			}
			pos += k;
			carry = add;
			for (i = 0; i < used; i++)
			{
				uint64_t	t = (uint64_t) limb[i] * mul + carry;

				limb[i] = (uint32_t) t;
				carry = t >> 32;
			}
			if (carry)
				limb[used++] = (uint32_t) carry;
		}
		/* big-endian magnitude bytes, one spare in front for the sign */
		n = used * 4 + 1;
		buf_reserve(out, n);
		bytes = (uint8_t *) out->data;
		bytes[0] = 0;
		for (i = 0; i < used; i++)
		{
			uint32_t	l = limb[used - 1 - i];

			bytes[1 + 4 * i] = (uint8_t) (l >> 24);
			bytes[2 + 4 * i] = (uint8_t) (l >> 16);
			bytes[3 + 4 * i] = (uint8_t) (l >> 8);
			bytes[4 + 4 * i] = (uint8_t) l;
		}
		free(limb);
		if (neg)
		{
			int			carry = 1;

			for (i = n; i-- > 0;)
			{
				int			v = (uint8_t) ~bytes[i] + carry;

				bytes[i] = (uint8_t) v;
				carry = v >> 8;
			}
		}
		/* strip redundant sign bytes */
		i = 0;
		while (i + 1 < n && ((bytes[i] == 0 && !(bytes[i + 1] & 0x80)) ||
							 (bytes[i] == 0xFF && (bytes[i + 1] & 0x80))))
			i++;
		memmove(bytes, bytes + i, n - i);
		out->len = n - i;
	}
}

/* The plain string of ±digits at scale, as BigDecimal.toPlainString. */
static void
write_plain(Buf *b, bool neg, const char *digits, size_t nd, int scale)
{
	while (nd > 1 && *digits == '0' && (int) nd > scale + 1)
		digits++, nd--;
	buf_putc(b, '"');
	if (neg)
		buf_putc(b, '-');
	if (scale <= 0)
	{
		buf_put(b, digits, nd);
		for (; scale < 0; scale++)
			buf_putc(b, '0');
	}
	else
	{
		size_t		intd = nd > (size_t) scale ? nd - (size_t) scale : 0;

		if (intd == 0)
			buf_putc(b, '0');
		else
			buf_put(b, digits, intd);
		buf_putc(b, '.');
		for (size_t z = nd; z < (size_t) scale; z++)
			buf_putc(b, '0');
		buf_put(b, digits + intd, nd - intd);
	}
	buf_putc(b, '"');
}

/*
 * Write a decimal (±digits with scale fraction digits, or a special value)
 * as the column's kind wants: Decimal bytes at the column's scale,
 * VariableScaleDecimal, a string, or a double.
 */
bool
write_decimal(Buf *b, const TypeSpec *t, DecimalMode mode, bool neg, const char *digits,
			  size_t nd, int scale, int special, Buf *tmp, char *err, size_t errlen)
{
	Kind		k = t->kind;

	if (k == K_MONEY)
		k = mode == DECIMAL_PRECISE ? K_DECIMAL : mode == DECIMAL_STRING ? K_NUM_STRING : K_NUM_DOUBLE;
	if (special != 0)
	{
		switch (k)
		{
			case K_NUM_STRING:
				buf_puts(b, special == CDC_NUM_NAN ? "\"NAN\"" : special == CDC_NUM_PINF
						 ? "\"POSITIVE_INFINITY\"" : "\"NEGATIVE_INFINITY\"");
				return true;
			case K_NUM_DOUBLE:
				json_double(b, special == CDC_NUM_NAN ? NAN : special == CDC_NUM_PINF ? INFINITY : -INFINITY);
				return true;
			default:
				/*
				 * Debezium fails the connector here too: Connect's Decimal
				 * has no NaN or infinity.  Refusing the record loses
				 * nothing; the slot stays where it is until the setting
				 * is changed.
				 */
				snprintf(err, errlen, "numeric %s cannot be written with decimal.handling.mode=precise; "
						 "set decimal.handling.mode=string (or double)",
						 special == CDC_NUM_NAN ? "NaN" : special == CDC_NUM_PINF ? "Infinity" : "-Infinity");
				return false;
		}
	}
	switch (k)
	{
		case K_DECIMAL:
			{
				/* setScale to the column's scale: pad, or drop digits that PG made zero */
				Buf			d = {0};

				buf_put(&d, digits, nd);
				if (d.data == NULL)
					buf_putc(&d, '0');
				while (scale < t->scale)
				{
					buf_putc(&d, '0');
					scale++;
				}
				if (scale > t->scale)
				{
					size_t		drop = (size_t) (scale - t->scale);

					d.len = d.len > drop ? d.len - drop : 0;
					if (d.len == 0)
						buf_putc(&d, '0');
				}
				twos_complement(neg, d.data, d.len, tmp);
				buf_free(&d);
				json_base64(b, (const uint8_t *) tmp->data, tmp->len, false);
				return true;
			}
		case K_VARDECIMAL:
			{
				size_t		n = nd;

				while (scale > 0 && n > 0 && digits[n - 1] == '0')
				{
					n--;
					scale--;
				}
				twos_complement(neg, n ? digits : "0", n ? n : 1, tmp);
				JLIT(b, "{\"scale\":");
				json_i64(b, scale);
				JLIT(b, ",\"value\":");
				json_base64(b, (const uint8_t *) tmp->data, tmp->len, false);
				buf_putc(b, '}');
				return true;
			}
		case K_NUM_STRING:
			write_plain(b, neg, digits, nd, scale);
			return true;
		default:
			{
				/* double: the decimal text read as a Java double */
				Buf			txt = {0};
				double		v;

				write_plain(&txt, neg, digits, nd, scale);
				txt.data[txt.len - 1] = '\0';
				v = strtod(txt.data + 1, NULL);
				buf_free(&txt);
				json_double(b, v);
				return true;
			}
	}
}

/* ---------- other text forms ---------- */

/*
 * MicroDuration from interval text (IntervalStyle postgres):
 * "1 year 2 mons -3 days 04:05:06.78".  Computed as Debezium does, in
 * doubles, with 30.4375 days a month; pgjdbc gives the time part's sign
 * to each of hours, minutes and seconds.
 */
static bool
parse_interval(const char *s, size_t len, int64_t *out)
{
	Cur			c = {s, s + len};
	int64_t		years = 0,
				months = 0,
				days = 0,
				hours = 0,
				minutes = 0;
	double		seconds = 0;
	double		ndays,
				nsecs,
				us;

	while (c.p < c.end)
	{
		int			sign = 1;
		const char *save;
		int64_t		v;

		while (cur_char(&c, ' '))
			;
		if (c.p >= c.end)
			break;
		if (cur_char(&c, '-'))
			sign = -1;
		else
			cur_char(&c, '+');
		save = c.p;
		if (!cur_uint(&c, &v, 12))
			return false;
		if (c.p < c.end && *c.p == ':')
		{
			int64_t		tus;

			c.p = save;
			if (!cur_time(&c, &tus))
				return false;
			hours = sign * (tus / 3600000000);
			minutes = sign * (tus / 60000000 % 60);
			seconds = sign * ((double) (tus / 1000000 % 60) + (double) (tus % 1000000) / 1e6);
			continue;
		}
		if (!cur_char(&c, ' '))
			return false;
		if (cur_word(&c, "year"))
			years += sign * v;
		else if (cur_word(&c, "mon"))
			months += sign * v;
		else if (cur_word(&c, "day"))
			days += sign * v;
		else if (cur_word(&c, "hour"))
			hours += sign * v;
		else if (cur_word(&c, "min"))
			minutes += sign * v;
		else if (cur_word(&c, "sec"))
			seconds += sign * (double) v;
		else
			return false;
		while (c.p < c.end && isalpha((unsigned char) *c.p))
			c.p++;
	}
	ndays = (double) (int32_t) (years * 12 + months) * 30.4375 + (double) days;
	nsecs = ((ndays * 24 + (double) hours) * 60 + (double) minutes) * 60 + seconds;
	us = nsecs * 1e6;
	/* Java's (long) cast saturates */
	if (isnan(us))
		*out = 0;
	else if (us >= 9223372036854775807.0)
		*out = INT64_MAX;
	else if (us <= -9223372036854775808.0)
		*out = INT64_MIN;
	else
		*out = (int64_t) us;
	return true;
}

/* timetz text ("11:51:30.1+02", "-05:30") as microseconds of day in UTC */
static bool
parse_timetz(const char *s, size_t len, int64_t *us)
{
	Cur			c = {s, s + len};
	int64_t		tod,
				off = 0;

	if (!cur_time(&c, &tod))
		return false;
	if (c.p < c.end && !cur_offset(&c, &off))
		return false;
	if (c.p != c.end)
		return false;
	tod -= off * 1000000;
	tod %= US_PER_DAY;
	if (tod < 0)
		tod += US_PER_DAY;
	*us = tod;
	return true;
}

/*
 * Money text ("$1,234.56", "-$1,234.56", "($1,234.56)"): the sign, the
 * digits and how many of them follow the decimal point.
 */
static bool
parse_money(const char *s, size_t len, bool *neg, Buf *d, int *scale)
{
	size_t		i;
	bool		point = false;

	*neg = false;
	*scale = 0;
	buf_reset(d);
	for (i = 0; i < len; i++)
	{
		char		ch = s[i];

		if (isdigit((unsigned char) ch))
		{
			buf_putc(d, ch);
			if (point)
				(*scale)++;
		}
		else if (ch == '.')
			point = true;
		else if (ch == '-' || ch == '(')
			*neg = true;
	}
	return d->len > 0;
}

/* bytea text: \x hex, or the raw bytes when not in hex form */
static bool
parse_bytea(const char *s, size_t len, Buf *out)
{
	size_t		i;

	buf_reset(out);
	if (len < 2 || s[0] != '\\' || s[1] != 'x')
	{
		buf_put(out, s, len);
		return true;
	}
	if (len % 2 != 0)
		return false;
	buf_reserve(out, len / 2);
	for (i = 2; i < len; i += 2)
	{
		int			hi = isdigit((unsigned char) s[i]) ? s[i] - '0' : (tolower((unsigned char) s[i]) - 'a' + 10);
		int			lo = isdigit((unsigned char) s[i + 1]) ? s[i + 1] - '0' : (tolower((unsigned char) s[i + 1]) - 'a' + 10);

		if (!isxdigit((unsigned char) s[i]) || !isxdigit((unsigned char) s[i + 1]))
			return false;
		out->data[out->len++] = (char) (hi * 16 + lo);
	}
	return true;
}

/* Bytes per binary.handling.mode. */
void
write_binary(Buf *b, BinaryMode mode, const uint8_t *p, size_t len)
{
	if (mode == BINARY_HEX)
		json_hex(b, p, len);
	else
		json_base64(b, p, len, mode == BINARY_BASE64_URL);
}

/*
 * io.debezium.data.Bits from bit string text ("0101"): the bits as a
 * number, BigInteger.toByteArray(), reversed to little-endian and padded to
 * the column's byte length.
 */
static bool
write_bits(Buf *b, const char *s, size_t len, Buf *tmp)
{
	size_t		i,
				nbytes = (len + 7) / 8;
	Buf			be = {0};

	buf_reserve(&be, nbytes + 1);
	memset(be.data, 0, nbytes + 1);
	be.len = nbytes + 1;
	for (i = 0; i < len; i++)
	{
		size_t		bit = len - 1 - i;	/* from the least significant */

		if (s[i] != '0' && s[i] != '1')
		{
			buf_free(&be);
			return false;
		}
		if (s[i] == '1')
			be.data[nbytes - bit / 8] |= (char) (1 << (bit % 8));
	}
	/* toByteArray: minimal, with a leading zero when the top bit is set */
	i = 0;
	while (i + 1 < be.len && be.data[i] == 0 && !((uint8_t) be.data[i + 1] & 0x80))
		i++;
	buf_reset(tmp);
	for (size_t j = be.len; j-- > i;)
		buf_putc(tmp, be.data[j]);
	while (tmp->len < nbytes)
		buf_putc(tmp, 0);
	buf_free(&be);
	json_base64(b, (const uint8_t *) tmp->data, tmp->len, false);
	return true;
}

/*
 * One quoted-or-bare token of hstore or array text into out; *isnull for a
 * bare NULL.  Stops before any char in stop (outside quotes).
 */
static bool
read_token(Cur *c, const char *stop, Buf *out, bool *isnull)
{
	const char *start;

	buf_reset(out);
	buf_puts(out, "");
	*isnull = false;
	if (cur_char(c, '"'))
	{
		while (c->p < c->end && *c->p != '"')
		{
			if (*c->p == '\\' && c->p + 1 < c->end)
				c->p++;
			buf_putc(out, *c->p++);
		}
		return cur_char(c, '"');
	}
	start = c->p;
	while (c->p < c->end && strchr(stop, *c->p) == NULL)
	{
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		buf_putc(out, *c->p++);
	}
	/* PG trims no whitespace in output; an empty bare token is an error */
	if (c->p == start)
		return false;
	*isnull = out->len == 4 && strncasecmp(out->data, "NULL", 4) == 0;
	return true;
}

/*
 * hstore text ("a"=>"1", "b"=>NULL) as the JSON string Jackson writes for
 * pgjdbc's HashMap of it: keys in Java HashMap iteration order.
 */
static bool
write_hstore(Buf *b, const char *s, size_t len)
{
	Cur			c = {s, s + len};
	Buf			tok = {0};
	Buf			keys = {0};		/* NUL-separated */
	Buf			vals = {0};
	Buf			out = {0};
	int			n = 0,
				cap = 0;
	size_t	   *koff = NULL,
			   *voff = NULL;
	bool	   *vnull = NULL;
	uint32_t   *hashes = NULL;
	int		   *order = NULL;
	bool		ok = true;
	int			i;

	while (ok)
	{
		bool		isnull;

		while (cur_char(&c, ' '))
			;
		if (c.p >= c.end)
			break;
		if (n == cap)
		{
			cap = cap ? cap * 2 : 8;
			koff = realloc(koff, cap * sizeof(size_t));
			voff = realloc(voff, cap * sizeof(size_t));
			vnull = realloc(vnull, cap * sizeof(bool));
			if (!koff || !voff || !vnull)
				abort();
		}
		if (!read_token(&c, "=", &tok, &isnull) || !cur_word(&c, "=>"))
		{
			ok = false;
			break;
		}
		koff[n] = keys.len;
		buf_put(&keys, tok.data, tok.len + 1);
		if (!read_token(&c, ",", &tok, &isnull))
		{
			ok = false;
			break;
		}
		voff[n] = vals.len;
		vnull[n] = isnull;
		buf_put(&vals, tok.data, tok.len + 1);
		n++;
		cur_char(&c, ',');
	}
	if (ok)
	{
		hashes = malloc((n + 1) * sizeof(uint32_t));
		order = malloc((n + 1) * sizeof(int));
		if (!hashes || !order)
			abort();
		for (i = 0; i < n; i++)
			hashes[i] = java_string_hash(keys.data + koff[i], strlen(keys.data + koff[i]));
		java_hashmap_order(hashes, n, java_hashmap_capacity(n), order);
		buf_putc(&out, '{');
		for (i = 0; i < n; i++)
		{
			int			k = order[i];
			const char *key = keys.data + koff[k];

			if (i > 0)
				buf_putc(&out, ',');
			json_str(&out, key, strlen(key));
			buf_putc(&out, ':');
			if (vnull[k])
				JLIT(&out, "null");
			else
				json_str(&out, vals.data + voff[k], strlen(vals.data + voff[k]));
		}
		buf_putc(&out, '}');
		json_str(b, out.data, out.len);
	}
	free(koff);
	free(voff);
	free(vnull);
	free(hashes);
	free(order);
	buf_free(&tok);
	buf_free(&keys);
	buf_free(&vals);
	buf_free(&out);
	return ok;
}

/* Array text ("{1,2}", "{{a,b},{c,NULL}}", "[0:1]={...}") as JSON arrays. */
static bool
write_array(const Config *cfg, Buf *b, const Col *col, Cur *c, Buf *tmp, char *err, size_t errlen,
			int depth)
{
	Buf			tok = {0};
	bool		first = true;
	bool		ok = true;

	if (depth > 6 || !cur_char(c, '{'))
		return false;
	buf_putc(b, '[');
	while (ok && !cur_char(c, '}'))
	{
		bool		isnull;

		if (!first && !cur_char(c, ','))
		{
			ok = false;
			break;
		}
		if (!first)
			buf_putc(b, ',');
		first = false;
		if (c->p < c->end && *c->p == '{')
		{
			ok = write_array(cfg, b, col, c, tmp, err, errlen, depth + 1);
			continue;
		}
		if (!read_token(c, ",}", &tok, &isnull))
		{
			ok = false;
			break;
		}
		if (isnull)
			JLIT(b, "null");
		else
			ok = rv_text(cfg, b, &col->elem, col, tok.data, tok.len, tmp, err, errlen);
		if (c->p >= c->end)
			ok = false;
	}
	buf_free(&tok);
	if (ok)
		buf_putc(b, ']');
	return ok;
}

/*
 * Write a value given as PostgreSQL text, as the column's type t wants it.
 * False (with err) when the text is not of the expected form.
 */
bool
rv_text(const Config *cfg, Buf *b, const TypeSpec *t, const Col *col, const char *s, size_t len,
		Buf *tmp, char *err, size_t errlen)
{
	int64_t		v;
	int			inf;
	char		num[64];

	switch (t->kind)
	{
		case K_BOOL:
		case K_BIT1:
			if ((len == 1 && (s[0] == 't' || s[0] == '1')) || (len == 4 && memcmp(s, "true", 4) == 0))
				JLIT(b, "true");
			else if ((len == 1 && (s[0] == 'f' || s[0] == '0')) || (len == 5 && memcmp(s, "false", 5) == 0))
				JLIT(b, "false");
			else
				break;
			return true;
		case K_INT16:
		case K_INT32:
		case K_INT64:
			{
				char	   *end;

				if (len == 0 || len >= sizeof(num))
					break;
				memcpy(num, s, len);
				num[len] = '\0';
				errno = 0;
				v = strtoll(num, &end, 10);
				if (errno != 0 || *end != '\0')
					break;
				json_i64(b, v);
				return true;
			}
		case K_FLOAT:
		case K_DOUBLE:
			{
				char	   *end;
				double		d;

				if (len == 0 || len >= sizeof(num))
					break;
				memcpy(num, s, len);
				num[len] = '\0';
				if (t->kind == K_FLOAT)
				{
					float		f = strtof(num, &end);

					if (*end != '\0')
						break;
					json_float(b, f);
				}
				else
				{
					d = strtod(num, &end);
					if (*end != '\0')
						break;
					json_double(b, d);
				}
				return true;
			}
		case K_DECIMAL:
		case K_VARDECIMAL:
		case K_NUM_STRING:
		case K_NUM_DOUBLE:
			{
				Buf			d = {0};
				bool		neg,
							ok;
				int			scale,
							special;

				ok = parse_decimal(s, len, &neg, &d, &scale, &special);
				if (ok)
					ok = write_decimal(b, t, cfg->decimal_mode, neg, d.data ? d.data : "0", d.len, scale,
									   special, tmp, err, errlen);
				else
					snprintf(err, errlen, "numeric text \"%.*s\" not understood", (int) (len > 40 ? 40 : len), s);
				buf_free(&d);
				return ok;
			}
		case K_MONEY:
			{
				Buf			d = {0};
				bool		neg,
							ok;
				int			scale;

				ok = parse_money(s, len, &neg, &d, &scale);
				if (ok)
					ok = write_decimal(b, t, cfg->decimal_mode, neg, d.data, d.len, scale, 0, tmp, err, errlen);
				buf_free(&d);
				if (!ok && err[0] == '\0')
					break;
				return ok;
			}
		case K_STRING:
		case K_UUID:
		case K_JSON:
		case K_UNKNOWN:
			json_str(b, s, len);
			return true;
		case K_BYTES:
			if (!parse_bytea(s, len, tmp))
				break;
			if (cfg->binary_mode == BINARY_HEX)
				json_hex(b, (const uint8_t *) tmp->data, tmp->len);
			else
				json_base64(b, (const uint8_t *) tmp->data, tmp->len, cfg->binary_mode == BINARY_BASE64_URL);
			return true;
		case K_DATE:
			if (!parse_date(s, len, &v))
				break;
			json_i64(b, v);
			return true;
		case K_TIME_MS:
		case K_TIME_US:
			{
				Cur			c = {s, s + len};

				if (!cur_time(&c, &v) || c.p != c.end)
					break;
				json_i64(b, t->kind == K_TIME_MS ? v / 1000 : v);
				return true;
			}
		case K_TS_MS:
		case K_TS_US:
			if (!parse_timestamp(s, len, false, &v, &inf))
				break;
			if (inf)
				json_i64(b, inf > 0 ? PGJDBC_PINF : PGJDBC_NINF);
			else
				json_i64(b, t->kind == K_TS_MS ? floordiv(v, 1000) : v);
			return true;
		case K_TSTZ:
			if (!parse_timestamp(s, len, true, &v, &inf))
				break;
			if (inf)
				json_str(b, inf > 0 ? "infinity" : "-infinity", inf > 0 ? 8 : 9);
			else
				write_zoned_ts(b, v, t->frac);
			return true;
		case K_TIMETZ:
			if (!parse_timetz(s, len, &v))
				break;
			write_zoned_time(b, v);
			return true;
		case K_INTERVAL:
			if (!parse_interval(s, len, &v))
				break;
			json_i64(b, v);
			return true;
		case K_BITS:
			if (!write_bits(b, s, len, tmp))
				break;
			return true;
		case K_HSTORE:
			if (!write_hstore(b, s, len))
				break;
			return true;
		case K_ARRAY:
			{
				Cur			c = {s, s + len};

				/* non-default lower bounds: "[0:2]={...}" */
				if (c.p < c.end && *c.p == '[')
				{
					const char *eq = memchr(s, '=', len);

					if (eq == NULL)
						break;
					c.p = eq + 1;
				}
				err[0] = '\0';
				if (!write_array(cfg, b, col, &c, tmp, err, errlen, 0) || c.p != c.end)
				{
					if (err[0] != '\0')
						return false;
					break;
				}
				return true;
			}
	}
	snprintf(err, errlen, "value \"%.*s\" is not a valid %s", (int) (len > 60 ? 60 : len), s,
			 t->name ? t->name : t->type);
	return false;
}

/* The placeholder's bytes: hex-decoded after "hex:", else as written. */
static void
placeholder_bytes(const Config *cfg, Buf *out)
{
	const char *ph = cfg->placeholder ? cfg->placeholder : "__debezium_unavailable_value";

	buf_reset(out);
	if (strncmp(ph, "hex:", 4) == 0)
	{
		Buf			hex = {0};

		buf_puts(&hex, "\\x");
		buf_puts(&hex, ph + 4);
		if (!parse_bytea(hex.data, hex.len, out))
		{
			buf_reset(out);
			buf_puts(out, ph);
		}
		buf_free(&hex);
	}
	else
		buf_puts(out, ph);
}

/*
 * An unchanged TOAST value, per Debezium's UnchangedToastedPlaceholder:
 * strings get the placeholder, bytes its bytes, arrays a one-element array
 * (int and date arrays: the placeholder's bytes as numbers), hstore a map
 * from it to itself.
 */
void
rv_placeholder(const Config *cfg, Buf *b, const Col *c)
{
	const char *ph = cfg->placeholder ? cfg->placeholder : "__debezium_unavailable_value";
	Buf			bytes = {0};
	Buf			inner = {0};
	size_t		i;

	placeholder_bytes(cfg, &bytes);
	switch (c->t.kind)
	{
		case K_BYTES:
			/* hex mode: the string; base64 modes: unverified in Debezium, bytes here */
			if (cfg->binary_mode == BINARY_HEX)
				json_str(b, ph, strlen(ph));
			else
				write_binary(b, cfg->binary_mode, (const uint8_t *) bytes.data, bytes.len);
			break;
		case K_BITS:
			json_base64(b, (const uint8_t *) bytes.data, bytes.len, false);
			break;
		case K_HSTORE:
			buf_putc(&inner, '{');
			json_str(&inner, ph, strlen(ph));
			buf_putc(&inner, ':');
			json_str(&inner, ph, strlen(ph));
			buf_putc(&inner, '}');
			json_str(b, inner.data, inner.len);
			break;
		case K_ARRAY:
			buf_putc(b, '[');
			switch (c->elem.kind)
			{
				case K_INT16:
				case K_INT32:
				case K_INT64:
				case K_DATE:
					for (i = 0; i < bytes.len; i++)
					{
						if (i > 0)
							buf_putc(b, ',');
						json_i64(b, (int8_t) bytes.data[i]);
					}
					break;
				case K_BYTES:
					write_binary(b, cfg->binary_mode, (const uint8_t *) bytes.data, bytes.len);
					break;
				default:
					json_str(b, ph, strlen(ph));
					break;
			}
			buf_putc(b, ']');
			break;
		default:
			json_str(b, ph, strlen(ph));
			break;
	}
	buf_free(&bytes);
	buf_free(&inner);
}

/*
 * What Debezium's converters give a NOT NULL column that has no value
 * (the non-key columns of a key-only old tuple) and no default.
 */
void
rv_fallback(const Config *cfg, Buf *b, const Col *c)
{
	switch (c->t.kind)
	{
		case K_BOOL:
		case K_BIT1:
			JLIT(b, "false");
			break;
		case K_INT16:
		case K_INT32:
		case K_INT64:
		case K_DATE:
		case K_TIME_MS:
		case K_TIME_US:
		case K_TS_MS:
		case K_TS_US:
		case K_INTERVAL:
			JLIT(b, "0");
			break;
		case K_FLOAT:
		case K_DOUBLE:
		case K_NUM_DOUBLE:
			JLIT(b, "0.0");
			break;
		case K_DECIMAL:
			JLIT(b, "\"AA==\"");
			break;
		case K_VARDECIMAL:
			JLIT(b, "{\"scale\":0,\"value\":\"AA==\"}");
			break;
		case K_NUM_STRING:
			JLIT(b, "\"0\"");
			break;
		case K_MONEY:
			if (cfg->decimal_mode == DECIMAL_PRECISE)
				JLIT(b, "\"AA==\"");
			else if (cfg->decimal_mode == DECIMAL_STRING)
				JLIT(b, "\"0\"");
			else
				JLIT(b, "0.0");
			break;
		case K_TSTZ:
			JLIT(b, "\"1970-01-01T00:00:00Z\"");
			break;
		case K_TIMETZ:
			JLIT(b, "\"00:00:00Z\"");
			break;
		case K_ARRAY:
			JLIT(b, "[]");
			break;
		case K_HSTORE:
			JLIT(b, "\"{}\"");
			break;
		default:
			JLIT(b, "\"\"");
			break;
	}
}

/* ---------- Java HashMap iteration order ---------- */

/* Java's String.hashCode over the UTF-16 code units of UTF-8 text. */
uint32_t
java_string_hash(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	uint32_t	h = 0;

	while (p < end)
	{
		uint32_t	cp = *p++;
		int			more = 0;

		if (cp >= 0xF0)
			cp &= 0x07, more = 3;
		else if (cp >= 0xE0)
			cp &= 0x0F, more = 2;
		else if (cp >= 0xC0)
			cp &= 0x1F, more = 1;
		while (more-- > 0 && p < end)
			cp = (cp << 6) | (*p++ & 0x3F);
		if (cp >= 0x10000)
		{
			cp -= 0x10000;
			h = 31 * h + (0xD800 + (cp >> 10));
			h = 31 * h + (0xDC00 + (cp & 0x3FF));
		}
		else
			h = 31 * h + cp;
	}
	return h;
}

/* The table size of a HashMap that has held n entries (16, doubling at 3/4). */
int
java_hashmap_capacity(int n)
{
	int			cap = 16;

	while (n > cap / 4 * 3)
		cap *= 2;
	return cap;
}

/*
 * The order a HashMap of this capacity iterates keys inserted in index
 * order with these hashes: by bucket, then by insertion within a bucket.
 */
void
java_hashmap_order(const uint32_t *hashes, int n, int capacity, int *order)
{
	int			i,
				j;

	for (i = 0; i < n; i++)
		order[i] = i;
	/* insertion sort: stable, and n is small */
	for (i = 1; i < n; i++)
	{
		int			k = order[i];
		uint32_t	h = hashes[k];
		uint32_t	bk = (h ^ (h >> 16)) & (uint32_t) (capacity - 1);

		for (j = i - 1; j >= 0; j--)
		{
			uint32_t	h2 = hashes[order[j]];

			if (((h2 ^ (h2 >> 16)) & (uint32_t) (capacity - 1)) <= bk)
				break;
			order[j + 1] = order[j];
		}
		order[j + 1] = k;
	}
}
