/*
 * log.h
 *		The shipper's one log path: one line per event on stderr, as text
 *		or JSON, each with UTC time (RFC 3339, milliseconds), level and slot.
 *
 * Messages are folded onto one line (libpq's multi-line errors included)
 * and control characters escaped, so a line is always exactly one event.
 * Before log_setup() runs, lines carry no slot.
 */
#ifndef SHIPPER_OPS_LOG_H
#define SHIPPER_OPS_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum LogLevel
{
	LVL_INFO, LVL_WARN, LVL_ERROR
} LogLevel;

/* Every later line names this slot; json selects log.format=json. */
extern void log_setup(const char *slot, bool json);

extern void log_at(LogLevel level, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#define log_info(...)	log_at(LVL_INFO, __VA_ARGS__)
#define log_warn(...)	log_at(LVL_WARN, __VA_ARGS__)
#define log_error(...)	log_at(LVL_ERROR, __VA_ARGS__)

/* One line from a signal handler (async-signal-safe); msg needs no escaping. */
extern void log_from_signal(const char *msg);

/* Milliseconds on the monotonic clock: for deadlines and durations. */
extern int64_t mono_ms(void);

/* Milliseconds since the Unix epoch: for timestamps sent to PostgreSQL. */
extern int64_t wall_ms(void);

#endif							/* SHIPPER_OPS_LOG_H */
