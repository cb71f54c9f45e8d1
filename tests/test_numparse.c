/*
 * test_numparse - unit tests for src/lib/numparse.c: integers, doubles,
 * durations (parse and both text forms).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "lib/numparse.h"
#include "tlib.h"

#define SENTINEL_I64 0x5a5a5a5a5a5aLL

/* test_i64 - whole string, bounds, no sign/space/base tricks */
static void
test_i64(void)
{
	static const struct {
		const char *in;
		int64_t min, max;
		bool ok;
		int64_t want;
	} cases[] = {
	    {"0", 0, 10, true, 0},
	    {"-0", 0, 10, true, 0},
	    {"7", 0, 10, true, 7},
	    {"10", 0, 10, true, 10},
	    {"007", 0, 10, true, 7},
	    {"11", 0, 10, false, 0},
	    {"-1", 0, 10, false, 0},
	    {"-1", -1, 10, true, -1},
	    {"-42", INT64_MIN, INT64_MAX, true, -42},
	    {"9223372036854775807", INT64_MIN, INT64_MAX, true, INT64_MAX},
	    {"9223372036854775808", INT64_MIN, INT64_MAX, false, 0},
	    {"-9223372036854775808", INT64_MIN, INT64_MAX, true, INT64_MIN},
	    {"-9223372036854775809", INT64_MIN, INT64_MAX, false, 0},
	    {"99999999999999999999999", INT64_MIN, INT64_MAX, false, 0},
	    {"2147483648", 0, INT64_MAX, true, 2147483648LL},
	    {"", INT64_MIN, INT64_MAX, false, 0},
	    {"-", INT64_MIN, INT64_MAX, false, 0},
	    {"+", INT64_MIN, INT64_MAX, false, 0},
	    {"+5", INT64_MIN, INT64_MAX, false, 0},
	    {"--5", INT64_MIN, INT64_MAX, false, 0},
	    {"-+5", INT64_MIN, INT64_MAX, false, 0},
	    {"- 5", INT64_MIN, INT64_MAX, false, 0},
	    {" 5", INT64_MIN, INT64_MAX, false, 0},
	    {"\t5", INT64_MIN, INT64_MAX, false, 0},
	    {"\n5", INT64_MIN, INT64_MAX, false, 0},
	    {"\v5", INT64_MIN, INT64_MAX, false, 0},
	    {"\f5", INT64_MIN, INT64_MAX, false, 0},
	    {"\r5", INT64_MIN, INT64_MAX, false, 0},
	    {"-\n5", INT64_MIN, INT64_MAX, false, 0},
	    {"5 ", INT64_MIN, INT64_MAX, false, 0},
	    {"5\n", INT64_MIN, INT64_MAX, false, 0},
	    {"0x10", INT64_MIN, INT64_MAX, false, 0},
	    {"1e3", INT64_MIN, INT64_MAX, false, 0},
	    {"1.0", INT64_MIN, INT64_MAX, false, 0},
	    {"1_000", INT64_MIN, INT64_MAX, false, 0},
	    {"12a", INT64_MIN, INT64_MAX, false, 0},
	    {"a12", INT64_MIN, INT64_MAX, false, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = SENTINEL_I64;
		bool ok;

		T_CASE(cases[i].in);
		ok = num_parse_i64(cases[i].in, cases[i].min, cases[i].max, &v);
		T_EQ_INT(ok, cases[i].ok);
		T_EQ_INT(v, cases[i].ok ? cases[i].want : SENTINEL_I64);
	}
	T_CASE(NULL);
}

/* test_double - finite decimal numbers only */
static void
test_double(void)
{
	static const struct {
		const char *in;
		double min, max;
		bool ok;
		double want;
	} cases[] = {
	    {"0", 0, 1, true, 0},
	    {"1", 0, 1, true, 1},
	    {"0.5", 0, 1, true, 0.5},
	    {".5", 0, 1, true, 0.5},
	    {"5.", 0, 10, true, 5},
	    {"-1.25", -2, 0, true, -1.25},
	    {"+1.25", 0, 2, true, 1.25},
	    {"1e3", 0, 1e6, true, 1000},
	    {"1E-3", 0, 1, true, 0.001},
	    {"2.5e+2", 0, 1000, true, 250},
	    {"1.0000001", 0, 1, false, 0},
	    {"-0.1", 0, 1, false, 0},
	    {"1e308", 0, DBL_MAX, true, 1e308},
	    {"1e309", -DBL_MAX, DBL_MAX, false, 0},
	    {"-1e309", -DBL_MAX, DBL_MAX, false, 0},
	    {"nan", -DBL_MAX, DBL_MAX, false, 0},
	    {"NaN", -DBL_MAX, DBL_MAX, false, 0},
	    {"-nan", -DBL_MAX, DBL_MAX, false, 0},
	    {"inf", -DBL_MAX, DBL_MAX, false, 0},
	    {"-inf", -DBL_MAX, DBL_MAX, false, 0},
	    {"Infinity", -DBL_MAX, DBL_MAX, false, 0},
	    {"0x10", -DBL_MAX, DBL_MAX, false, 0},
	    {"0x1p3", -DBL_MAX, DBL_MAX, false, 0},
	    {"0X1P3", -DBL_MAX, DBL_MAX, false, 0},
	    {"", -DBL_MAX, DBL_MAX, false, 0},
	    {".", -DBL_MAX, DBL_MAX, false, 0},
	    {"-", -DBL_MAX, DBL_MAX, false, 0},
	    {"e5", -DBL_MAX, DBL_MAX, false, 0},
	    {"1e", -DBL_MAX, DBL_MAX, false, 0},
	    {"1.5.5", -DBL_MAX, DBL_MAX, false, 0},
	    {"1,5", -DBL_MAX, DBL_MAX, false, 0},
	    {" 1", -DBL_MAX, DBL_MAX, false, 0},
	    {"\n1", -DBL_MAX, DBL_MAX, false, 0},
	    {"\v1", -DBL_MAX, DBL_MAX, false, 0},
	    {"1 ", -DBL_MAX, DBL_MAX, false, 0},
	    {"1\n", -DBL_MAX, DBL_MAX, false, 0},
	    {"1s", -DBL_MAX, DBL_MAX, false, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = 12345.5;
		bool ok;

		T_CASE(cases[i].in);
		ok = num_parse_double(
		    cases[i].in, cases[i].min, cases[i].max, &v);
		T_EQ_INT(ok, cases[i].ok);
		if (cases[i].ok)
			T_OK(v == cases[i].want);
		else
			T_OK(v == 12345.5);
	}
	T_CASE(NULL);
}

/* test_dur_parse - Postfix-style units, combined, bounded */
static void
test_dur_parse(void)
{
	static const struct {
		const char *in;
		bool ok;
		int64_t want;
	} cases[] = {
	    {"0", true, 0},
	    {"0s", true, 0},
	    {"30", true, 30},
	    {"30s", true, 30},
	    {"30m", true, 1800},
	    {"1h", true, 3600},
	    {"1h30m", true, 5400},
	    {"1h30", true, 3630},
	    {"90d", true, 90 * 86400},
	    {"1w", true, 604800},
	    {"1w2d3h4m5s", true, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5},
	    {"2h2h", true, 4 * 3600},
	    {"90s", true, 90},
	    {"3162240000", true, 3162240000LL}, /* 100 * 366 days */
	    {"3162240001", false, 0},
	    {"36600d", true, 36600LL * 86400},
	    {"36601d", false, 0},
	    {"5228w", true, 5228LL * 604800},
	    {"5229w", false, 0},
	    {"36600d1s", false, 0},
	    {"999999999999w", false, 0},
	    {"9999999999999", false, 0},
	    {"99999999999999999999w", false, 0},
	    {"18446744073709551616", false, 0},
	    {"", false, 0},
	    {"s", false, 0},
	    {"m30", false, 0},
	    {"-5", false, 0},
	    {"-5m", false, 0},
	    {"+5", false, 0},
	    {"5x", false, 0},
	    {"5y", false, 0},
	    {"5M", false, 0},
	    {"5S", false, 0},
	    {"5H", false, 0},
	    {"5ms", false, 0},
	    {"5ss", false, 0},
	    {"1.5h", false, 0},
	    {"5 m", false, 0},
	    {" 5", false, 0},
	    {"5 ", false, 0},
	    {"1h 30m", false, 0},
	    {"5\n", false, 0},
	    {"0x10", false, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = SENTINEL_I64;
		bool ok;

		T_CASE(cases[i].in);
		ok = dur_parse(cases[i].in, &v);
		T_EQ_INT(ok, cases[i].ok);
		T_EQ_INT(v, cases[i].ok ? cases[i].want : SENTINEL_I64);
	}
	T_CASE(NULL);
}

/* test_dur_fmt - leading zero units left out, seconds always shown */
static void
test_dur_fmt(void)
{
	static const struct {
		int64_t secs;
		const char *want;
	} cases[] = {
	    {0, "0s"},
	    {1, "1s"},
	    {59, "59s"},
	    {60, "1m 0s"},
	    {61, "1m 1s"},
	    {1200, "20m 0s"},
	    {3599, "59m 59s"},
	    {3600, "1h 0m 0s"},
	    {3601, "1h 0m 1s"},
	    {86399, "23h 59m 59s"},
	    {86400, "1d 0h 0m 0s"},
	    {90061, "1d 1h 1m 1s"},
	    {604799, "6d 23h 59m 59s"},
	    {604800, "1w 0d 0h 0m 0s"},
	    {604805, "1w 0d 0h 0m 5s"},
	    {604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5, "1w 2d 3h 4m 5s"},
	    {90 * 86400, "12w 6d 0h 0m 0s"},
	    {-1, "-1s"},
	    {-90, "-1m 30s"},
	    {-604805, "-1w 0d 0h 0m 5s"},
	    {INT64_MAX, "15250284452471w 3d 15h 30m 7s"},
	    {INT64_MIN, "-15250284452471w 3d 15h 30m 8s"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		T_CASE(cases[i].want);
		memset(buf, 'X', sizeof(buf));
		T_OK(dur_fmt(cases[i].secs, buf, sizeof(buf)) == buf);
		T_EQ_STR(buf, cases[i].want);
	}
	T_CASE(NULL);

	/* a short buffer is cut, never overrun, always terminated */
	const char *full = "1w 0d 0h 0m 5s";
	for (size_t size = 1; size <= strlen(full) + 1; size++) {
		char buf[32];

		memset(buf, 'X', sizeof(buf));
		dur_fmt(604805, buf, size);
		T_EQ_INT(strlen(buf), size - 1);
		T_OK(strncmp(buf, full, size - 1) == 0);
		T_EQ_INT(buf[size], 'X');
	}
}

/* strip_spaces - "1w 0d 5s" -> "1w0d5s" */
static void
strip_spaces(char *s)
{
	char *d = s;

	for (; *s; s++)
		if (*s != ' ')
			*d++ = *s;
	*d = 0;
}

/* test_dur_fmt_short - shortest exact unit */
static void
test_dur_fmt_short(void)
{
	static const struct {
		int64_t secs;
		const char *want;
	} cases[] = {
	    {0, "0s"},
	    {1, "1s"},
	    {59, "59s"},
	    {60, "1m"},
	    {90, "90s"},
	    {1800, "30m"},
	    {3600, "1h"},
	    {3660, "61m"},
	    {5400, "90m"},
	    {7200, "2h"},
	    {86400, "1d"},
	    {90000, "25h"},
	    {604800, "1w"},
	    {1209600, "2w"},
	    {90 * 86400, "90d"},
	    {91 * 86400, "13w"},
	    {604801, "604801s"},
	    {-1800, "-30m"},
	    {-604800, "-1w"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];

		T_CASE(cases[i].want);
		T_OK(dur_fmt_short(cases[i].secs, buf, sizeof(buf)) == buf);
		T_EQ_STR(buf, cases[i].want);
	}
	T_CASE(NULL);
}

/* test_dur_roundtrip - both text forms parse back to the same value */
static void
test_dur_roundtrip(void)
{
	srand(4711);
	for (int i = 0; i < 20000; i++) {
		int64_t secs, back;
		char buf[64];

		switch (i % 4) {
		case 0:
			secs = i;
			break;
		case 1:
			secs = (int64_t)(rand() % 100000) * 60;
			break;
		case 2:
			secs =
			    (int64_t)(rand() % 5000) * 604800 + rand() % 604800;
			break;
		default:
			secs =
			    (((int64_t)rand() << 16) ^ rand()) % 3162240001LL;
			break;
		}
		T_CASE("short");
		dur_fmt_short(secs, buf, sizeof(buf));
		back = -1;
		T_OK(dur_parse(buf, &back));
		T_EQ_INT(back, secs);

		T_CASE("long");
		dur_fmt(secs, buf, sizeof(buf));
		strip_spaces(buf);
		back = -1;
		T_OK(dur_parse(buf, &back));
		T_EQ_INT(back, secs);
		if (t_failures > 10)
			break;
	}
	T_CASE(NULL);
}

int
main(void)
{
	test_i64();
	test_double();
	test_dur_parse();
	test_dur_fmt();
	test_dur_fmt_short();
	test_dur_roundtrip();
	return t_done();
}
