/*
 * loop - the one event loop: file descriptors, timers, signals, children.
 *
 * DESCRIPTION
 *	epoll for descriptors; a binary min-heap of timers (each timer
 *	knows its heap slot, so start/stop are O(log n)); signalfd for
 *	signals; SIGCHLD plus waitpid(WNOHANG) for children.
 *
 * DIAGNOSTICS
 *	A failing epoll_ctl on a descriptor we own is a broken invariant
 *	(msg_panic).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heap.h"
#include "loop.h"
#include "mem.h"
#include "msg.h"

struct io_watch {
	loop_io_fn *fn;
	void *arg;
	uint32_t events;
	bool used;
	bool paused; /* out of epoll until `resume' fires */
	struct loop_timer *resume;
};

struct loop_timer {
	struct loop *loop;
	loop_timer_fn *fn;
	void *arg;
	struct heap_node due; /* key: monotonic ms it fires at */
};

struct child {
	pid_t pid;
	loop_child_fn *fn;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;
	uint64_t now;
	struct io_watch *io;
	size_t nio;
	struct heap timers;
	int sigfd;
	sigset_t sigs;
	struct {
		loop_signal_fn *fn;
		void *arg;
	} sig[65];
	struct child *child;
	size_t nchild, capchild;
};

uint64_t
loop_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		msg_fatal("epoll_create1: %s", strerror(errno));
	l->sigfd = -1;
	sigemptyset(&l->sigs);
	l->now = loop_clock_ms();
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	close(l->epfd);
	if (l->sigfd >= 0) {
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigs, NULL);
	}
	for (size_t fd = 0; fd < l->nio; fd++)
		loop_timer_free(l->io[fd].resume);
	free(l->io);
	heap_free(&l->timers);
	free(l->child);
	free(l);
}

uint64_t
loop_now_ms(struct loop *l)
{
	return l->now;
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}

/* io */

void
loop_io_add(struct loop *l, int fd, uint32_t events, loop_io_fn *fn, void *arg)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (fd < 0)
		msg_panic("loop_io_add: bad fd %d", fd);
	if ((size_t)fd >= l->nio) {
		size_t n = (size_t)fd + 16;
		l->io = xreallocarray(l->io, n, sizeof(*l->io));
		memset(l->io + l->nio, 0, (n - l->nio) * sizeof(*l->io));
		l->nio = n;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		msg_panic("epoll_ctl add fd %d: %s", fd, strerror(errno));
	l->io[fd] = (struct io_watch){fn, arg, events, true, false, NULL};
}

void
loop_io_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	l->io[fd].events = events;
	if (l->io[fd].paused)
		return; /* in force when watched again */
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		msg_panic("epoll_ctl mod fd %d: %s", fd, strerror(errno));
}

void
loop_io_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nio || !l->io[fd].used)
		return;
	if (!l->io[fd].paused)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop_timer_free(l->io[fd].resume);
	l->io[fd].resume = NULL;
	l->io[fd].paused = false;
	l->io[fd].used = false;
}

/* io_resume - a paused descriptor's pause is over (arg: the fd) */
static void
io_resume(struct loop *l, void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct epoll_event ev = {.events = l->io[fd].events, .data.fd = fd};

	if (!l->io[fd].used || !l->io[fd].paused)
		return;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		msg_panic("epoll_ctl add fd %d: %s", fd, strerror(errno));
	l->io[fd].paused = false;
}

void
loop_io_pause(struct loop *l, int fd, uint64_t ms)
{
	struct io_watch *w;

	if (fd < 0 || (size_t)fd >= l->nio || !l->io[fd].used)
		return;
	w = &l->io[fd];
	if (!w->paused)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->paused = true;
	if (w->resume == NULL)
		w->resume = loop_timer_new(l, io_resume, (void *)(intptr_t)fd);
	loop_timer_start(w->resume, ms);
}

/* timers: a min-heap on the time they fire */

struct loop_timer *
loop_timer_new(struct loop *l, loop_timer_fn *fn, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));

	t->loop = l;
	t->fn = fn;
	t->arg = arg;
	t->due.slot = HEAP_NONE;
	return t;
}

void
loop_timer_stop(struct loop_timer *t)
{
	heap_remove(&t->loop->timers, &t->due);
}

void
loop_timer_start_at(struct loop_timer *t, uint64_t at_ms)
{
	if (heap_contains(&t->due)) {
		heap_rekey(&t->loop->timers, &t->due, (int64_t)at_ms);
	} else {
		t->due.key = (int64_t)at_ms;
		heap_push(&t->loop->timers, &t->due);
	}
}

void
loop_timer_start(struct loop_timer *t, uint64_t delay_ms)
{
	loop_timer_start_at(t, loop_clock_ms() + delay_ms);
}

bool
loop_timer_pending(const struct loop_timer *t)
{
	return heap_contains(&t->due);
}

uint64_t
loop_timer_due(const struct loop_timer *t)
{
	return (uint64_t)t->due.key;
}

void
loop_timer_free(struct loop_timer *t)
{
	if (t == NULL)
		return;
	loop_timer_stop(t);
	free(t);
}

/* signals and children */

static void reap_children(struct loop *l);

static void
signal_ready(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	bool chld = false;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int s = (int)si.ssi_signo;
		if (s == SIGCHLD)
			chld = true;
		else if (s > 0 && s < 65 && l->sig[s].fn)
			l->sig[s].fn(l, s, l->sig[s].arg);
	}
	if (chld)
		reap_children(l);
}

static void
signal_watch(struct loop *l, int signo)
{
	sigaddset(&l->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) < 0)
		msg_fatal("sigprocmask: %s", strerror(errno));
	if (l->sigfd < 0) {
		l->sigfd = signalfd(-1, &l->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
		if (l->sigfd < 0)
			msg_fatal("signalfd: %s", strerror(errno));
		loop_io_add(l, l->sigfd, EPOLLIN, signal_ready, NULL);
	} else if (signalfd(l->sigfd, &l->sigs, 0) < 0) {
		msg_fatal("signalfd: %s", strerror(errno));
	}
}

void
loop_signal(struct loop *l, int signo, loop_signal_fn *fn, void *arg)
{
	if (signo <= 0 || signo >= 65 || signo == SIGCHLD)
		msg_panic("loop_signal: bad signal %d", signo);
	l->sig[signo].fn = fn;
	l->sig[signo].arg = arg;
	/* an ignored signal is discarded even while blocked: a shell may
	 * have started us with SIGINT or SIGQUIT ignored */
	signal(signo, SIG_DFL);
	signal_watch(l, signo);
}

void
loop_child(struct loop *l, pid_t pid, loop_child_fn *fn, void *arg)
{
	if (!sigismember(&l->sigs, SIGCHLD))
		signal_watch(l, SIGCHLD);
	if (l->nchild == l->capchild) {
		l->capchild = l->capchild ? 2 * l->capchild : 8;
		l->child =
		    xreallocarray(l->child, l->capchild, sizeof(*l->child));
	}
	l->child[l->nchild++] = (struct child){pid, fn, arg};
	/* it may have exited before SIGCHLD was blocked */
	reap_children(l);
}

void
loop_child_cancel(struct loop *l, pid_t pid)
{
	for (size_t i = 0; i < l->nchild; i++)
		if (l->child[i].pid == pid) {
			l->child[i] = l->child[--l->nchild];
			return;
		}
}

static void
reap_children(struct loop *l)
{
	for (size_t i = 0; i < l->nchild;) {
		int status;
		pid_t r = waitpid(l->child[i].pid, &status, WNOHANG);

		if (r == l->child[i].pid || (r < 0 && errno == ECHILD)) {
			struct child c = l->child[i];
			l->child[i] = l->child[--l->nchild];
			if (r < 0)
				status =
				    0x7f00; /* unknown: report as failure */
			c.fn(l, c.pid, status, c.arg);
			continue;
		}
		i++;
	}
}

/* dispatch */

static void
run_timers(struct loop *l)
{
	struct heap_node *top;

	while ((top = heap_top(&l->timers)) != NULL &&
	    (uint64_t)top->key <= l->now) {
		struct loop_timer *t = HEAP_ENTRY(top, struct loop_timer, due);
		heap_remove(&l->timers, top);
		t->fn(l, t->arg);
	}
}

void
loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[64];
	struct heap_node *top;
	int n;

	l->now = loop_clock_ms();
	run_timers(l);
	if (l->stop)
		return;
	if ((top = heap_top(&l->timers)) != NULL) {
		uint64_t due = (uint64_t)top->key;
		uint64_t wait = due > l->now ? due - l->now : 0;
		if (timeout_ms < 0 || wait < (uint64_t)timeout_ms)
			timeout_ms = wait > 600000 ? 600000 : (int)wait;
	}
	n = epoll_wait(l->epfd, evs, 64, timeout_ms);
	if (n < 0 && errno != EINTR)
		msg_fatal("epoll_wait: %s", strerror(errno));
	l->now = loop_clock_ms();
	for (int i = 0; i < n && !l->stop; i++) {
		int fd = evs[i].data.fd;
		if ((size_t)fd < l->nio && l->io[fd].used && !l->io[fd].paused)
			l->io[fd].fn(l, fd, evs[i].events, l->io[fd].arg);
	}
	run_timers(l);
}

int
loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop)
		loop_run_once(l, -1);
	return 0;
}

int
loop_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int e;

	/* the new thread inherits the mask in force when it is made */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}
