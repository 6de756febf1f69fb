/*
 * tables.c
 *		table.include.list and table.exclude.list as the decoder applies
 *		them, so that the shipper can say at start-up which tables it will
 *		capture and which include entries match no table at all.
 *
 * filters.c translates each entry into the decoder's glob patterns; this
 * file keeps them per entry, parses them exactly as the decoder parses its
 * include_tables / exclude_tables options ('\' escapes the next character,
 * an unescaped '.' separates schema from table, an unescaped '*' matches
 * any run of characters within its part, unescaped blanks around an item
 * are ignored) and matches names as the decoder does: byte for byte,
 * case-sensitive, each part on its own.  The decoder also tries a
 * partition's ancestors' names; these functions see one name only.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"

/* One decoder pattern: wild[i][j] says part[i][j] is an unescaped '*'. */
typedef struct Glob
{
	char	   *part[2];		/* schema, table */
	bool	   *wild[2];
	int			len[2];
} Glob;

/* One list entry as written, and the patterns it became. */
typedef struct Entry
{
	char	   *written;
	Glob	   *globs;
	int			nglobs;
} Entry;

typedef struct EntryList
{
	Entry	   *v;
	int			n;
} EntryList;

struct TableFilter
{
	EntryList	include;
	EntryList	exclude;
};

enum
{
	CH_LITERAL, CH_ESCAPED, CH_WILD, CH_DOT
};

/*
 * Parse one item of the decoder's pattern syntax, [p, end), into g; false
 * when it does not have a schema and a table part (the decoder would
 * refuse the option; translated entries always have both).
 */
static bool
parse_item(const char *p, const char *end, Glob *g)
{
	size_t		size = end - p + 1;
	char	   *chars = xmalloc(size);
	char	   *kinds = xmalloc(size);
	int			len = 0;
	int			start = 0;
	int			part = 0;
	int			i;
	bool		ok = true;

	while (p < end)
	{
		char		c = *p++;

		if (c == '\\' && p < end)
		{
			chars[len] = *p++;
			kinds[len++] = CH_ESCAPED;
			continue;
		}
		chars[len] = c;
		kinds[len++] = c == '*' ? CH_WILD : c == '.' ? CH_DOT : CH_LITERAL;
	}
	while (start < len && kinds[start] == CH_LITERAL && isspace((unsigned char) chars[start]))
		start++;
	while (len > start && kinds[len - 1] == CH_LITERAL && isspace((unsigned char) chars[len - 1]))
		len--;

	for (i = 0; i < 2; i++)
	{
		g->part[i] = xmalloc(size);
		g->wild[i] = xmalloc(size * sizeof(bool));
		g->len[i] = 0;
	}
	for (i = start; i < len && ok; i++)
	{
		if (kinds[i] == CH_DOT)
			ok = ++part < 2;
		else
		{
			g->part[part][g->len[part]] = chars[i];
			g->wild[part][g->len[part]++] = kinds[i] == CH_WILD;
		}
	}
	ok = ok && part == 1 && g->len[0] > 0 && g->len[1] > 0;
	free(chars);
	free(kinds);
	return ok;
}

/* Free one pattern's parts. */
static void
free_glob(Glob *g)
{
	int			i;

	for (i = 0; i < 2; i++)
	{
		free(g->part[i]);
		free(g->wild[i]);
	}
}

/* Keep an entry of a table list and its patterns (comma-separated, decoder syntax). */
void
tables_add(Config *cfg, TableList list, const char *written, const char *globs)
{
	EntryList  *el;
	Entry	   *e;
	const char *p = globs;

	if (cfg->tables == NULL)
		cfg->tables = xcalloc(1, sizeof(TableFilter));
	el = list == TABLES_INCLUDE ? &cfg->tables->include : &cfg->tables->exclude;
	el->v = xrealloc(el->v, (el->n + 1) * sizeof(Entry));
	e = &el->v[el->n++];
	e->written = xstrdup(written);
	e->globs = NULL;
	e->nglobs = 0;
	while (*p)
	{
		const char *end = p;
		Glob		g;

		while (*end && *end != ',')
			end += (end[0] == '\\' && end[1]) ? 2 : 1;
		if (parse_item(p, end, &g))
		{
			e->globs = xrealloc(e->globs, (e->nglobs + 1) * sizeof(Glob));
			e->globs[e->nglobs++] = g;
		}
		else
			free_glob(&g);
		p = *end ? end + 1 : end;
	}
}

/* Does one part's pattern match the whole name? '*' matches any run of bytes. */
static bool
part_matches(const char *pat, const bool *wild, int plen, const char *name)
{
	int			pi = 0;
	int			star = -1;			/* the last '*' passed, to fall back to */
	const char *resume = NULL;	/* where the name resumes after that '*' */

	while (*name)
	{
		if (pi < plen && wild[pi])
		{
			star = pi++;
			resume = name;
		}
		else if (pi < plen && pat[pi] == *name)
		{
			pi++;
			name++;
		}
		else if (star >= 0)
		{
			/* let the last '*' take one more byte, and retry after it */
			pi = star + 1;
			name = ++resume;
		}
		else
			return false;
	}
	while (pi < plen && wild[pi])
		pi++;
	return pi == plen;
}

/* Does any of an entry's patterns match schema.table? */
static bool
entry_matches(const Entry *e, const char *schema, const char *table)
{
	int			i;

	for (i = 0; i < e->nglobs; i++)
	{
		const Glob *g = &e->globs[i];

		if (part_matches(g->part[0], g->wild[0], g->len[0], schema) &&
			part_matches(g->part[1], g->wild[1], g->len[1], table))
			return true;
	}
	return false;
}

/* Does any entry of the list match schema.table? */
static bool
list_matches(const EntryList *el, const char *schema, const char *table)
{
	int			i;

	for (i = 0; i < el->n; i++)
		if (entry_matches(&el->v[i], schema, table))
			return true;
	return false;
}

/* Is the table captured: included (or no include list), and not excluded? */
bool
config_table_captured(const Config *cfg, const char *schema, const char *table)
{
	const TableFilter *tf = cfg->tables;

	if (tf == NULL)
		return true;
	if (tf->include.n > 0 && !list_matches(&tf->include, schema, table))
		return false;
	return !list_matches(&tf->exclude, schema, table);
}

/* How many entries table.include.list has. */
int
config_include_count(const Config *cfg)
{
	return cfg->tables ? cfg->tables->include.n : 0;
}

/* Entry i of table.include.list, as the user wrote it. */
const char *
config_include_entry(const Config *cfg, int i)
{
	return cfg->tables->include.v[i].written;
}

/* Does entry i of table.include.list match schema.table? */
bool
config_include_matches(const Config *cfg, int i, const char *schema, const char *table)
{
	return entry_matches(&cfg->tables->include.v[i], schema, table);
}
