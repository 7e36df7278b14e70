/*
 * pool.h - the one worker pool: jobs run on a few threads beside the
 * thread that submits them, and that thread collects them in the order it
 * chooses. The exporter seals a bundle's payload on it (sync/bundle_export.c)
 * while its own thread goes on with the store.
 *
 * A job is a function and its argument; the pool never looks inside. The
 * submitting thread owns every argument: it may read a job's results only
 * after vios_pool_wait() returned for it. A job must not touch anything the
 * submitting thread uses meanwhile (the store's connection above all): it
 * gets its inputs copied or read-only, and leaves its results in its
 * argument, its error included (util/error.h's last error is per thread).
 *
 * Workers take the queued job submitted first. vios_pool_wait() on a job
 * no worker took yet runs it on the caller's thread, and while its job
 * runs on a worker it runs other queued jobs: a pool of no workers runs
 * every job at a wait, and a caller that waits never sits idle while
 * jobs are queued.
 */
#ifndef VIOS_POOL_H
#define VIOS_POOL_H

#include <stddef.h>

typedef struct vios_pool vios_pool;
typedef void (*vios_pool_fn)(void *arg);

/* Workers at most (VIOS_SEAL_THREADS, vios_pool_workers). */
#define VIOS_POOL_MAX_WORKERS 8

/*
 * How many workers a pool beside one busy thread should have: the
 * processors this process may run on, less the one it runs on, at most 3
 * (deflate and X25519 gain little past that here, and a school's laptop
 * has other work); VIOS_SEAL_THREADS=N (0 to VIOS_POOL_MAX_WORKERS) in
 * the environment overrides it (0: everything on the caller's thread).
 */
unsigned vios_pool_workers(void);

/* A pool of `workers` threads (0: none), started when the first job comes.
 * 0, or the vios_error_nomem() code. */
int vios_pool_new(vios_pool **out, unsigned workers);

/* Queues fn(arg) as the next job; *ticket names it for vios_pool_wait.
 * 0, or the vios_error_nomem() code (the job is not queued). A worker
 * that cannot be started is not an error: its jobs run at their waits. */
int vios_pool_submit(vios_pool *p, vios_pool_fn fn, void *arg, size_t *ticket);

/* 1 when job ticket has run (its results may be read), else 0; never waits. */
int vios_pool_done(vios_pool *p, size_t ticket);

/* Returns once job ticket has run: it runs on this thread when no worker
 * took it yet; while a worker runs it, this thread runs the jobs still
 * queued, first first (so it may return a while after its job is done). */
void vios_pool_wait(vios_pool *p, size_t ticket);

/* Waits for the jobs running, drops the queued ones (they never run: their
 * arguments are the caller's to free), stops the workers and frees p.
 * NULL is a no-op. */
void vios_pool_free(vios_pool *p);

#endif
