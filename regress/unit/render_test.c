/*
 * render_test.c
 *		The shipper's renderer on its own: records built by hand go in,
 *		messages, errors and log lines come out and are checked.
 *
 * Covers what the end-to-end tests cannot reach: the state after a failed
 * feed (the shipper restarts on one today; with errors.tolerance=all it
 * skips it and feeds on), topic collisions and renames, and the JSON
 * string writer on every kind of bad UTF-8.  Built and run by regress/t/020_render_unit.pl;
 * prints one "ok" or "not ok" line per check.  log_at() is defined here,
 * so log lines are captured instead of printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "ops/log.h"
#include "record.h"
#include "render/json.h"
#include "render/render.h"

static int	failures = 0;

/* One check: "ok - what" or "not ok - what". */
static void
check(bool cond, const char *what,...)
{
	va_list		ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, what);
	vprintf(what, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failures++;
}

/* ---------- captured log lines ---------- */

static Buf	logged;

/* The shipper's log path (ops/log.h), into logged instead of stderr. */
void
log_at(LogLevel level, const char *fmt,...)
{
	va_list		ap;
	char		line[2048];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_puts(&logged, level == LVL_INFO ? "INFO " : level == LVL_WARN ? "WARN " : "ERROR ");
	buf_puts(&logged, line);
	buf_putc(&logged, '\n');
}

/* How many log lines contain s. */
static int
log_count(const char *s)
{
	int			n = 0;
	const char *p = logged.data ? logged.data : "";

	while ((p = strstr(p, s)) != NULL)
	{
		n++;
		p += strlen(s);
	}
	return n;
}

/* ---------- records built by hand (decoder/FORMAT.md) ---------- */

typedef struct Rec
{
	uint8_t		d[4096];
	size_t		n;
} Rec;

/* The encodings of decoder/FORMAT.md: u8, u32, u64, varint, svarint, str. */
static void
put_u8(Rec *r, unsigned v)
{
	r->d[r->n++] = (uint8_t) v;
}

static void
put_u32(Rec *r, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		put_u8(r, (v >> (8 * i)) & 0xFF);
}

static void
put_u64(Rec *r, uint64_t v)
{
	put_u32(r, (uint32_t) (v >> 32));
	put_u32(r, (uint32_t) v);
}

static void
put_varint(Rec *r, uint64_t v)
{
	while (v >= 0x80)
	{
		put_u8(r, (unsigned) (v & 0x7F) | 0x80);
		v >>= 7;
	}
	put_u8(r, (unsigned) v);
}

static void
put_svarint(Rec *r, int64_t v)
{
	put_varint(r, ((uint64_t) v << 1) ^ (uint64_t) (v >> 63));
}

static void
put_str(Rec *r, const char *s)
{
	put_varint(r, strlen(s));
	memcpy(r->d + r->n, s, strlen(s));
	r->n += strlen(s);
}

/* Start a record of this kind. */
static Rec *
begin_rec(Rec *r, char kind)
{
	r->n = 0;
	put_u8(r, (unsigned char) kind);
	return r;
}

/* A column of a RELATION record: flags, name, type OID and typmod (not a domain). */
typedef struct ColDef
{
	unsigned	flags;
	const char *name;
	uint32_t	typid;
	int32_t		typmod;
} ColDef;

#define INT4OID		23
#define TEXTOID		25
#define NUMERICOID	1700

/* A RELATION record. */
static void
relation_rec(Rec *r, uint32_t relid, const char *schema, const char *table,
			 const ColDef *cols, int ncols)
{
	begin_rec(r, CDC_RELATION);
	put_u32(r, relid);
	put_str(r, schema);
	put_str(r, table);
	put_u8(r, 'd');
	put_varint(r, (uint64_t) ncols);
	for (int i = 0; i < ncols; i++)
	{
		put_u8(r, cols[i].flags);
		put_str(r, cols[i].name);
		put_u32(r, cols[i].typid);
		put_u32(r, (uint32_t) cols[i].typmod);
		put_u32(r, cols[i].typid);
		put_u32(r, (uint32_t) cols[i].typmod);
	}
}

/* Values of a tuple: an int, a text, a numeric NaN or a plain numeric 1.5. */
static void
val_int(Rec *r, int64_t v)
{
	put_u8(r, CDC_VAL_INT);
	put_svarint(r, v);
}

static void
val_text(Rec *r, const char *s)
{
	put_u8(r, CDC_VAL_TEXT);
	put_str(r, s);
}

static void
val_numeric(Rec *r, bool nan)
{
	put_u8(r, CDC_VAL_NUMERIC);
	if (nan)
	{
		put_u8(r, CDC_NUM_NAN);
		return;
	}
	/* 1.5: weight 0, dscale 1, digits 1, 5000 */
	put_u8(r, CDC_NUM_POS);
	put_svarint(r, 0);
	put_varint(r, 1);
	put_varint(r, 2);
	put_u8(r, 0);
	put_u8(r, 1);
	put_u8(r, 5000 >> 8);
	put_u8(r, 5000 & 0xFF);
}

/* BEGIN of transaction xid. */
static void
begin_txn(Rec *r, uint32_t xid)
{
	begin_rec(r, CDC_BEGIN);
	put_u8(r, CDC_FORMAT_VERSION);
	put_u64(r, 0x5000);
	put_u64(r, 0);
	put_u32(r, xid);
}

/* Its COMMIT. */
static void
commit_txn(Rec *r)
{
	begin_rec(r, CDC_COMMIT);
	put_u64(r, 0x5000);
	put_u64(r, 0x5010);
	put_u64(r, 0);
}

/* ---------- what the renderer emits ---------- */

typedef struct Sent
{
	char		topic[256];
	char		key[1024];
	char		value[4096];
	bool		tombstone;
} Sent;

static Sent sent[64];
static int	nsent;

/* An EmitFn keeping what was sent in sent[]. */
static bool
collect(void *arg, const OutMessage *m)
{
	Sent	   *s = &sent[nsent++];

	snprintf(s->topic, sizeof(s->topic), "%s", m->topic);
	snprintf(s->key, sizeof(s->key), "%.*s", (int) m->key_len, m->key ? m->key : "null");
	snprintf(s->value, sizeof(s->value), "%.*s", (int) m->value_len, m->value ? m->value : "");
	s->tombstone = m->value == NULL;
	return true;
}

/* Feed one record. */
static bool
feed(Renderer *r, const Rec *rec)
{
	return renderer_feed(r, rec->d, rec->n, 0x4000, collect, NULL);
}

/* A configuration close to the defaults: payloads without schemas. */
static Config
test_config(void)
{
	Config		cfg = {0};

	cfg.topic_prefix = "t";
	cfg.topic_delimiter = ".";
	cfg.topic_transaction = "transaction";
	cfg.debezium_version = "3.1.3.Final";
	cfg.layout = DBZ_3_1;
	cfg.tombstones = true;
	cfg.decimal_mode = DECIMAL_PRECISE;
	return cfg;
}

/* ---------- after a failed feed ---------- */

static bool meta_ok = true;

/* A MetaFn that fails while meta_ok is false. */
static bool
test_meta(void *arg, uint32_t relid, int ncols, const char *const *names, ColumnMeta *out,
		  char *err, size_t errlen)
{
	if (!meta_ok)
	{
		snprintf(err, errlen, "catalog unreachable");
		return false;
	}
	memset(out, 0, sizeof(ColumnMeta) * (size_t) ncols);
	return true;
}

/* A failed change leaves nothing behind, and the renderer feeds on. */
static void
test_failed_feed(bool txmeta)
{
	Config		cfg = test_config();
	Renderer   *r;
	RenderFailure f;
	Rec			rec;
	const ColDef cols[] = {{CDC_COL_PKEY | CDC_COL_NOTNULL, "id", INT4OID, -1},
	{0, "n", NUMERICOID, ((10 << 16) | 2) + 4}};
	const char *mode = txmeta ? "with transaction metadata" : "plain";

	cfg.tx_metadata = txmeta;
	r = renderer_new(&cfg, "db", test_meta, NULL, topic_claims_new());
	nsent = 0;
	begin_txn(&rec, 700);
	feed(r, &rec);
	relation_rec(&rec, 16384, "public", "t1", cols, 2);
	check(feed(r, &rec), "%s: RELATION applied", mode);

	begin_rec(&rec, CDC_INSERT);
	put_u32(&rec, 16384);
	put_u8(&rec, CDC_TUPLE_NEW);
	put_varint(&rec, 2);
	val_int(&rec, 1);
	val_numeric(&rec, true);
	check(!feed(r, &rec), "%s: an INSERT of NaN into numeric(10,2) fails", mode);
	check(strstr(renderer_error(r), "NaN") != NULL, "%s: the error says why: %s", mode,
		  renderer_error(r));
	renderer_failure(r, &f);
	check(f.table && strcmp(f.table, "public.t1") == 0, "%s: the failure names the table", mode);
	check(f.topic && strcmp(f.topic, "t.public.t1") == 0, "%s: and the topic", mode);
	check(f.key && f.key_len == strlen("{\"id\":1}") && memcmp(f.key, "{\"id\":1}", f.key_len) == 0,
		  "%s: and the key", mode);
	check(nsent == 0, "%s: nothing was sent, not even BEGIN (%d messages)", mode,
		  nsent);

	/* the next change goes through as if the failed one was skipped */
	begin_rec(&rec, CDC_INSERT);
	put_u32(&rec, 16384);
	put_u8(&rec, CDC_TUPLE_NEW);
	put_varint(&rec, 2);
	val_int(&rec, 2);
	val_numeric(&rec, false);
	check(feed(r, &rec), "%s: the next INSERT is rendered", mode);
	check(nsent >= 1 && strcmp(sent[nsent - 1].key, "{\"id\":2}") == 0, "%s: under its key", mode);
	if (txmeta)
		check(strstr(sent[nsent - 1].value, "\"total_order\":1,\"data_collection_order\":1") != NULL,
			  "%s: and counted as the first event", mode);

	/* an update that changes the key to a row that cannot be written */
	begin_rec(&rec, CDC_UPDATE);
	put_u32(&rec, 16384);
	put_u8(&rec, CDC_TUPLE_KEY);
	put_varint(&rec, 2);
	val_int(&rec, 2);
	put_u8(&rec, CDC_VAL_NULL);
	put_u8(&rec, CDC_TUPLE_NEW);
	put_varint(&rec, 2);
	val_int(&rec, 3);
	val_numeric(&rec, true);
	{
		int			before = nsent;

		check(!feed(r, &rec), "%s: a key change to a NaN row fails", mode);
		check(nsent == before, "%s: before its delete is sent", mode);
		renderer_failure(r, &f);
		check(f.key && memcmp(f.key, "{\"id\":3}", f.key_len) == 0, "%s: the failure has the new key",
			  mode);
	}

	commit_txn(&rec);
	check(feed(r, &rec), "%s: COMMIT", mode);
	if (txmeta)
		check(strstr(sent[nsent - 1].value, "\"status\":\"END\"") &&
			  strstr(sent[nsent - 1].value, "\"event_count\":1,\"data_collections\""),
			  "%s: END counts only the change that was sent", mode);

	/* a RELATION whose catalog lookup fails drops the relation's old definition */
	begin_txn(&rec, 701);
	feed(r, &rec);
	meta_ok = false;
	relation_rec(&rec, 16384, "public", "t1", cols, 1);
	check(!feed(r, &rec), "a RELATION fails when the catalog cannot be read");
	renderer_failure(r, &f);
	check(f.table && strcmp(f.table, "public.t1") == 0, "the failure names its table");
	begin_rec(&rec, CDC_INSERT);
	put_u32(&rec, 16384);
	put_u8(&rec, CDC_TUPLE_NEW);
	put_varint(&rec, 1);
	val_int(&rec, 4);
	check(!feed(r, &rec) && strstr(renderer_error(r), "no RELATION record"),
		  "its changes fail instead of using the old definition");
	meta_ok = true;
	relation_rec(&rec, 16384, "public", "t1", cols, 1);
	check(feed(r, &rec), "the RELATION applies once the catalog answers");
	begin_rec(&rec, CDC_INSERT);
	put_u32(&rec, 16384);
	put_u8(&rec, CDC_TUPLE_NEW);
	put_varint(&rec, 1);
	val_int(&rec, 4);
	check(feed(r, &rec), "and its changes are rendered again");
	renderer_free(r);
}

/* ---------- the JSON string writer ---------- */

/* json_str(in) equals expected, and counts not_utf8 bytes as escaped. */
static void
check_str(const char *in, size_t len, const char *expected, uint64_t not_utf8, const char *what)
{
	Buf			b = {0};
	uint64_t	before = json_invalid_utf8;

	json_str(&b, in, len);
	check(b.len == strlen(expected) && memcmp(b.data, expected, b.len) == 0 &&
		  json_invalid_utf8 - before == not_utf8, "json_str: %s: %s", what, b.data);
	buf_free(&b);
}

/* Escaping, valid UTF-8, and every kind of invalid UTF-8. */
static void
test_json_writer(void)
{
	check_str("plain ascii", 11, "\"plain ascii\"", 0, "ASCII as is");
	check_str("q\" b\\ /\x7f", 8, "\"q\\\" b\\\\ /\x7f\"", 0,
			  "quote and backslash escaped, / and DEL not");
	check_str("\b\t\n\f\r\x01\x1f", 7, "\"\\b\\t\\n\\f\\r\\u0001\\u001F\"", 0, "controls");
	check_str("\0x", 2, "\"\\u0000x\"", 0, "NUL");
	check_str("caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80", 14,
			  "\"caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80\"", 0, "valid UTF-8 as is");
	check_str("caf\xe9", 4, "\"caf\\uDCE9\"", 1, "a Latin-1 byte is \\uDCE9");
	check_str("\xe9t\xe9", 3, "\"\\uDCE9t\\uDCE9\"", 2, "each bad byte on its own");
	check_str("\xc3", 1, "\"\\uDCC3\"", 1, "a sequence cut short at the end");
	check_str("\xc3x", 2, "\"\\uDCC3x\"", 1, "a sequence cut short by ASCII");
	check_str("\xe2\x98", 2, "\"\\uDCE2\\uDC98\"", 2, "a 3-byte sequence cut short");
	check_str("\x80\xbf", 2, "\"\\uDC80\\uDCBF\"", 2, "stray continuation bytes");
	check_str("\xc0\xaf", 2, "\"\\uDCC0\\uDCAF\"", 2, "an overlong '/'");
	check_str("\xe0\x80\xaf", 3, "\"\\uDCE0\\uDC80\\uDCAF\"", 3, "an overlong 3-byte form");
	check_str("\xed\xa0\x80", 3, "\"\\uDCED\\uDCA0\\uDC80\"", 3, "an encoded surrogate");
	check_str("\xf4\x90\x80\x80", 4, "\"\\uDCF4\\uDC90\\uDC80\\uDC80\"", 4, "above U+10FFFF");
	check_str("\xf5\xff\xfe", 3, "\"\\uDCF5\\uDCFF\\uDCFE\"", 3, "bytes never in UTF-8");
	check_str("\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7, "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", 0,
			  "U+FFFF and U+10FFFF are fine");
	{
		Buf			b = {0};

		buf_puts(&b, "[");
		json_escape(&b, "a\xff", 2);
		check(strcmp(b.data, "[a\\uDCFF") == 0, "json_escape appends without quotes: %s", b.data);
		buf_free(&b);
	}
}

/* ---------- text that is not UTF-8 ---------- */

static void
test_not_utf8(void)
{
	Config		cfg = test_config();
	Renderer   *r;
	Rec			rec;
	const ColDef cols[] = {{CDC_COL_PKEY | CDC_COL_NOTNULL, "id", INT4OID, -1},
	{0, "na\xefve", TEXTOID, -1}};

	r = renderer_new(&cfg, "db", NULL, NULL, topic_claims_new());
	nsent = 0;
	buf_reset(&logged);
	begin_txn(&rec, 900);
	feed(r, &rec);
	relation_rec(&rec, 5, "public", "caf\xe9", cols, 2);
	check(feed(r, &rec), "not UTF-8: the RELATION applies");
	check(log_count("WARN table public.caf\\uDCE9 has names or defaults that are not "
					"valid UTF-8") == 1,
		  "not UTF-8: the table's names are logged once");
	for (int i = 1; i <= 2; i++)
	{
		begin_rec(&rec, CDC_INSERT);
		put_u32(&rec, 5);
		put_u8(&rec, CDC_TUPLE_NEW);
		put_varint(&rec, 2);
		val_int(&rec, i);
		val_text(&rec, "caf\xe9 caf\xc3\xa9");
		check(feed(r, &rec), "not UTF-8: INSERT %d", i);
	}
	check(nsent == 2 && strcmp(sent[0].topic, "t.public.caf_") == 0,
		  "not UTF-8: a bad byte is one '_' in the topic: %s", sent[0].topic);
	check(strstr(sent[1].value,
				 "\"after\":{\"id\":2,\"na\\uDCEFve\":\"caf\\uDCE9 caf\xc3\xa9\"}") != NULL,
		  "not UTF-8: names and values escaped, valid UTF-8 as is");
	check(strstr(sent[1].value, "\"table\":\"caf\\uDCE9\"") != NULL, "not UTF-8: the source's table");
	check(log_count("WARN column public.caf\\uDCE9.na\\uDCEFve holds text that is not "
					"valid UTF-8") == 1,
		  "not UTF-8: logged once for the column");
	renderer_free(r);
}

/* ---------- topics ---------- */

static void
test_topic_names(void)
{
	Config		cfg = test_config();
	Config		bare = {0};
	char	   *a = render_topic_name(&cfg, "a.b", "c");
	char	   *b = render_topic_name(&cfg, "a", "b.c");
	char	   *c = render_topic_name(&cfg, "public", "ord\xc3\xa9rs");
	char	   *d = render_topic_name(&cfg, "public", "ord_rs");
	char	   *e = render_topic_name(&cfg, "public", "x\xf0\x9f\x98\x80y z");
	char	   *f = render_topic_name(&bare, "s", "t");

	check(strcmp(a, "t.a.b.c") == 0 && strcmp(a, b) == 0,
		  "\"a.b\".c and a.\"b.c\" map to one topic: %s", a);
	check(strcmp(c, "t.public.ord_rs") == 0 && strcmp(c, d) == 0,
		  "ordérs and ord_rs map to one topic: %s", c);
	check(strcmp(e, "t.public.x__y_z") == 0, "a character outside the BMP is two '_': %s", e);
	check(strcmp(f, ".s.t") == 0, "no prefix, default delimiter: %s", f);
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	free(f);
}

/* An INSERT of one int column. */
static void
insert_int(Rec *rec, uint32_t relid, int64_t id)
{
	begin_rec(rec, CDC_INSERT);
	put_u32(rec, relid);
	put_u8(rec, CDC_TUPLE_NEW);
	put_varint(rec, 1);
	val_int(rec, id);
}

/* Two tables never share a topic; renames follow the new name. */
static void
test_topic_collisions(void)
{
	Config		cfg = test_config();
	Renderer   *r;
	RenderFailure f;
	Rec			rec;
	const ColDef cols[] = {{CDC_COL_PKEY | CDC_COL_NOTNULL, "id", INT4OID, -1}};
	const char *expected = "table \"a\".\"b.c\" maps to topic t.a.b.c, which already carries "
		"table \"a.b\".\"c\"; rename one of them or exclude one with table.exclude.list";

	cfg.tx_metadata = true;
	cfg.topic_transaction = "public.tx";
	r = renderer_new(&cfg, "db", NULL, NULL, topic_claims_new());
	nsent = 0;
	buf_reset(&logged);
	begin_txn(&rec, 800);
	feed(r, &rec);
	relation_rec(&rec, 1, "a.b", "c", cols, 1);
	check(feed(r, &rec), "collision: the first table's RELATION");
	relation_rec(&rec, 2, "a", "b.c", cols, 1);
	check(feed(r, &rec), "collision: the second table's RELATION does not fail");
	insert_int(&rec, 1, 1);
	check(feed(r, &rec) && nsent == 2 && strcmp(sent[1].topic, "t.a.b.c") == 0,
		  "collision: the first table's change goes to t.a.b.c");
	insert_int(&rec, 2, 2);
	check(!feed(r, &rec), "collision: the second table's change fails");
	check(strcmp(renderer_error(r), expected) == 0, "collision: naming both tables and the topic: %s",
		  renderer_error(r));
	renderer_failure(r, &f);
	check(f.table && strcmp(f.table, "a.b.c") == 0 && f.topic && strcmp(f.topic, "t.a.b.c") == 0 &&
		  f.key && memcmp(f.key, "{\"id\":2}", f.key_len) == 0,
		  "collision: the failure has the table, the topic and the key");
	check(nsent == 2, "collision: nothing of it was sent");
	begin_rec(&rec, CDC_TRUNCATE);
	put_u8(&rec, 0);
	put_varint(&rec, 2);
	put_u32(&rec, 1);
	put_u32(&rec, 2);
	check(!feed(r, &rec) && nsent == 2, "collision: a TRUNCATE of both fails, sending nothing");
	insert_int(&rec, 1, 3);
	check(feed(r, &rec) && nsent == 3, "collision: the first table carries on");

	/* the transaction topic is taken too */
	relation_rec(&rec, 3, "public", "tx", cols, 1);
	feed(r, &rec);
	insert_int(&rec, 3, 1);
	check(!feed(r, &rec) &&
		  strstr(renderer_error(r), "already carries the transaction metadata events"),
		  "a table mapping to the transaction topic fails: %s", renderer_error(r));

	/* a rename: logged once, and the new name's topic is used */
	relation_rec(&rec, 1, "a.b", "c2", cols, 1);
	check(feed(r, &rec), "rename: the RELATION under the new name");
	check(log_count("INFO table \"a.b\".\"c\" was renamed to \"a.b\".\"c2\"; its changes now go to "
					"topic t.a.b.c2") == 1, "rename: logged");
	feed(r, &rec);
	check(log_count("was renamed") == 1, "rename: once, not again for a resent RELATION");
	insert_int(&rec, 1, 4);
	check(feed(r, &rec) && strcmp(sent[nsent - 1].topic, "t.a.b.c2") == 0,
		  "rename: changes go to the new topic");
	/* the old topic stays with the old name: a new table of that name may use it */
	relation_rec(&rec, 4, "a.b", "c", cols, 1);
	feed(r, &rec);
	insert_int(&rec, 4, 1);
	check(feed(r, &rec) && strcmp(sent[nsent - 1].topic, "t.a.b.c") == 0,
		  "a new table with the old name gets the old topic");
	/* but the other table still does not */
	insert_int(&rec, 2, 5);
	check(!feed(r, &rec), "collision: the second table still fails");
	renderer_free(r);
}

int
main(void)
{
	test_failed_feed(false);
	test_failed_feed(true);
	test_topic_names();
	test_topic_collisions();
	test_json_writer();
	test_not_utf8();
	printf("%d checks failed\n", failures);
	return failures ? 1 : 0;
}
