/* c-scalar: straightforward single-threaded C, one line at a time through
 * stdio, a hash map for every key. The plain reference the fast engine is
 * checked against. */
#include "csv.h"
#include "rows.h"
#include "hmap.h"
#include "tasks.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct reader {
    FILE *fp;
    struct csv_file f;
    char *line;
    size_t cap;
    uint64_t lineno;
};

static int rd_open(struct reader *r, const char *dir, const char *name, struct err *e)
{
    /* csv_open checks the header, emptiness and presence; the stream is
     * then read from the start like any plain program would. */
    memset(r, 0, sizeof *r);
    if (csv_open(&r->f, dir, name, e) < 0)
        return -1;
    csv_close(&r->f);
    char *path = xasprintf("%s/%s", dir, name);
    r->fp = fopen(path, "r");
    free(path);
    if (!r->fp)
        return err_set(e, 1, "%s: cannot open: %s", name, strerror(errno));
    ssize_t n = getline(&r->line, &r->cap, r->fp);   /* the header, already checked */
    r->lineno = 1;
    return n > 0 ? 0 : err_set(e, 1, "%s: read failed", name);
}

/* 1 with r->line holding a complete line, 0 at the end, -1 on error. */
static int rd_next(struct reader *r, struct err *e)
{
    ssize_t n = getline(&r->line, &r->cap, r->fp);
    if (n < 0)
        return 0;
    r->lineno++;
    if (r->line[n - 1] != '\n')
        return err_set(e, 1, "%s:%llu: last line does not end with a newline", r->f.name,
                       (unsigned long long)r->lineno);
    r->f.end = r->line + n;
    return 1;
}

static int rd_bad(struct reader *r, int field, struct err *e)
{
    return csv_bad_line(&r->f, r->lineno, r->line, field, e);
}

static void rd_close(struct reader *r)
{
    if (r->fp)
        fclose(r->fp);
    free(r->line);
}

static int numeric(const char *dir, int threads, struct task_out *out, struct err *e)
{
    (void)threads;
    char *path = xasprintf("%s/points.f64", dir);
    FILE *fp = fopen(path, "rb");
    free(path);
    if (!fp)
        return err_set(e, 1, "points.f64: cannot open: %s", strerror(errno));
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    if (size <= 0 || size % 16 != 0) {
        fclose(fp);
        return err_set(e, 1, "points.f64: size %ld is not a positive multiple of 16", size);
    }
    uint64_t n = (uint64_t)size / 16;
    double *v = xmalloc((size_t)size);
    size_t got = fread(v, 16, n, fp);
    fclose(fp);
    int rc = -1;
    if (got != n) {
        err_set(e, 1, "points.f64: short read");
        goto out;
    }
    if (num_check_finite(v, v + n, n, e) < 0)
        goto out;
    struct num_part p = {.min = INFINITY, .max = -INFINITY};
    for (uint64_t i = 0; i < n; i++) {
        double d = num_distance(v[i], v[n + i]);
        if (d < p.min)
            p.min = d;
        if (d > p.max)
            p.max = d;
        if (d < 100.0)
            d = 100.0, p.low++;
        else if (d > 15000.0)
            d = 15000.0, p.high++;
        p.n++;
        double delta = d - p.mean;    /* Welford */
        p.mean += delta / (double)p.n;
        p.m2 += delta * (d - p.mean);
    }
    task_done(out, num_result(&p));
    out->threads_used = 1;
    rc = 0;
out:
    free(v);
    return rc;
}

static int groupby(const char *dir, int threads, struct task_out *out, struct err *e)
{
    (void)threads;
    struct reader r;
    if (rd_open(&r, dir, FACTS_CSV, e) < 0)
        return -1;
    struct hmap m;
    hmap_init(&m, 1024);
    struct group *g = NULL;
    uint64_t cap = 0, rows = 0;
    int rc = -1, st;
    while ((st = rd_next(&r, e)) == 1) {
        const char *p = r.line;
        struct row row;
        int field = 0;
        if (!(p = row_facts_groupby(p, &row, &field)) || p != r.f.end)
            goto bad;
        uint64_t product = row.product, qty = row.qty, cents = row.cents;
        unsigned disc = row.disc;
        int added;
        uint32_t i = hmap_put(&m, product, &added);
        if (added) {
            if (i >= cap)
                g = xrealloc(g, (cap = cap ? cap * 2 : 1024) * sizeof *g);
            g[i] = (struct group){.id = product};
        }
        g[i].count++;
        g[i].qty += qty;
        g[i].revenue += revenue(qty, cents, disc);
        if (cents > g[i].max_cents)
            g[i].max_cents = cents;
        rows++;
        continue;
bad:
        rd_bad(&r, field, e);
        st = -1;
        break;
    }
    if (st == 0) {
        task_done(out, groupby_result(rows, g, m.n));
        out->threads_used = 1;
        rc = 0;
    }
    free(g);
    hmap_free(&m);
    rd_close(&r);
    return rc;
}

/* user_id -> segment * N_REGIONS + region, from users.csv. */
static int load_users(const char *dir, struct hmap *m, unsigned char **codes, struct err *e)
{
    struct reader r;
    if (rd_open(&r, dir, USERS_CSV, e) < 0)
        return -1;
    hmap_init(m, 1024);
    uint64_t cap = 0;
    *codes = NULL;
    int st;
    while ((st = rd_next(&r, e)) == 1) {
        const char *p = r.line;
        struct row row;
        int field = 0;
        if (!(p = row_users(p, &row, &field)) || p != r.f.end) {
            rd_bad(&r, field, e);
            st = -1;
            break;
        }
        uint64_t id = row.id;
        int seg = row.seg, reg = row.reg;
        int added;
        uint32_t i = hmap_put(m, id, &added);
        if (!added) {
            err_set(e, 1, "users.csv:%llu: duplicate user_id %llu",
                    (unsigned long long)r.lineno, (unsigned long long)id);
            st = -1;
            break;
        }
        if (i >= cap)
            *codes = xrealloc(*codes, cap = cap ? cap * 2 : 1024);
        (*codes)[i] = (unsigned char)(seg * N_REGIONS + reg);
    }
    rd_close(&r);
    if (st < 0) {
        hmap_free(m);
        free(*codes);
    }
    return st < 0 ? -1 : 0;
}

static int join(const char *dir, int threads, struct task_out *out, struct err *e)
{
    (void)threads;
    struct hmap users;
    unsigned char *codes;
    if (load_users(dir, &users, &codes, e) < 0)
        return -1;
    struct reader r;
    if (rd_open(&r, dir, FACTS_CSV, e) < 0) {
        hmap_free(&users);
        free(codes);
        return -1;
    }
    struct join_cell cells[N_SEGMENTS][N_REGIONS];
    memset(cells, 0, sizeof cells);
    uint64_t rows = 0;
    int st;
    while ((st = rd_next(&r, e)) == 1) {
        const char *p = r.line;
        struct row row;
        int field = 0;
        if (!(p = row_facts_join(p, &row, &field)) || p != r.f.end) {
            rd_bad(&r, field, e);
            st = -1;
            break;
        }
        uint64_t user = row.user, ts = row.ts, qty = row.qty, cents = row.cents;
        unsigned disc = row.disc;
        int channel = row.channel;
        if (ts < JOIN_TS_MIN || channel == CH_PARTNER)
            continue;
        uint32_t i = hmap_get(&users, user);
        if (i == UINT32_MAX)
            continue;
        struct join_cell *c = &cells[codes[i] / N_REGIONS][codes[i] % N_REGIONS];
        c->orders++;
        c->qty += qty;
        c->revenue += revenue(qty, cents, disc);
        rows++;
    }
    if (st == 0) {
        task_done(out, join_result(rows, cells));
        out->threads_used = 1;
    }
    rd_close(&r);
    hmap_free(&users);
    free(codes);
    return st;
}

static int sessionize(const char *dir, int threads, struct task_out *out, struct err *e)
{
    (void)threads;
    struct reader r;
    if (rd_open(&r, dir, EVENTS_CSV, e) < 0)
        return -1;
    struct sess_stats s;
    memset(&s, 0, sizeof s);
    uint64_t prev_user = 0, prev_ts = 0, n = 0, start = 0, purchases = 0, carts = 0;
    int st;
    while ((st = rd_next(&r, e)) == 1) {
        const char *p = r.line;
        struct row row;
        int field = 0;
        if (!(p = row_events(p, &row, &field)) || p != r.f.end) {
            rd_bad(&r, field, e);
            st = -1;
            break;
        }
        uint64_t user = row.user, ts = row.ts, cents = row.cents;
        int type = row.type;
        if (s.events > 0 && (user < prev_user || (user == prev_user && ts < prev_ts))) {
            err_set(e, 1, "events.csv:%llu: not sorted by user_id, then ts",
                    (unsigned long long)r.lineno);
            st = -1;
            break;
        }
        if (s.events == 0 || user != prev_user || ts - prev_ts > SESSION_GAP) {
            if (s.events > 0)
                sess_close(&s, n, start, prev_ts, purchases, carts);
            if (s.events == 0 || user != prev_user)
                s.users++;
            n = purchases = carts = 0;
            start = ts;
        }
        n++;
        purchases += type == EV_PURCHASE;
        carts += type == EV_CART;
        if (type == EV_PURCHASE)
            s.revenue_cents += cents;
        s.events++;
        prev_user = user;
        prev_ts = ts;
    }
    if (st == 0) {
        sess_close(&s, n, start, prev_ts, purchases, carts);
        task_done(out, sess_result(&s));
        out->threads_used = 1;
    }
    rd_close(&r);
    return st;
}

struct user_state {
    uint64_t id, last_ts, alerts;
    double score;
    int armed;
};

static int by_id(const void *a, const void *b)
{
    const struct user_state *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int stream_score(const char *dir, int threads, struct task_out *out, struct err *e)
{
    (void)threads;
    struct reader r;
    if (rd_open(&r, dir, STREAM_CSV, e) < 0)
        return -1;
    struct hmap m;
    hmap_init(&m, 1024);
    struct user_state *u = NULL;
    uint64_t cap = 0, events = 0, alerts = 0, prev_ts = 0;
    double peak = 0.0;
    int st;
    while ((st = rd_next(&r, e)) == 1) {
        const char *p = r.line;
        struct row row;
        int field = 0;
        if (!(p = row_stream(p, &row, &field)) || p != r.f.end) {
            rd_bad(&r, field, e);
            st = -1;
            break;
        }
        uint64_t ts = row.ts, user = row.user, cents = row.cents;
        int type = row.type;
        if (events > 0 && ts < prev_ts) {
            err_set(e, 1, "stream.csv:%llu: ts decreases", (unsigned long long)r.lineno);
            st = -1;
            break;
        }
        prev_ts = ts;
        events++;
        int added;
        uint32_t i = hmap_put(&m, user, &added);
        if (added) {
            if (i >= cap)
                u = xrealloc(u, (cap = cap ? cap * 2 : 1024) * sizeof *u);
            u[i] = (struct user_state){.id = user, .last_ts = ts, .armed = 1};
        }
        struct user_state *s = &u[i];
        if (!added && ts > s->last_ts)
            s->score *= exp(-(double)(ts - s->last_ts) / SCORE_HALF);
        if (!s->armed && s->score < SCORE_REARM)
            s->armed = 1;
        s->score += score_weight(type, cents);
        if (s->score > peak)
            peak = s->score;
        if (s->armed && s->score >= SCORE_ALERT) {
            s->alerts++;
            alerts++;
            s->armed = 0;
        }
        s->last_ts = ts;
    }
    if (st == 0) {
        qsort(u, m.n, sizeof *u, by_id);
        struct score_user top[5];
        int ntop = 0;
        uint64_t alerted = 0;
        double sum = 0;
        for (uint64_t i = 0; i < m.n; i++) {
            sum += u[i].score;
            alerted += u[i].alerts > 0;
            score_top_add(top, &ntop, u[i].id, u[i].alerts);
        }
        task_done(out, score_result(events, m.n, alerts, alerted, peak, sum, top, ntop));
        out->threads_used = 1;
    }
    free(u);
    hmap_free(&m);
    rd_close(&r);
    return st;
}

int main(int argc, char **argv)
{
    return engine_main_all(argc, argv, "c-scalar", numeric, groupby, join, sessionize, stream_score);
}
