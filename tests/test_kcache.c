/*
 * test_kcache - the fixed-size key cache: values kept and updated in
 * place, the oldest of a full set evicted, a deleted way reused, over-long
 * keys refused, binary keys compared whole.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/kcache.h"
#include "tlib.h"

struct val {
	int n;
	char tag[3]; /* an odd size: values are still aligned */
};

static struct val *
put(struct kcache *kc, const char *key, int n)
{
	struct val *v = kcache_put(kc, key, strlen(key));

	if (v != NULL) {
		v->n = n;
		v->tag[0] = 'x';
	}
	return v;
}

static int
get(struct kcache *kc, const char *key)
{
	struct val *v = kcache_get(kc, key, strlen(key));

	return v ? v->n : -1;
}

int
main(void)
{
	struct kcache *kc = kcache_new(64, sizeof(struct val));
	char key[KCACHE_KEYMAX + 2];

	T_CASE("kept, updated in place");
	struct val *a = put(kc, "host", 1);
	T_OK(a != NULL && ((uintptr_t)a & 7) == 0);
	T_EQ_INT(get(kc, "host"), 1);
	T_EQ_INT(get(kc, "nosuch"), -1);
	struct val *a2 = kcache_put(kc, "host", 4);
	T_OK(a2 == a && a2->n == 1); /* the same entry, not zeroed */

	T_CASE("binary keys compared whole");
	static const char pa1[5] = {'p', 0, 'a', 0, '1'};
	static const char pb1[5] = {'p', 0, 'b', 0, '1'};
	T_OK(kcache_put(kc, pa1, 5) != NULL);
	((struct val *)kcache_get(kc, pa1, 5))->n = 7;
	T_OK(kcache_get(kc, pb1, 5) == NULL);
	T_OK(kcache_get(kc, pa1, 4) == NULL);
	T_EQ_INT(((struct val *)kcache_get(kc, pa1, 5))->n, 7);

	T_CASE("over-long keys");
	memset(key, 'k', sizeof(key));
	T_OK(kcache_put(kc, key, KCACHE_KEYMAX + 1) == NULL);
	T_OK(kcache_get(kc, key, KCACHE_KEYMAX + 1) == NULL);
	T_OK(kcache_put(kc, key, KCACHE_KEYMAX) != NULL);
	T_OK(kcache_get(kc, key, KCACHE_KEYMAX) != NULL);
	kcache_free(kc);

	/* one set: every key competes for the same KCACHE_WAYS ways */
	T_CASE("the oldest of a full set goes");
	kc = kcache_new(1, sizeof(struct val));
	char k[KCACHE_WAYS + 3][8];
	for (int i = 0; i < KCACHE_WAYS + 3; i++)
		snprintf(k[i], sizeof(k[i]), "k%d", i);
	for (int i = 0; i < KCACHE_WAYS; i++)
		put(kc, k[i], i);
	put(kc, k[1], 11); /* stored again: now the newest */
	put(kc, k[KCACHE_WAYS], 100);
	T_EQ_INT(get(kc, k[0]), -1); /* the oldest, evicted */
	T_EQ_INT(get(kc, k[1]), 11);
	T_EQ_INT(get(kc, k[KCACHE_WAYS]), 100);
	put(kc, k[KCACHE_WAYS + 1], 101);
	T_EQ_INT(get(kc, k[2]), -1); /* next oldest; k1 was refreshed */
	T_EQ_INT(get(kc, k[1]), 11);
	/* a new entry comes zeroed, whatever its way held */
	struct val *fresh = kcache_put(kc, k[0], strlen(k[0]));
	T_OK(fresh->n == 0 && fresh->tag[0] == 0);
	fresh->n = 0;

	T_CASE("a deleted way is taken before anything is evicted");
	kcache_del(kc, kcache_get(kc, k[1], strlen(k[1])));
	T_EQ_INT(get(kc, k[1]), -1);
	int before = 0, after = 0;
	for (int i = 0; i < KCACHE_WAYS + 2; i++)
		before += get(kc, k[i]) >= 0;
	put(kc, k[KCACHE_WAYS + 2], 102);
	for (int i = 0; i < KCACHE_WAYS + 2; i++)
		after += get(kc, k[i]) >= 0;
	T_EQ_INT(before, KCACHE_WAYS - 1);
	T_EQ_INT(after, before);
	T_EQ_INT(get(kc, k[KCACHE_WAYS + 2]), 102);
	kcache_free(kc);

	T_CASE("a flood keeps the size and the newest");
	kc = kcache_new(8, sizeof(struct val));
	for (int i = 0; i < 10000; i++) {
		char fk[16];
		snprintf(fk, sizeof(fk), "f%d", i);
		put(kc, fk, i);
	}
	T_EQ_INT(get(kc, "f9999"), 9999);
	T_EQ_INT(get(kc, "f0"), -1);
	kcache_free(kc);
	kcache_free(NULL);
	return t_done();
}
