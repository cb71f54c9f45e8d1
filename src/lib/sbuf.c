/*
 * sbuf - growable, length-counted byte strings, and escaping for logs.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "sbuf.h"

void
sbuf_reserve(struct sbuf *b, size_t extra)
{
	size_t need;

	if (extra >= SIZE_MAX - b->len)
		msg_fatal("sbuf: size overflow");
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
	/* a fresh buffer must be a string too (esc of an empty span) */
	b->s[b->len] = 0;
}

void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = 0;
}

void
sbuf_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	sbuf_reserve(b, n);
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = 0;
}

void
sbuf_addc(struct sbuf *b, char c)
{
	sbuf_reserve(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = 0;
}

void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	/* one pass when it fits in the room there is, two when not (this
	 * also keeps GCC 12 -fsanitize=undefined -O2 from warning falsely
	 * of a "null format string" in vsnprintf(NULL, 0, fmt, ap)) */
	sbuf_reserve(b, 0);
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg_panic("sbuf_printf: bad format %s", fmt);
	if ((size_t)n >= room) {
		sbuf_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

char *
xstrfmt(const char *fmt, ...)
{
	struct sbuf b = SBUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg_panic("xstrfmt: bad format %s", fmt);
	sbuf_reserve(&b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b.s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b.len = (size_t)n;
	return sbuf_detach(&b);
}

char *
sbuf_detach(struct sbuf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
sbuf_add_escaped(struct sbuf *b, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	sbuf_reserve(b, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\\') {
			sbuf_add(b, "\\\\", 2);
		} else if (c >= 0x20 && c < 0x7f) {
			sbuf_addc(b, (char)c);
		} else {
			char x[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			sbuf_add(b, x, 4);
		}
	}
}

#define ESC_SLOTS 8
#define ESC_MAX 512

const char *
esc(struct span s)
{
	static char slots[ESC_SLOTS][ESC_MAX * 4 + 8];
	static unsigned next;
	char *out = slots[next++ % ESC_SLOTS];
	struct sbuf b = SBUF_INIT;
	bool cut = s.n > ESC_MAX;

	sbuf_add_escaped(&b, s.p ? s.p : "", cut ? ESC_MAX : s.n);
	if (cut)
		sbuf_adds(&b, "...");
	memcpy(out, b.s, b.len + 1);
	sbuf_free(&b);
	return out;
}

const char *
escs(const char *s)
{
	return esc((struct span){s, s ? strlen(s) : 0});
}

bool
span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	/* an empty span may have no pointer: no memcmp(NULL, ...) */
	return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

bool
span_has_prefix(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && (n == 0 || memcmp(s.p, lit, n) == 0);
}
