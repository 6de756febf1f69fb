/*
 * incremental_int.h
 *		What the two halves of incremental snapshots share: the queue and
 *		its record in Kafka (incremental_queue.c), and the windows that read
 *		it while streaming (incremental.c).
 */
#ifndef SHIPPER_INCREMENTAL_INT_H
#define SHIPPER_INCREMENTAL_INT_H

#include "session.h"

/* a table (or a key range of one) still to read */
typedef struct IncItem
{
	struct IncItem *next;
	char	   *table;			/* "schema"."table", quoted as SQL needs */
	char	   *filter;			/* an SQL condition on its rows, or NULL */
	int			nkey;			/* values in lo, hi, after */
	char	  **lo;				/* where it starts (>=), NULL: the start */
	char	  **hi;				/* where it stops (< or <=), NULL: see below */
	bool		hi_inclusive;
	char	  **after;			/* key values of the last row delivered, or NULL */
	bool		started;		/* hi is fixed: the largest key when it started */
	bool		range;			/* a range an initial snapshot left */
	char	   *range_name;		/* its HDR_RANGE, once asked (item_range_name) */
	uint64_t	rows;			/* delivered by this process, for the log */
	uint64_t	skipped;		/* read again, and Kafka had them (a range left) */
	int64_t		began;			/* mono ms of its first chunk here, 0: none yet */
} IncItem;

/* a queue state that the record may carry once the slot confirms lsn */
typedef struct Pending
{
	struct Pending *next;
	uint64_t	lsn;
	char	   *state;
} Pending;

/* a read held in the window */
typedef struct HeldRead
{
	Buf			key;
	Buf			value;
	bool		dropped;		/* a streamed change to its key came in the window */
} HeldRead;

enum
{
	WINDOW_NONE,				/* no chunk */
	WINDOW_OPEN					/* a chunk is held until its high watermark */
};

struct Incremental
{
	IncItem    *head;
	bool		paused;
	uint64_t	chunks;			/* for watermark ids */
	char	   *acked;			/* the queue as of the last LSN the slot confirmed */
	Pending    *pending;		/* later states, oldest first */
	Pending    *pending_tail;
	bool		record_due;		/* acked changed since the record was written */

	/* for one session */
	PGconn	   *conn;
	Renderer   *renderer;
	SnapTable	table;			/* the head item's table, described */
	Buf			relation;
	int			window;
	char		id[64];			/* the chunk's watermark id */
	char	   *topic;			/* its table's topic */
	HeldRead   *held;
	int			nheld,
				capheld;
	char	  **last;			/* key values of the chunk's last row */
	bool		ends_item;		/* the chunk is its item's last */
	SnapshotSource src;
	bool		cursor_open;	/* reading a table without a key */
};

/* incremental_queue.c */
extern void item_free(IncItem *it);
extern const char *item_range_name(IncItem *it);
extern void queue_append(Incremental *inc, IncItem *it);
extern void queue_load(Incremental *inc, const char *text);
extern void queue_changed(Incremental *inc, uint64_t lsn);

#endif							/* SHIPPER_INCREMENTAL_INT_H */
