/* The fast line parsers against the exact ones: on valid lines and on
 * thousands of random mutations of them, whatever the fast parser accepts
 * the exact parser accepts too, with the same values and line end.
 * test_fastrow_v3.c runs the same on the x86-64-v3 build of the parsers. */
#ifndef FASTROW_TEST
#define FASTROW_TEST test_fastrow
#define FASTROW_TEST_EXP test_vexp
#define FASTROW_CPU_OK 1
#endif
#include "harness.h"
#include <math.h>
#include "../../workloads/c/fastrow.h"
#include "../../workloads/c/vexp.h"
#include "../../workloads/gen/gen.h"

#include <string.h>

enum { FACTS_GB, FACTS_JOIN, EVENTS, STREAM };

static const char *const samples[][4] = {
    [FACTS_GB] = {"1,41933,1105,1705543005,1,96.61,0.15,web\n",
                  "4999999,7,10000,1700000000,10,499.50,0.30,partner\n",
                  "12,99,1,1,3,0.50,0.00,store\n", "1,2,3,4,5,6.78,0.09,app\n"},
    [FACTS_JOIN] = {"1,41933,1105,1705543005,1,96.61,0.15,web\n",
                    "2,90136,4770,1706914337,8,204.52,0.05,app\n",
                    "3,1,77,1707000000,2,1234567890123.45,0.10,partner\n",
                    "4,123456789012345,1,1,1,0.01,0.00,store\n"},
    [EVENTS] = {"1,1700007384,cart,0.00\n", "1,1700008280,purchase,998.01\n",
                "123456,1700000000,view,0.00\n", "9,1,click,12.34\n"},
    [STREAM] = {"1700000001,11618,login,0.00\n", "1700000003,61288,purchase,704.22\n",
                "1700000004,1,password_reset,0.00\n", "1,2,chargeback,1999.01\n"},
};

static struct fr_names channels, ev_types, st_types;

/* Runs both parsers on the line at p; returns 1 when the fast one took it. */
static int both(int shape, const char *p, int *agree)
{
    struct row a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    const char *fa = NULL, *sb = NULL;
    int field = 0;
    switch (shape) {
    case FACTS_GB:
        fa = fr_facts_groupby(p, &a);
        sb = row_facts_groupby(p, &b, &field);
        break;
    case FACTS_JOIN:
        fa = fr_facts_join(p, &channels, &a);
        sb = row_facts_join(p, &b, &field);
        break;
    case EVENTS:
        fa = fr_events(p, &ev_types, &a);
        sb = row_events(p, &b, &field);
        break;
    default:
        fa = fr_stream(p, &st_types, &a);
        sb = row_stream(p, &b, &field);
    }
    if (!fa)
        return 0;
    /* Fields a parser does not read stay zero in both. */
    *agree = sb == fa && a.user == b.user && a.product == b.product && a.ts == b.ts &&
             a.qty == b.qty && a.cents == b.cents && a.disc == b.disc &&
             a.channel == b.channel && a.type == b.type;
    return 1;
}

TEST(FASTROW_TEST)
{
    if (!(FASTROW_CPU_OK)) {
        SKIP("this CPU cannot run the parsers of this build");
        return;
    }
    fr_names_init(&channels, csv_channels, N_CHANNELS);
    fr_names_init(&ev_types, csv_event_types, N_EVENT_TYPES);
    fr_names_init(&st_types, csv_stream_types, N_STREAM_TYPES);
    static const char alphabet[] = "0123456789,,..\n\r a-+\tzepw_:/";
    uint64_t rng = 42;
    char buf[256];
    int taken = 0, bad = 0;
    for (int shape = FACTS_GB; shape <= STREAM; shape++) {
        for (int s = 0; s < 4; s++) {
            int agree = 0;
            memset(buf, '\n', sizeof buf);
            memcpy(buf, samples[shape][s], strlen(samples[shape][s]));
            CHECK(both(shape, buf, &agree) && agree,
                  "every valid sample line is taken by the fast parser with the exact "
                  "parser's values and line end");
            for (int m = 0; m < 20000; m++) {
                size_t len = strlen(samples[shape][s]);
                memset(buf, '\n', sizeof buf);
                memcpy(buf, samples[shape][s], len);
                int edits = 1 + (int)(gen_splitmix_next(&rng) % 3);
                for (int k = 0; k < edits; k++) {
                    size_t at = gen_splitmix_next(&rng) % len;
                    char ch = alphabet[gen_splitmix_next(&rng) % (sizeof alphabet - 1)];
                    switch (gen_splitmix_next(&rng) % 3) {
                    case 0:                                     /* replace */
                        buf[at] = ch;
                        break;
                    case 1:                                     /* insert */
                        memmove(buf + at + 1, buf + at, len - at);
                        buf[at] = ch;
                        len++;
                        break;
                    default:                                    /* delete */
                        memmove(buf + at, buf + at + 1, len - at);
                        len--;
                    }
                }
                agree = 0;
                if (both(shape, buf, &agree)) {
                    taken++;
                    bad += !agree;
                }
            }
        }
    }
    CHECK(taken > 10000,
          "thousands of the random mutants are still valid lines the fast parser takes");
    /* Every name of every list sits in its home slot: one probe. */
    static const struct {
        const char *const *names;
        int n;
    } lists[] = {{csv_channels, N_CHANNELS}, {csv_segments, N_SEGMENTS}, {csv_regions, N_REGIONS},
                 {csv_event_types, N_EVENT_TYPES}, {csv_stream_types, N_STREAM_TYPES}};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        struct fr_names t;
        fr_names_init(&t, lists[l].names, lists[l].n);
        for (int i = 0; i < lists[l].n; i++)
            CHECK(t.slot[fr_hash(t.w0[i])] == i,
                  "every name of every list sits in the home slot its first word hashes to, "
                  "so one probe finds it");
    }
    CHECK(bad == 0, "no mutant the fast parser takes is read differently from the exact parser");
    /* Too long for the fast path: a 17-digit field, a 70-byte line. */
    static const char *const slow[] = {
        "12345678901234567,1,view,0.00\n",
        "1,1,1,1,1,1.00,0.00,webwebwebwebwebwebwebwebwebwebwebwebwebwebwebweb\n",
    };
    struct row r;
    int field = 0;
    memset(buf, '\n', sizeof buf);
    memcpy(buf, slow[0], strlen(slow[0]));
    CHECK(!fr_stream(buf, &st_types, &r) && row_stream(buf, &r, &field),
          "a 17-digit field is left to the exact parser, which still reads the line");
    memset(buf, '\n', sizeof buf);
    memcpy(buf, slow[1], strlen(slow[1]));
    CHECK(!fr_facts_groupby(buf, &r) && row_facts_groupby(buf, &r, &field),
          "a line longer than the fast path's window is left to the exact parser, which still "
          "reads it");
}

/* vexp_block (vectorised in the v3 build) against libm. */
TEST(FASTROW_TEST_EXP)
{
    if (!(FASTROW_CPU_OK)) {
        SKIP("this CPU cannot run the parsers of this build");
        return;
    }
    static double x[4099], want[4099];
    uint64_t rng = 9;
    int n = 0;
    static const double edge[] = {0.0, -0.0, -1e-300, -1e-17, -0.5 * 0.6931471805599453,
                                  -0.6931471805599453, -1.0, -20.0, -707.9, -708.0};
    for (size_t k = 0; k < sizeof edge / sizeof edge[0]; k++)
        x[n++] = edge[k];
    while (n < 4099) {
        double u = (double)(gen_splitmix_next(&rng) >> 11) * 0x1p-53;
        x[n] = n % 3 ? -u * 30.0 : -u * 708.0;      /* dense near 0, as stream-score is */
        n++;
    }
    for (int i = 0; i < n; i++)
        want[i] = exp(x[i]);
    vexp_block(x, n);
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        double e = fabs(x[i] - want[i]) / want[i];
        worst = e > worst ? e : worst;
    }
    CHECK(worst < 5e-16,
          "vexp_block is within 5e-16 relative error of libm's exp on edge and random inputs");
    CHECK(x[0] == 1.0 && x[1] == 1.0, "vexp_block gives exactly 1 for exp(0) and exp(-0)");
    double tiny[5] = {-708.5, -745.0, -1000.0, -1e308, 0.0};
    vexp_block(tiny, 5);
    /* 0 or libm's subnormal: either way too small to change a sum with 0.1 */
    for (int k = 0; k < 4; k++)
        CHECK(tiny[k] >= 0.0 && tiny[k] < 1e-307 && (VEXP_VECTOR ? tiny[k] == 0.0 : 1),
              "exp of very negative inputs is 0 or a subnormal, and exactly 0 in the vector "
              "build");
    CHECK(tiny[4] == 1.0,
          "exp(0) after very negative inputs in the same block is still exactly 1");
}
