/* Query output: rows written as they arrive. The aligned table holds back
 * its first rows to size its columns, then streams with those widths. */
#include "rows.h"
#include "../common/xmalloc.h"
#include "../store/store.h"

#include <stdlib.h>
#include <string.h>

#define TABLE_SAMPLE 500    /* rows read before the table's widths are fixed */

struct rows_out {
    FILE *out;
    enum rows_format fmt;
    int ncol;
    char **names;
    size_t *width;
    char **held;            /* TABLE_SAMPLE rows of ncol cells, before the widths are fixed */
    size_t nheld;
    int fixed;              /* widths fixed, header printed */
    long long rows;
};

struct rows_out *rows_begin(FILE *out, enum rows_format fmt)
{
    struct rows_out *ro = xcalloc(1, sizeof *ro);
    ro->out = out;
    ro->fmt = fmt;
    return ro;
}

static void csv_cell(FILE *out, const char *v)
{
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

/* Cell text: full precision for CSV; six significant digits (never an
 * exponent for large values) in the aligned table. Numbers are marked with
 * a leading '\1' so the table can right-align them. */
static char *cell_text(const struct store_value *v, int table)
{
    switch (v->type) {
    case STORE_NULL:
        return xstrdup("");
    case STORE_REAL:
        if (!table)
            return xasprintf("%.17g", v->d);
        return v->d >= 1e5 || v->d <= -1e5 ? xasprintf("\1%.1f", v->d)
                                            : xasprintf("\1%.6g", v->d);
    case STORE_INTEGER:
        return xasprintf("%s%lld", table ? "\1" : "", v->i);
    default:
        return xstrdup(v->s);
    }
}

static json_t *value_json(const struct store_value *v)
{
    switch (v->type) {
    case STORE_NULL: return json_null();
    case STORE_INTEGER: return json_integer(v->i);
    case STORE_REAL: return json_real(v->d);
    default: {
        json_t *s = json_string(v->s);
        return s ? s : json_string("(not UTF-8)");
    }
    }
}

static void table_row(struct rows_out *ro, char **cells)
{
    for (int c = 0; c < ro->ncol; c++) {
        const char *v = cells[c];
        int numeric = *v == '\1';
        fprintf(ro->out, numeric ? "%*s%s" : "%-*s%s", (int)ro->width[c], v + numeric,
                c + 1 < ro->ncol ? "  " : "\n");
    }
}

/* Fixes the widths from the rows held back and prints them. */
static void table_flush(struct rows_out *ro)
{
    for (size_t r = 0; r < ro->nheld; r++)
        for (int c = 0; c < ro->ncol; c++) {
            const char *v = ro->held[r * (size_t)ro->ncol + (size_t)c];
            size_t l = strlen(v) - (*v == '\1');
            ro->width[c] = l > ro->width[c] ? l : ro->width[c];
        }
    for (int c = 0; c < ro->ncol; c++)
        fprintf(ro->out, "%-*s%s", (int)ro->width[c], ro->names[c],
                c + 1 < ro->ncol ? "  " : "\n");
    for (int c = 0; c < ro->ncol; c++) {
        for (size_t k = 0; k < ro->width[c]; k++)
            fputc('-', ro->out);
        fputs(c + 1 < ro->ncol ? "  " : "\n", ro->out);
    }
    for (size_t r = 0; r < ro->nheld; r++) {
        table_row(ro, &ro->held[r * (size_t)ro->ncol]);
        for (int c = 0; c < ro->ncol; c++)
            free(ro->held[r * (size_t)ro->ncol + (size_t)c]);
    }
    ro->nheld = 0;
    ro->fixed = 1;
}

int rows_add(void *arg, int ncol, const char *const *names, const struct store_value *vals)
{
    struct rows_out *ro = arg;
    if (!vals) {
        ro->ncol = ncol;
        ro->names = xcalloc((size_t)ncol + 1, sizeof *ro->names);
        ro->width = xcalloc((size_t)ncol + 1, sizeof *ro->width);
        for (int c = 0; c < ncol; c++) {
            ro->names[c] = xstrdup(names[c]);
            ro->width[c] = strlen(names[c]);
        }
        if (ro->fmt == ROWS_CSV) {
            for (int c = 0; c < ncol; c++) {
                if (c)
                    fputc(',', ro->out);
                csv_cell(ro->out, names[c]);
            }
            fputc('\n', ro->out);
        } else if (ro->fmt == ROWS_JSON) {
            fputs("[", ro->out);
        } else {
            ro->held = xcalloc(TABLE_SAMPLE * (size_t)ncol + 1, sizeof *ro->held);
        }
        return ferror(ro->out) ? 1 : 0;
    }
    if (ro->fmt == ROWS_JSON) {
        json_t *o = json_object();
        for (int c = 0; c < ncol; c++)
            json_object_set_new(o, names[c], value_json(&vals[c]));
        fputs(ro->rows ? ",\n " : "\n ", ro->out);
        json_dumpf(o, ro->out, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        json_decref(o);
    } else if (ro->fmt == ROWS_CSV) {
        for (int c = 0; c < ncol; c++) {
            char *t = cell_text(&vals[c], 0);
            if (c)
                fputc(',', ro->out);
            csv_cell(ro->out, t);
            free(t);
        }
        fputc('\n', ro->out);
    } else {
        char **cells = ro->fixed ? xcalloc((size_t)ncol + 1, sizeof *cells)
                                 : &ro->held[ro->nheld * (size_t)ncol];
        for (int c = 0; c < ncol; c++)
            cells[c] = cell_text(&vals[c], 1);
        if (ro->fixed) {
            table_row(ro, cells);
            for (int c = 0; c < ncol; c++)
                free(cells[c]);
            free(cells);
        } else if (++ro->nheld == TABLE_SAMPLE) {
            table_flush(ro);
        }
    }
    ro->rows++;
    return ferror(ro->out) ? 1 : 0;
}

int rows_end(struct rows_out *ro)
{
    if (ro->fmt == ROWS_TABLE && !ro->fixed && ro->names)
        table_flush(ro);
    if (ro->fmt == ROWS_JSON && ro->names)
        fputs(ro->rows ? "\n]\n" : "]\n", ro->out);
    int rc = fflush(ro->out) != 0 || ferror(ro->out) ? -1 : 0;
    for (int c = 0; c < ro->ncol; c++)
        free(ro->names[c]);
    free(ro->names);
    free(ro->width);
    free(ro->held);
    free(ro);
    return rc;
}

int rows_print_json(FILE *out, enum rows_format fmt, json_t *rows, const char *const *cols)
{
    int ncol = 0;
    while (cols[ncol])
        ncol++;
    struct rows_out *ro = rows_begin(out, fmt);
    struct store_value *v = xcalloc((size_t)ncol + 1, sizeof *v);
    int stop = rows_add(ro, ncol, cols, NULL);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (stop)
            break;
        for (int c = 0; c < ncol; c++) {
            json_t *x = json_object_get(r, cols[c]);
            if (json_is_integer(x))
                v[c] = (struct store_value){.type = STORE_INTEGER, .i = json_integer_value(x)};
            else if (json_is_real(x))
                v[c] = (struct store_value){.type = STORE_REAL, .d = json_real_value(x)};
            else if (json_is_string(x))
                v[c] = (struct store_value){.type = STORE_TEXT, .s = json_string_value(x)};
            else
                v[c] = (struct store_value){.type = STORE_NULL};
        }
        stop = rows_add(ro, ncol, cols, v);
    }
    free(v);
    return rows_end(ro) < 0 || stop ? -1 : 0;
}
