/*
 * source_journal - read mail log entries from the systemd journal.
 *
 * DESCRIPTION
 *	"journal" opens the local system journal (SD_JOURNAL_LOCAL_ONLY |
 *	SD_JOURNAL_SYSTEM), "journal:DIR" the journal files in DIR.  Only
 *	entries matching SOURCE_JOURNAL_MATCH (the mail facility) are read.
 *	The journal's inotify descriptor (sd_journal_get_fd) is watched by
 *	the loop; every wake-up calls sd_journal_process and reads the new
 *	entries, and sd_journal_get_timeout arms a timer for the cases that
 *	inotify cannot see.
 *
 *	Each entry is delivered with p/n = MESSAGE (any bytes, NUL
 *	included) and `pre' = the header the journal already knows:
 *	program = SYSLOG_IDENTIFIER, pid = SYSLOG_PID (else _PID), host =
 *	_HOSTNAME, time = _SOURCE_REALTIME_TIMESTAMP (else the time journald
 *	received the entry) in epoch seconds.  Entries without MESSAGE are
 *	skipped.
 *
 *	Position: the cursor of the last delivered entry.  On resume the
 *	reading goes on after that entry; if it no longer exists (vacuumed)
 *	it goes on with the next one and says that entries may have been
 *	missed.  Without a cursor reading starts at the tail (opts.from_start:
 *	at the head); the cursor of the tail entry is the position until an
 *	entry is delivered, so that a restart does not skip what came in
 *	between.
 *
 * SECURITY
 *	MESSAGE and SYSLOG_IDENTIFIER are chosen by whoever logged the entry:
 *	any local process can log to the mail facility under any name, just
 *	as with syslog.  Fields starting with '_' are set by journald.  The
 *	per-user journals (unprivileged users' messages) are not read.
 *	Field values are copied into bounded buffers.
 *
 * DIAGNOSTICS
 *	msg_error when the journal cannot be opened or read; msg_warn when
 *	no journal file is readable (missing group membership) and when a
 *	saved cursor cannot be used.
 */
#ifdef HAVE_JOURNAL

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <systemd/sd-journal.h>

#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/numparse.h"
#include "../lib/sbuf.h"
#include "source_int.h"

#define ENTRY_BUDGET 4096 /* entries per turn before other work gets a go */

struct jsrc {
	struct source *src;
	sd_journal *j;
	int fd;
	struct loop_timer *kick, *timeout;
	char cursor[sizeof(((struct source_pos *)0)->cursor)];
	bool failed; /* a read error was logged */
	bool at_unread; /* the journal is on an entry not delivered yet */
};

/* set_cursor - remember the entry the journal is on */
static void
set_cursor(struct jsrc *js)
{
	char *c = NULL;

	if (sd_journal_get_cursor(js->j, &c) >= 0 && c != NULL &&
	    strlen(c) < sizeof(js->cursor))
		strcpy(js->cursor, c);
	free(c);
}

/* get_field - copy the value of field `name' (truncated to fit) */
static size_t
get_field(sd_journal *j, const char *name, char *buf, size_t size)
{
	const void *d;
	size_t l, nl = strlen(name);

	buf[0] = 0;
	if (sd_journal_get_data(j, name, &d, &l) < 0 || l <= nl)
		return 0;
	l -= nl + 1; /* "NAME=" */
	if (l >= size)
		l = size - 1;
	memcpy(buf, (const char *)d + nl + 1, l);
	buf[l] = 0;
	return l;
}

/* deliver_entry - hand the current entry on */
static void
deliver_entry(struct jsrc *js)
{
	struct source *src = js->src;
	char prog[256], pid[32], host[256], ts[32];
	struct logline ll;
	const void *d;
	size_t l, threshold;
	uint64_t usec = 0;
	int64_t v;

	memset(&ll, 0, sizeof(ll));
	ll.prog = (struct span){
	    prog, get_field(js->j, "SYSLOG_IDENTIFIER", prog, sizeof(prog))};
	/* SYSLOG_PID is what the sender said; the two-line recognisers key
	 * on it, so it must be a pid: else journald's own _PID */
	ll.pid = (struct span){
	    pid, get_field(js->j, "SYSLOG_PID", pid, sizeof(pid))};
	if (ll.pid.n == 0 || strspn(pid, "0123456789") != ll.pid.n)
		ll.pid.n = get_field(js->j, "_PID", pid, sizeof(pid));
	ll.host = (struct span){
	    host, get_field(js->j, "_HOSTNAME", host, sizeof(host))};
	if (get_field(js->j, "_SOURCE_REALTIME_TIMESTAMP", ts, sizeof(ts)) &&
	    num_parse_i64(ts, 0, INT64_MAX, &v))
		usec = (uint64_t)v;
	else if (sd_journal_get_realtime_usec(js->j, &usec) < 0)
		usec = 0;
	ll.time = (int64_t)(usec / 1000000);
	ll.has_time = true;
	ll.tskind = TS_EPOCH;
	set_cursor(js);
	/* last: the data stays valid until the next sd_journal_get_data */
	if (sd_journal_get_data(js->j, "MESSAGE", &d, &l) < 0 || l < 8)
		return;
	d = (const char *)d + 8; /* "MESSAGE=" */
	l -= 8;
	src->stats.bytes += l;
	if (l > src->opts.max_line) {
		threshold = 0;
		sd_journal_get_data_threshold(js->j, &threshold);
		source_emit(src, NULL, l, NULL, l + 8 >= threshold);
		return;
	}
	ll.line = ll.msg = (struct span){d, l};
	source_emit(src, d, l, &ll, false);
}

/* read_entries - deliver what is new (the kick timer goes on if the
 * budget runs out) */
static void
read_entries(struct jsrc *js, bool all)
{
	struct source *src = js->src;

	if (js->at_unread) {
		js->at_unread = false;
		deliver_entry(js);
	}
	for (int i = 0; all || i < ENTRY_BUDGET; i++) {
		int r = sd_journal_next(js->j);
		if (r < 0) {
			if (!js->failed)
				msg_error("%s: reading the journal: %s",
				    escs(src->spec), strerror(-r));
			js->failed = true;
			return;
		}
		js->failed = false;
		if (r == 0)
			return;
		deliver_entry(js);
	}
	loop_timer_start(js->kick, 0);
}

/* arm_timeout - wake up when the journal wants to be looked at anyway */
static void
arm_timeout(struct jsrc *js)
{
	uint64_t t;

	if (sd_journal_get_timeout(js->j, &t) >= 0 && t != (uint64_t)-1)
		loop_timer_start_at(js->timeout, (t + 999) / 1000);
	else
		loop_timer_stop(js->timeout);
}

/* process - the journal changed (or may have): read on */
static void
process(struct jsrc *js, bool all)
{
	(void)sd_journal_process(js->j);
	read_entries(js, all);
	arm_timeout(js);
}

/* on_io - the journal's inotify descriptor is readable */
static void
on_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	process(arg, false);
}

/* on_timer - first read, continued reads, and journal timeouts */
static void
on_timer(struct loop *loop, void *arg)
{
	(void)loop;
	process(arg, false);
}

/* seek_start - position the journal: after the cursor, or at an end */
static void
seek_start(struct jsrc *js, const struct source_pos *resume)
{
	struct source *src = js->src;
	const char *c = resume ? resume->cursor : "";

	if (c[0] && sd_journal_seek_cursor(js->j, c) >= 0) {
		snprintf(js->cursor, sizeof(js->cursor), "%s", c);
		int r = sd_journal_next(js->j);
		if (r <= 0 || sd_journal_test_cursor(js->j, c) > 0)
			return; /* on the saved entry: next() goes on */
		msg_warn("%s: the saved journal entry no longer exists; going "
			 "on with the next one (entries may have been missed)",
		    escs(src->spec));
		js->at_unread = true;
		return;
	}
	if (c[0])
		msg_warn("%s: the saved journal cursor is not valid; starting "
			 "at the %s",
		    escs(src->spec), src->opts.from_start ? "head" : "tail");
	if (src->opts.from_start) {
		(void)sd_journal_seek_head(js->j);
		return;
	}
	(void)sd_journal_seek_tail(js->j);
	if (sd_journal_previous(js->j) > 0)
		set_cursor(js);
}

/* journal_start - open, filter, position, watch */
static int
journal_start(struct source *src, const struct source_pos *resume)
{
	struct jsrc *js = src->impl;
	size_t threshold = 64 * 1024;
	int r;

	if (src->path)
		r = sd_journal_open_directory(&js->j, src->path, 0);
	else
		r = sd_journal_open(
		    &js->j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	if (r < 0) {
		msg_error("%s: cannot open the journal: %s", escs(src->spec),
		    strerror(-r));
		return -1;
	}
	if ((r = sd_journal_add_match(js->j, SOURCE_JOURNAL_MATCH, 0)) < 0) {
		msg_error("%s: sd_journal_add_match: %s", escs(src->spec),
		    strerror(-r));
		return -1;
	}
	if (threshold < src->opts.max_line + 1)
		threshold = src->opts.max_line + 1;
	(void)sd_journal_set_data_threshold(js->j, threshold);
	if (src->path == NULL && sd_journal_has_runtime_files(js->j) <= 0 &&
	    sd_journal_has_persistent_files(js->j) <= 0)
		msg_warn("%s: no journal file is readable; is popauth's user "
			 "in the systemd-journal group?",
		    escs(src->spec));
	seek_start(js, resume);
	if ((js->fd = sd_journal_get_fd(js->j)) < 0) {
		msg_error("%s: sd_journal_get_fd: %s", escs(src->spec),
		    strerror(-js->fd));
		return -1;
	}
	js->kick = loop_timer_new(src->loop, on_timer, js);
	js->timeout = loop_timer_new(src->loop, on_timer, js);
	loop_io_add(src->loop, js->fd, EPOLLIN, on_io, js);
	loop_timer_start(js->kick, 0);
	return 0;
}

/* journal_get_pos - the cursor of the last delivered entry */
static bool
journal_get_pos(struct source *src, struct source_pos *pos)
{
	struct jsrc *js = src->impl;

	snprintf(pos->cursor, sizeof(pos->cursor), "%s", js->cursor);
	return true;
}

/* journal_drain - read every entry there is now */
static void
journal_drain(struct source *src)
{
	process(src->impl, true);
}

/* journal_free - close the journal */
static void
journal_free(struct source *src)
{
	struct jsrc *js = src->impl;

	if (js->fd >= 0 && src->loop)
		loop_io_del(src->loop, js->fd);
	loop_timer_free(js->kick);
	loop_timer_free(js->timeout);
	if (js->j)
		sd_journal_close(js->j);
	free(js);
}

static const struct source_ops journal_ops = {
    .start = journal_start,
    .get_pos = journal_get_pos,
    .drain = journal_drain,
    .free = journal_free,
};

/* source_journal_init - state of a journal source; opened by
 * journal_start */
void
source_journal_init(struct source *src)
{
	struct jsrc *js = xcalloc(1, sizeof(*js));

	js->src = src;
	js->fd = -1;
	src->impl = js;
	src->ops = &journal_ops;
}

#endif /* HAVE_JOURNAL */
