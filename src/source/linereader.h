/*
 * linereader - turn a byte stream into lines, with a hard length limit.
 *
 * This is the hot path of replay and of live reading: one read() fills a
 * large buffer, memchr finds the newlines, each complete line is handed
 * to the callback without a copy.  A line longer than the limit is not
 * delivered (the callback gets p == NULL instead, once), its bytes are
 * skipped up to the next newline, and reading goes on.
 */
#ifndef POPAUTH_LINEREADER_H
#define POPAUTH_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* p/n: one line without "\n" (and without a trailing "\r");
 * p == NULL: an over-long line was skipped (n = its length so far) */
typedef void lr_line_fn(void *arg, const char *p, size_t n);

struct linereader {
	char *buf;
	size_t cap, start, end;
	size_t max_line;
	bool skipping; /* inside an over-long line */
	uint64_t consumed; /* stream bytes delivered or skipped */
	uint64_t lines; /* lines seen, including skipped ones */
	uint64_t oversized; /* lines skipped for length */
};

#define LR_DEFAULT_MAX_LINE (16 * 1024)

void lr_init(struct linereader *lr, size_t bufsize, size_t max_line);
void lr_free(struct linereader *lr);

/* lr_reset - forget buffered bytes (after seek/reopen); consumed = pos */
void lr_reset(struct linereader *lr, uint64_t pos);

/*
 * lr_read - one read() from fd; every complete line is delivered.
 * Returns bytes read (> 0), 0 at end of file, -1 with errno (EAGAIN for
 * a non-blocking descriptor with nothing to read).
 */
ssize_t lr_read(struct linereader *lr, int fd, lr_line_fn *fn, void *arg);

/* lr_feed - the same for bytes already in memory */
void lr_feed(
    struct linereader *lr, const char *p, size_t n, lr_line_fn *fn, void *arg);

/*
 * lr_scan - deliver the complete lines of memory the caller owns (a
 * mapped file) without copying; returns the bytes used up (through the
 * last newline).  The caller passes the rest again, with more after it,
 * next time.  Not to be mixed with buffered bytes.
 */
size_t lr_scan(
    struct linereader *lr, const char *p, size_t n, lr_line_fn *fn, void *arg);

/* lr_finish - deliver p[0..n) as the final line of such memory (the
 * remainder lr_scan left at the end of the input) */
void lr_finish(
    struct linereader *lr, const char *p, size_t n, lr_line_fn *fn, void *arg);

/* lr_flush - deliver a final line that has no newline (writer gone) */
void lr_flush(struct linereader *lr, lr_line_fn *fn, void *arg);

/* lr_narrow_simd - use the baseline (SSE2) newline scan even where a
 * wider one exists: for tests of that path */
void lr_narrow_simd(void);

/* lr_pending - bytes of an incomplete line held in the buffer */
size_t lr_pending(const struct linereader *lr);

#endif
