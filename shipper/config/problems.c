/*
 * problems.c
 *		How a configuration problem reaches the user: one line on stderr,
 *		"cellcdc-shipper: [file:line: ]key: what is wrong; what to do".
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

/*
 * Print one problem line and return 2 (the exit status of a bad
 * configuration).  origin is "file:line" or NULL, key may be NULL.
 */
int
print_problem(const char *origin, const char *key, const char *fmt,...)
{
	char		msg[2048];
	Buf			line = {0};
	va_list		ap;
	const char *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

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
	fprintf(stderr, "%s\n", line.data);
	buf_free(&line);
	return 2;
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
