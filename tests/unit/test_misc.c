#include "harness.h"
#include "../../common/buf.h"
#include "../../common/check.h"
#include "../../common/sha256.h"
#include "../../workloads/gen/gen.h"
#include "../../agent/validate.h"

#include <string.h>

static void hex_of(const char *s, size_t n, char out[65])
{
    struct sha256 h;
    unsigned char d[32];
    sha256_init(&h);
    sha256_update(&h, s, n);
    sha256_final(&h, d);
    sha256_hex(d, out);
}

TEST(test_sha256)
{
    char hex[65];
    hex_of("", 0, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
          "the SHA-256 of the empty string is the published one");
    hex_of("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
          "the SHA-256 of \"abc\" is the published one");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m, strlen(m), hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
          "the SHA-256 of the 448-bit two-block message is the published one");
    /* Fed in odd pieces, the digest is the same. */
    struct sha256 h;
    unsigned char d[32];
    char hex2[65];
    sha256_init(&h);
    for (size_t i = 0; i < strlen(m); i += 7)
        sha256_update(&h, m + i, strlen(m) - i < 7 ? strlen(m) - i : 7);
    sha256_final(&h, d);
    sha256_hex(d, hex2);
    CHECK(!strcmp(hex, hex2), "a message fed in 7-byte pieces has the same digest as fed whole");
}

TEST(test_buf)
{
    struct buf b;
    buf_init(&b, 8);
    CHECK(buf_puts(&b, "abcd") == 0, "a string that fits the cap is added");
    CHECK(buf_printf(&b, "%d", 1234) == 0 && !strcmp(b.data, "abcd1234"),
          "buf_printf appends formatted text after what is there");
    CHECK(buf_puts(&b, "x") < 0 && b.len == 8,
          "an add past the cap is refused and the length stays at the cap");
    char *s = buf_detach(&b);
    CHECK(!strcmp(s, "abcd1234") && b.len == 0,
          "buf_detach hands over the text and leaves the buffer empty");
    free(s);
    buf_free(&b);
}

TEST(test_splitmix)
{
    /* First outputs for state 0, the published reference values. */
    uint64_t s = 0;
    CHECK(gen_splitmix_next(&s) == 0xe220a8397b1dcdafULL,
          "the first splitmix64 output for state 0 is the published reference value");
    CHECK(gen_splitmix_next(&s) == 0x6e789e6aa1b965f4ULL,
          "the second splitmix64 output for state 0 is the published reference value");
    struct gen_profile p;
    CHECK(gen_profile_lookup("seed", &p) == 0 && p.facts == 5000000 && p.points == 50000000,
          "the seed profile has 5,000,000 facts and 50,000,000 points");
    CHECK(gen_users(&p) == 100000, "the seed profile has 100,000 users");
    CHECK(gen_profile_lookup("huge", &p) < 0, "an unknown profile name is refused");
}

static int cmp(const char *task, const char *x, const char *y)
{
    char why[256];
    json_t *a = json_loads(x, 0, NULL), *b = json_loads(y, 0, NULL);
    int rc = check_result(task, a, b, why, sizeof why);
    json_decref(a);
    json_decref(b);
    return rc;
}

TEST(test_check)
{
    CHECK(cmp("numeric", "{\"n\": 3, \"mean\": 1.0, \"std\": 2.0}",
              "{\"n\": 3, \"mean\": 1.0000000000001, \"std\": 2.0000001}") == 0,
          "numeric results within 1e-9 on the mean and 1e-6 on std are the same result");
    CHECK(cmp("numeric", "{\"n\": 3, \"mean\": 1.0, \"std\": 2.0}",
              "{\"n\": 3, \"mean\": 1.00001, \"std\": 2.0}") < 0,
          "a numeric mean off by 1e-5 is a different result");
    CHECK(cmp("numeric", "{\"n\": 3, \"mean\": 1.0, \"std\": 2.0}",
              "{\"n\": 3, \"mean\": 1.0, \"std\": 2.001}") < 0,
          "a numeric std off by 5e-4 relative is a different result");
    CHECK(cmp("numeric", "{\"n\": 3, \"mean\": 1.0, \"std\": 2.0}",
              "{\"n\": 4, \"mean\": 1.0, \"std\": 2.0}") < 0,
          "a different numeric count is a different result");
    CHECK(cmp("numeric", "{\"n\": 3}", "{\"n\": 3.0}") < 0,
          "an integer in the expected result must stay an integer, not become 3.0");
    CHECK(cmp("numeric", "{\"n\": 3}", "{\"n\": 3, \"x\": 1}") < 0,
          "a key the expected result does not have makes the result different");
    CHECK(cmp("join", "{\"s\": [[\"a\", 1]]}", "{\"s\": [[\"b\", 1]]}") < 0,
          "a join result with a different key string is a different result");
    /* Ranked lists: tied entries may swap, also across the cut-off. */
    const char *top = "{\"top\": [[1, 1, 1, 10.0, 1.0], [2, 1, 1, 5.0, 1.0]]}";
    CHECK(cmp("groupby", top, "{\"top\": [[1, 1, 1, 10.0, 1.0], [3, 2, 2, 5.0, 2.0]]}") == 0,
          "entries tied on revenue may swap across the top list's cut-off");
    CHECK(cmp("groupby", top, "{\"top\": [[1, 1, 1, 10.0, 1.0], [3, 2, 2, 4.0, 2.0]]}") < 0,
          "a top list whose ranking value differs at the cut-off is a different result");
    CHECK(cmp("groupby", top, "{\"top\": [[1, 1, 1, 10.0, 1.0], [2, 9, 1, 5.0, 1.0]]}") < 0,
          "an entry that names an expected key must match that entry whole");
    CHECK(cmp("stream-score", "{\"top_users\": [[5, 3], [7, 2]]}",
              "{\"top_users\": [[5, 3], [9, 2]]}") == 0,
          "stream-score users tied on score may swap across the cut-off");
    CHECK(cmp("stream-score", "{\"top_users\": [[5, 3], [7, 2]]}",
              "{\"top_users\": [[7, 2], [5, 3]]}") < 0,
          "stream-score users out of rank order are a different result");
    CHECK(check_known_task("stream-score") && !check_known_task("sort"),
          "check_known_task knows stream-score and not an unknown task");
}

TEST(test_validate)
{
    struct engine_output o;
    char why[256];
    CHECK(validate_output("{\"task\": \"numeric\", \"threads\": 2, \"result\": {}, "
                          "\"timings\": {\"total_s\": 0.5, \"load_s\": null, "
                          "\"compute_s\": null}}", "numeric", 2, &o, why, sizeof why) == 0,
          "a well-formed engine output for the asked task and thread count is accepted");
    CHECK(o.total_s == 0.5 && o.load_s < 0 && o.threads_used == 2,
          "the output's timings are read, a null load time is negative, and the thread count "
          "is kept");
    validate_free(&o);
    CHECK(validate_output("garbage", "numeric", 2, &o, why, sizeof why) < 0,
          "engine output that is not JSON is refused");
    validate_free(&o);
    CHECK(validate_output("{\"task\": \"join\", \"threads\": 2, \"result\": {}, "
                          "\"timings\": {\"total_s\": 0.5}}", "numeric", 2, &o, why,
                          sizeof why) < 0,
          "engine output for another task than the one asked is refused");
    validate_free(&o);
    CHECK(validate_output("{\"task\": \"numeric\", \"threads\": 2, \"result\": {}, "
                          "\"timings\": {\"total_s\": -1}}", "numeric", 2, &o, why,
                          sizeof why) < 0, "a negative total time is refused");
    validate_free(&o);
    CHECK(validate_output("{\"task\": \"numeric\", \"threads\": 1, \"result\": {}, "
                          "\"timings\": {\"total_s\": 1}}", "numeric", 2, &o, why,
                          sizeof why) < 0,
          "an engine reporting another thread count than asked is refused");
    validate_free(&o);
}

#include "../../agent/plan.h"
#include "../../common/strset.h"

TEST(test_plan)
{
    json_t *plan = json_loads(
        "{\"tasks\": [\"numeric\", \"join\"], \"threads\": [1, \"all\", 4, 1],"
        " \"repeats\": 3, \"warmups\": 1, \"order_seed\": 42,"
        " \"engines\": [{\"name\": \"a\", \"tasks\": [\"numeric\", \"join\"]},"
        "               {\"name\": \"b\", \"tasks\": [\"join\"]}],"
        " \"done\": [[\"join\", \"b\", 4, 2]]}", 0, NULL);
    struct plan_job *j;
    /* "all" is 4 cores here, so threads are {1, 4}; 3 combos x 2 threads. */
    size_t n = plan_expand(plan, 4, &j);
    CHECK(n == 6 * 4,
          "two threads counts (\"all\" is 4) times 3 task-engine combos times 1 warmup and 3 "
          "repeats is 24 jobs");
    int in_order = 1, warm_first = 1;
    for (size_t k = 0; k < n; k++) {
        in_order &= j[k].repeat == (int)(k / 6) - 1;
        warm_first &= (k < 6) == (j[k].repeat < 0);
    }
    CHECK(in_order && warm_first,
          "the warmup round comes first and each round of 6 jobs holds one repeat, in order");
    /* Each round holds each (task, engine, threads) once. */
    int once = 1;
    for (size_t r = 0; r < 4; r++)
        for (size_t a = 0; a < 6; a++)
            for (size_t b = a + 1; b < 6; b++) {
                struct plan_job *x = &j[r * 6 + a], *y = &j[r * 6 + b];
                once &= !(x->task_idx == y->task_idx && x->engine_idx == y->engine_idx &&
                          x->threads == y->threads);
            }
    CHECK(once, "each round holds each (task, engine, threads) once");
    /* Rounds are shuffled differently; the same seed gives the same order. */
    int differs = 0;
    for (size_t a = 0; a < 6; a++)
        differs |= j[a].task_idx != j[6 + a].task_idx || j[a].threads != j[6 + a].threads ||
                   j[a].engine_idx != j[6 + a].engine_idx;
    CHECK(differs, "the second round is shuffled differently from the first");
    struct plan_job *j2;
    CHECK(plan_expand(plan, 4, &j2) == n && memcmp(j, j2, n * sizeof *j) == 0,
          "the same plan and seed give the same job order");
    /* The runs plan.done lists are the agent's done set: one job here. */
    struct strset done_set;
    strset_init(&done_set);
    plan_done_add(plan, &done_set);
    size_t done = 0;
    for (size_t k = 0; k < n; k++) {
        json_t *eng = json_array_get(json_object_get(plan, "engines"), (size_t)j[k].engine_idx);
        char *key = plan_job_key(j[k].task, json_string_value(json_object_get(eng, "name")),
                                 j[k].threads, j[k].repeat);
        done += (size_t)strset_has(&done_set, key);
        free(key);
    }
    CHECK(done == 1 && done_set.n == 1,
          "the done set of plan.done holds exactly the one job listed, and it is planned");
    strset_free(&done_set);
    free(j);
    free(j2);
    json_object_set_new(plan, "threads", json_pack("[i, s]", 1, "all"));
    CHECK(plan_expand(plan, 1, &j) == 3 * 4,
          "\"all\" on a 1-core host joins the thread count 1, so 3 combos times 4 rounds remain");
    free(j);
    json_decref(plan);
}
