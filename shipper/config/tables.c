/*
 * tables.c
 *		table.include.list and table.exclude.list as the decoder applies
 *		them, so that the shipper can say at start-up which tables it will
 *		capture and which include entries match no table at all.
 *
 * filters.c translates each entry into the decoder's glob patterns; this
 * file keeps them per entry and parses and matches them with the decoder's
 * own code (decoder/pattern.c), so the shipper's answer is the plugin's.
 * The decoder also tries a partition's ancestors' names; these functions
 * see one name only.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config_int.h"
#include "pattern.h"

/* One list entry as written, and the patterns it became. */
typedef struct Entry
{
	char	   *written;
	CdcPattern *globs;
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
		const char *end = cdc_pattern_item_end(p);

		/* translated entries always parse: both parts, nothing dangling */
		e->globs = xrealloc(e->globs, (e->nglobs + 1) * sizeof(CdcPattern));
		if (cdc_pattern_parse(p, end, 2, &e->globs[e->nglobs], xmalloc))
			e->nglobs++;
		p = *end ? end + 1 : end;
	}
}

static void
entries_free(EntryList *el)
{
	for (int i = 0; i < el->n; i++)
	{
		for (int j = 0; j < el->v[i].nglobs; j++)
			for (int k = 0; k < CDC_PATTERN_MAX_PARTS; k++)
			{
				free(el->v[i].globs[j].part[k]);
				free(el->v[i].globs[j].wild[k]);
			}
		free(el->v[i].globs);
		free(el->v[i].written);
	}
	free(el->v);
}

void
tables_free(TableFilter *tables)
{
	if (tables == NULL)
		return;
	entries_free(&tables->include);
	entries_free(&tables->exclude);
	free(tables);
}

/* Does any of an entry's patterns match schema.table? */
static bool
entry_matches(const Entry *e, const char *schema, const char *table)
{
	const char *names[2] = {schema, table};

	for (int i = 0; i < e->nglobs; i++)
		if (cdc_pattern_match(&e->globs[i], names))
			return true;
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
