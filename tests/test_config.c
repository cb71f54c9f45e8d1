/*
 * test_config - popauth.conf parsing: syntax, defaults, $expansion,
 * relative paths, lists, durations, and errors that name file:line.
 */
#include <stdlib.h>

#include "daemon/config.h"
#include "tlib.h"

static char cfgpath[512];

static struct config *
load(const char *text, char **err)
{
	*err = NULL;
	t_write_file(cfgpath, text);
	/* no postconf: the computed defaults must work without Postfix */
	char *o[] = {"postconf_path=/nonexistent/postconf"};
	return config_load(cfgpath, false, o, 1, err);
}

/* expect_error - the text fails with a message containing `want' */
static void
expect_error(const char *name, const char *text, const char *want)
{
	char *err;
	struct config *c;

	T_CASE(name);
	c = load(text, &err);
	T_OK(c == NULL);
	if (c == NULL && (err == NULL || strstr(err, want) == NULL))
		t_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"",
		    err ? err : "(none)", want);
	config_free(c);
	free(err);
	T_CASE(NULL);
}

static void
test_defaults(void)
{
	char *err;
	struct config *c = load("# nothing but a comment\n", &err);

	T_OK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	T_EQ_INT(c->relay_lease, 1800);
	T_EQ_INT(c->map_rebuild_delay, 1);
	T_EQ_STR(c->state_directory, "/var/lib/popauth");
	T_EQ_STR(c->pid_file, "/var/lib/popauth/popauth.pid");
	/* without postconf: hash (Postfix's historical default type) */
	T_EQ_STR(c->relay_map, "hash:/etc/postfix/popauth_checks");
	T_EQ_STR(c->log_sources[0], "file:/var/log/mail.log");
	T_OK(c->log_sources[1] == NULL);
	T_OK(config_list_has(c->login_protocols, "pop3"));
	T_OK(config_list_has(c->login_protocols, "imap"));
	T_OK(config_list_has(c->login_servers, "all"));
	T_EQ_STR(c->log_destination, "syslog");
	T_EQ_STR(c->log_level, "info");
	T_EQ_INT(c->ncustom_patterns, 0);
	T_OK(c->myhostname != NULL && c->myhostname[0] != 0);
	config_free(c);
}

static void
test_values(void)
{
	char *err, want[600];
	struct config *c =
	    load("relay_lease = 1h30m\n"
		 "state_directory = state\n"
		 "relay_map = lmdb:$state_directory/relay\n"
		 "log_sources = file:/var/log/mail.log,\n"
		 "    fifo:pipe stdin\n"
		 "\n"
		 "# a comment between does not end a value in Postfix either\n"
		 "login_protocols=pop3\n"
		 "log_destination = file:popauth.log\n"
		 "myhostname = mx.example.org\n"
		 "custom_patterns =\n"
		 "    login mypopd /^LOGIN (?<user>\\S+) from (?<ip>\\S+)$/\n"
		 "    login other* /x (?<ip>[0-9.]+), y/\n"
		 "map_rebuild_delay = 0\n",
		&err);
	const char *dir = t_tmpdir();

	T_OK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	T_EQ_INT(c->relay_lease, 5400);
	snprintf(want, sizeof(want), "%s/state", dir);
	T_EQ_STR(c->state_directory, want);
	snprintf(want, sizeof(want), "lmdb:%s/state/relay", dir);
	T_EQ_STR(c->relay_map, want);
	T_EQ_STR(c->log_sources[0], "file:/var/log/mail.log");
	snprintf(want, sizeof(want), "fifo:%s/pipe", dir);
	T_EQ_STR(c->log_sources[1], want);
	T_EQ_STR(c->log_sources[2], "stdin");
	T_OK(c->log_sources[3] == NULL);
	T_OK(config_list_has(c->login_protocols, "pop3"));
	T_OK(!config_list_has(c->login_protocols, "imap"));
	snprintf(want, sizeof(want), "file:%s/popauth.log", dir);
	T_EQ_STR(c->log_destination, want);
	T_EQ_STR(c->myhostname, "mx.example.org");
	T_EQ_INT(c->ncustom_patterns, 2);
	if (c->ncustom_patterns == 2) {
		T_EQ_STR(c->custom_patterns[0].text,
		    "login mypopd /^LOGIN (?<user>\\S+) from (?<ip>\\S+)$/");
		T_OK(strstr(c->custom_patterns[1].where, ":13") != NULL);
	}
	T_EQ_INT(c->map_rebuild_delay, 0);

	/* check-config output lists every key */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	config_print(c, f);
	fclose(f);
	for (const char *const *k = config_key_names(); *k; k++) {
		char needle[128];
		snprintf(needle, sizeof(needle), "\n%s =", *k);
		T_OK(strstr(buf, needle) != NULL ||
		    strncmp(buf, needle + 1, strlen(needle) - 1) == 0);
	}
	T_OK(strstr(buf, "relay_lease = 90m") != NULL);
	free(buf);
	config_free(c);
}

static void
test_overrides(void)
{
	char *err = NULL;
	char *o[] = {"postconf_path=/nonexistent", "relay_lease=2m",
	    "state_directory=/tmp/x"};
	struct config *c;

	t_write_file(cfgpath, "relay_lease = 1h\n");
	c = config_load(cfgpath, false, o, 3, &err);
	T_OK(c != NULL);
	if (c) {
		T_EQ_INT(c->relay_lease, 120);
		T_EQ_STR(c->pid_file, "/tmp/x/popauth.pid");
	}
	config_free(c);
	char *bad[] = {"relay_leas=2m"};
	T_OK(config_load(cfgpath, false, bad, 1, &err) == NULL);
	T_OK(err && strstr(err, "-o") && strstr(err, "relay_leas"));
	free(err);
	/* a missing optional default file is no error */
	err = NULL;
	c = config_load("/nonexistent/popauth.conf", true, o, 1, &err);
	T_OK(c != NULL);
	config_free(c);
	c = config_load("/nonexistent/popauth.conf", false, o, 1, &err);
	T_OK(c == NULL && err && strstr(err, "cannot open"));
	free(err);
}

static void
test_errors(void)
{
	char at[600];

	expect_error("unknown key", "relay_lease = 1h\nrelay_leas = 2h\n",
	    "unknown parameter \"relay_leas\" (did you mean relay_lease?)");
	snprintf(at, sizeof(at), "%s:2:", cfgpath);
	expect_error("unknown key names the line",
	    "relay_lease = 1h\nrelay_leas = 2h\n", at);
	expect_error("bad duration", "\n\nrelay_lease = 30 minutes\n",
	    "relay_lease: \"30 minutes\" is not a duration");
	snprintf(at, sizeof(at), "%s:3:", cfgpath);
	expect_error("bad duration names the line",
	    "\n\nrelay_lease = 30 minutes\n", at);
	expect_error("zero lease", "relay_lease = 0\n", "outside");
	expect_error(
	    "no equals", "relay_lease 30m\n", "expected \"name = value\"");
	expect_error("leading continuation", "  relay_lease = 30m\n",
	    "continuation line without a parameter");
	expect_error("bad map type", "relay_map = dbm:/etc/postfix/x\n",
	    "map type \"dbm\"");
	expect_error(
	    "bad source", "log_sources = tcp:514\n", "is not file:PATH");
	expect_error("no source", "log_sources =\n", "no source given");
	expect_error("bad level", "log_level = loud\n",
	    "\"loud\" is not one of debug, info, warning, error");
	expect_error("bad protocol", "login_protocols = pop3, smtp\n",
	    "\"smtp\" is not one of pop3, imap");
	expect_error("bad server", "login_servers = dovecot, nosuchd\n",
	    "no recogniser named \"nosuchd\"");
	expect_error("fish_threshold beyond the pairs kept",
	    "fish_threshold = 64\n", "is not a whole number in 1..63");
	expect_error("not a login server", "login_servers = dovecot, postfix\n",
	    "\"postfix\" is not a login server (it is always on)");
	expect_error("bad destination", "log_destination = console\n",
	    "is not syslog, stderr or file:PATH");
	expect_error("unknown reference", "state_directory = $nosuch/x\n",
	    "$nosuch: unknown parameter");
	expect_error("reference loop",
	    "state_directory = $pid_file\npid_file = $state_directory/p\n",
	    "nest too deep");
	/* what the firewall, the policy service, the control socket and
	 * the alert mail would refuse at their start, refused at load */
	expect_error("bad table name", "\nfirewall_table = pop-auth\n",
	    "popauth.conf:2: firewall_table: \"pop-auth\": letters, digits");
	expect_error("table too long for ipset",
	    "firewall = ipset\nfirewall_table = abcdefghijklmnopqrstuvwxyz\n",
	    "at most 24 characters for ipset");
	expect_error("bad policy address",
	    "policy_listen = inet:127.0.0.1:25, inet:localhost:25\n",
	    "policy_listen: \"inet:localhost:25\": not unix:/path");
	expect_error("policy port out of range",
	    "policy_listen = inet:[::1]:65536\n", "not unix:/path");
	expect_error("no such control group",
	    "control_group = no_such_group_here\n",
	    "control_group: no such group: no_such_group_here");
	expect_error("several control groups", "control_group = root daemon\n",
	    "one group, not several");
	expect_error("alert_to an option", "alert_to = -oQ/tmp\n",
	    "alert_to: \"-oQ/tmp\": one address");
}

int
main(void)
{
	snprintf(cfgpath, sizeof(cfgpath), "%s/popauth.conf", t_tmpdir());
	t_msg_capture();
	test_defaults();
	test_values();
	test_overrides();
	test_errors();
	/* setting a key twice: the last one counts, with a warning */
	char *err;
	struct config *c = load("relay_lease = 1h\nrelay_lease = 2h\n", &err);
	T_OK(c && c->relay_lease == 7200);
	T_OK(t_msg_has("relay_lease is set again"));
	config_free(c);
	return t_done();
}
