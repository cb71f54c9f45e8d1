/*
 * test_source_file - following a log file: appends, partial lines,
 * rotation by rename and by copytruncate, a file that appears late,
 * resume after a restart, over-long lines, binary input.
 *
 * Every test compares the exact sequence of delivered lines, so a lost
 * or a repeated line fails it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/mem.h"
#include "source/source.h"
#include "tlib.h"

#define POLL_MS 100

/* on_line - collect what the source delivers */
static void
on_line(void *arg, struct source *src, const char *p, size_t n,
    const struct logline *pre)
{
	(void)src;
	(void)pre;
	t_lines_add(arg, p, n);
}

/* run - turn the loop until `want' lines arrived (want 0: for ms), then
 * a little longer so that extra lines would show */
static void
run(struct loop *loop, struct t_lines *g, size_t want, int ms)
{
	t_run_loop(loop, &g->n, want, ms, 50);
}

static void
append(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, s, n) != (ssize_t)n) {
		perror(path);
		exit(2);
	}
	close(fd);
}

#define APPEND(path, lit) append((path), (lit), sizeof(lit) - 1)

static void
wfd(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror("write");
		exit(2);
	}
}

static char *
mkpath(const char *name)
{
	static int serial;
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%d-%s", t_tmpdir(), ++serial, name);
	return xstrdup(buf);
}

static struct source *
start(struct loop *loop, const char *path, struct t_lines *g, bool from_start,
    const struct source_pos *resume)
{
	struct source_opts o = {.poll_ms = POLL_MS, .from_start = from_start};
	char spec[4200], *err = NULL;
	struct source *src;

	snprintf(spec, sizeof(spec), "file:%s", path);
	src = source_new(spec, &o, on_line, NULL, g, &err);
	T_OK(src != NULL);
	if (src == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	T_EQ_INT(source_start(src, loop, resume), 0);
	return src;
}

/* test_append - tail start, appends, partial lines, CRLF */
static void
test_append(struct loop *loop)
{
	char *path = mkpath("mail.log");
	struct t_lines g = {0};
	struct source_stats st;
	struct source *src;
	double cpu;

	T_CASE("append");
	t_write_file(path, "old1\nold2\nunfinished");
	src = start(loop, path, &g, false, NULL);
	cpu = t_cpu_seconds();
	run(loop, &g, 0, 300);
	T_OK(t_cpu_seconds() - cpu < 0.05); /* idle: no spinning */
	t_lines_expect(&g, NULL, 0); /* starts after the last complete line */
	APPEND(path, " line\na1\na2\n");
	run(loop, &g, 3, 2000);
	T_EXPECT_LINES(&g, "unfinished line", "a1", "a2");
	APPEND(path, "a3 part");
	run(loop, &g, 1, 300);
	t_lines_expect(
	    &g, NULL, 0); /* no newline yet: the writer is mid-write */
	APPEND(path, "ial\r\n\na4\n");
	run(loop, &g, 3, 2000);
	T_EXPECT_LINES(&g, "a3 partial", "", "a4");
	source_get_stats(src, &st);
	T_EQ_INT(st.lines, 6);
	T_EQ_INT(st.reopens, 0);
	T_EQ_INT(st.truncations, 0);
	source_free(src);

	/* from_start reads what is there */
	src = start(loop, path, &g, true, NULL);
	run(loop, &g, 8, 2000);
	T_EXPECT_LINES(&g, "old1", "old2", "unfinished line", "a1", "a2",
	    "a3 partial", "", "a4");
	source_free(src);
	free(path);
	t_lines_free(&g);
}

/* test_rename - rotation by rename while the writer still writes to the
 * old file: every line, in order, the old file's last unterminated line
 * included */
static void
test_rename(struct loop *loop)
{
	char *path = mkpath("mail.log"), rot[4200];
	struct t_lines g = {0};
	struct source_stats st;
	struct source *src;
	int w;

	T_CASE("rename");
	snprintf(rot, sizeof(rot), "%s.1", path);
	t_write_file(path, "1\n2\n");
	src = start(loop, path, &g, true, NULL);
	run(loop, &g, 2, 2000);
	T_EXPECT_LINES(&g, "1", "2");

	w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	wfd(w, "3\n4 part");
	T_EQ_INT(rename(path, rot), 0);
	wfd(w, "ial\n5\n6 unterminated");
	t_write_file(path, "7\n8\n");
	run(loop, &g, 6, 3000);
	T_EXPECT_LINES(&g, "3", "4 partial", "5", "6 unterminated", "7", "8");
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 1);
	close(w);

	/* logrotate's "create": the new file is empty while the writer
	 * still writes to the old one; we stay with the old one */
	w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	T_EQ_INT(rename(path, rot), 0);
	t_write_file(path, "");
	wfd(w, "9\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "9");
	wfd(w, "10\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "10");
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 1);
	close(w);
	/* the writer moved over: the first line in the new file switches */
	APPEND(path, "11\n");
	run(loop, &g, 1, 3000);
	T_EXPECT_LINES(&g, "11");
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 2);

	/* new file stays empty: switch after the grace time anyway */
	T_EQ_INT(rename(path, rot), 0);
	t_write_file(path, "");
	run(loop, &g, 0, 100);
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 2);
	run(loop, &g, 0, 8 * POLL_MS);
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 3);
	APPEND(path, "12\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "12");

	/* deleted (not renamed), then created again */
	T_EQ_INT(unlink(path), 0);
	run(loop, &g, 0, 100);
	APPEND(path, "13\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "13");
	source_free(src);
	free(path);
	t_lines_free(&g);
}

/* test_copytruncate - shorter, and regrown past our offset */
static void
test_copytruncate(struct loop *loop)
{
	char *path = mkpath("mail.log");
	struct t_lines g = {0};
	struct source_stats st;
	struct source *src;

	T_CASE("copytruncate");
	t_write_file(path, "aaa\nbbb\n");
	src = start(loop, path, &g, true, NULL);
	run(loop, &g, 2, 2000);
	T_EXPECT_LINES(&g, "aaa", "bbb");

	T_EQ_INT(truncate(path, 0), 0);
	APPEND(path, "ccc\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "ccc");
	source_get_stats(src, &st);
	T_EQ_INT(st.truncations, 1);

	/* truncated and regrown past our offset (4) before we looked */
	T_EQ_INT(truncate(path, 0), 0);
	APPEND(path, "dddddddddd\neeeeeeeeeeee\n");
	run(loop, &g, 2, 2000);
	T_EXPECT_LINES(&g, "dddddddddd", "eeeeeeeeeeee");
	source_get_stats(src, &st);
	T_EQ_INT(st.truncations, 2);

	/* a partial line cut by the truncation is dropped, with a warning */
	APPEND(path, "fff part");
	run(loop, &g, 0, 100);
	T_EQ_INT(truncate(path, 0), 0);
	APPEND(path, "ggg\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "ggg");
	T_OK(t_msg_has("incomplete last line of 8 bytes dropped"));

	/* plain growth is never mistaken for a truncation */
	APPEND(path, "hhh\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "hhh");
	source_get_stats(src, &st);
	T_EQ_INT(st.truncations, 3);
	source_free(src);
	free(path);
	t_lines_free(&g);
}

/* test_missing - the file is not there at start: wait without spinning */
static void
test_missing(struct loop *loop)
{
	char *path = mkpath("late.log");
	struct t_lines g = {0};
	struct source *src;
	struct source_pos pos;
	double cpu;

	T_CASE("missing");
	src = start(loop, path, &g, false, NULL);
	T_OK(t_msg_has("waiting for the file to appear"));
	cpu = t_cpu_seconds();
	run(loop, &g, 0, 500);
	T_OK(t_cpu_seconds() - cpu < 0.1);
	t_lines_expect(&g, NULL, 0);
	T_OK(source_get_pos(src, &pos));
	T_EQ_INT(pos.ino, 0);
	/* a file that appears is new: read from its start */
	t_write_file(path, "n1\nn2\n");
	run(loop, &g, 2, 3000);
	T_EXPECT_LINES(&g, "n1", "n2");
	source_free(src);
	free(path);
	t_lines_free(&g);
}

/* restart - save the position, free the source, start a new one */
static struct source *
restart(struct loop *loop, struct source *src, const char *path,
    struct t_lines *g, struct source_pos *pos)
{
	T_OK(source_get_pos(src, pos));
	source_free(src);
	return start(loop, path, g, false, pos);
}

/* test_resume - restart at the saved position, with and without a
 * rotation in between */
static void
test_resume(struct loop *loop)
{
	char *path = mkpath("mail.log"), rot[4200];
	struct t_lines g = {0};
	struct source_pos pos;
	struct source_stats st;
	struct source *src;

	T_CASE("resume");
	snprintf(rot, sizeof(rot), "%s.1", path);
	t_write_file(path, "1\n2\n3 part");
	src = start(loop, path, &g, true, NULL);
	run(loop, &g, 2, 2000);
	T_EXPECT_LINES(&g, "1", "2");
	T_OK(source_get_pos(src, &pos));
	T_EQ_INT(pos.offset, 4);
	T_OK(pos.fingerprint != 0);
	T_OK(pos.ino != 0);

	/* the file just grew while we were down */
	source_free(src);
	APPEND(path, "ial\n4\n");
	src = start(loop, path, &g, false, &pos);
	run(loop, &g, 2, 2000);
	T_EXPECT_LINES(&g, "3 partial", "4");

	/* nothing new: nothing delivered, then appends are */
	src = restart(loop, src, path, &g, &pos);
	run(loop, &g, 0, 100);
	t_lines_expect(&g, NULL, 0);
	APPEND(path, "5\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "5");

	/* rotated by rename while we were down: the rest of the old file,
	 * then the new one */
	T_OK(source_get_pos(src, &pos));
	source_free(src);
	APPEND(path, "6\n7 last");
	T_EQ_INT(rename(path, rot), 0);
	t_write_file(path, "8\n9\n");
	t_msg_clear();
	src = start(loop, path, &g, false, &pos);
	run(loop, &g, 4, 3000);
	T_EXPECT_LINES(&g, "6", "7 last", "8", "9");
	T_OK(t_msg_has("reading the rest of"));
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 1);

	/* restart again: nothing new */
	src = restart(loop, src, path, &g, &pos);
	run(loop, &g, 0, 100);
	t_lines_expect(&g, NULL, 0);

	/* the old file is gone (compressed): from 0, with a warning */
	T_OK(source_get_pos(src, &pos));
	source_free(src);
	APPEND(path, "10\n");
	T_EQ_INT(rename(path, rot), 0);
	{
		char gz[4300];
		snprintf(gz, sizeof(gz), "%s.gz", rot);
		T_EQ_INT(rename(rot, gz), 0);
	}
	t_write_file(path, "11\n");
	t_msg_clear();
	src = start(loop, path, &g, false, &pos);
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "11");
	T_OK(t_msg_has("lines may have been missed"));

	/* same inode, rewritten: from 0 */
	T_OK(source_get_pos(src, &pos));
	source_free(src);
	T_EQ_INT(truncate(path, 0), 0);
	APPEND(path, "xyz\n");
	src = start(loop, path, &g, false, &pos);
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "xyz");
	source_get_stats(src, &st);
	T_EQ_INT(st.truncations, 1);

	/* the path is missing at restart: wait, keep the saved position */
	{
		struct source_pos pos2;
		T_OK(source_get_pos(src, &pos));
		source_free(src);
		T_EQ_INT(rename(path, rot), 0);
		T_EQ_INT(unlink(rot), 0);
		src = start(loop, path, &g, false, &pos);
		run(loop, &g, 0, 100);
		T_OK(source_get_pos(src, &pos2));
		T_EQ_INT(pos2.ino, pos.ino);
		T_EQ_INT(pos2.offset, pos.offset);
		t_write_file(path, "12\n");
		run(loop, &g, 1, 2000);
		T_EXPECT_LINES(&g, "12");
	}
	source_free(src);
	free(path);
	t_lines_free(&g);
}

/* test_long - over-long lines are skipped, counted and reported with
 * their full length; the lines around them are intact */
static void
test_long(struct loop *loop)
{
	char *path = mkpath("long.log");
	size_t big = 1024 * 1024;
	char *x = xmalloc(big);
	struct t_lines g = {0};
	struct source_stats st;
	struct source_pos pos;
	struct source *src;

	T_CASE("long");
	memset(x, 'x', big);
	APPEND(path, "l1\n");
	append(path, x, big);
	APPEND(path, "\nl3\n");
	t_msg_clear();
	src = start(loop, path, &g, true, NULL);
	run(loop, &g, 3, 3000);
	T_EXPECT_LINES(&g, "l1", "<LONG>", "l3");
	source_get_stats(src, &st);
	T_EQ_INT(st.oversized, 1);
	T_EQ_INT(st.lines, 3);
	T_OK(t_msg_has("line 2: line of 1048576 bytes skipped (limit 16384)"));

	/* the same, arriving in pieces while we follow */
	append(path, x, 600000);
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "<LONG>");
	append(path, x, big - 600000);
	run(loop, &g, 0, 200);
	t_lines_expect(&g, NULL, 0);
	APPEND(path, "\nl5\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "l5");
	T_OK(t_msg_has("line 4: line of 1048576 bytes skipped"));
	T_OK(source_get_pos(src, &pos));
	T_EQ_INT(pos.offset, 3 + big + 1 + 3 + big + 1 + 3);

	/* a restart after it goes on after it */
	src = restart(loop, src, path, &g, &pos);
	APPEND(path, "l6\n");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "l6");
	source_get_stats(src, &st);
	T_EQ_INT(st.oversized, 0);
	source_free(src);

	/* a small limit: an over-long line that fits in one read */
	{
		struct source_opts o = {
		    .poll_ms = POLL_MS, .from_start = true, .max_line = 100};
		char spec[4200];
		snprintf(spec, sizeof(spec), "file:%s", path);
		t_write_file(path, "");
		append(path, x, 150);
		APPEND(path, "\nshort\n");
		src = source_new(spec, &o, on_line, NULL, &g, NULL);
		T_EQ_INT(source_start(src, loop, NULL), 0);
		run(loop, &g, 2, 2000);
		T_EXPECT_LINES(&g, "<LONG>", "short");
		T_OK(
		    t_msg_has("line 1: line of 150 bytes skipped (limit 100)"));
		source_free(src);
	}
	free(x);
	free(path);
	t_lines_free(&g);
}

/* test_binary - NUL bytes and garbage: no crash, every line counted */
static void
test_binary(struct loop *loop)
{
	char *path = mkpath("bin.log");
	size_t n = 300000, nl = 0;
	char *b = xmalloc(n);
	uint32_t r = 12345;
	struct t_lines g = {0};
	struct source_stats st;
	struct source *src;

	T_CASE("binary");
	for (size_t i = 0; i < n; i++) {
		r = r * 1103515245 + 12345;
		b[i] = (char)(r >> 16);
		if ((r >> 24) % 7 == 0)
			b[i] = 0;
		if (b[i] == '\n')
			nl++;
	}
	b[n - 1] = '\n';
	nl++;
	append(path, "a\0b\n", 4);
	append(path, b, n);
	src = source_new("file:/nonexistent", NULL, on_line, NULL, &g, NULL);
	source_free(src); /* never started */
	src = start(loop, path, &g, true, NULL);
	source_drain(src);
	source_get_stats(src, &st);
	T_EQ_INT(st.lines, nl + 1);
	T_EQ_INT(st.bytes, n + 4);
	T_OK(g.n > 0);
	if (g.n > 0)
		T_EQ_STR(g.lines[0], "a\\x00b");
	t_lines_reset(&g);
	source_free(src);
	free(b);
	free(path);
	t_lines_free(&g);
}

int
main(void)
{
	struct loop *loop = loop_new();
	int fds = t_open_fds();

	t_msg_capture();
	test_append(loop);
	test_rename(loop);
	test_copytruncate(loop);
	test_missing(loop);
	test_resume(loop);
	test_long(loop);
	test_binary(loop);
	T_EQ_INT(t_open_fds(), fds); /* nothing leaked */
	loop_free(loop);
	return t_done();
}
