/* Quoting for remote shells: every argument sent over SSH goes through
 * here (ssh.h). */
#include "ssh.h"

#include <string.h>

void ssh_quote(struct buf *out, const char *arg)
{
    if (*arg && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789-_./=:@,+%") == strlen(arg)) {
        buf_puts(out, arg);
        return;
    }
    buf_puts(out, "'");
    for (const char *p = arg; *p; p++) {
        if (*p == '\'')
            buf_puts(out, "'\\''");
        else
            buf_add(out, p, 1);
    }
    buf_puts(out, "'");
}

