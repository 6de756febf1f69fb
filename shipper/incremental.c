/*
 * incremental.c
 *		Incremental snapshots: a table's existing rows read while streaming
 *		goes on, in key-ordered chunks, each inside a window of watermarks
 *		(the DBLog algorithm), with no lock, no pause and no signal table.
 *
 * For each chunk: read it (incremental.snapshot.chunk.size rows after the
 * last key read, in its own statement snapshot), render it and hold it, then write
 * a high watermark into the WAL (a non-transactional logical decoding
 * message, prefix cellcdc.watermark).  From the read on, any change the
 * stream brings to a key held drops that key's read, since the change is
 * as new or newer; at the high watermark the reads left go out (op "r",
 * source.snapshot "incremental") ahead of everything the stream brings
 * after it.  So a key's history in Kafka never goes back, and a read never
 * hides a change.  DBLog opens the window at a low watermark written
 * before the read; the shipper reads in the thread that consumes the
 * stream, so it opens the window where the stream stands when it reads,
 * which is earlier: that also covers a transaction that committed just
 * before such a watermark but was not yet visible to the read.
 *
 * Work comes from requests (requests.c), from tables newly captured,
 * and from an initial snapshot that was interrupted (its ranges left),
 * into the queue (incremental_queue.c), which the slot's record in Kafka
 * keeps as it stands once Kafka has every read before it, so that a
 * restart, anywhere, goes on from the last chunk delivered and never
 * skips one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "incremental_int.h"
#include "record.h"


/* ---------- one session's resources ---------- */

static void
drop_held(Incremental *inc)
{
	for (int i = 0; i < inc->nheld; i++)
	{
		buf_free(&inc->held[i].key);
		buf_free(&inc->held[i].value);
	}
	inc->nheld = 0;
	snap_keys_free(inc->last, inc->table.nkey);
	inc->last = NULL;
	free(inc->topic);
	inc->topic = NULL;
	inc->window = WINDOW_NONE;
}

/*
 * The session ended: what was read but not confirmed is read again by the
 * next, from the queue as the slot confirmed it.
 */
void
incremental_end_session(Incremental *inc)
{
	drop_held(inc);
	snap_table_free(&inc->table);
	renderer_free(inc->renderer);
	inc->renderer = NULL;
	PQfinish(inc->conn);
	inc->conn = NULL;
	inc->cursor_open = false;
	while (inc->pending)
	{
		Pending    *p = inc->pending;

		inc->pending = p->next;
		free(p->state);
		free(p);
	}
	inc->pending_tail = NULL;
	queue_load(inc, inc->acked);
}

/* The head item is done with; say so when it was the last. */
static void
pop_head(Incremental *inc)
{
	IncItem    *it = inc->head;

	inc->head = it->next;
	item_free(it);
	snap_table_free(&inc->table);
	if (inc->head == NULL)
		log_info("incremental snapshots: all done");
}

/* The log line of an item done. */
static void
item_done(const IncItem *it, const char *name)
{
	double		secs = it->began ? (mono_ms() - it->began) / 1000.0 : 0;
	char		skipped[128] = "";

	if (it->skipped)
		snprintf(skipped, sizeof(skipped), "; %" PRIu64 " rows the interrupted snapshot had "
				 "sent were not sent again", it->skipped);
	log_info("incremental snapshot of %s%s%s done: %" PRIu64 " rows in %.1f s%s", name,
			 it->range ? " (a key range)" : "", it->filter ? " (filtered)" : "",
			 it->rows, secs, skipped);
}

/* At progress lines: how the snapshot at the head of the queue goes. */
void
incremental_report(const Incremental *inc)
{
	const IncItem *it = inc->head;
	int			queued = 0;

	if (it == NULL)
		return;
	for (const IncItem *q = it->next; q; q = q->next)
		queued++;
	if (inc->paused)
		log_info("incremental snapshots paused; %d queued", queued + 1);
	else if (inc->table.name && it->began && inc->table.estimate > 0)
		log_info("incremental snapshot of %s: %" PRIu64 " rows of about %" PRId64 " in %.0f s; "
				 "%d more queued", inc->table.name, it->rows, inc->table.estimate,
				 (mono_ms() - it->began) / 1000.0, queued);
	else if (inc->table.name && it->began)
		log_info("incremental snapshot of %s: %" PRIu64 " rows in %.0f s; %d more queued",
				 inc->table.name, it->rows, (mono_ms() - it->began) / 1000.0, queued);
}

/* ---------- the window ---------- */

/* A chunk row's message: held until the high watermark. */
static bool
hold(void *arg, const OutMessage *m)
{
	Incremental *inc = arg;
	HeldRead   *h;

	if (inc->nheld == inc->capheld)
	{
		inc->capheld = inc->capheld ? inc->capheld * 2 : 256;
		inc->held = xrealloc(inc->held, inc->capheld * sizeof(HeldRead));
		memset(inc->held + inc->nheld, 0, (inc->capheld - inc->nheld) * sizeof(HeldRead));
	}
	h = &inc->held[inc->nheld++];
	buf_reset(&h->key);
	buf_reset(&h->value);
	buf_put(&h->key, m->key ? m->key : "", m->key ? m->key_len : 0);
	buf_put(&h->value, m->value, m->value_len);
	h->dropped = false;
	if (inc->topic == NULL)
		inc->topic = xstrdup(m->topic);
	return true;
}

/* A streamed message: inside the window, a change to a held key drops its read. */
void
incremental_saw(Incremental *inc, const OutMessage *m)
{
	if (inc->window != WINDOW_OPEN || m->key == NULL || inc->topic == NULL ||
		strcmp(m->topic, inc->topic) != 0)
		return;
	for (int i = 0; i < inc->nheld; i++)
	{
		HeldRead   *h = &inc->held[i];

		if (!h->dropped && h->key.len == m->key_len && memcmp(h->key.data, m->key, m->key_len) == 0)
			h->dropped = true;
	}
}

/* Write the chunk's high watermark into the WAL. */
static bool
watermark(Shipper *sh)
{
	Incremental *inc = sh->inc;
	const char *params[2] = {WATERMARK_PREFIX, inc->id};
	PGresult   *res = PQexecParams(inc->conn, "SELECT pg_logical_emit_message(false, $1, $2)",
								   2, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		PQclear(res);
		return session_fail(sh, RESTART, "cannot write a snapshot watermark: %s",
							pg_error(inc->conn));
	}
	PQclear(res);
	return true;
}

/* The head item cannot be read: say why, drop it, and go on with the others. */
static void
give_up_item(Shipper *sh, const char *why)
{
	Incremental *inc = sh->inc;
	IncItem    *it = inc->head;

	log_error("incremental snapshot of %s stopped: %s", it->table, why);
	pop_head(inc);
	queue_changed(inc, sh->received);
}

/* An item that starts now ends at the table's largest key now. */
static void
fix_end(Shipper *sh, IncItem *it)
{
	char		err[ERRLEN];

	if (!snap_last_key(sh->inc->conn, &sh->inc->table, &it->hi, err, sizeof(err)))
	{
		give_up_item(sh, err);
		return;
	}
	it->started = true;
	it->nkey = sh->inc->table.nkey;
	it->hi_inclusive = true;
}

/* Describe the head item's table; when it cannot be read, the item goes. */
static void
describe_head(Shipper *sh)
{
	Incremental *inc = sh->inc;
	IncItem    *it = inc->head;
	const char *params[1] = {it->table};
	PGresult   *res = PQexecParams(inc->conn, "SELECT to_regclass($1)::oid", 1, NULL, params,
								   NULL, NULL, 0);
	char		err[ERRLEN] = "";
	uint32_t	oid = 0;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && !PQgetisnull(res, 0, 0))
		oid = (uint32_t) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (oid == 0)
		give_up_item(sh, "the table does not exist (dropped or renamed?)");
	else if (!snap_describe(inc->conn, oid, &inc->table, err, sizeof(err)))
		give_up_item(sh, err);
	else if (inc->table.failed[0])
		give_up_item(sh, inc->table.failed);	/* logged before the table is freed */
	else if (it->nkey && it->nkey != inc->table.nkey)
		give_up_item(sh, "its primary key changed since the snapshot started; request it again");
	else if (!snap_relation(inc->conn, &inc->table, sh->cfg->exclude_columns, &inc->relation,
							err, sizeof(err)) ||
			 !renderer_feed(inc->renderer, (const uint8_t *) inc->relation.data,
							inc->relation.len, 0, hold, inc))
		give_up_item(sh, err[0] ? err : renderer_error(inc->renderer));
	else if (inc->table.nkey == 0)
		log_info("incremental snapshot of %s: no primary key, so read whole, without a window "
				 "(its messages have no key to order by)", it->table);
	else if (!it->started)
		fix_end(sh, it);
}

/* the in-flight entry a fetch of a table without a key goes out under */
typedef struct SendNow
{
	Shipper    *sh;
	Txn		   *txn;
} SendNow;

/* A read of a table without a key goes out at once: no key, no conflict to wait for. */
static bool
send_now(void *arg, const OutMessage *m)
{
	SendNow    *to = arg;

	return stream_send(to->sh, to->txn, m);
}

/* What the reads about to be rendered say in their source block. */
static void
stamp_reads(Shipper *sh)
{
	sh->inc->src.lsn = sh->received;
	sh->inc->src.txid = 0;
	sh->inc->src.ts_us = wall_ms() * 1000;
}

/*
 * The next part of a table without a primary key, read whole through a
 * cursor in one transaction (a lost connection starts it over).
 */
static bool
read_whole(Shipper *sh)
{
	Incremental *inc = sh->inc;
	IncItem    *it = inc->head;
	const char *params[1] = {sh->cfg->exclude_columns ? sh->cfg->exclude_columns : ""};
	Buf			sql = {0};
	PGresult   *res;
	SendNow		to;
	int			n;

	if (!inc->cursor_open)
	{
		buf_printf(&sql, "DECLARE cellcdc_whole NO SCROLL CURSOR FOR "
				   "SELECT cellcdc.snapshot_row(t.*, $1) FROM ONLY %s t", inc->table.name);
		PQclear(PQexec(inc->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
		res = PQexecParams(inc->conn, sql.data, 1, NULL, params, NULL, NULL, 0);
		buf_free(&sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			PQclear(res);
			PQclear(PQexec(inc->conn, "ROLLBACK"));
			give_up_item(sh, pg_error(inc->conn));
			return true;
		}
		PQclear(res);
		inc->cursor_open = true;
	}
	buf_printf(&sql, "FETCH %d FROM cellcdc_whole", sh->cfg->incremental_chunk);
	res = PQexecParams(inc->conn, sql.data, 0, NULL, NULL, NULL, NULL, 1);
	buf_free(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		PQclear(res);
		PQclear(PQexec(inc->conn, "ROLLBACK"));
		inc->cursor_open = false;
		give_up_item(sh, pg_error(inc->conn));
		return true;
	}
	stamp_reads(sh);
	n = PQntuples(res);
	to.sh = sh;
	to.txn = inflight_settled(&sh->fl, sh->received);	/* one entry for the fetch */
	for (int i = 0; i < n; i++)
	{
		if (!renderer_read(inc->renderer, (const uint8_t *) PQgetvalue(res, i, 0),
						   PQgetlength(res, i, 0), &inc->src, MARK_INCREMENTAL, send_now, &to))
		{
			PQclear(res);
			if (sink_failed(sh->sink))
				return false;
			give_up_item(sh, renderer_error(inc->renderer));
			return true;
		}
		it->rows++;
	}
	PQclear(res);
	if (n < sh->cfg->incremental_chunk)
	{
		PQclear(PQexec(inc->conn, "COMMIT"));
		inc->cursor_open = false;
		item_done(it, inc->table.name);
		pop_head(inc);
		queue_changed(inc, sh->received);
	}
	return true;
}

/*
 * Between transactions: open the next chunk's window when none is open.
 * False when the session fails (a watermark cannot be written).
 */
bool
incremental_step(Shipper *sh)
{
	Incremental *inc = sh->inc;
	IncItem    *it;
	SnapRange	rg = {0};
	PGresult   *res;
	char		err[ERRLEN];

	if (inc->window != WINDOW_NONE || inc->paused || inc->head == NULL || sh->fl.open)
		return true;
	if (inc->conn == NULL)
	{
		if ((inc->conn = pg_connect(sh->cfg, false, err, sizeof(err))) == NULL)
			return session_fail(sh, RESTART, "incremental snapshot: %s", err);
		/* a request's filter runs here: it may read, never write */
		PQclear(PQexec(inc->conn, "SET default_transaction_read_only = on"));
		inc->renderer = renderer_new(sh->cfg, sh->cfg->dbname ? sh->cfg->dbname : PQdb(inc->conn),
									 meta_lookup, inc->conn, sh->claims);
	}
	while (inc->head && inc->table.name == NULL)
		describe_head(sh);
	if ((it = inc->head) == NULL)
		return true;
	if (it->began == 0)
		it->began = mono_ms();
	if (inc->table.nkey == 0)
		return read_whole(sh);

	snprintf(inc->id, sizeof(inc->id), "%s:%d:%" PRIu64, sh->cfg->slot_name, (int) getpid(),
			 ++inc->chunks);
	rg.lo = it->lo;
	rg.hi = it->hi;
	rg.hi_inclusive = it->hi_inclusive;
	rg.filter = it->filter;
	res = snap_chunk(inc->conn, &inc->table, &rg, it->after, sh->cfg->exclude_columns,
					 sh->cfg->incremental_chunk, err, sizeof(err));
	if (res == NULL)
	{
		give_up_item(sh, err);
		return true;
	}
	stamp_reads(sh);
	for (int i = 0; i < PQntuples(res); i++)
		if (!renderer_read(inc->renderer, (const uint8_t *) PQgetvalue(res, i, 0),
						   PQgetlength(res, i, 0), &inc->src, MARK_INCREMENTAL, hold, inc))
		{
			snprintf(err, sizeof(err), "a row cannot be rendered: %s", renderer_error(inc->renderer));
			PQclear(res);
			drop_held(inc);
			give_up_item(sh, err);
			return true;
		}
	inc->ends_item = PQntuples(res) < sh->cfg->incremental_chunk;
	if (PQntuples(res) > 0)
		inc->last = snap_row_keys(res, PQntuples(res) - 1, 1, inc->table.nkey);
	PQclear(res);
	/* from here on the stream's changes to held keys win */
	inc->window = WINDOW_OPEN;
	return watermark(sh);
}

/* The high watermark: the reads left go out, tied to its LSN; the item moves on. */
static void
close_window(Shipper *sh, uint64_t lsn)
{
	Incremental *inc = sh->inc;
	IncItem    *it = inc->head;
	Txn		   *t = sh->fl.tail;	/* the watermark's own entry */
	const char *range = item_range_name(it);	/* a range the initial snapshot left */

	for (int i = 0; i < inc->nheld; i++)
	{
		HeldRead   *h = &inc->held[i];
		OutMessage	m = {.topic = inc->topic,.key = h->key.len ? h->key.data : NULL,
		.key_len = h->key.len,.value = h->value.data,.value_len = h->value.len,
		.commit_lsn = inc->src.lsn};

		if (h->dropped)
			continue;
		/* what the initial snapshot did send is not sent again */
		if (range && snapshot_reads_has(sh->snapshot_reads, range, m.key, m.key_len))
		{
			it->skipped++;
			continue;
		}
		if (range)
		{
			m.extra_header = HDR_RANGE;
			m.extra_value = range;
			m.extra_len = strlen(range);
		}
		if (!stream_send(sh, t, &m))
			break;
		it->rows++;
	}
	if (inc->last)
	{
		snap_keys_free(it->after, it->nkey);
		it->after = inc->last;
		it->nkey = inc->table.nkey;
		inc->last = NULL;
	}
	if (inc->ends_item)
	{
		item_done(it, inc->table.name);
		pop_head(inc);
	}
	drop_held(inc);
	queue_changed(inc, lsn);
}

/* ---------- messages the stream brings ---------- */

/*
 * A logical decoding message of ours, kept out of Kafka: a watermark or a
 * snapshot request.  True when it was one (the caller renders it otherwise).
 */
bool
incremental_message(Shipper *sh, const uint8_t *data, size_t len, uint64_t lsn)
{
	Incremental *inc = sh->inc;
	CdcReader	r;
	CdcMessage	m;

	cdc_reader_init(&r, data + 1, len - 1);
	if (!cdc_read_message(&r, &m))
		return false;
	if (m.prefix.len == sizeof(REQUEST_PREFIX) - 1 &&
		memcmp(m.prefix.data, REQUEST_PREFIX, m.prefix.len) == 0)
	{
		request_apply(sh, m.content.data, m.content.len,
					  sh->fl.open ? sh->fl.open->final_lsn : lsn);
		return true;
	}
	if (m.prefix.len != sizeof(WATERMARK_PREFIX) - 1 ||
		memcmp(m.prefix.data, WATERMARK_PREFIX, m.prefix.len) != 0)
		return false;
	/* the open chunk's; others are from before a restart, or another shipper's */
	if (inc->window == WINDOW_OPEN && m.content.len == strlen(inc->id) &&
		memcmp(m.content.data, inc->id, m.content.len) == 0)
		close_window(sh, lsn);
	return true;
}
