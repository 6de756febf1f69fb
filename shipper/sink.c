/*
 * sink.c
 *		Where rendered messages go: Kafka (librdkafka), stdout (JSON lines,
 *		for debugging without Kafka) or nowhere (to measure the rest).
 *
 * Every message carries an opaque pointer that comes back through AckFn
 * once its fate is known, so the caller can confirm to Postgres only what
 * Kafka acknowledged.  The producer is set up for no loss and Java-client
 * compatible placement; the settings that would lose or reorder data are
 * refused by config.c, the others can be overridden with kafka.* keys.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "mem.h"
#include "shipper.h"

struct Sink
{
	SinkKind	kind;
	AckFn		ack;
	WaitFn		wait;
	void	   *wait_arg;
	rd_kafka_t *rk;
	char		fatal[ERRLEN];	/* first fatal or delivery error */
	Buf			line;			/* stdout: the line being built */
};

/* defaults that config keys may override (applied first) */
static const char *const kafka_defaults[][2] = {
	{"enable.idempotence", "true"},
	{"acks", "all"},
	{"compression.codec", "zstd"},
	{"partitioner", "murmur2_random"},	/* the Java client's placement */
	{"message.timeout.ms", "0"},	/* never give up: an outage is backpressure */
	{"enable.gapless.guarantee", "true"},	/* a gap is fatal, not silent */
	{"linger.ms", "20"},
	{"queue.buffering.max.kbytes", "32768"},	/* bounds the shipper's memory */
	{"reconnect.backoff.max.ms", "1000"},
	{"client.id", "cellcdc-shipper"},
};

/* Delivery report: runs inside rd_kafka_poll()/flush() on our thread. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	Sink	   *s = opaque;

	if (m->err)
	{
		char		msg[ERRLEN];

		snprintf(msg, sizeof(msg), "delivery to %s [%" PRId32 "] failed: %s",
				 rd_kafka_topic_name(m->rkt), m->partition, rd_kafka_err2str(m->err));
		if (!s->fatal[0])
			snprintf(s->fatal, sizeof(s->fatal), "%s", msg);
		s->ack(m->_private, msg);
	}
	else
		s->ack(m->_private, NULL);
}

/* librdkafka's own errors: fatal ones end the session, others are logged. */
static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	Sink	   *s = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL)
	{
		char		cause[ERRLEN - 64];

		rd_kafka_fatal_error(rk, cause, sizeof(cause));
		if (!s->fatal[0])
			snprintf(s->fatal, sizeof(s->fatal), "Kafka producer failed: %s", cause);
	}
	else
		log_info("kafka: %s", reason);
}

/* librdkafka's log lines, in ours */
static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	/* we enable the experimental gapless guarantee on purpose */
	if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "enable.gapless.guarantee"))
		return;
	log_info("kafka %s: %s", fac, buf);
}

static bool
conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t errlen)
{
	char		why[ERRLEN];

	if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK)
	{
		snprintf(err, errlen, "kafka.%s: %s", key, why);
		return false;
	}
	return true;
}

Sink *
sink_open(const Config *cfg, AckFn ack, WaitFn wait, void *wait_arg, char *err, size_t errlen)
{
	Sink	   *s = calloc(1, sizeof(Sink));
	rd_kafka_conf_t *conf;

	s->kind = cfg->sink;
	s->ack = ack;
	s->wait = wait;
	s->wait_arg = wait_arg;
	if (s->kind != SINK_KAFKA)
		return s;

	conf = rd_kafka_conf_new();
	for (size_t i = 0; i < sizeof(kafka_defaults) / sizeof(kafka_defaults[0]); i++)
		if (!conf_set(conf, kafka_defaults[i][0], kafka_defaults[i][1], err, errlen))
			goto fail;
	for (int i = 0; i < cfg->nkafka; i++)
		if (!conf_set(conf, cfg->kafka[i].key, cfg->kafka[i].value, err, errlen))
			goto fail;
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_opaque(conf, s);
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (s->rk == NULL)
		goto fail;
	return s;

fail:
	rd_kafka_conf_destroy(conf);
	free(s);
	return NULL;
}

/* Append a decimal header value to the stdout line. */
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
 * stdout: {"topic":..,"key":..,"headers":{..},"value":..} per line.  Keys
 * and values are JSON already, so they are embedded as they are.
 */
static bool
send_stdout(Sink *s, const OutMessage *m, void *opaque, char *err, size_t errlen)
{
	Buf		   *b = &s->line;

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
	if (fwrite(b->data, 1, b->len, stdout) != b->len)
	{
		snprintf(err, errlen, "cannot write to stdout: %s", strerror(errno));
		return false;
	}
	s->ack(opaque, NULL);
	return true;
}

/*
 * Hand one message to the sink.  When librdkafka's queue is full, serve
 * delivery reports and the caller's wait hook until there is room: the
 * same message is retried, never skipped, so order is kept.
 */
bool
sink_send(Sink *s, const OutMessage *m, void *opaque, char *err, size_t errlen)
{
	char		lsn[24];
	char		seq[24];
	rd_kafka_headers_t *hdrs;
	rd_kafka_resp_err_t rc;

	if (s->kind == SINK_STDOUT)
		return send_stdout(s, m, opaque, err, errlen);
	if (s->kind == SINK_NULL)
	{
		s->ack(opaque, NULL);
		return true;
	}

	snprintf(lsn, sizeof(lsn), "%" PRIu64, m->commit_lsn);
	snprintf(seq, sizeof(seq), "%" PRIu64, m->seq);
	hdrs = rd_kafka_headers_new(3);
	rd_kafka_header_add(hdrs, HDR_COMMIT_LSN, -1, lsn, -1);
	rd_kafka_header_add(hdrs, HDR_SEQ, -1, seq, -1);
	if (m->extra_header)
		rd_kafka_header_add(hdrs, m->extra_header, -1, m->extra_value, m->extra_len);
	for (;;)
	{
		rc = rd_kafka_producev(s->rk,
							   RD_KAFKA_V_TOPIC(m->topic),
							   RD_KAFKA_V_KEY(m->key, m->key ? m->key_len : 0),
							   RD_KAFKA_V_VALUE((void *) m->value, m->value ? m->value_len : 0),
							   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
							   RD_KAFKA_V_HEADERS(hdrs),
							   RD_KAFKA_V_OPAQUE(opaque),
							   RD_KAFKA_V_END);
		if (rc != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(s->rk, 50);
		if (sink_failed(s, err, errlen))
			break;
		if (!s->wait(s->wait_arg))
		{
			snprintf(err, errlen, "stopped while waiting for room in the Kafka queue");
			break;
		}
	}
	if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		/* on success librdkafka owns the headers, on failure we do */
		rd_kafka_headers_destroy(hdrs);
		if (rc != RD_KAFKA_RESP_ERR__QUEUE_FULL)	/* else err is set above */
			snprintf(err, errlen, "cannot produce to %s: %s", m->topic, rd_kafka_err2str(rc));
		return false;
	}
	return true;
}

/* Serve delivery reports; stdout is flushed so "acknowledged" means written. */
void
sink_poll(Sink *s, int timeout_ms)
{
	if (s->kind == SINK_KAFKA)
		rd_kafka_poll(s->rk, timeout_ms);
	else if (s->kind == SINK_STDOUT && fflush(stdout) != 0 && !s->fatal[0])
		snprintf(s->fatal, sizeof(s->fatal), "cannot write to stdout: %s", strerror(errno));
}

/* Wait up to timeout_ms for every message to be settled; true if all were. */
bool
sink_flush(Sink *s, int timeout_ms)
{
	if (s->kind != SINK_KAFKA)
	{
		sink_poll(s, 0);
		return true;
	}
	return rd_kafka_flush(s->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

long
sink_pending(Sink *s)
{
	return s->kind == SINK_KAFKA ? rd_kafka_outq_len(s->rk) : 0;
}

/* Has a delivery failed or the producer died?  Then the session must end. */
bool
sink_failed(Sink *s, char *err, size_t errlen)
{
	if (!s->fatal[0])
		return false;
	snprintf(err, errlen, "%s", s->fatal);
	return true;
}

/*
 * Close the sink.  With purge, undelivered messages are dropped from the
 * queue (they were never confirmed, so the slot sends them again).
 */
void
sink_close(Sink *s, bool purge)
{
	if (s->rk)
	{
		if (purge)
		{
			rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
			rd_kafka_poll(s->rk, 0);
		}
		rd_kafka_destroy(s->rk);
	}
	buf_free(&s->line);
	free(s);
}
