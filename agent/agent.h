#ifndef HP_AGENT_H
#define HP_AGENT_H
#include <jansson.h>

#include "../common/version.h"
#ifndef HOTPATH_BUILD_FLAGS
#define HOTPATH_BUILD_FLAGS "unknown"
#endif

int agent_check(int argc, char **argv);
int agent_explain(int argc, char **argv);
int agent_probe(int argc, char **argv);
int agent_gen(int argc, char **argv);
int agent_run(int argc, char **argv);
int agent_tail(int argc, char **argv);
int agent_bundle_verify(int argc, char **argv);
int agent_bundle_seal(int argc, char **argv);
int agent_pyenv(int argc, char **argv);

json_t *agent_probe_json(const char *python);
/* conditions.c: governor, boost, SMT, battery, throttling, swap, ASLR. */
json_t *agent_conditions(void);
/* Thermal throttle events since boot, summed over CPUs; -1 where unknown. */
long long agent_throttle_count(void);
/* CPU seconds the whole host has spent busy since boot; -1 where unknown. */
double agent_host_busy_s(void);

/* Where things live on a host. The bundle root is the parent of the folder
 * holding this executable; the home ($HOTPATH_HOME, else
 * ~/.cache/hotpath) keeps data sets and journals. */
const char *agent_root(void);
const char *agent_home(void);
const char *agent_default_python(void);
/* The first line of a small file, without its line end (caller frees), or
 * NULL when it cannot be read. */
char *agent_file_line(const char *path);
/* The whole text of a small file (at most 4 MiB; caller frees), or NULL
 * when it cannot be read whole. */
char *agent_file_text(const char *path);
/* s with its trailing white space cut (in place); NULL stays NULL. */
char *agent_trim_end(char *s);
/* Where to read a /sys or /proc path (caller frees): under the folder in
 * HOTPATH_SYSFS_ROOT or HOTPATH_PROCFS_ROOT when that variable is set and
 * the caller lets tests fake that tree (AGENT_FAKE_SYS, AGENT_FAKE_PROC),
 * else the path itself. */
enum { AGENT_FAKE_SYS = 1, AGENT_FAKE_PROC = 2 };
char *agent_host_path(const char *path, int fake);

struct err;
struct gen_profile;
/* Ensures verified data for the profile in the home's cache (every file's
 * SHA-256 against the manifest); returns the folder (caller frees) and the
 * manifest (caller decrefs). *changed (caller frees; NULL when the data was
 * new or intact) says what failed the check of data that was there. */
char *agent_data(const struct gen_profile *p, json_t **manifest, double *gen_s, int *reused,
                 char **changed, struct err *e);

#endif
