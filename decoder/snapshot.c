/*
 * snapshot.c
 *		The rows of a table as cellcdc records, for snapshots: the
 *		extension's functions snapshot_relation() and snapshot_row().
 *
 * A snapshot reader runs SELECT cellcdc.snapshot_row(t) FROM tbl t ...
 * and gets each row as the INSERT record the output plugin would write
 * for it, built by the same code (relcache.c's entry, encode.c's values),
 * so that a snapshot row and a streamed row are one format read by one
 * renderer.  snapshot_relation() gives the RELATION record that goes
 * before them.  The query does the reading (ranges, filters, order, and
 * the caller's own privileges); these functions only encode.
 *
 * A whole-row value has its out-of-line values fetched already, so no
 * value is ever marked unchanged here.  The entry lives for one query (in
 * fn_extra) and is never in the plugin's relation cache: a decoding
 * session in the same backend is not disturbed.
 */
#include "cellcdc_int.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(cellcdc_snapshot_relation);
PG_FUNCTION_INFO_V1(cellcdc_snapshot_row);

/* one call site's entry, kept for the query */
typedef struct SnapshotEntry
{
	Oid			rowtype;		/* of the rows it encodes */
	char	   *exclude_columns;
	CdcState	st;
	RelEntry	e;
	StringInfoData buf;
} SnapshotEntry;

/* Build the entry of relation relid, with exclude_columns applied. */
static void
build(SnapshotEntry *se, Oid relid, const char *exclude_columns, MemoryContext mcxt)
{
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	Relation	rel;

	memset(&se->st, 0, sizeof(se->st));
	se->st.convert_text = cdc_convert_text();
	if (exclude_columns[0] != '\0')
		cdc_parse_options(&se->st.opt,
						  list_make1(makeDefElem("exclude_columns",
												 (Node *) makeString(pstrdup(exclude_columns)), -1)));
	se->exclude_columns = pstrdup(exclude_columns);

	rel = relation_open(relid, AccessShareLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cellcdc: \"%s\" is not a table", RelationGetRelationName(rel)),
				 errhint("Snapshots read tables; views and other relations have no changes to stream.")));
	memset(&se->e, 0, sizeof(se->e));
	se->e.relid = relid;
	se->e.mcxt = AllocSetContextCreate(mcxt, "cellcdc snapshot relation", ALLOCSET_SMALL_SIZES);
	cdc_build_entry(&se->st, &se->e, rel);
	relation_close(rel, AccessShareLock);
	initStringInfo(&se->buf);
	MemoryContextSwitchTo(old);
}

/* The call site's entry for relid, (re)built when the relation or options differ. */
static SnapshotEntry *
entry_for(FunctionCallInfo fcinfo, Oid relid, Oid rowtype, const char *exclude_columns)
{
	SnapshotEntry *se = fcinfo->flinfo->fn_extra;

	if (se && se->e.relid == relid && strcmp(se->exclude_columns, exclude_columns) == 0)
		return se;
	if (se == NULL)
		se = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SnapshotEntry));
	else
		MemoryContextDelete(se->e.mcxt);
	build(se, relid, exclude_columns, fcinfo->flinfo->fn_mcxt);
	se->rowtype = rowtype;
	return se;
}

/* The record in se->buf as a bytea. */
static bytea *
as_bytea(StringInfo s)
{
	bytea	   *result = palloc(VARHDRSZ + s->len);

	SET_VARSIZE(result, VARHDRSZ + s->len);
	memcpy(VARDATA(result), s->data, s->len);
	return result;
}

/* snapshot_relation(tbl regclass, exclude_columns text): the RELATION record. */
Datum
cellcdc_snapshot_relation(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *exclude_columns = text_to_cstring(PG_GETARG_TEXT_PP(1));
	SnapshotEntry *se = entry_for(fcinfo, relid, InvalidOid, exclude_columns);

	resetStringInfo(&se->buf);
	cdc_put_relation(&se->buf, &se->e);
	PG_RETURN_BYTEA_P(as_bytea(&se->buf));
}

/* snapshot_row(row record, exclude_columns text): the row's INSERT record. */
Datum
cellcdc_snapshot_row(PG_FUNCTION_ARGS)
{
	HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(0);
	char	   *exclude_columns = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			rowtype = HeapTupleHeaderGetTypeId(th);
	SnapshotEntry *se = fcinfo->flinfo->fn_extra;
	HeapTupleData tuple;
	TupleDesc	desc;

	if (se == NULL || se->rowtype != rowtype || strcmp(se->exclude_columns, exclude_columns) != 0)
	{
		Oid			relid = get_typ_typrelid(rowtype);

		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("cellcdc.snapshot_row() needs a table's whole row, not a %s",
							format_type_be(rowtype)),
					 errhint("Pass the table's alias: SELECT cellcdc.snapshot_row(t) FROM tbl t.")));
		se = entry_for(fcinfo, relid, rowtype, exclude_columns);
	}

	desc = lookup_rowtype_tupdesc(rowtype, HeapTupleHeaderGetTypMod(th));
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	/* the row type has the table's attributes, dropped ones included */
	heap_deform_tuple(&tuple, desc, se->e.values, se->e.nulls);
	ReleaseTupleDesc(desc);

	resetStringInfo(&se->buf);
	put_u8(&se->buf, CDC_INSERT);
	put_u32(&se->buf, se->e.relid);
	cdc_put_tuple(&se->st, &se->buf, &se->e, CDC_TUPLE_NEW, se->e.values, se->e.nulls);
	PG_RETURN_BYTEA_P(as_bytea(&se->buf));
}
