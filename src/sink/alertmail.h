/*
 * alertmail - tell the admin, by mail, of a ban on an IP that keeps
 * coming back, with the lines to null-route it upstream.
 *
 * One mail per ban (the engine decides when: ACT_ALERT), handed to
 * sendmail on standard input, from an argv.
 */
#ifndef POPAUTH_ALERTMAIL_H
#define POPAUTH_ALERTMAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/ipaddr.h"
#include "../lib/sbuf.h"

struct loop;

struct alertmail_opts {
	const char *sendmail; /* the program */
	const char *to; /* alert_to: an address or local name */
	const char *myhostname; /* who is writing */
	double freq; /* nullroute_freq, hits per second */
	uint32_t total; /* nullroute_total */
};

/* what the mail says about one ban */
struct alert_info {
	struct ipaddr ip;
	const char *host; /* as logged: the client's own words */
	uint32_t period, total; /* hits in the period, in all */
	int64_t gap; /* seconds since the hit before */
	double rate; /* hits per second */
	int64_t ban_end;
};

/* alertmail_to_ok - a recipient popauth will put on a command line and
 * in a header: printable, no blank, no leading '-' */
bool alertmail_to_ok(const char *to);

struct alertmail *alertmail_new(const struct alertmail_opts *o, char **err);
void alertmail_free(struct alertmail *am);
/* alertmail_configure - new options (a reload); the mails on their way
 * go on.  false and *err (nothing changed) if alert_to is not usable. */
bool alertmail_configure(
    struct alertmail *am, const struct alertmail_opts *o, char **err);
void alertmail_attach(struct alertmail *am, struct loop *loop);

/* alertmail_send - mail the admin about this ban (on the loop; beyond a
 * few at once, the mail waits for one of them to end) */
void alertmail_send(struct alertmail *am, const struct alert_info *info);
/* alertmail_finish - at exit: wait for the mails on their way, and send
 * those still waiting */
void alertmail_finish(struct alertmail *am);

/* alertmail_format - the message, headers and body (for tests) */
void alertmail_format(struct sbuf *out, const struct alertmail_opts *o,
    const struct alert_info *info);

#endif
