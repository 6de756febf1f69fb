/*
 * datetime.c
 *		Dates, times, timestamps and intervals as Debezium writes them.
 *
 * Binary values only need their epoch moved (row.c); this file holds the
 * calendar arithmetic, the ZonedTimestamp and ZonedTime strings, and the
 * parsers for the text forms of the replication session (DateStyle=ISO,
 * IntervalStyle=postgres): column defaults, array elements, and the types
 * the decoder sends as text (timetz, interval).
 */
#include "render/render_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of a day number (days since 1970-01-01). */
void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* n as exactly w digits (n >= 0) */
char *
put_digits(char *o, int64_t n, int w)
{
	int			i;

	for (i = w - 1; i >= 0; i--)
	{
		o[i] = (char) ('0' + n % 10);
		n /= 10;
	}
	return o + w;
}

/* "-MM-DDTHH:MM:SS", what follows the year; secs is the time of day */
char *
put_month_to_second(char *o, int m, int d, int64_t secs)
{
	*o++ = '-';
	o = put_digits(o, m, 2);
	*o++ = '-';
	o = put_digits(o, d, 2);
	*o++ = 'T';
	o = put_digits(o, secs / 3600, 2);
	*o++ = ':';
	o = put_digits(o, secs / 60 % 60, 2);
	*o++ = ':';
	return put_digits(o, secs % 60, 2);
}

/*
 * ZonedTimestamp: UTC, 'Z', exactly frac fraction digits; years past 9999
 * with a '+', before year 0 with a '-', as java.time prints them.
 */
void
write_zoned_ts(Buf *b, int64_t unix_us, int frac)
{
	int64_t		days = floordiv(unix_us, US_PER_DAY);
	int64_t		tod = unix_us - days * US_PER_DAY;
	int64_t		y;
	int			m,
				d;
	char		tmp[64];
	char	   *o = tmp;
	int64_t		secs = tod / 1000000;
	int64_t		us = tod % 1000000;

	civil_from_days(days, &y, &m, &d);
	*o++ = '"';
	if (y > 9999)
		o += sprintf(o, "+%lld", (long long) y);
	else if (y < 0)
	{
		*o++ = '-';
		if (-y > 9999)
			o += sprintf(o, "%lld", (long long) -y);
		else
			o = put_digits(o, -y, 4);
	}
	else
		o = put_digits(o, y, 4);
	o = put_month_to_second(o, m, d, secs);
	if (frac > 0)
	{
		char		f[6];

		put_digits(f, us, 6);
		*o++ = '.';
		memcpy(o, f, (size_t) frac);
		o += frac;
	}
	*o++ = 'Z';
	*o++ = '"';
	buf_put(b, tmp, (size_t) (o - tmp));
}

/* ZonedTime: HH:MM:SS, then only the fraction digits needed, then Z. */
void
write_zoned_time(Buf *b, int64_t us_of_day)
{
	char		tmp[32];
	char	   *o = tmp;
	int64_t		secs = us_of_day / 1000000;
	int64_t		us = us_of_day % 1000000;

	*o++ = '"';
	o = put_digits(o, secs / 3600, 2);
	*o++ = ':';
	o = put_digits(o, secs / 60 % 60, 2);
	*o++ = ':';
	o = put_digits(o, secs % 60, 2);
	if (us != 0)
	{
		char		f[6];
		int			n = 6;

		put_digits(f, us, 6);
		while (f[n - 1] == '0')
			n--;
		*o++ = '.';
		memcpy(o, f, (size_t) n);
		o += n;
	}
	*o++ = 'Z';
	*o++ = '"';
	buf_put(b, tmp, (size_t) (o - tmp));
}

/* Read an unsigned decimal of at most maxd digits; false if none. */
static bool
cur_uint(Cur *c, int64_t *v, int maxd)
{
	int			n = 0;

	*v = 0;
	while (c->p < c->end && isdigit((unsigned char) *c->p) && n < maxd)
	{
		*v = *v * 10 + (*c->p++ - '0');
		n++;
	}
	return n > 0;
}

/* Fraction digits after a '.', as microseconds (more than 6 truncated). */
static int64_t
cur_fraction(Cur *c)
{
	int64_t		us = 0;
	int			n = 0;

	if (!cur_char(c, '.'))
		return 0;
	while (c->p < c->end && isdigit((unsigned char) *c->p))
	{
		if (n < 6)
			us = us * 10 + (*c->p - '0');
		n++;
		c->p++;
	}
	for (; n < 6; n++)
		us *= 10;
	return us;
}

/* HH:MM[:SS[.ffffff]] as microseconds */
bool
cur_time(Cur *c, int64_t *us)
{
	int64_t		h,
				mi,
				s = 0;

	if (!cur_uint(c, &h, 9) || !cur_char(c, ':') || !cur_uint(c, &mi, 2))
		return false;
	if (cur_char(c, ':') && !cur_uint(c, &s, 2))
		return false;
	*us = ((h * 60 + mi) * 60 + s) * 1000000 + cur_fraction(c);
	return true;
}

/* [+-]HH[:MM[:SS]] as seconds east of UTC */
static bool
cur_offset(Cur *c, int64_t *secs)
{
	int			sign;
	int64_t		h,
				m = 0,
				s = 0;

	if (cur_char(c, '+'))
		sign = 1;
	else if (cur_char(c, '-'))
		sign = -1;
	else
		return false;
	if (!cur_uint(c, &h, 2))
		return false;
	if (cur_char(c, ':'))
	{
		if (!cur_uint(c, &m, 2))
			return false;
		if (cur_char(c, ':') && !cur_uint(c, &s, 2))
			return false;
	}
	*secs = sign * (h * 3600 + m * 60 + s);
	return true;
}

/* YYYY-MM-DD as days since 1970 (" BC" looked for by the caller) */
static bool
cur_date(Cur *c, int64_t *days, int64_t *year, int *mon, int *day)
{
	int64_t		y,
				m,
				d;

	/* beyond year 290000 microseconds since 1970 no longer fit in 64 bits */
	if (!cur_uint(c, &y, 6) || y > 290000 || !cur_char(c, '-') || !cur_uint(c, &m, 2) ||
		!cur_char(c, '-') || !cur_uint(c, &d, 2) || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	*year = y;
	*mon = (int) m;
	*day = (int) d;
	*days = days_from_civil(y, (int) m, (int) d);
	return true;
}

/* " BC" at the end: recompute for year 1 - y */
static void
cur_bc(Cur *c, int64_t *days, int64_t year, int mon, int day)
{
	if (cur_word(c, " BC"))
		*days = days_from_civil(1 - year, mon, day);
}

/* A date's text: days since 1970, infinities as INT32 limits. */
bool
parse_date(const char *s, size_t len, int64_t *days)
{
	Cur			c = {s, s + len};
	int64_t		y;
	int			m,
				d;

	if (len == 8 && memcmp(s, "infinity", 8) == 0)
		*days = INT32_MAX;
	else if (len == 9 && memcmp(s, "-infinity", 9) == 0)
		*days = INT32_MIN;
	else
	{
		if (!cur_date(&c, days, &y, &m, &d))
			return false;
		cur_bc(&c, days, y, m, d);
		return c.p == c.end;
	}
	return true;
}

/*
 * A timestamp's text (with an offset when tz) as Unix microseconds.  A
 * bare date is midnight.  *inf is set to +1 or -1 for infinities.
 */
bool
parse_timestamp(const char *s, size_t len, bool tz, int64_t *us, int *inf)
{
	Cur			c = {s, s + len};
	int64_t		days,
				y,
				tod = 0,
				off = 0;
	int			m,
				d;

	*inf = 0;
	if (len == 8 && memcmp(s, "infinity", 8) == 0)
	{
		*inf = 1;
		return true;
	}
	if (len == 9 && memcmp(s, "-infinity", 9) == 0)
	{
		*inf = -1;
		return true;
	}
	if (!cur_date(&c, &days, &y, &m, &d))
		return false;
	if (cur_char(&c, ' ') || cur_char(&c, 'T'))
	{
		if (!cur_time(&c, &tod))
			return false;
		if (tz && c.p < c.end && (*c.p == '+' || *c.p == '-') && !cur_offset(&c, &off))
			return false;
		if (cur_char(&c, 'Z'))
			off = 0;
	}
	cur_bc(&c, &days, y, m, d);
	if (c.p != c.end)
		return false;
	*us = days * US_PER_DAY + tod - off * 1000000;
	return true;
}

/*
 * MicroDuration from interval text (IntervalStyle postgres):
 * "1 year 2 mons -3 days 04:05:06.78".  Computed as Debezium does, in
 * doubles, with 30.4375 days a month; pgjdbc gives the time part's sign
 * to each of hours, minutes and seconds.
 */
bool
parse_interval(const char *s, size_t len, int64_t *out)
{
	Cur			c = {s, s + len};
	int64_t		years = 0,
				months = 0,
				days = 0,
				hours = 0,
				minutes = 0;
	double		seconds = 0;
	double		ndays,
				nsecs,
				us;

	while (c.p < c.end)
	{
		int			sign = 1;
		const char *save;
		int64_t		v;

		while (cur_char(&c, ' '))
			;
		if (c.p >= c.end)
			break;
		if (cur_char(&c, '-'))
			sign = -1;
		else
			cur_char(&c, '+');
		save = c.p;
		if (!cur_uint(&c, &v, 12))
			return false;
		if (c.p < c.end && *c.p == ':')
		{
			int64_t		tus;

			c.p = save;
			if (!cur_time(&c, &tus))
				return false;
			hours = sign * (tus / 3600000000);
			minutes = sign * (tus / 60000000 % 60);
			seconds = sign * ((double) (tus / 1000000 % 60) + (double) (tus % 1000000) / 1e6);
			continue;
		}
		if (!cur_char(&c, ' '))
			return false;
		if (cur_word(&c, "year"))
			years += sign * v;
		else if (cur_word(&c, "mon"))
			months += sign * v;
		else if (cur_word(&c, "day"))
			days += sign * v;
		else if (cur_word(&c, "hour"))
			hours += sign * v;
		else if (cur_word(&c, "min"))
			minutes += sign * v;
		else if (cur_word(&c, "sec"))
			seconds += sign * (double) v;
		else
			return false;
		while (c.p < c.end && isalpha((unsigned char) *c.p))
			c.p++;
	}
	ndays = (double) (int32_t) (years * 12 + months) * 30.4375 + (double) days;
	nsecs = ((ndays * 24 + (double) hours) * 60 + (double) minutes) * 60 + seconds;
	us = nsecs * 1e6;
	/* Java's (long) cast saturates */
	if (isnan(us))
		*out = 0;
	else if (us >= 9223372036854775807.0)
		*out = INT64_MAX;
	else if (us <= -9223372036854775808.0)
		*out = INT64_MIN;
	else
		*out = (int64_t) us;
	return true;
}

/* timetz text ("11:51:30.1+02", "-05:30") as microseconds of day in UTC */
bool
parse_timetz(const char *s, size_t len, int64_t *us)
{
	Cur			c = {s, s + len};
	int64_t		tod,
				off = 0;

	if (!cur_time(&c, &tod))
		return false;
	if (c.p < c.end && !cur_offset(&c, &off))
		return false;
	if (c.p != c.end)
		return false;
	tod -= off * 1000000;
	tod %= US_PER_DAY;
	if (tod < 0)
		tod += US_PER_DAY;
	*us = tod;
	return true;
}

