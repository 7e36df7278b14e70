/*
 * audit_verify.c - verification of every node ref of the mirror, commit by commit and bundle by
 * bundle. See audit.h for the contract and audit_internal.h for how the audit's files divide the
 * work.
 */
#include "sync/audit_internal.h"
#include "sync/recipients.h"
#include "crypto/minisign.h"
#include "sync/chain.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- verification of node refs ---------------------------------------------- */


/* 1 in *ok when head is old or descends from it; 0 when old is not in head's history. */
int audit_descends(int *ok, vios_audit *a, const git_oid *head, const git_oid *old)
{
	int error;

	*ok = 0;
	/* by its header: a commit is never inflated unbounded */
	error = vios_git_check_object(a->repo, old, GIT_OBJECT_COMMIT, VIOS_GIT_COMMIT_MAX, "a commit");
	if (error == VIOS_ENOTFOUND) {
		vios_error_clear();
		return 0; /* not even fetched: nothing reachable holds it */
	}
	if (error < 0)
		return error;
	return vios_git_descends(ok, a->repo, head, old);
}

/* 1 when node id is among the refs a push asks about. */
static int audit_only_has(const vios_audit *a, const char *id)
{
	for (size_t i = 0; i < a->nonly; i++)
		if (!strcmp(a->only[i].node_id, id))
			return 1;
	return 0;
}

static int cmp_ref(const void *x, const void *y)
{
	return strcmp(((const aref *)x)->id, ((const aref *)y)->id);
}

static int list_refs(vios_audit *a)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	size_t cap = 0;
	int rc, error = 0;

	if ((rc = git_reference_iterator_glob_new(&it, a->repo, VIOS_MIRROR_NODES "*")) < 0)
		return vios_git_error(rc, "listing node refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *id = vios_layout_ref_node(git_reference_name(ref), VIOS_MIRROR_NODES);
		git_reference *resolved = NULL;

		assert(id != NULL); /* the glob keeps to the namespace */
		if (a->only && !audit_only_has(a, id)) {
			/* a push: only the pushed refs are decided */
		} else if (!vios_uuid_valid(id)) {
			audit_finding(a, "", 0, "ref " VIOS_NODES_REFS "%s is not named after a node id; it was not verified", id);
		} else if (git_reference_resolve(&resolved, ref) == 0 && git_reference_target(resolved)) {
			if (a->nrefs == cap) {
				aref *nr = realloc(a->refs, (cap = cap ? cap * 2 : 16) * sizeof(*nr));
				if (nr == NULL) {
					git_reference_free(resolved);
					git_reference_free(ref);
					error = vios_error_nomem();
					goto done;
				}
				a->refs = nr;
			}
			memset(&a->refs[a->nrefs], 0, sizeof(a->refs[a->nrefs]));
			strcpy(a->refs[a->nrefs].id, id);
			a->refs[a->nrefs].head = *git_reference_target(resolved);
			a->nrefs++;
		}
		git_reference_free(resolved);
		git_reference_free(ref);
	}
	if (rc != GIT_ITEROVER)
		error = vios_git_error(rc, "listing node refs");
	if (a->nrefs > 1)
		qsort(a->refs, a->nrefs, sizeof(*a->refs), cmp_ref);
done:
	git_reference_iterator_free(it);
	return error;
}

/* The state carried along one ref's chain: what the audit adds to the
 * chain's own rules (sync/chain.h). */
typedef struct {
	vios_audit *a;
	aref *r;
	const anode *sender;
	uint64_t last_hlc;
	long long last_cov;
	int quiet;           /* the ref is untrusted as a whole: no per-bundle findings */
	json_t *approved;    /* node ids the sender approved so far (vios-bundle-2 headers), as keys */
	long long approved_cov; /* the covenant version it approved last; 0 before any -2 header */
	size_t bundle_f0;    /* the first finding about the bundle now checked; SIZE_MAX when none yet */
	vios_audit_bundle_fn fn;
	void *ctx;
} chain_state;

/* A finding about one bundle (or a commit); breaking ones cut the sender's chain at cut. */
static void cut_find(chain_state *cs, long long seq, int breaking, long long cut, uint64_t hlc, const char *what)
{
	size_t before = cs->a->nfindings;

	if (cs->quiet)
		return;
	audit_finding(cs->a, cs->r->id, seq, "%s", what);
	if (cs->a->nfindings > before)
		cs->a->findings[before].breaking = breaking;
	if (breaking && (cs->r->cut == 0 || cut < cs->r->cut)) {
		cs->r->cut = cut;
		cs->r->cut_hlc = hlc;
		snprintf(cs->r->cut_why, sizeof(cs->r->cut_why), "node %s seq %lld: %s", cs->r->id, seq ? seq : cut, what);
	}
}

static void bfind(chain_state *cs, long long seq, int breaking, uint64_t hlc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void bfind(chain_state *cs, long long seq, int breaking, uint64_t hlc, const char *fmt, ...)
{
	char what[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	cut_find(cs, seq, breaking, seq, hlc, what);
}

static int on_finding(void *ctx, const vios_chain_finding *f)
{
	chain_state *cs = ctx;

	size_t before = cs->a->nfindings;

	if (f->of_bundle && cs->bundle_f0 == SIZE_MAX)
		cs->bundle_f0 = before;
	cut_find(cs, f->seq, f->breaking, f->cut, f->hlc, f->what);
	if (cs->a->nfindings > before)
		cs->a->findings[before].chain = 1;
	return 0;
}

/* The sender's approvals as of this bundle (sync/consent.h): they only grow. */
static void take_approvals(chain_state *cs, const vios_bundle_header *h, long long seq)
{
	if (h->format < 2)
		return;
	if (h->approves_covenant < cs->approved_cov)
		bfind(cs, seq, 0, h->hlc, "its approved covenant version %lld is below the %lld the sender approved before",
		      h->approves_covenant, cs->approved_cov);
	else
		cs->approved_cov = h->approves_covenant;
	/* a covenant_version never published is its own finding (on_bundle) */
	if (h->approves_covenant != h->covenant_version && audit_find_cov(cs->a, h->approves_covenant) == NULL)
		bfind(cs, seq, 0, h->hlc, "it approves covenant version %lld, which no registry version published",
		      h->approves_covenant);
	if (cs->approved == NULL && (cs->approved = json_object()) == NULL) {
		cs->a->nomem = 1;
		return;
	}
	for (size_t i = 0; i < h->napproves; i++)
		json_object_set_new(cs->approved, h->approves[i], json_true());
}

/* 1 when the sender approved node id as of this bundle (a -1 header predates approvals). */
static int approved(const chain_state *cs, const vios_bundle_header *h, const char *id)
{
	return h->format < 2 || (cs->approved && json_object_get(cs->approved, id));
}

static void check_recipients(chain_state *cs, const vios_bundle_header *h, long long seq)
{
	vios_audit *a = cs->a;
	const acov *cov = audit_find_cov(a, h->covenant_version);
	uint64_t t = VIOS_HLC_MS(h->hlc);
	const areg *reg = audit_registry_at(a, t); /* the freshest registry the sender could hold */
	vios_recipient_q q;
	char why[300];

	memset(&q, 0, sizeof(q));
	if (cov) {
		q.cov = &cov->cov;
		q.sender_kind = cs->sender ? cs->sender->pub.kind : "";
		q.categories = h->categories;
		q.case_roles = VIOS_ROLES_ANY; /* a header does not say the case's roles */
		q.marked = vios_recipient_marked_roles(&cov->cov, h->categories & VIOS_CAT_MARKS);
	}
	for (size_t i = 0; i < h->nrecipients; i++) {
		const char *id = h->recipients[i];
		const anode *n;
		if (!strcmp(id, h->sender))
			continue;
		if ((n = audit_find_anode(a, id)) == NULL) {
			bfind(cs, seq, 0, h->hlc, "addressed to %s, which no registry version enrolls", id);
			continue;
		}
		if (n->revoked_ms && t >= n->revoked_ms + GRACE_MS)
			bfind(cs, seq, 0, h->hlc, "addressed to node %s (\"%s\"), revoked at %s before this bundle was sealed", id,
			      n->pub.name, n->pub.revoked_at);
		if ((h->categories & VIOS_CAT_BIT_CASE) && !strcmp(n->pub.kind, "partner") && reg && t >= reg->expires_ms + GRACE_MS) {
			vios_time_format(why, (long long)(reg->expires_ms / 1000));
			bfind(cs, seq, 0, h->hlc, "case data sealed to partner %s (\"%s\") after registry v%lld expired at %s", id,
			      n->pub.name, reg->version, why);
		}
		if (!approved(cs, h, id))
			bfind(cs, seq, 0, h->hlc, "addressed to %s %s (\"%s\", role %s), which the sender never approved (vios covenant approve --node)",
			      n->pub.kind, id, n->pub.name, n->pub.role);
		if (cov == NULL)
			continue;
		q.kind = n->pub.kind;
		q.role = n->pub.role;
		q.in_table = vios_recipient_in_table(&cov->cov, h->sender, id);
		if (!vios_recipient_rule(why, sizeof(why), &q))
			bfind(cs, seq, 0, h->hlc, "addressed to %s %s (\"%s\", role %s), which the covenant does not allow: %s",
			      n->pub.kind, id, n->pub.name, n->pub.role, why);
	}
	for (size_t i = 0; cov && h->categories && i < a->nnodes; i++) {
		const anode *n = &a->nodes[i];
		if (strcmp(n->pub.kind, "auditor") != 0 || !strcmp(n->pub.node_id, h->sender))
			continue;
		/* the auditors the covenant's scope gives this data and the sender approved */
		q.kind = n->pub.kind;
		q.role = n->pub.role;
		q.in_table = -1;
		if (n->enrolled_ms && t >= n->enrolled_ms + GRACE_MS && !(n->revoked_ms && t >= n->revoked_ms) &&
		    vios_recipient_rule(why, sizeof(why), &q) && approved(cs, h, n->pub.node_id) &&
		    !audit_addressed(h, n->pub.node_id))
			bfind(cs, seq, 0, h->hlc, "the auditor %s (\"%s\"), enrolled at %s, is not among its recipients",
			      n->pub.node_id, n->pub.name, n->pub.enrolled_at);
	}
}

/* The node whose enrolled key made sig, when it is not the sender; else NULL. */
static const anode *signer_of(const vios_audit *a, const uint8_t *age, size_t agelen, const char *sig, size_t siglen)
{
	vios_minisign_sig ms;

	if (vios_minisign_sig_parse(&ms, sig, siglen) < 0)
		return NULL;
	for (size_t i = 0; i < a->nnodes; i++)
		for (size_t k = 0; k < a->nodes[i].nkeys; k++)
			if (!memcmp(a->nodes[i].keys[k].keyid, ms.keyid, VIOS_MINISIGN_KEYID)) {
				char *t = NULL;
				int ok = vios_minisign_verify(&t, &a->nodes[i].keys[k], age, agelen, sig, siglen) == 0;
				free(t);
				if (ok)
					return &a->nodes[i];
			}
	return NULL;
}

/* What the audit checks of one bundle after the chain's rules: the
 * sender's signature under the registry's history, clocks, covenants and
 * recipients. */
static int on_bundle(void *ctx, const vios_chain_bundle *cb)
{
	chain_state *cs = ctx;
	vios_audit *a = cs->a;
	aref *r = cs->r;
	const vios_bundle_header *h = cb->hdr;
	long long s = cb->seq;
	size_t f0 = cs->bundle_f0 == SIZE_MAX ? a->nfindings : cs->bundle_f0;
	vios_audit_bundle b;
	char *trusted = NULL;
	uint64_t hlc = h ? h->hlc : 0;
	int error = 0;

	cs->bundle_f0 = SIZE_MAX;
	if (h != NULL && cs->sender) {
		int ok = 0;
		char why[300] = "";
		for (size_t k = 0; k < cs->sender->nkeys && !ok; k++) {
			free(trusted);
			trusted = NULL;
			ok = vios_minisign_verify(&trusted, &cs->sender->keys[k], cb->age, cb->agelen, cb->sig, cb->siglen) == 0;
			if (!ok && !why[0])
				snprintf(why, sizeof(why), "%s", vios_error_last());
		}
		if (!ok) {
			const anode *other = signer_of(a, cb->age, cb->agelen, cb->sig, cb->siglen);
			if (other && other != cs->sender)
				bfind(cs, s, 1, hlc, "signed by node %s (\"%s\", %s), not by its sender: re-signed by another enrolled node",
				      other->pub.node_id, other->pub.name, other->pub.role);
			else
				bfind(cs, s, 1, hlc, "the signature does not verify with the sender's enrolled key: %s", why);
		} else if (strcmp(trusted, cb->trusted) != 0)
			bfind(cs, s, 1, hlc, "the signature file's trusted comment is not the signed one");
		if (cs->sender->pub.revoked_at[0] && s > cs->sender->pub.last_seq)
			bfind(cs, s, 1, hlc, "sent after the node's revocation (revoked at %s after seq %lld)",
			      cs->sender->pub.revoked_at, cs->sender->pub.last_seq);
	}
	if (h != NULL) {
		if (cs->last_hlc && h->hlc <= cs->last_hlc)
			bfind(cs, s, 0, hlc, "its clock is not after the previous bundle's: the sender's clock went back");
		if (audit_find_cov(a, h->covenant_version) == NULL)
			bfind(cs, s, 0, hlc, "it names covenant version %lld, which no registry version published", h->covenant_version);
		if (h->covenant_version < cs->last_cov)
			bfind(cs, s, 0, hlc, "its covenant version %lld is older than the %lld of the sender's previous bundle",
			      h->covenant_version, cs->last_cov);
		take_approvals(cs, h, s);
		check_recipients(cs, h, s);
		cs->last_hlc = h->hlc;
		if (h->covenant_version > cs->last_cov)
			cs->last_cov = h->covenant_version;
	}
	if (s > r->last_seq)
		r->last_seq = s;
	a->bundles++;
	if (cs->fn) {
		memset(&b, 0, sizeof(b));
		b.node = r->id;
		b.seq = s;
		b.hdr = h;
		b.sender = cs->sender ? &cs->sender->pub : NULL;
		b.findings = a->nfindings > f0 ? &a->findings[f0] : NULL;
		b.nfindings = a->nfindings - f0;
		b.compliant = b.nfindings == 0 && !r->bad;
		error = cs->fn(cs->ctx, &b);
	}
	free(trusted);
	return error < 0 ? error : 0;
}

int audit_read_blob(uint8_t **out, size_t *len, git_repository *repo, const git_oid *id, size_t max)
{
	/* its header first: an oversize blob is refused before it is inflated */
	return vios_git_read_object(out, len, repo, id, GIT_OBJECT_BLOB, max, "a bundle");
}

static int walk_ref(vios_audit *a, aref *r, vios_audit_bundle_fn fn, void *ctx)
{
	chain_state cs;
	vios_chain_fns fns = { on_finding, on_bundle, &cs };
	int error;

	memset(&cs, 0, sizeof(cs));
	cs.a = a;
	cs.r = r;
	cs.fn = fn;
	cs.ctx = ctx;
	cs.bundle_f0 = SIZE_MAX;
	cs.sender = audit_find_anode(a, r->id);
	if (cs.sender == NULL) {
		/* one finding says it all: nothing on the ref can be checked */
		if (a->reg_versions > 0)
			audit_finding(a, r->id, 0, "node %s is not enrolled in any registry version: none of its bundles can be trusted", r->id);
		r->bad = 1;
		r->cut = 1;
		snprintf(r->cut_why, sizeof(r->cut_why), "node %s is not enrolled in any verified registry version", r->id);
		cs.quiet = 1;
	}
	error = vios_chain_walk(a->repo, r->id, &r->head, NULL, &fns);
	json_decref(cs.approved);
	return error < 0 ? error : 0;
}

int vios_audit_verify(vios_audit *a, vios_audit_bundle_fn fn, void *ctx)
{
	int error;

	if (a->verified) {
		vios_error_set(VIOS_ERR_INPUT, "the audit ran already");
		return VIOS_ERROR;
	}
	a->verified = 1;
	if (a->reg_versions == 0 && !a->root_failed)
		audit_finding(a, "", 0, "registry: no registry version verifies: no node can be trusted");
	if (a->checkpoint && a->have_reg_head) {
		json_t *reg = json_object_get(a->checkpoint, "registry");
		git_oid old;
		int ok;
		git_oid_fromstr(&old, json_string_value(json_object_get(reg, "head")));
		if ((error = audit_descends(&ok, a, &a->reg_head, &old)) < 0)
			return error;
		if (!ok)
			audit_finding(a, "", 0, "registry: " VIOS_REGISTRY_REF " was rewritten since the checkpoint: its history no longer holds version %lld (commit %.12s)",
				(long long)json_integer_value(json_object_get(reg, "version")), json_string_value(json_object_get(reg, "head")));
		else if (a->reg_version < json_integer_value(json_object_get(reg, "version")))
			audit_finding(a, "", 0, "registry: the registry went back from version %lld (checkpoint) to %lld",
				(long long)json_integer_value(json_object_get(reg, "version")), a->reg_version);
	}
	if ((error = list_refs(a)) < 0)
		return error;
	for (size_t i = 0; i < a->nrefs; i++) {
		if ((error = audit_check_against_checkpoint(a, &a->refs[i])) < 0 ||
		    (error = walk_ref(a, &a->refs[i], fn, ctx)) < 0)
			return error;
	}
	if (a->checkpoint) {
		const char *id;
		json_t *v;
		json_object_foreach(json_object_get(a->checkpoint, "nodes"), id, v) {
			size_t i;
			for (i = 0; i < a->nrefs && strcmp(a->refs[i].id, id); i++)
				;
			if (i == a->nrefs)
				audit_finding(a, id, 0, "ref " VIOS_NODES_REFS "%s was deleted since the checkpoint (it held seq %lld)", id,
					(long long)json_integer_value(json_object_get(v, "last_seq")));
		}
	}
	return a->nomem ? vios_error_nomem() : 0;
}

