/*
 * json.h
 *		A small, fast JSON writer over Buf, byte-compatible with what Kafka
 *		Connect's JsonConverter (Jackson) writes.
 *
 * The renderer writes every payload and schema with these: no tree is
 * built, nothing is allocated once the buffer has grown.  Strings are
 * escaped as Jackson escapes them by default: '"' and '\\', the short forms
 * \b \t \n \f \r, other control characters below 0x20 as \u00XX with
 * uppercase hex, and everything else (non-ASCII UTF-8, '/', 0x7F) written
 * raw.  A byte that is not part of valid UTF-8 is written as \uDC80 to
 * \uDCFF (PEP 383's surrogateescape; see json.c).
 */
#ifndef SHIPPER_JSON_H
#define SHIPPER_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"

/*
 * Bytes json_escape has written as \uDCXX because they were not valid
 * UTF-8, since the process started: compare before and after writing
 * something to notice (the renderer is single-threaded).
 */
extern uint64_t json_invalid_utf8;

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 if none starts there. */
extern int	utf8_seq_len(const unsigned char *p, const unsigned char *end);

/* Append a literal (no escaping). */
#define JLIT(b, s) buf_put((b), (s), sizeof(s) - 1)

extern void json_escape(Buf *b, const char *s, size_t len);		/* no quotes */
extern void json_str(Buf *b, const char *s, size_t len);	/* quoted */
extern void json_i64(Buf *b, int64_t v);
extern void json_u64(Buf *b, uint64_t v);
extern void json_base64(Buf *b, const uint8_t *p, size_t len, bool url);	/* quoted */
extern void json_hex(Buf *b, const uint8_t *p, size_t len);	/* quoted, lowercase */

/*
 * Dates and fixed-width digits (datetime.c): plain arithmetic, so also safe
 * in a signal handler (ops/log.c).
 */
extern void civil_from_days(int64_t days, int64_t *y, int *m, int *d);
extern char *put_digits(char *o, int64_t n, int w);
extern char *put_month_to_second(char *o, int m, int d, int64_t secs);

/* Java Double.toString / Float.toString (JDK 19+): javafloat.c */
extern size_t java_double_str(double v, char *out);	/* out: at least 32 bytes */
extern size_t java_float_str(float v, char *out);

/* Write a double / float as JsonConverter does: numbers, NaN etc quoted. */
extern void json_double(Buf *b, double v);
extern void json_float(Buf *b, float v);

#endif							/* SHIPPER_JSON_H */
