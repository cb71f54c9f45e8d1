/*
 * control - the admin's line to the running daemon: `popauth ban`,
 * `unban`, `forget` and `status` go through it while the daemon runs, so
 * they act on the live state (the daemon holds the state's lock).
 *
 * A unix socket, control_socket (default $state_directory/popauth.ctl),
 * mode 0600 (0660 and control_group's with one); a peer must be root, the
 * daemon's own user or in control_group, as its primary or a
 * supplementary group (SO_PEERCRED, SO_PEERGROUPS).  One command per
 * connection: the client writes "WORD WORD ...\n" (at most 4096 bytes
 * and 64 words), the daemon answers "<exit status>\n<output>" and
 * closes; output lines for standard error start with "! ".
 */
#ifndef POPAUTH_CONTROL_H
#define POPAUTH_CONTROL_H

#include <stdbool.h>
#include <stdio.h>

struct loop;
struct config;

/* control_fn - run argv[0..argc) in the daemon: the exit status, output
 * on out, warnings on err (both handed back to the client) */
typedef int control_fn(void *arg, int argc, char **argv, FILE *out, FILE *err);

struct control;

/* control_new - listen at cfg->control_socket; NULL and *err (a socket
 * another process listens on there is left alone: usock_listen) */
struct control *control_new(struct loop *loop, const struct config *cfg,
    control_fn *fn, void *arg, char **err);
/* control_free - close the socket (and remove it) and the connections
 * still open on it */
void control_free(struct control *c);

/*
 * control_call - as a client: send argv to a daemon listening at
 * cfg->control_socket and copy its answer to stdout/stderr; its exit
 * status, or -1 (nothing printed) when no daemon answers there.  An
 * argument that is empty or holds a space or a control byte, or a
 * command too long for the socket, is not sent: 2, the reason on stderr.
 */
int control_call(const struct config *cfg, int argc, char **argv);

#endif
