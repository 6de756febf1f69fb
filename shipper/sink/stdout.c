/*
 * stdout.c
 *		sink=stdout: each message as one JSON line
 *		{"topic":..,"key":..,"headers":{..},"value":..}, for looking at the
 *		stream without Kafka.  Keys and values are JSON already, so they are
 *		embedded as they are.
 *
 * A message is acknowledged once its line is written and flushed, so the
 * slot never moves over a line still in our buffer.  When the reader goes
 * away (`| head`), the write fails with EPIPE (SIGPIPE is ignored) and the
 * shipper stops, as pg_recvlogical and kcat do.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sink/sink.h"

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

static bool
stdout_send(Sink *s, const OutMessage *m, void *opaque)
{
	Buf		   *b = s->impl;

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
	s->ack(opaque, NULL);
	return true;
}

static void
stdout_close(Sink *s, bool purge)
{
	buf_free(s->impl);
	free(s->impl);
}

static const SinkOps stdout_ops = {
	stdout_send, sink_no_poll, sink_no_flush, sink_no_pending, stdout_close
};

void
sink_stdout_open(Sink *s)
{
	s->ops = &stdout_ops;
	s->impl = xcalloc(1, sizeof(Buf));
}
