/*
 * recog_gnupop3d - successful logins of GNU pop3d (gnu-pop3d 0.9 and
 * the pop3d of GNU Mailutils).
 *
 * DESCRIPTION
 *	The server logs the client address when the connection opens and
 *	the login later, from the same process:
 *
 *	  connect from IP                 mailutils 1.x/2.x pop3d.c
 *	  Connect from IP                 (also vm-pop3d-style builds)
 *	  User 'U' logged in with mailbox 'M'
 *	  User U logged in with mailbox M            (APOP)
 *	  User 'U' logged in with mailbox 'M' (N msgs)
 *	  User `U' logged in with mailbox `M'
 *	  user `U' logged in with mailbox `M' (N messages)
 *	      gnu-pop3d 0.9.x and mailutils 0.x-3.x user.c / apop.c
 *
 *	The two lines are joined by program, host and pid.  Mailutils 3.x
 *	no longer logs the client address at all (pop3d_get_client_address
 *	logs only "incoming connection opened"): its logins produce no
 *	event unless a connect line precedes them.  Failures ("user `U':
 *	authentication failed", "user `U' nonexistent") are no event.
 *
 * SECURITY
 *	GNU pop3d refuses a USER argument containing a blank, so U cannot
 *	contain " logged in with mailbox ".  The address comes only from
 *	the connect line of the same process: a one-use entry in a bounded
 *	cache (recog_util.h).
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* gnupop3d_match - see the file header */
static bool
gnupop3d_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, u;
	const char *k;
	struct ipaddr ip;

	if (ru_too_long(ll))
		return false;
	if (ru_prefix(&m, "connect from ") || ru_prefix(&m, "Connect from ")) {
		if (ru_ip(&ip, m))
			ru_conn_put(state, ll, &ip);
		return false;
	}
	if (!ru_prefix(&m, "User ") && !ru_prefix(&m, "user "))
		return false;
	if ((k = ru_find(m, " logged in with mailbox ")) == NULL)
		return false;
	u = ru_span(m.p, k);
	if (ru_prefix(&u, "'") || ru_prefix(&u, "`"))
		if (!ru_suffix(&u, "'"))
			return false;
	if (u.n == 0 || ru_has(u, ' ') || !ru_conn_take(state, ll, &ip))
		return false;
	ru_login(ev, &ip, PROTO_POP3, u);
	return true;
}

static const char *const gnupop3d_progs[] = {
    "gnu-pop3d",
    "pop3d",
    NULL,
};

const struct recog recog_gnupop3d = {
    .name = "gnu-pop3d",
    .what = "GNU pop3d / mailutils pop3d: \"connect from ip\" then \"User "
	    "'u' logged in with mailbox ..\" (same pid)",
    .progs = gnupop3d_progs,
    .match = gnupop3d_match,
    .state_new = ru_state_new,
    .state_free = ru_state_free,
    .login = true,
};
