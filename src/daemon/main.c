/*
 * main - popauth's command line: one binary, several commands.
 *
 * DESCRIPTION
 *	popauth [-c FILE] [-o name=value]... [-v] COMMAND [ARGS]
 *	Options may come before or after the command and its operands
 *	("popauth list relays -c FILE" = "popauth list -c FILE relays").
 *	Anything else that starts with '-' is left for the command.
 *
 * DIAGNOSTICS
 *	Usage errors exit 2; failures exit 1 after saying why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/mem.h"
#include "../lib/msg.h"
#include "admin.h"
#include "control.h"
#include "lock.h"
#include "app.h"
#include "commands.h"
#include "daemon.h"
#include "replay.h"

/* ask_daemon - argv through the running daemon's control socket: its
 * exit status (2 for arguments that cannot be sent, said on stderr); -1
 * when no daemon runs (*pid 0) or it does not answer */
static int
ask_daemon(const struct cli *cli, int argc, char **argv, long *pid)
{
	struct config *cfg = app_load_config(cli);
	int rc = -1;

	*pid = lock_holder(cfg->state_directory, cfg->pid_file);
	if (*pid > 0)
		rc = control_call(cfg, argc, argv);
	config_free(cfg);
	return rc;
}

/*
 * live_or_offline - status, ban, unban, forget: through the control
 * socket while the daemon runs (it holds the state), else on the state
 * directly, saying so
 */
static int
live_or_offline(const struct cli *cli, int argc, char **argv)
{
	long pid;
	int rc = ask_daemon(cli, argc, argv, &pid);

	if (pid > 0 && rc < 0)
		fprintf(stderr,
		    "popauth: the daemon runs (pid %ld) but does not answer "
		    "on its control_socket\n",
		    pid);
	if (pid > 0)
		return rc < 0 ? 1 : rc;
	if (strcmp(argv[0], "status") == 0)
		return admin_status(cli);
	fprintf(stderr,
	    "popauth: the daemon is not running: the state is "
	    "changed directly\n");
	return admin_change_offline(cli, argv[0], argc - 1, argv + 1);
}

/*
 * look - list and show: the daemon's live state through its control
 * socket while it runs, else the stored one (which it commits about once
 * a second); `list recognisers' needs neither
 */
static int
look(const struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "recognisers") != 0) {
		/* the header line, when a person reads it */
		char **v = xcalloc((size_t)argc + 2, sizeof(*v));
		int n = argc;
		long pid;
		memcpy(v, argv, (size_t)argc * sizeof(*v));
		if (isatty(1) && strcmp(argv[0], "list") == 0)
			v[n++] = "-H";
		int rc = ask_daemon(cli, n, v, &pid);
		free(v);
		if (rc >= 0)
			return rc;
	}
	if (strcmp(argv[0], "list") == 0)
		return cmd_list(cli, argc - 1, argv + 1);
	return admin_show(cli, argc - 1, argv + 1);
}

static void
usage(FILE *out)
{
	fputs(
	    "usage: popauth [-c FILE] [-o name=value]... [-v] COMMAND "
	    "[ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  run                  follow the mail logs and keep the Postfix "
	    "maps current\n"
	    "  replay FILE...       process old logs on their own clock (- "
	    "for stdin)\n"
	    "  test [-a] [FILE|-]   show how each line is recognised\n"
	    "  list relays [--all]  show the relay leases\n"
	    "  list recognisers     show the log formats popauth reads\n"
	    "  list blacklist [--all]  show the blacklist cache\n"
	    "  show IP              everything known about an IP\n"
	    "  status               the daemon, the state, the firewall's "
	    "health\n"
	    "  list bans [--all]    show the bans in force (--all: ended ones "
	    "too)\n"
	    "  forget IP...         drop what is known about IPs\n"
	    "  ban IP [DURATION]    ban an IP (default nullroute_total_ban)\n"
	    "  unban IP...          lift bans (the listing stays)\n"
	    "  import-v3 SPOOLDIR [RBL_CACHE]  take over popauth 3's state\n"
	    "  export-v3 DIR        write the state in popauth 3's files\n"
	    "  check-config         print the effective configuration\n"
	    "  version              print the version\n"
	    "\n"
	    "options:\n"
	    "  -c FILE         configuration file (default " CONFIG_DEFAULT_FILE
	    ")\n"
	    "  -o name=value   override a configuration parameter\n"
	    "  -v              verbose (debug) messages\n"
	    "  -h, --help      this text\n"
	    "  -V, --version   the version\n"
	    "\n"
	    "See popauth(8) and popauth.conf(5).\n",
	    out);
}

int
main(int argc, char **argv)
{
	struct cli cli = {0};
	char **ops = xcalloc((size_t)argc + 1, sizeof(*ops));
	int nops = 0, rc;
	bool only_operands = false;

	cli.overrides = xcalloc((size_t)argc + 1, sizeof(*cli.overrides));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_operands || a[0] != '-' || a[1] == 0) {
			ops[nops++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			only_operands = true;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "-o") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr,
				    "popauth: %s needs an argument\n", a);
				rc = 2;
				goto out;
			}
			if (a[1] == 'c')
				cli.config_file = argv[++i];
			else
				cli.overrides[cli.noverrides++] = argv[++i];
		} else if (strncmp(a, "-c", 2) == 0) {
			cli.config_file = a + 2;
		} else if (strncmp(a, "-o", 2) == 0) {
			cli.overrides[cli.noverrides++] = argv[i] + 2;
		} else if (strcmp(a, "-v") == 0) {
			cli.verbose = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			rc = 0;
			goto out;
		} else if (strcmp(a, "-V") == 0 ||
		    strcmp(a, "--version") == 0) {
			puts("popauth " POPAUTH_VERSION);
			rc = 0;
			goto out;
		} else {
			ops[nops++] = argv[i]; /* the command's own option */
		}
	}
	if (nops == 0) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	msg_open("popauth", MSG_DEST_STDERR, NULL);
	if (cli.verbose)
		msg_set_level(MSG_DEBUG);

	const char *cmd = ops[0];
	if (strcmp(cmd, "run") == 0 && nops == 1)
		rc = daemon_run(&cli);
	else if (strcmp(cmd, "replay") == 0)
		rc = replay_main(&cli, nops - 1, ops + 1);
	else if (strcmp(cmd, "test") == 0)
		rc = cmd_test(&cli, nops - 1, ops + 1);
	else if (strcmp(cmd, "list") == 0 || strcmp(cmd, "show") == 0)
		rc = look(&cli, nops, ops);
	else if ((strcmp(cmd, "status") == 0 && nops == 1) ||
	    strcmp(cmd, "ban") == 0 || strcmp(cmd, "unban") == 0 ||
	    strcmp(cmd, "forget") == 0)
		rc = live_or_offline(&cli, nops, ops);
	else if (strcmp(cmd, "import-v3") == 0)
		rc = v3_import(&cli, nops - 1, ops + 1);
	else if (strcmp(cmd, "export-v3") == 0)
		rc = v3_export(&cli, nops - 1, ops + 1);
	else if (strcmp(cmd, "check-config") == 0)
		rc = cmd_check_config(&cli, nops - 1, ops + 1);
	else if (strcmp(cmd, "version") == 0 && nops == 1) {
		puts("popauth " POPAUTH_VERSION);
		rc = 0;
	} else {
		usage(stderr);
		rc = 2;
	}
out:
	free(ops);
	free(cli.overrides);
	return rc;
}
