/*
 * usock - a listening unix-domain stream socket at a path.
 *
 * A socket left at the path by a process that died (a connection to it is
 * refused) is replaced; one that another process listens on ("in use by
 * another process") and anything else there are refused.  The socket has `mode' from the moment it exists
 * (made under a umask that allows no more), and is non-blocking and
 * close-on-exec.
 */
#ifndef POPAUTH_USOCK_H
#define POPAUTH_USOCK_H

#include <sys/types.h>

/* usock_listen - the listening fd, or -1 with *err ("PATH: why") */
int usock_listen(const char *path, mode_t mode, char **err);

#endif
