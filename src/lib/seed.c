/*
 * seed - a random seed for the hashes of tables keyed by log text.
 *
 * DESCRIPTION
 *	getrandom(2) with GRND_NONBLOCK: a daemon started early at boot
 *	does not wait for the kernel's pool.  The fallback (an address,
 *	randomised by ASLR, and the time) is weaker, but still not known in
 *	advance to whoever writes the log lines.
 *
 * SECURITY
 *	Reads nothing from outside; writes nothing.
 */
#include <stdint.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>

#include "seed.h"

uint64_t
seed_new(const void *salt)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(seed))
		seed = (uint64_t)(uintptr_t)salt ^ (uint64_t)time(NULL);
	return seed;
}
