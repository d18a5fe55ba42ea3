#include "http.h"
#include "../common/buf.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <ctype.h>
#include <curl/curl.h>
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

int http_is_loopback(const char *url)
{
    char *h = url_part(url, CURLUPART_HOST);
    int yes = 0;
    if (h) {
        yes = !strcasecmp(h, "localhost") || !strncmp(h, "127.", 4) || !strcmp(h, "[::1]") ||
              !strcmp(h, "::1");
        free(h);
    }
    return yes;
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

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    buf_add(b, p, size * n);    /* capped; the excess is dropped */
    return size * n;
}

static int retryable_code(CURLcode c)
{
    return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
           c == CURLE_OPERATION_TIMEDOUT || c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR ||
           c == CURLE_GOT_NOTHING || c == CURLE_PARTIAL_FILE;
}

static void sleep_s(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
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
    if (!strcmp(scheme, "http") && !http_is_loopback(o->url))
        return err_set(e, 2, "publish: plain http is refused for a non-loopback address");

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
        struct buf resp;
        buf_init(&resp, 4096);
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
        CURLcode c = curl_easy_perform(h);
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(h);
        *status = code;
        int again = 0;
        if (c != CURLE_OK) {
            err_set(e, 1, "publish: %s: %s", o->url, errbuf[0] ? errbuf : curl_easy_strerror(c));
            again = retryable_code(c);
        } else if (code >= 200 && code < 300) {
            rc = 0;
        } else {
            err_set(e, 1, "publish: the server answered \"%s\"%s%.200s", st.line,
                    resp.len ? ": " : "", resp.len ? resp.data : "");
            again = code == 408 || code == 429 || code >= 500;
        }
        buf_free(&resp);
        if (rc == 0 || !again || attempt == o->attempts)
            break;
        warning("%s (attempt %d of %d; trying again in %.1f s)", e->msg, attempt, o->attempts,
                wait);
        sleep_s(wait);
        wait *= 2;
    }
    curl_slist_free_all(headers);
    if (auth) {
        memset(auth, 0, strlen(auth));     /* the token leaves no copy behind */
        free(auth);
    }
    return rc;
}
