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
 * The new commit's id goes to *out. Durable as the outbox's flush is: the
 * objects are synced before the ref moves, the ref after (vios_git_sync), so
 * after a power cut the ref never names an object the disk lost.
 */
int vios_git_commit_files(git_oid *out, git_repository *repo, const char *ref,
			  const vios_git_file *files, size_t n, const char *message,
			  const char *name, const char *email);

/*
 * The same commit on top of commit `parent` (NULL: an empty tree, no
 * parent), moving no ref: its objects are written (loose, not synced) and
 * *out names it. vios_git_ref_move then makes it reachable.
 */
int vios_git_commit_files_on(git_oid *out, git_repository *repo, const git_oid *parent,
			     const vios_git_file *files, size_t n, const char *message,
			     const char *name, const char *email);

/* Moves ref from `from` (NULL: the ref must not exist yet) to `to`;
 * VIOS_ERROR with "moved while vios was writing" when it is elsewhere. */
int vios_git_ref_move(git_repository *repo, const char *ref, const git_oid *from, const git_oid *to,
		      const char *message);

/*
 * Makes everything written so far to the file system of repo's directory
 * durable (syncfs): libgit2 writes loose objects and refs without a sync,
 * and ext4 writes a new file's data only when it gets to it, so after a
 * power cut a ref can name objects that came back empty. A writer syncs
 * after writing objects and before moving the ref that names them, and
 * again before it forgets what it wrote (docs/faults.md).
 */
int vios_git_sync(git_repository *repo);

/* The commit a ref points at; VIOS_ENOTFOUND when there is no such ref. */
int vios_git_ref_oid(git_oid *out, git_repository *repo, const char *ref);

/*
 * Bounds on what vios inflates. A git object is stored compressed: a blob of
 * 1 GiB of zeros takes 1 MB on disk and in a pack, and libgit2 inflates a
 * whole object into memory when it is looked up. So every object vios reads
 * has its size and type taken from its header first (git_odb_read_header,
 * which inflates a few bytes), and a wrong type or an object over the
 * caller's bound is refused before anything is inflated.
 *
 * VIOS_GIT_OBJECT_MAX bounds the objects vios reads without a tighter bound
 * of its own (commits, trees) and every object a fetch from a path brings:
 * twice the largest bundle (VIOS_BUNDLE_MAX_AGE, 64 MiB), and a bundles/ tree
 * of about a million bundles.
 */
#define VIOS_GIT_OBJECT_MAX ((size_t)128 << 20)
/* A commit: vios's hold a bundle's signed header (at most 16 KiB) as the
 * message, or a line for the registry. */
#define VIOS_GIT_COMMIT_MAX ((size_t)1 << 20)

/*
 * Reads object oid, which must be of type `type` and at most max bytes, into
 * a malloc'd buffer (+NUL). Its header is read first: a wrong type or an
 * object over max is VIOS_ECORRUPT with one line naming `what` (a path, or
 * e.g. "a bundle") and the object, and nothing is inflated. The one place
 * vios reads an object's content (vios_git_read_blob, the audit, the hook).
 */
int vios_git_read_object(uint8_t **out, size_t *len, git_repository *repo, const git_oid *oid,
			 git_object_t type, size_t max, const char *what);

/* The header check of vios_git_read_object alone, before a libgit2 lookup
 * (git_commit_lookup, git_tree_lookup) inflates the object. */
int vios_git_check_object(git_repository *repo, const git_oid *oid, git_object_t type, size_t max,
			  const char *what);

/*
 * libgit2's lookups of a commit, a tree and a commit's tree, each object's
 * header checked first by vios_git_check_object (a commit at most
 * VIOS_GIT_COMMIT_MAX, a tree at most VIOS_GIT_OBJECT_MAX, each of its
 * type): what vios calls instead of git_commit_lookup, git_tree_lookup and
 * git_commit_tree. `what` names the tree in the error. *out is NULL on
 * failure; the caller frees it with git_commit_free / git_tree_free.
 */
int vios_git_commit_lookup(git_commit **out, git_repository *repo, const git_oid *oid);
int vios_git_tree_lookup(git_tree **out, git_repository *repo, const git_oid *oid, const char *what);
int vios_git_commit_tree(git_tree **out, git_repository *repo, const git_oid *commit);

/*
 * Reads the file at path in commit's tree (at most max bytes, +NUL) through
 * vios_git_read_object. Every step of the path must be a directory and the
 * last a regular file (mode 100644 or 100755): a symbolic link (120000), a
 * submodule link (160000) or a directory there is VIOS_ECORRUPT, never
 * followed or read. A missing path is VIOS_ENOTFOUND.
 */
int vios_git_read_blob(uint8_t **out, size_t *len, git_repository *repo,
		       const git_oid *commit, const char *path, size_t max);

/* Every file path in commit's tree, malloc'd array of malloc'd strings. A
 * symbolic link or submodule link anywhere in the tree is VIOS_ECORRUPT
 * naming it: vios's trees hold regular files only. */
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
 * Logins and server checks: sync/cred.h (each source of a login once, never
 * a loop; a URL with a password in it is VIOS_EUSAGE before anything else).
 *
 * Bounded: a transfer that has received more than the fetch bound
 * (vios_git_set_fetch_max, VIOS_GIT_FETCH_MAX by default) is stopped, and
 * from a path (or file://) every object the fetch would bring is checked by
 * its header first (commits, trees, blobs: type, at most
 * VIOS_GIT_OBJECT_MAX), because libgit2's local transport inflates each
 * object whole to pack it. Either refusal is VIOS_ECORRUPT with one line;
 * nothing is fetched. Over the network (git://, ssh) the objects arrive
 * compressed, are indexed as a stream, and the readers bound them.
 */
int vios_git_fetch(git_repository *repo, const char *url, const char *const *refspecs, size_t n);

/*
 * The fetch bound: bytes of pack one fetch may receive. Default 2 GiB, 32
 * bundles at their 64 MiB maximum (VIOS_BUNDLE_MAX_AGE) in one fetch, which
 * a real hub's bundles (kilobytes each) do not come near. 0 restores the
 * default.
 */
#define VIOS_GIT_FETCH_MAX ((uint64_t)2 << 30)
void vios_git_set_fetch_max(uint64_t bytes);

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

/*
 * Consolidates a repository's packs, as `git gc --auto` does after a push to
 * a git server: a push over a path, file:// or a USB stick (libgit2's local
 * transport) leaves one pack per push and nothing joins them, while libgit2
 * looks an object up pack by pack (docs/performance.md, "bench-scale").
 *
 * Nothing is done while objects/pack holds at most `threshold` packs (a
 * .pack with its .idx; a pack with a .keep file is never counted or
 * touched, as in git). Past it, the packs are rolled up geometrically (git
 * repack --geometric=2, by bytes): the largest packs that already form a
 * progression (each at least twice the next smaller one, and twice what is
 * rolled up) stay, every other pack and every loose object is written into
 * one new pack, so a repository keeps fewer than log2(its bytes) packs and
 * an object is rewritten O(log n) times over its life, not at every merge.
 * No deltas are computed (vios's blobs are encrypted bundles).
 *
 * Safe beside writers (a push landing meanwhile): the packs and loose
 * objects are listed first, every object they hold is copied whether
 * reachable or not, the new pack and its index are fsynced and checked to
 * hold each listed object, and only then are exactly the listed packs and
 * loose objects removed; a pack or object that appeared after the listing
 * is never touched. A failure before the removal leaves every old file in
 * place (at worst a new pack beside them, whose objects are duplicates).
 *
 * Other handles on the repository (repo's too) read on: what they have
 * open stays readable, and libgit2 looks objects/pack over again when an
 * object is in none of the packs it knows. *out says what was found and done.
 */
typedef struct {
	size_t packs;   /* packs found (with their index, no .keep) */
	size_t rolled;  /* of which rolled up into the new pack; 0: nothing was done */
	size_t loose;   /* loose objects rolled up with them */
	size_t objects; /* objects in the new pack */
	size_t left;    /* packs in objects/pack afterwards (the new one, the kept ones) */
} vios_git_repack_report;

/* The threshold vios uses (hub merge): past it, a roll-up. git gc --auto's
 * is 50 (gc.autoPackLimit); 32 keeps the packs an object lookup may walk
 * under about 32 + log2 of the repository's size, and costs a merge one
 * directory listing when under it. */
#define VIOS_GIT_REPACK_PACKS 32

int vios_git_repack(vios_git_repack_report *out, git_repository *repo, size_t threshold);

/*
 * Turns off libgit2's delta search for the packs other handles build from
 * repo: libgit2's local transport (a fetch from repo's path, file:// or a
 * stick, as hub merge's from the hub repository) opens repo itself and
 * builds the pack it sends with the configuration on disk, trying every
 * object against ten others (vios's blobs are encrypted bundles: nothing to
 * gain). Sets pack.deltaCacheSize = 1 in repo's own config file when it is
 * not (the key libgit2 reads its big-file threshold from; see
 * vios_git_repack). Stock git reads the same key as the size of its delta
 * cache: it then computes a delta it found again when writing it, still
 * correct.
 */
int vios_git_config_nodelta(git_repository *repo);

#endif
