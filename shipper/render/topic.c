/*
 * topic.c
 *		Kafka topic names, as Debezium derives them, and who uses each.
 *
 * A table's topic is <topic.prefix><topic.delimiter><schema>
 * <topic.delimiter><table>, with every character Kafka does not allow
 * replaced by '_'.  So different tables can map to one topic: "a.b".c and
 * a."b.c", or ordérs and ord_rs.  Sharing a topic silently would mix two
 * tables' rows under one schema name, so the renderer records which table
 * (or which of its own event streams) uses each topic, and a second table
 * that maps to a used topic gets no messages: its changes fail, naming
 * both (README, "Messages").  The claims belong to the shipper, not to one
 * renderer: they outlive sessions, so which table owns a topic never
 * flips after a restart.  render_topic_name() lets the shipper find such
 * pairs among the captured tables before it starts.
 */
#include "render/render_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "render/json.h"

#define CLAIMHASH		1024

/* one used topic and what uses it */
struct TopicClaim
{
	TopicClaim *next;			/* hash chain */
	char	   *topic;
	char	   *holder;			/* "table \"s\".\"t\"", or an event stream */
};

/*
 * Kafka topic name as Debezium sanitizes it: characters outside
 * [A-Za-z0-9._-] become '_' (one per UTF-16 unit), at most 249.
 */
char *
topic_sanitize(const char *name)
{
	Buf			b = {0};
	const unsigned char *p = (const unsigned char *) name;
	const unsigned char *end = p + strlen(name);

	buf_puts(&b, "");
	while (p < end)
	{
		unsigned char ch = *p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			ch == '.' || ch == '_' || ch == '-')
		{
			buf_putc(&b, (char) ch);
			p++;
		}
		else if (ch < 0x80)
		{
			buf_putc(&b, '_');
			p++;
		}
		else
		{
			/* a byte that is not UTF-8 counts as one char (json.c) */
			int			n = utf8_seq_len(p, end);

			buf_puts(&b, n == 4 ? "__" : "_");	/* a surrogate pair is two chars */
			p += n > 0 ? n : 1;
		}
	}
	if (b.len > 249)
	{
		b.len = 249;
		b.data[249] = '\0';
	}
	return buf_take(&b, NULL);
}

/* The topic of a table (see render.h). */
char *
render_topic_name(const Config *cfg, const char *schema, const char *table)
{
	const char *prefix = cfg->topic_prefix ? cfg->topic_prefix : "";
	const char *delim = cfg->topic_delimiter ? cfg->topic_delimiter : DEFAULT_TOPIC_DELIMITER;
	Buf			b = {0};
	char	   *topic;

	buf_puts(&b, prefix);
	buf_puts(&b, delim);
	buf_puts(&b, schema);
	buf_puts(&b, delim);
	buf_puts(&b, table);
	topic = topic_sanitize(b.data);
	buf_free(&b);
	return topic;
}

/* A table's name as SQL writes it, quoted, so that "a.b"."c" and "a"."b.c" differ. */
char *
quoted_name(const char *schema, const char *table)
{
	Buf			b = {0};
	const char *parts[2] = {schema, table};

	for (int i = 0; i < 2; i++)
	{
		if (i > 0)
			buf_putc(&b, '.');
		buf_putc(&b, '"');
		for (const char *p = parts[i]; *p; p++)
		{
			if (*p == '"')
				buf_putc(&b, '"');
			buf_putc(&b, *p);
		}
		buf_putc(&b, '"');
	}
	return buf_take(&b, NULL);
}

/* FNV-1a, for the claim table */
static uint32_t
topic_hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 16777619u;
	return h;
}

/* shared by the renderers of a snapshot's threads: claims are made under the lock */
struct TopicClaims
{
	pthread_mutex_t lock;
	TopicClaim *heads[CLAIMHASH];
};

TopicClaims *
topic_claims_new(void)
{
	TopicClaims *claims = xcalloc(1, sizeof(TopicClaims));

	pthread_mutex_init(&claims->lock, NULL);
	return claims;
}

/*
 * Record that holder uses topic.  Returns NULL when the topic was free or
 * already holder's, else what uses it (the caller must not use it).
 */
const char *
topic_claim(TopicClaims *claims, const char *topic, const char *holder)
{
	TopicClaim **head = &claims->heads[topic_hash(topic) % CLAIMHASH];
	TopicClaim *c;
	const char *other = NULL;

	pthread_mutex_lock(&claims->lock);
	for (c = *head; c; c = c->next)
		if (strcmp(c->topic, topic) == 0)
			break;
	if (c)
		other = strcmp(c->holder, holder) == 0 ? NULL : c->holder;
	else
	{
		c = xcalloc(1, sizeof(TopicClaim));
		c->topic = xstrdup(topic);
		c->holder = xstrdup(holder);
		c->next = *head;
		*head = c;
	}
	pthread_mutex_unlock(&claims->lock);
	return other;
}

/* The holder a table's claims are made under: "table \"s\".\"t\"". */
char *
table_holder(const char *quoted)
{
	Buf			b = {0};

	buf_puts(&b, "table ");
	buf_puts(&b, quoted);
	return buf_take(&b, NULL);
}

/* Claim a table's topic for it (see render.h). */
const char *
topic_claims_table(TopicClaims *claims, const Config *cfg, const char *schema, const char *table)
{
	char	   *topic = render_topic_name(cfg, schema, table);
	char	   *quoted = quoted_name(schema, table);
	char	   *holder = table_holder(quoted);
	const char *other = topic_claim(claims, topic, holder);

	free(topic);
	free(quoted);
	free(holder);
	return other;
}
