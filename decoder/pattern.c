/*
 * pattern.c
 *		Parse and match the plugin's name patterns (see pattern.h).
 *
 * Parsing reads an item twice, without a scratch copy: once to find where
 * it starts and ends once unescaped blanks are trimmed, once to fill the
 * parts.  So a list of ten thousand tables costs memory in proportion to
 * its length, and the plugin and the shipper get the same result.
 */
#include <ctype.h>
#include <string.h>

#include "pattern.h"

enum
{
	CH_LITERAL, CH_ESCAPED, CH_WILD, CH_DOT
};

/* Read the character at *p into *c and return its kind; *p moves past it. */
static int
next_char(const char **p, const char *end, int nparts, char *c)
{
	char		ch = *(*p)++;

	if (ch == '\\' && *p < end)
	{
		*c = *(*p)++;
		return CH_ESCAPED;
	}
	*c = ch;
	return ch == '*' ? CH_WILD : (ch == '.' && nparts > 1) ? CH_DOT : CH_LITERAL;
}

static bool
is_blank(int kind, char c)
{
	return kind == CH_LITERAL && isspace((unsigned char) c);
}

const char *
cdc_pattern_item_end(const char *p)
{
	while (*p && *p != ',')
		p += (p[0] == '\\' && p[1]) ? 2 : 1;
	return p;
}

bool
cdc_pattern_parse(const char *p, const char *end, int nparts, CdcPattern *pat, CdcAlloc alloc)
{
	const char *first = NULL;	/* the first character that is not a blank */
	const char *last = NULL;	/* just past the last one */
	const char *q;
	char		c;
	int			trailing = 0;
	int			i;

	/* a '\' with nothing to escape: an odd run of them at the end */
	for (q = end; q > p && q[-1] == '\\'; q--)
		trailing++;
	if (trailing % 2 == 1)
		return false;
	for (q = p; q < end;)
	{
		const char *at = q;
		int			kind = next_char(&q, end, nparts, &c);

		if (!is_blank(kind, c))
		{
			if (first == NULL)
				first = at;
			last = q;
		}
	}
	memset(pat, 0, sizeof(CdcPattern));
	pat->nparts = 1;
	if (first == NULL)
		return false;
	for (i = 0; i < nparts; i++)
	{
		pat->part[i] = alloc(last - first + 1);
		pat->wild[i] = alloc((last - first + 1) * sizeof(bool));
	}
	for (q = first; q < last;)
	{
		int			kind = next_char(&q, last, nparts, &c);
		int			part = pat->nparts - 1;

		if (kind == CH_DOT)
		{
			if (pat->nparts++ == nparts)
				return false;
			continue;
		}
		pat->part[part][pat->len[part]] = c;
		pat->wild[part][pat->len[part]++] = kind == CH_WILD;
	}
	if (pat->nparts != nparts)
		return false;
	for (i = 0; i < nparts; i++)
		if (pat->len[i] == 0)
			return false;
	return true;
}

/* Glob match of one name part; '*' matches any run of characters. */
static bool
part_matches(const CdcPattern *pat, int part, const char *name)
{
	const char *pc = pat->part[part];
	const bool *pw = pat->wild[part];
	int			plen = pat->len[part];
	int			pi = 0;
	int			star = -1;		/* the last '*' passed, to fall back to */
	const char *resume = NULL;	/* where the name resumes after it */

	while (*name)
	{
		if (pi < plen && pw[pi])
		{
			star = pi++;
			resume = name;
		}
		else if (pi < plen && pc[pi] == *name)
		{
			pi++;
			name++;
		}
		else if (star >= 0)
		{
			/* let the last '*' take one more character, and retry after it */
			pi = star + 1;
			name = ++resume;
		}
		else
			return false;
	}
	while (pi < plen && pw[pi])
		pi++;
	return pi == plen;
}

bool
cdc_pattern_match(const CdcPattern *pat, const char *const *names)
{
	for (int i = 0; i < pat->nparts; i++)
		if (!part_matches(pat, i, names[i]))
			return false;
	return true;
}
