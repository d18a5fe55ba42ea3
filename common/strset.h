#ifndef HP_STRSET_H
#define HP_STRSET_H
/* A set of strings (copied in), open addressing: constant time per add or
 * look-up, so checks over many names or records stay linear in all. */
#include <stddef.h>

struct strset {
    char **slots;
    size_t cap, n;
};

void strset_init(struct strset *s);
/* 1 when key was added, 0 when it was there already. */
int strset_add(struct strset *s, const char *key);
int strset_has(const struct strset *s, const char *key);
void strset_free(struct strset *s);

#endif
