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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "../lib/mem.h"
#include "../lib/msg.h"
#include "linereader.h"

static void pick_once(void);

void
lr_init(struct linereader *lr, size_t bufsize, size_t max_line)
{
	pick_once();
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

/* emit - one complete line of len bytes at p */
static inline void
emit(
    struct linereader *lr, const char *p, size_t len, lr_line_fn *fn, void *arg)
{
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
}

#ifdef __SSE2__
/* newlines64 - bit i set where p[i] is a newline, for 64 bytes */
static inline __attribute__((always_inline)) uint64_t
newlines64(const char *p)
{
	const __m128i nl = _mm_set1_epi8('\n');
	uint64_t m = 0;

	for (int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128(
		    (const __m128i *)(const void *)(p + 16 * k));
		m |=
		    (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl))
		    << (16 * k);
	}
	return m;
}

/* blocks - emit the lines that end in whole 64-byte blocks; returns the
 * offset after the last block.  `mask' is inlined: one copy per ISA. */
static inline __attribute__((always_inline)) size_t
blocks(struct linereader *lr, const char *base, size_t len, size_t *linep,
    lr_line_fn *fn, void *arg, uint64_t (*mask)(const char *))
{
	size_t pos = 0, line = *linep;

	for (; pos + 64 <= len; pos += 64) {
		uint64_t m = mask(base + pos);
		while (m) {
			size_t nl = pos + (size_t)__builtin_ctzll(m);
			m &= m - 1;
			emit(lr, base + line, nl - line, fn, arg);
			line = nl + 1;
		}
	}
	*linep = line;
	return pos;
}

static size_t
blocks_sse2(struct linereader *lr, const char *base, size_t len, size_t *linep,
    lr_line_fn *fn, void *arg)
{
	return blocks(lr, base, len, linep, fn, arg, newlines64);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/* newlines64_avx2 - the same with two 32-byte compares */
static inline __attribute__((always_inline, target("avx2"))) uint64_t
newlines64_avx2(const char *p)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));

	return (uint64_t)(unsigned)_mm256_movemask_epi8(
		   _mm256_cmpeq_epi8(a, nl)) |
	    (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nl))
	    << 32;
}

static __attribute__((target("avx2"))) size_t
blocks_avx2(struct linereader *lr, const char *base, size_t len, size_t *linep,
    lr_line_fn *fn, void *arg)
{
	return blocks(lr, base, len, linep, fn, arg, newlines64_avx2);
}
#endif

typedef size_t blocks_fn(
    struct linereader *, const char *, size_t, size_t *, lr_line_fn *, void *);

static blocks_fn *blocks_best;

/* pick_blocks - the widest newline scan this CPU has */
static blocks_fn *
pick_blocks(void)
{
#ifdef HAVE_AVX2_PATH
	if (__builtin_cpu_supports("avx2"))
		return blocks_avx2;
#endif
	return blocks_sse2;
}
#endif

/* pick_once - choose the scan before any reading (and before a replay
 * starts its scanning thread: afterwards it is only read) */
static void
pick_once(void)
{
#ifdef __SSE2__
	if (blocks_best == NULL)
		blocks_best = pick_blocks();
#endif
}

void
lr_narrow_simd(void)
{
#ifdef __SSE2__
	blocks_best = blocks_sse2;
#endif
}

/*
 * scan - hand out the complete lines in base[0..len); returns the bytes
 * used up: through the last newline, or all of them when an over-long
 * line with no end in sight is dropped.  Newlines are found 64 bytes at a
 * time as a bit mask (one memchr call per line costs more than the scan
 * itself for lines of a hundred bytes).
 */
static size_t
scan(struct linereader *lr, const char *base, size_t len, lr_line_fn *fn,
    void *arg)
{
	size_t line = 0, pos = 0;

#ifdef __SSE2__
	pos = blocks_best(lr, base, len, &line, fn, arg);
#endif
	for (;;) {
		const char *nl =
		    pos < len ? memchr(base + pos, '\n', len - pos) : NULL;
		if (nl == NULL)
			break;
		size_t at = (size_t)(nl - base);
		emit(lr, base + line, at - line, fn, arg);
		line = pos = at + 1;
	}
	if (len - line > lr->max_line) {
		/* an over-long line with no end in sight: report, drop */
		size_t rest = len - line;
		lr->consumed += rest;
		if (!lr->skipping) {
			lr->lines++;
			lr->oversized++;
			lr->skipping = true;
			fn(arg, NULL, rest);
		}
		line = len;
	}
	return line;
}

/* deliver - hand out the complete lines in the buffer */
static void
deliver(struct linereader *lr, lr_line_fn *fn, void *arg)
{
	lr->start +=
	    scan(lr, lr->buf + lr->start, lr->end - lr->start, fn, arg);
	if (lr->start == lr->end)
		lr->start = lr->end = 0;
}

size_t
lr_scan(
    struct linereader *lr, const char *p, size_t n, lr_line_fn *fn, void *arg)
{
	if (lr->start != lr->end)
		msg_panic("lr_scan: buffered bytes would be skipped");
	return scan(lr, p, n, fn, arg);
}

void
lr_finish(
    struct linereader *lr, const char *p, size_t n, lr_line_fn *fn, void *arg)
{
	bool skipping = lr->skipping;

	/* the line ends here, even if it was dropped to the last byte */
	lr->skipping = false;
	if (n == 0)
		return;
	lr->consumed += n;
	if (skipping)
		return;
	lr->lines++;
	if (n > lr->max_line) {
		lr->oversized++;
		fn(arg, NULL, n);
		return;
	}
	if (p[n - 1] == '\r')
		n--;
	fn(arg, p, n);
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
	lr_finish(lr, lr->buf + lr->start, lr->end - lr->start, fn, arg);
	lr->start = lr->end = 0;
}
