/* c-threads: the fast engine. Inputs are mapped and cut at line starts
 * into chunks that the threads take in turn (so a slower core simply does
 * fewer); each line goes through a fast parser specialised to its schema,
 * with the exact parser of rows.h behind it for anything unusual, and is
 * folded into per-thread partial aggregates merged at the end. Errors are
 * located per chunk and the one with the smallest line number wins. */
#include "csv.h"
#include "rows.h"
#include "fastrow.h"
#include "hmap.h"
#include "numeric_kernel.h"
#include "tasks.h"
#include "vexp.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* On x86-64 this file is built twice, for x86-64-v3 (AVX2, BMI, POPCNT)
 * and for the baseline, each with its own entry point; threads-main.c runs
 * the one the CPU can (one binary, portable and fast). HP_ISA names it. */
#ifndef THREADS_MAIN
#define THREADS_MAIN main
#endif
#if defined(__AVX2__) && defined(__BMI2__)
#define HP_ISA "x86-64-v3"
#elif defined(FR_NEON)
#define HP_ISA "aarch64-neon"       /* fastrow.h's NEON line scanner */
#else
#define HP_ISA "baseline"
#endif

#define MAX_THREADS 256
#define DENSE_PRODUCTS 65536
#define CHUNK_BYTES (4u << 20)  /* the unit of work a thread takes */
#define MIN_CHUNK (64 * 1024)   /* bytes: smaller inputs use fewer threads */

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

/* x / d and x % d for a divisor fixed at run time, by multiplication where
 * x fits 32 bits (Lemire, Kaser and Kurz, "Faster remainder by direct
 * computation", 2019): a hardware division per row costs more than the
 * rest of the row's arithmetic. */
struct divisor {
    uint64_t d, m;                  /* m = (2^64 - 1) / d + 1; unused for d = 1 */
};

static struct divisor divisor_of(uint64_t d)
{
    return (struct divisor){.d = d, .m = d > 1 ? UINT64_MAX / d + 1 : 0};
}

static inline uint64_t div_by(const struct divisor *v, uint64_t x, uint64_t *rem)
{
    if (v->d == 1) {
        *rem = 0;
        return x;
    }
    if (x >> 32) {
        *rem = x % v->d;
        return x / v->d;
    }
    uint64_t low = v->m * x;
    *rem = (uint64_t)(((unsigned __int128)low * v->d) >> 64);
    return (uint64_t)(((unsigned __int128)v->m * x) >> 64);
}

/* Maps [p, p + len) in one call, in the thread about to read it. */
static void populate(const void *p, size_t len)
{
#ifdef MADV_POPULATE_READ
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t b = (uintptr_t)p & ~(page - 1), e = (uintptr_t)p + len;
    madvise((void *)b, e - b, MADV_POPULATE_READ);     /* only a hint if refused */
#else
    (void)p;
    (void)len;
#endif
}

/* ---- inputs cut into chunks ---- */

/* What every chunk of a CSV input reports back. */
struct piece {
    const char *begin, *end;
    uint64_t rows;
    const char *bad;        /* start of the first bad line, or NULL */
    int bad_field;          /* its malformed field, or -1 with bad_msg */
    const char *bad_msg;
};

struct input {
    struct csv_file f;
    int n;                  /* chunks */
    struct piece *pc;
    atomic_int next;        /* the next chunk to take */
};

static void piece_fail(struct piece *p, const char *ls, int field, const char *msg)
{
    p->bad = ls;
    p->bad_field = field;
    p->bad_msg = msg;
}

static void sess_align(const struct csv_file *f, const char **cut, int n);

/* Opens a CSV input and cuts it into chunks: about `chunk` bytes each, and
 * at least four per thread while they stay above MIN_CHUNK. align_users
 * moves the cuts to changes of user_id (sessionize). */
static int input_open(struct input *in, const char *dir, const char *name, int threads,
                      size_t chunk, int align_users, struct task_out *out, struct err *e)
{
    memset(in, 0, sizeof *in);
    atomic_init(&in->next, 0);
    if (csv_open_mode(&in->f, dir, name, 0, e) < 0)
        return -1;
    out->load_s = engine_now() - out->t_start;
    out->isa = HP_ISA;
    size_t len = (size_t)(in->f.end - in->f.data);
    size_t n = len / chunk + 1, small = len / MIN_CHUNK + 1;
    size_t want = (size_t)min_int(threads, MAX_THREADS) * 4;
    if (n < want)
        n = small < want ? small : want;
    if (n > 1 << 20)
        n = 1 << 20;
    in->n = (int)n;
    const char **cut = xmalloc((n + 1) * sizeof *cut);
    csv_split(&in->f, in->n, cut);
    if (align_users)
        sess_align(&in->f, cut, in->n);
    in->pc = xcalloc(n, sizeof *in->pc);
    for (size_t i = 0; i < n; i++) {
        in->pc[i].begin = cut[i];
        in->pc[i].end = cut[i + 1];
    }
    free(cut);
    return 0;
}

/* The next chunk's number (n or more when all are taken). */
static int input_claim(struct input *in)
{
    return atomic_fetch_add_explicit(&in->next, 1, memory_order_relaxed);
}

/* Maps chunk k's pages in one call rather than faulting them in one by
 * one, in the thread that reads them: the threads share that work too. */
static void input_populate(struct input *in, int k)
{
    if (in->f.mapped)
        populate(in->pc[k].begin, (size_t)(in->pc[k].end - in->pc[k].begin));
}

/* The next chunk for the calling thread, mapped, or -1 when all are taken. */
static int input_take(struct input *in)
{
    int k = input_claim(in);
    if (k >= in->n)
        return -1;
    input_populate(in, k);
    return k;
}

/* How many threads to start for threads asked. */
static int input_workers(const struct input *in, int threads)
{
    return min_int(min_int(threads, MAX_THREADS), in->n);
}

/* The error of the earliest bad chunk, with its line number. */
static int input_error(const struct input *in, struct err *e)
{
    uint64_t line = 2;
    for (int i = 0; i < in->n; i++) {
        const struct piece *p = &in->pc[i];
        line += p->rows;
        if (!p->bad)
            continue;
        if (p->bad_field >= 0)
            return csv_bad_line(&in->f, line, p->bad, p->bad_field, e);
        return err_set(e, 1, "%s:%llu: %s", in->f.name, (unsigned long long)line, p->bad_msg);
    }
    return in->f.truncated ? csv_truncated(&in->f, e) : 0;
}

static uint64_t input_rows(const struct input *in)
{
    uint64_t rows = 0;
    for (int i = 0; i < in->n; i++)
        rows += in->pc[i].rows;
    return rows;
}

static void input_close(struct input *in)
{
    free(in->pc);
    csv_close(&in->f);
}

/* Every line of chunk pc, parsed into `row` by FAST (the fast parser's
 * call, NULL when it declines) or else SLOW (the exact one's, which sets
 * `field` when the line is bad); the body, the last argument, then sees
 * `row` and `p`, the line's start. A bad line is recorded in pc and ends
 * the loop without being counted; the body may `continue`, or record its
 * own error and `break`. */
#define FOR_ROWS(pc, FAST, SLOW, ...)                                            \
    do {                                                                          \
        const char *p = (pc)->begin, *end_ = (pc)->end, *q_;                      \
        const char *fast_ = fr_limit(p, end_);                                    \
        uint64_t rows_ = 0;                                                       \
        for (; p < end_; p = q_, rows_++) {                                       \
            struct row row;                                                       \
            int field = 0;                                                        \
            if (!(q_ = p < fast_ ? (FAST) : NULL) && !(q_ = (SLOW))) {            \
                piece_fail((pc), p, field, NULL);                                 \
                break;                                                            \
            }                                                                     \
            __VA_ARGS__                                                           \
        }                                                                         \
        (pc)->rows = rows_;                                                       \
    } while (0)

/* ---- numeric ---- */

#define NUM_CHUNK (1u << 20)    /* points a thread takes at a time */

/* Points are cut into chunks that the threads take in turn; each chunk's
 * partial is kept and merged in chunk order, so the result does not depend
 * on which thread took what. */
struct num_work {
    const double *lat, *lon;
    uint64_t n;
    int nchunks;
    atomic_int next;
    struct num_part *part;          /* by chunk */
    uint64_t *bad;                  /* by chunk: first non-finite point, or UINT64_MAX */
};

static void *num_worker(void *arg)
{
    struct num_work *w = arg;
    for (int k; (k = atomic_fetch_add(&w->next, 1)) < w->nchunks;) {
        uint64_t b = (uint64_t)k * NUM_CHUNK, n = w->n - b < NUM_CHUNK ? w->n - b : NUM_CHUNK;
        populate(w->lat + b, n * sizeof(double));
        populate(w->lon + b, n * sizeof(double));
        int64_t bad = num_kernel(w->lat + b, w->lon + b, n, &w->part[k]);
        w->bad[k] = bad < 0 ? UINT64_MAX : b + (uint64_t)bad;
    }
    return NULL;
}

static int numeric(const char *dir, int threads, struct task_out *out, struct err *e)
{
    char *path = xasprintf("%s/points.f64", dir);
    int fd = open(path, O_RDONLY);
    free(path);
    if (fd < 0)
        return err_set(e, 1, "points.f64: cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % 16 != 0) {
        close(fd);
        return err_set(e, 1, "points.f64: size %lld is not a positive multiple of 16",
                       (long long)st.st_size);
    }
    size_t size = (size_t)st.st_size;
    void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return err_set(e, 1, "points.f64: cannot map: %s", strerror(errno));
    out->load_s = engine_now() - out->t_start;
    out->isa = HP_ISA;
    uint64_t n = size / 16;
    struct num_work w = {.lat = m, .lon = (const double *)m + n, .n = n,
                         .nchunks = (int)((n + NUM_CHUNK - 1) / NUM_CHUNK)};
    atomic_init(&w.next, 0);
    w.part = xcalloc((size_t)w.nchunks, sizeof *w.part);
    w.bad = xcalloc((size_t)w.nchunks, sizeof *w.bad);
    int nt = min_int(min_int(threads, MAX_THREADS), w.nchunks);
    par_run(nt, num_worker, &w, 0);     /* stride 0: every thread shares w */
    struct num_part total = {0};
    int rc = 0;
    for (int k = 0; k < w.nchunks && rc == 0; k++) {
        if (w.bad[k] != UINT64_MAX)
            rc = err_set(e, 1, "points.f64: point %llu is not finite",
                         (unsigned long long)w.bad[k]);
        num_merge(&total, &w.part[k]);
    }
    if (rc == 0) {
        task_done(out, num_result(&total));
        out->threads_used = nt;
    }
    free(w.part);
    free(w.bad);
    munmap(m, size);
    return rc;
}

/* ---- groupby ---- */

struct gb_worker {
    struct input *in;
    struct group *dense;            /* by product_id < DENSE_PRODUCTS */
    uint64_t top;                   /* one past the largest dense id seen */
    struct hmap big;                /* product_ids beyond the dense range */
    struct group *bigg;
    uint64_t bigcap;
};

static struct group *gb_big(struct gb_worker *w, uint64_t product)
{
    int added;
    uint32_t i = hmap_put(&w->big, product, &added);
    if (added) {
        if (i >= w->bigcap)
            w->bigg = xrealloc(w->bigg, (w->bigcap = w->bigcap * 2 + 64) * sizeof *w->bigg);
        w->bigg[i] = (struct group){.id = product};
    }
    return &w->bigg[i];
}

static void *gb_work(void *arg)
{
    struct gb_worker *w = arg;
    w->dense = xcalloc(DENSE_PRODUCTS, sizeof *w->dense);
    hmap_init(&w->big, 16);
    uint64_t top = 0;
    for (int k; (k = input_take(w->in)) >= 0;) {
        FOR_ROWS(&w->in->pc[k], fr_facts_groupby(p, &row), row_facts_groupby(p, &row, &field),
            uint64_t product = row.product, qty = row.qty, cents = row.cents;
            struct group *g;
            if (product < DENSE_PRODUCTS) {
                g = &w->dense[product];
                top = product >= top ? product + 1 : top;
            } else {
                g = gb_big(w, product);
            }
            g->count++;
            g->qty += qty;
            g->revenue += revenue_fast(qty, cents, row.disc);
            g->max_cents = cents > g->max_cents ? cents : g->max_cents;
        );
    }
    w->top = top;
    return NULL;
}

static void gb_fold(struct group *into, const struct group *g)
{
    into->count += g->count;
    into->qty += g->qty;
    into->revenue += g->revenue;
    if (g->max_cents > into->max_cents)
        into->max_cents = g->max_cents;
}

/* The workers' groups in one list: dense ids in order, then the rest. */
static struct group *gb_merge(const struct gb_worker *w, int nw, uint64_t *ngroups)
{
    struct group *g = NULL;
    uint64_t ng = 0, cap = 0, top = 0;
    for (int i = 0; i < nw; i++)
        top = w[i].top > top ? w[i].top : top;
    for (uint64_t id = 0; id < top; id++) {
        struct group acc = {.id = id};
        for (int i = 0; i < nw; i++)
            gb_fold(&acc, &w[i].dense[id]);
        if (acc.count == 0)
            continue;
        if (ng == cap)
            g = xrealloc(g, (cap = cap * 2 + 1024) * sizeof *g);
        g[ng++] = acc;
    }
    struct hmap big;
    hmap_init(&big, 16);
    uint64_t dense_n = ng;
    for (int i = 0; i < nw; i++) {
        for (uint64_t k = 0; k < w[i].big.n; k++) {
            const struct group *src = &w[i].bigg[k];
            int added;
            uint64_t at = dense_n + hmap_put(&big, src->id, &added);
            if (added) {
                if (ng == cap)
                    g = xrealloc(g, (cap = cap * 2 + 1024) * sizeof *g);
                g[ng++] = (struct group){.id = src->id};
            }
            gb_fold(&g[at], src);
        }
    }
    hmap_free(&big);
    *ngroups = ng;
    return g;
}

static int groupby(const char *dir, int threads, struct task_out *out, struct err *e)
{
    struct input in;
    if (input_open(&in, dir, "facts.csv", threads, CHUNK_BYTES, 0, out, e) < 0)
        return -1;
    int nw = input_workers(&in, threads);
    struct gb_worker *w = xcalloc((size_t)nw, sizeof *w);
    for (int i = 0; i < nw; i++)
        w[i].in = &in;
    par_run(nw, gb_work, w, sizeof *w);
    int rc = input_error(&in, e);
    if (rc == 0) {
        uint64_t ng;
        struct group *g = gb_merge(w, nw, &ng);
        task_done(out, groupby_result(input_rows(&in), g, ng));
        out->threads_used = nw;
        free(g);
    }
    for (int i = 0; i < nw; i++) {
        free(w[i].dense);
        free(w[i].bigg);
        hmap_free(&w[i].big);
    }
    free(w);
    input_close(&in);
    return rc;
}

/* ---- join ---- */

#define NO_USER 0xff

/* user_id -> segment * NREG + region: a dense table when ids are compact
 * (they are 1..U in generated data), else the map itself. */
struct users {
    struct hmap map;
    unsigned char *codes;       /* by map index */
    unsigned char *dense;       /* by user_id, NO_USER where absent */
    uint64_t dense_n;
};

/* Indexes the n users read; a user_id seen before is an error naming its
 * second line (line i + 2 for row i). */
static int users_index(struct users *u, const uint64_t *ids, const unsigned char *codes,
                       uint64_t n, uint64_t max_id, struct err *e)
{
    uint64_t dup = UINT64_MAX;
    if (max_id < 16 * n + 65536) {
        u->dense_n = max_id + 1;
        u->dense = xmalloc(u->dense_n);
        memset(u->dense, NO_USER, u->dense_n);
        for (uint64_t i = 0; i < n && dup == UINT64_MAX; i++) {
            if (u->dense[ids[i]] != NO_USER)
                dup = i;
            u->dense[ids[i]] = codes[i];
        }
    } else {
        hmap_init(&u->map, n);
        u->codes = xmalloc(n ? n : 1);
        for (uint64_t i = 0; i < n && dup == UINT64_MAX; i++) {
            int added;
            uint32_t k = hmap_put(&u->map, ids[i], &added);
            if (!added)
                dup = i;
            u->codes[k] = codes[i];
        }
    }
    if (dup == UINT64_MAX)
        return 0;
    return err_set(e, 1, "users.csv:%llu: duplicate user_id %llu", (unsigned long long)dup + 2,
                   (unsigned long long)ids[dup]);
}

/* Reads users.csv. A bad line stops the reading, but a duplicate user_id
 * before it is the error to report (the smaller line number wins). */
static int users_load(const char *dir, struct users *u, struct err *e)
{
    struct csv_file f;
    memset(u, 0, sizeof *u);
    if (csv_open(&f, dir, "users.csv", e) < 0)
        return -1;
    struct fr_names seg, reg;
    fr_names_init(&seg, csv_segments, NSEG);
    fr_names_init(&reg, csv_regions, NREG);
    uint64_t n = 0, cap = 1024, max_id = 0;
    uint64_t *ids = xmalloc(cap * sizeof *ids);
    unsigned char *codes = xmalloc(cap);
    struct err bad = {0};
    int rc = 0;
    const char *fast = fr_limit(f.data, f.end);
    for (const char *p = f.data, *q; p < f.end; p = q, n++) {
        struct row row;
        int field = 0;
        if (!(q = p < fast ? fr_users(p, &seg, &reg, &row) : NULL) &&
            !(q = row_users(p, &row, &field))) {
            rc = csv_bad_line(&f, n + 2, p, field, &bad);
            break;
        }
        if (n == cap) {
            ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
            codes = xrealloc(codes, cap);
        }
        ids[n] = row.id;
        codes[n] = (unsigned char)(row.seg * NREG + row.reg);
        max_id = row.id > max_id ? row.id : max_id;
    }
    if (rc == 0 && f.truncated)
        rc = csv_truncated(&f, &bad);
    csv_close(&f);
    int dup = users_index(u, ids, codes, n, max_id, e);
    free(ids);
    free(codes);
    if (dup == 0 && rc < 0)
        *e = bad;
    return dup < 0 || rc < 0 ? -1 : 0;
}

static void users_free(struct users *u)
{
    if (u->codes)
        hmap_free(&u->map);
    free(u->codes);
    free(u->dense);
}

static inline unsigned users_code(const struct users *u, uint64_t id)
{
    if (u->dense)
        return id < u->dense_n ? u->dense[id] : NO_USER;
    uint32_t i = hmap_get(&u->map, id);
    return i == UINT32_MAX ? NO_USER : u->codes[i];
}

struct join_worker {
    struct input *in;
    const struct users *users;
    const struct fr_names *channels;
    uint64_t kept;
    struct join_cell cells[NSEG][NREG];
};

static void *join_work(void *arg)
{
    struct join_worker *w = arg;
    uint64_t kept = 0;
    for (int k; (k = input_take(w->in)) >= 0;) {
        FOR_ROWS(&w->in->pc[k], fr_facts_join(p, w->channels, &row),
                 row_facts_join(p, &row, &field),
            if (row.ts < JOIN_TS_MIN || row.channel == 3)
                continue;
            unsigned code = users_code(w->users, row.user);
            if (code == NO_USER)
                continue;
            struct join_cell *c = &w->cells[code / NREG][code % NREG];
            c->orders++;
            c->qty += row.qty;
            c->revenue += revenue_fast(row.qty, row.cents, row.disc);
            kept++;
        );
    }
    w->kept = kept;
    return NULL;
}

static int join(const char *dir, int threads, struct task_out *out, struct err *e)
{
    struct users users;
    struct input in;
    if (users_load(dir, &users, e) < 0) {
        users_free(&users);
        return -1;
    }
    if (input_open(&in, dir, "facts.csv", threads, CHUNK_BYTES, 0, out, e) < 0) {
        users_free(&users);
        return -1;
    }
    struct fr_names channels;
    fr_names_init(&channels, csv_channels, 4);
    int nw = input_workers(&in, threads);
    struct join_worker *w = xcalloc((size_t)nw, sizeof *w);
    for (int i = 0; i < nw; i++)
        w[i] = (struct join_worker){.in = &in, .users = &users, .channels = &channels};
    par_run(nw, join_work, w, sizeof *w);
    int rc = input_error(&in, e);
    if (rc == 0) {
        struct join_cell cells[NSEG][NREG];
        memset(cells, 0, sizeof cells);
        uint64_t kept = 0;
        for (int i = 0; i < nw; i++) {
            kept += w[i].kept;
            for (int s = 0; s < NSEG; s++) {
                for (int r = 0; r < NREG; r++) {
                    cells[s][r].orders += w[i].cells[s][r].orders;
                    cells[s][r].qty += w[i].cells[s][r].qty;
                    cells[s][r].revenue += w[i].cells[s][r].revenue;
                }
            }
        }
        task_done(out, join_result(kept, cells));
        out->threads_used = nw;
    }
    free(w);
    input_close(&in);
    users_free(&users);
    return rc;
}

/* ---- sessionize ---- */

/* A chunk's sessions; chunks start at a change of user_id, so no session
 * spans two of them. */
struct sess_chunk {
    uint64_t first_user, last_user;
    struct sess_stats s;
};

struct sess_worker {
    struct input *in;
    struct sess_chunk *chunks;
    const struct fr_names *types;
};

static void *sess_work(void *arg)
{
    struct sess_worker *w = arg;
    for (int k; (k = input_take(w->in)) >= 0;) {
        struct piece *pc = &w->in->pc[k];
        struct sess_stats st = {0}, *s = &st;    /* local: chunks share cache lines */
        uint64_t first_user = 0, prev_user = 0, prev_ts = 0, n = 0, start = 0, purchases = 0, carts = 0;
        uint64_t events = 0, users = 0, revenue = 0;
        FOR_ROWS(pc, fr_events(p, w->types, &row), row_events(p, &row, &field),
            uint64_t user = row.user, ts = row.ts;
            if (events > 0 && (user < prev_user || (user == prev_user && ts < prev_ts))) {
                piece_fail(pc, p, -1, "not sorted by user_id, then ts");
                break;
            }
            if (events == 0 || user != prev_user || ts - prev_ts > SESSION_GAP) {
                if (events > 0)
                    sess_close(s, n, start, prev_ts, purchases, carts);
                if (events == 0)
                    first_user = user;
                users += events == 0 || user != prev_user;
                n = purchases = carts = 0;
                start = ts;
            }
            n++;
            purchases += row.type == EV_PURCHASE;
            carts += row.type == EV_CART;
            revenue += row.type == EV_PURCHASE ? row.cents : 0;
            events++;
            prev_user = user;
            prev_ts = ts;
        );
        if (events > 0)
            sess_close(s, n, start, prev_ts, purchases, carts);
        s->events += events;
        s->users += users;
        s->revenue_cents += revenue;
        w->chunks[k] = (struct sess_chunk){.first_user = first_user, .last_user = prev_user,
                                           .s = st};
    }
    return NULL;
}

/* Moves each cut forward to the next change of user_id, so that no user,
 * and so no session, spans two chunks. */
static void sess_align(const struct csv_file *f, const char **cut, int n)
{
    for (int i = 1; i < n; i++) {
        const char *p = cut[i] < cut[i - 1] ? cut[i - 1] : cut[i];
        uint64_t u0, u;
        if (p < f->end && csv_uint(p, ',', &u0)) {
            while (p < f->end && csv_uint(p, ',', &u) && u == u0) {
                p = memchr(p, '\n', (size_t)(f->end - p));
                p = p ? p + 1 : f->end;
            }
        }
        cut[i] = p;
    }
}

static int sessionize(const char *dir, int threads, struct task_out *out, struct err *e)
{
    struct input in;
    if (input_open(&in, dir, "events.csv", threads, CHUNK_BYTES, 1, out, e) < 0)
        return -1;
    struct fr_names types;
    fr_names_init(&types, csv_event_types, 4);
    struct sess_chunk *chunks = xcalloc((size_t)in.n, sizeof *chunks);
    int nw = input_workers(&in, threads);
    struct sess_worker *w = xcalloc((size_t)nw, sizeof *w);
    for (int i = 0; i < nw; i++)
        w[i] = (struct sess_worker){.in = &in, .chunks = chunks, .types = &types};
    par_run(nw, sess_work, w, sizeof *w);
    /* A chunk whose first user does not follow the previous chunk's last
     * user is out of order at its first line. */
    const struct sess_chunk *prev = NULL;
    for (int i = 0; i < in.n && !in.pc[i].bad; i++) {
        if (chunks[i].s.events == 0)
            continue;
        if (prev && chunks[i].first_user <= prev->last_user) {
            in.pc[i].rows = 0;
            piece_fail(&in.pc[i], in.pc[i].begin, -1, "not sorted by user_id, then ts");
            break;
        }
        prev = &chunks[i];
    }
    int rc = input_error(&in, e);
    if (rc == 0) {
        struct sess_stats s;
        memset(&s, 0, sizeof s);
        for (int i = 0; i < in.n; i++)
            sess_merge(&s, &chunks[i].s);
        task_done(out, sess_result(&s));
        out->threads_used = nw;
    }
    free(w);
    free(chunks);
    input_close(&in);
    return rc;
}

/* ---- stream-score ---- */

/* Parsing and scoring run as one pipeline on every thread. A thread parses
 * the next chunk into a buffer, sorting its rows into one bucket per thread
 * by user; thread t owns the users with user_id % T == t and replays, in
 * file order, bucket t of every parsed chunk. Per-user state so needs no
 * lock, no thread reads rows it does not own, and a buffer goes back to the
 * pool, warm in cache, once every thread has replayed its bucket: the rows
 * never travel to memory and back. A thread scores before it parses, and
 * waits only when neither is possible, so the pipeline cannot deadlock. */
struct ss_row {
    uint64_t ts, user;
    double w;                       /* the event's weight, already computed */
};

struct ss_buf {
    struct ss_row **r;              /* bucket t: r[t][0 .. n[t]) */
    uint64_t *n;
    int pending;                    /* threads yet to replay their bucket */
};

/* What a parsed chunk leaves behind. */
struct ss_chunk {
    int parsed, buf;
    uint64_t first_ts, last_ts, max_user, rows;
};

#define SS_MIN_LINE 14              /* "1,1,view,0.00\n" */
#define SS_CHUNK (256u << 10)       /* smaller chunks than elsewhere: a pipeline */

/* One thread's users: slot user_id / T while ids stay compact (below
 * limit), else (for good, from the block that finds a larger id) the order
 * of first sight through a map. */
struct ss_user {                    /* what every row reads and writes: 16 bytes */
    double score;
    uint64_t last_ts;
};

struct ss_state {
    struct ss_user *u;
    unsigned char *flags;           /* bit 0 seen, bit 1 armed: 1 byte a user */
    uint64_t *alerts;               /* written only on an alert */
    uint64_t cap;
    int dense;
    uint64_t limit;
    struct hmap map;
};

struct ss_pipe {
    struct input *in;
    const struct fr_names *types;
    int nt;
    struct divisor by_t;            /* nt */
    struct ss_chunk *chunks;
    struct ss_buf *bufs;
    int *free_bufs, nfree;
    uint64_t most;                  /* rows a bucket can hold */
    pthread_mutex_t lock;
    pthread_cond_t changed;
};

struct ss_thread {
    struct ss_pipe *pipe;
    int self;
    struct ss_state st;
    double peak;
};

static void ss_grow(struct ss_state *st, uint64_t need)
{
    if (need <= st->cap)
        return;
    uint64_t old = st->cap, cap = need > 2 * old ? need : 2 * old;
    st->u = xrealloc(st->u, cap * sizeof *st->u);
    st->flags = xrealloc(st->flags, cap);
    st->alerts = xrealloc(st->alerts, cap * sizeof *st->alerts);
    memset(st->u + old, 0, (cap - old) * sizeof *st->u);
    memset(st->flags + old, 0, cap - old);
    memset(st->alerts + old, 0, (cap - old) * sizeof *st->alerts);
    st->cap = cap;
}

static void ss_state_free(struct ss_state *st)
{
    free(st->u);
    free(st->flags);
    free(st->alerts);
    if (!st->dense)
        hmap_free(&st->map);
}

/* Leaves compact slots for the map, keeping every user seen so far. */
static void ss_to_map(struct ss_state *st, uint64_t T, uint64_t self)
{
    struct ss_state m = {.dense = 0};
    hmap_init(&m.map, 1024);
    for (uint64_t u = 0; u < st->cap; u++) {
        if (!(st->flags[u] & 1))
            continue;
        int added;
        uint64_t i = hmap_put(&m.map, u * T + self, &added);
        ss_grow(&m, i + 1);
        m.u[i] = st->u[u];
        m.flags[i] = st->flags[u];
        m.alerts[i] = st->alerts[u];
    }
    ss_state_free(st);
    *st = m;
}

static void ss_parse(struct ss_pipe *pp, int k, struct ss_buf *b)
{
    struct piece *pc = &pp->in->pc[k];
    uint64_t n = 0, prev_ts = 0, max_user = 0;
    struct ss_chunk c = {.parsed = 1};
    memset(b->n, 0, (size_t)pp->nt * sizeof *b->n);
    FOR_ROWS(pc, fr_stream(p, pp->types, &row), row_stream(p, &row, &field),
        if (n > 0 && row.ts < prev_ts) {
            piece_fail(pc, p, -1, "ts decreases");
            break;
        }
        if (n++ == 0)
            c.first_ts = row.ts;
        prev_ts = row.ts;
        max_user = row.user > max_user ? row.user : max_user;
        uint64_t t;
        div_by(&pp->by_t, row.user, &t);
        b->r[t][b->n[t]++] = (struct ss_row){.ts = row.ts, .user = row.user,
                                             .w = score_weight_flat(row.type, row.cents)};
    );
    c.last_ts = prev_ts;
    c.max_user = max_user;
    c.rows = n;
    c.buf = (int)(b - pp->bufs);
    pthread_mutex_lock(&pp->lock);
    pp->chunks[k] = c;
    b->pending = pp->nt;
    pthread_cond_broadcast(&pp->changed);
    pthread_mutex_unlock(&pp->lock);
}

#define SS_BLOCK 256

/* Replays a run of rows in passes: slots (prefetching each user's state),
 * decay exponents (sequential but cheap), the exp() calls (vectorised, or
 * at least independent), then the score updates, in file order. */
static double ss_replay(struct ss_thread *t, const struct ss_row *r, int n, double peak)
{
    struct ss_state *st = &t->st;
    uint64_t T = (uint64_t)t->pipe->nt;
    double f[SS_BLOCK];
    if (st->dense) {
        uint64_t top = 0;
        for (int i = 0; i < n; i++)
            top = r[i].user > top ? r[i].user : top;
        if (top / T >= st->limit)
            ss_to_map(st, T, (uint64_t)t->self);
        else
            ss_grow(st, top / T + 1);
    }
    uint64_t slot[SS_BLOCK];
    for (int i = 0; i < n; i++) {
        uint64_t u;
        if (st->dense) {
            uint64_t rem;
            u = div_by(&t->pipe->by_t, r[i].user, &rem);
        } else {
            int added;
            u = hmap_put(&st->map, r[i].user, &added);
            ss_grow(st, u + 1);
        }
        slot[i] = u;
        __builtin_prefetch(&st->u[u], 1);      /* the block's misses then overlap */
        __builtin_prefetch(&st->flags[u], 1);
    }
    for (int i = 0; i < n; i++) {
        uint64_t u = slot[i];
        struct ss_user *x = &st->u[u];
        f[i] = (st->flags[u] & 1) && r[i].ts > x->last_ts
                   ? -(double)(r[i].ts - x->last_ts) / SCORE_HALF : 0.0;
        if (!(st->flags[u] & 1)) {
            st->flags[u] = 3;
            x->score = 0.0;
        }
        x->last_ts = r[i].ts;
    }
    vexp_block(f, n);
    for (int i = 0; i < n; i++) {
        uint64_t u = slot[i];
        struct ss_user *x = &st->u[u];
        double score = x->score * f[i];
        unsigned char fl = st->flags[u];
        if (!(fl & 2) && score < SCORE_REARM)
            fl |= 2;
        score += r[i].w;
        peak = score > peak ? score : peak;
        if ((fl & 2) && score >= SCORE_ALERT) {
            st->alerts[u]++;
            fl &= (unsigned char)~2;
        }
        st->flags[u] = fl;
        x->score = score;
    }
    return peak;
}

static void *ss_work(void *arg)
{
    struct ss_thread *t = arg;
    struct ss_pipe *pp = t->pipe;
    int n = pp->in->n, next = 0;
    double peak = 0.0;
    pthread_mutex_lock(&pp->lock);
    while (next < n) {
        if (pp->chunks[next].parsed) {
            struct ss_buf *b = &pp->bufs[pp->chunks[next].buf];
            pthread_mutex_unlock(&pp->lock);
            const struct ss_row *r = b->r[t->self];
            for (uint64_t i = 0, m = b->n[t->self]; i < m; i += SS_BLOCK)
                peak = ss_replay(t, r + i, m - i < SS_BLOCK ? (int)(m - i) : SS_BLOCK, peak);
            pthread_mutex_lock(&pp->lock);
            if (--b->pending == 0) {
                pp->free_bufs[pp->nfree++] = (int)(b - pp->bufs);
                pthread_cond_broadcast(&pp->changed);
            }
            next++;
        } else if (pp->nfree > 0 && atomic_load(&pp->in->next) < n) {
            struct ss_buf *b = &pp->bufs[pp->free_bufs[--pp->nfree]];
            int k = input_claim(pp->in);    /* under the lock: cannot run out */
            pthread_mutex_unlock(&pp->lock);
            input_populate(pp->in, k);
            ss_parse(pp, k, b);
            pthread_mutex_lock(&pp->lock);
        } else {
            pthread_cond_wait(&pp->changed, &pp->lock);
        }
    }
    pthread_mutex_unlock(&pp->lock);
    t->peak = peak;
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Folds every user into the result, in ascending user_id order (the order
 * final_score_sum is added in). */
static json_t *ss_result(const struct ss_thread *t, int nt, uint64_t max_user, uint64_t total)
{
    double peak = 0.0, sum = 0.0;
    uint64_t users = 0, alerts = 0, alerted = 0, T = (uint64_t)nt;
    struct score_user top[5];
    int ntop = 0, dense = 1;
    for (int i = 0; i < nt; i++) {
        peak = t[i].peak > peak ? t[i].peak : peak;
        dense &= t[i].st.dense;
    }
    /* Every id, sorted, unless all are compact (then 0 .. max_user). */
    uint64_t *ids = NULL, nids = 0;
    if (!dense) {
        for (int i = 0; i < nt; i++)
            nids += t[i].st.dense ? t[i].st.cap : t[i].st.map.n;
        ids = xmalloc((nids ? nids : 1) * sizeof *ids);
        nids = 0;
        for (int i = 0; i < nt; i++) {
            const struct ss_state *st = &t[i].st;
            for (uint64_t u = 0; st->dense && u < st->cap; u++)
                if (st->flags[u] & 1)
                    ids[nids++] = u * T + (uint64_t)i;
            for (uint64_t s = 0; !st->dense && s <= st->map.mask; s++)
                if (st->map.keys[s])
                    ids[nids++] = st->map.keys[s] - 1;
        }
        qsort(ids, nids, sizeof *ids, cmp_u64);
    }
    uint64_t end = ids ? nids : max_user + 1;
    for (uint64_t k = 0; k < end; k++) {
        uint64_t id = ids ? ids[k] : k;
        const struct ss_state *st = &t[id % T].st;
        uint64_t u = st->dense ? id / T : hmap_get(&st->map, id);
        if (u >= st->cap || !(st->flags[u] & 1))
            continue;
        users++;
        sum += st->u[u].score;
        alerts += st->alerts[u];
        alerted += st->alerts[u] > 0;
        score_top_add(top, &ntop, id, st->alerts[u]);
    }
    free(ids);
    return score_result(total, users, alerts, alerted, peak, sum, top, ntop);
}

/* A chunk that starts with a smaller ts than the previous chunk ended
 * with is out of order at its first line. */
static void ss_check_order(struct input *in, const struct ss_chunk *c)
{
    const struct ss_chunk *prev = NULL;
    for (int i = 0; i < in->n && !in->pc[i].bad; i++) {
        if (c[i].rows == 0)
            continue;
        if (prev && c[i].first_ts < prev->last_ts) {
            in->pc[i].rows = 0;
            piece_fail(&in->pc[i], in->pc[i].begin, -1, "ts decreases");
            break;
        }
        prev = &c[i];
    }
}

static int stream_score(const char *dir, int threads, struct task_out *out, struct err *e)
{
    struct input in;
    if (input_open(&in, dir, "stream.csv", threads, SS_CHUNK, 0, out, e) < 0)
        return -1;
    struct fr_names types;
    fr_names_init(&types, csv_stream_types, 6);
    int nt = min_int(threads, MAX_THREADS), nb = 2 * nt + 2;
    /* Ids beyond this bound for compact ids make the state a map. The
     * bound needs no first pass: a file of B bytes has under B/14 rows. */
    uint64_t rows_bound = (uint64_t)(in.f.end - in.f.data) / SS_MIN_LINE + 1;
    struct ss_pipe pp = {.in = &in, .types = &types, .nt = nt, .by_t = divisor_of((uint64_t)nt)};
    pp.chunks = xcalloc((size_t)in.n, sizeof *pp.chunks);
    pp.bufs = xcalloc((size_t)nb, sizeof *pp.bufs);
    pp.free_bufs = xmalloc((size_t)nb * sizeof *pp.free_bufs);
    size_t biggest = 0;
    for (int i = 0; i < in.n; i++) {
        size_t len = (size_t)(in.pc[i].end - in.pc[i].begin);
        biggest = len > biggest ? len : biggest;
    }
    pp.most = biggest / SS_MIN_LINE + 1;
    size_t bucket = pp.most * sizeof(struct ss_row), map_size = bucket * (size_t)nt * nb;
    char *map = xmalloc(map_size);     /* only the pages written get backed */
    for (int i = 0; i < nb; i++) {
        pp.bufs[i].r = xmalloc((size_t)nt * sizeof *pp.bufs[i].r);
        pp.bufs[i].n = xcalloc((size_t)nt, sizeof *pp.bufs[i].n);
        for (int t = 0; t < nt; t++)
            pp.bufs[i].r[t] = (struct ss_row *)(void *)(map + ((size_t)i * nt + t) * bucket);
        pp.free_bufs[pp.nfree++] = i;
    }
    pthread_mutex_init(&pp.lock, NULL);
    pthread_cond_init(&pp.changed, NULL);
    struct ss_thread *th = xcalloc((size_t)nt, sizeof *th);
    for (int t = 0; t < nt; t++)
        th[t] = (struct ss_thread){.pipe = &pp, .self = t,
                                   .st = {.dense = 1, .limit = (4 * rows_bound + 65536) / (uint64_t)nt}};
    par_run(nt, ss_work, th, sizeof *th);
    ss_check_order(&in, pp.chunks);
    int rc = input_error(&in, e);
    if (rc == 0) {
        uint64_t max_user = 0;
        for (int i = 0; i < in.n; i++)
            max_user = pp.chunks[i].max_user > max_user ? pp.chunks[i].max_user : max_user;
        task_done(out, ss_result(th, nt, max_user, input_rows(&in)));
        out->threads_used = nt;
    }
    for (int t = 0; t < nt; t++)
        ss_state_free(&th[t].st);
    for (int i = 0; i < nb; i++) {
        free(pp.bufs[i].r);
        free(pp.bufs[i].n);
    }
    free(map);
    pthread_mutex_destroy(&pp.lock);
    pthread_cond_destroy(&pp.changed);
    free(th);
    free(pp.bufs);
    free(pp.free_bufs);
    free(pp.chunks);
    input_close(&in);
    return rc;
}

int THREADS_MAIN(int argc, char **argv);

int THREADS_MAIN(int argc, char **argv)
{
    return engine_main_all(argc, argv, "c-threads", numeric, groupby, join, sessionize, stream_score);
}
