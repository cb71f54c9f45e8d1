/*
 * actions - what the policy engine asks the outside world to do.
 *
 * The engine never does I/O.  It appends actions here - "store this
 * login row", "drop this IP's rows", "the relay map changed", "log this
 * line" - and the daemon (or a test) carries them out.  Strings belong to
 * the action list and live until actions_reset().
 */
#ifndef POPAUTH_ACTIONS_H
#define POPAUTH_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/ipaddr.h"
#include "../lib/msg.h"

enum action_kind {
	ACT_LOG, /* level, text */
	ACT_RELAY_PUT, /* ip, text = user, first, last, count: store the row */
	ACT_RELAY_DROP, /* ip: the lease ended, forget its rows */
	ACT_RELAY_MAP, /* the set of relay IPs changed: rewrite the map */
	ACT_BL_DIRTY, /* ip: its blacklist record changed or went */
	ACT_BL_MAP, /* the blacklist changed: rewrite its map */
	ACT_FISH_DIRTY, /* ip: its fishing record changed or went */
	ACT_AUTH_DIRTY, /* ip: its failed-authentication count changed */
	ACT_BAN, /* ip, last = ban end, count = total hits: drop its
	          * traffic until then (a later end than before) */
	ACT_UNBAN, /* ip: its ban was lifted before its end */
	ACT_ALERT, /* ip, first = seconds since the hit before: mail the
	            * admin about its ban (the record has the rest) */
};

struct action {
	enum action_kind kind;
	enum msg_level level;
	struct ipaddr ip;
	const char *text;
	int64_t first, last;
	uint32_t count;
};

struct actions {
	enum msg_level min_level; /* actions_log below this is dropped
	                           * unformatted (default MSG_DEBUG: none) */
	struct action *v;
	size_t n, cap;
	char **strs;
	size_t nstrs, capstrs;
};

void actions_init(struct actions *a);
void actions_reset(struct actions *a);
void actions_free(struct actions *a);
struct action *actions_add(struct actions *a, enum action_kind kind);
/* actions_str - copy n bytes into the list's own memory */
const char *actions_str(struct actions *a, const char *s, size_t n);
void actions_log(struct actions *a, enum msg_level level, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
/* actions_want - would a message at this level be kept?  Check it
 * before computing expensive message arguments. */
static inline bool
actions_want(const struct actions *a, enum msg_level level)
{
	return level >= a->min_level;
}

/* actions_count - how many actions of this kind are in the list */
size_t actions_count(const struct actions *a, enum action_kind kind);

#endif
