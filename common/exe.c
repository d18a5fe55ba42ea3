#include "exe.h"
#include "xmalloc.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

char *exe_root(void)
{
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
    char *root = xstrdup(dirname(dirname(dir)));
    free(dir);
    return root;
}
