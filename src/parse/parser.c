/*
 * parser - one log line in, at most one event out.
 *
 * DESCRIPTION
 *	header_program (cheap), then dispatch_wants (a hash lookup on the
 *	program name; most lines stop here), then the rest of the header and
 *	dispatch_line, then for the few events the timestamp.  Nothing is allocated per line.
 *
 * SECURITY
 *	Lines are attacker-influenced; they are only read through the
 *	header splitter and the recognisers, and escaped in warnings.
 *
 * DIAGNOSTICS
 *	Rate-limited warnings for lines without a header, with an
 *	unreadable time, or over the length limit.
 */
#include <string.h>

#include "parser.h"

void
parser_init(struct parser *pr, struct dispatch *d, int64_t ref)
{
	memset(pr, 0, sizeof(*pr));
	pr->dispatch = d;
	tsctx_init(&pr->ts, ref);
	pr->rl_header =
	    (struct msg_rate)MSG_RATE_INIT("unparsable-line", 5, 3600);
	pr->rl_time = (struct msg_rate)MSG_RATE_INIT("bad-time", 5, 3600);
	pr->rl_long = (struct msg_rate)MSG_RATE_INIT("long-line", 5, 3600);
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

/* unparsable - count and report a line without a log header */
static bool
unparsable(struct parser *pr, const char *p, size_t n, const char *where,
    uint64_t lineno, struct logline *ll)
{
	pr->st.unparsable++;
	msg_warn_rate(&pr->rl_header,
	    "%s line %llu: not a log line with a known header: \"%s\"", where,
	    (unsigned long long)lineno, esc((struct span){p, n < 80 ? n : 80}));
	ll->line.p = NULL;
	return false;
}

bool
parser_line(struct parser *pr, const char *p, size_t n,
    const struct logline *pre, const char *where, uint64_t lineno,
    struct event *ev, struct logline *ll)
{
	struct logline local;

	if (ll == NULL)
		ll = &local;
	pr->st.lines++;
	if (p == NULL) {
		pr->st.oversized++;
		memset(ll, 0, sizeof(*ll));
		msg_warn_rate(&pr->rl_long,
		    "%s line %llu: line of %zu bytes or more skipped (too "
		    "long)",
		    where, (unsigned long long)lineno, n);
		return false;
	}
	if (pre != NULL) {
		*ll = *pre;
	} else if (!header_program(ll, p, n)) {
		return unparsable(pr, p, n, where, lineno, ll);
	} else if (!dispatch_wants(pr->dispatch, ll->prog)) {
		/* the common case: a program no recogniser reads */
		return false;
	} else if (!header_finish(ll)) {
		return unparsable(pr, p, n, where, lineno, ll);
	}
	/* dispatch_line zeroes *ev for the lines it looks at */
	if (!dispatch_line(pr->dispatch, ll, ev))
		return false;
	if (!header_time(&pr->ts, ll)) {
		pr->st.badtime++;
		msg_warn_rate(&pr->rl_time,
		    "%s line %llu: unreadable time \"%s\"; line skipped", where,
		    (unsigned long long)lineno, esc(ll->ts));
		return false;
	}
	ev->time = ll->time;
	if ((unsigned)ev->kind < EVENT__COUNT)
		pr->st.events[ev->kind]++;
	count_recog(&pr->st, ev->recog);
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
