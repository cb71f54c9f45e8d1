/*
 * afile - replace a file atomically: write a temporary file in the same
 * directory, fsync it, rename it over the target, fsync the directory.
 * A reader (Postfix, an admin, popauth after kill -9) sees the old file or
 * the new one, never a mix.
 */
#ifndef POPAUTH_AFILE_H
#define POPAUTH_AFILE_H

#include <stddef.h>
#include <sys/types.h>

/* afile_write - returns 0, or -1 with errno set: the target unchanged,
 * unless only the final fsync of the directory failed (then the new
 * content is in place but may not survive a crash) */
int afile_write(const char *path, const void *data, size_t len, mode_t mode);

/* afile_mkdirs - mkdir -p; directories it creates get `mode'.  0, or -1
 * with errno set */
int afile_mkdirs(const char *dir, mode_t mode);

/* afile_fsync_dir - fsync the directory that holds path */
int afile_fsync_dir(const char *path);

#endif
