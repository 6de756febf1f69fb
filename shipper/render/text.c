/*
 * text.c
 *		Values that come as PostgreSQL text, written as Debezium writes them.
 *
 * The decoder sends some types through their output function (interval,
 * timetz, money, bit strings, hstore, arrays, types Debezium does not
 * map), and column defaults and array elements are text too.  Each is
 * parsed in the forms of the shipper's replication session (DateStyle=ISO,
 * IntervalStyle=postgres, extra_float_digits=3, bytea_output=hex) and
 * written as the column's type wants it; text that is not of the expected
 * form is an error naming the value, never a guess.
 */
#include "render/render_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render/json.h"

/* pgjdbc's PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY */
#define PGJDBC_PINF		INT64_C(9223372036825200000)
#define PGJDBC_NINF		INT64_C(-9223372036832400000)

/* bytea text: \x hex, or the raw bytes when not in hex form */
bool
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
			ok = write_text_value(cfg, b, &col->elem, col, tok.data, tok.len, tmp, err, errlen);
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
write_text_value(const Config *cfg, Buf *b, const TypeSpec *t, const Col *col, const char *s,
				 size_t len, Buf *tmp, char *err, size_t errlen)
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
