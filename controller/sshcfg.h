#ifndef HP_SSHCFG_H
#define HP_SSHCFG_H
/* Hosts as the user's ssh knows them: an ssh host's `address` may be a Host
 * alias of ~/.ssh/config (or of $HOTPATH_SSH_CONFIG). OpenSSH itself does
 * the resolving (`ssh -G ALIAS`); HostName, User, Port, IdentityFile and
 * ProxyJump are taken from it, and a key set in hotpath's own configuration
 * wins over the ssh one. */
#include <jansson.h>

struct cfg;
struct err;

/* `ssh -G` output ("key value" lines) as a JSON object; a key given more
 * than once (identityfile) holds an array of its values, in order. */
json_t *sshcfg_parse(const char *text);

/* Resolves every ssh host of c->hosts, recording in its `ssh_resolved`
 * what came from where. ProxyJump hops become jump hosts of their own
 * (named "jump:HOP"), appended to c->all_hosts. */
int sshcfg_apply(struct cfg *c, struct err *e);

#endif
