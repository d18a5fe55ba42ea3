/* The data generator: WORKLOADS.md sections 1-3, byte for byte. */
#include "gen.h"
#include "../format.h"
#include "../../common/err.h"
#include "../../common/sha256.h"
#include "../../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 DATA_T0
#define OUTBUF (1 << 20)

enum { STREAM_FACTS = 1, STREAM_USERS = 2, STREAM_EVENTS = 3, STREAM_STREAM = 4,
       STREAM_POINTS = 5 };

static const char *const file_names[GEN_NFILES] = {
    FACTS_CSV, USERS_CSV, EVENTS_CSV, STREAM_CSV, POINTS_F64,
};

int gen_profile_lookup(const char *name, struct gen_profile *p)
{
    static const struct { const char *name; uint64_t rows, points; } profiles[] = {
        {"tiny", 20000, 100000},
        {"quick", 500000, 5000000},
        {"seed", 5000000, 50000000},
    };
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        if (strcmp(profiles[i].name, name) == 0) {
            snprintf(p->name, sizeof p->name, "%s", name);
            p->seed = GEN_SEED_DEFAULT;
            p->facts = p->events = p->stream = profiles[i].rows;
            p->points = profiles[i].points;
            return 0;
        }
    }
    return -1;
}

uint64_t gen_users(const struct gen_profile *p)
{
    return p->facts / 50 ? p->facts / 50 : 1;
}

uint64_t gen_splitmix_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t uni(uint64_t *s, uint64_t n)
{
    return gen_splitmix_next(s) % n;
}

static inline double unit(uint64_t *s)
{
    return (double)(gen_splitmix_next(s) >> 11) * 0x1.0p-53;
}

/* One output file: buffered writes, hashed as they go. */
struct out {
    int fd;
    char *tmp, *path;
    char *buf;
    size_t len;
    struct sha256 sha;
    unsigned long long bytes;
    int failed;
};

static int out_open(struct out *o, const char *dir, const char *name, struct err *e)
{
    memset(o, 0, sizeof *o);
    o->path = xasprintf("%s/%s", dir, name);
    o->tmp = xasprintf("%s/.%s.tmp.%ld", dir, name, (long)getpid());
    o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o->fd < 0) {
        err_set(e, 1, "%s: cannot create: %s", o->tmp, strerror(errno));
        free(o->path);
        free(o->tmp);
        return -1;
    }
    o->buf = xmalloc(OUTBUF + 64);
    sha256_init(&o->sha);
    return 0;
}

static void out_flush(struct out *o)
{
    sha256_update(&o->sha, o->buf, o->len);
    o->bytes += o->len;
    size_t off = 0;
    while (off < o->len && !o->failed) {
        ssize_t n = write(o->fd, o->buf + off, o->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            o->failed = errno;
        else
            off += (size_t)n;
    }
    o->len = 0;
}

/* Room for one record of at most 64 bytes. */
static inline char *out_room(struct out *o)
{
    if (o->len + 64 > OUTBUF)
        out_flush(o);
    return o->buf + o->len;
}

static int out_close(struct out *o, struct gen_file *f, struct err *e)
{
    out_flush(o);
    int rc = -1;
    if (o->failed) {
        err_set(e, 1, "%s: write failed: %s", o->tmp, strerror(o->failed));
        unlink(o->tmp);
        goto out;
    }
    if (fsync(o->fd) < 0 || close(o->fd) < 0) {
        err_set(e, 1, "%s: sync failed: %s", o->tmp, strerror(errno));
        o->fd = -1;
        unlink(o->tmp);
        goto out;
    }
    o->fd = -1;
    if (rename(o->tmp, o->path) < 0) {
        err_set(e, 1, "%s: rename failed: %s", o->path, strerror(errno));
        unlink(o->tmp);
        goto out;
    }
    unsigned char d[32];
    sha256_final(&o->sha, d);
    sha256_hex(d, f->sha256);
    f->bytes = o->bytes;
    rc = 0;
out:
    if (o->fd >= 0)
        close(o->fd);
    free(o->buf);
    free(o->tmp);
    free(o->path);
    return rc;
}

static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static inline char *put_money(char *p, uint64_t cents)
{
    p = put_u64(p, cents / 100);
    *p++ = '.';
    *p++ = (char)('0' + cents / 10 % 10);
    *p++ = (char)('0' + cents % 10);
    return p;
}

static inline char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static void out_str(struct out *o, const char *s)
{
    char *p = put_str(out_room(o), s);
    o->len = (size_t)(p - o->buf);
}

static void gen_facts(const struct gen_profile *pr, struct out *o)
{
    static const char *const channels[N_CHANNELS] = {CHANNEL_NAMES};
    uint64_t s = pr->seed ^ STREAM_FACTS, u = gen_users(pr);
    out_str(o, FACTS_HEADER "\n");
    for (uint64_t i = 1; i <= pr->facts; i++) {
        uint64_t a = uni(&s, u), b = uni(&s, u);
        uint64_t product = 1 + uni(&s, N_PRODUCTS);
        uint64_t ts = T0 + uni(&s, 7776000);
        uint64_t qty = 1 + uni(&s, 10);
        uint64_t price = 50 + uni(&s, 49951);
        uint64_t disc = 5 * uni(&s, 7);
        const char *ch = channels[uni(&s, N_CHANNELS)];
        char *p = out_room(o);
        p = put_u64(p, i);
        *p++ = ',';
        p = put_u64(p, 1 + (a < b ? a : b));
        *p++ = ',';
        p = put_u64(p, product);
        *p++ = ',';
        p = put_u64(p, ts);
        *p++ = ',';
        p = put_u64(p, qty);
        *p++ = ',';
        p = put_money(p, price);
        *p++ = ',';
        p = put_money(p, disc);
        *p++ = ',';
        p = put_str(p, ch);
        *p++ = '\n';
        o->len = (size_t)(p - o->buf);
    }
}

static void gen_users_file(const struct gen_profile *pr, struct out *o)
{
    static const char *const segments[N_SEGMENTS] = {SEGMENT_NAMES};
    static const char *const regions[N_REGIONS] = {REGION_NAMES};
    uint64_t s = pr->seed ^ STREAM_USERS, n = gen_users(pr);
    struct row { uint64_t id, signup; unsigned char seg, reg; } *rows;
    rows = xmalloc(n * sizeof *rows);
    for (uint64_t i = 0; i < n; i++) {
        rows[i].id = i + 1;
        rows[i].seg = (unsigned char)uni(&s, N_SEGMENTS);
        rows[i].reg = (unsigned char)uni(&s, N_REGIONS);
        rows[i].signup = 1600000000ULL + uni(&s, 100000000);
    }
    for (uint64_t i = n - 1; i >= 1; i--) {
        uint64_t j = uni(&s, i + 1);
        struct row t = rows[i];
        rows[i] = rows[j];
        rows[j] = t;
    }
    out_str(o, USERS_HEADER "\n");
    for (uint64_t i = 0; i < n; i++) {
        char *p = out_room(o);
        p = put_u64(p, rows[i].id);
        *p++ = ',';
        p = put_str(p, segments[rows[i].seg]);
        *p++ = ',';
        p = put_str(p, regions[rows[i].reg]);
        *p++ = ',';
        p = put_u64(p, rows[i].signup);
        *p++ = '\n';
        o->len = (size_t)(p - o->buf);
    }
    free(rows);
}

static void gen_events(const struct gen_profile *pr, struct out *o)
{
    uint64_t s = pr->seed ^ STREAM_EVENTS, left = pr->events;
    static const char *const types[N_EVENT_TYPES] = {EVENT_TYPE_NAMES};
    out_str(o, EVENTS_HEADER "\n");
    for (uint64_t user = 1; left > 0; user++) {
        uint64_t k = 1 + uni(&s, 199);
        if (k > left)
            k = left;
        uint64_t t = T0 + uni(&s, 86400);
        for (uint64_t j = 0; j < k; j++) {
            if (j > 0) {
                uint64_t g = uni(&s, 100);
                t += g < 3 ? 3600 + uni(&s, 86400) : 1 + uni(&s, 1900);
            }
            uint64_t w = uni(&s, 100);
            const char *type = types[w < 60 ? EV_VIEW : w < 85 ? EV_CLICK : w < 95 ? EV_CART
                                                                       : EV_PURCHASE];
            uint64_t amount = w >= 95 ? 100 + uni(&s, 99901) : 0;
            char *p = out_room(o);
            p = put_u64(p, user);
            *p++ = ',';
            p = put_u64(p, t);
            *p++ = ',';
            p = put_str(p, type);
            *p++ = ',';
            p = put_money(p, amount);
            *p++ = '\n';
            o->len = (size_t)(p - o->buf);
        }
        left -= k;
    }
}

static void gen_stream(const struct gen_profile *pr, struct out *o)
{
    static const char *const types[N_STREAM_TYPES] = {STREAM_TYPE_NAMES};
    uint64_t s = pr->seed ^ STREAM_STREAM;
    uint64_t u = pr->stream / 25 ? pr->stream / 25 : 1, t = T0;
    out_str(o, STREAM_HEADER "\n");
    for (uint64_t i = 0; i < pr->stream; i++) {
        t += uni(&s, 3);
        uint64_t a = uni(&s, u), b = uni(&s, u);
        uint64_t w = uni(&s, 1000);
        const char *type = types[w < 500 ? ST_VIEW : w < 750 ? ST_LOGIN : w < 900 ? ST_PURCHASE
                                 : w < 960 ? ST_REFUND : w < 990 ? ST_PASSWORD_RESET
                                 : ST_CHARGEBACK];
        int paid = (w >= 750 && w < 960) || w >= 990;
        uint64_t amount = paid ? 100 + uni(&s, 199901) : 0;
        char *p = out_room(o);
        p = put_u64(p, t);
        *p++ = ',';
        p = put_u64(p, 1 + (a < b ? a : b));
        *p++ = ',';
        p = put_str(p, type);
        *p++ = ',';
        p = put_money(p, amount);
        *p++ = '\n';
        o->len = (size_t)(p - o->buf);
    }
}

/* Latitudes and longitudes are drawn in pairs but stored as two columns:
 * two passes over the same generator keep memory flat at any size. */
static void gen_points(const struct gen_profile *pr, struct out *o)
{
    for (int col = 0; col < 2; col++) {
        uint64_t s = pr->seed ^ STREAM_POINTS;
        for (uint64_t i = 0; i < pr->points; i++) {
            double lat = unit(&s) * 180.0 - 90.0;
            double lon = unit(&s) * 360.0 - 180.0;
            double v = col == 0 ? lat : lon;
            char *p = out_room(o);
            memcpy(p, &v, 8);   /* the payload targets little-endian hosts only */
            o->len += 8;
        }
    }
}

typedef void (*gen_fn)(const struct gen_profile *, struct out *);
static const gen_fn generators[GEN_NFILES] = {
    gen_facts, gen_users_file, gen_events, gen_stream, gen_points,
};

struct job {
    const struct gen_profile *pr;
    const char *dir;
    struct gen_file *files;
    int next;           /* next file index to take, under lock */
    pthread_mutex_t lock;
    int failed;
    struct err err;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->failed ? GEN_NFILES : j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= GEN_NFILES)
            return NULL;
        struct out o;
        struct err e = {0};
        j->files[i].name = file_names[i];
        int rc = out_open(&o, j->dir, file_names[i], &e);
        if (rc == 0) {
            generators[i](j->pr, &o);
            rc = out_close(&o, &j->files[i], &e);
        }
        if (rc < 0) {
            pthread_mutex_lock(&j->lock);
            if (!j->failed)
                j->err = e;
            j->failed = 1;
            pthread_mutex_unlock(&j->lock);
        }
    }
}

static json_t *manifest_json(const struct gen_profile *p, struct gen_file files[GEN_NFILES])
{
    json_t *files_obj = json_object();
    for (int i = 0; i < GEN_NFILES; i++)
        json_object_set_new(files_obj, files[i].name,
                            json_pack("{s:I, s:s}", "bytes", (json_int_t)files[i].bytes,
                                      "sha256", files[i].sha256));
    return json_pack("{s:i, s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I}, s:o}",
                     "spec", 1, "profile", p->name, "seed", (json_int_t)p->seed,
                     "counts", "facts", (json_int_t)p->facts,
                     "users", (json_int_t)gen_users(p), "events", (json_int_t)p->events,
                     "stream", (json_int_t)p->stream, "points", (json_int_t)p->points,
                     "files", files_obj);
}

static int write_manifest(const struct gen_profile *p, const char *dir,
                          struct gen_file files[GEN_NFILES], struct err *e)
{
    json_t *m = manifest_json(p, files);
    char *tmp = xasprintf("%s/.manifest.json.tmp.%ld", dir, (long)getpid());
    char *path = xasprintf("%s/manifest.json", dir);
    int rc = -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        err_set(e, 1, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    int bad = json_dumpf(m, f, JSON_PRESERVE_ORDER | JSON_INDENT(1)) < 0;
    bad |= fputc('\n', f) == EOF;
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) < 0) {
        err_set(e, 1, "%s: cannot write manifest: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    json_decref(m);
    free(tmp);
    free(path);
    return rc;
}

int gen_write(const struct gen_profile *p, const char *dir, int threads,
              struct gen_file files[GEN_NFILES], struct err *e)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return err_set(e, 1, "%s: cannot create directory: %s", dir, strerror(errno));
    /* A stale manifest must not vouch for files that are being replaced. */
    char *mpath = xasprintf("%s/manifest.json", dir);
    unlink(mpath);
    free(mpath);
    if (threads < 1)
        threads = 1;
    if (threads > GEN_NFILES)
        threads = GEN_NFILES;
    struct job j = {.pr = p, .dir = dir, .files = files};
    pthread_mutex_init(&j.lock, NULL);
    pthread_t tid[GEN_NFILES];
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, worker, &j);
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&j.lock);
    if (j.failed) {
        if (e)
            *e = j.err;
        return -1;
    }
    return write_manifest(p, dir, files, e);
}

int gen_verify(const struct gen_profile *p, const char *dir, struct err *e)
{
    char *path = xasprintf("%s/manifest.json", dir);
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    int rc = -1;
    if (!m) {
        err_set(e, 1, "%s: %s", path, je.text);
        goto out;
    }
    struct gen_file files[GEN_NFILES];
    for (int i = 0; i < GEN_NFILES; i++) {
        json_t *f = json_object_get(json_object_get(m, "files"), file_names[i]);
        const char *sha = json_string_value(json_object_get(f, "sha256"));
        files[i].name = file_names[i];
        files[i].bytes = (unsigned long long)json_integer_value(json_object_get(f, "bytes"));
        snprintf(files[i].sha256, sizeof files[i].sha256, "%s", sha ? sha : "");
    }
    /* The manifest must describe this very profile, whatever its name. */
    json_t *want = manifest_json(p, files);
    json_object_del(want, "profile");
    json_t *have = json_deep_copy(m);
    json_object_del(have, "profile");
    int same = json_equal(want, have);
    json_decref(want);
    json_decref(have);
    if (!same) {
        err_set(e, 1, "%s: written for another profile or seed", path);
        goto out;
    }
    for (int i = 0; i < GEN_NFILES; i++) {
        char *fp = xasprintf("%s/%s", dir, file_names[i]);
        char hex[65];
        unsigned long long bytes;
        int r = sha256_file(fp, hex, &bytes);
        int bad = r < 0 || bytes != files[i].bytes || strcmp(hex, files[i].sha256) != 0;
        if (bad)
            err_set(e, 1, "%s: %s", fp, r < 0 ? strerror(errno) : "checksum mismatch");
        free(fp);
        if (bad)
            goto out;
    }
    rc = 0;
out:
    json_decref(m);
    free(path);
    return rc;
}
