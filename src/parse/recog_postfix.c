/*
 * recog_postfix - Postfix rejects, SASL failures and queue-id
 * correlation: the input of the anti-abuse rules.
 *
 * DESCRIPTION
 *	Registered for postfix/smtpd, postfix/postscreen and postfix/cleanup
 *	(the dispatcher maps postfix/submission/smtpd, postfix-in/smtpd,
 *	... to those keys).  The first word of the message decides, so the
 *	many other lines of these programs cost a few byte compares:
 *
 *	smtpd, postscreen: a reject, in Postfix 2.0/2.1 form (no enhanced
 *	status code) and 3.x form, queue id or NOQUEUE, any stage:
 *
 *	  NOQUEUE: reject: RCPT from name[ip]: 554 5.7.1 <a@b>: Relay
 *	      access denied; from=<s> to=<a@b> proto=ESMTP helo=<h>
 *	  QID: reject: EHLO from name[ip]:port: 504 5.5.2 <h>: Helo command
 *	      rejected: need fully-qualified hostname; proto=SMTP helo=<h>
 *	  NOQUEUE: reject: CONNECT from name[ip]: 554 Service unavailable;
 *	      Client host [ip] blocked using zone[; reason]; proto=SMTP
 *	  NOQUEUE: reject: RCPT from [ip]:port: 550 5.7.1 Service
 *	      unavailable; client [ip] blocked using zone; from=<s>, to=<r>,
 *	      proto=ESMTP, helo=<h>                            (postscreen)
 *
 *	The reply decides the event (SPEC section 2):
 *	  "Service unavailable; Client host [ip] blocked using zone", 5xx,
 *	  the bracketed address the client's own      -> rbl (zone, reason)
 *	  "<client>: Client host rejected: " + the blacklist prefix
 *	  (recog_conf), 5xx, 5.7.x or old 554          -> blacklisted
 *	  "<a>: Sender address rejected: Domain not found" -> domain-not-found
 *	  "<a>: Sender address rejected: ...", 5xx 5.7.x or old 554
 *	                                               -> sender-forgery
 *	  "<a>: Recipient address rejected: User unknown in local
 *	  recipient|virtual alias|virtual mailbox|relay recipient table",
 *	  old "<a>: User unknown in ... table"         -> unknown-recipient
 *	  "<a>: Recipient address rejected: ...", 5xx 5.7.x or old 554
 *	                                               -> recipient-forgery
 *	  "<a>: Relay access denied"                   -> relay-denied
 *	  "<h>: Helo command rejected: ...", 5xx 5.7.x or old 554, except
 *	  "Host not found"                             -> helo-forgery
 *	  anything else with a status code (501/504 5.5.2 syntax, 4xx
 *	  lookup failures, RHSBL "Sender address [..] blocked using", ...)
 *	                                               -> reject (detail)
 *	A postscreen reject without a status code ("too many connections")
 *	is no event.
 *
 *	smtpd: "QID: client=name[ip][:port][, sasl_method=...]" is no
 *	event; it stores QID -> ip for cleanup (below).
 *
 *	smtpd: "warning: name[ip][:port]: SASL MECH authentication failed:
 *	reason[, sasl_username=user]" -> sasl-fail (user), except the
 *	server-side "Connection lost to authentication server".
 *
 *	cleanup: "QID: reject: header|body TEXT from name[ip]; from=<s>
 *	to=<r> proto=P helo=<h>: 5.7.1 reply" -> content-reject (stage
 *	header/body, detail = TEXT, reason = reply).
 *
 *	Sources: Postfix 3.7.11 lines captured by the project's test bench
 *	(shared/e2e/line-shapes.txt, both smtpd_delay_reject settings) and
 *	by tests/e2e/capture_postfix.py (crafted input, client port
 *	logging); the Postfix 2.x lines of popauth 3 (seed NOTES 4.3 and its
 *	scenario logs); crowdsec-hub, postfix-grok-patterns (postscreen,
 *	VRFY, 454 relay) and lograptor samples.  Postfix source: smtpd_check.c
 *	log_whatsup() (reject line), cleanup_message.c cleanup_act_log(),
 *	postscreen_smtpd.c psc_rcpt_cmd(), msg_syslog.c/msg_logger.c.
 *
 * SECURITY
 *	Attacker-chosen bytes: the HELO name, both envelope addresses (in
 *	the reply's <...> and in from=/to=), header and body text, the SASL
 *	user name, and the client's reverse-DNS name (hostname syntax only).
 *	The event's address is ONLY ever the one Postfix wrote in the
 *	"from name[ip]" prefix (smtpd, postscreen, SASL), parsed with
 *	ipaddr_parse between the brackets; for cleanup, the one smtpd logged
 *	on the "QID: client=" line.  No [ip] found further on is used.
 *
 *	What the client can change is the kind of event for its OWN
 *	address, by making its text look like Postfix's.  Measured with
 *	Postfix 3.7: the reply's "<...>" holds the address UNQUOTED (RCPT
 *	TO:<"x>: Relay access denied; from=<"@dom> is logged as "550 5.1.1
 *	<x>: Relay access denied; from=<@dom>: Recipient address rejected:
 *	User unknown ..."), so no scan of the reply alone can find where the
 *	address ends.  The trailer is the anchor: from=<...> and to=<...>
 *	are in Postfix's external (quoted) form and helo=<...> has its
 *	blanks and <> replaced by '?' (except on HELO/EHLO lines, where it
 *	is raw and comes last).  A trailer is accepted only when it parses
 *	strictly to the end of the line (a quoted local part is the whole
 *	local part; outside quotes no blank, quote, backslash or angle
 *	bracket), and the reply's "<A>: phrase" only when A is exactly the
 *	trailer field the phrase names (the unquoted sender or recipient,
 *	the HELO name, or the client name[ip]); of several, the longest.  A
 *	crafted field that imitates a trailer cannot end the line the way
 *	the real one does.  A reply no field verifies is a plain reject.
 *	With info_log_address_format = internal (or Postfix < 3.5) crafted
 *	addresses are logged unquoted: such lines give no event.
 *
 *	Postfix cuts every log record at 2000 bytes (MSG_SYSLOG_RECLEN,
 *	MSG_LOGGER_RECLEN; "warning: " comes on top), with no marker, and a
 *	long HELO or address can push the real reply out of it.  A message
 *	of 2000 bytes or more is no event (measured: a 1,900-byte HELO gave
 *	a message of exactly 2000 bytes, cut inside the trailer).
 *
 *	The queue-id cache is a kcache (PF_QSETS x KCACHE_WAYS entries,
 *	keyed by host and queue id; O(1) per line): a flood of messages
 *	only evicts entries.  It keeps the bracketed address of
 *	"QID: client=" as text, parsed with ipaddr_parse when a header or
 *	body reject of that message comes; the reject must name the same
 *	address at its origin, else it is no event.  A reject whose queue
 *	id is not (or no longer) known falls back to the right-anchored
 *	parse described at pf_cleanup, and only for lines shorter than
 *	RU_LINE_MAX (a syslog length limit could have cut the real origin
 *	off and left the client's fake one).
 *
 * DIAGNOSTICS
 *	None: a line that is not a well-formed reject is no event.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/kcache.h"
#include "../lib/mem.h"
#include "recog.h"
#include "recog_util.h"

/* Postfix's record limit: a message this long may have been cut */
#define PF_RECLEN 2000
/* the first word: a queue id (short or long form), NOQUEUE, warning */
#define PF_WORDMAX 32
/* queue-id cache: PF_QSETS sets of KCACHE_WAYS entries */
#define PF_QSETS 512

enum pf_svc { PF_SMTPD, PF_POSTSCREEN, PF_CLEANUP };

/* what the cache keeps of "QID: client=", under "host\0qid" */
struct pf_qent {
	uint8_t iplen;
	char ip[IPADDR_STRLEN]; /* as logged: parsed when used (rarely) */
};

struct pf_state {
	char *prefix; /* copy of the blacklist reply prefix ("": none) */
	size_t prefix_n;
	struct kcache *q;
};

/* the client part of a line: name[ip] or name[ip]:port */
struct pf_client {
	struct span name, namaddr;
	struct ipaddr ip;
};

/* the trailer "; from=<s> to=<r> proto=P helo=<h>" */
struct pf_trailer {
	struct span from, to, helo;
	bool has_from, has_to;
};

/* which trailer field (or the client) the reply's <...> names */
enum pf_field { F_NONE, F_CLIENT, F_HELO, F_SENDER, F_RCPT };
enum pf_rcpt { R_REJECTED, R_RELAY, R_OLD_UNKNOWN };

struct pf_verdict {
	enum pf_field f;
	enum pf_rcpt sub;
	struct span addr, text;
	size_t alen;
};

/* lit - if p starts the n bytes of s before end, step over them */
static inline bool
lit(const char **p, const char *end, const char *s, size_t n)
{
	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}
#define LIT(p, end, s) lit(p, end, s, sizeof(s) - 1)

/* spaneq - s is exactly the literal */
#define SPANEQ(s, l) ((s).n == sizeof(l) - 1 && memcmp((s).p, l, (s).n) == 0)

/* is_digit - an ASCII digit */
static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* is_alnum - an ASCII letter or digit (a byte of a queue id), by table:
 * this runs on the first word of every Postfix line */
#define ALNUM_ROW(a) [a] = 1, [a + 1] = 1, [a + 2] = 1, [a + 3] = 1
static const unsigned char alnum_tab[256] = {ALNUM_ROW('0'),
    ALNUM_ROW('4'), ['8'] = 1, ['9'] = 1, ALNUM_ROW('A'), ALNUM_ROW('E'),
    ALNUM_ROW('I'), ALNUM_ROW('M'), ALNUM_ROW('Q'),
    ALNUM_ROW('U'), ['Y'] = 1, ['Z'] = 1, ALNUM_ROW('a'), ALNUM_ROW('e'),
    ALNUM_ROW('i'), ALNUM_ROW('m'), ALNUM_ROW('q'),
    ALNUM_ROW('u'), ['y'] = 1, ['z'] = 1};
#undef ALNUM_ROW

static inline bool
is_alnum(char c)
{
	return alnum_tab[(unsigned char)c];
}

/* pf_client - parse "name[ip]" or "name[ip]:port" at *p; the name may
 * be empty (postscreen) but holds no blank or bracket */
static bool
pf_client(const char **p, const char *end, struct pf_client *c)
{
	const char *s = *p, *b, *e;

	for (b = s; b < end && *b != '[' && *b != ']' && *b != ' '; b++)
		;
	if (b == end || *b != '[')
		return false;
	for (e = b + 1; e < end && *e != ']' && e - b <= IPADDR_STRLEN; e++)
		;
	if (e == end || *e != ']' || !ru_ip(&c->ip, ru_span(b + 1, e)))
		return false;
	e++;
	if (end - e >= 2 && *e == ':' && is_digit(e[1]))
		for (e++; e < end && is_digit(*e); e++)
			;
	c->name = ru_span(s, b);
	c->namaddr = ru_span(s, e);
	*p = e;
	return true;
}

/*
 * pf_addr_end - the '>' that ends an address in Postfix's external form
 * starting at p, or NULL.  A quoted string is the whole local part
 * ("..."@dom, backslash escapes inside); outside it no blank, quote,
 * backslash or '<' (Postfix would have quoted them).
 */
static const char *
pf_addr_end(const char *p, const char *end)
{
	if (p < end && *p == '"') {
		for (p++;; p++) {
			if (p >= end)
				return NULL;
			if (*p == '\\')
				p++;
			else if (*p == '"')
				break;
		}
		p++;
	}
	for (; p < end; p++) {
		switch (*p) {
		case '>':
			return p;
		case '"':
		case ' ':
		case '<':
		case '\\':
			return NULL;
		}
	}
	return NULL;
}

/*
 * pf_trailer - parse t, which must be exactly "; [from=<s> ][to=<r> ]
 * proto=P[ helo=<h>]".  The HELO name may hold anything when raw (it
 * is last); otherwise Postfix replaced blanks and <> with '?'.
 */
static bool
pf_trailer(struct span t, bool raw_helo, struct pf_trailer *tr)
{
	const char *p = t.p, *end = ru_end(t), *q;

	memset(tr, 0, sizeof(*tr));
	if (!LIT(&p, end, "; "))
		return false;
	if (LIT(&p, end, "from=<")) {
		if ((q = pf_addr_end(p, end)) == NULL)
			return false;
		tr->from = ru_span(p, q);
		tr->has_from = true;
		p = q + 1;
		if (!LIT(&p, end, " "))
			return false;
	}
	if (LIT(&p, end, "to=<")) {
		if ((q = pf_addr_end(p, end)) == NULL)
			return false;
		tr->to = ru_span(p, q);
		tr->has_to = true;
		p = q + 1;
		if (!LIT(&p, end, " "))
			return false;
	}
	if (!LIT(&p, end, "proto="))
		return false;
	for (q = p; q < end && is_alnum(*q); q++)
		;
	if (q == p)
		return false;
	p = q;
	if (p == end)
		return true;
	if (!LIT(&p, end, " helo=<") || end[-1] != '>')
		return false;
	tr->helo = ru_span(p, end - 1);
	if (raw_helo)
		return true;
	return !ru_has(tr->helo, ' ') && !ru_has(tr->helo, '<') &&
	    !ru_has(tr->helo, '>');
}

/* pf_next_t - the next "; from=<", "; to=<" or "; proto=" in r at or
 * after p: where a trailer may start */
static const char *
pf_next_t(struct span r, const char *p)
{
	const char *end = ru_end(r);

	while (p < end && (p = memchr(p, ';', (size_t)(end - p))) != NULL) {
		size_t left = (size_t)(end - p);
		if (left >= 6 && p[1] == ' ' &&
		    ((left >= 8 && memcmp(p + 2, "from=<", 6) == 0) ||
			memcmp(p + 2, "to=<", 4) == 0 ||
			(left >= 8 && memcmp(p + 2, "proto=", 6) == 0)))
			return p;
		p++;
	}
	return NULL;
}

/*
 * pf_match_addr - how many bytes at the start of a spell the address x
 * (unquoted when `quoted': Postfix's reply shows the internal form of
 * the trailer's external one); -1 if a does not start with it
 */
static ssize_t
pf_match_addr(struct span a, struct span x, bool quoted)
{
	size_t i = 0, j = 0;
	bool inq = false;

	while (j < x.n) {
		char c = x.p[j++];
		if (quoted && c == '"' && (inq || j == 1)) {
			inq = !inq;
			continue;
		}
		if (quoted && inq && c == '\\') {
			if (j == x.n)
				return -1;
			c = x.p[j++];
		}
		if (i == a.n || a.p[i] != c)
			return -1;
		i++;
	}
	return (ssize_t)i;
}

/* pf_try - does head ("<A>: phrase...") name field f whose value is x?
 * Keep the longest match in *v */
static void
pf_try(struct span head, enum pf_field f, struct span x, bool quoted,
    struct pf_verdict *v)
{
	struct span a = ru_span(head.p + 1, ru_end(head)), rest;
	ssize_t k = pf_match_addr(a, x, quoted);
	enum pf_rcpt sub = R_REJECTED;

	if (k < 0 || (v->f != F_NONE && (size_t)k <= v->alen))
		return;
	rest = ru_span(a.p + k, ru_end(a));
	if (!ru_prefix(&rest, ">: "))
		return;
	switch (f) {
	case F_CLIENT:
		if (!ru_prefix(&rest, "Client host rejected: "))
			return;
		break;
	case F_HELO:
		if (!ru_prefix(&rest, "Helo command rejected: "))
			return;
		break;
	case F_SENDER:
		if (!ru_prefix(&rest, "Sender address rejected: "))
			return;
		break;
	case F_RCPT:
		if (ru_prefix(&rest, "Recipient address rejected: "))
			sub = R_REJECTED;
		else if (SPANEQ(rest, "Relay access denied")) {
			sub = R_RELAY;
			rest.p += rest.n;
			rest.n = 0;
		} else if (rest.n > 16 &&
		    memcmp(rest.p, "User unknown in ", 16) == 0)
			sub = R_OLD_UNKNOWN;
		else
			return;
		break;
	default:
		return;
	}
	*v =
	    (struct pf_verdict){f, sub, ru_span(a.p, a.p + k), rest, (size_t)k};
}

/* pf_permanent - a permanent policy reject: 5xx with 5.7.x, or the old
 * form without an enhanced code, 554 */
static bool
pf_permanent(struct span code, struct span dsn)
{
	if (code.p[0] != '5')
		return false;
	if (dsn.n == 0)
		return memcmp(code.p, "554", 3) == 0;
	return dsn.n >= 3 && dsn.p[0] == '5' && dsn.p[2] == '7';
}

/* pf_user_unknown - Postfix's text for a recipient no table knows */
static bool
pf_user_unknown(struct span t)
{
	return SPANEQ(t, "User unknown in local recipient table") ||
	    SPANEQ(t, "User unknown in virtual alias table") ||
	    SPANEQ(t, "User unknown in virtual mailbox table") ||
	    SPANEQ(t, "User unknown in relay recipient table");
}

/* pf_dsn - an enhanced status code "d.ddd.ddd" at *p, followed by a
 * blank; step over both */
static bool
pf_dsn(const char **p, const char *end, struct span *dsn)
{
	const char *s = *p, *q = s;

	if (end - q < 6 || (*q != '2' && *q != '4' && *q != '5') || q[1] != '.')
		return false;
	q += 2;
	for (int part = 0; part < 2; part++) {
		const char *d = q;
		while (q < end && is_digit(*q) && q - d < 3)
			q++;
		if (q == d || q == end || *q != (part ? ' ' : '.'))
			return false;
		q++;
	}
	*dsn = ru_span(s, q - 1);
	*p = q;
	return true;
}

/* pf_rbl - "Service unavailable; Client host [ip] blocked using zone[;
 * reason]" (or postscreen's "client [ip]") naming the client itself */
static bool
pf_rbl(struct span head, const struct ipaddr *ip, struct event *ev)
{
	const char *p, *end = ru_end(head), *b, *z;
	struct ipaddr lip;

	p = head.p;
	if (!LIT(&p, end, "Service unavailable; ") ||
	    !(LIT(&p, end, "Client host [") || LIT(&p, end, "client [")))
		return false;
	if ((b = memchr(p, ']', (size_t)(end - p))) == NULL ||
	    !ru_ip(&lip, ru_span(p, b)) || !ipaddr_equal(&lip, ip))
		return false;
	p = b + 1;
	if (!LIT(&p, end, " blocked using "))
		return false;
	for (z = p; z < end && *z != ';' && *z != ' '; z++)
		;
	if (z == p || (z < end && *z == ' '))
		return false;
	b = z;
	if (z < end && !LIT(&b, end, "; "))
		return false;
	ev->zone = ru_span(p, z);
	ev->reason = ru_span(b, end);
	return true;
}

/* pf_classify - the event kind of a reject whose reply text (after the
 * status code, before the trailer) is head */
static void
pf_classify(struct span head, struct span code, struct span dsn,
    const struct pf_client *cl, const struct pf_trailer *tr,
    const struct pf_state *st, struct event *ev)
{
	struct pf_verdict v = {F_NONE, R_REJECTED, SPAN_NONE, SPAN_NONE, 0};
	bool perm = pf_permanent(code, dsn);

	ev->kind = EVENT_REJECT;
	ev->detail = head;
	if (head.n > 0 && head.p[0] == '<') {
		pf_try(head, F_CLIENT, cl->namaddr, false, &v);
		if (tr->helo.p)
			pf_try(head, F_HELO, tr->helo, false, &v);
		if (tr->has_from)
			pf_try(head, F_SENDER, tr->from, true, &v);
		if (tr->has_to)
			pf_try(head, F_RCPT, tr->to, true, &v);
	} else {
		if (code.p[0] == '5' && pf_rbl(head, &cl->ip, ev)) {
			ev->kind = EVENT_RBL;
			ev->detail = SPAN_NONE;
		}
		return;
	}
	if (v.f == F_NONE)
		return;
	ev->addr = v.addr;
	ev->reason = v.text;
	switch (v.f) {
	case F_CLIENT:
		if (st->prefix && st->prefix_n > 0 &&
		    v.text.n >= st->prefix_n &&
		    memcmp(v.text.p, st->prefix, st->prefix_n) == 0 &&
		    code.p[0] == '5' &&
		    (dsn.n == 0 || (dsn.n >= 3 && dsn.p[2] == '7'))) {
			struct span auth =
			    ru_span(v.text.p + st->prefix_n, ru_end(v.text));
			const char *dot = ru_find(auth, ". ");
			if (dot)
				auth.n = (size_t)(dot - auth.p);
			else
				ru_suffix(&auth, ".");
			ev->kind = EVENT_BLACKLISTED;
			ev->zone = auth;
		}
		break;
	case F_HELO:
		if (perm &&
		    !(v.text.n >= 14 &&
			memcmp(v.text.p, "Host not found", 14) == 0))
			ev->kind = EVENT_HELO_FORGERY;
		break;
	case F_SENDER:
		if (SPANEQ(v.text, "Domain not found"))
			ev->kind = EVENT_DOMAIN_NOT_FOUND;
		else if (perm)
			ev->kind = EVENT_SENDER_FORGERY;
		break;
	case F_RCPT:
		if (v.sub == R_RELAY)
			ev->kind = EVENT_RELAY_DENIED;
		else if (pf_user_unknown(v.text))
			ev->kind = EVENT_UNKNOWN_RECIPIENT;
		else if (v.sub == R_REJECTED && perm)
			ev->kind = EVENT_RECIPIENT_FORGERY;
		break;
	default:
		break;
	}
	if (ev->kind != EVENT_REJECT)
		ev->detail = SPAN_NONE;
}

/* pf_helo_named - the reply is "<h>: ..." for the HELO name h */
static bool
pf_helo_named(struct span r, struct span h)
{
	return r.n > h.n + 3 && memcmp(r.p + 1, h.p, h.n) == 0 &&
	    memcmp(r.p + 1 + h.n, ">: ", 3) == 0;
}

/*
 * pf_reject - an smtpd or postscreen reject; s is the text after
 * "reject: ".  See the file header for the trailer rules.  On HELO/EHLO
 * lines the HELO name is raw and may imitate anything after it, so a
 * trailer whose HELO name the reply starts with is preferred there.
 */
static bool
pf_reject(const struct pf_state *st, struct span qid, struct span s,
    bool postscreen, struct event *ev)
{
	const char *p = s.p, *end = ru_end(s), *q, *t = NULL;
	struct span stage, code, dsn = SPAN_NONE, r;
	struct pf_client cl;
	struct pf_trailer tr;
	bool raw;

	for (q = p; q < end && ((*q >= 'A' && *q <= 'Z') || *q == '-'); q++)
		;
	if (q == p || q - p > 20)
		return false;
	stage = ru_span(p, q);
	p = q;
	if (!LIT(&p, end, " from ") || !pf_client(&p, end, &cl) ||
	    !LIT(&p, end, ": "))
		return false;
	if (end - p < 5 || (p[0] != '4' && p[0] != '5') || !is_digit(p[1]) ||
	    !is_digit(p[2]) || p[3] != ' ')
		return false;
	code = ru_span(p, p + 3);
	p += 4;
	if (pf_dsn(&p, end, &dsn))
		code.n = (size_t)(dsn.p + dsn.n - code.p);
	r = ru_span(p, end);
	raw = SPANEQ(stage, "HELO") || SPANEQ(stage, "EHLO");

	if (postscreen) {
		/* the reply is postscreen's own text; from, to and helo
		 * are the client's raw words, not reported */
		if ((t = ru_find(r, "; from=<")) == NULL)
			return false;
		memset(&tr, 0, sizeof(tr));
	} else {
		if (raw && r.n > 0 && r.p[0] == '<')
			for (t = pf_next_t(r, r.p); t; t = pf_next_t(r, t + 1))
				if (pf_trailer(ru_span(t, end), true, &tr) &&
				    tr.helo.p && pf_helo_named(r, tr.helo))
					break;
		if (t == NULL)
			for (t = pf_next_t(r, r.p); t; t = pf_next_t(r, t + 1))
				if (pf_trailer(ru_span(t, end), raw, &tr))
					break;
		if (t == NULL)
			return false;
	}
	ev->ip = cl.ip;
	ev->host = cl.name;
	ev->stage = stage;
	ev->qid = qid;
	ev->code = code;
	ev->from = tr.from;
	ev->has_from = tr.has_from;
	ev->to = tr.to;
	ev->helo = tr.helo;
	pf_classify(ru_span(r.p, t), ru_span(code.p, code.p + 3), dsn, &cl, &tr,
	    st, ev);
	return true;
}

/* pf_sasl - "name[ip]: SASL MECH authentication failed: reason[,
 * sasl_username=user]" (after "warning: "), or up to "failed" only
 * (Postfix 2.0-2.2) */
static bool
pf_sasl(struct span s, struct event *ev)
{
	const char *p = s.p, *end = ru_end(s), *q, *u;
	struct pf_client cl;
	struct span reason;

	if (!pf_client(&p, end, &cl) || !LIT(&p, end, ": SASL "))
		return false;
	for (q = p; q < end && (is_alnum(*q) || *q == '-' || *q == '_'); q++)
		;
	if (q == p)
		return false;
	p = q;
	if (!LIT(&p, end, " authentication failed"))
		return false;
	/* Postfix before 2.3 stops here; later ones add ": reason" */
	if (p != end && !LIT(&p, end, ": "))
		return false;
	/* the reason is the server's; the user name, last, the client's */
	reason = ru_span(p, end);
	if ((u = ru_find(reason, ", sasl_username=")) != NULL)
		reason.n = (size_t)(u - p);
	if (SPANEQ(reason, "Connection lost to authentication server"))
		return false;
	if (u)
		ev->user = ru_span(u + 16, end);
	ev->kind = EVENT_SASL_FAIL;
	ev->ip = cl.ip;
	ev->host = cl.name;
	ev->reason = reason;
	return true;
}

/* pf_qkey - the cache key "host\0qid"; its length, 0 if too long */
static size_t
pf_qkey(const struct logline *ll, struct span qid, char key[KCACHE_KEYMAX])
{
	size_t n = ll->host.n + 1 + qid.n;

	if (n > KCACHE_KEYMAX)
		return 0;
	if (ll->host.n)
		memcpy(key, ll->host.p, ll->host.n);
	key[ll->host.n] = 0;
	memcpy(key + ll->host.n + 1, qid.p, qid.n);
	return n;
}

/* pf_qput - remember the client address (text) of queue id qid (host
 * of ll) */
static void
pf_qput(struct pf_state *st, const struct logline *ll, struct span qid,
    struct span ip)
{
	char key[KCACHE_KEYMAX];
	size_t n = pf_qkey(ll, qid, key);
	struct pf_qent *e;

	if (n == 0 || (e = kcache_put(st->q, key, n)) == NULL)
		return;
	e->iplen = (uint8_t)ip.n;
	memcpy(e->ip, ip.p, ip.n);
}

/* pf_qget - the client stored for qid (host of ll); NULL if none */
static struct pf_qent *
pf_qget(struct pf_state *st, const struct logline *ll, struct span qid)
{
	char key[KCACHE_KEYMAX];
	size_t n = pf_qkey(ll, qid, key);

	return n ? kcache_get(st->q, key, n) : NULL;
}

/* pf_client_line - "name[ip][:port][, ...]" after "QID: client=":
 * every byte the server's; the address is parsed only if a header or
 * body reject of the message comes (one line in thousands) */
static void
pf_client_line(struct pf_state *st, const struct logline *ll, struct span qid,
    struct span s)
{
	const char *b = memchr(s.p, '[', s.n), *e;

	if (b == NULL ||
	    (e = memchr(b, ']', (size_t)(ru_end(s) - b))) == NULL ||
	    e - b > IPADDR_STRLEN)
		return;
	pf_qput(st, ll, qid, ru_span(b + 1, e));
}

/* pf_cleanup_end - where the trailer of a cleanup reject ends: after
 * the last " helo=<h>" (h without blank or <>) or, without one, the
 * last " proto=P", followed by ": "; NULL if neither */
static const char *
pf_cleanup_end(struct span b)
{
	const char *end = ru_end(b), *h, *q;

	if ((h = ru_rfind(b, " helo=<")) != NULL) {
		for (q = h + 7; q < end && *q != '>' && *q != ' ' && *q != '<';
		     q++)
			;
		return end - q >= 3 && q[0] == '>' && q[1] == ':' && q[2] == ' '
		    ? q + 1
		    : NULL;
	}
	if ((h = ru_rfind(b, " proto=")) == NULL)
		return NULL;
	for (q = h + 7; q < end && is_alnum(*q); q++)
		;
	return q > h + 7 && end - q >= 2 && q[0] == ':' && q[1] == ' ' ? q
								       : NULL;
}

/*
 * pf_cleanup - "QID: reject: header|body TEXT from name[ip]; trailer:
 * reply".  TEXT is the client's (up to 200 bytes) and may itself hold
 * " from x[ip]; from=<...", so the origin is never searched from the
 * left.  The trailer's end is anchored from the right (the reply after
 * it is the admin's header_checks text), and the origin is the
 * occurrence of " from name[ip]" whose trailer parses strictly up to
 * exactly that end.  When smtpd's "QID: client=" line was seen, the
 * origin must also carry that address (no event if none does); when it
 * was not (popauth started after it, or the cache evicted it), the
 * right-most such origin is taken: a fake one inside the quoted sender
 * or recipient cannot make the strict trailer end there; and such a
 * line must be shorter than RU_LINE_MAX, as a syslog length limit could
 * have cut the real origin off and left a fake one in the header text.
 */
static bool
pf_cleanup(struct pf_state *st, const struct logline *ll, struct span qid,
    struct span s, struct event *ev)
{
	const char *end, *e, *c, *p;
	struct span stage, body, text, dsn = SPAN_NONE;
	struct pf_qent *cached = pf_qget(st, ll, qid);
	struct pf_client cl;
	struct pf_trailer tr;
	struct ipaddr cip;

	/* without the client= line, a line syslog may have cut (its fake
	 * origin left at the end) is not trusted either */
	if (cached == NULL && ru_too_long(ll))
		return false;
	if (cached &&
	    !ru_ip(&cip, ru_span(cached->ip, cached->ip + cached->iplen)))
		return false;
	body = s;
	if (ru_prefix(&body, "header "))
		stage = ru_span(s.p, s.p + 6);
	else if (ru_prefix(&body, "body "))
		stage = ru_span(s.p, s.p + 4);
	else
		return false;
	end = ru_end(body);
	if ((e = pf_cleanup_end(body)) == NULL)
		return false;
	for (c = e;;) {
		if ((c = ru_rfindn(ru_span(body.p, c), " from ", 6)) == NULL)
			return false;
		p = c + 6;
		if (pf_client(&p, e, &cl) && p < e && *p == ';' &&
		    pf_trailer(ru_span(p, e), false, &tr) &&
		    (cached == NULL || ipaddr_equal(&cip, &cl.ip)))
			break;
	}
	if (cached)
		kcache_del(st->q, cached); /* one reject per message */
	p = e + 2;
	if (pf_dsn(&p, end, &dsn))
		ev->code = dsn;
	text = ru_span(p, end);
	ev->kind = EVENT_CONTENT_REJECT;
	ev->ip = cl.ip;
	ev->host = cl.name;
	ev->stage = stage;
	ev->qid = qid;
	ev->detail = ru_span(body.p, c);
	ev->reason = text;
	ev->from = tr.from;
	ev->has_from = tr.has_from;
	ev->to = tr.to;
	ev->helo = tr.helo;
	return true;
}

/* pf_service - which Postfix program wrote the line */
static enum pf_svc
pf_service(struct span prog)
{
	struct span p = prog;

	if (ru_suffix(&p, "/cleanup"))
		return PF_CLEANUP;
	if (ru_suffix(&p, "/postscreen"))
		return PF_POSTSCREEN;
	return PF_SMTPD;
}

/* pf_sasl_shape - after "warning: ", the one warning that matters has
 * the client's "name[ip]" or "name[ip]:port" (no blank in it, see
 * pf_client) and then ": SASL "; TLS, DNS and protocol warnings fail
 * at their first blank */
static bool
pf_sasl_shape(struct span w)
{
	const char *b = memchr(w.p, ' ', w.n);

	return b != NULL && b > w.p && b[-1] == ':' &&
	    (size_t)(ru_end(w) - b) > 5 && memcmp(b + 1, "SASL ", 5) == 0;
}

/*
 * pf_first_word - the length of the first word of m when it is a queue
 * id, NOQUEUE or "warning" followed by ": " and what may follow it
 * ("reject: ", "client=" or, after "warning", a SASL failure's
 * shape); 0 otherwise.
 * This is all most lines cost.
 */
static size_t
pf_first_word(struct span m)
{
	const char *c;
	size_t i;

	/* a queue id starts with a digit or an upper-case letter (the short
	 * form is hex; the long one starts with the time in base 52, a
	 * digit for centuries), as does NOQUEUE; of the lower-case words
	 * only "warning" matters.  That drops "connect from", "disconnect
	 * from", "lost connection" at the first byte; most other lines
	 * have no ':' this early. */
	if (m.n < 16 ||
	    !((m.p[0] >= '0' && m.p[0] <= '9') ||
		(m.p[0] >= 'A' && m.p[0] <= 'Z') || m.p[0] == 'w'))
		return 0;
	/* one pass, no libc call: the word is short and most lines fail
	 * on a blank within a few bytes */
	for (i = 1; i <= PF_WORDMAX && i < m.n && is_alnum(m.p[i]); i++)
		;
	c = m.p + i;
	if (i > PF_WORDMAX || m.n - i < 9 || c[0] != ':' || c[1] != ' ')
		return 0;
	if (c[2] == 'r' || c[2] == 'c')
		return i;
	if (i == 7 && memcmp(m.p, "warning", 7) == 0 &&
	    pf_sasl_shape(ru_span(c + 2, ru_end(m))))
		return i;
	return 0;
}

/* postfix_skim - the first word decides (the cheap half of
 * postfix_match) */
static bool
postfix_skim(struct span msg)
{
	return pf_first_word(msg) != 0;
}

/* postfix_match - see the file header; the first word decides */
static bool
postfix_match(void *state, const struct logline *ll, struct event *ev)
{
	struct pf_state *st = state;
	struct span m = ll->msg, word, rest;
	enum pf_svc svc;
	size_t i;

	if ((i = pf_first_word(m)) == 0)
		return false;
	word = ru_span(m.p, m.p + i);
	rest = ru_span(m.p + i + 2, ru_end(m));
	if (m.n >= PF_RECLEN)
		return false; /* perhaps cut by Postfix: not trusted */
	svc = pf_service(ll->prog);
	if (SPANEQ(word, "warning"))
		return svc == PF_SMTPD && pf_sasl(rest, ev);
	if (ru_prefix(&rest, "reject: ")) {
		if (svc == PF_CLEANUP)
			return !SPANEQ(word, "NOQUEUE") &&
			    pf_cleanup(st, ll, word, rest, ev);
		if (svc == PF_POSTSCREEN && !SPANEQ(word, "NOQUEUE"))
			return false;
		return pf_reject(st, word, rest, svc == PF_POSTSCREEN, ev);
	}
	if (svc == PF_SMTPD && ru_prefix(&rest, "client=") &&
	    !SPANEQ(word, "NOQUEUE"))
		pf_client_line(st, ll, word, rest);
	return false;
}

/* postfix_new - an empty state: queue-id cache, default prefix */
static void *
postfix_new(void)
{
	struct pf_state *st = xcalloc(1, sizeof(*st));

	st->q = kcache_new(PF_QSETS, sizeof(struct pf_qent));
	st->prefix = xstrdup(RECOG_BLACKLIST_PREFIX);
	st->prefix_n = strlen(st->prefix);
	return st;
}

/* postfix_free - release the state */
static void
postfix_free(void *state)
{
	struct pf_state *st = state;

	if (st) {
		free(st->prefix);
		kcache_free(st->q);
	}
	free(st);
}

/* postfix_configure - take a copy of the blacklist reply prefix */
static void
postfix_configure(void *state, const struct recog_conf *conf)
{
	struct pf_state *st = state;
	const char *p = conf && conf->blacklist_prefix ? conf->blacklist_prefix
						       : RECOG_BLACKLIST_PREFIX;

	free(st->prefix);
	st->prefix = xstrdup(p);
	st->prefix_n = strlen(p);
}

static const char *const postfix_progs[] = {
    "postfix/smtpd",
    "postfix/postscreen",
    "postfix/cleanup",
    NULL,
};

const struct recog recog_postfix = {
    .name = "postfix",
    .what = "Postfix 2.x-3.x smtpd/postscreen rejects (DNSBL, blacklist "
	    "repeats, forgeries, unknown recipients, relay denials), SASL "
	    "failures, cleanup header/body rejects",
    .progs = postfix_progs,
    .match = postfix_match,
    .skim = postfix_skim,
    .state_new = postfix_new,
    .state_free = postfix_free,
    .configure = postfix_configure,
    .login = false,
};
