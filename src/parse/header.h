/*
 * header - split a log line into timestamp, host, program, pid, message.
 *
 * Accepted forms:
 *	Nov 26 19:12:38 host prog[pid]: msg          RFC 3164 (day " 6" or "06")
 *	2026-11-26T19:12:38.123456+00:00 host prog[pid]: msg      RFC 3339
 *	2026-11-26 19:12:38 host prog[pid]: msg      (space, local time)
 *	Nov 26 19:12:38 pop3-login: Info: msg        Dovecot's own log (no host)
 *	<22>Nov 26 ...                               a leading syslog priority
 * The host may be any name (with '-' and '.'), the program any name
 * without blanks, with or without "[pid]".
 *
 * Splitting is cheap and does not parse the time: most lines are dropped
 * by program name before their time matters.  header_time() does that
 * later, for the lines that become events.
 */
#ifndef POPAUTH_HEADER_H
#define POPAUTH_HEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/sbuf.h"

enum ts_kind {
	TS_NONE = 0,
	TS_BSD, /* Mmm dd hh:mm:ss, local time, no year */
	TS_ISO, /* yyyy-mm-ddThh:mm:ss[.frac][Z|+hh:mm] */
	TS_EPOCH, /* already known (journal): logline.time is set */
};

struct logline {
	struct span line; /* the whole line, without the newline */
	struct span ts; /* timestamp text */
	enum ts_kind tskind;
	struct span host; /* empty for Dovecot's own log format */
	struct span prog; /* "postfix/smtpd", "dovecot", "pop3-login" */
	struct span pid; /* digits between [ ], may be empty */
	struct span msg; /* everything after "prog[pid]: " */
	int64_t time; /* epoch seconds once known */
	bool has_time;
};

/*
 * header_program - the first half of header_split, as cheap as possible:
 * line, ts, tskind, host and prog (pid and msg are left empty); false
 * when the line has no log header.  Most lines are dropped on ll->prog,
 * before anything else is looked at.
 */
bool header_program(struct logline *ll, const char *p, size_t n);

/* header_finish - the second half: pid and msg after ll->prog; false
 * when what follows the program name is not "[pid]:" or ":" */
bool header_finish(struct logline *ll);

/* header_split - fill ll from the line; false when it is not a log line */
bool header_split(struct logline *ll, const char *p, size_t n);

/*
 * Year inference for RFC 3164 stamps, which have none: the year is
 * chosen so that the time is not in the future of `ref' (more than
 * `slack' seconds).  ref is "now" for live input and the file's mtime for
 * a replay.
 */
struct tsctx {
	int64_t ref;
	int64_t slack;
	/* the reference's local year and month, for the ref they belong to */
	int64_t ref_seen;
	int ref_year, ref_mon;
	/* cache: local time of the start of one hour */
	int cache_key;
	int64_t cache_epoch;
};

void tsctx_init(struct tsctx *ctx, int64_t ref);

/* header_time - parse ll->ts into ll->time; false if it is no valid time */
bool header_time(struct tsctx *ctx, struct logline *ll);

/* ts_parse_text - parse a timestamp given on its own (for tests and the
 * "#@time" directive of scenario files); same rules as header_time */
bool ts_parse_text(struct tsctx *ctx, const char *s, size_t n, int64_t *out);

#endif
