/* c-threads: the fast engine. Inputs are mapped, split at line boundaries
 * into one piece per thread, parsed by a schema-specific parser and folded
 * into per-thread partial aggregates that are merged at the end. Errors are
 * located per piece and the one with the smallest line number wins. */
#include "csv.h"
#include "rows.h"
#include "hmap.h"
#include "numeric_kernel.h"
#include "tasks.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_THREADS 256
#define DENSE_PRODUCTS 65536
#define MIN_PIECE (64 * 1024)   /* bytes: smaller inputs use fewer threads */

/* What every piece of a CSV input reports back. */
struct piece {
    const char *begin, *end;
    uint64_t rows;
    const char *bad;        /* start of the first bad line, or NULL */
    int bad_field;          /* its malformed field, or -1 with bad_msg */
    const char *bad_msg;
};

static int pieces_for(const struct csv_file *f, int threads)
{
    size_t len = (size_t)(f->end - f->data);
    size_t n = len / MIN_PIECE + 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    return n < (size_t)threads ? (int)n : threads;
}

/* The error of the earliest bad piece, with its line number. */
static int pieces_error(const struct csv_file *f, struct piece *const *ps, int n,
                        struct err *e)
{
    uint64_t line = 2;
    for (int i = 0; i < n; i++) {
        const struct piece *p = ps[i];
        if (!p->bad) {
            line += p->rows;
            continue;
        }
        line += p->rows;
        if (p->bad_field >= 0)
            return csv_bad_line(f, line, p->bad, p->bad_field, e);
        return err_set(e, 1, "%s:%llu: %s", f->name, (unsigned long long)line, p->bad_msg);
    }
    return f->truncated ? csv_truncated(f, e) : 0;
}

static void piece_fail(struct piece *p, const char *ls, int field, const char *msg)
{
    p->bad = ls;
    p->bad_field = field;
    p->bad_msg = msg;
}

static void sess_align(const struct csv_file *f, const char **cut, int n);

/* Opens a CSV input, splits it for the threads and hands out one job per
 * piece: each job is `size` bytes with its struct piece first; ps[] points
 * at the pieces. align_users moves cuts to user boundaries (sessionize). */
static void *pieces_open(const char *dir, const char *name, int threads, struct task_out *out,
                         struct csv_file *f, size_t size, int align_users, int *n,
                         struct piece **ps, struct err *e)
{
    if (csv_open(f, dir, name, e) < 0)
        return NULL;
    out->load_s = engine_now() - out->t_start;
    *n = pieces_for(f, threads);
    const char *cut[MAX_THREADS + 1];
    csv_split(f, *n, cut);
    if (align_users)
        sess_align(f, cut, *n);
    char *jobs = xcalloc((size_t)*n, size);
    for (int i = 0; i < *n; i++) {
        struct piece *p = (struct piece *)(void *)(jobs + (size_t)i * size);
        p->begin = cut[i];
        p->end = cut[i + 1];
        ps[i] = p;
    }
    return jobs;
}

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

struct gb_job {
    struct piece pc;
    uint64_t *count, *qty, *maxc;   /* dense, by product_id < DENSE_PRODUCTS */
    double *rev;
    struct hmap big;                /* product_ids beyond the dense range */
    struct group *bigg;
    uint64_t bigcap;
};

static void *gb_worker(void *arg)
{
    struct gb_job *j = arg;
    j->count = xcalloc(DENSE_PRODUCTS, sizeof *j->count);
    j->qty = xcalloc(DENSE_PRODUCTS, sizeof *j->qty);
    j->maxc = xcalloc(DENSE_PRODUCTS, sizeof *j->maxc);
    j->rev = xcalloc(DENSE_PRODUCTS, sizeof *j->rev);
    hmap_init(&j->big, 16);
    const char *p = j->pc.begin, *end = j->pc.end;
    while (p < end) {
        const char *ls = p;
        struct row row;
        int field = 0;
        if (!(p = row_facts_groupby(p, &row, &field))) {
            piece_fail(&j->pc, ls, field, NULL);
            return NULL;
        }
        uint64_t product = row.product, qty = row.qty, cents = row.cents;
        unsigned disc = row.disc;
        double r = revenue(qty, cents, disc);
        if (product < DENSE_PRODUCTS) {
            j->count[product]++;
            j->qty[product] += qty;
            j->rev[product] += r;
            j->maxc[product] = cents > j->maxc[product] ? cents : j->maxc[product];
        } else {
            int added;
            uint32_t i = hmap_put(&j->big, product, &added);
            if (added) {
                if (i >= j->bigcap)
                    j->bigg = xrealloc(j->bigg, (j->bigcap = j->bigcap * 2 + 64) *
                                                    sizeof *j->bigg);
                j->bigg[i] = (struct group){.id = product};
            }
            struct group *g = &j->bigg[i];
            g->count++;
            g->qty += qty;
            g->revenue += r;
            g->max_cents = cents > g->max_cents ? cents : g->max_cents;
        }
        j->pc.rows++;
    }
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

static int groupby(const char *dir, int threads, struct task_out *out, struct err *e)
{
    struct csv_file f;
    struct piece *ps[MAX_THREADS] = {0};
    int n;
    struct gb_job *jobs = pieces_open(dir, "facts.csv", threads, out, &f, sizeof *jobs, 0, &n,
                                      ps, e);
    if (!jobs)
        return -1;
    par_run(n, gb_worker, jobs, sizeof *jobs);
    int rc = pieces_error(&f, ps, n, e);
    if (rc == 0) {
        /* Merge: dense ids in order, then the sparse ones through a map. */
        struct group *g = NULL;
        uint64_t ng = 0, cap = 0, rows = 0;
        for (int i = 0; i < n; i++)
            rows += jobs[i].pc.rows;
        for (uint64_t id = 0; id < DENSE_PRODUCTS; id++) {
            struct group acc = {.id = id};
            for (int i = 0; i < n; i++) {
                struct group one = {.count = jobs[i].count[id], .qty = jobs[i].qty[id],
                                    .revenue = jobs[i].rev[id], .max_cents = jobs[i].maxc[id]};
                gb_fold(&acc, &one);
            }
            if (acc.count == 0)
                continue;
            if (ng == cap)
                g = xrealloc(g, (cap = cap * 2 + 1024) * sizeof *g);
            g[ng++] = acc;
        }
        struct hmap big;
        hmap_init(&big, 16);
        uint64_t dense_n = ng;
        for (int i = 0; i < n; i++) {
            for (uint64_t k = 0; k < jobs[i].big.n; k++) {
                const struct group *src = &jobs[i].bigg[k];
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
        out->result = groupby_result(rows, g, ng);
        out->threads_used = n;
        free(g);
    }
    for (int i = 0; i < n; i++) {
        free(jobs[i].count);
        free(jobs[i].qty);
        free(jobs[i].maxc);
        free(jobs[i].rev);
        free(jobs[i].bigg);
        hmap_free(&jobs[i].big);
    }
    free(jobs);
    csv_close(&f);
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

struct join_job {
    struct piece pc;
    const struct users *users;
    uint64_t kept;
    struct join_cell cells[NSEG][NREG];
};

static void *join_worker(void *arg)
{
    struct join_job *j = arg;
    const char *p = j->pc.begin, *end = j->pc.end;
    while (p < end) {
        const char *ls = p;
        struct row row;
        int field = 0;
        if (!(p = row_facts_join(p, &row, &field))) {
            piece_fail(&j->pc, ls, field, NULL);
            return NULL;
        }
        uint64_t user = row.user, ts = row.ts, qty = row.qty, cents = row.cents;
        unsigned disc = row.disc;
        int channel = row.channel;
        j->pc.rows++;
        if (ts < JOIN_TS_MIN || channel == 3)
            continue;
        unsigned code = users_code(j->users, user);
        if (code == NO_USER)
            continue;
        struct join_cell *c = &j->cells[code / NREG][code % NREG];
        c->orders++;
        c->qty += qty;
        c->revenue += revenue(qty, cents, disc);
        j->kept++;
    }
    return NULL;
}

static int join(const char *dir, int threads, struct task_out *out, struct err *e)
{
    struct users users;
    if (users_load(dir, &users, e) < 0) {
        users_free(&users);
        return -1;
    }
    struct csv_file f;
    struct piece *ps[MAX_THREADS] = {0};
    int n;
    struct join_job *jobs = pieces_open(dir, "facts.csv", threads, out, &f, sizeof *jobs, 0,
                                        &n, ps, e);
    if (!jobs) {
        users_free(&users);
        return -1;
    }
    for (int i = 0; i < n; i++)
        jobs[i].users = &users;
    par_run(n, join_worker, jobs, sizeof *jobs);
    int rc = pieces_error(&f, ps, n, e);
    if (rc == 0) {
        struct join_cell cells[NSEG][NREG];
        memset(cells, 0, sizeof cells);
        uint64_t kept = 0;
        for (int i = 0; i < n; i++) {
            kept += jobs[i].kept;
            for (int s = 0; s < NSEG; s++) {
                for (int r = 0; r < NREG; r++) {
                    cells[s][r].orders += jobs[i].cells[s][r].orders;
                    cells[s][r].qty += jobs[i].cells[s][r].qty;
                    cells[s][r].revenue += jobs[i].cells[s][r].revenue;
                }
            }
        }
        out->result = join_result(kept, cells);
        out->threads_used = n;
    }
    free(jobs);
    csv_close(&f);
    users_free(&users);
    return rc;
}

/* ---- sessionize ---- */

struct sess_job {
    struct piece pc;
    uint64_t first_user, last_user;
    struct sess_stats s;
};

static void *sess_worker(void *arg)
{
    struct sess_job *j = arg;
    struct sess_stats *s = &j->s;
    const char *p = j->pc.begin, *end = j->pc.end;
    uint64_t prev_user = 0, prev_ts = 0, n = 0, start = 0, purchases = 0, carts = 0;
    while (p < end) {
        const char *ls = p;
        struct row row;
        int field = 0;
        if (!(p = row_events(p, &row, &field))) {
            piece_fail(&j->pc, ls, field, NULL);
            return NULL;
        }
        uint64_t user = row.user, ts = row.ts, cents = row.cents;
        int type = row.type;
        if (s->events > 0 && (user < prev_user || (user == prev_user && ts < prev_ts))) {
            piece_fail(&j->pc, ls, -1, "not sorted by user_id, then ts");
            return NULL;
        }
        if (s->events == 0 || user != prev_user || ts - prev_ts > SESSION_GAP) {
            if (s->events > 0)
                sess_close(s, n, start, prev_ts, purchases, carts);
            if (s->events == 0)
                j->first_user = user;
            if (s->events == 0 || user != prev_user)
                s->users++;
            n = purchases = carts = 0;
            start = ts;
        }
        n++;
        purchases += type == EV_PURCHASE;
        carts += type == EV_CART;
        s->revenue_cents += type == EV_PURCHASE ? cents : 0;
        s->events++;
        prev_user = user;
        prev_ts = ts;
        j->pc.rows++;
    }
    if (s->events > 0)
        sess_close(s, n, start, prev_ts, purchases, carts);
    j->last_user = prev_user;
    return NULL;
}

/* Moves each cut forward to the next change of user_id, so that no user,
 * and so no session, spans two pieces. */
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
    struct csv_file f;
    struct piece *ps[MAX_THREADS] = {0};
    int n;
    struct sess_job *jobs = pieces_open(dir, "events.csv", threads, out, &f, sizeof *jobs, 1,
                                        &n, ps, e);
    if (!jobs)
        return -1;
    par_run(n, sess_worker, jobs, sizeof *jobs);
    /* A piece whose first user does not follow the previous piece's last
     * user is out of order at its first line. */
    const struct sess_job *prev = NULL;
    for (int i = 0; i < n; i++) {
        if (jobs[i].pc.bad || prev == NULL || jobs[i].s.events == 0) {
            prev = jobs[i].s.events ? &jobs[i] : prev;
            if (jobs[i].pc.bad)
                break;
            continue;
        }
        if (jobs[i].first_user <= prev->last_user) {
            jobs[i].pc.rows = 0;
            piece_fail(&jobs[i].pc, jobs[i].pc.begin, -1, "not sorted by user_id, then ts");
            break;
        }
        prev = &jobs[i];
    }
    int rc = pieces_error(&f, ps, n, e);
    if (rc == 0) {
        struct sess_stats s;
        memset(&s, 0, sizeof s);
        for (int i = 0; i < n; i++)
            sess_merge(&s, &jobs[i].s);
        out->result = sess_result(&s);
        out->threads_used = n;
    }
    free(jobs);
    csv_close(&f);
    return rc;
}

/* ---- stream-score ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Rows parsed into columns by piece, then users partitioned over threads:
 * each thread replays all rows but updates only the users it owns. */
struct ss_rows {
    struct piece pc;
    uint64_t *ts, *user;
    uint32_t *cents;
    unsigned char *type;
    uint64_t cap, max_user;
};

static void *ss_parse(void *arg)
{
    struct ss_rows *j = arg;
    const char *p = j->pc.begin, *end = j->pc.end;
    uint64_t prev_ts = 0, n = 0;
    while (p < end) {
        const char *ls = p;
        struct row row;
        int field = 0;
        if (!(p = row_stream(p, &row, &field)) || (field = 3, row.cents > UINT32_MAX)) {
            piece_fail(&j->pc, ls, field, NULL);
            return NULL;
        }
        uint64_t ts = row.ts, user = row.user, cents = row.cents;
        int type = row.type;
        if (n > 0 && ts < prev_ts) {
            piece_fail(&j->pc, ls, -1, "ts decreases");
            return NULL;
        }
        if (n == j->cap) {
            j->cap = j->cap * 2 + 4096;
            j->ts = xrealloc(j->ts, j->cap * sizeof *j->ts);
            j->user = xrealloc(j->user, j->cap * sizeof *j->user);
            j->cents = xrealloc(j->cents, j->cap * sizeof *j->cents);
            j->type = xrealloc(j->type, j->cap);
        }
        j->ts[n] = ts;
        j->user[n] = user;
        j->cents[n] = (uint32_t)cents;
        j->type[n] = (unsigned char)type;
        j->max_user = user > j->max_user ? user : j->max_user;
        prev_ts = ts;
        j->pc.rows = ++n;
    }
    return NULL;
}

struct ss_state {
    double *score;
    uint64_t *last_ts, *alerts;
    unsigned char *flags;       /* bit 0 seen, bit 1 armed */
};

struct ss_job {
    const struct ss_rows *rows;
    int npieces, self, nthreads;
    struct ss_state st;
    double peak;
};

static void *ss_score(void *arg)
{
    struct ss_job *j = arg;
    const struct ss_state *st = &j->st;
    double peak = 0.0;
    for (int k = 0; k < j->npieces; k++) {
        const struct ss_rows *r = &j->rows[k];
        for (uint64_t i = 0; i < r->pc.rows; i++) {
            uint64_t u = r->user[i];
            if ((int)(u % (uint64_t)j->nthreads) != j->self)
                continue;
            uint64_t ts = r->ts[i];
            unsigned char fl = st->flags[u];
            double score = st->score[u];
            if ((fl & 1) && ts > st->last_ts[u])
                score *= exp(-(double)(ts - st->last_ts[u]) / SCORE_HALF);
            if (!(fl & 1))
                fl = 3;
            if (!(fl & 2) && score < SCORE_REARM)
                fl |= 2;
            score += score_weight(r->type[i], r->cents[i]);
            peak = score > peak ? score : peak;
            if ((fl & 2) && score >= SCORE_ALERT) {
                st->alerts[u]++;
                fl &= (unsigned char)~2;
            }
            st->flags[u] = fl;
            st->score[u] = score;
            st->last_ts[u] = ts;
        }
    }
    j->peak = peak;
    return NULL;
}

static int stream_score(const char *dir, int threads, struct task_out *out, struct err *e)
{
    struct csv_file f;
    struct piece *ps[MAX_THREADS] = {0};
    int n;
    struct ss_rows *rows = pieces_open(dir, "stream.csv", threads, out, &f, sizeof *rows, 0, &n,
                                       ps, e);
    if (!rows)
        return -1;
    par_run(n, ss_parse, rows, sizeof *rows);
    uint64_t total = 0, max_user = 0;
    struct ss_rows *prev = NULL;
    for (int i = 0; i < n && !rows[i].pc.bad; i++) {
        if (rows[i].pc.rows == 0)
            continue;
        if (prev && rows[i].ts[0] < prev->ts[prev->pc.rows - 1]) {
            rows[i].pc.rows = 0;
            piece_fail(&rows[i].pc, rows[i].pc.begin, -1, "ts decreases");
            break;
        }
        prev = &rows[i];
    }
    int rc = pieces_error(&f, ps, n, e);
    csv_close(&f);
    if (rc < 0)
        goto out;
    for (int i = 0; i < n; i++) {
        total += rows[i].pc.rows;
        max_user = rows[i].max_user > max_user ? rows[i].max_user : max_user;
    }
    /* Slots are user ids themselves when ids are compact, else ranks of the
     * sorted distinct ids; either way slot order is user_id order. */
    uint64_t nslots;
    uint64_t *ids = NULL;
    if (max_user < 4 * total + 65536) {
        nslots = max_user + 1;
    } else {
        struct hmap m;
        hmap_init(&m, 1024);
        for (int i = 0; i < n; i++)
            for (uint64_t k = 0; k < rows[i].pc.rows; k++) {
                int added;
                hmap_put(&m, rows[i].user[k], &added);
            }
        nslots = m.n;
        ids = xmalloc(nslots * sizeof *ids);
        for (uint64_t s = 0, k = 0; s <= m.mask; s++)
            if (m.keys[s])
                ids[k++] = m.keys[s] - 1;
        hmap_free(&m);
        qsort(ids, nslots, sizeof *ids, cmp_u64);
        struct hmap rank;
        hmap_init(&rank, nslots);
        for (uint64_t k = 0; k < nslots; k++) {
            int added;
            hmap_put(&rank, ids[k], &added);
        }
        for (int i = 0; i < n; i++)
            for (uint64_t k = 0; k < rows[i].pc.rows; k++)
                rows[i].user[k] = hmap_get(&rank, rows[i].user[k]);
        hmap_free(&rank);
    }
    struct ss_state st = {
        .score = xcalloc(nslots, sizeof(double)),
        .last_ts = xcalloc(nslots, sizeof(uint64_t)),
        .alerts = xcalloc(nslots, sizeof(uint64_t)),
        .flags = xcalloc(nslots, 1),
    };
    int nt = threads > MAX_THREADS ? MAX_THREADS : threads;
    if ((uint64_t)nt > total / 16384 + 1)
        nt = (int)(total / 16384 + 1);
    struct ss_job *jobs = xcalloc((size_t)nt, sizeof *jobs);
    for (int t = 0; t < nt; t++)
        jobs[t] = (struct ss_job){.rows = rows, .npieces = n, .self = t, .nthreads = nt,
                                  .st = st};
    par_run(nt, ss_score, jobs, sizeof *jobs);
    double peak = 0.0, sum = 0.0;
    uint64_t users = 0, alerts = 0, alerted = 0;
    struct score_user top[5];
    int ntop = 0;
    for (int t = 0; t < nt; t++)
        peak = jobs[t].peak > peak ? jobs[t].peak : peak;
    for (uint64_t u = 0; u < nslots; u++) {
        if (!(st.flags[u] & 1))
            continue;
        users++;
        sum += st.score[u];
        alerts += st.alerts[u];
        alerted += st.alerts[u] > 0;
        score_top_add(top, &ntop, ids ? ids[u] : u, st.alerts[u]);
    }
    out->result = score_result(total, users, alerts, alerted, peak, sum, top, ntop);
    out->threads_used = n > nt ? n : nt;
    free(st.score);
    free(st.last_ts);
    free(st.alerts);
    free(st.flags);
    free(jobs);
    free(ids);
out:
    for (int i = 0; i < n; i++) {
        free(rows[i].ts);
        free(rows[i].user);
        free(rows[i].cents);
        free(rows[i].type);
    }
    free(rows);
    return rc;
}

int main(int argc, char **argv)
{
    return engine_main_all(argc, argv, "c-threads", numeric, groupby, join, sessionize, stream_score);
}
