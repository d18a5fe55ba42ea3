#include "agent.h"
#include "../common/exe.h"
#include "../common/xmalloc.h"

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
