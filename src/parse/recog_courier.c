/*
 * recog_courier - successful logins of Courier-IMAP and Courier POP3.
 *
 * DESCRIPTION
 *	The login programs write to stderr and courierlogger sends the
 *	line to syslog under the program's name (which strips the "INFO: "
 *	level prefix; without courierlogger it stays):
 *
 *	  [INFO: ]LOGIN, user=U, ip=[IP], port=[P], protocol=POP3
 *	  [INFO: ]LOGIN, user=U, ip=[IP], port=[P], protocol=POP3, stls=1
 *	  [INFO: ]LOGIN, user=U, ip=[IP], port=[P], protocol=IMAP
 *	      courier-imap 4.x and later (imap/imapd.c, imap/pop3dserver.c,
 *	      imap/pop3login.c in the Courier sources)
 *	  LOGIN, user=U, ip=[::ffff:192.0.2.1]
 *	      older courier-imap (ossec-docs courier.rst: courierpop3login)
 *
 *	IP is usually IPv4-mapped IPv6.  The protocol comes from
 *	protocol=, else from the program name (pop3d, pop3d-ssl,
 *	courierpop3login, ...: POP3; imapd, imapd-ssl, imaplogin, ...:
 *	IMAP).  "LOGIN FAILED, ...", "Connection, ...", "LOGOUT, ...",
 *	"DISCONNECTED, ..." are no event.
 *
 * SECURITY
 *	The user name comes first and is not quoted; the address is taken
 *	from the LAST ", ip=[" and everything after its "]" must be the
 *	server's own fields (", port=[digits]", ", protocol=WORD", ",
 *	key=WORD").
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* word_end - end of a run of letters and digits starting at p */
static const char *
word_end(const char *p, const char *end)
{
	while (p < end &&
	    ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		(*p >= '0' && *p <= '9')))
		p++;
	return p;
}

/* courier_tail - check the text after "ip=[IP]"; the protocol= value
 * goes to *proto when there is one */
static bool
courier_tail(struct span t, struct span *proto)
{
	const char *e, *end = ru_end(t);

	*proto = SPAN_NONE;
	if (t.n == 0)
		return true;
	if (!ru_prefix(&t, ", port=["))
		return false;
	e = memchr(t.p, ']', t.n);
	if (e == NULL || !ru_digits(ru_span(t.p, e)))
		return false;
	t = ru_span(e + 1, end);
	if (ru_prefix(&t, ", protocol=")) {
		e = word_end(t.p, end);
		if (e == t.p)
			return false;
		*proto = ru_span(t.p, e);
		t = ru_span(e, end);
	}
	/* further server flags: ", word=word" (stls=1, starttls=1) */
	while (t.n) {
		if (!ru_prefix(&t, ", "))
			return false;
		e = word_end(t.p, end);
		if (e == t.p || e == end || *e != '=')
			return false;
		t = ru_span(e + 1, end);
		e = word_end(t.p, end);
		if (e == t.p)
			return false;
		t = ru_span(e, end);
	}
	return true;
}

/* courier_match - see the file header */
static bool
courier_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, proto;
	const char *k, *rb;
	enum event_proto p;
	struct ipaddr ip;

	(void)state;
	if (ru_too_long(ll))
		return false;
	ru_prefix(&m, "INFO: ");
	if (!ru_prefix(&m, "LOGIN, user="))
		return false;
	if ((k = ru_rfind(m, ", ip=[")) == NULL)
		return false;
	rb = memchr(k + 6, ']', (size_t)(ru_end(m) - (k + 6)));
	if (rb == NULL || !ru_ip(&ip, ru_span(k + 6, rb)))
		return false;
	if (!courier_tail(ru_span(rb + 1, ru_end(m)), &proto))
		return false;
	p = ru_proto_of(proto);
	if (p == PROTO_UNKNOWN)
		p = ru_proto_of(ll->prog);
	ru_login(ev, &ip, p, ru_span(m.p, k));
	return true;
}

static const char *const courier_progs[] = {
    "pop3d",
    "pop3d-ssl",
    "pop3login",
    "courierpop3login",
    "courierpop3d",
    "courier-pop3d",
    "imapd",
    "imapd-ssl",
    "imaplogin",
    "courierimaplogin",
    "courierimapd",
    "courier-imapd",
    NULL,
};

const struct recog recog_courier = {
    .name = "courier",
    .what = "Courier pop3d/imapd (and -ssl, *login) \"LOGIN, user=.., "
	    "ip=[..]\"",
    .progs = courier_progs,
    .match = courier_match,
    .login = true,
};
