/*
 * store - popauth's state on disk: an SQLite database in WAL mode.
 *
 * DESCRIPTION
 *	One file, DIR/popauth.db, marked with PRAGMA application_id
 *	("PopA") and a schema version in user_version.  WAL with
 *	synchronous=NORMAL: a crash of popauth (kill -9) loses nothing that
 *	was committed; a power loss may lose the last transactions, never
 *	consistency.  Writes go into one open transaction that the daemon
 *	commits about once a second; a failed commit makes the next one
 *	rewrite the whole state from memory.  The write-ahead log
 *	(popauth.db-wal) is part of the state: a replay leaves its one
 *	commit there, synced, for the next opener to fold in.
 *
 * SECURITY
 *	Text from log lines (user names) is bound as SQL parameters, never
 *	pasted into SQL.  The state directory is created mode 0700.
 *
 * DIAGNOSTICS
 *	Refusals name the file and the reason.  Runtime SQLite errors are
 *	logged with msg_error.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/afile.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/sbuf.h"
#include "store.h"

#define STORE_APP_ID 0x506f7041 /* "PopA" */
#define STORE_SCHEMA 3

/*
 * The schema, as the steps that made it: a file of an older version is
 * brought up to date by the steps it lacks (in one transaction), so that
 * older state files stay usable.
 */
static const char *const schema_steps[STORE_SCHEMA] = {
    /* 1: relay leases, source positions */
    "CREATE TABLE relay_login ("
    " ip BLOB NOT NULL,"
    " user TEXT NOT NULL,"
    " first INTEGER NOT NULL,"
    " last INTEGER NOT NULL,"
    " count INTEGER NOT NULL,"
    " PRIMARY KEY (ip, user)) WITHOUT ROWID;"
    "CREATE TABLE source_pos ("
    " spec TEXT PRIMARY KEY,"
    " dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
    " offset INTEGER NOT NULL, fingerprint INTEGER NOT NULL,"
    " cursor TEXT NOT NULL);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* 2: the blacklist cache, fishing, failed authentications */
    "CREATE TABLE blacklist ("
    " ip BLOB PRIMARY KEY,"
    " origin TEXT NOT NULL,"
    " first INTEGER NOT NULL, last INTEGER NOT NULL,"
    " ban_end INTEGER NOT NULL,"
    " period INTEGER NOT NULL, total INTEGER NOT NULL,"
    " rate REAL NOT NULL,"
    " host TEXT NOT NULL, authority TEXT NOT NULL,"
    " reason TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE fish_pair ("
    " ip BLOB NOT NULL, rcpt TEXT NOT NULL, sender TEXT NOT NULL,"
    " first INTEGER NOT NULL, last INTEGER NOT NULL,"
    " hits INTEGER NOT NULL,"
    " PRIMARY KEY (ip, rcpt, sender)) WITHOUT ROWID;"
    "CREATE TABLE auth_fail ("
    " ip BLOB NOT NULL, kind INTEGER NOT NULL,"
    " first INTEGER NOT NULL, last INTEGER NOT NULL,"
    " count INTEGER NOT NULL,"
    " PRIMARY KEY (ip, kind)) WITHOUT ROWID;",
    /* 3: when a ban began (0: before this version) */
    "ALTER TABLE blacklist ADD COLUMN ban_start INTEGER NOT NULL DEFAULT 0;",
};

struct store {
	sqlite3 *db;
	char *path;
	bool readonly;
	bool in_tx;
	bool resync;
	int64_t version; /* of the file, after any upgrade */
	sqlite3_stmt *relay_put, *relay_drop, *pos_put;
	sqlite3_stmt *bl_put, *bl_drop, *fish_drop, *fish_put, *auth_put,
	    *auth_drop;
	sqlite3_stmt *bl_bulk, *fish_bulk; /* STORE_BULK rows, made when
					    * first needed */
};

/* rows per statement of a bulk write: measured, 16 rows in one INSERT
 * write about 35 % faster than 16 INSERTs; more gain little */
#define STORE_BULK 16

const char *
store_path(const struct store *st)
{
	return st->path;
}

/* pragma_int - read an integer PRAGMA; -1 on error */
static int64_t
pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* check_existing - is this file ours and sound? NULL if yes */
static char *
check_existing(struct store *st, bool deep)
{
	int64_t app = pragma_int(st->db, "PRAGMA application_id");
	int64_t ver = pragma_int(st->db, "PRAGMA user_version");
	sqlite3_stmt *s;
	char *err = NULL;

	if (app < 0)
		return xstrfmt("cannot read it: %s", sqlite3_errmsg(st->db));
	if (app != STORE_APP_ID)
		return xstrfmt(
		    "it is an SQLite database of another application "
		    "(application_id 0x%llx)",
		    (unsigned long long)app);
	if (ver > STORE_SCHEMA)
		return xstrfmt(
		    "it was written by a newer popauth (schema %lld, "
		    "this one knows %d)",
		    (long long)ver, STORE_SCHEMA);
	if (ver < 1)
		return xstrfmt(
		    "its schema version %lld is unknown", (long long)ver);
	st->version = ver;
	if (!deep)
		return NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL) !=
	    SQLITE_OK)
		return xstrfmt(
		    "integrity check failed: %s", sqlite3_errmsg(st->db));
	if (sqlite3_step(s) != SQLITE_ROW)
		err = xstrfmt(
		    "integrity check failed: %s", sqlite3_errmsg(st->db));
	else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		char first[160];
		snprintf(first, sizeof(first), "%s",
		    (const char *)sqlite3_column_text(s, 0));
		for (char *p = first; *p; p++)
			if (*p == '\n')
				*p = ' ';
		err = xstrfmt("it is corrupt (%s)", first);
	}
	sqlite3_finalize(s);
	return err;
}

/* upgrade - run the schema steps after `from' (0: a new file) */
static char *
upgrade(struct store *st, int64_t from)
{
	char sql[256];
	char *e = NULL;

	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, &e) != SQLITE_OK)
		goto fail;
	for (int64_t v = from; v < STORE_SCHEMA; v++)
		if (sqlite3_exec(st->db, schema_steps[v], NULL, NULL, &e) !=
		    SQLITE_OK)
			goto fail;
	snprintf(sql, sizeof(sql),
	    "PRAGMA application_id = %d; PRAGMA user_version = %d;"
	    "INSERT OR REPLACE INTO meta VALUES ('written_by', "
	    "'popauth " POPAUTH_VERSION "'); COMMIT;",
	    STORE_APP_ID, STORE_SCHEMA);
	if (sqlite3_exec(st->db, sql, NULL, NULL, &e) != SQLITE_OK)
		goto fail;
	st->version = STORE_SCHEMA;
	return NULL;
fail:;
	char *err = xstrfmt(
	    "cannot %s it: %s", from ? "upgrade" : "create", e ? e : "?");
	sqlite3_free(e);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static sqlite3_stmt *
prepare(struct store *st, const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		msg_panic("store: cannot prepare \"%s\": %s", sql,
		    sqlite3_errmsg(st->db));
	return s;
}

struct store *
store_open(const char *dir, bool create, bool readonly, char **err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	struct stat sb;
	bool fresh;
	char *why = NULL;
	int flags;

	st->path = xmalloc(strlen(dir) + sizeof(STORE_FILE) + 1);
	sprintf(st->path, "%s/%s", dir, STORE_FILE);
	st->readonly = readonly;
	if (stat(st->path, &sb) == 0) {
		char magic[16];
		int fd;

		if (!S_ISREG(sb.st_mode)) {
			why = xstrfmt("it is not a regular file");
			goto refuse;
		}
		fresh = sb.st_size == 0;
		if (!fresh) {
			if ((fd = open(st->path, O_RDONLY | O_CLOEXEC)) < 0) {
				why = xstrfmt(
				    "cannot open it: %s", strerror(errno));
				goto refuse;
			}
			ssize_t n = read(fd, magic, sizeof(magic));
			close(fd);
			if (n != (ssize_t)sizeof(magic) ||
			    memcmp(magic, "SQLite format 3", 16) != 0) {
				why = xstrfmt("it is not an SQLite database");
				goto refuse;
			}
		}
	} else if (errno == ENOENT && create && !readonly) {
		if (afile_mkdirs(dir, 0700) < 0) {
			*err = xstrfmt("cannot create state directory %s: %s",
			    dir, strerror(errno));
			goto fail;
		}
		fresh = true;
	} else {
		*err = xstrfmt("cannot use state file %s: %s", st->path,
		    errno == ENOENT ? "it does not exist" : strerror(errno));
		goto fail;
	}
	flags = (readonly ? SQLITE_OPEN_READONLY
			  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(st->path, &st->db, flags, NULL) != SQLITE_OK) {
		why = xstrfmt("cannot open it: %s",
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto refuse;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);
	if (fresh && readonly) {
		*err = xstrfmt("state file %s is empty", st->path);
		goto fail;
	}
	if (!fresh && (why = check_existing(st, !readonly)) != NULL)
		goto refuse;
	if (!readonly) {
		char *e = NULL;
		if (sqlite3_exec(st->db,
			"PRAGMA journal_mode = WAL; PRAGMA synchronous = "
			"NORMAL;",
			NULL, NULL, &e) != SQLITE_OK) {
			why = xstrfmt("cannot set WAL mode: %s", e ? e : "?");
			sqlite3_free(e);
			goto refuse;
		}
		if ((fresh || st->version < STORE_SCHEMA) &&
		    (why = upgrade(st, fresh ? 0 : st->version)) != NULL)
			goto refuse;
		st->relay_put = prepare(st,
		    "INSERT OR REPLACE INTO relay_login VALUES (?, ?, ?, ?, "
		    "?)");
		st->relay_drop =
		    prepare(st, "DELETE FROM relay_login WHERE ip = ?");
		st->bl_put = prepare(st,
		    "INSERT OR REPLACE INTO blacklist "
		    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
		st->bl_drop = prepare(st, "DELETE FROM blacklist WHERE ip = ?");
		st->fish_drop =
		    prepare(st, "DELETE FROM fish_pair WHERE ip = ?");
		st->fish_put = prepare(st,
		    "INSERT OR REPLACE INTO fish_pair VALUES (?, ?, ?, ?, ?, "
		    "?)");
		st->auth_put = prepare(st,
		    "INSERT OR REPLACE INTO auth_fail VALUES (?, ?, ?, ?, ?)");
		st->auth_drop =
		    prepare(st, "DELETE FROM auth_fail WHERE ip = ?");
		st->pos_put = prepare(st,
		    "INSERT OR REPLACE INTO source_pos VALUES (?, ?, ?, ?, ?, "
		    "?)");
	}
	return st;

refuse:
	*err = xstrfmt("state file %s: %s; refusing to use it (nothing was "
		       "changed; move it away to start with an empty state)",
	    st->path, why);
	free(why);
fail:
	if (st->db)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->in_tx)
		store_commit(st);
	sqlite3_finalize(st->relay_put);
	sqlite3_finalize(st->relay_drop);
	sqlite3_finalize(st->pos_put);
	sqlite3_finalize(st->bl_put);
	sqlite3_finalize(st->bl_drop);
	sqlite3_finalize(st->fish_drop);
	sqlite3_finalize(st->fish_put);
	sqlite3_finalize(st->auth_put);
	sqlite3_finalize(st->auth_drop);
	sqlite3_finalize(st->bl_bulk);
	sqlite3_finalize(st->fish_bulk);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* begin - open the write transaction if it is not open */
static bool
begin(struct store *st)
{
	if (st->readonly)
		msg_panic("store: write to a read-only store");
	if (st->in_tx)
		return true;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		msg_error("state file %s: cannot begin a transaction: %s",
		    st->path, sqlite3_errmsg(st->db));
		st->resync = true;
		return false;
	}
	st->in_tx = true;
	return true;
}

/* step - run a write and reset it.  Every write binds its values with
 * SQLITE_STATIC (no copy) and steps in the same call, and the bindings
 * are cleared here, so SQLite never holds a caller's pointer after it
 * returns. */
static void
step(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		msg_error("state file %s: write failed: %s", st->path,
		    sqlite3_errmsg(st->db));
		st->resync = true;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int
store_commit(struct store *st)
{
	if (!st->in_tx)
		return 0;
	st->in_tx = false;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		msg_error("state file %s: commit failed: %s (will rewrite the "
			  "whole state at the next commit)",
		    st->path, sqlite3_errmsg(st->db));
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->resync = true;
		return -1;
	}
	return 0;
}

void
store_sync_commits(struct store *st)
{
	if (st->in_tx)
		msg_panic("store_sync_commits: inside a transaction");
	/* FULL makes each commit sync the log: what the skipped checkpoint
	 * would have made durable is durable already */
	if (sqlite3_exec(st->db, "PRAGMA synchronous = FULL", NULL, NULL,
		NULL) == SQLITE_OK)
		sqlite3_db_config(
		    st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	else
		msg_warn("state file %s: %s", st->path, sqlite3_errmsg(st->db));
}

bool
store_dirty(const struct store *st)
{
	return st->in_tx;
}

bool
store_needs_resync(const struct store *st)
{
	return st->resync;
}

/* bind_ip - an IP as a blob parameter */
static void
bind_ip(sqlite3_stmt *s, int i, const struct ipaddr *ip)
{
	sqlite3_bind_blob(s, i, ip->a, (int)ipaddr_len(ip), SQLITE_STATIC);
}

/* query - prepare a read; NULL (logged) on error or a missing table */
static sqlite3_stmt *
query(struct store *st, int64_t since, const char *sql)
{
	sqlite3_stmt *s;

	if (st->version < since)
		return NULL; /* an old read-only file: the table is not there */
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		msg_error(
		    "state file %s: %s", st->path, sqlite3_errmsg(st->db));
		return NULL;
	}
	return s;
}

/* finish - end a read; -1 (logged) if it stopped on an error */
static int
finish(struct store *st, sqlite3_stmt *s, int rc, int bad, const char *what)
{
	sqlite3_finalize(s);
	if (bad)
		msg_warn("state file %s: %d malformed %s row(s) ignored",
		    st->path, bad, what);
	if (rc != SQLITE_DONE) {
		msg_error("state file %s: read failed: %s", st->path,
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* col_ip - an IP column; false if it is not 4 or 16 bytes */
static bool
col_ip(sqlite3_stmt *s, int i, struct ipaddr *ip)
{
	return ipaddr_from_bytes(
	    ip, sqlite3_column_blob(s, i), (size_t)sqlite3_column_bytes(s, i));
}

void
store_relay_put(struct store *st, const struct ipaddr *ip, const char *user,
    int64_t first, int64_t last, uint32_t count)
{
	if (!begin(st))
		return;
	bind_ip(st->relay_put, 1, ip);
	sqlite3_bind_text(st->relay_put, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st->relay_put, 3, first);
	sqlite3_bind_int64(st->relay_put, 4, last);
	sqlite3_bind_int64(st->relay_put, 5, count);
	step(st, st->relay_put);
}

void
store_relay_drop(struct store *st, const struct ipaddr *ip)
{
	if (!begin(st))
		return;
	bind_ip(st->relay_drop, 1, ip);
	step(st, st->relay_drop);
}

int
store_relay_load(struct store *st, store_relay_fn *fn, void *arg)
{
	sqlite3_stmt *s = query(
	    st, 1, "SELECT ip, user, first, last, count FROM relay_login");
	int rc, bad = 0;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ipaddr ip;
		const char *user = (const char *)sqlite3_column_text(s, 1);
		int64_t count = sqlite3_column_int64(s, 4);

		if (!col_ip(s, 0, &ip) || user == NULL || count < 0 ||
		    count > UINT32_MAX) {
			bad++;
			continue;
		}
		fn(arg, &ip, user, sqlite3_column_int64(s, 2),
		    sqlite3_column_int64(s, 3), (uint32_t)count);
	}
	return finish(st, s, rc, bad, "relay");
}

#define BL_COLS 12

/* bind_bl - r into the BL_COLS parameters from i on */
static void
bind_bl(sqlite3_stmt *s, int i, const struct store_bl_row *r)
{
	bind_ip(s, i, &r->ip);
	sqlite3_bind_text(s, i + 1, r->origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, i + 2, r->first);
	sqlite3_bind_int64(s, i + 3, r->last);
	sqlite3_bind_int64(s, i + 4, r->ban_end);
	sqlite3_bind_int64(s, i + 5, r->period);
	sqlite3_bind_int64(s, i + 6, r->total);
	sqlite3_bind_double(s, i + 7, r->rate);
	sqlite3_bind_text(s, i + 8, r->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i + 9, r->authority, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i + 10, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, i + 11, r->ban_start);
}

void
store_bl_put(struct store *st, const struct store_bl_row *r)
{
	if (!begin(st))
		return;
	bind_bl(st->bl_put, 1, r);
	step(st, st->bl_put);
}

/* bulk - the statement "INSERT OR REPLACE INTO table VALUES (?..),..."
 * of STORE_BULK rows of ncols, prepared the first time */
static sqlite3_stmt *
bulk(struct store *st, sqlite3_stmt **sp, const char *table, int ncols)
{
	struct sbuf b = SBUF_INIT;

	if (*sp != NULL)
		return *sp;
	sbuf_printf(&b, "INSERT OR REPLACE INTO %s VALUES ", table);
	for (int r = 0; r < STORE_BULK; r++) {
		sbuf_adds(&b, r ? ", (" : "(");
		for (int c = 0; c < ncols; c++)
			sbuf_adds(&b, c ? ", ?" : "?");
		sbuf_addc(&b, ')');
	}
	*sp = prepare(st, b.s);
	sbuf_free(&b);
	return *sp;
}

void
store_bl_put_many(struct store *st, const struct store_bl_row *rows, size_t n)
{
	sqlite3_stmt *s;
	size_t i = 0;

	if (!begin(st))
		return;
	if (n >= STORE_BULK)
		for (s = bulk(st, &st->bl_bulk, "blacklist", BL_COLS);
		     n - i >= STORE_BULK; i += STORE_BULK) {
			for (int r = 0; r < STORE_BULK; r++)
				bind_bl(s, 1 + r * BL_COLS, &rows[i + r]);
			step(st, s);
		}
	for (; i < n; i++)
		store_bl_put(st, &rows[i]);
}

void
store_bl_drop(struct store *st, const struct ipaddr *ip)
{
	if (!begin(st))
		return;
	bind_ip(st->bl_drop, 1, ip);
	step(st, st->bl_drop);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t ? t : "";
}

int
store_bl_load(struct store *st, store_bl_fn *fn, void *arg)
{
	/* a read-only file of version 2 has no ban_start */
	sqlite3_stmt *s = query(st, 2,
	    st->version >= 3
		? "SELECT ip, origin, first, last, ban_end, period, total, "
		  "rate, host, authority, reason, ban_start FROM blacklist"
		: "SELECT ip, origin, first, last, ban_end, period, total, "
		  "rate, host, authority, reason, 0 FROM blacklist");
	int rc, bad = 0;

	if (s == NULL)
		return st->version < 2 ? 0 : -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_bl_row r;
		int64_t period = sqlite3_column_int64(s, 5),
			total = sqlite3_column_int64(s, 6);
		if (!col_ip(s, 0, &r.ip) || period < 0 || period > UINT32_MAX ||
		    total < 0 || total > UINT32_MAX) {
			bad++;
			continue;
		}
		r.origin = col_text(s, 1);
		r.first = sqlite3_column_int64(s, 2);
		r.last = sqlite3_column_int64(s, 3);
		r.ban_end = sqlite3_column_int64(s, 4);
		r.period = (uint32_t)period;
		r.total = (uint32_t)total;
		r.rate = sqlite3_column_double(s, 7);
		r.host = col_text(s, 8);
		r.authority = col_text(s, 9);
		r.reason = col_text(s, 10);
		r.ban_start = sqlite3_column_int64(s, 11);
		fn(arg, &r);
	}
	return finish(st, s, rc, bad, "blacklist");
}

#define FISH_COLS 6

/* bind_fish - ip's pair r into the FISH_COLS parameters from i on */
static void
bind_fish(sqlite3_stmt *s, int i, const struct ipaddr *ip,
    const struct store_fish_row *r)
{
	bind_ip(s, i, ip);
	sqlite3_bind_text(s, i + 1, r->rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i + 2, r->sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, i + 3, r->first);
	sqlite3_bind_int64(s, i + 4, r->last);
	sqlite3_bind_int64(s, i + 5, r->hits);
}

void
store_fish_set(struct store *st, const struct ipaddr *ip,
    const struct store_fish_row *rows, size_t n)
{
	if (!begin(st))
		return;
	bind_ip(st->fish_drop, 1, ip);
	step(st, st->fish_drop);
	for (size_t i = 0; i < n; i++) {
		bind_fish(st->fish_put, 1, ip, &rows[i]);
		step(st, st->fish_put);
	}
}

void
store_fish_add_many(
    struct store *st, const struct store_fish_ip_row *rows, size_t n)
{
	sqlite3_stmt *s;
	size_t i = 0;

	if (!begin(st))
		return;
	if (n >= STORE_BULK)
		for (s = bulk(st, &st->fish_bulk, "fish_pair", FISH_COLS);
		     n - i >= STORE_BULK; i += STORE_BULK) {
			for (int r = 0; r < STORE_BULK; r++)
				bind_fish(s, 1 + r * FISH_COLS, rows[i + r].ip,
				    &rows[i + r].r);
			step(st, s);
		}
	for (; i < n; i++) {
		bind_fish(st->fish_put, 1, rows[i].ip, &rows[i].r);
		step(st, st->fish_put);
	}
}

int
store_fish_load(struct store *st, store_fish_fn *fn, void *arg)
{
	sqlite3_stmt *s = query(
	    st, 2, "SELECT ip, rcpt, sender, first, last, hits FROM fish_pair");
	int rc, bad = 0;

	if (s == NULL)
		return st->version < 2 ? 0 : -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_fish_row r;
		struct ipaddr ip;
		int64_t hits = sqlite3_column_int64(s, 5);
		if (!col_ip(s, 0, &ip) || hits < 0 || hits > UINT32_MAX) {
			bad++;
			continue;
		}
		r.rcpt = col_text(s, 1);
		r.sender = col_text(s, 2);
		r.first = sqlite3_column_int64(s, 3);
		r.last = sqlite3_column_int64(s, 4);
		r.hits = (uint32_t)hits;
		fn(arg, &ip, &r);
	}
	return finish(st, s, rc, bad, "fishing");
}

void
store_auth_set(struct store *st, const struct ipaddr *ip, int kind,
    int64_t first, int64_t last, uint32_t count)
{
	sqlite3_stmt *s = st->auth_put;

	if (!begin(st))
		return;
	bind_ip(s, 1, ip);
	sqlite3_bind_int(s, 2, kind);
	sqlite3_bind_int64(s, 3, first);
	sqlite3_bind_int64(s, 4, last);
	sqlite3_bind_int64(s, 5, count);
	step(st, s);
}

void
store_auth_drop(struct store *st, const struct ipaddr *ip)
{
	if (!begin(st))
		return;
	bind_ip(st->auth_drop, 1, ip);
	step(st, st->auth_drop);
}

int
store_auth_load(struct store *st, store_auth_fn *fn, void *arg)
{
	sqlite3_stmt *s =
	    query(st, 2, "SELECT ip, kind, first, last, count FROM auth_fail");
	int rc, bad = 0;

	if (s == NULL)
		return st->version < 2 ? 0 : -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ipaddr ip;
		int64_t count = sqlite3_column_int64(s, 4);
		if (!col_ip(s, 0, &ip) || count < 0 || count > UINT32_MAX) {
			bad++;
			continue;
		}
		fn(arg, &ip, sqlite3_column_int(s, 1),
		    sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
		    (uint32_t)count);
	}
	return finish(st, s, rc, bad, "failed-authentication");
}

void
store_clear_all(struct store *st)
{
	if (!begin(st))
		return;
	if (sqlite3_exec(st->db,
		"DELETE FROM relay_login; DELETE FROM blacklist; "
		"DELETE FROM fish_pair; DELETE FROM auth_fail;",
		NULL, NULL, NULL) != SQLITE_OK) {
		msg_error(
		    "state file %s: %s", st->path, sqlite3_errmsg(st->db));
		st->resync = true; /* the next commit tries again */
		return;
	}
	st->resync = false;
}

void
store_pos_put(struct store *st, const char *spec, const struct source_pos *pos)
{
	if (!begin(st))
		return;
	sqlite3_bind_text(st->pos_put, 1, spec, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st->pos_put, 2, (int64_t)pos->dev);
	sqlite3_bind_int64(st->pos_put, 3, (int64_t)pos->ino);
	sqlite3_bind_int64(st->pos_put, 4, (int64_t)pos->offset);
	sqlite3_bind_int64(st->pos_put, 5, (int64_t)pos->fingerprint);
	sqlite3_bind_text(st->pos_put, 6, pos->cursor, -1, SQLITE_STATIC);
	step(st, st->pos_put);
}

void
store_meta_put(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;

	if (!begin(st))
		return;
	if (sqlite3_prepare_v2(st->db,
		"INSERT OR REPLACE INTO meta VALUES (?, ?)", -1, &s,
		NULL) != SQLITE_OK) {
		msg_error(
		    "state file %s: %s", st->path, sqlite3_errmsg(st->db));
		return;
	}
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	step(st, s);
	sqlite3_finalize(s);
}

bool
store_meta_get(struct store *st, const char *key, char *buf, size_t size)
{
	sqlite3_stmt *s;
	bool found = false;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?",
		-1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		snprintf(buf, size, "%s", v ? v : "");
		found = true;
	}
	sqlite3_finalize(s);
	return found;
}

bool
store_pos_get(struct store *st, const char *spec, struct source_pos *pos)
{
	sqlite3_stmt *s;
	bool found = false;

	if (sqlite3_prepare_v2(st->db,
		"SELECT dev, ino, offset, fingerprint, cursor FROM source_pos "
		"WHERE spec = ?",
		-1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, spec, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(s, 4);
		memset(pos, 0, sizeof(*pos));
		pos->dev = (uint64_t)sqlite3_column_int64(s, 0);
		pos->ino = (uint64_t)sqlite3_column_int64(s, 1);
		pos->offset = (uint64_t)sqlite3_column_int64(s, 2);
		pos->fingerprint = (uint64_t)sqlite3_column_int64(s, 3);
		snprintf(pos->cursor, sizeof(pos->cursor), "%s", c ? c : "");
		found = true;
	}
	sqlite3_finalize(s);
	return found;
}
