#ifndef HP_SAMPLE_H
#define HP_SAMPLE_H
/* A program run under a sampler, on the machine it is called on: py-spy
 * following its pid (a Python program), or perf starting it (any other),
 * wait4 for its CPU times. What was seen comes back raw, as one JSON
 * object, so the classification (controller/explain.c) is written once:
 * `hotpath explain` calls this for this machine, `hotpath-agent explain`
 * for a host, whose JSON the controller reads back.
 *
 *   wall_s, user_s, sys_s     the program as wait4 saw it
 *   exit_code | signal        how it ended (the other is null)
 *   python                    whether it looked like a Python program
 *   sampler                   "py-spy", "perf" or null
 *   pyspy, perf               the sampler's path, or null when not found
 *   sampler_error             why the sampler did not start, or absent
 *   sampler_log               what the sampler said (the first 8 KiB)
 *   lines                     its raw lines (py-spy -f raw, perf script)
 *   lines_dropped             lines over the cap, left out
 *   ptrace_scope              kernel.yama.ptrace_scope, -1 where there is none
 *   load_avg, cores           the machine's 1-minute load and online CPUs
 *   os                        "Linux", "Darwin", ...
 *   dir                       the folder the program ran in
 */
#include <jansson.h>

struct err;

struct sample_opts {
    char **argv;                /* the program and its arguments */
    const char *pyspy;          /* py-spy to use (sample_find_pyspy), or NULL */
    int rate;                   /* samples per second */
    int threads;                /* 0, or the thread knobs (POLARS_MAX_THREADS...) to set */
    int subprocesses;           /* sample the Python programs it starts too */
    const char *path_first;     /* a folder put first on PATH (a pinned env's bin), or NULL */
};

/* 1 when path is a regular file this process may execute. */
int sample_executable(const char *path);
/* A program on PATH (or a path), resolved (caller frees); NULL when not found. */
char *sample_which(const char *name);
/* Whether a program is a Python interpreter, or a script one runs. */
int sample_looks_python(const char *path);
/* py-spy: the one in dir (a pinned environment's bin) when dir is not NULL,
 * the one beside prog's interpreter (a user's own venv), then PATH.
 * Caller frees; NULL when there is none. */
char *sample_find_pyspy(const char *dir, const char *prog);

/* Runs the program to its end (its stdout to this process's stderr, so
 * stdout stays the caller's); the object above in *out. -1 with e filled
 * when it could not be started (*exec_errno: ENOENT for no such program). */
int sample_run(const struct sample_opts *o, json_t **out, int *exec_errno, struct err *e);

#endif
