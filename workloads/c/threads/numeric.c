/* c-threads, the numeric task. Not compiled on its own: threads.c includes every
 * task's file into one translation unit per instruction-set build, so
 * inlining across them is as it was in one file. */

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
