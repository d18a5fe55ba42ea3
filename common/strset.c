#include "strset.h"
#include "xmalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *k)
{
    uint64_t h = 1469598103934665603ull;     /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h ^ (h >> 29);
}

void strset_init(struct strset *s)
{
    s->slots = NULL;
    s->cap = s->n = 0;
}

static size_t find(char *const *slots, size_t cap, const char *key)
{
    size_t i = (size_t)hash(key) & (cap - 1);
    while (slots[i] && strcmp(slots[i], key) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

int strset_has(const struct strset *s, const char *key)
{
    return s->cap && s->slots[find(s->slots, s->cap, key)] != NULL;
}

int strset_add(struct strset *s, const char *key)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **slots = xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < s->cap; i++)
            if (s->slots[i])
                slots[find(slots, cap, s->slots[i])] = s->slots[i];
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    size_t i = find(s->slots, s->cap, key);
    if (s->slots[i])
        return 0;
    s->slots[i] = xstrdup(key);
    s->n++;
    return 1;
}

void strset_free(struct strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i]);
    free(s->slots);
    strset_init(s);
}
