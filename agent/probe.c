/* hotpath-agent probe: what a reader of a result needs to know about the
 * machine that produced it. Every field is best effort: what cannot be read
 * is left out, never guessed. */
#include "agent.h"
#include "hostcpu.h"
#include "../common/cpu.h"
#include "../common/err.h"
#include "../common/proc.h"
#include "../common/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef __APPLE__
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

/* First line of a command's output, or NULL. */
static char *first_line(char *const *argv)
{
    struct proc_opts o = {.argv = argv, .timeout_s = 10, .out_cap = 4096, .err_cap = 4096};
    struct proc_result r;
    if (proc_run(&o, &r, NULL) < 0)
        return NULL;
    char *s = NULL;
    if (r.exited && r.exit_code == 0) {
        const char *src = r.out.len ? r.out.data : r.err.data;
        size_t n = strcspn(src, "\n");
        if (n)
            s = xasprintf("%.*s", (int)n, src);
    }
    proc_result_free(&r);
    return s;
}

static void set_str(json_t *o, const char *key, char *s)
{
    if (s && *s)
        json_object_set_new(o, key, json_string(s));
    free(s);
}

#ifdef __linux__
/* A one-value file's text without its trailing white space, or NULL. */
static char *value_of(const char *path)
{
    return agent_trim_end(agent_file_text(path));
}

static void probe_linux(json_t *o, const char *release)
{
    hostcpu_probe_linux(o, release);       /* cpu_model, virtualization */

    /* Physical cores: distinct (package, core) pairs. */
    long logical = sysconf(_SC_NPROCESSORS_ONLN);
    int pairs[4096][2], np = 0;
    for (long c = 0; c < logical && np < 4096; c++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/topology/core_id", c);
        char *core = agent_file_text(path);
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu%ld/topology/physical_package_id", c);
        char *pkg = agent_file_text(path);
        if (core && pkg) {
            int a = atoi(pkg), b = atoi(core), seen = 0;
            for (int i = 0; i < np; i++)
                seen |= pairs[i][0] == a && pairs[i][1] == b;
            if (!seen) {
                pairs[np][0] = a;
                pairs[np][1] = b;
                np++;
            }
        }
        free(core);
        free(pkg);
    }
    if (np)
        json_object_set_new(o, "physical_cores", json_integer(np));

    json_t *caches = json_object();
    for (int i = 0; i < 8; i++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        char *level = value_of(path);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        char *type = value_of(path);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        char *size = value_of(path);
        if (level && type && size) {
            char key[64];
            snprintf(key, sizeof key, "L%s%s", level,
                     !strcmp(type, "Data") ? "d" : !strcmp(type, "Instruction") ? "i" : "");
            json_object_set_new(caches, key, json_string(size));
        }
        free(level);
        free(type);
        free(size);
    }
    json_object_set_new(o, "caches", caches);

    char *mem = agent_file_text("/proc/meminfo");
    unsigned long long kb;
    if (mem && sscanf(mem, "MemTotal: %llu kB", &kb) == 1)
        json_object_set_new(o, "memory_bytes", json_integer((json_int_t)(kb * 1024)));
    free(mem);
    set_str(o, "governor", value_of("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
    char *boost = value_of("/sys/devices/system/cpu/cpufreq/boost");
    char *no_turbo = value_of("/sys/devices/system/cpu/intel_pstate/no_turbo");
    if (boost)
        json_object_set_new(o, "turbo", json_boolean(!strcmp(boost, "1")));
    else if (no_turbo)
        json_object_set_new(o, "turbo", json_boolean(!strcmp(no_turbo, "0")));
    free(boost);
    free(no_turbo);
}
#endif

#ifdef __APPLE__
static char *sysctl_str(const char *name)
{
    size_t n = 0;
    if (sysctlbyname(name, NULL, &n, NULL, 0) < 0 || n == 0)
        return NULL;
    char *s = xmalloc(n + 1);
    if (sysctlbyname(name, s, &n, NULL, 0) < 0) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

/* An integer sysctl of either width (hw.physicalcpu is an int, hw.memsize
 * a 64-bit value), or -1. */
static long long sysctl_int(const char *name)
{
    union {
        int i;
        long long ll;
    } v = {.ll = 0};
    size_t n = sizeof v;
    if (sysctlbyname(name, &v, &n, NULL, 0) < 0)
        return -1;
    return n == sizeof(int) ? (long long)v.i : v.ll;
}

/* A cache size in the shape Linux's sysfs gives it ("128K"). */
static void apple_cache(json_t *caches, const char *key, const char *name, const char *fallback)
{
    long long v = sysctl_int(name);
    if (v <= 0)
        v = sysctl_int(fallback);
    if (v > 0) {
        char *s = xasprintf("%lldK", v / 1024);
        json_object_set_new(caches, key, json_string(s));
        free(s);
    }
}

/* Names as Apple documents them (sysctl(3), "Determining system
 * capabilities"): hw.perflevel0 is the performance cluster, hw.perflevel1
 * the efficiency one; machines with one kind of core have perflevel0
 * alone, Intel Macs none. Battery state is a run condition
 * (conditions.c, pmset). */
static void probe_apple(json_t *o)
{
    set_str(o, "cpu_model", sysctl_str("machdep.cpu.brand_string"));
    char *ver = sysctl_str("kern.osproductversion");
    if (ver) {
        json_object_set_new(o, "os_version", json_string(ver));
        char *d = xasprintf("macOS %s", ver);
        json_object_set_new(o, "distribution", json_string(d));
        free(d);
        free(ver);
    }
    long long v;
    if ((v = sysctl_int("hw.physicalcpu")) > 0)
        json_object_set_new(o, "physical_cores", json_integer(v));
    if ((v = sysctl_int("hw.perflevel0.physicalcpu")) > 0)
        json_object_set_new(o, "performance_cores", json_integer(v));
    if ((v = sysctl_int("hw.perflevel1.physicalcpu")) > 0)
        json_object_set_new(o, "efficiency_cores", json_integer(v));
    if ((v = sysctl_int("hw.memsize")) > 0)
        json_object_set_new(o, "memory_bytes", json_integer(v));
    /* The performance cores' caches where the machine has levels. */
    json_t *caches = json_object();
    apple_cache(caches, "L1d", "hw.perflevel0.l1dcachesize", "hw.l1dcachesize");
    apple_cache(caches, "L1i", "hw.perflevel0.l1icachesize", "hw.l1icachesize");
    apple_cache(caches, "L2", "hw.perflevel0.l2cachesize", "hw.l2cachesize");
    apple_cache(caches, "L3", "hw.perflevel0.l3cachesize", "hw.l3cachesize");
    json_object_set_new(o, "caches", caches);
    /* An x86-64 agent on Apple silicon runs translated by Rosetta 2. */
    if (sysctl_int("sysctl.proc_translated") == 1)
        json_object_set_new(o, "rosetta", json_true());
    json_object_set_new(o, "virtualization",
                        json_string(sysctl_int("kern.hv_vmm_present") > 0 ? "vm" : "none"));
}
#endif

/* Versions of the crates the Rust engines were built with, from their
 * Cargo.lock files in the bundle. */
static json_t *crate_versions(void)
{
    static const char *const locks[] = {"workloads/rust/Cargo.lock",
                                        "workloads/rust-polars/Cargo.lock"};
    static const char *const crates[] = {"rayon", "serde_json", "polars"};
    json_t *o = json_object();
    for (size_t k = 0; k < sizeof locks / sizeof locks[0]; k++) {
        char *path = xasprintf("%s/%s", agent_root(), locks[k]);
        char *text = agent_file_text(path);
        free(path);
        for (size_t c = 0; text && c < sizeof crates / sizeof crates[0]; c++) {
            char *key = xasprintf("name = \"%s\"\nversion = \"", crates[c]);
            char *p = strstr(text, key);
            if (p) {
                p += strlen(key);
                json_object_set_new(o, crates[c], json_stringn(p, strcspn(p, "\"")));
            }
            free(key);
        }
        free(text);
    }
    return o;
}

json_t *agent_probe_json(const char *python)
{
    json_t *o = json_object();
    struct utsname u;
    if (uname(&u) == 0) {
        json_object_set_new(o, "hostname", json_string(u.nodename));
        json_object_set_new(o, "os", json_string(u.sysname));
        json_object_set_new(o, "kernel", json_string(u.release));
        json_object_set_new(o, "arch", json_string(u.machine));
    }
    json_object_set_new(o, "logical_cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
#ifdef __linux__
    char *os = agent_file_text("/etc/os-release");
    if (os) {
        char *p = strstr(os, "PRETTY_NAME=\"");
        if (p) {
            p += 13;
            json_object_set_new(o, "distribution",
                                json_stringn(p, strcspn(p, "\"\n")));
        }
        free(os);
    }
    probe_linux(o, u.release);
#endif
#ifdef __APPLE__
    probe_apple(o);
#endif
    json_object_set_new(o, "conditions", agent_conditions());
    double load[3];
    if (getloadavg(load, 3) == 3)
        json_object_set_new(o, "load_avg", json_pack("[f, f, f]", load[0], load[1], load[2]));
    char *cc[] = {"cc", "--version", NULL};
    set_str(o, "compiler", first_line(cc));
    char *rustc[] = {"rustc", "--version", NULL};
    set_str(o, "rustc", first_line(rustc));
    char *cargo[] = {"cargo", "--version", NULL};
    set_str(o, "cargo", first_line(cargo));
    json_object_set_new(o, "rust_crates", crate_versions());
    json_object_set_new(o, "payload_build", json_string(HOTPATH_BUILD_FLAGS));
    /* Which of c-threads' builds this CPU runs (workloads/c/threads-main.c). */
    json_object_set_new(o, "c_threads_isa", json_string(cpu_has_v3() ? "x86-64-v3" : "baseline"));
    json_object_set_new(o, "agent_version", json_string(HOTPATH_VERSION));
    /* Free space where the data sets go (or the nearest folder that exists). */
    char *dir = xstrdup(agent_home());
    struct statvfs vfs;
    while (statvfs(dir, &vfs) != 0 && strrchr(dir, '/') && strrchr(dir, '/') != dir)
        *strrchr(dir, '/') = '\0';
    if (statvfs(dir, &vfs) == 0)
        json_object_set_new(o, "free_disk_bytes",
                            json_integer((json_int_t)vfs.f_bavail * (json_int_t)vfs.f_frsize));
    free(dir);
    /* One Python call for every version, so a missing module costs
     * nothing; NumPy's SIMD kernels: its compiled-in baseline, and the
     * dispatch targets this CPU runs (what numpy.show_runtime() lists). */
    char script[] =
        "import sys, json, importlib\n"
        "v = {'python': sys.version.split()[0], 'executable': sys.executable}\n"
        "for m in ('numpy', 'polars', 'duckdb'):\n"
        "    try:\n"
        "        v[m] = importlib.import_module(m).__version__\n"
        "    except Exception:\n"
        "        pass\n"
        "try:\n"
        "    try:\n"
        "        from numpy._core import _multiarray_umath as u\n"
        "    except ImportError:\n"
        "        from numpy.core import _multiarray_umath as u\n"
        "    v['numpy_simd'] = {'baseline': list(u.__cpu_baseline__), 'dispatched': "
        "[k for k in u.__cpu_dispatch__ if u.__cpu_features__.get(k)]}\n"
        "except Exception:\n"
        "    pass\n"
        "print(json.dumps(v))\n";
    char *py[] = {(char *)python, "-c", script, NULL};
    char *line = first_line(py);
    json_t *versions = line ? json_loads(line, 0, NULL) : NULL;
    if (json_is_object(versions))
        json_object_set_new(o, "python", versions);
    else
        json_decref(versions);
    free(line);
    return o;
}

int agent_probe(int argc, char **argv)
{
    const char *python = agent_default_python();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--python") && i + 1 < argc)
            python = argv[++i];
        else
            die_code(2, "probe: unknown argument '%s'", argv[i]);
    }
    json_t *o = agent_probe_json(python);
    json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT);
    putchar('\n');
    json_decref(o);
    return 0;
}
