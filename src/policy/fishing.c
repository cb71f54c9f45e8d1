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
	iptab_init(&f->tab, offsetof(struct fish_rec, ip));
}

static void
rec_free(struct fish_rec *rec)
{
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
	struct fish_rec *rec;

	for (size_t c = 0; (rec = iptab_next(&f->tab, &c)) != NULL;)
		rec_free(rec);
	iptab_free(&f->tab);
	heap_free(&f->expiry);
}

void
fish_configure(struct fishing *f, const struct fish_cfg *cfg)
{
	struct fish_rec *rec;
	bool rekey = cfg->expire != f->cfg.expire;

	f->cfg = *cfg;
	if (!rekey)
		return;
	for (size_t c = 0; (rec = iptab_next(&f->tab, &c)) != NULL;)
		heap_rekey(&f->expiry, &rec->expiry, rec->last + cfg->expire);
}

struct fish_rec *
fish_get(const struct fishing *f, const struct ipaddr *ip)
{
	return iptab_get(&f->tab, ip);
}

size_t
fish_count(const struct fishing *f)
{
	return iptab_count(&f->tab);
}

int64_t
fish_next_expiry(const struct fishing *f)
{
	struct heap_node *top = heap_top(&f->expiry);

	return top ? top->key : INT64_MAX;
}

static struct fish_rec *
get_or_new(struct fishing *f, const struct ipaddr *ip, int64_t t)
{
	struct fish_rec *rec = iptab_get(&f->tab, ip);

	if (rec != NULL)
		return rec;
	rec = xcalloc(1, sizeof(*rec));
	rec->ip = *ip;
	rec->last = t;
	rec->expiry.slot = HEAP_NONE;
	rec->expiry.key = t + f->cfg.expire;
	iptab_put(&f->tab, rec);
	heap_push(&f->expiry, &rec->expiry);
	return rec;
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
	bool fresh = iptab_get(&f->tab, ip) == NULL;
	struct fish_rec *rec = get_or_new(f, ip, t);
	struct fish_pair *p = pair_find(rec, rcpt, sender);
	int64_t prev = rec->last;
	bool new_pair = p == NULL, fishing;

	if (new_pair) {
		p = pair_add(rec, rcpt, sender);
		p->first = p->last = t;
		p->hits = 1;
	} else {
		p->hits++;
		if (t > p->last)
			p->last = t;
	}
	if (t > rec->last)
		rec->last = t;
	/* the heap key stays a lower bound; fish_expire corrects it */
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
	struct fish_rec *rec = get_or_new(f, ip, last);
	struct fish_pair *p = pair_find(rec, rcpt, sender);

	if (p == NULL)
		p = pair_add(rec, rcpt, sender);
	p->first = first;
	p->last = last;
	p->hits = hits;
	if (last > rec->last)
		rec->last = last;
	heap_rekey(&f->expiry, &rec->expiry, rec->last + f->cfg.expire);
}

static void
unlink_rec(struct fishing *f, struct fish_rec *rec)
{
	heap_remove(&f->expiry, &rec->expiry);
	iptab_del(&f->tab, &rec->ip);
	rec_free(rec);
}

void
fish_forget(struct fishing *f, const struct ipaddr *ip, struct actions *out)
{
	struct fish_rec *rec = iptab_get(&f->tab, ip);

	if (rec == NULL)
		return;
	actions_add(out, ACT_FISH_DIRTY)->ip = *ip;
	unlink_rec(f, rec);
}

void
fish_expire(struct fishing *f, int64_t now, struct actions *out)
{
	struct heap_node *top;

	while ((top = heap_top(&f->expiry)) != NULL && top->key <= now) {
		struct fish_rec *rec = HEAP_ENTRY(top, struct fish_rec, expiry);
		if (rec->last + f->cfg.expire > now) {
			heap_rekey(&f->expiry, top, rec->last + f->cfg.expire);
			continue;
		}
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "address fishing data of %s has expired (%u "
			    "unknown "
			    "recipient(s), last %s)",
			    ipaddr_str(&rec->ip), rec->npairs,
			    time_str(rec->last));
		actions_add(out, ACT_FISH_DIRTY)->ip = rec->ip;
		unlink_rec(f, rec);
		f->expired++;
	}
}

static int
cmp_rec(const void *a, const void *b)
{
	const struct fish_rec *const *x = a, *const *y = b;

	return ipaddr_cmp(&(*x)->ip, &(*y)->ip);
}

struct fish_rec **
fish_sorted(const struct fishing *f, size_t *n)
{
	struct fish_rec **v = xcalloc(iptab_count(&f->tab) + 1, sizeof(*v));
	struct fish_rec *rec;
	size_t k = 0;

	for (size_t c = 0; (rec = iptab_next(&f->tab, &c)) != NULL;)
		v[k++] = rec;
	qsort(v, k, sizeof(*v), cmp_rec);
	*n = k;
	return v;
}
