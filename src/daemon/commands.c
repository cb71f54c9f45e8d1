/*
 * commands - the small subcommands: test, list, check-config.
 *
 * DESCRIPTION
 *	test reads a log (a file or standard input) and shows, per line,
 *	which recogniser matched and what it took from the line, like
 *	fail2ban-regex; it changes no state.  list reads the state
 *	database (read-only: the daemon may be running).  check-config
 *	prints every key with its effective value.
 *
 * SECURITY
 *	Log text is printed escaped (a crafted line cannot send escape
 *	sequences to the admin's terminal).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/iptab.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/timefmt.h"
#include "../source/linereader.h"
#include "admin.h"
#include "commands.h"

/* test */

struct tester {
	struct parser parser;
	bool all;
	uint64_t lineno;
	struct sbuf out;
};

static void
test_line(void *arg, const char *p, size_t n)
{
	struct tester *t = arg;
	struct logline ll;
	struct event ev;

	t->lineno++;
	sbuf_reset(&t->out);
	if (parser_line(&t->parser, p, n, NULL, "input", t->lineno, &ev, &ll)) {
		event_format(&ev, &t->out);
		printf("line %llu: %s at %s\n", (unsigned long long)t->lineno,
		    t->out.s, time_str(ev.time));
	} else if (t->all) {
		printf("line %llu: %s\n", (unsigned long long)t->lineno,
		    p == NULL               ? "too long, skipped"
			: ll.line.p == NULL ? "no log header"
					    : "-");
	}
}

int
cmd_test(const struct cli *cli, int argc, char **argv)
{
	struct tester t;
	struct linereader lr;
	struct config *cfg;
	struct dispatch *d;
	const char *file = NULL;
	char *err = NULL;
	struct stat sb;
	int fd = 0;
	ssize_t n;

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			t.all = true;
		else if (file == NULL)
			file = argv[i];
		else {
			fprintf(stderr, "usage: popauth test [-a] [FILE|-]\n");
			return 2;
		}
	}
	cfg = app_load_config(cli);
	if ((d = app_dispatch(cfg, &err)) == NULL)
		msg_fatal("%s", err);
	if (file != NULL && strcmp(file, "-") != 0) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			msg_fatal("%s: %s", file, strerror(errno));
	}
	parser_init(&t.parser, d,
	    fd != 0 && fstat(fd, &sb) == 0 ? (int64_t)sb.st_mtime
					   : (int64_t)time(NULL));
	lr_init(&lr, 1024 * 1024, LR_DEFAULT_MAX_LINE);
	while ((n = lr_read(&lr, fd, test_line, &t)) > 0)
		;
	if (n == 0)
		lr_flush(&lr, test_line, &t);
	else
		msg_error("read error: %s", strerror(errno));
	lr_free(&lr);
	if (fd != 0)
		close(fd);

	const struct parser_stats *ps = &t.parser.st;
	printf("%llu lines:", (unsigned long long)ps->lines);
	for (int k = EVENT_NONE + 1; k < EVENT__COUNT; k++)
		if (ps->events[k])
			printf(" %llu %s,", (unsigned long long)ps->events[k],
			    event_kind_name(k));
	printf(" %llu without a log header, %llu too long, %llu with a bad "
	       "time\n",
	    (unsigned long long)ps->unparsable,
	    (unsigned long long)ps->oversized, (unsigned long long)ps->badtime);
	for (int i = 0; i < PARSER_MAX_RECOGS && ps->recog[i]; i++)
		printf("  %s: %llu\n", ps->recog[i],
		    (unsigned long long)ps->recog_events[i]);
	sbuf_free(&t.out);
	parser_free(&t.parser);
	dispatch_free(d);
	config_free(cfg);
	return 0;
}

/* list */

int
cmd_list(const struct cli *cli, int argc, char **argv)
{
	const char *what = NULL;
	bool all = false;
	struct config *cfg;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0)
			all = true;
		else if (what == NULL)
			what = argv[i];
		else
			what = "";
	}
	if (what != NULL && strcmp(what, "recognisers") == 0) {
		struct sbuf b = SBUF_INIT;
		dispatch_names(&b);
		fputs(b.s ? b.s : "", stdout);
		sbuf_free(&b);
		return 0;
	}
	if (what == NULL ||
	    (strcmp(what, "relays") != 0 && strcmp(what, "blacklist") != 0 &&
		strcmp(what, "bans") != 0)) {
		fprintf(stderr,
		    "usage: popauth list relays [--all]\n"
		    "       popauth list blacklist [--all]\n"
		    "       popauth list bans [--all]\n"
		    "       popauth list recognisers\n");
		return 2;
	}
	cfg = app_load_config(cli);
	rc = admin_list(cfg, what, all);
	config_free(cfg);
	return rc;
}

/* check-config */

int
cmd_check_config(const struct cli *cli, int argc, char **argv)
{
	struct config *cfg;
	struct dispatch *d;
	char *err = NULL;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: popauth check-config\n");
		return 2;
	}
	cfg = app_load_config(cli);
	/* custom patterns and server names are checked by compiling them */
	if ((d = app_dispatch(cfg, &err)) == NULL)
		msg_fatal("%s", err);
	dispatch_free(d);
	config_print(cfg, stdout);
	config_free(cfg);
	return 0;
}
