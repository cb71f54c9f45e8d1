/*
 * test_recog_postfix - unit tests for src/parse/recog_postfix.c and the
 * recogniser settings and login filter of src/parse/dispatch.c.
 *
 * Each table case feeds complete log lines, split by header_split as the
 * daemon does, to the postfix recogniser with a fresh state (default
 * settings); earlier lines only feed state (the queue-id cache), the
 * event of the LAST line (event_format output, or none) is compared.
 * Lines marked (e2e) are real Postfix 3.7.11 lines from
 * shared/e2e/line-shapes.txt, (captured) ones real lines logged for
 * crafted input by tests/e2e/capture_postfix.py; the others follow the
 * formats named in tests/corpus/SOURCES.md.  6.6.6.6 marks a decoy: no
 * event may carry it.
 *
 * Every case is also cut at every length: a cut line must give no event
 * or an event for the same address.  Marked cases skip that: a
 * header/body reject whose queue id is unknown holds the client's own
 * text before the real origin, so a cut right after a fake origin looks
 * like a whole line; such lines are only cut by a length limit, and
 * Postfix's (2000 bytes) and syslog's (RU_LINE_MAX) are refused
 * (test_reclen, and the corpus).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "parse/dispatch.h"
#include "parse/header.h"
#include "parse/recog.h"
#include "parse/recog_util.h"
#include "policy/event.h"
#include "tlib.h"

#define MAXLINES 3

struct pcase {
	const char *name;
	const char *lines[MAXLINES]; /* earlier lines feed state only */
	const char *want; /* NULL = no event */
	bool nocut; /* skip the truncation check */
};

static const struct pcase cases[] = {
    {"relay denied (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.5]: 554 5.7.1 <friend@remote.test>: Relay access "
	 "denied; from=<alice@remote.test> to=<friend@remote.test> proto=ESMTP "
	 "helo=<alice-laptop.example>"},
	"relay-denied recog=postfix ip=127.0.0.5 host=unknown "
	"code=554\\x205.7.1 stage=RCPT qid=NOQUEUE helo=alice-laptop.example "
	"from=alice@remote.test to=friend@remote.test addr=friend@remote.test",
	false},
    {"relay denied IPv6 (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[::1]: 554 5.7.1 <friend6@remote.test>: Relay access denied; "
	 "from=<bob@remote.test> to=<friend6@remote.test> proto=ESMTP "
	 "helo=<v6-client.example>"},
	"relay-denied recog=postfix ip=::1 host=unknown code=554\\x205.7.1 "
	"stage=RCPT qid=NOQUEUE helo=v6-client.example from=bob@remote.test "
	"to=friend6@remote.test addr=friend6@remote.test",
	false},
    {"unknown local recipient, queue id (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: 4FB87116146: reject: RCPT "
	 "from unknown[127.0.0.11]: 550 5.1.1 <nosuchuser3@mail.test>: "
	 "Recipient address rejected: User unknown in local recipient table; "
	 "from=<someone@remote.test> to=<nosuchuser3@mail.test> proto=ESMTP "
	 "helo=<h11.example>"},
	"unknown-recipient recog=postfix ip=127.0.0.11 host=unknown "
	"code=550\\x205.1.1 stage=RCPT qid=4FB87116146 helo=h11.example "
	"from=someone@remote.test to=nosuchuser3@mail.test "
	"addr=nosuchuser3@mail.test "
	"reason=User\\x20unknown\\x20in\\x20local\\x20recipient\\x20table",
	false},
    {"unknown relay recipient (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.11]: 550 5.1.1 <nobody@relay.test>: Recipient "
	 "address rejected: User unknown in relay recipient table; "
	 "from=<someone@remote.test> to=<nobody@relay.test> proto=ESMTP "
	 "helo=<h11.example>"},
	"unknown-recipient recog=postfix ip=127.0.0.11 host=unknown "
	"code=550\\x205.1.1 stage=RCPT qid=NOQUEUE helo=h11.example "
	"from=someone@remote.test to=nobody@relay.test addr=nobody@relay.test "
	"reason=User\\x20unknown\\x20in\\x20relay\\x20recipient\\x20table",
	false},
    {"helo forgery at RCPT (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.12]: 554 5.7.1 <[127.0.0.1]>: Helo command rejected: "
	 "You are not 127.0.0.1 (HELO forgery); from=<someone@remote.test> "
	 "to=<alice@mail.test> proto=ESMTP helo=<[127.0.0.1]>"},
	"helo-forgery recog=postfix ip=127.0.0.12 host=unknown "
	"code=554\\x205.7.1 stage=RCPT qid=NOQUEUE helo=[127.0.0.1] "
	"from=someone@remote.test to=alice@mail.test addr=[127.0.0.1] "
	"reason=You\\x20are\\x20not\\x20127.0.0.1\\x20(HELO\\x20forgery)",
	false},
    {"helo forgery at EHLO, delay_reject=no (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: EHLO from "
	 "unknown[127.0.0.12]: 554 5.7.1 <mail.test>: Helo command rejected: "
	 "You are not mail.test (HELO forgery); proto=SMTP helo=<mail.test>"},
	"helo-forgery recog=postfix ip=127.0.0.12 host=unknown "
	"code=554\\x205.7.1 stage=EHLO qid=NOQUEUE helo=mail.test "
	"addr=mail.test "
	"reason=You\\x20are\\x20not\\x20mail.test\\x20(HELO\\x20forgery)",
	false},
    {"non-FQDN helo: syntax, logged only (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.34]: 504 5.5.2 <laptop>: Helo command rejected: need "
	 "fully-qualified hostname; from=<someone@remote.test> "
	 "to=<alice@mail.test> proto=ESMTP helo=<laptop>"},
	"reject recog=postfix ip=127.0.0.34 host=unknown code=504\\x205.5.2 "
	"stage=RCPT qid=NOQUEUE helo=laptop from=someone@remote.test "
	"to=alice@mail.test addr=laptop "
	"reason=need\\x20fully-qualified\\x20hostname "
	"detail=<laptop>:\\x20Helo\\x20command\\x20rejected:"
	"\\x20need\\x20fully-qualified\\x20hostname",
	false},
    {"invalid helo at HELO (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: HELO from "
	 "unknown[127.0.0.34]: 501 5.5.2 <bad_host!name>: Helo command "
	 "rejected: Invalid name; proto=SMTP helo=<bad_host!name>"},
	"reject recog=postfix ip=127.0.0.34 host=unknown code=501\\x205.5.2 "
	"stage=HELO qid=NOQUEUE helo=bad_host!name addr=bad_host!name "
	"reason=Invalid\\x20name "
	"detail=<bad_host!name>:\\x20Helo\\x20command\\x20rejected:"
	"\\x20Invalid\\x20name",
	false},
    {"sender forgery (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.5]: 554 5.7.1 <alice@mail.test>: Sender address "
	 "rejected: Forged sender: mail.test is not allowed from your address; "
	 "from=<alice@mail.test> to=<friend@remote.test> proto=ESMTP "
	 "helo=<alice-laptop.example>"},
	"sender-forgery recog=postfix ip=127.0.0.5 host=unknown "
	"code=554\\x205.7.1 stage=RCPT qid=NOQUEUE helo=alice-laptop.example "
	"from=alice@mail.test to=friend@remote.test addr=alice@mail.test "
	"reason=Forged\\x20sender:\\x20mail."
	"test\\x20is\\x20not\\x20allowed\\x20from\\x20your\\x20address",
	false},
    {"sender forgery at MAIL (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: MAIL from "
	 "unknown[127.0.0.5]: 554 5.7.1 <alice@mail.test>: Sender address "
	 "rejected: Forged sender: mail.test is not allowed from your address; "
	 "from=<alice@mail.test> proto=ESMTP helo=<alice-laptop.example>"},
	"sender-forgery recog=postfix ip=127.0.0.5 host=unknown "
	"code=554\\x205.7.1 stage=MAIL qid=NOQUEUE helo=alice-laptop.example "
	"from=alice@mail.test addr=alice@mail.test "
	"reason=Forged\\x20sender:\\x20mail."
	"test\\x20is\\x20not\\x20allowed\\x20from\\x20your\\x20address",
	false},
    {"non-FQDN sender (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: MAIL from "
	 "unknown[127.0.0.13]: 504 5.5.2 <ceo>: Sender address rejected: need "
	 "fully-qualified address; from=<ceo> proto=ESMTP helo=<h13.example>"},
	"reject recog=postfix ip=127.0.0.13 host=unknown code=504\\x205.5.2 "
	"stage=MAIL qid=NOQUEUE helo=h13.example from=ceo addr=ceo "
	"reason=need\\x20fully-qualified\\x20address "
	"detail=<ceo>:\\x20Sender\\x20address\\x20rejected:\\x20need\\x20fully-"
	"qualified\\x20address",
	false},
    {"domain not found (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.17]: 450 4.1.8 <someone@nosuchdomain.test>: Sender "
	 "address rejected: Domain not found; from=<someone@nosuchdomain.test> "
	 "to=<alice@mail.test> proto=ESMTP helo=<h17.example>"},
	"domain-not-found recog=postfix ip=127.0.0.17 host=unknown "
	"code=450\\x204.1.8 stage=RCPT qid=NOQUEUE helo=h17.example "
	"from=someone@nosuchdomain.test to=alice@mail.test "
	"addr=someone@nosuchdomain.test reason=Domain\\x20not\\x20found",
	false},
    {"RHSBL sender: a reject (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.33]: 554 5.7.1 Service unavailable; Sender address "
	 "[boss@spammer.test] blocked using dbl.test; Domain spammer.test "
	 "listed by harness DBL dbl.test; from=<boss@spammer.test> "
	 "to=<alice@mail.test> proto=ESMTP helo=<h33.example>"},
	"reject recog=postfix ip=127.0.0.33 host=unknown code=554\\x205.7.1 "
	"stage=RCPT qid=NOQUEUE helo=h33.example from=boss@spammer.test "
	"to=alice@mail.test "
	"detail=Service\\x20unavailable;\\x20Sender\\x20address\\x20[boss@"
	"spammer.test]\\x20blocked\\x20using\\x20dbl.test;"
	"\\x20Domain\\x20spammer."
	"test\\x20listed\\x20by\\x20harness\\x20DBL\\x20dbl.test",
	false},
    {"spam trap (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.14]: 554 5.7.1 <spamtrap@mail.test>: Recipient "
	 "address rejected: Spam trap address; from=<someone@remote.test> "
	 "to=<spamtrap@mail.test> proto=ESMTP helo=<h14.example>"},
	"recipient-forgery recog=postfix ip=127.0.0.14 host=unknown "
	"code=554\\x205.7.1 stage=RCPT qid=NOQUEUE helo=h14.example "
	"from=someone@remote.test to=spamtrap@mail.test "
	"addr=spamtrap@mail.test reason=Spam\\x20trap\\x20address",
	false},
    {"popauth blacklist, RCPT (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.30]: 554 5.7.1 <unknown[127.0.0.30]>: Client host "
	 "rejected: Your IP address has been blacklisted by popauth (harness "
	 "seed entry); from=<someone@remote.test> to=<alice@mail.test> "
	 "proto=ESMTP helo=<h30.example>"},
	"blacklisted recog=postfix ip=127.0.0.30 host=unknown "
	"code=554\\x205.7.1 stage=RCPT qid=NOQUEUE helo=h30.example "
	"from=someone@remote.test to=alice@mail.test addr=unknown[127.0.0.30] "
	"zone=popauth\\x20(harness\\x20seed\\x20entry) "
	"reason="
	"Your\\x20IP\\x20address\\x20has\\x20been\\x20blacklisted\\x20by\\x20po"
	"pauth\\x20(harness\\x20seed\\x20entry)",
	false},
    {"popauth blacklist, CONNECT with port (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: CONNECT "
	 "from unknown[127.0.0.51]:44325: 554 5.7.1 "
	 "<unknown[127.0.0.51]:44325>: Client host rejected: Your IP address "
	 "has been blacklisted by popauth. Visit their website or write to "
	 "argue. harness capture; proto=SMTP"},
	"blacklisted recog=postfix ip=127.0.0.51 host=unknown "
	"code=554\\x205.7.1 stage=CONNECT qid=NOQUEUE "
	"addr=unknown[127.0.0.51]:44325 zone=popauth "
	"reason="
	"Your\\x20IP\\x20address\\x20has\\x20been\\x20blacklisted\\x20by\\x20po"
	"pauth."
	"\\x20Visit\\x20their\\x20website\\x20or\\x20write\\x20to\\x20argue."
	"\\x20harness\\x20capture",
	false},
    {"client access denied: a reject (e2e)",
	{"Nov 26 19:47:27 mail postfix/submission/smtpd[3014]: NOQUEUE: "
	 "reject: CONNECT from unknown[127.0.0.22]: 554 5.7.1 "
	 "<unknown[127.0.0.22]>: Client host rejected: Access denied; "
	 "proto=SMTP"},
	"reject recog=postfix ip=127.0.0.22 host=unknown code=554\\x205.7.1 "
	"stage=CONNECT qid=NOQUEUE addr=unknown[127.0.0.22] "
	"reason=Access\\x20denied "
	"detail=<unknown[127.0.0.22]>:\\x20Client\\x20host\\x20rejected:"
	"\\x20Access\\x20denied",
	false},
    {"DNSBL (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.20]: 554 5.7.1 Service unavailable; Client host "
	 "[127.0.0.20] blocked using rbl.test; Listed by harness RBL rbl.test, "
	 "see http://rbl.test/lookup?ip=127.0.0.20; from=<someone@remote.test> "
	 "to=<alice@mail.test> proto=ESMTP helo=<h20.example>"},
	"rbl recog=postfix ip=127.0.0.20 host=unknown code=554\\x205.7.1 "
	"stage=RCPT qid=NOQUEUE helo=h20.example from=someone@remote.test "
	"to=alice@mail.test zone=rbl.test "
	"reason=Listed\\x20by\\x20harness\\x20RBL\\x20rbl.test,"
	"\\x20see\\x20http://rbl.test/lookup?ip=127.0.0.20",
	false},
    {"DNSBL at CONNECT (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: CONNECT "
	 "from unknown[127.0.0.20]: 554 5.7.1 Service unavailable; Client host "
	 "[127.0.0.20] blocked using rbl.test; Listed by harness RBL rbl.test, "
	 "see http://rbl.test/lookup?ip=127.0.0.20; proto=SMTP"},
	"rbl recog=postfix ip=127.0.0.20 host=unknown code=554\\x205.7.1 "
	"stage=CONNECT qid=NOQUEUE zone=rbl.test "
	"reason=Listed\\x20by\\x20harness\\x20RBL\\x20rbl.test,"
	"\\x20see\\x20http://rbl.test/lookup?ip=127.0.0.20",
	false},
    {"SASL failure (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: warning: "
	 "unknown[127.0.0.7]: SASL PLAIN authentication failed: (reason "
	 "unavailable), sasl_username=alice"},
	"sasl-fail recog=postfix ip=127.0.0.7 user=alice host=unknown "
	"reason=(reason\\x20unavailable)",
	false},
    {"SASL failure, submission, Cyrus, no user",
	{"Nov 26 19:47:27 mail postfix/submission/smtpd[3014]: warning: "
	 "host.example.net[192.0.2.66]:48123: SASL LOGIN authentication "
	 "failed: UGFzc3dvcmQ6"},
	"sasl-fail recog=postfix ip=192.0.2.66 host=host.example.net "
	"reason=UGFzc3dvcmQ6",
	false},
    {"SASL: the auth server is down: no event",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: warning: "
	 "unknown[192.0.2.67]: SASL LOGIN authentication failed: Connection "
	 "lost to authentication server"},
	NULL, false},
    {"header check with client= first (e2e)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: DBEC1116146: "
	 "client=unknown[127.0.0.15]",
	    "Nov 26 19:47:27 mail postfix/cleanup[2641]: DBEC1116146: reject: "
	    "header Subject: Buy VIAGRA now from unknown[127.0.0.15]; "
	    "from=<someone@remote.test> to=<alice@mail.test> proto=ESMTP "
	    "helo=<h15.example>: 5.7.1 Spam subject (header_checks)"},
	"content-reject recog=postfix ip=127.0.0.15 host=unknown code=5.7.1 "
	"stage=header qid=DBEC1116146 helo=h15.example "
	"from=someone@remote.test to=alice@mail.test "
	"reason=Spam\\x20subject\\x20(header_checks) "
	"detail=Subject:\\x20Buy\\x20VIAGRA\\x20now",
	false},
    {"body check without client= (e2e)",
	{"Nov 26 19:47:27 mail postfix/cleanup[2641]: E75F6116146: reject: "
	 "body Get cheap pills here from unknown[127.0.0.16]; "
	 "from=<someone@remote.test> to=<alice@mail.test> proto=ESMTP "
	 "helo=<h16.example>: 5.7.1 Spam body (body_checks)"},
	"content-reject recog=postfix ip=127.0.0.16 host=unknown code=5.7.1 "
	"stage=body qid=E75F6116146 helo=h16.example from=someone@remote.test "
	"to=alice@mail.test reason=Spam\\x20body\\x20(body_checks) "
	"detail=Get\\x20cheap\\x20pills\\x20here",
	false},
    {"old RBL with reason",
	{"Nov 26 19:47:27 mail postfix/smtpd[26215]: NOQUEUE: reject: CONNECT "
	 "from bad.example.net[198.51.100.7]: 554 Service unavailable; Client "
	 "host [198.51.100.7] blocked using list.dsbl.org; "
	 "http://dsbl.org/listing?ip=198.51.100.7; proto=SMTP"},
	"rbl recog=postfix ip=198.51.100.7 host=bad.example.net code=554 "
	"stage=CONNECT qid=NOQUEUE zone=list.dsbl.org "
	"reason=http://dsbl.org/listing?ip=198.51.100.7",
	false},
    {"old RBL without reason",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: CONNECT "
	 "from h.example.net[198.51.100.14]: 554 Service unavailable; Client "
	 "host [198.51.100.14] blocked using list.dsbl.org; proto=SMTP"},
	"rbl recog=postfix ip=198.51.100.14 host=h.example.net code=554 "
	"stage=CONNECT qid=NOQUEUE zone=list.dsbl.org",
	false},
    {"old blacklist repeat",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: CONNECT "
	 "from storm.example.net[203.0.113.50]: 554 "
	 "<storm.example.net[203.0.113.50]>: Client host rejected: Your IP "
	 "address has been blacklisted by sbl.spamhaus.org. Visit their "
	 "website or write to argue. "
	 "http://www.spamhaus.org/SBL/sbl.lasso?query=SBL12915; proto=SMTP"},
	"blacklisted recog=postfix ip=203.0.113.50 host=storm.example.net "
	"code=554 stage=CONNECT qid=NOQUEUE "
	"addr=storm.example.net[203.0.113.50] zone=sbl.spamhaus.org "
	"reason="
	"Your\\x20IP\\x20address\\x20has\\x20been\\x20blacklisted\\x20by\\x20sb"
	"l.spamhaus.org."
	"\\x20Visit\\x20their\\x20website\\x20or\\x20write\\x20to\\x20argue."
	"\\x20http://www.spamhaus.org/SBL/sbl.lasso?query=SBL12915",
	false},
    {"old sender Access denied at MAIL",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: MAIL from "
	 "sellingwtech-28-137.htg.net[209.136.28.137]: 554 "
	 "<someone@yahoo.com>: Sender address rejected: Access denied; "
	 "from=<someone@yahoo.com> proto=SMTP helo=<yahoo.com>"},
	"sender-forgery recog=postfix ip=209.136.28.137 "
	"host=sellingwtech-28-137.htg.net code=554 stage=MAIL qid=NOQUEUE "
	"helo=yahoo.com from=someone@yahoo.com addr=someone@yahoo.com "
	"reason=Access\\x20denied",
	false},
    {"old helo forgery at HELO",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: HELO from "
	 "214.69.30.61.isp.tfn.net.tw[61.30.69.214]: 554 <192.0.2.1>: Helo "
	 "command rejected: Your machine is not part of this network. Forgery "
	 "is not tolerated here.; proto=SMTP helo=<192.0.2.1>"},
	"helo-forgery recog=postfix ip=61.30.69.214 "
	"host=214.69.30.61.isp.tfn.net.tw code=554 stage=HELO qid=NOQUEUE "
	"helo=192.0.2.1 addr=192.0.2.1 "
	"reason="
	"Your\\x20machine\\x20is\\x20not\\x20part\\x20of\\x20this\\x20network."
	"\\x20Forgery\\x20is\\x20not\\x20tolerated\\x20here.",
	false},
    {"old unknown user, null sender",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: 39E3CC83C7: reject: RCPT "
	 "from omr-m03.mx.aol.com[64.12.138.3]: 550 <nobody@example.com>: User "
	 "unknown in local recipient table; from=<> to=<nobody@example.com> "
	 "proto=ESMTP helo=<omr-m03.mx.aol.com>"},
	"unknown-recipient recog=postfix ip=64.12.138.3 "
	"host=omr-m03.mx.aol.com code=550 stage=RCPT qid=39E3CC83C7 "
	"helo=omr-m03.mx.aol.com from=<> to=nobody@example.com "
	"addr=nobody@example.com "
	"reason=User\\x20unknown\\x20in\\x20local\\x20recipient\\x20table",
	false},
    {"old domain not found",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: MAIL from "
	 "97.97-200-80.adsl.skynet.be[80.200.97.97]: 450 "
	 "<x@nonexistent.invalid>: Sender address rejected: Domain not found; "
	 "from=<x@nonexistent.invalid> proto=SMTP helo=<skynet.be>"},
	"domain-not-found recog=postfix ip=80.200.97.97 "
	"host=97.97-200-80.adsl.skynet.be code=450 stage=MAIL qid=NOQUEUE "
	"helo=skynet.be from=x@nonexistent.invalid addr=x@nonexistent.invalid "
	"reason=Domain\\x20not\\x20found",
	false},
    {"old recipient reject with 550: not a forgery (only 554 is)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "h.example.net[198.51.100.9]: 550 <b@example.org>: Recipient address "
	 "rejected: Access denied; from=<x@example.net> to=<b@example.org> "
	 "proto=SMTP helo=<h.example.net>"},
	"reject recog=postfix ip=198.51.100.9 host=h.example.net code=550 "
	"stage=RCPT qid=NOQUEUE helo=h.example.net from=x@example.net "
	"to=b@example.org addr=b@example.org reason=Access\\x20denied "
	"detail=<b@example.org>:\\x20Recipient\\x20address\\x20rejected:"
	"\\x20Access\\x20denied",
	false},
    {"old header check (seed)",
	{"Nov 26 19:47:27 mail postfix/cleanup[21291]: A7C6DC8976: reject: "
	 "header Subject: -883- Stop walking today 5 whwzbgd from "
	 "adsl-68-79-18-99.dsl.emhril.ameritech.net[68.79.18.99]; "
	 "from=<b@spam.biz> to=<bob@example.org> proto=SMTP "
	 "helo=<ameritech.net>: Potential UCE detected. HxSubject2"},
	"content-reject recog=postfix ip=68.79.18.99 "
	"host=adsl-68-79-18-99.dsl.emhril.ameritech.net stage=header "
	"qid=A7C6DC8976 helo=ameritech.net from=b@spam.biz to=bob@example.org "
	"reason=Potential\\x20UCE\\x20detected.\\x20HxSubject2 "
	"detail=Subject:\\x20-883-"
	"\\x20Stop\\x20walking\\x20today\\x205\\x20whwzbgd",
	false},
    {"postscreen DNSBL",
	{"Nov 26 19:47:27 mail postfix/postscreen[1120]: NOQUEUE: reject: RCPT "
	 "from [27.157.200.233]:4984: 550 5.7.1 Service unavailable; client "
	 "[27.157.200.233] blocked using zen.spamhaus.org; "
	 "from=<hcdvbnm@qhhn.com>, to=<4ECEA00F.9040306@example.com>, "
	 "proto=ESMTP, helo=<qhhn.com>"},
	"rbl recog=postfix ip=27.157.200.233 code=550\\x205.7.1 stage=RCPT "
	"qid=NOQUEUE zone=zen.spamhaus.org",
	false},
    {"postscreen protocol error: a reject",
	{"Nov 26 19:47:27 mail postfix/postscreen[1120]: NOQUEUE: reject: RCPT "
	 "from [182.98.255.184]:2413: 550 5.5.1 Protocol error; "
	 "from=<lvtowxfdp@yahoo.com>, to=<tom@example.com>, proto=SMTP, "
	 "helo=<mx32.usaindiamunish.net>"},
	"reject recog=postfix ip=182.98.255.184 code=550\\x205.5.1 stage=RCPT "
	"qid=NOQUEUE detail=Protocol\\x20error",
	false},
    {"postscreen DNSBL, crafted sender holding a DNSBL text",
	{"Nov 26 19:47:27 mail postfix/postscreen[1120]: NOQUEUE: reject: RCPT "
	 "from [192.0.2.70]:4984: 550 5.7.1 Service unavailable; client "
	 "[192.0.2.70] blocked using zen.spamhaus.org; from=<a; client "
	 "[6.6.6.6] blocked using x>, to=<b@example.com>, proto=ESMTP, "
	 "helo=<h>"},
	"rbl recog=postfix ip=192.0.2.70 code=550\\x205.7.1 stage=RCPT "
	"qid=NOQUEUE zone=zen.spamhaus.org",
	false},
    {"postscreen too many connections: no status, no event",
	{"Nov 26 19:47:27 mail postfix/postscreen[1120]: NOQUEUE: reject: "
	 "CONNECT from [1.2.3.4]:1337: too many connections"},
	NULL, false},
    {"postscreen PASS NEW: no event",
	{"Nov 26 19:47:27 mail postfix/postscreen[1120]: PASS NEW "
	 "[2607:f8b0:4003:c01::23a]:36051"},
	NULL, false},
    {"postscreen DNSBL rank: no event",
	{"Nov 26 19:47:27 mail postfix/postscreen[1120]: DNSBL rank 3 for "
	 "[111.73.45.149]:1038"},
	NULL, false},
    {"connect",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: connect from "
	 "unknown[127.0.0.5]"},
	NULL, false},
    {"disconnect",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: disconnect from "
	 "unknown[127.0.0.11] ehlo=1 mail=1 rcpt=0/6 quit=1 commands=3/9"},
	NULL, false},
    {"lost connection",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: lost connection after "
	 "CONNECT from unknown[127.0.0.31]"},
	NULL, false},
    {"hostname does not resolve",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: warning: hostname "
	 "forged.client.test does not resolve to address 127.0.0.9: Name or "
	 "service not known"},
	NULL, false},
    {"NOQUEUE: filter",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: filter: RCPT from "
	 "unknown[85.25.255.255]: <mail@sender.com>: Sender address triggers "
	 "FILTER smtp-amavis:[127.0.0.1]:10024; from=<mail@sender.com> "
	 "to=<user@domain.com> proto=ESMTP helo=<plutoapp.biz>"},
	NULL, false},
    {"reject_warning",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject_warning: "
	 "RCPT from example.com[93.184.216.34]: 553 5.7.1 "
	 "<sender@example.com>: Sender address rejected: not owned by user "
	 "ph123; from=<sender@example.com> to=<recipient@example.com> "
	 "proto=ESMTP helo=<example.com>"},
	NULL, false},
    {"milter-reject",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: milter-reject: "
	 "RCPT from mailrelay.example.com[8.8.8.8]: 451 4.7.1 Greylisting in "
	 "action, please come back later; from=<support@example.com> "
	 "to=<example@example.org> proto=ESMTP helo=<mailrelay.example.com>"},
	NULL, false},
    {"cleanup message-id",
	{"Nov 26 19:47:27 mail postfix/cleanup[2641]: 13B07116118: "
	 "message-id=<1795722447.081083.127.0.0.1@harness.test>"},
	NULL, false},
    {"reject without a trailer (cut fixture)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[192.168.1.1]: 554 5.7.1 Service unavailable"},
	NULL, false},
    {"client name with shell text (seed hazard 1)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: CONNECT "
	 "from evil[6.6.6.6;touch /tmp/pwned;#]: 554 Service unavailable; "
	 "Client host [6.6.6.6] blocked using list.dsbl.org; http://dsbl.org/; "
	 "proto=SMTP"},
	NULL, false},
    {"non-SMTP command carrying a reject line (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: warning: non-SMTP command "
	 "from unknown[127.0.0.50]: GET NOQUEUE: reject: RCPT from x[6.6.6.6]: "
	 "554 5.7.1 <a@b>: Relay access denied; from=<a@b> to=<c@d>"},
	NULL, false},
    {"non-SMTP command carrying a SASL failure",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: warning: non-SMTP command "
	 "from unknown[192.0.2.71]: GET x[6.6.6.6]: SASL LOGIN authentication "
	 "failed: y"},
	NULL, false},
    {"a DNSBL reply for another address",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: CONNECT "
	 "from h.example.net[198.51.100.17]: 554 Service unavailable; Client "
	 "host [6.6.6.6] blocked using list.dsbl.org; proto=SMTP"},
	"reject recog=postfix ip=198.51.100.17 host=h.example.net code=554 "
	"stage=CONNECT qid=NOQUEUE "
	"detail=Service\\x20unavailable;\\x20Client\\x20host\\x20[6.6.6.6]"
	"\\x20blocked\\x20using\\x20list.dsbl.org",
	false},
    {"queue id too long",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: "
	 "0123456789ABCDEF0123456789ABCDEF0: reject: RCPT from "
	 "unknown[127.0.0.5]: 554 5.7.1 <f@r.test>: Relay access denied; "
	 "from=<a@r.test> to=<f@r.test> proto=ESMTP helo=<h>"},
	NULL, false},
    {"blacklist text with a 4xx code: a reject",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[192.0.2.72]: 450 4.7.1 <unknown[192.0.2.72]>: Client host "
	 "rejected: Your IP address has been blacklisted by x; from=<a@b.test> "
	 "to=<c@d.test> proto=ESMTP helo=<h>"},
	"reject recog=postfix ip=192.0.2.72 host=unknown code=450\\x204.7.1 "
	"stage=RCPT qid=NOQUEUE helo=h from=a@b.test to=c@d.test "
	"addr=unknown[192.0.2.72] "
	"reason="
	"Your\\x20IP\\x20address\\x20has\\x20been\\x20blacklisted\\x20by\\x20x "
	"detail=<unknown[192.0.2.72]>:\\x20Client\\x20host\\x20rejected:"
	"\\x20Your\\x20IP\\x20address\\x20has\\x20been\\x20blacklisted\\x20by\\"
	"x20x",
	false},
    {"helo lookup failure with 5.7.1: not a forgery",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[192.0.2.73]: 550 5.7.1 <nx.example>: Helo command rejected: "
	 "Host not found; from=<a@b.test> to=<c@d.test> proto=ESMTP "
	 "helo=<nx.example>"},
	"reject recog=postfix ip=192.0.2.73 host=unknown code=550\\x205.7.1 "
	"stage=RCPT qid=NOQUEUE helo=nx.example from=a@b.test to=c@d.test "
	"addr=nx.example reason=Host\\x20not\\x20found "
	"detail=<nx.example>:\\x20Helo\\x20command\\x20rejected:"
	"\\x20Host\\x20not\\x20found",
	false},
    {"crafted: quoted sender imitating a recipient reject (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.42]: 554 5.7.1 <a>: Recipient address rejected: "
	 "Access denied@forged.test>: Sender address rejected: Access denied; "
	 "from=<\"a>: Recipient address rejected: Access denied\"@forged.test> "
	 "to=<friend@remote.test> proto=ESMTP helo=<h42.example>"},
	"sender-forgery recog=postfix ip=127.0.0.42 host=unknown "
	"code=554\\x205.7.1 stage=RCPT qid=NOQUEUE helo=h42.example "
	"from=\"a>:\\x20Recipient\\x20address\\x20rejected:"
	"\\x20Access\\x20denied\"@forged.test to=friend@remote.test "
	"addr=a>:\\x20Recipient\\x20address\\x20rejected:"
	"\\x20Access\\x20denied@forged.test reason=Access\\x20denied",
	false},
    {"crafted: recipient imitating a relay denial, unknown user (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.43]: 550 5.1.1 <x>: Relay access denied; "
	 "from=<@mail.test>: Recipient address rejected: User unknown in local "
	 "recipient table; from=<a@remote.test> to=<\"x>: Relay access denied; "
	 "from=<\"@mail.test> proto=ESMTP helo=<h43.example>"},
	"unknown-recipient recog=postfix ip=127.0.0.43 host=unknown "
	"code=550\\x205.1.1 stage=RCPT qid=NOQUEUE helo=h43.example "
	"from=a@remote.test "
	"to=\"x>:\\x20Relay\\x20access\\x20denied;\\x20from=<\"@mail.test "
	"addr=x>:\\x20Relay\\x20access\\x20denied;\\x20from=<@mail.test "
	"reason=User\\x20unknown\\x20in\\x20local\\x20recipient\\x20table",
	false},
    {"crafted: recipient imitating a forgery, unknown user (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.43]: 550 5.1.1 <x>: Recipient address rejected: "
	 "Access denied@mail.test>: Recipient address rejected: User unknown "
	 "in local recipient table; from=<a@remote.test> to=<\"x>: Recipient "
	 "address rejected: Access denied\"@mail.test> proto=ESMTP "
	 "helo=<h43.example>"},
	"unknown-recipient recog=postfix ip=127.0.0.43 host=unknown "
	"code=550\\x205.1.1 stage=RCPT qid=NOQUEUE helo=h43.example "
	"from=a@remote.test "
	"to=\"x>:\\x20Recipient\\x20address\\x20rejected:"
	"\\x20Access\\x20denied\"@mail.test "
	"addr=x>:\\x20Recipient\\x20address\\x20rejected:"
	"\\x20Access\\x20denied@mail.test "
	"reason=User\\x20unknown\\x20in\\x20local\\x20recipient\\x20table",
	false},
    {"crafted: recipient holding a whole trailer (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.43]: 550 5.1.1 <a; from=<b> to=<c> proto=SMTP "
	 "helo=<d [6.6.6.6]@mail.test>: Recipient address rejected: User "
	 "unknown in local recipient table; from=<a@remote.test> to=<\"a; "
	 "from=<b> to=<c> proto=SMTP helo=<d [6.6.6.6]\"@mail.test> "
	 "proto=ESMTP helo=<h43.example>"},
	"unknown-recipient recog=postfix ip=127.0.0.43 host=unknown "
	"code=550\\x205.1.1 stage=RCPT qid=NOQUEUE helo=h43.example "
	"from=a@remote.test "
	"to=\"a;\\x20from=<b>\\x20to=<c>\\x20proto=SMTP\\x20helo=<d\\x20[6.6.6."
	"6]\"@mail.test "
	"addr=a;\\x20from=<b>\\x20to=<c>\\x20proto=SMTP\\x20helo=<d\\x20[6.6.6."
	"6]@mail.test "
	"reason=User\\x20unknown\\x20in\\x20local\\x20recipient\\x20table",
	false},
    {"crafted: sender naming the recipient in a fake relay denial (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: RCPT from "
	 "unknown[127.0.0.93]: 554 5.7.1 <p\"q@remote.test>: Relay access "
	 "denied; from=<junk\"rest@forged.test>: Sender address rejected: "
	 "Access denied; from=<\"p\\\"q@remote.test>: Relay access denied; "
	 "from=<junk\\\"rest\"@forged.test> to=<\"p\\\"q\"@remote.test> "
	 "proto=ESMTP helo=<h93.example>"},
	"sender-forgery recog=postfix ip=127.0.0.93 host=unknown "
	"code=554\\x205.7.1 stage=RCPT qid=NOQUEUE helo=h93.example "
	"from=\"p\\x5c\"q@remote.test>:\\x20Relay\\x20access\\x20denied;"
	"\\x20from=<junk\\x5c\"rest\"@forged.test to=\"p\\x5c\"q\"@remote.test "
	"addr=p\"q@remote.test>:\\x20Relay\\x20access\\x20denied;\\x20from=<"
	"junk\"rest@forged.test reason=Access\\x20denied",
	false},
    {"crafted: raw EHLO imitating popauth's blacklist (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: EHLO from "
	 "unknown[127.0.0.61]:60503: 554 5.7.1 <unknown[127.0.0.61]>: Client "
	 "host rejected: Your IP address has been blacklisted by evil. "
	 "x.mail.test>: Helo command rejected: You are not mail.test (HELO "
	 "forgery); proto=SMTP helo=<unknown[127.0.0.61]>: Client host "
	 "rejected: Your IP address has been blacklisted by evil. "
	 "x.mail.test>"},
	"helo-forgery recog=postfix ip=127.0.0.61 host=unknown "
	"code=554\\x205.7.1 stage=EHLO qid=NOQUEUE "
	"helo=unknown[127.0.0.61]>:\\x20Client\\x20host\\x20rejected:"
	"\\x20Your\\x20IP\\x20address\\x20has\\x20been\\x20blacklisted\\x20by\\"
	"x20evil.\\x20x.mail.test "
	"addr=unknown[127.0.0.61]>:\\x20Client\\x20host\\x20rejected:"
	"\\x20Your\\x20IP\\x20address\\x20has\\x20been\\x20blacklisted\\x20by\\"
	"x20evil.\\x20x.mail.test "
	"reason=You\\x20are\\x20not\\x20mail.test\\x20(HELO\\x20forgery)",
	false},
    {"crafted: raw EHLO with a fake trailer (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: EHLO from "
	 "unknown[127.0.0.60]:40095: 501 5.5.2 <x> proto=SMTP helo=<y>: Helo "
	 "command rejected: Invalid name; proto=SMTP helo=<x> proto=SMTP "
	 "helo=<y>"},
	"reject recog=postfix ip=127.0.0.60 host=unknown code=501\\x205.5.2 "
	"stage=EHLO qid=NOQUEUE helo=x>\\x20proto=SMTP\\x20helo=<y "
	"addr=x>\\x20proto=SMTP\\x20helo=<y reason=Invalid\\x20name "
	"detail=<x>\\x20proto=SMTP\\x20helo=<y>:"
	"\\x20Helo\\x20command\\x20rejected:\\x20Invalid\\x20name",
	false},
    {"crafted: raw EHLO with a quote and a fake relay denial (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: EHLO from "
	 "unknown[127.0.0.63]:52819: 554 5.7.1 <x\"y>: Relay access denied; "
	 "from=<z.mail.test>: Helo command rejected: You are not mail.test "
	 "(HELO forgery); proto=SMTP helo=<x\"y>: Relay access denied; "
	 "from=<z.mail.test>"},
	"helo-forgery recog=postfix ip=127.0.0.63 host=unknown "
	"code=554\\x205.7.1 stage=EHLO qid=NOQUEUE "
	"helo=x\"y>:\\x20Relay\\x20access\\x20denied;\\x20from=<z.mail.test "
	"addr=x\"y>:\\x20Relay\\x20access\\x20denied;\\x20from=<z.mail.test "
	"reason=You\\x20are\\x20not\\x20mail.test\\x20(HELO\\x20forgery)",
	false},
    {"crafted: raw EHLO imitating a second reject (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: NOQUEUE: reject: EHLO from "
	 "unknown[127.0.0.66]:59285: 501 5.5.2 <x>: Helo command rejected: "
	 "Access denied; proto=SMTP helo=<x>: Helo command rejected: Invalid "
	 "name; proto=SMTP helo=<x>: Helo command rejected: Access denied; "
	 "proto=SMTP helo=<x>"},
	"reject recog=postfix ip=127.0.0.66 host=unknown code=501\\x205.5.2 "
	"stage=EHLO qid=NOQUEUE "
	"helo=x>:\\x20Helo\\x20command\\x20rejected:\\x20Access\\x20denied;"
	"\\x20proto=SMTP\\x20helo=<x "
	"addr=x>:\\x20Helo\\x20command\\x20rejected:\\x20Access\\x20denied;"
	"\\x20proto=SMTP\\x20helo=<x reason=Invalid\\x20name "
	"detail=<x>:\\x20Helo\\x20command\\x20rejected:\\x20Access\\x20denied;"
	"\\x20proto=SMTP\\x20helo=<x>:\\x20Helo\\x20command\\x20rejected:"
	"\\x20Invalid\\x20name",
	false},
    {"crafted: SASL user imitating the line (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: warning: "
	 "unknown[127.0.0.49]: SASL PLAIN authentication failed: (reason "
	 "unavailable), sasl_username=x]: SASL LOGIN authentication failed: y, "
	 "sasl_username=z"},
	"sasl-fail recog=postfix ip=127.0.0.49 "
	"user=x]:\\x20SASL\\x20LOGIN\\x20authentication\\x20failed:\\x20y,"
	"\\x20sasl_username=z host=unknown reason=(reason\\x20unavailable)",
	false},
    {"crafted: header text with a fake origin, correlated (captured)",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: E30E4A7227D: "
	 "client=unknown[127.0.0.45]",
	    "Nov 26 19:47:27 mail postfix/cleanup[2641]: E30E4A7227D: reject: "
	    "header Subject: Buy VIAGRA now from unknown[6.6.6.6]; "
	    "from=<x@y.test> to=<z@mail.test> proto=ESMTP helo=<h>: 5.7.1 fake "
	    "from unknown[127.0.0.45]; from=<a@remote.test> "
	    "to=<alice@mail.test> proto=ESMTP helo=<h45.example>: 5.7.1 Spam "
	    "subject (header_checks)"},
	"content-reject recog=postfix ip=127.0.0.45 host=unknown code=5.7.1 "
	"stage=header qid=E30E4A7227D helo=h45.example from=a@remote.test "
	"to=alice@mail.test reason=Spam\\x20subject\\x20(header_checks) "
	"detail=Subject:\\x20Buy\\x20VIAGRA\\x20now\\x20from\\x20unknown[6.6.6."
	"6];\\x20from=<x@y.test>\\x20to=<z@mail.test>\\x20proto=ESMTP\\x20helo="
	"<h>:\\x205.7.1\\x20fake",
	false},
    {"crafted: header text with a fake origin, not correlated (captured)",
	{"Nov 26 19:47:27 mail postfix/cleanup[2641]: E30E4A7227D: reject: "
	 "header Subject: Buy VIAGRA now from unknown[6.6.6.6]; "
	 "from=<x@y.test> to=<z@mail.test> proto=ESMTP helo=<h>: 5.7.1 fake "
	 "from unknown[127.0.0.45]; from=<a@remote.test> to=<alice@mail.test> "
	 "proto=ESMTP helo=<h45.example>: 5.7.1 Spam subject (header_checks)"},
	"content-reject recog=postfix ip=127.0.0.45 host=unknown code=5.7.1 "
	"stage=header qid=E30E4A7227D helo=h45.example from=a@remote.test "
	"to=alice@mail.test reason=Spam\\x20subject\\x20(header_checks) "
	"detail=Subject:\\x20Buy\\x20VIAGRA\\x20now\\x20from\\x20unknown[6.6.6."
	"6];\\x20from=<x@y.test>\\x20to=<z@mail.test>\\x20proto=ESMTP\\x20helo="
	"<h>:\\x205.7.1\\x20fake",
	true},
    {"crafted: body text with a fake origin, not correlated (captured)",
	{"Nov 26 19:47:27 mail postfix/cleanup[2641]: EE2EAA7227D: reject: "
	 "body cheap pills from unknown[6.6.6.6]; from=<x@y.test> to=<z> from "
	 "unknown[127.0.0.46]; from=<a@remote.test> to=<alice@mail.test> "
	 "proto=ESMTP helo=<h46.example>: 5.7.1 Spam body (body_checks)"},
	"content-reject recog=postfix ip=127.0.0.46 host=unknown code=5.7.1 "
	"stage=body qid=EE2EAA7227D helo=h46.example from=a@remote.test "
	"to=alice@mail.test reason=Spam\\x20body\\x20(body_checks) "
	"detail=cheap\\x20pills\\x20from\\x20unknown[6.6.6.6];\\x20from=<x@y."
	"test>\\x20to=<z>",
	true},
    {"crafted: sender holding a fake origin and trailer, not correlated",
	{"Nov 26 19:47:27 mail postfix/cleanup[2641]: ABCDE12345: reject: "
	 "header Subject: hi from unknown[192.0.2.74]; from=<\"q from "
	 "a[6.6.6.6]; proto=SMTP helo=<h>: x\"@y.test> to=<b@c.test> "
	 "proto=ESMTP helo=<h74.example>: 5.7.1 Spam"},
	"content-reject recog=postfix ip=192.0.2.74 host=unknown code=5.7.1 "
	"stage=header qid=ABCDE12345 helo=h74.example "
	"from=\"q\\x20from\\x20a[6.6.6.6];\\x20proto=SMTP\\x20helo=<h>:"
	"\\x20x\"@y.test to=b@c.test reason=Spam detail=Subject:\\x20hi",
	true},
    {"cleanup: correlated address differs from the line's: no event",
	{"Nov 26 19:47:27 mail postfix/smtpd[2637]: ABCDE12346: "
	 "client=unknown[192.0.2.75]",
	    "Nov 26 19:47:27 mail postfix/cleanup[2641]: ABCDE12346: reject: "
	    "body x from unknown[192.0.2.76]; from=<a@b.test> to=<c@d.test> "
	    "proto=ESMTP helo=<h>: 5.7.1 Spam"},
	NULL, false},
    {"cleanup: local submission: no address, no event",
	{"Nov 26 19:47:27 mail postfix/cleanup[2641]: ABCDE12347: reject: "
	 "header Subject: x from local; from=<root@mail.test> to=<a@b.test>: "
	 "5.7.1 Spam"},
	NULL, false},
};

/* feed - split one line (n bytes) and run the recogniser; the formatted
 * event into out ("" when none) and the address into *ip */
static bool
feed(const struct recog *rc, void *state, const char *line, size_t n,
    struct sbuf *out, struct ipaddr *ip)
{
	return t_recog_feed(
	    rc, state, line, n, EVENT_LOGIN + 1, EVENT__COUNT - 1, out, ip);
}

/* run_case - one table case, then its truncations; no event may be for
 * the address crafted lines plant (6.6.6.6) */
static void
run_case(const struct recog *rc, const struct pcase *c)
{
	t_recog_case(rc, c->name, c->lines, MAXLINES, c->want, c->nocut,
	    EVENT_LOGIN + 1, EVENT__COUNT - 1, "6.6.6.6");
}

/* run_lines - a dispatcher's event for the last of the lines */
static const char *
run_lines(struct dispatch *d, const char *const *lines, struct sbuf *out)
{
	struct logline ll;
	struct event ev;
	bool got = false;

	for (; *lines; lines++)
		got = header_split(&ll, *lines, strlen(*lines)) &&
		    dispatch_line(d, &ll, &ev);
	sbuf_reset(out);
	sbuf_adds(out, "");
	if (!got)
		return NULL;
	event_format(&ev, out);
	return out->s;
}

#define P "Nov 26 19:47:27 mail postfix/smtpd[2637]: "
#define PC "Nov 26 19:47:27 mail postfix/cleanup[2641]: "
#define BL_DEFAULT                                                             \
	P "NOQUEUE: reject: RCPT from unknown[192.0.2.30]: 554 5.7.1 "         \
	  "<unknown[192.0.2.30]>: Client host rejected: Your IP address has "  \
	  "been blacklisted by popauth. Visit their website or write to "      \
	  "argue. x; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h>"
#define BL_OWN                                                                 \
	P "NOQUEUE: reject: CONNECT from unknown[192.0.2.31]: 554 5.7.1 "      \
	  "<unknown[192.0.2.31]>: Client host rejected: Gesperrt durch "       \
	  "mail.example.org; proto=SMTP"

/* test_configure - the blacklist reply prefix reaches the recogniser */
static void
test_configure(void)
{
	struct dispatch *d = dispatch_new(NULL, NULL);
	struct sbuf out = SBUF_INIT;
	const char *def[] = {BL_DEFAULT, NULL}, *own[] = {BL_OWN, NULL};
	struct recog_conf c_own = {"Gesperrt durch "}, c_off = {""},
			  c_null = {NULL};

	T_CASE("default prefix");
	T_OK(strncmp(run_lines(d, def, &out), "blacklisted ", 12) == 0);
	T_OK(strstr(out.s, " zone=popauth ") != NULL);
	T_OK(strncmp(run_lines(d, own, &out), "reject ", 7) == 0);

	T_CASE("own prefix");
	dispatch_configure(d, &c_own);
	T_OK(strncmp(run_lines(d, def, &out), "reject ", 7) == 0);
	T_OK(strncmp(run_lines(d, own, &out), "blacklisted ", 12) == 0);
	T_OK(strstr(out.s, " zone=mail.example.org ") != NULL);

	T_CASE("empty prefix: nothing is popauth's");
	dispatch_configure(d, &c_off);
	T_OK(strncmp(run_lines(d, def, &out), "reject ", 7) == 0);
	T_OK(strncmp(run_lines(d, own, &out), "reject ", 7) == 0);

	T_CASE("NULL field and NULL conf: the default again");
	dispatch_configure(d, &c_own);
	dispatch_configure(d, &c_null);
	T_OK(strncmp(run_lines(d, def, &out), "blacklisted ", 12) == 0);
	dispatch_configure(d, &c_own);
	dispatch_configure(d, NULL);
	T_OK(strncmp(run_lines(d, def, &out), "blacklisted ", 12) == 0);
	T_CASE(NULL);
	sbuf_free(&out);
	dispatch_free(d);
}

/* test_login_filter - login_servers picks login recognisers only;
 * postfix is always on and cannot be named there */
static void
test_login_filter(void)
{
	const char *only_dovecot[] = {"dovecot", NULL};
	const char *with_postfix[] = {"dovecot", "postfix", NULL};
	const char *none[] = {NULL};
	const char *rbl[] = {P "NOQUEUE: reject: CONNECT from unknown[192.0.2."
			       "20]: 554 5.7.1 Service unavailable; Client "
			       "host [192.0.2.20] blocked using rbl.test; "
			       "proto=SMTP",
	    NULL};
	struct sbuf out = SBUF_INIT, names = SBUF_INIT;
	struct dispatch *d;
	char *err = NULL;

	T_OK(recog_find("postfix") && !recog_find("postfix")->login);
	T_OK(recog_find("dovecot") && recog_find("dovecot")->login);
	d = dispatch_new(only_dovecot, &err);
	T_OK(d != NULL);
	T_OK(run_lines(d, rbl, &out) && strncmp(out.s, "rbl ", 4) == 0);
	dispatch_free(d);
	d = dispatch_new(none, &err);
	T_OK(d != NULL);
	T_OK(run_lines(d, rbl, &out) != NULL);
	dispatch_free(d);
	d = dispatch_new(with_postfix, &err);
	T_OK(d == NULL);
	T_OK(err && strstr(err, "'postfix' is not a login server") &&
	    strstr(err, "dovecot") && !strstr(err, "postfix,"));
	free(err);

	dispatch_names(&names);
	T_OK(strstr(names.s, "\npostfix: (always on) ") != NULL);
	T_OK(strncmp(names.s, "dovecot: ", 9) == 0);
	sbuf_free(&names);
	sbuf_free(&out);
}

/* test_qid_cache - bounded; the newest entries kept; used once */
static void
test_qid_cache(void)
{
	const struct recog *rc = recog_find("postfix");
	void *state = rc->state_new();
	struct sbuf out = SBUF_INIT;
	struct ipaddr ip;
	char line[256], rej[512];
	const int n = 100000;

	/* far more messages than the cache holds: memory stays put */
	for (int i = 0; i < n; i++) {
		int k = snprintf(line, sizeof(line),
		    P "%X: client=unknown[10.%d.%d.%d]", 0x100000 + i,
		    (i >> 16) & 255, (i >> 8) & 255, i & 255);
		T_OK(!feed(rc, state, line, (size_t)k, &out, &ip));
	}
	/* the last one is known: a line naming another client is refused,
	 * the right one taken */
	int k = snprintf(rej, sizeof(rej),
	    PC "%X: reject: body x from unknown[192.0.2.99]; from=<a@b.test> "
	       "to=<c@d.test> proto=ESMTP helo=<h>: 5.7.1 no",
	    0x100000 + n - 1);
	T_OK(!feed(rc, state, rej, (size_t)k, &out, &ip));
	k = snprintf(rej, sizeof(rej),
	    PC "%X: reject: body x from unknown[10.1.134.159]; "
	       "from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h>: 5.7.1 no",
	    0x100000 + n - 1);
	T_OK(feed(rc, state, rej, (size_t)k, &out, &ip));
	T_EQ_STR(ipaddr_str(&ip), "10.1.134.159");
	/* used once: the next reject of that queue id is parsed alone */
	k = snprintf(rej, sizeof(rej),
	    PC "%X: reject: body x from unknown[192.0.2.99]; from=<a@b.test> "
	       "to=<c@d.test> proto=ESMTP helo=<h>: 5.7.1 no",
	    0x100000 + n - 1);
	T_OK(feed(rc, state, rej, (size_t)k, &out, &ip));
	T_EQ_STR(ipaddr_str(&ip), "192.0.2.99");
	/* the first ones were evicted: parsed alone as well */
	k = snprintf(rej, sizeof(rej),
	    PC "%X: reject: body x from unknown[192.0.2.98]; from=<a@b.test> "
	       "to=<c@d.test> proto=ESMTP helo=<h>: 5.7.1 no",
	    0x100000);
	T_OK(feed(rc, state, rej, (size_t)k, &out, &ip));
	T_EQ_STR(ipaddr_str(&ip), "192.0.2.98");
	/* another host's queue id is another message */
	T_OK(!feed(rc, state,
	    "Nov 26 19:47:27 mx2 postfix/smtpd[1]: ABCDEF01: "
	    "client=unknown[192.0.2.97]",
	    strlen("Nov 26 19:47:27 mx2 postfix/smtpd[1]: ABCDEF01: "
		   "client=unknown[192.0.2.97]"),
	    &out, &ip));
	k = snprintf(rej, sizeof(rej),
	    PC "ABCDEF01: reject: body x from unknown[192.0.2.96]; "
	       "from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h>: 5.7.1 no");
	T_OK(feed(rc, state, rej, (size_t)k, &out, &ip));
	T_EQ_STR(ipaddr_str(&ip), "192.0.2.96");
	rc->state_free(state);
	sbuf_free(&out);
}

/* ehlo_line - an EHLO reject (delay_reject=no) whose message is
 * msglen bytes: the HELO name (twice) makes up the length */
static void
ehlo_line(struct sbuf *b, size_t msglen, bool cut)
{
	const char *h1 = "NOQUEUE: reject: EHLO from unknown[192.0.2.40]: 554 "
			 "5.7.1 <",
		   *h2 = ">: Helo command rejected: You are not mail.test; "
			 "proto=SMTP helo=<";
	size_t fixed = strlen(h1) + strlen(h2) + 1 + 2 * 10,
	       name = (msglen + (cut ? 40 : 0) - fixed) / 2;
	struct sbuf m = SBUF_INIT;

	sbuf_adds(&m, h1);
	for (size_t i = 0; i < name; i++)
		sbuf_addc(&m, 'b');
	sbuf_adds(&m, ".mail.test");
	sbuf_adds(&m, h2);
	for (size_t i = 0; i < name; i++)
		sbuf_addc(&m, 'b');
	sbuf_adds(&m, ".mail.test>");
	sbuf_reset(b);
	sbuf_adds(b, P);
	sbuf_add(b, m.s, m.len < msglen ? m.len : msglen);
	sbuf_free(&m);
}

/* test_reclen - Postfix cuts a message at 2000 bytes: one of 2000 or
 * more is no event, one just below is */
static void
test_reclen(void)
{
	const struct recog *rc = recog_find("postfix");
	void *state = rc->state_new();
	struct sbuf b = SBUF_INIT, out = SBUF_INIT;
	struct ipaddr ip;
	size_t hl = strlen(P);

	ehlo_line(&b, 1998, false);
	T_EQ_INT(b.len - hl, 1998);
	T_OK(feed(rc, state, b.s, b.len, &out, &ip));
	T_OK(strncmp(out.s, "helo-forgery ", 13) == 0);
	ehlo_line(&b, 1999, false);
	T_EQ_INT(b.len - hl, 1998); /* the name comes twice: even lengths */
	ehlo_line(&b, 2000, false);
	T_EQ_INT(b.len - hl, 2000);
	T_OK(!feed(rc, state, b.s, b.len, &out, &ip)); /* whole, but... */
	ehlo_line(&b, 2000, true);
	T_EQ_INT(b.len - hl, 2000);
	T_OK(!feed(rc, state, b.s, b.len, &out, &ip)); /* ...this is cut */
	rc->state_free(state);
	sbuf_free(&b);
	sbuf_free(&out);
}

/* main - run the tests; exit status is the verdict */
/* the skim drops smtpd's other warnings and keeps what a SASL failure
 * looks like (the cases above check that it keeps every line the
 * recogniser takes) */
static void
test_skim_warnings(const struct recog *rc)
{
	static const char *const drop[] = {
	    "warning: TLS library problem: error:0A000126:SSL routines::"
	    "unexpected eof while reading",
	    "warning: hostname mail.example does not resolve to address "
	    "192.0.2.8: Name or service not known",
	    "warning: non-SMTP command from unknown[192.0.2.9]: GET / HTTP/1.1",
	    "warning: unknown[192.0.2.10] SASL LOGIN authentication failed",
	};
	static const char *const keep[] = {
	    "warning: unknown[192.0.2.11]: SASL LOGIN authentication failed: "
	    "UGFzc3dvcmQ6",
	    "warning: mx.example[2001:db8::1]:587: SASL PLAIN authentication "
	    "failed:",
	};

	T_CASE("skim of warnings");
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		T_OK(!rc->skim((struct span){drop[i], strlen(drop[i])}));
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		T_OK(rc->skim((struct span){keep[i], strlen(keep[i])}));
}

int
main(void)
{
	const struct recog *rc = recog_find("postfix");

	T_OK(rc != NULL);
	if (rc == NULL)
		return t_done();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(rc, &cases[i]);
	test_configure();
	test_login_filter();
	test_qid_cache();
	test_reclen();
	test_skim_warnings(rc);
	return t_done();
}
