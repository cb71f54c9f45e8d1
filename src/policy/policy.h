/*
 * policy - the engine: (state, event, time) -> actions, with no I/O.
 *
 * Every decision popauth makes is taken here, from an event and an
 * explicit clock, so that it can be tested with exact times and so that
 * a replay of old logs (clock = the lines' own time) reaches the state a
 * live daemon (clock = the wall clock) had.
 */
#ifndef POPAUTH_POLICY_H
#define POPAUTH_POLICY_H

#include <stdint.h>

#include "../lib/ipaddr.h"
#include "actions.h"
#include "authfail.h"
#include "blacklist.h"
#include "event.h"
#include "fishing.h"
#include "relay.h"

struct policy_cfg {
	int64_t relay_lease; /* seconds */
	unsigned login_protos; /* bit (1 << PROTO_x) set: logins that count */
	const char *myhostname; /* authority of our own blacklistings */
	const struct cidr *trusted; /* never blacklisted (copied) */
	size_t ntrusted;
	int64_t login_grace; /* a login clears own blacklistings this new */
	int64_t fish_ban; /* nullroute_fish_ban */
	struct bl_cfg bl;
	struct fish_cfg fish;
	struct af_cfg af;
};

#define POLICY_PROTO(p) (1u << (p))

struct policy_stats {
	uint64_t events[EVENT__COUNT];
	uint64_t ignored; /* events the configuration says not to count */
	uint64_t protected; /* hits on trusted, loopback or leased IPs */
	uint64_t unknown; /* refused by the blacklist map, not listed here */
};

struct policy {
	struct policy_cfg cfg; /* myhostname and trusted are ours */
	struct relay relay;
	struct blacklist bl;
	struct fishing fish;
	struct authfail af;
	struct policy_stats st;
	char af_window[64]; /* cfg.af.window as text, for reasons */
	/* "not listed here" warnings: at most one per hour of log time */
	int64_t unknown_warned; /* when the last one was written */
	uint64_t unknown_quiet; /* hits since then not written */
};

void policy_init(struct policy *p, const struct policy_cfg *cfg);
void policy_free(struct policy *p);

/* policy_configure - apply a reloaded configuration to the live state */
void policy_configure(struct policy *p, const struct policy_cfg *cfg);

/* policy_event - first end what is due at `now', then apply the event */
void policy_event(
    struct policy *p, const struct event *ev, int64_t now, struct actions *out);

/* policy_tick - end what is due at `now' (leases, records) */
void policy_tick(struct policy *p, int64_t now, struct actions *out);

/* policy_next_deadline - when policy_tick next has work, or INT64_MAX */
int64_t policy_next_deadline(const struct policy *p);

/* policy_protected - why ip must never be blacklisted ("loopback": the
 * host's own 127.0.0.1 or ::1; "trusted network"; "relay lease"), or
 * NULL */
const char *policy_protected(const struct policy *p, const struct ipaddr *ip);

/*
 * policy_ban - the admin bans ip until `until' (`popauth ban'): its record
 * (made if it has none: origin manual, listed by this host) gets the ban;
 * a ban already running longer is kept.  Returns the ban's end.  A
 * protected IP is banned all the same, with a warning.
 */
int64_t policy_ban(struct policy *p, const struct ipaddr *ip, int64_t until,
    int64_t now, struct actions *out);
/* policy_unban - end ip's ban now (`popauth unban'); its listing stays.
 * Returns whether it was banned */
bool policy_unban(struct policy *p, const struct ipaddr *ip, int64_t now,
    struct actions *out);

/* policy_forget - drop ip's blacklist record, fishing pairs and failed
 * authentications (`popauth forget'; a relay lease stays); returns
 * whether there was anything */
bool
policy_forget(struct policy *p, const struct ipaddr *ip, struct actions *out);

#endif
