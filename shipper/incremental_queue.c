/*
 * incremental_queue.c
 *		The queue of incremental snapshots (tables, or key ranges an
 *		initial snapshot left, each with the last key delivered) and what
 *		the slot's record in Kafka says of it.
 *
 * Every change to the queue is tied to an LSN: the record may carry the
 * new state once the slot has confirmed that LSN, so it never claims a
 * chunk Kafka does not have; a session that ends goes back to that state,
 * and reads again what was not confirmed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "incremental_int.h"

void
item_free(IncItem *it)
{
	free(it->table);
	free(it->filter);
	snap_keys_free(it->lo, it->nkey);
	snap_keys_free(it->hi, it->nkey);
	snap_keys_free(it->after, it->nkey);
	free(it->range_name);
	free(it);
}

static void
queue_clear(Incremental *inc)
{
	while (inc->head)
	{
		IncItem    *n = inc->head->next;

		item_free(inc->head);
		inc->head = n;
	}
}

void
queue_append(Incremental *inc, IncItem *it)
{
	IncItem   **p = &inc->head;

	while (*p)
		p = &(*p)->next;
	*p = it;
}

/* ---------- the queue as JSON, for the slot's record ---------- */

static json_t *
values_json(char **v, int n)
{
	json_t	   *a;

	if (v == NULL)
		return json_null();
	a = json_array();
	for (int k = 0; k < n; k++)
		json_array_append_new(a, json_string(v[k]));
	return a;
}

static char **
values_from(json_t *a, int *n)
{
	char	  **v;

	if (!json_is_array(a))
		return NULL;
	*n = (int) json_array_size(a);
	v = xmalloc((*n ? *n : 1) * sizeof(char *));
	for (int k = 0; k < *n; k++)
		v[k] = xstrdup(json_string_value(json_array_get(a, k)) ?
					   json_string_value(json_array_get(a, k)) : "");
	return v;
}

/*
 * A key range's name on its reads (HDR_RANGE): the table and where the
 * range starts, "table|[lo...]", the same from the initial snapshot's plan
 * and from a range it left in the queue.
 */
char *
range_name(const char *table, char **lo, int nkey)
{
	json_t	   *v = values_json(lo, nkey);
	char	   *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t		len = strlen(table) + strlen(text) + 2;
	char	   *name = xmalloc(len);

	snprintf(name, len, "%s|%s", table, text);
	free(text);
	json_decref(v);
	return name;
}

/* An initial snapshot's range left in the queue: its name, else NULL. */
const char *
item_range_name(IncItem *it)
{
	if (it->range && it->range_name == NULL)
		it->range_name = range_name(it->table, it->lo, it->nkey);
	return it->range_name;
}

/* The names of the initial snapshot's ranges queued (malloc'd array, *n of them). */
char	  **
incremental_range_names(Incremental *inc, int *n)
{
	char	  **names = xmalloc((incremental_count(inc) + 1) * sizeof(char *));

	*n = 0;
	for (IncItem *it = inc->head; it; it = it->next)
		if (it->range)
			names[(*n)++] = xstrdup(item_range_name(it));
	return names;
}

/* The queue: [{"table":..,"filter":..,"lo":[..],"hi":[..],...}, ...] */
static char *
queue_json(const Incremental *inc)
{
	json_t	   *a = json_array();
	char	   *text;

	for (IncItem *it = inc->head; it; it = it->next)
		json_array_append_new(a, json_pack("{s:s, s:s?, s:o, s:o, s:b, s:o, s:b, s:b}",
										   "table", it->table, "filter", it->filter,
										   "lo", values_json(it->lo, it->nkey),
										   "hi", values_json(it->hi, it->nkey),
										   "hi_inclusive", it->hi_inclusive,
										   "after", values_json(it->after, it->nkey),
										   "started", it->started, "range", it->range));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/*
 * The ranges of an initial snapshot not in Kafka yet (left[i] for range
 * i), as a queue for the record: read incrementally if it is interrupted.
 */
char *
incremental_ranges_json(const SnapPlan *plan, const bool *left)
{
	json_t	   *a = json_array();
	char	   *text;

	for (int i = 0; i < plan->nranges; i++)
	{
		const SnapRange *rg = &plan->ranges[i];
		const SnapTable *t = &plan->tables[rg->table];

		if (left[i])
			json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:b, s:b, s:b}", "table", t->name,
											   "lo", values_json(rg->lo, t->nkey),
											   "hi", values_json(rg->hi, t->nkey),
											   "hi_inclusive", false, "started", true,
											   "range", true));
	}
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/* Replace the queue with the one in text (a record's). */
void
queue_load(Incremental *inc, const char *text)
{
	json_t	   *a = text ? json_loads(text, 0, NULL) : NULL;
	size_t		i;
	json_t	   *o;

	queue_clear(inc);
	json_array_foreach(a, i, o)
	{
		IncItem    *it = xcalloc(1, sizeof(IncItem));
		const char *filter = json_string_value(json_object_get(o, "filter"));
		int			n = 0;

		it->table = xstrdup(json_string_value(json_object_get(o, "table")) ?
							json_string_value(json_object_get(o, "table")) : "");
		it->filter = filter ? xstrdup(filter) : NULL;
		it->lo = values_from(json_object_get(o, "lo"), &n);
		it->hi = values_from(json_object_get(o, "hi"), &n);
		it->after = values_from(json_object_get(o, "after"), &n);
		it->nkey = n;
		it->hi_inclusive = json_is_true(json_object_get(o, "hi_inclusive"));
		it->started = json_is_true(json_object_get(o, "started"));
		it->range = json_is_true(json_object_get(o, "range"));
		queue_append(inc, it);
	}
	json_decref(a);
}

/* The queue changed: the record may say so once the slot confirms lsn. */
void
queue_changed(Incremental *inc, uint64_t lsn)
{
	Pending    *p = xcalloc(1, sizeof(Pending));

	p->lsn = lsn;
	p->state = queue_json(inc);
	if (inc->pending_tail)
		inc->pending_tail->next = p;
	else
		inc->pending = p;
	inc->pending_tail = p;
}

Incremental *
incremental_new(void)
{
	Incremental *inc = xcalloc(1, sizeof(Incremental));

	inc->acked = xstrdup("[]");
	return inc;
}

/* Take the queue from the slot's record (NULL: none). */
void
incremental_restore(Incremental *inc, const char *state)
{
	free(inc->acked);
	inc->acked = xstrdup(state ? state : "[]");
	queue_load(inc, inc->acked);
}

/* The queue as the record may carry it: what the slot has confirmed. */
const char *
incremental_state(Incremental *inc, uint64_t confirmed)
{
	while (inc->pending && inc->pending->lsn <= confirmed)
	{
		Pending    *p = inc->pending;

		free(inc->acked);
		inc->acked = p->state;
		inc->pending = p->next;
		if (inc->pending == NULL)
			inc->pending_tail = NULL;
		free(p);
		inc->record_due = true;
	}
	return inc->acked;
}

/* Is there a queue state the slot has confirmed and no record has said? */
bool
incremental_record_due(Incremental *inc, uint64_t confirmed)
{
	(void) incremental_state(inc, confirmed);
	return inc->record_due;
}

void
incremental_recorded(Incremental *inc)
{
	inc->record_due = false;
}

/* How many tables or ranges are queued. */
int
incremental_count(const Incremental *inc)
{
	int			n = 0;

	for (const IncItem *it = inc->head; it; it = it->next)
		n++;
	return n;
}

/*
 * Queue a snapshot of a table (quoted), of the rows matching filter (or
 * all), unless the same is queued and not started; the record may say so
 * once the slot confirms lsn.
 */
void
incremental_queue(Shipper *sh, const char *quoted, const char *filter, uint64_t lsn)
{
	Incremental *inc = sh->inc;
	IncItem    *it;

	for (it = inc->head; it; it = it->next)
		if (strcmp(it->table, quoted) == 0 && !it->started && !it->range &&
			((it->filter == NULL && filter == NULL) ||
			 (it->filter && filter && strcmp(it->filter, filter) == 0)))
		{
			log_info("snapshot request for %s: already queued", quoted);
			return;
		}
	it = xcalloc(1, sizeof(IncItem));
	it->table = xstrdup(quoted);
	it->filter = filter ? xstrdup(filter) : NULL;
	queue_append(inc, it);
	log_info("incremental snapshot of %s requested%s%s", quoted,
			 filter ? " with filter " : "", filter ? filter : "");
	queue_changed(inc, lsn);
}

/*
 * Stop the snapshots of a table (quoted; NULL: all): the queued ones go,
 * the one in a window ends with it.  Returns how many were stopped.
 */
int
incremental_stop(Shipper *sh, const char *quoted, uint64_t lsn)
{
	Incremental *inc = sh->inc;
	IncItem   **p = &inc->head;
	int			stopped = 0;

	while (*p)
	{
		IncItem    *it = *p;

		if (quoted && strcmp(it->table, quoted) != 0)
			p = &it->next;
		else if (it == inc->head && inc->window != WINDOW_NONE)
		{
			inc->ends_item = true;	/* its open chunk is its last */
			stopped++;
			p = &it->next;
		}
		else
		{
			if (it == inc->head)
				snap_table_free(&inc->table);
			*p = it->next;
			item_free(it);
			stopped++;
		}
	}
	queue_changed(inc, lsn);
	return stopped;
}

/* Pause or resume the snapshots. */
void
incremental_pause(Incremental *inc, bool paused)
{
	inc->paused = paused;
}

/* Queue tables whose existing rows are to be read (newly captured ones). */
void
incremental_add_table(Shipper *sh, const char *quoted)
{
	IncItem    *it = xcalloc(1, sizeof(IncItem));

	it->table = xstrdup(quoted);
	queue_append(sh->inc, it);
	queue_changed(sh->inc, 0);
}
