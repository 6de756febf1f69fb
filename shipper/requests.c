/*
 * requests.c
 *		Snapshot requests: a transactional logical decoding message, prefix
 *		cellcdc.snapshot, content {"action":..,"schema":..,"table":..,
 *		"filter":..,"slot":..}, that the running shipper finds in its stream
 *		once the transaction commits.  Nothing is written to any table.
 *
 * They are written by the extension's request_snapshot(), stop_snapshot(),
 * pause_snapshots() and resume_snapshots(), by cellcdc-shipper --snapshot
 * and friends (request_send), or by anyone with pg_logical_emit_message;
 * so the shipper checks each again where it reads it (request_apply): the
 * slot it is for, a table it captures, a filter that is one condition.
 * Where they are written, each is checked first, so that a mistake is told
 * to the person who made it.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "session.h"

/*
 * A request the stream brought; lsn is where the record may say it was
 * applied (its transaction's commit).
 */
void
request_apply(Shipper *sh, const char *content, size_t len, uint64_t lsn)
{
	json_t	   *o = json_loadb(content, len, 0, NULL);
	const char *action = json_string_value(json_object_get(o, "action"));
	const char *schema = json_string_value(json_object_get(o, "schema"));
	const char *table = json_string_value(json_object_get(o, "table"));
	const char *filter = json_string_value(json_object_get(o, "filter"));
	const char *slot = json_string_value(json_object_get(o, "slot"));
	char	   *quoted = NULL;

	if (action == NULL)
		log_warn("ignored a snapshot request at LSN " LSN_FMT " that is not one: %.*s",
				 LSN_ARGS(lsn), (int) (len > 200 ? 200 : len), content);
	else if (slot && strcmp(slot, sh->cfg->slot_name) != 0)
		;						/* another shipper's */
	else
	{
		if (schema && table)
		{
			Buf			b = {0};

			buf_printf(&b, "\"%s\".\"%s\"", schema, table);
			quoted = buf_take(&b, NULL);
		}
		if (strcmp(action, "execute") == 0 && quoted)
		{
			if (filter && strchr(filter, ';'))
				log_error("snapshot request for %s ignored: its filter is not one SQL condition "
						  "(it has a \";\")", quoted);
			else if (!config_table_captured(sh->cfg, schema, table))
				log_error("snapshot request for %s ignored: this shipper does not capture it "
						  "(table.include.list / table.exclude.list); add it to the lists first",
						  quoted);
			else
				incremental_queue(sh, quoted, filter, lsn);
		}
		else if (strcmp(action, "stop") == 0)
		{
			int			n = incremental_stop(sh, quoted, lsn);

			log_info("%d incremental snapshot%s%s%s stopped", n, n == 1 ? "" : "s",
					 quoted ? " of " : "", quoted ? quoted : "");
		}
		else if (strcmp(action, "pause") == 0 || strcmp(action, "resume") == 0)
		{
			incremental_pause(sh->inc, action[0] == 'p');
			log_info("incremental snapshots %s", action[0] == 'p' ? "paused" : "resumed");
		}
		else
			log_warn("ignored a snapshot request with action \"%s\"", action);
	}
	free(quoted);
	json_decref(o);
}

/*
 * cellcdc-shipper --snapshot TABLE [--filter SQL] (and --stop-snapshot,
 * --pause-snapshots, --resume-snapshots): write the request into the WAL,
 * for the running shipper of this slot, and exit.  The table must exist
 * and be captured, the filter must be valid SQL on it: each is checked
 * here.  Returns the exit status.
 */
int
request_send(const Config *cfg)
{
	char		err[ERRLEN];
	PGconn	   *conn = pg_connect(cfg, false, err, sizeof(err));
	const char *params[3];
	PGresult   *res;
	char	   *schema = NULL,
			   *table = NULL,
			   *content;
	json_t	   *msg;
	int			rc = EXIT_CONFIG;

	if (conn == NULL)
	{
		log_error("%s", err);
		return EXIT_STARTUP;
	}
	if (cfg->request_table)
	{
		params[0] = cfg->request_table;
		res = PQexecParams(conn, "SELECT n.nspname, c.relname, c.oid::regclass::text"
						   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
						   " WHERE c.oid = to_regclass($1)", 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		{
			log_error("--%s %s: %s", strcmp(cfg->request_action, "stop") == 0 ? "stop-snapshot" : "snapshot",
					  cfg->request_table, PQresultStatus(res) == PGRES_TUPLES_OK ?
					  "no such table (write schema.table, quoted as SQL needs)" : pg_error(conn));
			PQclear(res);
			goto done;
		}
		schema = xstrdup(PQgetvalue(res, 0, 0));
		table = xstrdup(PQgetvalue(res, 0, 1));
		PQclear(res);
		if (strcmp(cfg->request_action, "execute") == 0 && !config_table_captured(cfg, schema, table))
		{
			log_error("--snapshot %s: this shipper does not capture it (table.include.list / "
					  "table.exclude.list); add it to the lists first", cfg->request_table);
			goto done;
		}
	}
	if (cfg->request_filter)
	{
		Buf			sql = {0};
		char	   *ident = PQescapeIdentifier(conn, schema, strlen(schema));
		char	   *ident2 = PQescapeIdentifier(conn, table, strlen(table));

		/* the filter must be one expression on the table's rows, and read nothing else */
		buf_printf(&sql, "EXPLAIN SELECT FROM ONLY %s.%s t WHERE (%s)", ident, ident2,
				   cfg->request_filter);
		PQfreemem(ident);
		PQfreemem(ident2);
		res = strchr(cfg->request_filter, ';') ? NULL : PQexec(conn, sql.data);
		buf_free(&sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			log_error("--filter %s: %s", cfg->request_filter,
					  res ? pg_error(conn) : "one SQL condition on the table's rows, with no \";\"");
			PQclear(res);
			goto done;
		}
		PQclear(res);
	}
	msg = json_pack("{s:s, s:s?, s:s?, s:s?, s:s}", "action", cfg->request_action,
					"schema", schema, "table", table, "filter", cfg->request_filter,
					"slot", cfg->slot_name);
	content = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	params[0] = REQUEST_PREFIX;
	params[1] = content;
	res = PQexecParams(conn, "SELECT pg_logical_emit_message(true, $1, $2)", 2, NULL, params,
					   NULL, NULL, 0);
	free(content);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		log_error("cannot write the request: %s", pg_error(conn));
		rc = EXIT_STARTUP;
	}
	else
	{
		log_info("asked the shipper of slot \"%s\" to %s%s%s (request at LSN %s); its log says "
				 "when it is done", cfg->slot_name,
				 strcmp(cfg->request_action, "execute") == 0 ? "snapshot " :
				 strcmp(cfg->request_action, "stop") == 0 ? "stop the snapshots of " :
				 strcmp(cfg->request_action, "pause") == 0 ? "pause its snapshots" :
				 "resume its snapshots", table ? cfg->request_table : "",
				 strcmp(cfg->request_action, "stop") == 0 && !table ? "every table" : "",
				 PQgetvalue(res, 0, 0));
		rc = EXIT_STOPPED;
	}
	PQclear(res);
done:
	free(schema);
	free(table);
	PQfinish(conn);
	return rc;
}
