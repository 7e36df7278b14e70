/*
 * chain.h - the one verifier of a node ref's history.
 *
 * A node's ref on a hub is a straight line of commits, each adding exactly
 * the next bundles/<seq>.age and its .age.minisig and nothing else. Every
 * reader walks a ref through vios_chain_walk before it takes anything from
 * it: vios sync and join (a node catching up), vios hub merge (with and
 * without --via), vios hub revoke (the last seq the hub verified), the git
 * server's hook (vios hub check-push) and audit verify. The rules live here
 * once, so a reader and the auditor cannot come to disagree; what a caller
 * adds (the sender's signature against its registry, the recipients against
 * the covenant, the import itself) it adds in its bundle callback.
 *
 * The rules, per commit after the start: exactly one parent (the first
 * commit of a ref none); the tree holds only bundles/, regular files named
 * by seq; the commit adds exactly one pair, the next seq, and changes,
 * removes or adds nothing else; its message is "vios bundle <seq>". Per
 * bundle: a signature file beside it whose trusted comment is a bundle
 * header naming the ref's node as sender and the file's seq as its seq,
 * with the prev hash of the bundle before it (all-zero for seq 1).
 */
#ifndef VIOS_CHAIN_H
#define VIOS_CHAIN_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/payload.h"

/* What a walk found wrong. */
typedef struct {
	long long seq;      /* the bundle it is about; 0 for a commit as a whole */
	int breaking;       /* the bundles from cut on cannot be trusted (the audit's replay stops
			     * there); a reader refuses the ref on any finding */
	long long cut;      /* breaking: the first seq no reader may take */
	int of_bundle;      /* about the bundle now being checked (its callback follows) */
	uint64_t hlc;       /* that bundle's header clock, 0 when unknown */
	const char *what;   /* one line, no node id (the caller names the node) */
} vios_chain_finding;

/* One bundle of the chain, after the chain's own checks on it. */
typedef struct {
	long long seq;                  /* from its file name */
	const uint8_t *age;
	size_t agelen;
	const char *sig;                /* NULL when missing or unreadable */
	size_t siglen;
	const git_oid *age_id, *sig_id; /* sig_id NULL as sig */
	const vios_bundle_header *hdr;  /* the signature's trusted comment, parsed but NOT verified; NULL when none */
	const char *trusted;            /* that comment's text; NULL as hdr */
	const char *hash;               /* BLAKE2b-256 of age, hex */
	git_commit *commit;             /* the commit that added it */
	int sound;                      /* 1 when the chain found nothing breaking about it */
} vios_chain_bundle;

/* Callbacks return < 0 for an error (the walk returns it), 0 to go on, > 0
 * to stop the walk (it returns that value). */
typedef struct {
	int (*finding)(void *ctx, const vios_chain_finding *f);
	int (*bundle)(void *ctx, const vios_chain_bundle *b);
	void *ctx;
} vios_chain_fns;

/* The most commits one walk reads. */
#define VIOS_CHAIN_MAX_COMMITS 10000000

/*
 * Walks node_id's ref from the commit after `from` to head, oldest first.
 * from is the head a reader verified before (NULL: from the ref's first
 * commit); when head does not descend from it, the ref was rewritten: one
 * breaking finding (cut 1) and nothing else is read. Every object is read
 * with its size and type checked first (git.h), and a directory inside
 * bundles/ (or inside any directory beside it) is refused unread before
 * the trees are compared: those are VIOS_ECORRUPT, one line, not findings.
 * Returns 0, a callback's value, or < 0.
 */
int vios_chain_walk(git_repository *repo, const char *node_id, const git_oid *head, const git_oid *from,
		    const vios_chain_fns *fns);

/* vios_chain_walk without callbacks of one's own: 0 when the ref holds to
 * every rule, 1 with the first finding in why ("seq N: what"), or < 0. */
int vios_chain_verify(char *why, size_t len, git_repository *repo, const char *node_id, const git_oid *head,
		      const git_oid *from);

/* The first-parent history from head back to stop (exclusive; NULL: to the
 * root), oldest first, with the number of commits with more than one parent.
 * *reached 1 when stop was met (always 1 for NULL). Every commit and its
 * trees are size-checked before they are read. */
int vios_chain_history(git_oid **out, size_t *n, size_t *merges, int *reached, git_repository *repo,
		       const git_oid *head, const git_oid *stop);

/* The highest seq among the bundles in commit's tree (0 when none) and,
 * with hash, that bundle's BLAKE2b-256 in hex. */
int vios_chain_top(long long *seq, char hash[65], git_repository *repo, const git_oid *commit);

/* The trusted comment of a signature file (the bundle header), unverified,
 * malloc'd into *out: VIOS_ECORRUPT saying why when the file is not a
 * minisign signature or its comment is empty. The one reader of it, for
 * import, the chain and the audit. */
int vios_chain_peek_header(char **out, const char *sig, size_t siglen);

/* The message of the commit that adds bundle seq. */
void vios_chain_message(char *out, size_t len, long long seq);

#endif
