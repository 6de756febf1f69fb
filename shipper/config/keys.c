/*
 * keys.c
 *		The keys the shipper knows, their defaults, and their typed values.
 *
 * Keys carry Debezium's names wherever Debezium has one, so a connector's
 * configuration carries over.  A key a connector may carry that the shipper
 * does not use, or an old Debezium name, gets a hint saying what to do
 * instead; any other unknown key gets the closest known name.  Getters fall
 * back to the table's default, so a check never has to ask whether a key
 * was given.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

const KeyDef known_keys[] = {
	{"topic.prefix", NULL, "required: topics are <prefix>.<schema>.<table>"},
	{"topic.delimiter", ".", "between prefix, schema and table"},
	{"topic.transaction", "transaction", "topic suffix of transaction metadata"},
	{"database.hostname", NULL, "folded into the conninfo as host"},
	{"database.port", NULL, "folded in as port (libpq's default: 5432)"},
	{"database.user", NULL, "folded in as user"},
	{"database.password", NULL, "folded in as password (secret)"},
	{"database.dbname", NULL, "folded in as dbname; source.db"},
	{"database.conninfo", NULL, "libpq conninfo string or URI"},
	{"slot.name", "cellcdc", "replication slot"},
	{"table.include.list", NULL, "regexes of schema.table to capture"},
	{"table.exclude.list", NULL, "regexes of schema.table to skip"},
	{"column.exclude.list", NULL, "regexes of schema.table.column to drop"},
	{"message.prefix.include.list", NULL, "logical message prefixes to capture"},
	{"tombstones.on.delete", "true", "tombstone after each delete"},
	{"decimal.handling.mode", "precise", "precise | string | double"},
	{"time.precision.mode", "adaptive", "adaptive | adaptive_time_microseconds | connect"},
	{"binary.handling.mode", "bytes", "bytes | base64 | base64-url-safe | hex"},
	{"key.converter.schemas.enable", "true", "schema+payload envelope on keys"},
	{"value.converter.schemas.enable", "true", "schema+payload envelope on values"},
	{"skipped.operations", "t", "c,u,d,t or none"},
	{"unavailable.value.placeholder", "__debezium_unavailable_value", "unchanged TOAST value"},
	{"provide.transaction.metadata", "false", "BEGIN/END on the transaction topic"},
	{"snapshot.mode", "initial", "initial | always | initial_only | when_needed | no_data (alias never)"},
	{"snapshot.max.threads", "1", "connections reading a snapshot in parallel"},
	{"snapshot.fetch.size", "10240", "rows per read of the initial snapshot"},
	{"incremental.snapshot.chunk.size", "1024", "rows per window of an incremental snapshot"},
	{"snapshot.initial.max.ms", "0", "initial snapshot's hold on the slot, then incremental (0: none)"},
	{"debezium.version", "3.1.3.Final", "Debezium version to reproduce"},
	{"sink", "kafka", "kafka | stdout | null"},
	{"status.interval.ms", "10000", "standby status update interval"},
	{"database.reconnect.backoff.ms", "500", "first reconnect delay"},
	{"database.reconnect.backoff.max.ms", "30000", "reconnect delay cap"},
	{"shutdown.timeout.ms", "30000", "flush bound at SIGTERM"},
	{"startup.timeout.ms", "60000", "first start: wait for Kafka's metadata"},
	{"offset.storage.topic", "cellcdc-offsets", "topic recording the slots streamed"},
	{"spool.dir", NULL, "directory for changes while Kafka is away (unset: no spool)"},
	{"spool.max.bytes", "1073741824", "the spool's bound on disk; full: the slot waits"},
	{"spool.after.ms", "30000", "Kafka unreachable or its queue full this long: spool"},
	{"errors.max.retries", "10", "same failure in a row before exit 5 (-1: no limit)"},
	{"errors.tolerance", "none", "none | all (all: failed changes to the DLQ)"},
	{"errors.deadletterqueue.topic.name", NULL, "dead-letter topic (errors.tolerance=all)"},
	{"log.format", "text", "text | json"},
	{"log.progress.interval.ms", "60000", "progress line interval (0: off)"},
};

#define NKEYS ((int) (sizeof(known_keys) / sizeof(known_keys[0])))

const int	nknown_keys = NKEYS;

/* Debezium / Kafka Connect keys a migrated connector may carry, and why not. */
typedef struct ForeignKey
{
	const char *name;
	const char *hint;
} ForeignKey;

static const ForeignKey foreign_keys[] = {
	{"database.server.name", "Debezium 2.0 renamed it; use topic.prefix"},
	{"table.whitelist", "an old name; use table.include.list"},
	{"table.blacklist", "an old name; use table.exclude.list"},
	{"column.blacklist", "an old name; use column.exclude.list"},
	{"schema.include.list", "not supported; write schema patterns in table.include.list instead, e.g. sales\\..*"},
	{"schema.exclude.list", "not supported; write schema patterns in table.exclude.list instead, e.g. sales\\..*"},
	{"column.include.list", "not supported; use column.exclude.list"},
	{"message.prefix.exclude.list", "not supported; use message.prefix.include.list"},
	{"plugin.name", "the shipper always uses the cellcdc decoder; remove it"},
	{"publication.name", "cellcdc needs no publication (filters are table.include.list etc.); remove it"},
	{"publication.autocreate.mode", "cellcdc needs no publication (filters are table.include.list etc.); remove it"},
	{"slot.drop.on.stop", "the shipper never drops its slot; remove it"},
	{"heartbeat.interval.ms", "heartbeats are not supported yet; remove it"},
	{"heartbeat.action.query", "heartbeats are not supported yet; remove it"},
	{"connector.class", "a Kafka Connect setting the shipper does not use; remove it"},
	{"tasks.max", "a Kafka Connect setting the shipper does not use; remove it"},
	{"name", "a Kafka Connect setting the shipper does not use; remove it"},
	{"key.converter", "the shipper always writes JsonConverter's format; remove it"},
	{"value.converter", "the shipper always writes JsonConverter's format; remove it"},
};

/* Case-insensitive equality. */
bool
str_eqi(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char) *a) != tolower((unsigned char) *b))
			return false;
	return *a == *b;
}

/* Case-insensitive substring test. */
bool
str_contains_i(const char *hay, const char *needle)
{
	size_t		n = strlen(needle);

	for (; *hay; hay++)
	{
		size_t		i;

		for (i = 0; i < n; i++)
			if (tolower((unsigned char) hay[i]) != tolower((unsigned char) needle[i]))
				break;
		if (i == n)
			return true;
	}
	return false;
}

/*
 * Keys whose values are secrets: kafka.<property> for every property
 * librdkafka treats as a secret; anything naming a password, secret, token,
 * credential or private key, SASL JAAS / OAUTHBEARER configs, SSL key
 * material (ssl.key.*, ssl.keystore.*); and database.conninfo, which may
 * hold a password (--print-config shows it with libpq's secrets masked).
 */
bool
config_is_secret(const char *key)
{
	static const char *const words[] = {
		"password", "passwd", "secret", "token", "credential", "private",
		"sasl.jaas", "sasl.oauthbearer.config", "ssl.key", "ssl_key",
		"api.key", "apikey", "database.conninfo"
	};
	size_t		i;

	if (key == NULL)
		return false;
	if (strncmp(key, "kafka.", 6) == 0 && kafka_secret(key + 6))
		return true;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (str_contains_i(key, words[i]))
			return true;
	return false;
}

/* The known key definition, or NULL. */
const KeyDef *
key_def(const char *key)
{
	int			i;

	for (i = 0; i < nknown_keys; i++)
		if (strcmp(known_keys[i].name, key) == 0)
			return &known_keys[i];
	return NULL;
}

/* Levenshtein distance, capped: anything above cap returns cap + 1. */
static int
distance(const char *a, const char *b, int cap)
{
	int			la = strlen(a);
	int			lb = strlen(b);
	int		   *row;
	int			i;
	int			j;
	int			result;

	if (abs(la - lb) > cap)
		return cap + 1;
	row = xmalloc((lb + 1) * sizeof(int));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++)
	{
		int			diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++)
		{
			int			up = row[j];
			int			best = diag + (tolower((unsigned char) a[i - 1]) != tolower((unsigned char) b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	result = row[lb];
	free(row);
	return result > cap ? cap + 1 : result;
}

/* Record an unknown key, with the closest known one if it is close. */
void
key_unknown(Load *ld, Setting *s)
{
	const char *best = NULL;
	int			best_d = 3;
	size_t		i;

	for (i = 0; i < sizeof(foreign_keys) / sizeof(foreign_keys[0]); i++)
		if (strcmp(foreign_keys[i].name, s->key) == 0)
		{
			problem(ld, s, "not used by the shipper: %s", foreign_keys[i].hint);
			return;
		}
	for (i = 0; i < (size_t) nknown_keys; i++)
	{
		int			d = distance(s->key, known_keys[i].name, 2);

		if (d < best_d)
		{
			best_d = d;
			best = known_keys[i].name;
		}
	}
	if (distance(s->key, "kafka.bootstrap.servers", 2) < best_d)
		best = "kafka.bootstrap.servers";
	if (best)
		problem(ld, s, "unknown key; did you mean %s?", best);
	else
		problem(ld, s, "unknown key; see " PROG " --help for the keys (librdkafka settings take the prefix kafka.)");
}

/*
 * The setting for key, or one holding the table's default (NULL if the key
 * has none).  A default sorts its problems after everything given.
 */
Setting *
key_get(Load *ld, const char *key)
{
	Setting    *s = settings_find(&ld->set, key);
	const KeyDef *def;

	if (s != NULL)
		return s;
	def = key_def(key);
	if (def == NULL || def->def == NULL)
		return NULL;
	if (ld->defaults == NULL)
		ld->defaults = xcalloc(NKEYS, sizeof(Setting));
	s = &ld->defaults[def - known_keys];
	if (s->key == NULL)
	{
		s->key = (char *) def->name;
		s->value = (char *) def->def;
		s->order = ORDER_LAST;
	}
	return s;
}

/* A boolean: true or false, any case. */
bool
key_bool(Load *ld, const char *key, bool *out)
{
	Setting    *s = key_get(ld, key);

	if (s->bad)
		return false;
	if (str_eqi(s->value, "true"))
		*out = true;
	else if (str_eqi(s->value, "false"))
		*out = false;
	else
		return problem(ld, s, "%s is not a boolean; use true or false", setting_shown(s));
	return true;
}

/* An integer in [min, max]; what says what it counts ("a number of milliseconds"). */
bool
key_int(Load *ld, const char *key, int min, int max, const char *what, int *out)
{
	int64_t		v;

	if (!key_int64(ld, key, min, max, what, &v))
		return false;
	*out = (int) v;
	return true;
}

/* The same for a 64-bit count (bytes). */
bool
key_int64(Load *ld, const char *key, int64_t min, int64_t max, const char *what, int64_t *out)
{
	Setting    *s = key_get(ld, key);
	char	   *end;
	long long	v;

	if (s->bad)
		return false;
	errno = 0;
	v = strtoll(s->value, &end, 10);
	if (s->value[0] == '\0' || *end != '\0' || errno != 0 || isspace((unsigned char) s->value[0]))
		return problem(ld, s, "%s is not an integer; write %s from %lld to %lld",
					   setting_shown(s), what, (long long) min, (long long) max);
	if (v < min || v > max)
		return problem(ld, s, "%s is out of range; use %lld to %lld", setting_shown(s),
					   (long long) min, (long long) max);
	*out = v;
	return true;
}

/* One of a list of names (any case); *out gets its index. */
bool
key_enum(Load *ld, const char *key, const char *const *names, int *out)
{
	Setting    *s = key_get(ld, key);
	Buf			list = {0};
	int			i;

	if (s->bad)
		return false;
	for (i = 0; names[i]; i++)
		if (str_eqi(s->value, names[i]))
		{
			*out = i;
			return true;
		}
	for (i = 0; names[i]; i++)
	{
		if (i > 0)
			buf_puts(&list, names[i + 1] ? ", " : " or ");
		buf_puts(&list, names[i]);
	}
	problem(ld, s, "%s is not a valid value; use %s", setting_shown(s), list.data);
	buf_free(&list);
	return false;
}

/* The key's value, NULL when not given, empty or bad. */
const char *
key_str(Load *ld, const char *key)
{
	Setting    *s = key_get(ld, key);

	return s && !s->bad && s->value[0] ? s->value : NULL;
}

/* A name usable in a Kafka topic: [A-Za-z0-9._-], 1..maxlen characters. */
bool
key_topic_part(Load *ld, Setting *s, size_t maxlen)
{
	const char *p;

	if (s->bad)
		return false;
	if (s->value[0] == '\0')
		return problem(ld, s, "is empty; topic names need at least one character");
	for (p = s->value; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '_' || *p == '-'))
			return problem(ld, s, "%s has a character Kafka does not allow in topic names; use only letters, digits, '.', '_' and '-'",
						   setting_shown(s));
	if (strlen(s->value) > maxlen)
		return problem(ld, s, "%s is longer than %zu characters; Kafka topic names are at most 249",
					   setting_shown(s), maxlen);
	if (strcmp(s->value, ".") == 0 && strcmp(s->key, "topic.prefix") == 0)
		return problem(ld, s, "\".\" is not a topic prefix; use a name such as emp-prod-events-bos-v2");
	return true;
}

/* A whole Kafka topic name: [A-Za-z0-9._-], 1..249 characters, not . or .. */
bool
key_topic(Load *ld, Setting *s)
{
	if (!key_topic_part(ld, s, 249))
		return false;
	if (strcmp(s->value, ".") == 0 || strcmp(s->value, "..") == 0)
		return problem(ld, s, "\"%s\" is not a topic name Kafka allows; use a name such as cellcdc-offsets",
					   s->value);
	return true;
}
