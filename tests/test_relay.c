/*
 * test_relay - POP-before-SMTP leases with explicit times.
 */
#include <stdlib.h>

#include "lib/ipaddr.h"
#include "policy/relay.h"
#include "tlib.h"

static struct ipaddr
ip(const char *s)
{
	struct ipaddr a;

	if (!ipaddr_parse(&a, s, strlen(s)))
		abort();
	return a;
}

static const struct action *
find(const struct actions *a, enum action_kind k, size_t nth)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == k && nth-- == 0)
			return &a->v[i];
	return NULL;
}

static bool
logged(const struct actions *a, const char *needle)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == ACT_LOG && strstr(a->v[i].text, needle))
			return true;
	return false;
}

/* a new session, a refresh by the same user, by another user, expiry */
static void
test_lifecycle(void)
{
	struct relay r;
	struct actions a;
	struct ipaddr x = ip("192.0.2.10");
	const struct action *act;

	actions_init(&a);
	relay_init(&r, 1800);
	relay_login(&r, &x, "alice", "pop3 via test", 1000, 1000, &a);
	T_EQ_INT(relay_count(&r), 1);
	T_EQ_INT(actions_count(&a, ACT_RELAY_MAP), 1);
	T_OK(logged(&a,
	    "alice has authenticated a new relay session from "
	    "192.0.2.10"));
	act = find(&a, ACT_RELAY_PUT, 0);
	T_OK(act != NULL);
	if (act) {
		T_EQ_STR(act->text, "alice");
		T_EQ_INT(act->first, 1000);
		T_EQ_INT(act->last, 1000);
		T_EQ_INT(act->count, 1);
	}
	T_EQ_INT(relay_next_expiry(&r), 2800);

	/* the same user 20 minutes later: "20m 0s old ... x 2" */
	actions_reset(&a);
	relay_login(&r, &x, "alice", "pop3 via test", 2200, 2200, &a);
	T_OK(logged(&a,
	    "alice has refreshed authentication for a 20m 0s old "
	    "relay session from 192.0.2.10 x 2"));
	T_EQ_INT(actions_count(&a, ACT_RELAY_MAP), 0);
	act = find(&a, ACT_RELAY_PUT, 0);
	T_OK(act && act->first == 1000 && act->last == 2200 && act->count == 2);
	T_EQ_INT(relay_next_expiry(&r), 4000);

	/* another user on the same IP extends the lease for the IP */
	actions_reset(&a);
	relay_login(&r, &x, "bob", "imap via test", 2500, 2500, &a);
	T_OK(logged(&a,
	    "bob has refreshed authentication for an existing "
	    "relay session from 192.0.2.10"));
	T_EQ_INT(relay_next_expiry(&r), 4300);
	T_EQ_INT(relay_get(&r, &x)->nusers, 2);

	/* nothing is due just before the end */
	actions_reset(&a);
	relay_expire(&r, 4299, &a);
	T_EQ_INT(a.n, 0);
	T_EQ_INT(relay_count(&r), 1);
	/* at the end it goes, with one drop and one map change */
	relay_expire(&r, 4300, &a);
	T_EQ_INT(relay_count(&r), 0);
	T_EQ_INT(actions_count(&a, ACT_RELAY_DROP), 1);
	T_EQ_INT(actions_count(&a, ACT_RELAY_MAP), 1);
	T_OK(logged(&a, "relay session from 192.0.2.10 has expired"));
	T_OK(logged(&a, "by bob"));
	T_EQ_INT(relay_next_expiry(&r), INT64_MAX);

	relay_free(&r);
	actions_free(&a);
}

/* late lines: never shorten a lease, never grant an ended one */
static void
test_late_lines(void)
{
	struct relay r;
	struct actions a;
	struct ipaddr x = ip("2001:db8::5"), y = ip("192.0.2.77");

	actions_init(&a);
	relay_init(&r, 600);
	relay_login(&r, &x, "alice", "t", 5000, 5000, &a);
	/* an older line for the same IP arrives afterwards */
	relay_login(&r, &x, "alice", "t", 4800, 5000, &a);
	T_EQ_INT(relay_next_expiry(&r), 5600);
	T_EQ_INT(relay_get(&r, &x)->users[0].last, 5000);
	T_EQ_INT(relay_get(&r, &x)->users[0].count, 2);
	/* a login whose lease ended before now is not granted */
	actions_reset(&a);
	relay_login(&r, &y, "carol", "t", 1000, 5000, &a);
	T_OK(relay_get(&r, &y) == NULL);
	T_EQ_INT(actions_count(&a, ACT_RELAY_MAP), 0);
	T_EQ_INT(r.st.stale, 1);
	/* ... but one that is still live is */
	relay_login(&r, &y, "carol", "t", 4500, 5000, &a);
	T_OK(relay_get(&r, &y) != NULL);
	T_EQ_INT(relay_next_expiry(&r), 5100);
	relay_free(&r);
	actions_free(&a);
}

/* many IPs: the heap expires them in order, the table stays consistent */
static void
test_many(void)
{
	struct relay r;
	struct actions a;
	char buf[64];
	int64_t last = 0;

	actions_init(&a);
	relay_init(&r, 100);
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "10.%d.%d.%d", i >> 16,
		    (i >> 8) & 255, i & 255);
		struct ipaddr x = ip(buf);
		/* pseudo-random login times */
		int64_t t = 1000 + (i * 7919) % 3000;
		relay_login(&r, &x, "u", "t", t, 0, &a);
	}
	T_EQ_INT(relay_count(&r), 5000);
	for (int64_t now = 1000; now <= 4200; now += 37) {
		actions_reset(&a);
		relay_expire(&r, now, &a);
		T_OK(relay_next_expiry(&r) > now);
		if (relay_next_expiry(&r) != INT64_MAX) {
			T_OK(relay_next_expiry(&r) >= last);
			last = relay_next_expiry(&r);
		}
	}
	T_EQ_INT(relay_count(&r), 0);
	T_EQ_INT(r.st.expired, 5000);
	relay_free(&r);
	actions_free(&a);
}

/* restore from the store, then a changed lease length */
static void
test_restore_and_lease_change(void)
{
	struct relay r;
	struct actions a;
	struct ipaddr x = ip("192.0.2.1");
	size_t n;

	actions_init(&a);
	relay_init(&r, 1800);
	relay_restore(&r, &x, "alice", 100, 900, 3);
	relay_restore(&r, &x, "bob", 500, 1000, 1);
	T_EQ_INT(relay_next_expiry(&r), 2800);
	relay_set_lease(&r, 60);
	T_EQ_INT(relay_next_expiry(&r), 1060);
	const struct relay_ip **v = relay_sorted(&r, &n);
	T_EQ_INT(n, 1);
	free(v);
	relay_expire(&r, 1060, &a);
	T_EQ_INT(relay_count(&r), 0);
	relay_free(&r);
	actions_free(&a);
}

/* crafted user names are escaped in the log text */
static void
test_escaping(void)
{
	struct relay r;
	struct actions a;
	struct ipaddr x = ip("192.0.2.9");

	actions_init(&a);
	relay_init(&r, 1800);
	relay_login(&r, &x, "evil\nFeb 1 00:00:00 fake", "t", 10, 10, &a);
	T_OK(logged(&a, "evil\\x0aFeb 1"));
	relay_free(&r);
	actions_free(&a);
}

int
main(void)
{
	test_lifecycle();
	test_late_lines();
	test_many();
	test_restore_and_lease_change();
	test_escaping();
	return t_done();
}
