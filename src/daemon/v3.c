/*
 * v3 - popauth 3's files: import-v3 and export-v3.
 *
 * DESCRIPTION
 *	popauth 3.0.1 kept its state in files (see its notes, "file
 *	formats"; tab-separated, times in epoch seconds):
 *	  authenticated/<ip>  user@vhost, first, last, count   (lease: mtime)
 *	  fishers/<ip>        to, from, first, last, hits       (mtime)
 *	  rbl_cache           ip, first, last, unban (-1: none), period hits,
 *	                      total hits, rate (%.15g), host, authority,
 *	                      reason
 *	  popauth_checks      ip OK
 *	  rbl_checks          ip 554 Your IP address has been blacklisted...
 *	import-v3 reads the first three into the state (all or nothing: a
 *	malformed row stops it with file:line before anything is stored);
 *	export-v3 writes all five from the state, so an admin can go back
 *	and tests can compare with the original.
 *
 * SECURITY
 *	Imported files are parsed strictly: IPs with ipaddr_parse, numbers
 *	with bounds; a file name that is not an IP is an error.  Exported
 *	text is what the state holds (it came from log lines): tabs and
 *	newlines inside a field would break the format and are replaced.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/afile.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/numparse.h"
#include "admin.h"

/* the whole import, parsed before anything is stored */
struct imp {
	struct policy *pol;
	char *err;
	size_t leases, records, fishers;
};

/* split_tabs - cut a line into at most max tab-separated fields */
static int
split_tabs(char *line, char **f, int max)
{
	int n = 0;

	for (char *p = line;;) {
		char *t = strchr(p, '\t');
		if (n == max)
			return max + 1;
		f[n++] = p;
		if (t == NULL)
			break;
		*t = 0;
		p = t + 1;
	}
	return n;
}

static bool
num(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return num_parse_i64(s, min, max, out);
}

/* for_lines - call fn on each line of path; stop at the first error */
static bool
for_lines(struct imp *im, const char *path,
    bool (*fn)(struct imp *, const char *, unsigned, char *, void *), void *arg)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	bool ok = true;

	if (f == NULL) {
		im->err = xstrfmt("%s: %s", path, strerror(errno));
		return false;
	}
	while (ok && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = 0;
		if (memchr(line, 0, (size_t)len) != NULL) {
			im->err = xstrfmt("%s:%u: NUL byte", path, lineno);
			ok = false;
		} else if (len > 0) {
			ok = fn(im, path, lineno, line, arg);
		}
	}
	free(line);
	fclose(f);
	return ok;
}

static bool
auth_row(
    struct imp *im, const char *path, unsigned lineno, char *line, void *arg)
{
	const struct ipaddr *ip = arg;
	char *f[5];
	int64_t first, last, count;

	if (split_tabs(line, f, 4) != 4 || !*f[0] ||
	    !num(f[1], 0, INT64_MAX / 2, &first) ||
	    !num(f[2], 0, INT64_MAX / 2, &last) ||
	    !num(f[3], 1, UINT32_MAX, &count)) {
		im->err = xstrfmt("%s:%u: expected user, first, last, count "
				  "(tab-separated)",
		    path, lineno);
		return false;
	}
	relay_restore(&im->pol->relay, ip, f[0], first, last, (uint32_t)count);
	return true;
}

static bool
fish_row(
    struct imp *im, const char *path, unsigned lineno, char *line, void *arg)
{
	const struct ipaddr *ip = arg;
	char *f[6];
	int64_t first, last, hits;

	if (split_tabs(line, f, 5) != 5 || !*f[0] ||
	    !num(f[2], 0, INT64_MAX / 2, &first) ||
	    !num(f[3], 0, INT64_MAX / 2, &last) ||
	    !num(f[4], 1, UINT32_MAX, &hits)) {
		im->err = xstrfmt("%s:%u: expected to, from, first, last, hits "
				  "(tab-separated)",
		    path, lineno);
		return false;
	}
	fish_restore(
	    &im->pol->fish, ip, f[0], f[1], first, last, (uint32_t)hits);
	return true;
}

static bool
rbl_row(
    struct imp *im, const char *path, unsigned lineno, char *line, void *arg)
{
	char *f[11];
	struct ipaddr ip;
	int64_t first, last, unban, period, total;
	double rate;

	(void)arg;
	if (split_tabs(line, f, 10) != 10) {
		im->err = xstrfmt(
		    "%s:%u: expected 10 tab-separated fields", path, lineno);
		return false;
	}
	if (!ipaddr_parse(&ip, f[0], strlen(f[0]))) {
		im->err = xstrfmt("%s:%u: \"%s\" is not an IP address", path,
		    lineno, escs(f[0]));
		return false;
	}
	if (!num(f[1], 0, INT64_MAX / 2, &first) ||
	    !num(f[2], 0, INT64_MAX / 2, &last) ||
	    !num(f[3], -1, INT64_MAX / 2, &unban) ||
	    !num(f[4], 0, UINT32_MAX, &period) ||
	    !num(f[5], 0, UINT32_MAX, &total) ||
	    !num_parse_double(f[6], 0, 1e12, &rate)) {
		im->err = xstrfmt("%s:%u: a time, count or rate is not a valid "
				  "number",
		    path, lineno);
		return false;
	}
	bl_restore(&im->pol->bl, &ip, BL_IMPORT, f[8], f[7], f[9], first, last,
	    unban > 0 ? unban : 0, (uint32_t)period, (uint32_t)total, rate);
	im->records++;
	return true;
}

/* spool_dir - every <ip> file of a spool directory */
static bool
spool_dir(struct imp *im, const char *dir,
    bool (*fn)(struct imp *, const char *, unsigned, char *, void *),
    size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool ok = true;

	if (d == NULL) {
		if (errno == ENOENT)
			return true; /* nothing of that kind */
		im->err = xstrfmt("%s: %s", dir, strerror(errno));
		return false;
	}
	while (ok && (e = readdir(d)) != NULL) {
		struct ipaddr ip;
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = xstrfmt("%s/%s", dir, e->d_name);
		if (!ipaddr_parse(&ip, e->d_name, strlen(e->d_name))) {
			im->err =
			    xstrfmt("%s: the file name is not an IP address "
				    "(a leftover .buffer file?)",
				path);
			ok = false;
		} else {
			ok = for_lines(im, path, fn, &ip);
			(*count)++;
		}
		free(path);
	}
	closedir(d);
	return ok;
}

int
v3_import(const struct cli *cli, int argc, char **argv)
{
	struct config *cfg;
	struct app app;
	struct imp im;
	char *auth, *fish, *rbl;
	bool ok;

	if (argc < 1 || argc > 2) {
		fprintf(stderr,
		    "usage: popauth import-v3 SPOOLDIR [RBL_CACHE]\n"
		    "  SPOOLDIR holds authenticated/ and fishers/; "
		    "RBL_CACHE defaults to SPOOLDIR/rbl_cache\n");
		return 2;
	}
	cfg = app_load_config(cli);
	memset(&app, 0, sizeof(app));
	app_open(&app, cli, cfg, (int64_t)time(NULL));
	memset(&im, 0, sizeof(im));
	im.pol = &app.pol;
	auth = xstrfmt("%s/authenticated", argv[0]);
	fish = xstrfmt("%s/fishers", argv[0]);
	rbl = argc == 2 ? xstrdup(argv[1]) : xstrfmt("%s/rbl_cache", argv[0]);
	ok = spool_dir(&im, auth, auth_row, &im.leases) &&
	    spool_dir(&im, fish, fish_row, &im.fishers) &&
	    (access(rbl, F_OK) != 0 || for_lines(&im, rbl, rbl_row, NULL));
	free(auth);
	free(fish);
	free(rbl);
	if (!ok) {
		/* nothing is stored: the engine's state is thrown away */
		fprintf(stderr, "popauth: import-v3: %s; nothing imported\n",
		    im.err);
		free(im.err);
		lock_release(app.lock);
		exit(1);
	}
	/* what ended before now ends now, as at a start (a lease of
	 * yesterday must not reach the relay map); then write everything,
	 * then the maps */
	policy_tick(&app.pol, (int64_t)time(NULL), &app.act);
	app_apply(&app);
	app.store_deferred = true;
	app.relay_touched = app.bl_touched = true;
	printf("imported %zu relay lease(s), %zu fishing record(s), %zu "
	       "blacklist record(s)\n",
	    im.leases, im.fishers, im.records);
	app_close(&app);
	return 0;
}

/* export */

/* put_field - a field without tabs or newlines */
static void
put_field(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sbuf_addc(b, *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* write_out - a file, atomically, with the given mtime (0: now) */
static void
write_out(const char *path, const struct sbuf *b, int64_t mtime)
{
	if (afile_write(path, b->s ? b->s : "", b->len, 0644) < 0)
		msg_fatal("%s: %s", path, strerror(errno));
	if (mtime > 0) {
		struct timespec ts[2] = {
		    {(time_t)mtime, 0}, {(time_t)mtime, 0}};
		utimensat(AT_FDCWD, path, ts, 0);
	}
}

/* empty_dir - create dir, or make sure it holds nothing */
static void
empty_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;

	if (afile_mkdirs(dir, 0755) < 0)
		msg_fatal("%s: %s", dir, strerror(errno));
	if ((d = opendir(dir)) == NULL)
		msg_fatal("%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			msg_fatal(
			    "%s is not empty: export into a new directory",
			    dir);
	closedir(d);
}

int
v3_export(const struct cli *cli, int argc, char **argv)
{
	struct config *cfg;
	struct policy pol;
	struct store *st;
	struct sbuf b = SBUF_INIT, maps = SBUF_INIT;
	char *path;
	size_t n;

	if (argc != 1) {
		fprintf(stderr, "usage: popauth export-v3 DIR\n");
		return 2;
	}
	cfg = app_load_config(cli);
	st = admin_load(cfg, &pol);
	path = xstrfmt("%s/authenticated", argv[0]);
	empty_dir(path);
	const struct relay_ip **lv = relay_sorted(&pol.relay, &n);
	for (size_t i = 0; i < n; i++) {
		int64_t latest = 0;
		sbuf_reset(&b);
		for (uint32_t u = 0; u < lv[i]->nusers; u++) {
			const struct relay_user *ru = &lv[i]->users[u];
			put_field(&b, ru->name);
			sbuf_printf(&b, "\t%lld\t%lld\t%u\n",
			    (long long)ru->first, (long long)ru->last,
			    ru->count);
			if (ru->last > latest)
				latest = ru->last;
		}
		char *f = xstrfmt("%s/%s", path, ipaddr_str(&lv[i]->ip));
		write_out(f, &b, latest); /* the lease runs from the mtime */
		free(f);
	}
	free((void *)lv);
	free(path);
	path = xstrfmt("%s/popauth_checks", argv[0]);
	maps_relay_fill(&pol, &maps);
	write_out(path, &maps, 0);
	free(path);

	path = xstrfmt("%s/fishers", argv[0]);
	empty_dir(path);
	struct fish_rec **fv = fish_sorted(&pol.fish, &n);
	for (size_t i = 0; i < n; i++) {
		sbuf_reset(&b);
		for (uint32_t k = 0; k < fv[i]->npairs; k++) {
			const struct fish_pair *p = &fv[i]->pairs[k];
			put_field(&b, p->rcpt);
			sbuf_addc(&b, '\t');
			put_field(&b, p->sender);
			sbuf_printf(&b, "\t%lld\t%lld\t%u\n",
			    (long long)p->first, (long long)p->last, p->hits);
		}
		char *f = xstrfmt("%s/%s", path, ipaddr_str(&fv[i]->t.ip));
		write_out(f, &b, fv[i]->t.last);
		free(f);
	}
	free(fv);
	free(path);

	sbuf_reset(&b);
	sbuf_reset(&maps);
	struct bl_rec **bv = bl_sorted(&pol.bl, &n);
	for (size_t i = 0; i < n; i++) {
		const struct bl_rec *r = bv[i];
		sbuf_printf(&b, "%s\t%lld\t%lld\t%lld\t%u\t%u\t%.15g\t",
		    ipaddr_str(&r->ip), (long long)r->first, (long long)r->last,
		    r->ban_end > 0 ? (long long)r->ban_end : -1LL, r->period,
		    r->total, r->rate);
		put_field(&b, r->host);
		sbuf_addc(&b, '\t');
		put_field(&b, r->authority);
		sbuf_addc(&b, '\t');
		put_field(&b, r->reason);
		sbuf_addc(&b, '\n');
	}
	free(bv);
	struct blmap_ctx ctx = {&pol, cfg->blacklist_reply};
	maps_blacklist_fill(&ctx, &maps);
	path = xstrfmt("%s/rbl_cache", argv[0]);
	write_out(path, &b, 0);
	free(path);
	path = xstrfmt("%s/rbl_checks", argv[0]);
	write_out(path, &maps, 0);
	free(path);
	sbuf_free(&b);
	sbuf_free(&maps);
	policy_free(&pol);
	store_close(st);
	config_free(cfg);
	return 0;
}
