/*
 * cellcdc.c
 *		The cellcdc logical decoding output plugin.
 *
 * It turns decoded changes into the compact binary records specified in
 * decoder/FORMAT.md (kinds and tags in record.h).  It runs inside the
 * walsender of a production database, so it follows pgoutput's discipline:
 * options are parsed once at startup and every bad one is an ERROR naming it;
 * per-relation metadata (names, filters, column encodings, output functions)
 * is cached and invalidated by relcache callbacks registered once per
 * backend; every change is encoded in a memory context that is reset right
 * after it; unchanged TOASTed values are never fetched, only marked.
 * Filtering happens here, so an excluded table or column never leaves the
 * database.
 */
#include "compat.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "nodes/bitmapset.h"
#include "replication/logical.h"
#include "replication/origin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "record.h"

PG_MODULE_MAGIC;

extern PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks *cb);

/* how often to report progress while changes are being filtered out */
#define PROGRESS_EVERY_CHANGES 100

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

/* A table or column pattern: name parts, each with its own wildcards. */
typedef struct Pattern
{
	int			nparts;
	char	   *part[3];
	bool	   *wild[3];		/* wild[i][j]: part[i][j] is an unescaped '*' */
	int			len[3];
} Pattern;

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
	List	   *include_tables; /* of Pattern *; NIL means all */
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

static HTAB *RelCache = NULL;
static bool callbacks_registered = false;

static void cdc_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt, bool is_init);
static void cdc_shutdown(LogicalDecodingContext *ctx);
static void cdc_begin(LogicalDecodingContext *ctx, ReorderBufferTXN *txn);
static void cdc_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr commit_lsn);
static void cdc_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
					   Relation relation, ReorderBufferChange *change);
static void cdc_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
						 int nrelations, Relation relations[], ReorderBufferChange *change);
static void cdc_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
						XLogRecPtr message_lsn, bool transactional,
						const char *prefix, Size message_size, const char *message);
static bool cdc_filter_by_origin(LogicalDecodingContext *ctx, RepOriginId origin_id);

void
_PG_output_plugin_init(OutputPluginCallbacks *cb)
{
	cb->startup_cb = cdc_startup;
	cb->begin_cb = cdc_begin;
	cb->change_cb = cdc_change;
	cb->truncate_cb = cdc_truncate;
	cb->commit_cb = cdc_commit;
	cb->message_cb = cdc_message;
	cb->filter_by_origin_cb = cdc_filter_by_origin;
	cb->shutdown_cb = cdc_shutdown;
}

/* ---------- writing ---------- */

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

/* Append a tuple: kind, column count, the sent columns' values. */
static void
put_tuple(CdcState *st, StringInfo s, RelEntry *e, char kind, Datum *values, bool *nulls)
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

/* ---------- options ---------- */

/* Report a malformed pattern in a list option. */
static void
bad_pattern(const char *option, const char *item, const char *example)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 item[strspn(item, " \t")] == '\0' ?
			 errmsg("cellcdc: option \"%s\" has an empty item", option) :
			 errmsg("cellcdc: option \"%s\" has an invalid pattern \"%s\"", option, item),
			 errhint("Use %s, with \\ to escape a literal \".\", \",\", \"*\" or \"\\\".", example)));
}

/*
 * Parse a comma-separated list of patterns with nparts dot-separated name
 * parts (1 = no splitting).  '*' is a wildcard, '\' escapes the next
 * character, unescaped blanks around an item are ignored.
 */
static List *
parse_patterns(const char *option, const char *value, int nparts, const char *example)
{
	enum
	{
		LITERAL, ESCAPED, WILD, DOT
	};
	List	   *result = NIL;
	const char *p = value;
	size_t		size = strlen(value) + 1;
	char	   *chars = palloc(size);
	uint8	   *kinds = palloc(size);

	for (;;)
	{
		const char *item = p;
		Pattern    *pat = palloc0(sizeof(Pattern));
		int			len = 0;
		int			start = 0;
		int			i;

		while (*p && *p != ',')
		{
			char		c = *p++;

			if (c == '\\')
			{
				if (*p == '\0')
					bad_pattern(option, item, example);
				chars[len] = *p++;
				kinds[len++] = ESCAPED;
				continue;
			}
			chars[len] = c;
			kinds[len++] = c == '*' ? WILD : (c == '.' && nparts > 1) ? DOT : LITERAL;
		}
		while (start < len && kinds[start] == LITERAL && isspace((unsigned char) chars[start]))
			start++;
		while (len > start && kinds[len - 1] == LITERAL && isspace((unsigned char) chars[len - 1]))
			len--;

		pat->nparts = 1;
		for (i = 0; i < nparts; i++)
		{
			pat->part[i] = palloc(size);
			pat->wild[i] = palloc(size * sizeof(bool));
		}
		for (i = start; i < len; i++)
		{
			int			part = pat->nparts - 1;

			if (kinds[i] == DOT)
			{
				if (pat->nparts++ == nparts)
					break;
				continue;
			}
			pat->part[part][pat->len[part]] = chars[i];
			pat->wild[part][pat->len[part]++] = kinds[i] == WILD;
		}
		for (i = 0; i < pat->nparts && pat->nparts == nparts; i++)
			if (pat->len[i] == 0)
				break;
		if (pat->nparts != nparts || i < nparts)
			bad_pattern(option, pnstrdup(item, p - item), example);
		result = lappend(result, pat);
		if (*p == '\0')
			break;
		p++;					/* the comma */
	}
	return result;
}

/* Glob match of one name part; '*' matches any run of characters. */
static bool
part_matches(const Pattern *pat, int part, const char *name)
{
	const char *pc = pat->part[part];
	const bool *pw = pat->wild[part];
	int			plen = pat->len[part];
	int			pi = 0;
	const char *n = name;
	int			star = -1;
	const char *star_n = NULL;

	while (*n)
	{
		if (pi < plen && pw[pi])
		{
			star = pi++;
			star_n = n;
		}
		else if (pi < plen && pc[pi] == *n)
		{
			pi++;
			n++;
		}
		else if (star >= 0)
		{
			pi = star + 1;
			n = ++star_n;
		}
		else
			return false;
	}
	while (pi < plen && pw[pi])
		pi++;
	return pi == plen;
}

/* Does any pattern match the name parts (schema, table[, column])? */
static bool
any_matches(List *patterns, const char *const *names)
{
	ListCell   *lc;

	foreach(lc, patterns)
	{
		Pattern    *pat = lfirst(lc);
		int			i;

		for (i = 0; i < pat->nparts; i++)
			if (!part_matches(pat, i, names[i]))
				break;
		if (i == pat->nparts)
			return true;
	}
	return false;
}

/* A boolean option; no value at all means true. */
static bool
parse_bool_option(const char *name, const char *value)
{
	bool		result;

	if (value == NULL)
		return true;			/* given without a value */
	if (!parse_bool(value, &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cellcdc: option \"%s\" = \"%s\" is not a boolean", name, value),
				 errhint("Use true or false (on/off, yes/no, 1/0 also work).")));
	return result;
}

/* The value of an option that needs one. */
static const char *
required_value(const char *name, const char *value)
{
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cellcdc: option \"%s\" needs a value", name)));
	return value;
}

/* Parse every plugin option once, at startup; any bad one is an ERROR. */
static void
parse_options(CdcOptions *opt, List *options)
{
	ListCell   *lc;
	List	   *seen = NIL;

	opt->skip_empty_xacts = true;
	opt->include_origins = true;

	foreach(lc, options)
	{
		DefElem    *elem = lfirst(lc);
		const char *name = elem->defname;
		const char *value = elem->arg ? strVal(elem->arg) : NULL;
		ListCell   *s;

		foreach(s, seen)
			if (strcmp(lfirst(s), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cellcdc: option \"%s\" is given more than once", name)));
		seen = lappend(seen, (char *) name);

		if (strcmp(name, "format_version") == 0)
		{
			const char *v = required_value(name, value);

			if (strcmp(v, "1") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cellcdc: option \"format_version\" = \"%s\" is not supported", v),
						 errhint("This cellcdc writes format version %d.", CDC_FORMAT_VERSION)));
		}
		else if (strcmp(name, "include_tables") == 0)
			opt->include_tables = parse_patterns(name, required_value(name, value), 2,
												 "schema.table, e.g. public.orders or sales.*");
		else if (strcmp(name, "exclude_tables") == 0)
			opt->exclude_tables = parse_patterns(name, required_value(name, value), 2,
												 "schema.table, e.g. public.orders or sales.*");
		else if (strcmp(name, "exclude_columns") == 0)
			opt->exclude_columns = parse_patterns(name, required_value(name, value), 3,
												  "schema.table.column, e.g. public.users.password or *.*.ssn");
		else if (strcmp(name, "message_prefixes") == 0)
		{
			const char *v = required_value(name, value);

			opt->message_prefixes_given = true;
			if (v[strspn(v, " \t")] != '\0')
				opt->message_prefixes = parse_patterns(name, v, 1, "a prefix, e.g. app or audit.*");
		}
		else if (strcmp(name, "skip_empty_xacts") == 0)
			opt->skip_empty_xacts = parse_bool_option(name, value);
		else if (strcmp(name, "include_origins") == 0)
			opt->include_origins = parse_bool_option(name, value);
		else if (strcmp(name, "only_local") == 0)
			opt->only_local = parse_bool_option(name, value);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cellcdc: option \"%s\" is unknown", name),
					 errhint("Valid options: format_version, include_tables, exclude_tables, exclude_columns, message_prefixes, skip_empty_xacts, include_origins, only_local.")));
	}
	list_free(seen);
}

/* ---------- relation cache ---------- */

/* Mark every cached relation for rebuilding. */
static void
invalidate_all(void)
{
	HASH_SEQ_STATUS status;
	RelEntry   *e;

	hash_seq_init(&status, RelCache);
	while ((e = hash_seq_search(&status)) != NULL)
		e->valid = false;
}

/* Relcache invalidation: the relation's entry (or all) must be rebuilt. */
static void
relcache_cb(Datum arg, Oid relid)
{
	RelEntry   *e;

	if (RelCache == NULL)
		return;					/* callbacks outlive decoding sessions */
	if (!OidIsValid(relid))
		invalidate_all();
	else if ((e = hash_search(RelCache, &relid, HASH_FIND, NULL)) != NULL)
		e->valid = false;
}

/* A schema was renamed: names in every entry may be stale. */
static void
namespace_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	if (RelCache != NULL)
		invalidate_all();
}

/* How values of a (base) type are encoded. */
static ColumnEncoding
encoding_for(Oid typid)
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

/* Columns of the relation's primary key, as attribute numbers. */
static Bitmapset *
primary_key_columns(Relation rel)
{
	Bitmapset  *result = NULL;
	Relation	index;
	int			i;

	/* fills rd_pkindex; no lock taken, as decoding uses a historic snapshot */
	list_free(RelationGetIndexList(rel));
	if (!OidIsValid(rel->rd_pkindex))
		return NULL;
	index = RelationIdGetRelation(rel->rd_pkindex);
	if (!RelationIsValid(index))
		return NULL;
	for (i = 0; i < index->rd_index->indnkeyatts; i++)
		result = bms_add_member(result, index->rd_index->indkey.values[i]);
	RelationClose(index);
	return result;
}

/*
 * Names the filters are matched against: the relation's own and, for a
 * partition, each ancestor's, so that naming a partitioned table covers its
 * partitions.  Pairs of (schema, table), terminated by NULL.
 */
static const char **
filter_names(Relation rel, const char *schema, const char *table)
{
	List	   *ancestors = rel->rd_rel->relispartition ?
		get_partition_ancestors(RelationGetRelid(rel)) : NIL;
	const char **names = palloc((2 * list_length(ancestors) + 3) * sizeof(char *));
	int			n = 0;
	ListCell   *lc;

	names[n++] = schema;
	names[n++] = table;
	foreach(lc, ancestors)
	{
		Oid			relid = lfirst_oid(lc);
		char	   *relname = get_rel_name(relid);

		if (relname == NULL)
			continue;
		names[n++] = get_namespace_name(get_rel_namespace(relid));
		names[n++] = relname;
	}
	names[n] = NULL;
	return names;
}

/* Do the patterns match the relation, or one of its ancestors, by name? */
static bool
names_match(List *patterns, const char **names, const char *column)
{
	const char *triple[3];

	for (; names[0] != NULL; names += 2)
	{
		triple[0] = names[0];
		triple[1] = names[1];
		triple[2] = column;
		if (any_matches(patterns, triple))
			return true;
	}
	return false;
}

/* (Re)build a relation's entry: names, filter verdict, columns to send. */
static void
build_entry(CdcState *st, RelEntry *e, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext old;
	const char **names;
	Bitmapset  *pkey;
	Bitmapset  *identity;
	int			i;

	/* set first: an invalidation arriving while we build forces a rebuild */
	e->valid = true;
	e->sent = false;
	MemoryContextReset(e->mcxt);
	old = MemoryContextSwitchTo(e->mcxt);

	e->schema = get_namespace_name(RelationGetNamespace(rel));
	e->table = pstrdup(RelationGetRelationName(rel));
	e->replident = rel->rd_rel->relreplident;
	e->ncols = 0;

	/* the names are needed only while building: the caller's context */
	MemoryContextSwitchTo(old);
	names = filter_names(rel, e->schema, e->table);
	e->excluded = (st->opt.include_tables != NIL &&
				   !names_match(st->opt.include_tables, names, NULL)) ||
		names_match(st->opt.exclude_tables, names, NULL);
	if (e->excluded)
		return;
	MemoryContextSwitchTo(e->mcxt);

	e->values = palloc(desc->natts * sizeof(Datum));
	e->nulls = palloc(desc->natts * sizeof(bool));
	e->old_values = palloc(desc->natts * sizeof(Datum));
	e->old_nulls = palloc(desc->natts * sizeof(bool));
	e->cols = palloc0(desc->natts * sizeof(ColumnInfo));
	e->flags = palloc0(desc->natts * sizeof(uint8));
	e->names = palloc(desc->natts * sizeof(char *));
	e->typids = palloc(desc->natts * sizeof(Oid));
	e->typmods = palloc(desc->natts * sizeof(int32));
	e->basetypids = palloc(desc->natts * sizeof(Oid));
	e->basetypmods = palloc(desc->natts * sizeof(int32));

	pkey = primary_key_columns(rel);
	identity = RelationGetIdentityKeyBitmap(rel);

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ColumnInfo *col = &e->cols[e->ncols];
		int32		basetypmod = att->atttypmod;
		Oid			basetypid;

		/* generated columns are left out, as pgoutput does */
		if (att->attisdropped || att->attgenerated)
			continue;
		if (st->opt.exclude_columns != NIL &&
			names_match(st->opt.exclude_columns, names, NameStr(att->attname)))
			continue;

		basetypid = getBaseTypeAndTypmod(att->atttypid, &basetypmod);
		col->attidx = i;
		col->typlen = att->attlen;
		col->enc = encoding_for(basetypid);
		/* strings inside stored jsonb would need converting to UTF-8 */
		if (col->enc == ENC_JSONB && st->convert_text)
			col->enc = ENC_OUTPUT;
		if (col->enc == ENC_OUTPUT)
		{
			Oid			outfunc;
			bool		isvarlena;

			getTypeOutputInfo(basetypid, &outfunc, &isvarlena);
			fmgr_info_cxt(outfunc, &col->output, e->mcxt);
		}

		if (bms_is_member(att->attnum, pkey))
			e->flags[e->ncols] |= CDC_COL_PKEY;
		if (bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber, identity))
			e->flags[e->ncols] |= CDC_COL_IDENTITY;
		if (att->attnotnull)
			e->flags[e->ncols] |= CDC_COL_NOTNULL;
		e->names[e->ncols] = pstrdup(NameStr(att->attname));
		e->typids[e->ncols] = att->atttypid;
		e->typmods[e->ncols] = att->atttypmod;
		e->basetypids[e->ncols] = basetypid;
		e->basetypmods[e->ncols] = basetypmod;
		e->ncols++;
	}
	MemoryContextSwitchTo(old);
}

/* The relation's valid cache entry, built if needed. */
static RelEntry *
get_entry(CdcState *st, Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	RelEntry   *e;
	bool		found;

	e = hash_search(RelCache, &relid, HASH_ENTER, &found);
	if (!found)
	{
		e->valid = false;
		e->mcxt = AllocSetContextCreate(st->cache_ctx, "cellcdc relation",
										ALLOCSET_SMALL_SIZES);
	}
	if (!e->valid)
		build_entry(st, e, rel);
	return e;
}

/* ---------- records ---------- */

/* Write BEGIN (and ORIGIN) before the transaction's first record. */
static void
begin_if_needed(LogicalDecodingContext *ctx, CdcState *st, ReorderBufferTXN *txn)
{
	if (st->begin_sent)
		return;
	OutputPluginPrepareWrite(ctx, false);
	put_u8(ctx->out, CDC_BEGIN);
	put_u8(ctx->out, CDC_FORMAT_VERSION);
	put_u64(ctx->out, txn->final_lsn);
	put_u64(ctx->out, (uint64) txn->xact_time.commit_time);
	put_u32(ctx->out, txn->xid);
	OutputPluginWrite(ctx, false);

	if (st->opt.include_origins && txn->origin_id != InvalidRepOriginId)
	{
		char	   *origin;

		if (replorigin_by_oid(txn->origin_id, true, &origin))
		{
			OutputPluginPrepareWrite(ctx, false);
			put_u8(ctx->out, CDC_ORIGIN);
			put_u64(ctx->out, txn->origin_lsn);
			put_cstr(ctx->out, origin);
			OutputPluginWrite(ctx, false);
		}
	}
	st->begin_sent = true;
}

/* Write RELATION before the relation's first change since (re)building. */
static void
relation_if_needed(LogicalDecodingContext *ctx, RelEntry *e)
{
	StringInfo	s = ctx->out;
	int			i;

	if (e->sent)
		return;
	OutputPluginPrepareWrite(ctx, false);
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
	OutputPluginWrite(ctx, false);
	e->sent = true;
}

/* Keep the walsender's keepalives and lag tracking going while skipping. */
static void
skipped(LogicalDecodingContext *ctx, CdcState *st)
{
	if (++st->skipped_changes >= PROGRESS_EVERY_CHANGES)
	{
		OutputPluginUpdateProgress(ctx, false);
		st->skipped_changes = 0;
	}
}

/* ---------- callbacks ---------- */

/* Startup: parse options, create memory contexts and the relation cache. */
static void
cdc_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt, bool is_init)
{
	CdcState   *st;
	HASHCTL		hctl;
	MemoryContext old = MemoryContextSwitchTo(ctx->context);
	int			encoding = GetDatabaseEncoding();

	st = palloc0(sizeof(CdcState));
	st->change_ctx = AllocSetContextCreate(ctx->context, "cellcdc change",
										   ALLOCSET_DEFAULT_SIZES);
	st->cache_ctx = AllocSetContextCreate(ctx->context, "cellcdc relation cache",
										  ALLOCSET_DEFAULT_SIZES);
	/* SQL_ASCII bytes are passed as they are: there is nothing to convert */
	st->convert_text = encoding != PG_UTF8 && encoding != PG_SQL_ASCII;
	parse_options(&st->opt, ctx->output_plugin_options);

	opt->output_type = OUTPUT_PLUGIN_BINARY_OUTPUT;
	opt->receive_rewrites = false;

	hctl.keysize = sizeof(Oid);
	hctl.entrysize = sizeof(RelEntry);
	hctl.hcxt = st->cache_ctx;
	RelCache = hash_create("cellcdc relations", 128, &hctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	/* a backend has room for only a few callbacks, and they cannot be removed */
	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(relcache_cb, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, namespace_cb, (Datum) 0);
		callbacks_registered = true;
	}

	ctx->output_plugin_private = st;
	MemoryContextSwitchTo(old);
}

/* Shutdown: forget the relation cache. */
static void
cdc_shutdown(LogicalDecodingContext *ctx)
{
	/* the memory goes with ctx->context; stop the callbacks from using it */
	RelCache = NULL;
}

/* BEGIN is written lazily, before the first record (unless skip_empty_xacts is off). */
static void
cdc_begin(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	CdcState   *st = ctx->output_plugin_private;

	st->begin_sent = false;
	if (!st->opt.skip_empty_xacts)
		begin_if_needed(ctx, st, txn);
}

/* COMMIT, if the transaction sent anything. */
static void
cdc_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr commit_lsn)
{
	CdcState   *st = ctx->output_plugin_private;

	OutputPluginUpdateProgress(ctx, !st->begin_sent);
	if (!st->begin_sent)
		return;
	OutputPluginPrepareWrite(ctx, true);
	put_u8(ctx->out, CDC_COMMIT);
	put_u64(ctx->out, commit_lsn);
	put_u64(ctx->out, txn->end_lsn);
	put_u64(ctx->out, (uint64) txn->xact_time.commit_time);
	OutputPluginWrite(ctx, true);
	st->begin_sent = false;
}

/* INSERT, UPDATE or DELETE of one row. */
static void
cdc_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
		   Relation relation, ReorderBufferChange *change)
{
	CdcState   *st = ctx->output_plugin_private;
	MemoryContext old = MemoryContextSwitchTo(st->change_ctx);
	HeapTuple	newtup = CDC_CHANGE_TUPLE(change->data.tp.newtuple);
	HeapTuple	oldtup = CDC_CHANGE_TUPLE(change->data.tp.oldtuple);
	TupleDesc	desc = RelationGetDescr(relation);
	char		oldkind;
	RelEntry   *e;
	StringInfo	s;

	e = get_entry(st, relation);
	if (e->excluded)
	{
		skipped(ctx, st);
		goto done;
	}
	if (newtup == NULL && change->action != REORDER_BUFFER_CHANGE_DELETE)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("cellcdc: change of relation \"%s.%s\" at %X/%X has no new row",
						e->schema, e->table, LSN_FORMAT_ARGS(change->lsn))));

	begin_if_needed(ctx, st, txn);
	relation_if_needed(ctx, e);

	OutputPluginPrepareWrite(ctx, true);
	s = ctx->out;
	oldkind = e->replident == REPLICA_IDENTITY_FULL ? CDC_TUPLE_OLD : CDC_TUPLE_KEY;
	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			put_u8(s, CDC_INSERT);
			put_u32(s, e->relid);
			heap_deform_tuple(newtup, desc, e->values, e->nulls);
			put_tuple(st, s, e, CDC_TUPLE_NEW, e->values, e->nulls);
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			put_u8(s, CDC_UPDATE);
			put_u32(s, e->relid);
			heap_deform_tuple(newtup, desc, e->values, e->nulls);
			if (oldtup != NULL)
			{
				int			i;

				heap_deform_tuple(oldtup, desc, e->old_values, e->old_nulls);
				put_tuple(st, s, e, oldkind, e->old_values, e->old_nulls);

				/*
				 * Under REPLICA IDENTITY FULL the old row carries TOASTed
				 * values inline: use them for the unchanged ones.
				 */
				for (i = 0; oldkind == CDC_TUPLE_OLD && i < e->ncols; i++)
				{
					int			a = e->cols[i].attidx;

					if (e->cols[i].typlen == -1 && !e->nulls[a] && !e->old_nulls[a] &&
						VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(e->values[a])) &&
						!VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(e->old_values[a])))
						e->values[a] = e->old_values[a];
				}
			}
			put_tuple(st, s, e, CDC_TUPLE_NEW, e->values, e->nulls);
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			put_u8(s, CDC_DELETE);
			put_u32(s, e->relid);
			/* without a replica identity there is no old row to send */
			if (oldtup != NULL)
			{
				heap_deform_tuple(oldtup, desc, e->old_values, e->old_nulls);
				put_tuple(st, s, e, oldkind, e->old_values, e->old_nulls);
			}
			break;
		default:
			/* the reorder buffer hands plugins only the three above */
			Assert(false);
	}
	OutputPluginWrite(ctx, true);

done:
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->change_ctx);
}

/* TRUNCATE of one or more relations. */
static void
cdc_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			 int nrelations, Relation relations[], ReorderBufferChange *change)
{
	CdcState   *st = ctx->output_plugin_private;
	MemoryContext old = MemoryContextSwitchTo(st->change_ctx);
	RelEntry  **entries = palloc(nrelations * sizeof(RelEntry *));
	int			n = 0;
	int			i;
	uint8		flags = 0;

	for (i = 0; i < nrelations; i++)
	{
		RelEntry   *e = get_entry(st, relations[i]);

		if (!e->excluded)
			entries[n++] = e;
	}
	if (n == 0)
	{
		skipped(ctx, st);
		goto done;
	}

	begin_if_needed(ctx, st, txn);
	for (i = 0; i < n; i++)
		relation_if_needed(ctx, entries[i]);

	if (change->data.truncate.cascade)
		flags |= CDC_TRUNCATE_CASCADE;
	if (change->data.truncate.restart_seqs)
		flags |= CDC_TRUNCATE_RESTART;
	OutputPluginPrepareWrite(ctx, true);
	put_u8(ctx->out, CDC_TRUNCATE);
	put_u8(ctx->out, flags);
	put_varint(ctx->out, n);
	for (i = 0; i < n; i++)
		put_u32(ctx->out, entries[i]->relid);
	OutputPluginWrite(ctx, true);

done:
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->change_ctx);
}

/* A pg_logical_emit_message() message. */
static void
cdc_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			XLogRecPtr message_lsn, bool transactional,
			const char *prefix, Size message_size, const char *message)
{
	CdcState   *st = ctx->output_plugin_private;
	const char *names[1];

	names[0] = prefix;
	if (st->opt.message_prefixes_given &&
		!any_matches(st->opt.message_prefixes, names))
	{
		skipped(ctx, st);
		return;
	}

	/* a non-transactional message stands alone; txn may even be NULL */
	if (transactional)
		begin_if_needed(ctx, st, txn);

	OutputPluginPrepareWrite(ctx, true);
	put_u8(ctx->out, CDC_MESSAGE);
	put_u8(ctx->out, transactional ? CDC_MESSAGE_TRANSACTIONAL : 0);
	put_u64(ctx->out, message_lsn);
	put_cstr(ctx->out, prefix);
	put_str(ctx->out, message, message_size);
	OutputPluginWrite(ctx, true);
}

/* only_local: skip transactions replayed from elsewhere. */
static bool
cdc_filter_by_origin(LogicalDecodingContext *ctx, RepOriginId origin_id)
{
	CdcState   *st = ctx->output_plugin_private;

	return st->opt.only_local && origin_id != InvalidRepOriginId;
}
