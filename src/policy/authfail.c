/*
 * authfail - failed authentications per IP, in a sliding window.
 *
 * DESCRIPTION
 *	A window starts with the first failure of a kind and lasts
 *	`window' seconds; a failure after that starts a new one.  This
 *	counts bursts (a brute-force run) and forgets a user's occasional
 *	typo.
 *
 * SECURITY
 *	Only the IP is kept (the user names tried are in the log, escaped).
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "authfail.h"

void
af_init(struct authfail *a, const struct af_cfg *cfg)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	iptab_init(&a->tab, offsetof(struct af_rec, ip));
}

void
af_free(struct authfail *a)
{
	struct af_rec *rec;

	for (size_t c = 0; (rec = iptab_next(&a->tab, &c)) != NULL;)
		free(rec);
	iptab_free(&a->tab);
	heap_free(&a->expiry);
}

void
af_configure(struct authfail *a, const struct af_cfg *cfg)
{
	struct af_rec *rec;
	bool rekey = cfg->window != a->cfg.window;

	a->cfg = *cfg;
	if (!rekey)
		return;
	for (size_t c = 0; (rec = iptab_next(&a->tab, &c)) != NULL;)
		heap_rekey(&a->expiry, &rec->expiry, rec->last + cfg->window);
}

struct af_rec *
af_get(const struct authfail *a, const struct ipaddr *ip)
{
	return iptab_get(&a->tab, ip);
}

size_t
af_count(const struct authfail *a)
{
	return iptab_count(&a->tab);
}

int64_t
af_next_expiry(const struct authfail *a)
{
	struct heap_node *top = heap_top(&a->expiry);

	return top ? top->key : INT64_MAX;
}

static struct af_rec *
get_or_new(struct authfail *a, const struct ipaddr *ip, int64_t t)
{
	struct af_rec *rec = iptab_get(&a->tab, ip);

	if (rec != NULL)
		return rec;
	rec = xcalloc(1, sizeof(*rec));
	rec->ip = *ip;
	rec->last = t;
	rec->expiry.slot = HEAP_NONE;
	rec->expiry.key = t + a->cfg.window;
	iptab_put(&a->tab, rec);
	heap_push(&a->expiry, &rec->expiry);
	return rec;
}

uint32_t
af_event(struct authfail *a, const struct ipaddr *ip, enum af_kind kind,
    int64_t t, struct actions *out)
{
	struct af_rec *rec = get_or_new(a, ip, t);

	if (rec->count[kind] == 0 || t - rec->first[kind] > a->cfg.window) {
		rec->first[kind] = t;
		rec->count[kind] = 0;
	}
	rec->count[kind]++;
	if (t > rec->last)
		rec->last = t;
	/* the heap key stays a lower bound; af_expire corrects it */
	actions_add(out, ACT_AUTH_DIRTY)->ip = *ip;
	return rec->count[kind];
}

static void
unlink_rec(struct authfail *a, struct af_rec *rec)
{
	heap_remove(&a->expiry, &rec->expiry);
	iptab_del(&a->tab, &rec->ip);
	free(rec);
}

void
af_forget(struct authfail *a, const struct ipaddr *ip, struct actions *out)
{
	struct af_rec *rec = iptab_get(&a->tab, ip);

	if (rec == NULL)
		return;
	actions_add(out, ACT_AUTH_DIRTY)->ip = *ip;
	unlink_rec(a, rec);
}

void
af_restore(struct authfail *a, const struct ipaddr *ip, enum af_kind kind,
    int64_t first, int64_t last, uint32_t count)
{
	struct af_rec *rec = get_or_new(a, ip, last);

	rec->first[kind] = first;
	rec->count[kind] = count;
	if (last > rec->last)
		rec->last = last;
	heap_rekey(&a->expiry, &rec->expiry, rec->last + a->cfg.window);
}

void
af_expire(struct authfail *a, int64_t now, struct actions *out)
{
	struct heap_node *top;

	while ((top = heap_top(&a->expiry)) != NULL && top->key <= now) {
		struct af_rec *rec = HEAP_ENTRY(top, struct af_rec, expiry);
		if (rec->last + a->cfg.window > now) {
			heap_rekey(&a->expiry, top, rec->last + a->cfg.window);
			continue;
		}
		actions_add(out, ACT_AUTH_DIRTY)->ip = rec->ip;
		unlink_rec(a, rec);
	}
}
