/*
 * schema.c
 *		Connect schemas, as Kafka Connect's JsonConverter writes them.
 *
 * Each table gets a key schema and an envelope schema, built once per
 * RELATION record and kept as JSON text; the logical decoding message and
 * transaction metadata schemas are fixed per renderer.  Schemas are built
 * with jansson, which keeps insertion order, in the key order
 * JsonConverter writes: type, items/fields, optional, name, version, doc,
 * parameters, default, field.  A column's default is written by the same
 * code as row values (defaults.c) and spliced into the dumped schema in
 * place of a marker string, so that floats and decimals print exactly as
 * in rows.
 */
#include "render/render_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/json.h"

#define DEFAULT_MARKER "\x01" "cellcdc-default-"
#define DEFAULT_MARKER_JSON "\"\\u0001cellcdc-default-"

/* {"schema":<schema>,"payload": */
char *
schema_prefix(const char *schema, size_t *len)
{
	Buf			b = {0};

	JLIT(&b, "{\"schema\":");
	buf_puts(&b, schema);
	JLIT(&b, ",\"payload\":");
	return buf_take(&b, len);
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
key_schema(const Config *cfg, const char *name, Col *cols, const int *key, int nkey)
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
envelope_schema(const Config *cfg, const char *value_name, const char *envelope_name,
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
message_key_schema(void)
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
message_value_schema(const Config *cfg)
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
tx_key_schema(void)
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
tx_value_schema(void)
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
