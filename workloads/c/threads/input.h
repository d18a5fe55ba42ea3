/* c-threads' input handling, shared by every task: inputs mapped and cut
 * into chunks that the threads take in turn, each chunk's rows read by
 * FOR_ROWS through a fast parser with the exact one behind it, errors
 * located per chunk; and the small arithmetic helpers the tasks share.
 * Included by threads.c only (static functions: one copy per build). */
#ifndef HP_THREADS_INPUT_H
#define HP_THREADS_INPUT_H

#define MAX_THREADS 256
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

#endif
