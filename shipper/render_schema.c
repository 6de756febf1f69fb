/*
 * render_schema.c
 *		Connect schemas and column defaults, built once per relation.
 *
 * A column's type becomes a TypeSpec (how values are written and what its
 * schema says), following Debezium's PostgreSQL type mapping for the
 * configured decimal, time and binary modes.  Schemas are built with
 * jansson, which keeps insertion order, in the key order Kafka Connect's
 * JsonConverter writes: type, items/fields, optional, name, version, doc,
 * parameters, default, field.
 *
 * Defaults are converted as Debezium's PostgresDefaultValueConverter does:
 * only for its list of types, a literal is the text inside the first pair
 * of quotes (or the whole expression when it has none), and an expression
 * that looks like a function call (nextval(...), now()) stands for the
 * type's zero value.  Anything it cannot parse (CURRENT_TIMESTAMP, casts of
 * expressions) gives no default, as in Debezium.  A default's JSON is
 * written by the same code as row values and spliced into the dumped
 * schema in place of a marker string, so that floats and decimals print
 * exactly as in rows.
 */
#include "render_types.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "record.h"

#define DEFAULT_MARKER "\x01" "cellcdc-default-"
#define DEFAULT_MARKER_JSON "\"\\u0001cellcdc-default-"

/* built-in type OIDs (fixed in pg_type.dat) */
enum
{
	OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19, OID_INT8 = 20,
	OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26, OID_JSON = 114,
	OID_XML = 142, OID_POINT = 600, OID_CIDR = 650, OID_FLOAT4 = 700,
	OID_FLOAT8 = 701, OID_MACADDR8 = 774, OID_MONEY = 790, OID_MACADDR = 829,
	OID_INET = 869, OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_DATE = 1082,
	OID_TIME = 1083, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184,
	OID_INTERVAL = 1186, OID_TIMETZ = 1266, OID_BIT = 1560, OID_VARBIT = 1562,
	OID_NUMERIC = 1700, OID_UUID = 2950, OID_TSVECTOR = 3614, OID_JSONB = 3802,
	OID_INT4RANGE = 3904, OID_NUMRANGE = 3906, OID_TSRANGE = 3908,
	OID_TSTZRANGE = 3910, OID_DATERANGE = 3912, OID_INT8RANGE = 3926
};

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
rs_classify(const Config *cfg, Col *c)
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

/* A jansson string that tolerates bad UTF-8 (replaced by '?'). */
static json_t *
jstr(const char *s)
{
	json_t	   *j = json_string(s);

	if (j == NULL)
	{
		char	   *copy = strdup(s);
		char	   *p;

		if (copy == NULL)
			abort();
		for (p = copy; *p; p++)
			if ((unsigned char) *p >= 0x80)
				*p = '?';
		j = json_string(copy);
		free(copy);
	}
	return j;
}

/* The schema of one type, without "field": the keys in JsonConverter order. */
static json_t *
type_schema(const Config *cfg, const TypeSpec *t, const Col *c, bool optional,
			const char *doc, const char *def_marker)
{
	json_t	   *s = json_object();
	json_t	   *params = NULL;
	char		num[32];

	json_object_set_new(s, "type", json_string(t->type));
	if (t->kind == K_VARDECIMAL)
	{
		json_t	   *fields = json_array();
		json_t	   *f;

		f = json_object();
		json_object_set_new(f, "type", json_string("int32"));
		json_object_set_new(f, "optional", json_false());
		json_object_set_new(f, "field", json_string("scale"));
		json_array_append_new(fields, f);
		f = json_object();
		json_object_set_new(f, "type", json_string("bytes"));
		json_object_set_new(f, "optional", json_false());
		json_object_set_new(f, "field", json_string("value"));
		json_array_append_new(fields, f);
		json_object_set_new(s, "fields", fields);
		if (doc == NULL)
			doc = "Variable scaled decimal";
	}
	else if (t->kind == K_ARRAY)
		json_object_set_new(s, "items", type_schema(cfg, &c->elem, c, true, NULL, NULL));
	json_object_set_new(s, "optional", json_boolean(optional));
	if (t->name != NULL)
	{
		json_object_set_new(s, "name", json_string(t->name));
		json_object_set_new(s, "version", json_integer(1));
	}
	if (doc != NULL)
		json_object_set_new(s, "doc", jstr(doc));
	if (t->kind == K_DECIMAL || (t->kind == K_MONEY && cfg->decimal_mode == DECIMAL_PRECISE))
	{
		params = json_object();
		snprintf(num, sizeof(num), "%d", t->scale);
		json_object_set_new(params, "scale", json_string(num));
		if (t->kind == K_DECIMAL)
		{
			snprintf(num, sizeof(num), "%d", t->precision);
			json_object_set_new(params, "connect.decimal.precision", json_string(num));
		}
	}
	else if (t->kind == K_BITS)
	{
		params = json_object();
		snprintf(num, sizeof(num), "%d", t->bits);
		json_object_set_new(params, "length", json_string(num));
	}
	else if (t->name != NULL && strcmp(t->name, "io.debezium.data.Enum") == 0)
	{
		params = json_object();
		json_object_set_new(params, "allowed", jstr(c->meta.enum_labels ? c->meta.enum_labels : ""));
	}
	if (params != NULL)
		json_object_set_new(s, "parameters", params);
	if (def_marker != NULL)
		json_object_set_new(s, "default", json_string(def_marker));
	return s;
}

/* A struct member's schema: the type's schema plus "field". */
static json_t *
field_schema(const Config *cfg, const Col *c, int index)
{
	char		marker[64];
	json_t	   *s;

	snprintf(marker, sizeof(marker), DEFAULT_MARKER "%d\x02", index);
	s = type_schema(cfg, &c->t, c, (c->flags & CDC_COL_NOTNULL) == 0, c->meta.comment,
					c->def ? marker : NULL);
	json_object_set_new(s, "field", jstr(c->name));
	return s;
}

/* A plain {"type":T,"optional":O,"field":F} member. */
static json_t *
simple_field(const char *type, bool optional, const char *field)
{
	json_t	   *f = json_object();

	json_object_set_new(f, "type", json_string(type));
	json_object_set_new(f, "optional", json_boolean(optional));
	json_object_set_new(f, "field", json_string(field));
	return f;
}

/* Dump compactly and put each column's default JSON in place of its marker. */
static char *
dump(json_t *schema, Col *cols)
{
	char	   *text = json_dumps(schema, JSON_COMPACT);
	Buf			out = {0};
	const char *p;
	const char *hit;
	size_t		mlen = strlen(DEFAULT_MARKER_JSON);

	json_decref(schema);
	if (text == NULL)
		out_of_memory();		/* jansson's only failure here */
	if (cols == NULL || strstr(text, DEFAULT_MARKER_JSON) == NULL)
		return text;
	p = text;
	while ((hit = strstr(p, DEFAULT_MARKER_JSON)) != NULL)
	{
		char	   *end;
		long		idx = strtol(hit + mlen, &end, 10);

		buf_put(&out, p, (size_t) (hit - p));
		/* the marker closes with \u0002 and a quote */
		if (strncmp(end, "\\u0002\"", 7) != 0 || cols[idx].def == NULL)
		{
			buf_put(&out, hit, 1);
			p = hit + 1;
			continue;
		}
		buf_put(&out, cols[idx].def, cols[idx].def_len);
		p = end + 7;
	}
	buf_puts(&out, p);
	free(text);
	return out.data;
}

/* The key struct: the key columns, or NULL when there are none. */
char *
rs_key_schema(const Config *cfg, const char *name, Col *cols, const int *key, int nkey)
{
	json_t	   *s = json_object();
	json_t	   *fields = json_array();
	int			i;

	for (i = 0; i < nkey; i++)
		json_array_append_new(fields, field_schema(cfg, &cols[key[i]], key[i]));
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", fields);
	json_object_set_new(s, "optional", json_false());
	json_object_set_new(s, "name", jstr(name));
	return dump(s, cols);
}

/* The source struct of this layout. */
static json_t *
source_schema(const Config *cfg)
{
	json_t	   *s = json_object();
	json_t	   *f = json_array();
	json_t	   *snap;
	json_t	   *params;
	bool		us = cfg->layout >= DBZ_2_6;

	json_array_append_new(f, simple_field("string", false, "version"));
	json_array_append_new(f, simple_field("string", false, "connector"));
	json_array_append_new(f, simple_field("string", false, "name"));
	json_array_append_new(f, simple_field("int64", false, "ts_ms"));
	snap = json_object();
	json_object_set_new(snap, "type", json_string("string"));
	json_object_set_new(snap, "optional", json_true());
	json_object_set_new(snap, "name", json_string("io.debezium.data.Enum"));
	json_object_set_new(snap, "version", json_integer(1));
	params = json_object();
	json_object_set_new(params, "allowed", json_string(cfg->layout >= DBZ_3_1
													   ? "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"
													   : "true,last,false,incremental"));
	json_object_set_new(snap, "parameters", params);
	json_object_set_new(snap, "default", json_string("false"));
	json_object_set_new(snap, "field", json_string("snapshot"));
	json_array_append_new(f, snap);
	json_array_append_new(f, simple_field("string", false, "db"));
	json_array_append_new(f, simple_field("string", true, "sequence"));
	if (us)
	{
		json_array_append_new(f, simple_field("int64", true, "ts_us"));
		json_array_append_new(f, simple_field("int64", true, "ts_ns"));
	}
	json_array_append_new(f, simple_field("string", false, "schema"));
	json_array_append_new(f, simple_field("string", false, "table"));
	json_array_append_new(f, simple_field("int64", true, "txId"));
	json_array_append_new(f, simple_field("int64", true, "lsn"));
	json_array_append_new(f, simple_field("int64", true, "xmin"));
	if (cfg->layout >= DBZ_3_5)
	{
		json_array_append_new(f, simple_field("string", true, "origin"));
		json_array_append_new(f, simple_field("int64", true, "origin_lsn"));
	}
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", f);
	json_object_set_new(s, "optional", json_false());
	json_object_set_new(s, "name", json_string("io.debezium.connector.postgresql.Source"));
	if (cfg->layout >= DBZ_3_1)
		json_object_set_new(s, "version", json_integer(1));
	json_object_set_new(s, "field", json_string("source"));
	return s;
}

/* The transaction block's schema (event.block). */
static json_t *
txblock_schema(void)
{
	json_t	   *s = json_object();
	json_t	   *f = json_array();

	json_array_append_new(f, simple_field("string", false, "id"));
	json_array_append_new(f, simple_field("int64", false, "total_order"));
	json_array_append_new(f, simple_field("int64", false, "data_collection_order"));
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", f);
	json_object_set_new(s, "optional", json_true());
	json_object_set_new(s, "name", json_string("event.block"));
	json_object_set_new(s, "version", json_integer(1));
	json_object_set_new(s, "field", json_string("transaction"));
	return s;
}

/* The row struct (before/after). */
static json_t *
row_schema(const Config *cfg, const char *name, Col *cols, int ncols, const char *field)
{
	json_t	   *s = json_object();
	json_t	   *f = json_array();
	int			i;

	for (i = 0; i < ncols; i++)
		json_array_append_new(f, field_schema(cfg, &cols[i], i));
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", f);
	json_object_set_new(s, "optional", json_true());
	json_object_set_new(s, "name", jstr(name));
	json_object_set_new(s, "field", json_string(field));
	return s;
}

/* The change event envelope of a table, in the layout's field order. */
char *
rs_envelope_schema(const Config *cfg, const char *value_name, const char *envelope_name,
				   Col *cols, int ncols)
{
	json_t	   *s = json_object();
	json_t	   *f = json_array();
	bool		us = cfg->layout >= DBZ_2_6;

	json_array_append_new(f, row_schema(cfg, value_name, cols, ncols, "before"));
	json_array_append_new(f, row_schema(cfg, value_name, cols, ncols, "after"));
	json_array_append_new(f, source_schema(cfg));
	if (cfg->layout >= DBZ_2_7)
		json_array_append_new(f, txblock_schema());
	json_array_append_new(f, simple_field("string", false, "op"));
	json_array_append_new(f, simple_field("int64", true, "ts_ms"));
	if (us)
	{
		json_array_append_new(f, simple_field("int64", true, "ts_us"));
		json_array_append_new(f, simple_field("int64", true, "ts_ns"));
	}
	if (cfg->layout < DBZ_2_7)
		json_array_append_new(f, txblock_schema());
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", f);
	json_object_set_new(s, "optional", json_false());
	json_object_set_new(s, "name", jstr(envelope_name));
	json_object_set_new(s, "version", json_integer(us ? 2 : 1));
	return dump(s, cols);
}

/* io.debezium.connector.postgresql.MessageKey */
char *
rs_message_key_schema(void)
{
	json_t	   *s = json_object();
	json_t	   *f = json_array();

	json_array_append_new(f, simple_field("string", true, "prefix"));
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", f);
	json_object_set_new(s, "optional", json_false());
	json_object_set_new(s, "name", json_string("io.debezium.connector.postgresql.MessageKey"));
	json_object_set_new(s, "version", json_integer(1));
	return dump(s, NULL);
}

/* io.debezium.connector.postgresql.MessageValue */
char *
rs_message_value_schema(const Config *cfg)
{
	json_t	   *s = json_object();
	json_t	   *f = json_array();
	json_t	   *m = json_object();
	json_t	   *mf = json_array();

	json_array_append_new(f, simple_field("string", false, "op"));
	json_array_append_new(f, simple_field("int64", true, "ts_ms"));
	json_array_append_new(f, source_schema(cfg));
	json_array_append_new(f, txblock_schema());
	json_array_append_new(mf, simple_field("string", true, "prefix"));
	json_array_append_new(mf, simple_field(cfg->binary_mode == BINARY_BYTES ? "bytes" : "string",
										   true, "content"));
	json_object_set_new(m, "type", json_string("struct"));
	json_object_set_new(m, "fields", mf);
	json_object_set_new(m, "optional", json_false());
	json_object_set_new(m, "name", json_string("io.debezium.connector.postgresql.Message"));
	json_object_set_new(m, "version", json_integer(1));
	json_object_set_new(m, "field", json_string("message"));
	json_array_append_new(f, m);
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", f);
	json_object_set_new(s, "optional", json_false());
	json_object_set_new(s, "name", json_string("io.debezium.connector.postgresql.MessageValue"));
	json_object_set_new(s, "version", json_integer(1));
	return dump(s, NULL);
}

/* io.debezium.connector.common.TransactionMetadataKey */
char *
rs_tx_key_schema(void)
{
	json_t	   *s = json_object();
	json_t	   *f = json_array();

	json_array_append_new(f, simple_field("string", false, "id"));
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", f);
	json_object_set_new(s, "optional", json_false());
	json_object_set_new(s, "name", json_string("io.debezium.connector.common.TransactionMetadataKey"));
	json_object_set_new(s, "version", json_integer(1));
	return dump(s, NULL);
}

/* io.debezium.connector.common.TransactionMetadataValue */
char *
rs_tx_value_schema(void)
{
	json_t	   *s = json_object();
	json_t	   *f = json_array();
	json_t	   *dc = json_object();
	json_t	   *items = json_object();
	json_t	   *itf = json_array();

	json_array_append_new(f, simple_field("string", false, "status"));
	json_array_append_new(f, simple_field("string", false, "id"));
	json_array_append_new(f, simple_field("int64", true, "event_count"));
	json_array_append_new(itf, simple_field("string", false, "data_collection"));
	json_array_append_new(itf, simple_field("int64", false, "event_count"));
	json_object_set_new(items, "type", json_string("struct"));
	json_object_set_new(items, "fields", itf);
	json_object_set_new(items, "optional", json_true());
	json_object_set_new(items, "name", json_string("event.collection"));
	json_object_set_new(items, "version", json_integer(1));
	json_object_set_new(dc, "type", json_string("array"));
	json_object_set_new(dc, "items", items);
	json_object_set_new(dc, "optional", json_true());
	json_object_set_new(dc, "field", json_string("data_collections"));
	json_array_append_new(f, dc);
	json_array_append_new(f, simple_field("int64", false, "ts_ms"));
	json_object_set_new(s, "type", json_string("struct"));
	json_object_set_new(s, "fields", f);
	json_object_set_new(s, "optional", json_false());
	json_object_set_new(s, "name", json_string("io.debezium.connector.common.TransactionMetadataValue"));
	json_object_set_new(s, "version", json_integer(1));
	return dump(s, NULL);
}

/*
 * Does the default look like a function call?  Debezium's pattern is
 * ^[(]?[A-Za-z0-9_]+\((?:.+(?:, ?.+)*)?\) with find(): an optional '(',
 * a word, '(' and, somewhere after, ')'.
 */
static bool
is_function_default(const char *e)
{
	const char *p = e;

	if (*p == '(')
		p++;
	if (!(isalnum((unsigned char) *p) || *p == '_'))
		return false;
	while (isalnum((unsigned char) *p) || *p == '_')
		p++;
	if (*p != '(')
		return false;
	return strchr(p + 1, ')') != NULL;
}

/* Java's Integer/Long/Short.parseX: [+-]digits within range. */
static bool
java_parse_int(const char *s, int64_t min, int64_t max)
{
	char	   *end;
	long long	v;

	if (*s == '\0' || isspace((unsigned char) *s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= min && v <= max;
}

/* Java's new BigDecimal(s): [+-]digits[.digits][e[+-]digits]. */
static bool
java_parse_decimal(const char *s)
{
	const char *p = s;
	int			nd = 0;

	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char) *p))
		p++, nd++;
	if (*p == '.')
		for (p++; isdigit((unsigned char) *p); p++)
			nd++;
	if (nd == 0)
		return false;
	/* exponents are valid Java but never printed by PostgreSQL: refuse */
	return *p == '\0';
}

/* Java's Float/Double.parseX, near enough: strtod consuming it all. */
static bool
java_parse_float(const char *s)
{
	char	   *end;

	if (*s == '\0')
		return false;
	(void) strtod(s, &end);
	while (isspace((unsigned char) *end) || *end == 'd' || *end == 'D' || *end == 'f' || *end == 'F')
		end++;
	return *end == '\0';
}

/*
 * The literal Debezium would parse out of a default expression for this
 * column's type, into lit; false when it gives no default.
 */
static bool
default_literal(const Col *c, const char *expr, Buf *lit)
{
	const char *zero;
	const char *q;

	if (c->typid != c->basetypid)
		return false;			/* domains: Debezium has no mapper by that name */
	switch (c->basetypid)
	{
		case OID_BIT:
			zero = "00";
			break;
		case OID_VARBIT:
			zero = "0";
			break;
		case OID_BOOL:
			zero = "false";
			break;
		case OID_BPCHAR:
		case OID_VARCHAR:
		case OID_TEXT:
		case OID_XML:
			zero = "";
			break;
		case OID_NUMERIC:
		case OID_FLOAT4:
		case OID_FLOAT8:
			zero = "0.0";
			break;
		case OID_INT2:
		case OID_INT4:
		case OID_INT8:
			zero = "0";
			break;
		case OID_JSON:
		case OID_JSONB:
			zero = "{}";
			break;
		case OID_UUID:
			zero = "00000000-0000-0000-0000-000000000000";
			break;
		case OID_DATE:
		case OID_TIMESTAMP:
		case OID_TIMESTAMPTZ:
			zero = "1970-01-01";
			break;
		case OID_TIME:
			zero = "00:00";
			break;
		default:
			/* interval's zero is "epoch", which PGInterval cannot parse */
			if (c->basetypid != OID_INTERVAL)
				return false;
			zero = NULL;
			break;
	}
	/* NULL::type is no default for the types Debezium checks it on */
	if (strncmp(expr, "NULL::", 6) == 0 &&
		(c->basetypid == OID_BOOL || c->basetypid == OID_NUMERIC || c->basetypid == OID_FLOAT4 ||
		 c->basetypid == OID_FLOAT8 || c->basetypid == OID_INT2 || c->basetypid == OID_INT4 ||
		 c->basetypid == OID_INT8))
		return false;
	buf_reset(lit);
	if (is_function_default(expr))
	{
		if (zero == NULL)
			return false;
		buf_puts(lit, zero);
	}
	else if ((q = strchr(expr, '\'')) == NULL)
		buf_puts(lit, expr);
	else
	{
		const char *e = strchr(q + 1, '\'');

		if (e == NULL)
			return false;		/* Java's matcher would find nothing: no default */
		buf_put(lit, q + 1, (size_t) (e - q - 1));
	}
	if (lit->data == NULL)
		buf_puts(lit, "");

	switch (c->basetypid)
	{
		case OID_BIT:
			{
				bool		one;

				if (lit->len != 1)
					return false;	/* a Bits default: not converted here */
				one = lit->data[0] == '1';
				buf_reset(lit);
				buf_puts(lit, one ? "true" : "false");
				return true;
			}
		case OID_VARBIT:
			return false;
		case OID_BOOL:
			{
				bool		t = strcasecmp(lit->data, "true") == 0;

				buf_reset(lit);
				buf_puts(lit, t ? "true" : "false");
				return true;
			}
		case OID_NUMERIC:
			return java_parse_decimal(lit->data);
		case OID_FLOAT4:
		case OID_FLOAT8:
			return java_parse_float(lit->data);
		case OID_INT2:
			return java_parse_int(lit->data, INT16_MIN, INT16_MAX);
		case OID_INT4:
			return java_parse_int(lit->data, INT32_MIN, INT32_MAX);
		case OID_INT8:
			return java_parse_int(lit->data, INT64_MIN, INT64_MAX);
		default:
			return true;		/* strings; dates and times are checked by the writer */
	}
}

/*
 * Everything about a column that does not change from row to row: its
 * "name": key, its default, its NOT NULL fallback and its TOAST placeholder.
 */
void
rs_column_json(const Config *cfg, Col *c, Buf *tmp)
{
	Buf			b = {0};
	Buf			lit = {0};
	char		err[256];

	buf_reset(tmp);
	json_str(tmp, c->name, c->name_len);
	buf_putc(tmp, ':');
	c->fieldkey = strdup(tmp->data);
	c->fieldkey_len = tmp->len;

	c->def = NULL;
	c->def_len = 0;
	/* a Struct cannot be a default (KAFKA-12694): Debezium leaves it out */
	if (c->meta.default_expr != NULL && c->t.kind != K_VARDECIMAL &&
		default_literal(c, c->meta.default_expr, &lit))
	{
		buf_reset(&b);
		if (rv_text(cfg, &b, &c->t, c, lit.data, lit.len, tmp, err, sizeof(err)))
		{
			c->def = b.data;
			c->def_len = b.len;
			b.data = NULL;
			b.len = b.cap = 0;
		}
	}
	buf_reset(&b);
	rv_fallback(cfg, &b, c);
	c->fallback = b.data;
	c->fallback_len = b.len;
	b.data = NULL;
	b.len = b.cap = 0;
	rv_placeholder(cfg, &b, c);
	c->ph = b.data;
	c->ph_len = b.len;
	buf_free(&lit);
}
