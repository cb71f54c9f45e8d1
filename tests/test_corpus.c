/*
 * test_corpus - run every tests/corpus/NAME.txt through the dispatcher
 * with all built-in recognisers.
 *
 * File format (origins of the lines: tests/corpus/SOURCES.md):
 *	# comment lines and blank lines are ignored
 *	L <a complete log line>
 *	E <event_format() output for that line>   or   E -   for no event
 * Lines are split with header_split exactly as the daemon does (a line
 * it refuses is no event).  One dispatcher per file, lines in order, so
 * the two-line servers see their connect lines.  Every mismatch is
 * reported as file:line.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "parse/dispatch.h"
#include "parse/header.h"
#include "policy/event.h"
#include "tlib.h"

static int ncases, nevents;

/* check_line - dispatch line, compare with want ("-" = no event) */
static void
check_line(struct dispatch *d, const char *path, int lineno, const char *line,
    const char *want)
{
	struct sbuf got = SBUF_INIT;
	struct logline ll;
	struct event ev;

	if (header_split(&ll, line, strlen(line)) && dispatch_line(d, &ll, &ev))
		event_format(&ev, &got);
	else
		sbuf_adds(&got, "-");
	t_checks++;
	ncases++;
	nevents += strcmp(want, "-") != 0;
	if (strcmp(got.s, want) != 0)
		t_fail(path, lineno, "\n  line %s\n  got  %s\n  want %s", line,
		    got.s, want);
	sbuf_free(&got);
}

/* run_file - one corpus file */
static void
run_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct dispatch *d = dispatch_new(NULL, NULL);
	char *buf = NULL, *pending = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, pending_no = 0;

	if (f == NULL) {
		t_fail(path, 0, "cannot open");
		dispatch_free(d);
		return;
	}
	while ((n = getline(&buf, &cap, f)) != -1) {
		lineno++;
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = 0;
		if (n == 0 || buf[0] == '#')
			continue;
		if (strncmp(buf, "L ", 2) == 0) {
			if (pending)
				t_fail(path, pending_no, "L without E");
			free(pending);
			pending = strdup(buf + 2);
			pending_no = lineno;
		} else if (strncmp(buf, "E ", 2) == 0) {
			if (pending == NULL) {
				t_fail(path, lineno, "E without L");
				continue;
			}
			check_line(d, path, pending_no, pending, buf + 2);
			free(pending);
			pending = NULL;
		} else {
			t_fail(path, lineno, "neither L, E, # nor blank");
		}
	}
	if (pending)
		t_fail(path, pending_no, "L without E at end of file");
	free(pending);
	free(buf);
	fclose(f);
	dispatch_free(d);
}

/* by_name - qsort comparator for file names */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* main - run the tests; exit status is the verdict */
int
main(void)
{
	const char *src = getenv("SRCDIR");
	char dir[4096], path[8192];
	char **names = NULL;
	size_t nn = 0;
	DIR *dp;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/tests/corpus", src ? src : "..");
	if ((dp = opendir(dir)) == NULL) {
		t_fail(
		    __FILE__, __LINE__, "cannot open %s (SRCDIR unset?)", dir);
		return t_done();
	}
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".txt") == 0) {
			names = realloc(names, (nn + 1) * sizeof(*names));
			names[nn++] = strdup(de->d_name);
		}
	}
	closedir(dp);
	qsort(names, nn, sizeof(*names), by_name);
	for (size_t i = 0; i < nn; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		run_file(path);
		free(names[i]);
	}
	free(names);
	fprintf(stderr, "%zu files, %d lines, %d events expected\n", nn, ncases,
	    nevents);
	T_OK(nn > 0);
	T_OK(nevents > 0);
	return t_done();
}
