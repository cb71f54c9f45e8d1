/*
 * test_delegation - the policy delegation protocol's requests: whole,
 * pipelined, split over reads (the search for the end carried from read
 * to read, split at every byte), with unknown attributes; and what is a
 * protocol error (no request=, not name=value, NUL, too long).
 */
#include <stdlib.h>
#include <string.h>

#include "parse/delegation.h"
#include "tlib.h"

static const char req1[] = "request=smtpd_access_policy\n"
			   "protocol_state=RCPT\n"
			   "protocol_name=ESMTP\n"
			   "client_address=192.0.2.5\n"
			   "client_name=mail.example.net\n"
			   "helo_name=a=b\n"
			   "recipient=bob@example.org\n"
			   "sasl_username=\n"
			   "some_future_attribute=whatever\n"
			   "\n";

static bool
eq(struct span s, const char *lit)
{
	return s.p != NULL && s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* next1 - deleg_next on bytes never searched before */
static enum deleg_status
next1(const char *buf, size_t len, struct deleg_req *r, size_t *used,
    const char **why)
{
	size_t scanned = 0;

	return deleg_next(buf, len, &scanned, r, used, why);
}

static void
test_whole(void)
{
	struct deleg_req r;
	size_t used = 0, scanned = 0;
	const char *why = NULL;

	T_CASE("one request");
	T_EQ_INT(deleg_next(req1, strlen(req1), &scanned, &r, &used, &why),
	    DELEG_REQUEST);
	T_EQ_INT(used, strlen(req1));
	T_EQ_INT(scanned, 0);
	T_OK(eq(r.request, "smtpd_access_policy"));
	T_OK(eq(r.protocol_state, "RCPT"));
	T_OK(eq(r.client_address, "192.0.2.5"));
}

static void
test_pipelined(void)
{
	char buf[2048];
	struct deleg_req r;
	size_t used, off = 0, scanned = 0;
	const char *why;
	int n = 0;
	bool crlf = false;

	T_CASE("pipelined");
	snprintf(buf, sizeof(buf), "%s%s%srequest=smtpd", req1, req1,
	    "request=smtpd_access_policy\r\nclient_address=::1\r\n\r\n");
	while (deleg_next(buf + off, strlen(buf + off), &scanned, &r, &used,
		   &why) == DELEG_REQUEST) {
		n++;
		off += used;
		crlf = eq(r.client_address, "::1");
	}
	T_EQ_INT(n, 3);
	T_OK(crlf); /* CRLF tolerated */
	T_EQ_STR(buf + off, "request=smtpd"); /* the next, not yet whole */
	T_EQ_INT(scanned, strlen("request=smtpd"));
}

static void
test_split(void)
{
	struct deleg_req r;
	size_t used, scanned = 0;
	const char *why;
	size_t n = strlen(req1);

	T_CASE("split over reads");
	for (size_t k = 0; k < n; k++)
		T_EQ_INT(next1(req1, k, &r, &used, &why), DELEG_MORE);
	T_EQ_INT(next1(req1, n, &r, &used, &why), DELEG_REQUEST);
	/* the same, with the search carried from read to read: each
	 * byte is looked at once */
	for (size_t k = 0; k < n; k++) {
		T_EQ_INT(
		    deleg_next(req1, k, &scanned, &r, &used, &why), DELEG_MORE);
		T_EQ_INT(scanned, k);
	}
	T_EQ_INT(deleg_next(req1, n, &scanned, &r, &used, &why), DELEG_REQUEST);
	T_EQ_INT(used, n);
	T_OK(eq(r.client_address, "192.0.2.5"));
}

/* test_dribble - pipelined requests (LF, CRLF, an empty value) arriving a
 * byte at a time, the search carried along: each request is whole on its
 * last byte, not before, and parsed as when it came at once */
static void
test_dribble(void)
{
	static const char *const reqs[] = {
	    req1,
	    "request=smtpd_access_policy\r\nprotocol_state=DATA\r\n"
	    "client_address=2001:db8::1\r\n\r\n",
	    "request=smtpd_access_policy\nclient_address=\n\n",
	    "request=x\r\n\r\n",
	};
	/* NULL: no client_address= at all */
	static const char *const addr[] = {
	    "192.0.2.5", "2001:db8::1", "", NULL};
	enum { NR = sizeof(reqs) / sizeof(reqs[0]) };
	char buf[2048];
	size_t ends[NR], len = 0, start = 0, scanned = 0, got = 0;

	T_CASE("dribbled, split at every byte");
	for (size_t i = 0; i < NR; i++) {
		memcpy(buf + len, reqs[i], strlen(reqs[i]));
		len += strlen(reqs[i]);
		ends[i] = len;
	}
	for (size_t k = 0; k <= len; k++) {
		struct deleg_req r;
		size_t used;
		const char *why = NULL;
		enum deleg_status st = deleg_next(
		    buf + start, k - start, &scanned, &r, &used, &why);
		bool due = got < NR && k == ends[got];
		T_EQ_INT(st, due ? DELEG_REQUEST : DELEG_MORE);
		if (st != DELEG_REQUEST)
			continue;
		T_EQ_INT(start + used, ends[got]);
		T_OK(r.request.p != NULL);
		if (addr[got] == NULL) {
			T_OK(r.client_address.p == NULL);
		} else {
			T_OK(r.client_address.p != NULL);
			T_EQ_SPAN(r.client_address, addr[got]);
		}
		if (got == 1)
			T_EQ_SPAN(r.protocol_state, "DATA");
		start += used;
		got++;
		/* nothing left: more to read */
		T_EQ_INT(deleg_next(
			     buf + start, k - start, &scanned, &r, &used, &why),
		    DELEG_MORE);
	}
	T_EQ_INT(got, NR);
}

static void
test_errors(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *why;
	} bad[] = {
	    {"client_address=192.0.2.5\n\n", 0, "no request="},
	    {"\n", 0, "no request="},
	    {"\r\n", 0, "no request="},
	    {"request=smtpd_access_policy\nGET / HTTP/1.0\n\n", 0,
		"not name=value"},
	    {"request=smtpd_access_policy\n=x\n\n", 0, "not name=value"},
	    {"request=smtpd_access\0policy\n\n", 30, "NUL"},
	};
	struct deleg_req r;
	size_t used;
	const char *why;

	T_CASE("protocol errors");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = bad[i].n ? bad[i].n : strlen(bad[i].in);
		why = NULL;
		T_EQ_INT(next1(bad[i].in, n, &r, &used, &why), DELEG_ERROR);
		T_OK(why != NULL && strstr(why, bad[i].why) != NULL);
	}

	/* too long: as soon as the limit is passed without an end, and a
	 * whole request over it */
	char *big = malloc(DELEG_MAX_REQUEST + 64);
	memset(big, 'a', DELEG_MAX_REQUEST + 64);
	memcpy(big, "request=", 8);
	T_EQ_INT(
	    next1(big, DELEG_MAX_REQUEST - 1, &r, &used, &why), DELEG_MORE);
	T_EQ_INT(next1(big, DELEG_MAX_REQUEST, &r, &used, &why), DELEG_ERROR);
	big[DELEG_MAX_REQUEST + 10] = '\n';
	big[DELEG_MAX_REQUEST + 11] = '\n';
	T_EQ_INT(
	    next1(big, DELEG_MAX_REQUEST + 12, &r, &used, &why), DELEG_ERROR);
	T_OK(strstr(why, "too long") != NULL);
	free(big);
}

int
main(void)
{
	test_whole();
	test_pipelined();
	test_split();
	test_dribble();
	test_errors();
	return t_done();
}
