/*
 * config - popauth.conf: Postfix main.cf syntax, one table of keys.
 *
 * Syntax: "name = value" lines; a line that starts with white space
 * continues the previous one; "#" at the start of a line is a comment;
 * $name and ${name} expand to another key's value.  Relative paths in
 * the file are relative to the file's directory.  Unknown keys and bad
 * values are errors that name file and line.  Every key, its default and
 * its meaning is in the table in config.c, which also drives
 * `popauth check-config` and the checks against popauth.conf(5).
 */
#ifndef POPAUTH_CONFIG_H
#define POPAUTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/ipaddr.h"

#define CONFIG_DEFAULT_FILE "/etc/popauth/popauth.conf"

/* a value with where it came from, for error messages */
struct cfg_line {
	char *text;
	char *where; /* "file:line", "-o", or "default" */
};

struct config {
	char *file; /* the file read, or NULL */

	char *myhostname;
	char **log_sources; /* NULL terminated */
	char *log_start_position;
	char *state_directory;
	char *pid_file;
	char *relay_map; /* type:/path, type resolved */
	int64_t relay_lease;
	int64_t map_rebuild_delay;
	char **login_servers; /* recogniser names; {"all"} for all */
	char **login_protocols; /* "pop3", "imap" */
	struct cfg_line *custom_patterns;
	size_t ncustom_patterns;
	char *log_destination;
	char *log_level;
	char *postmap_path;
	char *postconf_path;

	/* the blacklist cache and its rules */
	char *blacklist_map; /* type:/path, type resolved */
	char *blacklist_reply; /* "554 text with {authority} and {reason}" */
	int64_t blacklist_expire;
	int64_t fish_expire;
	int64_t fish_threshold;
	double nullroute_freq;
	int64_t nullroute_total;
	int64_t nullroute_freq_ban;
	int64_t nullroute_total_ban;
	int64_t nullroute_fish_ban;
	int64_t login_grace;
	int64_t sasl_fail_threshold;
	int64_t login_fail_threshold;
	int64_t auth_fail_window;
	struct cidr *trusted_networks;
	size_t ntrusted_networks;

	/* null-routing */
	char *firewall; /* "nftables", "none" */
	int64_t firewall_refresh;
	char *firewall_table;
	int64_t firewall_ipv6_prefix;
	int64_t firewall_rule_position;
	char *control_socket;
	char **control_group; /* none: root and the daemon's user only */
	char **policy_listen; /* "unix:/path", "inet:host:port" */
	char **policy_relay_states;
	int64_t policy_idle_timeout;
	int64_t alert_threshold;
	char *alert_to;
	char *sendmail_path;
};

/* config_reply_prefix - the fixed start of the blacklist reply text (what
 * Postfix logs after "Client host rejected: "), into buf */
const char *
config_reply_prefix(const struct config *cfg, char *buf, size_t size);

/*
 * config_load - read `file' (NULL: defaults only; missing default file is
 * no error when `optional'), apply "-o name=value" overrides, validate.
 * Returns NULL and a message "file:line: ..." in *err (caller frees).
 */
struct config *config_load(const char *file, bool optional,
    char *const *overrides, size_t noverrides, char **err);
void config_free(struct config *cfg);

/* config_print - every key with its effective value, main.cf style */
void config_print(const struct config *cfg, FILE *out);

/* config_key_names - every key, NULL terminated (for docs checks) */
const char *const *config_key_names(void);

/* config_list_has - a list value contains s */
bool config_list_has(char *const *list, const char *s);

#endif
