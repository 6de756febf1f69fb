/*
 * txmeta.c
 *		provide.transaction.metadata: BEGIN and END events on the
 *		transaction topic, and the transaction block of each change event.
 *
 * BEGIN goes out before a transaction's first data event, END at its
 * COMMIT with the event count per table.  Debezium keeps those counts in a
 * Java HashMap, so END lists the tables in that map's iteration order
 * (javamap.c); the map only ever grows within a connector's life, which
 * matters for that order, so its capacity is kept across transactions.
 */
#include "render/render_int.h"

#include <stdlib.h>
#include <string.h>

#include "render/json.h"

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

/* A transaction BEGIN or END event on the transaction topic. */
bool
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
bool
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
void
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
