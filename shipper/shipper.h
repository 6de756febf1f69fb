/*
 * shipper.h
 *		What every part of cellcdc-shipper shares: the configuration, the
 *		renderer's message type, logging, exit statuses and LSN printing.
 *		Each part's own interface is in its folder's header (source/,
 *		delivery/, sink/, ops/).
 *
 * Helpers report failures by returning false with a message; main decides
 * whether to retry, restart the session or exit.
 */
#ifndef SHIPPER_SHIPPER_H
#define SHIPPER_SHIPPER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "ops/log.h"
#include "render/render.h"

/* room for one log line's worth of error: a change, its key and why */
#define ERRLEN 2048

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

#define LSN_FMT "%X/%X"
#define LSN_ARGS(lsn) (unsigned) ((lsn) >> 32), (unsigned) (lsn)

/* "16/B374D848" as PostgreSQL prints an LSN; 0 for NULL or anything else */
static inline uint64_t
lsn_parse(const char *s)
{
	unsigned	hi,
				lo;

	return s && sscanf(s, "%X/%X", &hi, &lo) == 2 ? ((uint64_t) hi << 32) | lo : 0;
}

#endif							/* SHIPPER_SHIPPER_H */
