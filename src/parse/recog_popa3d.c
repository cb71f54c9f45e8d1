/*
 * recog_popa3d - successful logins of popa3d.
 *
 * DESCRIPTION
 *	  Session from IP                      standalone.c, in the child
 *	  connect from IP                      tcpd (TCP Wrappers) under
 *	                                       inetd, logged with popa3d's
 *	                                       name and pid before exec
 *	  Authentication passed for U          pop_auth.c, same process
 *	      popa3d 0.4 - 1.0.x (the address numeric: NI_NUMERICHOST)
 *	  Authentication passed for U -- [IP]
 *	      popa3d with pop-before-smtp's contrib/popa3d patch
 *
 *	The plain form is joined with the connect line by program, host and
 *	pid.  Under inetd without tcpd popa3d writes no address: such
 *	logins give no event (use the patched form or a custom pattern).
 *	When tcpd resolves a host name it logs the name and nothing is
 *	stored.  "Authentication failed for U" and "... for UNKNOWN USER"
 *	are no event.
 *
 * SECURITY
 *	popa3d takes U as one blank-free parameter.  The patched form's
 *	address is read from the end ("U -- [IP]" with the last " -- [").
 *	The plain form's address comes only from the same process's
 *	connect line (bounded one-use cache, recog_util.h).
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* popa3d_match - see the file header */
static bool
popa3d_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg;
	const char *k;
	struct ipaddr ip;

	if (ru_too_long(ll))
		return false;
	if (ru_prefix(&m, "Session from ") || ru_prefix(&m, "connect from ")) {
		if (ru_ip(&ip, m))
			ru_conn_put(state, ll, &ip);
		return false;
	}
	if (!ru_prefix(&m, "Authentication passed for ") || m.n == 0)
		return false;
	if (m.p[m.n - 1] == ']' && (k = ru_rfind(m, " -- [")) != NULL) {
		if (!ru_ip(&ip, ru_span(k + 5, ru_end(m) - 1)))
			return false;
		m = ru_span(m.p, k);
	} else if (ru_has(m, ' ') || !ru_conn_take(state, ll, &ip)) {
		return false;
	}
	if (m.n == 0)
		return false;
	ru_login(ev, &ip, PROTO_POP3, m);
	return true;
}

static const char *const popa3d_progs[] = {
    "popa3d",
    NULL,
};

const struct recog recog_popa3d = {
    .name = "popa3d",
    .what = "popa3d \"Session from ip\" then \"Authentication passed for "
	    "u\" (same pid), or patched \"... for u -- [ip]\"",
    .progs = popa3d_progs,
    .match = popa3d_match,
    .state_new = ru_state_new,
    .state_free = ru_state_free,
    .login = true,
};
