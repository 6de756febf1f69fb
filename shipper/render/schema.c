/*
 * schema.c
 *		Connect schemas, as Kafka Connect's JsonConverter writes them.
 *
 * Each table gets a key schema and an envelope schema, built once per
 * RELATION record; the logical decoding message and transaction metadata
 * schemas are fixed per renderer.  Each is kept as the prefix of its
 * messages, {"schema":<schema>,"payload":, so a message only appends its
 * payload.
 *
 * Schemas are written with the same JSON writer as rows, keys in the
 * order JsonConverter writes them: type, items/fields, optional, name,
 * version, doc, parameters, default, field.  Every struct (a table's key,
 * rows, envelope, source, the transaction block, messages) is opened with
 * struct_open() and closed with struct_close(); a column's default is the
 * JSON its values are written as (defaults.c), so that floats and
 * decimals print exactly as in rows.
 */
#include "render/render_int.h"

#include <stdio.h>
#include <string.h>

#include "render/json.h"

/* Start a message prefix: {"schema": */
static void
prefix_open(Buf *b)
{
	JLIT(b, "{\"schema\":");
}

/* Finish a message prefix with ,"payload": and hand it over. */
static char *
prefix_take(Buf *b, size_t *len)
{
	JLIT(b, ",\"payload\":");
	return buf_take(b, len);
}

/* A quoted string member: ,"key":"value" */
static void
string_member(Buf *b, const char *key, const char *value)
{
	buf_putc(b, ',');
	json_str(b, key, strlen(key));
	buf_putc(b, ':');
	json_str(b, value, strlen(value));
}

/* Open a schema: {"type":"T", after a comma when it follows another member. */
static void
schema_open(Buf *b, const char *type)
{
	if (b->len > 0 && b->data[b->len - 1] == '}')
		buf_putc(b, ',');
	JLIT(b, "{\"type\":");
	json_str(b, type, strlen(type));
}

/* ,"optional":O, then ,"name":N when named, then ,"version":V when V > 0 */
static void
schema_naming(Buf *b, bool optional, const char *name, int version)
{
	if (optional)
		JLIT(b, ",\"optional\":true");
	else
		JLIT(b, ",\"optional\":false");
	if (name != NULL)
		string_member(b, "name", name);
	if (version > 0)
	{
		JLIT(b, ",\"version\":");
		json_i64(b, version);
	}
}

/* Close a schema: ,"field":F when it is a struct member, then } */
static void
schema_close(Buf *b, const char *field)
{
	if (field != NULL)
		string_member(b, "field", field);
	buf_putc(b, '}');
}

/* Open a struct schema; its members follow, then struct_close(). */
static void
struct_open(Buf *b)
{
	schema_open(b, "struct");
	JLIT(b, ",\"fields\":[");
}

/* Close a struct schema opened with struct_open(). */
static void
struct_close(Buf *b, bool optional, const char *name, int version, const char *field)
{
	buf_putc(b, ']');
	schema_naming(b, optional, name, version);
	schema_close(b, field);
}

/* A plain {"type":T,"optional":O,"field":F} member. */
static void
simple_field(Buf *b, const char *type, bool optional, const char *field)
{
	schema_open(b, type);
	schema_naming(b, optional, NULL, 0);
	schema_close(b, field);
}

/*
 * The schema of one type: a column's (with its doc, default and field
 * name) or an array's items (all three NULL).
 */
static void
type_schema(Buf *b, const Config *cfg, const TypeSpec *t, const Col *c, bool optional,
			const char *doc, const Col *with_default, const char *field)
{
	char		num[32];

	schema_open(b, t->type);
	if (t->kind == K_VARDECIMAL)
	{
		JLIT(b, ",\"fields\":[");
		simple_field(b, "int32", false, "scale");
		simple_field(b, "bytes", false, "value");
		buf_putc(b, ']');
		if (doc == NULL)
			doc = "Variable scaled decimal";
	}
	else if (t->kind == K_ARRAY)
	{
		JLIT(b, ",\"items\":");
		type_schema(b, cfg, &c->elem, c, true, NULL, NULL, NULL);
	}
	schema_naming(b, optional, t->name, t->name != NULL ? 1 : 0);
	if (doc != NULL)
		string_member(b, "doc", doc);
	if (t->kind == K_DECIMAL || (t->kind == K_MONEY && cfg->decimal_mode == DECIMAL_PRECISE))
	{
		snprintf(num, sizeof(num), "%d", t->scale);
		JLIT(b, ",\"parameters\":{\"scale\":");
		json_str(b, num, strlen(num));
		if (t->kind == K_DECIMAL)
		{
			snprintf(num, sizeof(num), "%d", t->precision);
			JLIT(b, ",\"connect.decimal.precision\":");
			json_str(b, num, strlen(num));
		}
		buf_putc(b, '}');
	}
	else if (t->kind == K_BITS)
	{
		snprintf(num, sizeof(num), "%d", t->bits);
		JLIT(b, ",\"parameters\":{\"length\":");
		json_str(b, num, strlen(num));
		buf_putc(b, '}');
	}
	else if (t->name != NULL && strcmp(t->name, "io.debezium.data.Enum") == 0)
	{
		const char *labels = c->meta.enum_labels ? c->meta.enum_labels : "";

		JLIT(b, ",\"parameters\":{\"allowed\":");
		json_str(b, labels, strlen(labels));
		buf_putc(b, '}');
	}
	if (with_default != NULL && with_default->def != NULL)
	{
		JLIT(b, ",\"default\":");
		buf_put(b, with_default->def, with_default->def_len);
	}
	schema_close(b, field);
}

/* A column as a struct member: its type's schema plus doc, default and "field". */
static void
column_field(Buf *b, const Config *cfg, const Col *c)
{
	type_schema(b, cfg, &c->t, c, (c->flags & CDC_COL_NOTNULL) == 0, c->meta.comment, c,
				c->name);
}

/* The key schema prefix: a struct of the key columns, in key order. */
char *
key_prefix(const Config *cfg, const char *name, const Col *cols, const int *key, int nkey,
		   size_t *len)
{
	Buf			b = {0};
	int			i;

	prefix_open(&b);
	struct_open(&b);
	for (i = 0; i < nkey; i++)
		column_field(&b, cfg, &cols[key[i]]);
	struct_close(&b, false, name, 0, NULL);
	return prefix_take(&b, len);
}

/* The source struct of this layout. */
static void
source_schema(Buf *b, const Config *cfg)
{
	bool		us = cfg->layout >= DBZ_2_6;

	struct_open(b);
	simple_field(b, "string", false, "version");
	simple_field(b, "string", false, "connector");
	simple_field(b, "string", false, "name");
	simple_field(b, "int64", false, "ts_ms");
	schema_open(b, "string");
	schema_naming(b, true, "io.debezium.data.Enum", 1);
	JLIT(b, ",\"parameters\":{\"allowed\":");
	if (cfg->layout >= DBZ_3_1)
		JLIT(b, "\"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental\"");
	else
		JLIT(b, "\"true,last,false,incremental\"");
	JLIT(b, "},\"default\":\"false\"");
	schema_close(b, "snapshot");
	simple_field(b, "string", false, "db");
	simple_field(b, "string", true, "sequence");
	if (us)
	{
		simple_field(b, "int64", true, "ts_us");
		simple_field(b, "int64", true, "ts_ns");
	}
	simple_field(b, "string", false, "schema");
	simple_field(b, "string", false, "table");
	simple_field(b, "int64", true, "txId");
	simple_field(b, "int64", true, "lsn");
	simple_field(b, "int64", true, "xmin");
	if (cfg->layout >= DBZ_3_5)
	{
		simple_field(b, "string", true, "origin");
		simple_field(b, "int64", true, "origin_lsn");
	}
	struct_close(b, false, "io.debezium.connector.postgresql.Source",
				 cfg->layout >= DBZ_3_1 ? 1 : 0, "source");
}

/* The transaction block's schema (event.block). */
static void
txblock_schema(Buf *b)
{
	struct_open(b);
	simple_field(b, "string", false, "id");
	simple_field(b, "int64", false, "total_order");
	simple_field(b, "int64", false, "data_collection_order");
	struct_close(b, true, "event.block", 1, "transaction");
}

/* The row struct (before/after). */
static void
row_schema(Buf *b, const Config *cfg, const char *name, const Col *cols, int ncols,
		   const char *field)
{
	int			i;

	struct_open(b);
	for (i = 0; i < ncols; i++)
		column_field(b, cfg, &cols[i]);
	struct_close(b, true, name, 0, field);
}

/* The envelope schema prefix of a table, in the layout's field order. */
char *
envelope_prefix(const Config *cfg, const char *value_name, const char *envelope_name,
				const Col *cols, int ncols, size_t *len)
{
	Buf			b = {0};
	bool		us = cfg->layout >= DBZ_2_6;

	prefix_open(&b);
	struct_open(&b);
	row_schema(&b, cfg, value_name, cols, ncols, "before");
	row_schema(&b, cfg, value_name, cols, ncols, "after");
	source_schema(&b, cfg);
	if (cfg->layout >= DBZ_2_7)
		txblock_schema(&b);
	simple_field(&b, "string", false, "op");
	simple_field(&b, "int64", true, "ts_ms");
	if (us)
	{
		simple_field(&b, "int64", true, "ts_us");
		simple_field(&b, "int64", true, "ts_ns");
	}
	if (cfg->layout < DBZ_2_7)
		txblock_schema(&b);
	struct_close(&b, false, envelope_name, us ? 2 : 1, NULL);
	return prefix_take(&b, len);
}

/* io.debezium.connector.postgresql.MessageKey */
char *
message_key_prefix(void)
{
	Buf			b = {0};

	prefix_open(&b);
	struct_open(&b);
	simple_field(&b, "string", true, "prefix");
	struct_close(&b, false, "io.debezium.connector.postgresql.MessageKey", 1, NULL);
	return prefix_take(&b, NULL);
}

/* io.debezium.connector.postgresql.MessageValue */
char *
message_value_prefix(const Config *cfg)
{
	Buf			b = {0};

	prefix_open(&b);
	struct_open(&b);
	simple_field(&b, "string", false, "op");
	simple_field(&b, "int64", true, "ts_ms");
	source_schema(&b, cfg);
	txblock_schema(&b);
	struct_open(&b);
	simple_field(&b, "string", true, "prefix");
	simple_field(&b, cfg->binary_mode == BINARY_BYTES ? "bytes" : "string", true, "content");
	struct_close(&b, false, "io.debezium.connector.postgresql.Message", 1, "message");
	struct_close(&b, false, "io.debezium.connector.postgresql.MessageValue", 1, NULL);
	return prefix_take(&b, NULL);
}

/* io.debezium.connector.common.TransactionMetadataKey */
char *
tx_key_prefix(void)
{
	Buf			b = {0};

	prefix_open(&b);
	struct_open(&b);
	simple_field(&b, "string", false, "id");
	struct_close(&b, false, "io.debezium.connector.common.TransactionMetadataKey", 1, NULL);
	return prefix_take(&b, NULL);
}

/* io.debezium.connector.common.TransactionMetadataValue */
char *
tx_value_prefix(void)
{
	Buf			b = {0};

	prefix_open(&b);
	struct_open(&b);
	simple_field(&b, "string", false, "status");
	simple_field(&b, "string", false, "id");
	simple_field(&b, "int64", true, "event_count");
	/* data_collections: an array of event.collection structs */
	schema_open(&b, "array");
	JLIT(&b, ",\"items\":");
	struct_open(&b);
	simple_field(&b, "string", false, "data_collection");
	simple_field(&b, "int64", false, "event_count");
	struct_close(&b, true, "event.collection", 1, NULL);
	schema_naming(&b, true, NULL, 0);
	schema_close(&b, "data_collections");
	simple_field(&b, "int64", false, "ts_ms");
	struct_close(&b, false, "io.debezium.connector.common.TransactionMetadataValue", 1, NULL);
	return prefix_take(&b, NULL);
}
