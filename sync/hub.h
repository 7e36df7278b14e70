/*
 * hub.h - the hub operator's work on the hub repository: create it, enroll
 * and revoke nodes, publish the covenant. Each change is a new registry
 * version signed by the hub node's key (the root key) and committed to
 * refs/heads/registry; the hub installs it in its own store as any node
 * would after a join.
 */
#ifndef VIOS_HUB_H
#define VIOS_HUB_H

#include <stdint.h>

#include "sync/registry.h"
#include "store/store.h"
#include "sync/sync.h"

/* Creates the bare hub repository at path with registry v1: the hub itself
 * enrolled and the default covenant. The node must be of kind hub. */
int vios_hub_create(vios_store *st, const char *path);
/* The same with the covenant text the parties signed (NULL: the default),
 * validated first (VIOS_EUSAGE with the rule it breaks). */
int vios_hub_create_with(vios_store *st, const char *path, const char *covenant_text);

/* Verifies an enrollment request and enrolls the node (a new version).
 * *already = 1 when the same node with the same keys was enrolled before. */
int vios_hub_enroll(vios_enroll_info *out, int *already, vios_store *st, const char *text, size_t len);

/*
 * Records the revocation of a node (time and the last seq the hub holds).
 * which is its node id, or else exactly its name in the registry (case
 * matters): VIOS_EUSAGE with one line listing their ids when several
 * nodes carry that name, VIOS_ENOTFOUND when none is enrolled so, and
 * VIOS_EUSAGE for the hub itself. A node revoked before is left as it was
 * (*out says when).
 */
int vios_hub_revoke(vios_reg_node *out, vios_store *st, const char *which);

/* Validates, signs and publishes a covenant (its version must be higher). */
int vios_hub_covenant_set(vios_covenant *out, vios_store *st, const char *text, size_t len);

/*
 * vios hub merge: verifies every node ref of the hub repository (or, with
 * via, of a USB repository) bundle by bundle, imports what is addressed to
 * the hub, and quarantines what fails: kept where it is, reported, never
 * applied (VIOS_EVERIFY after everything else is done). With via, refs
 * that verified to their head fast-forward into the hub repository (*taken)
 * and the stick receives the hub's registry and node refs (*given).
 *
 * The hub repository's packs (one per push: a push over a path or a stick
 * never consolidates) are rolled up once past VIOS_GIT_REPACK_PACKS
 * (vios_git_repack; a test build takes the threshold from
 * VIOS_TEST_REPACK_PACKS) before the fetch from it (not with via) and again
 * at the end, with those of the hub's own repository (one per fetch); the
 * hub repository's config gets pack.deltaCacheSize 1 before the fetch
 * (vios_git_config_nodelta: the fetch's pack is built without a delta
 * search). The
 * merge's result stands whatever happens there: a failure is kept for
 * vios_hub_repack_failed, and the next merge tries again.
 */
int vios_hub_merge(vios_sync_report *rep, size_t *taken, size_t *given, vios_store *st, const char *via);

/* Why the last vios_hub_merge of this process could not consolidate a
 * repository's packs (one line), or NULL when it did or had nothing to do. */
const char *vios_hub_repack_failed(void);

/* One enrolled node as the hub operator's desk shows it (vios hub nodes). */
typedef struct {
	vios_reg_node node;                             /* its entry in the hub's verified registry */
	char fingerprint[VIOS_FINGERPRINT_STRLEN + 1]; /* vios_fingerprint_of_key of its signing key */
	long long last_seq;   /* the highest seq on its ref in the hub repository; 0 when none */
	int64_t last_ms;      /* that bundle's header clock (Unix ms); -1 when none, or when its
			       * signature file holds no header naming this node and seq */
} vios_hub_node;

/*
 * Every node of the hub's current verified registry (vios_hub_open), in
 * registry order, with the top of its node ref (layout.h) in the hub
 * repository: what the ref holds as it stands, read, not verified (a
 * pushed bundle is verified by the hook and by vios hub merge). *out is
 * malloc'd (free it); *n entries.
 */
int vios_hub_node_list(vios_hub_node **out, size_t *n, vios_store *st);

/* Opens the hub repository and loads its current, verified registry. */
int vios_hub_open(git_repository **repo, vios_registry **reg, vios_store *st);

#endif
