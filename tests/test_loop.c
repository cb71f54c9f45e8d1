/*
 * test_loop - unit tests for src/lib/loop.c: timers (order, stop/restart,
 * the heap against a naive model), io watchers and their pause, signals,
 * children, helper threads without signals.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "tlib.h"

/* run_until - dispatch until *flag is set or ms have passed */
static void
run_until(struct loop *l, const int *flag, int ms)
{
	uint64_t end = loop_now_ms(l) + (uint64_t)ms;

	while (!*flag) {
		loop_run_once(l, 20);
		if (loop_now_ms(l) > end)
			break;
	}
}

/* timers in due order */

struct fired {
	int order[16];
	uint64_t at[16];
	int n;
	int want;
	int done;
};

struct targ {
	struct fired *f;
	int id;
	struct loop_timer *t;
};

static void
record(struct loop *l, void *arg)
{
	struct targ *a = arg;

	if (a->f->n < 16) {
		a->f->order[a->f->n] = a->id;
		a->f->at[a->f->n] = loop_now_ms(l);
	}
	a->f->n++;
	/* a fired timer is no longer pending */
	T_OK(!loop_timer_pending(a->t));
	/* never early */
	T_OK(loop_now_ms(l) >= loop_timer_due(a->t));
	if (a->f->n == a->f->want)
		a->f->done = 1;
}

static void
test_timer_order(void)
{
	static const int delay[] = {50, 10, 30, 20, 40, 0};
	enum { N = sizeof(delay) / sizeof(delay[0]) };
	struct loop *l = loop_new();
	struct fired f = {.want = N};
	struct targ a[N];

	for (int i = 0; i < N; i++) {
		a[i] = (struct targ){&f, delay[i], NULL};
		a[i].t = loop_timer_new(l, record, &a[i]);
		T_OK(!loop_timer_pending(a[i].t));
	}
	uint64_t t0 = loop_now_ms(l);
	for (int i = 0; i < N; i++) {
		loop_timer_start(a[i].t, (uint64_t)delay[i]);
		T_OK(loop_timer_pending(a[i].t));
		T_OK(loop_timer_due(a[i].t) >= t0 + (uint64_t)delay[i]);
	}
	run_until(l, &f.done, 3000);
	T_EQ_INT(f.n, N);
	static const int want[] = {0, 10, 20, 30, 40, 50};
	for (int i = 0; i < N; i++) {
		T_EQ_INT(f.order[i], want[i]);
		T_OK(f.at[i] >= t0 + (uint64_t)want[i]);
	}
	for (int i = 0; i < N; i++)
		loop_timer_free(a[i].t);
	loop_free(l);
}

/* test_timer_wait - loop_run_once sleeps until the next timer, not
 * longer (its own timeout) and not shorter (a busy loop) */
static void
test_timer_wait(void)
{
	struct loop *l = loop_new();
	struct fired f = {.want = 1};
	struct targ a = {&f, 1, NULL};
	uint64_t t0;

	a.t = loop_timer_new(l, record, &a);
	/* no timeout of its own: wakes for the timer, in one call */
	loop_timer_start(a.t, 40);
	t0 = loop_now_ms(l);
	loop_run_once(l, -1);
	T_EQ_INT(f.n, 1);
	T_OK(loop_now_ms(l) >= t0 + 40);
	T_OK(loop_now_ms(l) < t0 + 1000);
	/* a longer timeout of its own: still wakes for the timer */
	f.n = 0;
	loop_timer_start(a.t, 40);
	t0 = loop_now_ms(l);
	loop_run_once(l, 5000);
	T_EQ_INT(f.n, 1);
	T_OK(loop_now_ms(l) < t0 + 1000);
	/* a shorter one: returns without the timer */
	f.n = 0;
	loop_timer_start(a.t, 500);
	t0 = loop_now_ms(l);
	loop_run_once(l, 30);
	T_EQ_INT(f.n, 0);
	T_OK(loop_now_ms(l) >= t0 + 25);
	T_OK(loop_timer_pending(a.t));
	loop_timer_free(a.t);
	loop_free(l);
}

/* stop, restart, self-rearm, stop from another callback, free */

struct ctl {
	int fired;
	int limit;
	struct loop_timer *self;
	struct loop_timer *victim;
	int *done;
};

static void
ctl_fire(struct loop *l, void *arg)
{
	struct ctl *c = arg;

	(void)l;
	c->fired++;
	if (c->victim) {
		loop_timer_stop(c->victim);
		T_OK(!loop_timer_pending(c->victim));
	}
	if (c->fired < c->limit)
		loop_timer_start(c->self, 5);
	if (c->done)
		*c->done = 1;
}

static void
test_timer_stop_restart(void)
{
	struct loop *l = loop_new();
	int done = 0;
	struct ctl stopped = {0}, moved = {0}, periodic = {0}, killer = {0},
		   victim = {0}, freed = {0}, end = {0};

	stopped.self = loop_timer_new(l, ctl_fire, &stopped);
	moved.self = loop_timer_new(l, ctl_fire, &moved);
	periodic.self = loop_timer_new(l, ctl_fire, &periodic);
	killer.self = loop_timer_new(l, ctl_fire, &killer);
	victim.self = loop_timer_new(l, ctl_fire, &victim);
	freed.self = loop_timer_new(l, ctl_fire, &freed);
	end.self = loop_timer_new(l, ctl_fire, &end);
	periodic.limit = 4;
	killer.victim = victim.self;
	end.done = &done;

	/* stopped before it is due: never fires; stop twice is harmless */
	loop_timer_start(stopped.self, 10);
	loop_timer_stop(stopped.self);
	loop_timer_stop(stopped.self);
	T_OK(!loop_timer_pending(stopped.self));
	/* restarted: fires once, at the later time */
	loop_timer_start(moved.self, 5);
	loop_timer_start(moved.self, 60);
	uint64_t moved_due = loop_timer_due(moved.self);
	T_OK(loop_timer_pending(moved.self));
	/* re-arms itself from its callback */
	loop_timer_start(periodic.self, 1);
	/* a callback stops a later timer */
	loop_timer_start(killer.self, 5);
	loop_timer_start(victim.self, 40);
	/* freed while pending */
	loop_timer_start(freed.self, 5);
	loop_timer_free(freed.self);
	loop_timer_free(NULL);
	loop_timer_start(end.self, 100);

	uint64_t t0 = loop_now_ms(l);
	run_until(l, &done, 3000);
	T_OK(done);
	T_OK(loop_now_ms(l) >= t0 + 60);
	T_EQ_INT(stopped.fired, 0);
	T_EQ_INT(moved.fired, 1);
	T_OK(loop_now_ms(l) >= moved_due);
	T_EQ_INT(periodic.fired, 4);
	T_EQ_INT(killer.fired, 1);
	T_EQ_INT(victim.fired, 0);
	T_EQ_INT(freed.fired, 0);
	T_EQ_INT(end.fired, 1);

	/* a stopped timer can be started again */
	done = 0;
	loop_timer_start(stopped.self, 1);
	stopped.done = &done;
	run_until(l, &done, 3000);
	T_EQ_INT(stopped.fired, 1);

	loop_timer_free(stopped.self);
	loop_timer_free(moved.self);
	loop_timer_free(periodic.self);
	loop_timer_free(killer.self);
	loop_timer_free(victim.self);
	loop_timer_free(end.self);
	loop_free(l);
}

/* the heap against a naive model */

enum { MODEL_N = 300 };

struct model {
	struct loop *l;
	struct loop_timer *t[MODEL_N];
	bool pending[MODEL_N];
	bool expect[MODEL_N]; /* due in the past, must fire this pass */
	uint64_t due[MODEL_N];
	uint64_t past; /* dues below this are in the past */
	int fired, rearms, errors;
	uint64_t last_due;
};

static struct model M;

/* model_min - smallest due among pending timers in the model */
static uint64_t
model_min(void)
{
	uint64_t m = UINT64_MAX;

	for (int i = 0; i < MODEL_N; i++)
		if (M.pending[i] && M.due[i] < m)
			m = M.due[i];
	return m;
}

static void
model_fire(struct loop *l, void *arg)
{
	int id = (int)(intptr_t)arg;

	(void)l;
	M.fired++;
	/* the heap hands out the minimum, and only pending timers */
	if (!M.pending[id] || M.due[id] != model_min()) {
		if (M.errors++ < 5)
			T_OK(M.pending[id] && M.due[id] == model_min());
	}
	if (M.due[id] < M.last_due && M.errors++ < 5)
		T_OK(M.due[id] >= M.last_due);
	M.last_due = M.due[id];
	M.pending[id] = false;
	M.expect[id] = false;

	/* disturb the heap from inside the dispatch */
	int other = rand() % MODEL_N;
	M.expect[other] = false; /* touched: the model takes over */
	switch (rand() % 4) {
	case 0:
		loop_timer_stop(M.t[other]);
		M.pending[other] = false;
		break;
	case 1:
		if (M.rearms < 2000) {
			/* still in the past, not before the current one */
			uint64_t d = M.due[id] + (uint64_t)(rand() % 50);
			if (d < M.past) {
				M.rearms++;
				loop_timer_start_at(M.t[other], d);
				M.pending[other] = true;
				M.due[other] = d;
			}
		}
		break;
	case 2: {
		/* far future: must not fire in this pass */
		uint64_t d = M.past + 100000000 + (uint64_t)(rand() % 1000);
		loop_timer_start_at(M.t[other], d);
		M.pending[other] = true;
		M.due[other] = d;
		break;
	}
	default:
		break;
	}
}

/* model_check - pending/due as the model says */
static void
model_check(void)
{
	int bad = 0;

	for (int i = 0; i < MODEL_N; i++) {
		if (loop_timer_pending(M.t[i]) != M.pending[i])
			bad++;
		else if (M.pending[i] && loop_timer_due(M.t[i]) != M.due[i])
			bad++;
	}
	T_EQ_INT(bad, 0);
}

static void
test_timer_heap(void)
{
	memset(&M, 0, sizeof(M));
	M.l = loop_new();
	srand(9876);
	loop_run_once(M.l, 0);
	uint64_t now = loop_now_ms(M.l);
	if (now < 20000) {
		/* the clock is too young for dues in the past */
		fprintf(stderr, "skipping heap test: monotonic clock %llu\n",
		    (unsigned long long)now);
		loop_free(M.l);
		return;
	}
	M.past = now - 10000;
	for (int i = 0; i < MODEL_N; i++)
		M.t[i] = loop_timer_new(M.l, model_fire, (void *)(intptr_t)i);

	for (int round = 0; round < 30; round++) {
		/* random starts/restarts/stops outside the dispatch */
		for (int k = 0; k < 2000; k++) {
			int i = rand() % MODEL_N;
			switch (rand() % 5) {
			case 0:
				loop_timer_stop(M.t[i]);
				M.pending[i] = false;
				break;
			case 1: {
				uint64_t d = M.past + 100000000 +
				    (uint64_t)(rand() % 100);
				loop_timer_start_at(M.t[i], d);
				M.pending[i] = true;
				M.due[i] = d;
				break;
			}
			default: {
				/* many equal dues on purpose */
				uint64_t d = M.past - 8000 +
				    (uint64_t)(rand() %
					(round % 2 ? 20 : 5000));
				loop_timer_start_at(M.t[i], d);
				M.pending[i] = true;
				M.due[i] = d;
				break;
			}
			}
		}
		model_check();
		/* dispatch: every timer due in the past fires, in order */
		int in_past = 0, missed = 0;
		for (int i = 0; i < MODEL_N; i++) {
			M.expect[i] = M.pending[i] && M.due[i] < M.past;
			in_past += M.expect[i];
		}
		M.fired = 0;
		M.last_due = 0;
		loop_run_once(M.l, 0);
		T_OK(in_past > 0 && M.fired > 0);
		for (int i = 0; i < MODEL_N; i++) {
			if (M.expect[i] || (M.pending[i] && M.due[i] < M.past))
				missed++;
		}
		T_EQ_INT(missed, 0);
		model_check();
		if (t_failures)
			break;
	}
	for (int i = 0; i < MODEL_N; i++)
		loop_timer_free(M.t[i]);
	loop_free(M.l);
}

/* io */

struct io_rec {
	int calls;
	int fd;
	uint32_t events;
	char data[64];
	size_t n;
	void *arg;
};

static void
io_read(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct io_rec *r = arg;
	ssize_t n;

	(void)l;
	r->calls++;
	r->fd = fd;
	r->events = events;
	r->arg = arg;
	if (events & EPOLLIN) {
		n = read(fd, r->data + r->n, sizeof(r->data) - 1 - r->n);
		if (n > 0)
			r->n += (size_t)n;
		r->data[r->n] = 0;
	}
}

static void
test_io(void)
{
	struct loop *l = loop_new();
	struct io_rec r = {0}, w = {0};
	int p[2];
	uint64_t t0;

	T_OK(pipe(p) == 0);
	loop_io_add(l, p[0], EPOLLIN, io_read, &r);

	/* nothing to read: returns after the timeout, no callback */
	t0 = loop_now_ms(l);
	loop_run_once(l, 30);
	T_EQ_INT(r.calls, 0);
	T_OK(loop_now_ms(l) >= t0 + 25);

	T_OK(write(p[1], "hello", 5) == 5);
	loop_run_once(l, 1000);
	T_EQ_INT(r.calls, 1);
	T_EQ_INT(r.fd, p[0]);
	T_OK(r.arg == &r);
	T_OK(r.events & EPOLLIN);
	T_EQ_STR(r.data, "hello");

	/* write end: writable at once */
	loop_io_add(l, p[1], EPOLLOUT, io_read, &w);
	loop_run_once(l, 1000);
	T_EQ_INT(w.calls, 1);
	T_EQ_INT(w.fd, p[1]);
	T_OK(w.events & EPOLLOUT);
	T_EQ_INT(r.calls, 1);
	loop_io_del(l, p[1]);
	loop_io_del(l, p[1]); /* twice: harmless */
	loop_io_del(l, 100000); /* unknown: harmless */

	/* modified to no events: data waits, no callback */
	loop_io_mod(l, p[0], 0);
	T_OK(write(p[1], " world", 6) == 6);
	loop_run_once(l, 20);
	T_EQ_INT(r.calls, 1);
	loop_io_mod(l, p[0], EPOLLIN);
	loop_run_once(l, 1000);
	T_EQ_INT(r.calls, 2);
	T_EQ_STR(r.data, "hello world");

	/* deleted: not called any more */
	loop_io_del(l, p[0]);
	T_OK(write(p[1], "!", 1) == 1);
	loop_run_once(l, 20);
	T_EQ_INT(r.calls, 2);

	/* added again, then the writer goes away: EOF is reported */
	loop_io_add(l, p[0], EPOLLIN, io_read, &r);
	close(p[1]);
	loop_run_once(l, 1000);
	T_EQ_INT(r.calls, 3);
	T_EQ_STR(r.data, "hello world!");
	loop_run_once(l, 1000);
	T_EQ_INT(r.calls, 4);
	T_OK(r.events & EPOLLHUP);
	loop_io_del(l, p[0]);
	close(p[0]);

	/* a high descriptor number grows the table */
	T_OK(pipe(p) == 0);
	int hi = dup2(p[0], 700);
	T_EQ_INT(hi, 700);
	memset(&r, 0, sizeof(r));
	loop_io_add(l, hi, EPOLLIN, io_read, &r);
	T_OK(write(p[1], "x", 1) == 1);
	loop_run_once(l, 1000);
	T_EQ_INT(r.calls, 1);
	T_EQ_INT(r.fd, 700);
	loop_io_del(l, hi);
	close(hi);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

/* loop_run / loop_stop */

static void
stop_cb(struct loop *l, void *arg)
{
	(*(int *)arg)++;
	loop_stop(l);
}

static void
test_run_stop(void)
{
	struct loop *l = loop_new();
	int n = 0;
	struct loop_timer *t = loop_timer_new(l, stop_cb, &n);

	loop_timer_start(t, 5);
	T_EQ_INT(loop_run(l), 0);
	T_EQ_INT(n, 1);
	/* loop_run again: the stop flag was reset */
	loop_timer_start(t, 5);
	T_EQ_INT(loop_run(l), 0);
	T_EQ_INT(n, 2);
	loop_timer_free(t);
	loop_free(l);
}

/* signals */

struct sig_rec {
	int hup, usr1, other;
	int last;
};

static void
on_signal(struct loop *l, int signo, void *arg)
{
	struct sig_rec *r = arg;

	(void)l;
	r->last = signo;
	if (signo == SIGHUP)
		r->hup++;
	else if (signo == SIGUSR1)
		r->usr1++;
	else
		r->other++;
}

static void
test_signals(void)
{
	struct loop *l = loop_new();
	struct sig_rec r = {0};
	int done = 0;

	loop_signal(l, SIGHUP, on_signal, &r);
	loop_signal(l, SIGUSR1, on_signal, &r);

	T_OK(raise(SIGHUP) == 0);
	for (int i = 0; i < 100 && r.hup == 0; i++)
		loop_run_once(l, 20);
	T_EQ_INT(r.hup, 1);
	T_EQ_INT(r.usr1, 0);
	T_EQ_INT(r.last, SIGHUP);

	T_OK(raise(SIGUSR1) == 0);
	for (int i = 0; i < 100 && r.usr1 == 0; i++)
		loop_run_once(l, 20);
	T_EQ_INT(r.usr1, 1);
	T_EQ_INT(r.hup, 1);
	T_EQ_INT(r.last, SIGUSR1);

	/* both at once (each coalesced to one delivery) */
	T_OK(raise(SIGHUP) == 0);
	T_OK(raise(SIGHUP) == 0);
	T_OK(raise(SIGUSR1) == 0);
	for (int i = 0; i < 100 && (r.usr1 < 2 || r.hup < 2); i++)
		loop_run_once(l, 20);
	T_EQ_INT(r.hup, 2);
	T_EQ_INT(r.usr1, 2);
	T_EQ_INT(r.other, 0);

	/* a new handler replaces the old one */
	struct sig_rec r2 = {0};
	loop_signal(l, SIGHUP, on_signal, &r2);
	T_OK(raise(SIGHUP) == 0);
	for (int i = 0; i < 100 && r2.hup == 0; i++)
		loop_run_once(l, 20);
	T_EQ_INT(r2.hup, 1);
	T_EQ_INT(r.hup, 2);

	/* nothing pending any more, so the mask can be restored */
	run_until(l, &done, 20);
	loop_free(l);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	T_OK(!sigismember(&now, SIGHUP));
	T_OK(!sigismember(&now, SIGUSR1));
}

/* children */

struct child_rec {
	int calls;
	pid_t pid;
	int status;
};

static void
on_child(struct loop *l, pid_t pid, int status, void *arg)
{
	struct child_rec *r = arg;

	(void)l;
	r->calls++;
	r->pid = pid;
	r->status = status;
}

/* fork_exit - a child that sleeps ms, then exits with code */
static pid_t
fork_exit(int ms, int code)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		_exit(code);
	}
	T_OK(pid > 0);
	return pid;
}

static void
test_children(void)
{
	struct loop *l;
	struct child_rec a = {0}, b = {0}, c = {0};
	enum { MANY = 20 };
	struct child_rec many[MANY];
	pid_t pid;

	/* exited before it was registered (and before SIGCHLD was
	 * blocked, in a fresh loop): reaped at once, all the same */
	l = loop_new();
	pid = fork_exit(0, 7);
	usleep(100000);
	loop_child(l, pid, on_child, &c);
	for (int i = 0; i < 250 && c.calls == 0; i++)
		loop_run_once(l, 20);
	T_EQ_INT(c.calls, 1);
	T_EQ_INT(c.pid, pid);
	T_OK(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 7);
	loop_free(l);

	/* exit status is passed on */
	l = loop_new();
	pid = fork_exit(20, 3);
	loop_child(l, pid, on_child, &a);
	T_EQ_INT(a.calls, 0);
	for (int i = 0; i < 250 && a.calls == 0; i++)
		loop_run_once(l, 20);
	T_EQ_INT(a.calls, 1);
	T_EQ_INT(a.pid, pid);
	T_OK(WIFEXITED(a.status) && WEXITSTATUS(a.status) == 3);

	/* killed by a signal */
	pid = fork_exit(60000, 0);
	loop_child(l, pid, on_child, &b);
	T_OK(kill(pid, SIGTERM) == 0);
	for (int i = 0; i < 250 && b.calls == 0; i++)
		loop_run_once(l, 20);
	T_EQ_INT(b.calls, 1);
	T_OK(WIFSIGNALED(b.status) && WTERMSIG(b.status) == SIGTERM);

	/* many at once: SIGCHLD coalesces, every one is reaped once */
	memset(many, 0, sizeof(many));
	for (int i = 0; i < MANY; i++) {
		pid = fork_exit(30, i);
		loop_child(l, pid, on_child, &many[i]);
	}
	int total = 0;
	for (int k = 0; k < 250 && total < MANY; k++) {
		loop_run_once(l, 20);
		total = 0;
		for (int i = 0; i < MANY; i++)
			total += many[i].calls;
	}
	/* and a little more: nobody is reported twice */
	loop_run_once(l, 50);
	for (int i = 0; i < MANY; i++) {
		T_EQ_INT(many[i].calls, 1);
		T_OK(WIFEXITED(many[i].status) &&
		    WEXITSTATUS(many[i].status) == i);
	}
	T_OK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	loop_free(l);
}

/* a paused watcher: not called while the pause lasts (though its fd stays
 * readable), called again after it; a watcher deleted while paused does
 * not come back, and a thread from loop_thread takes no signal */
static int pause_calls;

static void
count_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	(void)arg;
	pause_calls++;
}

static void *
thread_mask(void *arg)
{
	sigset_t *mask = arg;

	pthread_sigmask(SIG_SETMASK, NULL, mask);
	return NULL;
}

static void
test_io_pause(void)
{
	struct loop *l = loop_new();
	int p[2];
	int never = 0;

	T_CASE("io pause");
	T_OK(pipe(p) == 0);
	T_OK(write(p[1], "x", 1) == 1); /* readable from now on */
	loop_io_add(l, p[0], EPOLLIN, count_io, NULL);
	loop_run_once(l, 0);
	T_EQ_INT(pause_calls, 1);
	loop_io_pause(l, p[0], 150);
	uint64_t t0 = loop_clock_ms();
	pause_calls = 0;
	run_until(l, &never, 100);
	T_EQ_INT(pause_calls, 0);
	while (pause_calls == 0 && loop_clock_ms() - t0 < 2000)
		loop_run_once(l, 20);
	T_OK(pause_calls > 0 && loop_clock_ms() - t0 >= 150);
	/* deleted while paused: gone for good, the fd free to reuse */
	loop_io_pause(l, p[0], 50);
	loop_io_del(l, p[0]);
	pause_calls = 0;
	run_until(l, &never, 150);
	T_EQ_INT(pause_calls, 0);
	loop_io_add(l, p[0], EPOLLIN, count_io, NULL);
	loop_io_pause(l, p[0], 10000); /* freed with the loop */
	loop_free(l);
	close(p[0]);
	close(p[1]);

	T_CASE("loop_thread");
	pthread_t th;
	sigset_t mask;
	sigemptyset(&mask);
	T_EQ_INT(loop_thread(&th, thread_mask, &mask), 0);
	pthread_join(th, NULL);
	T_OK(sigismember(&mask, SIGCHLD) && sigismember(&mask, SIGTERM));
}

int
main(void)
{
	test_timer_order();
	test_timer_wait();
	test_timer_stop_restart();
	test_timer_heap();
	test_io();
	test_io_pause();
	test_run_stop();
	test_signals();
	test_children();
	return t_done();
}
