/*
 * consent.h - what a node approved (docs/governance.md): the covenant
 * version that governs its data, and the nodes that may receive it.
 *
 * The hub publishes covenants and enrolls nodes; neither takes effect for a
 * node's data before the node approves it. A node joins approving what the
 * registry holds then (the covenant in force and every node enrolled); later
 * versions and enrollments wait for `vios covenant approve VERSION` /
 * `vios covenant approve --node ID`. Until then the node seals under the
 * last covenant version it approved and only to nodes it approved
 * (bundle_export.c). A revocation needs no approval: a revoked node
 * receives nothing at once. The hub approves what it publishes itself.
 *
 * Every approval travels in the signed header of the node's next bundle
 * (`approves`, vios-bundle-2, payload.h): the highest covenant version
 * approved and the nodes approved since the previous bundle; the auditor
 * reads them there without decrypting anything, and `vios restore` reads
 * them back from the node's own bundles. Kept in the store's `consent`
 * table (schema/0009_consent.sql), which only this file touches.
 */
#ifndef VIOS_CONSENT_H
#define VIOS_CONSENT_H

#include <stddef.h>

#include "store/directory.h"
#include "store/store.h"
#include "sync/payload.h"
#include "sync/registry.h"

/* Node ids one header approves at most (the rest go in the next bundles). */
#define VIOS_CONSENT_HEADER_MAX 64

/*
 * Called by vios_trust_install inside its transaction, after the registry's
 * nodes and covenant are kept: the first registry a node installs (join) is
 * approved whole; a hub approves every registry it installs (its own
 * publication).
 */
int vios_consent_on_install(vios_store *st, const vios_registry *reg, int first);

/* The highest covenant version approved; VIOS_ENOTFOUND when none. */
int vios_consent_covenant(long long *version, vios_store *st);

/* The covenant this node seals under: the approved version, parsed. */
int vios_consent_covenant_load(vios_covenant *out, vios_store *st);

/*
 * The local themes of the covenant this node approved (none before it
 * joined a hub): what its own writes may name besides the base themes.
 * A vios_store_themes_fn (store.h): the CLI registers it on every store
 * it opens (vios_store_set_themes).
 */
int vios_consent_themes(vios_theme_set *out, vios_store *st);

/*
 * The registry's nodes this node may address: approved ones and itself,
 * ordered by node id (as vios_store_reg_node_list; revoked ones included,
 * with their revoked_at). *out malloc'd.
 */
int vios_consent_nodes(vios_reg_node **out, size_t *n, vios_store *st);

/*
 * `vios covenant approve VERSION`: the version must be installed here and
 * higher than the one approved (VIOS_EUSAGE otherwise, saying which are).
 * `vios covenant approve --node ID`: an enrolled, unrevoked node not
 * approved yet; the next export sends it the current state of this node's
 * records it may hold. Both logged; both published by the next `vios sync`.
 */
int vios_consent_approve_covenant(vios_store *st, long long version);
int vios_consent_approve_node(vios_store *st, const char *node_id);

/* What waits for this node's approval. */
typedef struct {
	long long approved;       /* covenant version approved (0: none) */
	long long covenant;       /* highest installed version above it, 0 when none */
	vios_reg_node *nodes;     /* enrolled, unrevoked, not approved, not this node */
	size_t nnodes;
} vios_consent_pending;
int vios_consent_pending_get(vios_consent_pending *out, vios_store *st);
void vios_consent_pending_dispose(vios_consent_pending *p);

/*
 * For the next header: up to max node ids approved and not yet published
 * (sorted; *ids malloc'd, NULL when none), and *due = 1 when an approval a
 * person gave (`vios covenant approve`) is not published yet: it goes out
 * in a bundle of its own when nothing else is sealed. What joining
 * approved waits for the node's first bundle.
 */
int vios_consent_unpublished(int *due, char (**ids)[37], size_t *n, vios_store *st, size_t max);
/* Records ids[0..n) (and the covenant approval) as published in own bundle seq. */
int vios_consent_mark_published(vios_store *st, const char (*ids)[37], size_t n, long long seq);

/* Nodes whose current state is due (approved since the last export); *ids malloc'd. */
int vios_consent_forward_due(char (**ids)[37], size_t *n, vios_store *st);
int vios_consent_forward_done(vios_store *st, const char *node_id);

/* `vios restore`: forgets every approval, then reads them back from the
 * headers of this node's own bundles, in order (how 'restore'). */
int vios_consent_reset(vios_store *st);
/* After a restore that read back no covenant approval (its own bundles are
 * all vios-bundle-1, or the restore stopped before any): approves reg as a
 * join does, so the node can seal again. */
int vios_consent_ensure(vios_store *st, const vios_registry *reg);
int vios_consent_from_header(vios_store *st, const vios_bundle_header *h);

#endif
