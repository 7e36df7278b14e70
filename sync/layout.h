/*
 * layout.h - the hub repository's layout and the ref namespaces vios keeps
 * beside it: the one place their names are spelled (docs/formats.md).
 *
 * A hub repository (and a node's HOME/outbox.git, and a USB stick) holds
 *
 *   refs/heads/registry         the signed registry and covenant (registry.h)
 *   refs/heads/nodes/<id>       one branch per node: commit k adds
 *                               bundles/<k, 10 digits>.age and its .age.minisig
 *
 * and a node's own repository keeps what it fetched apart until verified:
 *
 *   refs/vios/incoming/...      as fetched, not yet verified
 *   refs/vios/seen/nodes/<id>   the head this node verified and imported up to
 *   refs/vios/usb/nodes/<id>    a USB stick's node refs, as fetched by the hub
 *   refs/vios/registry          the registry commit verified last (trust.h)
 *   refs/vios/audit/...         an audit's read-only mirror of a hub
 *
 * Seq 1 of every chain has the all-zero prev hash VIOS_ZERO_HASH.
 * Nothing here touches a repository; these are names only.
 */
#ifndef VIOS_LAYOUT_H
#define VIOS_LAYOUT_H

#include <stddef.h>

#define VIOS_HEADS_GLOB "refs/heads/*"
#define VIOS_REGISTRY_REF "refs/heads/registry"
#define VIOS_NODES_REFS "refs/heads/nodes/"

#define VIOS_INCOMING_NODES "refs/vios/incoming/nodes/"
#define VIOS_INCOMING_REGISTRY_REF "refs/vios/incoming/registry"
#define VIOS_SEEN_NODES "refs/vios/seen/nodes/"
#define VIOS_USB_NODES "refs/vios/usb/nodes/"
#define VIOS_VERIFIED_REGISTRY_REF "refs/vios/registry"
#define VIOS_MIRROR_REGISTRY_REF "refs/vios/audit/registry"
#define VIOS_MIRROR_NODES "refs/vios/audit/nodes/"

/* The directory of a node's tree that holds its bundles, without and with its '/'. */
#define VIOS_BUNDLES_TREE "bundles"
#define VIOS_BUNDLES_DIR VIOS_BUNDLES_TREE "/"

/* The prev hash of seq 1: 64 zeros (BLAKE2b-256 hex of "no previous bundle"). */
#define VIOS_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Room for any node ref name (with a 36-character id) and any bundle path. */
#define VIOS_LAYOUT_REF_MAX 64
#define VIOS_LAYOUT_PATH_MAX 40

/*
 * The ref of node_id in node namespace ns (VIOS_NODES_REFS,
 * VIOS_INCOMING_NODES, VIOS_SEEN_NODES, VIOS_USB_NODES or VIOS_MIRROR_NODES):
 * ns followed by the id. out has room for outlen bytes, enough for the name
 * (VIOS_LAYOUT_REF_MAX for a node id).
 */
void vios_layout_node_ref(char *out, size_t outlen, const char *ns, const char *node_id);

/*
 * The node id part of ref when ref lies in namespace ns (a pointer into
 * ref), NULL when it does not. The id is not checked: callers that need a
 * node id check it with vios_uuid_valid.
 */
const char *vios_layout_ref_node(const char *ref, const char *ns);

/*
 * The name of bundle seq's file in VIOS_BUNDLES_DIR: "<seq, 10 digits>.age",
 * or "<seq, 10 digits>.age.minisig" when sig is 1. seq is 1 to 9999999999;
 * out has room for VIOS_LAYOUT_PATH_MAX bytes.
 */
void vios_layout_bundle_name(char *out, long long seq, int sig);
/* The same under VIOS_BUNDLES_DIR: the path in a node's tree. */
void vios_layout_bundle_path(char *out, long long seq, int sig);

/*
 * Parses a bundle file name (vios_layout_bundle_name_parse) or path
 * (vios_layout_bundle_path_parse) back: 0 with *seq (1 or more) and *sig
 * (1 for the .minisig) when it is exactly one of those names,
 * VIOS_ENOTFOUND otherwise (no error message: not being a bundle file is
 * not an error).
 */
int vios_layout_bundle_name_parse(long long *seq, int *sig, const char *name);
int vios_layout_bundle_path_parse(long long *seq, int *sig, const char *path);

#endif
