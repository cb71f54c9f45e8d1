/*
 * test_persist - the engine's state through the store and back: a
 * blacklist record keeps its ban's start, and a ban the admin was mailed
 * about is not mailed about again after a restart.
 */
#include <stdlib.h>

#include "daemon/persist.h"
#include "tlib.h"

static const struct policy_cfg cfg = {
    .relay_lease = 1800,
    .myhostname = "mail.example.test",
    .fish_ban = 604800,
    .bl = {0.03333333, 50, 1800, 604800, 7776000, 2},
    .fish = {5, 0.03333333, 259200},
    .af = {{5, 5}, 600},
};

/* hit - a refusal by the blacklist map of ip at t */
static void
hit(struct policy *p, const char *ip, enum event_kind kind, int64_t t,
    struct actions *a)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.recog = "postfix";
	ev.time = t;
	ipaddr_parse(&ev.ip, ip, strlen(ip));
	ev.zone = SPAN_LIT("zen.example.org");
	ev.reason = SPAN_LIT("listed");
	policy_event(p, &ev, t, a);
}

/* restart - the engine's state written to dir and read back into a new
 * engine (as a daemon stopped and started again) */
static void
restart(struct policy *p, const char *dir)
{
	struct persist ps;
	struct store *st;
	char *err = NULL;

	persist_init(&ps);
	st = store_open(dir, true, false, &err);
	T_OK(st != NULL);
	if (st == NULL) {
		fprintf(stderr, "%s\n", err);
		free(err);
		exit(1);
	}
	persist_all(&ps, st, p);
	T_EQ_INT(store_commit(st), 0);
	store_close(st);
	persist_free(&ps);
	policy_free(p);

	policy_init(p, &cfg);
	st = store_open(dir, false, true, &err);
	T_OK(st != NULL);
	if (st == NULL) {
		fprintf(stderr, "%s\n", err);
		free(err);
		exit(1);
	}
	T_EQ_INT(persist_load(st, p), 0);
	store_close(st);
}

int
main(void)
{
	struct policy p;
	struct actions a;
	struct ipaddr x;
	struct bl_rec *r;
	int64_t t = 1795700000, t2;

	actions_init(&a);
	policy_init(&p, &cfg);
	ipaddr_parse(&x, "198.51.100.7", 12);

	/* listed, then banned by a fast repeat: the admin is mailed */
	hit(&p, "198.51.100.7", EVENT_RBL, t, &a);
	hit(&p, "198.51.100.7", EVENT_BLACKLISTED, t + 1, &a);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	r = bl_get(&p.bl, &x);
	T_OK(r != NULL && r->ban_start == t + 1);

	/* a restart: the ban's start comes back with the record */
	restart(&p, t_tmpdir());
	r = bl_get(&p.bl, &x);
	T_OK(r != NULL);
	if (r == NULL)
		return t_done();
	T_EQ_INT(r->ban_start, t + 1);
	T_EQ_INT(r->ban_end, t + 1 + 1800);
	T_EQ_INT(r->total, 2);

	/* the running ban extended: no second mail */
	actions_reset(&a);
	hit(&p, "198.51.100.7", EVENT_BLACKLISTED, t + 2, &a);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 0);
	T_EQ_INT(r->ban_start, t + 1);

	/* after it ended, a new ban is mailed about */
	actions_reset(&a);
	t2 = r->ban_end + 3600;
	hit(&p, "198.51.100.7", EVENT_BLACKLISTED, t2, &a);
	hit(&p, "198.51.100.7", EVENT_BLACKLISTED, t2 + 1, &a);
	T_EQ_INT(actions_count(&a, ACT_BAN), 1);
	T_EQ_INT(actions_count(&a, ACT_ALERT), 1);
	T_EQ_INT(r->ban_start, t2 + 1);

	policy_free(&p);
	actions_free(&a);
	return t_done();
}
