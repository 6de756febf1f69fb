/*
 * load.c
 *		config_load(): the command line, the file and -X into a checked
 *		Config, or one line per problem and exit status 2.
 *
 * Order: the arguments, the file, -X on top of it (the last -X of a key
 * wins), every key known, every value expanded, then each concern checks
 * its keys.  --help, --version and --print-config are answered here too,
 * since they are about the configuration; --print-config prints what the
 * shipper would run with, secrets masked, so it can be diffed and reviewed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "record.h"

#ifndef SHIPPER_VERSION
#define SHIPPER_VERSION "0.1.0"
#endif

#define STRINGIFY_(x)	#x
#define STRINGIFY(x)	STRINGIFY_(x)
/* skipped.operations: c,u,d,t in any combination, or none. */
static int
build_skipped(Config *cfg, Settings *set)
{
	Setting    *s = key_get(set, "skipped.operations");
	const char *p = s->value;

	cfg->skipped_ops = 0;
	if (str_eqi(p, "none"))
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
			return PROBLEM(s, "%s is not a list of operations; use c, u, d, t separated by commas, or none", setting_shown(s));
	}
	return 0;
}

/* debezium.version: M.m.p.Qualifier, giving the wire layout. */
static int
build_version(Config *cfg, Settings *set)
{
	Setting    *s = key_get(set, "debezium.version");
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
		return PROBLEM(s, "%s is not a Debezium version; write the full version that Debezium puts in source.version, e.g. 3.1.3.Final", setting_shown(s));
	for (p++; *p; p++)
		if (!isalnum((unsigned char) *p))
			return PROBLEM(s, "%s is not a Debezium version; write the full version that Debezium puts in source.version, e.g. 3.1.3.Final", setting_shown(s));

	major = strtol(s->value, &end, 10);
	minor = strtol(end + 1, NULL, 10);
	if (major < 2)
		return PROBLEM(s, "Debezium %s is not supported: the shipper reproduces 2.0 and later; upgrade the downstream's expectations to 2.0+", setting_shown(s));
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
	Setting    *s = key_get(set, "snapshot.mode");
	static const char *const later[] = {
		"initial", "always", "when_needed", "initial_only", "configuration_based", "custom", NULL
	};
	int			i;

	if (str_eqi(s->value, "no_data") || str_eqi(s->value, "never"))
		return 0;
	for (i = 0; later[i]; i++)
		if (str_eqi(s->value, later[i]))
			return PROBLEM(s, "\"%s\" is not supported yet; use no_data (stream changes only)", s->value);
	return PROBLEM(s, "%s is not a valid value; use no_data (or its alias never)", setting_shown(s));
}

/* Print key=value so that it reads back the same; secrets masked. */
static void
print_setting(const char *key, const Setting *s)
{
	Buf			v = {0};
	const char *p;

	if (s == NULL)
	{
		printf("# %s is not set\n", key);
		return;
	}
	if (setting_hidden(s) && s->value[0])
	{
		printf("%s=%s\n", key, MASK);
		return;
	}
	for (p = s->value; *p; p++)
	{
		if (*p == '\\')
			buf_puts(&v, "\\\\");
		else if (*p == '\n')
			buf_puts(&v, "\\n");
		else if (*p == '\r')
			buf_puts(&v, "\\r");
		else if (*p == '\t')
			buf_puts(&v, "\\t");
		else if (properties_blank(*p) && (p == s->value || p[1] == '\0'))
		{
			buf_putc(&v, '\\');
			buf_putc(&v, *p);
		}
		else if (p[0] == '$' && p[1] == '{')
			buf_puts(&v, "$$");
		else
			buf_putc(&v, *p);
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
	for (i = 0; i < nknown_keys; i++)
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

/* Show an unknown command-line argument up to any "=" (it may hold a secret). */
static int
bad_argument(const char *arg, const char *what)
{
	const char *eq = strchr(arg, '=');
	int			len = eq ? (int) (eq - arg) : (int) strlen(arg);

	return print_problem(NULL, NULL, "%s \"%.*s%s\"; see %s --help", what, len > 100 ? 100 : len, arg,
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
	Buf			opts = {0};
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
				return print_problem(NULL, NULL, "-c needs a file name; write -c shipper.properties");
			if (file != NULL)
				return print_problem(NULL, NULL, "-c is given twice; give one properties file (and -X for overrides)");
			file = path;
		}
		else if (strncmp(a, "-X", 2) == 0)
		{
			const char *kv = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (kv == NULL)
				return print_problem(NULL, NULL, "-X needs key=value; write -X key=value");
			if (properties_override(&xs, kv) != 0)
				return 2;
		}
		else if (a[0] == '-')
			return bad_argument(a, "unknown option");
		else
			return bad_argument(a, "unexpected argument");
	}

	/* the file, then -X on top (the last -X of a key wins) */
	if (file != NULL && properties_read(file, &set) != 0)
		return 2;
	for (i = 0; i < xs.n; i++)
	{
		Setting    *x = &xs.v[i];

		if ((s = settings_find(&set, x->key)) != NULL)
		{
			s->value = x->value;
			s->origin = NULL;
		}
		else
			settings_add(&set, x->key, x->value, NULL);
	}

	/* every key known, then every value expanded */
	for (i = 0; i < set.n; i++)
	{
		s = &set.v[i];
		if (strncmp(s->key, "kafka.", 6) == 0)
		{
			if (s->key[6] == '\0')
				return PROBLEM(s, "names no librdkafka property; write kafka.<property>, e.g. kafka.bootstrap.servers");
		}
		else if (key_def(s->key) == NULL)
			return key_unknown(s);
	}
	for (i = 0; i < set.n; i++)
		if (properties_expand(&set.v[i]) != 0)
			return 2;

	/* topics */
	s = settings_find(&set, "topic.prefix");
	if (s == NULL || s->value[0] == '\0')
		return print_problem(s ? s->origin : NULL, "topic.prefix",
					"is required; set it to the Debezium connector's topic.prefix, e.g. topic.prefix=emp-prod-events-bos-v2");
	if (key_topic_part(s, 200) != 0 ||
		key_topic_part(key_get(&set, "topic.delimiter"), 10) != 0 ||
		key_topic_part(key_get(&set, "topic.transaction"), 40) != 0)
		return 2;
	cfg->topic_prefix = xstrdup(s->value);
	cfg->topic_delimiter = xstrdup(key_get(&set, "topic.delimiter")->value);
	cfg->topic_transaction = xstrdup(key_get(&set, "topic.transaction")->value);

	/* the database */
	if (conninfo_build(cfg, &set, &masked_given, &masked) != 0)
		return 2;
	s = key_get(&set, "slot.name");
	{
		const char *p;

		for (p = s->value; *p; p++)
			if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_'))
				break;
		if (s->value[0] == '\0' || *p != '\0' || strlen(s->value) > 63)
			return PROBLEM(s, "%s is not a valid replication slot name; use 1 to 63 lower-case letters, digits and underscores", setting_shown(s));
		cfg->slot_name = xstrdup(s->value);
	}

	/* filters, done by the decoder */
	inc = settings_find(&set, "table.include.list");
	exc = settings_find(&set, "table.exclude.list");
	if (inc && exc && key_str(&set, "table.include.list") && key_str(&set, "table.exclude.list"))
		return PROBLEM(exc, "cannot be combined with table.include.list (as in Debezium); keep one of the two");
	filters_add_option(&opts, "format_version", STRINGIFY(CDC_FORMAT_VERSION));
	if (filters_translate(&opts, inc, "include_tables", 2) != 0 ||
		filters_translate(&opts, exc, "exclude_tables", 2) != 0 ||
		filters_translate(&opts, settings_find(&set, "column.exclude.list"), "exclude_columns", 3) != 0 ||
		filters_translate(&opts, settings_find(&set, "message.prefix.include.list"), "message_prefixes", 1) != 0)
		return 2;
	filters_add_option(&opts, "skip_empty_xacts", "true");
	buf_putc(&opts, ')');
	cfg->decoder_options = buf_take(&opts, NULL);

	/* the messages */
	if (key_bool(&set, "tombstones.on.delete", &cfg->tombstones) != 0 ||
		key_bool(&set, "key.converter.schemas.enable", &cfg->key_schemas) != 0 ||
		key_bool(&set, "value.converter.schemas.enable", &cfg->value_schemas) != 0 ||
		key_bool(&set, "provide.transaction.metadata", &cfg->tx_metadata) != 0)
		return 2;
	if (key_enum(&set, "decimal.handling.mode", decimal_modes, &mode) != 0)
		return 2;
	cfg->decimal_mode = (DecimalMode) mode;
	s = key_get(&set, "time.precision.mode");
	if (str_eqi(s->value, "isostring") || str_eqi(s->value, "microseconds") || str_eqi(s->value, "nanoseconds"))
		return PROBLEM(s, "\"%s\" is not supported; use adaptive, adaptive_time_microseconds or connect", s->value);
	if (key_enum(&set, "time.precision.mode", time_modes, &mode) != 0)
		return 2;
	cfg->time_mode = (TimeMode) mode;
	if (key_enum(&set, "binary.handling.mode", binary_modes, &mode) != 0)
		return 2;
	cfg->binary_mode = (BinaryMode) mode;
	if (build_skipped(cfg, &set) != 0)
		return 2;
	cfg->placeholder = xstrdup(key_get(&set, "unavailable.value.placeholder")->value);
	if (check_snapshot(&set) != 0 || build_version(cfg, &set) != 0)
		return 2;

	/* where they go */
	if (key_enum(&set, "sink", sinks, &mode) != 0)
		return 2;
	cfg->sink = (SinkKind) mode;
	if (kafka_build(cfg, &set) != 0)
		return 2;

	/* timing */
	if (key_int(&set, "status.interval.ms", 100, 3600000, &cfg->status_interval_ms) != 0 ||
		key_int(&set, "database.reconnect.backoff.ms", 1, 3600000, &cfg->backoff_initial_ms) != 0 ||
		key_int(&set, "database.reconnect.backoff.max.ms", 1, 3600000, &cfg->backoff_max_ms) != 0 ||
		key_int(&set, "shutdown.timeout.ms", 1, 3600000, &cfg->shutdown_timeout_ms) != 0)
		return 2;
	if (cfg->backoff_max_ms < cfg->backoff_initial_ms)
		return PROBLEM(key_get(&set, "database.reconnect.backoff.max.ms"),
					"%d is below database.reconnect.backoff.ms (%d); raise it or lower the other",
					cfg->backoff_max_ms, cfg->backoff_initial_ms);

	if (print)
	{
		for (i = 0; i < nknown_keys; i++)
		{
			const char *key = known_keys[i].name;

			if (strcmp(key, "database.conninfo") == 0 && (s = settings_find(&set, key)) != NULL)
				printf("%s=%s\n", key, masked_given);
			else
				print_setting(key, key_get(&set, key));
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
	return 0;
}
