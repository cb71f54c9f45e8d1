/*
 * usock - a listening unix-domain socket (see usock.h).
 *
 * DESCRIPTION
 *	Before a socket already at the path is replaced, a connection to it
 *	is tried: only one that is refused (nobody listens) is removed.
 *
 * DIAGNOSTICS
 *	Errors name the path and the reason; nothing is logged here.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sbuf.h"
#include "usock.h"

/*
 * usock_stale - is the socket at path one that nobody listens on (left by
 * a process that died)?  Then it is removed and true.  A socket that
 * takes a connection is another process's: false with *err, and it stays.
 */
static bool
usock_stale(const char *path, const struct sockaddr_un *sa, char **err)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int e;

	if (fd < 0) {
		*err = xstrfmt("%s: %s", path, strerror(errno));
		return false;
	}
	/* non-blocking: a live listener with a full backlog says EAGAIN */
	e = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? errno
								      : 0;
	close(fd);
	if (e == 0 || e == EAGAIN || e == EINPROGRESS) {
		*err = xstrfmt("%s: in use by another process", path);
		return false;
	}
	if (e == ENOENT) /* gone meanwhile */
		return true;
	if (e != ECONNREFUSED) {
		*err = xstrfmt("%s: cannot tell whether another process "
			       "listens there: %s",
		    path, strerror(e));
		return false;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		*err = xstrfmt("%s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* usock_listen - see usock.h */
int
usock_listen(const char *path, mode_t mode, char **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat sb;
	mode_t old;
	int fd;

	if (*path != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		*err = xstrfmt("%s: an absolute path of at most %zu bytes",
		    path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			*err = xstrfmt("%s: exists and is no socket", path);
			return -1;
		}
		if (!usock_stale(path, &sa, err))
			return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask((mode_t)(~mode & 0777));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 128) < 0) {
		int e = errno;
		umask(old);
		*err = xstrfmt("%s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	umask(old);
	return fd;
}
