/*
 * accessmap - a Postfix access map that always equals popauth's state.
 *
 * The map's text ("<key> <value>" lines) comes from a fill callback; it is
 * written atomically (temporary file + rename) and indexed with postmap(1)
 * run by fork/exec.  Changes are coalesced: the first change after a quiet
 * period is written at once, later ones at most once per
 * map_rebuild_delay.  For hash/btree/cdb maps no two rebuilds finish in
 * the same wall-clock second, because Postfix notices a changed map by
 * its modification time in whole seconds.  A postmap failure is logged
 * with what postmap said and retried with backoff.
 */
#ifndef POPAUTH_ACCESSMAP_H
#define POPAUTH_ACCESSMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/sbuf.h"

struct loop;
struct accessmap;

/* fill - append the whole map text to out */
typedef void accessmap_fill_fn(void *arg, struct sbuf *out);

struct accessmap_opts {
	const char *spec; /* "type:/path" (type: hash, btree, lmdb, cdb) */
	const char *postmap; /* the postmap program */
	int64_t delay_ms; /* least time between two rebuilds */
	const char *what; /* "relay map", for messages */
};

struct accessmap_stats {
	uint64_t rebuilds; /* successful */
	uint64_t failures;
	int64_t last_ok; /* wall-clock time of the last success, 0 = never */
	size_t entries; /* lines in the last map written */
	bool healthy; /* the last rebuild succeeded */
};

/* accessmap_type_ok - a map type popauth can build */
bool accessmap_type_ok(const char *type, size_t len);

/* accessmap_new - NULL and *err (caller frees) if spec is not usable */
struct accessmap *accessmap_new(const struct accessmap_opts *opts,
    accessmap_fill_fn *fill, void *arg, char **err);
void accessmap_free(struct accessmap *m);

/* accessmap_attach - rebuild asynchronously on this loop from now on */
void accessmap_attach(struct accessmap *m, struct loop *loop);

/* accessmap_touch - the state changed: schedule a rebuild */
void accessmap_touch(struct accessmap *m);

/* accessmap_sync - rebuild now and wait (at start, after a replay, at
 * exit); waits for a running rebuild first.  0 or -1 (logged). */
int accessmap_sync(struct accessmap *m);

/* accessmap_pending - a change has not reached the map yet */
bool accessmap_pending(const struct accessmap *m);

void accessmap_get_stats(const struct accessmap *m, struct accessmap_stats *st);

#endif
