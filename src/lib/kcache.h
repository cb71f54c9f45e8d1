/*
 * kcache - a fixed-size cache from short byte keys to small values.
 *
 * For what a recogniser must remember from one log line to a later one
 * (a process's client address, a queue id's client), where the keys come
 * from log text and a flood of them must cost nothing but evictions.
 * Set-associative: a key's set of KCACHE_WAYS entries is chosen by a
 * seeded hash, a new key takes a free way of its set or the one stored
 * longest ago.  Memory is fixed at kcache_new; every operation is O(1).
 */
#ifndef POPAUTH_KCACHE_H
#define POPAUTH_KCACHE_H

#include <stddef.h>

#define KCACHE_KEYMAX 96 /* longer keys are not stored */
#define KCACHE_WAYS 4

struct kcache;

/* kcache_new - `sets' sets of KCACHE_WAYS entries, each with a value of
 * value_size bytes */
struct kcache *kcache_new(size_t sets, size_t value_size);
void kcache_free(struct kcache *kc);

/* kcache_put - the value of key to fill in: its entry if there is one,
 * else a new one (zeroed; another key's evicted if the set is full).
 * NULL if the key is longer than KCACHE_KEYMAX. */
void *kcache_put(struct kcache *kc, const void *key, size_t n);

/* kcache_get - the value stored under key, or NULL */
void *kcache_get(struct kcache *kc, const void *key, size_t n);

/* kcache_del - forget the entry of a value kcache_get or kcache_put
 * returned */
void kcache_del(struct kcache *kc, void *value);

#endif
