#ifndef HP_EXPLAIN_H
#define HP_EXPLAIN_H
/* Where a program's time went: samples (py-spy raw lines, perf script
 * lines) classified by their innermost frame, plus the process's own CPU
 * and wall times, into shares and a verdict. No I/O here: the command
 * (cmd-explain.c) runs the program and the samplers and feeds the lines. */
#include <jansson.h>

/* What a sample's innermost frame belongs to. */
enum explain_part {
    EXPLAIN_STARTUP,    /* Python starting, importing, shutting down: not the hot path */
    EXPLAIN_PYTHON,     /* a Python line */
    EXPLAIN_RUNTIME,    /* the CPython runtime (eval loop, objects, stdlib C modules) */
    EXPLAIN_NATIVE,     /* an extension module or other shared object, per library */
    EXPLAIN_LIBC,       /* libc, libm, the dynamic loader */
    EXPLAIN_KERNEL,     /* kernel code (perf only) */
    EXPLAIN_BLOCKED,    /* a thread blocked outside any library (sleep, lock, I/O) */
    EXPLAIN_NPARTS
};

/* Names and counts, kept in the order first seen. */
struct explain_count {
    char *name;
    long n;
};
struct explain_counter {
    struct explain_count *v;
    size_t len, alloc;
};

struct explain_lib {
    char *name;                 /* numpy, polars, duckdb, pyarrow, or a file's base name */
    long n, waiting;            /* samples; of which blocked waiting inside it */
    struct explain_counter funcs;
    struct explain_counter callers; /* the Python lines that called into it */
};

struct explain {
    const char *sampler;        /* "py-spy", "perf" or NULL */
    long samples;
    long part[EXPLAIN_NPARTS];
    struct explain_lib *libs;
    size_t nlibs;
    struct explain_counter lines;   /* file:line of interpreter samples */
    struct explain_counter libc;    /* libc/libm functions */
    long bad;                       /* lines that did not parse */
};

/* The process as wait4 saw it. */
struct explain_times {
    double wall_s, user_s, sys_s;
};

enum explain_mode {
    EXPLAIN_MODE_NONE,          /* too little was seen to tell */
    EXPLAIN_MODE_QUERY,         /* native-backed query */
    EXPLAIN_MODE_NUMERIC,       /* vectorised or parallel numerical work */
    EXPLAIN_MODE_INTERP,        /* interpreter-bound custom logic */
    EXPLAIN_MODE_PROGRAM,       /* a native program (no interpreter) */
};

void explain_init(struct explain *x);
void explain_free(struct explain *x);
/* One line of `py-spy record -f raw` ("outer;...;inner COUNT"). -1 when it
 * does not parse (counted in bad). */
int explain_add_pyspy(struct explain *x, const char *line);
/* One line of `perf script -F ip,sym,dso` ("ADDR SYMBOL (DSO)"); prog is
 * the program's own file name, so its frames are named after it. */
int explain_add_perf(struct explain *x, const char *line, const char *prog);

/* The library a shared object's path belongs to ("numpy" for
 * numpy/_core/_multiarray_umath...so); part is where it counts. */
const char *explain_library(const char *path, char *out, size_t n, enum explain_part *part);

/* Shares, times, verdict and top frames as one JSON object (the shape that
 * is printed, stored and given by --json). top is how many lines and
 * functions to keep. */
json_t *explain_summary(const struct explain *x, const struct explain_times *t, int top);
const char *explain_mode_name(enum explain_mode m);

#endif
