/*
 * firewall - popauth's bans in the kernel's packet filter (nftables).
 *
 * popauth owns one table, "inet <table>": a set per address family whose
 * elements carry their own timeout, and a chain on the input hook that
 * drops what is in them.  A ban is one element whose timeout is the time
 * left, so the kernel lifts it on time even while popauth is not
 * running.  Nothing else in the ruleset is read or changed.  With the
 * ipset backend the same holds for two ipsets (<table>4, <table>6, with
 * timeouts) and one iptables/ip6tables rule each that drops their
 * members, inserted in INPUT if it is not there.
 *
 * Bans are added one by one as they are decided (several per run
 * when they come in a burst), and deleted when lifted early (a shared
 * IPv6 prefix by a resync).  A resync replaces popauth's table with one
 * built from the engine's list of bans in force, in one transaction:
 * there is no moment without the bans, whatever the table held before
 * (flushed by someone, stale elements, a changed configuration).  The
 * daemon resyncs at start and every firewall_refresh; the firewall
 * resyncs itself after a failed run (with back-off).
 */
#ifndef POPAUTH_FIREWALL_H
#define POPAUTH_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../lib/ipaddr.h"
#include "../lib/sbuf.h"

struct loop;

enum fw_backend {
	FW_NONE,
	FW_NFTABLES,
	FW_IPSET, /* sets <table>4, <table>6 and iptables/ip6tables rules */
	FW_IPTABLES, /* popauth 3's way: a chain <table> of DROP rules, one
	              * per banned IP, rebuilt whole (iptables-restore) */
};

struct fw_opts {
	enum fw_backend backend;
	const char *table; /* popauth's table: letters, digits, '_' */
	unsigned v6_prefix; /* IPv6 clients are banned by this prefix */
	unsigned rule_position; /* ipset: where the DROP rule goes in INPUT */
};

/* one ban in force */
struct fw_ban {
	struct ipaddr ip;
	int64_t until; /* epoch seconds */
};

/* fw_list_fn - the bans in force at `now', in *v (the caller frees it);
 * their number */
typedef size_t fw_list_fn(void *arg, int64_t now, struct fw_ban **v);

struct fw_stats {
	bool healthy; /* the last run succeeded (or none was needed) */
	uint64_t runs, failures, resyncs;
	time_t last_ok; /* 0: never */
	char last_error[256]; /* of the last failed run */
};

/* fw_name_ok - a table name popauth accepts */
bool fw_name_ok(const char *name);
/* fw_table_check - NULL if name will do as popauth's table with backend
 * b, else why not (a static text) */
const char *fw_table_check(enum fw_backend b, const char *name);

/* the backends as the `firewall' key names them, in enum order (NULL
 * ends the list) */
extern const char *const fw_backends[];
/* fw_backend_of - the backend of a name in fw_backends (FW_NONE else) */
enum fw_backend fw_backend_of(const char *name);

/* fw_new - NULL and *err if the options are bad; nothing runs before
 * fw_attach and a call that asks for it */
struct firewall *
fw_new(const struct fw_opts *o, fw_list_fn *list, void *arg, char **err);
void fw_free(struct firewall *fw);

/* fw_on_run - call fn after every run (its stats tell how it went) */
typedef void fw_run_fn(void *arg, const struct fw_stats *st);
void fw_on_run(struct firewall *fw, fw_run_fn *fn, void *arg);

/* fw_describe - "nftables (...): working, ..." for `popauth status' */
void fw_describe(const struct firewall *fw, char *buf, size_t size);

/* fw_attach - run on this loop from now on */
void fw_attach(struct firewall *fw, struct loop *loop);

/* fw_ban - drop ip's traffic until `until' (wall clock) */
void fw_ban(struct firewall *fw, const struct ipaddr *ip, int64_t until);
/* fw_unban - lift ip's ban: its element deleted (a resync for a shared
 * IPv6 prefix, which may hold other banned clients, and for iptables) */
void fw_unban(struct firewall *fw, const struct ipaddr *ip);
/* fw_resync - rebuild popauth's table from the list */
void fw_resync(struct firewall *fw);
/* fw_sync - wait for a running script, then run what is due, now */
void fw_sync(struct firewall *fw);
/* fw_finish - at exit: fw_sync, and nothing more scheduled */
void fw_finish(struct firewall *fw);
/* fw_remove - take popauth's objects of this configuration out of the
 * kernel (nft table; ipsets and their INPUT rules; chain and the jumps to
 * it), waiting for it; false (logged) if that failed.  For a reload that
 * puts the bans elsewhere; nothing more is done with fw after it. */
bool fw_remove(struct firewall *fw);

void fw_get_stats(const struct firewall *fw, struct fw_stats *st);

/*
 * The nft scripts, for tests.  fw_nft_table: the whole table with the
 * bans that have time left at `now' (IPv6 by prefix, one element per
 * prefix with the latest end).  fw_nft_ban: one ban, whether the element
 * is there already (its timeout replaced) or not.
 */
void fw_nft_table(struct sbuf *out, const struct fw_opts *o,
    const struct fw_ban *v, size_t n, int64_t now);
void fw_nft_ban(struct sbuf *out, const struct fw_opts *o,
    const struct ipaddr *ip, int64_t until, int64_t now);
/* the same for ipset (input of "ipset restore"): the sets are rebuilt
 * aside and swapped in */
void fw_ipset_table(struct sbuf *out, const struct fw_opts *o,
    const struct fw_ban *v, size_t n, int64_t now);
void fw_ipset_ban(struct sbuf *out, const struct fw_opts *o,
    const struct ipaddr *ip, int64_t until, int64_t now);
/* the same for iptables: "iptables-restore --noflush" input for the IPv4
 * chain, then a "# ip6tables-restore" line and the IPv6 one; addresses in
 * numeric order.  *next_end: the earliest ban end (0: none), when the
 * chain must be rebuilt without it (iptables has no timeouts). */
void fw_iptables_table(struct sbuf *out, const struct fw_opts *o,
    const struct fw_ban *v, size_t n, int64_t now, int64_t *next_end);

#endif
