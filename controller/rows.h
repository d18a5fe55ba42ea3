#ifndef HP_ROWS_H
#define HP_ROWS_H
/* Rows printed as an aligned table, CSV or JSON, as they come: the output
 * of `query` and `status`. */
#include <jansson.h>
#include <stdio.h>

struct store_value;

enum rows_format { ROWS_TABLE, ROWS_CSV, ROWS_JSON };

struct rows_out;

struct rows_out *rows_begin(FILE *out, enum rows_format fmt);
/* A store_row_fn (store.h): vals NULL is the header. Returns 1 when the
 * output cannot be written (a closed pipe, a full disk). */
int rows_add(void *ro, int ncol, const char *const *names, const struct store_value *vals);
/* Flushes what is held back and frees ro; -1 when writing failed. */
int rows_end(struct rows_out *ro);
/* JSON rows (objects), with the columns named in cols (NULL-terminated). */
int rows_print_json(FILE *out, enum rows_format fmt, json_t *rows, const char *const *cols);

#endif
