/*
 * config_int.h
 *		What the parts of config/ share: the settings as given (key, value,
 *		where from), the key table and typed getters, and problem lines.
 *
 * config_load() (load.c) reads the command line, the file and -X into a
 * list of Settings (properties.c); then each concern checks its keys and
 * fills its part of the Config: keys.c (names, defaults, typed values),
 * filters.c (Debezium's regexes as the decoder's globs), conninfo.c (libpq),
 * kafka.c (librdkafka).  problems.c words every problem as one line that
 * never shows a secret.
 */
#ifndef SHIPPER_CONFIG_CONFIG_INT_H
#define SHIPPER_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "mem.h"

#define PROG		"cellcdc-shipper"
#define MASK		"********"

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

/* keys.c: the key table */
extern const KeyDef known_keys[];
extern const int nknown_keys;

/* properties.c: the file, -X and ${...} */
extern Setting *settings_find(Settings *set, const char *key);
extern void settings_add(Settings *set, char *key, char *value, char *origin);
extern int	properties_read(const char *path, Settings *set);
extern int	properties_override(Settings *xs, const char *arg);
extern int	properties_expand(Setting *s);
extern bool properties_blank(char c);

/* keys.c: names and typed values */
extern const KeyDef *key_def(const char *key);
extern int	key_unknown(const Setting *s);
extern Setting *key_get(Settings *set, const char *key);
extern int	key_bool(Settings *set, const char *key, bool *out);
extern int	key_int(Settings *set, const char *key, int min, int max, int *out);
extern int	key_enum(Settings *set, const char *key, const char *const *names, int *out);
extern const char *key_str(Settings *set, const char *key);
extern int	key_topic_part(const Setting *s, size_t maxlen);
extern bool str_eqi(const char *a, const char *b);
extern bool str_contains_i(const char *hay, const char *needle);

/* problems.c: one line per problem, secrets never shown */
extern int	print_problem(const char *origin, const char *key, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern bool setting_hidden(const Setting *s);
extern const char *setting_shown(const Setting *s);

/* print_problem() for a setting: its origin and key. */
#define PROBLEM(s, ...) print_problem((s)->origin, (s)->key, __VA_ARGS__)

/* filters.c: the decoder's START_REPLICATION options */
extern void filters_add_option(Buf *opts, const char *option, const char *value);
extern int	filters_translate(Buf *opts, const Setting *s, const char *option, int nparts);

/* conninfo.c */
extern int	conninfo_build(Config *cfg, Settings *set, char **masked_given, char **masked);

/* kafka.c */
extern int	kafka_build(Config *cfg, Settings *set);

#endif							/* SHIPPER_CONFIG_CONFIG_INT_H */
