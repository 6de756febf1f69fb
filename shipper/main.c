/*
 * main.c
 *		cellcdc-shipper: stream a cellcdc slot to Kafka, losing nothing.
 *
 * One thread runs the loop pg_recvlogical runs: read XLogData from the
 * replication connection, render each record into messages, hand them to
 * the sink, answer keepalives.  delivery/ tracks every message until it is
 * acknowledged and says how far PostgreSQL may be told to let go.
 *
 * A session is one connection's life.  When it fails, main decides:
 * restart after a backoff (PostgreSQL or Kafka away, a failed delivery),
 * or exit with a status that says whether a restart can help (shipper.h,
 * README "Exit statuses").  The slot is created only by the first session
 * and only when the shipper has never streamed it (README, "The slot
 * rule"); a slot that disappears or is invalidated later is a gap in the
 * data, which the shipper reports and never papers over.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "delivery/delivery.h"
#include "record.h"
#include "sink/sink.h"
#include "source/source.h"

typedef struct Shipper
{
	Config	   *cfg;
	PGconn	   *repl;
	PGconn	   *meta;
	Sink	   *sink;
	Renderer   *renderer;
	Inflight	fl;
	Retry		retry;

	SystemId	sys;
	SlotId		slot_id;
	bool		first;			/* the first session of this process */
	bool		slot_seen;		/* the slot existed (or was made) in this process */
	bool		ever_streamed;
	bool		streaming;		/* this session's START_REPLICATION succeeded */
	bool		server_gone;	/* PostgreSQL is going away: hang up at once */
	int64_t		next_watch;		/* mono ms of the next check for that */
	bool		store;			/* the slot's record is kept in Kafka */
	uint64_t	created_lsn;	/* where the slot was created, if known */
	uint64_t	recorded;		/* confirmed LSN in the last record written */

	uint64_t	received;		/* last LSN received */
	int64_t		last_status;	/* mono ms, when status was last sent */

	/* how this session failed */
	ExitStatus	exit_status;	/* non-zero: stop with it, do not restart */
	uint64_t	fail_position;	/* the failure's LSN, 0 if not tied to one */
	char		err[ERRLEN];

	/* counts and what ops/ reports */
	uint64_t	changes;		/* messages handed to the sink */
	uint64_t	txns;
	uint64_t	dead_lettered;
	int64_t		next_progress;
	uint64_t	progress_changes;
	uint64_t	progress_txns;
	int64_t		outage_reported;	/* mono ms of the last outage line, 0: none */
	Buf			dlq_value;
} Shipper;

/* a failure after which the shipper restarts (no exit status yet) */
#define RESTART EXIT_STOPPED

/* how often the catalog connection is checked for a server going away */
#define SERVER_WATCH_MS 100

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t hup_received = 0;

static void
on_signal(int sig)
{
	static const char msg[] = "cellcdc-shipper: second signal, exiting at once without confirming\n";

	if (stop_requested)
	{
		(void) write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(EXIT_FAILED);
	}
	stop_requested = 1;
}

static void
on_hup(int sig)
{
	hup_received = 1;
}

/* Set the session's error (and the status to exit with, if any). */
static bool
fail(Shipper *sh, ExitStatus status, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static bool
fail(Shipper *sh, ExitStatus status, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(sh->err, sizeof(sh->err), fmt, ap);
	va_end(ap);
	sh->exit_status = status;
	return false;
}

/* "1.5 MB" and the like, for log lines */
static const char *
bytes_text(uint64_t n, char *out, size_t len)
{
	if (n < 10 * 1024)
		snprintf(out, len, "%" PRIu64 " bytes", n);
	else if (n < 10 * 1024 * 1024)
		snprintf(out, len, "%.1f kB", n / 1024.0);
	else if (n < UINT64_C(10) * 1024 * 1024 * 1024)
		snprintf(out, len, "%.1f MB", n / 1048576.0);
	else
		snprintf(out, len, "%.1f GB", n / 1073741824.0);
	return out;
}

/* "2m13s" */
static const char *
duration_text(int64_t ms, char *out, size_t len)
{
	int64_t		s = ms / 1000;

	if (s < 60)
		snprintf(out, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(out, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else
		snprintf(out, len, "%" PRId64 "h%02" PRId64 "m", s / 3600, s / 60 % 60);
	return out;
}

/* WAL the server holds for us beyond what is confirmed */
static uint64_t
unconfirmed_wal(const Shipper *sh)
{
	uint64_t	end = sh->fl.server_end > sh->received ? sh->fl.server_end : sh->received;

	return end > sh->fl.confirmed ? end - sh->fl.confirmed : 0;
}

/* Send a standby status update when due, or forced. */
static bool
report(Shipper *sh, bool force)
{
	int64_t		now = mono_ms();

	if (!force && now - sh->last_status < sh->cfg->status_interval_ms)
		return true;
	if (!stream_send_status(sh->repl, sh->received, sh->fl.confirmed, sh->err, sizeof(sh->err)))
		return false;
	sh->last_status = now;
	return true;
}

/*
 * Is PostgreSQL going away?  Checked every SERVER_WATCH_MS on the catalog
 * connection, which a fast shutdown closes first.
 */
static bool
server_going(Shipper *sh, int64_t now)
{
	const char *why;

	if (sh->server_gone)
		return true;
	if (now < sh->next_watch)
		return false;
	sh->next_watch = now + SERVER_WATCH_MS;
	if (!meta_server_gone(sh->meta))
		return false;
	why = pg_take_fatal();
	sh->server_gone = true;
	snprintf(sh->err, sizeof(sh->err), "PostgreSQL closed the shipper's connections%s%s "
			 "(shutting down or restarting?); hanging up so that it can stop",
			 why[0] ? ": " : "", why);
	return true;
}

/*
 * While the sink waits for room: keep the server from timing us out, and
 * give up waiting when asked to stop or when the server is going away.
 */
static bool
on_wait(void *arg)
{
	Shipper    *sh = arg;

	inflight_advance(&sh->fl);
	(void) report(sh, false);
	return !stop_requested && !server_going(sh, mono_ms());
}

/* Write this slot's record to the offsets topic (tracked, not confirmed over). */
static bool
write_record(Shipper *sh, const char *event)
{
	Buf			key = {0};
	Buf			value = {0};
	OutMessage	m = {0};
	Txn		   *t = inflight_settled(&sh->fl, 0);
	bool		ok;

	offsets_message(&sh->slot_id, event, sh->created_lsn, sh->fl.confirmed, &key, &value);
	m.topic = sh->cfg->offset_topic;
	m.key = key.data;
	m.key_len = key.len;
	m.value = value.data;
	m.value_len = value.len;
	t->pending++;
	ok = sink_send(sh->sink, &m, t);
	if (ok)
		sh->recorded = sh->fl.confirmed;
	else
		t->pending--;
	buf_free(&key);
	buf_free(&value);
	return ok;
}

/* Send m, or its dead-letter record, within transaction t. */
static bool
send_tracked(Shipper *sh, Txn *t, const OutMessage *m)
{
	t->pending++;
	if (sink_send(sh->sink, m, t))
	{
		sh->changes++;
		return true;
	}
	t->pending--;
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
	return send_tracked(sh, t, &m);
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

	if (due)
		return dead_letter(sh, t, m, NULL, m->commit_lsn, 0, due->error);
	if (send_tracked(sh, t, m))
		return true;
	f = sink_failed(sh->sink);
	if (f && f->kind == FAIL_MESSAGE && sh->cfg->errors_tolerate)
	{
		char		error[ERRLEN];

		snprintf(error, sizeof(error), "%s", f->error);
		sink_clear_failure(sh->sink);
		return dead_letter(sh, t, m, NULL, m->commit_lsn, f->size, error);
	}
	return false;
}

/* Name the change a failure concerns: "public.orders (key {...}) at LSN 0/1" */
static void
describe_change(char *out, size_t len, const char *what, const char *key, size_t key_len,
				uint64_t lsn)
{
	int			klen = key_len > 200 ? 200 : (int) key_len;

	snprintf(out, len, "%s (key %.*s%s) at LSN " LSN_FMT, what ? what : "a change",
			 key ? klen : 4, key ? key : "null", key_len > 200 ? "..." : "", LSN_ARGS(lsn));
}

/* One XLogData payload: a cellcdc record that arrived at lsn. */
static bool
handle_record(Shipper *sh, const uint8_t *data, size_t len, uint64_t lsn)
{
	char		kind = len > 0 ? (char) data[0] : 0;
	CdcReader	r;

	cdc_reader_init(&r, data + (len > 0), len - (len > 0));
	if (kind == CDC_BEGIN)
	{
		CdcBegin	b;

		if (sh->fl.open)
			return fail(sh, RESTART, "BEGIN at " LSN_FMT " inside an open transaction", LSN_ARGS(lsn));
		if (!cdc_read_begin(&r, &b))
			return fail(sh, RESTART, "BEGIN at " LSN_FMT ": %s", LSN_ARGS(lsn), r.error);
		inflight_begin(&sh->fl, b.final_lsn);
	}
	else if (sh->fl.open == NULL)
		/* a non-transactional message or a RELATION between transactions */
		inflight_settled(&sh->fl, lsn);

	if (!renderer_feed(sh->renderer, data, len, lsn, emit, sh))
	{
		RenderFailure rf;
		char		change[ERRLEN];

		if (sink_failed(sh->sink))
			return false;		/* emit failed: the sink says why */
		renderer_failure(sh->renderer, &rf);
		if (sh->cfg->errors_tolerate && kind != CDC_BEGIN && kind != CDC_COMMIT)
		{
			OutMessage	orig = {.topic = rf.topic,.key = rf.key,.key_len = rf.key_len,
			.commit_lsn = sh->fl.open ? sh->fl.open->final_lsn : lsn};

			return dead_letter(sh, sh->fl.open ? sh->fl.open : sh->fl.tail,
							   rf.topic ? &orig : NULL, rf.table, lsn, len,
							   renderer_error(sh->renderer));
		}
		describe_change(change, sizeof(change), rf.table, rf.key, rf.key_len, lsn);
		sh->fail_position = lsn;
		return fail(sh, RESTART, "cannot render the change to %s: %s", change,
					renderer_error(sh->renderer));
	}

	if (kind == CDC_COMMIT)
	{
		CdcCommit	c;

		if (sh->fl.open == NULL || !cdc_read_commit(&r, &c))
			return fail(sh, RESTART, "COMMIT at " LSN_FMT " %s", LSN_ARGS(lsn),
						sh->fl.open ? r.error : "without BEGIN");
		inflight_commit(&sh->fl, c.end_lsn);
		sh->txns++;
	}
	return true;
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
		inflight_advance(&sh->fl);
		return report(sh, buf[17] != 0);
	}
	if (buf[0] == 'w' && len >= 25)
	{
		uint64_t	lsn = get_u64(buf + 1);

		if (lsn > sh->received)
			sh->received = lsn;
		return handle_record(sh, (const uint8_t *) buf + 25, len - 25, lsn);
	}
	return fail(sh, RESTART, "unexpected replication message '%c' (%d bytes)", buf[0], len);
}

/* The periodic progress line (log.progress.interval.ms), and the slot's record. */
static void
report_progress(Shipper *sh, int64_t now)
{
	char		wal[32];
	double		secs = sh->cfg->progress_interval_ms / 1000.0;

	if (sh->cfg->progress_interval_ms <= 0 || now < sh->next_progress)
		return;
	if (sh->next_progress != 0)
		log_info("progress: %" PRIu64 " messages from %" PRIu64 " transactions in the last %.0f s "
				 "(%.1f/s), %" PRIu64 " in all; confirmed " LSN_FMT ", %s of WAL unconfirmed; "
				 "%ld waiting for Kafka; %" PRIu64 " dead-lettered",
				 sh->changes - sh->progress_changes, sh->txns - sh->progress_txns, secs,
				 (sh->changes - sh->progress_changes) / secs, sh->changes,
				 LSN_ARGS(sh->fl.confirmed), bytes_text(unconfirmed_wal(sh), wal, sizeof(wal)),
				 sink_pending(sh->sink), sh->dead_lettered);
	sh->progress_changes = sh->changes;
	sh->progress_txns = sh->txns;
	sh->next_progress = now + sh->cfg->progress_interval_ms;
	if (sh->store && sh->fl.confirmed != sh->recorded && sh->sink->outage_since == 0)
		(void) write_record(sh, "streaming");
}

/*
 * Kafka outages: one line when every broker is down, one a minute while
 * it lasts (with the WAL the cell keeps meanwhile), one when it ends.
 */
static void
report_outage(Shipper *sh, int64_t now)
{
	int64_t		since = sh->sink->outage_since;
	char		dur[32],
				wal[32],
				probe_err[ERRLEN];

	/* with nothing in flight no delivery report can end it: ask the brokers */
	if (since && sink_pending(sh->sink) == 0 && now - sh->outage_reported >= 60000 &&
		sink_kafka_reachable(sh->sink, 1000, probe_err, sizeof(probe_err)))
		sh->sink->outage_since = since = 0;
	if (since == 0)
	{
		if (sh->outage_reported)
			log_info("Kafka is reachable again");
		sh->outage_reported = 0;
		return;
	}
	if (sh->outage_reported == 0)
		log_warn("Kafka unreachable: every broker is down; holding the slot at " LSN_FMT
				 " (the cell keeps WAL until Kafka is back)", LSN_ARGS(sh->fl.confirmed));
	else if (now - sh->outage_reported >= 60000)
		log_warn("Kafka unreachable for %s; %ld messages waiting; %s of WAL unconfirmed",
				 duration_text(now - since, dur, sizeof(dur)), sink_pending(sh->sink),
				 bytes_text(unconfirmed_wal(sh), wal, sizeof(wal)));
	else
		return;
	sh->outage_reported = now;
}

/* What the sink's failure means for this session. */
static bool
sink_failure(Shipper *sh)
{
	const SinkFailure *f = sink_failed(sh->sink);
	char		change[ERRLEN];

	if (f == NULL)
		return true;
	if (f->kind == FAIL_OUTPUT_CLOSED)
	{
		stop_requested = 1;
		log_info("%s; stopping", f->error);
		return true;
	}
	if (f->kind != FAIL_MESSAGE)
		return fail(sh, RESTART, "%s", f->error);
	sh->fail_position = f->commit_lsn;
	if (sh->cfg->errors_tolerate)
		retry_dead_letter_later(&sh->retry, f->commit_lsn, f->seq, f->error);
	describe_change(change, sizeof(change), f->topic, f->key.len ? f->key.data : NULL,
					f->key.len, f->commit_lsn);
	return fail(sh, RESTART, "cannot deliver the message for %s: %s", change, f->error);
}

/*
 * Stream until stop is requested (true) or the session fails (false).  A
 * stop waits for the open transaction's COMMIT (within the shutdown bound),
 * so that a restart does not send its first part again.
 */
static bool
stream(Shipper *sh)
{
	int64_t		stop_by = 0;

	for (;;)
	{
		char	   *buf;
		int			len;
		int64_t		now = mono_ms();

		if (stop_requested)
		{
			if (stop_by == 0)
				stop_by = now + sh->cfg->shutdown_timeout_ms / 2;
			if (sh->fl.open == NULL || now > stop_by)
				return true;
		}
		if (hup_received)
		{
			hup_received = 0;
			log_info("SIGHUP: nothing to reload (the configuration is read at start); "
					 "restart the shipper to apply changes; still running");
		}

		sink_poll(sh->sink, 0);
		inflight_advance(&sh->fl);
		retry_forget_before(&sh->retry, sh->fl.confirmed);
		if (server_going(sh, now))
			return false;
		if (!sink_failure(sh) || !report(sh, false))
			return false;
		report_progress(sh, now);
		report_outage(sh, now);

		len = PQgetCopyData(sh->repl, &buf, 1);
		if (len == 0)
		{
			struct pollfd pfd[2] = {{.fd = PQsocket(sh->repl),.events = POLLIN},
			{.fd = PQsocket(sh->meta),.events = POLLIN}};

			/* wake for delivery reports and status updates */
			if (poll(pfd, 2, 100) < 0 && errno != EINTR)
				return fail(sh, RESTART, "poll: %s", strerror(errno));
			if (pfd[0].revents && !PQconsumeInput(sh->repl))
				return fail(sh, RESTART, "connection to PostgreSQL lost: %s", pg_error(sh->repl));
			continue;
		}
		if (len < 0)
		{
			PGresult   *res = PQgetResult(sh->repl);
			const char *why = res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
				: PQerrorMessage(sh->repl);

			if (why[0] == '\0')
				fail(sh, RESTART, "the server ended the replication stream without saying why");
			else
				fail(sh, RESTART, "replication stream ended: %s", why);
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

/* The gap line: what happened to the slot, what is lost, what to do. */
static bool
gap(Shipper *sh, const char *what, uint64_t lost_after)
{
	return fail(sh, EXIT_GAP, "slot \"%s\" %s; changes after LSN " LSN_FMT " are lost. "
				"Re-snapshot the captured tables, or to go on from now deliberately run "
				"cellcdc-shipper with --new-slot", sh->cfg->slot_name, what, LSN_ARGS(lost_after));
}

/*
 * The slot rule: create the slot only at start-up and only when this
 * shipper has never streamed it; anything else that finds it missing or
 * invalidated is a gap.
 */
static bool
check_slot(Shipper *sh, const SlotRecord *rec, bool *created)
{
	SlotInfo	info;
	char		what[ERRLEN];

	if (!slot_inspect(sh->repl, sh->cfg->slot_name, &info, sh->err, sizeof(sh->err)))
		return false;
	switch (info.state)
	{
		case SLOT_FOREIGN:
			return fail(sh, EXIT_CONFIG, "%s", sh->err);
		case SLOT_LOST:
			if (!(sh->first && sh->cfg->new_slot))
				return gap(sh, "was invalidated: the WAL it needs was removed (wal_status lost, "
						   "see max_slot_wal_keep_size)",
						   sh->fl.confirmed ? sh->fl.confirmed : info.confirmed_lsn);
			log_warn("--new-slot: dropping invalidated slot \"%s\" (confirmed up to " LSN_FMT ")",
					 sh->cfg->slot_name, LSN_ARGS(info.confirmed_lsn));
			if (!slot_drop(sh->repl, sh->cfg->slot_name, sh->err, sizeof(sh->err)))
				return fail(sh, EXIT_STARTUP, "%s", sh->err);
			break;
		case SLOT_READY:
			if (info.active_pid)
				return fail(sh, sh->first ? EXIT_STARTUP : RESTART,
							"another process streams slot \"%s\" (%s): another shipper holds "
							"the slot; stop it, or give this shipper its own slot.name",
							sh->cfg->slot_name, info.holder);
			if (sh->first && sh->cfg->new_slot)
				return fail(sh, EXIT_CONFIG, "--new-slot: slot \"%s\" exists and is usable; "
							"run without --new-slot", sh->cfg->slot_name);
			sh->slot_seen = true;
			return true;
		case SLOT_MISSING:
			break;
	}

	if (info.state == SLOT_MISSING && !(sh->first && sh->cfg->new_slot))
	{
		if (sh->slot_seen)
			return gap(sh, "disappeared while this shipper was using it (dropped?)",
					   sh->fl.confirmed);
		if (rec->found)
		{
			snprintf(what, sizeof(what), "does not exist, but this shipper created it at LSN "
					 LSN_FMT " and streamed it (record of %s in %s)",
					 LSN_ARGS(rec->created_lsn), rec->time, sh->cfg->offset_topic);
			return gap(sh, what, rec->confirmed_lsn);
		}
	}
	if (!slot_create(sh->repl, sh->cfg->slot_name, &sh->created_lsn, sh->err, sizeof(sh->err)))
		return fail(sh, EXIT_STARTUP, "%s", sh->err);
	*created = sh->slot_seen = true;
	sh->fl.confirmed = 0;
	if (sh->cfg->new_slot && rec->found)
		log_warn("--new-slot: created slot \"%s\" at " LSN_FMT "; changes between LSN " LSN_FMT
				 " and it are not sent", sh->cfg->slot_name, LSN_ARGS(sh->created_lsn),
				 LSN_ARGS(rec->confirmed_lsn));
	else
		log_info("created replication slot \"%s\" at " LSN_FMT, sh->cfg->slot_name,
				 LSN_ARGS(sh->created_lsn));
	return true;
}

/* Write the record of a slot just created, and wait until Kafka has it. */
static bool
record_created(Shipper *sh, const char *event)
{
	if (!sh->store)
		return true;
	if (!write_record(sh, event) ||
		!sink_flush(sh->sink, sh->cfg->startup_timeout_ms) || sink_failed(sh->sink))
		return fail(sh, EXIT_STARTUP, "cannot record slot \"%s\" in offset.storage.topic %s: %s; "
					"check that the topic can be written (create it, compacted, if the "
					"cluster does not create topics)", sh->cfg->slot_name, sh->cfg->offset_topic,
					sink_failed(sh->sink) ? sink_failed(sh->sink)->error : "not acknowledged in time");
	inflight_advance(&sh->fl);
	return true;
}

/* Connect, check Kafka and the slot, start streaming from the confirmed LSN. */
static bool
start_session(Shipper *sh)
{
	SlotRecord	rec = {0};
	char		sqlstate[6];
	bool		created = false;

	sh->sink = sink_open(sh->cfg, inflight_ack, on_wait, sh, sh->err, sizeof(sh->err));
	if (sh->sink == NULL)
		return fail(sh, sh->first ? EXIT_STARTUP : RESTART, "%s", sh->err);
	/* before anything is created, Kafka must answer */
	if (sh->first && !sink_kafka_reachable(sh->sink, sh->cfg->startup_timeout_ms,
										   sh->err, sizeof(sh->err)))
		return fail(sh, EXIT_STARTUP, "%s", sh->err);
	if ((sh->repl = pg_connect(sh->cfg, true, sh->err, sizeof(sh->err))) == NULL ||
		(sh->meta = pg_connect(sh->cfg, false, sh->err, sizeof(sh->err))) == NULL ||
		!stream_identify(sh->repl, &sh->sys, sh->err, sizeof(sh->err)))
		return fail(sh, sh->first ? EXIT_STARTUP : RESTART, "%s", sh->err);
	sh->slot_id.slot = sh->cfg->slot_name;
	sh->slot_id.database = sh->sys.dbname;
	sh->slot_id.system = sh->sys.system;

	if (sh->first && sh->store &&
		!offsets_read(sh->cfg, &sh->slot_id, sh->cfg->startup_timeout_ms, &rec,
					  sh->err, sizeof(sh->err)))
		return fail(sh, EXIT_STARTUP, "%s", sh->err);
	if (!check_slot(sh, &rec, &created))
		return false;
	if (sh->first && (created || !rec.found) &&
		!record_created(sh, created ? (sh->cfg->new_slot ? "new-slot" : "created") : "streaming"))
		return false;
	if (!rec.found && !created && sh->first && !sh->store)
		log_warn("sink=%s keeps no record of the slot: a slot dropped while the shipper is "
				 "stopped cannot be told from a new one", sh->cfg->sink == SINK_STDOUT ? "stdout" : "null");

	sh->renderer = renderer_new(sh->cfg, sh->cfg->dbname ? sh->cfg->dbname : PQdb(sh->repl),
								meta_lookup, sh->meta);
	if (!stream_start(sh->repl, sh->cfg, sh->fl.confirmed, sqlstate, sh->err, sizeof(sh->err)))
	{
		/* the slot changed since check_slot looked */
		if (strcmp(sqlstate, SQLSTATE_UNDEFINED_OBJECT) == 0)
			return gap(sh, "disappeared while this shipper was using it (dropped?)",
					   sh->fl.confirmed);
		if (strcmp(sqlstate, SQLSTATE_NOT_IN_PREREQ) == 0)
			return gap(sh, "was invalidated: the WAL it needs was removed", sh->fl.confirmed);
		if (strcmp(sqlstate, SQLSTATE_OBJECT_IN_USE) == 0)
			return fail(sh, sh->first ? EXIT_STARTUP : RESTART, "another process streams slot \"%s\": "
						"another shipper holds the slot; stop it, or give this shipper its own "
						"slot.name", sh->cfg->slot_name);
		return fail(sh, sh->first ? EXIT_STARTUP : RESTART, "%s", sh->err);
	}
	sh->streaming = sh->ever_streamed = true;
	sh->last_status = 0;
	log_info("streaming slot \"%s\" from %s to %s", sh->cfg->slot_name,
			 sh->fl.confirmed ? "the last confirmed position" : "the slot's position",
			 sh->cfg->sink == SINK_KAFKA ? "Kafka" :
			 sh->cfg->sink == SINK_STDOUT ? "stdout" : "nowhere (sink=null)");
	return true;
}

/*
 * Wait for the sink to settle what it holds, up to timeout_ms (or until
 * it fails), confirming as acknowledgements arrive.  True if all settled.
 */
static bool
drain(Shipper *sh, int timeout_ms)
{
	int64_t		deadline = mono_ms() + timeout_ms;

	while (sink_pending(sh->sink) > 0 && mono_ms() < deadline && !sink_failed(sh->sink))
	{
		sink_flush(sh->sink, 100);
		inflight_advance(&sh->fl);
		if (sh->repl && sh->streaming)
			(void) report(sh, false);
	}
	sink_poll(sh->sink, 0);
	inflight_advance(&sh->fl);
	return sink_pending(sh->sink) == 0 && !sink_failed(sh->sink);
}

/*
 * Tear the session down.  Unless PostgreSQL is going away, first wait
 * (bounded) for what the sink holds, so the next session starts after it
 * rather than sending it again; then tell the server how far it may let go.
 * Returns true if everything handed to the sink was acknowledged.
 */
static bool
end_session(Shipper *sh, bool stopping)
{
	bool		settled = true;
	long		unacked;

	if (sh->server_gone)
	{
		PQfinish(sh->repl);
		sh->repl = NULL;
	}
	else if (sh->sink)
		settled = drain(sh, sh->cfg->shutdown_timeout_ms);
	if (stopping && settled && sh->store && sh->streaming)
		settled = write_record(sh, "stopped") && drain(sh, sh->cfg->shutdown_timeout_ms);
	if (sh->repl && sh->streaming && PQstatus(sh->repl) == CONNECTION_OK)
	{
		char		err[ERRLEN];

		(void) stream_send_status(sh->repl, sh->received, sh->fl.confirmed, err, sizeof(err));
		PQputCopyEnd(sh->repl, NULL);
	}
	unacked = inflight_unacked(&sh->fl);
	if (unacked > 0)
		log_warn("%ld messages were not acknowledged by Kafka; they will be sent again "
				 "from LSN " LSN_FMT, unacked, LSN_ARGS(sh->fl.confirmed));
	if (sh->sink)
		sink_close(sh->sink, true);
	if (sh->renderer)
		renderer_free(sh->renderer);
	PQfinish(sh->repl);
	PQfinish(sh->meta);
	inflight_reset(&sh->fl);
	sh->sink = NULL;
	sh->renderer = NULL;
	sh->repl = sh->meta = NULL;
	sh->streaming = sh->server_gone = false;
	return settled && unacked == 0;
}

/* Sleep up to ms, waking early for a stop request. */
static void
backoff_sleep(int ms)
{
	for (int slept = 0; slept < ms && !stop_requested; slept += 50)
		usleep(50 * 1000);
}

int
main(int argc, char **argv)
{
	Config		cfg;
	Shipper		sh = {0};
	struct sigaction sa = {0};
	int			rc = config_load(&cfg, argc, argv);
	bool		settled;

	if (rc != 0)
		return rc == 1 ? EXIT_STOPPED : EXIT_CONFIG;
	log_setup(cfg.slot_name, cfg.log_json);

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sh.cfg = &cfg;
	sh.first = true;
	sh.store = cfg.sink == SINK_KAFKA;
	retry_init(&sh.retry, &cfg);
	for (;;)
	{
		bool		ok;
		int			wait;

		sh.exit_status = EXIT_STOPPED;
		sh.fail_position = 0;
		sh.err[0] = '\0';
		ok = start_session(&sh) && stream(&sh);
		if (ok || stop_requested)
		{
			settled = end_session(&sh, true);
			break;
		}
		if (sh.exit_status != EXIT_STOPPED)
		{
			log_error("%s", sh.err);
			end_session(&sh, false);
			return sh.exit_status;
		}
		wait = retry_note(&sh.retry, &cfg, sh.fail_position, sh.fl.confirmed);
		if (retry_exhausted(&sh.retry, &cfg))
		{
			log_error("%s; failed %d times in a row at this position, stopping "
					  "(errors.max.retries=%d; errors.tolerance=all with "
					  "errors.deadletterqueue.topic.name sets such a change aside instead)",
					  sh.err, sh.retry.count, cfg.errors_max_retries);
			end_session(&sh, false);
			return EXIT_RETRIES;
		}
		log_warn("%s", sh.err);
		end_session(&sh, false);
		sh.first = false;
		log_info("restarting from " LSN_FMT " in %d ms%s", LSN_ARGS(sh.fl.confirmed), wait,
				 sh.retry.count > 1 && sh.fail_position ? " (the same failure again)" : "");
		backoff_sleep(wait);
		if (stop_requested)
		{
			settled = true;
			break;
		}
	}
	log_info("stopped: %" PRIu64 " messages from %" PRIu64 " transactions; confirmed " LSN_FMT,
			 sh.changes, sh.txns, LSN_ARGS(sh.fl.confirmed));
	buf_free(&sh.dlq_value);
	return settled ? EXIT_STOPPED : EXIT_FAILED;
}
