/*
 * replication.c
 *		Connections to PostgreSQL, and the replication protocol: identify
 *		the system, start streaming, send standby status updates.
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

#include "source/source.h"

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

/* the text of the last FATAL message a server sent, for the line that reports it */
static char last_fatal[ERRLEN];

/*
 * Server notices go to our log, one line each.  A FATAL one arrives as the
 * server hangs up; it is kept for the line that reports the lost
 * connection rather than logged on its own.
 */
static void
on_notice(void *arg, const char *message)
{
	if (strncmp(message, "FATAL:", 6) == 0)
		snprintf(last_fatal, sizeof(last_fatal), "%s", message);
	else
		log_info("PostgreSQL: %s", message);
}

/* The FATAL message the server sent last (cleared by reading it), or "". */
const char *
pg_take_fatal(void)
{
	static char msg[ERRLEN];

	snprintf(msg, sizeof(msg), "%s", last_fatal);
	last_fatal[0] = '\0';
	return msg;
}

/*
 * Connect with the user's conninfo (which carries cellcdc-shipper only as
 * fallback_application_name, see config/conninfo.c) plus our settings.
 */
PGconn *
pg_connect(const Config *cfg, bool replication, char *err, size_t errlen)
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
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", pg_error(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, on_notice, NULL);
	return conn;
}

/* libpq's error text without the trailing newline */
const char *
pg_error(PGconn *conn)
{
	static __thread char msg[ERRLEN];	/* snapshot threads have connections too */
	size_t		len;

	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	if (len == 0)
		snprintf(msg, sizeof(msg), "no error text from libpq");
	return msg;
}

/* a result's SQLSTATE, "" if none */
const char *
pg_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

/* IDENTIFY_SYSTEM: which cluster and database this is, and its WAL end. */
bool
stream_identify(PGconn *conn, SystemId *id, char *err, size_t errlen)
{
	PGresult   *res = PQexec(conn, "IDENTIFY_SYSTEM");
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		PQnfields(res) >= 4;

	if (ok)
	{
		snprintf(id->system, sizeof(id->system), "%s", PQgetvalue(res, 0, 0));
		id->wal_end = lsn_parse(PQgetvalue(res, 0, 2));
		snprintf(id->dbname, sizeof(id->dbname), "%s", PQgetvalue(res, 0, 3));
	}
	else
		snprintf(err, errlen, "IDENTIFY_SYSTEM failed: %s", pg_error(conn));
	PQclear(res);
	return ok;
}

/*
 * START_REPLICATION from start_lsn (0: where the slot is) with our options.
 * On failure sqlstate (6 bytes) tells why: a missing, busy or invalidated slot.
 */
bool
stream_start(PGconn *conn, const Config *cfg, uint64_t start_lsn, char *sqlstate,
			 char *err, size_t errlen)
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
	snprintf(sqlstate, 6, "%s", pg_sqlstate(res));
	if (!ok)
		snprintf(err, errlen, "cannot stream slot \"%s\": %s", cfg->slot_name, pg_error(conn));
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
		snprintf(err, errlen, "cannot send status to PostgreSQL: %s", pg_error(conn));
		return false;
	}
	return true;
}

