/*
 * record.c
 *		Bounds-checked reader for cellcdc records.
 *
 * Linked into the extension (for cellcdc.render) and into the shipper.  It
 * allocates nothing and never reads past the end of its input: a truncated
 * or corrupt record makes the read fail with a message in r->error naming
 * the field and the byte offset, and the caller decides how to report it.
 * Values in PostgreSQL's stored forms (numeric, jsonb) are parsed and
 * printed by stored.c, the other half of the reader.
 */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL's numeric weight and display scale are stored in 16 and 14 bits */
#define CDC_NUMERIC_MAX_WEIGHT	32767
#define CDC_NUMERIC_MAX_DSCALE	16383

/* CdcRealloc on the C library's heap. */
static void *
heap_realloc(void *ptr, size_t size)
{
	if (size == 0)
	{
		free(ptr);
		return NULL;
	}
	return realloc(ptr, size);
}

/* Start reading len bytes at data. */
void
cdc_reader_init(CdcReader *r, const void *data, size_t len)
{
	r->start = data;
	r->p = data;
	r->end = r->p + len;
	r->error[0] = '\0';
	r->realloc_fn = heap_realloc;
}

/* True when every byte has been consumed. */
bool
cdc_at_end(const CdcReader *r)
{
	return r->p == r->end;
}

/* Record that reading `what` failed at the current offset; returns false. */
bool
cdc_fail(CdcReader *r, const char *what)
{
	if (r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "%s at byte %zu of %zu",
				 what, (size_t) (r->p - r->start), (size_t) (r->end - r->start));
	return false;
}

/* Are n more bytes there to read `what`? */
static bool
need(CdcReader *r, size_t n, const char *what)
{
	if ((size_t) (r->end - r->p) < n)
		return cdc_fail(r, what);
	return true;
}

/* Read one byte. */
bool
cdc_read_u8(CdcReader *r, uint8_t *v, const char *what)
{
	if (!need(r, 1, what))
		return false;
	*v = *r->p++;
	return true;
}

/* Read a big-endian uint32. */
bool
cdc_read_u32(CdcReader *r, uint32_t *v, const char *what)
{
	if (!need(r, 4, what))
		return false;
	*v = ((uint32_t) r->p[0] << 24) | ((uint32_t) r->p[1] << 16) |
		((uint32_t) r->p[2] << 8) | (uint32_t) r->p[3];
	r->p += 4;
	return true;
}

/* Read a big-endian uint64. */
bool
cdc_read_u64(CdcReader *r, uint64_t *v, const char *what)
{
	uint32_t	hi,
				lo;

	if (!need(r, 8, what) || !cdc_read_u32(r, &hi, what) || !cdc_read_u32(r, &lo, what))
		return false;
	*v = ((uint64_t) hi << 32) | lo;
	return true;
}

/* Unsigned LEB128: 7 bits per byte, least significant group first. */
bool
cdc_read_varint(CdcReader *r, uint64_t *v, const char *what)
{
	uint64_t	result = 0;
	int			shift;

	for (shift = 0; shift < 64; shift += 7)
	{
		uint8_t		b;

		if (!cdc_read_u8(r, &b, what))
			return false;
		if (shift == 63 && b > 1)
			break;				/* would overflow 64 bits */
		result |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
		{
			*v = result;
			return true;
		}
	}
	return cdc_fail(r, what);
}

/* Zigzag-encoded signed varint: 0, -1, 1, -2, ... map to 0, 1, 2, 3, ... */
bool
cdc_read_svarint(CdcReader *r, int64_t *v, const char *what)
{
	uint64_t	u;

	if (!cdc_read_varint(r, &u, what))
		return false;
	*v = (int64_t) (u >> 1) ^ -(int64_t) (u & 1);
	return true;
}

/* A varint length followed by that many bytes. */
bool
cdc_read_str(CdcReader *r, CdcSlice *s, const char *what)
{
	uint64_t	len;

	if (!cdc_read_varint(r, &len, what))
		return false;
	if ((uint64_t) (r->end - r->p) < len)
		return cdc_fail(r, what);
	s->data = (const char *) r->p;
	s->len = (size_t) len;
	r->p += len;
	return true;
}

/* Read a big-endian int64. */
static bool
read_i64(CdcReader *r, int64_t *v, const char *what)
{
	uint64_t	u;

	if (!cdc_read_u64(r, &u, what))
		return false;
	*v = (int64_t) u;
	return true;
}

/* Read a varint count, bounded by max and by the bytes left. */
static bool
read_count(CdcReader *r, uint32_t *n, uint64_t max, const char *what)
{
	uint64_t	u;

	if (!cdc_read_varint(r, &u, what))
		return false;
	if (u > max || u > (uint64_t) (r->end - r->p))
		return cdc_fail(r, what);	/* every element takes at least a byte */
	*n = (uint32_t) u;
	return true;
}

/* BEGIN body. */
bool
cdc_read_begin(CdcReader *r, CdcBegin *b)
{
	return cdc_read_u8(r, &b->version, "BEGIN format version") &&
		cdc_read_u64(r, &b->final_lsn, "BEGIN final LSN") &&
		read_i64(r, &b->commit_time, "BEGIN commit time") &&
		cdc_read_u32(r, &b->xid, "BEGIN xid");
}

/* COMMIT body. */
bool
cdc_read_commit(CdcReader *r, CdcCommit *c)
{
	return cdc_read_u64(r, &c->commit_lsn, "COMMIT LSN") &&
		cdc_read_u64(r, &c->end_lsn, "COMMIT end LSN") &&
		read_i64(r, &c->commit_time, "COMMIT time");
}

/* ORIGIN body. */
bool
cdc_read_origin(CdcReader *r, CdcOrigin *o)
{
	return cdc_read_u64(r, &o->origin_lsn, "ORIGIN LSN") &&
		cdc_read_str(r, &o->name, "ORIGIN name");
}

/* RELATION header; its columns follow. */
bool
cdc_read_relation(CdcReader *r, CdcRelation *rel)
{
	uint8_t		ri;

	if (!cdc_read_u32(r, &rel->relid, "RELATION oid") ||
		!cdc_read_str(r, &rel->schema, "RELATION schema") ||
		!cdc_read_str(r, &rel->table, "RELATION table") ||
		!cdc_read_u8(r, &ri, "RELATION replica identity") ||
		!read_count(r, &rel->ncols, 1664, "RELATION column count"))
		return false;
	if (ri != 'd' && ri != 'f' && ri != 'i' && ri != 'n')
		return cdc_fail(r, "RELATION replica identity");
	rel->replident = (char) ri;
	return true;
}

/* One column of a RELATION. */
bool
cdc_read_column(CdcReader *r, CdcColumn *col)
{
	uint32_t	typmod,
				basetypmod;

	if (!cdc_read_u8(r, &col->flags, "column flags") ||
		!cdc_read_str(r, &col->name, "column name") ||
		!cdc_read_u32(r, &col->typid, "column type") ||
		!cdc_read_u32(r, &typmod, "column typmod") ||
		!cdc_read_u32(r, &col->basetypid, "column base type") ||
		!cdc_read_u32(r, &basetypmod, "column base typmod"))
		return false;
	col->typmod = (int32_t) typmod;
	col->basetypmod = (int32_t) basetypmod;
	return true;
}

/* MESSAGE body. */
bool
cdc_read_message(CdcReader *r, CdcMessage *m)
{
	return cdc_read_u8(r, &m->flags, "MESSAGE flags") &&
		cdc_read_u64(r, &m->lsn, "MESSAGE LSN") &&
		cdc_read_str(r, &m->prefix, "MESSAGE prefix") &&
		cdc_read_str(r, &m->content, "MESSAGE content");
}

/* TRUNCATE header; its relation OIDs follow. */
bool
cdc_read_truncate(CdcReader *r, CdcTruncate *t)
{
	return cdc_read_u8(r, &t->flags, "TRUNCATE flags") &&
		read_count(r, &t->nrels, UINT32_MAX, "TRUNCATE relation count");
}

/* A tuple's column count (after its kind byte). */
bool
cdc_read_tuple_header(CdcReader *r, uint32_t *ncols)
{
	return read_count(r, ncols, 1664, "tuple column count");
}

/* A numeric payload; digits are checked to be base 10000. */
static bool
read_numeric(CdcReader *r, CdcNumeric *n)
{
	int64_t		weight;
	uint64_t	dscale;
	uint32_t	i;

	memset(n, 0, sizeof(*n));
	if (!cdc_read_u8(r, &n->kind, "numeric kind"))
		return false;
	if (n->kind == CDC_NUM_NAN || n->kind == CDC_NUM_PINF || n->kind == CDC_NUM_NINF)
		return true;
	if (n->kind != CDC_NUM_POS && n->kind != CDC_NUM_NEG)
		return cdc_fail(r, "numeric kind");
	if (!cdc_read_svarint(r, &weight, "numeric weight") ||
		weight < -CDC_NUMERIC_MAX_WEIGHT - 1 || weight > CDC_NUMERIC_MAX_WEIGHT)
		return cdc_fail(r, "numeric weight");
	if (!cdc_read_varint(r, &dscale, "numeric scale") || dscale > CDC_NUMERIC_MAX_DSCALE)
		return cdc_fail(r, "numeric scale");
	if (!read_count(r, &n->ndigits, UINT32_MAX, "numeric digit count") ||
		!need(r, (size_t) n->ndigits * 2, "numeric digits"))
		return false;
	n->weight = (int32_t) weight;
	n->dscale = (uint32_t) dscale;
	n->digits = r->p;
	n->digit_order = CDC_BIG_ENDIAN;
	r->p += (size_t) n->ndigits * 2;
	for (i = 0; i < n->ndigits; i++)
		if (cdc_numeric_digit(n, i) > 9999)
			return cdc_fail(r, "numeric digit");
	return true;
}

/* One value: tag and payload. */
bool
cdc_read_value(CdcReader *r, CdcValue *val)
{
	uint8_t		tag;
	uint64_t	u;

	if (!cdc_read_u8(r, &tag, "value tag"))
		return false;
	val->tag = (char) tag;
	switch (tag)
	{
		case CDC_VAL_NULL:
		case CDC_VAL_UNCHANGED:
		case CDC_VAL_FALSE:
		case CDC_VAL_TRUE:
			return true;
		case CDC_VAL_INT:
		case CDC_VAL_DATE:
			return cdc_read_svarint(r, &val->v.i, "integer value");
		case CDC_VAL_TIME:
			if (!cdc_read_varint(r, &u, "time value"))
				return false;
			val->v.i = (int64_t) u;
			return true;
		case CDC_VAL_TIMESTAMP:
		case CDC_VAL_TIMESTAMPTZ:
			return read_i64(r, &val->v.i, "timestamp value");
		case CDC_VAL_FLOAT4:
			{
				uint32_t	bits;

				if (!cdc_read_u32(r, &bits, "float4 value"))
					return false;
				memcpy(&val->v.f4, &bits, sizeof(bits));
				return true;
			}
		case CDC_VAL_FLOAT8:
			if (!cdc_read_u64(r, &u, "float8 value"))
				return false;
			memcpy(&val->v.f8, &u, sizeof(u));
			return true;
		case CDC_VAL_NUMERIC:
			return read_numeric(r, &val->v.num);
		case CDC_VAL_UUID:
			if (!need(r, 16, "uuid value"))
				return false;
			val->v.bytes.data = (const char *) r->p;
			val->v.bytes.len = 16;
			r->p += 16;
			return true;
		case CDC_VAL_TEXT:
		case CDC_VAL_BYTES:
			return cdc_read_str(r, &val->v.bytes, "text value");
		case CDC_VAL_JSONB:
			if (!cdc_read_u8(r, &val->v.jsonb.order, "jsonb byte order"))
				return false;
			if (val->v.jsonb.order != CDC_LITTLE_ENDIAN && val->v.jsonb.order != CDC_BIG_ENDIAN)
				return cdc_fail(r, "jsonb byte order");
			return cdc_read_str(r, &val->v.jsonb.container, "jsonb value");
		default:
			r->p--;
			return cdc_fail(r, "unknown value tag");
	}
}
