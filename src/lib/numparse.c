/*
 * numparse - bounded parsing of numbers and durations.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"

bool
num_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	/* strtoll would skip any leading white space and take a '+' */
	if (!(isdigit((unsigned char)*s) ||
		(*s == '-' && isdigit((unsigned char)s[1]))))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
num_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (*s == 0 || *s == ' ' || *s == '\t')
		return false;
	for (const char *p = s; *p; p++)
		if (strchr("0123456789.-+eE", *p) == NULL)
			return false; /* no "nan", "inf", hex floats */
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

#define DUR_MAX (100LL * 366 * 86400)

bool
dur_parse(const char *s, int64_t *secs)
{
	int64_t total = 0;

	if (*s == 0)
		return false;
	while (*s) {
		int64_t v = 0, mult;
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			if (++digits > 12)
				return false;
			v = v * 10 + (*s++ - '0');
		}
		if (digits == 0)
			return false;
		switch (*s) {
		case 0:
			/* a bare number is seconds, but only at the end */
			mult = 1;
			break;
		case 's':
			mult = 1;
			s++;
			break;
		case 'm':
			mult = 60;
			s++;
			break;
		case 'h':
			mult = 3600;
			s++;
			break;
		case 'd':
			mult = 86400;
			s++;
			break;
		case 'w':
			mult = 7 * 86400;
			s++;
			break;
		default:
			return false;
		}
		total += v * mult;
		if (total > DUR_MAX)
			return false;
	}
	*secs = total;
	return true;
}

const char *
dur_fmt(int64_t secs, char *buf, size_t size)
{
	static const struct {
		uint64_t n;
		char u;
	} units[] = {{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}};
	size_t off = 0;
	bool lead = true;
	/* the magnitude in unsigned: -INT64_MIN does not fit an int64_t */
	uint64_t rest = secs < 0 ? -(uint64_t)secs : (uint64_t)secs;

	off += (size_t)snprintf(buf, size, "%s", secs < 0 ? "-" : "");
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t q = rest / units[i].n;

		rest %= units[i].n;
		if (q == 0 && lead)
			continue;
		lead = false;
		if (off < size)
			off += (size_t)snprintf(buf + off, size - off,
			    "%llu%c ", (unsigned long long)q, units[i].u);
	}
	if (off < size)
		snprintf(
		    buf + off, size - off, "%llus", (unsigned long long)rest);
	return buf;
}

const char *
dur_fmt_short(int64_t secs, char *buf, size_t size)
{
	if (secs != 0 && secs % 604800 == 0)
		snprintf(buf, size, "%lldw", (long long)(secs / 604800));
	else if (secs != 0 && secs % 86400 == 0)
		snprintf(buf, size, "%lldd", (long long)(secs / 86400));
	else if (secs != 0 && secs % 3600 == 0)
		snprintf(buf, size, "%lldh", (long long)(secs / 3600));
	else if (secs != 0 && secs % 60 == 0)
		snprintf(buf, size, "%lldm", (long long)(secs / 60));
	else
		snprintf(buf, size, "%llds", (long long)secs);
	return buf;
}
