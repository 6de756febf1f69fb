/*
 * sink.c
 *		The sink interface: open the configured kind, dispatch through its
 *		ops table, and keep the first failure.  The null sink lives here: it
 *		acknowledges everything at once, to measure the rest of the shipper.
 */
#include <stdarg.h>
#include <stdio.h>

#include "sink/spool.h"

static bool
null_send(Sink *s, const OutMessage *m, void *opaque)
{
	s->ack(opaque, NULL);
	return true;
}

/* it holds nothing back: nothing to poll, flush or wait for */
static void
null_poll(Sink *s, int timeout_ms)
{
}

static bool
null_flush(Sink *s, int timeout_ms)
{
	return true;
}

static long
null_pending(Sink *s)
{
	return 0;
}

static void
null_close(Sink *s, bool purge)
{
}

static const SinkOps null_ops = {
	null_send, null_poll, null_flush, null_pending, null_close
};

static Sink *
sink_new(AckFn ack, WaitFn wait, void *wait_arg)
{
	Sink	   *s = xcalloc(1, sizeof(Sink));

	s->ack = ack;
	s->wait = wait;
	s->wait_arg = wait_arg;
	s->ops = &null_ops;
	return s;
}

Sink *
sink_open(const Config *cfg, AckFn ack, WaitFn wait, void *wait_arg, char *err, size_t errlen)
{
	Sink	   *s = sink_new(ack, wait, wait_arg);

	if (cfg->sink == SINK_STDOUT)
		sink_stdout_open(s);
	else if (cfg->sink == SINK_KAFKA && !sink_kafka_open(s, cfg, err, errlen))
	{
		free(s);
		return NULL;
	}
	return s;
}

/* The spool in place of Kafka (sink/spool.h); source names the stream it holds. */
Sink *
sink_open_spool(const Config *cfg, const char *source, AckFn ack, WaitFn wait, void *wait_arg,
				ExitStatus *status, char *err, size_t errlen)
{
	Sink	   *s = sink_new(ack, wait, wait_arg);

	if (!sink_spool_open(s, cfg, source, status, err, errlen))
	{
		free(s);
		return NULL;
	}
	s->source = source;
	return s;
}

bool
sink_send(Sink *s, const OutMessage *m, void *opaque)
{
	return s->ops->send(s, m, opaque);
}

void
sink_poll(Sink *s, int timeout_ms)
{
	s->ops->poll(s, timeout_ms);
}

bool
sink_flush(Sink *s, int timeout_ms)
{
	return s->ops->flush(s, timeout_ms);
}

long
sink_pending(Sink *s)
{
	return s->ops->pending(s);
}

void
sink_close(Sink *s, bool purge)
{
	s->ops->close(s, purge);
	buf_free(&s->failure.key);
	free(s);
}

void
sink_clear_failure(Sink *s)
{
	s->failure.kind = FAIL_NONE;
}

const SinkFailure *
sink_failed(const Sink *s)
{
	return s->failure.kind == FAIL_NONE ? NULL : &s->failure;
}

void
sink_fail(Sink *s, FailKind kind, const OutMessage *m, size_t size, const char *fmt,...)
{
	SinkFailure *f = &s->failure;
	va_list		ap;

	/* the first failure wins, but one naming a message beats a generic one */
	if (f->kind != FAIL_NONE && !(kind == FAIL_MESSAGE && f->kind == FAIL_TRANSIENT))
		return;
	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->error, sizeof(f->error), fmt, ap);
	va_end(ap);
	if (m)
	{
		snprintf(f->topic, sizeof(f->topic), "%s", m->topic);
		buf_reset(&f->key);
		if (m->key)
			buf_put(&f->key, m->key, m->key_len);
		f->size = size;
		f->commit_lsn = m->commit_lsn;
		f->seq = m->seq;
	}
}
