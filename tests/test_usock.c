/*
 * test_usock - a listening unix socket: its mode from the start, a stale
 * socket replaced, a live one (another process's) and anything else at
 * the path refused.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/usock.h"
#include "tlib.h"

/* t_connects - does a connection to the socket at path succeed? */
static bool
t_connects(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	bool ok;

	strcpy(sa.sun_path, path);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

int
main(void)
{
	char path[600], *err = NULL;
	struct stat sb;
	int fd, fd2;

	snprintf(path, sizeof(path), "%s/s.sock", t_tmpdir());
	fd = usock_listen(path, 0600, &err);
	T_OK(fd >= 0);
	T_OK(stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0600);
	/* a socket someone listens on is theirs: refused, left alone */
	T_OK(usock_listen(path, 0666, &err) < 0 &&
	    strstr(err, "in use by another process"));
	free(err);
	T_OK(stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0600);
	T_OK(t_connects(path));
	/* a socket whose process is gone (nobody listens: a connection is
	 * refused) is replaced */
	close(fd);
	T_OK(!t_connects(path));
	fd2 = usock_listen(path, 0666, &err);
	T_OK(fd2 >= 0);
	T_OK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0666);
	T_OK(t_connects(path));
	close(fd2);
	/* anything else there is left alone */
	unlink(path);
	t_write_file(path, "not a socket\n");
	T_OK(usock_listen(path, 0600, &err) < 0 && strstr(err, "no socket"));
	free(err);
	T_OK(stat(path, &sb) == 0 && S_ISREG(sb.st_mode));
	T_OK(usock_listen("relative.sock", 0600, &err) < 0 &&
	    strstr(err, "absolute"));
	free(err);
	return t_done();
}
