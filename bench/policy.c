/*
 * policy - the policy service under load: 100 connections, each sending
 * requests back to back (one outstanding at a time, as Postfix does),
 * against a state of 1M entries (500k relay leases, 500k listed IPs).
 *
 * The server (policyd on the daemon's loop) runs in one thread, the
 * clients (one epoll loop over 100 unix-socket connections) in another:
 * the two cores of a small mail host.  Requests ask about random IPs, a
 * third leased, a third listed, a third neither.  Prints queries/s and the
 * latency percentiles (send to whole reply); never fails on them.
 *
 *	bench/policy [SECONDS]		(default 5)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/policyd.h"
#include "lib/loop.h"
#include "lib/msg.h"

#define NCONN 100
#define NLEASE 500000
#define NLIST 500000

static double
ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static volatile int stop;

static void *
serve(void *arg)
{
	struct loop *l = arg;

	while (!stop)
		loop_run_once(l, 50);
	return NULL;
}

struct cl {
	int fd;
	double t0;
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
make_ip(char *buf, size_t size, unsigned kind, unsigned i)
{
	/* leased: 10.x, listed: 172.16-31.x, neither: 192.168.x */
	if (kind == 0)
		snprintf(buf, size, "10.%u.%u.%u", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
	else if (kind == 1)
		snprintf(buf, size, "172.%u.%u.%u", 16 + ((i >> 16) & 15),
		    (i >> 8) & 255, i & 255);
	else
		snprintf(buf, size, "192.168.%u.%u", (i >> 8) & 255, i & 255);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct policy_cfg pc = {.relay_lease = 86400,
	    .bl = {0.03333333, 50, 1800, 604800, 7776000}};
	char path[] = "/tmp/popauth-bench-policy.sock", over[128], *err = NULL;
	char *ov[] = {over, "firewall=none", "log_destination=stderr"};
	struct app app;
	struct actions a;
	int64_t now = (int64_t)time(NULL);
	double t;

	msg_open("bench-policy", MSG_DEST_STDERR, NULL);
	msg_set_level(MSG_WARN);
	memset(&app, 0, sizeof(app));
	snprintf(over, sizeof(over), "policy_service=unix:%s", path);
	app.cfg = config_load(NULL, true, ov, 3, &err);
	if (app.cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	policy_init(&app.pol, &pc);
	actions_init(&a);
	a.min_level = MSG_WARN;
	t = ms_now();
	for (unsigned i = 0; i < NLEASE; i++) {
		char s[32];
		struct ipaddr ip;
		make_ip(s, sizeof(s), 0, i);
		ipaddr_parse(&ip, s, strlen(s));
		relay_login(&app.pol.relay, &ip, "user", "pop3", now, now, &a);
		make_ip(s, sizeof(s), 1, i);
		ipaddr_parse(&ip, s, strlen(s));
		bl_add(&app.pol.bl, &ip, BL_DNSBL, "zen.example", "", "listed",
		    now, 0, &a);
		actions_reset(&a);
	}
	printf("state: %d leases + %d listed, loaded in %.0f ms\n", NLEASE,
	    NLIST, ms_now() - t);

	struct loop *l = loop_new();
	struct policyd *pd = policyd_new(l, &app, &err);
	if (pd == NULL) {
		fprintf(stderr, "%s\n", err ? err : "no policy service");
		return 1;
	}
	pthread_t th;
	pthread_create(&th, NULL, serve, l);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	static struct cl cv[NCONN];
	size_t cap = 1 << 22, nlat = 0;
	double *lat = malloc(cap * sizeof(double));
	unsigned seed = 1;
	for (int i = 0; i < NCONN; i++) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		cv[i].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(cv[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("connect");
			return 1;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		epoll_ctl(ep, EPOLL_CTL_ADD, cv[i].fd, &ev);
	}
	/* the requests, made beforehand: the client should cost little of
	 * the two cores it shares with the server */
	enum { NREQ = 65536 };
	static char reqs[NREQ][128];
	static size_t reqlen[NREQ];
	for (unsigned k = 0; k < NREQ; k++) {
		char ipb[32];
		unsigned r = rand_r(&seed);
		make_ip(ipb, sizeof(ipb), r % 3, (r / 3) % NLEASE);
		reqlen[k] = (size_t)snprintf(reqs[k], sizeof(reqs[k]),
		    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		    "client_address=%s\n\n",
		    ipb);
	}
	unsigned next = 0;
	/* send - the next request on connection i */
#define SEND(i)                                                                \
	do {                                                                   \
		unsigned k_ = next++ % NREQ;                                   \
		cv[i].t0 = ms_now();                                           \
		if (write(cv[i].fd, reqs[k_], reqlen[k_]) < 0)                 \
			perror("write");                                       \
	} while (0)
	for (int i = 0; i < NCONN; i++)
		SEND(i);
	double start = ms_now(), end = start + secs * 1000;
	uint64_t done = 0;
	while (ms_now() < end) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 100);
		for (int k = 0; k < n; k++) {
			int i = (int)evs[k].data.u32;
			char buf[1024];
			ssize_t m = read(cv[i].fd, buf, sizeof(buf));
			if (m <= 0) {
				fprintf(stderr, "connection %d closed\n", i);
				return 1;
			}
			/* a reply ends with an empty line */
			if (m >= 2 && buf[m - 1] == '\n' &&
			    buf[m - 2] == '\n') {
				if (nlat < cap)
					lat[nlat++] = ms_now() - cv[i].t0;
				done++;
				SEND(i);
			}
		}
	}
	double el = (ms_now() - start) / 1000;
	stop = 1;
	pthread_join(th, NULL);
	qsort(lat, nlat, sizeof(double), cmp_double);
	printf("%d connections, %.1f s: %.0f queries/s; latency p50 %.3f ms, "
	       "p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n",
	    NCONN, el, (double)done / el, lat[nlat / 2], lat[nlat * 99 / 100],
	    lat[nlat * 999 / 1000], lat[nlat - 1]);
	for (int i = 0; i < NCONN; i++)
		close(cv[i].fd);
	policyd_free(pd);
	loop_free(l);
	free(lat);
	policy_free(&app.pol);
	actions_free(&a);
	config_free(app.cfg);
	return 0;
}
