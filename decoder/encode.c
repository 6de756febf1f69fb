/*
 * encode.c
 *		Column values of the cellcdc output plugin, encoded as FORMAT.md's
 *		Values section specifies.
 *
 * Each column's encoding is chosen once per relation (cdc_column_encoding)
 * and kept in the relation cache.  The common types are written in binary
 * or as stored, without calling their output functions; everything else is
 * its output function's text.  An unchanged TOASTed value is marked, never
 * fetched: it is not in the WAL, and fetching it could read a later or
 * vacuumed value.  Text is converted to UTF-8 when the database encoding
 * is another one.
 */
#include "cellcdc_int.h"

#include "catalog/pg_type.h"
#include "utils/date.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* How values of a (base) type are encoded. */
ColumnEncoding
cdc_column_encoding(Oid typid)
{
	switch (typid)
	{
		case BOOLOID:
			return ENC_BOOL;
		case INT2OID:
			return ENC_INT2;
		case INT4OID:
			return ENC_INT4;
		case INT8OID:
			return ENC_INT8;
		case OIDOID:
			return ENC_OID;
		case FLOAT4OID:
			return ENC_FLOAT4;
		case FLOAT8OID:
			return ENC_FLOAT8;
		case NUMERICOID:
			return ENC_NUMERIC;
		case DATEOID:
			return ENC_DATE;
		case TIMEOID:
			return ENC_TIME;
		case TIMESTAMPOID:
			return ENC_TIMESTAMP;
		case TIMESTAMPTZOID:
			return ENC_TIMESTAMPTZ;
		case UUIDOID:
			return ENC_UUID;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case JSONOID:
			return ENC_TEXT;
		case BYTEAOID:
			return ENC_BYTEA;
		case JSONBOID:
			return ENC_JSONB;
		default:
			return ENC_OUTPUT;
	}
}

/* Text in the database encoding, written as UTF-8. */
static void
put_text(CdcState *st, StringInfo s, const char *data, size_t len)
{
	if (st->convert_text)
	{
		char	   *utf8 = pg_server_to_any(data, (int) len, PG_UTF8);

		if (utf8 != data)
		{
			data = utf8;
			len = strlen(utf8);
		}
	}
	put_u8(s, CDC_VAL_TEXT);
	put_str(s, data, len);
}

/* A numeric from its on-disk form: no numeric_out, no detoasting copy. */
static void
put_numeric(StringInfo s, Datum d)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
	CdcNumeric	n;
	uint32		i;

	if (!cdc_disk_numeric((const uint8_t *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), CDC_NATIVE_ORDER, &n))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cellcdc: a numeric value is not in PostgreSQL's numeric format")));
	put_u8(s, CDC_VAL_NUMERIC);
	put_u8(s, n.kind);
	if (n.kind != CDC_NUM_POS && n.kind != CDC_NUM_NEG)
		return;
	put_svarint(s, n.weight);
	put_varint(s, n.dscale);
	put_varint(s, n.ndigits);
	reserve(s, (int) (n.ndigits * 2));
	for (i = 0; i < n.ndigits; i++)
	{
		unsigned	digit = cdc_numeric_digit(&n, i);

		s->data[s->len++] = (char) (digit >> 8);
		s->data[s->len++] = (char) digit;
	}
}

/* Append one column value: its tag and payload (FORMAT.md, Values). */
static void
put_value(CdcState *st, StringInfo s, ColumnInfo *col, Datum d, bool isnull)
{
	if (isnull)
	{
		put_u8(s, CDC_VAL_NULL);
		return;
	}
	/* not in the WAL, and fetching it could read a later or vacuumed value */
	if (col->typlen == -1 && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(d)))
	{
		put_u8(s, CDC_VAL_UNCHANGED);
		return;
	}
	switch (col->enc)
	{
		case ENC_BOOL:
			put_u8(s, DatumGetBool(d) ? CDC_VAL_TRUE : CDC_VAL_FALSE);
			break;
		case ENC_INT2:
			put_u8(s, CDC_VAL_INT);
			put_svarint(s, DatumGetInt16(d));
			break;
		case ENC_INT4:
			put_u8(s, CDC_VAL_INT);
			put_svarint(s, DatumGetInt32(d));
			break;
		case ENC_INT8:
			put_u8(s, CDC_VAL_INT);
			put_svarint(s, DatumGetInt64(d));
			break;
		case ENC_OID:
			put_u8(s, CDC_VAL_INT);
			put_svarint(s, DatumGetObjectId(d));
			break;
		case ENC_FLOAT4:
			{
				float4		f = DatumGetFloat4(d);
				uint32		bits;

				memcpy(&bits, &f, sizeof(bits));
				put_u8(s, CDC_VAL_FLOAT4);
				put_u32(s, bits);
				break;
			}
		case ENC_FLOAT8:
			{
				float8		f = DatumGetFloat8(d);
				uint64		bits;

				memcpy(&bits, &f, sizeof(bits));
				put_u8(s, CDC_VAL_FLOAT8);
				put_u64(s, bits);
				break;
			}
		case ENC_NUMERIC:
			put_numeric(s, d);
			break;
		case ENC_DATE:
			put_u8(s, CDC_VAL_DATE);
			put_svarint(s, DatumGetDateADT(d));
			break;
		case ENC_TIME:
			put_u8(s, CDC_VAL_TIME);
			put_varint(s, (uint64) DatumGetTimeADT(d));
			break;
		case ENC_TIMESTAMP:
			put_u8(s, CDC_VAL_TIMESTAMP);
			put_u64(s, (uint64) DatumGetTimestamp(d));
			break;
		case ENC_TIMESTAMPTZ:
			put_u8(s, CDC_VAL_TIMESTAMPTZ);
			put_u64(s, (uint64) DatumGetTimestampTz(d));
			break;
		case ENC_UUID:
			put_u8(s, CDC_VAL_UUID);
			appendBinaryStringInfoNT(s, (char *) DatumGetUUIDP(d)->data, UUID_LEN);
			break;
		case ENC_TEXT:
			{
				struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

				put_text(st, s, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
				break;
			}
		case ENC_BYTEA:
			{
				struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

				put_u8(s, CDC_VAL_BYTES);
				put_str(s, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
				break;
			}
		case ENC_JSONB:
			{
				/* as stored: the reader prints it as jsonb_out would */
				struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

				put_u8(s, CDC_VAL_JSONB);
				put_u8(s, CDC_NATIVE_ORDER);
				put_str(s, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
				break;
			}
		case ENC_OUTPUT:
			{
				char	   *text = OutputFunctionCall(&col->output, d);

				put_text(st, s, text, strlen(text));
				break;
			}
	}
}

/* Append a RELATION record: what the following tuples of e hold. */
void
cdc_put_relation(StringInfo s, RelEntry *e)
{
	int			i;

	put_u8(s, CDC_RELATION);
	put_u32(s, e->relid);
	put_cstr(s, e->schema);
	put_cstr(s, e->table);
	put_u8(s, e->replident);
	put_varint(s, e->ncols);
	for (i = 0; i < e->ncols; i++)
	{
		put_u8(s, e->flags[i]);
		put_cstr(s, e->names[i]);
		put_u32(s, e->typids[i]);
		put_u32(s, (uint32) e->typmods[i]);
		put_u32(s, e->basetypids[i]);
		put_u32(s, (uint32) e->basetypmods[i]);
	}
}

/* Append a tuple: kind, column count, the sent columns' values. */
void
cdc_put_tuple(CdcState *st, StringInfo s, RelEntry *e, char kind, Datum *values, bool *nulls)
{
	int			i;

	put_u8(s, kind);
	put_varint(s, e->ncols);
	for (i = 0; i < e->ncols; i++)
	{
		ColumnInfo *col = &e->cols[i];

		put_value(st, s, col, values[col->attidx], nulls[col->attidx]);
	}
}
