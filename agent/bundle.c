/* hotpath-agent bundle-verify and bundle-seal: is this bundle whole, and
 * what did this host build into it. The layout is described in the
 * controller's bundle.c: MANIFEST ("# build: controller" or "# build: host"
 * header lines, then "SHA256  PATH" lines) and, for a bundle whose binaries
 * the host builds, MANIFEST.built written by bundle-seal after the build. */
#include "agent.h"
#include "../common/buf.h"
#include "../common/err.h"
#include "../common/sha256.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Built by every host that builds: the payload. */
static const char *const payload[] = {"bin/hotpath-agent", "bin/hotpath-gen", "bin/c-scalar",
                                      "bin/c-threads"};

/* Checks every "SHA256  PATH" line of one manifest; the number of files, or
 * -1 with why filled. *host_build is set from its "# build:" line. */
static long verify_file(const char *name, int *host_build, char *why, size_t n)
{
    char *path = xasprintf("%s/%s", agent_root(), name);
    FILE *f = fopen(path, "r");
    long files = 0, lineno = 0;
    if (!f) {
        snprintf(why, n, "%s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#') {
            if (host_build && !strncmp(line, "# build: ", 9))
                *host_build = !strncmp(line + 9, "host", 4);
            continue;
        }
        char want[65], file[4000];
        if (sscanf(line, "%64s  %3999[^\n]", want, file) != 2) {
            snprintf(why, n, "%s: malformed line %ld", path, lineno);
            files = -1;
            break;
        }
        char *fp = xasprintf("%s/%s", agent_root(), file);
        char have[65];
        int bad = sha256_file(fp, have, NULL) < 0 || strcmp(have, want) != 0;
        free(fp);
        if (bad) {
            snprintf(why, n, "%s: missing or changed", file);
            files = -1;
            break;
        }
        files++;
    }
    fclose(f);
    free(path);
    return files;
}

int agent_bundle_verify(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        die_code(2, "bundle-verify: takes no arguments");
    char why[4200];
    int host_build = 0;
    long n = verify_file("MANIFEST", &host_build, why, sizeof why);
    if (n < 0)
        die("bundle-verify: %s", why);
    long built = 0;
    if (host_build) {
        char *sealed = xasprintf("%s/MANIFEST.built", agent_root());
        int have = access(sealed, R_OK) == 0;
        free(sealed);
        if (!have)
            die("bundle-verify: the binaries of this bundle are not built here yet "
                "(scripts/host-build.sh builds them)");
        if ((built = verify_file("MANIFEST.built", NULL, why, sizeof why)) < 0)
            die("bundle-verify: built here: %s", why);
    }
    printf("{\"bundle\": \"ok\", \"files\": %ld, \"built_here\": %ld}\n", n, built);
    return 0;
}

/* Records what this host built: every payload binary (all required) and
 * the Rust engines that were built. */
int agent_bundle_seal(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        die_code(2, "bundle-seal: takes no arguments");
    struct buf m;
    buf_init(&m, 1 << 20);
    for (size_t i = 0; i < sizeof payload / sizeof payload[0]; i++) {
        char *p = xasprintf("%s/%s", agent_root(), payload[i]);
        char hex[65];
        if (sha256_file(p, hex, NULL) < 0)
            die("bundle-seal: %s: %s", p, strerror(errno));
        buf_printf(&m, "%s  %s\n", hex, payload[i]);
        free(p);
    }
    char *pat = xasprintf("%s/bin/rust-*", agent_root());
    size_t root_len = strlen(agent_root()) + 1;
    glob_t g;
    long rust = 0;
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t k = 0; k < g.gl_pathc; k++) {
            char hex[65];
            if (sha256_file(g.gl_pathv[k], hex, NULL) < 0)
                die("bundle-seal: %s: %s", g.gl_pathv[k], strerror(errno));
            buf_printf(&m, "%s  %s\n", hex, g.gl_pathv[k] + root_len);
            rust++;
        }
        globfree(&g);
    }
    free(pat);
    char *path = xasprintf("%s/MANIFEST.built", agent_root());
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fwrite(m.data, 1, m.len, f) != m.len || fflush(f) != 0 || fsync(fileno(f)) != 0 ||
        fclose(f) != 0 || rename(tmp, path) != 0)
        die("bundle-seal: %s: %s", path, strerror(errno));
    printf("{\"sealed\": %zu, \"rust\": %ld}\n", sizeof payload / sizeof payload[0] + rust, rust);
    buf_free(&m);
    free(tmp);
    free(path);
    return 0;
}
