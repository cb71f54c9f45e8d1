/*
 * main - popauth's command line (placeholder while the daemon is built).
 */
#include <stdio.h>

int
main(void)
{
	puts("popauth " POPAUTH_VERSION);
	return 0;
}
