/*
 * change.c
 *		Changes into messages: INSERT, UPDATE, DELETE, TRUNCATE and logical
 *		decoding messages, each as the events Debezium writes for it.
 *
 * A change event is the envelope (before, after, source, op, times and,
 * with provide.transaction.metadata, the transaction block) in the
 * configured layout's field order, keyed by the row's key.  A delete is
 * followed by its tombstone; an update that changes the key becomes a
 * delete (with its tombstone) under the old key and a create under the
 * new one.  Every message goes out through deliver(), which stamps the
 * headers that place it in its transaction.
 */
#include "render/render_int.h"
#include "ops/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "render/json.h"

/* Wall clock in nanoseconds since the epoch. */
static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The source block.  ts_us: its timestamp (commit time, or now for a
 * non-transactional message); names: ,"schema":..,"table":..
 */
static void
write_source(Renderer *r, Buf *b, int64_t ts_us, const char *names, size_t names_len,
			 bool txid, uint64_t lsn)
{
	static const char *const marks[] = {
		[MARK_TRUE] = "true",[MARK_FIRST] = "first",
		[MARK_FIRST_IN_TABLE] = "first_in_data_collection",
		[MARK_LAST_IN_TABLE] = "last_in_data_collection",[MARK_LAST] = "last",
		[MARK_INCREMENTAL] = "incremental"
	};

	buf_put(b, r->src_head, r->src_head_len);
	json_i64(b, ts_us / 1000 - (ts_us % 1000 < 0));
	JLIT(b, ",\"snapshot\":\"");
	buf_puts(b, r->read ? marks[r->read_mark] : "false");
	buf_putc(b, '"');
	buf_put(b, r->src_db, r->src_db_len);
	/*
	 * sequence: ["<last commit end LSN>","<this LSN>"] as a string; a
	 * snapshot read has no commit before it
	 */
	if (r->have_last_commit && r->read == NULL)
	{
		JLIT(b, "\\\"");
		json_u64(b, r->last_commit);
		JLIT(b, "\\\"");
	}
	else
		JLIT(b, "null");
	JLIT(b, ",\\\"");
	json_u64(b, lsn);
	JLIT(b, "\\\"]\"");
	if (r->cfg.layout >= DBZ_2_6)
	{
		JLIT(b, ",\"ts_us\":");
		json_i64(b, ts_us);
		JLIT(b, ",\"ts_ns\":");
		json_i64(b, wmul(ts_us, 1000));
	}
	buf_put(b, names, names_len);
	JLIT(b, ",\"txId\":");
	if (r->read ? r->read->txid != 0 : txid)
		json_u64(b, r->read ? r->read->txid : r->xid);
	else
		JLIT(b, "null");
	JLIT(b, ",\"lsn\":");
	if (r->read && r->read_mark == MARK_INCREMENTAL)
		JLIT(b, "null");		/* as Debezium leaves it */
	else
		json_u64(b, lsn);
	JLIT(b, ",\"xmin\":null");
	if (r->cfg.layout >= DBZ_3_5)
	{
		JLIT(b, ",\"origin\":");
		if (r->in_txn && r->have_origin)
		{
			json_str(b, r->origin, strlen(r->origin));
			JLIT(b, ",\"origin_lsn\":");
			json_u64(b, r->origin_lsn);
		}
		else
			JLIT(b, "null,\"origin_lsn\":null");
	}
	buf_putc(b, '}');
}

/* Hand one message to the sink; headers place it in its transaction. */
bool
deliver(Renderer *r, EmitFn emit, void *arg, const char *topic, const Buf *key, const Buf *val,
		uint64_t lsn, const char *hdr, const Buf *hdrval)
{
	OutMessage	m;

	m.topic = topic;
	m.key = key ? key->data : NULL;
	m.key_len = key ? key->len : 0;
	m.value = val ? val->data : NULL;
	m.value_len = val ? val->len : 0;
	if (r->read)
	{
		m.commit_lsn = r->read->lsn;
		m.seq = 0;
	}
	else if (r->in_txn)
	{
		m.commit_lsn = r->final_lsn;
		m.seq = ++r->seq;
	}
	else
	{
		/* a non-transactional message stands alone at its own LSN */
		m.commit_lsn = lsn;
		m.seq = 1;
	}
	m.extra_header = hdr;
	m.extra_value = hdrval ? hdrval->data : NULL;
	m.extra_len = hdrval ? hdrval->len : 0;
	if (!emit(arg, &m))
		return render_fail(r, "the sink refused a message for topic %s", topic);
	return true;
}

/* Note what the record is about, for renderer_failure(). */
static void
working_on(Renderer *r, const Rel *rel, const Buf *key)
{
	r->cur_table = rel->qualified;
	r->cur_topic = rel->topic;
	r->cur_key = key;
}

/* A table whose topic already carries another is sent nowhere (topic.c). */
static bool
check_topic(Renderer *r, const Rel *rel)
{
	if (rel->clash == NULL)
		return true;
	return render_fail(r, "table %s maps to topic %s, which already carries %s; rename one of "
					   "them or exclude one with table.exclude.list",
					   rel->quoted, rel->topic, rel->clash);
}

/*
 * One change event (c, u, d, t): the value into r->val, then the message,
 * then for a delete its tombstone.  key: the key bytes or NULL.  The rows
 * are written before anything is counted or sent, so that a value that
 * cannot be written fails the event with nothing of it sent.
 */
static bool
change_event(Renderer *r, Rel *rel, char op, const CdcValue *before, const CdcValue *after,
			 uint64_t lsn, const Buf *key, const char *hdr, const Buf *hdrval,
			 EmitFn emit, void *arg)
{
	Buf		   *b = &r->val;
	uint64_t	dc_order = 0;
	int64_t		now;
	bool		tx = r->cfg.tx_metadata && r->in_txn;
	int			layout = r->cfg.layout;

	working_on(r, rel, key);
	if (!check_topic(r, rel))
		return false;
	buf_reset(b);
	if (rel->val_prefix)
		buf_put(b, rel->val_prefix, rel->val_prefix_len);
	JLIT(b, "{\"before\":");
	if (before)
	{
		if (!write_row(r, b, rel, before))
			return false;
	}
	else
		JLIT(b, "null");
	JLIT(b, ",\"after\":");
	if (after)
	{
		if (!write_row(r, b, rel, after))
			return false;
	}
	else
		JLIT(b, "null");
	/* counting may send the transaction's BEGIN event, which goes first */
	if (tx && !tx_count(r, rel, lsn, emit, arg, &dc_order))
		return false;
	buf_putc(b, ',');
	write_source(r, b, r->read ? r->read->ts_us : r->commit_us, rel->src_names,
				 rel->src_names_len, true, lsn);
	if (layout >= DBZ_2_7)
		write_txblock(r, b, tx, lsn, dc_order);
	now = now_ns();
	JLIT(b, ",\"op\":\"");
	buf_putc(b, op);
	JLIT(b, "\",\"ts_ms\":");
	json_i64(b, now / 1000000);
	if (layout >= DBZ_2_6)
	{
		JLIT(b, ",\"ts_us\":");
		json_i64(b, now / 1000);
		JLIT(b, ",\"ts_ns\":");
		json_i64(b, now);
	}
	if (layout < DBZ_2_7)
		write_txblock(r, b, tx, lsn, dc_order);
	buf_putc(b, '}');
	if (rel->val_prefix)
		buf_putc(b, '}');

	if (!deliver(r, emit, arg, rel->topic, key, b, lsn, hdr, hdrval))
		return false;
	/* the tombstone: same key, null value (Debezium copies the headers) */
	if (op == 'd' && key && r->cfg.tombstones)
		return deliver(r, emit, arg, rel->topic, key, NULL, lsn, hdr, hdrval);
	return true;
}

/* Read a tuple of rel's width into vals. */
static bool
read_tuple(Renderer *r, CdcReader *rd, const Rel *rel, CdcValue *vals, const char *what)
{
	uint32_t	n,
				i;

	if (!cdc_read_tuple_header(rd, &n))
		return render_fail(r, "malformed %s record for %s: %s", what, rel->qualified, rd->error);
	if (n != (uint32_t) rel->ncols)
		return render_fail(r, "%s record for %s has %u columns, its RELATION record %d", what,
						   rel->qualified, n, rel->ncols);
	for (i = 0; i < n; i++)
		if (!cdc_read_value(rd, &vals[i]))
			return render_fail(r, "malformed %s record for %s, column %s: %s", what, rel->qualified,
							   rel->cols[i].name, rd->error);
	return true;
}

/* Read a tuple kind byte. */
static bool
read_kind(Renderer *r, CdcReader *rd, const Rel *rel, const char *what, uint8_t *kind)
{
	if (!cdc_read_u8(rd, kind, "tuple kind"))
		return render_fail(r, "malformed %s record for %s: %s", what, rel->qualified, rd->error);
	return true;
}

/* Nothing may follow a record's last field. */
bool
check_end(Renderer *r, CdcReader *rd, const char *what)
{
	if (!cdc_at_end(rd))
	{
		cdc_fail(rd, "bytes after the end of the record");
		return render_fail(r, "malformed %s record: %s", what, rd->error);
	}
	return true;
}

/* A change outside BEGIN..COMMIT cannot be placed. */
static bool
need_txn(Renderer *r, const char *what)
{
	if (!r->in_txn)
		return render_fail(r, "%s record outside a transaction (no BEGIN before it)", what);
	return true;
}

/* INSERT, UPDATE, DELETE */
bool
on_change(Renderer *r, CdcReader *rd, uint8_t kind, uint64_t lsn, EmitFn emit, void *arg)
{
	const char *what = kind == CDC_INSERT ? "INSERT" : kind == CDC_UPDATE ? "UPDATE" : "DELETE";
	uint32_t	relid;
	Rel		   *rel;
	uint8_t		tk;
	bool		has_old = false;
	bool		has_key;

	if (!cdc_read_u32(rd, &relid, "relation OID"))
		return render_fail(r, "malformed %s record: %s", what, rd->error);
	if (!need_txn(r, what) || (rel = rel_get(r, relid, what)) == NULL)
		return false;
	working_on(r, rel, NULL);

	if (kind == CDC_INSERT)
	{
		if (!read_kind(r, rd, rel, what, &tk))
			return false;
		if (tk != CDC_TUPLE_NEW)
			return render_fail(r, "malformed INSERT record for %s: tuple kind 0x%02x, not 'N'", rel->qualified, tk);
		if (!read_tuple(r, rd, rel, r->newv, what) || !check_end(r, rd, what))
			return false;
		if (r->cfg.skipped_ops & SKIP_CREATE)
			return true;
		has_key = rel->nkey > 0;
		if (has_key && !write_key(r, &r->key, rel, r->newv))
			return false;
		return change_event(r, rel, 'c', NULL, r->newv, lsn, has_key ? &r->key : NULL, NULL, NULL,
							emit, arg);
	}

	if (kind == CDC_DELETE)
	{
		if (!cdc_at_end(rd))
		{
			if (!read_kind(r, rd, rel, what, &tk))
				return false;
			if (tk != CDC_TUPLE_KEY && tk != CDC_TUPLE_OLD)
				return render_fail(r, "malformed DELETE record for %s: tuple kind 0x%02x, not 'K' or 'O'",
								   rel->qualified, tk);
			if (!read_tuple(r, rd, rel, r->oldv, what) || !check_end(r, rd, what))
				return false;
			has_old = true;
		}
		if (r->cfg.skipped_ops & SKIP_DELETE)
			return true;
		if (!has_old)
		{
			/*
			 * No old row (REPLICA IDENTITY NOTHING, or DEFAULT without a
			 * primary key): there is nothing to say which row went.
			 * Debezium skips these deletes too (skipEmptyMessages); we say
			 * so once per relation rather than drop them silently.
			 */
			if (!rel->warned_nothing)
			{
				rel->warned_nothing = true;
				log_warn("deletes on %s are skipped: the table's replica "
						 "identity gives no old row (as Debezium does; set REPLICA IDENTITY FULL "
						 "or add a primary key)", rel->qualified);
			}
			return true;
		}
		has_key = rel->nkey > 0;
		if (has_key && !write_key(r, &r->key, rel, r->oldv))
			return false;
		return change_event(r, rel, 'd', r->oldv, NULL, lsn, has_key ? &r->key : NULL, NULL, NULL,
							emit, arg);
	}

	/* UPDATE: an optional old tuple, then the new one */
	if (!read_kind(r, rd, rel, what, &tk))
		return false;
	if (tk == CDC_TUPLE_KEY || tk == CDC_TUPLE_OLD)
	{
		if (!read_tuple(r, rd, rel, r->oldv, what) || !read_kind(r, rd, rel, what, &tk))
			return false;
		has_old = true;
	}
	if (tk != CDC_TUPLE_NEW)
		return render_fail(r, "malformed UPDATE record for %s: tuple kind 0x%02x, not 'N'", rel->qualified, tk);
	if (!read_tuple(r, rd, rel, r->newv, what) || !check_end(r, rd, what))
		return false;
	if (r->cfg.skipped_ops & SKIP_UPDATE)
		return true;
	has_key = rel->nkey > 0;
	if (has_key && !write_key(r, &r->key, rel, r->newv))
		return false;
	if (has_key && has_old)
	{
		working_on(r, rel, &r->key);
		if (!write_key(r, &r->key2, rel, r->oldv))
			return false;
		if (r->key2.len != r->key.len || memcmp(r->key2.data, r->key.data, r->key.len) != 0)
		{
			/*
			 * The key changed: delete (+ tombstone) under the old key,
			 * create under the new.  The new row is written once ahead,
			 * so that a value that cannot be written fails the update
			 * before its delete is sent.
			 */
			buf_reset(&r->scratch);
			if (!check_topic(r, rel) || !write_row(r, &r->scratch, rel, r->newv))
				return false;
			if (!change_event(r, rel, 'd', r->oldv, NULL, lsn, &r->key2, "__debezium.newkey", &r->key,
							  emit, arg))
				return false;
			return change_event(r, rel, 'c', NULL, r->newv, lsn, &r->key, "__debezium.oldkey", &r->key2,
								emit, arg);
		}
	}
	return change_event(r, rel, 'u', has_old ? r->oldv : NULL, r->newv, lsn,
						has_key ? &r->key : NULL, NULL, NULL, emit, arg);
}

/* A snapshot read: an INSERT record rendered as op "r" (render.h). */
bool
renderer_read(Renderer *r, const uint8_t *data, size_t len, const SnapshotSource *src,
			  SnapshotMarker mark, EmitFn emit, void *arg)
{
	CdcReader	rd;
	uint8_t		kind,
				tk;
	uint32_t	relid;
	Rel		   *rel;
	bool		has_key,
				in_txn,
				ok;

	r->err[0] = '\0';
	r->cur_table = r->cur_topic = NULL;
	r->cur_key = NULL;
	cdc_reader_init(&rd, data, len);
	if (!cdc_read_u8(&rd, &kind, "record kind") || kind != CDC_INSERT)
		return render_fail(r, "a snapshot read is not an INSERT record");
	if (!cdc_read_u32(&rd, &relid, "relation OID"))
		return render_fail(r, "malformed snapshot read: %s", rd.error);
	if ((rel = rel_get(r, relid, "snapshot read")) == NULL)
		return false;
	working_on(r, rel, NULL);
	if (!read_kind(r, &rd, rel, "snapshot read", &tk))
		return false;
	if (tk != CDC_TUPLE_NEW)
		return render_fail(r, "malformed snapshot read of %s: tuple kind 0x%02x, not 'N'",
						   rel->qualified, tk);
	if (!read_tuple(r, &rd, rel, r->newv, "snapshot read") ||
		!check_end(r, &rd, "snapshot read"))
		return false;
	has_key = rel->nkey > 0;
	if (has_key && !write_key(r, &r->key, rel, r->newv))
		return false;
	/* a read belongs to no transaction, even one open in the stream */
	in_txn = r->in_txn;
	r->in_txn = false;
	r->read = src;
	r->read_mark = mark;
	ok = change_event(r, rel, 'r', NULL, r->newv, src->lsn, has_key ? &r->key : NULL, NULL, NULL,
					  emit, arg);
	r->read = NULL;
	r->in_txn = in_txn;
	return ok;
}

/* The i-th relation OID of a TRUNCATE record (read, so known to be there). */
static uint32_t
truncate_relid(const uint8_t *ids, uint32_t i)
{
	return ((uint32_t) ids[4 * i] << 24) | ((uint32_t) ids[4 * i + 1] << 16) |
		((uint32_t) ids[4 * i + 2] << 8) | ids[4 * i + 3];
}

/* TRUNCATE: one op t event per relation, null key. */
bool
on_truncate(Renderer *r, CdcReader *rd, uint64_t lsn, EmitFn emit, void *arg)
{
	CdcTruncate t;
	uint32_t	i,
				relid;
	const uint8_t *ids;

	if (!cdc_read_truncate(rd, &t))
		return render_fail(r, "malformed TRUNCATE record: %s", rd->error);
	ids = rd->p;
	for (i = 0; i < t.nrels; i++)
		if (!cdc_read_u32(rd, &relid, "TRUNCATE relation OID"))
			return render_fail(r, "malformed TRUNCATE record: %s", rd->error);
	if (!check_end(r, rd, "TRUNCATE") || !need_txn(r, "TRUNCATE"))
		return false;
	/* every relation must be known, even when truncates are skipped */
	for (i = 0; i < t.nrels; i++)
		if (rel_get(r, truncate_relid(ids, i), "TRUNCATE") == NULL)
			return false;
	if (r->cfg.skipped_ops & SKIP_TRUNCATE)
		return true;
	/* nothing is sent when one of them cannot be */
	for (i = 0; i < t.nrels; i++)
	{
		Rel		   *rel = rel_lookup(r, truncate_relid(ids, i));

		working_on(r, rel, NULL);
		if (!check_topic(r, rel))
			return false;
	}
	for (i = 0; i < t.nrels; i++)
		if (!change_event(r, rel_lookup(r, truncate_relid(ids, i)), 't', NULL, NULL, lsn, NULL,
						  NULL, NULL, emit, arg))
			return false;
	return true;
}

/* MESSAGE: Debezium's MessageKey / MessageValue on <prefix>.message. */
bool
on_message(Renderer *r, CdcReader *rd, uint64_t lsn, EmitFn emit, void *arg)
{
	CdcMessage	m;
	bool		tx;
	int64_t		now = now_ns();
	Buf		   *k = &r->key,
			   *v = &r->val;
	static const char names[] = ",\"schema\":\"\",\"table\":\"\"";

	if (!cdc_read_message(rd, &m))
		return render_fail(r, "malformed MESSAGE record: %s", rd->error);
	if (!check_end(r, rd, "MESSAGE"))
		return false;
	tx = (m.flags & CDC_MESSAGE_TRANSACTIONAL) != 0;
	if (tx && !need_txn(r, "transactional MESSAGE"))
		return false;

	buf_reset(k);
	if (r->cfg.key_schemas)
		buf_puts(k, r->msgkey_prefix);
	JLIT(k, "{\"prefix\":");
	json_str(k, m.prefix.data, m.prefix.len);
	buf_putc(k, '}');
	if (r->cfg.key_schemas)
		buf_putc(k, '}');
	r->cur_topic = r->msg_topic;
	r->cur_key = k;

	buf_reset(v);
	if (r->cfg.value_schemas)
		buf_puts(v, r->msgval_prefix);
	JLIT(v, "{\"op\":\"m\",\"ts_ms\":");
	json_i64(v, now / 1000000);
	buf_putc(v, ',');
	if (tx)
		write_source(r, v, r->commit_us, names, sizeof(names) - 1, true, lsn);
	else
	{
		/* outside a transaction: no txId, no origin, the time we saw it */
		bool		in = r->in_txn;

		r->in_txn = false;
		write_source(r, v, now / 1000, names, sizeof(names) - 1, false, lsn);
		r->in_txn = in;
	}
	JLIT(v, ",\"transaction\":null,\"message\":{\"prefix\":");
	json_str(v, m.prefix.data, m.prefix.len);
	JLIT(v, ",\"content\":");
	write_binary(v, r->cfg.binary_mode, (const uint8_t *) m.content.data, m.content.len);
	JLIT(v, "}}");
	if (r->cfg.value_schemas)
		buf_putc(v, '}');
	if (tx)
		return deliver(r, emit, arg, r->msg_topic, k, v, lsn, NULL, NULL);
	else
	{
		bool		in = r->in_txn;
		bool		ok;

		r->in_txn = false;
		ok = deliver(r, emit, arg, r->msg_topic, k, v, lsn, NULL, NULL);
		r->in_txn = in;
		return ok;
	}
}
