/*
 * loop - the one event loop: file descriptors, timers, signals, children.
 *
 * One thread runs the loop: log sources, sockets, children (postmap,
 * sendmail, ipset...) and every timer run from here, and nothing else
 * blocks but epoll_wait (and, at exit or reload, waits for what is still
 * running).  Timers run on the monotonic clock so that a wall clock step
 * cannot make leases expire early or never.  Helper threads (the
 * firewall's worker, replay's scanner) are started with loop_thread and
 * hand results over without touching the loop.
 */
#ifndef POPAUTH_LOOP_H
#define POPAUTH_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct loop_timer;

typedef void loop_io_fn(struct loop *, int fd, uint32_t events, void *arg);
typedef void loop_timer_fn(struct loop *, void *arg);
typedef void loop_signal_fn(struct loop *, int signo, void *arg);
typedef void loop_child_fn(struct loop *, pid_t pid, int status, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *);

/* loop_run - dispatch until loop_stop; returns 0 */
int loop_run(struct loop *);
void loop_stop(struct loop *);
/* loop_run_once - one epoll_wait of at most timeout_ms, then dispatch */
void loop_run_once(struct loop *, int timeout_ms);

/* loop_clock_ms - monotonic milliseconds, now (for code without a loop) */
uint64_t loop_clock_ms(void);

/* loop_now_ms - monotonic milliseconds, cached per iteration */
uint64_t loop_now_ms(struct loop *);

/* events are EPOLLIN/EPOLLOUT/...; one watcher per fd */
void loop_io_add(struct loop *, int fd, uint32_t events, loop_io_fn *, void *);
void loop_io_mod(struct loop *, int fd, uint32_t events);
void loop_io_del(struct loop *, int fd);
/* loop_io_pause - leave fd unwatched for ms, then watch it again as it
 * was: for a listener whose accept fails for want of descriptors (the
 * connection stays queued, the listener readable: the loop would spin) */
void loop_io_pause(struct loop *, int fd, uint64_t ms);

struct loop_timer *loop_timer_new(struct loop *, loop_timer_fn *, void *arg);
/* loop_timer_start - (re)arm to fire once after delay_ms */
void loop_timer_start(struct loop_timer *, uint64_t delay_ms);
/* loop_timer_start_at - (re)arm to fire at monotonic time at_ms */
void loop_timer_start_at(struct loop_timer *, uint64_t at_ms);
void loop_timer_stop(struct loop_timer *);
bool loop_timer_pending(const struct loop_timer *);
/* loop_timer_due - monotonic time it fires at (valid if pending) */
uint64_t loop_timer_due(const struct loop_timer *);
void loop_timer_free(struct loop_timer *);

/* loop_signal - handle signo from the loop (blocked, read by signalfd) */
void loop_signal(struct loop *, int signo, loop_signal_fn *, void *arg);

/* loop_child - call fn once when pid exits (reaped by the loop) */
void loop_child(struct loop *, pid_t pid, loop_child_fn *, void *arg);
/* loop_child_cancel - forget pid (someone else reaped it) */
void loop_child_cancel(struct loop *, pid_t pid);

/* loop_thread - start a helper thread (0, or the error number) that
 * takes no signal: every signal is the loop's, read from its signalfd,
 * and a signal the loop has not blocked yet (SIGCHLD before the first
 * child) must not be delivered to, and lost in, the helper */
int loop_thread(pthread_t *th, void *(*fn)(void *), void *arg);

#endif
