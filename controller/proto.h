#ifndef HP_PROTO_H
#define HP_PROTO_H
/* The wire protocol, agent -> controller: one JSON object per line. */
#include <jansson.h>
#include <stddef.h>

#define PROTO_MAX_LINE (1 << 20)

enum proto_type { PROTO_HELLO, PROTO_PROBE, PROTO_DATA, PROTO_RUN, PROTO_SKIP, PROTO_ERROR,
                  PROTO_DONE };

/* Parses one line (without its '\n'). 0 with *msg owned by the caller, or
 * -1 with why saying what is wrong (not JSON, unknown type, a missing or
 * mistyped field, a line over PROTO_MAX_LINE). */
int proto_parse(const char *line, size_t len, enum proto_type *type, json_t **msg, char *why,
                size_t n);
const char *proto_type_name(enum proto_type t);

#endif
