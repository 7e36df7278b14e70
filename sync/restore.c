/*
 * restore.c - see restore.h.
 *
 * vios_restore_from_hub in steps:
 *   1. join: fetch the registry, verify it against the pin, install it
 *      (sync/trust.c, as `vios join`); this node must be enrolled in it;
 *   2. fetch every node ref of the hub into refs/vios/incoming/nodes/;
 *   3. this node's own ref, seq 1 onwards: each bundle verified and merged
 *      and recorded in the outbox as sent (vios_bundle_import_own). A
 *      bundle that must wait for a record another node made lets the other
 *      nodes' bundles go first; when nothing moves it is taken as it is;
 *      then, when those headers announced an epoch above the ones the
 *      backup carries, a new epoch above it (vios_epoch_resume);
 *   4. the own ref of HOME/outbox.git set to the hub's, so the next export
 *      commits on top of it and the next push fast-forwards;
 *   5. every other node's bundles, as vios sync imports them;
 *   6. the case view: each case this node made counts as sent to the
 *      roles it has now (they were all sealed before the home was lost).
 */
#include "sync/restore.h"
#include "store/epoch.h"
#include "sync/consent.h"
#include "sync/bundle.h"
#include "sync/chain.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "sync/net.h"
#include "sync/registry.h"
#include "sync/trust.h"
#include "store/caseview.h"
#include "store/directory.h"
#include "store/ledger.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vios_restore_hub_pin(vios_backup_hub *out, vios_store *st)
{
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	char *url = NULL, *fp = NULL;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];
	git_oid commit;
	int error;

	assert(out != NULL && st != NULL && st->node != NULL);
	memset(out, 0, sizeof(*out));
	if ((error = vios_store_meta_get(&url, st, "hub_url")) == VIOS_ENOTFOUND) {
		error = 0; /* never joined: a backup without a hub */
		goto done;
	}
	if (error < 0 || (error = vios_store_meta_get(&fp, st, "hub_fingerprint")) < 0)
		goto done;
	if ((error = vios_snprintf(out->url, sizeof(out->url), "%s", url)) < 0 ||
	    (error = vios_snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", fp)) < 0)
		goto done;
	/* the hub's key from the registry verified at join, verified again */
	if ((error = vios_trust_repo(&repo, st->node)) < 0)
		goto done;
	if (vios_git_ref_oid(&commit, repo, VIOS_VERIFIED_REGISTRY_REF) < 0 ||
	    vios_fingerprint_parse(pin, fp) < 0 ||
	    vios_registry_load(&reg, repo, &commit, pin) < 0) {
		error = 0; /* the fingerprint alone still pins the hub */
		goto done;
	}
	error = vios_minisign_pub_format(out->public_key, sizeof(out->public_key), &reg->root);
done:
	if (error < 0)
		memset(out, 0, sizeof(*out));
	free(url);
	free(fp);
	vios_registry_free(reg);
	git_repository_free(repo);
	return error;
}

/*
 * Step 3 for as long as it goes: own bundles from the outbox's last seq + 1
 * at head. 0 at the end of the ref; VIOS_EWAIT when a bundle must wait
 * (only with VIOS_IMPORT_WAIT in flags; without it, one bundle is taken as
 * it is and the rest go with the flag again).
 */
static int import_own_chain(vios_restore_report *rep, vios_store *st, git_repository *repo, const git_oid *head,
			    unsigned flags)
{
	for (;;) {
		char path[VIOS_LAYOUT_PATH_MAX], sigpath[VIOS_LAYOUT_PATH_MAX], hash[65];
		uint8_t *age = NULL, *sig = NULL;
		size_t agelen, siglen;
		vios_import_result r;
		long long last, seq;
		int error;

		if ((error = vios_ledger_outbox_last(&last, hash, st)) < 0)
			return error;
		seq = last + 1;
		vios_layout_bundle_path(path, seq, 0);
		vios_layout_bundle_path(sigpath, seq, 1);
		if ((error = vios_git_read_blob(&age, &agelen, repo, head, path, VIOS_BUNDLE_MAX_AGE)) == VIOS_ENOTFOUND)
			return 0;
		if (error == 0 && (error = vios_git_read_blob(&sig, &siglen, repo, head, sigpath, VIOS_BUNDLE_SIG_MAX)) ==
				  VIOS_ENOTFOUND) {
			vios_error_set(VIOS_ERR_BUNDLE, "this node's bundle seq %lld on the hub has no signature", seq);
			error = VIOS_EVERIFY;
		}
		if (error == 0)
			error = vios_bundle_import_own(&r, st, age, agelen, (char *)sig, siglen, flags);
		free(age);
		free(sig);
		if (error < 0)
			return error;
		flags |= VIOS_IMPORT_WAIT;
		rep->own_seq = r.hdr.seq;
		rep->own_bundles++;
		rep->own_ops += r.ops_applied;
		if (r.hdr.epoch_n > rep->own_epoch)
			rep->own_epoch = r.hdr.epoch_n;
		if (r.status == VIOS_IMPORT_SKIPPED)
			rep->own_unreadable++;
		vios_bundle_header_dispose(&r.hdr);
	}
}

/* Step 6. */
static int record_case_view(vios_store *st)
{
	vios_caseview_case *cases = NULL;
	size_t n = 0;
	char now[21];
	int error;

	if ((error = vios_caseview_list(&cases, &n, st, st->node->node_id)) < 0)
		return error;
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		goto done;
	vios_now_iso(now);
	for (size_t k = 0; k < n && error == 0; k++)
		error = vios_caseview_record(st, cases[k].id, cases[k].roles, now);
	if (error == 0)
		error = vios_store_tx_commit(st);
	else
		vios_store_tx_rollback(st);
done:
	free(cases);
	return error;
}

int vios_restore_from_hub(vios_restore_report *rep, vios_store *st, const char *url, const char *pin)
{
	static const char *const node_spec[] = { "+" VIOS_NODES_REFS "*:" VIOS_INCOMING_NODES "*" };
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	vios_reg_node me;
	char *hub_url = NULL, incoming[VIOS_LAYOUT_REF_MAX], own[VIOS_LAYOUT_REF_MAX];
	git_oid head;
	int error, have_own = 0;

	assert(rep != NULL && st != NULL && st->node != NULL && url != NULL && pin != NULL);
	memset(rep, 0, sizeof(*rep));
	/* 0. the epoch keys the backup carries: what was sealed to them reads (epoch.h) */
	if ((error = vios_epoch_install(st)) < 0)
		goto done;
	/* 1. */
	if ((error = vios_trust_join(&reg, st, url, pin)) < 0 || (error = vios_trust_keep_covenants(st, reg)) < 0)
		goto done;
	if ((error = vios_trust_node(&me, st, st->node->node_id)) < 0) {
		if (error == VIOS_ENOTFOUND) {
			vios_error_set(VIOS_ERR_INPUT, "node %s is not enrolled at this hub: nothing of it is there to restore",
				       st->node->node_id);
			error = VIOS_EVERIFY;
		}
		goto done;
	}
	/* 2. from the URL join kept (a path made absolute) */
	if ((error = vios_store_meta_get(&hub_url, st, "hub_url")) < 0 ||
	    (error = vios_trust_repo(&repo, st->node)) < 0 ||
	    (error = vios_net_fetch(st, repo, hub_url, node_spec, 1)) < 0)
		goto done;
	/* 3. */
	vios_layout_node_ref(incoming, sizeof(incoming), VIOS_INCOMING_NODES, st->node->node_id);
	have_own = vios_git_ref_oid(&head, repo, incoming) == 0;
	if (have_own) {
		/* the own ref as every reader checks a ref, before anything of it is taken */
		char why[700];
		if ((error = vios_chain_verify(why, sizeof(why), repo, st->node->node_id, &head, NULL)) < 0)
			goto done;
		if (error > 0) {
			vios_error_set(VIOS_ERR_BUNDLE, "this node's ref on the hub does not verify: %s; nothing was restored", why);
			error = VIOS_EVERIFY;
			goto done;
		}
		/* what it approved is in its own headers, not what the hub holds now */
		if ((error = vios_consent_reset(st)) < 0)
			goto done;
	}
	while (have_own) {
		size_t before = rep->own_bundles, others_before = rep->others.bundles;

		if ((error = import_own_chain(rep, st, repo, &head, VIOS_IMPORT_WAIT)) == 0)
			break;
		if (error != VIOS_EWAIT)
			goto done;
		/* it waits for a record another node made: theirs first */
		if ((error = vios_sync_import_refs(&rep->others, st, repo, VIOS_INCOMING_NODES, 0)) < 0)
			goto done;
		if (rep->own_bundles == before && rep->others.bundles == others_before &&
		    (error = import_own_chain(rep, st, repo, &head, 0)) < 0 && error != VIOS_EWAIT)
			goto done;
	}
	/* partners seal to the highest epoch announced: the next one announced must be above it */
	if ((error = vios_epoch_resume(&rep->epoch_started, st, rep->own_epoch)) < 0)
		goto done;
	/* 4. */
	if (have_own) {
		vios_layout_node_ref(own, sizeof(own), VIOS_NODES_REFS, st->node->node_id);
		if ((error = vios_git_set_ref(repo, own, &head, "vios: restored from the hub")) < 0)
			goto done;
	}
	/* 5. (again after step 3 let some go first: it goes on where it stopped) */
	if ((error = vios_sync_import_refs(&rep->others, st, repo, VIOS_INCOMING_NODES, 0)) < 0)
		goto done;
	/* 6. */
	error = record_case_view(st);
done:
	/* a node whose own bundles gave back no approval (all vios-bundle-1,
	 * or the restore stopped before any) approves what it joined, as a
	 * join does: never left unable to seal */
	if (reg != NULL && have_own) {
		char why[512];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		if (vios_consent_ensure(st, reg) < 0 && error == 0)
			error = VIOS_ERROR;
		else if (error < 0)
			vios_error_set(VIOS_ERR_INPUT, "%s", why);
	}
	free(hub_url);
	vios_registry_free(reg);
	git_repository_free(repo);
	return error;
}
