/*
 * spooling.c
 *		When a session gives way to the spool, when it gives the stream back
 *		to Kafka, and the drain in between (sink/spool.h has the files).
 *
 * A Kafka session whose brokers are all unreachable, or whose producer
 * queue stays full, for spool.after.ms ends; the next session streams the
 * slot into spool.dir from the confirmed LSN (what the producer held is
 * purged and comes again from the slot), confirming what is fsynced
 * there.  The slot's records go into the spool with the changes, so the
 * slot stays bound to a record (README, "The slot and Kafka").  Every
 * SPOOL_PROBE_MS the spool session asks Kafka for its metadata; when it
 * answers, the session ends, and the next one sends the spool to Kafka in
 * order, segment by segment (a segment is deleted once Kafka acknowledged
 * all of it), before streaming goes on.  What Kafka already holds (a purge
 * cannot take back what was in flight, a kill -9 during a drain) is
 * skipped by position, as a replay from the slot is (delivery/delivered.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "session.h"
#include "sink/spool.h"

/* how often a spool session asks whether Kafka is back, and for how long */
#define SPOOL_PROBE_MS 5000
#define SPOOL_PROBE_WAIT_MS 1000

/* Hand over to the next session: main restarts at once, saying why. */
static bool
switch_sessions(Shipper *sh, bool spool, const char *fmt, const char *a, const char *b)
{
	sh->spooling = spool;
	sh->switching = true;
	snprintf(sh->switch_reason, sizeof(sh->switch_reason), fmt, a, b);
	return true;
}

/*
 * Can spool.dir be used?  Checked at start, so that a wrong directory is
 * found now rather than when Kafka goes away.
 */
bool
spool_usable(const Config *cfg, char *err, size_t errlen)
{
	if (cfg->spool_dir == NULL)
		return true;
	if ((mkdir(cfg->spool_dir, 0700) == 0 || errno == EEXIST) &&
		access(cfg->spool_dir, W_OK | X_OK) == 0)
		return true;
	snprintf(err, errlen, "spool.dir %s cannot be used: %s; create it (writable by the shipper's "
			 "user), or point spool.dir elsewhere", cfg->spool_dir, strerror(errno));
	return false;
}

/* Does spool.dir hold a spool? */
bool
spool_holds(const Config *cfg)
{
	char		err[ERRLEN];
	uint64_t   *segs = NULL;
	int			n = cfg->spool_dir ? spool_list(cfg->spool_dir, &segs, err, sizeof(err)) : 0;

	if (n >= 0)
		free(segs);
	return n > 0;
}

/* Should this Kafka session give way to the spool? */
bool
spool_due(Shipper *sh, int64_t now)
{
	const Sink *s = sh->sink;
	int64_t		since;
	char		why[160];

	if (sh->switching)
		return true;
	/* a first start decides in open_kafka (session.c) */
	if (sh->cfg->spool_dir == NULL || s == NULL || sink_is_spool(s) || sh->first)
		return false;
	since = s->outage_since ? s->outage_since : s->full_since;
	if (since == 0 || now - since < sh->cfg->spool_after_ms)
		return false;
	if (sh->outage_since == 0)
		sh->outage_since = since;	/* when the trouble began, for the line at its end */
	snprintf(why, sizeof(why), "%s for %.1f s (spool.after.ms=%d)",
			 s->outage_since ? "every Kafka broker has been unreachable" :
			 "the producer's queue has been full", (now - since) / 1000.0,
			 sh->cfg->spool_after_ms);
	return switch_sessions(sh, true, "%s: spooling to %s from the last confirmed position; "
						   "what the producer held goes there instead", why, sh->cfg->spool_dir);
}

static bool
probe_wait(void *arg)
{
	return false;				/* one metadata request, no waiting loop */
}

/* Is Kafka back?  Asked by a spool session every SPOOL_PROBE_MS. */
bool
kafka_back(Shipper *sh, int64_t now)
{
	char		err[ERRLEN];
	char		dur[32];

	if (sh->switching)
		return true;
	if (!sink_is_spool(sh->sink) || now - sh->spool_probed < SPOOL_PROBE_MS)
		return false;
	sh->spool_probed = now;
	if (sh->probe == NULL &&
		(sh->probe = sink_open(sh->cfg, inflight_ack, probe_wait, NULL, err, sizeof(err))) == NULL)
		return false;
	if (!sink_kafka_reachable(sh->probe, SPOOL_PROBE_WAIT_MS, err, sizeof(err)))
		return false;
	duration_text(now - (sh->outage_since ? sh->outage_since : now), dur, sizeof(dur));
	sh->outage_since = sh->outage_reported = 0;	/* it is over: the drain starts afresh */
	return switch_sessions(sh, false, "Kafka answers again, after %s: sending the spool in %s "
						   "to Kafka before streaming on", dur, sh->cfg->spool_dir);
}

/* The spool's last record of this slot, for a first start while Kafka is away. */
bool
spool_record(Shipper *sh, SlotRecord *rec)
{
	char		err[ERRLEN];
	SpoolReader *r = spool_reader_open(sh->cfg->spool_dir, sh->source, err, sizeof(err));
	OutMessage	m;
	SpoolRead	rc;

	if (r == NULL)
		return session_fail(sh, EXIT_CONFIG, "%s", err);
	while ((rc = spool_read(r, &m)) == SPOOL_MESSAGE || rc == SPOOL_SEGMENT_END)
		if (rc == SPOOL_MESSAGE)
			(void) offsets_take(sh->cfg, &sh->slot_id, &m, rec);
	if (rc == SPOOL_ERROR)
		session_fail(sh, EXIT_GAP, "%s", spool_reader_error(r));
	spool_reader_close(r);
	return rc == SPOOL_END;
}

/* Wait until Kafka acknowledged everything the drain sent. */
static bool
drain_acked(Shipper *sh)
{
	while (sh->spool_txn.pending > 0)
	{
		const SinkFailure *f;

		sink_flush(sh->sink, 100);
		if ((f = sink_failed(sh->sink)) != NULL)
		{
			if (f->kind == FAIL_MESSAGE)
				sh->fail_position = f->commit_lsn ? f->commit_lsn : OWN_RECORD_POSITION;
			return session_fail(sh, RESTART, "draining the spool: %s", f->error);
		}
		if (!sh->sink->wait(sh->sink->wait_arg))
			return session_fail(sh, RESTART, "stopped while draining the spool");
	}
	return true;
}

/*
 * Send what spool.dir holds to Kafka, in order, skipping what Kafka
 * already has; each segment is deleted once all of it is acknowledged.
 */
bool
spool_drain(Shipper *sh)
{
	char		err[ERRLEN];
	SpoolReader *r;
	Delivered  *held;
	OutMessage	m;
	SpoolRead	rc;
	long		sent = 0;
	int64_t		began = mono_ms();
	bool		ok = true;

	if (sh->cfg->spool_dir == NULL)
		return true;
	if ((r = spool_reader_open(sh->cfg->spool_dir, sh->source, err, sizeof(err))) == NULL)
		return session_fail(sh, EXIT_CONFIG, "%s", err);
	if (spool_reader_segments(r) == 0)
	{
		spool_reader_close(r);
		return true;
	}
	log_info("the spool in %s holds %.1f MB in %d segments: sending it to Kafka before "
			 "streaming on", sh->cfg->spool_dir, spool_reader_bytes(r) / 1e6,
			 spool_reader_segments(r));
	sh->draining = true;		/* from here, Kafka away again hands back to the spool */
	held = delivered_read(sh->cfg, sh->source, sh->cfg->startup_timeout_ms, sh->sink->wait,
						  sh->sink->wait_arg, err, sizeof(err));
	if (held == NULL)
	{
		sh->draining = false;
		spool_reader_close(r);
		return session_fail(sh, RESTART, "cannot tell what Kafka already holds of the spool, "
							"so as not to send it twice: %s", err);
	}
	memset(&sh->spool_txn, 0, sizeof(sh->spool_txn));
	while (ok && (rc = spool_read(r, &m)) != SPOOL_END)
	{
		if (rc == SPOOL_ERROR)
			ok = session_fail(sh, EXIT_GAP, "%s; move the spool aside, then re-snapshot the "
							  "captured tables (or start with --new-slot)", spool_reader_error(r));
		else if (rc == SPOOL_SEGMENT_END)
			ok = drain_acked(sh) &&
				(spool_remove_segment(r, err, sizeof(err)) || session_fail(sh, RESTART, "%s", err));
		else if (!delivered_holds(held, &m))
		{
			sh->spool_txn.pending++;
			if (sink_send(sh->sink, &m, &sh->spool_txn))
				sent++;
			else
			{
				const SinkFailure *f = sink_failed(sh->sink);

				/* a message Kafka refuses counts at its position, as when streaming */
				sh->spool_txn.pending--;
				if (f && f->kind == FAIL_MESSAGE)
					sh->fail_position = f->commit_lsn ? f->commit_lsn : OWN_RECORD_POSITION;
				ok = session_fail(sh, RESTART, "draining the spool: %s", f ? f->error : "not sent");
			}
		}
	}
	sh->draining = false;
	if (ok)
	{
		double		secs = (mono_ms() - began) / 1000.0;

		log_info("drained the spool: %ld messages sent to Kafka in %.1f s (%.0f messages/s); "
				 "%ld that Kafka already had skipped", sent, secs,
				 secs > 0 ? sent / secs : (double) sent, delivered_skipped(held));
	}
	delivered_free(held);
	spool_reader_close(r);
	return ok;
}
