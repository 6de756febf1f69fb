/*
 * options.c
 *		The output plugin's options, parsed once at startup, and the name
 *		patterns of its filters.
 *
 * Every option is checked here, as pgoutput does in one place: an unknown
 * option, a repeated one or a bad value is an ERROR that names it, with a
 * hint at the valid ones or the expected syntax.  Patterns are compiled
 * once (pattern.c, shared with the shipper) into name parts with their own
 * wildcards, so matching a relation or a column costs no parsing.
 */
#include "cellcdc_int.h"

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
 * parts (1 = no splitting), in pattern.c's syntax.
 */
static List *
parse_patterns(const char *option, const char *value, int nparts, const char *example)
{
	List	   *result = NIL;
	const char *p = value;

	for (;;)
	{
		const char *end = cdc_pattern_item_end(p);
		CdcPattern *pat = palloc(sizeof(CdcPattern));

		if (!cdc_pattern_parse(p, end, nparts, pat, palloc))
			bad_pattern(option, pnstrdup(p, end - p), example);
		result = lappend(result, pat);
		if (*end == '\0')
			break;
		p = end + 1;			/* past the comma */
	}
	return result;
}

/* Does any pattern match the name parts (schema, table[, column])? */
bool
cdc_patterns_match(List *patterns, const char *const *names)
{
	ListCell   *lc;

	foreach(lc, patterns)
	{
		if (cdc_pattern_match(lfirst(lc), names))
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
