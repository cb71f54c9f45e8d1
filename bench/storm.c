/*
 * storm - the blacklist engine under a storm of repeat hits.
 *
 * For 1k, 100k and 1M tracked IPs (blacklist records made by DNSBL
 * rejects), time 100,000 repeat hits spread over 10,000 of those IPs, in
 * the engine alone (policy_event with explicit times: what the daemon
 * does per event, without parsing), and report microseconds per event -
 * it must stay flat as the table grows - and the memory a record costs.
 * Prints figures; never fails on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"

static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ip_of - the i-th IPv4 address of 10.0.0.0/8 (i < 2^24) */
static struct ipaddr
ip_of(uint32_t i)
{
	struct ipaddr a;

	memset(&a, 0, sizeof(a));
	a.af = 4;
	a.a[0] = 10;
	a.a[1] = (uint8_t)(i >> 16);
	a.a[2] = (uint8_t)(i >> 8);
	a.a[3] = (uint8_t)i;
	return a;
}

static void
run(uint32_t tracked)
{
	struct policy_cfg cfg = {
	    .relay_lease = 1800,
	    .myhostname = "bench.example",
	    .login_grace = 600,
	    .fish_ban = 604800,
	    .bl = {0.03333333, 50, 1800, 604800, 7776000},
	    .fish = {5, 0.03333333, 259200},
	    .af = {{5, 5}, 600},
	};
	struct policy p;
	struct actions a;
	struct event ev;
	int64_t t = 1795700000;
	long rss0, rss1;
	double t0, t1;
	const uint32_t hits = 100000, hot = 10000;

	actions_init(&a);
	a.min_level = MSG_WARN; /* as a daemon at log_level = info would
	                         * format them: see below for that cost */
	rss0 = rss_kib();
	policy_init(&p, &cfg);
	memset(&ev, 0, sizeof(ev));
	ev.kind = EVENT_RBL;
	ev.recog = "bench";
	ev.host = SPAN_LIT("host.example.net");
	ev.zone = SPAN_LIT("zen.spamhaus.org");
	ev.reason = SPAN_LIT("https://www.spamhaus.org/query/ip/10.0.0.1");
	for (uint32_t i = 0; i < tracked; i++) {
		ev.ip = ip_of(i);
		ev.time = t;
		policy_event(&p, &ev, t, &a);
		actions_reset(&a);
	}
	rss1 = rss_kib();
	/* the storm: repeat hits, round robin over `hot' IPs */
	ev.kind = EVENT_BLACKLISTED;
	t0 = now_s();
	for (uint32_t i = 0; i < hits; i++) {
		ev.ip = ip_of((i * 7919u) % (hot < tracked ? hot : tracked));
		ev.time = t + 1 + i / 1000;
		policy_event(&p, &ev, ev.time, &a);
		actions_reset(&a);
	}
	t1 = now_s();
	printf("%8u tracked IPs: %6.3f us/event over %u repeat hits on %u "
	       "IPs; %5.0f bytes per record (incl. strings: %zu+%zu)\n",
	    tracked, (t1 - t0) * 1e6 / hits, hits,
	    hot < tracked ? hot : tracked,
	    tracked ? (double)(rss1 - rss0) * 1024 / tracked : 0.0,
	    sizeof("host.example.net"),
	    sizeof("https://www.spamhaus.org/query/ip/10.0.0.1"));
	policy_free(&p);
	actions_free(&a);
}

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("popauth engine, storm of repeat hits (bench/storm)\n");
	run(1000);
	run(100000);
	run(1000000);
	return 0;
}
