/*
 * commands - the small subcommands: test, list, check-config.
 */
#ifndef POPAUTH_COMMANDS_H
#define POPAUTH_COMMANDS_H

#include "app.h"

/* cmd_test - `popauth test [-a] [FILE|-]' */
int cmd_test(const struct cli *cli, int argc, char **argv);

/* cmd_list - `popauth list relays [--all]', `popauth list recognisers' */
int cmd_list(const struct cli *cli, int argc, char **argv);

/* cmd_check_config - `popauth check-config' */
int cmd_check_config(const struct cli *cli, int argc, char **argv);

#endif
