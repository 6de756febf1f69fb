/*
 * snapshot_reads.c
 *		Which snapshot reads Kafka already holds, so that an initial
 *		snapshot that was interrupted (kill -9, a failed session) does not
 *		send a row twice when its unfinished key ranges are read again.
 *
 * Every read of an initial snapshot carries HDR_RANGE, naming its key
 * range, and the slot's record keeps, from before the first read, the end
 * offsets of the shipper's topics (snapshot_from).  While ranges the
 * snapshot left are read again, each session start reads the shipper's
 * topics from there and keeps the keys this stream delivered for those
 * ranges; a row read again whose key is among them is skipped.  The keys
 * kept are those of the unfinished ranges only: a few ranges per
 * snapshot thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "delivery/delivery.h"
#include "render/render.h"
#include "sink/sink.h"

/* a range's name and a key, NUL between them */
typedef struct ReadKey
{
	uint64_t	hash;
	char	   *data;
	size_t		len;
} ReadKey;

struct SnapshotReads
{
	ReadKey    *slots;
	size_t		cap;			/* a power of two */
	size_t		n;
};

/* FNV-1a, 64 bits */
static uint64_t
hash_bytes(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len--)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

static uint64_t
read_hash(const char *range, const char *key, size_t key_len)
{
	return hash_bytes(hash_bytes(14695981039346656037ULL, range, strlen(range) + 1), key, key_len);
}

/* The slot for this range and key: theirs, or the empty one where they would go. */
static ReadKey *
find(SnapshotReads *r, uint64_t hash, const char *range, const char *key, size_t key_len)
{
	size_t		rlen = strlen(range) + 1;

	for (size_t i = hash & (r->cap - 1);; i = (i + 1) & (r->cap - 1))
	{
		ReadKey    *k = &r->slots[i];

		if (k->data == NULL ||
			(k->hash == hash && k->len == rlen + key_len && memcmp(k->data, range, rlen) == 0 &&
			 memcmp(k->data + rlen, key, key_len) == 0))
			return k;
	}
}

static void
add(SnapshotReads *r, const char *range, const char *key, size_t key_len)
{
	uint64_t	hash = read_hash(range, key, key_len);
	size_t		rlen = strlen(range) + 1;
	ReadKey    *k;

	if (2 * (r->n + 1) > r->cap)
	{
		ReadKey    *old = r->slots;
		size_t		oldcap = r->cap;

		r->cap = r->cap ? r->cap * 2 : 1024;
		r->slots = xcalloc(r->cap, sizeof(ReadKey));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].data)
			{
				for (size_t j = old[i].hash & (r->cap - 1);; j = (j + 1) & (r->cap - 1))
					if (r->slots[j].data == NULL)
					{
						r->slots[j] = old[i];
						break;
					}
			}
		free(old);
	}
	k = find(r, hash, range, key, key_len);
	if (k->data)
		return;
	k->hash = hash;
	k->len = rlen + key_len;
	k->data = xmalloc(k->len);
	memcpy(k->data, range, rlen);
	memcpy(k->data + rlen, key, key_len);
	r->n++;
}

/* Did Kafka have this read (of range, with this key) already? */
bool
snapshot_reads_has(SnapshotReads *r, const char *range, const char *key, size_t key_len)
{
	if (r == NULL || r->n == 0 || key == NULL)
		return false;
	return find(r, read_hash(range, key, key_len), range, key, key_len)->data != NULL;
}

void
snapshot_reads_free(SnapshotReads *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->cap; i++)
		free(r->slots[i].data);
	free(r->slots);
	free(r);
}

/* The shipper's topics with each partition's offsets: [low, high) now. */
typedef struct TopicSpan
{
	char	   *name;
	int32_t		partitions;
	int64_t    *low;
	int64_t    *high;
} TopicSpan;

static void
spans_free(TopicSpan *spans, int n)
{
	for (int i = 0; i < n; i++)
	{
		free(spans[i].name);
		free(spans[i].low);
		free(spans[i].high);
	}
	free(spans);
}

/* The shipper's topics and where each partition starts and ends; NULL with err on failure. */
static TopicSpan *
topic_spans(rd_kafka_t *rk, const Config *cfg, const Waiting *w, int *nspans,
			char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t rc;
	TopicSpan  *spans;

	while ((rc = rd_kafka_metadata(rk, 1, NULL, &md, 1000)) != RD_KAFKA_RESP_ERR_NO_ERROR)
		if (!still_waiting(w))
		{
			snprintf(err, errlen, "cannot list Kafka's topics: %s", rd_kafka_err2str(rc));
			return NULL;
		}
	spans = xcalloc(md->topic_cnt + 1, sizeof(TopicSpan));
	*nspans = 0;
	for (int i = 0; i < md->topic_cnt && !err[0]; i++)
	{
		const struct rd_kafka_metadata_topic *mt = &md->topics[i];
		TopicSpan  *t;

		if (mt->err || !shipper_topic(cfg, mt->topic) || strcmp(mt->topic, cfg->offset_topic) == 0)
			continue;
		t = &spans[(*nspans)++];
		t->name = xstrdup(mt->topic);
		for (int p = 0; p < mt->partition_cnt; p++)
			if (mt->partitions[p].id >= t->partitions)
				t->partitions = mt->partitions[p].id + 1;
		t->low = xcalloc(t->partitions + 1, sizeof(int64_t));
		t->high = xcalloc(t->partitions + 1, sizeof(int64_t));
		for (int32_t p = 0; p < t->partitions && !err[0]; p++)
			(void) partition_watermarks(rk, w, t->name, p, &t->low[p], &t->high[p], err, errlen);
	}
	rd_kafka_metadata_destroy(md);
	if (!err[0])
		return spans;
	spans_free(spans, *nspans);
	return NULL;
}

/*
 * The end offsets of the shipper's topics, as JSON {"topic":[offset, ...]}:
 * where an initial snapshot's reads begin.  NULL with err on failure.
 */
char *
snapshot_reads_mark(const Config *cfg, int timeout_ms, WaitFn wait, void *arg,
					char *err, size_t errlen)
{
	Waiting		w = {mono_ms() + timeout_ms, wait, arg};
	rd_kafka_t *rk;
	TopicSpan  *spans = NULL;
	int			n = 0;
	json_t	   *o;
	char	   *text = NULL;

	err[0] = '\0';
	if ((rk = kafka_reader_new(cfg, err, errlen)) != NULL)
		spans = topic_spans(rk, cfg, &w, &n, err, errlen);
	if (spans)
	{
		o = json_object();
		for (int i = 0; i < n; i++)
		{
			json_t	   *a = json_array();

			for (int32_t p = 0; p < spans[i].partitions; p++)
				json_array_append_new(a, json_integer(spans[i].high[p]));
			json_object_set_new(o, spans[i].name, a);
		}
		text = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		spans_free(spans, n);
	}
	if (rk)
		rd_kafka_destroy(rk);
	return text;
}

/* A message's header value as a NUL-terminated string in out; false when absent. */
static bool
header_string(rd_kafka_headers_t *hdrs, const char *name, char *out, size_t outlen)
{
	const void *v;
	size_t		len;

	if (rd_kafka_header_get_last(hdrs, name, &v, &len) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		v == NULL || len >= outlen)
		return false;
	memcpy(out, v, len);
	out[len] = '\0';
	return true;
}

/* Keep m's key when it is a read of this stream for one of the ranges. */
static void
take(SnapshotReads *r, const rd_kafka_message_t *m, const char *source,
	 char *const *ranges, int nranges)
{
	rd_kafka_headers_t *hdrs;
	char		theirs[512];
	char		range[4096];

	if (m->key == NULL || rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		!header_string(hdrs, HDR_SOURCE, theirs, sizeof(theirs)) || strcmp(theirs, source) != 0 ||
		!header_string(hdrs, HDR_RANGE, range, sizeof(range)))
		return;
	for (int i = 0; i < nranges; i++)
		if (strcmp(ranges[i], range) == 0)
		{
			add(r, range, m->key, m->key_len);
			return;
		}
}

/*
 * Read the shipper's topics from the offsets in from (a mark; a topic
 * not in it, from its start) to their ends now, keeping the keys that
 * this stream's reads of the named ranges carry.  NULL with err on failure.
 */
SnapshotReads *
snapshot_reads_collect(const Config *cfg, const char *source, const char *from,
					   char *const *ranges, int nranges, int timeout_ms, WaitFn wait,
					   void *arg, char *err, size_t errlen)
{
	Waiting		w = {mono_ms() + timeout_ms, wait, arg};
	rd_kafka_t *rk;
	json_t	   *marks = from ? json_loads(from, 0, NULL) : NULL;
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
	SnapshotReads *r = xcalloc(1, sizeof(SnapshotReads));
	TopicSpan  *spans = NULL;
	int			n = 0;
	long		open = 0;

	err[0] = '\0';
	if ((rk = kafka_reader_new(cfg, err, errlen)) != NULL)
		spans = topic_spans(rk, cfg, &w, &n, err, errlen);
	for (int i = 0; spans && i < n; i++)
		for (int32_t p = 0; p < spans[i].partitions; p++)
		{
			json_t	   *mark = json_array_get(json_object_get(marks, spans[i].name), p);
			int64_t		start = json_is_integer(mark) ? json_integer_value(mark) : 0;

			if (start < spans[i].low[p])
				start = spans[i].low[p];
			if (start >= spans[i].high[p])
				continue;
			rd_kafka_topic_partition_list_add(parts, spans[i].name, p)->offset = start;
			open++;
		}
	if (open > 0 && rd_kafka_assign(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
		snprintf(err, errlen, "cannot read Kafka's topics");
	while (open > 0 && !err[0])
	{
		rd_kafka_message_t *m;

		if (!still_waiting(&w))
		{
			snprintf(err, errlen, "gave up reading the snapshot's reads back from Kafka");
			break;
		}
		if ((m = rd_kafka_consumer_poll(rk, 100)) == NULL)
			continue;
		if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			snprintf(err, errlen, "cannot read %s: %s",
					 m->rkt ? rd_kafka_topic_name(m->rkt) : "Kafka", rd_kafka_message_errstr(m));
		else
		{
			const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";

			if (!m->err)
				take(r, m, source, ranges, nranges);
			/* a partition is done at the end it had when the reading began */
			for (int i = 0; i < n; i++)
				if (strcmp(spans[i].name, topic) == 0 && m->partition >= 0 &&
					m->partition < spans[i].partitions && spans[i].high[m->partition] >= 0 &&
					(m->err || m->offset + 1 >= spans[i].high[m->partition]))
				{
					spans[i].high[m->partition] = -1;
					open--;
				}
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_topic_partition_list_destroy(parts);
	json_decref(marks);
	if (spans)
		spans_free(spans, n);
	if (rk)
	{
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	if (!err[0] && spans)
		return r;
	snapshot_reads_free(r);
	return NULL;
}
