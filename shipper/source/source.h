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
extern bool slot_create(PGconn *conn, const char *slot, uint64_t *lsn, char *err, size_t errlen);
extern bool slot_drop(PGconn *conn, const char *slot, char *err, size_t errlen);

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

#endif							/* SHIPPER_SOURCE_SOURCE_H */
