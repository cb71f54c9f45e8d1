/*
 * config - popauth.conf: Postfix main.cf syntax, one table of keys.
 *
 * DESCRIPTION
 *	Reading is in three steps: the file is cut into logical lines
 *	(continuations joined, each remembering its line number) and each
 *	into name and raw value; "-o" overrides replace raw values; then
 *	every key of the table gets its raw value or default, $name
 *	references expanded, converted and checked by type.  Two defaults
 *	come from Postfix (postconf): myhostname, and the map type when a
 *	map is given without one (lmdb when Postfix supports it, else
 *	default_database_type).
 *
 * SECURITY
 *	The config file is trusted (root's), but still parsed strictly: no
 *	value is passed to a shell, and programs named here are run by
 *	fork/exec with an argv.
 *
 * DIAGNOSTICS
 *	Errors name the file and line ("popauth.conf:12: ...").
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/numparse.h"
#include "../lib/sbuf.h"
#include "../lib/spawn.h"
#include "../parse/recog.h"
#include "../policy/fishing.h"
#include "../sink/accessmap.h"
#include "../sink/alertmail.h"
#include "../sink/firewall.h"
#include "config.h"
#include "policyd.h"

enum cfg_type {
	T_STR, /* free text */
	T_WORD, /* one of `choices' */
	T_PATH, /* absolute after resolution */
	T_MAP, /* [type:]path */
	T_LIST, /* comma and/or blank separated words */
	T_LINES, /* one entry per physical line */
	T_DURATION, /* Postfix-style units */
	T_LOGDEST, /* syslog | stderr | file:PATH */
	T_UINT, /* a whole number in [min, max] */
	T_RATE, /* a decimal number > 0 (per second) */
	T_NETS, /* CIDR networks, Postfix mynetworks style */
	T_REPLY, /* an access-map reject: "5xx text" */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *def; /* NULL: computed (see default_of) */
	size_t off;
	int64_t min, max; /* durations */
	const char *const *choices;
	const char *doc;
};

static const char *const levels[] = {"debug", "info", "warning", "error", NULL};
static const char *const positions[] = {"end", "start", NULL};
static const char *const protos[] = {"pop3", "imap", NULL};

#define OFF(f) offsetof(struct config, f)

/* the table: every key popauth knows, with its default */
static const struct cfg_key keys[] = {
    {"myhostname", T_STR, NULL, OFF(myhostname), 0, 0, NULL,
	"this host's name (default: Postfix's myhostname)"},
    {"log_sources", T_LIST, "file:/var/log/mail.log", OFF(log_sources), 0, 0,
	NULL, "where log lines come from"},
    {"log_start_position", T_WORD, "end", OFF(log_start_position), 0, 0,
	positions, "where to start in a log file seen for the first time"},
    {"state_directory", T_PATH, "/var/lib/popauth", OFF(state_directory), 0, 0,
	NULL, "directory of the state database"},
    {"pid_file", T_PATH, "$state_directory/popauth.pid", OFF(pid_file), 0, 0,
	NULL, "PID file, locked while the daemon runs"},
    {"relay_map", T_MAP, "/etc/postfix/popauth_checks", OFF(relay_map), 0, 0,
	NULL, "Postfix access map of IPs that may relay"},
    {"relay_lease", T_DURATION, "30m", OFF(relay_lease), 1, 366LL * 86400, NULL,
	"relay lease after the latest login"},
    {"map_rebuild_delay", T_DURATION, "1s", OFF(map_rebuild_delay), 0, 3600,
	NULL, "least time between two rebuilds of a map"},
    {"login_servers", T_LIST, "all", OFF(login_servers), 0, 0, NULL,
	"POP/IMAP servers whose logins count"},
    {"login_protocols", T_LIST, "pop3, imap", OFF(login_protocols), 0, 0,
	protos, "login protocols that grant relay"},
    {"custom_patterns", T_LINES, "", OFF(custom_patterns), 0, 0, NULL,
	"admin patterns: kind program /regex/"},
    {"log_destination", T_LOGDEST, "syslog", OFF(log_destination), 0, 0, NULL,
	"syslog, stderr or file:PATH"},
    {"log_level", T_WORD, "info", OFF(log_level), 0, 0, levels,
	"least level logged"},
    {"postmap_path", T_STR, "postmap", OFF(postmap_path), 0, 0, NULL,
	"postmap program"},
    {"postconf_path", T_STR, "postconf", OFF(postconf_path), 0, 0, NULL,
	"postconf program"},
    {"blacklist_map", T_MAP, "/etc/postfix/rbl_checks", OFF(blacklist_map), 0,
	0, NULL, "Postfix access map of blacklisted IPs"},
    {"blacklist_reply", T_REPLY,
	"554 Your IP address has been blacklisted by {authority}. Visit their "
	"website or write to argue. {reason}",
	OFF(blacklist_reply), 0, 0, NULL, "the reject reply in that map"},
    {"blacklist_expire", T_DURATION, "90d", OFF(blacklist_expire), 1,
	10LL * 366 * 86400, NULL,
	"keep a record this long after its last hit or ban end"},
    {"fish_expire", T_DURATION, "3d", OFF(fish_expire), 1, 366LL * 86400, NULL,
	"forget unknown recipients after this much silence"},
    /* at most FISH_MAX_PAIRS pairs are kept per IP: more could never
     * be counted */
    {"fish_threshold", T_UINT, "5", OFF(fish_threshold), 1, FISH_MAX_PAIRS - 1,
	NULL,
	"more distinct unknown recipient/sender pairs than this is fishing"},
    {"nullroute_freq", T_RATE, "0.03333333", OFF(nullroute_freq), 0, 0, NULL,
	"hits per second above which a blacklisted IP is banned"},
    {"nullroute_total", T_UINT, "50", OFF(nullroute_total), 1, 1000000000, NULL,
	"more hits than this in all: the long ban"},
    {"nullroute_freq_ban", T_DURATION, "30m", OFF(nullroute_freq_ban), 1,
	366LL * 86400, NULL, "ban for a blacklisted IP coming back too fast"},
    {"nullroute_total_ban", T_DURATION, "1w", OFF(nullroute_total_ban), 1,
	366LL * 86400, NULL, "ban for a blacklisted IP coming back too often"},
    {"nullroute_fish_ban", T_DURATION, "1w", OFF(nullroute_fish_ban), 0,
	366LL * 86400, NULL, "ban for an address fisher"},
    {"login_grace", T_DURATION, "10m", OFF(login_grace), 0, 86400, NULL,
	"a login clears popauth's own blacklisting of its IP this recent"},
    {"sasl_fail_threshold", T_UINT, "5", OFF(sasl_fail_threshold), 0, 1000000,
	NULL, "more failed SMTP AUTHs than this in the window: listed"},
    {"login_fail_threshold", T_UINT, "5", OFF(login_fail_threshold), 0, 1000000,
	NULL, "more failed POP3/IMAP logins than this: listed"},
    {"auth_fail_window", T_DURATION, "10m", OFF(auth_fail_window), 1,
	366LL * 86400, NULL, "the window failed authentications count in"},
    {"trusted_networks", T_NETS, NULL, OFF(trusted_networks), 0, 0, NULL,
	"never blacklisted (default: Postfix's mynetworks)"},
    {"firewall", T_WORD, "nftables", OFF(firewall), 0, 0, fw_backends,
	"where bans are put in place: nftables, ipset, iptables-script or "
	"none"},
    {"firewall_refresh", T_DURATION, "10m", OFF(firewall_refresh), 1, 86400,
	NULL, "rebuild popauth's firewall table from the state this often"},
    {"firewall_table", T_STR, "popauth", OFF(firewall_table), 0, 0, NULL,
	"popauth's nftables table (inet family)"},
    {"firewall_ipv6_prefix", T_UINT, "128", OFF(firewall_ipv6_prefix), 1, 128,
	NULL, "ban IPv6 clients by this prefix length"},
    {"firewall_rule_position", T_UINT, "1", OFF(firewall_rule_position), 1,
	10000, NULL,
	"ipset, iptables-script: where popauth's rules go in INPUT"},
    {"control_socket", T_PATH, "$state_directory/popauth.ctl",
	OFF(control_socket), 0, 0, NULL,
	"the admin commands' line to the running daemon"},
    {"control_group", T_LIST, "", OFF(control_group), 0, 0, NULL,
	"a group whose members may use the control socket too"},
    {"policy_listen", T_LIST, "", OFF(policy_listen), 0, 0, NULL,
	"answer Postfix's check_policy_service here: unix:/path, "
	"inet:127.0.0.1:port (empty: off)"},
    {"policy_relay_states", T_LIST, "RCPT", OFF(policy_relay_states), 0, 0,
	NULL, "protocol states in which a relay lease gets action=OK"},
    {"policy_idle_timeout", T_DURATION, "10m", OFF(policy_idle_timeout), 1,
	86400, NULL, "close a policy connection silent this long"},
    {"alert_threshold", T_UINT, "25", OFF(alert_threshold), 0, 1000000000, NULL,
	"mail alert_to once per ban of an IP with this many hits (0: "
	"never)"},
    {"alert_to", T_STR, "root", OFF(alert_to), 0, 0, NULL,
	"who gets the alert mail"},
    {"sendmail_path", T_STR, "/usr/sbin/sendmail", OFF(sendmail_path), 0, 0,
	NULL, "sendmail program (Postfix's)"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *const *
config_key_names(void)
{
	static const char *names[NKEYS + 1];

	for (size_t i = 0; i < NKEYS; i++)
		names[i] = keys[i].name;
	return names;
}

/* raw values as read, per key */
struct raw {
	char *value; /* logical line value (NULL: not set) */
	char *where; /* file:line of the start */
	char *dir; /* directory for relative paths, NULL: cwd */
	struct cfg_line *lines; /* physical lines, for T_LINES */
	size_t nlines;
};

struct loader {
	struct raw raw[NKEYS];
	char *err;
	/* what postconf told us, fetched once when needed */
	bool probed, probed_types;
	char *pf_hostname;
	char *pf_dbtype;
	char *pf_mynetworks;
	bool pf_lmdb;
	char *postconf;
	int depth;
};

static void set_err(struct loader *ld, const char *where, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

static void
set_err(struct loader *ld, const char *where, const char *fmt, ...)
{
	struct sbuf b = SBUF_INIT;
	char tmp[2048];
	va_list ap;

	if (ld->err)
		return;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sbuf_printf(&b, "%s: %s", where, tmp);
	ld->err = sbuf_detach(&b);
}

static char *absolute(const char *path, const char *dir);

static int
key_index(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len &&
		    memcmp(keys[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* distance - edit distance, for "did you mean" (short strings only) */
static size_t
distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t d = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

static const char *
suggest(const char *name, size_t len)
{
	const char *best = NULL;
	size_t bd = 3;

	for (size_t i = 0; i < NKEYS; i++) {
		size_t d = distance(name, len, keys[i].name);
		if (d < bd) {
			bd = d;
			best = keys[i].name;
		}
	}
	return best;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *
trim(char *s)
{
	char *e = s + strlen(s);

	while (is_blank(*s))
		s++;
	while (e > s && (is_blank(e[-1]) || e[-1] == '\r' || e[-1] == '\n'))
		*--e = 0;
	return s;
}

static void
raw_clear(struct raw *r)
{
	free(r->value);
	free(r->where);
	free(r->dir);
	for (size_t i = 0; i < r->nlines; i++) {
		free(r->lines[i].text);
		free(r->lines[i].where);
	}
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

static char *
where_of(const char *file, unsigned line)
{
	return xstrfmt("%s:%u", file, line);
}

/* raw_add_line - one physical line of a T_LINES value */
static void
raw_add_line(struct raw *r, const char *text, const char *where)
{
	if (*text == 0)
		return;
	r->lines = xreallocarray(r->lines, r->nlines + 1, sizeof(*r->lines));
	r->lines[r->nlines].text = xstrdup(text);
	r->lines[r->nlines].where = xstrdup(where);
	r->nlines++;
}

/* read_file - cut the file into name = value settings */
static void
read_file(struct loader *ld, const char *file, FILE *fp)
{
	char *line = NULL, *dir = xstrdup(file), *slash;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int cur = -1; /* key of the logical line being continued */
	struct sbuf val = SBUF_INIT;

	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = 0;
	else
		strcpy(dir, ".");
	/* relative paths in the file are relative to its directory */
	if (dir[0] != '/') {
		char *abs = absolute(strcmp(dir, ".") == 0 ? "" : dir, NULL);
		size_t n = strlen(abs);
		if (n > 1 && abs[n - 1] == '/')
			abs[n - 1] = 0;
		free(dir);
		dir = abs;
	}
	while ((len = getline(&line, &cap, fp)) >= 0 && !ld->err) {
		char *s, wh[64];

		lineno++;
		snprintf(wh, sizeof(wh), "%u", lineno);
		if (memchr(line, 0, (size_t)len)) {
			set_err(ld, where_of(file, lineno), "NUL byte in line");
			break;
		}
		s = trim(line);
		if (*s == '#' || *s == 0) {
			/* comments and blank lines end nothing (Postfix) */
			continue;
		}
		if (is_blank(line[0])) {
			if (cur < 0) {
				char *w = where_of(file, lineno);
				set_err(ld, w,
				    "continuation line without a parameter "
				    "before it");
				free(w);
				break;
			}
			char *w = where_of(file, lineno);
			raw_add_line(&ld->raw[cur], s, w);
			free(w);
			sbuf_addc(&val, ' ');
			sbuf_adds(&val, s);
			free(ld->raw[cur].value);
			ld->raw[cur].value = xstrdup(val.s);
			continue;
		}
		char *eq = strchr(s, '=');
		char *name_end = s;
		while (*name_end && !is_blank(*name_end) && *name_end != '=')
			name_end++;
		if (eq == NULL || name_end == s) {
			char *w = where_of(file, lineno);
			set_err(ld, w, "expected \"name = value\"");
			free(w);
			break;
		}
		for (char *p = name_end; p < eq; p++)
			if (!is_blank(*p)) {
				char *w = where_of(file, lineno);
				set_err(ld, w, "expected \"name = value\"");
				free(w);
				goto out;
			}
		int k = key_index(s, (size_t)(name_end - s));
		if (k < 0) {
			const char *sug = suggest(s, (size_t)(name_end - s));
			char *w = where_of(file, lineno);
			set_err(ld, w, "unknown parameter \"%s\"%s%s%s",
			    esc((struct span){s, (size_t)(name_end - s)}),
			    sug ? " (did you mean " : "", sug ? sug : "",
			    sug ? "?)" : "");
			free(w);
			break;
		}
		if (ld->raw[k].value != NULL)
			msg_warn(
			    "%s:%u: %s is set again; the last setting counts "
			    "(as in Postfix)",
			    file, lineno, keys[k].name);
		raw_clear(&ld->raw[k]);
		cur = k;
		char *v = trim(eq + 1);
		sbuf_reset(&val);
		sbuf_adds(&val, v);
		ld->raw[k].value = xstrdup(v);
		ld->raw[k].where = where_of(file, lineno);
		ld->raw[k].dir = xstrdup(dir);
		char *w = where_of(file, lineno);
		raw_add_line(&ld->raw[k], v, w);
		free(w);
	}
out:
	sbuf_free(&val);
	free(line);
	free(dir);
}

/* probe_postfix - ask postconf for the parameters popauth's defaults
 * come from, once */
static void
probe_postfix(struct loader *ld)
{
	char *argv[] = {ld->postconf, "-h", "myhostname",
	    "default_database_type", "mynetworks", NULL};
	struct spawn_result r;

	if (ld->probed)
		return;
	ld->probed = true;
	if (spawn_sync(argv, NULL, 0, 10000, &r) == 0 && spawn_ok(&r)) {
		char *save, *h = strtok_r(r.out.s, "\n", &save);
		char *t = h ? strtok_r(NULL, "\n", &save) : NULL;
		char *n = t ? strtok_r(NULL, "\n", &save) : NULL;
		if (h && *h)
			ld->pf_hostname = xstrdup(h);
		if (t && *t)
			ld->pf_dbtype = xstrdup(t);
		if (n && *n)
			ld->pf_mynetworks = xstrdup(n);
	}
	spawn_result_free(&r);
}

/* probe_types - ask postconf for its map types, once (only a map given
 * without a type needs them) */
static void
probe_types(struct loader *ld)
{
	char *argv[] = {ld->postconf, "-m", NULL};
	struct spawn_result r;

	if (ld->probed_types)
		return;
	ld->probed_types = true;
	if (spawn_sync(argv, NULL, 0, 10000, &r) == 0 && spawn_ok(&r)) {
		for (char *save, *t = strtok_r(r.out.s, "\n", &save); t;
		     t = strtok_r(NULL, "\n", &save))
			if (strcmp(t, "lmdb") == 0)
				ld->pf_lmdb = true;
	}
	spawn_result_free(&r);
}

static const char *
default_map_type(struct loader *ld)
{
	probe_types(ld);
	if (ld->pf_lmdb)
		return "lmdb";
	probe_postfix(ld);
	return ld->pf_dbtype ? ld->pf_dbtype : "hash";
}

/* computed_default - defaults that depend on the host */
static char *
computed_default(struct loader *ld, const struct cfg_key *k)
{
	char host[256];

	if (strcmp(k->name, "myhostname") == 0) {
		probe_postfix(ld);
		if (ld->pf_hostname)
			return xstrdup(ld->pf_hostname);
		if (gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = 0;
			return xstrdup(host);
		}
		return xstrdup("localhost");
	}
	if (strcmp(k->name, "trusted_networks") == 0) {
		probe_postfix(ld);
		return xstrdup(ld->pf_mynetworks ? ld->pf_mynetworks
						 : "127.0.0.0/8, [::1]/128");
	}
	msg_panic("config: no default for %s", k->name);
}

static char *value_of(struct loader *ld, int k, const char **where);

/* expand - replace $name and ${name} with the keys' values */
static char *
expand(struct loader *ld, const char *s, const char *where)
{
	struct sbuf b = SBUF_INIT;

	if (++ld->depth > 20) {
		set_err(ld, where, "$name references nest too deep (a loop?)");
		ld->depth--;
		return xstrdup("");
	}
	while (*s) {
		if (*s != '$') {
			sbuf_addc(&b, *s++);
			continue;
		}
		const char *n = s + 1, *e;
		bool brace = *n == '{';
		if (brace)
			n++;
		e = n;
		while ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') ||
		    *e == '_')
			e++;
		if (e == n || (brace && *e != '}')) {
			set_err(
			    ld, where, "bad $ reference in \"%s\"", escs(s));
			break;
		}
		int k = key_index(n, (size_t)(e - n));
		if (k < 0) {
			set_err(ld, where, "$%.*s: unknown parameter",
			    (int)(e - n), n);
			break;
		}
		const char *w;
		char *v = value_of(ld, k, &w);
		if (keys[k].type == T_PATH && *v) {
			/* a path expands to its resolved, absolute form */
			char *abs = absolute(
			    v, ld->raw[k].value ? ld->raw[k].dir : NULL);
			free(v);
			v = abs;
		}
		sbuf_adds(&b, v);
		free(v);
		s = brace ? e + 1 : e;
	}
	ld->depth--;
	return sbuf_detach(&b);
}

/* value_of - the expanded text of key k (caller frees) */
static char *
value_of(struct loader *ld, int k, const char **where)
{
	const struct cfg_key *key = &keys[k];
	struct raw *r = &ld->raw[k];

	if (r->value != NULL) {
		*where = r->where;
		return expand(ld, r->value, r->where);
	}
	*where = "default";
	if (key->def == NULL)
		return computed_default(ld, key);
	return expand(ld, key->def, "default");
}

/* split_list - words separated by commas and/or blanks */
static char **
split_list(const char *s)
{
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;

	while (*s) {
		while (*s == ',' || is_blank(*s))
			s++;
		const char *e = s;
		while (*e && *e != ',' && !is_blank(*e))
			e++;
		if (e > s) {
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = xstrndup(s, (size_t)(e - s));
			v[n] = NULL;
		}
		s = e;
	}
	return v;
}

static void
free_list(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

bool
config_list_has(char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* absolute - make a path absolute against dir (or the cwd) */
static char *
absolute(const char *path, const char *dir)
{
	char cwd[PATH_MAX];
	struct sbuf b = SBUF_INIT;

	if (path[0] == '/')
		return xstrdup(path);
	if (dir == NULL) {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			strcpy(cwd, ".");
		dir = cwd;
	}
	sbuf_printf(&b, "%s/%s", dir, path);
	return sbuf_detach(&b);
}

static bool
choice_ok(const struct cfg_key *k, const char *v)
{
	for (int i = 0; k->choices[i]; i++)
		if (strcmp(k->choices[i], v) == 0)
			return true;
	return false;
}

static void
choices_text(const struct cfg_key *k, struct sbuf *b)
{
	for (int i = 0; k->choices[i]; i++)
		sbuf_printf(b, "%s%s", i ? ", " : "", k->choices[i]);
}

/* convert_source - check one log_sources item, resolve its path */
static char *
convert_source(
    struct loader *ld, const char *item, const char *dir, const char *where)
{
	static const char *const prefixes[] = {"file:", "fifo:", NULL};
	struct sbuf b = SBUF_INIT;

	if (strcmp(item, "stdin") == 0 || strcmp(item, "journal") == 0)
		return xstrdup(item);
	if (strncmp(item, "journal:", 8) == 0) {
		char *p = absolute(item + 8, dir);
		sbuf_printf(&b, "journal:%s", p);
		free(p);
		return sbuf_detach(&b);
	}
	for (int i = 0; prefixes[i]; i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(item, prefixes[i], n) == 0 && item[n]) {
			char *p = absolute(item + n, dir);
			sbuf_printf(&b, "%s%s", prefixes[i], p);
			free(p);
			return sbuf_detach(&b);
		}
	}
	set_err(ld, where,
	    "log_sources: \"%s\" is not file:PATH, fifo:PATH, stdin, journal "
	    "or journal:DIR",
	    escs(item));
	return NULL;
}

/* convert_nets - trusted_networks: CIDR networks, as Postfix's
 * mynetworks writes them ("[::1]/128" included); what is not a network
 * (a map, a host name) is an error in the config, and skipped with a
 * warning when it came from Postfix's mynetworks */
static void
convert_nets(
    struct loader *ld, struct config *cfg, const char *v, const char *where)
{
	char **list = split_list(v);
	bool from_postfix = strcmp(where, "default") == 0;
	size_t n = 0;

	for (char **p = list; *p; p++)
		n++;
	cfg->trusted_networks = xcalloc(n + 1, sizeof(struct cidr));
	for (char **p = list; *p && !ld->err; p++) {
		struct cidr c;
		if (cidr_parse(&c, *p, strlen(*p), true)) {
			cfg->trusted_networks[cfg->ntrusted_networks++] = c;
		} else if (from_postfix) {
			msg_warn("trusted_networks: Postfix's mynetworks item "
				 "\"%s\" is not a network; skipped (set "
				 "trusted_networks to say what you mean)",
			    escs(*p));
		} else {
			set_err(ld, where,
			    "trusted_networks: \"%s\" is not an address or a "
			    "network (e.g. 192.0.2.0/24, [2001:db8::]/32)",
			    escs(*p));
		}
	}
	free_list(list);
}

/* reply_ok - a reject reply for an access map: a 4xx or 5xx code, a text
 * with a fixed start (what tells its rejects in the log apart), and only
 * the placeholders {authority} and {reason} */
static bool
reply_ok(struct loader *ld, const struct cfg_key *key, const char *v,
    const char *where)
{
	const char *brace = strchr(v, '{');

	if (!((v[0] == '4' || v[0] == '5') && v[1] >= '0' && v[1] <= '9' &&
		v[2] >= '0' && v[2] <= '9' && v[3] == ' ')) {
		set_err(ld, where,
		    "%s: must start with a 4xx or 5xx code and a "
		    "blank (\"554 ...\")",
		    key->name);
		return false;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			set_err(
			    ld, where, "%s: printable ASCII only", key->name);
			return false;
		}
	if (brace == NULL || brace - (v + 4) < 8) {
		set_err(ld, where,
		    "%s: the text must start with at least 8 fixed "
		    "characters before a {placeholder} (popauth knows its own "
		    "rejects in the log by them)",
		    key->name);
		return false;
	}
	for (const char *p = brace; p != NULL; p = strchr(p + 1, '{'))
		if (strncmp(p, "{authority}", 11) != 0 &&
		    strncmp(p, "{reason}", 8) != 0) {
			set_err(ld, where,
			    "%s: unknown placeholder at \"%.20s\" "
			    "(there are {authority} and {reason})",
			    key->name, escs(p));
			return false;
		}
	return true;
}

const char *
config_reply_prefix(const struct config *cfg, char *buf, size_t size)
{
	const char *text = cfg->blacklist_reply + 4;
	const char *brace = strchr(text, '{');
	size_t n = brace ? (size_t)(brace - text) : strlen(text);

	snprintf(buf, size, "%.*s", (int)n, text);
	return buf;
}

/* convert - key k's value into the config struct */
static void
convert(struct loader *ld, struct config *cfg, int k)
{
	const struct cfg_key *key = &keys[k];
	struct raw *r = &ld->raw[k];
	void *field = (char *)cfg + key->off;
	const char *where;
	const char *dir = r->value ? r->dir : NULL;
	struct sbuf b = SBUF_INIT;
	char *v;

	if (key->type == T_LINES) {
		/* regexes: a '$' is an anchor, not a reference */
		if (r->value == NULL)
			return;
		cfg->custom_patterns =
		    xcalloc(r->nlines + 1, sizeof(*cfg->custom_patterns));
		for (size_t i = 0; i < r->nlines; i++) {
			cfg->custom_patterns[i].text =
			    xstrdup(r->lines[i].text);
			cfg->custom_patterns[i].where =
			    xstrdup(r->lines[i].where);
		}
		cfg->ncustom_patterns = r->nlines;
		return;
	}
	v = value_of(ld, k, &where);

	switch (key->type) {
	case T_STR:
		if (*v == 0) {
			set_err(ld, where, "%s must not be empty", key->name);
			break;
		}
		*(char **)field = v;
		return;
	case T_WORD:
		if (!choice_ok(key, v)) {
			choices_text(key, &b);
			set_err(ld, where, "%s: \"%s\" is not one of %s",
			    key->name, escs(v), b.s);
			break;
		}
		*(char **)field = v;
		return;
	case T_PATH:
		if (*v == 0) {
			set_err(ld, where, "%s must not be empty", key->name);
			break;
		}
		*(char **)field = absolute(v, dir);
		break;
	case T_MAP: {
		const char *colon = strchr(v, ':');
		const char *type, *path;
		size_t tlen;
		if (colon && colon != v && v[0] != '/' && v[0] != '.') {
			type = v;
			tlen = (size_t)(colon - v);
			path = colon + 1;
		} else {
			type = default_map_type(ld);
			tlen = strlen(type);
			path = v;
		}
		if (!accessmap_type_ok(type, tlen)) {
			set_err(ld, where,
			    "%s: map type \"%.*s\" is not hash, btree, lmdb or "
			    "cdb",
			    key->name, (int)tlen, type);
			break;
		}
		if (*path == 0) {
			set_err(ld, where, "%s: no path", key->name);
			break;
		}
		char *abs = absolute(path, dir);
		sbuf_printf(&b, "%.*s:%s", (int)tlen, type, abs);
		free(abs);
		*(char **)field = sbuf_detach(&b);
		break;
	}
	case T_LIST: {
		char **list = split_list(v);
		if (list[0] == NULL && k == key_index("log_sources", 11)) {
			set_err(ld, where, "log_sources: no source given");
			free_list(list);
			break;
		}
		for (char **p = list; *p && !ld->err; p++) {
			if (key->choices && !choice_ok(key, *p)) {
				choices_text(key, &b);
				set_err(ld, where,
				    "%s: \"%s\" is not one of %s", key->name,
				    escs(*p), b.s);
			} else if (strcmp(key->name, "log_sources") == 0) {
				char *s = convert_source(ld, *p, dir, where);
				if (s) {
					free(*p);
					*p = s;
				}
			} else if (strcmp(key->name, "login_servers") == 0 &&
			    strcmp(*p, "all") != 0) {
				const struct recog *rc = recog_find(*p);

				if (rc == NULL)
					set_err(ld, where,
					    "login_servers: no recogniser "
					    "named \"%s\" (see popauth(8))",
					    escs(*p));
				else if (!rc->login)
					set_err(ld, where,
					    "login_servers: \"%s\" is not a "
					    "login server (it is always on)",
					    escs(*p));
			}
		}
		*(char ***)field = list;
		break;
	}
	case T_LINES:
		break;
	case T_DURATION: {
		int64_t secs;
		char lo[32], hi[32];
		if (!dur_parse(v, &secs)) {
			set_err(ld, where,
			    "%s: \"%s\" is not a duration (e.g. 30s, 30m, 1h, "
			    "90d, "
			    "1w)",
			    key->name, escs(v));
			break;
		}
		if (secs < key->min || secs > key->max) {
			set_err(ld, where, "%s: %s is outside %s..%s",
			    key->name, escs(v),
			    dur_fmt_short(key->min, lo, sizeof(lo)),
			    dur_fmt_short(key->max, hi, sizeof(hi)));
			break;
		}
		*(int64_t *)field = secs;
		break;
	}
	case T_LOGDEST:
		if (strcmp(v, "syslog") == 0 || strcmp(v, "stderr") == 0) {
			*(char **)field = v;
			return;
		}
		if (strncmp(v, "file:", 5) == 0 && v[5]) {
			char *abs = absolute(v + 5, dir);
			sbuf_printf(&b, "file:%s", abs);
			free(abs);
			*(char **)field = sbuf_detach(&b);
			break;
		}
		set_err(ld, where,
		    "log_destination: \"%s\" is not syslog, stderr or "
		    "file:PATH",
		    escs(v));
		break;
	case T_UINT: {
		int64_t n;
		if (!num_parse_i64(v, key->min, key->max, &n)) {
			set_err(ld, where,
			    "%s: \"%s\" is not a whole number in "
			    "%lld..%lld",
			    key->name, escs(v), (long long)key->min,
			    (long long)key->max);
			break;
		}
		*(int64_t *)field = n;
		break;
	}
	case T_RATE: {
		double d;
		if (!num_parse_double(v, 1e-9, 1e9, &d)) {
			set_err(ld, where,
			    "%s: \"%s\" is not a positive decimal number",
			    key->name, escs(v));
			break;
		}
		*(double *)field = d;
		break;
	}
	case T_NETS:
		convert_nets(ld, cfg, v, where);
		break;
	case T_REPLY:
		if (reply_ok(ld, key, v, where)) {
			*(char **)field = v;
			return;
		}
		break;
	}
	sbuf_free(&b);
	free(v);
}

/* key_where - where the key got its value ("default" if nowhere) */
static const char *
key_where(const struct loader *ld, const char *name)
{
	int k = key_index(name, strlen(name));

	return ld->raw[k].where ? ld->raw[k].where : "default";
}

/*
 * check_services - what the firewall, the alert mail and the control
 * socket would refuse when they start, refused here, naming the line:
 * so that check-config tells, and a reload keeps the old configuration
 * instead of half of the new one.
 */
static void
check_services(struct loader *ld, const struct config *cfg)
{
	const char *why =
	    fw_table_check(fw_backend_of(cfg->firewall), cfg->firewall_table);

	if (why != NULL)
		set_err(ld, key_where(ld, "firewall_table"),
		    "firewall_table: \"%s\": %s", escs(cfg->firewall_table),
		    why);
	if (!alertmail_to_ok(cfg->alert_to))
		set_err(ld, key_where(ld, "alert_to"),
		    "alert_to: \"%s\": one address, printable, no blank, not "
		    "starting with '-'",
		    escs(cfg->alert_to));
	for (char *const *p = cfg->policy_listen; p && *p; p++)
		if (!policyd_address_ok(*p))
			set_err(ld, key_where(ld, "policy_listen"),
			    "policy_listen: \"%s\": not unix:/path, "
			    "inet:ADDRESS:PORT or inet:[IPV6]:PORT",
			    escs(*p));
	if (cfg->control_group && cfg->control_group[0]) {
		if (cfg->control_group[1] != NULL)
			set_err(ld, key_where(ld, "control_group"),
			    "control_group: one group, not several");
		else if (getgrnam(cfg->control_group[0]) == NULL)
			set_err(ld, key_where(ld, "control_group"),
			    "control_group: no such group: %s",
			    escs(cfg->control_group[0]));
	}
}

/* apply_override - one "-o name=value" */
static void
apply_override(struct loader *ld, const char *o)
{
	const char *eq = strchr(o, '=');
	int k;

	if (eq == NULL || eq == o) {
		set_err(ld, "-o", "\"%s\" is not name=value", escs(o));
		return;
	}
	k = key_index(o, (size_t)(eq - o));
	if (k < 0) {
		set_err(
		    ld, "-o", "unknown parameter \"%.*s\"", (int)(eq - o), o);
		return;
	}
	raw_clear(&ld->raw[k]);
	ld->raw[k].value = xstrdup(eq + 1);
	ld->raw[k].where = xstrdup("-o");
	raw_add_line(&ld->raw[k], eq + 1, "-o");
}

struct config *
config_load(const char *file, bool optional, char *const *overrides,
    size_t noverrides, char **err)
{
	struct loader ld;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	FILE *fp = NULL;

	memset(&ld, 0, sizeof(ld));
	if (file != NULL) {
		if ((fp = fopen(file, "re")) == NULL) {
			if (!(optional && errno == ENOENT)) {
				struct sbuf b = SBUF_INIT;
				sbuf_printf(&b, "%s: cannot open: %s", file,
				    strerror(errno));
				*err = sbuf_detach(&b);
				free(cfg);
				return NULL;
			}
		} else {
			cfg->file = xstrdup(file);
			read_file(&ld, file, fp);
			fclose(fp);
		}
	}
	for (size_t i = 0; i < noverrides && !ld.err; i++)
		apply_override(&ld, overrides[i]);
	/* postconf_path first: the computed defaults need it */
	if (!ld.err) {
		const char *w;
		ld.postconf = value_of(&ld, key_index("postconf_path", 13), &w);
	}
	for (size_t k = 0; k < NKEYS && !ld.err; k++)
		convert(&ld, cfg, (int)k);
	if (!ld.err)
		check_services(&ld, cfg);
	for (size_t k = 0; k < NKEYS; k++)
		raw_clear(&ld.raw[k]);
	free(ld.pf_hostname);
	free(ld.pf_dbtype);
	free(ld.pf_mynetworks);
	free(ld.postconf);
	if (ld.err) {
		*err = ld.err;
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t k = 0; k < NKEYS; k++) {
		void *field = (char *)cfg + keys[k].off;
		switch (keys[k].type) {
		case T_LIST:
			free_list(*(char ***)field);
			break;
		case T_LINES:
		case T_DURATION:
		case T_UINT:
		case T_RATE:
			break;
		case T_NETS:
			free(cfg->trusted_networks);
			break;
		default:
			free(*(char **)field);
			break;
		}
	}
	for (size_t i = 0; i < cfg->ncustom_patterns; i++) {
		free(cfg->custom_patterns[i].text);
		free(cfg->custom_patterns[i].where);
	}
	free(cfg->custom_patterns);
	free(cfg->file);
	free(cfg);
}

void
config_print(const struct config *cfg, FILE *out)
{
	char buf[64];

	for (size_t k = 0; k < NKEYS; k++) {
		const void *field = (const char *)cfg + keys[k].off;
		fprintf(out, "%s =", keys[k].name);
		switch (keys[k].type) {
		case T_LIST:
			for (char *const *p = *(char *const *const *)field;
			     p && *p; p++)
				fprintf(out, "%s%s",
				    p == *(char *const *const *)field ? " "
								      : ", ",
				    *p);
			break;
		case T_LINES:
			for (size_t i = 0; i < cfg->ncustom_patterns; i++)
				fprintf(out, "\n    %s",
				    cfg->custom_patterns[i].text);
			break;
		case T_DURATION:
			fprintf(out, " %s",
			    dur_fmt_short(
				*(const int64_t *)field, buf, sizeof(buf)));
			break;
		case T_UINT:
			fprintf(
			    out, " %lld", (long long)*(const int64_t *)field);
			break;
		case T_RATE:
			fprintf(out, " %.10g", *(const double *)field);
			break;
		case T_NETS:
			for (size_t i = 0; i < cfg->ntrusted_networks; i++) {
				const struct cidr *c =
				    &cfg->trusted_networks[i];
				fprintf(out, "%s%s%s%s/%u", i ? ", " : " ",
				    c->net.af == 6 ? "[" : "",
				    ipaddr_str(&c->net),
				    c->net.af == 6 ? "]" : "", c->plen);
			}
			break;
		default:
			fprintf(out, " %s", *(char *const *)field);
			break;
		}
		fputc('\n', out);
	}
}
