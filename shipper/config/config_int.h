/*
 * config_int.h
 *		What the parts of config/ share: the settings as given (key, value,
 *		where from), the key table and typed getters, and the problem list.
 *
 * config_load() (load.c) reads the command line, the file and -X into a
 * list of Settings (properties.c); then each concern checks its keys and
 * fills its part of the Config: keys.c (names, defaults, typed values),
 * debezium.c (what the messages look like), filters.c (Debezium's regexes
 * as the decoder's globs, kept for tables.c to match as the decoder does),
 * conninfo.c (libpq), kafka.c (librdkafka).
 *
 * A check that finds a problem records it (problems.c) and goes on, so one
 * run reports everything wrong; the setting is marked bad so that later
 * checks that depend on it stay quiet instead of reporting it twice.
 * Helpers return false when they recorded a problem.
 */
#ifndef SHIPPER_CONFIG_CONFIG_INT_H
#define SHIPPER_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "mem.h"

#define PROG		"cellcdc-shipper"
#define MASK		"********"

/* Sort positions of problems: file lines, then -X arguments, then the rest. */
#define ORDER_ARGS		1000000000
#define ORDER_LAST		2000000000

/* One key as given, with where it was given. */
typedef struct Setting
{
	char	   *key;
	char	   *value;
	char	   *origin;			/* "file:line", or NULL for -X */
	int			order;			/* line in the file, or ORDER_ARGS + argv index */
	bool		from_file;		/* value holds a ${file:...}'s contents */
	bool		bad;			/* a problem was recorded: checks skip it */
} Setting;

typedef struct Settings
{
	Setting    *v;
	int			n;
	int			cap;
} Settings;

/* One problem line, and where it sorts. */
typedef struct Problem
{
	int			order;
	char	   *line;
} Problem;

/* The state of one config_load(). */
typedef struct Load
{
	Settings	set;			/* the file, then -X keys the file lacks */
	Setting    *defaults;		/* per known key, handed out by key_get() */
	Problem    *problems;
	int			nproblems;
	int			cap;
} Load;

/* A key the shipper knows, its default (NULL: none) and a word on it. */
typedef struct KeyDef
{
	const char *name;
	const char *def;
	const char *help;
} KeyDef;

/* keys.c: the key table */
extern const KeyDef known_keys[];
extern const int nknown_keys;

/* properties.c: the file, -X and ${...} */
extern Setting *settings_find(Settings *set, const char *key);
extern Setting *settings_add(Settings *set, char *key, char *value, char *origin, int order);
extern bool properties_read(Load *ld, const char *path);
extern bool properties_override(Load *ld, Settings *xs, const char *arg, int order);
extern bool properties_expand(Load *ld, Setting *s);
extern bool properties_blank(char c);

/* keys.c: names and typed values; getters are quiet for a bad setting */
extern const KeyDef *key_def(const char *key);
extern void key_unknown(Load *ld, Setting *s);
extern Setting *key_get(Load *ld, const char *key);
extern bool key_bool(Load *ld, const char *key, bool *out);
extern bool key_int(Load *ld, const char *key, int min, int max, const char *what, int *out);
extern bool key_int64(Load *ld, const char *key, int64_t min, int64_t max, const char *what,
					  int64_t *out);
extern bool key_enum(Load *ld, const char *key, const char *const *names, int *out);
extern const char *key_str(Load *ld, const char *key);
extern bool key_topic_part(Load *ld, Setting *s, size_t maxlen);
extern bool key_topic(Load *ld, Setting *s);
extern bool str_eqi(const char *a, const char *b);
extern bool str_contains_i(const char *hay, const char *needle);

/* problems.c: recorded as found, printed in file order */
extern bool problem(Load *ld, Setting *s, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern bool problem_at(Load *ld, int order, const char *origin, const char *key,
					   const char *fmt,...)
			__attribute__((format(printf, 5, 6)));
extern int	problems_print(Load *ld);
extern bool setting_hidden(const Setting *s);
extern const char *setting_shown(const Setting *s);

/* debezium.c: what the messages look like */
extern void debezium_build(Load *ld, Config *cfg);

/* filters.c: the decoder's START_REPLICATION options */
extern void filters_build(Load *ld, Config *cfg);

/* tables.c: the table lists kept for config_table_captured() and friends */
typedef enum TableList
{
	TABLES_NONE, TABLES_INCLUDE, TABLES_EXCLUDE
} TableList;
extern void tables_add(Config *cfg, TableList list, const char *written, const char *globs);
extern void tables_free(TableFilter *tables);

/* conninfo.c */
extern void conninfo_build(Load *ld, Config *cfg, char **masked_given, char **masked);

/* kafka.c */
extern void kafka_build(Load *ld, Config *cfg);
extern bool kafka_secret(const char *property);

#endif							/* SHIPPER_CONFIG_CONFIG_INT_H */
