#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int log_level = 1;
static const char *log_prog = "hotpath";

void log_init(const char *prog)
{
    log_prog = prog;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
    if (e) {
        /* Formatted aside first: an argument may be e->msg itself. */
        char msg[sizeof e->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        memcpy(e->msg, msg, sizeof msg);
        e->code = code;
    }
    return -1;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s", log_prog, prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void die_code(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
    exit(code);
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
    exit(1);
}

void error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("error: ", fmt, ap);
    va_end(ap);
}

void warning(const char *fmt, ...)
{
    if (log_level < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
}

void info(const char *fmt, ...)
{
    if (log_level < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void debug(const char *fmt, ...)
{
    if (log_level < 2)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("debug: ", fmt, ap);
    va_end(ap);
}
