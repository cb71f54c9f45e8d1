/*
 * daemon - `popauth run': follow the logs and keep the maps current.
 *
 * DESCRIPTION
 *	One event loop drives everything: the log sources deliver lines,
 *	the parser turns a few of them into events, the engine decides at
 *	the wall-clock time, and the actions go to the store (committed
 *	about once a second, with every source's position) and the relay
 *	map (rebuilt by postmap in a child the loop waits for).  A timer
 *	set to the engine's next deadline ends leases on time even when
 *	no line arrives.
 *
 *	Signals: TERM, INT and QUIT end the daemon cleanly (final commit,
 *	maps written, PID file removed); HUP reloads the configuration
 *	(keeping the old one if the new one is bad) and reopens the log
 *	file and the sources.
 *
 * SECURITY
 *	Runs as the user that started it (root, for postmap into
 *	/etc/postfix); reads attacker-influenced log text only through the
 *	parser.
 *
 * DIAGNOSTICS
 *	Start, reload and stop are logged at info level.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/numparse.h"
#include "../lib/timefmt.h"
#include "../source/source.h"
#include "admin.h"
#include "control.h"
#include "daemon.h"
#include "policyd.h"

#define COMMIT_MS 1000
#define MAX_TIMER_MS 60000

struct dsource {
	struct source *src;
	char *spec;
	bool ended;
	uint64_t lines; /* delivered since start, for messages */
	struct daemon *d;
};

struct daemon {
	struct app app;
	const struct cli *cli;
	struct loop *loop;
	struct dsource **src; /* each on its own: sources keep a pointer */
	size_t nsrc;
	struct loop_timer *expiry;
	struct loop_timer *commit;
	struct loop_timer *fw_refresh;
	struct policyd *policyd; /* NULL: no policy_listen */
	struct control *control;
	int64_t started;
	bool stopping;
};

static void schedule_expiry(struct daemon *d);

static int64_t
wall_now(void)
{
	return (int64_t)time(NULL);
}

/* need_commit - arm the commit timer if it is not armed */
static void
need_commit(struct daemon *d)
{
	if (!loop_timer_pending(d->commit))
		loop_timer_start(d->commit, COMMIT_MS);
}

/* commit - save positions and changes in one transaction */
static void
commit(struct daemon *d)
{
	struct source_pos pos;

	for (size_t i = 0; i < d->nsrc; i++)
		if (d->src[i] && d->src[i]->src &&
		    source_get_pos(d->src[i]->src, &pos))
			store_pos_put(d->app.store, d->src[i]->spec, &pos);
	app_commit(&d->app);
}

static void
commit_timer(struct loop *l, void *arg)
{
	(void)l;
	commit(arg);
}

/* on_line - every line of every source comes through here */
static void
on_line(void *arg, struct source *src, const char *p, size_t n,
    const struct logline *pre)
{
	struct dsource *ds = arg;
	struct daemon *d = ds->d;
	struct event ev;
	int64_t now = wall_now();

	(void)src;
	/* RFC 3164 stamps have no year: it is the one that puts the line
	 * closest to now, so "now" must move with the daemon */
	parser_set_ref(&d->app.parser, now);
	if (parser_line(
		&d->app.parser, p, n, pre, ds->spec, ++ds->lines, &ev, NULL)) {
		policy_event(&d->app.pol, &ev, now, &d->app.act);
		app_apply(&d->app);
		schedule_expiry(d);
	}
	need_commit(d);
}

/* all_ended - every source has ended (stdin closed) */
static bool
all_ended(const struct daemon *d)
{
	for (size_t i = 0; i < d->nsrc; i++)
		if (d->src[i] && !d->src[i]->ended)
			return false;
	return true;
}

static void
on_eof(void *arg, struct source *src)
{
	struct dsource *ds = arg;

	(void)src;
	ds->ended = true;
	msg_info("%s: end of input", ds->spec);
	if (all_ended(ds->d)) {
		msg_info("every log source has ended");
		loop_stop(ds->d->loop);
	}
}

static void
expiry_timer(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	(void)l;
	policy_tick(&d->app.pol, wall_now(), &d->app.act);
	if (d->app.act.n) {
		app_apply(&d->app);
		need_commit(d);
	}
	schedule_expiry(d);
}

/* schedule_expiry - wake up at the engine's next deadline (wall clock;
 * re-checked at least every minute in case the clock was set) */
static void
schedule_expiry(struct daemon *d)
{
	int64_t next = policy_next_deadline(&d->app.pol), now = wall_now();
	uint64_t ms;

	if (next == INT64_MAX)
		ms = MAX_TIMER_MS;
	else if (next <= now)
		ms = 0;
	else if (next - now > MAX_TIMER_MS / 1000)
		ms = MAX_TIMER_MS;
	else
		ms = (uint64_t)(next - now) * 1000;
	loop_timer_start(d->expiry, ms);
}

/* fw_refresh_timer - put the bans in place again, in case someone
 * flushed popauth's table */
static void
fw_refresh_timer(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	(void)l;
	fw_resync(d->app.fw);
	loop_timer_start(
	    d->fw_refresh, (uint64_t)d->app.cfg->firewall_refresh * 1000);
}

/* note_firewall - how the firewall is doing, in the state for `popauth
 * status' (fw_run_fn; also at start) */
static void
note_firewall(void *arg, const struct fw_stats *st)
{
	struct daemon *d = arg;
	char text[600], when[32];

	(void)st;
	fw_describe(d->app.fw, text, sizeof(text));
	snprintf(when, sizeof(when), "%lld", (long long)wall_now());
	store_meta_put(d->app.store, "firewall", text);
	store_meta_put(d->app.store, "firewall_noted", when);
	need_commit(d);
}

/* start_firewall - the configured firewall, attached, with every ban in
 * force put in place; false and *err if it cannot be made */
static bool
start_firewall(struct daemon *d, const struct config *cfg, char **err)
{
	struct firewall *fw = app_firewall(&d->app, cfg, err);

	if (fw == NULL)
		return false;
	d->app.fw = fw;
	fw_on_run(fw, note_firewall, d);
	fw_attach(fw, d->loop);
	fw_resync(fw);
	note_firewall(d, NULL);
	loop_timer_start(d->fw_refresh, (uint64_t)cfg->firewall_refresh * 1000);
	return true;
}

/* same_list - two NULL-terminated lists of words are equal */
static bool
same_list(char *const *a, char *const *b)
{
	size_t i = 0;

	for (; a && b && a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return (a == NULL || a[i] == NULL) && (b == NULL || b[i] == NULL);
}

/* firewall_changed - a reload that touches how bans are put in place */
static bool
firewall_changed(const struct config *a, const struct config *b)
{
	return strcmp(a->firewall, b->firewall) != 0 ||
	    strcmp(a->firewall_table, b->firewall_table) != 0 ||
	    a->firewall_ipv6_prefix != b->firewall_ipv6_prefix ||
	    a->firewall_rule_position != b->firewall_rule_position;
}

/* firewall_moved - a reload that puts the bans in other objects (or
 * none): the old ones are to go */
static bool
firewall_moved(const struct config *a, const struct config *b)
{
	return strcmp(a->firewall, b->firewall) != 0 ||
	    strcmp(a->firewall_table, b->firewall_table) != 0;
}

/* move_bans - the bans in their new place first, then popauth's old
 * objects out; the old stay if the new place does not work (the loop
 * waits for both: a reload is rare, and seconds at most) */
static void
move_bans(struct daemon *d, struct firewall *old_fw)
{
	struct fw_stats st;

	fw_sync(d->app.fw);
	fw_get_stats(d->app.fw, &st);
	if (st.healthy)
		fw_remove(old_fw);
	else
		msg_warn("reload: the new firewall does not work yet; "
			 "popauth's old table, sets or chain stay in force, "
			 "no longer kept: remove them by hand once it works");
}

/* status - what `popauth status' shows of the running daemon */
static void
status(struct daemon *d, FILE *out)
{
	const struct parser_stats *ps = &d->app.parser.st;
	struct accessmap_stats rm, bm;
	int64_t now = wall_now();
	char fw[700], up[64];

	fprintf(out, "daemon:   running, pid %ld, up %s (since %s)\n",
	    (long)getpid(), dur_fmt(now - d->started, up, sizeof(up)),
	    time_str(d->started));
	for (size_t i = 0; i < d->nsrc; i++) {
		struct source_pos pos;
		fprintf(out, "source:   %s: %llu line(s)", d->src[i]->spec,
		    (unsigned long long)d->src[i]->lines);
		if (d->src[i]->src && source_get_pos(d->src[i]->src, &pos)) {
			if (*pos.cursor)
				fprintf(
				    out, ", at cursor %s", escs(pos.cursor));
			else
				fprintf(out, ", at byte %llu",
				    (unsigned long long)pos.offset);
		}
		fputs(d->src[i]->ended ? ", ended\n" : "\n", out);
	}
	fprintf(out,
	    "lines:    %llu read, %llu without a header, %llu too "
	    "long\n",
	    (unsigned long long)ps->lines, (unsigned long long)ps->unparsable,
	    (unsigned long long)ps->oversized);
	fputs("events:  ", out);
	for (int k = EVENT_NONE + 1; k < EVENT__COUNT; k++)
		if (ps->events[k])
			fprintf(out, " %s %llu", event_kind_name(k),
			    (unsigned long long)ps->events[k]);
	fputc('\n', out);
	fprintf(out,
	    "state:    %zu relay lease(s), %zu listed, %zu banned "
	    "now\n",
	    relay_count(&d->app.pol.relay), bl_count(&d->app.pol.bl),
	    bl_count_banned(&d->app.pol.bl, now));
	accessmap_get_stats(d->app.relay_map, &rm);
	accessmap_get_stats(d->app.bl_map, &bm);
	fprintf(out,
	    "maps:     relay %zu entries, %llu rebuild(s)%s; "
	    "blacklist %zu entries, %llu rebuild(s)%s\n",
	    rm.entries, (unsigned long long)rm.rebuilds,
	    rm.healthy ? "" : ", FAILING", bm.entries,
	    (unsigned long long)bm.rebuilds, bm.healthy ? "" : ", FAILING");
	uint64_t pa[POLICYD__N];
	policyd_answered(d->policyd, pa);
	if (d->policyd == NULL)
		fprintf(out, "policy:   off (no policy_listen)\n");
	else
		fprintf(out,
		    "policy:   %llu queries answered: %llu OK, %llu "
		    "refused, %llu DUNNO\n",
		    (unsigned long long)(pa[POLICYD_OK] + pa[POLICYD_REJECT] +
			pa[POLICYD_DUNNO]),
		    (unsigned long long)pa[POLICYD_OK],
		    (unsigned long long)pa[POLICYD_REJECT],
		    (unsigned long long)pa[POLICYD_DUNNO]);
	fw_describe(d->app.fw, fw, sizeof(fw));
	fprintf(out, "firewall: %s\n", fw);
}

/* control_look - list and show of the live state; "-H": a header line
 * (the client's standard output is a terminal) */
static int
control_look(struct daemon *d, int argc, char **argv, FILE *out, FILE *err)
{
	bool all = false, header = false;
	const char *what = NULL;
	struct ipaddr ip;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0)
			all = true;
		else if (strcmp(argv[i], "-H") == 0)
			header = true;
		else if (what == NULL)
			what = argv[i];
		else
			what = "";
	if (what != NULL && strcmp(argv[0], "show") == 0 &&
	    ipaddr_parse(&ip, what, strlen(what))) {
		admin_print_show(&d->app.pol, &ip, out);
		return 0;
	}
	if (what != NULL && strcmp(argv[0], "list") == 0 &&
	    admin_print_list(&d->app.pol, what, all, header, out))
		return 0;
	fprintf(err, "popauth: the daemon does not list or show that\n");
	return 2;
}

/* control - a command from the control socket (control_fn) */
static int
control(void *arg, int argc, char **argv, FILE *out, FILE *err)
{
	struct daemon *d = arg;
	int rc;

	if (strcmp(argv[0], "status") == 0 && argc == 1) {
		status(d, out);
		return 0;
	}
	if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "show") == 0)
		return control_look(d, argc, argv, out, err);
	if (strcmp(argv[0], "ban") != 0 && strcmp(argv[0], "unban") != 0 &&
	    strcmp(argv[0], "forget") != 0) {
		fprintf(err, "popauth: the daemon does not take \"%s\"\n",
		    escs(argv[0]));
		return 2;
	}
	msg_info("control socket: %s%s%s", argv[0], argc > 1 ? " " : "",
	    argc > 1 ? escs(argv[1]) : "");
	rc = admin_change(&d->app, argv[0], argc - 1, argv + 1, out, err);
	need_commit(d);
	schedule_expiry(d);
	return rc;
}

/* start_source - create and start one log source */
static struct dsource *
start_source(struct daemon *d, const char *spec)
{
	struct dsource *ds = xcalloc(1, sizeof(*ds));
	struct source_opts so = {0};
	struct source_pos pos, *resume = NULL;
	char *err = NULL;

	ds->d = d;
	ds->spec = xstrdup(spec);
	so.from_start = strcmp(d->app.cfg->log_start_position, "start") == 0;
	ds->src = source_new(spec, &so, on_line, on_eof, ds, &err);
	if (ds->src == NULL) {
		msg_error("log source %s: %s", spec, err);
		free(err);
		ds->ended = true;
		return ds;
	}
	if (store_pos_get(d->app.store, spec, &pos))
		resume = &pos;
	if (source_start(ds->src, d->loop, resume) < 0) {
		source_free(ds->src);
		ds->src = NULL;
		ds->ended = true;
	}
	return ds;
}

/* drain_source - read what is still there (before a final commit) */
static void
drain_source(struct dsource *ds)
{
	if (ds->src)
		source_drain(ds->src);
}

static void
free_source(struct dsource *ds)
{
	if (ds->src)
		source_free(ds->src);
	free(ds->spec);
	free(ds);
}

static size_t
count_list(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static void
start_sources(struct daemon *d)
{
	d->nsrc = count_list(d->app.cfg->log_sources);
	d->src = xcalloc(d->nsrc ? d->nsrc : 1, sizeof(*d->src));
	for (size_t i = 0; i < d->nsrc; i++)
		d->src[i] = start_source(d, d->app.cfg->log_sources[i]);
}

/* stop_sources - drain, save the positions, close */
static void
stop_sources(struct daemon *d)
{
	for (size_t i = 0; i < d->nsrc; i++)
		drain_source(d->src[i]);
	commit(d);
	for (size_t i = 0; i < d->nsrc; i++)
		free_source(d->src[i]);
	free(d->src);
	d->src = NULL;
	d->nsrc = 0;
}

/* reload_sources - keep (and reopen) the sources that stay, stop the
 * removed ones, start the new ones */
static void
reload_sources(struct daemon *d, char *const *specs)
{
	size_t n = count_list(specs);
	struct dsource **nv = xcalloc(n ? n : 1, sizeof(*nv));

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < d->nsrc; j++) {
			if (d->src[j] &&
			    strcmp(d->src[j]->spec, specs[i]) == 0) {
				nv[i] = d->src[j];
				d->src[j] = NULL;
				if (nv[i]->src)
					source_reopen(nv[i]->src);
				break;
			}
		}
	}
	for (size_t j = 0; j < d->nsrc; j++) {
		if (d->src[j] == NULL)
			continue;
		msg_info("log source %s removed", d->src[j]->spec);
		drain_source(d->src[j]);
		commit(d);
		free_source(d->src[j]);
	}
	free(d->src);
	d->src = nv;
	d->nsrc = n;
	for (size_t i = 0; i < n; i++) {
		if (nv[i] == NULL) {
			msg_info("log source %s added", specs[i]);
			nv[i] = start_source(d, specs[i]);
		}
	}
}

/* reopen_control - the control socket where cfg wants it (the old one
 * closed first: the path may be the same), else back where it was */
static void
reopen_control(
    struct daemon *d, const struct config *cfg, const struct config *old)
{
	char *err = NULL;

	control_free(d->control);
	if ((d->control = control_new(d->loop, cfg, control, d, &err)) != NULL)
		return;
	msg_error("reload: %s; the control socket stays as it was", err);
	free(err);
	if ((d->control = control_new(d->loop, old, control, d, &err)) ==
	    NULL) {
		msg_error("reload: %s; no control socket until the next "
			  "reload",
		    err);
		free(err);
	}
}

/* reload - SIGHUP: a new configuration, or the old one if it is bad */
static void
reload(struct daemon *d)
{
	char *err = NULL;
	struct config *cfg = app_try_config(d->cli, &err);
	struct config *old = d->app.cfg;
	struct dispatch *disp;

	msg_reopen();
	if (cfg == NULL) {
		msg_error(
		    "reload failed, keeping the old configuration: %s", err);
		free(err);
		return;
	}
	if ((disp = app_dispatch(cfg, &err)) == NULL) {
		msg_error(
		    "reload failed, keeping the old configuration: %s", err);
		free(err);
		config_free(cfg);
		return;
	}
	if (strcmp(cfg->state_directory, old->state_directory) != 0 ||
	    strcmp(cfg->pid_file, old->pid_file) != 0)
		msg_warn("state_directory and pid_file changes take effect at "
			 "the next start");
	if (strcmp(cfg->relay_map, old->relay_map) != 0 ||
	    strcmp(cfg->blacklist_map, old->blacklist_map) != 0 ||
	    cfg->map_rebuild_delay != old->map_rebuild_delay ||
	    strcmp(cfg->postmap_path, old->postmap_path) != 0) {
		struct accessmap *old_r = d->app.relay_map,
				 *old_b = d->app.bl_map;
		if (!app_maps(&d->app, cfg, &err)) {
			d->app.relay_map = old_r;
			d->app.bl_map = old_b;
			d->app.blctx.reply = old->blacklist_reply;
			msg_error(
			    "reload failed, keeping the old configuration: "
			    "%s",
			    err);
			free(err);
			dispatch_free(disp);
			config_free(cfg);
			return;
		}
		accessmap_sync(old_r);
		accessmap_sync(old_b);
		accessmap_free(old_r);
		accessmap_free(old_b);
		accessmap_attach(d->app.relay_map, d->loop);
		accessmap_attach(d->app.bl_map, d->loop);
		accessmap_touch(d->app.relay_map);
		accessmap_touch(d->app.bl_map);
	} else if (strcmp(cfg->blacklist_reply, old->blacklist_reply) != 0) {
		accessmap_touch(d->app.bl_map);
	}
	if (firewall_changed(cfg, old)) {
		struct firewall *old_fw = d->app.fw;
		if (!start_firewall(d, cfg, &err)) {
			msg_error(
			    "reload: %s; keeping the firewall as it was", err);
			free(err);
		} else {
			/* what the old one still had to do is in the new
			 * one's resync (fw_free waits for a running script) */
			if (firewall_moved(cfg, old))
				move_bans(d, old_fw);
			fw_free(old_fw);
		}
	} else if (cfg->firewall_refresh != old->firewall_refresh) {
		loop_timer_start(
		    d->fw_refresh, (uint64_t)cfg->firewall_refresh * 1000);
	}
	/* the mails on their way go on */
	struct alertmail_opts ao = app_alert_opts(cfg);
	if (!alertmail_configure(d->app.alert, &ao, &err)) {
		msg_error("reload: %s; keeping the alert mail as it was", err);
		free(err);
	}
	if (!same_list(cfg->policy_listen, old->policy_listen)) {
		/* the old listeners go first: the new may want their address */
		policyd_free(d->policyd);
		d->policyd =
		    policyd_new(d->loop, &d->app, cfg->policy_listen, &err);
		if (d->policyd == NULL && err != NULL) {
			msg_error("reload: policy_listen %s; the policy "
				  "service is off",
			    err);
			free(err);
		}
	}
	if (strcmp(cfg->control_socket, old->control_socket) != 0 ||
	    !same_list(cfg->control_group, old->control_group))
		reopen_control(d, cfg, old);
	/* the map text is made from the config that is current */
	d->app.blctx.reply = cfg->blacklist_reply;
	d->app.cfg = cfg;
	app_setup_log(cfg, d->cli);
	d->app.act.min_level = msg_get_level();
	struct policy_cfg pc = app_policy_cfg(cfg);
	policy_configure(&d->app.pol, &pc);
	dispatch_free(d->app.disp);
	d->app.disp = disp;
	parser_set_dispatch(&d->app.parser, disp);
	reload_sources(d, cfg->log_sources);
	config_free(old);
	policy_tick(&d->app.pol, wall_now(), &d->app.act);
	app_apply(&d->app);
	schedule_expiry(d);
	msg_info("configuration reloaded");
}

static void
on_signal(struct loop *l, int signo, void *arg)
{
	struct daemon *d = arg;

	if (signo == SIGHUP) {
		reload(d);
		return;
	}
	msg_info("received signal %d (%s), stopping", signo, strsignal(signo));
	d->stopping = true;
	loop_stop(l);
}

int
daemon_run(const struct cli *cli)
{
	struct daemon d;
	struct config *cfg;

	memset(&d, 0, sizeof(d));
	d.cli = cli;
	cfg = app_load_config(cli);
	app_setup_log(cfg, cli);
	d.loop = loop_new();
	/* signals are taken (and queued for the loop) before the PID file
	 * says we are there */
	loop_signal(d.loop, SIGTERM, on_signal, &d);
	loop_signal(d.loop, SIGINT, on_signal, &d);
	loop_signal(d.loop, SIGQUIT, on_signal, &d);
	loop_signal(d.loop, SIGHUP, on_signal, &d);
	signal(SIGPIPE, SIG_IGN);
	app_open(&d.app, cli, cfg, wall_now());
	d.app.loop = d.loop;
	/* the maps equal the state from the first moment */
	accessmap_sync(d.app.relay_map);
	accessmap_sync(d.app.bl_map);
	accessmap_attach(d.app.relay_map, d.loop);
	accessmap_attach(d.app.bl_map, d.loop);
	d.expiry = loop_timer_new(d.loop, expiry_timer, &d);
	d.commit = loop_timer_new(d.loop, commit_timer, &d);
	d.fw_refresh = loop_timer_new(d.loop, fw_refresh_timer, &d);
	char *err = NULL;
	if (!start_firewall(&d, d.app.cfg, &err))
		msg_fatal("%s", err);
	if ((d.app.alert = app_alertmail(d.app.cfg, &err)) == NULL)
		msg_fatal("%s", err);
	alertmail_attach(d.app.alert, d.loop);
	d.policyd = policyd_new(d.loop, &d.app, d.app.cfg->policy_listen, &err);
	if (d.policyd == NULL && err != NULL)
		msg_fatal("policy_listen %s", err);
	if ((d.control = control_new(d.loop, d.app.cfg, control, &d, &err)) ==
	    NULL)
		msg_fatal("%s", err);
	d.started = wall_now();
	start_sources(&d);
	/* save where each source starts now: a crash before the first
	 * periodic commit must resume here, not at a later end of file */
	commit(&d);
	msg_info("popauth " POPAUTH_VERSION " started (pid %ld): %zu relay "
		 "lease(s), %zu blacklisted, state in %s",
	    (long)getpid(), relay_count(&d.app.pol.relay),
	    bl_count(&d.app.pol.bl), d.app.cfg->state_directory);

	schedule_expiry(&d);
	if (!all_ended(&d))
		loop_run(d.loop);
	else
		msg_error("no log source could be started");
	policyd_free(d.policyd);
	control_free(d.control);
	stop_sources(&d);
	msg_info("popauth is terminating");
	/* the timers after app_close: the firewall's last run notes its
	 * health and asks for a commit (which app_close makes) */
	app_close(&d.app);
	loop_timer_free(d.expiry);
	loop_timer_free(d.commit);
	loop_timer_free(d.fw_refresh);
	loop_free(d.loop);
	return 0;
}
