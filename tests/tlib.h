/*
 * tlib - the small test harness every tests/test_<module>.c uses.
 *
 * Table-driven tests name the case that failed (T_CASE), checks report
 * file:line with got/want, and the program's exit status is the verdict
 * (meson's exitcode protocol).
 */
#ifndef POPAUTH_TLIB_H
#define POPAUTH_TLIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int t_failures;
extern int t_checks;
extern const char *t_case; /* name of the current table case, or NULL */

void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define T_CASE(name) (t_case = (name))

#define T_OK(cond)                                                             \
	do {                                                                   \
		t_checks++;                                                    \
		if (!(cond))                                                   \
			t_fail(__FILE__, __LINE__, "expected: %s", #cond);     \
	} while (0)

#define T_EQ_INT(got, want)                                                    \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		t_checks++;                                                    \
		if (g_ != w_)                                                  \
			t_fail(__FILE__, __LINE__, "%s = %lld, want %lld",     \
			    #got, g_, w_);                                     \
	} while (0)

#define T_EQ_STR(got, want)                                                    \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		t_checks++;                                                    \
		if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0) \
			t_fail(__FILE__, __LINE__, "%s = \"%s\", want \"%s\"", \
			    #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");     \
	} while (0)

/* compare a (pointer, length) span with a C string */
#define T_EQ_SPAN(span, want)                                                  \
	do {                                                                   \
		const char *w_ = (want);                                       \
		t_checks++;                                                    \
		if ((span).n != strlen(w_) ||                                  \
		    ((span).n && memcmp((span).p, w_, (span).n) != 0))         \
			t_fail(__FILE__, __LINE__,                             \
			    "%s = \"%.*s\", want \"%s\"", #span,               \
			    (int)(span).n, (span).p ? (span).p : "", w_);      \
	} while (0)

/* t_done - print a summary; return value for main */
int t_done(void);

/* t_tmpdir - a fresh directory under $TMPDIR for this test (removed by
 * t_done unless the test failed); returns its path */
const char *t_tmpdir(void);

/* t_msg_capture - collect popauth's log messages in memory */
void t_msg_capture(void);
/* t_msg_has - true if a captured message contains `needle' */
bool t_msg_has(const char *needle);
void t_msg_clear(void);
/* t_msg_count - captured messages that contain `needle' */
int t_msg_count(const char *needle);

struct loop;

/* t_run_loop - turn the loop until *count reaches want (want 0: for ms
 * milliseconds), at most ms; then `grace' ms more, so that anything extra
 * that would arrive shows */
void t_run_loop(
    struct loop *loop, const size_t *count, size_t want, int ms, int grace);

/* t_write_file - create/replace a file with the given content */
void t_write_file(const char *path, const char *content);

/*
 * t_lines - what a source delivered, line by line: printable bytes as
 * they are, others as \xNN, "<LONG>" for a line skipped as over-long.
 */
struct t_lines {
	char **lines;
	size_t n, cap;
	int eofs; /* end-of-input callbacks seen (for the caller to count) */
};

void t_lines_add(struct t_lines *g, const char *p, size_t n);
void t_lines_reset(struct t_lines *g); /* forget the lines */
void t_lines_free(struct t_lines *g);
/* t_lines_expect - the lines are exactly want[0..nwant) (all of them are
 * printed on a mismatch); then forget them */
void t_lines_expect(struct t_lines *g, const char *const *want, size_t nwant);

#define T_EXPECT_LINES(g, ...)                                                 \
	do {                                                                   \
		static const char *const w_[] = {__VA_ARGS__};                 \
		t_lines_expect((g), w_, sizeof(w_) / sizeof(w_[0]));           \
	} while (0)

/* t_open_fds - how many descriptors are open (to find leaks) */
int t_open_fds(void);

/* t_cpu_seconds - user + system time of this process so far */
double t_cpu_seconds(void);

struct recog;
struct sbuf;
struct ipaddr;

/*
 * t_recog_feed - split one line (n bytes) and run recogniser rc on it
 * (state: what its state_new gave, or NULL); true with the event
 * (event_format text) in out and its address in *ip.  Checks that the
 * event's kind is within [lo, hi] and that rc's skim, if it has one, lets
 * the line through.
 */
bool t_recog_feed(const struct recog *rc, void *state, const char *line,
    size_t n, int lo, int hi, struct sbuf *out, struct ipaddr *ip);

/*
 * t_recog_case - one table case for recogniser rc: lines (at most max,
 * NULL-terminated before that) fed in a fresh state, where the last
 * line's event must be want (NULL: none) and must not be for the address
 * decoy (NULL: no decoy); then, unless nocut, every shorter cut of the
 * last line gives no event or one for the same address.
 */
void
t_recog_case(const struct recog *rc, const char *name, const char *const *lines,
    int max, const char *want, bool nocut, int lo, int hi, const char *decoy);

#endif
