/* hotpath-agent: runs on each host; every command prints JSON on stdout
 * and errors on stderr. */
#include "agent.h"
#include "../common/err.h"

#include <stdio.h>
#include <string.h>

static const struct agent_cmd {
    const char *name, *usage, *summary;
    int (*fn)(int argc, char **argv);
} cmds[] = {
    {"probe", "probe [--python PATH]", "hardware and software metadata of this host",
     agent_probe},
    {"gen", "gen --profile P [--seed N]",
     "generate (or verify and reuse) the data of a profile", agent_gen},
    {"run", "run [--plan FILE] [--detach] (< PLAN)",
     "run a plan's engines, one JSON record per line (--detach: in the background)",
     agent_run},
    {"tail", "tail --sweep UUID [--from N] [--follow]",
     "replay a sweep's journal from record N (--follow: until the run's done record)",
     agent_tail},
    {"bundle-verify", "bundle-verify", "check this bundle's files against its MANIFEST",
     agent_bundle_verify},
    {"bundle-seal", "bundle-seal",
     "record the binaries this host built into its bundle (MANIFEST.built)", agent_bundle_seal},
    {"explain", "explain [--python P] [--rate N] [--threads N] [--subprocesses] -- CMD...",
     "run a program under a sampler, print the raw samples and its times", agent_explain},
    {"pyenv",
     "pyenv [--requirements FILE] [--python PY] (--wheels DIR [--drop-wheels] | --index | "
     "--check)",
     "build (once) or find the Python environment of pinned requirements", agent_pyenv},
    {"check", "check --task TASK --threads N --expected FILE < OUTPUT",
     "validate one engine's output against an expected result", agent_check},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: hotpath-agent COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-12s %s\n               %s\n", cmds[i].name, cmds[i].summary,
                cmds[i].usage);
    fprintf(f, "\nExit status: 0 ok, 1 failure, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    log_init("hotpath-agent");
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("hotpath-agent %s\n", HOTPATH_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    error("unknown command '%s'", argv[1]);
    usage(stderr);
    return 2;
}
