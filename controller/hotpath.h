#ifndef HP_HOTPATH_H
#define HP_HOTPATH_H
/* What the controller's commands share. */
#include <jansson.h>

#include "../common/version.h"

struct err;
struct store;

/* Global options, parsed in main.c before the command. */
struct cli {
    const char *config;     /* -c; NULL: configs/local.json beside the program */
    const char *db;         /* --db */
    int json;               /* --json */
};
extern struct cli cli;

/* The folder holding bin/, workloads/ and configs/. */
const char *hp_root(void);
/* 1 when the JSON array list holds the string s. */
int hp_json_has_string(json_t *list, const char *s);

/* Opens --db read-only, or exits with why. */
int hp_open_readonly(struct store **st);

int cmd_sweep(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_hosts(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_explain(int argc, char **argv);

struct cfg;
int hp_load_config(struct cfg *c, struct err *e);
/* 1 when argv holds -h/--help (and the command's usage was printed). */
int hp_command_help(const char *name, int argc, char **argv);

/* Comma-separated list -> JSON array of strings (or integers/"all" for
 * threads). NULL with e filled when an element is empty or malformed. */
json_t *hp_split_list(const char *s, int threads, struct err *e);

#endif
