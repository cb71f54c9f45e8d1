/*
 * ttltab - records keyed by IP that end `ttl' seconds after their latest
 * activity; see ttltab.h.
 *
 * DIAGNOSTICS
 *	None.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "ttltab.h"

void
ttltab_init(struct ttltab *t, int64_t ttl)
{
	memset(t, 0, sizeof(*t));
	t->ttl = ttl;
	iptab_init(&t->tab, offsetof(struct ttl_rec, ip));
}

void
ttltab_free(struct ttltab *t, void (*rec_free)(struct ttl_rec *))
{
	struct ttl_rec *r;

	for (size_t c = 0; (r = iptab_next(&t->tab, &c)) != NULL;)
		rec_free(r);
	iptab_free(&t->tab);
	heap_free(&t->heap);
}

void
ttltab_set_ttl(struct ttltab *t, int64_t ttl)
{
	struct ttl_rec *r;

	if (ttl == t->ttl)
		return;
	t->ttl = ttl;
	for (size_t c = 0; (r = iptab_next(&t->tab, &c)) != NULL;)
		heap_rekey(&t->heap, &r->expiry, r->last + ttl);
}

struct ttl_rec *
ttltab_get(const struct ttltab *t, const struct ipaddr *ip)
{
	return iptab_get(&t->tab, ip);
}

size_t
ttltab_count(const struct ttltab *t)
{
	return iptab_count(&t->tab);
}

int64_t
ttltab_next_expiry(const struct ttltab *t)
{
	return heap_top_key(&t->heap);
}

struct ttl_rec *
ttltab_get_or_new(struct ttltab *t, const struct ipaddr *ip, int64_t when,
    size_t size, bool *fresh)
{
	struct ttl_rec *r = iptab_get(&t->tab, ip);

	*fresh = r == NULL;
	if (r != NULL)
		return r;
	r = xcalloc(1, size);
	r->ip = *ip;
	r->last = when;
	r->expiry.slot = HEAP_NONE;
	r->expiry.key = when + t->ttl;
	iptab_put(&t->tab, r);
	heap_push(&t->heap, &r->expiry);
	return r;
}

void
ttltab_restored(struct ttltab *t, struct ttl_rec *r)
{
	heap_rekey(&t->heap, &r->expiry, r->last + t->ttl);
}

void
ttltab_unlink(struct ttltab *t, struct ttl_rec *r)
{
	heap_remove(&t->heap, &r->expiry);
	iptab_del(&t->tab, &r->ip);
}

struct ttl_rec *
ttltab_pop_expired(struct ttltab *t, int64_t now)
{
	struct heap_node *top;

	while ((top = heap_top(&t->heap)) != NULL && top->key <= now) {
		struct ttl_rec *r = HEAP_ENTRY(top, struct ttl_rec, expiry);
		if (r->last + t->ttl > now) {
			/* active since it was keyed: its real end */
			heap_rekey(&t->heap, top, r->last + t->ttl);
			continue;
		}
		ttltab_unlink(t, r);
		return r;
	}
	return NULL;
}
