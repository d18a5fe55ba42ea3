/* c-threads, the sessionize task. Not compiled on its own: threads.c includes every
 * task's file into one translation unit per instruction-set build, so
 * inlining across them is as it was in one file. */

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

static int sessionize(const char *dir, int threads, struct task_out *out, struct err *e)
{
    struct input in;
    if (input_open(&in, dir, EVENTS_CSV, threads, CHUNK_BYTES, 1, out, e) < 0)
        return -1;
    struct fr_names types;
    fr_names_init(&types, csv_event_types, N_EVENT_TYPES);
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
