/*
 * render_int.h
 *		The renderer's insides, shared by the files of shipper/render/.
 *
 * The renderer works in stages, one file each: types.c maps a column's
 * type to how its values are written (a Kind and a TypeSpec); relation.c
 * applies RELATION records and builds per relation everything that does
 * not change from row to row, with schema.c (Connect schemas) and
 * defaults.c (defaults, NOT NULL fallbacks, TOAST placeholders); topic.c
 * names topics and keeps one table per topic; row.c writes a row's values;
 * text.c, datetime.c and decimal.c write values that come as PostgreSQL
 * text; change.c turns a change into its messages and txmeta.c adds
 * transaction metadata; render.c holds the public entry points.  json.c
 * writes JSON, javafloat.c and javamap.c reproduce what Java prints and in
 * which order.
 */
#ifndef SHIPPER_RENDER_INT_H
#define SHIPPER_RENDER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"
#include "config/config.h"
#include "record.h"
#include "render/render.h"

#define RELHASH			1024
#define UNIX_2000_US	INT64_C(946684800000000)	/* 2000-01-01 in Unix µs */
#define US_PER_DAY		INT64_C(86400000000)
#define DEFAULT_TOPIC_DELIMITER "."

/* built-in type OIDs (fixed in pg_type.dat) */
enum
{
	OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19, OID_INT8 = 20,
	OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26, OID_JSON = 114,
	OID_XML = 142, OID_POINT = 600, OID_CIDR = 650, OID_FLOAT4 = 700,
	OID_FLOAT8 = 701, OID_MACADDR8 = 774, OID_MONEY = 790, OID_MACADDR = 829,
	OID_INET = 869, OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_DATE = 1082,
	OID_TIME = 1083, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184,
	OID_INTERVAL = 1186, OID_TIMETZ = 1266, OID_BIT = 1560, OID_VARBIT = 1562,
	OID_NUMERIC = 1700, OID_UUID = 2950, OID_TSVECTOR = 3614, OID_JSONB = 3802,
	OID_INT4RANGE = 3904, OID_NUMRANGE = 3906, OID_TSRANGE = 3908,
	OID_TSTZRANGE = 3910, OID_DATERANGE = 3912, OID_INT8RANGE = 3926
};

typedef enum Kind
{
	K_BOOL,
	K_INT16,
	K_INT32,
	K_INT64,
	K_FLOAT,
	K_DOUBLE,
	K_DECIMAL,					/* precise, numeric(p,s): Decimal bytes */
	K_VARDECIMAL,				/* precise, numeric: VariableScaleDecimal */
	K_NUM_STRING,				/* decimal.handling.mode=string */
	K_NUM_DOUBLE,				/* decimal.handling.mode=double */
	K_MONEY,					/* PG money text, per decimal mode */
	K_STRING,					/* text as is: text, varchar, enums, inet... */
	K_UUID,						/* io.debezium.data.Uuid */
	K_JSON,						/* io.debezium.data.Json: json, jsonb */
	K_BYTES,					/* bytea, per binary.handling.mode */
	K_DATE,						/* days since 1970 */
	K_TIME_MS,					/* ms past midnight, int32 */
	K_TIME_US,					/* µs past midnight, int64 */
	K_TS_MS,					/* epoch ms */
	K_TS_US,					/* epoch µs */
	K_TSTZ,						/* ZonedTimestamp string */
	K_TIMETZ,					/* ZonedTime string */
	K_INTERVAL,					/* MicroDuration, int64 µs */
	K_BIT1,						/* bit(1): boolean */
	K_BITS,						/* bit(n>1), varbit: io.debezium.data.Bits */
	K_HSTORE,					/* hstore as a Json string */
	K_ARRAY,					/* elements per Col.elem */
	K_UNKNOWN					/* not mapped: PG text as a string */
} Kind;

typedef struct TypeSpec
{
	Kind		kind;
	int			scale;			/* K_DECIMAL, K_MONEY */
	int			precision;		/* K_DECIMAL: connect.decimal.precision */
	int			frac;			/* K_TSTZ: fraction digits */
	int			bits;			/* K_BITS: length parameter */
	const char *type;			/* Connect type: "int32", "string", ... */
	const char *name;			/* Connect logical name, or NULL */
} TypeSpec;

typedef struct Col
{
	char	   *name;			/* as in the RELATION record */
	size_t		name_len;
	char	   *fieldkey;		/* "\"name\":" escaped */
	size_t		fieldkey_len;
	uint8_t		flags;			/* CDC_COL_* */
	uint32_t	typid;
	uint32_t	basetypid;
	int32_t		typmod;			/* of the base type */
	TypeSpec	t;
	TypeSpec	elem;			/* K_ARRAY: the elements */
	ColumnMeta	meta;			/* from the MetaFn, owned */
	char	   *def;			/* schema default as JSON, or NULL */
	size_t		def_len;
	char	   *fallback;		/* NOT NULL column with no value, as JSON */
	size_t		fallback_len;
	char	   *ph;				/* unchanged TOAST placeholder, as JSON */
	size_t		ph_len;
	bool		warned_not_utf8;	/* logged its text is not UTF-8 */
} Col;

/* what a RELATION record said, and everything derived from it */
typedef struct Rel
{
	uint32_t	relid;
	struct Rel *next;			/* hash chain */
	uint8_t    *raw;			/* the RELATION record, to spot resends */
	size_t		raw_len;
	char	   *schema;			/* as in the RELATION record */
	char	   *table;
	char	   *qualified;		/* schema.table: data_collection, errors */
	char	   *quoted;			/* "schema"."table", unambiguous */
	char		replident;
	int			ncols;
	Col		   *cols;
	int			nkey;
	int		   *key;			/* key column indexes, in key order */
	char	   *topic;
	char	   *clash;			/* what already uses the topic, or NULL */
	char	   *key_prefix;		/* {"schema":...,"payload": (key schemas on) */
	size_t		key_prefix_len;
	char	   *val_prefix;		/* {"schema":...,"payload": (value schemas on) */
	size_t		val_prefix_len;
	char	   *src_names;		/* ,"schema":"..","table":".." */
	size_t		src_names_len;
	bool		warned_nothing; /* logged the skipped deletes */
	uint64_t	tx_gen;			/* transaction its tx_slot belongs to */
	int			tx_slot;
} Rel;

typedef struct TxTable
{
	char	   *name;			/* points into a Rel's qualified name (copied) */
	uint32_t	hash;			/* Java hashCode */
	uint64_t	count;
} TxTable;

typedef struct TopicClaim TopicClaim;

struct Renderer
{
	Config		cfg;			/* strings below are our copies */
	char	   *dbname;
	MetaFn		meta;
	void	   *meta_arg;
	Rel		   *rels[RELHASH];
	Rel		   *last;			/* last relation looked up */
	TopicClaims *claims;		/* topic -> what uses it (topic.c), the shipper's */

	Buf			key,
				key2,
				val,
				tmp,
				dig,
				txkey,
				txval;
	CdcValue   *oldv,
			   *newv;
	uint32_t	valcap;

	/* the transaction being read */
	bool		in_txn;
	uint32_t	xid;
	int64_t		commit_us;		/* Unix microseconds */
	uint64_t	final_lsn;
	uint64_t	seq;
	bool		have_last_commit;
	uint64_t	last_commit;	/* end LSN of the last COMMIT */
	bool		have_origin;
	char	   *origin;
	uint64_t	origin_lsn;

	/* provide.transaction.metadata */
	uint64_t	tx_gen;
	bool		tx_begun;
	uint64_t	tx_total;
	TxTable    *txt;
	int			ntxt,
				txtcap;
	int			tx_map_cap;		/* Debezium's HashMap never shrinks */
	uint32_t   *txhash;
	int		   *txorder;

	/* fixed pieces */
	char	   *src_head;		/* "source":{"version":..,...,"ts_ms": */
	size_t		src_head_len;
	char	   *src_db;			/* ,"db":..,"sequence":"[ */
	size_t		src_db_len;
	char	   *msg_topic;
	char	   *tx_topic;
	char	   *msgkey_prefix;
	char	   *msgval_prefix;
	char	   *txkey_prefix;
	char	   *txval_prefix;

	/* the snapshot read being rendered, else NULL */
	const SnapshotSource *read;
	SnapshotMarker read_mark;

	/* what the current record is about, for renderer_failure() */
	const char *cur_table;
	const char *cur_topic;
	const Buf  *cur_key;
	Buf			relname;		/* schema.table of the RELATION being applied */
	Buf			scratch;		/* a key-changing update's new row, ahead */

	char		err[600];
};

/* a + b and a * b wrapping instead of overflowing (only corrupt input gets there) */
static inline int64_t
wadd(int64_t a, int64_t b)
{
	return (int64_t) ((uint64_t) a + (uint64_t) b);
}

static inline int64_t
wmul(int64_t a, int64_t b)
{
	return (int64_t) ((uint64_t) a * (uint64_t) b);
}

/* floor(a / b) for b > 0 */
static inline int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* a cursor over PostgreSQL text, for the parsers of text forms */
typedef struct Cur
{
	const char *p;
	const char *end;
} Cur;

/* Consume ch if it is next. */
static inline bool
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
static inline bool
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

/* render.c */
extern bool render_fail(Renderer *r, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern char *printable(const char *s);

/* relation.c: the relation cache */
extern bool on_relation(Renderer *r, CdcReader *rd, const uint8_t *data, size_t len);
extern Rel *rel_lookup(Renderer *r, uint32_t relid);
extern Rel *rel_get(Renderer *r, uint32_t relid, const char *what);
extern void rel_free(Rel *rel);

/* topic.c */
extern char *topic_sanitize(const char *name);
extern char *quoted_name(const char *schema, const char *table);
extern const char *topic_claim(TopicClaims *claims, const char *topic, const char *holder);
extern char *table_holder(const char *quoted);

/* types.c */
extern void classify_column(const Config *cfg, Col *c);

/* schema.c: Connect schemas, each as a message prefix {"schema":...,"payload": */
extern char *key_prefix(const Config *cfg, const char *name, const Col *cols, const int *key,
						int nkey, size_t *len);
extern char *envelope_prefix(const Config *cfg, const char *value_name,
							 const char *envelope_name, const Col *cols, int ncols,
							 size_t *len);
extern char *message_key_prefix(void);
extern char *message_value_prefix(const Config *cfg);
extern char *tx_key_prefix(void);
extern char *tx_value_prefix(void);

/* defaults.c: what a column gets without a value */
extern void column_constants(const Config *cfg, Col *c, Buf *tmp);

/* row.c */
extern bool write_row(Renderer *r, Buf *b, const Rel *rel, const CdcValue *vals);
extern bool write_key(Renderer *r, Buf *b, const Rel *rel, const CdcValue *vals);

/* change.c */
extern bool on_change(Renderer *r, CdcReader *rd, uint8_t kind, uint64_t lsn, EmitFn emit,
					  void *arg);
extern bool on_truncate(Renderer *r, CdcReader *rd, uint64_t lsn, EmitFn emit, void *arg);
extern bool on_message(Renderer *r, CdcReader *rd, uint64_t lsn, EmitFn emit, void *arg);
extern bool check_end(Renderer *r, CdcReader *rd, const char *what);
extern bool deliver(Renderer *r, EmitFn emit, void *arg, const char *topic, const Buf *key,
					const Buf *val, uint64_t lsn, const char *hdr, const Buf *hdrval);

/* txmeta.c: provide.transaction.metadata */
extern bool tx_event(Renderer *r, EmitFn emit, void *arg, bool end, uint64_t lsn);
extern bool tx_count(Renderer *r, Rel *rel, uint64_t lsn, EmitFn emit, void *arg,
					 uint64_t *dc_order);
extern void write_txblock(Renderer *r, Buf *b, bool tx, uint64_t lsn, uint64_t dc_order);

/* text.c: values given as PostgreSQL text */
extern bool write_text_value(const Config *cfg, Buf *b, const TypeSpec *t, const Col *c,
							 const char *s, size_t len, Buf *tmp, char *err, size_t errlen);
extern bool parse_bytea(const char *s, size_t len, Buf *out);
extern void write_binary(Buf *b, BinaryMode mode, const uint8_t *p, size_t len);

/* datetime.c */
extern bool cur_time(Cur *c, int64_t *us);
extern bool parse_date(const char *s, size_t len, int64_t *days);
extern bool parse_timestamp(const char *s, size_t len, bool tz, int64_t *us, int *inf);
extern bool parse_timetz(const char *s, size_t len, int64_t *us);
extern bool parse_interval(const char *s, size_t len, int64_t *out);
extern void write_zoned_ts(Buf *b, int64_t unix_us, int frac);
extern void write_zoned_time(Buf *b, int64_t us_of_day);

/* decimal.c */
extern void numeric_digits(const CdcNumeric *n, Buf *d);
extern bool parse_decimal(const char *s, size_t len, bool *neg, Buf *d, int *scale,
						  int *special);
extern bool parse_money(const char *s, size_t len, bool *neg, Buf *d, int *scale);
extern bool write_decimal(Buf *b, const TypeSpec *t, DecimalMode mode, bool neg,
						  const char *digits, size_t nd, int scale, int special,
						  Buf *tmp, char *err, size_t errlen);

/* javamap.c: Java's HashMap iteration order for string keys */
extern uint32_t java_string_hash(const char *s, size_t len);
extern void java_hashmap_order(const uint32_t *hashes, int n, int capacity, int *order);
extern int	java_hashmap_capacity(int n);

#endif							/* SHIPPER_RENDER_INT_H */
