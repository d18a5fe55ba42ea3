/* c-threads' entry: threads.c built for x86-64-v3 where the CPU has what
 * that build uses (common/cpu.c), else built for the baseline;
 * HOTPATH_BASELINE=1 in the environment asks for the baseline build (the
 * tests run both). Elsewhere there is one build, and this file just calls
 * it. */
#include "../../common/cpu.h"

#include <stdlib.h>

int threads_main_base(int argc, char **argv);
int threads_main_v3(int argc, char **argv);

int main(int argc, char **argv)
{
#if defined(HP_HAVE_V3)
    const char *base = getenv("HOTPATH_BASELINE");
    if ((!base || !*base || *base == '0') && cpu_has_v3())
        return threads_main_v3(argc, argv);
#endif
    return threads_main_base(argc, argv);
}
