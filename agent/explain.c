/* hotpath-agent explain: runs a program on this host under a sampler
 * (common/sample.c) and prints what was seen, raw, as one JSON object; the
 * controller classifies it (`hotpath explain --host`). The program runs in
 * the bundle's root (its workloads/ at hand) with the pinned interpreter:
 * a program named `python` or `python3` is that interpreter, its folder is
 * first on PATH, and py-spy is looked for beside it first. */
#include "agent.h"
#include "../common/err.h"
#include "../common/sample.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int number(const char *flag, const char *v, int max)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 1 || n > max)
        die_code(2, "explain: %s takes a number from 1 to %d, not '%s'", flag, max, v);
    return (int)n;
}

int agent_explain(int argc, char **argv)
{
    struct sample_opts so = {.rate = 100};
    const char *python = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--python") && i + 1 < argc) {
            python = argv[++i];
        } else if (!strcmp(a, "--rate") && i + 1 < argc) {
            so.rate = number(a, argv[++i], 10000);
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            so.threads = number(a, argv[++i], 4096);
        } else if (!strcmp(a, "--subprocesses")) {
            so.subprocesses = 1;
        } else {
            die_code(2, "explain: unknown option '%s'", a);
        }
    }
    if (i >= argc)
        die_code(2, "explain: no command: explain [options] -- CMD [ARGS...]");
    if (chdir(agent_root()) < 0)
        die("explain: %s: %s", agent_root(), strerror(errno));

    char *interp = sample_which(python ? python : agent_default_python());
    if (!interp && python)
        die_code(2, "explain: the host's python, %s, is not there (its \"python\" key)",
                 python);
    char **args = argv + i;
    char *bin = NULL;
    if (interp) {
        char *slash = strrchr(interp, '/');
        bin = xasprintf("%.*s", (int)(slash - interp), interp);
        if (!strcmp(args[0], "python") || !strcmp(args[0], "python3"))
            args[0] = interp;
    }
    so.argv = args;
    so.path_first = bin;
    const char *env = getenv("HOTPATH_PYSPY");
    char *pyspy = env && *env ? (sample_executable(env) ? xstrdup(env) : NULL)
                              : sample_find_pyspy(bin, args[0]);
    so.pyspy = pyspy;
    json_t *res;
    int exec_errno;
    struct err e = {0};
    if (sample_run(&so, &res, &exec_errno, &e) < 0)
        die_code(e.code == 2 || exec_errno == ENOENT ? 2 : 1, "explain: %s", e.msg);
    json_object_set_new(res, "interpreter", interp ? json_string(interp) : json_null());
    json_object_set_new(res, "root", json_string(agent_root()));
    json_dumpf(res, stdout, JSON_COMPACT);
    printf("\n");
    fflush(stdout);
    json_decref(res);
    free(pyspy);
    free(bin);
    free(interp);
    return 0;
}
