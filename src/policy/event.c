/*
 * event - names of event kinds and protocols.
 */
#include <string.h>

#include "../lib/sbuf.h"

#include "event.h"

static const char *const kind_names[EVENT__COUNT] = {
    [EVENT_NONE] = "none",
    [EVENT_LOGIN] = "login",
    [EVENT_LOGIN_FAIL] = "login-fail",
    [EVENT_SASL_FAIL] = "sasl-fail",
    [EVENT_RBL] = "rbl",
    [EVENT_BLACKLISTED] = "blacklisted",
    [EVENT_SENDER_FORGERY] = "sender-forgery",
    [EVENT_RECIPIENT_FORGERY] = "recipient-forgery",
    [EVENT_HELO_FORGERY] = "helo-forgery",
    [EVENT_UNKNOWN_RECIPIENT] = "unknown-recipient",
    [EVENT_RELAY_DENIED] = "relay-denied",
    [EVENT_DOMAIN_NOT_FOUND] = "domain-not-found",
    [EVENT_CONTENT_REJECT] = "content-reject",
    [EVENT_REJECT] = "reject",
};

const char *
event_kind_name(enum event_kind kind)
{
	if ((unsigned)kind >= EVENT__COUNT || kind_names[kind] == NULL)
		return "?";
	return kind_names[kind];
}

enum event_kind
event_kind_parse(const char *name)
{
	for (int k = EVENT_NONE + 1; k < EVENT__COUNT; k++)
		if (kind_names[k] && strcmp(kind_names[k], name) == 0)
			return (enum event_kind)k;
	return EVENT_NONE;
}

const char *
event_proto_name(enum event_proto proto)
{
	switch (proto) {
	case PROTO_POP3:
		return "pop3";
	case PROTO_IMAP:
		return "imap";
	default:
		return "unknown";
	}
}

/* add_field - " name=value" with value escaped for blank splitting */
static void
add_field(struct sbuf *out, const char *name, struct span v)
{
	static const char hex[] = "0123456789abcdef";

	if (v.n == 0)
		return;
	sbuf_printf(out, " %s=", name);
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == ' ') {
			sbuf_add(out, "\\x20", 4);
		} else if (c == '\\' || c < 0x20 || c >= 0x7f) {
			char x[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			sbuf_add(out, x, 4);
		} else {
			sbuf_addc(out, (char)c);
		}
	}
}

void
event_format(const struct event *ev, struct sbuf *out)
{
	sbuf_adds(out, event_kind_name(ev->kind));
	if (ev->recog)
		sbuf_printf(out, " recog=%s", ev->recog);
	if (ev->proto != PROTO_UNKNOWN)
		sbuf_printf(out, " proto=%s", event_proto_name(ev->proto));
	if (ev->ip.af)
		sbuf_printf(out, " ip=%s", ipaddr_str(&ev->ip));
	add_field(out, "user", ev->user);
	add_field(out, "domain", ev->domain);
	add_field(out, "host", ev->host);
	add_field(out, "code", ev->code);
	add_field(out, "stage", ev->stage);
	add_field(out, "qid", ev->qid);
	add_field(out, "helo", ev->helo);
	if (ev->has_from)
		sbuf_adds(out, ev->from.n ? "" : " from=<>");
	add_field(out, "from", ev->from);
	add_field(out, "to", ev->to);
	add_field(out, "addr", ev->addr);
	add_field(out, "zone", ev->zone);
	add_field(out, "reason", ev->reason);
	add_field(out, "detail", ev->detail);
}
