/*
 * pattern.h
 *		The name patterns of the plugin's filter options (include_tables,
 *		exclude_tables, exclude_columns, message_prefixes): one definition,
 *		used by the plugin to filter and by the shipper to say at start-up
 *		what its lists capture.  Plain C, no PostgreSQL headers, like
 *		record.c.
 *
 * Syntax (README, "Plugin options"): a comma-separated list of items; in an
 * item '\' escapes the next character, an unescaped '*' matches any run of
 * characters within its name part, an unescaped '.' separates the parts
 * (schema, table[, column]) when there are several, and unescaped blanks
 * around an item are ignored.  Names match byte for byte, case-sensitive.
 */
#ifndef CELLCDC_PATTERN_H
#define CELLCDC_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define CDC_PATTERN_MAX_PARTS 3

typedef struct CdcPattern
{
	int			nparts;
	char	   *part[CDC_PATTERN_MAX_PARTS];
	bool	   *wild[CDC_PATTERN_MAX_PARTS];	/* wild[i][j]: part[i][j] is an
												 * unescaped '*' */
	int			len[CDC_PATTERN_MAX_PARTS];
} CdcPattern;

/* palloc in the plugin, a malloc that cannot fail in the shipper */
typedef void *(*CdcAlloc) (size_t size);

/* Where the item starting at p ends: its unescaped ',' or the string's end. */
extern const char *cdc_pattern_item_end(const char *p);

/*
 * Parse the item [p, end) into pat, with exactly nparts name parts (1: '.'
 * is an ordinary character).  False when it is malformed: empty, a part
 * missing or empty, too many parts, or a trailing '\'.
 */
extern bool cdc_pattern_parse(const char *p, const char *end, int nparts,
							  CdcPattern *pat, CdcAlloc alloc);

/* Does pat match the name parts names[0..nparts)? */
extern bool cdc_pattern_match(const CdcPattern *pat, const char *const *names);

#endif							/* CELLCDC_PATTERN_H */
