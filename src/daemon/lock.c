/*
 * lock - one popauth per state directory.
 *
 * SECURITY
 *	The PID file is opened O_NOFOLLOW and never truncated before we
 *	hold its lock.
 *
 * DIAGNOSTICS
 *	Errors name the directory and, when known, the pid holding it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/afile.h"
#include "../lib/mem.h"
#include "../lib/sbuf.h"
#include "lock.h"

struct lock {
	int dirfd;
	int pidfd;
	char *pid_file;
};

static long
read_pid(const char *pid_file)
{
	char buf[32];
	long pid = 0;
	int fd = open(pid_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		pid = strtol(buf, NULL, 10);
	}
	return pid > 0 ? pid : 0;
}

struct lock *
lock_acquire(const char *state_dir, const char *pid_file, char **err)
{
	struct lock *lk = xcalloc(1, sizeof(*lk));
	char buf[32];
	int n;

	lk->dirfd = lk->pidfd = -1;
	if (afile_mkdirs(state_dir, 0700) < 0) {
		*err = xstrfmt("cannot create state directory %s: %s",
		    state_dir, strerror(errno));
		goto fail;
	}
	lk->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lk->dirfd < 0) {
		*err = xstrfmt("cannot open state directory %s: %s", state_dir,
		    strerror(errno));
		goto fail;
	}
	if (flock(lk->dirfd, LOCK_EX | LOCK_NB) < 0) {
		long pid = read_pid(pid_file);
		*err = pid ? xstrfmt("state directory %s is in use by another "
				     "popauth (pid %ld)",
				 state_dir, pid)
			   : xstrfmt("state directory %s is in use by another "
				     "popauth",
				 state_dir);
		goto fail;
	}
	lk->pidfd =
	    open(pid_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (lk->pidfd < 0 || flock(lk->pidfd, LOCK_EX | LOCK_NB) < 0) {
		*err = xstrfmt(
		    "cannot lock PID file %s: %s", pid_file, strerror(errno));
		goto fail;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(lk->pidfd, 0) < 0 ||
	    pwrite(lk->pidfd, buf, (size_t)n, 0) != n) {
		*err = xstrfmt(
		    "cannot write PID file %s: %s", pid_file, strerror(errno));
		goto fail;
	}
	lk->pid_file = xstrdup(pid_file);
	return lk;
fail:
	if (lk->pidfd >= 0)
		close(lk->pidfd);
	if (lk->dirfd >= 0)
		close(lk->dirfd);
	free(lk);
	return NULL;
}

void
lock_release(struct lock *lk)
{
	if (lk == NULL)
		return;
	unlink(lk->pid_file);
	close(lk->pidfd);
	close(lk->dirfd);
	free(lk->pid_file);
	free(lk);
}

long
lock_holder(const char *state_dir, const char *pid_file)
{
	int fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long pid = 0;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		pid = read_pid(pid_file);
		if (pid == 0)
			pid = -1;
	} else {
		flock(fd, LOCK_UN);
	}
	close(fd);
	return pid;
}
