#include "csv.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const csv_channels[N_CHANNELS] = {CHANNEL_NAMES};
const char *const csv_segments[N_SEGMENTS] = {SEGMENT_NAMES};
const char *const csv_regions[N_REGIONS] = {REGION_NAMES};
const char *const csv_event_types[N_EVENT_TYPES] = {EVENT_TYPE_NAMES};
const char *const csv_stream_types[N_STREAM_TYPES] = {STREAM_TYPE_NAMES};

static const struct schema {
    const char *name, *header;
    const char *fields[8];
    int n;
} schemas[] = {
    {FACTS_CSV, FACTS_HEADER, {FACTS_FIELDS}, FACTS_NFIELDS},
    {USERS_CSV, USERS_HEADER, {USERS_FIELDS}, USERS_NFIELDS},
    {EVENTS_CSV, EVENTS_HEADER, {EVENTS_FIELDS}, EVENTS_NFIELDS},
    {STREAM_CSV, STREAM_HEADER, {STREAM_FIELDS}, STREAM_NFIELDS},
};

const char *csv_enum(const char *p, char delim, const char *const *names, int n, int *idx)
{
    const char *q = p;
    while (*q != delim && *q != '\n' && q - p < 32)
        q++;
    if (*q != delim)
        return NULL;
    size_t len = (size_t)(q - p);
    for (int i = 0; i < n; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], p, len) == 0) {
            *idx = i;
            return q + 1;
        }
    }
    return NULL;
}

static int read_all(int fd, struct csv_file *f, size_t size)
{
    f->base = xmalloc(size + 1);
    size_t off = 0;
    while (off < size) {
        ssize_t n = read(fd, f->base + off, size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    f->len = size;
    return 0;
}

int csv_open(struct csv_file *f, const char *dir, const char *name, struct err *e)
{
    return csv_open_mode(f, dir, name, 1, e);
}

int csv_open_mode(struct csv_file *f, const char *dir, const char *name, int populate,
                  struct err *e)
{
    memset(f, 0, sizeof *f);
    f->name = name;
    for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++) {
        if (strcmp(schemas[i].name, name) == 0) {
            f->schema = schemas[i].header;
            f->fields = schemas[i].fields;
            f->nfields = schemas[i].n;
        }
    }
    char *path = xasprintf("%s/%s", dir, name);
    int fd = open(path, O_RDONLY);
    free(path);
    if (fd < 0)
        return err_set(e, 1, "%s: cannot open: %s", name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(e, 1, "%s: not a regular file", name);
    }
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        close(fd);
        return err_set(e, 1, "%s:1: empty file (no header)", name);
    }
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    if (populate)
        flags |= MAP_POPULATE;
#else
    (void)populate; /* macOS: pages come in as they are read */
#endif
    void *m = mmap(NULL, size, PROT_READ, flags, fd, 0);
    if (m != MAP_FAILED) {
        f->base = m;
        f->len = size;
        f->mapped = 1;
    } else if (read_all(fd, f, size) < 0) {
        close(fd);
        return err_set(e, 1, "%s: read failed: %s", name, strerror(errno));
    }
    close(fd);

    /* Only complete lines are parsed; a missing final newline is reported
     * after them, since any bad line before it has a smaller number. */
    const char *end = f->base + f->len; /* just past the last newline (memrchr is GNU) */
    while (end > f->base && end[-1] != '\n')
        end--;
    f->truncated = f->base[f->len - 1] != '\n';
    const char *nl = memchr(f->base, '\n', f->len);
    size_t hlen = strlen(f->schema);
    if (!nl || (size_t)(nl - f->base) != hlen || memcmp(f->base, f->schema, hlen) != 0) {
        size_t show = nl ? (size_t)(nl - f->base) : f->len;
        if (show > 100)
            show = 100;
        err_set(e, 1, "%s:1: header is '%.*s', expected '%s'", name, (int)show, f->base,
                f->schema);
        csv_close(f);
        return -1;
    }
    f->data = nl + 1;
    f->end = end;
    if (f->data == f->end && !f->truncated) {
        err_set(e, 1, "%s:2: no data rows", name);
        csv_close(f);
        return -1;
    }
    return 0;
}

void csv_close(struct csv_file *f)
{
    if (!f->base)
        return;
    if (f->mapped)
        munmap(f->base, f->len);
    else
        free(f->base);
    f->base = NULL;
}

uint64_t csv_line_of(const struct csv_file *f, const char *ls)
{
    uint64_t line = 1;
    for (const char *p = f->base; p < ls; p++) {
        p = memchr(p, '\n', (size_t)(ls - p));
        if (!p)
            break;
        line++;
    }
    return line;
}

int csv_truncated(const struct csv_file *f, struct err *e)
{
    return err_set(e, 1, "%s:%llu: last line does not end with a newline", f->name,
                   (unsigned long long)csv_line_of(f, f->end));
}

int csv_bad_line(const struct csv_file *f, uint64_t line, const char *ls, int field,
                 struct err *e)
{
    const char *le = memchr(ls, '\n', (size_t)(f->end - ls));
    int n = 1;
    for (const char *p = ls; p < le; p++) {
        if (*p == '\r')
            return err_set(e, 1, "%s:%llu: carriage return in line", f->name,
                           (unsigned long long)line);
        n += *p == ',';
    }
    if (n != f->nfields)
        return err_set(e, 1, "%s:%llu: expected %d fields, found %d", f->name,
                       (unsigned long long)line, f->nfields, n);
    const char *p = ls;
    for (int i = 0; i < field; i++)
        p = memchr(p, ',', (size_t)(le - p)) + 1;
    const char *q = p;
    while (q < le && *q != ',')
        q++;
    int show = (int)(q - p) > 40 ? 40 : (int)(q - p);
    return err_set(e, 1, "%s:%llu: bad %s '%.*s'", f->name, (unsigned long long)line,
                   f->fields[field], show, p);
}

void csv_split(const struct csv_file *f, int n, const char **cut)
{
    size_t len = (size_t)(f->end - f->data);
    cut[0] = f->data;
    for (int i = 1; i < n; i++) {
        const char *p = f->data + len / (size_t)n * (size_t)i;
        if (p < cut[i - 1])
            p = cut[i - 1];
        if (p > f->data && p < f->end && p[-1] != '\n') {
            p = memchr(p, '\n', (size_t)(f->end - p));
            p = p ? p + 1 : f->end;
        }
        cut[i] = p;
    }
    cut[n] = f->end;
}
