/*
 * alertmail - the admin's mail about a ban (see alertmail.h).
 *
 * DESCRIPTION
 *	The message goes to "sendmail -i -- TO" on standard input: -i so
 *	that a line of a single dot does not end it early, "--" so that the
 *	recipient is never read as an option.  Nothing is written to a
 *	spool file of ours.  Up to MAX_PENDING mails may be on their way at
 *	once, each waited for on the loop; more wait in a queue (at most
 *	MAX_QUEUED: a storm of bans must not stall the loop nor grow
 *	without end) and go as the others end.  A failure is logged with
 *	what sendmail said.
 *
 * SECURITY
 *	The host name is the client's own text (from the log): it appears
 *	only in the body, escaped to printable ASCII (\xNN), so it cannot
 *	add a header or end the headers.  The headers hold only what
 *	popauth formatted (the IP, times) and the recipient from the
 *	configuration, which is checked (alertmail_to_ok).  sendmail runs
 *	from an argv, never a shell.
 *
 * DIAGNOSTICS
 *	msg_info per mail sent; msg_error with sendmail's exit status and
 *	standard error when it fails (the ban itself stands).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/spawn.h"
#include "../lib/timefmt.h"
#include "alertmail.h"

#define SENDMAIL_TIMEOUT_MS 60000
#define MAX_PENDING 16 /* sendmails running at once */
#define MAX_QUEUED 1000 /* mails waiting for one of them to end */

/* a mail on its way, or waiting to go */
struct job {
	struct alertmail *am;
	struct ipaddr ip;
	pid_t pid;
	struct sbuf msg; /* while it waits */
	struct job *next; /* in the queue */
};

struct alertmail {
	struct alertmail_opts o; /* strings are ours */
	struct loop *loop;
	struct job *jobs[MAX_PENDING];
	struct job *queue, **queue_tail;
	size_t queued;
};

bool
alertmail_to_ok(const char *to)
{
	if (to == NULL || *to == 0 || *to == '-' || strlen(to) > 254)
		return false;
	for (const char *p = to; *p; p++)
		if (*p <= ' ' || *p >= 127 || *p == '<' || *p == '>' ||
		    *p == ',' || *p == '"' || *p == '\\')
			return false;
	return true;
}

/* to_checked - alertmail_to_ok, else false and *err */
static bool
to_checked(const char *to, char **err)
{
	if (alertmail_to_ok(to))
		return true;
	*err = xstrfmt("alert_to \"%s\": one address, printable, no blank, "
		       "not starting with '-'",
	    escs(to));
	return false;
}

static void
set_opts(struct alertmail *am, const struct alertmail_opts *o)
{
	am->o = *o;
	am->o.sendmail = xstrdup(o->sendmail);
	am->o.to = xstrdup(o->to);
	am->o.myhostname = xstrdup(o->myhostname ? o->myhostname : "");
}

static void
free_opts(struct alertmail *am)
{
	free((char *)am->o.sendmail);
	free((char *)am->o.to);
	free((char *)am->o.myhostname);
}

struct alertmail *
alertmail_new(const struct alertmail_opts *o, char **err)
{
	struct alertmail *am;

	if (!to_checked(o->to, err))
		return NULL;
	am = xcalloc(1, sizeof(*am));
	am->queue_tail = &am->queue;
	set_opts(am, o);
	return am;
}

bool
alertmail_configure(
    struct alertmail *am, const struct alertmail_opts *o, char **err)
{
	if (!to_checked(o->to, err))
		return false;
	free_opts(am);
	set_opts(am, o);
	return true;
}

void
alertmail_free(struct alertmail *am)
{
	if (am == NULL)
		return;
	while (am->queue != NULL) {
		struct job *j = am->queue;
		am->queue = j->next;
		sbuf_free(&j->msg);
		free(j);
	}
	free_opts(am);
	free(am);
}

void
alertmail_attach(struct alertmail *am, struct loop *loop)
{
	am->loop = loop;
}

/* seconds_per_hit - "12.5000" seconds between hits at this rate, or "-" */
static const char *
seconds_per_hit(double rate, char *buf, size_t size)
{
	if (rate <= 0)
		return "-";
	snprintf(buf, size, "%.4f", 1.0 / rate);
	return buf;
}

void
alertmail_format(struct sbuf *out, const struct alertmail_opts *o,
    const struct alert_info *in)
{
	char ip[IPADDR_STRLEN], date[64], r1[32], r2[32];
	bool v6 = in->ip.af == 6;
	time_t now = time(NULL);
	struct tm tm;

	ipaddr_fmt(&in->ip, ip);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
	    localtime_r(&now, &tm));
	sbuf_printf(out,
	    "From: popauth on %s <%s>\n"
	    "To: <%s>\n"
	    "Subject: popauth: %s null-routed until %s\n"
	    "Date: %s\n"
	    "Auto-Submitted: auto-generated\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n",
	    o->myhostname, o->to, o->to, ip, time_str(in->ban_end), date);
	sbuf_printf(out,
	    "popauth on %s has banned %s%s%s%s until %s.\n"
	    "\n"
	    "  hits in this run:   %u, the last %lld second(s) after the one "
	    "before\n"
	    "  rate:               one hit every %s s (the limit: one every "
	    "%s s)\n"
	    "  hits in all:        %u (the limit: %u)\n"
	    "\n"
	    "It keeps coming back although it is blacklisted here.  To drop "
	    "its\n"
	    "traffic before it reaches this host, null-route it upstream, "
	    "for\n"
	    "example on the border router or firewall:\n"
	    "\n",
	    o->myhostname, ip, in->host && *in->host ? " [" : "",
	    in->host && *in->host ? escs(in->host) : "",
	    in->host && *in->host ? "]" : "", time_str(in->ban_end), in->period,
	    (long long)in->gap, seconds_per_hit(in->rate, r1, sizeof(r1)),
	    seconds_per_hit(o->freq, r2, sizeof(r2)), in->total, o->total);
	if (v6)
		sbuf_printf(out,
		    "  Cisco IOS: ipv6 access-list NULLROUTE deny ipv6 host %s "
		    "any\n"
		    "  Linux:     ip6tables -A INPUT -s %s -j DROP\n",
		    ip, ip);
	else
		sbuf_printf(out,
		    "  Cisco IOS: access-list 100 deny ip host %s any\n"
		    "  Linux:     iptables -A INPUT -s %s -j DROP\n",
		    ip, ip);
}

/* report - log how one mail went */
static void
report(const struct alertmail *am, const struct ipaddr *ip,
    const struct spawn_result *r)
{
	char why[64];

	if (spawn_ok(r)) {
		msg_info("%s has been told to null-route %s", am->o.to,
		    ipaddr_str(ip));
		return;
	}
	msg_error("alert mail to %s about %s: %s %s: %s", am->o.to,
	    ipaddr_str(ip), am->o.sendmail, spawn_describe(r, why, sizeof(why)),
	    r->err.len ? esc((struct span){r->err.s, r->err.len})
		       : "(no output)");
}

static void sent(struct spawn_result *r, void *arg);

/* start - hand j's message to sendmail on the loop, in a free slot;
 * false if there is none, or no child could be made */
static bool
start(struct alertmail *am, struct job *j)
{
	char *argv[] = {
	    (char *)am->o.sendmail, "-i", "--", (char *)am->o.to, NULL};

	for (int i = 0; i < MAX_PENDING; i++) {
		if (am->jobs[i] != NULL)
			continue;
		j->pid = spawn_async(am->loop, argv, j->msg.s, j->msg.len,
		    SENDMAIL_TIMEOUT_MS, sent, j);
		if (j->pid <= 0)
			return false;
		am->jobs[i] = j;
		sbuf_free(&j->msg); /* spawn_async took a copy */
		return true;
	}
	return false;
}

/* send_now - j's message through sendmail here and now (no loop), and
 * j gone */
static void
send_now(struct alertmail *am, struct job *j)
{
	char *argv[] = {
	    (char *)am->o.sendmail, "-i", "--", (char *)am->o.to, NULL};
	struct spawn_result r;

	spawn_sync(argv, j->msg.s, j->msg.len, SENDMAIL_TIMEOUT_MS, &r);
	report(am, &j->ip, &r);
	spawn_result_free(&r);
	sbuf_free(&j->msg);
	free(j);
}

/* sent - a mail's sendmail has ended (spawn_done_fn): the next waiting
 * one takes its slot */
static void
sent(struct spawn_result *r, void *arg)
{
	struct job *j = arg;
	struct alertmail *am = j->am;

	report(am, &j->ip, r);
	for (int i = 0; i < MAX_PENDING; i++)
		if (am->jobs[i] == j)
			am->jobs[i] = NULL;
	free(j);
	if (am->queue != NULL) {
		struct job *next = am->queue;
		if ((am->queue = next->next) == NULL)
			am->queue_tail = &am->queue;
		am->queued--;
		next->next = NULL;
		if (!start(am, next))
			send_now(am, next);
	}
}

void
alertmail_send(struct alertmail *am, const struct alert_info *info)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->am = am;
	j->ip = info->ip;
	alertmail_format(&j->msg, &am->o, info);
	if (am->loop == NULL) {
		send_now(am, j);
		return;
	}
	if (start(am, j))
		return;
	if (am->queued >= MAX_QUEUED) {
		msg_warn("alert mail about %s not sent: %d mails already wait "
			 "for sendmail",
		    ipaddr_str(&j->ip), MAX_QUEUED);
		sbuf_free(&j->msg);
		free(j);
		return;
	}
	*am->queue_tail = j;
	am->queue_tail = &j->next;
	am->queued++;
}

void
alertmail_finish(struct alertmail *am)
{
	/* the waiting ones taken first: a mail that ends must not start
	 * another on the loop now */
	struct job *q = am->queue;

	am->queue = NULL;
	am->queue_tail = &am->queue;
	am->queued = 0;
	for (int i = 0; i < MAX_PENDING; i++)
		if (am->jobs[i] != NULL)
			spawn_wait(am->jobs[i]->pid, SENDMAIL_TIMEOUT_MS);
	while (q != NULL) {
		struct job *j = q;
		q = j->next;
		send_now(am, j);
	}
}
