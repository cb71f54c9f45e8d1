/*
 * recog_vmpop3d - successful logins of vm-pop3d (virtualmail-pop3d).
 *
 * DESCRIPTION
 *	Three generations of the login line, all from program vm-pop3d:
 *
 *	  User 'U' of 'D' from 'IP' logged in
 *	      the form popauth 3.0.1 matched (shared/seed NOTES.md 4.3)
 *	  User 'U' logged in from IP, nmsgs=N
 *	  User 'U' of 'D' logged in from IP
 *	      vm-pop3d 1.1.7f as shipped by DirectAdmin (public sample in
 *	      renoirboulanger's notes: "User 'test@...' logged in from
 *	      69.159.235.26, nmsgs=3"; also pop-before-smtp's "modern
 *	      vm-pop3d" pattern)
 *	  Connect from IP            \  vm-pop3d 1.1.4 - 1.1.6 (user.c and
 *	  User 'U' of 'D' logged in   > vm-pop3d.c of Orc/vm-pop3d-cc): the
 *	  User 'U' logged in         /  address is on the connect line of
 *	                                the same process; correlated by
 *	                                program, host and pid
 *	  connect from IP               the same from tcpd (TCP Wrappers),
 *	                                which logs under vm-pop3d's name
 *	                                and pid before exec'ing it
 *
 *	Failures ("User 'U' - failed auth, from=IP", "Session ended for no
 *	user from IP", ossec-docs samples) are no event.
 *
 * SECURITY
 *	vm-pop3d refuses a USER argument that contains a blank, so neither
 *	U nor D can contain "' of '", "' from '" or "' logged in from "; the
 *	address is still taken from the last such marker, next to the end
 *	of the line, and parsed on its exact bounds.  A two-line address
 *	comes only from a "Connect from" line of the same process (see
 *	recog_util.h: bounded cache, one use per connect line).
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* vm_user - split "U" or "U' of 'D" (the quotes around the ends are
 * already gone) into user and domain */
static void
vm_user(struct span t, struct event *ev)
{
	const char *k = ru_find(t, "' of '");

	if (k) {
		ev->user = ru_span(t.p, k);
		ev->domain = ru_span(k + 6, ru_end(t));
	} else {
		ev->user = t;
	}
}

/* vmpop3d_match - see the file header */
static bool
vmpop3d_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, t;
	const char *f, *v, *ve;
	struct ipaddr ip;

	if (ru_too_long(ll))
		return false;
	if (ru_prefix(&m, "Connect from ") || ru_prefix(&m, "connect from ")) {
		if (ru_ip(&ip, m))
			ru_conn_put(state, ll, &ip);
		return false;
	}
	if (!ru_prefix(&m, "User '"))
		return false;

	if ((f = ru_rfind(m, "' logged in from ")) != NULL) {
		/* 1.1.7f: the address ends the line or a ", nmsgs=N" */
		v = f + 17;
		ve = memchr(v, ',', (size_t)(ru_end(m) - v));
		if (ve == NULL)
			ve = ru_end(m);
		else if (!span_has_prefix(ru_span(ve, ru_end(m)), ", "))
			return false;
		if (!ru_ip(&ip, ru_span(v, ve)))
			return false;
		t = ru_span(m.p, f);
	} else if (ru_suffix(&m, "' logged in")) {
		if ((f = ru_rfind(m, "' from '")) != NULL) {
			/* the seed's form: from 'IP' before "logged in" */
			if (!ru_ip(&ip, ru_span(f + 8, ru_end(m))))
				return false;
			t = ru_span(m.p, f);
		} else {
			/* 1.1.4 - 1.1.6: the address was on "Connect from" */
			if (!ru_conn_take(state, ll, &ip))
				return false;
			t = m;
		}
	} else {
		return false;
	}
	ru_login(ev, &ip, PROTO_POP3, SPAN_NONE);
	vm_user(t, ev);
	return true;
}

static const char *const vmpop3d_progs[] = {
    "vm-pop3d",
    NULL,
};

const struct recog recog_vmpop3d = {
    .name = "vm-pop3d",
    .what = "vm-pop3d \"User 'u' [of 'd'] ... logged in\" (three forms, "
	    "incl. the two-line \"Connect from\" one)",
    .progs = vmpop3d_progs,
    .match = vmpop3d_match,
    .state_new = ru_state_new,
    .state_free = ru_state_free,
    .login = true,
};
