/*
 * admin - the commands that look at or change what popauth knows about
 * IPs: list, show, status, ban, unban, forget; and popauth 3's files
 * (v3.c).
 */
#ifndef POPAUTH_ADMIN_H
#define POPAUTH_ADMIN_H

#include <stdio.h>

#include "app.h"

/*
 * admin_load - the stored state into pol, read-only (the daemon may be
 * running: what it committed, at most a second old).  Returns the store
 * (caller closes) or NULL when there is no state yet (pol is empty then).
 */
struct store *admin_load(const struct config *cfg, struct policy *pol);

/* `popauth show IP' */
int admin_show(const struct cli *cli, int argc, char **argv);

/* admin_status - `popauth status' with the daemon not running: the
 * state, the settings, the firewall's health as the daemon last noted it
 * (a running daemon answers through its control socket) */
int admin_status(const struct cli *cli);
/* admin_list - `popauth list relays|blacklist|bans [--all]' from the
 * stored state (the daemon not running) */
int admin_list(const struct config *cfg, const char *what, bool all);

/* admin_print_show, admin_print_list - `show' and the listings of a
 * policy state (the stored one, or the daemon's live one) */
void
admin_print_show(const struct policy *pol, const struct ipaddr *ip, FILE *out);
/* admin_print_list - what = relays, blacklist or bans (all: ended ones
 * too; header: a first line naming the columns); false for another */
bool admin_print_list(const struct policy *pol, const char *what, bool all,
    bool header, FILE *out);

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

/* `popauth import-v3 SPOOLDIR [RBL_CACHE]' (v3.c) */
int v3_import(const struct cli *cli, int argc, char **argv);

/* `popauth export-v3 DIR' (v3.c) */
int v3_export(const struct cli *cli, int argc, char **argv);

#endif
