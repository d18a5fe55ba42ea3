/* The conditions a timing was taken under, which change how it reads: the
 * CPU frequency governor and boost, SMT, battery power, thermal throttling,
 * swap in use and ASLR (per host and sweep), and the CPU time the rest of
 * the host took while an engine ran (per run). Best effort: what the host
 * does not expose is left out, never guessed. HOTPATH_SYSFS_ROOT puts a
 * folder before every /sys path read here, so tests can fake a laptop on
 * battery, a powersave governor or a throttling CPU. */
#include "agent.h"
#include "../common/xmalloc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __APPLE__
#include <mach/mach.h>
#include <sys/sysctl.h>
#endif

#ifdef __linux__ /* the readers of /sys and /proc */
/* Only /sys is faked here: /proc/stat and /proc/meminfo are the host's. */
static char *sys_path(const char *path)
{
    return agent_host_path(path, AGENT_FAKE_SYS);
}

/* The first line of a (small) file under the sysfs root, or NULL. */
static char *sys_line(const char *path)
{
    char *p = sys_path(path);
    char *s = agent_file_line(p);
    free(p);
    return s;
}

static long long sys_int(const char *path, long long missing)
{
    char *s = sys_line(path);
    long long v = s && *s ? strtoll(s, NULL, 10) : missing;
    free(s);
    return v;
}
#endif

#ifdef __linux__
/* Every CPU's governor: one name, or "mixed: a,b" when they differ. */
static void cond_governor(json_t *o)
{
    char *all = NULL;
    for (int c = 0; c < 4096; c++) {
        char path[96];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", c);
        char *g = sys_line(path);
        if (!g)
            break;
        if (!all) {
            all = g;
            continue;
        }
        if (strcmp(all, g) && !strstr(all, g)) {
            char *both = xasprintf("%s%s,%s", strncmp(all, "mixed: ", 7) ? "mixed: " : "",
                                   all, g);
            free(all);
            all = both;
        }
        free(g);
    }
    if (all)
        json_object_set_new(o, "governor", json_string(all));
    free(all);
}

static void cond_boost(json_t *o)
{
    long long boost = sys_int("/sys/devices/system/cpu/cpufreq/boost", -1);
    long long no_turbo = sys_int("/sys/devices/system/cpu/intel_pstate/no_turbo", -1);
    if (boost >= 0)
        json_object_set_new(o, "boost", json_boolean(boost == 1));
    else if (no_turbo >= 0)
        json_object_set_new(o, "boost", json_boolean(no_turbo == 0));
}

static void cond_smt(json_t *o)
{
    char *control = sys_line("/sys/devices/system/cpu/smt/control");
    long long active = sys_int("/sys/devices/system/cpu/smt/active", -1);
    if (control)
        json_object_set_new(o, "smt", json_string(control));
    else if (active >= 0)
        json_object_set_new(o, "smt", json_string(active ? "on" : "off"));
    free(control);
}

/* On battery: no mains adapter online and a battery discharging. */
static void cond_battery(json_t *o)
{
    char *dir = sys_path("/sys/class/power_supply");
    DIR *d = opendir(dir);
    free(dir);
    if (!d)
        return;
    int mains_online = 0, discharging = 0, batteries = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "/sys/class/power_supply/%s/type", de->d_name);
        char *type = sys_line(path);
        if (type && !strcmp(type, "Mains")) {
            snprintf(path, sizeof path, "/sys/class/power_supply/%s/online", de->d_name);
            mains_online |= sys_int(path, 0) == 1;
        } else if (type && !strcmp(type, "Battery")) {
            batteries++;
            snprintf(path, sizeof path, "/sys/class/power_supply/%s/status", de->d_name);
            char *status = sys_line(path);
            discharging |= status && !strcmp(status, "Discharging");
            free(status);
        }
        free(type);
    }
    closedir(d);
    json_object_set_new(o, "on_battery", json_boolean(!mains_online && discharging));
    if (batteries)
        json_object_set_new(o, "batteries", json_integer(batteries));
}

static void cond_swap_aslr(json_t *o)
{
    char *p = sys_path("/proc/meminfo");
    FILE *f = fopen(p, "r");
    free(p);
    long long total = -1, freekb = -1;
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            sscanf(line, "SwapTotal: %lld kB", &total);
            sscanf(line, "SwapFree: %lld kB", &freekb);
        }
        fclose(f);
    }
    if (total >= 0 && freekb >= 0)
        json_object_set_new(o, "swap_used_kb", json_integer(total - freekb));
    long long aslr = sys_int("/proc/sys/kernel/randomize_va_space", -1);
    if (aslr >= 0)
        json_object_set_new(o, "aslr", json_string(aslr == 0 ? "off" : aslr == 1 ? "partial"
                                                                                 : "full"));
}
#endif

long long agent_throttle_count(void)
{
#ifdef __linux__
    long long sum = -1;
    for (int c = 0; c < 4096; c++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d", c);
        char *dir = sys_path(path);
        int there = access(dir, F_OK) == 0;
        free(dir);
        if (!there)
            break;
        static const char *const names[] = {"core_throttle_count", "package_throttle_count"};
        for (int k = 0; k < 2; k++) {
            snprintf(path, sizeof path,
                     "/sys/devices/system/cpu/cpu%d/thermal_throttle/%s", c, names[k]);
            long long v = sys_int(path, -1);
            if (v >= 0)
                sum = (sum < 0 ? 0 : sum) + v;
        }
    }
    return sum;
#else
    return -1;
#endif
}

#ifdef __APPLE__
static void cond_apple(json_t *o)
{
    FILE *p = popen("pmset -g batt 2>/dev/null", "r");
    if (p) {
        char line[256];
        if (fgets(line, sizeof line, p))
            json_object_set_new(o, "on_battery",
                                json_boolean(strstr(line, "Battery Power") != NULL));
        pclose(p);
    }
    struct xsw_usage sw;
    size_t len = sizeof sw;
    if (sysctlbyname("vm.swapusage", &sw, &len, NULL, 0) == 0)
        json_object_set_new(o, "swap_used_kb", json_integer((json_int_t)(sw.xsu_used / 1024)));
    json_object_set_new(o, "aslr", json_string("full"));  /* not switchable on macOS */
}
#endif

json_t *agent_conditions(void)
{
    json_t *o = json_object();
#ifdef __linux__
    cond_governor(o);
    cond_boost(o);
    cond_smt(o);
    cond_battery(o);
    cond_swap_aslr(o);
#endif
#ifdef __APPLE__
    cond_apple(o);
#endif
    long long t = agent_throttle_count();
    if (t >= 0)
        json_object_set_new(o, "throttle_count", json_integer(t));
    return o;
}

/* Seconds of CPU time every CPU of the host spent busy (user, nice, system,
 * interrupts) since boot; -1 where unreadable. */
double agent_host_busy_s(void)
{
#ifdef __linux__
    char *p = sys_path("/proc/stat");
    FILE *f = fopen(p, "r");
    free(p);
    if (!f)
        return -1;
    unsigned long long v[7] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6]);
    fclose(f);
    if (n < 7)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / (double)(hz > 0 ? hz : 100);
#elif defined(__APPLE__)
    host_cpu_load_info_data_t info;
    mach_msg_type_number_t count = HOST_CPU_LOAD_INFO_COUNT;
    if (host_statistics(mach_host_self(), HOST_CPU_LOAD_INFO, (host_info_t)&info, &count) !=
            KERN_SUCCESS)
        return -1;
    double ticks = (double)info.cpu_ticks[CPU_STATE_USER] +
                   (double)info.cpu_ticks[CPU_STATE_SYSTEM] +
                   (double)info.cpu_ticks[CPU_STATE_NICE];
    long hz = sysconf(_SC_CLK_TCK);
    return ticks / (double)(hz > 0 ? hz : 100);
#else
    return -1;
#endif
}
