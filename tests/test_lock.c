/*
 * test_lock - one popauth per state directory: the second is refused and
 * told who holds it; the PID file is written and removed.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/lock.h"
#include "tlib.h"

int
main(void)
{
	char dir[600], pid_file[700], other_pid[700], buf[64];
	char *err = NULL;
	struct lock *a, *b;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/state/sub", t_tmpdir());
	snprintf(pid_file, sizeof(pid_file), "%s/popauth.pid", dir);
	snprintf(other_pid, sizeof(other_pid), "%s/other.pid", t_tmpdir());

	T_EQ_INT(lock_holder(dir, pid_file), 0);
	a = lock_acquire(dir, pid_file, &err);
	T_OK(a != NULL);
	struct stat sb;
	T_OK(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	f = fopen(pid_file, "r");
	T_OK(f != NULL && fgets(buf, sizeof(buf), f) != NULL);
	if (f)
		fclose(f);
	T_EQ_INT(strtol(buf, NULL, 10), getpid());
	T_EQ_INT(lock_holder(dir, pid_file), getpid());

	/* a second one is refused, and told who holds it */
	b = lock_acquire(dir, pid_file, &err);
	T_OK(b == NULL);
	snprintf(buf, sizeof(buf), "(pid %ld)", (long)getpid());
	T_OK(err && strstr(err, "in use by another popauth") &&
	    strstr(err, buf));
	free(err);
	err = NULL;
	/* also with another PID file: the directory is what is locked */
	b = lock_acquire(dir, other_pid, &err);
	T_OK(b == NULL);
	T_OK(err && strstr(err, "in use by another popauth"));
	free(err);
	err = NULL;
	/* the PID file of the holder was not touched */
	T_EQ_INT(lock_holder(dir, pid_file), getpid());

	lock_release(a);
	T_OK(access(pid_file, F_OK) != 0);
	T_EQ_INT(lock_holder(dir, pid_file), 0);
	/* a stale PID file (after kill -9) is no obstacle */
	t_write_file(pid_file, "999999\n");
	b = lock_acquire(dir, pid_file, &err);
	T_OK(b != NULL);
	lock_release(b);
	/* a directory that cannot be created */
	T_OK(lock_acquire("/proc/no/such/dir", pid_file, &err) == NULL);
	T_OK(err && strstr(err, "cannot create state directory"));
	free(err);
	return t_done();
}
