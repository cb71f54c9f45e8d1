/*
 * test_alertmail - the admin's mail about a ban: its text, its headers
 * safe from the client's host name, the recipient check, a failing
 * sendmail logged, a burst of mails on the loop (some waiting for a free
 * slot, none holding up the loop), new options by a reload.  (Delivery through the real Postfix: e2e/test_alert.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/loop.h"
#include "sink/alertmail.h"
#include "tlib.h"

static const struct alertmail_opts opts = {
    "sendmail", "postmaster@example.test", "mx.example.test", 1.0 / 30, 50};

static struct alert_info
info(const char *ip, const char *host)
{
	struct alert_info in = {0};

	ipaddr_parse(&in.ip, ip, strlen(ip));
	in.host = host;
	in.period = 7;
	in.total = 26;
	in.gap = 2;
	in.rate = 3.5;
	in.ban_end = 1795700000;
	return in;
}

/* headers - the header block of a message (up to the blank line) */
static char *
headers(const char *msg)
{
	const char *end = strstr(msg, "\n\n");

	return strndup(msg, end ? (size_t)(end - msg) + 1 : strlen(msg));
}

static void
test_format(void)
{
	struct sbuf b = SBUF_INIT;
	struct alert_info in = info("192.0.2.66", "bad.example.net");
	char *h;

	T_CASE("the mail");
	alertmail_format(&b, &opts, &in);
	h = headers(b.s);
	T_OK(strstr(h, "To: <postmaster@example.test>\n") != NULL);
	T_OK(strstr(h, "Subject: popauth: 192.0.2.66 null-routed until ") !=
	    NULL);
	T_OK(strstr(h, "Auto-Submitted: auto-generated\n") != NULL);
	free(h);
	T_OK(strstr(b.s, "has banned 192.0.2.66 [bad.example.net] until ") !=
	    NULL);
	T_OK(
	    strstr(b.s, "hits in this run:   7, the last 2 second(s)") != NULL);
	T_OK(strstr(b.s,
		 "one hit every 0.2857 s (the limit: one every "
		 "30.0000 s)") != NULL);
	T_OK(strstr(b.s, "hits in all:        26 (the limit: 50)") != NULL);
	T_OK(strstr(b.s, "access-list 100 deny ip host 192.0.2.66 any\n") !=
	    NULL);
	T_OK(strstr(b.s, "iptables -A INPUT -s 192.0.2.66 -j DROP\n") != NULL);

	/* IPv6: the v6 forms of both lines */
	sbuf_reset(&b);
	in = info("2001:db8::66", "");
	alertmail_format(&b, &opts, &in);
	T_OK(strstr(b.s, "deny ipv6 host 2001:db8::66 any") != NULL);
	T_OK(strstr(b.s, "ip6tables -A INPUT -s 2001:db8::66 -j DROP") != NULL);
	T_OK(strstr(b.s, "2001:db8::66 until") != NULL); /* no " []" */
	sbuf_free(&b);
}

/* the client's host name cannot make headers */
static void
test_injection(void)
{
	static const char *const hosts[] = {
	    "x.example\r\nBcc: victim@example.org",
	    "x.example\nBcc: victim@example.org",
	    "x\n\nFake body",
	    "Bcc: victim@example.org",
	};
	struct sbuf b = SBUF_INIT;

	T_CASE("host names from the log stay in the body");
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct alert_info in = info("192.0.2.67", hosts[i]);
		sbuf_reset(&b);
		alertmail_format(&b, &opts, &in);
		char *h = headers(b.s);
		T_OK(strstr(h, "Bcc") == NULL && strstr(h, "victim") == NULL);
		free(h);
		/* the body has it on one line, escaped */
		T_OK(strstr(b.s, "\nBcc:") == NULL);
		T_OK(strchr(b.s, '\r') == NULL);
	}
	sbuf_free(&b);
}

static void
test_recipients(void)
{
	char *err = NULL;
	struct alertmail_opts o = opts;

	T_CASE("alert_to");
	T_OK(alertmail_to_ok("root"));
	T_OK(alertmail_to_ok("admin@example.test"));
	T_OK(!alertmail_to_ok(""));
	T_OK(!alertmail_to_ok("-oQ/tmp/x"));
	T_OK(!alertmail_to_ok("a@b.c, d@e.f"));
	T_OK(!alertmail_to_ok("a@b.c\nBcc: x"));
	T_OK(!alertmail_to_ok("Admin <a@b.c>"));
	o.to = "-t";
	T_OK(alertmail_new(&o, &err) == NULL && err != NULL);
	free(err);
}

/* sendmail that cannot run: logged, nothing else happens */
static void
test_failure(void)
{
	struct alertmail_opts o = opts;
	char *err = NULL;
	struct alertmail *am;
	struct alert_info in = info("192.0.2.68", "h.example");

	T_CASE("no sendmail");
	t_msg_clear();
	o.sendmail = "/nonexistent/sendmail";
	am = alertmail_new(&o, &err);
	T_OK(am != NULL);
	alertmail_send(am, &in);
	T_OK(t_msg_has("alert mail to postmaster@example.test about "
		       "192.0.2.68: /nonexistent/sendmail"));
	alertmail_finish(am);
	alertmail_free(am);
}

/* 20 mails at once through a sendmail that takes 0.3 s: the sends return
 * at once (4 wait for a slot), all 20 are sent in the end */
static void
test_burst(void)
{
	struct alertmail_opts o = opts;
	char *err = NULL, path[600];
	struct alertmail *am;
	struct loop *l = loop_new();

	T_CASE("a burst on the loop");
	t_msg_clear();
	snprintf(path, sizeof(path), "%s/sendmail", t_tmpdir());
	t_write_file(path, "#!/bin/sh\nsleep 0.3\ncat >/dev/null\n");
	chmod(path, 0755);
	o.sendmail = path;
	am = alertmail_new(&o, &err);
	alertmail_attach(am, l);
	uint64_t t0 = loop_clock_ms();
	for (int i = 0; i < 20; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "192.0.2.%d", 100 + i);
		struct alert_info in = info(ip, "h.example");
		alertmail_send(am, &in);
	}
	T_OK(loop_clock_ms() - t0 < 250);
	T_EQ_INT(t_msg_count("has been told"), 0);
	uint64_t end = loop_clock_ms() + 10000;
	while (t_msg_count("has been told") < 20 && loop_clock_ms() < end)
		loop_run_once(l, 50);
	T_EQ_INT(t_msg_count("has been told to null-route 192.0.2.119"), 1);
	T_EQ_INT(t_msg_count("has been told"), 20);

	/* a reload: new options, a bad recipient refused (nothing changed) */
	o.to = "-x";
	T_OK(!alertmail_configure(am, &o, &err) && err != NULL);
	free(err);
	o.to = "hostmaster@example.test";
	T_OK(alertmail_configure(am, &o, &err));
	struct alert_info in = info("192.0.2.99", "h.example");
	alertmail_send(am, &in);
	alertmail_finish(am);
	T_OK(t_msg_has("hostmaster@example.test has been told to null-route "
		       "192.0.2.99"));
	alertmail_free(am);
	loop_free(l);
}

int
main(void)
{
	t_msg_capture();
	test_format();
	test_injection();
	test_recipients();
	test_failure();
	test_burst();
	return t_done();
}
