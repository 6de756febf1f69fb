/*
 * row.c
 *		A row's values as JSON: the before/after structs and the message key.
 *
 * Values arrive in binary form for most types and are written here
 * directly; those the decoder sends as PostgreSQL text go to text.c.  A
 * null is the column's schema default when it has one (Kafka Connect
 * writes defaults for nulls), else the NOT NULL fallback or null; an
 * unchanged TOAST value is its placeholder.  All of these are precomputed
 * per column (defaults.c), so a row costs only its values.
 */
#include "render/render_int.h"
#include "ops/log.h"

#include <stdio.h>
#include <stdlib.h>

#include "render/json.h"

/* A CdcWrite that JSON-escapes into a Buf (jsonb text inside a string). */
static void
escape_write(void *arg, const char *data, size_t len)
{
	json_escape((Buf *) arg, data, len);
}

/* Report a value whose tag does not fit its column's type. */
static bool
bad_tag(Renderer *r, const Rel *rel, const Col *c, char tag)
{
	return render_fail(r, "relation %s, column %s (type OID %u): unexpected value tag '%c' (0x%02x)",
					   rel->qualified, c->name, c->basetypid, tag >= 0x20 && tag < 0x7f ? tag : '?',
					   (unsigned char) tag);
}

/* Write one non-null, present value as the column's kind wants it. */
static bool
write_value(Renderer *r, Buf *b, const Rel *rel, const Col *c, const CdcValue *v)
{
	char		err[300];

	switch (c->t.kind)
	{
		case K_INT16:
		case K_INT32:
		case K_INT64:
			if (v->tag != CDC_VAL_INT)
				break;
			json_i64(b, v->v.i);
			return true;
		case K_STRING:
		case K_UNKNOWN:
			if (v->tag == CDC_VAL_TEXT)
			{
				json_str(b, v->v.bytes.data, v->v.bytes.len);
				return true;
			}
			break;
		case K_BOOL:
			if (v->tag == CDC_VAL_TRUE)
				JLIT(b, "true");
			else if (v->tag == CDC_VAL_FALSE)
				JLIT(b, "false");
			else
				break;
			return true;
		case K_DECIMAL:
		case K_VARDECIMAL:
		case K_NUM_STRING:
		case K_NUM_DOUBLE:
			if (v->tag != CDC_VAL_NUMERIC)
				break;
			{
				const CdcNumeric *n = &v->v.num;
				int			special = 0;

				if (n->kind == CDC_NUM_NAN || n->kind == CDC_NUM_PINF || n->kind == CDC_NUM_NINF)
					special = n->kind;
				else
					numeric_digits(n, &r->dig);
				if (!write_decimal(b, &c->t, r->cfg.decimal_mode, n->kind == CDC_NUM_NEG,
								   special ? "0" : r->dig.data, special ? 1 : r->dig.len,
								   (int) n->dscale, special, &r->tmp, err, sizeof(err)))
					return render_fail(r, "relation %s, column %s: %s", rel->qualified, c->name, err);
				return true;
			}
		case K_TS_US:
		case K_TS_MS:
			if (v->tag != CDC_VAL_TIMESTAMP)
				break;
			if (v->v.i == CDC_TS_PINF)
				JLIT(b, "9223372036825200000");
			else if (v->v.i == CDC_TS_NINF)
				JLIT(b, "-9223372036832400000");
			else if (c->t.kind == K_TS_US)
				json_i64(b, wadd(v->v.i, UNIX_2000_US));
			else
			{
				int64_t		us = wadd(v->v.i, UNIX_2000_US);

				json_i64(b, us / 1000 - (us % 1000 < 0));
			}
			return true;
		case K_TSTZ:
			if (v->tag != CDC_VAL_TIMESTAMPTZ)
				break;
			if (v->v.i == CDC_TS_PINF)
				JLIT(b, "\"infinity\"");
			else if (v->v.i == CDC_TS_NINF)
				JLIT(b, "\"-infinity\"");
			else
				write_zoned_ts(b, wadd(v->v.i, UNIX_2000_US), c->t.frac);
			return true;
		case K_DATE:
			if (v->tag != CDC_VAL_DATE)
				break;
			if (v->v.i == CDC_DATE_PINF || v->v.i == CDC_DATE_NINF)
				json_i64(b, v->v.i);	/* no Debezium evidence: the int32 limits */
			else
				json_i64(b, wadd(v->v.i, 10957));
			return true;
		case K_TIME_US:
		case K_TIME_MS:
			if (v->tag != CDC_VAL_TIME)
				break;
			json_i64(b, c->t.kind == K_TIME_US ? v->v.i : v->v.i / 1000);
			return true;
		case K_UUID:
			if (v->tag == CDC_VAL_UUID)
			{
				static const char hx[] = "0123456789abcdef";
				char		u[38];
				int			i,
							k = 0;
				const uint8_t *p = (const uint8_t *) v->v.bytes.data;

				u[k++] = '"';
				for (i = 0; i < 16; i++)
				{
					if (i == 4 || i == 6 || i == 8 || i == 10)
						u[k++] = '-';
					u[k++] = hx[p[i] >> 4];
					u[k++] = hx[p[i] & 15];
				}
				u[k++] = '"';
				buf_put(b, u, (size_t) k);
				return true;
			}
			break;
		case K_JSON:
			if (v->tag == CDC_VAL_JSONB)
			{
				CdcReader	jr;
				size_t		start = b->len;

				cdc_reader_init(&jr, v->v.jsonb.container.data, v->v.jsonb.container.len);
				buf_putc(b, '"');
				if (!cdc_jsonb_text(&jr, &v->v.jsonb, escape_write, b))
				{
					b->len = start;
					return render_fail(r, "relation %s, column %s: malformed jsonb: %s", rel->qualified,
									   c->name, jr.error);
				}
				buf_putc(b, '"');
				return true;
			}
			if (v->tag == CDC_VAL_TEXT)
			{
				json_str(b, v->v.bytes.data, v->v.bytes.len);
				return true;
			}
			break;
		case K_BYTES:
			if (v->tag != CDC_VAL_BYTES)
				break;
			write_binary(b, r->cfg.binary_mode, (const uint8_t *) v->v.bytes.data, v->v.bytes.len);
			return true;
		case K_FLOAT:
			if (v->tag != CDC_VAL_FLOAT4)
				break;
			json_float(b, v->v.f4);
			return true;
		case K_DOUBLE:
			if (v->tag != CDC_VAL_FLOAT8)
				break;
			json_double(b, v->v.f8);
			return true;
		default:
			break;
	}
	/* everything sent as text: interval, timetz, money, bits, hstore, arrays */
	if (v->tag == CDC_VAL_TEXT)
	{
		size_t		start = b->len;

		if (!write_text_value(&r->cfg, b, &c->t, c, v->v.bytes.data, v->v.bytes.len, &r->tmp, err, sizeof(err)))
		{
			b->len = start;
			return render_fail(r, "relation %s, column %s: %s", rel->qualified, c->name, err);
		}
		return true;
	}
	return bad_tag(r, rel, c, v->tag);
}

/* Say once per column that its text is not UTF-8 (json.c escapes such bytes). */
static void
warn_not_utf8(const Rel *rel, Col *c)
{
	char	   *table = printable(rel->qualified);
	char	   *column = printable(c->name);

	c->warned_not_utf8 = true;
	log_warn("column %s.%s holds text that is not valid UTF-8 (a SQL_ASCII database?); "
			 "its bytes that are not UTF-8 are written as the escapes \\uDC80 to \\uDCFF",
			 table, column);
	free(table);
	free(column);
}

/* One column of a row: null -> default, else fallback or null; TOAST placeholder. */
static inline bool
write_column(Renderer *r, Buf *b, const Rel *rel, Col *c, const CdcValue *v)
{
	uint64_t	not_utf8 = json_invalid_utf8;

	if (v->tag == CDC_VAL_NULL)
	{
		/*
		 * JsonConverter writes a null as the schema's default; Debezium's
		 * converters give a NOT NULL column without a value its fallback.
		 */
		if (c->def)
			buf_put(b, c->def, c->def_len);
		else if (c->flags & CDC_COL_NOTNULL)
			buf_put(b, c->fallback, c->fallback_len);
		else
			JLIT(b, "null");
		return true;
	}
	if (v->tag == CDC_VAL_UNCHANGED)
	{
		buf_put(b, c->ph, c->ph_len);
		return true;
	}
	if (!write_value(r, b, rel, c, v))
		return false;
	if (json_invalid_utf8 != not_utf8 && !c->warned_not_utf8)
		warn_not_utf8(rel, c);
	return true;
}

/* A row struct: {"col":value,...} */
bool
write_row(Renderer *r, Buf *b, const Rel *rel, const CdcValue *vals)
{
	int			i;

	buf_putc(b, '{');
	for (i = 0; i < rel->ncols; i++)
	{
		Col		   *c = &rel->cols[i];

		if (i > 0)
			buf_putc(b, ',');
		buf_put(b, c->fieldkey, c->fieldkey_len);
		if (!write_column(r, b, rel, c, &vals[i]))
			return false;
	}
	buf_putc(b, '}');
	return true;
}

/* The message key of a row (with its schema when key schemas are on). */
bool
write_key(Renderer *r, Buf *b, const Rel *rel, const CdcValue *vals)
{
	int			i;

	buf_reset(b);
	if (rel->key_prefix)
		buf_put(b, rel->key_prefix, rel->key_prefix_len);
	buf_putc(b, '{');
	for (i = 0; i < rel->nkey; i++)
	{
		Col		   *c = &rel->cols[rel->key[i]];

		if (i > 0)
			buf_putc(b, ',');
		buf_put(b, c->fieldkey, c->fieldkey_len);
		if (!write_column(r, b, rel, c, &vals[rel->key[i]]))
			return false;
	}
	buf_putc(b, '}');
	if (rel->key_prefix)
		buf_putc(b, '}');
	return true;
}
