/*
 * mem - allocate or die.
 *
 * popauth cannot do anything useful without memory, and a half-applied
 * event is worse than a clean exit, so allocation failure is fatal.
 * Every function returns memory the caller owns and frees with free().
 */
#ifndef POPAUTH_MEM_H
#define POPAUTH_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
/* xmalloc_aligned - size bytes at a multiple of align (a power of two, a
 * multiple of sizeof(void *)) */
void *xmalloc_aligned(size_t align, size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xreallocarray - realloc n * size bytes, fatal on overflow */
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
/* xstrndup - copy len bytes and add a terminating null byte */
char *xstrndup(const char *s, size_t len);
void *xmemdup(const void *p, size_t len);

#endif
