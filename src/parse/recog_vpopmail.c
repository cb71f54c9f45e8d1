/*
 * recog_vpopmail - successful POP3/IMAP logins checked by vpopmail's
 * vchkpw (qmail-pop3d, qmailtoaster, and IMAP servers using vchkpw).
 *
 * DESCRIPTION
 *	vchkpw builds the line itself and hands it to syslog under the
 *	ident "vpopmail" (so the program is vpopmail and the line starts
 *	with vchkpw's own name), or, on some setups, with the vchkpw name as
 *	the program:
 *
 *	  vpopmail[pid]: vchkpw-pop3: (PLAIN) login success U@D:IP
 *	  vpopmail[pid]: vchkpw-imaps: (CRAM-MD5) login success U@D:IP
 *	  vchkpw-pop3[pid]: (PLAIN) login success U@D:IP
 *	      vpopmail 5.4.x vchkpw.c ("%s: (%s) login success %s@%s:%s");
 *	      ossec-docs vpopmail.rst (qmailtoaster samples)
 *	  vpopmail[pid]: vchkpw: login success U@D:IP
 *	      vpopmail 5.2/5.3 vchkpw.c
 *	  vpopmail[pid]: vchkpw: login [U] from IP
 *	      older vchkpw (pop-before-smtp's "qmail's pop3d" pattern)
 *
 *	The service name says the protocol: vchkpw-pop3, vchkpw-pop3s and
 *	the old bare "vchkpw" are POP3, vchkpw-imap and vchkpw-imaps IMAP.
 *	SMTP AUTH (vchkpw-smtp, -smtps, -submission), webmail and
 *	vchkpw-<port> logins are no event, nor are "password fail", "vpopmail
 *	user not found", "null password given" and "... access denied".
 *
 * SECURITY
 *	U is the client's login name; IP comes from tcpserver's TCPREMOTEIP
 *	and ends the line.  "U@D:IP" is split at the LAST '@' (a domain that
 *	logged in has no '@') and then at the first ':' after it (a domain
 *	has no ':'; an IPv6 address has several).  The old form takes the
 *	address after the last "] from ".
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* vchkpw_service - the protocol of a vchkpw log name, PROTO_UNKNOWN for
 * services that are not POP3/IMAP logins */
static enum event_proto
vchkpw_service(struct span n)
{
	if (span_eq(n, "vchkpw") || span_eq(n, "vchkpw-pop3") ||
	    span_eq(n, "vchkpw-pop3s"))
		return PROTO_POP3;
	if (span_eq(n, "vchkpw-imap") || span_eq(n, "vchkpw-imaps"))
		return PROTO_IMAP;
	return PROTO_UNKNOWN;
}

/* vpopmail_match - see the file header */
static bool
vpopmail_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, name = ll->prog, ud;
	const char *c, *at, *k;
	enum event_proto proto;
	struct ipaddr ip;

	(void)state;
	if (ru_too_long(ll))
		return false;
	if (!span_has_prefix(name, "vchkpw")) {
		/* ident "vpopmail": the vchkpw name starts the message */
		if ((c = memchr(m.p, ':', m.n)) == NULL ||
		    !span_has_prefix(ru_span(c, ru_end(m)), ": "))
			return false;
		name = ru_span(m.p, c);
		m = ru_span(c + 2, ru_end(m));
	}
	if ((proto = vchkpw_service(name)) == PROTO_UNKNOWN)
		return false;

	if (ru_prefix(&m, "login [")) {
		/* old: "login [U] from IP" */
		if ((k = ru_rfind(m, "] from ")) == NULL ||
		    !ru_ip(&ip, ru_span(k + 7, ru_end(m))))
			return false;
		ru_login(ev, &ip, proto, ru_span(m.p, k));
		return true;
	}
	if (m.n && m.p[0] == '(') {
		/* "(MECH) " */
		if ((c = memchr(m.p, ')', m.n)) == NULL)
			return false;
		m = ru_span(c + 1, ru_end(m));
		if (!ru_prefix(&m, " "))
			return false;
	}
	if (!ru_prefix(&m, "login success "))
		return false;
	if ((at = ru_rchr(m, '@')) == NULL)
		return false;
	ud = ru_span(at + 1, ru_end(m));
	if ((c = memchr(ud.p, ':', ud.n)) == NULL ||
	    !ru_ip(&ip, ru_span(c + 1, ru_end(ud))))
		return false;
	/* user@domain as logged */
	ru_login(ev, &ip, proto, ru_span(m.p, c));
	return true;
}

static const char *const vpopmail_progs[] = {
    "vpopmail",
    "vchkpw",
    "vchkpw-pop3",
    "vchkpw-pop3s",
    "vchkpw-imap",
    "vchkpw-imaps",
    NULL,
};

const struct recog recog_vpopmail = {
    .name = "vpopmail",
    .what = "vpopmail vchkpw-pop3/-imap \"(MECH) login success u@d:ip\" "
	    "(ident vpopmail or vchkpw-*)",
    .progs = vpopmail_progs,
    .match = vpopmail_match,
    .login = true,
};
