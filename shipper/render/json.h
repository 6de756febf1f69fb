/*
 * json.h
 *		A small, fast JSON writer over Buf, byte-compatible with what Kafka
 *		Connect's JsonConverter (Jackson) writes.
 *
 * The renderer writes every per-row payload with these: no tree is built,
 * nothing is allocated once the buffer has grown.  Strings are escaped as
 * Jackson escapes them by default: '"' and '\\', the short forms \b \t \n
 * \f \r, other control characters below 0x20 as \u00XX with uppercase hex,
 * and everything else (non-ASCII UTF-8, '/', 0x7F) written raw.
 */
#ifndef SHIPPER_JSON_H
#define SHIPPER_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"

/* Append a literal (no escaping). */
#define JLIT(b, s) buf_put((b), (s), sizeof(s) - 1)

extern void json_escape(Buf *b, const char *s, size_t len);		/* no quotes */
extern void json_str(Buf *b, const char *s, size_t len);	/* quoted */
extern void json_i64(Buf *b, int64_t v);
extern void json_u64(Buf *b, uint64_t v);
extern void json_base64(Buf *b, const uint8_t *p, size_t len, bool url);	/* quoted */
extern void json_hex(Buf *b, const uint8_t *p, size_t len);	/* quoted, lowercase */

/* Java Double.toString / Float.toString (JDK 19+): javafloat.c */
extern size_t java_double_str(double v, char *out);	/* out: at least 32 bytes */
extern size_t java_float_str(float v, char *out);

/* Write a double / float as JsonConverter does: numbers, NaN etc quoted. */
extern void json_double(Buf *b, double v);
extern void json_float(Buf *b, float v);

#endif							/* SHIPPER_JSON_H */
