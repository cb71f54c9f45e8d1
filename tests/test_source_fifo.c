/*
 * test_source_fifo - FIFO and stdin sources: creation, writers that come
 * and go, bursts, no busy loop while idle, final lines without newline,
 * refusal of paths that are not FIFOs; stdin from a pipe, a file and
 * /dev/null.
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

/* on_line - collect what the source delivers */
static void
on_line(void *arg, struct source *src, const char *p, size_t n,
    const struct logline *pre)
{
	(void)src;
	(void)pre;
	t_lines_add(arg, p, n);
}

static void
on_eof(void *arg, struct source *src)
{
	struct t_lines *g = arg;

	(void)src;
	g->eofs++;
}

/* run - turn the loop until `want' lines arrived (want 0: for ms), then
 * a little longer so that extra lines would show */
static void
run(struct loop *loop, struct t_lines *g, size_t want, int ms)
{
	t_run_loop(loop, &g->n, want, ms, 30);
}

static void
wfd(int fd, const char *s, size_t n)
{
	if (write(fd, s, n) != (ssize_t)n) {
		perror("write");
		exit(2);
	}
}

#define WLIT(fd, lit) wfd((fd), (lit), sizeof(lit) - 1)

static int
writer(const char *path)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	T_OK(fd >= 0);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

static struct source *
new_source(const char *spec, struct t_lines *g)
{
	struct source_opts o = {.poll_ms = 100};
	char *err = NULL;
	struct source *src = source_new(spec, &o, on_line, on_eof, g, &err);

	if (src == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	return src;
}

/* test_fifo - the writer comes and goes; bursts; idle without spinning */
static void
test_fifo(struct loop *loop)
{
	char path[4200], spec[4300];
	struct t_lines g = {0};
	struct source_stats st;
	struct source *src;
	struct stat sb;
	double cpu;
	int w;

	T_CASE("fifo");
	snprintf(path, sizeof(path), "%s/fifo", t_tmpdir());
	snprintf(spec, sizeof(spec), "fifo:%s", path);
	src = new_source(spec, &g);
	T_EQ_INT(source_start(src, loop, NULL), 0);
	T_OK(t_msg_has("created the FIFO"));
	T_EQ_INT(stat(path, &sb), 0);
	T_OK(S_ISFIFO(sb.st_mode));
	T_EQ_INT(sb.st_mode & 07777, 0600);

	/* nobody has written yet: no spinning, and a drain reads nothing */
	cpu = t_cpu_seconds();
	run(loop, &g, 0, 500);
	T_OK(t_cpu_seconds() - cpu < 0.05);
	source_drain(src);
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 0);
	T_EQ_INT(g.n, 0);

	/* a writer writes, leaves, comes back */
	w = writer(path);
	WLIT(w, "w1\nw2\n");
	close(w);
	run(loop, &g, 2, 2000);
	T_EXPECT_LINES(&g, "w1", "w2");
	w = writer(path);
	WLIT(w, "w3\nw4 without newline");
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "w3");
	close(w);
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "w4 without newline");
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 2);

	/* after a writer has come and gone: still no busy loop */
	cpu = t_cpu_seconds();
	run(loop, &g, 0, 500);
	T_OK(t_cpu_seconds() - cpu < 0.05);
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, 2);
	T_EQ_INT(g.n, 0);

	/* a burst in one write is read in one wake-up, in order */
	{
		char *buf = xmalloc(3000 * 16);
		size_t len = 0;
		bool inorder = true;
		for (int i = 0; i < 3000; i++)
			len +=
			    (size_t)snprintf(buf + len, 16, "line %04d\n", i);
		w = writer(path);
		wfd(w, buf, len);
		loop_run_once(loop, 1000);
		T_EQ_INT(g.n, 3000);
		for (size_t i = 0; i < g.n; i++) {
			char want[32];
			snprintf(want, sizeof(want), "line %04zu", i);
			if (strcmp(g.lines[i], want) != 0)
				inorder = false;
		}
		T_OK(inorder);
		t_lines_reset(&g);
		/* the writer stays: nothing more arrives, nothing spins */
		cpu = t_cpu_seconds();
		run(loop, &g, 0, 300);
		T_OK(t_cpu_seconds() - cpu < 0.05);
		T_EQ_INT(g.n, 0);
		close(w);
		free(buf);
	}

	/* SIGHUP: the same FIFO is kept; a removed one is made again */
	run(loop, &g, 0, 50);
	source_get_stats(src, &st);
	uint64_t before = st.reopens;
	source_reopen(src);
	source_get_stats(src, &st);
	T_EQ_INT(st.reopens, before);
	T_EQ_INT(unlink(path), 0);
	source_reopen(src);
	T_EQ_INT(stat(path, &sb), 0);
	T_OK(S_ISFIFO(sb.st_mode));
	w = writer(path);
	WLIT(w, "after hup\n");
	close(w);
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "after hup");

	/* the path turns bad while a writer is on the old FIFO: the reopen
	 * fails, is retried without spinning and logged once */
	w = writer(path);
	T_EQ_INT(unlink(path), 0);
	T_EQ_INT(mkfifo(path, 0600), 0);
	T_EQ_INT(chmod(path, 0622), 0);
	WLIT(w, "last before\n");
	close(w);
	t_msg_clear();
	cpu = t_cpu_seconds();
	run(loop, &g, 0, 400);
	T_OK(t_cpu_seconds() - cpu < 0.05);
	T_EXPECT_LINES(&g, "last before");
	T_EQ_INT(t_msg_count("every user may write"), 1);
	T_EQ_INT(chmod(path, 0600), 0);
	run(loop, &g, 0, 250);
	w = writer(path);
	WLIT(w, "fixed\n");
	close(w);
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "fixed");
	source_free(src);
	t_lines_reset(&g);
	t_lines_free(&g);
}

/* test_not_fifo - an existing path that is no FIFO is left alone */
static void
test_not_fifo(struct loop *loop)
{
	char path[4200], spec[4300], buf[64];
	struct t_lines g = {0};
	struct source *src;
	struct stat sb;
	FILE *f;

	T_CASE("not a fifo");
	snprintf(path, sizeof(path), "%s/regular", t_tmpdir());
	snprintf(spec, sizeof(spec), "fifo:%s", path);
	t_write_file(path, "keep me\n");
	chmod(path, 0640);
	src = new_source(spec, &g);
	T_EQ_INT(source_start(src, loop, NULL), -1);
	T_OK(t_msg_has("is not a FIFO"));
	source_drain(src);
	source_free(src);
	T_EQ_INT(stat(path, &sb), 0);
	T_OK(S_ISREG(sb.st_mode));
	T_EQ_INT(sb.st_mode & 07777, 0640);
	f = fopen(path, "r");
	T_OK(f && fgets(buf, sizeof(buf), f));
	T_EQ_STR(buf, "keep me\n");
	if (f)
		fclose(f);

	/* a FIFO every user may write to is refused */
	snprintf(path, sizeof(path), "%s/open-fifo", t_tmpdir());
	snprintf(spec, sizeof(spec), "fifo:%s", path);
	T_EQ_INT(mkfifo(path, 0600), 0);
	T_EQ_INT(chmod(path, 0622), 0);
	src = new_source(spec, &g);
	T_EQ_INT(source_start(src, loop, NULL), -1);
	T_OK(t_msg_has("every user may write"));
	source_free(src);

	/* a missing directory */
	snprintf(spec, sizeof(spec), "fifo:%s/no/such/dir/fifo", t_tmpdir());
	src = new_source(spec, &g);
	T_EQ_INT(source_start(src, loop, NULL), -1);
	source_free(src);
}

/* with_stdin - run fn with fd 0 replaced by fd */
static void
with_stdin(
    int fd, void (*fn)(struct loop *, void *), struct loop *loop, void *arg)
{
	int saved = dup(0);

	T_OK(saved >= 0);
	T_EQ_INT(dup2(fd, 0), 0);
	close(fd);
	fn(loop, arg);
	T_EQ_INT(dup2(saved, 0), 0);
	close(saved);
}

/* stdin_pipe - lines, a last line without newline, one eof call */
static void
stdin_pipe(struct loop *loop, void *arg)
{
	int w = *(int *)arg;
	int flags = fcntl(0, F_GETFL);
	struct t_lines g = {0};
	struct source *src = new_source("stdin", &g);

	T_EQ_INT(source_start(src, loop, NULL), 0);
	T_OK(fcntl(0, F_GETFL) & O_NONBLOCK);
	WLIT(w, "s1\ns2\ns3 no newline");
	run(loop, &g, 2, 2000);
	T_EXPECT_LINES(&g, "s1", "s2");
	T_EQ_INT(g.eofs, 0);
	close(w);
	run(loop, &g, 1, 2000);
	T_EXPECT_LINES(&g, "s3 no newline");
	T_EQ_INT(g.eofs, 1);
	run(loop, &g, 0, 50);
	T_EQ_INT(g.eofs, 1);
	source_free(src);
	T_EQ_INT(fcntl(0, F_GETFL), flags); /* flags given back */
	t_lines_free(&g);
}

/* stdin_file - a regular file: read without epoll, then eof */
static void
stdin_file(struct loop *loop, void *arg)
{
	struct t_lines g = {0};
	struct source *src = new_source("stdin", &g);
	size_t want = *(size_t *)arg;

	uint64_t end = loop_clock_ms() + 3000;

	T_EQ_INT(source_start(src, loop, NULL), 0);
	while (g.eofs == 0 && loop_clock_ms() < end)
		loop_run_once(loop, 20);
	T_EQ_INT(g.n, want);
	T_EQ_INT(g.eofs, 1);
	if (want == 2) {
		T_EQ_STR(g.lines[0], "f1");
		T_EQ_STR(g.lines[1], "f2");
	}
	t_lines_reset(&g);
	source_free(src);
	t_lines_free(&g);
}

static void
test_stdin(struct loop *loop)
{
	char path[4200];
	int p[2], fd;
	size_t want;

	T_CASE("stdin pipe");
	T_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	with_stdin(p[0], stdin_pipe, loop, &p[1]);

	T_CASE("stdin file");
	snprintf(path, sizeof(path), "%s/stdin.txt", t_tmpdir());
	t_write_file(path, "f1\nf2");
	want = 2;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	with_stdin(fd, stdin_file, loop, &want);

	T_CASE("stdin /dev/null");
	want = 0;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	with_stdin(fd, stdin_file, loop, &want);
}

int
main(void)
{
	struct loop *loop = loop_new();
	int fds = t_open_fds();

	t_msg_capture();
	test_fifo(loop);
	test_not_fifo(loop);
	test_stdin(loop);
	T_EQ_INT(t_open_fds(), fds); /* nothing leaked */
	loop_free(loop);
	return t_done();
}
