/*
 * render_types.h
 *		What the renderer knows about a column's type: how its values are
 *		written (the kind) and the parameters of its Connect schema.
 *
 * Shared by render.c (records to JSON) and render_schema.c (schemas and
 * column defaults, built once per relation).
 */
#ifndef SHIPPER_RENDER_TYPES_H
#define SHIPPER_RENDER_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "config/config.h"
#include "record.h"
#include "render.h"

typedef enum Kind
{
	K_BOOL,
	K_INT16,
	K_INT32,
	K_INT64,
	K_FLOAT,
	K_DOUBLE,
	K_DECIMAL,					/* precise, numeric(p,s): Decimal bytes */
	K_VARDECIMAL,				/* precise, numeric: VariableScaleDecimal */
	K_NUM_STRING,				/* decimal.handling.mode=string */
	K_NUM_DOUBLE,				/* decimal.handling.mode=double */
	K_MONEY,					/* PG money text, per decimal mode */
	K_STRING,					/* text as is: text, varchar, enums, inet... */
	K_UUID,						/* io.debezium.data.Uuid */
	K_JSON,						/* io.debezium.data.Json: json, jsonb */
	K_BYTES,					/* bytea, per binary.handling.mode */
	K_DATE,						/* days since 1970 */
	K_TIME_MS,					/* ms past midnight, int32 */
	K_TIME_US,					/* µs past midnight, int64 */
	K_TS_MS,					/* epoch ms */
	K_TS_US,					/* epoch µs */
	K_TSTZ,						/* ZonedTimestamp string */
	K_TIMETZ,					/* ZonedTime string */
	K_INTERVAL,					/* MicroDuration, int64 µs */
	K_BIT1,						/* bit(1): boolean */
	K_BITS,						/* bit(n>1), varbit: io.debezium.data.Bits */
	K_HSTORE,					/* hstore as a Json string */
	K_ARRAY,					/* elements per Col.elem */
	K_UNKNOWN					/* not mapped: PG text as a string */
} Kind;

typedef struct TypeSpec
{
	Kind		kind;
	int			scale;			/* K_DECIMAL, K_MONEY */
	int			precision;		/* K_DECIMAL: connect.decimal.precision */
	int			frac;			/* K_TSTZ: fraction digits */
	int			bits;			/* K_BITS: length parameter */
	const char *type;			/* Connect type: "int32", "string", ... */
	const char *name;			/* Connect logical name, or NULL */
} TypeSpec;

typedef struct Col
{
	char	   *name;			/* as in the RELATION record */
	size_t		name_len;
	char	   *fieldkey;		/* "\"name\":" escaped */
	size_t		fieldkey_len;
	uint8_t		flags;			/* CDC_COL_* */
	uint32_t	typid;
	uint32_t	basetypid;
	int32_t		typmod;			/* of the base type */
	TypeSpec	t;
	TypeSpec	elem;			/* K_ARRAY: the elements */
	ColumnMeta	meta;			/* from the MetaFn, owned */
	char	   *def;			/* schema default as JSON, or NULL */
	size_t		def_len;
	char	   *fallback;		/* NOT NULL column with no value, as JSON */
	size_t		fallback_len;
	char	   *ph;				/* unchanged TOAST placeholder, as JSON */
	size_t		ph_len;
	bool		warned;			/* logged once already */
} Col;

/* schema and default helpers (render_schema.c) */
struct Renderer;
extern void rs_classify(const Config *cfg, Col *c);
extern void rs_column_json(const Config *cfg, Col *c, Buf *tmp);
extern char *rs_key_schema(const Config *cfg, const char *name, Col *cols, const int *key,
						   int nkey);
extern char *rs_envelope_schema(const Config *cfg, const char *value_name,
								const char *envelope_name, Col *cols, int ncols);
extern char *rs_message_key_schema(void);
extern char *rs_message_value_schema(const Config *cfg);
extern char *rs_tx_key_schema(void);
extern char *rs_tx_value_schema(void);

/* value writers shared with the schema side (render_values.c) */
extern bool rv_text(const Config *cfg, Buf *b, const TypeSpec *t, const Col *c,
					const char *s, size_t len, Buf *tmp, char *err, size_t errlen);
extern void rv_placeholder(const Config *cfg, Buf *b, const Col *c);
extern void rv_fallback(const Config *cfg, Buf *b, const Col *c);

/* helpers (render_values.c) */
extern int64_t days_from_civil(int64_t y, int m, int d);
extern void civil_from_days(int64_t z, int64_t *y, int *m, int *d);
extern void write_zoned_ts(Buf *b, int64_t unix_us, int frac);
extern void numeric_digits(const CdcNumeric *n, Buf *d);
extern bool write_decimal(Buf *b, const TypeSpec *t, DecimalMode mode, bool neg,
						  const char *digits, size_t nd, int scale, int special,
						  Buf *tmp, char *err, size_t errlen);
extern void write_binary(Buf *b, BinaryMode mode, const uint8_t *p, size_t len);

/* Java's HashMap iteration order for string keys (render_values.c) */
extern uint32_t java_string_hash(const char *s, size_t len);
extern void java_hashmap_order(const uint32_t *hashes, int n, int capacity, int *order);
extern int	java_hashmap_capacity(int n);

#endif							/* SHIPPER_RENDER_TYPES_H */
