/* ~/.ssh/config aliases, resolved by OpenSSH itself (`ssh -G`). */
#include "sshcfg.h"
#include "cfg.h"
#include "../common/err.h"
#include "../common/proc.h"
#include "../common/xmalloc.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_HOPS 8

/* What OpenSSH tries when no IdentityFile is configured: not "resolved". */
static const char *const default_ids[] = {"~/.ssh/id_rsa", "~/.ssh/id_ecdsa",
                                          "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
                                          "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss",
                                          "~/.ssh/id_dsa", NULL};

json_t *sshcfg_parse(const char *text)
{
    json_t *o = json_object();
    const char *p = text ? text : "";
    while (*p) {
        size_t n = strcspn(p, "\n");
        const char *sp = memchr(p, ' ', n);
        if (sp && sp > p) {
            char *key = xasprintf("%.*s", (int)(sp - p), p);
            for (char *k = key; *k; k++)
                if (*k >= 'A' && *k <= 'Z')
                    *k = (char)(*k - 'A' + 'a');
            json_t *v = json_stringn(sp + 1, (size_t)(p + n - sp - 1));
            json_t *old = json_object_get(o, key);
            if (v && !old) {
                json_object_set_new(o, key, v);
            } else if (v) {
                if (!json_is_array(old)) {
                    json_t *a = json_array();
                    json_array_append(a, old);
                    json_object_set_new(o, key, a);
                    old = a;
                }
                json_array_append_new(old, v);
            }
            free(key);
        }
        p += n;
        if (*p)
            p++;
    }
    return o;
}

static const char *config_file(void)
{
    const char *f = getenv("HOTPATH_SSH_CONFIG");
    return f && *f ? f : NULL;
}

/* `ssh -G [-l USER] [-p PORT] HOST` parsed; NULL with why filled. */
static json_t *ssh_g(const char *host, const char *user, const char *port, char *why, size_t n)
{
    if (!host || !*host || host[0] == '-') {
        snprintf(why, n, "'%s' is not a host name", host ? host : "");
        return NULL;
    }
    char *argv[12];
    int k = 0;
    argv[k++] = "ssh";
    if (config_file()) {
        argv[k++] = "-F";
        argv[k++] = (char *)config_file();
    }
    argv[k++] = "-G";
    if (user) {
        argv[k++] = "-l";
        argv[k++] = (char *)user;
    }
    if (port) {
        argv[k++] = "-p";
        argv[k++] = (char *)port;
    }
    argv[k++] = (char *)host;
    argv[k] = NULL;
    struct proc_opts o = {.argv = argv, .timeout_s = 10, .grace_s = 1, .out_cap = 1 << 16,
                          .err_cap = 1 << 12};
    struct proc_result r;
    struct err e = {0};
    if (proc_run(&o, &r, &e) < 0) {
        snprintf(why, n, "%s", e.msg);
        return NULL;
    }
    json_t *g = NULL;
    if (r.exec_errno)
        snprintf(why, n, "no ssh program here to read the ssh configuration");
    else if (!r.exited || r.exit_code != 0)
        snprintf(why, n, "`ssh -G %s` failed: %.*s", host,
                 (int)strcspn(r.err.data ? r.err.data : "", "\n"), r.err.data ? r.err.data : "");
    else
        g = sshcfg_parse(r.out.data);
    proc_result_free(&r);
    return g;
}

/* A string that lives as long as the configuration. */
static const char *own(struct cfg *c, const char *s)
{
    if (!c->owned)
        c->owned = json_array();
    json_t *v = json_string(s);
    json_array_append_new(c->owned, v);
    return json_string_value(v);
}

static const char *gstr(json_t *g, const char *key)
{
    json_t *v = json_object_get(g, key);
    if (json_is_array(v))
        v = json_array_get(v, 0);
    return json_string_value(v);
}

static const char *local_user(void)
{
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "";
}

/* The first IdentityFile the ssh configuration names (not one of OpenSSH's
 * defaults) that exists here, "~/" expanded; NULL when none. */
static char *configured_identity(json_t *g)
{
    json_t *ids = json_object_get(g, "identityfile");
    json_t *one = json_is_string(ids) ? json_pack("[O]", ids) : json_incref(ids);
    size_t i;
    json_t *v;
    char *found = NULL;
    json_array_foreach(one, i, v) {
        const char *s = json_string_value(v);
        int dflt = 0;
        for (const char *const *d = default_ids; *d && !dflt; d++)
            dflt = !strcmp(*d, s);
        if (dflt)
            continue;
        const char *home = getenv("HOME");
        char *p = s[0] == '~' && s[1] == '/' && home ? xasprintf("%s%s", home, s + 1)
                                                     : xstrdup(s);
        if (access(p, R_OK) == 0) {
            found = p;
            break;
        }
        free(p);
    }
    json_decref(one);
    return found;
}

static void note(json_t *rec, const char *key, const char *value, const char *from,
                 const char *ssh_value)
{
    json_t *o = json_pack("{s:s, s:s}", "value", value, "from", from);
    if (ssh_value)
        json_object_set_new(o, "ssh", json_string(ssh_value));
    json_object_set_new(rec, key, o);
}

struct extra {
    struct host_cfg *v;
    int n;
};

static const char *chain(struct cfg *c, const char *spec, const struct host_cfg *parent,
                         struct extra *x, int depth, struct err *e);

/* One ProxyJump hop ("[user@]host[:port]") as a host of its own. */
static const char *hop_host(struct cfg *c, const char *hop, const char *before,
                            const struct host_cfg *parent, struct extra *x, int depth,
                            struct err *e)
{
    char *name = xasprintf("jump:%s", hop);
    for (int i = 0; i < x->n; i++)
        if (!strcmp(x->v[i].name, name)) {
            const char *n = x->v[i].name;
            free(name);
            return n;
        }
    char *s = xstrdup(hop), *user = NULL, *port = NULL, *host = s;
    char *at = strrchr(s, '@');
    if (at) {
        *at = '\0';
        user = s;
        host = at + 1;
    }
    if (host[0] == '[') {
        char *end = strchr(host, ']');
        host++;
        if (end) {
            *end = '\0';
            if (end[1] == ':')
                port = end + 2;
        }
    } else if ((port = strchr(host, ':'))) {
        *port++ = '\0';
    }
    char why[512];
    json_t *g = ssh_g(host, user, port, why, sizeof why);
    const char *rc = NULL;
    if (!g) {
        err_set(e, 1, "%s: ProxyJump hop '%s': %s", parent->name, hop, why);
        goto out;
    }
    struct host_cfg h = *parent;
    h.name = own(c, name);
    h.transport = "ssh";
    h.address = own(c, gstr(g, "hostname") ? gstr(g, "hostname") : host);
    h.user = own(c, gstr(g, "user") ? gstr(g, "user") : local_user());
    h.port = gstr(g, "port") ? atoi(gstr(g, "port")) : 22;
    char *id = configured_identity(g);
    if (id)
        h.identity = own(c, id);
    free(id);
    h.exec_prefix = h.workdir = h.python = NULL;
    h.jump = NULL;
    h.ssh_resolved = NULL;
    const char *pj = gstr(g, "proxyjump");
    if (before) {
        h.jump = before;
    } else if (pj && strcmp(pj, "none")) {
        if (!(h.jump = chain(c, pj, &h, x, depth + 1, e)))
            goto out;
    }
    x->v = xrealloc(x->v, (size_t)(x->n + 1) * sizeof *x->v);
    x->v[x->n++] = h;
    rc = h.name;
out:
    json_decref(g);
    free(s);
    free(name);
    return rc;
}

/* The jump host through which a host with ProxyJump spec is reached: the
 * last hop, itself reached through the hops before it. */
static const char *chain(struct cfg *c, const char *spec, const struct host_cfg *parent,
                         struct extra *x, int depth, struct err *e)
{
    if (depth > MAX_HOPS) {
        err_set(e, 1, "%s: ProxyJump nests more than %d hops deep", parent->name, MAX_HOPS);
        return NULL;
    }
    char *s = xstrdup(spec), *save = NULL;
    const char *last = NULL;
    for (char *hop = strtok_r(s, ",", &save); hop; hop = strtok_r(NULL, ",", &save)) {
        if (!(last = hop_host(c, hop, last, parent, x, depth, e)))
            break;
    }
    free(s);
    return last;
}

int sshcfg_apply(struct cfg *c, struct err *e)
{
    json_t *hosts = json_object_get(c->root, "hosts");
    struct extra x = {0};
    const char *label = config_file() ? config_file() : "~/.ssh/config";
    for (int i = 0; i < c->nhosts; i++) {
        struct host_cfg *h = &c->hosts[i];
        json_t *hj = json_array_get(hosts, (size_t)i);
        if (strcmp(h->transport, "ssh") || !h->address)
            continue;
        char why[512];
        json_t *g = ssh_g(h->address, NULL, NULL, why, sizeof why);
        if (!g)
            continue;   /* no ssh here, or its configuration is broken: as written */
        json_t *rec = json_pack("{s:s, s:s}", "alias", h->address, "config", label);
        int any = 0;
        const char *v = gstr(g, "hostname");
        if (v && strcasecmp(v, h->address)) {
            note(rec, "hostname", v, "ssh", NULL);
            h->address = own(c, v);
            any = 1;
        }
        if ((v = gstr(g, "user")) && strcmp(v, local_user())) {
            int mine = json_object_get(hj, "user") != NULL;
            note(rec, "user", mine ? h->user : v, mine ? "hotpath" : "ssh", mine ? v : NULL);
            if (!mine)
                h->user = own(c, v);
            any = 1;
        }
        if ((v = gstr(g, "port")) && atoi(v) != 22) {
            int mine = json_object_get(hj, "port") != NULL;
            char p[16];
            snprintf(p, sizeof p, "%d", h->port);
            note(rec, "port", mine ? p : v, mine ? "hotpath" : "ssh", mine ? v : NULL);
            if (!mine)
                h->port = atoi(v);
            any = 1;
        }
        char *id = configured_identity(g);
        if (id) {
            int mine = json_object_get(hj, "identity") != NULL;
            note(rec, "identity", mine ? h->identity : id, mine ? "hotpath" : "ssh",
                 mine ? id : NULL);
            if (!mine)
                h->identity = own(c, id);
            free(id);
            any = 1;
        }
        if ((v = gstr(g, "proxyjump")) && strcmp(v, "none")) {
            int mine = json_object_get(hj, "jump") != NULL;
            note(rec, "jump", mine ? h->jump : v, mine ? "hotpath" : "ssh", mine ? v : NULL);
            if (!mine) {
                char *spec = xstrdup(v);
                h->jump = chain(c, spec, h, &x, 0, e);
                free(spec);
                if (!h->jump) {
                    json_decref(rec);
                    json_decref(g);
                    free(x.v);
                    return -1;
                }
            }
            any = 1;
        }
        json_decref(g);
        if (any) {
            if (!c->owned)
                c->owned = json_array();
            json_array_append_new(c->owned, rec);
            h->ssh_resolved = rec;
        } else {
            json_decref(rec);
        }
    }
    c->all_hosts = xmalloc((size_t)(c->nhosts + x.n) * sizeof *c->all_hosts);
    memcpy(c->all_hosts, c->hosts, (size_t)c->nhosts * sizeof *c->all_hosts);
    if (x.n)
        memcpy(c->all_hosts + c->nhosts, x.v, (size_t)x.n * sizeof *x.v);
    c->nhosts_all = c->nhosts + x.n;
    free(x.v);
    return 0;
}
