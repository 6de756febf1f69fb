/*
 * types.c
 *		PostgreSQL types to Debezium's: how a column's values are written
 *		(its Kind) and what its Connect schema says (its TypeSpec).
 *
 * This follows Debezium's PostgreSQL type mapping for the configured
 * decimal, time and binary modes: built-in types by OID, extension and
 * user types (citext, ltree, hstore, enums) by name, arrays by their
 * element type.  A type Debezium does not map is kept as its PostgreSQL
 * text, never dropped.
 */
#include "render/render_int.h"

#include <limits.h>
#include <string.h>

/* built-in array types and their elements */
static const struct
{
	uint32_t	array;
	uint32_t	elem;
}			ArrayTypes[] = {
	{1000, OID_BOOL}, {1001, OID_BYTEA}, {1002, OID_CHAR}, {1003, OID_NAME},
	{1005, OID_INT2}, {1007, OID_INT4}, {1009, OID_TEXT}, {1014, OID_BPCHAR},
	{1015, OID_VARCHAR}, {1016, OID_INT8}, {1021, OID_FLOAT4}, {1022, OID_FLOAT8},
	{1028, OID_OID}, {1115, OID_TIMESTAMP}, {1182, OID_DATE}, {1183, OID_TIME},
	{1185, OID_TIMESTAMPTZ}, {1187, OID_INTERVAL}, {1231, OID_NUMERIC},
	{1270, OID_TIMETZ}, {2951, OID_UUID}, {199, OID_JSON}, {3807, OID_JSONB},
	{143, OID_XML}, {791, OID_MONEY}, {1017, OID_POINT}, {1561, OID_BIT},
	{1563, OID_VARBIT}, {1041, OID_INET}, {651, OID_CIDR}, {1040, OID_MACADDR},
	{775, OID_MACADDR8}, {3905, OID_INT4RANGE}, {3927, OID_INT8RANGE},
	{3907, OID_NUMRANGE}, {3909, OID_TSRANGE}, {3911, OID_TSTZRANGE},
	{3913, OID_DATERANGE}, {3643, OID_TSVECTOR},
};

/* Set t to a plain Connect type with an optional logical name. */
static void
spec(TypeSpec *t, Kind kind, const char *type, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->type = type;
	t->name = name;
}

/* The TypeSpec of a built-in type (base type OID, typmod). */
static bool
classify_builtin(const Config *cfg, uint32_t oid, int32_t typmod, TypeSpec *t)
{
	bool		connect = cfg->time_mode == TIME_CONNECT;

	switch (oid)
	{
		case OID_BOOL:
			spec(t, K_BOOL, "boolean", NULL);
			return true;
		case OID_BYTEA:
			spec(t, K_BYTES, cfg->binary_mode == BINARY_BYTES ? "bytes" : "string", NULL);
			return true;
		case OID_CHAR:
		case OID_NAME:
		case OID_TEXT:
		case OID_BPCHAR:
		case OID_VARCHAR:
		case OID_INET:
		case OID_CIDR:
		case OID_MACADDR:
		case OID_MACADDR8:
		case OID_INT4RANGE:
		case OID_INT8RANGE:
		case OID_NUMRANGE:
		case OID_TSRANGE:
		case OID_TSTZRANGE:
		case OID_DATERANGE:
			spec(t, K_STRING, "string", NULL);
			return true;
		case OID_INT2:
			spec(t, K_INT16, "int16", NULL);
			return true;
		case OID_INT4:
			spec(t, K_INT32, "int32", NULL);
			return true;
		case OID_INT8:
		case OID_OID:
			spec(t, K_INT64, "int64", NULL);
			return true;
		case OID_JSON:
		case OID_JSONB:
			spec(t, K_JSON, "string", "io.debezium.data.Json");
			return true;
		case OID_XML:
			spec(t, K_STRING, "string", "io.debezium.data.Xml");
			return true;
		case OID_TSVECTOR:
			spec(t, K_STRING, "string", "io.debezium.data.Tsvector");
			return true;
		case OID_UUID:
			spec(t, K_UUID, "string", "io.debezium.data.Uuid");
			return true;
		case OID_FLOAT4:
			spec(t, K_FLOAT, "float", NULL);
			return true;
		case OID_FLOAT8:
			spec(t, K_DOUBLE, "double", NULL);
			return true;
		case OID_MONEY:
			if (cfg->decimal_mode == DECIMAL_PRECISE)
				spec(t, K_MONEY, "bytes", "org.apache.kafka.connect.data.Decimal");
			else
				spec(t, K_MONEY, cfg->decimal_mode == DECIMAL_STRING ? "string" : "double", NULL);
			t->scale = 2;		/* money.fraction.digits */
			t->precision = -1;
			return true;
		case OID_NUMERIC:
			if (cfg->decimal_mode == DECIMAL_STRING)
				spec(t, K_NUM_STRING, "string", NULL);
			else if (cfg->decimal_mode == DECIMAL_DOUBLE)
				spec(t, K_NUM_DOUBLE, "double", NULL);
			else if (typmod < 4)
				spec(t, K_VARDECIMAL, "struct", "io.debezium.data.VariableScaleDecimal");
			else
			{
				int32_t		m = typmod - 4;

				spec(t, K_DECIMAL, "bytes", "org.apache.kafka.connect.data.Decimal");
				t->precision = (m >> 16) & 0xFFFF;
				/* the scale is an 11-bit signed field from PG 15 */
				t->scale = ((m & 0x7FF) ^ 1024) - 1024;
			}
			return true;
		case OID_DATE:
			if (connect)
				spec(t, K_DATE, "int32", "org.apache.kafka.connect.data.Date");
			else
				spec(t, K_DATE, "int32", "io.debezium.time.Date");
			return true;
		case OID_TIME:
			if (connect)
				spec(t, K_TIME_MS, "int32", "org.apache.kafka.connect.data.Time");
			else if (cfg->time_mode == TIME_ADAPTIVE && typmod >= 0 && typmod <= 3)
				spec(t, K_TIME_MS, "int32", "io.debezium.time.Time");
			else
				spec(t, K_TIME_US, "int64", "io.debezium.time.MicroTime");
			return true;
		case OID_TIMESTAMP:
			if (connect)
				spec(t, K_TS_MS, "int64", "org.apache.kafka.connect.data.Timestamp");
			else if (typmod >= 0 && typmod <= 3)
				spec(t, K_TS_MS, "int64", "io.debezium.time.Timestamp");
			else
				spec(t, K_TS_US, "int64", "io.debezium.time.MicroTimestamp");
			return true;
		case OID_TIMESTAMPTZ:
			spec(t, K_TSTZ, "string", "io.debezium.time.ZonedTimestamp");
			t->frac = typmod >= 0 && typmod <= 6 ? typmod : 6;
			return true;
		case OID_TIMETZ:
			spec(t, K_TIMETZ, "string", "io.debezium.time.ZonedTime");
			return true;
		case OID_INTERVAL:
			spec(t, K_INTERVAL, "int64", "io.debezium.time.MicroDuration");
			return true;
		case OID_BIT:
			if (typmod > 1)
			{
				spec(t, K_BITS, "bytes", "io.debezium.data.Bits");
				t->bits = typmod;
			}
			else
				spec(t, K_BIT1, "boolean", NULL);
			return true;
		case OID_VARBIT:
			spec(t, K_BITS, "bytes", "io.debezium.data.Bits");
			t->bits = typmod >= 0 ? typmod : INT_MAX;
			return true;
	}
	return false;
}

/* The TypeSpec of an extension or user type, by name (NULL if unknown). */
static bool
classify_named(const char *name, const char *labels, TypeSpec *t)
{
	if (labels != NULL)
		spec(t, K_STRING, "string", "io.debezium.data.Enum");
	else if (name == NULL)
		return false;
	else if (strcmp(name, "citext") == 0)
		spec(t, K_STRING, "string", NULL);
	else if (strcmp(name, "ltree") == 0)
		spec(t, K_STRING, "string", "io.debezium.data.Ltree");
	else if (strcmp(name, "hstore") == 0)
		spec(t, K_HSTORE, "string", "io.debezium.data.Json");
	else
		return false;
	return true;
}

/* Work out how a column's values are written and what its schema says. */
void
classify_column(const Config *cfg, Col *c)
{
	const char *tname = c->meta.type_name;
	size_t		i;

	if (classify_builtin(cfg, c->basetypid, c->typmod, &c->t))
		return;
	for (i = 0; i < sizeof(ArrayTypes) / sizeof(ArrayTypes[0]); i++)
		if (ArrayTypes[i].array == c->basetypid)
		{
			spec(&c->t, K_ARRAY, "array", NULL);
			/*
			 * Debezium drops money[], interval[], xml[], point[], varbit[]
			 * and name[] columns as unsupported; we never drop a column, so
			 * their elements are written as strings.
			 */
			if (!classify_builtin(cfg, ArrayTypes[i].elem, c->typmod, &c->elem) ||
				c->elem.kind == K_MONEY || c->elem.kind == K_INTERVAL ||
				c->elem.kind == K_BITS || c->elem.kind == K_BIT1 ||
				ArrayTypes[i].elem == OID_XML || ArrayTypes[i].elem == OID_NAME)
				spec(&c->elem, K_STRING, "string", NULL);
			return;
		}
	if (tname != NULL && tname[0] == '_')
	{
		spec(&c->t, K_ARRAY, "array", NULL);
		if (!classify_named(c->meta.elem_type_name ? c->meta.elem_type_name : tname + 1,
							c->meta.enum_labels, &c->elem))
			spec(&c->elem, K_UNKNOWN, "string", NULL);
		return;
	}
	if (classify_named(tname, c->meta.enum_labels, &c->t))
		return;

	/*
	 * Debezium drops columns of types it does not know (unless
	 * include.unknown.datatypes).  Dropping data silently is what we never
	 * do: the column is kept as its PostgreSQL text in a string, and the
	 * renderer logs this once per column.
	 */
	spec(&c->t, K_UNKNOWN, "string", NULL);
}
