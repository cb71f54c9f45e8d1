/*
 * test_store - the SQLite state: round trip, crash safety of the
 * transaction, refusal of foreign, corrupt and newer files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/ipaddr.h"
#include "sink/store.h"
#include "tlib.h"

struct row {
	char ip[64];
	char user[64];
	long long first, last;
	unsigned count;
};

struct rows {
	struct row v[16];
	int n;
};

static void
collect(void *arg, const struct ipaddr *ip, const char *user, int64_t first,
    int64_t last, uint32_t count)
{
	struct rows *r = arg;

	if (r->n == 16)
		return;
	struct row *w = &r->v[r->n++];
	snprintf(w->ip, sizeof(w->ip), "%s", ipaddr_str(ip));
	snprintf(w->user, sizeof(w->user), "%s", user);
	w->first = first;
	w->last = last;
	w->count = count;
}

static struct ipaddr
ip(const char *s)
{
	struct ipaddr a;

	ipaddr_parse(&a, s, strlen(s));
	return a;
}

static char *
subdir(const char *name)
{
	static char path[4][512];
	static int n;
	char *p = path[n++ % 4];

	snprintf(p, 512, "%s/%s", t_tmpdir(), name);
	return p;
}

static void
test_roundtrip(void)
{
	char *dir = subdir("rt"), *err = NULL;
	struct store *st = store_open(dir, true, false, &err);
	struct ipaddr a = ip("192.0.2.10"), b = ip("2001:db8::1");
	struct source_pos pos = {1, 2, 300, 0xdeadbeefcafeULL, "cur;s=1"}, got;
	struct rows rows = {0};

	T_OK(st != NULL);
	if (st == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	store_relay_put(st, &a, "alice", 100, 200, 2);
	store_relay_put(st, &a, "bob's \"name\"; DROP TABLE x", 150, 150, 1);
	store_relay_put(st, &b, "carol", 10, 20, 1);
	store_relay_put(st, &a, "alice", 100, 300, 3); /* replaces */
	store_pos_put(st, "file:/var/log/mail.log", &pos);
	T_OK(store_dirty(st));
	T_EQ_INT(store_commit(st), 0);
	T_OK(!store_dirty(st));
	store_relay_drop(st, &b);
	store_close(st); /* commits */

	st = store_open(dir, true, false, &err);
	T_OK(st != NULL);
	T_EQ_INT(store_relay_load(st, collect, &rows), 0);
	T_EQ_INT(rows.n, 2);
	for (int i = 0; i < rows.n; i++) {
		T_EQ_STR(rows.v[i].ip, "192.0.2.10");
		if (strcmp(rows.v[i].user, "alice") == 0)
			T_OK(rows.v[i].last == 300 && rows.v[i].count == 3);
		else
			T_EQ_STR(
			    rows.v[i].user, "bob's \"name\"; DROP TABLE x");
	}
	T_OK(store_pos_get(st, "file:/var/log/mail.log", &got));
	T_EQ_INT(got.offset, 300);
	T_OK(got.fingerprint == 0xdeadbeefcafeULL);
	T_EQ_STR(got.cursor, "cur;s=1");
	T_OK(!store_pos_get(st, "file:/other", &got));
	store_close(st);

	/* read-only open sees the same */
	st = store_open(dir, false, true, &err);
	T_OK(st != NULL);
	memset(&rows, 0, sizeof(rows));
	T_EQ_INT(store_relay_load(st, collect, &rows), 0);
	T_EQ_INT(rows.n, 2);
	store_close(st);
}

/* a process killed (-9) with an open transaction loses only that one */
static void
test_kill9(void)
{
	char *dir = subdir("k9"), *err = NULL;
	struct ipaddr a = ip("192.0.2.1"), b = ip("192.0.2.2");
	struct rows rows = {0};
	pid_t pid = fork();

	if (pid == 0) {
		struct store *st = store_open(dir, true, false, &err);
		if (st == NULL)
			_exit(3);
		store_relay_put(st, &a, "committed", 1, 1, 1);
		store_commit(st);
		store_relay_put(st, &b, "uncommitted", 1, 1, 1);
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	int status;
	waitpid(pid, &status, 0);
	T_OK(WIFSIGNALED(status));
	struct store *st = store_open(dir, true, false, &err);
	T_OK(st != NULL);
	if (st == NULL)
		return;
	store_relay_load(st, collect, &rows);
	T_EQ_INT(rows.n, 1);
	T_EQ_STR(rows.v[0].user, "committed");
	store_close(st);
}

/* store_sync_commits: the close leaves the synced log behind, and the
 * next opener, writer or reader, sees what it holds */
static void
test_sync_commits(void)
{
	char *dir = subdir("sc"), *err = NULL, wal[600];
	struct ipaddr a = ip("192.0.2.7");
	struct rows rows = {0};
	struct stat sb;
	struct store *st = store_open(dir, true, false, &err);

	T_OK(st != NULL);
	if (st == NULL)
		return;
	store_sync_commits(st);
	store_relay_put(st, &a, "replayed", 5, 6, 2);
	store_close(st);
	snprintf(wal, sizeof(wal), "%s/popauth.db-wal", dir);
	T_OK(stat(wal, &sb) == 0 && sb.st_size > 0);

	st = store_open(dir, false, true, &err);
	T_OK(st != NULL);
	if (st == NULL)
		return;
	T_EQ_INT(store_relay_load(st, collect, &rows), 0);
	T_EQ_INT(rows.n, 1);
	T_EQ_STR(rows.v[0].user, "replayed");
	store_close(st);

	/* a writer's close folds the log in as usual */
	st = store_open(dir, true, false, &err);
	T_OK(st != NULL);
	store_close(st);
	T_OK(stat(wal, &sb) < 0 && errno == ENOENT);
	memset(&rows, 0, sizeof(rows));
	st = store_open(dir, false, true, &err);
	T_OK(st != NULL);
	if (st == NULL)
		return;
	T_EQ_INT(store_relay_load(st, collect, &rows), 0);
	T_EQ_INT(rows.n, 1);
	store_close(st);
}

struct loaded {
	int nbl, nfish, bad;
};

static void
check_bl(void *arg, const struct store_bl_row *r)
{
	struct loaded *l = arg;
	char want[64], reason[64];
	int i = r->ip.a[3];

	snprintf(want, sizeof(want), "198.51.100.%d", i);
	snprintf(reason, sizeof(reason), "listed %d", i);
	if (strcmp(ipaddr_str(&r->ip), want) != 0 || r->first != i ||
	    r->last != 2 * i || r->ban_end != 3 * i || r->period != 4u * i ||
	    r->total != 5u * i || r->rate != i / 8.0 || r->ban_start != 6 * i ||
	    strcmp(r->origin, "dnsbl") != 0 || strcmp(r->host, "h") != 0 ||
	    strcmp(r->authority, "zen.example") != 0 ||
	    strcmp(r->reason, reason) != 0)
		l->bad++;
	l->nbl++;
}

static void
check_fish(void *arg, const struct ipaddr *ip, const struct store_fish_row *r)
{
	struct loaded *l = arg;
	char rcpt[64];
	int i = r->hits;

	snprintf(rcpt, sizeof(rcpt), "u%d@example.com", i);
	if (ip->a[3] != i / 3 || strcmp(r->rcpt, rcpt) != 0 ||
	    strcmp(r->sender, "") != 0 || r->first != i || r->last != i + 1)
		l->bad++;
	l->nfish++;
}

/* the blacklist and fishing tables, written in bulk (whole statements of
 * several rows and the rest one by one) and row by row, read back */
static void
test_bulk(void)
{
	enum { NBL = 37, NFISH = 40 };
	char *dir = subdir("bulk"), *err = NULL;
	static char reasons[NBL][32], rcpts[NFISH][32];
	struct store_bl_row bl[NBL];
	struct store_fish_ip_row fish[NFISH];
	struct ipaddr ips[NFISH];
	struct loaded l = {0};
	struct store *st = store_open(dir, true, false, &err);

	T_OK(st != NULL);
	if (st == NULL)
		return;
	for (int i = 0; i < NBL; i++) {
		char a[32];
		snprintf(a, sizeof(a), "198.51.100.%d", i);
		snprintf(reasons[i], sizeof(reasons[i]), "listed %d", i);
		bl[i] = (struct store_bl_row){ip(a), "dnsbl", i, 2 * i, 3 * i,
		    4u * i, 5u * i, i / 8.0, "h", "zen.example", reasons[i],
		    6 * i};
	}
	for (int i = 0; i < NFISH; i++) {
		char a[32];
		snprintf(a, sizeof(a), "203.0.113.%d", i / 3);
		ips[i] = ip(a);
		snprintf(rcpts[i], sizeof(rcpts[i]), "u%d@example.com", i);
		fish[i] = (struct store_fish_ip_row){
		    &ips[i], {rcpts[i], "", i, i + 1, (uint32_t)i}};
	}
	store_bl_put_many(st, bl, NBL);
	store_fish_add_many(st, fish, NFISH);
	/* one IP's pairs replaced row by row */
	store_fish_set(st, &ips[0], &fish[0].r, 1);
	store_close(st);

	st = store_open(dir, false, true, &err);
	T_OK(st != NULL);
	if (st == NULL)
		return;
	T_EQ_INT(store_bl_load(st, check_bl, &l), 0);
	T_EQ_INT(store_fish_load(st, check_fish, &l), 0);
	T_EQ_INT(l.nbl, NBL);
	T_EQ_INT(l.nfish, NFISH - 2);
	T_EQ_INT(l.bad, 0);
	store_close(st);
}

static void
count_bl(void *arg, const struct store_bl_row *r)
{
	struct loaded *l = arg;

	l->nbl++;
	if (r->ban_start != 0 || r->ban_end != 300 ||
	    strcmp(r->reason, "old") != 0)
		l->bad++;
}

/* a file of schema 2 (before ban_start): read as it is, brought up to
 * date by the first writer, its rows kept */
static void
test_upgrade(void)
{
	char *dir = subdir("v2"), *err = NULL, path[600];
	struct store *st = store_open(dir, true, false, &err);
	struct loaded l = {0};
	sqlite3 *db;

	store_close(st);
	snprintf(path, sizeof(path), "%s/popauth.db", dir);
	sqlite3_open(path, &db);
	T_EQ_INT(sqlite3_exec(db,
		     "ALTER TABLE blacklist DROP COLUMN ban_start;"
		     "INSERT INTO blacklist VALUES (x'c0000201', 'dnsbl', 1, "
		     "2, 300, 1, 1, 0.0, 'h', 'zen', 'old');"
		     "PRAGMA user_version = 2;",
		     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	st = store_open(dir, false, true, &err);
	T_OK(st != NULL);
	T_EQ_INT(store_bl_load(st, count_bl, &l), 0);
	store_close(st);
	st = store_open(dir, true, false, &err);
	T_OK(st != NULL);
	T_EQ_INT(store_bl_load(st, count_bl, &l), 0);
	store_close(st);
	T_EQ_INT(l.nbl, 2);
	T_EQ_INT(l.bad, 0);
	sqlite3_open(path, &db);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	T_EQ_INT(sqlite3_step(s), SQLITE_ROW);
	T_EQ_INT(sqlite3_column_int(s, 0), 3);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* files that are not ours are refused and left as they were */
static void
test_refusals(void)
{
	char *err = NULL, path[600];
	struct stat before, after;
	sqlite3 *db;

	/* not SQLite */
	char *dir = subdir("junk");
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/popauth.db", dir);
	t_write_file(path, "this is not a database, but it is precious\n");
	stat(path, &before);
	T_OK(store_open(dir, true, false, &err) == NULL);
	T_OK(err && strstr(err, "not an SQLite database") &&
	    strstr(err, "refusing"));
	free(err);
	err = NULL;
	stat(path, &after);
	T_EQ_INT(after.st_size, before.st_size);
	T_EQ_INT(after.st_mtime, before.st_mtime);

	/* another application's SQLite database */
	dir = subdir("foreign");
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/popauth.db", dir);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (42);", NULL,
	    NULL, NULL);
	sqlite3_close(db);
	T_OK(store_open(dir, true, false, &err) == NULL);
	T_OK(err && strstr(err, "another application"));
	free(err);
	err = NULL;
	sqlite3_open(path, &db);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "SELECT x FROM t", -1, &s, NULL);
	T_EQ_INT(sqlite3_step(s), SQLITE_ROW);
	T_EQ_INT(sqlite3_column_int(s, 0), 42);
	sqlite3_finalize(s);
	sqlite3_close(db);

	/* written by a newer popauth */
	dir = subdir("newer");
	struct store *st = store_open(dir, true, false, &err);
	store_close(st);
	snprintf(path, sizeof(path), "%s/popauth.db", dir);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	T_OK(store_open(dir, true, false, &err) == NULL);
	T_OK(err && strstr(err, "newer popauth"));
	free(err);
	err = NULL;

	/* corrupt: a valid header, garbage pages */
	dir = subdir("corrupt");
	st = store_open(dir, true, false, &err);
	struct ipaddr a = ip("192.0.2.3");
	for (int i = 0; i < 500; i++) {
		char u[32];
		snprintf(u, sizeof(u), "user%d", i);
		store_relay_put(st, &a, u, i, i, 1);
	}
	store_close(st);
	snprintf(path, sizeof(path), "%s/popauth.db", dir);
	/* fold the WAL in first, then damage page 2 onwards */
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(db);
	int fd = open(path, O_WRONLY);
	char junk[8192];
	memset(junk, 0xa5, sizeof(junk));
	T_EQ_INT(pwrite(fd, junk, sizeof(junk), 4096), (long)sizeof(junk));
	close(fd);
	T_OK(store_open(dir, true, false, &err) == NULL);
	T_OK(err != NULL);
	if (err)
		fprintf(stderr, "  (corrupt file refused: %s)\n", err);
	free(err);
	err = NULL;

	/* a missing file is no error only when we may create it */
	dir = subdir("missing");
	T_OK(store_open(dir, false, true, &err) == NULL);
	T_OK(err && strstr(err, "does not exist"));
	free(err);
}

int
main(void)
{
	t_msg_capture();
	test_roundtrip();
	test_kill9();
	test_sync_commits();
	test_bulk();
	test_upgrade();
	test_refusals();
	return t_done();
}
