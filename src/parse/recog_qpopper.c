/*
 * recog_qpopper - successful logins of Qpopper (popper, qpopper,
 * in.qpopper).
 *
 * DESCRIPTION
 *	  (v4.0.9) POP login by user "U" at (HOST) IP
 *	  (v4.0.9) POP login by user "U" at (HOST) IP [pop_log.c:244]
 *	      Qpopper 3/4 with LOG_LOGIN (pop_init.c: "(v%0) POP login by
 *	      user \"%1\" at (%2) %3"); the "[file.c:line]" tail appears on
 *	      builds that log source positions (public sample: forum
 *	      thread "Postfix & Gmail SMTP Relay Cert Issue", 2009:
 *	      "in.qpopper[7597]: (v4.0.9) POP login
 *	      by user "nick" at (yw-out-2526.google.com) 74.125.46.35
 *	      [pop_log.c:244]")
 *	  Stats: U D DB R RB HOST IP
 *	  Stats: U D DB R RB IP
 *	      qpopper -s (statistics at the end of a session that logged
 *	      in; pop-before-smtp's Qpopper patterns read this line)
 *
 *	HOST is the client's reverse-DNS name or its address.  Failures
 *	("-ERR [AUTH] Password supplied for ... is incorrect", "... at
 *	(HOST) IP: -ERR ...") are no event.
 *
 * SECURITY
 *	U is the client's name and sits before the address.  The line is
 *	read from the right: an optional "[file.c:N]" tail is dropped, the
 *	address is the last blank-separated token, and for the login line
 *	it must follow "\" at (HOST) " found from the right.  The Nessus
 *	"popbsmtp" check mails exactly such a line to the SMTP server to
 *	see whether a POP-before-SMTP daemon trusts it: it arrives in a
 *	Postfix line, which this recogniser never sees.
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* qp_source_tail - drop a trailing " [name.c:123]" */
static void
qp_source_tail(struct span *s)
{
	const char *lb;
	struct span in;

	if (s->n == 0 || s->p[s->n - 1] != ']' ||
	    (lb = ru_rfind(*s, " [")) == NULL)
		return;
	in = ru_span(lb + 2, ru_end(*s) - 1);
	const char *c = ru_rchr(in, ':');
	if (c && ru_digits(ru_span(c + 1, ru_end(in))) && !ru_has(in, ' '))
		s->n = (size_t)(lb - s->p);
}

/* qp_last_token - split off the last blank-separated token of *s */
static bool
qp_last_token(struct span *s, struct span *tok)
{
	const char *sp = ru_rchr(*s, ' ');

	if (sp == NULL || sp + 1 == ru_end(*s))
		return false;
	*tok = ru_span(sp + 1, ru_end(*s));
	s->n = (size_t)(sp - s->p);
	return true;
}

/* qp_host - a host field worth reporting: a name, not the address */
static struct span
qp_host(struct span h)
{
	struct ipaddr ip;

	return ipaddr_parse(&ip, h.p, h.n) ? SPAN_NONE : h;
}

/* qp_stats - "Stats: U D DB R RB [HOST] IP" */
static bool
qp_stats(struct span m, struct event *ev)
{
	struct span ipt, t, host, rest;
	struct ipaddr ip;

	if (!qp_last_token(&m, &ipt) || !ru_ip(&ip, ipt))
		return false;
	rest = m;
	if (qp_last_token(&rest, &host) && !ru_digits(host))
		m = rest;
	else
		host = SPAN_NONE;
	/* the four counters; what is left is the user name */
	for (int i = 0; i < 4; i++)
		if (!qp_last_token(&m, &t) || !ru_digits(t))
			return false;
	if (m.n == 0)
		return false;
	ru_login(ev, &ip, PROTO_POP3, m);
	ev->host = qp_host(host);
	return true;
}

/* qpopper_match - see the file header */
static bool
qpopper_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, ipt, u;
	const char *at, *ver;
	struct ipaddr ip;

	(void)state;
	if (ru_too_long(ll))
		return false;
	qp_source_tail(&m);
	if (ru_prefix(&m, "Stats: "))
		return qp_stats(m, ev);

	/* "(vX) POP login by user \"U\" at (HOST) IP" */
	if (m.n == 0 || m.p[0] != '(' || (ver = memchr(m.p, ')', m.n)) == NULL)
		return false;
	m = ru_span(ver + 1, ru_end(m));
	if (!ru_prefix(&m, " POP login by user \""))
		return false;
	if (!qp_last_token(&m, &ipt) || !ru_ip(&ip, ipt) ||
	    !ru_suffix(&m, ")") || (at = ru_rfind(m, "\" at (")) == NULL)
		return false;
	u = ru_span(m.p, at);
	ru_login(ev, &ip, PROTO_POP3, u);
	ev->host = qp_host(ru_span(at + 6, ru_end(m)));
	return true;
}

static const char *const qpopper_progs[] = {
    "popper",
    "qpopper",
    "in.qpopper",
    "in.popper",
    "popper*",
    "qpopper*",
    NULL,
};

const struct recog recog_qpopper = {
    .name = "qpopper",
    .what = "Qpopper \"(vX) POP login by user \\\"u\\\" at (host) ip\" and "
	    "\"Stats: u ... host ip\"",
    .progs = qpopper_progs,
    .match = qpopper_match,
    .login = true,
};
