/*
 * captured.c
 *		Which tables the include/exclude lists capture, said in the log.
 *
 * Filtering happens in the database, so a misspelt or differently-cased
 * entry in table.include.list would silently capture nothing while the
 * slot moves past those changes.  At start-up the shipper lists the
 * tables it captures, warns for each include entry that matches no table,
 * and claims each captured table's topic (render.h, TopicClaims): two that
 * map to one topic are refused.  While it streams it looks again (at each
 * progress line) and logs tables dropped, renamed out of the lists or
 * newly captured; a new table whose topic another table holds is logged,
 * and its changes fail rather than mix into that topic.  Renames within
 * the lists are logged by the renderer, when the table's topic changes.
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
							 "SELECT c.oid, n.nspname, c.relname,"
							 "  format('\"%s\".\"%s\"', replace(n.nspname, '\"', '\"\"'),"
							 "         replace(c.relname, '\"', '\"\"'))"
							 " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
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

static uint32_t
row_oid(PGresult *res, int row)
{
	return (uint32_t) strtoul(PQgetvalue(res, row, 0), NULL, 10);
}

/* The row of res with this OID, or -1. */
static int
find_row(PGresult *res, uint32_t oid)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (row_oid(res, i) == oid)
			return i;
	return -1;
}

static void
captured_free(CapturedTables *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->oids);
	free(t->names);
	memset(t, 0, sizeof(CapturedTables));
}

/* Add row of res to t. */
static void
add_table(CapturedTables *t, PGresult *res, int row)
{
	t->oids = xrealloc(t->oids, (t->n + 1) * sizeof(uint32_t));
	t->names = xrealloc(t->names, (t->n + 1) * sizeof(char *));
	t->oids[t->n] = row_oid(res, row);
	t->names[t->n] = xstrdup(PQgetvalue(res, row, 3));
	t->n++;
}

static bool
captured_row(const Config *cfg, PGresult *res, int row)
{
	return config_table_captured(cfg, PQgetvalue(res, row, 1), PQgetvalue(res, row, 2));
}

/*
 * At start-up: log what is captured, warn for include entries that match
 * nothing, claim the captured tables' topics; false (and err) when two of
 * them map to one topic.
 */
bool
captured_check(PGconn *meta, const Config *cfg, TopicClaims *claims, CapturedTables *out,
			   char *err, size_t errlen)
{
	PGresult   *res = all_tables(meta, err, errlen);
	Buf			list = {0};

	captured_free(out);			/* a first start tried again looks again */
	if (res == NULL)
	{
		log_warn("%s; the captured tables are not checked", err);
		return true;
	}
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *other;
		char	   *topic;

		if (!captured_row(cfg, res, i))
			continue;
		other = topic_claims_table(claims, cfg, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
		if (other)
		{
			topic = render_topic_name(cfg, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
			/* other is "table <name>": neither came first, so name them alike */
			snprintf(err, errlen, "%s and table %s both map to topic %s; rename one, or "
					 "leave one out with table.exclude.list", other, PQgetvalue(res, i, 3), topic);
			free(topic);
			PQclear(res);
			return false;
		}
		if (out->n < TABLES_LISTED)
		{
			buf_puts(&list, out->n ? ", " : ": ");
			buf_puts(&list, PQgetvalue(res, i, 3));
		}
		add_table(out, res, i);
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

/*
 * While streaming: log captured tables dropped or renamed out of the
 * lists, and tables newly captured (claiming their topics), since the last
 * look.  The list keeps the order tables were first seen in.
 */
void
captured_recheck(PGconn *meta, const Config *cfg, TopicClaims *claims, CapturedTables *known)
{
	char		err[ERRLEN];
	PGresult   *res = all_tables(meta, err, sizeof(err));
	CapturedTables now = {0};

	if (res == NULL)
		return;					/* the session notices a lost connection */
	for (int k = 0; k < known->n; k++)
	{
		int			row = find_row(res, known->oids[k]);

		if (row < 0)
			log_warn("captured table %s was dropped", known->names[k]);
		else if (!captured_row(cfg, res, row))
			log_warn("captured table %s was renamed to %s, which the table lists do not "
					 "capture: its changes are no longer sent", known->names[k],
					 PQgetvalue(res, row, 3));
		else
			add_table(&now, res, row);
	}
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *other;
		char	   *topic;
		bool		seen = false;

		for (int k = 0; k < known->n && !seen; k++)
			seen = known->oids[k] == row_oid(res, i);
		if (seen || !captured_row(cfg, res, i))
			continue;
		add_table(&now, res, i);
		topic = render_topic_name(cfg, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
		other = topic_claims_table(claims, cfg, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
		if (other)
			log_warn("table %s is now captured, but its topic %s already carries %s: its "
					 "changes fail rather than mix into that topic; rename one, or leave one "
					 "out with table.exclude.list", PQgetvalue(res, i, 3), topic, other);
		else
			log_info("table %s is now captured, to topic %s", PQgetvalue(res, i, 3), topic);
		free(topic);
	}
	PQclear(res);
	captured_free(known);
	*known = now;
}
