/* c-threads, the stream-score pipeline. Not compiled on its own: threads.c includes every
 * task's file into one translation unit per instruction-set build, so
 * inlining across them is as it was in one file. */

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
    fr_names_init(&types, csv_stream_types, N_STREAM_TYPES);
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
