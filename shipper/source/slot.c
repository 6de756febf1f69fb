/*
 * slot.c
 *		The replication slot: what state it is in, creating it, dropping it.
 *
 * The shipper creates its slot only at start-up and only when it has never
 * streamed it (README, "The slot rule"); session.c decides, with the record
 * kept in Kafka.  A slot of another plugin or database is refused:
 * streaming it would either fail later or read someone else's changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/source.h"

/* What state the slot is in, and who streams it (info); false if unknown. */
bool
slot_inspect(PGconn *conn, const char *slot, SlotInfo *info, char *err, size_t errlen)
{
	char	   *literal = PQescapeLiteral(conn, slot, strlen(slot));
	Buf			q = {0};
	PGresult   *res;

	memset(info, 0, sizeof(SlotInfo));
	/* replication connections take only simple queries, hence the literal */
	buf_puts(&q, "SELECT s.plugin, s.database = current_database(), s.database, s.wal_status,"
			 " s.confirmed_flush_lsn, s.restart_lsn, s.active_pid,"
			 " r.application_name, r.client_addr"
			 " FROM pg_replication_slots s"
			 " LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid"
			 " WHERE s.slot_name = ");
	buf_puts(&q, literal);
	PQfreemem(literal);
	res = PQexec(conn, q.data);
	buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		snprintf(err, errlen, "cannot look up slot \"%s\": %s", slot, pg_error(conn));
		PQclear(res);
		return false;
	}
	if (PQntuples(res) == 0)
		info->state = SLOT_MISSING;
	else if (PQgetisnull(res, 0, 0) || strcmp(PQgetvalue(res, 0, 0), "cellcdc") != 0)
	{
		info->state = SLOT_FOREIGN;
		snprintf(err, errlen, "slot \"%s\" exists but is not a cellcdc slot (plugin %s); "
				 "set slot.name to another name, or drop it with "
				 "SELECT pg_drop_replication_slot('%s')", slot,
				 PQgetisnull(res, 0, 0) ? "none: physical slot" : PQgetvalue(res, 0, 0), slot);
	}
	else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
	{
		info->state = SLOT_FOREIGN;
		snprintf(err, errlen, "slot \"%s\" belongs to database \"%s\", not this one; "
				 "fix database.dbname or slot.name", slot, PQgetvalue(res, 0, 2));
	}
	else
	{
		info->state = strcmp(PQgetvalue(res, 0, 3), "lost") == 0 ? SLOT_LOST : SLOT_READY;
		info->confirmed_lsn = lsn_parse(PQgetvalue(res, 0, 4));
		info->restart_lsn = lsn_parse(PQgetvalue(res, 0, 5));
		info->active_pid = atoi(PQgetvalue(res, 0, 6));
		if (info->active_pid)
			snprintf(info->holder, sizeof(info->holder), "PID %d on the server, application_name "
					 "\"%s\", from %s", info->active_pid, PQgetvalue(res, 0, 7),
					 PQgetisnull(res, 0, 8) ? "a local socket" : PQgetvalue(res, 0, 8));
	}
	PQclear(res);
	return true;
}

/* Run "VERB <slot><rest>" on the replication connection. */
static PGresult *
slot_command(PGconn *conn, const char *verb, const char *slot, const char *rest)
{
	char	   *ident = PQescapeIdentifier(conn, slot, strlen(slot));
	Buf			cmd = {0};
	PGresult   *res;

	buf_puts(&cmd, verb);
	buf_putc(&cmd, ' ');
	buf_puts(&cmd, ident);
	buf_puts(&cmd, rest);
	PQfreemem(ident);
	res = PQexec(conn, cmd.data);
	buf_free(&cmd);
	return res;
}

/*
 * CREATE_REPLICATION_SLOT; *lsn is its consistent point.  With snapshot
 * (not NULL) it exports the snapshot of that point and names it there: it
 * can be imported until the next command on this connection.
 */
bool
slot_create(PGconn *conn, const char *slot, char *snapshot, size_t snaplen, uint64_t *lsn,
			char *err, size_t errlen)
{
	PGresult   *res = slot_command(conn, "CREATE_REPLICATION_SLOT", slot,
								   snapshot ? " LOGICAL cellcdc (SNAPSHOT 'export')" :
								   " LOGICAL cellcdc (SNAPSHOT 'nothing')");
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (ok)
	{
		*lsn = lsn_parse(PQgetvalue(res, 0, 1));
		if (snapshot)
			snprintf(snapshot, snaplen, "%s", PQgetvalue(res, 0, 2));
	}
	else if (strcmp(pg_sqlstate(res), SQLSTATE_DUPLICATE_OBJECT) == 0)
		snprintf(err, errlen, "slot \"%s\" was created by someone else while this shipper "
				 "started; start it again to use it", slot);
	else
		snprintf(err, errlen, "cannot create slot \"%s\": %s", slot, pg_error(conn));
	PQclear(res);
	return ok;
}

/* DROP_REPLICATION_SLOT, for --new-slot over an invalidated slot. */
bool
slot_drop(PGconn *conn, const char *slot, char *err, size_t errlen)
{
	PGresult   *res = slot_command(conn, "DROP_REPLICATION_SLOT", slot, "");
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		snprintf(err, errlen, "cannot drop slot \"%s\": %s", slot, pg_error(conn));
	PQclear(res);
	return ok;
}

/*
 * Claim the slot for this shipper: a session advisory lock on the catalog
 * connection, held while the connection lives.  The slot itself shows
 * active only while a walsender streams it, not while its snapshot is
 * read, and a second shipper must not take it over then.  False with err
 * when another shipper holds it (*taken) or the lock cannot be asked for.
 */
bool
slot_claim(PGconn *meta, const char *slot, char *err, size_t errlen)
{
	const char *params[1] = {slot};
	PGresult   *res = PQexecParams(meta,
								   "SELECT pg_try_advisory_lock(hashtext('cellcdc-shipper'), hashtext($1)),"
								   " (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
								   "   AND classid = hashtext('cellcdc-shipper')::oid"
								   "   AND objid = hashtext($1)::oid AND objsubid = 2"
								   "   AND pid <> pg_backend_pid() LIMIT 1)",
								   1, NULL, params, NULL, NULL, 0);
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	bool		taken = ok && PQgetvalue(res, 0, 0)[0] != 't';

	if (!ok)
		snprintf(err, errlen, "cannot claim slot \"%s\": %s", slot, pg_error(meta));
	else if (taken)
		snprintf(err, errlen, "another shipper holds slot \"%s\" (its catalog connection is "
				 "server PID %s): stop it, or give this shipper its own slot.name", slot,
				 PQgetvalue(res, 0, 1));
	PQclear(res);
	return ok && !taken;
}
