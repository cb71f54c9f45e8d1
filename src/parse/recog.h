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

/*
 * recog_conf - settings some recognisers need (NULL fields: the
 * defaults).
 *
 * blacklist_prefix: the fixed start of popauth's own blacklist reply
 * (blacklist_reply up to its first "{"), which Postfix logs after
 * "Client host rejected: ".  A reject with it is a repeat offender.
 * NULL: RECOG_BLACKLIST_PREFIX.  "": popauth's reply cannot be told
 * from the admin's own access-map texts, so none is taken for it.
 */
struct recog_conf {
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
	/*
	 * skim - optional: a cheap look at the message alone; false when
	 * match would certainly return false (so match must not rely on
	 * it having been asked).  The dispatcher asks it once per line,
	 * before the line goes on to match: for a busy program whose
	 * lines mostly do not matter (postfix/smtpd) that is most of the
	 * cost, and a replay asks it in its scanning thread.  Pure: it
	 * reads only msg.
	 */
	bool (*skim)(struct span msg);
	void *(*state_new)(void);
	void (*state_free)(void *state);
	/*
	 * configure - take the settings (conf may be NULL: the defaults).
	 * Called after state_new and again on reload; what is kept is
	 * copied (conf's strings need not outlive the call).
	 */
	void (*configure)(void *state, const struct recog_conf *conf);
	/*
	 * login - a POP/IMAP server: the admin's login_servers picks among
	 * these.  A recogniser with login = false is always on.
	 */
	bool login;
};

/* recog_builtin - every built-in recogniser, NULL terminated */
extern const struct recog *const recog_builtin[];

/* recog_find - a built-in recogniser by name, or NULL */
const struct recog *recog_find(const char *name);

#endif
