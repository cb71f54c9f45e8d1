/*
 * test_heap - the intrusive min-heap against a naive model.
 */
#include <stdlib.h>

#include "lib/heap.h"
#include "tlib.h"

#define N 2000

int
main(void)
{
	static struct heap_node nodes[N];
	struct heap h = HEAP_INIT;
	unsigned seed = 7;

	for (int i = 0; i < N; i++)
		nodes[i].slot = HEAP_NONE;
	for (int step = 0; step < 100000; step++) {
		seed = seed * 1103515245 + 12345;
		int i = (int)((seed >> 8) % N);
		int64_t key = (int64_t)((seed >> 4) % 100000);
		switch (step % 3) {
		case 0:
			if (!heap_contains(&nodes[i])) {
				nodes[i].key = key;
				heap_push(&h, &nodes[i]);
			}
			break;
		case 1:
			heap_remove(&h, &nodes[i]);
			break;
		case 2:
			heap_rekey(&h, &nodes[i], key);
			break;
		}
		if (step % 5000 == 0) {
			/* the top is the minimum of the members */
			int64_t min = INT64_MAX;
			size_t count = 0;
			for (int k = 0; k < N; k++)
				if (heap_contains(&nodes[k])) {
					count++;
					if (nodes[k].key < min)
						min = nodes[k].key;
				}
			T_EQ_INT(heap_count(&h), count);
			if (count)
				T_EQ_INT(heap_top(&h)->key, min);
		}
	}
	/* popping yields keys in order */
	int64_t prev = INT64_MIN;
	struct heap_node *top;
	while ((top = heap_top(&h)) != NULL) {
		T_OK(top->key >= prev);
		prev = top->key;
		heap_remove(&h, top);
		T_OK(!heap_contains(top));
	}
	heap_free(&h);
	return t_done();
}
