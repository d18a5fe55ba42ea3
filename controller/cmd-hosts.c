/* hotpath hosts: reach every configured host, probe it, summarise. */
#include "cfg.h"
#include "hotpath.h"
#include "transport.h"
#include "remote.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *probe_host(const struct host_cfg *h, const struct cfg *cf, char *why, size_t n)
{
    struct err e = {0};
    if (!strcmp(h->transport, "ssh")) {
        char *args[] = {"probe", NULL, NULL, NULL}, *out = NULL;
        if (h->python) {
            args[1] = "--python";
            args[2] = (char *)h->python;
        }
        if (remote_agent(h, cf, args, &out, &e) < 0) {
            snprintf(why, n, "%s", e.msg);
            return NULL;
        }
        json_t *p = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
        free(out);
        if (!p)
            snprintf(why, n, "the agent's probe is not JSON");
        return p;
    }
    const struct transport *t = transport_for(h, &e);
    struct conn *c;
    char *args[] = {"probe", NULL, NULL, NULL};
    if (h->python) {
        args[1] = "--python";
        args[2] = (char *)h->python;
    }
    if (!t || t->start(h, args, NULL, &c, &e) < 0) {
        snprintf(why, n, "%s", e.msg);
        return NULL;
    }
    struct buf line;
    buf_init(&line, 0);
    json_t *p = NULL;
    if (t->read_line(c, &line, &e) == 1)
        p = json_loads(line.data, 0, NULL);
    buf_free(&line);
    int status;
    char tail[256];
    t->finish(c, &status, tail, sizeof tail);
    if (!p || status != 0) {
        snprintf(why, n, "agent probe failed (status %d)%s%s", status, tail[0] ? ": " : "",
                 tail);
        json_decref(p);
        return NULL;
    }
    return p;
}

int cmd_hosts(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        die_code(2, "hosts: takes no arguments");
    struct cfg c;
    struct err e = {0};
    if (hp_load_config(&c, &e) < 0)
        die("%s", e.msg);
    json_t *all = json_array();
    int failed = 0;
    if (!cli.json)
        printf("%-12s %-9s %-7s %-6s %-22s %-8s %-24s %5s %7s %8s  %s\n", "host", "transport",
               "status", "agent", "os", "arch", "cpu", "cores", "memory", "free", "python");
    for (int i = 0; i < c.nhosts; i++) {
        const struct host_cfg *h = &c.hosts[i];
        char why[512] = "";
        json_t *p = probe_host(h, &c, why, sizeof why);
        failed += p == NULL;
        json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:o}", "host", h->name,
                              "transport", h->transport, "status", p ? "ok" : "failed",
                              p ? "probe" : "error", p ? json_incref(p) : json_string(why)));
        if (cli.json) {
            json_decref(p);
            continue;
        }
        if (!p) {
            printf("%-12s %-9s %-7s %s\n", h->name, h->transport, "failed", why);
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
        printf("%-12s %-9s %-7s %-6s %-22.22s %-8s %-24.24s %5s %7s %8s  %s\n", h->name,
               h->transport, "ok", json_string_value(json_object_get(p, "agent_version")) ?: "?",
               os, json_string_value(json_object_get(p, "arch")) ?: "?",
               json_string_value(json_object_get(p, "cpu_model")) ?: "?", cores, mem, disk, pyv);
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
