/*
 * sink.h
 *		Where rendered messages go: Kafka, stdout (JSON lines) or nowhere.
 *
 * Each kind fills one SinkOps table.  Every message carries an opaque
 * pointer that comes back through AckFn once its fate is known, so the
 * caller confirms to PostgreSQL only what the sink acknowledged.  A
 * failure is recorded once (the first) with what the caller needs to name
 * the message in its log line and to decide whether retrying can help.
 */
#ifndef SHIPPER_SINK_SINK_H
#define SHIPPER_SINK_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "shipper.h"

/* called once per message when its delivery is settled; error NULL = ok */
typedef void (*AckFn) (void *opaque, const char *error);

/* called while the sink waits for room, so the stream stays alive; false: stop waiting */
typedef bool (*WaitFn) (void *arg);

typedef enum FailKind
{
	FAIL_NONE,
	FAIL_TRANSIENT,				/* the sink as a whole failed: retry later */
	FAIL_MESSAGE,				/* this message cannot be delivered as it is */
	FAIL_OUTPUT_CLOSED			/* stdout was closed by its reader */
} FailKind;

/* The first failure of a sink, with the message it concerns (if any). */
typedef struct SinkFailure
{
	FailKind	kind;
	char		error[ERRLEN];	/* one line: what failed and why */
	char		topic[256];		/* FAIL_MESSAGE: the message's topic */
	Buf			key;			/* its key JSON (empty: null key) */
	size_t		size;			/* its size in bytes (key + value + headers) */
	uint64_t	commit_lsn;		/* its position in the change stream */
	uint64_t	seq;
} SinkFailure;

typedef struct Sink Sink;

typedef struct SinkOps
{
	bool		(*send) (Sink *s, const OutMessage *m, void *opaque);
	void		(*poll) (Sink *s, int timeout_ms);
	bool		(*flush) (Sink *s, int timeout_ms);
	long		(*pending) (Sink *s);
	void		(*close) (Sink *s, bool purge);
} SinkOps;

struct Sink
{
	const SinkOps *ops;
	AckFn		ack;
	WaitFn		wait;
	void	   *wait_arg;
	SinkFailure failure;		/* kind FAIL_NONE until something fails */
	int64_t		outage_since;	/* mono ms when Kafka became unreachable, or 0 */
	int64_t		full_since;		/* mono ms since a send waits for room, or 0 */
	const char *source;			/* HDR_SOURCE on every message (Kafka), or NULL */
	void	   *impl;			/* the kind's own state */
};

extern Sink *sink_open(const Config *cfg, AckFn ack, WaitFn wait, void *wait_arg,
					   char *err, size_t errlen);
extern Sink *sink_open_spool(const Config *cfg, const char *source, AckFn ack, WaitFn wait,
							 void *wait_arg, ExitStatus *status, char *err, size_t errlen);

/* Hand one message over; false when it or the sink failed (see failure). */
extern bool sink_send(Sink *s, const OutMessage *m, void *opaque);
extern void sink_poll(Sink *s, int timeout_ms);
extern bool sink_flush(Sink *s, int timeout_ms);
extern long sink_pending(Sink *s);
extern void sink_close(Sink *s, bool purge);

/* The first failure, or NULL while the sink is healthy. */
extern const SinkFailure *sink_failed(const Sink *s);

/* Forget a FAIL_MESSAGE that the caller dealt with (dead-lettered). */
extern void sink_clear_failure(Sink *s);

/* Record a failure (the first one wins); for the sink kinds. */
extern void sink_fail(Sink *s, FailKind kind, const OutMessage *m, size_t size,
					  const char *fmt,...) __attribute__((format(printf, 5, 6)));

/* the producer's queue bound unless kafka.queue.buffering.max.kbytes sets one */
#define KAFKA_QUEUE_KBYTES "32768"

/*
 * Kafka only: wait up to timeout_ms for the cluster's metadata, so that a
 * first start with wrong brokers fails before anything is created.
 */
extern bool sink_kafka_reachable(Sink *s, int timeout_ms, char *err, size_t errlen);

/* Kafka's count of a message's size, and its limit (message.max.bytes) */
extern size_t kafka_message_size(const OutMessage *m, const char *source);
extern size_t kafka_max_message(const Config *cfg);

/* A Kafka message header's decimal value (a position header); false when absent or not a number */
struct rd_kafka_headers_s;
extern bool kafka_header_u64(struct rd_kafka_headers_s *hdrs, const char *name, uint64_t *out);

/* the kinds */
extern bool sink_kafka_open(Sink *s, const Config *cfg, char *err, size_t errlen);
extern void sink_stdout_open(Sink *s);

#endif							/* SHIPPER_SINK_SINK_H */
