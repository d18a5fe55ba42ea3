/* hotpath compare A B: did anything get slower, and are we sure? */
#include "hotpath.h"
#include "stats.h"
#include "../common/err.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALPHA STATS_ALPHA

/* Valid timed runs of one sweep, ordered by cell. */
static json_t *cells_of(struct store *st, int64_t sweep, struct err *e)
{
    return store_sweep_valid_runs(st, sweep, e);
}

static int same_cell(json_t *a, json_t *b)
{
    static const char *const keys[] = {"host", "task", "engine", "threads"};
    for (int i = 0; i < 4; i++)
        if (!json_equal(json_object_get(a, keys[i]), json_object_get(b, keys[i])))
            return 0;
    return 1;
}

/* The run times of the cell starting at rows[*i]; advances *i past it. */
static double *take_cell(json_t *rows, size_t *i, size_t *n)
{
    size_t start = *i;
    while (*i < json_array_size(rows) &&
           same_cell(json_array_get(rows, start), json_array_get(rows, *i)))
        (*i)++;
    *n = *i - start;
    double *v = xmalloc((*n + 1) * sizeof *v);
    for (size_t k = 0; k < *n; k++)
        v[k] = json_number_value(json_object_get(json_array_get(rows, start + k), "total_s"));
    return v;
}

int cmd_compare(int argc, char **argv)
{
    const char *a_id = NULL, *b_id = NULL;
    double threshold = STATS_THRESHOLD;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threshold") && i + 1 < argc) {
            char *end;
            threshold = strtod(argv[++i], &end) / 100.0;
            if ((*end && strcmp(end, "%") != 0) || end == argv[i] || threshold < 0)
                die_code(2, "compare: --threshold takes a percentage such as 5%%");
        } else if (!a_id) {
            a_id = argv[i];
        } else if (!b_id) {
            b_id = argv[i];
        } else {
            die_code(2, "compare: unexpected argument '%s'", argv[i]);
        }
    }
    if (!a_id || !b_id)
        die_code(2, "compare: give two sweeps, A (before) and B (after)");
    struct store *st;
    hp_open_readonly(&st);
    struct err e = {0};
    int64_t a, b;
    char ua[64], ub[64];
    if (store_sweep_find(st, a_id, &a, ua, NULL, &e) < 0 ||
        store_sweep_find(st, b_id, &b, ub, NULL, &e) < 0)
        die("%s", e.msg);
    json_t *ra = cells_of(st, a, &e), *rb = cells_of(st, b, &e);
    if (!ra || !rb)
        die("%s", e.msg);
    json_t *out = json_array();
    int slower = 0;
    if (!cli.json)
        printf("%-12s %-12s %-14s %3s %10s %10s %7s %8s  %s\n", "host", "task", "engine", "thr",
               "median A", "median B", "B/A", "p", "verdict");
    size_t i = 0, j = 0;
    while (i < json_array_size(ra)) {
        json_t *cell = json_array_get(ra, i);
        size_t na, nb;
        double *va = take_cell(ra, &i, &na);
        /* find the same cell in B */
        size_t k;
        for (k = 0; k < json_array_size(rb); k++)
            if (same_cell(cell, json_array_get(rb, k)))
                break;
        if (k == json_array_size(rb)) {
            free(va);
            continue;
        }
        j = k;
        double *vb = take_cell(rb, &j, &nb);
        double p, ratio;
        int change = stats_change(va, na, vb, nb, threshold, &p, &ratio);
        double ma = stats_median(va, na), mb = stats_median(vb, nb);
        const char *verdict = "same";
        if (change > 0) {
            verdict = "SLOWER";
            slower++;
        } else if (change < 0) {
            verdict = "faster";
        } else if (p < ALPHA) {
            verdict = "within threshold";
        }
        json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, s:f, s:f, s:i, s:i, s:f, "
                                             "s:f, s:s}", "host", json_object_get(cell, "host"),
                              "task", json_object_get(cell, "task"),
                              "engine", json_object_get(cell, "engine"),
                              "threads", json_object_get(cell, "threads"), "median_a", ma,
                              "median_b", mb, "n_a", (int)na, "n_b", (int)nb, "ratio", ratio,
                              "p", p, "verdict", verdict));
        if (!cli.json)
            printf("%-12s %-12s %-14s %3lld %10.4g %10.4g %7.3f %8.2g  %s\n",
                   json_string_value(json_object_get(cell, "host")),
                   json_string_value(json_object_get(cell, "task")),
                   json_string_value(json_object_get(cell, "engine")),
                   (long long)json_integer_value(json_object_get(cell, "threads")), ma, mb,
                   ratio, p, verdict);
        free(va);
        free(vb);
    }
    if (cli.json) {
        json_t *doc = json_pack("{s:s, s:s, s:f, s:f, s:s, s:i, s:o}", "a", ua, "b", ub,
                                "threshold", threshold, "alpha", ALPHA, "test",
                                "mann-whitney-u", "slower", slower, "cells", out);
        json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(doc);
    } else {
        if (json_array_size(out) == 0)
            printf("(no (host, task, engine, threads) cell with valid runs in both sweeps)\n");
        printf("\nA = %s, B = %s; SLOWER: B/A > %.3g and Mann-Whitney U p < %.2g "
               "(two-sided). %d cell%s slower.\n", ua, ub, 1 + threshold, ALPHA, slower,
               slower == 1 ? "" : "s");
        json_decref(out);
    }
    json_decref(ra);
    json_decref(rb);
    store_close(st);
    return slower ? 1 : 0;
}
