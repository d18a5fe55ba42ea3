/* hotpath-agent gen: data sets cached by profile and seed, reused only when
 * every checksum of their manifest verifies. */
#include "agent.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/fs.h"
#include "../common/proc.h"
#include "../common/sha256.h"
#include "../common/xmalloc.h"
#include "../workloads/gen/gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *agent_data(const struct gen_profile *p, json_t **manifest, double *gen_s, int *reused,
                 char **changed, struct err *e)
{
    char *dir = xasprintf("%s/data/%s-%llu-%llu-%llu-%llu-%llu", agent_home(), p->name,
                          (unsigned long long)p->seed, (unsigned long long)p->facts,
                          (unsigned long long)p->events, (unsigned long long)p->stream,
                          (unsigned long long)p->points);
    double t0 = clock_now();
    struct err why = {0};
    *reused = gen_verify(p, dir, &why) == 0;
    char *mpath = xasprintf("%s/manifest.json", dir);
    *changed = !*reused && access(mpath, F_OK) == 0 ? xstrdup(why.msg) : NULL;
    free(mpath);
    if (!*reused) {
        struct gen_file files[GEN_NFILES];
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        if (fs_mkdirs(dir) < 0 || gen_write(p, dir, (int)cores, files, e) < 0) {
            if (e && !e->msg[0])
                err_set(e, 1, "%s: cannot create: %s", dir, strerror(errno));
            free(dir);
            return NULL;
        }
    }
    *gen_s = clock_now() - t0;
    char *path = xasprintf("%s/manifest.json", dir);
    json_error_t je;
    *manifest = json_load_file(path, 0, &je);
    free(path);
    if (!*manifest) {
        err_set(e, 1, "%s/manifest.json: %s", dir, je.text);
        free(dir);
        return NULL;
    }
    return dir;
}


int agent_gen(int argc, char **argv)
{
    struct gen_profile p;
    gen_profile_lookup("quick", &p);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            die_code(2, "gen: %s needs a value", argv[i]);
        if (!strcmp(argv[i], "--profile")) {
            uint64_t seed = p.seed;
            if (gen_profile_lookup(argv[++i], &p) < 0)
                die_code(2, "gen: unknown profile '%s'", argv[i]);
            p.seed = seed;
        } else if (!strcmp(argv[i], "--seed")) {
            p.seed = strtoull(argv[++i], NULL, 10);
        } else {
            die_code(2, "gen: unknown argument '%s'", argv[i]);
        }
    }
    json_t *m;
    double s;
    int reused;
    struct err e = {0};
    char *changed;
    char *dir = agent_data(&p, &m, &s, &reused, &changed, &e);
    if (!dir)
        die("gen: %s", e.msg);
    json_t *o = json_pack("{s:s, s:s, s:b, s:f, s:o}", "type", "data", "dir", dir, "reused",
                          reused, "gen_s", s, "manifest", m);
    if (changed)
        json_object_set_new(o, "regenerated", json_string(changed));
    free(changed);
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(o);
    free(dir);
    return 0;
}
