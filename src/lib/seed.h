/*
 * seed - a random seed for the hashes of tables keyed by log text.
 *
 * A table whose keys anyone can choose (program names, queue ids,
 * process ids) hashes them from a secret seed, so no one can make the
 * keys pile up in one bucket or set.
 */
#ifndef POPAUTH_SEED_H
#define POPAUTH_SEED_H

#include <stdint.h>

/* seed_new - 64 random bits from the kernel, without waiting; if it has
 * none to give yet (early at boot), salt's address mixed with the time */
uint64_t seed_new(const void *salt);

#endif
