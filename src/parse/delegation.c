/*
 * delegation - one policy delegation request out of a connection's bytes.
 *
 * DESCRIPTION
 *	A request ends at the first empty line.  Before it is complete,
 *	nothing is parsed (a slow client costs one scan per read of what
 *	came so far, bounded by DELEG_MAX_REQUEST); once complete, its
 *	lines are split at their first '=' and the known names kept.
 *	Postfix ends lines with "\n"; a "\r" before it is tolerated.
 *
 * SECURITY
 *	Every byte comes from whoever can connect to the socket: values
 *	are spans into the caller's buffer, never trusted to be text; the
 *	request's size is bounded; a NUL byte is a protocol error.
 */
#include <string.h>

#include "delegation.h"

/* request_end - where the empty line that ends a request ends, or NULL */
static const char *
request_end(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	/* an empty first line ends an (empty) request too */
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return NULL;
		if (nl == p || (nl == p + 1 && p[0] == '\r'))
			return nl + 1;
		p = nl + 1;
	}
}

static bool
is(struct span name, const char *lit)
{
	size_t n = strlen(lit);

	return name.n == n && memcmp(name.p, lit, n) == 0;
}

enum deleg_status
deleg_next(const char *buf, size_t len, struct deleg_req *req, size_t *used,
    const char **why)
{
	const char *end = request_end(buf, len), *p = buf;

	memset(req, 0, sizeof(*req));
	if (end == NULL) {
		if (len >= DELEG_MAX_REQUEST) {
			*why = "request too long";
			return DELEG_ERROR;
		}
		return DELEG_MORE;
	}
	if ((size_t)(end - buf) > DELEG_MAX_REQUEST) {
		*why = "request too long";
		return DELEG_ERROR;
	}
	if (memchr(buf, 0, (size_t)(end - buf)) != NULL) {
		*why = "NUL byte in a request";
		return DELEG_ERROR;
	}
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (le == p)
			break; /* the empty line */
		const char *eq = memchr(p, '=', (size_t)(le - p));
		if (eq == NULL || eq == p) {
			*why = "a line that is not name=value";
			return DELEG_ERROR;
		}
		struct span name = {p, (size_t)(eq - p)};
		struct span value = {eq + 1, (size_t)(le - eq - 1)};
		if (is(name, "request"))
			req->request = value;
		else if (is(name, "protocol_state"))
			req->protocol_state = value;
		else if (is(name, "client_address"))
			req->client_address = value;
		else if (is(name, "client_name"))
			req->client_name = value;
		else if (is(name, "recipient"))
			req->recipient = value;
		else if (is(name, "sasl_username"))
			req->sasl_username = value;
		p = nl + 1;
	}
	if (req->request.p == NULL) {
		*why = "no request= attribute";
		return DELEG_ERROR;
	}
	*used = (size_t)(end - buf);
	return DELEG_REQUEST;
}
