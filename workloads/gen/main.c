/* hotpath-gen: writes a profile's data files and manifest.json. */
#include "gen.h"
#include "../../common/clock.h"
#include "../../common/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: hotpath-gen --profile tiny|quick|seed --dir DIR [options]\n"
    "\n"
    "Writes facts.csv, users.csv, events.csv, stream.csv, points.f64 and\n"
    "manifest.json exactly as WORKLOADS.md specifies.\n"
    "\n"
    "  --profile NAME   tiny, quick or seed (default quick)\n"
    "  --dir DIR        output folder, created if missing (required)\n"
    "  --seed N         generator seed (default 20261124)\n"
    "  --facts N --events N --stream N --points N\n"
    "                   custom sizes; the profile is then recorded as 'custom'\n"
    "  --threads N      files written in parallel (default: online cores)\n"
    "  --verify         check DIR against its manifest instead of writing;\n"
    "                   exit 0 when it matches this profile exactly\n"
    "  -q               no summary on stderr\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 done, 1 failure (or --verify mismatch), 2 bad usage.\n";

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = x;
    return 0;
}

int main(int argc, char **argv)
{
    log_init("hotpath-gen");
    struct gen_profile p;
    gen_profile_lookup("quick", &p);
    const char *dir = NULL, *profile = "quick";
    uint64_t seed = GEN_SEED_DEFAULT, sizes[4] = {0, 0, 0, 0};
    int have_size[4] = {0, 0, 0, 0}, verify = 0, quiet = 0;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    static const char *const size_opts[4] = {"--facts", "--events", "--stream", "--points"};

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int k, consumed = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--verify")) {
            verify = 1, consumed = 0;
        } else if (!strcmp(a, "-q")) {
            quiet = 1, consumed = 0;
        } else if (!strcmp(a, "--profile") && v) {
            profile = v;
        } else if (!strcmp(a, "--dir") && v) {
            dir = v;
        } else if (!strcmp(a, "--seed") && v) {
            if (parse_u64(v, &seed) < 0)
                die_code(2, "--seed: not an unsigned integer: '%s'", v);
        } else if (!strcmp(a, "--threads") && v) {
            uint64_t t;
            if (parse_u64(v, &t) < 0 || t < 1 || t > 1024)
                die_code(2, "--threads: want 1..1024, got '%s'", v);
            threads = (long)t;
        } else {
            for (k = 0; k < 4; k++)
                if (!strcmp(a, size_opts[k]) && v)
                    break;
            if (k == 4)
                die_code(2, "unknown or incomplete argument '%s' (see --help)", a);
            if (parse_u64(v, &sizes[k]) < 0 || sizes[k] < 1)
                die_code(2, "%s: want a positive integer, got '%s'", a, v);
            have_size[k] = 1;
        }
        i += consumed;
    }
    if (!dir)
        die_code(2, "--dir is required (see --help)");
    if (gen_profile_lookup(profile, &p) < 0)
        die_code(2, "unknown profile '%s' (tiny, quick, seed)", profile);
    p.seed = seed;
    uint64_t *fields[4] = {&p.facts, &p.events, &p.stream, &p.points};
    for (int k = 0; k < 4; k++) {
        if (have_size[k]) {
            *fields[k] = sizes[k];
            snprintf(p.name, sizeof p.name, "custom");
        }
    }

    struct err e = {0};
    if (verify) {
        if (gen_verify(&p, dir, &e) < 0)
            die("%s", e.msg);
        if (!quiet)
            info("%s: matches profile %s, seed %llu", dir, p.name,
                 (unsigned long long)p.seed);
        return 0;
    }
    double t0 = clock_now();
    struct gen_file files[GEN_NFILES];
    if (gen_write(&p, dir, (int)threads, files, &e) < 0)
        die("%s", e.msg);
    double t1 = clock_now();
    if (!quiet) {
        unsigned long long total = 0;
        for (int i = 0; i < GEN_NFILES; i++)
            total += files[i].bytes;
        info("%s: profile %s, seed %llu, %llu bytes in %.2f s", dir, p.name,
             (unsigned long long)p.seed, total,
             t1 - t0);
    }
    return 0;
}
