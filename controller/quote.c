/* Remote command lines: every argument sent over SSH is quoted here
 * (ssh.h). No libssh2 in this file, so the unit tests build it. */
#include "ssh.h"
#include "cfg.h"
#include "../common/xmalloc.h"

#include <stdlib.h>
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


char *ssh_command(const struct host_cfg *h, char *const *argv)
{
    struct buf b;
    buf_init(&b, 1 << 20);    /* a command line */
    if (h->exec_prefix) {
        char *p = xstrdup(h->exec_prefix), *save = NULL;
        for (char *w = strtok_r(p, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            ssh_quote(&b, w);
            buf_puts(&b, " ");
        }
        free(p);
    }
    for (int i = 0; argv[i]; i++) {
        if (i)
            buf_puts(&b, " ");
        ssh_quote(&b, argv[i]);
    }
    return buf_detach(&b);
}

int ssh_agent_argv(const struct host_cfg *h, const char *bdir, char **argv, char **owned)
{
    int n = 0;
    owned[0] = owned[1] = NULL;
    if (h->workdir) {
        argv[n++] = "env";
        argv[n++] = owned[0] = xasprintf("HOTPATH_HOME=%s", h->workdir);
    }
    argv[n++] = owned[1] = xasprintf("%s/bin/hotpath-agent", bdir);
    return n;
}
