/*
 * authfail - failed authentications per IP: SMTP AUTH (Postfix SASL) and
 * POP3/IMAP logins, each counted in windows of `window' seconds.
 *
 * A window starts with the first failure of a kind (after the previous
 * window ended) and lasts `window' seconds.  More than the threshold of
 * one kind in one window is as bad as a DNSBL listing: the IP is
 * blacklisted.  A record goes after `window' of silence, or when the IP
 * logs in successfully.
 */
#ifndef POPAUTH_AUTHFAIL_H
#define POPAUTH_AUTHFAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/ttltab.h"
#include "actions.h"

enum af_kind {
	AF_SASL, /* SMTP AUTH */
	AF_LOGIN, /* POP3/IMAP */
	AF__COUNT
};

struct af_rec {
	struct ttl_rec t; /* ip, the latest failure; first: ttltab */
	int64_t first[AF__COUNT]; /* start of the current window */
	uint32_t count[AF__COUNT];
};

struct af_cfg {
	uint32_t threshold[AF__COUNT]; /* 0: never blacklist */
	int64_t window;
};

struct authfail {
	struct af_cfg cfg;
	struct ttltab tab; /* of af_rec, ttl: window */
};

void af_init(struct authfail *a, const struct af_cfg *cfg);
void af_free(struct authfail *a);
void af_configure(struct authfail *a, const struct af_cfg *cfg);

/* af_event - one failure of this kind at t; returns the failures of that
 * kind in the current window (> threshold: blacklist) */
uint32_t af_event(struct authfail *a, const struct ipaddr *ip,
    enum af_kind kind, int64_t t, struct actions *out);

/* af_forget - a successful login (or `popauth forget'): start afresh */
void
af_forget(struct authfail *a, const struct ipaddr *ip, struct actions *out);

void af_restore(struct authfail *a, const struct ipaddr *ip, enum af_kind kind,
    int64_t first, int64_t last, uint32_t count);
void af_expire(struct authfail *a, int64_t now, struct actions *out);
int64_t af_next_expiry(const struct authfail *a);
struct af_rec *af_get(const struct authfail *a, const struct ipaddr *ip);
size_t af_count(const struct authfail *a);
/* af_sorted - every record, sorted by IP (caller frees the array) */
struct af_rec **af_sorted(const struct authfail *a, size_t *n);

#endif
