/*
 * test_firewall - the nft scripts popauth writes, and the runner against
 * the real nft in a network namespace of the test's own (root only: the
 * process moves into a new, empty namespace first, so the host's
 * ruleset is never touched, and the namespace goes with the process).
 */
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/spawn.h"
#include "sink/firewall.h"
#include "tlib.h"

static const struct fw_opts nft128 = {FW_NFTABLES, "popauth", 128, 1};

static struct ipaddr
ip(const char *s)
{
	struct ipaddr a;

	ipaddr_parse(&a, s, strlen(s));
	return a;
}

static void
test_names(void)
{
	T_CASE("table names");
	T_OK(fw_name_ok("popauth"));
	T_OK(fw_name_ok("Pop_auth2"));
	T_OK(!fw_name_ok(""));
	T_OK(!fw_name_ok("2popauth"));
	T_OK(!fw_name_ok("pop auth"));
	T_OK(!fw_name_ok("pop;flush ruleset"));
	T_OK(!fw_name_ok("popauth}"));

	struct fw_opts o = nft128;
	char *err = NULL;
	o.table = "x y";
	T_OK(fw_new(&o, NULL, NULL, &err) == NULL && err != NULL);
	free(err);
	err = NULL;
	o = nft128;
	o.v6_prefix = 0;
	T_OK(fw_new(&o, NULL, NULL, &err) == NULL && err != NULL);
	free(err);
}

static void
test_ban_script(void)
{
	struct sbuf b = SBUF_INIT;
	struct ipaddr v4 = ip("192.0.2.7"), v6 = ip("2001:db8:1:2:3:4:5:6");
	struct fw_opts o64 = nft128;

	T_CASE("one ban");
	fw_nft_ban(&b, &nft128, &v4, 1000 + 1800, 1000);
	T_EQ_STR(b.s,
	    "add element inet popauth ban4 { 192.0.2.7 }\n"
	    "delete element inet popauth ban4 { 192.0.2.7 }\n"
	    "add element inet popauth ban4 { 192.0.2.7 timeout "
	    "1800s }\n");
	sbuf_reset(&b);
	fw_nft_ban(&b, &nft128, &v6, 1060, 1000);
	T_OK(strstr(b.s, "ban6 { 2001:db8:1:2:3:4:5:6 timeout 60s }") != NULL);
	sbuf_reset(&b);
	o64.v6_prefix = 64;
	fw_nft_ban(&b, &o64, &v6, 1060, 1000);
	T_OK(strstr(b.s, "ban6 { 2001:db8:1:2::/64 timeout 60s }") != NULL);
	/* an IPv4 client is not cut */
	sbuf_reset(&b);
	fw_nft_ban(&b, &o64, &v4, 1060, 1000);
	T_OK(strstr(b.s, "ban4 { 192.0.2.7 timeout 60s }") != NULL);
	/* a ban that has ended is nothing */
	sbuf_reset(&b);
	fw_nft_ban(&b, &nft128, &v4, 1000, 1000);
	T_EQ_INT(b.len, 0);
	sbuf_free(&b);
}

static void
test_table_script(void)
{
	struct sbuf b = SBUF_INIT;
	struct fw_opts o64 = nft128;
	struct fw_ban v[] = {
	    {ip("198.51.100.9"), 2000},
	    {ip("192.0.2.7"), 1500},
	    {ip("192.0.2.8"), 900}, /* ended */
	    {ip("2001:db8:1:2::5"), 1100},
	    {ip("2001:db8:1:2::6"), 1900}, /* same /64, later */
	    {ip("2001:db8:9::1"), 1300},
	};

	T_CASE("the whole table");
	o64.v6_prefix = 64;
	fw_nft_table(&b, &o64, v, sizeof(v) / sizeof(v[0]), 1000);
	T_EQ_STR(b.s,
	    "add table inet popauth\n"
	    "delete table inet popauth\n"
	    "table inet popauth {\n"
	    "\tset ban4 {\n"
	    "\t\ttype ipv4_addr\n"
	    "\t\tflags timeout\n"
	    "\t\telements = { 192.0.2.7 timeout 500s, 198.51.100.9 timeout "
	    "1000s }\n"
	    "\t}\n"
	    "\tset ban6 {\n"
	    "\t\ttype ipv6_addr\n"
	    "\t\tflags interval, timeout\n"
	    "\t\telements = { 2001:db8:1:2::/64 timeout 900s, 2001:db8:9::/64 "
	    "timeout 300s }\n"
	    "\t}\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority filter - 10; policy accept;\n"
	    "\t\tip saddr @ban4 drop\n"
	    "\t\tip6 saddr @ban6 drop\n"
	    "\t}\n"
	    "}\n");
	/* no bans: empty sets, the chain stays */
	sbuf_reset(&b);
	fw_nft_table(&b, &nft128, v, 0, 1000);
	T_OK(strstr(b.s, "elements") == NULL);
	T_OK(strstr(b.s, "ip6 saddr @ban6 drop") != NULL);
	sbuf_free(&b);
}

static void
test_ipset_scripts(void)
{
	struct sbuf b = SBUF_INIT;
	struct fw_opts o = nft128;
	struct ipaddr v4 = ip("192.0.2.7"), v6 = ip("2001:db8:1:2::6");
	struct fw_ban v[] = {
	    {ip("192.0.2.7"), 1500},
	    {ip("192.0.2.8"), 900}, /* ended */
	    {ip("2001:db8:1:2::5"), 1100},
	};

	T_CASE("ipset scripts");
	o.backend = FW_IPSET;
	fw_ipset_ban(&b, &o, &v4, 1060, 1000);
	T_EQ_STR(b.s, "add popauth4 192.0.2.7 timeout 60 -exist\n");
	sbuf_reset(&b);
	o.v6_prefix = 64;
	fw_ipset_ban(&b, &o, &v6, 1060, 1000);
	T_EQ_STR(b.s, "add popauth6 2001:db8:1:2::/64 timeout 60 -exist\n");
	sbuf_reset(&b);
	fw_ipset_table(&b, &o, v, 3, 1000);
	T_EQ_STR(b.s,
	    "create popauth4 hash:ip family inet timeout 0 maxelem 1048576 "
	    "-exist\n"
	    "create popauth4_new hash:ip family inet timeout 0 maxelem "
	    "1048576 -exist\n"
	    "flush popauth4_new\n"
	    "add popauth4_new 192.0.2.7 timeout 500\n"
	    "swap popauth4_new popauth4\n"
	    "destroy popauth4_new\n"
	    "create popauth6 hash:net family inet6 timeout 0 maxelem 1048576 "
	    "-exist\n"
	    "create popauth6_new hash:net family inet6 timeout 0 maxelem "
	    "1048576 -exist\n"
	    "flush popauth6_new\n"
	    "add popauth6_new 2001:db8:1:2::/64 timeout 100\n"
	    "swap popauth6_new popauth6\n"
	    "destroy popauth6_new\n");
	sbuf_free(&b);

	/* an ipset name has 31 bytes at most: the table name 24 */
	char *err = NULL;
	o.table = "a_table_name_that_is_25xx";
	T_OK(fw_new(&o, NULL, NULL, &err) == NULL && err != NULL);
	free(err);
}

static void
test_iptables_scripts(void)
{
	struct sbuf b = SBUF_INIT;
	struct fw_opts o = nft128;
	int64_t next = -1;
	struct fw_ban v[] = {
	    {ip("10.10.0.1"), 1500},
	    {ip("9.0.0.1"), 1200},
	    {ip("10.0.0.1"), 1800},
	    {ip("192.0.2.8"), 900}, /* ended */
	    {ip("2001:db8::5"), 1100},
	};

	T_CASE("iptables-restore input, in numeric order");
	o.backend = FW_IPTABLES;
	fw_iptables_table(&b, &o, v, 5, 1000, &next);
	T_EQ_STR(b.s,
	    "*filter\n"
	    ":popauth - [0:0]\n"
	    "-A popauth -s 9.0.0.1/32 -j DROP\n"
	    "-A popauth -s 10.0.0.1/32 -j DROP\n"
	    "-A popauth -s 10.10.0.1/32 -j DROP\n"
	    "COMMIT\n"
	    "# ip6tables-restore\n"
	    "*filter\n"
	    ":popauth - [0:0]\n"
	    "-A popauth -s 2001:db8::5/128 -j DROP\n"
	    "COMMIT\n");
	T_EQ_INT(next, 1100);
	sbuf_reset(&b);
	fw_iptables_table(&b, &o, v, 0, 1000, &next);
	T_EQ_INT(next, 0);
	T_OK(strstr(b.s, "-A ") == NULL);
	sbuf_free(&b);
}

/* ---- against the real nft, in our own network namespace ---- */

static struct fw_ban now_bans[8];
static size_t now_n;

static size_t
list(void *arg, int64_t now, struct fw_ban **v)
{
	(void)arg;
	(void)now;
	*v = malloc(sizeof(now_bans));
	memcpy(*v, now_bans, sizeof(now_bans));
	return now_n;
}

/* nft_out - what nft prints for args (in our namespace) */
static char *
nft_out(const char *script)
{
	char *argv[] = {"nft", "-f", "-", NULL};
	struct spawn_result r;
	char *s;

	spawn_sync(argv, script, strlen(script), 10000, &r);
	s = strdup(r.out.s ? r.out.s : "");
	if (!spawn_ok(&r))
		fprintf(stderr, "nft: %s\n", r.err.s ? r.err.s : "?");
	spawn_result_free(&r);
	return s;
}

static bool
set_has(const char *set, const char *elem)
{
	char script[200];
	char *out;
	bool has;

	snprintf(script, sizeof(script), "list set inet popauth %s\n", set);
	out = nft_out(script);
	has = strstr(out, elem) != NULL;
	free(out);
	return has;
}

/* net_admin - raise or drop CAP_NET_ADMIN in the effective set */
static void
net_admin(bool on)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return;
	if (on)
		data[0].effective |= 1u << CAP_NET_ADMIN;
	else
		data[0].effective &= ~(1u << CAP_NET_ADMIN);
	T_OK(syscall(SYS_capset, &hdr, data) == 0);
}

/* run_until - turn the loop until fw has run `runs' times */
static void
run_until(struct loop *l, struct firewall *fw, uint64_t runs, int ms)
{
	struct fw_stats st;
	uint64_t end = loop_clock_ms() + (uint64_t)ms;

	do {
		loop_run_once(l, 20);
		fw_get_stats(fw, &st);
	} while (st.runs < runs && loop_clock_ms() < end);
}

static void
test_runner(void)
{
	struct loop *l = loop_new();
	struct fw_opts o = nft128;
	struct fw_stats st;
	char *err = NULL;
	int64_t now = (int64_t)time(NULL);
	struct firewall *fw;

	T_CASE("nft in a namespace of our own");
	/* someone else's table, which must survive everything */
	free(nft_out("table inet other {\n chain c {\n  type filter hook "
		     "input priority 0; policy accept;\n  tcp dport 9 drop\n "
		     "}\n}\n"));
	now_bans[0] = (struct fw_ban){ip("192.0.2.7"), now + 600};
	now_bans[1] = (struct fw_ban){ip("2001:db8::7"), now + 600};
	now_n = 2;
	fw = fw_new(&o, list, NULL, &err);
	T_OK(fw != NULL);
	fw_attach(fw, l);
	fw_resync(fw);
	run_until(l, fw, 1, 10000);
	fw_get_stats(fw, &st);
	T_OK(st.healthy && st.runs == 1 && st.resyncs == 1);
	T_OK(set_has("ban4", "192.0.2.7 timeout"));
	T_OK(set_has("ban6", "2001:db8::7 timeout"));

	/* a ban as it is decided, and one extended (the timeout replaced) */
	struct ipaddr b = ip("192.0.2.8");
	fw_ban(fw, &b, now + 120);
	fw_ban(fw, &now_bans[0].ip, now + 7200);
	run_until(l, fw, 2, 10000);
	/* the timeout is the time left when the ban was sent: a second may
	 * have passed since `now' */
	T_OK(set_has("ban4", "192.0.2.8 timeout 2m") ||
	    set_has("ban4", "192.0.2.8 timeout 1m59s"));
	T_OK(set_has("ban4", "192.0.2.7 timeout 2h") ||
	    set_has("ban4", "192.0.2.7 timeout 1h59m59s"));

	/* flushed behind our back: a resync puts it back; a stale element
	 * goes */
	free(nft_out("flush set inet popauth ban4\n"
		     "add element inet popauth ban4 { 203.0.113.1 timeout "
		     "1h }\n"));
	T_OK(!set_has("ban4", "192.0.2.7"));
	fw_resync(fw);
	run_until(l, fw, 3, 10000);
	T_OK(set_has("ban4", "192.0.2.7 timeout"));
	T_OK(!set_has("ban4", "203.0.113.1"));
	char *other = nft_out("list table inet other\n");
	T_OK(strstr(other, "tcp dport 9 drop") != NULL);
	free(other);

	/* lifted early: its element deleted at once, no rebuild */
	now_n = 1;
	fw_unban(fw, &now_bans[1].ip);
	run_until(l, fw, 4, 10000);
	T_OK(!set_has("ban6", "2001:db8::7"));
	T_OK(set_has("ban4", "192.0.2.7 timeout"));
	fw_get_stats(fw, &st);
	T_EQ_INT(st.resyncs, 2);
	fw_free(fw);

	/* without CAP_NET_ADMIN (the worker thread starts with the first
	 * run and keeps the capabilities it started with): the failure is
	 * logged with what nftables said */
	t_msg_clear();
	net_admin(false);
	fw = fw_new(&o, list, NULL, &err);
	fw_attach(fw, l);
	fw_ban(fw, &b, now + 60);
	run_until(l, fw, 1, 5000);
	fw_get_stats(fw, &st);
	T_OK(!st.healthy && st.failures == 1);
	T_OK(t_msg_has("firewall: nftables: ") &&
	    t_msg_has("Operation not permitted") &&
	    t_msg_has("bans stay stored"));
	fw_free(fw);
	net_admin(true);

	/* someone remade the table wrongly: the ban fails, the resync a
	 * second later puts popauth's table back whole */
	t_msg_clear();
	fw = fw_new(&o, list, NULL, &err);
	fw_attach(fw, l);
	free(nft_out("delete table inet popauth\n"
		     "table inet popauth {\n set ban4 {\n  type ipv6_addr\n "
		     "}\n}\n"));
	fw_ban(fw, &b, now + 60);
	run_until(l, fw, 1, 5000);
	fw_get_stats(fw, &st);
	T_OK(!st.healthy && st.failures == 1 && t_msg_has("bans stay stored"));
	uint64_t t0 = loop_clock_ms();
	run_until(l, fw, 2, 5000);
	fw_get_stats(fw, &st);
	T_OK(st.healthy && st.failures == 1 && st.resyncs == 1);
	T_OK(loop_clock_ms() - t0 >= 900);
	T_OK(t_msg_has("works again"));
	T_OK(set_has("ban4", "192.0.2.7 timeout"));

	/* removed (a reload moved the bans): popauth's table goes, the
	 * other stays; a second time is no error */
	T_OK(fw_remove(fw));
	char *tables = nft_out("list tables\n");
	T_OK(strstr(tables, "inet popauth") == NULL &&
	    strstr(tables, "inet other") != NULL);
	free(tables);
	T_OK(fw_remove(fw));
	T_OK(t_msg_has("popauth's table \"popauth\" removed"));
	fw_free(fw);
	loop_free(l);
}

/* an IPv6 /64 shared by two banned clients: a shorter ban of one does
 * not cut the other's (the element keeps the latest end) */
static void
test_prefix_runner(void)
{
	struct loop *l = loop_new();
	struct fw_opts o = nft128;
	char *err = NULL;
	int64_t now = (int64_t)time(NULL);
	struct firewall *fw;

	T_CASE("nft: a shared IPv6 prefix keeps the latest end");
	o.v6_prefix = 64;
	now_bans[0] = (struct fw_ban){ip("2001:db8::7"), now + 7200};
	now_bans[1] = (struct fw_ban){ip("2001:db8::8"), now + 600};
	now_n = 2;
	fw = fw_new(&o, list, NULL, &err);
	fw_attach(fw, l);
	fw_resync(fw);
	run_until(l, fw, 1, 10000);
	T_OK(set_has("ban6", "2001:db8::/64 timeout 2h") ||
	    set_has("ban6", "2001:db8::/64 timeout 1h59m"));
	/* ::8's ban decided again, ending in 10 minutes */
	fw_ban(fw, &now_bans[1].ip, now + 600);
	run_until(l, fw, 2, 10000);
	T_OK(set_has("ban6", "2001:db8::/64 timeout 2h") ||
	    set_has("ban6", "2001:db8::/64 timeout 1h59m"));
	T_OK(fw_remove(fw));
	fw_free(fw);
	loop_free(l);
}

/* out_of - what argv prints */
static char *
out_of(char *const argv[])
{
	struct spawn_result r;
	char *s;

	spawn_sync(argv, NULL, 0, 10000, &r);
	s = strdup(r.out.s ? r.out.s : "");
	spawn_result_free(&r);
	return s;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_ipset_runner(void)
{
	struct loop *l = loop_new();
	struct fw_opts o = nft128;
	struct fw_stats st;
	char *err = NULL, *s;
	int64_t now = (int64_t)time(NULL);
	char *list4[] = {"ipset", "list", "popauth4", NULL};
	char *rules[] = {"iptables", "-w", "-S", "INPUT", NULL};
	char *rules6[] = {"ip6tables", "-w", "-S", "INPUT", NULL};
	char *flush4[] = {"ipset", "flush", "popauth4", NULL};
	struct firewall *fw;

	T_CASE("ipset and iptables in a namespace of our own");
	o.backend = FW_IPSET;
	now_bans[0] = (struct fw_ban){ip("192.0.2.7"), now + 600};
	now_bans[1] = (struct fw_ban){ip("2001:db8::7"), now + 600};
	now_n = 2;
	fw = fw_new(&o, list, NULL, &err);
	fw_attach(fw, l);
	fw_resync(fw);
	run_until(l, fw, 1, 10000);
	fw_get_stats(fw, &st);
	T_OK(st.healthy && st.runs == 1);
	s = out_of(list4);
	T_OK(strstr(s, "192.0.2.7 timeout") != NULL);
	free(s);
	/* twice: the rule is not added again */
	fw_resync(fw);
	run_until(l, fw, 2, 10000);
	s = out_of(rules);
	T_EQ_INT(count(s, "--match-set popauth4 src -j DROP"), 1);
	free(s);
	s = out_of(rules6);
	T_EQ_INT(count(s, "--match-set popauth6 src -j DROP"), 1);
	free(s);
	/* a ban as it comes; a flushed set restored by a resync */
	struct ipaddr b = ip("192.0.2.8");
	fw_ban(fw, &b, now + 120);
	run_until(l, fw, 3, 10000);
	s = out_of(list4);
	T_OK(strstr(s, "192.0.2.8 timeout") != NULL);
	free(s);
	free(out_of(flush4));
	fw_resync(fw);
	run_until(l, fw, 4, 10000);
	s = out_of(list4);
	T_OK(strstr(s, "192.0.2.7 timeout") != NULL);
	free(s);
	/* an unban: the element goes */
	fw_unban(fw, &b);
	run_until(l, fw, 5, 10000);
	s = out_of(list4);
	T_OK(strstr(s, "192.0.2.8") == NULL && strstr(s, "192.0.2.7") != NULL);
	free(s);
	fw_get_stats(fw, &st);
	T_OK(st.healthy && st.failures == 0);

	/* removed: the rules first (a set in use cannot go), then the
	 * sets; someone else's set and rule stay; twice is no error */
	char *other[] = {"ipset", "create", "popauth_other", "hash:ip", NULL};
	char *other_rule[] = {"iptables", "-w", "-A", "INPUT", "-p", "tcp",
	    "--dport", "7", "-j", "DROP", NULL};
	char *names[] = {"ipset", "list", "-n", NULL};
	free(out_of(other));
	free(out_of(other_rule));
	T_OK(fw_remove(fw));
	s = out_of(names);
	T_OK(strstr(s, "popauth4") == NULL && strstr(s, "popauth6") == NULL &&
	    strstr(s, "popauth_other") != NULL);
	free(s);
	s = out_of(rules);
	T_OK(strstr(s, "popauth4") == NULL && strstr(s, "--dport 7") != NULL);
	free(s);
	s = out_of(rules6);
	T_OK(strstr(s, "popauth6") == NULL);
	free(s);
	T_OK(fw_remove(fw));
	fw_free(fw);
	loop_free(l);
}

static void
test_iptables_runner(void)
{
	struct loop *l = loop_new();
	struct fw_opts o = nft128;
	struct fw_stats st;
	char *err = NULL, *s;
	int64_t now = (int64_t)time(NULL);
	char *chain[] = {"iptables", "-w", "-S", "popauth", NULL};
	char *chain6[] = {"ip6tables", "-w", "-S", "popauth", NULL};
	char *input[] = {"iptables", "-w", "-S", "INPUT", NULL};
	struct firewall *fw;

	T_CASE("iptables-script in a namespace of our own");
	o.backend = FW_IPTABLES;
	now_bans[0] = (struct fw_ban){ip("192.0.2.7"), now + 600};
	now_bans[1] = (struct fw_ban){ip("2001:db8::7"), now + 600};
	/* this one ends in 2 s: the chain is rebuilt without it then */
	now_bans[2] = (struct fw_ban){ip("192.0.2.9"), now + 2};
	now_n = 3;
	fw = fw_new(&o, list, NULL, &err);
	fw_attach(fw, l);
	fw_resync(fw);
	run_until(l, fw, 1, 10000);
	fw_get_stats(fw, &st);
	T_OK(st.healthy && st.runs == 1);
	s = out_of(chain);
	T_OK(strstr(s, "-A popauth -s 192.0.2.7/32 -j DROP") != NULL &&
	    strstr(s, "-A popauth -s 192.0.2.9/32 -j DROP") != NULL);
	free(s);
	s = out_of(chain6);
	T_OK(strstr(s, "-A popauth -s 2001:db8::7/128 -j DROP") != NULL);
	free(s);
	/* the ban's end: a rebuild on its own (the list no longer has it) */
	now_n = 2;
	run_until(l, fw, 2, 5000);
	s = out_of(chain);
	T_OK(strstr(s, "192.0.2.9") == NULL &&
	    strstr(s, "192.0.2.7/32 -j DROP") != NULL);
	free(s);
	/* a ban as it comes */
	struct ipaddr b = ip("192.0.2.8");
	now_bans[2] = (struct fw_ban){b, now + 600};
	now_n = 3;
	fw_ban(fw, &b, now + 600);
	run_until(l, fw, 3, 5000);
	s = out_of(chain);
	T_OK(strstr(s, "192.0.2.8/32 -j DROP") != NULL);
	free(s);
	s = out_of(input);
	T_EQ_INT(count(s, "-A INPUT -j popauth"), 1);
	free(s);
	fw_get_stats(fw, &st);
	T_OK(st.healthy && st.failures == 0);

	/* removed: the jumps, then the chains; twice is no error */
	char *all[] = {"iptables", "-w", "-S", NULL};
	char *all6[] = {"ip6tables", "-w", "-S", NULL};
	T_OK(fw_remove(fw));
	s = out_of(all);
	T_OK(strstr(s, "popauth") == NULL);
	free(s);
	s = out_of(all6);
	T_OK(strstr(s, "popauth") == NULL);
	free(s);
	T_OK(fw_remove(fw));
	T_OK(t_msg_has("popauth's chains \"popauth\" removed"));
	fw_free(fw);
	loop_free(l);
}

int
main(void)
{
	t_msg_capture();
	test_names();
	test_ban_script();
	test_table_script();
	test_ipset_scripts();
	test_iptables_scripts();
	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    access("/usr/sbin/nft", X_OK) == 0) {
		test_runner();
		test_prefix_runner();
		if (access("/usr/sbin/ipset", X_OK) == 0 &&
		    access("/usr/sbin/iptables", X_OK) == 0) {
			test_ipset_runner();
			test_iptables_runner();
		} else
			fprintf(stderr,
			    "test_firewall: no ipset/iptables: "
			    "that backend is not run\n");
	} else
		fprintf(stderr,
		    "test_firewall: not root (or no nft): the "
		    "runner is not tested\n");
	return t_done();
}
