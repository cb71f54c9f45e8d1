/*
 * msg - popauth's own log: levels, destinations, rate limiting.
 *
 * Every diagnostic goes through here.  The tiers follow Postfix:
 * msg_panic (broken invariant, abort), msg_fatal (bad config or
 * environment, exit 1), msg_error (an operation failed, will be retried),
 * msg_warn (bad input: skipped, nothing stored is lost), msg_info (what an
 * admin wants to see), msg_debug (verbose).
 */
#ifndef POPAUTH_MSG_H
#define POPAUTH_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

enum msg_level {
	MSG_DEBUG,
	MSG_INFO,
	MSG_WARN,
	MSG_ERROR,
	MSG_FATAL,
	MSG_PANIC,
};

enum msg_dest {
	MSG_DEST_STDERR,
	MSG_DEST_SYSLOG,
	MSG_DEST_FILE,
};

/* msg_open - (re)direct the log; path only for MSG_DEST_FILE. Returns -1
 * and leaves the previous destination in place when the file cannot be
 * opened. */
int msg_open(const char *ident, enum msg_dest dest, const char *path);

/* msg_reopen - reopen a file destination (after log rotation, on HUP). */
void msg_reopen(void);

/* msg_set_level - lowest level that is written (default MSG_INFO). */
void msg_set_level(enum msg_level level);
enum msg_level msg_get_level(void);

/* msg_level_parse - "debug", "info", "warning", "error"; -1 if unknown. */
int msg_level_parse(const char *name);

/* msg_hook - tests capture messages here instead of writing them. */
typedef void msg_hook_fn(enum msg_level, const char *text, void *arg);
void msg_set_hook(msg_hook_fn *fn, void *arg);

void msg_debug(const char *fmt, ...) PRINTF_LIKE(1, 2);
void msg_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
void msg_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void msg_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
_Noreturn void msg_fatal(const char *fmt, ...) PRINTF_LIKE(1, 2);
_Noreturn void msg_panic(const char *fmt, ...) PRINTF_LIKE(1, 2);
void msg_vlog(enum msg_level, const char *fmt, va_list ap);
void msg_log(enum msg_level, const char *fmt, ...) PRINTF_LIKE(2, 3);

/*
 * Rate limiting for warnings about bad input: an attacker who can write
 * log lines must not be able to flood our own log.  At most `burst'
 * messages per `window' seconds per limiter; the rest are counted and
 * summarised when the window closes.
 */
struct msg_rate {
	const char *what;
	unsigned burst;
	time_t window;
	time_t start;
	unsigned sent;
	unsigned long suppressed;
};

#define MSG_RATE_INIT(what, burst, window)                                     \
	{                                                                      \
		(what), (burst), (window), 0, 0, 0                             \
	}

void msg_warn_rate(struct msg_rate *rl, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* msg_fatal_hook - called before exit by msg_fatal (pid file cleanup). */
void msg_set_fatal_hook(void (*fn)(void));

#endif
