/*
 * recog_solidpop3d - successful logins of Solid POP3 (spop3d).
 *
 * DESCRIPTION
 *	src/main.c of solid-pop3d 0.15/0.16 logs, depending on configure
 *	options:
 *
 *	  user U authenticated - AH                  LOG_EXTEND
 *	  mapped user U authenticated - AH           LOG_EXTEND, MAPPING
 *	  user U authenticated through APOP - AH     LOG_EXTEND, APOP
 *	  connect from AH                            LOG_CONNECT (inetd)
 *	  user U authenticated                       \  without LOG_EXTEND:
 *	  mapped user U authenticated                 > joined with the
 *	  user U authenticated through APOP          /  connect line by pid
 *
 *	AH is "IP" or, with RESOLVE_HOSTNAME, "HOSTNAME (IP)".  Failures
 *	("authentication failed for user U - AH", "... no such user ...")
 *	are no event.  Source: Tblue/solid-pop3d src/main.c.
 *
 * SECURITY
 *	spop3d takes the whole USER argument (%.40s), blanks included, so
 *	U is read as everything between the fixed words: the address is
 *	after the LAST " authenticated - " (or "... through APOP - ") and
 *	is the line's final "IP" or "(IP)"; a host name has no blank or
 *	parenthesis.  A line ending in " authenticated" is the short form,
 *	whose address comes only from the same process's connect line.
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* spop_addr - parse AH ("IP" or "HOST (IP)") into ip and host */
static bool
spop_addr(struct span ah, struct ipaddr *ip, struct span *host)
{
	const char *lp;

	*host = SPAN_NONE;
	if (ah.n && ah.p[ah.n - 1] == ')') {
		if ((lp = ru_rfind(ah, " (")) == NULL)
			return false;
		*host = ru_span(ah.p, lp);
		if (host->n == 0 || ru_has(*host, ' '))
			return false;
		return ru_ip(ip, ru_span(lp + 2, ru_end(ah) - 1));
	}
	return ru_ip(ip, ah);
}

/* solidpop3d_match - see the file header */
static bool
solidpop3d_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, host = SPAN_NONE;
	const char *k;
	struct ipaddr ip;

	if (ru_too_long(ll))
		return false;
	if (ru_prefix(&m, "connect from ")) {
		if (spop_addr(m, &ip, &host))
			ru_conn_put(state, ll, &ip);
		return false;
	}
	if (!ru_prefix(&m, "user ") && !ru_prefix(&m, "mapped user "))
		return false;
	if (ru_suffix(&m, " authenticated") ||
	    ru_suffix(&m, " authenticated through APOP")) {
		if (!ru_conn_take(state, ll, &ip))
			return false;
	} else {
		/* the later of the two markers is the server's */
		const char *k2 = ru_rfind(m, " authenticated through APOP - ");
		size_t skip = 17;
		k = ru_rfind(m, " authenticated - ");
		if (k2 && (k == NULL || k2 > k)) {
			k = k2;
			skip = 30;
		}
		if (k == NULL ||
		    !spop_addr(ru_span(k + skip, ru_end(m)), &ip, &host))
			return false;
		m = ru_span(m.p, k);
	}
	if (m.n == 0)
		return false;
	ru_login(ev, &ip, PROTO_POP3, m);
	ev->host = host;
	return true;
}

static const char *const solidpop3d_progs[] = {
    "spop3d",
    "solid-pop3d",
    NULL,
};

const struct recog recog_solidpop3d = {
    .name = "solid-pop3d",
    .what = "Solid POP3 (spop3d) \"user u authenticated - [host (]ip[)]\", "
	    "or with a \"connect from\" line (same pid)",
    .progs = solidpop3d_progs,
    .match = solidpop3d_match,
    .state_new = ru_state_new,
    .state_free = ru_state_free,
    .login = true,
};
