/*
 * timefmt - epoch seconds as text for our log and for the command line.
 */
#include <time.h>

#include "timefmt.h"

const char *
time_fmt(int64_t t, char buf[TIMEFMT_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, TIMEFMT_LEN, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		buf[0] = 0;
	return buf;
}

const char *
time_str(int64_t t)
{
	static char bufs[8][TIMEFMT_LEN];
	static unsigned n;

	return time_fmt(t, bufs[n++ % 8]);
}
