/*
 * msg - popauth's own log: levels, destinations, rate limiting.
 *
 * DESCRIPTION
 *	Writes one line per message to stderr, syslog (facility mail) or a
 *	file of our own.  File and stderr lines carry a timestamp, the
 *	program name, pid and level, like syslog would.  Callers escape
 *	attacker-controlled text before it gets here (esc() in sbuf.h); this
 *	module additionally never writes a raw newline inside a message.
 *
 * SECURITY
 *	Messages may contain escaped log text.  The file destination is
 *	opened O_APPEND|O_NOFOLLOW with mode 0640.
 *
 * DIAGNOSTICS
 *	When the log file cannot be written, messages go to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "msg.h"

static struct {
	char ident[64];
	enum msg_dest dest;
	char *path;
	int fd;
	enum msg_level level;
	msg_hook_fn *hook;
	void *hook_arg;
	void (*fatal_hook)(void);
} msg = {"popauth", MSG_DEST_STDERR, NULL, -1, MSG_INFO, NULL, NULL, NULL};

static const char *const level_names[] = {
    [MSG_DEBUG] = "debug",
    [MSG_INFO] = "info",
    [MSG_WARN] = "warning",
    [MSG_ERROR] = "error",
    [MSG_FATAL] = "fatal",
    [MSG_PANIC] = "panic",
};

static const int level_prio[] = {
    [MSG_DEBUG] = LOG_DEBUG,
    [MSG_INFO] = LOG_INFO,
    [MSG_WARN] = LOG_WARNING,
    [MSG_ERROR] = LOG_ERR,
    [MSG_FATAL] = LOG_CRIT,
    [MSG_PANIC] = LOG_CRIT,
};

/* msg_open_file - open the log file for appending */
static int
msg_open_file(const char *path)
{
	return open(
	    path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
}

int
msg_open(const char *ident, enum msg_dest dest, const char *path)
{
	int fd = -1;

	if (dest == MSG_DEST_FILE) {
		if ((fd = msg_open_file(path)) < 0)
			return -1;
	}
	if (msg.fd >= 0)
		close(msg.fd);
	if (msg.dest == MSG_DEST_SYSLOG && dest != MSG_DEST_SYSLOG)
		closelog();
	free(msg.path);
	msg.path = NULL;
	snprintf(msg.ident, sizeof(msg.ident), "%s", ident ? ident : "popauth");
	msg.dest = dest;
	msg.fd = fd;
	if (dest == MSG_DEST_FILE)
		msg.path = strdup(path);
	if (dest == MSG_DEST_SYSLOG)
		openlog(msg.ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	return 0;
}

void
msg_reopen(void)
{
	int fd;

	if (msg.dest != MSG_DEST_FILE || msg.path == NULL)
		return;
	if ((fd = msg_open_file(msg.path)) < 0) {
		msg_error(
		    "cannot reopen log file %s: %s", msg.path, strerror(errno));
		return;
	}
	close(msg.fd);
	msg.fd = fd;
}

void
msg_set_level(enum msg_level level)
{
	msg.level = level;
}

enum msg_level
msg_get_level(void)
{
	return msg.level;
}

int
msg_level_parse(const char *name)
{
	if (strcmp(name, "warn") == 0)
		return MSG_WARN;
	for (int i = MSG_DEBUG; i <= MSG_ERROR; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void
msg_set_hook(msg_hook_fn *fn, void *arg)
{
	msg.hook = fn;
	msg.hook_arg = arg;
}

void
msg_set_fatal_hook(void (*fn)(void))
{
	msg.fatal_hook = fn;
}

/* msg_write - format a line with timestamp and write it in one call */
static void
msg_write(int fd, enum msg_level level, const char *text)
{
	char line[4200];
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: %s\n", stamp,
	    msg.ident, (long)getpid(), level_names[level], text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(fd, line, (size_t)n) < 0 && fd != 2)
		(void)!write(2, line, (size_t)n);
}

void
msg_vlog(enum msg_level level, const char *fmt, va_list ap)
{
	char text[4096];
	int saved = errno;

	if (level < msg.level && level < MSG_FATAL)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	/* never let a stray newline split one message into two lines */
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (msg.hook) {
		msg.hook(level, text, msg.hook_arg);
	} else if (msg.dest == MSG_DEST_SYSLOG) {
		syslog(level_prio[level], "%s: %s", level_names[level], text);
		if (level >= MSG_FATAL && isatty(2))
			msg_write(2, level, text);
	} else {
		msg_write(msg.dest == MSG_DEST_FILE && msg.fd >= 0 ? msg.fd : 2,
		    level, text);
	}
	errno = saved;
}

void
msg_log(enum msg_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(level, fmt, ap);
	va_end(ap);
}

#define MSG_BODY(level)                                                        \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		msg_vlog((level), fmt, ap);                                    \
		va_end(ap);                                                    \
	} while (0)

void
msg_debug(const char *fmt, ...)
{
	if (msg.level > MSG_DEBUG)
		return;
	MSG_BODY(MSG_DEBUG);
}

void
msg_info(const char *fmt, ...)
{
	MSG_BODY(MSG_INFO);
}

void
msg_warn(const char *fmt, ...)
{
	MSG_BODY(MSG_WARN);
}

void
msg_error(const char *fmt, ...)
{
	MSG_BODY(MSG_ERROR);
}

void
msg_fatal(const char *fmt, ...)
{
	static int nested;

	MSG_BODY(MSG_FATAL);
	if (msg.fatal_hook && nested++ == 0)
		msg.fatal_hook();
	exit(1);
}

void
msg_panic(const char *fmt, ...)
{
	MSG_BODY(MSG_PANIC);
	abort();
}

void
msg_warn_rate(struct msg_rate *rl, const char *fmt, ...)
{
	time_t now = time(NULL);
	va_list ap;

	if (now - rl->start >= rl->window) {
		if (rl->suppressed)
			msg_warn(
			    "%lu more %s warning(s) suppressed in the last "
			    "%lds",
			    rl->suppressed, rl->what, (long)rl->window);
		rl->start = now;
		rl->sent = 0;
		rl->suppressed = 0;
	}
	if (rl->sent >= rl->burst) {
		rl->suppressed++;
		return;
	}
	rl->sent++;
	va_start(ap, fmt);
	msg_vlog(MSG_WARN, fmt, ap);
	va_end(ap);
}
