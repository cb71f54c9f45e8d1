/*
 * source_fifo - read log lines from a FIFO (the original's way: syslog
 * writes into a named pipe) or from standard input.
 *
 * DESCRIPTION
 *	Both are byte streams read through the line reader.  Each wake-up
 *	reads until the pipe is empty (EAGAIN), and after every read() all
 *	complete lines in the buffer are delivered, so no line can wait in
 *	a buffer that epoll does not know about (the original's bug B1).
 *
 *	FIFO: created 0600 if missing; an existing path that is not a FIFO
 *	is an error and is left alone (B18); a FIFO that every user may
 *	write is refused (anyone could forge log lines).  It is opened
 *	O_RDONLY | O_NONBLOCK, which never waits for a writer.  When the
 *	last writer closes, read() returns 0: a final line without newline
 *	is delivered, and the FIFO is opened again, the new descriptor
 *	before the old one is closed so that the pipe always has a reader
 *	(a writer never gets EPIPE, nothing in the pipe is discarded).  On
 *	Linux a freshly opened read end reports neither EPOLLIN nor
 *	EPOLLHUP until a writer has come (and gone), so there is no busy
 *	loop while nobody writes (B2).  One race remains: a writer that
 *	connects between our read() of 0 and the new open(), writes a last
 *	line without newline and leaves gives no EPOLLHUP to the new
 *	descriptor; that line is delivered when the next writer's data
 *	arrives.
 *
 *	stdin: a pipe or socket is made non-blocking (the flags are restored
 *	by source_free); a terminal is read once per wake-up; a regular file
 *	or /dev/null, which epoll refuses, is read in chunks from a timer.
 *	At end of input the last line is delivered and the eof callback is
 *	called once.
 *
 * SECURITY
 *	Whoever can write to the FIFO or stdin controls every byte read;
 *	hence the 0600 mode, and the refusal of a world-writable FIFO.  The
 *	only file created is the FIFO itself, at the configured path.
 *
 * DIAGNOSTICS
 *	msg_info when the FIFO is created; msg_error when it cannot be
 *	created or opened, or is not a FIFO; read errors are logged and
 *	treated as end of input.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/sbuf.h"
#include "source_int.h"

#define READ_BUDGET 256 /* reads per turn before other work gets a go */

struct ssrc {
	struct source *src;
	int fd; /* -1 while the FIFO cannot be opened */
	bool pollable; /* false: stdin is a regular file or /dev/null */
	bool nonblock; /* read until EAGAIN */
	int saved_flags; /* stdin: file status flags to restore, or -1 */
	uint64_t dev, ino; /* the FIFO we have open */
	struct loop_timer *timer; /* next chunk (stdin), retry (FIFO) */
	bool done; /* stdin: end of input reported */
	bool failed; /* FIFO: the last open failed (logged) */
};

static void stream_read(struct ssrc *s, bool all, bool check_ready);

/* ready - would a read return something (data, or end of file)? */
static bool
ready(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/* on_io - the loop says the descriptor is readable or hung up */
static void
on_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	stream_read(arg, false, false);
}

/* fifo_error - log why the FIFO cannot be used, once per failure run */
static void PRINTF_LIKE(2, 3) fifo_error(struct ssrc *s, const char *fmt, ...);

static void
fifo_error(struct ssrc *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	va_start(ap, fmt);
	msg_vlog(MSG_ERROR, fmt, ap);
	va_end(ap);
}

/* fifo_open - check (create) the FIFO and open it; -1 after logging */
static int
fifo_open(struct ssrc *s, struct stat *st)
{
	struct source *src = s->src;
	int fd;

	if (stat(src->path, st) < 0) {
		if (errno != ENOENT) {
			fifo_error(
			    s, "%s: %s", escs(src->spec), strerror(errno));
			return -1;
		}
		if (mkfifo(src->path, 0600) < 0 && errno != EEXIST) {
			fifo_error(s, "%s: cannot create the FIFO: %s",
			    escs(src->spec), strerror(errno));
			return -1;
		}
		msg_info("%s: created the FIFO (mode 0600)", escs(src->spec));
		if (stat(src->path, st) < 0) {
			fifo_error(
			    s, "%s: %s", escs(src->spec), strerror(errno));
			return -1;
		}
	}
	if (!S_ISFIFO(st->st_mode)) {
		fifo_error(s,
		    "%s: the path exists and is not a FIFO; "
		    "leaving it alone",
		    escs(src->spec));
		return -1;
	}
	if (st->st_mode & S_IWOTH) {
		fifo_error(s,
		    "%s: every user may write to this FIFO and forge "
		    "log lines; refusing it (chmod o-w)",
		    escs(src->spec));
		return -1;
	}
	fd = open(src->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fifo_error(
		    s, "%s: cannot open: %s", escs(src->spec), strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISFIFO(st->st_mode)) {
		fifo_error(
		    s, "%s: the path is no longer a FIFO", escs(src->spec));
		close(fd);
		return -1;
	}
	return fd;
}

/* fifo_reopen - open the FIFO (again), then close the old descriptor */
static bool
fifo_reopen(struct ssrc *s)
{
	struct source *src = s->src;
	struct stat st;
	int fd = fifo_open(s, &st);

	if (fd < 0) {
		if (!s->failed)
			msg_error("%s: will retry every %d ms", escs(src->spec),
			    src->opts.poll_ms);
		s->failed = true;
		if (s->fd >= 0) { /* a hung-up descriptor would spin */
			loop_io_del(src->loop, s->fd);
			close(s->fd);
			s->fd = -1;
		}
		loop_timer_start(s->timer, (uint64_t)src->opts.poll_ms);
		return false;
	}
	if (s->fd >= 0) {
		loop_io_del(src->loop, s->fd);
		close(s->fd);
	}
	s->failed = false;
	s->fd = fd;
	s->dev = (uint64_t)st.st_dev;
	s->ino = (uint64_t)st.st_ino;
	loop_io_add(src->loop, fd, EPOLLIN, on_io, s);
	return true;
}

/* stream_eof - the writer is gone (or stdin has ended) */
static void
stream_eof(struct ssrc *s)
{
	struct source *src = s->src;

	source_flush(src);
	if (src->kind == SOURCE_FIFO) {
		src->stats.reopens++;
		fifo_reopen(s);
		return;
	}
	if (s->pollable)
		loop_io_del(src->loop, s->fd);
	s->done = true;
	if (src->eof)
		src->eof(src->arg, src); /* may free src: nothing after it */
}

/*
 * stream_read - read and deliver.  all: until nothing is left (drain),
 * else at most READ_BUDGET reads.  check_ready: the loop did not say the
 * descriptor is readable (a FIFO that never had a writer reads as end of
 * file without being readable).
 */
static void
stream_read(struct ssrc *s, bool all, bool check_ready)
{
	struct source *src = s->src;

	if (s->fd < 0 || s->done)
		return;
	for (int i = 0; all || i < READ_BUDGET; i++) {
		bool need =
		    s->pollable && (i == 0 ? check_ready : !s->nonblock);
		if (need && !ready(s->fd))
			return;
		ssize_t n = source_read(src, s->fd);
		if (n > 0)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0)
			msg_error(
			    "%s: read: %s", escs(src->spec), strerror(errno));
		stream_eof(s);
		return;
	}
	/* budget used up: epoll reports the rest; a file needs the timer */
	if (!s->pollable)
		loop_timer_start(s->timer, 0);
}

/* on_timer - stdin from a file: next chunk; FIFO: retry the open */
static void
on_timer(struct loop *loop, void *arg)
{
	struct ssrc *s = arg;

	(void)loop;
	if (s->src->kind == SOURCE_FIFO)
		fifo_reopen(s);
	else
		stream_read(s, false, false);
}

/* fifo_start - create/open the FIFO; errors here are configuration
 * errors */
static int
fifo_start(struct source *src, const struct source_pos *resume)
{
	struct ssrc *s = src->impl;
	struct stat st;
	int fd;

	(void)resume;
	s->timer = loop_timer_new(src->loop, on_timer, s);
	if ((fd = fifo_open(s, &st)) < 0)
		return -1;
	s->fd = fd;
	s->pollable = s->nonblock = true;
	s->dev = (uint64_t)st.st_dev;
	s->ino = (uint64_t)st.st_ino;
	loop_io_add(src->loop, fd, EPOLLIN, on_io, s);
	return 0;
}

/* fifo_reopen_hup - SIGHUP: reopen if the path names another FIFO now */
static void
fifo_reopen_hup(struct source *src)
{
	struct ssrc *s = src->impl;
	struct stat st;

	if (s->fd >= 0 && stat(src->path, &st) == 0 &&
	    (uint64_t)st.st_dev == s->dev && (uint64_t)st.st_ino == s->ino)
		return;
	stream_read(s, true, true);
	source_flush(src);
	src->stats.reopens++;
	fifo_reopen(s);
}

/* stdin_start - find out what stdin is and how to wait for it */
static int
stdin_start(struct source *src, const struct source_pos *resume)
{
	struct ssrc *s = src->impl;
	struct epoll_event ev = {.events = EPOLLIN};
	struct stat st;
	int ep, flags;

	(void)resume;
	s->fd = 0;
	s->timer = loop_timer_new(src->loop, on_timer, s);
	if (fstat(0, &st) < 0 || (flags = fcntl(0, F_GETFL)) < 0) {
		msg_error("%s: %s", escs(src->spec), strerror(errno));
		return -1;
	}
	/* epoll refuses regular files and some devices (/dev/null) */
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		msg_fatal("epoll_create1: %s", strerror(errno));
	s->pollable = epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == 0;
	close(ep);
	if (!s->pollable) {
		s->nonblock = true; /* reads of a file never wait */
		loop_timer_start(s->timer, 0);
		return 0;
	}
	if ((S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
	    !(flags & O_NONBLOCK)) {
		if (fcntl(0, F_SETFL, flags | O_NONBLOCK) == 0)
			s->saved_flags = flags;
	}
	s->nonblock = (fcntl(0, F_GETFL) & O_NONBLOCK) != 0;
	loop_io_add(src->loop, 0, EPOLLIN, on_io, s);
	return 0;
}

/* stream_drain - read what is there now */
static void
stream_drain(struct source *src)
{
	stream_read(src->impl, true, true);
}

/* stream_free - close the FIFO; give stdin its flags back */
static void
stream_free(struct source *src)
{
	struct ssrc *s = src->impl;

	if (s->fd >= 0 && src->loop && s->pollable && !s->done)
		loop_io_del(src->loop, s->fd);
	if (src->kind == SOURCE_FIFO && s->fd >= 0)
		close(s->fd);
	if (s->saved_flags >= 0)
		(void)fcntl(0, F_SETFL, s->saved_flags);
	loop_timer_free(s->timer);
	free(s);
}

static const struct source_ops fifo_ops = {
    .start = fifo_start,
    .reopen = fifo_reopen_hup,
    .drain = stream_drain,
    .free = stream_free,
};

static const struct source_ops stdin_ops = {
    .start = stdin_start,
    .drain = stream_drain,
    .free = stream_free,
};

/* stream_new - state shared by both kinds */
static struct ssrc *
stream_new(struct source *src)
{
	struct ssrc *s = xcalloc(1, sizeof(*s));

	s->src = src;
	s->fd = -1;
	s->saved_flags = -1;
	src->impl = s;
	return s;
}

/* source_fifo_init - a FIFO source */
void
source_fifo_init(struct source *src)
{
	stream_new(src);
	src->ops = &fifo_ops;
}

/* source_stdin_init - the stdin source */
void
source_stdin_init(struct source *src)
{
	stream_new(src);
	src->ops = &stdin_ops;
}
