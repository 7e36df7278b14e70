/*
 * node.h - a node's home: identity, keys and the secrets at rest.
 *
 * Layout of a home (created 0700 by vios_node_init):
 *   node.json      public identity (format "vios-node-1"): node id, kind,
 *                  name, role, key id, public keys. Bound to the secrets by
 *                  identity.sec's associated data, so an edit is detected.
 *   keys.vault     the 32-byte master key, wrapped twice with
 *                  XChaCha20-Poly1305: under Argon2id(passphrase) and under
 *                  Argon2id(recovery code), with the creation preset
 *                  recorded and authenticated. See docs/formats.md.
 *   identity.sec   the Ed25519 (minisign) and X25519 (age) secret keys,
 *                  encrypted under a key derived from the master key.
 *   store.db       the encrypted record store (src/store).
 *
 * A home must be a directory owned by the user running vios with no group
 * or other permissions; anything else is refused before a file in it is read.
 *
 * A vios_node holds the unlocked secrets in sodium_malloc memory; free it
 * with vios_node_free, which wipes them.
 */
#ifndef VIOS_NODE_H
#define VIOS_NODE_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/minisign.h"
#include "crypto/secret.h"
#include "node/vocab.h"

#define VIOS_NAME_MAX 64
#define VIOS_RECOVERY_LEN 39 /* 8 groups of 4 base32 characters, 7 dashes */
#define VIOS_PASSPHRASE_MIN 8

/* An epoch key an identity backup carries (node/backup.h, store/epoch.h). */
typedef struct {
	long long n; /* from 1 */
	uint8_t sk[32];
	char started_at[21];
	char ended_at[21]; /* "" while it is the current epoch */
} vios_node_epoch;

typedef struct vios_node {
	char home[PATH_MAX];
	char node_id[37];
	char kind[16];
	char name[VIOS_NAME_MAX + 1];
	char role[24];
	char created[21];
	vios_minisign_pub sign_pub;
	uint8_t age_pk[32];
	/* the Argon2id preset the node was created with (a vios_kdf_preset),
	 * authenticated by the vault; 0 for a version-1 vault or public-only */
	int kdf_preset;
	/* 1 when this process made the home (vios_node_init): only then may its
	 * store be created (store.h) */
	int fresh;
	/* secrets, sodium_malloc'd; NULL when the node was opened public-only */
	uint8_t *master;
	vios_minisign_sec *sign_sec;
	uint8_t *age_sk; /* NULL also once destroyed (epoch 0: vios_node_age_destroy) */
	/* the live epoch keys on their way between a store and an identity
	 * backup (store/epoch.h fills them for vios_backup_write; vios_backup_read
	 * and vios_node_init_from carry them to the restored store), in sodium
	 * memory; NULL otherwise */
	vios_node_epoch *epochs;
	size_t nepochs;
} vios_node;

/* Kinds and roles (vios_kind_valid, vios_role_valid, ...): node/vocab.h. */

/*
 * Creates a node home at `home` (which must not exist, or be an empty
 * directory). role may be NULL: it defaults to the kind for school, hub and
 * auditor; a partner must name one. Writes the recovery code (printed once
 * by the caller, never stored) into recovery (VIOS_RECOVERY_LEN+1 bytes,
 * caller's sodium memory). Returns the unlocked node in *out.
 */
int vios_node_init(vios_node **out, char *recovery, const char *home,
		   const char *kind, const char *name, const char *role,
		   const vios_secret *pass, vios_kdf_preset kdf);

/*
 * The same for an identity that exists already (vios restore): a new home
 * with from's node id, created time, kind, name, role and both key pairs
 * (from->sign_sec and from->age_sk, which must match its public keys;
 * age_sk may be NULL when the backup says it was destroyed) and its
 * epoch keys (from->epochs, copied), a
 * new master key and a new recovery code, sealed with pass as init does.
 */
int vios_node_init_from(vios_node **out, char *recovery, const char *home, const vios_node *from,
			const vios_secret *pass, vios_kdf_preset kdf);

/*
 * The public identity as node.json holds it (format "vios-node-1"), a new
 * jansson object, and its one reader: fills n's public fields from o,
 * checked as node.json is (known kind and role, key id derived from the
 * key). VIOS_ECORRUPT with the rule that failed.
 */
int vios_node_public_json(json_t **out, const vios_node *n);
int vios_node_public_parse(vios_node *n, json_t *o);

/*
 * Opens a home and unlocks it with the passphrase (VIOS_EAUTH if wrong).
 * A vault whose Argon2id costs lie outside what vios writes (vios_vault_parse)
 * is refused as tampered (VIOS_ECORRUPT) before Argon2id runs.
 */
int vios_node_open(vios_node **out, const char *home, const vios_secret *pass);
/*
 * Opens a home with its 32-byte master key instead of the passphrase (the
 * unlock agent's, node/agent.h): no Argon2id runs. The key must open
 * identity.sec (VIOS_EAUTH, with a message saying to unlock again, when it
 * does not). kdf_preset is the vault's creation preset as the unlock that
 * produced the key authenticated it (0 for a version-1 vault); the caller
 * vouches for it.
 */
int vios_node_open_key(vios_node **out, const char *home, const uint8_t key[32], int kdf_preset);
/* Opens a home reading only its public identity (no secrets). */
int vios_node_open_public(vios_node **out, const char *home);

/*
 * Rewraps the master key under a new passphrase (the recovery slot stays),
 * with the costs of the node's creation preset, never those found on disk.
 */
int vios_node_passphrase_change(vios_node *node, const vios_secret *newpass);
/*
 * Unlocks with the recovery code and rewraps the master key under newpass.
 * VIOS_EAUTH when the code is wrong. The recovery code stays valid. The new
 * slot gets the creation preset's costs (authenticated by the recovery
 * slot); a version-1 vault is rewritten as version 2.
 */
int vios_node_passphrase_recover(const char *home, const char *code,
				 const vios_secret *newpass);

/* What a keys.vault says before anything in it is authenticated. */
typedef struct {
	int version;     /* 1 or 2 */
	int preset;      /* creation preset (version 2), 0 for version 1 */
	uint64_t ops[2]; /* Argon2id passes of slot 0 (passphrase), 1 (recovery) */
	uint64_t mem[2]; /* Argon2id memory in bytes */
} vios_vault_info;

/* Bounds on a slot's Argon2id costs: at least the interactive preset, at
 * most four times the sensitive preset's passes and its memory. */
#define VIOS_VAULT_OPS_MIN 2u
#define VIOS_VAULT_OPS_MAX 16u
#define VIOS_VAULT_MEM_MIN (64u << 20)
#define VIOS_VAULT_MEM_MAX (1u << 30)

/*
 * Parses the bytes of a keys.vault (docs/formats.md): magic, version, slot
 * types, preset, and each slot's costs within the bounds above and, in
 * version 2, at least the recorded preset's. Runs no Argon2id and
 * authenticates nothing. 0 or VIOS_ECORRUPT with a message.
 */
int vios_vault_parse(vios_vault_info *out, const uint8_t *buf, size_t len);

/* A 32-byte subkey of the master key for one purpose (8-char context). */
int vios_node_subkey(uint8_t out[32], const vios_node *node, uint64_t id, const char ctx[8]);

/*
 * Fingerprints (docs/formats.md, "Fingerprint and key id"): 128 bits derived
 * from an Ed25519 public key, BLAKE2b-128("vios-fingerprint-v2" | pk),
 * printed as 32 uppercase hex digits in 8 groups of 4 joined by '-'
 * (VIOS_FINGERPRINT_STRLEN characters). The pin every node and auditor keeps
 * of its hub. The 8-byte minisign key id below is only what minisign needs.
 */
#define VIOS_FINGERPRINT_BYTES 16
#define VIOS_FINGERPRINT_STRLEN 39
void vios_fingerprint_from_pk(uint8_t out[VIOS_FINGERPRINT_BYTES], const uint8_t pk[32]);
void vios_fingerprint_format(char out[VIOS_FINGERPRINT_STRLEN + 1], const uint8_t fp[VIOS_FINGERPRINT_BYTES]);
/* The fingerprint of the node whose signing key is pk, formatted: the one
 * string `vios whoami` prints on that node and the hub operator reads back
 * (vios hub enroll, vios hub nodes). */
void vios_fingerprint_of_key(char out[VIOS_FINGERPRINT_STRLEN + 1], const uint8_t pk[32]);
/* The node's fingerprint, formatted: vios_fingerprint_of_key of its signing key. */
void vios_node_fingerprint(char out[VIOS_FINGERPRINT_STRLEN + 1], const vios_node *node);
/*
 * Parses a (hub) fingerprint as a person types it: 32 hex digits in any case,
 * with or without '-' or spaces between groups, or the hub's minisign public
 * key line (RW..., its fingerprint derived from the key). A 16-digit key id
 * (the fingerprint before registry format 2) is refused, saying so.
 * 0, or VIOS_EUSAGE with a message.
 */
int vios_fingerprint_parse(uint8_t out[VIOS_FINGERPRINT_BYTES], const char *text);
/* Key id derived from an Ed25519 public key (binds the key id to the key). */
void vios_keyid_from_pk(uint8_t keyid[8], const uint8_t pk[32]);

/*
 * The signed enrollment request (JSON: {"request": {...}, "signature": "..."}),
 * malloc'd. The signature is a minisign signature over the request object
 * serialised compactly with sorted keys.
 */
int vios_node_enroll_request(char **out, const vios_node *node);

/* Public fields of a verified enrollment request. */
typedef struct {
	char node_id[37];
	char kind[16];
	char name[VIOS_NAME_MAX + 1];
	char role[24];
	char created[21];
	vios_minisign_pub sign_pub;
	uint8_t age_pk[32];
} vios_enroll_info;

/*
 * Parses and verifies an enrollment request: well-formed fields, known
 * kind and role, key id bound to the key, signature by the requesting key.
 * VIOS_ECORRUPT for malformed input, VIOS_EVERIFY for a bad signature.
 */
int vios_enroll_request_verify(vios_enroll_info *out, const char *text, size_t len);

/*
 * Destroys the identity's age secret key (epoch 0, store/epoch.h):
 * identity.sec is rewritten with 32 zero bytes in its place (which means
 * "destroyed"; the public key stays in node.json and the registry), and
 * node->age_sk is wiped and set to NULL. 0 when it was gone already.
 */
int vios_node_age_destroy(vios_node *node);

/* The age identity line "AGE-SECRET-KEY-1..." into out (sodium memory);
 * VIOS_ENOTFOUND once the key was destroyed. */
int vios_node_age_identity(char *out, size_t outlen, const vios_node *node);

void vios_node_free(vios_node *node);

#endif
