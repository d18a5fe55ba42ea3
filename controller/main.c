/* hotpath: the controller. Each command is one row of this table and one
 * cmd-NAME.c file. */
#include "hotpath.h"
#include "../common/err.h"
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
} cmds[] = {
    {"sweep", "sweep [--profile P] [--tasks A,B] [--engines A,B] [--threads 1,all] "
              "[--repeats N] [--warmups N] [--timeout S] [--seed N] [--hosts A,B]",
     "run every task x engine x thread count on every host and store the runs", cmd_sweep},
    {"resume", "resume [SWEEP]", "finish a sweep: replay host journals, run what is missing",
     cmd_resume},
    {"status", "status [SWEEP]", "sweeps in the store and their progress", cmd_status},
    {"query", "query [--csv|--json] SQL", "read-only SQL on the store (views: v_runs, "
              "v_medians, v_speedups, v_latest, v_problems)", cmd_query},
    {"report", "report [SWEEP|latest] [--out DIR] [--format svg,png]",
     "charts (gnuplot), report.html and report.md for a sweep", cmd_report},
    {"hosts", "hosts", "probe each configured host and print a summary", cmd_hosts},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static char *root;

const char *hp_root(void)
{
    if (root)
        return root;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *real = realpath(exe, NULL);
    char *dir = xstrdup(real ? real : ".");
    free(real);
    root = xstrdup(dirname(dirname(dir)));
    free(dir);
    return root;
}

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
                    printf("usage: hotpath %s\n\n%s\n", cmds[k].usage, cmds[k].summary);
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
