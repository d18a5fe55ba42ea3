#include "harness.h"
#include "../../common/buf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(test_buf_cap)
{
    /* An overrun is refused whole, and stays visible afterwards. */
    struct buf b;
    buf_init(&b, 4);
    CHECK(buf_add(&b, "abc", 3) == 0 && !b.overrun,
          "what fits under the cap is added and no overrun is flagged");
    CHECK(buf_add(&b, "de", 2) < 0 && b.len == 3 && !strcmp(b.data, "abc"),
          "an add that would pass the cap is refused whole, leaving the buffer as it was");
    CHECK(buf_puts(&b, "d") == 0 && b.overrun,
          "what still fits goes in after a refusal, and the overrun flag stays set");
    buf_free(&b);
    /* A buffer without a cap is a bug that stops the program. The child's
     * exit flushes stdio: nothing of the parent's may be waiting in it. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(2);
        buf_init(&b, 0);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0,
          "buf_init without a cap stops the program instead of making an unbounded buffer");
}
