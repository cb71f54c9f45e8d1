/*
 * test_iptab - the IP hash table against a naive model.
 */
#include <stdlib.h>

#include "lib/iptab.h"
#include "tlib.h"

struct rec {
	struct ipaddr ip;
	int value;
};

#define N 4000

int
main(void)
{
	struct iptab t;
	static struct rec recs[N];
	static bool in[N];
	unsigned seed = 12345;

	iptab_init(&t, offsetof(struct rec, ip));
	for (int i = 0; i < N; i++) {
		recs[i].ip.af = i % 3 == 0 ? 6 : 4;
		recs[i].ip.a[0] = (uint8_t)(i >> 8);
		recs[i].ip.a[1] = (uint8_t)i;
		recs[i].ip.a[3] = 7;
		recs[i].value = i;
	}
	/* random inserts and deletes, checked against `in' */
	for (int step = 0; step < 200000; step++) {
		seed = seed * 1103515245 + 12345;
		int i = (int)((seed >> 8) % N);
		if (in[i]) {
			T_OK(iptab_del(&t, &recs[i].ip) == &recs[i]);
			in[i] = false;
		} else {
			T_OK(iptab_get(&t, &recs[i].ip) == NULL);
			iptab_put(&t, &recs[i]);
			in[i] = true;
		}
		if (step % 20000 == 0) {
			size_t count = 0;
			for (int k = 0; k < N; k++) {
				count += in[k];
				struct rec *got = iptab_get(&t, &recs[k].ip);
				if ((got != NULL) != in[k])
					t_fail(__FILE__, __LINE__,
					    "step %d: rec %d presence wrong",
					    step, k);
			}
			T_EQ_INT(iptab_count(&t), count);
		}
	}
	/* iteration sees each record once */
	size_t seen = 0, want = 0;
	struct rec *r;
	for (size_t c = 0; (r = iptab_next(&t, &c)) != NULL;) {
		T_OK(in[r->value]);
		seen++;
	}
	for (int k = 0; k < N; k++)
		want += in[k];
	T_EQ_INT(seen, want);
	/* v4 and v6 with the same bytes are different keys */
	struct rec a4 = {{4, {1, 2, 3, 4}}, 1}, a6 = {{6, {1, 2, 3, 4}}, 2};
	struct iptab u;
	iptab_init(&u, offsetof(struct rec, ip));
	iptab_put(&u, &a4);
	T_OK(iptab_get(&u, &a6.ip) == NULL);
	iptab_put(&u, &a6);
	T_OK(iptab_get(&u, &a6.ip) == &a6);
	T_OK(iptab_del(&u, &a4.ip) == &a4);
	T_OK(iptab_get(&u, &a6.ip) == &a6);
	iptab_free(&u);
	/* a table past the size that goes on huge pages: 200k keys, every
	 * one found after the growths, deletes shifting chains there too */
	enum { BIG = 200000 };
	struct rec *big = calloc(BIG, sizeof(*big));
	struct iptab h;
	iptab_init(&h, offsetof(struct rec, ip));
	for (int i = 0; i < BIG; i++) {
		big[i].ip.af = 4;
		big[i].ip.a[0] = 10;
		big[i].ip.a[1] = (uint8_t)(i >> 16);
		big[i].ip.a[2] = (uint8_t)(i >> 8);
		big[i].ip.a[3] = (uint8_t)i;
		iptab_put(&h, &big[i]);
	}
	for (int i = 0; i < BIG; i += 2)
		T_OK(iptab_del(&h, &big[i].ip) == &big[i]);
	size_t found = 0;
	for (int i = 0; i < BIG; i++)
		found += iptab_get(&h, &big[i].ip) == (i % 2 ? &big[i] : NULL);
	T_EQ_INT(found, BIG);
	T_EQ_INT(iptab_count(&h), BIG / 2);
	iptab_free(&h);
	free(big);
	iptab_free(&t);
	return t_done();
}
