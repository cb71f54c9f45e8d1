/*
 * test_source - log_sources items: which are accepted, which are refused
 * and with what message; what every kind reports before it starts.
 */
#include <stdlib.h>
#include <string.h>

#include "source/source.h"
#include "tlib.h"

static void
on_line(void *arg, struct source *src, const char *p, size_t n,
    const struct logline *pre)
{
	(void)arg;
	(void)src;
	(void)p;
	(void)n;
	(void)pre;
}

static void
test_valid(void)
{
	static const struct {
		const char *spec;
		enum source_kind kind;
		bool has_pos;
	} cases[] = {
	    {"file:/var/log/mail.log", SOURCE_FILE, true},
	    {"file:/mail.log", SOURCE_FILE, true},
	    {"fifo:/var/spool/popauth/fifo", SOURCE_FIFO, false},
	    {"stdin", SOURCE_STDIN, false},
#ifdef HAVE_JOURNAL
	    {"journal", SOURCE_JOURNAL, true},
	    {"journal:/var/log/journal", SOURCE_JOURNAL, true},
#endif
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;
		struct source_pos pos;
		struct source_stats st;
		struct source *src;

		T_CASE(cases[i].spec);
		src =
		    source_new(cases[i].spec, NULL, on_line, NULL, NULL, &err);
		T_OK(src != NULL);
		T_OK(err == NULL);
		if (src == NULL)
			continue;
		T_EQ_STR(source_spec(src), cases[i].spec);
		T_EQ_INT(source_kind(src), cases[i].kind);
		T_EQ_INT(source_get_pos(src, &pos), cases[i].has_pos);
		T_EQ_INT(pos.offset, 0);
		T_EQ_STR(pos.cursor, "");
		source_get_stats(src, &st);
		T_EQ_INT(st.lines + st.bytes + st.oversized, 0);
		source_drain(src); /* not started: nothing happens */
		source_reopen(src);
		source_free(src);
	}
	source_free(NULL);
}

static void
test_invalid(void)
{
	static const struct {
		const char *spec, *why;
	} cases[] = {
	    {"", "unknown log source"},
	    {"bogus", "unknown log source \"bogus\""},
	    {"FILE:/var/log/mail.log", "unknown log source"},
	    {"stdin:x", "unknown log source"},
	    {"journalx", "unknown log source"},
	    {"file:", "must be absolute"},
	    {"file:var/log/mail.log", "must be absolute"},
	    {"file:/var/log/", "names a directory"},
	    {"fifo:", "must be absolute"},
	    {"fifo:spool/fifo", "must be absolute"},
#ifdef HAVE_JOURNAL
	    {"journal:", "must be absolute"},
	    {"journal:log/journal", "must be absolute"},
#else
	    {"journal", "without systemd journal support"},
#endif
	    {"bogus\x1b[2J", "\\x1b[2J"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;
		struct source *src;

		T_CASE(cases[i].spec);
		src =
		    source_new(cases[i].spec, NULL, on_line, NULL, NULL, &err);
		T_OK(src == NULL);
		T_OK(err != NULL && strstr(err, cases[i].why) != NULL);
		if (err && !strstr(err, cases[i].why))
			fprintf(stderr, "  err: %s\n", err);
		free(err);
		source_free(src);
	}
}

int
main(void)
{
	t_msg_capture();
	test_valid();
	test_invalid();
	return t_done();
}
