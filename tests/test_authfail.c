/*
 * test_authfail - failed authentications in a window, per kind.
 */
#include <stdlib.h>

#include "policy/authfail.h"
#include "tlib.h"

int
main(void)
{
	struct af_cfg cfg = {.threshold = {5, 5}, .window = 600};
	struct authfail af;
	struct actions a;
	struct ipaddr x;

	ipaddr_parse(&x, "203.0.113.7", 11);
	actions_init(&a);
	af_init(&af, &cfg);
	for (int i = 1; i <= 6; i++)
		T_EQ_INT(af_event(&af, &x, AF_SASL, 1000 + i * 10, &a), i);
	/* the other kind counts apart */
	T_EQ_INT(af_event(&af, &x, AF_LOGIN, 1100, &a), 1);
	/* after the window, a new one starts */
	T_EQ_INT(af_event(&af, &x, AF_SASL, 1010 + 601, &a), 1);
	/* expiry after a window of silence */
	actions_reset(&a);
	af_expire(&af, 1611 + 599, &a);
	T_OK(af_get(&af, &x) != NULL);
	af_expire(&af, 1611 + 600, &a);
	T_OK(af_get(&af, &x) == NULL);
	T_EQ_INT(actions_count(&a, ACT_AUTH_DIRTY), 1);
	/* forget */
	af_event(&af, &x, AF_LOGIN, 5000, &a);
	af_forget(&af, &x, &a);
	T_EQ_INT(af_count(&af), 0);
	af_free(&af);
	actions_free(&a);
	return t_done();
}
