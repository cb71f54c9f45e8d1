/*
 * event - what the recognisers tell the policy engine.
 *
 * An event is a typed fact taken from one log line: "user alice logged in
 * over POP3 from 192.0.2.10 at 10:00:00".  Text fields are spans that
 * point into the line; they are valid only while the line is, so the
 * engine copies what it keeps.  The IP was parsed with inet_pton from the
 * field the *server* writes, never found by searching the line.
 */
#ifndef POPAUTH_EVENT_H
#define POPAUTH_EVENT_H

#include <stdint.h>

#include "../lib/ipaddr.h"
#include "../lib/sbuf.h"

enum event_kind {
	EVENT_NONE = 0,
	EVENT_LOGIN, /* successful POP3/IMAP login: the IP may relay */
	EVENT_LOGIN_FAIL, /* failed POP3/IMAP authentication */
	EVENT_SASL_FAIL, /* failed SMTP AUTH (Postfix SASL) */
	EVENT_RBL, /* rejected by a DNSBL: zone, reason */
	EVENT_BLACKLISTED, /* rejected by popauth's own blacklist: a repeat */
	EVENT_SENDER_FORGERY, /* 5xx 5.7.x Sender address rejected */
	EVENT_RECIPIENT_FORGERY, /* 5xx 5.7.x Recipient address rejected */
	EVENT_HELO_FORGERY, /* 5xx 5.7.x Helo command rejected */
	EVENT_UNKNOWN_RECIPIENT, /* User unknown in ... table: fishing */
	EVENT_RELAY_DENIED, /* Relay access denied */
	EVENT_DOMAIN_NOT_FOUND, /* Sender address rejected: Domain not found */
	EVENT_CONTENT_REJECT, /* header_checks / body_checks reject */
	EVENT_REJECT, /* any other reject: logged, never counted */
	EVENT__COUNT
};

enum event_proto {
	PROTO_UNKNOWN = 0,
	PROTO_POP3,
	PROTO_IMAP,
};

struct event {
	enum event_kind kind;
	const char *recog; /* name of the recogniser that matched (static) */
	int64_t time; /* the line's own timestamp, epoch seconds */
	struct ipaddr ip; /* client address as the server logged it */
	enum event_proto proto;
	struct span user; /* login name as logged (SASL: sasl_username) */
	struct span domain; /* virtual domain when logged apart (vm-pop3d) */
	struct span host; /* client host name, when the server logs one */
	/* rejects (Postfix); all of it text a client may have chosen, except
	 * code, stage and zone */
	struct span code; /* "554 5.7.1", "450 4.1.8", old style "554" */
	struct span stage; /* CONNECT, HELO, EHLO, MAIL, RCPT, DATA, ...;
	                     * "header" or "body" for EVENT_CONTENT_REJECT */
	struct span qid; /* queue id, or "NOQUEUE" */
	struct span helo; /* helo=<...> */
	struct span from; /* from=<...> (may be empty: the null sender) */
	struct span to; /* to=<...>, or the recipient the reply names */
	struct span addr; /* the address (or HELO name) the reply names */
	struct span zone; /* EVENT_RBL: the DNSBL zone; EVENT_BLACKLISTED:
	                     * the authority the reply names */
	struct span reason; /* the reply text after the fixed part (the
	                     * DNSBL's TXT, the access table's text, ...) */
	struct span detail; /* EVENT_CONTENT_REJECT: the header or body
	                     * text that matched; EVENT_REJECT: the reply */
	bool has_from; /* from=<...> was logged (from may be empty) */
};

/* event_kind_name - "login", ... (stable: used in output and config) */
const char *event_kind_name(enum event_kind kind);
/* event_kind_parse - inverse of event_kind_name; EVENT_NONE if unknown */
enum event_kind event_kind_parse(const char *name);
const char *event_proto_name(enum event_proto proto);

/*
 * event_format - one line for `popauth test', the corpus tests and debug
 * logs: "login recog=dovecot proto=pop3 ip=192.0.2.1 user=alice".  Only
 * fields that are set appear, in a fixed order; values are escaped
 * (non-printable bytes, backslash and blank as \xNN) so that the output
 * splits on blanks.  The time is not included.
 */
void event_format(const struct event *ev, struct sbuf *out);

#endif
