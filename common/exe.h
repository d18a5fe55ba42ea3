#ifndef HP_EXE_H
#define HP_EXE_H

/* The folder above the one holding the running program: for bin/PROGRAM,
 * the hotpath (or bundle) root. Caller frees. */
char *exe_root(void);

#endif
