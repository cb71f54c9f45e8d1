/*
 * source - where log lines come from: a followed file, a FIFO, standard
 * input, or the systemd journal.
 *
 * A source is started on the event loop and delivers every line it reads,
 * in order, through one callback.  File and journal sources can report
 * their position after the last delivered line and resume from such a
 * position after a restart, so that no line is processed twice or missed.
 */
#ifndef POPAUTH_SOURCE_H
#define POPAUTH_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../parse/header.h"

struct loop;
struct source;

/*
 * Called for each line.  p/n is the raw line without its newline; for the
 * journal, p/n is the MESSAGE field and `pre' holds the header fields the
 * journal already knows (program, pid, host, time; tskind TS_EPOCH).
 * Raw sources pass pre == NULL.  p == NULL reports an over-long line that
 * was skipped (n: its length as far as read).  Lines are delivered only
 * from the loop or source_drain, never from source_start.  Inside the
 * callback source_get_pos already counts the line being delivered.  A
 * callback must not free its source (the eof callback may).
 */
typedef void source_deliver_fn(void *arg, struct source *src, const char *p,
    size_t n, const struct logline *pre);

/* called once when a source has no more input (stdin closed) */
typedef void source_eof_fn(void *arg, struct source *src);

/*
 * A saved position.  Files: device, inode, the offset of the next line,
 * and a fingerprint of the bytes just before it (to tell "same file,
 * appended" from "replaced or truncated and regrown").  Journal: cursor.
 * All zero (ino 0, cursor "") means no position.
 */
struct source_pos {
	uint64_t dev, ino;
	uint64_t offset;
	uint64_t
	    fingerprint; /* hash of up to 256 bytes before offset; 0 at offset 0 */
	char cursor[512]; /* journal cursor, "" if none */
};

/*
 * The journal source reads only entries of the mail facility: Postfix and
 * Dovecot log there by default (syslog facility 2, LOG_MAIL).  "journal"
 * opens only the local system journal, not the per-user journals that
 * journald keeps for unprivileged users' messages.
 */
#define SOURCE_JOURNAL_MATCH "SYSLOG_FACILITY=2"

enum source_kind {
	SOURCE_FILE,
	SOURCE_FIFO,
	SOURCE_STDIN,
	SOURCE_JOURNAL,
};

struct source_stats {
	uint64_t lines; /* lines delivered, including over-long ones */
	uint64_t bytes; /* bytes read */
	uint64_t oversized; /* lines skipped for length */
	uint64_t reopens; /* rotations followed / writers reconnected */
	uint64_t truncations; /* copytruncate detected */
};

struct source_opts {
	size_t max_line; /* 0: LR_DEFAULT_MAX_LINE */
	int poll_ms; /* file: how often to check for rotation (0: 1000) */
	bool from_start; /* file or journal without saved position: read
	                   * from the start (default: start at the end, like
	                   * tail -F) */
};

/*
 * source_new - parse a log_sources item ("file:/var/log/mail.log",
 * "fifo:/var/spool/popauth/fifo", "stdin", "journal",
 * "journal:/path/to/journal/dir").  Returns NULL and a message in *err
 * (caller frees) when the spec is invalid.  Nothing is opened yet.
 * Paths must be absolute.  deliver may be NULL to only check a spec
 * (such a source cannot be started).
 */
struct source *source_new(const char *spec, const struct source_opts *opts,
    source_deliver_fn *deliver, source_eof_fn *eof, void *arg, char **err);

/*
 * source_start - open and start reading on the loop.  `resume' (may be
 * NULL) is a position saved earlier by source_get_pos for the same spec.
 * Returns 0, or -1 after logging why (a missing file is not an error: a
 * followed file is waited for).
 */
int source_start(
    struct source *src, struct loop *loop, const struct source_pos *resume);

/* source_get_pos - position after the last delivered line; false if
 * this kind of source has none (FIFO, stdin) */
bool source_get_pos(struct source *src, struct source_pos *pos);

/* source_reopen - on SIGHUP: reopen by name (file, FIFO) */
void source_reopen(struct source *src);

/* source_drain - read everything that is available now, without waiting
 * (used before shutdown and by tests) */
void source_drain(struct source *src);

void source_get_stats(const struct source *src, struct source_stats *st);
const char *source_spec(const struct source *src);
enum source_kind source_kind(const struct source *src);
void source_free(struct source *src);

#endif
