/*
 * spawn - run an external program (postmap, postconf, sendmail, ipset,
 * iptables...) with a literal argv: fork/exec, never a shell.
 *
 * Standard input comes from a buffer (or /dev/null); standard output and
 * standard error are captured (bounded) so that a failure can be logged
 * with what the program said.
 */
#ifndef POPAUTH_SPAWN_H
#define POPAUTH_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sbuf.h"

struct loop;

struct spawn_result {
	int status; /* as from waitpid */
	bool exec_failed; /* the program could not be started */
	struct sbuf out; /* captured stdout (bounded) */
	struct sbuf err; /* captured stderr (bounded) */
};

/* spawn_ok - exited with status 0 */
bool spawn_ok(const struct spawn_result *r);

/* spawn_describe - "exit status 1", "killed by signal 9", "not found" */
const char *
spawn_describe(const struct spawn_result *r, char *buf, size_t size);

void spawn_result_free(struct spawn_result *r);

/*
 * spawn_sync - run argv[0] (PATH search if it has no slash) with stdin
 * from `in' (may be NULL), wait at most timeout_ms (the child is killed
 * after that).  Returns 0 when it ran (check r->status), -1 when it could
 * not be started (r->exec_failed, reason in r->err).
 */
int spawn_sync(char *const argv[], const char *in, size_t inlen, int timeout_ms,
    struct spawn_result *r);

/*
 * spawn_async - the same on the event loop.  `done' is called once, after
 * the child has exited and its output pipes are drained; the result is
 * freed after `done' returns.  A child still running after timeout_ms
 * (0: no limit) is killed.  Returns the pid or -1 (done not called).
 */
typedef void spawn_done_fn(struct spawn_result *r, void *arg);
pid_t spawn_async(struct loop *loop, char *const argv[], const char *in,
    size_t inlen, int timeout_ms, spawn_done_fn *done, void *arg);

/*
 * spawn_wait - finish the spawn_async job of pid now, without running the
 * loop (nothing else is dispatched meanwhile): wait at most timeout_ms,
 * then kill it; its `done' is called before this returns.  Nothing
 * happens if the job has ended already.
 */
void spawn_wait(pid_t pid, int timeout_ms);

#endif
