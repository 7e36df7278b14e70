/*
 * epoch.h - epoch keys: forward secrecy of history (docs/formats.md,
 * "Epoch keys"; docs/lifecycle.md, "Epoch keys"). The one reader and writer
 * of the store's epoch_key, epoch_zero and peer_epoch tables.
 *
 * A node's age recipient rotates per epoch: epoch 0 is the identity's age
 * key (identity.sec, what the registry lists), current from the node's
 * creation; a new epoch starts at the first sync after the current one's
 * calendar month (UTC, vios_now) has ended, or at once with
 * `vios keys rotate`. Each new epoch is announced in the signed header of the
 * next bundle the node seals (vios-bundle-3, payload.h); every reader records
 * the announcements it verifies (also of bundles not addressed to it), and a
 * sender seals to each recipient's latest announced epoch recipient, else to
 * its registry key.
 *
 * An epoch n below the current one is destroyed (its secret wiped from the
 * store, or identity.sec's age key replaced by 32 zero bytes for epoch 0)
 * once now >= VIOS_EPOCH_GRACE_DAYS after a later epoch was first announced
 * (sealed into the header of an own bundle: partners cannot seal to an
 * epoch before they saw it) and nothing waits undecrypted
 * (the held table is empty). From then on no key on any disk opens a bundle
 * sealed to it: the data lives on in the stores only.
 */
#ifndef VIOS_EPOCH_H
#define VIOS_EPOCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "node/node.h"
#include "store/store.h"

#define VIOS_EPOCH_GRACE_DAYS 14

/* What a maintenance pass did. */
typedef struct {
	long long current;      /* the current epoch after the pass (0: none started yet) */
	int started;            /* 1 when it started a new epoch */
	long long destroyed[8]; /* epochs destroyed by it (the first 8) */
	size_t ndestroyed;
	char next_destroy[21];  /* when the previous epoch may be destroyed ("" when none, or awaiting_announce) */
	int awaiting_announce;  /* 1 when an ended epoch waits for its successor's announcement before its grace counts */
	int held;               /* 1 when held bundles kept every key (nothing destroyed) */
	int wal_busy;           /* 1 when another process kept the WAL from being truncated after a destruction */
} vios_epoch_report;

/*
 * Rotates and destroys (sync, after import; vios keys rotate with force):
 * starts the next epoch when force or when the current one's calendar
 * month has ended (epoch 0's from the node's creation); then destroys every epoch whose
 * grace has passed (the rule above), epoch 0 through vios_node_age_destroy
 * (st->node is the node the caller unlocked; its age_sk becomes NULL). Its
 * own transaction; the WAL is checkpointed (TRUNCATE) after a destruction
 * (out->wal_busy when another process's read kept it from truncating).
 * out may be NULL.
 */
int vios_epoch_maintain(vios_epoch_report *out, vios_store *st, int force);

/*
 * After a restore (sync/restore.h): announced is the highest epoch this
 * node's own signed headers on the hub announced. Partners seal to the
 * highest number they saw and ignore a lower one, so when it is above the
 * current epoch (a rotation after the backup was written: its key is not
 * in the backup), epoch announced + 1 starts with a new key and the
 * current one ends; the next bundle announces it. *started: its number, 0
 * when the current epoch is already the highest announced. Its own
 * transaction.
 */
int vios_epoch_resume(long long *started, vios_store *st, long long announced);

/*
 * The current epoch, when no own bundle announced it yet, into *a (what a
 * vios-bundle-3 header's epoch carries, sync/payload.h; a->n 0 otherwise); vios_epoch_published records the
 * seq that carried it. In the caller's transaction.
 */
typedef struct {
	long long n;       /* from 1; 0: none */
	uint8_t pk[32];    /* its age recipient */
	char since[21];    /* when it started, YYYY-MM-DDTHH:MM:SSZ */
} vios_epoch_announcement;
int vios_epoch_unpublished(vios_epoch_announcement *a, vios_store *st);
int vios_epoch_published(vios_store *st, long long n, long long seq);

/*
 * The age recipient to seal to for node_id: this node's own current epoch
 * key for itself, another node's latest announced epoch recipient, else
 * registry_pk (epoch 0). Into out.
 */
int vios_epoch_seal_pk(uint8_t out[32], vios_store *st, const char *node_id, const uint8_t registry_pk[32]);

/*
 * Records the epoch a verified header of sender's bundle seq announced
 * (a no-op when a->n is 0 or the sender is this node); a lower n than one recorded
 * is kept but never sealed to. In the caller's transaction.
 */
int vios_epoch_record(vios_store *st, const char *sender, long long seq, const vios_epoch_announcement *a);

/*
 * Every live secret key of this node: the identity's age key unless it
 * was destroyed, then each live epoch key, newest first. *ids is an array
 * of *n pointers into one sodium_malloc'd block; free with vios_epoch_keys_free.
 * *destroyed: how many epochs were destroyed (for error messages), may be NULL.
 */
int vios_epoch_keys(uint8_t ***ids, size_t *n, size_t *destroyed, vios_store *st);
void vios_epoch_keys_free(uint8_t **ids, size_t n);

/*
 * The live epoch keys (n >= 1) into node->epochs (sodium memory, replacing
 * what it held) for an identity backup (node/backup.h); node is the node
 * the store was opened with.
 */
int vios_epoch_node_load(vios_node *node, vios_store *st);

/*
 * Installs the epoch keys a restored identity carries (st->node->epochs,
 * from its backup) in a new store, with epoch 0 ended (and destroyed when
 * the identity's age key was), so the restore reads what was sealed to
 * them. A no-op when it carries none.
 */
int vios_epoch_install(vios_store *st);

/* Epochs as `vios keys list` shows them: n, recipient, started, ended,
 * destroyed, published_seq. Never a secret. */
int vios_epoch_list(json_t **out, vios_store *st);

#endif
