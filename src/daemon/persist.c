/*
 * persist - the engine's state to and from the store.
 *
 * DESCRIPTION
 *	Loading restores every row through the modules' *_restore
 *	functions, which make no actions: the state at start is what was
 *	committed last.  Writing is behind (see persist.h): a storm of
 *	hits on 10,000 IPs costs at most 10,000 row writes per commit, not
 *	one per hit.
 *
 * DIAGNOSTICS
 *	Malformed rows are counted and skipped by the store (warning);
 *	an unknown origin name is read as a popauth 3 import.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/msg.h"
#include "persist.h"

struct dirty_ip {
	struct ipaddr ip;
};

void
persist_init(struct persist *ps)
{
	for (int t = 0; t < PERSIST__COUNT; t++)
		iptab_init(&ps->dirty[t], offsetof(struct dirty_ip, ip));
}

static void
clear_set(struct iptab *set)
{
	struct dirty_ip *d;

	for (size_t c = 0; (d = iptab_next(set, &c)) != NULL;)
		free(d);
	iptab_free(set);
	iptab_init(set, offsetof(struct dirty_ip, ip));
}

void
persist_free(struct persist *ps)
{
	for (int t = 0; t < PERSIST__COUNT; t++) {
		clear_set(&ps->dirty[t]);
		iptab_free(&ps->dirty[t]);
	}
}

void
persist_mark(struct persist *ps, enum persist_table t, const struct ipaddr *ip)
{
	struct dirty_ip *d;

	if (iptab_get(&ps->dirty[t], ip) != NULL)
		return;
	d = xmalloc(sizeof(*d));
	d->ip = *ip;
	iptab_put(&ps->dirty[t], d);
}

/* loading */

static void
load_relay(void *arg, const struct ipaddr *ip, const char *user, int64_t first,
    int64_t last, uint32_t count)
{
	struct policy *pol = arg;

	relay_restore(&pol->relay, ip, user, first, last, count);
}

static void
load_bl(void *arg, const struct store_bl_row *r)
{
	struct policy *pol = arg;
	enum bl_origin o = bl_origin_parse(r->origin);

	bl_restore_ban(&pol->bl, &r->ip, o == BL__COUNT ? BL_IMPORT : o,
	    r->authority, r->host, r->reason, r->first, r->last, r->ban_start,
	    r->ban_end, r->period, r->total, r->rate);
}

static void
load_fish(void *arg, const struct ipaddr *ip, const struct store_fish_row *r)
{
	struct policy *pol = arg;

	fish_restore(
	    &pol->fish, ip, r->rcpt, r->sender, r->first, r->last, r->hits);
}

static void
load_auth(void *arg, const struct ipaddr *ip, int kind, int64_t first,
    int64_t last, uint32_t count)
{
	struct policy *pol = arg;

	if (kind >= 0 && kind < AF__COUNT)
		af_restore(
		    &pol->af, ip, (enum af_kind)kind, first, last, count);
}

int
persist_load(struct store *st, struct policy *pol)
{
	if (store_relay_load(st, load_relay, pol) < 0 ||
	    store_bl_load(st, load_bl, pol) < 0 ||
	    store_fish_load(st, load_fish, pol) < 0 ||
	    store_auth_load(st, load_auth, pol) < 0)
		return -1;
	return 0;
}

/* writing */

static struct store_bl_row
bl_row(const struct bl_rec *rec)
{
	return (struct store_bl_row){
	    .ip = rec->ip,
	    .origin = bl_origin_name(rec->origin),
	    .first = rec->first,
	    .last = rec->last,
	    .ban_end = rec->ban_end,
	    .ban_start = rec->ban_start,
	    .period = rec->period,
	    .total = rec->total,
	    .rate = rec->rate,
	    .host = rec->host,
	    .authority = rec->authority,
	    .reason = rec->reason,
	};
}

static struct store_fish_row
fish_row(const struct fish_rec *rec, uint32_t i)
{
	return (struct store_fish_row){rec->pairs[i].rcpt, rec->pairs[i].sender,
	    rec->pairs[i].first, rec->pairs[i].last, rec->pairs[i].hits};
}

/* write_fish - ip's pairs as they are now */
static void
write_fish(
    struct store *st, const struct ipaddr *ip, const struct fish_rec *rec)
{
	struct store_fish_row rows[FISH_MAX_PAIRS];
	uint32_t n = rec ? rec->npairs : 0;

	for (uint32_t i = 0; i < n; i++)
		rows[i] = fish_row(rec, i);
	store_fish_set(st, ip, rows, n);
}

/* write_auth - ip's failure counts as they are now; `added': the file
 * holds none of them (a full rewrite) */
static void
write_auth(struct store *st, const struct ipaddr *ip, const struct af_rec *rec,
    bool added)
{
	if (!added)
		store_auth_drop(st, ip);
	for (int k = 0; rec && k < AF__COUNT; k++)
		if (rec->count[k])
			store_auth_set(st, ip, k, rec->first[k], rec->t.last,
			    rec->count[k]);
}

void
persist_flush(struct persist *ps, struct store *st, const struct policy *pol)
{
	struct dirty_ip *d;

	for (size_t c = 0;
	     (d = iptab_next(&ps->dirty[PERSIST_BL], &c)) != NULL;) {
		const struct bl_rec *rec = bl_get(&pol->bl, &d->ip);
		if (rec) {
			struct store_bl_row row = bl_row(rec);
			store_bl_put(st, &row);
		} else
			store_bl_drop(st, &d->ip);
	}
	for (size_t c = 0;
	     (d = iptab_next(&ps->dirty[PERSIST_FISH], &c)) != NULL;)
		write_fish(st, &d->ip, fish_get(&pol->fish, &d->ip));
	for (size_t c = 0;
	     (d = iptab_next(&ps->dirty[PERSIST_AUTH], &c)) != NULL;)
		write_auth(st, &d->ip, af_get(&pol->af, &d->ip), false);
	for (int t = 0; t < PERSIST__COUNT; t++)
		clear_set(&ps->dirty[t]);
}

void
persist_all(struct persist *ps, struct store *st, const struct policy *pol)
{
	size_t n;

	/* in IP order, which is the files' key order: each insert goes to
	 * the end of its table rather than anywhere in it */
	msg_debug("rewriting the whole state to %s", store_path(st));
	store_clear_all(st);
	const struct relay_ip **rv = relay_sorted(&pol->relay, &n);
	for (size_t i = 0; i < n; i++)
		for (uint32_t u = 0; u < rv[i]->nusers; u++)
			store_relay_put(st, &rv[i]->ip, rv[i]->users[u].name,
			    rv[i]->users[u].first, rv[i]->users[u].last,
			    rv[i]->users[u].count);
	free((void *)rv);
	struct bl_rec **bv = bl_sorted(&pol->bl, &n);
	struct store_bl_row *brows = xreallocarray(NULL, n, sizeof(*brows));
	for (size_t i = 0; i < n; i++)
		brows[i] = bl_row(bv[i]);
	store_bl_put_many(st, brows, n);
	free(brows);
	free(bv);
	struct fish_rec **fv = fish_sorted(&pol->fish, &n);
	size_t np = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		np += fv[i]->npairs;
	struct store_fish_ip_row *frows =
	    xreallocarray(NULL, np, sizeof(*frows));
	for (size_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < fv[i]->npairs; j++)
			frows[k++] = (struct store_fish_ip_row){
			    &fv[i]->t.ip, fish_row(fv[i], j)};
	store_fish_add_many(st, frows, np);
	free(frows);
	free(fv);
	struct af_rec **av = af_sorted(&pol->af, &n);
	for (size_t i = 0; i < n; i++)
		write_auth(st, &av[i]->t.ip, av[i], true);
	free(av);
	for (int t = 0; t < PERSIST__COUNT; t++)
		clear_set(&ps->dirty[t]);
}
