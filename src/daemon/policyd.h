/*
 * policyd - popauth as a Postfix policy service (check_policy_service):
 * Postfix asks about each client, popauth answers from memory, so a
 * fresh login or a new listing counts on the very next SMTP command,
 * with no map rebuild in between.
 */
#ifndef POPAUTH_POLICYD_H
#define POPAUTH_POLICYD_H

#include <stdint.h>

#include "../lib/sbuf.h"
#include "../parse/delegation.h"
#include "app.h"

struct loop;
struct policyd;

/* policyd_address_ok - spec is an address policyd_new can listen on (as
 * far as its text tells) */
bool policyd_address_ok(const char *spec);

/*
 * policyd_new - listen on every address of addrs, a NULL-terminated list
 * such as a config's policy_listen ("unix:/path", "inet:127.0.0.1:port",
 * "inet:[::1]:port"), on the loop; NULL and *err (which address, why) if
 * one cannot be had.  With no address (addrs NULL or empty): NULL, *err
 * NULL.  addrs is read here only; the rest of the config is read from
 * app->cfg as it is when a request or a timeout comes (blacklist_reply,
 * policy_relay_states, policy_idle_timeout), which may be a later config
 * than the one addrs came from.
 */
struct policyd *
policyd_new(struct loop *loop, struct app *app, char *const *addrs, char **err);
void policyd_free(struct policyd *pd);

/* the answers, by kind */
enum policyd_action { POLICYD_OK, POLICYD_REJECT, POLICYD_DUNNO, POLICYD__N };

/* policyd_answered - the answers given so far of each kind (all 0 for a
 * NULL pd) */
void policyd_answered(const struct policyd *pd, uint64_t counts[POLICYD__N]);

/*
 * policyd_answer - the reply to one request, "action=...\n\n": OK for a
 * client with a live relay lease (in one of relay_states), the blacklist
 * reply for a listed one, DUNNO for the rest (and for an address that is
 * none); which it was.  Pure: the engine's state at `now'.
 */
enum policyd_action policyd_answer(const struct policy *pol,
    const char *blacklist_reply, char *const *relay_states,
    const struct deleg_req *req, int64_t now, struct sbuf *out);

#endif
