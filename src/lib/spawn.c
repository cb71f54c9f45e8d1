/*
 * spawn - run an external program with a literal argv: fork/exec, no shell.
 *
 * SECURITY
 *	The argv is passed as is to execvp; no string is ever interpreted by
 *	a shell.  The child gets a clean signal mask and default handlers,
 *	and only descriptors 0-2 (everything of ours is close-on-exec, and
 *	close_range makes sure).
 *
 * DIAGNOSTICS
 *	A program that cannot be started exits 127 after writing
 *	"popauth: cannot execute ..." to its captured stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "mem.h"
#include "msg.h"
#include "spawn.h"

#define SPAWN_CAPTURE_MAX (64 * 1024)
#define EXEC_FAIL_MARK "popauth: cannot execute "

bool
spawn_ok(const struct spawn_result *r)
{
	return !r->exec_failed && WIFEXITED(r->status) &&
	    WEXITSTATUS(r->status) == 0;
}

const char *
spawn_describe(const struct spawn_result *r, char *buf, size_t size)
{
	if (r->exec_failed)
		snprintf(buf, size, "could not be started");
	else if (WIFEXITED(r->status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(r->status));
	else if (WIFSIGNALED(r->status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(r->status));
	else
		snprintf(buf, size, "status 0x%x", r->status);
	return buf;
}

void
spawn_result_free(struct spawn_result *r)
{
	sbuf_free(&r->out);
	sbuf_free(&r->err);
}

/* child_exec - in the child: wire up stdio and exec; never returns */
static _Noreturn void
child_exec(char *const argv[], int in, int out, int err)
{
	sigset_t all;
	char msgbuf[512];
	int n;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	close_range(3, ~0U, 0);
	execvp(argv[0], argv);
	n = snprintf(msgbuf, sizeof(msgbuf), EXEC_FAIL_MARK "%s: %s\n", argv[0],
	    strerror(errno));
	if (n > 0)
		(void)!write(2, msgbuf, (size_t)n);
	_exit(127);
}

/* start - fork the child; returns pid and the parent's pipe ends */
static pid_t
start(char *const argv[], bool want_in, int *in_w, int *out_r, int *err_r)
{
	int pin[2] = {-1, -1}, pout[2], perr[2];
	pid_t pid;

	if (want_in) {
		if (pipe2(pin, O_CLOEXEC) < 0)
			return -1;
	} else if ((pin[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		return -1;
	}
	if (pipe2(pout, O_CLOEXEC) < 0) {
		close(pin[0]);
		if (pin[1] >= 0)
			close(pin[1]);
		return -1;
	}
	if (pipe2(perr, O_CLOEXEC) < 0) {
		close(pin[0]);
		if (pin[1] >= 0)
			close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		return -1;
	}
	if ((pid = fork()) < 0) {
		int e = errno;
		close(pin[0]);
		if (pin[1] >= 0)
			close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		close(perr[0]);
		close(perr[1]);
		errno = e;
		return -1;
	}
	if (pid == 0)
		child_exec(argv, pin[0], pout[1], perr[1]);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	*in_w = pin[1];
	*out_r = pout[0];
	*err_r = perr[0];
	if (*in_w >= 0)
		fcntl(*in_w, F_SETFL, O_NONBLOCK);
	fcntl(*out_r, F_SETFL, O_NONBLOCK);
	fcntl(*err_r, F_SETFL, O_NONBLOCK);
	return pid;
}

/* drain - read what is available into b (bounded); false at EOF/error */
static bool
drain(int fd, struct sbuf *b)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			if (b->len < SPAWN_CAPTURE_MAX) {
				size_t room = SPAWN_CAPTURE_MAX - b->len;
				sbuf_add(b, buf,
				    (size_t)n < room ? (size_t)n : room);
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		return false;
	}
}

/* feed - write what the pipe takes; false when done or broken */
static bool
feed(int fd, const char *in, size_t inlen, size_t *off)
{
	while (*off < inlen) {
		ssize_t n = write(fd, in + *off, inlen - *off);
		if (n > 0) {
			*off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		return false; /* EPIPE: the child does not want it */
	}
	return false;
}

static void
mark_exec_failure(struct spawn_result *r)
{
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 127 &&
	    r->err.len >= sizeof(EXEC_FAIL_MARK) - 1 &&
	    memcmp(r->err.s, EXEC_FAIL_MARK, sizeof(EXEC_FAIL_MARK) - 1) == 0)
		r->exec_failed = true;
}

/*
 * reap - wait for the child, killing it at the deadline (0: none).  The
 * child may outlive its pipes (closed them, or passed them on), so the
 * deadline is watched here too.  Returns true if it was killed.
 */
static bool
reap(pid_t pid, uint64_t deadline, int *status)
{
	bool killed = false;

	for (;;) {
		pid_t w =
		    waitpid(pid, status, deadline && !killed ? WNOHANG : 0);

		if (w == pid)
			return killed;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			*status = 0x7f00; /* unknown: report as failure */
			return killed;
		}
		if (loop_clock_ms() >= deadline) {
			kill(pid, SIGKILL);
			killed = true;
		} else {
			poll(NULL, 0, 10);
		}
	}
}

int
spawn_sync(char *const argv[], const char *in, size_t inlen, int timeout_ms,
    struct spawn_result *r)
{
	int in_w = -1, out_r, err_r;
	size_t off = 0;
	uint64_t deadline =
	    loop_clock_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	bool killed = false;
	pid_t pid;
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);

	memset(r, 0, sizeof(*r));
	pid = start(argv, in != NULL, &in_w, &out_r, &err_r);
	if (pid < 0) {
		r->exec_failed = true;
		sbuf_printf(&r->err, "fork: %s", strerror(errno));
		signal(SIGPIPE, old_pipe);
		return -1;
	}
	while (out_r >= 0 || err_r >= 0 || in_w >= 0) {
		struct pollfd p[3];
		int np = 0, wait;

		if (in_w >= 0)
			p[np++] = (struct pollfd){in_w, POLLOUT, 0};
		if (out_r >= 0)
			p[np++] = (struct pollfd){out_r, POLLIN, 0};
		if (err_r >= 0)
			p[np++] = (struct pollfd){err_r, POLLIN, 0};
		if (timeout_ms > 0) {
			uint64_t now = loop_clock_ms();
			if (now >= deadline)
				break; /* reap() kills it */
			wait = (int)(deadline - now);
		} else {
			wait = -1;
		}
		if (poll(p, (nfds_t)np, wait) < 0 && errno != EINTR)
			break;
		if (in_w >= 0 && !feed(in_w, in, inlen, &off)) {
			close(in_w);
			in_w = -1;
		}
		if (out_r >= 0 && !drain(out_r, &r->out)) {
			close(out_r);
			out_r = -1;
		}
		if (err_r >= 0 && !drain(err_r, &r->err)) {
			close(err_r);
			err_r = -1;
		}
	}
	killed = reap(pid, timeout_ms > 0 ? deadline : 0, &r->status);
	/* what is left in the pipes; a grandchild may still hold them */
	if (in_w >= 0)
		close(in_w);
	if (out_r >= 0) {
		drain(out_r, &r->out);
		close(out_r);
	}
	if (err_r >= 0) {
		drain(err_r, &r->err);
		close(err_r);
	}
	signal(SIGPIPE, old_pipe);
	if (killed)
		sbuf_adds(&r->err, "(killed after timeout)");
	mark_exec_failure(r);
	return r->exec_failed ? -1 : 0;
}

/* async: one job per child, driven by the loop */

struct job {
	struct loop *loop;
	spawn_done_fn *done;
	void *arg;
	pid_t pid;
	struct spawn_result r;
	char *in;
	size_t inlen, off;
	int in_w, out_r, err_r;
	bool exited, killed;
	struct loop_timer *timer; /* the deadline, or NULL */
	struct job *next; /* in `jobs' */
};

/* the running jobs, for spawn_wait (the daemon spawns from one thread) */
static struct job *jobs;

static void
job_unlink(struct job *j)
{
	for (struct job **p = &jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			return;
		}
}

/* job_close - stop watching fd and close it */
static void
job_close(struct job *j, int *fd)
{
	if (*fd >= 0) {
		loop_io_del(j->loop, *fd);
		close(*fd);
		*fd = -1;
	}
}

static void
job_maybe_done(struct job *j)
{
	if (!j->exited || j->out_r >= 0 || j->err_r >= 0)
		return;
	job_close(j, &j->in_w);
	job_unlink(j);
	loop_timer_free(j->timer);
	if (j->killed)
		sbuf_adds(&j->r.err, "(killed after timeout)");
	mark_exec_failure(&j->r);
	j->done(&j->r, j->arg);
	spawn_result_free(&j->r);
	free(j->in);
	free(j);
}

static void
job_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct job *j = arg;

	(void)l;
	(void)events;
	if (fd == j->in_w) {
		if (!feed(fd, j->in, j->inlen, &j->off))
			job_close(j, &j->in_w);
		return;
	}
	int *fdp = fd == j->out_r ? &j->out_r : &j->err_r;
	if (!drain(fd, fd == j->out_r ? &j->r.out : &j->r.err)) {
		job_close(j, fdp);
		job_maybe_done(j);
	}
}

static void
job_exit(struct loop *l, pid_t pid, int status, void *arg)
{
	struct job *j = arg;

	(void)l;
	(void)pid;
	j->r.status = status;
	j->exited = true;
	job_maybe_done(j);
}

/* job_timeout - the deadline passed: kill it (job_exit follows) */
static void
job_timeout(struct loop *l, void *arg)
{
	struct job *j = arg;

	(void)l;
	/* reaped already (a grandchild holds the pipes): the pid may be
	 * someone else's by now */
	if (j->exited)
		return;
	j->killed = true;
	kill(j->pid, SIGKILL);
}

pid_t
spawn_async(struct loop *loop, char *const argv[], const char *in, size_t inlen,
    int timeout_ms, spawn_done_fn *done, void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	pid = start(argv, in != NULL, &j->in_w, &j->out_r, &j->err_r);
	if (pid < 0) {
		free(j);
		return -1;
	}
	j->loop = loop;
	j->done = done;
	j->arg = arg;
	j->pid = pid;
	j->next = jobs;
	jobs = j;
	if (in != NULL) {
		j->in = xmemdup(in, inlen ? inlen : 1);
		j->inlen = inlen;
		loop_io_add(loop, j->in_w, EPOLLOUT, job_io, j);
	}
	loop_io_add(loop, j->out_r, EPOLLIN, job_io, j);
	loop_io_add(loop, j->err_r, EPOLLIN, job_io, j);
	if (timeout_ms > 0) {
		j->timer = loop_timer_new(loop, job_timeout, j);
		loop_timer_start(j->timer, (uint64_t)timeout_ms);
	}
	loop_child(loop, pid, job_exit, j);
	return pid;
}

void
spawn_wait(pid_t pid, int timeout_ms)
{
	struct job *j;
	uint64_t deadline = loop_clock_ms() + (uint64_t)timeout_ms;

	for (j = jobs; j != NULL && j->pid != pid; j = j->next)
		;
	if (j == NULL)
		return; /* done already */
	/* the job's descriptors are ours now, not the loop's */
	job_close(j, &j->in_w);
	while (j->out_r >= 0 || j->err_r >= 0) {
		struct pollfd p[2];
		int np = 0;
		uint64_t now = loop_clock_ms();

		if (now >= deadline)
			break;
		if (j->out_r >= 0)
			p[np++] = (struct pollfd){j->out_r, POLLIN, 0};
		if (j->err_r >= 0)
			p[np++] = (struct pollfd){j->err_r, POLLIN, 0};
		if (poll(p, (nfds_t)np, (int)(deadline - now)) < 0 &&
		    errno != EINTR)
			break;
		if (j->out_r >= 0 && !drain(j->out_r, &j->r.out))
			job_close(j, &j->out_r);
		if (j->err_r >= 0 && !drain(j->err_r, &j->r.err))
			job_close(j, &j->err_r);
	}
	if (!j->exited) {
		if (reap(pid, deadline, &j->r.status))
			j->killed = true;
		loop_child_cancel(j->loop, pid);
		j->exited = true;
	}
	/* what is left in the pipes; a grandchild may still hold them */
	if (j->out_r >= 0)
		drain(j->out_r, &j->r.out);
	if (j->err_r >= 0)
		drain(j->err_r, &j->r.err);
	job_close(j, &j->out_r);
	job_close(j, &j->err_r);
	job_maybe_done(j);
}
