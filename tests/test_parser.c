/*
 * test_parser - the per-line path: header, dispatch, time; counters and
 * the handling of lines it cannot use.
 */
#include <stdlib.h>

#include "parse/parser.h"
#include "tlib.h"

static bool
feed(struct parser *pr, const char *line, struct event *ev)
{
	return parser_line(pr, line, strlen(line), NULL, "test", 1, ev, NULL);
}

int
main(void)
{
	struct dispatch *d;
	struct parser pr;
	struct event ev;
	char *err = NULL;

	setenv("TZ", "UTC", 1);
	tzset();
	t_msg_capture();
	d = dispatch_new(NULL, &err);
	T_OK(d != NULL);
	/* reference: 2026-11-26 20:00:00 UTC */
	parser_init(&pr, d, 1795723200);

	T_OK(feed(&pr,
	    "Nov 26 19:47:27 mail dovecot: pop3-login: Login: user=<alice>, "
	    "method=PLAIN, rip=192.0.2.5, lip=192.0.2.1, mpid=1, "
	    "session=<x>",
	    &ev));
	T_EQ_INT(ev.kind, EVENT_LOGIN);
	T_EQ_INT(ev.time, 1795722447);
	T_EQ_STR(ev.recog, "dovecot");

	/* a Postfix line that carries Dovecot text is no login */
	T_OK(!feed(&pr,
	    "Nov 26 19:47:28 mail postfix/smtpd[1]: warning: non-SMTP command "
	    "from unknown[203.0.113.9]: pop3-login: Login: user=<x>, "
	    "method=PLAIN, rip=203.0.113.9, lip=192.0.2.1, mpid=1, session=<x>",
	    &ev));
	/* no header */
	T_OK(!feed(&pr, "this is not a log line", &ev));
	T_EQ_INT(pr.st.unparsable, 1);
	T_OK(t_msg_has("not a log line with a known header"));
	/* an over-long line, as the line reader reports it */
	T_OK(!parser_line(&pr, NULL, 99999, NULL, "test", 7, &ev, NULL));
	T_EQ_INT(pr.st.oversized, 1);
	T_OK(t_msg_has("test line 7: line of 99999 bytes"));
	/* a would-be event with a time that cannot be: Feb 30 */
	T_OK(!feed(&pr,
	    "Feb 30 10:00:00 mail dovecot: pop3-login: Login: user=<a>, "
	    "method=PLAIN, rip=192.0.2.5, lip=192.0.2.1, session=<x>",
	    &ev));
	T_EQ_INT(pr.st.badtime, 1);
	/* the journal hands over a split record with its time */
	struct logline pre;
	memset(&pre, 0, sizeof(pre));
	const char *msg = "imap-login: Login: user=<bob>, method=PLAIN, "
			  "rip=2001:db8::9, lip=2001:db8::1, session=<y>";
	pre.prog = SPAN_LIT("dovecot");
	pre.msg = (struct span){msg, strlen(msg)};
	pre.line = pre.msg;
	pre.tskind = TS_EPOCH;
	pre.time = 1795720000;
	pre.has_time = true;
	T_OK(parser_line(&pr, msg, strlen(msg), &pre, "journal", 1, &ev, NULL));
	T_EQ_INT(ev.time, 1795720000);
	T_EQ_INT(ev.proto, PROTO_IMAP);

	/* two-line servers: the connection line's age counts (a pid used
	 * again much later must not inherit its address) */
	T_OK(!feed(&pr,
	    "Nov 26 10:00:00 mail gnu-pop3d[77]: connect from "
	    "192.0.2.7",
	    &ev));
	T_OK(!feed(&pr,
	    "Nov 26 19:30:00 mail gnu-pop3d[77]: User 'alice' logged in with "
	    "mailbox '/var/mail/alice'",
	    &ev));
	T_OK(!feed(&pr,
	    "Nov 26 19:40:00 mail gnu-pop3d[78]: connect from "
	    "192.0.2.8",
	    &ev));
	T_OK(feed(&pr,
	    "Nov 26 19:40:01 mail gnu-pop3d[78]: User 'bob' logged in with "
	    "mailbox '/var/mail/bob'",
	    &ev));
	T_EQ_STR(ipaddr_str(&ev.ip), "192.0.2.8");

	T_EQ_INT(pr.st.lines, 10);
	T_EQ_INT(pr.st.events[EVENT_LOGIN], 3);
	T_EQ_STR(pr.st.recog[0], "dovecot");
	T_EQ_INT(pr.st.recog_events[0], 2);

	/* the time of an arbitrary line (the end of a replay) */
	int64_t t;
	T_OK(parser_line_time(&pr, "Nov 26 19:50:00 mail kernel: x", 30, &t));
	T_EQ_INT(t, 1795722600);
	T_OK(!parser_line_time(&pr, "garbage", 7, &t));
	parser_free(&pr);
	dispatch_free(d);
	return t_done();
}
