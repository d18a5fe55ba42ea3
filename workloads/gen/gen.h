#ifndef HP_GEN_H
#define HP_GEN_H
#include <stdint.h>

struct err;

#define GEN_SEED_DEFAULT 20261124ULL
#define GEN_NFILES 5

/* A profile is four sizes plus a seed (WORKLOADS.md section 2). */
struct gen_profile {
    char name[32];
    uint64_t seed;
    uint64_t facts, events, stream, points;
};

struct gen_file {
    const char *name;
    unsigned long long bytes;
    char sha256[65];
};

/* Fills p from a profile name; -1 for an unknown name. */
int gen_profile_lookup(const char *name, struct gen_profile *p);
uint64_t gen_users(const struct gen_profile *p);

/* Writes the five data files and manifest.json into dir, each under a
 * temporary name that is renamed only once complete and synced. */
int gen_write(const struct gen_profile *p, const char *dir, int threads,
              struct gen_file files[GEN_NFILES], struct err *e);

/* 0 when dir holds a manifest for exactly this profile whose files all
 * match their recorded sizes and checksums; -1 with the reason otherwise. */
int gen_verify(const struct gen_profile *p, const char *dir, struct err *e);

/* SplitMix64, exposed for the unit tests. */
uint64_t gen_splitmix_next(uint64_t *state);

#endif
