/*
 * test_policy - the engine's routing: which logins count, user@domain,
 * expiry before each event, the next deadline.
 */
#include <stdlib.h>

#include "policy/policy.h"
#include "tlib.h"

static struct event
login(const char *ip, const char *user, const char *domain,
    enum event_proto proto, int64_t t)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EVENT_LOGIN;
	ev.recog = "test";
	ev.time = t;
	ev.proto = proto;
	ipaddr_parse(&ev.ip, ip, strlen(ip));
	ev.user = (struct span){user, strlen(user)};
	if (domain)
		ev.domain = (struct span){domain, strlen(domain)};
	return ev;
}

static const struct action *
first(const struct actions *a, enum action_kind k)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == k)
			return &a->v[i];
	return NULL;
}

int
main(void)
{
	struct policy_cfg cfg = {
	    .relay_lease = 1800, .login_protos = POLICY_PROTO(PROTO_POP3)};
	struct policy p;
	struct actions a;
	struct event ev;
	const struct action *act;

	actions_init(&a);
	policy_init(&p, &cfg);

	/* IMAP does not count with login_protocols = pop3 */
	ev = login("192.0.2.1", "bob", NULL, PROTO_IMAP, 100);
	policy_event(&p, &ev, 100, &a);
	T_EQ_INT(relay_count(&p.relay), 0);
	T_EQ_INT(p.st.ignored, 1);
	T_EQ_INT(p.st.events[EVENT_LOGIN], 1);

	/* POP3 does; vm-pop3d's virtual domain makes the user user@domain */
	actions_reset(&a);
	ev = login("192.0.2.1", "alice", "example.com", PROTO_POP3, 100);
	policy_event(&p, &ev, 100, &a);
	T_EQ_INT(relay_count(&p.relay), 1);
	act = first(&a, ACT_RELAY_PUT);
	T_OK(act && strcmp(act->text, "alice@example.com") == 0);
	T_OK(first(&a, ACT_RELAY_MAP) != NULL);
	T_EQ_INT(policy_next_deadline(&p), 1900);

	/* a custom pattern without a protocol always counts */
	actions_reset(&a);
	ev = login("2001:db8::7", "carol", NULL, PROTO_UNKNOWN, 200);
	policy_event(&p, &ev, 200, &a);
	T_EQ_INT(relay_count(&p.relay), 2);

	/* an event at a later time first ends what is due */
	actions_reset(&a);
	ev = login("192.0.2.9", "dave", NULL, PROTO_POP3, 1950);
	policy_event(&p, &ev, 1950, &a);
	T_OK(a.n > 0 && a.v[0].kind != ACT_RELAY_PUT);
	struct event gone = login("192.0.2.1", "", NULL, 0, 0);
	T_OK(relay_get(&p.relay, &gone.ip) == NULL);
	T_EQ_INT(relay_count(&p.relay), 2);
	T_EQ_INT(policy_next_deadline(&p), 2000);

	/* a reload with IMAP and a shorter lease */
	struct policy_cfg cfg2 = {.relay_lease = 60,
	    .login_protos =
		POLICY_PROTO(PROTO_POP3) | POLICY_PROTO(PROTO_IMAP)};
	policy_configure(&p, &cfg2);
	T_EQ_INT(policy_next_deadline(&p), 260);
	actions_reset(&a);
	ev = login("192.0.2.2", "bob", NULL, PROTO_IMAP, 2000);
	policy_event(&p, &ev, 2000, &a);
	/* the leases of carol (260) and dave (2010) ... carol is gone */
	T_EQ_INT(relay_count(&p.relay), 2);
	actions_reset(&a);
	policy_tick(&p, 2060, &a);
	T_EQ_INT(relay_count(&p.relay), 0);
	T_EQ_INT(actions_count(&a, ACT_RELAY_DROP), 2);
	T_EQ_INT(policy_next_deadline(&p), INT64_MAX);

	/* messages below the wanted level are not even formatted */
	a.min_level = MSG_WARN;
	actions_reset(&a);
	ev = login("192.0.2.3", "erin", NULL, PROTO_POP3, 3000);
	policy_event(&p, &ev, 3000, &a);
	T_EQ_INT(actions_count(&a, ACT_LOG), 0);
	T_EQ_INT(actions_count(&a, ACT_RELAY_PUT), 1);

	policy_free(&p);
	actions_free(&a);
	return t_done();
}
