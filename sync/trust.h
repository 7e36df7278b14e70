/*
 * trust.h - what a node believes about its hub, and how it comes to.
 *
 * `vios join` pins the hub's root key fingerprint (node.h, 128 bits), fetches refs/heads/registry with
 * libgit2 into the node's own bare repository (HOME/outbox.git, under
 * refs/vios/incoming/), verifies all of it (registry.h) and only then copies
 * the registry and covenant into the encrypted store and moves
 * refs/vios/registry. A later fetch must descend from the commit verified
 * before: a rewritten registry is an alarm (VIOS_EVERIFY), never an update.
 */
#ifndef VIOS_TRUST_H
#define VIOS_TRUST_H

#include "sync/registry.h"
#include "store/directory.h"
#include "store/store.h"

/* The node's own bare repository, HOME/outbox.git, created when missing.
 * The first call in a process takes the repository's run lock (node/run.h:
 * another vios holding it is waited for, then named) and keeps it until
 * the process ends, and clears what a killed vios left in the repository
 * (vios_net_clear_stale). */
int vios_trust_repo(git_repository **out, const vios_node *node);

/*
 * Checks that reg may follow what the store holds (hub_url NULL keeps the
 * one recorded) (same pinned key, a
 * registry commit that descends from the one verified before, a version
 * not lower) and installs it: nodes, covenant, meta. One transaction.
 */
int vios_trust_install(vios_store *st, git_repository *repo, const vios_registry *reg,
		       const char *hub_url, const uint8_t pin[VIOS_FINGERPRINT_BYTES]);

/* vios join: fetch from url, verify against fingerprint, install. */
int vios_trust_join(vios_registry **out, vios_store *st, const char *url, const char *fingerprint);

/*
 * Keeps every covenant version the registry's history published (each
 * registry version verified against the pinned key first), not only the
 * one in force: `vios restore` seals again under the version the node
 * approved, which may be an older one.
 */
int vios_trust_keep_covenants(vios_store *st, const vios_registry *reg);

/* Fetches and verifies the registry again from the hub the node joined, or
 * from `via` (a USB repository) when not NULL; the hub's URL stays. */
int vios_trust_refresh(vios_registry **out, vios_store *st, const char *via);

/* An enrolled node from the verified registry; VIOS_ENOTFOUND if none. */
int vios_trust_node(vios_reg_node *out, vios_store *st, const char *node_id);

/* The covenant in force (highest version installed). */
int vios_trust_covenant(vios_covenant *out, vios_store *st);

/*
 * Freshness of the registry the store holds (its signed expires_at):
 * fresh; expiring from VIOS_REGISTRY_WARN_DAYS before (nodes warn); expired
 * (a school seals no case data until a fresh registry arrives: a frozen
 * registry must not keep a revoked partner receiving). VIOS_ENOTFOUND when
 * the node has not joined.
 */
#define VIOS_REGISTRY_WARN_DAYS 7
typedef enum { VIOS_REGISTRY_FRESH, VIOS_REGISTRY_EXPIRING, VIOS_REGISTRY_EXPIRED } vios_registry_state;
typedef struct {
	vios_registry_state state;
	char expires_at[21];
	long long seconds_left; /* <= 0 when expired */
	long long version;
} vios_trust_fresh;
int vios_trust_freshness(vios_trust_fresh *out, vios_store *st);

/*
 * 0 when this node may seal bundles; VIOS_EVERIFY, saying when the hub
 * revoked it, when the registry it holds lists it as revoked: every reader
 * would refuse what it seals.
 */
int vios_trust_may_seal(vios_store *st);

#endif
