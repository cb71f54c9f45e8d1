/*
 * delegation - Postfix's SMTPD access policy delegation protocol, the
 * request side: "name=value" lines ended by an empty line, many requests
 * on one connection.
 *
 * deleg_next looks at what a connection has received so far and takes
 * one whole request out of it, without copying: the attributes point
 * into the caller's buffer until the caller consumes the bytes.  The
 * caller keeps, per connection, how far the search for the request's end
 * got, so that a request that arrives in many small reads is still
 * scanned once.  Only the
 * attributes popauth answers by are kept; others are skipped, as the
 * protocol wants.  Anything else (a line without '=', no request=
 * attribute, a request larger than the limit) is a protocol error: the
 * caller logs it and closes the connection without a reply.
 */
#ifndef POPAUTH_DELEGATION_H
#define POPAUTH_DELEGATION_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/sbuf.h"

/* a request is at most this long (Postfix's own are about 1 KB) */
#define DELEG_MAX_REQUEST 16384

struct deleg_req {
	struct span request; /* "smtpd_access_policy" */
	struct span protocol_state; /* CONNECT, HELO, MAIL, RCPT, DATA, ... */
	struct span client_address;
};

enum deleg_status {
	DELEG_MORE, /* no whole request yet: read more */
	DELEG_REQUEST, /* *req is one, *used bytes of the buffer are it */
	DELEG_ERROR, /* a protocol error: *why says what */
};

/*
 * deleg_next - the first request in buf[0..len).  *scanned: how much of
 * buf an earlier call on the same pending bytes has searched already (0
 * for bytes never looked at); on DELEG_MORE it becomes len, on
 * DELEG_REQUEST 0 (for the bytes after the *used ones, which were not
 * searched).  buf may grow between calls, but not change or lose bytes
 * before *scanned.
 */
enum deleg_status deleg_next(const char *buf, size_t len, size_t *scanned,
    struct deleg_req *req, size_t *used, const char **why);

#endif
