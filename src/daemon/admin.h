/*
 * admin - the commands that look at or change what popauth knows about
 * IPs: list blacklist, show, forget; and popauth 3's files (v3.c).
 */
#ifndef POPAUTH_ADMIN_H
#define POPAUTH_ADMIN_H

#include "app.h"

/*
 * admin_load - the stored state into pol, read-only (the daemon may be
 * running: what it committed, at most a second old).  Returns the store
 * (caller closes) or NULL when there is no state yet (pol is empty then).
 */
struct store *admin_load(const struct config *cfg, struct policy *pol);

/* `popauth list blacklist [--all]' */
int admin_list_blacklist(const struct config *cfg, bool all);
/* admin_list_relays - `popauth list relays [--all]' */
int admin_list_relays(const struct config *cfg, bool all);

/* `popauth show IP' */
int admin_show(const struct cli *cli, int argc, char **argv);

/* admin_status - `popauth status': the daemon, the state, the
 * firewall's health as the daemon last noted it */
int admin_status(const struct cli *cli);
/*
 * admin_change - `popauth ban IP [DURATION]', `unban IP...', `forget
 * IP...' (cmd) on a state that is open for change: the daemon's (through
 * the control socket) or one opened for it (admin_change_offline, with
 * the daemon stopped).  Output to out, warnings to err; the exit status.
 */
int admin_change(struct app *app, const char *cmd, int argc, char **argv,
    FILE *out, FILE *err);
int admin_change_offline(
    const struct cli *cli, const char *cmd, int argc, char **argv);
/* admin_list_bans - `popauth list bans [--all]' */
int admin_list_bans(const struct config *cfg, bool all);

/* `popauth import-v3 SPOOLDIR [RBL_CACHE]' (v3.c) */
int v3_import(const struct cli *cli, int argc, char **argv);

/* `popauth export-v3 DIR' (v3.c) */
int v3_export(const struct cli *cli, int argc, char **argv);

#endif
