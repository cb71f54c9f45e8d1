/*
 * recog_util - small helpers shared by the recognisers: bounded span
 * scanning and a connection cache for servers that log the client
 * address and the login on two different lines.
 *
 * Nothing here allocates except ru_conn_new().  Every function takes
 * (pointer, length) text and never reads past it.
 */
#ifndef POPAUTH_RECOG_UTIL_H
#define POPAUTH_RECOG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "../lib/ipaddr.h"
#include "../lib/sbuf.h"
#include "../policy/event.h"
#include "header.h"

/* ru_span - the text between two pointers into one buffer (a <= b) */
static inline struct span
ru_span(const char *a, const char *b)
{
	return (struct span){a, (size_t)(b - a)};
}

/* ru_end - one past the last byte of s */
static inline const char *
ru_end(struct span s)
{
	return s.p + s.n;
}

/*
 * ru_too_long - a line this long may have been cut by a syslog length
 * limit (1024 bytes in RFC 3164 and sysklogd, more elsewhere), which
 * can leave a shorter address at its end or make a crafted user name
 * look like a whole line.  No POP/IMAP login line comes near it, so
 * the recognisers ignore such lines.
 */
#define RU_LINE_MAX 1000

static inline bool
ru_too_long(const struct logline *ll)
{
	return ll->line.n >= RU_LINE_MAX;
}

/* ru_findn, ru_rfindn - first / last occurrence of the n bytes at lit
 * in s, or NULL (use ru_find, ru_rfind) */
const char *ru_findn(struct span s, const char *lit, size_t n);
const char *ru_rfindn(struct span s, const char *lit, size_t n);

/*
 * The helpers below are inline so that strlen() of a literal argument
 * is folded at compile time: they run on every line of a recogniser's
 * programs.
 */

/* ru_prefix - if s starts with lit, drop lit from s and return true */
static inline bool
ru_prefix(struct span *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->n < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	s->n -= n;
	return true;
}

/* ru_suffix - if s ends with lit, drop lit from s and return true */
static inline bool
ru_suffix(struct span *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->n < n || memcmp(s->p + s->n - n, lit, n) != 0)
		return false;
	s->n -= n;
	return true;
}

/* ru_find - first occurrence of lit in s, or NULL */
static inline const char *
ru_find(struct span s, const char *lit)
{
	return ru_findn(s, lit, strlen(lit));
}

/* ru_rfind - last occurrence of lit in s, or NULL */
static inline const char *
ru_rfind(struct span s, const char *lit)
{
	return ru_rfindn(s, lit, strlen(lit));
}

/* ru_rchr - last occurrence of byte c in s, or NULL */
const char *ru_rchr(struct span s, char c);

/* ru_digits - s is one or more ASCII digits */
bool ru_digits(struct span s);

/* ru_eqi - s equals lit, ASCII case-insensitively */
bool ru_eqi(struct span s, const char *lit);

/* ru_has - s contains byte c */
bool ru_has(struct span s, char c);

/*
 * ru_ip - parse exactly s as an address (ipaddr_parse).  Refuses
 * brackets: a caller that means "[ip]" strips them itself, so that a
 * field's bounds are always the ones the server's text established.
 */
bool ru_ip(struct ipaddr *ip, struct span s);

/* ru_proto_of - PROTO_POP3 if name contains "pop" (any case),
 * PROTO_IMAP if it contains "imap", else PROTO_UNKNOWN */
enum event_proto ru_proto_of(struct span name);

/* ru_login - fill the common fields of a login event */
void ru_login(struct event *ev, const struct ipaddr *ip, enum event_proto proto,
    struct span user);

/*
 * Connection cache: (program, host, pid) -> (client address, time).
 *
 * For servers that write "connect from <ip>" and, later, "user x logged
 * in" from the same process.  A kcache of RU_CONN_SETS x KCACHE_WAYS
 * entries: a flood of connections evicts old entries instead of growing
 * memory.  An entry is used once: taking it removes it, so one connect
 * line can produce at most one login event, and a reused pid never
 * inherits an address older than RU_CONN_MAXAGE seconds (when both
 * lines carry a time).
 */
#define RU_CONN_SETS 128
#define RU_CONN_MAXAGE 3600

struct kcache;

struct kcache *ru_conn_new(void);
void ru_conn_free(struct kcache *c);

/* ru_conn_put - remember ip for the process that wrote ll (nothing is
 * stored for a line without a pid or with an over-long key) */
void ru_conn_put(
    struct kcache *c, const struct logline *ll, const struct ipaddr *ip);

/* ru_conn_take - the address stored for ll's process, removing it;
 * false if there is none (or it is too old) */
bool
ru_conn_take(struct kcache *c, const struct logline *ll, struct ipaddr *ip);

/* ru_state_new, ru_state_free - recog state callbacks for a cache */
void *ru_state_new(void);
void ru_state_free(void *state);

#endif
