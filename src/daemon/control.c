/*
 * control - the control socket (see control.h).
 *
 * DESCRIPTION
 *	The server side lives on the daemon's loop: a connection reads its
 *	one command line (at most CTL_MAX bytes, within CTL_TIMEOUT_MS),
 *	the daemon runs it, and the answer is written as the socket takes
 *	it, then the connection closes.
 *
 *	The connections are the control's: control_free (a reload that
 *	moves the socket) closes those still open.
 *
 * SECURITY
 *	The socket is made mode 0600 in the state directory (itself 0700);
 *	the peer's credentials are checked as well (root, or the daemon's
 *	user).  With control_group, the socket is that group's, mode 0660,
 *	and a peer in that group (its primary group or a supplementary one,
 *	SO_PEERGROUPS) may connect too (the socket must then be outside the
 *	state directory).  Words are plain printable text: a command with
 *	control bytes, more than CTL_MAX bytes or more than CTL_MAX_WORDS
 *	words is refused before it runs.  The client refuses arguments that
 *	would change the words the daemon reads (empty, with a space or a
 *	control byte).
 *
 * DIAGNOSTICS
 *	A refused peer or a bad command is logged; so is (rate-limited) an
 *	accept that fails, out of file descriptors: the socket is then not
 *	watched for a second.
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
#include "../lib/numparse.h"
#include "../lib/sbuf.h"
#include "../lib/usock.h"
#include "config.h"
#include "control.h"

#define CTL_MAX 4096
#define CTL_TIMEOUT_MS 10000
#define CTL_MAX_WORDS 64
#define CTL_PAUSE_MS 1000 /* accept failed (no fds): the wait */

/* ctl_conn - one client; it has its answer once out holds one */
struct ctl_conn {
	struct control *c;
	struct ctl_conn *prev, *next; /* c->conns */
	int fd;
	struct sbuf in, out;
	size_t sent;
	struct loop_timer *timer;
};

struct control {
	struct loop *loop;
	int fd;
	gid_t gid; /* control_group's, or (gid_t)-1 */
	char *path;
	control_fn *fn;
	void *arg;
	struct ctl_conn *conns; /* the connections open */
	struct msg_rate rl_accept;
};

/* conn_answered - the command has run (its answer is being sent) */
static bool
conn_answered(const struct ctl_conn *k)
{
	return k->out.len > 0;
}

/* conn_end - close the connection and forget it */
static void
conn_end(struct ctl_conn *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		k->c->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	loop_io_del(k->c->loop, k->fd);
	close(k->fd);
	loop_timer_free(k->timer);
	sbuf_free(&k->in);
	sbuf_free(&k->out);
	free(k);
}

/* conn_timeout - the client took too long: closed */
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
	for (char *save, *w = strtok_r(line, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		if (argc == CTL_MAX_WORDS) {
			sbuf_printf(&k->out,
			    "2\n! popauth: more than %d words in the "
			    "command\n",
			    CTL_MAX_WORDS);
			return;
		}
		argv[argc++] = w;
	}
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

/* conn_io - read the command line, run it, send the answer, close */
static void
conn_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ctl_conn *k = arg;
	char buf[1024];

	(void)l;
	if (!conn_answered(k)) {
		if (!(events & EPOLLIN)) {
			if (events & (EPOLLHUP | EPOLLERR))
				conn_end(k);
			return;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_end(k);
			return;
		}
		sbuf_add(&k->in, buf, (size_t)n);
		char *nl = memchr(k->in.s, '\n', k->in.len);
		if (nl == NULL && k->in.len <= CTL_MAX)
			return;
		if (nl == NULL || (size_t)(nl - k->in.s) > CTL_MAX) {
			sbuf_printf(&k->out,
			    "2\n! popauth: a command of more than %d "
			    "bytes\n",
			    CTL_MAX);
		} else {
			*nl = 0;
			run(k, k->in.s);
		}
		loop_io_mod(k->c->loop, fd, EPOLLOUT);
	}
	while (k->sent < k->out.len) {
		ssize_t n = send(
		    fd, k->out.s + k->sent, k->out.len - k->sent, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break;
		k->sent += (size_t)n;
	}
	conn_end(k);
}

/* peer_in_group - is gid one of the peer's supplementary groups (as
 * they were when it connected)?  false when the kernel cannot say */
static bool
peer_in_group(int fd, gid_t gid)
{
#ifdef SO_PEERGROUPS /* Linux 4.13; else the primary group only */
	gid_t small[64], *v = small;
	socklen_t len = sizeof(small);
	bool found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len) < 0) {
		/* ENOPROTOOPT: a kernel older than 4.13 */
		if (errno != ERANGE)
			return false;
		v = xmalloc(len); /* len: the size it takes */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len) < 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(*v) && !found; i++)
		found = v[i] == gid;
	if (v != small)
		free(v);
	return found;
#else
	(void)fd;
	(void)gid;
	return false;
#endif
}

/* peer_ok - may the peer on fd use the socket: root, the daemon's user,
 * a member of control_group (primary or supplementary group)? */
static bool
peer_ok(const struct control *c, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		msg_warn("control socket: peer credentials: %s; refused",
		    strerror(errno));
		return false;
	}
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	if (c->gid != (gid_t)-1 &&
	    (cr.gid == c->gid || peer_in_group(fd, c->gid)))
		return true;
	msg_warn("control socket: uid %ld refused", (long)cr.uid);
	return false;
}

/* accept_ctl - take the connections waiting on the socket */
static void
accept_ctl(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct control *c = arg;
	int cfd;

	(void)l;
	(void)events;
	for (;;) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (cfd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (cfd < 0) {
			/* EMFILE, ENFILE, ENOBUFS...: the connection waits
			 * and the socket stays readable; not watched for a
			 * while, else the loop would spin on it */
			msg_warn_rate(&c->rl_accept,
			    "control socket: accept: %s; not accepting for "
			    "%d ms",
			    strerror(errno), CTL_PAUSE_MS);
			loop_io_pause(c->loop, fd, CTL_PAUSE_MS);
			return;
		}
		if (!peer_ok(c, cfd)) {
			close(cfd);
			continue;
		}
		struct ctl_conn *k = xcalloc(1, sizeof(*k));
		k->c = c;
		k->fd = cfd;
		k->next = c->conns;
		if (c->conns)
			c->conns->prev = k;
		c->conns = k;
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
		unlink(path);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->gid = gid;
	c->loop = loop;
	c->fd = fd;
	c->path = xstrdup(path);
	c->fn = fn;
	c->arg = arg;
	c->rl_accept =
	    (struct msg_rate)MSG_RATE_INIT("control-accept", 5, 3600);
	loop_io_add(loop, fd, EPOLLIN, accept_ctl, c);
	return c;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	/* they point here: closed with it (no answer for a half-read
	 * command; one being sent is cut) */
	while (c->conns)
		conn_end(c->conns);
	loop_io_del(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}

/* arg_ok - can s go to the daemon as one word?  The request is the
 * words joined by spaces: an empty word, a space or a control byte would
 * change what the daemon reads (and no IP, duration or list name has
 * one) */
static bool
arg_ok(const char *s)
{
	if (*s == 0)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* send_all - all n bytes, or false */
static bool
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

int
control_call(const struct config *cfg, int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sbuf req = SBUF_INIT, ans = SBUF_INIT;
	char buf[4096];
	ssize_t n;
	int64_t rc;
	int fd;

	for (int i = 0; i < argc; i++) {
		if (!arg_ok(argv[i])) {
			fprintf(stderr,
			    "popauth: \"%s\": an argument cannot be empty or "
			    "hold spaces or control characters\n",
			    escs(argv[i]));
			sbuf_free(&req);
			return 2;
		}
		sbuf_printf(&req, "%s%s", i ? " " : "", argv[i]);
	}
	if (req.len > CTL_MAX) {
		fprintf(stderr,
		    "popauth: the command is too long: %zu bytes, at most %d "
		    "(fewer arguments at a time)\n",
		    req.len, CTL_MAX);
		sbuf_free(&req);
		return 2;
	}
	sbuf_addc(&req, '\n');
	if (strlen(cfg->control_socket) >= sizeof(sa.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		sbuf_free(&req);
		return -1;
	}
	strcpy(sa.sun_path, cfg->control_socket);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    !send_all(fd, req.s, req.len)) {
		close(fd);
		sbuf_free(&req);
		return -1;
	}
	sbuf_free(&req);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		sbuf_add(&ans, buf, (size_t)n);
	}
	close(fd);
	/* "<exit status>\n<output>", all of it (a read error: none) */
	char *nl = n == 0 && ans.len ? memchr(ans.s, '\n', ans.len) : NULL;
	if (nl == NULL) {
		sbuf_free(&ans);
		return -1;
	}
	*nl = 0;
	if (!num_parse_i64(ans.s, 0, 255, &rc)) {
		sbuf_free(&ans);
		return -1;
	}
	for (char *save, *l = strtok_r(nl + 1, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, "! ", 2) == 0)
			fprintf(stderr, "%s\n", l + 2);
		else
			printf("%s\n", l);
	sbuf_free(&ans);
	return (int)rc;
}
