/*
 * relcache.c
 *		The output plugin's relation cache, and the table and column filters.
 *
 * For each relation decoded, an entry holds what its changes need: names,
 * whether include_tables / exclude_tables exclude it, the columns sent
 * (exclude_columns applied) with their encodings and output functions, and
 * deform buffers.  Like pgoutput, entries are only marked invalid by
 * relcache and syscache callbacks, registered once per backend, and rebuilt
 * on their next use; a rebuilt entry is described again by a RELATION
 * record.
 */
#include "cellcdc_int.h"

#include "access/sysattr.h"
#include "catalog/partition.h"
#include "nodes/bitmapset.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

static HTAB *RelCache = NULL;
static bool callbacks_registered = false;
static bool some_invalid = false;	/* an entry was marked since the sweep */

/* Mark every cached relation for rebuilding. */
static void
invalidate_all(void)
{
	HASH_SEQ_STATUS status;
	RelEntry   *e;

	hash_seq_init(&status, RelCache);
	while ((e = hash_seq_search(&status)) != NULL)
		e->valid = false;
	some_invalid = true;
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
	{
		e->valid = false;
		some_invalid = true;
	}
}

/* A schema was renamed: names in every entry may be stale. */
static void
namespace_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	if (RelCache != NULL)
		invalidate_all();
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
		if (cdc_patterns_match(patterns, triple))
			return true;
	}
	return false;
}

/* (Re)build a relation's entry: names, filter verdict, columns to send. */
void
cdc_build_entry(CdcState *st, RelEntry *e, Relation rel)
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
		col->enc = cdc_column_encoding(basetypid);
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
RelEntry *
cdc_get_entry(CdcState *st, Relation rel)
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
		cdc_build_entry(st, e, rel);
	return e;
}

/* The cache's memory is gone: the callbacks must not touch it. */
static void
relcache_freed(void *arg)
{
	RelCache = NULL;
}

/*
 * Create the session's relation cache; register the callbacks once.  The
 * cache lives in st->cache_ctx and is forgotten when that goes, at the end
 * of decoding or with the decoding context after an ERROR (which skips the
 * shutdown callback): the callbacks outlive both.
 */
void
cdc_relcache_init(CdcState *st)
{
	HASHCTL		hctl;
	MemoryContextCallback *freed;

	hctl.keysize = sizeof(Oid);
	hctl.entrysize = sizeof(RelEntry);
	hctl.hcxt = st->cache_ctx;
	RelCache = hash_create("cellcdc relations", 128, &hctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	freed = MemoryContextAlloc(st->cache_ctx, sizeof(MemoryContextCallback));
	freed->func = relcache_freed;
	freed->arg = NULL;
	MemoryContextRegisterResetCallback(st->cache_ctx, freed);

	/* a backend has room for only a few callbacks, and they cannot be removed */
	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(relcache_cb, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, namespace_cb, (Datum) 0);
		callbacks_registered = true;
	}
}

/*
 * Free the entries marked invalid since the last sweep; each is rebuilt if
 * its relation shows up again.  Without this, every relation dropped during
 * a session would keep its entry until the session ends.  The callbacks
 * only mark entries, since one may fire while an entry is being built or
 * used: call this only between transactions, when none is.
 */
void
cdc_relcache_sweep(void)
{
	HASH_SEQ_STATUS status;
	RelEntry   *e;

	if (RelCache == NULL || !some_invalid)
		return;
	some_invalid = false;
	hash_seq_init(&status, RelCache);
	while ((e = hash_seq_search(&status)) != NULL)
	{
		if (e->valid)
			continue;
		MemoryContextDelete(e->mcxt);
		hash_search(RelCache, &e->relid, HASH_REMOVE, NULL);
	}
}
