/* The SSH transport: the only code that includes libssh2.h. */
#include "ssh.h"
#include "cfg.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KEEPALIVE_S 2

struct ssh {
    const struct host_cfg *h;
    int sock;
    LIBSSH2_SESSION *session;
    LIBSSH2_CHANNEL *channel;       /* the current stream, if any */
    LIBSSH2_SFTP *sftp;
    struct ssh *jump;               /* the bastion this connection goes through */
    LIBSSH2_CHANNEL *tunnel;        /* on the bastion's session */
    pthread_t pump;
    int pump_fd, pump_stop, pump_running;
    char rbuf[65536];
    size_t rlen, rpos;
    int eof;
    struct buf err_tail;
    double last_heard;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void init_once(void)
{
    libssh2_init(0);
}

static void lib_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
}

static const char *session_error(LIBSSH2_SESSION *s)
{
    char *msg = NULL;
    libssh2_session_last_error(s, &msg, NULL, 0);
    return msg ? msg : "unknown error";
}

/* TCP connect with a deadline. */
static int tcp_connect(const char *host, int port, double timeout_s, struct err *e,
                       const char *name)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0)
        return err_set(e, 1, "%s: cannot resolve %s: %s", name, host, gai_strerror(rc));
    int fd = -1;
    char why[256] = "no address";
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        int fl = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        int c = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (c < 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int n = poll(&p, 1, (int)(timeout_s * 1000));
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && !soerr)
                c = 0;
            else
                snprintf(why, sizeof why, "%s", n == 0 ? "timed out" : strerror(soerr));
        } else if (c < 0) {
            snprintf(why, sizeof why, "%s", strerror(errno));
        }
        if (c == 0) {
            fcntl(fd, F_SETFL, fl);
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return err_set(e, 1, "%s: cannot connect to %s port %d: %s", name, host, port, why);
    return fd;
}

/* Copies bytes between the local end of a socketpair and a direct-tcpip
 * channel on the bastion, so the target's session can run over it. */
static void *pump_main(void *arg)
{
    struct ssh *s = arg;
    LIBSSH2_SESSION *js = s->jump->session;
    libssh2_session_set_blocking(js, 0);
    char buf[32768];
    while (!s->pump_stop) {
        int busy = 0;
        ssize_t n = read(s->pump_fd, buf, sizeof buf);
        if (n > 0) {
            busy = 1;
            for (ssize_t off = 0; off < n && !s->pump_stop;) {
                ssize_t w = libssh2_channel_write(s->tunnel, buf + off, (size_t)(n - off));
                if (w == LIBSSH2_ERROR_EAGAIN) {
                    struct pollfd p = {.fd = s->jump->sock, .events = POLLIN | POLLOUT};
                    poll(&p, 1, 100);
                    continue;
                }
                if (w < 0)
                    goto out;
                off += w;
            }
        } else if (n == 0) {
            goto out;
        }
        ssize_t r = libssh2_channel_read(s->tunnel, buf, sizeof buf);
        if (r > 0) {
            busy = 1;
            for (ssize_t off = 0; off < r;) {
                ssize_t w = write(s->pump_fd, buf + off, (size_t)(r - off));
                if (w <= 0)
                    goto out;
                off += w;
            }
        } else if (r < 0 && r != LIBSSH2_ERROR_EAGAIN) {
            goto out;
        }
        if (libssh2_channel_eof(s->tunnel))
            goto out;
        if (!busy) {
            struct pollfd p[2] = {{.fd = s->pump_fd, .events = POLLIN},
                                  {.fd = s->jump->sock, .events = POLLIN}};
            poll(p, 2, 200);
        }
    }
out:
    shutdown(s->pump_fd, SHUT_RDWR);
    return NULL;
}

static int fingerprint(LIBSSH2_SESSION *s, char *out, size_t n)
{
    const unsigned char *h = (const unsigned char *)libssh2_hostkey_hash(
        s, LIBSSH2_HOSTKEY_HASH_SHA256);
    if (!h)
        return -1;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t k = (size_t)snprintf(out, n, "SHA256:");
    for (int i = 0; i < 32 && k + 5 < n; i += 3) {
        unsigned v = (unsigned)h[i] << 16 | (i + 1 < 32 ? (unsigned)h[i + 1] << 8 : 0) |
                     (i + 2 < 32 ? h[i + 2] : 0);
        out[k++] = b64[v >> 18 & 63];
        out[k++] = b64[v >> 12 & 63];
        if (i + 1 < 32)
            out[k++] = b64[v >> 6 & 63];
        if (i + 2 < 32)
            out[k++] = b64[v & 63];
    }
    out[k] = '\0';
    return 0;
}

static int key_type_bits(int t)
{
    switch (t) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
#ifdef LIBSSH2_HOSTKEY_TYPE_ECDSA_256
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
#endif
#ifdef LIBSSH2_HOSTKEY_TYPE_ED25519
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
#endif
    default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    }
}

static char *known_hosts_path(const struct host_cfg *h)
{
    if (h->known_hosts)
        return xstrdup(h->known_hosts);
    const char *home = getenv("HOME");
    return xasprintf("%s/.ssh/known_hosts", home ? home : ".");
}

/* Hosts connect in parallel threads: one at a time reads and rewrites a
 * known_hosts file, so no new key is lost to a race. */
static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

static int check_host_key_locked(struct ssh *s, struct err *e);

static int check_host_key(struct ssh *s, struct err *e)
{
    pthread_mutex_lock(&known_hosts_lock);
    int rc = check_host_key_locked(s, e);
    pthread_mutex_unlock(&known_hosts_lock);
    return rc;
}

static int check_host_key_locked(struct ssh *s, struct err *e)
{
    const struct host_cfg *h = s->h;
    size_t len;
    int type;
    const char *key = libssh2_session_hostkey(s->session, &len, &type);
    char fp[80] = "?";
    fingerprint(s->session, fp, sizeof fp);
    if (!key)
        return err_set(e, 1, "%s: the server sent no host key", h->name);
    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s->session);
    char *path = known_hosts_path(h);
    libssh2_knownhost_readfile(kh, path, LIBSSH2_KNOWNHOST_FILE_OPENSSH);  /* may not exist */
    struct libssh2_knownhost *found;
    int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key_type_bits(type);
    int r = libssh2_knownhost_checkp(kh, h->address, h->port, key, len, mask, &found);
    int rc = 0;
    if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
        rc = err_set(e, 1, "%s: host key CHANGED for %s port %d (now %s); refusing. If the "
                     "change is expected, remove the old key from %s", h->name, h->address,
                     h->port, fp, path);
    } else if (r != LIBSSH2_KNOWNHOST_CHECK_MATCH) {
        if (strcmp(h->host_key, "accept-new") != 0) {
            rc = err_set(e, 1, "%s: unknown host key %s for %s port %d (not in %s); refusing "
                         "(host_key \"strict\"; \"accept-new\" adds new keys)", h->name, fp,
                         h->address, h->port, path);
        } else {
            char *entry = h->port == 22 ? xstrdup(h->address)
                                        : xasprintf("[%s]:%d", h->address, h->port);
            if (libssh2_knownhost_addc(kh, entry, NULL, key, len, "hotpath", 7, mask, NULL) ||
                libssh2_knownhost_writefile(kh, path, LIBSSH2_KNOWNHOST_FILE_OPENSSH))
                rc = err_set(e, 1, "%s: cannot record the new host key in %s", h->name, path);
            else
                info("%s: added host key %s to %s", h->name, fp, path);
            free(entry);
        }
    }
    free(path);
    libssh2_knownhost_free(kh);
    return rc;
}

static int authenticate(struct ssh *s, struct err *e)
{
    const struct host_cfg *h = s->h;
    const char *user = h->user ? h->user : getenv("USER") ? getenv("USER") : "root";
    char tried[256] = "";
    if (getenv("SSH_AUTH_SOCK")) {
        LIBSSH2_AGENT *agent = libssh2_agent_init(s->session);
        if (agent && libssh2_agent_connect(agent) == 0 &&
            libssh2_agent_list_identities(agent) == 0) {
            struct libssh2_agent_publickey *id = NULL, *prev = NULL;
            while (libssh2_agent_get_identity(agent, &id, prev) == 0) {
                if (libssh2_agent_userauth(agent, user, id) == 0) {
                    libssh2_agent_disconnect(agent);
                    libssh2_agent_free(agent);
                    return 0;
                }
                prev = id;
            }
            snprintf(tried, sizeof tried, "the ssh-agent's keys");
        }
        if (agent) {
            libssh2_agent_disconnect(agent);
            libssh2_agent_free(agent);
        }
    }
    if (h->identity) {
        const char *pass = h->passphrase_env ? getenv(h->passphrase_env) : NULL;
        if (libssh2_userauth_publickey_fromfile(s->session, user, NULL, h->identity, pass) == 0)
            return 0;
        size_t l = strlen(tried);
        snprintf(tried + l, sizeof tried - l, "%sthe key %s (%s)", l ? " and " : "",
                 h->identity, session_error(s->session));
    }
    return err_set(e, 1, "%s: authentication as %s failed: tried %s", h->name, user,
                   tried[0] ? tried : "nothing (no ssh-agent and no \"identity\" configured)");
}

int ssh_open(const struct host_cfg *h, const struct cfg *c, double timeout_s, struct ssh **out,
             struct err *e)
{
    lib_init();
    struct ssh *s = xcalloc(1, sizeof *s);
    s->h = h;
    s->sock = -1;
    s->pump_fd = -1;
    buf_init(&s->err_tail, 0);
    if (h->jump) {
        const struct host_cfg *j = NULL;
        for (int i = 0; i < c->nhosts_all; i++)
            if (!strcmp(c->all_hosts[i].name, h->jump))
                j = &c->all_hosts[i];
        if (!j || j == h) {
            err_set(e, 1, "%s: jump host '%s' is not a configured host", h->name, h->jump);
            goto fail;
        }
        if (ssh_open(j, c, timeout_s, &s->jump, e) < 0)
            goto fail;
        libssh2_session_set_timeout(s->jump->session, (long)(timeout_s * 1000));
        s->tunnel = libssh2_channel_direct_tcpip_ex(s->jump->session, h->address, h->port,
                                                    "127.0.0.1", 22);
        if (!s->tunnel) {
            err_set(e, 1, "%s: the bastion %s cannot reach %s port %d: %s", h->name, j->name,
                    h->address, h->port, session_error(s->jump->session));
            goto fail;
        }
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
            err_set(e, 1, "%s: socketpair: %s", h->name, strerror(errno));
            goto fail;
        }
        s->sock = pair[0];
        s->pump_fd = pair[1];
        fcntl(s->pump_fd, F_SETFL, fcntl(s->pump_fd, F_GETFL) | O_NONBLOCK);
        pthread_create(&s->pump, NULL, pump_main, s);
        s->pump_running = 1;
    } else {
        s->sock = tcp_connect(h->address, h->port, timeout_s, e, h->name);
        if (s->sock < 0)
            goto fail;
    }
    s->session = libssh2_session_init();
    libssh2_session_set_timeout(s->session, (long)(timeout_s * 1000));
    if (libssh2_session_handshake(s->session, s->sock) != 0) {
        err_set(e, 1, "%s: SSH handshake with %s failed: %s", h->name, h->address,
                session_error(s->session));
        goto fail;
    }
    if (check_host_key(s, e) < 0 || authenticate(s, e) < 0)
        goto fail;
    libssh2_keepalive_config(s->session, 1, KEEPALIVE_S);
    *out = s;
    return 0;
fail:
    ssh_close(s);
    return -1;
}

void ssh_close(struct ssh *s)
{
    if (!s)
        return;
    if (s->channel)
        libssh2_channel_free(s->channel);
    if (s->sftp)
        libssh2_sftp_shutdown(s->sftp);
    if (s->session) {
        libssh2_session_set_blocking(s->session, 1);
        libssh2_session_set_timeout(s->session, 2000);
        libssh2_session_disconnect(s->session, "bye");
        libssh2_session_free(s->session);
    }
    if (s->sock >= 0)
        close(s->sock);
    if (s->pump_running) {
        s->pump_stop = 1;
        pthread_join(s->pump, NULL);
    }
    if (s->pump_fd >= 0)
        close(s->pump_fd);
    if (s->tunnel)
        libssh2_channel_free(s->tunnel);
    ssh_close(s->jump);
    buf_free(&s->err_tail);
    free(s);
}

static void keep_tail(struct buf *b, const char *p, size_t n)
{
    buf_add(b, p, n);
    if (b->len > 4096) {
        memmove(b->data, b->data + b->len - 2048, 2048);
        b->len = 2048;
        b->data[b->len] = '\0';
    }
}

int ssh_stream(struct ssh *s, const char *cmd, struct err *e)
{
    libssh2_session_set_blocking(s->session, 1);
    s->channel = libssh2_channel_open_session(s->session);
    if (!s->channel)
        return err_set(e, 1, "%s: cannot open a channel: %s", s->h->name,
                       session_error(s->session));
    if (libssh2_channel_exec(s->channel, cmd) != 0) {
        err_set(e, 1, "%s: cannot run a command: %s", s->h->name, session_error(s->session));
        libssh2_channel_free(s->channel);
        s->channel = NULL;
        return -1;
    }
    libssh2_session_set_blocking(s->session, 0);
    s->rlen = s->rpos = 0;
    s->eof = 0;
    buf_reset(&s->err_tail);
    s->last_heard = now();
    return 0;
}

/* Reads whatever is ready from stdout (into rbuf) and stderr (kept as a
 * tail); both every time, so neither pipe can stall the remote side. */
static int pump_channel(struct ssh *s, double lost_after_s, struct err *e)
{
    for (;;) {
        char tmp[16384];
        ssize_t n;
        int got = 0;
        while ((n = libssh2_channel_read_stderr(s->channel, tmp, sizeof tmp)) > 0) {
            keep_tail(&s->err_tail, tmp, (size_t)n);
            got = 1;
        }
        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
            return err_set(e, 1, "%s: connection lost: %s", s->h->name,
                           session_error(s->session));
        n = libssh2_channel_read(s->channel, s->rbuf, sizeof s->rbuf);
        if (n > 0) {
            s->rlen = (size_t)n;
            s->rpos = 0;
            s->last_heard = now();
            return 1;
        }
        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
            return err_set(e, 1, "%s: connection lost: %s", s->h->name,
                           session_error(s->session));
        if (n == 0 && libssh2_channel_eof(s->channel)) {
            /* drain what stderr still holds */
            while ((n = libssh2_channel_read_stderr(s->channel, tmp, sizeof tmp)) > 0)
                keep_tail(&s->err_tail, tmp, (size_t)n);
            return 0;
        }
        if (got)
            s->last_heard = now();
        int next = 0;
        libssh2_keepalive_send(s->session, &next);
        if (now() - s->last_heard > lost_after_s) {
            err_set(e, 1, "%s: nothing heard for %.0f s: host lost", s->h->name, lost_after_s);
            return -2;
        }
        int dir = libssh2_session_block_directions(s->session);
        struct pollfd p = {.fd = s->sock, .events = 0};
        if (dir & LIBSSH2_SESSION_BLOCK_INBOUND || !dir)
            p.events |= POLLIN;
        if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
            p.events |= POLLOUT;
        if (poll(&p, 1, 500) > 0 && (p.revents & POLLIN))
            s->last_heard = now();
    }
}

int ssh_line(struct ssh *s, struct buf *line, double lost_after_s, struct err *e)
{
    buf_reset(line);
    for (;;) {
        if (s->rpos < s->rlen) {
            char *start = s->rbuf + s->rpos;
            char *nl = memchr(start, '\n', s->rlen - s->rpos);
            size_t n = nl ? (size_t)(nl - start) : s->rlen - s->rpos;
            if (line->len + n > (1 << 20))
                return err_set(e, 1, "line over %d bytes", 1 << 20);
            buf_add(line, start, n);
            s->rpos += n + (nl ? 1 : 0);
            if (nl)
                return 1;
        }
        if (s->eof)
            return line->len ? 1 : 0;
        int r = pump_channel(s, lost_after_s, e);
        if (r < 0)
            return r;
        if (r == 0)
            s->eof = 1;
    }
}

int ssh_stream_end(struct ssh *s, int *status, char *tail, size_t n)
{
    *status = -1;
    if (s->channel) {
        libssh2_session_set_blocking(s->session, 1);
        libssh2_session_set_timeout(s->session, 5000);
        libssh2_channel_close(s->channel);
        libssh2_channel_wait_closed(s->channel);
        *status = libssh2_channel_get_exit_status(s->channel);
        libssh2_channel_free(s->channel);
        s->channel = NULL;
    }
    size_t k = s->err_tail.len;
    const char *src = s->err_tail.data ? s->err_tail.data : "";
    while (k && (src[k - 1] == '\n' || src[k - 1] == '\r'))
        k--;
    size_t from = k > n - 1 ? k - (n - 1) : 0;
    snprintf(tail, n, "%.*s", (int)(k - from), src + from);
    return 0;
}

int ssh_run(struct ssh *s, const char *cmd, struct buf *out, struct buf *err, int *status,
            double timeout_s, struct err *e)
{
    if (ssh_stream(s, cmd, e) < 0)
        return -1;
    struct buf line;
    buf_init(&line, 0);
    int r;
    double deadline = now() + timeout_s;
    /* Silence is bounded by the host's watchdog, however long the command
     * may take in all. */
    double silence = s->h->lost_after_s < timeout_s ? s->h->lost_after_s : timeout_s;
    while ((r = ssh_line(s, &line, silence, e)) == 1) {
        if (out && out->len < (8 << 20)) {
            buf_add(out, line.data, line.len);
            buf_add(out, "\n", 1);
        }
        if (now() > deadline) {
            r = err_set(e, 1, "%s: command timed out after %.0f s", s->h->name, timeout_s);
            break;
        }
    }
    buf_free(&line);
    char tail[2048];
    ssh_stream_end(s, status, tail, sizeof tail);
    if (err)
        buf_puts(err, tail);
    return r < 0 ? -1 : 0;
}

static LIBSSH2_SFTP *sftp_of(struct ssh *s, struct err *e)
{
    libssh2_session_set_blocking(s->session, 1);
    if (!s->sftp)
        s->sftp = libssh2_sftp_init(s->session);
    if (!s->sftp)
        err_set(e, 1, "%s: cannot start SFTP: %s", s->h->name, session_error(s->session));
    return s->sftp;
}

int ssh_mkdirs(struct ssh *s, const char *path, struct err *e)
{
    LIBSSH2_SFTP *sftp = sftp_of(s, e);
    if (!sftp)
        return -1;
    char *p = xstrdup(path);
    for (char *c = p + 1;; c++) {
        if (*c == '/' || *c == '\0') {
            char keep = *c;
            *c = '\0';
            LIBSSH2_SFTP_ATTRIBUTES a;
            if (libssh2_sftp_stat(sftp, p, &a) != 0 &&
                libssh2_sftp_mkdir(sftp, p, 0755) != 0) {
                err_set(e, 1, "%s: cannot create %s: %s", s->h->name, p,
                        session_error(s->session));
                free(p);
                return -1;
            }
            *c = keep;
            if (!keep)
                break;
        }
    }
    free(p);
    return 0;
}

int ssh_rename(struct ssh *s, const char *from, const char *to, struct err *e)
{
    LIBSSH2_SFTP *sftp = sftp_of(s, e);
    if (!sftp)
        return -1;
    if (libssh2_sftp_rename_ex(sftp, from, (unsigned)strlen(from), to, (unsigned)strlen(to),
                               LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
                               LIBSSH2_SFTP_RENAME_NATIVE) != 0) {
        /* Servers without posix-rename refuse to overwrite: remove, retry. */
        libssh2_sftp_unlink(sftp, to);
        if (libssh2_sftp_rename(sftp, from, to) != 0)
            return err_set(e, 1, "%s: cannot rename %s to %s: %s", s->h->name, from, to,
                           session_error(s->session));
    }
    return 0;
}

static int put_bytes(struct ssh *s, const char *data, size_t len, FILE *from, const char *remote,
                     long mode, struct err *e)
{
    LIBSSH2_SFTP *sftp = sftp_of(s, e);
    if (!sftp)
        return -1;
    char *tmp = xasprintf("%s.tmp-%d", remote, (int)getpid());
    LIBSSH2_SFTP_HANDLE *f = libssh2_sftp_open(sftp, tmp, LIBSSH2_FXF_WRITE |
                                               LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, mode);
    int rc = -1;
    if (!f) {
        err_set(e, 1, "%s: cannot write %s: %s", s->h->name, tmp, session_error(s->session));
        goto out;
    }
    char chunk[32768];
    for (;;) {
        size_t n;
        const char *p;
        if (from) {
            n = fread(chunk, 1, sizeof chunk, from);
            p = chunk;
        } else {
            n = len > sizeof chunk ? sizeof chunk : len;
            p = data;
            data += n;
            len -= n;
        }
        if (n == 0)
            break;
        while (n > 0) {
            ssize_t w = libssh2_sftp_write(f, p, n);
            if (w < 0) {
                err_set(e, 1, "%s: writing %s failed: %s", s->h->name, tmp,
                        session_error(s->session));
                libssh2_sftp_close(f);
                goto out;
            }
            p += w;
            n -= (size_t)w;
        }
    }
    if (libssh2_sftp_close(f) != 0) {
        err_set(e, 1, "%s: closing %s failed", s->h->name, tmp);
        goto out;
    }
    rc = ssh_rename(s, tmp, remote, e);
out:
    free(tmp);
    return rc;
}

int ssh_put(struct ssh *s, const char *local, const char *remote, long mode, struct err *e)
{
    FILE *f = fopen(local, "rb");
    if (!f)
        return err_set(e, 1, "%s: %s", local, strerror(errno));
    int rc = put_bytes(s, NULL, 0, f, remote, mode, e);
    fclose(f);
    return rc;
}

int ssh_put_text(struct ssh *s, const char *text, const char *remote, struct err *e)
{
    return put_bytes(s, text, strlen(text), NULL, remote, 0644, e);
}
