/*
 * stream.c
 *		The streaming loop, as pg_recvlogical runs it: read XLogData from the
 *		replication connection, render each record into messages, hand them
 *		to the sink, answer keepalives.
 *
 * Every message is tracked by its transaction until acknowledged
 * (delivery/inflight.c).  A record that cannot be rendered, or a message
 * that Kafka refuses, fails the session at its stream position, which
 * main.c counts (delivery/retry.c); with errors.tolerance=all the change
 * goes to the dead-letter topic instead and the stream goes on.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "record.h"
#include "session.h"

/*
 * Once the stream is past what Kafka held at the session's start, say how
 * many messages were skipped and stop looking.
 */
static void
replay_passed(Shipper *sh, uint64_t lsn)
{
	Position	held = delivered_max(sh->delivered);

	if (sh->delivered == NULL || lsn <= held.lsn)
		return;
	if (delivered_skipped(sh->delivered) > 0)
		log_info("skipped %ld messages up to LSN " LSN_FMT " that Kafka already had; sending "
				 "from here on", delivered_skipped(sh->delivered), LSN_ARGS(held.lsn));
	delivered_free(sh->delivered);
	sh->delivered = NULL;
}

/* Has Kafka got m already?  While the slot replays what it held, it may. */
static bool
already_sent(Shipper *sh, const OutMessage *m)
{
	if (sh->delivered == NULL || m->seq == 0)
		return false;
	replay_passed(sh, m->commit_lsn);
	return sh->delivered && delivered_holds(sh->delivered, m);
}

/* Send m within transaction t; a failed send keeps t from being confirmed. */
bool
stream_send(Shipper *sh, Txn *t, const OutMessage *m)
{
	if (already_sent(sh, m))
		return true;
	t->pending++;
	t->sent++;
	if (sink_send(sh->sink, m, t))
	{
		sh->changes++;
		return true;
	}
	t->pending--;
	t->failed = true;
	return false;
}

/* Put a change on the dead-letter topic instead of its own: the stream goes on. */
static bool
dead_letter(Shipper *sh, Txn *t, const OutMessage *orig, const char *table, uint64_t lsn,
			size_t size, const char *error)
{
	OutMessage	m = {0};

	dead_letter_message(sh->cfg, orig ? orig->topic : NULL, table,
						orig ? orig->key : NULL, orig ? orig->key_len : 0,
						lsn, size, error, &sh->dlq_value);
	m.topic = sh->cfg->dlq_topic;
	if (orig)
	{
		m.key = orig->key;
		m.key_len = orig->key_len;
		m.commit_lsn = orig->commit_lsn;
		m.seq = orig->seq;
	}
	m.value = sh->dlq_value.data;
	m.value_len = sh->dlq_value.len;
	sh->dead_lettered++;
	log_warn("dead-lettered a change to %s at LSN " LSN_FMT " on %s: %s",
			 orig ? orig->topic : table ? table : "an unknown table", LSN_ARGS(lsn),
			 sh->cfg->dlq_topic, error);
	return stream_send(sh, t, &m);
}

/* The renderer's output goes to the sink, tracked by its transaction. */
static bool
emit(void *arg, const OutMessage *m)
{
	Shipper    *sh = arg;
	Txn		   *t = sh->fl.open ? sh->fl.open : sh->fl.tail;
	const DeadLetter *due = sh->cfg->errors_tolerate ?
		retry_dead_letter_due(&sh->retry, m->commit_lsn, m->seq) : NULL;
	const SinkFailure *f;

	incremental_saw(sh->inc, m);
	if (due)
		return dead_letter(sh, t, m, NULL, m->commit_lsn, 0, due->error);
	if (stream_send(sh, t, m))
		return true;
	f = sink_failed(sh->sink);
	/* only m's own failure: one reported meanwhile for another message is not m's */
	if (f && f->kind == FAIL_MESSAGE && sh->cfg->errors_tolerate &&
		f->commit_lsn == m->commit_lsn && f->seq == m->seq && strcmp(f->topic, m->topic) == 0)
	{
		t->failed = false;		/* the dead-letter record stands in for m */
		char		error[ERRLEN];

		snprintf(error, sizeof(error), "%s", f->error);
		sink_clear_failure(sh->sink);
		return dead_letter(sh, t, m, NULL, m->commit_lsn, f->size, error);
	}
	return false;
}

/*
 * Name the change a failure concerns: "public.orders (key {"id":1}) at LSN
 * 0/1", the key's payload only when it carries a schema.
 */
static void
describe_change(char *out, size_t len, const char *what, const char *key, size_t key_len,
				uint64_t lsn)
{
	static const char schema[] = "{\"schema\":";
	static const char payload[] = ",\"payload\":";
	const char *p = key && key_len > sizeof(schema) && memcmp(key, schema, sizeof(schema) - 1) == 0 ?
		memmem(key, key_len, payload, sizeof(payload) - 1) : NULL;
	int			klen;

	if (p && key[key_len - 1] == '}')
	{
		key_len -= (p + sizeof(payload) - 1 - key) + 1;
		key = p + sizeof(payload) - 1;
	}
	klen = key_len > 200 ? 200 : (int) key_len;

	snprintf(out, len, "%s (key %.*s%s) at LSN " LSN_FMT, what ? what : "a change",
			 key ? klen : 4, key ? key : "null", key_len > 200 ? "..." : "", LSN_ARGS(lsn));
}

/* What the sink's failure means for this session. */
static bool
sink_failure(Shipper *sh)
{
	const SinkFailure *f = sink_failed(sh->sink);
	char		change[ERRLEN];

	if (f == NULL)
		return true;
	sh->fail_position = 0;
	if (sh->server_gone)
		return false;			/* the sink gave up waiting for that: sh->err says it */
	if (f->kind == FAIL_OUTPUT_CLOSED)
	{
		/* stop at once: what follows cannot be written, so it is not confirmed */
		if (!sh->output_closed)
			log_info("%s; stopping", f->error);
		sh->output_closed = true;
		return false;
	}
	if (f->kind != FAIL_MESSAGE)
		return session_fail(sh, RESTART, "%s", f->error);
	/* a record of the shipper's own (no change behind it) counts as one position */
	sh->fail_position = f->commit_lsn ? f->commit_lsn : OWN_RECORD_POSITION;
	if (sh->cfg->errors_tolerate && f->commit_lsn)
		retry_dead_letter_later(&sh->retry, f->commit_lsn, f->seq, f->error);
	describe_change(change, sizeof(change), f->topic, f->key.len ? f->key.data : NULL,
					f->key.len, f->commit_lsn);
	return session_fail(sh, RESTART, "cannot deliver the message for %s: %s", change, f->error);
}

/* One XLogData payload: a cellcdc record that arrived at lsn. */
static bool
handle_record(Shipper *sh, const uint8_t *data, size_t len, uint64_t lsn)
{
	char		kind = len > 0 ? (char) data[0] : 0;
	CdcReader	r;

	cdc_reader_init(&r, data + (len > 0), len - (len > 0));
	/*
	 * A record that cannot be read or rendered fails at its transaction's
	 * position (its own outside one), like a poison change.
	 */
	sh->fail_position = sh->fl.open ? sh->fl.open->final_lsn : lsn;
	if (kind == CDC_BEGIN)
	{
		CdcBegin	b;

		if (sh->fl.open)
			return session_fail(sh, RESTART, "BEGIN at " LSN_FMT " inside an open transaction",
								LSN_ARGS(lsn));
		if (!cdc_read_begin(&r, &b))
			return session_fail(sh, RESTART, "BEGIN at " LSN_FMT ": %s", LSN_ARGS(lsn),
								r.error);
		inflight_begin(&sh->fl, b.final_lsn);
		sh->fail_position = b.final_lsn;
	}
	else if (sh->fl.open == NULL)
		/* a non-transactional message or a RELATION between transactions */
		inflight_settled(&sh->fl, lsn);
	/* watermarks and snapshot requests are the shipper's, not Kafka's */
	if (kind == CDC_MESSAGE && incremental_message(sh, data, len, lsn))
	{
		sh->fail_position = 0;
		return true;
	}

	if (!renderer_feed(sh->renderer, data, len, lsn, emit, sh))
	{
		RenderFailure rf;
		char		change[ERRLEN];

		if (sink_failed(sh->sink))
			return sink_failure(sh);	/* emit failed: the sink says why */
		if (kind == CDC_RELATION)
		{
			/* most likely the catalog lookup: retried, never set aside */
			sh->fail_position = 0;
			sh->next_watch = 0;
			if (server_going(sh, mono_ms()))
				return false;	/* the lookup failed because the server is going away */
			return session_fail(sh, RESTART, "RELATION at " LSN_FMT ": %s", LSN_ARGS(lsn),
								renderer_error(sh->renderer));
		}
		renderer_failure(sh->renderer, &rf);
		if (sh->cfg->errors_tolerate && kind != CDC_BEGIN && kind != CDC_COMMIT)
		{
			OutMessage	orig = {.topic = rf.topic,.key = rf.key,.key_len = rf.key_len,
			.commit_lsn = sh->fl.open ? sh->fl.open->final_lsn : lsn};

			sh->fail_position = 0;
			return dead_letter(sh, sh->fl.open ? sh->fl.open : sh->fl.tail,
							   rf.topic ? &orig : NULL, rf.table, lsn, len,
							   renderer_error(sh->renderer)) || sink_failure(sh);
		}
		describe_change(change, sizeof(change), rf.table, rf.key, rf.key_len, lsn);
		return session_fail(sh, RESTART, "cannot render the change to %s: %s", change,
							renderer_error(sh->renderer));
	}

	if (kind == CDC_COMMIT)
	{
		CdcCommit	c;

		if (sh->fl.open == NULL || !cdc_read_commit(&r, &c))
			return session_fail(sh, RESTART, "COMMIT at " LSN_FMT " %s", LSN_ARGS(lsn),
								sh->fl.open ? r.error : "without BEGIN");
		inflight_commit(&sh->fl, c.end_lsn);
		sh->txns++;
	}
	sh->fail_position = 0;
	return true;
}

/* A record, and if it fails, the entry it belongs to is never confirmed. */
static bool
handle_record_tracked(Shipper *sh, const uint8_t *data, size_t len, uint64_t lsn)
{
	if (handle_record(sh, data, len, lsn))
		return true;
	if (sh->fl.open)
		sh->fl.open->failed = true;
	else if (sh->fl.tail)
		sh->fl.tail->failed = true;
	return false;
}

static uint64_t
get_u64(const char *p)
{
	uint32_t	hi,
				lo;

	memcpy(&hi, p, 4);
	memcpy(&lo, p + 4, 4);
	return ((uint64_t) ntohl(hi) << 32) | ntohl(lo);
}

/* One CopyData message from the walsender. */
static bool
handle_copy(Shipper *sh, const char *buf, int len)
{
	if (buf[0] == 'k' && len >= 18)
	{
		uint64_t	wal_end = get_u64(buf + 1);

		if (wal_end > sh->fl.server_end)
			sh->fl.server_end = wal_end;
		/* everything before a keepalive has been read: report it as written */
		if (wal_end > sh->received)
			sh->received = wal_end;
		inflight_advance(&sh->fl);
		/* the walsender has decoded up to wal_end: an idle replay ends here */
		replay_passed(sh, wal_end);
		return send_status(sh, buf[17] != 0);
	}
	if (buf[0] == 'w' && len >= 25)
	{
		uint64_t	lsn = get_u64(buf + 1);

		if (lsn > sh->received)
			sh->received = lsn;
		return handle_record_tracked(sh, (const uint8_t *) buf + 25, len - 25, lsn);
	}
	return session_fail(sh, RESTART, "unexpected replication message '%c' (%d bytes)",
						buf[0], len);
}

/*
 * Stream until stop is requested (true) or the session fails (false).  A
 * stop waits for the open transaction's COMMIT (within the shutdown bound),
 * so that a restart does not send its first part again.
 */
bool
stream_changes(Shipper *sh)
{
	int64_t		stop_by = 0;

	for (;;)
	{
		char	   *buf;
		int			len;
		int64_t		now = mono_ms();

		if (stop_requested)
		{
			/* half the stop's time for the open transaction's COMMIT */
			if (stop_by == 0)
			{
				stop_by = now + stop_time_left(sh) / 2;
				note_stop(sh);
			}
			if (sh->fl.open == NULL || now > stop_by)
				return true;
		}
		if (sh->output_closed)
			return true;
		if (hup_received)
		{
			hup_received = 0;
			log_info("SIGHUP: nothing to reload (the configuration is read at start); "
					 "restart the shipper to apply changes; still running");
		}

		if (spool_due(sh, now) || kafka_back(sh, now))
			return false;		/* main hands over to the next session */
		sink_poll(sh->sink, 0);
		inflight_advance(&sh->fl);
		retry_forget_before(&sh->retry, sh->fl.confirmed);
		if (server_going(sh, now))
			return false;
		if (!sink_failure(sh) || !send_status(sh, false))
			return false;
		if (!record_position(sh, now))
		{
			(void) sink_failure(sh);	/* the sink's error, if it was the sink */
			return false;
		}
		report_progress(sh, now);
		report_outage(sh, now);
		if (!incremental_step(sh))
			return false;
		if (sh->store && incremental_record_due(sh->inc, sh->fl.confirmed))
		{
			if (!write_record(sh, "snapshot-progress"))
				return sink_failure(sh);
		}

		len = PQgetCopyData(sh->repl, &buf, 1);
		if (len == 0)
		{
			struct pollfd pfd[2] = {{.fd = PQsocket(sh->repl),.events = POLLIN},
			{.fd = PQsocket(sh->meta),.events = POLLIN}};

			/* wake for delivery reports and status updates */
			if (poll(pfd, 2, 100) < 0 && errno != EINTR)
				return session_fail(sh, RESTART, "poll: %s", strerror(errno));
			if (pfd[0].revents && !PQconsumeInput(sh->repl))
				return session_fail(sh, RESTART, "connection to PostgreSQL lost: %s",
									pg_error(sh->repl));
			if (pfd[1].revents)
				sh->next_watch = 0;	/* the catalog connection spoke: look now */
			continue;
		}
		if (len < 0)
		{
			PGresult   *res = PQgetResult(sh->repl);
			const char *why = res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
				: PQerrorMessage(sh->repl);

			if (why[0] == '\0')
				session_fail(sh, RESTART, "PostgreSQL ended the replication stream "
							 "(shutting down or restarting?)");
			else
				session_fail(sh, RESTART, "replication stream ended: %s", why);
			PQclear(res);
			return false;
		}
		if (!handle_copy(sh, buf, len))
		{
			PQfreemem(buf);
			return false;
		}
		PQfreemem(buf);
	}
}
