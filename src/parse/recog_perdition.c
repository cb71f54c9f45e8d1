/*
 * recog_perdition - successful logins through the Perdition POP3/IMAP
 * proxy.
 *
 * DESCRIPTION
 *	When the real server has accepted the user, perdition.c logs (at
 *	LOG_NOTICE, and again every connect_relog seconds while the session
 *	lasts):
 *
 *	  Auth: FROM->TO user="U" passwd="P" server="S" port="N" status="ok"
 *	      perdition 1.1x (perdition_log_auth(); FROM and TO are bare
 *	      numeric addresses; passwd is "XXXXXX" unless log_passwd)
 *	  Auth: FROM:PORT->TO:PORT client-secure=.. authorisation_id=..
 *	      authentication_id="U" server="S:N" protocol=POP3S
 *	      server-secure=.. status="ok"
 *	      perdition 1.19/2.x (shape as given in the project brief; not
 *	      checked against a source or a captured line)
 *
 *	Failures end with status="failed: ..." and are no event.  The
 *	program is perdition or perdition.<protocol> (perdition.pop3s,
 *	perdition.imap4, ...); the protocol comes from that suffix, else
 *	from protocol=.
 *
 * SECURITY
 *	FROM is written by perdition before any client text, so the address
 *	is taken from the left: the token after "Auth: " up to "->".  The
 *	user, password and authorisation id are client text and may contain
 *	quotes and blanks, so the status is read at the very end of the line
 *	(a client cannot append after it).  In the newer form FROM carries a
 *	port: "[v6]:port" or "address:port" with the last ":digits" removed.
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* perd_from - parse FROM, with or without a port */
static bool
perd_from(struct span f, bool with_port, struct ipaddr *ip)
{
	const char *c;

	if (!with_port)
		return ru_ip(ip, f);
	if ((c = ru_rchr(f, ':')) == NULL ||
	    !ru_digits(ru_span(c + 1, ru_end(f))))
		return false;
	f = ru_span(f.p, c);
	if (f.n >= 2 && f.p[0] == '[' && f.p[f.n - 1] == ']')
		f = ru_span(f.p + 1, ru_end(f) - 1);
	return ru_ip(ip, f);
}

/* perd_quoted - the value of key="..." starting at the first occurrence
 * of key in s, up to the next `" ` or the end quote */
static struct span
perd_quoted(struct span s, const char *key)
{
	const char *k = ru_find(s, key), *v, *e;

	if (k == NULL)
		return SPAN_NONE;
	v = k + strlen(key);
	e = ru_find(ru_span(v, ru_end(s)), "\" ");
	if (e == NULL)
		return SPAN_NONE;
	return ru_span(v, e);
}

/* perdition_match - see the file header */
static bool
perdition_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, from, rest, user, pr = SPAN_NONE;
	const char *arrow, *sp, *k;
	enum event_proto proto;
	bool old;
	struct ipaddr ip;

	(void)state;
	if (ru_too_long(ll))
		return false;
	if (!ru_prefix(&m, "Auth: ") || !ru_suffix(&m, " status=\"ok\""))
		return false;
	if ((sp = memchr(m.p, ' ', m.n)) == NULL)
		return false;
	from = ru_span(m.p, sp);
	if ((arrow = ru_find(from, "->")) == NULL)
		return false;
	rest = ru_span(sp + 1, ru_end(m));
	old = span_has_prefix(rest, "user=\"");
	if (!perd_from(ru_span(from.p, arrow), !old, &ip))
		return false;
	user = old ? perd_quoted(rest, "user=\"")
		   : perd_quoted(rest, "authentication_id=\"");

	proto = ru_proto_of(ll->prog);
	if (proto == PROTO_UNKNOWN &&
	    (k = ru_rfind(rest, " protocol=")) != NULL) {
		const char *e =
		    memchr(k + 10, ' ', (size_t)(ru_end(rest) - k - 10));
		pr = ru_span(k + 10, e ? e : ru_end(rest));
		proto = ru_proto_of(pr);
	}
	ru_login(ev, &ip, proto, user);
	return true;
}

static const char *const perdition_progs[] = {
    "perdition",
    "perdition*",
    NULL,
};

const struct recog recog_perdition = {
    .name = "perdition",
    .what = "Perdition proxy \"Auth: ip->ip user=\\\"u\\\" ... "
	    "status=\\\"ok\\\"\" (and the authentication_id= form)",
    .progs = perdition_progs,
    .match = perdition_match,
    .login = true,
};
