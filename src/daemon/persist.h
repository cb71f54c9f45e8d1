/*
 * persist - the engine's state to and from the store.
 *
 * Relay leases are written as the engine changes them (a few per
 * minute).  The blacklist, fishing and failed-authentication records can
 * change thousands of times a second in a storm, so they are written
 * behind: an action marks the IP dirty, and at the next commit each dirty
 * IP is written once, as it is then (or deleted if it is gone).
 */
#ifndef POPAUTH_PERSIST_H
#define POPAUTH_PERSIST_H

#include "../lib/iptab.h"
#include "../policy/policy.h"
#include "../sink/store.h"

enum persist_table { PERSIST_BL, PERSIST_FISH, PERSIST_AUTH, PERSIST__COUNT };

struct persist {
	struct iptab dirty[PERSIST__COUNT];
};

void persist_init(struct persist *ps);
void persist_free(struct persist *ps);

/* persist_load - every stored record into the engine; -1 on a read
 * error (logged) */
int persist_load(struct store *st, struct policy *pol);

/* persist_mark - ip's record in that table changed (or went) */
void
persist_mark(struct persist *ps, enum persist_table t, const struct ipaddr *ip);

/* persist_flush - write the dirty records as they are now */
void
persist_flush(struct persist *ps, struct store *st, const struct policy *pol);

/* persist_all - rewrite every table from the engine (after a failed
 * commit, or at the end of a replay) */
void
persist_all(struct persist *ps, struct store *st, const struct policy *pol);

#endif
