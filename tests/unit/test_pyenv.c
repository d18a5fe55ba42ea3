#include "harness.h"
#include "../../common/err.h"
#include "../../controller/cfg.h"
#include "../../controller/pyenv.h"

#include <stdlib.h>
#include <string.h>

static char *target(const char *interp_json)
{
    json_t *in = json_loads(interp_json, 0, NULL);
    struct err e = {0};
    char **w = pyenv_pip_target(in, &e);
    json_decref(in);
    if (!w)
        return strdup(e.msg);
    size_t n = 0;
    for (char **p = w; *p; p++)
        n += strlen(*p) + 1;
    char *s = calloc(1, n + 1);
    for (char **p = w; *p; p++) {
        strcat(s, *p);
        strcat(s, p[1] ? " " : "");
    }
    pyenv_free_words(w);
    return s;
}

TEST(test_pyenv_target)
{
    char *s = target("{\"os\": \"Linux\", \"machine\": \"x86_64\", \"libc\": \"glibc\", "
                     "\"libc_version\": \"2.36\", \"version\": \"3.11.2\", "
                     "\"implementation\": \"cp\", \"abi\": \"cp311\"}");
    CHECK(!strncmp(s, "--platform manylinux_2_36_x86_64 --platform manylinux_2_35_x86_64 ", 66),
          "glibc 2.36: the newest manylinux tag first");
    CHECK(strstr(s, "--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 "
                    "--python-version 3.11 --implementation cp --abi cp311") != NULL,
          "every manylinux tag down to 2_17 and manylinux2014, then the interpreter's");
    CHECK(strstr(s, "manylinux_2_16") == NULL, "no tag older than manylinux_2_17");
    free(s);
    s = target("{\"os\": \"Linux\", \"machine\": \"aarch64\", \"libc\": \"\", "
               "\"version\": \"3.12.1\", \"implementation\": \"cp\", \"abi\": \"cp312\"}");
    CHECK(!strcmp(s, "--platform musllinux_1_2_aarch64 --platform musllinux_1_1_aarch64 "
                     "--python-version 3.12 --implementation cp --abi cp312"),
          "a Linux without glibc gets the musllinux tags");
    free(s);
    s = target("{\"os\": \"Darwin\", \"machine\": \"arm64\", \"mac_version\": \"14.5\", "
               "\"version\": \"3.13.0\", \"implementation\": \"cp\", \"abi\": \"cp313t\"}");
    CHECK(!strcmp(s, "--platform macosx_14_0_arm64 --python-version 3.13 --implementation cp "
                     "--abi cp313t"),
          "macOS 14 on arm64: one tag, which pip widens to older versions");
    free(s);
    s = target("{\"os\": \"Linux\", \"machine\": \"x86_64\", \"libc\": \"glibc\", "
               "\"libc_version\": \"2.36\", \"version\": \"\", \"abi\": \"cp311\"}");
    CHECK(strstr(s, "version") != NULL, "an interpreter without a version is refused, saying so");
    free(s);
    s = target("{\"os\": \"SunOS\", \"machine\": \"sparc\", \"version\": \"3.11.0\", "
               "\"implementation\": \"cp\", \"abi\": \"cp311\"}");
    CHECK(strstr(s, "no wheels are published for SunOS sparc") != NULL,
          "a platform without wheels is named in the refusal");
    free(s);
}

TEST(test_pyenv_needed)
{
    json_t *p = json_loads("{\"engines\": [{\"name\": \"c\", \"argv\": [\"{bin}/c\"]}, "
                           "{\"name\": \"python-loop\", \"argv\": [\"{python}\", \"x.py\"]}, "
                           "{\"name\": \"rust-polars\", \"argv\": [\"{bin}/r\"], "
                           "\"library\": true}]}", 0, NULL);
    CHECK(pyenv_needed(p) == 0, "plain Python and a Rust library engine need no environment");
    json_array_append_new(json_object_get(p, "engines"),
                          json_loads("{\"name\": \"python-numpy\", \"argv\": [\"{python}\", "
                                     "\"n.py\"], \"library\": true}", 0, NULL));
    CHECK(pyenv_needed(p) == 1, "a Python library engine needs the environment");
    json_decref(p);
}

/* An agent that answers `pyenv --check` with check, and fails a build. */
struct fake {
    const char *check;
    int builds;
};

static int fake_agent(void *ctx, char *const *args, char **out, struct err *e)
{
    struct fake *f = ctx;
    for (int i = 0; args[i]; i++)
        if (!strcmp(args[i], "--check")) {
            if (!f->check)
                return err_set(e, 1, "h: cannot connect");
            *out = strdup(f->check);
            return 0;
        }
    f->builds++;
    return err_set(e, 1, "h: agent exited with status 1: pyenv: pip install: no network");
}

static const char plan_json[] =
    "{\"engines\": [{\"name\": \"c-scalar\", \"argv\": [\"{bin}/c-scalar\"]}, "
    "{\"name\": \"python-numpy\", \"argv\": [\"{python}\", \"n.py\"], \"library\": true}]}";

TEST(test_pyenv_plan)
{
    struct host_cfg h = {.name = "h", .python_env = "index"};
    struct fake f = {.check = "{\"state\": \"ready\", "
                              "\"python\": \"/w/pyenv/cp311-ab/bin/python\", "
                              "\"env\": \"/w/pyenv/cp311-ab\", \"packages\": {\"numpy\": \"2.3.5\"}}"};
    struct pyenv_io io = {.ctx = &f, .agent = fake_agent};
    json_t *plan = json_loads(plan_json, 0, NULL);
    CHECK(pyenv_plan(&h, &io, plan) == 0 && f.builds == 0 &&
          !strcmp(json_string_value(json_object_get(plan, "python")) ?: "",
                  "/w/pyenv/cp311-ab/bin/python"),
          "a ready environment: the plan runs its python, nothing is built");
    const char *state;
    char *d = pyenv_describe(&h, &io, &state);
    CHECK(!strcmp(state, "ready") && strstr(d, "numpy 2.3.5") && strstr(d, "/w/pyenv/cp311-ab"),
          "hosts: ready, with the versions and where");
    free(d);
    json_decref(plan);

    f.check = "{\"state\": \"missing\", \"interpreter\": {\"executable\": \"/usr/bin/python3\", "
              "\"version\": \"3.11.2\"}}";
    plan = json_loads(plan_json, 0, NULL);
    int level = log_level;
    log_level = -1;     /* its warning is not for the test's output */
    int rc = pyenv_plan(&h, &io, plan);
    log_level = level;
    CHECK(rc < 0 && f.builds == 1 && !json_object_get(plan, "python"),
          "a build that fails leaves the plan's python alone");
    json_t *eng = json_array_get(json_object_get(plan, "engines"), 1);
    const char *why = json_string_value(json_object_get(eng, "skip"));
    CHECK(why && strstr(why, "python_env index") && strstr(why, "no network"),
          "the library engine is to be skipped, saying why the environment is not there");
    CHECK(!json_object_get(json_array_get(json_object_get(plan, "engines"), 0), "skip"),
          "the other engines run as planned");
    json_decref(plan);
    d = pyenv_describe(&h, &io, &state);
    CHECK(!strcmp(state, "to build") && strstr(d, "/usr/bin/python3 (Python 3.11.2)") &&
          strstr(d, "host's own index"),
          "hosts: to build, from which interpreter and how");
    free(d);

    f.check = "{\"state\": \"unavailable\", \"why\": \"the interpreter has no venv module\"}";
    d = pyenv_describe(&h, &io, &state);
    CHECK(!strcmp(state, "cannot build") && !strcmp(d, "the interpreter has no venv module"),
          "hosts: cannot build, and why not");
    free(d);
    f.check = NULL;
    d = pyenv_describe(&h, &io, &state);
    CHECK(!strcmp(state, "unknown") && strstr(d, "cannot connect"),
          "hosts: unknown when the agent cannot be asked, saying why");
    free(d);

    h.python_env = "system";
    plan = json_loads(plan_json, 0, NULL);
    f.builds = 0;
    CHECK(pyenv_plan(&h, &io, plan) == 0 && f.builds == 0 && !json_object_get(plan, "python"),
          "python_env system: python as it is, nothing asked or built");
    json_decref(plan);
    d = pyenv_describe(&h, &io, &state);
    CHECK(!strcmp(state, "system"), "hosts: system");
    free(d);
}
