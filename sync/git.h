/*
 * git.h - the few libgit2 operations vios needs, with libgit2's errors
 * turned into vios errors in one place.
 *
 * Repositories are bare. Commits are made from in-memory trees (no index
 * file, no work tree) and refs are moved with compare-and-swap, so two
 * writers never lose each other's commit silently.
 */
#ifndef VIOS_GIT_H
#define VIOS_GIT_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

/* Turns a libgit2 failure into a vios error naming `what`; returns the vios code. */
int vios_git_error(int rc, const char *what);

/* git_libgit2_init once per process. */
int vios_git_init(void);

/* Opens the bare repository at path; with create, makes it when missing. */
int vios_git_open(git_repository **out, const char *path, int create);

typedef struct {
	const char *path; /* inside the tree, e.g. "registry/nodes/<id>.json" */
	const void *data;
	size_t len;
} vios_git_file;

/*
 * Commits files on top of the tree of `ref` (or an empty tree when the ref
 * does not exist), replacing files at the same paths, and moves `ref` to the
 * new commit only if it still points where it did (VIOS_ERROR otherwise).
 * The new commit's id goes to *out.
 */
int vios_git_commit_files(git_oid *out, git_repository *repo, const char *ref,
			  const vios_git_file *files, size_t n, const char *message,
			  const char *name, const char *email);

/* The commit a ref points at; VIOS_ENOTFOUND when there is no such ref. */
int vios_git_ref_oid(git_oid *out, git_repository *repo, const char *ref);

/* Reads the blob at path in commit's tree (at most max bytes, +NUL). */
int vios_git_read_blob(uint8_t **out, size_t *len, git_repository *repo,
		       const git_oid *commit, const char *path, size_t max);

/* Every blob path in commit's tree, malloc'd array of malloc'd strings. */
int vios_git_list(char ***out, size_t *n, git_repository *repo, const git_oid *commit);
void vios_git_list_free(char **list, size_t n);

/*
 * Progress of a transfer, for a terminal: objects received/total and bytes
 * (fetch), or objects sent/total and bytes (push). Called by libgit2's
 * callbacks; the library itself never prints.
 */
typedef void (*vios_git_progress_fn)(void *ctx, const char *what, size_t done, size_t total, size_t bytes);
void vios_git_set_progress(vios_git_progress_fn fn, void *ctx);

/*
 * Fetches refspecs ("+src:dst") from url (a path or a URL) into repo with an
 * anonymous remote: nothing is written to the repository's config.
 * Credentials: an ssh agent key once, nothing else; a second request fails
 * instead of looping.
 */
int vios_git_fetch(git_repository *repo, const char *url, const char *const *refspecs, size_t n);

/*
 * Pushes refspecs (no "+": fast-forward only) to url. A ref the remote
 * rejects (not a fast-forward, refused by a hook) is reported through
 * libgit2's push_update_reference callback, not its return value: both are
 * checked, and a rejection is VIOS_EVERIFY naming the ref and the reason.
 * An unreachable remote is VIOS_ERROR.
 */
int vios_git_push(git_repository *repo, const char *url, const char *const *refspecs, size_t n);

/* *out = 1 when commit equals ancestor or descends from it. */
int vios_git_descends(int *out, git_repository *repo, const git_oid *commit, const git_oid *ancestor);

/* Sets ref to oid unconditionally (for refs vios owns). */
int vios_git_set_ref(git_repository *repo, const char *ref, const git_oid *oid, const char *log);

#endif
