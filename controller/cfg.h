#ifndef HP_CFG_H
#define HP_CFG_H
#include <jansson.h>

struct err;

/* A host as the configuration describes it; strings are owned by the
 * config's JSON. */
struct host_cfg {
    const char *name, *transport, *address, *user, *identity, *known_hosts;
    const char *host_key, *jump, *exec_prefix, *workdir, *python, *passphrase_env;
    const char *python_env;     /* "push", "index" or "system" */
    const char *exec_shell;     /* "posix" or "cmd": the server's shell for commands */
    const char *sftp_workdir;   /* the workdir as SFTP sees it, or NULL: the same path */
    int port;
    double lost_after_s;        /* silence after which an SSH host is declared lost */
    double connect_timeout_s;
    json_t *ssh_resolved;       /* what `ssh -G` resolved and from where (sshcfg.c), or NULL */
};

struct cfg {
    char *path;             /* where it came from, for messages */
    json_t *root;
    json_t *sweep;          /* the "sweep" object, defaults filled in */
    struct host_cfg *hosts;         /* the hosts this run uses */
    int nhosts;
    struct host_cfg *all_hosts;     /* every configured host (jump hosts among them), then
                                     * the ProxyJump hops of the ssh configuration */
    int nhosts_all;
    json_t *owned;          /* strings and records resolved from the ssh configuration */
};

/* Loads and checks path (NULL: the built-in local default). Every unknown
 * key, wrong type or bad value is an error naming the key and the file. */
int cfg_load(const char *path, struct cfg *c, struct err *e);
/* The same checks on JSON already loaded (taking ownership of root). */
int cfg_from_json(json_t *root, const char *label, struct cfg *c, struct err *e);
void cfg_free(struct cfg *c);
/* Applies a command-line override (key as in "sweep"): value is JSON. */
int cfg_override(struct cfg *c, const char *key, json_t *value, struct err *e);
/* Keeps only the named hosts. */
int cfg_select_hosts(struct cfg *c, json_t *names, struct err *e);
/* Re-checks the sweep after overrides: tasks and engines exist, numbers in range. */
int cfg_check_sweep(struct cfg *c, json_t *registry, struct err *e);

#endif
