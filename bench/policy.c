/*
 * policy - the policy service under load: 100 connections, each sending
 * requests back to back (one outstanding at a time, as Postfix does),
 * against a state of 1M entries (500k relay leases, 500k listed IPs).
 *
 * The server (policyd on the daemon's loop) runs in one thread, the
 * clients (one epoll loop over 100 unix-socket connections) in another:
 * the two cores of a small mail host.  Requests ask about random IPs, a
 * third leased, a third listed, a third neither.  Prints, per round and
 * as the median of the rounds, queries/s, the latency percentiles (send
 * to whole reply) and the CPU each side used; never fails on them.  The
 * state is loaded once; the rounds show how much a virtual machine's
 * speed varies from one few seconds to the next.
 *
 *	bench/policy [SECONDS [ROUNDS]]		(default 3 s, 5 rounds)
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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

/* cpu_ms - CPU time used so far by the thread of clock c */
static double
cpu_ms(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

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

/* the client: NCONN connections, each with one request outstanding */
enum { NREQ = 65536 };
static struct client {
	int ep;
	int fd[NCONN];
	double t0[NCONN]; /* when its outstanding request was written */
	/* the requests, made beforehand: the client should cost little of
	 * the two cores it shares with the server */
	char req[NREQ][128];
	size_t reqlen[NREQ];
	unsigned next;
	double *lat; /* latencies of this round, ms */
	size_t nlat, cap;
} cl;

/* send_next - the next request on connection i, written at time t */
static void
send_next(int i, double t)
{
	unsigned k = cl.next++ % NREQ;

	cl.t0[i] = t;
	if (write(cl.fd[i], cl.req[k], cl.reqlen[k]) < 0)
		perror("write");
}

struct figures {
	double qps, p50, p99, p999, max;
	double server_cpu, client_cpu; /* % of the round */
	double server_us; /* server CPU per query */
};

/* one_round - keep the connections busy for secs seconds, then collect
 * the replies still due, so that no request waits through the sorting
 * between rounds */
static bool
one_round(double secs, clockid_t server_clock, struct figures *f)
{
	double start = ms_now(), end = start + secs * 1000;
	double scpu = cpu_ms(server_clock);
	double ccpu = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
	uint64_t done = 0;
	int pending = NCONN;
	bool more = true;

	cl.nlat = 0;
	for (int i = 0; i < NCONN; i++)
		send_next(i, ms_now());
	while (pending > 0) {
		struct epoll_event evs[NCONN];
		int n = epoll_wait(cl.ep, evs, NCONN, 100);
		for (int k = 0; k < n; k++) {
			int i = (int)evs[k].data.u32;
			char buf[1024];
			ssize_t m = read(cl.fd[i], buf, sizeof(buf));
			if (m <= 0) {
				fprintf(stderr, "connection %d closed\n", i);
				return false;
			}
			/* a reply ends with an empty line */
			if (m < 2 || buf[m - 1] != '\n' || buf[m - 2] != '\n')
				continue;
			/* one clock read: the reply's arrival and the next
			 * request's departure */
			double now = ms_now();
			if (cl.nlat < cl.cap)
				cl.lat[cl.nlat++] = now - cl.t0[i];
			done++;
			if (more && now >= end)
				more = false;
			if (more)
				send_next(i, now);
			else
				pending--;
		}
	}
	double el = ms_now() - start;
	scpu = cpu_ms(server_clock) - scpu;
	ccpu = cpu_ms(CLOCK_THREAD_CPUTIME_ID) - ccpu;
	if (cl.nlat == 0)
		return false;
	qsort(cl.lat, cl.nlat, sizeof(double), cmp_double);
	f->qps = (double)done / el * 1e3;
	f->p50 = cl.lat[cl.nlat / 2];
	f->p99 = cl.lat[cl.nlat * 99 / 100];
	f->p999 = cl.lat[cl.nlat * 999 / 1000];
	f->max = cl.lat[cl.nlat - 1];
	f->server_cpu = scpu / el * 100;
	f->client_cpu = ccpu / el * 100;
	f->server_us = scpu * 1e3 / (double)done;
	return true;
}

static void
print_figures(const char *label, const struct figures *f)
{
	printf("%-7s %8.0f %7.3f %7.3f %7.3f %7.3f %8.2f %5.0f %5.0f\n", label,
	    f->qps, f->p50, f->p99, f->p999, f->max, f->server_us,
	    f->server_cpu, f->client_cpu);
}

/* median_of - the median of field off over n rounds */
static double
median_of(const struct figures *v, int n, size_t off)
{
	double x[64];

	for (int i = 0; i < n; i++)
		x[i] =
		    *(const double *)(const void *)((const char *)&v[i] + off);
	qsort(x, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	struct policy_cfg pc = {.relay_lease = 86400,
	    .bl = {0.03333333, 50, 1800, 604800, 7776000}};
	char path[] = "/tmp/popauth-bench-policy.sock", over[128], *err = NULL;
	char *ov[] = {over, "firewall=none", "log_destination=stderr"};
	struct app app;
	struct actions a;
	int64_t now = (int64_t)time(NULL);
	double t;

	if (secs <= 0 || rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: policy [SECONDS [ROUNDS]]\n");
		return 2;
	}
	msg_open("bench-policy", MSG_DEST_STDERR, NULL);
	msg_set_level(MSG_WARN);
	memset(&app, 0, sizeof(app));
	snprintf(over, sizeof(over), "policy_listen=unix:%s", path);
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
	struct policyd *pd = policyd_new(l, &app, app.cfg->policy_listen, &err);
	if (pd == NULL) {
		fprintf(stderr, "%s\n", err ? err : "no policy service");
		return 1;
	}
	pthread_t th;
	clockid_t server_clock;
	pthread_create(&th, NULL, serve, l);
	pthread_getcpuclockid(th, &server_clock);

	cl.ep = epoll_create1(EPOLL_CLOEXEC);
	cl.cap = 1 << 22;
	cl.lat = malloc(cl.cap * sizeof(double));
	for (int i = 0; i < NCONN; i++) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		cl.fd[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(cl.fd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("connect");
			return 1;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		epoll_ctl(cl.ep, EPOLL_CTL_ADD, cl.fd[i], &ev);
	}
	unsigned seed = 1;
	for (unsigned k = 0; k < NREQ; k++) {
		char ipb[32];
		unsigned r = rand_r(&seed);
		make_ip(ipb, sizeof(ipb), r % 3, (r / 3) % NLEASE);
		cl.reqlen[k] = (size_t)snprintf(cl.req[k], sizeof(cl.req[k]),
		    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		    "client_address=%s\n\n",
		    ipb);
	}
	printf("%d connections, %d rounds of %.1f s (latency in ms, server "
	       "CPU per query in us, CPU busy in %%)\n",
	    NCONN, rounds, secs);
	printf("%-7s %8s %7s %7s %7s %7s %8s %5s %5s\n", "round", "q/s", "p50",
	    "p99", "p99.9", "max", "us/q", "srv", "cli");
	struct figures fv[64];
	int ok = 0;
	for (int r = 0; r < rounds; r++) {
		char label[16];
		if (!one_round(secs, server_clock, &fv[r]))
			return 1;
		snprintf(label, sizeof(label), "%d", r + 1);
		print_figures(label, &fv[r]);
		ok++;
	}
	struct figures med;
#define MED(field)                                                             \
	med.field = median_of(fv, ok, offsetof(struct figures, field))
	MED(qps);
	MED(p50);
	MED(p99);
	MED(p999);
	MED(max);
	MED(server_cpu);
	MED(client_cpu);
	MED(server_us);
	print_figures("median", &med);
	stop = 1;
	pthread_join(th, NULL);
	for (int i = 0; i < NCONN; i++)
		close(cl.fd[i]);
	close(cl.ep);
	policyd_free(pd);
	loop_free(l);
	free(cl.lat);
	policy_free(&app.pol);
	actions_free(&a);
	config_free(app.cfg);
	return 0;
}
