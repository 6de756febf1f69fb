/*
 * delivered.c
 *		What Kafka already holds of this slot's stream, so that changes the
 *		slot sends again are not written twice.
 *
 * Every message carries its stream position (commit LSN and sequence in
 * its transaction) and the slot it came from.  Streaming sends positions
 * in increasing order, and the idempotent producer keeps each partition in
 * the order sent with no gap (a failed batch is fatal, never skipped), so
 * the last message of this slot in a partition says that every message of
 * the slot for that partition up to its position is there.  At the start of
 * every session the shipper reads each partition's last messages; while
 * the slot replays what it had not confirmed, a message whose partition
 * already holds its position is skipped.  The partition is the one the
 * producer would choose: the configured partitioner on the key, partition
 * 0 for a message without a key (see sink/kafka.c).
 *
 * Snapshot reads (sequence 0) are not skipped here: their position does
 * not tell them apart.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "delivery/delivery.h"
#include "render/render.h"
#include "sink/sink.h"

/* how far back a partition is read for this slot's last message: first, and at most */
#define SCAN_FIRST		16
#define SCAN_MOST		4096

/* the partitioners whose choice depends on the key alone (config/kafka.c) */
typedef int32_t (*PartitionFn) (const rd_kafka_topic_t *rkt, const void *key, size_t keylen,
								int32_t partition_cnt, void *rkt_opaque, void *msg_opaque);

static const struct
{
	const char *name;
	PartitionFn fn;
}			partitioners[] = {
	{"murmur2_random", rd_kafka_msg_partitioner_murmur2_random},
	{"murmur2", rd_kafka_msg_partitioner_murmur2},
	{"consistent_random", rd_kafka_msg_partitioner_consistent_random},
	{"consistent", rd_kafka_msg_partitioner_consistent},
	{"fnv1a_random", rd_kafka_msg_partitioner_fnv1a_random},
	{"fnv1a", rd_kafka_msg_partitioner_fnv1a},
};

typedef struct TopicEnd
{
	char	   *name;
	int32_t		partitions;
	Position   *last;			/* per partition; lsn 0: none of this slot */
	int64_t    *from;			/* per partition: where this round reads from */
	int64_t    *until;			/* per partition: where this round stops */
	int64_t    *low;			/* per partition: the log's start */
	bool	   *open;			/* per partition: still being read */
} TopicEnd;

struct Delivered
{
	TopicEnd   *topics;
	int			ntopics;
	TopicEnd   *recent;			/* the last topic looked up */
	PartitionFn partition;
	Position	max;			/* the highest position held */
	long		skipped;
};

/* Is a before b in the stream? */
static bool
position_before(Position a, Position b)
{
	return a.lsn < b.lsn || (a.lsn == b.lsn && a.seq < b.seq);
}

/* The position of a message of this slot's stream, or false for another's. */
static bool
message_position(const rd_kafka_message_t *m, const char *source, Position *pos)
{
	rd_kafka_headers_t *hdrs;
	const void *v;
	size_t		len;

	if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		rd_kafka_header_get_last(hdrs, HDR_SOURCE, &v, &len) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		len != strlen(source) || memcmp(v, source, len) != 0)
		return false;
	return kafka_header_u64(hdrs, HDR_COMMIT_LSN, &pos->lsn) &&
		kafka_header_u64(hdrs, HDR_SEQ, &pos->seq);
}

/* Could this topic hold messages of the shipper's? */
bool
shipper_topic(const Config *cfg, const char *name)
{
	size_t		plen = strlen(cfg->topic_prefix);
	size_t		dlen = strlen(cfg->topic_delimiter);

	if (cfg->dlq_topic && strcmp(name, cfg->dlq_topic) == 0)
		return true;
	return strncmp(name, cfg->topic_prefix, plen) == 0 &&
		strncmp(name + plen, cfg->topic_delimiter, dlen) == 0;
}

static TopicEnd *
find_topic(Delivered *d, const char *name)
{
	if (d->recent && strcmp(d->recent->name, name) == 0)
		return d->recent;
	for (int i = 0; i < d->ntopics; i++)
		if (strcmp(d->topics[i].name, name) == 0)
			return d->recent = &d->topics[i];
	return NULL;
}

/*
 * Where a partition starts and ends now, asked until Kafka answers or the
 * wait gives up; false with err then.
 */
bool
partition_watermarks(struct rd_kafka_s *rk, const Waiting *w, const char *topic, int32_t p,
					 int64_t *low, int64_t *high, char *err, size_t errlen)
{
	rd_kafka_resp_err_t rc;

	while ((rc = rd_kafka_query_watermark_offsets(rk, topic, p, low, high, 1000)) !=
		   RD_KAFKA_RESP_ERR_NO_ERROR && still_waiting(w))
		;
	if (rc == RD_KAFKA_RESP_ERR_NO_ERROR)
		return true;
	snprintf(err, errlen, "cannot read the end of %s [%d]: %s", topic, p, rd_kafka_err2str(rc));
	return false;
}

/*
 * Assign every partition still open at SCAN_FIRST << round messages from
 * its end (but not before its start); false when there is nothing to read.
 */
static bool
assign_round(rd_kafka_t *rk, Delivered *d, int round, const Waiting *w, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
	rd_kafka_resp_err_t rc;
	int64_t		back = (int64_t) SCAN_FIRST << round;
	bool		any;

	for (int i = 0; i < d->ntopics; i++)
	{
		TopicEnd   *t = &d->topics[i];

		for (int32_t p = 0; p < t->partitions; p++)
		{
			int64_t		high;

			if (!t->open[p])
				continue;
			if (round == 0)
			{
				if (!partition_watermarks(rk, w, t->name, p, &t->low[p], &high, err, errlen))
				{
					rd_kafka_topic_partition_list_destroy(parts);
					return false;
				}
				t->from[p] = high;
			}
			/* nothing (more) before where the last round began */
			if (t->from[p] <= t->low[p])
			{
				t->open[p] = false;
				continue;
			}
			t->until[p] = t->from[p];
			t->from[p] = t->until[p] - back > t->low[p] ? t->until[p] - back : t->low[p];
			rd_kafka_topic_partition_list_add(parts, t->name, p)->offset = t->from[p];
		}
	}
	any = parts->cnt > 0;
	rc = any ? rd_kafka_assign(rk, parts) : RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_topic_partition_list_destroy(parts);
	if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		snprintf(err, errlen, "cannot read Kafka's topics: %s", rd_kafka_err2str(rc));
		return false;
	}
	return any;
}

/*
 * Read what was assigned up to where the round's reading of each partition
 * ends (the previous round's start, or the end); keep this slot's last
 * position per partition and close the partitions where one was found.
 */
static bool
read_round(rd_kafka_t *rk, Delivered *d, const Waiting *w, const char *source,
		   char *err, size_t errlen)
{
	int			reading = 0;

	for (int i = 0; i < d->ntopics; i++)
		for (int32_t p = 0; p < d->topics[i].partitions; p++)
			reading += d->topics[i].open[p];
	while (reading > 0)
	{
		rd_kafka_message_t *m;
		TopicEnd   *t;
		Position	pos;

		if (!still_waiting(w))
		{
			snprintf(err, errlen, "gave up reading the last messages of the shipper's topics");
			return false;
		}
		m = rd_kafka_consumer_poll(rk, 100);
		if (m == NULL)
			continue;
		t = m->rkt ? find_topic(d, rd_kafka_topic_name(m->rkt)) : NULL;
		if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
		{
			snprintf(err, errlen, "cannot read %s: %s", t ? t->name : "Kafka",
					 rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			return false;
		}
		if (t && m->partition >= 0 && m->partition < t->partitions &&
			t->open[m->partition] && t->until[m->partition] >= 0)
		{
			int32_t		p = m->partition;
			bool		done = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
				m->offset + 1 >= t->until[p];

			if (!m->err && message_position(m, source, &pos) && !position_before(pos, t->last[p]))
				t->last[p] = pos;
			if (done)
			{
				reading--;
				t->until[p] = -1;	/* this round is done with it */
				if (t->last[p].lsn != 0)
					t->open[p] = false;
			}
		}
		rd_kafka_message_destroy(m);
	}
	return true;
}

/* The partitioner the producer uses (kafka.partitioner, else ours). */
static PartitionFn
configured_partitioner(const Config *cfg)
{
	const char *name = "murmur2_random";

	for (int i = 0; i < cfg->nkafka; i++)
		if (strcmp(cfg->kafka[i].key, "partitioner") == 0)
			name = cfg->kafka[i].value;
	for (size_t i = 0; i < sizeof(partitioners) / sizeof(partitioners[0]); i++)
		if (strcmp(partitioners[i].name, name) == 0)
			return partitioners[i].fn;
	return NULL;				/* refused by the configuration */
}

/* The topics that could hold messages of the shipper's, with their partition counts. */
static bool
list_topics(rd_kafka_t *rk, const Config *cfg, Delivered *d, const Waiting *w,
			char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t rc;

	/* a second at a time, so that a stop or a server going away is heard */
	while ((rc = rd_kafka_metadata(rk, 1, NULL, &md, 1000)) != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		if (!still_waiting(w))
		{
			snprintf(err, errlen, "cannot list Kafka's topics: %s", rd_kafka_err2str(rc));
			return false;
		}
	}
	d->topics = xcalloc(md->topic_cnt + 1, sizeof(TopicEnd));
	for (int i = 0; i < md->topic_cnt; i++)
	{
		const struct rd_kafka_metadata_topic *mt = &md->topics[i];
		TopicEnd   *t;
		int32_t		n = 0;

		if (mt->err || !shipper_topic(cfg, mt->topic))
			continue;
		for (int p = 0; p < mt->partition_cnt; p++)
			if (mt->partitions[p].id >= n)
				n = mt->partitions[p].id + 1;
		t = &d->topics[d->ntopics++];
		t->name = xstrdup(mt->topic);
		t->partitions = n;
		t->last = xcalloc(n + 1, sizeof(Position));
		t->from = xcalloc(n + 1, sizeof(int64_t));
		t->until = xcalloc(n + 1, sizeof(int64_t));
		t->low = xcalloc(n + 1, sizeof(int64_t));
		t->open = xcalloc(n + 1, sizeof(bool));
		for (int p = 0; p < mt->partition_cnt; p++)
			t->open[mt->partitions[p].id] = true;
	}
	rd_kafka_metadata_destroy(md);
	return true;
}

/*
 * Read the last messages of every partition of the shipper's topics and
 * keep, per partition, the last position of the stream named source
 * (HDR_SOURCE).  NULL with err set when Kafka cannot be read in time, or
 * when wait (called about once a second) says to stop.
 */
Delivered *
delivered_read(const Config *cfg, const char *source, int timeout_ms, WaitFn wait,
			   void *wait_arg, char *err, size_t errlen)
{
	Waiting		w = {mono_ms() + timeout_ms, wait, wait_arg};
	rd_kafka_t *rk;
	Delivered  *d = xcalloc(1, sizeof(Delivered));
	bool		ok;

	err[0] = '\0';
	rk = kafka_reader_new(cfg, err, errlen);
	ok = rk != NULL;
	d->partition = configured_partitioner(cfg);
	ok = ok && list_topics(rk, cfg, d, &w, err, errlen);
	for (int round = 0; ok && (SCAN_FIRST << round) <= SCAN_MOST; round++)
	{
		if (!assign_round(rk, d, round, &w, err, errlen))
			break;
		ok = read_round(rk, d, &w, source, err, errlen);
	}
	if (rk)
	{
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	if (!ok || err[0])
	{
		delivered_free(d);
		return NULL;
	}
	for (int i = 0; i < d->ntopics; i++)
		for (int32_t p = 0; p < d->topics[i].partitions; p++)
			if (position_before(d->max, d->topics[i].last[p]))
				d->max = d->topics[i].last[p];
	return d;
}

/*
 * Does Kafka already hold m?  True when m's partition holds a message of
 * this slot at m's position or later (and counts it as skipped).
 */
bool
delivered_holds(Delivered *d, const OutMessage *m)
{
	Position	pos = {m->commit_lsn, m->seq};
	TopicEnd   *t;
	int32_t		p;

	if (d == NULL || m->seq == 0 || position_before(d->max, pos))
		return false;
	if ((t = find_topic(d, m->topic)) == NULL || t->partitions == 0)
		return false;
	p = m->key == NULL ? 0 : d->partition(NULL, m->key, m->key_len, t->partitions, NULL, NULL);
	if (p < 0 || p >= t->partitions || position_before(t->last[p], pos))
		return false;
	d->skipped++;
	return true;
}

/* The highest position Kafka holds of the stream (lsn 0: none). */
Position
delivered_max(const Delivered *d)
{
	Position	none = {0, 0};

	return d ? d->max : none;
}

/* How many messages delivered_holds() said Kafka had. */
long
delivered_skipped(const Delivered *d)
{
	return d ? d->skipped : 0;
}

void
delivered_free(Delivered *d)
{
	if (d == NULL)
		return;
	for (int i = 0; i < d->ntopics; i++)
	{
		TopicEnd   *t = &d->topics[i];

		free(t->name);
		free(t->last);
		free(t->from);
		free(t->until);
		free(t->low);
		free(t->open);
	}
	free(d->topics);
	free(d);
}
