/*
 * delegation - one policy delegation request out of a connection's bytes.
 *
 * DESCRIPTION
 *	A request ends at the first empty line.  Before it is complete,
 *	nothing is parsed, and the search for its end goes on where the
 *	last read's left off (the caller keeps the offset), so a client
 *	that sends a byte at a time costs each byte one look, not a scan
 *	of all it sent so far; once complete, the request is checked for
 *	NUL bytes and its lines are split at their first '=' and the known
 *	names kept.
 *	Postfix ends lines with "\n"; a "\r" before it is tolerated.
 *
 * SECURITY
 *	Every byte comes from whoever can connect to the socket: values
 *	are spans into the caller's buffer, never trusted to be text; the
 *	request's size is bounded; a NUL byte is a protocol error.
 */
#include <string.h>

#include "delegation.h"

/* request_end - where the empty line that ends a request ends, or NULL;
 * buf[0..from) is known to hold no such line end */
static const char *
request_end(const char *buf, size_t len, size_t from)
{
	const char *p = buf + from, *end = buf + len, *nl;

	/* the line a '\n' ends is empty if the '\n' is the first byte or
	 * follows another, or follows a '\r' that is the first byte or
	 * follows a '\n': a look back of at most two bytes, which are
	 * there whatever `from' is.  An empty first line ends an (empty)
	 * request too. */
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t i = (size_t)(nl - buf);
		if (i == 0 || buf[i - 1] == '\n' ||
		    (buf[i - 1] == '\r' && (i == 1 || buf[i - 2] == '\n')))
			return nl + 1;
		p = nl + 1;
	}
	return NULL;
}

enum deleg_status
deleg_next(const char *buf, size_t len, size_t *scanned, struct deleg_req *req,
    size_t *used, const char **why)
{
	const char *end, *p = buf;

	end = request_end(buf, len, *scanned <= len ? *scanned : 0);
	memset(req, 0, sizeof(*req));
	if (end == NULL) {
		if (len >= DELEG_MAX_REQUEST) {
			*why = "request too long";
			return DELEG_ERROR;
		}
		*scanned = len;
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
		if (span_eq(name, "request"))
			req->request = value;
		else if (span_eq(name, "protocol_state"))
			req->protocol_state = value;
		else if (span_eq(name, "client_address"))
			req->client_address = value;
		p = nl + 1;
	}
	if (req->request.p == NULL) {
		*why = "no request= attribute";
		return DELEG_ERROR;
	}
	*used = (size_t)(end - buf);
	*scanned = 0; /* what follows the request was not searched */
	return DELEG_REQUEST;
}
