/*
 * sync.c - see sync.h.
 */
#include "sync/sync.h"
#include "store/epoch.h"
#include "sync/bundle.h"
#include "sync/chain.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "sync/net.h"
#include "sync/report.h"
#include "sync/retention.h"
#include "store/ledger.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void alarm_note(vios_sync_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void alarm_note(vios_sync_report *rep, const char *fmt, ...)
{
	va_list ap;

	assert(rep != NULL && fmt != NULL);
	rep->alarms++;
	if (rep->first_alarm[0] == 0) {
		va_start(ap, fmt);
		vsnprintf(rep->first_alarm, sizeof(rep->first_alarm), fmt, ap);
		va_end(ap);
	}
}

/* One sender's ref as the chain verifier found it: the bundles to take, in order. */
typedef struct {
	long long seq;
	git_oid age, sig;
} pending;

typedef struct {
	pending *p;
	size_t n, cap;
	long long last;    /* the seq this node took last from the sender */
	char lasthash[65]; /* and its hash */
	char why[700];     /* the first finding, when refused */
	int refused;
} ref_plan;

static int plan_finding(void *ctx, const vios_chain_finding *f)
{
	ref_plan *pl = ctx;

	if (f->seq)
		snprintf(pl->why, sizeof(pl->why), "seq %lld: %s", f->seq, f->what);
	else
		snprintf(pl->why, sizeof(pl->why), "%s", f->what);
	pl->refused = 1;
	return 1; /* a reader takes nothing from a ref the chain finds anything on */
}

static int plan_bundle(void *ctx, const vios_chain_bundle *b)
{
	ref_plan *pl = ctx;

	if (b->seq < pl->last)
		return 0;
	if (b->seq == pl->last) {
		if (strcmp(b->hash, pl->lasthash) == 0)
			return 0;
		snprintf(pl->why, sizeof(pl->why),
			 "seq %lld is not the bundle this node took before with that seq: the ref was rewritten", b->seq);
		pl->refused = 1;
		return 1;
	}
	if (pl->n == pl->cap) {
		pending *np = realloc(pl->p, (pl->cap = pl->cap ? pl->cap * 2 : 16) * sizeof(*np));
		if (np == NULL)
			return vios_error_nomem();
		pl->p = np;
	}
	pl->p[pl->n].seq = b->seq;
	git_oid_cpy(&pl->p[pl->n].age, b->age_id);
	git_oid_cpy(&pl->p[pl->n].sig, b->sig_id);
	pl->n++;
	return 0;
}

/*
 * Walks the sender's ref from what this node verified before (its seen ref)
 * to head through the chain verifier, before anything is taken: the bundles
 * after the last one taken go into *pl, in order; any finding refuses the
 * whole ref (pl->refused, pl->why).
 */
static int plan_ref(ref_plan *pl, vios_store *st, git_repository *repo, const char *id, const git_oid *head)
{
	vios_chain_fns fns = { plan_finding, plan_bundle, pl };
	char seen_ref[VIOS_LAYOUT_REF_MAX];
	git_oid seen;
	int have_seen, error;

	memset(pl, 0, sizeof(*pl));
	if ((error = vios_bundle_peer(&pl->last, pl->lasthash, st, id)) < 0)
		return error;
	vios_layout_node_ref(seen_ref, sizeof(seen_ref), VIOS_SEEN_NODES, id);
	have_seen = vios_git_ref_oid(&seen, repo, seen_ref) == 0;
	vios_error_clear();
	error = vios_chain_walk(repo, id, head, have_seen ? &seen : NULL, &fns);
	return error < 0 ? error : 0;
}

/*
 * Imports the planned bundles of one sender after the last one taken, each
 * with VIOS_IMPORT_WAIT: VIOS_EWAIT (and the waiting bundle's header clock in
 * *wait_hlc) when one must wait for other senders' bundles. With force, the
 * first one is imported without waiting (ops on records not held ignored).
 */
static int import_ref(vios_sync_report *rep, vios_store *st, git_repository *repo, const char *id,
		      const ref_plan *pl, int force, uint64_t *wait_hlc)
{
	unsigned flags = force ? 0 : VIOS_IMPORT_WAIT;
	long long last;
	char lasthash[65];
	int error;

	assert(rep != NULL && st != NULL && repo != NULL && id != NULL && pl != NULL);
	if ((error = vios_bundle_peer(&last, lasthash, st, id)) < 0)
		return error;
	for (size_t k = 0; k < pl->n; k++) {
		uint8_t *age = NULL, *sig = NULL;
		size_t agelen, siglen;
		vios_import_result r;

		if (pl->p[k].seq <= last)
			continue;
		memset(&r, 0, sizeof(r));
		if ((error = vios_git_read_object(&age, &agelen, repo, &pl->p[k].age, GIT_OBJECT_BLOB, VIOS_BUNDLE_MAX_AGE,
						  "a bundle")) == 0 &&
		    (error = vios_git_read_object(&sig, &siglen, repo, &pl->p[k].sig, GIT_OBJECT_BLOB, VIOS_BUNDLE_SIG_MAX,
						  "a bundle's signature")) == 0)
			error = vios_bundle_import_flags(&r, st, age, agelen, (char *)sig, siglen, flags);
		free(age);
		free(sig);
		if (error == VIOS_EWAIT) {
			*wait_hlc = r.wait_hlc;
			return error;
		}
		flags = VIOS_IMPORT_WAIT;
		if (error == VIOS_EVERIFY && r.status == VIOS_IMPORT_QUARANTINED) {
			rep->quarantined++; /* raised as an alarm when it was refused; vios status lists it */
			return VIOS_EVERIFY;
		}
		if (error == VIOS_EVERIFY || error == VIOS_ECORRUPT || error == VIOS_ENOTFOUND) {
			char why[300];
			snprintf(why, sizeof(why), "%s", vios_error_last());
			alarm_note(rep, "node %s: %s", id, why);
			return VIOS_EVERIFY;
		}
		if (error < 0)
			return error;
		rep->bundles++;
		if (r.status == VIOS_IMPORT_APPLIED) {
			rep->applied++;
			rep->ops += r.ops_applied;
		}
		vios_bundle_header_dispose(&r.hdr);
	}
	return 0;
}

/* import_ref for ids[i], then its seen ref when its chain is done (todo[i] = 0). */
static int import_one_ref(vios_sync_report *rep, vios_store *st, git_repository *repo, const char *id,
			  const git_oid *head, const ref_plan *pl, unsigned char *todo, size_t i, int force,
			  uint64_t *wait_hlc)
{
	char seen_ref[VIOS_LAYOUT_REF_MAX];
	int error = import_ref(rep, st, repo, id, pl, force, wait_hlc);

	if (error == VIOS_EWAIT)
		return 0;
	todo[i] = 0;
	if (error == VIOS_EVERIFY)
		return 0;
	vios_layout_node_ref(seen_ref, sizeof(seen_ref), VIOS_SEEN_NODES, id);
	if (error < 0 || (error = vios_git_set_ref(repo, seen_ref, head, "vios: verified")) < 0)
		return error;
	return 0;
}

int vios_sync_import_refs(vios_sync_report *rep, vios_store *st, git_repository *repo, const char *prefix,
			  int stale_ok)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	char glob[128];
	char (*ids)[37] = NULL;
	git_oid *heads = NULL;
	unsigned char *todo = NULL;
	ref_plan *plans = NULL;
	size_t n = 0, cap = 0;
	int rc, error = 0;

	assert(rep != NULL && st != NULL && repo != NULL && prefix != NULL);
	snprintf(glob, sizeof(glob), "%s*", prefix);
	if ((rc = git_reference_iterator_glob_new(&it, repo, glob)) < 0)
		return vios_git_error(rc, "listing node refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = vios_layout_ref_node(git_reference_name(ref), prefix);
		const git_oid *oid = git_reference_target(ref);
		if (name && vios_uuid_valid(name) && oid) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				void *a = realloc(ids, nc * sizeof(*ids)), *b;
				if (a)
					ids = a;
				b = realloc(heads, nc * sizeof(*heads));
				if (!a || !b) {
					if (b)
						heads = b;
					git_reference_free(ref);
					error = vios_error_nomem();
					goto done;
				}
				heads = b;
				cap = nc;
			}
			assert(n < cap && strlen(name) < sizeof(ids[n]));
			strcpy(ids[n], name);
			git_oid_cpy(&heads[n], oid);
			n++;
		}
		git_reference_free(ref);
	}
	if (rc != GIT_ITEROVER) {
		error = vios_git_error(rc, "listing node refs");
		goto done;
	}
	/*
	 * Which refs to import: a sender's bundle may need a record another
	 * sender made (a partner marks done an agreement the school made), so
	 * import in passes: each pass imports what it can and leaves what must
	 * wait; passes repeat while one makes progress; when none does, the
	 * waiting bundle sealed first is taken without waiting (its ops on
	 * records still not held are ignored, a refusal stands) and the passes
	 * go on.
	 */
	todo = calloc(n ? n : 1, 1);
	plans = calloc(n ? n : 1, sizeof(*plans));
	if (todo == NULL || plans == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		char seen_ref[VIOS_LAYOUT_REF_MAX], own[VIOS_LAYOUT_REF_MAX];
		git_oid seen;
		int ok = 1;

		rep->nodes++;
		if (!strcmp(ids[i], st->node->node_id)) {
			/* our own ref as the remote holds it must be our history */
			vios_layout_node_ref(own, sizeof(own), VIOS_NODES_REFS, ids[i]);
			if (vios_git_ref_oid(&seen, repo, own) == 0 &&
			    ((error = vios_git_descends(&ok, repo, &seen, &heads[i])) < 0))
				goto done;
			if (!ok)
				alarm_note(rep, "this node's ref %s at the remote is not this node's history (rewritten at the hub?)", ids[i]);
			continue;
		}
		vios_layout_node_ref(seen_ref, sizeof(seen_ref), VIOS_SEEN_NODES, ids[i]);
		if (vios_git_ref_oid(&seen, repo, seen_ref) == 0) {
			int behind = 0;
			if ((error = vios_git_descends(&ok, repo, &heads[i], &seen)) < 0)
				goto done;
			if (!ok && stale_ok && (error = vios_git_descends(&behind, repo, &seen, &heads[i])) < 0)
				goto done;
			if (behind)
				continue; /* an older copy (a stale stick): nothing new, nothing wrong */
			if (!ok) {
				alarm_note(rep, "ref nodes/%s was rewritten (force-pushed): it does not extend what this node saw before", ids[i]);
				continue;
			}
		}
		/* the whole new part of the ref is verified before anything of it is taken */
		if ((error = plan_ref(&plans[i], st, repo, ids[i], &heads[i])) < 0)
			goto done;
		if (plans[i].refused) {
			alarm_note(rep, "node %s: %s; nothing of it was taken", ids[i], plans[i].why);
			continue;
		}
		todo[i] = 1;
	}
	for (;;) {
		size_t before = rep->bundles, force = n;
		uint64_t first = UINT64_MAX;
		for (size_t i = 0; i < n; i++) {
			uint64_t w = 0;
			if (todo[i] && (error = import_one_ref(rep, st, repo, ids[i], &heads[i], &plans[i], todo, i, 0, &w)) < 0)
				goto done;
			if (todo[i] && w < first) {
				first = w;
				force = i;
			}
		}
		if (rep->bundles > before)
			continue;
		if (force == n)
			break;
		/*
		 * Nothing moves: every sender left waits for a record no bundle here
		 * brings. Take the waiting bundle sealed first (by its clock: the
		 * likeliest cause of the others) as it is, then wait again.
		 */
		if ((error = import_one_ref(rep, st, repo, ids[force], &heads[force], &plans[force], todo, force, 1, &first)) < 0)
			goto done;
	}
done:
	for (size_t i = 0; plans && i < n; i++)
		free(plans[i].p);
	free(plans);
	free(todo);
	free(ids);
	free(heads);
	git_reference_iterator_free(it);
	return error;
}

int vios_sync_export(vios_export_report *out, vios_store *st)
{
	size_t counts, figures;
	int error;

	assert(out != NULL && st != NULL);
	/* the school's theme data brought up to date first, skipped when
	 * nothing it derives from changed (report.h) */
	if ((error = vios_net_wait_repo(st)) < 0 || (error = vios_report_refresh_theme_data(&counts, &figures, st)) < 0)
		return error;
	return vios_bundle_export(out, st);
}

/*
 * A store copied back from an older copy (or a backup of store.db) no
 * longer knows the bundles it sent: sealing now would seal a seq twice and
 * fork the node. The remote's copy of this node's ref tells: when it holds a
 * seq past the last this store sealed, nothing is sealed or sent.
 */
static int check_not_rolled_back(vios_store *st, git_repository *repo)
{
	char ref[VIOS_LAYOUT_REF_MAX], hash[65];
	long long there, sealed;
	git_oid head;
	int error;

	vios_layout_node_ref(ref, sizeof(ref), VIOS_INCOMING_NODES, st->node->node_id);
	if (vios_git_ref_oid(&head, repo, ref) < 0) {
		vios_error_clear();
		return 0; /* nothing sent yet (or not through this remote) */
	}
	if ((error = vios_chain_top(&there, NULL, repo, &head)) < 0 ||
	    (error = vios_ledger_outbox_last(&sealed, hash, st)) < 0)
		return error;
	if (there > sealed) {
		vios_error_set(VIOS_ERR_BUNDLE,
			       "this store is older than what it already sent (it sealed up to seq %lld, the hub holds seq %lld) — restored from a backup or copied? run 'vios restore'; nothing was sealed or sent",
			       sealed, there);
		return VIOS_EVERIFY;
	}
	return 0;
}

int vios_sync(vios_sync_report *rep, vios_store *st, const char *via)
{
	static const char *const node_spec[] = { "+" VIOS_NODES_REFS "*:" VIOS_INCOMING_NODES "*" };
	git_repository *repo = NULL, *usb = NULL;
	vios_registry *reg = NULL;
	vios_export_report ex;
	char *url = NULL, own[VIOS_LAYOUT_REF_MAX], now[21], spec[160], abs[PATH_MAX];
	long long top;
	int error, has_registry = 1, queued = 0;

	/* via is optional (NULL: the hub joined) */
	assert(rep != NULL && st != NULL && st->node != NULL);
	memset(rep, 0, sizeof(*rep));
	if ((error = vios_net_wait_repo(st)) < 0)
		goto done;
	if (via && vios_net_is_url(via) && strncmp(via, "file://", 7) != 0) {
		/* a remote given by URL: the hub, or a stick on another machine */
		if ((url = strdup(via)) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
	} else if (via) {
		/* a USB stick: a bare repository made with 'vios stick init', never made here */
		if (!strncmp(via, "file://", 7))
			via += 7;
		if ((error = vios_net_stick_check(via)) < 0 || (error = vios_git_open(&usb, via, 0)) < 0)
			goto done;
		if (realpath(via, abs) != NULL)
			via = abs;
		git_oid o;
		has_registry = vios_git_ref_oid(&o, usb, VIOS_REGISTRY_REF) == 0;
		if ((url = strdup(via)) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
	} else if ((error = vios_store_meta_get(&url, st, "hub_url")) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "this node has not joined a hub: run 'vios join URL --hub-fingerprint FP' (or sync --via a USB stick)");
		goto done;
	}
	if ((error = vios_trust_repo(&repo, st->node)) < 0)
		goto done;
	/* 1. the registry first: who is enrolled, which covenant is in force */
	if (has_registry) {
		if ((error = vios_trust_refresh(&reg, st, via)) < 0) {
			queued = error == VIOS_ERROR;
			goto done;
		}
		rep->registry = 1;
	}
	/* 2. every node's ref, verified bundle by bundle (the store let go of
	 * while the network is waited on: vios_net_fetch) */
	assert(url != NULL && repo != NULL);
	if ((error = vios_net_fetch(st, repo, url, node_spec, 1)) < 0) {
		queued = error == VIOS_ERROR;
		goto done;
	}
	VIOS_FAULT("sync.fetched");
	if ((error = check_not_rolled_back(st, repo)) < 0)
		goto done;
	if ((error = vios_sync_import_refs(rep, st, repo, VIOS_INCOMING_NODES, via != NULL)) < 0)
		goto done;
	VIOS_FAULT("sync.imported");
	/* 3. erase what the covenant's retention no longer keeps (docs/lifecycle.md) */
	{
		vios_crdt_erased erased;
		if ((error = vios_retention_run(&erased, NULL, st)) < 0)
			goto done;
	}
	/* 4. epoch keys: a new epoch when the month ended, old ones destroyed past their grace (epoch.h) */
	if ((error = vios_epoch_maintain(NULL, st, 0)) < 0)
		goto done;
	/* 5. seal what is pending under the fresh registry and covenant, a
	 * school's per-month signal counts and evaluation figures (theme data)
	 * brought up to date first */
	if ((error = vios_sync_export(&ex, st)) < 0)
		goto done;
	rep->exported = ex.bundles;
	/* 6. push our own ref, fast-forward only */
	vios_layout_node_ref(own, sizeof(own), VIOS_NODES_REFS, st->node->node_id);
	if ((error = vios_ledger_outbox_committed_max(&top, st)) < 0)
		goto done;
	if (top > 0) {
		const char *specs[1] = { spec };
		snprintf(spec, sizeof(spec), "%s:%s", own, own);
		VIOS_FAULT("sync.before_push");
		if ((error = vios_net_push(st, repo, url, specs, 1)) < 0) {
			queued = error == VIOS_ERROR;
			goto done;
		}
		VIOS_FAULT("sync.pushed");
		if ((error = vios_ledger_outbox_mark_pushed(&rep->pushed, st, top)) < 0)
			goto done;
	}
	vios_now_iso(now);
	if ((error = vios_store_meta_set(st, via ? "last_sync_via" : "last_sync", now)) < 0)
		goto done;
	if (rep->alarms) {
		vios_error_set(VIOS_ERR_BUNDLE, "%zu alarm%s: %s", rep->alarms, rep->alarms == 1 ? "" : "s", rep->first_alarm);
		error = VIOS_EVERIFY;
	}
done:
	if (queued) {
		char why[600];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_GIT, "%s; nothing was sent, changes stay queued", why);
	}
	free(url);
	vios_registry_free(reg);
	git_repository_free(repo);
	git_repository_free(usb);
	return error;
}
