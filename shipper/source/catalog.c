/*
 * catalog.c
 *		A normal connection beside the replication one: column metadata the
 *		records do not carry, and a watch for the server going away.
 *
 * The watch matters at shutdown: a walsender waits, before it exits, for
 * its client to confirm everything it sent, and with Kafka down the shipper
 * cannot confirm.  A fast shutdown terminates normal connections first, so
 * when this one is closed the shipper hangs up its replication connection
 * too, and the server can stop (README, "Shutdown of the database").
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/source.h"

/*
 * Column metadata the records do not carry, as Debezium reads it over JDBC:
 * type names (domains resolved), enum labels, default expressions and
 * comments, key positions, by column name.
 */
bool
meta_lookup(void *arg, uint32_t relid, int ncols, const char *const *names,
			ColumnMeta *out, char *err, size_t errlen)
{
	PGconn	   *conn = arg;
	char		relid_text[16];
	const char *params[1] = {relid_text};
	PGresult   *res;

	snprintf(relid_text, sizeof(relid_text), "%u", relid);
	res = PQexecParams(conn,
					   "WITH RECURSIVE base(attnum, typ) AS ("
					   "  SELECT attnum, atttypid FROM pg_attribute"
					   "   WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped"
					   "  UNION ALL"
					   "  SELECT b.attnum, t.typbasetype FROM base b"
					   "    JOIN pg_type t ON t.oid = b.typ WHERE t.typtype = 'd')"
					   "SELECT a.attname, t.typname, e.typname,"
					   "  (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum"
					   "    WHERE enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END),"
					   "  pg_get_expr(d.adbin, d.adrelid),"
					   "  col_description(a.attrelid, a.attnum),"
					   /* position in the primary key, else the replica identity index */
					   "  (SELECT array_position(i.indkey::int2[], a.attnum) FROM pg_index i"
					   "    WHERE i.indrelid = a.attrelid AND (i.indisprimary OR i.indisreplident)"
					   "    ORDER BY i.indisprimary DESC LIMIT 1)"
					   " FROM pg_attribute a"
					   " JOIN base b ON b.attnum = a.attnum"
					   " JOIN pg_type t ON t.oid = b.typ AND t.typtype <> 'd'"
					   " LEFT JOIN pg_type e ON t.typcategory = 'A' AND e.oid = t.typelem"
					   " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
					   " WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		snprintf(err, errlen, "cannot read the catalog for relation %u: %s", relid, pg_error(conn));
		PQclear(res);
		return false;
	}
	for (int i = 0; i < ncols; i++)
	{
		memset(&out[i], 0, sizeof(ColumnMeta));
		for (int row = 0; row < PQntuples(res); row++)
		{
			if (strcmp(PQgetvalue(res, row, 0), names[i]) != 0)
				continue;
			char	  **fields[5] = {&out[i].type_name, &out[i].elem_type_name,
				&out[i].enum_labels, &out[i].default_expr, &out[i].comment};

			for (int f = 0; f < 5; f++)
				if (!PQgetisnull(res, row, f + 1))
					*fields[f] = strdup(PQgetvalue(res, row, f + 1));
			if (!PQgetisnull(res, row, 6))
				out[i].key_position = atoi(PQgetvalue(res, row, 6));
			break;
		}
	}
	PQclear(res);
	return true;
}

/*
 * Has the server closed the catalog connection (shutdown, or a terminated
 * backend)?  Never blocks.
 */
bool
meta_server_gone(PGconn *meta)
{
	struct pollfd pfd = {.fd = PQsocket(meta),.events = POLLIN};

	if (PQstatus(meta) != CONNECTION_OK || pfd.fd < 0)
		return true;
	if (poll(&pfd, 1, 0) <= 0)
		return false;
	if (!PQconsumeInput(meta))
		return true;
	return PQstatus(meta) != CONNECTION_OK;
}

/*
 * WAL the slot makes the server keep (from its restart_lsn to the current
 * WAL position), asked of the server: the shipper's own view stands still
 * while it is not reading.  -1 when it cannot be had.
 */
int64_t
catalog_retained_wal(PGconn *meta, const char *slot)
{
	const char *params[1] = {slot};
	PGresult   *res = PQexecParams(meta,
								   "SELECT pg_current_wal_lsn() - restart_lsn FROM pg_replication_slots"
								   " WHERE slot_name = $1",
								   1, NULL, params, NULL, NULL, 0);
	int64_t		bytes = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return bytes;
}
