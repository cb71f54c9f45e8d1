/*
 * test_accessmap - Postfix maps written with the real postmap: content,
 * lookups, coalescing of bursts, the one-rebuild-per-second rule for
 * hash maps, failure and retry.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/spawn.h"
#include "sink/accessmap.h"
#include "tlib.h"

struct content {
	int n; /* entries to write */
	int fills; /* times fill was called */
};

static void
fill(void *arg, struct sbuf *out)
{
	struct content *c = arg;

	c->fills++;
	for (int i = 0; i < c->n; i++)
		sbuf_printf(out, "192.0.2.%d\tOK\n", i + 1);
	if (c->n > 0)
		sbuf_adds(out, "2001:db8::1\tOK\n");
}

/* lookup - what `postmap -q key spec' answers ("" if not found) */
static char *
lookup(const char *spec, const char *key)
{
	char *argv[] = {"postmap", "-q", (char *)key, (char *)spec, NULL};
	struct spawn_result r;
	static char out[256];

	spawn_sync(argv, NULL, 0, 10000, &r);
	snprintf(out, sizeof(out), "%s", r.out.s ? r.out.s : "");
	out[strcspn(out, "\n")] = 0;
	spawn_result_free(&r);
	return out;
}

static void
run_for(struct loop *l, int ms)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		loop_run_once(l, 20);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 +
			(t1.tv_nsec - t0.tv_nsec) / 1000000 >=
		    ms)
			break;
	}
}

static void
test_sync(const char *type)
{
	char spec[600], *err = NULL;
	struct content c = {3, 0};
	struct accessmap_opts o = {spec, "postmap", 1000, "test map"};
	struct accessmap *m;
	struct accessmap_stats st;

	snprintf(spec, sizeof(spec), "%s:%s/sync_%s", type, t_tmpdir(), type);
	m = accessmap_new(&o, fill, &c, &err);
	T_OK(m != NULL);
	if (m == NULL)
		return;
	T_EQ_INT(accessmap_sync(m), 0);
	T_EQ_STR(lookup(spec, "192.0.2.2"), "OK");
	T_EQ_STR(lookup(spec, "2001:db8::1"), "OK");
	T_EQ_STR(lookup(spec, "192.0.2.9"), "");
	/* nothing changed: postmap does not run again */
	char idx[700];
	struct stat before, after;
	snprintf(idx, sizeof(idx), "%s.%s", strchr(spec, ':') + 1,
	    strcmp(type, "lmdb") == 0 ? "lmdb" : "db");
	T_EQ_INT(stat(idx, &before), 0);
	T_EQ_INT(accessmap_sync(m), 0);
	T_EQ_INT(stat(idx, &after), 0);
	T_OK(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
	    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
	accessmap_get_stats(m, &st);
	T_EQ_INT(st.rebuilds, 1);
	/* the map always equals the state, an empty one included */
	c.n = 0;
	T_EQ_INT(accessmap_sync(m), 0);
	T_EQ_STR(lookup(spec, "192.0.2.2"), "");
	accessmap_get_stats(m, &st);
	T_EQ_INT(st.rebuilds, 2);
	T_EQ_INT(st.entries, 0);
	T_OK(st.healthy);
	accessmap_free(m);
}

static void
test_bad_specs(void)
{
	char *err = NULL;
	struct content c = {0, 0};
	struct accessmap_opts o = {"dbm:/tmp/x", "postmap", 0, "m"};

	T_OK(accessmap_new(&o, fill, &c, &err) == NULL);
	T_OK(err && strstr(err, "map type"));
	free(err);
	o.spec = "lmdb:relative/x";
	T_OK(accessmap_new(&o, fill, &c, &err) == NULL);
	T_OK(err && strstr(err, "absolute"));
	free(err);
	o.spec = "lmdb:/nonexistent/dir/x";
	T_OK(accessmap_new(&o, fill, &c, &err) == NULL);
	T_OK(err && strstr(err, "does not exist"));
	free(err);
}

/* a burst of changes costs few rebuilds, and the last state wins */
static void
test_coalesce(void)
{
	char spec[600], *err = NULL;
	struct content c = {1, 0};
	struct accessmap_opts o = {spec, "postmap", 500, "burst map"};
	struct loop *l = loop_new();
	struct accessmap *m;
	struct accessmap_stats st;

	snprintf(spec, sizeof(spec), "lmdb:%s/burst", t_tmpdir());
	m = accessmap_new(&o, fill, &c, &err);
	accessmap_attach(m, l);
	for (int i = 0; i < 50; i++) {
		c.n = i + 1;
		accessmap_touch(m);
		run_for(l, 20);
	}
	run_for(l, 1500);
	T_OK(!accessmap_pending(m));
	accessmap_get_stats(m, &st);
	/* 50 changes over ~1 s with a 500 ms delay: a handful of rebuilds */
	T_OK(st.rebuilds >= 2 && st.rebuilds <= 5);
	T_EQ_STR(lookup(spec, "192.0.2.50"), "OK");
	T_EQ_INT(st.entries, 51);
	accessmap_free(m);
	loop_free(l);
}

/* hash maps: never two rebuilds in one wall-clock second */
static void
test_hash_seconds(void)
{
	char spec[600], db[600], *err = NULL;
	struct content c = {1, 0};
	struct accessmap_opts o = {spec, "postmap", 0, "hash map"};
	struct loop *l = loop_new();
	struct accessmap *m;
	struct stat sb;
	time_t mt[3];

	snprintf(spec, sizeof(spec), "hash:%s/sec", t_tmpdir());
	snprintf(db, sizeof(db), "%s/sec.db", t_tmpdir());
	m = accessmap_new(&o, fill, &c, &err);
	accessmap_attach(m, l);
	for (int i = 0; i < 3; i++) {
		c.n = i + 1;
		accessmap_touch(m);
		while (accessmap_pending(m))
			loop_run_once(l, 50);
		stat(db, &sb);
		mt[i] = sb.st_mtime;
	}
	T_OK(mt[0] < mt[1] && mt[1] < mt[2]);
	T_EQ_STR(lookup(spec, "192.0.2.3"), "OK");
	accessmap_free(m);
	loop_free(l);
}

/* postmap fails: logged with its stderr, retried, and healthy again */
static void
test_failure(void)
{
	char spec[600], fake[600], *err = NULL;
	struct content c = {2, 0};
	struct accessmap_opts o = {spec, fake, 0, "failing map"};
	struct loop *l = loop_new();
	struct accessmap *m;
	struct accessmap_stats st;

	snprintf(spec, sizeof(spec), "lmdb:%s/fail", t_tmpdir());
	snprintf(fake, sizeof(fake), "%s/fake-postmap", t_tmpdir());
	t_write_file(fake,
	    "#!/bin/sh\necho 'postmap: fatal: simulated failure' "
	    ">&2\nexit 1\n");
	chmod(fake, 0755);
	m = accessmap_new(&o, fill, &c, &err);
	accessmap_attach(m, l);
	t_msg_clear();
	accessmap_touch(m);
	run_for(l, 300);
	accessmap_get_stats(m, &st);
	T_OK(!st.healthy);
	T_OK(st.failures >= 1);
	T_OK(t_msg_has("simulated failure"));
	T_OK(t_msg_has("exit status 1"));
	T_OK(accessmap_pending(m));
	/* the tool is fixed: the retry (after 1 s) succeeds */
	t_write_file(fake, "#!/bin/sh\nexec postmap \"$@\"\n");
	run_for(l, 2500);
	accessmap_get_stats(m, &st);
	T_OK(st.healthy);
	T_OK(!accessmap_pending(m));
	T_OK(t_msg_has("is written again"));
	T_EQ_STR(lookup(spec, "192.0.2.2"), "OK");
	accessmap_free(m);
	loop_free(l);
}

/* a sync while a rebuild runs on a stopped loop (the daemon's exit) or
 * from a loop callback (a reload): the running postmap is waited for
 * without running the loop, then the map is written once more */
static void
test_sync_while_running(void)
{
	char spec[600], slow[600], *err = NULL;
	struct content c = {2, 0};
	struct accessmap_opts o = {spec, slow, 0, "slow map"};
	struct loop *l = loop_new();
	struct accessmap *m;
	struct accessmap_stats st;
	struct timespec t0, t1;

	snprintf(spec, sizeof(spec), "lmdb:%s/slow", t_tmpdir());
	snprintf(slow, sizeof(slow), "%s/slow-postmap", t_tmpdir());
	t_write_file(slow, "#!/bin/sh\nsleep 0.5\nexec postmap \"$@\"\n");
	chmod(slow, 0755);
	m = accessmap_new(&o, fill, &c, &err);
	accessmap_attach(m, l);
	accessmap_touch(m);
	loop_run_once(l, 50); /* the rebuild starts */
	T_OK(accessmap_pending(m));
	c.n = 3; /* and the state changes meanwhile */
	loop_stop(l);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T_EQ_INT(accessmap_sync(m), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	T_OK(t1.tv_sec - t0.tv_sec < 5);
	T_OK(!accessmap_pending(m));
	accessmap_get_stats(m, &st);
	T_EQ_INT(st.rebuilds, 2);
	T_EQ_STR(lookup(spec, "192.0.2.3"), "OK");
	accessmap_free(m);
	loop_free(l);
}

int
main(void)
{
	t_msg_capture();
	test_sync("lmdb");
	test_sync("hash");
	test_bad_specs();
	test_coalesce();
	test_hash_seconds();
	test_failure();
	test_sync_while_running();
	return t_done();
}
