#ifndef HP_XMALLOC_H
#define HP_XMALLOC_H
#include <stddef.h>

/* Allocators that die on out-of-memory, so callers never check for NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
