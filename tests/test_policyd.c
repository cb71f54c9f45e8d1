/*
 * test_policyd - the policy service's answers: OK for a live relay lease
 * in the configured states, the blacklist reply for a listed client,
 * DUNNO for the rest and for an address that is none.  (The server on
 * its sockets: the e2e test with the real Postfix.)
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/policyd.h"
#include "tlib.h"

static const char *reply = "554 Your IP address has been blacklisted by "
			   "{authority}. {reason}";
static char *rcpt_only[] = {"RCPT", NULL};

static const char *
ask(const struct policy *p, const char *ip, const char *state, int64_t now)
{
	static struct sbuf out;
	char buf[512];
	struct deleg_req r;
	size_t used;
	const char *why;

	snprintf(buf, sizeof(buf),
	    "request=smtpd_access_policy\nprotocol_state=%s\n"
	    "client_address=%s\n\n",
	    state, ip);
	T_OK(deleg_next(buf, strlen(buf), &r, &used, &why) == DELEG_REQUEST);
	sbuf_reset(&out);
	policyd_answer(p, reply, rcpt_only, &r, now, &out);
	return out.s;
}

int
main(void)
{
	struct policy_cfg cfg = {
	    .relay_lease = 1800, .bl = {0.03333333, 50, 1800, 604800, 7776000}};
	struct policy p;
	struct actions a;
	struct ipaddr x, y;
	int64_t t = 1795700000;

	policy_init(&p, &cfg);
	actions_init(&a);
	ipaddr_parse(&x, "192.0.2.5", 9);
	relay_login(&p.relay, &x, "alice", "pop3 via dovecot", t, t, &a);
	ipaddr_parse(&y, "203.0.113.9", 11);
	bl_add(&p.bl, &y, BL_DNSBL, "zen.example", "bad.example", "listed", t,
	    0, &a);

	T_CASE("answers");
	T_EQ_STR(ask(&p, "192.0.2.5", "RCPT", t + 60), "action=OK\n\n");
	T_EQ_STR(ask(&p, "192.0.2.5", "rcpt", t + 60), "action=OK\n\n");
	/* a lease counts only where configured */
	T_EQ_STR(ask(&p, "192.0.2.5", "CONNECT", t + 60), "action=DUNNO\n\n");
	/* an ended lease, even before the timer took it */
	T_EQ_STR(ask(&p, "192.0.2.5", "RCPT", t + 1800), "action=DUNNO\n\n");
	T_EQ_STR(ask(&p, "203.0.113.9", "CONNECT", t),
	    "action=554 Your IP address has been blacklisted by "
	    "zen.example. listed\n\n");
	T_EQ_STR(ask(&p, "198.51.100.1", "RCPT", t), "action=DUNNO\n\n");
	T_EQ_STR(ask(&p, "not-an-ip", "RCPT", t), "action=DUNNO\n\n");
	T_EQ_STR(ask(&p, "", "RCPT", t), "action=DUNNO\n\n");
	/* IPv4-mapped IPv6 is the IPv4 client */
	T_EQ_STR(ask(&p, "::ffff:192.0.2.5", "RCPT", t), "action=OK\n\n");

	policy_free(&p);
	actions_free(&a);
	return t_done();
}
