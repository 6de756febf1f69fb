/*
 * stream.c
 *		The Postgres side of the shipper: the replication connection that
 *		streams the slot, and a normal connection for catalog lookups.
 *
 * The replication session pins the settings that change how the server
 * prints values (types without a binary form in the record format go as
 * their output function's text), so the renderer always parses one
 * spelling whatever the role's or database's defaults are.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "shipper.h"

/* output-function settings the renderer relies on */
#define PINNED_OPTIONS "-c DateStyle=ISO -c IntervalStyle=postgres " \
	"-c extra_float_digits=3 -c TimeZone=UTC -c bytea_output=hex"

/* "options" from the user's conninfo, so ours can be appended to it */
static char *
user_options(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	char	   *result = NULL;

	if (opts == NULL)
		return NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val && o->val[0])
			result = strdup(o->val);
	PQconninfoFree(opts);
	return result;
}

/* Connect with conninfo plus our overrides; NULL and err on failure. */
static PGconn *
connect_with(const Config *cfg, bool replication, char *err, size_t errlen)
{
	char	   *user_opts = user_options(cfg->conninfo);
	Buf			options = {0};
	const char *keys[5];
	const char *vals[5];
	int			n = 0;
	PGconn	   *conn;

	if (user_opts)
	{
		buf_puts(&options, user_opts);
		buf_putc(&options, ' ');
		free(user_opts);
	}
	buf_puts(&options, PINNED_OPTIONS);

	keys[n] = "dbname";
	vals[n++] = cfg->conninfo;
	keys[n] = "options";
	vals[n++] = options.data;
	keys[n] = "application_name";
	vals[n++] = "cellcdc-shipper";
	if (replication)
	{
		keys[n] = "replication";
		vals[n++] = "database";
	}
	keys[n] = NULL;
	vals[n] = NULL;

	conn = PQconnectdbParams(keys, vals, 1);
	buf_free(&options);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
				 PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

PGconn *
stream_connect(const Config *cfg, char *err, size_t errlen)
{
	return connect_with(cfg, true, err, errlen);
}

PGconn *
meta_connect(const Config *cfg, char *err, size_t errlen)
{
	return connect_with(cfg, false, err, errlen);
}

/* libpq error text without the trailing newline */
static const char *
pq_error(PGconn *conn)
{
	static char msg[ERRLEN];
	size_t		len;

	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	return msg;
}

/*
 * Make sure the slot exists with our plugin in this database, creating it
 * if missing.  A slot of another plugin or database is refused: streaming
 * it would either fail later or read someone else's changes.
 */
bool
stream_ensure_slot(PGconn *conn, const char *slot, char *err, size_t errlen)
{
	char	   *literal = PQescapeLiteral(conn, slot, strlen(slot));
	PGresult   *res;
	char	   *ident;
	Buf			query = {0};
	Buf			cmd = {0};
	bool		ok = false;

	/* replication connections take only simple queries */
	buf_puts(&query, "SELECT plugin, database = current_database(), database "
			 "FROM pg_replication_slots WHERE slot_name = ");
	buf_puts(&query, literal);
	PQfreemem(literal);
	for (int attempt = 0; attempt < 2; attempt++)
	{
		res = PQexec(conn, query.data);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			snprintf(err, errlen, "cannot look up slot \"%s\": %s", slot, pq_error(conn));
			break;
		}
		if (PQntuples(res) == 1)
		{
			if (PQgetisnull(res, 0, 0) || strcmp(PQgetvalue(res, 0, 0), "cellcdc") != 0)
				snprintf(err, errlen, "slot \"%s\" exists but is not a cellcdc slot (plugin %s); "
						 "set slot.name to another name, or drop it with "
						 "SELECT pg_drop_replication_slot('%s')",
						 slot, PQgetisnull(res, 0, 0) ? "none: physical slot" : PQgetvalue(res, 0, 0), slot);
			else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
				snprintf(err, errlen, "slot \"%s\" belongs to database \"%s\", not this one; "
						 "fix database.dbname or slot.name", slot, PQgetvalue(res, 0, 2));
			else
				ok = true;
			break;
		}
		PQclear(res);

		ident = PQescapeIdentifier(conn, slot, strlen(slot));
		buf_puts(&cmd, "CREATE_REPLICATION_SLOT ");
		buf_puts(&cmd, ident);
		buf_puts(&cmd, " LOGICAL cellcdc (SNAPSHOT 'nothing')");
		PQfreemem(ident);
		res = PQexec(conn, cmd.data);
		buf_free(&cmd);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			log_info("created replication slot \"%s\" at %s", slot, PQgetvalue(res, 0, 1));
			ok = true;
			break;
		}
		/* someone else created it meanwhile: look once more */
		if (!PQresultErrorField(res, PG_DIAG_SQLSTATE) ||
			strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42710") != 0 || attempt == 1)
		{
			snprintf(err, errlen, "cannot create slot \"%s\": %s", slot, pq_error(conn));
			break;
		}
		PQclear(res);
	}
	PQclear(res);
	buf_free(&query);
	return ok;
}

/* START_REPLICATION from start_lsn (0: where the slot is) with our options. */
bool
stream_start(PGconn *conn, const Config *cfg, uint64_t start_lsn, char *err, size_t errlen)
{
	char	   *ident = PQescapeIdentifier(conn, cfg->slot_name, strlen(cfg->slot_name));
	char		lsn[32];
	Buf			cmd = {0};
	PGresult   *res;
	bool		ok;

	snprintf(lsn, sizeof(lsn), LSN_FMT, LSN_ARGS(start_lsn));
	buf_puts(&cmd, "START_REPLICATION SLOT ");
	buf_puts(&cmd, ident);
	buf_puts(&cmd, " LOGICAL ");
	buf_puts(&cmd, lsn);
	buf_putc(&cmd, ' ');
	buf_puts(&cmd, cfg->decoder_options);
	PQfreemem(ident);
	res = PQexec(conn, cmd.data);
	ok = PQresultStatus(res) == PGRES_COPY_BOTH;
	if (!ok)
		snprintf(err, errlen, "cannot stream slot \"%s\": %s", cfg->slot_name, pq_error(conn));
	PQclear(res);
	buf_free(&cmd);
	return ok;
}

static void
put_u64(char *p, uint64_t v)
{
	uint32_t	hi = htonl((uint32_t) (v >> 32));
	uint32_t	lo = htonl((uint32_t) v);

	memcpy(p, &hi, 4);
	memcpy(p + 4, &lo, 4);
}

/* Standby status update: 'r', write, flush, apply, clock, reply-requested. */
bool
stream_send_status(PGconn *conn, uint64_t received, uint64_t confirmed,
				   char *err, size_t errlen)
{
	char		msg[34];
	int64_t		pg_now_us = wall_ms() * 1000 - INT64_C(946684800000000);

	msg[0] = 'r';
	put_u64(msg + 1, received);
	put_u64(msg + 9, confirmed);
	put_u64(msg + 17, confirmed);
	put_u64(msg + 25, (uint64_t) pg_now_us);
	msg[33] = 0;
	if (PQputCopyData(conn, msg, sizeof(msg)) <= 0 || PQflush(conn) != 0)
	{
		snprintf(err, errlen, "cannot send status to PostgreSQL: %s", pq_error(conn));
		return false;
	}
	return true;
}

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
		snprintf(err, errlen, "cannot read the catalog for relation %u: %s", relid, pq_error(conn));
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
