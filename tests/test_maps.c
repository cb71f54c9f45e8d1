/*
 * test_maps - the text of the two access maps: sorted by IP, IPv6 as
 * Postfix prints it, the blacklist reply template filled in with client
 * text made safe (printable ASCII, bounded), no blank at the end.
 */
#include <stdlib.h>

#include "daemon/maps.h"
#include "tlib.h"

static struct bl_rec *
add(struct policy *p, const char *ip, const char *authority, const char *reason)
{
	struct ipaddr a;

	ipaddr_parse(&a, ip, strlen(ip));
	return bl_restore(&p->bl, &a, BL_DNSBL, authority, "host.example",
	    reason, 1795700000, 1795700000, 0, 1, 1, 0);
}

/* value - the map value of rec under template reply */
static void
value(const char *reply, const struct bl_rec *rec, const char *want)
{
	struct sbuf b = SBUF_INIT;

	maps_blacklist_value(reply, rec, &b);
	T_EQ_STR(b.s ? b.s : "", want);
	sbuf_free(&b);
}

int
main(void)
{
	struct policy_cfg cfg = {
	    .relay_lease = 1800, .bl = {0.03333333, 50, 1800, 604800, 7776000}};
	struct policy p;
	struct sbuf b = SBUF_INIT;
	char long_reason[400];

	policy_init(&p, &cfg);
	struct bl_rec *r =
	    add(&p, "198.51.100.7", "zen.example.org", "listed\there\x01");
	add(&p, "2001:db8:0:0::1", "mail.example.test", "HELO forgery");
	add(&p, "192.0.2.10", "list.example", "");

	/* the template: both fields, text runs, a brace that is no field */
	value("554 Blacklisted by {authority}: {reason}", r,
	    "554 Blacklisted by zen.example.org: listed?here?");
	value("554 {x} {authority}{authority} {", r,
	    "554 {x} zen.example.orgzen.example.org {");
	value("", r, "");
	/* an empty field leaves no blank at the end of the value */
	struct ipaddr a;
	ipaddr_parse(&a, "192.0.2.10", 10);
	value("554 Listed: {reason}", bl_get(&p.bl, &a), "554 Listed:");

	/* a long field is cut at 200 bytes, and says so */
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = 0;
	struct bl_rec *l = add(&p, "203.0.113.9", "a", long_reason);
	maps_blacklist_value("554 {reason}", l, &b);
	T_EQ_INT(b.len, 4 + 200 + 3);
	T_OK(strcmp(b.s + b.len - 4, "x...") == 0);
	sbuf_free(&b);

	/* the whole map, sorted by IP, IPv6 compressed */
	struct blmap_ctx ctx = {&p, "554 {authority}"};
	maps_blacklist_fill(&ctx, &b);
	T_EQ_STR(b.s,
	    "192.0.2.10\t554 list.example\n"
	    "198.51.100.7\t554 zen.example.org\n"
	    "203.0.113.9\t554 a\n"
	    "2001:db8::1\t554 mail.example.test\n");
	sbuf_free(&b);

	/* the relay map: one OK per lease, an IPv4-mapped address as IPv4 */
	struct actions acts;
	actions_init(&acts);
	ipaddr_parse(&a, "::ffff:192.0.2.77", 17);
	relay_login(&p.relay, &a, "alice", "pop3 via test", 1795700000,
	    1795700000, &acts);
	maps_relay_fill(&p, &b);
	T_EQ_STR(b.s, "192.0.2.77\tOK\n");
	sbuf_free(&b);
	actions_free(&acts);
	policy_free(&p);
	return t_done();
}
