/*
 * relation.c
 *		The relation cache: what each RELATION record said, and everything
 *		derived from it once so that rows need no lookups.
 *
 * An entry per relation OID holds the columns with their writers, default,
 * fallback and placeholder JSON, the key columns in Debezium's order, the
 * topic, and the key and envelope schemas as JSON text.  A RELATION record
 * that repeats the cached one (a new session sends them again) keeps the
 * entry; a different one replaces it.
 */
#include "render/render_int.h"
#include "ops/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/json.h"

/* Free one relation and everything derived from it. */
void
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
	free(rel->schema);
	free(rel->table);
	free(rel->qualified);
	free(rel->quoted);
	free(rel->clash);
	free(rel->topic);
	free(rel->key_prefix);
	free(rel->val_prefix);
	free(rel->src_names);
	free(rel);
}

/* The relation with this OID, or NULL. */
Rel *
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
Rel *
rel_get(Renderer *r, uint32_t relid, const char *what)
{
	Rel		   *rel = rel_lookup(r, relid);

	if (rel == NULL)
		render_fail(r, "%s record for relation OID %u, which no RELATION record has described "
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

/* Read a RELATION record's columns into a new entry; NULL (with the error) if malformed. */
static Rel *
rel_read(Renderer *r, CdcReader *rd, const CdcRelation *hdr, const uint8_t *data, size_t len)
{
	Rel		   *rel = xcalloc(1, sizeof(Rel));
	uint32_t	i;

	rel->relid = hdr->relid;
	rel->replident = hdr->replident;
	rel->ncols = (int) hdr->ncols;
	rel->cols = xcalloc(hdr->ncols, sizeof(Col));
	rel->key = xcalloc(hdr->ncols, sizeof(int));
	rel->schema = xstrndup(hdr->schema.data, hdr->schema.len);
	rel->table = xstrndup(hdr->table.data, hdr->table.len);
	for (i = 0; i < hdr->ncols; i++)
	{
		CdcColumn	col;
		Col		   *c = &rel->cols[i];

		if (!cdc_read_column(rd, &col))
		{
			render_fail(r, "malformed RELATION record for %s.%s, column %u: %s", rel->schema,
						rel->table, i + 1, rd->error);
			rel_free(rel);
			return NULL;
		}
		c->name = xstrndup(col.name.data, col.name.len);
		c->name_len = col.name.len;
		c->flags = col.flags;
		c->typid = col.typid;
		c->basetypid = col.basetypid;
		c->typmod = col.basetypmod;
	}
	if (!cdc_at_end(rd))
	{
		cdc_fail(rd, "bytes after the last column");
		render_fail(r, "malformed RELATION record for %s.%s: %s", rel->schema, rel->table,
					rd->error);
		rel_free(rel);
		return NULL;
	}
	rel->raw = xcalloc(len, 1);
	memcpy(rel->raw, data, len);
	rel->raw_len = len;
	return rel;
}

/* What the record does not say (type names, labels, defaults, comments), from the MetaFn. */
static bool
rel_fetch_meta(Renderer *r, Rel *rel)
{
	ColumnMeta *metas;
	const char **names;
	char		merr[300];
	int			i;

	if (r->meta == NULL || rel->ncols == 0)
		return true;
	metas = xcalloc((size_t) rel->ncols, sizeof(ColumnMeta));
	names = xcalloc((size_t) rel->ncols, sizeof(char *));
	for (i = 0; i < rel->ncols; i++)
		names[i] = rel->cols[i].name;
	merr[0] = '\0';
	if (!r->meta(r->meta_arg, rel->relid, rel->ncols, names, metas, merr, sizeof(merr)))
	{
		for (i = 0; i < rel->ncols; i++)
		{
			free(metas[i].type_name);
			free(metas[i].elem_type_name);
			free(metas[i].enum_labels);
			free(metas[i].default_expr);
			free(metas[i].comment);
		}
		free(metas);
		free(names);
		return render_fail(r, "cannot read the catalog for relation %s.%s (OID %u): %s",
						   rel->schema, rel->table, rel->relid,
						   merr[0] ? merr : "no reason given");
	}
	for (i = 0; i < rel->ncols; i++)
		rel->cols[i].meta = metas[i];
	free(metas);
	free(names);
	return true;
}

/* The topic, the schema names and the source names of a relation. */
static void
rel_names(Renderer *r, Rel *rel)
{
	Buf			n = {0};
	char	   *key_name,
			   *value_name,
			   *env_name;
	size_t		base;

	rel->topic = render_topic_name(&r->cfg, rel->schema, rel->table);
	rel->quoted = quoted_name(rel->schema, rel->table);

	/* schema names: <prefix>.<schema>.<table>.Key, .Value, .Envelope */
	buf_puts(&n, r->cfg.topic_prefix);
	buf_putc(&n, '.');
	buf_puts(&n, rel->qualified);
	base = n.len;
	buf_puts(&n, ".Key");
	key_name = xstrdup(n.data);
	n.len = base;
	buf_puts(&n, ".Value");
	value_name = xstrdup(n.data);
	n.len = base;
	buf_puts(&n, ".Envelope");
	env_name = xstrdup(n.data);
	if (r->cfg.key_schemas && rel->nkey > 0)
		rel->key_prefix = key_prefix(&r->cfg, key_name, rel->cols, rel->key, rel->nkey,
									 &rel->key_prefix_len);
	if (r->cfg.value_schemas)
		rel->val_prefix = envelope_prefix(&r->cfg, value_name, env_name, rel->cols,
										  rel->ncols, &rel->val_prefix_len);
	free(key_name);
	free(value_name);
	free(env_name);

	buf_reset(&n);
	JLIT(&n, ",\"schema\":");
	json_str(&n, rel->schema, strlen(rel->schema));
	JLIT(&n, ",\"table\":");
	json_str(&n, rel->table, strlen(rel->table));
	rel->src_names = buf_take(&n, &rel->src_names_len);
}

/* Everything rows need: type mapping, column constants, the key, names. */
static void
rel_derive(Renderer *r, Rel *rel)
{
	int			i;
	int			nflag;

	for (i = 0; i < rel->ncols; i++)
	{
		Col		   *c = &rel->cols[i];

		classify_column(&r->cfg, c);
		column_constants(&r->cfg, c, &r->tmp);
		if (c->t.kind == K_UNKNOWN || (c->t.kind == K_ARRAY && c->elem.kind == K_UNKNOWN))
			/* Debezium drops such columns; we keep their text (see classify_column) */
			log_warn("column %s.%s has type %s (OID %u), which Debezium "
					 "does not map; its PostgreSQL text is sent as a string",
					 rel->qualified, c->name, c->meta.type_name ? c->meta.type_name : "?",
					 c->typid);
	}

	/* the key: primary key columns, else replica identity index columns */
	for (nflag = CDC_COL_PKEY; nflag <= CDC_COL_IDENTITY && rel->nkey == 0; nflag <<= 1)
		for (i = 0; i < rel->ncols; i++)
			if (rel->cols[i].flags & nflag)
				rel->key[rel->nkey++] = i;
	order_key(rel);
	rel_names(r, rel);
}

/*
 * Claim the relation's topic, or note what already uses it (then its
 * changes fail); say so when the relation was renamed.
 */
static void
rel_claim_topic(Renderer *r, Rel *rel, const Rel *old)
{
	char	   *holder = table_holder(rel->quoted);
	const char *other = topic_claim(r->claims, rel->topic, holder);

	free(holder);
	if (other)
		rel->clash = xstrdup(other);
	if (old == NULL || strcmp(old->quoted, rel->quoted) == 0)
		return;
	if (other == NULL)
		log_info("table %s was renamed to %s; its changes now go to topic %s",
				 old->quoted, rel->quoted, rel->topic);
	else
		log_warn("table %s was renamed to %s, whose topic %s already carries %s; "
				 "its changes fail until one of them is renamed or excluded",
				 old->quoted, rel->quoted, rel->topic, other);
}

/* Take the entry of relid out of the cache (the caller frees it). */
static void
rel_unlink(Renderer *r, Rel *rel)
{
	Rel		  **pp;

	for (pp = &r->rels[rel->relid % RELHASH]; *pp; pp = &(*pp)->next)
		if (*pp == rel)
		{
			*pp = rel->next;
			break;
		}
	if (r->last == rel)
		r->last = NULL;
}

/* Put rel in the cache in place of old (NULL if none). */
static void
rel_install(Renderer *r, Rel *rel, Rel *old)
{
	if (old)
	{
		rel_unlink(r, old);
		/* the transaction's per-table count lives in r->txt, by slot */
		rel->tx_gen = old->tx_gen;
		rel->tx_slot = old->tx_slot;
		rel->warned_nothing = old->warned_nothing;
		rel_free(old);
	}
	rel->next = r->rels[rel->relid % RELHASH];
	r->rels[rel->relid % RELHASH] = rel;
	r->last = rel;
	if (r->valcap < (uint32_t) rel->ncols)
	{
		free(r->oldv);
		free(r->newv);
		r->valcap = rel->ncols < 64 ? 64 : (uint32_t) rel->ncols;
		r->oldv = xcalloc(r->valcap, sizeof(CdcValue));
		r->newv = xcalloc(r->valcap, sizeof(CdcValue));
	}
}

/*
 * Apply a RELATION record: (re)build the relation's cache entry.  When it
 * fails, the relation's previous entry goes too: its definition no longer
 * holds, and changes for the relation fail until a RELATION record for it
 * is applied.
 */
bool
on_relation(Renderer *r, CdcReader *rd, const uint8_t *data, size_t len)
{
	CdcRelation hdr;
	Rel		   *rel;
	Rel		   *old;
	uint64_t	not_utf8;

	if (!cdc_read_relation(rd, &hdr))
		return render_fail(r, "malformed RELATION record: %s", rd->error);
	old = rel_lookup(r, hdr.relid);
	/* a resend of the same definition (a new session): keep what we built */
	if (old && old->raw_len == len && memcmp(old->raw, data, len) == 0)
		return true;

	buf_reset(&r->relname);
	buf_put(&r->relname, hdr.schema.data, hdr.schema.len);
	buf_putc(&r->relname, '.');
	buf_put(&r->relname, hdr.table.data, hdr.table.len);
	r->cur_table = r->relname.data;

	rel = rel_read(r, rd, &hdr, data, len);
	if (rel == NULL || !rel_fetch_meta(r, rel))
	{
		rel_free(rel);
		if (old)
		{
			rel_unlink(r, old);
			rel_free(old);
		}
		return false;
	}
	rel->qualified = xstrdup(r->relname.data);
	not_utf8 = json_invalid_utf8;
	rel_derive(r, rel);
	if (json_invalid_utf8 != not_utf8)
	{
		char	   *name = printable(rel->qualified);

		log_warn("table %s has names or defaults that are not valid UTF-8 (a SQL_ASCII "
				 "database?); their bytes that are not UTF-8 are written as the escapes "
				 "\\uDC80 to \\uDCFF", name);
		free(name);
	}
	rel_claim_topic(r, rel, old);
	rel_install(r, rel, old);
	return true;
}
