/*
 * offsets.c
 *		The shipper's record of its slot, kept in Kafka (offset.storage.topic,
 *		default cellcdc-offsets), so that a missing slot can be told apart
 *		from one that was never there.
 *
 * The record is keyed by slot, database and the cluster's system
 * identifier, and says where the shipper created the slot, how far it had
 * confirmed (slot_bound: the slot is never confirmed further than a record
 * says, so a slot found further on was moved by something else), and
 * whether the slot's initial snapshot is "running" or "done" ("" when it
 * had none).  It is written when the shipper creates the slot, and again
 * as it streams and when it stops.  At start-up:
 *   - no record and no slot: a first start; the slot is created;
 *   - a record but no slot (dropped, or lost in a failover to a standby,
 *     which has the same system identifier): changes are lost, and the
 *     shipper says so and stops (README, "The slot rule").
 * It lives in Kafka rather than on the shipper's disk so that a shipper
 * started on another host (a rescheduled container) finds it.  On a real
 * cluster the topic should be compacted; it is read whole at start-up.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "delivery/delivery.h"
#include "render/json.h"

/*
 * The record's key: {"slot":..,"database":..,"system":..}, written by the
 * messages' JSON writer, so a database name that is not UTF-8 (SQL_ASCII)
 * still makes valid JSON; records are found by comparing keys byte for byte.
 */
static void
record_key(const SlotId *id, Buf *key)
{
	buf_reset(key);
	JLIT(key, "{\"slot\":");
	json_str(key, id->slot, strlen(id->slot));
	JLIT(key, ",\"database\":");
	json_str(key, id->database, strlen(id->database));
	JLIT(key, ",\"system\":");
	json_str(key, id->system, strlen(id->system));
	buf_putc(key, '}');
}

/*
 * Build the record: the key and the value to produce to the offsets topic.
 * pending and tables are JSON arrays (or NULL): the snapshot work left and
 * the tables captured; snapshot_from a JSON object (or NULL): where the
 * initial snapshot's reads begin in each topic (delivery/snapshot_reads.c).
 */
void
offsets_message(const SlotId *id, const char *event, uint64_t created_lsn,
				uint64_t confirmed_lsn, const char *snapshot, const char *pending,
				const char *tables, const char *snapshot_from, Buf *key, Buf *value)
{
	char		stamp[32];
	time_t		now = time(NULL);
	struct tm	tm;

	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	record_key(id, key);
	buf_reset(value);
	buf_printf(value, "{\"event\":\"%s\",\"created_lsn\":\"" LSN_FMT "\","
			   "\"confirmed_lsn\":\"" LSN_FMT "\",\"slot_bound\":true,\"snapshot\":\"%s\","
			   "\"time\":\"%s\"",
			   event, LSN_ARGS(created_lsn), LSN_ARGS(confirmed_lsn), snapshot, stamp);
	if (pending)
		buf_printf(value, ",\"pending\":%s", pending);
	if (tables)
		buf_printf(value, ",\"tables\":%s", tables);
	if (snapshot_from)
		buf_printf(value, ",\"snapshot_from\":%s", snapshot_from);
	buf_putc(value, '}');
}

/* A JSON value of the record as text, malloc'd; NULL when absent. */
static char *
json_text(json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* Free what a record read holds. */
void
offsets_record_free(SlotRecord *rec)
{
	free(rec->pending);
	free(rec->tables);
	free(rec->snapshot_from);
	rec->pending = rec->tables = rec->snapshot_from = NULL;
}

/* Take a record's value into out (the latest one read wins). */
static void
take_value(const char *data, size_t len, SlotRecord *out)
{
	json_error_t jerr;
	json_t	   *v = json_loadb(data, len, 0, &jerr);
	const char *s;

	if (!json_is_object(v))
	{
		json_decref(v);
		return;
	}
	offsets_record_free(out);
	memset(out, 0, sizeof(SlotRecord));
	out->pending = json_text(json_object_get(v, "pending"));
	out->tables = json_text(json_object_get(v, "tables"));
	out->snapshot_from = json_text(json_object_get(v, "snapshot_from"));
	out->found = true;
	out->slot_bound = json_is_true(json_object_get(v, "slot_bound"));
	if ((s = json_string_value(json_object_get(v, "event"))) != NULL)
		snprintf(out->event, sizeof(out->event), "%s", s);
	if ((s = json_string_value(json_object_get(v, "snapshot"))) != NULL)
		snprintf(out->snapshot, sizeof(out->snapshot), "%s", s);
	if ((s = json_string_value(json_object_get(v, "time"))) != NULL)
		snprintf(out->time, sizeof(out->time), "%s", s);
	out->created_lsn = lsn_parse(json_string_value(json_object_get(v, "created_lsn")));
	out->confirmed_lsn = lsn_parse(json_string_value(json_object_get(v, "confirmed_lsn")));
	json_decref(v);
}

/* A message of the spool: if it is this slot's record, take it into out (the latest wins). */
bool
offsets_take(const Config *cfg, const SlotId *id, const OutMessage *m, SlotRecord *out)
{
	Buf			key = {0};
	bool		mine;

	record_key(id, &key);
	mine = strcmp(m->topic, cfg->offset_topic) == 0 && m->value &&
		m->key_len == key.len && memcmp(m->key, key.data, key.len) == 0;
	if (mine)
		take_value(m->value, m->value_len, out);
	buf_free(&key);
	return mine;
}

/*
 * A consumer with the user's kafka.* settings (security, brokers).  It is
 * given partitions and offsets directly, so its group is never joined and
 * nothing is committed; librdkafka only wants it named.
 */
rd_kafka_t *
kafka_reader_new(const Config *cfg, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char		why[256];

	for (int i = 0; i < cfg->nkafka; i++)
		(void) rd_kafka_conf_set(conf, cfg->kafka[i].key, cfg->kafka[i].value, why, sizeof(why));
	if (rd_kafka_conf_set(conf, "enable.partition.eof", "true", why, sizeof(why)) != RD_KAFKA_CONF_OK ||
		rd_kafka_conf_set(conf, "group.id", "cellcdc-shipper", why, sizeof(why)) != RD_KAFKA_CONF_OK ||
		rd_kafka_conf_set(conf, "enable.auto.commit", "false", why, sizeof(why)) != RD_KAFKA_CONF_OK ||
		/* the end of a partition is known at once, not after half a second */
		rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", why, sizeof(why)) != RD_KAFKA_CONF_OK ||
		rd_kafka_conf_set(conf, "log_level", "0", why, sizeof(why)) != RD_KAFKA_CONF_OK)
	{
		snprintf(err, errlen, "cannot set up a Kafka consumer: %s", why);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
}

/*
 * Read the offsets topic whole and keep the last record for id.  A topic
 * that does not exist yet holds no record.  False when Kafka cannot be
 * read within timeout_ms.
 */
bool
offsets_read(const Config *cfg, const SlotId *id, int timeout_ms, SlotRecord *out,
			 char *err, size_t errlen)
{
	rd_kafka_t *rk = kafka_reader_new(cfg, err, errlen);
	rd_kafka_topic_t *rkt;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *parts;
	int64_t		deadline = mono_ms() + timeout_ms;
	int			open_parts = 0;
	Buf			key = {0};
	bool		ok = false;
	rd_kafka_resp_err_t rc;

	memset(out, 0, sizeof(SlotRecord));
	if (rk == NULL)
		return false;
	record_key(id, &key);
	rkt = rd_kafka_topic_new(rk, cfg->offset_topic, NULL);
	rc = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
	if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		snprintf(err, errlen, "cannot read offset.storage.topic %s: %s", cfg->offset_topic,
				 rd_kafka_err2str(rc));
		goto done;
	}
	if (md->topic_cnt != 1 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
	{
		ok = true;				/* no topic yet: no record */
		goto done;
	}
	if (md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		snprintf(err, errlen, "cannot read offset.storage.topic %s: %s", cfg->offset_topic,
				 rd_kafka_err2str(md->topics[0].err));
		goto done;
	}

	/* from the start of every partition that holds anything to its end */
	parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int i = 0; i < md->topics[0].partition_cnt; i++)
	{
		int32_t		p = md->topics[0].partitions[i].id;
		int64_t		low,
					high;

		rc = rd_kafka_query_watermark_offsets(rk, cfg->offset_topic, p, &low, &high,
											  (int) (deadline - mono_ms() > 0 ? deadline - mono_ms() : 1));
		if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			snprintf(err, errlen, "cannot read offset.storage.topic %s [%d]: %s",
					 cfg->offset_topic, p, rd_kafka_err2str(rc));
			rd_kafka_topic_partition_list_destroy(parts);
			goto done;
		}
		if (high > low)
		{
			rd_kafka_topic_partition_list_add(parts, cfg->offset_topic, p)->offset = low;
			open_parts++;
		}
	}
	rc = rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		snprintf(err, errlen, "cannot read offset.storage.topic %s: %s", cfg->offset_topic,
				 rd_kafka_err2str(rc));
		goto done;
	}
	while (open_parts > 0)
	{
		rd_kafka_message_t *m;

		if (mono_ms() > deadline)
		{
			snprintf(err, errlen, "timed out reading offset.storage.topic %s", cfg->offset_topic);
			goto done;
		}
		m = rd_kafka_consumer_poll(rk, 100);
		if (m == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			open_parts--;
		else if (m->err)
		{
			snprintf(err, errlen, "cannot read offset.storage.topic %s: %s", cfg->offset_topic,
					 rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			goto done;
		}
		else if (m->key_len == key.len && memcmp(m->key, key.data, key.len) == 0 && m->payload)
			take_value(m->payload, m->len, out);
		rd_kafka_message_destroy(m);
	}
	ok = true;
done:
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	buf_free(&key);
	return ok;
}
