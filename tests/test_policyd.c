/*
 * test_policyd - the policy service's answers: OK for a live relay lease
 * in the configured states, the blacklist reply for a listed client,
 * DUNNO for the rest and for an address that is none; the server on a
 * unix socket: pipelined and split requests, a client that breaks the
 * protocol, sends too much or falls silent is cut off, the others go on;
 * inet: addresses, good and bad; at the connection limit the idlest
 * connection makes room for a new one; out of descriptors, the listener
 * rests instead of spinning.  (With the real Postfix: e2e/test_policy.py.)
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/policyd.h"
#include "lib/loop.h"
#include "tlib.h"

static const char *reply = "554 Your IP address has been blacklisted by "
			   "{authority}. {reason}";
static char *rcpt_only[] = {"RCPT", NULL};
static char **states = rcpt_only; /* what ask() configures */
static enum policyd_action last; /* what ask() was answered */

static const char *
ask(const struct policy *p, const char *ip, const char *state, int64_t now)
{
	static struct sbuf out;
	char buf[512];
	struct deleg_req r;
	size_t used, scanned = 0;
	const char *why;

	snprintf(buf, sizeof(buf),
	    "request=smtpd_access_policy\nprotocol_state=%s\n"
	    "client_address=%s\n\n",
	    state, ip);
	T_OK(deleg_next(buf, strlen(buf), &scanned, &r, &used, &why) ==
	    DELEG_REQUEST);
	sbuf_reset(&out);
	last = policyd_answer(p, reply, states, &r, now, &out);
	return out.s;
}

static const char *const req =
    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
    "client_address=192.0.2.5\n\n";

static int
client(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	T_OK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* turn - the loop for a while */
static void
turn(struct loop *l, int ms)
{
	t_run_loop(l, NULL, 0, ms, 0);
}

/* got - what fd has to read now ("" if nothing; "EOF" if closed, reset
 * included: a server that closes with unread bytes resets) */
static const char *
got(int fd)
{
	static char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return "EOF";
	if (n < 0)
		return errno == EAGAIN ? "" : "ERR";
	buf[n] = 0;
	return buf;
}

static void
test_server(struct policy *p)
{
	char path[600], over[700], *err = NULL;
	char *ov[] = {over, "policy_idle_timeout=1s", "firewall=none",
	    "log_destination=stderr"};
	struct app app;
	struct loop *l = loop_new();
	struct policyd *pd;

	T_CASE("the server");
	signal(SIGPIPE, SIG_IGN); /* our clients write to closed sockets */
	snprintf(path, sizeof(path), "%s/policy.sock", t_tmpdir());
	snprintf(over, sizeof(over), "policy_listen=unix:%s", path);
	memset(&app, 0, sizeof(app));
	app.cfg = config_load(NULL, true, ov, 4, &err);
	T_OK(app.cfg != NULL);
	if (app.cfg == NULL)
		return;
	app.pol = *p;
	pd = policyd_new(l, &app, app.cfg->policy_listen, &err);
	T_OK(pd != NULL);
	if (pd == NULL)
		return;

	/* connections are made right before they are used: the idle
	 * timeout is 1 s */
	int a = client(path), b = client(path), c;
	/* a: two requests in one write */
	char two[512];
	snprintf(two, sizeof(two), "%s%s", req, req);
	T_OK(write(a, two, strlen(two)) == (ssize_t)strlen(two));
	/* b: one request a byte at a time */
	for (size_t i = 0; i < strlen(req); i++) {
		T_OK(write(b, req + i, 1) == 1);
		turn(l, 2);
	}
	turn(l, 50);
	T_EQ_STR(got(a), "action=OK\n\naction=OK\n\n");
	T_EQ_STR(got(b), "action=OK\n\n");
	/* c: breaks the protocol after one good request: that one is
	 * answered, then the connection closes without another word */
	char bad[512];
	c = client(path);
	snprintf(bad, sizeof(bad), "%sclient_address=192.0.2.5\n\n", req);
	T_OK(write(c, bad, strlen(bad)) == (ssize_t)strlen(bad));
	turn(l, 50);
	T_EQ_STR(got(c), "action=OK\n\n");
	T_EQ_STR(got(c), "EOF");
	close(c);
	/* a flood without an end: cut off at the limit; a still served */
	c = client(path);
	char *big = malloc(DELEG_MAX_REQUEST + 1000);
	memset(big, 'x', DELEG_MAX_REQUEST + 1000);
	memcpy(big, "request=", 8);
	ssize_t sent = write(c, big, DELEG_MAX_REQUEST + 1000);
	T_OK(sent > 0);
	turn(l, 100);
	T_EQ_STR(got(c), "EOF");
	close(c);
	free(big);
	close(a);
	a = client(path);
	T_OK(write(a, req, strlen(req)) == (ssize_t)strlen(req));
	turn(l, 50);
	T_EQ_STR(got(a), "action=OK\n\n");
	/* a keeps talking past its first deadline (the timer set at
	 * connect): the deadline moves with each request */
	turn(l, 700);
	T_OK(write(a, req, strlen(req)) == (ssize_t)strlen(req));
	turn(l, 700);
	T_EQ_STR(got(a), "action=OK\n\n");
	/* silent for policy_idle_timeout: closed */
	c = client(path);
	T_OK(write(c, "request=smtpd", 13) == 13);
	turn(l, 1300);
	T_EQ_STR(got(c), "EOF");
	T_EQ_STR(got(a), "EOF"); /* silent since its last request */
	uint64_t n[POLICYD__N];
	policyd_answered(pd, n);
	T_EQ_INT(n[POLICYD_OK], 6);
	T_EQ_INT(n[POLICYD_REJECT] + n[POLICYD_DUNNO], 0);

	close(a);
	close(b);
	close(c);
	policyd_free(pd);
	T_OK(access(path, F_OK) != 0); /* the socket file goes too */
	loop_free(l);
	config_free(app.cfg);
}

/* start - a policy service on the one address spec, with a config of
 * its own in app (whose policy_listen is not spec: policyd_new listens
 * where it is told); NULL and *err if it cannot be had */
static struct policyd *
start(struct loop *l, struct app *app, struct policy *p, const char *spec,
    char **err)
{
	char *ov[] = {"policy_listen=unix:/nonexistent/not-this.sock",
	    "policy_idle_timeout=10s", "firewall=none",
	    "log_destination=stderr"};
	char *addrs[] = {(char *)spec, NULL};

	memset(app, 0, sizeof(*app));
	*err = NULL;
	app->cfg = config_load(NULL, true, ov, 4, err);
	T_OK(app->cfg != NULL);
	if (app->cfg == NULL)
		return NULL;
	app->pol = *p;
	return policyd_new(l, app, addrs, err);
}

/* free_port - a TCP port on the loopback address of family af that
 * nothing listens on (a moment ago); -1 if af has no loopback */
static int
free_port(int af)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	}
	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		port = ntohs(af == AF_INET
			? ((struct sockaddr_in *)&ss)->sin_port
			: ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* tcp_client - connected to the loopback address of af, port */
static int
tcp_client(int af, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	}
	T_OK(connect(fd, (struct sockaddr *)&ss, len) == 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void
test_inet(struct policy *p)
{
	static const char *const bad[] = {
	    "inet:127.0.0.1",
	    "inet:127.0.0.1:",
	    "inet:127.0.0.1:%d:",
	    "inet:127.0.0.1:+%d",
	    "inet:127.0.0.1:-%d",
	    "inet:127.0.0.1:0",
	    "inet:127.0.0.1:65536",
	    "inet:127.0.0.1:99999999999999999999",
	    "inet:127.0.0.1:%dx",
	    "inet:127.0.0.1: %d",
	    "inet:127.0.0.1:%d ",
	    "inet: 127.0.0.1:%d",
	    "inet:127.0.0.1 :%d",
	    "inet:[ ::1]:%d",
	    "inet:127.0.0.1:0x19",
	    "inet::%d",
	    "inet:[]:%d",
	    "inet:localhost:%d",
	    "inet:127.1:%d",
	    "inet:127.0.0.1.1:%d",
	    "inet:[127.0.0.1]:%d", /* brackets: IPv6 only */
	    "inet:::1:%d", /* IPv6 only in brackets */
	    "inet:[::1:%d",
	    "inet:::1]:%d",
	    "inet:[::1]%d",
	    "inet:[::1]x:%d",
	    "tcp:127.0.0.1:%d",
	    "127.0.0.1:%d",
	};
	struct loop *l = loop_new();
	struct app app;
	struct policyd *pd;
	char spec[128], *err = NULL;
	int port = free_port(AF_INET), port6 = free_port(AF_INET6), fd;

	T_CASE("no address");
	memset(&app, 0, sizeof(app));
	T_OK(policyd_new(l, &app, NULL, &err) == NULL && err == NULL);
	T_OK(policyd_new(l, &app, (char *[]){NULL}, &err) == NULL &&
	    err == NULL);

	T_CASE("inet: addresses");
	T_OK(port > 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(spec, sizeof(spec), bad[i], port);
		t_case = spec;
		pd = start(l, &app, p, spec, &err);
		T_OK(pd == NULL);
		T_OK(err != NULL && strncmp(err, spec, strlen(spec)) == 0 &&
		    strstr(err,
			": not unix:/path, inet:ADDRESS:PORT or "
			"inet:[IPV6]:PORT") != NULL);
		policyd_free(pd);
		free(err);
		config_free(app.cfg);
	}

	T_CASE("inet:127.0.0.1:port");
	snprintf(spec, sizeof(spec), "inet:127.0.0.1:%d", port);
	pd = start(l, &app, p, spec, &err);
	T_OK(pd != NULL && err == NULL);
	if (pd != NULL) {
		/* the port is taken now: a second one says why not */
		struct app app2;
		struct policyd *pd2 = start(l, &app2, p, spec, &err);
		char want[160];
		T_OK(pd2 == NULL);
		snprintf(
		    want, sizeof(want), "%s: %s", spec, strerror(EADDRINUSE));
		T_EQ_STR(err, want);
		free(err);
		config_free(app2.cfg);

		fd = tcp_client(AF_INET, port);
		T_OK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
		turn(l, 50);
		T_EQ_STR(got(fd), "action=OK\n\n");
		close(fd);
	}
	policyd_free(pd);
	config_free(app.cfg);

	T_CASE("inet:[::1]:port");
	if (port6 > 0) {
		snprintf(spec, sizeof(spec), "inet:[::1]:%d", port6);
		pd = start(l, &app, p, spec, &err);
		T_OK(pd != NULL && err == NULL);
		if (pd != NULL) {
			fd = tcp_client(AF_INET6, port6);
			T_OK(write(fd, req, strlen(req)) ==
			    (ssize_t)strlen(req));
			turn(l, 50);
			T_EQ_STR(got(fd), "action=OK\n\n");
			close(fd);
		}
		policyd_free(pd);
		config_free(app.cfg);
	} else {
		printf("# no IPv6 loopback: inet:[::1] not tried\n");
	}
	loop_free(l);
}

static void
test_limits(struct policy *p)
{
	struct loop *l = loop_new();
	struct app app;
	struct policyd *pd;
	struct rlimit orig, low;
	char path[600], spec[700], *err = NULL;
	int a, b, c[48], n, e, k;

	T_CASE("the idlest connection makes room");
	snprintf(path, sizeof(path), "%s/limits.sock", t_tmpdir());
	snprintf(spec, sizeof(spec), "unix:%s", path);
	/* the limit is half the descriptors: 50 connections */
	T_OK(getrlimit(RLIMIT_NOFILE, &orig) == 0);
	low = orig;
	low.rlim_cur = 100;
	T_OK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	pd = start(l, &app, p, spec, &err);
	T_OK(setrlimit(RLIMIT_NOFILE, &orig) == 0);
	T_OK(pd != NULL);
	if (pd == NULL)
		return;
	/* a connects first, b next; a speaks, b stays silent */
	a = client(path);
	turn(l, 20);
	b = client(path);
	turn(l, 20);
	T_OK(write(a, req, strlen(req)) == (ssize_t)strlen(req));
	turn(l, 20);
	T_EQ_STR(got(a), "action=OK\n\n");
	for (size_t i = 0; i < 48; i++)
		c[i] = client(path);
	turn(l, 20);
	/* the 51st: b goes, no other */
	t_msg_clear();
	n = client(path);
	T_OK(write(n, req, strlen(req)) == (ssize_t)strlen(req));
	turn(l, 50);
	T_EQ_STR(got(n), "action=OK\n\n");
	T_EQ_STR(got(b), "EOF");
	T_EQ_INT(t_msg_count("policy service: 50 connections: the one "
			     "silent the longest closed for a new one"),
	    1);
	T_OK(write(a, req, strlen(req)) == (ssize_t)strlen(req));
	turn(l, 50);
	T_EQ_STR(got(a), "action=OK\n\n");
	for (size_t i = 0; i < 48; i++)
		T_EQ_STR(got(c[i]), "");

	T_CASE("out of descriptors: the listener rests");
	close(b);
	b = client(path); /* queued: no accept yet */
	T_OK(write(b, req, strlen(req)) == (ssize_t)strlen(req));
	/* no descriptor above those open now */
	k = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(k);
	low = orig;
	low.rlim_cur = (rlim_t)k;
	T_OK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	t_msg_clear();
	double cpu = t_cpu_seconds();
	turn(l, 300);
	cpu = t_cpu_seconds() - cpu;
	/* those connected are served meanwhile */
	T_OK(write(a, req, strlen(req)) == (ssize_t)strlen(req));
	turn(l, 50);
	T_OK(setrlimit(RLIMIT_NOFILE, &orig) == 0);
	T_OK(cpu < 0.1); /* no spinning on the readable listener */
	T_EQ_INT(t_msg_count("policy service: accept: Too many open files; "
			     "no new connections for 1000 ms"),
	    1);
	T_EQ_STR(got(a), "action=OK\n\n");
	T_EQ_STR(got(b), "");
	/* a second later it is accepted (a descriptor is free again) */
	turn(l, 1000);
	T_EQ_STR(got(b), "action=OK\n\n");
	e = client(path);
	T_OK(write(e, req, strlen(req)) == (ssize_t)strlen(req));
	turn(l, 50);
	T_EQ_STR(got(e), "action=OK\n\n");

	close(a);
	close(b);
	close(n);
	close(e);
	for (size_t i = 0; i < 48; i++)
		close(c[i]);
	policyd_free(pd);
	config_free(app.cfg);
	loop_free(l);
}

int
main(void)
{
	struct policy_cfg cfg = {
	    .relay_lease = 1800, .bl = {0.03333333, 50, 1800, 604800, 7776000}};
	struct policy p;
	struct actions a;
	struct ipaddr x, y;
	int64_t t = 1795700000;

	policy_init(&p, &cfg);
	actions_init(&a);
	ipaddr_parse(&x, "192.0.2.5", 9);
	relay_login(&p.relay, &x, "alice", "pop3 via dovecot", t, t, &a);
	ipaddr_parse(&y, "203.0.113.9", 11);
	bl_add(&p.bl, &y, BL_DNSBL, "zen.example", "bad.example", "listed", t,
	    0, &a);

	T_CASE("answers");
	T_EQ_STR(ask(&p, "192.0.2.5", "RCPT", t + 60), "action=OK\n\n");
	T_EQ_STR(ask(&p, "192.0.2.5", "rcpt", t + 60), "action=OK\n\n");
	/* a lease counts only where configured */
	T_EQ_STR(ask(&p, "192.0.2.5", "CONNECT", t + 60), "action=DUNNO\n\n");
	/* an ended lease, even before the timer took it */
	T_EQ_STR(ask(&p, "192.0.2.5", "RCPT", t + 1800), "action=DUNNO\n\n");
	T_EQ_STR(ask(&p, "203.0.113.9", "CONNECT", t),
	    "action=554 Your IP address has been blacklisted by "
	    "zen.example. listed\n\n");
	T_EQ_STR(ask(&p, "198.51.100.1", "RCPT", t), "action=DUNNO\n\n");
	T_EQ_INT(last, POLICYD_DUNNO);
	ask(&p, "203.0.113.9", "RCPT", t);
	T_EQ_INT(last, POLICYD_REJECT);
	ask(&p, "192.0.2.5", "RCPT", t + 60);
	T_EQ_INT(last, POLICYD_OK);
	T_EQ_STR(ask(&p, "not-an-ip", "RCPT", t), "action=DUNNO\n\n");
	T_EQ_STR(ask(&p, "", "RCPT", t), "action=DUNNO\n\n");
	/* IPv4-mapped IPv6 is the IPv4 client */
	T_EQ_STR(ask(&p, "::ffff:192.0.2.5", "RCPT", t), "action=OK\n\n");
	/* no relay states (the blacklist alone): never OK */
	states = NULL;
	T_EQ_STR(ask(&p, "192.0.2.5", "RCPT", t + 60), "action=DUNNO\n\n");
	T_OK(strstr(ask(&p, "203.0.113.9", "RCPT", t), "action=554 ") != NULL);
	states = rcpt_only;

	t_msg_capture();
	/* the server asks at the wall clock: a lease from now */
	relay_login(&p.relay, &x, "alice", "pop3 via dovecot",
	    (int64_t)time(NULL), (int64_t)time(NULL), &a);
	test_server(&p);
	test_inet(&p);
	test_limits(&p);

	policy_free(&p);
	actions_free(&a);
	return t_done();
}
