/*
 * hub.c - see hub.h.
 */
#include "sync/hub.h"
#include "crdt/crdt.h"
#include "crypto/minisign.h"
#include "sync/bundle.h"
#include "sync/chain.h"
#include "store/epoch.h"
#include "store/ledger.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "sync/net.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int must_be_hub(vios_store *st)
{
	assert(st != NULL && st->node != NULL);
	if (strcmp(st->node->kind, "hub") != 0) {
		vios_error_set(VIOS_ERR_INPUT, "this is a %s node; only a hub node runs 'vios hub'", st->node->kind);
		return VIOS_EUSAGE;
	}
	return 0;
}

/* The hub's own registry entry; VIOS_ERROR when a field does not fit. */
static int self_entry(vios_reg_node *n, const vios_node *node)
{
	assert(n != NULL && node != NULL);
	memset(n, 0, sizeof(*n));
	if (vios_snprintf(n->node_id, sizeof(n->node_id), "%s", node->node_id) < 0 ||
	    vios_snprintf(n->kind, sizeof(n->kind), "%s", node->kind) < 0 ||
	    vios_snprintf(n->role, sizeof(n->role), "%s", node->role) < 0 ||
	    vios_snprintf(n->name, sizeof(n->name), "%s", node->name) < 0)
		return VIOS_ERROR;
	vios_now_iso(n->enrolled_at);
	n->last_seq = -1;
	n->sign_pub = node->sign_pub;
	memcpy(n->age_pk, node->age_pk, 32);
	return 0;
}

/* The repository's path as 'vios hub create' recorded it (no trailing '/'),
 * into buf; VIOS_ERROR when it does not fit. */
static int repo_path(char *buf, size_t len, git_repository *repo)
{
	size_t n;

	assert(buf != NULL && len > 0 && repo != NULL);
	if (vios_snprintf(buf, len, "%s", git_repository_path(repo)) < 0)
		return VIOS_ERROR;
	n = strlen(buf);
	if (n > 1 && buf[n - 1] == '/')
		buf[n - 1] = 0;
	return 0;
}

/* Publishes a new version and installs it in the hub's own store. */
static int publish(vios_store *st, git_repository *repo, const char *url, const vios_reg_node *nodes,
		   size_t n, const char *covenant, long long version, const char *message)
{
	vios_registry *reg = NULL;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	git_oid commit;
	int error;

	assert(st != NULL && repo != NULL && url != NULL && nodes != NULL && n > 0 && covenant != NULL);
	vios_fingerprint_from_pk(pin, st->node->sign_pub.pk);
	if ((error = vios_registry_publish(&commit, repo, st->node, nodes, n, covenant, version, message)) < 0 ||
	    (error = vios_registry_load(&reg, repo, &commit, pin)) < 0)
		goto done;
	error = vios_trust_install(st, repo, reg, url, pin);
done:
	vios_registry_free(reg);
	return error;
}

int vios_hub_create(vios_store *st, const char *path)
{
	return vios_hub_create_with(st, path, NULL);
}

int vios_hub_create_with(vios_store *st, const char *path, const char *covenant_text)
{
	git_repository *repo = NULL;
	vios_reg_node self;
	vios_covenant cov;
	char abs[PATH_MAX], *have = NULL, msg[96];
	int error;

	assert(st != NULL && path != NULL);
	if ((error = must_be_hub(st)) < 0)
		return error;
	/* the covenant the parties signed, checked before anything is made */
	if ((error = vios_covenant_parse(&cov, covenant_text ? covenant_text : vios_covenant_default(),
					 strlen(covenant_text ? covenant_text : vios_covenant_default()))) < 0)
		return error == VIOS_ERROR ? VIOS_EUSAGE : error;
	snprintf(msg, sizeof(msg), "registry v1: hub created, %s covenant v%lld", covenant_text ? "the given" : "default",
		 cov.version);
	vios_covenant_dispose(&cov);
	if (vios_store_meta_get(&have, st, "hub_repo") == 0) {
		vios_error_set(VIOS_ERR_INPUT, "this hub node already runs the hub at %s", have);
		free(have);
		return VIOS_EEXISTS;
	}
	if (!vios_dir_empty_or_absent(path)) {
		vios_error_set(VIOS_ERR_INPUT, "%s exists and is not empty; refusing to overwrite it", path);
		return VIOS_EEXISTS;
	}
	if ((error = vios_git_open(&repo, path, 1)) < 0)
		return error;
	if (realpath(path, abs) == NULL) {
		error = vios_error_os("cannot resolve %s", path);
		goto done;
	}
	if ((error = self_entry(&self, st->node)) < 0)
		goto done;
	if ((error = publish(st, repo, abs, &self, 1, covenant_text ? covenant_text : vios_covenant_default(), 1, msg)) < 0)
		goto done;
	if ((error = vios_store_tx_begin(st)) < 0)
		goto done;
	if ((error = vios_store_meta_set(st, "hub_repo", abs)) < 0 ||
	    (error = vios_store_log(st, "create", "registry", st->node->node_id, "hub repository created")) < 0) {
		vios_store_tx_rollback(st);
		goto done;
	}
	error = vios_store_tx_commit(st);
done:
	git_repository_free(repo);
	return error;
}

int vios_hub_open(git_repository **repo, vios_registry **reg, vios_store *st)
{
	char *path = NULL;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	git_oid head;
	int error;

	assert(repo != NULL && reg != NULL && st != NULL);
	*repo = NULL;
	*reg = NULL;
	if ((error = must_be_hub(st)) < 0)
		return error;
	if ((error = vios_store_meta_get(&path, st, "hub_repo")) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "no hub repository yet: run 'vios hub create PATH' first");
		return error;
	}
	vios_fingerprint_from_pk(pin, st->node->sign_pub.pk);
	if ((error = vios_git_open(repo, path, 0)) < 0 ||
	    (error = vios_git_ref_oid(&head, *repo, VIOS_REGISTRY_REF)) < 0 ||
	    (error = vios_registry_load(reg, *repo, &head, pin)) < 0)
		goto done;
	/* The hub checks its own repository like any reader: a rewritten
	 * registry (someone pushed past the hub) is refused here too. */
	error = vios_trust_install(st, *repo, *reg, path, pin);
done:
	free(path);
	if (error < 0) {
		vios_registry_free(*reg);
		*reg = NULL;
		git_repository_free(*repo);
		*repo = NULL;
	}
	return error;
}

int vios_hub_enroll(vios_enroll_info *out, int *already, vios_store *st, const char *text, size_t len)
{
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	vios_reg_node *nodes = NULL;
	const vios_reg_node *have;
	char msg[256], pbuf[PATH_MAX];
	int error;

	assert(out != NULL && already != NULL && st != NULL && text != NULL);
	*already = 0;
	if ((error = must_be_hub(st)) < 0)
		return error;
	if ((error = vios_enroll_request_verify(out, text, len)) < 0)
		return error;
	if (!strcmp(out->kind, "hub")) {
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: a hub node cannot be enrolled at another hub");
		return VIOS_EUSAGE;
	}
	if ((error = vios_hub_open(&repo, &reg, st)) < 0)
		goto done;
	assert(reg != NULL && (reg->nodes != NULL || reg->n == 0));
	if ((have = vios_registry_find(reg, out->node_id)) != NULL) {
		if (memcmp(have->sign_pub.pk, out->sign_pub.pk, 32) != 0 || memcmp(have->age_pk, out->age_pk, 32) != 0) {
			vios_error_set(VIOS_ERR_INPUT, "node %s is enrolled with other keys; refusing to replace them (revoke it and enroll a new node)", out->node_id);
			error = VIOS_EVERIFY;
			goto done;
		}
		if (have->revoked_at[0]) {
			vios_error_set(VIOS_ERR_INPUT, "node %s was revoked at %s; a revoked node is not enrolled again", out->node_id, have->revoked_at);
			error = VIOS_EVERIFY;
			goto done;
		}
		*already = 1;
		error = 0;
		goto done;
	}
	for (size_t i = 0; i < reg->n; i++)
		if (!memcmp(reg->nodes[i].sign_pub.pk, out->sign_pub.pk, 32) || !memcmp(reg->nodes[i].age_pk, out->age_pk, 32)) {
			vios_error_set(VIOS_ERR_INPUT, "the keys in this request belong to enrolled node %s already", reg->nodes[i].node_id);
			error = VIOS_EVERIFY;
			goto done;
		}
	if (reg->n >= VIOS_REGISTRY_MAX_NODES) {
		vios_error_set(VIOS_ERR_INPUT, "the registry is full (%d nodes)", VIOS_REGISTRY_MAX_NODES);
		error = VIOS_ERROR;
		goto done;
	}
	if ((nodes = calloc(reg->n + 1, sizeof(*nodes))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(nodes, reg->nodes, reg->n * sizeof(*nodes));
	{
		vios_reg_node *n = &nodes[reg->n];
		if (vios_snprintf(n->node_id, sizeof(n->node_id), "%s", out->node_id) < 0 ||
		    vios_snprintf(n->kind, sizeof(n->kind), "%s", out->kind) < 0 ||
		    vios_snprintf(n->role, sizeof(n->role), "%s", out->role) < 0 ||
		    vios_snprintf(n->name, sizeof(n->name), "%s", out->name) < 0) {
			error = VIOS_ERROR;
			goto done;
		}
		vios_now_iso(n->enrolled_at);
		n->last_seq = -1;
		n->sign_pub = out->sign_pub;
		memcpy(n->age_pk, out->age_pk, 32);
	}
	if ((error = vios_snprintf(msg, sizeof(msg), "registry v%lld: enroll %s (%s %s)", reg->version + 1, out->node_id,
				   out->kind, out->role)) < 0 ||
	    (error = repo_path(pbuf, sizeof(pbuf), repo)) < 0 ||
	    (error = publish(st, repo, pbuf, nodes, reg->n + 1, reg->covenant.text, reg->version + 1, msg)) < 0)
		goto done;
	error = vios_store_log(st, "update", "registry", out->node_id, "enrolled");
done:
	free(nodes);
	vios_registry_free(reg);
	git_repository_free(repo);
	return error;
}

/* What the chain verifier and the node's key accept of its ref, up to the first finding. */
typedef struct {
	const vios_reg_node *node;
	long long last;
} verified_upto;

static int upto_finding(void *ctx, const vios_chain_finding *f)
{
	(void)ctx;
	(void)f;
	return 1;
}

static int upto_bundle(void *ctx, const vios_chain_bundle *b)
{
	verified_upto *v = ctx;
	char *trusted = NULL;
	int ok;

	if (!b->sound || b->sig == NULL)
		return 1;
	ok = vios_minisign_verify(&trusted, &v->node->sign_pub, b->age, b->agelen, b->sig, b->siglen) == 0 &&
	     strcmp(trusted, b->trusted) == 0;
	free(trusted);
	vios_error_clear();
	if (!ok)
		return 1;
	v->last = b->seq;
	return 0;
}

/*
 * The last seq of a node's ref that the hub verifies: the chain's rules and
 * the node's enrolled key, up to the first thing wrong. Never a count of
 * commits: empty or foreign commits add nothing.
 */
static int last_seq_of(long long *out, git_repository *repo, const vios_reg_node *n)
{
	char ref[VIOS_LAYOUT_REF_MAX];
	git_oid head;
	verified_upto v = { n, 0 };
	vios_chain_fns fns = { upto_finding, upto_bundle, &v };
	int error;

	assert(out != NULL && repo != NULL && n != NULL);
	*out = 0;
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, n->node_id);
	if ((error = vios_git_ref_oid(&head, repo, ref)) == VIOS_ENOTFOUND)
		return 0;
	if (error < 0 || (error = vios_chain_walk(repo, n->node_id, &head, NULL, &fns)) < 0)
		return error;
	*out = v.last;
	return 0;
}

/*
 * The entry `which` names in reg: its node id, else exactly its name.
 * VIOS_EUSAGE listing the ids when several carry that name, VIOS_ENOTFOUND
 * when none does.
 */
static int find_node(vios_reg_node **out, vios_registry *reg, const char *which)
{
	char ids[400] = "";
	size_t n = 0, used = 0;

	assert(out != NULL && reg != NULL && which != NULL);
	*out = NULL;
	if (vios_uuid_valid(which) && (*out = (vios_reg_node *)vios_registry_find(reg, which)) != NULL)
		return 0;
	for (size_t i = 0; i < reg->n; i++) {
		if (strcmp(reg->nodes[i].name, which) != 0)
			continue;
		*out = &reg->nodes[i];
		/* the line names every id that fits in it, and says how many there are */
		if (used < sizeof(ids)) {
			int k = snprintf(ids + used, sizeof(ids) - used, "%s%s", n ? ", " : "", reg->nodes[i].node_id);
			used = k < 0 ? sizeof(ids) : used + (size_t)k;
		}
		n++;
	}
	if (n == 1)
		return 0;
	*out = NULL;
	if (n == 0) {
		vios_error_set(VIOS_ERR_INPUT, "node %s is not enrolled", which);
		return VIOS_ENOTFOUND;
	}
	vios_error_set(VIOS_ERR_INPUT, "%zu nodes are named \"%s\": %s%s; revoke one by its node id", n, which, ids,
		       used >= sizeof(ids) ? "..." : "");
	return VIOS_EUSAGE;
}

int vios_hub_revoke(vios_reg_node *out, vios_store *st, const char *which)
{
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	vios_reg_node *n;
	const char *node_id;
	char msg[256], pbuf[PATH_MAX];
	int error;

	assert(out != NULL && st != NULL && which != NULL);
	if ((error = must_be_hub(st)) < 0)
		return error;
	if ((error = vios_hub_open(&repo, &reg, st)) < 0 || (error = find_node(&n, reg, which)) < 0)
		goto done;
	node_id = n->node_id;
	if (!strcmp(node_id, st->node->node_id)) {
		vios_error_set(VIOS_ERR_INPUT, "the hub cannot revoke itself");
		error = VIOS_EUSAGE;
		goto done;
	}
	if (n->revoked_at[0]) {
		*out = *n;
		error = 0;
		goto done;
	}
	if ((error = last_seq_of(&n->last_seq, repo, n)) < 0)
		goto done;
	vios_now_iso(n->revoked_at);
	*out = *n;
	if ((error = vios_snprintf(msg, sizeof(msg), "registry v%lld: revoke %s after seq %lld", reg->version + 1, node_id,
				   n->last_seq)) < 0 ||
	    (error = repo_path(pbuf, sizeof(pbuf), repo)) < 0 ||
	    (error = publish(st, repo, pbuf, reg->nodes, reg->n, reg->covenant.text, reg->version + 1, msg)) < 0)
		goto done;
	error = vios_store_log(st, "update", "registry", node_id, "revoked");
done:
	vios_registry_free(reg);
	git_repository_free(repo);
	return error;
}

int vios_hub_covenant_set(vios_covenant *out, vios_store *st, const char *text, size_t len)
{
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	char msg[256], pbuf[PATH_MAX];
	int error;

	assert(out != NULL && st != NULL && text != NULL);
	if ((error = must_be_hub(st)) < 0)
		return error;
	if ((error = vios_covenant_parse(out, text, len)) < 0)
		return error;
	if ((error = vios_hub_open(&repo, &reg, st)) < 0)
		goto done;
	if (out->version <= reg->covenant.version) {
		vios_error_set(VIOS_ERR_INPUT, "covenant: version %lld is not newer than the covenant in force (version %lld)",
			       out->version, reg->covenant.version);
		error = VIOS_ERROR;
		goto done;
	}
	if ((error = vios_snprintf(msg, sizeof(msg), "registry v%lld: covenant version %lld", reg->version + 1,
				   out->version)) < 0 ||
	    (error = repo_path(pbuf, sizeof(pbuf), repo)) < 0 ||
	    (error = publish(st, repo, pbuf, reg->nodes, reg->n, out->text, reg->version + 1, msg)) < 0)
		goto done;
	error = vios_store_log(st, "update", "covenant", NULL, "covenant published");
done:
	if (error < 0)
		vios_covenant_dispose(out);
	vios_registry_free(reg);
	git_repository_free(repo);
	return error;
}

/* Fills out's last_seq and last_ms (vios_hub_node) from the top of the ref
 * of out->node in the hub repository. */
static int node_top(vios_hub_node *out, git_repository *repo)
{
	char ref[VIOS_LAYOUT_REF_MAX], path[VIOS_LAYOUT_PATH_MAX], *peek = NULL;
	vios_bundle_header h;
	uint8_t *sig = NULL;
	size_t siglen;
	git_oid head;
	int error;

	assert(out != NULL && repo != NULL);
	memset(&h, 0, sizeof(h));
	out->last_seq = 0;
	out->last_ms = -1;
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, out->node.node_id);
	if ((error = vios_git_ref_oid(&head, repo, ref)) == VIOS_ENOTFOUND) {
		vios_error_clear();
		return 0;
	}
	if (error < 0 || (error = vios_chain_top(&out->last_seq, NULL, repo, &head)) < 0 || out->last_seq == 0)
		return error;
	vios_layout_bundle_path(path, out->last_seq, 1);
	if ((error = vios_git_read_blob(&sig, &siglen, repo, &head, path, VIOS_BUNDLE_SIG_MAX)) == 0) {
		/* a signature without a header naming this node and seq leaves the clock unknown */
		if (vios_chain_peek_header(&peek, (char *)sig, siglen) == 0 && vios_bundle_header_parse(&h, peek) == 0 &&
		    !strcmp(h.sender, out->node.node_id) && h.seq == out->last_seq)
			out->last_ms = (int64_t)VIOS_HLC_MS(h.hlc);
		vios_error_clear();
	} else if (error == VIOS_ENOTFOUND || error == VIOS_ECORRUPT) {
		/* no readable signature beside the bundle: the same */
		vios_error_clear();
		error = 0;
	}
	vios_bundle_header_dispose(&h);
	free(peek);
	free(sig);
	return error;
}

int vios_hub_node_list(vios_hub_node **out, size_t *n, vios_store *st)
{
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	vios_hub_node *rows = NULL;
	int error;

	assert(out != NULL && n != NULL && st != NULL);
	*out = NULL;
	*n = 0;
	if ((error = vios_hub_open(&repo, &reg, st)) < 0)
		goto done;
	assert(reg->n > 0 && reg->nodes != NULL); /* the hub itself, at least */
	if ((rows = calloc(reg->n, sizeof(*rows))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < reg->n && error == 0; i++) {
		rows[i].node = reg->nodes[i];
		vios_fingerprint_of_key(rows[i].fingerprint, reg->nodes[i].sign_pub.pk);
		error = node_top(&rows[i], repo);
	}
done:
	if (error < 0) {
		free(rows);
	} else {
		*out = rows;
		*n = reg->n;
	}
	vios_registry_free(reg);
	git_repository_free(repo);
	return error;
}

/* Pushes hub refs to the stick; a ref the stick has newer is left as it is. */
static int give_refs(vios_store *st, git_repository *hub, const char *usb_path, size_t *given)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	char **specs = NULL;
	size_t n = 0, cap = 0;
	int rc, error = 0;

	assert(hub != NULL && usb_path != NULL && given != NULL);
	*given = 0;
	if ((rc = git_reference_iterator_glob_new(&it, hub, VIOS_HEADS_GLOB)) < 0)
		return vios_git_error(rc, "listing hub refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		if (!strcmp(name, VIOS_REGISTRY_REF) || vios_layout_ref_node(name, VIOS_NODES_REFS) != NULL) {
			if (n == cap) {
				char **ns = realloc(specs, (cap = cap ? cap * 2 : 16) * sizeof(*specs));
				if (ns == NULL) {
					git_reference_free(ref);
					error = vios_error_nomem();
					goto done;
				}
				specs = ns;
			}
			assert(n < cap);
			if ((specs[n] = malloc(2 * strlen(name) + 2)) == NULL) {
				git_reference_free(ref);
				error = vios_error_nomem();
				goto done;
			}
			sprintf(specs[n], "%s:%s", name, name);
			n++;
		}
		git_reference_free(ref);
	}
	/* one push per ref: a rejected one (the stick is ahead) does not stop the rest */
	for (size_t i = 0; i < n; i++) {
		const char *one[1] = { specs[i] };
		int e = vios_net_push(st, hub, usb_path, one, 1);
		if (e == 0)
			(*given)++;
		else if (e != VIOS_EVERIFY) {
			error = e;
			goto done;
		}
	}
done:
	for (size_t i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
	git_reference_iterator_free(it);
	return error;
}

/* Rotates and destroys the hub's epoch keys, then seals what it has to
 * send (an epoch announcement at least) and moves its own ref into the hub
 * repository, as a node's sync pushes it. */
static int hub_epochs(vios_store *st, git_repository *own, const char *hub_path)
{
	vios_export_report ex;
	char ref[VIOS_LAYOUT_REF_MAX], spec1[2 * VIOS_LAYOUT_REF_MAX + 2];
	const char *one[1] = { spec1 };
	long long top;
	int error;

	if ((error = vios_epoch_maintain(NULL, st, 0)) < 0 || (error = vios_bundle_export(&ex, st)) < 0 ||
	    (error = vios_ledger_outbox_committed_max(&top, st)) < 0)
		return error;
	if (top == 0)
		return 0;
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, st->node->node_id);
	if ((error = vios_snprintf(spec1, sizeof(spec1), "%s:%s", ref, ref)) < 0 ||
	    (error = vios_net_push(st, own, hub_path, one, 1)) < 0)
		return error;
	{
		size_t n;
		return vios_ledger_outbox_mark_pushed(&n, st, top);
	}
}

static char repack_failed[512];

const char *vios_hub_repack_failed(void)
{
	return repack_failed[0] ? repack_failed : NULL;
}

/* VIOS_GIT_REPACK_PACKS; a test build (fault points, as util.c's clock)
 * honours VIOS_TEST_REPACK_PACKS=N (1..100000), so a test passes it with a
 * few pushes. A release build ignores it. */
static size_t repack_threshold(void)
{
#ifndef VIOS_NO_FAULTS
	const char *v = getenv("VIOS_TEST_REPACK_PACKS");
	char *end;
	long n;

	if (v && *v) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno == 0 && *end == 0 && n >= 1 && n <= 100000)
			return (size_t)n;
	}
#endif
	return VIOS_GIT_REPACK_PACKS;
}

/* Rolls up repo's packs past the threshold; never fails the merge: the
 * first failure is kept for vios_hub_repack_failed. */
static void repack(git_repository *repo, const char *which)
{
	vios_git_repack_report r;

	if (vios_git_repack(&r, repo, repack_threshold()) < 0) {
		if (!repack_failed[0])
			snprintf(repack_failed, sizeof(repack_failed), "%s's packs were not consolidated: %s", which,
				 vios_error_last());
		vios_error_clear();
	}
}

int vios_hub_merge(vios_sync_report *rep, size_t *taken, size_t *given, vios_store *st, const char *via)
{
	/* a stick's node refs are fetched apart from the hub's own */
	static const char *const spec[] = { "+" VIOS_NODES_REFS "*:" VIOS_INCOMING_NODES "*" };
	static const char *const usb_spec[] = { "+" VIOS_NODES_REFS "*:" VIOS_USB_NODES "*" };
	git_repository *hub = NULL, *own = NULL;
	vios_registry *reg = NULL;
	char *hub_path = NULL, abs[PATH_MAX];
	int error;

	/* via is optional (NULL: the hub's own repository) */
	assert(rep != NULL && taken != NULL && given != NULL && st != NULL);
	memset(rep, 0, sizeof(*rep));
	*taken = *given = 0;
	repack_failed[0] = 0;
	if ((error = vios_net_wait_repo(st)) < 0 || (error = vios_hub_open(&hub, &reg, st)) < 0 ||
	    (error = vios_store_meta_get(&hub_path, st, "hub_repo")) < 0 ||
	    (error = vios_trust_repo(&own, st->node)) < 0)
		goto done;
	if (via && !strncmp(via, "file://", 7))
		via += 7;
	if (via && !vios_net_is_url(via)) {
		/* a stick made with 'vios stick init', never made here */
		if ((error = vios_net_stick_check(via)) < 0)
			goto done;
		if (realpath(via, abs) != NULL)
			via = abs;
	}
	/* a hub that has not merged for a while (or never rolled up) fetches
	 * from one pack instead of thousands: the fetch looks up every object */
	if (!via) {
		repack(hub, "the hub repository");
		/* and the fetch's pack is built without a delta search */
		if (vios_git_config_nodelta(hub) < 0) {
			if (!repack_failed[0])
				snprintf(repack_failed, sizeof(repack_failed), "%s", vios_error_last());
			vios_error_clear();
		}
	}
	/* verify (and import what is for the hub) everything the source holds */
	if ((error = vios_net_fetch(st, own, via ? via : hub_path, via ? usb_spec : spec, 1)) < 0 ||
	    (error = vios_sync_import_refs(rep, st, own, via ? VIOS_USB_NODES : VIOS_INCOMING_NODES, via != NULL)) < 0)
		goto done;
	VIOS_FAULT("merge.imported");
	/* the hub's epoch keys follow every node's rule (epoch.h): rotated and
	 * destroyed here, a new epoch announced on the hub's own node ref */
	if (!via && (error = hub_epochs(st, own, hub_path)) < 0)
		goto done;
	if (via) {
		/* refs that verified to their head move into the hub repository */
		git_reference_iterator *it = NULL;
		git_reference *ref;
		int rc;
		if ((rc = git_reference_iterator_glob_new(&it, own, VIOS_USB_NODES "*")) < 0) {
			error = vios_git_error(rc, "listing node refs");
			goto done;
		}
		while ((rc = git_reference_next(&ref, it)) == 0) {
			const char *id = vios_layout_ref_node(git_reference_name(ref), VIOS_USB_NODES);
			char seen[VIOS_LAYOUT_REF_MAX], dst[VIOS_LAYOUT_REF_MAX], spec1[256];
			git_oid s;
			if (id && vios_uuid_valid(id) && strcmp(id, st->node->node_id) != 0) {
				vios_layout_node_ref(seen, sizeof(seen), VIOS_SEEN_NODES, id);
				if (vios_git_ref_oid(&s, own, seen) == 0 && git_oid_equal(&s, git_reference_target(ref))) {
					const char *one[1] = { spec1 };
					vios_layout_node_ref(dst, sizeof(dst), VIOS_NODES_REFS, id);
					int e = vios_snprintf(spec1, sizeof(spec1), "%s:%s", seen, dst) < 0
							? VIOS_ERROR
							: vios_net_push(st, own, hub_path, one, 1);
					if (e == 0)
						(*taken)++;
					else if (e != VIOS_EVERIFY) {
						git_reference_free(ref);
						git_reference_iterator_free(it);
						error = e;
						goto done;
					}
				}
			}
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
		/* what came from the stick on disk before the merge is logged
		 * (libgit2's push itself moves the refs without a sync:
		 * docs/faults.md) */
		if (*taken && (error = vios_git_sync(hub)) < 0)
			goto done;
		/* and the stick gets the hub's registry and every node's ref */
		if ((error = give_refs(st, hub, via, given)) < 0)
			goto done;
	}
	{
		char why[128];
		if ((error = vios_snprintf(why, sizeof(why), "hub merge%s: %zu new bundles, %zu quarantined",
					   via ? " via USB" : "", rep->bundles, rep->alarms)) < 0 ||
		    (error = vios_store_log(st, "import", "bundle", NULL, why)) < 0)
			goto done;
	}
	/* what this merge added (the hub's push, a stick's refs, the fetch
	 * into the hub's own repository) and pushes that landed meanwhile */
	repack(hub, "the hub repository");
	repack(own, "the hub's own repository");
	if (rep->alarms) {
		vios_error_set(VIOS_ERR_BUNDLE, "%zu quarantined (kept, not applied): %s", rep->alarms, rep->first_alarm);
		error = VIOS_EVERIFY;
	}
done:
	free(hub_path);
	vios_registry_free(reg);
	git_repository_free(own);
	git_repository_free(hub);
	return error;
}
