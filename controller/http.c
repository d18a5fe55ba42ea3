#include "http.h"
#include "../common/buf.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char *url_part(const char *url, CURLUPart part)
{
    CURLU *u = curl_url();
    char *v = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, part, &v, 0) == CURLUE_OK) {
        out = xstrdup(v);
        curl_free(v);
    }
    curl_url_cleanup(u);
    return out;
}

int http_scheme(const char *url, char *out, size_t n)
{
    char *s = url_part(url, CURLUPART_SCHEME);
    if (!s)
        return -1;
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(out, n, "%s", s);
    free(s);
    return 0;
}

/* Only what is loopback whatever a resolver says: a literal address in
 * 127.0.0.0/8 or ::1, or the name localhost (which curl itself resolves
 * to loopback, and the connection is checked again in on_open). */
int http_host_is_loopback(const char *host)
{
    char h[128];
    size_t n = strlen(host);
    if (n >= sizeof h)
        return 0;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        snprintf(h, sizeof h, "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(h, sizeof h, "%s", host);
    if (!strcasecmp(h, "localhost"))
        return 1;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, h, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) ||
               (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return 0;
}

int http_is_loopback(const char *url)
{
    char *h = url_part(url, CURLUPART_HOST);
    int yes = h && http_host_is_loopback(h);
    free(h);
    return yes;
}

static int sockaddr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24)
               == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

/* Plain http: the address curl is about to connect to (after any name
 * resolution or proxy) must be loopback, or no socket is opened. */
static curl_socket_t on_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    int *refused = arg;
    (void)purpose;
    if (!sockaddr_is_loopback(&a->addr)) {
        *refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

void http_redact(char *s, const char *secret)
{
    static const char mark[] = "[redacted]";
    size_t k = secret ? strlen(secret) : 0;
    if (!k)
        return;
    char *p, *from = s;
    while ((p = strstr(from, secret))) {
        size_t rest = strlen(p + k);
        if (k >= sizeof mark - 1) {
            memcpy(p, mark, sizeof mark - 1);
            memmove(p + sizeof mark - 1, p + k, rest + 1);
            from = p + sizeof mark - 1;
        } else {
            memset(p, '*', k);
            from = p + k;
        }
    }
    /* A cut at the end of a capped text may leave the token's beginning. */
    size_t n = strlen(s);
    for (size_t l = k - 1 < n ? k - 1 : n; l >= 4; l--)
        if (!strncmp(s + n - l, secret, l)) {
            snprintf(s + n - l, l + 1, "%.*s", (int)l, "[redacted]");
            break;
        }
}

/* A server's words go to a terminal: control bytes become spaces. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

struct status {
    char line[256];
    int seen;
};

/* Keeps the status line of the final response. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct status *st = arg;
    size_t len = size * n;
    if (len > 5 && !strncmp(p, "HTTP/", 5)) {
        size_t k = len;
        while (k && (p[k - 1] == '\r' || p[k - 1] == '\n'))
            k--;
        snprintf(st->line, sizeof st->line, "%.*s", (int)k, p);
        st->seen = 1;
    }
    return len;
}

/* The most of a server's answer that is kept (only an error's is shown). */
#define HTTP_MAX_ANSWER (1 << 20)

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    /* A body over the cap fails the transfer (CURLE_WRITE_ERROR), never
     * cut silently. */
    if (buf_add(b, p, size * n) < 0)
        return 0;
    return size * n;
}

static int retryable_code(CURLcode c)
{
    return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
           c == CURLE_OPERATION_TIMEDOUT || c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR ||
           c == CURLE_GOT_NOTHING || c == CURLE_PARTIAL_FILE;
}

int http_post_json(const struct http_opts *o, const char *body, size_t len, long *status,
                   struct err *e)
{
    static int inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = 1;
    }
    char scheme[16];
    if (http_scheme(o->url, scheme, sizeof scheme) < 0)
        return err_set(e, 2, "publish: '%s' is not a URL", o->url);
    if (strcmp(scheme, "https") != 0 && !(o->allow_http && !strcmp(scheme, "http")))
        return err_set(e, 2, "publish: only https:// URLs are allowed (plain http only with "
                       "--insecure-http, to a loopback address)");
    int plain = !strcmp(scheme, "http");
    if (plain && !http_is_loopback(o->url))
        return err_set(e, 2, "publish: plain http is refused for a non-loopback address "
                       "(only 127.0.0.0/8, ::1 and localhost)");

    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    char *auth = o->token ? xasprintf("Authorization: Bearer %s", o->token) : NULL;
    if (auth)
        headers = curl_slist_append(headers, auth);
    int rc = -1;
    double wait = o->backoff_s > 0 ? o->backoff_s : 0.5;
    for (int attempt = 1; attempt <= (o->attempts > 0 ? o->attempts : 1); attempt++) {
        CURL *h = curl_easy_init();
        if (!h) {
            err_set(e, 1, "publish: cannot start libcurl");
            break;
        }
        char errbuf[CURL_ERROR_SIZE] = "";
        struct status st = {.seen = 0};
        int refused = 0;
        struct buf resp;
        buf_init(&resp, HTTP_MAX_ANSWER);
        curl_easy_setopt(h, CURLOPT_URL, o->url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, o->allow_http ? "http,https" : "https");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        if (o->cacert)
            curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)((o->timeout_s > 0 ? o->timeout_s : 60)
                                                       * 1000));
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &st);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "hotpath-publish");
        if (plain) {
            /* No proxy, and no socket to anything but loopback. */
            curl_easy_setopt(h, CURLOPT_PROXY, "");
            curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open);
            curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &refused);
        }
        CURLcode c = curl_easy_perform(h);
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(h);
        *status = code;
        int again = 0;
        if (refused) {
            err_set(e, 2, "publish: %s resolves to an address that is not loopback; plain http "
                    "is refused", o->url);
        } else if (c == CURLE_WRITE_ERROR && resp.overrun) {
            err_set(e, 1, "publish: %s: the server's answer is over %d bytes", o->url,
                    HTTP_MAX_ANSWER);
        } else if (c != CURLE_OK) {
            err_set(e, 1, "publish: %s: %s", o->url, errbuf[0] ? errbuf : curl_easy_strerror(c));
            again = retryable_code(c);
        } else if (code >= 200 && code < 300) {
            rc = 0;
        } else {
            char *body_text = xstrdup(resp.len ? resp.data : "");
            http_redact(body_text, o->token);
            http_redact(st.line, o->token);
            printable(body_text);
            printable(st.line);
            err_set(e, 1, "publish: the server answered \"%s\"%s%.200s", st.line,
                    *body_text ? ": " : "", body_text);
            free(body_text);
            again = code == 408 || code == 429 || code >= 500;
        }
        http_redact(e->msg, o->token);
        buf_free(&resp);
        if (rc == 0 || !again || attempt == o->attempts)
            break;
        warning("%s (attempt %d of %d; trying again in %.1f s)", e->msg, attempt, o->attempts,
                wait);
        clock_sleep(wait);
        wait *= 2;
    }
    curl_slist_free_all(headers);
    if (auth) {
        memset(auth, 0, strlen(auth));     /* the token leaves no copy behind */
        free(auth);
    }
    return rc;
}
