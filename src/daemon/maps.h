/*
 * maps - the text of the Postfix access maps popauth writes.
 *
 * relay map:      "<ip>\tOK" per live relay lease
 * blacklist map:  "<ip>\t<code> <text>" per blacklist record, the text
 *                 from blacklist_reply with {authority} and {reason}
 * Both sorted by IP, IPv6 as Postfix prints it.
 */
#ifndef POPAUTH_MAPS_H
#define POPAUTH_MAPS_H

#include "../lib/sbuf.h"
#include "../policy/policy.h"

struct blmap_ctx {
	const struct policy *pol;
	const char *reply; /* blacklist_reply */
};

/* maps_relay_fill - accessmap fill callback; arg: const struct policy * */
void maps_relay_fill(void *arg, struct sbuf *out);

/* maps_blacklist_fill - accessmap fill callback; arg: struct blmap_ctx * */
void maps_blacklist_fill(void *arg, struct sbuf *out);

/* maps_blacklist_value - the map value of one record */
void maps_blacklist_value(
    const char *reply, const struct bl_rec *rec, struct sbuf *out);

#endif
