/*
 * kafka.c
 *		sink=kafka: librdkafka's producer, set up so that nothing is lost or
 *		reordered and placement matches the Java client's.
 *
 * Settings that would lose or reorder data are refused by the
 * configuration; the others can be overridden with kafka.* keys.  A
 * message larger than message.max.bytes is refused before it is sent,
 * naming its size and the limit.  Delivery failures are classified: an
 * error about this message (too large, not authorized, rejected by the
 * broker) is FAIL_MESSAGE, which the shipper counts per stream position;
 * anything else is FAIL_TRANSIENT and simply retried.  While every broker
 * is unreachable, outage_since is set, for the shipper to report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "sink/sink.h"

/* how many recent librdkafka errors are remembered (one per broker or so) */
#define RECENT_ERRORS	8

/* how long the same librdkafka error text stays quiet after it was logged */
#define REPEAT_QUIET_MS 60000

typedef struct Kafka
{
	rd_kafka_t *rk;
	size_t		max_bytes;		/* message.max.bytes */
	char		brokers[512];	/* bootstrap.servers, for messages */
	/* librdkafka errors logged lately, to log a repeat once a minute */
	char		recent[RECENT_ERRORS][256];
	int64_t		recent_at[RECENT_ERRORS];
} Kafka;

/* defaults that config keys may override (applied first) */
static const char *const kafka_defaults[][2] = {
	{"enable.idempotence", "true"},
	{"acks", "all"},
	{"compression.codec", "zstd"},
	{"partitioner", "murmur2_random"},	/* the Java client's placement */
	{"message.timeout.ms", "0"},	/* never give up: an outage is backpressure */
	{"enable.gapless.guarantee", "true"},	/* a gap is fatal, not silent */
	{"linger.ms", "20"},
	{"queue.buffering.max.kbytes", KAFKA_QUEUE_KBYTES},	/* bounds the shipper's memory */
	{"reconnect.backoff.max.ms", "1000"},
	{"client.id", "cellcdc-shipper"},
};

/* Is a delivery error about the message itself, so that resending it fails again? */
static bool
message_error(rd_kafka_resp_err_t err)
{
	switch (err)
	{
		case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
		case RD_KAFKA_RESP_ERR_INVALID_RECORD:
		case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
		case RD_KAFKA_RESP_ERR_INVALID_MSG:
		case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
		case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
		case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
			return true;
		default:
			return false;
	}
}

/* A message's size as message.max.bytes counts it: key, value and headers. */
size_t
kafka_message_size(const OutMessage *m, const char *source)
{
	char		num[48];

	return (m->key ? m->key_len : 0) + (m->value ? m->value_len : 0) +
		sizeof(HDR_COMMIT_LSN) + sizeof(HDR_SEQ) +
		snprintf(num, sizeof(num), "%" PRIu64 "%" PRIu64, m->commit_lsn, m->seq) +
		(source ? sizeof(HDR_SOURCE) + strlen(source) : 0) +
		(m->extra_header ? strlen(m->extra_header) + m->extra_len : 0);
}

/* message.max.bytes: kafka.message.max.bytes, or librdkafka's default */
size_t
kafka_max_message(const Config *cfg)
{
	for (int i = cfg->nkafka - 1; i >= 0; i--)
		if (strcmp(cfg->kafka[i].key, "message.max.bytes") == 0)
			return strtoul(cfg->kafka[i].value, NULL, 10);
	return 1000000;
}

/* A header's decimal value; false when it is absent or not a number. */
bool
kafka_header_u64(rd_kafka_headers_t *hdrs, const char *name, uint64_t *out)
{
	const void *v;
	size_t		len;
	char		num[24];
	char	   *end;

	if (rd_kafka_header_get_last(hdrs, name, &v, &len) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		v == NULL || len == 0 || len >= sizeof(num))
		return false;
	memcpy(num, v, len);
	num[len] = '\0';
	*out = strtoull(num, &end, 10);
	return *end == '\0';
}

/* The stream position headers of a delivered message, back into m. */
static void
position_from_headers(const rd_kafka_message_t *km, OutMessage *m)
{
	rd_kafka_headers_t *hdrs;

	if (rd_kafka_message_headers(km, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	(void) kafka_header_u64(hdrs, HDR_COMMIT_LSN, &m->commit_lsn);
	(void) kafka_header_u64(hdrs, HDR_SEQ, &m->seq);
}

/* Delivery report: runs inside rd_kafka_poll()/flush() on our thread. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *km, void *opaque)
{
	Sink	   *s = opaque;

	if (km->err == RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		s->outage_since = 0;
		s->ack(km->_private, NULL);
		return;
	}
	/* messages failed only because an earlier one did say nothing new */
	if (km->err != RD_KAFKA_RESP_ERR__FATAL && km->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
		km->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
	{
		OutMessage	m = {.topic = rd_kafka_topic_name(km->rkt),
			.key = km->key, .key_len = km->key_len};

		position_from_headers(km, &m);
		sink_fail(s, message_error(km->err) ? FAIL_MESSAGE : FAIL_TRANSIENT, &m,
				  km->len + km->key_len, "delivery to %s [%" PRId32 "] failed: %s",
				  m.topic, km->partition, rd_kafka_err2str(km->err));
	}
	s->ack(km->_private, rd_kafka_err2str(km->err));
}

/*
 * Is this error text (its first len bytes) new, or last logged over a
 * minute ago?  Remembered in place of the oldest.
 */
static bool
first_in_a_while(Kafka *k, const char *reason, int len, int64_t now)
{
	int			oldest = 0;

	if (len > (int) sizeof(k->recent[0]) - 1)
		len = sizeof(k->recent[0]) - 1;
	for (int i = 0; i < RECENT_ERRORS; i++)
	{
		if (strncmp(reason, k->recent[i], len) == 0 && k->recent[i][len] == '\0')
		{
			if (now - k->recent_at[i] < REPEAT_QUIET_MS)
				return false;
			k->recent_at[i] = now;
			return true;
		}
		if (k->recent_at[i] < k->recent_at[oldest])
			oldest = i;
	}
	snprintf(k->recent[oldest], sizeof(k->recent[oldest]), "%.*s", len, reason);
	k->recent_at[oldest] = now;
	return true;
}

/*
 * librdkafka's errors: a fatal one ends the session; "all brokers down"
 * starts an outage, which the shipper reports on its own schedule, and
 * connection errors during one say nothing more; others are logged, the
 * same text at most once a minute (librdkafka repeats connection errors
 * at every reconnect attempt, with a changing "(after ...)" tail).
 */
static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	Sink	   *s = opaque;
	Kafka	   *k = s->impl;
	int64_t		now = mono_ms();
	const char *tail = strstr(reason, " (after ");
	int			len = tail ? (int) (tail - reason) : (int) strlen(reason);

	if (err == RD_KAFKA_RESP_ERR__FATAL)
	{
		char		cause[ERRLEN - 64];

		rd_kafka_fatal_error(rk, cause, sizeof(cause));
		sink_fail(s, FAIL_TRANSIENT, NULL, 0, "Kafka producer failed: %s", cause);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
	{
		if (s->outage_since == 0)
			s->outage_since = now;
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__TRANSPORT && s->outage_since)
		return;
	if (!first_in_a_while(k, reason, len, now))
		return;
	log_warn("kafka: %s", reason);
}

/* librdkafka's log lines, in ours */
static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	/* we enable the experimental gapless guarantee on purpose */
	if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "enable.gapless.guarantee"))
		return;
	/* connection failures and fatal errors also arrive through on_error: say them once */
	if (strcmp(fac, "FAIL") == 0 || strcmp(fac, "FATAL") == 0)
		return;
	log_at(level <= 3 ? LVL_ERROR : level == 4 ? LVL_WARN : LVL_INFO, "kafka %s: %s", fac, buf);
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

/*
 * Hand one message to librdkafka.  When its queue is full, serve delivery
 * reports and the caller's wait hook until there is room: the same message
 * is retried, never skipped, so order is kept.  A message without a key
 * goes to partition 0, so that a restart knows where it would be
 * (delivery/delivered.c) and such messages keep their order.
 */
static bool
kafka_send(Sink *s, const OutMessage *m, void *opaque)
{
	Kafka	   *k = s->impl;
	char		lsn[24];
	char		seq[24];
	size_t		size = kafka_message_size(m, s->source);
	rd_kafka_headers_t *hdrs;
	rd_kafka_resp_err_t rc;

	snprintf(lsn, sizeof(lsn), "%" PRIu64, m->commit_lsn);
	snprintf(seq, sizeof(seq), "%" PRIu64, m->seq);
	if (size > k->max_bytes)
	{
		sink_fail(s, FAIL_MESSAGE, m, size,
				  "message for %s is %zu bytes, over the producer's limit of %zu "
				  "(kafka.message.max.bytes); raise it, and the topic's max.message.bytes",
				  m->topic, size, k->max_bytes);
		return false;
	}

	hdrs = rd_kafka_headers_new(4);
	rd_kafka_header_add(hdrs, HDR_COMMIT_LSN, -1, lsn, -1);
	rd_kafka_header_add(hdrs, HDR_SEQ, -1, seq, -1);
	if (s->source)
		rd_kafka_header_add(hdrs, HDR_SOURCE, -1, s->source, -1);
	if (m->extra_header)
		rd_kafka_header_add(hdrs, m->extra_header, -1, m->extra_value, m->extra_len);
	for (;;)
	{
		rc = rd_kafka_producev(k->rk,
							   RD_KAFKA_V_TOPIC(m->topic),
							   RD_KAFKA_V_KEY(m->key, m->key ? m->key_len : 0),
							   RD_KAFKA_V_PARTITION(m->key ? RD_KAFKA_PARTITION_UA : 0),
							   RD_KAFKA_V_VALUE((void *) m->value, m->value ? m->value_len : 0),
							   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
							   RD_KAFKA_V_HEADERS(hdrs),
							   RD_KAFKA_V_OPAQUE(opaque),
							   RD_KAFKA_V_END);
		if (rc != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		if (s->full_since == 0)
			s->full_since = mono_ms();
		rd_kafka_poll(k->rk, 50);
		if (sink_failed(s))
			break;
		if (!s->wait(s->wait_arg))
		{
			sink_fail(s, FAIL_TRANSIENT, NULL, 0, "stopped while waiting for room in the Kafka queue");
			break;
		}
	}
	if (rc == RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		s->full_since = 0;
		return true;
	}
	/* on success librdkafka owns the headers, on failure we do */
	rd_kafka_headers_destroy(hdrs);
	if (rc != RD_KAFKA_RESP_ERR__QUEUE_FULL)
		sink_fail(s, message_error(rc) ? FAIL_MESSAGE : FAIL_TRANSIENT, m, size,
				  "cannot produce to %s: %s", m->topic, rd_kafka_err2str(rc));
	return false;
}

static void
kafka_poll(Sink *s, int timeout_ms)
{
	rd_kafka_poll(((Kafka *) s->impl)->rk, timeout_ms);
}

static bool
kafka_flush(Sink *s, int timeout_ms)
{
	return rd_kafka_flush(((Kafka *) s->impl)->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

static long
kafka_pending(Sink *s)
{
	return rd_kafka_outq_len(((Kafka *) s->impl)->rk);
}

/*
 * With purge, undelivered messages are dropped from the queue (they were
 * never confirmed, so the slot sends them again).
 */
static void
kafka_close(Sink *s, bool purge)
{
	Kafka	   *k = s->impl;

	if (purge)
	{
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(k->rk, 0);
	}
	rd_kafka_destroy(k->rk);
	free(k);
}

static const SinkOps kafka_ops = {
	kafka_send, kafka_poll, kafka_flush, kafka_pending, kafka_close
};

bool
sink_kafka_open(Sink *s, const Config *cfg, char *err, size_t errlen)
{
	Kafka	   *k = xcalloc(1, sizeof(Kafka));
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	size_t		len;

	for (size_t i = 0; i < sizeof(kafka_defaults) / sizeof(kafka_defaults[0]); i++)
		if (!conf_set(conf, kafka_defaults[i][0], kafka_defaults[i][1], err, errlen))
			goto fail;
	for (int i = 0; i < cfg->nkafka; i++)
		if (!conf_set(conf, cfg->kafka[i].key, cfg->kafka[i].value, err, errlen))
			goto fail;
	len = sizeof(k->brokers);
	if (rd_kafka_conf_get(conf, "bootstrap.servers", k->brokers, &len) != RD_KAFKA_CONF_OK)
		k->brokers[0] = '\0';
	k->max_bytes = kafka_max_message(cfg);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_opaque(conf, s);
	s->impl = k;
	s->ops = &kafka_ops;
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
	if (k->rk != NULL)
		return true;
fail:
	rd_kafka_conf_destroy(conf);
	free(k);
	s->impl = NULL;
	return false;
}

bool
sink_kafka_reachable(Sink *s, int timeout_ms, char *err, size_t errlen)
{
	Kafka	   *k = s->impl;
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t rc;
	bool		waited = false;

	if (s->ops != &kafka_ops)
		return true;
	/*
	 * A second at a time, so that a stop request is heard and librdkafka's
	 * errors are logged as they happen.
	 */
	for (int64_t deadline = mono_ms() + timeout_ms;;)
	{
		int64_t		left = deadline - mono_ms();

		rc = rd_kafka_metadata(k->rk, 0, NULL, &md, left < 1000 ? (left > 0 ? (int) left : 1) : 1000);
		if (rc == RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			rd_kafka_metadata_destroy(md);
			return true;
		}
		rd_kafka_poll(k->rk, 0);
		if (mono_ms() >= deadline || !s->wait(s->wait_arg))
			break;
		if (!waited)
			log_info("waiting for Kafka at %s to answer (up to %d s, startup.timeout.ms)",
					 k->brokers, timeout_ms / 1000);
		waited = true;
	}
	snprintf(err, errlen, "cannot reach Kafka at %s within %d s (%s); check "
			 "kafka.bootstrap.servers and that the brokers are up",
			 k->brokers, timeout_ms / 1000, rd_kafka_err2str(rc));
	return false;
}
