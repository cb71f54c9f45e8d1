/*
 * policy - the engine: (state, event, time) -> actions, with no I/O.
 *
 * DESCRIPTION
 *	Routes each event to the module that owns its rules - relay leases
 *	(relay.c), the blacklist cache (blacklist.c), address fishing
 *	(fishing.c), failed authentications (authfail.c) - and writes the
 *	summary lines an admin reads.  The rules that join them live here:
 *
 *	- A hit on a listed IP is a repeat; on an unlisted one it lists it.
 *	- Never listed: 127.0.0.1 and ::1, trusted_networks, an IP with a
 *	  live relay lease (someone logged in from it); the log says so.
 *	- A successful login clears popauth's own forgery or
 *	  failed-authentication listing of that IP made within login_grace
 *	  (users who send before they fetch); DNSBL listings stay.
 *	- A fisher is banned at once for nullroute_fish_ban.
 *
 * SECURITY
 *	Events carry client-chosen text (addresses, HELO names, user
 *	names); it is copied as opaque bytes, escaped in messages, and
 *	never decides which IP is acted on: that is the IP the server
 *	logged, parsed by the recogniser.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/numparse.h"
#include "../lib/sbuf.h"
#include "../lib/timefmt.h"
#include "policy.h"

/* own_cfg - take private copies of what the config owns */
static void
own_cfg(struct policy *p, const struct policy_cfg *cfg)
{
	free((char *)p->cfg.myhostname);
	free((struct cidr *)p->cfg.trusted);
	p->cfg = *cfg;
	p->cfg.myhostname = xstrdup(cfg->myhostname ? cfg->myhostname : "");
	p->cfg.trusted = cfg->ntrusted
	    ? xmemdup(cfg->trusted, cfg->ntrusted * sizeof(struct cidr))
	    : NULL;
	dur_fmt(cfg->af.window, p->af_window, sizeof(p->af_window));
}

void
policy_init(struct policy *p, const struct policy_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	own_cfg(p, cfg);
	relay_init(&p->relay, cfg->relay_lease);
	bl_init(&p->bl, &cfg->bl);
	fish_init(&p->fish, &cfg->fish);
	af_init(&p->af, &cfg->af);
}

void
policy_free(struct policy *p)
{
	relay_free(&p->relay);
	bl_free(&p->bl);
	fish_free(&p->fish);
	af_free(&p->af);
	free((char *)p->cfg.myhostname);
	free((struct cidr *)p->cfg.trusted);
}

void
policy_configure(struct policy *p, const struct policy_cfg *cfg)
{
	if (cfg->relay_lease != p->cfg.relay_lease)
		relay_set_lease(&p->relay, cfg->relay_lease);
	bl_configure(&p->bl, &cfg->bl);
	fish_configure(&p->fish, &cfg->fish);
	af_configure(&p->af, &cfg->af);
	own_cfg(p, cfg);
}

void
policy_tick(struct policy *p, int64_t now, struct actions *out)
{
	relay_expire(&p->relay, now, out);
	bl_expire(&p->bl, now, out);
	fish_expire(&p->fish, now, out);
	af_expire(&p->af, now, out);
}

int64_t
policy_next_deadline(const struct policy *p)
{
	int64_t t = relay_next_expiry(&p->relay), u;

	if ((u = bl_next_expiry(&p->bl)) < t)
		t = u;
	if ((u = fish_next_expiry(&p->fish)) < t)
		t = u;
	if ((u = af_next_expiry(&p->af)) < t)
		t = u;
	return t;
}

const char *
policy_protected(const struct policy *p, const struct ipaddr *ip)
{
	/* the host itself; the rest of 127.0.0.0/8 is for trusted_networks
	 * to cover (Postfix's default mynetworks does) */
	if (ipaddr_is_localhost(ip))
		return "loopback";
	for (size_t i = 0; i < p->cfg.ntrusted; i++)
		if (cidr_match(&p->cfg.trusted[i], ip))
			return "trusted network";
	if (relay_get(&p->relay, ip) != NULL)
		return "relay lease";
	return NULL;
}

/* str - a span as a C string in a small rotating buffer (for the
 * records: addresses and names are short; longer ones are cut) */
static const char *
str(struct span s)
{
	static char bufs[6][512];
	static unsigned n;
	char *b = bufs[n++ % 6];
	size_t len = s.n < 511 ? s.n : 511;

	if (len)
		memcpy(b, s.p, len);
	b[len] = 0;
	/* a NUL inside would cut the string short: make it visible */
	for (size_t i = 0; i < len; i++)
		if (b[i] == 0)
			b[i] = '?';
	return b;
}

/* who - "192.0.2.1 [host.example]" for messages */
static const char *
who(const struct event *ev)
{
	static char buf[2][700];
	static unsigned n;
	char *b = buf[n++ % 2];

	if (ev->host.n)
		snprintf(b, 700, "%s [%s]", ipaddr_str(&ev->ip), esc(ev->host));
	else
		snprintf(b, 700, "%s", ipaddr_str(&ev->ip));
	return b;
}

/* protected - ev's IP is never blacklisted: count it, say why */
static bool protected(
    struct policy *p, const struct event *ev, struct actions *out)
{
	const char *why = policy_protected(p, &ev->ip);

	if (why == NULL)
		return false;
	p->st.protected ++;
	if (actions_want(out, MSG_INFO))
		actions_log(out, MSG_INFO,
		    "ignored %s by %s: %s, never blacklisted",
		    event_kind_name(ev->kind), who(ev), why);
	return true;
}

/*
 * hit - an event that lists an IP, or repeats on a listed one, unless the
 * IP is protected (then counted and logged as ignored: see protected).
 * ban > 0: the IP is banned at once for that long (fishers), whether it
 * was listed before or not.  The reason is formatted only for a new
 * record: most hits are repeats.
 */
static void hit(struct policy *p, const struct event *ev, enum bl_origin origin,
    const char *authority, int64_t ban, struct actions *out, const char *fmt,
    ...) PRINTF_LIKE(7, 8);

static void
hit(struct policy *p, const struct event *ev, enum bl_origin origin,
    const char *authority, int64_t ban, struct actions *out, const char *fmt,
    ...)
{
	struct bl_rec *rec;

	if (protected(p, ev, out))
		return;
	if ((rec = bl_get(&p->bl, &ev->ip)) == NULL) {
		char reason[1200];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(reason, sizeof(reason), fmt, ap);
		va_end(ap);
		bl_add(&p->bl, &ev->ip, origin, authority, str(ev->host),
		    reason, ev->time, ban, out);
		return;
	}
	bl_repeat(&p->bl, rec, str(ev->host), ev->time,
	    ban > 0 ? ev->time + ban : 0, out);
}

/* login - a successful POP3/IMAP login */
static void
login(
    struct policy *p, const struct event *ev, int64_t now, struct actions *out)
{
	char how[64];
	char *user;
	struct bl_rec *rec;

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
	/* users who send before they fetch: undo what their client's first
	 * attempts earned, if it is recent and was our own judgement */
	rec = bl_get(&p->bl, &ev->ip);
	if (rec != NULL && rec->origin != BL_DNSBL &&
	    rec->origin != BL_FISHING && rec->origin != BL_IMPORT &&
	    ev->time - rec->first <= p->cfg.login_grace) {
		char d[64];
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "%s logged in from %s %s after it was blacklisted "
			    "for %s: blacklisting%s cleared",
			    escs(user), ipaddr_str(&ev->ip),
			    dur_fmt(ev->time - rec->first, d, sizeof(d)),
			    bl_origin_name(rec->origin),
			    bl_banned(rec, now) ? " and ban" : "");
		bl_remove(&p->bl, rec, out);
	}
	af_forget(&p->af, &ev->ip, out);
	relay_login(&p->relay, &ev->ip, user, how, ev->time, now, out);
	free(user);
}

/* authfail - a failed login or SMTP AUTH */
static void
authfail(struct policy *p, const struct event *ev, enum af_kind kind,
    struct actions *out)
{
	const char *what = kind == AF_SASL ? "SMTP AUTH" : "POP3/IMAP login";
	uint32_t n, limit = p->cfg.af.threshold[kind];

	if (limit == 0) {
		/* the admin does not count this kind at all */
		p->st.ignored++;
		return;
	}
	/* a protected IP: e.g. a user with a lease mistyping on another
	 * device.  Checked here, before its failures are counted, not only
	 * in hit */
	if (protected(p, ev, out))
		return;
	n = af_event(&p->af, &ev->ip, kind, ev->time, out);
	if (actions_want(out, MSG_DEBUG))
		actions_log(out, MSG_DEBUG, "failed %s from %s as %s (%u)",
		    what, who(ev), esc(ev->user), n);
	/* a listed IP: every failure is a repeat hit */
	if (n <= limit && bl_get(&p->bl, &ev->ip) == NULL)
		return;
	hit(p, ev, BL_AUTH, p->cfg.myhostname, 0, out,
	    "%u failed %s attempts in %s", n, what, p->af_window);
}

/* fishing - an unknown recipient */
static void
unknown_recipient(struct policy *p, const struct event *ev, struct actions *out)
{
	struct span to = ev->addr.n ? ev->addr : ev->to;
	uint32_t hits, npairs;
	char rcpt[512];

	if (actions_want(out, MSG_INFO))
		actions_log(out, MSG_INFO,
		    "local address <%s> not found in mail from <%s> using %s "
		    "(helo=%s)",
		    esc(to), esc(ev->from), who(ev), esc(ev->helo));
	/* before its recipients are counted, not only in hit */
	if (protected(p, ev, out))
		return;
	/* str's buffers rotate: the recipient is kept for the reason */
	const char *t = str(to);
	memcpy(rcpt, t, strlen(t) + 1);
	if (!fish_event(&p->fish, &ev->ip, rcpt, str(ev->from), ev->time, &hits,
		&npairs, out))
		return;
	hit(p, ev, BL_FISHING, p->cfg.myhostname, p->cfg.fish_ban, out,
	    "address fishing: <%s> does not exist here", rcpt);
}

/* forgery - sender, recipient or HELO forgery */
static void
forgery(struct policy *p, const struct event *ev, struct actions *out)
{
	struct span rcpt = ev->addr.n ? ev->addr : ev->to;
	struct span helo = ev->addr.n ? ev->addr : ev->helo;

	switch (ev->kind) {
	case EVENT_SENDER_FORGERY:
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "%s (helo=%s) claimed <%s> as its own sender",
			    who(ev), esc(ev->helo), esc(ev->addr));
		hit(p, ev, BL_SENDER, p->cfg.myhostname, 0, out,
		    "sender forgery: <%s> may not be used from %s",
		    str(ev->addr),
		    ev->host.n ? str(ev->host) : ipaddr_str(&ev->ip));
		break;
	case EVENT_RECIPIENT_FORGERY:
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO,
			    "%s (helo=%s) tried to reach <%s> from <%s>",
			    who(ev), esc(ev->helo), esc(rcpt), esc(ev->from));
		hit(p, ev, BL_RECIPIENT, p->cfg.myhostname, 0, out,
		    "recipient forgery: <%s> may not write to <%s>",
		    str(ev->from), str(rcpt));
		break;
	default:
		if (actions_want(out, MSG_INFO))
			actions_log(out, MSG_INFO, "%s claimed to be %s",
			    who(ev), esc(helo));
		hit(p, ev, BL_HELO, p->cfg.myhostname, 0, out,
		    "HELO forgery: this client is not %s", str(helo));
		break;
	}
}

/* summary - the rejects that are only logged */
static void
summary(struct policy *p, const struct event *ev, struct actions *out)
{
	(void)p;
	if (!actions_want(out, ev->kind == EVENT_REJECT ? MSG_DEBUG : MSG_INFO))
		return;
	switch (ev->kind) {
	case EVENT_RELAY_DENIED:
		actions_log(out, MSG_INFO,
		    "relay access denied: from=<%s> to=<%s> using %s (helo=%s)",
		    esc(ev->from), esc(ev->addr.n ? ev->addr : ev->to), who(ev),
		    esc(ev->helo));
		break;
	case EVENT_DOMAIN_NOT_FOUND:
		actions_log(out, MSG_INFO,
		    "sender domain not found (forged?): from=<%s> using %s "
		    "(helo=%s)",
		    esc(ev->addr.n ? ev->addr : ev->from), who(ev),
		    esc(ev->helo));
		break;
	case EVENT_CONTENT_REJECT:
		actions_log(out, MSG_INFO,
		    "%s check rejected mail from=<%s> to=<%s> from %s "
		    "(helo=%s): "
		    "%s; on \"%s\"",
		    esc(ev->stage), esc(ev->from), esc(ev->to), who(ev),
		    esc(ev->helo), esc(ev->reason), esc(ev->detail));
		break;
	default:
		actions_log(out, MSG_DEBUG, "reject (not counted) of %s: %s",
		    who(ev), esc(ev->detail.n ? ev->detail : ev->reason));
		break;
	}
}

/*
 * unknown_hit - the blacklist map refused an IP that has no record here:
 * a map written by another state file, or an old log replayed into a
 * fresh one.  Nothing to act on; say so, but at most once per hour of
 * log time, since a replay can hold thousands of them.
 */
static void
unknown_hit(
    struct policy *p, const struct event *ev, int64_t now, struct actions *out)
{
	p->st.unknown++;
	if (p->st.unknown > 1 && now - p->unknown_warned < 3600) {
		p->unknown_quiet++;
		return;
	}
	if (actions_want(out, MSG_WARN)) {
		if (p->unknown_quiet)
			actions_log(out, MSG_WARN,
			    "%s was refused by the blacklist map but has no "
			    "record here (a stale map?); %llu more such "
			    "refusals since the last such warning",
			    who(ev), (unsigned long long)p->unknown_quiet);
		else
			actions_log(out, MSG_WARN,
			    "%s was refused by the blacklist map but has no "
			    "record here (a stale map?)",
			    who(ev));
	}
	p->unknown_warned = now;
	p->unknown_quiet = 0;
}

void
policy_event(
    struct policy *p, const struct event *ev, int64_t now, struct actions *out)
{
	struct bl_rec *rec;

	policy_tick(p, now, out);
	if ((unsigned)ev->kind < EVENT__COUNT)
		p->st.events[ev->kind]++;
	switch (ev->kind) {
	case EVENT_LOGIN:
		login(p, ev, now, out);
		break;
	case EVENT_LOGIN_FAIL:
		authfail(p, ev, AF_LOGIN, out);
		break;
	case EVENT_SASL_FAIL:
		authfail(p, ev, AF_SASL, out);
		break;
	case EVENT_RBL:
		hit(p, ev, BL_DNSBL, ev->zone.n ? str(ev->zone) : "a DNSBL", 0,
		    out, "%s", str(ev->reason));
		break;
	case EVENT_BLACKLISTED:
		if ((rec = bl_get(&p->bl, &ev->ip)) == NULL)
			unknown_hit(p, ev, now, out);
		else if (!protected(p, ev, out))
			bl_repeat(&p->bl, rec, str(ev->host), ev->time, 0, out);
		break;
	case EVENT_SENDER_FORGERY:
	case EVENT_RECIPIENT_FORGERY:
	case EVENT_HELO_FORGERY:
		forgery(p, ev, out);
		break;
	case EVENT_UNKNOWN_RECIPIENT:
		unknown_recipient(p, ev, out);
		break;
	case EVENT_RELAY_DENIED:
	case EVENT_DOMAIN_NOT_FOUND:
	case EVENT_CONTENT_REJECT:
	case EVENT_REJECT:
		summary(p, ev, out);
		break;
	default:
		break;
	}
}

int64_t
policy_ban(struct policy *p, const struct ipaddr *ip, int64_t until,
    int64_t now, struct actions *out)
{
	struct bl_rec *rec = bl_get(&p->bl, ip);
	const char *why = policy_protected(p, ip);

	if (why != NULL)
		actions_log(out, MSG_WARN,
		    "%s is banned by the admin although it is protected (%s)",
		    ipaddr_str(ip), why);
	if (rec == NULL) {
		rec = bl_add(&p->bl, ip, BL_MANUAL, p->cfg.myhostname, "",
		    "banned by the admin", now, until - now, out);
		return rec->ban_end;
	}
	bl_ban(&p->bl, rec, now, until, "banned by the admin", out);
	return rec->ban_end;
}

bool
policy_unban(
    struct policy *p, const struct ipaddr *ip, int64_t now, struct actions *out)
{
	struct bl_rec *rec = bl_get(&p->bl, ip);

	if (rec == NULL || !bl_banned(rec, now))
		return false;
	bl_unban(&p->bl, rec, now, out);
	return true;
}

bool
policy_forget(struct policy *p, const struct ipaddr *ip, struct actions *out)
{
	struct bl_rec *rec = bl_get(&p->bl, ip);
	bool any = rec != NULL || fish_get(&p->fish, ip) != NULL ||
	    af_get(&p->af, ip) != NULL;

	if (rec != NULL)
		bl_remove(&p->bl, rec, out);
	fish_forget(&p->fish, ip, out);
	af_forget(&p->af, ip, out);
	return any;
}
