/*
 * config.c
 *		Load the shipper's configuration: a properties file plus -X overrides.
 *
 * The file is the subset of Java's .properties syntax that Debezium and Kafka
 * users write; values may name environment variables (${VAR}) and files
 * (${file:/path}, for passwords).  Keys carry Debezium's names wherever
 * Debezium has one.  Debezium's table and column regexes are translated into
 * the decoder's glob patterns, so that filtering happens in the database;
 * kafka.* keys are checked against librdkafka.  Everything is checked here,
 * before the shipper connects anywhere: any problem is one line on stderr
 * naming the key, and secrets never appear in any output.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "mem.h"
#include "record.h"

#ifndef SHIPPER_VERSION
#define SHIPPER_VERSION "0.1.0"
#endif

#define PROG		"cellcdc-shipper"
#define STRINGIFY_(x)	#x
#define STRINGIFY(x)	STRINGIFY_(x)
#define MASK		"********"
#define MAX_INCLUDED_FILE	(1024 * 1024)
#define MAX_PATTERNS_PER_ENTRY	64

/* A growable string. */
typedef struct StrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} StrBuf;

/* One key as given, with where it was given. */
typedef struct Setting
{
	char	   *key;
	char	   *value;
	char	   *origin;			/* "file:line", or NULL for -X */
	bool		from_file;		/* value holds a ${file:...}'s contents */
} Setting;

typedef struct Settings
{
	Setting    *v;
	int			n;
	int			cap;
} Settings;

/* A key the shipper knows, its default (NULL: none) and a word on it. */
typedef struct KeyDef
{
	const char *name;
	const char *def;
	const char *help;
} KeyDef;

static const KeyDef known_keys[] = {
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
	{"snapshot.mode", "no_data", "no_data (alias never)"},
	{"debezium.version", "3.1.3.Final", "Debezium version to reproduce"},
	{"sink", "kafka", "kafka | stdout | null"},
	{"status.interval.ms", "10000", "standby status update interval"},
	{"database.reconnect.backoff.ms", "500", "first reconnect delay"},
	{"database.reconnect.backoff.max.ms", "30000", "reconnect delay cap"},
	{"shutdown.timeout.ms", "30000", "flush bound at SIGTERM"},
};

#define NKEYS ((int) (sizeof(known_keys) / sizeof(known_keys[0])))

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

static int	pattern_list(StrBuf *opts, const Setting *s, const char *option, int nparts);

/* ---------- small helpers ---------- */

/* Append len bytes to a StrBuf, keeping it NUL-terminated. */
static void
sb_addn(StrBuf *sb, const char *s, size_t len)
{
	if (sb->len + len + 1 > sb->cap)
	{
		size_t		cap = sb->cap ? sb->cap * 2 : 64;
		char	   *data;

		while (cap < sb->len + len + 1)
			cap *= 2;
		data = xmalloc(cap);
		if (sb->len)
			memcpy(data, sb->data, sb->len);
		free(sb->data);
		sb->data = data;
		sb->cap = cap;
	}
	memcpy(sb->data + sb->len, s, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
}

/* Append a string. */
static void
sb_add(StrBuf *sb, const char *s)
{
	sb_addn(sb, s, strlen(s));
}

/* Append one character. */
static void
sb_addc(StrBuf *sb, char c)
{
	sb_addn(sb, &c, 1);
}

/* The buffer's string ("" when nothing was added); the StrBuf is reset. */
static char *
sb_take(StrBuf *sb)
{
	char	   *s = sb->data ? sb->data : xstrdup("");

	memset(sb, 0, sizeof(*sb));
	return s;
}

/* Case-insensitive equality. */
static bool
eqi(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char) *a) != tolower((unsigned char) *b))
			return false;
	return *a == *b;
}

/* Case-insensitive substring test. */
static bool
contains_i(const char *hay, const char *needle)
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

/* Properties whitespace: space, tab, form feed. */
static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

/* ---------- errors ---------- */

/*
 * Print one error line and return 2.  origin is "file:line" or NULL, key may
 * be NULL.  Control characters are shown escaped so the line stays one line.
 */
static int
fail(const char *origin, const char *key, const char *fmt,...)
{
	char		msg[2048];
	StrBuf		line = {0};
	va_list		ap;
	const char *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	sb_add(&line, PROG ": ");
	if (origin)
	{
		sb_add(&line, origin);
		sb_add(&line, ": ");
	}
	if (key)
	{
		sb_add(&line, key);
		sb_add(&line, ": ");
	}
	for (p = msg; *p; p++)
	{
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
		{
			char		esc[8];

			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char) *p);
			sb_add(&line, esc);
		}
		else
			sb_addc(&line, *p);
	}
	fprintf(stderr, "%s\n", line.data);
	free(line.data);
	return 2;
}

/* fail() for a setting: its origin and key. */
#define FAIL(s, ...) fail((s)->origin, (s)->key, __VA_ARGS__)

/* Is the setting's value one that must never be shown? */
static bool
hidden(const Setting *s)
{
	return s->from_file || config_is_secret(s->key);
}

/*
 * The value quoted for an error message, shortened to a sensible length, or
 * a note that it is hidden.  Uses one of a few static buffers.
 */
static const char *
shown(const Setting *s)
{
	static char bufs[4][128];
	static int	next;
	char	   *buf = bufs[next++ % 4];
	size_t		len;

	if (hidden(s))
		return "the value (not shown)";
	len = strlen(s->value);
	if (len > 80)
		snprintf(buf, sizeof(bufs[0]), "\"%.77s...\"", s->value);
	else
		snprintf(buf, sizeof(bufs[0]), "\"%s\"", s->value);
	return buf;
}

/* ---------- secrets ---------- */

/*
 * Keys whose values are secrets: anything naming a password, secret, token,
 * credential or private key, SASL JAAS / OAUTHBEARER configs, SSL key
 * material (ssl.key.*, ssl.keystore.*), and database.conninfo, which may
 * hold a password.
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
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (contains_i(key, words[i]))
			return true;
	return false;
}

/* ---------- the settings list ---------- */

/* The setting for key, or NULL. */
static Setting *
find(Settings *set, const char *key)
{
	int			i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].key, key) == 0)
			return &set->v[i];
	return NULL;
}

/* Append a setting (the strings are taken over). */
static void
append(Settings *set, char *key, char *value, char *origin)
{
	Setting    *s;

	if (set->n == set->cap)
	{
		Setting    *v;

		set->cap = set->cap ? set->cap * 2 : 32;
		v = xmalloc(set->cap * sizeof(Setting));
		if (set->n)
			memcpy(v, set->v, set->n * sizeof(Setting));
		free(set->v);
		set->v = v;
	}
	s = &set->v[set->n++];
	s->key = key;
	s->value = value;
	s->origin = origin;
	s->from_file = false;
}

/* ---------- the properties file ---------- */

/* Append a code point as UTF-8. */
static void
sb_add_utf8(StrBuf *sb, unsigned cp)
{
	if (cp < 0x80)
		sb_addc(sb, (char) cp);
	else if (cp < 0x800)
	{
		sb_addc(sb, (char) (0xc0 | (cp >> 6)));
		sb_addc(sb, (char) (0x80 | (cp & 0x3f)));
	}
	else
	{
		sb_addc(sb, (char) (0xe0 | (cp >> 12)));
		sb_addc(sb, (char) (0x80 | ((cp >> 6) & 0x3f)));
		sb_addc(sb, (char) (0x80 | (cp & 0x3f)));
	}
}

/*
 * Unescape one backslash sequence at *pp (just after the backslash) into sb.
 * Returns false for a malformed \uXXXX.
 */
static bool
unescape_one(const char **pp, StrBuf *sb)
{
	const char *p = *pp;
	char		c = *p++;

	switch (c)
	{
		case 't':
			sb_addc(sb, '\t');
			break;
		case 'n':
			sb_addc(sb, '\n');
			break;
		case 'r':
			sb_addc(sb, '\r');
			break;
		case 'f':
			sb_addc(sb, '\f');
			break;
		case 'u':
			{
				unsigned	cp = 0;
				int			i;

				for (i = 0; i < 4; i++)
				{
					if (!isxdigit((unsigned char) p[i]))
						return false;
					cp = cp * 16 + (isdigit((unsigned char) p[i]) ? p[i] - '0' :
									tolower((unsigned char) p[i]) - 'a' + 10);
				}
				if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
					return false;
				sb_add_utf8(sb, cp);
				p += 4;
				break;
			}
		default:
			sb_addc(sb, c);		/* \\, \=, \:, \#, \!, \ , ... */
			break;
	}
	*pp = p;
	return true;
}

/* Does the physical line [s, e) end with an odd number of backslashes? */
static bool
continues(const char *s, const char *e)
{
	int			n = 0;

	while (e > s && e[-1] == '\\')
	{
		n++;
		e--;
	}
	return n % 2 == 1;
}

/*
 * Parse one logical line (comments and blank lines already skipped) into a
 * key and a value.  Returns 0, or 2 after reporting.
 */
static int
parse_line(const char *line, const char *origin, char **key, char **value)
{
	StrBuf		k = {0};
	StrBuf		v = {0};
	const char *p = line;
	size_t		keep;

	while (is_blank(*p))
		p++;
	while (*p && *p != '=' && *p != ':' && !is_blank(*p))
	{
		if (*p == '\\')
		{
			p++;
			if (*p == '\0')
				break;
			if (!unescape_one(&p, &k))
				return fail(origin, NULL, "bad \\u escape in a key; write \\u and four hex digits");
		}
		else
			sb_addc(&k, *p++);
	}
	while (is_blank(*p))
		p++;
	if (*p == '=' || *p == ':')
		p++;
	while (is_blank(*p))
		p++;
	if (k.len == 0)
		return fail(origin, NULL, "a line with no key; write key=value");

	/* value: trailing blanks are dropped unless escaped ("\ ") */
	keep = 0;
	while (*p)
	{
		if (*p == '\\')
		{
			p++;
			if (*p == '\0')
				break;
			if (!unescape_one(&p, &v))
				return fail(origin, k.data, "bad \\u escape; write \\u and four hex digits");
			keep = v.len;
		}
		else
		{
			sb_addc(&v, *p);
			if (!is_blank(*p))
				keep = v.len;
			p++;
		}
	}
	if (v.data)
		v.data[v.len = keep] = '\0';
	*key = sb_take(&k);
	*value = sb_take(&v);
	return 0;
}

/* Read a whole file into memory; NULL with errno set on failure. */
static char *
slurp(const char *path, size_t max, size_t *lenp)
{
	FILE	   *f = fopen(path, "rb");
	StrBuf		sb = {0};
	char		buf[8192];
	size_t		n;
	int			err;

	if (f == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
	{
		sb_addn(&sb, buf, n);
		if (sb.len > max)
		{
			fclose(f);
			free(sb.data);
			errno = EFBIG;
			return NULL;
		}
	}
	err = ferror(f) ? (errno ? errno : EIO) : 0;
	fclose(f);
	if (err)
	{
		free(sb.data);
		errno = err;
		return NULL;
	}
	*lenp = sb.len;
	return sb_take(&sb);
}

/* Read the properties file into set; duplicate keys are an error. */
static int
read_properties(const char *path, Settings *set)
{
	size_t		size;
	char	   *text = slurp(path, 16 * 1024 * 1024, &size);
	const char *p;
	int			lineno = 0;

	if (text == NULL)
		return fail(NULL, NULL, "cannot read the configuration file \"%s\": %s; check the path given to -c",
					path, strerror(errno));
	if (strlen(text) != size)
		return fail(NULL, NULL, "the configuration file \"%s\" contains a NUL byte; is it a text file?", path);

	p = text;
	while (*p)
	{
		StrBuf		logical = {0};
		const char *s = p;
		const char *e = strchr(p, '\n');
		int			first = ++lineno;
		char		origin[PATH_MAX + 32];
		char	   *key = NULL;
		char	   *value = NULL;
		Setting    *prev;

		if (e == NULL)
			e = p + strlen(p);
		p = *e ? e + 1 : e;
		if (e > s && e[-1] == '\r')
			e--;
		while (s < e && is_blank(*s))
			s++;
		if (s == e || *s == '#' || *s == '!')
			continue;

		/* join continuation lines, dropping the next line's leading blanks */
		while (continues(s, e))
		{
			sb_addn(&logical, s, e - s - 1);
			if (*p == '\0')
			{
				e = s;
				break;
			}
			s = p;
			e = strchr(p, '\n');
			if (e == NULL)
				e = p + strlen(p);
			p = *e ? e + 1 : e;
			lineno++;
			if (e > s && e[-1] == '\r')
				e--;
			while (s < e && is_blank(*s))
				s++;
		}
		sb_addn(&logical, s, e - s);

		snprintf(origin, sizeof(origin), "%s:%d", path, first);
		if (parse_line(logical.data, origin, &key, &value) != 0)
			return 2;
		free(logical.data);
		if ((prev = find(set, key)) != NULL)
			return fail(origin, key, "set again (first at %s); keep only one", prev->origin);
		append(set, key, value, xstrdup(origin));
	}
	free(text);
	return 0;
}

/* ---------- ${...} expansion ---------- */

/*
 * Expand ${VAR} from the environment and ${file:/path} into the file's
 * contents (one trailing newline dropped).  $${ is a literal ${.
 */
static int
expand(Setting *s)
{
	StrBuf		out = {0};
	const char *p = s->value;

	if (strchr(p, '$') == NULL)
		return 0;
	while (*p)
	{
		if (p[0] == '$' && p[1] == '$' && p[2] == '{')
		{
			sb_add(&out, "${");
			p += 3;
		}
		else if (p[0] == '$' && p[1] == '{')
		{
			const char *close = strchr(p + 2, '}');
			char	   *inner;

			if (close == NULL)
				return FAIL(s, "\"${\" without a closing \"}\"; write ${NAME} or ${file:/path}, or $${ for a literal ${");
			inner = xmalloc(close - p - 1);
			memcpy(inner, p + 2, close - p - 2);
			inner[close - p - 2] = '\0';

			if (strncmp(inner, "file:", 5) == 0)
			{
				const char *path = inner + 5;
				size_t		len;
				char	   *data;

				if (*path == '\0')
					return FAIL(s, "${file:} names no file; write ${file:/path/to/file}");
				data = slurp(path, MAX_INCLUDED_FILE, &len);
				if (data == NULL)
					return FAIL(s, "cannot read ${file:%s}: %s; make the file readable by the shipper",
								path, errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
				if (strlen(data) != len)
					return FAIL(s, "${file:%s} contains a NUL byte; it must be text", path);
				if (len > 0 && data[len - 1] == '\n')
				{
					data[--len] = '\0';
					if (len > 0 && data[len - 1] == '\r')
						data[--len] = '\0';
				}
				sb_add(&out, data);
				free(data);
				s->from_file = true;
			}
			else
			{
				const char *q;
				const char *env;

				for (q = inner; *q; q++)
					if (!(isalnum((unsigned char) *q) || *q == '_'))
						break;
				if (*inner == '\0' || *q != '\0' || isdigit((unsigned char) *inner))
					return FAIL(s, "\"${%s}\" is not an environment variable name or file:/path; write ${NAME} or ${file:/path}, or $${ for a literal ${",
								inner);
				env = getenv(inner);
				if (env == NULL)
					return FAIL(s, "environment variable %s is not set; export it, or write $${ for a literal ${",
								inner);
				sb_add(&out, env);
			}
			free(inner);
			p = close + 1;
		}
		else
			sb_addc(&out, *p++);
	}
	free(s->value);
	s->value = sb_take(&out);
	return 0;
}

/* ---------- key checks ---------- */

/* The known key definition, or NULL. */
static const KeyDef *
keydef(const char *key)
{
	int			i;

	for (i = 0; i < NKEYS; i++)
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

/* Report an unknown key, with the closest known one if it is close. */
static int
unknown_key(const Setting *s)
{
	const char *best = NULL;
	int			best_d = 3;
	size_t		i;

	for (i = 0; i < sizeof(foreign_keys) / sizeof(foreign_keys[0]); i++)
		if (strcmp(foreign_keys[i].name, s->key) == 0)
			return FAIL(s, "not used by the shipper: %s", foreign_keys[i].hint);
	for (i = 0; i < (size_t) NKEYS; i++)
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
		return FAIL(s, "unknown key; did you mean %s?", best);
	return FAIL(s, "unknown key; see " PROG " --help for the keys (librdkafka settings take the prefix kafka.)");
}

/* ---------- typed values ---------- */

/* The setting for key, or a static one holding the default (NULL if none). */
static Setting *
get(Settings *set, const char *key)
{
	static Setting defaults[NKEYS];
	Setting    *s = find(set, key);
	const KeyDef *def;

	if (s != NULL)
		return s;
	def = keydef(key);
	if (def == NULL || def->def == NULL)
		return NULL;
	s = &defaults[def - known_keys];
	s->key = (char *) def->name;
	s->value = (char *) def->def;
	s->origin = NULL;
	s->from_file = false;
	return s;
}

/* A boolean: true or false, any case. */
static int
get_bool(Settings *set, const char *key, bool *out)
{
	Setting    *s = get(set, key);

	if (eqi(s->value, "true"))
		*out = true;
	else if (eqi(s->value, "false"))
		*out = false;
	else
		return FAIL(s, "%s is not a boolean; use true or false", shown(s));
	return 0;
}

/* An integer in [min, max]. */
static int
get_int(Settings *set, const char *key, int min, int max, int *out)
{
	Setting    *s = get(set, key);
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s->value, &end, 10);
	if (s->value[0] == '\0' || *end != '\0' || errno != 0 || isspace((unsigned char) s->value[0]))
		return FAIL(s, "%s is not an integer; write a number of milliseconds from %d to %d", shown(s), min, max);
	if (v < min || v > max)
		return FAIL(s, "%s is out of range; use %d to %d", shown(s), min, max);
	*out = (int) v;
	return 0;
}

/* One of a list of names (any case); *out gets its index. */
static int
get_enum(Settings *set, const char *key, const char *const *names, int *out)
{
	Setting    *s = get(set, key);
	StrBuf		list = {0};
	int			i;

	for (i = 0; names[i]; i++)
		if (eqi(s->value, names[i]))
		{
			*out = i;
			return 0;
		}
	for (i = 0; names[i]; i++)
	{
		if (i > 0)
			sb_add(&list, names[i + 1] ? ", " : " or ");
		sb_add(&list, names[i]);
	}
	return FAIL(s, "%s is not a valid value; use %s", shown(s), list.data);
}

/* A non-empty value (NULL when not given), optionally required. */
static const char *
get_str(Settings *set, const char *key)
{
	Setting    *s = get(set, key);

	return s && s->value[0] ? s->value : NULL;
}

/* A name usable in a Kafka topic: [A-Za-z0-9._-], 1..maxlen characters. */
static int
check_topic_part(const Setting *s, size_t maxlen)
{
	const char *p;

	if (s->value[0] == '\0')
		return FAIL(s, "is empty; topic names need at least one character");
	for (p = s->value; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '.' || *p == '_' || *p == '-'))
			return FAIL(s, "%s has a character Kafka does not allow in topic names; use only letters, digits, '.', '_' and '-'", shown(s));
	if (strlen(s->value) > maxlen)
		return FAIL(s, "%s is longer than %zu characters; Kafka topic names are at most 249", shown(s), maxlen);
	if (strcmp(s->value, ".") == 0 && strcmp(s->key, "topic.prefix") == 0)
		return FAIL(s, "\".\" is not a topic prefix; use a name such as emp-prod-events-bos-v2");
	return 0;
}

/* ---------- the connection ---------- */

/* Might this (unparsable) conninfo string hold a password? */
static bool
conninfo_has_password(const char *ci)
{
	const char *at;
	const char *colon;

	if (contains_i(ci, "password"))
		return true;
	if (strncmp(ci, "postgresql://", 13) == 0 || strncmp(ci, "postgres://", 11) == 0)
	{
		const char *rest = strstr(ci, "://") + 3;

		at = strchr(rest, '@');
		colon = strchr(rest, ':');
		return at != NULL && colon != NULL && colon < at;
	}
	return false;
}

/* Append keyword='value' with libpq's quoting; password may be masked. */
static void
conninfo_add(StrBuf *sb, const char *keyword, const char *value, bool mask)
{
	const char *p;

	if (sb->len)
		sb_addc(sb, ' ');
	sb_add(sb, keyword);
	sb_add(sb, "='");
	if (mask && strcmp(keyword, "password") == 0)
		value = MASK;
	for (p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			sb_addc(sb, '\\');
		sb_addc(sb, *p);
	}
	sb_addc(sb, '\'');
}

/* Render parsed options as a keyword string. */
static char *
conninfo_render(const PQconninfoOption *opts, bool mask)
{
	StrBuf		sb = {0};
	const PQconninfoOption *o;

	for (o = opts; o->keyword; o++)
		if (o->val != NULL)
			conninfo_add(&sb, o->keyword, o->val, mask);
	return sb_take(&sb);
}

/* Set one option of a parsed conninfo. */
static void
conninfo_set(PQconninfoOption *opts, const char *keyword, const char *value)
{
	PQconninfoOption *o;

	for (o = opts; o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0)
		{
			free(o->val);		/* libpq allocates with malloc */
			o->val = xstrdup(value);
			return;
		}
}

/*
 * Build cfg->conninfo from database.conninfo with the database.* keys folded
 * in, and cfg->dbname.  masked gets the same with the password hidden.
 */
static int
build_conninfo(Config *cfg, Settings *set, char **masked_given, char **masked)
{
	static const char *const folds[][2] = {
		{"database.hostname", "host"},
		{"database.port", "port"},
		{"database.user", "user"},
		{"database.password", "password"},
		{"database.dbname", "dbname"},
	};
	Setting    *ci = find(set, "database.conninfo");
	char	   *err = NULL;
	PQconninfoOption *opts;
	PQconninfoOption *o;
	size_t		i;

	opts = PQconninfoParse(ci ? ci->value : "", &err);
	if (opts == NULL)
	{
		char	   *nl;

		if (err == NULL)
			return FAIL(ci, "cannot be parsed (out of memory)");
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		if (conninfo_has_password(ci->value))
			return FAIL(ci, "not a valid libpq connection string or URI (details withheld: it holds a password); check its syntax, or give the password as database.password");
		return FAIL(ci, "not a valid libpq connection string or URI: %s; see libpq's \"Connection Strings\"", err);
	}
	*masked_given = conninfo_render(opts, true);

	for (i = 0; i < sizeof(folds) / sizeof(folds[0]); i++)
	{
		Setting    *s = find(set, folds[i][0]);

		if (s == NULL)
			continue;
		if (strcmp(folds[i][1], "port") == 0)
		{
			int			port;

			if (get_int(set, "database.port", 1, 65535, &port) != 0)
			{
				PQconninfoFree(opts);
				return 2;
			}
		}
		else if (s->value[0] == '\0' && strcmp(folds[i][1], "password") != 0)
		{
			PQconninfoFree(opts);
			return FAIL(s, "is empty; give a value or remove the line");
		}
		conninfo_set(opts, folds[i][1], s->value);
	}
	cfg->conninfo = conninfo_render(opts, false);
	*masked = conninfo_render(opts, true);
	cfg->dbname = NULL;
	for (o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL && o->val[0])
			cfg->dbname = xstrdup(o->val);
	PQconninfoFree(opts);
	return 0;
}

/* ---------- table and column filters ---------- */

enum
{
	TOK_LIT, TOK_SEP, TOK_STAR
};

/* Report a regex construct the decoder cannot express. */
static int
unsupported(const Setting *s, const char *entry, const char *what)
{
	return FAIL(s, "entry \"%s\" uses %s, which the database-side filter cannot express; "
				"supported: literal names, \".\" or \"\\.\" between name parts, \".*\", a leading ^ and a trailing $ "
				"(write alternatives as separate comma-separated entries)", entry, what);
}

/* Append a literal character, escaped for the decoder's glob syntax. */
static void
glob_literal(StrBuf *sb, char c)
{
	if (c == '\\' || c == '*' || c == ',' || c == '.' || c == ' ' || c == '\t')
		sb_addc(sb, '\\');
	sb_addc(sb, c);
}

/*
 * Emit the glob patterns of one tokenized entry: each ".*" (star) may stand
 * for some of the missing name separators, so every way of spreading the
 * `missing` separators over the stars is one pattern.
 */
static void
emit_globs(StrBuf *out, const char *tok, const char *lit, int ntok,
		   int *absorb, int star, int nstars, int missing, int *count)
{
	int			i;

	if (star == nstars)
	{
		int			si = 0;
		bool		wild = false;	/* the last thing added was a '*' */

		if (missing != 0)
			return;
		if (out->len)
			sb_addc(out, ',');
		for (i = 0; i < ntok; i++)
		{
			if (tok[i] == TOK_LIT)
			{
				glob_literal(out, lit[i]);
				wild = false;
			}
			else if (tok[i] == TOK_SEP)
			{
				sb_addc(out, '.');
				wild = false;
			}
			else
			{
				int			k;

				if (!wild)
					sb_addc(out, '*');
				for (k = 0; k < absorb[si]; k++)
					sb_add(out, ".*");
				wild = true;
				si++;
			}
		}
		(*count)++;
		return;
	}
	for (i = 0; i <= missing; i++)
	{
		absorb[star] = i;
		emit_globs(out, tok, lit, ntok, absorb, star + 1, nstars, missing - i, count);
	}
}

/*
 * Translate one Debezium regex (matched against the whole dotted name) into
 * decoder glob patterns with nparts name parts (1: message prefixes, where a
 * dot is literal).
 */
static int
translate_entry(const Setting *s, const char *entry, int nparts, StrBuf *out)
{
	size_t		len = strlen(entry);
	char	   *tok = xmalloc(len + 1);
	char	   *lit = xmalloc(len + 1);
	int		   *absorb;
	int			ntok = 0;
	int			nsep = 0;
	int			nstars = 0;
	int			count = 0;
	bool		part_empty = true;
	bool		empty_part = false;
	size_t		i;
	static const char *const shape[] = {NULL, "prefix", "schema.table", "schema.table.column"};

	for (i = 0; i < len; i++)
	{
		char		c = entry[i];
		char		what[32];
		char		t = TOK_LIT;

		if (c == '^' && i == 0)
			continue;
		if (c == '$' && i == len - 1)
			continue;
		if (c == '.')
		{
			if (entry[i + 1] == '*')
			{
				t = TOK_STAR;
				i++;
			}
			else if (nparts > 1)
				t = TOK_SEP;
		}
		else if (c == '\\')
		{
			c = entry[++i];
			if (c == '\0')
				return FAIL(s, "entry \"%s\" ends with a lone backslash; write \\\\ for a backslash", entry);
			if (isalnum((unsigned char) c))
			{
				snprintf(what, sizeof(what), "\"\\%c\"", c);
				return unsupported(s, entry, what);
			}
			if (c == '.' && nparts > 1)
				t = TOK_SEP;
		}
		else if (strchr("[](){}|+?*^$", c) != NULL)
		{
			snprintf(what, sizeof(what), "\"%c\"", c);
			return unsupported(s, entry, what);
		}

		if (t == TOK_SEP)
		{
			if (part_empty)
				empty_part = true;
			nsep++;
			part_empty = true;
		}
		else
			part_empty = false;
		if (t == TOK_STAR)
			nstars++;
		tok[ntok] = t;
		lit[ntok++] = c;
	}
	if (part_empty || empty_part)
		return FAIL(s, "entry \"%s\" has an empty name part; write %s", entry, shape[nparts]);
	if (nsep + 1 > nparts)
		return FAIL(s, "entry \"%s\" has more name parts than %s; a \".\" separates name parts (names with dots cannot be matched)",
					entry, shape[nparts]);
	if (nsep + 1 < nparts && nstars == 0)
		return FAIL(s, "entry \"%s\" can never match: Debezium matches the whole %s name; write %s, e.g. public\\.%s",
					entry, shape[nparts], shape[nparts], entry);

	absorb = xmalloc((nstars + 1) * sizeof(int));
	emit_globs(out, tok, lit, ntok, absorb, 0, nstars, nparts - 1 - nsep, &count);
	if (count > MAX_PATTERNS_PER_ENTRY)
		return FAIL(s, "entry \"%s\" has too many \".*\" to translate; name the parts, e.g. public\\..*", entry);
	free(absorb);
	free(tok);
	free(lit);
	return 0;
}

/* Append `"option" 'literal'` to the decoder option list. */
static void
add_option(StrBuf *opts, const char *option, const char *value)
{
	const char *p;

	sb_add(opts, opts->len ? ", \"" : "(\"");
	sb_add(opts, option);
	sb_add(opts, "\" '");
	for (p = value; *p; p++)
	{
		if (*p == '\'')
			sb_addc(opts, '\'');
		sb_addc(opts, *p);
	}
	sb_addc(opts, '\'');
}

/*
 * Translate a comma-separated list of regexes into the decoder option; an
 * empty list adds nothing.
 */
static int
pattern_list(StrBuf *opts, const Setting *s, const char *option, int nparts)
{
	StrBuf		globs = {0};
	const char *p;

	if (s == NULL)
		return 0;
	p = s->value;
	while (*p)
	{
		const char *start;
		const char *end;
		char	   *entry;

		while (isspace((unsigned char) *p))
			p++;
		start = p;
		while (*p && *p != ',')
			p += (p[0] == '\\' && p[1]) ? 2 : 1;
		end = p;
		while (end > start && isspace((unsigned char) end[-1]))
			end--;
		if (*p == ',')
			p++;
		if (end == start)
			continue;
		entry = xmalloc(end - start + 1);
		memcpy(entry, start, end - start);
		entry[end - start] = '\0';
		if (translate_entry(s, entry, nparts, &globs) != 0)
			return 2;
		free(entry);
	}
	if (globs.len)
		add_option(opts, option, globs.data);
	free(globs.data);
	return 0;
}

/* ---------- Kafka ---------- */

/* Settings that would let a change be lost; NULL when the setting is fine. */
static const char *
kafka_unsafe(const char *key, const char *value)
{
	if (strcmp(key, "acks") == 0 || strcmp(key, "request.required.acks") == 0)
	{
		if (!eqi(value, "all") && strcmp(value, "-1") != 0)
			return "anything but all lets a broker failure lose changes the slot has already passed; use all (the default) or remove the line";
	}
	else if (strcmp(key, "enable.idempotence") == 0)
	{
		if (!eqi(value, "true"))
			return "without idempotence a retried send can duplicate or reorder changes; remove the line (the shipper turns it on)";
	}
	else if (strcmp(key, "message.timeout.ms") == 0 || strcmp(key, "delivery.timeout.ms") == 0)
	{
		if (strcmp(value, "0") != 0)
			return "a finite timeout drops changes Kafka has not taken in time; use 0 (the default: the shipper spools while Kafka is down) or remove the line";
	}
	return NULL;
}

/* Check kafka.* against librdkafka and collect them in cfg->kafka. */
static int
build_kafka(Config *cfg, Settings *set)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int			i;
	int			n = 0;
	bool		servers = false;

	cfg->kafka = xmalloc((set->n + 1) * sizeof(KeyValue));
	for (i = 0; i < set->n; i++)
	{
		Setting    *s = &set->v[i];
		const char *key = s->key + 6;
		const char *why;
		char		errstr[512];

		if (strncmp(s->key, "kafka.", 6) != 0)
			continue;
		if ((why = kafka_unsafe(key, s->value)) != NULL)
		{
			rd_kafka_conf_destroy(conf);
			return FAIL(s, "%s refused: %s", shown(s), why);
		}
		errstr[0] = '\0';
		if (rd_kafka_conf_set(conf, key, s->value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		{
			rd_kafka_conf_destroy(conf);
			if (hidden(s) && (s->value[0] == '\0' || strstr(errstr, s->value) != NULL))
				return FAIL(s, "librdkafka refuses the value (not shown); see librdkafka's CONFIGURATION.md");
			return FAIL(s, "librdkafka: %s; see librdkafka's CONFIGURATION.md (kafka.<property>)",
						errstr[0] ? errstr : "refused");
		}
		if ((strcmp(key, "bootstrap.servers") == 0 || strcmp(key, "metadata.broker.list") == 0) &&
			s->value[0] != '\0')
			servers = true;
		cfg->kafka[n].key = xstrdup(key);
		cfg->kafka[n].value = xstrdup(s->value);
		n++;
	}
	rd_kafka_conf_destroy(conf);
	cfg->nkafka = n;
	if (cfg->sink == SINK_KAFKA && !servers)
		return fail(NULL, "kafka.bootstrap.servers",
					"is required when sink=kafka; set it to the brokers, e.g. kafka.bootstrap.servers=broker1:9092 (or sink=stdout to try without Kafka)");
	return 0;
}

/* ---------- the rest ---------- */

/* skipped.operations: c,u,d,t in any combination, or none. */
static int
build_skipped(Config *cfg, Settings *set)
{
	Setting    *s = get(set, "skipped.operations");
	const char *p = s->value;

	cfg->skipped_ops = 0;
	if (eqi(p, "none"))
		return 0;
	while (*p)
	{
		const char *start;
		size_t		len;

		while (isspace((unsigned char) *p))
			p++;
		start = p;
		while (*p && *p != ',' && !isspace((unsigned char) *p))
			p++;
		len = p - start;
		while (isspace((unsigned char) *p))
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			len = 0;
		if (len == 1 && strchr("cudt", tolower((unsigned char) *start)))
		{
			switch (tolower((unsigned char) *start))
			{
				case 'c':
					cfg->skipped_ops |= SKIP_CREATE;
					break;
				case 'u':
					cfg->skipped_ops |= SKIP_UPDATE;
					break;
				case 'd':
					cfg->skipped_ops |= SKIP_DELETE;
					break;
				default:
					cfg->skipped_ops |= SKIP_TRUNCATE;
					break;
			}
		}
		else
			return FAIL(s, "%s is not a list of operations; use c, u, d, t separated by commas, or none", shown(s));
	}
	return 0;
}

/* debezium.version: M.m.p.Qualifier, giving the wire layout. */
static int
build_version(Config *cfg, Settings *set)
{
	Setting    *s = get(set, "debezium.version");
	const char *p = s->value;
	long		major;
	long		minor;
	char	   *end;
	int			i;

	for (i = 0; i < 3; i++)
	{
		if (!isdigit((unsigned char) *p))
			break;
		while (isdigit((unsigned char) *p))
			p++;
		if (i < 2 && *p++ != '.')
			break;
	}
	if (i < 3 || *p != '.' || !isalpha((unsigned char) p[1]))
		return FAIL(s, "%s is not a Debezium version; write the full version that Debezium puts in source.version, e.g. 3.1.3.Final", shown(s));
	for (p++; *p; p++)
		if (!isalnum((unsigned char) *p))
			return FAIL(s, "%s is not a Debezium version; write the full version that Debezium puts in source.version, e.g. 3.1.3.Final", shown(s));

	major = strtol(s->value, &end, 10);
	minor = strtol(end + 1, NULL, 10);
	if (major < 2)
		return FAIL(s, "Debezium %s is not supported: the shipper reproduces 2.0 and later; upgrade the downstream's expectations to 2.0+", shown(s));
	if (major == 2 && minor <= 5)
		cfg->layout = DBZ_2_0;
	else if (major == 2 && minor == 6)
		cfg->layout = DBZ_2_6;
	else if (major == 2 || (major == 3 && minor == 0))
		cfg->layout = DBZ_2_7;
	else if (major == 3 && minor <= 4)
		cfg->layout = DBZ_3_1;
	else
		cfg->layout = DBZ_3_5;
	cfg->debezium_version = xstrdup(s->value);
	return 0;
}

/* snapshot.mode: only streaming for now. */
static int
check_snapshot(Settings *set)
{
	Setting    *s = get(set, "snapshot.mode");
	static const char *const later[] = {
		"initial", "always", "when_needed", "initial_only", "configuration_based", "custom", NULL
	};
	int			i;

	if (eqi(s->value, "no_data") || eqi(s->value, "never"))
		return 0;
	for (i = 0; later[i]; i++)
		if (eqi(s->value, later[i]))
			return FAIL(s, "\"%s\" is not supported yet; use no_data (stream changes only)", s->value);
	return FAIL(s, "%s is not a valid value; use no_data (or its alias never)", shown(s));
}

/* Print key=value so that it reads back the same; secrets masked. */
static void
print_setting(const char *key, const Setting *s)
{
	StrBuf		v = {0};
	const char *p;

	if (s == NULL)
	{
		printf("# %s is not set\n", key);
		return;
	}
	if (hidden(s) && s->value[0])
	{
		printf("%s=%s\n", key, MASK);
		return;
	}
	for (p = s->value; *p; p++)
	{
		if (*p == '\\')
			sb_add(&v, "\\\\");
		else if (*p == '\n')
			sb_add(&v, "\\n");
		else if (*p == '\r')
			sb_add(&v, "\\r");
		else if (*p == '\t')
			sb_add(&v, "\\t");
		else if (is_blank(*p) && (p == s->value || p[1] == '\0'))
		{
			sb_addc(&v, '\\');
			sb_addc(&v, *p);
		}
		else if (p[0] == '$' && p[1] == '{')
			sb_add(&v, "$$");
		else
			sb_addc(&v, *p);
	}
	printf("%s=%s\n", key, v.data ? v.data : "");
	free(v.data);
}

/* --help */
static void
usage(void)
{
	int			i;

	printf("%s streams a PostgreSQL cellcdc slot to Kafka as Debezium JSON.\n\n", PROG);
	printf("Usage:\n  %s -c FILE [-X key=value ...]\n\n", PROG);
	printf("Options:\n"
		   "  -c FILE          properties file (key=value lines)\n"
		   "  -X key=value     set a key, overriding the file (repeatable)\n"
		   "  --print-config   print the effective configuration and exit\n"
		   "  --version        print the version and exit\n"
		   "  --help           print this help and exit\n\n");
	printf("Keys [default]:\n");
	for (i = 0; i < NKEYS; i++)
	{
		char		name[64];

		snprintf(name, sizeof(name), "%s%s%s%s", known_keys[i].name,
				 known_keys[i].def ? " [" : "", known_keys[i].def ? known_keys[i].def : "",
				 known_keys[i].def ? "]" : "");
		printf("  %-46s %s\n", name, known_keys[i].help);
	}
	printf("  %-46s %s\n", "kafka.<property>", "passed to librdkafka (kafka.bootstrap.servers required)");
	printf("\nValues may use ${VAR} (environment), ${file:/path} (file contents) and $${ for a literal ${.\n");
}

/* The -X argument "key=value" as a setting. */
static int
add_override(Settings *xs, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *ks = arg;
	const char *ke;
	const char *vs;
	char	   *key;

	if (eq == NULL)
		return fail(NULL, NULL, "-X needs key=value (the argument has no \"=\"); write -X key=value");
	while (isspace((unsigned char) *ks))
		ks++;
	ke = eq;
	while (ke > ks && isspace((unsigned char) ke[-1]))
		ke--;
	if (ke == ks)
		return fail(NULL, NULL, "-X needs key=value (the key is empty); write -X key=value");
	vs = eq + 1;
	while (is_blank(*vs))
		vs++;
	key = xmalloc(ke - ks + 1);
	memcpy(key, ks, ke - ks);
	key[ke - ks] = '\0';
	append(xs, key, xstrdup(vs), NULL);
	return 0;
}

/* Show an unknown command-line argument up to any "=" (it may hold a secret). */
static int
bad_argument(const char *arg, const char *what)
{
	const char *eq = strchr(arg, '=');
	int			len = eq ? (int) (eq - arg) : (int) strlen(arg);

	return fail(NULL, NULL, "%s \"%.*s%s\"; see %s --help", what, len > 100 ? 100 : len, arg,
				eq ? "=..." : "", PROG);
}

/* Load argv into cfg; see config.h. */
int
config_load(Config *cfg, int argc, char **argv)
{
	static const char *const decimal_modes[] = {"precise", "string", "double", NULL};
	static const char *const time_modes[] = {"adaptive", "adaptive_time_microseconds", "connect", NULL};
	static const char *const binary_modes[] = {"bytes", "base64", "base64-url-safe", "hex", NULL};
	static const char *const sinks[] = {"kafka", "stdout", "null", NULL};
	Settings	set = {0};
	Settings	xs = {0};
	const char *file = NULL;
	bool		print = false;
	StrBuf		opts = {0};
	char	   *masked_given = NULL;
	char	   *masked = NULL;
	Setting    *s;
	Setting    *inc;
	Setting    *exc;
	int			mode;
	int			i;

	memset(cfg, 0, sizeof(*cfg));

	/* the command line */
	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage();
			return 1;
		}
		else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
		{
			printf("%s %s\n", PROG, SHIPPER_VERSION);
			return 1;
		}
		else if (strcmp(a, "--print-config") == 0)
			print = true;
		else if (strncmp(a, "-c", 2) == 0 && strncmp(a, "--", 2) != 0)
		{
			const char *path = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (path == NULL)
				return fail(NULL, NULL, "-c needs a file name; write -c shipper.properties");
			if (file != NULL)
				return fail(NULL, NULL, "-c is given twice; give one properties file (and -X for overrides)");
			file = path;
		}
		else if (strncmp(a, "-X", 2) == 0)
		{
			const char *kv = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (kv == NULL)
				return fail(NULL, NULL, "-X needs key=value; write -X key=value");
			if (add_override(&xs, kv) != 0)
				return 2;
		}
		else if (a[0] == '-')
			return bad_argument(a, "unknown option");
		else
			return bad_argument(a, "unexpected argument");
	}

	/* the file, then -X on top (the last -X of a key wins) */
	if (file != NULL && read_properties(file, &set) != 0)
		return 2;
	for (i = 0; i < xs.n; i++)
	{
		Setting    *x = &xs.v[i];

		if ((s = find(&set, x->key)) != NULL)
		{
			s->value = x->value;
			s->origin = NULL;
		}
		else
			append(&set, x->key, x->value, NULL);
	}

	/* every key known, then every value expanded */
	for (i = 0; i < set.n; i++)
	{
		s = &set.v[i];
		if (strncmp(s->key, "kafka.", 6) == 0)
		{
			if (s->key[6] == '\0')
				return FAIL(s, "names no librdkafka property; write kafka.<property>, e.g. kafka.bootstrap.servers");
		}
		else if (keydef(s->key) == NULL)
			return unknown_key(s);
	}
	for (i = 0; i < set.n; i++)
		if (expand(&set.v[i]) != 0)
			return 2;

	/* topics */
	s = find(&set, "topic.prefix");
	if (s == NULL || s->value[0] == '\0')
		return fail(s ? s->origin : NULL, "topic.prefix",
					"is required; set it to the Debezium connector's topic.prefix, e.g. topic.prefix=emp-prod-events-bos-v2");
	if (check_topic_part(s, 200) != 0 ||
		check_topic_part(get(&set, "topic.delimiter"), 10) != 0 ||
		check_topic_part(get(&set, "topic.transaction"), 40) != 0)
		return 2;
	cfg->topic_prefix = xstrdup(s->value);
	cfg->topic_delimiter = xstrdup(get(&set, "topic.delimiter")->value);
	cfg->topic_transaction = xstrdup(get(&set, "topic.transaction")->value);

	/* the database */
	if (build_conninfo(cfg, &set, &masked_given, &masked) != 0)
		return 2;
	s = get(&set, "slot.name");
	{
		const char *p;

		for (p = s->value; *p; p++)
			if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_'))
				break;
		if (s->value[0] == '\0' || *p != '\0' || strlen(s->value) > 63)
			return FAIL(s, "%s is not a valid replication slot name; use 1 to 63 lower-case letters, digits and underscores", shown(s));
		cfg->slot_name = xstrdup(s->value);
	}

	/* filters, done by the decoder */
	inc = find(&set, "table.include.list");
	exc = find(&set, "table.exclude.list");
	if (inc && exc && get_str(&set, "table.include.list") && get_str(&set, "table.exclude.list"))
		return FAIL(exc, "cannot be combined with table.include.list (as in Debezium); keep one of the two");
	add_option(&opts, "format_version", STRINGIFY(CDC_FORMAT_VERSION));
	if (pattern_list(&opts, inc, "include_tables", 2) != 0 ||
		pattern_list(&opts, exc, "exclude_tables", 2) != 0 ||
		pattern_list(&opts, find(&set, "column.exclude.list"), "exclude_columns", 3) != 0 ||
		pattern_list(&opts, find(&set, "message.prefix.include.list"), "message_prefixes", 1) != 0)
		return 2;
	add_option(&opts, "skip_empty_xacts", "true");
	sb_addc(&opts, ')');
	cfg->decoder_options = sb_take(&opts);

	/* the messages */
	if (get_bool(&set, "tombstones.on.delete", &cfg->tombstones) != 0 ||
		get_bool(&set, "key.converter.schemas.enable", &cfg->key_schemas) != 0 ||
		get_bool(&set, "value.converter.schemas.enable", &cfg->value_schemas) != 0 ||
		get_bool(&set, "provide.transaction.metadata", &cfg->tx_metadata) != 0)
		return 2;
	if (get_enum(&set, "decimal.handling.mode", decimal_modes, &mode) != 0)
		return 2;
	cfg->decimal_mode = (DecimalMode) mode;
	s = get(&set, "time.precision.mode");
	if (eqi(s->value, "isostring") || eqi(s->value, "microseconds") || eqi(s->value, "nanoseconds"))
		return FAIL(s, "\"%s\" is not supported; use adaptive, adaptive_time_microseconds or connect", s->value);
	if (get_enum(&set, "time.precision.mode", time_modes, &mode) != 0)
		return 2;
	cfg->time_mode = (TimeMode) mode;
	if (get_enum(&set, "binary.handling.mode", binary_modes, &mode) != 0)
		return 2;
	cfg->binary_mode = (BinaryMode) mode;
	if (build_skipped(cfg, &set) != 0)
		return 2;
	cfg->placeholder = xstrdup(get(&set, "unavailable.value.placeholder")->value);
	if (check_snapshot(&set) != 0 || build_version(cfg, &set) != 0)
		return 2;

	/* where they go */
	if (get_enum(&set, "sink", sinks, &mode) != 0)
		return 2;
	cfg->sink = (SinkKind) mode;
	if (build_kafka(cfg, &set) != 0)
		return 2;

	/* timing */
	if (get_int(&set, "status.interval.ms", 100, 3600000, &cfg->status_interval_ms) != 0 ||
		get_int(&set, "database.reconnect.backoff.ms", 1, 3600000, &cfg->backoff_initial_ms) != 0 ||
		get_int(&set, "database.reconnect.backoff.max.ms", 1, 3600000, &cfg->backoff_max_ms) != 0 ||
		get_int(&set, "shutdown.timeout.ms", 1, 3600000, &cfg->shutdown_timeout_ms) != 0)
		return 2;
	if (cfg->backoff_max_ms < cfg->backoff_initial_ms)
		return FAIL(get(&set, "database.reconnect.backoff.max.ms"),
					"%d is below database.reconnect.backoff.ms (%d); raise it or lower the other",
					cfg->backoff_max_ms, cfg->backoff_initial_ms);

	if (print)
	{
		for (i = 0; i < NKEYS; i++)
		{
			const char *key = known_keys[i].name;

			if (strcmp(key, "database.conninfo") == 0 && (s = find(&set, key)) != NULL)
				printf("%s=%s\n", key, masked_given);
			else
				print_setting(key, get(&set, key));
		}
		for (i = 0; i < set.n; i++)
			if (strncmp(set.v[i].key, "kafka.", 6) == 0)
				print_setting(set.v[i].key, &set.v[i]);
		printf("# effective conninfo: %s\n", masked[0] ? masked : "(libpq's defaults and PG* variables)");
		printf("# decoder options: %s\n", cfg->decoder_options);
		return 1;
	}
	free(masked_given);
	free(masked);
	/* TEMPORARY until the config split lands */
	cfg->errors_max_retries = getenv("T_RETRIES") ? atoi(getenv("T_RETRIES")) : 10;
	cfg->errors_tolerate = getenv("T_DLQ") != NULL;
	cfg->dlq_topic = getenv("T_DLQ");
	cfg->progress_interval_ms = getenv("T_PROGRESS") ? atoi(getenv("T_PROGRESS")) : 60000;
	cfg->offset_topic = "cellcdc-offsets";
	cfg->startup_timeout_ms = 10000;
	cfg->new_slot = getenv("T_NEW_SLOT") != NULL;
	cfg->log_json = getenv("T_JSON") != NULL;
	return 0;
}
