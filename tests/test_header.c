/*
 * test_header - unit tests for src/parse/header.c: header_split on every
 * accepted form and on garbage, header_time / ts_parse_text (year
 * inference, time zones, invalid stamps).
 */
#include <stdlib.h>
#include <time.h>

#include "parse/header.h"
#include "tlib.h"

/* utc - epoch seconds of a UTC wall time */
static int64_t
utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

/* set_tz - switch the local time zone of this process */
static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* split - header_split on an exact-size heap copy, so that a read past
 * the end is caught by ASan; *copy must be freed */
static bool
split(struct logline *ll, const char *line, size_t n, char **copy)
{
	*copy = malloc(n ? n : 1);
	memcpy(*copy, line, n);
	return header_split(ll, *copy, n);
}

/* in_line - the span lies inside the line (or is empty) */
static bool
in_line(struct span s, const char *p, size_t n)
{
	if (s.n == 0)
		return true;
	return s.p >= p && s.p + s.n <= p + n;
}

/* test_split - the accepted forms, field by field */
static void
test_split(void)
{
	static const struct {
		const char *line;
		enum ts_kind kind;
		const char *ts, *host, *prog, *pid, *msg;
	} cases[] = {
	    /* RFC 3164, both day styles */
	    {"Nov  6 19:12:38 mail postfix/smtpd[12]: connect from x", TS_BSD,
		"Nov  6 19:12:38", "mail", "postfix/smtpd", "12",
		"connect from x"},
	    {"Nov 06 19:12:38 mail postfix/smtpd[12]: connect from x", TS_BSD,
		"Nov 06 19:12:38", "mail", "postfix/smtpd", "12",
		"connect from x"},
	    {"Nov 26 19:12:38 mail-1.example.org dovecot: imap-login: Login: "
	     "user=<a>",
		TS_BSD, "Nov 26 19:12:38", "mail-1.example.org", "dovecot", "",
		"imap-login: Login: user=<a>"},
	    {"Nov 26 19:12:38 mail postfix/submission/smtpd[12]: x", TS_BSD,
		"Nov 26 19:12:38", "mail", "postfix/submission/smtpd", "12",
		"x"},
	    {"Nov 26 19:12:38 2001:db8::1 postfix/smtpd[12]: x", TS_BSD,
		"Nov 26 19:12:38", "2001:db8::1", "postfix/smtpd", "12", "x"},
	    {"Nov 26 19:12:38 192.0.2.7 popa3d[999999]: x", TS_BSD,
		"Nov 26 19:12:38", "192.0.2.7", "popa3d", "999999", "x"},
	    {"Nov 26 19:12:38 h prog[]: empty pid", TS_BSD, "Nov 26 19:12:38",
		"h", "prog", "", "empty pid"},
	    {"Nov 26 19:12:38 h perdition.pop3s[7]: a: b: c", TS_BSD,
		"Nov 26 19:12:38", "h", "perdition.pop3s", "7", "a: b: c"},
	    {"Nov 26 19:12:38 h prog:with:colons: msg", TS_BSD,
		"Nov 26 19:12:38", "h", "prog:with:colons", "", "msg"},
	    {"Nov 26 19:12:38 h prog:", TS_BSD, "Nov 26 19:12:38", "h", "prog",
		"", ""},
	    {"Nov 26 19:12:38 h prog[3]:", TS_BSD, "Nov 26 19:12:38", "h",
		"prog", "3", ""},
	    {"Nov 26 19:12:38 h prog[3]:  two spaces", TS_BSD,
		"Nov 26 19:12:38", "h", "prog", "3", " two spaces"},
	    {"Nov 26 19:12:38 h prog[3]:\tx", TS_BSD, "Nov 26 19:12:38", "h",
		"prog", "3", "\tx"},
	    /* RFC 3339 */
	    {"2026-11-26T19:12:38.123456+01:00 mail postfix/smtpd[12]: x",
		TS_ISO, "2026-11-26T19:12:38.123456+01:00", "mail",
		"postfix/smtpd", "12", "x"},
	    {"2026-11-26T19:12:38Z mail dovecot[1]: x", TS_ISO,
		"2026-11-26T19:12:38Z", "mail", "dovecot", "1", "x"},
	    {"2026-11-26T19:12:38-0500 mail dovecot: x", TS_ISO,
		"2026-11-26T19:12:38-0500", "mail", "dovecot", "", "x"},
	    {"2026-11-26T19:12:38 mail dovecot: x", TS_ISO,
		"2026-11-26T19:12:38", "mail", "dovecot", "", "x"},
	    {"2026-11-26 19:12:38 mail dovecot: x", TS_ISO,
		"2026-11-26 19:12:38", "mail", "dovecot", "", "x"},
	    {"2026-11-26 19:12:38.5 mail dovecot: x", TS_ISO,
		"2026-11-26 19:12:38.5", "mail", "dovecot", "", "x"},
	    /* Dovecot's own log: no host */
	    {"Nov 26 19:47:27 pop3-login: Info: Login: user=<bob>, "
	     "method=PLAIN, rip=192.0.2.1",
		TS_BSD, "Nov 26 19:47:27", "", "pop3-login", "",
		"Info: Login: user=<bob>, method=PLAIN, rip=192.0.2.1"},
	    {"Nov 26 19:47:27 "
	     "imap(bob)<2665><1E+YNjNhF5kAAAAAAAAAAAAAAAAAAAAB>: "
	     "Info: Disconnected: Logged out",
		TS_BSD, "Nov 26 19:47:27", "",
		"imap(bob)<2665><1E+YNjNhF5kAAAAAAAAAAAAAAAAAAAAB>", "",
		"Info: Disconnected: Logged out"},
	    {"2026-11-26 19:47:27 imap-login: Info: Login: user=<bob>", TS_ISO,
		"2026-11-26 19:47:27", "", "imap-login", "",
		"Info: Login: user=<bob>"},
	    {"Nov 26 19:47:27 dovecot[5]: x", TS_BSD, "Nov 26 19:47:27", "",
		"dovecot", "5", "x"},
	    /* a leading syslog priority */
	    {"<22>Nov 26 19:12:38 mail postfix/smtpd[12]: x", TS_BSD,
		"Nov 26 19:12:38", "mail", "postfix/smtpd", "12", "x"},
	    {"<0>Nov 26 19:12:38 mail p: x", TS_BSD, "Nov 26 19:12:38", "mail",
		"p", "", "x"},
	    {"<191>2026-11-26T19:12:38Z mail p: x", TS_ISO,
		"2026-11-26T19:12:38Z", "mail", "p", "", "x"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct logline ll;
		char *copy;
		size_t n = strlen(cases[i].line);

		T_CASE(cases[i].line);
		T_OK(split(&ll, cases[i].line, n, &copy));
		T_EQ_INT(ll.tskind, cases[i].kind);
		T_EQ_SPAN(ll.ts, cases[i].ts);
		T_EQ_SPAN(ll.host, cases[i].host);
		T_EQ_SPAN(ll.prog, cases[i].prog);
		T_EQ_SPAN(ll.pid, cases[i].pid);
		T_EQ_SPAN(ll.msg, cases[i].msg);
		T_OK(ll.line.p == copy && ll.line.n == n);
		T_OK(!ll.has_time);
		free(copy);
	}
	T_CASE(NULL);
}

/* test_split_bad - not log lines */
static void
test_split_bad(void)
{
	static const char *const bad[] = {
	    "",
	    "x",
	    "hello world",
	    "Nov 26 19:12:38",
	    "Nov 26 19:12:38 ",
	    "Nov 26 19:12:38 host",
	    "Nov 26 19:12:38 host ",
	    "Nov 26 19:12:38 host prog",
	    "Nov 26 19:12:38 host prog msg",
	    "Nov 26 19:12:38 host prog[12 msg",
	    "Nov 26 19:12:38 host prog[12: msg",
	    "Nov 26 19:12:38 host prog[12]",
	    "Nov 26 19:12:38 host prog[12] msg",
	    "Nov 26 19:12:38 host prog[1a]: msg",
	    "Nov 26 19:12:38 host prog[12]x: msg",
	    "Nov 26 19:12:38 host [12]: msg",
	    "Nov 26 19:12:38 host : msg",
	    "Nov 26 19:12:38  prog: msg",
	    "Nov 26 19:12:38 : msg",
	    "Nov 26 19:12 host prog: msg",
	    "Nov 26 19-12-38 host prog: msg",
	    "Nov 26 19:12:38host prog: msg",
	    "Nov 2619:12:38 host prog: msg",
	    "Nov-26 19:12:38 host prog: msg",
	    " Nov 26 19:12:38 host prog: msg",
	    "2026-11-26T19:12:38",
	    "2026-11-26T19:12:38+01:00",
	    "2026-11-26T19:12:38+01:00 ",
	    "2026-11-26T19:12:38+01:00 host",
	    "2026-11-26X19:12:38 host prog: msg",
	    "2026/11/26T19:12:38 host prog: msg",
	    "26-11-2026 19:12:38 host prog: msg",
	    "<22>",
	    "<22>garbage",
	    "<22> Nov 26 19:12:38 host prog: msg",
	    "<>Nov 26 19:12:38 host prog: msg",
	    "<22Nov 26 19:12:38 host prog: msg",
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
	};

	/* an empty span may come without a pointer */
	struct logline none;
	T_OK(!header_split(&none, NULL, 0));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct logline ll;
		char *copy;
		size_t n = strlen(bad[i]);

		if (i == sizeof(bad) / sizeof(bad[0]) - 1)
			n = 20;
		T_CASE(bad[i]);
		T_OK(!split(&ll, bad[i], n, &copy));
		free(copy);
	}
	T_CASE(NULL);

	/* the two halves: the program name is known before a bad pid */
	static const char half[] = "Nov 26 19:12:38 host prog[12x]: msg";
	struct logline ll;
	T_OK(header_program(&ll, half, strlen(half)));
	T_EQ_SPAN(ll.prog, "prog");
	T_EQ_SPAN(ll.host, "host");
	T_OK(!header_finish(&ll));
	static const char own[] = "Nov 26 19:12:38 pop3-login[1]:x: y";
	T_OK(header_program(&ll, own, strlen(own)));
	T_EQ_SPAN(ll.prog, "pop3-login");
	T_OK(!header_finish(&ll));
}

/* test_truncated - every prefix of good lines: false, or fields that lie
 * inside the prefix; never a read past its end */
static void
test_truncated(void)
{
	static const char *const lines[] = {
	    "<22>Nov  6 19:12:38 mail postfix/smtpd[12]: connect from x",
	    "2026-11-26T19:12:38.123456+01:00 mail dovecot[1]: x y",
	    "2026-11-26 19:12:38 mail dovecot: x",
	    "Nov 26 19:47:27 pop3-login: Info: Login: user=<bob>",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t full = strlen(lines[i]);
		const char *colon = strstr(lines[i], ": ");
		/* "host prog:" is a line with an empty message; in the
		 * host-less form the token needs its blank ("prog: ") */
		size_t need = (size_t)(colon - lines[i]) + (i == 3 ? 2 : 1);

		T_CASE(lines[i]);
		for (size_t n = 0; n <= full; n++) {
			struct logline ll;
			struct tsctx ctx;
			char *copy;
			bool ok = split(&ll, lines[i], n, &copy);

			/* up to the program's colon nothing is a log line */
			T_EQ_INT(ok, n >= need);
			if (ok) {
				T_OK(in_line(ll.ts, copy, n));
				T_OK(in_line(ll.host, copy, n));
				T_OK(in_line(ll.prog, copy, n));
				T_OK(in_line(ll.pid, copy, n));
				T_OK(in_line(ll.msg, copy, n));
				T_OK(ll.msg.p + ll.msg.n == copy + n);
				tsctx_init(&ctx, utc(2026, 12, 1, 0, 0, 0));
				T_OK(header_time(&ctx, &ll));
			}
			free(copy);
		}
	}
	T_CASE(NULL);
}

/* parse_ts - ts_parse_text on a C string with a fresh context */
static bool
parse_ts(const char *s, int64_t ref, int64_t *out)
{
	struct tsctx ctx;

	tsctx_init(&ctx, ref);
	return ts_parse_text(&ctx, s, strlen(s), out);
}

/* test_year - the year of an RFC 3164 stamp, from the reference time */
static void
test_year(void)
{
	const struct {
		const char *name;
		int64_t ref;
		const char *ts;
		bool ok;
		int64_t want;
	} cases[] = {
	    {"just before new year", utc(2026, 1, 1, 0, 0, 30),
		"Dec 31 23:59:50", true, utc(2025, 12, 31, 23, 59, 50)},
	    {"just after new year", utc(2026, 1, 1, 0, 0, 30),
		"Jan  1 00:00:10", true, utc(2026, 1, 1, 0, 0, 10)},
	    {"2 minutes ahead", utc(2026, 6, 15, 12, 0, 0), "Jun 15 12:02:00",
		true, utc(2026, 6, 15, 12, 2, 0)},
	    {"2 minutes ahead over new year", utc(2025, 12, 31, 23, 59, 0),
		"Jan  1 00:01:00", true, utc(2026, 1, 1, 0, 1, 0)},
	    {"23 hours ahead", utc(2026, 6, 15, 12, 0, 0), "Jun 16 11:00:00",
		true, utc(2026, 6, 16, 11, 0, 0)},
	    {"2 days ahead is last year", utc(2026, 6, 15, 12, 0, 0),
		"Jun 17 12:00:00", true, utc(2025, 6, 17, 12, 0, 0)},
	    {"a month back", utc(2026, 6, 15, 12, 0, 0), "May 15 08:00:00",
		true, utc(2026, 5, 15, 8, 0, 0)},
	    {"eleven months back", utc(2026, 6, 15, 12, 0, 0),
		"Jul  1 00:00:00", true, utc(2025, 7, 1, 0, 0, 0)},
	    {"the same second", utc(2026, 6, 15, 12, 0, 0), "Jun 15 12:00:00",
		true, utc(2026, 6, 15, 12, 0, 0)},
	    {"Feb 29 in a leap year", utc(2028, 3, 1, 0, 0, 0),
		"Feb 29 12:00:00", true, utc(2028, 2, 29, 12, 0, 0)},
	    {"Feb 29 in the year after a leap year", utc(2025, 1, 10, 0, 0, 0),
		"Feb 29 12:00:00", true, utc(2024, 2, 29, 12, 0, 0)},
	    {"Feb 29 just ahead", utc(2028, 2, 28, 23, 0, 0), "Feb 29 00:30:00",
		true, utc(2028, 2, 29, 0, 30, 0)},
	    {"Feb 29 from a leap year's January", utc(2029, 1, 15, 0, 0, 0),
		"Feb 29 12:00:00", true, utc(2028, 2, 29, 12, 0, 0)},
	    {"Feb 29 with no leap year near", utc(2027, 6, 1, 0, 0, 0),
		"Feb 29 12:00:00", false, 0},
	    {"Feb 28 in a non-leap year", utc(2027, 6, 1, 0, 0, 0),
		"Feb 28 12:00:00", true, utc(2027, 2, 28, 12, 0, 0)},
	    {"leap second", utc(2026, 6, 15, 12, 0, 0), "Jun 15 11:59:60", true,
		utc(2026, 6, 15, 12, 0, 0)},
	};

	set_tz("UTC");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;

		T_CASE(cases[i].name);
		T_EQ_INT(parse_ts(cases[i].ts, cases[i].ref, &t), cases[i].ok);
		if (cases[i].ok)
			T_EQ_INT(t, cases[i].want);
	}
	T_CASE(NULL);

	/* the same through header_split + header_time, and the result is
	 * kept: a second call does not parse again */
	struct logline ll;
	struct tsctx ctx;
	const char *line = "Dec 31 23:59:50 mail postfix/smtpd[1]: x";
	T_OK(header_split(&ll, line, strlen(line)));
	tsctx_init(&ctx, utc(2026, 1, 1, 0, 0, 30));
	T_OK(header_time(&ctx, &ll));
	T_OK(ll.has_time);
	T_EQ_INT(ll.time, utc(2025, 12, 31, 23, 59, 50));
	tsctx_init(&ctx, utc(2030, 1, 1, 0, 0, 30));
	T_OK(header_time(&ctx, &ll));
	T_EQ_INT(ll.time, utc(2025, 12, 31, 23, 59, 50));

	/* no timestamp kind: no time */
	memset(&ll, 0, sizeof(ll));
	T_OK(!header_time(&ctx, &ll));
}

/* test_zones - RFC 3164 and zone-less stamps are local time; RFC 3339
 * offsets are exact whatever the local zone */
static void
test_zones(void)
{
	static const struct {
		const char *tz;
		int winter, summer; /* local offset east of UTC, hours */
	} zones[] = {
	    {"UTC", 0, 0},
	    {"Europe/Berlin", 1, 2},
	    {"America/New_York", -5, -4},
	};
	int64_t ref = utc(2026, 12, 1, 0, 0, 0);

	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		int64_t t;
		struct logline ll;
		struct tsctx ctx;
		const char *line;

		T_CASE(zones[z].tz);
		set_tz(zones[z].tz);
		/* local time, winter and summer */
		T_OK(parse_ts("Jan 15 12:00:00", ref, &t));
		T_EQ_INT(
		    t, utc(2026, 1, 15, 12, 0, 0) - zones[z].winter * 3600);
		T_OK(parse_ts("Jul  1 12:00:00", ref, &t));
		T_EQ_INT(t, utc(2026, 7, 1, 12, 0, 0) - zones[z].summer * 3600);
		T_OK(parse_ts("2026-07-01 12:00:00", ref, &t));
		T_EQ_INT(t, utc(2026, 7, 1, 12, 0, 0) - zones[z].summer * 3600);
		T_OK(parse_ts("2026-11-26T19:12:38", ref, &t));
		T_EQ_INT(
		    t, utc(2026, 11, 26, 19, 12, 38) - zones[z].winter * 3600);
		line = "2026-11-26 19:12:38 mail dovecot: x";
		T_OK(header_split(&ll, line, strlen(line)));
		tsctx_init(&ctx, ref);
		T_OK(header_time(&ctx, &ll));
		T_EQ_INT(ll.time,
		    utc(2026, 11, 26, 19, 12, 38) - zones[z].winter * 3600);

		/* explicit offsets */
		T_OK(parse_ts("2026-11-26T19:12:38Z", ref, &t));
		T_EQ_INT(t, utc(2026, 11, 26, 19, 12, 38));
		T_OK(parse_ts("2026-11-26T19:12:38z", ref, &t));
		T_EQ_INT(t, utc(2026, 11, 26, 19, 12, 38));
		T_OK(parse_ts("2026-11-26T19:12:38.123456+01:00", ref, &t));
		T_EQ_INT(t, utc(2026, 11, 26, 18, 12, 38));
		T_OK(parse_ts("2026-11-26T19:12:38+00:00", ref, &t));
		T_EQ_INT(t, utc(2026, 11, 26, 19, 12, 38));
		T_OK(parse_ts("2026-11-26T19:12:38-0500", ref, &t));
		T_EQ_INT(t, utc(2026, 11, 27, 0, 12, 38));
		T_OK(parse_ts("2026-11-26T19:12:38,5-05:00", ref, &t));
		T_EQ_INT(t, utc(2026, 11, 27, 0, 12, 38));
		T_OK(parse_ts("2026-11-26T19:12:38+05:30", ref, &t));
		T_EQ_INT(t, utc(2026, 11, 26, 13, 42, 38));
		T_OK(parse_ts("2026-11-26 19:12:38+01:00", ref, &t));
		T_EQ_INT(t, utc(2026, 11, 26, 18, 12, 38));
		T_OK(parse_ts("2026-01-01T00:30:00+01:00", ref, &t));
		T_EQ_INT(t, utc(2025, 12, 31, 23, 30, 0));
		T_OK(parse_ts("2028-02-29T12:00:00Z", ref, &t));
		T_EQ_INT(t, utc(2028, 2, 29, 12, 0, 0));
		T_OK(parse_ts("1970-01-01T00:00:00Z", ref, &t));
		T_EQ_INT(t, 0);
		line = "2026-11-26T19:12:38-0500 mail dovecot: x";
		T_OK(header_split(&ll, line, strlen(line)));
		tsctx_init(&ctx, ref);
		T_OK(header_time(&ctx, &ll));
		T_EQ_INT(ll.time, utc(2026, 11, 27, 0, 12, 38));
	}
	T_CASE(NULL);

	/* around the DST switch in Berlin (2026-03-29 02:00 CET -> 03:00
	 * CEST; 2026-10-25 03:00 CEST -> 02:00 CET) */
	int64_t t;
	set_tz("Europe/Berlin");
	T_OK(parse_ts("Mar 29 01:59:59", ref, &t));
	T_EQ_INT(t, utc(2026, 3, 29, 0, 59, 59));
	T_OK(parse_ts("Mar 29 03:00:00", ref, &t));
	T_EQ_INT(t, utc(2026, 3, 29, 1, 0, 0));
	T_OK(parse_ts("Mar 29 03:30:00", ref, &t));
	T_EQ_INT(t, utc(2026, 3, 29, 1, 30, 0));
	T_OK(parse_ts("Oct 25 01:30:00", ref, &t));
	T_EQ_INT(t, utc(2026, 10, 24, 23, 30, 0));
	T_OK(parse_ts("Oct 25 03:30:00", ref, &t));
	T_EQ_INT(t, utc(2026, 10, 25, 2, 30, 0));

	/* year inference uses the local year of the reference: 23:30 UTC
	 * on Dec 31 is already Jan 1 in Berlin */
	T_OK(parse_ts("Jan  1 00:20:00", utc(2026, 12, 31, 23, 30, 0), &t));
	T_EQ_INT(t, utc(2026, 12, 31, 23, 20, 0));
	T_OK(parse_ts("Dec 31 23:50:00", utc(2026, 12, 31, 23, 30, 0), &t));
	T_EQ_INT(t, utc(2026, 12, 31, 22, 50, 0));
	set_tz("UTC");
}

/* test_cache - one context over many stamps gives what a fresh context
 * gives (the per-hour cache must not mix up hours, days or months) */
static void
test_cache(void)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char *const tzs[] = {"Europe/Berlin", "America/New_York"};
	int64_t ref = utc(2027, 1, 1, 0, 0, 0);

	srand(31337);
	for (size_t z = 0; z < 2; z++) {
		struct tsctx ctx;
		int bad = 0, checked = 0;

		set_tz(tzs[z]);
		tsctx_init(&ctx, ref);
		int m = 0, d = 1, h = 0;
		for (int k = 0; k < 20000; k++) {
			int mi = rand() % 60, s = rand() % 60;
			char ts[32];
			int64_t a, b;
			bool oka, okb;

			/* groups of stamps on one day, in random hours, with
			 * runs in one hour: hits and misses of the cache */
			if (k % 16 == 0) {
				m = rand() % 12;
				d = 1 + rand() % 31;
			}
			if (k % 4 == 0)
				h = rand() % 24;
			snprintf(ts, sizeof(ts), "%s %2d %02d:%02d:%02d",
			    mon[m], d, h, mi, s);
			oka = ts_parse_text(&ctx, ts, 15, &a);
			okb = parse_ts(ts, ref, &b);
			checked++;
			if (oka != okb || (oka && a != b))
				bad++;
			/* the reference: mktime on the full time (not near
			 * a DST switch, not where the year is 2027) */
			if (oka && !(h >= 1 && h <= 3) && !(m == 0 && d <= 2)) {
				struct tm tm = {0};
				tm.tm_year = 2026 - 1900;
				tm.tm_mon = m;
				tm.tm_mday = d;
				tm.tm_hour = h;
				tm.tm_min = mi;
				tm.tm_sec = s;
				tm.tm_isdst = -1;
				if ((int64_t)mktime(&tm) != a)
					bad++;
			}
		}
		T_CASE(tzs[z]);
		T_EQ_INT(bad, 0);
		T_OK(checked == 20000);

		/* zone-less RFC 3339 stamps (explicit year) where each one
		 * differs from the one before in one field only: year,
		 * month, day or hour */
		int y = 2026, mo = 6, dd = 15, hh = 12;
		bad = 0;
		tsctx_init(&ctx, ref);
		for (int k = 0; k < 20000; k++) {
			char ts[32];
			int64_t a, b;
			bool oka, okb;

			switch (rand() % 4) {
			case 0:
				y = 2000 + rand() % 30;
				break;
			case 1:
				mo = 1 + rand() % 12;
				break;
			case 2:
				dd = 1 + rand() % 28;
				break;
			default:
				hh = rand() % 24;
				break;
			}
			snprintf(ts, sizeof(ts),
			    "%04d-%02d-%02d %02d:%02d:%02d", y, mo, dd, hh,
			    rand() % 60, rand() % 60);
			oka = ts_parse_text(&ctx, ts, strlen(ts), &a);
			okb = parse_ts(ts, ref, &b);
			if (!oka || !okb || a != b)
				bad++;
		}
		T_EQ_INT(bad, 0);
	}
	T_CASE(NULL);
	set_tz("UTC");
}

/* test_invalid - impossible dates and times */
static void
test_invalid(void)
{
	static const char *const bad[] = {
	    "Foo 26 19:12:38",
	    "nov 26 19:12:38",
	    "NOV 26 19:12:38",
	    "Nov 00 19:12:38",
	    "Nov 31 19:12:38",
	    "Feb 30 19:12:38",
	    "Apr 31 00:00:00",
	    "Nov 32 19:12:38",
	    "Nov 2x 19:12:38",
	    "Nov  x 19:12:38",
	    "Nov x6 19:12:38",
	    "Nov 26 24:00:00",
	    "Nov 26 99:00:00",
	    "Nov 26 23:60:00",
	    "Nov 26 23:59:61",
	    "Nov 26 -1:00:00",
	    "Nov 26 1a:00:00",
	    "Nov 26 19:12:3",
	    "Nov 26 19:12:38 ",
	    "2026-13-01T00:00:00Z",
	    "2026-00-10T00:00:00Z",
	    "2026-02-29T00:00:00Z",
	    "2026-04-31T00:00:00Z",
	    "2026-11-00T00:00:00Z",
	    "2026-11-26T24:00:00Z",
	    "2026-11-26T23:60:00Z",
	    "2026-11-26T23:59:61Z",
	    "1969-12-31T23:59:59Z",
	    "0000-01-01T00:00:00Z",
	    "20x6-11-26T19:12:38Z",
	    "2026-11-26T19:12:38+24:00",
	    "2026-11-26T19:12:38+01:60",
	    "2026-11-26T19:12:38+1:00",
	    "2026-11-26T19:12:38+01",
	    "2026-11-26T19:12:38+01:000",
	    "2026-11-26T19:12:38+0100x",
	    "2026-11-26T19:12:38+ab:cd",
	    "2026-11-26T19:12:38Zjunk",
	    "2026-11-26T19:12:38ZZ",
	    "2026-11-26T19:12:38.",
	    "2026-11-26T19:12:38.Z",
	    "2026-11-26T19:12:38.5.5Z",
	    "2026-11-26T19:12:38 ",
	    "2026-11-26T19:12:38X",
	    "2026-11-26t19:12:38Z",
	    "",
	    "Nov 26",
	};
	int64_t ref = utc(2026, 12, 1, 0, 0, 0);

	set_tz("UTC");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t = 4242;

		T_CASE(bad[i]);
		T_OK(!parse_ts(bad[i], ref, &t));
		T_EQ_INT(t, 4242);
	}
	T_CASE(NULL);

	/* the same through a split line: header_time says false */
	static const char *const lines[] = {
	    "Nov 31 19:12:38 mail postfix/smtpd[1]: x",
	    "Nov 26 25:12:38 mail postfix/smtpd[1]: x",
	    "Xyz 26 19:12:38 mail postfix/smtpd[1]: x",
	    "2026-02-30T19:12:38Z mail postfix/smtpd[1]: x",
	    "2026-11-26T19:12:38+0100junk mail postfix/smtpd[1]: x",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct logline ll;
		struct tsctx ctx;

		T_CASE(lines[i]);
		tsctx_init(&ctx, ref);
		T_OK(header_split(&ll, lines[i], strlen(lines[i])));
		T_OK(!header_time(&ctx, &ll));
		T_OK(!ll.has_time);
	}
	T_CASE(NULL);
}

/* ref_program - header_program's rule for the host and program, written
 * plainly (no SIMD, no fast path) for the differential test */
static bool
ref_program(const char *p, size_t n, struct span *host, struct span *prog)
{
	const char *q = p + 16, *end = p + n;
	size_t k = 0, rest;

	while (q + k < end && q[k] != ' ')
		k++;
	if (k == 0 || q + k == end)
		return false;
	*host = SPAN_NONE;
	if (q[k - 1] != ':') {
		*host = (struct span){q, k};
		q += k + 1;
	}
	rest = (size_t)(end - q);
	for (k = 0; k < rest; k++) {
		char c = q[k];
		if (c == ' ' || c == '[' ||
		    (c == ':' && (k + 1 == rest || q[k + 1] == ' ')))
			break;
	}
	if (k == 0 || k == rest || q[k] == ' ')
		return false;
	*prog = (struct span){q, k};
	return true;
}

/* ref_finish - header_finish's rule, plainly: "[digits]" then ':' then
 * an optional blank (required in Dovecot's own log, which has no host) */
static bool
ref_finish(const char *p, size_t n, struct span host, struct span prog,
    struct span *pid, struct span *msg)
{
	const char *q = prog.p + prog.n, *end = p + n;

	*pid = SPAN_NONE;
	if (*q == '[') {
		const char *d = ++q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q == end || *q != ']')
			return false;
		*pid = (struct span){d, (size_t)(q - d)};
		q++;
	}
	if (q == end || *q != ':')
		return false;
	q++;
	if (q < end && *q == ' ')
		q++;
	else if (host.n == 0)
		return false;
	*msg = (struct span){q, (size_t)(end - q)};
	return true;
}

static bool
same_span(struct span a, struct span b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* test_program_random - header_program against ref_program on random
 * hosts and programs made of the bytes that matter, around the 32 bytes
 * the fast path looks at */
static void
test_program_random(void)
{
	static const char alpha[] = "ab:[ -.17]";
	unsigned seed = 12345;
	char line[160];
	int bad = 0;

	memcpy(line, "Nov 26 19:12:38 ", 16);
	for (int iter = 0; iter < 300000 && bad < 5; iter++) {
		size_t n = 16 + (size_t)(rand_r(&seed) % 70);
		for (size_t i = 16; i < n; i++)
			line[i] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
		if (iter % 2) {
			/* mostly well formed: "host prog[pid]: msg" with
			 * random lengths and one random byte changed */
			static const char *const parts[] = {"[", "]", ":", " "};
			size_t i = 16;
			int hl = rand_r(&seed) % 12, pl = rand_r(&seed) % 20,
			    dl = rand_r(&seed) % 9;
			for (int j = 0; j < hl; j++)
				line[i++] = 'h';
			line[i++] = ' ';
			for (int j = 0; j < pl; j++)
				line[i++] = 'p';
			if (rand_r(&seed) % 4) {
				line[i++] = '[';
				for (int j = 0; j < dl; j++)
					line[i++] = (char)('0' + j);
				line[i++] = ']';
			}
			line[i++] = ':';
			line[i++] = ' ';
			n = i + (size_t)(rand_r(&seed) % 20);
			for (; i < n; i++)
				line[i] = 'm';
			if (rand_r(&seed) % 2) {
				size_t at =
				    16 + (size_t)rand_r(&seed) % (n - 16);
				line[at] = *parts[rand_r(&seed) % 4];
			}
		}
		/* exact-size copy: a read past the end is an ASan error */
		char *copy = malloc(n);
		memcpy(copy, line, n);
		struct logline ll;
		struct span h = SPAN_NONE, pg = SPAN_NONE;
		struct span pid = SPAN_NONE, msg = SPAN_NONE;
		bool got = header_program(&ll, copy, n);
		bool want = ref_program(copy, n, &h, &pg);
		bool gotf = got && header_finish(&ll);
		bool wantf = want && ref_finish(copy, n, h, pg, &pid, &msg);
		if (got != want || gotf != wantf ||
		    (got &&
			(!same_span(ll.host, h) || !same_span(ll.prog, pg))) ||
		    (gotf &&
			(!same_span(ll.pid, pid) || !same_span(ll.msg, msg) ||
			    (ll.pid.p == NULL) != (pid.p == NULL)))) {
			t_fail(__FILE__, __LINE__,
			    "header_program differs on \"%.*s\"", (int)n, copy);
			bad++;
		}
		t_checks++;
		free(copy);
	}
}

int
main(void)
{
	set_tz("UTC");
	test_program_random();
	test_split();
	test_split_bad();
	test_truncated();
	test_year();
	test_zones();
	test_cache();
	test_invalid();
	return t_done();
}
