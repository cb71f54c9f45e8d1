/*
 * ipaddr - IPv4/IPv6 addresses in binary form, and CIDR networks.
 *
 * Every IP popauth acts on was parsed here, with inet_pton, from a field
 * whose bounds the caller established.  An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) is the IPv4 address: Dovecot 1.x and Courier log
 * IPv4 clients that way and they must share one lease.
 */
#ifndef POPAUTH_IPADDR_H
#define POPAUTH_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ipaddr {
	uint8_t af; /* 4 or 6; 0 = none */
	uint8_t a[16]; /* IPv4 uses a[0..3], the rest is zero */
};

/* big enough for any address in text form, with the null byte */
#define IPADDR_STRLEN 48

/*
 * ipaddr_parse - parse exactly `len' bytes as an address.  Accepts the
 * forms inet_pton accepts, optionally inside [brackets] and optionally
 * with an "IPv6:" prefix (Postfix writes [IPv6:2001:db8::1] in HELO
 * literals).  No zone ids, no surrounding space.  Returns false on
 * anything else.
 */
bool ipaddr_parse(struct ipaddr *ip, const char *s, size_t len);

/* ipaddr_fmt - text form as Postfix prints it (inet_ntop, lower case). */
const char *ipaddr_fmt(const struct ipaddr *ip, char buf[IPADDR_STRLEN]);

/* ipaddr_str - ipaddr_fmt into a rotating static buffer (for messages) */
const char *ipaddr_str(const struct ipaddr *ip);

bool ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b);
/* ipaddr_cmp - total order: IPv4 before IPv6, then numeric */
int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b);
uint64_t ipaddr_hash(const struct ipaddr *ip);
/* ipaddr_is_localhost - the host's own 127.0.0.1 or ::1 (not the rest of
 * 127/8, which test benches use for other hosts) */
bool ipaddr_is_localhost(const struct ipaddr *ip);
/* ipaddr_len - 4 or 16: the bytes that matter (for storage) */
size_t ipaddr_len(const struct ipaddr *ip);
/* ipaddr_from_bytes - inverse of (a, ipaddr_len); false on bad length.
 * 16 bytes of an IPv4-mapped address give the IPv4 address, as in
 * ipaddr_parse. */
bool ipaddr_from_bytes(struct ipaddr *ip, const void *p, size_t len);

struct cidr {
	struct ipaddr net;
	unsigned plen;
};

/* cidr_parse - "192.0.2.0/24", "[2001:db8::]/32", or a bare address.
 * Host bits must be zero unless `lax' (Postfix warns and masks). */
bool cidr_parse(struct cidr *c, const char *s, size_t len, bool lax);
bool cidr_match(const struct cidr *c, const struct ipaddr *ip);

#endif
