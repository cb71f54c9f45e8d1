/*
 * source_file - follow a log file like "tail -F": survive rotation by
 * rename and by copytruncate, resume after a restart.
 *
 * DESCRIPTION
 *	The file is read through the line reader; a final line without a
 *	newline is held back until its newline arrives (the writer is in
 *	the middle of a write).  What wakes us up: inotify on the open file
 *	(IN_MODIFY, IN_MOVE_SELF, IN_DELETE_SELF, IN_ATTRIB) and on its
 *	directory (entries named like the file: created, moved, deleted,
 *	changed), plus a timer every poll_ms as a safety net (and the only
 *	mechanism when inotify is not available).  Every wake-up runs the
 *	same check, so no event needs to be interpreted exactly.
 *
 *	Rotation by rename: when the path no longer names the open file,
 *	the open descriptor is kept and read on, because the writer may go
 *	on writing to it until it reopens its log.  We switch to the new
 *	file (from offset 0) once it exists and has data (the writer has
 *	moved over, so everything it wrote to the old file is there to
 *	read), or once the old file has been idle for GRACE_POLLS poll
 *	intervals; before switching the old file is read to its very end
 *	and a last line without newline is delivered.  If the new file
 *	cannot be opened (postfix logrotate creates it 0600 root), the old
 *	file stays open and the open is retried.
 *
 *	Copytruncate: the file is shorter than what we have read, or it has
 *	grown past that again but the bytes before our position are no
 *	longer the ones we read (compared with a copy of up to FP_BYTES
 *	raw bytes kept in memory).  Reading restarts at 0; an incomplete
 *	last line read before the truncation is dropped (its end went to
 *	the copy).  Lines written between our last read and the truncation
 *	are only in the copy: copytruncate is lossy by nature.
 *
 *	Positions: the offset after the last delivered line, and a 64-bit
 *	FNV-1a hash of up to FP_BYTES bytes before it (0 at offset 0).  At
 *	start, a saved position is used if the path has the same inode and
 *	the bytes before the offset hash the same.  Otherwise a rotated
 *	sibling in the same directory (PATH.1, PATH-20261126, ... but no
 *	compressed file) with that inode and hash is read from the offset
 *	first, then the current file from 0.  Failing that the current file
 *	is read from 0 and a warning says that lines may have been missed.
 *	The device number is not compared: it may change across reboots.
 *	Without a saved position, reading starts after the last complete
 *	line (opts.from_start: at 0); a file that appears later is read
 *	from 0.
 *
 * SECURITY
 *	The file's content is attacker-influenced (see source.c).  The file
 *	is opened read-only, non-blocking (a FIFO at the path must not hang
 *	the daemon) and must be a regular file.  Sibling files are only
 *	opened if their name is the log's name plus a numeric suffix and
 *	their inode is the saved one.
 *
 * DIAGNOSTICS
 *	msg_info for rotations and truncations followed; msg_warn when a
 *	saved position cannot be used or a partial line is dropped;
 *	msg_error (once per cause, retried) when the file cannot be opened
 *	or read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/sbuf.h"
#include "source_int.h"

#define FP_BYTES 256 /* bytes before the position that are hashed */
#define READ_BUDGET 256 /* reads per turn before other work gets a go */
#define GRACE_POLLS 5 /* idle poll intervals before leaving a rotated file */
#define MAX_SWITCHES 8 /* rotations followed in one turn */

#define FILE_MASK (IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)
#define DIR_MASK                                                               \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |     \
	    IN_ONLYDIR)

struct fsrc {
	struct source *src;
	char *dir, *base;
	int ifd; /* inotify, or -1 */
	int wd_dir, wd_cur, wd_new;
	struct loop_timer *poll, *kick;
	int fd; /* the file being delivered; -1 while waiting for it */
	uint64_t dev, ino;
	uint64_t rpos; /* bytes given to the line reader */
	bool rotated; /* the path names another file now, or none */
	uint64_t idle_since; /* rotated: when the old file last had data */
	bool have_saved; /* nothing opened yet: get_pos reports `saved' */
	struct source_pos saved;
	int open_errno, read_errno; /* logged once until they change */
	unsigned char win[FP_BYTES]; /* raw bytes just before line_start */
	size_t winlen;
	bool win_stale; /* not all those bytes were seen: refill */
};

/* fp_hash - FNV-1a, 64 bit; 0 for no bytes (offset 0) */
static uint64_t
fp_hash(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

/* read_back - the up to FP_BYTES bytes before offset `off' of fd */
static bool
read_back(int fd, uint64_t off, unsigned char *buf, size_t *len)
{
	size_t k = off < FP_BYTES ? (size_t)off : FP_BYTES;
	ssize_t n;

	*len = 0;
	if (k == 0)
		return true;
	do
		n = pread(fd, buf, k, (off_t)(off - k));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)k)
		return false;
	*len = k;
	return true;
}

/* fp_check - do the bytes before `off' in fd hash to `fp'? */
static bool
fp_check(int fd, uint64_t off, uint64_t fp)
{
	unsigned char buf[FP_BYTES];
	size_t len;

	return read_back(fd, off, buf, &len) && fp_hash(buf, len) == fp;
}

/* win_fill - reload the window from the file */
static void
win_fill(struct fsrc *f)
{
	f->win_stale =
	    !read_back(f->fd, f->src->line_start, f->win, &f->winlen);
}

/* win_add - raw_line hook: slide the window over a delivered line */
static void
win_add(struct source *src, const char *raw, size_t len)
{
	struct fsrc *f = src->impl;
	size_t keep;

	if (raw == NULL) {
		f->win_stale = true;
		return;
	}
	if (f->win_stale)
		return;
	if (len >= FP_BYTES) {
		memcpy(f->win, raw + len - FP_BYTES, FP_BYTES);
		f->winlen = FP_BYTES;
		return;
	}
	keep = f->winlen + len > FP_BYTES ? FP_BYTES - len : f->winlen;
	memmove(f->win, f->win + f->winlen - keep, keep);
	memcpy(f->win + keep, raw, len);
	f->winlen = keep + len;
}

/* watch_dir - (re)add the inotify watch on the directory */
static void
watch_dir(struct fsrc *f)
{
	if (f->ifd >= 0 && f->wd_dir < 0)
		f->wd_dir = inotify_add_watch(f->ifd, f->dir, DIR_MASK);
}

/* watch_fd - watch the inode behind fd (by name if /proc is missing) */
static int
watch_fd(struct fsrc *f, int fd)
{
	char proc[64];
	int wd;

	if (f->ifd < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	wd = inotify_add_watch(f->ifd, proc, FILE_MASK);
	if (wd < 0)
		wd = inotify_add_watch(f->ifd, f->src->path, FILE_MASK);
	return wd;
}

/* open_path - open the file at the path; -1 if it is not there (yet) */
static int
open_path(struct fsrc *f, struct stat *st)
{
	struct source *src = f->src;
	int fd = open(src->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	int err;

	if (fd < 0) {
		err = errno;
		if (err != ENOENT && err != f->open_errno)
			msg_error("%s: cannot open: %s; will retry",
			    escs(src->spec), strerror(err));
		f->open_errno = err;
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		if (f->open_errno != EINVAL)
			msg_error("%s: not a regular file", escs(src->spec));
		f->open_errno = EINVAL;
		close(fd);
		return -1;
	}
	f->open_errno = 0;
	return fd;
}

/* set_cur - make fd the file being delivered, reading from offset off */
static void
set_cur(struct fsrc *f, int fd, const struct stat *st, uint64_t off)
{
	f->fd = fd;
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	if (lseek(fd, (off_t)off, SEEK_SET) < 0)
		msg_error("%s: lseek: %s", escs(f->src->spec), strerror(errno));
	f->rpos = off;
	source_lr_reset(f->src, off, off == 0);
	win_fill(f);
	f->wd_cur = watch_fd(f, fd);
	f->have_saved = false;
	f->read_errno = 0;
}

/*
 * tail_offset - where to start in a file we have no position for: after
 * its last complete line.  A file that is one unfinished line is read
 * from 0; the end of an over-long unfinished line is skipped (*midline).
 */
static uint64_t
tail_offset(struct fsrc *f, int fd, uint64_t size, bool *midline)
{
	size_t max = f->src->opts.max_line + 1;
	size_t k = size < max ? (size_t)size : max;
	char *buf;
	ssize_t n;
	uint64_t off = size;

	*midline = false;
	if (k == 0)
		return 0;
	buf = xmalloc(k);
	n = pread(fd, buf, k, (off_t)(size - k));
	if (n == (ssize_t)k) {
		char *nl = memrchr(buf, '\n', k);
		if (nl)
			off = size - k + (uint64_t)(nl - buf) + 1;
		else if (size <= max)
			off = 0;
		else
			*midline = true;
	}
	free(buf);
	return off;
}

/* check_truncated - copytruncate: start again at 0 */
static void
check_truncated(struct fsrc *f)
{
	struct source *src = f->src;
	struct stat st;
	bool trunc;

	if (fstat(f->fd, &st) < 0)
		return;
	trunc = (uint64_t)st.st_size < f->rpos;
	if (!trunc && (uint64_t)st.st_size > f->rpos && !f->win_stale &&
	    f->winlen > 0) {
		unsigned char buf[FP_BYTES];
		size_t len;
		trunc = !read_back(f->fd, src->line_start, buf, &len) ||
		    len != f->winlen || memcmp(buf, f->win, len) != 0;
	}
	if (!trunc)
		return;
	src->stats.truncations++;
	msg_info("%s: the file was truncated (copytruncate); reading it "
		 "from the start",
	    escs(src->spec));
	if (lr_pending(&src->lr) > 0)
		msg_warn("%s: incomplete last line of %zu bytes dropped: "
			 "the file was truncated before it was finished",
		    escs(src->spec), lr_pending(&src->lr));
	if (lseek(f->fd, 0, SEEK_SET) < 0)
		msg_error("%s: lseek: %s", escs(src->spec), strerror(errno));
	f->rpos = 0;
	source_lr_reset(src, 0, true);
	f->winlen = 0;
	f->win_stale = false;
}

/* read_avail - read what is there; false if the budget ran out first
 * (the kick timer then continues on the next turn) */
static bool
read_avail(struct fsrc *f, bool all)
{
	struct source *src = f->src;

	for (int i = 0; all || i < READ_BUDGET; i++) {
		ssize_t n = source_read(src, f->fd);
		if (n > 0) {
			f->rpos += (uint64_t)n;
			if (f->rotated)
				f->idle_since = loop_now_ms(src->loop);
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != f->read_errno) {
			msg_error("%s: read: %s; will retry", escs(src->spec),
			    strerror(errno));
			f->read_errno = errno;
		}
		if (f->win_stale)
			win_fill(f);
		return true;
	}
	loop_timer_start(f->kick, 0);
	return false;
}

/* detect_rotation - does the path still name the open file? */
static void
detect_rotation(struct fsrc *f)
{
	struct stat st;

	if (stat(f->src->path, &st) == 0) {
		if ((uint64_t)st.st_ino == f->ino &&
		    (uint64_t)st.st_dev == f->dev)
			return;
	} else if (errno != ENOENT && errno != ENOTDIR) {
		return; /* cannot tell */
	}
	f->rotated = true;
	f->idle_since = loop_now_ms(f->src->loop);
	msg_debug(
	    "%s: rotated; reading the old file to its end", escs(f->src->spec));
}

/* switch_ready - may we leave the rotated file for the new one? */
static bool
switch_ready(struct fsrc *f)
{
	struct source *src = f->src;
	struct stat st;

	if (stat(src->path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (f->wd_new < 0 && f->ifd >= 0)
		f->wd_new = inotify_add_watch(f->ifd, src->path, FILE_MASK);
	if (st.st_size > 0)
		return true;
	return loop_now_ms(src->loop) - f->idle_since >=
	    (uint64_t)GRACE_POLLS * (uint64_t)src->opts.poll_ms;
}

/* switch_file - finish the rotated file, continue with the new one */
static bool
switch_file(struct fsrc *f)
{
	struct source *src = f->src;
	struct stat st;
	int fd = open_path(f, &st);

	if (fd < 0)
		return false;
	read_avail(f, true);
	source_flush(src);
	close(f->fd);
	if (f->wd_cur >= 0 && f->wd_cur != f->wd_new)
		inotify_rm_watch(f->ifd, f->wd_cur);
	f->rotated = false;
	set_cur(f, fd, &st, 0);
	/* by path, the new file's watch may be on another inode by now */
	if (f->wd_new >= 0 && f->wd_new != f->wd_cur)
		inotify_rm_watch(f->ifd, f->wd_new);
	f->wd_new = -1;
	src->stats.reopens++;
	msg_info("%s: rotated; now reading the new file from the start",
	    escs(src->spec));
	return true;
}

/* file_check - read what is new and follow rotation and truncation */
static void
file_check(struct fsrc *f, bool all)
{
	struct source *src = f->src;

	if (f->fd < 0) {
		struct stat st;
		int fd = open_path(f, &st);
		if (fd < 0)
			return;
		msg_info("%s: the file appeared; reading it from the start",
		    escs(src->spec));
		set_cur(f, fd, &st, 0);
	}
	for (int switches = 0;; switches++) {
		if (!f->rotated)
			check_truncated(f);
		if (!read_avail(f, all))
			return;
		if (!f->rotated)
			detect_rotation(f);
		if (!f->rotated || !switch_ready(f))
			return;
		if (switches == MAX_SWITCHES) {
			loop_timer_start(f->kick, 0);
			return;
		}
		if (!switch_file(f))
			return;
	}
}

/* on_inotify - something happened to the file or its directory */
static void
on_inotify(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct fsrc *f = arg;
	union {
		struct inotify_event ev;
		char buf[8192];
	} u;
	bool relevant = false;
	ssize_t n;

	(void)loop;
	(void)events;
	while ((n = read(fd, u.buf, sizeof(u.buf))) > 0) {
		for (char *p = u.buf; p < u.buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->wd != f->wd_dir ||
			    (ev->len && strcmp(ev->name, f->base) == 0) ||
			    (ev->mask & IN_Q_OVERFLOW))
				relevant = true;
			if (ev->wd == f->wd_dir && (ev->mask & IN_IGNORED))
				f->wd_dir = -1; /* gone: the poll re-adds it */
			p += sizeof(*ev) + ev->len;
		}
	}
	if (relevant)
		file_check(f, false);
}

/* on_poll - the safety net: check every poll_ms */
static void
on_poll(struct loop *loop, void *arg)
{
	struct fsrc *f = arg;

	(void)loop;
	watch_dir(f);
	file_check(f, false);
	loop_timer_start(f->poll, (uint64_t)f->src->opts.poll_ms);
}

/* on_kick - the first read, and reads that did not fit in one turn */
static void
on_kick(struct loop *loop, void *arg)
{
	(void)loop;
	file_check(arg, false);
}

/* sibling_name - "mail.log.1", "mail.log-20261126": base, a separator,
 * and a suffix of digits and separators (so nothing compressed) */
static bool
sibling_name(const char *base, const char *name)
{
	size_t n = strlen(base);

	if (strncmp(name, base, n) != 0 || !strchr(".-_", name[n]) ||
	    name[n] == 0 || name[n + 1] == 0)
		return false;
	for (const char *p = name + n + 1; *p; p++)
		if (!strchr("0123456789.-_", *p))
			return false;
	return true;
}

/* open_sibling - the rotated file that holds the saved position */
static int
open_sibling(struct fsrc *f, const struct source_pos *pos, struct stat *st,
    char *name, size_t size)
{
	DIR *d = opendir(f->dir);
	struct dirent *de;
	int fd = -1;

	if (d == NULL)
		return -1;
	while (fd < 0 && (de = readdir(d)) != NULL) {
		if (!sibling_name(f->base, de->d_name))
			continue;
		fd = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0)
			continue;
		if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) ||
		    (uint64_t)st->st_ino != pos->ino ||
		    (uint64_t)st->st_size < pos->offset ||
		    !fp_check(fd, pos->offset, pos->fingerprint)) {
			close(fd);
			fd = -1;
			continue;
		}
		snprintf(name, size, "%s", de->d_name);
	}
	closedir(d);
	return fd;
}

/* file_resume - find where the saved position continues */
static void
file_resume(struct fsrc *f, const struct source_pos *pos)
{
	struct source *src = f->src;
	struct stat st, sst;
	char name[NAME_MAX + 1];
	int fd = open_path(f, &st), sfd;

	if (fd >= 0 && (uint64_t)st.st_ino == pos->ino) {
		if ((uint64_t)st.st_size >= pos->offset &&
		    fp_check(fd, pos->offset, pos->fingerprint)) {
			set_cur(f, fd, &st, pos->offset);
			return;
		}
		msg_warn("%s: the file changed since the saved position "
			 "(truncated or rewritten); reading it from the start",
		    escs(src->spec));
		src->stats.truncations++;
		set_cur(f, fd, &st, 0);
		return;
	}
	sfd = open_sibling(f, pos, &sst, name, sizeof(name));
	if (sfd >= 0) {
		msg_info("%s: the file was rotated while popauth was not "
			 "reading it; reading the rest of %s first",
		    escs(src->spec), escs(name));
		set_cur(f, sfd, &sst, pos->offset);
		f->rotated = true;
		f->idle_since = 0; /* its writer is long gone */
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd >= 0) {
		msg_warn("%s: the file of the saved position is gone; "
			 "reading the current file from the start (lines may "
			 "have been missed)",
		    escs(src->spec));
		set_cur(f, fd, &st, 0);
		return;
	}
	msg_warn("%s: the file of the saved position is gone and the path "
		 "does not exist; waiting for it (lines may have been missed)",
	    escs(src->spec));
	f->have_saved = true;
	f->saved = *pos;
}

/* file_start - open (or wait), arm the watches and timers */
static int
file_start(struct source *src, const struct source_pos *resume)
{
	struct fsrc *f = src->impl;
	struct stat st;

	if (stat(src->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		msg_error("%s: not a regular file", escs(src->spec));
		return -1;
	}
	f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ifd < 0)
		msg_warn("%s: inotify: %s; checking the file every %d ms",
		    escs(src->spec), strerror(errno), src->opts.poll_ms);
	watch_dir(f);
	if (resume && resume->ino != 0) {
		file_resume(f, resume);
	} else {
		int fd = open_path(f, &st);
		bool midline = false;
		if (fd >= 0) {
			uint64_t size = (uint64_t)st.st_size;
			set_cur(f, fd, &st,
			    src->opts.from_start
				? 0
				: tail_offset(f, fd, size, &midline));
			/* the rest of that line is not a line, and the
			 * bytes before the next one are not all seen */
			src->lr.skipping = midline;
			f->win_stale = midline;
		}
	}
	if (f->fd < 0 && f->open_errno == ENOENT)
		msg_info("%s: waiting for the file to appear", escs(src->spec));
	f->poll = loop_timer_new(src->loop, on_poll, f);
	f->kick = loop_timer_new(src->loop, on_kick, f);
	loop_timer_start(f->poll, (uint64_t)src->opts.poll_ms);
	loop_timer_start(f->kick, 0);
	if (f->ifd >= 0)
		loop_io_add(src->loop, f->ifd, EPOLLIN, on_inotify, f);
	return 0;
}

/* file_get_pos - after the last delivered line */
static bool
file_get_pos(struct source *src, struct source_pos *pos)
{
	struct fsrc *f = src->impl;

	if (f->fd < 0) {
		if (f->have_saved)
			*pos = f->saved;
		return true;
	}
	if (f->win_stale)
		win_fill(f);
	pos->dev = f->dev;
	pos->ino = f->ino;
	pos->offset = src->line_start;
	pos->fingerprint = fp_hash(f->win, f->winlen);
	return true;
}

/* file_reopen - SIGHUP: follow the name now, without the grace wait */
static void
file_reopen(struct source *src)
{
	struct fsrc *f = src->impl;

	if (f->rotated)
		f->idle_since = 0;
	watch_dir(f);
	file_check(f, false);
}

/* file_drain - read everything there is now */
static void
file_drain(struct source *src)
{
	file_check(src->impl, true);
}

/* file_free - close everything */
static void
file_free(struct source *src)
{
	struct fsrc *f = src->impl;

	if (f->ifd >= 0) {
		if (src->loop)
			loop_io_del(src->loop, f->ifd);
		close(f->ifd);
	}
	if (f->fd >= 0)
		close(f->fd);
	loop_timer_free(f->poll);
	loop_timer_free(f->kick);
	free(f->dir);
	free(f->base);
	free(f);
}

static const struct source_ops file_ops = {
    .start = file_start,
    .get_pos = file_get_pos,
    .reopen = file_reopen,
    .drain = file_drain,
    .free = file_free,
};

/* source_file_init - state of a file source; opened by file_start */
void
source_file_init(struct source *src)
{
	struct fsrc *f = xcalloc(1, sizeof(*f));
	const char *slash = strrchr(src->path, '/');

	f->src = src;
	f->dir = slash == src->path
	    ? xstrdup("/")
	    : xstrndup(src->path, (size_t)(slash - src->path));
	f->base = xstrdup(slash + 1);
	f->ifd = f->wd_dir = f->wd_cur = f->wd_new = -1;
	f->fd = -1;
	src->impl = f;
	src->ops = &file_ops;
	src->raw_line = win_add;
}
