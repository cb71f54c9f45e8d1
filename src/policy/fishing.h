/*
 * fishing - address fishing: a client trying recipient after recipient
 * that does not exist here.
 *
 * Per IP, the distinct (recipient, sender) pairs Postfix refused as
 * unknown, each with its own first and last time and hit count.  The
 * rule: more than `threshold' distinct pairs, or a new distinct pair
 * within 1/freq seconds of the previous unknown-recipient event from that
 * IP, is fishing.  Addresses are compared as strings (popauth 3 compared
 * them as regexes).  A record goes after `expire' of silence.
 */
#ifndef POPAUTH_FISHING_H
#define POPAUTH_FISHING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/ttltab.h"
#include "actions.h"

/* pairs kept per IP: beyond what any threshold needs; the oldest goes */
#define FISH_MAX_PAIRS 64

struct fish_pair {
	char *rcpt, *sender;
	int64_t first, last;
	uint32_t hits;
};

struct fish_rec {
	struct ttl_rec t; /* ip, the latest unknown-recipient event */
	uint32_t npairs, cap;
	struct fish_pair *pairs;
};

struct fish_cfg {
	uint32_t threshold; /* fish_threshold */
	double freq; /* nullroute_freq */
	int64_t expire; /* fish_expire */
};

struct fishing {
	struct fish_cfg cfg;
	struct ttltab tab; /* of fish_rec, ttl: expire */
	uint64_t expired;
};

void fish_init(struct fishing *f, const struct fish_cfg *cfg);
void fish_free(struct fishing *f);
void fish_configure(struct fishing *f, const struct fish_cfg *cfg);

/*
 * fish_event - Postfix refused `rcpt' (from `sender') as unknown for ip
 * at time t.  Returns true when this event makes ip a fisher.  *pair_hits
 * gets the pair's hit count and *npairs the IP's distinct pairs (for the
 * log).
 */
bool fish_event(struct fishing *f, const struct ipaddr *ip, const char *rcpt,
    const char *sender, int64_t t, uint32_t *pair_hits, uint32_t *npairs,
    struct actions *out);

/* fish_restore - one stored pair back (at start) */
void fish_restore(struct fishing *f, const struct ipaddr *ip, const char *rcpt,
    const char *sender, int64_t first, int64_t last, uint32_t hits);

void fish_expire(struct fishing *f, int64_t now, struct actions *out);
int64_t fish_next_expiry(const struct fishing *f);
struct fish_rec *fish_get(const struct fishing *f, const struct ipaddr *ip);
size_t fish_count(const struct fishing *f);
/* fish_forget - drop an IP's record */
void
fish_forget(struct fishing *f, const struct ipaddr *ip, struct actions *out);
/* fish_sorted - every record, sorted by IP (caller frees the array) */
struct fish_rec **fish_sorted(const struct fishing *f, size_t *n);

#endif
