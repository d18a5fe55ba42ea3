/* Configuration: JSON through Jansson, strictly checked. */
#include "cfg.h"
#include "transport.h"
#include "hotpath.h"
#include "sshcfg.h"
#include "ssh.h"
#include "../common/check.h"
#include "../common/err.h"
#include "../common/strset.h"
#include "../common/xmalloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const sweep_keys[] = {"profile", "seed", "sizes", "tasks", "engines",
                                         "threads", "repeats", "warmups", "timeout_s",
                                         "extra_engines", NULL};
static const char *const host_keys[] = {"name", "transport", "address", "port", "user",
                                        "identity", "known_hosts", "host_key", "jump",
                                        "exec_prefix", "exec_shell", "workdir", "sftp_workdir",
                                        "python", "python_env", "passphrase_env", "lost_after_s",
                                        "connect_timeout_s", "comment", NULL};
static const char *const top_keys[] = {"sweep", "hosts", "comment", NULL};
static const char *const engine_keys[] = {"name", "argv", "tasks", "needs", "library",
                                          "comment", NULL};

/* Row and point counts a host can generate: 200 times the seed profile. */
#define MAX_SIZE 1000000000LL

static int known(const char *const *keys, const char *k)
{
    for (; *keys; keys++)
        if (!strcmp(*keys, k))
            return 1;
    return 0;
}

static int check_keys(const struct cfg *c, json_t *o, const char *const *keys,
                      const char *where, struct err *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (!known(keys, k))
            return err_set(e, 1, "%s: unknown key '%s%s%s'", c->path, where, *where ? "." : "",
                           k);
    }
    return 0;
}

/* o must be an object holding only the keys listed. */
static int check_object(const struct cfg *c, json_t *o, const char *const *keys,
                        const char *where, struct err *e)
{
    if (!json_is_object(o))
        return err_set(e, 1, "%s: '%s' must be an object", c->path, where);
    return check_keys(c, o, keys, where, e);
}

static const char *str_of(json_t *o, const char *k, const char *def)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : def;
}

static int want_type(const struct cfg *c, json_t *o, const char *k, const char *where,
                     int (*is)(const json_t *), const char *type, struct err *e)
{
    json_t *v = json_object_get(o, k);
    if (v && !is(v))
        return err_set(e, 1, "%s: '%s.%s' must be %s", c->path, where, k, type);
    return 0;
}

static int is_string(const json_t *v) { return json_is_string(v); }
static int is_int(const json_t *v) { return json_is_integer(v); }
static int is_num(const json_t *v) { return json_is_number(v); }
static int is_array(const json_t *v) { return json_is_array(v); }
static int is_object(const json_t *v) { return json_is_object(v); }
static int is_list_or_all(const json_t *v)
{
    return json_is_array(v) || (json_is_string(v) && !strcmp(json_string_value(v), "all"));
}

/* "~/x" in a path means the controller user's home. */
static void expand_tilde(json_t *h, const char *key)
{
    const char *v = json_string_value(json_object_get(h, key));
    const char *home = getenv("HOME");
    if (v && home && v[0] == '~' && v[1] == '/') {
        char *x = xasprintf("%s%s", home, v + 1);
        json_object_set_new(h, key, json_string(x));
        free(x);
    }
}

/* "~/x" for a host's workdir: the controller's home for a local host, the
 * login directory (where relative remote paths start) for an SSH host. The
 * root itself is refused: the agent would make /data and /journal. */
static int workdir_of(const struct cfg *c, json_t *h, const char *where, int local,
                      struct err *e)
{
    const char *v = json_string_value(json_object_get(h, "workdir"));
    if (!v)
        return 0;
    if (!*v)
        return err_set(e, 1, "%s: '%s.workdir' is empty", c->path, where);
    if (v[0] == '~' && (v[1] == '/' || !v[1])) {
        const char *home = getenv("HOME");
        const char *rest = v[1] ? v + 2 : "";
        char *x = local ? xasprintf("%s/%s", home && *home ? home : ".", rest)
                        : xstrdup(*rest ? rest : ".");
        json_object_set_new(h, "workdir", json_string(x));
        free(x);
        v = json_string_value(json_object_get(h, "workdir"));
    } else if (v[0] == '~') {
        return err_set(e, 1, "%s: '%s.workdir': '%s' (only ~/ is understood, not ~user)",
                       c->path, where, v);
    }
    int only_root = v[0] == '/';
    for (const char *p = v; *p && only_root; p++)
        only_root = *p == '/' || (*p == '.' && (p[1] == '/' || !p[1]) && p[-1] == '/');
    if (only_root)
        return err_set(e, 1, "%s: '%s.workdir' may not be the root directory", c->path, where);
    return 0;
}

static int load_host(struct cfg *c, json_t *h, int i, struct host_cfg *hc,
                     struct strset *names, struct err *e)
{
    char where[32];
    snprintf(where, sizeof where, "hosts[%d]", i);
    if (check_object(c, h, host_keys, where, e) < 0)
        return -1;
    static const char *const strs[] = {"name", "transport", "address", "user", "identity",
                                       "known_hosts", "host_key", "jump", "exec_prefix",
                                       "exec_shell", "workdir", "sftp_workdir", "python",
                                       "python_env", "passphrase_env", NULL};
    for (const char *const *k = strs; *k; k++)
        if (want_type(c, h, *k, where, is_string, "a string", e) < 0)
            return -1;
    if (want_type(c, h, "port", where, is_int, "an integer", e) < 0 ||
        want_type(c, h, "lost_after_s", where, is_num, "a number", e) < 0 ||
        want_type(c, h, "connect_timeout_s", where, is_num, "a number", e) < 0)
        return -1;
    expand_tilde(h, "identity");
    expand_tilde(h, "known_hosts");
    hc->name = str_of(h, "name", NULL);
    if (!hc->name || !*hc->name)
        return err_set(e, 1, "%s: '%s.name' is required", c->path, where);
    if (!strset_add(names, hc->name))
        return err_set(e, 1, "%s: host name '%s' is used twice", c->path, hc->name);
    hc->transport = str_of(h, "transport", "local");
    const struct transport *tr = transport_by_name(hc->transport);
    if (!tr)
        return err_set(e, 1, "%s: '%s.transport' must be %s, not '%s'", c->path, where,
                       transport_names(), hc->transport);
    hc->address = str_of(h, "address", NULL);
    if (tr->needs_address && !hc->address)
        return err_set(e, 1, "%s: '%s.address' is required for transport %s", c->path,
                       where, tr->name);
    hc->user = str_of(h, "user", NULL);
    hc->identity = str_of(h, "identity", NULL);
    hc->known_hosts = str_of(h, "known_hosts", NULL);
    hc->host_key = str_of(h, "host_key", "strict");
    if (strcmp(hc->host_key, "strict") && strcmp(hc->host_key, "accept-new"))
        return err_set(e, 1, "%s: '%s.host_key' must be \"strict\" or \"accept-new\"",
                       c->path, where);
    hc->jump = str_of(h, "jump", NULL);
    hc->exec_prefix = str_of(h, "exec_prefix", NULL);
    if (workdir_of(c, h, where, tr->on_controller, e) < 0)
        return -1;
    hc->workdir = str_of(h, "workdir", NULL);
    hc->python = str_of(h, "python", NULL);
    /* Through a Windows OpenSSH server: the shell commands arrive in, and
     * the workdir as SFTP (Windows) sees it. */
    hc->exec_shell = str_of(h, "exec_shell", "posix");
    if (strcmp(hc->exec_shell, "posix") && strcmp(hc->exec_shell, "cmd"))
        return err_set(e, 1, "%s: '%s.exec_shell' must be \"posix\" or \"cmd\", not '%s'",
                       c->path, where, hc->exec_shell);
    if (!strcmp(hc->exec_shell, "cmd") && !hc->exec_prefix)
        return err_set(e, 1, "%s: '%s.exec_shell' \"cmd\" needs an exec_prefix that reaches a "
                       "POSIX shell (e.g. \"wsl.exe -d DISTRO --\")", c->path, where);
    if (!strcmp(hc->exec_shell, "cmd")) {
        char *p = xstrdup(hc->exec_prefix), *save = NULL;
        struct buf b;
        buf_init(&b, 1 << 16);
        int bad = 0;
        for (char *w = strtok_r(p, " \t", &save); w && !bad; w = strtok_r(NULL, " \t", &save))
            bad = ssh_cmd_word(&b, w) < 0;
        buf_free(&b);
        free(p);
        if (bad)
            return err_set(e, 1, "%s: '%s.exec_prefix': cmd.exe cannot be given a word with "
                           "%%, \", ! or a line break", c->path, where);
    }
    hc->sftp_workdir = str_of(h, "sftp_workdir", NULL);
    if (hc->sftp_workdir && (!hc->workdir || hc->workdir[0] != '/'))
        return err_set(e, 1, "%s: '%s.sftp_workdir' needs an absolute 'workdir' (the same "
                       "folder as the commands see it)", c->path, where);
    /* Where the Python engines' libraries come from: pinned wheels pushed
     * from here (the default over SSH), the host's own index, or `python`
     * as it is (the default for local: the .venv that make builds from the
     * same requirements). */
    hc->python_env = str_of(h, "python_env", !strcmp(hc->transport, "ssh") ? "push" : "system");
    if (strcmp(hc->python_env, "push") && strcmp(hc->python_env, "index") &&
        strcmp(hc->python_env, "system"))
        return err_set(e, 1, "%s: '%s.python_env' must be \"push\", \"index\" or \"system\", "
                       "not '%s'", c->path, where, hc->python_env);
    hc->passphrase_env = str_of(h, "passphrase_env", NULL);
    json_t *port = json_object_get(h, "port");
    if (port && (json_integer_value(port) < 1 || json_integer_value(port) > 65535)) {
        return err_set(e, 1, "%s: '%s.port' must be 1..65535, not %" JSON_INTEGER_FORMAT,
                       c->path, where, json_integer_value(port));
    }
    hc->port = port ? (int)json_integer_value(port) : 22;
    hc->lost_after_s = json_is_number(json_object_get(h, "lost_after_s"))
                     ? json_number_value(json_object_get(h, "lost_after_s")) : 60;
    hc->connect_timeout_s = json_is_number(json_object_get(h, "connect_timeout_s"))
                          ? json_number_value(json_object_get(h, "connect_timeout_s")) : 10;
    if (hc->lost_after_s <= 0 || hc->connect_timeout_s <= 0)
        return err_set(e, 1, "%s: '%s.lost_after_s' and 'connect_timeout_s' must be positive",
                       c->path, where);
    return 0;
}

static int load_hosts(struct cfg *c, struct err *e)
{
    json_t *hosts = json_object_get(c->root, "hosts");
    if (!hosts) {
        hosts = json_pack("[{s:s, s:s}]", "name", "local", "transport", "local");
        json_object_set_new(c->root, "hosts", hosts);
    }
    if (!json_is_array(hosts) || json_array_size(hosts) == 0)
        return err_set(e, 1, "%s: 'hosts' must be a non-empty array", c->path);
    c->nhosts = (int)json_array_size(hosts);
    c->hosts = xcalloc((size_t)c->nhosts, sizeof *c->hosts);
    struct strset names;
    strset_init(&names);
    int rc = 0;
    for (int i = 0; rc == 0 && i < c->nhosts; i++)
        rc = load_host(c, json_array_get(hosts, (size_t)i), i, &c->hosts[i], &names, e);
    for (int i = 0; rc == 0 && i < c->nhosts; i++) {
        const char *j = c->hosts[i].jump;
        if (j && (!strset_has(&names, j) || !strcmp(j, c->hosts[i].name)))
            rc = err_set(e, 1, "%s: 'hosts[%d].jump': no other host is named '%s'", c->path,
                         i, j);
    }
    strset_free(&names);
    if (rc < 0)
        return -1;
    /* Aliases of the user's ssh configuration; fills all_hosts (the hosts,
     * then the ProxyJump hops it names). */
    return sshcfg_apply(c, e);
}

int cfg_load(const char *path, struct cfg *c, struct err *e)
{
    json_error_t je;
    json_t *root = json_object();
    if (path) {
        json_decref(root);
        root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
            memset(c, 0, sizeof *c);
            return err_set(e, 1, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        }
    }
    return cfg_from_json(root, path ? path : "(built-in default)", c, e);
}

int cfg_from_json(json_t *root, const char *label, struct cfg *c, struct err *e)
{
    memset(c, 0, sizeof *c);
    c->path = xstrdup(label);
    c->root = root;
    if (!json_is_object(c->root))
        return err_set(e, 1, "%s: the configuration must be a JSON object", c->path);
    if (check_keys(c, c->root, top_keys, "", e) < 0)
        return -1;
    json_t *sw = json_object_get(c->root, "sweep");
    if (!sw) {
        sw = json_object();
        json_object_set_new(c->root, "sweep", sw);
    }
    if (check_object(c, sw, sweep_keys, "sweep", e) < 0)
        return -1;
    if (want_type(c, sw, "profile", "sweep", is_string, "a string", e) < 0 ||
        want_type(c, sw, "seed", "sweep", is_int, "an integer", e) < 0 ||
        want_type(c, sw, "sizes", "sweep", is_object, "an object", e) < 0 ||
        want_type(c, sw, "tasks", "sweep", is_list_or_all, "an array or \"all\"", e) < 0 ||
        want_type(c, sw, "engines", "sweep", is_list_or_all, "an array or \"all\"", e) < 0 ||
        want_type(c, sw, "threads", "sweep", is_array, "an array", e) < 0 ||
        want_type(c, sw, "repeats", "sweep", is_int, "an integer", e) < 0 ||
        want_type(c, sw, "warmups", "sweep", is_int, "an integer", e) < 0 ||
        want_type(c, sw, "timeout_s", "sweep", is_num, "a number", e) < 0 ||
        want_type(c, sw, "extra_engines", "sweep", is_array, "an array", e) < 0)
        return -1;
    /* Defaults: the study's design, 20 repeats after a warmup. */
    if (!json_object_get(sw, "profile"))
        json_object_set_new(sw, "profile", json_string("quick"));
    if (!json_object_get(sw, "seed"))
        json_object_set_new(sw, "seed", json_integer(20261124));
    if (!json_object_get(sw, "tasks"))
        json_object_set_new(sw, "tasks", json_string("all"));
    if (!json_object_get(sw, "engines"))
        json_object_set_new(sw, "engines", json_string("all"));
    if (!json_object_get(sw, "threads"))
        json_object_set_new(sw, "threads", json_pack("[i, s]", 1, "all"));
    if (!json_object_get(sw, "repeats"))
        json_object_set_new(sw, "repeats", json_integer(20));
    if (!json_object_get(sw, "warmups"))
        json_object_set_new(sw, "warmups", json_integer(1));
    if (!json_object_get(sw, "timeout_s"))
        json_object_set_new(sw, "timeout_s", json_real(600));
    c->sweep = sw;
    return load_hosts(c, e);
}

void cfg_free(struct cfg *c)
{
    json_decref(c->root);
    json_decref(c->owned);
    free(c->hosts);
    free(c->all_hosts);
    free(c->path);
    memset(c, 0, sizeof *c);
}

int cfg_override(struct cfg *c, const char *key, json_t *value, struct err *e)
{
    if (!known(sweep_keys, key))
        return err_set(e, 2, "unknown sweep setting '%s'", key);
    json_object_set_new(c->sweep, key, value);
    return 0;
}

int cfg_select_hosts(struct cfg *c, json_t *names, struct err *e)
{
    size_t i;
    json_t *n;
    int kept = 0;
    json_array_foreach(names, i, n) {
        int found = 0;
        for (int k = kept; k < c->nhosts; k++) {
            if (!strcmp(c->hosts[k].name, json_string_value(n))) {
                struct host_cfg t = c->hosts[kept];
                c->hosts[kept++] = c->hosts[k];
                c->hosts[k] = t;
                found = 1;
                break;
            }
        }
        if (!found)
            return err_set(e, 2, "--hosts: no host named '%s' in %s", json_string_value(n),
                           c->path);
    }
    c->nhosts = kept;
    return 0;
}

/* An engine of the user's: known keys and tasks, a command, and a name of
 * its own. A built-in name (the reference above all) would take the place
 * of the engine whose results every other run is checked against. */
static int check_extra_engine(const struct cfg *c, json_t *v, size_t i, struct strset *taken,
                              struct err *e)
{
    char where[48];
    snprintf(where, sizeof where, "sweep.extra_engines[%zu]", i);
    if (check_object(c, v, engine_keys, where, e) < 0)
        return -1;
    json_t *name = json_object_get(v, "name"), *argv = json_object_get(v, "argv");
    json_t *tasks = json_object_get(v, "tasks"), *x;
    if (!json_is_string(name) || !*json_string_value(name) || !json_is_array(argv) ||
        !json_array_size(argv) || !json_is_array(tasks) || !json_array_size(tasks))
        return err_set(e, 1, "%s: '%s' needs \"name\", \"argv\" and \"tasks\" (non-empty)",
                       c->path, where);
    size_t k;
    json_array_foreach(argv, k, x)
        if (!json_is_string(x))
            return err_set(e, 1, "%s: '%s.argv[%zu]' must be a string", c->path, where, k);
    json_array_foreach(tasks, k, x)
        if (!json_is_string(x) || !check_known_task(json_string_value(x)))
            return err_set(e, 1, "%s: '%s.tasks[%zu]': unknown task '%s' (numeric, groupby, "
                           "join, sessionize, stream-score)", c->path, where, k,
                           json_is_string(x) ? json_string_value(x) : "?");
    if (want_type(c, v, "needs", where, is_string, "a string", e) < 0)
        return -1;
    if (!strset_add(taken, json_string_value(name)))
        return err_set(e, 1, "%s: '%s.name': '%s' is already an engine's name (built-in or "
                       "extra); give yours a name of its own", c->path, where,
                       json_string_value(name));
    return 0;
}

int cfg_check_sweep(struct cfg *c, json_t *registry, struct err *e)
{
    json_t *sw = c->sweep;
    static const char *const all_tasks[] = {"numeric", "groupby", "join", "sessionize",
                                            "stream-score"};
    json_t *tasks = json_object_get(sw, "tasks");
    if (json_is_string(tasks)) {
        tasks = json_array();
        for (int i = 0; i < 5; i++)
            json_array_append_new(tasks, json_string(all_tasks[i]));
        json_object_set_new(sw, "tasks", tasks);
    }
    size_t i;
    json_t *v;
    if (json_array_size(tasks) == 0)
        return err_set(e, 1, "%s: 'sweep.tasks' is empty", c->path);
    json_array_foreach(tasks, i, v)
        if (!json_is_string(v) || !check_known_task(json_string_value(v)))
            return err_set(e, 1, "%s: 'sweep.tasks[%zu]': unknown task '%s' (numeric, "
                           "groupby, join, sessionize, stream-score)", c->path, i,
                           json_is_string(v) ? json_string_value(v) : "?");
    /* Extra engines join the registry for this sweep. */
    json_t *known_engines = json_object_get(registry, "engines");
    struct strset taken;
    strset_init(&taken);
    json_array_foreach(known_engines, i, v)
        if (json_is_string(json_object_get(v, "name")))
            strset_add(&taken, json_string_value(json_object_get(v, "name")));
    int bad = 0;
    json_array_foreach(json_object_get(sw, "extra_engines"), i, v) {
        if ((bad = check_extra_engine(c, v, i, &taken, e)) < 0)
            break;
        json_array_append(known_engines, v);
    }
    strset_free(&taken);
    if (bad < 0)
        return -1;
    json_t *engines = json_object_get(sw, "engines");
    if (json_is_string(engines)) {
        engines = json_array();
        json_array_foreach(known_engines, i, v)
            json_array_append(engines, json_object_get(v, "name"));
        json_object_set_new(sw, "engines", engines);
    }
    json_t *names = json_array();
    json_array_foreach(known_engines, i, v)
        json_array_append(names, json_object_get(v, "name"));
    json_array_foreach(engines, i, v) {
        if (!json_is_string(v) || !hp_json_has_string(names, json_string_value(v))) {
            json_decref(names);
            return err_set(e, 1, "%s: 'sweep.engines[%zu]': unknown engine '%s'", c->path, i,
                           json_is_string(v) ? json_string_value(v) : "?");
        }
    }
    json_decref(names);
    json_t *threads = json_object_get(sw, "threads");
    if (json_array_size(threads) == 0)
        return err_set(e, 1, "%s: 'sweep.threads' is empty", c->path);
    json_array_foreach(threads, i, v) {
        int ok = (json_is_integer(v) && json_integer_value(v) >= 1 &&
                  json_integer_value(v) <= 4096) ||
                 (json_is_string(v) && !strcmp(json_string_value(v), "all"));
        if (!ok)
            return err_set(e, 1, "%s: 'sweep.threads[%zu]' must be 1..4096 or \"all\"",
                           c->path, i);
    }
    json_int_t rep = json_integer_value(json_object_get(sw, "repeats"));
    json_int_t warm = json_integer_value(json_object_get(sw, "warmups"));
    if (rep < 1 || rep > 10000)
        return err_set(e, 1, "%s: 'sweep.repeats' must be 1..10000", c->path);
    if (warm < 0 || warm > 100)
        return err_set(e, 1, "%s: 'sweep.warmups' must be 0..100", c->path);
    if (json_number_value(json_object_get(sw, "timeout_s")) <= 0)
        return err_set(e, 1, "%s: 'sweep.timeout_s' must be positive", c->path);
    const char *profile = json_string_value(json_object_get(sw, "profile"));
    if (strcmp(profile, "tiny") && strcmp(profile, "quick") && strcmp(profile, "seed"))
        return err_set(e, 1, "%s: 'sweep.profile': unknown profile '%s' (tiny, quick, seed)",
                       c->path, profile);
    const char *k;
    json_object_foreach(json_object_get(sw, "sizes"), k, v) {
        if (strcmp(k, "facts") && strcmp(k, "events") && strcmp(k, "stream") &&
            strcmp(k, "points"))
            return err_set(e, 1, "%s: unknown key 'sweep.sizes.%s'", c->path, k);
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > MAX_SIZE)
            return err_set(e, 1, "%s: 'sweep.sizes.%s' must be an integer from 1 to %lld",
                           c->path, k, MAX_SIZE);
    }
    return 0;
}
