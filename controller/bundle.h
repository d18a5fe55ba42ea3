#ifndef HP_BUNDLE_H
#define HP_BUNDLE_H
/* The bundle: what a host needs to run sweeps, one per target (`uname -s`
 * and `uname -m` of the host): the payload's sources, the Python and Rust
 * engine sources, and either the binaries built here (a host of this
 * controller's own target) or what the host needs to build them itself.
 * Named by the SHA-256 of its MANIFEST; see bundle.c for the layout. */
#include <stddef.h>

struct err;

struct bundle_file {
    char *path;         /* inside the bundle */
    char *src;          /* the local file it is copied from */
    int exec;           /* pushed with mode 0755 */
};

struct bundle {
    char sha[65];
    char *target;       /* "Linux x86_64", as `uname -s -m` prints it */
    int host_build;     /* 1: no binaries inside; the host builds and seals them */
    struct bundle_file *files;
    size_t nfiles;
    char *manifest;     /* the MANIFEST text: header lines, then "SHA256  PATH" lines */
    char *rust_note;    /* host_build: why the Rust engines cannot be built there, or NULL */
    unsigned long long bytes;
};

/* The target this controller built its binaries for ("Linux x86_64"). */
const char *bundle_native_target(void);
/* The bundle for a target (NULL or "": this controller's own), built once
 * per target and process; NULL with e filled on failure. Thread-safe. */
const struct bundle *bundle_for(const char *target, struct err *e);
/* The bundle for this controller's own target. */
const struct bundle *bundle_get(struct err *e);
/* Normalises `uname -s -m` output ("Linux aarch64\n") into a target; a new
 * string, or NULL when it is not two words. */
char *bundle_target_of(const char *uname_out);

#endif
