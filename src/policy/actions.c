/*
 * actions - what the policy engine asks the outside world to do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/sbuf.h"
#include "actions.h"

void
actions_init(struct actions *a)
{
	memset(a, 0, sizeof(*a));
}

void
actions_reset(struct actions *a)
{
	/* min_level is a setting: it survives */
	for (size_t i = 0; i < a->nstrs; i++)
		free(a->strs[i]);
	a->nstrs = 0;
	a->n = 0;
}

void
actions_free(struct actions *a)
{
	actions_reset(a);
	free(a->strs);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

struct action *
actions_add(struct actions *a, enum action_kind kind)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	struct action *act = &a->v[a->n++];
	memset(act, 0, sizeof(*act));
	act->kind = kind;
	return act;
}

/* keep - take ownership of a string */
static const char *
keep(struct actions *a, char *s)
{
	if (a->nstrs == a->capstrs) {
		a->capstrs = a->capstrs ? 2 * a->capstrs : 16;
		a->strs = xreallocarray(a->strs, a->capstrs, sizeof(*a->strs));
	}
	a->strs[a->nstrs++] = s;
	return s;
}

const char *
actions_str(struct actions *a, const char *s, size_t n)
{
	return keep(a, xstrndup(s, n));
}

void
actions_log(struct actions *a, enum msg_level level, const char *fmt, ...)
{
	struct sbuf b = SBUF_INIT;
	char tmp[512];
	va_list ap;
	int n;

	if (level < a->min_level)
		return;
	/* most messages fit; format straight into the final string if not */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg_panic("actions_log: bad format %s", fmt);
	if ((size_t)n < sizeof(tmp)) {
		sbuf_add(&b, tmp, (size_t)n);
	} else {
		sbuf_reserve(&b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b.s, (size_t)n + 1, fmt, ap);
		va_end(ap);
		b.len = (size_t)n;
	}
	struct action *act = actions_add(a, ACT_LOG);
	act->level = level;
	act->text = keep(a, sbuf_detach(&b));
}

size_t
actions_count(const struct actions *a, enum action_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].kind == kind;
	return n;
}
