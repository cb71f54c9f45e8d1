/*
 * usock - a listening unix-domain socket (see usock.h).
 *
 * DIAGNOSTICS
 *	Errors name the path and the reason; nothing is logged here.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sbuf.h"
#include "usock.h"

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
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			*err = xstrfmt("%s: exists and is no socket", path);
			return -1;
		}
		unlink(path); /* left by a process that died */
	}
	strcpy(sa.sun_path, path);
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
