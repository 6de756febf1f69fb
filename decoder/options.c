/*
 * options.c
 *		The output plugin's options, parsed once at startup, and the name
 *		patterns of its filters.
 *
 * Every option is checked here, as pgoutput does in one place: an unknown
 * option, a repeated one or a bad value is an ERROR that names it, with a
 * hint at the valid ones or the expected syntax.  Patterns are compiled
 * into name parts with their own wildcards, so matching a relation or a
 * column costs no parsing.
 */
#include "cellcdc_int.h"

#include <ctype.h>

#include "nodes/parsenodes.h"
#include "utils/builtins.h"

/* Report a malformed pattern in a list option. */
static void
bad_pattern(const char *option, const char *item, const char *example)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 item[strspn(item, " \t")] == '\0' ?
			 errmsg("cellcdc: option \"%s\" has an empty item", option) :
			 errmsg("cellcdc: option \"%s\" has an invalid pattern \"%s\"", option, item),
			 errhint("Use %s, with \\ to escape a literal \".\", \",\", \"*\" or \"\\\".", example)));
}

/*
 * Parse a comma-separated list of patterns with nparts dot-separated name
 * parts (1 = no splitting).  '*' is a wildcard, '\' escapes the next
 * character, unescaped blanks around an item are ignored.
 */
static List *
parse_patterns(const char *option, const char *value, int nparts, const char *example)
{
	enum
	{
		LITERAL, ESCAPED, WILD, DOT
	};
	List	   *result = NIL;
	const char *p = value;
	size_t		size = strlen(value) + 1;
	char	   *chars = palloc(size);
	uint8	   *kinds = palloc(size);

	for (;;)
	{
		const char *item = p;
		Pattern    *pat = palloc0(sizeof(Pattern));
		int			len = 0;
		int			start = 0;
		int			i;

		while (*p && *p != ',')
		{
			char		c = *p++;

			if (c == '\\')
			{
				if (*p == '\0')
					bad_pattern(option, item, example);
				chars[len] = *p++;
				kinds[len++] = ESCAPED;
				continue;
			}
			chars[len] = c;
			kinds[len++] = c == '*' ? WILD : (c == '.' && nparts > 1) ? DOT : LITERAL;
		}
		while (start < len && kinds[start] == LITERAL && isspace((unsigned char) chars[start]))
			start++;
		while (len > start && kinds[len - 1] == LITERAL && isspace((unsigned char) chars[len - 1]))
			len--;

		/* sized by the item, not the whole value: lists can be long */
		pat->nparts = 1;
		for (i = 0; i < nparts; i++)
		{
			pat->part[i] = palloc(len - start + 1);
			pat->wild[i] = palloc((len - start + 1) * sizeof(bool));
		}
		for (i = start; i < len; i++)
		{
			int			part = pat->nparts - 1;

			if (kinds[i] == DOT)
			{
				if (pat->nparts++ == nparts)
					break;
				continue;
			}
			pat->part[part][pat->len[part]] = chars[i];
			pat->wild[part][pat->len[part]++] = kinds[i] == WILD;
		}
		for (i = 0; i < pat->nparts && pat->nparts == nparts; i++)
			if (pat->len[i] == 0)
				break;
		if (pat->nparts != nparts || i < nparts)
			bad_pattern(option, pnstrdup(item, p - item), example);
		result = lappend(result, pat);
		if (*p == '\0')
			break;
		p++;					/* the comma */
	}
	pfree(chars);
	pfree(kinds);
	return result;
}

/* Glob match of one name part; '*' matches any run of characters. */
static bool
part_matches(const Pattern *pat, int part, const char *name)
{
	const char *pc = pat->part[part];
	const bool *pw = pat->wild[part];
	int			plen = pat->len[part];
	int			pi = 0;
	const char *n = name;
	int			star = -1;
	const char *star_n = NULL;

	while (*n)
	{
		if (pi < plen && pw[pi])
		{
			star = pi++;
			star_n = n;
		}
		else if (pi < plen && pc[pi] == *n)
		{
			pi++;
			n++;
		}
		else if (star >= 0)
		{
			pi = star + 1;
			n = ++star_n;
		}
		else
			return false;
	}
	while (pi < plen && pw[pi])
		pi++;
	return pi == plen;
}

/* Does any pattern match the name parts (schema, table[, column])? */
bool
cdc_patterns_match(List *patterns, const char *const *names)
{
	ListCell   *lc;

	foreach(lc, patterns)
	{
		Pattern    *pat = lfirst(lc);
		int			i;

		for (i = 0; i < pat->nparts; i++)
			if (!part_matches(pat, i, names[i]))
				break;
		if (i == pat->nparts)
			return true;
	}
	return false;
}

/* A boolean option; no value at all means true. */
static bool
parse_bool_option(const char *name, const char *value)
{
	bool		result;

	if (value == NULL)
		return true;			/* given without a value */
	if (!parse_bool(value, &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cellcdc: option \"%s\" = \"%s\" is not a boolean", name, value),
				 errhint("Use true or false (on/off, yes/no, 1/0 also work).")));
	return result;
}

/* The value of an option that needs one. */
static const char *
required_value(const char *name, const char *value)
{
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cellcdc: option \"%s\" needs a value", name)));
	return value;
}

/* Parse every plugin option once, at startup; any bad one is an ERROR. */
void
cdc_parse_options(CdcOptions *opt, List *options)
{
	ListCell   *lc;
	List	   *seen = NIL;

	opt->skip_empty_xacts = true;
	opt->include_origins = true;

	foreach(lc, options)
	{
		DefElem    *elem = lfirst(lc);
		const char *name = elem->defname;
		const char *value = elem->arg ? strVal(elem->arg) : NULL;
		ListCell   *s;

		foreach(s, seen)
			if (strcmp(lfirst(s), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cellcdc: option \"%s\" is given more than once", name)));
		seen = lappend(seen, (char *) name);

		if (strcmp(name, "format_version") == 0)
		{
			const char *v = required_value(name, value);

			if (strcmp(v, "1") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cellcdc: option \"format_version\" = \"%s\" is not supported", v),
						 errhint("This cellcdc writes format version %d.", CDC_FORMAT_VERSION)));
		}
		else if (strcmp(name, "include_tables") == 0)
			opt->include_tables = parse_patterns(name, required_value(name, value), 2,
												 "schema.table, e.g. public.orders or sales.*");
		else if (strcmp(name, "exclude_tables") == 0)
			opt->exclude_tables = parse_patterns(name, required_value(name, value), 2,
												 "schema.table, e.g. public.orders or sales.*");
		else if (strcmp(name, "exclude_columns") == 0)
			opt->exclude_columns = parse_patterns(name, required_value(name, value), 3,
												  "schema.table.column, e.g. public.users.password or *.*.ssn");
		else if (strcmp(name, "message_prefixes") == 0)
		{
			const char *v = required_value(name, value);

			opt->message_prefixes_given = true;
			if (v[strspn(v, " \t")] != '\0')
				opt->message_prefixes = parse_patterns(name, v, 1, "a prefix, e.g. app or audit.*");
		}
		else if (strcmp(name, "skip_empty_xacts") == 0)
			opt->skip_empty_xacts = parse_bool_option(name, value);
		else if (strcmp(name, "include_origins") == 0)
			opt->include_origins = parse_bool_option(name, value);
		else if (strcmp(name, "only_local") == 0)
			opt->only_local = parse_bool_option(name, value);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cellcdc: option \"%s\" is unknown", name),
					 errhint("Valid options: format_version, include_tables, exclude_tables, exclude_columns, message_prefixes, skip_empty_xacts, include_origins, only_local.")));
	}
	list_free(seen);
}
