/*
 * blacklist - the local blacklist cache: who was rejected, how often, how
 * fast, and whether that earns a ban.
 *
 * One record per IP: first and last hit, ban end (0: never banned), hits
 * in the current period and in total, the rate of the latest hit, the
 * latest host name, the authority that blacklisted it (a DNSBL zone, or
 * this host) and why.  A hit on a known IP is a repeat: the original's
 * rule, with its bugs fixed (a later hit never shortens a ban).  Records
 * expire `expire' after the later of the last hit and the ban end.
 * Pure: times come in as arguments; changes go out as actions.
 */
#ifndef POPAUTH_BLACKLIST_H
#define POPAUTH_BLACKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/heap.h"
#include "../lib/iptab.h"
#include "actions.h"

/* why an IP is on the list (stored; decides what a login may clear) */
enum bl_origin {
	BL_DNSBL = 0, /* a DNSBL rejected it */
	BL_SENDER, /* sender address forgery */
	BL_RECIPIENT, /* recipient address forgery */
	BL_HELO, /* HELO forgery */
	BL_FISHING, /* unknown-recipient fishing */
	BL_AUTH, /* failed SMTP AUTH or POP/IMAP logins */
	BL_IMPORT, /* imported from popauth 3 */
	BL_MANUAL, /* `popauth ban' */
	BL__COUNT
};

struct bl_rec {
	struct ipaddr ip;
	uint8_t origin;
	uint32_t period; /* hits in the current period */
	uint32_t total; /* hits in all */
	int64_t first, last; /* hit times */
	int64_t ban_end; /* 0: never banned */
	int64_t ban_start; /* when the current or last ban began (0: not
	                    * known, or never banned) */
	int64_t alerted; /* ban_start of the ban the admin was mailed about
	                  * (-1: none; in memory only: see bl_restore_ban) */
	double rate; /* hits per second at the latest hit */
	const char *authority; /* interned */
	char *host; /* latest host name ("" if none) */
	char *reason;
	struct heap_node expiry; /* key: at most when the record goes (hits
	                          * leave it, bl_expire corrects it) */
};

struct bl_cfg {
	double freq; /* nullroute_freq, hits per second */
	uint32_t total; /* nullroute_total */
	int64_t freq_ban; /* nullroute_freq_ban */
	int64_t total_ban; /* nullroute_total_ban */
	int64_t expire; /* blacklist_expire */
	uint32_t alert; /* alert_threshold: mail the admin once per ban of an
	                 * IP with this many hits (0: never) */
};

struct bl_stats {
	uint64_t added, repeats, bans, expired, cleared;
};

struct blacklist {
	struct bl_cfg cfg;
	struct iptab tab;
	struct heap expiry;
	char **authorities; /* interned authority strings */
	size_t nauth;
	struct bl_stats st;
};

void bl_init(struct blacklist *bl, const struct bl_cfg *cfg);
void bl_free(struct blacklist *bl);
void bl_configure(struct blacklist *bl, const struct bl_cfg *cfg);

struct bl_rec *bl_get(const struct blacklist *bl, const struct ipaddr *ip);
size_t bl_count(const struct blacklist *bl);
/* bl_count_banned - records whose ban is on at now */
size_t bl_count_banned(const struct blacklist *bl, int64_t now);

/*
 * bl_add - a new record for ip at time t (ip must not be listed); `ban'
 * is an immediate ban length (0: none; fishing gets nullroute_fish_ban).
 * Logs and marks the record and the map changed.
 */
struct bl_rec *bl_add(struct blacklist *bl, const struct ipaddr *ip,
    enum bl_origin origin, const char *authority, const char *host,
    const char *reason, int64_t t, int64_t ban, struct actions *out);

/*
 * bl_repeat - another hit on a listed IP at time t: the period restarts
 * after a gap of more than 1/freq seconds; rate = period hits / gap (a
 * gap of 0 counts as 1 ms); more than `total' hits -> ban total_ban, else
 * a rate above freq -> ban freq_ban; `until' > 0: banned until then at
 * least, whatever the rate (a listed IP caught fishing).  A ban is never
 * shortened.  Returns true when this hit set or extended a ban.
 */
bool bl_repeat(struct blacklist *bl, struct bl_rec *rec, const char *host,
    int64_t t, int64_t until, struct actions *out);

/*
 * bl_ban - ban a listed IP until at least `until' without a hit (the
 * admin's `popauth ban'); a ban is never shortened.  Returns true when
 * this set or extended the ban.
 */
bool bl_ban(struct blacklist *bl, struct bl_rec *rec, int64_t t, int64_t until,
    const char *why, struct actions *out);

/* bl_unban - end rec's ban at t (the admin's word; the listing stays) */
void bl_unban(
    struct blacklist *bl, struct bl_rec *rec, int64_t t, struct actions *out);

/* bl_remove - forget a record (login grace, `popauth forget') */
void bl_remove(struct blacklist *bl, struct bl_rec *rec, struct actions *out);

/*
 * bl_restore_ban - a stored record back (at start); no actions.
 * ban_start: when its current or last ban began (0: not known).  Whether
 * the admin was mailed about that ban is not stored: if the IP has
 * reached alert_threshold, the ban counts as mailed about (an extension
 * after a restart mails nobody; a later ban does).
 */
struct bl_rec *bl_restore_ban(struct blacklist *bl, const struct ipaddr *ip,
    enum bl_origin origin, const char *authority, const char *host,
    const char *reason, int64_t first, int64_t last, int64_t ban_start,
    int64_t ban_end, uint32_t period, uint32_t total, double rate);

/* bl_restore - bl_restore_ban when the ban's start is not known (a
 * popauth 3 import) */
struct bl_rec *bl_restore(struct blacklist *bl, const struct ipaddr *ip,
    enum bl_origin origin, const char *authority, const char *host,
    const char *reason, int64_t first, int64_t last, int64_t ban_end,
    uint32_t period, uint32_t total, double rate);

/* bl_expires - when the record goes: the later of last hit and ban end,
 * plus the keep time */
int64_t bl_expires(const struct blacklist *bl, const struct bl_rec *rec);

/* bl_expire - drop the records whose time has come (<= now) */
void bl_expire(struct blacklist *bl, int64_t now, struct actions *out);
int64_t bl_next_expiry(const struct blacklist *bl);

/* bl_banned - the record's ban is on at time now */
static inline bool
bl_banned(const struct bl_rec *rec, int64_t now)
{
	return rec->ban_end > now;
}

/* bl_sorted - every record, sorted by IP (caller frees the array) */
struct bl_rec **bl_sorted(const struct blacklist *bl, size_t *n);

const char *bl_origin_name(enum bl_origin o);
/* bl_origin_parse - BL__COUNT if unknown */
enum bl_origin bl_origin_parse(const char *name);

#endif
