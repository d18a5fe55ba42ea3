/* Bundles, one per target.
 *
 * A host is of a *target*: its `uname -s` and `uname -m` ("Linux x86_64",
 * "Darwin arm64", "Linux aarch64"). Every target gets its own bundle, and
 * nothing built for one target is ever in another's:
 *
 * - The controller's own target: the sources plus the binaries built here
 *   (agent, generator, C engines, and the Rust engines that are built), as
 *   `build: controller`. Every file, binaries included, is in the MANIFEST.
 * - Any other target: the sources only, `build: host`, plus (when this
 *   machine has cargo) the crates of workloads/rust vendored into one archive,
 *   `vendor/rust-crates.tar.gz`, cached in ~/.cache/hotpath/vendor by the hash
 *   of Cargo.lock. After the push, `scripts/host-build.sh` in the bundle
 *   builds the payload with the host's own compiler (`make payload`), the Rust
 *   engines offline from the vendored crates when the host has cargo, and
 *   `hotpath-agent bundle-seal` writes MANIFEST.built: the SHA-256 of every
 *   binary the host built. The build notes why anything was not built in
 *   build/why-PROGRAM, which the agent gives as the reason of a skipped run.
 *
 * MANIFEST: two header lines, then "SHA256  PATH" per file, sorted by path:
 *
 *     # hotpath bundle for Linux aarch64
 *     # build: host
 *     3f7a...  Makefile
 *
 * The bundle's name is the SHA-256 of that text, so the target is part of
 * the name: two targets sharing one home folder never share a bundle. On the
 * host, `bundle-verify` checks every MANIFEST line and, for `build: host`,
 * every MANIFEST.built line; a `build: host` bundle without MANIFEST.built
 * (sources pushed, the build not done or failed) is rebuilt without being
 * pushed again. So a host's first sweep pushes (and builds), and every later
 * sweep of the same bundle pushes and builds nothing.
 *
 * Further per-target content (wheels for the host's platform, say) joins a
 * target's bundle through bundle_for(), so it shows in that target's MANIFEST
 * and name only. */
#include "bundle.h"
#include "hotpath.h"
#include "../common/buf.h"
#include "../common/err.h"
#include "../common/proc.h"
#include "../common/sha256.h"
#include "../common/xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* What a host needs to build and run the payload and engines itself (every
 * C file under workloads/, however deep, so a new one needs no entry). */
static const char *const source_patterns[] = {
    "Makefile", "requirements.txt", "scripts/host-build.sh", "common/*.[ch]", "agent/*.[ch]",
    "workloads/*.[ch]", "workloads/*/*.[ch]", "workloads/*/*/*.[ch]", "workloads/engines.json",
    "workloads/python/*.py", "workloads/rust/Cargo.toml", "workloads/rust/Cargo.lock",
    "workloads/rust/src/*.rs", "workloads/rust/src/bin/*.rs", "workloads/rust-polars/Cargo.toml",
    "workloads/rust-polars/Cargo.lock", "workloads/rust-polars/src/*.rs",
};
/* Built here, for this controller's own target only. */
static const char *const binary_patterns[] = {
    "bin/hotpath-agent", "bin/hotpath-gen", "bin/c-scalar", "bin/c-threads", "bin/rust-*",
};

#define VENDOR_PATH "vendor/rust-crates.tar.gz"
#define MAX_TARGETS 16

struct entry {
    char *path, *src, sha[65];
    unsigned long long bytes;
};

struct list {
    struct entry *v;
    size_t n, cap;
};

static struct {
    int scanned;
    struct list sources, binaries;
    char *native;
    struct bundle *by_target[MAX_TARGETS];
    int ntargets;
    int vendored;               /* 1 tried; vendor_path or vendor_note set */
    char *vendor_path, *vendor_note;
} st;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static int add(struct list *l, const char *path, const char *src, struct err *e)
{
    if (l->n == l->cap)
        l->v = xrealloc(l->v, (l->cap = l->cap * 2 + 64) * sizeof *l->v);
    struct entry *x = &l->v[l->n];
    if (sha256_file(src, x->sha, &x->bytes) < 0)
        return err_set(e, 1, "bundle: %s: %s", src, strerror(errno));
    x->path = xstrdup(path);
    x->src = xstrdup(src);
    l->n++;
    return 0;
}

static int scan(struct list *l, const char *const *patterns, size_t n, struct err *e)
{
    size_t root_len = strlen(hp_root()) + 1;
    for (size_t i = 0; i < n; i++) {
        char *pat = xasprintf("%s/%s", hp_root(), patterns[i]);
        glob_t g;
        int rc = 0;
        if (glob(pat, 0, NULL, &g) == 0) {
            for (size_t k = 0; k < g.gl_pathc && rc == 0; k++)
                rc = add(l, g.gl_pathv[k] + root_len, g.gl_pathv[k], e);
            globfree(&g);
        }
        free(pat);
        if (rc < 0)
            return -1;
    }
    if (l->n)
        qsort(l->v, l->n, sizeof *l->v, cmp_entry);
    return 0;
}

const char *bundle_native_target(void)
{
    pthread_mutex_lock(&lock);
    if (!st.native) {
        struct utsname u;
        st.native = uname(&u) == 0 ? xasprintf("%s %s", u.sysname, u.machine)
                                   : xstrdup("unknown unknown");
    }
    pthread_mutex_unlock(&lock);
    return st.native;
}

char *bundle_target_of(const char *s)
{
    char os[64], arch[64];
    if (!s || sscanf(s, "%63s %63s", os, arch) != 2)
        return NULL;
    for (const char *p = os; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return NULL;
    for (const char *p = arch; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return NULL;
    return xasprintf("%s %s", os, arch);
}

static int run_quiet(char *const *argv, const char *dir, double timeout_s, char *why, size_t n)
{
    struct proc_opts o = {.argv = argv, .dir = dir, .timeout_s = timeout_s, .grace_s = 2,
                          .out_cap = 1 << 12, .err_cap = 1 << 14};
    struct proc_result r;
    struct err e = {0};
    if (proc_run(&o, &r, &e) < 0) {
        snprintf(why, n, "%s", e.msg);
        return -1;
    }
    int ok = r.exited && r.exit_code == 0;
    if (!ok) {
        const char *t = r.err.data && r.err.len ? r.err.data : "";
        const char *last = t + strlen(t);
        while (last > t && (last[-1] == '\n' || last[-1] == ' '))
            last--;
        const char *start = last;
        while (start > t && start[-1] != '\n')
            start--;
        snprintf(why, n, "%s %s: %.*s", argv[0],
                 r.exec_errno ? "cannot be started" : r.timed_out ? "timed out" : "failed",
                 (int)(last - start), start);
    }
    proc_result_free(&r);
    return ok ? 0 : -1;
}

/* The crates of workloads/rust, vendored once per Cargo.lock into an archive
 * under ~/.cache/hotpath/vendor, for hosts that build the Rust engines
 * offline. Called with the lock held. */
static void vendor_crates(void)
{
    if (st.vendored)
        return;
    st.vendored = 1;
    char *lockfile = xasprintf("%s/workloads/rust/Cargo.lock", hp_root());
    char *manifest = xasprintf("%s/workloads/rust/Cargo.toml", hp_root());
    char sha[65], why[512] = "";
    const char *home = getenv("HOME");
    char *dir = NULL, *tmp = NULL, *out = NULL, *tmp_tar = NULL;
    if (sha256_file(lockfile, sha, NULL) < 0) {
        st.vendor_note = xasprintf("the bundle has no workloads/rust/Cargo.lock");
        goto out;
    }
    dir = xasprintf("%s/.cache/hotpath/vendor", home && *home ? home : "/tmp");
    out = xasprintf("%s/rust-%.16s.tar.gz", dir, sha);
    if (access(out, R_OK) == 0) {
        st.vendor_path = out;
        out = NULL;
        goto out;
    }
    char *mk[] = {"mkdir", "-p", dir, NULL};
    tmp = xasprintf("%s/tmp-%d", dir, (int)getpid());
    tmp_tar = xasprintf("%s.tar.gz", tmp);
    char *vdir = xasprintf("%s/vendor/rust", tmp);
    /* From the local registry cache first; the network only if that fails. */
    char *off[] = {"cargo", "vendor", "-q", "--offline", "--locked", "--manifest-path", manifest,
                   vdir, NULL};
    char *on[] = {"cargo", "vendor", "-q", "--locked", "--manifest-path", manifest, vdir, NULL};
    char *tar[] = {"tar", "-czf", tmp_tar, "vendor", NULL};
    int ok = run_quiet(mk, NULL, 30, why, sizeof why) == 0 &&
             (run_quiet(off, NULL, 300, why, sizeof why) == 0 ||
              run_quiet(on, NULL, 600, why, sizeof why) == 0) &&
             run_quiet(tar, tmp, 300, why, sizeof why) == 0 && rename(tmp_tar, out) == 0;
    free(vdir);
    char *rm[] = {"rm", "-rf", tmp, tmp_tar, NULL};
    char ignored[64];
    run_quiet(rm, NULL, 60, ignored, sizeof ignored);
    if (ok) {
        info("vendored the Rust engines' crates into %s", out);
        st.vendor_path = out;
        out = NULL;
    } else {
        st.vendor_note = xasprintf("the controller could not vendor the Rust crates (%s)",
                                   why[0] ? why : "rename failed");
        warning("%s", st.vendor_note);
    }
out:
    free(lockfile);
    free(manifest);
    free(dir);
    free(tmp);
    free(tmp_tar);
    free(out);
}

static void push_file(struct bundle *b, size_t *cap, const struct entry *x, struct buf *m)
{
    if (b->nfiles == *cap)
        b->files = xrealloc(b->files, (*cap = *cap * 2 + 64) * sizeof *b->files);
    struct bundle_file *f = &b->files[b->nfiles++];
    f->path = x->path;
    f->src = x->src;
    f->exec = !strncmp(x->path, "bin/", 4) || !strncmp(x->path, "scripts/", 8);
    b->bytes += x->bytes;
    buf_printf(m, "%s  %s\n", x->sha, x->path);
}

/* Called with the lock held. */
static struct bundle *bundle_make(const char *target, struct err *e)
{
    if (!st.scanned) {
        if (scan(&st.sources, source_patterns,
                 sizeof source_patterns / sizeof source_patterns[0], e) < 0 ||
            scan(&st.binaries, binary_patterns,
                 sizeof binary_patterns / sizeof binary_patterns[0], e) < 0)
            return NULL;
        st.scanned = 1;
    }
    struct bundle *b = xcalloc(1, sizeof *b);
    b->target = xstrdup(target);
    b->host_build = strcmp(target, st.native) != 0;
    struct list all = {0};
    for (size_t i = 0; i < st.sources.n; i++) {
        if (all.n == all.cap)
            all.v = xrealloc(all.v, (all.cap = all.cap * 2 + 64) * sizeof *all.v);
        all.v[all.n++] = st.sources.v[i];
    }
    if (!b->host_build) {
        for (size_t i = 0; i < st.binaries.n; i++) {
            if (all.n == all.cap)
                all.v = xrealloc(all.v, (all.cap = all.cap * 2 + 64) * sizeof *all.v);
            all.v[all.n++] = st.binaries.v[i];
        }
    } else {
        vendor_crates();
        static struct entry vendor;
        if (st.vendor_path && !vendor.path) {
            struct list one = {0};
            if (add(&one, VENDOR_PATH, st.vendor_path, e) == 0) {
                vendor = one.v[0];
                free(one.v);
            } else {
                free(one.v);
                free(b->target);
                free(b);
                free(all.v);
                return NULL;
            }
        }
        if (vendor.path) {
            if (all.n == all.cap)
                all.v = xrealloc(all.v, (all.cap = all.cap * 2 + 64) * sizeof *all.v);
            all.v[all.n++] = vendor;
        } else if (st.vendor_note) {
            b->rust_note = xstrdup(st.vendor_note);
        }
    }
    if (all.n)
        qsort(all.v, all.n, sizeof *all.v, cmp_entry);
    struct buf m;
    buf_init(&m, 1 << 24);
    buf_printf(&m, "# hotpath bundle for %s\n# build: %s\n", target,
               b->host_build ? "host" : "controller");
    size_t cap = 0;
    for (size_t i = 0; i < all.n; i++)
        push_file(b, &cap, &all.v[i], &m);
    free(all.v);
    struct sha256 s;
    unsigned char d[32];
    sha256_init(&s);
    sha256_update(&s, m.data, m.len);
    sha256_final(&s, d);
    sha256_hex(d, b->sha);
    b->manifest = buf_detach(&m);
    return b;
}

const struct bundle *bundle_for(const char *target, struct err *e)
{
    const char *native = bundle_native_target();
    if (!target || !*target)
        target = native;
    pthread_mutex_lock(&lock);
    struct bundle *b = NULL;
    for (int i = 0; i < st.ntargets && !b; i++)
        if (!strcmp(st.by_target[i]->target, target))
            b = st.by_target[i];
    if (!b) {
        if (st.ntargets == MAX_TARGETS)
            err_set(e, 1, "bundle: more than %d kinds of host in one sweep", MAX_TARGETS);
        else if ((b = bundle_make(target, e)))
            st.by_target[st.ntargets++] = b;
    }
    pthread_mutex_unlock(&lock);
    return b;
}

const struct bundle *bundle_get(struct err *e)
{
    return bundle_for(NULL, e);
}
