/*
 * filters.c
 *		Debezium's table, column and message-prefix regexes, translated into
 *		the decoder's glob patterns so that filtering happens in the database.
 *
 * Debezium matches a Java regex against the whole dotted name.  The decoder
 * matches globs per name part ('*' within a part, '\' escapes, '.' between
 * parts).  The common subset translates exactly: literal names, '.' or '\.'
 * between parts, '.*', and a leading ^ / trailing $.  Where an entry has
 * fewer parts than the name, a '.*' also spans separators, as the regex
 * does, so it becomes one glob per way of spreading the missing separators
 * over the stars.  Anything else is refused, naming the entry (README:
 * "Filters").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "record.h"

#define MAX_PATTERNS_PER_ENTRY	64
#define STRINGIFY_(x)	#x
#define STRINGIFY(x)	STRINGIFY_(x)

enum
{
	TOK_LIT, TOK_SEP, TOK_STAR
};

/* Record a regex construct the decoder cannot express. */
static bool
unsupported(Load *ld, Setting *s, const char *entry, const char *what)
{
	return problem(ld, s, "entry \"%s\" uses %s, which the database-side filter cannot express; "
				   "supported: literal names, \".\" or \"\\.\" between name parts, \".*\", a leading ^ and a trailing $ "
				   "(write alternatives as separate comma-separated entries)", entry, what);
}

/* Append a literal character, escaped for the decoder's glob syntax. */
static void
glob_literal(Buf *b, char c)
{
	if (c == '\\' || c == '*' || c == ',' || c == '.' || c == ' ' || c == '\t')
		buf_putc(b, '\\');
	buf_putc(b, c);
}

/*
 * Emit the glob patterns of one tokenized entry: each ".*" (star) may stand
 * for some of the missing name separators, so every way of spreading the
 * `missing` separators over the stars is one pattern.
 */
static void
emit_globs(Buf *out, const char *tok, const char *lit, int ntok,
		   int *absorb, int star, int nstars, int missing, int *count)
{
	int			i;

	if (star == nstars)
	{
		int			si = 0;
		bool		wild = false;	/* the last thing added was a '*' */

		if (missing != 0)
			return;
		if (out->len)
			buf_putc(out, ',');
		for (i = 0; i < ntok; i++)
		{
			if (tok[i] == TOK_LIT)
			{
				glob_literal(out, lit[i]);
				wild = false;
			}
			else if (tok[i] == TOK_SEP)
			{
				buf_putc(out, '.');
				wild = false;
			}
			else
			{
				int			k;

				if (!wild)
					buf_putc(out, '*');
				for (k = 0; k < absorb[si]; k++)
					buf_puts(out, ".*");
				wild = true;
				si++;
			}
		}
		(*count)++;
		return;
	}
	for (i = 0; i <= missing; i++)
	{
		absorb[star] = i;
		emit_globs(out, tok, lit, ntok, absorb, star + 1, nstars, missing - i, count);
	}
}

/*
 * Check one Debezium regex (matched against the whole dotted name) and
 * tokenize it: tok[i] is TOK_LIT (with the character in lit[i]), TOK_SEP or
 * TOK_STAR; nparts is the name's parts (1: message prefixes, where a dot is
 * literal).  *missing gets how many separators the stars must stand for.
 */
static bool
tokenize(Load *ld, Setting *s, const char *entry, int nparts,
		 char *tok, char *lit, int *ntokp, int *nstarsp, int *missing)
{
	size_t		len = strlen(entry);
	int			ntok = 0;
	int			nsep = 0;
	int			nstars = 0;
	bool		part_empty = true;
	bool		empty_part = false;
	size_t		i;
	static const char *const shape[] = {NULL, "prefix", "schema.table", "schema.table.column"};

	for (i = 0; i < len; i++)
	{
		char		c = entry[i];
		char		what[32];
		char		t = TOK_LIT;

		if (c == '^' && i == 0)
			continue;
		if (c == '$' && i == len - 1)
			continue;
		if (c == '.')
		{
			if (entry[i + 1] == '*')
			{
				t = TOK_STAR;
				i++;
			}
			else if (nparts > 1)
				t = TOK_SEP;
		}
		else if (c == '\\')
		{
			c = entry[++i];
			if (c == '\0')
				return problem(ld, s, "entry \"%s\" ends with a lone backslash; write \\\\ for a backslash", entry);
			if (isalnum((unsigned char) c))
			{
				snprintf(what, sizeof(what), "\"\\%c\"", c);
				return unsupported(ld, s, entry, what);
			}
			if (c == '.' && nparts > 1)
				t = TOK_SEP;
		}
		else if (strchr("[](){}|+?*^$", c) != NULL)
		{
			snprintf(what, sizeof(what), "\"%c\"", c);
			return unsupported(ld, s, entry, what);
		}

		if (t == TOK_SEP)
		{
			if (part_empty)
				empty_part = true;
			nsep++;
			part_empty = true;
		}
		else
			part_empty = false;
		if (t == TOK_STAR)
			nstars++;
		tok[ntok] = t;
		lit[ntok++] = c;
	}
	if (part_empty || empty_part)
		return problem(ld, s, "entry \"%s\" has an empty name part; write %s", entry, shape[nparts]);
	if (nsep + 1 > nparts)
		return problem(ld, s, "entry \"%s\" has more name parts than %s; a \".\" separates name parts (names with dots cannot be matched)",
					   entry, shape[nparts]);
	if (nsep + 1 < nparts && nstars == 0)
		return problem(ld, s, "entry \"%s\" can never match: Debezium matches the whole %s name; write %s, e.g. public\\.%s",
					   entry, shape[nparts], shape[nparts], entry);
	*ntokp = ntok;
	*nstarsp = nstars;
	*missing = nparts - 1 - nsep;
	return true;
}

/*
 * Translate one Debezium regex into decoder glob patterns, comma-separated
 * in out; false after recording why it cannot be.
 */
static bool
translate_entry(Load *ld, Setting *s, const char *entry, int nparts, Buf *out)
{
	size_t		len = strlen(entry);
	char	   *tok = xmalloc(len + 1);
	char	   *lit = xmalloc(len + 1);
	int		   *absorb = NULL;
	int			ntok = 0;
	int			nstars = 0;
	int			missing = 0;
	int			count = 0;
	bool		ok = tokenize(ld, s, entry, nparts, tok, lit, &ntok, &nstars, &missing);

	if (ok)
	{
		absorb = xmalloc((nstars + 1) * sizeof(int));
		emit_globs(out, tok, lit, ntok, absorb, 0, nstars, missing, &count);
		if (count > MAX_PATTERNS_PER_ENTRY)
			ok = problem(ld, s, "entry \"%s\" has too many \".*\" to translate; name the parts, e.g. public\\..*", entry);
	}
	free(absorb);
	free(tok);
	free(lit);
	return ok;
}

/* Append `"option" 'literal'` to the decoder option list. */
static void
add_option(Buf *opts, const char *option, const char *value)
{
	const char *p;

	buf_puts(opts, opts->len ? ", \"" : "(\"");
	buf_puts(opts, option);
	buf_puts(opts, "\" '");
	for (p = value; *p; p++)
	{
		if (*p == '\'')
			buf_putc(opts, '\'');
		buf_putc(opts, *p);
	}
	buf_putc(opts, '\'');
}

/*
 * Translate a comma-separated list of regexes into the decoder option, and
 * return the option's value (malloc'd; NULL when empty); an empty list
 * adds nothing.  Every entry is checked, each bad one a problem.
 * The entries of a table list are kept in cfg too (tables.c).
 */
static char *
translate_list(Load *ld, Config *cfg, Buf *opts, Setting *s, const char *option,
			   int nparts, TableList list)
{
	char	   *result = NULL;
	Buf			globs = {0};
	Buf			one = {0};
	const char *p;
	bool		ok = true;

	if (s == NULL || s->bad)
		return NULL;
	p = s->value;
	while (*p)
	{
		const char *start;
		const char *end;
		char	   *entry;

		while (isspace((unsigned char) *p))
			p++;
		start = p;
		while (*p && *p != ',')
			p += (p[0] == '\\' && p[1]) ? 2 : 1;
		end = p;
		while (end > start && isspace((unsigned char) end[-1]))
			end--;
		if (*p == ',')
			p++;
		if (end == start)
			continue;
		entry = xstrndup(start, end - start);
		buf_reset(&one);
		if (!translate_entry(ld, s, entry, nparts, &one))
			ok = false;
		else
		{
			if (globs.len)
				buf_putc(&globs, ',');
			buf_put(&globs, one.data, one.len);
			if (list != TABLES_NONE)
				tables_add(cfg, list, entry, one.data);
		}
		free(entry);
	}
	if (ok && globs.len)
	{
		add_option(opts, option, globs.data);
		result = xstrdup(globs.data);
	}
	buf_free(&one);
	buf_free(&globs);
	return result;
}

/* cfg->decoder_options: "(option 'value', ...)" for START_REPLICATION. */
void
filters_build(Load *ld, Config *cfg)
{
	Setting    *inc = settings_find(&ld->set, "table.include.list");
	Setting    *exc = settings_find(&ld->set, "table.exclude.list");
	Buf			opts = {0};

	if (key_str(ld, "table.include.list") && key_str(ld, "table.exclude.list"))
		problem(ld, exc, "cannot be combined with table.include.list (as in Debezium); keep one of the two");
	add_option(&opts, "format_version", STRINGIFY(CDC_FORMAT_VERSION));
	free(translate_list(ld, cfg, &opts, inc, "include_tables", 2, TABLES_INCLUDE));
	free(translate_list(ld, cfg, &opts, exc, "exclude_tables", 2, TABLES_EXCLUDE));
	cfg->exclude_columns = translate_list(ld, cfg, &opts, settings_find(&ld->set, "column.exclude.list"),
										  "exclude_columns", 3, TABLES_NONE);
	free(translate_list(ld, cfg, &opts, settings_find(&ld->set, "message.prefix.include.list"),
						"message_prefixes", 1, TABLES_NONE));
	add_option(&opts, "skip_empty_xacts", "true");
	buf_putc(&opts, ')');
	cfg->decoder_options = buf_take(&opts, NULL);
}
