/*
 * session.c
 *		Start a session and end it.
 *
 * Start: Kafka must answer before anything is created (a first start with
 * wrong brokers exits with status 3); then the replication and catalog
 * connections, the slot rule (slot_rule.c), the initial snapshot if one is
 * due, and what Kafka already holds of the stream (delivery/delivered.c),
 * so that what the slot sends again is skipped.  While streaming, the
 * confirmed position is recorded in Kafka and the slot is told no more
 * than a record says.  While Kafka is away, a session streams into the
 * spool instead, and the next Kafka session drains it first (spooling.c).
 * End: wait (bounded) for Kafka to acknowledge what is in flight, confirm,
 * hang up; when PostgreSQL is going away, hang up first so that it can
 * stop.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "session.h"
#include "sink/spool.h"

/* Set the session's error (and the status to exit with, if any). */
bool
session_fail(Shipper *sh, ExitStatus status, const char *fmt,...)
{
	char		msg[ERRLEN];	/* the arguments may include sh->err itself */
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(sh->err, msg, sizeof(msg));
	sh->exit_status = status;
	return false;
}

/* Send a standby status update when due, or forced. */
bool
send_status(Shipper *sh, bool force)
{
	int64_t		now = mono_ms();
	uint64_t	confirmable = slot_confirmable(sh);

	if (!force && now - sh->last_status < sh->cfg->status_interval_ms)
		return true;
	if (!stream_send_status(sh->repl, sh->received, confirmable, sh->err, sizeof(sh->err)))
		return false;
	sh->last_status = now;
	sh->status_confirmed = confirmable;
	return true;
}

/*
 * How far the slot may be confirmed: what Kafka has, and (with the record
 * kept in Kafka) no further than a record there says, so that a slot found
 * further on was moved by something else (README, "The slot and Kafka").
 */
uint64_t
slot_confirmable(const Shipper *sh)
{
	if (sh->store && sh->fl.recorded < sh->fl.confirmed)
		return sh->fl.recorded;
	return sh->fl.confirmed;
}

/*
 * Record the confirmed position in Kafka once a status interval while it
 * moves, and confirm a recorded one to the server as soon as Kafka has it.
 */
bool
record_position(Shipper *sh, int64_t now)
{
	if (sh->store && sh->fl.confirmed != sh->recorded && sh->sink->outage_since == 0 &&
		now - sh->last_record >= sh->cfg->status_interval_ms)
	{
		sh->last_record = now;
		if (!write_record(sh, "streaming"))
			return false;
	}
	if (slot_confirmable(sh) > sh->status_confirmed)
		return send_status(sh, true);
	return true;
}

/*
 * Is PostgreSQL going away?  Checked every SERVER_WATCH_MS on the catalog
 * connection, which a fast shutdown closes first.
 */
bool
server_going(Shipper *sh, int64_t now)
{
	const char *why;

	if (sh->server_gone)
		return true;
	if (sh->meta == NULL || now < sh->next_watch)
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
 * While the sink waits for room: keep the server from timing us out, keep
 * reporting (an outage fills the queue), and give up waiting when asked to
 * stop or when the server is going away.
 */
static bool
on_wait(void *arg)
{
	Shipper    *sh = arg;
	int64_t		now = mono_ms();
	static bool reporting = false;	/* an outage probe waits through here too */

	sink_poll(sh->sink, 0);		/* an outage is noticed by the producer's callbacks */
	inflight_advance(&sh->fl);
	if (sh->streaming)
		(void) send_status(sh, false);
	if (sh->streaming && !reporting)
	{
		reporting = true;
		report_progress(sh, now);
		report_outage(sh, now);
		reporting = false;
	}
	/* the spool takes over, or gives the stream back: end this session */
	if (spool_due(sh, now) || kafka_back(sh, now))
		return false;
	return !stop_requested && !server_going(sh, now);
}

/* The captured tables' names as a JSON array, for the record. */
static char *
names_json(const CapturedTables *t)
{
	json_t	   *a = json_array();
	char	   *text;

	for (int i = 0; i < t->n; i++)
		json_array_append_new(a, json_string(t->names[i]));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/*
 * Tables captured now that the record's list did not have (added to
 * table.include.list, say) get their existing rows by an incremental
 * snapshot.
 */
static void
snapshot_new_tables(Shipper *sh, const char *recorded)
{
	json_t	   *a = recorded ? json_loads(recorded, 0, NULL) : NULL;

	if (!json_is_array(a))
	{
		json_decref(a);
		return;					/* a record from before the list was kept */
	}
	for (int i = 0; i < sh->tables.n; i++)
	{
		bool		known = false;
		size_t		j;
		json_t	   *v;

		json_array_foreach(a, j, v)
			known = known || (json_string_value(v) && strcmp(json_string_value(v), sh->tables.names[i]) == 0);
		if (known)
			continue;
		log_info("%s is newly captured: an incremental snapshot reads its existing rows",
				 sh->tables.names[i]);
		incremental_add_table(sh, sh->tables.names[i]);
	}
	json_decref(a);
}

/*
 * snapshot.mode=always at a slot that exists: every captured table is read
 * again, incrementally, while streaming goes on from the slot's position
 * (what an earlier start left queued goes first).
 */
static void
snapshot_all_tables(Shipper *sh)
{
	log_info("snapshot.mode=always: an incremental snapshot reads the %d captured tables while "
			 "streaming", sh->tables.n);
	for (int i = 0; i < sh->tables.n; i++)
		incremental_add_table(sh, sh->tables.names[i]);
}

/*
 * Where the initial snapshot's reads begin, for the record while it runs
 * or while the work it names (pending) still has ranges of it.
 */
static const char *
snapshot_from(const Shipper *sh, const char *pending)
{
	if (sh->snapshot_from &&
		(strcmp(sh->snapshot_state, "running") == 0 || (pending && strstr(pending, "\"range\":true"))))
		return sh->snapshot_from;
	return NULL;
}

/* Write this slot's record to the offsets topic (tracked, not confirmed over). */
bool
write_record(Shipper *sh, const char *event)
{
	Buf			key = {0};
	Buf			value = {0};
	OutMessage	m = {0};
	Txn		   *t = inflight_settled(&sh->fl, 0);
	const char *pending = sh->snapshot_left ? sh->snapshot_left :
		incremental_state(sh->inc, sh->fl.confirmed);
	bool		ok;

	offsets_message(&sh->slot_id, event, sh->created_lsn, sh->fl.confirmed, sh->snapshot_state,
					pending, sh->tables_json, snapshot_from(sh, pending), &key, &value);
	incremental_recorded(sh->inc);
	m.topic = sh->cfg->offset_topic;
	m.key = key.data;
	m.key_len = key.len;
	m.value = value.data;
	m.value_len = value.len;
	t->pending++;
	t->record_lsn = sh->fl.confirmed;
	ok = sink_send(sh->sink, &m, t);
	if (ok)
		sh->recorded = sh->fl.confirmed;
	else
		t->pending--;
	buf_free(&key);
	buf_free(&value);
	return ok;
}

/* Say that the slot replays changes Kafka already has, which are skipped. */
static void
note_replay(Shipper *sh)
{
	uint64_t	from = sh->fl.confirmed ? sh->fl.confirmed : sh->slot_confirmed;
	Position	held = delivered_max(sh->delivered);

	if (held.lsn > from)
		log_info("Kafka holds changes of slot \"%s\" committed up to LSN " LSN_FMT ", past "
				 "where the slot resumes (" LSN_FMT "): those are skipped as they come again",
				 sh->cfg->slot_name, LSN_ARGS(held.lsn), LSN_ARGS(from));
}

/* Write the record of a slot just created, and wait until Kafka has it. */
static bool
record_created(Shipper *sh, const char *event)
{
	if (!sh->store)
		return true;
	if (!write_record(sh, event) ||
		!sink_flush(sh->sink, sh->cfg->startup_timeout_ms) || sink_failed(sh->sink))
		return session_fail(sh, EXIT_STARTUP, "cannot record slot \"%s\" in "
							"offset.storage.topic %s: %s; check that the topic can be written "
							"(create it, compacted, if the cluster does not create topics)",
							sh->cfg->slot_name, sh->cfg->offset_topic,
							sink_failed(sh->sink) ? sink_failed(sh->sink)->error :
							"not acknowledged in time");
	inflight_advance(&sh->fl);
	return true;
}

/* Note where the initial snapshot's reads will begin in Kafka (delivery/snapshot_reads.c). */
static bool
mark_snapshot(Shipper *sh)
{
	free(sh->snapshot_from);
	sh->snapshot_from = snapshot_reads_mark(sh->cfg, sh->cfg->startup_timeout_ms, sh->sink->wait,
											sh->sink->wait_arg, sh->err, sizeof(sh->err));
	return sh->snapshot_from ||
		session_fail(sh, sh->first ? EXIT_STARTUP : RESTART, "cannot read where Kafka's topics "
					 "end before the snapshot: %s", sh->err);
}

/* Has stdout's reader gone away?  Then it asked for the stop. */
static bool
reader_gone(Shipper *sh)
{
	return sh->sink && sink_failed(sh->sink) &&
		sink_failed(sh->sink)->kind == FAIL_OUTPUT_CLOSED;
}

/*
 * How long a stop may still take: one shutdown.timeout.ms for all of it
 * (the open transaction, the acknowledgements, the slot's record), counted
 * from the first time it is asked.
 */
int
stop_time_left(Shipper *sh)
{
	int64_t		now = mono_ms();

	if (sh->stop_deadline == 0)
		sh->stop_deadline = now + sh->cfg->shutdown_timeout_ms;
	return sh->stop_deadline > now ? (int) (sh->stop_deadline - now) : 0;
}

/* Say once that the shipper is stopping and what it waits for. */
void
note_stop(Shipper *sh)
{
	if (sh->stop_noted || reader_gone(sh))
		return;
	sh->stop_noted = true;
	log_info("stopping: finishing the open transaction and waiting up to %.1f s for %s "
			 "%ld messages (a second signal exits at once)", stop_time_left(sh) / 1000.0,
			 sh->cfg->sink == SINK_STDOUT ? "stdout's reader to take" :
			 sink_is_spool(sh->sink) ? "the spool to take" : "Kafka to acknowledge",
			 sink_pending(sh->sink));
}

/*
 * The initial snapshot, in the one the slot just exported; when Kafka has
 * every row, the slot's record says it is done.
 */
static bool
take_snapshot(Shipper *sh, const char *snapshot)
{
	if (!snapshot_run(sh, snapshot, sh->created_lsn))
		return false;
	if (sh->snapshot_cut)
		incremental_restore(sh->inc, sh->snapshot_left);	/* the ranges left */
	sh->snapshot_state = "done";
	free(sh->snapshot_left);
	sh->snapshot_left = NULL;
	if (sh->store && (!write_record(sh, "snapshotted") ||
					  !sink_flush(sh->sink, sh->cfg->startup_timeout_ms) || sink_failed(sh->sink)))
		return session_fail(sh, RESTART, "cannot record the end of the snapshot in %s: %s",
							sh->cfg->offset_topic, sink_failed(sh->sink) ?
							sink_failed(sh->sink)->error : "not acknowledged in time");
	inflight_advance(&sh->fl);
	return true;
}

/*
 * The Kafka sink.  At the first start Kafka must answer before anything
 * is created; when it does not, a spool left by an earlier outage is
 * appended to instead.
 */
static bool
open_kafka(Shipper *sh)
{
	sh->sink = sink_open(sh->cfg, inflight_ack, on_wait, sh, sh->err, sizeof(sh->err));
	if (sh->sink == NULL)
		return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART, "%s", sh->err);
	/* an outage ends with a delivery, not with a new producer */
	sh->sink->outage_since = sh->outage_since;
	if (!sh->first || sink_kafka_reachable(sh->sink, sh->cfg->startup_timeout_ms,
										   sh->err, sizeof(sh->err)))
		return true;
	if (!spool_holds(sh->cfg))
		return session_fail(sh, EXIT_STARTUP, "%s", sh->err);
	log_warn("%s; spool.dir %s holds a spool: spooling on", sh->err, sh->cfg->spool_dir);
	sh->outage_since = sh->sink->outage_since ? sh->sink->outage_since : mono_ms();
	sink_close(sh->sink, true);
	sh->sink = NULL;
	sh->spooling = true;
	return true;
}

/* The slot's record: in Kafka, or while Kafka is away, the spool's last. */
static bool
read_record(Shipper *sh, SlotRecord *rec)
{
	if (!sh->spooling)
		return offsets_read(sh->cfg, &sh->slot_id, sh->cfg->startup_timeout_ms, rec,
							sh->err, sizeof(sh->err)) ||
			session_fail(sh, EXIT_STARTUP, "%s", sh->err);
	if (!spool_record(sh, rec))
		return false;
	if (!rec->found)
		return session_fail(sh, EXIT_STARTUP, "Kafka is unreachable and the spool in %s holds "
							"no record of slot \"%s\" to check the slot against; start when "
							"Kafka is back", sh->cfg->spool_dir, sh->cfg->slot_name);
	return true;
}

/* Connect, check Kafka and the slot, start streaming from the confirmed LSN. */
bool
session_start(Shipper *sh)
{
	SlotRecord	rec = {0};
	char		snapshot[64] = "";
	char		sqlstate[6];
	char		resent[96] = "";
	bool		created = false;
	ExitStatus	status;
	bool		ok;

	if (sh->first && !spool_usable(sh->cfg, sh->err, sizeof(sh->err)))
		return session_fail(sh, EXIT_CONFIG, "%s", sh->err);
	if (!sh->spooling && !open_kafka(sh))
		return false;
	if ((sh->repl = pg_connect(sh->cfg, true, sh->err, sizeof(sh->err))) == NULL ||
		(sh->meta = pg_connect(sh->cfg, false, sh->err, sizeof(sh->err))) == NULL ||
		!stream_identify(sh->repl, &sh->sys, sh->err, sizeof(sh->err)))
		return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART, "%s", sh->err);
	if (!slot_claim(sh->meta, sh->cfg->slot_name, sh->err, sizeof(sh->err)))
		return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART, "%s", sh->err);
	sh->slot_id.slot = sh->cfg->slot_name;
	sh->slot_id.database = sh->sys.dbname;
	sh->slot_id.system = sh->sys.system;
	snprintf(sh->source, sizeof(sh->source), "%s/%s/%s", sh->sys.system, sh->sys.dbname,
			 sh->cfg->slot_name);
	if (sh->spooling)
	{
		sh->sink = sink_open_spool(sh->cfg, sh->source, inflight_ack, on_wait, sh, &status,
								   sh->err, sizeof(sh->err));
		if (sh->sink == NULL)
		{
			sh->spooling = false;	/* the next session tries Kafka again */
			return session_fail(sh, status, "%s", sh->err);
		}
		sh->spool_probed = mono_ms();
	}
	sh->sink->source = sh->source;
	/* what an earlier outage left in the spool goes to Kafka first */
	if (!sh->spooling && !spool_drain(sh))
		return false;

	if (sh->first &&
		!captured_check(sh->meta, sh->cfg, sh->claims, &sh->tables, sh->err, sizeof(sh->err)))
		return session_fail(sh, EXIT_CONFIG, "%s", sh->err);
	if (sh->first)
		sh->tables_json = names_json(&sh->tables);
	if (sh->cfg->snapshot_mode == SNAPSHOT_INITIAL_ONLY)
	{
		/* no slot: a snapshot of the database as it is now, then exit */
		if (!snap_check_extension(sh->meta, sh->err, sizeof(sh->err)))
			return session_fail(sh, EXIT_CONFIG, "%s", sh->err);
		return snapshot_run(sh, NULL, 0);
	}
	if (sh->first && sh->store && !read_record(sh, &rec))
		return false;
	if (sh->first && rec.found)
		sh->snapshot_state = strcmp(rec.snapshot, "done") == 0 ? "done" : "";
	if (sh->first && rec.snapshot_from)
		sh->snapshot_from = xstrdup(rec.snapshot_from);
	if (sh->first && rec.found && strcmp(rec.snapshot, "done") == 0)
		incremental_restore(sh->inc, rec.pending);
	ok = check_slot(sh, &rec, &created, snapshot, sizeof(snapshot));
	if (ok && sh->first && !created && sh->cfg->snapshot_mode == SNAPSHOT_ALWAYS)
		snapshot_all_tables(sh);
	else if (ok && sh->first && rec.found && !created && strcmp(sh->snapshot_state, "done") == 0 &&
			 sh->cfg->snapshot_mode != SNAPSHOT_NO_DATA)
		snapshot_new_tables(sh, rec.tables);
	offsets_record_free(&rec);
	if (!ok)
		return false;
	if (sh->first && incremental_count(sh->inc) > 0 &&
		!snap_check_extension(sh->meta, sh->err, sizeof(sh->err)))
		return session_fail(sh, EXIT_CONFIG, "%s", sh->err);
	if (snapshot[0] && sh->spooling)
	{
		sh->spooling = false;
		return session_fail(sh, RESTART, "the initial snapshot of slot \"%s\" is due, and "
							"waits for Kafka", sh->cfg->slot_name);
	}
	/* before the snapshot's first read: where its reads begin in Kafka */
	if (snapshot[0] && sh->store && !mark_snapshot(sh))
		return false;
	if ((created || (sh->first && !rec.found)) &&
		!record_created(sh, created ? (sh->cfg->new_slot ? "new-slot" : "created") : "streaming"))
		return false;
	if (rec.found && !created)
		sh->created_lsn = rec.created_lsn;
	if (snapshot[0] && !take_snapshot(sh, snapshot))
		return false;
	/* the spool's first record: a spool is never without one */
	if (sh->spooling && sh->fl.confirmed && !write_record(sh, "spooling"))
		return session_fail(sh, RESTART, "%s", sink_failed(sh->sink)->error);
	if (sh->first && !sh->store)
		log_warn("sink=%s keeps no record of the slot: a slot dropped while the shipper is "
				 "stopped cannot be told from a new one", sh->cfg->sink == SINK_STDOUT ? "stdout" : "null");

	if (!read_delivered(sh) || !read_snapshot_reads(sh))
		return false;
	sh->renderer = renderer_new(sh->cfg, sh->cfg->dbname ? sh->cfg->dbname : PQdb(sh->repl),
								meta_lookup, sh->meta, sh->claims);
	if (!stream_start(sh->repl, sh->cfg, sh->fl.confirmed, sqlstate, sh->err, sizeof(sh->err)))
	{
		/* the slot changed since check_slot looked */
		if (strcmp(sqlstate, SQLSTATE_UNDEFINED_OBJECT) == 0)
			return slot_gap(sh, "disappeared while this shipper was using it (dropped?)",
					   sh->fl.confirmed);
		if (strcmp(sqlstate, SQLSTATE_NOT_IN_PREREQ) == 0)
			return slot_gap(sh, "was invalidated: the WAL it needs was removed", sh->fl.confirmed);
		if (strcmp(sqlstate, SQLSTATE_OBJECT_IN_USE) == 0)
			return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART,
							"another process streams slot \"%s\": another shipper holds the "
							"slot; stop it, or give this shipper its own slot.name",
							sh->cfg->slot_name);
		return session_fail(sh, sh->first ? EXIT_STARTUP : RESTART, "%s", sh->err);
	}
	note_replay(sh);
	sh->streaming = true;
	sh->first = false;			/* start-up is over: failures from now on are waited out */
	sh->last_status = 0;
	if (sh->resend)
		snprintf(resent, sizeof(resent), "; the %ld messages the last session sent but "
				 "did not confirm are sent again", sh->resend);
	log_info("streaming slot \"%s\" from " LSN_FMT " (%s) to %s%s", sh->cfg->slot_name,
			 LSN_ARGS(sh->fl.confirmed ? sh->fl.confirmed : sh->slot_confirmed),
			 sh->fl.confirmed ? "the last confirmed position" : "the slot's position",
			 sh->spooling ? "the spool (Kafka is away)" : sh->cfg->sink == SINK_KAFKA ? "Kafka" :
			 sh->cfg->sink == SINK_STDOUT ? "stdout" : "nowhere (sink=null)", resent);
	sh->resend = 0;
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
			(void) send_status(sh, false);
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
bool
session_end(Shipper *sh, bool stopping)
{
	bool		settled = true;
	bool		gone;
	long		unacked;

	if (sh->server_gone)
	{
		PQfinish(sh->repl);
		sh->repl = NULL;
	}
	else if (sh->sink && stopping && !reader_gone(sh))
	{
		if (sink_pending(sh->sink) > 0)
			note_stop(sh);
		settled = drain(sh, stop_time_left(sh));
	}
	else if (sh->sink && sh->sink->outage_since == 0)
		settled = drain(sh, FAILED_DRAIN_MS);	/* fewer to send again, not more */
	if (stopping && settled && sh->store && sh->streaming)
		settled = write_record(sh, "stopped") && drain(sh, stop_time_left(sh));
	if (sh->repl && sh->streaming && PQstatus(sh->repl) == CONNECTION_OK)
	{
		char		err[ERRLEN];

		(void) stream_send_status(sh->repl, sh->received, slot_confirmable(sh), err, sizeof(err));
		PQputCopyEnd(sh->repl, NULL);
	}
	unacked = inflight_unacked(&sh->fl);
	/* a stop that gave up on the open transaction sends its first part again */
	if (sh->fl.open && sh->fl.open->sent > 0)
		settled = false;
	gone = reader_gone(sh);
	if (stopping && unacked > 0)
		log_warn("%ld messages were not %s; the slot keeps them for the next start", unacked,
				 sh->cfg->sink == SINK_STDOUT ? "taken from stdout by its reader" :
				 sink_is_spool(sh->sink) ? "written to the spool" : "acknowledged by Kafka");
	sh->resend = inflight_unconfirmed(&sh->fl);
	if (sh->sink)
	{
		if (!sink_is_spool(sh->sink))
			sh->outage_since = sh->sink->outage_since;
		sink_close(sh->sink, true);
	}
	if (sh->probe)
		sink_close(sh->probe, true);
	sh->probe = NULL;
	if (sh->renderer)
		renderer_free(sh->renderer);
	delivered_free(sh->delivered);
	sh->delivered = NULL;
	snapshot_reads_free(sh->snapshot_reads);
	sh->snapshot_reads = NULL;
	incremental_end_session(sh->inc);
	PQfinish(sh->repl);
	PQfinish(sh->meta);
	inflight_reset(&sh->fl);
	sh->sink = NULL;
	sh->renderer = NULL;
	sh->repl = sh->meta = NULL;
	sh->streaming = sh->server_gone = false;
	/* a reader that went away asked for the stop; what it did not read waits */
	return gone || (settled && unacked == 0);
}
