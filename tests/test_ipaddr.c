/*
 * test_ipaddr - unit tests for src/lib/ipaddr.c: parsing (every accepted
 * and rejected form), formatting, order, hashing, CIDR.
 */
#include <stdlib.h>

#include "lib/ipaddr.h"
#include "tlib.h"

/* parse_str - ipaddr_parse on a C string */
static bool
parse_str(struct ipaddr *ip, const char *s)
{
	return ipaddr_parse(ip, s, strlen(s));
}

/* test_parse - accepted forms and their canonical text */
static void
test_parse(void)
{
	static const struct {
		const char *in;
		int af; /* 0: must be rejected */
		const char *out;
	} cases[] = {
	    {"192.0.2.1", 4, "192.0.2.1"},
	    {"0.0.0.0", 4, "0.0.0.0"},
	    {"255.255.255.255", 4, "255.255.255.255"},
	    {"[192.0.2.1]", 4, "192.0.2.1"},
	    {"2001:db8::1", 6, "2001:db8::1"},
	    {"2001:DB8:0:0:0:0:0:1", 6, "2001:db8::1"},
	    {"2001:0db8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1"},
	    {"2001:db8:1:0:0:0:0:1", 6, "2001:db8:1::1"},
	    {"2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1"},
	    {"::", 6, "::"},
	    {"::1", 6, "::1"},
	    {"fe80::1", 6, "fe80::1"},
	    {"[2001:db8::1]", 6, "2001:db8::1"},
	    {"IPv6:2001:db8::1", 6, "2001:db8::1"},
	    {"[IPv6:2001:db8::1]", 6, "2001:db8::1"},
	    {"[ipv6:2001:db8::1]", 6, "2001:db8::1"},
	    /* IPv4-mapped is the IPv4 address */
	    {"::ffff:192.0.2.1", 4, "192.0.2.1"},
	    {"::FFFF:192.0.2.1", 4, "192.0.2.1"},
	    {"::ffff:c000:201", 4, "192.0.2.1"},
	    {"[::ffff:127.0.0.1]", 4, "127.0.0.1"},
	    {"[IPv6:::ffff:10.1.2.3]", 4, "10.1.2.3"},
	    /* IPv4-compatible (deprecated) is not mapped: stays IPv6 */
	    {"::192.0.2.1", 6, "::192.0.2.1"},
	    {"::fffe:192.0.2.1", 6, "::fffe:c000:201"},
	    /* rejected */
	    {"", 0, NULL},
	    {"[]", 0, NULL},
	    {"[", 0, NULL},
	    {"]", 0, NULL},
	    {"[192.0.2.1", 0, NULL},
	    {"192.0.2.1]", 0, NULL},
	    {"[[192.0.2.1]]", 0, NULL},
	    {"IPv6:", 0, NULL},
	    {"[IPv6:]", 0, NULL},
	    {"IPv6", 0, NULL},
	    {"999.1.1.1", 0, NULL},
	    {"256.0.0.1", 0, NULL},
	    {"1.2.3", 0, NULL},
	    {"1.2.3.4.5", 0, NULL},
	    {"1.2.3.", 0, NULL},
	    {".1.2.3", 0, NULL},
	    {"01.2.3.4", 0, NULL},
	    {"0x7f.0.0.1", 0, NULL},
	    {"127.1", 0, NULL},
	    {"2130706433", 0, NULL},
	    {" 192.0.2.1", 0, NULL},
	    {"192.0.2.1 ", 0, NULL},
	    {"\t192.0.2.1", 0, NULL},
	    {"192.0.2.1\n", 0, NULL},
	    {" ::1", 0, NULL},
	    {"::1 ", 0, NULL},
	    {"[ ::1]", 0, NULL},
	    {"fe80::1%eth0", 0, NULL},
	    {"fe80::1%1", 0, NULL},
	    {"[fe80::1%eth0]", 0, NULL},
	    {"2001:db8:::1", 0, NULL},
	    {"2001:db8::1::2", 0, NULL},
	    {"1:2:3:4:5:6:7:8:9", 0, NULL},
	    {"2001:db8::g", 0, NULL},
	    {"12345::1", 0, NULL},
	    {"::ffff:999.0.2.1", 0, NULL},
	    {"localhost", 0, NULL},
	    {"unknown", 0, NULL},
	    {"-", 0, NULL},
	    {"192.0.2.1/24", 0, NULL},
	    {"192.0.2.1:25", 0, NULL},
	    {"[192.0.2.1]:25", 0, NULL},
	    {"IPv4:192.0.2.1", 0, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipaddr ip;
		char buf[IPADDR_STRLEN];
		bool ok;

		T_CASE(cases[i].in);
		memset(&ip, 0xa5, sizeof(ip));
		ok = parse_str(&ip, cases[i].in);
		T_EQ_INT(ok, cases[i].af != 0);
		T_EQ_INT(ip.af, cases[i].af);
		if (!ok) {
			/* a failed parse leaves no half-filled address */
			static const struct ipaddr zero;
			T_OK(memcmp(&ip, &zero, sizeof(ip)) == 0);
			continue;
		}
		T_EQ_STR(ipaddr_fmt(&ip, buf), cases[i].out);
		T_EQ_STR(ipaddr_str(&ip), cases[i].out);
		if (ip.af == 4) {
			/* the bytes past a[3] stay zero */
			for (int k = 4; k < 16; k++)
				T_EQ_INT(ip.a[k], 0);
		}
		/* the canonical text parses back to the same address */
		struct ipaddr back;
		T_OK(parse_str(&back, buf));
		T_OK(ipaddr_equal(&ip, &back));
	}
	T_CASE(NULL);
}

/* test_parse_bounds - only `len' bytes are read; NUL and length limits */
static void
test_parse_bounds(void)
{
	struct ipaddr ip;
	char buf[256];

	/* the length is what counts, not a terminator */
	T_OK(ipaddr_parse(&ip, "192.0.2.1 and more", 9));
	T_EQ_STR(ipaddr_str(&ip), "192.0.2.1");
	T_OK(ipaddr_parse(&ip, "[2001:db8::1]:25", 13));
	T_EQ_STR(ipaddr_str(&ip), "2001:db8::1");
	T_OK(!ipaddr_parse(&ip, "192.0.2.1", 8)); /* "192.0.2." */
	T_OK(!ipaddr_parse(&ip, "192.0.2.1", 7)); /* "192.0.2" */
	T_OK(!ipaddr_parse(&ip, "192.0.2.1", 0));
	/* an empty span may come without a pointer */
	T_OK(!ipaddr_parse(&ip, NULL, 0));

	/* embedded NUL: inet_pton would stop there, we must not */
	T_OK(!ipaddr_parse(&ip, "192.0.2.1\0junk", 14));
	T_OK(!ipaddr_parse(&ip, "192.0.2.1\0", 10));
	T_OK(!ipaddr_parse(&ip, "::1\0:2", 6));
	T_OK(!ipaddr_parse(&ip, "[192.0.2.1\0]", 12));
	T_OK(!ipaddr_parse(&ip, "\0", 1));

	/* the longest IPv6 text (45 bytes) and its bracketed form fit */
	const char *longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
	T_EQ_INT(strlen(longest), 45);
	T_OK(parse_str(&ip, longest));
	T_EQ_INT(ip.af, 6);
	snprintf(buf, sizeof(buf), "[IPv6:%s]", longest);
	T_OK(parse_str(&ip, buf));
	T_EQ_INT(ip.af, 6);
	T_EQ_STR(ipaddr_str(&ip), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	/* too long: zero padding past anything inet_pton could want */
	memset(buf, '0', sizeof(buf));
	memcpy(buf + sizeof(buf) - 4, ".1.1", 4);
	T_OK(!ipaddr_parse(&ip, buf, sizeof(buf)));
	T_OK(!ipaddr_parse(&ip, buf, IPADDR_STRLEN));
	memset(buf, 'a', sizeof(buf));
	T_OK(!ipaddr_parse(&ip, buf, sizeof(buf)));
	/* a long run of "0:" that would still be a valid address if the
	 * length were not bounded is rejected without overflowing */
	snprintf(buf, sizeof(buf), "0000:0000:0000:0000:0000:0000:0000:0000:");
	T_OK(!parse_str(&ip, buf));
}

/* test_fmt_none - a zeroed address formats as "(none)" */
static void
test_fmt_none(void)
{
	struct ipaddr ip = {0};
	char buf[IPADDR_STRLEN];

	T_EQ_STR(ipaddr_fmt(&ip, buf), "(none)");
	T_EQ_INT(ipaddr_len(&ip), 0);
	T_OK(!ipaddr_is_localhost(&ip));
}

/* test_str_rotation - ipaddr_str keeps earlier results for a while */
static void
test_str_rotation(void)
{
	struct ipaddr a, b;

	T_OK(parse_str(&a, "192.0.2.1"));
	T_OK(parse_str(&b, "2001:db8::2"));
	const char *sa = ipaddr_str(&a);
	const char *sb = ipaddr_str(&b);
	T_OK(sa != sb);
	T_EQ_STR(sa, "192.0.2.1");
	T_EQ_STR(sb, "2001:db8::2");
}

/* test_order - equality, total order, hash */
static void
test_order(void)
{
	/* strictly ascending under ipaddr_cmp */
	static const char *const sorted[] = {
	    "0.0.0.0",
	    "0.0.0.1",
	    "1.0.0.0",
	    "9.255.255.255",
	    "10.0.0.0",
	    "127.0.0.1",
	    "192.0.2.1",
	    "192.0.2.2",
	    "192.0.2.255",
	    "255.255.255.255",
	    "::",
	    "::1",
	    "::2",
	    "::1:0",
	    "2001:db8::1",
	    "2001:db8::2",
	    "2001:db9::",
	    "fe80::1",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	enum { N = sizeof(sorted) / sizeof(sorted[0]) };
	struct ipaddr ip[N];

	for (size_t i = 0; i < N; i++) {
		T_CASE(sorted[i]);
		T_OK(parse_str(&ip[i], sorted[i]));
	}
	for (size_t i = 0; i < N; i++) {
		for (size_t j = 0; j < N; j++) {
			int c = ipaddr_cmp(&ip[i], &ip[j]);
			int want = i < j ? -1 : i > j ? 1 : 0;

			T_CASE(sorted[i]);
			T_EQ_INT((c > 0) - (c < 0), want);
			T_EQ_INT(ipaddr_equal(&ip[i], &ip[j]), i == j);
			if (i != j)
				T_OK(
				    ipaddr_hash(&ip[i]) != ipaddr_hash(&ip[j]));
		}
	}
	T_CASE(NULL);

	/* the same address in different spellings: equal, same hash */
	static const char *const same[][3] = {
	    {"192.0.2.1", "[192.0.2.1]", "::ffff:192.0.2.1"},
	    {"2001:db8::1", "[IPv6:2001:DB8::1]", "2001:db8:0:0:0:0:0:1"},
	    {"::1", "0:0:0:0:0:0:0:1", "[::1]"},
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		struct ipaddr x, y;

		T_CASE(same[i][0]);
		T_OK(parse_str(&x, same[i][0]));
		for (int k = 1; k < 3; k++) {
			T_OK(parse_str(&y, same[i][k]));
			T_OK(ipaddr_equal(&x, &y));
			T_EQ_INT(ipaddr_cmp(&x, &y), 0);
			T_OK(ipaddr_hash(&x) == ipaddr_hash(&y));
		}
	}
	T_CASE(NULL);

	/* an IPv4 address and the IPv6 address with the same leading
	 * bytes are different */
	struct ipaddr v4, v6;
	uint8_t bytes[16] = {1, 2, 3, 4};
	T_OK(ipaddr_from_bytes(&v4, bytes, 4));
	T_OK(ipaddr_from_bytes(&v6, bytes, 16));
	T_OK(!ipaddr_equal(&v4, &v6));
	T_OK(ipaddr_cmp(&v4, &v6) < 0);
	T_OK(ipaddr_cmp(&v6, &v4) > 0);
	T_OK(ipaddr_hash(&v4) != ipaddr_hash(&v6));
}

/* test_hash_spread - hashes of a /16 and of a v6 /112 fill 1024 buckets
 * without gross clumping (a hash table is built on this) */
static void
test_hash_spread(void)
{
	enum { BUCKETS = 1024, N = 65536 };
	static unsigned count[BUCKETS];
	struct ipaddr ip;
	uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8};

	for (int fam = 0; fam < 2; fam++) {
		unsigned max = 0;

		memset(count, 0, sizeof(count));
		for (unsigned i = 0; i < N; i++) {
			if (fam == 0) {
				uint8_t a4[4] = {
				    10, 1, (uint8_t)(i >> 8), (uint8_t)i};
				ipaddr_from_bytes(&ip, a4, 4);
			} else {
				b[14] = (uint8_t)(i >> 8);
				b[15] = (uint8_t)i;
				ipaddr_from_bytes(&ip, b, 16);
			}
			count[ipaddr_hash(&ip) % BUCKETS]++;
		}
		for (int k = 0; k < BUCKETS; k++)
			if (count[k] > max)
				max = count[k];
		/* mean is 64; a good mix stays well below 2x */
		T_CASE(fam == 0 ? "v4" : "v6");
		T_OK(max < 128);
	}
	T_CASE(NULL);
}

/* test_loopback - 127/8 and ::1, also when written mapped */
static void
test_loopback(void)
{
	static const struct {
		const char *in;
		bool lo;
	} cases[] = {
	    {"127.0.0.1", true},
	    {"127.255.255.254", false},
	    {"127.0.0.2", false},
	    {"127.0.0.0", false},
	    {"::ffff:127.0.0.1", true},
	    {"::1", true},
	    {"[::1]", true},
	    {"126.255.255.255", false},
	    {"128.0.0.1", false},
	    {"0.0.0.0", false},
	    {"::", false},
	    {"::2", false},
	    {"::127.0.0.1", false},
	    {"fe80::1", false},
	    {"1::", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipaddr ip;

		T_CASE(cases[i].in);
		T_OK(parse_str(&ip, cases[i].in));
		T_EQ_INT(ipaddr_is_localhost(&ip), cases[i].lo);
	}
	T_CASE(NULL);
}

/* test_bytes - ipaddr_len / ipaddr_from_bytes round trip */
static void
test_bytes(void)
{
	static const char *const addrs[] = {
	    "192.0.2.1", "0.0.0.0", "2001:db8::1", "::", "::1", "fe80::1"};
	struct ipaddr ip, back;
	uint8_t raw[16];

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		T_CASE(addrs[i]);
		T_OK(parse_str(&ip, addrs[i]));
		T_EQ_INT(ipaddr_len(&ip), ip.af == 4 ? 4 : 16);
		memset(&back, 0x5a, sizeof(back));
		T_OK(ipaddr_from_bytes(&back, ip.a, ipaddr_len(&ip)));
		T_OK(ipaddr_equal(&ip, &back));
		T_EQ_STR(ipaddr_str(&back), addrs[i]);
	}
	T_CASE(NULL);

	/* bad lengths: false and nothing left behind */
	memset(raw, 1, sizeof(raw));
	for (size_t len = 0; len <= 17; len++) {
		if (len == 4 || len == 16)
			continue;
		memset(&ip, 0x5a, sizeof(ip));
		T_OK(!ipaddr_from_bytes(&ip, raw, len));
		T_EQ_INT(ip.af, 0);
	}

	/* 16 bytes holding an IPv4-mapped address are the IPv4 address,
	 * as with ipaddr_parse: one client, one lease, whatever stored it */
	static const uint8_t mapped[16] = {
	    [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1};
	struct ipaddr v4;
	T_OK(ipaddr_from_bytes(&ip, mapped, 16));
	T_OK(parse_str(&v4, "192.0.2.1"));
	T_EQ_INT(ip.af, 4);
	T_OK(ipaddr_equal(&ip, &v4));
	T_EQ_INT(ipaddr_hash(&ip) == ipaddr_hash(&v4), 1);
	T_EQ_INT(ipaddr_len(&ip), 4);
	T_EQ_STR(ipaddr_str(&ip), "192.0.2.1");
}

/* test_cidr - parse, host bits, matching */
static void
test_cidr(void)
{
	static const struct {
		const char *in;
		bool lax;
		bool ok;
		const char *net; /* canonical network address */
		unsigned plen;
	} cases[] = {
	    {"192.0.2.0/24", false, true, "192.0.2.0", 24},
	    {"192.0.2.1", false, true, "192.0.2.1", 32},
	    {"192.0.2.1/32", false, true, "192.0.2.1", 32},
	    {"0.0.0.0/0", false, true, "0.0.0.0", 0},
	    {"10.0.0.0/8", false, true, "10.0.0.0", 8},
	    {"10.128.0.0/9", false, true, "10.128.0.0", 9},
	    {"[192.0.2.0]/24", false, true, "192.0.2.0", 24},
	    {"2001:db8::/32", false, true, "2001:db8::", 32},
	    {"[2001:db8::]/32", false, true, "2001:db8::", 32},
	    {"2001:db8::1", false, true, "2001:db8::1", 128},
	    {"2001:db8::1/128", false, true, "2001:db8::1", 128},
	    {"::/0", false, true, "::", 0},
	    {"2001:db8::/33", false, true, "2001:db8::", 33},
	    {"2001:db8:8000::/33", false, true, "2001:db8:8000::", 33},
	    /* IPv4-mapped networks are IPv4 networks */
	    {"::ffff:127.0.0.0/104", false, true, "127.0.0.0", 8},
	    {"::ffff:0.0.0.0/96", false, true, "0.0.0.0", 0},
	    {"::ffff:192.0.2.1/128", false, true, "192.0.2.1", 32},
	    {"[::ffff:192.0.2.0]/120", false, true, "192.0.2.0", 24},
	    {"::ffff:192.0.2.1", false, true, "192.0.2.1", 32},
	    /* host bits: an error when strict, masked when lax */
	    {"192.0.2.1/24", false, false, NULL, 0},
	    {"192.0.2.1/24", true, true, "192.0.2.0", 24},
	    {"192.0.2.255/25", true, true, "192.0.2.128", 25},
	    {"10.1.2.3/0", false, false, NULL, 0},
	    {"10.1.2.3/0", true, true, "0.0.0.0", 0},
	    {"2001:db8::1/64", false, false, NULL, 0},
	    {"2001:db8::1/64", true, true, "2001:db8::", 64},
	    {"2001:db8:ffff::/33", true, true, "2001:db8:8000::", 33},
	    {"::ffff:127.0.0.1/104", false, false, NULL, 0},
	    {"::ffff:127.0.0.1/104", true, true, "127.0.0.0", 8},
	    /* prefix out of range or malformed */
	    {"192.0.2.0/33", false, false, NULL, 0},
	    {"192.0.2.0/33", true, false, NULL, 0},
	    {"2001:db8::/129", false, false, NULL, 0},
	    {"2001:db8::/129", true, false, NULL, 0},
	    {"::ffff:127.0.0.0/129", true, false, NULL, 0},
	    {"::ffff:127.0.0.0/95", true, false, NULL, 0},
	    {"192.0.2.0/", false, false, NULL, 0},
	    {"192.0.2.0/-1", false, false, NULL, 0},
	    {"192.0.2.0/+8", false, false, NULL, 0},
	    {"192.0.2.0/ 24", false, false, NULL, 0},
	    {"192.0.2.0/24 ", false, false, NULL, 0},
	    {"192.0.2.0/2x", false, false, NULL, 0},
	    {"192.0.2.0/0x18", false, false, NULL, 0},
	    {"192.0.2.0/4294967320", true, false, NULL, 0},
	    {"192.0.2.0/24/24", false, false, NULL, 0},
	    {"/24", false, false, NULL, 0},
	    {"", false, false, NULL, 0},
	    {"192.0.2/24", false, false, NULL, 0},
	    {"999.0.2.0/24", false, false, NULL, 0},
	    {"fe80::/10%eth0", false, false, NULL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		bool ok;

		T_CASE(cases[i].in);
		ok = cidr_parse(
		    &c, cases[i].in, strlen(cases[i].in), cases[i].lax);
		T_EQ_INT(ok, cases[i].ok);
		if (!ok || !cases[i].ok)
			continue;
		T_EQ_STR(ipaddr_str(&c.net), cases[i].net);
		T_EQ_INT(c.plen, cases[i].plen);
		/* the network matches itself */
		T_OK(cidr_match(&c, &c.net));
	}
	T_CASE(NULL);

	/* only `len' bytes are looked at */
	struct cidr c;
	T_OK(cidr_parse(&c, "10.0.0.0/8 trailing", 10, false));
	T_EQ_INT(c.plen, 8);
	T_OK(cidr_parse(&c, "10.0.0.0/8", 8, false));
	T_EQ_INT(c.plen, 32);
	T_OK(!cidr_parse(&c, "10.0.0.0/8\0", 11, false));
	T_OK(!cidr_parse(&c, NULL, 0, false));
	T_OK(!cidr_parse(&c, NULL, 0, true));
}

/* test_match - table of (network, address, match) */
static void
test_match(void)
{
	static const struct {
		const char *net;
		const char *ip;
		bool match;
	} cases[] = {
	    {"0.0.0.0/0", "0.0.0.0", true},
	    {"0.0.0.0/0", "255.255.255.255", true},
	    {"0.0.0.0/0", "::ffff:192.0.2.1", true},
	    {"0.0.0.0/0", "::", false},
	    {"0.0.0.0/0", "2001:db8::1", false},
	    {"::/0", "2001:db8::1", true},
	    {"::/0", "::", true},
	    {"::/0", "192.0.2.1", false},
	    {"::/0", "::ffff:192.0.2.1", false},
	    {"192.0.2.0/24", "192.0.2.0", true},
	    {"192.0.2.0/24", "192.0.2.255", true},
	    {"192.0.2.0/24", "192.0.3.0", false},
	    {"192.0.2.0/24", "192.0.1.255", false},
	    {"192.0.2.128/25", "192.0.2.127", false},
	    {"192.0.2.128/25", "192.0.2.128", true},
	    {"192.0.2.128/25", "192.0.2.255", true},
	    {"10.0.0.0/7", "11.255.255.255", true},
	    {"10.0.0.0/7", "12.0.0.0", false},
	    {"10.0.0.0/7", "9.255.255.255", false},
	    {"192.0.2.1/32", "192.0.2.1", true},
	    {"192.0.2.1/32", "192.0.2.0", false},
	    {"192.0.2.1/32", "192.0.2.3", false},
	    {"192.0.2.2/31", "192.0.2.1", false},
	    {"192.0.2.2/31", "192.0.2.3", true},
	    {"192.0.2.0/31", "192.0.2.1", true},
	    {"127.0.0.0/8", "::ffff:127.1.2.3", true},
	    {"::ffff:127.0.0.0/104", "127.1.2.3", true},
	    {"::ffff:127.0.0.0/104", "::ffff:127.1.2.3", true},
	    {"::ffff:127.0.0.0/104", "128.0.0.1", false},
	    {"::ffff:127.0.0.0/104", "::1", false},
	    {"::ffff:127.0.0.0/104", "::127.1.2.3", false},
	    {"2001:db8::/32", "2001:db8::1", true},
	    {"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
	    {"2001:db8::/32", "2001:db9::", false},
	    {"2001:db8::/32", "2001:db7:ffff::", false},
	    {"2001:db8::/33", "2001:db8:7fff::1", true},
	    {"2001:db8::/33", "2001:db8:8000::1", false},
	    {"2001:db8::1/128", "2001:db8::1", true},
	    {"2001:db8::1/128", "2001:db8::", false},
	    {"2001:db8::/127", "2001:db8::1", true},
	    {"2001:db8::/127", "2001:db8::2", false},
	    {"2001:db8::/127", "2001:db8:0:0:0:0:0:1", true},
	    {"fe80::/10", "febf::1", true},
	    {"fe80::/10", "fec0::1", false},
	    {"::1", "::1", true},
	    {"::1", "::", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		struct ipaddr ip;
		char name[128];

		snprintf(
		    name, sizeof(name), "%s in %s", cases[i].ip, cases[i].net);
		T_CASE(name);
		T_OK(cidr_parse(&c, cases[i].net, strlen(cases[i].net), false));
		T_OK(parse_str(&ip, cases[i].ip));
		T_EQ_INT(cidr_match(&c, &ip), cases[i].match);
	}
	T_CASE(NULL);
}

/* test_match_model - cidr_match against a bit-by-bit model, every
 * prefix length, random addresses */
static void
test_match_model(void)
{
	srand(12345);
	for (int fam = 4; fam <= 6; fam += 2) {
		unsigned max = fam == 4 ? 32 : 128;
		size_t len = fam == 4 ? 4 : 16;

		for (unsigned plen = 0; plen <= max; plen++) {
			for (int round = 0; round < 40; round++) {
				uint8_t net[16] = {0}, a[16];
				struct cidr c = {0};
				struct ipaddr ip;
				bool want = true;

				for (size_t k = 0; k < len; k++) {
					net[k] = (uint8_t)rand();
					a[k] = net[k];
				}
				/* flip one random bit of the address, or none */
				int flip = rand() % (int)(max + 1);
				if (flip < (int)max)
					a[flip / 8] ^=
					    (uint8_t)(0x80 >> (flip % 8));
				if (flip < (int)plen)
					want = false;
				/* mask host bits of the network */
				for (unsigned b = plen; b < max; b++)
					net[b / 8] &=
					    (uint8_t) ~(0x80 >> (b % 8));
				ipaddr_from_bytes(&c.net, net, len);
				c.plen = plen;
				if (fam == 6 && c.net.af != 6)
					continue; /* a mapped net: skip */
				ipaddr_from_bytes(&ip, a, len);
				if (fam == 6 && ip.af != 6)
					continue;
				T_EQ_INT(cidr_match(&c, &ip), want);
			}
		}
	}
}

int
main(void)
{
	test_parse();
	test_parse_bounds();
	test_fmt_none();
	test_str_rotation();
	test_order();
	test_hash_spread();
	test_loopback();
	test_bytes();
	test_cidr();
	test_match();
	test_match_model();
	return t_done();
}
