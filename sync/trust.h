/*
 * trust.h - what a node believes about its hub, and how it comes to.
 *
 * `vios join` pins the hub's root key id, fetches refs/heads/registry with
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

/* The node's own bare repository, HOME/outbox.git, created when missing. */
int vios_trust_repo(git_repository **out, const vios_node *node);

/*
 * Checks that reg may follow what the store holds (hub_url NULL keeps the
 * one recorded) (same pinned key, a
 * registry commit that descends from the one verified before, a version
 * not lower) and installs it: nodes, covenant, meta. One transaction.
 */
int vios_trust_install(vios_store *st, git_repository *repo, const vios_registry *reg,
		       const char *hub_url, const uint8_t pin[8]);

/* vios join: fetch from url, verify against fingerprint, install. */
int vios_trust_join(vios_registry **out, vios_store *st, const char *url, const char *fingerprint);

/* Fetches and verifies the registry again from the hub the node joined, or
 * from `via` (a USB repository) when not NULL; the hub's URL stays. */
int vios_trust_refresh(vios_registry **out, vios_store *st, const char *via);

/* An enrolled node from the verified registry; VIOS_ENOTFOUND if none. */
int vios_trust_node(vios_reg_node *out, vios_store *st, const char *node_id);

/* The covenant in force (highest version installed). */
int vios_trust_covenant(vios_covenant *out, vios_store *st);

#endif
