/*
 * recog_dovecot - successful POP3/IMAP logins of Dovecot 1.x to 2.4.
 *
 * DESCRIPTION
 *	The login process writes one line per successful login:
 *
 *	  dovecot[pid]: imap-login: Login: user=<U>, method=M, rip=IP,
 *	      lip=IP, mpid=N, TLS, session=<S>           syslog, 2.1 - 2.4
 *	  dovecot: pop3-login: Login: user=<U>, method=M, rip=IP, lip=IP,
 *	      mpid=N, TLS                                syslog, 2.0
 *	  dovecot: imap-login: Login: user=<U>, PID=N, method=M,
 *	      rip=IP, lip=IP, TLS                        1.x (lograptor sample)
 *	  dovecot: imap-login: Login: user=<U>, method=M,
 *	      rip=::ffff:1.2.3.4, lip=..., secured       1.x, mapped IPv4
 *	  pop3-login: Info: Login: user=<U>, ...         Dovecot's own log
 *	      (log_path/info_log_path: the program token is the process)
 *	  dovecot: imap-login: Login: ...                journal (prog dovecot)
 *
 *	Between lip= and the end come flags and fields in any order or
 *	number: "mpid=N", "TLS", "secured", "TLS handshaking", "TLS,
 *	TLSv1.2 with cipher ... (256/256 bits)", "session=<S>".  They are
 *	not interpreted.  A leading "Info: " may precede either the process
 *	name or "Login:".
 *
 *	Sources: the Dovecot 2.3.19 lines captured in shared/e2e
 *	(line-shapes.txt), crowdsec-hub dovecot-logs.log, lograptor
 *	samples/dovecot.log (1.x PID= form), ossec-docs log_samples (1.0),
 *	and public issue threads (mail-in-a-box #1626, mailcow #740, #4857,
 *	RainLoop #257).  Dovecot 2.4 keeps this line (its default
 *	login_log_format_elements has the same elements); only its failure
 *	lines changed ("Login aborted: ..."), which do not match here.
 *
 *	Failures ("Disconnected: ...", "Aborted login ...", "Login aborted:
 *	...") start differently and are no event.  Logins with
 *	method=ANONYMOUS are no event either: they prove nothing.
 *
 * SECURITY
 *	Dovecot does not escape the user name, and user=<...> comes first:
 *	a name can contain "rip=6.6.6.6, lip=..." and ">, method=".  So the
 *	address is taken from the LAST ", rip=" field, which the server
 *	writes after the user name; it must be followed by a ", lip="
 *	field shaped like an address and then only by fields that can be
 *	the server's (no user= or method=; '<' and '>' only around a
 *	session=<..> value).  The user name runs up to the last ">, "
 *	before that field, and the text in between (", method=M" or ",
 *	PID=N, method=M") may not contain '<' or '>'.  Nothing after rip=
 *	is client-chosen in Dovecot's default format.
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None: a line that is not a well-formed login is simply no event.
 */
#include <string.h>

#include "recog.h"
#include "recog_util.h"

/* dovecot_component - the login process named at the start of m (and
 * drop it); PROTO_UNKNOWN if m names no POP3/IMAP login process */
static enum event_proto
dovecot_component(struct span *m)
{
	ru_prefix(m, "Info: ");
	if (ru_prefix(m, "pop3-login: "))
		return PROTO_POP3;
	if (ru_prefix(m, "imap-login: "))
		return PROTO_IMAP;
	return PROTO_UNKNOWN;
}

/* addr_chars - s looks like an address (lip= is the server's own; its
 * shape is checked, parsing it would only cost time) */
static bool
addr_chars(struct span s)
{
	if (s.n == 0 || s.n >= IPADDR_STRLEN)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			(c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			return false;
	}
	return true;
}

/* field_end - end of a ", "-separated field value starting at p */
static const char *
field_end(const char *p, const char *end)
{
	const char *c = memchr(p, ',', (size_t)(end - p));

	return c ? c : end;
}

/*
 * dovecot_tail - the fields after lip= are the server's: no user= or
 * method= (those come first), and '<' only as "session=<", closed by
 * '>' within its field
 */
static bool
dovecot_tail(struct span t)
{
	const char *p = t.p, *end = ru_end(t), *lt, *gt;

	if (ru_find(t, "method=") || ru_find(t, "user=<"))
		return false;
	while ((lt = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if (lt - t.p < 8 || memcmp(lt - 8, "session=", 8) != 0)
			return false;
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL || memchr(lt, ',', (size_t)(gt - lt)) != NULL)
			return false;
		if (memchr(p, '>', (size_t)(lt - p)) != NULL)
			return false;
		p = gt + 1;
	}
	return memchr(p, '>', (size_t)(end - p)) == NULL;
}

/* dovecot_match - see the file header */
static bool
dovecot_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, body, user, mid;
	const char *end, *r, *v, *ve, *le, *ue, *meth;
	enum event_proto proto;
	struct ipaddr ip;

	(void)state;
	if (ru_too_long(ll))
		return false;
	if (ll->prog.n == 10 && memcmp(ll->prog.p, "pop3-login", 10) == 0)
		proto = PROTO_POP3;
	else if (ll->prog.n == 10 && memcmp(ll->prog.p, "imap-login", 10) == 0)
		proto = PROTO_IMAP;
	else if ((proto = dovecot_component(&m)) == PROTO_UNKNOWN)
		return false;
	ru_prefix(&m, "Info: ");
	if (!ru_prefix(&m, "Login: user=<"))
		return false;
	body = m;
	end = ru_end(body);

	/* the server's own rip= field: the last one, followed by lip= */
	if ((r = ru_rfind(body, ", rip=")) == NULL)
		return false;
	v = r + 6;
	ve = field_end(v, end);
	if (!ru_ip(&ip, ru_span(v, ve)))
		return false;
	if (end - ve < 6 || memcmp(ve, ", lip=", 6) != 0)
		return false;
	le = field_end(ve + 6, end);
	if (!addr_chars(ru_span(ve + 6, le)) || !dovecot_tail(ru_span(le, end)))
		return false;

	/* the user name ends at the last ">, " before that field */
	if ((ue = ru_rfind(ru_span(body.p, r + 2), ">, ")) == NULL)
		return false;
	user = ru_span(body.p, ue);
	mid = ru_span(ue + 1, r);
	if (ru_has(mid, '<') || ru_has(mid, '>'))
		return false;
	if ((meth = ru_find(mid, "method=")) != NULL &&
	    ru_eqi(ru_span(meth + 7, field_end(meth + 7, ru_end(mid))),
		"ANONYMOUS"))
		return false;

	ru_login(ev, &ip, proto, user);
	return true;
}

static const char *const dovecot_progs[] = {
    "dovecot",
    "pop3-login",
    "imap-login",
    NULL,
};

const struct recog recog_dovecot = {
    .name = "dovecot",
    .what = "Dovecot 1.x-2.4 pop3-login/imap-login \"Login: user=<..>, "
	    "rip=..\" (syslog, journal and own log file)",
    .progs = dovecot_progs,
    .match = dovecot_match,
};
