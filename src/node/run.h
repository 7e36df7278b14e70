/*
 * run.h - the run lock: which vios process is using a home's store or its
 * git repositories right now (docs/formats.md, "Run lock", vios-run-1).
 *
 * Each resource is a file in <home>/run/ ("store", "repos"), mode 0600.
 * A process uses the resource while it holds an fcntl write lock on the
 * whole file, and writes "vios-run-1 <pid> <command>\n" into it once it
 * holds it. The kernel drops the lock when the process ends, however it
 * ends (kill -9 included), so an entry whose lock nobody holds is stale and
 * ignored: there is nothing to clean up and no pid to guess at. A process
 * that must wait asks the kernel who holds the lock (F_GETLK) and reads the
 * command name from the file when the pid there matches.
 *
 * fcntl locks belong to the process: holds are counted per process and
 * resource, and the file stays open (one descriptor) until the last
 * release, since closing any descriptor of the file would drop the lock.
 * Not for threads racing each other over one resource.
 */
#ifndef VIOS_RUN_H
#define VIOS_RUN_H

#include <stddef.h>

typedef enum {
	VIOS_RUN_STORE, /* store.db: the record store (held while it is open) */
	VIOS_RUN_REPOS  /* outbox.git: the node's git repository */
} vios_run_what;

/* How long a hold waits for another vios by default. */
#define VIOS_RUN_WAIT_MS 10000

/* The command word this process runs (e.g. "sync"), written into the
 * entries it holds; never arguments. Borrowed: a static string. */
void vios_run_set_command(const char *command);

/*
 * Holds `what` of home for this process, waiting up to wait_ms for another
 * vios to let go. 1 when this call took the lock (the first hold in this
 * process), 0 when the process held it already. When another vios keeps
 * it: VIOS_ERROR with one line, "another vios (pid 4242, sync) is using
 * this store; try again when it has finished".
 */
int vios_run_hold(const char *home, vios_run_what what, int wait_ms);

/* Gives one hold back; the lock goes with the last. */
void vios_run_release(const char *home, vios_run_what what);

/*
 * Who holds `what` of home, other than this process: *pid 0 when nobody
 * (stale entries are nobody). command (may be NULL) gets the command word,
 * or "" when the entry does not say. Never fails: an unreadable entry reads
 * as nobody.
 */
void vios_run_holder(int *pid, char *command, size_t len, const char *home, vios_run_what what);

#endif
