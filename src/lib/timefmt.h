/*
 * timefmt - epoch seconds as text for our log and for the command line.
 */
#ifndef POPAUTH_TIMEFMT_H
#define POPAUTH_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_LEN 32

/* time_fmt - "2026-11-26 19:47:27" in local time */
const char *time_fmt(int64_t t, char buf[TIMEFMT_LEN]);

/* time_str - time_fmt into a rotating static buffer (for messages) */
const char *time_str(int64_t t);

#endif
