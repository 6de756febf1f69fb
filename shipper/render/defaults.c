/*
 * defaults.c
 *		What a column gets when a row has no value for it: its schema
 *		default, its NOT NULL fallback, its unchanged-TOAST placeholder.
 *
 * All three are constant per column, so they are written as JSON once,
 * when the RELATION record is applied, and copied into rows.
 *
 * Defaults are converted as Debezium's PostgresDefaultValueConverter does:
 * only for its list of types, a literal is the text inside the first pair
 * of quotes (or the whole expression when it has none), and an expression
 * that looks like a function call (nextval(...), now()) stands for the
 * type's zero value.  Anything it cannot parse (CURRENT_TIMESTAMP, casts of
 * expressions) gives no default, as in Debezium.  A default's JSON is
 * written by the same code as row values, so that floats and decimals
 * print exactly as in rows.
 */
#include "render/render_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render/json.h"

/*
 * Does the default look like a function call?  Debezium's pattern is
 * ^[(]?[A-Za-z0-9_]+\((?:.+(?:, ?.+)*)?\) with find(): an optional '(',
 * a word, '(' and, somewhere after, ')'.
 */
static bool
is_function_default(const char *e)
{
	const char *p = e;

	if (*p == '(')
		p++;
	if (!(isalnum((unsigned char) *p) || *p == '_'))
		return false;
	while (isalnum((unsigned char) *p) || *p == '_')
		p++;
	if (*p != '(')
		return false;
	return strchr(p + 1, ')') != NULL;
}

/* Java's Integer/Long/Short.parseX: [+-]digits within range. */
static bool
java_parse_int(const char *s, int64_t min, int64_t max)
{
	char	   *end;
	long long	v;

	if (*s == '\0' || isspace((unsigned char) *s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= min && v <= max;
}

/* Java's new BigDecimal(s): [+-]digits[.digits][e[+-]digits]. */
static bool
java_parse_decimal(const char *s)
{
	const char *p = s;
	int			nd = 0;

	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char) *p))
		p++, nd++;
	if (*p == '.')
		for (p++; isdigit((unsigned char) *p); p++)
			nd++;
	if (nd == 0)
		return false;
	/* exponents are valid Java but never printed by PostgreSQL: refuse */
	return *p == '\0';
}

/* Java's Float/Double.parseX, near enough: strtod consuming it all. */
static bool
java_parse_float(const char *s)
{
	char	   *end;

	if (*s == '\0')
		return false;
	(void) strtod(s, &end);
	while (isspace((unsigned char) *end) || *end == 'd' || *end == 'D' || *end == 'f' || *end == 'F')
		end++;
	return *end == '\0';
}

/*
 * The literal Debezium would parse out of a default expression for this
 * column's type, into lit; false when it gives no default.
 */
static bool
default_literal(const Col *c, const char *expr, Buf *lit)
{
	const char *zero;
	const char *q;

	if (c->typid != c->basetypid)
		return false;			/* domains: Debezium has no mapper by that name */
	switch (c->basetypid)
	{
		case OID_BIT:
			zero = "00";
			break;
		case OID_VARBIT:
			zero = "0";
			break;
		case OID_BOOL:
			zero = "false";
			break;
		case OID_BPCHAR:
		case OID_VARCHAR:
		case OID_TEXT:
		case OID_XML:
			zero = "";
			break;
		case OID_NUMERIC:
		case OID_FLOAT4:
		case OID_FLOAT8:
			zero = "0.0";
			break;
		case OID_INT2:
		case OID_INT4:
		case OID_INT8:
			zero = "0";
			break;
		case OID_JSON:
		case OID_JSONB:
			zero = "{}";
			break;
		case OID_UUID:
			zero = "00000000-0000-0000-0000-000000000000";
			break;
		case OID_DATE:
		case OID_TIMESTAMP:
		case OID_TIMESTAMPTZ:
			zero = "1970-01-01";
			break;
		case OID_TIME:
			zero = "00:00";
			break;
		default:
			/* interval's zero is "epoch", which PGInterval cannot parse */
			if (c->basetypid != OID_INTERVAL)
				return false;
			zero = NULL;
			break;
	}
	/* NULL::type is no default for the types Debezium checks it on */
	if (strncmp(expr, "NULL::", 6) == 0 &&
		(c->basetypid == OID_BOOL || c->basetypid == OID_NUMERIC || c->basetypid == OID_FLOAT4 ||
		 c->basetypid == OID_FLOAT8 || c->basetypid == OID_INT2 || c->basetypid == OID_INT4 ||
		 c->basetypid == OID_INT8))
		return false;
	buf_reset(lit);
	if (is_function_default(expr))
	{
		if (zero == NULL)
			return false;
		buf_puts(lit, zero);
	}
	else if ((q = strchr(expr, '\'')) == NULL)
		buf_puts(lit, expr);
	else
	{
		const char *e = strchr(q + 1, '\'');

		if (e == NULL)
			return false;		/* Java's matcher would find nothing: no default */
		buf_put(lit, q + 1, (size_t) (e - q - 1));
	}
	if (lit->data == NULL)
		buf_puts(lit, "");

	switch (c->basetypid)
	{
		case OID_BIT:
			{
				bool		one;

				if (lit->len != 1)
					return false;	/* a Bits default: not converted here */
				one = lit->data[0] == '1';
				buf_reset(lit);
				buf_puts(lit, one ? "true" : "false");
				return true;
			}
		case OID_VARBIT:
			return false;
		case OID_BOOL:
			{
				bool		t = strcasecmp(lit->data, "true") == 0;

				buf_reset(lit);
				buf_puts(lit, t ? "true" : "false");
				return true;
			}
		case OID_NUMERIC:
			return java_parse_decimal(lit->data);
		case OID_FLOAT4:
		case OID_FLOAT8:
			return java_parse_float(lit->data);
		case OID_INT2:
			return java_parse_int(lit->data, INT16_MIN, INT16_MAX);
		case OID_INT4:
			return java_parse_int(lit->data, INT32_MIN, INT32_MAX);
		case OID_INT8:
			return java_parse_int(lit->data, INT64_MIN, INT64_MAX);
		default:
			return true;		/* strings; dates and times are checked by the writer */
	}
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
static void
write_placeholder(const Config *cfg, Buf *b, const Col *c)
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
static void
write_fallback(const Config *cfg, Buf *b, const Col *c)
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

/*
 * Everything about a column that does not change from row to row: its
 * "name": key, its default, its NOT NULL fallback and its TOAST placeholder.
 */
void
column_constants(const Config *cfg, Col *c, Buf *tmp)
{
	Buf			b = {0};
	Buf			lit = {0};
	char		err[256];

	buf_reset(tmp);
	json_str(tmp, c->name, c->name_len);
	buf_putc(tmp, ':');
	c->fieldkey = strdup(tmp->data);
	c->fieldkey_len = tmp->len;

	c->def = NULL;
	c->def_len = 0;
	/* a Struct cannot be a default (KAFKA-12694): Debezium leaves it out */
	if (c->meta.default_expr != NULL && c->t.kind != K_VARDECIMAL &&
		default_literal(c, c->meta.default_expr, &lit))
	{
		buf_reset(&b);
		if (write_text_value(cfg, &b, &c->t, c, lit.data, lit.len, tmp, err, sizeof(err)))
		{
			c->def = b.data;
			c->def_len = b.len;
			b.data = NULL;
			b.len = b.cap = 0;
		}
	}
	buf_reset(&b);
	write_fallback(cfg, &b, c);
	c->fallback = b.data;
	c->fallback_len = b.len;
	b.data = NULL;
	b.len = b.cap = 0;
	write_placeholder(cfg, &b, c);
	c->ph = b.data;
	c->ph_len = b.len;
	buf_free(&lit);
}
