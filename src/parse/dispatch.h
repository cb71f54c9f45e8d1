/*
 * dispatch - hand each log line to the recognisers registered for its
 * program name.
 *
 * The program name decides first: a Dovecot recogniser never sees a
 * Postfix line, however much the Postfix line looks like Dovecot's.
 * Lines of programs nobody registered for cost one hash lookup.
 */
#ifndef POPAUTH_DISPATCH_H
#define POPAUTH_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/sbuf.h"
#include "../policy/event.h"
#include "header.h"
#include "recog.h"

struct dispatch;

/*
 * dispatch_new - a dispatcher for the built-in login recognisers named
 * in `enabled' (NULL-terminated; NULL = all of them) and every built-in
 * that is not a login recogniser (postfix: always on).  An unknown name,
 * or the name of a recogniser that is always on, gives NULL and *err, a
 * malloc'd message the caller frees.
 */
struct dispatch *dispatch_new(const char *const *enabled, char **err);

/* dispatch_ready - compile what dispatch_add_custom added (otherwise done
 * by the first line that needs it): call once the patterns are in, before
 * a second thread may use the dispatcher */
void dispatch_ready(struct dispatch *d);

/*
 * dispatch_configure - hand conf to every recogniser that takes
 * settings (NULL fields: their defaults).  Call after dispatch_new and
 * again on reload; conf need not outlive the call.
 */
void dispatch_configure(struct dispatch *d, const struct recog_conf *conf);

/*
 * dispatch_add_custom - add an admin pattern from the config, one per
 * call:
 *	"<kind> <program> /<PCRE2 regex>/[flags]"
 *	e.g.  login mypopd /^LOGIN (?<user>\S+) from (?<ip>\S+)$/
 * kind is login, login-fail, sasl-fail, rbl or blacklisted (the kinds
 * whose meaning needs only the groups below); program an exact program name,
 * a prefix ending in '*', or "*" for all programs; flags any of i, m,
 * s, x.  The regex is matched against the message (what follows
 * "prog[pid]: ").  Named groups: ip (required, parsed with
 * ipaddr_parse), user, domain, host, proto (pop3 | imap); no others.
 * Compiled with PCRE2 JIT when available.  Returns false and *err (a
 * malloc'd message naming what is wrong) on a bad spec.
 */
bool dispatch_add_custom(struct dispatch *d, const char *spec, char **err);

/*
 * dispatch_sel - the handlers that read one program's lines, found once
 * per line by dispatch_take (or dispatch_select) and used by
 * dispatch_skim and
 * dispatch_match.  cv points into the dispatcher (stable: valid while it
 * lives and its registrations do not change) or, for a program name
 * beyond the ones it remembers, into the caller's scratch.
 */
struct dispatch_sel {
	const uint16_t *cv;
	uint32_t cn;
	bool stable;
};

/*
 * dispatch_select - the handlers for program prog into *sel; false when
 * nobody reads it (most lines of a mail log stop here).  scratch has
 * room for dispatch_handlers(d) entries.  Remembers names it has not
 * seen (bounded), so it changes the dispatcher: one thread at a time.
 */
bool dispatch_select(struct dispatch *d, struct span prog, uint16_t *scratch,
    struct dispatch_sel *sel);

/*
 * dispatch_resolve - the same answer, always into scratch, without
 * reading or changing what dispatch_select remembers: for a thread that
 * runs dispatch_match while another runs dispatch_select (an unstable
 * selection is resolved again this way).
 */
bool dispatch_resolve(const struct dispatch *d, struct span prog,
    uint16_t *scratch, struct dispatch_sel *sel);

/* dispatch_handlers - the scratch size (in entries) the above need */
size_t dispatch_handlers(const struct dispatch *d);

/*
 * dispatch_skim - a cheap look at ll's message alone: false when no
 * handler of sel can take the line (see recog.h: skim).  Reads only the
 * line and the recognisers' code, not their state.
 */
bool dispatch_skim(const struct dispatch *d, const struct dispatch_sel *sel,
    const struct logline *ll);

/*
 * dispatch_take - the question asked of every line once its program
 * name is known (header_program): does some recogniser want it?  For a
 * program someone reads, the rest of the header is split (header_finish;
 * false with *bad when it is malformed) and the handlers skim the
 * message.  dispatch_select + header_finish + dispatch_skim in one call,
 * so that the table probe is inlined.
 */
bool dispatch_take(struct dispatch *d, struct logline *ll, uint16_t *scratch,
    struct dispatch_sel *sel, bool *bad);

/*
 * dispatch_match - run the handlers of sel on ll; true with *ev filled in
 * (ev->recog is the recogniser's name, "custom" for a custom pattern;
 * ev->time is NOT set - the caller does that).  Spans in *ev point into
 * ll's line.  On false, *ev holds nothing of use.  Does not allocate.
 */
bool dispatch_match(struct dispatch *d, const struct dispatch_sel *sel,
    const struct logline *ll, struct event *ev);

/* dispatch_line - select, skim and match in one call (tests) */
bool
dispatch_line(struct dispatch *d, const struct logline *ll, struct event *ev);

void dispatch_free(struct dispatch *d);

/* dispatch_names - for docs and `popauth list recognisers': one line
 * per built-in recogniser, "name: what it reads (programs: ...)"; the
 * login servers (which login_servers chooses from) first, then the
 * recognisers that are always on, as "name: (always on) what ..." */
void dispatch_names(struct sbuf *out);

/*
 * dispatch_prog_key - the name a program is registered under: a leading
 * path is dropped ("/usr/sbin/ipop3d" -> "ipop3d") and Postfix names
 * lose their instance and service ("postfix-in/smtpd",
 * "postfix/submission/smtpd" -> "postfix/smtpd").  The result points
 * into prog or into buf; SPAN_NONE if it does not fit in bufsize.
 */
#define DISPATCH_KEYMAX 64
struct span dispatch_prog_key(struct span prog, char *buf, size_t bufsize);

#endif
