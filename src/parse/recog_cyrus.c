/*
 * recog_cyrus - successful logins of the Cyrus IMAP server (imapd and
 * pop3d).
 *
 * DESCRIPTION
 *	imap/imapd.c and imap/pop3d.c log, at LOG_NOTICE:
 *
 *	  login: HOST [IP] USER MECH User logged in
 *	  login: [IP] USER MECH+TLS User logged in
 *	      Cyrus 2.x ("login: %s %s%s %s%s %s")
 *	  login: HOST [IP] USER MECH User logged in SESSIONID=<S>
 *	      Cyrus 2.4 and later
 *
 *	HOST [IP] is Cyrus's client host string (name and address, or the
 *	bracketed address alone); MECH is the SASL mechanism or
 *	"plaintext".  The syslog ident is the service name from cyrus.conf:
 *	imap, imaps, pop3, pop3s, or cyrus/imap etc. with a syslog prefix,
 *	and imapd/pop3d on old installs.  "badlogin: ..." is no event.
 *
 *	Source: cyrus-imapd imap/imapd.c and imap/pop3d.c (2.3 - 3.x); the
 *	sshguard test corpus has the failure shapes.
 *
 * SECURITY
 *	The client host string is written by Cyrus before any client text,
 *	so the address is taken from the left: the first "[...]" right after
 *	"login: " or after one host-name token.  The line must end with
 *	"User logged in" (optionally followed by a SESSIONID).  An anonymous
 *	login logs "login: HOST [IP] anonymous <client text>": a user part
 *	that is "anonymous" or contains a blank is no event.
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* cyrus_match - see the file header */
static bool
cyrus_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, host = SPAN_NONE, rest, um;
	const char *sp, *rb, *u, *mech;
	enum event_proto proto = ru_proto_of(ll->prog);
	struct ipaddr ip;

	(void)state;
	if (ru_too_long(ll))
		return false;
	/* only the POP3 and IMAP services (not sieve, nntp, lmtp, ...) */
	if (proto == PROTO_UNKNOWN || !ru_prefix(&m, "login: ") || m.n == 0)
		return false;
	if (m.p[0] != '[') {
		sp = memchr(m.p, ' ', m.n);
		if (sp == NULL || sp == m.p)
			return false;
		host = ru_span(m.p, sp);
		if (ru_has(host, '[') || ru_has(host, ']'))
			return false;
		m = ru_span(sp + 1, ru_end(m));
		if (m.n == 0 || m.p[0] != '[')
			return false;
	}
	rb = memchr(m.p, ']', m.n);
	if (rb == NULL || !ru_ip(&ip, ru_span(m.p + 1, rb)))
		return false;
	rest = ru_span(rb + 1, ru_end(m));
	if (!ru_prefix(&rest, " "))
		return false;

	/* "USER MECH User logged in[ SESSIONID=<S>]" */
	if ((u = ru_rfind(rest, " User logged in")) == NULL)
		return false;
	if (u + 15 != ru_end(rest) &&
	    !(span_has_prefix(ru_span(u + 15, ru_end(rest)), " SESSIONID=<") &&
		rest.p[rest.n - 1] == '>'))
		return false;
	um = ru_span(rest.p, u);
	if ((mech = ru_rchr(um, ' ')) == NULL || mech + 1 == ru_end(um))
		return false;
	um = ru_span(um.p, mech);
	if (um.n == 0 || ru_has(um, ' ') || ru_eqi(um, "anonymous"))
		return false;

	ru_login(ev, &ip, proto, um);
	ev->host = host;
	return true;
}

static const char *const cyrus_progs[] = {
    "imap",
    "imaps",
    "imapd",
    "pop3",
    "pop3s",
    "pop3d",
    "cyrus/*",
    "cyrus-imapd/*",
    NULL,
};

const struct recog recog_cyrus = {
    .name = "cyrus",
    .what = "Cyrus imap/pop3 (also imaps, pop3s, cyrus/...) \"login: host "
	    "[ip] user mech User logged in\"",
    .progs = cyrus_progs,
    .match = cyrus_match,
    .login = true,
};
