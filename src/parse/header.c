/*
 * header - split a log line into timestamp, host, program, pid, message.
 *
 * DESCRIPTION
 *	header_program() is on the hot path of every line read: it only
 *	checks the fixed punctuation of the timestamp and finds the host
 *	and the program name (one 32-byte look for the usual line);
 *	header_finish() takes pid and message for the lines someone
 *	reads.  header_time() turns the timestamp into epoch seconds for
 *	those lines only.
 *
 *	RFC 3164 stamps carry no year and are in local time.  The year is
 *	the one that puts the time closest to, and not after, the
 *	reference time plus a day of slack (a sender whose clock runs a bit
 *	ahead must not be thrown back a year).  Local time is converted
 *	with mktime, cached per hour.
 *
 * SECURITY
 *	The whole line is attacker-influenced; only the header fields are
 *	taken from fixed positions, which syslog (not the client) writes.
 *	No field is trusted to be null-terminated.
 */
#include <string.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "header.h"

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

#ifdef __SSE2__
/* movemask32 - the byte masks of two 16-byte compares as 32 bits */
static inline uint32_t
movemask32(__m128i lo, __m128i hi)
{
	return (uint32_t)_mm_movemask_epi8(lo) |
	    (uint32_t)_mm_movemask_epi8(hi) << 16;
}
#endif

/* bytes that can end a program token */
static const unsigned char prog_stop[256] = {[' '] = 1, ['['] = 1, [':'] = 1};

/*
 * scan_stop - index of the first ' ', '[' or ':' in p[i..n), or n.  This
 * runs on every line, and the end of a program name is a branch the CPU
 * cannot predict, so 16 bytes are compared at a time where the line is
 * long enough (it always is: the message follows).
 */
static inline size_t
scan_stop(const char *p, size_t i, size_t n)
{
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), br = _mm_set1_epi8('['),
		      co = _mm_set1_epi8(':');
	while (i + 16 <= n) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, br)),
		    _mm_cmpeq_epi8(v, co)));
		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < n && !prog_stop[(unsigned char)p[i]])
		i++;
	return i;
}

/* scan_blank - index of the first ' ' in p[i..n), or n */
static inline size_t
scan_blank(const char *p, size_t i, size_t n)
{
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' ');
	while (i + 16 <= n) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp));
		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < n && p[i] != ' ')
		i++;
	return i;
}

/* skip_stamp - the text after the timestamp (and a leading <pri>), or
 * NULL when the line has no timestamp popauth knows; sets the stamp */
static inline const char *
skip_stamp(const char *p, size_t n, struct span *ts, enum ts_kind *kind)
{
	const char *end = p + n;

	if (n > 3 && p[0] == '<') {
		size_t i = 1;
		while (i < 5 && i < n && is_digit(p[i]))
			i++;
		if (i > 1 && i < n && p[i] == '>') {
			p += i + 1;
			n -= i + 1;
		}
	}
	if (n >= 16 && p[3] == ' ' && p[6] == ' ' && p[9] == ':' &&
	    p[12] == ':' && p[15] == ' ') {
		*ts = (struct span){p, 15};
		*kind = TS_BSD;
		return p + 16;
	}
	if (n >= 20 && p[4] == '-' && p[7] == '-' && p[13] == ':' &&
	    p[16] == ':' && (p[10] == 'T' || p[10] == ' ')) {
		const char *e = p + 19;
		/* fraction and zone run up to the next blank */
		while (e < end && *e != ' ')
			e++;
		if (e == end)
			return NULL;
		*ts = (struct span){p, (size_t)(e - p)};
		*kind = TS_ISO;
		return e + 1;
	}
	return NULL;
}

/* prog_end - index of the end of the program name at q[0..n): the first
 * ' ', '[' or ':', but a colon inside the name ("imap(a:b)") does not
 * end it: only ": " does */
static inline size_t
prog_end(const char *q, size_t n)
{
	size_t k = scan_stop(q, 0, n);

	while (k + 1 < n && q[k] == ':' && q[k + 1] != ' ')
		k = scan_stop(q, k + 1, n);
	return k;
}

#ifdef __SSE2__
/*
 * fast_program - the usual line, "host prog[": host and program end
 * within the 32 bytes at q (which the line has, and one more); one look
 * at them finds both.  false: the long way (a colon inside the name, a
 * host ending in ':' as in Dovecot's own log, a long host or name).
 */
static inline bool
fast_program(struct logline *ll, const char *q)
{
	const __m128i sp = _mm_set1_epi8(' '), br = _mm_set1_epi8('['),
		      co = _mm_set1_epi8(':');
	__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)q);
	__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(q + 16));
	uint32_t blank =
	    movemask32(_mm_cmpeq_epi8(v0, sp), _mm_cmpeq_epi8(v1, sp));
	uint32_t stop = blank |
	    movemask32(
		_mm_or_si128(_mm_cmpeq_epi8(v0, br), _mm_cmpeq_epi8(v0, co)),
		_mm_or_si128(_mm_cmpeq_epi8(v1, br), _mm_cmpeq_epi8(v1, co)));
	size_t k, e;

	if (blank == 0)
		return false;
	k = (size_t)__builtin_ctz(blank);
	/* the first stop after the host's blank */
	uint32_t after = k < 31 ? stop & ~((2u << k) - 1) : 0;
	if (k == 0 || q[k - 1] == ':' || after == 0)
		return false;
	e = (size_t)__builtin_ctz(after);
	if (e <= k + 1 || q[e] == ' ' || (q[e] == ':' && q[e + 1] != ' '))
		return false;
	ll->host = (struct span){q, k};
	ll->prog = (struct span){q + k + 1, e - k - 1};
	return true;
}
#endif

bool
header_program(struct logline *ll, const char *p, size_t n)
{
	const char *end = p + n, *q;
	size_t k, rest;

	/* no memset: this runs for every line; set each field once */
	ll->line = (struct span){p, n};
	ll->host = ll->pid = ll->prog = ll->msg = SPAN_NONE;
	ll->time = 0;
	ll->has_time = false;
	if ((q = skip_stamp(p, n, &ll->ts, &ll->tskind)) == NULL) {
		ll->ts = SPAN_NONE;
		ll->tskind = TS_NONE;
		return false;
	}
#ifdef __SSE2__
	if (end - q > 32 && fast_program(ll, q))
		return true;
#endif
	/* first token: the host, or the program in Dovecot's own log */
	k = scan_blank(q, 0, (size_t)(end - q));
	if (k == 0 || q + k == end)
		return false;
	if (q[k - 1] != ':') {
		ll->host = (struct span){q, k};
		q += k + 1;
	}
	rest = (size_t)(end - q);
	k = prog_end(q, rest);
	if (k == 0 || k == rest || q[k] == ' ')
		return false;
	ll->prog = (struct span){q, k};
	return true;
}

bool
header_finish(struct logline *ll)
{
	const char *end = ll->line.p + ll->line.n;
	const char *q = ll->prog.p + ll->prog.n;

#ifdef __SSE2__
	/* the usual "[pid]: ", all in the next 16 bytes: one look */
	if (*q == '[' && end - q >= 16) {
		const __m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)q);
		const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
		uint32_t digit = (uint32_t)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
		uint32_t close = (uint32_t)_mm_movemask_epi8(
				     _mm_cmpeq_epi8(v, _mm_set1_epi8(']'))) &
		    ~1u;
		if (close != 0) {
			size_t c = (size_t)__builtin_ctz(close);
			uint32_t in = ((1u << c) - 1) & ~1u;
			if (c <= 13 && (digit & in) == in && q[c + 1] == ':' &&
			    q[c + 2] == ' ') {
				ll->pid = (struct span){q + 1, c - 1};
				ll->msg = (struct span){
				    q + c + 3, (size_t)(end - q) - c - 3};
				return true;
			}
		}
	}
#endif

	if (*q == '[') {
		const char *d = ++q;
		while (q < end && is_digit(*q))
			q++;
		if (q == end || *q != ']')
			return false;
		ll->pid = (struct span){d, (size_t)(q - d)};
		q++;
	}
	if (q == end || *q != ':')
		return false;
	q++;
	if (q < end && *q == ' ')
		q++;
	else if (ll->host.n == 0)
		return false; /* Dovecot's own "prog:" token ends at a blank */
	ll->msg = (struct span){q, (size_t)(end - q)};
	return true;
}

bool
header_split(struct logline *ll, const char *p, size_t n)
{
	return header_program(ll, p, n) && header_finish(ll);
}

void
tsctx_init(struct tsctx *ctx, int64_t ref)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->ref = ref;
	ctx->slack = 86400;
	ctx->cache_key = -1;
}

static int
month_of(const char *m)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++)
		if (memcmp(names + 3 * i, m, 3) == 0)
			return i;
	return -1;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int d[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 1 && is_leap(y) ? 29 : d[m];
}

/* days_from_civil - days since 1970-01-01 of y-m-d (m 1..12) */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* local_epoch - local wall time to epoch seconds (cached per hour) */
static int64_t
local_epoch(struct tsctx *ctx, int y, int mon, int d, int h, int mi, int s)
{
	int key = ((y * 12 + mon) * 31 + d) * 24 + h;

	if (key != ctx->cache_key) {
		struct tm tm = {0};
		tm.tm_year = y - 1900;
		tm.tm_mon = mon;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_isdst = -1;
		ctx->cache_epoch = (int64_t)mktime(&tm);
		ctx->cache_key = key;
	}
	return ctx->cache_epoch + mi * 60 + s;
}

static int
num2(const char *p)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static bool
parse_bsd(struct tsctx *ctx, const char *p, int64_t *out)
{
	int mon = month_of(p), d, h, mi, s;
	struct tm rtm;
	time_t ref = (time_t)ctx->ref;
	int64_t best = 0;
	bool found = false;

	if (mon < 0)
		return false;
	d = p[4] == ' ' ? (is_digit(p[5]) ? p[5] - '0' : -1) : num2(p + 4);
	h = num2(p + 7);
	mi = num2(p + 10);
	s = num2(p + 13);
	if (d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return false;
	if (ctx->ref_seen != ctx->ref || ctx->ref_year == 0) {
		localtime_r(&ref, &rtm);
		ctx->ref_year = rtm.tm_year + 1900;
		ctx->ref_mon = rtm.tm_mon;
		ctx->ref_seen = ctx->ref;
	}
	/*
	 * The latest candidate year that is not in the future.  Next year
	 * can only win for a January line read in December, so try it only
	 * then: each try may cost a mktime.
	 */
	int y0 = ctx->ref_year + (mon == 0 && ctx->ref_mon == 11 ? 1 : 0);
	for (int y = y0; y >= ctx->ref_year - 1; y--) {
		if (d > days_in_month(y, mon))
			continue;
		int64_t t = local_epoch(ctx, y, mon, d, h, mi, s);
		if (t <= ctx->ref + ctx->slack) {
			best = t;
			found = true;
			break;
		}
	}
	if (!found)
		return false;
	*out = best;
	return true;
}

static bool
parse_iso(struct tsctx *ctx, const char *p, size_t n, int64_t *out)
{
	int y, mon, d, h, mi, s;
	size_t i = 19;
	int64_t t;

	if (n < 19)
		return false;
	for (int k = 0; k < 4; k++)
		if (!is_digit(p[k]))
			return false;
	y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 +
	    (p[3] - '0');
	mon = num2(p + 5);
	d = num2(p + 8);
	h = num2(p + 11);
	mi = num2(p + 14);
	s = num2(p + 17);
	if (y < 1970 || mon < 1 || mon > 12 || d < 1 ||
	    d > days_in_month(y, mon - 1) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 60)
		return false;
	if (i < n && (p[i] == '.' || p[i] == ',')) {
		i++;
		size_t f = i;
		while (i < n && is_digit(p[i]))
			i++;
		if (i == f)
			return false;
	}
	if (i == n) {
		/* no zone: local time, as Dovecot's own %Y-%m-%d stamps */
		*out = local_epoch(ctx, y, mon - 1, d, h, mi, s);
		return true;
	}
	t = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
	if (p[i] == 'Z' || p[i] == 'z') {
		if (i + 1 != n)
			return false;
		*out = t;
		return true;
	}
	if (p[i] != '+' && p[i] != '-')
		return false;
	int sign = p[i] == '-' ? -1 : 1, oh, om;
	i++;
	if (n - i == 5 && p[i + 2] == ':') {
		oh = num2(p + i);
		om = num2(p + i + 3);
	} else if (n - i == 4) {
		oh = num2(p + i);
		om = num2(p + i + 2);
	} else {
		return false;
	}
	if (oh < 0 || oh > 23 || om < 0 || om > 59)
		return false;
	*out = t - sign * (oh * 3600 + om * 60);
	return true;
}

bool
ts_parse_text(struct tsctx *ctx, const char *s, size_t n, int64_t *out)
{
	if (n == 15 && s[3] == ' ' && s[6] == ' ' && s[9] == ':' &&
	    s[12] == ':')
		return parse_bsd(ctx, s, out);
	if (n >= 19 && s[4] == '-' && s[7] == '-' &&
	    (s[10] == 'T' || s[10] == ' ') && s[13] == ':' && s[16] == ':')
		return parse_iso(ctx, s, n, out);
	return false;
}

bool
header_time(struct tsctx *ctx, struct logline *ll)
{
	if (ll->has_time)
		return true;
	switch (ll->tskind) {
	case TS_BSD:
		ll->has_time = parse_bsd(ctx, ll->ts.p, &ll->time);
		break;
	case TS_ISO:
		ll->has_time = parse_iso(ctx, ll->ts.p, ll->ts.n, &ll->time);
		break;
	default:
		break;
	}
	return ll->has_time;
}
