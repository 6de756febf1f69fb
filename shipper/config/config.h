/*
 * config.h
 *		The shipper's configuration: one properties file plus -X overrides.
 *
 * Keys use Debezium's property names wherever Debezium has one, so that a
 * connector's configuration carries over; keys Debezium lacks are ours.
 * Everything is parsed and checked by config_load() before the shipper
 * connects anywhere; every problem found is one line on stderr, all of them
 * in one run, and the exit status is 2.
 */
#ifndef SHIPPER_CONFIG_CONFIG_H
#define SHIPPER_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Debezium wire layouts (see README: "Debezium versions") */
typedef enum DbzLayout
{
	DBZ_2_0,					/* 2.0 - 2.5: no ts_us/ts_ns, transaction last */
	DBZ_2_6,					/* 2.6: ts_us/ts_ns, transaction last */
	DBZ_2_7,					/* 2.7 - 3.0: transaction before op */
	DBZ_3_1,					/* 3.1 - 3.4: source struct has version 1 */
	DBZ_3_5						/* 3.5+: source has origin, origin_lsn */
} DbzLayout;

typedef enum DecimalMode
{
	DECIMAL_PRECISE, DECIMAL_STRING, DECIMAL_DOUBLE
} DecimalMode;

typedef enum TimeMode
{
	TIME_ADAPTIVE, TIME_ADAPTIVE_MICRO, TIME_CONNECT
} TimeMode;

typedef enum BinaryMode
{
	BINARY_BYTES, BINARY_BASE64, BINARY_BASE64_URL, BINARY_HEX
} BinaryMode;

/* snapshot.mode: when existing rows are read (README, "Snapshots") */
typedef enum SnapshotMode
{
	SNAPSHOT_INITIAL,			/* when this shipper has never streamed the slot */
	SNAPSHOT_ALWAYS,			/* at every start */
	SNAPSHOT_INITIAL_ONLY,		/* the initial snapshot, then exit */
	SNAPSHOT_NO_DATA,			/* never: changes only */
	SNAPSHOT_WHEN_NEEDED		/* initial, and to heal a missing or lost slot */
} SnapshotMode;

typedef enum SinkKind
{
	SINK_KAFKA, SINK_STDOUT, SINK_NULL
} SinkKind;

/* skipped.operations, as a bit set */
#define SKIP_CREATE		0x01
#define SKIP_UPDATE		0x02
#define SKIP_DELETE		0x04
#define SKIP_TRUNCATE	0x08

/* table.include.list / table.exclude.list as the decoder applies them */
typedef struct TableFilter TableFilter;

typedef struct KeyValue
{
	char	   *key;
	char	   *value;
} KeyValue;

#define SPOOL_DIR_MAX 512

typedef struct Config
{
	/* where the changes come from */
	char	   *conninfo;		/* libpq conninfo, database.* folded in */
	char	   *dbname;			/* source.db; NULL: ask the server */
	char	   *slot_name;		/* slot.name */
	char	   *decoder_options;	/* "(k 'v', ...)" for START_REPLICATION */
	char	   *exclude_columns;	/* the decoder's exclude_columns, or NULL */
	TableFilter *tables;		/* for config_table_captured() and friends;
								 * NULL: no table lists */

	/* what the messages look like */
	char	   *topic_prefix;	/* topic.prefix */
	char	   *topic_delimiter;	/* topic.delimiter */
	char	   *topic_transaction;	/* topic.transaction */
	char	   *debezium_version;	/* source.version, e.g. "3.1.3.Final" */
	DbzLayout	layout;			/* derived from debezium_version */
	bool		key_schemas;	/* key.converter.schemas.enable */
	bool		value_schemas;	/* value.converter.schemas.enable */
	bool		tombstones;		/* tombstones.on.delete */
	DecimalMode decimal_mode;
	TimeMode	time_mode;
	BinaryMode	binary_mode;
	unsigned	skipped_ops;	/* SKIP_* */
	char	   *placeholder;	/* unavailable.value.placeholder */
	bool		tx_metadata;	/* provide.transaction.metadata */

	/* existing rows */
	SnapshotMode snapshot_mode;
	int			snapshot_threads;	/* snapshot.max.threads */
	int			snapshot_fetch; /* snapshot.fetch.size: rows per read */
	int			incremental_chunk;	/* incremental.snapshot.chunk.size: rows per
									 * window */
	int			snapshot_initial_max_ms;	/* snapshot.initial.max.ms: then the
											 * rest goes on incrementally; 0: no
											 * limit */

	/* where the messages go */
	SinkKind	sink;
	KeyValue   *kafka;			/* kafka.* with the prefix removed */
	int			nkafka;

	char	   *offset_topic;	/* offset.storage.topic: the slots this
								 * shipper created and streamed */

	/* the spool: where messages wait while Kafka is away (delivery/spool.c) */
	char	   *spool_dir;		/* spool.dir; NULL: no spool; at most
								 * SPOOL_DIR_MAX long */
	int64_t		spool_max_bytes;	/* spool.max.bytes */
	int			spool_after_ms; /* spool.after.ms */

	/* timing */
	int			status_interval_ms; /* standby status updates */
	int			backoff_initial_ms; /* first reconnect delay */
	int			backoff_max_ms; /* reconnect delay cap */
	int			shutdown_timeout_ms;	/* flush bound at SIGTERM */
	int			startup_timeout_ms; /* a first start's wait for Kafka */

	/* failures */
	int			errors_max_retries; /* same failure, same position; -1: no
									 * limit; then exit 5 */
	bool		errors_tolerate;	/* errors.tolerance=all: to the DLQ */
	char	   *dlq_topic;		/* errors.deadletterqueue.topic.name; NULL:
								 * unset */

	/* logging */
	bool		log_json;		/* log.format=json */
	int			progress_interval_ms;	/* log.progress.interval.ms; 0: off */

	/* command line */
	bool		new_slot;		/* --new-slot: create the slot afresh */
	const char *request_action; /* --snapshot etc.: "execute", "stop", "pause",
								 * "resume"; NULL: run */
	const char *request_table;	/* its table, as given; NULL: all */
	const char *request_filter; /* --filter */
} Config;

/*
 * Load argv (-c FILE, -X key=value) into cfg.  Returns 0 when the shipper
 * should run, 1 when it printed --help / --version / --print-config and
 * should exit 0, and 2 after printing one line per problem, each naming
 * the key.
 */
extern int	config_load(Config *cfg, int argc, char **argv);
extern void config_free(Config *cfg);

/* true for keys whose values are secrets, never printed */
extern bool config_is_secret(const char *key);

/*
 * The table lists as the decoder applies them, for start-up reports: which
 * tables are captured, and which include entries match nothing.  Matching
 * is the decoder's (case-sensitive, per name part); a partition captured
 * through its parent's name is not seen here.
 */
extern bool config_table_captured(const Config *cfg, const char *schema, const char *table);
extern int	config_include_count(const Config *cfg);
extern const char *config_include_entry(const Config *cfg, int i);	/* as written */
extern bool config_include_matches(const Config *cfg, int i, const char *schema,
								   const char *table);

#endif							/* SHIPPER_CONFIG_CONFIG_H */
