/*
 * blacklist - the local blacklist cache and the repeat-hit rule.
 *
 * DESCRIPTION
 *	Records live in a hash table by IP and in a min-heap by the time
 *	they expire, so a hit and an expiry cost O(log n) at most, however
 *	many IPs are listed.  Authorities (a handful of DNSBL zones and this
 *	host's name) are interned: a million records share them.
 *
 *	The repeat rule is popauth 3's: the hits of a period count up while
 *	hits come no more than 1/freq seconds apart; rate = period hits /
 *	seconds since the previous hit; more than `total' hits in all bans
 *	for total_ban, else a rate above freq bans for freq_ban.  Fixed: a
 *	slow hit no longer lifts a running ban, and no hit shortens one.
 *
 * SECURITY
 *	Host names and reasons come from log lines; they are stored as
 *	opaque text and escaped in every message.  The blacklist map (see
 *	daemon/maps.c) cleans them once more for the reply Postfix sends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/numparse.h"
#include "../lib/sbuf.h"
#include "../lib/timefmt.h"
#include "blacklist.h"

static const char *const origin_names[BL__COUNT] = {
    [BL_DNSBL] = "dnsbl",
    [BL_SENDER] = "sender-forgery",
    [BL_RECIPIENT] = "recipient-forgery",
    [BL_HELO] = "helo-forgery",
    [BL_FISHING] = "fishing",
    [BL_AUTH] = "auth-failures",
    [BL_IMPORT] = "popauth3",
    [BL_MANUAL] = "manual",
};

const char *
bl_origin_name(enum bl_origin o)
{
	return (unsigned)o < BL__COUNT ? origin_names[o] : "?";
}

enum bl_origin
bl_origin_parse(const char *name)
{
	for (int o = 0; o < BL__COUNT; o++)
		if (strcmp(origin_names[o], name) == 0)
			return (enum bl_origin)o;
	return BL__COUNT;
}

void
bl_init(struct blacklist *bl, const struct bl_cfg *cfg)
{
	memset(bl, 0, sizeof(*bl));
	bl->cfg = *cfg;
	iptab_init(&bl->tab, offsetof(struct bl_rec, ip));
}

static void
rec_free(struct bl_rec *rec)
{
	free(rec->host);
	free(rec->reason);
	free(rec);
}

void
bl_free(struct blacklist *bl)
{
	struct bl_rec *rec;

	for (size_t c = 0; (rec = iptab_next(&bl->tab, &c)) != NULL;)
		rec_free(rec);
	iptab_free(&bl->tab);
	heap_free(&bl->expiry);
	for (size_t i = 0; i < bl->nauth; i++)
		free(bl->authorities[i]);
	free(bl->authorities);
}

/* expires_at - the later of last hit and ban end, plus the keep time */
static int64_t
expires_at(const struct blacklist *bl, const struct bl_rec *rec)
{
	return (rec->ban_end > rec->last ? rec->ban_end : rec->last) +
	    bl->cfg.expire;
}

int64_t
bl_expires(const struct blacklist *bl, const struct bl_rec *rec)
{
	return expires_at(bl, rec);
}

void
bl_configure(struct blacklist *bl, const struct bl_cfg *cfg)
{
	struct bl_rec *rec;
	bool rekey = cfg->expire != bl->cfg.expire;

	bl->cfg = *cfg;
	if (!rekey)
		return;
	for (size_t c = 0; (rec = iptab_next(&bl->tab, &c)) != NULL;)
		heap_rekey(&bl->expiry, &rec->expiry, expires_at(bl, rec));
}

struct bl_rec *
bl_get(const struct blacklist *bl, const struct ipaddr *ip)
{
	return iptab_get(&bl->tab, ip);
}

size_t
bl_count(const struct blacklist *bl)
{
	return iptab_count(&bl->tab);
}

size_t
bl_count_banned(const struct blacklist *bl, int64_t now)
{
	const struct bl_rec *rec;
	size_t n = 0;

	for (size_t c = 0; (rec = iptab_next(&bl->tab, &c)) != NULL;)
		n += bl_banned(rec, now);
	return n;
}

int64_t
bl_next_expiry(const struct blacklist *bl)
{
	/* a lower bound: at worst a wake-up that finds nothing due */
	return heap_top_key(&bl->expiry);
}

/* intern - one copy of each authority string */
static const char *
intern(struct blacklist *bl, const char *s)
{
	for (size_t i = 0; i < bl->nauth; i++)
		if (strcmp(bl->authorities[i], s) == 0)
			return bl->authorities[i];
	bl->authorities =
	    xreallocarray(bl->authorities, bl->nauth + 1, sizeof(char *));
	return bl->authorities[bl->nauth++] = xstrdup(s);
}

/* link_new - a fresh record in the table and the heap */
static struct bl_rec *
link_new(struct blacklist *bl, const struct ipaddr *ip, enum bl_origin origin,
    const char *authority, const char *host, const char *reason)
{
	struct bl_rec *rec = xcalloc(1, sizeof(*rec));

	rec->ip = *ip;
	rec->origin = (uint8_t)origin;
	rec->authority = intern(bl, authority ? authority : "");
	rec->host = xstrdup(host ? host : "");
	rec->reason = xstrdup(reason ? reason : "");
	rec->alerted = -1;
	rec->expiry.slot = HEAP_NONE;
	iptab_put(&bl->tab, rec);
	return rec;
}

static void
dirty(struct actions *out, const struct bl_rec *rec, bool map)
{
	actions_add(out, ACT_BL_DIRTY)->ip = rec->ip;
	if (map)
		actions_add(out, ACT_BL_MAP);
}

/* ban_action - rec's ban now ends later than before: tell the firewall */
static void
ban_action(struct actions *out, const struct bl_rec *rec)
{
	struct action *a = actions_add(out, ACT_BAN);

	a->ip = rec->ip;
	a->last = rec->ban_end;
	a->count = rec->total;
}

/* alert - a ban applied to an IP with alert_threshold hits or more: the
 * admin hears of it once per ban, not per hit */
static void
alert(const struct blacklist *bl, struct bl_rec *rec, int64_t gap,
    struct actions *out)
{
	if (bl->cfg.alert == 0 || rec->total < bl->cfg.alert ||
	    rec->alerted == rec->ban_start)
		return;
	rec->alerted = rec->ban_start;
	struct action *a = actions_add(out, ACT_ALERT);
	a->ip = rec->ip;
	a->first = gap;
}

/* host_part - " [host]" for messages, or "" */
static const char *
host_part(const char *host)
{
	static char buf[600];

	if (host == NULL || *host == 0)
		return "";
	snprintf(buf, sizeof(buf), " [%s]", escs(host));
	return buf;
}

struct bl_rec *
bl_add(struct blacklist *bl, const struct ipaddr *ip, enum bl_origin origin,
    const char *authority, const char *host, const char *reason, int64_t t,
    int64_t ban, struct actions *out)
{
	struct bl_rec *rec = link_new(bl, ip, origin, authority, host, reason);
	char d[64];

	rec->first = rec->last = t;
	rec->period = rec->total = 1;
	rec->rate = 0;
	if (ban > 0) {
		rec->ban_start = t;
		rec->ban_end = t + ban;
		bl->st.bans++;
	}
	rec->expiry.key = expires_at(bl, rec);
	heap_push(&bl->expiry, &rec->expiry);
	bl->st.added++;
	dirty(out, rec, true);
	if (ban > 0)
		ban_action(out, rec);
	if (actions_want(out, MSG_INFO)) {
		if (ban > 0)
			actions_log(out, MSG_INFO,
			    "%s%s has been blacklisted by %s for %s (%s); "
			    "banned "
			    "for %s, until %s",
			    ipaddr_str(ip), host_part(host),
			    escs(rec->authority), bl_origin_name(origin),
			    escs(rec->reason), dur_fmt_short(ban, d, sizeof(d)),
			    time_str(rec->ban_end));
		else
			actions_log(out, MSG_INFO,
			    "%s%s has been blacklisted by %s for %s (%s)",
			    ipaddr_str(ip), host_part(host),
			    escs(rec->authority), bl_origin_name(origin),
			    escs(rec->reason));
	}
	return rec;
}

bool
bl_repeat(struct blacklist *bl, struct bl_rec *rec, const char *host, int64_t t,
    int64_t until, struct actions *out)
{
	int64_t prior = rec->last, gap = t > prior ? t - prior : 0, ban = 0;
	uint32_t period = rec->period + 1, total = rec->total + 1;
	double rate;
	bool banned = false;
	char age[64];

	/* a new period after a pause longer than 1/freq seconds */
	if (bl->cfg.freq > 0 && (double)gap > 1.0 / bl->cfg.freq)
		period = 1;
	rate = gap > 0 ? (double)period / (double)gap : (double)period / 0.001;
	if (bl->cfg.total && total > bl->cfg.total)
		ban = t + bl->cfg.total_ban;
	else if (bl->cfg.freq > 0 && rate > bl->cfg.freq)
		ban = t + bl->cfg.freq_ban;
	/* the caller's own ban (a listed IP caught fishing) is part of the
	 * same decision: one ban, one action, one line */
	if (until > ban)
		ban = until;
	/* a later hit never shortens a ban (popauth 3 could lift one) */
	if (ban > rec->ban_end) {
		if (rec->ban_end <= t) {
			bl->st.bans++;
			rec->ban_start = t;
		}
		rec->ban_end = ban;
		banned = true;
	}
	rec->period = period;
	rec->total = total;
	rec->rate = rate;
	if (t > rec->last)
		rec->last = t;
	if (host && *host && strcmp(host, rec->host) != 0) {
		free(rec->host);
		rec->host = xstrdup(host);
	}
	/* the heap key stays a lower bound of the real expiry time, and is
	 * corrected when it comes up (bl_expire): a hit costs O(1), not a
	 * walk down a heap of a million records */
	bl->st.repeats++;
	dirty(out, rec, false);
	if (banned) {
		ban_action(out, rec);
		alert(bl, rec, gap, out);
	}
	if (actions_want(out, MSG_INFO))
		actions_log(out, MSG_INFO,
		    "blacklisted %s%s tried again: x %u (%u total) hits in %s, "
		    "rate = %.6f/s%s%s",
		    ipaddr_str(&rec->ip), host_part(rec->host), period, total,
		    dur_fmt(gap, age, sizeof(age)), rate,
		    banned ? "; banned until " : "",
		    banned ? time_str(rec->ban_end) : "");
	return banned;
}

bool
bl_ban(struct blacklist *bl, struct bl_rec *rec, int64_t t, int64_t until,
    const char *why, struct actions *out)
{
	if (until <= rec->ban_end)
		return false;
	if (rec->ban_end <= t) {
		bl->st.bans++;
		rec->ban_start = t;
	}
	rec->ban_end = until;
	/* the expiry heap's key stays a lower bound (the end moved later) */
	dirty(out, rec, false);
	ban_action(out, rec);
	alert(bl, rec, t > rec->last ? t - rec->last : 0, out);
	if (actions_want(out, MSG_INFO))
		actions_log(out, MSG_INFO,
		    "blacklisted %s%s banned until %s (%s)",
		    ipaddr_str(&rec->ip), host_part(rec->host), time_str(until),
		    why);
	return true;
}

/* unlink_rec - out of table and heap, and freed */
static void
unlink_rec(struct blacklist *bl, struct bl_rec *rec)
{
	heap_remove(&bl->expiry, &rec->expiry);
	iptab_del(&bl->tab, &rec->ip);
	rec_free(rec);
}

void
bl_unban(
    struct blacklist *bl, struct bl_rec *rec, int64_t t, struct actions *out)
{
	rec->ban_end = t;
	/* the expiry may come sooner now: the heap key must stay a lower
	 * bound */
	heap_rekey(&bl->expiry, &rec->expiry, expires_at(bl, rec));
	dirty(out, rec, false);
	actions_add(out, ACT_UNBAN)->ip = rec->ip;
	if (actions_want(out, MSG_INFO))
		actions_log(out, MSG_INFO, "ban of %s%s lifted by the admin",
		    ipaddr_str(&rec->ip), host_part(rec->host));
}

void
bl_remove(struct blacklist *bl, struct bl_rec *rec, struct actions *out)
{
	bl->st.cleared++;
	dirty(out, rec, true);
	/* lifting a ban that has ended already is harmless */
	if (rec->ban_end != 0)
		actions_add(out, ACT_UNBAN)->ip = rec->ip;
	unlink_rec(bl, rec);
}

struct bl_rec *
bl_restore_ban(struct blacklist *bl, const struct ipaddr *ip,
    enum bl_origin origin, const char *authority, const char *host,
    const char *reason, int64_t first, int64_t last, int64_t ban_start,
    int64_t ban_end, uint32_t period, uint32_t total, double rate)
{
	struct bl_rec *rec = bl_get(bl, ip);

	if (rec != NULL)
		unlink_rec(bl, rec);
	rec = link_new(bl, ip, origin, authority, host, reason);
	rec->first = first;
	rec->last = last;
	rec->ban_start = ban_start > 0 ? ban_start : 0;
	rec->ban_end = ban_end > 0 ? ban_end : 0;
	rec->period = period;
	rec->total = total;
	rec->rate = rate;
	/* whether the admin was mailed is not stored: a ban of an IP that
	 * had reached the threshold counts as mailed about, so extending
	 * it after a restart mails nobody again.  A ban that ended makes
	 * no difference: the next one has a later start. */
	if (bl->cfg.alert && total >= bl->cfg.alert)
		rec->alerted = rec->ban_start;
	rec->expiry.key = expires_at(bl, rec);
	heap_push(&bl->expiry, &rec->expiry);
	return rec;
}

struct bl_rec *
bl_restore(struct blacklist *bl, const struct ipaddr *ip, enum bl_origin origin,
    const char *authority, const char *host, const char *reason, int64_t first,
    int64_t last, int64_t ban_end, uint32_t period, uint32_t total, double rate)
{
	return bl_restore_ban(bl, ip, origin, authority, host, reason, first,
	    last, 0, ban_end, period, total, rate);
}

void
bl_expire(struct blacklist *bl, int64_t now, struct actions *out)
{
	struct heap_node *top;
	bool changed = false;

	while ((top = heap_top(&bl->expiry)) != NULL && top->key <= now) {
		struct bl_rec *rec = HEAP_ENTRY(top, struct bl_rec, expiry);
		int64_t due = expires_at(bl, rec);
		if (due > now) {
			/* hit since it was keyed: not yet */
			heap_rekey(&bl->expiry, top, due);
			continue;
		}
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "blacklist record of %s%s has expired (blacklisted "
			    "%s by %s, last hit %s, %u hits)",
			    ipaddr_str(&rec->ip), host_part(rec->host),
			    time_str(rec->first), escs(rec->authority),
			    time_str(rec->last), rec->total);
		actions_add(out, ACT_BL_DIRTY)->ip = rec->ip;
		unlink_rec(bl, rec);
		bl->st.expired++;
		changed = true;
	}
	if (changed)
		actions_add(out, ACT_BL_MAP);
}

struct bl_rec **
bl_sorted(const struct blacklist *bl, size_t *n)
{
	return (struct bl_rec **)iptab_sorted(&bl->tab, n);
}
