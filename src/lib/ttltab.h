/*
 * ttltab - records keyed by IP that end `ttl' seconds after their latest
 * activity (failed authentications, fishing).
 *
 * Each record starts with a struct ttl_rec.  The expiry heap holds a
 * lower bound of each record's end, corrected only when it comes up
 * (ttltab_pop_expired), so new activity on a record costs no heap work
 * however many records there are.
 */
#ifndef POPAUTH_TTLTAB_H
#define POPAUTH_TTLTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "iptab.h"
#include "ipaddr.h"

struct ttl_rec {
	struct ipaddr ip;
	int64_t last; /* the latest activity */
	struct heap_node expiry; /* key: at most last + ttl */
};

struct ttltab {
	struct iptab tab;
	struct heap heap;
	int64_t ttl;
};

void ttltab_init(struct ttltab *t, int64_t ttl);
/* ttltab_free - release the table; rec_free releases each record */
void ttltab_free(struct ttltab *t, void (*rec_free)(struct ttl_rec *));
/* ttltab_set_ttl - a new keep time for every record */
void ttltab_set_ttl(struct ttltab *t, int64_t ttl);

struct ttl_rec *ttltab_get(const struct ttltab *t, const struct ipaddr *ip);
size_t ttltab_count(const struct ttltab *t);
/* ttltab_next_expiry - when ttltab_pop_expired may next have one (a lower
 * bound), or INT64_MAX */
int64_t ttltab_next_expiry(const struct ttltab *t);

/*
 * ttltab_get_or_new - ip's record; a new one (zeroed, `size' bytes, last
 * = t) if there is none, with *fresh set.  New activity: raise ->last
 * (ttltab_touch); a record put back from storage: ttltab_restored.
 */
struct ttl_rec *ttltab_get_or_new(struct ttltab *t, const struct ipaddr *ip,
    int64_t when, size_t size, bool *fresh);

static inline void
ttltab_touch(struct ttl_rec *r, int64_t when)
{
	if (when > r->last)
		r->last = when;
}

/* ttltab_restored - r->last was set from storage: its exact end */
void ttltab_restored(struct ttltab *t, struct ttl_rec *r);

/* ttltab_unlink - take r out (the caller frees it) */
void ttltab_unlink(struct ttltab *t, struct ttl_rec *r);

/* ttltab_pop_expired - a record whose end is <= now, taken out (the
 * caller frees it), or NULL when there is none */
struct ttl_rec *ttltab_pop_expired(struct ttltab *t, int64_t now);

/* ttltab_sorted - every record, sorted by IP (caller frees the array) */
static inline struct ttl_rec **
ttltab_sorted(const struct ttltab *t, size_t *n)
{
	return (struct ttl_rec **)iptab_sorted(&t->tab, n);
}

#endif
