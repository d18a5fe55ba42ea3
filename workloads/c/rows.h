#ifndef HP_ROWS_H
#define HP_ROWS_H
/* One parser per line shape, shared by the C engines: each reads a whole
 * line at p into r and returns the start of the next line, or NULL with
 * *field set to the (0-based) field that is malformed. Fields a task does
 * not use are only counted (csv_skip). */
#include "csv.h"

struct row {
    uint64_t id, user, product, ts, qty, cents;
    unsigned disc;
    int channel, type, seg, reg;
};

#define ROW_FIELD(expr) ((p = (expr)) != NULL || (*field = f, 0)) && ++f

static inline const char *row_facts_groupby(const char *p, struct row *r, int *field)
{
    int f = 0;
    (void)(ROW_FIELD(csv_skip(p, ',')) && ROW_FIELD(csv_skip(p, ',')) &&
           ROW_FIELD(csv_uint(p, ',', &r->product)) && ROW_FIELD(csv_skip(p, ',')) &&
           ROW_FIELD(csv_uint(p, ',', &r->qty)) && ROW_FIELD(csv_money(p, ',', &r->cents)) &&
           ROW_FIELD(csv_discount(p, ',', &r->disc)) && ROW_FIELD(csv_skip(p, '\n')));
    return p;
}

static inline const char *row_facts_join(const char *p, struct row *r, int *field)
{
    int f = 0;
    (void)(ROW_FIELD(csv_skip(p, ',')) && ROW_FIELD(csv_uint(p, ',', &r->user)) &&
           ROW_FIELD(csv_skip(p, ',')) && ROW_FIELD(csv_uint(p, ',', &r->ts)) &&
           ROW_FIELD(csv_uint(p, ',', &r->qty)) && ROW_FIELD(csv_money(p, ',', &r->cents)) &&
           ROW_FIELD(csv_discount(p, ',', &r->disc)) &&
           ROW_FIELD(csv_enum(p, '\n', csv_channels, N_CHANNELS, &r->channel)));
    return p;
}

static inline const char *row_users(const char *p, struct row *r, int *field)
{
    int f = 0;
    (void)(ROW_FIELD(csv_uint(p, ',', &r->id)) &&
           ROW_FIELD(csv_enum(p, ',', csv_segments, N_SEGMENTS, &r->seg)) &&
           ROW_FIELD(csv_enum(p, ',', csv_regions, N_REGIONS, &r->reg)) && ROW_FIELD(csv_skip(p, '\n')));
    return p;
}

static inline const char *row_events(const char *p, struct row *r, int *field)
{
    int f = 0;
    (void)(ROW_FIELD(csv_uint(p, ',', &r->user)) && ROW_FIELD(csv_uint(p, ',', &r->ts)) &&
           ROW_FIELD(csv_enum(p, ',', csv_event_types, N_EVENT_TYPES, &r->type)) &&
           ROW_FIELD(csv_money(p, '\n', &r->cents)));
    return p;
}

static inline const char *row_stream(const char *p, struct row *r, int *field)
{
    int f = 0;
    (void)(ROW_FIELD(csv_uint(p, ',', &r->ts)) && ROW_FIELD(csv_uint(p, ',', &r->user)) &&
           ROW_FIELD(csv_enum(p, ',', csv_stream_types, N_STREAM_TYPES, &r->type)) &&
           ROW_FIELD(csv_money(p, '\n', &r->cents)));
    return p;
}

#undef ROW_FIELD
#endif
