/* The SSH transport: the only code that includes libssh2.h. Below, the
 * ssh_* layer (connections, commands, streams, SFTP); at the end, the
 * transport's table: a bundle pushed by SFTP, an agent started detached,
 * its journal followed across dropped connections. */
#include "ssh.h"
#include "bundle.h"
#include "cfg.h"
#include "hotpath.h"
#include "transport.h"
#include "../common/clock.h"
#include "../common/err.h"
#include "../common/xmalloc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <openssl/evp.h>
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
#include <sys/stat.h>
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
    int eof;
    struct buf err_tail;
    double last_heard;
};

/* No SIGPIPE from a socket whose peer went away: an EPIPE instead. */
#ifdef MSG_NOSIGNAL
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0
#endif

static void no_sigpipe(int fd)
{
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#else
    (void)fd;
#endif
}

/* socket() and socketpair() close-on-exec (SOCK_CLOEXEC is not everywhere). */
static void set_cloexec(int fd)
{
    if (fd >= 0)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
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
#ifdef SOCK_CLOEXEC
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
#else
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        set_cloexec(fd);
#endif
        if (fd < 0)
            continue;
        no_sigpipe(fd);
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
                ssize_t w = send(s->pump_fd, buf + off, (size_t)(r - off), SEND_FLAGS);
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
    /* As OpenSSH prints it: base64 without the padding. */
    unsigned char b64[48];
    int k = EVP_EncodeBlock(b64, h, 32);
    while (k && b64[k - 1] == '=')
        k--;
    return snprintf(out, n, "SHA256:%.*s", k, (char *)b64) < (int)n ? 0 : -1;
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

static char *known_hosts_path(const struct host_cfg *h)
{
    if (h->known_hosts)
        return xstrdup(h->known_hosts);
    const char *home = getenv("HOME");
    return xasprintf("%s/.ssh/known_hosts", home ? home : ".");
}

/* Host key types as known_hosts names them, with the algorithms that sign
 * with each, in OpenSSH's order of preference. */
static const struct key_kind {
    int bits;
    const char *name, *algs;
} key_kinds[] = {
    {LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519", "ssh-ed25519"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"},
    {LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521"},
    {LIBSSH2_KNOWNHOST_KEY_SSHRSA, "ssh-rsa", "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
    {LIBSSH2_KNOWNHOST_KEY_SSHDSS, "ssh-dss", "ssh-dss"},
};
enum { NKINDS = sizeof key_kinds / sizeof key_kinds[0] };

/* Which key kinds known_hosts holds for the host (plain or hashed names,
 * "[host]:port" or bare host as OpenSSH writes them): bit i for
 * key_kinds[i]. A key that cannot match tells a present entry of that kind
 * (a mismatch) from an absent one. */
static unsigned known_kinds(LIBSSH2_KNOWNHOSTS *kh, const char *host, int port)
{
    unsigned kinds = 0;
    for (int i = 0; i < NKINDS; i++) {
        int r = libssh2_knownhost_checkp(kh, host, port, "\001", 1, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                         LIBSSH2_KNOWNHOST_KEYENC_RAW | key_kinds[i].bits, NULL);
        if (r == LIBSSH2_KNOWNHOST_CHECK_MATCH || r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
            kinds |= 1u << i;
    }
    return kinds;
}

static const char *kind_name(int bits)
{
    for (int i = 0; i < NKINDS; i++)
        if (key_kinds[i].bits == bits)
            return key_kinds[i].name;
    return "unknown";
}

/* Before the handshake: ask first for the key types known_hosts holds for
 * this host, as OpenSSH does, so a host reached once with ssh is not met
 * with a key of another type (libssh2 alone prefers ECDSA). */
static void prefer_known_kinds(struct ssh *s)
{
    const struct host_cfg *h = s->h;
    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s->session);
    if (!kh)
        return;
    char *path = known_hosts_path(h);
    unsigned kinds = 0;
    pthread_mutex_lock(&known_hosts_lock);
    if (libssh2_knownhost_readfile(kh, path, LIBSSH2_KNOWNHOST_FILE_OPENSSH) >= 0)
        kinds = known_kinds(kh, h->address, h->port);
    pthread_mutex_unlock(&known_hosts_lock);
    libssh2_knownhost_free(kh);
    free(path);
    if (!kinds)
        return;
    struct buf pref;
    buf_init(&pref, 4096);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < NKINDS; i++)
            if (!!(kinds & (1u << i)) == !pass)
                buf_printf(&pref, "%s%s", pref.len ? "," : "", key_kinds[i].algs);
    if (libssh2_session_method_pref(s->session, LIBSSH2_METHOD_HOSTKEY, pref.data) != 0)
        debug("%s: host key preference '%s' refused: %s", h->name, pref.data,
              session_error(s->session));
    buf_free(&pref);
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
    /* A key of a type not known for a host that has a known key of another
     * type is a changed key, not a new one. */
    unsigned others = r == LIBSSH2_KNOWNHOST_CHECK_MATCH ? 0 : known_kinds(kh, h->address,
                                                                           h->port);
    const char *other = NULL;
    for (int i = 0; i < NKINDS && others; i++)
        if ((others & (1u << i)) && key_kinds[i].bits != key_type_bits(type))
            other = other ? other : key_kinds[i].name;
    int rc = 0;
    if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
        rc = err_set(e, 1, "%s: host key CHANGED for %s port %d (now %s); refusing. If the "
                     "change is expected, remove the old key from %s", h->name, h->address,
                     h->port, fp, path);
    } else if (r != LIBSSH2_KNOWNHOST_CHECK_MATCH && other) {
        rc = err_set(e, 1, "%s: host key CHANGED for %s port %d: it offers a %s key (%s) but %s "
                     "holds a %s key for it; refusing. If the change is expected, remove the "
                     "old key from %s%s", h->name, h->address, h->port,
                     kind_name(key_type_bits(type)), fp, path, other, path,
                     !strcmp(other, "ssh-rsa") ? " (this libssh2 may verify RSA host keys "
                     "only by ssh-rsa signatures, which the server may not offer)" : "");
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
    buf_init(&s->err_tail, 1 << 16);    /* keep_tail trims it */
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
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
            err_set(e, 1, "%s: socketpair: %s", h->name, strerror(errno));
            goto fail;
        }
        set_cloexec(pair[0]);
        set_cloexec(pair[1]);
        no_sigpipe(pair[0]);
        no_sigpipe(pair[1]);
        s->sock = pair[0];
        s->pump_fd = pair[1];
        fcntl(s->pump_fd, F_SETFL, fcntl(s->pump_fd, F_GETFL) | O_NONBLOCK);
        int perr = pthread_create(&s->pump, NULL, pump_main, s);
        if (perr != 0) {
            err_set(e, 1, "%s: cannot start a thread: %s", h->name, strerror(perr));
            goto fail;
        }
        s->pump_running = 1;
    } else {
        s->sock = tcp_connect(h->address, h->port, timeout_s, e, h->name);
        if (s->sock < 0)
            goto fail;
    }
    s->session = libssh2_session_init();
    libssh2_session_set_timeout(s->session, (long)(timeout_s * 1000));
    prefer_known_kinds(s);
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
    s->eof = 0;
    buf_reset(&s->err_tail);
    s->last_heard = clock_now();
    return 0;
}

/* Reads whatever is ready from stdout (into buf) and stderr (kept as a
 * tail); both every time, so neither pipe can stall the remote side. */
long ssh_read(struct ssh *s, char *buf, size_t size, double lost_after_s, struct err *e)
{
    if (s->eof)
        return 0;
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
        n = libssh2_channel_read(s->channel, buf, size);
        if (n > 0) {
            s->last_heard = clock_now();
            return (long)n;
        }
        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
            return err_set(e, 1, "%s: connection lost: %s", s->h->name,
                           session_error(s->session));
        if (n == 0 && libssh2_channel_eof(s->channel)) {
            /* drain what stderr still holds */
            while ((n = libssh2_channel_read_stderr(s->channel, tmp, sizeof tmp)) > 0)
                keep_tail(&s->err_tail, tmp, (size_t)n);
            s->eof = 1;
            return 0;
        }
        if (got)
            s->last_heard = clock_now();
        int next = 0;
        libssh2_keepalive_send(s->session, &next);
        if (clock_now() - s->last_heard > lost_after_s) {
            err_set(e, 1, "%s: nothing heard for %.0f s: host lost", s->h->name, lost_after_s);
            return TRANSPORT_LOST;
        }
        int dir = libssh2_session_block_directions(s->session);
        struct pollfd p = {.fd = s->sock, .events = 0};
        if (dir & LIBSSH2_SESSION_BLOCK_INBOUND || !dir)
            p.events |= POLLIN;
        if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
            p.events |= POLLOUT;
        if (poll(&p, 1, 500) > 0 && (p.revents & POLLIN))
            s->last_heard = clock_now();
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
    long r;
    char chunk[16384];
    double deadline = clock_now() + timeout_s;
    /* Silence is bounded by the host's watchdog, however long the command
     * may take in all. */
    double silence = s->h->lost_after_s < timeout_s ? s->h->lost_after_s : timeout_s;
    while ((r = ssh_read(s, chunk, sizeof chunk, silence, e)) > 0) {
        if (out && buf_add(out, chunk, (size_t)r) < 0) {
            r = err_set(e, 1, "%s: the command's output is over %zu bytes", s->h->name,
                        out->max);
            break;
        }
        if (clock_now() > deadline) {
            r = err_set(e, 1, "%s: command timed out after %.0f s", s->h->name, timeout_s);
            break;
        }
    }
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
    char *p = ssh_sftp_path(s->h, path);
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

/* Paths as SFTP names them (ssh_sftp_path done). */
static int rename_raw(struct ssh *s, const char *from, const char *to, struct err *e)
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

int ssh_rename(struct ssh *s, const char *from, const char *to, struct err *e)
{
    char *a = ssh_sftp_path(s->h, from), *b = ssh_sftp_path(s->h, to);
    int rc = rename_raw(s, a, b, e);
    free(a);
    free(b);
    return rc;
}

static int put_bytes(struct ssh *s, const char *data, size_t len, FILE *from,
                     const char *remote_path, long mode, struct err *e)
{
    LIBSSH2_SFTP *sftp = sftp_of(s, e);
    if (!sftp)
        return -1;
    char *remote = ssh_sftp_path(s->h, remote_path);
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
    rc = rename_raw(s, tmp, remote, e);
out:
    free(tmp);
    free(remote);
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

/* ---- the transport ---- */

struct ssh_conn {
    const struct host_cfg *h;
    const struct cfg *cfg;
    struct ssh *s;              /* NULL after a drop */
    char *bdir;                 /* the bundle on the host, once made sure of */
};

/* Where hotpath lives on the host: its workdir, else ~/.cache/hotpath
 * (relative paths are relative to the login directory). */
static const char *home_of(const struct host_cfg *h)
{
    return h->workdir ? h->workdir : ".cache/hotpath";
}

/* Runs one remote command to its end; returns its exit status, or -1. */
static int run(struct ssh *s, const struct host_cfg *h, char *const *argv, struct buf *out,
               struct buf *err, double timeout_s, struct err *e)
{
    char *cmd = ssh_command(h, argv);
    int status = -1;
    int rc = ssh_run(s, cmd, out, err, &status, timeout_s, e);
    free(cmd);
    return rc < 0 ? -1 : status;
}

static int push_bundle(struct ssh *s, const struct host_cfg *h, const struct bundle *b,
                       const char *bdir, struct err *e)
{
    char *tmp = xasprintf("%s.tmp-%d", bdir, (int)getpid());
    int rc = -1;
    double t0 = clock_now();
    for (size_t i = 0; i < b->nfiles; i++) {
        const struct bundle_file *f = &b->files[i];
        char *remote = xasprintf("%s/%s", tmp, f->path);
        char *dir = xstrdup(remote);
        *strrchr(dir, '/') = '\0';
        int bad = ssh_mkdirs(s, dir, e) < 0 ||
                  ssh_put(s, f->src, remote, f->exec ? 0755 : 0644, e) < 0;
        free(remote);
        free(dir);
        if (bad)
            goto out;
    }
    char *mpath = xasprintf("%s/MANIFEST", tmp);
    int bad = ssh_put_text(s, b->manifest, mpath, e) < 0;
    free(mpath);
    if (bad)
        goto out;
    /* A bundle that fails verification is moved aside, never patched. */
    char *aside = xasprintf("%s.bad-%ld", bdir, (long)time(NULL));
    ssh_rename(s, bdir, aside, NULL);
    free(aside);
    if (ssh_rename(s, tmp, bdir, e) < 0)
        goto out;
    info("%s: pushed bundle %.12s for %s (%zu files, %llu KiB) in %.1f s", h->name, b->sha,
         b->target, b->nfiles, b->bytes / 1024, clock_now() - t0);
    rc = 0;
out:
    free(tmp);
    return rc;
}

/* The host's target, as `uname -s -m` prints it there. */
static char *host_target(struct ssh *s, const struct host_cfg *h, struct err *e)
{
    struct buf out, err;
    buf_init(&out, 1 << 12);
    buf_init(&err, 1 << 12);
    char *uname_argv[] = {"uname", "-s", "-m", NULL};
    char *t = NULL;
    if (run(s, h, uname_argv, &out, &err, 30, e) != 0) {
        if (!e->msg[0])
            err_set(e, 1, "%s: `uname -s -m` failed: %.200s", h->name, err.data ? err.data : "");
    } else if (!(t = bundle_target_of(out.data))) {
        err_set(e, 1, "%s: `uname -s -m` printed '%.100s', not an OS and an architecture",
                h->name, out.data ? out.data : "");
    }
    buf_free(&out);
    buf_free(&err);
    return t;
}

/* Builds a `build: host` bundle's binaries there with the host's compiler;
 * the script's last line says what to install when it cannot. */
static int build_on_host(struct ssh *s, const struct host_cfg *h, const struct bundle *b,
                         const char *bdir, struct err *e)
{
    char *script = xasprintf("%s/scripts/host-build.sh", bdir);
    char *argv[] = {"sh", script, NULL};
    struct buf err;
    buf_init(&err, 1 << 16);
    double t0 = clock_now();
    info("%s: building the payload there (%s, no binaries of that kind here)", h->name,
         b->target);
    int st = run(s, h, argv, NULL, &err, 3600, e);
    free(script);
    /* The last line of the script's stderr is its verdict. */
    const char *t = err.data ? err.data : "";
    const char *end = t + strlen(t);
    while (end > t && end[-1] == '\n')
        end--;
    const char *last = end;
    while (last > t && last[-1] != '\n')
        last--;
    if (!strncmp(last, "hotpath: ", 9) && last + 9 <= end)
        last += 9;
    int rc = 0;
    if (st != 0) {
        if (st > 0 || !e->msg[0])
            err_set(e, 1, "%s: cannot build the payload there (%s): %.*s", h->name, b->target,
                    (int)(end - last), last[0] ? last : "no output");
        rc = -1;
    } else {
        info("%s: %.*s (%.0f s)", h->name, (int)(end - last), last, clock_now() - t0);
    }
    buf_free(&err);
    return rc;
}

/* The bundle on the host, verified: pushed if absent or broken, and, for a
 * host of another target than this controller's, built there. A bundle whose
 * sources are there but whose build was never finished is built again
 * without being pushed again. */
static int ssh_ensure_bundle(struct tconn *tc, struct err *e)
{
    struct ssh_conn *c = (struct ssh_conn *)tc;
    const struct host_cfg *h = c->h;
    struct ssh *s = c->s;
    char *target = host_target(s, h, e);
    if (!target)
        return -1;
    const struct bundle *b = bundle_for(target, e);
    free(target);
    if (!b)
        return -1;
    char *bdir = xasprintf("%s/bundles/%s", home_of(h), b->sha);
    char *owned[2] = {NULL, NULL};
    char *argv[8];
    int n = ssh_agent_argv(h, bdir, argv, owned);
    argv[n] = "bundle-verify";
    argv[n + 1] = NULL;
    struct buf out, err;
    buf_init(&out, 1 << 16);
    buf_init(&err, 1 << 16);
    int rc = -1;
    if (run(s, h, argv, &out, &err, 120, e) != 0) {
        if (e->msg[0])
            goto out;   /* the transport failed, not the bundle */
        int unbuilt = 0;
        if (b->host_build) {
            char *test_argv[] = {"sh", "-c", "test -f \"$1/MANIFEST\" && "
                                 "test ! -f \"$1/MANIFEST.built\"", "sh", bdir, NULL};
            buf_reset(&err);
            unbuilt = run(s, h, test_argv, NULL, &err, 30, e) == 0;
            if (e->msg[0])
                goto out;
        }
        if (!unbuilt && push_bundle(s, h, b, bdir, e) < 0)
            goto out;
        if (b->host_build && build_on_host(s, h, b, bdir, e) < 0)
            goto out;
        buf_reset(&out);
        buf_reset(&err);
        if (run(s, h, argv, &out, &err, 120, e) != 0) {
            if (!e->msg[0])
                err_set(e, 1, "%s: the pushed bundle does not verify: %.200s", h->name,
                        err.data ? err.data : "");
            goto out;
        }
    }
    free(c->bdir);
    c->bdir = bdir;
    bdir = NULL;
    rc = 0;
out:
    free(bdir);
    free(owned[0]);
    free(owned[1]);
    buf_free(&out);
    buf_free(&err);
    return rc;
}

/* A folder's files into a new folder WORKDIR/wheels/NAME.tmp-PID (the
 * agent deletes it when it has built from it). */
static int ssh_put_dir(struct tconn *tc, const char *dir, const char *name, char **remote,
                       struct err *e)
{
    struct ssh_conn *c = (struct ssh_conn *)tc;
    if (!c->s)
        return err_set(e, 1, "%s: not connected", c->h->name);
    DIR *d = opendir(dir);
    if (!d)
        return err_set(e, 1, "%s: %s", dir, strerror(errno));
    char *rdir = xasprintf("%s/wheels/%s.tmp-%d", home_of(c->h), name, (int)getpid());
    int rc = ssh_mkdirs(c->s, rdir, e), files = 0;
    unsigned long long bytes = 0;
    double t0 = clock_now();
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *local = xasprintf("%s/%s", dir, de->d_name);
        char *dest = xasprintf("%s/%s", rdir, de->d_name);
        struct stat st;
        if (stat(local, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = ssh_put(c->s, local, dest, 0644, e);
            bytes += (unsigned long long)st.st_size;
            files++;
        }
        free(local);
        free(dest);
    }
    closedir(d);
    if (rc < 0) {
        free(rdir);
        return -1;
    }
    info("%s: pushed %d wheels (%llu MiB) in %.1f s", c->h->name, files, bytes >> 20,
         clock_now() - t0);
    *remote = rdir;
    return 0;
}

static int ssh_connect(const struct host_cfg *h, const struct cfg *cf, struct tconn **out,
                       struct err *e)
{
    struct ssh *s;
    if (ssh_open(h, cf, h->connect_timeout_s, &s, e) < 0)
        return -1;
    struct ssh_conn *c = xcalloc(1, sizeof *c);
    c->h = h;
    c->cfg = cf;
    c->s = s;
    *out = (struct tconn *)c;
    return 0;
}

/* Starts `hotpath-agent ARGS` of the bundle as the connection's stream. */
static int agent_stream(struct ssh_conn *c, char *const *args, struct err *e)
{
    if (!c->bdir)
        return err_set(e, 1, "%s: no bundle made sure of before running the agent", c->h->name);
    if (!c->s)
        return err_set(e, 1, "%s: not connected", c->h->name);
    char *owned[2];
    char *argv[40];
    int n = ssh_agent_argv(c->h, c->bdir, argv, owned);
    for (int i = 0; args[i] && n < 38; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *cmd = ssh_command(c->h, argv);
    int rc = ssh_stream(c->s, cmd, e);
    free(cmd);
    free(owned[0]);
    free(owned[1]);
    return rc;
}

static int ssh_exec(struct tconn *tc, char *const *args, const char *in, struct err *e)
{
    struct ssh_conn *c = (struct ssh_conn *)tc;
    if (in)
        return err_set(e, 1, "%s: the ssh transport sends no stdin (plans go by SFTP)",
                       c->h->name);
    return agent_stream(c, args, e);
}

static int follow_stream(struct ssh_conn *c, const char *uuid, long from, struct err *e)
{
    char fbuf[32];
    snprintf(fbuf, sizeof fbuf, "%ld", from);
    char *args[] = {"tail", "--sweep", (char *)uuid, "--from", fbuf, "--follow", NULL};
    return agent_stream(c, args, e);
}

/* The plan goes by SFTP; the agent detaches at once (a dropped connection
 * cannot stop the runs) and says where in its journal to follow from. */
static int ssh_start_agent(struct tconn *tc, const char *uuid, const char *plan, long *from,
                           int *started, struct err *e)
{
    struct ssh_conn *c = (struct ssh_conn *)tc;
    const struct host_cfg *h = c->h;
    if (!c->bdir || !c->s)
        return err_set(e, 1, "%s: not connected, or no bundle made sure of", h->name);
    char *pdir = xasprintf("%s/plans", home_of(h));
    char *plan_path = xasprintf("%s/%s.json", pdir, uuid);
    int rc = -1;
    int bad = ssh_mkdirs(c->s, pdir, e) < 0 || ssh_put_text(c->s, plan, plan_path, e) < 0;
    free(pdir);
    if (bad)
        goto out;
    char *owned[2];
    char *argv[16];
    int n = ssh_agent_argv(h, c->bdir, argv, owned);
    argv[n++] = "run";
    argv[n++] = "--plan";
    argv[n++] = plan_path;
    argv[n++] = "--detach";
    argv[n] = NULL;
    struct buf out, err;
    buf_init(&out, 1 << 16);
    buf_init(&err, 1 << 16);
    int st = run(c->s, h, argv, &out, &err, 120, e);
    free(owned[0]);
    free(owned[1]);
    json_t *answer = st == 0 && out.data ? json_loads(out.data, JSON_DISABLE_EOF_CHECK, NULL)
                                         : NULL;
    /* A transport failure (st < 0) already says what happened, e.g. lost. */
    if (!answer && st >= 0)
        err_set(e, 1, "%s: cannot start the agent (status %d): %.300s", h->name, st,
                err.data && *err.data ? err.data : out.data ? out.data : "");
    buf_free(&out);
    buf_free(&err);
    if (!answer)
        goto out;
    *from = (long)json_integer_value(json_object_get(answer, "from"));
    *started = !json_is_false(json_object_get(answer, "started"));
    json_decref(answer);
    rc = follow_stream(c, uuid, *from, e);
out:
    free(plan_path);
    return rc;
}

static long ssh_read_op(struct tconn *tc, char *buf, size_t n, struct err *e)
{
    struct ssh_conn *c = (struct ssh_conn *)tc;
    if (!c->s)
        return err_set(e, 1, "%s: not connected", c->h->name);
    return ssh_read(c->s, buf, n, c->h->lost_after_s, e);
}

/* A dropped connection: a new one, and the journal followed again. */
static int ssh_follow(struct tconn *tc, const char *uuid, long from, struct err *e)
{
    struct ssh_conn *c = (struct ssh_conn *)tc;
    ssh_close(c->s);
    c->s = NULL;
    if (ssh_open(c->h, c->cfg, c->h->connect_timeout_s, &c->s, e) < 0) {
        c->s = NULL;
        return -1;
    }
    return follow_stream(c, uuid, from, e);
}

static int ssh_finish(struct tconn *tc, int *status, char *tail, size_t n)
{
    struct ssh_conn *c = (struct ssh_conn *)tc;
    if (!c->s) {
        *status = -1;
        tail[0] = '\0';
        return 0;
    }
    return ssh_stream_end(c->s, status, tail, n);
}

static void ssh_close_op(struct tconn *tc)
{
    struct ssh_conn *c = (struct ssh_conn *)tc;
    ssh_close(c->s);
    free(c->bdir);
    free(c);
}

const struct transport transport_ssh = {
    .name = "ssh",
    .needs_address = 1,
    .on_controller = 0,
    .connect = ssh_connect,
    .ensure_bundle = ssh_ensure_bundle,
    .put_dir = ssh_put_dir,
    .exec = ssh_exec,
    .start_agent = ssh_start_agent,
    .read = ssh_read_op,
    .follow = ssh_follow,
    .finish = ssh_finish,
    .close = ssh_close_op,
};
