/* c-threads, the groupby task. Not compiled on its own: threads.c includes every
 * task's file into one translation unit per instruction-set build, so
 * inlining across them is as it was in one file. */

#define DENSE_PRODUCTS 65536

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
