/*
 * heap - a binary min-heap of intrusive nodes, keyed by a 64-bit time.
 *
 * A record embeds a struct heap_node; the node remembers its slot, so a
 * record can be removed or re-keyed in O(log n) without a search.  Used
 * for lease expiry (and anything else that must happen "at time t").
 */
#ifndef POPAUTH_HEAP_H
#define POPAUTH_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heap_node {
	int64_t key;
	size_t slot; /* HEAP_NONE when not in a heap */
};

#define HEAP_NONE ((size_t)-1)

struct heap {
	struct heap_node **v;
	size_t n, cap;
};

#define HEAP_INIT                                                              \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

/* container_of for a heap_node embedded in a record */
#define HEAP_ENTRY(node, type, member)                                         \
	((type *)(void *)((char *)(node)-offsetof(type, member)))

void heap_free(struct heap *h);
/* heap_push - insert a node that is in no heap */
void heap_push(struct heap *h, struct heap_node *node);
/* heap_remove - take a node out (no-op if it is in no heap) */
void heap_remove(struct heap *h, struct heap_node *node);
/* heap_rekey - change a node's key and restore the order */
void heap_rekey(struct heap *h, struct heap_node *node, int64_t key);
/* heap_top - the node with the smallest key, or NULL */
struct heap_node *heap_top(const struct heap *h);
/* heap_top_key - the smallest key, or INT64_MAX for an empty heap */
static inline int64_t
heap_top_key(const struct heap *h)
{
	return h->n ? h->v[0]->key : INT64_MAX;
}
static inline size_t
heap_count(const struct heap *h)
{
	return h->n;
}
static inline bool
heap_contains(const struct heap_node *node)
{
	return node->slot != HEAP_NONE;
}

#endif
