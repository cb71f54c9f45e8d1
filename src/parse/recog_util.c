/*
 * recog_util - span scanning and the two-line connection cache.
 *
 * DESCRIPTION
 *	The scanning helpers are memchr/memrchr + memcmp loops over
 *	(pointer, length) text.  ru_find and ru_rfind let a recogniser pick the first or the
 *	last occurrence of a server's fixed text, which is how fields are
 *	taken from the side of the line that the attacker cannot reach.
 *
 *	The connection cache maps (program, host, pid) to the client
 *	address logged on a process's connect line, in a kcache (the key
 *	bytes are stored and compared, so a hash collision can never hand
 *	one process's address to another).
 *
 * SECURITY
 *	All input is log text.  Keys longer than KCACHE_KEYMAX are not
 *	stored (no event rather than a truncated, ambiguous key).  Memory is
 *	fixed at ru_conn_new(); an attacker opening connections can only
 *	evict entries, which loses a login event, never invents one.
 *
 * DIAGNOSTICS
 *	None; callers decide what a miss means.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/kcache.h"
#include "../lib/mem.h"

#include "recog_util.h"

/* ru_findn - first occurrence of n bytes of lit in s */
const char *
ru_findn(struct span s, const char *lit, size_t n)
{
	const char *p = s.p, *last;

	if (n == 0 || s.n < n)
		return NULL;
	/* candidates are the places of lit's first byte (memmem's setup
	 * costs more than this on a log line's few hundred bytes) */
	last = s.p + s.n - n;
	while (p <= last &&
	    (p = memchr(p, lit[0], (size_t)(last - p) + 1)) != NULL) {
		if (memcmp(p, lit, n) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* ru_rfindn - last occurrence of n bytes of lit in s */
const char *
ru_rfindn(struct span s, const char *lit, size_t n)
{
	size_t len;
	const char *p;

	if (n == 0 || s.n < n)
		return NULL;
	/* candidates are the places of lit's first byte, from the right */
	len = s.n - n + 1;
	while (len > 0 && (p = memrchr(s.p, lit[0], len)) != NULL) {
		if (memcmp(p, lit, n) == 0)
			return p;
		len = (size_t)(p - s.p);
	}
	return NULL;
}

/* ru_rchr - last occurrence of byte c in s */
const char *
ru_rchr(struct span s, char c)
{
	return s.n ? memrchr(s.p, c, s.n) : NULL;
}

/* ru_digits - s is one or more ASCII digits */
bool
ru_digits(struct span s)
{
	if (s.n == 0)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	return true;
}

/* lower - ASCII tolower without locale */
static inline char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* ru_eqi - s equals lit, ignoring ASCII case */
bool
ru_eqi(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower(lit[i]))
			return false;
	return true;
}

/* ru_has - s contains byte c */
bool
ru_has(struct span s, char c)
{
	return s.n && memchr(s.p, c, s.n) != NULL;
}

/* ru_ip - parse exactly s as an address, no brackets or prefix */
bool
ru_ip(struct ipaddr *ip, struct span s)
{
	/* ipaddr_parse also takes "[ip]" and "IPv6:ip"; here the field
	 * bounds are exact, so neither may appear */
	if (s.n == 0 || s.p[0] == '[' || s.p[0] == 'I' || s.p[0] == 'i') {
		memset(ip, 0, sizeof(*ip));
		return false;
	}
	return ipaddr_parse(ip, s.p, s.n);
}

/* containsi - s contains lower-case lit, ignoring the case of s */
static bool
containsi(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	for (size_t i = 0; i + n <= s.n; i++) {
		size_t j = 0;
		while (j < n && lower(s.p[i + j]) == lit[j])
			j++;
		if (j == n)
			return true;
	}
	return false;
}

/* ru_proto_of - the protocol a program or protocol name says */
enum event_proto
ru_proto_of(struct span name)
{
	if (containsi(name, "pop"))
		return PROTO_POP3;
	if (containsi(name, "imap"))
		return PROTO_IMAP;
	return PROTO_UNKNOWN;
}

/* ru_login - fill in a login event */
void
ru_login(struct event *ev, const struct ipaddr *ip, enum event_proto proto,
    struct span user)
{
	ev->kind = EVENT_LOGIN;
	ev->ip = *ip;
	ev->proto = proto;
	ev->user = user;
}

/* what is kept of a connect line */
struct conn_value {
	int64_t time;
	bool has_time;
	struct ipaddr ip;
};

/* ru_conn_new - an empty connection cache */
struct kcache *
ru_conn_new(void)
{
	return kcache_new(RU_CONN_SETS, sizeof(struct conn_value));
}

/* ru_conn_free - release a connection cache */
void
ru_conn_free(struct kcache *c)
{
	kcache_free(c);
}

/* ru_state_new - recog state_new callback: a connection cache */
void *
ru_state_new(void)
{
	return ru_conn_new();
}

/* ru_state_free - recog state_free callback */
void
ru_state_free(void *state)
{
	ru_conn_free(state);
}

/* conn_key - "prog\0host\0pid" into key; its length, or 0 if the line
 * has no pid or the key does not fit */
static size_t
conn_key(const struct logline *ll, char key[KCACHE_KEYMAX])
{
	size_t n = ll->prog.n + 1 + ll->host.n + 1 + ll->pid.n;

	if (ll->pid.n == 0 || n > KCACHE_KEYMAX)
		return 0;
	memcpy(key, ll->prog.p, ll->prog.n);
	key[ll->prog.n] = 0;
	if (ll->host.n)
		memcpy(key + ll->prog.n + 1, ll->host.p, ll->host.n);
	key[ll->prog.n + 1 + ll->host.n] = 0;
	memcpy(key + ll->prog.n + 2 + ll->host.n, ll->pid.p, ll->pid.n);
	return n;
}

/* ru_conn_put - remember the client address of the process that wrote ll */
void
ru_conn_put(struct kcache *c, const struct logline *ll, const struct ipaddr *ip)
{
	char key[KCACHE_KEYMAX];
	size_t n = conn_key(ll, key);
	struct conn_value *v;

	if (n == 0 || (v = kcache_put(c, key, n)) == NULL)
		return;
	v->time = ll->time;
	v->has_time = ll->has_time;
	v->ip = *ip;
}

/* ru_conn_take - the address remembered for ll's process, used once */
bool
ru_conn_take(struct kcache *c, const struct logline *ll, struct ipaddr *ip)
{
	char key[KCACHE_KEYMAX];
	size_t n = conn_key(ll, key);
	struct conn_value *v;
	bool fresh;

	if (n == 0 || (v = kcache_get(c, key, n)) == NULL)
		return false;
	fresh = !v->has_time || !ll->has_time ||
	    (ll->time >= v->time && ll->time - v->time <= RU_CONN_MAXAGE);
	*ip = v->ip;
	kcache_del(c, v);
	return fresh;
}
