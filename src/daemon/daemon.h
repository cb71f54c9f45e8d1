/*
 * daemon - `popauth run': follow the logs and keep the maps current.
 */
#ifndef POPAUTH_DAEMON_H
#define POPAUTH_DAEMON_H

#include "app.h"

/* daemon_run - run until TERM/INT/QUIT (or every source ended); returns
 * the exit status */
int daemon_run(const struct cli *cli);

#endif
