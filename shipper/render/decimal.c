/*
 * decimal.c
 *		numeric and money as decimal.handling.mode wants them: Connect
 *		Decimal bytes, VariableScaleDecimal, a plain string or a double.
 *
 * Every path goes through the same digits: a numeric's base-10000 digits
 * from the record, or the decimal text of a default, an array element or
 * a money value, become ASCII digits with a scale, and write_decimal()
 * writes those.  The bytes are Java's BigInteger.toByteArray() of the
 * unscaled value, as Connect's Decimal logical type holds it.
 */
#include "render/render_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/json.h"

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
bool
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

/*
 * Money text ("$1,234.56", "-$1,234.56", "($1,234.56)"): the sign, the
 * digits and how many of them follow the decimal point.
 */
bool
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
