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
#include "../../common/err.h"
#include "../../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The row loops are built twice, for x86-64-v3 (AVX2, BMI, POPCNT) and for
 * the baseline; the loader picks one for the CPU at hand, so one binary is
 * both portable and fast. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HOT
#endif

#define MAX_THREADS 256
#define DENSE_PRODUCTS 65536
#define CHUNK_BYTES (4u << 20)  /* the unit of work a thread takes */
#define MIN_CHUNK (64 * 1024)   /* bytes: smaller inputs use fewer threads */

static int min_int(int a, int b)
{
    return a < b ? a : b;
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

/* Opens a CSV input and cuts it into chunks: about CHUNK_BYTES each, and
 * at least four per thread while they stay above MIN_CHUNK. align_users
 * moves the cuts to changes of user_id (sessionize). */
static int input_open(struct input *in, const char *dir, const char *name, int threads,
                      int align_users, struct task_out *out, struct err *e)
{
    memset(in, 0, sizeof *in);
    atomic_init(&in->next, 0);
    if (csv_open(&in->f, dir, name, e) < 0)
        return -1;
    out->load_s = engine_now() - out->t_start;
    size_t len = (size_t)(in->f.end - in->f.data);
    size_t n = len / CHUNK_BYTES + 1, small = len / MIN_CHUNK + 1;
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

/* The next chunk for the calling thread, or -1 when all are taken. */
static int input_take(struct input *in)
{
    int k = atomic_fetch_add_explicit(&in->next, 1, memory_order_relaxed);
    return k < in->n ? k : -1;
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

struct num_job {
    const double *lat, *lon;
    uint64_t begin, end;
    uint64_t bad;           /* first non-finite index, or UINT64_MAX */
    struct num_part part;
};

static void *num_worker(void *arg)
{
    struct num_job *j = arg;
    int64_t bad = num_kernel(j->lat + j->begin, j->lon + j->begin, j->end - j->begin, &j->part);
    j->bad = bad < 0 ? UINT64_MAX : j->begin + (uint64_t)bad;
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
#ifdef MAP_POPULATE
    void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
#else
    void *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
#endif
    close(fd);
    if (m == MAP_FAILED)
        return err_set(e, 1, "points.f64: cannot map: %s", strerror(errno));
    out->load_s = engine_now() - out->t_start;
    uint64_t n = size / 16;
    const double *lat = m, *lon = (const double *)m + n;
    int nt = threads > MAX_THREADS ? MAX_THREADS : threads;
    if ((uint64_t)nt > n / 4096 + 1)
        nt = (int)(n / 4096 + 1);
    struct num_job *jobs = xcalloc((size_t)nt, sizeof *jobs);
    for (int i = 0; i < nt; i++) {
        jobs[i].lat = lat;
        jobs[i].lon = lon;
        jobs[i].begin = n / (uint64_t)nt * (uint64_t)i;
        jobs[i].end = i + 1 == nt ? n : n / (uint64_t)nt * (uint64_t)(i + 1);
    }
    par_run(nt, num_worker, jobs, sizeof *jobs);
    struct num_part total = {0};
    int rc = 0;
    for (int i = 0; i < nt && rc == 0; i++) {
        if (jobs[i].bad != UINT64_MAX)
            rc = err_set(e, 1, "points.f64: point %llu is not finite",
                         (unsigned long long)jobs[i].bad);
        num_merge(&total, &jobs[i].part);
    }
    if (rc == 0) {
        out->result = num_result(&total);
        out->threads_used = nt;
    }
    free(jobs);
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

HOT static void *gb_work(void *arg)
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
            g->revenue += revenue(qty, cents, row.disc);
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
    if (input_open(&in, dir, "facts.csv", threads, 0, out, e) < 0)
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
        out->result = groupby_result(input_rows(&in), g, ng);
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

static int users_load(const char *dir, struct users *u, struct err *e)
{
    struct csv_file f;
    memset(u, 0, sizeof *u);
    if (csv_open(&f, dir, "users.csv", e) < 0)
        return -1;
    hmap_init(&u->map, 1024);
    uint64_t cap = 0, line = 1, max_id = 0;
    int rc = 0;
    for (const char *p = f.data; p < f.end && rc == 0;) {
        const char *ls = p;
        struct row row;
        int field = 0, added;
        line++;
        if (!(p = row_users(p, &row, &field))) {
            rc = csv_bad_line(&f, line, ls, field, e);
            break;
        }
        uint64_t id = row.id;
        int seg = row.seg, reg = row.reg;
        uint32_t i = hmap_put(&u->map, id, &added);
        if (!added) {
            rc = err_set(e, 1, "users.csv:%llu: duplicate user_id %llu",
                         (unsigned long long)line, (unsigned long long)id);
            break;
        }
        if (i >= cap)
            u->codes = xrealloc(u->codes, cap = cap * 2 + 1024);
        u->codes[i] = (unsigned char)(seg * NREG + reg);
        max_id = id > max_id ? id : max_id;
    }
    if (rc == 0 && f.truncated)
        rc = csv_truncated(&f, e);
    csv_close(&f);
    if (rc == 0 && max_id < 16 * u->map.n + 65536) {
        u->dense_n = max_id + 1;
        u->dense = xmalloc(u->dense_n);
        memset(u->dense, NO_USER, u->dense_n);
        for (uint64_t s = 0; s <= u->map.mask; s++)
            if (u->map.keys[s])
                u->dense[u->map.keys[s] - 1] = u->codes[u->map.vals[s]];
    }
    return rc;
}

static void users_free(struct users *u)
{
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

HOT static void *join_work(void *arg)
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
            c->revenue += revenue(row.qty, row.cents, row.disc);
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
    if (input_open(&in, dir, "facts.csv", threads, 0, out, e) < 0) {
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
        out->result = join_result(kept, cells);
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

HOT static void *sess_work(void *arg)
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
    if (input_open(&in, dir, "events.csv", threads, 1, out, e) < 0)
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
        out->result = sess_result(&s);
        out->threads_used = nw;
    }
    free(w);
    free(chunks);
    input_close(&in);
    return rc;
}

/* ---- stream-score ---- */

/* Rows are parsed chunk by chunk in parallel into buckets, one per scoring
 * thread, by user; each scoring thread then replays only its own users'
 * rows, in file order, so per-user state needs no locks and no thread
 * reads rows it does not own. */
struct ss_row {
    uint64_t ts, user;
    double w;                       /* the event's weight, already computed */
};

struct ss_bucket {
    struct ss_row *r;
    uint64_t n, cap;
};

struct ss_chunk {
    struct ss_bucket *b;            /* one per scoring thread */
    uint64_t first_ts, last_ts, max_user, rows;
};

struct ss_parser {
    struct input *in;
    struct ss_chunk *chunks;
    const struct fr_names *types;
    int nscorers;
};

static void ss_push(struct ss_bucket *b, uint64_t ts, uint64_t user, double w)
{
    if (b->n == b->cap)
        b->r = xrealloc(b->r, (b->cap = b->cap * 2 + 1024) * sizeof *b->r);
    b->r[b->n++] = (struct ss_row){.ts = ts, .user = user, .w = w};
}

HOT static void *ss_parse(void *arg)
{
    struct ss_parser *w = arg;
    uint64_t T = (uint64_t)w->nscorers;
    for (int k; (k = input_take(w->in)) >= 0;) {
        struct piece *pc = &w->in->pc[k];
        struct ss_chunk c = {.b = xcalloc(T, sizeof *c.b)};
        uint64_t guess = (uint64_t)(pc->end - pc->begin) / 30 / T + 16;
        for (uint64_t t = 0; t < T; t++)
            c.b[t].r = xmalloc((c.b[t].cap = guess) * sizeof *c.b[t].r);
        uint64_t n = 0, prev_ts = 0, max_user = 0;
        FOR_ROWS(pc, fr_stream(p, w->types, &row), row_stream(p, &row, &field),
            if (n > 0 && row.ts < prev_ts) {
                piece_fail(pc, p, -1, "ts decreases");
                break;
            }
            if (n++ == 0)
                c.first_ts = row.ts;
            prev_ts = row.ts;
            max_user = row.user > max_user ? row.user : max_user;
            ss_push(&c.b[row.user % T], row.ts, row.user, score_weight(row.type, row.cents));
        );
        c.last_ts = prev_ts;
        c.max_user = max_user;
        c.rows = n;
        w->chunks[k] = c;
    }
    return NULL;
}

/* One user's state, as the task defines it. */
struct ss_user {
    double score;
    uint64_t last_ts, alerts;
    uint64_t id;
    unsigned char flags;            /* bit 0 seen, bit 1 armed */
};

#define SS_BLOCK 256

struct ss_scorer {
    const struct ss_chunk *chunks;
    int nchunks, self, nthreads;
    int dense;                      /* slots are user_id / nthreads; else map */
    struct ss_user *u;
    uint64_t nu, cap;
    struct hmap map;
    double peak;
};

/* The state of user id, created on first sight. */
static struct ss_user *ss_user(struct ss_scorer *s, uint64_t id)
{
    uint64_t slot;
    if (s->dense) {
        slot = id / (uint64_t)s->nthreads;
    } else {
        int added;
        slot = hmap_put(&s->map, id, &added);
        if (slot >= s->cap) {
            uint64_t old = s->cap;
            s->u = xrealloc(s->u, (s->cap = s->cap * 2 + 1024) * sizeof *s->u);
            memset(s->u + old, 0, (s->cap - old) * sizeof *s->u);
        }
    }
    return &s->u[slot];
}

/* Replays a run of rows in three passes: decay exponents (sequential, but
 * cheap), the exp() calls (independent, so they overlap), then the score
 * updates. */
static double ss_block(struct ss_scorer *s, const struct ss_row *r, int n, double peak)
{
    struct ss_user *st[SS_BLOCK];
    double x[SS_BLOCK];
    for (int i = 0; i < n; i++) {
        struct ss_user *u = st[i] = ss_user(s, r[i].user);
        x[i] = (u->flags & 1) && r[i].ts > u->last_ts
                   ? -(double)(r[i].ts - u->last_ts) / SCORE_HALF : 0.0;
        if (!(u->flags & 1))
            *u = (struct ss_user){.id = r[i].user, .flags = 3};
        u->last_ts = r[i].ts;
    }
    for (int i = 0; i < n; i++)
        x[i] = x[i] == 0.0 ? 1.0 : exp(x[i]);
    for (int i = 0; i < n; i++) {
        struct ss_user *u = st[i];
        double score = u->score * x[i];
        unsigned char fl = u->flags;
        if (!(fl & 2) && score < SCORE_REARM)
            fl |= 2;
        score += r[i].w;
        peak = score > peak ? score : peak;
        if ((fl & 2) && score >= SCORE_ALERT) {
            u->alerts++;
            fl &= (unsigned char)~2;
        }
        u->flags = fl;
        u->score = score;
    }
    return peak;
}

HOT static void *ss_score(void *arg)
{
    struct ss_scorer *s = arg;
    double peak = 0.0;
    for (int k = 0; k < s->nchunks; k++) {
        const struct ss_bucket *b = &s->chunks[k].b[s->self];
        for (uint64_t i = 0; i < b->n; i += SS_BLOCK)
            peak = ss_block(s, b->r + i, b->n - i < SS_BLOCK ? (int)(b->n - i) : SS_BLOCK, peak);
    }
    s->peak = peak;
    return NULL;
}

static int cmp_user(const void *a, const void *b)
{
    const struct ss_user *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Every user seen, in ascending user_id order (final_score_sum is added in
 * that order). */
static struct ss_user *ss_users(const struct ss_scorer *s, int nt, uint64_t max_user,
                                uint64_t *nusers)
{
    uint64_t n = 0, cap = 1024;
    struct ss_user *all = xmalloc(cap * sizeof *all);
    if (s[0].dense) {
        for (uint64_t id = 0; id <= max_user; id++) {
            const struct ss_user *u = &s[id % (uint64_t)nt].u[id / (uint64_t)nt];
            if (!(u->flags & 1))
                continue;
            if (n == cap)
                all = xrealloc(all, (cap *= 2) * sizeof *all);
            all[n++] = *u;
        }
    } else {
        for (int t = 0; t < nt; t++) {
            for (uint64_t i = 0; i < s[t].map.n; i++) {
                if (n == cap)
                    all = xrealloc(all, (cap *= 2) * sizeof *all);
                all[n++] = s[t].u[i];
            }
        }
        qsort(all, n, sizeof *all, cmp_user);
    }
    *nusers = n;
    return all;
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
    if (input_open(&in, dir, "stream.csv", threads, 0, out, e) < 0)
        return -1;
    struct fr_names types;
    fr_names_init(&types, csv_stream_types, 6);
    int nw = input_workers(&in, threads), nt = min_int(threads, MAX_THREADS);
    struct ss_chunk *chunks = xcalloc((size_t)in.n, sizeof *chunks);
    struct ss_parser *pw = xcalloc((size_t)nw, sizeof *pw);
    for (int i = 0; i < nw; i++)
        pw[i] = (struct ss_parser){.in = &in, .chunks = chunks, .types = &types, .nscorers = nt};
    par_run(nw, ss_parse, pw, sizeof *pw);
    free(pw);
    ss_check_order(&in, chunks);
    int rc = input_error(&in, e);
    if (rc == 0) {
        uint64_t total = input_rows(&in), max_user = 0, nusers;
        for (int i = 0; i < in.n; i++)
            max_user = chunks[i].max_user > max_user ? chunks[i].max_user : max_user;
        int dense = max_user < 4 * total + 65536;
        struct ss_scorer *s = xcalloc((size_t)nt, sizeof *s);
        for (int t = 0; t < nt; t++) {
            s[t] = (struct ss_scorer){.chunks = chunks, .nchunks = in.n, .self = t,
                                      .nthreads = nt, .dense = dense};
            if (dense)
                s[t].u = xcalloc(max_user / (uint64_t)nt + 1, sizeof *s[t].u);
            else
                hmap_init(&s[t].map, 1024);
        }
        par_run(nt, ss_score, s, sizeof *s);
        double peak = 0.0, sum = 0.0;
        uint64_t alerts = 0, alerted = 0;
        struct score_user top[5];
        int ntop = 0;
        for (int t = 0; t < nt; t++)
            peak = s[t].peak > peak ? s[t].peak : peak;
        struct ss_user *all = ss_users(s, nt, max_user, &nusers);
        for (uint64_t i = 0; i < nusers; i++) {
            sum += all[i].score;
            alerts += all[i].alerts;
            alerted += all[i].alerts > 0;
            score_top_add(top, &ntop, all[i].id, all[i].alerts);
        }
        out->result = score_result(total, nusers, alerts, alerted, peak, sum, top, ntop);
        out->threads_used = nw > nt ? nw : nt;
        free(all);
        for (int t = 0; t < nt; t++) {
            free(s[t].u);
            if (!dense)
                hmap_free(&s[t].map);
        }
        free(s);
    }
    for (int i = 0; i < in.n; i++) {
        for (int t = 0; chunks[i].b && t < nt; t++)
            free(chunks[i].b[t].r);
        free(chunks[i].b);
    }
    free(chunks);
    input_close(&in);
    return rc;
}

int main(int argc, char **argv)
{
    return engine_main_all(argc, argv, "c-threads", numeric, groupby, join, sessionize, stream_score);
}
