/*
 * linereader - turn a byte stream into lines, with a hard length limit.
 *
 * SECURITY
 *	Lines are attacker-influenced and may hold any byte, NUL included;
 *	they are passed on as (pointer, length).  Memory use is bounded by
 *	the buffer size whatever the input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/mem.h"
#include "../lib/msg.h"
#include "linereader.h"

void
lr_init(struct linereader *lr, size_t bufsize, size_t max_line)
{
	memset(lr, 0, sizeof(*lr));
	lr->max_line = max_line ? max_line : LR_DEFAULT_MAX_LINE;
	/* the buffer must hold a whole maximal line plus its newline */
	if (bufsize < lr->max_line + 2)
		bufsize = lr->max_line + 2;
	lr->buf = xmalloc(bufsize);
	lr->cap = bufsize;
}

void
lr_free(struct linereader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

void
lr_reset(struct linereader *lr, uint64_t pos)
{
	lr->start = lr->end = 0;
	lr->skipping = false;
	lr->consumed = pos;
}

size_t
lr_pending(const struct linereader *lr)
{
	return lr->end - lr->start;
}

/* deliver - hand out the complete lines in the buffer */
static void
deliver(struct linereader *lr, lr_line_fn *fn, void *arg)
{
	char *p = lr->buf + lr->start, *e = lr->buf + lr->end;

	while (p < e) {
		char *nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - p);
		lr->consumed += len + 1;
		if (lr->skipping) {
			/* the tail of a line reported already */
			lr->skipping = false;
		} else if (len > lr->max_line) {
			lr->lines++;
			lr->oversized++;
			fn(arg, NULL, len);
		} else {
			lr->lines++;
			if (len > 0 && p[len - 1] == '\r')
				len--;
			fn(arg, p, len);
		}
		p = nl + 1;
	}
	lr->start = (size_t)(p - lr->buf);
	if (lr->start == lr->end) {
		lr->start = lr->end = 0;
	} else if (lr->end - lr->start > lr->max_line) {
		/* an over-long line with no end in sight: report, drop */
		size_t len = lr->end - lr->start;
		lr->consumed += len;
		if (!lr->skipping) {
			lr->lines++;
			lr->oversized++;
			lr->skipping = true;
			fn(arg, NULL, len);
		}
		lr->start = lr->end = 0;
	}
}

/* make_room - move a partial line to the front of the buffer */
static void
make_room(struct linereader *lr)
{
	if (lr->start > 0 && lr->end == lr->cap) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	if (lr->end == lr->cap)
		msg_panic("linereader: full buffer without a line");
}

ssize_t
lr_read(struct linereader *lr, int fd, lr_line_fn *fn, void *arg)
{
	ssize_t n;

	make_room(lr);
	do
		n = read(fd, lr->buf + lr->end, lr->cap - lr->end);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	lr->end += (size_t)n;
	deliver(lr, fn, arg);
	return n;
}

void
lr_feed(
    struct linereader *lr, const char *p, size_t n, lr_line_fn *fn, void *arg)
{
	while (n > 0) {
		make_room(lr);
		size_t k = lr->cap - lr->end < n ? lr->cap - lr->end : n;
		memcpy(lr->buf + lr->end, p, k);
		lr->end += k;
		p += k;
		n -= k;
		deliver(lr, fn, arg);
	}
}

void
lr_flush(struct linereader *lr, lr_line_fn *fn, void *arg)
{
	size_t len = lr->end - lr->start;
	bool skipping = lr->skipping;

	/* the line ends here, even if it was dropped to the last byte */
	lr->skipping = false;
	if (len == 0)
		return;
	lr->consumed += len;
	if (!skipping) {
		const char *p = lr->buf + lr->start;
		lr->lines++;
		if (p[len - 1] == '\r')
			len--;
		fn(arg, p, len);
	}
	lr->start = lr->end = 0;
}
