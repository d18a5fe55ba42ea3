#include "harness.h"
#include "../../common/err.h"

#include <string.h>

TEST(test_err_set)
{
    /* A message may wrap the one already in e (a cause, in parentheses). */
    struct err e = {0};
    err_set(&e, 1, "h3: cannot connect to 198.18.0.3 port 22: refused");
    err_set(&e, 2, "h3: lost: no connection for %d s (%s)", 6, e.msg);
    CHECK(!strcmp(e.msg, "h3: lost: no connection for 6 s (h3: cannot connect to 198.18.0.3 "
                         "port 22: refused)") && e.code == 2,
          "a message may wrap the one already in e as its cause, and the code is the newer one");
    CHECK(err_set(NULL, 1, "nowhere") == -1,
          "err_set with no err returns -1 so a caller can write return err_set(...)");
}
