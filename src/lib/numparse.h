/*
 * numparse - bounded parsing of numbers and durations.
 *
 * Config values and state records are parsed only through these: no
 * unbounded strtol, no silent wrap-around, a clear "why" on failure.
 */
#ifndef POPAUTH_NUMPARSE_H
#define POPAUTH_NUMPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* num_parse_i64 - decimal integer in [min, max], whole string */
bool num_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* num_parse_double - finite decimal number in [min, max], whole string */
bool num_parse_double(const char *s, double min, double max, double *out);

/*
 * dur_parse - a duration with Postfix-style unit: "30" (seconds), "30s",
 * "30m", "1h", "90d", "1w", also combined ("1h30m").  Result in seconds,
 * in [0, 100 years].
 */
bool dur_parse(const char *s, int64_t *secs);

/* dur_fmt - "1w 2d 3h 4m 5s", leading zero units left out, seconds always
 * shown ("0s", "20m 0s") - the original's pretty_seconds style. */
const char *dur_fmt(int64_t secs, char *buf, size_t size);

/* dur_fmt_short - the shortest exact unit form: "30m", "1w", "90s" */
const char *dur_fmt_short(int64_t secs, char *buf, size_t size);

#endif
