/*
 * test_dispatch - unit tests for src/parse/dispatch.c: program-name keys
 * and lookup, the enabled subset, custom patterns and their config
 * errors, the remembered-name table, Solaris message ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/sbuf.h"
#include "parse/dispatch.h"
#include "parse/header.h"
#include "parse/recog.h"
#include "parse/recog_util.h"
#include "policy/event.h"
#include "tlib.h"

/* run - dispatch one line; the event_format text or NULL */
static const char *
run(struct dispatch *d, const char *line)
{
	static struct sbuf out = SBUF_INIT;
	struct logline ll;
	struct event ev;

	sbuf_reset(&out);
	if (!header_split(&ll, line, strlen(line))) {
		t_fail(__FILE__, __LINE__, "header_split refused: %s", line);
		return NULL;
	}
	if (!dispatch_line(d, &ll, &ev))
		return NULL;
	T_EQ_INT(ev.time, 0);
	event_format(&ev, &out);
	return out.s;
}

/* key - dispatch_prog_key as a C string ("(none)" for SPAN_NONE) */
static const char *
key(const char *prog)
{
	static char res[128];
	char buf[DISPATCH_KEYMAX];
	struct span k = dispatch_prog_key(
	    (struct span){prog, strlen(prog)}, buf, sizeof(buf));

	if (k.p == NULL)
		return "(none)";
	snprintf(res, sizeof(res), "%.*s", (int)k.n, k.p);
	return res;
}

/* test_keys - path and Postfix normalisation */
static void
test_keys(void)
{
	char longsvc[200];

	T_EQ_STR(key("postfix/smtpd"), "postfix/smtpd");
	T_EQ_STR(key("postfix/submission/smtpd"), "postfix/smtpd");
	T_EQ_STR(key("postfix-in/smtpd"), "postfix/smtpd");
	T_EQ_STR(key("postfix-out/smtps/smtpd"), "postfix/smtpd");
	T_EQ_STR(key("postfix/postscreen"), "postfix/postscreen");
	T_EQ_STR(key("postfix"), "postfix");
	T_EQ_STR(key("/usr/sbin/ipop3d"), "ipop3d");
	T_EQ_STR(key("/usr/lib/postfix/sbin/smtpd"), "smtpd");
	T_EQ_STR(key("dovecot"), "dovecot");
	T_EQ_STR(key("cyrus/imap"), "cyrus/imap");
	snprintf(longsvc, sizeof(longsvc), "postfix-in/%0100d", 0);
	T_EQ_STR(key(longsvc), "(none)");
}

#define DOVECOT_OK                                                             \
	"Nov 26 19:47:27 mail dovecot: pop3-login: Login: user=<alice>, "      \
	"method=PLAIN, rip=192.0.2.1, lip=192.0.2.2, mpid=1, session=<s>"
#define DOVECOT_EV "login recog=dovecot proto=pop3 ip=192.0.2.1 user=alice"

/* test_builtin - program decides first; injected text in other
 * programs' lines is nothing */
static void
test_builtin(void)
{
	char *err = NULL;
	struct dispatch *d = dispatch_new(NULL, &err);

	T_OK(d != NULL && err == NULL);
	T_EQ_STR(run(d, DOVECOT_OK), DOVECOT_EV);
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail pop3-login: Login: user=<x>, "
		     "method=PLAIN, rip=192.0.2.1, lip=192.0.2.2"),
	    "login recog=dovecot proto=pop3 ip=192.0.2.1 user=x");
	/* Postfix logs the unknown command verbatim */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail postfix/smtpd[1]: warning: "
		     "non-SMTP command from unknown[203.0.113.9]: "
		     "pop3-login: Login: user=<x>, method=PLAIN, "
		     "rip=6.6.6.6, lip=1.1.1.1, mpid=1, session=<y>"),
	    NULL);
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail postfix/submission/smtpd[1]: "
		     "NOQUEUE: reject: RCPT from unknown[203.0.113.9]: "
		     "554 5.7.1 <LOGIN, user=a, ip=[6.6.6.6]>: Relay "
		     "access denied"),
	    NULL);
	/* logger-style lines: a user's own tag that is no server's */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail logger: dovecot: imap-login: "
		     "Login: user=<x>, method=PLAIN, rip=6.6.6.6, "
		     "lip=1.1.1.1"),
	    NULL);
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail root: User 'a' of 'b' from "
		     "'6.6.6.6' logged in"),
	    NULL);
	/* the same program read by two recognisers (Courier and UW) */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail imapd[2]: LOGIN, user=a, "
		     "ip=[::ffff:192.0.2.3], port=[1], protocol=IMAP"),
	    "login recog=courier proto=imap ip=192.0.2.3 user=a");
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail imapd[2]: Login user=b "
		     "host=[192.0.2.4]"),
	    "login recog=uw proto=imap ip=192.0.2.4 user=b");
	/* a program logged with its path */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail /usr/sbin/ipop3d[3]: Login "
		     "user=c host=[192.0.2.5] nmsgs=0/0"),
	    "login recog=uw proto=pop3 ip=192.0.2.5 user=c");
	/* prefix registrations */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail perdition.pop3s[4]: Auth: "
		     "192.0.2.6->10.0.0.1 user=\"d\" passwd=\"XXXXXX\" "
		     "server=\"s\" port=\"110\" status=\"ok\""),
	    "login recog=perdition proto=pop3 ip=192.0.2.6 user=d");
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail cyrus/pop3[5]: login: "
		     "[192.0.2.7] e PLAIN User logged in"),
	    "login recog=cyrus proto=pop3 ip=192.0.2.7 user=e");
	/* Solaris syslog message id */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail imapd[6]: [ID 702911 "
		     "mail.info] Login user=f host=[192.0.2.8]"),
	    "login recog=uw proto=imap ip=192.0.2.8 user=f");
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail imapd[6]: [ID x mail.info] "
		     "Login user=f host=[192.0.2.8]"),
	    NULL);
	/* two-line servers keep their state across dispatch_line calls */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail popa3d[7]: Session from "
		     "192.0.2.9"),
	    NULL);
	T_EQ_STR(run(d,
		     "Nov 26 19:47:28 mail popa3d[7]: Authentication "
		     "passed for g"),
	    "login recog=popa3d proto=pop3 ip=192.0.2.9 user=g");
	dispatch_free(d);
}

/* test_too_long - a line long enough to have been cut is no event */
static void
test_too_long(void)
{
	struct dispatch *d = dispatch_new(NULL, NULL);
	struct sbuf b = SBUF_INIT;
	const char *ok = DOVECOT_OK;

	/* the same login with a long session id: fine below the limit,
	 * refused at it */
	sbuf_add(&b, ok, strlen(ok) - 2);
	while (b.len < RU_LINE_MAX - 3)
		sbuf_addc(&b, 's');
	sbuf_adds(&b, ">");
	T_EQ_STR(run(d, b.s), DOVECOT_EV);
	sbuf_reset(&b);
	sbuf_add(&b, ok, strlen(ok) - 2);
	while (b.len < RU_LINE_MAX - 1)
		sbuf_addc(&b, 's');
	sbuf_adds(&b, ">");
	T_EQ_INT(b.len, RU_LINE_MAX);
	T_EQ_STR(run(d, b.s), NULL);
	sbuf_free(&b);
	dispatch_free(d);
}

/* test_enabled - the subset, unknown names, duplicates */
static void
test_enabled(void)
{
	const char *only_courier[] = {"courier", "courier", NULL};
	const char *bad[] = {"dovecot", "nosuch", NULL};
	const char *none[] = {NULL};
	char *err = NULL;
	struct dispatch *d;

	d = dispatch_new(only_courier, &err);
	T_OK(d != NULL);
	T_EQ_STR(run(d, DOVECOT_OK), NULL);
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail pop3d: LOGIN, user=a, "
		     "ip=[192.0.2.10]"),
	    "login recog=courier proto=pop3 ip=192.0.2.10 user=a");
	dispatch_free(d);

	d = dispatch_new(bad, &err);
	T_OK(d == NULL);
	T_OK(err != NULL && strstr(err, "nosuch") && strstr(err, "dovecot"));
	free(err);

	d = dispatch_new(none, &err);
	T_OK(d != NULL);
	T_EQ_STR(run(d, DOVECOT_OK), NULL);
	dispatch_free(d);
	dispatch_free(NULL);
}

/* test_custom - admin patterns */
static void
test_custom(void)
{
	struct dispatch *d = dispatch_new(NULL, NULL);
	char *err = NULL;

	T_OK(dispatch_add_custom(
	    d, "login mypopd /^LOGIN (?<user>\\S+) from (?<ip>\\S+)$/", &err));
	T_OK(err == NULL);
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail mypopd[3]: LOGIN alice from "
		     "192.0.2.11"),
	    "login recog=custom ip=192.0.2.11 user=alice");
	/* an ip group that is no address: no event */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail mypopd[3]: LOGIN alice from "
		     "999.1.1.1"),
	    NULL);
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail mypopd[3]: LOGIN alice from "
		     "host.example"),
	    NULL);
	/* other programs do not see it */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail otherd[3]: LOGIN alice from "
		     "192.0.2.11"),
	    NULL);

	/* all groups, flags, a prefix */
	T_OK(dispatch_add_custom(d,
	    "login  imp*  /^ok (?<proto>\\w+) (?<user>\\w+)@(?<domain>\\S+) "
	    "(?<host>\\S+) \\[(?<ip>[^]]+)\\]/i",
	    &err));
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail impd[3]: OK IMAP bob@example.com "
		     "c.example [2001:db8::12]"),
	    "login recog=custom proto=imap ip=2001:db8::12 user=bob "
	    "domain=example.com host=c.example");
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail imp: ok pop3 bob@e h "
		     "[::ffff:192.0.2.13]"),
	    "login recog=custom proto=pop3 ip=192.0.2.13 user=bob domain=e "
	    "host=h");

	/* Postfix names are normalised for patterns too */
	T_OK(dispatch_add_custom(
	    d, "login postfix/submission/smtpd /^sasl-ok (?<ip>\\S+)$/", &err));
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail postfix-in/smtpd[9]: sasl-ok "
		     "192.0.2.14"),
	    "login recog=custom ip=192.0.2.14");

	/* built-ins come first; "*" sees every program */
	T_OK(dispatch_add_custom(d, "login * /rip=(?<ip>[0-9.]+)/", &err));
	T_EQ_STR(run(d, DOVECOT_OK), DOVECOT_EV);
	T_EQ_STR(run(d, "Nov 26 19:47:27 mail anything: rip=192.0.2.15"),
	    "login recog=custom ip=192.0.2.15");
	dispatch_free(d);
}

/* custom_err - dispatch_add_custom must refuse spec with a message
 * containing want */
static void
custom_err(const char *spec, const char *want)
{
	struct dispatch *d = dispatch_new(NULL, NULL);
	char *err = NULL;

	T_CASE(spec);
	T_OK(!dispatch_add_custom(d, spec, &err));
	T_OK(err != NULL);
	if (err && !strstr(err, want))
		t_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err,
		    want);
	free(err);
	/* the dispatcher still works */
	T_EQ_STR(run(d, DOVECOT_OK), DOVECOT_EV);
	dispatch_free(d);
	T_CASE(NULL);
}

/* test_custom_errors - config errors name what is wrong */
static void
test_custom_errors(void)
{
	custom_err("", "expected");
	custom_err("login", "expected");
	custom_err("logon p /(?<ip>x)/", "unknown event kind 'logon'");
	custom_err("helo-forgery p /(?<ip>x)/",
	    "no custom pattern for the event kind 'helo-forgery' (use login, "
	    "login-fail, sasl-fail, rbl, blacklisted)");
	custom_err("login p", "/.../");
	custom_err("login p (?<ip>x)", "/.../");
	custom_err("login p /(?<ip>x)", "/.../");
	custom_err("login p //", "empty regex");
	custom_err("login p /(?<ip>x)/q", "unknown flag 'q'");
	custom_err("login p /(?<ip>x/", "regex error at offset");
	custom_err("login p /(?<user>x)/", "no named group 'ip'");
	custom_err(
	    "login p /(?<ip>x)(?<port>y)/", "unknown named group 'port'");
}

/* test_custom_limit - a bounded number of patterns */
static void
test_custom_limit(void)
{
	struct dispatch *d = dispatch_new(NULL, NULL);
	char spec[64], *err = NULL;
	int ok = 0;

	for (int i = 0; i < 1001; i++) {
		snprintf(spec, sizeof(spec), "login p%d /(?<ip>x)/", i);
		ok += dispatch_add_custom(d, spec, i == 1000 ? &err : NULL);
	}
	T_EQ_INT(ok, 1000);
	T_OK(err != NULL && strstr(err, "more than 1000"));
	free(err);
	T_EQ_STR(run(d, DOVECOT_OK), DOVECOT_EV);
	dispatch_free(d);
}

/* test_learning - many unknown program names: bounded, still right */
static void
test_learning(void)
{
	struct dispatch *d = dispatch_new(NULL, NULL);
	char line[256];

	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line),
		    "Nov 26 19:47:27 mail tag%d: pop3-login: Login: user=<x>, "
		    "method=PLAIN, rip=6.6.6.6, lip=1.1.1.1",
		    i);
		T_EQ_STR(run(d, line), NULL);
	}
	/* prefix programs seen only after the table is full */
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail perdition.imap4s[4]: Auth: "
		     "192.0.2.16->10.0.0.1 user=\"d\" passwd=\"XXXXXX\" "
		     "server=\"s\" port=\"993\" status=\"ok\""),
	    "login recog=perdition proto=imap ip=192.0.2.16 user=d");
	T_EQ_STR(run(d,
		     "Nov 26 19:47:27 mail perdition.imap4s[4]: Auth: "
		     "192.0.2.16->10.0.0.1 user=\"d\" passwd=\"XXXXXX\" "
		     "server=\"s\" port=\"993\" status=\"ok\""),
	    "login recog=perdition proto=imap ip=192.0.2.16 user=d");
	T_EQ_STR(run(d, DOVECOT_OK), DOVECOT_EV);
	/* a pattern added later rebuilds the table */
	T_OK(dispatch_add_custom(d, "login tag7* /rip=(?<ip>\\S+),/", NULL));
	T_EQ_STR(run(d, "Nov 26 19:47:27 mail tag77: rip=192.0.2.17, x"),
	    "login recog=custom ip=192.0.2.17");
	T_EQ_STR(run(d, "Nov 26 19:47:27 mail tag8: rip=192.0.2.17, x"), NULL);
	dispatch_free(d);
}

/* same_sel - a and b name the same handlers in the same order */
static bool
same_sel(const struct dispatch_sel *a, const struct dispatch_sel *b)
{
	if (a->cn != b->cn)
		return false;
	for (uint32_t i = 0; i < a->cn; i++)
		if (a->cv[i] != b->cv[i])
			return false;
	return true;
}

/* test_select - dispatch_select (which learns) and dispatch_resolve
 * (which does not) agree on every name, before and after the learned
 * names run out; only selections past them are unstable */
static void
test_select(void)
{
	static const char *const names[] = {"dovecot", "pop3-login",
	    "postfix/smtpd", "postfix-in/smtpd", "postfix/submission/smtpd",
	    "postfix/cleanup", "postfix/qmgr", "/usr/sbin/ipop3d", "ipop3d",
	    "perdition.imap4s", "sshd", "mypopd", "impd", "x", ""};
	struct dispatch *d = dispatch_new(NULL, NULL);
	uint16_t *s1, *s2;
	struct dispatch_sel a, b;
	char name[32];

	T_OK(dispatch_add_custom(d, "login mypopd /(?<ip>x)/", NULL));
	T_OK(dispatch_add_custom(d, "login imp* /(?<ip>x)/", NULL));
	T_OK(dispatch_add_custom(d, "login * /(?<ip>y)/", NULL));
	s1 = xcalloc(dispatch_handlers(d), sizeof(*s1));
	s2 = xcalloc(dispatch_handlers(d), sizeof(*s2));
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			struct span p = {names[i], strlen(names[i])};
			T_CASE(names[i]);
			T_EQ_INT(dispatch_select(d, p, s1, &a),
			    dispatch_resolve(d, p, s2, &b));
			T_OK(same_sel(&a, &b) && a.cn > 0);
			/* every name is remembered while there is room */
			T_OK(a.stable && !b.stable);
		}
		/* fill the learned names, then ask again */
		for (int i = 0; i < 300; i++) {
			snprintf(name, sizeof(name), "filler%d", i);
			dispatch_select(
			    d, (struct span){name, strlen(name)}, s1, &a);
		}
	}
	T_CASE(NULL);
	T_OK(!dispatch_select(d, SPAN_LIT("newname"), s1, &a) || !a.stable);
	T_OK(a.cv == s1);
	dispatch_resolve(d, SPAN_LIT("newname"), s2, &b);
	T_OK(same_sel(&a, &b));
	free(s1);
	free(s2);
	dispatch_free(d);

	/* long names that differ only between their first and last 8
	 * bytes are different names */
	d = dispatch_new(NULL, NULL);
	s1 = xcalloc(dispatch_handlers(d), sizeof(*s1));
	T_OK(dispatch_add_custom(
	    d, "login aaaaaaaaXXbbbbbbbb /(?<ip>x)/", NULL));
	T_OK(dispatch_select(d, SPAN_LIT("aaaaaaaaXXbbbbbbbb"), s1, &a));
	T_OK(!dispatch_select(d, SPAN_LIT("aaaaaaaaXYbbbbbbbb"), s1, &a));
	T_OK(!dispatch_select(d, SPAN_LIT("aaaaaaaaYXbbbbbbbb"), s1, &a));
	T_OK(dispatch_select(d, SPAN_LIT("aaaaaaaaXXbbbbbbbb"), s1, &a));
	free(s1);
	dispatch_free(d);

	/* skim: Postfix chatter is dropped, a reject is not */
	d = dispatch_new(NULL, NULL);
	s1 = xcalloc(dispatch_handlers(d), sizeof(*s1));
	struct logline ll;
	const char *chat = "Nov 26 19:47:27 mail postfix/smtpd[1]: connect "
			   "from unknown[192.0.2.1]";
	const char *rej = "Nov 26 19:47:27 mail postfix/smtpd[1]: NOQUEUE: "
			  "reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 "
			  "<a@b.example>: Relay access denied; from=<c@d> "
			  "to=<a@b.example> proto=ESMTP helo=<x>";
	T_OK(header_split(&ll, chat, strlen(chat)));
	T_OK(dispatch_select(d, ll.prog, s1, &a));
	T_OK(!dispatch_skim(d, &a, &ll));
	T_OK(header_split(&ll, rej, strlen(rej)));
	T_OK(dispatch_skim(d, &a, &ll));
	free(s1);
	dispatch_free(d);
}

/* test_names - the help text lists every built-in */
static void
test_names(void)
{
	struct sbuf b = SBUF_INIT;

	dispatch_names(&b);
	for (const struct recog *const *r = recog_builtin; *r; r++) {
		T_CASE((*r)->name);
		T_OK(strstr(b.s, (*r)->name) != NULL);
	}
	T_CASE(NULL);
	T_OK(strstr(b.s, "vm-pop3d") != NULL);
	sbuf_free(&b);
}

/* main - run the tests; exit status is the verdict */
int
main(void)
{
	test_keys();
	test_builtin();
	test_too_long();
	test_enabled();
	test_custom();
	test_custom_errors();
	test_custom_limit();
	test_learning();
	test_select();
	test_names();
	return t_done();
}
