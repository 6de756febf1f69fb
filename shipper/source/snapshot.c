/*
 * snapshot.c
 *		The database side of a snapshot: share one snapshot between
 *		connections, plan what to read, and read it in bounded chunks.
 *
 * Rows come from the extension's cellcdc.snapshot_row() as the INSERT
 * records the plugin streams, so the renderer reads one format.  A table
 * with a primary key is read in key order, in chunks of snapshot.fetch.size
 * rows (WHERE key > the last key read ... LIMIT n), and large ones are
 * split into key ranges that several connections read at once, and that
 * an interrupted snapshot goes on from: by arithmetic between the smallest
 * and largest key when the key is one integer column, else at keys sampled
 * in the snapshot itself, so that no range is empty.  The same chunks make
 * the windows of incremental snapshots (snap_chunk).  A table without a
 * primary key is read whole through a cursor.  The next chunk is asked for as soon as one arrives,
 * so the server reads while the shipper renders.  Every range runs in a
 * savepoint that is rolled back after it: an error is that table's alone,
 * and the table's lock goes with it, so a DROP TABLE waits for one range,
 * not for the whole snapshot.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "source/source.h"

/* tables of fewer chunks (snapshot.fetch.size rows) than this are one range */
#define SPLIT_MIN_CHUNKS 8

/* a range holds about this many rows, at most this many ranges a table */
#define RANGE_ROWS		50000
#define MAX_RANGES		10000

/* sampled keys per range wanted, to place the boundaries */
#define SAMPLE_PER_RANGE 100

/* Run a command that returns nothing; false with err on failure. */
static bool
run(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		snprintf(err, errlen, "%s", pg_error(conn));
	PQclear(res);
	return ok;
}

/*
 * res when it holds rows; otherwise res is cleared and NULL returned, with
 * err the server's message, after what failed when what is given.
 */
static PGresult *
rows(PGconn *conn, PGresult *res, const char *what, char *err, size_t errlen)
{
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	if (what)
		snprintf(err, errlen, "%s: %s", what, pg_error(conn));
	else
		snprintf(err, errlen, "%s", pg_error(conn));
	PQclear(res);
	return NULL;
}

/* Open a read-only REPEATABLE READ transaction on the exported snapshot. */
bool
snap_import(PGconn *conn, const char *name, char *err, size_t errlen)
{
	char	   *lit = PQescapeLiteral(conn, name, strlen(name));
	char		sql[256];
	bool		ok;

	snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT %s", lit ? lit : "''");
	PQfreemem(lit);
	ok = run(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen) &&
		run(conn, sql, err, errlen);
	if (!ok)
		snprintf(err + strlen(err), errlen - strlen(err), " (importing snapshot %s)", name);
	return ok;
}

/*
 * Open a snapshot of the database as it is now and export it, for a
 * snapshot that no slot's stream follows (snapshot.mode=initial_only).
 */
bool
snap_export(PGconn *conn, char *name, size_t namelen, uint64_t *lsn, char *err, size_t errlen)
{
	PGresult   *res;

	if (!run(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen))
		return false;
	res = rows(conn, PQexec(conn, "SELECT pg_export_snapshot(), pg_current_wal_lsn()"),
			   "cannot export a snapshot", err, errlen);
	if (res == NULL)
		return false;
	snprintf(name, namelen, "%s", PQgetvalue(res, 0, 0));
	*lsn = lsn_parse(PQgetvalue(res, 0, 1));
	PQclear(res);
	return true;
}

/*
 * Is the extension there, recent enough to read snapshots?  err says what
 * to do when not.
 */
bool
snap_check_extension(PGconn *conn, char *err, size_t errlen)
{
	PGresult   *res = PQexec(conn, "SELECT extversion,"
							 " to_regprocedure('cellcdc.snapshot_row(record, text)') IS NOT NULL"
							 " FROM pg_extension WHERE extname = 'cellcdc'");
	bool		ok = false;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "cannot check for the cellcdc extension: %s", pg_error(conn));
	else if (PQntuples(res) == 0)
		snprintf(err, errlen, "snapshots read rows through the cellcdc extension, which database "
				 "\"%s\" does not have: run CREATE EXTENSION cellcdc there (as a superuser), or set "
				 "snapshot.mode=no_data to stream changes only", PQdb(conn));
	else if (PQgetvalue(res, 0, 1)[0] != 't')
		snprintf(err, errlen, "the cellcdc extension in database \"%s\" is version %s, which "
				 "cannot read snapshots: run ALTER EXTENSION cellcdc UPDATE there", PQdb(conn),
				 PQgetvalue(res, 0, 0));
	else
		ok = true;
	PQclear(res);
	return ok;
}

/* "{1,2,3}": the OIDs as an array literal */
static char *
oid_array(const CapturedTables *captured)
{
	Buf			b = {0};

	buf_putc(&b, '{');
	for (int i = 0; i < captured->n; i++)
		buf_printf(&b, "%s%u", i ? "," : "", captured->oids[i]);
	buf_putc(&b, '}');
	return buf_take(&b, NULL);
}

/* The primary key's columns from a JSON array of quoted identifiers. */
static void
take_keys(SnapTable *t, const char *json)
{
	json_t	   *a = json_loads(json, 0, NULL);

	t->nkey = (int) json_array_size(a);
	t->keys = xcalloc(t->nkey ? t->nkey : 1, sizeof(char *));
	for (int k = 0; k < t->nkey; k++)
		t->keys[k] = xstrdup(json_string_value(json_array_get(a, k)));
	json_decref(a);
}

/* The tables to read: the captured ones, partitioned ones as their leaves. */
static bool
plan_tables(PGconn *conn, const CapturedTables *captured, SnapPlan *plan, char *err, size_t errlen)
{
	char	   *oids = oid_array(captured);
	const char *params[1] = {oids};
	PGresult   *res = PQexecParams(conn,
								   "SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.reltuples::int8,"
								   "  has_table_privilege(c.oid, 'SELECT'),"
								   "  (SELECT json_agg(format('%I', a.attname) ORDER BY k.ord)"
								   "     FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, ord),"
								   "          pg_attribute a"
								   "    WHERE i.indrelid = c.oid AND i.indisprimary"
								   "      AND a.attrelid = c.oid AND a.attnum = k.attnum),"
								   /* a key of one integer column splits by arithmetic */
								   "  (SELECT i.indnatts = 1 AND bool_and(a.atttypid IN (20, 21, 23))"
								   "     FROM pg_index i JOIN pg_attribute a"
								   "       ON a.attrelid = c.oid AND a.attnum = i.indkey[0]"
								   "    WHERE i.indrelid = c.oid AND i.indisprimary GROUP BY i.indnatts)"
								   " FROM unnest($1::oid[]) WITH ORDINALITY u(oid, ord)"
								   /* a partitioned table is read as its leaves */
								   " CROSS JOIN LATERAL (SELECT u.oid AS relid UNION"
								   "   SELECT relid FROM pg_partition_tree(u.oid) WHERE isleaf) p"
								   " JOIN pg_class c ON c.oid = p.relid AND c.relkind = 'r'"
								   " JOIN pg_namespace n ON n.oid = c.relnamespace"
								   " ORDER BY u.ord, n.nspname, c.relname",
								   1, NULL, params, NULL, NULL, 0);

	free(oids);
	if ((res = rows(conn, res, "cannot list the tables to snapshot", err, errlen)) == NULL)
		return false;
	plan->ntables = PQntuples(res);
	plan->tables = xcalloc(plan->ntables ? plan->ntables : 1, sizeof(SnapTable));
	for (int i = 0; i < plan->ntables; i++)
	{
		SnapTable  *t = &plan->tables[i];

		t->oid = (uint32_t) strtoul(PQgetvalue(res, i, 0), NULL, 10);
		t->name = xstrdup(PQgetvalue(res, i, 1));
		t->estimate = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		t->readable = PQgetvalue(res, i, 3)[0] == 't';
		if (!PQgetisnull(res, i, 4))
			take_keys(t, PQgetvalue(res, i, 4));
		t->int_key = PQgetvalue(res, i, 5)[0] == 't';
	}
	PQclear(res);
	return true;
}

/* Add a range of table ti; lo and hi (nkey values each, or NULL) are taken. */
static void
add_range(SnapPlan *plan, int ti, char **lo, char **hi)
{
	SnapRange  *rg;

	plan->ranges = xrealloc(plan->ranges, (plan->nranges + 1) * sizeof(SnapRange));
	rg = &plan->ranges[plan->nranges++];
	memset(rg, 0, sizeof(SnapRange));
	rg->table = ti;
	rg->index = plan->tables[ti].nranges++;
	rg->lo = lo;
	rg->hi = hi;
}

/* The nkey key values (text) in columns col.. of row of res, malloc'd. */
char **
snap_row_keys(const PGresult *res, int row, int col, int nkey)
{
	char	  **v = xmalloc((nkey ? nkey : 1) * sizeof(char *));

	for (int k = 0; k < nkey; k++)
		v[k] = xstrndup(PQgetvalue(res, row, col + k), PQgetlength(res, row, col + k));
	return v;
}

/* Free nkey key values (or NULL). */
void
snap_keys_free(char **v, int nkey)
{
	for (int k = 0; v && k < nkey; k++)
		free(v[k]);
	free(v);
}

/* "t.a::text, t.b::text" or "t.a, t.b" */
static void
key_select(Buf *b, const SnapTable *t, const char *cast)
{
	for (int k = 0; k < t->nkey; k++)
		buf_printf(b, "%st.%s%s", k ? ", " : "", t->keys[k], cast);
}

/*
 * Split table ti, whose key is one integer column, into parts ranges of
 * equal key spans between its smallest and largest key; the first and the
 * last are open, so none misses a row.
 */
static bool
split_integers(PGconn *conn, SnapPlan *plan, int ti, int parts, char *err, size_t errlen)
{
	SnapTable  *t = &plan->tables[ti];
	Buf			sql = {0};
	PGresult   *res;
	char	  **lo = NULL;
	char		what[ERRLEN];
	int64_t		min,
				max;

	buf_printf(&sql, "SELECT min(t.%s), max(t.%s) FROM ONLY %s t", t->keys[0], t->keys[0], t->name);
	snprintf(what, sizeof(what), "cannot read the keys of %s", t->name);
	res = rows(conn, PQexec(conn, sql.data), what, err, errlen);
	buf_free(&sql);
	if (res == NULL)
		return false;
	min = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	max = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	for (int j = 1; j < parts && max > min; j++)
	{
		int64_t		at = min + (int64_t) ((double) (max - min) * j / parts);
		char	  **hi = xmalloc(sizeof(char *));
		char		num[24];

		snprintf(num, sizeof(num), "%" PRId64, at);
		if (lo && strcmp(lo[0], num) == 0)
		{
			free(hi);
			continue;
		}
		hi[0] = xstrdup(num);
		add_range(plan, ti, lo, hi);
		lo = xmalloc(sizeof(char *));
		lo[0] = xstrdup(num);
	}
	add_range(plan, ti, lo, NULL);
	return true;
}

/*
 * Split table ti into about parts ranges at keys sampled from the
 * snapshot.  Each boundary is a key that exists, and the first sampled key
 * is never one, so every range holds at least one row.
 */
static bool
split_table(PGconn *conn, SnapPlan *plan, int ti, int parts, char *err, size_t errlen)
{
	SnapTable  *t = &plan->tables[ti];
	double		pct = 100.0 * SAMPLE_PER_RANGE * parts / (double) t->estimate;
	Buf			sql = {0};
	PGresult   *res;
	char	  **lo = NULL;
	char		what[ERRLEN];
	int			n,
				prev = 0;

	if (pct > 100)
		pct = 100;
	buf_puts(&sql, "SELECT ");
	key_select(&sql, t, "::text");
	buf_printf(&sql, " FROM ONLY %s t TABLESAMPLE SYSTEM (%.6f) ORDER BY ", t->name, pct);
	key_select(&sql, t, "");
	snprintf(what, sizeof(what), "cannot sample the keys of %s", t->name);
	res = rows(conn, PQexec(conn, sql.data), what, err, errlen);
	buf_free(&sql);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	for (int j = 1; j < parts && n > 1; j++)
	{
		int			row = (int) ((int64_t) j * n / parts);
		char	  **hi;

		if (row == prev)
			continue;
		prev = row;
		hi = snap_row_keys(res, row, 0, t->nkey);
		add_range(plan, ti, lo, hi);
		lo = snap_row_keys(res, row, 0, t->nkey);
	}
	add_range(plan, ti, lo, NULL);
	PQclear(res);
	return true;
}

/*
 * Plan the snapshot of the captured tables, in the snapshot conn has
 * imported: the leaf tables in order, those with a primary key and more
 * than a few chunks of fetch rows split into key ranges, at least parts
 * and about RANGE_ROWS rows each.  Tables that cannot be read are planned
 * too, with the reason in failed, so that each is reported once.
 */
bool
snap_plan(PGconn *conn, const CapturedTables *captured, int parts, int fetch, SnapPlan *plan,
		  char *err, size_t errlen)
{
	PGresult   *res;

	memset(plan, 0, sizeof(SnapPlan));
	if (!plan_tables(conn, captured, plan, err, errlen))
		return false;
	res = rows(conn, PQexec(conn, "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::int8,"
							" (extract(epoch FROM now()) * 1000000)::int8"),
			   "cannot read the snapshot's position", err, errlen);
	if (res == NULL)
		return false;
	plan->src.txid = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	plan->src.ts_us = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);

	for (int i = 0; i < plan->ntables; i++)
	{
		SnapTable  *t = &plan->tables[i];
		int			table_parts;

		if (!t->readable)
		{
			snprintf(t->failed, sizeof(t->failed), "the shipper's role may not read it: "
					 "GRANT SELECT ON %s TO %s", t->name, PQuser(conn));
			continue;
		}
		/* for threads to share, and so an interruption loses one range at most */
		table_parts = t->estimate / RANGE_ROWS + 1;
		if (table_parts < parts)
			table_parts = parts;
		if (table_parts > MAX_RANGES)
			table_parts = MAX_RANGES;
		if (t->nkey == 0 || t->estimate < (int64_t) SPLIT_MIN_CHUNKS * fetch)
			add_range(plan, i, NULL, NULL);
		else if (!(t->int_key ? split_integers : split_table) (conn, plan, i, table_parts, err, errlen))
			return false;
		plan->ranges[plan->nranges - 1].last = true;
	}
	return true;
}

void
snap_plan_free(SnapPlan *plan)
{
	for (int i = 0; i < plan->nranges; i++)
	{
		SnapRange  *rg = &plan->ranges[i];

		snap_keys_free(rg->lo, plan->tables[rg->table].nkey);
		snap_keys_free(rg->hi, plan->tables[rg->table].nkey);
	}
	for (int i = 0; i < plan->ntables; i++)
		snap_table_free(&plan->tables[i]);
	free(plan->tables);
	free(plan->ranges);
	memset(plan, 0, sizeof(SnapPlan));
}

/* The table's RELATION record, as the plugin writes it, into out. */
bool
snap_relation(PGconn *conn, const SnapTable *t, const char *exclude_columns, Buf *out,
			  char *err, size_t errlen)
{
	char		oid[16];
	const char *params[2] = {oid, exclude_columns ? exclude_columns : ""};
	PGresult   *res;

	snprintf(oid, sizeof(oid), "%u", t->oid);
	res = PQexecParams(conn, "SELECT cellcdc.snapshot_relation($1::oid::regclass, $2)",
					   2, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		snprintf(err, errlen, "%s", pg_error(conn));
		PQclear(res);
		return false;
	}
	buf_reset(out);
	buf_put(out, PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0));
	PQclear(res);
	return true;
}

/*
 * " AND (t.a, t.b) op ($n, ...)" with the values as parameters, which take
 * the key's types, so the comparison is the primary key index's order.
 */
static void
key_condition(Buf *sql, const SnapTable *t, const char *op, char **values, int *nparams,
			  const char **params)
{
	buf_puts(sql, t->nkey > 1 ? " AND (" : " AND ");
	key_select(sql, t, "");
	buf_printf(sql, "%s %s %s", t->nkey > 1 ? ")" : "", op, t->nkey > 1 ? "(" : "");
	for (int k = 0; k < t->nkey; k++)
	{
		params[*nparams] = values[k];
		(*nparams)++;
		buf_printf(sql, "%s$%d", k ? ", " : "", *nparams);
	}
	if (t->nkey > 1)
		buf_putc(sql, ')');
}

/*
 * The query of a chunk of range rg: the rows after the key values after
 * (NULL: from the range's start), in key order, at most limit.  Column 0 is
 * the record, then the key's values as text.  $1 is exclude_columns; the
 * bounds are parameters from $2 on.
 */
static void
chunk_query(Buf *sql, const SnapTable *t, const SnapRange *rg, char **after, int limit,
			int *nparams, const char **params)
{
	buf_puts(sql, "SELECT cellcdc.snapshot_row(t.*, $1), ");
	key_select(sql, t, "::text");
	buf_printf(sql, " FROM ONLY %s t WHERE true", t->name);
	if (after)
		key_condition(sql, t, ">", after, nparams, params);
	else if (rg->lo)
		key_condition(sql, t, ">=", rg->lo, nparams, params);
	if (rg->hi)
		key_condition(sql, t, rg->hi_inclusive ? "<=" : "<", rg->hi, nparams, params);
	if (rg->filter)
		buf_printf(sql, " AND (%s)", rg->filter);
	buf_puts(sql, " ORDER BY ");
	key_select(sql, t, "");
	buf_printf(sql, " LIMIT %d", limit);
}

/*
 * The table's largest key now (NULL when it is empty), in *last: where an
 * incremental snapshot that starts now ends.  False with err on failure.
 */
bool
snap_last_key(PGconn *conn, const SnapTable *t, char ***last, char *err, size_t errlen)
{
	Buf			sql = {0};
	PGresult   *res;

	buf_puts(&sql, "SELECT ");
	key_select(&sql, t, "::text");
	buf_printf(&sql, " FROM ONLY %s t ORDER BY ", t->name);
	key_select(&sql, t, " DESC");
	buf_puts(&sql, " LIMIT 1");
	res = rows(conn, PQexec(conn, sql.data), NULL, err, errlen);
	buf_free(&sql);
	if (res == NULL)
		return false;
	*last = PQntuples(res) == 1 ? snap_row_keys(res, 0, 0, t->nkey) : NULL;
	PQclear(res);
	return true;
}

/*
 * One chunk of range rg after the key values after, read now (in the
 * connection's own snapshot): for an incremental snapshot's window.  NULL
 * with err on failure; else the caller clears it.
 */
PGresult *
snap_chunk(PGconn *conn, const SnapTable *t, const SnapRange *rg, char **after,
		   const char *exclude_columns, int limit, char *err, size_t errlen)
{
	Buf			sql = {0};
	const char *params[1 + 3 * SNAP_MAX_KEYS];
	int			nparams = 1;
	PGresult   *res;

	params[0] = exclude_columns ? exclude_columns : "";
	chunk_query(&sql, t, rg, after, limit, &nparams, params);
	res = rows(conn, PQexecParams(conn, sql.data, nparams, NULL, params, NULL, NULL, 1), NULL,
			   err, errlen);
	buf_free(&sql);
	return res;
}

/*
 * Describe one table for a snapshot of it alone: t->failed says why it
 * cannot be read.  False with err when the catalog cannot be read.
 */
bool
snap_describe(PGconn *conn, uint32_t oid, SnapTable *t, char *err, size_t errlen)
{
	CapturedTables one = {.n = 1,.oids = &oid};
	SnapPlan	plan = {0};

	memset(t, 0, sizeof(SnapTable));
	if (!plan_tables(conn, &one, &plan, err, errlen))
		return false;
	if (plan.ntables == 0)
		snprintf(t->failed, sizeof(t->failed), "it no longer exists");
	else
	{
		*t = plan.tables[0];
		plan.tables[0].keys = NULL;
		plan.tables[0].nkey = 0;
		plan.tables[0].name = NULL;
		if (!t->readable)
			snprintf(t->failed, sizeof(t->failed), "the shipper's role may not read it: "
					 "GRANT SELECT ON %s TO %s", t->name, PQuser(conn));
	}
	snap_plan_free(&plan);
	return true;
}

/* Is the table gone from the catalog (dropped, or renamed away)? */
bool
snap_table_gone(PGconn *conn, const SnapTable *t)
{
	char		oid[16];
	const char *params[2] = {oid, t->name};
	PGresult   *res;
	bool		gone;

	snprintf(oid, sizeof(oid), "%u", t->oid);
	res = PQexecParams(conn, "SELECT to_regclass($2) IS DISTINCT FROM $1::oid", 2, NULL, params,
					   NULL, NULL, 0);
	gone = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return gone;
}

/* Free what snap_describe filled in. */
void
snap_table_free(SnapTable *t)
{
	snap_keys_free(t->keys, t->nkey);
	free(t->name);
	memset(t, 0, sizeof(SnapTable));
}

/* Ask for the range's next chunk (not waiting for it). */
static bool
send_chunk(SnapReader *rd, char *err, size_t errlen)
{
	const SnapTable *t = rd->table;
	Buf			sql = {0};
	const char *params[1 + 3 * SNAP_MAX_KEYS];
	int			nparams = 1;
	bool		ok;

	if (t->nkey == 0)
	{
		/* no key to order by: a cursor over the whole table */
		if (!rd->cursor_open)
		{
			buf_printf(&sql, "DECLARE cellcdc_snapshot NO SCROLL CURSOR FOR "
					   "SELECT cellcdc.snapshot_row(t.*, %s) FROM ONLY %s t", "$1", t->name);
			params[0] = rd->exclude;
			ok = PQsendQueryParams(rd->conn, sql.data, 1, NULL, params, NULL, NULL, 1) != 0;
			buf_free(&sql);
			if (ok)
			{
				PGresult   *res;

				while ((res = PQgetResult(rd->conn)) != NULL)
				{
					ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
					PQclear(res);
				}
			}
			if (!ok)
			{
				snprintf(err, errlen, "%s", pg_error(rd->conn));
				return false;
			}
			rd->cursor_open = true;
		}
		buf_printf(&sql, "FETCH %d FROM cellcdc_snapshot", rd->fetch);
		ok = PQsendQueryParams(rd->conn, sql.data, 0, NULL, NULL, NULL, NULL, 1) != 0;
	}
	else
	{
		params[0] = rd->exclude;
		chunk_query(&sql, t, rd->range, rd->after, rd->fetch, &nparams, params);
		ok = PQsendQueryParams(rd->conn, sql.data, nparams, NULL, params, NULL, NULL, 1) != 0;
	}
	buf_free(&sql);
	if (!ok)
		snprintf(err, errlen, "%s", pg_error(rd->conn));
	rd->in_flight = ok;
	return ok;
}

/* Take the chunk asked for; ask for the one after it if this one is full. */
static bool
take_chunk(SnapReader *rd, char *err, size_t errlen)
{
	PGresult   *res = PQgetResult(rd->conn);
	PGresult   *extra;

	rd->in_flight = false;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		snprintf(err, errlen, "%s", pg_error(rd->conn));
		PQclear(res);
		while ((extra = PQgetResult(rd->conn)) != NULL)
			PQclear(extra);
		return false;
	}
	while ((extra = PQgetResult(rd->conn)) != NULL)
		PQclear(extra);
	PQclear(rd->prev);
	rd->prev = rd->res;
	rd->res = res;
	rd->row = 0;
	rd->full = PQntuples(res) == rd->fetch;
	if (rd->full && rd->table->nkey > 0)
	{
		snap_keys_free(rd->after, rd->table->nkey);
		rd->after = snap_row_keys(res, PQntuples(res) - 1, 1, rd->table->nkey);
	}
	if (rd->full)
		return send_chunk(rd, err, errlen);
	return true;
}

/* Start reading a range of its table; rd->exclude is the decoder's exclude_columns. */
bool
snap_reader_open(SnapReader *rd, PGconn *conn, const SnapTable *t, const SnapRange *rg,
				 const char *exclude_columns, int fetch, char *err, size_t errlen)
{
	memset(rd, 0, sizeof(SnapReader));
	rd->conn = conn;
	rd->table = t;
	rd->range = rg;
	rd->exclude = exclude_columns ? exclude_columns : "";
	rd->fetch = fetch;
	if (t->nkey > SNAP_MAX_KEYS)
	{
		snprintf(err, errlen, "%s has a primary key of %d columns; at most %d are supported",
				 t->name, t->nkey, SNAP_MAX_KEYS);
		return false;
	}
	return send_chunk(rd, err, errlen) && take_chunk(rd, err, errlen);
}

/*
 * The next row: 1 with the record in *data and *len (valid until the next
 * call) and *last set for the range's last row, 0 at the end, -1 on error.
 */
int
snap_reader_next(SnapReader *rd, const uint8_t **data, size_t *len, bool *last,
				 char *err, size_t errlen)
{
	PGresult   *res = rd->res;
	int			row = rd->row;

	if (row >= PQntuples(res))
		return 0;
	if (row == PQntuples(res) - 1 && rd->full)
	{
		/* the chunk's last row is the range's last if the next chunk is empty */
		if (!take_chunk(rd, err, errlen))
			return -1;
		*last = PQntuples(rd->res) == 0;
		*data = (const uint8_t *) PQgetvalue(res, row, 0);
		*len = PQgetlength(res, row, 0);
		return 1;
	}
	rd->row++;
	*last = rd->row == PQntuples(res);
	*data = (const uint8_t *) PQgetvalue(res, row, 0);
	*len = PQgetlength(res, row, 0);
	return 1;
}

/* Done with the range's rows, whether all were read or not. */
void
snap_reader_close(SnapReader *rd)
{
	PGresult   *res;

	if (rd->in_flight)
	{
		PQrequestCancel(rd->conn);
		while ((res = PQgetResult(rd->conn)) != NULL)
			PQclear(res);
	}
	PQclear(rd->res);
	PQclear(rd->prev);
	if (rd->after)
		snap_keys_free(rd->after, rd->table->nkey);
	memset(rd, 0, sizeof(SnapReader));
}

/* A range runs in a savepoint: an error in it is its table's alone. */
bool
snap_range_begin(PGconn *conn, char *err, size_t errlen)
{
	return run(conn, "SAVEPOINT cellcdc_range", err, errlen);
}

/*
 * Roll the range's savepoint back, even after a success (nothing was
 * written): its table's lock goes with it, so a DROP TABLE waits for one
 * range, not for the whole snapshot.
 */
bool
snap_range_end(PGconn *conn, char *err, size_t errlen)
{
	return run(conn, "ROLLBACK TO SAVEPOINT cellcdc_range", err, errlen);
}
