/*
 * audit_replay.c - replay of the verified history, in clock order, into a throwaway store. See
 * audit.h for the contract and audit_internal.h for how the audit's files divide the work.
 * Each sender's access log heads (vios-payload-2) are followed along its chain: a log that went
 * back is counted, and a finding when the replay records (log_follow).
 *
 * Memory stays flat as history grows: one bundle's bytes and ops at a time,
 * a header per sender's cursor, the throwaway store's page cache bounded
 * (store.c, STORE_TEMP_CACHE_KIB) and libgit2's object cache and pack windows
 * bounded (git.c). docs/performance.md has the figures.
 */
#include "sync/audit_internal.h"
#include "sync/chain.h"
#include "store/epoch.h"
#include "crdt/crdt.h"
#include "crdt/mandate.h"
#include "crypto/age.h"
#include "store/directory.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "util/error.h"
#include "util/util.h"

#include <errno.h>
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
	int waiting;       /* its bundle waits for other senders' (wait semantics) */
	long long refused; /* the seq refused for the mandate, 0 when none */
	size_t finding;    /* that refusal's finding (index), when recorded */
	long long log_seq; /* the last seq whose payload carried an access log head, 0 when none */
	vios_log_head log; /* that head */
} cursor;

/* Reads file `name` of a bundles/ tree t: a regular file (100644, as the
 * chain requires) of at most max bytes, by its header first
 * (audit_read_blob); anything else there is VIOS_ECORRUPT, unread. */
static int read_entry(uint8_t **out, size_t *len, git_repository *repo, git_tree *t, const char *name, size_t max)
{
	const git_tree_entry *e = git_tree_entry_byname(t, name);

	*out = NULL;
	if (e == NULL) {
		vios_error_set(VIOS_ERR_BUNDLE, VIOS_BUNDLES_DIR "%s is missing", name);
		return VIOS_ENOTFOUND;
	}
	if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB) {
		vios_error_set(VIOS_ERR_BUNDLE, VIOS_BUNDLES_DIR "%s has mode %06o, not a regular file (100644): refused unread",
			       name, (unsigned)git_tree_entry_filemode(e));
		return VIOS_ECORRUPT;
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
	if ((error = vios_chain_peek_header(&peek, (char *)sig, siglen)) == 0)
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

/* The mandate of each covenant version the audit verified, parsed once. */
typedef struct {
	vios_audit *a;
	vios_mandate *m;   /* m[i] for a->covs[i] */
	unsigned char *ok; /* parsed */
	vios_mandate dflt; /* no covenant at all: the defaults */
	vios_audit_node w; /* the last writer looked up */
	uint8_t **ids;     /* the auditor's live keys (replay_keys) */
	size_t nids;
} mandates;

/*
 * The auditor's live secret keys: its identity's age key unless destroyed
 * and its live epoch keys, which its own store holds (store/epoch.h). A
 * home without a store has the identity's key alone. What was sealed to a
 * destroyed key is not replayed: the auditor replays from its own store
 * within retention (docs/lifecycle.md, "Epoch keys").
 */
static int replay_keys(mandates *ms, const vios_node *node)
{
	vios_store *own = NULL;
	int error;

	if (vios_store_open(&own, node) == 0) {
		error = vios_epoch_keys(&ms->ids, &ms->nids, NULL, own);
		vios_store_free(own);
		return error;
	}
	vios_error_clear();
	if ((ms->ids = calloc(1, sizeof(*ms->ids))) == NULL)
		return vios_error_nomem();
	if (node->age_sk != NULL && (ms->ids[0] = sodium_malloc(32)) != NULL) {
		memcpy(ms->ids[0], node->age_sk, 32);
		ms->nids = 1;
	}
	return 0;
}

/*
 * The mandate of covenant `version` as the registry published it; like
 * vios_mandate_load, the newest verified when that version was never
 * published (a finding of its own), the defaults when there is none.
 */
static int mandate_of(const vios_mandate **out, mandates *ms, long long version)
{
	vios_audit *a = ms->a;
	size_t k = a->ncovs;
	json_t *doc;
	json_error_t jerr;
	int error;

	*out = &ms->dflt;
	for (size_t i = 0; i < a->ncovs; i++)
		if (a->covs[i].cov.version == version)
			k = i;
	if (k == a->ncovs)
		for (size_t i = 0; i < a->ncovs; i++)
			if (k == a->ncovs || a->covs[i].cov.version > a->covs[k].cov.version)
				k = i;
	if (k == a->ncovs)
		return 0;
	if (!ms->ok[k]) {
		if ((doc = json_loads(a->covs[k].cov.text, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
			vios_error_set(VIOS_ERR_BUNDLE, "covenant version %lld does not parse", a->covs[k].cov.version);
			return VIOS_ECORRUPT;
		}
		error = vios_mandate_parse(&ms->m[k], json_object_get(doc, "mandate"));
		json_decref(doc);
		if (error < 0)
			return error;
		ms->ok[k] = 1;
	}
	*out = &ms->m[k];
	return 0;
}

/* The writer of an op, from the registry history (not the store): chk->writer. */
static int writer_from_registry(void *ctx, const char *node_id, vios_mandate_writer *w)
{
	mandates *ms = ctx;
	const anode *n = audit_find_anode(ms->a, node_id);

	if (n == NULL)
		return VIOS_ENOTFOUND;
	ms->w = n->pub;
	w->node_id = ms->w.node_id;
	w->kind = vios_kind_index(ms->w.kind);
	w->role = vios_role_index(ms->w.role);
	w->name = ms->w.name;
	return 0;
}

/*
 * Merges ops as an import does (bundle_import.c merge_checked): judged by
 * the one judge under the mandate of the bundle's covenant version, the
 * header's categories equal to the ops', all or nothing. VIOS_EDENIED
 * (message set) for a refusal; with wait, VIOS_EWAIT when the bundle cannot
 * be judged yet (an op on a record not held, or a refusal that a bundle
 * not replayed yet may lift).
 */
static int merge_checked(vios_crdt_report *rep, vios_store *st, mandates *ms, const vios_bundle_header *h,
			 const vios_crdt_op *ops, size_t n, int wait)
{
	vios_crdt_check chk;
	int error;

	memset(&chk, 0, sizeof(chk));
	if ((error = mandate_of(&chk.mandate, ms, h->covenant_version)) < 0)
		return error;
	chk.writer = writer_from_registry;
	chk.writer_ctx = ms;
	chk.wait_unknown = wait;
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	chk.categories = h->categories & VIOS_CAT_DATA; /* the markings: audit verify judges them by the header */
	error = vios_crdt_apply_checked(rep, st, ops, n, h->sender, &chk);
	if (error == VIOS_ENOTFOUND) /* a writer no registry version enrolls */
		error = VIOS_EDENIED;
	if (error == 0)
		return vios_store_tx_commit(st);
	vios_store_tx_rollback(st);
	if (error == VIOS_EDENIED && wait)
		error = VIOS_EWAIT;
	return error;
}

/*
 * The sender's access log head in bundle c->seq (vios-payload-2) against the
 * one in its last bundle that carried one, when both name the same log (id):
 * the count never goes down, and an equal count has an equal head. Anything else means the log went back
 * (a store copied back from an old copy, or its log cut or edited): counted,
 * and with record a finding on the sender and seq (not breaking: the bundle
 * is the sender's own and merges). Only heads are compared: that a longer
 * log extends the earlier one is not something the heads can show
 * (docs/formats.md, "Access log chain"). A bundle checks once, however often
 * it is tried (wait semantics).
 */
static void log_follow(vios_audit_replay_report *out, vios_audit *a, cursor *c, const vios_log_head *log, int record)
{
	char why[300] = "";

	if (c->seq <= c->log_seq)
		return;
	/* another id is another log (a store made anew, as a restore does):
	 * its heads start a new line, they do not continue the old one */
	if (c->log_seq > 0 && sodium_memcmp(log->id, c->log.id, sizeof(log->id)) != 0)
		c->log_seq = 0;
	if (c->log_seq > 0 && log->count < c->log.count)
		snprintf(why, sizeof(why), "its access log went back from %lld entries to %lld: the store was rolled back"
			 " or its log edited", c->log.count, log->count);
	else if (c->log_seq > 0 && log->count == c->log.count && sodium_memcmp(log->head, c->log.head, sizeof(log->head)))
		snprintf(why, sizeof(why), "its access log has %lld entries, as at seq %lld, but another last entry: the"
			 " store was rolled back or its log edited", log->count, c->log_seq);
	c->log_seq = c->seq;
	c->log = *log;
	if (!why[0])
		return;
	out->log_back++;
	if (!out->first_log_back[0])
		snprintf(out->first_log_back, sizeof(out->first_log_back), "node %s seq %lld: %s", c->r->id, c->seq, why);
	if (record)
		audit_finding(a, c->r->id, c->seq, "%s", why);
}

/*
 * Decrypts, reads and merges one bundle under the mandate;
 * VIOS_ECORRUPT/EVERIFY when it does not open, VIOS_EDENIED/EWAIT as
 * merge_checked.
 */
static int replay_one(vios_audit_replay_report *out, vios_audit *a, vios_store *st, cursor *c,
		      mandates *ms, int wait, int record)
{
	uint8_t *age = NULL, *gz = NULL;
	size_t agelen = 0, gzlen = 0, n = 0;
	vios_crdt_op *ops = NULL;
	vios_crdt_report rep;
	vios_payload_meta meta;
	char name[VIOS_LAYOUT_PATH_MAX];
	int error;

	vios_layout_bundle_name(name, c->seq, 0);
	if ((error = read_entry(&age, &agelen, a->repo, c->bundles, name, VIOS_BUNDLE_MAX_AGE)) < 0)
		goto done;
	if (ms->nids == 0 || (error = vios_age_decrypt_buf(&gz, &gzlen, age, agelen, (const uint8_t *const *)ms->ids,
							       ms->nids, VIOS_BUNDLE_MAX_AGE)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", ms->nids ? vios_error_last() : "this node holds no live key");
		vios_error_set(VIOS_ERR_BUNDLE, "it cannot be decrypted by any live key of this node (sealed to a destroyed epoch key?): %s", why);
		error = VIOS_ECORRUPT;
		goto done;
	}
	if ((error = vios_bundle_payload_read_meta(&ops, &n, &meta, gz, gzlen, &c->h)) < 0)
		goto done;
	if (meta.version >= 2)
		log_follow(out, a, c, &meta.log, record);
	if (meta.version >= 3 && meta.name_check_skipped[0]) {
		/* reported, not a finding: the override is the coordinator's to make */
		size_t k = 1;
		for (const char *p = meta.name_check_skipped; *p; p++)
			k += *p == ' ';
		out->name_check_skipped += k;
		if (!out->first_name_check_skipped[0])
			snprintf(out->first_name_check_skipped, sizeof(out->first_name_check_skipped), "node %s seq %lld: %.200s",
				 c->r->id, c->seq, meta.name_check_skipped);
	}
	if ((error = merge_checked(&rep, st, ms, &c->h, ops, n, wait)) < 0)
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

/*
 * The registry history's nodes in the throwaway store, so the judge's
 * messages name a record's owner as every node's do (writers come from
 * the audit itself: writer_from_registry).
 */
static int install_nodes(vios_store *st, const vios_audit *a)
{
	vios_reg_node *rn = calloc(a->nnodes + 1, sizeof(*rn));
	int error;

	if (rn == NULL)
		return vios_error_nomem();
	for (size_t i = 0; i < a->nnodes; i++) {
		const anode *n = &a->nodes[i];
		snprintf(rn[i].node_id, sizeof(rn[i].node_id), "%s", n->pub.node_id);
		snprintf(rn[i].kind, sizeof(rn[i].kind), "%s", n->pub.kind);
		snprintf(rn[i].role, sizeof(rn[i].role), "%s", n->pub.role);
		snprintf(rn[i].name, sizeof(rn[i].name), "%s", n->pub.name);
		snprintf(rn[i].enrolled_at, sizeof(rn[i].enrolled_at), "%s", n->pub.enrolled_at);
		snprintf(rn[i].revoked_at, sizeof(rn[i].revoked_at), "%s", n->pub.revoked_at);
		rn[i].last_seq = n->pub.last_seq;
		if (n->nkeys > 0)
			rn[i].sign_pub = n->keys[n->nkeys - 1];
	}
	if ((error = vios_store_tx_begin_uncaptured(st)) == 0) {
		if ((error = vios_store_reg_node_replace_all(st, rn, a->nnodes)) == 0)
			error = vios_store_tx_commit(st);
		else
			vios_store_tx_rollback(st);
	}
	free(rn);
	return error;
}

/* A refused bundle: its sender's chain stops there, as at every node. */
static void refuse(vios_audit_replay_report *out, vios_audit *a, cursor *c, int record)
{
	char why[600];

	snprintf(why, sizeof(why), "%s", vios_error_last());
	out->refused++;
	if (!out->first_refused[0])
		snprintf(out->first_refused, sizeof(out->first_refused), "node %s seq %lld: %s", c->r->id, c->seq, why);
	c->refused = c->seq;
	if (record) {
		const anode *s = audit_find_anode(a, c->r->id);
		c->finding = a->nfindings;
		audit_finding(a, c->r->id, c->seq, "%s (\"%s\", %s) sealed ops outside the mandate of covenant v%lld: %s;"
			      " refused whole, as at every node", s ? s->pub.kind : "node", s ? s->pub.name : "?",
			      s ? s->pub.role : "?", c->h.covenant_version, why);
		if (a->nfindings > c->finding)
			a->findings[c->finding].breaking = 1;
	}
	c->limit = c->seq - 1;
}

/*
 * The replay. Bundles go in clock order; a bundle that cannot be judged yet
 * (wait semantics, as 'vios sync' imports: an op on a record not held, or
 * a refusal a bundle still to come may lift) waits, and its sender's later
 * bundles wait behind it, while other senders' bundles go on; every bundle
 * merged lets the waiting ones try again; when only waiting ones are left,
 * the earliest goes without waiting (ops on records still not held are
 * ignored, a refusal stands). A refused bundle is not merged and its
 * sender's later bundles stay held behind it (as every node holds them
 * behind the quarantined one). With record, each refusal is a finding.
 */
static int replay(vios_audit_replay_report *out, vios_audit *a, const vios_node *node, uint64_t until_ms,
		  const char *for_node, const char *category, int record)
{
	vios_store *st = NULL;
	cursor *cs = NULL;
	size_t nc = 0;
	mandates ms;
	char sub[PATH_MAX];
	int error;

	memset(out, 0, sizeof(*out));
	memset(&ms, 0, sizeof(ms));
	if (!a->verified) {
		vios_error_set(VIOS_ERR_INPUT, "replay needs the verification first");
		return VIOS_ERROR;
	}
	if (node->sign_sec == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "replay needs the node unlocked");
		return VIOS_ERROR;
	}
	ms.a = a;
	if ((error = replay_keys(&ms, node)) < 0)
		return error;
	vios_mandate_default(&ms.dflt);
	if ((ms.m = calloc(a->ncovs + 1, sizeof(*ms.m))) == NULL || (ms.ok = calloc(a->ncovs + 1, 1)) == NULL) {
		free(ms.m);
		vios_epoch_keys_free(ms.ids, ms.nids);
		return vios_error_nomem();
	}
	for (int k = 0;; k++) {
		/* one working directory per replay: an audit may replay more than once */
		if (vios_snprintf(sub, sizeof(sub), k ? "%s/replay.%d" : "%s/replay", a->dir, k) < 0) {
			error = VIOS_ERROR;
			goto done;
		}
		if (mkdir(sub, 0700) == 0)
			break;
		if (errno != EEXIST || k > 1000) {
			error = vios_error_os("cannot make %s", sub);
			goto done;
		}
	}
	if ((error = vios_crdt_store_open_temp(&st, node, sub)) < 0 || (error = install_nodes(st, a)) < 0)
		goto done;
	if ((cs = calloc(a->nrefs + 1, sizeof(*cs))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < a->nrefs; i++) {
		aref *r = &a->refs[i];
		cursor *c = &cs[nc];
		git_tree *root = NULL;
		const git_tree_entry *e;
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
		/* the head, its tree and its bundles/ tree, each by its header first */
		if ((error = vios_git_commit_tree(&root, a->repo, &r->head)) < 0)
			goto done;
		if ((e = git_tree_entry_byname(root, VIOS_BUNDLES_TREE)) == NULL ||
		    git_tree_entry_filemode(e) != GIT_FILEMODE_TREE) {
			vios_error_set(VIOS_ERR_GIT, "node %s: its head has no directory " VIOS_BUNDLES_DIR, r->id);
			error = VIOS_ECORRUPT;
		} else {
			error = vios_git_tree_lookup(&c->bundles, a->repo, git_tree_entry_id(e), VIOS_BUNDLES_TREE);
		}
		git_tree_free(root);
		if (error < 0)
			goto done;
		nc++;
		if ((error = peek_or_cut(out, a, c)) < 0)
			goto done;
	}
	for (;;) {
		cursor *best = NULL;
		int wait;
		/* the earliest bundle not waiting; else the earliest waiting one */
		for (int pass = 0; pass < 2 && best == NULL; pass++)
			for (size_t i = 0; i < nc; i++) {
				cursor *c = &cs[i];
				if (!c->have || c->waiting != pass || (until_ms && VIOS_HLC_MS(c->h.hlc) > until_ms))
					continue;
				if (best == NULL || cursor_less(c, best))
					best = c;
			}
		if (best == NULL)
			break;
		wait = !best->waiting; /* a waiting one's last try goes without waiting */
		if (for_node == NULL || audit_addressed(&best->h, for_node)) {
			if (best->h.ops == 0)
				out->applied++; /* approvals alone (sync/consent.h): nothing to open or apply */
			else if (!audit_addressed(&best->h, node->node_id))
				out->not_for_me++;
			else if ((error = replay_one(out, a, st, best, &ms, wait, record)) < 0) {
				if (error == VIOS_EWAIT) {
					best->waiting = 1;
					error = 0;
					continue;
				}
				if (error == VIOS_EDENIED)
					refuse(out, a, best, record);
				else if (error != VIOS_ECORRUPT && error != VIOS_EVERIFY && error != VIOS_ENOTFOUND)
					goto done;
				else {
					/* a bundle its sender signed but no reader can open: the
					 * sender's chain stops here, as it does at every node */
					out->cut += (size_t)(best->r->last_seq - best->seq + 1);
					if (!out->first_cut[0])
						snprintf(out->first_cut, sizeof(out->first_cut), "node %s seq %lld: %s",
							 best->r->id, best->seq, vios_error_last());
					best->limit = best->seq - 1;
				}
				error = 0;
			} else
				for (size_t i = 0; i < nc; i++)
					cs[i].waiting = 0; /* progress: the waiting ones try again */
		}
		best->waiting = 0;
		best->seq++;
		if ((error = peek_or_cut(out, a, best)) < 0)
			goto done;
	}
	/* what stays held behind a refused bundle, as at every node */
	for (size_t i = 0; i < nc; i++) {
		cursor *c = &cs[i];
		long long last = c->r->cut ? c->r->cut - 1 : c->r->last_seq;
		if (!c->refused || last <= c->refused)
			continue;
		out->held += (size_t)(last - c->refused);
		if (record && c->finding < a->nfindings) {
			vios_audit_finding *f = &a->findings[c->finding];
			size_t len = strlen(f->what);
			snprintf(f->what + len, sizeof(f->what) - len, "; seq %lld to %lld are held behind it, not replayed",
				 c->refused + 1, last);
		}
	}
	error = vios_crdt_digest(out->digest, st, category);
done:
	for (size_t i = 0; cs && i < nc; i++) {
		vios_bundle_header_dispose(&cs[i].h);
		git_tree_free(cs[i].bundles);
	}
	free(cs);
	free(ms.m);
	free(ms.ok);
	vios_epoch_keys_free(ms.ids, ms.nids);
	vios_store_free(st);
	return error;
}

int vios_audit_replay(vios_audit_replay_report *out, vios_audit *a, const vios_node *node, uint64_t until_ms,
		      const char *for_node, const char *category)
{
	return replay(out, a, node, until_ms, for_node, category, 0);
}

int vios_audit_mandate(vios_audit_replay_report *out, vios_audit *a, const vios_node *node)
{
	return replay(out, a, node, 0, NULL, NULL, 1);
}
