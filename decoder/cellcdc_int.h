/*
 * cellcdc_int.h
 *		What the output plugin's files share: the per-session state, the
 *		relation cache entry, and the primitives that write record fields.
 *
 * The plugin is split by concern: cellcdc.c has the callbacks and writes
 * the records around the rows, encode.c encodes column values, options.c
 * parses the plugin options and matches name patterns, relcache.c caches
 * per-relation metadata and decides what the filters exclude.  Field
 * writers are inline here because every record and value goes through them.
 */
#ifndef CELLCDC_INT_H
#define CELLCDC_INT_H

#include "compat.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/rel.h"

#include "pattern.h"
#include "record.h"

/* how a column's values are encoded; chosen once per relation */
typedef enum ColumnEncoding
{
	ENC_BOOL,
	ENC_INT2,
	ENC_INT4,
	ENC_INT8,
	ENC_OID,
	ENC_FLOAT4,
	ENC_FLOAT8,
	ENC_NUMERIC,
	ENC_DATE,
	ENC_TIME,
	ENC_TIMESTAMP,
	ENC_TIMESTAMPTZ,
	ENC_UUID,
	ENC_TEXT,					/* stored as text: send the bytes */
	ENC_BYTEA,
	ENC_JSONB,					/* as stored */
	ENC_OUTPUT					/* anything else: the type's output function */
} ColumnEncoding;

typedef struct ColumnInfo
{
	int			attidx;			/* index into the deformed tuple */
	ColumnEncoding enc;
	int16		typlen;
	FmgrInfo	output;			/* ENC_OUTPUT only */
} ColumnInfo;

typedef struct RelEntry
{
	Oid			relid;			/* hash key */
	bool		valid;			/* false after a relcache invalidation */
	bool		sent;			/* RELATION record sent in this session */
	bool		excluded;		/* by include_tables / exclude_tables */
	MemoryContext mcxt;			/* everything below; reset on rebuild */
	char	   *schema;
	char	   *table;
	char		replident;
	int			ncols;
	ColumnInfo *cols;
	Datum	   *values;			/* deform buffers, natts each */
	bool	   *nulls;
	Datum	   *old_values;
	bool	   *old_nulls;
	/* what the RELATION record says about each sent column */
	uint8	   *flags;
	char	  **names;
	Oid		   *typids;
	int32	   *typmods;
	Oid		   *basetypids;
	int32	   *basetypmods;
} RelEntry;

typedef struct CdcOptions
{
	List	   *include_tables; /* of CdcPattern *; NIL means all */
	List	   *exclude_tables;
	List	   *exclude_columns;
	List	   *message_prefixes;
	bool		message_prefixes_given;
	bool		skip_empty_xacts;
	bool		include_origins;
	bool		only_local;
} CdcOptions;

typedef struct CdcState
{
	CdcOptions	opt;
	MemoryContext change_ctx;	/* reset after every change */
	MemoryContext cache_ctx;	/* relation cache */
	bool		begin_sent;		/* BEGIN of the current transaction written */
	bool		convert_text;	/* database encoding needs conversion to UTF-8 */
	int			skipped_changes;
} CdcState;

/*
 * Does text need converting to UTF-8?  Not in a UTF-8 database, nor in a
 * SQL_ASCII one, whose bytes are passed as stored: there is nothing to
 * convert from.
 */
static inline bool
cdc_convert_text(void)
{
	int			encoding = GetDatabaseEncoding();

	return encoding != PG_UTF8 && encoding != PG_SQL_ASCII;
}

/* ---------- writing record fields ---------- */

/* Make room for n more bytes; the common case costs one comparison. */
static inline void
reserve(StringInfo s, int n)
{
	if (s->len + n >= s->maxlen)
		enlargeStringInfo(s, n);
}

/* Append one byte. */
static inline void
put_u8(StringInfo s, uint8 v)
{
	reserve(s, 1);
	s->data[s->len++] = (char) v;
}

/* Append a big-endian uint32. */
static inline void
put_u32(StringInfo s, uint32 v)
{
	unsigned char *p;

	reserve(s, 4);
	p = (unsigned char *) s->data + s->len;
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	s->len += 4;
}

/* Append a big-endian uint64. */
static inline void
put_u64(StringInfo s, uint64 v)
{
	put_u32(s, (uint32) (v >> 32));
	put_u32(s, (uint32) v);
}

/* Append an unsigned LEB128 varint. */
static inline void
put_varint(StringInfo s, uint64 v)
{
	unsigned char *p;
	int			n = 0;

	reserve(s, 10);
	p = (unsigned char *) s->data + s->len;
	while (v >= 0x80)
	{
		p[n++] = (unsigned char) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char) v;
	s->len += n;
}

/* Append a zigzag-encoded signed varint. */
static inline void
put_svarint(StringInfo s, int64 v)
{
	put_varint(s, ((uint64) v << 1) ^ (uint64) (v >> 63));
}

/* Append a varint length and the bytes. */
static inline void
put_str(StringInfo s, const char *data, size_t len)
{
	put_varint(s, len);
	appendBinaryStringInfoNT(s, data, (int) len);
}

/* Append a NUL-terminated string as a str. */
static inline void
put_cstr(StringInfo s, const char *str)
{
	put_str(s, str, strlen(str));
}

/* encode.c */
extern ColumnEncoding cdc_column_encoding(Oid typid);
extern void cdc_put_relation(StringInfo s, RelEntry *e);
extern void cdc_put_tuple(CdcState *st, StringInfo s, RelEntry *e, char kind,
						  Datum *values, bool *nulls);

/* options.c */
extern void cdc_parse_options(CdcOptions *opt, List *options);
extern bool cdc_patterns_match(List *patterns, const char *const *names);

/* relcache.c */
extern void cdc_relcache_init(CdcState *st);
extern RelEntry *cdc_get_entry(CdcState *st, Relation rel);
extern void cdc_build_entry(CdcState *st, RelEntry *e, Relation rel);
extern void cdc_relcache_sweep(void);

#endif							/* CELLCDC_INT_H */
