/*
 * relay - POP-before-SMTP relay leases.
 *
 * Per IP and user: first login, last login, login count.  An IP may relay
 * while now < its lease end = latest login of any user on it + the lease
 * length.  Leases are kept in a hash table by IP and in a min-heap by end,
 * so a login and an expiry cost O(log n) however many IPs hold a lease.
 * Pure: time comes in as arguments, effects go out as actions.
 */
#ifndef POPAUTH_RELAY_H
#define POPAUTH_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/heap.h"
#include "../lib/iptab.h"
#include "actions.h"

/* at most this many user rows per IP (a NAT gateway with many users);
 * beyond it the row seen least recently is reused */
#define RELAY_MAX_USERS 256

struct relay_user {
	char *name;
	int64_t first, last;
	uint32_t count;
};

struct relay_ip {
	struct ipaddr ip;
	struct heap_node end; /* key: lease end; node in the expiry heap */
	uint32_t nusers, capusers;
	struct relay_user *users;
};

struct relay_stats {
	uint64_t granted; /* new relay sessions */
	uint64_t refreshed; /* logins on an IP that had a lease */
	uint64_t expired;
	uint64_t stale; /* logins whose lease had ended before we saw them */
};

struct relay {
	struct iptab tab;
	struct heap expiry;
	int64_t lease;
	struct relay_stats st;
};

void relay_init(struct relay *r, int64_t lease);
void relay_free(struct relay *r);

/*
 * relay_login - `user' logged in from ip at time t (the line's time).
 * `now' is the engine's clock: a login whose lease would already have
 * ended is not granted.  `how' says where it came from ("pop3 via
 * dovecot") for the log.  A login never shortens a lease.
 */
void relay_login(struct relay *r, const struct ipaddr *ip, const char *user,
    const char *how, int64_t t, int64_t now, struct actions *out);

/* relay_restore - take one stored row back (at start); no actions */
void relay_restore(struct relay *r, const struct ipaddr *ip, const char *user,
    int64_t first, int64_t last, uint32_t count);

/* relay_expire - end every lease whose end <= now */
void relay_expire(struct relay *r, int64_t now, struct actions *out);

/* relay_next_expiry - earliest lease end, or INT64_MAX */
int64_t relay_next_expiry(const struct relay *r);

/* relay_set_lease - a new lease length (config reload): every lease end
 * becomes its last login + the new length */
void relay_set_lease(struct relay *r, int64_t lease);

const struct relay_ip *
relay_get(const struct relay *r, const struct ipaddr *ip);
size_t relay_count(const struct relay *r);

/* relay_sorted - every lease, sorted by IP (caller frees the array) */
const struct relay_ip **relay_sorted(const struct relay *r, size_t *n);

#endif
