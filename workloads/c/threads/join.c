/* c-threads, the join task. Not compiled on its own: threads.c includes every
 * task's file into one translation unit per instruction-set build, so
 * inlining across them is as it was in one file. */

#define NO_USER 0xff

/* user_id -> segment * N_REGIONS + region: a dense table when ids are compact
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
    if (csv_open(&f, dir, USERS_CSV, e) < 0)
        return -1;
    struct fr_names seg, reg;
    fr_names_init(&seg, csv_segments, N_SEGMENTS);
    fr_names_init(&reg, csv_regions, N_REGIONS);
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
        codes[n] = (unsigned char)(row.seg * N_REGIONS + row.reg);
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
    struct join_cell cells[N_SEGMENTS][N_REGIONS];
};

static void *join_work(void *arg)
{
    struct join_worker *w = arg;
    uint64_t kept = 0;
    for (int k; (k = input_take(w->in)) >= 0;) {
        FOR_ROWS(&w->in->pc[k], fr_facts_join(p, w->channels, &row),
                 row_facts_join(p, &row, &field),
            if (row.ts < JOIN_TS_MIN || row.channel == CH_PARTNER)
                continue;
            unsigned code = users_code(w->users, row.user);
            if (code == NO_USER)
                continue;
            struct join_cell *c = &w->cells[code / N_REGIONS][code % N_REGIONS];
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
    if (input_open(&in, dir, FACTS_CSV, threads, CHUNK_BYTES, 0, out, e) < 0) {
        users_free(&users);
        return -1;
    }
    struct fr_names channels;
    fr_names_init(&channels, csv_channels, N_CHANNELS);
    int nw = input_workers(&in, threads);
    struct join_worker *w = xcalloc((size_t)nw, sizeof *w);
    for (int i = 0; i < nw; i++)
        w[i] = (struct join_worker){.in = &in, .users = &users, .channels = &channels};
    par_run(nw, join_work, w, sizeof *w);
    int rc = input_error(&in, e);
    if (rc == 0) {
        struct join_cell cells[N_SEGMENTS][N_REGIONS];
        memset(cells, 0, sizeof cells);
        uint64_t kept = 0;
        for (int i = 0; i < nw; i++) {
            kept += w[i].kept;
            for (int s = 0; s < N_SEGMENTS; s++) {
                for (int r = 0; r < N_REGIONS; r++) {
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
