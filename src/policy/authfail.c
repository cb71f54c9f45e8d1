/*
 * authfail - failed authentications per IP, counted in windows.
 *
 * DESCRIPTION
 *	A window starts with the first failure of a kind and lasts
 *	`window' seconds; a failure after that starts a new one.  This
 *	counts bursts (a brute-force run) and forgets a user's occasional
 *	typo.  A window's start and count are all that is stored, so a
 *	burst that straddles two windows is counted in halves.
 *
 * SECURITY
 *	Only the IP is kept (the user names tried are in the log, escaped).
 */
#include <stdlib.h>
#include <string.h>

#include "authfail.h"

void
af_init(struct authfail *a, const struct af_cfg *cfg)
{
	a->cfg = *cfg;
	ttltab_init(&a->tab, cfg->window);
}

static void
rec_free(struct ttl_rec *r)
{
	free(r);
}

void
af_free(struct authfail *a)
{
	ttltab_free(&a->tab, rec_free);
}

void
af_configure(struct authfail *a, const struct af_cfg *cfg)
{
	a->cfg = *cfg;
	ttltab_set_ttl(&a->tab, cfg->window);
}

struct af_rec *
af_get(const struct authfail *a, const struct ipaddr *ip)
{
	return (struct af_rec *)ttltab_get(&a->tab, ip);
}

size_t
af_count(const struct authfail *a)
{
	return ttltab_count(&a->tab);
}

int64_t
af_next_expiry(const struct authfail *a)
{
	return ttltab_next_expiry(&a->tab);
}

struct af_rec **
af_sorted(const struct authfail *a, size_t *n)
{
	return (struct af_rec **)ttltab_sorted(&a->tab, n);
}

static struct af_rec *
get_or_new(struct authfail *a, const struct ipaddr *ip, int64_t t)
{
	bool fresh;

	return (struct af_rec *)ttltab_get_or_new(
	    &a->tab, ip, t, sizeof(struct af_rec), &fresh);
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
	ttltab_touch(&rec->t, t);
	actions_add(out, ACT_AUTH_DIRTY)->ip = *ip;
	return rec->count[kind];
}

void
af_forget(struct authfail *a, const struct ipaddr *ip, struct actions *out)
{
	struct ttl_rec *rec = ttltab_get(&a->tab, ip);

	if (rec == NULL)
		return;
	actions_add(out, ACT_AUTH_DIRTY)->ip = *ip;
	ttltab_unlink(&a->tab, rec);
	free(rec);
}

void
af_restore(struct authfail *a, const struct ipaddr *ip, enum af_kind kind,
    int64_t first, int64_t last, uint32_t count)
{
	struct af_rec *rec = get_or_new(a, ip, last);

	rec->first[kind] = first;
	rec->count[kind] = count;
	ttltab_touch(&rec->t, last);
	ttltab_restored(&a->tab, &rec->t);
}

void
af_expire(struct authfail *a, int64_t now, struct actions *out)
{
	struct ttl_rec *rec;

	while ((rec = ttltab_pop_expired(&a->tab, now)) != NULL) {
		actions_add(out, ACT_AUTH_DIRTY)->ip = rec->ip;
		free(rec);
	}
}
