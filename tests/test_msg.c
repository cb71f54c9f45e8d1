/*
 * test_msg - our own log: levels, the file destination and its reopening,
 * escaping of newlines, rate limiting of warnings about bad input.
 */
#include <stdlib.h>
#include <unistd.h>

#include "lib/msg.h"
#include "tlib.h"

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

int
main(void)
{
	char path[600], moved[600];

	snprintf(path, sizeof(path), "%s/popauth.log", t_tmpdir());
	snprintf(moved, sizeof(moved), "%s/popauth.log.1", t_tmpdir());

	T_EQ_INT(msg_level_parse("debug"), MSG_DEBUG);
	T_EQ_INT(msg_level_parse("warn"), MSG_WARN);
	T_EQ_INT(msg_level_parse("warning"), MSG_WARN);
	T_EQ_INT(msg_level_parse("loud"), -1);

	T_EQ_INT(msg_open("popauth-test", MSG_DEST_FILE, path), 0);
	msg_set_level(MSG_INFO);
	msg_debug("not shown");
	msg_info("first line\nFeb  1 00:00:00 host fake: injected");
	msg_warn("a warning");
	char *log = slurp(path);
	T_OK(strstr(log, "not shown") == NULL);
	T_OK(
	    strstr(log, "popauth-test[") && strstr(log, "]: info: first line"));
	/* one message is one line, whatever it contains */
	T_OK(strstr(log, "first line Feb  1 00:00:00 host fake: injected\n"));
	T_OK(strstr(log, "warning: a warning\n"));

	/* rotation: the file is moved away, msg_reopen starts a new one */
	T_EQ_INT(rename(path, moved), 0);
	msg_info("after the move");
	T_OK(strstr(slurp(moved), "after the move"));
	msg_reopen();
	msg_info("after the reopen");
	T_OK(strstr(slurp(path), "after the reopen"));
	T_OK(strstr(slurp(moved), "after the reopen") == NULL);
	/* a file that cannot be opened keeps the old destination */
	T_EQ_INT(msg_open("x", MSG_DEST_FILE, "/proc/nonexistent/x.log"), -1);
	msg_info("still here");
	T_OK(strstr(slurp(path), "still here"));

	/* rate limiting: 3 per window, the rest counted and summarised */
	t_msg_capture();
	struct msg_rate rl = MSG_RATE_INIT("test-input", 3, 3600);
	for (int i = 0; i < 10; i++)
		msg_warn_rate(&rl, "bad line %d", i);
	T_EQ_INT(t_msg_count("bad line"), 3);
	T_EQ_INT(rl.suppressed, 7);
	rl.start -= 3600; /* the window has passed */
	msg_warn_rate(&rl, "bad line again");
	T_OK(t_msg_has("7 more test-input warning(s) suppressed"));
	T_OK(t_msg_has("bad line again"));
	return t_done();
}
