/* hotpath hosts: reach every configured host, probe it, summarise. */
#include "cfg.h"
#include "pyenv.h"
#include "hotpath.h"
#include "transport.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The host's probe, and (when env is not NULL) where its Python environment
 * stands, over one connection. */
static json_t *probe_host(const struct host_cfg *h, const struct cfg *cf, char *why, size_t n,
                          char **env, const char **env_state)
{
    struct err e = {0};
    char *args[] = {"probe", NULL, NULL, NULL}, *out = NULL;
    if (h->python) {
        args[1] = "--python";
        args[2] = (char *)h->python;
    }
    struct host_link l;
    json_t *p = NULL;
    if (transport_open(&l, h, cf, &e) < 0 || transport_ensure_bundle(&l, &e) < 0 ||
        transport_run(&l, args, 8 << 20, &out, &e) < 0) {
        snprintf(why, n, "%s", e.msg);
        goto out;
    }
    p = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
    if (!p) {
        snprintf(why, n, "the agent's probe is not JSON");
        goto out;
    }
    if (env) {
        struct pyenv_io io;
        pyenv_link_io(&l, &io);
        *env = pyenv_describe(h, &io, env_state);
    }
out:
    free(out);
    transport_close(&l);
    return p;
}

/* One condition line of `hosts --check`; a warning when it would change how
 * a timing reads. */
static void check_line(const char *what, const char *value, int warn, const char *advice)
{
    printf("  %-22s %s%s%s%s\n", what, warn ? "WARNING: " : "", value, warn && advice ? ": " : "",
           warn && advice ? advice : "");
}

/* The conditions a sweep would run under on a host, as `pyperf system
 * show` prints them (agent/conditions.c gathers them). */
static void check_host(const char *name, json_t *p)
{
    json_t *c = json_object_get(p, "conditions");
    char buf[128];
    printf("%s\n", name);
    const char *gov = json_string_value(json_object_get(c, "governor"));
    check_line("CPU governor:", gov ? gov : "not exposed (a VM, or no cpufreq)",
               gov && strcmp(gov, "performance") != 0,
               "the clock may change under load; `cpupower frequency-set -g performance`");
    json_t *b = json_object_get(c, "boost");
    check_line("boost/turbo:", json_is_boolean(b) ? (json_is_true(b) ? "on" : "off")
                                                  : "not exposed", 0, NULL);
    const char *smt = json_string_value(json_object_get(c, "smt"));
    check_line("SMT:", smt ? smt : "not exposed", 0, NULL);
    json_t *bat = json_object_get(c, "on_battery");
    check_line("power:", json_is_true(bat) ? "on battery" : json_is_boolean(bat) ? "not on battery"
                                                                                 : "not exposed",
               json_is_true(bat), "a laptop on battery clocks down; plug it in");
    json_t *t = json_object_get(c, "throttle_count");
    if (json_is_integer(t))
        snprintf(buf, sizeof buf, "%lld events since boot", (long long)json_integer_value(t));
    check_line("thermal throttling:", json_is_integer(t) ? buf : "not exposed",
               json_integer_value(t) > 0, "the CPU has throttled; let it cool, check cooling");
    json_t *sw = json_object_get(c, "swap_used_kb");
    if (json_is_integer(sw))
        snprintf(buf, sizeof buf, "%.0f MiB in use", (double)json_integer_value(sw) / 1024);
    check_line("swap:", json_is_integer(sw) ? buf : "not exposed", json_integer_value(sw) > 0,
               "memory pressure: engines may page");
    const char *aslr = json_string_value(json_object_get(c, "aslr"));
    check_line("ASLR:", aslr ? aslr : "not exposed", 0, NULL);
    json_t *load = json_array_get(json_object_get(p, "load_avg"), 0);
    double cores = (double)json_integer_value(json_object_get(p, "logical_cores"));
    snprintf(buf, sizeof buf, "%.2f (1 min) on %.0f logical CPUs", json_number_value(load),
             cores);
    check_line("load average:", buf, json_is_number(load) && json_number_value(load) > 0.1 * cores,
               "other processes share the CPUs; runs will be flagged");
    const char *virt = json_string_value(json_object_get(p, "virtualization"));
    check_line("virtualization:", virt ? virt : "unknown", 0, NULL);
}

/* One line under a host's row: what its ssh configuration resolved, and
 * which of hotpath's own keys won. */
static void print_resolved(const struct host_cfg *h)
{
    static const char *const keys[][2] = {{"hostname", "HostName"}, {"user", "User"},
                                          {"port", "Port"}, {"identity", "IdentityFile"},
                                          {"jump", "ProxyJump"}};
    json_t *r = h->ssh_resolved;
    if (!r)
        return;
    printf("  %s: '%s' resolved by ssh -G from %s:", h->name,
           json_string_value(json_object_get(r, "alias")),
           json_string_value(json_object_get(r, "config")));
    const char *sep = " ";
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *k = json_object_get(r, keys[i][0]);
        if (!k)
            continue;
        const char *from = json_string_value(json_object_get(k, "from"));
        const char *ssh = json_string_value(json_object_get(k, "ssh"));
        if (!strcmp(from, "ssh"))
            printf("%s%s %s (ssh config)", sep, keys[i][1],
                   json_string_value(json_object_get(k, "value")));
        else
            printf("%s%s %s (hotpath config; ssh config says %s)", sep, keys[i][0],
                   json_string_value(json_object_get(k, "value")), ssh ? ssh : "?");
        sep = ", ";
    }
    printf("\n");
}

int cmd_hosts(int argc, char **argv)
{
    int check = argc == 2 && !strcmp(argv[1], "--check");
    if (argc > 1 && !check)
        die_code(2, "hosts: takes no arguments but --check");
    struct cfg c;
    struct err e = {0};
    if (hp_load_config(&c, &e) < 0)
        die("%s", e.msg);
    json_t *all = json_array();
    int failed = 0;
    if (!cli.json && !check)
        printf("%-12s %-9s %-7s %-6s %-22s %-8s %-24s %5s %7s %8s  %-12s %s\n", "host",
               "transport", "status", "agent", "os", "arch", "cpu", "cores", "memory", "free",
               "env", "python");
    for (int i = 0; i < c.nhosts; i++) {
        const struct host_cfg *h = &c.hosts[i];
        char why[512] = "", *env = NULL;
        const char *env_state = NULL;
        /* With the Python environment: ready, to build, or why not. */
        json_t *p = probe_host(h, &c, why, sizeof why, check ? NULL : &env, &env_state);
        failed += p == NULL;
        json_t *row = json_pack("{s:s, s:s, s:s, s:o}", "host", h->name,
                                "transport", h->transport, "status", p ? "ok" : "failed",
                                p ? "probe" : "error", p ? json_incref(p) : json_string(why));
        if (h->ssh_resolved)
            json_object_set(row, "ssh_config", h->ssh_resolved);
        if (env)
            json_object_set_new(row, "python_env", json_pack("{s:s, s:s, s:s}", "mode",
                                h->python_env, "state", env_state, "detail", env));
        json_array_append_new(all, row);
        if (cli.json) {
            free(env);
            json_decref(p);
            continue;
        }
        if (!p) {
            printf("%-12s %-9s %-7s %s\n", h->name, h->transport, "failed", why);
            print_resolved(h);
            continue;
        }
        if (check) {
            check_host(h->name, p);
            json_decref(p);
            continue;
        }
        json_t *py = json_object_get(p, "python");
        char cores[32], mem[32], os[64], pyv[128];
        snprintf(cores, sizeof cores, "%lld/%lld",
                 (long long)json_integer_value(json_object_get(p, "physical_cores")),
                 (long long)json_integer_value(json_object_get(p, "logical_cores")));
        snprintf(mem, sizeof mem, "%.1fG",
                 (double)json_integer_value(json_object_get(p, "memory_bytes")) / (1 << 30));
        snprintf(os, sizeof os, "%s %s", json_string_value(json_object_get(p, "os")) ?: "?",
                 json_string_value(json_object_get(p, "kernel")) ?: "");
        snprintf(pyv, sizeof pyv, "%s numpy %s polars %s",
                 json_string_value(json_object_get(py, "python")) ?: "none",
                 json_string_value(json_object_get(py, "numpy")) ?: "-",
                 json_string_value(json_object_get(py, "polars")) ?: "-");
        char disk[32];
        snprintf(disk, sizeof disk, "%.1fG",
                 (double)json_integer_value(json_object_get(p, "free_disk_bytes")) / (1 << 30));
        printf("%-12s %-9s %-7s %-6s %-22.22s %-8s %-24.24s %5s %7s %8s  %-12s %s\n", h->name,
               h->transport, "ok", json_string_value(json_object_get(p, "agent_version")) ?: "?",
               os, json_string_value(json_object_get(p, "arch")) ?: "?",
               json_string_value(json_object_get(p, "cpu_model")) ?: "?", cores, mem, disk,
               env_state, pyv);
        print_resolved(h);
        printf("  %s: python_env %s, %s: %s\n", h->name, h->python_env, env_state, env);
        free(env);
        json_decref(p);
    }
    if (cli.json) {
        json_dumpf(all, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        putchar('\n');
    }
    json_decref(all);
    cfg_free(&c);
    return failed ? 1 : 0;
}
