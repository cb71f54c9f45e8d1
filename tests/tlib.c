/*
 * tlib - the small test harness every tests/test_<module>.c uses.
 */
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/msg.h"
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
