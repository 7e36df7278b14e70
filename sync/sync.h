/*
 * sync.h - replication over git (docs/formats.md, "Hub repository").
 *
 * vios sync: fetch the hub's registry (verify, install), fetch every
 * node ref (layout.h) into the incoming namespace, check each against what was
 * seen before (a ref that does not descend from it is an alarm, not an
 * update), import every new bundle in each sender's seq order, export what
 * is pending with the fresh registry and covenant, and push this node's own
 * ref, fast-forward only. Every step is idempotent and each bundle imports
 * in its own transaction, so a sync killed at any point loses nothing and
 * applies nothing twice: the next sync takes up where it stopped.
 */
#ifndef VIOS_SYNC_H
#define VIOS_SYNC_H

#include <git2.h>

#include "sync/bundle.h"
#include "sync/layout.h"
#include "store/store.h"

typedef struct {
	size_t nodes;       /* node refs looked at */
	size_t bundles;     /* new bundles verified */
	size_t applied;     /* of which addressed to this node and merged */
	size_t ops;         /* ops merged */
	size_t exported;    /* bundles sealed by this sync */
	size_t pushed;      /* this node's bundles now on the remote */
	size_t alarms;      /* refs or bundles refused */
	size_t quarantined; /* senders stopped at a bundle refused by an earlier sync */
	int registry;       /* 1 when a registry was fetched and verified */
	char first_alarm[400];
} vios_sync_report;

/*
 * Imports the new bundles of every ref under `prefix` (refs/vios/incoming/
 * nodes/<id>) of repo. Refused bundles and rewritten refs are counted as
 * alarms (the first one named) and the rest goes on. With stale_ok (a USB
 * stick, which may carry an older copy), a ref behind what was seen is
 * skipped quietly; from the hub itself a ref that went back is a rewrite.
 */
int vios_sync_import_refs(vios_sync_report *rep, vios_store *st, git_repository *repo, const char *prefix,
			  int stale_ok);

/*
 * What `vios export` does, and step 3 of vios_sync: a school's per-month
 * signal counts and evaluation figures (theme data) brought up to date,
 * then every pending op sealed into bundles (vios_bundle_export).
 */
int vios_sync_export(vios_export_report *out, vios_store *st);

/* vios sync [--via url]; via NULL = the hub joined. Returns VIOS_EVERIFY
 * when there were alarms (after doing everything else). */
int vios_sync(vios_sync_report *rep, vios_store *st, const char *via);

#endif
