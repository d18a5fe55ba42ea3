#ifndef HP_HTTP_H
#define HP_HTTP_H
/* HTTPS through libcurl: the only module that includes curl/curl.h. */
#include <stddef.h>

struct err;

struct http_opts {
    const char *url;
    const char *cacert;         /* a CA bundle to trust instead of the system's, or NULL */
    const char *token;          /* bearer token, or NULL; never logged */
    int allow_http;             /* plain http:// (only ever to a loopback address) */
    int attempts;               /* tries in all, >= 1 */
    double backoff_s;           /* first wait between tries; doubles each time */
    double timeout_s;
};

/* POSTs body as application/json. Retries connection failures and the
 * answers 408, 429 and 5xx with backoff; follows no redirect. 0 on a 2xx,
 * else -1 with the status line or the transport error in e. */
int http_post_json(const struct http_opts *o, const char *body, size_t len, long *status,
                   struct err *e);
/* 1 when url's host is a loopback address (127.0.0.0/8, ::1, localhost). */
int http_is_loopback(const char *url);
/* 1 for a literal loopback address or localhost (never a name that
 * merely looks like one, such as 127.example.com). */
int http_host_is_loopback(const char *host);
/* Replaces every occurrence of secret in s (and a trailing beginning of
 * it, left by a cut) with a mark; s never grows. */
void http_redact(char *s, const char *secret);
/* The URL's scheme, lowercased, into out; -1 when it is not a URL. */
int http_scheme(const char *url, char *out, size_t n);

#endif
