/*
 * load.c
 *		config_load(): the command line, the file and -X into a checked
 *		Config, or one line per problem and exit status 2.
 *
 * Order: the arguments, the file, -X on top of it (the last -X of a key
 * wins), every key known, every value expanded, then each concern checks
 * its keys.  Every problem is recorded and checking goes on, so that one
 * run reports all of them; only a malformed command line or an unreadable
 * file stops early, since nothing after them would mean anything.
 * --help, --version and --print-config are answered here too, since they
 * are about the configuration; --print-config prints what the shipper
 * would run with, secrets masked, so it can be diffed and reviewed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

#ifndef SHIPPER_VERSION
#define SHIPPER_VERSION "0.2.0"
#endif

/* What the command line asks for. */
typedef enum Request
{
	REQ_RUN, REQ_PRINT, REQ_HELP, REQ_VERSION
} Request;

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
	buf_free(&v);
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
		   "  --new-slot       create the slot afresh although this shipper streamed it\n"
		   "                   before (after the slot was dropped or invalidated)\n"
		   "  --snapshot SCHEMA.TABLE [--filter SQL]\n"
		   "                   ask the running shipper of this slot for an incremental\n"
		   "                   snapshot of the table (rows matching the filter), and exit\n"
		   "  --stop-snapshot SCHEMA.TABLE|all, --pause-snapshots, --resume-snapshots\n"
		   "                   stop, pause or resume its incremental snapshots, and exit\n"
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

/* Record an unknown command-line argument, up to any "=" (it may hold a secret). */
static void
bad_argument(Load *ld, int order, const char *arg, const char *what)
{
	const char *eq = strchr(arg, '=');
	int			len = eq ? (int) (eq - arg) : (int) strlen(arg);

	problem_at(ld, order, NULL, NULL, "%s \"%.*s%s\"; see %s --help", what,
			   len > 100 ? 100 : len, arg, eq ? "=..." : "", PROG);
}

/*
 * Read argv: -c into *file, -X into xs, --new-slot into cfg, problems into
 * ld.  --help and --version answer at once, whatever else is given.
 */
static Request
read_arguments(Load *ld, int argc, char **argv, const char **file, Settings *xs,
			   Config *cfg)
{
	Request		req = REQ_RUN;
	int			i;

	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		int			order = ORDER_ARGS + i;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return REQ_HELP;
		else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
			return REQ_VERSION;
		else if (strcmp(a, "--print-config") == 0)
			req = REQ_PRINT;
		else if (strcmp(a, "--new-slot") == 0)
			cfg->new_slot = true;
		else if (strcmp(a, "--snapshot") == 0 || strcmp(a, "--stop-snapshot") == 0 ||
				 strcmp(a, "--filter") == 0)
		{
			const char *v = i + 1 < argc ? argv[++i] : NULL;

			if (v == NULL)
				problem_at(ld, order, NULL, NULL, "%s needs a value; see %s --help", a, PROG);
			else if (strcmp(a, "--filter") == 0)
				cfg->request_filter = v;
			else
			{
				cfg->request_action = a[2] == 's' && a[3] == 'n' ? "execute" : "stop";
				cfg->request_table = strcmp(v, "all") == 0 && a[3] == 't' ? NULL : v;
			}
		}
		else if (strcmp(a, "--pause-snapshots") == 0 || strcmp(a, "--resume-snapshots") == 0)
			cfg->request_action = a[2] == 'p' ? "pause" : "resume";
		else if (strncmp(a, "-c", 2) == 0 && strncmp(a, "--", 2) != 0)
		{
			const char *path = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (path == NULL)
				problem_at(ld, order, NULL, NULL, "-c needs a file name; write -c shipper.properties");
			else if (*file != NULL)
				problem_at(ld, order, NULL, NULL, "-c is given twice; give one properties file (and -X for overrides)");
			else
				*file = path;
		}
		else if (strncmp(a, "-X", 2) == 0)
		{
			const char *kv = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

			if (kv == NULL)
				problem_at(ld, order, NULL, NULL, "-X needs key=value; write -X key=value");
			else
				properties_override(ld, xs, kv, order);
		}
		else if (a[0] == '-')
			bad_argument(ld, order, a, "unknown option");
		else
			bad_argument(ld, order, a, "unexpected argument");
	}
	if (cfg->request_filter && (cfg->request_action == NULL || strcmp(cfg->request_action, "execute") != 0))
		problem_at(ld, ORDER_ARGS + argc, NULL, NULL, "--filter goes with --snapshot TABLE");
	return req;
}

/* Put -X settings over the file's (the strings are taken over). */
static void
merge_overrides(Load *ld, Settings *xs)
{
	int			i;

	for (i = 0; i < xs->n; i++)
	{
		Setting    *x = &xs->v[i];
		Setting    *s = settings_find(&ld->set, x->key);

		if (s == NULL)
		{
			settings_add(&ld->set, x->key, x->value, NULL, x->order);
			continue;
		}
		free(s->value);
		free(s->origin);
		free(x->key);
		s->value = x->value;
		s->origin = NULL;
		s->order = x->order;
	}
	free(xs->v);
}

/* Every key known (kafka.* are checked later, by librdkafka). */
static void
check_names(Load *ld)
{
	int			i;

	for (i = 0; i < ld->set.n; i++)
	{
		Setting    *s = &ld->set.v[i];

		if (strncmp(s->key, "kafka.", 6) == 0)
		{
			if (s->key[6] == '\0')
				problem(ld, s, "names no librdkafka property; write kafka.<property>, e.g. kafka.bootstrap.servers");
		}
		else if (key_def(s->key) == NULL)
			key_unknown(ld, s);
	}
}

/* topic.prefix (required), topic.delimiter, topic.transaction. */
static void
build_topics(Load *ld, Config *cfg)
{
	Setting    *s = settings_find(&ld->set, "topic.prefix");

	if (s == NULL || (!s->bad && s->value[0] == '\0'))
		problem_at(ld, s ? s->order : ORDER_LAST, s ? s->origin : NULL, "topic.prefix",
				   "is required; set it to the Debezium connector's topic.prefix, e.g. topic.prefix=emp-prod-events-bos-v2");
	else if (key_topic_part(ld, s, 200))
		cfg->topic_prefix = xstrdup(s->value);
	if (key_topic_part(ld, key_get(ld, "topic.delimiter"), 10))
		cfg->topic_delimiter = xstrdup(key_get(ld, "topic.delimiter")->value);
	if (key_topic_part(ld, key_get(ld, "topic.transaction"), 40))
		cfg->topic_transaction = xstrdup(key_get(ld, "topic.transaction")->value);
}

/* slot.name: what PostgreSQL accepts as a replication slot name. */
static void
build_slot(Load *ld, Config *cfg)
{
	Setting    *s = key_get(ld, "slot.name");
	const char *p;

	if (s->bad)
		return;
	for (p = s->value; *p; p++)
		if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_'))
			break;
	if (s->value[0] == '\0' || *p != '\0' || strlen(s->value) > 63)
		problem(ld, s, "%s is not a valid replication slot name; use 1 to 63 lower-case letters, digits and underscores",
				setting_shown(s));
	else
		cfg->slot_name = xstrdup(s->value);
}

/* spool.*: only Kafka can be away, so only sink=kafka spools. */
static void
build_spool(Load *ld, Config *cfg)
{
	Setting    *dir = settings_find(&ld->set, "spool.dir");

	key_int64(ld, "spool.max.bytes", 1048576, INT64_MAX, "a number of bytes", &cfg->spool_max_bytes);
	key_int(ld, "spool.after.ms", 100, 3600000, "a number of milliseconds", &cfg->spool_after_ms);
	if (dir == NULL || dir->bad || dir->value[0] == '\0')
		return;
	if (cfg->sink != SINK_KAFKA)
		problem(ld, dir, "is set but sink is not kafka: only Kafka can be away; remove spool.dir");
	else if (strlen(dir->value) > SPOOL_DIR_MAX)
		problem(ld, dir, "is longer than %d characters; use a shorter path", SPOOL_DIR_MAX);
	else
		cfg->spool_dir = xstrdup(dir->value);
}

/* sink, and the timing keys. */
static void
build_delivery(Load *ld, Config *cfg)
{
	static const char *const sinks[] = {"kafka", "stdout", "null", NULL};
	int			mode;
	bool		initial_ok;

	if (key_enum(ld, "sink", sinks, &mode))
		cfg->sink = (SinkKind) mode;
	kafka_build(ld, cfg);

	key_int(ld, "status.interval.ms", 100, 3600000, "a number of milliseconds", &cfg->status_interval_ms);
	initial_ok = key_int(ld, "database.reconnect.backoff.ms", 1, 3600000, "a number of milliseconds",
						 &cfg->backoff_initial_ms);
	if (key_int(ld, "database.reconnect.backoff.max.ms", 1, 3600000, "a number of milliseconds",
				&cfg->backoff_max_ms) &&
		initial_ok && cfg->backoff_max_ms < cfg->backoff_initial_ms)
		problem(ld, key_get(ld, "database.reconnect.backoff.max.ms"),
				"%d is below database.reconnect.backoff.ms (%d); raise it or lower the other",
				cfg->backoff_max_ms, cfg->backoff_initial_ms);
	key_int(ld, "shutdown.timeout.ms", 1, 3600000, "a number of milliseconds", &cfg->shutdown_timeout_ms);
	key_int(ld, "startup.timeout.ms", 1000, 3600000, "a number of milliseconds", &cfg->startup_timeout_ms);
	if (key_topic(ld, key_get(ld, "offset.storage.topic")))
		cfg->offset_topic = xstrdup(key_get(ld, "offset.storage.topic")->value);
	build_spool(ld, cfg);
}

/*
 * errors.*: how often the same failure is retried, and whether a change
 * that cannot be rendered or delivered stops the shipper or goes to the
 * dead-letter topic.  Never a silent drop: all needs a topic.
 */
static void
build_errors(Load *ld, Config *cfg)
{
	static const char *const tolerances[] = {"none", "all", NULL};
	Setting    *tolerance = key_get(ld, "errors.tolerance");
	Setting    *dlq = settings_find(&ld->set, "errors.deadletterqueue.topic.name");
	int			mode;

	key_int(ld, "errors.max.retries", -1, 1000000, "a number of retries (-1: no limit)",
			&cfg->errors_max_retries);
	if (dlq != NULL && !dlq->bad && dlq->value[0] != '\0' && key_topic(ld, dlq))
	{
		cfg->dlq_topic = xstrdup(dlq->value);
		if (cfg->offset_topic && strcmp(cfg->dlq_topic, cfg->offset_topic) == 0)
			problem(ld, dlq, "is offset.storage.topic too; give the dead-letter queue a topic of its own");
	}
	if (key_enum(ld, "errors.tolerance", tolerances, &mode))
	{
		cfg->errors_tolerate = mode == 1;
		if (cfg->errors_tolerate && cfg->dlq_topic == NULL && (dlq == NULL || !dlq->bad))
			problem(ld, tolerance, "all needs errors.deadletterqueue.topic.name, the topic where changes that cannot be rendered or delivered go (nothing is dropped silently); set it, e.g. errors.deadletterqueue.topic.name=cellcdc-dlq, or use errors.tolerance=none");
	}
}

/* log.format, log.progress.interval.ms. */
static void
build_logging(Load *ld, Config *cfg)
{
	static const char *const formats[] = {"text", "json", NULL};
	int			mode;

	if (key_enum(ld, "log.format", formats, &mode))
		cfg->log_json = mode == 1;
	if (key_int(ld, "log.progress.interval.ms", 0, 86400000, "a number of milliseconds (0: off)",
				&cfg->progress_interval_ms) &&
		cfg->progress_interval_ms > 0 && cfg->progress_interval_ms < 1000)
		problem(ld, key_get(ld, "log.progress.interval.ms"),
				"%d is below 1000; use 0 (no progress lines) or 1000 to 86400000",
				cfg->progress_interval_ms);
}

/* --print-config: every key (secrets masked), then the results as comments. */
static void
print_config(Load *ld, const Config *cfg, const char *masked_given, const char *masked)
{
	int			i;

	for (i = 0; i < nknown_keys; i++)
	{
		const char *key = known_keys[i].name;
		Setting    *s = key_get(ld, key);

		/* the conninfo with libpq's secrets masked, unless all of it is one */
		if (s && !s->from_file && strcmp(key, "database.conninfo") == 0)
			printf("%s=%s\n", key, masked_given);
		else
			print_setting(key, s);
	}
	for (i = 0; i < ld->set.n; i++)
		if (strncmp(ld->set.v[i].key, "kafka.", 6) == 0)
			print_setting(ld->set.v[i].key, &ld->set.v[i]);
	printf("# effective conninfo: %s\n", masked);
	printf("# decoder options: %s\n", cfg->decoder_options);
	if (cfg->new_slot)
		printf("# --new-slot: the slot is created afresh\n");
}

/* Free a list of settings and their strings. */
static void
free_settings(Settings *set)
{
	int			i;

	for (i = 0; i < set->n; i++)
	{
		free(set->v[i].key);
		free(set->v[i].value);
		free(set->v[i].origin);
	}
	free(set->v);
}

/*
 * The file, then -X over it, into ld->set (xs is taken over).  false when
 * checking stops early: a malformed command line, no configuration at all,
 * or a file that cannot be read.
 */
static bool
read_settings(Load *ld, const char *file, Settings *xs)
{
	bool		go_on = ld->nproblems == 0;

	if (go_on && file == NULL && xs->n == 0)
		go_on = problem_at(ld, ORDER_LAST, NULL, "topic.prefix",
						   "is required; set it to the Debezium connector's topic.prefix (no configuration given: write a properties file and run %s -c FILE; see --help)",
						   PROG);
	if (go_on && file != NULL)
		go_on = properties_read(ld, file);
	merge_overrides(ld, xs);
	return go_on;
}

/* Load argv into cfg; see config.h. */
int
config_load(Config *cfg, int argc, char **argv)
{
	Load		ld = {0};
	Settings	xs = {0};
	const char *file = NULL;
	char	   *masked_given = NULL;
	char	   *masked = NULL;
	Request		req;
	int			rc = 0;
	int			i;

	memset(cfg, 0, sizeof(*cfg));
	req = read_arguments(&ld, argc, argv, &file, &xs, cfg);
	if (req == REQ_HELP || req == REQ_VERSION)
	{
		if (req == REQ_HELP)
			usage();
		else
			printf("%s %s\n", PROG, SHIPPER_VERSION);
		free_settings(&xs);
		free(ld.problems);
		return 1;
	}

	if (read_settings(&ld, file, &xs))
	{
		check_names(&ld);
		for (i = 0; i < ld.set.n; i++)
			if (!ld.set.v[i].bad)
				properties_expand(&ld, &ld.set.v[i]);

		build_topics(&ld, cfg);
		conninfo_build(&ld, cfg, &masked_given, &masked);
		build_slot(&ld, cfg);
		filters_build(&ld, cfg);
		debezium_build(&ld, cfg);
		build_delivery(&ld, cfg);
		build_errors(&ld, cfg);
		build_logging(&ld, cfg);
		if (ld.nproblems == 0 && req == REQ_PRINT)
		{
			print_config(&ld, cfg, masked_given, masked);
			rc = 1;
		}
	}
	if (ld.nproblems > 0)
	{
		problems_print(&ld);
		rc = 2;
	}
	free(masked_given);
	free(masked);
	free_settings(&ld.set);
	free(ld.defaults);
	for (i = 0; i < ld.nproblems; i++)
		free(ld.problems[i].line);
	free(ld.problems);
	return rc;
}

/* Free what config_load() allocated (for tools that load more than one). */
void
config_free(Config *cfg)
{
	free(cfg->conninfo);
	free(cfg->dbname);
	free(cfg->slot_name);
	free(cfg->decoder_options);
	free(cfg->exclude_columns);
	tables_free(cfg->tables);
	free(cfg->topic_prefix);
	free(cfg->topic_delimiter);
	free(cfg->topic_transaction);
	free(cfg->debezium_version);
	free(cfg->placeholder);
	for (int i = 0; i < cfg->nkafka; i++)
	{
		free(cfg->kafka[i].key);
		free(cfg->kafka[i].value);
	}
	free(cfg->kafka);
	free(cfg->offset_topic);
	free(cfg->spool_dir);
	free(cfg->dlq_topic);
	memset(cfg, 0, sizeof(*cfg));
}
