#ifndef HP_BUF_H
#define HP_BUF_H
#include <stddef.h>
#include <stdio.h>

/* A growable string with a cap: no input can grow it without bound. */
struct buf {
    char *data;     /* always NUL-terminated once anything is appended */
    size_t len;
    size_t alloc;
    size_t max;     /* the cap, in bytes */
    int overrun;    /* set (and kept) once an append was refused by the cap */
};

/* max is required: a buffer without a cap (0) is a bug, and dies. */
void buf_init(struct buf *b, size_t max);
/* Returns -1 (and appends nothing, and sets overrun) when the cap would be
 * exceeded. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* Appends all of f; -1 when the cap is reached first. */
int buf_read(struct buf *b, FILE *f);
/* Hands the string to the caller; the buf is left empty. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

#endif
