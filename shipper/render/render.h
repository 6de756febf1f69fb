/*
 * render.h
 *		Turn cellcdc records into Debezium-shaped Kafka messages.
 *
 * The renderer keeps the state a record stream needs (the relations seen,
 * the open transaction) and turns each change into zero or more messages:
 * a key, a value and the headers that place it in the stream.  It does not
 * talk to Kafka or Postgres; column metadata that the records do not carry
 * (defaults, comments, enum labels, type names) comes from a callback.
 */
#ifndef SHIPPER_RENDER_H
#define SHIPPER_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* headers on every message: where it sits in the change stream */
#define HDR_COMMIT_LSN	"cellcdc.commit_lsn"	/* decimal commit LSN of its txn,
												 * or a snapshot read's LSN */
#define HDR_SEQ			"cellcdc.seq"	/* decimal 1-based position in txn;
										 * 0 for a snapshot read */
#define HDR_SOURCE		"cellcdc.source"	/* the stream: system identifier,
											 * database and slot */
/* on an initial snapshot's reads: their key range, "table|lo" (delivery/snapshot_reads.c) */
#define HDR_RANGE		"cellcdc.snapshot.range"

typedef struct OutMessage
{
	const char *topic;			/* sanitized topic name */
	const char *key;			/* NULL: null key */
	size_t		key_len;
	const char *value;			/* NULL: tombstone */
	size_t		value_len;
	uint64_t	commit_lsn;		/* HDR_COMMIT_LSN */
	uint64_t	seq;			/* HDR_SEQ */
	const char *extra_header;	/* "__debezium.newkey"/"oldkey", or NULL */
	const char *extra_value;
	size_t		extra_len;
} OutMessage;

/* Deliver one message; return false to stop (the sink's error is kept). */
typedef bool (*EmitFn) (void *arg, const OutMessage *m);

/* What the records do not say about a column; strings are malloc'd. */
typedef struct ColumnMeta
{
	char	   *type_name;		/* base type's typname ("int4", "citext", "_text") */
	char	   *elem_type_name; /* element typname for arrays, else NULL */
	char	   *enum_labels;	/* "a,b,c" in enumsortorder for enums (or
								 * arrays of them), else NULL */
	char	   *default_expr;	/* pg_get_expr(adbin, adrelid), else NULL */
	char	   *comment;		/* col_description(), else NULL */
	int			key_position;	/* 1-based position of the column in the
								 * primary key (else the replica identity
								 * index) as declared; 0 if not in it or not
								 * known.  Debezium orders key fields so; when
								 * every entry is 0, key fields follow the
								 * column order. */
} ColumnMeta;

/*
 * Fill out[0..ncols-1] for the columns named names[] of relation relid.
 * Columns the catalog no longer has get all-NULL entries.  Returns false
 * with a message in err when the catalog cannot be read.
 */
typedef bool (*MetaFn) (void *arg, uint32_t relid, int ncols,
						const char *const *names, ColumnMeta *out,
						char *err, size_t errlen);

typedef struct Renderer Renderer;

/*
 * The topic a table's changes go to: <topic.prefix><topic.delimiter>
 * <schema><topic.delimiter><table>, sanitized as Debezium does, exactly
 * as the renderer names it.  Different tables can map to one topic; the
 * renderer sends only the first of them there (see renderer_feed), so the
 * shipper can check its captured tables at start-up.  Malloc'd.
 */
extern char *render_topic_name(const Config *cfg, const char *schema, const char *table);

/*
 * Which table (or event stream of the renderer's) uses each topic.  The
 * shipper keeps one for its whole life and gives it to every renderer, so
 * that a topic's owner outlives sessions; it claims the captured tables'
 * topics at start-up, so an older table wins over a newer one.
 */
typedef struct TopicClaims TopicClaims;

extern TopicClaims *topic_claims_new(void);

/* Claim the table's topic for it: NULL, or what already uses the topic. */
extern const char *topic_claims_table(TopicClaims *claims, const Config *cfg,
									  const char *schema, const char *table);

extern Renderer *renderer_new(const Config *cfg, const char *dbname,
							  MetaFn meta, void *meta_arg, TopicClaims *claims);
extern void renderer_free(Renderer *r);

/*
 * Render the record data[0..len) that arrived at lsn (XLogData dataStart),
 * calling emit for each resulting message in order.  RELATION records are
 * always applied.  Returns false on a malformed record, a metadata failure,
 * a value that cannot be written, or a false from emit; renderer_error()
 * then says what went wrong and renderer_failure() what it was about.
 *
 * After a failed feed the renderer stays usable: the records that follow
 * can be fed as if the failed one had been skipped (errors.tolerance=all
 * skips it).  A failed change record (INSERT, UPDATE, DELETE, TRUNCATE,
 * MESSAGE) has emitted none of its own messages, unless emit itself
 * refused one (then those before it went out); the transaction's BEGIN
 * event may have been emitted ahead of it.  A failed RELATION record drops
 * what was known of its relation: changes to it fail until a RELATION
 * record for it is applied.
 *
 * Two tables whose names map to one topic never share it: the first whose
 * RELATION record arrives keeps it, and every change of the other fails,
 * naming both tables and the topic (its RELATION records do not fail).
 */
extern bool renderer_feed(Renderer *r, const uint8_t *data, size_t len,
						  uint64_t lsn, EmitFn emit, void *arg);
extern const char *renderer_error(const Renderer *r);

/*
 * What a failed feed was working on, for the log line and the dead letter
 * queue.  Pointers into the renderer, valid until the next feed; each is
 * NULL when the failure came before it was known (or does not apply).
 */
typedef struct RenderFailure
{
	const char *table;			/* "schema.table" or NULL */
	const char *topic;			/* or NULL */
	const char *key;			/* key JSON as it would be sent, or NULL */
	size_t		key_len;
} RenderFailure;

/* What the last failed feed was working on. */
extern void renderer_failure(const Renderer *r, RenderFailure *out);

/* source.snapshot of a snapshot read, in Debezium's words */
typedef enum SnapshotMarker
{
	MARK_TRUE,					/* "true": a row inside a table */
	MARK_FIRST,					/* the first row of the first table */
	MARK_FIRST_IN_TABLE,		/* "first_in_data_collection" */
	MARK_LAST_IN_TABLE,			/* "last_in_data_collection" */
	MARK_LAST,					/* the last row of the last table */
	MARK_INCREMENTAL			/* a row of an incremental snapshot */
} SnapshotMarker;

/* what a snapshot's reads say in their source block */
typedef struct SnapshotSource
{
	uint64_t	lsn;			/* source.lsn and sequence; the header's LSN */
	uint64_t	txid;			/* source.txId; 0: null */
	int64_t		ts_us;			/* source.ts_*: when the snapshot was taken */
} SnapshotSource;

/*
 * Render an INSERT record of a snapshot read (cellcdc.snapshot_row()) as
 * Debezium's op "r" event; feed the table's RELATION record first, with
 * renderer_feed.  Fails as renderer_feed does.
 */
extern bool renderer_read(Renderer *r, const uint8_t *data, size_t len,
						  const SnapshotSource *src, SnapshotMarker mark,
						  EmitFn emit, void *arg);

#endif							/* SHIPPER_RENDER_H */
