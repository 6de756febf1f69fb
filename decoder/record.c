/*
 * record.c
 *		Bounds-checked reader for cellcdc records.
 *
 * Linked into the extension (for cellcdc.render) and into the shipper.  It
 * never reads past the end of its input: a truncated or corrupt record makes
 * the read fail with a message in r->error naming the field and the byte
 * offset, and the caller decides how to report it.  The only memory it
 * allocates is the stack of open containers while writing a jsonb value, so
 * that nesting is limited by memory, not by the C stack; it comes from
 * r->realloc_fn, which the backend points at palloc.
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

/* A 16-bit integer stored in the given byte order. */
static unsigned
load16(const uint8_t *p, uint8_t order)
{
	return order == CDC_BIG_ENDIAN ? ((unsigned) p[0] << 8) | p[1] : ((unsigned) p[1] << 8) | p[0];
}

/* A 32-bit integer stored in the given byte order. */
static uint32_t
load32(const uint8_t *p, uint8_t order)
{
	if (order == CDC_BIG_ENDIAN)
		return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
	return ((uint32_t) p[3] << 24) | ((uint32_t) p[2] << 16) | ((uint32_t) p[1] << 8) | p[0];
}

/* The i-th base-10000 digit of a numeric (i < ndigits). */
unsigned
cdc_numeric_digit(const CdcNumeric *n, uint32_t i)
{
	return load16(n->digits + 2 * i, n->digit_order);
}

/*
 * PostgreSQL's on-disk numeric (the bytes after its varlena header, in the
 * server's byte order): the first uint16 says which of three forms follows.
 * Short: sign, display scale and a 7-bit weight packed in it.  Long: sign and
 * display scale, then an int16 weight.  Special: NaN or an infinity.  The
 * digits are base-10000 int16s, most significant first.
 */
#define DISK_NUMERIC_FORM			0xC000
#define DISK_NUMERIC_NEG			0x4000
#define DISK_NUMERIC_SHORT			0x8000
#define DISK_NUMERIC_SPECIAL		0xC000
#define DISK_NUMERIC_SPECIAL_MASK	0xF000
#define DISK_NUMERIC_NAN			0xC000
#define DISK_NUMERIC_PINF			0xD000
#define DISK_NUMERIC_NINF			0xF000
#define DISK_NUMERIC_DSCALE_MASK	0x3FFF
#define DISK_NUMERIC_SHORT_NEG		0x2000
#define DISK_NUMERIC_SHORT_DSCALE	0x1F80
#define DISK_NUMERIC_SHORT_DSCALE_SHIFT 7
#define DISK_NUMERIC_SHORT_WEIGHT_NEG 0x0040
#define DISK_NUMERIC_SHORT_WEIGHT	0x003F

/* Parse an on-disk numeric; false if it is not one. */
bool
cdc_disk_numeric(const uint8_t *body, size_t len, uint8_t order, CdcNumeric *n)
{
	unsigned	header;
	uint32_t	i;

	memset(n, 0, sizeof(*n));
	n->digit_order = order;
	if (len < 2)
		return false;
	header = load16(body, order);
	switch (header & DISK_NUMERIC_FORM)
	{
		case DISK_NUMERIC_SPECIAL:
			switch (header & DISK_NUMERIC_SPECIAL_MASK)
			{
				case DISK_NUMERIC_NAN:
					n->kind = CDC_NUM_NAN;
					return true;
				case DISK_NUMERIC_PINF:
					n->kind = CDC_NUM_PINF;
					return true;
				case DISK_NUMERIC_NINF:
					n->kind = CDC_NUM_NINF;
					return true;
				default:
					return false;
			}
		case DISK_NUMERIC_SHORT:
			n->kind = (header & DISK_NUMERIC_SHORT_NEG) ? CDC_NUM_NEG : CDC_NUM_POS;
			n->dscale = (header & DISK_NUMERIC_SHORT_DSCALE) >> DISK_NUMERIC_SHORT_DSCALE_SHIFT;
			n->weight = (int32_t) (header & DISK_NUMERIC_SHORT_WEIGHT) -
				((header & DISK_NUMERIC_SHORT_WEIGHT_NEG) ? DISK_NUMERIC_SHORT_WEIGHT + 1 : 0);
			body += 2;
			len -= 2;
			break;
		default:
			if (len < 4)
				return false;
			n->kind = (header & DISK_NUMERIC_FORM) == DISK_NUMERIC_NEG ? CDC_NUM_NEG : CDC_NUM_POS;
			n->dscale = header & DISK_NUMERIC_DSCALE_MASK;
			n->weight = (int16_t) load16(body + 2, order);
			body += 4;
			len -= 4;
			break;
	}
	if (len % 2 != 0)
		return false;
	n->ndigits = (uint32_t) (len / 2);
	n->digits = body;
	for (i = 0; i < n->ndigits; i++)
		if (cdc_numeric_digit(n, i) > 9999)
			return false;
	return true;
}

/* Write a NUL-terminated string. */
static void
write_str(CdcWrite write, void *arg, const char *s)
{
	write(arg, s, strlen(s));
}

/*
 * Decimal text of a numeric, exactly as PostgreSQL's numeric_out prints it:
 * no exponent, dscale digits after the point, NaN / Infinity / -Infinity.
 */
void
cdc_numeric_text(const CdcNumeric *n, CdcWrite write, void *arg)
{
	char		buf[8];
	int64_t		i;
	uint32_t	written = 0;

	switch (n->kind)
	{
		case CDC_NUM_NAN:
			write_str(write, arg, "NaN");
			return;
		case CDC_NUM_PINF:
			write_str(write, arg, "Infinity");
			return;
		case CDC_NUM_NINF:
			write_str(write, arg, "-Infinity");
			return;
		case CDC_NUM_NEG:
			write_str(write, arg, "-");
			break;
	}
	if (n->weight < 0)
		write_str(write, arg, "0");
	for (i = 0; i <= n->weight; i++)
	{
		unsigned	d = i < n->ndigits ? cdc_numeric_digit(n, (uint32_t) i) : 0;

		snprintf(buf, sizeof(buf), i == 0 ? "%u" : "%04u", d);
		write_str(write, arg, buf);
	}
	if (n->dscale > 0)
	{
		write_str(write, arg, ".");
		for (i = (int64_t) n->weight + 1; written < n->dscale; i++)
		{
			unsigned	d = (i >= 0 && i < n->ndigits) ? cdc_numeric_digit(n, (uint32_t) i) : 0;
			size_t		k = n->dscale - written < 4 ? n->dscale - written : 4;

			snprintf(buf, sizeof(buf), "%04u", d);
			write(arg, buf, k);
			written += (uint32_t) k;
		}
	}
}

/*
 * jsonb: PostgreSQL's JsonbContainer, as stored.  A container is a uint32
 * header (element count and kind), one uint32 JEntry per element (per key
 * and value for objects: all keys first), then the data.  A JEntry has the
 * element's type and either its length or, every so often, its end offset.
 * Numerics and nested containers are padded to 4-byte alignment, which is
 * alignment relative to the start of the data area.
 */
#define JB_COUNT_MASK		0x0FFFFFFF
#define JB_SCALAR			0x10000000
#define JB_OBJECT			0x20000000
#define JB_ARRAY			0x40000000
#define JE_OFFLEN_MASK		0x0FFFFFFF
#define JE_TYPE_MASK		0x70000000
#define JE_HAS_OFF			0x80000000
#define JE_STRING			0x00000000
#define JE_NUMERIC			0x10000000
#define JE_FALSE			0x20000000
#define JE_TRUE				0x30000000
#define JE_NULL				0x40000000
#define JE_CONTAINER		0x50000000

/* One open container of a jsonb walk. */
typedef struct JsonbFrame
{
	const uint8_t *entries;		/* one JEntry per element; objects: keys first */
	const uint8_t *data;		/* the data area */
	size_t		datalen;
	uint32_t	count;			/* elements, or key/value pairs */
	uint32_t	kind;			/* JB_OBJECT, JB_ARRAY, or JB_ARRAY | JB_SCALAR */
	uint32_t	next;			/* the element (or pair) to write next */
	size_t		start;			/* where it (or its key) starts in data */
	size_t		vstart;			/* objects: where its value starts */
} JsonbFrame;

typedef struct JsonbWalk
{
	CdcReader  *r;				/* for errors and memory */
	uint8_t		order;
	CdcWrite	write;
	void	   *arg;
	JsonbFrame *stack;			/* the open containers, outermost first */
	size_t		depth;			/* frames in use */
	size_t		size;			/* frames allocated */
} JsonbWalk;

/* A JSON string, escaped as PostgreSQL's escape_json does. */
static void
jsonb_string(JsonbWalk *w, const uint8_t *s, size_t len)
{
	const uint8_t *run = s;
	const uint8_t *p;

	w->write(w->arg, "\"", 1);
	for (p = s; p < s + len; p++)
	{
		const char *esc;
		char		buf[8];

		switch (*p)
		{
			case '\b':
				esc = "\\b";
				break;
			case '\f':
				esc = "\\f";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			default:
				if (*p >= 0x20)
					continue;
				snprintf(buf, sizeof(buf), "\\u%04x", *p);
				esc = buf;
				break;
		}
		w->write(w->arg, (const char *) run, (size_t) (p - run));
		write_str(w->write, w->arg, esc);
		run = p + 1;
	}
	w->write(w->arg, (const char *) run, (size_t) (p - run));
	w->write(w->arg, "\"", 1);
}

/* A numeric inside jsonb: a whole varlena, after alignment padding. */
static bool
jsonb_numeric(JsonbWalk *w, const uint8_t *p, size_t len)
{
	CdcNumeric	n;
	size_t		varlen;
	size_t		hdr;

	if (len == 0)
		return cdc_fail(w->r, "jsonb numeric");
	if (w->order == CDC_LITTLE_ENDIAN ? (p[0] & 0x01) : (p[0] & 0x80))
	{
		/* one-byte varlena header */
		varlen = w->order == CDC_LITTLE_ENDIAN ? p[0] >> 1 : p[0] & 0x7F;
		hdr = 1;
	}
	else
	{
		uint32_t	h;

		if (len < 4 || (w->order == CDC_LITTLE_ENDIAN ? (p[0] & 0x03) : (p[0] & 0xC0)) != 0)
			return cdc_fail(w->r, "jsonb numeric");	/* compressed: never inside jsonb */
		h = load32(p, w->order);
		varlen = w->order == CDC_LITTLE_ENDIAN ? h >> 2 : h & 0x3FFFFFFF;
		hdr = 4;
	}
	if (varlen < hdr || varlen > len || !cdc_disk_numeric(p + hdr, varlen - hdr, w->order, &n))
		return cdc_fail(w->r, "jsonb numeric");
	cdc_numeric_text(&n, w->write, w->arg);
	return true;
}

/* Make room for one more open container. */
static bool
jsonb_grow(JsonbWalk *w)
{
	size_t		size = w->size > 0 ? 2 * w->size : 32;
	JsonbFrame *stack;

	if (size > SIZE_MAX / sizeof(JsonbFrame) ||
		(stack = w->r->realloc_fn(w->stack, size * sizeof(JsonbFrame))) == NULL)
		return cdc_fail(w->r, "jsonb nesting (out of memory)");
	w->stack = stack;
	w->size = size;
	return true;
}

/* Where element i's data ends, given where it starts; false if impossible. */
static bool
jsonb_span(JsonbWalk *w, const uint8_t *entries, uint32_t i, size_t start, size_t datalen,
		   size_t *end)
{
	uint32_t	entry = load32(entries + 4 * (size_t) i, w->order);
	size_t		offlen = entry & JE_OFFLEN_MASK;

	*end = (entry & JE_HAS_OFF) ? offlen : start + offlen;
	if (*end < start || *end > datalen)
		return cdc_fail(w->r, "jsonb element offset");
	return true;
}

/* Check a container's header, push it on the stack and write its opening. */
static bool
jsonb_open(JsonbWalk *w, const uint8_t *c, size_t len)
{
	JsonbFrame *f;
	uint32_t	header;
	uint32_t	count;
	size_t		nentries;
	uint32_t	i;

	if (len < 4)
		return cdc_fail(w->r, "jsonb container");
	header = load32(c, w->order);
	count = header & JB_COUNT_MASK;
	if (((header & JB_OBJECT) != 0) == ((header & JB_ARRAY) != 0) ||
		((header & JB_SCALAR) && ((header & JB_OBJECT) || count != 1)))
		return cdc_fail(w->r, "jsonb container kind");
	nentries = (header & JB_OBJECT) ? 2 * (size_t) count : count;
	if (nentries > (len - 4) / 4)
		return cdc_fail(w->r, "jsonb element count");
	if (w->depth == w->size && !jsonb_grow(w))
		return false;

	f = &w->stack[w->depth++];
	f->entries = c + 4;
	f->data = f->entries + 4 * nentries;
	f->datalen = len - 4 - 4 * nentries;
	f->count = count;
	f->kind = header & (JB_OBJECT | JB_ARRAY | JB_SCALAR);
	f->next = 0;
	f->start = 0;
	f->vstart = 0;
	if (f->kind & JB_OBJECT)
	{
		/* values start where the last key ends */
		for (i = 0; i < count; i++)
			if (!jsonb_span(w, f->entries, i, f->vstart, f->datalen, &f->vstart))
				return false;
		write_str(w->write, w->arg, "{");
	}
	else if (!(f->kind & JB_SCALAR))
		write_str(w->write, w->arg, "[");
	return true;
}

/*
 * One element: data at offset off (from the data area start), len bytes.  A
 * container is opened, to be written by the loop in jsonb_walk.
 */
static bool
jsonb_element(JsonbWalk *w, uint32_t entry, const uint8_t *data, size_t off, size_t len)
{
	const uint8_t *p = data + off;
	size_t		pad = (4 - off % 4) % 4;

	switch (entry & JE_TYPE_MASK)
	{
		case JE_STRING:
			jsonb_string(w, p, len);
			return true;
		case JE_NUMERIC:
			return pad <= len ? jsonb_numeric(w, p + pad, len - pad) : cdc_fail(w->r, "jsonb numeric");
		case JE_FALSE:
			write_str(w->write, w->arg, "false");
			return true;
		case JE_TRUE:
			write_str(w->write, w->arg, "true");
			return true;
		case JE_NULL:
			write_str(w->write, w->arg, "null");
			return true;
		case JE_CONTAINER:
			return pad <= len ? jsonb_open(w, p + pad, len - pad)
				: cdc_fail(w->r, "jsonb container");
		default:
			return cdc_fail(w->r, "jsonb element type");
	}
}

/*
 * Write a container and everything in it, depth first, without recursion:
 * each step writes the next element of the innermost open container, or
 * closes it.  A nested container lies inside its parent's data area, so
 * the depth is bounded by the input's length.
 */
static bool
jsonb_walk(JsonbWalk *w, const uint8_t *c, size_t len)
{
	if (!jsonb_open(w, c, len))
		return false;
	while (w->depth > 0)
	{
		JsonbFrame *f = &w->stack[w->depth - 1];
		uint32_t	i = f->next;
		size_t		start;
		size_t		end;

		if (i == f->count)
		{
			if (f->kind & JB_OBJECT)
				write_str(w->write, w->arg, "}");
			else if (!(f->kind & JB_SCALAR))
				write_str(w->write, w->arg, "]");
			w->depth--;
			continue;
		}
		f->next++;
		if (i > 0)
			write_str(w->write, w->arg, ", ");
		if (f->kind & JB_OBJECT)
		{
			if (!jsonb_span(w, f->entries, i, f->start, f->datalen, &end))
				return false;
			if ((load32(f->entries + 4 * (size_t) i, w->order) & JE_TYPE_MASK) != JE_STRING)
				return cdc_fail(w->r, "jsonb object key");
			jsonb_string(w, f->data + f->start, end - f->start);
			write_str(w->write, w->arg, ": ");
			f->start = end;
			i += f->count;		/* the value's entry */
			start = f->vstart;
			if (!jsonb_span(w, f->entries, i, start, f->datalen, &end))
				return false;
			f->vstart = end;
		}
		else
		{
			start = f->start;
			if (!jsonb_span(w, f->entries, i, start, f->datalen, &end))
				return false;
			f->start = end;
		}
		/* may push a frame: f is not used after this */
		if (!jsonb_element(w, load32(f->entries + 4 * (size_t) i, w->order), f->data, start,
						   end - start))
			return false;
	}
	return true;
}

/*
 * Write a jsonb value as text exactly as PostgreSQL's jsonb_out does.  On a
 * malformed container it fails on r, possibly after writing part of it.
 */
bool
cdc_jsonb_text(CdcReader *r, const CdcJsonb *jb, CdcWrite write, void *arg)
{
	JsonbWalk	w;
	bool		ok;

	w.r = r;
	w.order = jb->order;
	w.write = write;
	w.arg = arg;
	w.stack = NULL;
	w.depth = 0;
	w.size = 0;
	ok = jsonb_walk(&w, (const uint8_t *) jb->container.data, jb->container.len);
	if (w.stack != NULL)
		r->realloc_fn(w.stack, 0);
	return ok;
}
