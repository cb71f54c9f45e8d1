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

#include "actions.h"
#include "event.h"
#include "relay.h"

struct policy_cfg {
	int64_t relay_lease; /* seconds */
	unsigned login_protos; /* bit (1 << PROTO_x) set: logins that count */
};

#define POLICY_PROTO(p) (1u << (p))

struct policy_stats {
	uint64_t events[EVENT__COUNT];
	uint64_t ignored; /* events the configuration says not to count */
};

struct policy {
	struct policy_cfg cfg;
	struct relay relay;
	struct policy_stats st;
};

void policy_init(struct policy *p, const struct policy_cfg *cfg);
void policy_free(struct policy *p);

/* policy_configure - apply a reloaded configuration to the live state */
void policy_configure(struct policy *p, const struct policy_cfg *cfg);

/* policy_event - first end what is due at `now', then apply the event */
void policy_event(
    struct policy *p, const struct event *ev, int64_t now, struct actions *out);

/* policy_tick - end what is due at `now' (leases) */
void policy_tick(struct policy *p, int64_t now, struct actions *out);

/* policy_next_deadline - when policy_tick next has work, or INT64_MAX */
int64_t policy_next_deadline(const struct policy *p);

#endif
