/*
 * app - what the daemon and replay share: config, lock, store, engine,
 * dispatcher, parser, relay map, and carrying out the engine's actions.
 */
#ifndef POPAUTH_APP_H
#define POPAUTH_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "../parse/dispatch.h"
#include "../parse/parser.h"
#include "../policy/policy.h"
#include "../sink/accessmap.h"
#include "../sink/alertmail.h"
#include "../sink/firewall.h"
#include "../sink/store.h"
#include "config.h"
#include "lock.h"
#include "maps.h"
#include "persist.h"

struct loop;

/* command line settings every command shares */
struct cli {
	const char *config_file; /* -c; NULL: the default file */
	char **overrides; /* -o name=value */
	size_t noverrides;
	bool verbose; /* -v */
};

struct app {
	const struct cli *cli;
	struct config *cfg;
	struct lock *lock;
	struct store *store;
	struct policy pol;
	struct actions act;
	struct dispatch *disp;
	struct parser parser;
	struct accessmap *relay_map;
	struct accessmap *bl_map;
	struct blmap_ctx blctx;
	bool relay_touched; /* relay map change not handed to the map yet */
	bool bl_touched; /* the same for the blacklist map */
	bool store_deferred; /* replay: write the final state at the end,
	                      * not every intermediate row */
	struct persist persist;
	struct loop *loop; /* the daemon's; NULL in replay */
	struct firewall *fw; /* the daemon's bans; NULL in replay */
	struct alertmail *alert; /* the daemon's; NULL elsewhere */
};

/* app_try_config - -c/-o as given; NULL and *err (file:line) on error */
struct config *app_try_config(const struct cli *cli, char **err);

/* app_load_config - the same, msg_fatal on error */
struct config *app_load_config(const struct cli *cli);

/* app_setup_log - log destination and level from the config (-v: debug) */
void app_setup_log(const struct config *cfg, const struct cli *cli);

/* app_policy_cfg - the engine's settings from the config (it points
 * into cfg) */
struct policy_cfg app_policy_cfg(const struct config *cfg);

/* app_alertmail - the admin's alert mail as configured; NULL and *err
 * if alert_to is not fit */
struct alertmail *app_alertmail(const struct config *cfg, char **err);
/* app_alert_opts - the alert mail's options in cfg (borrowed strings) */
struct alertmail_opts app_alert_opts(const struct config *cfg);

/* app_firewall - the firewall the configuration asks for (not yet
 * attached to a loop); NULL and *err if it cannot be */
struct firewall *
app_firewall(struct app *app, const struct config *cfg, char **err);

/* app_maps - build the relay and blacklist maps from the config; false
 * and *err (caller frees) if one cannot be */
bool app_maps(struct app *app, const struct config *cfg, char **err);

/* app_commit - write what changed, with the log positions already
 * handed to the store, in one transaction */
void app_commit(struct app *app);

/* app_dispatch - a dispatcher from the config; NULL and *err on error */
struct dispatch *app_dispatch(const struct config *cfg, char **err);

/*
 * app_open - lock the state directory, open the store, load the state
 * into the engine (expiring what ended while popauth was not running, at
 * `now'), build the dispatcher and the relay map.  msg_fatal on error.
 */
void app_open(
    struct app *app, const struct cli *cli, struct config *cfg, int64_t now);

/* app_apply - carry out and clear the engine's pending actions */
void app_apply(struct app *app);

/* app_close - commit, write the map if needed, unlock */
void app_close(struct app *app);

#endif
