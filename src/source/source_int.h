/*
 * source_int - what the source kinds share; private to src/source/.
 *
 * source.c owns struct source, the spec parser, the statistics and the
 * line callback that all byte-stream kinds (file, FIFO, stdin) use; each
 * kind plugs in through struct source_ops.
 */
#ifndef POPAUTH_SOURCE_INT_H
#define POPAUTH_SOURCE_INT_H

#include <sys/types.h>

#include "../lib/msg.h"
#include "linereader.h"
#include "source.h"

struct source_ops {
	int (*start)(struct source *, const struct source_pos *resume);
	bool (*get_pos)(struct source *, struct source_pos *);
	void (*reopen)(struct source *);
	void (*drain)(struct source *);
	void (*free)(struct source *);
};

/*
 * raw_line - the file kind's hook: called before a line is delivered,
 * with its raw bytes (newline included, if it had one), or with raw ==
 * NULL when the bytes before the new position were not all seen (an
 * over-long line was skipped).
 */
typedef void source_raw_fn(struct source *, const char *raw, size_t len);

struct source {
	enum source_kind kind;
	char *spec;
	char *path; /* file or FIFO path, journal directory, or NULL */
	struct source_opts opts;
	source_deliver_fn *deliver;
	source_eof_fn *eof;
	void *arg;
	struct loop *loop; /* set by source_start */
	bool started; /* source_start succeeded */
	const struct source_ops *ops;
	void *impl; /* the kind's own state */
	struct source_stats stats;
	struct msg_rate warn_rate;

	/* byte-stream kinds: line splitting and positions */
	struct linereader lr;
	source_raw_fn *raw_line;
	uint64_t line_start; /* stream offset where the next line starts */
	uint64_t lineno; /* number of the last line seen */
	bool lineno_known; /* false: started in the middle of a file */
	bool long_pending; /* an over-long line whose end is not seen yet */
	uint64_t long_start, long_lineno;
	bool flushing; /* inside lr_flush: the line has no newline */
	size_t flush_len;
};

/* source_file_init etc. - set src->ops and src->impl for the kind */
void source_file_init(struct source *src);
void source_fifo_init(struct source *src);
void source_stdin_init(struct source *src);
#ifdef HAVE_JOURNAL
void source_journal_init(struct source *src);
#endif

/*
 * source_lr_reset - forget buffered bytes; the next byte read is at
 * stream offset pos.  Line numbers restart at 1 if known is true.
 */
void source_lr_reset(struct source *src, uint64_t pos, bool known);

/* source_read - one read() from fd through the line reader; returns as
 * lr_read (bytes, 0 at end of file, -1 with errno) */
ssize_t source_read(struct source *src, int fd);

/* source_flush - the writer is gone: deliver a final line without a
 * newline, finish an over-long one */
void source_flush(struct source *src);

/* source_emit - deliver one line that did not come through the line
 * reader (journal); p == NULL: an over-long one of n bytes (or more if
 * at_least) was skipped */
void source_emit(struct source *src, const char *p, size_t n,
    const struct logline *pre, bool at_least);

#endif
