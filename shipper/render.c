/*
 * render.c
 *		cellcdc records in, Debezium-shaped Kafka messages out.
 *
 * The renderer follows the record stream: it keeps the latest RELATION per
 * relation OID (with everything derived from it: topic, key and envelope
 * schemas as JSON text, per-column writers, defaults), and the open
 * transaction (xid, commit time and LSN, position counter, transaction
 * metadata counts).  Each change becomes the messages Debezium's PostgreSQL
 * connector would produce for it, byte for byte where we know how
 * (shared/reference/debezium-json.md): create, update, delete and its
 * tombstone, primary key changes as delete + tombstone + create, truncate,
 * logical decoding messages, and transaction BEGIN/END events.
 *
 * Schemas are built with jansson once per relation and cached as text;
 * rows are written by hand into reused buffers, so the steady state does no
 * allocation.  The reader in decoder/record.c does all parsing; anything it
 * rejects, and anything inconsistent with the relation it names, makes
 * renderer_feed fail with a message saying what and where.
 *
 * A Renderer is single-threaded: one per replication stream.
 */
#include "render.h"
#include "ops/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "record.h"
#include "render_types.h"

#define RELHASH			1024
#define UNIX_2000_US	INT64_C(946684800000000)

/* what a RELATION record said, and everything derived from it */
typedef struct Rel
{
	uint32_t	relid;
	struct Rel *next;			/* hash chain */
	uint8_t    *raw;			/* the RELATION record, to spot resends */
	size_t		raw_len;
	char	   *qualified;		/* schema.table: data_collection, errors */
	char		replident;
	int			ncols;
	Col		   *cols;
	int			nkey;
	int		   *key;			/* key column indexes, in key order */
	char	   *topic;
	char	   *key_prefix;		/* {"schema":...,"payload": (key schemas on) */
	size_t		key_prefix_len;
	char	   *val_prefix;		/* {"schema":...,"payload": (value schemas on) */
	size_t		val_prefix_len;
	char	   *src_names;		/* ,"schema":"..","table":".." */
	size_t		src_names_len;
	bool		warned_nothing; /* logged the skipped deletes */
	uint64_t	tx_gen;			/* transaction its tx_slot belongs to */
	int			tx_slot;
} Rel;

typedef struct TxTable
{
	char	   *name;			/* points into a Rel's qualified name (copied) */
	uint32_t	hash;			/* Java hashCode */
	uint64_t	count;
} TxTable;

struct Renderer
{
	Config		cfg;			/* strings below are our copies */
	char	   *dbname;
	MetaFn		meta;
	void	   *meta_arg;
	Rel		   *rels[RELHASH];
	Rel		   *last;			/* last relation looked up */

	Buf			key,
				key2,
				val,
				tmp,
				dig,
				txkey,
				txval;
	CdcValue   *oldv,
			   *newv;
	uint32_t	valcap;

	/* the transaction being read */
	bool		in_txn;
	uint32_t	xid;
	int64_t		commit_us;		/* Unix microseconds */
	uint64_t	final_lsn;
	uint64_t	seq;
	bool		have_last_commit;
	uint64_t	last_commit;	/* end LSN of the last COMMIT */
	bool		have_origin;
	char	   *origin;
	uint64_t	origin_lsn;

	/* provide.transaction.metadata */
	uint64_t	tx_gen;
	bool		tx_begun;
	uint64_t	tx_total;
	TxTable    *txt;
	int			ntxt,
				txtcap;
	int			tx_map_cap;		/* Debezium's HashMap never shrinks */
	uint32_t   *txhash;
	int		   *txorder;

	/* fixed pieces */
	char	   *src_head;		/* "source":{"version":..,...,"ts_ms": */
	size_t		src_head_len;
	char	   *src_db;			/* ,"snapshot":"false","db":..,"sequence":"[ */
	size_t		src_db_len;
	char	   *msg_topic;
	char	   *tx_topic;
	char	   *msgkey_prefix;
	char	   *msgval_prefix;
	char	   *txkey_prefix;
	char	   *txval_prefix;

	char		err[600];
};

/* a + b and a * b wrapping instead of overflowing (only corrupt input gets there) */
static inline int64_t
wadd(int64_t a, int64_t b)
{
	return (int64_t) ((uint64_t) a + (uint64_t) b);
}

static inline int64_t
wmul(int64_t a, int64_t b)
{
	return (int64_t) ((uint64_t) a * (uint64_t) b);
}

/* Set the error and return false. */
static bool
fail(Renderer *r, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return false;
}

/* A slice as a NUL-terminated string. */
static char *
slice_dup(CdcSlice s)
{
	return xstrndup(s.data, s.len);
}

/*
 * Kafka topic name as Debezium sanitizes it: characters outside
 * [A-Za-z0-9._-] become '_' (one per UTF-16 unit), at most 249.
 */
static char *
topic_name(const char *name)
{
	Buf			b = {0};
	const unsigned char *p = (const unsigned char *) name;

	buf_puts(&b, "");
	while (*p)
	{
		unsigned char ch = *p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			ch == '.' || ch == '_' || ch == '-')
		{
			buf_putc(&b, (char) ch);
			p++;
		}
		else if (ch < 0x80)
		{
			buf_putc(&b, '_');
			p++;
		}
		else
		{
			int			n = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC0 ? 2 : 1;

			buf_puts(&b, n == 4 ? "__" : "_");	/* a surrogate pair is two chars */
			while (n-- > 0 && *p)
				p++;
		}
	}
	if (b.len > 249)
	{
		b.len = 249;
		b.data[249] = '\0';
	}
	return buf_take(&b, NULL);
}

/* {"schema":<schema>,"payload": */
static char *
schema_prefix(const char *schema, size_t *len)
{
	Buf			b = {0};

	JLIT(&b, "{\"schema\":");
	buf_puts(&b, schema);
	JLIT(&b, ",\"payload\":");
	return buf_take(&b, len);
}

/* Create a renderer; cfg's strings are copied. */
Renderer *
renderer_new(const Config *cfg, const char *dbname, MetaFn meta, void *meta_arg)
{
	Renderer   *r = xcalloc(1, sizeof(Renderer));
	const char *prefix;
	const char *delim;
	Buf			b = {0};
	char	   *s;

	r->cfg = *cfg;
	r->cfg.topic_prefix = xstrdup(cfg->topic_prefix ? cfg->topic_prefix : "");
	r->cfg.topic_delimiter = xstrdup(cfg->topic_delimiter ? cfg->topic_delimiter : ".");
	r->cfg.topic_transaction = xstrdup(cfg->topic_transaction ? cfg->topic_transaction : "transaction");
	r->cfg.debezium_version = xstrdup(cfg->debezium_version ? cfg->debezium_version : "");
	r->cfg.placeholder = xstrdup(cfg->placeholder ? cfg->placeholder : "__debezium_unavailable_value");
	/* not used by the renderer: do not keep pointers into the caller's config */
	r->cfg.conninfo = r->cfg.dbname = r->cfg.slot_name = r->cfg.decoder_options = NULL;
	r->cfg.kafka = NULL;
	r->cfg.nkafka = 0;
	r->dbname = xstrdup(dbname ? dbname : cfg->dbname ? cfg->dbname : "");
	r->meta = meta;
	r->meta_arg = meta_arg;
	r->tx_map_cap = 16;
	prefix = r->cfg.topic_prefix;
	delim = r->cfg.topic_delimiter;

	JLIT(&b, "\"source\":{\"version\":");
	json_str(&b, r->cfg.debezium_version, strlen(r->cfg.debezium_version));
	JLIT(&b, ",\"connector\":\"postgresql\",\"name\":");
	json_str(&b, prefix, strlen(prefix));
	JLIT(&b, ",\"ts_ms\":");
	r->src_head = buf_take(&b, &r->src_head_len);
	JLIT(&b, ",\"snapshot\":\"false\",\"db\":");
	json_str(&b, r->dbname, strlen(r->dbname));
	JLIT(&b, ",\"sequence\":\"[");
	r->src_db = buf_take(&b, &r->src_db_len);

	buf_puts(&b, prefix);
	buf_puts(&b, delim);
	buf_puts(&b, "message");
	r->msg_topic = topic_name(b.data);
	buf_reset(&b);
	buf_puts(&b, prefix);
	buf_puts(&b, delim);
	buf_puts(&b, r->cfg.topic_transaction);
	r->tx_topic = topic_name(b.data);
	buf_free(&b);

	s = rs_message_key_schema();
	r->msgkey_prefix = schema_prefix(s, NULL);
	free(s);
	s = rs_message_value_schema(&r->cfg);
	r->msgval_prefix = schema_prefix(s, NULL);
	free(s);
	s = rs_tx_key_schema();
	r->txkey_prefix = schema_prefix(s, NULL);
	free(s);
	s = rs_tx_value_schema();
	r->txval_prefix = schema_prefix(s, NULL);
	free(s);
	return r;
}

/* Free one relation and everything derived from it. */
static void
rel_free(Rel *rel)
{
	int			i;

	if (rel == NULL)
		return;
	for (i = 0; i < rel->ncols; i++)
	{
		Col		   *c = &rel->cols[i];

		free(c->name);
		free(c->fieldkey);
		free(c->meta.type_name);
		free(c->meta.elem_type_name);
		free(c->meta.enum_labels);
		free(c->meta.default_expr);
		free(c->meta.comment);
		free(c->def);
		free(c->fallback);
		free(c->ph);
	}
	free(rel->cols);
	free(rel->key);
	free(rel->raw);
	free(rel->qualified);
	free(rel->topic);
	free(rel->key_prefix);
	free(rel->val_prefix);
	free(rel->src_names);
	free(rel);
}

/* Free the renderer. */
void
renderer_free(Renderer *r)
{
	int			i;

	if (r == NULL)
		return;
	for (i = 0; i < RELHASH; i++)
		while (r->rels[i])
		{
			Rel		   *n = r->rels[i]->next;

			rel_free(r->rels[i]);
			r->rels[i] = n;
		}
	for (i = 0; i < r->ntxt; i++)
		free(r->txt[i].name);
	free(r->txt);
	free(r->txhash);
	free(r->txorder);
	buf_free(&r->key);
	buf_free(&r->key2);
	buf_free(&r->val);
	buf_free(&r->tmp);
	buf_free(&r->dig);
	buf_free(&r->txkey);
	buf_free(&r->txval);
	free(r->oldv);
	free(r->newv);
	free(r->origin);
	free(r->cfg.topic_prefix);
	free(r->cfg.topic_delimiter);
	free(r->cfg.topic_transaction);
	free(r->cfg.debezium_version);
	free(r->cfg.placeholder);
	free(r->dbname);
	free(r->src_head);
	free(r->src_db);
	free(r->msg_topic);
	free(r->tx_topic);
	free(r->msgkey_prefix);
	free(r->msgval_prefix);
	free(r->txkey_prefix);
	free(r->txval_prefix);
	free(r);
}

/* What went wrong in the last failed renderer_feed. */
const char *
renderer_error(const Renderer *r)
{
	return r->err;
}

/* The relation with this OID, or NULL. */
static Rel *
rel_lookup(Renderer *r, uint32_t relid)
{
	Rel		   *rel;

	if (r->last && r->last->relid == relid)
		return r->last;
	for (rel = r->rels[relid % RELHASH]; rel; rel = rel->next)
		if (rel->relid == relid)
			return r->last = rel;
	return NULL;
}

/* The relation a change names; an error when no RELATION came first. */
static Rel *
rel_get(Renderer *r, uint32_t relid, const char *what)
{
	Rel		   *rel = rel_lookup(r, relid);

	if (rel == NULL)
		fail(r, "%s record for relation OID %u, which no RELATION record has described "
			 "(records must come from one decoding session, from its start)", what, relid);
	return rel;
}

/* Order key columns by their declared key position when the catalog gave it. */
static void
order_key(Rel *rel)
{
	int			i,
				j;
	bool		known = false;

	for (i = 0; i < rel->nkey; i++)
		if (rel->cols[rel->key[i]].meta.key_position > 0)
			known = true;
	if (!known)
		return;
	for (i = 1; i < rel->nkey; i++)
	{
		int			k = rel->key[i];
		int			pos = rel->cols[k].meta.key_position;

		for (j = i - 1; j >= 0 && rel->cols[rel->key[j]].meta.key_position > pos; j--)
			rel->key[j + 1] = rel->key[j];
		rel->key[j + 1] = k;
	}
}

/* Apply a RELATION record: (re)build the relation's cache entry. */
static bool
on_relation(Renderer *r, CdcReader *rd, const uint8_t *data, size_t len)
{
	CdcRelation hdr;
	Rel		   *rel;
	Rel		   *old;
	Rel		  **pp;
	const char **names;
	char		merr[300];
	Buf			b = {0};
	char	   *s;
	char	   *schema;
	char	   *table;
	uint32_t	i;
	int			nflag;

	if (!cdc_read_relation(rd, &hdr))
		return fail(r, "malformed RELATION record: %s", rd->error);
	old = rel_lookup(r, hdr.relid);
	/* a resend of the same definition (a new session): keep what we built */
	if (old && old->raw_len == len && memcmp(old->raw, data, len) == 0)
		return true;

	rel = xcalloc(1, sizeof(Rel));
	rel->relid = hdr.relid;
	rel->replident = hdr.replident;
	rel->ncols = (int) hdr.ncols;
	rel->cols = xcalloc(hdr.ncols, sizeof(Col));
	rel->key = xcalloc(hdr.ncols, sizeof(int));
	schema = slice_dup(hdr.schema);
	table = slice_dup(hdr.table);
	for (i = 0; i < hdr.ncols; i++)
	{
		CdcColumn	col;
		Col		   *c = &rel->cols[i];

		if (!cdc_read_column(rd, &col))
		{
			fail(r, "malformed RELATION record for %s.%s, column %u: %s", schema, table, i + 1, rd->error);
			goto bad;
		}
		c->name = slice_dup(col.name);
		c->name_len = col.name.len;
		c->flags = col.flags;
		c->typid = col.typid;
		c->basetypid = col.basetypid;
		c->typmod = col.basetypmod;
	}
	if (!cdc_at_end(rd))
	{
		cdc_fail(rd, "bytes after the last column");
		fail(r, "malformed RELATION record for %s.%s: %s", schema, table, rd->error);
		goto bad;
	}
	rel->raw = xcalloc(len, 1);
	memcpy(rel->raw, data, len);
	rel->raw_len = len;

	/* what the record does not say: type names, labels, defaults, comments */
	if (r->meta && hdr.ncols > 0)
	{
		ColumnMeta *metas = xcalloc(hdr.ncols, sizeof(ColumnMeta));

		names = xcalloc(hdr.ncols, sizeof(char *));
		for (i = 0; i < hdr.ncols; i++)
			names[i] = rel->cols[i].name;
		merr[0] = '\0';
		if (!r->meta(r->meta_arg, hdr.relid, (int) hdr.ncols, names, metas, merr, sizeof(merr)))
		{
			for (i = 0; i < hdr.ncols; i++)
			{
				free(metas[i].type_name);
				free(metas[i].elem_type_name);
				free(metas[i].enum_labels);
				free(metas[i].default_expr);
				free(metas[i].comment);
			}
			free(metas);
			free(names);
			fail(r, "cannot read the catalog for relation %s.%s (OID %u): %s", schema, table,
				 hdr.relid, merr[0] ? merr : "no reason given");
			goto bad;
		}
		for (i = 0; i < hdr.ncols; i++)
			rel->cols[i].meta = metas[i];
		free(metas);
		free(names);
	}

	buf_puts(&b, schema);
	buf_putc(&b, '.');
	buf_puts(&b, table);
	rel->qualified = buf_take(&b, NULL);

	for (i = 0; i < hdr.ncols; i++)
	{
		Col		   *c = &rel->cols[i];

		rs_classify(&r->cfg, c);
		rs_column_json(&r->cfg, c, &r->tmp);
		if (c->t.kind == K_UNKNOWN || (c->t.kind == K_ARRAY && c->elem.kind == K_UNKNOWN))
			/* Debezium drops such columns; we keep their text (see rs_classify) */
			log_warn("column %s.%s has type %s (OID %u), which Debezium "
					 "does not map; its PostgreSQL text is sent as a string",
					rel->qualified, c->name, c->meta.type_name ? c->meta.type_name : "?", c->typid);
	}

	/* the key: primary key columns, else replica identity index columns */
	for (nflag = CDC_COL_PKEY; nflag <= CDC_COL_IDENTITY && rel->nkey == 0; nflag <<= 1)
		for (i = 0; i < hdr.ncols; i++)
			if (rel->cols[i].flags & nflag)
				rel->key[rel->nkey++] = (int) i;
	order_key(rel);

	/* topic and schema names: <prefix>.<schema>.<table> */
	buf_puts(&b, r->cfg.topic_prefix);
	buf_puts(&b, r->cfg.topic_delimiter);
	buf_puts(&b, schema);
	buf_puts(&b, r->cfg.topic_delimiter);
	buf_puts(&b, table);
	rel->topic = topic_name(b.data);
	buf_reset(&b);
	{
		Buf			n = {0};
		char	   *value_name,
				   *env_name,
				   *key_name;

		buf_puts(&n, r->cfg.topic_prefix);
		buf_putc(&n, '.');
		buf_puts(&n, schema);
		buf_putc(&n, '.');
		buf_puts(&n, table);
		size_t		base = n.len;

		buf_puts(&n, ".Key");
		key_name = xstrdup(n.data);
		n.len = base;
		buf_puts(&n, ".Value");
		value_name = xstrdup(n.data);
		n.len = base;
		buf_puts(&n, ".Envelope");
		env_name = xstrdup(n.data);
		buf_free(&n);

		if (r->cfg.key_schemas && rel->nkey > 0)
		{
			s = rs_key_schema(&r->cfg, key_name, rel->cols, rel->key, rel->nkey);
			rel->key_prefix = schema_prefix(s, &rel->key_prefix_len);
			free(s);
		}
		if (r->cfg.value_schemas)
		{
			s = rs_envelope_schema(&r->cfg, value_name, env_name, rel->cols, rel->ncols);
			rel->val_prefix = schema_prefix(s, &rel->val_prefix_len);
			free(s);
		}
		free(key_name);
		free(value_name);
		free(env_name);
	}
	JLIT(&b, ",\"schema\":");
	json_str(&b, schema, strlen(schema));
	JLIT(&b, ",\"table\":");
	json_str(&b, table, strlen(table));
	rel->src_names = buf_take(&b, &rel->src_names_len);
	free(schema);
	free(table);

	/* replace any older entry */
	for (pp = &r->rels[rel->relid % RELHASH]; *pp; pp = &(*pp)->next)
		if (*pp == old)
		{
			*pp = old->next;
			break;
		}
	if (old)
	{
		/* the transaction's per-table count lives in r->txt, by slot */
		rel->tx_gen = old->tx_gen;
		rel->tx_slot = old->tx_slot;
		rel->warned_nothing = old->warned_nothing;
		rel_free(old);
	}
	rel->next = r->rels[rel->relid % RELHASH];
	r->rels[rel->relid % RELHASH] = rel;
	r->last = rel;
	if (r->valcap < hdr.ncols)
	{
		free(r->oldv);
		free(r->newv);
		r->valcap = hdr.ncols < 64 ? 64 : hdr.ncols;
		r->oldv = xcalloc(r->valcap, sizeof(CdcValue));
		r->newv = xcalloc(r->valcap, sizeof(CdcValue));
	}
	return true;

bad:
	free(schema);
	free(table);
	rel_free(rel);
	return false;
}

/* A CdcWrite that JSON-escapes into a Buf (jsonb text inside a string). */
static void
escape_write(void *arg, const char *data, size_t len)
{
	json_escape((Buf *) arg, data, len);
}

/* Report a value whose tag does not fit its column's type. */
static bool
bad_tag(Renderer *r, const Rel *rel, const Col *c, char tag)
{
	return fail(r, "relation %s, column %s (type OID %u): unexpected value tag '%c' (0x%02x)",
				rel->qualified, c->name, c->basetypid, tag >= 0x20 && tag < 0x7f ? tag : '?',
				(unsigned char) tag);
}

/* Write one non-null, present value as the column's kind wants it. */
static bool
write_value(Renderer *r, Buf *b, const Rel *rel, const Col *c, const CdcValue *v)
{
	char		err[300];

	switch (c->t.kind)
	{
		case K_INT16:
		case K_INT32:
		case K_INT64:
			if (v->tag != CDC_VAL_INT)
				break;
			json_i64(b, v->v.i);
			return true;
		case K_STRING:
		case K_UNKNOWN:
			if (v->tag == CDC_VAL_TEXT)
			{
				json_str(b, v->v.bytes.data, v->v.bytes.len);
				return true;
			}
			break;
		case K_BOOL:
			if (v->tag == CDC_VAL_TRUE)
				JLIT(b, "true");
			else if (v->tag == CDC_VAL_FALSE)
				JLIT(b, "false");
			else
				break;
			return true;
		case K_DECIMAL:
		case K_VARDECIMAL:
		case K_NUM_STRING:
		case K_NUM_DOUBLE:
			if (v->tag != CDC_VAL_NUMERIC)
				break;
			{
				const CdcNumeric *n = &v->v.num;
				int			special = 0;

				if (n->kind == CDC_NUM_NAN || n->kind == CDC_NUM_PINF || n->kind == CDC_NUM_NINF)
					special = n->kind;
				else
					numeric_digits(n, &r->dig);
				if (!write_decimal(b, &c->t, r->cfg.decimal_mode, n->kind == CDC_NUM_NEG,
								   special ? "0" : r->dig.data, special ? 1 : r->dig.len,
								   (int) n->dscale, special, &r->tmp, err, sizeof(err)))
					return fail(r, "relation %s, column %s: %s", rel->qualified, c->name, err);
				return true;
			}
		case K_TS_US:
		case K_TS_MS:
			if (v->tag != CDC_VAL_TIMESTAMP)
				break;
			if (v->v.i == CDC_TS_PINF)
				JLIT(b, "9223372036825200000");
			else if (v->v.i == CDC_TS_NINF)
				JLIT(b, "-9223372036832400000");
			else if (c->t.kind == K_TS_US)
				json_i64(b, wadd(v->v.i, UNIX_2000_US));
			else
			{
				int64_t		us = wadd(v->v.i, UNIX_2000_US);

				json_i64(b, us / 1000 - (us % 1000 < 0));
			}
			return true;
		case K_TSTZ:
			if (v->tag != CDC_VAL_TIMESTAMPTZ)
				break;
			if (v->v.i == CDC_TS_PINF)
				JLIT(b, "\"infinity\"");
			else if (v->v.i == CDC_TS_NINF)
				JLIT(b, "\"-infinity\"");
			else
				write_zoned_ts(b, wadd(v->v.i, UNIX_2000_US), c->t.frac);
			return true;
		case K_DATE:
			if (v->tag != CDC_VAL_DATE)
				break;
			if (v->v.i == CDC_DATE_PINF || v->v.i == CDC_DATE_NINF)
				json_i64(b, v->v.i);	/* no Debezium evidence: the int32 limits */
			else
				json_i64(b, wadd(v->v.i, 10957));
			return true;
		case K_TIME_US:
		case K_TIME_MS:
			if (v->tag != CDC_VAL_TIME)
				break;
			json_i64(b, c->t.kind == K_TIME_US ? v->v.i : v->v.i / 1000);
			return true;
		case K_UUID:
			if (v->tag == CDC_VAL_UUID)
			{
				static const char hx[] = "0123456789abcdef";
				char		u[38];
				int			i,
							k = 0;
				const uint8_t *p = (const uint8_t *) v->v.bytes.data;

				u[k++] = '"';
				for (i = 0; i < 16; i++)
				{
					if (i == 4 || i == 6 || i == 8 || i == 10)
						u[k++] = '-';
					u[k++] = hx[p[i] >> 4];
					u[k++] = hx[p[i] & 15];
				}
				u[k++] = '"';
				buf_put(b, u, (size_t) k);
				return true;
			}
			break;
		case K_JSON:
			if (v->tag == CDC_VAL_JSONB)
			{
				CdcReader	jr;
				size_t		start = b->len;

				cdc_reader_init(&jr, v->v.jsonb.container.data, v->v.jsonb.container.len);
				buf_putc(b, '"');
				if (!cdc_jsonb_text(&jr, &v->v.jsonb, escape_write, b))
				{
					b->len = start;
					return fail(r, "relation %s, column %s: malformed jsonb: %s", rel->qualified,
								c->name, jr.error);
				}
				buf_putc(b, '"');
				return true;
			}
			if (v->tag == CDC_VAL_TEXT)
			{
				json_str(b, v->v.bytes.data, v->v.bytes.len);
				return true;
			}
			break;
		case K_BYTES:
			if (v->tag != CDC_VAL_BYTES)
				break;
			write_binary(b, r->cfg.binary_mode, (const uint8_t *) v->v.bytes.data, v->v.bytes.len);
			return true;
		case K_FLOAT:
			if (v->tag != CDC_VAL_FLOAT4)
				break;
			json_float(b, v->v.f4);
			return true;
		case K_DOUBLE:
			if (v->tag != CDC_VAL_FLOAT8)
				break;
			json_double(b, v->v.f8);
			return true;
		default:
			break;
	}
	/* everything sent as text: interval, timetz, money, bits, hstore, arrays */
	if (v->tag == CDC_VAL_TEXT)
	{
		size_t		start = b->len;

		if (!rv_text(&r->cfg, b, &c->t, c, v->v.bytes.data, v->v.bytes.len, &r->tmp, err, sizeof(err)))
		{
			b->len = start;
			return fail(r, "relation %s, column %s: %s", rel->qualified, c->name, err);
		}
		return true;
	}
	return bad_tag(r, rel, c, v->tag);
}

/* One column of a row: null -> default, else fallback or null; TOAST placeholder. */
static inline bool
write_column(Renderer *r, Buf *b, const Rel *rel, const Col *c, const CdcValue *v)
{
	if (v->tag == CDC_VAL_NULL)
	{
		/*
		 * JsonConverter writes a null as the schema's default; Debezium's
		 * converters give a NOT NULL column without a value its fallback.
		 */
		if (c->def)
			buf_put(b, c->def, c->def_len);
		else if (c->flags & CDC_COL_NOTNULL)
			buf_put(b, c->fallback, c->fallback_len);
		else
			JLIT(b, "null");
		return true;
	}
	if (v->tag == CDC_VAL_UNCHANGED)
	{
		buf_put(b, c->ph, c->ph_len);
		return true;
	}
	return write_value(r, b, rel, c, v);
}

/* A row struct: {"col":value,...} */
static bool
write_row(Renderer *r, Buf *b, const Rel *rel, const CdcValue *vals)
{
	int			i;

	buf_putc(b, '{');
	for (i = 0; i < rel->ncols; i++)
	{
		const Col  *c = &rel->cols[i];

		if (i > 0)
			buf_putc(b, ',');
		buf_put(b, c->fieldkey, c->fieldkey_len);
		if (!write_column(r, b, rel, c, &vals[i]))
			return false;
	}
	buf_putc(b, '}');
	return true;
}

/* The message key of a row (with its schema when key schemas are on). */
static bool
write_key(Renderer *r, Buf *b, const Rel *rel, const CdcValue *vals)
{
	int			i;

	buf_reset(b);
	if (rel->key_prefix)
		buf_put(b, rel->key_prefix, rel->key_prefix_len);
	buf_putc(b, '{');
	for (i = 0; i < rel->nkey; i++)
	{
		const Col  *c = &rel->cols[rel->key[i]];

		if (i > 0)
			buf_putc(b, ',');
		buf_put(b, c->fieldkey, c->fieldkey_len);
		if (!write_column(r, b, rel, c, &vals[rel->key[i]]))
			return false;
	}
	buf_putc(b, '}');
	if (rel->key_prefix)
		buf_putc(b, '}');
	return true;
}

/* Wall clock in nanoseconds since the epoch. */
static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The source block.  ts_us: its timestamp (commit time, or now for a
 * non-transactional message); names: ,"schema":..,"table":..
 */
static void
write_source(Renderer *r, Buf *b, int64_t ts_us, const char *names, size_t names_len,
			 bool txid, uint64_t lsn)
{
	buf_put(b, r->src_head, r->src_head_len);
	json_i64(b, ts_us / 1000 - (ts_us % 1000 < 0));
	buf_put(b, r->src_db, r->src_db_len);
	/* sequence: ["<last commit end LSN>","<this LSN>"] as a string */
	if (r->have_last_commit)
	{
		JLIT(b, "\\\"");
		json_u64(b, r->last_commit);
		JLIT(b, "\\\"");
	}
	else
		JLIT(b, "null");
	JLIT(b, ",\\\"");
	json_u64(b, lsn);
	JLIT(b, "\\\"]\"");
	if (r->cfg.layout >= DBZ_2_6)
	{
		JLIT(b, ",\"ts_us\":");
		json_i64(b, ts_us);
		JLIT(b, ",\"ts_ns\":");
		json_i64(b, wmul(ts_us, 1000));
	}
	buf_put(b, names, names_len);
	JLIT(b, ",\"txId\":");
	if (txid)
		json_u64(b, r->xid);
	else
		JLIT(b, "null");
	JLIT(b, ",\"lsn\":");
	json_u64(b, lsn);
	JLIT(b, ",\"xmin\":null");
	if (r->cfg.layout >= DBZ_3_5)
	{
		JLIT(b, ",\"origin\":");
		if (r->in_txn && r->have_origin)
		{
			json_str(b, r->origin, strlen(r->origin));
			JLIT(b, ",\"origin_lsn\":");
			json_u64(b, r->origin_lsn);
		}
		else
			JLIT(b, "null,\"origin_lsn\":null");
	}
	buf_putc(b, '}');
}

/* "<xid>:<lsn>" as a JSON string */
static void
write_txid(Renderer *r, Buf *b, uint64_t lsn)
{
	buf_putc(b, '"');
	json_u64(b, r->xid);
	buf_putc(b, ':');
	json_u64(b, lsn);
	buf_putc(b, '"');
}

/* Hand one message to the sink; headers place it in its transaction. */
static bool
deliver(Renderer *r, EmitFn emit, void *arg, const char *topic, const Buf *key, const Buf *val,
		uint64_t lsn, const char *hdr, const Buf *hdrval)
{
	OutMessage	m;

	m.topic = topic;
	m.key = key ? key->data : NULL;
	m.key_len = key ? key->len : 0;
	m.value = val ? val->data : NULL;
	m.value_len = val ? val->len : 0;
	if (r->in_txn)
	{
		m.commit_lsn = r->final_lsn;
		m.seq = ++r->seq;
	}
	else
	{
		/* a non-transactional message stands alone at its own LSN */
		m.commit_lsn = lsn;
		m.seq = 1;
	}
	m.extra_header = hdr;
	m.extra_value = hdrval ? hdrval->data : NULL;
	m.extra_len = hdrval ? hdrval->len : 0;
	if (!emit(arg, &m))
		return fail(r, "the sink refused a message for topic %s", topic);
	return true;
}

/* A transaction BEGIN or END event on the transaction topic. */
static bool
tx_event(Renderer *r, EmitFn emit, void *arg, bool end, uint64_t lsn)
{
	Buf		   *k = &r->txkey,
			   *v = &r->txval;
	int			i;

	buf_reset(k);
	if (r->cfg.key_schemas)
		buf_puts(k, r->txkey_prefix);
	JLIT(k, "{\"id\":");
	write_txid(r, k, lsn);
	buf_putc(k, '}');
	if (r->cfg.key_schemas)
		buf_putc(k, '}');

	buf_reset(v);
	if (r->cfg.value_schemas)
		buf_puts(v, r->txval_prefix);
	JLIT(v, "{\"status\":");
	if (end)
		JLIT(v, "\"END\"");
	else
		JLIT(v, "\"BEGIN\"");
	JLIT(v, ",\"id\":");
	write_txid(r, v, lsn);
	if (!end)
		JLIT(v, ",\"event_count\":null,\"data_collections\":null");
	else
	{
		JLIT(v, ",\"event_count\":");
		json_u64(v, r->tx_total);
		JLIT(v, ",\"data_collections\":[");
		/* Debezium keeps the counts in a HashMap: its iteration order */
		free(r->txhash);
		free(r->txorder);
		r->txhash = xcalloc((size_t) r->ntxt, sizeof(uint32_t));
		r->txorder = xcalloc((size_t) r->ntxt, sizeof(int));
		for (i = 0; i < r->ntxt; i++)
			r->txhash[i] = r->txt[i].hash;
		java_hashmap_order(r->txhash, r->ntxt, r->tx_map_cap, r->txorder);
		for (i = 0; i < r->ntxt; i++)
		{
			TxTable    *t = &r->txt[r->txorder[i]];

			if (i > 0)
				buf_putc(v, ',');
			JLIT(v, "{\"data_collection\":");
			json_str(v, t->name, strlen(t->name));
			JLIT(v, ",\"event_count\":");
			json_u64(v, t->count);
			buf_putc(v, '}');
		}
		buf_putc(v, ']');
	}
	JLIT(v, ",\"ts_ms\":");
	json_i64(v, r->commit_us / 1000 - (r->commit_us % 1000 < 0));
	buf_putc(v, '}');
	if (r->cfg.value_schemas)
		buf_putc(v, '}');
	return deliver(r, emit, arg, r->tx_topic, k, v, lsn, NULL, NULL);
}

/*
 * Count a data event for transaction metadata, sending BEGIN before the
 * first one.  Returns the per-table order through *dc_order.
 */
static bool
tx_count(Renderer *r, Rel *rel, uint64_t lsn, EmitFn emit, void *arg, uint64_t *dc_order)
{
	TxTable    *t;

	if (!r->tx_begun)
	{
		r->tx_begun = true;
		if (!tx_event(r, emit, arg, false, lsn))
			return false;
	}
	if (rel->tx_gen != r->tx_gen || rel->tx_slot >= r->ntxt ||
		strcmp(r->txt[rel->tx_slot].name, rel->qualified) != 0)
	{
		int			i;

		/* a relation rebuilt mid-transaction, or first seen: find or add */
		for (i = 0; i < r->ntxt; i++)
			if (strcmp(r->txt[i].name, rel->qualified) == 0)
				break;
		if (i == r->ntxt)
		{
			if (r->ntxt == r->txtcap)
			{
				r->txtcap = r->txtcap ? r->txtcap * 2 : 8;
				r->txt = realloc(r->txt, (size_t) r->txtcap * sizeof(TxTable));
				if (r->txt == NULL)
					abort();
			}
			r->txt[i].name = xstrdup(rel->qualified);
			r->txt[i].hash = java_string_hash(rel->qualified, strlen(rel->qualified));
			r->txt[i].count = 0;
			r->ntxt++;
			if (java_hashmap_capacity(r->ntxt) > r->tx_map_cap)
				r->tx_map_cap = java_hashmap_capacity(r->ntxt);
		}
		rel->tx_gen = r->tx_gen;
		rel->tx_slot = i;
	}
	t = &r->txt[rel->tx_slot];
	r->tx_total++;
	*dc_order = ++t->count;
	return true;
}

/* ,"transaction":{...} or null */
static void
write_txblock(Renderer *r, Buf *b, bool tx, uint64_t lsn, uint64_t dc_order)
{
	JLIT(b, ",\"transaction\":");
	if (!tx)
	{
		JLIT(b, "null");
		return;
	}
	JLIT(b, "{\"id\":");
	write_txid(r, b, lsn);
	JLIT(b, ",\"total_order\":");
	json_u64(b, r->tx_total);
	JLIT(b, ",\"data_collection_order\":");
	json_u64(b, dc_order);
	buf_putc(b, '}');
}

/*
 * One change event (c, u, d, t): the value into r->val, then the message,
 * then for a delete its tombstone.  key: the key bytes or NULL.
 */
static bool
change_event(Renderer *r, Rel *rel, char op, const CdcValue *before, const CdcValue *after,
			 uint64_t lsn, const Buf *key, const char *hdr, const Buf *hdrval,
			 EmitFn emit, void *arg)
{
	Buf		   *b = &r->val;
	uint64_t	dc_order = 0;
	int64_t		now;
	bool		tx = r->cfg.tx_metadata && r->in_txn;
	int			layout = r->cfg.layout;

	if (tx && !tx_count(r, rel, lsn, emit, arg, &dc_order))
		return false;
	buf_reset(b);
	if (rel->val_prefix)
		buf_put(b, rel->val_prefix, rel->val_prefix_len);
	JLIT(b, "{\"before\":");
	if (before)
	{
		if (!write_row(r, b, rel, before))
			return false;
	}
	else
		JLIT(b, "null");
	JLIT(b, ",\"after\":");
	if (after)
	{
		if (!write_row(r, b, rel, after))
			return false;
	}
	else
		JLIT(b, "null");
	buf_putc(b, ',');
	write_source(r, b, r->commit_us, rel->src_names, rel->src_names_len, true, lsn);
	if (layout >= DBZ_2_7)
		write_txblock(r, b, tx, lsn, dc_order);
	now = now_ns();
	JLIT(b, ",\"op\":\"");
	buf_putc(b, op);
	JLIT(b, "\",\"ts_ms\":");
	json_i64(b, now / 1000000);
	if (layout >= DBZ_2_6)
	{
		JLIT(b, ",\"ts_us\":");
		json_i64(b, now / 1000);
		JLIT(b, ",\"ts_ns\":");
		json_i64(b, now);
	}
	if (layout < DBZ_2_7)
		write_txblock(r, b, tx, lsn, dc_order);
	buf_putc(b, '}');
	if (rel->val_prefix)
		buf_putc(b, '}');

	if (!deliver(r, emit, arg, rel->topic, key, b, lsn, hdr, hdrval))
		return false;
	/* the tombstone: same key, null value (Debezium copies the headers) */
	if (op == 'd' && key && r->cfg.tombstones)
		return deliver(r, emit, arg, rel->topic, key, NULL, lsn, hdr, hdrval);
	return true;
}

/* Read a tuple of rel's width into vals. */
static bool
read_tuple(Renderer *r, CdcReader *rd, const Rel *rel, CdcValue *vals, const char *what)
{
	uint32_t	n,
				i;

	if (!cdc_read_tuple_header(rd, &n))
		return fail(r, "malformed %s record for %s: %s", what, rel->qualified, rd->error);
	if (n != (uint32_t) rel->ncols)
		return fail(r, "%s record for %s has %u columns, its RELATION record %d", what,
					rel->qualified, n, rel->ncols);
	for (i = 0; i < n; i++)
		if (!cdc_read_value(rd, &vals[i]))
			return fail(r, "malformed %s record for %s, column %s: %s", what, rel->qualified,
						rel->cols[i].name, rd->error);
	return true;
}

/* Read a tuple kind byte. */
static bool
read_kind(Renderer *r, CdcReader *rd, const Rel *rel, const char *what, uint8_t *kind)
{
	if (!cdc_read_u8(rd, kind, "tuple kind"))
		return fail(r, "malformed %s record for %s: %s", what, rel->qualified, rd->error);
	return true;
}

/* Nothing may follow a record's last field. */
static bool
check_end(Renderer *r, CdcReader *rd, const char *what)
{
	if (!cdc_at_end(rd))
	{
		cdc_fail(rd, "bytes after the end of the record");
		return fail(r, "malformed %s record: %s", what, rd->error);
	}
	return true;
}

/* A change outside BEGIN..COMMIT cannot be placed. */
static bool
need_txn(Renderer *r, const char *what)
{
	if (!r->in_txn)
		return fail(r, "%s record outside a transaction (no BEGIN before it)", what);
	return true;
}

/* INSERT, UPDATE, DELETE */
static bool
on_change(Renderer *r, CdcReader *rd, uint8_t kind, uint64_t lsn, EmitFn emit, void *arg)
{
	const char *what = kind == CDC_INSERT ? "INSERT" : kind == CDC_UPDATE ? "UPDATE" : "DELETE";
	uint32_t	relid;
	Rel		   *rel;
	uint8_t		tk;
	bool		has_old = false;
	bool		has_key;

	if (!cdc_read_u32(rd, &relid, "relation OID"))
		return fail(r, "malformed %s record: %s", what, rd->error);
	if (!need_txn(r, what) || (rel = rel_get(r, relid, what)) == NULL)
		return false;

	if (kind == CDC_INSERT)
	{
		if (!read_kind(r, rd, rel, what, &tk))
			return false;
		if (tk != CDC_TUPLE_NEW)
			return fail(r, "malformed INSERT record for %s: tuple kind 0x%02x, not 'N'", rel->qualified, tk);
		if (!read_tuple(r, rd, rel, r->newv, what) || !check_end(r, rd, what))
			return false;
		if (r->cfg.skipped_ops & SKIP_CREATE)
			return true;
		has_key = rel->nkey > 0;
		if (has_key && !write_key(r, &r->key, rel, r->newv))
			return false;
		return change_event(r, rel, 'c', NULL, r->newv, lsn, has_key ? &r->key : NULL, NULL, NULL,
							emit, arg);
	}

	if (kind == CDC_DELETE)
	{
		if (!cdc_at_end(rd))
		{
			if (!read_kind(r, rd, rel, what, &tk))
				return false;
			if (tk != CDC_TUPLE_KEY && tk != CDC_TUPLE_OLD)
				return fail(r, "malformed DELETE record for %s: tuple kind 0x%02x, not 'K' or 'O'",
							rel->qualified, tk);
			if (!read_tuple(r, rd, rel, r->oldv, what) || !check_end(r, rd, what))
				return false;
			has_old = true;
		}
		if (r->cfg.skipped_ops & SKIP_DELETE)
			return true;
		if (!has_old)
		{
			/*
			 * No old row (REPLICA IDENTITY NOTHING, or DEFAULT without a
			 * primary key): there is nothing to say which row went.
			 * Debezium skips these deletes too (skipEmptyMessages); we say
			 * so once per relation rather than drop them silently.
			 */
			if (!rel->warned_nothing)
			{
				rel->warned_nothing = true;
				log_warn("deletes on %s are skipped: the table's replica "
						 "identity gives no old row (as Debezium does; set REPLICA IDENTITY FULL "
						 "or add a primary key)", rel->qualified);
			}
			return true;
		}
		has_key = rel->nkey > 0;
		if (has_key && !write_key(r, &r->key, rel, r->oldv))
			return false;
		return change_event(r, rel, 'd', r->oldv, NULL, lsn, has_key ? &r->key : NULL, NULL, NULL,
							emit, arg);
	}

	/* UPDATE: an optional old tuple, then the new one */
	if (!read_kind(r, rd, rel, what, &tk))
		return false;
	if (tk == CDC_TUPLE_KEY || tk == CDC_TUPLE_OLD)
	{
		if (!read_tuple(r, rd, rel, r->oldv, what) || !read_kind(r, rd, rel, what, &tk))
			return false;
		has_old = true;
	}
	if (tk != CDC_TUPLE_NEW)
		return fail(r, "malformed UPDATE record for %s: tuple kind 0x%02x, not 'N'", rel->qualified, tk);
	if (!read_tuple(r, rd, rel, r->newv, what) || !check_end(r, rd, what))
		return false;
	if (r->cfg.skipped_ops & SKIP_UPDATE)
		return true;
	has_key = rel->nkey > 0;
	if (has_key && !write_key(r, &r->key, rel, r->newv))
		return false;
	if (has_key && has_old)
	{
		if (!write_key(r, &r->key2, rel, r->oldv))
			return false;
		if (r->key2.len != r->key.len || memcmp(r->key2.data, r->key.data, r->key.len) != 0)
		{
			/* the key changed: delete (+ tombstone) under the old key, create under the new */
			if (!change_event(r, rel, 'd', r->oldv, NULL, lsn, &r->key2, "__debezium.newkey", &r->key,
							  emit, arg))
				return false;
			return change_event(r, rel, 'c', NULL, r->newv, lsn, &r->key, "__debezium.oldkey", &r->key2,
								emit, arg);
		}
	}
	return change_event(r, rel, 'u', has_old ? r->oldv : NULL, r->newv, lsn,
						has_key ? &r->key : NULL, NULL, NULL, emit, arg);
}

/* TRUNCATE: one op t event per relation, null key. */
static bool
on_truncate(Renderer *r, CdcReader *rd, uint64_t lsn, EmitFn emit, void *arg)
{
	CdcTruncate t;
	uint32_t	i,
				relid;
	const uint8_t *ids;

	if (!cdc_read_truncate(rd, &t))
		return fail(r, "malformed TRUNCATE record: %s", rd->error);
	ids = rd->p;
	for (i = 0; i < t.nrels; i++)
		if (!cdc_read_u32(rd, &relid, "TRUNCATE relation OID"))
			return fail(r, "malformed TRUNCATE record: %s", rd->error);
	if (!check_end(r, rd, "TRUNCATE") || !need_txn(r, "TRUNCATE"))
		return false;
	/* every relation must be known, even when truncates are skipped */
	for (i = 0; i < t.nrels; i++)
	{
		relid = ((uint32_t) ids[4 * i] << 24) | ((uint32_t) ids[4 * i + 1] << 16) |
			((uint32_t) ids[4 * i + 2] << 8) | ids[4 * i + 3];
		if (rel_get(r, relid, "TRUNCATE") == NULL)
			return false;
	}
	if (r->cfg.skipped_ops & SKIP_TRUNCATE)
		return true;
	for (i = 0; i < t.nrels; i++)
	{
		relid = ((uint32_t) ids[4 * i] << 24) | ((uint32_t) ids[4 * i + 1] << 16) |
			((uint32_t) ids[4 * i + 2] << 8) | ids[4 * i + 3];
		if (!change_event(r, rel_lookup(r, relid), 't', NULL, NULL, lsn, NULL, NULL, NULL, emit, arg))
			return false;
	}
	return true;
}

/* MESSAGE: Debezium's MessageKey / MessageValue on <prefix>.message. */
static bool
on_message(Renderer *r, CdcReader *rd, uint64_t lsn, EmitFn emit, void *arg)
{
	CdcMessage	m;
	bool		tx;
	int64_t		now = now_ns();
	Buf		   *k = &r->key,
			   *v = &r->val;
	static const char names[] = ",\"schema\":\"\",\"table\":\"\"";

	if (!cdc_read_message(rd, &m))
		return fail(r, "malformed MESSAGE record: %s", rd->error);
	if (!check_end(r, rd, "MESSAGE"))
		return false;
	tx = (m.flags & CDC_MESSAGE_TRANSACTIONAL) != 0;
	if (tx && !need_txn(r, "transactional MESSAGE"))
		return false;

	buf_reset(k);
	if (r->cfg.key_schemas)
		buf_puts(k, r->msgkey_prefix);
	JLIT(k, "{\"prefix\":");
	json_str(k, m.prefix.data, m.prefix.len);
	buf_putc(k, '}');
	if (r->cfg.key_schemas)
		buf_putc(k, '}');

	buf_reset(v);
	if (r->cfg.value_schemas)
		buf_puts(v, r->msgval_prefix);
	JLIT(v, "{\"op\":\"m\",\"ts_ms\":");
	json_i64(v, now / 1000000);
	buf_putc(v, ',');
	if (tx)
		write_source(r, v, r->commit_us, names, sizeof(names) - 1, true, lsn);
	else
	{
		/* outside a transaction: no txId, no origin, the time we saw it */
		bool		in = r->in_txn;

		r->in_txn = false;
		write_source(r, v, now / 1000, names, sizeof(names) - 1, false, lsn);
		r->in_txn = in;
	}
	JLIT(v, ",\"transaction\":null,\"message\":{\"prefix\":");
	json_str(v, m.prefix.data, m.prefix.len);
	JLIT(v, ",\"content\":");
	write_binary(v, r->cfg.binary_mode, (const uint8_t *) m.content.data, m.content.len);
	JLIT(v, "}}");
	if (r->cfg.value_schemas)
		buf_putc(v, '}');
	if (tx)
		return deliver(r, emit, arg, r->msg_topic, k, v, lsn, NULL, NULL);
	else
	{
		bool		in = r->in_txn;
		bool		ok;

		r->in_txn = false;
		ok = deliver(r, emit, arg, r->msg_topic, k, v, lsn, NULL, NULL);
		r->in_txn = in;
		return ok;
	}
}

/* Render one record (see render.h). */
bool
renderer_feed(Renderer *r, const uint8_t *data, size_t len, uint64_t lsn, EmitFn emit, void *arg)
{
	CdcReader	rd;
	uint8_t		kind;

	r->err[0] = '\0';
	cdc_reader_init(&rd, data, len);
	if (!cdc_read_u8(&rd, &kind, "record kind"))
		return fail(r, "empty record at LSN %" PRIu64, lsn);
	switch (kind)
	{
		case CDC_BEGIN:
			{
				CdcBegin	b;

				if (!cdc_read_begin(&rd, &b))
					return fail(r, "malformed BEGIN record: %s", rd.error);
				if (b.version != CDC_FORMAT_VERSION)
					return fail(r, "BEGIN record in format version %u; this shipper reads version %d",
								b.version, CDC_FORMAT_VERSION);
				if (!check_end(r, &rd, "BEGIN"))
					return false;
				r->in_txn = true;
				r->xid = b.xid;
				r->commit_us = wadd(b.commit_time, UNIX_2000_US);
				r->final_lsn = b.final_lsn;
				r->seq = 0;
				r->have_origin = false;
				r->tx_gen++;
				r->tx_begun = false;
				r->tx_total = 0;
				while (r->ntxt > 0)
					free(r->txt[--r->ntxt].name);
				return true;
			}
		case CDC_COMMIT:
			{
				CdcCommit	c;

				if (!cdc_read_commit(&rd, &c))
					return fail(r, "malformed COMMIT record: %s", rd.error);
				if (!check_end(r, &rd, "COMMIT"))
					return false;
				if (r->in_txn && r->tx_begun && r->cfg.tx_metadata &&
					!tx_event(r, emit, arg, true, c.end_lsn))
					return false;
				r->in_txn = false;
				r->tx_begun = false;
				r->have_last_commit = true;
				r->last_commit = c.end_lsn;
				return true;
			}
		case CDC_ORIGIN:
			{
				CdcOrigin	o;

				if (!cdc_read_origin(&rd, &o))
					return fail(r, "malformed ORIGIN record: %s", rd.error);
				if (!check_end(r, &rd, "ORIGIN"))
					return false;
				free(r->origin);
				r->origin = slice_dup(o.name);
				r->origin_lsn = o.origin_lsn;
				r->have_origin = true;
				return true;
			}
		case CDC_RELATION:
			return on_relation(r, &rd, data, len);
		case CDC_INSERT:
		case CDC_UPDATE:
		case CDC_DELETE:
			return on_change(r, &rd, kind, lsn, emit, arg);
		case CDC_TRUNCATE:
			return on_truncate(r, &rd, lsn, emit, arg);
		case CDC_MESSAGE:
			return on_message(r, &rd, lsn, emit, arg);
		default:
			return fail(r, "unknown record kind 0x%02x at LSN %" PRIu64 " (%zu bytes)", kind, lsn, len);
	}
}
