/*
 * test_sbuf - unit tests for src/lib/sbuf.c: growth, printf, escaping,
 * esc() rotation and truncation, span helpers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/sbuf.h"
#include "tlib.h"

/* check_inv - the invariants every sbuf keeps */
static void
check_inv(const struct sbuf *b)
{
	if (b->s == NULL) {
		T_EQ_INT(b->len, 0);
		T_EQ_INT(b->cap, 0);
		return;
	}
	T_OK(b->len < b->cap);
	T_EQ_INT(b->s[b->len], 0);
}

/* test_growth - byte by byte and in blocks, content intact */
static void
test_growth(void)
{
	struct sbuf b = SBUF_INIT;
	size_t ncap = 0, lastcap = 0;
	enum { N = 100000 };

	check_inv(&b);
	for (size_t i = 0; i < N; i++) {
		sbuf_addc(&b, (char)('a' + i % 26));
		if (b.cap != lastcap) {
			ncap++;
			lastcap = b.cap;
			check_inv(&b);
		}
	}
	check_inv(&b);
	T_EQ_INT(b.len, N);
	/* geometric growth: a handful of reallocations, not thousands */
	T_OK(ncap <= 20);
	int bad = 0;
	for (size_t i = 0; i < N; i++)
		if (b.s[i] != (char)('a' + i % 26))
			bad++;
	T_EQ_INT(bad, 0);

	/* reset keeps the memory, empties the string */
	size_t cap = b.cap;
	sbuf_reset(&b);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(b.cap, cap);
	T_EQ_STR(b.s, "");
	sbuf_free(&b);
	T_OK(b.s == NULL);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(b.cap, 0);
	sbuf_reset(&b); /* on a freed buffer: harmless */
	T_OK(b.s == NULL);

	/* blocks of every size around the growth boundaries */
	char block[300];
	for (size_t k = 0; k < sizeof(block); k++)
		block[k] = (char)k;
	for (size_t n = 0; n < sizeof(block); n++) {
		struct sbuf c = SBUF_INIT;

		sbuf_add(&c, block, n);
		sbuf_add(&c, block, n);
		check_inv(&c);
		T_EQ_INT(c.len, 2 * n);
		T_OK(memcmp(c.s, block, n) == 0);
		T_OK(memcmp(c.s + n, block, n) == 0);
		sbuf_free(&c);
	}

	/* empty additions still give a terminated string */
	sbuf_add(&b, "", 0);
	T_OK(b.s != NULL);
	T_EQ_STR(b.s, "");
	check_inv(&b);
	sbuf_free(&b);
	sbuf_reserve(&b, 0);
	check_inv(&b);
	T_OK(b.cap >= 1);
	sbuf_reserve(&b, 1000);
	T_OK(b.cap >= 1001);
	T_EQ_INT(b.len, 0);
	sbuf_free(&b);

	/* embedded NUL bytes are content */
	sbuf_adds(&b, "ab");
	sbuf_addc(&b, 0);
	sbuf_adds(&b, "cd");
	T_EQ_INT(b.len, 5);
	T_OK(memcmp(b.s, "ab\0cd", 6) == 0);
	sbuf_free(&b);
}

/* test_detach - ownership moves to the caller */
static void
test_detach(void)
{
	struct sbuf b = SBUF_INIT;
	char *s;

	s = sbuf_detach(&b);
	T_EQ_STR(s, "");
	free(s);
	T_OK(b.s == NULL);

	sbuf_adds(&b, "hello");
	s = sbuf_detach(&b);
	T_EQ_STR(s, "hello");
	T_OK(b.s == NULL);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(b.cap, 0);
	free(s);
	sbuf_adds(&b, "again");
	T_EQ_STR(b.s, "again");
	sbuf_free(&b);
}

/* test_printf - appends, grows, exact lengths */
static void
test_printf(void)
{
	struct sbuf b = SBUF_INIT;

	sbuf_printf(&b, "%d-%s", 42, "x");
	T_EQ_STR(b.s, "42-x");
	T_EQ_INT(b.len, 4);
	sbuf_printf(&b, "%s", "");
	T_EQ_INT(b.len, 4);
	sbuf_printf(&b, "[%5.1f]", 2.25);
	T_EQ_STR(b.s, "42-x[  2.2]");
	sbuf_free(&b);

	/* every length around the growth steps, appended to a prefix of
	 * every length: the result is exact and terminated */
	for (size_t pre = 0; pre < 140; pre += 7) {
		for (int k = 0; k < 300; k++) {
			char name[32];

			snprintf(name, sizeof(name), "pre %zu k %d", pre, k);
			T_CASE(name);
			for (size_t i = 0; i < pre; i++)
				sbuf_addc(&b, 'p');
			sbuf_printf(&b, "%*d", k, 7);
			check_inv(&b);
			T_EQ_INT(b.len, pre + (k > 1 ? (size_t)k : 1));
			T_EQ_INT(b.s[b.len - 1], '7');
			T_OK(pre == 0 || b.s[pre - 1] == 'p');
			sbuf_free(&b);
			if (t_failures)
				goto out;
		}
	}
out:
	T_CASE(NULL);
	sbuf_free(&b);

	/* a big one */
	sbuf_printf(&b, "%0100000d|", 1);
	T_EQ_INT(b.len, 100001);
	T_EQ_INT(b.s[99999], '1');
	T_EQ_INT(b.s[100000], '|');
	T_EQ_INT(b.s[0], '0');
	sbuf_free(&b);
}

/* escaped - sbuf_add_escaped of (p, n) as a C string (static) */
static const char *
escaped(const char *p, size_t n)
{
	static struct sbuf b;

	sbuf_reset(&b);
	sbuf_add_escaped(&b, p, n);
	if (b.s == NULL)
		sbuf_add(&b, "", 0);
	return b.s;
}

/* test_escape - what reaches a log or a terminal */
static void
test_escape(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
#define C(lit, want) {lit, sizeof(lit) - 1, want}
	    C("", ""),
	    C("plain text", "plain text"),
	    C(" !\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~",
		" !\"#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"),
	    C("a\\b", "a\\\\b"),
	    C("\\", "\\\\"),
	    C("\\x41", "\\\\x41"),
	    C("\n", "\\x0a"),
	    C("line1\nNov 26 12:00:00 fake: injected",
		"line1\\x0aNov 26 12:00:00 fake: injected"),
	    C("\r\t", "\\x0d\\x09"),
	    C("\x1b[31mred", "\\x1b[31mred"),
	    C("\x1f", "\\x1f"),
	    C("\x7f", "\\x7f"),
	    C("\x80", "\\x80"),
	    C("\xff", "\\xff"),
	    C("caf\xc3\xa9", "caf\\xc3\\xa9"),
	    C("a\0b", "a\\x00b"),
	    C("\0", "\\x00"),
	    C("\x9b"
	      "2J",
		"\\x9b2J"),
#undef C
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_CASE(cases[i].want);
		T_EQ_STR(escaped(cases[i].in, cases[i].n), cases[i].want);
	}
	T_CASE(NULL);

	/* all 256 bytes: only printable ASCII comes out, and the text
	 * can be decoded back to the input */
	char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	const char *e = escaped(all, sizeof(all));
	size_t elen = strlen(e);
	int bad = 0;
	for (size_t i = 0; i < elen; i++)
		if (e[i] < 0x20 || e[i] > 0x7e)
			bad++;
	T_EQ_INT(bad, 0);
	/* 95 printable stay one byte (backslash becomes two), 161 others
	 * become four */
	T_EQ_INT(elen, 94 + 2 + 161 * 4);
	char dec[256];
	size_t nd = 0;
	for (size_t i = 0; i < elen && nd < sizeof(dec);) {
		if (e[i] != '\\') {
			dec[nd++] = e[i++];
		} else if (e[i + 1] == '\\') {
			dec[nd++] = '\\';
			i += 2;
		} else {
			char hex[3] = {e[i + 2], e[i + 3], 0};
			T_EQ_INT(e[i + 1], 'x');
			dec[nd++] = (char)strtol(hex, NULL, 16);
			i += 4;
		}
	}
	T_EQ_INT(nd, 256);
	T_OK(memcmp(dec, all, 256) == 0);

	/* escaping appends */
	struct sbuf b = SBUF_INIT;
	sbuf_adds(&b, "user=");
	sbuf_add_escaped(&b, "x\ny", 3);
	sbuf_adds(&b, ";");
	T_EQ_STR(b.s, "user=x\\x0ay;");
	sbuf_free(&b);
}

/* test_esc - rotation and truncation of the static buffers */
static void
test_esc(void)
{
	const char *r[8];
	char in[8][8];

	for (int i = 0; i < 8; i++) {
		snprintf(in[i], sizeof(in[i]), "s%d\n", i);
		r[i] = esc((struct span){in[i], strlen(in[i])});
	}
	/* eight results are alive at once */
	for (int i = 0; i < 8; i++) {
		char want[16];

		snprintf(want, sizeof(want), "s%d\\x0a", i);
		T_EQ_STR(r[i], want);
		for (int j = 0; j < i; j++)
			T_OK(r[i] != r[j]);
	}
	/* the ninth call reuses the first buffer */
	const char *r8 = esc(SPAN_LIT("ninth"));
	T_OK(r8 == r[0]);
	T_EQ_STR(r[0], "ninth");
	T_EQ_STR(r[1], "s1\\x0a");

	/* NULL and empty */
	T_EQ_STR(esc(SPAN_NONE), "");
	T_EQ_STR(esc((struct span){"abc", 0}), "");
	T_EQ_STR(escs(NULL), "");
	T_EQ_STR(escs(""), "");
	T_EQ_STR(escs("a\tb"), "a\\x09b");

	/* only n bytes are read */
	T_EQ_STR(esc((struct span){"abcdef", 3}), "abc");

	/* truncation at 512 input bytes, marked with "..." */
	static char big[4096];
	memset(big, 'a', sizeof(big));
	const char *s = esc((struct span){big, 512});
	T_EQ_INT(strlen(s), 512);
	s = esc((struct span){big, 513});
	T_EQ_INT(strlen(s), 515);
	T_OK(strcmp(s + 512, "...") == 0);
	s = esc((struct span){big, sizeof(big)});
	T_EQ_INT(strlen(s), 515);
	/* the worst case: every byte becomes four */
	memset(big, 0xff, sizeof(big));
	s = esc((struct span){big, sizeof(big)});
	T_EQ_INT(strlen(s), 512 * 4 + 3);
	T_OK(strncmp(s, "\\xff\\xff", 8) == 0);
	T_OK(strcmp(s + 2048, "...") == 0);
	s = esc((struct span){big, 512});
	T_EQ_INT(strlen(s), 2048);
	/* backslashes double */
	memset(big, '\\', sizeof(big));
	s = esc((struct span){big, 600});
	T_EQ_INT(strlen(s), 1024 + 3);
}

/* test_span - comparisons on slices that are not null-terminated */
static void
test_span(void)
{
	const char *text = "postfix/smtpd[123]";
	struct span prog = {text, 13}; /* "postfix/smtpd" */
	struct span none = SPAN_NONE;
	struct span lit = SPAN_LIT("abc");

	T_EQ_INT(lit.n, 3);
	T_EQ_SPAN(lit, "abc");
	T_OK(none.p == NULL && none.n == 0);

	static const struct {
		const char *lit;
		bool eq, prefix;
	} cases[] = {
	    {"postfix/smtpd", true, true},
	    {"postfix/smtp", false, true},
	    {"postfix/", false, true},
	    {"", false, true},
	    {"postfix/smtpd[", false, false},
	    {"postfix/smtpd[123]", false, false},
	    {"postfix/smtpe", false, false},
	    {"Postfix/smtpd", false, false},
	    {"x", false, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_CASE(cases[i].lit);
		T_EQ_INT(span_eq(prog, cases[i].lit), cases[i].eq);
		T_EQ_INT(span_has_prefix(prog, cases[i].lit), cases[i].prefix);
	}
	T_CASE(NULL);

	/* an empty span, with or without a pointer */
	T_OK(span_eq(none, ""));
	T_OK(span_has_prefix(none, ""));
	T_OK(!span_eq(none, "a"));
	T_OK(!span_has_prefix(none, "a"));
	T_OK(span_eq((struct span){text, 0}, ""));
	T_OK(!span_eq((struct span){text, 0}, "p"));
}

/* test_overflow - a size that cannot be represented is fatal, in a
 * child process (msg_fatal exits 1), never a silent short buffer */
static void
test_overflow(void)
{
	static const size_t extra[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 2};

	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			static struct sbuf b = SBUF_INIT;

			t_msg_capture();
			sbuf_adds(&b, "ab");
			sbuf_reserve(&b, extra[i]);
			_exit(0); /* must not get here */
		}
		T_OK(pid > 0);
		T_OK(waitpid(pid, &status, 0) == pid);
		T_OK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	}
}

int
main(void)
{
	test_growth();
	test_detach();
	test_printf();
	test_escape();
	test_esc();
	test_span();
	test_overflow();
	return t_done();
}
