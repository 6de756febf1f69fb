/*
 * delivery.h
 *		Between the renderer and the sink: which transactions are in flight
 *		and the LSN that may be confirmed (inflight.c); failures that repeat
 *		at one stream position and what to do about them (retry.c); and the
 *		shipper's record of its slot, kept in Kafka (offsets.c).
 */
#ifndef SHIPPER_DELIVERY_DELIVERY_H
#define SHIPPER_DELIVERY_DELIVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "shipper.h"

/* ---------- inflight.c ---------- */

/* a transaction (or a lone message) whose messages are in flight */
typedef struct Txn
{
	struct Txn *next;
	uint64_t	final_lsn;		/* its commit record: the messages' commit_lsn */
	uint64_t	end_lsn;		/* confirmable once all is acknowledged; 0: nothing */
	long		pending;		/* messages not yet acknowledged */
	long		sent;			/* messages handed to the sink */
	bool		committed;		/* its COMMIT has arrived */
	bool		failed;			/* a send or its record failed: never confirmed */
	uint64_t	record_lsn;		/* the slot's record: the confirmed LSN it carries */
} Txn;

typedef struct Inflight
{
	Txn		   *head;			/* oldest unconfirmed */
	Txn		   *tail;
	Txn		   *open;			/* between BEGIN and COMMIT, else NULL */
	uint64_t	confirmed;		/* everything before it is in the sink */
	uint64_t	recorded;		/* the highest confirmed LSN that a record of
								 * the slot in Kafka carries: the slot is told
								 * no more (README, "The slot and Kafka") */
	uint64_t	server_end;		/* walsender's WAL end, from keepalives */
} Inflight;

extern Txn *inflight_begin(Inflight *f, uint64_t final_lsn);
extern void inflight_commit(Inflight *f, uint64_t end_lsn);
extern Txn *inflight_settled(Inflight *f, uint64_t lsn);
extern void inflight_ack(void *opaque, const char *error);	/* an AckFn */
extern void inflight_advance(Inflight *f);
extern long inflight_unacked(const Inflight *f);
extern long inflight_unconfirmed(const Inflight *f);
extern void inflight_reset(Inflight *f);

/* ---------- retry.c ---------- */

/* a change set aside on the dead-letter topic when it comes round again */
typedef struct DeadLetter
{
	struct DeadLetter *next;
	uint64_t	commit_lsn;
	uint64_t	seq;
	char		error[ERRLEN];
} DeadLetter;

typedef struct Retry
{
	uint64_t	position;		/* LSN of the last positional failure, or 0 */
	int			count;			/* failures in a row at that position */
	int			backoff_ms;		/* the next wait */
	uint64_t	confirmed;		/* confirmed LSN at the last failure */
	DeadLetter *dead;			/* changes to dead-letter on their next pass */
} Retry;

extern void retry_init(Retry *r, const Config *cfg);
extern int	retry_note(Retry *r, const Config *cfg, uint64_t position, uint64_t confirmed);
extern bool retry_exhausted(const Retry *r, const Config *cfg);
extern void retry_dead_letter_later(Retry *r, uint64_t commit_lsn, uint64_t seq, const char *error);
extern const DeadLetter *retry_dead_letter_due(const Retry *r, uint64_t commit_lsn, uint64_t seq);
extern void retry_forget_before(Retry *r, uint64_t confirmed);

extern void dead_letter_message(const Config *cfg, const char *topic, const char *table,
								const char *key, size_t key_len, uint64_t lsn, size_t size,
								const char *error, Buf *value);

/* how long a read of Kafka tries, and the caller's hook that may stop it */
typedef struct Waiting
{
	int64_t		deadline;
	bool		(*wait) (void *arg);
	void	   *arg;
}			Waiting;

static inline bool
still_waiting(const Waiting *w)
{
	return mono_ms() < w->deadline && w->wait(w->arg);
}

/* ---------- delivered.c ---------- */

struct rd_kafka_s;
extern bool partition_watermarks(struct rd_kafka_s *rk, const Waiting *w, const char *topic,
								 int32_t p, int64_t *low, int64_t *high, char *err, size_t errlen);

/* a place in the change stream: a transaction's commit LSN and a message's sequence in it */
typedef struct Position
{
	uint64_t	lsn;
	uint64_t	seq;
} Position;

typedef struct Delivered Delivered;

extern Delivered *delivered_read(const Config *cfg, const char *source, int timeout_ms,
								 bool (*wait) (void *arg), void *wait_arg,
								 char *err, size_t errlen);
extern bool delivered_holds(Delivered *d, const OutMessage *m);
extern Position delivered_max(const Delivered *d);
extern long delivered_skipped(const Delivered *d);
extern void delivered_free(Delivered *d);
extern bool shipper_topic(const Config *cfg, const char *name);

/* ---------- snapshot_reads.c ---------- */

typedef struct SnapshotReads SnapshotReads;

extern char *snapshot_reads_mark(const Config *cfg, int timeout_ms, bool (*wait) (void *arg),
								 void *arg, char *err, size_t errlen);
extern SnapshotReads *snapshot_reads_collect(const Config *cfg, const char *source,
											 const char *from, char *const *ranges, int nranges,
											 int timeout_ms, bool (*wait) (void *arg), void *arg,
											 char *err, size_t errlen);
extern bool snapshot_reads_has(SnapshotReads *r, const char *range, const char *key,
							   size_t key_len);
extern void snapshot_reads_free(SnapshotReads *r);

/* ---------- offsets.c ---------- */

/* what the offsets topic says of this slot */
typedef struct SlotRecord
{
	bool		found;
	char		event[16];		/* created, streaming, stopped, new-slot */
	uint64_t	created_lsn;	/* where the slot was created */
	uint64_t	confirmed_lsn;	/* confirmed when the record was written */
	bool		slot_bound;		/* the slot was never confirmed further */
	char		snapshot[16];	/* the initial snapshot: "running", "done" or "" */
	char		time[40];		/* when it was written, UTC */
	char	   *pending;		/* JSON: the snapshot work left, or NULL */
	char	   *tables;			/* JSON: the tables captured, or NULL */
	char	   *snapshot_from;	/* JSON: where the initial snapshot's reads
								 * begin, while ranges of it are left; or NULL */
} SlotRecord;

/* identifies one slot of one database of one cluster */
typedef struct SlotId
{
	const char *slot;
	const char *database;
	const char *system;			/* IDENTIFY_SYSTEM's systemid */
} SlotId;

extern bool offsets_read(const Config *cfg, const SlotId *id, int timeout_ms,
						 SlotRecord *out, char *err, size_t errlen);
extern void offsets_message(const SlotId *id, const char *event, uint64_t created_lsn,
							uint64_t confirmed_lsn, const char *snapshot, const char *pending,
							const char *tables, const char *snapshot_from, Buf *key, Buf *value);
extern bool offsets_take(const Config *cfg, const SlotId *id, const OutMessage *m,
						 SlotRecord *out);
extern void offsets_record_free(SlotRecord *rec);

/* a consumer that reads partitions it is given (no group joined, nothing committed) */
struct rd_kafka_s;
extern struct rd_kafka_s *kafka_reader_new(const Config *cfg, char *err, size_t errlen);

#endif							/* SHIPPER_DELIVERY_DELIVERY_H */
