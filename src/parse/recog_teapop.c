/*
 * recog_teapop - successful logins of Teapop.
 *
 * DESCRIPTION
 *	  Successful login for U [LIP] from RHOST [RIP]
 *	  Successful login for U@D [LIP] from RHOST [RIP]
 *	      Teapop 0.3 pop_auth.c (LIP is the local address the client
 *	      connected to, RHOST its reverse name or address)
 *	  Successful login for U from RHOST [RIP]
 *	      older Teapop (pop-before-smtp's teapop pattern)
 *
 *	The ident is "teapop", or "teapop_ssl" with -S.  "Failed login for
 *	..." and "Three failed login attempts from ..." are no event.
 *
 * SECURITY
 *	U is the client's USER argument (it may contain blanks).  The line
 *	is read from the right: RIP is the final "[...]", RHOST the blank-
 *	free word before it after the last " from ", and an optional
 *	" [LIP]" is removed from the end of what is left, which is U.
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* teapop_match - see the file header */
static bool
teapop_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, rhost, u;
	const char *lb, *fr;
	struct ipaddr ip, lip;

	(void)state;
	if (ru_too_long(ll))
		return false;
	if (!ru_prefix(&m, "Successful login for ") || !ru_suffix(&m, "]"))
		return false;
	if ((lb = ru_rfind(m, " [")) == NULL ||
	    !ru_ip(&ip, ru_span(lb + 2, ru_end(m))))
		return false;
	if ((fr = ru_rfind(ru_span(m.p, lb), " from ")) == NULL)
		return false;
	rhost = ru_span(fr + 6, lb);
	if (rhost.n == 0 || ru_has(rhost, ' '))
		return false;
	u = ru_span(m.p, fr);
	if (u.n && u.p[u.n - 1] == ']' && (lb = ru_rfind(u, " [")) != NULL &&
	    ru_ip(&lip, ru_span(lb + 2, ru_end(u) - 1)))
		u = ru_span(u.p, lb);
	if (u.n == 0)
		return false;
	ru_login(ev, &ip, PROTO_POP3, u);
	if (!ru_ip(&lip, rhost))
		ev->host = rhost;
	return true;
}

static const char *const teapop_progs[] = {
    "teapop",
    "teapop_ssl",
    NULL,
};

const struct recog recog_teapop = {
    .name = "teapop",
    .what = "Teapop \"Successful login for u [lip] from host [ip]\"",
    .progs = teapop_progs,
    .match = teapop_match,
    .login = true,
};
