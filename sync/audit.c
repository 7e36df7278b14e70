/*
 * audit.c - see audit.h: findings, the recipient rule, the registry
 * history, open and free (audit_internal.h lists the other files).
 *
 * Layout of the private working directory (mkdtemp under $TMPDIR, removed
 * by vios_audit_free):
 *   mirror.git   bare; the source's registry ref and node refs under the
 *                mirror namespaces of layout.h
 *   replay/      the throwaway encrypted store of vios_audit_replay
 */
#include "sync/audit_internal.h"
#include "sync/chain.h"
#include "crypto/minisign.h"
#include "sync/git.h"
#include "sync/layout.h"
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
#include <time.h>

/* ---- findings ------------------------------------------------------------- */

void audit_vfinding(vios_audit *a, const char *node, long long seq, const char *fmt, va_list ap)
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

void audit_finding(vios_audit *a, const char *node, long long seq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	audit_vfinding(a, node, seq, fmt, ap);
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

const char *audit_short_oid(char out[13], const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), oid);
	snprintf(out, 13, "%.12s", hex);
	return out;
}

anode *audit_find_anode(const vios_audit *a, const char *id)
{
	for (size_t i = 0; i < a->nnodes; i++)
		if (!strcmp(a->nodes[i].pub.node_id, id))
			return &a->nodes[i];
	return NULL;
}

const vios_audit_node *vios_audit_find_node(const vios_audit *a, const char *node_id)
{
	const anode *n = audit_find_anode(a, node_id);
	return n ? &n->pub : NULL;
}

const vios_audit_node *vios_audit_resolve_node(const vios_audit *a, const char *text)
{
	const anode *found = NULL;

	if ((found = audit_find_anode(a, text)) != NULL)
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

const acov *audit_find_cov(const vios_audit *a, long long version)
{
	for (size_t i = 0; i < a->ncovs; i++)
		if (a->covs[i].cov.version == version)
			return &a->covs[i];
	return NULL;
}

const areg *audit_registry_at(const vios_audit *a, uint64_t ms)
{
	const areg *best = NULL;

	assert(a != NULL);
	for (size_t i = 0; i < a->nregs; i++)
		if (a->regs[i].signed_ms <= ms && (best == NULL || a->regs[i].version > best->version))
			best = &a->regs[i];
	return best;
}

int audit_addressed(const vios_bundle_header *h, const char *id)
{
	for (size_t i = 0; i < h->nrecipients; i++)
		if (!strcmp(h->recipients[i], id))
			return 1;
	return 0;
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
		anode *x = audit_find_anode(a, n->node_id);
		size_t k;

		if (x == NULL) {
			if ((error = add_node(a, n, reg->version)) < 0)
				return error;
			continue;
		}
		x->seen_in = reg->version;
		if (strcmp(x->pub.kind, n->kind) || strcmp(x->pub.role, n->role))
			audit_finding(a, "", 0, "registry v%lld changes node %s from %s/%s to %s/%s: a node's kind and role are fixed at enrollment",
				reg->version, n->node_id, x->pub.kind, x->pub.role, n->kind, n->role);
		memcpy(x->pub.name, n->name, sizeof(x->pub.name));
		for (k = 0; k < x->nkeys && memcmp(&x->keys[k], &n->sign_pub, sizeof(n->sign_pub)); k++)
			;
		if (k == x->nkeys) {
			audit_finding(a, "", 0, "registry v%lld gives node %s another signing key: a node's keys never change (revoke it and enroll a new node)",
				reg->version, n->node_id);
			if (x->nkeys < MAX_KEYS)
				x->keys[x->nkeys++] = n->sign_pub;
		}
		if (x->pub.revoked_at[0] && !n->revoked_at[0])
			audit_finding(a, "", 0, "registry v%lld withdraws the revocation of node %s (revoked at %s): a revocation is final",
				reg->version, n->node_id, x->pub.revoked_at);
		else if (!x->pub.revoked_at[0] && n->revoked_at[0]) {
			memcpy(x->pub.revoked_at, n->revoked_at, sizeof(x->pub.revoked_at));
			x->pub.last_seq = n->last_seq;
			x->revoked_ms = iso_ms(n->revoked_at);
		} else if (x->pub.revoked_at[0] && n->last_seq != x->pub.last_seq) {
			audit_finding(a, "", 0, "registry v%lld changes the last seq of revoked node %s from %lld to %lld",
				reg->version, n->node_id, x->pub.last_seq, n->last_seq);
			if (n->last_seq < x->pub.last_seq)
				x->pub.last_seq = n->last_seq;
		}
	}
	for (size_t i = 0; i < a->nnodes; i++)
		if (prev_version > 0 && a->nodes[i].seen_in == prev_version)
			audit_finding(a, "", 0, "registry v%lld drops node %s (\"%s\"): nodes are revoked, never removed",
				reg->version, a->nodes[i].pub.node_id, a->nodes[i].pub.name);
	/* covenants */
	{
		const acov *have = audit_find_cov(a, reg->covenant.version);
		long long newest = 0;
		for (size_t i = 0; i < a->ncovs; i++)
			if (a->covs[i].cov.version > newest)
				newest = a->covs[i].cov.version;
		if (have && strcmp(have->cov.text, reg->covenant.text) != 0)
			audit_finding(a, "", 0, "registry v%lld publishes covenant version %lld with other text than registry v%lld did",
				reg->version, reg->covenant.version, have->registry_version);
		if (reg->covenant.version < newest)
			audit_finding(a, "", 0, "registry v%lld goes back to covenant version %lld after version %lld", reg->version,
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

static int registry_walk(vios_audit *a)
{
	git_oid head, *chain = NULL;
	size_t n = 0, merges = 0;
	long long prev_version = 0;
	int reached, error;

	if ((error = vios_git_ref_oid(&head, a->repo, VIOS_MIRROR_REGISTRY_REF)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "%s has no " VIOS_REGISTRY_REF ": it is not a vios hub repository", a->source);
		return error;
	}
	a->reg_head = head;
	a->have_reg_head = 1;
	if ((error = vios_chain_history(&chain, &n, &merges, &reached, a->repo, &head, NULL)) < 0)
		return error;
	if (merges)
		audit_finding(a, "", 0, "registry: %zu merge commit%s on " VIOS_REGISTRY_REF ": the registry is a straight line of versions",
			merges, merges == 1 ? "" : "s");
	/* the trust root */
	{
		uint8_t *text = NULL, derived[VIOS_FINGERPRINT_BYTES];
		size_t len;
		vios_minisign_pub pub;
		char c12[13], got[VIOS_FINGERPRINT_STRLEN + 1], want[VIOS_FINGERPRINT_STRLEN + 1];
		if (vios_git_read_blob(&text, &len, a->repo, &chain[0], "registry/hub.pub", 4096) < 0 ||
		    vios_minisign_pub_parse(&pub, (char *)text) < 0) {
			audit_finding(a, "", 0, "registry: the first registry commit %s has no readable registry/hub.pub: there is no root key to trust",
				audit_short_oid(c12, &chain[0]));
			a->root_failed = 1;
			free(text);
			goto done;
		}
		free(text);
		vios_fingerprint_from_pk(derived, pub.pk);
		if (!a->have_root) {
			memcpy(a->pin, derived, sizeof(a->pin));
			a->have_root = 1;
			a->root_source = VIOS_AUDIT_ROOT_FIRST;
		} else if (sodium_memcmp(derived, a->pin, sizeof(a->pin)) != 0) {
			vios_fingerprint_format(got, derived);
			vios_fingerprint_format(want, a->pin);
			audit_finding(a, "", 0, "registry: the root key of the first registry commit is %s, not the trusted %s (%s): nothing of this repository can be trusted",
				got, want, a->root_source == VIOS_AUDIT_ROOT_CHECKPOINT ? "from the checkpoint" : "pinned");
			a->root_failed = 1;
			goto done;
		}
	}
	for (size_t i = 0; i < n; i++) {
		vios_registry *reg = NULL;
		char c12[13];
		audit_short_oid(c12, &chain[i]);
		if (vios_registry_load(&reg, a->repo, &chain[i], a->pin) < 0) {
			const char *why = vios_error_last();
			if (!strncmp(why, "registry: ", 10))
				why += 10;
			audit_finding(a, "", 0, "registry: commit %s (registry commit %zu of %zu) does not verify: %s", c12, i + 1, n, why);
			continue;
		}
		if (reg->version != (long long)i + 1)
			audit_finding(a, "", 0, "registry: commit %s carries version %lld where version %zu belongs: versions go up by one per commit",
				c12, reg->version, i + 1);
		if ((error = merge_registry(a, reg, prev_version)) < 0) {
			vios_registry_free(reg);
			goto done;
		}
		{
			areg *nr = realloc(a->regs, (a->nregs + 1) * sizeof(*nr));
			if (nr == NULL) {
				vios_registry_free(reg);
				error = vios_error_nomem();
				goto done;
			}
			a->regs = nr;
			nr[a->nregs].version = reg->version;
			nr[a->nregs].signed_ms = iso_ms(reg->updated_at);
			nr[a->nregs].expires_ms = iso_ms(reg->expires_at);
			a->nregs++;
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
	free(a->regs);
	free(a->refs);
	free(a->findings);
	free(a->only);
	json_decref(a->checkpoint);
	free(a);
}

int vios_audit_open(vios_audit **out, const vios_audit_opts *opts)
{
	vios_audit *a = NULL;
	int error;

	assert(out != NULL && opts != NULL && opts->source != NULL);
	assert(opts->only != NULL || opts->nonly == 0);
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
	if (opts->objects && (error = vios_snprintf(a->objects, sizeof(a->objects), "%s", opts->objects)) < 0)
		goto done;
	if (opts->nonly) {
		if ((a->only = calloc(opts->nonly, sizeof(*a->only))) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		memcpy(a->only, opts->only, opts->nonly * sizeof(*a->only));
		a->nonly = opts->nonly;
	}
	if (opts->checkpoint && (error = audit_checkpoint_load(a, opts->checkpoint)) < 0)
		goto done;
	if (opts->pin) {
		memcpy(a->pin, opts->pin, sizeof(a->pin));
		a->have_root = 1;
		a->root_source = VIOS_AUDIT_ROOT_PINNED;
		if (a->checkpoint) {
			uint8_t cp[VIOS_FINGERPRINT_BYTES];
			char want[VIOS_FINGERPRINT_STRLEN + 1];
			/* the checkpoint's fingerprint parsed when it loaded */
			vios_fingerprint_parse(cp, json_string_value(json_object_get(a->checkpoint, "hub_fingerprint")));
			if (memcmp(cp, a->pin, sizeof(a->pin)) != 0) {
				vios_fingerprint_format(want, a->pin);
				audit_finding(a, "", 0, "registry: the checkpoint trusts hub key %s, but %s is pinned: the trust root changed",
					json_string_value(json_object_get(a->checkpoint, "hub_fingerprint")), want);
			}
		}
	} else if (a->checkpoint) {
		vios_fingerprint_parse(a->pin, json_string_value(json_object_get(a->checkpoint, "hub_fingerprint")));
		a->have_root = 1;
		a->root_source = VIOS_AUDIT_ROOT_CHECKPOINT;
	}
	if ((error = audit_make_workdir(a)) < 0 || (error = audit_fetch_mirror(a)) < 0 || (error = registry_walk(a)) < 0)
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
		vios_fingerprint_format(out->root, a->pin);
	else
		snprintf(out->root, sizeof(out->root), "none");
	out->root_source = a->root_source;
	out->registry_versions = a->reg_versions;
	out->registry_version = a->reg_version;
	out->nodes = a->nrefs;
	out->bundles = a->bundles;
	out->findings = a->nfindings;
}

/* ---- the home's pin ------------------------------------------------------------ */

int vios_audit_home_pin(uint8_t pin[VIOS_FINGERPRINT_BYTES], const char *home)
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
	vios_fingerprint_from_pk(pin, pub.pk);
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
