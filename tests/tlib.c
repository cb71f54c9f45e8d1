/*
 * tlib - the small test harness every tests/test_<module>.c uses.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/ipaddr.h"
#include "lib/loop.h"
#include "lib/mem.h"
#include "lib/msg.h"
#include "lib/sbuf.h"
#include "parse/header.h"
#include "parse/recog.h"
#include "policy/event.h"
#include "tlib.h"

int t_failures;
int t_checks;
const char *t_case;

static char tmpdir[4096];
static char **captured;
static size_t ncaptured;

void
t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t_failures++;
	fprintf(stderr, "FAIL %s:%d%s%s%s: ", file, line,
	    t_case ? " [case " : "", t_case ? t_case : "", t_case ? "]" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
t_done(void)
{
	fprintf(stderr, "%d checks, %d failures\n", t_checks, t_failures);
	if (tmpdir[0] && t_failures == 0)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < ncaptured; i++)
		free(captured[i]);
	free(captured);
	return t_failures ? 1 : 0;
}

const char *
t_tmpdir(void)
{
	if (tmpdir[0] == 0) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/popauth-test-XXXXXX",
		    base ? base : "/tmp");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return tmpdir;
}

static void
capture(enum msg_level level, const char *text, void *arg)
{
	static const char *const names[] = {
	    "debug", "info", "warning", "error", "fatal", "panic"};
	size_t n = strlen(text) + 16;
	char *s = malloc(n);

	(void)arg;
	snprintf(s, n, "%s: %s", names[level], text);
	captured = realloc(captured, (ncaptured + 1) * sizeof(*captured));
	captured[ncaptured++] = s;
	if (getenv("T_VERBOSE"))
		fprintf(stderr, "  msg %s\n", s);
}

void
t_msg_capture(void)
{
	msg_set_level(MSG_DEBUG);
	msg_set_hook(capture, NULL);
}

int
t_msg_count(const char *needle)
{
	int n = 0;

	for (size_t i = 0; i < ncaptured; i++)
		if (strstr(captured[i], needle))
			n++;
	return n;
}

bool
t_msg_has(const char *needle)
{
	return t_msg_count(needle) > 0;
}

void
t_msg_clear(void)
{
	for (size_t i = 0; i < ncaptured; i++)
		free(captured[i]);
	ncaptured = 0;
}

void
t_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(content, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

void
t_run_loop(
    struct loop *loop, const size_t *count, size_t want, int ms, int grace)
{
	uint64_t end = loop_clock_ms() + (uint64_t)ms;

	while ((want == 0 || *count < want) && loop_clock_ms() < end)
		loop_run_once(loop, 20);
	end = loop_clock_ms() + (uint64_t)grace;
	while (loop_clock_ms() < end)
		loop_run_once(loop, 10);
}

bool
t_recog_feed(const struct recog *rc, void *state, const char *line, size_t n,
    int lo, int hi, struct sbuf *out, struct ipaddr *ip)
{
	struct logline ll;
	struct event ev;

	sbuf_reset(out);
	sbuf_adds(out, "");
	memset(&ev, 0, sizeof(ev));
	if (!header_split(&ll, line, n) || !rc->match(state, &ll, &ev))
		return false;
	ev.recog = rc->name;
	T_OK((int)ev.kind >= lo && (int)ev.kind <= hi);
	/* a skim never drops a line the recogniser takes */
	T_OK(rc->skim == NULL || rc->skim(ll.msg));
	event_format(&ev, out);
	*ip = ev.ip;
	return true;
}

void
t_recog_case(const struct recog *rc, const char *name, const char *const *lines,
    int max, const char *want, bool nocut, int lo, int hi, const char *decoy)
{
	struct sbuf out = SBUF_INIT;
	struct ipaddr ip = {0}, ip2, bad;
	const char *last = NULL;
	void *state;
	bool got = false;
	int nl;

	T_CASE(name);
	T_OK(rc != NULL);
	if (rc == NULL)
		return;
	state = rc->state_new ? rc->state_new() : NULL;
	for (nl = 0; nl < max && lines[nl]; nl++) {
		last = lines[nl];
		got = t_recog_feed(
		    rc, state, last, strlen(last), lo, hi, &out, &ip);
	}
	T_EQ_STR(got ? out.s : NULL, want);
	if (decoy != NULL) {
		ipaddr_parse(&bad, decoy, strlen(decoy));
		T_OK(!got || !ipaddr_equal(&ip, &bad));
	}
	if (rc->state_free)
		rc->state_free(state);

	/* every shorter cut of the last line: no event or the same IP */
	if (want && !nocut) {
		for (size_t k = 0; k < strlen(last); k++) {
			state = rc->state_new ? rc->state_new() : NULL;
			for (int i = 0; i + 1 < nl; i++)
				t_recog_feed(rc, state, lines[i],
				    strlen(lines[i]), lo, hi, &out, &ip2);
			if (t_recog_feed(
				rc, state, last, k, lo, hi, &out, &ip2) &&
			    !ipaddr_equal(&ip, &ip2))
				t_fail(__FILE__, __LINE__,
				    "cut at %zu: event for %s: %s", k,
				    ipaddr_str(&ip2), out.s);
			t_checks++;
			if (rc->state_free)
				rc->state_free(state);
		}
	}
	sbuf_free(&out);
	T_CASE(NULL);
}

void
t_lines_add(struct t_lines *g, const char *p, size_t n)
{
	struct sbuf b = SBUF_INIT;

	if (p == NULL)
		sbuf_adds(&b, "<LONG>");
	for (size_t i = 0; p != NULL && i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 32 && c < 127)
			sbuf_addc(&b, (char)c);
		else
			sbuf_printf(&b, "\\x%02x", c);
	}
	if (b.s == NULL)
		sbuf_adds(&b, "");
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->lines = xreallocarray(g->lines, g->cap, sizeof(char *));
	}
	g->lines[g->n++] = sbuf_detach(&b);
}

void
t_lines_reset(struct t_lines *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->lines[i]);
	g->n = 0;
}

void
t_lines_free(struct t_lines *g)
{
	t_lines_reset(g);
	free(g->lines);
	g->lines = NULL;
	g->cap = 0;
}

void
t_lines_expect(struct t_lines *g, const char *const *want, size_t nwant)
{
	T_EQ_INT(g->n, nwant);
	for (size_t i = 0; i < nwant && i < g->n; i++)
		T_EQ_STR(g->lines[i], want[i]);
	if (g->n != nwant)
		for (size_t i = 0; i < g->n; i++)
			fprintf(stderr, "  got[%zu] = %s\n", i, g->lines[i]);
	t_lines_reset(g);
}

int
t_open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

double
t_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
