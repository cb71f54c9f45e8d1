/*
 * dispatch - pick the recognisers for a line by its program name.
 *
 * DESCRIPTION
 *	Every recogniser (and every custom pattern) registers program
 *	names, exact or as a prefix ("perdition*", "qpopper*", "*").  At
 *	setup the registrations are compiled into an open-addressing hash
 *	table from exact name to the list of handlers that read it, in
 *	registration order (built-ins first, in recog_builtin[] order, then
 *	custom patterns in config order); prefix registrations are folded
 *	into every exact name they cover.
 *
 *	A line's program name is looked up as it was logged.  A name that
 *	is not in the table is reduced once to its key (leading path
 *	dropped, Postfix instance and service removed: see
 *	dispatch_prog_key), which is looked up in turn or checked against
 *	the prefix registrations, and the answer - often "nobody" - is
 *	remembered under the name as logged, so the next line of that
 *	program costs one hash lookup too.  At most DISPATCH_LEARN names
 *	are remembered (the table, candidate array and key pool are sized
 *	for them at setup); after that, unknown names are reduced and
 *	checked each time, still without allocating.
 *
 *	Custom patterns mark the table stale; it is rebuilt once, by
 *	dispatch_ready or else by the next lookup, however many patterns
 *	were added.
 *
 *	The admin's list of login servers selects among the recognisers
 *	marked .login; the others (postfix) are always added.
 *	dispatch_configure hands the recognisers their settings (recog_conf)
 *	and may be called again on reload.
 *
 *	A Solaris syslog message id ("[ID 702911 mail.info] ") at the start
 *	of the message is skipped before the recognisers see the line.
 *
 * SECURITY
 *	Program names come from the log and may be chosen by any local user
 *	(logger -t): they only select handlers, and the remembered-name
 *	table is bounded.  Custom patterns are the admin's; a match gives an
 *	event only when the ip group parses with ipaddr_parse on its exact
 *	bounds.  PCRE2 runs on the message span without copying it.
 *
 * DIAGNOSTICS
 *	None on the hot path.  Setup errors are returned as messages.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "../lib/seed.h"
#include "dispatch.h"
#include "recog.h"
#include "recog_util.h"

#define DISPATCH_LEARN 256
/* custom patterns at most (handler ids are 16 bits) */
#define DISPATCH_MAX_PATTERNS 1000

struct custom {
	pcre2_code *re;
	pcre2_match_data *md;
	enum event_kind kind;
	uint32_t g_ip, g_user, g_domain, g_host, g_proto; /* 0 = absent */
};

/*
 * A program name as two words: its first and last 8 bytes (overlapping
 * for 8 to 16 bytes; packed for shorter names).  For names of at most
 * 16 bytes, the two words and the length are the whole name, so a table
 * probe compares two integers and never touches the name's text.
 */
struct name_words {
	uint64_t a, b;
};

static inline struct name_words
name_words(const char *p, size_t n)
{
	struct name_words w = {0, 0};

	if (n >= 8) {
		memcpy(&w.a, p, 8);
		memcpy(&w.b, p + n - 8, 8);
	} else if (n >= 4) {
		/* two 4-byte words, overlapping: no byte loop for "dovecot" */
		uint32_t x, y;
		memcpy(&x, p, 4);
		memcpy(&y, p + n - 4, 4);
		w.a = (uint64_t)x << 32 | y;
	} else {
		while (n > 0)
			w.a = w.a << 8 | (unsigned char)p[--n];
	}
	return w;
}

/* one recogniser or custom pattern */
struct handler {
	const struct recog *rc; /* NULL for a custom pattern */
	void *state;
	struct custom *cu;
};

/* "handler h reads program name" (or every name with that prefix) */
struct reg {
	char *name;
	size_t len;
	bool prefix;
	uint16_t h;
};

struct slot {
	const char *key; /* NULL = free */
	struct name_words w; /* of the key */
	uint32_t hash;
	uint16_t klen;
	uint32_t first; /* candidates: cand[first .. first + count) */
	uint32_t count;
};

struct dispatch {
	uint64_t seed; /* for name_hash */
	struct handler *hv;
	size_t hn, ncustom;
	bool dirty; /* registrations changed: rebuild before use */
	struct reg *rv;
	size_t rn;
	/* compiled by dispatch_build */
	struct slot *tab;
	size_t mask;
	uint16_t *cand;
	size_t ncand, candcap;
	char *pool;
	size_t poolused, poolcap;
	size_t nlearned;
	uint16_t *scratch; /* hn entries: dispatch_line's own */
};

/*
 * name_hash - hash of a program name from its words (and, past 16
 * bytes, the words between), keyed by the dispatcher's random seed: a
 * crafted set of program names cannot be made to collide on purpose
 */
static inline uint32_t
name_hash(uint64_t seed, const char *p, size_t n, struct name_words w)
{
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);

	for (size_t i = 8; i + 8 < n; i += 8) {
		uint64_t m;
		memcpy(&m, p + i, 8);
		h = (h ^ m) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h = (h ^ w.a) * 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	h = (h ^ w.b) * 0xc4ceb9fe1a85ec53ULL;
	return (uint32_t)(h ^ (h >> 29));
}

/* dispatch_prog_key - the registration key of a program name */
struct span
dispatch_prog_key(struct span prog, char *buf, size_t bufsize)
{
	const char *first, *last;

	if (prog.n == 0)
		return prog;
	if (prog.p[0] == '/') {
		last = ru_rchr(prog, '/');
		return ru_span(last + 1, ru_end(prog));
	}
	if (prog.n < 8 || memcmp(prog.p, "postfix", 7) != 0 ||
	    (first = memchr(prog.p + 7, '/', prog.n - 7)) == NULL)
		return prog;
	last = ru_rchr(prog, '/');
	if (first == last && first - prog.p == 7)
		return prog; /* already "postfix/<service>" */
	size_t svc = (size_t)(ru_end(prog) - last - 1);
	if (8 + svc > bufsize)
		return SPAN_NONE;
	memcpy(buf, "postfix/", 8);
	memcpy(buf + 8, last + 1, svc);
	return (struct span){buf, 8 + svc};
}

/* reg_covers - registration r reads program key k */
static bool
reg_covers(const struct reg *r, struct span k)
{
	if (r->prefix)
		return k.n >= r->len && memcmp(k.p, r->name, r->len) == 0;
	return k.n == r->len && memcmp(k.p, r->name, r->len) == 0;
}

/* candidates - the handlers that read k, in handler order, into out
 * (room for d->hn); their number.  prefix_only: k is not registered
 * exactly, so only the prefix registrations need a look.  The
 * registrations are stored in handler order (each handler registers
 * all its names when it is added), so one pass suffices. */
static size_t
candidates(
    const struct dispatch *d, struct span k, bool prefix_only, uint16_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < d->rn; i++) {
		const struct reg *r = &d->rv[i];
		if ((prefix_only && !r->prefix) || !reg_covers(r, k) ||
		    (n > 0 && out[n - 1] == r->h))
			continue;
		out[n++] = r->h;
	}
	return n;
}

/* key_eq - n bytes equal; program names are short, and a libc memcmp
 * call costs more than comparing them word by word inline */
static inline bool
key_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	if (n >= 8) {
		for (size_t i = 0; i + 8 <= n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8); /* overlaps the last full word */
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		uint32_t u, v, u2, v2;
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		memcpy(&u2, a + n - 4, 4);
		memcpy(&v2, b + n - 4, 4);
		return u == v && u2 == v2;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* slot_is - slot s holds key k (whose words are w) */
static inline bool
slot_is(const struct slot *s, struct span k, struct name_words w, uint32_t hash)
{
	return s->hash == hash && s->w.a == w.a && s->w.b == w.b &&
	    s->klen == k.n &&
	    (k.n <= 16 || key_eq(s->key + 8, k.p + 8, k.n - 16));
}

/* table_find - the slot of key k, or the free slot where it belongs */
static struct slot *
table_find(const struct dispatch *d, struct span k)
{
	struct name_words w = name_words(k.p, k.n);
	uint32_t hash = name_hash(d->seed, k.p, k.n, w);
	size_t i = hash & d->mask;

	for (;;) {
		struct slot *s = &d->tab[i];
		if (s->key == NULL || slot_is(s, k, w, hash))
			return s;
		i = (i + 1) & d->mask;
	}
}

/* table_add - put key in the free slot s with the candidates
 * cand[first .. first + count) (room was reserved by dispatch_build) */
static void
table_add(const struct dispatch *d, struct slot *s, const char *key,
    size_t klen, size_t first, size_t count)
{
	s->key = key;
	s->w = name_words(key, klen);
	s->hash = name_hash(d->seed, key, klen, s->w);
	s->klen = (uint16_t)klen;
	s->first = (uint32_t)first;
	s->count = (uint32_t)count;
}

/* dispatch_build - compile the registrations into the table */
static void
dispatch_build(struct dispatch *d)
{
	size_t nexact = 0, nprefix_h = 0, size = 16, n;

	for (size_t i = 0; i < d->rn; i++)
		nexact += !d->rv[i].prefix;
	for (size_t h = 0; h < d->hn; h++)
		for (size_t i = 0; i < d->rn; i++)
			if (d->rv[i].h == h && d->rv[i].prefix) {
				nprefix_h++;
				break;
			}
	while (size < 2 * (nexact + DISPATCH_LEARN))
		size *= 2;

	free(d->tab);
	free(d->cand);
	free(d->scratch);
	d->tab = xcalloc(size, sizeof(*d->tab));
	d->mask = size - 1;
	d->candcap = nexact * (d->hn ? d->hn : 1) + DISPATCH_LEARN * nprefix_h;
	d->cand = xcalloc(d->candcap ? d->candcap : 1, sizeof(*d->cand));
	d->ncand = 0;
	d->scratch = xcalloc(d->hn ? d->hn : 1, sizeof(*d->scratch));
	if (d->pool == NULL) {
		d->poolcap = DISPATCH_LEARN * DISPATCH_KEYMAX;
		d->pool = xmalloc(d->poolcap);
	}
	d->poolused = 0;
	d->nlearned = 0;
	d->dirty = false;

	for (size_t i = 0; i < d->rn; i++) {
		struct reg *r = &d->rv[i];
		struct span k = {r->name, r->len};
		struct slot *s;

		if (r->prefix || (s = table_find(d, k))->key != NULL)
			continue;
		n = candidates(d, k, false, d->cand + d->ncand);
		table_add(d, s, r->name, k.n, d->ncand, n);
		d->ncand += n;
	}
}

/*
 * lookup - the handlers for program name prog.  The name as logged is
 * looked up first; only a name seen for the first time is reduced to
 * its key (dispatch_prog_key) and checked against the registrations,
 * and the answer is remembered under the name as logged.  Past
 * DISPATCH_LEARN names the answer goes to scratch (*stable false).
 */
static const uint16_t *
lookup(struct dispatch *d, struct span prog, uint16_t *scratch, size_t *n,
    bool *stable)
{
	struct slot *s = table_find(d, prog), *ks;
	char buf[DISPATCH_KEYMAX];
	struct span k;
	size_t first, count;
	bool learn;

	*stable = true;
	if (s->key != NULL) {
		*n = s->count;
		return d->cand + s->first;
	}
	k = dispatch_prog_key(prog, buf, sizeof(buf));
	if (k.p == NULL) {
		*n = 0;
		return d->cand;
	}
	/* the key may be registered exactly ("/usr/sbin/ipop3d") */
	ks = k.p == prog.p && k.n == prog.n ? s : table_find(d, k);
	learn = d->nlearned < DISPATCH_LEARN && prog.n <= DISPATCH_KEYMAX &&
	    d->poolused + prog.n <= d->poolcap;
	if (ks->key != NULL) {
		first = ks->first;
		count = ks->count;
	} else if (learn) {
		first = d->ncand;
		count = candidates(d, k, true, d->cand + d->ncand);
		d->ncand += count;
	} else {
		*stable = false;
		*n = candidates(d, k, true, scratch);
		return scratch;
	}
	if (learn) {
		char *key = d->pool + d->poolused;
		memcpy(key, prog.p, prog.n);
		d->poolused += prog.n;
		d->nlearned++;
		table_add(d, s, key, prog.n, first, count);
	}
	*n = count;
	return d->cand + first;
}

/* add_reg - register name (a copy is kept) for handler h */
static void
add_reg(struct dispatch *d, const char *name, uint16_t h)
{
	size_t len = strlen(name);
	bool prefix = len > 0 && name[len - 1] == '*';
	char buf[DISPATCH_KEYMAX];
	struct span k = {name, prefix ? len - 1 : len};

	if (!prefix) {
		k = dispatch_prog_key(k, buf, sizeof(buf));
		if (k.p == NULL)
			return;
	}
	d->rv = xreallocarray(d->rv, d->rn + 1, sizeof(*d->rv));
	d->rv[d->rn++] = (struct reg){xstrndup(k.p, k.n), k.n, prefix, h};
}

/* add_handler - a new handler slot; its index */
static uint16_t
add_handler(struct dispatch *d, const struct recog *rc, struct custom *cu)
{
	d->hv = xreallocarray(d->hv, d->hn + 1, sizeof(*d->hv));
	d->hv[d->hn] = (struct handler){rc, NULL, cu};
	if (rc && rc->state_new)
		d->hv[d->hn].state = rc->state_new();
	return (uint16_t)d->hn++;
}

/* add_recog - register a built-in recogniser */
static void
add_recog(struct dispatch *d, const struct recog *rc)
{
	uint16_t h = add_handler(d, rc, NULL);

	for (const char *const *p = rc->progs; *p; p++)
		add_reg(d, *p, h);
}

/* known_names - "dovecot, courier, ..." (the login servers) for error
 * messages */
static void
known_names(struct sbuf *b)
{
	for (const struct recog *const *r = recog_builtin; *r; r++)
		if ((*r)->login)
			sbuf_printf(b, "%s%s", b->len ? ", " : "", (*r)->name);
}

/* dispatch_new - a dispatcher for the enabled built-in recognisers */
struct dispatch *
dispatch_new(const char *const *enabled, char **err)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));

	d->seed = seed_new(d);
	for (const char *const *e = enabled; e && *e; e++) {
		const struct recog *rc = recog_find(*e);
		if (rc == NULL || !rc->login) {
			struct sbuf b = SBUF_INIT;
			known_names(&b);
			if (rc == NULL)
				err_set(err,
				    "unknown recogniser '%s' (known: %s)",
				    escs(*e), b.s);
			else
				err_set(err,
				    "'%s' is not a login server: it is always "
				    "on (login servers: %s)",
				    escs(*e), b.s);
			sbuf_free(&b);
			dispatch_free(d);
			return NULL;
		}
	}
	for (const struct recog *const *r = recog_builtin; *r; r++) {
		bool on = enabled == NULL || !(*r)->login;
		for (const char *const *e = enabled; e && *e && !on; e++)
			on = strcmp(*e, (*r)->name) == 0;
		if (on)
			add_recog(d, *r);
	}
	dispatch_build(d);
	return d;
}

void
dispatch_ready(struct dispatch *d)
{
	if (d->dirty)
		dispatch_build(d);
}

/* dispatch_configure - pass the settings to the recognisers */
void
dispatch_configure(struct dispatch *d, const struct recog_conf *conf)
{
	for (size_t h = 0; h < d->hn; h++)
		if (d->hv[h].rc && d->hv[h].rc->configure)
			d->hv[h].rc->configure(d->hv[h].state, conf);
}

/* custom_free - release a compiled pattern */
static void
custom_free(struct custom *cu)
{
	if (cu == NULL)
		return;
	pcre2_match_data_free(cu->md);
	pcre2_code_free(cu->re);
	free(cu);
}

/* custom_groups - check and note the named groups of cu->re */
static bool
custom_groups(struct custom *cu, char **err)
{
	uint32_t count = 0, size = 0;
	PCRE2_SPTR table = NULL;

	pcre2_pattern_info(cu->re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(cu->re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(cu->re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *e = table + (size_t)i * size;
		uint32_t num = (uint32_t)(e[0] << 8 | e[1]);
		const char *name = (const char *)e + 2;

		if (strcmp(name, "ip") == 0)
			cu->g_ip = num;
		else if (strcmp(name, "user") == 0)
			cu->g_user = num;
		else if (strcmp(name, "domain") == 0)
			cu->g_domain = num;
		else if (strcmp(name, "host") == 0)
			cu->g_host = num;
		else if (strcmp(name, "proto") == 0)
			cu->g_proto = num;
		else {
			err_set(err,
			    "custom pattern: unknown named group '%s' (use "
			    "ip, user, domain, host, proto)",
			    escs(name));
			return false;
		}
	}
	if (cu->g_ip == 0) {
		err_set(err, "custom pattern: no named group 'ip'");
		return false;
	}
	return true;
}

/* token - the next blank-delimited word of *p (advanced past it) */
static struct span
token(const char **p)
{
	const char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	*p = e;
	return ru_span(s, e);
}

/* dispatch_add_custom - compile and register one admin pattern */
bool
dispatch_add_custom(struct dispatch *d, const char *spec, char **err)
{
	const char *p = spec, *re, *close;
	struct span kind, prog;
	uint32_t opts = 0;
	int errcode;
	PCRE2_SIZE erroff;
	struct custom *cu;
	char name[32], progname[DISPATCH_KEYMAX + 2];

	if (d->ncustom >= DISPATCH_MAX_PATTERNS) {
		err_set(err, "custom pattern: more than %d patterns",
		    DISPATCH_MAX_PATTERNS);
		return false;
	}
	kind = token(&p);
	prog = token(&p);
	if (kind.n == 0 || prog.n == 0) {
		err_set(err,
		    "custom pattern: expected \"<kind> <program> "
		    "/<regex>/[flags]\"");
		return false;
	}
	if (kind.n >= sizeof(name)) {
		err_set(
		    err, "custom pattern: unknown event kind '%s'", esc(kind));
		return false;
	}
	memcpy(name, kind.p, kind.n);
	name[kind.n] = 0;
	/* the kinds whose meaning needs no more than the groups a pattern
	 * can fill (a forgery or unknown recipient needs its addresses) */
	enum event_kind k = event_kind_parse(name);
	if (k != EVENT_LOGIN && k != EVENT_LOGIN_FAIL && k != EVENT_SASL_FAIL &&
	    k != EVENT_RBL && k != EVENT_BLACKLISTED) {
		err_set(err,
		    "custom pattern: %s event kind '%s' (use login, "
		    "login-fail, sasl-fail, rbl, blacklisted)",
		    k == EVENT_NONE ? "unknown" : "no custom pattern for the",
		    escs(name));
		return false;
	}
	if (prog.n > DISPATCH_KEYMAX) {
		err_set(err, "custom pattern: program name too long");
		return false;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	re = p;
	close = strrchr(re, '/');
	if (*re != '/' || close == NULL || close == re) {
		err_set(err,
		    "custom pattern: the regex must be written "
		    "/.../ after the program name");
		return false;
	}
	for (const char *f = close + 1; *f; f++) {
		switch (*f) {
		case 'i':
			opts |= PCRE2_CASELESS;
			break;
		case 'm':
			opts |= PCRE2_MULTILINE;
			break;
		case 's':
			opts |= PCRE2_DOTALL;
			break;
		case 'x':
			opts |= PCRE2_EXTENDED;
			break;
		case ' ':
		case '\t':
		case '\n':
			break;
		default:
			err_set(err,
			    "custom pattern: unknown flag '%c' (use i, m, s, "
			    "x)",
			    *f >= 0x21 && *f < 0x7f ? *f : '?');
			return false;
		}
	}
	if (close == re + 1) {
		err_set(err, "custom pattern: empty regex");
		return false;
	}

	cu = xcalloc(1, sizeof(*cu));
	cu->kind = k;
	cu->re = pcre2_compile((PCRE2_SPTR)(re + 1), (size_t)(close - re - 1),
	    opts, &errcode, &erroff, NULL);
	if (cu->re == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		err_set(err, "custom pattern: regex error at offset %zu: %s",
		    (size_t)erroff, (const char *)msg);
		free(cu);
		return false;
	}
	if (!custom_groups(cu, err)) {
		custom_free(cu);
		return false;
	}
	(void)pcre2_jit_compile(cu->re, PCRE2_JIT_COMPLETE);
	cu->md = pcre2_match_data_create_from_pattern(cu->re, NULL);
	if (cu->md == NULL)
		msg_fatal("out of memory");

	memcpy(progname, prog.p, prog.n);
	progname[prog.n] = 0;
	add_reg(d, progname, add_handler(d, NULL, cu));
	d->ncustom++;
	d->dirty = true;
	return true;
}

/* group - the span of capture group g of the last match, or SPAN_NONE */
static struct span
group(const struct custom *cu, struct span msg, uint32_t g)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(cu->md);

	if (g == 0 || ov[2 * g] == PCRE2_UNSET)
		return SPAN_NONE;
	return (struct span){msg.p + ov[2 * g], ov[2 * g + 1] - ov[2 * g]};
}

/* custom_match - run one custom pattern on the message */
static bool
custom_match(struct custom *cu, const struct logline *ll, struct event *ev)
{
	struct span ips, pr;
	int rc;

	rc = pcre2_match(cu->re, (PCRE2_SPTR)(ll->msg.p ? ll->msg.p : ""),
	    ll->msg.n, 0, 0, cu->md, NULL);
	if (rc < 0)
		return false;
	ips = group(cu, ll->msg, cu->g_ip);
	if (ips.n == 0 || !ipaddr_parse(&ev->ip, ips.p, ips.n))
		return false;
	ev->kind = cu->kind;
	ev->user = group(cu, ll->msg, cu->g_user);
	ev->domain = group(cu, ll->msg, cu->g_domain);
	ev->host = group(cu, ll->msg, cu->g_host);
	pr = group(cu, ll->msg, cu->g_proto);
	if (ru_eqi(pr, "pop3"))
		ev->proto = PROTO_POP3;
	else if (ru_eqi(pr, "imap"))
		ev->proto = PROTO_IMAP;
	return true;
}

/* solaris_msgid - skip "[ID 123456 facility.level] " */
static bool
solaris_msgid(struct span *m)
{
	struct span s = *m;
	size_t i = 0;

	if (!ru_prefix(&s, "[ID "))
		return false;
	while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
		i++;
	if (i == 0 || i >= s.n || s.p[i] != ' ')
		return false;
	for (i++; i < s.n && s.p[i] != ']'; i++)
		if (s.p[i] == ' ')
			return false;
	if (i + 1 >= s.n || s.p[i + 1] != ' ')
		return false;
	*m = ru_span(s.p + i + 2, ru_end(s));
	return true;
}

/* the message the handlers see: a Solaris message id skipped */
static const struct logline *
handler_line(const struct logline *ll, struct logline *sol)
{
	if (ll->msg.n > 4 && ll->msg.p[0] == '[') {
		*sol = *ll;
		if (solaris_msgid(&sol->msg))
			return sol;
	}
	return ll;
}

/* select_slow - dispatch_select for a table to build or a name to learn */
static __attribute__((noinline)) bool
select_slow(struct dispatch *d, struct span prog, uint16_t *scratch,
    struct dispatch_sel *sel)
{
	size_t cn;

	if (d->dirty)
		dispatch_build(d);
	sel->cv = lookup(d, prog, scratch, &cn, &sel->stable);
	sel->cn = (uint32_t)cn;
	return cn > 0;
}

/* probe_select - dispatch_select; every line comes here, so the probe for a
 * known name is kept small enough to be inlined, and anything else goes
 * the long way (and is remembered) */
static inline bool
probe_select(struct dispatch *d, struct span prog, uint16_t *scratch,
    struct dispatch_sel *sel)
{
	struct name_words w = name_words(prog.p, prog.n);
	uint32_t hash = name_hash(d->seed, prog.p, prog.n, w);

	for (size_t i = hash & d->mask; !d->dirty; i = (i + 1) & d->mask) {
		const struct slot *s = &d->tab[i];
		if (s->key == NULL)
			break;
		if (slot_is(s, prog, w, hash)) {
			sel->cv = d->cand + s->first;
			sel->cn = s->count;
			sel->stable = true;
			return s->count > 0;
		}
	}
	return select_slow(d, prog, scratch, sel);
}

bool
dispatch_select(struct dispatch *d, struct span prog, uint16_t *scratch,
    struct dispatch_sel *sel)
{
	return probe_select(d, prog, scratch, sel);
}

/* skim - dispatch_skim */
static inline bool
skim(const struct dispatch *d, const struct dispatch_sel *sel,
    const struct logline *ll)
{
	struct logline sol;

	ll = handler_line(ll, &sol);
	for (uint32_t i = 0; i < sel->cn; i++) {
		const struct recog *rc = d->hv[sel->cv[i]].rc;
		if (rc == NULL || rc->skim == NULL || rc->skim(ll->msg))
			return true;
	}
	return false;
}

bool
dispatch_skim(const struct dispatch *d, const struct dispatch_sel *sel,
    const struct logline *ll)
{
	return skim(d, sel, ll);
}

bool
dispatch_take(struct dispatch *d, struct logline *ll, uint16_t *scratch,
    struct dispatch_sel *sel, bool *bad)
{
	*bad = false;
	if (!probe_select(d, ll->prog, scratch, sel))
		return false;
	if (!header_finish(ll)) {
		*bad = true;
		return false;
	}
	return skim(d, sel, ll);
}

bool
dispatch_resolve(const struct dispatch *d, struct span prog, uint16_t *scratch,
    struct dispatch_sel *sel)
{
	char buf[DISPATCH_KEYMAX];
	struct span k = dispatch_prog_key(prog, buf, sizeof(buf));

	sel->cv = scratch;
	sel->cn = k.p ? (uint32_t)candidates(d, k, false, scratch) : 0;
	sel->stable = false;
	return sel->cn > 0;
}

size_t
dispatch_handlers(const struct dispatch *d)
{
	return d->hn ? d->hn : 1;
}

bool
dispatch_match(struct dispatch *d, const struct dispatch_sel *sel,
    const struct logline *ll, struct event *ev)
{
	struct logline sol;

	ll = handler_line(ll, &sol);
	for (uint32_t i = 0; i < sel->cn; i++) {
		struct handler *h = &d->hv[sel->cv[i]];

		memset(ev, 0, sizeof(*ev));
		if (h->rc ? h->rc->match(h->state, ll, ev)
			  : custom_match(h->cu, ll, ev)) {
			ev->recog = h->rc ? h->rc->name : "custom";
			return true;
		}
	}
	return false;
}

bool
dispatch_line(struct dispatch *d, const struct logline *ll, struct event *ev)
{
	struct dispatch_sel sel;

	return probe_select(d, ll->prog, d->scratch, &sel) &&
	    skim(d, &sel, ll) && dispatch_match(d, &sel, ll, ev);
}

/* dispatch_free - release a dispatcher and its recogniser states */
void
dispatch_free(struct dispatch *d)
{
	if (d == NULL)
		return;
	for (size_t h = 0; h < d->hn; h++) {
		if (d->hv[h].rc && d->hv[h].rc->state_free)
			d->hv[h].rc->state_free(d->hv[h].state);
		custom_free(d->hv[h].cu);
	}
	for (size_t i = 0; i < d->rn; i++)
		free(d->rv[i].name);
	free(d->hv);
	free(d->rv);
	free(d->tab);
	free(d->cand);
	free(d->scratch);
	free(d->pool);
	free(d);
}

/* dispatch_names - the help text listing the built-in recognisers: the
 * login servers first, then the ones always on, marked so */
void
dispatch_names(struct sbuf *out)
{
	for (int login = 1; login >= 0; login--) {
		for (const struct recog *const *r = recog_builtin; *r; r++) {
			if ((*r)->login != login)
				continue;
			sbuf_printf(out, "%s: %s%s (programs:", (*r)->name,
			    login ? "" : "(always on) ", (*r)->what);
			for (const char *const *p = (*r)->progs; *p; p++)
				sbuf_printf(out, " %s", *p);
			sbuf_adds(out, ")\n");
		}
	}
}
