/*
 * test_fishing - unknown-recipient pairs and the fishing rule.
 */
#include <stdlib.h>

#include "policy/fishing.h"
#include "tlib.h"

static struct ipaddr
ip(const char *s)
{
	struct ipaddr a;

	ipaddr_parse(&a, s, strlen(s));
	return a;
}

int
main(void)
{
	struct fish_cfg cfg = {
	    .threshold = 5, .freq = 0.03333333, .expire = 259200};
	struct fishing f;
	struct actions a;
	struct ipaddr slow = ip("198.18.0.66"), fast = ip("198.18.0.77"),
		      odd = ip("198.18.0.88");
	uint32_t hits, n;
	char rcpt[32];
	int64_t t = 1110016810;

	actions_init(&a);
	fish_init(&f, &cfg);

	/* slow fishing: a new address every 40 s; the 6th is too many */
	for (int i = 1; i <= 6; i++) {
		snprintf(rcpt, sizeof(rcpt), "a%d@example.com", i);
		bool fishy = fish_event(&f, &slow, rcpt, "spam@fish.biz",
		    t + 40 * (i - 1), &hits, &n, &a);
		T_EQ_INT(n, (uint32_t)i);
		T_EQ_INT(fishy, i == 6);
	}
	/* each pair has its own times (popauth 3 copied the last row's) */
	struct fish_rec *rec = fish_get(&f, &slow);
	T_EQ_INT(rec->pairs[1].first, t + 40);
	T_EQ_INT(rec->pairs[5].first, t + 200);
	/* the same pair again counts hits, not pairs */
	fish_event(&f, &slow, "a1@example.com", "spam@fish.biz", t + 200, &hits,
	    &n, &a);
	T_EQ_INT(hits, 2);
	T_EQ_INT(n, 6);

	/* fast fishing: a second distinct pair within 30 s */
	T_OK(!fish_event(
	    &f, &fast, "info@example.com", "spam@fish.biz", t, &hits, &n, &a));
	T_OK(fish_event(&f, &fast, "sales@example.com", "spam@fish.biz", t + 30,
	    &hits, &n, &a));
	/* the same pair twice fast is a retrying MTA, not fishing */
	T_OK(!fish_event(&f, &odd, "x@example.com", "", t, &hits, &n, &a));
	T_OK(!fish_event(&f, &odd, "x@example.com", "", t + 1, &hits, &n, &a));
	/* 31 s after the previous one: slow enough */
	T_OK(!fish_event(&f, &odd, "y@example.com", "", t + 32, &hits, &n, &a));

	/* addresses are strings, not patterns (popauth 3's B3) */
	struct ipaddr z = ip("192.0.2.201");
	T_OK(!fish_event(&f, &z, "a**b@example.com", "x@y", t, &hits, &n, &a));
	fish_event(&f, &z, "zz|jim@example.com", "x@y", t + 100, &hits, &n, &a);
	fish_event(&f, &z, "jim@example.com", "x@y", t + 200, &hits, &n, &a);
	T_EQ_INT(n, 3);
	fish_event(
	    &f, &z, "user+tag@example.com", "x@y", t + 300, &hits, &n, &a);
	fish_event(
	    &f, &z, "user+tag@example.com", "x@y", t + 400, &hits, &n, &a);
	T_EQ_INT(hits, 2);
	T_EQ_INT(n, 4);

	/* bounded: one client cannot grow our memory */
	struct ipaddr big = ip("203.0.113.9");
	for (int i = 0; i < 500; i++) {
		snprintf(rcpt, sizeof(rcpt), "u%d@example.com", i);
		fish_event(&f, &big, rcpt, "", t + 1000 * i, &hits, &n, &a);
	}
	T_EQ_INT(fish_get(&f, &big)->npairs, FISH_MAX_PAIRS);

	/* expiry after 3 days of silence, on time */
	actions_reset(&a);
	fish_expire(&f, t + 30 + 259200 - 1, &a);
	T_OK(fish_get(&f, &fast) != NULL);
	fish_expire(&f, t + 30 + 259200, &a);
	T_OK(fish_get(&f, &fast) == NULL);
	T_EQ_INT(actions_count(&a, ACT_FISH_DIRTY), 1);
	size_t cnt;
	struct fish_rec **v = fish_sorted(&f, &cnt);
	T_EQ_INT(cnt, fish_count(&f));
	free(v);
	fish_free(&f);
	actions_free(&a);
	return t_done();
}
