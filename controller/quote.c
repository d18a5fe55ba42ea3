/* Remote command lines: every argument sent over SSH is quoted here
 * (ssh.h). No libssh2 in this file, so the unit tests build it. */
#include "ssh.h"
#include "cfg.h"
#include "../common/xmalloc.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define SAFE "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+\\"

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
    int cmd = h->exec_shell && !strcmp(h->exec_shell, "cmd");
    struct buf b, posix;
    buf_init(&b, 1 << 20);    /* a command line */
    buf_init(&posix, 1 << 20);
    if (h->exec_prefix) {
        char *p = xstrdup(h->exec_prefix), *save = NULL;
        for (char *w = strtok_r(p, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            if (!cmd)
                ssh_quote(&b, w);
            else if (ssh_cmd_word(&b, w) < 0)
                buf_printf(&b, "\"%s\"", w);      /* refused by cfg_load already */
            buf_puts(&b, " ");
        }
        free(p);
    }
    for (int i = 0; argv[i]; i++) {
        if (i)
            buf_puts(&posix, " ");
        ssh_quote(&posix, argv[i]);
    }
    /* cmd.exe would read &, |, <, >, ^ and % in the POSIX words itself. */
    if (cmd)
        ssh_wrap_cmd(&b, posix.data ? posix.data : "");
    else
        buf_puts(&b, posix.data ? posix.data : "");
    buf_free(&posix);
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

int ssh_cmd_word(struct buf *out, const char *arg)
{
    /* cmd.exe expands %VAR% even inside quotes, and a quote cannot be
     * escaped: such words cannot be passed. */
    if (!*arg || strpbrk(arg, "%\"\r\n!"))
        return -1;
    int bare = strspn(arg, SAFE) == strlen(arg);
    buf_printf(out, bare ? "%s" : "\"%s\"", arg);
    return 0;
}

void ssh_wrap_cmd(struct buf *out, const char *posix_cmd)
{
    size_t n = strlen(posix_cmd);
    unsigned char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock(b64, (const unsigned char *)posix_cmd, (int)n);
    buf_printf(out, "sh -c \"echo %s | base64 -d | sh\"", (char *)b64);
    free(b64);
}

char *ssh_sftp_path(const struct host_cfg *h, const char *path)
{
    size_t n = h->workdir ? strlen(h->workdir) : 0;
    if (h->sftp_workdir && n && !strncmp(path, h->workdir, n) &&
        (path[n] == '/' || !path[n]))
        return xasprintf("%s%s", h->sftp_workdir, path + n);
    return xstrdup(path);
}
