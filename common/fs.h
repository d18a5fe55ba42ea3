#ifndef HP_FS_H
#define HP_FS_H
/* Folders: made with their parents, removed with everything in them. */

/* mkdir -p (mode 0755); -1 with errno set. */
int fs_mkdirs(const char *path);
/* rm -rf without following symlinks; a path that is not there is no error.
 * -1 with errno set for the first entry that cannot be removed. */
int fs_rm_tree(const char *path);

#endif
