/*
 * policy - the engine: (state, event, time) -> actions, with no I/O.
 *
 * DESCRIPTION
 *	Routes each event to the module that owns its rules (relay leases
 *	for now) after applying what the configuration says counts.
 *
 * SECURITY
 *	Events carry attacker-influenced text (user names); it is copied,
 *	escaped in messages, and never interpreted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "policy.h"

void
policy_init(struct policy *p, const struct policy_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	relay_init(&p->relay, cfg->relay_lease);
}

void
policy_free(struct policy *p)
{
	relay_free(&p->relay);
}

void
policy_configure(struct policy *p, const struct policy_cfg *cfg)
{
	if (cfg->relay_lease != p->cfg.relay_lease)
		relay_set_lease(&p->relay, cfg->relay_lease);
	p->cfg = *cfg;
}

void
policy_tick(struct policy *p, int64_t now, struct actions *out)
{
	relay_expire(&p->relay, now, out);
}

int64_t
policy_next_deadline(const struct policy *p)
{
	return relay_next_expiry(&p->relay);
}

/* login - a successful POP3/IMAP login */
static void
login(
    struct policy *p, const struct event *ev, int64_t now, struct actions *out)
{
	char how[64];
	char *user;

	if (ev->proto != PROTO_UNKNOWN &&
	    !(p->cfg.login_protos & POLICY_PROTO(ev->proto))) {
		p->st.ignored++;
		if (actions_want(out, MSG_DEBUG))
			actions_log(out, MSG_DEBUG,
			    "%s login from %s not counted (login_protocols)",
			    event_proto_name(ev->proto), ipaddr_str(&ev->ip));
		return;
	}
	/* vm-pop3d logs the virtual domain apart: the user is user@domain */
	if (ev->domain.n) {
		user = xmalloc(ev->user.n + ev->domain.n + 2);
		memcpy(user, ev->user.p, ev->user.n);
		user[ev->user.n] = '@';
		memcpy(user + ev->user.n + 1, ev->domain.p, ev->domain.n);
		user[ev->user.n + ev->domain.n + 1] = 0;
	} else {
		user = xstrndup(ev->user.p ? ev->user.p : "", ev->user.n);
	}
	how[0] = 0;
	if (actions_want(out, MSG_INFO))
		snprintf(how, sizeof(how), "%s via %s",
		    ev->proto == PROTO_UNKNOWN ? "login"
					       : event_proto_name(ev->proto),
		    ev->recog ? ev->recog : "?");
	relay_login(&p->relay, &ev->ip, user, how, ev->time, now, out);
	free(user);
}

void
policy_event(
    struct policy *p, const struct event *ev, int64_t now, struct actions *out)
{
	policy_tick(p, now, out);
	if ((unsigned)ev->kind < EVENT__COUNT)
		p->st.events[ev->kind]++;
	switch (ev->kind) {
	case EVENT_LOGIN:
		login(p, ev, now, out);
		break;
	default:
		break;
	}
}
