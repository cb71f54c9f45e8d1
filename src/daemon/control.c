/*
 * control - the control socket (see control.h).
 *
 * DESCRIPTION
 *	The server side lives on the daemon's loop: a connection reads its
 *	one command line (at most CTL_MAX bytes, within CTL_TIMEOUT_MS),
 *	the daemon runs it, and the answer is written as the socket takes
 *	it, then the connection closes.
 *
 * SECURITY
 *	The socket is made mode 0600 in the state directory (itself 0700);
 *	the peer's credentials are checked as well (root, or the daemon's
 *	user).  With control_group, the socket is that group's, mode 0660,
 *	and a peer whose group it is may connect too (the socket must then
 *	be outside the state directory).  Words are plain printable text: a command with control
 *	bytes is refused before it runs.
 *
 * DIAGNOSTICS
 *	A refused peer or a bad command is logged.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/sbuf.h"
#include "../lib/usock.h"
#include "config.h"
#include "control.h"

#define CTL_MAX 4096
#define CTL_TIMEOUT_MS 10000
#define CTL_MAX_WORDS 64

struct ctl_conn {
	struct control *c;
	int fd;
	struct sbuf in, out;
	size_t sent;
	bool answered;
	struct loop_timer *timer;
};

struct control {
	struct loop *loop;
	int fd;
	gid_t gid; /* control_group's, or (gid_t)-1 */
	char *path;
	control_fn *fn;
	void *arg;
};

static void
conn_end(struct ctl_conn *k)
{
	loop_io_del(k->c->loop, k->fd);
	close(k->fd);
	loop_timer_free(k->timer);
	sbuf_free(&k->in);
	sbuf_free(&k->out);
	free(k);
}

static void
conn_timeout(struct loop *l, void *arg)
{
	(void)l;
	conn_end(arg);
}

/* run - split the line into words and run them; the answer in k->out */
static void
run(struct ctl_conn *k, char *line)
{
	char *argv[CTL_MAX_WORDS + 1], *ob = NULL, *eb = NULL;
	size_t on = 0, en = 0;
	int argc = 0, rc = 2;
	FILE *out, *err;

	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			sbuf_printf(&k->out,
			    "2\n! popauth: a control byte in "
			    "the command\n");
			return;
		}
	for (char *save, *w = strtok_r(line, " ", &save);
	     w && argc < CTL_MAX_WORDS; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if ((out = open_memstream(&ob, &on)) == NULL ||
	    (err = open_memstream(&eb, &en)) == NULL)
		msg_fatal(
		    "control socket: open_memstream: %s", strerror(errno));
	if (argc)
		rc = k->c->fn(k->c->arg, argc, argv, out, err);
	fclose(out);
	fclose(err);
	sbuf_printf(&k->out, "%d\n", rc);
	sbuf_add(&k->out, ob, on);
	for (char *save, *l = en ? strtok_r(eb, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save))
		sbuf_printf(&k->out, "! %s\n", l);
	free(ob);
	free(eb);
}

static void
conn_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ctl_conn *k = arg;
	char buf[1024];

	(void)l;
	if (!k->answered && (events & EPOLLIN)) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_end(k);
			return;
		}
		sbuf_add(&k->in, buf, (size_t)n);
		char *nl = memchr(k->in.s, '\n', k->in.len);
		if (nl == NULL) {
			if (k->in.len > CTL_MAX)
				conn_end(k);
			return;
		}
		*nl = 0;
		run(k, k->in.s);
		k->answered = true;
		loop_io_mod(k->c->loop, fd, EPOLLOUT);
	}
	while (k->answered && k->sent < k->out.len) {
		ssize_t n = send(
		    fd, k->out.s + k->sent, k->out.len - k->sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		k->sent += (size_t)n;
	}
	if (k->answered)
		conn_end(k);
}

static void
accept_ctl(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct control *c = arg;
	int cfd;

	(void)l;
	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	    0) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
		    (cr.uid != 0 && cr.uid != geteuid() &&
			(c->gid == (gid_t)-1 || cr.gid != c->gid))) {
			msg_warn(
			    "control socket: uid %ld refused", (long)cr.uid);
			close(cfd);
			continue;
		}
		struct ctl_conn *k = xcalloc(1, sizeof(*k));
		k->c = c;
		k->fd = cfd;
		k->timer = loop_timer_new(c->loop, conn_timeout, k);
		loop_timer_start(k->timer, CTL_TIMEOUT_MS);
		loop_io_add(c->loop, cfd, EPOLLIN, conn_io, k);
	}
}

struct control *
control_new(struct loop *loop, const struct config *cfg, control_fn *fn,
    void *arg, char **err)
{
	const char *path = cfg->control_socket;
	struct control *c;
	char *e = NULL;
	int fd;

	gid_t gid = (gid_t)-1;
	if (cfg->control_group && cfg->control_group[0]) {
		const char *name = cfg->control_group[0];
		struct group *g = getgrnam(name);
		if (cfg->control_group[1] != NULL) {
			*err = xstrfmt("control_group: one group, not several");
			return NULL;
		}
		if (g == NULL) {
			*err = xstrfmt("control_group %s: no such group", name);
			return NULL;
		}
		gid = g->gr_gid;
	}
	/* 0600 from the start: no window */
	if ((fd = usock_listen(path, 0600, &e)) < 0) {
		*err = xstrfmt("control_socket %s", e);
		free(e);
		return NULL;
	}
	/* the group's members may connect too: the group first, then 0660 */
	if (gid != (gid_t)-1 &&
	    (chown(path, (uid_t)-1, gid) < 0 || chmod(path, 0660) < 0)) {
		*err = xstrfmt("control_socket %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->gid = gid;
	c->loop = loop;
	c->fd = fd;
	c->path = xstrdup(path);
	c->fn = fn;
	c->arg = arg;
	loop_io_add(loop, fd, EPOLLIN, accept_ctl, c);
	return c;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	loop_io_del(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}

int
control_call(const struct config *cfg, int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sbuf req = SBUF_INIT, ans = SBUF_INIT;
	char buf[4096];
	ssize_t n;
	int fd, rc;

	if (strlen(cfg->control_socket) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, cfg->control_socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	for (int i = 0; i < argc; i++)
		sbuf_printf(&req, "%s%s", i ? " " : "", argv[i]);
	sbuf_addc(&req, '\n');
	if (send(fd, req.s, req.len, MSG_NOSIGNAL) != (ssize_t)req.len) {
		close(fd);
		sbuf_free(&req);
		return -1;
	}
	sbuf_free(&req);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_add(&ans, buf, (size_t)n);
	close(fd);
	char *nl = ans.len ? memchr(ans.s, '\n', ans.len) : NULL;
	if (nl == NULL) {
		sbuf_free(&ans);
		return -1;
	}
	rc = atoi(ans.s);
	for (char *save, *l = strtok_r(nl + 1, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, "! ", 2) == 0)
			fprintf(stderr, "%s\n", l + 2);
		else
			printf("%s\n", l);
	sbuf_free(&ans);
	return rc;
}
