/*
 * report.c
 *		How the shipper is doing, in the log: a progress line every
 *		log.progress.interval.ms (with a look at the captured tables), and
 *		Kafka outages (one line when every broker is down, one a minute while
 *		it lasts, with the WAL the cell keeps meanwhile, one when it ends).
 *		Both are deadlines the streaming loop checks, not work on a timer of
 *		their own.
 */
#include <inttypes.h>
#include <stdio.h>

#include "session.h"
#include "sink/spool.h"

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
const char *
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

/* how often an outage with nothing in flight asks the brokers whether it is over */
#define OUTAGE_PROBE_MS 10000

/* "7.1 MB", or "an unknown amount" when the server could not say */
static const char *
retained_text(Shipper *sh, char *out, size_t len)
{
	int64_t		retained = catalog_retained_wal(sh->meta, sh->cfg->slot_name);

	if (retained < 0)
		return "an unknown amount";
	return bytes_text((uint64_t) retained, out, len);
}

/* The periodic progress line (log.progress.interval.ms), and the slot's record. */
void
report_progress(Shipper *sh, int64_t now)
{
	char		wal[32];
	char		waiting[64];
	char		failing[ERRLEN] = "";
	double		secs = (now - sh->last_progress) / 1000.0;

	if (sh->cfg->progress_interval_ms <= 0 || now < sh->next_progress)
		return;
	if (sh->retry.count > 0 && sh->retry.position == OWN_RECORD_POSITION)
		snprintf(failing, sizeof(failing), "; writing the slot's record to %s failed %d times "
				 "in a row", sh->cfg->offset_topic, sh->retry.count);
	else if (sh->retry.count > 0)
		snprintf(failing, sizeof(failing), "; a change of the transaction committing at LSN "
				 LSN_FMT " failed %d times in a row", LSN_ARGS(sh->retry.position), sh->retry.count);
	if (sink_is_spool(sh->sink))
		snprintf(waiting, sizeof(waiting), "%.1f MB in the spool (Kafka is away)",
				 sink_spool_bytes(sh->sink) / 1e6);
	else
		snprintf(waiting, sizeof(waiting), "%ld waiting for Kafka", sink_pending(sh->sink));
	if (sh->next_progress != 0)
		log_info("progress: %" PRIu64 " messages from %" PRIu64 " transactions in the last %.0f s "
				 "(%.1f/s), %" PRIu64 " in all; confirmed " LSN_FMT ", the slot retains %s of WAL; "
				 "%s; %" PRIu64 " dead-lettered%s",
				 sh->changes - sh->progress_changes, sh->txns - sh->progress_txns, secs,
				 secs > 0 ? (sh->changes - sh->progress_changes) / secs : 0, sh->changes,
				 LSN_ARGS(sh->fl.confirmed), retained_text(sh, wal, sizeof(wal)),
				 waiting, sh->dead_lettered, failing);
	if (sh->next_progress != 0)
		incremental_report(sh->inc);
	sh->progress_changes = sh->changes;
	sh->progress_txns = sh->txns;
	sh->last_progress = now;
	sh->next_progress = now + sh->cfg->progress_interval_ms;
	captured_recheck(sh->meta, sh->cfg, sh->claims, &sh->tables);
}

/*
 * Kafka outages: one line when every broker is down, one a minute while
 * it lasts (with the WAL the slot retains, asked of the server), one when
 * it ends.
 */
void
report_outage(Shipper *sh, int64_t now)
{
	int64_t		since = sh->sink->outage_since;
	char		dur[32],
				wal[32],
				probe_err[ERRLEN];

	if (sh->spooling)
		return;					/* the spool session asks on its own */
	/* with nothing in flight no delivery report can end it: ask the brokers */
	if (since && sink_pending(sh->sink) == 0 && now - sh->outage_probed >= OUTAGE_PROBE_MS)
	{
		sh->outage_probed = now;
		if (sink_kafka_reachable(sh->sink, 500, probe_err, sizeof(probe_err)))
			sh->sink->outage_since = 0;
	}
	if (sh->sink->outage_since == 0)
	{
		if (sh->outage_reported)
			log_info("Kafka is reachable again, after %s",
					 duration_text(now - sh->outage_began, dur, sizeof(dur)));
		sh->outage_reported = 0;
		return;
	}
	if (sh->outage_reported == 0)
	{
		sh->outage_began = since;
		log_warn("Kafka unreachable: every broker is down; holding the slot at " LSN_FMT
				 " (the cell keeps WAL until Kafka is back%s)",
				 LSN_ARGS(sh->fl.confirmed ? sh->fl.confirmed : sh->slot_confirmed),
				 sh->cfg->spool_dir ? ", or until spool.after.ms passes and the spool takes over" :
				 "; spool.dir would keep changes on local disk instead");
	}
	else if (now - sh->outage_reported >= 60000)
		log_warn("Kafka unreachable for %s; %ld messages waiting; the slot retains %s of WAL",
				 duration_text(now - since, dur, sizeof(dur)), sink_pending(sh->sink),
				 retained_text(sh, wal, sizeof(wal)));
	else
		return;
	sh->outage_reported = now;
}
