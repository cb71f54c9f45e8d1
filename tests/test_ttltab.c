/*
 * test_ttltab - records that end `ttl' after their latest activity:
 * creation, activity without heap work, expiry in order, a new ttl,
 * unlinking, sorting, freeing.
 */
#include <stdlib.h>

#include "lib/ttltab.h"
#include "tlib.h"

struct rec {
	struct ttl_rec t;
	int payload;
};

static int freed;

static void
rec_free(struct ttl_rec *r)
{
	freed++;
	free(r);
}

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
	struct ttltab t;
	struct ipaddr a = ip("192.0.2.1"), b = ip("192.0.2.2"),
		      c = ip("2001:db8::1");
	struct ttl_rec *r;
	bool fresh;

	ttltab_init(&t, 100);
	T_EQ_INT(ttltab_next_expiry(&t), INT64_MAX);
	r = ttltab_get_or_new(&t, &b, 1000, sizeof(struct rec), &fresh);
	T_OK(fresh && r->last == 1000 && ((struct rec *)r)->payload == 0);
	T_OK(ttltab_get_or_new(&t, &b, 1001, sizeof(struct rec), &fresh) == r);
	T_OK(!fresh);
	ttltab_get_or_new(&t, &a, 1010, sizeof(struct rec), &fresh);
	ttltab_get_or_new(&t, &c, 1020, sizeof(struct rec), &fresh);
	T_EQ_INT(ttltab_count(&t), 3);
	T_EQ_INT(ttltab_next_expiry(&t), 1100);

	/* activity moves the end; the heap learns it only when it is due */
	ttltab_touch(r, 1050);
	ttltab_touch(r, 1040); /* never backwards */
	T_EQ_INT(r->last, 1050);
	T_EQ_INT(ttltab_next_expiry(&t), 1100); /* a lower bound */
	T_OK(ttltab_pop_expired(&t, 1100) == NULL);
	T_EQ_INT(ttltab_next_expiry(&t), 1110);
	r = ttltab_pop_expired(&t, 1110);
	T_OK(r != NULL && ipaddr_equal(&r->ip, &a));
	free(r);
	T_OK(ttltab_get(&t, &a) == NULL);

	/* a restored record gets its exact end */
	r = ttltab_get(&t, &c);
	r->last = 990;
	ttltab_restored(&t, r);
	T_EQ_INT(ttltab_next_expiry(&t), 1090);

	/* a new ttl applies to every record: ends 1000 and 1060 now */
	ttltab_set_ttl(&t, 10);
	r = ttltab_pop_expired(&t, 1060);
	T_OK(r != NULL && ipaddr_equal(&r->ip, &c));
	free(r);
	r = ttltab_pop_expired(&t, 1060);
	T_OK(r != NULL && ipaddr_equal(&r->ip, &b));
	free(r);
	T_EQ_INT(ttltab_count(&t), 0);

	/* sorted by IP (IPv4 first); unlink */
	ttltab_get_or_new(&t, &c, 2000, sizeof(struct rec), &fresh);
	ttltab_get_or_new(&t, &a, 2000, sizeof(struct rec), &fresh);
	size_t n;
	struct ttl_rec **v = ttltab_sorted(&t, &n);
	T_EQ_INT(n, 2);
	T_OK(ipaddr_equal(&v[0]->ip, &a) && ipaddr_equal(&v[1]->ip, &c));
	free(v);
	r = ttltab_get(&t, &a);
	ttltab_unlink(&t, r);
	free(r);
	T_EQ_INT(ttltab_count(&t), 1);
	T_EQ_INT(ttltab_next_expiry(&t), 2010);

	/* free: every record through the callback */
	ttltab_get_or_new(&t, &b, 3000, sizeof(struct rec), &fresh);
	ttltab_get_or_new(&t, &a, 3000, sizeof(struct rec), &fresh);
	ttltab_free(&t, rec_free);
	T_EQ_INT(freed, 3);
	return t_done();
}
