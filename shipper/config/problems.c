/*
 * problems.c
 *		How configuration problems reach the user: every problem found in
 *		one run, each as one line on stderr,
 *		"cellcdc-shipper: [file:line: ]key: what is wrong; what to do".
 *
 * Checks record problems as they find them and go on, so that moving a
 * connector's configuration takes one run per round of fixes, not one run
 * per mistake.  The lines are printed in the order the settings were given
 * (file lines, then -X arguments), then problems about missing keys.
 *
 * This runs before the shipper starts (and before its log is set up), so
 * these lines are the documented exception to "config never writes to
 * stderr".  A value is quoted only when it is not a secret; control
 * characters are escaped so that a problem is always exactly one line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

/* Record one problem line; origin is "file:line" or NULL, key may be NULL. */
static void
record(Load *ld, int order, const char *origin, const char *key,
	   const char *fmt, va_list ap)
{
	char		msg[2048];
	Buf			line = {0};
	const char *p;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	buf_puts(&line, PROG ": ");
	if (origin)
	{
		buf_puts(&line, origin);
		buf_puts(&line, ": ");
	}
	if (key)
	{
		buf_puts(&line, key);
		buf_puts(&line, ": ");
	}
	for (p = msg; *p; p++)
	{
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
		{
			char		esc[8];

			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char) *p);
			buf_puts(&line, esc);
		}
		else
			buf_putc(&line, *p);
	}
	if (ld->nproblems == ld->cap)
	{
		ld->cap = ld->cap ? ld->cap * 2 : 16;
		ld->problems = xrealloc(ld->problems, ld->cap * sizeof(Problem));
	}
	ld->problems[ld->nproblems].order = order;
	ld->problems[ld->nproblems++].line = buf_take(&line, NULL);
}

/* Record a problem with setting s (which is marked bad); returns false. */
bool
problem(Load *ld, Setting *s, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	record(ld, s->order, s->origin, s->key, fmt, ap);
	va_end(ap);
	s->bad = true;
	return false;
}

/* Record a problem that is not about one setting's value; returns false. */
bool
problem_at(Load *ld, int order, const char *origin, const char *key,
		   const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	record(ld, order, origin, key, fmt, ap);
	va_end(ap);
	return false;
}

/* Print the recorded problems in order (stable: ties keep their order); how many. */
int
problems_print(Load *ld)
{
	int			i;

	for (i = 1; i < ld->nproblems; i++)
	{
		Problem		p = ld->problems[i];
		int			j = i;

		for (; j > 0 && ld->problems[j - 1].order > p.order; j--)
			ld->problems[j] = ld->problems[j - 1];
		ld->problems[j] = p;
	}
	for (i = 0; i < ld->nproblems; i++)
		fprintf(stderr, "%s\n", ld->problems[i].line);
	return ld->nproblems;
}

/* Is the setting's value one that must never be shown? */
bool
setting_hidden(const Setting *s)
{
	return s->from_file || config_is_secret(s->key);
}

/*
 * The value quoted for a problem line, shortened to a sensible length, or
 * a note that it is hidden.  Uses one of a few static buffers.
 */
const char *
setting_shown(const Setting *s)
{
	static char bufs[4][128];
	static int	next;
	char	   *buf = bufs[next++ % 4];

	if (setting_hidden(s))
		return "the value (not shown)";
	if (strlen(s->value) > 80)
		snprintf(buf, sizeof(bufs[0]), "\"%.77s...\"", s->value);
	else
		snprintf(buf, sizeof(bufs[0]), "\"%s\"", s->value);
	return buf;
}
