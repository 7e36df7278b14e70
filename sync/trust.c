/*
 * trust.c - see trust.h.
 */
#include "sync/trust.h"
#include "sync/consent.h"
#include "sync/git.h"
#include "sync/net.h"
#include "node/run.h"
#include "crypto/age.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int vios_trust_repo(git_repository **out, const vios_node *node)
{
	char path[PATH_MAX];
	int held, error;
	size_t n;

	assert(out != NULL && node != NULL);
	*out = NULL;
	if (vios_snprintf(path, sizeof(path), "%s/outbox.git", node->home) < 0)
		return VIOS_ERROR;
	/* the repository is this process's until it exits; whatever a killed
	 * vios left in it (its lock files) is stale once this process holds it */
	if ((held = vios_run_hold(node->home, VIOS_RUN_REPOS, VIOS_RUN_WAIT_MS)) < 0)
		return held;
	/* counted once, however often this process opens it, so one
	 * vios_run_release lets it go (the test fixture's, when it disposes
	 * of a node: a test program of many homes ran out of run-lock slots) */
	if (held == 0)
		vios_run_release(node->home, VIOS_RUN_REPOS);
	if (held == 1 && vios_path_exists(path) && (error = vios_net_clear_stale(&n, path)) < 0)
		return error;
	return vios_git_open(out, path, 1);
}

int vios_trust_install(vios_store *st, git_repository *repo, const vios_registry *reg,
		       const char *hub_url, const uint8_t pin[VIOS_FINGERPRINT_BYTES])
{
	char *old_commit = NULL, *old_pin = NULL, *old_version = NULL, hex[GIT_OID_HEXSZ + 1],
	     fp[VIOS_FINGERPRINT_STRLEN + 1], num[32];
	int error, in_tx = 0;

	assert(st != NULL && repo != NULL && reg != NULL && pin != NULL);
	assert(reg->nodes != NULL || reg->n == 0);
	vios_fingerprint_format(fp, pin);
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	in_tx = 1;
	if ((error = vios_store_meta_get(&old_pin, st, "hub_fingerprint")) == 0 && strcmp(old_pin, fp) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "this node already trusts hub %s, not %s; a node joins one hub", old_pin, fp);
		error = VIOS_EVERIFY;
		goto done;
	}
	if (error < 0 && error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_store_meta_get(&old_commit, st, "registry_commit")) == 0) {
		git_oid prev;
		int ok = 0;
		if (git_oid_fromstr(&prev, old_commit) < 0 ||
		    (error = vios_git_descends(&ok, repo, &reg->commit, &prev)) < 0 || !ok) {
			vios_error_set(VIOS_ERR_INPUT, "the hub's registry was rewritten: it does not extend the registry verified before (commit %.12s); refusing it", old_commit);
			error = VIOS_EVERIFY;
			goto done;
		}
	} else if (error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_store_meta_get(&old_version, st, "registry_version")) == 0 && atoll(old_version) > reg->version) {
		vios_error_set(VIOS_ERR_INPUT, "the hub's registry went back from version %s to %lld; refusing it", old_version, reg->version);
		error = VIOS_EVERIFY;
		goto done;
	}
	if (error < 0 && error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_store_reg_node_replace_all(st, reg->nodes, reg->n)) < 0 ||
	    (error = vios_store_covenant_add(st, reg->covenant.version, reg->covenant.text, reg->version)) < 0 ||
	    (error = vios_consent_on_install(st, reg, old_commit == NULL)) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &reg->commit);
	snprintf(num, sizeof(num), "%lld", reg->version);
	if ((hub_url && (error = vios_store_meta_set(st, "hub_url", hub_url)) < 0) ||
	    (error = vios_store_meta_set(st, "hub_fingerprint", fp)) < 0 ||
	    (error = vios_store_meta_set(st, "registry_commit", hex)) < 0 ||
	    (error = vios_store_meta_set(st, "registry_version", num)) < 0 ||
	    (error = vios_store_meta_set(st, "registry_updated_at", reg->updated_at)) < 0 ||
	    (error = vios_store_meta_set(st, "registry_expires_at", reg->expires_at)) < 0)
		goto done;
	if ((error = vios_store_log(st, "import", "registry", NULL, "registry verified and installed")) < 0)
		goto done;
	if ((error = vios_store_tx_commit(st)) < 0)
		goto done;
	in_tx = 0;
	error = vios_git_set_ref(repo, VIOS_VERIFIED_REGISTRY_REF, &reg->commit, "vios: registry verified");
done:
	if (in_tx)
		vios_store_tx_rollback(st);
	free(old_commit);
	free(old_pin);
	free(old_version);
	return error;
}

static int fetch_and_verify(vios_registry **out, vios_store *st, const char *url, const uint8_t pin[VIOS_FINGERPRINT_BYTES],
			    int keep_url)
{
	static const char *const spec[] = { "+" VIOS_REGISTRY_REF ":" VIOS_INCOMING_REGISTRY_REF };
	git_repository *repo = NULL;
	git_oid got;
	int error;

	assert(out != NULL && st != NULL && st->node != NULL && url != NULL && pin != NULL);
	*out = NULL;
	if ((error = vios_net_wait_repo(st)) < 0 || (error = vios_trust_repo(&repo, st->node)) < 0 ||
	    (error = vios_net_fetch(st, repo, url, spec, 1)) < 0)
		goto done;
	if ((error = vios_git_ref_oid(&got, repo, VIOS_INCOMING_REGISTRY_REF)) < 0) {
		vios_error_set(VIOS_ERR_GIT, "%s has no registry: is it a vios hub?", url);
		error = VIOS_EVERIFY;
		goto done;
	}
	if ((error = vios_registry_load(out, repo, &got, pin)) < 0)
		goto done;
	if ((error = vios_trust_install(st, repo, *out, keep_url ? NULL : url, pin)) < 0) {
		vios_registry_free(*out);
		*out = NULL;
	}
done:
	/* What failed verification is not kept, not even as a ref. */
	if (error < 0 && repo)
		git_reference_remove(repo, VIOS_INCOMING_REGISTRY_REF);
	git_repository_free(repo);
	return error;
}

int vios_trust_join(vios_registry **out, vios_store *st, const char *url, const char *fingerprint)
{
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	char abs[PATH_MAX];

	assert(out != NULL && st != NULL && url != NULL && fingerprint != NULL);
	*out = NULL;
	/* A fingerprint that cannot be any hub key's is a failed verification
	 * (exit 3), as is one that names another key: nothing is stored. */
	if (vios_fingerprint_parse(pin, fingerprint) < 0) {
		char why[400];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_INPUT, "%s; nothing was stored", why);
		return VIOS_EVERIFY;
	}
	/* A node joins one hub: another fingerprint is refused before any fetch. */
	{
		char *old = NULL, fp[VIOS_FINGERPRINT_STRLEN + 1];
		vios_fingerprint_format(fp, pin);
		if (vios_store_meta_get(&old, st, "hub_fingerprint") == 0 && strcmp(old, fp) != 0) {
			vios_error_set(VIOS_ERR_INPUT, "this node already trusts hub %s, not %s; a node joins one hub; nothing was changed", old, fp);
			free(old);
			return VIOS_EVERIFY;
		}
		free(old);
	}
	/* A plain path is kept absolute, so later syncs work from anywhere. */
	if (strstr(url, "://") == NULL && url[0] != '/' && realpath(url, abs) != NULL)
		url = abs;
	return fetch_and_verify(out, st, url, pin, 0);
}

int vios_trust_keep_covenants(vios_store *st, const vios_registry *reg)
{
	git_repository *repo = NULL;
	git_commit *c = NULL;
	char *fp = NULL;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	int error;

	assert(st != NULL && st->node != NULL && reg != NULL);
	if ((error = vios_store_meta_get(&fp, st, "hub_fingerprint")) < 0 || (error = vios_fingerprint_parse(pin, fp)) < 0 ||
	    (error = vios_trust_repo(&repo, st->node)) < 0)
		goto done;
	if ((error = vios_git_commit_lookup(&c, repo, &reg->commit)) < 0)
		goto done;
	/* first parent back to the first version, each commit by its header
	 * first; each version verified as a whole */
	while (git_commit_parentcount(c) > 0) {
		git_commit *parent = NULL;
		vios_registry *old = NULL;
		if ((error = vios_git_commit_lookup(&parent, repo, git_commit_parent_id(c, 0))) < 0)
			goto done;
		git_commit_free(c);
		c = parent;
		if ((error = vios_registry_load(&old, repo, git_commit_id(c), pin)) < 0) {
			/* an older registry format: what it held is not kept */
			error = 0;
			break;
		}
		error = vios_store_covenant_add(st, old->covenant.version, old->covenant.text, old->version);
		vios_registry_free(old);
		if (error < 0)
			goto done;
	}
done:
	git_commit_free(c);
	git_repository_free(repo);
	free(fp);
	return error;
}

int vios_trust_refresh(vios_registry **out, vios_store *st, const char *via)
{
	char *url = NULL, *fp = NULL;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	int error;

	assert(out != NULL && st != NULL);
	*out = NULL;
	if ((error = vios_store_meta_get(&url, st, "hub_url")) < 0 || (error = vios_store_meta_get(&fp, st, "hub_fingerprint")) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "this node has not joined a hub yet: run 'vios join URL --hub-fingerprint FP'");
		goto done;
	}
	assert(url != NULL && fp != NULL);
	if ((error = vios_fingerprint_parse(pin, fp)) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "this store pins its hub as %s, a fingerprint of before registry format 2; "
			       "join the hub again under a new home with the hub's 32-digit fingerprint", fp);
		error = VIOS_EVERIFY;
		goto done;
	}
	error = fetch_and_verify(out, st, via ? via : url, pin, via != NULL);
done:
	free(url);
	free(fp);
	return error;
}

int vios_trust_node(vios_reg_node *out, vios_store *st, const char *node_id)
{
	int error;

	assert(out != NULL && st != NULL && node_id != NULL);
	if ((error = vios_store_reg_node_get(out, st, node_id)) == VIOS_ENOTFOUND)
		vios_error_set(VIOS_ERR_INPUT, "node %s is not enrolled at this node's hub", node_id);
	return error;
}

int vios_trust_covenant(vios_covenant *out, vios_store *st)
{
	char *text = NULL;
	int error;

	assert(out != NULL && st != NULL);
	memset(out, 0, sizeof(*out));
	if ((error = vios_store_covenant_get(&text, st)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "no covenant yet: join a hub first");
		return error;
	}
	assert(text != NULL);
	error = vios_covenant_parse(out, text, strlen(text));
	free(text);
	return error;
}

int vios_trust_freshness(vios_trust_fresh *out, vios_store *st)
{
	char *exp = NULL, *ver = NULL;
	long long t;
	int error;

	assert(out != NULL && st != NULL);
	memset(out, 0, sizeof(*out));
	if ((error = vios_store_meta_get(&exp, st, "registry_expires_at")) < 0 ||
	    (error = vios_store_meta_get(&ver, st, "registry_version")) < 0)
		goto done;
	assert(exp != NULL && ver != NULL);
	if (vios_registry_time_parse(&t, exp) < 0) {
		vios_error_set(VIOS_ERR_STORE, "the store's registry expiry '%s' is not a time", exp);
		error = VIOS_ECORRUPT;
		goto done;
	}
	snprintf(out->expires_at, sizeof(out->expires_at), "%s", exp);
	out->version = atoll(ver);
	out->seconds_left = t - (long long)vios_now();
	out->state = out->seconds_left <= 0 ? VIOS_REGISTRY_EXPIRED
		   : out->seconds_left <= VIOS_REGISTRY_WARN_DAYS * 86400LL ? VIOS_REGISTRY_EXPIRING
		   : VIOS_REGISTRY_FRESH;
done:
	free(exp);
	free(ver);
	return error;
}

int vios_trust_may_seal(vios_store *st)
{
	vios_reg_node self;
	char *ver = NULL;
	int error;

	assert(st != NULL && st->node != NULL);
	if ((error = vios_store_reg_node_get(&self, st, st->node->node_id)) == VIOS_ENOTFOUND)
		return 0; /* not enrolled yet: the exporter says so in its own words */
	if (error < 0)
		return error;
	if (self.revoked_at[0] == 0)
		return 0;
	vios_store_meta_get(&ver, st, "registry_version");
	vios_error_set(VIOS_ERR_INPUT, "this node was revoked by the hub at %s (registry version %s, last accepted seq %lld): "
		       "it seals and sends nothing more; its changes stay in this store",
		       self.revoked_at, ver ? ver : "?", self.last_seq);
	free(ver);
	return VIOS_EVERIFY;
}
