/*
 * iptab - a hash table from IP address to a record pointer.
 *
 * DESCRIPTION
 *	Capacity doubles at 70 % load.  Deletion shifts the following
 *	entries of the probe chain back (Knuth's algorithm R), so lookups
 *	never wade through deleted slots.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "iptab.h"
#include "mem.h"

static const struct ipaddr *
key_of(const struct iptab *t, const void *rec)
{
	return (const struct ipaddr *)((const char *)rec + t->key_offset);
}

void
iptab_init(struct iptab *t, size_t key_offset)
{
	t->mask = 15;
	t->count = 0;
	t->key_offset = key_offset;
	t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
}

void
iptab_free(struct iptab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->count = 0;
}

size_t
iptab_count(const struct iptab *t)
{
	return t->count;
}

void *
iptab_get(const struct iptab *t, const struct ipaddr *ip)
{
	uint64_t h = ipaddr_hash(ip);

	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		const struct iptab_slot *s = &t->slots[i];
		if (s->rec == NULL)
			return NULL;
		if (s->hash == h && ipaddr_equal(key_of(t, s->rec), ip))
			return s->rec;
	}
}

/* place - put (rec, h) in the first free slot of its chain */
static void
place(struct iptab_slot *slots, size_t mask, void *rec, uint64_t h)
{
	size_t i = h & mask;

	while (slots[i].rec != NULL)
		i = (i + 1) & mask;
	slots[i].rec = rec;
	slots[i].hash = h;
}

#define HUGE_PAGE (2u << 20)

/* slots_new - a zeroed slot array; a large one on huge pages where the
 * kernel gives them (transparent huge pages, "madvise" mode): a lookup
 * in a table of a million IPs is a random access, and a TLB miss on
 * top of the cache miss would double its cost */
static struct iptab_slot *
slots_new(size_t n)
{
	size_t size = n * sizeof(struct iptab_slot);
	struct iptab_slot *s;

	if (size < HUGE_PAGE)
		return xcalloc(n, sizeof(*s));
	s = xmalloc_aligned(HUGE_PAGE, size);
	(void)madvise(s, size, MADV_HUGEPAGE);
	memset(s, 0, size);
	return s;
}

void
iptab_put(struct iptab *t, void *rec)
{
	if ((t->count + 1) * 10 > (t->mask + 1) * 7) {
		size_t nmask = t->mask * 2 + 1;
		struct iptab_slot *ns = slots_new(nmask + 1);
		for (size_t i = 0; i <= t->mask; i++)
			if (t->slots[i].rec)
				place(ns, nmask, t->slots[i].rec,
				    t->slots[i].hash);
		free(t->slots);
		t->slots = ns;
		t->mask = nmask;
	}
	place(t->slots, t->mask, rec, ipaddr_hash(key_of(t, rec)));
	t->count++;
}

void *
iptab_del(struct iptab *t, const struct ipaddr *ip)
{
	uint64_t h = ipaddr_hash(ip);
	size_t i = h & t->mask;
	void *rec;

	for (;; i = (i + 1) & t->mask) {
		if (t->slots[i].rec == NULL)
			return NULL;
		if (t->slots[i].hash == h &&
		    ipaddr_equal(key_of(t, t->slots[i].rec), ip))
			break;
	}
	rec = t->slots[i].rec;
	/* backward shift: move later chain members into the hole */
	for (size_t j = (i + 1) & t->mask;; j = (j + 1) & t->mask) {
		if (t->slots[j].rec == NULL)
			break;
		size_t home = t->slots[j].hash & t->mask;
		/* j may move to i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].rec = NULL;
	t->slots[i].hash = 0;
	t->count--;
	return rec;
}

/* cmp_key - qsort_r order of two records by their keys */
static int
cmp_key(const void *a, const void *b, void *arg)
{
	size_t off = *(const size_t *)arg;
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return ipaddr_cmp((const struct ipaddr *)(const void *)(x + off),
	    (const struct ipaddr *)(const void *)(y + off));
}

void **
iptab_sorted(const struct iptab *t, size_t *n)
{
	void **v = xcalloc(t->count + 1, sizeof(*v));
	size_t k = 0, off = t->key_offset;
	void *rec;

	for (size_t c = 0; (rec = iptab_next(t, &c)) != NULL;)
		v[k++] = rec;
	qsort_r(v, k, sizeof(*v), cmp_key, &off);
	*n = k;
	return v;
}

void *
iptab_next(const struct iptab *t, size_t *cursor)
{
	while (*cursor <= t->mask) {
		void *rec = t->slots[(*cursor)++].rec;
		if (rec)
			return rec;
	}
	return NULL;
}
