/*
 * store - popauth's state on disk: an SQLite database in WAL mode.
 *
 * The in-memory state is authoritative while the daemon runs; the store
 * is written behind it.  Changes accumulate in one open transaction that
 * the daemon commits at least every second (and at exit), together with
 * the position of every log source, so that after kill -9 the state and
 * the positions agree: lines whose effects were lost are read again,
 * lines whose effects were kept are not.
 *
 * A file that is not a popauth state database (not SQLite, another
 * application's database, a newer schema, corrupt) is refused with a
 * clear error and never written to.
 */
#ifndef POPAUTH_STORE_H
#define POPAUTH_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/ipaddr.h"
#include "../source/source.h"

struct store;

#define STORE_FILE "popauth.db"

/*
 * store_open - open (and with `create', create) DIR/popauth.db.  Returns
 * NULL and a message in *err (caller frees) when it cannot or must not be
 * used.  `readonly' opens for reading only (list/show commands).
 */
struct store *
store_open(const char *dir, bool create, bool readonly, char **err);
void store_close(struct store *st);
const char *store_path(const struct store *st);

/* store_commit - commit the open transaction, if any; -1 on failure (the
 * failure is logged and the next commit rewrites everything: see
 * store_needs_resync) */
int store_commit(struct store *st);
/* store_sync_commits - from now on every commit is synced to disk, and
 * closing leaves the write-ahead log for the next opener to fold in
 * instead of doing it now: for a process that commits once and exits
 * (replay), one fsync instead of a checkpoint.  Outside a transaction. */
void store_sync_commits(struct store *st);
/* store_dirty - changes wait for a commit */
bool store_dirty(const struct store *st);
/* store_needs_resync - a commit failed: the caller should hand the whole
 * state over again (store_clear_all + puts: persist_all) */
bool store_needs_resync(const struct store *st);

/* relay leases */
void store_relay_put(struct store *st, const struct ipaddr *ip,
    const char *user, int64_t first, int64_t last, uint32_t count);
void store_relay_drop(struct store *st, const struct ipaddr *ip);
typedef void store_relay_fn(void *arg, const struct ipaddr *ip,
    const char *user, int64_t first, int64_t last, uint32_t count);
/* store_relay_load - call fn for every stored row; -1 on a read error */
int store_relay_load(struct store *st, store_relay_fn *fn, void *arg);

/* the blacklist cache: one row per IP */
struct store_bl_row {
	struct ipaddr ip;
	const char *origin; /* bl_origin_name() */
	int64_t first, last, ban_end;
	uint32_t period, total;
	double rate;
	const char *host, *authority, *reason;
	int64_t ban_start; /* when the ban began (0: not known) */
};
void store_bl_put(struct store *st, const struct store_bl_row *row);
/* store_bl_put_many - n rows at once (a full rewrite): several rows per
 * statement, which costs about as much as one */
void
store_bl_put_many(struct store *st, const struct store_bl_row *rows, size_t n);
void store_bl_drop(struct store *st, const struct ipaddr *ip);
typedef void store_bl_fn(void *arg, const struct store_bl_row *row);
int store_bl_load(struct store *st, store_bl_fn *fn, void *arg);

/* fishing: an IP's (recipient, sender) pairs */
struct store_fish_row {
	const char *rcpt, *sender;
	int64_t first, last;
	uint32_t hits;
};
/* store_fish_set - replace all of ip's pairs (n == 0: drop them) */
void store_fish_set(struct store *st, const struct ipaddr *ip,
    const struct store_fish_row *rows, size_t n);

/* store_fish_add_many - pairs of many IPs, which the file does not hold
 * (after store_clear_all), several per statement */
struct store_fish_ip_row {
	const struct ipaddr *ip;
	struct store_fish_row r;
};
void store_fish_add_many(
    struct store *st, const struct store_fish_ip_row *rows, size_t n);
typedef void store_fish_fn(
    void *arg, const struct ipaddr *ip, const struct store_fish_row *row);
int store_fish_load(struct store *st, store_fish_fn *fn, void *arg);

/* failed authentications: count in the current window, per kind */
void store_auth_set(struct store *st, const struct ipaddr *ip, int kind,
    int64_t first, int64_t last, uint32_t count);
void store_auth_drop(struct store *st, const struct ipaddr *ip);
typedef void store_auth_fn(void *arg, const struct ipaddr *ip, int kind,
    int64_t first, int64_t last, uint32_t count);
int store_auth_load(struct store *st, store_auth_fn *fn, void *arg);

/* store_meta_put - a note for the admin commands (in the open
 * transaction); store_meta_get - it back into buf, false if none */
void store_meta_put(struct store *st, const char *key, const char *value);
bool store_meta_get(struct store *st, const char *key, char *buf, size_t size);

/* store_clear_all - empty every state table (before a full rewrite) */
void store_clear_all(struct store *st);

/* log source positions */
void
store_pos_put(struct store *st, const char *spec, const struct source_pos *pos);
/* store_pos_get - false if none saved */
bool store_pos_get(struct store *st, const char *spec, struct source_pos *pos);

#endif
