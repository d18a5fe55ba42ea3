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
    CHECK((p = csv_uint("0,", ',', &v)) && v == 0 && *p == '\0',
          "csv_uint reads 0 and returns the character after its delimiter");
    CHECK(csv_uint("123\n", '\n', &v) && v == 123,
          "csv_uint reads a field that ends the line at '\n'");
    CHECK(csv_uint("9999999999999999999,", ',', &v) && v == 9999999999999999999ULL,
          "the largest 19-digit count fits a uint64_t and is read exactly");
    CHECK(!csv_uint("99999999999999999999,", ',', &v),
          "a 20-digit count is refused rather than wrapped");
    CHECK(!csv_uint(",", ',', &v), "an empty count field is refused");
    CHECK(!csv_uint("-1,", ',', &v), "a count with a minus sign is refused");
    CHECK(!csv_uint("+1,", ',', &v), "a count with a plus sign is refused");
    CHECK(!csv_uint("1e5,", ',', &v), "a count in exponent notation is refused");
    CHECK(!csv_uint("12 ,", ',', &v), "a count with a trailing space is refused");
    CHECK(!csv_uint("12\r\n", '\n', &v),
          "a count followed by a carriage return is refused (no CRLF lines)");
    CHECK(!csv_uint("12\n", ',', &v), "a line that ends before the field's ',' is refused");
    CHECK(csv_uint("007,", ',', &v) && v == 7, "leading zeros are allowed in a count");
}

TEST(test_csv_money)
{
    uint64_t c = 1;
    CHECK(csv_money("0.00,", ',', &c) && c == 0, "csv_money reads 0.00 as 0 cents");
    CHECK(csv_money("12.34\n", '\n', &c) && c == 1234,
          "csv_money reads the last field of a line (12.34 is 1234 cents)");
    CHECK(csv_money("1999.01,", ',', &c) && c == 199901,
          "csv_money keeps every cent (1999.01 is 199901 cents)");
    CHECK(csv_money("99999999999999.99,", ',', &c) && c == 9999999999999999ULL,
          "the largest money value the format allows is read exactly in cents");
    CHECK(!csv_money("12.3,", ',', &c),
          "money with one decimal is refused (exactly two are required)");
    CHECK(!csv_money("12.345,", ',', &c), "money with three decimals is refused");
    CHECK(!csv_money(".34,", ',', &c), "money without an integer part is refused");
    CHECK(!csv_money("12,", ',', &c), "money without a decimal point is refused");
    CHECK(!csv_money("-1.00,", ',', &c), "negative money is refused");
    CHECK(!csv_money("1.a0,", ',', &c), "money with a letter among its decimals is refused");
    CHECK(!csv_money("12.34\r\n", '\n', &c), "money followed by a carriage return is refused");
    CHECK(!csv_money("1e2.00,", ',', &c), "money in exponent notation is refused");
}

TEST(test_csv_discount)
{
    unsigned d = 9;
    CHECK(csv_discount("0.00,", ',', &d) && d == 0, "csv_discount reads 0.00 as 0 percent");
    CHECK(csv_discount("0.30,", ',', &d) && d == 30, "csv_discount reads 0.30 as 30 percent");
    CHECK(csv_discount("0.05\n", '\n', &d) && d == 5,
          "csv_discount reads the last field of a line (0.05 is 5 percent)");
    CHECK(!csv_discount("1.00,", ',', &d), "a discount of 1.00 (100 percent) is refused");
    CHECK(!csv_discount("0.5,", ',', &d), "a discount with one decimal is refused");
    CHECK(!csv_discount("0.050,", ',', &d), "a discount with three decimals is refused");
    CHECK(!csv_discount(".05,", ',', &d), "a discount without its leading 0 is refused");
}

TEST(test_csv_skip_enum)
{
    int i = -1;
    const char *p;
    CHECK((p = csv_skip("anything,x", ',')) && *p == 'x',
          "csv_skip steps over a counted field to the one after its delimiter");
    CHECK(!csv_skip("no delimiter\n", ','),
          "csv_skip refuses a field that reaches the end of the line before its delimiter");
    CHECK(!csv_skip("cr\r\n", '\n'), "csv_skip refuses a carriage return in the last field");
    CHECK(csv_skip(",", ',') != NULL, "an empty field that is only counted is accepted");
    CHECK(csv_enum("partner\n", '\n', csv_channels, N_CHANNELS, &i) && i == CH_PARTNER,
          "csv_enum finds partner as the last field of a line");
    CHECK(csv_enum("web,", ',', csv_channels, N_CHANNELS, &i) && i == CH_WEB,
          "csv_enum finds web before a ','");
    CHECK(!csv_enum("webx,", ',', csv_channels, N_CHANNELS, &i),
          "a channel name with extra characters is not taken for web");
    CHECK(!csv_enum("we,", ',', csv_channels, N_CHANNELS, &i),
          "a prefix of a channel name is not taken for it");
    CHECK(!csv_enum("partner\r\n", '\n', csv_channels, N_CHANNELS, &i),
          "a channel followed by a carriage return is refused");
    CHECK(csv_enum("password_reset,", ',', csv_stream_types, N_STREAM_TYPES, &i) &&
          i == ST_PASSWORD_RESET, "csv_enum finds password_reset among the stream types");
    CHECK(!csv_enum("View,", ',', csv_stream_types, N_STREAM_TYPES, &i),
          "stream type names are matched case-sensitively (View is not view)");
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
    CHECK(mkdtemp(dir) != NULL, "a temporary directory for the test files is made");
    struct csv_file f;
    struct err e = {0};
    const char *H = "user_id,ts,event_type,amount\n";
    char text[256];

    CHECK(csv_open(&f, dir, "events.csv", &e) < 0 && strstr(e.msg, "cannot open"),
          "a missing file is an error saying it cannot be opened");
    write_tmp(dir, "events.csv", "");
    CHECK(csv_open(&f, dir, "events.csv", &e) < 0 && strstr(e.msg, "events.csv:1: empty"),
          "an empty file is refused at line 1");
    write_tmp(dir, "events.csv", H);
    CHECK(csv_open(&f, dir, "events.csv", &e) < 0 && strstr(e.msg, "events.csv:2: no data"),
          "a file with only the header is refused at line 2 for having no data");
    write_tmp(dir, "events.csv", "user_id,ts,type,amount\n1,2,view,0.00\n");
    CHECK(csv_open(&f, dir, "events.csv", &e) < 0 && strstr(e.msg, "events.csv:1: header"),
          "a header with a wrong column name is refused at line 1");

    /* The last line without '\n' is left out of data..end and flagged. */
    snprintf(text, sizeof text, "%s1,2,view,0.00\n3,4,cart,1.00", H);
    write_tmp(dir, "events.csv", text);
    CHECK(csv_open(&f, dir, "events.csv", &e) == 0,
          "a file whose last line has no newline still opens");
    CHECK(f.truncated && f.end - f.data == 14,
          "the unterminated last line is left out of data..end and flagged as truncated");
    CHECK(csv_truncated(&f, &e) < 0 && !strcmp(e.msg, "events.csv:3: last line does not "
                                                 "end with a newline"),
          "csv_truncated names the unterminated line by its number");
    csv_close(&f);

    /* Wrong field count, a bad field, a carriage return. */
    snprintf(text, sizeof text, "%s1,2,view\n1,x,view,0.00\n1,2,view,0.00\r\n", H);
    write_tmp(dir, "events.csv", text);
    CHECK(csv_open(&f, dir, "events.csv", &e) == 0,
          "a file with bad lines after a good header opens (lines are checked by the reader)");
    const char *l2 = f.data, *l3 = strchr(l2, '\n') + 1, *l4 = strchr(l3, '\n') + 1;
    CHECK(csv_bad_line(&f, 2, l2, 3, &e) < 0 &&
          !strcmp(e.msg, "events.csv:2: expected 4 fields, found 3"),
          "a line with too few fields is reported with its number and field counts");
    CHECK(csv_bad_line(&f, 3, l3, 1, &e) < 0 && !strcmp(e.msg, "events.csv:3: bad ts 'x'"),
          "a bad field is reported with its column name and its text");
    CHECK(csv_bad_line(&f, 4, l4, 3, &e) < 0 &&
          !strcmp(e.msg, "events.csv:4: carriage return in line"),
          "a carriage return is reported as such, with the line's number");
    CHECK(csv_line_of(&f, l4) == 4, "csv_line_of gives the number of the line a pointer starts");

    /* Splits land on line starts and cover everything exactly once. */
    const char *cut[9];
    csv_split(&f, 8, cut);
    CHECK(cut[0] == f.data && cut[8] == f.end,
          "the first piece of a split starts at data and the last ends at end");
    for (int i = 1; i < 8; i++)
        CHECK(cut[i] >= cut[i - 1] && (cut[i] == f.end || cut[i][-1] == '\n'),
              "every split point is a line start, and the points never go backwards");
    csv_close(&f);

    snprintf(text, sizeof text, "rm -rf %s", dir);
    CHECK(system(text) == 0, "the temporary directory is removed");
}

TEST(test_revenue_fast)
{
    int same = 1;
    for (unsigned d = 0; d < 100; d++)
        for (uint64_t q = 1; q <= 10; q++)
            for (uint64_t c = 0; c < 100000; c += 37)
                same &= revenue_fast(q, c, d) == revenue(q, c, d);
    CHECK(same,
          "revenue_fast gives bit for bit what revenue gives for every discount, quantity and "
          "price");
}

TEST(test_score_weight_flat)
{
    int same = 1;
    for (int type = 0; type < 6; type++)
        for (uint64_t c = 0; c < 2000000; c += 7)
            same &= score_weight_flat(type, c) == score_weight(type, c);
    CHECK(same,
          "score_weight_flat gives bit for bit what score_weight gives for every stream type");
    CHECK(score_weight_flat(0, 123456789012ULL) == score_weight(0, 123456789012ULL),
          "score_weight_flat agrees with score_weight on an amount beyond 32 bits");
}
