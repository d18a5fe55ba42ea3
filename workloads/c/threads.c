/* c-threads: the fast engine. Inputs are mapped and cut at line starts
 * into chunks that the threads take in turn (so a slower core simply does
 * fewer); each line goes through a fast parser specialised to its schema,
 * with the exact parser of rows.h behind it for anything unusual, and is
 * folded into per-thread partial aggregates merged at the end. Errors are
 * located per chunk and the one with the smallest line number wins.
 * threads/input.h holds the input handling, threads/TASK.c each task. */
#include "csv.h"
#include "rows.h"
#include "fastrow.h"
#include "hmap.h"
#include "numeric_kernel.h"
#include "tasks.h"
#include "vexp.h"
#include "../../common/err.h"
#include "../../common/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* On x86-64 this file is built twice, for x86-64-v3 (AVX2, BMI, POPCNT)
 * and for the baseline, each with its own entry point; threads-main.c runs
 * the one the CPU can (one binary, portable and fast). HP_ISA names it. */
#ifndef THREADS_MAIN
#define THREADS_MAIN main
#endif
#if defined(__AVX2__) && defined(__BMI2__)
#define HP_ISA "x86-64-v3"
#elif defined(FR_NEON)
#define HP_ISA "aarch64-neon"       /* fastrow.h's NEON line scanner */
#else
#define HP_ISA "baseline"
#endif

#include "threads/input.h"
#include "threads/numeric.c"
#include "threads/groupby.c"
#include "threads/join.c"
#include "threads/sessionize.c"
#include "threads/stream_score.c"

int THREADS_MAIN(int argc, char **argv);

int THREADS_MAIN(int argc, char **argv)
{
    return engine_main_all(argc, argv, "c-threads", numeric, groupby, join, sessionize, stream_score);
}
