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
        CHECK(explain_add_pyspy(x, lines[i]) == 0);
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
    CHECK(x.samples == 56 + 78 + 10 + 13 + 3 + 9);
    /* imports are startup, not the hot path */
    CHECK(x.part[EXPLAIN_STARTUP] == 9);
    CHECK(x.part[EXPLAIN_PYTHON] == 134);
    /* the csv module's C code and the regex engine are the CPython runtime */
    CHECK(x.part[EXPLAIN_RUNTIME] == 23);
    CHECK(x.part[EXPLAIN_LIBC] == 3);
    CHECK(!strcmp(str(s, "mode"), "interpreter"));
    CHECK(strstr(str(s, "rewrite"), "replaces the bottleneck") != NULL);
    json_t *top = json_array_get(json_object_get(s, "lines"), 0);
    CHECK(!strcmp(str(top, "name"), "loop_engine.py:246 in stream_score"));
    /* runtime samples count for the Python line that called into them */
    json_t *lines = json_object_get(s, "lines");
    int found = 0;
    for (size_t i = 0; i < json_array_size(lines); i++)
        found |= !strcmp(str(json_array_get(lines, i), "name"), "loop_engine.py:68 in Reader.cents");
    CHECK(found);
    CHECK(share(s, "interpreter") > 0.9);
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_numpy)
{
    struct explain x;
    json_t *s = summarise(numpy_lines, sizeof numpy_lines / sizeof *numpy_lines, &x);
    CHECK(x.nlibs == 1 && !strcmp(x.libs[0].name, "numpy"));
    CHECK(x.libs[0].n == 80);
    CHECK(x.part[EXPLAIN_LIBC] == 7);
    CHECK(!strcmp(str(s, "mode"), "numeric"));
    CHECK(strstr(str(s, "rewrite"), "replaces the wrapper") != NULL);
    json_t *lib = json_array_get(json_object_get(s, "libraries"), 0);
    CHECK(!strcmp(str(json_array_get(json_object_get(lib, "top"), 0), "name"),
                  "DOUBLE_multiply_AVX2"));
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_polars_waiting)
{
    struct explain x;
    json_t *s = summarise(polars_lines, sizeof polars_lines / sizeof *polars_lines, &x);
    CHECK(x.nlibs == 1 && !strcmp(x.libs[0].name, "polars"));
    CHECK(x.libs[0].n == 97 && x.libs[0].waiting == 90);
    /* a sleep outside any library is blocked time */
    CHECK(x.part[EXPLAIN_BLOCKED] == 4);
    CHECK(!strcmp(str(s, "mode"), "query"));
    /* the Python line that called into the library: what a rewrite replaces */
    json_t *lib = json_array_get(json_object_get(s, "libraries"), 0);
    CHECK(!strcmp(str(json_array_get(json_object_get(lib, "called_from"), 0), "name"),
                  "polars/lazyframe/frame.py:2227 in LazyFrame.collect"));
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_bad_and_few)
{
    struct explain x;
    explain_init(&x);
    CHECK(explain_add_pyspy(&x, "no count here") < 0);
    CHECK(explain_add_pyspy(&x, "frame without location 3") < 0);
    CHECK(explain_add_pyspy(&x, "f (a.py:1) 0") < 0);
    CHECK(x.bad == 3 && x.samples == 0);
    CHECK(explain_add_pyspy(&x, "f (a.py:1) 5") == 0);
    struct explain_times t = {1, 1, 0};
    json_t *s = explain_summary(&x, &t, 5);
    CHECK(!strcmp(str(s, "mode"), "unknown"));
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_perf)
{
    struct explain x;
    explain_init(&x);
    for (int i = 0; i < 30; i++)
        CHECK(explain_add_perf(&x, "     55d0c1a2b3c4 num_block_avx2 (/opt/hp/bin/c-threads)",
                               "c-threads") == 0);
    for (int i = 0; i < 10; i++)
        CHECK(explain_add_perf(&x, "ffffffff822563a7 clear_page_erms ([kernel.kallsyms])",
                               "c-threads") == 0);
    CHECK(explain_add_perf(&x, "7fe92e6fa934 __memmove_avx_unaligned_erms "
                               "(/usr/lib/x86_64-linux-gnu/libc.so.6)", "c-threads") == 0);
    CHECK(explain_add_perf(&x, "7fe92e6fa934 [unknown] (/usr/lib/libstdc++.so.6.0.30)",
                           "c-threads") == 0);
    CHECK(explain_add_perf(&x, "not a sample", "c-threads") < 0);
    CHECK(x.samples == 42 && x.part[EXPLAIN_KERNEL] == 10 && x.part[EXPLAIN_LIBC] == 1);
    struct explain_times t = {1, 1, 0};
    json_t *s = explain_summary(&x, &t, 5);
    CHECK(!strcmp(str(s, "mode"), "native"));
    json_t *lib = json_array_get(json_object_get(s, "libraries"), 0);
    CHECK(!strcmp(str(lib, "name"), "c-threads"));
    json_decref(s);
    explain_free(&x);
}

TEST(test_explain_library_names)
{
    char out[64];
    enum explain_part p;
    CHECK(!strcmp(explain_library(PL, out, sizeof out, &p), "polars") && p == EXPLAIN_NATIVE);
    CHECK(!strcmp(explain_library("_duckdb.cpython-311-x86_64-linux-gnu.so", out, sizeof out,
                                  &p), "duckdb"));
    CHECK(!strcmp(explain_library("/v/lib/python3.11/site-packages/pyarrow/libarrow.so.2000",
                                  out, sizeof out, &p), "pyarrow"));
    CHECK(!strcmp(explain_library("numpy.libs/libscipy_openblas64_-ff651d7f.so", out,
                                  sizeof out, &p), "numpy"));
    explain_library("/usr/lib/x86_64-linux-gnu/libm.so.6", out, sizeof out, &p);
    CHECK(p == EXPLAIN_LIBC && !strcmp(out, "libm"));
    explain_library("/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", out, sizeof out,
                    &p);
    CHECK(p == EXPLAIN_RUNTIME);
    explain_library("/usr/lib/python3.11/lib-dynload/_csv.cpython-311-x86_64-linux-gnu.so",
                    out, sizeof out, &p);
    CHECK(p == EXPLAIN_RUNTIME);
    explain_library("_json.cpython-311-x86_64-linux-gnu.so", out, sizeof out, &p);
    CHECK(p == EXPLAIN_RUNTIME);
    CHECK(!strcmp(explain_library("libstdc++.so.6.0.30", out, sizeof out, &p), "stdc++"));
    CHECK(!strcmp(explain_library("mypkg/_fast.cpython-311-x86_64-linux-gnu.so", out,
                                  sizeof out, &p), "mypkg"));
    explain_library("[kernel.kallsyms]", out, sizeof out, &p);
    CHECK(p == EXPLAIN_KERNEL);
}

TEST(test_explain_subprocesses)
{
    struct explain x;
    explain_init(&x);
    CHECK(explain_add_pyspy(&x, "process 2156:\"sh -c a; python b.py\";process 2157:\"python "
                                "b.py\";<module> (/w/b.py:3);f (/w/b.py:9) 4") == 0);
    CHECK(x.samples == 4 && x.part[EXPLAIN_PYTHON] == 4 && x.bad == 0);
    CHECK(x.lines.len == 1 && !strcmp(x.lines.v[0].name, "/w/b.py:9 in f"));
    explain_free(&x);
}
