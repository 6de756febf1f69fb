/*
 * debezium.c
 *		The keys that say what the messages look like, under Debezium's
 *		names: the Debezium version to reproduce, the converters' schemas,
 *		decimal / time / binary modes, skipped operations, tombstones, the
 *		unchanged-TOAST placeholder and transaction metadata.
 *
 * The renderer reads the result from the Config; the wire layout follows
 * from debezium.version (README: "Debezium versions").
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

/* skipped.operations: c,u,d,t in any combination, or none. */
static void
build_skipped(Load *ld, Config *cfg)
{
	Setting    *s = key_get(ld, "skipped.operations");
	const char *p = s->value;

	cfg->skipped_ops = 0;
	if (s->bad || str_eqi(p, "none"))
		return;
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
		if (len != 1 || strchr("cudt", tolower((unsigned char) *start)) == NULL)
		{
			problem(ld, s, "%s is not a list of operations; use c, u, d, t separated by commas, or none",
					setting_shown(s));
			return;
		}
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
}

/* debezium.version: M.m.p.Qualifier, giving the wire layout. */
static void
build_version(Load *ld, Config *cfg)
{
	Setting    *s = key_get(ld, "debezium.version");
	const char *p = s->value;
	long		major;
	long		minor;
	char	   *end;
	int			i;
	bool		ok;

	if (s->bad)
		return;
	for (i = 0; i < 3; i++)
	{
		if (!isdigit((unsigned char) *p))
			break;
		while (isdigit((unsigned char) *p))
			p++;
		if (i < 2 && *p++ != '.')
			break;
	}
	ok = i == 3 && *p == '.' && isalpha((unsigned char) p[1]);
	while (ok && *++p)
		ok = isalnum((unsigned char) *p);
	if (!ok)
	{
		problem(ld, s, "%s is not a Debezium version; write the full version that Debezium puts in source.version, e.g. 3.1.3.Final",
				setting_shown(s));
		return;
	}

	major = strtol(s->value, &end, 10);
	minor = strtol(end + 1, NULL, 10);
	if (major < 2)
	{
		problem(ld, s, "Debezium %s is not supported: the shipper reproduces 2.0 and later; upgrade the downstream's expectations to 2.0+",
				setting_shown(s));
		return;
	}
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
}

/* snapshot.mode, .max.threads, .fetch.size; incremental.snapshot.chunk.size */
static void
build_snapshot(Load *ld, Config *cfg)
{
	/* SnapshotMode's order, then the alias of no_data */
	static const char *const modes[] = {
		"initial", "always", "initial_only", "no_data", "when_needed", "never", NULL
	};
	Setting    *s = key_get(ld, "snapshot.mode");
	int			mode;

	key_int(ld, "snapshot.max.threads", 1, 64, "a number of connections", &cfg->snapshot_threads);
	key_int(ld, "snapshot.fetch.size", 1, 10000000, "a number of rows", &cfg->snapshot_fetch);
	key_int(ld, "incremental.snapshot.chunk.size", 1, 10000000, "a number of rows",
			&cfg->incremental_chunk);
	key_int(ld, "snapshot.initial.max.ms", 0, 2000000000, "a number of milliseconds (0: no limit)",
			&cfg->snapshot_initial_max_ms);
	if (!s->bad && (str_eqi(s->value, "configuration_based") || str_eqi(s->value, "custom")))
	{
		problem(ld, s, "%s is not supported; use initial, always, initial_only, when_needed or no_data",
				setting_shown(s));
		return;
	}
	if (!key_enum(ld, "snapshot.mode", modes, &mode))
		return;
	cfg->snapshot_mode = mode == 5 ? SNAPSHOT_NO_DATA : (SnapshotMode) mode;
}

/* time.precision.mode: Debezium's modes the renderer does not reproduce first. */
static void
build_time_mode(Load *ld, Config *cfg)
{
	static const char *const modes[] = {"adaptive", "adaptive_time_microseconds", "connect", NULL};
	Setting    *s = key_get(ld, "time.precision.mode");
	int			mode;

	if (!s->bad && (str_eqi(s->value, "isostring") || str_eqi(s->value, "microseconds") ||
					str_eqi(s->value, "nanoseconds")))
		problem(ld, s, "%s is not supported; use adaptive, adaptive_time_microseconds or connect",
				setting_shown(s));
	else if (key_enum(ld, "time.precision.mode", modes, &mode))
		cfg->time_mode = (TimeMode) mode;
}

/* Fill the message-shape part of cfg. */
void
debezium_build(Load *ld, Config *cfg)
{
	static const char *const decimal_modes[] = {"precise", "string", "double", NULL};
	static const char *const binary_modes[] = {"bytes", "base64", "base64-url-safe", "hex", NULL};
	int			mode;

	key_bool(ld, "tombstones.on.delete", &cfg->tombstones);
	key_bool(ld, "key.converter.schemas.enable", &cfg->key_schemas);
	key_bool(ld, "value.converter.schemas.enable", &cfg->value_schemas);
	key_bool(ld, "provide.transaction.metadata", &cfg->tx_metadata);
	if (key_enum(ld, "decimal.handling.mode", decimal_modes, &mode))
		cfg->decimal_mode = (DecimalMode) mode;
	build_time_mode(ld, cfg);
	if (key_enum(ld, "binary.handling.mode", binary_modes, &mode))
		cfg->binary_mode = (BinaryMode) mode;
	build_skipped(ld, cfg);
	if (!key_get(ld, "unavailable.value.placeholder")->bad)
		cfg->placeholder = xstrdup(key_get(ld, "unavailable.value.placeholder")->value);
	build_snapshot(ld, cfg);
	build_version(ld, cfg);
}
