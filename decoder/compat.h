/*
 * compat.h
 *		Everything that differs between the PostgreSQL major versions cellcdc
 *		builds against, in one place.
 *
 * cellcdc targets PostgreSQL 15 and later: varatt.h appeared in 16, and the
 * reorder buffer's tuple representation changed in 17.
 */
#ifndef CELLCDC_COMPAT_H
#define CELLCDC_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "cellcdc requires PostgreSQL 15 or later"
#endif

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "replication/reorderbuffer.h"

/* The tuple of a reorder-buffer change, or NULL. */
#if PG_VERSION_NUM >= 170000
#define CDC_CHANGE_TUPLE(t) (t)
#else
#define CDC_CHANGE_TUPLE(t) ((t) ? &(t)->tuple : NULL)
#endif

/* the server's byte order, for values copied as stored */
#ifdef WORDS_BIGENDIAN
#define CDC_NATIVE_ORDER CDC_BIG_ENDIAN
#else
#define CDC_NATIVE_ORDER CDC_LITTLE_ENDIAN
#endif

#endif							/* CELLCDC_COMPAT_H */
