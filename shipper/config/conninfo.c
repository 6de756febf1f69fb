/*
 * conninfo.c
 *		The libpq connection string: database.conninfo with Debezium's
 *		database.hostname / port / user / password / dbname folded in.
 *
 * libpq parses the string (keyword form or URI), so whatever libpq accepts
 * is accepted and its message explains what it refuses; the result is
 * rendered back as one keyword string.  Every option libpq itself marks as
 * a secret (PQconninfoOption.dispchar "*": password, sslpassword, and any a
 * later libpq adds) is masked wherever a conninfo is shown, and never
 * appears in a problem line.
 */
#include <string.h>

#include <libpq-fe.h>

#include "config/config_int.h"

/* Might this (unparsable) conninfo string hold a secret? */
static bool
has_secret(const char *ci)
{
	PQconninfoOption *known = PQconninfoParse("", NULL);
	const PQconninfoOption *o;
	const char *at;
	const char *colon;
	bool		found = false;

	if (known == NULL)
		out_of_memory();
	for (o = known; o->keyword && !found; o++)
		found = o->dispchar[0] == '*' && str_contains_i(ci, o->keyword);
	PQconninfoFree(known);
	if (found)
		return true;
	if (strncmp(ci, "postgresql://", 13) == 0 || strncmp(ci, "postgres://", 11) == 0)
	{
		const char *rest = strstr(ci, "://") + 3;

		at = strchr(rest, '@');
		colon = strchr(rest, ':');
		return at != NULL && colon != NULL && colon < at;
	}
	return false;
}

/* Append keyword='value' with libpq's quoting. */
static void
put_option(Buf *b, const char *keyword, const char *value)
{
	const char *p;

	if (b->len)
		buf_putc(b, ' ');
	buf_puts(b, keyword);
	buf_puts(b, "='");
	for (p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

/* Render parsed options as a keyword string; mask: libpq's secrets as MASK. */
static char *
render(const PQconninfoOption *opts, bool mask)
{
	Buf			b = {0};
	const PQconninfoOption *o;

	for (o = opts; o->keyword; o++)
		if (o->val != NULL)
			put_option(&b, o->keyword, mask && o->dispchar[0] == '*' ? MASK : o->val);
	return buf_take(&b, NULL);
}

/* The value of one option of a parsed conninfo, NULL when unset. */
static const char *
get_option(const PQconninfoOption *opts, const char *keyword)
{
	const PQconninfoOption *o;

	for (o = opts; o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return o->val;
	return NULL;
}

/* Set one option of a parsed conninfo. */
static void
set_option(PQconninfoOption *opts, const char *keyword, const char *value)
{
	PQconninfoOption *o;

	for (o = opts; o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0)
		{
			free(o->val);		/* libpq allocates with malloc */
			o->val = xstrdup(value);
			return;
		}
}

/*
 * Parse database.conninfo; a problem when libpq refuses it (then the
 * database.* keys are still checked, against an empty conninfo).
 */
static PQconninfoOption *
parse_given(Load *ld, Setting *ci)
{
	char	   *err = NULL;
	PQconninfoOption *opts = NULL;

	if (ci != NULL && !ci->bad)
		opts = PQconninfoParse(ci->value, &err);
	if (opts == NULL && ci != NULL && !ci->bad)
	{
		char	   *nl;

		if (err == NULL)
			out_of_memory();
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		if (ci->from_file || has_secret(ci->value))
			problem(ld, ci, "not a valid libpq connection string or URI (details withheld: it %s); check its syntax, or give the password as database.password",
					ci->from_file ? "comes from ${file:...}" : "holds a password");
		else
			problem(ld, ci, "not a valid libpq connection string or URI: %s; see libpq's \"Connection Strings\"", err);
	}
	if (err)
		PQfreemem(err);
	if (opts == NULL)
		opts = PQconninfoParse("", NULL);
	if (opts == NULL)
		out_of_memory();
	return opts;
}

/*
 * Build cfg->conninfo from database.conninfo with the database.* keys folded
 * in, and cfg->dbname.  The shipper names itself as libpq's
 * fallback_application_name, so an application_name in database.conninfo
 * (or PGAPPNAME) wins.  masked_given gets database.conninfo and masked the
 * result, both with libpq's secrets masked.
 */
void
conninfo_build(Load *ld, Config *cfg, char **masked_given, char **masked)
{
	static const char *const folds[][2] = {
		{"database.hostname", "host"},
		{"database.port", "port"},
		{"database.user", "user"},
		{"database.password", "password"},
		{"database.dbname", "dbname"},
	};
	PQconninfoOption *opts = parse_given(ld, settings_find(&ld->set, "database.conninfo"));
	const char *dbname;
	size_t		i;

	*masked_given = render(opts, true);
	for (i = 0; i < sizeof(folds) / sizeof(folds[0]); i++)
	{
		Setting    *s = settings_find(&ld->set, folds[i][0]);
		int			port;

		if (s == NULL || s->bad)
			continue;
		if (strcmp(folds[i][1], "port") == 0)
		{
			if (!key_int(ld, "database.port", 1, 65535, "a port number", &port))
				continue;
		}
		else if (s->value[0] == '\0' && strcmp(folds[i][1], "password") != 0)
		{
			problem(ld, s, "is empty; give a value or remove the line");
			continue;
		}
		set_option(opts, folds[i][1], s->value);
	}
	if (get_option(opts, "fallback_application_name") == NULL)
		set_option(opts, "fallback_application_name", PROG);
	cfg->conninfo = render(opts, false);
	*masked = render(opts, true);
	dbname = get_option(opts, "dbname");
	cfg->dbname = dbname && dbname[0] ? xstrdup(dbname) : NULL;
	PQconninfoFree(opts);
}
