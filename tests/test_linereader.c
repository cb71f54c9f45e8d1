/*
 * test_linereader - unit tests for src/source/linereader.c: line
 * splitting across any read boundary, CRLF, NUL bytes, the length limit,
 * consumed offsets, the final unterminated line, lr_read on descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/sbuf.h"
#include "source/linereader.h"
#include "tlib.h"

/* what the callback saw, one entry per call */
struct got {
	struct linereader *lr;
	size_t n; /* entries */
	struct entry {
		bool over; /* p == NULL */
		size_t len;
		char *data;
		uint64_t consumed; /* lr->consumed during the call */
	} e[700];
	size_t overflow; /* calls past the table */
};

static void
collect(void *arg, const char *p, size_t n)
{
	struct got *g = arg;

	if (g->n == sizeof(g->e) / sizeof(g->e[0])) {
		g->overflow++;
		return;
	}
	struct entry *e = &g->e[g->n++];
	e->over = p == NULL;
	e->len = n;
	e->data = p ? memcpy(malloc(n + 1), p, n) : NULL;
	if (e->data)
		e->data[n] = 0;
	e->consumed = g->lr->consumed;
}

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->e[i].data);
	g->n = 0;
	g->overflow = 0;
}

/* entry_is - entry i is the line `want' (len bytes), consumed at `at' */
#define T_LINE(g, i, want, wlen, at)                                           \
	do {                                                                   \
		T_OK((g).n > (i));                                             \
		if ((g).n > (i)) {                                             \
			T_OK(!(g).e[i].over);                                  \
			T_EQ_INT((g).e[i].len, (wlen));                        \
			T_OK((g).e[i].data &&memcmp(                           \
				 (g).e[i].data, (want), (wlen)) == 0);         \
			T_EQ_INT((g).e[i].consumed, (at));                     \
		}                                                              \
	} while (0)

#define T_OVER(g, i)                                                           \
	do {                                                                   \
		T_OK((g).n > (i));                                             \
		if ((g).n > (i))                                               \
			T_OK((g).e[i].over);                                   \
	} while (0)

/* feed_chunks - the whole input in chunks of `chunk' bytes */
static void
feed_chunks(
    struct linereader *lr, const char *p, size_t n, size_t chunk, struct got *g)
{
	for (size_t off = 0; off < n; off += chunk)
		lr_feed(
		    lr, p + off, n - off < chunk ? n - off : chunk, collect, g);
}

/* test_basic - a table of small inputs, fed whole */
static void
test_basic(void)
{
	struct linereader lr;
	struct got g = {.lr = &lr};

	lr_init(&lr, 0, 0);
	T_EQ_INT(lr.max_line, LR_DEFAULT_MAX_LINE);
	lr_feed(&lr, "a\nbb\n\nccc\n", 10, collect, &g);
	T_EQ_INT(g.n, 4);
	T_LINE(g, 0, "a", 1, 2);
	T_LINE(g, 1, "bb", 2, 5);
	T_LINE(g, 2, "", 0, 6);
	T_LINE(g, 3, "ccc", 3, 10);
	T_EQ_INT(lr.lines, 4);
	T_EQ_INT(lr.oversized, 0);
	T_EQ_INT(lr.consumed, 10);
	T_EQ_INT(lr_pending(&lr), 0);
	got_free(&g);

	/* CRLF: one "\r" before the "\n" goes, others stay */
	lr_feed(&lr, "a\r\nb\r\n\r\nc\r\r\nd\re\n\rf\n", 19, collect, &g);
	T_EQ_INT(g.n, 6);
	T_LINE(g, 0, "a", 1, 13);
	T_LINE(g, 1, "b", 1, 16);
	T_LINE(g, 2, "", 0, 18);
	T_LINE(g, 3, "c\r", 2, 22);
	T_LINE(g, 4, "d\re", 3, 26);
	T_LINE(g, 5, "\rf", 2, 29);
	got_free(&g);

	/* NUL bytes are content */
	lr_feed(&lr, "a\0b\n\0\n\0\0\0", 9, collect, &g);
	T_EQ_INT(g.n, 2);
	T_LINE(g, 0, "a\0b", 3, 33);
	T_LINE(g, 1, "\0", 1, 35);
	T_EQ_INT(lr_pending(&lr), 3);
	/* the rest of the NUL line */
	lr_feed(&lr, "\0\n", 2, collect, &g);
	T_LINE(g, 2, "\0\0\0\0", 4, 40);
	got_free(&g);

	/* nothing delivered without a newline, until the flush */
	lr_feed(&lr, "partial", 7, collect, &g);
	T_EQ_INT(g.n, 0);
	T_EQ_INT(lr_pending(&lr), 7);
	T_EQ_INT(lr.consumed, 40);
	lr_feed(&lr, " line", 5, collect, &g);
	T_EQ_INT(g.n, 0);
	lr_flush(&lr, collect, &g);
	T_EQ_INT(g.n, 1);
	T_LINE(g, 0, "partial line", 12, 52);
	T_EQ_INT(lr_pending(&lr), 0);
	/* a second flush has nothing to deliver */
	lr_flush(&lr, collect, &g);
	T_EQ_INT(g.n, 1);
	got_free(&g);

	/* a flushed line loses a trailing "\r" too */
	lr_feed(&lr, "x\r", 2, collect, &g);
	lr_flush(&lr, collect, &g);
	T_LINE(g, 0, "x", 1, 54);
	got_free(&g);

	/* empty input */
	lr_feed(&lr, "", 0, collect, &g);
	lr_flush(&lr, collect, &g);
	T_EQ_INT(g.n, 0);
	T_EQ_INT(lr.lines, 4 + 6 + 3 + 1 + 1);

	/* reset: buffered bytes forgotten, consumed set */
	lr_feed(&lr, "stale", 5, collect, &g);
	lr_reset(&lr, 1000);
	T_EQ_INT(lr_pending(&lr), 0);
	lr_feed(&lr, "fresh\n", 6, collect, &g);
	T_EQ_INT(g.n, 1);
	T_LINE(g, 0, "fresh", 5, 1006);
	got_free(&g);
	lr_free(&lr);
	T_OK(lr.buf == NULL);
}

/* test_limit - lines of max_line, max_line + 1, and far more */
static void
test_limit(void)
{
	enum { MAX = 16 };
	char line[64];
	struct linereader lr;
	struct got g = {.lr = &lr};

	memset(line, 'x', sizeof(line));
	for (size_t chunk = 1; chunk <= 40; chunk++) {
		struct sbuf in = SBUF_INIT;
		char name[32];

		snprintf(name, sizeof(name), "chunk %zu", chunk);
		T_CASE(name);
		lr_init(&lr, 0, MAX);
		T_OK(lr.cap >= MAX + 2);
		sbuf_adds(&in, "first\n");
		sbuf_add(&in, line, MAX); /* exactly max_line */
		sbuf_adds(&in, "\n");
		sbuf_add(&in, line, MAX + 1); /* one too many */
		sbuf_adds(&in, "\nmid\n");
		sbuf_add(&in, line, MAX - 1); /* with CR: MAX in total */
		sbuf_adds(&in, "\r\n");
		sbuf_add(&in, line, 50);
		sbuf_adds(&in, "\nlast\n");
		feed_chunks(&lr, in.s, in.len, chunk, &g);
		T_EQ_INT(g.n, 7);
		T_LINE(g, 0, "first", 5, 6);
		T_LINE(g, 1, line, MAX, 6 + MAX + 1);
		T_OVER(g, 2);
		if (g.n > 2)
			T_EQ_INT(g.e[2].len, MAX + 1);
		size_t at = 6 + MAX + 1 + MAX + 2 + 4;
		T_LINE(g, 3, "mid", 3, at);
		at += MAX - 1 + 2;
		T_LINE(g, 4, line, MAX - 1, at);
		T_OVER(g, 5);
		/* "last" comes after the report, intact */
		T_LINE(g, 6, "last", 4, in.len);
		T_EQ_INT(lr.lines, 7);
		T_EQ_INT(lr.oversized, 2);
		T_EQ_INT(lr.consumed, in.len);
		got_free(&g);
		sbuf_free(&in);
		lr_free(&lr);
		if (t_failures)
			break;
	}
	T_CASE(NULL);
}

/* run - the entries for input (p, n) fed in chunks; with a final flush */
static void
run(struct got *g, struct linereader *lr, size_t max, const char *p, size_t n,
    size_t chunk)
{
	lr_init(lr, 0, max);
	g->lr = lr;
	feed_chunks(lr, p, n, chunk, g);
	lr_flush(lr, collect, g);
}

/* same_result - two runs saw the same lines (an over-long line's length
 * "so far" may differ with the chunking; that it was over-long may not) */
static void
same_result(const struct got *a, const struct linereader *la,
    const struct got *b, const struct linereader *lb, size_t max)
{
	T_EQ_INT(a->n, b->n);
	T_EQ_INT(a->overflow, b->overflow);
	T_EQ_INT(la->lines, lb->lines);
	T_EQ_INT(la->oversized, lb->oversized);
	T_EQ_INT(la->consumed, lb->consumed);
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		const struct entry *x = &a->e[i], *y = &b->e[i];

		T_EQ_INT(x->over, y->over);
		if (x->over) {
			T_OK(x->len > max && y->len > max);
			continue;
		}
		T_EQ_INT(x->len, y->len);
		T_OK(x->len == y->len && memcmp(x->data, y->data, x->len) == 0);
		T_EQ_INT(x->consumed, y->consumed);
	}
}

/* test_huge_line - 1 MB without a newline in the middle of a stream */
static void
test_huge_line(void)
{
	enum { BIG = 1024 * 1024 };
	struct sbuf in = SBUF_INIT;
	struct linereader lr;
	struct got g = {.lr = &lr};
	char *big = malloc(BIG);

	memset(big, 'y', BIG);
	sbuf_adds(&in, "before\n");
	sbuf_add(&in, big, BIG);
	sbuf_adds(&in, "\nafter\n\nend");

	static const size_t chunks[] = {BIG * 2, 65536, 4096, 4093, 1000, 7};
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		char name[32];

		snprintf(name, sizeof(name), "chunk %zu", chunks[c]);
		T_CASE(name);
		run(&g, &lr, 0, in.s, in.len, chunks[c]);
		T_EQ_INT(g.n, 5);
		T_LINE(g, 0, "before", 6, 7);
		T_OVER(g, 1);
		/* reported once: its length so far, more than the limit */
		if (g.n > 1)
			T_OK(g.e[1].len > LR_DEFAULT_MAX_LINE);
		T_LINE(g, 2, "after", 5, 7 + BIG + 1 + 6);
		T_LINE(g, 3, "", 0, 7 + BIG + 1 + 7);
		T_LINE(g, 4, "end", 3, in.len);
		T_EQ_INT(lr.lines, 5);
		T_EQ_INT(lr.oversized, 1);
		T_EQ_INT(lr.consumed, in.len);
		/* memory stays bounded by the buffer */
		T_OK(lr.cap < 4 * LR_DEFAULT_MAX_LINE);
		got_free(&g);
		lr_free(&lr);
	}
	T_CASE(NULL);

	/* byte by byte with a small limit, the same as one block */
	struct linereader l1, l2;
	struct got g1 = {0}, g2 = {0};
	run(&g1, &l1, 100, in.s, in.len, in.len);
	run(&g2, &l2, 100, in.s, in.len, 1);
	T_EQ_INT(g1.n, 5);
	same_result(&g1, &l1, &g2, &l2, 100);
	got_free(&g1);
	got_free(&g2);
	lr_free(&l1);
	lr_free(&l2);

	/* an over-long last line without a newline: flushed silently
	 * (it was reported), and the reader is usable again */
	sbuf_reset(&in);
	sbuf_adds(&in, "ok\n");
	sbuf_add(&in, big, 1000);
	lr_init(&lr, 0, 100);
	lr_feed(&lr, in.s, in.len, collect, &g);
	T_EQ_INT(g.n, 2);
	T_OVER(g, 1);
	lr_flush(&lr, collect, &g);
	T_EQ_INT(g.n, 2);
	T_EQ_INT(lr.consumed, in.len);
	lr_feed(&lr, "next\n", 5, collect, &g);
	T_EQ_INT(g.n, 3);
	T_LINE(g, 2, "next", 4, in.len + 5);
	got_free(&g);
	lr_free(&lr);

	/* the same when the over-long tail was dropped to the last byte
	 * (nothing left in the buffer at the flush): what comes after
	 * the flush is a new line, not more of the skipped one */
	lr_init(&lr, 0, 100);
	T_EQ_INT(lr.cap, 102);
	lr_feed(&lr, big, 102, collect, &g);
	T_EQ_INT(g.n, 1);
	T_OVER(g, 0);
	T_EQ_INT(lr_pending(&lr), 0);
	lr_flush(&lr, collect, &g);
	T_EQ_INT(g.n, 1);
	lr_feed(&lr, "next\n", 5, collect, &g);
	T_EQ_INT(g.n, 2);
	T_LINE(g, 1, "next", 4, 102 + 5);
	T_EQ_INT(lr.lines, 2);
	got_free(&g);
	lr_free(&lr);
	sbuf_free(&in);
	free(big);
}

/* test_chunking - random streams: every chunk size gives the same */
static void
test_chunking(void)
{
	static const char alphabet[] = "ab\r\n\n\0 x";
	enum { MAX = 24 };

	srand(2024);
	for (int round = 0; round < 200; round++) {
		char in[600];
		size_t n = (size_t)(rand() % (int)sizeof(in));
		struct linereader ref, lr;
		struct got gref = {0}, g = {0};

		for (size_t i = 0; i < n; i++) {
			/* sometimes a long run without a newline */
			if (rand() % 50 == 0) {
				size_t run_len = (size_t)(rand() % 80);
				for (size_t k = 0; k < run_len && i < n; k++)
					in[i++] = 'L';
				if (i >= n)
					break;
			}
			in[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		}
		run(&gref, &ref, MAX, in, n, n ? n : 1);
		/* the model: split by hand */
		size_t start = 0, k = 0, lines = 0;
		int bad = 0;
		for (size_t i = 0; i <= n; i++) {
			if (i < n && in[i] != '\n')
				continue;
			size_t len = i - start;
			if (i == n && len == 0)
				break;
			lines++;
			if (len > MAX) {
				if (k >= gref.n || !gref.e[k].over)
					bad++;
			} else {
				if (len > 0 && in[start + len - 1] == '\r')
					len--;
				if (k >= gref.n || gref.e[k].over ||
				    gref.e[k].len != len ||
				    memcmp(gref.e[k].data, in + start, len) !=
					0)
					bad++;
			}
			k++;
			start = i + 1;
		}
		T_EQ_INT(bad, 0);
		T_EQ_INT(gref.n, k);
		T_EQ_INT(ref.lines, lines);
		T_EQ_INT(ref.consumed, n);
		for (size_t chunk = 1; chunk <= 70;
		     chunk += chunk < 10 ? 1 : 13) {
			run(&g, &lr, MAX, in, n, chunk);
			same_result(&gref, &ref, &g, &lr, MAX);
			got_free(&g);
			lr_free(&lr);
		}
		got_free(&gref);
		lr_free(&ref);
		if (t_failures)
			break;
	}
}

/* test_read - lr_read on a file and on a non-blocking pipe */
static void
test_read(void)
{
	char path[4096];
	struct sbuf in = SBUF_INIT;
	struct linereader lr, lref;
	struct got g = {0}, gref = {0};
	ssize_t n;
	int fd;

	/* a file bigger than the buffer, with a few over-long lines */
	srand(77);
	for (int i = 0; i < 3000; i++) {
		int len = rand() % 100 == 0 ? 20000 : rand() % 200;
		for (int k = 0; k < len; k++)
			sbuf_addc(&in, (char)('a' + k % 26));
		sbuf_adds(&in, i % 3 ? "\n" : "\r\n");
	}
	sbuf_adds(&in, "tail");
	snprintf(path, sizeof(path), "%s/log", t_tmpdir());
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	T_OK(fd >= 0);
	T_EQ_INT(write(fd, in.s, in.len), in.len);
	close(fd);

	run(&gref, &lref, 1000, in.s, in.len, in.len);
	T_OK(gref.overflow > 0); /* more lines than the table holds */
	lr_init(&lr, 4096, 1000);
	g.lr = &lr;
	fd = open(path, O_RDONLY);
	size_t total = 0;
	while ((n = lr_read(&lr, fd, collect, &g)) > 0)
		total += (size_t)n;
	T_EQ_INT(n, 0);
	T_EQ_INT(total, in.len);
	T_EQ_INT(lr_pending(&lr), 4);
	lr_flush(&lr, collect, &g);
	close(fd);
	same_result(&gref, &lref, &g, &lr, 1000);
	T_EQ_INT(lr.consumed, in.len);
	got_free(&g);
	got_free(&gref);
	lr_free(&lr);
	lr_free(&lref);
	sbuf_free(&in);

	/* a pipe: EAGAIN when empty, lines as they come, 0 at EOF */
	int p[2];
	T_OK(pipe2(p, O_NONBLOCK) == 0);
	lr_init(&lr, 0, 0);
	g.lr = &lr;
	errno = 0;
	T_EQ_INT(lr_read(&lr, p[0], collect, &g), -1);
	T_EQ_INT(errno, EAGAIN);
	T_OK(write(p[1], "one\ntw", 6) == 6);
	T_EQ_INT(lr_read(&lr, p[0], collect, &g), 6);
	T_EQ_INT(g.n, 1);
	T_LINE(g, 0, "one", 3, 4);
	T_OK(write(p[1], "o\n", 2) == 2);
	close(p[1]);
	T_EQ_INT(lr_read(&lr, p[0], collect, &g), 2);
	T_LINE(g, 1, "two", 3, 8);
	T_EQ_INT(lr_read(&lr, p[0], collect, &g), 0);
	close(p[0]);
	got_free(&g);
	lr_free(&lr);
}

/* test_small_buffer - a buffer smaller than a line is enlarged */
static void
test_small_buffer(void)
{
	struct linereader lr;
	struct got g = {.lr = &lr};
	char line[101];

	lr_init(&lr, 10, 100);
	T_OK(lr.cap >= 102);
	memset(line, 'z', 100);
	line[100] = '\n';
	for (int i = 0; i < 5; i++)
		lr_feed(&lr, line, sizeof(line), collect, &g);
	T_EQ_INT(g.n, 5);
	for (size_t i = 0; i < g.n; i++)
		T_LINE(g, i, line, 100, 101 * (i + 1));
	got_free(&g);
	lr_free(&lr);
}

int
main(void)
{
	/* twice: with the widest newline scan the CPU has, then with the
	 * baseline one */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			lr_narrow_simd();
		test_basic();
		test_limit();
		test_huge_line();
		test_chunking();
		test_read();
		test_small_buffer();
	}
	return t_done();
}
