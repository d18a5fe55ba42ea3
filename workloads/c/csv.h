#ifndef HP_CSV_H
#define HP_CSV_H
/* Parsers for the fixed schemas of WORKLOADS.md. Every parser reads one
 * field starting at p, requires it to end at delim, and returns the byte
 * after delim, or NULL when the field is malformed. Lines are validated to
 * end with '\n' before parsing, so no parser can run off the buffer. */
#include "../format.h"
#include <stddef.h>
#include <stdint.h>

struct err;

/* Unsigned decimal digits, 1 to 19 of them. */
static inline const char *csv_uint(const char *p, char delim, uint64_t *v)
{
    const char *s = p;
    uint64_t x = 0;
    while ((unsigned)(*p - '0') < 10 && p - s < 19)
        x = x * 10 + (uint64_t)(*p++ - '0');
    if (p == s || *p != delim)
        return NULL;
    *v = x;
    return p + 1;
}

/* Money: digits '.' two digits, as integer cents. */
static inline const char *csv_money(const char *p, char delim, uint64_t *cents)
{
    const char *s = p;
    uint64_t x = 0;
    while ((unsigned)(*p - '0') < 10 && p - s < 16)
        x = x * 10 + (uint64_t)(*p++ - '0');
    if (p == s || p[0] != '.' || (unsigned)(p[1] - '0') >= 10 ||
        (unsigned)(p[2] - '0') >= 10 || p[3] != delim)
        return NULL;
    *cents = x * 100 + (uint64_t)(p[1] - '0') * 10 + (uint64_t)(p[2] - '0');
    return p + 4;
}

/* Discount: "0." two digits, as hundredths. */
static inline const char *csv_discount(const char *p, char delim, unsigned *hundredths)
{
    if (p[0] != '0' || p[1] != '.' || (unsigned)(p[2] - '0') >= 10 ||
        (unsigned)(p[3] - '0') >= 10 || p[4] != delim)
        return NULL;
    *hundredths = (unsigned)(p[2] - '0') * 10 + (unsigned)(p[3] - '0');
    return p + 5;
}

/* A field that is only counted: it must not contain '\n' or '\r', and the
 * last field of a line no ',' either. */
static inline const char *csv_skip(const char *p, char delim)
{
    while (*p != delim) {
        if (*p == '\n' || *p == '\r' || (delim == '\n' && *p == ','))
            return NULL;
        p++;
    }
    return p + 1;
}

/* A name from a fixed list; *idx is its position. */
const char *csv_enum(const char *p, char delim, const char *const *names, int n, int *idx);

/* The name lists of ../format.h, as arrays. */
extern const char *const csv_channels[N_CHANNELS];
extern const char *const csv_segments[N_SEGMENTS];
extern const char *const csv_regions[N_REGIONS];
extern const char *const csv_event_types[N_EVENT_TYPES];   /* events.csv */
extern const char *const csv_stream_types[N_STREAM_TYPES]; /* stream.csv */

/* A whole input file in memory (mapped where possible). */
struct csv_file {
    const char *name;       /* file name for messages, e.g. "facts.csv" */
    const char *schema;     /* the exact header line, without '\n' */
    const char *const *fields;
    int nfields;
    char *base;
    size_t len;
    int mapped;
    const char *data, *end; /* first data row; one past the last complete line */
    int truncated;          /* the last line had no '\n' */
};

/* Opens dir/name and checks the header; data..end then holds only
 * complete lines. Missing file, empty file, a bad header or no data rows
 * are errors (exit code 1). */
int csv_open(struct csv_file *f, const char *dir, const char *name, struct err *e);
/* The same; populate 0 leaves the page tables to be filled as the file is
 * read (by several threads, say), not all at once here. */
int csv_open_mode(struct csv_file *f, const char *dir, const char *name, int populate,
                  struct err *e);
void csv_close(struct csv_file *f);

/* Describes a bad line in the shape "FILE:LINE: what is wrong": a wrong
 * field count, a carriage return, or field number `field` (0-based) being
 * malformed. Always returns -1. */
int csv_bad_line(const struct csv_file *f, uint64_t line, const char *ls, int field,
                 struct err *e);
/* The error for a file whose last line has no newline. */
int csv_truncated(const struct csv_file *f, struct err *e);
/* Line number of the line starting at ls (slow: only for errors). */
uint64_t csv_line_of(const struct csv_file *f, const char *ls);

/* Splits data..end into n pieces at line starts: cut[0] = data,
 * cut[n] = end, pieces may be empty. */
void csv_split(const struct csv_file *f, int n, const char **cut);

#endif
