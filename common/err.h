#ifndef HP_ERR_H
#define HP_ERR_H

/* Library code returns -1 and fills a caller-provided err; only main and
 * command functions decide to print and exit. */
struct err {
    int code;           /* exit status the caller should use, 0 if unset */
    char msg[512];
};

int err_set(struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Printed messages share one shape: "PROG: message". */
void log_init(const char *prog);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void die_code(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -q lowers it to 0 (errors only), -v raises it to 2. */
extern int log_level;

#endif
