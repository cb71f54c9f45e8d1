/*
 * test_policy - the engine's routing: which logins count, user@domain,
 * expiry before each event, the next deadline.
 */
#include <stdlib.h>

#include "lib/numparse.h"
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

static struct policy_cfg
full_cfg(const struct cidr *trusted, size_t ntrusted)
{
	struct policy_cfg c = {
	    .relay_lease = 1800,
	    .login_protos = POLICY_PROTO(PROTO_POP3) | POLICY_PROTO(PROTO_IMAP),
	    .myhostname = "mail.example.test",
	    .trusted = trusted,
	    .ntrusted = ntrusted,
	    .login_grace = 600,
	    .fish_ban = 604800,
	    .bl = {0.03333333, 50, 1800, 604800, 7776000},
	    .fish = {5, 0.03333333, 259200},
	    .af = {{5, 5}, 600},
	};
	return c;
}

/* reject - an event of kind k from ip at t */
static struct event
reject(enum event_kind k, const char *ip, int64_t t)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = k;
	ev.recog = "postfix";
	ev.time = t;
	ipaddr_parse(&ev.ip, ip, strlen(ip));
	ev.host = SPAN_LIT("client.example.net");
	ev.helo = SPAN_LIT("client.example.net");
	ev.addr = SPAN_LIT("alice@example.test");
	ev.from = SPAN_LIT("alice@example.test");
	ev.has_from = true;
	ev.to = SPAN_LIT("friend@remote.test");
	ev.zone = SPAN_LIT("zen.example.org");
	ev.reason = SPAN_LIT("listed");
	return ev;
}

static bool
logged(const struct actions *a, const char *needle)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == ACT_LOG && strstr(a->v[i].text, needle))
			return true;
	return false;
}

/* the rules between the modules */
static void
test_abuse(void)
{
	struct cidr trusted;
	struct policy p;
	struct actions a;
	struct event ev;
	struct ipaddr x;
	int64_t t = 1795700000;

	cidr_parse(&trusted, "192.0.2.0/24", 12, false);
	struct policy_cfg cfg = full_cfg(&trusted, 1);
	actions_init(&a);
	policy_init(&p, &cfg);

	/* a DNSBL reject lists the IP with the zone as authority */
	ev = reject(EVENT_RBL, "198.51.100.7", t);
	policy_event(&p, &ev, t, &a);
	ipaddr_parse(&x, "198.51.100.7", 12);
	struct bl_rec *r = bl_get(&p.bl, &x);
	T_OK(r != NULL && strcmp(r->authority, "zen.example.org") == 0 &&
	    r->origin == BL_DNSBL && strcmp(r->reason, "listed") == 0);
	/* a later reject by our own map is a repeat */
	ev = reject(EVENT_BLACKLISTED, "198.51.100.7", t + 5);
	policy_event(&p, &ev, t + 5, &a);
	T_EQ_INT(r->total, 2);
	T_OK(bl_banned(r, t + 5));
	/* so is a forgery by a listed IP */
	ev = reject(EVENT_HELO_FORGERY, "198.51.100.7", t + 6);
	policy_event(&p, &ev, t + 6, &a);
	T_EQ_INT(r->total, 3);

	/* loopback, trusted networks and leased IPs are never listed */
	actions_reset(&a);
	ev = reject(EVENT_RBL, "127.0.0.1", t);
	policy_event(&p, &ev, t, &a);
	ev = reject(EVENT_SENDER_FORGERY, "192.0.2.77", t);
	policy_event(&p, &ev, t, &a);
	T_EQ_INT(bl_count(&p.bl), 1);
	T_OK(logged(&a,
	    "ignored rbl by 127.0.0.1 [client.example.net]: "
	    "loopback, never blacklisted"));
	T_OK(logged(&a, "192.0.2.77 [client.example.net]: trusted network"));
	struct event login = reject(EVENT_LOGIN, "203.0.113.5", t);
	login.user = SPAN_LIT("alice");
	login.proto = PROTO_POP3;
	policy_event(&p, &login, t, &a);
	ev = reject(EVENT_UNKNOWN_RECIPIENT, "203.0.113.5", t + 1);
	for (int i = 0; i < 10; i++) {
		char to[32];
		snprintf(to, sizeof(to), "nobody%d@example.test", i);
		ev.addr = (struct span){to, strlen(to)};
		policy_event(&p, &ev, t + 1, &a);
	}
	T_EQ_INT(bl_count(&p.bl), 1);
	T_EQ_INT(p.st.protected, 12);
	T_OK(logged(&a,
	    "ignored unknown-recipient by 203.0.113.5 "
	    "[client.example.net]: relay lease, never blacklisted"));
	ev = reject(EVENT_LOGIN_FAIL, "203.0.113.5", t + 2);
	policy_event(&p, &ev, t + 2, &a);
	T_OK(logged(&a, "ignored login-fail by 203.0.113.5"));
	T_OK(af_get(&p.af, &ev.ip) == NULL);

	/* a user who sent before fetching: listed for the forged sender,
	 * cleared by the login 2 minutes later */
	actions_reset(&a);
	ev = reject(EVENT_SENDER_FORGERY, "203.0.113.6", t);
	policy_event(&p, &ev, t, &a);
	ipaddr_parse(&x, "203.0.113.6", 11);
	T_OK(bl_get(&p.bl, &x) != NULL);
	T_EQ_INT(bl_get(&p.bl, &x)->origin, BL_SENDER);
	T_OK(logged(&a, "claimed <alice@example.test> as its own sender"));
	login = reject(EVENT_LOGIN, "203.0.113.6", t + 120);
	login.user = SPAN_LIT("alice");
	login.proto = PROTO_IMAP;
	policy_event(&p, &login, t + 120, &a);
	T_OK(bl_get(&p.bl, &x) == NULL);
	T_OK(logged(&a,
	    "alice logged in from 203.0.113.6 2m 0s after it was "
	    "blacklisted for sender-forgery: blacklisting cleared"));
	/* ... but not 11 minutes later, and never a DNSBL listing */
	ev = reject(EVENT_RECIPIENT_FORGERY, "203.0.113.7", t);
	policy_event(&p, &ev, t, &a);
	ev = reject(EVENT_RBL, "203.0.113.8", t);
	policy_event(&p, &ev, t, &a);
	login = reject(EVENT_LOGIN, "203.0.113.7", t + 660);
	login.user = SPAN_LIT("bob");
	policy_event(&p, &login, t + 660, &a);
	login = reject(EVENT_LOGIN, "203.0.113.8", t + 60);
	login.user = SPAN_LIT("carol");
	policy_event(&p, &login, t + 660, &a);
	ipaddr_parse(&x, "203.0.113.7", 11);
	T_OK(bl_get(&p.bl, &x) != NULL);
	ipaddr_parse(&x, "203.0.113.8", 11);
	T_OK(bl_get(&p.bl, &x) != NULL);

	/* fishing: the 6th distinct address lists and bans for a week */
	ev = reject(EVENT_UNKNOWN_RECIPIENT, "198.18.0.66", t);
	for (int i = 0; i < 6; i++) {
		char to[32];
		snprintf(to, sizeof(to), "a%d@example.test", i);
		ev.addr = (struct span){to, strlen(to)};
		ev.time = t + 40 * i;
		policy_event(&p, &ev, ev.time, &a);
	}
	ipaddr_parse(&x, "198.18.0.66", 11);
	r = bl_get(&p.bl, &x);
	T_OK(r != NULL && r->origin == BL_FISHING);
	T_EQ_INT(r->ban_end, t + 200 + 604800);
	T_OK(strstr(r->reason, "a5@example.test") != NULL);
	/* a DNSBL-listed IP that goes fishing is banned the same */
	ev = reject(EVENT_RBL, "198.18.0.67", t);
	policy_event(&p, &ev, t, &a);
	ev = reject(EVENT_UNKNOWN_RECIPIENT, "198.18.0.67", t + 100);
	for (int i = 0; i < 2; i++) {
		ev.addr = i ? SPAN_LIT("b1@example.test")
			    : SPAN_LIT("b0@example.test");
		ev.time = t + 100 + 10 * i;
		policy_event(&p, &ev, ev.time, &a);
	}
	ipaddr_parse(&x, "198.18.0.67", 11);
	r = bl_get(&p.bl, &x);
	T_OK(r != NULL && r->origin == BL_DNSBL && r->total == 2);
	T_EQ_INT(r->ban_end, t + 110 + 604800);
	T_OK(logged(&a, "banned until"));

	/* failed SMTP AUTH: the 6th in 10 minutes lists */
	ev = reject(EVENT_SASL_FAIL, "203.0.113.99", t);
	ipaddr_parse(&x, "203.0.113.99", 12);
	for (int i = 0; i < 6; i++) {
		ev.time = t + 30 * i;
		policy_event(&p, &ev, ev.time, &a);
		T_EQ_INT(bl_get(&p.bl, &x) != NULL, i == 5);
	}
	char want[128], d[64];
	snprintf(want, sizeof(want), "6 failed SMTP AUTH attempts in %s",
	    dur_fmt(cfg.af.window, d, sizeof(d)));
	T_EQ_STR(bl_get(&p.bl, &x)->reason, want);
	/* later failures are repeats */
	ev.time = t + 200;
	policy_event(&p, &ev, ev.time, &a);
	T_EQ_INT(bl_get(&p.bl, &x)->total, 2);
	T_EQ_STR(bl_get(&p.bl, &x)->reason, want);
	/* a kind whose threshold is 0 is not counted at all, not even as
	 * a repeat of a listed IP */
	struct policy_cfg off = cfg;
	off.af.threshold[AF_SASL] = 0;
	policy_configure(&p, &off);
	ev.time = t + 210;
	policy_event(&p, &ev, ev.time, &a);
	T_EQ_INT(bl_get(&p.bl, &x)->total, 2);
	/* a reloaded window shows in the next listing's reason */
	off = cfg;
	off.af.window = 3 * 3600;
	off.af.threshold[AF_SASL] = 1;
	policy_configure(&p, &off);
	ev = reject(EVENT_SASL_FAIL, "203.0.113.98", t + 300);
	for (int i = 0; i < 2; i++)
		policy_event(&p, &ev, ev.time, &a);
	ipaddr_parse(&x, "203.0.113.98", 12);
	snprintf(want, sizeof(want), "2 failed SMTP AUTH attempts in %s",
	    dur_fmt(3 * 3600, d, sizeof(d)));
	T_OK(bl_get(&p.bl, &x) != NULL &&
	    strcmp(bl_get(&p.bl, &x)->reason, want) == 0);
	policy_configure(&p, &cfg);

	/* relay denied, domain not found, content: logged only */
	actions_reset(&a);
	size_t before = bl_count(&p.bl);
	ev = reject(EVENT_RELAY_DENIED, "198.51.100.200", t);
	policy_event(&p, &ev, t, &a);
	ev = reject(EVENT_DOMAIN_NOT_FOUND, "198.51.100.201", t);
	policy_event(&p, &ev, t, &a);
	ev = reject(EVENT_CONTENT_REJECT, "198.51.100.202", t);
	ev.stage = SPAN_LIT("body");
	ev.detail = SPAN_LIT("cheap pills");
	policy_event(&p, &ev, t, &a);
	T_EQ_INT(bl_count(&p.bl), before);
	T_OK(logged(&a,
	    "relay access denied: from=<alice@example.test> "
	    "to=<alice@example.test> using 198.51.100.200"));
	T_OK(logged(&a, "sender domain not found"));
	T_OK(logged(&a, "body check rejected mail"));

	/* forget */
	ipaddr_parse(&x, "198.18.0.66", 11);
	T_OK(policy_forget(&p, &x, &a));
	T_OK(bl_get(&p.bl, &x) == NULL && fish_get(&p.fish, &x) == NULL);
	T_OK(!policy_forget(&p, &x, &a));
	policy_free(&p);
	actions_free(&a);
}

/* nlogged - the log lines that hold needle */
static int
nlogged(const struct actions *a, const char *needle)
{
	int n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].kind == ACT_LOG && strstr(a->v[i].text, needle);
	return n;
}

/* a listed IP caught fishing: the fishing ban and the repeat rule are one
 * decision - one ban, one record write, one "banned until" line - and
 * the admin's mail gives the time since the hit before, not 0 */
static void
test_listed_fisher(void)
{
	struct policy_cfg cfg = full_cfg(NULL, 0);
	struct policy p;
	struct actions a;
	struct event ev;
	struct ipaddr x;
	int64_t t = 1795700000;
	const struct action *act;

	cfg.bl.alert = 2;
	actions_init(&a);
	policy_init(&p, &cfg);
	/* listed by a DNSBL; 100 s later two unknown recipients 10 s apart:
	 * the second makes it a fisher, 110 s after its last hit (too slow
	 * for the repeat rule to ban) */
	ev = reject(EVENT_RBL, "198.18.0.70", t);
	policy_event(&p, &ev, t, &a);
	ev = reject(EVENT_UNKNOWN_RECIPIENT, "198.18.0.70", t + 100);
	ev.addr = SPAN_LIT("c0@example.test");
	policy_event(&p, &ev, ev.time, &a);
	actions_reset(&a);
	ev.addr = SPAN_LIT("c1@example.test");
	ev.time = t + 110;
	policy_event(&p, &ev, ev.time, &a);
	ipaddr_parse(&x, "198.18.0.70", 11);
	struct bl_rec *r = bl_get(&p.bl, &x);
	T_OK(r != NULL && r->total == 2);
	T_EQ_INT(r->ban_end, t + 110 + 604800);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	T_EQ_INT(actions_count(&a, ACT_BL_DIRTY), 1);
	T_EQ_INT(nlogged(&a, "banned until"), 1);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	act = first(&a, ACT_BAN);
	T_OK(act && act->last == t + 110 + 604800);
	act = first(&a, ACT_ALERT);
	T_OK(act && act->first == 110);

	/* fast enough for the repeat rule too (2 hits in 20 s): still one
	 * ban, the longer one */
	ev = reject(EVENT_RBL, "198.18.0.71", t);
	policy_event(&p, &ev, t, &a);
	ev = reject(EVENT_UNKNOWN_RECIPIENT, "198.18.0.71", t + 10);
	ev.addr = SPAN_LIT("d0@example.test");
	policy_event(&p, &ev, ev.time, &a);
	actions_reset(&a);
	ev.addr = SPAN_LIT("d1@example.test");
	ev.time = t + 20;
	policy_event(&p, &ev, ev.time, &a);
	ipaddr_parse(&x, "198.18.0.71", 11);
	r = bl_get(&p.bl, &x);
	T_OK(r != NULL && r->total == 2);
	T_EQ_INT(r->ban_end, t + 20 + 604800);
	T_EQ_INT(r->ban_start, t + 20);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	T_EQ_INT(actions_count(&a, ACT_BL_DIRTY), 1);
	T_EQ_INT(nlogged(&a, "banned until"), 1);
	act = first(&a, ACT_ALERT);
	T_OK(act && act->first == 20);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	T_EQ_INT(p.bl.st.bans, 2);
	policy_free(&p);
	actions_free(&a);
}

/* refusals by the map of IPs not listed here: counted, warned hourly */
static void
test_unknown(void)
{
	struct policy_cfg cfg = full_cfg(NULL, 0);
	struct policy p;
	struct actions a;
	struct event ev;
	int64_t t = 1795700000;

	actions_init(&a);
	policy_init(&p, &cfg);
	for (int i = 0; i < 100; i++) {
		ev = reject(EVENT_BLACKLISTED, "198.51.100.9", t + i * 60);
		policy_event(&p, &ev, ev.time, &a);
	}
	/* minutes 0, 60 (59 quiet) and none after: two warnings */
	T_EQ_INT(p.st.unknown, 100);
	T_EQ_INT(actions_count(&a, ACT_LOG), 2);
	T_OK(logged(&a, "has no record here (a stale map?)"));
	T_OK(logged(&a, "59 more such refusals since the last such warning"));
	T_EQ_INT(bl_count(&p.bl), 0);
	policy_free(&p);
	actions_free(&a);
}

int
main(void)
{
	test_unknown();
	test_abuse();
	test_listed_fisher();
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
