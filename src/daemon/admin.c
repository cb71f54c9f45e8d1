/*
 * admin - list blacklist, list bans, show, forget, ban, unban.
 *
 * DESCRIPTION
 *	Reading commands open the state read-only (SQLite in WAL mode lets
 *	them read while the daemon writes).  forget, ban and unban change
 *	the state: while the daemon runs they go through its control socket
 *	and run there, on its live state (admin_change); without it they
 *	take the state directory's lock like the daemon, and rewrite the
 *	maps and put what they did in the firewall before they return
 *	(admin_change_offline).
 *
 * SECURITY
 *	Stored text (host names, reasons, user names, addresses) came from
 *	log lines: it is printed escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/numparse.h"
#include "../lib/timefmt.h"
#include "admin.h"

struct store *
admin_load(const struct config *cfg, struct policy *pol)
{
	struct policy_cfg pc = app_policy_cfg(cfg);
	struct store *st;
	char *err = NULL;

	policy_init(pol, &pc);
	if ((st = store_open(cfg->state_directory, false, true, &err)) ==
	    NULL) {
		if (strstr(err, "does not exist") == NULL)
			msg_fatal("%s", err);
		free(err);
		return NULL;
	}
	if (persist_load(st, pol) < 0)
		msg_fatal("cannot read %s", store_path(st));
	return st;
}

static const char *
when(int64_t t)
{
	return t > 0 ? time_str(t) : "-";
}

/* admin_print_relays - the relay leases (all: ended ones too) */
static void
admin_print_relays(const struct policy *pol, bool all, bool header, FILE *out)
{
	int64_t now = (int64_t)time(NULL);
	size_t n;
	const struct relay_ip **v = relay_sorted(&pol->relay, &n);

	if (header)
		fprintf(out, "%-39s %-19s %-19s %-19s %6s %s\n", "# IP",
		    "LEASE UNTIL", "FIRST LOGIN", "LAST LOGIN", "LOGINS",
		    "USER");
	for (size_t i = 0; i < n; i++) {
		if (!all && v[i]->end.key <= now)
			continue;
		for (uint32_t u = 0; u < v[i]->nusers; u++) {
			const struct relay_user *ru = &v[i]->users[u];
			fprintf(out, "%-39s %-19s %-19s %-19s %6u %s\n",
			    ipaddr_str(&v[i]->ip), time_str(v[i]->end.key),
			    time_str(ru->first), time_str(ru->last), ru->count,
			    escs(ru->name));
		}
	}
	free((void *)v);
}

/* admin_print_blacklist - the blacklist (all: records past their expiry) */
static void
admin_print_blacklist(
    const struct policy *pol, bool all, bool header, FILE *out)
{
	int64_t now = (int64_t)time(NULL);
	size_t n;
	struct bl_rec **v = bl_sorted(&pol->bl, &n);

	if (header)
		fprintf(out, "%-39s %-19s %-19s %-19s %6s %6s %-18s %s\n",
		    "# IP", "BANNED UNTIL", "FIRST HIT", "LAST HIT", "PERIOD",
		    "TOTAL", "ORIGIN", "AUTHORITY");
	for (size_t i = 0; i < n; i++) {
		const struct bl_rec *r = v[i];
		if (!all && bl_expires(&pol->bl, r) <= now)
			continue;
		fprintf(out, "%-39s %-19s %-19s %-19s %6u %6u %-18s %s\n",
		    ipaddr_str(&r->ip),
		    bl_banned(r, now) ? time_str(r->ban_end) : "-",
		    time_str(r->first), time_str(r->last), r->period, r->total,
		    bl_origin_name(r->origin), escs(r->authority));
	}
	free(v);
}

/* ip_arg - a command's IP operand; false with a word on err if it is
 * none */
static bool
ip_arg(const char *s, struct ipaddr *ip, FILE *err)
{
	if (ipaddr_parse(ip, s, strlen(s)))
		return true;
	fprintf(err, "popauth: \"%s\" is not an IP address\n", escs(s));
	return false;
}

void
admin_print_show(const struct policy *p, const struct ipaddr *ipp, FILE *out)
{
	const struct ipaddr ip = *ipp;
	int64_t now = (int64_t)time(NULL);
	const struct relay_ip *lease;
	const struct bl_rec *rec;
	const struct fish_rec *fish;
	const struct af_rec *af;
	const char *why;
	char d[64];

	fprintf(out, "%s\n", ipaddr_str(&ip));
	if ((why = policy_protected(p, &ip)) != NULL &&
	    strcmp(why, "relay lease") != 0)
		fprintf(out, "  never blacklisted: %s\n", why);
	if ((lease = relay_get(&p->relay, &ip)) != NULL) {
		fprintf(out, "  relay lease until %s%s\n",
		    time_str(lease->end.key),
		    lease->end.key <= now ? " (ended)" : "");
		for (uint32_t i = 0; i < lease->nusers; i++)
			fprintf(out,
			    "    user %s: first login %s, last %s, %u "
			    "login(s)\n",
			    escs(lease->users[i].name),
			    time_str(lease->users[i].first),
			    time_str(lease->users[i].last),
			    lease->users[i].count);
	} else {
		fprintf(out, "  no relay lease\n");
	}
	if ((rec = bl_get(&p->bl, &ip)) != NULL) {
		fprintf(out, "  blacklisted by %s for %s: %s\n",
		    escs(rec->authority), bl_origin_name(rec->origin),
		    escs(rec->reason));
		fprintf(
		    out, "    host %s\n", *rec->host ? escs(rec->host) : "-");
		fprintf(out, "    first hit %s, last hit %s\n",
		    time_str(rec->first), time_str(rec->last));
		fprintf(out,
		    "    hits: %u in the current period, %u in all; rate "
		    "%.6f/s\n",
		    rec->period, rec->total, rec->rate);
		if (bl_banned(rec, now))
			fprintf(out, "    banned until %s\n",
			    time_str(rec->ban_end));
		else
			fprintf(out, "    not banned%s%s\n",
			    rec->ban_end ? "; last ban ended " : "",
			    rec->ban_end ? time_str(rec->ban_end) : "");
		fprintf(out, "    record expires %s\n",
		    time_str(bl_expires(&p->bl, rec)));
	} else {
		fprintf(out, "  not blacklisted\n");
	}
	if ((fish = fish_get(&p->fish, &ip)) != NULL) {
		fprintf(out,
		    "  unknown recipients: %u pair(s), last %s, forgotten "
		    "%s\n",
		    fish->npairs, time_str(fish->t.last),
		    time_str(fish->t.last + p->cfg.fish.expire));
		for (uint32_t i = 0; i < fish->npairs; i++)
			fprintf(out,
			    "    <%s> from <%s>: %u time(s), %s .. %s\n",
			    escs(fish->pairs[i].rcpt),
			    escs(fish->pairs[i].sender), fish->pairs[i].hits,
			    time_str(fish->pairs[i].first),
			    time_str(fish->pairs[i].last));
	}
	if ((af = af_get(&p->af, &ip)) != NULL) {
		for (int k = 0; k < AF__COUNT; k++)
			if (af->count[k])
				fprintf(out,
				    "  failed %s: %u since %s (window %s)\n",
				    k == AF_SASL ? "SMTP AUTH"
						 : "POP3/IMAP logins",
				    af->count[k], when(af->first[k]),
				    dur_fmt_short(
					p->cfg.af.window, d, sizeof(d)));
	}
}

int
admin_show(const struct cli *cli, int argc, char **argv)
{
	struct config *cfg;
	struct policy pol;
	struct store *st;
	struct ipaddr ip;

	if (argc != 1) {
		fprintf(stderr, "usage: popauth show IP\n");
		return 2;
	}
	if (!ip_arg(argv[0], &ip, stderr))
		return 2;
	cfg = app_load_config(cli);
	st = admin_load(cfg, &pol);
	admin_print_show(&pol, &ip, stdout);
	policy_free(&pol);
	store_close(st);
	config_free(cfg);
	return 0;
}

/* admin_print_bans - the bans in force (all: ended ones too) */
static void
admin_print_bans(const struct policy *pol, bool all, bool header, FILE *out)
{
	int64_t now = (int64_t)time(NULL);
	size_t n;
	struct bl_rec **v = bl_sorted(&pol->bl, &n);

	if (header)
		fprintf(out, "%-39s %-19s %-19s %6s %-18s %s\n", "# IP",
		    "SINCE", "UNTIL", "HITS", "ORIGIN", "REASON");
	for (size_t i = 0; i < n; i++) {
		const struct bl_rec *r = v[i];
		if (r->ban_end == 0 || (!all && !bl_banned(r, now)))
			continue;
		fprintf(out, "%-39s %-19s %-19s %6u %-18s %s\n",
		    ipaddr_str(&r->ip), when(r->ban_start),
		    time_str(r->ban_end), r->total, bl_origin_name(r->origin),
		    escs(r->reason));
	}
	free(v);
}

bool
admin_print_list(const struct policy *pol, const char *what, bool all,
    bool header, FILE *out)
{
	if (strcmp(what, "relays") == 0)
		admin_print_relays(pol, all, header, out);
	else if (strcmp(what, "bans") == 0)
		admin_print_bans(pol, all, header, out);
	else if (strcmp(what, "blacklist") == 0)
		admin_print_blacklist(pol, all, header, out);
	else
		return false;
	return true;
}

int
admin_list(const struct config *cfg, const char *what, bool all)
{
	struct policy pol;
	struct store *st = admin_load(cfg, &pol);
	bool ok = admin_print_list(&pol, what, all, isatty(1), stdout);

	policy_free(&pol);
	store_close(st);
	return ok ? 0 : 2;
}

int
admin_status(const struct cli *cli)
{
	struct config *cfg = app_load_config(cli);
	struct policy pol;
	struct store *st = admin_load(cfg, &pol);
	int64_t now = (int64_t)time(NULL);
	char fw[700] = "", noted[32] = "";
	int64_t noted_t;

	/* a running daemon answers `status' itself (control socket) */
	printf("daemon:   not running\n");
	if (st == NULL) {
		printf("state:    %s/popauth.db does not exist yet\n",
		    cfg->state_directory);
	} else {
		printf("state:    %s: %zu relay lease(s), %zu listed, %zu "
		       "banned now\n",
		    store_path(st), relay_count(&pol.relay), bl_count(&pol.bl),
		    bl_count_banned(&pol.bl, now));
		store_meta_get(st, "firewall", fw, sizeof(fw));
		store_meta_get(st, "firewall_noted", noted, sizeof(noted));
	}
	printf("config:   firewall = %s, alert_threshold = %lld\n",
	    cfg->firewall, (long long)cfg->alert_threshold);
	if (*fw && num_parse_i64(noted, 0, INT64_MAX, &noted_t))
		printf("firewall: %s\n          (the daemon's note of %s)\n",
		    escs(fw), time_str(noted_t));
	else if (*fw)
		printf("firewall: %s\n          (the daemon's note, undated)\n",
		    escs(fw));
	else
		printf("firewall: no note from the daemon yet\n");
	policy_free(&pol);
	store_close(st);
	config_free(cfg);
	return 0;
}

/* open_for_change - the state and maps, locked, with the firewall (run
 * when app_close finishes it) */
static void
open_for_change(struct app *app, const struct cli *cli, int64_t now)
{
	struct config *cfg = app_load_config(cli);
	char *err = NULL;

	memset(app, 0, sizeof(*app));
	app_open(app, cli, cfg, now);
	if ((app->fw = app_firewall(app, cfg, &err)) == NULL)
		msg_fatal("%s", err);
}

/* ---- the commands that change the state: here, or in the daemon ---- */

/* check_args - 0 when argv fits cmd, else 2 with the reason on err */
static int
check_args(const char *cmd, int argc, char **argv, FILE *err)
{
	struct ipaddr ip;
	int64_t secs;

	if (strcmp(cmd, "ban") == 0) {
		if (argc < 1 || argc > 2) {
			fprintf(err, "usage: popauth ban IP [DURATION]\n");
			return 2;
		}
		if (!ip_arg(argv[0], &ip, err))
			return 2;
		if (argc == 2 && (!dur_parse(argv[1], &secs) || secs <= 0)) {
			fprintf(err,
			    "popauth: \"%s\" is not a duration (30m, 1d, 1w, "
			    "...)\n",
			    escs(argv[1]));
			return 2;
		}
		return 0;
	}
	if (argc < 1) {
		fprintf(err, "usage: popauth %s IP...\n", cmd);
		return 2;
	}
	for (int i = 0; i < argc; i++)
		if (!ip_arg(argv[i], &ip, err))
			return 2;
	return 0;
}

static int
do_ban(
    struct app *app, char **argv, int argc, int64_t now, FILE *out, FILE *err)
{
	struct ipaddr ip;
	int64_t secs = app->cfg->nullroute_total_ban, end;
	enum msg_level saved = app->act.min_level;

	ipaddr_parse(&ip, argv[0], strlen(argv[0]));
	if (argc == 2)
		dur_parse(argv[1], &secs);
	/* warnings (a protected IP) and errors go to the admin too: kept
	 * even when the log shows less; what it shows (info: "banned
	 * until") is kept as well */
	if (saved > MSG_WARN)
		app->act.min_level = MSG_WARN;
	end = policy_ban(&app->pol, &ip, now + secs, now, &app->act);
	app->act.min_level = saved;
	for (size_t i = 0; i < app->act.n; i++)
		if (app->act.v[i].kind == ACT_LOG &&
		    app->act.v[i].level >= MSG_WARN)
			fprintf(err, "popauth: %s\n", app->act.v[i].text);
	app_apply(app);
	fprintf(out, "%s banned until %s\n", ipaddr_str(&ip), time_str(end));
	if (end > now + secs)
		fprintf(out, "(a longer ban was running already: it stays)\n");
	return 0;
}

static int
do_unban(struct app *app, char **argv, int argc, int64_t now, FILE *out)
{
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		struct ipaddr ip;
		ipaddr_parse(&ip, argv[i], strlen(argv[i]));
		if (policy_unban(&app->pol, &ip, now, &app->act)) {
			fprintf(out,
			    "unbanned %s (still listed: popauth forget %s "
			    "drops that)\n",
			    ipaddr_str(&ip), ipaddr_str(&ip));
		} else {
			fprintf(out, "%s: not banned\n", ipaddr_str(&ip));
			rc = 1;
		}
		app_apply(app);
	}
	return rc;
}

static int
do_forget(struct app *app, char **argv, int argc, FILE *out)
{
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		struct ipaddr ip;
		ipaddr_parse(&ip, argv[i], strlen(argv[i]));
		if (policy_forget(&app->pol, &ip, &app->act)) {
			fprintf(out, "forgot %s\n", ipaddr_str(&ip));
		} else {
			fprintf(out, "%s: nothing known\n", ipaddr_str(&ip));
			rc = 1;
		}
		app_apply(app); /* a dropped listing touches the map */
	}
	return rc;
}

/* run_change - run cmd, its arguments checked (check_args) */
static int
run_change(struct app *app, const char *cmd, int argc, char **argv, FILE *out,
    FILE *err)
{
	int64_t now = (int64_t)time(NULL);

	if (strcmp(cmd, "ban") == 0)
		return do_ban(app, argv, argc, now, out, err);
	if (strcmp(cmd, "unban") == 0)
		return do_unban(app, argv, argc, now, out);
	return do_forget(app, argv, argc, out);
}

int
admin_change(struct app *app, const char *cmd, int argc, char **argv, FILE *out,
    FILE *err)
{
	int rc = check_args(cmd, argc, argv, err);

	return rc != 0 ? rc : run_change(app, cmd, argc, argv, out, err);
}

int
admin_change_offline(
    const struct cli *cli, const char *cmd, int argc, char **argv)
{
	struct app app;
	int rc = check_args(cmd, argc, argv, stderr);

	if (rc != 0)
		return rc;
	open_for_change(&app, cli, (int64_t)time(NULL));
	rc = run_change(&app, cmd, argc, argv, stdout, stderr);
	app_close(&app);
	return rc;
}
