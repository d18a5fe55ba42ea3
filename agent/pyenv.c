/* hotpath-agent pyenv: the host's Python environment for the engines, built
 * from the bundle's pinned requirements.txt with a given interpreter, in
 * HOME/pyenv/ABI-KEY (KEY from the requirements' hash and the
 * interpreter), once: later calls find it ready. Wheels come from a folder
 * the controller pushed (offline: --no-index) or from the host's own index. */
#include "agent.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/fs.h"
#include "../common/proc.h"
#include "../common/sha256.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define READY_FILE "hotpath-env.json"

/* What the controller needs to fetch wheels for this interpreter, and
 * whether it can make a virtual environment at all. */
static const char interp_script[] =
    "import sys, os, json, platform, sysconfig\n"
    "def has(m):\n"
    "    try:\n"
    "        __import__(m)\n"
    "        return True\n"
    "    except Exception:\n"
    "        return False\n"
    "impl = {'cpython': 'cp', 'pypy': 'pp'}.get(sys.implementation.name, "
    "sys.implementation.name)\n"
    "v = sys.version_info\n"
    "libc = platform.libc_ver()\n"
    "print(json.dumps({'executable': os.path.realpath(sys.executable),\n"
    "    'version': '%d.%d.%d' % v[:3], 'implementation': impl,\n"
    "    'abi': '%s%d%d%s' % (impl, v[0], v[1], 't' if sysconfig.get_config_var("
    "'Py_GIL_DISABLED') else ''),\n"
    "    'os': platform.system(), 'machine': platform.machine(),\n"
    "    'libc': libc[0], 'libc_version': libc[1], 'mac_version': platform.mac_ver()[0],\n"
    "    'venv': has('venv'), 'ensurepip': has('ensurepip')}))\n";

/* Every name==version line of the requirements against what the
 * environment has; prints the installed versions, exits 1 on a mismatch. */
static const char verify_script[] =
    "import sys, json, re\n"
    "from importlib import metadata\n"
    "got, bad = {}, []\n"
    "for line in open(sys.argv[1]):\n"
    "    m = re.match(r'\\s*([A-Za-z0-9._-]+)\\s*==\\s*([^\\s;#]+)', line)\n"
    "    if not m:\n"
    "        continue\n"
    "    try:\n"
    "        got[m.group(1)] = metadata.version(m.group(1))\n"
    "    except metadata.PackageNotFoundError:\n"
    "        got[m.group(1)] = None\n"
    "    if got[m.group(1)] != m.group(2):\n"
    "        bad.append('%s %s (pinned %s)' % (m.group(1), got[m.group(1)], m.group(2)))\n"
    "print(json.dumps(got))\n"
    "if bad:\n"
    "    sys.stderr.write('not the pinned versions: ' + ', '.join(bad) + '\\n')\n"
    "    sys.exit(1)\n";

/* Runs argv (what: how the error names it); 0 when it exited 0, else -1
 * with e saying what and why (its last stderr line: pip's error is there). */
static int spawn(const char *what, char *const *argv, char *const *env, double timeout_s,
                 struct buf *out, struct err *e)
{
    struct proc_opts o = {.argv = argv, .env = env, .timeout_s = timeout_s, .grace_s = 2,
                          .out_cap = 1 << 20, .err_cap = 1 << 20};
    struct proc_result r;
    if (proc_run(&o, &r, e) < 0)
        return -1;
    int rc = 0;
    if (r.exec_errno) {
        rc = err_set(e, 1, "%s: cannot run %s: %s", what, argv[0], strerror(r.exec_errno));
    } else if (r.timed_out) {
        rc = err_set(e, 1, "%s: no end after %.0f s", what, timeout_s);
    } else if (!r.exited || r.exit_code != 0) {
        char *why = proc_err_line(&r);
        if (*why)
            rc = err_set(e, 1, "%s: %.300s", what, why);
        else if (r.exited)
            rc = err_set(e, 1, "%s: exit %d", what, r.exit_code);
        else
            rc = err_set(e, 1, "%s: killed by signal %d", what, r.sig);
        free(why);
    }
    if (rc == 0 && out && buf_add(out, r.out.data ? r.out.data : "", r.out.len) < 0)
        rc = err_set(e, 1, "%s: its output is over %zu bytes", what, out->max);
    proc_result_free(&r);
    return rc;
}

/* Wheels pushed for this build only go when it is over, whatever happened. */
static const char *drop_dir;

static void drop_wheels(void)
{
    if (drop_dir)
        fs_rm_tree(drop_dir);
}

static void emit(json_t *o, int code)
{
    json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT);
    putchar('\n');
    fflush(stdout);
    json_decref(o);
    exit(code);
}

static void emit_state(json_t *interp, const char *state, const char *why, int code)
{
    json_t *o = json_pack("{s:s}", "state", state);
    if (why && code)
        error("pyenv: %s", why);
    if (why)
        json_object_set_new(o, "why", json_string(why));
    if (interp)
        json_object_set(o, "interpreter", interp);
    emit(o, code);
}

/* The environment is ready when its record exists and its python runs. */
static json_t *ready_env(const char *env)
{
    char *path = xasprintf("%s/" READY_FILE, env);
    json_t *rec = json_load_file(path, 0, NULL);
    free(path);
    if (!rec)
        return NULL;
    char *py = xasprintf("%s/bin/python", env);
    char *argv[] = {py, "-c", "pass", NULL};
    struct err e = {0};
    int ok = spawn("the environment's python", argv, NULL, 60, NULL, &e) == 0;
    free(py);
    if (!ok) {
        json_decref(rec);
        return NULL;
    }
    return rec;
}

int agent_pyenv(int argc, char **argv)
{
    const char *python = "python3", *req = NULL, *wheels = NULL;
    int index = 0, check = 0, drop = 0;
    for (int i = 1; i < argc; i++) {
        int more = i + 1 < argc;
        if (!strcmp(argv[i], "--python") && more)
            python = argv[++i];
        else if (!strcmp(argv[i], "--requirements") && more)
            req = argv[++i];
        else if (!strcmp(argv[i], "--wheels") && more)
            wheels = argv[++i];
        else if (!strcmp(argv[i], "--drop-wheels"))
            drop = 1;
        else if (!strcmp(argv[i], "--index"))
            index = 1;
        else if (!strcmp(argv[i], "--check"))
            check = 1;
        else
            die_code(2, "pyenv: unknown argument '%s'", argv[i]);
    }
    char *own_req = xasprintf("%s/requirements.txt", agent_root());
    if (!req)
        req = own_req;      /* the bundle's */
    if (!check && !wheels == !index)
        die_code(2, "pyenv: give one of --wheels DIR (offline) or --index, or --check");
    if (drop && wheels && !check) {
        drop_dir = wheels;
        atexit(drop_wheels);
    }

    struct err e = {0};
    char hex[65];
    unsigned long long bytes;
    if (sha256_file(req, hex, &bytes) < 0)
        die("pyenv: %s: %s", req, strerror(errno));

    struct buf out;
    buf_init(&out, 1 << 20);
    char *qargv[] = {(char *)python, "-c", (char *)interp_script, NULL};
    if (spawn(python, qargv, NULL, 60, &out, &e) < 0)
        emit_state(NULL, "unavailable", e.msg, check ? 0 : 1);
    json_t *interp = json_loads(out.data ? out.data : "", JSON_DISABLE_EOF_CHECK, NULL);
    buf_free(&out);
    if (!json_is_object(interp))
        emit_state(NULL, "unavailable", "the interpreter's facts are not JSON", check ? 0 : 1);
    const char *exe = json_string_value(json_object_get(interp, "executable"));
    const char *ver = json_string_value(json_object_get(interp, "version"));
    const char *abi = json_string_value(json_object_get(interp, "abi"));

    /* The key: the requirements' content and the interpreter's identity. */
    struct sha256 s;
    unsigned char d[32];
    char key[65];
    sha256_init(&s);
    sha256_update(&s, hex, 64);
    sha256_update(&s, exe ? exe : "", exe ? strlen(exe) + 1 : 1);
    sha256_update(&s, ver ? ver : "", ver ? strlen(ver) + 1 : 1);
    sha256_final(&s, d);
    sha256_hex(d, key);
    /* An absolute path: the engines run its python from other folders. */
    char cwd[4096];
    const char *home = agent_home();
    char *base = home[0] == '/' || !getcwd(cwd, sizeof cwd)
                     ? xasprintf("%s/pyenv", home)
                     : xasprintf("%s/%s/pyenv", cwd, home);
    char *env = xasprintf("%s/%s-%.16s", base, abi ? abi : "py", key);
    char *envpy = xasprintf("%s/bin/python", env);
    json_t *result = json_pack("{s:s, s:s, s:s, s:s, s:O}", "state", "ready", "python", envpy,
                               "env", env, "requirements_sha", hex, "interpreter", interp);

    json_t *rec = ready_env(env);
    if (rec) {
        json_object_set(result, "packages", json_object_get(rec, "packages"));
        json_decref(rec);
        emit(result, 0);
    }
    if (!json_is_true(json_object_get(interp, "venv")))
        emit_state(interp, "unavailable", "the interpreter has no venv module", check ? 0 : 1);
    if (!json_is_true(json_object_get(interp, "ensurepip")))
        emit_state(interp, "unavailable",
                   "the interpreter has no ensurepip (on Debian and Ubuntu: install "
                   "python3-venv)", check ? 0 : 1);
    if (check) {
        json_object_set_new(result, "state", json_string("missing"));
        json_object_del(result, "python");
        emit(result, 0);
    }

    /* One builder at a time; a second one waits, then finds it ready. */
    if (fs_mkdirs(base) < 0)
        die("pyenv: cannot create %s: %s", base, strerror(errno));
    char *lockp = xasprintf("%s.lock", env);
    int lk = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lk < 0 || flock(lk, LOCK_EX) < 0)
        die("pyenv: cannot lock %s: %s", lockp, strerror(errno));
    if ((rec = ready_env(env)) != NULL) {
        json_object_set(result, "packages", json_object_get(rec, "packages"));
        json_decref(rec);
        emit(result, 0);
    }
    double t0 = clock_now();
    if (fs_rm_tree(env) < 0)    /* what a builder that died left behind */
        die("pyenv: cannot remove %s: %s", env, strerror(errno));
    char *venv_argv[] = {(char *)python, "-m", "venv", env, NULL};
    /* Offline: nothing but the pushed wheels, whatever pip.conf says. */
    char *off_env[] = {"PIP_CONFIG_FILE=/dev/null", "PIP_NO_INDEX=1",
                       "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", NULL};
    char *on_env[] = {"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", NULL};
    char *pip_off[] = {envpy, "-m", "pip", "install", "--no-index", "--find-links",
                       (char *)wheels, "--only-binary=:all:", "--no-cache-dir", "-q", "-r",
                       (char *)req, NULL};
    char *pip_on[] = {envpy, "-m", "pip", "install", "-q", "-r", (char *)req, NULL};
    char *ver_argv[] = {envpy, "-c", (char *)verify_script, (char *)req, NULL};
    char *venv_what = xasprintf("%s -m venv %s", python, env);
    char *pip_what = wheels ? xasprintf("pip install --no-index --find-links %s -r %s", wheels,
                                        req)
                            : xasprintf("pip install -r %s (the host's index)", req);
    buf_init(&out, 1 << 20);
    if (spawn(venv_what, venv_argv, NULL, 300, NULL, &e) < 0 ||
        spawn(pip_what, wheels ? pip_off : pip_on, wheels ? off_env : on_env, 1800, NULL,
              &e) < 0 ||
        spawn("the installed versions", ver_argv, NULL, 120, &out, &e) < 0) {
        fs_rm_tree(env);
        emit_state(interp, "failed", e.msg, 1);
    }
    free(venv_what);
    free(pip_what);
    json_t *pkgs = json_loads(out.data ? out.data : "", JSON_DISABLE_EOF_CHECK, NULL);
    buf_free(&out);
    json_object_set_new(result, "packages", pkgs ? pkgs : json_object());
    json_object_set_new(result, "source", json_string(wheels ? "wheels" : "index"));
    json_object_set_new(result, "build_s", json_real(clock_now() - t0));
    char *recp = xasprintf("%s/" READY_FILE, env);
    char *tmp = xasprintf("%s.tmp", recp);
    if (json_dump_file(result, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0 ||
        rename(tmp, recp) < 0)
        die("pyenv: cannot write %s: %s", recp, strerror(errno));
    json_object_set_new(result, "state", json_string("built"));
    emit(result, 0);
    return 0;
}
