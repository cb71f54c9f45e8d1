/*
 * parser - one log line in, at most one event out: header, dispatch by
 * program name, and (only for lines that became events) the timestamp.
 *
 * This is the per-line path shared by the daemon, replay and test.  It
 * counts what it sees and warns, rate-limited, about lines it cannot use.
 */
#ifndef POPAUTH_PARSER_H
#define POPAUTH_PARSER_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/msg.h"
#include "../policy/event.h"
#include "dispatch.h"
#include "header.h"

#define PARSER_MAX_RECOGS 32

struct parser_stats {
	uint64_t lines; /* every line, over-long ones included */
	uint64_t unparsable; /* no syslog/Dovecot header */
	uint64_t oversized; /* longer than the line limit */
	uint64_t badtime; /* would-be events with an unreadable time */
	uint64_t events[EVENT__COUNT];
	/* events per recogniser */
	const char *recog[PARSER_MAX_RECOGS];
	uint64_t recog_events[PARSER_MAX_RECOGS];
};

struct parser {
	struct dispatch *dispatch; /* not owned */
	uint16_t *scratch; /* for dispatch_select */
	struct tsctx ts;
	struct parser_stats st;
	struct msg_rate rl_header, rl_time, rl_long;
};

/* parser_init - ref: reference time for year inference (see header.h) */
void parser_init(struct parser *pr, struct dispatch *d, int64_t ref);
void parser_free(struct parser *pr);

/* parser_set_dispatch - use dispatcher d from now on (a reload) */
void parser_set_dispatch(struct parser *pr, struct dispatch *d);

/* parser_set_ref - move the reference time (live: now; replay: mtime) */
void parser_set_ref(struct parser *pr, int64_t ref);

/*
 * parser_line - one line as a source delivered it (see source.h: p == NULL
 * reports an over-long line; pre != NULL for journal records).  `where'
 * and `lineno' name the line in warnings.  Returns true with *ev filled
 * (ev->time set to the line's time).  If ll is not NULL it receives the
 * split header (ll->line.p == NULL when the line had none).
 */
bool parser_line(struct parser *pr, const char *p, size_t n,
    const struct logline *pre, const char *where, uint64_t lineno,
    struct event *ev, struct logline *ll);

/*
 * The two halves of parser_line, for a replay that runs the first in one
 * thread ahead of the second in another:
 *
 * parser_scan - the cheap half, for every line: the header up to the
 * program name, its handlers, the rest of the header, the handlers'
 * skim.  Touches only the dispatcher's remembered names (see
 * dispatch_select) and what it is given; no stats, no warnings.
 */
enum parser_scan {
	PARSER_SKIP, /* no recogniser reads it */
	PARSER_NO_HEADER, /* not a log line: parser_reject it */
	PARSER_CANDIDATE, /* parser_event it */
};
enum parser_scan parser_scan(struct dispatch *d, const char *p, size_t n,
    uint16_t *scratch, struct logline *ll, struct dispatch_sel *sel);

/* parser_event - the other half, for a PARSER_CANDIDATE: the recognisers,
 * then the time of an event.  Counts events (not lines). */
bool parser_event(struct parser *pr, const struct logline *ll,
    const struct dispatch_sel *sel, const char *where, uint64_t lineno,
    struct event *ev);

/* parser_reject - count and warn about a line without a header, or (p
 * NULL) one over the length limit */
void parser_reject(struct parser *pr, const char *p, size_t n,
    const char *where, uint64_t lineno);

/* parser_line_time - the time of a line (for the last line of a replay) */
bool parser_line_time(struct parser *pr, const char *p, size_t n, int64_t *t);

#endif
