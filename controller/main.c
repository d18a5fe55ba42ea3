/* hotpath: the controller. Each command is one row of this table and one
 * cmd-NAME.c file. */
#include "hotpath.h"
#include "../common/err.h"
#include "../common/exe.h"
#include "../common/xmalloc.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli cli = {.db = "hotpath.db"};

static const struct cmd_entry {
    const char *name, *usage, *summary;
    int (*fn)(int argc, char **argv);
    const char *help;   /* more, for `hotpath COMMAND --help` */
} cmds[] = {
    {"sweep", "sweep [--profile P] [--tasks A,B] [--engines A,B] [--threads 1,all] "
              "[--repeats N] [--warmups N] [--timeout S] [--seed N] [--hosts A,B]",
     "run every task x engine x thread count on every host and store the runs", cmd_sweep,
     "Settings come from the configuration (-c, default configs/local.json); each option\n"
     "overrides one: lists are comma-separated, --threads takes numbers and 'all' (the\n"
     "host's logical cores). Progress goes to stderr. Exit status: 0 every host finished,\n"
     "3 a host failed (the others' runs are stored; see `hotpath status SWEEP`), 1 error,\n"
     "2 bad usage. `hotpath resume` finishes an interrupted sweep.\n"},
    {"resume", "resume [SWEEP]", "finish a sweep: replay host journals, run what is missing",
     cmd_resume, "SWEEP is a uuid or a unique prefix of one (default: the latest sweep).\n"
     "Each host's journal is replayed into the store first, then only the runs still\n"
     "missing are run. Exit status as for sweep.\n"},
    {"status", "status [SWEEP]", "sweeps in the store and their progress", cmd_status, NULL},
    {"query", "query [--csv|--json] [--timeout S] [--max-memory MIB] SQL", "read-only SQL on the store (views: v_runs, "
              "v_medians, v_speedups, v_latest, v_problems)", cmd_query,
     "One statement, read-only: writes, ATTACH and PRAGMA changes are refused (exit 1).\n"
     "Output: an aligned table, --csv, or --json, row by row as the rows come. Stopped\n"
     "(exit 1) after --timeout seconds (default 600; 0: none) or when SQLite needs more\n"
     "than --max-memory MiB (default 1024; 0: none). The stock sqlite3 shell works too.\n"},
    {"report", "report [SWEEP|latest] [--out DIR] [--format svg,png] [--history ENGINES|all]",
     "charts (gnuplot), report.html and report.md for a sweep", cmd_report,
     "Writes into DIR (default report/): per task, a panel per host of the medians (log\n"
     "scale, p25-p75 whiskers), a speedup heatmap over the baseline (per thread count),\n"
     "each engine's speedup range across the hosts (chart and table), every run's\n"
     "distribution, thread scaling and history across sweeps with changes compare would\n"
     "flag marked (--history: which engines; default each task's baseline and its two\n"
     "fastest engines); a summary of the fastest engine per task and host comes first. Each chart as NAME.gp + NAME.dat (rerun `gnuplot NAME.gp`\n"
     "there to restyle) rendered to SVG and PNG; report.html (self-contained, inline SVG)\n"
     "and report.md with the tables, the hosts, the data manifest and every run without\n"
     "a valid timing. Prints the path of report.html.\n"},
    {"compare", "compare A B [--threshold 5%]",
     "compare two sweeps cell by cell; exit 1 when B is significantly slower", cmd_compare,
     "For each (host, task, engine, threads) with valid runs in both sweeps: both medians,\n"
     "B/A, and the p-value of a two-sided Mann-Whitney U test on the run times (exact\n"
     "distribution for samples without ties up to 100 x 100 runs, else the normal\n"
     "approximation with tie correction). A cell is SLOWER when p < 0.05 and B/A exceeds\n"
     "1 + threshold (default 5%). Exit status 1 when any cell is SLOWER, so CI can use it;\n"
     "--json (global option) prints the cells as JSON."},
    {"publish", "publish [SWEEP] --url URL [--token-env NAME] [--cacert FILE] [--retries N] "
                "[--insecure-http]",
     "post a sweep (runs, hosts, data manifest) as JSON over HTTPS", cmd_publish,
     "HTTPS only, certificates verified (--cacert trusts a private CA); plain http:// only\n"
     "with --insecure-http and a loopback address. The bearer token is read from the\n"
     "environment variable named by --token-env and is never printed. Connection errors\n"
     "and the answers 408, 429 and 5xx are retried (default 3 retries, backoff from\n"
     "0.5 s, doubling); redirects are not followed. Exit 0 on a 2xx answer, 1 otherwise\n"
     "(with the server's status line), 2 on bad usage.\n"},
    {"hosts", "hosts [--check]", "probe each configured host and print a summary; --check: "
     "the conditions a sweep would run under (governor, boost, SMT, battery, throttling, swap, "
     "ASLR, load)", cmd_hosts, NULL},
    {"explain", "explain [--host NAME] [--threads N] [--subprocesses] [--rate HZ] [--top N] "
                "[--no-store] [--json] -- CMD [ARGS...]",
     "run a program under a sampler: where its time goes, and what a rewrite would replace",
     cmd_explain,
     "Runs CMD here, or with --host NAME on that host of the configuration (-c) through\n"
     "its agent, in the bundle's folder, `python` being the host's pinned environment,\n"
     "and samples it: a Python program with py-spy (the pinned environment has it),\n"
     "anything else with perf where perf works. Prints wall and CPU time, cores busy,\n"
     "kernel and waiting time, the share of the hot path in the interpreter (top Python\n"
     "lines), in each native library (top functions) and in libc/libm, then a verdict:\n"
     "native-backed query, vectorised or parallel numerical work, or interpreter-bound\n"
     "custom logic, and whether a rewrite replaces the wrapper or the bottleneck.\n"
     "Module imports are counted apart, as startup. The program's own output goes to\n"
     "stderr. --threads N sets POLARS_MAX_THREADS, RAYON_NUM_THREADS, OMP_NUM_THREADS,\n"
     "OPENBLAS_NUM_THREADS and MKL_NUM_THREADS; --subprocesses samples the Python programs\n"
     "CMD starts; --rate is samples per second (default 100). The explanation is stored\n"
     "(table explanations, drawn by `hotpath report`) unless --no-store. Exit status: 0,\n"
     "1 when the program failed or could not be run, 2 bad usage.\n"},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static void usage(FILE *f)
{
    fprintf(f,
        "usage: hotpath [-c CONFIG] [--db PATH] [-q|-v] [--json] COMMAND [ARGS]\n"
        "\n"
        "Times the same data tasks with several engines on one or many hosts and\n"
        "keeps every run in SQLite.\n"
        "\n"
        "commands:\n");
    for (size_t i = 0; i < NCMDS; i++)
        fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f,
        "\n"
        "options:\n"
        "  -c CONFIG   configuration (default: configs/local.json beside the program,\n"
        "              one local host)\n"
        "  --db PATH   the store (default ./hotpath.db)\n"
        "  -q, -v      quieter (errors only), more verbose\n"
        "  --json      JSON output where a command prints data\n"
        "  -h, --help  this text; `hotpath COMMAND --help` for a command\n"
        "  --version   print the version\n"
        "\n"
        "exit status: 0 ok; 1 error; 2 bad usage; 3 sweep finished but a host failed\n");
}

int hp_command_help(const char *name, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            for (size_t k = 0; k < NCMDS; k++)
                if (!strcmp(cmds[k].name, name))
                    printf("usage: hotpath %s\n\n%s\n%s%s", cmds[k].usage, cmds[k].summary,
                           cmds[k].help ? "\n" : "", cmds[k].help ? cmds[k].help : "");
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    log_init("hotpath");
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("hotpath %s\n", HOTPATH_VERSION);
            return 0;
        } else if (!strcmp(a, "-c") && i + 1 < argc) {
            cli.config = argv[++i];
        } else if (!strcmp(a, "--db") && i + 1 < argc) {
            cli.db = argv[++i];
        } else if (!strcmp(a, "-q")) {
            log_level = 0;
        } else if (!strcmp(a, "-v")) {
            log_level = 2;
        } else if (!strcmp(a, "--json")) {
            cli.json = 1;
        } else {
            error("unknown option '%s'", a);
            usage(stderr);
            return 2;
        }
    }
    if (i == argc) {
        usage(stderr);
        return 2;
    }
    for (size_t k = 0; k < NCMDS; k++) {
        if (!strcmp(argv[i], cmds[k].name)) {
            if (hp_command_help(cmds[k].name, argc - i, argv + i))
                return 0;
            return cmds[k].fn(argc - i, argv + i);
        }
    }
    error("unknown command '%s' (see hotpath --help)", argv[i]);
    return 2;
}
