/* The only code that talks to gnuplot. */
#include "plot.h"
#include "../common/quantile.h"
#include "../common/buf.h"
#include "../common/err.h"
#include "../common/proc.h"
#include "../common/xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One colour per engine, the same in every chart and every report: the
 * engines hotpath ships have their own (a language a hue family, a light
 * and a dark shade for the plain and the parallel variant); any other name
 * is hashed onto the rest of the palette. */
static const char *const palette[PLOT_COLORS] = {
    "#A0CBE8", "#4E79A7", "#FFBE7D", "#F28E2B", "#D4A6C8", "#9D7660", "#B07AA1",
    "#8CD17D", "#59A14F", "#499894",
    "#E15759", "#F1CE63", "#FF9D9A", "#79706E", "#B6992D", "#D37295", "#86BCB6", "#BAB0AC"};
static const char *const known_engines[] = {
    "c-scalar", "c-threads", "python-loop", "python-numpy", "python-polars", "python-duckdb",
    "rust-polars", "rust-scalar", "rust-rayon", "rust-native"};
#define NKNOWN (int)(sizeof known_engines / sizeof known_engines[0])

int plot_engine_color(const char *engine)
{
    for (int i = 0; i < NKNOWN; i++)
        if (!strcmp(engine, known_engines[i]))
            return i + 1;
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)engine; *p; p++)
        h = (h ^ *p) * 16777619u;
    return NKNOWN + 1 + (int)(h % (uint32_t)(PLOT_COLORS - NKNOWN));
}

const char *plot_color_hex(int color)
{
    return palette[(color - 1 + PLOT_COLORS) % PLOT_COLORS];
}

/* Log-scale tics in plain units: 1 ms, 10 ms, 1 s (unit 's') or 0.1x, 1x,
 * 10x (unit 'x'), with 2 and 5 between decades when the range is short. */
static void log_tics(struct buf *b, double lo, double hi, char unit)
{
    if (!(lo > 0) || !(hi > lo))
        return;
    int d0 = (int)floor(log10(lo)), d1 = (int)ceil(log10(hi));
    int fine = d1 - d0 <= 2;
    buf_puts(b, "set ytics (");
    int first = 1;
    for (int d = d0; d <= d1; d++)
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
            if (!fine && m != 1)
                continue;
            double v = m * pow(10, d);
            if (v < lo * 0.999 || v > hi * 1.001)
                continue;
            char label[32];
            if (unit == 'x')
                snprintf(label, sizeof label, "%gx", v);
            else if (v < 1e-3)
                snprintf(label, sizeof label, "%g µs", v * 1e6);
            else if (v < 1)
                snprintf(label, sizeof label, "%g ms", v * 1e3);
            else
                snprintf(label, sizeof label, "%g s", v);
            buf_printf(b, "%s'%s' %.17g", first ? "" : ", ", label, v);
            first = 0;
        }
    buf_puts(b, ")\n");
}

char *plot_text(const char *s)
{
    char *t = xstrdup(s ? s : "");
    for (char *p = t; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    return t;
}

static void put_text(struct buf *b, const char *s)
{
    char *t = plot_text(s);
    buf_puts(b, t);
    free(t);
}

static int write_file(const char *dir, const char *name, const char *ext, const struct buf *b,
                      struct err *e)
{
    char *path = xasprintf("%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fwrite(b->data ? b->data : "", 1, b->len, f) != b->len || fclose(f) != 0)
        rc = err_set(e, 1, "%s: cannot write: %s", path, strerror(errno));
    free(path);
    return rc;
}

/* The script's head: styles shared by every chart. */
static void preamble(struct buf *s, const struct plot_chart *c)
{
    buf_printf(s, "# hotpath chart: rerun with `gnuplot %s.gp` in this folder.\n"
                  "set datafile separator '\\t'\n"
                  "set encoding utf8\n"
                  "set border 3 lc rgb '#444444'\n"
                  "set tics nomirror\n"
                  "set grid ytics lc rgb '#dddddd' lt 1\n"
                  "set key off\n", c->name);
    for (int i = 0; i < PLOT_COLORS; i++)
        buf_printf(s, "set linetype %d lc rgb '%s' lw 2 pt 7\n", i + 1, palette[i]);
    /* Titles and axis labels are ours (task names, fixed words). */
    buf_printf(s, "set title '%s' font ',13'\n", c->title);
    if (c->xlabel)
        buf_printf(s, "set xlabel '%s'\n", c->xlabel);
    if (c->ylabel)
        buf_printf(s, "set ylabel '%s'\n", c->ylabel);
    if (c->logy)
        buf_printf(s, "set logscale y\n");
}

/* The whole chart (settings and plot) once per format, each from a reset. */
static void outputs(struct buf *s, const struct plot_chart *c, const char *body)
{
    int w = c->width > 0 ? c->width : 1280, h = c->height > 0 ? c->height : 720;
    if (c->formats & PLOT_SVG)
        buf_printf(s, "reset\nset terminal svg noenhanced size %d,%d font 'Arial,12' "
                      "background '#ffffff'\nset output '%s.svg'\n%s\nunset output\n",
                   w, h, c->name, body);
    if (c->formats & PLOT_PNG)
        buf_printf(s, "reset\nset terminal pngcairo noenhanced size %d,%d font 'Arial,12'\n"
                      "set output '%s.png'\n%s\nunset output\n", w, h, c->name, body);
}

/* ---- drawing: the gnuplot processes ---- */

/* Each gnuplot process says, after every chart, which one it drew and
 * gnuplot's error number, on stderr, where its error messages go too: what
 * it printed between two marks is about the chart of the second. */
#define DRAWN_MARK "hotpath-chart-drawn"
#define PLOT_PROCS_MAX 8
#define PLOT_ERR_CAP ((size_t)1 << 20)

/* What a chart may leave behind, undone, so the next one draws as it does
 * from a process of its own (byte for byte): settings and variables (reset
 * session), linetypes (which survive it), and the SVG terminal's current
 * colour (a plot that draws nothing puts it back). */
static const char fresh_session[] =
    "unset multiplot\nunset output\nreset session\n"
    "do for [i = 1:1024] { unset linetype i }\nset colorsequence default\n"
    "set terminal svg\nset output '/dev/null'\nset multiplot\nunset multiplot\nunset output\n"
    "reset session\nreset errors\n";

/* A chart whose script and data are written, handed to a gnuplot. */
struct plot_job {
    char *dir, *name;
    size_t cost;                /* its script and data, in bytes: how long it draws */
};

/* One gnuplot process, started with the batch's first charts and fed each
 * chart given to it as it comes (a `load` line on stdin), so it draws
 * while the report goes on; a thread of its own reads what it prints. */
struct plot_worker {
    struct proc_child ch;
    int started, exec_errno;
    char start_err[512];
    size_t *jobs, n, cap;       /* indices into the batch's jobs, in the order given */
    size_t cost;                /* of every chart given to it */
    pthread_t reader;
    int reading;
    pthread_mutex_t lock;       /* the fields below, shared with the reader */
    struct buf err;
    size_t scanned, drawn_cost; /* err read so far for marks; cost of the charts marked */
    int err_truncated;
    double deadline;            /* once its input is closed; 0: none yet */
    int status, reaped, timed_out;
};

struct plot_batch {
    struct plot_job *jobs;
    size_t n, cap;
    struct plot_worker w[PLOT_PROCS_MAX];
    size_t nw, max_w;
};

struct plot_batch *plot_batch_new(void)
{
    struct plot_batch *b = xcalloc(1, sizeof *b);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    b->max_w = cores > 1 ? (size_t)cores : 1;
    b->max_w = b->max_w > PLOT_PROCS_MAX ? PLOT_PROCS_MAX : b->max_w;
    return b;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The marks in err not yet seen: each adds its chart's cost to drawn_cost. */
static void scan_marks(struct plot_worker *w, const struct plot_batch *b)
{
    const char *p = w->err.data ? w->err.data + w->scanned : NULL;
    while (p && p < w->err.data + w->err.len) {
        const char *eol = memchr(p, '\n', (size_t)(w->err.data + w->err.len - p));
        if (!eol)
            break;
        size_t k;
        if (!strncmp(p, DRAWN_MARK " ", sizeof DRAWN_MARK) &&
            sscanf(p + sizeof DRAWN_MARK, "%zu", &k) == 1 && k < w->n)
            w->drawn_cost += b->jobs[w->jobs[k]].cost;
        p = eol + 1;
        w->scanned = (size_t)(p - w->err.data);
    }
}

struct reader_arg {
    struct plot_worker *w;
    const struct plot_batch *b;
};

/* The reader: stdout drained, stderr kept (up to a cap) and scanned for
 * marks, the timeout enforced once the input is closed (SIGTERM to the
 * group, SIGKILL a second later), the process reaped. */
static void *worker_read(void *arg)
{
    struct reader_arg *ra = arg;
    struct plot_worker *w = ra->w;
    int fds[2] = {w->ch.out, w->ch.err};
    double kill_at = 0;
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[2];
        int np = 0;
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0)
                p[np++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        int n = poll(p, (nfds_t)np, 100);
        if (n < 0 && errno != EINTR)
            break;
        pthread_mutex_lock(&w->lock);
        double t = now_s(), deadline = w->deadline;
        if (deadline > 0 && t > deadline && !w->timed_out) {
            w->timed_out = 1;
            kill(-w->ch.pid, SIGTERM);
            kill_at = t + 1;
        }
        if (kill_at && t > kill_at) {
            kill(-w->ch.pid, SIGKILL);
            kill_at = 0;
        }
        for (int i = 0; i < np && n > 0; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[16384];
            ssize_t got = read(p[i].fd, chunk, sizeof chunk);
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            int *fd = p[i].fd == fds[0] ? &fds[0] : &fds[1];
            if (got <= 0) {
                close(*fd);
                *fd = -1;
            } else if (fd == &fds[1]) {
                size_t keep = w->err.len < PLOT_ERR_CAP ? PLOT_ERR_CAP - w->err.len : 0;
                if ((size_t)got > keep)
                    w->err_truncated = 1;
                buf_add(&w->err, chunk, (size_t)got < keep ? (size_t)got : keep);
                scan_marks(w, ra->b);
            }
        }
        pthread_mutex_unlock(&w->lock);
    }
    int status = 0;
    proc_wait(w->ch.pid, &status);
    kill(-w->ch.pid, SIGKILL);      /* whatever else of its group is left */
    pthread_mutex_lock(&w->lock);
    w->status = status;
    w->reaped = 1;
    pthread_mutex_unlock(&w->lock);
    free(ra);
    return NULL;
}

static int worker_start(struct plot_batch *b, struct plot_worker *w)
{
    pthread_mutex_init(&w->lock, NULL);
    buf_init(&w->err, PLOT_ERR_CAP + 1);
    buf_add(&w->err, "", 0);
    char *argv[] = {"gnuplot", NULL};
    struct proc_spawn_opts o = {.argv = argv, .in = PROC_PIPE, .out = PROC_PIPE,
                                .err = PROC_PIPE, .new_group = 1};
    struct err e = {0};
    if (proc_spawn(&o, &w->ch, &w->exec_errno, &e) < 0) {
        snprintf(w->start_err, sizeof w->start_err, "%s", e.msg);
        return -1;
    }
    w->started = 1;
    struct reader_arg *ra = xmalloc(sizeof *ra);
    *ra = (struct reader_arg){w, b};
    w->reading = pthread_create(&w->reader, NULL, worker_read, ra) == 0;
    if (!w->reading) {          /* no thread: no charts for it; it ends at once */
        close(w->ch.in);
        w->ch.in = -1;
        worker_read(ra);
    }
    return 0;
}

/* Gives job j to the worker with the least left to draw, starting one more
 * gnuplot (up to one per core) while every one started has work. */
static void batch_give(struct plot_batch *b, size_t j)
{
    struct plot_worker *w = NULL;
    size_t least = SIZE_MAX;
    for (size_t i = 0; i < b->nw; i++) {
        pthread_mutex_lock(&b->w[i].lock);
        size_t left = b->w[i].cost - b->w[i].drawn_cost;
        pthread_mutex_unlock(&b->w[i].lock);
        if (left < least)
            least = left, w = &b->w[i];
    }
    if ((!w || least > 0) && b->nw < b->max_w) {
        w = &b->w[b->nw++];
        worker_start(b, w);
    }
    pthread_mutex_lock(&w->lock);
    if (w->n == w->cap)
        w->jobs = xrealloc(w->jobs, (w->cap = w->cap ? w->cap * 2 : 16) * sizeof *w->jobs);
    size_t k = w->n++;
    w->jobs[k] = j;
    w->cost += b->jobs[j].cost;
    pthread_mutex_unlock(&w->lock);
    if (!w->started || w->ch.in < 0)
        return;
    struct buf in;
    buf_init(&in, REPORT_TEXT_MAX);
    buf_puts(&in, "cd '");
    for (const char *p = b->jobs[j].dir; *p; p++)
        if (*p == '\'')
            buf_puts(&in, "''");       /* a quote, in a gnuplot '...' string */
        else
            buf_add(&in, p, 1);
    buf_puts(&in, "'\nload '");
    for (const char *p = b->jobs[j].name; *p; p++)
        if (*p == '\'')
            buf_puts(&in, "''");
        else
            buf_add(&in, p, 1);
    buf_printf(&in, ".gp'\nprint sprintf('" DRAWN_MARK " %zu %%d', GPVAL_ERRNO)\n%s", k,
               fresh_session);
    /* A gnuplot that is gone is seen by its missing marks. */
    proc_write_all(w->ch.in, in.data, in.len);
    buf_free(&in);
}

/* The first of w's charts that was not drawn (w->n when all were), what
 * gnuplot printed about it, and whether gnuplot got to its end (*ended):
 * otherwise the process stopped in it. */
static size_t worker_failure(const struct plot_worker *w, const char **why, size_t *why_len,
                             int *ended)
{
    *ended = 1;
    const char *p = w->err.data ? w->err.data : "", *section = p;
    size_t next = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        size_t k;
        int gp_errno;
        if (!strncmp(p, DRAWN_MARK " ", sizeof DRAWN_MARK) &&
            sscanf(p + sizeof DRAWN_MARK, "%zu %d", &k, &gp_errno) == 2 && k == next) {
            if (gp_errno != 0) {
                *why = section;
                *why_len = (size_t)(p - section);
                return k;
            }
            next++;
            section = eol ? eol + 1 : end;
        }
        p = eol ? eol + 1 : end;
    }
    *why = section;
    *why_len = strlen(section);
    *ended = next >= w->n;
    return next < w->n ? next : w->n;
}

/* Every input closed (each gnuplot ends after its last chart), then each
 * waited for, with 60 s a chart from now. */
static void batch_finish(struct plot_batch *b)
{
    for (size_t i = 0; i < b->nw; i++) {
        struct plot_worker *w = &b->w[i];
        pthread_mutex_lock(&w->lock);
        w->deadline = now_s() + 60.0 * (double)(w->n ? w->n : 1);
        pthread_mutex_unlock(&w->lock);
        if (w->started && w->ch.in >= 0) {
            close(w->ch.in);
            w->ch.in = -1;
        }
    }
    for (size_t i = 0; i < b->nw; i++)
        if (b->w[i].reading) {
            pthread_join(b->w[i].reader, NULL);
            b->w[i].reading = 0;
        }
}

static void batch_clear(struct plot_batch *b)
{
    batch_finish(b);
    for (size_t i = 0; i < b->nw; i++) {
        struct plot_worker *w = &b->w[i];
        buf_free(&w->err);
        free(w->jobs);
        pthread_mutex_destroy(&w->lock);
        memset(w, 0, sizeof *w);
    }
    b->nw = 0;
    for (size_t i = 0; i < b->n; i++) {
        free(b->jobs[i].dir);
        free(b->jobs[i].name);
    }
    b->n = 0;
}

void plot_batch_free(struct plot_batch *b)
{
    if (!b)
        return;
    batch_clear(b);
    free(b->jobs);
    free(b);
}

int plot_batch_run(struct plot_batch *b, struct err *e)
{
    batch_finish(b);
    int rc = 0;
    for (size_t i = 0; i < b->nw && rc == 0; i++) {
        if (b->w[i].exec_errno)
            rc = err_set(e, 1, "cannot run gnuplot: %s (install gnuplot-nox)",
                         strerror(b->w[i].exec_errno));
        else if (!b->w[i].started)
            rc = err_set(e, 1, "%s", b->w[i].start_err);
    }
    /* The first failure in the order the charts were queued. */
    size_t worst = SIZE_MAX;
    for (size_t i = 0; i < b->nw && rc == 0; i++) {
        const char *why;
        size_t len;
        int ended;
        size_t k = worker_failure(&b->w[i], &why, &len, &ended);
        if (k < b->w[i].n && b->w[i].jobs[k] < worst)
            worst = b->w[i].jobs[k];
    }
    for (size_t i = 0; i < b->nw && rc == 0 && worst != SIZE_MAX; i++) {
        const struct plot_worker *w = &b->w[i];
        const char *why;
        size_t len;
        int ended;
        size_t k = worker_failure(w, &why, &len, &ended);
        if (k == w->n || w->jobs[k] != worst)
            continue;
        while (len && (*why == ' ' || *why == '\n'))
            why++, len--;
        while (len && (why[len - 1] == ' ' || why[len - 1] == '\n'))
            len--;
        int shown = len > 300 ? 300 : (int)len;
        const struct plot_job *j = &b->jobs[worst];
        if (!ended && w->timed_out)
            rc = err_set(e, 1, "gnuplot timed out on %s/%s.gp", j->dir, j->name);
        else if (!ended && WIFSIGNALED(w->status))
            rc = err_set(e, 1, "gnuplot was killed by signal %d on %s/%s.gp%s%.*s",
                         WTERMSIG(w->status), j->dir, j->name, shown ? ": " : "", shown, why);
        else
            rc = err_set(e, 1, "gnuplot failed on %s/%s.gp: %.*s", j->dir, j->name, shown,
                         why);
    }
    batch_clear(b);
    return rc;
}

/* Writes the data file and the script (the chart once per format), and
 * gives it to a gnuplot of c->batch, or draws it now; frees both buffers. */
static int render(const struct plot_chart *c, struct buf *data, struct buf *body, struct err *e)
{
    struct buf script;
    buf_init(&script, REPORT_TEXT_MAX);
    outputs(&script, c, body->data);
    int rc = 0;
    if (strpbrk(c->name, "\n\r") || strpbrk(c->dir, "\n\r"))
        rc = err_set(e, 1, "%s/%s: a chart's folder and name have no line break", c->dir,
                     c->name);
    if (rc == 0)
        rc = write_file(c->dir, c->name, "dat", data, e);
    if (rc == 0)
        rc = write_file(c->dir, c->name, "gp", &script, e);
    if (rc == 0) {
        struct plot_batch *b = c->batch ? c->batch : plot_batch_new();
        if (b->n == b->cap)
            b->jobs = xrealloc(b->jobs, (b->cap = b->cap ? b->cap * 2 : 32) * sizeof *b->jobs);
        char *dir = realpath(c->dir, NULL);
        b->jobs[b->n++] = (struct plot_job){dir ? dir : xstrdup(c->dir), xstrdup(c->name),
                                            script.len + data->len};
        batch_give(b, b->n - 1);
        if (!c->batch) {
            rc = plot_batch_run(b, e);
            plot_batch_free(b);
        }
    }
    buf_free(&script);
    buf_free(body);
    buf_free(data);
    return rc;
}

/* ---- small multiples ----
 * Every chart below is one multiplot on a canvas of known pixels: panels
 * whose plot areas sit at screen positions the writer chooses, and one
 * last plot over the whole canvas (x and y in pixels) that draws every
 * text that is a name (titles of panels, legend, group and row labels)
 * from the data file. Positions are chosen so texts keep apart: a legend
 * row is 22 px, a panel's title strip 22 px, the tic labels under a panel
 * 26 px, with 11-12 px fonts. */

#define CANVAS_W 1280
#define TITLE_H 40
#define KEY_ROW_H 22
#define KEY_COLS 5
#define STRIP_H 24
#define TICS_H 26
#define XLABEL_H 36
#define GAP_X 30
#define RIGHT_M 24

struct layout {
    int w, h, cols, rows, n;
    int left, top, pw, ph, gy;      /* top: of the first panel's plot area */
    int key_top, key_cols, key_colw, key_rows;
};

/* The pixel width of a text in an 11 px Arial, generously. */
static int text_px(const char *s, double size)
{
    double w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w += *p >= 'A' && *p <= 'Z' ? 0.8 : 0.6;
    return (int)(w * size + 1);
}

/* key_w: the width of a legend entry, 0 for a fifth of the canvas. */
static void layout_make(struct layout *L, size_t npanels, size_t nkey, int note, int left,
                        int ph, int max_cols, int key_w)
{
    memset(L, 0, sizeof *L);
    L->w = CANVAS_W;
    L->n = npanels ? (int)npanels : 1;
    L->cols = L->n > 1 && max_cols > 1 ? 2 : 1;
    L->rows = (L->n + L->cols - 1) / L->cols;
    L->left = left;
    L->key_top = TITLE_H;
    L->key_colw = key_w ? key_w : (L->w - 60 - RIGHT_M) / KEY_COLS;
    int fit = (L->w - 60 - RIGHT_M) / L->key_colw;
    L->key_cols = nkey < (size_t)fit ? (int)(nkey ? nkey : 1) : fit;
    L->key_rows = (int)((nkey + (size_t)L->key_cols - 1) / (size_t)L->key_cols) + (note != 0);
    L->top = TITLE_H + L->key_rows * KEY_ROW_H + 8 + STRIP_H;
    L->pw = (L->w - left - RIGHT_M - (L->cols - 1) * GAP_X) / L->cols;
    L->ph = ph;
    L->gy = TICS_H + 8 + STRIP_H;
    L->h = L->top + L->rows * ph + (L->rows - 1) * L->gy + TICS_H + XLABEL_H;
}

static void panel_at(const struct layout *L, int k, int *x0, int *y0)
{
    *x0 = L->left + (k % L->cols) * (L->pw + GAP_X);
    *y0 = L->top + (k / L->cols) * (L->ph + L->gy);
}

/* The panel's plot area as margins at screen. */
static void panel_margins(struct buf *b, const struct layout *L, int k)
{
    int x0, y0;
    panel_at(L, k, &x0, &y0);
    buf_printf(b, "set lmargin at screen %.5f\nset rmargin at screen %.5f\n"
                  "set tmargin at screen %.5f\nset bmargin at screen %.5f\n",
               (double)x0 / L->w, (double)(x0 + L->pw) / L->w, 1 - (double)y0 / L->h,
               1 - (double)(y0 + L->ph) / L->h);
}

/* Where legend entry i's swatch begins, and its row's middle. */
static void key_at(const struct layout *L, size_t i, double *x, double *y)
{
    *x = 60 + (double)(i % (size_t)L->key_cols) * L->key_colw;
    *y = L->key_top + (double)(i / (size_t)L->key_cols) * KEY_ROW_H + KEY_ROW_H / 2.0;
}

/* The overlay's kinds of mark, each one block of the data file. */
enum { OV_TITLE, OV_STRIP, OV_LEFT, OV_RIGHT, OV_CENTER, OV_YLABEL, OV_SWATCH, OV_HATCH,
       OV_LINE, OV_DASH, OV_UP, OV_DOWN, OV_PAL, OV_FLAG, OV_N };
static const char *const ov_style[OV_N] = {
    "using 1:2:3 with labels center font ',14'",
    "using 1:2:3 with labels center font ',12'",
    "using 1:2:3 with labels left font ',11'",
    "using 1:2:3 with labels right font ',11'",
    "using 1:2:3 with labels center font ',11'",
    "using 1:2:3 with labels center rotate by 90 font ',12'",
    "using 1:2:3:4:5 with boxxyerror fs solid 0.85 border lc rgb '#333333' lc variable",
    "using 1:2:3:4:5 with boxxyerror fs pattern 4 border lc rgb '#333333' lc variable",
    "using ($1 - $3):2:(2 * $3):(0):5 with vectors nohead lw 2 lc variable",
    "using ($1 - $3):2:(2 * $3):(0):5 with vectors nohead lw 2 dt (4, 3) lc variable",
    "using 1:2 with points pt 9 ps 1.4 lc rgb '#000000'",
    "using 1:2 with points pt 11 ps 1.4 lc rgb '#000000'",
    "using 1:2:3:4:5 with boxxyerror fs solid 1 border lc rgb '#999999' fc palette",
    "using 1:2 with points pt 3 ps 1.2 lw 1.5 lc rgb '#cc0000'",
};

struct overlay {
    const struct layout *L;
    struct buf b[OV_N];
};

static void ov_init(struct overlay *o, const struct layout *L)
{
    o->L = L;
    for (int k = 0; k < OV_N; k++)
        buf_init(&o->b[k], REPORT_TEXT_MAX);
}

/* A text at (x, y) pixels from the top left; the text is the last field. */
static void ov_text(struct overlay *o, int kind, double x, double y, const char *text)
{
    buf_printf(&o->b[kind], "%.1f\t%.1f\t", x, o->L->h - y);
    put_text(&o->b[kind], text);
    buf_puts(&o->b[kind], "\n");
}

/* A swatch or mark centred at (x, y), half sizes dx, dy. */
static void ov_mark(struct overlay *o, int kind, double x, double y, double dx, double dy,
                    double color)
{
    buf_printf(&o->b[kind], "%.1f\t%.1f\t%.1f\t%.1f\t%.6g\n", x, o->L->h - y, dx, dy, color);
}

/* The title, the axis labels, the legend and the panels' titles. */
static void ov_frame(struct overlay *o, const struct plot_chart *c, const struct plot_frame *f,
                     int lines)
{
    const struct layout *L = o->L;
    ov_text(o, OV_TITLE, L->w / 2.0, TITLE_H / 2.0, c->title);
    for (size_t i = 0; f && i < f->nkey; i++) {
        const struct plot_key *k = &f->key[i];
        double x, y;
        key_at(L, i, &x, &y);
        if (lines)
            ov_mark(o, k->baseline ? OV_DASH : OV_LINE, x + 11, y, 11, 0, k->color);
        else
            ov_mark(o, k->baseline ? OV_HATCH : OV_SWATCH, x + 10, y, 9, 7, k->color);
        ov_text(o, OV_LEFT, x + 26, y, k->label);
    }
    if (f && f->note)
        ov_text(o, OV_LEFT, 60, L->key_top + (L->key_rows - 1) * KEY_ROW_H + KEY_ROW_H / 2.0,
                f->note);
    for (size_t k = 0; f && k < f->npanels; k++) {
        int x0, y0;
        panel_at(L, (int)k, &x0, &y0);
        ov_text(o, OV_STRIP, x0 + L->pw / 2.0, y0 - STRIP_H / 2.0, f->panels[k]);
    }
    int ytop = L->top, ybot = L->top + L->rows * L->ph + (L->rows - 1) * L->gy;
    if (c->ylabel)
        ov_text(o, OV_YLABEL, 14, (ytop + ybot) / 2.0, c->ylabel);
    if (c->xlabel)
        ov_text(o, OV_CENTER, L->left + (L->w - L->left - RIGHT_M) / 2.0,
                L->h - XLABEL_H / 2.0, c->xlabel);
}

/* Appends the overlay's blocks to the data file (block numbers from
 * next_index on) and the plot drawing them to the script. */
static void ov_finish(struct overlay *o, struct buf *d, int next_index, const char *name,
                      struct buf *s)
{
    const struct layout *L = o->L;
    buf_printf(s, "unset logscale\nunset xdata\nunset border\nunset tics\nunset grid\n"
                  "unset arrow\nunset label\nset format x '%%g'\nset format y '%%g'\n"
                  "set lmargin at screen 0\nset rmargin at screen 1\n"
                  "set tmargin at screen 1\nset bmargin at screen 0\n"
                  "set xrange [0:%d]\nset yrange [0:%d]\nplot ", L->w, L->h);
    int first = 1;
    for (int k = 0; k < OV_N; k++) {
        if (o->b[k].len) {
            buf_printf(d, "\n\n# overlay %d\n", k);
            buf_add(d, o->b[k].data, o->b[k].len);
            buf_printf(s, "%s'%s.dat' index %d %s notitle", first ? "" : ", \\\n     ", name,
                       next_index++, ov_style[k]);
            first = 0;
        }
        buf_free(&o->b[k]);
    }
    if (first)
        buf_puts(s, "NaN notitle");
    buf_puts(s, "\nunset multiplot\n");
}

/* Log tics in plain units on axis 'x' or 'y'; labelless when labels is 0
 * (a panel that shares its neighbour's axis). */
static void log_tics_on(struct buf *b, char axis, double lo, double hi, char unit, int labels)
{
    struct buf t;
    buf_init(&t, 1 << 16);
    log_tics(&t, lo, hi, unit);
    if (t.len) {
        char *p = t.data + strlen("set ytics");
        buf_printf(b, "set %ctics", axis);
        if (!labels) {
            /* every label '' */
            for (const char *q = p; *q; q++) {
                if (*q == '\'') {
                    const char *end = strchr(q + 1, '\'');
                    buf_puts(b, "''");
                    q = end;
                } else {
                    buf_add(b, q, 1);
                }
            }
        } else {
            buf_puts(b, p);
        }
    }
    buf_free(&t);
}

static const char multi_head[] =
    "set multiplot\nset format x ''\nunset xtics\nset ytics nomirror\n";

/* The shared log y range of values (and whiskers) >0, padded. */
static void range_of(double v, double *lo, double *hi)
{
    if (v > 0 && isfinite(v)) {
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
}

static void pad_log(double *lo, double *hi)
{
    if (!isfinite(*lo)) {
        *lo = 1e-3;
        *hi = 1;
    }
    if (*hi <= *lo * 1.01)
        *lo /= 1.5, *hi *= 1.5;
    *lo /= 1.3;
    *hi *= 1.3;
}

int plot_grouped(const struct plot_chart *c, const struct plot_frame *f,
                 const char *const *groups, int ngroups, int nslots,
                 const struct plot_item *it, size_t n, int boxes, struct err *e)
{
    struct layout L;
    int flags = 0;
    for (size_t i = 0; i < n; i++)
        flags |= it[i].flagged;
    layout_make(&L, f->npanels, f->nkey + (flags != 0), f->note != NULL, 96, 200, 2, 0);
    struct plot_chart cc = *c;
    cc.width = L.w;
    cc.height = L.h;
    double lo = INFINITY, hi = -INFINITY;
    int np = L.n, span = nslots + 1;
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    /* Blocks 2k and 2k+1: panel k's plain and baseline items; then each
     * panel's points (boxes) as block 2 np + k. */
    for (int k = 0; k < np; k++)
        for (int base = 0; base < 2; base++) {
            buf_printf(&d, "%s# panel %d%s: x\ty\tlo\thi\tcolor | x\tp25\tmin\tmax\tp75\t"
                           "median\tcolor\n", k || base ? "\n\n" : "", k,
                       base ? " (baseline)" : "");
            int any = 0;
            for (size_t i = 0; i < n; i++) {
                const struct plot_item *p = &it[i];
                if (p->panel != k || !p->baseline != !base)
                    continue;
                double x = p->group * span + p->slot + 1;
                if (boxes && p->nv) {
                    double *v = xmalloc(p->nv * sizeof *v);
                    memcpy(v, p->v, p->nv * sizeof *v);
                    qsort(v, p->nv, sizeof *v, quantile_cmp);
                    buf_printf(&d, "%g\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\t%d\n", x,
                               quantile_sorted(v, p->nv, 0.25), v[0], v[p->nv - 1],
                               quantile_sorted(v, p->nv, 0.75), quantile_sorted(v, p->nv, 0.5),
                               p->color);
                    range_of(v[0], &lo, &hi);
                    range_of(v[p->nv - 1], &lo, &hi);
                    free(v);
                    any = 1;
                } else if (!boxes) {
                    buf_printf(&d, "%g\t%.9g\t%.9g\t%.9g\t%d\n", x, p->y,
                               p->lo >= 0 ? p->lo : p->y, p->hi >= 0 ? p->hi : p->y, p->color);
                    range_of(p->y, &lo, &hi);
                    range_of(p->lo, &lo, &hi);
                    range_of(p->hi, &lo, &hi);
                    any = 1;
                }
            }
            if (!any)
                buf_puts(&d, "NaN\tNaN\tNaN\tNaN\tNaN\tNaN\t1\n");
        }
    uint64_t seed = 1;
    for (int k = 0; k < np; k++) {
        buf_printf(&d, "\n\n# panel %d, every value: x (jittered)\ty\tcolor\n", k);
        int any = 0;
        for (size_t i = 0; boxes && i < n; i++) {
            if (it[i].panel != k)
                continue;
            for (size_t j = 0; j < it[i].nv; j++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                double jit = ((double)(seed >> 11) / 9007199254740992.0 - 0.5) * 0.5;
                buf_printf(&d, "%.4f\t%.9g\t%d\n", it[i].group * span + it[i].slot + 1 + jit,
                           it[i].v[j], it[i].color);
                any = 1;
            }
        }
        if (!any)
            buf_puts(&d, "NaN\tNaN\t1\n");
    }
    for (int k = 0; k < np; k++) {
        buf_printf(&d, "\n\n# panel %d, flagged cells (see the tables' [!KIND]): x\ty\n", k);
        for (size_t i = 0; i < n; i++) {
            const struct plot_item *p = &it[i];
            if (p->panel != k || !p->flagged)
                continue;
            double top = p->hi > p->y ? p->hi : p->y;
            for (size_t j = 0; boxes && j < p->nv; j++)
                top = p->v[j] > top ? p->v[j] : top;
            buf_printf(&d, "%d\t%.9g\n", p->group * span + p->slot + 1, top * 1.3);
            range_of(top * 1.3, &lo, &hi);
        }
        buf_puts(&d, "NaN\tNaN\n");
    }
    pad_log(&lo, &hi);
    struct buf s;
    buf_init(&s, REPORT_TEXT_MAX);
    preamble(&s, &cc);
    buf_puts(&s, "unset title\nunset xlabel\nunset ylabel\n");
    buf_puts(&s, multi_head);
    buf_printf(&s, "set xrange [0:%d]\nset yrange [%.9g:%.9g]\nset boxwidth 0.8\n",
               ngroups * span, lo, hi);
    for (int g = 1; g < ngroups; g++)
        buf_printf(&s, "set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb '#bbbbbb' "
                       "dt 3\n", (double)g * span, (double)g * span);
    for (int k = 0; k < np; k++) {
        panel_margins(&s, &L, k);
        log_tics_on(&s, 'y', lo, hi, c->yunit ? c->yunit : 's', k % L.cols == 0);
        if (boxes)
            buf_printf(&s, "plot '%s.dat' index %d using 1:2:3:4:5:7 notitle with "
                           "candlesticks lc variable fs solid 0.35 border lc rgb '#333333' "
                           "whiskerbars 0.5, \\\n"
                           "     '' index %d using 1:2:3:4:5:7 notitle with candlesticks lc variable "
                           "fs pattern 4 border lc rgb '#333333' whiskerbars 0.5, \\\n"
                           "     '' index %d using 1:6:6:6:6 with candlesticks lt -1 lw 2 "
                           "notitle, \\\n     '' index %d using 1:6:6:6:6 with candlesticks "
                           "lt -1 lw 2 notitle, \\\n"
                           "     '' index %d using 1:2:3 with points lc variable pt 7 ps 0.35 "
                           "notitle", c->name, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1,
                       2 * np + k);
        else
            buf_printf(&s, "plot '%s.dat' index %d using 1:2:5 with boxes lc variable "
                           "fs solid 0.85 border lc rgb '#333333' notitle, \\\n"
                           "     '' index %d using 1:2:5 with boxes lc variable lw 1.5 "
                           "fs pattern 4 border lc rgb '#000000' notitle, \\\n"
                           "     '' index %d using 1:3:(0):($4 - $3) with vectors heads "
                           "size 0.15,90 lc rgb '#222222' lw 1 notitle, \\\n"
                           "     '' index %d using 1:3:(0):($4 - $3) with vectors heads "
                           "size 0.15,90 lc rgb '#222222' lw 1 notitle",
                       c->name, 2 * k, 2 * k + 1, 2 * k, 2 * k + 1);
        buf_printf(&s, ", \\\n     '' index %d %s notitle\n", 3 * np + k, ov_style[OV_FLAG]);
    }
    struct overlay o;
    ov_init(&o, &L);
    ov_frame(&o, c, f, 0);
    if (flags) {
        double x, y;
        key_at(&L, f->nkey, &x, &y);
        ov_mark(&o, OV_FLAG, x + 10, y, 0, 0, 0);
        ov_text(&o, OV_LEFT, x + 26, y, "flagged: [!KIND] in the table");
    }
    for (int k = 0; k < np; k++) {
        int x0, y0;
        panel_at(&L, k, &x0, &y0);
        for (int g = 0; g < ngroups; g++)
            ov_text(&o, OV_CENTER, x0 + L.pw * (g * span + span / 2.0) / (ngroups * span),
                    y0 + L.ph + TICS_H / 2.0, groups[g]);
    }
    ov_finish(&o, &d, 4 * np, c->name, &s);
    return render(&cc, &d, &s, e);
}

int plot_panel_lines(const struct plot_chart *c, const struct plot_frame *f,
                     const struct plot_line *l, size_t n, struct err *e)
{
    struct layout L;
    layout_make(&L, f->npanels, f->nkey + (c->xtime ? 2 : 0), f->note != NULL, 96, 200, 2, 0);
    struct plot_chart cc = *c;
    cc.width = L.w;
    cc.height = L.h;
    int np = L.n;
    double lo = INFINITY, hi = -INFINITY, xlo = INFINITY, xhi = -INFINITY;
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    /* Block i: series i; then per panel, its marks up and down. */
    for (size_t i = 0; i < n; i++) {
        buf_printf(&d, "%s# series %zu: x\ty\tp25\tp75\n", i ? "\n\n" : "", i);
        for (size_t k = 0; k < l[i].n; k++) {
            buf_printf(&d, "%.17g\t%.9g\t%.9g\t%.9g\n", l[i].x[k], l[i].y[k],
                       l[i].lo ? l[i].lo[k] : l[i].y[k], l[i].hi ? l[i].hi[k] : l[i].y[k]);
            range_of(l[i].y[k], &lo, &hi);
            if (l[i].lo)
                range_of(l[i].lo[k], &lo, &hi);
            if (l[i].hi)
                range_of(l[i].hi[k], &lo, &hi);
            xlo = l[i].x[k] < xlo ? l[i].x[k] : xlo;
            xhi = l[i].x[k] > xhi ? l[i].x[k] : xhi;
        }
        if (l[i].n == 0)
            buf_puts(&d, "NaN\tNaN\tNaN\tNaN\n");
    }
    for (int k = 0; k < np; k++)
        for (int up = 1; up >= -1; up -= 2) {
            buf_printf(&d, "\n\n# panel %d, changes %s beyond the noise: x\ty\n", k,
                       up > 0 ? "up" : "down");
            int any = 0;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; l[i].panel == k && l[i].mark && j < l[i].n; j++)
                    if (l[i].mark[j] == up) {
                        buf_printf(&d, "%.17g\t%.9g\n", l[i].x[j], l[i].y[j]);
                        any = 1;
                    }
            if (!any)
                buf_puts(&d, "NaN\tNaN\n");
        }
    pad_log(&lo, &hi);
    if (!isfinite(xlo))
        xlo = xhi = 1;
    struct buf s;
    buf_init(&s, REPORT_TEXT_MAX);
    preamble(&s, &cc);
    buf_puts(&s, "unset title\nunset xlabel\nunset ylabel\n");
    buf_puts(&s, multi_head);
    buf_printf(&s, "set yrange [%.9g:%.9g]\n", lo, hi);
    if (c->xtime) {
        /* tics inside the range at whole days (hours, minutes), few enough
         * for their labels to fit */
        double span = xhi - xlo, pad = span > 0 ? span * 0.08 : 86400;
        int ntics = L.pw / 150 < 2 ? 2 : L.pw / 150;
        double unit = span >= 2 * 86400 ? 86400 : span >= 2 * 3600 ? 3600
                    : span >= 120 ? 60 : 1;
        double step = ceil(span / (ntics - 1) / unit) * unit, first = floor(xlo / unit) * unit;
        if (first < xlo - pad)
            first += unit;
        const char *fmt = unit == 86400 ? "%Y-%m-%d" : unit == 3600 ? "%m-%d %H:%M"
                        : unit == 60 ? "%H:%M" : "%H:%M:%S";
        buf_printf(&s, "set xdata time\nset timefmt '%%s'\nset format x '%s'\n"
                       "set xrange ['%.0f':'%.0f']\nset mxtics default\n", fmt, xlo - pad,
                   xhi + pad);
        if (span > 0 && step > 0 && first <= xhi)
            buf_printf(&s, "set xtics '%.0f', %.0f, '%.0f' nomirror scale 0.5\n", first, step,
                       xhi);
        else
            buf_printf(&s, "set xtics ('%.0f') nomirror\n", xlo);
    } else {
        buf_printf(&s, "set logscale x 2\nset xrange [%.9g:%.9g]\nset format x '%%g'\n"
                       "set xtics () nomirror\n", xlo / 1.25, xhi * 1.25);
        double seen[64];
        int ns = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < l[i].n; k++) {
                int dup = 0;
                for (int j = 0; j < ns; j++)
                    dup |= seen[j] == l[i].x[k];
                if (!dup && ns < 64) {
                    seen[ns++] = l[i].x[k];
                    buf_printf(&s, "set xtics add ('%g' %.9g)\n", l[i].x[k], l[i].x[k]);
                }
            }
    }
    size_t blocks = n;
    for (int k = 0; k < np; k++) {
        panel_margins(&s, &L, k);
        log_tics_on(&s, 'y', lo, hi, c->yunit ? c->yunit : 's', k % L.cols == 0);
        buf_printf(&s, "plot '%s.dat' index %zu using 1:2 with points pt 9 ps 1.6 "
                       "lc rgb '#000000' notitle, \\\n     '' index %zu using 1:2 with points "
                       "pt 11 ps 1.6 lc rgb '#000000' notitle", c->name, n + 2 * (size_t)k,
                   n + 2 * (size_t)k + 1);
        for (size_t i = 0; i < n; i++) {
            if (l[i].panel != k)
                continue;
            if (l[i].lo && l[i].hi)
                buf_printf(&s, ", \\\n     '' index %zu using 1:3:4 with filledcurves "
                               "fs transparent solid 0.18 noborder lc rgb '%s' notitle", i,
                           plot_color_hex(l[i].color));
            buf_printf(&s, ", \\\n     '' index %zu using 1:2 with linespoints lt %d pt 7 "
                           "ps 0.5%s notitle", i, l[i].color, l[i].baseline ? " dt 2" : "");
        }
        buf_puts(&s, "\n");
    }
    struct overlay o;
    ov_init(&o, &L);
    struct plot_frame ff = *f;
    struct plot_key *keys = xcalloc(f->nkey + 3, sizeof *keys);
    memcpy(keys, f->key, f->nkey * sizeof *keys);
    ff.key = keys;
    ov_frame(&o, c, &ff, 1);
    if (c->xtime) {
        /* the marks' own legend entries, after the engines' */
        static const char *const words[2] = {"slower than the sweep before",
                                             "faster than the sweep before"};
        for (int m = 0; m < 2; m++) {
            size_t i = f->nkey + (size_t)m;
            double x, y;
            key_at(&L, i, &x, &y);
            ov_mark(&o, m ? OV_DOWN : OV_UP, x + 10, y, 0, 0, 0);
            ov_text(&o, OV_LEFT, x + 26, y, words[m]);
        }
    }
    free(keys);
    ov_finish(&o, &d, (int)(blocks + 2 * (size_t)np), c->name, &s);
    return render(&cc, &d, &s, e);
}

int plot_stacked(const struct plot_chart *c, const char *const *parts, int nparts,
                 const struct plot_stack *rows, size_t n, struct err *e)
{
    if (nparts > PLOT_PARTS)
        nparts = PLOT_PARTS;
    /* One horizontal bar per row, its name left of it, the parts' key on top. */
    int left = 84;
    for (size_t i = 0; i < n; i++)
        left = text_px(rows[i].label, 11) + 24 > left ? text_px(rows[i].label, 11) + 24 : left;
    left = left > CANVAS_W / 2 ? CANVAS_W / 2 : left;
    struct plot_key key[PLOT_PARTS];
    for (int k = 0; k < nparts; k++)
        key[k] = (struct plot_key){parts[k], k % 8 + 1, 0};
    struct layout L;
    layout_make(&L, 1, (size_t)nparts, 0, left, (int)n * 26 < 80 ? 80 : (int)n * 26, 1, 0);
    struct plot_chart cc = *c;
    cc.width = L.w;
    cc.height = L.h;
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    /* Block 0: the row (from the bottom), then each part's right end (the
     * sum of it and those before it), in percent. */
    buf_puts(&d, "# row\tcumulative percent of each part\n");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&d, "%zu", n - i);
        double sum = 0;
        for (int k = 0; k < nparts; k++) {
            double v = rows[i].share[k];
            sum += isfinite(v) && v > 0 ? v : 0;
            buf_printf(&d, "\t%.6g", 100 * sum);
        }
        buf_puts(&d, "\n");
    }
    if (!n)
        buf_puts(&d, "NaN\n");
    struct buf body;
    buf_init(&body, REPORT_TEXT_MAX);
    preamble(&body, &cc);
    buf_printf(&body, "unset title\nunset xlabel\nunset ylabel\n%sunset ytics\n"
                      "set grid xtics\nset xrange [0:100]\nset yrange [0.4:%zu.6]\n"
                      "set xtics 0, 20, 100 nomirror\nset format x '%%g %%%%'\n", multi_head, n);
    panel_margins(&body, &L, 0);
    buf_puts(&body, "plot ");
    for (int k = 0; k < nparts; k++) {
        char lo[16] = "0";
        if (k)
            snprintf(lo, sizeof lo, "$%d", k + 1);
        buf_printf(&body, "%s'%s.dat' index 0 using ((%s + $%d) / 2):1:(%s):%d:($1 - 0.35):"
                          "($1 + 0.35) with boxxyerror lt %d fs solid 0.9 border "
                          "lc rgb '#333333' notitle", k ? ", \\\n     " : "", c->name, lo,
                   k + 2, lo, k + 2, k % 8 + 1);
    }
    buf_puts(&body, "\n");
    struct overlay o;
    ov_init(&o, &L);
    struct plot_frame f = {NULL, 0, key, (size_t)nparts, NULL};
    ov_frame(&o, c, &f, 0);
    int x0, y0;
    panel_at(&L, 0, &x0, &y0);
    for (size_t i = 0; i < n; i++)
        ov_text(&o, OV_RIGHT, x0 - 8, y0 + L.ph * (1 - ((double)(n - i) - 0.4) / ((double)n + 0.2)),
                rows[i].label);
    ov_finish(&o, &d, 1, c->name, &body);
    return render(&cc, &d, &body, e);
}

int plot_heatmap(const struct plot_chart *c, const struct plot_frame *f,
                 const char *const *rows, int nrows, const char *const *cols, int ncols,
                 const struct plot_cell *cell, size_t n, struct err *e)
{
    int left = 84, colw = 0;
    for (int r = 0; r < nrows; r++)
        left = text_px(rows[r], 11) + 24 > left ? text_px(rows[r], 11) + 24 : left;
    for (int k = 0; k < ncols; k++)
        colw = text_px(cols[k], 11) + 8 > colw ? text_px(cols[k], 11) + 8 : colw;
    /* two columns of panels when the column names fit under them */
    int two = ncols * colw <= (CANVAS_W - left - RIGHT_M - GAP_X) / 2;
    double m = 1;
    for (size_t i = 0; i < n; i++)
        if (cell[i].v > 0 && isfinite(cell[i].v) && fabs(log2(cell[i].v)) > m)
            m = fabs(log2(cell[i].v));
    /* the legend: a swatch per power of two within the colour range */
    double steps[16];
    int nsteps = 0;
    int top = (int)ceil(m) < 9 ? (int)ceil(m) : 9;
    int stride = top > 6 ? 3 : top > 3 ? 2 : 1;
    for (int p = -top; p <= top && nsteps < 16; p += 1)
        if (p % stride == 0)
            steps[nsteps++] = p;
    struct layout L;
    int ph = nrows * 24 < 96 ? 96 : nrows * 24;
    layout_make(&L, f->npanels, (size_t)nsteps, f->note != NULL, left, ph, two ? 2 : 1, 110);
    struct plot_chart cc = *c;
    cc.width = L.w;
    cc.height = L.h;
    int np = L.n;
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    /* Block k: panel k's cells, x (column), y (row from the bottom), log2 v, text. */
    for (int k = 0; k < np; k++) {
        buf_printf(&d, "%s# panel %d: column\trow\tlog2 ratio\ttext\n", k ? "\n\n" : "", k);
        int any = 0;
        for (size_t i = 0; i < n; i++)
            if (cell[i].panel == k && cell[i].v > 0 && isfinite(cell[i].v)) {
                buf_printf(&d, "%d\t%d\t%.6g\t", cell[i].col + 1, nrows - cell[i].row,
                           log2(cell[i].v));
                put_text(&d, cell[i].text ? cell[i].text : "");
                buf_puts(&d, "\n");
                any = 1;
            }
        if (!any)
            buf_puts(&d, "NaN\tNaN\tNaN\t\n");
    }
    struct buf s;
    buf_init(&s, REPORT_TEXT_MAX);
    preamble(&s, &cc);
    buf_printf(&s, "unset title\nunset xlabel\nunset ylabel\nunset logscale\n%s"
                   "unset ytics\nunset grid\nset border 0\n"
                   "set palette defined (-1 '#e0795f', 0 '#f7f7f7', 1 '#5f9fd3')\n"
                   "set cbrange [%g:%g]\nunset colorbox\n"
                   "set xrange [0.5:%d.5]\nset yrange [0.5:%d.5]\n", multi_head, -m, m,
               ncols, nrows);
    for (int k = 0; k < np; k++) {
        panel_margins(&s, &L, k);
        buf_printf(&s, "plot '%s.dat' index %d using 1:2:(0.5):(0.5):3 with boxxyerror "
                       "fs solid 1 border lc rgb '#ffffff' fc palette notitle, \\\n"
                       "     '' index %d using 1:2:4 with labels font ',10' notitle\n",
                   c->name, k, k);
    }
    struct overlay o;
    ov_init(&o, &L);
    ov_frame(&o, c, f, 0);
    for (int i = 0; i < nsteps; i++) {
        double x, y;
        key_at(&L, (size_t)i, &x, &y);
        ov_mark(&o, OV_PAL, x + 10, y, 9, 7, steps[i]);
        char word[32];
        if (steps[i] < 0)
            snprintf(word, sizeof word, "1/%gx", pow(2, -steps[i]));
        else
            snprintf(word, sizeof word, "%gx", pow(2, steps[i]));
        ov_text(&o, OV_LEFT, x + 26, y, word);
    }
    for (int k = 0; k < np; k++) {
        int x0, y0;
        panel_at(&L, k, &x0, &y0);
        for (int j = 0; j < ncols; j++)
            ov_text(&o, OV_CENTER, x0 + L.pw * (j + 0.5) / ncols, y0 + L.ph + TICS_H / 2.0,
                    cols[j]);
        if (k % L.cols == 0)
            for (int r = 0; r < nrows; r++)
                ov_text(&o, OV_RIGHT, x0 - 8, y0 + L.ph * (r + 0.5) / nrows, rows[r]);
    }
    ov_finish(&o, &d, np, c->name, &s);
    return render(&cc, &d, &s, e);
}

int plot_ranges(const struct plot_chart *c, const struct plot_frame *f,
                const struct plot_range *r, size_t n, struct err *e)
{
    int left = 84;
    for (size_t i = 0; i < n; i++)
        left = text_px(r[i].label, 11) + 24 > left ? text_px(r[i].label, 11) + 24 : left;
    struct layout L;
    int ph = (int)n * 26 < 80 ? 80 : (int)n * 26;
    layout_make(&L, 1, f->nkey, f->note != NULL, left, ph, 1, 0);
    struct plot_chart cc = *c;
    cc.width = L.w;
    cc.height = L.h;
    double lo = 1, hi = 1;
    struct buf d;
    buf_init(&d, REPORT_TEXT_MAX);
    buf_puts(&d, "# row\tlo\thi\tcolor\ttext\n");
    for (size_t i = 0; i < n; i++) {
        double y = (double)(n - i);
        buf_printf(&d, "%g\t%.9g\t%.9g\t%d\t", y, r[i].lo, r[i].hi, r[i].color);
        put_text(&d, r[i].text ? r[i].text : "");
        buf_puts(&d, "\n");
        range_of(r[i].lo, &lo, &hi);
        range_of(r[i].hi, &lo, &hi);
    }
    if (!n)
        buf_puts(&d, "NaN\tNaN\tNaN\t1\t\n");
    buf_puts(&d, "\n\n# row\tvalue\n");
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < r[i].nv && k < PLOT_RANGE_VALUES; k++)
            buf_printf(&d, "%g\t%.9g\n", (double)(n - i), r[i].v[k]);
    buf_puts(&d, "NaN\tNaN\n");
    /* room on the right for the text after the longest range */
    double xlo = lo / 1.6, xhi = hi * pow(hi / xlo, 0.45) * 1.2;
    struct buf s;
    buf_init(&s, REPORT_TEXT_MAX);
    preamble(&s, &cc);
    buf_printf(&s, "unset title\nunset xlabel\nunset ylabel\nunset logscale\n%s"
                   "unset ytics\nset grid xtics\nset logscale x\nset xrange [%.9g:%.9g]\n"
                   "set yrange [0.4:%zu.6]\n"
                   "set arrow from 1, graph 0 to 1, graph 1 nohead back dt 2 lc rgb '#aa0000' lw 1.5\n"
                   "set style textbox opaque noborder margins 1, 1\n",
               multi_head, xlo, xhi, n);
    log_tics_on(&s, 'x', xlo, xhi, 'x', 1);
    buf_puts(&s, "set xtics nomirror\n");
    panel_margins(&s, &L, 0);
    buf_printf(&s, "plot '%s.dat' index 0 using (sqrt($2 * $3)):1:2:3:($1 - 0.3):($1 + 0.3):4 "
                   "with boxxyerror fs solid 0.85 border lc rgb '#333333' lc variable notitle, "
                   "\\\n     '' index 1 using 2:1 with points pt 7 ps 0.5 lc rgb '#222222' "
                   "notitle, \\\n     '' index 0 using 3:1:5 with labels left offset 1,0 "
                   "boxed font ',11' notitle\n", c->name);
    struct overlay o;
    ov_init(&o, &L);
    ov_frame(&o, c, f, 0);
    int x0, y0;
    panel_at(&L, 0, &x0, &y0);
    for (size_t i = 0; i < n; i++)
        ov_text(&o, OV_RIGHT, x0 - 8, y0 + L.ph * (1 - ((double)(n - i) - 0.4) / ((double)n + 0.2)),
                r[i].label);
    ov_finish(&o, &d, 2, c->name, &s);
    return render(&cc, &d, &s, e);
}
