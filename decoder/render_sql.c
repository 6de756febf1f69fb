/*
 * render_sql.c
 *		cellcdc.render(bytea): one cellcdc record as a readable line.
 *
 * For tests and for looking at a slot by hand:
 *
 *		SELECT cellcdc.render(data) FROM pg_logical_slot_peek_binary_changes(...);
 *
 * Change records carry only a relation OID; the names come from the last
 * RELATION record this session rendered for it, else from the catalog.  The
 * cache is per session, not per call site, so that a query filtering on the
 * rendered text still names the columns.  Values print as PostgreSQL prints
 * them, but independent of the session's DateStyle and TimeZone (ISO, UTC),
 * so output is reproducible.
 * With stable => true, everything that changes from run to run (xids, LSNs,
 * times, OIDs) is left out.  Malformed input is an ERROR, never a crash.
 */
#include "compat.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "record.h"

PG_FUNCTION_INFO_V1(cellcdc_render);

/* what a RELATION record said, for the change records after it */
typedef struct RenderRelation
{
	Oid			relid;			/* hash key */
	char	   *name;			/* qualified, quoted as needed */
	int			ncols;
	char	  **columns;
} RenderRelation;

typedef struct RenderState
{
	CdcReader	r;
	StringInfoData out;
	bool		stable;
} RenderState;

/* RELATION records rendered in this session, by relation OID */
static HTAB *Relations = NULL;
static MemoryContext RelationsContext = NULL;

/*
 * The reader's scratch memory (the stack of a jsonb walk), in the call's
 * memory context, so that an ERROR halfway through cannot leak it.
 */
static void *
render_realloc(void *ptr, size_t size)
{
	if (size == 0)
	{
		if (ptr != NULL)
			pfree(ptr);
		return NULL;
	}
	return ptr != NULL ? repalloc_huge(ptr, size) : palloc_extended(size, MCXT_ALLOC_HUGE);
}

/* Raise the error for a record that does not parse. */
static void
malformed(RenderState *rs)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("malformed cellcdc record: %s", rs->r.error),
			 errhint("cellcdc.render() reads records of cellcdc format version %d, as returned by pg_logical_slot_peek_binary_changes() on a cellcdc slot.",
					 CDC_FORMAT_VERSION)));
}

/* Raise that error unless a read succeeded. */
static void
check(RenderState *rs, bool ok)
{
	if (!ok)
		malformed(rs);
}

/* Text from a record: checked as UTF-8, in the database encoding. */
static char *
slice_cstr(CdcSlice s)
{
	char	   *text = pg_any_to_server(s.data, (int) s.len, PG_UTF8);

	return text == s.data ? pnstrdup(s.data, s.len) : text;
}

/* Append " label X/X". */
static void
append_lsn(StringInfo out, const char *label, uint64 lsn)
{
	appendStringInfo(out, " %s %X/%X", label, (uint32) (lsn >> 32), (uint32) lsn);
}

/* A date, time or timestamp, in ISO style and UTC. */
static void
append_datetime(RenderState *rs, char tag, int64 v)
{
	struct pg_tm tm;
	fsec_t		fsec = 0;
	char		buf[MAXDATELEN + 1];
	bool		ok = true;

	switch (tag)
	{
		case CDC_VAL_DATE:
			if (v == CDC_DATE_NINF || v == CDC_DATE_PINF)
			{
				appendStringInfoString(&rs->out, v == CDC_DATE_PINF ? "'infinity'" : "'-infinity'");
				return;
			}
			ok = IS_VALID_DATE(v);
			if (ok)
			{
				j2date((int) v + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
				EncodeDateOnly(&tm, USE_ISO_DATES, buf);
			}
			break;
		case CDC_VAL_TIME:
			ok = v >= 0 && v <= USECS_PER_DAY;
			if (ok)
			{
				time2tm(v, &tm, &fsec);
				EncodeTimeOnly(&tm, fsec, false, 0, USE_ISO_DATES, buf);
			}
			break;
		default:
			if (v == CDC_TS_NINF || v == CDC_TS_PINF)
			{
				appendStringInfoString(&rs->out, v == CDC_TS_PINF ? "'infinity'" : "'-infinity'");
				return;
			}
			ok = IS_VALID_TIMESTAMP(v) && timestamp2tm(v, NULL, &tm, &fsec, NULL, NULL) == 0;
			tm.tm_isdst = 0;	/* UTC; a negative value would hide the zone */
			if (ok)
				EncodeDateTime(&tm, fsec, tag == CDC_VAL_TIMESTAMPTZ, 0, NULL, USE_ISO_DATES, buf);
			break;
	}
	if (!ok)
		check(rs, cdc_fail(&rs->r, "date/time value out of range"));
	appendStringInfo(&rs->out, "'%s'", buf);
}

/* CdcWrite into a StringInfo. */
static void
append_to(void *arg, const char *data, size_t len)
{
	appendBinaryStringInfo((StringInfo) arg, data, (int) len);
}

/* Append bytes as a quoted '\x...' literal. */
static void
append_hex(StringInfo out, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		i;

	appendStringInfoString(out, "'\\x");
	for (i = 0; i < len; i++)
	{
		appendStringInfoChar(out, hex[(unsigned char) data[i] >> 4]);
		appendStringInfoChar(out, hex[(unsigned char) data[i] & 15]);
	}
	appendStringInfoChar(out, '\'');
}

/* Text from a record as a quoted literal. */
static void
append_text(StringInfo out, CdcSlice s)
{
	const char *p;

	appendStringInfoChar(out, '\'');
	for (p = slice_cstr(s); *p; p++)
	{
		if (*p == '\'')
			appendStringInfoChar(out, '\'');
		appendStringInfoChar(out, *p);
	}
	appendStringInfoChar(out, '\'');
}

/* Append one value as PostgreSQL would print it. */
static void
append_value(RenderState *rs, const CdcValue *val)
{
	StringInfo	out = &rs->out;

	switch (val->tag)
	{
		case CDC_VAL_NULL:
			appendStringInfoString(out, "null");
			break;
		case CDC_VAL_UNCHANGED:
			appendStringInfoString(out, "unchanged-toast");
			break;
		case CDC_VAL_FALSE:
			appendStringInfoString(out, "false");
			break;
		case CDC_VAL_TRUE:
			appendStringInfoString(out, "true");
			break;
		case CDC_VAL_INT:
			appendStringInfo(out, INT64_FORMAT, val->v.i);
			break;
		case CDC_VAL_FLOAT4:
			appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(float4out, Float4GetDatum(val->v.f4))));
			break;
		case CDC_VAL_FLOAT8:
			appendStringInfoString(out, float8out_internal(val->v.f8));
			break;
		case CDC_VAL_NUMERIC:
			cdc_numeric_text(&val->v.num, append_to, out);
			break;
		case CDC_VAL_JSONB:
			{
				StringInfoData text;
				CdcSlice	slice;

				initStringInfo(&text);
				check(rs, cdc_jsonb_text(&rs->r, &val->v.jsonb, append_to, &text));
				slice.data = text.data;
				slice.len = text.len;
				append_text(out, slice);
				break;
			}
		case CDC_VAL_DATE:
		case CDC_VAL_TIME:
		case CDC_VAL_TIMESTAMP:
		case CDC_VAL_TIMESTAMPTZ:
			append_datetime(rs, val->tag, val->v.i);
			break;
		case CDC_VAL_UUID:
			{
				const unsigned char *u = (const unsigned char *) val->v.bytes.data;
				int			i;

				appendStringInfoChar(out, '\'');
				for (i = 0; i < 16; i++)
				{
					if (i == 4 || i == 6 || i == 8 || i == 10)
						appendStringInfoChar(out, '-');
					appendStringInfo(out, "%02x", u[i]);
				}
				appendStringInfoChar(out, '\'');
				break;
			}
		case CDC_VAL_TEXT:
			append_text(out, val->v.bytes);
			break;
		case CDC_VAL_BYTES:
			append_hex(out, val->v.bytes.data, val->v.bytes.len);
			break;
	}
}

/* The cached RELATION of a relation, or NULL. */
static RenderRelation *
find_relation(uint32 relid)
{
	Oid			key = relid;
	RenderRelation *rel = hash_search(Relations, &key, HASH_FIND, NULL);

	return rel != NULL && rel->name != NULL ? rel : NULL;
}

/* "schema.table" from an earlier RELATION record, else from the catalog */
static void
append_relation_name(RenderState *rs, uint32 relid)
{
	RenderRelation *rel = find_relation(relid);
	char	   *name;

	if (rel != NULL)
		appendStringInfoString(&rs->out, rel->name);
	else if ((name = get_rel_name(relid)) != NULL)
		appendStringInfoString(&rs->out,
							   quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), name));
	else
		appendStringInfo(&rs->out, "relation %u", relid);
}

/* Append " label: col=value ..." for one tuple. */
static void
append_tuple(RenderState *rs, uint32 relid, const char *label)
{
	RenderRelation *rel = find_relation(relid);
	uint32		ncols;
	uint32		i;

	check(rs, cdc_read_tuple_header(&rs->r, &ncols));
	appendStringInfo(&rs->out, " %s:", label);
	for (i = 0; i < ncols; i++)
	{
		CdcValue	val;

		check(rs, cdc_read_value(&rs->r, &val));
		if (rel != NULL && i < (uint32) rel->ncols)
			appendStringInfo(&rs->out, " %s=", rel->columns[i]);
		else
			appendStringInfo(&rs->out, " $%u=", i + 1);
		append_value(rs, &val);
	}
}

/* RELATION: print it and remember its names. */
static void
render_relation(RenderState *rs)
{
	CdcRelation rel;
	RenderRelation *entry;
	const char *name;
	Oid			key;
	bool		found;
	uint32		i;

	check(rs, cdc_read_relation(&rs->r, &rel));
	name = quote_qualified_identifier(slice_cstr(rel.schema), slice_cstr(rel.table));

	/* from here on an ERROR must leave the entry consistent */
	key = rel.relid;
	entry = hash_search(Relations, &key, HASH_ENTER, &found);
	if (found)
	{
		for (i = 0; i < (uint32) entry->ncols; i++)
			pfree(entry->columns[i]);
		if (entry->columns)
			pfree(entry->columns);
		if (entry->name)
			pfree(entry->name);
	}
	entry->ncols = 0;			/* only complete columns are usable */
	entry->columns = NULL;
	entry->name = NULL;
	entry->columns = MemoryContextAlloc(RelationsContext, Max(rel.ncols, 1) * sizeof(char *));
	entry->name = MemoryContextStrdup(RelationsContext, name);

	appendStringInfo(&rs->out, "RELATION %s", entry->name);
	if (!rs->stable)
		appendStringInfo(&rs->out, " (oid %u)", rel.relid);
	appendStringInfo(&rs->out, " replica identity %s:",
					 rel.replident == 'd' ? "default" : rel.replident == 'f' ? "full" :
					 rel.replident == 'i' ? "index" : "nothing");
	for (i = 0; i < rel.ncols; i++)
	{
		CdcColumn	col;
		const char *sep = " [";

		check(rs, cdc_read_column(&rs->r, &col));
		name = quote_identifier(slice_cstr(col.name));
		entry->columns[i] = MemoryContextStrdup(RelationsContext, name);
		entry->ncols = i + 1;
		appendStringInfo(&rs->out, "%s %s %s", i > 0 ? "," : "", entry->columns[i],
						 format_type_extended(col.typid, col.typmod,
											  FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_ALLOW_INVALID));
		if (col.basetypid != col.typid)
			appendStringInfo(&rs->out, " (domain over %s)",
							 format_type_extended(col.basetypid, col.basetypmod,
												  FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_ALLOW_INVALID));
		if (col.flags & CDC_COL_PKEY)
		{
			appendStringInfo(&rs->out, "%sprimary key", sep);
			sep = ", ";
		}
		if (col.flags & CDC_COL_IDENTITY)
		{
			appendStringInfo(&rs->out, "%sidentity", sep);
			sep = ", ";
		}
		if (col.flags & CDC_COL_NOTNULL)
		{
			appendStringInfo(&rs->out, "%snot null", sep);
			sep = ", ";
		}
		if (sep[0] == ',')
			appendStringInfoChar(&rs->out, ']');
	}
}

/* INSERT, UPDATE or DELETE. */
static void
render_change(RenderState *rs, uint8 kind)
{
	uint32		relid;
	uint8		tuplekind;

	check(rs, cdc_read_u32(&rs->r, &relid, "relation oid"));
	appendStringInfoString(&rs->out,
						   kind == CDC_INSERT ? "INSERT " : kind == CDC_UPDATE ? "UPDATE " : "DELETE ");
	append_relation_name(rs, relid);
	if (kind == CDC_DELETE && cdc_at_end(&rs->r))
	{
		appendStringInfoString(&rs->out, " (no replica identity)");
		return;
	}
	check(rs, cdc_read_u8(&rs->r, &tuplekind, "tuple kind"));
	if (kind == CDC_UPDATE && tuplekind != CDC_TUPLE_NEW)
	{
		if (tuplekind != CDC_TUPLE_KEY && tuplekind != CDC_TUPLE_OLD)
			check(rs, cdc_fail(&rs->r, "UPDATE old tuple kind"));
		append_tuple(rs, relid, tuplekind == CDC_TUPLE_KEY ? "key" : "old");
		check(rs, cdc_read_u8(&rs->r, &tuplekind, "tuple kind"));
		if (tuplekind != CDC_TUPLE_NEW)
			check(rs, cdc_fail(&rs->r, "UPDATE new tuple kind"));
	}
	if (kind == CDC_DELETE ? (tuplekind != CDC_TUPLE_KEY && tuplekind != CDC_TUPLE_OLD)
		: tuplekind != CDC_TUPLE_NEW)
		check(rs, cdc_fail(&rs->r, "tuple kind"));
	append_tuple(rs, relid, tuplekind == CDC_TUPLE_KEY ? "key" :
				 tuplekind == CDC_TUPLE_OLD ? "old" : "new");
}

/* TRUNCATE. */
static void
render_truncate(RenderState *rs)
{
	CdcTruncate t;
	uint32		i;

	check(rs, cdc_read_truncate(&rs->r, &t));
	appendStringInfoString(&rs->out, "TRUNCATE");
	for (i = 0; i < t.nrels; i++)
	{
		uint32		relid;

		check(rs, cdc_read_u32(&rs->r, &relid, "TRUNCATE relation oid"));
		appendStringInfoString(&rs->out, i > 0 ? ", " : " ");
		append_relation_name(rs, relid);
	}
	if (t.flags & CDC_TRUNCATE_CASCADE)
		appendStringInfoString(&rs->out, " CASCADE");
	if (t.flags & CDC_TRUNCATE_RESTART)
		appendStringInfoString(&rs->out, " RESTART IDENTITY");
}

/* MESSAGE: content as text when it is printable UTF-8, else hex. */
static void
render_message(RenderState *rs)
{
	CdcMessage	m;
	const unsigned char *p;
	bool		printable;

	check(rs, cdc_read_message(&rs->r, &m));
	appendStringInfo(&rs->out, "MESSAGE %s prefix ",
					 (m.flags & CDC_MESSAGE_TRANSACTIONAL) ? "transactional" : "non-transactional");
	append_text(&rs->out, m.prefix);
	appendStringInfoString(&rs->out, " content ");
	printable = pg_encoding_verifymbstr(PG_UTF8, m.content.data, (int) m.content.len) == (int) m.content.len;
	for (p = (const unsigned char *) m.content.data; printable && p < (const unsigned char *) m.content.data + m.content.len; p++)
		printable = *p >= 0x20 && *p != 0x7f;
	if (printable)
		append_text(&rs->out, m.content);
	else
		append_hex(&rs->out, m.content.data, m.content.len);
	if (!rs->stable)
		append_lsn(&rs->out, "lsn", m.lsn);
}

/* cellcdc.render(record bytea, stable boolean) returns text. */
Datum
cellcdc_render(PG_FUNCTION_ARGS)
{
	bytea	   *record = PG_GETARG_BYTEA_PP(0);
	RenderState rs;
	uint8		kind;

	if (Relations == NULL)
	{
		HASHCTL		hctl;

		RelationsContext = AllocSetContextCreate(TopMemoryContext, "cellcdc render relations",
												 ALLOCSET_SMALL_SIZES);
		hctl.keysize = sizeof(Oid);
		hctl.entrysize = sizeof(RenderRelation);
		hctl.hcxt = RelationsContext;
		Relations = hash_create("cellcdc render relations", 16, &hctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	rs.stable = PG_GETARG_BOOL(1);
	initStringInfo(&rs.out);
	cdc_reader_init(&rs.r, VARDATA_ANY(record), VARSIZE_ANY_EXHDR(record));
	rs.r.realloc_fn = render_realloc;

	check(&rs, cdc_read_u8(&rs.r, &kind, "record kind"));
	switch (kind)
	{
		case CDC_BEGIN:
			{
				CdcBegin	b;

				check(&rs, cdc_read_begin(&rs.r, &b));
				if (b.version != CDC_FORMAT_VERSION)
					check(&rs, cdc_fail(&rs.r, "unsupported format version in BEGIN"));
				appendStringInfoString(&rs.out, "BEGIN");
				if (!rs.stable)
				{
					appendStringInfo(&rs.out, " xid %u", b.xid);
					append_lsn(&rs.out, "final_lsn", b.final_lsn);
					appendStringInfoString(&rs.out, " commit_time ");
					append_datetime(&rs, CDC_VAL_TIMESTAMPTZ, b.commit_time);
				}
				break;
			}
		case CDC_COMMIT:
			{
				CdcCommit	c;

				check(&rs, cdc_read_commit(&rs.r, &c));
				appendStringInfoString(&rs.out, "COMMIT");
				if (!rs.stable)
				{
					append_lsn(&rs.out, "lsn", c.commit_lsn);
					append_lsn(&rs.out, "end_lsn", c.end_lsn);
					appendStringInfoString(&rs.out, " commit_time ");
					append_datetime(&rs, CDC_VAL_TIMESTAMPTZ, c.commit_time);
				}
				break;
			}
		case CDC_ORIGIN:
			{
				CdcOrigin	o;

				check(&rs, cdc_read_origin(&rs.r, &o));
				appendStringInfoString(&rs.out, "ORIGIN ");
				append_text(&rs.out, o.name);
				if (!rs.stable)
					append_lsn(&rs.out, "lsn", o.origin_lsn);
				break;
			}
		case CDC_RELATION:
			render_relation(&rs);
			break;
		case CDC_INSERT:
		case CDC_UPDATE:
		case CDC_DELETE:
			render_change(&rs, kind);
			break;
		case CDC_TRUNCATE:
			render_truncate(&rs);
			break;
		case CDC_MESSAGE:
			render_message(&rs);
			break;
		default:
			rs.r.p--;
			check(&rs, cdc_fail(&rs.r, "unknown record kind"));
	}
	if (!cdc_at_end(&rs.r))
		check(&rs, cdc_fail(&rs.r, "trailing bytes after the record"));

	PG_RETURN_TEXT_P(cstring_to_text_with_len(rs.out.data, rs.out.len));
}
