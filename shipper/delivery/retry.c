/*
 * retry.c
 *		What to do when a session fails: how long to wait, when to give up,
 *		and which changes to set aside on the dead-letter topic.
 *
 * A failure tied to a stream position (a record the renderer refuses, a
 * message Kafka rejects) comes back at the same position after a restart,
 * since the slot resends everything unconfirmed.  Such failures are counted
 * in a row: the backoff doubles each time, and after errors.max.retries
 * the shipper exits (status 5) instead of looping while it looks healthy.
 * With errors.tolerance=all the change is instead written to the
 * dead-letter topic on its next pass and the stream goes on.  Failures not
 * tied to a position (PostgreSQL or Kafka away) are retried for ever; the
 * backoff starts again once the confirmed LSN has moved.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "delivery/delivery.h"
#include "render/json.h"

void
retry_init(Retry *r, const Config *cfg)
{
	memset(r, 0, sizeof(Retry));
	r->backoff_ms = cfg->backoff_initial_ms;
}

/*
 * Count a failed session; position is the failure's LSN, 0 when it is not
 * tied to one.  Returns how long to wait before the next session.
 */
int
retry_note(Retry *r, const Config *cfg, uint64_t position, uint64_t confirmed)
{
	int			wait;

	/* progress since the last failure starts the backoff again, unless the same change failed */
	if (confirmed > r->confirmed && (position == 0 || position != r->position))
		r->backoff_ms = cfg->backoff_initial_ms;
	if (confirmed > r->confirmed)
		r->confirmed = confirmed;
	if (position != 0)
	{
		if (position == r->position)
			r->count++;
		else
		{
			r->position = position;
			r->count = 1;
		}
	}
	wait = r->backoff_ms;
	r->backoff_ms = r->backoff_ms > cfg->backoff_max_ms / 2 ? cfg->backoff_max_ms : r->backoff_ms * 2;
	return wait;
}

/* Has the same position failed more than errors.max.retries times in a row? */
bool
retry_exhausted(const Retry *r, const Config *cfg)
{
	return cfg->errors_max_retries >= 0 && r->position != 0 &&
		r->count > cfg->errors_max_retries;
}

/* Dead-letter the message at (commit_lsn, seq) when it is sent again. */
void
retry_dead_letter_later(Retry *r, uint64_t commit_lsn, uint64_t seq, const char *error)
{
	DeadLetter *d;

	if (retry_dead_letter_due(r, commit_lsn, seq))
		return;
	d = xcalloc(1, sizeof(DeadLetter));

	d->commit_lsn = commit_lsn;
	d->seq = seq;
	snprintf(d->error, sizeof(d->error), "%s", error);
	d->next = r->dead;
	r->dead = d;
}

const DeadLetter *
retry_dead_letter_due(const Retry *r, uint64_t commit_lsn, uint64_t seq)
{
	for (const DeadLetter *d = r->dead; d; d = d->next)
		if (d->commit_lsn == commit_lsn && d->seq == seq)
			return d;
	return NULL;
}

/* Forget what is confirmed: it will not come round again. */
void
retry_forget_before(Retry *r, uint64_t confirmed)
{
	DeadLetter **pp = &r->dead;

	while (*pp)
	{
		DeadLetter *d = *pp;

		if (d->commit_lsn < confirmed)
		{
			*pp = d->next;
			free(d);
		}
		else
			pp = &d->next;
	}
	if (r->position != 0 && r->position < confirmed)
	{
		r->position = 0;
		r->count = 0;
	}
}

/*
 * The dead-letter record of a change that could not be rendered or
 * delivered: where it came from and why, never its value (which may be
 * the cause).  Its key is the change's key, so per-key order holds there too.
 */
void
dead_letter_message(const Config *cfg, const char *topic, const char *table,
					const char *key, size_t key_len, uint64_t lsn, size_t size,
					const char *error, Buf *value)
{
	char		num[32];
	char		stamp[32];
	time_t		now = time(NULL);
	struct tm	tm;

	buf_reset(value);
	JLIT(value, "{\"topic\":");
	if (topic)
		json_str(value, topic, strlen(topic));
	else
		JLIT(value, "null");
	JLIT(value, ",\"table\":");
	if (table)
		json_str(value, table, strlen(table));
	else
		JLIT(value, "null");
	JLIT(value, ",\"key\":");
	if (key)
		buf_put(value, key, key_len);
	else
		JLIT(value, "null");
	snprintf(num, sizeof(num), LSN_FMT, LSN_ARGS(lsn));
	JLIT(value, ",\"lsn\":");
	json_str(value, num, strlen(num));
	JLIT(value, ",\"size\":");
	json_u64(value, size);
	JLIT(value, ",\"error\":");
	json_str(value, error, strlen(error));
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	JLIT(value, ",\"time\":");
	json_str(value, stamp, strlen(stamp));
	buf_putc(value, '}');
}
