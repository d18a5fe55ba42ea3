#ifndef HP_PYENV_H
#define HP_PYENV_H
/* The Python environment of a host: built there by `hotpath-agent pyenv`
 * from the bundle's pinned requirements.txt, from wheels this controller
 * fetched for the host's platform (cached in ~/.cache/hotpath/wheels) and
 * pushed, or from the host's own index. A transport supplies two doors:
 * running an agent command and putting a folder of files on the host. */
#include <jansson.h>

struct err;
struct host_cfg;

struct pyenv_io {
    void *ctx;
    /* `hotpath-agent ARGS...` on the host: its stdout (caller frees). */
    int (*agent)(void *ctx, char *const *args, char **out, struct err *e);
    /* The files of the local folder `dir` put in a new folder on the host;
     * its path there (caller frees), left NULL when the host reads `dir`
     * itself (a transport whose agent runs on this machine). */
    int (*push_dir)(void *ctx, const char *dir, const char *name, char **remote,
                    struct err *e);
    const char *requirements;   /* NULL: the agent's bundle's requirements.txt */
};

/* 1 when the plan runs an engine that needs the pinned libraries. */
int pyenv_needed(json_t *plan);

/* Sets the plan's python to the host's environment, provisioned first,
 * when the plan needs it and python_env is not "system". When it cannot
 * be had: a warning, the engines that need it marked to be skipped with
 * the reason ("skip"), and -1; the plan's other engines run as planned. */
int pyenv_plan(const struct host_cfg *h, const struct pyenv_io *io, json_t *plan);

/* The doors of an open host link (its bundle made sure of). */
struct host_link;
void pyenv_link_io(struct host_link *l, struct pyenv_io *io);

/* Makes sure the host's environment is there (built at most once) and
 * returns its python (caller frees); NULL python for python_env "system".
 * built says whether anything was installed. */
int pyenv_provision(const struct host_cfg *h, const struct pyenv_io *io, char **python,
                    int *built, struct err *e);

/* For `hotpath hosts`: *state is "ready", "to build", "system", "cannot
 * build" or "unknown" (the agent could not be asked); the text says more:
 * the versions and where, from what it would be built, or why not.
 * Caller frees. */
char *pyenv_describe(const struct host_cfg *h, const struct pyenv_io *io, const char **state);

/* pip download's target words (--platform ..., --python-version,
 * --implementation, --abi) for an interpreter as the agent describes it;
 * NULL with e filled for a platform pip has no wheels for. */
char **pyenv_pip_target(json_t *interp, struct err *e);
void pyenv_free_words(char **w);

/* The wheels of the requirements for interp, fetched once into the cache
 * ($XDG_CACHE_HOME or ~/.cache, then hotpath/wheels/KEY): the folder. */
char *pyenv_wheels(json_t *interp, const char *requirements, struct err *e);

#endif
