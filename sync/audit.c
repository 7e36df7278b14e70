/*
 * audit.c - see audit.h.
 *
 * Layout of the private working directory (mkdtemp under $TMPDIR, removed
 * by vios_audit_free):
 *   mirror.git   bare; the source's registry ref and node refs under the
 *                mirror namespaces of layout.h
 *   replay/      the throwaway encrypted store of vios_audit_replay
 */
#include "audit.h"
#include "crypto/age.h"
#include "crypto/minisign.h"
#include "git.h"
#include "layout.h"
#include "trust.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_KEYS 4
/* Times in the registry have whole seconds; a bundle sealed within the
 * same second as an enrollment or revocation is given the benefit. */
#define GRACE_MS 1000

typedef struct {
	vios_audit_node pub;
	uint64_t enrolled_ms, revoked_ms; /* revoked_ms 0 when not revoked */
	vios_minisign_pub keys[MAX_KEYS];
	size_t nkeys;
	long long seen_in; /* the last registry version listing it */
} anode;

typedef struct {
	vios_covenant cov;
	long long registry_version; /* the first registry version carrying it */
} acov;

typedef struct {
	char id[37];
	git_oid head;
	long long last_seq;  /* the highest seq on the ref */
	long long cut;       /* the first untrustworthy seq, 0 when none */
	uint64_t cut_hlc;    /* that bundle's header clock, 0 when unknown */
	char cut_why[700];
	int bad;             /* the whole ref is untrustworthy (unknown sender) */
} aref;

struct vios_audit {
	char dir[PATH_MAX];
	char source[PATH_MAX];
	git_repository *repo;
	uint8_t pin[8];
	vios_audit_root_source root_source;
	int have_root;
	size_t reg_versions;
	long long reg_version;
	git_oid reg_head;
	int have_reg_head;
	anode *nodes;
	size_t nnodes, capnodes;
	acov *covs;
	size_t ncovs;
	aref *refs;
	size_t nrefs;
	vios_audit_finding *findings;
	size_t nfindings, capfindings;
	int nomem;
	int root_failed;     /* the first registry commit is not the trusted root's */
	json_t *checkpoint;
	size_t bundles;
	int verified;
};

/* ---- findings ------------------------------------------------------------- */

static void finding(vios_audit *a, const char *node, long long seq, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void vfinding(vios_audit *a, const char *node, long long seq, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void vfinding(vios_audit *a, const char *node, long long seq, const char *fmt, va_list ap)
{
	vios_audit_finding *f;

	if (a->nfindings == a->capfindings) {
		size_t cap = a->capfindings ? a->capfindings * 2 : 16;
		vios_audit_finding *nf = realloc(a->findings, cap * sizeof(*nf));
		if (nf == NULL) {
			a->nomem = 1;
			return;
		}
		a->findings = nf;
		a->capfindings = cap;
	}
	f = &a->findings[a->nfindings++];
	memset(f, 0, sizeof(*f));
	snprintf(f->node, sizeof(f->node), "%s", node ? node : "");
	f->seq = seq;
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	for (char *p = f->what; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void finding(vios_audit *a, const char *node, long long seq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfinding(a, node, seq, fmt, ap);
	va_end(ap);
}

const vios_audit_finding *vios_audit_findings(const vios_audit *a, size_t *n)
{
	*n = a->nfindings;
	return a->findings;
}

/* ---- small helpers --------------------------------------------------------- */


/* "YYYY-MM-DDTHH:MM:SSZ" -> ms; 0 when malformed. */
static uint64_t iso_ms(const char *s)
{
	struct tm tm;
	char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end)
		return 0;
	if ((t = timegm(&tm)) < 0)
		return 0;
	return (uint64_t)t * 1000;
}

static const char *short_oid(char out[13], const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), oid);
	snprintf(out, 13, "%.12s", hex);
	return out;
}

static anode *find_anode(const vios_audit *a, const char *id)
{
	for (size_t i = 0; i < a->nnodes; i++)
		if (!strcmp(a->nodes[i].pub.node_id, id))
			return &a->nodes[i];
	return NULL;
}

const vios_audit_node *vios_audit_find_node(const vios_audit *a, const char *node_id)
{
	const anode *n = find_anode(a, node_id);
	return n ? &n->pub : NULL;
}

const vios_audit_node *vios_audit_resolve_node(const vios_audit *a, const char *text)
{
	const anode *found = NULL;

	if ((found = find_anode(a, text)) != NULL)
		return &found->pub;
	for (size_t i = 0; i < a->nnodes; i++)
		if (!strcmp(a->nodes[i].pub.name, text)) {
			if (found) {
				vios_error_set(VIOS_ERR_INPUT, "more than one node is named '%s': give the node id", text);
				return NULL;
			}
			found = &a->nodes[i];
		}
	if (found == NULL)
		vios_error_set(VIOS_ERR_INPUT, "no node '%s' in the registry history (give a node id or name)", text);
	return found ? &found->pub : NULL;
}

static const acov *find_cov(const vios_audit *a, long long version)
{
	for (size_t i = 0; i < a->ncovs; i++)
		if (a->covs[i].cov.version == version)
			return &a->covs[i];
	return NULL;
}

static int addressed(const vios_bundle_header *h, const char *id)
{
	for (size_t i = 0; i < h->nrecipients; i++)
		if (!strcmp(h->recipients[i], id))
			return 1;
	return 0;
}

/*
 * The trusted comment of a signature file, unverified, as a malloc'd string
 * in *out; VIOS_ECORRUPT saying why when the file is not a minisign
 * signature file.
 */
static int peek_trusted(char **out, const char *sig, size_t siglen)
{
	vios_minisign_sig ms;
	int error;

	*out = NULL;
	if ((error = vios_minisign_sig_parse(&ms, sig, siglen)) < 0)
		return error == VIOS_ERROR ? VIOS_ECORRUPT : error;
	return vios_minisign_sig_trusted(out, &ms);
}

/* A bundle file's seq from its path in a node's tree (*sig 1 for the .minisig); 0 otherwise. */
static long long bundle_seq(const char *path, int *sig)
{
	long long seq;

	return vios_layout_bundle_path_parse(&seq, sig, path) == 0 ? seq : 0;
}

/* ---- the recipient rule ----------------------------------------------------- */

int vios_audit_rule(char *why, size_t len, const vios_covenant *cov, const char *sender_kind,
		    const char *rcpt_kind, const char *rcpt_role, unsigned categories, int in_table)
{
	static const char *const cats[2] = { "theme", "case" };

	if (!strcmp(rcpt_kind, "auditor"))
		return 1;
	for (int c = 0; c < 2; c++) {
		if (!(categories & (1u << c)))
			continue;
		if (!strcmp(rcpt_kind, "school")) {
			if (strcmp(sender_kind, "school") != 0)
				continue; /* back to the school that owns the record */
			if (!(cov->receives[c] & (1u << vios_role_index("school")))) {
				snprintf(why, len, "covenant v%lld does not let a school receive another school's %s data",
					 cov->version, cats[c]);
				return 0;
			}
		} else if (!strcmp(rcpt_kind, "hub")) {
			if (c == 0 && !(cov->receives[0] & (1u << vios_role_index("hub")))) {
				snprintf(why, len, "covenant v%lld does not give the hub theme data", cov->version);
				return 0;
			}
			if (c == 1 && !cov->hub_role[0]) {
				snprintf(why, len, "covenant v%lld gives the hub no role for case data (hub_role is null)", cov->version);
				return 0;
			}
			if (c == 1 && !(cov->receives[1] & (1u << vios_role_index(cov->hub_role)))) {
				snprintf(why, len, "covenant v%lld does not let the hub's role %s receive case data", cov->version,
					 cov->hub_role);
				return 0;
			}
		} else if (!strcmp(rcpt_kind, "partner")) {
			int r = vios_role_index(rcpt_role);
			if (r < 0 || !(cov->receives[c] & (1u << r))) {
				snprintf(why, len, "covenant v%lld does not let role %s receive %s data", cov->version,
					 rcpt_role, cats[c]);
				return 0;
			}
			if (in_table == 0) {
				snprintf(why, len, "covenant v%lld does not seat it at the sender's table", cov->version);
				return 0;
			}
		} else {
			snprintf(why, len, "a %s node receives no data", rcpt_kind);
			return 0;
		}
	}
	return 1;
}

/* ---- opening: working directory, mirror, checkpoint ------------------------- */

static int make_workdir(vios_audit *a)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || !*tmp)
		tmp = "/tmp";
	if (vios_snprintf(a->dir, sizeof(a->dir), "%s/vios-audit.XXXXXX", tmp) < 0)
		return VIOS_ERROR;
	if (mkdtemp(a->dir) == NULL) {
		int error = vios_error_os("cannot make a working directory under %s", tmp);
		a->dir[0] = 0;
		return error;
	}
	return 0;
}

/*
 * A repository on a local path (or file://) is not fetched: fetching makes
 * libgit2 pack every tree of every commit afresh, and a node's bundles
 * tree grows with each commit, so that costs time quadratic in the
 * history. Instead the mirror borrows the source's object store read-only
 * as an alternate (objects are content-addressed; libgit2 checks each
 * object's hash when it reads it) and takes a snapshot of its refs.
 */
static int mirror_local(vios_audit *a, const char *path)
{
	git_repository *src = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	char objects[PATH_MAX];
	int rc, error = 0;

	if ((rc = git_repository_open_ext(&src, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		vios_error_set(VIOS_ERR_GIT, "%s is not a git repository", path);
		git_error_clear();
		return VIOS_ERROR;
	}
	if ((error = vios_snprintf(objects, sizeof(objects), "%sobjects", git_repository_commondir(src))) < 0)
		goto done;
	if ((rc = git_repository_odb(&odb, a->repo)) < 0 || (rc = git_odb_add_disk_alternate(odb, objects)) < 0 ||
	    (rc = git_reference_iterator_glob_new(&it, src, VIOS_HEADS_GLOB)) < 0) {
		error = vios_git_error(rc, path);
		goto done;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref), *id;
		git_reference *resolved = NULL, *made = NULL;
		char dst[300];
		dst[0] = 0;
		if (!strcmp(name, VIOS_REGISTRY_REF))
			snprintf(dst, sizeof(dst), "%s", VIOS_MIRROR_REGISTRY_REF);
		else if ((id = vios_layout_ref_node(name, VIOS_NODES_REFS)) != NULL)
			snprintf(dst, sizeof(dst), "%s%s", VIOS_MIRROR_NODES, id);
		if (dst[0] && git_reference_resolve(&resolved, ref) == 0 && git_reference_target(resolved)) {
			rc = git_reference_create(&made, a->repo, dst, git_reference_target(resolved), 1, "vios audit: snapshot");
			git_reference_free(made);
			if (rc < 0) {
				git_reference_free(resolved);
				git_reference_free(ref);
				error = vios_git_error(rc, name);
				goto done;
			}
		}
		git_reference_free(resolved);
		git_reference_free(ref);
	}
	if (rc != GIT_ITEROVER)
		error = vios_git_error(rc, path);
done:
	git_reference_iterator_free(it);
	git_odb_free(odb);
	git_repository_free(src);
	return error;
}

static int fetch_mirror(vios_audit *a)
{
	static const char *const specs[] = { "+" VIOS_REGISTRY_REF ":" VIOS_MIRROR_REGISTRY_REF,
					     "+" VIOS_NODES_REFS "*:" VIOS_MIRROR_NODES "*" };
	char path[PATH_MAX];
	const char *local = NULL;
	struct stat sb;
	int error;

	if (vios_snprintf(path, sizeof(path), "%s/mirror.git", a->dir) < 0)
		return VIOS_ERROR;
	if ((error = vios_git_open(&a->repo, path, 1)) < 0)
		return error;
	if (!strncmp(a->source, "file://", 7))
		local = a->source + 7;
	else if (strstr(a->source, "://") == NULL && strchr(a->source, ':') == NULL)
		local = a->source;
	if (local == NULL)
		return vios_git_fetch(a->repo, a->source, specs, 2);
	if (stat(local, &sb) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "cannot read %s: %s", local, strerror(errno));
		return VIOS_ERROR;
	}
	return mirror_local(a, local);
}

static int bad_checkpoint(const char *path, const char *why)
{
	vios_error_set(VIOS_ERR_INPUT, "checkpoint %s: %s; refusing it (move it away to start a new one)", path, why);
	return VIOS_ECORRUPT;
}

static int hex_oid_ok(json_t *v)
{
	const char *s = json_string_value(v);
	git_oid o;
	return s && strlen(s) == GIT_OID_HEXSZ && strspn(s, "0123456789abcdef") == GIT_OID_HEXSZ &&
	       git_oid_fromstr(&o, s) == 0;
}

static int checkpoint_load(vios_audit *a, const char *path)
{
	static const char *const known[] = { "format", "hub_fingerprint", "source", "written_at", "registry", "nodes", NULL };
	uint8_t *buf = NULL;
	size_t len;
	json_t *o = NULL, *v, *reg, *nodes;
	json_error_t jerr;
	const char *key;
	int error;

	if ((error = vios_file_read(&buf, &len, path, VIOS_AUDIT_CHECKPOINT_MAX)) == VIOS_ENOTFOUND)
		return 0; /* the first run makes it */
	if (error == VIOS_ECORRUPT)
		return bad_checkpoint(path, "too large");
	if (error < 0)
		return error;
	error = VIOS_ECORRUPT;
	if ((o = json_loadb((char *)buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(o) ||
	    strcmp(json_string_value(json_object_get(o, "format")) ?: "", VIOS_AUDIT_CHECKPOINT_FORMAT) != 0) {
		error = bad_checkpoint(path, "not a vios audit checkpoint (format " VIOS_AUDIT_CHECKPOINT_FORMAT ")");
		goto done;
	}
	json_object_foreach(o, key, v) {
		int ok = 0;
		for (const char *const *k = known; *k; k++)
			ok |= !strcmp(*k, key);
		if (!ok) {
			error = bad_checkpoint(path, "unknown field");
			goto done;
		}
	}
	reg = json_object_get(o, "registry");
	nodes = json_object_get(o, "nodes");
	{
		uint8_t kid[8];
		const char *fp = json_string_value(json_object_get(o, "hub_fingerprint"));
		if (fp == NULL || strlen(fp) != 16 || vios_fingerprint_parse(kid, fp) < 0) {
			error = bad_checkpoint(path, "no valid hub_fingerprint");
			goto done;
		}
	}
	if (!json_is_object(reg) || json_object_size(reg) != 2 || !hex_oid_ok(json_object_get(reg, "head")) ||
	    !json_is_integer(json_object_get(reg, "version")) || json_integer_value(json_object_get(reg, "version")) < 1) {
		error = bad_checkpoint(path, "no valid registry head and version");
		goto done;
	}
	if (!json_is_object(nodes)) {
		error = bad_checkpoint(path, "no nodes");
		goto done;
	}
	json_object_foreach(nodes, key, v) {
		json_t *seq = json_object_get(v, "last_seq");
		if (!vios_uuid_valid(key) || !json_is_object(v) || json_object_size(v) != 2 ||
		    !hex_oid_ok(json_object_get(v, "head")) || !json_is_integer(seq) || json_integer_value(seq) < 0) {
			error = bad_checkpoint(path, "a node entry is malformed");
			goto done;
		}
	}
	a->checkpoint = o;
	o = NULL;
	error = 0;
done:
	json_decref(o);
	free(buf);
	return error;
}

/* ---- the registry history ------------------------------------------------- */

static int add_node(vios_audit *a, const vios_reg_node *n, long long version)
{
	anode *x;

	if (a->nnodes == a->capnodes) {
		size_t cap = a->capnodes ? a->capnodes * 2 : 16;
		anode *nn = realloc(a->nodes, cap * sizeof(*nn));
		if (nn == NULL)
			return vios_error_nomem();
		a->nodes = nn;
		a->capnodes = cap;
	}
	x = &a->nodes[a->nnodes++];
	memset(x, 0, sizeof(*x));
	memcpy(x->pub.node_id, n->node_id, sizeof(x->pub.node_id));
	memcpy(x->pub.kind, n->kind, sizeof(x->pub.kind));
	memcpy(x->pub.role, n->role, sizeof(x->pub.role));
	memcpy(x->pub.name, n->name, sizeof(x->pub.name));
	memcpy(x->pub.enrolled_at, n->enrolled_at, sizeof(x->pub.enrolled_at));
	memcpy(x->pub.revoked_at, n->revoked_at, sizeof(x->pub.revoked_at));
	x->pub.last_seq = n->revoked_at[0] ? n->last_seq : -1;
	x->enrolled_ms = iso_ms(n->enrolled_at);
	x->revoked_ms = n->revoked_at[0] ? iso_ms(n->revoked_at) : 0;
	x->keys[0] = n->sign_pub;
	x->nkeys = 1;
	x->seen_in = version;
	return 0;
}

/* Folds one verified registry version into what the history says. */
static int merge_registry(vios_audit *a, const vios_registry *reg, long long prev_version)
{
	int error;

	for (size_t i = 0; i < reg->n; i++) {
		const vios_reg_node *n = &reg->nodes[i];
		anode *x = find_anode(a, n->node_id);
		size_t k;

		if (x == NULL) {
			if ((error = add_node(a, n, reg->version)) < 0)
				return error;
			continue;
		}
		x->seen_in = reg->version;
		if (strcmp(x->pub.kind, n->kind) || strcmp(x->pub.role, n->role))
			finding(a, "", 0, "registry v%lld changes node %s from %s/%s to %s/%s: a node's kind and role are fixed at enrollment",
				reg->version, n->node_id, x->pub.kind, x->pub.role, n->kind, n->role);
		memcpy(x->pub.name, n->name, sizeof(x->pub.name));
		for (k = 0; k < x->nkeys && memcmp(&x->keys[k], &n->sign_pub, sizeof(n->sign_pub)); k++)
			;
		if (k == x->nkeys) {
			finding(a, "", 0, "registry v%lld gives node %s another signing key: a node's keys never change (revoke it and enroll a new node)",
				reg->version, n->node_id);
			if (x->nkeys < MAX_KEYS)
				x->keys[x->nkeys++] = n->sign_pub;
		}
		if (x->pub.revoked_at[0] && !n->revoked_at[0])
			finding(a, "", 0, "registry v%lld withdraws the revocation of node %s (revoked at %s): a revocation is final",
				reg->version, n->node_id, x->pub.revoked_at);
		else if (!x->pub.revoked_at[0] && n->revoked_at[0]) {
			memcpy(x->pub.revoked_at, n->revoked_at, sizeof(x->pub.revoked_at));
			x->pub.last_seq = n->last_seq;
			x->revoked_ms = iso_ms(n->revoked_at);
		} else if (x->pub.revoked_at[0] && n->last_seq != x->pub.last_seq) {
			finding(a, "", 0, "registry v%lld changes the last seq of revoked node %s from %lld to %lld",
				reg->version, n->node_id, x->pub.last_seq, n->last_seq);
			if (n->last_seq < x->pub.last_seq)
				x->pub.last_seq = n->last_seq;
		}
	}
	for (size_t i = 0; i < a->nnodes; i++)
		if (prev_version > 0 && a->nodes[i].seen_in == prev_version)
			finding(a, "", 0, "registry v%lld drops node %s (\"%s\"): nodes are revoked, never removed",
				reg->version, a->nodes[i].pub.node_id, a->nodes[i].pub.name);
	/* covenants */
	{
		const acov *have = find_cov(a, reg->covenant.version);
		long long newest = 0;
		for (size_t i = 0; i < a->ncovs; i++)
			if (a->covs[i].cov.version > newest)
				newest = a->covs[i].cov.version;
		if (have && strcmp(have->cov.text, reg->covenant.text) != 0)
			finding(a, "", 0, "registry v%lld publishes covenant version %lld with other text than registry v%lld did",
				reg->version, reg->covenant.version, have->registry_version);
		if (reg->covenant.version < newest)
			finding(a, "", 0, "registry v%lld goes back to covenant version %lld after version %lld", reg->version,
				reg->covenant.version, newest);
		if (have == NULL) {
			acov *nc = realloc(a->covs, (a->ncovs + 1) * sizeof(*nc));
			if (nc == NULL)
				return vios_error_nomem();
			a->covs = nc;
			memset(&nc[a->ncovs], 0, sizeof(nc[a->ncovs]));
			if ((error = vios_covenant_parse(&nc[a->ncovs].cov, reg->covenant.text, strlen(reg->covenant.text))) < 0)
				return error; /* it parsed when the registry loaded */
			nc[a->ncovs].registry_version = reg->version;
			a->ncovs++;
		}
	}
	return 0;
}

/* The first-parent chain from head back to its root, oldest first. */
static int first_parent_chain(git_oid **out, size_t *n, size_t *merges, git_repository *repo, const git_oid *head)
{
	git_oid *chain = NULL, oid = *head;
	size_t cap = 0, len = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (merges)
		*merges = 0;
	for (;;) {
		git_commit *c = NULL;
		unsigned parents;
		if (len == cap) {
			git_oid *nc = realloc(chain, (cap = cap ? cap * 2 : 64) * sizeof(*nc));
			if (nc == NULL) {
				free(chain);
				return vios_error_nomem();
			}
			chain = nc;
		}
		chain[len++] = oid;
		if ((rc = git_commit_lookup(&c, repo, &oid)) < 0)
			break;
		parents = git_commit_parentcount(c);
		if (parents > 1 && merges)
			(*merges)++;
		if (parents > 0)
			oid = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		if (parents == 0)
			break;
	}
	if (rc < 0) {
		free(chain);
		return vios_git_error(rc, "reading history");
	}
	for (size_t i = 0; i < len / 2; i++) {
		git_oid t = chain[i];
		chain[i] = chain[len - 1 - i];
		chain[len - 1 - i] = t;
	}
	*out = chain;
	*n = len;
	return 0;
}

static int registry_walk(vios_audit *a)
{
	git_oid head, *chain = NULL;
	size_t n = 0, merges = 0;
	long long prev_version = 0;
	int error;

	if ((error = vios_git_ref_oid(&head, a->repo, VIOS_MIRROR_REGISTRY_REF)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "%s has no " VIOS_REGISTRY_REF ": it is not a vios hub repository", a->source);
		return error;
	}
	a->reg_head = head;
	a->have_reg_head = 1;
	if ((error = first_parent_chain(&chain, &n, &merges, a->repo, &head)) < 0)
		return error;
	if (merges)
		finding(a, "", 0, "registry: %zu merge commit%s on " VIOS_REGISTRY_REF ": the registry is a straight line of versions",
			merges, merges == 1 ? "" : "s");
	/* the trust root */
	{
		uint8_t *text = NULL, derived[8];
		size_t len;
		vios_minisign_pub pub;
		char c12[13], got[17], want[17];
		if (vios_git_read_blob(&text, &len, a->repo, &chain[0], "registry/hub.pub", 4096) < 0 ||
		    vios_minisign_pub_parse(&pub, (char *)text) < 0) {
			finding(a, "", 0, "registry: the first registry commit %s has no readable registry/hub.pub: there is no root key to trust",
				short_oid(c12, &chain[0]));
			a->root_failed = 1;
			free(text);
			goto done;
		}
		free(text);
		vios_keyid_from_pk(derived, pub.pk);
		if (!a->have_root) {
			memcpy(a->pin, derived, 8);
			a->have_root = 1;
			a->root_source = VIOS_AUDIT_ROOT_FIRST;
		} else if (sodium_memcmp(derived, a->pin, 8) != 0) {
			vios_minisign_keyid_hex(got, derived);
			vios_minisign_keyid_hex(want, a->pin);
			finding(a, "", 0, "registry: the root key of the first registry commit is %s, not the trusted %s (%s): nothing of this repository can be trusted",
				got, want, a->root_source == VIOS_AUDIT_ROOT_CHECKPOINT ? "from the checkpoint" : "pinned");
			a->root_failed = 1;
			goto done;
		}
	}
	for (size_t i = 0; i < n; i++) {
		vios_registry *reg = NULL;
		char c12[13];
		short_oid(c12, &chain[i]);
		if (vios_registry_load(&reg, a->repo, &chain[i], a->pin) < 0) {
			const char *why = vios_error_last();
			if (!strncmp(why, "registry: ", 10))
				why += 10;
			finding(a, "", 0, "registry: commit %s (registry commit %zu of %zu) does not verify: %s", c12, i + 1, n, why);
			continue;
		}
		if (reg->version != (long long)i + 1)
			finding(a, "", 0, "registry: commit %s carries version %lld where version %zu belongs: versions go up by one per commit",
				c12, reg->version, i + 1);
		if ((error = merge_registry(a, reg, prev_version)) < 0) {
			vios_registry_free(reg);
			goto done;
		}
		prev_version = reg->version;
		a->reg_version = reg->version;
		a->reg_versions++;
		vios_registry_free(reg);
	}
	error = 0;
done:
	free(chain);
	return error;
}

/* ---- open / free ------------------------------------------------------------ */

void vios_audit_free(vios_audit *a)
{
	if (a == NULL)
		return;
	git_repository_free(a->repo);
	if (a->dir[0])
		vios_rm_rf(a->dir);
	free(a->nodes);
	for (size_t i = 0; i < a->ncovs; i++)
		vios_covenant_dispose(&a->covs[i].cov);
	free(a->covs);
	free(a->refs);
	free(a->findings);
	json_decref(a->checkpoint);
	free(a);
}

int vios_audit_open(vios_audit **out, const vios_audit_opts *opts)
{
	vios_audit *a = NULL;
	int error;

	*out = NULL;
	if ((error = vios_git_init()) < 0)
		return error;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return vios_error_nomem();
	/* a relative path is kept absolute (the checkpoint names the source) */
	if (strstr(opts->source, "://") != NULL || opts->source[0] == '/' || realpath(opts->source, a->source) == NULL) {
		if ((error = vios_snprintf(a->source, sizeof(a->source), "%s", opts->source)) < 0)
			goto done;
	}
	if (opts->checkpoint && (error = checkpoint_load(a, opts->checkpoint)) < 0)
		goto done;
	if (opts->pin) {
		memcpy(a->pin, opts->pin, 8);
		a->have_root = 1;
		a->root_source = VIOS_AUDIT_ROOT_PINNED;
		if (a->checkpoint) {
			uint8_t cp[8];
			char want[17];
			vios_fingerprint_parse(cp, json_string_value(json_object_get(a->checkpoint, "hub_fingerprint")));
			if (memcmp(cp, a->pin, 8) != 0) {
				vios_minisign_keyid_hex(want, a->pin);
				finding(a, "", 0, "registry: the checkpoint trusts hub key %s, but %s is pinned: the trust root changed",
					json_string_value(json_object_get(a->checkpoint, "hub_fingerprint")), want);
			}
		}
	} else if (a->checkpoint) {
		vios_fingerprint_parse(a->pin, json_string_value(json_object_get(a->checkpoint, "hub_fingerprint")));
		a->have_root = 1;
		a->root_source = VIOS_AUDIT_ROOT_CHECKPOINT;
	}
	if ((error = make_workdir(a)) < 0 || (error = fetch_mirror(a)) < 0 || (error = registry_walk(a)) < 0)
		goto done;
	if (a->nomem)
		error = vios_error_nomem();
done:
	if (error < 0)
		vios_audit_free(a);
	else
		*out = a;
	return error;
}

void vios_audit_get_summary(vios_audit_summary *out, const vios_audit *a)
{
	memset(out, 0, sizeof(*out));
	if (a->have_root)
		vios_minisign_keyid_hex(out->root, a->pin);
	else
		snprintf(out->root, sizeof(out->root), "none");
	out->root_source = a->root_source;
	out->registry_versions = a->reg_versions;
	out->registry_version = a->reg_version;
	out->nodes = a->nrefs;
	out->bundles = a->bundles;
	out->findings = a->nfindings;
}

/* ---- verification of node refs ---------------------------------------------- */

/* 1 in *ok when head is old or descends from it; 0 when old is not in head's history. */
static int descends(int *ok, vios_audit *a, const git_oid *head, const git_oid *old)
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
		if (!vios_uuid_valid(id)) {
			finding(a, "", 0, "ref " VIOS_NODES_REFS "%s is not named after a node id; it was not verified", id);
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
	vfinding(cs->a, cs->r->id, seq, fmt, ap);
	va_end(ap);
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
	const acov *cov = find_cov(a, h->covenant_version);
	json_t *table = cov && cov->cov.tables ? json_object_get(cov->cov.tables, h->sender) : NULL;
	uint64_t t = VIOS_HLC_MS(h->hlc);
	char why[300];

	for (size_t i = 0; i < h->nrecipients; i++) {
		const char *id = h->recipients[i];
		const anode *n;
		int in_table = -1;
		if (!strcmp(id, h->sender))
			continue;
		if ((n = find_anode(a, id)) == NULL) {
			bfind(cs, seq, 0, h->hlc, "addressed to %s, which no registry version enrolls", id);
			continue;
		}
		if (n->revoked_ms && t >= n->revoked_ms + GRACE_MS)
			bfind(cs, seq, 0, h->hlc, "addressed to node %s (\"%s\"), revoked at %s before this bundle was sealed", id,
			      n->pub.name, n->pub.revoked_at);
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
		    !addressed(h, n->pub.node_id))
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
	if (sig != NULL && peek_trusted(&peek, sig, siglen) == 0 && vios_bundle_header_parse(&h, peek) == 0) {
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
		bfind(cs, s, 0, hlc, "commit %s's message is not the bundle's signed header", short_oid(c12, git_commit_id(commit)));
	}
	if (cs->last_hlc && h.hlc <= cs->last_hlc)
		bfind(cs, s, 0, hlc, "its clock is not after the previous bundle's: the sender's clock went back");
	if (find_cov(a, h.covenant_version) == NULL)
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

static int read_blob(uint8_t **out, size_t *len, git_repository *repo, const git_oid *id, size_t max)
{
	git_blob *blob = NULL;
	int rc;

	*out = NULL;
	if ((rc = git_blob_lookup(&blob, repo, id)) < 0)
		return vios_git_error(rc, "reading a bundle");
	*len = (size_t)git_blob_rawsize(blob);
	if (*len > max) {
		git_blob_free(blob);
		vios_error_set(VIOS_ERR_BUNDLE, "larger than %zu bytes", max);
		return VIOS_ECORRUPT;
	}
	if ((*out = malloc(*len + 1)) == NULL) {
		git_blob_free(blob);
		return vios_error_nomem();
	}
	memcpy(*out, git_blob_rawcontent(blob), *len);
	(*out)[*len] = 0;
	git_blob_free(blob);
	return 0;
}

/* Checks the bundles one commit added (after the commit-level findings). */
static int check_pairs(chain_state *cs, git_commit *commit, added_pair *pairs, size_t npairs)
{
	vios_audit *a = cs->a;
	char c12[13];
	int error = 0;

	short_oid(c12, git_commit_id(commit));
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
		if ((error = read_blob(&age, &agelen, a->repo, pairs[k].age, VIOS_BUNDLE_MAX_AGE)) == VIOS_ECORRUPT) {
			bfind(cs, pairs[k].seq, 1, 0, "the bundle is larger than %u bytes", VIOS_BUNDLE_MAX_AGE);
			error = 0;
			continue;
		}
		if (error == 0 && pairs[k].sig &&
		    (error = read_blob(&sig, &siglen, a->repo, pairs[k].sig, VIOS_BUNDLE_SIG_MAX)) == VIOS_ECORRUPT) {
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

	short_oid(c12, git_commit_id(commit));
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
	cs.sender = find_anode(a, r->id);
	if (cs.sender == NULL) {
		/* one finding says it all: nothing on the ref can be checked */
		if (a->reg_versions > 0)
			finding(a, r->id, 0, "node %s is not enrolled in any registry version: none of its bundles can be trusted", r->id);
		r->bad = 1;
		r->cut = 1;
		snprintf(r->cut_why, sizeof(r->cut_why), "node %s is not enrolled in any verified registry version", r->id);
		cs.quiet = 1;
	}
	if ((error = first_parent_chain(&chain, &n, &merges, a->repo, &r->head)) < 0)
		return error;
	if (merges)
		finding(a, r->id, 0, "%zu merge commit%s on its ref: a node's ref is a straight line of commits", merges,
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

static int check_against_checkpoint(vios_audit *a, aref *r)
{
	json_t *cn = json_object_get(json_object_get(a->checkpoint, "nodes"), r->id);
	git_oid old;
	int ok, error;

	if (cn == NULL)
		return 0;
	git_oid_fromstr(&old, json_string_value(json_object_get(cn, "head")));
	if ((error = descends(&ok, a, &r->head, &old)) < 0)
		return error;
	if (!ok) {
		char c12[13];
		finding(a, r->id, 0, "ref " VIOS_NODES_REFS "%s was rewritten since the checkpoint: its history no longer holds commit %s (seq %lld then); force-pushed",
			r->id, short_oid(c12, &old), (long long)json_integer_value(json_object_get(cn, "last_seq")));
		/* what was verified before cannot be told from what replaced it */
		if (r->cut == 0 || r->cut > 1) {
			r->cut = 1;
			snprintf(r->cut_why, sizeof(r->cut_why), "ref " VIOS_NODES_REFS "%s was rewritten since the checkpoint", r->id);
		}
	}
	return 0;
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
		finding(a, "", 0, "registry: no registry version verifies: no node can be trusted");
	if (a->checkpoint && a->have_reg_head) {
		json_t *reg = json_object_get(a->checkpoint, "registry");
		git_oid old;
		int ok;
		git_oid_fromstr(&old, json_string_value(json_object_get(reg, "head")));
		if ((error = descends(&ok, a, &a->reg_head, &old)) < 0)
			return error;
		if (!ok)
			finding(a, "", 0, "registry: " VIOS_REGISTRY_REF " was rewritten since the checkpoint: its history no longer holds version %lld (commit %.12s)",
				(long long)json_integer_value(json_object_get(reg, "version")), json_string_value(json_object_get(reg, "head")));
		else if (a->reg_version < json_integer_value(json_object_get(reg, "version")))
			finding(a, "", 0, "registry: the registry went back from version %lld (checkpoint) to %lld",
				(long long)json_integer_value(json_object_get(reg, "version")), a->reg_version);
	}
	if ((error = list_refs(a)) < 0)
		return error;
	for (size_t i = 0; i < a->nrefs; i++) {
		if ((error = check_against_checkpoint(a, &a->refs[i])) < 0 ||
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
				finding(a, id, 0, "ref " VIOS_NODES_REFS "%s was deleted since the checkpoint (it held seq %lld)", id,
					(long long)json_integer_value(json_object_get(v, "last_seq")));
		}
	}
	return a->nomem ? vios_error_nomem() : 0;
}

/* ---- checkpoint ------------------------------------------------------------ */

int vios_audit_checkpoint_write(const vios_audit *a, const char *path)
{
	json_t *doc = NULL, *nodes = NULL;
	char fp[17], hex[GIT_OID_HEXSZ + 1], now[21], *text = NULL;
	int error = VIOS_ERROR;

	if (!a->verified || a->nfindings > 0 || !a->have_reg_head) {
		vios_error_set(VIOS_ERR_INPUT, "the checkpoint is written only when everything verified");
		return VIOS_EVERIFY;
	}
	vios_minisign_keyid_hex(fp, a->pin);
	vios_now_iso(now);
	git_oid_tostr(hex, sizeof(hex), &a->reg_head);
	if ((nodes = json_object()) == NULL)
		goto nomem;
	for (size_t i = 0; i < a->nrefs; i++) {
		char h[GIT_OID_HEXSZ + 1];
		git_oid_tostr(h, sizeof(h), &a->refs[i].head);
		if (json_object_set_new(nodes, a->refs[i].id, json_pack("{s:s, s:I}", "head", h, "last_seq",
									 (json_int_t)a->refs[i].last_seq)) < 0)
			goto nomem;
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:I}, s:O}", "format", VIOS_AUDIT_CHECKPOINT_FORMAT,
			"hub_fingerprint", fp, "source", a->source, "written_at", now, "registry", "head", hex, "version",
			(json_int_t)a->reg_version, "nodes", nodes);
	if (doc == NULL || (text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL)
		goto nomem;
	{
		size_t len = strlen(text);
		char *t2 = realloc(text, len + 2);
		if (t2 == NULL)
			goto nomem;
		text = t2;
		text[len] = '\n';
		text[len + 1] = 0;
		error = vios_file_write_atomic(path, text, len + 1, 0644, 1);
	}
	goto done;
nomem:
	error = vios_error_nomem();
done:
	free(text);
	json_decref(doc);
	json_decref(nodes);
	return error;
}

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
	return read_blob(out, len, repo, git_tree_entry_id(e), max);
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
	if ((error = peek_trusted(&peek, (char *)sig, siglen)) == 0)
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
	if ((error = vios_store_open_temp(&st, node, sub)) < 0)
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
		if (for_node == NULL || addressed(&best->h, for_node)) {
			if (!addressed(&best->h, node->node_id))
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

/* ---- the home's pin ------------------------------------------------------------ */

int vios_audit_home_pin(uint8_t pin[8], const char *home)
{
	git_repository *repo = NULL;
	uint8_t *text = NULL;
	size_t len;
	vios_minisign_pub pub;
	git_oid oid;
	char path[PATH_MAX];
	int error;

	if ((error = vios_snprintf(path, sizeof(path), "%s/outbox.git", home)) < 0)
		return error;
	if (!vios_path_exists(path)) {
		vios_error_set(VIOS_ERR_INPUT, "%s has not joined a hub", home);
		return VIOS_ENOTFOUND;
	}
	if ((error = vios_git_open(&repo, path, 0)) < 0 ||
	    (error = vios_git_ref_oid(&oid, repo, VIOS_VERIFIED_REGISTRY_REF)) < 0 ||
	    (error = vios_git_read_blob(&text, &len, repo, &oid, "registry/hub.pub", 4096)) < 0)
		goto done;
	if (vios_minisign_pub_parse(&pub, (char *)text) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "%s: the registry it verified has no readable hub key", home);
		error = VIOS_ECORRUPT;
		goto done;
	}
	vios_keyid_from_pk(pin, pub.pk);
done:
	free(text);
	git_repository_free(repo);
	return error;
}

/* ---- time ------------------------------------------------------------------- */

int vios_audit_time_parse(uint64_t *ms, const char *text)
{
	struct tm tm;
	const char *p;
	char *end;
	unsigned frac = 0;
	int fdigits = 0;
	uint64_t span;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(text, "%Y-%m-%d", &tm)) == NULL || end - text != 10)
		goto bad;
	p = end;
	if (*p == 0) {
		span = 86400000;
	} else {
		if (*p != 'T' || (end = strptime(p + 1, "%H:%M", &tm)) == NULL || end - p != 6)
			goto bad;
		p = end;
		span = 60000;
		if (*p == ':') {
			if (p[1] < '0' || p[1] > '5' || p[2] < '0' || p[2] > '9')
				goto bad;
			tm.tm_sec = (p[1] - '0') * 10 + (p[2] - '0');
			p += 3;
			span = 1000;
			if (*p == '.') {
				for (p++; *p >= '0' && *p <= '9' && fdigits < 3; p++, fdigits++)
					frac = frac * 10 + (unsigned)(*p - '0');
				if (fdigits == 0)
					goto bad;
				for (int k = fdigits; k < 3; k++)
					frac *= 10;
				span = fdigits == 3 ? 1 : fdigits == 2 ? 10 : 100;
			}
		}
		if (*p == 'Z')
			p++;
		if (*p != 0)
			goto bad;
	}
	{
		struct tm check = tm;
		if ((t = timegm(&tm)) < 0)
			goto bad;
		/* timegm normalises 2026-02-30; refuse what it had to move */
		if (tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon || tm.tm_hour != check.tm_hour ||
		    tm.tm_min != check.tm_min)
			goto bad;
	}
	*ms = (uint64_t)t * 1000 + frac + span - 1;
	return 0;
bad:
	vios_error_set(VIOS_ERR_INPUT, "'%s' is not a time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.mmm]][Z] (UTC)", text);
	return VIOS_EUSAGE;
}
