/*
 * parser - one log line in, at most one event out.
 *
 * DESCRIPTION
 *	Two halves.  parser_scan, for every line: header_program (up to
 *	the program name), then dispatch_take (a hash lookup on the name;
 *	most lines stop there; then the rest of the header and the
 *	recognisers' skim of the message).  parser_event, for what is
 *	left: the timestamp, then the recognisers.  parser_line is both in
 *	a row; a replay runs the first half in a thread of its own.
 *	Nothing is allocated per line.
 *
 * SECURITY
 *	Lines are attacker-influenced; they are only read through the
 *	header splitter and the recognisers, and escaped in warnings.
 *
 * DIAGNOSTICS
 *	Rate-limited warnings for lines without a header, with an
 *	unreadable time, or over the length limit.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "parser.h"

void
parser_init(struct parser *pr, struct dispatch *d, int64_t ref)
{
	memset(pr, 0, sizeof(*pr));
	pr->dispatch = d;
	pr->scratch = xcalloc(dispatch_handlers(d), sizeof(*pr->scratch));
	tsctx_init(&pr->ts, ref);
	pr->rl_header =
	    (struct msg_rate)MSG_RATE_INIT("unparsable-line", 5, 3600);
	pr->rl_time = (struct msg_rate)MSG_RATE_INIT("bad-time", 5, 3600);
	pr->rl_long = (struct msg_rate)MSG_RATE_INIT("long-line", 5, 3600);
}

void
parser_free(struct parser *pr)
{
	free(pr->scratch);
	pr->scratch = NULL;
}

void
parser_set_dispatch(struct parser *pr, struct dispatch *d)
{
	free(pr->scratch);
	pr->dispatch = d;
	pr->scratch = xcalloc(dispatch_handlers(d), sizeof(*pr->scratch));
}

void
parser_set_ref(struct parser *pr, int64_t ref)
{
	pr->ts.ref = ref;
}

/* count_recog - events per recogniser, for summaries */
static void
count_recog(struct parser_stats *st, const char *name)
{
	for (int i = 0; i < PARSER_MAX_RECOGS; i++) {
		if (st->recog[i] == name || st->recog[i] == NULL) {
			st->recog[i] = name;
			st->recog_events[i]++;
			return;
		}
	}
}

void
parser_reject(struct parser *pr, const char *p, size_t n, const char *where,
    uint64_t lineno)
{
	if (p == NULL) {
		pr->st.oversized++;
		msg_warn_rate(&pr->rl_long,
		    "%s line %llu: line of %zu bytes or more skipped (too "
		    "long)",
		    where, (unsigned long long)lineno, n);
		return;
	}
	pr->st.unparsable++;
	msg_warn_rate(&pr->rl_header,
	    "%s line %llu: not a log line with a known header: \"%s\"", where,
	    (unsigned long long)lineno, esc((struct span){p, n < 80 ? n : 80}));
}

enum parser_scan
parser_scan(struct dispatch *d, const char *p, size_t n, uint16_t *scratch,
    struct logline *ll, struct dispatch_sel *sel)
{
	bool bad;

	if (!header_program(ll, p, n))
		return PARSER_NO_HEADER;
	/* the common cases: a program no recogniser reads; a line of no
	 * interest to its program's recognisers (Postfix's "connect from") */
	if (dispatch_take(d, ll, scratch, sel, &bad))
		return PARSER_CANDIDATE;
	return bad ? PARSER_NO_HEADER : PARSER_SKIP;
}

bool
parser_event(struct parser *pr, const struct logline *ll,
    const struct dispatch_sel *sel, const char *where, uint64_t lineno,
    struct event *ev)
{
	struct logline timed = *ll;
	/* the time first: recognisers that pair two lines (a connection,
	 * then its login) must know how old the first one is */
	bool timely = header_time(&pr->ts, &timed);

	if (!dispatch_match(pr->dispatch, sel, &timed, ev))
		return false;
	if (!timely) {
		pr->st.badtime++;
		msg_warn_rate(&pr->rl_time,
		    "%s line %llu: unreadable time \"%s\"; line skipped", where,
		    (unsigned long long)lineno, esc(ll->ts));
		return false;
	}
	ev->time = timed.time;
	if ((unsigned)ev->kind < EVENT__COUNT)
		pr->st.events[ev->kind]++;
	count_recog(&pr->st, ev->recog);
	return true;
}

bool
parser_line(struct parser *pr, const char *p, size_t n,
    const struct logline *pre, const char *where, uint64_t lineno,
    struct event *ev, struct logline *ll)
{
	struct logline local;
	struct dispatch_sel sel;

	if (ll == NULL)
		ll = &local;
	pr->st.lines++;
	if (p == NULL) {
		memset(ll, 0, sizeof(*ll));
		parser_reject(pr, NULL, n, where, lineno);
		return false;
	}
	if (pre != NULL) {
		*ll = *pre;
		if (!dispatch_select(pr->dispatch, ll->prog, pr->scratch, &sel))
			return false;
	} else {
		switch (
		    parser_scan(pr->dispatch, p, n, pr->scratch, ll, &sel)) {
		case PARSER_NO_HEADER:
			ll->line.p = NULL;
			parser_reject(pr, p, n, where, lineno);
			return false;
		case PARSER_SKIP:
			return false;
		case PARSER_CANDIDATE:
			break;
		}
	}
	if (!parser_event(pr, ll, &sel, where, lineno, ev))
		return false;
	ll->time = ev->time;
	ll->has_time = true;
	return true;
}

bool
parser_line_time(struct parser *pr, const char *p, size_t n, int64_t *t)
{
	struct logline ll;

	if (!header_split(&ll, p, n) || !header_time(&pr->ts, &ll))
		return false;
	*t = ll.time;
	return true;
}
