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
	struct tsctx ts;
	struct parser_stats st;
	struct msg_rate rl_header, rl_time, rl_long;
};

/* parser_init - ref: reference time for year inference (see header.h) */
void parser_init(struct parser *pr, struct dispatch *d, int64_t ref);

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

/* parser_line_time - the time of a line (for the last line of a replay) */
bool parser_line_time(struct parser *pr, const char *p, size_t n, int64_t *t);

#endif
