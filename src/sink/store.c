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
 *	rewrite the whole state from memory.
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
#define STORE_SCHEMA 1

static const char schema[] =
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
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

struct store {
	sqlite3 *db;
	char *path;
	bool readonly;
	bool in_tx;
	bool resync;
	sqlite3_stmt *relay_put, *relay_drop, *relay_clear, *pos_put;
};

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

static char *
create_schema(struct store *st)
{
	char sql[256];
	char *e = NULL;

	snprintf(sql, sizeof(sql),
	    "BEGIN; PRAGMA application_id = %d; PRAGMA user_version = %d;",
	    STORE_APP_ID, STORE_SCHEMA);
	if (sqlite3_exec(st->db, sql, NULL, NULL, &e) != SQLITE_OK ||
	    sqlite3_exec(st->db, schema, NULL, NULL, &e) != SQLITE_OK ||
	    sqlite3_exec(st->db,
		"INSERT INTO meta VALUES ('created_by', "
		"'popauth " POPAUTH_VERSION "'); COMMIT;",
		NULL, NULL, &e) != SQLITE_OK) {
		char *err = xstrfmt("cannot create it: %s", e ? e : "?");
		sqlite3_free(e);
		return err;
	}
	return NULL;
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
		if (fresh && (why = create_schema(st)) != NULL)
			goto refuse;
		st->relay_put = prepare(st,
		    "INSERT OR REPLACE INTO relay_login VALUES (?, ?, ?, ?, "
		    "?)");
		st->relay_drop =
		    prepare(st, "DELETE FROM relay_login WHERE ip = ?");
		st->relay_clear = prepare(st, "DELETE FROM relay_login");
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
	sqlite3_finalize(st->relay_clear);
	sqlite3_finalize(st->pos_put);
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

/* step - run a bound write statement, then reset it */
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

void
store_relay_put(struct store *st, const struct ipaddr *ip, const char *user,
    int64_t first, int64_t last, uint32_t count)
{
	if (!begin(st))
		return;
	sqlite3_bind_blob(
	    st->relay_put, 1, ip->a, (int)ipaddr_len(ip), SQLITE_TRANSIENT);
	sqlite3_bind_text(st->relay_put, 2, user, -1, SQLITE_TRANSIENT);
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
	sqlite3_bind_blob(
	    st->relay_drop, 1, ip->a, (int)ipaddr_len(ip), SQLITE_TRANSIENT);
	step(st, st->relay_drop);
}

void
store_relay_clear(struct store *st)
{
	if (!begin(st))
		return;
	step(st, st->relay_clear);
	st->resync = false;
}

int
store_relay_load(struct store *st, store_relay_fn *fn, void *arg)
{
	sqlite3_stmt *s;
	int rc, bad = 0;

	if (sqlite3_prepare_v2(st->db,
		"SELECT ip, user, first, last, count FROM relay_login", -1, &s,
		NULL) != SQLITE_OK) {
		msg_error(
		    "state file %s: %s", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ipaddr ip;
		const char *user = (const char *)sqlite3_column_text(s, 1);
		int64_t count = sqlite3_column_int64(s, 4);

		if (!ipaddr_from_bytes(&ip, sqlite3_column_blob(s, 0),
			(size_t)sqlite3_column_bytes(s, 0)) ||
		    user == NULL || count < 0 || count > UINT32_MAX) {
			bad++;
			continue;
		}
		fn(arg, &ip, user, sqlite3_column_int64(s, 2),
		    sqlite3_column_int64(s, 3), (uint32_t)count);
	}
	sqlite3_finalize(s);
	if (bad)
		msg_warn("state file %s: %d malformed relay row(s) ignored",
		    st->path, bad);
	if (rc != SQLITE_DONE) {
		msg_error("state file %s: read failed: %s", st->path,
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

void
store_pos_put(struct store *st, const char *spec, const struct source_pos *pos)
{
	if (!begin(st))
		return;
	sqlite3_bind_text(st->pos_put, 1, spec, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st->pos_put, 2, (int64_t)pos->dev);
	sqlite3_bind_int64(st->pos_put, 3, (int64_t)pos->ino);
	sqlite3_bind_int64(st->pos_put, 4, (int64_t)pos->offset);
	sqlite3_bind_int64(st->pos_put, 5, (int64_t)pos->fingerprint);
	sqlite3_bind_text(st->pos_put, 6, pos->cursor, -1, SQLITE_TRANSIENT);
	step(st, st->pos_put);
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
	sqlite3_bind_text(s, 1, spec, -1, SQLITE_TRANSIENT);
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
