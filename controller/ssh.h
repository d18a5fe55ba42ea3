#ifndef HP_SSH_H
#define HP_SSH_H
/* SSH through libssh2 (transport-ssh.c is the only file that includes
 * libssh2.h): connections with host key checking, agent or key file
 * authentication, a bastion, commands, streams and SFTP uploads. */
#include "../common/buf.h"

struct err;
struct cfg;
struct host_cfg;
struct ssh;

/* Connects to h (through its jump host, looked up by name in c) within
 * timeout_s, checks the host key and authenticates. */
int ssh_open(const struct host_cfg *h, const struct cfg *c, double timeout_s, struct ssh **s,
             struct err *e);
void ssh_close(struct ssh *s);

/* Runs a command to its end: stdout into out (capped), the tail of stderr
 * into err, the exit status. -1 on a transport error. */
int ssh_run(struct ssh *s, const char *cmd, struct buf *out, struct buf *err, int *status,
            double timeout_s, struct err *e);

/* A long-running command read as it comes. ssh_read returns the count of
 * bytes it put in buf, 0 at the end, -1 on error, TRANSPORT_LOST (-2) when
 * nothing (not even a keepalive reply) came for lost_after_s seconds. */
int ssh_stream(struct ssh *s, const char *cmd, struct err *e);
long ssh_read(struct ssh *s, char *buf, size_t n, double lost_after_s, struct err *e);
int ssh_stream_end(struct ssh *s, int *status, char *err_tail, size_t n);

/* Uploads a local file: written under a temporary name, then renamed. */
int ssh_put(struct ssh *s, const char *local, const char *remote, long mode, struct err *e);
int ssh_put_text(struct ssh *s, const char *text, const char *remote, struct err *e);
/* mkdir -p over SFTP. */
int ssh_mkdirs(struct ssh *s, const char *path, struct err *e);
int ssh_rename(struct ssh *s, const char *from, const char *to, struct err *e);

/* Appends arg as one word of a POSIX shell command line. */
void ssh_quote(struct buf *out, const char *arg);
/* One remote command line: the host's exec_prefix words, then argv, each
 * quoted. */
char *ssh_command(const struct host_cfg *h, char *const *argv);
/* The agent of the bundle in bdir, through `env HOTPATH_HOME=...` when the
 * host has a workdir: fills argv from index 0 and returns the next index;
 * owned[0..1] are the caller's to free. */
int ssh_agent_argv(const struct host_cfg *h, const char *bdir, char **argv, char **owned);
/* Appends arg as one word of a cmd.exe command line (bare, or in double
 * quotes); -1 for a word cmd.exe cannot be given (%, ", !, line breaks). */
int ssh_cmd_word(struct buf *out, const char *arg);
/* A POSIX command made safe for cmd.exe and wsl.exe: its bytes in base64,
 * decoded and run by sh on the far side (`sh -c "echo B64 | base64 -d |
 * sh"`: no character cmd.exe or wsl.exe treats specially is left). */
void ssh_wrap_cmd(struct buf *out, const char *posix_cmd);
/* A path under the host's workdir as SFTP names it: the workdir prefix
 * replaced by sftp_workdir (WSL's /mnt/c/... is Windows' C:/...); any
 * other path as it is. Caller frees. */
char *ssh_sftp_path(const struct host_cfg *h, const char *path);

#endif
