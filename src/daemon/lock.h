/*
 * lock - one popauth per state directory.
 *
 * The state directory itself is flock()ed (so two instances conflict
 * whatever their pid_file says), and the PID file is written and locked
 * too, so that an admin and init scripts see who holds it.  The locks
 * vanish with the process, so a PID file left by kill -9 is no obstacle.
 */
#ifndef POPAUTH_LOCK_H
#define POPAUTH_LOCK_H

struct lock;

/* lock_acquire - create the state directory if needed, lock it, write
 * the PID file.  NULL and *err (caller frees) if another process holds
 * it or it cannot be done. */
struct lock *
lock_acquire(const char *state_dir, const char *pid_file, char **err);

/* lock_release - remove the PID file and unlock (clean exit) */
void lock_release(struct lock *lk);

/* lock_holder - pid of the process holding the state directory; 0 if
 * none holds it, -1 if one does but its pid is unknown */
long lock_holder(const char *state_dir, const char *pid_file);

#endif
