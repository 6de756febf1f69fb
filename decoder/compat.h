/*
 * compat.h
 *		Everything that differs between the PostgreSQL major versions cellcdc
 *		builds against, in one place.
 *
 * cellcdc targets PostgreSQL 15 and later.  The decoder reads a few parts of
 * the on-disk format directly (the numeric header, to avoid numeric_out) and
 * the reorder buffer's tuple representation, which changed in 17.
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

/*
 * The numeric on-disk header (utils/adt/numeric.c keeps these private).  The
 * first uint16 after the varlena header says which of three forms follows:
 * short (sign, display scale and weight packed in it), long (sign and display
 * scale, then an int16 weight) or special (NaN, +Infinity, -Infinity).  The
 * digits are int16 in base 10000, most significant first.
 */
#define CDC_NUMERIC_SIGN_MASK			0xC000
#define CDC_NUMERIC_NEG					0x4000
#define CDC_NUMERIC_SHORT				0x8000
#define CDC_NUMERIC_SPECIAL				0xC000
#define CDC_NUMERIC_EXT_MASK			0xF000
#define CDC_NUMERIC_NAN					0xC000
#define CDC_NUMERIC_PINF				0xD000
#define CDC_NUMERIC_DSCALE_MASK			0x3FFF
#define CDC_NUMERIC_SHORT_SIGN_MASK		0x2000
#define CDC_NUMERIC_SHORT_DSCALE_MASK	0x1F80
#define CDC_NUMERIC_SHORT_DSCALE_SHIFT	7
#define CDC_NUMERIC_SHORT_WEIGHT_SIGN	0x0040
#define CDC_NUMERIC_SHORT_WEIGHT_MASK	0x003F

#endif							/* CELLCDC_COMPAT_H */
