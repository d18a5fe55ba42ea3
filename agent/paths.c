#include "agent.h"
#include "../common/xmalloc.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

static char *root, *home, *python;

const char *agent_root(void)
{
    if (root)
        return root;
    char exe[PATH_MAX] = "";
#ifdef __APPLE__
    uint32_t n = sizeof exe;
    if (_NSGetExecutablePath(exe, &n) != 0)
        exe[0] = '\0';
#else
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
#endif
    char *real = realpath(exe, NULL);
    char *dir = xstrdup(real ? real : ".");
    free(real);
    /* bin/hotpath-agent -> the bundle root */
    root = xstrdup(dirname(dirname(dir)));
    free(dir);
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
