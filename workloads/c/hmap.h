#ifndef HP_HMAP_H
#define HP_HMAP_H
/* Open addressing from uint64 keys to dense uint32 indices 0, 1, 2, ... in
 * order of first insertion. Keys are stored plus one, so 0 marks empty. */
#include <stdint.h>
#include <stdlib.h>
#include "../../common/xmalloc.h"

struct hmap {
    uint64_t *keys;
    uint32_t *vals;
    uint64_t mask, n;
};

static inline uint64_t hmap_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static inline void hmap_init(struct hmap *m, uint64_t hint)
{
    uint64_t cap = 16;
    while (cap < hint * 2)
        cap *= 2;
    m->keys = xcalloc(cap, sizeof *m->keys);
    m->vals = xmalloc(cap * sizeof *m->vals);
    m->mask = cap - 1;
    m->n = 0;
}

static inline void hmap_free(struct hmap *m)
{
    free(m->keys);
    free(m->vals);
}

/* Index of key, or UINT32_MAX when absent. */
static inline uint32_t hmap_get(const struct hmap *m, uint64_t key)
{
    for (uint64_t i = hmap_hash(key) & m->mask;; i = (i + 1) & m->mask) {
        if (m->keys[i] == key + 1)
            return m->vals[i];
        if (m->keys[i] == 0)
            return UINT32_MAX;
    }
}

static void hmap_grow(struct hmap *m);

/* Index of key, inserting it (with the next index) when absent. */
static inline uint32_t hmap_put(struct hmap *m, uint64_t key, int *added)
{
    if ((m->n + 1) * 2 > m->mask + 1)
        hmap_grow(m);
    for (uint64_t i = hmap_hash(key) & m->mask;; i = (i + 1) & m->mask) {
        if (m->keys[i] == key + 1) {
            *added = 0;
            return m->vals[i];
        }
        if (m->keys[i] == 0) {
            m->keys[i] = key + 1;
            m->vals[i] = (uint32_t)m->n++;
            *added = 1;
            return m->vals[i];
        }
    }
}

static void hmap_grow(struct hmap *m)
{
    struct hmap old = *m;
    hmap_init(m, old.mask + 1);
    for (uint64_t i = 0; i <= old.mask; i++) {
        if (!old.keys[i])
            continue;
        uint64_t j = hmap_hash(old.keys[i] - 1) & m->mask;
        while (m->keys[j])
            j = (j + 1) & m->mask;
        m->keys[j] = old.keys[i];
        m->vals[j] = old.vals[i];
    }
    m->n = old.n;
    hmap_free(&old);
}

#endif
