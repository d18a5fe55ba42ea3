#include "bundle.h"
#include "hotpath.h"
#include "../common/buf.h"
#include "../common/err.h"
#include "../common/sha256.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const patterns[] = {
    "bin/hotpath-agent", "bin/hotpath-gen", "bin/c-scalar", "bin/c-threads", "bin/rust-*",
    "Makefile", "requirements.txt", "common/*.[ch]", "agent/*.[ch]", "workloads/gen/*.[ch]",
    "workloads/format.h", "workloads/c/*.[ch]", "workloads/c/threads/*.[ch]",
    "workloads/engines.json", "workloads/python/*.py",
    "workloads/rust/Cargo.toml", "workloads/rust/Cargo.lock", "workloads/rust/src/*.rs",
    "workloads/rust/src/bin/*.rs", "workloads/rust-polars/Cargo.toml",
    "workloads/rust-polars/Cargo.lock", "workloads/rust-polars/src/*.rs",
};

static struct bundle the;
static int built;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int build(struct err *e)
{
    size_t root_len = strlen(hp_root()) + 1;
    size_t cap = 0;
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        char *pat = xasprintf("%s/%s", hp_root(), patterns[i]);
        glob_t g;
        if (glob(pat, 0, NULL, &g) == 0) {
            for (size_t k = 0; k < g.gl_pathc; k++) {
                if (the.nfiles == cap)
                    the.files = xrealloc(the.files, (cap = cap * 2 + 64) * sizeof *the.files);
                the.files[the.nfiles++] = xstrdup(g.gl_pathv[k] + root_len);
            }
            globfree(&g);
        }
        free(pat);
    }
    qsort(the.files, the.nfiles, sizeof *the.files, cmp_str);
    struct buf m;
    buf_init(&m, 1 << 24);
    for (size_t i = 0; i < the.nfiles; i++) {
        char *path = xasprintf("%s/%s", hp_root(), the.files[i]);
        char hex[65];
        unsigned long long n;
        int rc = sha256_file(path, hex, &n);
        free(path);
        if (rc < 0) {
            buf_free(&m);
            return err_set(e, 1, "bundle: %s: %s", the.files[i], strerror(errno));
        }
        the.bytes += n;
        buf_printf(&m, "%s  %s\n", hex, the.files[i]);
    }
    struct sha256 s;
    unsigned char d[32];
    sha256_init(&s);
    sha256_update(&s, m.data, m.len);
    sha256_final(&s, d);
    sha256_hex(d, the.sha);
    the.manifest = buf_detach(&m);
    return 0;
}

const struct bundle *bundle_get(struct err *e)
{
    pthread_mutex_lock(&lock);
    int rc = built ? 0 : build(e);
    built = rc == 0;
    pthread_mutex_unlock(&lock);
    return rc == 0 ? &the : NULL;
}
