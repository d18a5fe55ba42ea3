#include "harness.h"
#include "../../workloads/c/csv.h"
#include "../../workloads/c/tasks.h"
#include "../../common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TEST(test_csv_uint)
{
    uint64_t v = 7;
    const char *p;
    CHECK((p = csv_uint("0,", ',', &v)) && v == 0 && *p == '\0');
    CHECK(csv_uint("123\n", '\n', &v) && v == 123);
    CHECK(csv_uint("9999999999999999999,", ',', &v) && v == 9999999999999999999ULL);
    CHECK(!csv_uint("99999999999999999999,", ',', &v));     /* 20 digits */
    CHECK(!csv_uint(",", ',', &v));                          /* empty */
    CHECK(!csv_uint("-1,", ',', &v));
    CHECK(!csv_uint("+1,", ',', &v));
    CHECK(!csv_uint("1e5,", ',', &v));
    CHECK(!csv_uint("12 ,", ',', &v));
    CHECK(!csv_uint("12\r\n", '\n', &v));
    CHECK(!csv_uint("12\n", ',', &v));                       /* line ends early */
    CHECK(csv_uint("007,", ',', &v) && v == 7);
}

TEST(test_csv_money)
{
    uint64_t c = 1;
    CHECK(csv_money("0.00,", ',', &c) && c == 0);
    CHECK(csv_money("12.34\n", '\n', &c) && c == 1234);
    CHECK(csv_money("1999.01,", ',', &c) && c == 199901);
    CHECK(csv_money("99999999999999.99,", ',', &c) && c == 9999999999999999ULL);
    CHECK(!csv_money("12.3,", ',', &c));
    CHECK(!csv_money("12.345,", ',', &c));
    CHECK(!csv_money(".34,", ',', &c));
    CHECK(!csv_money("12,", ',', &c));
    CHECK(!csv_money("-1.00,", ',', &c));
    CHECK(!csv_money("1.a0,", ',', &c));
    CHECK(!csv_money("12.34\r\n", '\n', &c));
    CHECK(!csv_money("1e2.00,", ',', &c));
}

TEST(test_csv_discount)
{
    unsigned d = 9;
    CHECK(csv_discount("0.00,", ',', &d) && d == 0);
    CHECK(csv_discount("0.30,", ',', &d) && d == 30);
    CHECK(csv_discount("0.05\n", '\n', &d) && d == 5);
    CHECK(!csv_discount("1.00,", ',', &d));
    CHECK(!csv_discount("0.5,", ',', &d));
    CHECK(!csv_discount("0.050,", ',', &d));
    CHECK(!csv_discount(".05,", ',', &d));
}

TEST(test_csv_skip_enum)
{
    int i = -1;
    const char *p;
    CHECK((p = csv_skip("anything,x", ',')) && *p == 'x');
    CHECK(!csv_skip("no delimiter\n", ','));
    CHECK(!csv_skip("cr\r\n", '\n'));
    CHECK(csv_skip(",", ',') != NULL);                       /* empty unused field */
    CHECK(csv_enum("partner\n", '\n', csv_channels, N_CHANNELS, &i) && i == CH_PARTNER);
    CHECK(csv_enum("web,", ',', csv_channels, N_CHANNELS, &i) && i == CH_WEB);
    CHECK(!csv_enum("webx,", ',', csv_channels, N_CHANNELS, &i));
    CHECK(!csv_enum("we,", ',', csv_channels, N_CHANNELS, &i));
    CHECK(!csv_enum("partner\r\n", '\n', csv_channels, N_CHANNELS, &i));
    CHECK(csv_enum("password_reset,", ',', csv_stream_types, N_STREAM_TYPES, &i) &&
          i == ST_PASSWORD_RESET);
    CHECK(!csv_enum("View,", ',', csv_stream_types, N_STREAM_TYPES, &i));
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

TEST(test_csv_file)
{
    char dir[] = "/tmp/hp-unit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct csv_file f;
    struct err e = {0};
    const char *H = "user_id,ts,event_type,amount\n";
    char text[256];

    CHECK(csv_open(&f, dir, "events.csv", &e) < 0 && strstr(e.msg, "cannot open"));
    write_tmp(dir, "events.csv", "");
    CHECK(csv_open(&f, dir, "events.csv", &e) < 0 && strstr(e.msg, "events.csv:1: empty"));
    write_tmp(dir, "events.csv", H);
    CHECK(csv_open(&f, dir, "events.csv", &e) < 0 && strstr(e.msg, "events.csv:2: no data"));
    write_tmp(dir, "events.csv", "user_id,ts,type,amount\n1,2,view,0.00\n");
    CHECK(csv_open(&f, dir, "events.csv", &e) < 0 && strstr(e.msg, "events.csv:1: header"));

    /* The last line without '\n' is left out of data..end and flagged. */
    snprintf(text, sizeof text, "%s1,2,view,0.00\n3,4,cart,1.00", H);
    write_tmp(dir, "events.csv", text);
    CHECK(csv_open(&f, dir, "events.csv", &e) == 0);
    CHECK(f.truncated && f.end - f.data == 14);
    CHECK(csv_truncated(&f, &e) < 0 && !strcmp(e.msg, "events.csv:3: last line does not "
                                                 "end with a newline"));
    csv_close(&f);

    /* Wrong field count, a bad field, a carriage return. */
    snprintf(text, sizeof text, "%s1,2,view\n1,x,view,0.00\n1,2,view,0.00\r\n", H);
    write_tmp(dir, "events.csv", text);
    CHECK(csv_open(&f, dir, "events.csv", &e) == 0);
    const char *l2 = f.data, *l3 = strchr(l2, '\n') + 1, *l4 = strchr(l3, '\n') + 1;
    CHECK(csv_bad_line(&f, 2, l2, 3, &e) < 0 &&
          !strcmp(e.msg, "events.csv:2: expected 4 fields, found 3"));
    CHECK(csv_bad_line(&f, 3, l3, 1, &e) < 0 && !strcmp(e.msg, "events.csv:3: bad ts 'x'"));
    CHECK(csv_bad_line(&f, 4, l4, 3, &e) < 0 &&
          !strcmp(e.msg, "events.csv:4: carriage return in line"));
    CHECK(csv_line_of(&f, l4) == 4);

    /* Splits land on line starts and cover everything exactly once. */
    const char *cut[9];
    csv_split(&f, 8, cut);
    CHECK(cut[0] == f.data && cut[8] == f.end);
    for (int i = 1; i < 8; i++)
        CHECK(cut[i] >= cut[i - 1] && (cut[i] == f.end || cut[i][-1] == '\n'));
    csv_close(&f);

    snprintf(text, sizeof text, "rm -rf %s", dir);
    CHECK(system(text) == 0);
}

TEST(test_revenue_fast)
{
    int same = 1;
    for (unsigned d = 0; d < 100; d++)
        for (uint64_t q = 1; q <= 10; q++)
            for (uint64_t c = 0; c < 100000; c += 37)
                same &= revenue_fast(q, c, d) == revenue(q, c, d);
    CHECK(same);
}

TEST(test_score_weight_flat)
{
    int same = 1;
    for (int type = 0; type < 6; type++)
        for (uint64_t c = 0; c < 2000000; c += 7)
            same &= score_weight_flat(type, c) == score_weight(type, c);
    CHECK(same);
    CHECK(score_weight_flat(0, 123456789012ULL) == score_weight(0, 123456789012ULL));
}
