/*
 * stored.c
 *		PostgreSQL's stored forms of numeric and jsonb, parsed and printed
 *		exactly as numeric_out and jsonb_out print them.
 *
 * The other half of the record reader (record.h), linked into the extension
 * and the shipper.  The decoder sends numeric digits and jsonb containers as
 * PostgreSQL stores them (FORMAT.md), so printing them happens here, outside
 * the database.  Stored bytes are never trusted: a corrupt value makes the
 * call fail on the reader, with a message naming what was wrong.  Writing a
 * jsonb value keeps its open containers on a heap stack from r->realloc_fn,
 * so that nesting is limited by memory, not by the C stack.
 */
#include "record.h"

#include <stdio.h>
#include <string.h>

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
