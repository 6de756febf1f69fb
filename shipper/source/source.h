/*
 * source.h
 *		The PostgreSQL side of the shipper: the replication connection that
 *		streams the slot (replication.c), the slot itself (slot.c), a normal
 *		connection for catalog lookups (catalog.c), and the tables the
 *		filters capture (captured.c).
 */
#ifndef SHIPPER_SOURCE_SOURCE_H
#define SHIPPER_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "mem.h"
#include "shipper.h"

/* SQLSTATEs the shipper tells apart */
#define SQLSTATE_UNDEFINED_OBJECT	"42704" /* the slot does not exist */
#define SQLSTATE_DUPLICATE_OBJECT	"42710" /* it exists already */
#define SQLSTATE_OBJECT_IN_USE		"55006" /* another process streams it */
#define SQLSTATE_NOT_IN_PREREQ		"55000" /* it was invalidated */

/* ---------- replication.c ---------- */

/* what IDENTIFY_SYSTEM says */
typedef struct SystemId
{
	char		system[32];		/* the cluster's system identifier */
	uint64_t	wal_end;		/* current WAL flush position */
	char		dbname[128];	/* the connection's database */
} SystemId;

extern PGconn *pg_connect(const Config *cfg, bool replication, char *err, size_t errlen);
extern const char *pg_error(PGconn *conn);
extern const char *pg_sqlstate(const PGresult *res);
extern const char *pg_take_fatal(void);
extern bool stream_identify(PGconn *conn, SystemId *id, char *err, size_t errlen);
extern bool stream_start(PGconn *conn, const Config *cfg, uint64_t start_lsn,
						 char *sqlstate, char *err, size_t errlen);
extern bool stream_send_status(PGconn *conn, uint64_t received, uint64_t confirmed,
							   char *err, size_t errlen);

/* ---------- slot.c ---------- */

typedef enum SlotState
{
	SLOT_MISSING,
	SLOT_READY,					/* ours, usable */
	SLOT_LOST,					/* invalidated: WAL it needs is gone */
	SLOT_FOREIGN				/* another plugin's or database's: err says */
} SlotState;

typedef struct SlotInfo
{
	SlotState	state;
	uint64_t	confirmed_lsn;	/* confirmed_flush_lsn */
	uint64_t	restart_lsn;
	int			active_pid;		/* walsender streaming it, or 0 */
	char		holder[160];	/* who that is, from pg_stat_replication */
} SlotInfo;

extern bool slot_inspect(PGconn *conn, const char *slot, SlotInfo *info, char *err, size_t errlen);
extern bool slot_create(PGconn *conn, const char *slot, char *snapshot, size_t snaplen,
						uint64_t *lsn, char *err, size_t errlen);
extern bool slot_drop(PGconn *conn, const char *slot, char *err, size_t errlen);
extern bool slot_claim(PGconn *meta, const char *slot, char *err, size_t errlen);

/* ---------- catalog.c ---------- */

extern bool meta_lookup(void *conn, uint32_t relid, int ncols,
						const char *const *names, ColumnMeta *out,
						char *err, size_t errlen);
extern bool meta_server_gone(PGconn *meta);
extern int64_t catalog_retained_wal(PGconn *meta, const char *slot);

/* ---------- captured.c ---------- */

/* the captured tables, by OID, in the order first seen */
typedef struct CapturedTables
{
	int			n;
	uint32_t   *oids;
	char	  **names;			/* "schema"."table" */
} CapturedTables;

extern bool captured_check(PGconn *meta, const Config *cfg, TopicClaims *claims,
						   CapturedTables *out, char *err, size_t errlen);
extern void captured_recheck(PGconn *meta, const Config *cfg, TopicClaims *claims,
							 CapturedTables *known);

/* ---------- snapshot.c ---------- */

/* a table of a snapshot, as the snapshot sees it */
typedef struct SnapTable
{
	uint32_t	oid;
	char	   *name;			/* "schema"."table", quoted as SQL needs */
	int64_t		estimate;		/* rows, from the statistics; -1: unknown */
	bool		readable;		/* the role may SELECT it */
	int			nkey;			/* primary key columns; 0: read whole */
	char	  **keys;			/* their names, quoted as SQL needs */
	bool		int_key;		/* the key is one integer column */
	int			nranges;		/* ranges planned */
	char		failed[ERRLEN]; /* why it could not be read, "" while it could */
	_Atomic uint64_t rows;		/* rows read so far */
	_Atomic int ranges_done;
} SnapTable;

/* a key range of a table: one connection reads it in key order */
typedef struct SnapRange
{
	int			table;			/* index into the plan's tables */
	int			index;			/* within its table, from 0 */
	bool		last;			/* its table's last range */
	char	  **lo;				/* key values it starts at (>=); NULL: the start */
	char	  **hi;				/* key values it stops before (<); NULL: the end */
	bool		hi_inclusive;	/* it stops after hi (<=) */
	char	   *filter;			/* an SQL condition on its rows, or NULL */
} SnapRange;

/* the most primary key columns a snapshot reads by */
#define SNAP_MAX_KEYS 32

typedef struct SnapPlan
{
	SnapshotSource src;			/* what every read's source block says */
	int			ntables;
	SnapTable  *tables;
	int			nranges;
	SnapRange  *ranges;			/* tables in order, each's ranges in key order */
} SnapPlan;

/* reading one range */
typedef struct SnapReader
{
	PGconn	   *conn;
	const SnapTable *table;
	const SnapRange *range;
	const char *exclude;		/* the decoder's exclude_columns, "" for none */
	int			fetch;			/* rows per chunk */
	PGresult   *res;			/* the chunk being read */
	PGresult   *prev;			/* the one before, while its last row is in use */
	int			row;			/* next row of res */
	bool		full;			/* res has fetch rows: another chunk may follow */
	bool		in_flight;		/* the next chunk has been asked for */
	bool		cursor_open;	/* a table without a key: its cursor */
	char	  **after;			/* key values of res's last row */
} SnapReader;

extern bool snap_import(PGconn *conn, const char *name, char *err, size_t errlen);
extern bool snap_export(PGconn *conn, char *name, size_t namelen, uint64_t *lsn,
						char *err, size_t errlen);
extern bool snap_check_extension(PGconn *conn, char *err, size_t errlen);
extern bool snap_plan(PGconn *conn, const CapturedTables *captured, int parts, int fetch,
					  SnapPlan *plan, char *err, size_t errlen);
extern void snap_plan_free(SnapPlan *plan);
extern bool snap_relation(PGconn *conn, const SnapTable *t, const char *exclude_columns,
						  Buf *out, char *err, size_t errlen);
extern bool snap_reader_open(SnapReader *rd, PGconn *conn, const SnapTable *t,
							 const SnapRange *rg, const char *exclude_columns, int fetch,
							 char *err, size_t errlen);
extern int	snap_reader_next(SnapReader *rd, const uint8_t **data, size_t *len, bool *last,
							 char *err, size_t errlen);
extern void snap_reader_close(SnapReader *rd);
extern PGresult *snap_chunk(PGconn *conn, const SnapTable *t, const SnapRange *rg, char **after,
							const char *exclude_columns, int limit, char *err, size_t errlen);
extern bool snap_describe(PGconn *conn, uint32_t oid, SnapTable *t, char *err, size_t errlen);
extern void snap_table_free(SnapTable *t);
extern char **snap_row_keys(const PGresult *res, int row, int col, int nkey);
extern void snap_keys_free(char **v, int nkey);
extern bool snap_last_key(PGconn *conn, const SnapTable *t, char ***last, char *err,
						  size_t errlen);
extern bool snap_table_gone(PGconn *conn, const SnapTable *t);
extern bool snap_range_begin(PGconn *conn, char *err, size_t errlen);
extern bool snap_range_end(PGconn *conn, char *err, size_t errlen);

#endif							/* SHIPPER_SOURCE_SOURCE_H */
