#include "buf.h"
#include "err.h"
#include "xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    if (max == 0)
        die("buf_init: a buffer needs a cap");
    b->data = NULL;
    b->len = b->alloc = 0;
    b->max = max;
    b->overrun = 0;
}

static int grow(struct buf *b, size_t need)
{
    if (b->len + need > b->max || b->len + need < b->len) {
        b->overrun = 1;
        return -1;
    }
    if (b->len + need + 1 <= b->alloc)
        return 0;
    size_t n = b->alloc ? b->alloc : 64;
    while (n < b->len + need + 1)
        n *= 2;
    b->data = xrealloc(b->data, n);
    b->alloc = n;
    return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
    if (grow(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int buf_read(struct buf *b, FILE *f)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_add(b, chunk, n) < 0)
            return -1;
    return 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *buf_detach(struct buf *b)
{
    char *s = b->data ? b->data : xstrdup("");
    b->data = NULL;
    b->len = b->alloc = 0;
    return s;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}
