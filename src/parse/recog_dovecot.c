/*
 * recog_dovecot - POP3/IMAP logins and failed logins of Dovecot 1.x to
 * 2.4.
 *
 * DESCRIPTION
 *	The login process writes one line per successful login:
 *
 *	  dovecot[pid]: imap-login: Login: user=<U>, method=M, rip=IP,
 *	      lip=IP, mpid=N, TLS, session=<S>           syslog, 2.1 - 2.3
 *	  dovecot: pop3-login: Login: user=<U>, method=M, rip=IP, lip=IP,
 *	      mpid=N, TLS                                syslog, 2.0
 *	  dovecot: imap-login: Login: user=<U>, PID=N, method=M,
 *	      rip=IP, lip=IP, TLS                        1.x (lograptor sample)
 *	  dovecot: imap-login: Login: user=<U>, method=M,
 *	      rip=::ffff:1.2.3.4, lip=..., secured       1.x, mapped IPv4
 *	  dovecot[pid]: imap-login: Logged in: user=<U>, method=M, rip=IP,
 *	      lip=IP, mpid=N, TLS, session=<S>           2.4
 *	  pop3-login: Info: Login: user=<U>, ...         Dovecot's own log
 *	      (log_path/info_log_path: the program token is the process)
 *	  dovecot: imap-login: Login: ...                journal (prog dovecot)
 *
 *	and one line when a client that failed to authenticate goes away
 *	(event login-fail, reason "auth failed, N attempts in M secs"):
 *
 *	  pop3-login: Disconnected (auth failed, 1 attempts[ in 2 secs]):
 *	      user=<U>, method=M, rip=IP, lip=IP[, ...]  2.0 - 2.2
 *	  imap-login: Aborted login (auth failed, ...): user=<U>, ...  2.2
 *	  pop3-login: Disconnected: Inactivity (auth failed, ...): ...
 *	  pop3-login: Info: Disconnected: Connection closed|Aborted login
 *	      by logging out|Too many bad commands (auth failed, N attempts
 *	      in M secs): user=<U>, method=M, rip=IP, ...   2.3
 *	  imap-login: Login aborted: Connection closed|Logged out (auth
 *	      failed, N attempts in M secs) (auth_failed): user=<U>, ...  2.4
 *	  imap-login: Disconnected (auth failed, 1 attempts): method=PLAIN,
 *	      rip=IP, lip=IP, TLS                        (no user= field)
 *
 *	Between lip= and the end come flags and fields in any order or
 *	number: "mpid=N", "TLS", "secured", "TLS handshaking", "TLS,
 *	TLSv1.2 with cipher ... (256/256 bits)", "TLS: Connection closed",
 *	"session=<S>".  They are not interpreted.  A leading "Info: " may
 *	precede either the process name or the message.
 *
 *	Sources: the Dovecot 2.3.19 lines captured in shared/e2e
 *	(line-shapes.txt) and by tests/e2e/capture_postfix.py (crafted user
 *	names), crowdsec-hub dovecot-*.log, lograptor samples/dovecot.log
 *	(1.x PID= form), ossec-docs log_samples (1.0), fail2ban's dovecot
 *	test log (2.0 - 2.2 forms), public issue threads (mail-in-a-box
 *	#1626, mailcow #740, #4857, RainLoop #257), and for 2.4 ("Logged in:",
 *	"Login aborted: ... (auth_failed):") lines from Dovecot 2.4.1
 *	installations quoted in public test fixtures.
 *
 *	Not events: "no auth attempts", "tried to use disabled plaintext
 *	auth", "auth service reported temporary failure" and the like (a
 *	client that did not try a password, or a server fault); logins with
 *	method=ANONYMOUS (they prove nothing); and the auth process's
 *	"passwd-file(U,IP,<S>): Password mismatch" / "unknown user" and PAM
 *	lines.  Those come once per attempt, for POP/IMAP as well as for
 *	Postfix's SASL (which Postfix reports itself), and the login
 *	process's line above reports the same connection with its attempt
 *	count; an attempt followed by a successful login in the same
 *	connection is not a failure at all.  Counting them too would count
 *	each failure twice, from a line whose user name (unescaped) comes
 *	before the address.
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
 *	is client-chosen in Dovecot's default format.  Whether a line is a
 *	login or a failure is decided by the text before "user=<", which
 *	the server writes; a failure is recognised by the first '(' only.
 *	A line of RU_LINE_MAX bytes or more is no event: syslog may
 *	have cut it (recog_util.h).
 *
 * DIAGNOSTICS
 *	None: a line that is not a well-formed login or failure is simply
 *	no event.
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

/*
 * dovecot_fields - the user name and client address of the login
 * process's fields "[user=<U>, ][method=M, ][PID=N, ]rip=IP, lip=IP[,
 * ...]" (see SECURITY); *mid is what lies between the user name and
 * rip= (", method=M")
 */
static bool
dovecot_fields(
    struct span f, struct span *user, struct ipaddr *ip, struct span *mid)
{
	const char *end = ru_end(f), *r, *v, *ve, *le, *ue;
	bool has_user = ru_prefix(&f, "user=<");

	/* the server's own rip= field: the last one, followed by lip= */
	if ((r = ru_rfind(f, ", rip=")) != NULL)
		v = r + 6;
	else if (!has_user && f.n > 4 && memcmp(f.p, "rip=", 4) == 0)
		v = f.p + 4;
	else
		return false;
	ve = field_end(v, end);
	if (!ru_ip(ip, ru_span(v, ve)))
		return false;
	if (end - ve < 6 || memcmp(ve, ", lip=", 6) != 0)
		return false;
	le = field_end(ve + 6, end);
	if (!addr_chars(ru_span(ve + 6, le)) || !dovecot_tail(ru_span(le, end)))
		return false;

	if (has_user) {
		/* the user name ends at the last ">, " before that field */
		if ((ue = ru_rfind(ru_span(f.p, r + 2), ">, ")) == NULL)
			return false;
		*user = ru_span(f.p, ue);
		*mid = ru_span(ue + 1, r);
	} else {
		*user = ru_span(f.p, f.p);
		*mid = ru_span(f.p, r ? r : f.p);
	}
	return !ru_has(*mid, '<') && !ru_has(*mid, '>');
}

/* dovecot_attempts - w is "N attempts" or "N attempts in M secs" */
static bool
dovecot_attempts(struct span w)
{
	const char *d = w.p;
	struct span rest;

	while (d < ru_end(w) && *d >= '0' && *d <= '9')
		d++;
	rest = ru_span(d, ru_end(w));
	if (d == w.p || !ru_prefix(&rest, " attempts"))
		return false;
	return rest.n == 0 ||
	    (ru_prefix(&rest, " in ") && ru_suffix(&rest, " secs") &&
		ru_digits(rest));
}

/*
 * dovecot_failure - "Disconnected[: why] (auth failed, N attempts[ in M
 * secs])[ (code)]: " and its older and newer forms: the text before the
 * fields.  Only the first '(' is looked at: the user name comes later.
 * *why is "auth failed, N attempts in M secs"; *m is left at the fields.
 */
static bool
dovecot_failure(struct span *m, struct span *why)
{
	struct span s = *m, w;
	const char *open, *close;

	if (!ru_prefix(&s, "Disconnected") && !ru_prefix(&s, "Aborted login") &&
	    !ru_prefix(&s, "Login aborted"))
		return false;
	if ((open = memchr(s.p, '(', s.n)) == NULL)
		return false;
	s = ru_span(open, ru_end(s));
	if (!ru_prefix(&s, "(auth failed, ") ||
	    (close = memchr(s.p, ')', s.n)) == NULL)
		return false;
	w = ru_span(s.p, close);
	if (!dovecot_attempts(w))
		return false;
	s = ru_span(close + 1, ru_end(s));
	/* Dovecot 2.4 adds the reason code: " (auth_failed)" */
	if (s.n > 2 && s.p[0] == ' ' && s.p[1] == '(') {
		const char *c = memchr(s.p, ')', s.n);
		if (c == NULL)
			return false;
		for (const char *q = s.p + 2; q < c; q++)
			if (!((*q >= 'a' && *q <= 'z') || *q == '_'))
				return false;
		s = ru_span(c + 1, ru_end(s));
	}
	if (!ru_prefix(&s, ": "))
		return false;
	*why = ru_span(w.p - 13, ru_end(w));
	*m = s;
	return true;
}

/*
 * dovecot_skim - drop, on the first bytes, what cannot be a login or a
 * failure: in syslog form every message of another Dovecot process
 * ("imap(user): ...", "auth: ..."), most of a busy Dovecot's lines.
 * Own-log lines (the program is the login process) start with the
 * event's own word, 'L', 'D' or 'A'.
 */
static bool
dovecot_skim(struct span m)
{
	ru_prefix(&m, "Info: ");
	if (m.n == 0)
		return false;
	if (m.p[0] == 'L' || m.p[0] == 'D' || m.p[0] == 'A')
		return true;
	return ru_prefix(&m, "pop3-login: ") || ru_prefix(&m, "imap-login: ");
}

/* dovecot_match - see the file header */
static bool
dovecot_match(void *state, const struct logline *ll, struct event *ev)
{
	struct span m = ll->msg, user, mid, why = SPAN_NONE;
	const char *meth;
	enum event_proto proto;
	struct ipaddr ip;
	bool fail = false;

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
	if (!ru_prefix(&m, "Login: ") && !ru_prefix(&m, "Logged in: ")) {
		if (m.n == 0 ||
		    (m.p[0] != 'D' && m.p[0] != 'A' && m.p[0] != 'L'))
			return false;
		if (!dovecot_failure(&m, &why))
			return false;
		fail = true;
	} else if (m.n < 6 || memcmp(m.p, "user=<", 6) != 0) {
		return false;
	}
	if (!dovecot_fields(m, &user, &ip, &mid))
		return false;
	if (fail) {
		ru_login(ev, &ip, proto, user);
		ev->kind = EVENT_LOGIN_FAIL;
		ev->reason = why;
		return true;
	}
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
    .what = "Dovecot 1.x-2.4 pop3-login/imap-login logins \"Login: "
	    "user=<..>, rip=..\" and failures \"(auth failed, N attempts)\" "
	    "(syslog, journal and own log file)",
    .progs = dovecot_progs,
    .match = dovecot_match,
    .skim = dovecot_skim,
    .login = true,
};
