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
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    hex_of("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m, strlen(m), hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    /* Fed in odd pieces, the digest is the same. */
    struct sha256 h;
    unsigned char d[32];
    char hex2[65];
    sha256_init(&h);
    for (size_t i = 0; i < strlen(m); i += 7)
        sha256_update(&h, m + i, strlen(m) - i < 7 ? strlen(m) - i : 7);
    sha256_final(&h, d);
    sha256_hex(d, hex2);
    CHECK(!strcmp(hex, hex2));
}

TEST(test_buf)
{
    struct buf b;
    buf_init(&b, 8);
    CHECK(buf_puts(&b, "abcd") == 0);
    CHECK(buf_printf(&b, "%d", 1234) == 0 && !strcmp(b.data, "abcd1234"));
    CHECK(buf_puts(&b, "x") < 0 && b.len == 8);     /* the cap holds */
    char *s = buf_detach(&b);
    CHECK(!strcmp(s, "abcd1234") && b.len == 0);
    free(s);
    buf_free(&b);
}

TEST(test_splitmix)
{
    /* First outputs for state 0, the published reference values. */
    uint64_t s = 0;
    CHECK(gen_splitmix_next(&s) == 0xe220a8397b1dcdafULL);
    CHECK(gen_splitmix_next(&s) == 0x6e789e6aa1b965f4ULL);
    struct gen_profile p;
    CHECK(gen_profile_lookup("seed", &p) == 0 && p.facts == 5000000 && p.points == 50000000);
    CHECK(gen_users(&p) == 100000);
    CHECK(gen_profile_lookup("huge", &p) < 0);
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
              "{\"n\": 3, \"mean\": 1.0000000000001, \"std\": 2.0000001}") == 0);
    CHECK(cmp("numeric", "{\"n\": 3, \"mean\": 1.0, \"std\": 2.0}",
              "{\"n\": 3, \"mean\": 1.00001, \"std\": 2.0}") < 0);
    CHECK(cmp("numeric", "{\"n\": 3, \"mean\": 1.0, \"std\": 2.0}",
              "{\"n\": 3, \"mean\": 1.0, \"std\": 2.001}") < 0);
    CHECK(cmp("numeric", "{\"n\": 3, \"mean\": 1.0, \"std\": 2.0}",
              "{\"n\": 4, \"mean\": 1.0, \"std\": 2.0}") < 0);
    CHECK(cmp("numeric", "{\"n\": 3}", "{\"n\": 3.0}") < 0);      /* integers stay integers */
    CHECK(cmp("numeric", "{\"n\": 3}", "{\"n\": 3, \"x\": 1}") < 0);  /* extra key */
    CHECK(cmp("join", "{\"s\": [[\"a\", 1]]}", "{\"s\": [[\"b\", 1]]}") < 0);
    /* Ranked lists: tied entries may swap, also across the cut-off. */
    const char *top = "{\"top\": [[1, 1, 1, 10.0, 1.0], [2, 1, 1, 5.0, 1.0]]}";
    CHECK(cmp("groupby", top, "{\"top\": [[1, 1, 1, 10.0, 1.0], [3, 2, 2, 5.0, 2.0]]}") == 0);
    CHECK(cmp("groupby", top, "{\"top\": [[1, 1, 1, 10.0, 1.0], [3, 2, 2, 4.0, 2.0]]}") < 0);
    CHECK(cmp("groupby", top, "{\"top\": [[1, 1, 1, 10.0, 1.0], [2, 9, 1, 5.0, 1.0]]}") < 0);
    CHECK(cmp("stream-score", "{\"top_users\": [[5, 3], [7, 2]]}",
              "{\"top_users\": [[5, 3], [9, 2]]}") == 0);
    CHECK(cmp("stream-score", "{\"top_users\": [[5, 3], [7, 2]]}",
              "{\"top_users\": [[7, 2], [5, 3]]}") < 0);
    CHECK(check_known_task("stream-score") && !check_known_task("sort"));
}

TEST(test_validate)
{
    struct engine_output o;
    char why[256];
    CHECK(validate_output("{\"task\": \"numeric\", \"threads\": 2, \"result\": {}, "
                          "\"timings\": {\"total_s\": 0.5, \"load_s\": null, "
                          "\"compute_s\": null}}", "numeric", 2, &o, why, sizeof why) == 0);
    CHECK(o.total_s == 0.5 && o.load_s < 0 && o.threads_used == 2);
    validate_free(&o);
    CHECK(validate_output("garbage", "numeric", 2, &o, why, sizeof why) < 0);
    validate_free(&o);
    CHECK(validate_output("{\"task\": \"join\", \"threads\": 2, \"result\": {}, "
                          "\"timings\": {\"total_s\": 0.5}}", "numeric", 2, &o, why,
                          sizeof why) < 0);
    validate_free(&o);
    CHECK(validate_output("{\"task\": \"numeric\", \"threads\": 2, \"result\": {}, "
                          "\"timings\": {\"total_s\": -1}}", "numeric", 2, &o, why,
                          sizeof why) < 0);
    validate_free(&o);
    CHECK(validate_output("{\"task\": \"numeric\", \"threads\": 1, \"result\": {}, "
                          "\"timings\": {\"total_s\": 1}}", "numeric", 2, &o, why,
                          sizeof why) < 0);
    validate_free(&o);
}
