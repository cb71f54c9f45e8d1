/*
 * recog_uwimap - successful logins of the University of Washington IMAP
 * toolkit servers, ipop3d and imapd (also Panda IMAP and Alpine's).
 *
 * DESCRIPTION
 *	  Login user=U host=H                  imapd LOGIN
 *	  Authenticated user=U host=H          imapd AUTHENTICATE (imap-2001+)
 *	  Authenticated user=U host=H mech=M   imapd AUTHENTICATE (2007)
 *	  Preauthenticated user=U host=H       imapd started pre-authenticated
 *	  Login user=U host=H nmsgs=N/M        ipop3d USER/PASS
 *	  Auth user=U host=H nmsgs=N/M         ipop3d AUTH
 *	  APOP user=U host=H nmsgs=N/M         ipop3d APOP
 *	  ... host=H no mailbox                ipop3d, mailbox not opened
 *
 *	H is c-client's tcp_clienthost(): "name [IP]" or "[IP]".  Sources:
 *	imapd.c and ipop3d.c of imap-2001 .. imap-2007f (the syslog calls
 *	"Login user=%.80s host=%.80s", ...), and pop-before-smtp's default
 *	UW pattern.  "Login failed ...", "Login failure ...", "AUTHENTICATE
 *	x failure ...", "Logout ...", "Autologout ..." are no event.
 *
 * SECURITY
 *	U is the client's login name, %.80s, and may contain blanks and
 *	"host=[...]" (an IMAP quoted string).  So the line is read from the
 *	right: drop the known server trailer, then the address is the
 *	bracketed text that ends the line, preceded by " host=" or by
 *	" host=NAME " (a host name has no blank).  Anonymous logins are no
 *	event.
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* uw_trailer - drop " nmsgs=N/M", " no mailbox" or " mech=M" from the
 * end of s */
static void
uw_trailer(struct span *s)
{
	const char *k;

	if (ru_suffix(s, " no mailbox"))
		return;
	if ((k = ru_rfind(*s, " nmsgs=")) != NULL) {
		struct span v = ru_span(k + 7, ru_end(*s));
		const char *sl = memchr(v.p, '/', v.n);
		if (sl && ru_digits(ru_span(v.p, sl)) &&
		    ru_digits(ru_span(sl + 1, ru_end(v))))
			s->n = (size_t)(k - s->p);
		return;
	}
	if ((k = ru_rfind(*s, " mech=")) != NULL &&
	    !ru_has(ru_span(k + 6, ru_end(*s)), ' ') &&
	    !ru_has(ru_span(k + 6, ru_end(*s)), ']'))
		s->n = (size_t)(k - s->p);
}

/* uwimap_match - see the file header */
static bool
uwimap_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, host = SPAN_NONE, user, pre;
	const char *lb, *h;
	struct ipaddr ip;

	(void)state;
	if (ru_too_long(ll))
		return false;
	if (!ru_prefix(&m, "Login user=") &&
	    !ru_prefix(&m, "Authenticated user=") &&
	    !ru_prefix(&m, "Auth user=") && !ru_prefix(&m, "APOP user=") &&
	    !ru_prefix(&m, "Preauthenticated user="))
		return false;
	uw_trailer(&m);
	if (!ru_suffix(&m, "]") || (lb = ru_rchr(m, '[')) == NULL)
		return false;
	if (!ru_ip(&ip, ru_span(lb + 1, ru_end(m))))
		return false;

	/* " host=[" or " host=NAME [" */
	pre = ru_span(m.p, lb);
	if (ru_suffix(&pre, " host=")) {
		h = ru_end(pre);
	} else {
		if (!ru_suffix(&pre, " ") || (h = ru_rchr(pre, ' ')) == NULL)
			return false;
		host = ru_span(h + 1, ru_end(pre));
		if (!ru_prefix(&host, "host=") || host.n == 0)
			return false;
	}
	user = ru_span(m.p, h);
	if (ru_eqi(user, "anonymous"))
		return false;
	ru_login(ev, &ip, ru_proto_of(ll->prog), user);
	ev->host = host;
	return true;
}

static const char *const uwimap_progs[] = {
    "ipop3d",
    "ipop3sd",
    "imapd",
    "imapsd",
    NULL,
};

const struct recog recog_uwimap = {
    .name = "uw",
    .what = "UW ipop3d/imapd \"Login|Auth|APOP|Authenticated user=.. "
	    "host=.. [ip]\"",
    .progs = uwimap_progs,
    .match = uwimap_match,
    .login = true,
};
