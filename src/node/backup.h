/*
 * backup.h - the identity backup: everything a node needs to be itself
 * again after its home is lost, as one age file encrypted to a passphrase
 * (age's scrypt recipient, so stock `age -d` opens it). docs/formats.md,
 * "Identity backup", has the format; this file is its one writer and its
 * one reader.
 *
 * The plaintext is a JSON document, format "vios-identity-backup-1": the
 * node's public identity (node id, kind, name, role, created, both public
 * keys), both secret keys (the minisign Ed25519 key and the age X25519
 * identity), and the hub pin the node joined with (the hub's URL, its
 * fingerprint and its public key line) so a restore can verify the
 * registry before it trusts a byte of it. Format "vios-identity-backup-2"
 * (what vios writes; -1 is still read) adds epoch_keys, the node's live
 * epoch keys (node->epochs: store/epoch.h), and writes secret_keys.age as
 * null once the identity's age key was destroyed. The store, the master key and
 * the recovery code are not in it: a restore makes new ones and rebuilds
 * the records from the hub.
 *
 * Secrets stay in sodium memory: the document is built, serialised,
 * decrypted and parsed with jansson allocating from sodium_malloc (see
 * backup.c), and the file written holds only ciphertext.
 */
#ifndef VIOS_BACKUP_H
#define VIOS_BACKUP_H

#include <stddef.h>

#include "crypto/secret.h"
#include "node/node.h"

#define VIOS_BACKUP_FORMAT "vios-identity-backup-2"   /* adds epoch_keys; age may be null */
#define VIOS_BACKUP_FORMAT_1 "vios-identity-backup-1" /* still read */
#define VIOS_BACKUP_EPOCHS_MAX 64
/* The largest backup file a reader takes (the document is about 1 KiB). */
#define VIOS_BACKUP_MAX 65536

/* The hub the node joined; all "" when it joined none. */
typedef struct {
	char url[1024];
	char fingerprint[128]; /* as the node's store records the pin */
	char public_key[128];  /* the hub's minisign key line ("RW..."), "" when unknown */
} vios_backup_hub;

/*
 * Writes node's identity (it must be unlocked) and hub (may be NULL: no
 * hub) to path, encrypted to pass at scrypt work factor logn
 * (VIOS_AGE_SCRYPT_LOGN unless a test wants it faster), atomically with
 * mode 0600. An existing path is refused (VIOS_EEXISTS) unless replace.
 */
int vios_backup_write(const char *path, const vios_node *node, const vios_backup_hub *hub,
		      const vios_secret *pass, int logn, int replace);

/*
 * Reads the backup at path with pass: VIOS_EAUTH for a wrong passphrase,
 * VIOS_ECORRUPT (with the rule that failed) for anything but a well-formed
 * vios-identity-backup-1 whose secret keys match its public keys. *out is
 * a node with no home and no master key, its sign_sec and age_sk in sodium
 * memory (vios_node_free); *hub is filled ("" fields when none).
 */
int vios_backup_read(vios_node **out, vios_backup_hub *hub, const char *path, const vios_secret *pass);

#endif
