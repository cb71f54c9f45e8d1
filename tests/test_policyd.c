/*
 * test_policyd - the policy service's answers: OK for a live relay lease
 * in the configured states, the blacklist reply for a listed client,
 * DUNNO for the rest and for an address that is none; the server on a
 * unix socket: pipelined and split requests, a client that breaks the
 * protocol, sends too much or falls silent is cut off, the others go on.
 * (With the real Postfix: e2e/test_policy.py.)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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
	size_t used;
	const char *why;

	snprintf(buf, sizeof(buf),
	    "request=smtpd_access_policy\nprotocol_state=%s\n"
	    "client_address=%s\n\n",
	    state, ip);
	T_OK(deleg_next(buf, strlen(buf), &r, &used, &why) == DELEG_REQUEST);
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
	pd = policyd_new(l, &app, &err);
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

	policy_free(&p);
	actions_free(&a);
	return t_done();
}
