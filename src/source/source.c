/*
 * source - parse log_sources items and run what all sources share.
 *
 * DESCRIPTION
 *	source_new() turns a spec ("file:PATH", "fifo:PATH", "stdin",
 *	"journal", "journal:DIR") into a source object of the right kind;
 *	the kinds live in source_file.c, source_fifo.c (FIFO and stdin)
 *	and source_journal.c.  This file also holds the line callback of
 *	the byte-stream kinds: it counts lines, keeps the stream offset of
 *	the next line (the position a file source saves), and reports
 *	over-long lines with their full length once their end is seen.
 *
 *	Lines are delivered only from the event loop or source_drain(),
 *	never from source_start().  Inside the deliver callback the
 *	position (source_get_pos) already includes the line being
 *	delivered.  A callback must not free its source, except the eof
 *	callback, which is the last thing a source does.
 *
 * SECURITY
 *	Every byte of every line may come from an attacker (HELO names,
 *	addresses, user names); lines are passed on as (pointer, length)
 *	and may contain NUL.  Memory is bounded by the line reader's limit.
 *	Specs come from the administrator's configuration.
 *
 * DIAGNOSTICS
 *	msg_warn_rate (per source) for over-long lines, naming the source
 *	and the line number (or the byte offset when reading began in the
 *	middle of a file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/sbuf.h"
#include "source_int.h"

#define SOURCE_BUFSIZE (64 * 1024)

/* check_path - an absolute path that names something inside a directory */
static bool
check_path(const char *spec, const char *path, char **err)
{
	size_t n = strlen(path);

	if (n == 0 || path[0] != '/') {
		err_set(err, "log source \"%s\": the path must be absolute",
		    escs(spec));
		return false;
	}
	if (path[n - 1] == '/') {
		err_set(err, "log source \"%s\": the path names a directory",
		    escs(spec));
		return false;
	}
	return true;
}

/* source_new - parse the spec, make a source of its kind */
struct source *
source_new(const char *spec, const struct source_opts *opts,
    source_deliver_fn *deliver, source_eof_fn *eof, void *arg, char **err)
{
	enum source_kind kind;
	const char *path = NULL;

	if (err)
		*err = NULL;
	if (strcmp(spec, "stdin") == 0) {
		kind = SOURCE_STDIN;
	} else if (strncmp(spec, "file:", 5) == 0) {
		kind = SOURCE_FILE;
		path = spec + 5;
	} else if (strncmp(spec, "fifo:", 5) == 0) {
		kind = SOURCE_FIFO;
		path = spec + 5;
	} else if (strcmp(spec, "journal") == 0 ||
	    strncmp(spec, "journal:", 8) == 0) {
		kind = SOURCE_JOURNAL;
		path = spec[7] ? spec + 8 : NULL;
#ifndef HAVE_JOURNAL
		err_set(err,
		    "log source \"%s\": this popauth was built without "
		    "systemd journal support (libsystemd was not found)",
		    escs(spec));
		return NULL;
#endif
	} else {
		err_set(err,
		    "unknown log source \"%s\" (expected file:PATH, "
		    "fifo:PATH, stdin, journal or journal:DIR)",
		    escs(spec));
		return NULL;
	}
	if (path && !check_path(spec, path, err))
		return NULL;

	struct source *src = xcalloc(1, sizeof(*src));
	src->kind = kind;
	src->spec = xstrdup(spec);
	src->path = path ? xstrdup(path) : NULL;
	if (opts)
		src->opts = *opts;
	if (src->opts.max_line == 0)
		src->opts.max_line = LR_DEFAULT_MAX_LINE;
	if (src->opts.poll_ms <= 0)
		src->opts.poll_ms = 1000;
	src->deliver = deliver;
	src->eof = eof;
	src->arg = arg;
	src->warn_rate =
	    (struct msg_rate)MSG_RATE_INIT("over-long line", 10, 60);
	src->lineno_known = true;
	if (kind != SOURCE_JOURNAL)
		lr_init(&src->lr, SOURCE_BUFSIZE, src->opts.max_line);

	switch (kind) {
	case SOURCE_FILE:
		source_file_init(src);
		break;
	case SOURCE_FIFO:
		source_fifo_init(src);
		break;
	case SOURCE_STDIN:
		source_stdin_init(src);
		break;
	case SOURCE_JOURNAL:
#ifdef HAVE_JOURNAL
		source_journal_init(src);
#endif
		break;
	}
	return src;
}

/* source_start - hand over to the kind; remember whether it worked */
int
source_start(
    struct source *src, struct loop *loop, const struct source_pos *resume)
{
	if (src->loop != NULL || src->deliver == NULL)
		msg_panic("source_start: %s: started twice or no callback",
		    src->spec);
	src->loop = loop;
	src->started = src->ops->start(src, resume) == 0;
	return src->started ? 0 : -1;
}

/* source_get_pos - the kind's position, all zero if it has none */
bool
source_get_pos(struct source *src, struct source_pos *pos)
{
	memset(pos, 0, sizeof(*pos));
	return src->ops->get_pos ? src->ops->get_pos(src, pos) : false;
}

/* source_reopen - SIGHUP: reopen by name */
void
source_reopen(struct source *src)
{
	if (src->started && src->ops->reopen)
		src->ops->reopen(src);
}

/* source_drain - read what is there now */
void
source_drain(struct source *src)
{
	if (src->started && src->ops->drain)
		src->ops->drain(src);
}

/* source_get_stats - copy the counters */
void
source_get_stats(const struct source *src, struct source_stats *st)
{
	*st = src->stats;
}

/* source_spec - the spec as given */
const char *
source_spec(const struct source *src)
{
	return src->spec;
}

/* source_kind - file, FIFO, stdin or journal */
enum source_kind
source_kind(const struct source *src)
{
	return src->kind;
}

/* source_free - close and free everything */
void
source_free(struct source *src)
{
	if (src == NULL)
		return;
	if (src->ops->free)
		src->ops->free(src);
	lr_free(&src->lr);
	free(src->spec);
	free(src->path);
	free(src);
}

/* common code of the kinds */

/* where - "file:/var/log/mail.log line 12" (or "offset 4096" when
 * reading began in the middle of the file), for messages */
static const char *
where(const struct source *src, uint64_t lineno, uint64_t offset)
{
	static char buf[4200];

	if (src->kind == SOURCE_JOURNAL)
		snprintf(buf, sizeof(buf), "%s entry %llu", escs(src->spec),
		    (unsigned long long)lineno);
	else if (src->lineno_known)
		snprintf(buf, sizeof(buf), "%s line %llu", escs(src->spec),
		    (unsigned long long)lineno);
	else
		snprintf(buf, sizeof(buf), "%s offset %llu", escs(src->spec),
		    (unsigned long long)offset);
	return buf;
}

/* source_lr_reset - start a new stream position */
void
source_lr_reset(struct source *src, uint64_t pos, bool known)
{
	lr_reset(&src->lr, pos);
	src->line_start = pos;
	src->lineno = 0;
	src->lineno_known = known;
	src->long_pending = false;
}

/* finish_long - the over-long line that began at long_start ends at
 * offset end (where its newline is, or the end of the stream) */
static void
finish_long(struct source *src, uint64_t end, bool newline)
{
	msg_warn_rate(&src->warn_rate,
	    "%s: line of %llu bytes skipped (limit %zu)",
	    where(src, src->long_lineno, src->long_start),
	    (unsigned long long)(end - src->long_start), src->opts.max_line);
	src->long_pending = false;
	src->line_start = end + (newline ? 1 : 0);
	if (src->raw_line)
		src->raw_line(src, NULL, 0);
}

/*
 * on_line - the line reader's callback.  When it runs, lr.consumed is
 * the stream offset just after this line's bytes; the reader strips one
 * '\r' before the newline, and both are still in its buffer, so p[n] is
 * '\r' or '\n' for a line that had a newline.
 */
static void
on_line(void *arg, const char *p, size_t n)
{
	struct source *src = arg;
	struct linereader *lr = &src->lr;
	uint64_t end = lr->consumed, start;

	if (src->flushing)
		start = end - src->flush_len;
	else if (p == NULL)
		start = end - n - (lr->skipping ? 0 : 1);
	else
		start = end - n - 1 - (p[n] == '\r');
	if (src->long_pending)
		finish_long(src, start - 1, true);
	src->lineno++;
	src->stats.lines++;
	if (p == NULL) {
		src->stats.oversized++;
		src->long_pending = true;
		src->long_start = start;
		src->long_lineno = src->lineno;
		src->line_start = start;
		if (!lr->skipping)
			finish_long(src, end - 1, true);
		src->deliver(src->arg, src, NULL, n, NULL);
		return;
	}
	src->line_start = end;
	if (src->raw_line)
		src->raw_line(src, p, (size_t)(end - start));
	src->deliver(src->arg, src, p, n, NULL);
}

/* source_read - one read through the line reader */
ssize_t
source_read(struct source *src, int fd)
{
	ssize_t n = lr_read(&src->lr, fd, on_line, src);

	if (n > 0) {
		src->stats.bytes += (uint64_t)n;
		/* an over-long line ended, and no line followed it yet */
		if (src->long_pending && !src->lr.skipping)
			finish_long(src, src->lr.consumed - 1, true);
	}
	return n;
}

/* source_flush - deliver what is left without a newline */
void
source_flush(struct source *src)
{
	if (src->long_pending) {
		lr_flush(&src->lr, on_line, src); /* skips the tail */
		finish_long(src, src->lr.consumed, false);
	} else {
		src->flushing = true;
		src->flush_len = lr_pending(&src->lr);
		lr_flush(&src->lr, on_line, src);
		src->flushing = false;
	}
	lr_reset(&src->lr, src->lr.consumed);
	src->line_start = src->lr.consumed;
}

/* source_emit - deliver a line that needs no splitting */
void
source_emit(struct source *src, const char *p, size_t n,
    const struct logline *pre, bool at_least)
{
	src->lineno++;
	src->stats.lines++;
	if (p == NULL) {
		src->stats.oversized++;
		msg_warn_rate(&src->warn_rate,
		    "%s: message of %s%zu bytes skipped (limit %zu)",
		    where(src, src->lineno, 0), at_least ? "at least " : "", n,
		    src->opts.max_line);
	}
	src->deliver(src->arg, src, p, n, pre);
}
