/*
 * fishing - address fishing: unknown recipients, per IP.
 *
 * DESCRIPTION
 *	See fishing.h for the rule.  Unlike popauth 3, a new pair gets its
 *	own first and last time (not those of whatever row was read last),
 *	the null sender counts, and an address is never a pattern: "a**b"
 *	and "x|y" are just strings.
 *
 * SECURITY
 *	Recipient and sender addresses are chosen by the client.  They are
 *	copied as opaque bytes (bounded by the line length), compared
 *	byte-wise, and escaped in messages.  At most FISH_MAX_PAIRS per IP
 *	are kept, so one client cannot grow our memory.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/timefmt.h"
#include "fishing.h"

void
fish_init(struct fishing *f, const struct fish_cfg *cfg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	ttltab_init(&f->tab, cfg->expire);
}

static void
rec_free(struct ttl_rec *r)
{
	struct fish_rec *rec = (struct fish_rec *)r;

	for (uint32_t i = 0; i < rec->npairs; i++) {
		free(rec->pairs[i].rcpt);
		free(rec->pairs[i].sender);
	}
	free(rec->pairs);
	free(rec);
}

void
fish_free(struct fishing *f)
{
	ttltab_free(&f->tab, rec_free);
}

void
fish_configure(struct fishing *f, const struct fish_cfg *cfg)
{
	f->cfg = *cfg;
	ttltab_set_ttl(&f->tab, cfg->expire);
}

struct fish_rec *
fish_get(const struct fishing *f, const struct ipaddr *ip)
{
	return (struct fish_rec *)ttltab_get(&f->tab, ip);
}

size_t
fish_count(const struct fishing *f)
{
	return ttltab_count(&f->tab);
}

int64_t
fish_next_expiry(const struct fishing *f)
{
	return ttltab_next_expiry(&f->tab);
}

static struct fish_rec *
get_or_new(struct fishing *f, const struct ipaddr *ip, int64_t t, bool *fresh)
{
	return (struct fish_rec *)ttltab_get_or_new(
	    &f->tab, ip, t, sizeof(struct fish_rec), fresh);
}

static struct fish_pair *
pair_find(struct fish_rec *rec, const char *rcpt, const char *sender)
{
	for (uint32_t i = 0; i < rec->npairs; i++)
		if (strcmp(rec->pairs[i].rcpt, rcpt) == 0 &&
		    strcmp(rec->pairs[i].sender, sender) == 0)
			return &rec->pairs[i];
	return NULL;
}

/* pair_add - a new pair; when full, the one seen least recently goes */
static struct fish_pair *
pair_add(struct fish_rec *rec, const char *rcpt, const char *sender)
{
	struct fish_pair *p;

	if (rec->npairs == FISH_MAX_PAIRS) {
		p = &rec->pairs[0];
		for (uint32_t i = 1; i < rec->npairs; i++)
			if (rec->pairs[i].last < p->last)
				p = &rec->pairs[i];
		free(p->rcpt);
		free(p->sender);
	} else {
		if (rec->npairs == rec->cap) {
			rec->cap = rec->cap ? 2 * rec->cap : 4;
			rec->pairs =
			    xreallocarray(rec->pairs, rec->cap, sizeof(*p));
		}
		p = &rec->pairs[rec->npairs++];
	}
	memset(p, 0, sizeof(*p));
	p->rcpt = xstrdup(rcpt);
	p->sender = xstrdup(sender);
	return p;
}

bool
fish_event(struct fishing *f, const struct ipaddr *ip, const char *rcpt,
    const char *sender, int64_t t, uint32_t *pair_hits, uint32_t *npairs,
    struct actions *out)
{
	bool fresh, new_pair, fishing;
	struct fish_rec *rec = get_or_new(f, ip, t, &fresh);
	struct fish_pair *p = pair_find(rec, rcpt, sender);
	int64_t prev = rec->t.last;

	new_pair = p == NULL;

	if (new_pair) {
		p = pair_add(rec, rcpt, sender);
		p->first = p->last = t;
		p->hits = 1;
	} else {
		p->hits++;
		if (t > p->last)
			p->last = t;
	}
	ttltab_touch(&rec->t, t);
	actions_add(out, ACT_FISH_DIRTY)->ip = *ip;
	*pair_hits = p->hits;
	*npairs = rec->npairs;
	/* too many distinct pairs, or a new one hard on the heels of the
	 * previous unknown recipient */
	fishing = rec->npairs > f->cfg.threshold ||
	    (new_pair && !fresh && f->cfg.freq > 0 &&
		(double)(t > prev ? t - prev : 0) <= 1.0 / f->cfg.freq);
	return fishing;
}

void
fish_restore(struct fishing *f, const struct ipaddr *ip, const char *rcpt,
    const char *sender, int64_t first, int64_t last, uint32_t hits)
{
	bool fresh;
	struct fish_rec *rec = get_or_new(f, ip, last, &fresh);
	struct fish_pair *p = pair_find(rec, rcpt, sender);

	if (p == NULL)
		p = pair_add(rec, rcpt, sender);
	p->first = first;
	p->last = last;
	p->hits = hits;
	ttltab_touch(&rec->t, last);
	ttltab_restored(&f->tab, &rec->t);
}

void
fish_forget(struct fishing *f, const struct ipaddr *ip, struct actions *out)
{
	struct ttl_rec *rec = ttltab_get(&f->tab, ip);

	if (rec == NULL)
		return;
	actions_add(out, ACT_FISH_DIRTY)->ip = *ip;
	ttltab_unlink(&f->tab, rec);
	rec_free(rec);
}

void
fish_expire(struct fishing *f, int64_t now, struct actions *out)
{
	struct ttl_rec *r;

	while ((r = ttltab_pop_expired(&f->tab, now)) != NULL) {
		struct fish_rec *rec = (struct fish_rec *)r;
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "address fishing data of %s has expired (%u "
			    "unknown recipient(s), last %s)",
			    ipaddr_str(&r->ip), rec->npairs, time_str(r->last));
		actions_add(out, ACT_FISH_DIRTY)->ip = r->ip;
		rec_free(r);
		f->expired++;
	}
}

struct fish_rec **
fish_sorted(const struct fishing *f, size_t *n)
{
	return (struct fish_rec **)ttltab_sorted(&f->tab, n);
}
