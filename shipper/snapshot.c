/*
 * snapshot.c
 *		The initial snapshot: every existing row of the captured tables, as
 *		Debezium's op "r" events, read in the snapshot the slot exported at
 *		its consistent point, so that streaming from that point follows on
 *		with nothing lost and nothing doubled.
 *
 * snapshot.max.threads workers each have a connection that imports the
 * snapshot, a renderer and a producer of their own, and take key ranges
 * from the plan (source/snapshot.c) until none is left; rows stream
 * through in chunks of snapshot.fetch.size, so memory does not grow with
 * a table.  The main thread watches: progress lines, a stop request, a
 * worker that failed (then the others stop too).  A table that cannot be
 * read (no privilege, dropped meanwhile, a bad value) fails alone: the
 * others go on, and the end of the snapshot names it.  Streaming starts
 * only when every worker's messages are acknowledged, so no streamed
 * change can overtake the snapshot row of its key.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"

/*
 * How often the main thread looks at the workers (and records the ranges
 * done), and redraws a terminal's line
 */
#define WATCH_MS 50
#define LIVE_MS 1000

typedef struct Run Run;
typedef struct Worker Worker;

/* a range's delivery: done when read whole and every message is acknowledged */
typedef struct RangeState
{
	Worker	   *worker;			/* the one reading it */
	atomic_long pending;		/* messages not acknowledged */
	atomic_bool read;			/* every row handed over (or its table failed) */
} RangeState;

struct Worker
{
	Run		   *run;
	PGconn	   *conn;
	pthread_t	thread;
	bool		started;
	Renderer   *renderer;
	Sink	   *sink;
	Buf			relation;		/* the current table's RELATION record */
	long		unacked;		/* handed to the sink, not acknowledged yet */
	bool		failed;			/* err says why the snapshot cannot go on */
	bool		output_closed;	/* sink=stdout: the reader went away */
	RangeState *range;			/* the range being read */
	char	   *range_name;		/* its HDR_RANGE (delivery/snapshot_reads.c) */
	char		err[ERRLEN];
};

struct Run
{
	Shipper    *sh;
	SnapPlan	plan;
	RangeState *ranges;			/* one per plan range */
	bool	   *left;			/* ranges not in Kafka yet, as last recorded */
	int			nleft;
	bool		recorded;		/* the slot's snapshot: its record says what is left */
	Config		worker_cfg;		/* the workers' producers share the queue's memory */
	KeyValue   *worker_kafka;
	char		queue_kbytes[24];
	Worker	   *workers;
	int			nworkers;
	pthread_mutex_t lock;
	int			next;			/* the next range to read */
	atomic_int	running;		/* workers not finished */
	atomic_bool abort;			/* a worker failed, or the time is up: all stop */
	bool		time_up;		/* snapshot.initial.max.ms has passed */
	int64_t		started;		/* mono ms */
};

/* The renderer's messages go to the worker's own producer, named by their range. */
static bool
worker_emit(void *arg, const OutMessage *m)
{
	Worker	   *w = arg;
	OutMessage	named = *m;

	if (named.extra_header == NULL && w->range_name)
	{
		named.extra_header = HDR_RANGE;
		named.extra_value = w->range_name;
		named.extra_len = strlen(w->range_name);
	}
	w->unacked++;
	atomic_fetch_add(&w->range->pending, 1);
	if (sink_send(w->sink, &named, w->range))
		return true;
	w->unacked--;
	atomic_fetch_sub(&w->range->pending, 1);
	return false;
}

/* A delivery report (on the worker's thread); a failure is the sink's to say. */
static void
worker_ack(void *opaque, const char *error)
{
	RangeState *rs = opaque;

	rs->worker->unacked--;
	if (error == NULL)
		atomic_fetch_sub(&rs->pending, 1);
}

/* While the producer's queue is full: give up only when asked to stop. */
static bool
worker_wait(void *arg)
{
	Worker	   *w = arg;

	return !stop_requested && !atomic_load(&w->run->abort);
}

/* Stop the snapshot: err says why. */
static void
worker_fail(Worker *w, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
worker_fail(Worker *w, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	w->failed = true;
	atomic_store(&w->run->abort, true);
}

/* The next range to read, or NULL. */
static const SnapRange *
take_range(Run *run)
{
	const SnapRange *rg = NULL;

	pthread_mutex_lock(&run->lock);
	while (run->next < run->plan.nranges && rg == NULL)
	{
		rg = &run->plan.ranges[run->next++];
		if (run->plan.tables[rg->table].failed[0])
		{
			/* the table failed in another range */
			atomic_store(&run->ranges[rg - run->plan.ranges].read, true);
			rg = NULL;
		}
	}
	pthread_mutex_unlock(&run->lock);
	return rg;
}

/* Debezium's marker for a row (RelationalSnapshotChangeEventSource's rules). */
static SnapshotMarker
marker(const Run *run, const SnapRange *rg, bool first_of_range, bool last_of_range)
{
	bool		first_in_table = rg->index == 0 && first_of_range;
	bool		last_in_table = rg->last && last_of_range;

	if (last_in_table && rg->table == run->plan.ntables - 1)
		return MARK_LAST;
	if (first_in_table && rg->table == 0)
		return MARK_FIRST;
	if (first_in_table)
		return MARK_FIRST_IN_TABLE;
	if (last_in_table)
		return MARK_LAST_IN_TABLE;
	return MARK_TRUE;
}

/* Say that a table's snapshot failed, why, and what to do. */
static void
log_failed(const SnapTable *t)
{
	log_error("snapshot of %s failed: %s; its existing rows are not in Kafka (once the cause "
			  "is fixed: SELECT cellcdc.request_snapshot('%s'))", t->name, t->failed, t->name);
}

/* A table that cannot be read fails alone; say why once. */
static void
table_failed(Run *run, SnapTable *t, const char *why)
{
	bool		first;

	pthread_mutex_lock(&run->lock);
	first = t->failed[0] == '\0';
	if (first)
		snprintf(t->failed, sizeof(t->failed), "%s", why);
	pthread_mutex_unlock(&run->lock);
	if (first)
		log_failed(t);
}

/*
 * Read one range and hand its rows to the sink.  When the snapshot cannot
 * go on, w->failed says why; a failure of the table alone marks the table.
 */
static void
read_range(Worker *w, const SnapRange *rg)
{
	Run		   *run = w->run;
	const Config *cfg = run->sh->cfg;
	SnapTable  *t = &run->plan.tables[rg->table];
	SnapReader	rd = {0};
	char		err[ERRLEN];
	bool		first = true;
	int			got;

	if (!snap_range_begin(w->conn, err, sizeof(err)))
	{
		worker_fail(w, "snapshot connection failed before reading %s: %s", t->name, err);
		return;
	}
	err[0] = '\0';
	if (!snap_relation(w->conn, t, cfg->exclude_columns, &w->relation, err, sizeof(err)) ||
		!renderer_feed(w->renderer, (const uint8_t *) w->relation.data, w->relation.len,
					   run->plan.src.lsn, worker_emit, w) ||
		!snap_reader_open(&rd, w->conn, t, rg, cfg->exclude_columns, cfg->snapshot_fetch,
						  err, sizeof(err)))
	{
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "%s", renderer_error(w->renderer));
		got = -1;
	}
	else
		got = 1;
	while (got > 0)
	{
		const uint8_t *data;
		size_t		len;
		bool		last;

		if (stop_requested || atomic_load(&run->abort) || t->failed[0])
			break;
		got = snap_reader_next(&rd, &data, &len, &last, err, sizeof(err));
		if (got <= 0)
			break;
		if (!renderer_read(w->renderer, data, len, &run->plan.src, marker(run, rg, first, last),
						   worker_emit, w))
		{
			const SinkFailure *f = sink_failed(w->sink);

			if (f)
				worker_fail(w, "cannot deliver a snapshot row of %s: %s", t->name, f->error);
			else
				snprintf(err, sizeof(err), "cannot render a row of %s: %s", t->name,
						 renderer_error(w->renderer));
			got = f ? 0 : -1;
			break;
		}
		first = false;
		atomic_fetch_add(&t->rows, 1);
	}
	snap_reader_close(&rd);
	if (got < 0 && PQstatus(w->conn) == CONNECTION_OK)
	{
		char		why[ERRLEN];

		snprintf(why, sizeof(why), "%s", err);
		if (snap_range_end(w->conn, err, sizeof(err)) && snap_table_gone(w->conn, t))
			snprintf(why, sizeof(why), "it was dropped (or renamed) while the snapshot ran");
		table_failed(run, t, why);
	}
	else if (!snap_range_end(w->conn, err, sizeof(err)) && !w->failed)
		worker_fail(w, "snapshot connection failed while reading %s: %s", t->name, err);
	/* a table that failed is reported, not read again */
	if ((got == 0 || t->failed[0]) && !w->failed && !stop_requested && !atomic_load(&run->abort))
		atomic_store(&w->range->read, true);
	if (got == 0 && !w->failed && !stop_requested && !atomic_load(&run->abort) &&
		atomic_fetch_add(&t->ranges_done, 1) + 1 == t->nranges && t->failed[0] == '\0')
		log_info("snapshot of %s: %" PRIu64 " rows read", t->name, atomic_load(&t->rows));
}

/* A worker: ranges until none is left, then wait for Kafka to take everything. */
static void *
worker_main(void *arg)
{
	Worker	   *w = arg;
	Run		   *run = w->run;
	Shipper    *sh = run->sh;
	const SnapRange *rg;

	w->renderer = renderer_new(sh->cfg, sh->cfg->dbname ? sh->cfg->dbname : PQdb(w->conn),
							   meta_lookup, w->conn, sh->claims);
	w->sink = sink_open(&run->worker_cfg, worker_ack, worker_wait, w, w->err, sizeof(w->err));
	if (w->sink == NULL)
		worker_fail(w, "%s", w->err);
	else
		w->sink->source = sh->source;
	while (!w->failed && !stop_requested && !atomic_load(&run->abort) &&
		   (rg = take_range(run)) != NULL)
	{
		w->range = &run->ranges[rg - run->plan.ranges];
		w->range->worker = w;
		/* named when a resumed snapshot must tell which of its reads Kafka has */
		free(w->range_name);
		w->range_name = sh->snapshot_from ?
			range_name(run->plan.tables[rg->table].name, rg->lo, run->plan.tables[rg->table].nkey) :
			NULL;
		read_range(w, rg);
	}
	free(w->range_name);
	w->range_name = NULL;
	while (w->sink && !w->failed && w->unacked > 0 && !sink_failed(w->sink) &&
		   !stop_requested && !atomic_load(&run->abort))
		sink_flush(w->sink, 100);
	if (w->sink && sink_failed(w->sink) && !w->failed)
		worker_fail(w, "cannot deliver the snapshot: %s", sink_failed(w->sink)->error);
	w->output_closed = w->sink && sink_failed(w->sink) &&
		sink_failed(w->sink)->kind == FAIL_OUTPUT_CLOSED;
	atomic_fetch_sub(&run->running, 1);
	return NULL;
}

/* Rows read of all tables, and the estimate of their total (0: unknown). */
static void
totals(const Run *run, uint64_t *rows, uint64_t *estimate)
{
	*rows = *estimate = 0;
	for (int i = 0; i < run->plan.ntables; i++)
	{
		*rows += atomic_load(&run->plan.tables[i].rows);
		if (run->plan.tables[i].estimate > 0)
			*estimate += (uint64_t) run->plan.tables[i].estimate;
	}
}

/* "1.2M rows of about 2.0M (60%), 450000 rows/s, about 2 s left" */
static void
describe_progress(const Run *run, int64_t now, char *out, size_t len)
{
	uint64_t	rows,
				estimate;
	double		secs = (now - run->started) / 1000.0;
	double		rate;

	totals(run, &rows, &estimate);
	rate = secs > 0 ? rows / secs : 0;
	if (estimate > rows && rate > 0)
		snprintf(out, len, "%" PRIu64 " rows of about %" PRIu64 " (%.0f%%), %.0f rows/s, about %.0f s left",
				 rows, estimate, 100.0 * rows / estimate, rate, (estimate - rows) / rate);
	else
		snprintf(out, len, "%" PRIu64 " rows, %.0f rows/s", rows, rate);
}

/*
 * When ranges got into Kafka since the last record, record the ones left,
 * so that an interrupted snapshot goes on without them.
 */
static void
record_left(Run *run)
{
	Shipper    *sh = run->sh;
	int			nleft = 0;

	for (int i = 0; i < run->plan.nranges; i++)
	{
		RangeState *rs = &run->ranges[i];

		run->left[i] = !(atomic_load(&rs->read) && atomic_load(&rs->pending) == 0);
		nleft += run->left[i];
	}
	if (nleft == run->nleft)
		return;
	run->nleft = nleft;
	free(sh->snapshot_left);
	sh->snapshot_left = incremental_ranges_json(&run->plan, run->left);
	if (sh->store && run->recorded)
		(void) write_record(sh, "snapshot-progress");
}

/* Per-table progress in the log; the whole on a terminal's live line. */
static void
watch(Run *run)
{
	const Config *cfg = run->sh->cfg;
	bool		live = isatty(STDERR_FILENO) && !cfg->log_json;
	int64_t		next_log = run->started + cfg->progress_interval_ms;
	int64_t		next_live = run->started + LIVE_MS;
	char		line[256];

	while (atomic_load(&run->running) > 0)
	{
		int64_t		now = mono_ms();

		usleep(WATCH_MS * 1000);
		if (cfg->snapshot_initial_max_ms > 0 && run->recorded && !run->time_up &&
			now - run->started >= cfg->snapshot_initial_max_ms)
		{
			run->time_up = true;
			atomic_store(&run->abort, true);
			log_info("the initial snapshot has held the slot for %.0f s (snapshot.initial.max.ms): "
					 "streaming from its consistent point, the rest goes on incrementally",
					 (now - run->started) / 1000.0);
		}
		sink_poll(run->sh->sink, 0);
		/* the workers wait for Kafka as streaming does: say so as streaming does */
		report_outage(run->sh, now);
		record_left(run);
		if (cfg->progress_interval_ms > 0 && now >= next_log)
		{
			next_log = now + cfg->progress_interval_ms;
			for (int i = 0; i < run->plan.ntables; i++)
			{
				SnapTable  *t = &run->plan.tables[i];
				uint64_t	rows = atomic_load(&t->rows);

				if (atomic_load(&t->ranges_done) == t->nranges || t->failed[0] || rows == 0)
					continue;
				if (t->estimate > 0)
					log_info("snapshot of %s: %" PRIu64 " rows of about %" PRId64 " read (%.0f%%)",
							 t->name, rows, t->estimate, 100.0 * rows / t->estimate);
				else
					log_info("snapshot of %s: %" PRIu64 " rows read", t->name, rows);
			}
			describe_progress(run, now, line, sizeof(line));
			log_info("snapshot: %s", line);
		}
		if (live && now >= next_live)
		{
			char		text[300];
			int			n;

			next_live = now + LIVE_MS;
			describe_progress(run, now, line, sizeof(line));
			n = snprintf(text, sizeof(text), "\r\033[Ksnapshot: %s\r", line);
			(void) write(STDERR_FILENO, text, n < (int) sizeof(text) ? n : (int) sizeof(text) - 1);
		}
	}
	if (live)
		(void) write(STDERR_FILENO, "\r\033[K", 4);
}

/*
 * The workers' producers: each gets its share of queue.buffering.max.kbytes
 * (the user's, else the shipper's default), so that more threads do not
 * take more memory.
 */
static void
share_queue(Run *run)
{
	const Config *cfg = run->sh->cfg;
	long		kbytes = strtol(KAFKA_QUEUE_KBYTES, NULL, 10);

	for (int i = 0; i < cfg->nkafka; i++)
		if (strcmp(cfg->kafka[i].key, "queue.buffering.max.kbytes") == 0)
			kbytes = strtol(cfg->kafka[i].value, NULL, 10);
	snprintf(run->queue_kbytes, sizeof(run->queue_kbytes), "%ld",
			 kbytes / run->nworkers > 1024 ? kbytes / run->nworkers : 1024);
	run->worker_cfg = *cfg;
	run->worker_kafka = xmalloc((cfg->nkafka + 1) * sizeof(KeyValue));
	memcpy(run->worker_kafka, cfg->kafka, cfg->nkafka * sizeof(KeyValue));
	/* the last setting of a key wins */
	run->worker_kafka[cfg->nkafka].key = "queue.buffering.max.kbytes";
	run->worker_kafka[cfg->nkafka].value = run->queue_kbytes;
	run->worker_cfg.kafka = run->worker_kafka;
	run->worker_cfg.nkafka = cfg->nkafka + 1;
}

/*
 * Open the workers' connections, each in the snapshot; with none given,
 * the first exports one of the database as it is now, at *lsn.
 */
static bool
open_workers(Run *run, const char *snapshot, uint64_t *lsn, char *err, size_t errlen)
{
	char		exported[64];

	for (int i = 0; i < run->nworkers; i++)
	{
		Worker	   *w = &run->workers[i];

		w->run = run;
		if ((w->conn = pg_connect(run->sh->cfg, false, err, errlen)) == NULL)
			return false;
		if (snapshot == NULL)
		{
			if (!snap_export(w->conn, exported, sizeof(exported), lsn, err, errlen))
				return false;
			snapshot = exported;
		}
		else if (!snap_import(w->conn, snapshot, err, errlen))
			return false;
	}
	return true;
}

static void
close_workers(Run *run)
{
	for (int i = 0; i < run->nworkers; i++)
	{
		Worker	   *w = &run->workers[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		if (w->sink)
			sink_close(w->sink, true);
		renderer_free(w->renderer);
		buf_free(&w->relation);
		PQfinish(w->conn);
	}
	free(run->workers);
	free(run->worker_kafka);
	free(run->ranges);
	free(run->left);
	snap_plan_free(&run->plan);
	pthread_mutex_destroy(&run->lock);
}

/* Say how the snapshot ended; false (with the session's error) if it did not. */
static bool
conclude(Run *run)
{
	Shipper    *sh = run->sh;
	uint64_t	rows,
				estimate;
	int			failed = 0;
	double		secs = (mono_ms() - run->started) / 1000.0;

	for (int i = 0; i < run->nworkers; i++)
		if (run->workers[i].output_closed)
		{
			/* the reader asked for the stop, as it does while streaming */
			log_info("stdout was closed by its reader during the snapshot; stopping");
			sh->output_closed = true;
			return session_fail(sh, RESTART, "stdout was closed by its reader");
		}
	/* the time is up: what the workers had not delivered is in the ranges left */
	if (run->time_up && !stop_requested)
	{
		sh->snapshot_cut = true;
		return true;
	}
	for (int i = 0; i < run->nworkers; i++)
		if (run->workers[i].failed)
			return session_fail(sh, RESTART, "%s", run->workers[i].err);
	if (stop_requested)
	{
		log_warn("stopped during the snapshot; the next start goes on with what is left");
		return session_fail(sh, RESTART, "stopped during the snapshot");
	}
	for (int i = 0; i < run->plan.ntables; i++)
		failed += run->plan.tables[i].failed[0] != '\0';
	totals(run, &rows, &estimate);
	log_info("snapshot done: %" PRIu64 " rows of %d tables in %.1f s (%.0f rows/s)%s", rows,
			 run->plan.ntables - failed, secs, secs > 0 ? rows / secs : 0.0,
			 failed ? "; the tables that failed are named above" : "");
	return true;
}

/*
 * Read every captured table in the snapshot the slot exported at its
 * consistent point lsn (NULL: one of the database as it is now, for
 * snapshot.mode=initial_only), and deliver the rows.  True when every
 * worker's messages are acknowledged (tables that failed alone are
 * logged); false with the session's error otherwise.
 */
bool
snapshot_run(Shipper *sh, const char *snapshot, uint64_t lsn)
{
	Run			run = {0};
	int			threads = sh->cfg->snapshot_threads;
	uint64_t	rows,
				estimate;
	char		about[64];
	bool		ok;

	if (sh->cfg->sink == SINK_STDOUT && threads > 1)
	{
		log_info("sink=stdout: the snapshot is read by one connection (snapshot.max.threads=%d "
				 "applies to Kafka)", threads);
		threads = 1;
	}
	run.sh = sh;
	run.recorded = snapshot != NULL;
	run.nworkers = threads;
	run.workers = xcalloc(threads, sizeof(Worker));
	pthread_mutex_init(&run.lock, NULL);
	atomic_init(&run.running, 0);
	atomic_init(&run.abort, false);
	share_queue(&run);
	if (!open_workers(&run, snapshot, &lsn, sh->err, sizeof(sh->err)) ||
		!snap_plan(run.workers[0].conn, &sh->tables, threads > 1 ? threads * 4 : 1,
				   sh->cfg->snapshot_fetch, &run.plan, sh->err, sizeof(sh->err)))
	{
		close_workers(&run);
		return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART, "cannot start the snapshot: %s",
							sh->err);
	}
	run.plan.src.lsn = lsn;
	run.ranges = xcalloc(run.plan.nranges + 1, sizeof(RangeState));
	run.left = xcalloc(run.plan.nranges + 1, sizeof(bool));
	run.nleft = -1;
	record_left(&run);
	totals(&run, &rows, &estimate);
	snprintf(about, sizeof(about), " (about %" PRIu64 " rows)", estimate);
	log_info("snapshot of %d tables%s at LSN " LSN_FMT " with %d connection%s",
			 run.plan.ntables, estimate ? about : "", LSN_ARGS(lsn), threads,
			 threads == 1 ? "" : "s");
	for (int i = 0; i < run.plan.ntables; i++)
	{
		SnapTable  *t = &run.plan.tables[i];

		if (t->failed[0])
			log_failed(t);
		else if (t->nkey == 0)
			log_info("snapshot of %s: no primary key, so read whole by one connection and "
					 "started over if interrupted", t->name);
		else if (t->nranges > 1)
			log_info("snapshot of %s: %d key ranges", t->name, t->nranges);
	}

	run.started = mono_ms();
	for (int i = 0; i < threads; i++)
	{
		Worker	   *w = &run.workers[i];

		atomic_fetch_add(&run.running, 1);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		{
			atomic_fetch_sub(&run.running, 1);
			worker_fail(w, "cannot start a snapshot thread");
			break;
		}
		w->started = true;
	}
	watch(&run);
	record_left(&run);
	ok = conclude(&run);
	close_workers(&run);
	return ok;
}
