/*
 * replay - `popauth replay FILE...': old logs on their own clock.
 *
 * DESCRIPTION
 *	Feeds whole files through the same parser and engine as the
 *	daemon, with the engine's clock set to the lines' own time, into
 *	the same state directory (which it locks, so not while the daemon
 *	runs).  Afterwards the state and the maps are what a live daemon
 *	would have had at the last line's time.  The store gets one
 *	transaction and the map one rebuild, at the end.
 *
 *	This is the benchmark's hot path.  A regular file is read in
 *	chunks by two threads: a scanner finds the lines and does
 *	parser_scan (header, program name, skim), which drops most of them;
 *	the main thread gets, chunk by chunk and in order, only the
 *	lines left (with their split headers) and runs the recognisers and
 *	the engine on them.  Only the scanner touches the dispatcher's
 *	remembered program names; only the main thread the recognisers'
 *	state, the engine, the store and the log.  Standard input and FIFOs
 *	are read in one thread.
 *
 * DIAGNOSTICS
 *	A progress bar on standard error when it is a terminal; a summary
 *	at the end on standard output.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/timefmt.h"
#include "../source/linereader.h"
#include "replay.h"

#define REPLAY_BUF (1024 * 1024)

struct replay {
	struct app app;
	const char *name; /* file being read */
	int64_t now; /* the engine's clock: latest event time */
	uint64_t lineno; /* in the current file */
	const char *lastp; /* the last line delivered (in the read buffer) */
	size_t lastn;
	char last[LR_DEFAULT_MAX_LINE]; /* a copy of it after each read */
	size_t lastlen;
	/* progress */
	bool tty;
	uint64_t size, done;
	struct timespec t0, shown;
};

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* progress - redraw the bar at most ten times a second */
static void
progress(struct replay *r, bool final)
{
	struct timespec now;
	char bar[41];
	double frac;
	int fill;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && elapsed(&r->shown, &now) < 0.1)
		return;
	r->shown = now;
	frac = r->size ? (double)r->done / (double)r->size : 1.0;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * 40);
	memset(bar, '=', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(40 - fill));
	bar[40] = 0;
	fprintf(stderr, "\r%s [%s] %3d%% %llu lines", r->name, bar,
	    (int)(frac * 100), (unsigned long long)r->app.parser.st.lines);
	if (final)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

static void
on_line(void *arg, const char *p, size_t n)
{
	struct replay *r = arg;
	struct event ev;

	r->lineno++;
	if (p != NULL && n > 0) {
		r->lastp = p;
		r->lastn = n;
	}
	if (!parser_line(
		&r->app.parser, p, n, NULL, r->name, r->lineno, &ev, NULL))
		return;
	if (ev.time > r->now)
		r->now = ev.time;
	policy_event(&r->app.pol, &ev, r->now, &r->app.act);
	app_apply(&r->app);
}

/* keep_last - copy the last line out of the buffer before it is reused */
static void
keep_last(struct replay *r)
{
	if (r->lastp != NULL) {
		memcpy(r->last, r->lastp, r->lastn);
		r->lastlen = r->lastn;
		r->lastp = NULL;
	}
}

/* replay_fd - read one file to its end */
static int
replay_fd(struct replay *r, int fd)
{
	struct linereader lr;
	ssize_t n;

	lr_init(&lr, REPLAY_BUF, LR_DEFAULT_MAX_LINE);
	r->lineno = 0;
	while ((n = lr_read(&lr, fd, on_line, r)) > 0) {
		keep_last(r);
		r->done += (uint64_t)n;
		if (r->tty)
			progress(r, false);
	}
	if (n == 0)
		lr_flush(&lr, on_line, r);
	keep_last(r);
	lr_free(&lr);
	if (n < 0) {
		msg_error("%s: read error: %s", r->name, strerror(errno));
		return -1;
	}
	return 0;
}

/* A line the scanner passes on: a candidate, or one to warn about */
struct rline {
	struct logline ll; /* ll.line.p NULL: over-long, ll.line.n bytes */
	struct dispatch_sel sel;
	uint64_t lineno;
	bool bad; /* no header (or over-long): parser_reject */
};

/*
 * The file is cut into chunks at fixed offsets, so that reading one does
 * not wait for the scan of the one before: whichever thread is free
 * reads the next chunks, the scanner scans them in order, the main thread
 * takes them in order.  Reading (copying from the page cache) is a third
 * of the scanner's work, and the main thread has that much time to spare
 * while it waits for scanned chunks.  A line that crosses into the next
 * chunk is carried: the scanner copies its start in front of that chunk,
 * into room kept there (a line longer than that is dropped anyway).
 *
 * Chunks are small enough that the copy leaves them in the cache where
 * the scanner and then the main thread find them.  Measured against
 * 8 MiB mapped windows (bench/replay.py): mapping and unmapping every
 * page cost more than the copy.
 */
#define REPLAY_QUEUE 8 /* chunks in flight */
#define REPLAY_CHUNK (256 * 1024)
#define REPLAY_CARRY LR_DEFAULT_MAX_LINE /* room for a carried line */
#define REPLAY_AHEAD 4 /* lines prefetched ahead of the engine */

enum slot_state {
	SLOT_FREE, /* to be read */
	SLOT_READING,
	SLOT_READ, /* to be scanned */
	SLOT_SCANNED, /* to be taken by the main thread */
};

/* One chunk of the file and what the scanner found in it */
struct batch {
	char *buf; /* REPLAY_CARRY bytes of room, then the chunk */
	uint64_t chunk; /* the chunk this slot is for */
	enum slot_state state;
	size_t got; /* bytes read */
	struct rline *v;
	size_t n, cap;
	uint64_t lines; /* lines scanned */
	uint64_t done; /* file offset reached */
	const char *lastp; /* the last non-empty line */
	size_t lastn;
	int err; /* errno of a failed read; the file ends there */
	bool last; /* the last chunk */
};

/* The scanner's side and the queue between the two threads */
struct scanner {
	int fd;
	uint64_t size, nchunks;
	struct dispatch *disp;
	uint16_t *scratch;
	struct linereader lr;
	uint64_t lineno;
	struct batch q[REPLAY_QUEUE];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *cur; /* the batch being filled */
	char carry[REPLAY_CARRY]; /* the start of a line that goes on */
	size_t ncarry;
};

/* scan_line - the scanner's per-line work (lr_line_fn): the header goes
 * straight into the next free record, which is kept only if the line is
 * passed on */
static void
scan_line(void *arg, const char *p, size_t n)
{
	struct scanner *sc = arg;
	struct batch *b = sc->cur;
	struct rline *rl;
	enum parser_scan what = PARSER_NO_HEADER;

	sc->lineno++;
	b->lines++;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 4096;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	rl = &b->v[b->n];
	if (p != NULL) {
		if (n > 0) {
			b->lastp = p;
			b->lastn = n;
		}
		what =
		    parser_scan(sc->disp, p, n, sc->scratch, &rl->ll, &rl->sel);
		if (what == PARSER_SKIP)
			return;
	}
	b->n++;
	rl->lineno = sc->lineno;
	rl->bad = what != PARSER_CANDIDATE;
	if (rl->bad)
		rl->ll.line = (struct span){p, n};
}

/* read_chunk - read the slot's chunk (without the lock held) */
static void
read_chunk(struct scanner *sc, struct batch *b)
{
	uint64_t off = b->chunk * REPLAY_CHUNK;
	size_t want = sc->size - off < REPLAY_CHUNK ? (size_t)(sc->size - off)
						    : REPLAY_CHUNK;
	char *buf = b->buf + REPLAY_CARRY;
	size_t got = 0;

	b->err = 0;
	while (got < want) {
		ssize_t n =
		    pread(sc->fd, buf + got, want - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			b->err = errno;
			break;
		}
		if (n == 0)
			break; /* the file shrank: it ends here */
		got += (size_t)n;
	}
	b->got = got;
	b->last = b->err || got < want || off + got == sc->size;
}

/* claim_read - with the lock held: read chunk b->chunk if nobody has, else
 * wait until whoever does is done */
static void
claim_read(struct scanner *sc, struct batch *b)
{
	if (b->state == SLOT_FREE) {
		b->state = SLOT_READING;
		pthread_mutex_unlock(&sc->mu);
		read_chunk(sc, b);
		pthread_mutex_lock(&sc->mu);
		b->state = SLOT_READ;
		pthread_cond_broadcast(&sc->cv);
	}
	while (b->state == SLOT_READING)
		pthread_cond_wait(&sc->cv, &sc->mu);
}

/* scan_chunk - the lines of one chunk, after the carried start of the
 * first; what is left at its end is carried to the next */
static void
scan_chunk(struct scanner *sc, struct batch *b)
{
	char *p = b->buf + REPLAY_CARRY - sc->ncarry;
	size_t len = sc->ncarry + b->got, used;

	memcpy(p, sc->carry, sc->ncarry);
	b->n = 0;
	b->lines = 0;
	b->lastp = NULL;
	sc->cur = b;
	used = lr_scan(&sc->lr, p, len, scan_line, sc);
	if (b->last) {
		lr_finish(&sc->lr, p + used, len - used, scan_line, sc);
		used = len;
	}
	/* lr_scan leaves at most a line's worth */
	sc->ncarry = len - used;
	memcpy(sc->carry, p + used, sc->ncarry);
	b->done = b->chunk * REPLAY_CHUNK + b->got - sc->ncarry;
}

/* scanner_main - the chunks in order: read each (unless the main thread
 * has), scan it, hand it over */
static void *
scanner_main(void *arg)
{
	struct scanner *sc = arg;
	bool last = false;

	for (uint64_t k = 0; !last; k++) {
		struct batch *b = &sc->q[k % REPLAY_QUEUE];

		pthread_mutex_lock(&sc->mu);
		while (b->chunk != k) /* still the main thread's */
			pthread_cond_wait(&sc->cv, &sc->mu);
		claim_read(sc, b);
		pthread_mutex_unlock(&sc->mu);

		scan_chunk(sc, b);
		last = b->last;

		pthread_mutex_lock(&sc->mu);
		b->state = SLOT_SCANNED;
		pthread_cond_broadcast(&sc->cv);
		pthread_mutex_unlock(&sc->mu);
	}
	return NULL;
}

/* help_read - with the lock held, for the main thread while chunk k is not
 * scanned yet: read the first chunk after it that nobody is reading; false
 * if there is none */
static bool
help_read(struct scanner *sc, uint64_t k)
{
	for (uint64_t j = k + 1; j < k + REPLAY_QUEUE && j < sc->nchunks; j++) {
		struct batch *b = &sc->q[j % REPLAY_QUEUE];
		if (b->chunk == j && b->state == SLOT_FREE) {
			claim_read(sc, b);
			return true;
		}
	}
	return false;
}

/* take_batch - the engine's side of one chunk: warnings and events in
 * line order */
static void
take_batch(struct replay *r, struct batch *b)
{
	struct parser *pr = &r->app.parser;
	struct event ev;

	pr->st.lines += b->lines;
	for (size_t i = 0; i < b->n; i++) {
		struct rline *rl = &b->v[i];
		struct dispatch_sel sel = rl->sel;

		/* the lines were read by the other core: fetch a few ahead
		 * (a line of interest spans three or four cache lines) */
		if (i + REPLAY_AHEAD < b->n) {
			const char *m = b->v[i + REPLAY_AHEAD].ll.line.p;
			if (m != NULL)
				for (int k = 0; k < 4; k++)
					__builtin_prefetch(m + 64 * k);
		}

		if (rl->bad) {
			parser_reject(pr, rl->ll.line.p, rl->ll.line.n, r->name,
			    rl->lineno);
			continue;
		}
		/* a name the scanner could not remember: its handlers
		 * again, from the registrations alone */
		if (!sel.stable &&
		    !dispatch_resolve(
			pr->dispatch, rl->ll.prog, pr->scratch, &sel))
			continue;
		if (!parser_event(pr, &rl->ll, &sel, r->name, rl->lineno, &ev))
			continue;
		if (ev.time > r->now)
			r->now = ev.time;
		policy_event(&r->app.pol, &ev, r->now, &r->app.act);
		app_apply(&r->app);
	}
	if (b->lastp != NULL) {
		memcpy(r->last, b->lastp, b->lastn);
		r->lastlen = b->lastn;
	}
}

/* replay_chunked - a regular file in chunks, in two threads */
static int
replay_chunked(struct replay *r, int fd, uint64_t size)
{
	struct scanner *sc = xcalloc(1, sizeof(*sc));
	pthread_t th;
	int rc = 0, e;
	bool last = false;

	sc->fd = fd;
	sc->size = size;
	sc->nchunks = (size + REPLAY_CHUNK - 1) / REPLAY_CHUNK;
	sc->disp = r->app.parser.dispatch;
	sc->scratch = xcalloc(dispatch_handlers(sc->disp), sizeof(uint16_t));
	for (uint64_t i = 0; i < REPLAY_QUEUE; i++) {
		/* page-aligned like the file offsets they are read from:
		 * the kernel's copy is about twice as fast as into a buffer
		 * malloc would return, 16 bytes past a page */
		sc->q[i].buf =
		    xmalloc_aligned(4096, REPLAY_CARRY + REPLAY_CHUNK);
		sc->q[i].chunk = i;
	}
	lr_init(&sc->lr, 0, LR_DEFAULT_MAX_LINE);
	/* the scanner may learn program names, nothing more */
	dispatch_ready(sc->disp);
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->cv, NULL);
	if ((e = loop_thread(&th, scanner_main, sc)) != 0)
		msg_fatal("cannot start the scanning thread: %s", strerror(e));
	for (uint64_t k = 0; !last; k++) {
		struct batch *b = &sc->q[k % REPLAY_QUEUE];

		pthread_mutex_lock(&sc->mu);
		while (b->state != SLOT_SCANNED)
			if (!help_read(sc, k))
				pthread_cond_wait(&sc->cv, &sc->mu);
		pthread_mutex_unlock(&sc->mu);

		take_batch(r, b);
		last = b->last;
		if (b->err) {
			msg_error(
			    "%s: read error: %s", r->name, strerror(b->err));
			rc = -1;
		}
		r->done = b->done;
		if (r->tty)
			progress(r, false);

		pthread_mutex_lock(&sc->mu);
		b->state = SLOT_FREE;
		b->chunk = k + REPLAY_QUEUE;
		pthread_cond_broadcast(&sc->cv);
		pthread_mutex_unlock(&sc->mu);
	}
	pthread_join(th, NULL);
	pthread_mutex_destroy(&sc->mu);
	pthread_cond_destroy(&sc->cv);
	for (int i = 0; i < REPLAY_QUEUE; i++) {
		free(sc->q[i].buf);
		free(sc->q[i].v);
	}
	lr_free(&sc->lr);
	free(sc->scratch);
	free(sc);
	return rc;
}

static int
replay_file(struct replay *r, const char *path)
{
	struct stat sb;
	unsigned char magic[2];
	int fd, rc;

	if (strcmp(path, "-") == 0) {
		r->name = "stdin";
		r->size = 0;
		parser_set_ref(&r->app.parser, (int64_t)time(NULL));
		return replay_fd(r, 0);
	}
	r->name = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		msg_error("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		msg_error("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f &&
	    magic[1] == 0x8b) {
		msg_error(
		    "%s is gzip-compressed: use \"zcat %s | popauth replay "
		    "-\"",
		    path, path);
		close(fd);
		return -1;
	}
	r->size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	r->done = 0;
	/* RFC 3164 stamps have no year: no line is newer than the file */
	parser_set_ref(&r->app.parser, (int64_t)sb.st_mtime);
	if (S_ISREG(sb.st_mode) && sb.st_size > 0)
		rc = replay_chunked(r, fd, (uint64_t)sb.st_size);
	else
		rc = replay_fd(r, fd); /* a FIFO, a device */
	close(fd);
	if (r->tty)
		progress(r, true);
	return rc;
}

static void
summary(struct replay *r, double secs)
{
	const struct parser_stats *ps = &r->app.parser.st;
	const struct relay_stats *rs = &r->app.pol.relay.st;

	printf("lines: %llu (%.0f lines/s)\n", (unsigned long long)ps->lines,
	    secs > 0 ? (double)ps->lines / secs : 0.0);
	if (ps->unparsable || ps->oversized || ps->badtime)
		printf(
		    "skipped: %llu without a log header, %llu too long, %llu "
		    "with a bad time\n",
		    (unsigned long long)ps->unparsable,
		    (unsigned long long)ps->oversized,
		    (unsigned long long)ps->badtime);
	for (int k = EVENT_NONE + 1; k < EVENT__COUNT; k++)
		if (ps->events[k] || k == EVENT_LOGIN)
			printf("%s events: %llu\n", event_kind_name(k),
			    (unsigned long long)ps->events[k]);
	for (int i = 0; i < PARSER_MAX_RECOGS && ps->recog[i]; i++)
		printf("  %s: %llu\n", ps->recog[i],
		    (unsigned long long)ps->recog_events[i]);
	printf("relay sessions: %llu granted, %llu refreshed, %llu expired, "
	       "%llu too old to grant\n",
	    (unsigned long long)rs->granted, (unsigned long long)rs->refreshed,
	    (unsigned long long)rs->expired, (unsigned long long)rs->stale);
	if (r->now)
		printf("relay leases at %s: %zu\n", time_str(r->now),
		    relay_count(&r->app.pol.relay));
}

int
replay_main(const struct cli *cli, int argc, char **argv)
{
	struct replay *r;
	struct config *cfg;
	struct timespec t1;
	int64_t t;
	int rc = 0;

	if (argc < 1) {
		fprintf(
		    stderr, "usage: popauth replay FILE... (- for stdin)\n");
		return 2;
	}
	r = xcalloc(1, sizeof(*r));
	cfg = app_load_config(cli);
	/* a replay talks to whoever started it, not to syslog */
	msg_open("popauth", MSG_DEST_STDERR, NULL);
	/* what it grants and expires is in the summary; -v shows each */
	msg_set_level(cli->verbose ? MSG_DEBUG : MSG_WARN);
	app_open(&r->app, cli, cfg, 0);
	r->app.store_deferred = true;
	store_sync_commits(r->app.store);
	r->tty = isatty(2);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	for (int i = 0; i < argc; i++)
		if (replay_file(r, argv[i]) < 0)
			rc = 1;
	/* the state as of the last line's time */
	if (r->lastlen &&
	    parser_line_time(&r->app.parser, r->last, r->lastlen, &t) &&
	    t > r->now)
		r->now = t;
	if (r->now) {
		policy_tick(&r->app.pol, r->now, &r->app.act);
		app_apply(&r->app);
	}
	/* the map equals the state afterwards, whatever it was before */
	r->app.relay_touched = r->app.bl_touched = true;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	summary(r, elapsed(&r->t0, &t1));
	app_close(&r->app);
	free(r);
	return rc;
}
