/*
 * ipaddr - IPv4/IPv6 addresses in binary form, and CIDR networks.
 *
 * SECURITY
 *	Input is attacker-controlled log text.  It is copied into a bounded
 *	buffer and handed to inet_pton; nothing is trusted by position.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ipaddr.h"

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool
ipaddr_parse(struct ipaddr *ip, const char *s, size_t len)
{
	char buf[IPADDR_STRLEN];
	uint8_t a6[16];

	memset(ip, 0, sizeof(*ip));
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len > 5 && (s[0] == 'I' || s[0] == 'i') &&
	    strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		len -= 5;
	}
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (memchr(buf, 0, len) != NULL)
		return false;
	if (inet_pton(AF_INET, buf, ip->a) == 1) {
		ip->af = 4;
		return true;
	}
	if (inet_pton(AF_INET6, buf, a6) == 1) {
		if (memcmp(a6, v4mapped, 12) == 0) {
			memcpy(ip->a, a6 + 12, 4);
			ip->af = 4;
		} else {
			memcpy(ip->a, a6, 16);
			ip->af = 6;
		}
		return true;
	}
	memset(ip, 0, sizeof(*ip));
	return false;
}

const char *
ipaddr_fmt(const struct ipaddr *ip, char buf[IPADDR_STRLEN])
{
	if (ip->af == 4)
		inet_ntop(AF_INET, ip->a, buf, IPADDR_STRLEN);
	else if (ip->af == 6)
		inet_ntop(AF_INET6, ip->a, buf, IPADDR_STRLEN);
	else
		strcpy(buf, "(none)");
	return buf;
}

const char *
ipaddr_str(const struct ipaddr *ip)
{
	static char bufs[8][IPADDR_STRLEN];
	static unsigned n;

	return ipaddr_fmt(ip, bufs[n++ % 8]);
}

bool
ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b)
{
	return a->af == b->af && memcmp(a->a, b->a, 16) == 0;
}

int
ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->a, b->a, 16);
}

uint64_t
ipaddr_hash(const struct ipaddr *ip)
{
	uint64_t x, y;

	/* two 64-bit halves through a multiply-xorshift mix */
	memcpy(&x, ip->a, 8);
	memcpy(&y, ip->a + 8, 8);
	x ^= y * 0x9e3779b97f4a7c15ULL ^ ip->af;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

bool
ipaddr_is_localhost(const struct ipaddr *ip)
{
	static const uint8_t lo4[4] = {127, 0, 0, 1}, lo6[16] = {[15] = 1};

	if (ip->af == 4)
		return memcmp(ip->a, lo4, 4) == 0;
	return ip->af == 6 && memcmp(ip->a, lo6, 16) == 0;
}

size_t
ipaddr_len(const struct ipaddr *ip)
{
	return ip->af == 4 ? 4 : ip->af == 6 ? 16 : 0;
}

bool
ipaddr_from_bytes(struct ipaddr *ip, const void *p, size_t len)
{
	memset(ip, 0, sizeof(*ip));
	if (len == 4) {
		ip->af = 4;
		memcpy(ip->a, p, 4);
	} else if (len == 16 && memcmp(p, v4mapped, 12) == 0) {
		/* IPv4-mapped is the IPv4 address, as in ipaddr_parse */
		ip->af = 4;
		memcpy(ip->a, (const uint8_t *)p + 12, 4);
	} else if (len == 16) {
		ip->af = 6;
		memcpy(ip->a, p, 16);
	} else {
		return false;
	}
	return true;
}

bool
cidr_parse(struct cidr *c, const char *s, size_t len, bool lax)
{
	/* an empty span may have no pointer: no memchr(NULL, ...) */
	const char *slash = len ? memchr(s, '/', len) : NULL;
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned plen = 0, max;

	memset(c, 0, sizeof(*c));
	if (!ipaddr_parse(&c->net, s, alen))
		return false;
	max = c->net.af == 4 ? 32 : 128;
	if (slash) {
		const char *p = slash + 1, *end = s + len;

		if (p == end || end - p > 3)
			return false;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return false;
			plen = plen * 10 + (unsigned)(*p - '0');
		}
		/* ::ffff:a.b.c.d/104 is an IPv4 /8 */
		if (c->net.af == 4 && alen > 7 && memchr(s, ':', alen)) {
			if (plen < 96)
				return false;
			plen -= 96;
		}
		if (plen > max)
			return false;
	} else {
		plen = max;
	}
	c->plen = plen;
	for (unsigned bit = plen; bit < max; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));
		if (c->net.a[bit / 8] & m) {
			if (!lax)
				return false;
			c->net.a[bit / 8] &= (uint8_t)~m;
		}
	}
	return true;
}

bool
cidr_match(const struct cidr *c, const struct ipaddr *ip)
{
	unsigned full = c->plen / 8, rest = c->plen % 8;

	if (ip->af != c->net.af)
		return false;
	if (memcmp(ip->a, c->net.a, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));
		if ((ip->a[full] & m) != (c->net.a[full] & m))
			return false;
	}
	return true;
}
