/*
 * render.c
 *		cellcdc records in, Debezium-shaped Kafka messages out: the entry
 *		points of render.h and the transaction records.
 *
 * The renderer follows the record stream: it keeps the latest RELATION per
 * relation OID (with everything derived from it: topic, key and envelope
 * schemas as JSON text, per-column writers, defaults), and the open
 * transaction (xid, commit time and LSN, position counter, transaction
 * metadata counts).  Each change becomes the messages Debezium's PostgreSQL
 * connector would produce for it, byte for byte where we know how (README,
 * "Messages"): create, update, delete and its tombstone, primary key
 * changes as delete + tombstone + create, truncate, logical decoding
 * messages, and transaction BEGIN/END events.
 *
 * Schemas are built once per relation and cached as text; rows are written
 * by hand into reused buffers, so the steady state does no allocation.  The
 * reader in decoder/record.c does all parsing; anything it rejects, and
 * anything inconsistent with the relation it names, makes renderer_feed
 * fail with a message saying what and where.
 *
 * A Renderer is single-threaded: one per replication stream.
 */
#include "render/render_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/json.h"

/* Set the error and return false. */
bool
render_fail(Renderer *r, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return false;
}

/* s for a log line: bytes that are not UTF-8 and controls escaped as in JSON; malloc'd. */
char *
printable(const char *s)
{
	Buf			b = {0};

	buf_puts(&b, "");
	json_escape(&b, s, strlen(s));
	return buf_take(&b, NULL);
}

/* Create a renderer; cfg's strings are copied. */
Renderer *
renderer_new(const Config *cfg, const char *dbname, MetaFn meta, void *meta_arg,
			 TopicClaims *claims)
{
	Renderer   *r = xcalloc(1, sizeof(Renderer));
	const char *prefix;
	const char *delim;
	Buf			b = {0};

	r->claims = claims;
	r->cfg = *cfg;
	r->cfg.topic_prefix = xstrdup(cfg->topic_prefix ? cfg->topic_prefix : "");
	r->cfg.topic_delimiter = xstrdup(cfg->topic_delimiter ? cfg->topic_delimiter
									 : DEFAULT_TOPIC_DELIMITER);
	r->cfg.topic_transaction = xstrdup(cfg->topic_transaction ? cfg->topic_transaction : "transaction");
	r->cfg.debezium_version = xstrdup(cfg->debezium_version ? cfg->debezium_version : "");
	r->cfg.placeholder = xstrdup(cfg->placeholder ? cfg->placeholder : "__debezium_unavailable_value");
	/* not used by the renderer: do not keep pointers into the caller's config */
	r->cfg.conninfo = r->cfg.dbname = r->cfg.slot_name = r->cfg.decoder_options = NULL;
	r->cfg.exclude_columns = NULL;
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
	JLIT(&b, ",\"db\":");
	json_str(&b, r->dbname, strlen(r->dbname));
	JLIT(&b, ",\"sequence\":\"[");
	r->src_db = buf_take(&b, &r->src_db_len);

	buf_puts(&b, prefix);
	buf_puts(&b, delim);
	buf_puts(&b, "message");
	r->msg_topic = topic_sanitize(b.data);
	buf_reset(&b);
	buf_puts(&b, prefix);
	buf_puts(&b, delim);
	buf_puts(&b, r->cfg.topic_transaction);
	r->tx_topic = topic_sanitize(b.data);
	buf_free(&b);
	/* a table mapping to these would mix its events with theirs */
	topic_claim(r->claims, r->msg_topic, "the logical decoding messages");
	if (r->cfg.tx_metadata)
		topic_claim(r->claims, r->tx_topic, "the transaction metadata events");

	r->msgkey_prefix = message_key_prefix();
	r->msgval_prefix = message_value_prefix(&r->cfg);
	r->txkey_prefix = tx_key_prefix();
	r->txval_prefix = tx_value_prefix();
	return r;
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
	buf_free(&r->relname);
	buf_free(&r->scratch);
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

/* What the last failed renderer_feed was working on. */
void
renderer_failure(const Renderer *r, RenderFailure *out)
{
	out->table = r->cur_table;
	out->topic = r->cur_topic;
	out->key = r->cur_key ? r->cur_key->data : NULL;
	out->key_len = r->cur_key ? r->cur_key->len : 0;
}

/* Render one record (see render.h). */
bool
renderer_feed(Renderer *r, const uint8_t *data, size_t len, uint64_t lsn, EmitFn emit, void *arg)
{
	CdcReader	rd;
	uint8_t		kind;

	r->err[0] = '\0';
	r->cur_table = r->cur_topic = NULL;
	r->cur_key = NULL;
	cdc_reader_init(&rd, data, len);
	if (!cdc_read_u8(&rd, &kind, "record kind"))
		return render_fail(r, "empty record at LSN %" PRIu64, lsn);
	switch (kind)
	{
		case CDC_BEGIN:
			{
				CdcBegin	b;

				if (!cdc_read_begin(&rd, &b))
					return render_fail(r, "malformed BEGIN record: %s", rd.error);
				if (b.version != CDC_FORMAT_VERSION)
					return render_fail(r, "BEGIN record in format version %u; this shipper reads version %d",
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
					return render_fail(r, "malformed COMMIT record: %s", rd.error);
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
					return render_fail(r, "malformed ORIGIN record: %s", rd.error);
				if (!check_end(r, &rd, "ORIGIN"))
					return false;
				free(r->origin);
				r->origin = xstrndup(o.name.data, o.name.len);
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
			return render_fail(r, "unknown record kind 0x%02x at LSN %" PRIu64 " (%zu bytes)", kind, lsn, len);
	}
}
