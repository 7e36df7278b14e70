/*
 * net.h - vios on the network: every transfer bounded in time, the store
 * let go while the network is waited on, sticks told from URLs, and what a
 * killed vios left in the node's repository cleared (docs/network.md).
 *
 * Timeouts. libgit2 1.5 has none, so vios registers its own standard
 * stream (git2/sys/stream.h): a TCP socket whose connect is bounded by
 * net.connect_timeout and whose every read and write waits at most
 * net.idle_timeout (node/config.h; 30 s and 120 s by default). git:// uses
 * it directly and https through mbedTLS, which wraps it; libgit2's ssh
 * transport hands the socket to libssh2, which reads it itself, so the
 * stream also runs a watchdog that shuts the socket down when the kernel
 * saw no data in either direction for the idle timeout (TCP_INFO). A
 * transfer that times out is one line naming the remote (its password, if
 * the URL has one, never shown) and the setting, VIOS_ERROR. Paths and
 * file:// take no network and no timeout.
 *
 * The store. vios_net_fetch and vios_net_push let go of the store
 * (vios_store_release) for a transfer over the network and take it back
 * afterwards: a stalled hub never keeps another command off the store. A
 * transfer from or to a path keeps the store (nothing to wait on).
 */
#ifndef VIOS_NET_H
#define VIOS_NET_H

#include <git2.h>
#include <stddef.h>

#include "store/store.h"

/*
 * Reads the timeouts from home's settings (home NULL: the defaults) and
 * installs them for every network transfer this process makes from now on
 * (the stream is registered once). vios_net_fetch and vios_net_push call it.
 */
int vios_net_configure(const char *home);

/* After a transfer made with vios_git_fetch or _push directly: when a
 * timeout ran out, its one line (naming url, password hidden) replaces
 * libgit2's and VIOS_ERROR is returned; otherwise error as it was, with
 * any password of url in its message replaced by "***". */
int vios_net_timed(int error, const char *url);

/* vios_git_fetch / vios_git_push with the timeouts of st's home, st let go
 * of for the transfer (no transaction may be open) and taken back after.
 * A timeout is VIOS_ERROR with the one line described above. */
int vios_net_fetch(vios_store *st, git_repository *repo, const char *url, const char *const *refspecs, size_t n);
int vios_net_push(vios_store *st, git_repository *repo, const char *url, const char *const *refspecs, size_t n);

/*
 * Before a command that uses the node's repository takes it (vios_trust_repo):
 * when another vios holds it, lets go of the store while waiting (as long as
 * vios_run_hold waits), so a record command is not kept waiting behind a
 * command that itself waits; then takes the store back. 0 when the
 * repository was free (or this process's) at some moment; the run lock's
 * error naming the holder when it never was. No transaction may be open.
 */
int vios_net_wait_repo(vios_store *st);

/* 1 when s is a remote's URL rather than a path: scheme://... (git, ssh,
 * http, https, file) or scp-like [user@]host:path (a ':' before any '/'). */
int vios_net_is_url(const char *s);

/* url with any password in it replaced by "***" (for messages). */
void vios_net_url_redact(char *out, size_t len, const char *url);

/*
 * A stick (a USB stick's repository) given as --via PATH must already be
 * one: an existing bare git repository. Otherwise VIOS_ENOTFOUND with one
 * line, "PATH is not a vios stick: mount it, or run 'vios stick init
 * PATH'", and nothing is created.
 */
int vios_net_stick_check(const char *path);

/* vios stick init PATH: a new bare repository at path (made when missing;
 * an existing path must be an empty directory: VIOS_EEXISTS otherwise),
 * mode 0700, with HEAD at the registry. */
int vios_net_stick_init(const char *path);

/*
 * What a vios killed while it wrote repo_path (a bare repository of the
 * node's own) may have left: git's lock files (refs/...lock, packed-refs.lock,
 * config.lock, HEAD.lock) and temporary object and pack files. Only called
 * by the process that holds the repository's run lock (node/run.h), so
 * whoever made them is gone. *cleared counts what was removed.
 */
int vios_net_clear_stale(size_t *cleared, const char *repo_path);

/* Files vios_net_clear_stale removed in this process, for a warning. */
size_t vios_net_stale_cleared(void);

#endif
