/*
 * policyd - the policy delegation server (see policyd.h).
 *
 * DESCRIPTION
 *	Listening sockets and connections are non-blocking and live on the
 *	daemon's loop, beside the log sources and timers.  A connection
 *	reads what is there, answers every whole request in it in order
 *	(Postfix reuses a connection; a client may pipeline), and keeps the
 *	rest for the next read.  Replies are written at once; what the
 *	socket does not take waits for it to drain.  A connection that
 *	breaks the protocol (delegation.c), asks more than DELEG_MAX_REQUEST
 *	in one request, lets replies pile up beyond OUT_MAX or stays silent
 *	for policy_idle_timeout is closed; no other is affected.  At the
 *	connection limit (MAX_CONNS, or half the descriptors the process
 *	may have if that is less) a new connection is taken and the one
 *	silent the longest closed: whoever holds idle connections cannot
 *	lock Postfix out.  When accept fails for want of descriptors or
 *	memory, the listener is left unwatched for ACCEPT_PAUSE_MS (the
 *	queued connection keeps it readable: the loop would spin).
 *
 *	Hits are not counted here: Postfix logs every reject it makes on
 *	popauth's answer, and the log is where hits are counted, so a
 *	client's attempt counts once whichever way popauth learns of it.
 *
 * SECURITY
 *	Whoever can connect is trusted no further than to ask: the socket
 *	should be in a directory only Postfix enters (private/ in its
 *	queue directory) or on loopback.  Requests are parsed strictly and
 *	bounded; the client address is parsed with inet_pton.
 *
 * DIAGNOSTICS
 *	Protocol errors, a connection closed at the limit and accept
 *	failing for want of descriptors are logged (rate-limited); listening
 *	failures are errors at start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/ipaddr.h"
#include "../lib/loop.h"
#include "../lib/mem.h"
#include "../lib/msg.h"
#include "../lib/numparse.h"
#include "../lib/usock.h"
#include "maps.h"
#include "policyd.h"

#define READ_CHUNK 8192
#define OUT_MAX (64 * 1024) /* replies not read by the client */
#define MAX_CONNS 1024
#define ACCEPT_PAUSE_MS 1000 /* out of descriptors: try again after this */

struct conn {
	struct policyd *pd;
	int fd;
	struct sbuf in, out;
	size_t scanned; /* of in: searched for a request's end already */
	struct loop_timer *idle;
	uint64_t last_ms; /* monotonic time of the last read */
	bool want_out; /* EPOLLOUT is on */
	struct conn *next;
};

struct listener {
	int fd;
	char *unix_path; /* removed at the end */
	struct policyd *pd;
};

struct policyd {
	struct loop *loop;
	struct app *app;
	struct listener *lv;
	size_t nl;
	struct conn *conns;
	size_t nconns, max_conns;
	uint64_t answered[POLICYD__N];
	struct msg_rate rl_proto;
	struct msg_rate rl_accept;
};

enum policyd_action
policyd_answer(const struct policy *pol, const char *blacklist_reply,
    char *const *relay_states, const struct deleg_req *req, int64_t now,
    struct sbuf *out)
{
	struct ipaddr ip;
	const struct relay_ip *lease;
	const struct bl_rec *rec;

	if (!ipaddr_parse(&ip,
		req->client_address.p ? req->client_address.p : "",
		req->client_address.n)) {
		sbuf_adds(out, "action=DUNNO\n\n");
		return POLICYD_DUNNO;
	}
	if ((lease = relay_get(&pol->relay, &ip)) != NULL &&
	    lease->end.key > now) {
		for (size_t i = 0; relay_states && relay_states[i]; i++)
			if (req->protocol_state.n == strlen(relay_states[i]) &&
			    strncasecmp(req->protocol_state.p, relay_states[i],
				req->protocol_state.n) == 0) {
				sbuf_adds(out, "action=OK\n\n");
				return POLICYD_OK;
			}
		sbuf_adds(out, "action=DUNNO\n\n");
		return POLICYD_DUNNO;
	}
	if ((rec = bl_get(&pol->bl, &ip)) != NULL) {
		sbuf_adds(out, "action=");
		maps_blacklist_value(blacklist_reply, rec, out);
		sbuf_adds(out, "\n\n");
		return POLICYD_REJECT;
	}
	sbuf_adds(out, "action=DUNNO\n\n");
	return POLICYD_DUNNO;
}

void
policyd_answered(const struct policyd *pd, uint64_t counts[POLICYD__N])
{
	for (int i = 0; i < POLICYD__N; i++)
		counts[i] = pd ? pd->answered[i] : 0;
}

static void
conn_close(struct conn *c)
{
	struct policyd *pd = c->pd;

	for (struct conn **pp = &pd->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pd->nconns--;
	loop_io_del(pd->loop, c->fd);
	close(c->fd);
	loop_timer_free(c->idle);
	sbuf_free(&c->in);
	sbuf_free(&c->out);
	free(c);
}

/* idle_timeout - close a connection silent for policy_idle_timeout.  The
 * timer is not moved at each read (a clock read and a heap operation per
 * query); when it fires for a connection that spoke since, it is armed
 * again for the new deadline. */
static void
idle_timeout(struct loop *l, void *arg)
{
	struct conn *c = arg;
	uint64_t due =
	    c->last_ms + (uint64_t)c->pd->app->cfg->policy_idle_timeout * 1000;

	if (due > loop_now_ms(l))
		loop_timer_start_at(c->idle, due);
	else
		conn_close(c);
}

/* flush - write what waits; false if the connection is done for */
static bool
flush(struct conn *c)
{
	while (c->out.len > 0) {
		/* no SIGPIPE for a client that went away */
		ssize_t n = send(c->fd, c->out.s, c->out.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		memmove(c->out.s, c->out.s + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
		c->out.s[c->out.len] = 0;
	}
	bool want = c->out.len > 0;
	if (want != c->want_out) {
		loop_io_mod(
		    c->pd->loop, c->fd, EPOLLIN | (want ? EPOLLOUT : 0));
		c->want_out = want;
	}
	return c->out.len <= OUT_MAX;
}

/* answer_all - every whole request received; false on a protocol error */
static bool
answer_all(struct conn *c)
{
	struct policyd *pd = c->pd;
	const struct config *cfg = pd->app->cfg;
	size_t off = 0, used;
	struct deleg_req req;
	const char *why = NULL;
	enum deleg_status st;
	int64_t now = (int64_t)time(NULL);

	while ((st = deleg_next(c->in.s + off, c->in.len - off, &c->scanned,
		    &req, &used, &why)) == DELEG_REQUEST) {
		pd->answered[policyd_answer(&pd->app->pol, cfg->blacklist_reply,
		    cfg->policy_relay_states, &req, now, &c->out)]++;
		off += used;
	}
	if (off > 0) {
		memmove(c->in.s, c->in.s + off, c->in.len - off);
		c->in.len -= off;
		c->in.s[c->in.len] = 0;
	}
	if (st == DELEG_ERROR) {
		msg_warn_rate(&pd->rl_proto,
		    "policy service: %s; connection closed without a reply",
		    why);
		return false;
	}
	return true;
}

static void
conn_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;

	if (events & EPOLLIN) {
		/* straight into the request buffer: no copy on the way */
		sbuf_reserve(&c->in, READ_CHUNK);
		ssize_t n = read(fd, c->in.s + c->in.len, READ_CHUNK);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->in.len += (size_t)n;
		c->in.s[c->in.len] = 0;
		c->last_ms = loop_now_ms(l);
		if (!answer_all(c)) {
			flush(c); /* the requests before it are answered */
			conn_close(c);
			return;
		}
	}
	if (!flush(c)) {
		conn_close(c);
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN))
		conn_close(c);
}

/* evict_idlest - close the connection silent the longest, to make room
 * for a new one: whoever holds idle connections cannot lock Postfix out
 * (it reconnects if one of its own goes) */
static void
evict_idlest(struct policyd *pd)
{
	struct conn *idlest = pd->conns;

	/* the list is newest first: on a tie, the older one goes */
	for (struct conn *c = pd->conns; c; c = c->next)
		if (c->last_ms <= idlest->last_ms)
			idlest = c;
	if (idlest)
		conn_close(idlest);
}

static void
accept_one(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct listener *ls = arg;
	struct policyd *pd = ls->pd;

	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (cfd < 0 &&
		    (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			errno == ENOMEM)) {
			/* the connection stays queued and the listener
			 * readable: unwatched for a while, or the loop
			 * would spin */
			msg_warn_rate(&pd->rl_accept,
			    "policy service: accept: %s; no new connections "
			    "for %d ms",
			    strerror(errno), ACCEPT_PAUSE_MS);
			loop_io_pause(l, fd, ACCEPT_PAUSE_MS);
			return;
		}
		if (cfd < 0)
			return; /* EAGAIN; other errors: the next turn */
		/* after the accept: the new descriptor cannot be the one
		 * closed, whose events may still be due in this turn */
		if (pd->nconns >= pd->max_conns) {
			msg_warn_rate(&pd->rl_proto,
			    "policy service: %zu connections: the one silent "
			    "the longest closed for a new one",
			    pd->max_conns);
			evict_idlest(pd);
		}
		struct conn *c = xcalloc(1, sizeof(*c));
		c->pd = pd;
		c->fd = cfd;
		c->idle = loop_timer_new(pd->loop, idle_timeout, c);
		c->last_ms = loop_now_ms(l);
		loop_timer_start_at(c->idle,
		    c->last_ms +
			(uint64_t)pd->app->cfg->policy_idle_timeout * 1000);
		c->next = pd->conns;
		pd->conns = c;
		pd->nconns++;
		loop_io_add(pd->loop, cfd, EPOLLIN, conn_io, c);
	}
}

/* bad_spec - -1 and *err for an address that is none */
static int
bad_spec(const char *spec, char **err)
{
	*err = xstrfmt("%s: not unix:/path, inet:ADDRESS:PORT or "
		       "inet:[IPV6]:PORT",
	    spec);
	return -1;
}

/* parse_inet - "ADDRESS:PORT" or "[IPV6]:PORT" (what follows "inet:")
 * into *ss; false if it is neither */
static bool
parse_inet(const char *hostport, struct sockaddr_storage *ss, socklen_t *lenp)
{
	const char *colon = strrchr(hostport, ':');
	size_t hlen = colon ? (size_t)(colon - hostport) : 0;
	bool bracket = hlen > 0 && hostport[0] == '[';
	struct ipaddr ip;
	int64_t port;
	socklen_t len;

	/* an IPv6 address in brackets, an IPv4 one without (the last ':'
	 * is the port's) */
	if (colon == NULL || !num_parse_i64(colon + 1, 1, 65535, &port) ||
	    !ipaddr_parse(&ip, hostport, hlen) ||
	    (memchr(hostport, ':', hlen) != NULL) != bracket)
		return false;
	memset(ss, 0, sizeof(*ss));
	if (ip.af == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, ip.a, 4);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, ip.a, 16);
		len = sizeof(*s6);
	}
	*lenp = len;
	return true;
}

bool
policyd_address_ok(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (strncmp(spec, "unix:", 5) == 0)
		return spec[5] != 0;
	return strncmp(spec, "inet:", 5) == 0 &&
	    parse_inet(spec + 5, &ss, &len);
}

/* listen_inet - a listening socket on "inet:..." spec; -1 and *err */
static int
listen_inet(const char *spec, char **err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (!parse_inet(spec + 5, &ss, &len))
		return bad_spec(spec, err);
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0) {
		*err = xstrfmt("%s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* listen_on - one "unix:/path" or "inet:host:port"; -1 and *err */
static int
listen_on(const char *spec, char **unix_path, char **err)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		/* mode 0666: Postfix's smtpd runs as its own user; the
		 * directory (Postfix's private/) is what keeps others out */
		if ((fd = usock_listen(spec + 5, 0666, err)) >= 0)
			*unix_path = xstrdup(spec + 5);
		return fd;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		return listen_inet(spec, err);
	return bad_spec(spec, err);
}

struct policyd *
policyd_new(struct loop *loop, struct app *app, char *const *addrs, char **err)
{
	struct policyd *pd;
	struct rlimit rl;
	size_t n = 0;

	*err = NULL;
	while (addrs && addrs[n])
		n++;
	if (n == 0)
		return NULL;
	pd = xcalloc(1, sizeof(*pd));
	pd->loop = loop;
	pd->app = app;
	pd->lv = xcalloc(n, sizeof(*pd->lv));
	pd->rl_proto =
	    (struct msg_rate)MSG_RATE_INIT("policy-protocol", 5, 3600);
	pd->rl_accept =
	    (struct msg_rate)MSG_RATE_INIT("policy-accept", 5, 3600);
	/* at most half the descriptors the process may have (a soft limit
	 * of 1024 is common): the log sources, the store and postmap's
	 * pipes keep theirs however many connect, and it is this limit,
	 * not the descriptors running out, that a flood of connections
	 * meets, where the idlest connection makes room for a new one */
	pd->max_conns = MAX_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < MAX_CONNS)
		pd->max_conns = rl.rlim_cur / 2 > 0 ? rl.rlim_cur / 2 : 1;
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		int fd = listen_on(addrs[i], &path, err);
		if (fd < 0) {
			policyd_free(pd);
			return NULL;
		}
		struct listener *ls = &pd->lv[pd->nl++];
		ls->fd = fd;
		ls->unix_path = path;
		ls->pd = pd;
		loop_io_add(loop, fd, EPOLLIN, accept_one, ls);
		msg_info("policy service on %s", addrs[i]);
	}
	return pd;
}

void
policyd_free(struct policyd *pd)
{
	if (pd == NULL)
		return;
	while (pd->conns)
		conn_close(pd->conns);
	for (size_t i = 0; i < pd->nl; i++) {
		loop_io_del(pd->loop, pd->lv[i].fd);
		close(pd->lv[i].fd);
		if (pd->lv[i].unix_path)
			unlink(pd->lv[i].unix_path);
		free(pd->lv[i].unix_path);
	}
	free(pd->lv);
	free(pd);
}
