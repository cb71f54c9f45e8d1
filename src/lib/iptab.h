/*
 * iptab - a hash table from IP address to a record pointer.
 *
 * Open addressing with linear probing and backward-shift deletion: no
 * tombstones, so a table that sees millions of inserts and deletes (an
 * attack storm, leases coming and going) stays as fast as a fresh one.
 * The table does not own the records; each record must start with (or
 * contain) the struct ipaddr it is keyed by, located by `key_offset'.
 */
#ifndef POPAUTH_IPTAB_H
#define POPAUTH_IPTAB_H

#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"

struct iptab_slot {
	void *rec;
	uint64_t hash;
};

struct iptab {
	struct iptab_slot *slots;
	size_t mask; /* capacity - 1 (capacity is a power of two) */
	size_t count;
	size_t key_offset; /* offsetof(record, ipaddr) */
};

void iptab_init(struct iptab *t, size_t key_offset);
void iptab_free(struct iptab *t); /* frees the slots, not the records */
void *iptab_get(const struct iptab *t, const struct ipaddr *ip);
/* iptab_put - insert rec (its key must not be present yet) */
void iptab_put(struct iptab *t, void *rec);
/* iptab_del - remove the record with this key; returns it or NULL */
void *iptab_del(struct iptab *t, const struct ipaddr *ip);
size_t iptab_count(const struct iptab *t);

/* iteration: for (size_t i = 0; (rec = iptab_next(t, &i)) != NULL;)
 * The table must not change during an iteration. */
void *iptab_next(const struct iptab *t, size_t *cursor);

/* iptab_sorted - every record, sorted by IP (ipaddr_cmp); *n of them in
 * an array the caller frees */
void **iptab_sorted(const struct iptab *t, size_t *n);

#endif
