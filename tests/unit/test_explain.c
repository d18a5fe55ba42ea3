/* The explain classifier, on sample lines recorded from py-spy and perf. */
#include "harness.h"
#include "../../controller/explain.h"

#include <string.h>

#define NP "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"
#define PL "_polars_runtime_32/_polars_runtime.abi3.so"
#define TOP "0x7f362984524a (libc.so.6);<module> (loop_engine.py:272);" \
            "main (hp_engine.py:70);"

static const char *const loop_lines[] = {
    TOP "stream_score (loop_engine.py:247) 56",
    TOP "stream_score (loop_engine.py:246) 78",
    TOP "stream_score (loop_engine.py:234);Reader.__iter__ (loop_engine.py:53);"
        "Reader_iternext (_csv.c:918);parse_process_char (_csv.c:676) 10",
    TOP "stream_score (loop_engine.py:238);Reader.cents (loop_engine.py:68);"
        "_sre_SRE_Pattern_match (libpython3.11.so.1.0);sre_ucs1_match (libpython3.11.so.1.0) 13",
    TOP "stream_score (loop_engine.py:247);math_exp (mathmodule.c:1254);"
        "0x7f36298b48b4 (libm.so.6) 3",
    "0x7f36 (libc.so.6);<module> (loop_engine.py:1);_find_and_load "
        "(<frozen importlib._bootstrap>:1176);_call_with_frames_removed "
        "(<frozen importlib._bootstrap>:241) 9",
};

static const char *const numpy_lines[] = {
    "<module> (numpy_engine.py:56);numeric (numpy_engine.py:44);ufunc_generic_fastcall "
        "(" NP ");DOUBLE_sin_AVX512_SKX (" NP ") 37",
    "<module> (numpy_engine.py:56);numeric (numpy_engine.py:44);DOUBLE_sin_AVX512_SKX "
        "(" NP ");0x7fbe1b312302 (libm.so.6) 7",
    "<module> (numpy_engine.py:56);numeric (numpy_engine.py:40);DOUBLE_multiply_AVX2 "
        "(/venv/lib/python3.11/site-packages/" NP ") 43",
    "<module> (numpy_engine.py:56);numeric (numpy_engine.py:44) 1",
};

/* the main thread waiting inside polars while its pool works (py-spy --idle) */
static const char *const polars_lines[] = {
    "<module> (polars_engine.py:106);groupby (polars_engine.py:50);LazyFrame.collect "
        "(polars/lazyframe/frame.py:2227);0x60 (?);_RNvMs_5tokio7runtime4park (" PL ");"
        "syscall (libc.so.6) 90",
    "<module> (polars_engine.py:106);groupby (polars_engine.py:50);LazyFrame.collect "
        "(polars/lazyframe/frame.py:2227);_RINvNtCsh61yYgEBR7J_4core3ptr9drop_glue (" PL ") 5",
    "<module> (polars_engine.py:106);groupby (polars_engine.py:48) 5",
    "<module> (x.py:1);pysleep (timemodule.c:2130);clock_nanosleep (libc.so.6) 4",
    /* an unplaced innermost frame counts for its caller */
    "<module> (polars_engine.py:106);LazyFrame.collect (polars/lazyframe/frame.py:2227);"
        "_RINvNtCsh61yYgEBR7J_4core3ptr9drop_glue (" PL ");0x7fa32687e400 (?) 2",
};

static json_t *summarise(const char *const *lines, size_t n, struct explain *x)
{
    explain_init(x);
    for (size_t i = 0; i < n; i++)
        CHECK(explain_add_pyspy(x, lines[i]) == 0, "every recorded py-spy sample line is taken");
    struct explain_times t = {2.0, 1.9, 0.05};
    return explain_summary(x, &t, 5);
}

static double share(json_t *s, const char *k)
{
    return json_real_value(json_object_get(json_object_get(s, "shares"), k));
}

static const char *str(json_t *s, const char *k)
{
    const char *v = json_string_value(json_object_get(s, k));
    return v ? v : "";
}

TEST(test_explain_interpreter)
{
    struct explain x;
    json_t *s = summarise(loop_lines, sizeof loop_lines / sizeof *loop_lines, &x);
    CHECK(x.samples == 56 + 78 + 10 + 13 + 3 + 9, "the summary counts every sample of every line");
    /* imports are startup, not the hot path */
    CHECK(x.part[EXPLAIN_STARTUP] == 9,
          "samples inside imports count as startup, not the hot path");
    CHECK(x.part[EXPLAIN_PYTHON] == 134,
          "samples whose innermost frame is a Python line count as Python");
    /* the csv module's C code and the regex engine are the CPython runtime */
    CHECK(x.part[EXPLAIN_RUNTIME] == 23,
          "the csv module's C code and the regex engine count as the CPython runtime");
    CHECK(x.part[EXPLAIN_LIBC] == 3, "libm reached from math.exp counts as libc");
    CHECK(!strcmp(str(s, "mode"), "interpreter"),
          "a profile dominated by Python lines is in interpreter mode");
    CHECK(strstr(str(s, "rewrite"), "replaces the bottleneck") != NULL,
          "interpreter mode suggests a rewrite that replaces the bottleneck");
    json_t *top = json_array_get(json_object_get(s, "lines"), 0);
    CHECK(!strcmp(str(top, "name"), "loop_engine.py:246 in stream_score"),
          "the hottest line comes first, named file:line in function");
    /* runtime samples count for the Python line that called into them */
    json_t *lines = json_object_get(s, "lines");
    int found = 0;
    for (size_t i = 0; i < json_array_size(lines); i++)
        found |= !strcmp(str(json_array_get(lines, i), "name"), "loop_engine.py:68 in Reader.cents");
    CHECK(found, "runtime samples count for the Python line that called into them");
    CHECK(share(s, "interpreter") > 0.9, "the interpreter's share of the time is over 90 percent");
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_numpy)
{
    struct explain x;
    json_t *s = summarise(numpy_lines, sizeof numpy_lines / sizeof *numpy_lines, &x);
    CHECK(x.nlibs == 1 && !strcmp(x.libs[0].name, "numpy"),
          "numpy's extension module is recognised as the one library");
    CHECK(x.libs[0].n == 80, "every sample inside numpy counts for numpy");
    CHECK(x.part[EXPLAIN_LIBC] == 7, "libm called from numpy counts as libc");
    CHECK(!strcmp(str(s, "mode"), "numeric"),
          "a profile dominated by numpy kernels is in numeric mode");
    CHECK(strstr(str(s, "rewrite"), "replaces the wrapper") != NULL,
          "numeric mode suggests a rewrite that replaces the wrapper");
    json_t *lib = json_array_get(json_object_get(s, "libraries"), 0);
    CHECK(!strcmp(str(json_array_get(json_object_get(lib, "top"), 0), "name"),
                  "DOUBLE_multiply_AVX2"),
          "numpy's hottest function is listed first among its top functions");
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_polars_waiting)
{
    struct explain x;
    json_t *s = summarise(polars_lines, sizeof polars_lines / sizeof *polars_lines, &x);
    CHECK(x.nlibs == 1 && !strcmp(x.libs[0].name, "polars"),
          "polars' runtime module is recognised as the one library");
    CHECK(x.libs[0].n == 97 && x.libs[0].waiting == 90,
          "every polars sample is counted, and the main thread parked in its runtime is waiting");
    /* a sleep outside any library is blocked time */
    CHECK(x.part[EXPLAIN_BLOCKED] == 4, "a sleep outside any library is blocked time");
    CHECK(!strcmp(str(s, "mode"), "query"), "a profile dominated by polars is in query mode");
    /* the Python line that called into the library: what a rewrite replaces */
    json_t *lib = json_array_get(json_object_get(s, "libraries"), 0);
    CHECK(!strcmp(str(json_array_get(json_object_get(lib, "called_from"), 0), "name"),
                  "polars/lazyframe/frame.py:2227 in LazyFrame.collect"),
          "the Python line that called into polars is named as where it is called from");
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_bad_and_few)
{
    struct explain x;
    explain_init(&x);
    CHECK(explain_add_pyspy(&x, "no count here") < 0, "a sample line without a count is refused");
    CHECK(explain_add_pyspy(&x, "frame without location 3") < 0,
          "a frame without a file:line location is refused");
    CHECK(explain_add_pyspy(&x, "f (a.py:1) 0") < 0, "a sample line with a count of 0 is refused");
    CHECK(x.bad == 3 && x.samples == 0, "refused lines are counted as bad and add no samples");
    CHECK(explain_add_pyspy(&x, "f (a.py:1) 5") == 0, "a one-frame sample line is taken");
    struct explain_times t = {1, 1, 0};
    json_t *s = explain_summary(&x, &t, 5);
    CHECK(!strcmp(str(s, "mode"), "unknown"),
          "a profile of 5 hot samples, under the 20 a verdict needs, is in unknown mode");
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_perf)
{
    struct explain x;
    explain_init(&x);
    for (int i = 0; i < 30; i++)
        CHECK(explain_add_perf(&x, "     55d0c1a2b3c4 num_block_avx2 (/opt/hp/bin/c-threads)",
                               "c-threads") == 0,
              "a perf sample in the engine's own binary is taken");
    for (int i = 0; i < 10; i++)
        CHECK(explain_add_perf(&x, "ffffffff822563a7 clear_page_erms ([kernel.kallsyms])",
                               "c-threads") == 0, "a perf sample in the kernel is taken");
    CHECK(explain_add_perf(&x, "7fe92e6fa934 __memmove_avx_unaligned_erms "
                               "(/usr/lib/x86_64-linux-gnu/libc.so.6)", "c-threads") == 0,
          "a perf sample in libc is taken");
    CHECK(explain_add_perf(&x, "7fe92e6fa934 [unknown] (/usr/lib/libstdc++.so.6.0.30)",
                           "c-threads") == 0,
          "a perf sample with an unknown symbol in a library is taken");
    CHECK(explain_add_perf(&x, "not a sample", "c-threads") < 0,
          "a perf line that is not a sample is refused");
    CHECK(x.samples == 42 && x.part[EXPLAIN_KERNEL] == 10 && x.part[EXPLAIN_LIBC] == 1,
          "perf samples are counted, kernel symbols as kernel and libc's as libc");
    struct explain_times t = {1, 1, 0};
    json_t *s = explain_summary(&x, &t, 5);
    CHECK(!strcmp(str(s, "mode"), "native"),
          "a profile dominated by the engine's own native code is in native mode");
    json_t *lib = json_array_get(json_object_get(s, "libraries"), 0);
    CHECK(!strcmp(str(lib, "name"), "c-threads"),
          "the engine's own binary is listed as the first library");
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_library_names)
{
    char out[64];
    enum explain_part p;
    CHECK(!strcmp(explain_library(PL, out, sizeof out, &p), "polars") && p == EXPLAIN_NATIVE,
          "polars' runtime module is named polars and counts as native");
    CHECK(!strcmp(explain_library("_duckdb.cpython-311-x86_64-linux-gnu.so", out, sizeof out,
                                  &p), "duckdb"), "duckdb's extension module is named duckdb");
    CHECK(!strcmp(explain_library("/v/lib/python3.11/site-packages/pyarrow/libarrow.so.2000",
                                  out, sizeof out, &p), "pyarrow"),
          "libarrow inside site-packages is named after its package, pyarrow");
    CHECK(!strcmp(explain_library("numpy.libs/libscipy_openblas64_-ff651d7f.so", out,
                                  sizeof out, &p), "numpy"),
          "a library vendored in numpy.libs is named numpy");
    explain_library("/usr/lib/x86_64-linux-gnu/libm.so.6", out, sizeof out, &p);
    CHECK(p == EXPLAIN_LIBC && !strcmp(out, "libm"), "libm counts as libc and is named libm");
    explain_library("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", out, sizeof out,
                    &p);
    CHECK(p == EXPLAIN_RUNTIME, "libpython counts as the CPython runtime");
    explain_library("/usr/lib/python3.11/lib-dynload/_csv.cpython-311-x86_64-linux-gnu.so",
                    out, sizeof out, &p);
    CHECK(p == EXPLAIN_RUNTIME,
          "the standard library's lib-dynload modules count as the CPython runtime");
    explain_library("_json.cpython-311-x86_64-linux-gnu.so", out, sizeof out, &p);
    CHECK(p == EXPLAIN_RUNTIME,
          "a CPython accelerator module such as _json counts as the runtime");
    CHECK(!strcmp(explain_library("libstdc++.so.6.0.30", out, sizeof out, &p), "stdc++"),
          "a shared library is named without lib prefix and .so suffix");
    CHECK(!strcmp(explain_library("mypkg/_fast.cpython-311-x86_64-linux-gnu.so", out,
                                  sizeof out, &p), "mypkg"),
          "an extension module of a package is named after its package");
    explain_library("[kernel.kallsyms]", out, sizeof out, &p);
    CHECK(p == EXPLAIN_KERNEL, "kernel.kallsyms counts as the kernel");
}

TEST(test_explain_subprocesses)
{
    struct explain x;
    explain_init(&x);
    CHECK(explain_add_pyspy(&x, "process 2156:\"sh -c a; python b.py\";process 2157:\"python "
                                "b.py\";<module> (/w/b.py:3);f (/w/b.py:9) 4") == 0,
          "a sample line with process prefix frames (py-spy --subprocesses) is taken");
    CHECK(x.samples == 4 && x.part[EXPLAIN_PYTHON] == 4 && x.bad == 0,
          "process prefixes are not frames: the sample counts for its Python line, with "
          "nothing bad");
    CHECK(x.lines.len == 1 && !strcmp(x.lines.v[0].name, "/w/b.py:9 in f"),
          "the line is named after the innermost Python frame");
    explain_free(&x);
}

/* A program deep below a host's home: lines that differ only at the end of
 * a long path stay apart. */
TEST(test_explain_long_paths)
{
    struct explain x;
    explain_init(&x);
    char dir[300], line[800];
    memset(dir, 'd', sizeof dir - 1);
    dir[0] = '/';
    dir[sizeof dir - 1] = '\0';
    snprintf(line, sizeof line, "<module> (%s/b.py:3);f (%s/b.py:9) 4", dir, dir);
    CHECK(explain_add_pyspy(&x, line) == 0, "a sample with a 300-character path parses");
    snprintf(line, sizeof line, "<module> (%s/b.py:3);f (%s/b.py:12) 2", dir, dir);
    CHECK(explain_add_pyspy(&x, line) == 0, "a sample with a 300-character path parses");
    CHECK(x.lines.len == 2, "two lines of one long-path file stay two lines");
    CHECK(x.lines.len == 2 && strstr(x.lines.v[0].name, "/b.py:9 in f") &&
          strstr(x.lines.v[1].name, "/b.py:12 in f"), "each keeps its line number and function");
    explain_free(&x);
}
