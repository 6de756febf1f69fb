/*
 * shipper.h
 *		The parts of cellcdc-shipper that main.c wires together: logging,
 *		the sink messages go to, and the Postgres side (replication stream
 *		and catalog lookups).
 *
 * Helpers report failures by returning false with a message; main decides
 * whether to retry, restart the session or exit.
 */
#ifndef SHIPPER_SHIPPER_H
#define SHIPPER_SHIPPER_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "ops/log.h"
#include "render/render.h"

#define ERRLEN 512

/*
 * Exit statuses, stable and documented in README ("Exit statuses"): a
 * service manager decides on them whether to restart the shipper.
 */
typedef enum ExitStatus
{
	EXIT_STOPPED = 0,			/* stopped on request, everything confirmed */
	EXIT_FAILED = 1,			/* stopped with messages unacknowledged, a second
								 * signal, or out of memory */
	EXIT_CONFIG = 2,			/* the configuration is wrong: fix it */
	EXIT_STARTUP = 3,			/* the first start failed: PostgreSQL or Kafka
								 * unreachable, or the slot held by another */
	EXIT_GAP = 4,				/* the slot was dropped or invalidated: changes
								 * are lost, a person must decide */
	EXIT_RETRIES = 5			/* the same failure at the same position,
								 * errors.max.retries times in a row */
} ExitStatus;

/* sink.c: Kafka, stdout or nowhere */
typedef struct Sink Sink;

/* called once per message when its delivery is settled; error NULL = ok */
typedef void (*AckFn) (void *opaque, const char *error);

/* called while the sink waits for room, so the stream stays alive; false: stop waiting */
typedef bool (*WaitFn) (void *arg);

extern Sink *sink_open(const Config *cfg, AckFn ack, WaitFn wait, void *wait_arg,
					   char *err, size_t errlen);
extern bool sink_send(Sink *s, const OutMessage *m, void *opaque, char *err, size_t errlen);
extern void sink_poll(Sink *s, int timeout_ms);
extern bool sink_flush(Sink *s, int timeout_ms);
extern long sink_pending(Sink *s);
extern bool sink_failed(Sink *s, char *err, size_t errlen);
extern void sink_close(Sink *s, bool purge);

/* stream.c: the replication connection */
extern PGconn *stream_connect(const Config *cfg, char *err, size_t errlen);
extern bool stream_ensure_slot(PGconn *conn, const char *slot, char *err, size_t errlen);
extern bool stream_start(PGconn *conn, const Config *cfg, uint64_t start_lsn,
						 char *err, size_t errlen);
extern bool stream_send_status(PGconn *conn, uint64_t received, uint64_t confirmed,
							   char *err, size_t errlen);

/* stream.c: catalog lookups over a normal connection (a MetaFn) */
extern PGconn *meta_connect(const Config *cfg, char *err, size_t errlen);
extern bool meta_lookup(void *conn, uint32_t relid, int ncols,
						const char *const *names, ColumnMeta *out,
						char *err, size_t errlen);

#define LSN_FMT "%X/%X"
#define LSN_ARGS(lsn) (unsigned) ((lsn) >> 32), (unsigned) (lsn)

#endif							/* SHIPPER_SHIPPER_H */
