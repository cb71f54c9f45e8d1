/*
 * recog - the recogniser interface: one per server whose log lines
 * popauth understands.
 *
 * The dispatcher (dispatch.h) calls a recogniser only for lines whose
 * program name it registered for, so a Dovecot recogniser never sees a
 * Postfix line (where a client can have Postfix log any text it likes).
 * Inside, a recogniser anchors on the fixed text that the *server* writes
 * and takes fields by structure - from the right when text an attacker
 * chose comes first - and parses the IP with ipaddr_parse.  It returns
 * facts only; what they mean is the policy engine's business.
 */
#ifndef POPAUTH_RECOG_H
#define POPAUTH_RECOG_H

#include <stdbool.h>

#include "../policy/event.h"
#include "header.h"

/* settings some recognisers need (NULL fields: the defaults) */
struct recog_conf {
	/* the fixed start of popauth's own blacklist reply, which Postfix
	 * logs after "Client host rejected: " */
	const char *blacklist_prefix;
};

#define RECOG_BLACKLIST_PREFIX "Your IP address has been blacklisted by "

struct recog {
	/* config and output name: "dovecot", "courier", ... */
	const char *name;
	/* one line for docs and `popauth test` */
	const char *what;
	/*
	 * Program names (as in ll->prog) this recogniser reads, NULL
	 * terminated.  A name ending in '*' matches every program that
	 * starts with the rest ("perdition*" matches "perdition.pop3s").
	 */
	const char *const *progs;
	/*
	 * match - look at one line.  Return true with *ev filled in when
	 * the line is an event; ev was zeroed by the caller and the caller
	 * sets ev->time and ev->recog.  `state' is what state_new returned
	 * (NULL if it is NULL): for servers that log the client address
	 * and the login on two lines of one process.
	 */
	bool (*match)(void *state, const struct logline *ll, struct event *ev);
	void *(*state_new)(void);
	void (*state_free)(void *state);
	/* configure - take the settings (may be NULL: no settings) */
	void (*configure)(void *state, const struct recog_conf *conf);
};

/* recog_builtin - every built-in recogniser, NULL terminated */
extern const struct recog *const recog_builtin[];

/* recog_find - a built-in recogniser by name, or NULL */
const struct recog *recog_find(const char *name);

#endif
