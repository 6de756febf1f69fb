/*
 * captured.c
 *		Which tables the include/exclude lists capture, said in the log.
 *
 * Filtering happens in the database, so a misspelt or differently-cased
 * entry in table.include.list would silently capture nothing while the
 * slot moves past those changes.  At start-up the shipper lists the
 * tables it captures, warns for each include entry that matches no table,
 * and refuses two captured tables whose names map to one topic.  While it
 * streams it looks again (at each progress line) and logs tables dropped
 * or newly captured (renames are logged by the renderer); a new table that
 * collides with another's topic is logged, and its changes fail rather
 * than mix into that topic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/source.h"

/* how many table names the start-up line lists before "and N more" */
#define TABLES_LISTED 20

/* Every ordinary or partitioned table outside the system schemas. */
static PGresult *
all_tables(PGconn *meta, char *err, size_t errlen)
{
	PGresult   *res = PQexec(meta,
							 "SELECT c.oid, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname)"
							 " FROM pg_class c"
							 " JOIN pg_namespace n ON n.oid = c.relnamespace"
							 " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
							 "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cellcdc')"
							 "   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
							 " ORDER BY n.nspname, c.relname");

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		snprintf(err, errlen, "cannot list the database's tables: %s", pg_error(meta));
		PQclear(res);
		return NULL;
	}
	return res;
}

static void
captured_free(CapturedTables *t)
{
	for (int i = 0; i < t->n; i++)
	{
		free(t->names[i]);
		free(t->topics[i]);
	}
	free(t->oids);
	free(t->names);
	free(t->topics);
	memset(t, 0, sizeof(CapturedTables));
}

/* The captured tables of res, with their topics. */
static void
captured(const Config *cfg, PGresult *res, CapturedTables *out)
{
	int			rows = PQntuples(res);

	memset(out, 0, sizeof(CapturedTables));
	out->oids = xcalloc(rows, sizeof(uint32_t));
	out->names = xcalloc(rows, sizeof(char *));
	out->topics = xcalloc(rows, sizeof(char *));
	for (int i = 0; i < rows; i++)
	{
		const char *schema = PQgetvalue(res, i, 1);
		const char *table = PQgetvalue(res, i, 2);

		if (!config_table_captured(cfg, schema, table))
			continue;
		out->oids[out->n] = (uint32_t) strtoul(PQgetvalue(res, i, 0), NULL, 10);
		out->names[out->n] = xstrdup(PQgetvalue(res, i, 3));
		out->topics[out->n] = render_topic_name(cfg, schema, table);
		out->n++;
	}
}

/* Another captured table (before i when earlier_only) with i's topic, or -1. */
static int
collides(const CapturedTables *t, int i, bool earlier_only)
{
	for (int j = 0; j < (earlier_only ? i : t->n); j++)
		if (j != i && strcmp(t->topics[j], t->topics[i]) == 0)
			return j;
	return -1;
}

static int
find_oid(const CapturedTables *t, uint32_t oid)
{
	for (int i = 0; i < t->n; i++)
		if (t->oids[i] == oid)
			return i;
	return -1;
}

/*
 * At start-up: log what is captured, warn for include entries that match
 * nothing; false (and err) when two captured tables share a topic.
 */
bool
captured_check(PGconn *meta, const Config *cfg, CapturedTables *out, char *err, size_t errlen)
{
	PGresult   *res = all_tables(meta, err, errlen);
	Buf			list = {0};

	if (res == NULL)
	{
		log_warn("%s; the captured tables are not checked", err);
		return true;
	}
	captured(cfg, res, out);
	for (int i = 0; i < out->n; i++)
	{
		int			j = collides(out, i, true);

		if (j >= 0)
		{
			snprintf(err, errlen, "tables %s and %s both map to topic %s; rename one, or "
					 "leave one out with table.exclude.list", out->names[j], out->names[i],
					 out->topics[i]);
			PQclear(res);
			return false;
		}
	}
	for (int i = 0; i < out->n && i < TABLES_LISTED; i++)
	{
		buf_puts(&list, i ? ", " : ": ");
		buf_puts(&list, out->names[i]);
	}
	if (out->n > TABLES_LISTED)
	{
		char		more[48];

		snprintf(more, sizeof(more), " and %d more", out->n - TABLES_LISTED);
		buf_puts(&list, more);
	}
	log_info("capturing %d of the database's %d tables%s", out->n, PQntuples(res),
			 list.data ? list.data : "");
	buf_free(&list);

	for (int e = 0; e < config_include_count(cfg); e++)
	{
		bool		any = false;

		for (int i = 0; i < PQntuples(res) && !any; i++)
			any = config_include_matches(cfg, e, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
		if (!any)
			log_warn("table.include.list entry \"%s\" matches no table (names are "
					 "case-sensitive); its changes are not captured until such a table exists",
					 config_include_entry(cfg, e));
	}
	PQclear(res);
	return true;
}

/* While streaming: log tables dropped or newly captured since the last look. */
void
captured_recheck(PGconn *meta, const Config *cfg, CapturedTables *known)
{
	char		err[ERRLEN];
	PGresult   *res = all_tables(meta, err, sizeof(err));
	CapturedTables	now;

	if (res == NULL)
		return;					/* the session notices a lost connection */
	captured(cfg, res, &now);
	PQclear(res);
	for (int i = 0; i < known->n; i++)
		if (find_oid(&now, known->oids[i]) < 0)
			log_warn("captured table %s was dropped", known->names[i]);
	for (int i = 0; i < now.n; i++)
	{
		int			k = find_oid(known, now.oids[i]);
		int			j = collides(&now, i, false);

		/* a rename is logged by the renderer, when the table's topic changes */
		if (k >= 0)
			continue;
		log_info("table %s is now captured, to topic %s", now.names[i], now.topics[i]);
		if (j >= 0)
			log_warn("tables %s and %s both map to topic %s: changes of the one seen second "
					 "fail rather than mix into the other's topic; rename one, or leave one "
					 "out with table.exclude.list", now.names[j], now.names[i], now.topics[i]);
	}
	captured_free(known);
	*known = now;
}
