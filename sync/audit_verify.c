/*
 * audit_verify.c - verification of every node ref of the mirror, commit by commit and bundle by
 * bundle. See audit.h for the contract and audit_internal.h for how the audit's files divide the
 * work.
 */
#include "sync/audit_internal.h"
#include "crypto/minisign.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- verification of node refs ---------------------------------------------- */

/* A bundle file's seq from its path in a node's tree (*sig 1 for the .minisig); 0 otherwise. */
static long long bundle_seq(const char *path, int *sig)
{
	long long seq;

	return vios_layout_bundle_path_parse(&seq, sig, path) == 0 ? seq : 0;
}


/* 1 in *ok when head is old or descends from it; 0 when old is not in head's history. */
int audit_descends(int *ok, vios_audit *a, const git_oid *head, const git_oid *old)
{
	git_commit *c = NULL;

	*ok = 0;
	if (git_commit_lookup(&c, a->repo, old) < 0) {
		git_error_clear();
		return 0; /* not even fetched: nothing reachable holds it */
	}
	git_commit_free(c);
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

/* The state carried along one ref's chain. */
typedef struct {
	vios_audit *a;
	aref *r;
	const anode *sender;
	long long last;      /* the seq of the previous bundle */
	char prev_hash[65];  /* its hash */
	uint64_t last_hlc;
	long long last_cov;
	int quiet;           /* the ref is untrusted as a whole: no per-bundle findings */
	vios_audit_bundle_fn fn;
	void *ctx;
} chain_state;

/* A finding about one bundle; breaking ones cut the sender's chain there. */
static void bfind(chain_state *cs, long long seq, int breaking, uint64_t hlc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void bfind(chain_state *cs, long long seq, int breaking, uint64_t hlc, const char *fmt, ...)
{
	va_list ap;
	size_t before = cs->a->nfindings;

	if (cs->quiet)
		return;
	va_start(ap, fmt);
	audit_vfinding(cs->a, cs->r->id, seq, fmt, ap);
	va_end(ap);
	if (cs->a->nfindings > before)
		cs->a->findings[before].breaking = breaking;
	if (breaking && (cs->r->cut == 0 || seq < cs->r->cut)) {
		cs->r->cut = seq;
		cs->r->cut_hlc = hlc;
		if (cs->a->nfindings > before)
			snprintf(cs->r->cut_why, sizeof(cs->r->cut_why), "node %s seq %lld: %s", cs->r->id, seq,
				 cs->a->findings[before].what);
	}
}

static void check_recipients(chain_state *cs, const vios_bundle_header *h, long long seq)
{
	vios_audit *a = cs->a;
	const acov *cov = audit_find_cov(a, h->covenant_version);
	json_t *table = cov && cov->cov.tables ? json_object_get(cov->cov.tables, h->sender) : NULL;
	uint64_t t = VIOS_HLC_MS(h->hlc);
	const areg *reg = audit_registry_at(a, t); /* the freshest registry the sender could hold */
	char why[300];

	for (size_t i = 0; i < h->nrecipients; i++) {
		const char *id = h->recipients[i];
		const anode *n;
		int in_table = -1;
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
			vios_registry_time_format(why, (long long)(reg->expires_ms / 1000));
			bfind(cs, seq, 0, h->hlc, "case data sealed to partner %s (\"%s\") after registry v%lld expired at %s", id,
			      n->pub.name, reg->version, why);
		}
		if (cov == NULL)
			continue;
		if (table) {
			size_t k;
			json_t *p;
			in_table = 0;
			json_array_foreach(table, k, p)
				in_table |= !strcmp(json_string_value(p) ?: "", id);
		}
		if (!vios_audit_rule(why, sizeof(why), &cov->cov, cs->sender ? cs->sender->pub.kind : "", n->pub.kind,
				     n->pub.role, h->categories, in_table))
			bfind(cs, seq, 0, h->hlc, "addressed to %s %s (\"%s\", role %s), which the covenant does not allow: %s",
			      n->pub.kind, id, n->pub.name, n->pub.role, why);
	}
	for (size_t i = 0; i < a->nnodes; i++) {
		const anode *n = &a->nodes[i];
		if (strcmp(n->pub.kind, "auditor") != 0 || !strcmp(n->pub.node_id, h->sender))
			continue;
		if (n->enrolled_ms && t >= n->enrolled_ms + GRACE_MS && !(n->revoked_ms && t >= n->revoked_ms) &&
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

/* Message equals the header, allowing the one trailing newline git tools add. */
static int message_is(const char *msg, const char *header)
{
	size_t n = strlen(header);
	return msg && !strncmp(msg, header, n) && (msg[n] == 0 || (msg[n] == '\n' && msg[n + 1] == 0));
}

/* Checks one bundle added by commit at seq s (from its file name). */
static int check_bundle(chain_state *cs, long long s, const uint8_t *age, size_t agelen, const char *sig,
			size_t siglen, git_commit *commit)
{
	vios_audit *a = cs->a;
	aref *r = cs->r;
	vios_bundle_header h;
	vios_audit_bundle b;
	char hash[65], *peek = NULL, *trusted = NULL;
	size_t f0 = a->nfindings;
	int have_h = 0, prev_known = 1, error = 0;
	uint64_t hlc = 0;

	memset(&h, 0, sizeof(h));
	vios_blake2b_hex(hash, age, agelen);
	/* the header first, to date the findings */
	if (sig != NULL && audit_peek_trusted(&peek, sig, siglen) == 0 && vios_bundle_header_parse(&h, peek) == 0) {
		have_h = 1;
		hlc = h.hlc;
	}
	if (s != cs->last + 1) {
		if (s > cs->last + 1 && !cs->quiet && (r->cut == 0 || r->cut > cs->last + 1)) {
			/* the replay stops before the first missing seq */
			r->cut = cs->last + 1;
			r->cut_hlc = hlc;
			snprintf(r->cut_why, sizeof(r->cut_why), "node %s seq %lld is missing", r->id, cs->last + 1);
		}
		if (s == cs->last + 2)
			bfind(cs, s, 1, hlc, "seq %lld is missing: the chain jumps from seq %lld to %lld (a bundle commit was deleted or skipped)",
			      cs->last + 1, cs->last, s);
		else if (s > cs->last + 2)
			bfind(cs, s, 1, hlc, "seq %lld to %lld are missing: the chain jumps from seq %lld to %lld (bundle commits were deleted or skipped)",
			      cs->last + 1, s - 1, cs->last, s);
		else
			bfind(cs, s, 1, hlc, "seq %lld comes again after seq %lld: two bundles with one seq (a fork or a replay)", s, cs->last);
		prev_known = 0;
	}
	if (sig == NULL) {
		char sigpath[VIOS_LAYOUT_PATH_MAX];
		vios_layout_bundle_path(sigpath, s, 1);
		bfind(cs, s, 1, 0, "no signature file %s beside the bundle", sigpath);
		goto out;
	}
	if (!have_h) {
		bfind(cs, s, 1, 0, "its signature file carries no vios bundle header: %s",
		      vios_error_last());
		goto out;
	}
	if (strcmp(h.sender, r->id) != 0)
		bfind(cs, s, 1, hlc, "the bundle names node %s as its sender, not the node whose ref it is on", h.sender);
	if (h.seq != s)
		bfind(cs, s, 1, hlc, "its signed header says seq %lld, its file name seq %lld", h.seq, s);
	if (cs->sender) {
		int ok = 0;
		char why[300] = "";
		for (size_t k = 0; k < cs->sender->nkeys && !ok; k++) {
			free(trusted);
			trusted = NULL;
			ok = vios_minisign_verify(&trusted, &cs->sender->keys[k], age, agelen, sig, siglen) == 0;
			if (!ok && !why[0])
				snprintf(why, sizeof(why), "%s", vios_error_last());
		}
		if (!ok) {
			const anode *other = signer_of(a, age, agelen, sig, siglen);
			if (other && other != cs->sender)
				bfind(cs, s, 1, hlc, "signed by node %s (\"%s\", %s), not by its sender: re-signed by another enrolled node",
				      other->pub.node_id, other->pub.name, other->pub.role);
			else
				bfind(cs, s, 1, hlc, "the signature does not verify with the sender's enrolled key: %s", why);
		} else if (strcmp(trusted, peek) != 0)
			bfind(cs, s, 1, hlc, "the signature file's trusted comment is not the signed one");
		if (cs->sender->pub.revoked_at[0] && s > cs->sender->pub.last_seq)
			bfind(cs, s, 1, hlc, "sent after the node's revocation (revoked at %s after seq %lld)",
			      cs->sender->pub.revoked_at, cs->sender->pub.last_seq);
	}
	if (s == 1 && strcmp(h.prev, VIOS_ZERO_HASH) != 0)
		bfind(cs, s, 1, hlc, "seq 1 must have an all-zero prev hash");
	else if (s > 1 && prev_known && strcmp(h.prev, cs->prev_hash) != 0)
		bfind(cs, s, 1, hlc, "its prev hash is not the BLAKE2b-256 of seq %lld: the chain is forked or rewritten", cs->last);
	if (!message_is(git_commit_message(commit), h.json)) {
		char c12[13];
		bfind(cs, s, 0, hlc, "commit %s's message is not the bundle's signed header", audit_short_oid(c12, git_commit_id(commit)));
	}
	if (cs->last_hlc && h.hlc <= cs->last_hlc)
		bfind(cs, s, 0, hlc, "its clock is not after the previous bundle's: the sender's clock went back");
	if (audit_find_cov(a, h.covenant_version) == NULL)
		bfind(cs, s, 0, hlc, "it names covenant version %lld, which no registry version published", h.covenant_version);
	if (h.covenant_version < cs->last_cov)
		bfind(cs, s, 0, hlc, "its covenant version %lld is older than the %lld of the sender's previous bundle",
		      h.covenant_version, cs->last_cov);
	check_recipients(cs, &h, s);
	cs->last_hlc = h.hlc;
	if (h.covenant_version > cs->last_cov)
		cs->last_cov = h.covenant_version;
out:
	cs->last = s;
	memcpy(cs->prev_hash, hash, sizeof(hash));
	if (s > r->last_seq)
		r->last_seq = s;
	a->bundles++;
	if (cs->fn) {
		memset(&b, 0, sizeof(b));
		b.node = r->id;
		b.seq = s;
		b.hdr = have_h ? &h : NULL;
		b.sender = cs->sender ? &cs->sender->pub : NULL;
		b.findings = a->nfindings > f0 ? &a->findings[f0] : NULL;
		b.nfindings = a->nfindings - f0;
		b.compliant = b.nfindings == 0 && !r->bad;
		error = cs->fn(cs->ctx, &b);
	}
	vios_bundle_header_dispose(&h);
	free(peek);
	free(trusted);
	return error;
}

typedef struct {
	long long seq;
	const git_oid *age, *sig;
} added_pair;

static int cmp_pair(const void *x, const void *y)
{
	long long a = ((const added_pair *)x)->seq, b = ((const added_pair *)y)->seq;
	return a < b ? -1 : a > b;
}

int audit_read_blob(uint8_t **out, size_t *len, git_repository *repo, const git_oid *id, size_t max)
{
	/* its header first: an oversize blob is refused before it is inflated */
	return vios_git_read_object(out, len, repo, id, GIT_OBJECT_BLOB, max, "a bundle");
}

/* Checks the bundles one commit added (after the commit-level findings). */
static int check_pairs(chain_state *cs, git_commit *commit, added_pair *pairs, size_t npairs)
{
	vios_audit *a = cs->a;
	char c12[13];
	int error = 0;

	audit_short_oid(c12, git_commit_id(commit));
	if (npairs == 0)
		bfind(cs, 0, 0, 0, "commit %s adds no bundle: each commit adds exactly one", c12);
	else if (npairs > 1)
		bfind(cs, pairs[0].seq, 0, 0, "commit %s adds %zu bundles: each commit adds exactly one", c12, npairs);
	qsort(pairs, npairs, sizeof(*pairs), cmp_pair);
	for (size_t k = 0; k < npairs && error == 0; k++) {
		uint8_t *age = NULL, *sig = NULL;
		size_t agelen = 0, siglen = 0;
		if (pairs[k].age == NULL) {
			bfind(cs, pairs[k].seq, 1, 0, "commit %s adds a signature without its bundle", c12);
			continue;
		}
		if ((error = audit_read_blob(&age, &agelen, a->repo, pairs[k].age, VIOS_BUNDLE_MAX_AGE)) == VIOS_ECORRUPT) {
			bfind(cs, pairs[k].seq, 1, 0, "the bundle is larger than %u bytes", VIOS_BUNDLE_MAX_AGE);
			error = 0;
			continue;
		}
		if (error == 0 && pairs[k].sig &&
		    (error = audit_read_blob(&sig, &siglen, a->repo, pairs[k].sig, VIOS_BUNDLE_SIG_MAX)) == VIOS_ECORRUPT) {
			free(sig);
			sig = NULL;
			error = 0;
		}
		if (error == 0)
			error = check_bundle(cs, pairs[k].seq, age, agelen, (char *)sig, siglen, commit);
		free(age);
		free(sig);
	}
	return error;
}

/* One commit of a node's chain, the general way: what it changes against
 * its parent (a tree diff), then the bundle it adds. */
static int check_commit(chain_state *cs, git_commit *commit, git_tree *ptree, git_tree *tree)
{
	vios_audit *a = cs->a;
	git_diff *diff = NULL;
	git_diff_options opts;
	added_pair *pairs = NULL;
	size_t npairs = 0, nd;
	char c12[13];
	int rc, error;

	audit_short_oid(c12, git_commit_id(commit));
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
	if ((rc = git_diff_tree_to_tree(&diff, a->repo, ptree, tree, &opts)) < 0)
		return vios_git_error(rc, "comparing commits");
	nd = git_diff_num_deltas(diff);
	if ((pairs = calloc(nd + 1, sizeof(*pairs))) == NULL) {
		git_diff_free(diff);
		return vios_error_nomem();
	}
	for (size_t i = 0; i < nd; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
		int is_sig = 0;
		long long s = bundle_seq(path, &is_sig);
		const char *verb = d->status == GIT_DELTA_ADDED ? "adds" : d->status == GIT_DELTA_DELETED ? "deletes" : "modifies";
		if (s > 0 && d->status == GIT_DELTA_ADDED && (d->new_file.mode == GIT_FILEMODE_BLOB)) {
			size_t k;
			for (k = 0; k < npairs && pairs[k].seq != s; k++)
				;
			if (k == npairs)
				pairs[npairs++].seq = s;
			if (is_sig)
				pairs[k].sig = &d->new_file.id;
			else
				pairs[k].age = &d->new_file.id;
		} else if (s > 0) {
			bfind(cs, s, 1, 0, "commit %s %s %s: a bundle once committed never changes", c12, verb, path);
		} else {
			bfind(cs, 0, 0, 0, "commit %s %s %s, which is not a bundle file", c12, verb, path);
		}
	}
	error = check_pairs(cs, commit, pairs, npairs);
	free(pairs);
	git_diff_free(diff);
	return error;
}

/*
 * The fast way for a well-formed ref. Commit k of a good chain has a root
 * tree with one entry, bundles/, whose tree is exactly the first 2k
 * entries of the head's bundles/ tree (entries sort by name, and names
 * grow with the seq). So instead of diffing two trees of up to 2n entries
 * per commit, the head's bundles/ tree is read once, raw, and commit k's
 * bundles/ tree id is compared with the hash of that raw prefix. When the
 * ids differ (anything else happened) the walk falls back to check_commit.
 */
typedef struct {
	git_odb_object *obj; /* the head's bundles/ tree, raw */
	const unsigned char *data;
	size_t *off;         /* off[i]: where entry i starts; off[n] = the end */
	size_t n;
	size_t pos;          /* entries the chain has matched so far */
	int usable;
} fastpath;

static void fastpath_init(fastpath *fp, vios_audit *a, const git_oid *head)
{
	git_commit *c = NULL;
	git_tree *root = NULL;
	const git_tree_entry *e;
	git_odb *odb = NULL;
	size_t len, cap = 0;

	memset(fp, 0, sizeof(*fp));
	if (git_commit_lookup(&c, a->repo, head) < 0 || git_commit_tree(&root, c) < 0 ||
	    (e = git_tree_entry_byname(root, VIOS_BUNDLES_TREE)) == NULL || git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_repository_odb(&odb, a->repo) < 0 || git_odb_read(&fp->obj, odb, git_tree_entry_id(e)) < 0)
		goto done;
	fp->data = git_odb_object_data(fp->obj);
	len = git_odb_object_size(fp->obj);
	for (size_t p = 0; p < len;) {
		const unsigned char *nul = memchr(fp->data + p, 0, len - p);
		if (nul == NULL || (size_t)(nul - fp->data) + 21 > len)
			goto done;
		if (fp->n + 1 >= cap) {
			size_t *no = realloc(fp->off, (cap = cap ? cap * 2 : 256) * sizeof(*no));
			if (no == NULL)
				goto done;
			fp->off = no;
		}
		fp->off[fp->n++] = p;
		p = (size_t)(nul - fp->data) + 21;
	}
	if (fp->off)
		fp->off[fp->n] = len;
	fp->usable = fp->off != NULL;
done:
	if (!fp->usable) {
		git_error_clear();
		git_odb_object_free(fp->obj);
		fp->obj = NULL;
	}
	git_odb_free(odb);
	git_tree_free(root);
	git_commit_free(c);
}

static void fastpath_free(fastpath *fp)
{
	git_odb_object_free(fp->obj);
	free(fp->off);
}

/* Entry i of the raw tree as a blob: its seq (0 when no bundle file), kind and id. */
static long long fast_entry(const fastpath *fp, size_t i, int *is_sig, git_oid *id)
{
	const char *e = (const char *)fp->data + fp->off[i];
	long long seq;
	size_t namelen;

	if (strncmp(e, "100644 ", 7) != 0)
		return 0;
	namelen = strlen(e + 7);
	git_oid_fromraw(id, (const unsigned char *)e + 7 + namelen + 1);
	return vios_layout_bundle_name_parse(&seq, is_sig, e + 7) == 0 ? seq : 0;
}

/* 1 when commit adds exactly the next pair of the head's tree (and pairs[0] is it). */
static int fast_commit(fastpath *fp, git_commit *commit, added_pair *pair, git_oid ids[2])
{
	git_tree *root = NULL;
	const git_tree_entry *e;
	git_oid want;
	int sig0 = 0, sig1 = 0, ok = 0;
	long long s0, s1;

	if (!fp->usable || fp->pos + 2 > fp->n)
		return 0;
	if (git_commit_tree(&root, commit) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_tree_entrycount(root) != 1 || (e = git_tree_entry_byindex(root, 0)) == NULL ||
	    strcmp(git_tree_entry_name(e), VIOS_BUNDLES_TREE) != 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		goto done;
	s0 = fast_entry(fp, fp->pos, &sig0, &ids[0]);
	s1 = fast_entry(fp, fp->pos + 1, &sig1, &ids[1]);
	if (s0 <= 0 || s0 != s1 || sig0 != 0 || sig1 != 1)
		goto done;
	if (git_odb_hash(&want, fp->data, fp->off[fp->pos + 2], GIT_OBJECT_TREE) < 0 ||
	    !git_oid_equal(&want, git_tree_entry_id(e)))
		goto done;
	pair->seq = s0;
	pair->age = &ids[0];
	pair->sig = &ids[1];
	fp->pos += 2;
	ok = 1;
done:
	git_tree_free(root);
	return ok;
}

static int walk_ref(vios_audit *a, aref *r, vios_audit_bundle_fn fn, void *ctx)
{
	git_oid *chain = NULL;
	size_t n = 0, merges = 0;
	git_tree *ptree = NULL;
	chain_state cs;
	fastpath fp;
	int rc, error;

	memset(&cs, 0, sizeof(cs));
	cs.a = a;
	cs.r = r;
	cs.fn = fn;
	cs.ctx = ctx;
	strcpy(cs.prev_hash, VIOS_ZERO_HASH);
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
	if ((error = audit_first_parent_chain(&chain, &n, &merges, a->repo, &r->head)) < 0)
		return error;
	if (merges)
		audit_finding(a, r->id, 0, "%zu merge commit%s on its ref: a node's ref is a straight line of commits", merges,
			merges == 1 ? "" : "s");
	fastpath_init(&fp, a, &r->head);
	for (size_t i = 0; i < n && error == 0; i++) {
		git_commit *c = NULL;
		git_tree *tree = NULL;
		added_pair pair;
		git_oid ids[2];
		if ((rc = git_commit_lookup(&c, a->repo, &chain[i])) < 0) {
			error = vios_git_error(rc, "reading a node's history");
			break;
		}
		if (fp.usable && ptree == NULL && fast_commit(&fp, c, &pair, ids)) {
			error = check_pairs(&cs, c, &pair, 1);
			git_commit_free(c);
			continue;
		}
		/* the general way from here on: the parent's tree first */
		fp.usable = 0;
		if (ptree == NULL && i > 0) {
			git_commit *pc = NULL;
			if ((rc = git_commit_lookup(&pc, a->repo, &chain[i - 1])) == 0)
				rc = git_commit_tree(&ptree, pc);
			git_commit_free(pc);
			if (rc < 0) {
				git_commit_free(c);
				error = vios_git_error(rc, "reading a node's history");
				break;
			}
		}
		if ((rc = git_commit_tree(&tree, c)) < 0) {
			git_commit_free(c);
			error = vios_git_error(rc, "reading a node's history");
			break;
		}
		error = check_commit(&cs, c, ptree, tree);
		git_tree_free(ptree);
		ptree = tree;
		git_commit_free(c);
	}
	git_tree_free(ptree);
	fastpath_free(&fp);
	free(chain);
	return error;
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

