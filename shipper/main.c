/*
 * main.c
 *		cellcdc-shipper: stream a cellcdc slot to Kafka, losing nothing.
 *
 * One thread runs the loop pg_recvlogical runs: read XLogData from the
 * replication connection, render each record into messages, hand them to
 * the sink, answer keepalives.  Each transaction is tracked until every
 * one of its messages is acknowledged; the LSN confirmed to Postgres only
 * ever moves over a prefix of fully acknowledged transactions.  When
 * nothing is in flight, the server's WAL end is confirmed instead, so a
 * database whose changes are all filtered out does not retain WAL.
 *
 * A lost connection, a failed delivery or a dead producer ends the
 * session: everything is torn down and streaming restarts, after a
 * bounded exponential backoff, from the last confirmed LSN.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "mem.h"
#include "record.h"
#include "shipper.h"

/* a transaction whose messages are in flight */
typedef struct Txn
{
	struct Txn *next;
	uint64_t	end_lsn;		/* confirmable once all is acknowledged */
	long		pending;		/* messages not yet acknowledged */
	bool		committed;		/* its COMMIT has arrived */
} Txn;

typedef struct Shipper
{
	Config	   *cfg;
	PGconn	   *repl;
	PGconn	   *meta;
	Sink	   *sink;
	Renderer   *renderer;

	Txn		   *head;			/* oldest unconfirmed transaction */
	Txn		   *tail;
	Txn		   *open;			/* between BEGIN and COMMIT, else NULL */

	uint64_t	received;		/* last LSN received */
	uint64_t	confirmed;		/* everything before it is in the sink */
	uint64_t	server_end;		/* walsender's WAL end, from keepalives */
	int64_t		last_status;	/* ms, when status was last sent */
	bool		streaming;		/* START_REPLICATION succeeded */

	uint64_t	changes;		/* messages handed to the sink */
	uint64_t	txns;
	char		err[ERRLEN];
} Shipper;

static volatile sig_atomic_t stop_requested = 0;

static void
on_signal(int sig)
{
	static const char msg[] = "cellcdc-shipper: second signal, exiting without confirming\n";

	if (stop_requested)
	{
		(void) write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(1);
	}
	stop_requested = 1;
}

/* Append a transaction to the in-flight list. */
static Txn *
txn_new(Shipper *sh)
{
	Txn		   *t = xcalloc(1, sizeof(Txn));

	if (sh->tail)
		sh->tail->next = t;
	else
		sh->head = t;
	sh->tail = t;
	return t;
}

/* A delivery report: errors are also recorded by the sink, which ends the session. */
static void
on_ack(void *opaque, const char *error)
{
	Txn		   *t = opaque;

	if (error == NULL)
		t->pending--;
}

/* Move the confirmable LSN over fully acknowledged transactions. */
static void
advance(Shipper *sh)
{
	while (sh->head && sh->head->committed && sh->head->pending == 0)
	{
		Txn		   *t = sh->head;

		if (t->end_lsn > sh->confirmed)
			sh->confirmed = t->end_lsn;
		sh->head = t->next;
		if (sh->head == NULL)
			sh->tail = NULL;
		free(t);
	}
	/* nothing in flight: what the server has read is settled too */
	if (sh->head == NULL && sh->open == NULL && sh->server_end > sh->confirmed)
		sh->confirmed = sh->server_end;
}

static void
drop_txns(Shipper *sh)
{
	while (sh->head)
	{
		Txn		   *t = sh->head;

		sh->head = t->next;
		free(t);
	}
	sh->tail = sh->open = NULL;
	/* the server's WAL end only counts while what came before it is tracked */
	sh->server_end = 0;
}

/* Send a standby status update when due, asked for, or forced. */
static bool
report(Shipper *sh, bool force)
{
	int64_t		now = mono_ms();

	if (!force && now - sh->last_status < sh->cfg->status_interval_ms)
		return true;
	if (!stream_send_status(sh->repl, sh->received, sh->confirmed, sh->err, sizeof(sh->err)))
		return false;
	sh->last_status = now;
	return true;
}

/*
 * While the sink waits for room: keep the server from timing us out, and
 * give up waiting when asked to stop.
 */
static bool
on_wait(void *arg)
{
	Shipper    *sh = arg;

	advance(sh);
	(void) report(sh, false);
	return !stop_requested;
}

/* The renderer's output goes to the sink, tracked by its transaction. */
static bool
emit(void *arg, const OutMessage *m)
{
	Shipper    *sh = arg;
	Txn		   *t = sh->open ? sh->open : sh->tail;

	t->pending++;
	if (!sink_send(sh->sink, m, t, sh->err, sizeof(sh->err)))
	{
		t->pending--;
		return false;
	}
	sh->changes++;
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

/* One XLogData payload: a cellcdc record that arrived at lsn. */
static bool
handle_record(Shipper *sh, const uint8_t *data, size_t len, uint64_t lsn)
{
	char		kind = len > 0 ? (char) data[0] : 0;

	if (kind == CDC_BEGIN)
	{
		if (sh->open)
		{
			snprintf(sh->err, sizeof(sh->err), "BEGIN at " LSN_FMT " inside an open transaction",
					 LSN_ARGS(lsn));
			return false;
		}
		sh->open = txn_new(sh);
	}
	else if (sh->open == NULL)
	{
		/* a non-transactional message or a RELATION between transactions */
		Txn		   *t = txn_new(sh);

		t->committed = true;
		t->end_lsn = lsn;
	}

	if (!renderer_feed(sh->renderer, data, len, lsn, emit, sh))
	{
		if (!sh->err[0])
			snprintf(sh->err, sizeof(sh->err), "record at " LSN_FMT ": %s",
					 LSN_ARGS(lsn), renderer_error(sh->renderer));
		return false;
	}

	if (kind == CDC_COMMIT)
	{
		CdcReader	r;
		CdcCommit	c;

		cdc_reader_init(&r, data + 1, len - 1);
		if (sh->open == NULL || !cdc_read_commit(&r, &c))
		{
			snprintf(sh->err, sizeof(sh->err), "COMMIT at " LSN_FMT " %s", LSN_ARGS(lsn),
					 sh->open ? r.error : "without BEGIN");
			return false;
		}
		sh->open->end_lsn = c.end_lsn;
		sh->open->committed = true;
		sh->open = NULL;
		sh->txns++;
	}
	return true;
}

/* One CopyData message from the walsender. */
static bool
handle_copy(Shipper *sh, const char *buf, int len)
{
	if (buf[0] == 'k' && len >= 18)
	{
		uint64_t	wal_end = get_u64(buf + 1);

		if (wal_end > sh->server_end)
			sh->server_end = wal_end;
		advance(sh);
		return report(sh, buf[17] != 0);
	}
	if (buf[0] == 'w' && len >= 25)
	{
		uint64_t	lsn = get_u64(buf + 1);

		if (lsn > sh->received)
			sh->received = lsn;
		return handle_record(sh, (const uint8_t *) buf + 25, len - 25, lsn);
	}
	snprintf(sh->err, sizeof(sh->err), "unexpected replication message '%c' (%d bytes)",
			 buf[0], len);
	return false;
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

		if (stop_requested)
		{
			if (stop_by == 0)
				stop_by = mono_ms() + sh->cfg->shutdown_timeout_ms / 2;
			if (sh->open == NULL || mono_ms() > stop_by)
				return true;
		}

		sink_poll(sh->sink, 0);
		advance(sh);
		if (sink_failed(sh->sink, sh->err, sizeof(sh->err)) || !report(sh, false))
			return false;

		len = PQgetCopyData(sh->repl, &buf, 1);
		if (len == 0)
		{
			struct pollfd pfd = {.fd = PQsocket(sh->repl),.events = POLLIN};
			int			wait = sh->cfg->status_interval_ms;

			/* wake for delivery reports and status updates */
			if (wait > 100)
				wait = 100;
			if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			{
				snprintf(sh->err, sizeof(sh->err), "poll: %s", strerror(errno));
				return false;
			}
			if (pfd.revents && !PQconsumeInput(sh->repl))
			{
				snprintf(sh->err, sizeof(sh->err), "connection to PostgreSQL lost: %s",
						 PQerrorMessage(sh->repl));
				return false;
			}
			continue;
		}
		if (len < 0)
		{
			PGresult   *res = PQgetResult(sh->repl);

			snprintf(sh->err, sizeof(sh->err), "replication stream ended: %s",
					 res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
					 : PQerrorMessage(sh->repl));
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

/* Connect, make sure the slot exists, start streaming from sh->confirmed. */
static bool
start_session(Shipper *sh)
{
	const char *dbname;

	sh->sink = sink_open(sh->cfg, on_ack, on_wait, sh, sh->err, sizeof(sh->err));
	if (sh->sink == NULL)
		return false;
	sh->repl = stream_connect(sh->cfg, sh->err, sizeof(sh->err));
	if (sh->repl == NULL)
		return false;
	sh->meta = meta_connect(sh->cfg, sh->err, sizeof(sh->err));
	if (sh->meta == NULL)
		return false;
	if (!stream_ensure_slot(sh->repl, sh->cfg->slot_name, sh->err, sizeof(sh->err)))
		return false;
	dbname = sh->cfg->dbname ? sh->cfg->dbname : PQdb(sh->repl);
	sh->renderer = renderer_new(sh->cfg, dbname, meta_lookup, sh->meta);
	if (!stream_start(sh->repl, sh->cfg, sh->confirmed, sh->err, sizeof(sh->err)))
		return false;
	sh->streaming = true;
	sh->last_status = 0;
	log_info("streaming slot \"%s\" from %s to %s", sh->cfg->slot_name,
			sh->confirmed ? "the last confirmed position" : "the slot's position",
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
	char		err[ERRLEN];

	while (sink_pending(sh->sink) > 0 && mono_ms() < deadline &&
		   !sink_failed(sh->sink, err, sizeof(err)))
	{
		sink_flush(sh->sink, 100);
		advance(sh);
		if (sh->repl && sh->streaming)
			(void) report(sh, false);
	}
	sink_poll(sh->sink, 0);
	advance(sh);
	return sink_pending(sh->sink) == 0 && !sink_failed(sh->sink, err, sizeof(err));
}

/*
 * Tear the session down, first waiting (bounded) for what the sink holds,
 * so the next session starts after it rather than sending it again.
 * Returns true if everything handed to the sink was acknowledged.
 */
static bool
end_session(Shipper *sh)
{
	bool		settled = true;

	if (sh->sink)
		settled = drain(sh, sh->cfg->shutdown_timeout_ms);
	if (sh->repl && sh->streaming && PQstatus(sh->repl) == CONNECTION_OK)
	{
		char		err[ERRLEN];

		(void) stream_send_status(sh->repl, sh->received, sh->confirmed, err, sizeof(err));
		PQputCopyEnd(sh->repl, NULL);
	}
	if (!settled)
		log_info("%ld messages were not acknowledged; they will be sent again",
				sink_pending(sh->sink));
	if (sh->sink)
		sink_close(sh->sink, true);
	if (sh->renderer)
		renderer_free(sh->renderer);
	PQfinish(sh->repl);
	PQfinish(sh->meta);
	drop_txns(sh);
	sh->sink = NULL;
	sh->renderer = NULL;
	sh->repl = sh->meta = NULL;
	sh->streaming = false;
	sh->err[0] = '\0';
	return settled;
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
	int			backoff;
	bool		ever_streamed = false;
	bool		settled;

	if (rc != 0)
		return rc == 1 ? 0 : 2;

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sh.cfg = &cfg;
	backoff = cfg.backoff_initial_ms;
	for (;;)
	{
		bool		ok = start_session(&sh) && stream(&sh);

		if (!ok && !stop_requested)
			log_info("%s", sh.err);
		if (sh.streaming)
		{
			ever_streamed = true;
			backoff = cfg.backoff_initial_ms;
		}
		else if (!ok && !ever_streamed && !stop_requested)
		{
			/* a first start that fails is a setup problem: say so and stop */
			end_session(&sh);
			return 1;
		}
		settled = end_session(&sh);
		if (ok || stop_requested)
			break;
		log_info("restarting from " LSN_FMT " in %d ms", LSN_ARGS(sh.confirmed), backoff);
		backoff_sleep(backoff);
		backoff = backoff * 2 > cfg.backoff_max_ms ? cfg.backoff_max_ms : backoff * 2;
	}
	log_info("stopped: %" PRIu64 " messages from %" PRIu64 " transactions; confirmed " LSN_FMT,
			sh.changes, sh.txns, LSN_ARGS(sh.confirmed));
	return settled ? 0 : 1;
}
