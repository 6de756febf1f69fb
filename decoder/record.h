/*
 * record.h
 *		The cellcdc record format: constants, and a reader shared by the SQL
 *		renderer (backend) and the shipper (frontend).
 *
 * This is the one definition of the format that decoder/FORMAT.md specifies
 * byte by byte.  The encoder lives in cellcdc.c and encode.c; everything
 * that parses records goes through the reader below (record.c, and
 * stored.c for numeric and jsonb), which is plain C99 (no palloc, no
 * ereport) so that both sides of the wire can link it.  The
 * reader never trusts its input: every read is bounds-checked and failures
 * name what was being read and where.
 */
#ifndef CELLCDC_RECORD_H
#define CELLCDC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CDC_FORMAT_VERSION	1

/* record kinds: the first byte of every record */
#define CDC_BEGIN		'B'
#define CDC_COMMIT		'C'
#define CDC_ORIGIN		'O'
#define CDC_RELATION	'R'
#define CDC_INSERT		'I'
#define CDC_UPDATE		'U'
#define CDC_DELETE		'D'
#define CDC_TRUNCATE	'T'
#define CDC_MESSAGE		'M'

/* tuple kinds inside INSERT / UPDATE / DELETE */
#define CDC_TUPLE_NEW	'N'
#define CDC_TUPLE_KEY	'K'		/* replica identity columns; others null */
#define CDC_TUPLE_OLD	'O'		/* the whole old row (REPLICA IDENTITY FULL) */

/* column flags in RELATION */
#define CDC_COL_PKEY		0x01	/* part of the primary key */
#define CDC_COL_IDENTITY	0x02	/* part of the replica identity index */
#define CDC_COL_NOTNULL		0x04

/* TRUNCATE flags */
#define CDC_TRUNCATE_CASCADE	0x01
#define CDC_TRUNCATE_RESTART	0x02

/* MESSAGE flags */
#define CDC_MESSAGE_TRANSACTIONAL 0x01

/* value tags */
#define CDC_VAL_NULL		'n'
#define CDC_VAL_UNCHANGED	'u'		/* unchanged TOASTed value, not in WAL */
#define CDC_VAL_FALSE		'0'
#define CDC_VAL_TRUE		'1'
#define CDC_VAL_INT			'i'		/* int2/int4/int8: zigzag varint */
#define CDC_VAL_FLOAT4		'e'		/* IEEE 754 binary32, big-endian */
#define CDC_VAL_FLOAT8		'd'		/* IEEE 754 binary64, big-endian */
#define CDC_VAL_NUMERIC		'N'
#define CDC_VAL_DATE		'D'		/* zigzag varint days since 2000-01-01 */
#define CDC_VAL_TIME		'h'		/* varint microseconds since midnight */
#define CDC_VAL_TIMESTAMP	's'		/* int64 µs since 2000-01-01, no zone */
#define CDC_VAL_TIMESTAMPTZ 'z'		/* int64 µs since 2000-01-01 00:00 UTC */
#define CDC_VAL_UUID		'g'		/* 16 bytes */
#define CDC_VAL_TEXT		'T'		/* varint length + UTF-8 bytes */
#define CDC_VAL_BYTES		'b'		/* varint length + bytes */
#define CDC_VAL_JSONB		'J'		/* byte order + jsonb container bytes */

/* byte order of the server, for values copied as stored (jsonb) */
#define CDC_LITTLE_ENDIAN	0
#define CDC_BIG_ENDIAN		1

/* numeric kinds */
#define CDC_NUM_POS		0
#define CDC_NUM_NEG		1
#define CDC_NUM_NAN		2
#define CDC_NUM_PINF	3
#define CDC_NUM_NINF	4

/* infinities of date and timestamp values */
#define CDC_DATE_NINF	INT32_MIN
#define CDC_DATE_PINF	INT32_MAX
#define CDC_TS_NINF		INT64_MIN
#define CDC_TS_PINF		INT64_MAX

/*
 * Resize ptr to size bytes, like realloc (ptr NULL: allocate); size 0 frees
 * ptr and returns NULL.  NULL otherwise means out of memory.
 */
typedef void *(*CdcRealloc) (void *ptr, size_t size);

typedef struct CdcReader
{
	const uint8_t *start;
	const uint8_t *p;
	const uint8_t *end;
	char		error[160];		/* set when a read fails */
	CdcRealloc	realloc_fn;		/* scratch memory; the C heap unless set */
} CdcReader;

typedef struct CdcSlice
{
	const char *data;
	size_t		len;
} CdcSlice;

typedef struct CdcNumeric
{
	uint8_t		kind;			/* CDC_NUM_* */
	int32_t		weight;			/* base-10000 exponent of the first digit */
	uint32_t	dscale;			/* decimal digits after the point */
	uint32_t	ndigits;
	const uint8_t *digits;		/* ndigits uint16, each 0..9999 */
	uint8_t		digit_order;	/* CDC_BIG_ENDIAN in records, else as stored */
} CdcNumeric;

typedef struct CdcJsonb
{
	uint8_t		order;			/* CDC_LITTLE_ENDIAN or CDC_BIG_ENDIAN */
	CdcSlice	container;		/* PostgreSQL's JsonbContainer, as stored */
} CdcJsonb;

/* where text produced by the reader goes */
typedef void (*CdcWrite) (void *arg, const char *data, size_t len);

typedef struct CdcValue
{
	char		tag;			/* CDC_VAL_* */
	union
	{
		int64_t		i;			/* INT, DATE, TIME, TIMESTAMP, TIMESTAMPTZ */
		float		f4;
		double		f8;
		CdcNumeric	num;
		CdcSlice	bytes;		/* TEXT, BYTES, UUID (16 bytes) */
		CdcJsonb	jsonb;
	}			v;
} CdcValue;

typedef struct CdcBegin
{
	uint8_t		version;
	uint64_t	final_lsn;
	int64_t		commit_time;
	uint32_t	xid;
} CdcBegin;

typedef struct CdcCommit
{
	uint64_t	commit_lsn;
	uint64_t	end_lsn;
	int64_t		commit_time;
} CdcCommit;

typedef struct CdcOrigin
{
	uint64_t	origin_lsn;
	CdcSlice	name;
} CdcOrigin;

typedef struct CdcRelation
{
	uint32_t	relid;
	CdcSlice	schema;
	CdcSlice	table;
	char		replident;		/* 'd', 'f', 'i' or 'n', as pg_class */
	uint32_t	ncols;			/* columns follow: cdc_read_column() each */
} CdcRelation;

typedef struct CdcColumn
{
	uint8_t		flags;			/* CDC_COL_* */
	CdcSlice	name;
	uint32_t	typid;
	int32_t		typmod;
	uint32_t	basetypid;		/* typid itself unless typid is a domain */
	int32_t		basetypmod;
} CdcColumn;

typedef struct CdcMessage
{
	uint8_t		flags;
	uint64_t	lsn;
	CdcSlice	prefix;
	CdcSlice	content;
} CdcMessage;

typedef struct CdcTruncate
{
	uint8_t		flags;
	uint32_t	nrels;			/* relids follow: cdc_read_u32() each */
} CdcTruncate;

extern void cdc_reader_init(CdcReader *r, const void *data, size_t len);
extern bool cdc_at_end(const CdcReader *r);
extern bool cdc_fail(CdcReader *r, const char *what);

extern bool cdc_read_u8(CdcReader *r, uint8_t *v, const char *what);
extern bool cdc_read_u32(CdcReader *r, uint32_t *v, const char *what);
extern bool cdc_read_u64(CdcReader *r, uint64_t *v, const char *what);
extern bool cdc_read_varint(CdcReader *r, uint64_t *v, const char *what);
extern bool cdc_read_svarint(CdcReader *r, int64_t *v, const char *what);
extern bool cdc_read_str(CdcReader *r, CdcSlice *s, const char *what);

/* record bodies: call after reading the kind byte */
extern bool cdc_read_begin(CdcReader *r, CdcBegin *b);
extern bool cdc_read_commit(CdcReader *r, CdcCommit *c);
extern bool cdc_read_origin(CdcReader *r, CdcOrigin *o);
extern bool cdc_read_relation(CdcReader *r, CdcRelation *rel);
extern bool cdc_read_column(CdcReader *r, CdcColumn *col);
extern bool cdc_read_message(CdcReader *r, CdcMessage *m);
extern bool cdc_read_truncate(CdcReader *r, CdcTruncate *t);

/* tuples: a column count, then that many values */
extern bool cdc_read_tuple_header(CdcReader *r, uint32_t *ncols);
extern bool cdc_read_value(CdcReader *r, CdcValue *val);

extern bool cdc_disk_numeric(const uint8_t *body, size_t len, uint8_t order, CdcNumeric *n);
extern bool cdc_jsonb_text(CdcReader *r, const CdcJsonb *jb, CdcWrite write, void *arg);

extern unsigned cdc_numeric_digit(const CdcNumeric *n, uint32_t i);
extern void cdc_numeric_text(const CdcNumeric *n, CdcWrite write, void *arg);

#endif							/* CELLCDC_RECORD_H */
