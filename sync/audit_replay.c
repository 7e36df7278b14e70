/*
 * audit_replay.c - replay of the verified history, in clock order, into a throwaway store. See
 * audit.h for the contract and audit_internal.h for how the audit's files divide the work.
 */
#include "sync/audit_internal.h"
#include "crdt/crdt.h"
#include "crypto/age.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "util/error.h"
#include "util/util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- replay ------------------------------------------------------------------ */

typedef struct {
	aref *r;
	git_tree *bundles; /* the head's bundles tree */
	long long seq;     /* the next seq */
	long long limit;   /* the last seq to replay */
	vios_bundle_header h;
	int have;          /* h holds seq's header */
} cursor;

static int read_entry(uint8_t **out, size_t *len, git_repository *repo, git_tree *t, const char *name, size_t max)
{
	const git_tree_entry *e = git_tree_entry_byname(t, name);

	*out = NULL;
	if (e == NULL || git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		vios_error_set(VIOS_ERR_BUNDLE, VIOS_BUNDLES_DIR "%s is missing", name);
		return VIOS_ENOTFOUND;
	}
	return audit_read_blob(out, len, repo, git_tree_entry_id(e), max);
}

/* Reads the header of c->seq (verified before: the mirror does not change). */
static int cursor_peek(vios_audit *a, cursor *c)
{
	char name[VIOS_LAYOUT_PATH_MAX];
	uint8_t *sig = NULL;
	size_t siglen;
	char *peek = NULL;
	int error;

	vios_bundle_header_dispose(&c->h);
	c->have = 0;
	if (c->seq > c->limit)
		return 0;
	vios_layout_bundle_name(name, c->seq, 1);
	if ((error = read_entry(&sig, &siglen, a->repo, c->bundles, name, VIOS_BUNDLE_SIG_MAX)) < 0)
		return error;
	if ((error = audit_peek_trusted(&peek, (char *)sig, siglen)) == 0)
		error = vios_bundle_header_parse(&c->h, peek);
	free(peek);
	free(sig);
	if (error == 0)
		c->have = 1;
	return error;
}

/* cursor_peek, where a bundle that cannot be read stops its sender's chain. */
static int peek_or_cut(vios_audit_replay_report *out, vios_audit *a, cursor *c)
{
	int error = cursor_peek(a, c);

	if (error == VIOS_ENOTFOUND || error == VIOS_ECORRUPT) {
		out->cut += (size_t)(c->r->last_seq >= c->seq ? c->r->last_seq - c->seq + 1 : 1);
		if (!out->first_cut[0])
			snprintf(out->first_cut, sizeof(out->first_cut), "node %s seq %lld: %s", c->r->id, c->seq,
				 vios_error_last());
		c->limit = c->seq - 1;
		c->have = 0;
		error = 0;
	}
	return error;
}

static int cursor_less(const cursor *x, const cursor *y)
{
	int k;

	if (x->h.hlc != y->h.hlc)
		return x->h.hlc < y->h.hlc;
	if ((k = strcmp(x->r->id, y->r->id)) != 0)
		return k < 0;
	return x->seq < y->seq;
}

/* Decrypts, reads and merges one bundle; VIOS_ECORRUPT/EVERIFY when it does not open. */
static int replay_one(vios_audit_replay_report *out, vios_audit *a, vios_store *st, const vios_node *node, cursor *c)
{
	const uint8_t *ids[1] = { node->age_sk };
	uint8_t *age = NULL, *gz = NULL;
	size_t agelen = 0, gzlen = 0, n = 0;
	vios_crdt_op *ops = NULL;
	vios_crdt_report rep;
	char name[VIOS_LAYOUT_PATH_MAX];
	int error;

	vios_layout_bundle_name(name, c->seq, 0);
	if ((error = read_entry(&age, &agelen, a->repo, c->bundles, name, VIOS_BUNDLE_MAX_AGE)) < 0)
		goto done;
	if ((error = vios_age_decrypt_buf(&gz, &gzlen, age, agelen, ids, 1, VIOS_BUNDLE_MAX_AGE)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_BUNDLE, "it cannot be decrypted: %s", why);
		error = VIOS_ECORRUPT;
		goto done;
	}
	if ((error = vios_bundle_payload_read(&ops, &n, gz, gzlen, &c->h)) < 0 ||
	    (error = vios_crdt_apply(&rep, st, ops, n, c->h.sender)) < 0)
		goto done;
	out->applied++;
	out->ops += rep.applied;
done:
	if (gz) {
		sodium_memzero(gz, gzlen);
		free(gz);
	}
	if (ops)
		vios_crdt_ops_free(ops, n);
	free(age);
	return error;
}

int vios_audit_replay(vios_audit_replay_report *out, vios_audit *a, const vios_node *node,
		      uint64_t until_ms, const char *for_node, const char *category)
{
	vios_store *st = NULL;
	cursor *cs = NULL;
	size_t nc = 0;
	char sub[PATH_MAX];
	int error;

	memset(out, 0, sizeof(*out));
	if (!a->verified) {
		vios_error_set(VIOS_ERR_INPUT, "replay needs the verification first");
		return VIOS_ERROR;
	}
	if (node->age_sk == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "replay needs the node unlocked");
		return VIOS_ERROR;
	}
	if (vios_snprintf(sub, sizeof(sub), "%s/replay", a->dir) < 0)
		return VIOS_ERROR;
	if (mkdir(sub, 0700) < 0)
		return vios_error_os("cannot make %s", sub);
	if ((error = vios_crdt_store_open_temp(&st, node, sub)) < 0)
		return error;
	if ((cs = calloc(a->nrefs + 1, sizeof(*cs))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < a->nrefs; i++) {
		aref *r = &a->refs[i];
		cursor *c = &cs[nc];
		git_commit *commit = NULL;
		git_tree *root = NULL;
		const git_tree_entry *e;
		int rc;
		if (r->cut && (until_ms == 0 || r->cut_hlc == 0 || VIOS_HLC_MS(r->cut_hlc) <= until_ms)) {
			out->cut += r->last_seq >= r->cut ? (size_t)(r->last_seq - r->cut + 1) : 1;
			if (!out->first_cut[0])
				snprintf(out->first_cut, sizeof(out->first_cut), "%s", r->cut_why);
		}
		c->r = r;
		c->seq = 1;
		c->limit = r->cut ? r->cut - 1 : r->last_seq;
		if (c->limit < 1)
			continue;
		if ((rc = git_commit_lookup(&commit, a->repo, &r->head)) < 0 || (rc = git_commit_tree(&root, commit)) < 0 ||
		    (e = git_tree_entry_byname(root, VIOS_BUNDLES_TREE)) == NULL ||
		    (rc = git_tree_lookup(&c->bundles, a->repo, git_tree_entry_id(e))) < 0) {
			git_tree_free(root);
			git_commit_free(commit);
			error = vios_git_error(rc < 0 ? rc : GIT_ENOTFOUND, "reading a node's bundles");
			goto done;
		}
		git_tree_free(root);
		git_commit_free(commit);
		nc++;
		if ((error = peek_or_cut(out, a, c)) < 0)
			goto done;
	}
	for (;;) {
		cursor *best = NULL;
		for (size_t i = 0; i < nc; i++) {
			cursor *c = &cs[i];
			if (!c->have || (until_ms && VIOS_HLC_MS(c->h.hlc) > until_ms))
				continue;
			if (best == NULL || cursor_less(c, best))
				best = c;
		}
		if (best == NULL)
			break;
		if (for_node == NULL || audit_addressed(&best->h, for_node)) {
			if (!audit_addressed(&best->h, node->node_id))
				out->not_for_me++;
			else if ((error = replay_one(out, a, st, node, best)) < 0) {
				if (error != VIOS_ECORRUPT && error != VIOS_EVERIFY && error != VIOS_ENOTFOUND)
					goto done;
				/* a bundle its sender signed but no reader can open: the
				 * sender's chain stops here, as it does at every node */
				out->cut += (size_t)(best->r->last_seq - best->seq + 1);
				if (!out->first_cut[0])
					snprintf(out->first_cut, sizeof(out->first_cut), "node %s seq %lld: %s", best->r->id,
						 best->seq, vios_error_last());
				best->limit = best->seq - 1;
			}
		}
		best->seq++;
		if ((error = peek_or_cut(out, a, best)) < 0)
			goto done;
	}
	error = vios_crdt_digest(out->digest, st, category);
done:
	for (size_t i = 0; cs && i < nc; i++) {
		vios_bundle_header_dispose(&cs[i].h);
		git_tree_free(cs[i].bundles);
	}
	free(cs);
	vios_store_free(st);
	return error;
}

