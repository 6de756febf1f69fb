/*
 * session.h
 *		One session of the shipper: a replication connection's life, from
 *		start-up checks (Kafka, PostgreSQL, the slot rule) through streaming
 *		to tear-down.  main.c runs sessions; session.c starts and ends them;
 *		slot_rule.c says whether the slot may be used or created;
 *		stream.c is the loop that moves records from the slot to the sink;
 *		ops/report.c says how it goes.
 */
#ifndef SHIPPER_SESSION_H
#define SHIPPER_SESSION_H

#include <signal.h>

#include "delivery/delivery.h"
#include "sink/sink.h"
#include "source/source.h"

typedef struct Incremental Incremental;

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
	char		source[256];	/* HDR_SOURCE: system/database/slot */
	Delivered  *delivered;		/* what Kafka held at the session's start,
								 * until the stream passes it */
	bool		first;			/* still starting up: nothing streamed yet */
	bool		slot_seen;		/* the slot existed (or was made) in this process */
	bool		streaming;		/* this session's START_REPLICATION succeeded */
	bool		server_gone;	/* PostgreSQL is going away: hang up at once */
	int64_t		next_watch;		/* mono ms of the next check for that */
	bool		store;			/* the slot's record is kept in Kafka */
	uint64_t	created_lsn;	/* where the slot was created, if known */
	uint64_t	slot_confirmed; /* its confirmed_flush_lsn when last looked at */
	uint64_t	recorded;		/* confirmed LSN in the last record written */
	int64_t		last_record;	/* mono ms, when a position record was last written */
	uint64_t	status_confirmed;	/* the confirmed LSN last sent to the server */
	const char *snapshot_state; /* the slot's initial snapshot: "running", "done", "" */
	char	   *snapshot_left;	/* while it runs: JSON of the ranges not in Kafka yet */
	char	   *snapshot_from;	/* JSON: where its reads begin in Kafka's topics */
	SnapshotReads *snapshot_reads;	/* its reads Kafka holds, while ranges are read again */
	char	   *tables_json;	/* JSON of the captured tables' names, for the record */
	bool		snapshot_cut;	/* the initial snapshot stopped at its time limit */
	CapturedTables tables;		/* the captured tables, as last seen */
	TopicClaims *claims;		/* which table owns each topic, for life */
	Incremental *inc;			/* incremental snapshots, for life */

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
	int64_t		last_progress;	/* mono ms of the last progress line */
	uint64_t	progress_changes;
	uint64_t	progress_txns;
	int64_t		outage_reported;	/* mono ms of the last outage line, 0: none */
	int64_t		outage_began;	/* mono ms the reported outage began */
	int64_t		outage_probed;	/* mono ms the brokers were last asked */
	int64_t		outage_since;	/* an outage that outlived its session's sink */
	long		resend;			/* messages a failed session sent, not confirmed */
	bool		stop_noted;		/* the stop was logged */
	bool		spooling;		/* sessions write to the spool: Kafka is away */
	bool		switching;		/* this session ends to hand over to or from the spool */
	char		switch_reason[ERRLEN];
	Sink	   *probe;			/* asks whether Kafka is back, while spooling */
	int64_t		spool_probed;	/* mono ms it last asked */
	Txn			spool_txn;		/* the drain's messages in flight */
	bool		draining;		/* sending the spool to Kafka */
	int64_t		stop_deadline;	/* mono ms by which a stop must be done */
	bool		output_closed;	/* stdout's reader went away: stop */
	Buf			dlq_value;
} Shipper;

/* a failure after which the shipper restarts (no exit status yet) */
#define RESTART EXIT_STOPPED

/* how often the catalog connection is checked for a server going away */
#define SERVER_WATCH_MS 100

/* the failure position of a record of the shipper's own (the offsets topic) */
#define OWN_RECORD_POSITION UINT64_MAX

/* how long a failed session waits for acknowledgements before it ends */
#define FAILED_DRAIN_MS 1000

/* set by the signal handlers in main.c */
extern volatile sig_atomic_t stop_requested;
extern volatile sig_atomic_t hup_received;

/* session.c */
extern bool session_fail(Shipper *sh, ExitStatus status, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern bool session_start(Shipper *sh);
extern bool session_end(Shipper *sh, bool stopping);
extern bool send_status(Shipper *sh, bool force);
extern uint64_t slot_confirmable(const Shipper *sh);
extern bool record_position(Shipper *sh, int64_t now);
extern bool server_going(Shipper *sh, int64_t now);
extern bool write_record(Shipper *sh, const char *event);
extern void note_stop(Shipper *sh);
extern int	stop_time_left(Shipper *sh);

/* slot_rule.c */
extern bool check_slot(Shipper *sh, const SlotRecord *rec, bool *created, char *snapshot,
					   size_t snaplen);
extern bool slot_gap(Shipper *sh, const char *what, uint64_t lost_after);
extern bool read_delivered(Shipper *sh);
extern bool read_snapshot_reads(Shipper *sh);

/* stream.c */
extern bool stream_changes(Shipper *sh);
extern bool stream_send(Shipper *sh, Txn *t, const OutMessage *m);

/* spooling.c */
extern bool spool_usable(const Config *cfg, char *err, size_t errlen);
extern bool spool_holds(const Config *cfg);
extern bool spool_due(Shipper *sh, int64_t now);
extern bool kafka_back(Shipper *sh, int64_t now);
extern bool spool_record(Shipper *sh, SlotRecord *rec);
extern bool spool_drain(Shipper *sh);

/* snapshot.c */
extern bool snapshot_run(Shipper *sh, const char *snapshot, uint64_t lsn);

/* incremental.c */
extern Incremental *incremental_new(void);
extern void incremental_restore(Incremental *inc, const char *state);
extern const char *incremental_state(Incremental *inc, uint64_t confirmed);
extern bool incremental_record_due(Incremental *inc, uint64_t confirmed);
extern void incremental_recorded(Incremental *inc);
extern int	incremental_count(const Incremental *inc);
extern void incremental_end_session(Incremental *inc);
extern void incremental_saw(Incremental *inc, const OutMessage *m);
extern bool incremental_step(Shipper *sh);
extern bool incremental_message(Shipper *sh, const uint8_t *data, size_t len, uint64_t lsn);
extern void incremental_add_table(Shipper *sh, const char *quoted);
extern char *incremental_ranges_json(const SnapPlan *plan, const bool *left);
extern char *range_name(const char *table, char **lo, int nkey);
extern char **incremental_range_names(Incremental *inc, int *n);
extern void incremental_report(const Incremental *inc);
extern void incremental_queue(Shipper *sh, const char *quoted, const char *filter, uint64_t lsn);
extern int	incremental_stop(Shipper *sh, const char *quoted, uint64_t lsn);
extern void incremental_pause(Incremental *inc, bool paused);

/* requests.c: snapshot requests, logical decoding messages with this prefix */
#define REQUEST_PREFIX "cellcdc.snapshot"
/* incremental.c: the windows' watermarks */
#define WATERMARK_PREFIX "cellcdc.watermark"

extern void request_apply(Shipper *sh, const char *content, size_t len, uint64_t lsn);
extern int	request_send(const Config *cfg);

/* ops/report.c */
extern void report_progress(Shipper *sh, int64_t now);
extern void report_outage(Shipper *sh, int64_t now);
extern const char *duration_text(int64_t ms, char *out, size_t len);

#endif							/* SHIPPER_SESSION_H */
