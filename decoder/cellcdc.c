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
 *
 * This file holds the callbacks and writes the records around the rows
 * (BEGIN, ORIGIN, RELATION, COMMIT, TRUNCATE, MESSAGE); column values are
 * encoded in encode.c, options parsed in options.c, relations cached and
 * filtered in relcache.c.
 */
#include "cellcdc_int.h"

#include "replication/logical.h"
#include "replication/origin.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

extern PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks *cb);

/* how often to report progress while changes are being filtered out */
#define PROGRESS_EVERY_CHANGES 100

static void cdc_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt, bool is_init);
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

/* The plugin's entry point: hand PostgreSQL the callbacks. */
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
	if (e->sent)
		return;
	OutputPluginPrepareWrite(ctx, false);
	cdc_put_relation(ctx->out, e);
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
	MemoryContext old = MemoryContextSwitchTo(ctx->context);

	st = palloc0(sizeof(CdcState));
	st->change_ctx = AllocSetContextCreate(ctx->context, "cellcdc change",
										   ALLOCSET_DEFAULT_SIZES);
	st->cache_ctx = AllocSetContextCreate(ctx->context, "cellcdc relation cache",
										  ALLOCSET_DEFAULT_SIZES);
	st->convert_text = cdc_convert_text();
	cdc_parse_options(&st->opt, ctx->output_plugin_options);
	cdc_relcache_init(st);

	opt->output_type = OUTPUT_PLUGIN_BINARY_OUTPUT;
	opt->receive_rewrites = false;

	ctx->output_plugin_private = st;
	MemoryContextSwitchTo(old);
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

/* COMMIT, if the transaction sent anything; cache entries invalidated go. */
static void
cdc_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr commit_lsn)
{
	CdcState   *st = ctx->output_plugin_private;

	/* between transactions no cache entry is in use */
	cdc_relcache_sweep();

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

	e = cdc_get_entry(st, relation);
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
			cdc_put_tuple(st, s, e, CDC_TUPLE_NEW, e->values, e->nulls);
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			put_u8(s, CDC_UPDATE);
			put_u32(s, e->relid);
			heap_deform_tuple(newtup, desc, e->values, e->nulls);
			if (oldtup != NULL)
			{
				int			i;

				heap_deform_tuple(oldtup, desc, e->old_values, e->old_nulls);
				cdc_put_tuple(st, s, e, oldkind, e->old_values, e->old_nulls);

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
			cdc_put_tuple(st, s, e, CDC_TUPLE_NEW, e->values, e->nulls);
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			put_u8(s, CDC_DELETE);
			put_u32(s, e->relid);
			/* without a replica identity there is no old row to send */
			if (oldtup != NULL)
			{
				heap_deform_tuple(oldtup, desc, e->old_values, e->old_nulls);
				cdc_put_tuple(st, s, e, oldkind, e->old_values, e->old_nulls);
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
		RelEntry   *e = cdc_get_entry(st, relations[i]);

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
		!cdc_patterns_match(st->opt.message_prefixes, names))
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
