/*
 * json.c
 *		The JSON writer behind json.h: escaping, integers, base64 and hex.
 *
 * Escaping follows Jackson's default output escapes (CharTypes
 * sOutputEscapes128), which is what Kafka Connect's JsonConverter writes:
 * only '"', '\\' and the C0 controls are escaped; the five controls with a
 * short form use it, the others \u00XX with uppercase hex digits.  Valid
 * UTF-8 is copied as it is.
 *
 * Text that is not valid UTF-8 (a SQL_ASCII database stores whatever bytes
 * it was given) would make the output invalid JSON, and replacing it would
 * lose data.  Each byte that does not belong to a valid UTF-8 sequence is
 * written as the escape of a lone low surrogate, \uDC80 to \uDCFF for
 * bytes 0x80 to 0xFF: Python's "surrogateescape" (PEP 383).  The escapes
 * are ASCII, the output stays valid JSON, and a reader gets the exact bytes
 * back (in Python, s.encode("utf-8", "surrogateescape")).
 */
#include "render/json.h"

#include <string.h>

/*
 * per byte: 0 raw, 'u' as \u00XX, 'x' the start of a UTF-8 sequence to
 * check, else the character after the backslash
 */
static const char escapes[256] = {
	['\b'] = 'b',['\t'] = 't',['\n'] = 'n',['\f'] = 'f',['\r'] = 'r',
	[0x00] = 'u',[0x01] = 'u',[0x02] = 'u',[0x03] = 'u',[0x04] = 'u',
	[0x05] = 'u',[0x06] = 'u',[0x07] = 'u',[0x0B] = 'u',[0x0E] = 'u',
	[0x0F] = 'u',[0x10] = 'u',[0x11] = 'u',[0x12] = 'u',[0x13] = 'u',
	[0x14] = 'u',[0x15] = 'u',[0x16] = 'u',[0x17] = 'u',[0x18] = 'u',
	[0x19] = 'u',[0x1A] = 'u',[0x1B] = 'u',[0x1C] = 'u',[0x1D] = 'u',
	[0x1E] = 'u',[0x1F] = 'u',['"'] = '"',['\\'] = '\\',
	[0x80 ... 0xFF] = 'x',
};

static const char hexupper[] = "0123456789ABCDEF";
static const char hexlower[] = "0123456789abcdef";

uint64_t	json_invalid_utf8 = 0;

/*
 * The length of the valid UTF-8 sequence at p (1 to 4 bytes), or 0 when
 * none starts there: RFC 3629, so no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */
int
utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
	unsigned	c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;				/* a continuation byte, or an overlong lead */
	if (c < 0xE0)
		return end - p >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c < 0xF0)
	{
		unsigned	lo = c == 0xE0 ? 0xA0 : 0x80;	/* overlong */
		unsigned	hi = c == 0xED ? 0x9F : 0xBF;	/* surrogates */

		return end - p >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
	}
	if (c < 0xF5)
	{
		unsigned	lo = c == 0xF0 ? 0x90 : 0x80;	/* overlong */
		unsigned	hi = c == 0xF4 ? 0x8F : 0xBF;	/* above U+10FFFF */

		return end - p >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 &&
			(p[3] & 0xC0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* where escaping stands: the next byte in and the next byte out */
typedef struct EscapePos
{
	const unsigned char *in;
	char	   *out;
} EscapePos;

/*
 * Copy the run of non-ASCII bytes at pos: valid UTF-8 as it is, any other
 * byte as \uDCXX.  Not inlined, so that json_escape's loop stays as tight
 * for ASCII as it was before any byte was checked.
 */
static __attribute__((noinline)) EscapePos
escape_non_ascii(EscapePos pos, const unsigned char *end)
{
	const unsigned char *p = pos.in;
	char	   *o = pos.out;

	while (p < end && *p >= 0x80)
	{
		int			n = utf8_seq_len(p, end);

		if (n > 0)
		{
			do
				*o++ = (char) *p++;
			while (--n > 0);
			continue;
		}
		/* not UTF-8: the lone surrogate U+DC00 + byte (PEP 383) */
		*o++ = '\\';
		*o++ = 'u';
		*o++ = 'D';
		*o++ = 'C';
		*o++ = hexupper[*p >> 4];
		*o++ = hexupper[*p & 15];
		p++;
		json_invalid_utf8++;
	}
	pos.in = p;
	pos.out = o;
	return pos;
}

/* Escape s[0..len) into b, without surrounding quotes. */
void
json_escape(Buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	char	   *o;

	/* worst case: every byte becomes \u00XX or \uDCXX */
	buf_reserve(b, len * 6);
	o = b->data + b->len;
	while (p < end)
	{
		unsigned char c = *p;
		char		e = escapes[c];

		if (e == 0)
		{
			*o++ = (char) c;
			p++;
		}
		else if (e == 'x')
		{
			EscapePos	pos = escape_non_ascii((EscapePos) {p, o}, end);

			p = pos.in;
			o = pos.out;
		}
		else if (e != 'u')
		{
			*o++ = '\\';
			*o++ = e;
			p++;
		}
		else
		{
			*o++ = '\\';
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hexupper[c >> 4];
			*o++ = hexupper[c & 15];
			p++;
		}
	}
	b->len = (size_t) (o - b->data);
	b->data[b->len] = '\0';
}

/* A quoted, escaped JSON string. */
void
json_str(Buf *b, const char *s, size_t len)
{
	buf_reserve(b, len * 6 + 2);
	b->data[b->len++] = '"';
	json_escape(b, s, len);
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

/* An unsigned decimal integer, two digits at a time. */
void
json_u64(Buf *b, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char		tmp[24];
	char	   *p = tmp + sizeof(tmp);

	while (v >= 100)
	{
		unsigned	r = (unsigned) (v % 100);

		v /= 100;
		p -= 2;
		p[0] = pairs[2 * r];
		p[1] = pairs[2 * r + 1];
	}
	if (v >= 10)
	{
		p -= 2;
		p[0] = pairs[2 * v];
		p[1] = pairs[2 * v + 1];
	}
	else
		*--p = (char) ('0' + v);
	buf_put(b, p, (size_t) (tmp + sizeof(tmp) - p));
}

/* A signed decimal integer. */
void
json_i64(Buf *b, int64_t v)
{
	if (v < 0)
	{
		buf_putc(b, '-');
		json_u64(b, (uint64_t) 0 - (uint64_t) v);
	}
	else
		json_u64(b, (uint64_t) v);
}

/* Quoted base64 with padding (RFC 4648 alphabet, or the URL-safe one). */
void
json_base64(Buf *b, const uint8_t *p, size_t len, bool url)
{
	const char *alpha = url
		? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		i;
	char	   *o;

	buf_reserve(b, (len + 2) / 3 * 4 + 2);
	o = b->data + b->len;
	*o++ = '"';
	for (i = 0; i + 3 <= len; i += 3)
	{
		uint32_t	v = ((uint32_t) p[i] << 16) | ((uint32_t) p[i + 1] << 8) | p[i + 2];

		*o++ = alpha[v >> 18];
		*o++ = alpha[(v >> 12) & 63];
		*o++ = alpha[(v >> 6) & 63];
		*o++ = alpha[v & 63];
	}
	if (len - i == 1)
	{
		uint32_t	v = (uint32_t) p[i] << 16;

		*o++ = alpha[v >> 18];
		*o++ = alpha[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	}
	else if (len - i == 2)
	{
		uint32_t	v = ((uint32_t) p[i] << 16) | ((uint32_t) p[i + 1] << 8);

		*o++ = alpha[v >> 18];
		*o++ = alpha[(v >> 12) & 63];
		*o++ = alpha[(v >> 6) & 63];
		*o++ = '=';
	}
	*o++ = '"';
	b->len = (size_t) (o - b->data);
	b->data[b->len] = '\0';
}

/* Quoted lowercase hex. */
void
json_hex(Buf *b, const uint8_t *p, size_t len)
{
	size_t		i;
	char	   *o;

	buf_reserve(b, len * 2 + 2);
	o = b->data + b->len;
	*o++ = '"';
	for (i = 0; i < len; i++)
	{
		*o++ = hexlower[p[i] >> 4];
		*o++ = hexlower[p[i] & 15];
	}
	*o++ = '"';
	b->len = (size_t) (o - b->data);
	b->data[b->len] = '\0';
}

/* Java's number text as Jackson writes it: NaN and infinities quoted. */
static void
put_java_number(Buf *b, const char *text, size_t n)
{
	if (text[0] == 'N' || text[0] == 'I' || text[1] == 'I')
		json_str(b, text, n);
	else
		buf_put(b, text, n);
}

/* A double as Jackson writes a DoubleNode. */
void
json_double(Buf *b, double v)
{
	char		tmp[40];

	put_java_number(b, tmp, java_double_str(v, tmp));
}

/* A float as Jackson writes a FloatNode. */
void
json_float(Buf *b, float v)
{
	char		tmp[40];

	put_java_number(b, tmp, java_float_str(v, tmp));
}
