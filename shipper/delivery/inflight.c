/*
 * inflight.c
 *		Transactions whose messages are in flight, and the LSN that may be
 *		confirmed to PostgreSQL.
 *
 * Each transaction is tracked until every one of its messages is
 * acknowledged; the confirmed LSN only ever moves over a prefix of fully
 * acknowledged transactions (invariant 2).  When nothing is in flight, the
 * server's WAL end is confirmed instead, so a database whose changes are
 * all filtered out does not retain WAL.
 */
#include "delivery/delivery.h"

/* Append a transaction to the list. */
static Txn *
append(Inflight *f)
{
	Txn		   *t = xcalloc(1, sizeof(Txn));

	if (f->tail)
		f->tail->next = t;
	else
		f->head = t;
	f->tail = t;
	return t;
}

/* A BEGIN: the open transaction until its COMMIT. */
Txn *
inflight_begin(Inflight *f, uint64_t final_lsn)
{
	f->open = append(f);
	f->open->final_lsn = final_lsn;
	return f->open;
}

/* The open transaction's COMMIT: confirmable up to end_lsn once acknowledged. */
void
inflight_commit(Inflight *f, uint64_t end_lsn)
{
	f->open->end_lsn = end_lsn;
	f->open->committed = true;
	f->open = NULL;
}

/*
 * Something outside a transaction (a non-transactional message, a RELATION
 * between transactions, a record of the shipper's own): confirmable up to
 * lsn (0: nothing) once its messages are acknowledged.
 */
Txn *
inflight_settled(Inflight *f, uint64_t lsn)
{
	Txn		   *t = append(f);

	t->committed = true;
	t->final_lsn = t->end_lsn = lsn;
	return t;
}

/* A delivery report; a failure is recorded by the sink, which ends the session. */
void
inflight_ack(void *opaque, const char *error)
{
	Txn		   *t = opaque;

	if (error == NULL)
		t->pending--;
}

/*
 * Move the confirmable LSN over fully acknowledged transactions.  A
 * transaction something failed in is never passed: the session ends, and
 * the slot sends it again.
 */
void
inflight_advance(Inflight *f)
{
	while (f->head && f->head->committed && f->head->pending == 0 && !f->head->failed)
	{
		Txn		   *t = f->head;

		if (t->end_lsn > f->confirmed)
			f->confirmed = t->end_lsn;
		if (t->record_lsn > f->recorded)
			f->recorded = t->record_lsn;
		f->head = t->next;
		if (f->head == NULL)
			f->tail = NULL;
		free(t);
	}
	/* nothing in flight: what the server has read is settled too */
	if (f->head == NULL && f->open == NULL && f->server_end > f->confirmed)
		f->confirmed = f->server_end;
}

/* Messages handed to the sink and not acknowledged. */
long
inflight_unacked(const Inflight *f)
{
	long		n = 0;

	for (const Txn *t = f->head; t; t = t->next)
		n += t->pending;
	return n;
}

/*
 * Changes sent and not confirmed, acknowledged or not: what the slot sends
 * again after this session (the shipper's own records are not counted).
 */
long
inflight_unconfirmed(const Inflight *f)
{
	long		n = 0;

	for (const Txn *t = f->head; t; t = t->next)
		if (t->final_lsn != 0)
			n += t->sent;
	return n;
}

/* Forget everything in flight (the session ended; the slot resends it). */
void
inflight_reset(Inflight *f)
{
	while (f->head)
	{
		Txn		   *t = f->head;

		f->head = t->next;
		free(t);
	}
	f->tail = f->open = NULL;
	/* the server's WAL end only counts while what came before it is tracked */
	f->server_end = 0;
}
