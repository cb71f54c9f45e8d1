/*
 * fwlat - how long a ban takes to reach the kernel, and a rebuild of the
 * whole table, with 10, 10k and 100k bans in popauth's set.
 *
 * Runs the firewall sink (libnftables in its worker thread) in a network
 * namespace of its own (root only: unshare(CLONE_NEWNET)), so the host's
 * ruleset is never touched.  For each size: the table is rebuilt with that
 * many bans (timed), then 200 new bans are decided one at a time and timed
 * from fw_ban() to the end of the worker's nftables transaction, that is
 * until the element is in the kernel's set.  Prints the figures; never
 * fails on them.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/msg.h"
#include "sink/firewall.h"

static struct fw_ban *bans;
static size_t nbans;

static size_t
list(void *arg, int64_t now, struct fw_ban **v)
{
	(void)arg;
	(void)now;
	*v = malloc((nbans ? nbans : 1) * sizeof(**v));
	memcpy(*v, bans, nbans * sizeof(**v));
	return nbans;
}

static double
ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* wait_runs - turn the loop until the firewall has run `runs' times */
static void
wait_runs(struct loop *l, struct firewall *fw, uint64_t runs)
{
	struct fw_stats st;

	do {
		loop_run_once(l, 5);
		fw_get_stats(fw, &st);
	} while (st.runs < runs);
	if (!st.healthy)
		fprintf(stderr, "fwlat: nftables failed: %s\n", st.last_error);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	static const size_t sizes[] = {10, 10000, 100000};
	enum { NBAN = 200 };
	struct fw_opts o = {FW_NFTABLES, "popauth", 128, 1};
	int64_t now = (int64_t)time(NULL);

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr,
		    "fwlat: needs root (it works in a network "
		    "namespace of its own)\n");
		return 1;
	}
	msg_open("fwlat", MSG_DEST_STDERR, NULL);
	printf("%-10s %12s %12s %12s %12s\n", "in set", "rebuild ms",
	    "ban p50 ms", "ban p99 ms", "ban max ms");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct loop *l = loop_new();
		char *err = NULL;
		struct firewall *fw;
		double lat[NBAN], t;

		nbans = sizes[s];
		bans = calloc(nbans, sizeof(*bans));
		for (size_t i = 0; i < nbans; i++) {
			char a[32];
			snprintf(a, sizeof(a), "10.%zu.%zu.%zu",
			    (i >> 16) & 255, (i >> 8) & 255, i & 255);
			ipaddr_parse(&bans[i].ip, a, strlen(a));
			bans[i].until = now + 3600;
		}
		fw = fw_new(&o, list, NULL, &err);
		fw_attach(fw, l);
		t = ms_now();
		fw_resync(fw);
		wait_runs(l, fw, 1);
		double rebuild = ms_now() - t;
		for (int k = 0; k < NBAN; k++) {
			struct ipaddr ip;
			char a[32];
			snprintf(
			    a, sizeof(a), "198.51.%d.%d", k / 250, k % 250 + 1);
			ipaddr_parse(&ip, a, strlen(a));
			t = ms_now();
			fw_ban(fw, &ip, now + 600);
			wait_runs(l, fw, (uint64_t)k + 2);
			lat[k] = ms_now() - t;
		}
		qsort(lat, NBAN, sizeof(lat[0]), cmp_double);
		printf("%-10zu %12.1f %12.3f %12.3f %12.3f\n", nbans, rebuild,
		    lat[NBAN / 2], lat[NBAN * 99 / 100], lat[NBAN - 1]);
		fw_free(fw);
		loop_free(l);
		free(bans);
	}
	return 0;
}
