/*
 * slot_rule.c
 *		The slot rule (README, "The slot rule" and "The slot and Kafka"):
 *		create the slot only at start-up and only when this shipper has never
 *		streamed it; a slot found missing, invalidated, or further on than
 *		this shipper confirmed it is a gap, which stops the shipper with exit
 *		status 4 (or is healed with a snapshot under snapshot.mode=when_needed).
 */
#include <stdio.h>
#include <string.h>

#include "session.h"

/*
 * The gap line: what happened to the slot, what is lost, what to do.  The
 * record in Kafka gets the same LSN, so every later start names it too.
 */
bool
slot_gap(Shipper *sh, const char *what, uint64_t lost_after)
{
	if (sh->store && sh->slot_seen && lost_after > sh->recorded && sh->fl.confirmed == lost_after &&
		write_record(sh, "gap"))
		(void) sink_flush(sh->sink, FAILED_DRAIN_MS);
	return session_fail(sh, EXIT_GAP, "slot \"%s\" %s; changes after LSN " LSN_FMT " are lost. "
				"Re-snapshot the captured tables, or to go on from now deliberately run "
				"cellcdc-shipper with --new-slot", sh->cfg->slot_name, what, LSN_ARGS(lost_after));
}

/*
 * A gap: with snapshot.mode=when_needed it heals (*heal: a new slot and a
 * snapshot of every captured table); otherwise the shipper stops on it.
 */
static bool
heal_or_gap(Shipper *sh, const char *what, uint64_t lost_after, bool *heal)
{
	if (sh->cfg->snapshot_mode != SNAPSHOT_WHEN_NEEDED)
		return slot_gap(sh, what, lost_after);
	log_warn("slot \"%s\" %s; changes after LSN " LSN_FMT " are lost: snapshot.mode=when_needed "
			 "takes a new snapshot of every captured table at a new slot", sh->cfg->slot_name,
			 what, LSN_ARGS(lost_after));
	*heal = true;
	return true;
}

/*
 * An initial snapshot that did not finish goes on while streaming: the
 * slot still stands at its consistent point, so what was read stays
 * valid, and the ranges not in Kafka yet are read by an incremental
 * snapshot (all captured tables when the record does not say which).
 */
static void
resume_snapshot(Shipper *sh, const SlotRecord *rec)
{
	const char *left = sh->snapshot_left ? sh->snapshot_left : rec->pending;

	int			n;

	incremental_restore(sh->inc, left);
	if (left == NULL)
		for (int i = 0; i < sh->tables.n; i++)
			incremental_add_table(sh, sh->tables.names[i]);
	n = incremental_count(sh->inc);
	if (left == NULL)
		log_warn("the initial snapshot of slot \"%s\" did not finish; streaming from its "
				 "consistent point while an incremental snapshot reads every captured table again",
				 sh->cfg->slot_name);
	else if (n > 0)
		log_warn("the initial snapshot of slot \"%s\" did not finish: %d key range%s not in "
				 "Kafka yet; streaming from its consistent point while an incremental snapshot "
				 "reads %s", sh->cfg->slot_name, n, n == 1 ? " is" : "s are", n == 1 ? "it" : "them");
	else
		log_info("the initial snapshot of slot \"%s\" was stopped after all its rows were in "
				 "Kafka; streaming from its consistent point", sh->cfg->slot_name);
	sh->snapshot_state = "done";
	free(sh->snapshot_left);
	sh->snapshot_left = NULL;
}

/* An initial snapshot of this slot began and did not finish. */
static bool
snapshot_interrupted(const Shipper *sh, const SlotRecord *rec)
{
	return strcmp(sh->snapshot_state, "running") == 0 ||
		(sh->first && rec->found && strcmp(rec->snapshot, "running") == 0);
}

/*
 * Read what Kafka holds of this slot's stream (delivery/delivered.c), so
 * that what the slot sends again is skipped, not written twice.
 */
bool
read_delivered(Shipper *sh)
{
	char		why[ERRLEN];

	if (!sh->store || sh->delivered || sh->spooling)
		return true;			/* a spool session sends nothing to Kafka */
	sh->delivered = delivered_read(sh->cfg, sh->source, sh->cfg->startup_timeout_ms,
								   sh->sink->wait, sh->sink->wait_arg, why, sizeof(why));
	if (sh->delivered == NULL)
		return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART,
							"cannot tell what Kafka already holds of slot \"%s\", so as not to "
							"send it twice: %s", sh->cfg->slot_name, why);
	return true;
}

/*
 * While ranges an interrupted initial snapshot left are read again: which
 * of their rows Kafka already has (delivery/snapshot_reads.c), so that
 * they are not sent twice.
 */
bool
read_snapshot_reads(Shipper *sh)
{
	char		why[ERRLEN];
	int			n;
	char	  **names;

	if (!sh->store || sh->spooling || sh->snapshot_from == NULL || sh->snapshot_reads)
		return true;
	names = incremental_range_names(sh->inc, &n);
	if (n > 0)
	{
		int64_t		began = mono_ms();

		sh->snapshot_reads = snapshot_reads_collect(sh->cfg, sh->source, sh->snapshot_from, names,
													n, sh->cfg->startup_timeout_ms, sh->sink->wait,
													sh->sink->wait_arg, why, sizeof(why));
		if (sh->snapshot_reads)
			log_info("read back what Kafka holds of the %d key range%s the initial snapshot left, "
					 "in %.1f s: those rows are not sent again", n, n == 1 ? "" : "s",
					 (mono_ms() - began) / 1000.0);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (n > 0 && sh->snapshot_reads == NULL)
		return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART, "cannot tell which rows of "
							"the interrupted snapshot Kafka has, so as not to send them twice: %s",
							why);
	return true;
}

/*
 * The furthest this shipper let the slot go: a slot found further on was
 * moved by something else.  0 when not known (no record kept, or one from
 * before the slot was bound to it).
 */
static uint64_t
slot_limit(const Shipper *sh, const SlotRecord *rec)
{
	uint64_t	limit = sh->fl.recorded;

	/* without a record in Kafka (sink=stdout or null) the slot is not bound */
	if (!sh->store || (sh->first && !(rec->found && rec->slot_bound)))
		return 0;
	if (sh->first && rec->confirmed_lsn > limit)
		limit = rec->confirmed_lsn;
	if (sh->first && rec->created_lsn > limit)
		limit = rec->created_lsn;
	if (!sh->first && sh->slot_confirmed > limit)
		limit = sh->slot_confirmed;
	if (sh->created_lsn > limit)
		limit = sh->created_lsn;
	return limit;
}

/*
 * The slot rule: create the slot only at start-up and only when this
 * shipper has never streamed it; anything else that finds it missing or
 * invalidated is a gap (healed by snapshot.mode=when_needed).  A slot
 * created for an initial snapshot exports it into snapshot; *created says
 * the slot was created.
 */
bool
check_slot(Shipper *sh, const SlotRecord *rec, bool *created, char *snapshot, size_t snaplen)
{
	SlotInfo	info;
	char		what[ERRLEN];
	bool		heal = false;
	bool		redo = snapshot_interrupted(sh, rec);
	bool		want_snapshot;
	uint64_t	limit;

	if (!slot_inspect(sh->repl, sh->cfg->slot_name, &info, sh->err, sizeof(sh->err)))
		return false;
	switch (info.state)
	{
		case SLOT_FOREIGN:
			if (sh->slot_seen)
				return slot_gap(sh, "was replaced by a slot that is not this shipper's",
						   sh->fl.confirmed);
			return session_fail(sh, EXIT_CONFIG, "%s", sh->err);
		case SLOT_LOST:
			/* what was delivered: ours, else the most the slot or our record knew */
			if (!(sh->first && sh->cfg->new_slot) &&
				!heal_or_gap(sh, "was invalidated: the WAL it needs was removed (wal_status "
							 "lost, see max_slot_wal_keep_size)",
							 sh->fl.confirmed ? sh->fl.confirmed :
							 info.confirmed_lsn > rec->confirmed_lsn ? info.confirmed_lsn :
							 rec->confirmed_lsn, &heal))
				return false;
			log_warn("%s: dropping invalidated slot \"%s\" (confirmed up to " LSN_FMT ")",
					 heal ? "snapshot.mode=when_needed" : "--new-slot", sh->cfg->slot_name,
					 LSN_ARGS(info.confirmed_lsn));
			if (!slot_drop(sh->repl, sh->cfg->slot_name, sh->err, sizeof(sh->err)))
				return session_fail(sh, EXIT_STARTUP, "%s", sh->err);
			break;
		case SLOT_READY:
			if (info.active_pid)
				return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART,
							"another process streams slot \"%s\" (%s): another shipper holds "
							"the slot; stop it, or give this shipper its own slot.name",
							sh->cfg->slot_name, info.holder);
			if (sh->first && sh->cfg->new_slot)
				return session_fail(sh, EXIT_CONFIG, "--new-slot: slot \"%s\" exists and is usable; "
							"run without --new-slot", sh->cfg->slot_name);
			limit = slot_limit(sh, rec);
			if (limit && info.confirmed_lsn > limit)
			{
				snprintf(what, sizeof(what), "stands at LSN " LSN_FMT ", past LSN " LSN_FMT
						 ", the furthest this shipper confirmed it: something else moved it "
						 "(pg_replication_slot_advance, or another client streamed it)%s%s%s",
						 LSN_ARGS(info.confirmed_lsn), LSN_ARGS(limit),
						 sh->cfg->spool_dir ? ", or the spool that held those changes was removed "
						 "from " : "", sh->cfg->spool_dir ? sh->cfg->spool_dir : "",
						 sh->cfg->spool_dir ? " while Kafka was away" : "");
				if (!heal_or_gap(sh, what, limit, &heal))
					return false;
				if (!slot_drop(sh->repl, sh->cfg->slot_name, sh->err, sizeof(sh->err)))
					return session_fail(sh, EXIT_STARTUP, "%s", sh->err);
				break;
			}
			if (redo && sh->cfg->snapshot_mode != SNAPSHOT_NO_DATA)
				resume_snapshot(sh, rec);
			else if (redo)
				log_warn("the initial snapshot of slot \"%s\" did not finish and snapshot.mode=no_data: "
						 "existing rows of the captured tables are missing from Kafka",
						 sh->cfg->slot_name);
			sh->slot_seen = true;
			sh->slot_confirmed = info.confirmed_lsn;
			return true;
		case SLOT_MISSING:
			if (sh->first && sh->cfg->new_slot)
				break;
			if (sh->slot_seen && !redo)
			{
				if (!heal_or_gap(sh, "disappeared while this shipper was using it (dropped?)",
								 sh->fl.confirmed, &heal))
					return false;
			}
			else if (rec->found && !redo)
			{
				snprintf(what, sizeof(what), "does not exist, but this shipper created it at LSN "
						 LSN_FMT " and streamed it (record of %s in %s)",
						 LSN_ARGS(rec->created_lsn), rec->time, sh->cfg->offset_topic);
				if (!heal_or_gap(sh, what, rec->confirmed_lsn, &heal))
					return false;
			}
			else if (!redo && !read_delivered(sh))
				return false;
			else if (delivered_max(sh->delivered).lsn != 0 && !redo)
			{
				snprintf(what, sizeof(what), "does not exist, but Kafka holds its changes up to "
						 "LSN " LSN_FMT " (its record in %s is missing)",
						 LSN_ARGS(delivered_max(sh->delivered).lsn), sh->cfg->offset_topic);
				if (!heal_or_gap(sh, what, delivered_max(sh->delivered).lsn, &heal))
					return false;
			}
			else if (redo)
				log_warn("the initial snapshot of slot \"%s\" did not finish, and the slot is gone: "
						 "taking a new one at a new slot; a row the first one read and that was "
						 "deleted since stays in Kafka (compacted topics keep it)", sh->cfg->slot_name);
			break;
	}

	want_snapshot = !(sh->first && sh->cfg->new_slot) &&
		sh->cfg->snapshot_mode != SNAPSHOT_NO_DATA;
	if (want_snapshot && !snap_check_extension(sh->meta, sh->err, sizeof(sh->err)))
		return session_fail(sh, EXIT_CONFIG, "%s", sh->err);
	if (!slot_create(sh->repl, sh->cfg->slot_name, want_snapshot ? snapshot : NULL, snaplen,
					 &sh->created_lsn, sh->err, sizeof(sh->err)))
		return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART, "%s", sh->err);
	*created = sh->slot_seen = true;
	sh->slot_confirmed = sh->created_lsn;
	sh->fl.confirmed = 0;
	sh->snapshot_state = want_snapshot ? "running" : "";
	if (sh->cfg->new_slot && rec->found)
		log_warn("--new-slot: created slot \"%s\" at " LSN_FMT "; changes between LSN " LSN_FMT
				 " and it are not sent", sh->cfg->slot_name, LSN_ARGS(sh->created_lsn),
				 LSN_ARGS(rec->confirmed_lsn));
	else
		log_info("created replication slot \"%s\" at " LSN_FMT "%s", sh->cfg->slot_name,
				 LSN_ARGS(sh->created_lsn), want_snapshot ? ", with a snapshot of that point" : "");
	return true;
}
