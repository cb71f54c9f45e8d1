/*
 * test_blacklist - the blacklist cache and the repeat rule, with explicit
 * times, against popauth 3's arithmetic and its fixed bugs.
 */
#include <stdlib.h>

#include "policy/blacklist.h"
#include "tlib.h"

static const struct bl_cfg cfg = {
    .freq = 0.03333333,
    .total = 50,
    .freq_ban = 1800,
    .total_ban = 604800,
    .expire = 7776000,
};

static struct ipaddr
ip(const char *s)
{
	struct ipaddr a;

	ipaddr_parse(&a, s, strlen(s));
	return a;
}

/* the admin's mail: once per ban of an IP with alert hits or more, not
 * once per hit (popauth 3 mailed on every banning hit) */
static void
test_alert(void)
{
	struct bl_cfg c = cfg;
	struct blacklist bl;
	struct actions a;
	struct ipaddr x = ip("203.0.113.77");
	int64_t t0 = 1795700000, t = t0;
	struct bl_rec *r;

	c.alert = 25;
	actions_init(&a);
	bl_init(&bl, &c);
	r = bl_add(&bl, &x, BL_DNSBL, "zen", "", "", t0, 0, &a);
	/* a storm: a hit a second, 100 of them; banned from the second */
	for (int i = 0; i < 100; i++)
		bl_repeat(&bl, r, "", ++t, 0, &a);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	for (size_t i = 0; i < a.n; i++)
		if (a.v[i].kind == ACT_ALERT)
			T_OK(ipaddr_equal(&a.v[i].ip, &x) && a.v[i].first == 1);
	/* the ban ends; a new one later: a new mail */
	actions_reset(&a);
	t = r->ban_end + 3600;
	bl_repeat(&bl, r, "", t, 0, &a);
	bl_repeat(&bl, r, "", t, 0, &a);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	/* below the threshold: bans, no mail */
	actions_reset(&a);
	struct ipaddr y = ip("203.0.113.78");
	r = bl_add(&bl, &y, BL_DNSBL, "zen", "", "", t0, 0, &a);
	for (int i = 0; i < 10; i++)
		bl_repeat(&bl, r, "", t0 + i, 0, &a);
	T_OK(actions_count(&a, ACT_BAN) > 0);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 0);
	bl_free(&bl);
	actions_free(&a);
}

/* a record put back at start: the ban's start comes with it, and a ban
 * the admin may have been mailed about (the IP had reached the
 * threshold) is not mailed about again when a hit extends it; a ban
 * below the threshold, or a later ban, still is */
static void
test_restore_alert(void)
{
	struct bl_cfg c = cfg;
	struct blacklist bl;
	struct actions a;
	struct ipaddr x = ip("203.0.113.80"), y = ip("203.0.113.81"),
		      z = ip("203.0.113.82");
	int64_t t0 = 1795700000;
	struct bl_rec *r;

	c.alert = 25;
	actions_init(&a);
	bl_init(&bl, &c);
	/* banned at t0 after 30 hits, a week to run */
	r = bl_restore_ban(&bl, &x, BL_DNSBL, "zen", "", "", t0 - 100, t0,
	    t0 - 50, t0 + 604800, 30, 30, 1.0);
	T_EQ_INT(r->ban_start, t0 - 50);
	T_EQ_INT(r->ban_end, t0 + 604800);
	/* a storm extends it: no mail (there was one before the restart) */
	for (int i = 1; i <= 60; i++)
		bl_repeat(&bl, r, "", t0 + i, 0, &a);
	T_OK(actions_count(&a, ACT_BAN) > 0);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 0);
	T_EQ_INT(r->ban_start, t0 - 50);
	/* the ban ends; the next one is mailed about */
	actions_reset(&a);
	int64_t t = r->ban_end + 3600;
	bl_repeat(&bl, r, "", t, 0, &a);
	bl_repeat(&bl, r, "", t, 0, &a);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	T_EQ_INT(r->ban_start, t);

	/* a running ban of 10 hits: never mailed about; the hit that takes
	 * it past the threshold and extends it is */
	actions_reset(&a);
	r = bl_restore_ban(&bl, &y, BL_DNSBL, "zen", "", "", t0 - 100, t0,
	    t0 - 50, t0 + 1800, 10, 10, 1.0);
	for (int i = 1; i <= 20; i++)
		bl_repeat(&bl, r, "", t0 + i, 0, &a);
	T_EQ_INT(r->total, 30);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);

	/* the same from a file of schema 2 or a popauth 3 import (the ban's
	 * start not known: 0) */
	actions_reset(&a);
	r = bl_restore(&bl, &z, BL_IMPORT, "zen", "", "", t0 - 100, t0,
	    t0 + 1800, 10, 10, 1.0);
	T_EQ_INT(r->ban_start, 0);
	for (int i = 1; i <= 20; i++)
		bl_repeat(&bl, r, "", t0 + i, 0, &a);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	actions_reset(&a);
	r = bl_restore(&bl, &z, BL_IMPORT, "zen", "", "", t0 - 100, t0,
	    t0 + 1800, 30, 30, 1.0);
	for (int i = 1; i <= 20; i++)
		bl_repeat(&bl, r, "", t0 + i, 0, &a);
	T_OK(actions_count(&a, ACT_BAN) > 0);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 0);
	bl_free(&bl);
	actions_free(&a);
}

/* a listed IP caught fishing (bl_repeat's `until'): one decision for the
 * hit - one ban action, one log line - and the mail's gap is the time
 * since the hit before */
static void
test_repeat_until(void)
{
	struct bl_cfg c = cfg;
	struct blacklist bl;
	struct actions a;
	struct ipaddr x = ip("198.18.0.80"), y = ip("198.18.0.81");
	int64_t t0 = 1795700000;
	struct bl_rec *r;
	const struct action *ban = NULL, *mail = NULL;

	c.alert = 2;
	actions_init(&a);
	bl_init(&bl, &c);
	/* slow: the rate alone would not ban; `until' does */
	r = bl_add(&bl, &x, BL_DNSBL, "zen", "", "", t0, 0, &a);
	actions_reset(&a);
	T_OK(bl_repeat(&bl, r, "", t0 + 110, t0 + 110 + 604800, &a));
	T_EQ_INT(r->ban_end, t0 + 110 + 604800);
	T_EQ_INT(r->ban_start, t0 + 110);
	T_EQ_INT(r->last, t0 + 110);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	T_EQ_INT(actions_count(&a, ACT_BL_DIRTY), 1);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	T_EQ_INT(actions_count(&a, ACT_LOG), 1);
	for (size_t i = 0; i < a.n; i++) {
		if (a.v[i].kind == ACT_BAN)
			ban = &a.v[i];
		if (a.v[i].kind == ACT_ALERT)
			mail = &a.v[i];
	}
	T_OK(ban && ban->last == t0 + 110 + 604800 && ban->count == 2);
	T_OK(mail && mail->first == 110);
	T_EQ_INT(bl.st.bans, 1);

	/* fast: the rate bans for freq_ban, `until' for longer: the longer
	 * one, once */
	r = bl_add(&bl, &y, BL_DNSBL, "zen", "", "", t0, 0, &a);
	actions_reset(&a);
	T_OK(bl_repeat(&bl, r, "", t0 + 20, t0 + 20 + 604800, &a));
	T_EQ_INT(r->ban_end, t0 + 20 + 604800);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	T_EQ_INT(actions_count(&a, ACT_BL_DIRTY), 1);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	T_EQ_INT(actions_count(&a, ACT_LOG), 1);
	T_EQ_INT(bl.st.bans, 2);
	/* `until' earlier than the running ban's end changes nothing */
	actions_reset(&a);
	T_OK(!bl_repeat(&bl, r, "", t0 + 100, t0 + 600, &a));
	T_EQ_INT(r->ban_end, t0 + 20 + 604800);
	T_EQ_INT(actions_count(&a, ACT_BAN), 0);
	bl_free(&bl);
	actions_free(&a);
}

int
main(void)
{
	struct blacklist bl;
	struct actions a;
	struct ipaddr x = ip("198.51.100.7"), y = ip("2001:db8::25");
	struct bl_rec *r;
	int64_t t0 = 1110016800; /* 2005-03-05 10:00:00 */

	actions_init(&a);
	bl_init(&bl, &cfg);

	/* a new record: one hit, no ban, rate 0 */
	r = bl_add(&bl, &x, BL_DNSBL, "list.dsbl.org", "bad.example.net",
	    "http://dsbl.org/listing?ip=198.51.100.7", t0, 0, &a);
	T_EQ_INT(r->period, 1);
	T_EQ_INT(r->total, 1);
	T_EQ_INT(r->ban_end, 0);
	T_OK(r->rate == 0);
	T_EQ_INT(actions_count(&a, ACT_BL_MAP), 1);
	T_EQ_INT(actions_count(&a, ACT_BL_DIRTY), 1);
	T_EQ_INT(actions_count(&a, ACT_BAN), 0);
	T_EQ_INT(bl_next_expiry(&bl), t0 + 7776000);

	/* a repeat in the same second: rate = 2 / 0.001 = 2000, 30 min ban */
	actions_reset(&a);
	T_OK(bl_repeat(&bl, r, "bad.example.net", t0, 0, &a));
	T_EQ_INT(r->period, 2);
	T_EQ_INT(r->total, 2);
	T_OK(r->rate == 2000);
	T_EQ_INT(r->ban_end, t0 + 1800);
	T_EQ_INT(actions_count(&a, ACT_BL_MAP), 0); /* the map is unchanged */
	/* the firewall is told: the IP, the end, the hits so far */
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	for (size_t i = 0; i < a.n; i++)
		if (a.v[i].kind == ACT_BAN)
			T_OK(ipaddr_equal(&a.v[i].ip, &x) &&
			    a.v[i].last == t0 + 1800 && a.v[i].count == 2);

	/* 30 s later: still the same period (gap <= 1/freq), 3/30 > freq */
	actions_reset(&a);
	T_OK(bl_repeat(&bl, r, "bad.example.net", t0 + 30, 0, &a));
	T_EQ_INT(r->period, 3);
	T_OK(r->rate > 0.0999 && r->rate < 0.1001);
	T_EQ_INT(r->ban_end, t0 + 30 + 1800);
	T_EQ_INT(r->ban_start, t0); /* extended, not a new ban */

	/* 31 s after that: a new period, 1/31 < freq: no new ban, and -
	 * unlike popauth 3 - the running ban stays */
	actions_reset(&a);
	T_OK(!bl_repeat(&bl, r, "other.example.net", t0 + 61, 0, &a));
	T_EQ_INT(actions_count(&a, ACT_BAN), 0);
	T_EQ_INT(r->period, 1);
	T_EQ_INT(r->total, 4);
	T_EQ_INT(r->ban_end, t0 + 30 + 1800);
	T_EQ_STR(r->host, "other.example.net");
	T_OK(bl_banned(r, t0 + 61));
	T_OK(!bl_banned(r, t0 + 30 + 1800));

	/* a storm: hit 51 bans for a week; every later one extends it */
	for (int i = 0; i < 47; i++)
		bl_repeat(&bl, r, "", t0 + 100 + i, 0, &a);
	T_EQ_INT(r->total, 51);
	T_EQ_INT(r->ban_end, t0 + 146 + 604800);
	bl_repeat(&bl, r, "", t0 + 200, 0, &a);
	T_EQ_INT(r->ban_end, t0 + 200 + 604800);
	/* a slow, short-ban hit later does not shorten the week */
	bl_repeat(&bl, r, "", t0 + 2000, 0, &a);
	T_EQ_INT(r->ban_end, t0 + 2000 + 604800);
	/* the record lives 90 days after the later of last hit and ban end */
	T_EQ_INT(bl_expires(&bl, r), t0 + 2000 + 604800 + 7776000);
	/* the heap key lags (hits are O(1)); expiry still happens on time */
	actions_reset(&a);
	bl_expire(&bl, t0 + 2000 + 604800 + 7776000 - 1, &a);
	T_OK(bl_get(&bl, &x) == r);
	T_EQ_INT(actions_count(&a, ACT_BL_DIRTY), 0);

	/* an immediate ban (fishers) */
	actions_reset(&a);
	r = bl_add(
	    &bl, &y, BL_FISHING, "mail.example", "", "fishing", t0, 604800, &a);
	T_EQ_INT(r->ban_end, t0 + 604800);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	/* a ban that does not end later tells the firewall nothing */
	actions_reset(&a);
	T_OK(!bl_ban(&bl, r, t0 + 5, t0 + 600, "fishing", &a));
	T_EQ_INT(actions_count(&a, ACT_BAN), 0);
	T_EQ_INT(bl_count(&bl), 2);

	/* expiry on time */
	actions_reset(&a);
	bl_expire(&bl, t0 + 604800 + 7776000 - 1, &a);
	T_EQ_INT(bl_count(&bl), 2);
	bl_expire(&bl, t0 + 604800 + 7776000, &a);
	T_EQ_INT(bl_count(&bl), 1);
	T_EQ_INT(actions_count(&a, ACT_BL_MAP), 1);
	T_OK(bl_get(&bl, &y) == NULL);

	/* interned authorities; sorted listing; removal */
	struct bl_rec *r2 =
	    bl_add(&bl, &y, BL_DNSBL, "list.dsbl.org", "", "", t0, 0, &a);
	T_OK(r2->authority == bl_get(&bl, &x)->authority);
	size_t n;
	struct bl_rec **v = bl_sorted(&bl, &n);
	T_EQ_INT(n, 2);
	T_OK(v[0]->ip.af == 4 && v[1]->ip.af == 6);
	free(v);
	/* lifted by the admin: the ban ends now, the record expires that
	 * much sooner (on time, not at the old ban's end) */
	actions_reset(&a);
	r = bl_get(&bl, &x);
	bl_unban(&bl, r, t0 + 3000, &a);
	T_EQ_INT(r->ban_end, t0 + 3000);
	T_EQ_INT(actions_count(&a, ACT_UNBAN), 1);
	T_EQ_INT(actions_count(&a, ACT_BL_DIRTY), 1);
	T_OK(!bl_banned(r, t0 + 3000));
	T_EQ_INT(bl_expires(&bl, r), t0 + 3000 + 7776000);
	/* the heap's key for it is a lower bound again */
	T_OK(bl_next_expiry(&bl) <= t0 + 3000 + 7776000);
	T_OK(r->expiry.key <= t0 + 3000 + 7776000);
	/* a new ban after that one: its own start */
	bl_ban(&bl, r, t0 + 4000, t0 + 5000, "manual", &a);
	T_EQ_INT(r->ban_start, t0 + 4000);

	actions_reset(&a);
	bl_remove(&bl, r2, &a);
	T_EQ_INT(bl_count(&bl), 1);
	T_EQ_INT(actions_count(&a, ACT_UNBAN), 0); /* it had no ban */
	r = bl_get(&bl, &x);
	bl_remove(&bl, r, &a);
	T_EQ_INT(actions_count(&a, ACT_UNBAN), 1);

	/* names of origins round-trip */
	for (int o = 0; o < BL__COUNT; o++)
		T_EQ_INT(bl_origin_parse(bl_origin_name(o)), o);
	T_EQ_INT(bl_origin_parse("nonsense"), BL__COUNT);

	bl_free(&bl);
	actions_free(&a);
	test_alert();
	test_restore_alert();
	test_repeat_until();
	return t_done();
}
