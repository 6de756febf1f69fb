/*
 * buf.h
 *		A growable byte buffer: the shipper builds every message in one.
 *
 * Buffers are reused from message to message (buf_reset keeps the
 * allocation), so the steady state allocates nothing.  Allocation failure
 * ends the process: the shipper holds nothing it could lose by exiting,
 * since the slot only ever advances over acknowledged changes.
 */
#ifndef SHIPPER_BUF_H
#define SHIPPER_BUF_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
		{
			fprintf(stderr, "cellcdc-shipper: out of memory (%zu bytes)\n", cap);
			exit(1);
		}
		b->cap = cap;
	}
}

static inline void
buf_reset(Buf *b)
{
	b->len = 0;
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

static inline void
buf_free(Buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

#endif							/* SHIPPER_BUF_H */
