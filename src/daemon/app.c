/*
 * app - what the daemon and replay share.
 *
 * DESCRIPTION
 *	Opening order matters: the lock first (so no second popauth
 *	touches the store), then the store, then the state is loaded and
 *	whatever ended while popauth was not running is expired, and only
 *	then the maps are written, so that they equal the state from the
 *	first moment.
 *
 * DIAGNOSTICS
 *	Setup problems are fatal and say which file or key is at fault.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/msg.h"
#include "app.h"

struct config *
app_try_config(const struct cli *cli, char **err)
{
	return config_load(
	    cli->config_file ? cli->config_file : CONFIG_DEFAULT_FILE,
	    cli->config_file == NULL, cli->overrides, cli->noverrides, err);
}

struct config *
app_load_config(const struct cli *cli)
{
	char *err = NULL;
	struct config *cfg = app_try_config(cli, &err);

	if (cfg == NULL)
		msg_fatal("%s", err);
	return cfg;
}

void
app_setup_log(const struct config *cfg, const struct cli *cli)
{
	const char *d = cfg->log_destination;
	int rc;

	if (strcmp(d, "syslog") == 0)
		rc = msg_open("popauth", MSG_DEST_SYSLOG, NULL);
	else if (strcmp(d, "stderr") == 0)
		rc = msg_open("popauth", MSG_DEST_STDERR, NULL);
	else
		rc = msg_open("popauth", MSG_DEST_FILE, d + 5);
	if (rc < 0)
		msg_fatal("log_destination %s: cannot open it", d);
	msg_set_level(
	    cli->verbose ? MSG_DEBUG : msg_level_parse(cfg->log_level));
}

struct policy_cfg
app_policy_cfg(const struct config *cfg)
{
	struct policy_cfg pc = {0};

	pc.relay_lease = cfg->relay_lease;
	if (config_list_has(cfg->login_protocols, "pop3"))
		pc.login_protos |= POLICY_PROTO(PROTO_POP3);
	if (config_list_has(cfg->login_protocols, "imap"))
		pc.login_protos |= POLICY_PROTO(PROTO_IMAP);
	pc.myhostname = cfg->myhostname;
	pc.trusted = cfg->trusted_networks;
	pc.ntrusted = cfg->ntrusted_networks;
	pc.login_grace = cfg->login_grace;
	pc.fish_ban = cfg->nullroute_fish_ban;
	pc.bl.freq = cfg->nullroute_freq;
	pc.bl.total = (uint32_t)cfg->nullroute_total;
	pc.bl.freq_ban = cfg->nullroute_freq_ban;
	pc.bl.total_ban = cfg->nullroute_total_ban;
	pc.bl.expire = cfg->blacklist_expire;
	pc.bl.alert = (uint32_t)cfg->alert_threshold;
	pc.fish.threshold = (uint32_t)cfg->fish_threshold;
	pc.fish.freq = cfg->nullroute_freq;
	pc.fish.expire = cfg->fish_expire;
	pc.af.threshold[AF_SASL] = (uint32_t)cfg->sasl_fail_threshold;
	pc.af.threshold[AF_LOGIN] = (uint32_t)cfg->login_fail_threshold;
	pc.af.window = cfg->auth_fail_window;
	return pc;
}

struct dispatch *
app_dispatch(const struct config *cfg, char **err)
{
	const char *const *enabled = NULL;
	struct dispatch *d;

	if (!config_list_has(cfg->login_servers, "all"))
		enabled = (const char *const *)cfg->login_servers;
	if ((d = dispatch_new(enabled, err)) == NULL)
		return NULL;
	char prefix[512];
	struct recog_conf rc = {
	    .blacklist_prefix =
		config_reply_prefix(cfg, prefix, sizeof(prefix)),
	};
	dispatch_configure(d, &rc);
	for (size_t i = 0; i < cfg->ncustom_patterns; i++) {
		char *e = NULL;
		if (!dispatch_add_custom(d, cfg->custom_patterns[i].text, &e)) {
			struct sbuf b = SBUF_INIT;
			sbuf_printf(&b, "%s: custom_patterns: %s",
			    cfg->custom_patterns[i].where, e);
			free(e);
			*err = sbuf_detach(&b);
			dispatch_free(d);
			return NULL;
		}
	}
	dispatch_ready(d);
	return d;
}

bool
app_maps(struct app *app, const struct config *cfg, char **err)
{
	struct accessmap_opts ro = {
	    .spec = cfg->relay_map,
	    .postmap = cfg->postmap_path,
	    .delay_ms = cfg->map_rebuild_delay * 1000,
	    .what = "relay map",
	};
	struct accessmap_opts bo = ro;
	char *e = NULL;

	bo.spec = cfg->blacklist_map;
	bo.what = "blacklist map";
	app->blctx.pol = &app->pol;
	app->blctx.reply = cfg->blacklist_reply;
	if ((app->relay_map = accessmap_new(
		 &ro, maps_relay_fill, &app->pol, &e)) == NULL) {
		*err = xstrfmt("relay_map %s: %s", cfg->relay_map, e);
		free(e);
		return false;
	}
	if ((app->bl_map = accessmap_new(
		 &bo, maps_blacklist_fill, &app->blctx, &e)) == NULL) {
		*err = xstrfmt("blacklist_map %s: %s", cfg->blacklist_map, e);
		free(e);
		accessmap_free(app->relay_map);
		app->relay_map = NULL;
		return false;
	}
	return true;
}

/* list_bans - fw_list_fn: the blacklist's bans in force */
static size_t
list_bans(void *arg, int64_t now, struct fw_ban **v)
{
	const struct policy *pol = arg;
	size_t n = 0, cap = 0;
	struct bl_rec *rec;

	*v = NULL;
	for (size_t c = 0; (rec = iptab_next(&pol->bl.tab, &c)) != NULL;) {
		if (!bl_banned(rec, now))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			*v = xreallocarray(*v, cap, sizeof(**v));
		}
		(*v)[n++] = (struct fw_ban){rec->ip, rec->ban_end};
	}
	return n;
}

struct firewall *
app_firewall(struct app *app, const struct config *cfg, char **err)
{
	struct fw_opts o = {
	    .backend = fw_backend_of(cfg->firewall),
	    .table = cfg->firewall_table,
	    .v6_prefix = (unsigned)cfg->firewall_ipv6_prefix,
	    .rule_position = (unsigned)cfg->firewall_rule_position,
	};
	char *e = NULL;
	struct firewall *fw = fw_new(&o, list_bans, &app->pol, &e);

	if (fw == NULL) {
		*err = xstrfmt("firewall: %s", e);
		free(e);
	}
	return fw;
}

static struct lock *fatal_lock;

/* release_on_fatal - a fatal error after the lock: remove the PID file */
static void
release_on_fatal(void)
{
	lock_release(fatal_lock);
	fatal_lock = NULL;
}

void
app_open(
    struct app *app, const struct cli *cli, struct config *cfg, int64_t now)
{
	struct policy_cfg pc = app_policy_cfg(cfg);
	char *err = NULL;

	app->cli = cli;
	app->cfg = cfg;
	if ((app->lock = lock_acquire(
		 cfg->state_directory, cfg->pid_file, &err)) == NULL)
		msg_fatal("%s", err);
	fatal_lock = app->lock;
	msg_set_fatal_hook(release_on_fatal);
	if ((app->store = store_open(
		 cfg->state_directory, true, false, &err)) == NULL)
		msg_fatal("%s", err);
	policy_init(&app->pol, &pc);
	actions_init(&app->act);
	persist_init(&app->persist);
	/* messages nobody will see are not even formatted */
	app->act.min_level = msg_get_level();
	if (persist_load(app->store, &app->pol) < 0)
		msg_fatal(
		    "cannot read the state from %s", store_path(app->store));
	if ((app->disp = app_dispatch(cfg, &err)) == NULL)
		msg_fatal("%s", err);
	parser_init(&app->parser, app->disp, now);
	if (!app_maps(app, cfg, &err))
		msg_fatal("%s", err);
	/* what ended while popauth was not running */
	policy_tick(&app->pol, now, &app->act);
	app_apply(app);
	app_commit(app);
	app->relay_touched = app->bl_touched = false;
}

/* send_alert - the admin's mail about ip's ban, from its record */
static void
send_alert(struct app *app, const struct ipaddr *ip, int64_t gap)
{
	const struct bl_rec *rec = bl_get(&app->pol.bl, ip);

	if (rec == NULL)
		return;
	struct alert_info in = {
	    .ip = rec->ip,
	    .host = rec->host,
	    .period = rec->period,
	    .total = rec->total,
	    .gap = gap,
	    .rate = rec->rate,
	    .ban_end = rec->ban_end,
	};
	alertmail_send(app->alert, &in);
}

struct alertmail *
app_alertmail(const struct config *cfg, char **err)
{
	struct alertmail_opts o = app_alert_opts(cfg);

	return alertmail_new(&o, err);
}

struct alertmail_opts
app_alert_opts(const struct config *cfg)
{
	return (struct alertmail_opts){
	    .sendmail = cfg->sendmail_path,
	    .to = cfg->alert_to,
	    .myhostname = cfg->myhostname,
	    .freq = cfg->nullroute_freq,
	    .total = (uint32_t)cfg->nullroute_total,
	};
}

void
app_apply(struct app *app)
{
	for (size_t i = 0; i < app->act.n; i++) {
		const struct action *a = &app->act.v[i];
		switch (a->kind) {
		case ACT_LOG:
			msg_log(a->level, "%s", a->text);
			break;
		case ACT_RELAY_PUT:
			if (!app->store_deferred)
				store_relay_put(app->store, &a->ip, a->text,
				    a->first, a->last, a->count);
			break;
		case ACT_RELAY_DROP:
			if (!app->store_deferred)
				store_relay_drop(app->store, &a->ip);
			break;
		case ACT_RELAY_MAP:
			if (app->loop)
				accessmap_touch(app->relay_map);
			else
				app->relay_touched = true;
			break;
		case ACT_BL_MAP:
			if (app->loop)
				accessmap_touch(app->bl_map);
			else
				app->bl_touched = true;
			break;
		case ACT_BL_DIRTY:
			if (!app->store_deferred)
				persist_mark(&app->persist, PERSIST_BL, &a->ip);
			break;
		case ACT_FISH_DIRTY:
			if (!app->store_deferred)
				persist_mark(
				    &app->persist, PERSIST_FISH, &a->ip);
			break;
		case ACT_AUTH_DIRTY:
			if (!app->store_deferred)
				persist_mark(
				    &app->persist, PERSIST_AUTH, &a->ip);
			break;
		case ACT_BAN:
			if (app->fw)
				fw_ban(app->fw, &a->ip, a->last);
			break;
		case ACT_UNBAN:
			if (app->fw)
				fw_unban(app->fw, &a->ip);
			break;
		case ACT_ALERT:
			if (app->alert)
				send_alert(app, &a->ip, a->first);
			break;
		}
	}
	actions_reset(&app->act);
}

void
app_commit(struct app *app)
{
	if (app->store_deferred || store_needs_resync(app->store))
		persist_all(&app->persist, app->store, &app->pol);
	else
		persist_flush(&app->persist, app->store, &app->pol);
	store_commit(app->store);
}

void
app_close(struct app *app)
{
	/* the firewall's and the mail's last runs first: what they note
	 * (the firewall's health) goes into the last commit */
	if (app->fw) {
		fw_finish(app->fw);
		fw_free(app->fw);
	}
	if (app->alert) {
		alertmail_finish(app->alert);
		alertmail_free(app->alert);
	}
	app_commit(app);
	if (app->relay_touched || accessmap_pending(app->relay_map))
		accessmap_sync(app->relay_map);
	if (app->bl_touched || accessmap_pending(app->bl_map))
		accessmap_sync(app->bl_map);
	accessmap_free(app->relay_map);
	accessmap_free(app->bl_map);
	store_close(app->store);
	parser_free(&app->parser);
	dispatch_free(app->disp);
	persist_free(&app->persist);
	policy_free(&app->pol);
	actions_free(&app->act);
	lock_release(app->lock);
	fatal_lock = NULL;
	config_free(app->cfg);
	memset(app, 0, sizeof(*app));
}
