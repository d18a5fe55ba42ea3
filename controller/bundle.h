#ifndef HP_BUNDLE_H
#define HP_BUNDLE_H
/* The bundle: what a host needs to run sweeps (payload binaries built here,
 * their sources, the Python and Rust engine sources), named by the SHA-256
 * of its MANIFEST. */
#include <stddef.h>

struct err;

struct bundle {
    char sha[65];
    char **files;       /* paths relative to the hotpath root */
    size_t nfiles;
    char *manifest;     /* "SHA256  PATH" lines */
    unsigned long long bytes;
};

/* Built once per process; NULL with e filled on failure. */
const struct bundle *bundle_get(struct err *e);

#endif
