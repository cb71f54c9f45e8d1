/*
 * accessmap - a Postfix access map that always equals popauth's state.
 *
 * DESCRIPTION
 *	A rebuild writes the text file with afile_write (atomic rename),
 *	then runs "postmap type:path", which builds the indexed file in
 *	place under Postfix's own locking: an LMDB map is replaced in one
 *	write transaction, so a running smtpd sees the old map or the new
 *	one, and hash/btree/cdb readers are locked out for the short build.
 *	In place (not a rename of the indexed file) because a running smtpd
 *	keeps an LMDB map open and does not look for a new file.
 *
 * SECURITY
 *	Keys are IPs popauth formatted itself; values are fixed texts or the
 *	blacklist reply with log text cleaned to bounded printable ASCII
 *	(maps.c).  postmap runs from an argv, never a shell.
 *
 * DIAGNOSTICS
 *	msg_error with postmap's exit status and standard error on
 *	failure; msg_info when a failing map works again; msg_debug per
 *	rebuild.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../lib/afile.h"
#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/spawn.h"
#include "accessmap.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define POSTMAP_TIMEOUT_MS 120000 /* then postmap is killed */

struct accessmap {
	char *spec; /* type:path */
	char *type;
	char *path; /* the text file */
	char *postmap;
	char *what;
	int64_t delay_ms;
	bool per_second; /* Postfix checks this type's mtime in seconds */
	accessmap_fill_fn *fill;
	void *arg;
	struct loop *loop;
	struct loop_timer *timer;
	bool pending; /* a change is waiting */
	bool running; /* postmap is running */
	pid_t pid; /* its pid, while running on the loop */
	uint64_t last_start_ms;
	uint64_t retry_at_ms;
	unsigned fails; /* consecutive */
	struct sbuf text;
	struct accessmap_stats st;
};

static const char *const types[] = {"hash", "btree", "lmdb", "cdb", NULL};

bool
accessmap_type_ok(const char *type, size_t len)
{
	for (int i = 0; types[i]; i++)
		if (strlen(types[i]) == len && memcmp(types[i], type, len) == 0)
			return true;
	return false;
}

struct accessmap *
accessmap_new(const struct accessmap_opts *o, accessmap_fill_fn *fill,
    void *arg, char **err)
{
	const char *colon = strchr(o->spec, ':');
	struct accessmap *m;
	char *dir, *slash;
	struct stat sb;

	if (colon == NULL ||
	    !accessmap_type_ok(o->spec, (size_t)(colon - o->spec))) {
		*err =
		    xstrdup("map type must be one of hash, btree, lmdb, cdb");
		return NULL;
	}
	if (colon[1] != '/') {
		*err = xstrdup("map path must be absolute");
		return NULL;
	}
	dir = xstrdup(colon + 1);
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = 0;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		size_t n = strlen(dir) + 64;
		*err = xmalloc(n);
		snprintf(*err, n, "directory %s does not exist", dir);
		free(dir);
		return NULL;
	}
	free(dir);
	m = xcalloc(1, sizeof(*m));
	m->spec = xstrdup(o->spec);
	m->type = xstrndup(o->spec, (size_t)(colon - o->spec));
	m->path = xstrdup(colon + 1);
	m->postmap = xstrdup(o->postmap);
	m->what = xstrdup(o->what);
	m->delay_ms = o->delay_ms;
	m->per_second = strcmp(m->type, "lmdb") != 0;
	m->fill = fill;
	m->arg = arg;
	return m;
}

void
accessmap_free(struct accessmap *m)
{
	if (m == NULL)
		return;
	loop_timer_free(m->timer);
	sbuf_free(&m->text);
	free(m->spec);
	free(m->type);
	free(m->path);
	free(m->postmap);
	free(m->what);
	free(m);
}

bool
accessmap_pending(const struct accessmap *m)
{
	return m->pending || m->running;
}

void
accessmap_get_stats(const struct accessmap *m, struct accessmap_stats *st)
{
	*st = m->st;
}

/* index_path - the file postmap builds from the text */
static void
index_path(const struct accessmap *m, char *buf, size_t size)
{
	const char *suffix = strcmp(m->type, "lmdb") == 0 ? ".lmdb"
	    : strcmp(m->type, "cdb") == 0                 ? ".cdb"
							  : ".db";

	snprintf(buf, size, "%s%s", m->path, suffix);
}

/* current - the map on disk already says m->text, and its index was
 * built after the text was written: nothing to do (a restart, a replay
 * that changed nothing) */
static bool
current(const struct accessmap *m)
{
	char idx[4096];
	struct stat ts, is;
	bool same = false;
	int fd;

	index_path(m, idx, sizeof(idx));
	if (stat(m->path, &ts) < 0 || stat(idx, &is) < 0 ||
	    (size_t)ts.st_size != m->text.len ||
	    is.st_mtim.tv_sec < ts.st_mtim.tv_sec ||
	    (is.st_mtim.tv_sec == ts.st_mtim.tv_sec &&
		is.st_mtim.tv_nsec < ts.st_mtim.tv_nsec))
		return false;
	if (m->text.len == 0)
		return true;
	if ((fd = open(m->path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	char *old = xmalloc(m->text.len);
	same = read(fd, old, m->text.len) == (ssize_t)m->text.len &&
	    memcmp(old, m->text.s, m->text.len) == 0;
	free(old);
	close(fd);
	return same;
}

/* write_text - fill and write the text file; -1 after logging, 1 when the
 * map on disk is already this (no postmap needed), 0 when written */
static int
write_text(struct accessmap *m)
{
	sbuf_reset(&m->text);
	m->fill(m->arg, &m->text);
	if (current(m))
		return 1;
	if (afile_write(
		m->path, m->text.s ? m->text.s : "", m->text.len, 0644) < 0) {
		msg_error("%s %s: cannot write %s: %s", m->what, m->spec,
		    m->path, strerror(errno));
		return -1;
	}
	return 0;
}

static size_t
count_lines(const struct sbuf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->s[i] == '\n';
	return n;
}

/* finished - bookkeeping after postmap (or the write) succeeded or not */
static void
finished(struct accessmap *m, bool ok, const struct spawn_result *r)
{
	char why[64];

	m->running = false;
	if (ok) {
		if (m->fails)
			msg_info("%s %s is written again", m->what, m->spec);
		m->fails = 0;
		m->st.rebuilds++;
		m->st.last_ok = time(NULL);
		m->st.entries = count_lines(&m->text);
		m->st.healthy = true;
		msg_debug("%s %s rebuilt with %zu entries", m->what, m->spec,
		    m->st.entries);
		return;
	}
	if (r != NULL)
		msg_error("%s %s: %s %s:%s %s", m->what, m->spec, m->postmap,
		    spawn_describe(r, why, sizeof(why)),
		    r->err.len ? "" : " (no output)",
		    esc((struct span){r->err.s, r->err.len}));
	m->fails++;
	m->st.failures++;
	m->st.healthy = false;
	m->pending = true;
	uint64_t backoff = RETRY_MIN_MS << (m->fails < 7 ? m->fails - 1 : 6);
	m->retry_at_ms =
	    loop_clock_ms() + (backoff > RETRY_MAX_MS ? RETRY_MAX_MS : backoff);
}

/* unchanged - the map on disk already was what it should be */
static void
unchanged(struct accessmap *m)
{
	m->running = false;
	m->fails = 0;
	m->st.healthy = true;
	m->st.entries = count_lines(&m->text);
	msg_debug(
	    "%s %s is current (%zu entries)", m->what, m->spec, m->st.entries);
}

static void schedule(struct accessmap *m);

/* same_second_ms - for a type Postfix checks by the second, how long
 * until a rebuild would not finish in the second of the last one */
static uint64_t
same_second_ms(const struct accessmap *m)
{
	struct timespec ts;

	if (!m->per_second || m->st.last_ok < time(NULL))
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	return 1000 - (uint64_t)ts.tv_nsec / 1000000;
}

/* begin - the first half of a rebuild: the text.  1: postmap must run;
 * 0: nothing more to do (the map was current, or writing failed:
 * logged, retried) */
static int
begin(struct accessmap *m)
{
	m->pending = false;
	m->last_start_ms = loop_clock_ms();
	switch (write_text(m)) {
	case -1:
		finished(m, false, NULL);
		schedule(m);
		return 0;
	case 1:
		unchanged(m);
		return 0;
	}
	return 1;
}

static void
postmap_done(struct spawn_result *r, void *arg)
{
	struct accessmap *m = arg;

	m->pid = 0;
	finished(m, spawn_ok(r), r);
	schedule(m);
}

/* rebuild_async - write the text and start postmap on the loop */
static void
rebuild_async(struct loop *l, void *arg)
{
	struct accessmap *m = arg;
	char *argv[] = {m->postmap, m->spec, NULL};

	(void)l;
	if (!begin(m))
		return;
	m->running = true;
	m->pid = spawn_async(
	    m->loop, argv, NULL, 0, POSTMAP_TIMEOUT_MS, postmap_done, m);
	if (m->pid < 0) {
		msg_error("%s %s: cannot run %s: %s", m->what, m->spec,
		    m->postmap, strerror(errno));
		finished(m, false, NULL);
		schedule(m);
	}
}

/* schedule - arm the timer for the earliest allowed rebuild */
static void
schedule(struct accessmap *m)
{
	uint64_t now = loop_clock_ms(), at = now;

	if (!m->pending || m->running || m->loop == NULL)
		return;
	if (m->last_start_ms && m->last_start_ms + (uint64_t)m->delay_ms > at)
		at = m->last_start_ms + (uint64_t)m->delay_ms;
	if (m->fails && m->retry_at_ms > at)
		at = m->retry_at_ms;
	/* Postfix would miss a second change in the same second */
	uint64_t same = now + same_second_ms(m);
	if (same > at)
		at = same;
	if (!loop_timer_pending(m->timer) || loop_timer_due(m->timer) > at)
		loop_timer_start_at(m->timer, at);
}

void
accessmap_attach(struct accessmap *m, struct loop *loop)
{
	m->loop = loop;
	m->timer = loop_timer_new(loop, rebuild_async, m);
	schedule(m);
}

void
accessmap_touch(struct accessmap *m)
{
	m->pending = true;
	schedule(m);
}

int
accessmap_sync(struct accessmap *m)
{
	char *argv[] = {m->postmap, m->spec, NULL};
	struct spawn_result r;
	/* a rebuild on the loop finishes first, without running the loop:
	 * this is called from the loop's own callbacks (reload) and after
	 * it has stopped (exit) */
	if (m->pid > 0)
		spawn_wait(m->pid, POSTMAP_TIMEOUT_MS);
	if (m->timer)
		loop_timer_stop(m->timer);
	if (!begin(m))
		return m->fails ? -1 : 0;
	uint64_t wait = same_second_ms(m);
	if (wait > 0) /* Postfix would miss a second change in that second */
		poll(NULL, 0, (int)wait);
	m->running = true;
	spawn_sync(argv, NULL, 0, POSTMAP_TIMEOUT_MS, &r);
	bool ok = spawn_ok(&r);
	finished(m, ok, &r);
	spawn_result_free(&r);
	if (!ok)
		schedule(m);
	return ok ? 0 : -1;
}
