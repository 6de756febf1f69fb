/*
 * mem.h
 *		Memory for the whole shipper: allocation that ends the process when
 *		it fails, and the growable byte buffer every message is built in.
 *
 * Running out of memory exits with status 1 (EXIT_FAILURE in README's
 * table): the shipper holds nothing it could lose by exiting, since the
 * slot only ever advances over acknowledged changes.  Buffers are reused
 * from message to message (buf_reset keeps the allocation), so the steady
 * state allocates nothing.
 */
#ifndef SHIPPER_MEM_H
#define SHIPPER_MEM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Say so in one line (async-signal-safe, no allocation) and exit 1. */
static inline void
out_of_memory(void)
{
	static const char msg[] = "cellcdc-shipper: out of memory\n";

	(void) write(STDERR_FILENO, msg, sizeof(msg) - 1);
	exit(1);
}

static inline void *
xmalloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

static inline void *
xcalloc(size_t n, size_t size)
{
	void	   *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

static inline void *
xrealloc(void *old, size_t size)
{
	void	   *p = realloc(old, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

/* strdup that cannot fail; NULL gives "" */
static inline char *
xstrdup(const char *s)
{
	size_t		len = s ? strlen(s) + 1 : 1;

	return memcpy(xmalloc(len), s ? s : "", len);
}

/* the first len bytes of s as a string */
static inline char *
xstrndup(const char *s, size_t len)
{
	char	   *d = xmalloc(len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

/* Make room for n more bytes. */
static inline void
buf_reserve(Buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 256;

		while (b->len + n + 1 > cap)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
}

static inline void
buf_reset(Buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static inline void
buf_put(Buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void
buf_puts(Buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static inline void
buf_putc(Buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* Append printf-style text. */
static inline void
buf_printf(Buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static inline void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

/*
 * The buffer's text ("" if empty) for the caller to free, its length in
 * *len when len is not NULL; b is left empty.
 */
static inline char *
buf_take(Buf *b, size_t *len)
{
	char	   *s = b->data ? b->data : xstrdup("");

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

static inline void
buf_free(Buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

#endif							/* SHIPPER_MEM_H */
