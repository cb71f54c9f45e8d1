/*
 * test_spawn - unit tests for src/lib/spawn.c: spawn_sync (status,
 * capture, stdin, exec failure, timeouts, literal argv, clean child
 * environment) and spawn_async on the loop.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/spawn.h"
#include "tlib.h"

#define ARGV(...) ((char *const[]){__VA_ARGS__, NULL})

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* count_fds - open descriptors of this process */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory itself */
}

/* out_str - captured output as a C string ("" if nothing) */
static const char *
out_str(const struct sbuf *b)
{
	return b->s ? b->s : "";
}

/* test_status - exit codes and their description */
static void
test_status(void)
{
	const struct {
		const char *name;
		char *const *argv;
		bool ok;
		int code;
		const char *describe;
	} cases[] = {
	    {"true", ARGV("true"), true, 0, "exit status 0"},
	    {"false", ARGV("false"), false, 1, "exit status 1"},
	    {"exit 42", ARGV("sh", "-c", "exit 42"), false, 42,
		"exit status 42"},
	    {"absolute path", ARGV("/bin/sh", "-c", "exit 0"), true, 0,
		"exit status 0"},
	    {"exit 255", ARGV("sh", "-c", "exit 255"), false, 255,
		"exit status 255"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spawn_result r;
		char buf[64];

		T_CASE(cases[i].name);
		T_EQ_INT(spawn_sync(cases[i].argv, NULL, 0, 5000, &r), 0);
		T_OK(!r.exec_failed);
		T_OK(WIFEXITED(r.status));
		T_EQ_INT(WEXITSTATUS(r.status), cases[i].code);
		T_EQ_INT(spawn_ok(&r), cases[i].ok);
		T_EQ_STR(
		    spawn_describe(&r, buf, sizeof(buf)), cases[i].describe);
		spawn_result_free(&r);
	}
	T_CASE(NULL);

	/* killed by a signal */
	struct spawn_result r;
	char buf[64];
	T_EQ_INT(
	    spawn_sync(ARGV("sh", "-c", "kill -TERM $$"), NULL, 0, 5000, &r),
	    0);
	T_OK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGTERM);
	T_OK(!spawn_ok(&r));
	T_EQ_STR(spawn_describe(&r, buf, sizeof(buf)), "killed by signal 15");
	spawn_result_free(&r);
	spawn_result_free(&r); /* twice: harmless */
}

/* test_capture - stdout and stderr apart, bounded */
static void
test_capture(void)
{
	struct spawn_result r;

	T_EQ_INT(spawn_sync(ARGV("sh", "-c",
				"printf 'to out\\n'; printf 'to err' >&2; "
				"printf 'more out'"),
		     NULL, 0, 5000, &r),
	    0);
	T_OK(spawn_ok(&r));
	T_EQ_STR(out_str(&r.out), "to out\nmore out");
	T_EQ_STR(out_str(&r.err), "to err");
	spawn_result_free(&r);

	/* nothing written: empty */
	T_EQ_INT(spawn_sync(ARGV("true"), NULL, 0, 5000, &r), 0);
	T_EQ_INT(r.out.len, 0);
	T_EQ_INT(r.err.len, 0);
	spawn_result_free(&r);

	/* binary output with NUL bytes is kept as is */
	T_EQ_INT(
	    spawn_sync(ARGV("printf", "a\\000b\\377"), NULL, 0, 5000, &r), 0);
	T_EQ_INT(r.out.len, 4);
	T_OK(r.out.len == 4 && memcmp(r.out.s, "a\0b\377", 4) == 0);
	spawn_result_free(&r);

	/* a flood is cut at the bound, and the child is not hurt by it
	 * (it does not get SIGPIPE: we read and discard) */
	T_EQ_INT(spawn_sync(ARGV("head", "-c", "1000000", "/dev/zero"), NULL, 0,
		     10000, &r),
	    0);
	T_OK(spawn_ok(&r));
	T_EQ_INT(r.out.len, 64 * 1024);
	spawn_result_free(&r);
	T_EQ_INT(spawn_sync(ARGV("sh", "-c", "head -c 1000000 /dev/zero >&2"),
		     NULL, 0, 10000, &r),
	    0);
	T_OK(spawn_ok(&r));
	T_EQ_INT(r.err.len, 64 * 1024);
	T_EQ_INT(r.out.len, 0);
	spawn_result_free(&r);
}

/* test_stdin - feeding input, large and empty */
static void
test_stdin(void)
{
	enum { BIG = 1024 * 1024 };
	char *big = malloc(BIG);
	struct spawn_result r;
	char want[64];

	for (size_t i = 0; i < BIG; i++)
		big[i] = (char)('a' + (i * 7 + i / 4096) % 26);

	/* all of it arrives */
	T_EQ_INT(spawn_sync(ARGV("wc", "-c"), big, BIG, 10000, &r), 0);
	T_OK(spawn_ok(&r));
	snprintf(want, sizeof(want), "%d\n", BIG);
	T_EQ_STR(out_str(&r.out), want);
	spawn_result_free(&r);

	/* and in order: cat echoes it (the capture keeps 64 KiB) */
	T_EQ_INT(spawn_sync(ARGV("cat"), big, BIG, 10000, &r), 0);
	T_OK(spawn_ok(&r));
	T_EQ_INT(r.out.len, 64 * 1024);
	T_OK(r.out.len > 0 && memcmp(r.out.s, big, r.out.len) == 0);
	spawn_result_free(&r);
	T_EQ_INT(spawn_sync(ARGV("tail", "-c", "100"), big, BIG, 10000, &r), 0);
	T_EQ_INT(r.out.len, 100);
	T_OK(r.out.len == 100 && memcmp(r.out.s, big + BIG - 100, 100) == 0);
	spawn_result_free(&r);

	/* a child that stops reading early: no SIGPIPE for us, no hang */
	T_EQ_INT(spawn_sync(ARGV("head", "-c", "10"), big, BIG, 10000, &r), 0);
	T_OK(spawn_ok(&r));
	T_EQ_INT(r.out.len, 10);
	T_OK(r.out.len == 10 && memcmp(r.out.s, big, 10) == 0);
	spawn_result_free(&r);
	T_EQ_INT(spawn_sync(ARGV("true"), big, BIG, 10000, &r), 0);
	T_OK(spawn_ok(&r));
	spawn_result_free(&r);

	/* empty input and no input: EOF at once */
	T_EQ_INT(spawn_sync(ARGV("wc", "-c"), "", 0, 5000, &r), 0);
	T_EQ_STR(out_str(&r.out), "0\n");
	spawn_result_free(&r);
	T_EQ_INT(spawn_sync(ARGV("wc", "-c"), NULL, 0, 5000, &r), 0);
	T_EQ_STR(out_str(&r.out), "0\n");
	spawn_result_free(&r);

	/* input given with a length, not a terminator */
	T_EQ_INT(spawn_sync(ARGV("cat"), "abc\0def", 7, 5000, &r), 0);
	T_EQ_INT(r.out.len, 7);
	T_OK(r.out.len == 7 && memcmp(r.out.s, "abc\0def", 7) == 0);
	spawn_result_free(&r);
	free(big);
}

/* test_exec_failure - no such program, not executable */
static void
test_exec_failure(void)
{
	char path[4096];
	struct spawn_result r;
	char buf[64];

	snprintf(path, sizeof(path), "%s/not-executable", t_tmpdir());
	t_write_file(path, "#!/bin/sh\nexit 0\n");
	chmod(path, 0644);

	static const char *const progs[] = {
	    "popauth-no-such-program-xyz", "/nonexistent/dir/prog", NULL};
	for (int i = 0; i < 3; i++) {
		const char *prog = progs[i] ? progs[i] : path;
		char *argv[] = {(char *)prog, "arg", NULL};

		T_CASE(prog);
		T_EQ_INT(spawn_sync(argv, NULL, 0, 5000, &r), -1);
		T_OK(r.exec_failed);
		T_OK(!spawn_ok(&r));
		T_OK(strstr(out_str(&r.err), prog) != NULL);
		T_EQ_STR(spawn_describe(&r, buf, sizeof(buf)),
		    "could not be started");
		spawn_result_free(&r);
		/* with input to feed, too */
		T_EQ_INT(spawn_sync(argv, "data\n", 5, 5000, &r), -1);
		T_OK(r.exec_failed);
		spawn_result_free(&r);
	}
	T_CASE(NULL);

	/* a program that exits 127 on its own ran: not an exec failure */
	T_EQ_INT(spawn_sync(ARGV("sh", "-c", "echo oops >&2; exit 127"), NULL,
		     0, 5000, &r),
	    0);
	T_OK(!r.exec_failed);
	T_EQ_INT(WEXITSTATUS(r.status), 127);
	spawn_result_free(&r);
}

/* test_timeout - the child is killed, and we do not wait longer */
static void
test_timeout(void)
{
	struct spawn_result r;
	uint64_t t0;

	t0 = mono_ms();
	T_EQ_INT(spawn_sync(ARGV("sleep", "10"), NULL, 0, 200, &r), 0);
	T_OK(mono_ms() - t0 < 3000);
	T_OK(mono_ms() - t0 >= 190);
	T_OK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
	T_OK(!spawn_ok(&r));
	T_OK(strstr(out_str(&r.err), "killed after timeout") != NULL);
	spawn_result_free(&r);

	/* output written before the kill is kept */
	t0 = mono_ms();
	T_EQ_INT(spawn_sync(ARGV("sh", "-c", "echo early; exec sleep 10"), NULL,
		     0, 300, &r),
	    0);
	T_OK(mono_ms() - t0 < 3000);
	T_EQ_STR(out_str(&r.out), "early\n");
	T_OK(WIFSIGNALED(r.status));
	spawn_result_free(&r);

	/* a child that never reads its (large) input */
	static char big[1024 * 1024];
	t0 = mono_ms();
	T_EQ_INT(spawn_sync(ARGV("sleep", "10"), big, sizeof(big), 200, &r), 0);
	T_OK(mono_ms() - t0 < 3000);
	T_OK(WIFSIGNALED(r.status));
	spawn_result_free(&r);

	/* a child that closes its output and goes on running */
	t0 = mono_ms();
	T_EQ_INT(spawn_sync(ARGV("sh", "-c", "exec >&- 2>&-; exec sleep 10"),
		     NULL, 0, 200, &r),
	    0);
	T_OK(mono_ms() - t0 < 3000);
	T_OK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
	spawn_result_free(&r);

	/* a grandchild that keeps the pipes open: the timeout still holds
	 * (it prints its pid, and we are its subreaper, so that we can
	 * clean up after it) */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	t0 = mono_ms();
	T_EQ_INT(spawn_sync(ARGV("sh", "-c", "sleep 10 & echo $!; wait"), NULL,
		     0, 300, &r),
	    0);
	T_OK(mono_ms() - t0 < 3000);
	T_OK(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
	int gc = atoi(out_str(&r.out));
	T_OK(gc > 1);
	if (gc > 1) {
		kill(gc, SIGKILL);
		T_EQ_INT(waitpid(gc, NULL, 0), gc);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	spawn_result_free(&r);

	/* no timeout (0): waits as long as it takes */
	T_EQ_INT(spawn_sync(ARGV("sleep", "0.2"), NULL, 0, 0, &r), 0);
	T_OK(spawn_ok(&r));
	spawn_result_free(&r);
}

/* test_literal_argv - no shell between us and the program */
static void
test_literal_argv(void)
{
	static const char *const args[] = {
	    "a;b|c$(x)",
	    "`id` && echo pwned || true",
	    "*",
	    "~",
	    "$HOME",
	    "'quoted' \"double\"",
	    "two  spaces\tand tab",
	    "new\nline",
	    "> /tmp/popauth-should-not-exist",
	    "",
	    "-n",
	};

	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		struct spawn_result r;
		char *argv[] = {"printf", "%s", (char *)args[i], NULL};

		T_CASE(args[i]);
		T_EQ_INT(spawn_sync(argv, NULL, 0, 5000, &r), 0);
		T_OK(spawn_ok(&r));
		T_EQ_STR(out_str(&r.out), args[i]);
		spawn_result_free(&r);
	}
	T_CASE(NULL);
	T_OK(access("/tmp/popauth-should-not-exist", F_OK) != 0);

	/* every argument arrives as one, in order */
	struct spawn_result r;
	T_EQ_INT(spawn_sync(ARGV("printf", "[%s]", "a b", "", "c;d", "*"), NULL,
		     0, 5000, &r),
	    0);
	T_EQ_STR(out_str(&r.out), "[a b][][c;d][*]");
	spawn_result_free(&r);
}

static void
custom_pipe_handler(int s)
{
	(void)s;
}

/* test_environment - descriptors, signal mask and handlers of the child,
 * and the parent's SIGPIPE disposition afterwards */
static void
test_environment(void)
{
	struct spawn_result r;
	struct sigaction sa = {0}, old;
	sigset_t set, oldset;

	/* a descriptor of ours without close-on-exec is not inherited */
	int fd = open("/dev/null", O_RDONLY);
	int high = dup2(fd, 57);
	close(fd);
	T_EQ_INT(high, 57);
	T_EQ_INT(spawn_sync(ARGV("sh", "-c",
				"if [ -e /proc/self/fd/57 ]; then echo open; "
				"else echo closed; fi"),
		     NULL, 0, 5000, &r),
	    0);
	T_EQ_STR(out_str(&r.out), "closed\n");
	spawn_result_free(&r);
	close(high);

	/* a blocked signal in the parent (the loop blocks several) is not
	 * blocked in the child, and an ignored one is not ignored */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &oldset);
	signal(SIGUSR2, SIG_IGN);
	T_EQ_INT(
	    spawn_sync(ARGV("grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"),
		NULL, 0, 5000, &r),
	    0);
	T_EQ_STR(out_str(&r.out),
	    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	spawn_result_free(&r);
	signal(SIGUSR2, SIG_DFL);
	sigprocmask(SIG_SETMASK, &oldset, NULL);

	/* our SIGPIPE handler is put back */
	sa.sa_handler = custom_pipe_handler;
	sigaction(SIGPIPE, &sa, &old);
	T_EQ_INT(spawn_sync(ARGV("true"), "x", 1, 5000, &r), 0);
	spawn_result_free(&r);
	struct sigaction now;
	sigaction(SIGPIPE, NULL, &now);
	T_OK(now.sa_handler == custom_pipe_handler);
	sigaction(SIGPIPE, &old, NULL);
}

/* test_no_leaks - no descriptor and no zombie is left behind */
static void
test_no_leaks(void)
{
	struct spawn_result r;
	int before = count_fds();

	for (int i = 0; i < 20; i++) {
		spawn_sync(ARGV("true"), "in", 2, 5000, &r);
		spawn_result_free(&r);
		spawn_sync(
		    ARGV("popauth-no-such-program-xyz"), NULL, 0, 5000, &r);
		spawn_result_free(&r);
		spawn_sync(ARGV("sleep", "5"), NULL, 0, 1, &r);
		spawn_result_free(&r);
	}
	T_EQ_INT(count_fds(), before);
	T_OK(waitpid(-1, NULL, WNOHANG) < 0);
}

/* async */

struct done_rec {
	int calls;
	int status;
	bool exec_failed;
	char out[256];
	char err[256];
	size_t outlen;
	int *pending;
};

static void
on_done(struct spawn_result *r, void *arg)
{
	struct done_rec *d = arg;

	d->calls++;
	d->status = r->status;
	d->exec_failed = r->exec_failed;
	d->outlen = r->out.len;
	snprintf(d->out, sizeof(d->out), "%s", out_str(&r->out));
	snprintf(d->err, sizeof(d->err), "%s", out_str(&r->err));
	(*d->pending)--;
}

/* run_jobs - run the loop until *pending is 0 (at most 10 s) */
static void
run_jobs(struct loop *l, const int *pending)
{
	uint64_t end = mono_ms() + 10000;

	while (*pending > 0 && mono_ms() < end)
		loop_run_once(l, 50);
}

static void
test_async(void)
{
	struct loop *l = loop_new();
	int pending = 0;
	struct done_rec a = {.pending = &pending}, b = {.pending = &pending},
			c = {.pending = &pending}, d = {.pending = &pending};
	enum { BIG = 1024 * 1024 };
	char *big = calloc(1, BIG);
	int fds;
	pid_t pid;

	pid = spawn_async(l,
	    ARGV("sh", "-c", "printf hi; printf oops >&2; exit 5"), NULL, 0,
	    5000, on_done, &a);
	T_OK(pid > 0);
	pending++;
	pid = spawn_async(l, ARGV("wc", "-c"), big, BIG, 5000, on_done, &b);
	T_OK(pid > 0);
	pending++;
	pid = spawn_async(
	    l, ARGV("popauth-no-such-program-xyz"), "x", 1, 5000, on_done, &c);
	T_OK(pid > 0);
	pending++;
	pid = spawn_async(
	    l, ARGV("printf", "%s", "a;b|c$(x)"), NULL, 0, 5000, on_done, &d);
	T_OK(pid > 0);
	pending++;
	/* the input buffer is the caller's again at once */
	memset(big, 'z', BIG);
	free(big);
	/* nothing is called before the loop runs */
	T_EQ_INT(a.calls + b.calls + c.calls + d.calls, 0);

	run_jobs(l, &pending);
	T_EQ_INT(pending, 0);
	T_EQ_INT(a.calls, 1);
	T_OK(WIFEXITED(a.status) && WEXITSTATUS(a.status) == 5);
	T_EQ_STR(a.out, "hi");
	T_EQ_STR(a.err, "oops");
	T_OK(!a.exec_failed);
	T_EQ_INT(b.calls, 1);
	T_OK(WIFEXITED(b.status) && WEXITSTATUS(b.status) == 0);
	T_EQ_STR(b.out, "1048576\n");
	T_EQ_INT(c.calls, 1);
	T_OK(c.exec_failed);
	T_OK(strstr(c.err, "popauth-no-such-program-xyz") != NULL);
	T_EQ_INT(d.calls, 1);
	T_EQ_STR(d.out, "a;b|c$(x)");
	fds = count_fds();

	/* many at once, output in many reads */
	enum { MANY = 12 };
	struct done_rec m[MANY];
	for (int i = 0; i < MANY; i++) {
		char n[16];
		char *argv[] = {"head", "-c", n, "/dev/zero", NULL};

		snprintf(n, sizeof(n), "%d", 1000 + i * 5000);
		m[i] = (struct done_rec){.pending = &pending};
		T_OK(spawn_async(l, argv, NULL, 0, 5000, on_done, &m[i]) > 0);
		pending++;
	}
	run_jobs(l, &pending);
	T_EQ_INT(pending, 0);
	for (int i = 0; i < MANY; i++) {
		T_EQ_INT(m[i].calls, 1);
		T_OK(WIFEXITED(m[i].status) && WEXITSTATUS(m[i].status) == 0);
		T_EQ_INT(m[i].outlen, 1000 + i * 5000);
	}
	/* a few more loop turns: no late or second calls */
	loop_run_once(l, 50);
	for (int i = 0; i < MANY; i++)
		T_EQ_INT(m[i].calls, 1);
	T_EQ_INT(count_fds(), fds);
	loop_free(l);
}

/* test_async_deadline - a job past its time is killed; spawn_wait ends a
 * job without running the loop, calls done once, and leaves nothing for
 * the loop to reap */
static void
test_async_deadline(void)
{
	int fds = count_fds();
	struct loop *l = loop_new();
	int pending = 0;
	struct done_rec a = {.pending = &pending}, b = {.pending = &pending},
			c = {.pending = &pending};
	uint64_t t0 = mono_ms();

	T_OK(
	    spawn_async(l, ARGV("sleep", "10"), NULL, 0, 200, on_done, &a) > 0);
	pending++;
	run_jobs(l, &pending);
	T_EQ_INT(a.calls, 1);
	T_OK(WIFSIGNALED(a.status) && WTERMSIG(a.status) == SIGKILL);
	T_OK(strstr(a.err, "killed after timeout") != NULL);
	T_OK(mono_ms() - t0 < 5000);

	/* spawn_wait: output and status collected, done called at once */
	pid_t pid = spawn_async(l, ARGV("sh", "-c", "sleep 0.2; echo done"),
	    NULL, 0, 5000, on_done, &b);
	pending++;
	spawn_wait(pid, 5000);
	T_EQ_INT(b.calls, 1);
	T_OK(WIFEXITED(b.status) && WEXITSTATUS(b.status) == 0);
	T_EQ_STR(b.out, "done\n");
	/* ... and past its deadline it is killed */
	pid = spawn_async(l, ARGV("sleep", "10"), NULL, 0, 0, on_done, &c);
	pending++;
	t0 = mono_ms();
	spawn_wait(pid, 200);
	T_EQ_INT(c.calls, 1);
	T_OK(WIFSIGNALED(c.status));
	T_OK(mono_ms() - t0 < 5000);
	/* a finished job: nothing to do */
	spawn_wait(pid, 100);
	T_EQ_INT(pending, 0);
	/* the loop has nothing left: no second call, nothing leaked */
	loop_run_once(l, 50);
	T_EQ_INT(b.calls + c.calls, 2);
	T_OK(waitpid(-1, NULL, WNOHANG) < 0);
	loop_free(l);
	T_EQ_INT(count_fds(), fds);
}

int
main(void)
{
	test_status();
	test_capture();
	test_stdin();
	test_exec_failure();
	test_timeout();
	test_literal_argv();
	test_environment();
	test_no_leaks();
	test_async();
	test_async_deadline();
	return t_done();
}
