/*
 * heap - a binary min-heap of intrusive nodes, keyed by a 64-bit time.
 */
#include <stdlib.h>

#include "heap.h"
#include "mem.h"

static void
set(struct heap *h, size_t i, struct heap_node *node)
{
	h->v[i] = node;
	node->slot = i;
}

static void
sift_up(struct heap *h, size_t i)
{
	struct heap_node *node = h->v[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h->v[p]->key <= node->key)
			break;
		set(h, i, h->v[p]);
		i = p;
	}
	set(h, i, node);
}

static void
sift_down(struct heap *h, size_t i)
{
	struct heap_node *node = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->key < h->v[c]->key)
			c++;
		if (node->key <= h->v[c]->key)
			break;
		set(h, i, h->v[c]);
		i = c;
	}
	set(h, i, node);
}

void
heap_free(struct heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

void
heap_push(struct heap *h, struct heap_node *node)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	set(h, h->n++, node);
	sift_up(h, node->slot);
}

void
heap_remove(struct heap *h, struct heap_node *node)
{
	size_t i = node->slot;

	if (i == HEAP_NONE)
		return;
	node->slot = HEAP_NONE;
	if (--h->n == i)
		return;
	struct heap_node *moved = h->v[h->n];
	set(h, i, moved);
	sift_down(h, i);
	sift_up(h, moved->slot);
}

void
heap_rekey(struct heap *h, struct heap_node *node, int64_t key)
{
	node->key = key;
	if (node->slot == HEAP_NONE)
		return;
	sift_down(h, node->slot);
	sift_up(h, node->slot);
}

struct heap_node *
heap_top(const struct heap *h)
{
	return h->n ? h->v[0] : NULL;
}
