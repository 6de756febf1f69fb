/*
 * log.c
 *		One line per event on stderr, as text or JSON (see log.h and README,
 *		"Logs").
 *
 * text:  2026-12-02T06:15:16.123Z INFO slot=cellcdc_bos streaming ...
 * json:  {"time":"2026-12-02T06:15:16.123Z","level":"info","slot":"cellcdc_bos","msg":"streaming ..."}
 *
 * A message is folded onto one line: a newline followed by indentation (how
 * libpq wraps a long sentence) becomes a space, any other newline "; ", and
 * trailing blanks go.  Bytes that are not UTF-8 (names from a SQL_ASCII
 * database) are escaped, \xNN in text and \udcNN in JSON as the messages
 * write them, so every line is valid UTF-8 (and valid JSON).  The whole line is written with one write(2), so lines
 * from librdkafka's threads never interleave with ours.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "ops/log.h"
#include "render/json.h"

static const char *log_slot;
static bool log_json;

static const char *const level_names[][2] = {
	[LVL_INFO] = {"INFO", "info"},
	[LVL_WARN] = {"WARN", "warn"},
	[LVL_ERROR] = {"ERROR", "error"},
};

void
log_setup(const char *slot, bool json)
{
	log_slot = slot;
	log_json = json;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append msg folded onto one line; in JSON mode also escaped for a string. */
static void
put_folded(Buf *b, const char *msg)
{
	size_t		start = b->len;
	const unsigned char *end = (const unsigned char *) msg + strlen(msg);

	for (const unsigned char *p = (const unsigned char *) msg; *p; p++)
	{
		if (*p == '\n' || *p == '\r')
		{
			const unsigned char *q = p;

			while (*q == '\n' || *q == '\r')
				q++;
			if (*q == '\0')
				break;
			if (*q == ' ' || *q == '\t')
			{
				while (*q == ' ' || *q == '\t')
					q++;
				buf_putc(b, ' ');
			}
			else
				buf_puts(b, "; ");
			p = q - 1;
		}
		else if (*p == '\t')
			buf_putc(b, ' ');
		else if (*p >= 0x80)
		{
			/* a table name from a SQL_ASCII database may be any bytes */
			int			n = utf8_seq_len(p, end);

			if (n == 0)
			{
				char		esc[8];

				snprintf(esc, sizeof(esc), log_json ? "\\udc%02x" : "\\x%02x", *p);
				buf_puts(b, esc);
			}
			else
			{
				buf_put(b, p, n);
				p += n - 1;
			}
		}
		else if (*p < 0x20 || *p == 0x7f)
		{
			char		esc[8];

			snprintf(esc, sizeof(esc), log_json ? "\\u%04x" : "\\x%02x", *p);
			buf_puts(b, esc);
		}
		else if (log_json && (*p == '"' || *p == '\\'))
		{
			buf_putc(b, '\\');
			buf_putc(b, (char) *p);
		}
		else
			buf_putc(b, (char) *p);
	}
	while (b->len > start && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
}

void
log_at(LogLevel level, const char *fmt,...)
{
	char		msg[4096];
	char		stamp[40];
	struct timespec ts;
	struct tm	tm;
	va_list		ap;
	Buf			line = {0};
	size_t		off;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + off, sizeof(stamp) - off, ".%03ldZ", ts.tv_nsec / 1000000);

	if (log_json)
	{
		buf_puts(&line, "{\"time\":\"");
		buf_puts(&line, stamp);
		buf_puts(&line, "\",\"level\":\"");
		buf_puts(&line, level_names[level][1]);
		if (log_slot)
		{
			buf_puts(&line, "\",\"slot\":\"");
			put_folded(&line, log_slot);
		}
		buf_puts(&line, "\",\"msg\":\"");
		put_folded(&line, msg);
		buf_puts(&line, "\"}\n");
	}
	else
	{
		buf_puts(&line, stamp);
		buf_putc(&line, ' ');
		buf_puts(&line, level_names[level][0]);
		if (log_slot)
		{
			buf_puts(&line, " slot=");
			buf_puts(&line, log_slot);
		}
		buf_putc(&line, ' ');
		put_folded(&line, msg);
		buf_putc(&line, '\n');
	}
	(void) write(STDERR_FILENO, line.data, line.len);
	buf_free(&line);
}

/*
 * A line from a signal handler, in the log's format: only async-signal-safe
 * calls (clock_gettime, write, and arithmetic), so no gmtime or printf.
 */
void
log_from_signal(const char *msg)
{
	char		line[512];
	char	   *p = line;
	struct timespec ts;
	int64_t		y;
	int			m,
				d;
	long		secs;
	const char *parts[8];
	int			nparts = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	civil_from_days(ts.tv_sec / 86400, &y, &m, &d);
	secs = ts.tv_sec % 86400;
	if (log_json)
	{
		memcpy(p, "{\"time\":\"", 9);
		p += 9;
	}
	p = put_digits(p, y, 4);
	p = put_month_to_second(p, m, d, secs);
	*p++ = '.';
	p = put_digits(p, ts.tv_nsec / 1000000, 3);
	*p++ = 'Z';
	if (log_json)
	{
		parts[nparts++] = "\",\"level\":\"error\"";
		if (log_slot)
		{
			parts[nparts++] = ",\"slot\":\"";
			parts[nparts++] = log_slot;
			parts[nparts++] = "\"";
		}
		parts[nparts++] = ",\"msg\":\"";
		parts[nparts++] = msg;
		parts[nparts++] = "\"}\n";
	}
	else
	{
		parts[nparts++] = " ERROR";
		if (log_slot)
		{
			parts[nparts++] = " slot=";
			parts[nparts++] = log_slot;
		}
		parts[nparts++] = " ";
		parts[nparts++] = msg;
		parts[nparts++] = "\n";
	}
	for (int i = 0; i < nparts; i++)
	{
		size_t		n = strlen(parts[i]);

		if (p + n >= line + sizeof(line))
			break;
		memcpy(p, parts[i], n);
		p += n;
	}
	(void) write(STDERR_FILENO, line, p - line);
}
