#include "agent.h"
#include "../common/buf.h"
#include "../common/exe.h"
#include "../common/xmalloc.h"

#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *root, *home, *python;

const char *agent_root(void)
{
    if (!root)
        root = exe_root();
    return root;
}

const char *agent_home(void)
{
    if (home)
        return home;
    const char *h = getenv("HOTPATH_HOME");
    if (h && *h)
        home = xstrdup(h);
    else
        home = xasprintf("%s/.cache/hotpath", getenv("HOME") ? getenv("HOME") : "/tmp");
    return home;
}

const char *agent_default_python(void)
{
    if (python)
        return python;
    char *venv = xasprintf("%s/.venv/bin/python", agent_root());
    if (access(venv, X_OK) == 0) {
        python = venv;
    } else {
        free(venv);
        python = xstrdup("python3");
    }
    return python;
}

char *agent_host_path(const char *path, int fake)
{
    const char *root = NULL;
    if ((fake & AGENT_FAKE_SYS) && !strncmp(path, "/sys/", 5))
        root = getenv("HOTPATH_SYSFS_ROOT");
    else if ((fake & AGENT_FAKE_PROC) && !strncmp(path, "/proc/", 6))
        root = getenv("HOTPATH_PROCFS_ROOT");
    return xasprintf("%s%s", root ? root : "", path);
}

char *agent_file_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, 1 << 22);
    int rc = buf_read(&b, f);
    fclose(f);
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}

char *agent_trim_end(char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

char *agent_file_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[512];
    char *s = fgets(line, sizeof line, f) ? xstrdup(line) : NULL;
    fclose(f);
    if (s)
        s[strcspn(s, "\r\n")] = '\0';
    return s;
}
