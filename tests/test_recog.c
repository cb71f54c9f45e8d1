/*
 * test_recog - unit tests for the built-in recognisers
 * (src/parse/recog_*.c, recog.c, recog_util.c).
 *
 * Each case feeds one or more complete log lines, split by header_split
 * exactly as the daemon does, to one recogniser with a fresh state; the
 * event of the LAST line (event_format output, or none) is compared.
 * Every positive case is also truncated at every length: a cut line
 * must give no event or an event for the same address.  Marked cases
 * skip that: where the address ends the line a cut can leave a shorter
 * valid address, and an injected user name can itself look like a whole
 * line when cut right after it.  Lines are only cut by a syslog length
 * limit, and dispatch refuses lines that long (test_dispatch).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/kcache.h"
#include "lib/sbuf.h"
#include "parse/header.h"
#include "parse/recog.h"
#include "parse/recog_util.h"
#include "policy/event.h"
#include "tlib.h"

#define MAXLINES 4

struct rcase {
	const char *name;
	const char *recog;
	const char *lines[MAXLINES]; /* earlier lines feed state only */
	const char *want; /* NULL = no event */
	bool nocut; /* skip the truncation check */
};

#define TS "Nov 26 19:47:27 "
#define H TS "mail "

static const struct rcase cases[] = {
    /* ---- Dovecot ---- */
    {"dovecot own log pop3 (e2e 2.3.19)", "dovecot",
	{TS "pop3-login: Info: Login: user=<alice>, method=PLAIN, "
	    "rip=127.0.0.5, lip=127.0.0.1, mpid=2651, "
	    "session=<WTuVNjNhy7d/AAAF>"},
	"login recog=dovecot proto=pop3 ip=127.0.0.5 user=alice", false},
    {"dovecot own log imap ::1 secured (e2e)", "dovecot",
	{TS "imap-login: Info: Login: user=<bob>, method=PLAIN, rip=::1, "
	    "lip=::1, mpid=2665, secured, "
	    "session=<1E+YNjNhF5kAAAAAAAAAAAAAAAAAAAAB>"},
	"login recog=dovecot proto=imap ip=::1 user=bob", false},
    {"dovecot own log TLS (e2e)", "dovecot",
	{TS "imap-login: Info: Login: user=<alice>, method=PLAIN, "
	    "rip=127.0.0.29, lip=127.0.0.1, mpid=2683, TLS, "
	    "session=<anidNjNhJZx/AAAd>"},
	"login recog=dovecot proto=imap ip=127.0.0.29 user=alice", false},
    {"dovecot syslog", "dovecot",
	{H "dovecot: imap-login: Login: user=<bob@example.com>, "
	   "method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, mpid=2665, TLS, "
	   "session=<x>"},
	"login recog=dovecot proto=imap ip=192.0.2.7 user=bob@example.com",
	false},
    {"dovecot syslog with pid, RFC 3339", "dovecot",
	{"2026-11-26T19:47:27.123456+00:00 mail dovecot[812]: pop3-login: "
	 "Login: user=<carol>, method=LOGIN, rip=2001:db8::25, "
	 "lip=2001:db8::1, mpid=9, TLS, session=<s>"},
	"login recog=dovecot proto=pop3 ip=2001:db8::25 user=carol", false},
    {"dovecot crowdsec syslog Info:", "dovecot",
	{"Oct 13 09:22:59 canyon dovecot: pop3-login: Info: Login: "
	 "user=<test@yourdomain.net>, method=PLAIN, rip=172.17.0.1, "
	 "lip=172.17.0.2, mpid=18, TLS, session=<PeYcgjjOGOisEQAB>"},
	"login recog=dovecot proto=pop3 ip=172.17.0.1 "
	"user=test@yourdomain.net",
	false},
    {"dovecot 1.x PID= (lograptor)", "dovecot",
	{"Apr  1 10:00:02 raptor dovecot: imap-login: Login: user=<admin>, "
	 "PID=12151, method=PLAIN, rip=192.168.0.1, lip=10.0.0.1"},
	"login recog=dovecot proto=imap ip=192.168.0.1 user=admin", false},
    {"dovecot 1.x mapped IPv4", "dovecot",
	{H "dovecot: pop3-login: Login: user=<alice>, method=PLAIN, "
	   "rip=::ffff:192.0.2.10, lip=::ffff:192.0.2.1, TLS"},
	"login recog=dovecot proto=pop3 ip=192.0.2.10 user=alice", false},
    {"dovecot 1.x secured, no mpid", "dovecot",
	{H "dovecot: imap-login: Login: user=<cs@example.com>, "
	   "method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, secured"},
	"login recog=dovecot proto=imap ip=127.0.0.1 user=cs@example.com",
	false},
    {"dovecot 2.0 no session, rip/lip last", "dovecot",
	{H "dovecot: imap-login: Login: user=<o@mail.mail>, method=PLAIN, "
	   "rip=172.22.1.248, lip=172.22.1.250, mpid=353632"},
	"login recog=dovecot proto=imap ip=172.22.1.248 user=o@mail.mail",
	false},
    {"dovecot TLS cipher flags", "dovecot",
	{H "dovecot: imap-login: Login: user=<s@g.services>, method=PLAIN, "
	   "rip=185.101.93.86, lip=185.101.93.86, mpid=27548, TLS, TLSv1.2 "
	   "with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits)"},
	"login recog=dovecot proto=imap ip=185.101.93.86 user=s@g.services",
	false},
    {"dovecot flags in another order", "dovecot",
	{H "dovecot: pop3-login: Login: user=<u>, method=PLAIN, "
	   "rip=192.0.2.8, lip=192.0.2.1, TLS handshaking, secured, "
	   "session=<z>, mpid=7"},
	"login recog=dovecot proto=pop3 ip=192.0.2.8 user=u", false},
    {"dovecot Info: before component", "dovecot",
	{H "dovecot: Info: pop3-login: Login: user=<u>, method=PLAIN, "
	   "rip=192.0.2.9, lip=192.0.2.1"},
	"login recog=dovecot proto=pop3 ip=192.0.2.9 user=u", false},
    {"dovecot injection: user holds rip=", "dovecot",
	{TS "pop3-login: Info: Login: user=<x>, method=PLAIN, rip=6.6.6.6, "
	    "lip=1.1.1.1, mpid=1, session=<y>, method=PLAIN, "
	    "rip=127.0.0.5, lip=127.0.0.1, mpid=2651, session=<WTuV>"},
	"login recog=dovecot proto=pop3 ip=127.0.0.5 user=x>,\\x20method="
	"PLAIN,\\x20rip=6.6.6.6,\\x20lip=1.1.1.1,\\x20mpid=1,\\x20"
	"session=<y",
	true},
    {"dovecot injection in a failure line", "dovecot",
	{TS "pop3-login: Info: Disconnected: Connection closed (auth "
	    "failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, "
	    "rip=6.6.6.6, lip=1.1.1.1, mpid=1, session=<y>, method=PLAIN, "
	    "rip=127.0.0.6, lip=127.0.0.1, session=<3mKg>"},
	"login-fail recog=dovecot proto=pop3 ip=127.0.0.6 user=x>,\\x20"
	"method=PLAIN,\\x20rip=6.6.6.6,\\x20lip=1.1.1.1,\\x20mpid=1,\\x20"
	"session=<y reason=auth\\x20failed,\\x201\\x20attempts\\x20in\\x20"
	"2\\x20secs",
	true},
    {"dovecot injection: Login: inside user of a failure", "dovecot",
	{H "dovecot: imap-login: Disconnected (auth failed, 1 attempts): "
	   "user=<Login: user=<a>, method=PLAIN, rip=6.6.6.6, "
	   "lip=1.1.1.1>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2"},
	"login-fail recog=dovecot proto=imap ip=192.0.2.1 user=Login:\\x20"
	"user=<a>,\\x20method=PLAIN,\\x20rip=6.6.6.6,\\x20lip=1.1.1.1 "
	"reason=auth\\x20failed,\\x201\\x20attempts",
	true},
    {"dovecot failure 2.3 (e2e)", "dovecot",
	{TS "pop3-login: Info: Disconnected: Aborted login by logging out "
	    "(auth failed, 1 attempts in 2 secs): user=<alice>, "
	    "method=PLAIN, rip=127.0.0.6, lip=127.0.0.1, "
	    "session=<3mKgNjNhIe5/AAAG>"},
	"login-fail recog=dovecot proto=pop3 ip=127.0.0.6 user=alice "
	"reason=auth\\x20failed,\\x201\\x20attempts\\x20in\\x202\\x20secs",
	false},
    {"dovecot failure 2.4", "dovecot",
	{H "dovecot: imap-login: Login aborted: Logged out (auth failed, 1 "
	   "attempts in 2 secs) (auth_failed): user=<a>, method=PLAIN, "
	   "rip=192.0.2.1, lip=192.0.2.2, session=<s>"},
	"login-fail recog=dovecot proto=imap ip=192.0.2.1 user=a "
	"reason=auth\\x20failed,\\x201\\x20attempts\\x20in\\x202\\x20secs",
	false},
    {"dovecot failure 2.4 own log, 3 attempts", "dovecot",
	{TS "imap-login: Info: Login aborted: Connection closed (auth "
	    "failed, 3 attempts in 15 secs) (auth_failed): user=<eft>, "
	    "method=PLAIN, rip=198.51.100.144, lip=192.0.2.69, TLS, "
	    "session=<25Nw4GQ3Ms9QM7WQ>"},
	"login-fail recog=dovecot proto=imap ip=198.51.100.144 user=eft "
	"reason=auth\\x20failed,\\x203\\x20attempts\\x20in\\x2015\\x20secs",
	false},
    {"dovecot 2.4 no auth attempts is no failure", "dovecot",
	{H "dovecot[996]: imap-login: Login aborted: Connection closed: "
	   "SSL_read failed: error:0A000412:SSL routines::sslv3 alert bad "
	   "certificate: SSL alert number 42 (no auth attempts in 0 secs) "
	   "(no_auth_attempts): user=<>, rip=192.0.2.37, lip=192.0.2.75, "
	   "TLS, session=<NjJk>"},
	NULL, false},
    {"dovecot 2.4 success: Logged in", "dovecot",
	{H "dovecot[52217]: imap-login: Logged in: user=<ceo@example.com>, "
	   "method=PLAIN, rip=198.51.100.7, lip=10.0.0.1, mpid=88721, "
	   "secured, session=<x>"},
	"login recog=dovecot proto=imap ip=198.51.100.7 user=ceo@example.com",
	false},
    {"dovecot 2.2 Aborted login (auth failed)", "dovecot",
	{H "dovecot[442]: pop3-login: Aborted login (auth failed, 1 attempts "
	   "in 17 secs): user=<test>, method=PLAIN, rip=192.0.2.13, "
	   "lip=203.0.113.17, session=<YADINsQCDs5BH8Pg>"},
	"login-fail recog=dovecot proto=pop3 ip=192.0.2.13 user=test "
	"reason=auth\\x20failed,\\x201\\x20attempts\\x20in\\x2017\\x20secs",
	false},
    {"dovecot 2.0 failure without user=", "dovecot",
	{H "dovecot: imap-login: Disconnected (auth failed, 1 attempts): "
	   "method=PLAIN, rip=192.0.2.59, lip=203.0.113.194, TLS: "
	   "Disconnected"},
	"login-fail recog=dovecot proto=imap ip=192.0.2.59 "
	"reason=auth\\x20failed,\\x201\\x20attempts",
	false},
    {"dovecot Inactivity failure", "dovecot",
	{H "dovecot: pop3-login: Disconnected: Inactivity (auth failed, 1 "
	   "attempts): user=<info>, method=PLAIN, rip=192.0.2.163, "
	   "lip=203.0.113.210"},
	"login-fail recog=dovecot proto=pop3 ip=192.0.2.163 user=info "
	"reason=auth\\x20failed,\\x201\\x20attempts",
	false},
    {"dovecot disabled plaintext is no failure", "dovecot",
	{H "dovecot: pop3-login: Aborted login (tried to use disabled "
	   "plaintext auth): rip=192.0.2.21, lip=203.0.113.193"},
	NULL, false},
    {"dovecot auth: Password mismatch is no event", "dovecot",
	{TS "auth: Info: passwd-file(alice,127.0.0.6,<3mKg>): Password "
	    "mismatch"},
	NULL, false},
    {"dovecot failure: user imitates the failure head", "dovecot",
	{H "dovecot: imap-login: Disconnected (tried to use disabled "
	   "plaintext auth): user=<x (auth failed, 1 attempts): user=<y>, "
	   "method=PLAIN, rip=6.6.6.6, lip=1.1.1.1>, rip=192.0.2.3, "
	   "lip=192.0.2.4"},
	NULL, false},
    {"dovecot failure: crafted rip= in user (captured)", "dovecot",
	{TS "pop3-login: Info: Disconnected: Aborted login by logging out "
	    "(auth failed, 1 attempts in 1 secs): user=<mallory>, "
	    "method=PLAIN, rip=6.6.6.6, lip=1.1.1.1, session=<x>, "
	    "method=PLAIN, rip=127.0.0.91, lip=127.0.0.1, "
	    "session=<HhPTtjRh66R/AABb>"},
	"login-fail recog=dovecot proto=pop3 ip=127.0.0.91 user=mallory>,"
	"\\x20method=PLAIN,\\x20rip=6.6.6.6,\\x20lip=1.1.1.1,\\x20"
	"session=<x reason=auth\\x20failed,\\x201\\x20attempts\\x20in\\x20"
	"1\\x20secs",
	true},
    {"dovecot no auth attempts", "dovecot",
	{TS "pop3-login: Info: Disconnected: Connection closed (no auth "
	    "attempts in 0 secs): user=<>, rip=127.0.0.31, lip=127.0.0.1, "
	    "session=<V5PY>"},
	NULL, false},
    {"dovecot 1.0 aborted (ossec)", "dovecot",
	{"Oct 19 14:16:51 host dovecot: imap-login: Aborted login (1 "
	 "authentication attempts): user=<uuuuu>, method=PLAIN, "
	 "rip=192.0.2.1, lip=192.0.2.2"},
	NULL, false},
    {"dovecot anonymised address (ossec)", "dovecot",
	{"Oct 18 14:23:37 host dovecot: imap-login: Login: user=<uuuuu>, "
	 "method=PLAIN, rip=y.y.y.y, lip=x.x.x.x, TLS"},
	NULL, false},
    {"dovecot ANONYMOUS mechanism", "dovecot",
	{H "dovecot: imap-login: Login: user=<anonymous>, "
	   "method=ANONYMOUS, rip=192.0.2.1, lip=192.0.2.2"},
	NULL, false},
    {"dovecot rip without lip", "dovecot",
	{H "dovecot: imap-login: Login: user=<a>, method=PLAIN, "
	   "rip=192.0.2.1, mpid=3"},
	NULL, false},
    {"dovecot bad rip", "dovecot",
	{H "dovecot: imap-login: Login: user=<a>, method=PLAIN, "
	   "rip=192.0.2.300, lip=192.0.2.2"},
	NULL, false},
    {"dovecot submission-login is not POP/IMAP", "dovecot",
	{H "dovecot: submission-login: Login: user=<a>, method=PLAIN, "
	   "rip=192.0.2.1, lip=192.0.2.2, mpid=1"},
	NULL, false},
    {"dovecot auth process line", "dovecot",
	{TS "auth: Info: passwd-file(alice,127.0.0.6,<3mKg>): Password "
	    "mismatch"},
	NULL, false},

    /* ---- vm-pop3d ---- */
    {"vmpop3d seed form", "vm-pop3d",
	{"Mar  5 10:00:00 mailhost vm-pop3d[28236]: User 'alice' of "
	 "'example.com' from '192.0.2.10' logged in"},
	"login recog=vm-pop3d proto=pop3 ip=192.0.2.10 user=alice "
	"domain=example.com",
	false},
    {"vmpop3d 1.1.7f (public sample)", "vm-pop3d",
	{"Feb 25 12:13:18 web1 vm-pop3d[20764]: User "
	 "'test@renoirboulanger.com' logged in from 69.159.235.26, nmsgs=3"},
	"login recog=vm-pop3d proto=pop3 ip=69.159.235.26 "
	"user=test@renoirboulanger.com",
	true},
    {"vmpop3d 1.1.7f with domain, no nmsgs", "vm-pop3d",
	{H "vm-pop3d[20765]: User 'bob' of 'example.org' logged in from "
	   "192.0.2.11"},
	"login recog=vm-pop3d proto=pop3 ip=192.0.2.11 user=bob "
	"domain=example.org",
	true},
    {"vmpop3d two lines", "vm-pop3d",
	{H "vm-pop3d[900]: Connect from 192.0.2.12",
	    H "vm-pop3d[900]: User 'carol' of 'example.net' logged in"},
	"login recog=vm-pop3d proto=pop3 ip=192.0.2.12 user=carol "
	"domain=example.net",
	false},
    {"vmpop3d two lines, no domain", "vm-pop3d",
	{H "vm-pop3d[901]: Connect from 192.0.2.13",
	    H "vm-pop3d[901]: User 'dave' logged in"},
	"login recog=vm-pop3d proto=pop3 ip=192.0.2.13 user=dave", false},
    {"vmpop3d login without connect", "vm-pop3d",
	{H "vm-pop3d[902]: User 'dave' logged in"}, NULL, false},
    {"vmpop3d connect of another pid", "vm-pop3d",
	{H "vm-pop3d[903]: Connect from 192.0.2.14",
	    H "vm-pop3d[904]: User 'dave' logged in"},
	NULL, false},
    {"vmpop3d connect used once", "vm-pop3d",
	{H "vm-pop3d[905]: Connect from 192.0.2.15",
	    H "vm-pop3d[905]: User 'dave' logged in",
	    H "vm-pop3d[905]: User 'dave' logged in"},
	NULL, false},
    {"vmpop3d failed auth (ossec)", "vm-pop3d",
	{"May 15 06:54:43 servername vm-pop3d[24110]: User 'jobs' - failed "
	 "auth, from=70.89.46.205"},
	NULL, false},
    {"vmpop3d session end", "vm-pop3d",
	{"Feb 25 12:13:23 web1 vm-pop3d[20764]: Session ended for user: "
	 "'test@renoirboulanger.com' from 69.159.235.26, nmsgs=3, ndel=0"},
	NULL, false},

    /* ---- Courier ---- */
    {"courier old (ossec courierpop3login)", "courier",
	{"Jun  1 00:12:06 server1 courierpop3login: LOGIN, "
	 "user=web10_mauricio, ip=[::ffff:192.168.0.100]"},
	"login recog=courier proto=pop3 ip=192.168.0.100 "
	"user=web10_mauricio",
	false},
    {"courier imapd port protocol", "courier",
	{H "imapd: LOGIN, user=alice@example.com, ip=[::ffff:192.0.2.1], "
	   "port=[51234], protocol=IMAP"},
	"login recog=courier proto=imap ip=192.0.2.1 user=alice@example.com",
	false},
    {"courier pop3d-ssl IPv6 stls", "courier",
	{H "pop3d-ssl[22]: LOGIN, user=bob, ip=[2001:db8::2], port=[50111], "
	   "protocol=POP3, stls=1"},
	"login recog=courier proto=pop3 ip=2001:db8::2 user=bob", false},
    {"courier INFO: prefix", "courier",
	{H "pop3d: INFO: LOGIN, user=carol, ip=[::ffff:192.0.2.3], "
	   "port=[1100], protocol=POP3"},
	"login recog=courier proto=pop3 ip=192.0.2.3 user=carol", false},
    {"courier injection in user", "courier",
	{H "pop3d: LOGIN, user=evil, ip=[6.6.6.6], ip=[::ffff:192.0.2.9], "
	   "port=[1], protocol=POP3"},
	"login recog=courier proto=pop3 ip=192.0.2.9 "
	"user=evil,\\x20ip=[6.6.6.6]",
	true},
    {"courier bad tail", "courier",
	{H "pop3d: LOGIN, user=a, ip=[192.0.2.1], port=[x]"}, NULL, false},
    {"courier LOGIN FAILED (sshguard)", "courier",
	{"Jun 24 15:34:21 mail imapd: LOGIN FAILED, "
	 "user=fakeemail@example.com, ip=[::ffff:121.226.61.81]"},
	NULL, false},
    {"courier Connection (ossec)", "courier",
	{"Jun  1 00:21:40 server1 courierpop3login: Connection, "
	 "ip=[::ffff:192.168.0.100]"},
	NULL, false},
    {"courier LOGOUT (ossec)", "courier",
	{"Jun  1 00:12:06 server1 courierpop3login: LOGOUT, "
	 "user=web10_mauricio, ip=[::ffff:192.168.0.100], top=0, retr=0, "
	 "rcvd=24, sent=96, time=0"},
	NULL, false},

    /* ---- Cyrus ---- */
    {"cyrus imaps host, TLS, SESSIONID", "cyrus",
	{H "imaps[1234]: login: client.example.com [192.0.2.21] alice "
	   "plaintext+TLS User logged in SESSIONID=<cyrus-1234-1-1>"},
	"login recog=cyrus proto=imap ip=192.0.2.21 user=alice "
	"host=client.example.com",
	false},
    {"cyrus pop3 bare address", "cyrus",
	{H "pop3[55]: login: [192.0.2.22] bob PLAIN User logged in"},
	"login recog=cyrus proto=pop3 ip=192.0.2.22 user=bob", false},
    {"cyrus/imap prefix, IPv6", "cyrus",
	{H "cyrus/imap[77]: login: localhost [2001:db8::23] cassandane "
	   "plaintext User logged in SESSIONID=<c-77-1>"},
	"login recog=cyrus proto=imap ip=2001:db8::23 user=cassandane "
	"host=localhost",
	false},
    {"cyrus badlogin (sshguard)", "cyrus",
	{"Oct 29 18:51:24 mailsrv imaps[79980]: badlogin: [192.168.1.1] "
	 "CRAM-MD5 (testbox@domain) [SASL(-13): authentication failure: "
	 "incorrect digest response]"},
	NULL, false},
    {"cyrus anonymous", "cyrus",
	{H "imap[1]: login: [192.0.2.24] anonymous x User logged in"}, NULL,
	false},
    {"cyrus anonymous with crafted password", "cyrus",
	{H "imap[1]: login: [192.0.2.24] anonymous a b User logged in"}, NULL,
	false},
    {"cyrus sieve is not POP/IMAP", "cyrus",
	{H "sieve[1]: login: [192.0.2.25] alice PLAIN User logged in"}, NULL,
	false},
    {"cyrus trailing text", "cyrus",
	{H "imap[1]: login: [192.0.2.26] alice PLAIN User logged in now"}, NULL,
	false},

    /* ---- UW imapd / ipop3d ---- */
    {"uw imapd Login", "uw",
	{H "imapd[1]: Login user=alice host=client.example.com [192.0.2.31]"},
	"login recog=uw proto=imap ip=192.0.2.31 user=alice "
	"host=client.example.com",
	false},
    {"uw ipop3d Login nmsgs", "uw",
	{H "ipop3d[2]: Login user=bob host=[192.0.2.32] nmsgs=3/3"},
	"login recog=uw proto=pop3 ip=192.0.2.32 user=bob", false},
    {"uw ipop3d Auth", "uw",
	{H "ipop3d[2]: Auth user=bob host=h.example [192.0.2.33] nmsgs=0/0"},
	"login recog=uw proto=pop3 ip=192.0.2.33 user=bob host=h.example",
	false},
    {"uw ipop3d APOP", "uw",
	{H "ipop3d[2]: APOP user=bob host=[192.0.2.34] nmsgs=1/1"},
	"login recog=uw proto=pop3 ip=192.0.2.34 user=bob", false},
    {"uw ipop3d no mailbox", "uw",
	{H "ipop3d[2]: Auth user=bob host=[192.0.2.35] no mailbox"},
	"login recog=uw proto=pop3 ip=192.0.2.35 user=bob", false},
    {"uw imapd Authenticated mech IPv6", "uw",
	{H "imapd[3]: Authenticated user=alice host=[2001:db8::36] "
	   "mech=PLAIN"},
	"login recog=uw proto=imap ip=2001:db8::36 user=alice", false},
    {"uw imapd Preauthenticated", "uw",
	{H "imapd[4]: Preauthenticated user=alice host=[192.0.2.37]"},
	"login recog=uw proto=imap ip=192.0.2.37 user=alice", false},
    {"uw injection: user holds host=", "uw",
	{H "ipop3d[5]: Login user=x host=[6.6.6.6] host=[192.0.2.38] "
	   "nmsgs=1/1"},
	"login recog=uw proto=pop3 ip=192.0.2.38 "
	"user=x\\x20host=[6.6.6.6]",
	true},
    {"uw Login failed (sshguard shape)", "uw",
	{H "imapd[6]: Login failed user=x auth=y host=z [192.0.2.39]"}, NULL,
	false},
    {"uw Login failure", "uw",
	{H "ipop3d[6]: Login failure user=x host=[192.0.2.39]"}, NULL, false},
    {"uw Logout", "uw", {H "imapd[6]: Logout user=alice host=[192.0.2.39]"},
	NULL, false},
    {"uw anonymous preauth", "uw",
	{H "imapd[6]: Preauthenticated user=ANONYMOUS host=[192.0.2.40]"}, NULL,
	false},
    {"uw host cut by %.80s", "uw",
	{H "imapd[6]: Login user=a host=a-very-long-reverse-name [192.0.2."},
	NULL, false},
    {"uw unknown host", "uw",
	{H "imapd[6]: Preauthenticated user=alice host=UNKNOWN"}, NULL, false},

    /* ---- Qpopper ---- */
    {"qpopper real line with source tail", "qpopper",
	{"Mar  8 12:53:46 localhost in.qpopper[7597]: (v4.0.9) POP login "
	 "by user \"nick\" at (yw-out-2526.google.com) 74.125.46.35 "
	 "[pop_log.c:244]"},
	"login recog=qpopper proto=pop3 ip=74.125.46.35 user=nick "
	"host=yw-out-2526.google.com",
	true},
    {"qpopper host is the address", "qpopper",
	{H "qpopper[8]: (v4.0.5) POP login by user \"alice\" at (192.0.2.41) "
	   "192.0.2.41"},
	"login recog=qpopper proto=pop3 ip=192.0.2.41 user=alice", true},
    {"qpopper Stats with host", "qpopper",
	{H "popper[9]: Stats: alice 0 0 1 2345 host.example.com 192.0.2.42"},
	"login recog=qpopper proto=pop3 ip=192.0.2.42 user=alice "
	"host=host.example.com",
	true},
    {"qpopper Stats without host", "qpopper",
	{H "popper[9]: Stats: alice 2 300 0 0 192.0.2.43"},
	"login recog=qpopper proto=pop3 ip=192.0.2.43 user=alice", true},
    {"qpopper injection in user", "qpopper",
	{H "qpopper[10]: (v4.0.9) POP login by user \"x\" at (h) 6.6.6.6\" "
	   "at (real.example) 192.0.2.44"},
	"login recog=qpopper proto=pop3 ip=192.0.2.44 "
	"user=x\"\\x20at\\x20(h)\\x206.6.6.6 host=real.example",
	true},
    {"qpopper servicing request (real)", "qpopper",
	{"Mar  8 12:53:46 localhost in.qpopper[7597]: (v4.0.9) Servicing "
	 "request from \"yw-out-2526.google.com\" at 74.125.46.35 "
	 "[pop_init.c:1408]"},
	NULL, false},
    {"qpopper I/O error (real)", "qpopper",
	{"Mar  8 12:53:46 localhost in.qpopper[7596]: (null) at "
	 "yw-out-2526.google.com (74.125.46.32): -ERR POP EOF or I/O Error "
	 "[popper.c:828]"},
	NULL, false},
    {"qpopper bad password", "qpopper",
	{H "qpopper[11]: alice at h (192.0.2.45): -ERR [AUTH] Password "
	   "supplied for \"alice\" is incorrect."},
	NULL, false},

    /* ---- GNU pop3d ---- */
    {"gnupop3d two lines", "gnu-pop3d",
	{H "gnu-pop3d[100]: connect from 192.0.2.51",
	    H "gnu-pop3d[100]: User 'alice' logged in with mailbox "
	      "'/var/mail/alice'"},
	"login recog=gnu-pop3d proto=pop3 ip=192.0.2.51 user=alice", false},
    {"gnupop3d mailutils 2 backquotes", "gnu-pop3d",
	{H "pop3d[101]: Connect from 192.0.2.52",
	    H "pop3d[101]: user `bob' logged in with mailbox "
	      "`mbox:///var/mail/bob' (3 messages)"},
	"login recog=gnu-pop3d proto=pop3 ip=192.0.2.52 user=bob", false},
    {"gnupop3d APOP unquoted", "gnu-pop3d",
	{H "gnu-pop3d[102]: connect from 192.0.2.53",
	    H "gnu-pop3d[102]: User carol logged in with mailbox "
	      "/var/mail/carol"},
	"login recog=gnu-pop3d proto=pop3 ip=192.0.2.53 user=carol", false},
    {"gnupop3d no connect line (mailutils 3)", "gnu-pop3d",
	{H "pop3d[103]: incoming connection opened",
	    H "pop3d[103]: user `bob' logged in with mailbox `/var/mail/bob' "
	      "(1 message)"},
	NULL, false},
    {"gnupop3d auth failed", "gnu-pop3d",
	{H "gnu-pop3d[104]: connect from 192.0.2.54",
	    H "gnu-pop3d[104]: user `bob': authentication failed"},
	NULL, false},

    /* ---- popa3d ---- */
    {"popa3d two lines", "popa3d",
	{H "popa3d[300]: Session from 192.0.2.61",
	    H "popa3d[300]: Authentication passed for alice"},
	"login recog=popa3d proto=pop3 ip=192.0.2.61 user=alice", false},
    {"popa3d patched", "popa3d",
	{H "popa3d[301]: Authentication passed for bob -- [192.0.2.62]"},
	"login recog=popa3d proto=pop3 ip=192.0.2.62 user=bob", false},
    {"popa3d failed", "popa3d",
	{H "popa3d[302]: Session from 192.0.2.63",
	    H "popa3d[302]: Authentication failed for alice"},
	NULL, false},
    {"popa3d failed unknown user", "popa3d",
	{H "popa3d[302]: Session from 192.0.2.63",
	    H "popa3d[302]: Authentication failed for UNKNOWN USER"},
	NULL, false},

    /* ---- Solid POP3 ---- */
    {"spop3d LOG_EXTEND", "solid-pop3d",
	{H "spop3d[400]: user alice authenticated - 192.0.2.71"},
	"login recog=solid-pop3d proto=pop3 ip=192.0.2.71 user=alice", true},
    {"spop3d resolved host", "solid-pop3d",
	{H "spop3d[401]: user alice authenticated - host.example.com "
	   "(192.0.2.72)"},
	"login recog=solid-pop3d proto=pop3 ip=192.0.2.72 user=alice "
	"host=host.example.com",
	false},
    {"spop3d mapped user", "solid-pop3d",
	{H "spop3d[402]: mapped user bob authenticated - 192.0.2.73"},
	"login recog=solid-pop3d proto=pop3 ip=192.0.2.73 user=bob", true},
    {"spop3d APOP", "solid-pop3d",
	{H "spop3d[403]: user carol authenticated through APOP - "
	   "192.0.2.74"},
	"login recog=solid-pop3d proto=pop3 ip=192.0.2.74 user=carol", true},
    {"spop3d two lines", "solid-pop3d",
	{H "spop3d[404]: connect from 192.0.2.75",
	    H "spop3d[404]: user dave authenticated"},
	"login recog=solid-pop3d proto=pop3 ip=192.0.2.75 user=dave", false},
    {"spop3d injection", "solid-pop3d",
	{H "spop3d[405]: user x authenticated - 6.6.6.6 authenticated - "
	   "192.0.2.76"},
	"login recog=solid-pop3d proto=pop3 ip=192.0.2.76 "
	"user=x\\x20authenticated\\x20-\\x206.6.6.6",
	true},
    {"spop3d injection vs APOP marker", "solid-pop3d",
	{H "spop3d[405]: user x authenticated - 6.6.6.6 authenticated "
	   "through APOP - 192.0.2.77"},
	"login recog=solid-pop3d proto=pop3 ip=192.0.2.77 "
	"user=x\\x20authenticated\\x20-\\x206.6.6.6",
	true},
    {"spop3d failure", "solid-pop3d",
	{H "spop3d[406]: authentication failed for user alice - 192.0.2.78"},
	NULL, false},

    /* ---- Perdition ---- */
    {"perdition 1.x", "perdition",
	{H "perdition[500]: Auth: 192.0.2.81->10.0.0.1 user=\"alice\" "
	   "passwd=\"XXXXXX\" server=\"mail.internal\" port=\"110\" "
	   "status=\"ok\""},
	"login recog=perdition ip=192.0.2.81 user=alice", false},
    {"perdition.pop3s", "perdition",
	{H "perdition.pop3s[501]: Auth: 192.0.2.82->10.0.0.1 user=\"bob\" "
	   "passwd=\"XXXXXX\" server=\"s\" port=\"110\" status=\"ok\""},
	"login recog=perdition proto=pop3 ip=192.0.2.82 user=bob", false},
    {"perdition new form", "perdition",
	{H "perdition[502]: Auth: 192.0.2.83:50123->10.0.0.1:993 "
	   "client-secure=ssl authorisation_id=NONE "
	   "authentication_id=\"carol\" server=\"10.0.0.2:143\" "
	   "protocol=IMAP4S server-secure=plaintext status=\"ok\""},
	"login recog=perdition proto=imap ip=192.0.2.83 user=carol", false},
    {"perdition new form IPv6", "perdition",
	{H "perdition.imap4[503]: Auth: "
	   "[2001:db8::84]:40000->[2001:db8::1]:143 "
	   "client-secure=plaintext authorisation_id=NONE "
	   "authentication_id=\"dave\" server=\"s:143\" protocol=IMAP4 "
	   "server-secure=plaintext status=\"ok\""},
	"login recog=perdition proto=imap ip=2001:db8::84 user=dave", false},
    {"perdition failure", "perdition",
	{H "perdition[504]: Auth: 192.0.2.85->10.0.0.1 user=\"alice\" "
	   "passwd=\"XXXXXX\" server=\"s\" port=\"110\" status=\"failed: "
	   "Re-Authentication Failure\""},
	NULL, false},
    {"perdition injection into a failure", "perdition",
	{H "perdition[505]: Auth: 192.0.2.86->10.0.0.1 user=\"x\" server=\"a\" "
	   "port=\"1\" status=\"ok\" passwd=\"XXXXXX\" server=\"s\" "
	   "port=\"110\" status=\"failed: Re-Authentication Failure\""},
	NULL, false},

    /* ---- vpopmail ---- */
    {"vpopmail pop3 (ossec qmailtoaster)", "vpopmail",
	{"Jul  7 11:23:52 srv vpopmail[20057]: vchkpw-pop3: (PLAIN) login "
	 "success user@my_domain:1.2.3.4"},
	"login recog=vpopmail proto=pop3 ip=1.2.3.4 user=user@my_domain", true},
    {"vpopmail imaps (ossec)", "vpopmail",
	{"Jul  5 07:45:29 srv vpopmail[31411]: vchkpw-imaps: (PLAIN) login "
	 "success user@my_domain:1.2.3.4"},
	"login recog=vpopmail proto=imap ip=1.2.3.4 user=user@my_domain", true},
    {"vpopmail 5.2 form", "vpopmail",
	{H "vpopmail[1]: vchkpw: login success alice@example.com:192.0.2.91"},
	"login recog=vpopmail proto=pop3 ip=192.0.2.91 "
	"user=alice@example.com",
	true},
    {"vpopmail old form", "vpopmail",
	{H "vpopmail[2]: vchkpw: login [alice] from 192.0.2.92"},
	"login recog=vpopmail proto=pop3 ip=192.0.2.92 user=alice", true},
    {"vpopmail program vchkpw-pop3, IPv6", "vpopmail",
	{H "vchkpw-pop3[3]: (PLAIN) login success a@example.com:2001:db8::93"},
	"login recog=vpopmail proto=pop3 ip=2001:db8::93 user=a@example.com",
	true},
    {"vpopmail injection in user", "vpopmail",
	{H "vpopmail[4]: vchkpw-pop3: (PLAIN) login success "
	   "x:6.6.6.6@example.com:192.0.2.94"},
	"login recog=vpopmail proto=pop3 ip=192.0.2.94 "
	"user=x:6.6.6.6@example.com",
	true},
    {"vpopmail smtp is not POP/IMAP (ossec)", "vpopmail",
	{"Jul  7 11:08:51 srv vpopmail[19743]: vchkpw-submission: "
	 "(CRAM-MD5) login success user@my_domain:1.2.3.4"},
	NULL, false},
    {"vpopmail webmail (ossec)", "vpopmail",
	{"Jul  7 11:14:22 srv vpopmail[19938]: vchkpw-webmail: (PLAIN) "
	 "login success user@my_domain:127.0.0.1"},
	NULL, false},
    {"vpopmail password fail (ossec)", "vpopmail",
	{"Jul  7 07:10:18 srv vpopmail[4800]: vchkpw-pop3: password fail "
	 "(pass: 'test') user@my_domain:1.2.3.4"},
	NULL, false},
    {"vpopmail user not found (ossec)", "vpopmail",
	{"Aug 12 11:52:52 mail vpopmail[4162]: vchkpw-pop3: vpopmail user "
	 "not found support@:69.3.64.3"},
	NULL, false},

    /* ---- Teapop ---- */
    {"teapop 0.3", "teapop",
	{H "teapop[600]: Successful login for alice [192.0.2.1] from "
	   "client.example.com [192.0.2.101]"},
	"login recog=teapop proto=pop3 ip=192.0.2.101 user=alice "
	"host=client.example.com",
	false},
    {"teapop virtual domain, no reverse name", "teapop",
	{H "teapop_ssl[601]: Successful login for alice@example.com "
	   "[10.0.0.1] from 192.0.2.102 [192.0.2.102]"},
	"login recog=teapop proto=pop3 ip=192.0.2.102 "
	"user=alice@example.com",
	false},
    {"teapop older form", "teapop",
	{H "teapop[602]: Successful login for bob from host.example "
	   "[192.0.2.103]"},
	"login recog=teapop proto=pop3 ip=192.0.2.103 user=bob "
	"host=host.example",
	false},
    {"teapop injection", "teapop",
	{H "teapop[603]: Successful login for x from evil [6.6.6.6] "
	   "[192.0.2.1] from real.example [192.0.2.104]"},
	"login recog=teapop proto=pop3 ip=192.0.2.104 "
	"user=x\\x20from\\x20evil\\x20[6.6.6.6] host=real.example",
	true},
    {"teapop failure", "teapop",
	{H "teapop[604]: Failed login for alice [192.0.2.1] from h "
	   "[192.0.2.105]"},
	NULL, false},
};

/* run_case - one table case, then its truncations */
static void
run_case(const struct rcase *c)
{
	t_recog_case(recog_find(c->recog), c->name, c->lines, MAXLINES, c->want,
	    c->nocut, EVENT_LOGIN, EVENT_LOGIN_FAIL, NULL);
}

/* test_builtin_table - names unique, every recogniser has programs */
static void
test_builtin_table(void)
{
	int n = 0;

	for (const struct recog *const *r = recog_builtin; *r; r++, n++) {
		T_CASE((*r)->name);
		T_OK(recog_find((*r)->name) == *r);
		T_OK((*r)->progs && (*r)->progs[0]);
		T_OK((*r)->what && (*r)->match);
		T_OK(((*r)->state_new == NULL) == ((*r)->state_free == NULL));
	}
	T_CASE(NULL);
	T_EQ_INT(n, 13);
	T_OK(recog_find("nosuch") == NULL);
}

/* test_conn_cache - bounded, keyed by prog/host/pid, one use, age */
static void
test_conn_cache(void)
{
	struct kcache *c = ru_conn_new();
	struct logline ll;
	struct ipaddr ip, got;
	char line[128];

	ipaddr_parse(&ip, "192.0.2.1", 9);
	/* far more connects than slots: memory does not grow, the newest
	 * are kept */
	for (int i = 0; i < 5 * RU_CONN_SETS * KCACHE_WAYS; i++) {
		int n = snprintf(
		    line, sizeof(line), "Nov 26 19:47:27 h popa3d[%d]: x", i);
		header_split(&ll, line, (size_t)n);
		ru_conn_put(c, &ll, &ip);
	}
	int n = snprintf(line, sizeof(line), "Nov 26 19:47:27 h popa3d[%d]: x",
	    5 * RU_CONN_SETS * KCACHE_WAYS - 1);
	header_split(&ll, line, (size_t)n);
	T_OK(ru_conn_take(c, &ll, &got));
	T_OK(ipaddr_equal(&got, &ip));
	T_OK(!ru_conn_take(c, &ll, &got));
	n = snprintf(line, sizeof(line), "Nov 26 19:47:27 h popa3d[0]: x");
	header_split(&ll, line, (size_t)n);
	T_OK(!ru_conn_take(c, &ll, &got));

	/* another host or program is another key */
	header_split(&ll, "Nov 26 19:47:27 a p[1]: x", 25);
	ru_conn_put(c, &ll, &ip);
	header_split(&ll, "Nov 26 19:47:27 b p[1]: x", 25);
	T_OK(!ru_conn_take(c, &ll, &got));
	header_split(&ll, "Nov 26 19:47:27 a q[1]: x", 25);
	T_OK(!ru_conn_take(c, &ll, &got));
	/* no pid: nothing stored */
	header_split(&ll, "Nov 26 19:47:27 a p: x", 22);
	ru_conn_put(c, &ll, &ip);
	T_OK(!ru_conn_take(c, &ll, &got));

	/* too old when both lines carry a time */
	header_split(&ll, "Nov 26 19:47:27 a r[1]: x", 25);
	ll.time = 1000;
	ll.has_time = true;
	ru_conn_put(c, &ll, &ip);
	ll.time = 1000 + RU_CONN_MAXAGE + 1;
	T_OK(!ru_conn_take(c, &ll, &got));
	ll.time = 1000;
	ru_conn_put(c, &ll, &ip);
	ll.time = 1000 + 5;
	T_OK(ru_conn_take(c, &ll, &got));
	ru_conn_free(c);
}

/* test_util - span helpers at their edges */
static void
test_util(void)
{
	struct span s = SPAN_LIT("a, rip=1, rip=2");
	struct ipaddr ip;

	T_OK(ru_find(s, ", rip=") == s.p + 1);
	T_OK(ru_rfind(s, ", rip=") == s.p + 8);
	T_OK(ru_rfind(SPAN_LIT("abc"), "abcd") == NULL);
	T_OK(ru_rfind(SPAN_LIT("abc"), "a") != NULL);
	T_OK(ru_find(SPAN_NONE, "a") == NULL);
	T_OK(ru_digits(SPAN_LIT("0123")));
	T_OK(!ru_digits(SPAN_LIT("")));
	T_OK(!ru_digits(SPAN_LIT("1a")));
	T_OK(ru_eqi(SPAN_LIT("AnOnYmOuS"), "anonymous"));
	T_OK(!ru_ip(&ip, SPAN_LIT("[192.0.2.1]")));
	T_OK(!ru_ip(&ip, SPAN_LIT("IPv6:2001:db8::1")));
	T_OK(!ru_ip(&ip, SPAN_LIT("192.0.2.1 ")));
	T_OK(ru_ip(&ip, SPAN_LIT("::ffff:192.0.2.1")) && ip.af == 4);
	T_EQ_INT(ru_proto_of(SPAN_LIT("cyrus/pop3s")), PROTO_POP3);
	T_EQ_INT(ru_proto_of(SPAN_LIT("IMAPD-ssl")), PROTO_IMAP);
	T_EQ_INT(ru_proto_of(SPAN_LIT("sieve")), PROTO_UNKNOWN);
}

/* main - run the tests; exit status is the verdict */
int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_builtin_table();
	test_conn_cache();
	test_util();
	return t_done();
}
