/*
 * firewall - popauth's bans in nftables (see firewall.h).
 *
 * DESCRIPTION
 *	Scripts in nft's language go to libnftables in a worker thread with
 *	a context of its own, one at a time; what is decided meanwhile waits
 *	and goes in the next script.  A ban is "add; delete; add with
 *	timeout" of its element: the first add makes the delete succeed
 *	whether the element was there or not, and a script is one
 *	transaction, so the element never goes missing.  A resync is "add
 *	table; delete table; table {...}" in one transaction: popauth's
 *	table is replaced whole, nothing else is touched, and there is no
 *	moment without the bans.  An unban is "add; delete" of its
 *	element.
 *
 *	A failed run (not root, no nf_tables in the kernel) is logged with
 *	what nftables (ipset, iptables) said and answered by a resync after
 *	a back-off (1 s doubling to 60 s): the engine's list is the truth,
 *	and a resync puts all of it in whatever state the table was left.
 *
 *	fw_remove takes popauth's objects out (the table; the sets and
 *	their INPUT rules; the chain and the jumps to it) when a reload
 *	moves the bans elsewhere.  Stopping popauth does not: bans outlive
 *	the daemon and end by their own timeouts.
 *
 * SECURITY
 *	Elements are addresses popauth formatted itself (inet_ntop), the
 *	table name is checked to be a plain word, numbers are numbers: no
 *	log text reaches the script.  No program is run: libnftables talks
 *	netlink to the kernel.
 *
 * DIAGNOSTICS
 *	msg_error with the first line of nftables' error on failure;
 *	msg_info when it works again; msg_debug per run.
 */
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/spawn.h"
#include "../lib/timefmt.h"
#include "firewall.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define IPSET_TIMEOUT_MS 60000 /* then ipset or iptables is killed */
#define NAME_MAX_LEN 64

bool
fw_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX_LEN ||
	    !((name[0] >= 'a' && name[0] <= 'z') ||
		(name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* ---- the scripts ---- */

/* element - ip as an element of its family's set: IPv6 cut to the
 * prefix; false for an address of no family */
static bool
element(const struct fw_opts *o, const struct ipaddr *ip, struct ipaddr *key,
    char *buf, size_t size)
{
	char a[IPADDR_STRLEN];

	*key = *ip;
	if (ip->af == 4) {
		/* 0.0.0.0 is no client's; the worker uses it (nft_warm) */
		if (memcmp(ip->a, "\0\0\0\0", 4) == 0)
			return false;
		snprintf(buf, size, "%s", ipaddr_fmt(ip, a));
		return true;
	}
	if (ip->af != 6)
		return false;
	if (o->v6_prefix >= 128) {
		snprintf(buf, size, "%s", ipaddr_fmt(ip, a));
		return true;
	}
	for (unsigned bit = o->v6_prefix; bit < 128; bit++)
		key->a[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	snprintf(buf, size, "%s/%u", ipaddr_fmt(key, a), o->v6_prefix);
	return true;
}

static const char *
set_of(const struct ipaddr *ip)
{
	return ip->af == 4 ? "ban4" : "ban6";
}

/* nft_drop - element e of ip's set gone, whether it was there or not: an
 * add first makes the delete succeed, and a script is one transaction */
static void
nft_drop(struct sbuf *out, const struct fw_opts *o, const struct ipaddr *ip,
    const char *e)
{
	sbuf_printf(out,
	    "add element inet %s %s { %s }\n"
	    "delete element inet %s %s { %s }\n",
	    o->table, set_of(ip), e, o->table, set_of(ip), e);
}

void
fw_nft_ban(struct sbuf *out, const struct fw_opts *o, const struct ipaddr *ip,
    int64_t until, int64_t now)
{
	char e[IPADDR_STRLEN + 8];
	struct ipaddr key;

	if (until <= now || !element(o, ip, &key, e, sizeof(e)))
		return;
	/* the element anew: its timeout replaced if it was there */
	nft_drop(out, o, ip, e);
	sbuf_printf(out, "add element inet %s %s { %s timeout %llds }\n",
	    o->table, set_of(ip), e, (long long)(until - now));
}

struct keyed {
	struct ipaddr key;
	int64_t until;
};

/* by_key_then_later - sort order that puts each prefix's latest end first */
static int
by_key_then_later(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = ipaddr_cmp(&x->key, &y->key);

	if (c != 0)
		return c;
	return x->until > y->until ? -1 : x->until < y->until;
}

/* keyed_bans - the bans with time left as set elements, one per element
 * (with the latest end) in numeric order; their number in *m */
static struct keyed *
keyed_bans(const struct fw_opts *o, const struct fw_ban *v, size_t n,
    int64_t now, size_t *m)
{
	struct keyed *kv = xreallocarray(NULL, n ? n : 1, sizeof(*kv));
	char e[IPADDR_STRLEN + 8];
	size_t k = 0, j = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].until > now &&
		    element(o, &v[i].ip, &kv[k].key, e, sizeof(e)))
			kv[k++].until = v[i].until;
	qsort(kv, k, sizeof(*kv), by_key_then_later);
	for (size_t i = 0; i < k; i++)
		if (j == 0 || !ipaddr_equal(&kv[i].key, &kv[j - 1].key))
			kv[j++] = kv[i];
	*m = j;
	return kv;
}

/* elements - one family's elements (with time left, one per key) */
static void
elements(struct sbuf *out, const struct fw_opts *o, const struct keyed *v,
    size_t n, int af, int64_t now)
{
	char e[IPADDR_STRLEN + 8];
	struct ipaddr k;
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (v[i].key.af != af)
			continue;
		element(o, &v[i].key, &k, e, sizeof(e));
		sbuf_printf(out, "%s%s timeout %llds",
		    any ? ", " : "\t\telements = { ", e,
		    (long long)(v[i].until - now));
		any = true;
	}
	if (any)
		sbuf_adds(out, " }\n");
}

void
fw_nft_table(struct sbuf *out, const struct fw_opts *o, const struct fw_ban *v,
    size_t n, int64_t now)
{
	size_t m;
	struct keyed *kv = keyed_bans(o, v, n, now, &m);
	sbuf_printf(out,
	    "add table inet %s\n"
	    "delete table inet %s\n"
	    "table inet %s {\n"
	    "\tset ban4 {\n"
	    "\t\ttype ipv4_addr\n"
	    "\t\tflags timeout\n",
	    o->table, o->table, o->table);
	elements(out, o, kv, m, 4, now);
	sbuf_adds(out,
	    "\t}\n"
	    "\tset ban6 {\n"
	    "\t\ttype ipv6_addr\n"
	    "\t\tflags interval, timeout\n");
	elements(out, o, kv, m, 6, now);
	sbuf_adds(out,
	    "\t}\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority filter - 10; policy accept;\n"
	    "\t\tip saddr @ban4 drop\n"
	    "\t\tip6 saddr @ban6 drop\n"
	    "\t}\n"
	    "}\n");
	free(kv);
}

/* ipset: <table>4 holds addresses, <table>6 networks (the prefix) */
#define IPSET_MAXELEM 1048576

static void
ipset_create(
    struct sbuf *out, const struct fw_opts *o, int af, const char *suffix)
{
	sbuf_printf(out,
	    "create %s%d%s %s family %s timeout 0 maxelem %d -exist\n",
	    o->table, af, suffix, af == 4 ? "hash:ip" : "hash:net",
	    af == 4 ? "inet" : "inet6", IPSET_MAXELEM);
}

void
fw_ipset_ban(struct sbuf *out, const struct fw_opts *o, const struct ipaddr *ip,
    int64_t until, int64_t now)
{
	char e[IPADDR_STRLEN + 8];
	struct ipaddr key;

	if (until <= now || !element(o, ip, &key, e, sizeof(e)))
		return;
	/* -exist: an element that is there gets the new timeout */
	sbuf_printf(out, "add %s%d %s timeout %lld -exist\n", o->table, ip->af,
	    e, (long long)(until - now));
}

void
fw_ipset_table(struct sbuf *out, const struct fw_opts *o,
    const struct fw_ban *v, size_t n, int64_t now)
{
	size_t m;
	struct keyed *kv = keyed_bans(o, v, n, now, &m);
	char e[IPADDR_STRLEN + 8];
	for (int af = 4; af <= 6; af += 2) {
		struct ipaddr k;
		ipset_create(out, o, af, "");
		ipset_create(out, o, af, "_new");
		sbuf_printf(out, "flush %s%d_new\n", o->table, af);
		for (size_t i = 0; i < m; i++) {
			if (kv[i].key.af != af)
				continue;
			element(o, &kv[i].key, &k, e, sizeof(e));
			sbuf_printf(out, "add %s%d_new %s timeout %lld\n",
			    o->table, af, e, (long long)(kv[i].until - now));
		}
		sbuf_printf(out, "swap %s%d_new %s%d\ndestroy %s%d_new\n",
		    o->table, af, o->table, af, o->table, af);
	}
	free(kv);
}

#define IP6_MARK "# ip6tables-restore\n"

void
fw_iptables_table(struct sbuf *out, const struct fw_opts *o,
    const struct fw_ban *v, size_t n, int64_t now, int64_t *next_end)
{
	size_t m;
	struct keyed *kv = keyed_bans(o, v, n, now, &m);
	char e[IPADDR_STRLEN + 8];

	*next_end = 0;
	for (int af = 4; af <= 6; af += 2) {
		struct ipaddr k;
		if (af == 6)
			sbuf_adds(out, IP6_MARK);
		/* declaring the chain empties it, in the same commit */
		sbuf_printf(out, "*filter\n:%s - [0:0]\n", o->table);
		for (size_t i = 0; i < m; i++) {
			if (kv[i].key.af != af)
				continue;
			element(o, &kv[i].key, &k, e, sizeof(e));
			sbuf_printf(out, "-A %s -s %s%s -j DROP\n", o->table, e,
			    strchr(e, '/') ? ""
				: af == 4  ? "/32"
					   : "/128");
			if (*next_end == 0 || kv[i].until < *next_end)
				*next_end = kv[i].until;
		}
		sbuf_adds(out, "COMMIT\n");
	}
	free(kv);
}

/* ---- running the scripts ---- */

/*
 * The worker: one thread with its own libnftables context, one script at
 * a time.  The loop hands a script over and hears of its end through a
 * pipe, so a resync of many bans (half a second for 100,000) never stalls
 * it, and a ban takes a fraction of a millisecond, with no process to
 * start.
 */
struct worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct fw_opts *o; /* the firewall's, for as long as it runs */
	struct sbuf job; /* the script being run */
	enum job_kind {
		JOB_BANS, /* bans and unbans as they came */
		JOB_RESYNC, /* the whole rebuilt: check the rules too */
		JOB_REMOVE /* popauth's objects taken out */
	} job_kind;
	bool busy; /* job handed over, not yet taken back */
	bool done; /* the worker has finished it */
	bool stop;
	bool ok;
	char err[256];
	int pipe[2]; /* the worker writes a byte when done */
};

struct firewall {
	struct fw_opts o; /* strings are ours */
	fw_list_fn *list;
	void *arg;
	struct loop *loop;
	struct loop_timer *timer;
	struct sbuf ops; /* ban statements waiting for the next run */
	bool want_resync;
	int64_t next_end; /* iptables: rebuild then, without that ban */
	struct worker *w; /* started with the first run */
	uint64_t retry_at_ms;
	unsigned fails; /* consecutive */
	struct fw_stats st;
	fw_run_fn *on_run;
	void *on_run_arg;
};

/* first_line - the first line of nft's error text, cleaned for the log
 * (in the worker thread: not with esc(), whose buffers are shared) */
static void
first_line(char *dst, size_t size, const char *text)
{
	struct sbuf b = SBUF_INIT;
	size_t n = 0;

	while (text && text[n] && text[n] != '\n')
		n++;
	sbuf_add_escaped(&b, text ? text : "", n);
	snprintf(dst, size, "%s", b.s ? b.s : "");
	sbuf_free(&b);
}

/* run_cmd - argv with `in' on its standard input; true when it exited
 * 0, else false with what it said in err (status 1 in *st1 for -C) */
static bool
run_cmd(char *const argv[], const char *in, size_t inlen, char *err,
    size_t size, bool *st1)
{
	struct spawn_result r;
	char why[64];
	bool ok;

	spawn_sync(argv, in, inlen, IPSET_TIMEOUT_MS, &r);
	ok = spawn_ok(&r);
	if (st1 != NULL)
		*st1 = !r.exec_failed && WIFEXITED(r.status) &&
		    WEXITSTATUS(r.status) == 1;
	if (!ok) {
		char said[200];
		first_line(said, sizeof(said), r.err.s);
		snprintf(err, size, "%s %s: %s", argv[0],
		    spawn_describe(&r, why, sizeof(why)),
		    *said ? said : "(no output)");
	}
	spawn_result_free(&r);
	return ok;
}

/* input_argv - "prog -w OP INPUT [pos] rule..." into argv (room for 16) */
static void
input_argv(char **argv, const char *prog, const char *op, const char *pos,
    const char *const *rule)
{
	int n = 0;

	argv[n++] = (char *)prog;
	argv[n++] = "-w";
	argv[n++] = (char *)op;
	argv[n++] = "INPUT";
	if (pos != NULL)
		argv[n++] = (char *)pos;
	for (int i = 0; rule[i] != NULL && n < 15; i++)
		argv[n++] = (char *)rule[i];
	argv[n] = NULL;
}

/* ensure_input - the INPUT rule with these words (after the chain),
 * inserted at o->rule_position unless iptables -C finds it */
static bool
ensure_input(const struct fw_opts *o, const char *prog, const char *const *rule,
    char *err, size_t size)
{
	char pos[16], *argv[16];
	bool missing = false;

	input_argv(argv, prog, "-C", NULL, rule);
	if (run_cmd(argv, NULL, 0, err, size, &missing))
		return true;
	if (!missing)
		return false;
	snprintf(pos, sizeof(pos), "%u", o->rule_position);
	input_argv(argv, prog, "-I", pos, rule);
	return run_cmd(argv, NULL, 0, err, size, NULL);
}

/* ensure_set_rule - the DROP rule for ipset <table><af> */
static bool
ensure_set_rule(
    const struct fw_opts *o, const char *prog, int af, char *err, size_t size)
{
	char set[80];

	snprintf(set, sizeof(set), "%s%d", o->table, af);
	const char *rule[] = {
	    "-m", "set", "--match-set", set, "src", "-j", "DROP", NULL};
	return ensure_input(o, prog, rule, err, size);
}

/* ensure_jump - INPUT's jump to popauth's chain */
static bool
ensure_jump(const struct fw_opts *o, const char *prog, char *err, size_t size)
{
	const char *rule[] = {"-j", o->table, NULL};

	return ensure_input(o, prog, rule, err, size);
}

/* run_iptables - one job of the iptables backend: both chains rebuilt,
 * then the jumps to them */
static bool
run_iptables(
    const struct fw_opts *o, const struct sbuf *job, char *err, size_t size)
{
	char *v4[] = {"iptables-restore", "-w", "--noflush", NULL};
	char *v6[] = {"ip6tables-restore", "-w", "--noflush", NULL};
	const char *mark = strstr(job->s, IP6_MARK);
	size_t n4 = mark ? (size_t)(mark - job->s) : job->len - 1;

	if (mark == NULL) {
		snprintf(err, size, "internal: no IPv6 part in the script");
		return false;
	}
	return run_cmd(v4, job->s, n4, err, size, NULL) &&
	    run_cmd(v6, mark, strlen(mark), err, size, NULL) &&
	    ensure_jump(o, "iptables", err, size) &&
	    ensure_jump(o, "ip6tables", err, size);
}

/* run_ipset - one job of the ipset backend */
static bool
run_ipset(const struct fw_opts *o, const struct sbuf *job, bool resync,
    char *err, size_t size)
{
	char *restore[] = {"ipset", "restore", NULL};

	if (!run_cmd(restore, job->s, job->len - 1, err, size, NULL))
		return false;
	return !resync ||
	    (ensure_set_rule(o, "iptables", 4, err, size) &&
		ensure_set_rule(o, "ip6tables", 6, err, size));
}

/* delete_input - every INPUT rule with these words gone.  -D fails when
 * there is none left (or its set or chain is gone, so is the rule); a
 * failure that matters shows when the set or chain cannot go. */
static void
delete_input(const char *prog, const char *const *rule)
{
	char *argv[16], err[8];

	input_argv(argv, prog, "-D", NULL, rule);
	for (int i = 0;
	     i < 16 && run_cmd(argv, NULL, 0, err, sizeof(err), NULL); i++)
		;
}

/* remove_ipset - the DROP rules, then popauth's sets that exist */
static bool
remove_ipset(const struct fw_opts *o, char *err, size_t size)
{
	char *names[] = {"ipset", "list", "-n", NULL};
	struct spawn_result r;
	struct sbuf script = SBUF_INIT;
	bool ok = true;

	for (int af = 4; af <= 6; af += 2) {
		char set[80];
		snprintf(set, sizeof(set), "%s%d", o->table, af);
		const char *rule[] = {
		    "-m", "set", "--match-set", set, "src", "-j", "DROP", NULL};
		delete_input(af == 4 ? "iptables" : "ip6tables", rule);
	}
	spawn_sync(names, NULL, 0, IPSET_TIMEOUT_MS, &r);
	if (!spawn_ok(&r)) {
		char why[64], said[200];
		first_line(said, sizeof(said), r.err.s);
		snprintf(err, size, "ipset list %s: %s",
		    spawn_describe(&r, why, sizeof(why)), said);
		spawn_result_free(&r);
		return false;
	}
	/* whole lines of `ipset list -n' are set names */
	for (const char *p = r.out.s ? r.out.s : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		size_t t = strlen(o->table);
		if (n > t && strncmp(p, o->table, t) == 0 &&
		    ((n == t + 1 && (p[t] == '4' || p[t] == '6')) ||
			(n == t + 5 && (p[t] == '4' || p[t] == '6') &&
			    strncmp(p + t + 1, "_new", 4) == 0)))
			sbuf_printf(&script, "destroy %.*s\n", (int)n, p);
		p += n + (nl != NULL);
	}
	spawn_result_free(&r);
	if (script.len > 0) {
		char *restore[] = {"ipset", "restore", NULL};
		ok = run_cmd(restore, script.s, script.len, err, size, NULL);
	}
	sbuf_free(&script);
	return ok;
}

/* remove_iptables - the jumps to popauth's chains, then the chains (a
 * chain declared in the script exists to be deleted, so a missing one
 * is no error) */
static bool
remove_iptables(const struct fw_opts *o, char *err, size_t size)
{
	const char *jump[] = {"-j", o->table, NULL};
	char *v4[] = {"iptables-restore", "-w", "--noflush", NULL};
	char *v6[] = {"ip6tables-restore", "-w", "--noflush", NULL};
	struct sbuf script = SBUF_INIT;
	bool ok;

	delete_input("iptables", jump);
	delete_input("ip6tables", jump);
	sbuf_printf(&script, "*filter\n:%s - [0:0]\n-X %s\nCOMMIT\n", o->table,
	    o->table);
	ok = run_cmd(v4, script.s, script.len, err, size, NULL) &&
	    run_cmd(v6, script.s, script.len, err, size, NULL);
	sbuf_free(&script);
	return ok;
}

/*
 * nft_warm - after a rebuild, libnftables refetches the table, elements
 * and all, at the next command: 15-30 ms with 100,000 bans, which would
 * fall on the next ban.  A command of the same kind, here in the worker
 * right after the rebuild, pays for it instead: adding and deleting
 * 0.0.0.0, which no client has (fw_nft_table never puts it in).
 */
static void
nft_warm(struct nft_ctx *ctx, const struct fw_opts *o)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
	    "add element inet %s ban4 { 0.0.0.0 }\n"
	    "delete element inet %s ban4 { 0.0.0.0 }\n",
	    o->table, o->table);
	nft_run_cmd_from_buffer(ctx, cmd);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct nft_ctx *ctx = NULL;

	if (w->o->backend == FW_NFTABLES &&
	    (ctx = nft_ctx_new(NFT_CTX_DEFAULT)) != NULL) {
		nft_ctx_buffer_output(ctx);
		nft_ctx_buffer_error(ctx);
	}
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && !(w->busy && !w->done))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->mu);
		bool ok = false;
		char err[sizeof(w->err)] = "";
		if (w->job_kind == JOB_REMOVE && w->o->backend == FW_IPSET) {
			ok = remove_ipset(w->o, err, sizeof(err));
		} else if (w->job_kind == JOB_REMOVE &&
		    w->o->backend == FW_IPTABLES) {
			ok = remove_iptables(w->o, err, sizeof(err));
		} else if (w->o->backend == FW_IPSET) {
			ok = run_ipset(w->o, &w->job, w->job_kind == JOB_RESYNC,
			    err, sizeof(err));
		} else if (w->o->backend == FW_IPTABLES) {
			ok = run_iptables(w->o, &w->job, err, sizeof(err));
		} else if (ctx == NULL) {
			snprintf(err, sizeof(err),
			    "cannot make a libnftables "
			    "context");
		} else {
			ok = nft_run_cmd_from_buffer(ctx, w->job.s) == 0;
			first_line(err, sizeof(err),
			    ok ? "" : nft_ctx_get_error_buffer(ctx));
			if (ok && w->job_kind == JOB_RESYNC)
				nft_warm(ctx, w->o);
		}
		pthread_mutex_lock(&w->mu);
		w->ok = ok;
		memcpy(w->err, err, sizeof(err));
		w->done = true;
		pthread_cond_broadcast(&w->cv);
		/* the loop's side learns of it here */
		while (write(w->pipe[1], "x", 1) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&w->mu);
	if (ctx != NULL)
		nft_ctx_free(ctx);
	return NULL;
}

static struct worker *
worker_new(const struct fw_opts *o)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	int e;

	w->o = o;
	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("firewall: pipe: %s", strerror(errno));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((e = loop_thread(&w->th, worker_main, w)) != 0)
		msg_fatal("firewall: cannot start a thread: %s", strerror(e));
	return w;
}

static void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	close(w->pipe[0]);
	close(w->pipe[1]);
	sbuf_free(&w->job);
	free(w);
}

/* worker_post - hand a script over (the worker is idle) */
static void
worker_post(struct worker *w, const struct sbuf *script, enum job_kind kind)
{
	pthread_mutex_lock(&w->mu);
	sbuf_reset(&w->job);
	sbuf_add(&w->job, script->s, script->len);
	sbuf_addc(&w->job, 0);
	w->job_kind = kind;
	w->busy = true;
	w->done = false;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* worker_take - wait for the script handed over to end; its result */
static bool
worker_take(struct worker *w, char *err, size_t size)
{
	char b[16];
	bool ok;

	pthread_mutex_lock(&w->mu);
	while (!w->done)
		pthread_cond_wait(&w->cv, &w->mu);
	w->busy = false;
	w->done = false;
	ok = w->ok;
	snprintf(err, size, "%s", w->err);
	pthread_mutex_unlock(&w->mu);
	while (read(w->pipe[0], b, sizeof(b)) > 0)
		;
	return ok;
}

static bool
worker_busy(struct worker *w)
{
	bool busy;

	pthread_mutex_lock(&w->mu);
	busy = w->busy;
	pthread_mutex_unlock(&w->mu);
	return busy;
}

const char *const fw_backends[] = {
    "none", "nftables", "ipset", "iptables-script", NULL};

enum fw_backend
fw_backend_of(const char *name)
{
	for (int b = 0; fw_backends[b] != NULL; b++)
		if (strcmp(name, fw_backends[b]) == 0)
			return (enum fw_backend)b;
	return FW_NONE;
}

/* ipset's set names (the table and "6_new") and iptables' chain names
 * are short */
#define SHORT_NAME_MAX 24

const char *
fw_table_check(enum fw_backend b, const char *name)
{
	if (b == FW_NONE)
		return NULL;
	if (!fw_name_ok(name))
		return "letters, digits and '_' only, a letter first, at most "
		       "64";
	if (b != FW_NFTABLES && strlen(name) > SHORT_NAME_MAX)
		return "at most 24 characters for ipset and iptables-script";
	return NULL;
}

struct firewall *
fw_new(const struct fw_opts *o, fw_list_fn *list, void *arg, char **err)
{
	struct firewall *fw;
	const char *why = fw_table_check(o->backend, o->table);

	if (why != NULL) {
		*err = xstrfmt("table name \"%s\": %s", escs(o->table), why);
		return NULL;
	}
	if (o->v6_prefix < 1 || o->v6_prefix > 128) {
		*err = xstrfmt("IPv6 prefix /%u: 1 to 128", o->v6_prefix);
		return NULL;
	}
	fw = xcalloc(1, sizeof(*fw));
	fw->o = *o;
	fw->o.table = xstrdup(o->table);
	fw->list = list;
	fw->arg = arg;
	fw->st.healthy = true;
	return fw;
}

void
fw_free(struct firewall *fw)
{
	if (fw == NULL)
		return;
	if (fw->w != NULL) {
		if (fw->loop)
			loop_io_del(fw->loop, fw->w->pipe[0]);
		if (worker_busy(fw->w)) {
			char err[8];
			worker_take(fw->w, err, sizeof(err));
		}
		worker_free(fw->w);
	}
	loop_timer_free(fw->timer);
	sbuf_free(&fw->ops);
	free((char *)fw->o.table);
	free(fw);
}

void
fw_get_stats(const struct firewall *fw, struct fw_stats *st)
{
	*st = fw->st;
}

static void schedule(struct firewall *fw);

/* script - what the next run does: a resync (*resync), or the waiting
 * bans; false if nothing */
static bool
script(struct firewall *fw, struct sbuf *out, bool *resync)
{
	int64_t now = (int64_t)time(NULL);

	*resync = fw->want_resync;
	if (fw->want_resync) {
		struct fw_ban *v = NULL;
		size_t n = fw->list(fw->arg, now, &v);
		/* the list is the engine's state now: it holds every ban
		 * waiting in ops */
		if (fw->o.backend == FW_IPSET)
			fw_ipset_table(out, &fw->o, v, n, now);
		else if (fw->o.backend == FW_IPTABLES)
			fw_iptables_table(
			    out, &fw->o, v, n, now, &fw->next_end);
		else
			fw_nft_table(out, &fw->o, v, n, now);
		free(v);
		fw->want_resync = false;
		sbuf_reset(&fw->ops);
		fw->st.resyncs++;
		return true;
	}
	if (fw->ops.len == 0)
		return false;
	sbuf_add(out, fw->ops.s, fw->ops.len);
	sbuf_reset(&fw->ops);
	return true;
}

void
fw_on_run(struct firewall *fw, fw_run_fn *fn, void *arg)
{
	fw->on_run = fn;
	fw->on_run_arg = arg;
}

void
fw_describe(const struct firewall *fw, char *buf, size_t size)
{
	const struct fw_stats *st = &fw->st;

	if (fw->o.backend == FW_NONE) {
		snprintf(buf, size, "none (bans stay in the state)");
		return;
	}
	snprintf(buf, size,
	    "%s (%s): %s; %llu run(s), %llu failed, last good %s%s%s",
	    fw_backends[fw->o.backend], fw->o.table,
	    st->healthy ? "working" : "FAILING", (unsigned long long)st->runs,
	    (unsigned long long)st->failures,
	    st->last_ok ? time_str(st->last_ok) : "never",
	    st->healthy ? "" : "; last error: ",
	    st->healthy ? "" : st->last_error);
}

/* record - bookkeeping after a run */
static void
record(struct firewall *fw, bool ok, const char *err)
{
	fw->st.runs++;
	if (ok) {
		if (fw->fails)
			msg_info("firewall: %s works again; popauth's bans are "
				 "in place",
			    fw_backends[fw->o.backend]);
		fw->fails = 0;
		fw->st.healthy = true;
		fw->st.last_ok = time(NULL);
		return;
	}
	snprintf(fw->st.last_error, sizeof(fw->st.last_error), "%s",
	    *err ? err : "failed, without a word");
	msg_error("firewall: %s: %s; bans stay stored and are put in place "
		  "when it works",
	    fw_backends[fw->o.backend], fw->st.last_error);
	fw->fails++;
	fw->st.failures++;
	fw->st.healthy = false;
	fw->want_resync = true;
	uint64_t backoff = RETRY_MIN_MS << (fw->fails < 7 ? fw->fails - 1 : 6);
	fw->retry_at_ms =
	    loop_clock_ms() + (backoff > RETRY_MAX_MS ? RETRY_MAX_MS : backoff);
}

/* finished - bookkeeping after a run, and whoever asked told */
static void
finished(struct firewall *fw, bool ok, const char *err)
{
	record(fw, ok, err);
	if (fw->on_run != NULL)
		fw->on_run(fw->on_run_arg, &fw->st);
}

/* worker_done - the worker's pipe is readable: its script has ended */
static void
worker_done(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct firewall *fw = arg;
	char err[256];

	(void)l;
	(void)fd;
	(void)events;
	if (!worker_busy(fw->w))
		return;
	bool ok = worker_take(fw->w, err, sizeof(err));
	finished(fw, ok, err);
	schedule(fw);
}

/* worker_start - the worker, on its first use; the loop (if any) hears
 * of each script's end through its pipe */
static void
worker_start(struct firewall *fw)
{
	if (fw->w != NULL)
		return;
	fw->w = worker_new(&fw->o);
	if (fw->loop)
		loop_io_add(fw->loop, fw->w->pipe[0], EPOLLIN, worker_done, fw);
}

/* run - hand what is due to the worker (a loop timer) */
static void
run(struct loop *l, void *arg)
{
	struct firewall *fw = arg;
	struct sbuf s = SBUF_INIT;
	bool resync;

	(void)l;
	worker_start(fw);
	if (fw->next_end && fw->next_end <= (int64_t)time(NULL)) {
		fw->next_end = 0; /* a ban ended: iptables must drop it */
		fw->want_resync = true;
	}
	if (worker_busy(fw->w))
		return;
	if (!script(fw, &s, &resync)) {
		schedule(fw); /* an iptables ban end still to come */
		return;
	}
	msg_debug("firewall: %zu bytes of script", s.len);
	worker_post(fw->w, &s, resync ? JOB_RESYNC : JOB_BANS);
	sbuf_free(&s);
}

/* schedule - arm the timer for the next run, if one is due */
static void
schedule(struct firewall *fw)
{
	uint64_t at = loop_clock_ms();

	if (fw->loop == NULL || fw->o.backend == FW_NONE ||
	    (fw->w != NULL && worker_busy(fw->w)))
		return;
	if (!fw->want_resync && fw->ops.len == 0) {
		/* iptables: nothing to do until the next ban ends (a little
		 * after its second has begun) */
		struct timespec ts;
		if (fw->next_end == 0 || fw->fails)
			return;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t left_ms = fw->next_end * 1000 + 10 -
		    ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		at += left_ms > 0 ? (uint64_t)left_ms : 0;
	}
	if (fw->fails && fw->retry_at_ms > at)
		at = fw->retry_at_ms;
	if (!loop_timer_pending(fw->timer) || loop_timer_due(fw->timer) > at)
		loop_timer_start_at(fw->timer, at);
}

void
fw_attach(struct firewall *fw, struct loop *loop)
{
	fw->loop = loop;
	fw->timer = loop_timer_new(loop, run, fw);
	schedule(fw);
}

/* rebuilt - whether a change to ip's ban rebuilds the whole: iptables
 * has no timeouts (the chain is rebuilt), and a shared IPv6 prefix's
 * element stands for every client banned in it (its end is the latest
 * of theirs, which this one's change may not be) */
static bool
rebuilt(const struct firewall *fw, const struct ipaddr *ip)
{
	return fw->o.backend == FW_IPTABLES ||
	    (ip->af == 6 && fw->o.v6_prefix < 128);
}

void
fw_ban(struct firewall *fw, const struct ipaddr *ip, int64_t until)
{
	if (fw->o.backend == FW_NONE)
		return;
	if (rebuilt(fw, ip))
		fw->want_resync = true;
	/* a resync on its way includes this ban */
	if (!fw->want_resync)
		(fw->o.backend == FW_IPSET ? fw_ipset_ban : fw_nft_ban)(
		    &fw->ops, &fw->o, ip, until, (int64_t)time(NULL));
	schedule(fw);
}

void
fw_unban(struct firewall *fw, const struct ipaddr *ip)
{
	char e[IPADDR_STRLEN + 8];
	struct ipaddr key;

	if (fw->o.backend == FW_NONE)
		return;
	/* an element of its own goes */
	if (fw->want_resync || rebuilt(fw, ip) ||
	    !element(&fw->o, ip, &key, e, sizeof(e))) {
		fw_resync(fw);
		return;
	}
	if (fw->o.backend == FW_IPSET)
		sbuf_printf(
		    &fw->ops, "del %s%d %s -exist\n", fw->o.table, ip->af, e);
	else
		nft_drop(&fw->ops, &fw->o, ip, e);
	schedule(fw);
}

void
fw_resync(struct firewall *fw)
{
	if (fw->o.backend == FW_NONE)
		return;
	fw->want_resync = true;
	schedule(fw);
}

void
fw_sync(struct firewall *fw)
{
	struct sbuf s = SBUF_INIT;
	char err[256];
	bool resync;

	if (fw->o.backend == FW_NONE)
		return;
	if (fw->timer)
		loop_timer_stop(fw->timer);
	if (fw->w != NULL && worker_busy(fw->w)) {
		bool ok = worker_take(fw->w, err, sizeof(err));
		finished(fw, ok, err);
	}
	if (script(fw, &s, &resync)) {
		worker_start(fw);
		worker_post(fw->w, &s, resync ? JOB_RESYNC : JOB_BANS);
		bool ok = worker_take(fw->w, err, sizeof(err));
		finished(fw, ok, err);
		sbuf_free(&s);
	}
	schedule(fw); /* an iptables ban end, a retry */
}

void
fw_finish(struct firewall *fw)
{
	fw_sync(fw);
	if (fw->timer)
		loop_timer_stop(fw->timer);
}

/* objects - what popauth keeps in the kernel with this backend */
static const char *
objects(enum fw_backend b)
{
	return b == FW_NFTABLES ? "table" : b == FW_IPSET ? "sets" : "chains";
}

bool
fw_remove(struct firewall *fw)
{
	struct sbuf s = SBUF_INIT;
	char err[256];

	if (fw->o.backend == FW_NONE)
		return true;
	if (fw->timer)
		loop_timer_stop(fw->timer);
	if (fw->w != NULL && worker_busy(fw->w))
		worker_take(fw->w, err, sizeof(err));
	sbuf_reset(&fw->ops);
	fw->want_resync = false;
	fw->next_end = 0;
	/* nftables: the first line makes the delete succeed either way */
	sbuf_printf(&s, "add table inet %s\ndelete table inet %s\n",
	    fw->o.table, fw->o.table);
	worker_start(fw);
	worker_post(fw->w, &s, JOB_REMOVE);
	sbuf_free(&s);
	if (!worker_take(fw->w, err, sizeof(err))) {
		msg_error("firewall: %s: popauth's %s \"%s\" not removed: %s",
		    fw_backends[fw->o.backend], objects(fw->o.backend),
		    fw->o.table, *err ? err : "failed, without a word");
		return false;
	}
	msg_info("firewall: %s: popauth's %s \"%s\" removed",
	    fw_backends[fw->o.backend], objects(fw->o.backend), fw->o.table);
	return true;
}
