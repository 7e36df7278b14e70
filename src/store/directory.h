/*
 * directory.h - what the store keeps about the node's hub, behind the
 * store's own tables (schema/0003_trust.sql): the `meta` key/value facts
 * (hub remote, pinned root key id, registry commit and version, last
 * sync), the enrolled nodes of the registry last verified (`reg_node`)
 * and the covenants installed (`reg_covenant`). Local, never synced.
 *
 * The store only keeps and reads back; verifying what goes in is sync/'s
 * (sync/trust.c installs a registry only after every signature checked
 * out). Writes run inside the caller's transaction when one is open.
 * Functions return 0 or a negative VIOS_E* code with one message recorded.
 */
#ifndef VIOS_STORE_DIRECTORY_H
#define VIOS_STORE_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/minisign.h"
#include "node/node.h"
#include "store/store.h"

/* An enrolled node, as the registry lists it (sync/registry.h reads and
 * writes it there, this file in the store). */
typedef struct {
	char node_id[37];
	char kind[16];
	char role[24];
	char name[VIOS_NAME_MAX + 1];
	char enrolled_at[21];
	char revoked_at[21]; /* "" when not revoked */
	long long last_seq;  /* when revoked: the last seq the hub accepted; else -1 */
	vios_minisign_pub sign_pub;
	uint8_t age_pk[32];
} vios_reg_node;

/*
 * The value of key in `meta`, malloc'd into *out (the caller frees it).
 * VIOS_ENOTFOUND ("no KEY yet") when the key was never set; *out is NULL
 * on any failure.
 */
int vios_store_meta_get(char **out, vios_store *st, const char *key);
/* Sets key to value in `meta`, replacing what it held. */
int vios_store_meta_set(vios_store *st, const char *key, const char *value);

/*
 * Replaces every row of `reg_node` with nodes[0..n) (n may be 0). Run it
 * inside a transaction so a failure leaves the old set (vios_trust_install
 * does).
 */
int vios_store_reg_node_replace_all(vios_store *st, const vios_reg_node *nodes, size_t n);
/*
 * The enrolled node node_id into *out (zeroed first). VIOS_ENOTFOUND when
 * the registry has no such node; VIOS_ECORRUPT when a stored key does not
 * parse.
 */
int vios_store_reg_node_get(vios_reg_node *out, vios_store *st, const char *node_id);
/*
 * Every enrolled node, ordered by node_id (bytewise), into a malloc'd array
 * *out of *n entries (the caller frees it with free(); NULL and 0 when the
 * registry is empty or on failure). VIOS_ECORRUPT when a stored key does
 * not parse.
 */
int vios_store_reg_node_list(vios_reg_node **out, size_t *n, vios_store *st);

/* Keeps covenant `version` (text as signed) installed with registry
 * registry_version; a version already kept stays as it was. */
int vios_store_covenant_add(vios_store *st, long long version, const char *text,
			    long long registry_version);
/* The text of the highest covenant version kept, malloc'd into *out (the
 * caller frees it). VIOS_ENOTFOUND when none is. */
int vios_store_covenant_get(char **out, vios_store *st);
/* The text of covenant `version` (> 0) as kept; VIOS_ENOTFOUND when that
 * version is not kept here. */
int vios_store_covenant_get_version(char **out, vios_store *st, long long version);

#endif
