/* agent/paths.c: where the agent reads a host's /sys and /proc (tests may
 * fake each tree), and its small-file readers. */
#include "harness.h"
#include "../../agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is(char *got, const char *want)
{
    int same = got && want ? !strcmp(got, want) : got == NULL && want == NULL;
    free(got);
    return same;
}

TEST(test_agent_paths)
{
    setenv("HOTPATH_SYSFS_ROOT", "/fake-sys", 1);
    setenv("HOTPATH_PROCFS_ROOT", "/fake-proc", 1);
    CHECK(is(agent_host_path("/sys/class/dmi/id/sys_vendor", AGENT_FAKE_SYS),
             "/fake-sys/sys/class/dmi/id/sys_vendor"),
          "a /sys path goes under HOTPATH_SYSFS_ROOT when the caller lets /sys be faked");
    CHECK(is(agent_host_path("/proc/stat", AGENT_FAKE_SYS), "/proc/stat"),
          "a /proc path stays the host's when only /sys may be faked (the conditions)");
    CHECK(is(agent_host_path("/proc/cpuinfo", AGENT_FAKE_SYS | AGENT_FAKE_PROC),
             "/fake-proc/proc/cpuinfo"),
          "a /proc path goes under HOTPATH_PROCFS_ROOT when the caller lets /proc be faked");
    CHECK(is(agent_host_path("/system/x", AGENT_FAKE_SYS | AGENT_FAKE_PROC), "/system/x") &&
          is(agent_host_path("/etc/os-release", AGENT_FAKE_SYS | AGENT_FAKE_PROC),
             "/etc/os-release"),
          "only the /sys/ and /proc/ trees are faked, not names that merely start alike");
    unsetenv("HOTPATH_SYSFS_ROOT");
    unsetenv("HOTPATH_PROCFS_ROOT");
    CHECK(is(agent_host_path("/sys/x", AGENT_FAKE_SYS | AGENT_FAKE_PROC), "/sys/x"),
          "without the variables every path is the host's own");

    char dir[] = "/tmp/hp-paths-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "a temporary directory for the file readers is made");
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "%s/f", dir);
    FILE *f = fopen(path, "w");
    fputs("MemTotal: 8 kB\nSwapTotal: 0 kB\n \t\n", f);
    fclose(f);
    char *text = agent_file_text(path);
    CHECK(text && !strcmp(text, "MemTotal: 8 kB\nSwapTotal: 0 kB\n \t\n"),
          "agent_file_text reads a file whole, every line");
    CHECK(is(agent_trim_end(text), "MemTotal: 8 kB\nSwapTotal: 0 kB"),
          "agent_trim_end cuts the trailing spaces, tabs and newlines");
    CHECK(is(agent_file_line(path), "MemTotal: 8 kB"),
          "agent_file_line reads the first line without its newline");
    CHECK(agent_trim_end(NULL) == NULL, "agent_trim_end passes a file that was not read on");
    f = fopen(path, "w");
    fclose(f);
    CHECK(is(agent_file_text(path), ""), "an empty file's text is empty, not missing");
    f = fopen(path, "w");
    for (int i = 0; i < 5 * 1024; i++)
        fprintf(f, "%01023d\n", i);
    fclose(f);
    CHECK(agent_file_text(path) == NULL, "a file over 4 MiB is not read, rather than cut");
    unlink(path);
    CHECK(agent_file_text(path) == NULL, "a missing file has no text");
    rmdir(dir);
}
