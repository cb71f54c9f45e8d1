/*
 * test_source_journal - the journal source on real journal files.
 *
 * The files are made from journal export format text by Debian's
 * systemd-journal-remote (package systemd-journal-remote); without it the
 * test is skipped (exit 77).  Without libsystemd at build time, only the
 * "not built in" error is tested.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/mem.h"
#include "lib/sbuf.h"
#include "lib/spawn.h"
#include "source/source.h"
#include "tlib.h"

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"

#ifdef HAVE_JOURNAL

struct entry_got {
	char *msg; /* escaped, "<LONG>" */
	char *prog, *pid, *host;
	int64_t time;
	bool epoch;
	char cursor[512];
};

struct got {
	struct entry_got e[64];
	size_t n;
};

/* esc_bytes - bytes as text, with \xNN for the unprintable ones */
static char *
esc_bytes(const char *p, size_t n)
{
	struct sbuf b = SBUF_INIT;

	sbuf_add_escaped(&b, p, n);
	if (b.s == NULL)
		return xstrdup("");
	return sbuf_detach(&b);
}

static void
on_line(void *arg, struct source *src, const char *p, size_t n,
    const struct logline *pre)
{
	struct got *g = arg;
	struct entry_got *e;
	struct source_pos pos;

	if (g->n == 64)
		return;
	e = &g->e[g->n++];
	memset(e, 0, sizeof(*e));
	e->msg = p ? esc_bytes(p, n) : xstrdup("<LONG>");
	if (pre) {
		e->prog = esc_bytes(pre->prog.p, pre->prog.n);
		e->pid = esc_bytes(pre->pid.p, pre->pid.n);
		e->host = esc_bytes(pre->host.p, pre->host.n);
		e->time = pre->has_time ? pre->time : -1;
		e->epoch = pre->tskind == TS_EPOCH;
		T_OK(pre->msg.p == p && pre->msg.n == n);
	}
	/* the position already includes the entry being delivered */
	T_OK(source_get_pos(src, &pos));
	snprintf(e->cursor, sizeof(e->cursor), "%s", pos.cursor);
}

static void
got_reset(struct got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->e[i].msg);
		free(g->e[i].prog);
		free(g->e[i].pid);
		free(g->e[i].host);
	}
	g->n = 0;
}

/* run - turn the loop until `want' lines arrived (want 0: for ms), then
 * a little longer so that extra lines would show */
static void
run(struct loop *loop, struct got *g, size_t want, int ms)
{
	t_run_loop(loop, &g->n, want, ms, 50);
}

/* expect_msgs - the delivered messages are exactly these */
static void
expect_msgs(struct got *g, const char *const *want, size_t nwant)
{
	T_EQ_INT(g->n, nwant);
	for (size_t i = 0; i < nwant && i < g->n; i++)
		T_EQ_STR(g->e[i].msg, want[i]);
}

#define EXPECT(g, ...)                                                         \
	do {                                                                   \
		static const char *const w_[] = {__VA_ARGS__};                 \
		expect_msgs((g), w_, sizeof(w_) / sizeof(w_[0]));              \
	} while (0)

/* add_entry - one entry in export format; fields "NAME=value" each, and
 * a MESSAGE given as bytes (binary-safe form), or none if msg == NULL */
static void
add_entry(struct sbuf *b, unsigned seq, const char *msg, size_t msglen,
    const char *const *fields)
{
	sbuf_printf(b,
	    "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%u\n"
	    "_BOOT_ID=0123456789abcdef0123456789abcdef\n",
	    1700000000000000ULL + seq * 1000000ULL, 1000 + seq);
	for (; *fields; fields++)
		sbuf_printf(b, "%s\n", *fields);
	if (msg) {
		unsigned char le[8];
		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)((uint64_t)msglen >> (8 * i));
		sbuf_adds(b, "MESSAGE\n");
		sbuf_add(b, le, 8);
		sbuf_add(b, msg, msglen);
		sbuf_addc(b, '\n');
	}
	sbuf_addc(b, '\n');
}

/* write_journal - let systemd-journal-remote write (or append to) file */
static void
write_journal(const char *file, struct sbuf *b)
{
	char *argv[] = {JOURNAL_REMOTE, "-o", (char *)file, "-", NULL};
	struct spawn_result r;
	char why[128];

	T_EQ_INT(spawn_sync(argv, b->s, b->len, 10000, &r), 0);
	T_OK(spawn_ok(&r));
	if (!spawn_ok(&r))
		fprintf(stderr, "journal-remote: %s: %s\n",
		    spawn_describe(&r, why, sizeof(why)),
		    r.err.s ? r.err.s : "");
	spawn_result_free(&r);
	sbuf_reset(b);
}

static struct source *
start(struct loop *loop, const char *spec, struct got *g, bool from_start,
    const struct source_pos *resume)
{
	struct source_opts o = {.from_start = from_start};
	char *err = NULL;
	struct source *src = source_new(spec, &o, on_line, NULL, g, &err);

	if (src == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	T_EQ_INT(source_start(src, loop, resume), 0);
	return src;
}

static void
test_journal(struct loop *loop)
{
	char dir[4200], file[4300], spec[4300];
	struct sbuf b = SBUF_INIT;
	struct got g = {0};
	struct source_pos pos, tail;
	struct source_stats st;
	struct source *src, *live;
	char *big = xmalloc(20000);

	snprintf(dir, sizeof(dir), "%s/journal", t_tmpdir());
	T_EQ_INT(mkdir(dir, 0700), 0);
	snprintf(file, sizeof(file), "%s/x.journal", dir);
	snprintf(spec, sizeof(spec), "journal:%s", dir);
	memset(big, 'y', 20000);

	add_entry(&b, 1, "connect from a[192.0.2.1]", 25,
	    (const char *const[]){"SYSLOG_FACILITY=2",
		"SYSLOG_IDENTIFIER=postfix/smtpd", "SYSLOG_PID=101", "_PID=999",
		"_HOSTNAME=mx1", NULL});
	add_entry(&b, 2, "not mail", 8,
	    (const char *const[]){
		"SYSLOG_FACILITY=3", "SYSLOG_IDENTIFIER=sshd", NULL});
	add_entry(&b, 3, "pop3-login: a\0b\nc", 17,
	    (const char *const[]){"SYSLOG_FACILITY=2",
		"SYSLOG_IDENTIFIER=dovecot", "_PID=202", "_HOSTNAME=mx2",
		"_SOURCE_REALTIME_TIMESTAMP=1600000000123456", NULL});
	add_entry(&b, 4, NULL, 0,
	    (const char *const[]){
		"SYSLOG_FACILITY=2", "SYSLOG_IDENTIFIER=nomessage", NULL});
	add_entry(&b, 5, big, 20000,
	    (const char *const[]){"SYSLOG_FACILITY=2",
		"SYSLOG_IDENTIFIER=postfix/cleanup", NULL});
	/* a sender's SYSLOG_PID that is no pid: journald's _PID instead */
	add_entry(&b, 6, "last", 4,
	    (const char *const[]){"SYSLOG_FACILITY=2",
		"SYSLOG_IDENTIFIER=postfix/qmgr", "SYSLOG_PID=303]: x",
		"_PID=404", NULL});
	write_journal(file, &b);

	/* from the head: mail entries only, with their header fields */
	T_CASE("journal head");
	src = start(loop, spec, &g, true, NULL);
	run(loop, &g, 4, 3000);
	EXPECT(&g, "connect from a[192.0.2.1]", "pop3-login: a\\x00b\\x0ac",
	    "<LONG>", "last");
	if (g.n == 4) {
		T_EQ_STR(g.e[0].prog, "postfix/smtpd");
		T_EQ_STR(g.e[0].pid, "101");
		T_EQ_STR(g.e[0].host, "mx1");
		T_EQ_INT(g.e[0].time, 1700000001);
		T_OK(g.e[0].epoch);
		T_EQ_STR(g.e[1].prog, "dovecot");
		T_EQ_STR(g.e[1].pid, "202");
		T_EQ_STR(g.e[1].host, "mx2");
		T_EQ_INT(g.e[1].time, 1600000000);
		T_EQ_STR(g.e[3].prog, "postfix/qmgr");
		T_EQ_STR(g.e[3].pid, "404");
		T_EQ_STR(g.e[3].host, "");
		T_EQ_INT(g.e[3].time, 1700000006);
		T_OK(g.e[1].cursor[0] != 0);
		T_OK(strcmp(g.e[1].cursor, g.e[3].cursor) != 0);
	}
	T_OK(t_msg_has("entry 3: message of 20000 bytes skipped"));
	source_get_stats(src, &st);
	T_EQ_INT(st.lines, 4);
	T_EQ_INT(st.oversized, 1);
	T_OK(source_get_pos(src, &pos));
	T_EQ_STR(pos.cursor, g.n == 4 ? g.e[3].cursor : "?");

	/* resume after the second delivered entry */
	T_CASE("journal resume");
	snprintf(pos.cursor, sizeof(pos.cursor), "%s",
	    g.n == 4 ? g.e[1].cursor : "");
	got_reset(&g);
	source_free(src);
	src = start(loop, spec, &g, false, &pos);
	run(loop, &g, 2, 3000);
	EXPECT(&g, "<LONG>", "last");
	got_reset(&g);
	source_free(src);

	/* no cursor: start at the tail, follow what is added */
	T_CASE("journal tail");
	live = start(loop, spec, &g, false, NULL);
	run(loop, &g, 0, 200);
	T_EQ_INT(g.n, 0);
	T_OK(source_get_pos(live, &tail));
	T_OK(tail.cursor[0] != 0);
	add_entry(&b, 7, "seven", 5,
	    (const char *const[]){
		"SYSLOG_FACILITY=2", "SYSLOG_IDENTIFIER=postfix/smtpd", NULL});
	add_entry(&b, 8, "eight", 5,
	    (const char *const[]){
		"SYSLOG_FACILITY=2", "SYSLOG_IDENTIFIER=postfix/smtpd", NULL});
	write_journal(file, &b);
	run(loop, &g, 2, 5000);
	EXPECT(&g, "seven", "eight");
	got_reset(&g);

	/* a restart from the tail's cursor sees what came after it */
	src = start(loop, spec, &g, false, &tail);
	run(loop, &g, 2, 3000);
	EXPECT(&g, "seven", "eight");
	got_reset(&g);
	source_free(src);
	source_free(live);

	/* a cursor that is no cursor: warning, tail */
	T_CASE("journal bad cursor");
	snprintf(pos.cursor, sizeof(pos.cursor), "garbage");
	src = start(loop, spec, &g, false, &pos);
	run(loop, &g, 0, 100);
	T_EQ_INT(g.n, 0);
	T_OK(t_msg_has("saved journal cursor is not valid"));
	source_free(src);

	/* the saved entry was vacuumed: go on with the next one */
	T_CASE("journal vacuumed");
	{
		char dir2[4300], file2[4400], spec2[4400];
		snprintf(dir2, sizeof(dir2), "%s/journal2", t_tmpdir());
		T_EQ_INT(mkdir(dir2, 0700), 0);
		snprintf(file2, sizeof(file2), "%s/old.journal", dir2);
		snprintf(spec2, sizeof(spec2), "journal:%s", dir2);
		for (unsigned i = 20; i < 23; i++)
			add_entry(&b, i, "old", 3,
			    (const char *const[]){"SYSLOG_FACILITY=2", NULL});
		write_journal(file2, &b);
		src = start(loop, spec2, &g, true, NULL);
		run(loop, &g, 3, 3000);
		T_EQ_INT(g.n, 3);
		snprintf(pos.cursor, sizeof(pos.cursor), "%s",
		    g.n == 3 ? g.e[1].cursor : "");
		got_reset(&g);
		source_free(src);
		T_EQ_INT(unlink(file2), 0);
		snprintf(file2, sizeof(file2), "%s/new.journal", dir2);
		add_entry(&b, 30, "new1", 4,
		    (const char *const[]){"SYSLOG_FACILITY=2", NULL});
		add_entry(&b, 31, "new2", 4,
		    (const char *const[]){"SYSLOG_FACILITY=2", NULL});
		write_journal(file2, &b);
		t_msg_clear();
		src = start(loop, spec2, &g, false, &pos);
		run(loop, &g, 2, 3000);
		EXPECT(&g, "new1", "new2");
		T_OK(t_msg_has("saved journal entry no longer exists"));
		got_reset(&g);
		source_free(src);
	}

	/* the local journal opens (whatever is in it) */
	T_CASE("journal local");
	src = start(loop, "journal", &g, false, NULL);
	source_drain(src);
	got_reset(&g);
	source_free(src);
	free(big);
	sbuf_free(&b);
}

#endif /* HAVE_JOURNAL */

int
main(void)
{
	char *err = NULL;
	struct source *src;

	t_msg_capture();
	T_CASE("specs");
	src = source_new("journal:relative/dir", NULL, NULL, NULL, NULL, &err);
	T_OK(src == NULL);
	free(err);
#ifdef HAVE_JOURNAL
	if (access(JOURNAL_REMOTE, X_OK) != 0) {
		fprintf(stderr,
		    "SKIP: %s is missing (apt-get install "
		    "systemd-journal-remote)\n",
		    JOURNAL_REMOTE);
		return 77;
	}
	struct loop *loop = loop_new();
	int fds = t_open_fds();
	test_journal(loop);
	T_EQ_INT(t_open_fds(), fds); /* nothing leaked */
	loop_free(loop);
#else
	src = source_new("journal", NULL, NULL, NULL, NULL, &err);
	T_OK(src == NULL);
	T_OK(err && strstr(err, "without systemd journal support"));
	free(err);
#endif
	return t_done();
}
