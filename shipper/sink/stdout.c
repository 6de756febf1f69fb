/*
 * stdout.c
 *		sink=stdout: each message as one JSON line
 *		{"topic":..,"key":..,"headers":{..},"value":..}, for looking at the
 *		stream without Kafka.  Keys and values are JSON already, so they are
 *		embedded as they are.
 *
 * A message is acknowledged once its line is written and flushed, so the
 * slot never moves over a line still in our buffer.  When stdout is a
 * pipe, only once its reader has taken the line out of the pipe (FIONREAD
 * says how much it has not): a reader that dies leaves what it never read
 * unconfirmed.  When the reader goes away (`| head`), the shipper stops at
 * once, as pg_recvlogical and kcat do: poll reports the hang-up even when
 * there is nothing more to write, and a write fails with EPIPE (SIGPIPE is
 * ignored).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "sink/sink.h"

/* look at the pipe every PIPE_LOOK_MS, or sooner with this many lines in it */
#define PIPE_LOOK_MS	50
#define PIPE_LOOK_LINES 1000

typedef struct Stdout
{
	Buf			line;			/* the line being built */
	bool		pipe;			/* acknowledge what the pipe's reader took */
	int64_t		next_look;		/* mono ms: when to look at the pipe again */
	/* lines in the pipe, oldest first: their opaque and end offset */
	void	  **opaques;
	uint64_t   *ends;
	size_t		first,
				count,
				cap;
} Stdout;

/* Append a decimal header value to the line. */
static void
line_header(Buf *b, const char *name, uint64_t v, bool first)
{
	char		num[24];

	if (!first)
		buf_putc(b, ',');
	buf_putc(b, '"');
	buf_puts(b, name);
	buf_puts(b, "\":\"");
	snprintf(num, sizeof(num), "%" PRIu64, v);
	buf_puts(b, num);
	buf_putc(b, '"');
}

/*
 * Bytes written to stdout by the process: the pipe outlives a session, and
 * may still hold lines of an earlier one.
 */
static uint64_t written;

/* Keep a line until the pipe's reader has taken it. */
static void
keep(Stdout *o, void *opaque)
{
	if (o->count == o->cap)
	{
		size_t		cap = o->cap ? o->cap * 2 : 64;
		void	  **opaques = xmalloc(cap * sizeof(void *));
		uint64_t   *ends = xmalloc(cap * sizeof(uint64_t));

		for (size_t i = 0; i < o->count; i++)
		{
			opaques[i] = o->opaques[(o->first + i) % o->cap];
			ends[i] = o->ends[(o->first + i) % o->cap];
		}
		free(o->opaques);
		free(o->ends);
		o->opaques = opaques;
		o->ends = ends;
		o->first = 0;
		o->cap = cap;
	}
	o->opaques[(o->first + o->count) % o->cap] = opaque;
	o->ends[(o->first + o->count) % o->cap] = written;
	o->count++;
}

static bool
stdout_send(Sink *s, const OutMessage *m, void *opaque)
{
	Stdout	   *o = s->impl;
	Buf		   *b = &o->line;

	buf_reset(b);
	buf_puts(b, "{\"topic\":\"");
	buf_puts(b, m->topic);		/* sanitized: nothing to escape */
	buf_puts(b, "\",\"key\":");
	if (m->key)
		buf_put(b, m->key, m->key_len);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"headers\":{");
	line_header(b, HDR_COMMIT_LSN, m->commit_lsn, true);
	line_header(b, HDR_SEQ, m->seq, false);
	if (m->extra_header)
	{
		buf_puts(b, ",\"");
		buf_puts(b, m->extra_header);
		buf_puts(b, "\":");
		buf_put(b, m->extra_value, m->extra_len);
	}
	buf_puts(b, "},\"value\":");
	if (m->value)
		buf_put(b, m->value, m->value_len);
	else
		buf_puts(b, "null");
	buf_puts(b, "}\n");
	if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) != 0)
	{
		if (errno == EPIPE)
			sink_fail(s, FAIL_OUTPUT_CLOSED, NULL, 0, "stdout was closed by its reader");
		else
			sink_fail(s, FAIL_TRANSIENT, NULL, 0, "cannot write to stdout: %s", strerror(errno));
		return false;
	}
	written += b->len;
	if (o->pipe)
		keep(o, opaque);
	else
		s->ack(opaque, NULL);
	return true;
}

/* Acknowledge the lines the pipe's reader has taken; notice it hanging up. */
static void
stdout_poll(Sink *s, int timeout_ms)
{
	Stdout	   *o = s->impl;
	struct pollfd pfd = {.fd = STDOUT_FILENO,.events = POLLOUT};
	int			queued = 0;

	if (!o->pipe || (mono_ms() < o->next_look && o->count < PIPE_LOOK_LINES))
		return;
	o->next_look = mono_ms() + PIPE_LOOK_MS;
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLERR | POLLHUP)))
	{
		sink_fail(s, FAIL_OUTPUT_CLOSED, NULL, 0, "stdout was closed by its reader");
		return;
	}
	if (ioctl(STDOUT_FILENO, FIONREAD, &queued) != 0 || queued < 0 || (uint64_t) queued > written)
		return;					/* not a count we can trust: take nothing as read */
	while (o->count > 0 && o->ends[o->first] <= written - (uint64_t) queued)
	{
		s->ack(o->opaques[o->first], NULL);
		o->first = (o->first + 1) % o->cap;
		o->count--;
	}
}

/* Wait up to timeout_ms for the pipe's reader to take everything. */
static bool
stdout_flush(Sink *s, int timeout_ms)
{
	Stdout	   *o = s->impl;
	int64_t		deadline = mono_ms() + timeout_ms;

	for (;;)
	{
		o->next_look = 0;
		stdout_poll(s, 0);
		if (o->count == 0 || sink_failed(s) || mono_ms() >= deadline)
			return o->count == 0;
		usleep(10 * 1000);
	}
}

static long
stdout_pending(Sink *s)
{
	return (long) ((Stdout *) s->impl)->count;
}

static void
stdout_close(Sink *s, bool purge)
{
	Stdout	   *o = s->impl;

	buf_free(&o->line);
	free(o->opaques);
	free(o->ends);
	free(o);
}

static const SinkOps stdout_ops = {
	stdout_send, stdout_poll, stdout_flush, stdout_pending, stdout_close
};

void
sink_stdout_open(Sink *s)
{
	Stdout	   *o = xcalloc(1, sizeof(Stdout));
	struct stat st;

	o->pipe = fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
	s->ops = &stdout_ops;
	s->impl = o;
}
