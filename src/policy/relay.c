/*
 * relay - POP-before-SMTP relay leases.
 *
 * DESCRIPTION
 *	A login on an IP without a lease starts a relay session; a login
 *	on a leased IP refreshes it (per user: first and last login,
 *	count).  The lease ends at the latest login + the lease length; a
 *	login that arrives late (an old line) never shortens it.  When it
 *	ends, the IP and all its user rows are forgotten, as the original
 *	forgot its spool file.
 *
 *	Log lines keep the original's wording in spirit: "... has
 *	authenticated a new relay session from IP", "... has refreshed
 *	authentication for a 20m 0s old relay session from IP x 2",
 *	"relay session from IP has expired".
 *
 * SECURITY
 *	User names are attacker-influenced (whoever logs in picks a name,
 *	and a strange one gets through the server's checks); they are
 *	escaped in every log line and stored as opaque text.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/numparse.h"
#include "../lib/sbuf.h"
#include "../lib/timefmt.h"
#include "relay.h"

void
relay_init(struct relay *r, int64_t lease)
{
	memset(r, 0, sizeof(*r));
	iptab_init(&r->tab, offsetof(struct relay_ip, ip));
	r->lease = lease;
}

static void
ip_free(struct relay_ip *rec)
{
	for (uint32_t i = 0; i < rec->nusers; i++)
		free(rec->users[i].name);
	free(rec->users);
	free(rec);
}

void
relay_free(struct relay *r)
{
	struct relay_ip *rec;

	for (size_t c = 0; (rec = iptab_next(&r->tab, &c)) != NULL;)
		ip_free(rec);
	iptab_free(&r->tab);
	heap_free(&r->expiry);
}

size_t
relay_count(const struct relay *r)
{
	return iptab_count(&r->tab);
}

const struct relay_ip *
relay_get(const struct relay *r, const struct ipaddr *ip)
{
	return iptab_get(&r->tab, ip);
}

int64_t
relay_next_expiry(const struct relay *r)
{
	return heap_top_key(&r->expiry);
}

/* ip_new - a lease record ending at `end', in table and heap */
static struct relay_ip *
ip_new(struct relay *r, const struct ipaddr *ip, int64_t end)
{
	struct relay_ip *rec = xcalloc(1, sizeof(*rec));

	rec->ip = *ip;
	rec->end.key = end;
	rec->end.slot = HEAP_NONE;
	iptab_put(&r->tab, rec);
	heap_push(&r->expiry, &rec->end);
	return rec;
}

static struct relay_user *
user_find(struct relay_ip *rec, const char *user)
{
	for (uint32_t i = 0; i < rec->nusers; i++)
		if (strcmp(rec->users[i].name, user) == 0)
			return &rec->users[i];
	return NULL;
}

/* user_add - a new row; when full, reuse the row seen least recently */
static struct relay_user *
user_add(struct relay_ip *rec, const char *user)
{
	struct relay_user *u;

	if (rec->nusers == RELAY_MAX_USERS) {
		u = &rec->users[0];
		for (uint32_t i = 1; i < rec->nusers; i++)
			if (rec->users[i].last < u->last)
				u = &rec->users[i];
		free(u->name);
	} else {
		if (rec->nusers == rec->capusers) {
			rec->capusers = rec->capusers ? 2 * rec->capusers : 2;
			rec->users = xreallocarray(
			    rec->users, rec->capusers, sizeof(*rec->users));
		}
		u = &rec->users[rec->nusers++];
	}
	memset(u, 0, sizeof(*u));
	u->name = xstrdup(user);
	return u;
}

/* put_row - tell the store about one user row */
static void
put_row(
    struct actions *out, const struct relay_ip *rec, const struct relay_user *u)
{
	struct action *a = actions_add(out, ACT_RELAY_PUT);

	a->ip = rec->ip;
	a->text = actions_str(out, u->name, strlen(u->name));
	a->first = u->first;
	a->last = u->last;
	a->count = u->count;
}

void
relay_login(struct relay *r, const struct ipaddr *ip, const char *user,
    const char *how, int64_t t, int64_t now, struct actions *out)
{
	struct relay_ip *rec = iptab_get(&r->tab, ip);
	int64_t end = t + r->lease;
	struct relay_user *u;
	char age[64];

	if (end <= now && (rec == NULL || rec->end.key <= now)) {
		r->st.stale++;
		if (actions_want(out, MSG_DEBUG))
			actions_log(out, MSG_DEBUG,
			    "%s logged in from %s at %s (%s), but that lease "
			    "ended at "
			    "%s: no relay",
			    escs(user), ipaddr_str(ip), time_str(t), how,
			    time_str(end));
		return;
	}
	if (rec == NULL) {
		rec = ip_new(r, ip, end);
		u = user_add(rec, user);
		u->first = u->last = t;
		u->count = 1;
		r->st.granted++;
		put_row(out, rec, u);
		actions_add(out, ACT_RELAY_MAP);
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "%s has authenticated a new relay session from %s "
			    "(%s); "
			    "relay allowed until %s",
			    escs(user), ipaddr_str(ip), how, time_str(end));
		return;
	}
	r->st.refreshed++;
	if (end > rec->end.key)
		heap_rekey(&r->expiry, &rec->end, end);
	if ((u = user_find(rec, user)) != NULL) {
		u->count++;
		if (t > u->last)
			u->last = t;
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "%s has refreshed authentication for a %s old "
			    "relay "
			    "session from %s x %u (%s); relay allowed until %s",
			    escs(user), dur_fmt(t - u->first, age, sizeof(age)),
			    ipaddr_str(ip), u->count, how,
			    time_str(rec->end.key));
	} else {
		u = user_add(rec, user);
		u->first = u->last = t;
		u->count = 1;
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "%s has refreshed authentication for an existing "
			    "relay "
			    "session from %s (%s); relay allowed until %s",
			    escs(user), ipaddr_str(ip), how,
			    time_str(rec->end.key));
	}
	put_row(out, rec, u);
}

void
relay_restore(struct relay *r, const struct ipaddr *ip, const char *user,
    int64_t first, int64_t last, uint32_t count)
{
	struct relay_ip *rec = iptab_get(&r->tab, ip);
	struct relay_user *u;

	if (rec == NULL)
		rec = ip_new(r, ip, last + r->lease);
	else if (last + r->lease > rec->end.key)
		heap_rekey(&r->expiry, &rec->end, last + r->lease);
	if ((u = user_find(rec, user)) == NULL)
		u = user_add(rec, user);
	u->first = first;
	u->last = last;
	u->count = count;
}

void
relay_expire(struct relay *r, int64_t now, struct actions *out)
{
	struct heap_node *top;
	bool changed = false;

	while ((top = heap_top(&r->expiry)) != NULL && top->key <= now) {
		struct relay_ip *rec = HEAP_ENTRY(top, struct relay_ip, end);
		const struct relay_user *latest = &rec->users[0];

		for (uint32_t i = 1; i < rec->nusers; i++)
			if (rec->users[i].last > latest->last)
				latest = &rec->users[i];
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "relay session from %s has expired (last login %s "
			    "by %s)",
			    ipaddr_str(&rec->ip), time_str(latest->last),
			    escs(latest->name));
		struct action *a = actions_add(out, ACT_RELAY_DROP);
		a->ip = rec->ip;
		heap_remove(&r->expiry, top);
		iptab_del(&r->tab, &rec->ip);
		ip_free(rec);
		r->st.expired++;
		changed = true;
	}
	if (changed)
		actions_add(out, ACT_RELAY_MAP);
}

void
relay_set_lease(struct relay *r, int64_t lease)
{
	struct relay_ip *rec;

	r->lease = lease;
	for (size_t c = 0; (rec = iptab_next(&r->tab, &c)) != NULL;) {
		int64_t last = rec->users[0].last;
		for (uint32_t i = 1; i < rec->nusers; i++)
			if (rec->users[i].last > last)
				last = rec->users[i].last;
		heap_rekey(&r->expiry, &rec->end, last + lease);
	}
}

const struct relay_ip **
relay_sorted(const struct relay *r, size_t *n)
{
	return (const struct relay_ip **)iptab_sorted(&r->tab, n);
}
