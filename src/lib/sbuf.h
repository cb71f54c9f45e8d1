/*
 * sbuf - growable, length-counted byte strings.
 *
 * All text that comes from outside (log lines, config values, replies of
 * child processes) is handled as (pointer, length) or as an sbuf, never
 * as a bare C string whose end is trusted.  The buffer is always kept
 * null-terminated so that it can also be handed to libc.
 */
#ifndef POPAUTH_SBUF_H
#define POPAUTH_SBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

struct sbuf {
	char *s; /* always null-terminated once allocated */
	size_t len; /* bytes in use, without the terminator */
	size_t cap; /* bytes allocated */
};

#define SBUF_INIT                                                              \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

/* span - a borrowed (pointer, length) slice of someone else's text */
struct span {
	const char *p;
	size_t n;
};

#define SPAN_NONE ((struct span){NULL, 0})
#define SPAN_LIT(s) ((struct span){(s), sizeof(s) - 1})

void sbuf_reserve(struct sbuf *b, size_t extra);
void sbuf_reset(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_add(struct sbuf *b, const void *p, size_t n);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* xstrfmt - a formatted string in new memory (the caller frees it) */
char *xstrfmt(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* err_set - *err = xstrfmt(...), if err is not NULL: the error messages
 * handed back to callers that free them */
#define err_set(err, ...)                                                      \
	do {                                                                   \
		if (err)                                                       \
			*(err) = xstrfmt(__VA_ARGS__);                         \
	} while (0)

/* sbuf_detach - hand the string to the caller (who frees it) and reset */
char *sbuf_detach(struct sbuf *b);

/*
 * sbuf_add_escaped - append text for a log message or a terminal: printable
 * ASCII is kept, backslash and everything else become \\ or \xNN.  This is
 * what stops a crafted user name or HELO from writing fake lines into our
 * log or escape sequences to an admin's terminal.
 */
void sbuf_add_escaped(struct sbuf *b, const char *p, size_t n);

/* esc - escape a span into a small rotating static buffer, for messages.
 * Valid until the 8th following call; long text is cut with "...". */
const char *esc(struct span s);
const char *escs(const char *s);

bool span_eq(struct span s, const char *lit);
bool span_has_prefix(struct span s, const char *lit);

#endif
