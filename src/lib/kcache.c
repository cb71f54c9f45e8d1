/*
 * kcache - a fixed-size cache from short byte keys to small values (see
 * kcache.h).
 *
 * DESCRIPTION
 *	One array of entries, set after set; an entry is its header (hash,
 *	insertion stamp, key) followed by the value, padded to 8 bytes.
 *	The hash is FNV-1a from a random seed taken at kcache_new.
 *
 * SECURITY
 *	Keys are log text.  The key bytes are stored and compared, so a
 *	hash collision never returns another key's value; the seed keeps
 *	anyone from choosing keys that all fall into one set, which could
 *	otherwise evict a chosen entry on purpose.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kcache.h"
#include "mem.h"
#include "seed.h"

struct kc_entry {
	uint64_t hash;
	uint64_t stamp; /* 0: free; else the order of storing */
	uint8_t klen;
	char key[KCACHE_KEYMAX];
	/* the value follows, at an 8-byte boundary */
};

#define HEAD ((sizeof(struct kc_entry) + 7) & ~(size_t)7)

struct kcache {
	uint64_t seed, clock;
	size_t sets, stride;
	unsigned char *e;
};

struct kcache *
kcache_new(size_t sets, size_t value_size)
{
	struct kcache *kc = xcalloc(1, sizeof(*kc));

	kc->seed = seed_new(kc);
	kc->sets = sets ? sets : 1;
	kc->stride = HEAD + ((value_size + 7) & ~(size_t)7);
	kc->e = xcalloc(kc->sets * KCACHE_WAYS, kc->stride);
	return kc;
}

void
kcache_free(struct kcache *kc)
{
	if (kc == NULL)
		return;
	free(kc->e);
	free(kc);
}

static uint64_t
hash(uint64_t seed, const unsigned char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 31);
}

static struct kc_entry *
way(const struct kcache *kc, uint64_t h, int w)
{
	size_t set = (size_t)(h % kc->sets);

	return (struct kc_entry *)(void *)(kc->e +
	    (set * KCACHE_WAYS + (size_t)w) * kc->stride);
}

static void *
value_of(struct kc_entry *e)
{
	return (unsigned char *)e + HEAD;
}

/* find - key's entry, or NULL */
static struct kc_entry *
find(const struct kcache *kc, const void *key, size_t n, uint64_t h)
{
	for (int w = 0; w < KCACHE_WAYS; w++) {
		struct kc_entry *e = way(kc, h, w);
		if (e->stamp && e->hash == h && e->klen == n &&
		    memcmp(e->key, key, n) == 0)
			return e;
	}
	return NULL;
}

void *
kcache_put(struct kcache *kc, const void *key, size_t n)
{
	uint64_t h;
	struct kc_entry *e;

	if (n > KCACHE_KEYMAX)
		return NULL;
	h = hash(kc->seed, key, n);
	if ((e = find(kc, key, n, h)) == NULL) {
		/* a free way, else the one stored longest ago */
		e = way(kc, h, 0);
		for (int w = 1; w < KCACHE_WAYS && e->stamp; w++)
			if (way(kc, h, w)->stamp < e->stamp)
				e = way(kc, h, w);
		memset(e, 0, kc->stride);
		e->hash = h;
		e->klen = (uint8_t)n;
		memcpy(e->key, key, n);
	}
	e->stamp = ++kc->clock;
	return value_of(e);
}

void *
kcache_get(struct kcache *kc, const void *key, size_t n)
{
	struct kc_entry *e;

	if (n > KCACHE_KEYMAX)
		return NULL;
	e = find(kc, key, n, hash(kc->seed, key, n));
	return e ? value_of(e) : NULL;
}

void
kcache_del(struct kcache *kc, void *value)
{
	struct kc_entry *e =
	    (struct kc_entry *)(void *)((unsigned char *)value - HEAD);

	(void)kc;
	e->stamp = 0;
}
