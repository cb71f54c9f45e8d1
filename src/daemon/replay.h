/*
 * replay - `popauth replay FILE...': old logs on their own clock.
 */
#ifndef POPAUTH_REPLAY_H
#define POPAUTH_REPLAY_H

#include "app.h"

int replay_main(const struct cli *cli, int argc, char **argv);

#endif
