/*
 * ledger.h - the store's bundle bookkeeping (schema/0004_bundles.sql): the
 * only code that touches the outbox, peer, bundle_seen and held tables.
 * sync/ and the CLI ask here instead of querying them.
 *
 *   outbox       bundles this node sealed: seq, hash, signed header, and the
 *                .age and signature until committed to HOME/outbox.git;
 *                then committed, then pushed
 *   peer         per sender, the last seq verified in order and its hash
 *   bundle_seen  every bundle verified from another node (applied/skipped)
 *   held         verified bundles that came early, until their gap fills
 *
 * Hashes are 64 lowercase hex digits (BLAKE2b-256 of the .age file). Writers
 * run inside the caller's write transaction (vios_store_tx_begin*); readers
 * need none. Every function returns 0 or a vios error from
 * vios_store_error naming what was being done; the lookups return
 * VIOS_ENOTFOUND (no message) when there is no such row.
 */
#ifndef VIOS_LEDGER_H
#define VIOS_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- peer ---- */

/* The last seq and hash of sender node verified in order: 0 and "" when none. */
int vios_ledger_peer_get(long long *last, char hash[65], vios_store *st, const char *node);
/* Records seq (with its hash) as sender node's last verified in order. */
int vios_ledger_peer_set(vios_store *st, const char *node, long long seq, const char *hash);

/* ---- bundle_seen ---- */

/*
 * The hash of sender's bundle seq as this node saw it: verified before
 * (bundle_seen) or, for this node's own id, sealed by it (outbox).
 * VIOS_ENOTFOUND when neither.
 */
int vios_ledger_seen_get(char hash[65], vios_store *st, const char *sender, long long seq);
/* Records a verified bundle; status is "applied" or "skipped", header its signed JSON. */
int vios_ledger_seen_add(vios_store *st, const char *sender, long long seq, const char *hash,
			 const char *status, const char *header, const char *seen_at);

/* ---- held ---- */

/* The hash of the bundle held for sender's seq; VIOS_ENOTFOUND when none. */
int vios_ledger_held_hash(char hash[65], vios_store *st, const char *sender, long long seq);
/* The .age (malloc'd, *agelen bytes) and signature text (malloc'd) held for sender's seq; VIOS_ENOTFOUND when none. */
int vios_ledger_held_get(uint8_t **age, size_t *agelen, char **sig, vios_store *st, const char *sender,
			 long long seq);
/* Holds a verified bundle that came before the seq it follows. */
int vios_ledger_held_put(vios_store *st, const char *sender, long long seq, const char *hash, const char *sig,
			 const char *held_at, const uint8_t *age, size_t agelen);
/* Holds sender's bundle seq in quarantine: refused for reason (one line),
 * replacing what was held for that seq. Its later bundles wait behind it. */
int vios_ledger_quarantine_put(vios_store *st, const char *sender, long long seq, const char *hash, const char *sig,
			       const char *held_at, const uint8_t *age, size_t agelen, const char *reason);
/* The reason sender's bundle seq with that hash was quarantined for;
 * VIOS_ENOTFOUND when that bundle is not in quarantine. */
int vios_ledger_quarantined_get(char *reason, size_t len, vios_store *st, const char *sender, long long seq,
				const char *hash);
/* Drops the bundle held for sender's seq (applied now). */
int vios_ledger_held_delete(vios_store *st, const char *sender, long long seq);

typedef struct {
	char sender[37];
	long long first_seq; /* the lowest seq held */
	size_t n;            /* bundles held */
	char quarantined[400]; /* "SEQ: reason" of the first one in quarantine, "" when none */
} vios_ledger_held_group;

/* The senders with held bundles, by sender id, into malloc'd *out (NULL when none). */
int vios_ledger_held_list(vios_ledger_held_group **out, size_t *n, vios_store *st);

/* ---- outbox ---- */

/* The last seq this node sealed and its hash: 0 and "" when none. */
int vios_ledger_outbox_last(long long *seq, char hash[65], vios_store *st);
/* Queues sealed bundle seq (uncommitted, unpushed) with its .age and signature. */
int vios_ledger_outbox_add(vios_store *st, long long seq, const char *hash, const char *header, const char *sig,
			   const char *created_at, const uint8_t *age, size_t agelen);

typedef struct {
	long long seq;
	uint8_t *age;
	size_t agelen;
	char *sig;
	char *header;
} vios_ledger_outbox_entry;

/* The lowest sealed bundle after seq `after` not committed yet, its parts
 * malloc'd; VIOS_ENOTFOUND when none. */
int vios_ledger_outbox_next_uncommitted(vios_ledger_outbox_entry *out, vios_store *st, long long after);
/* Frees what is inside e and zeroes it. NULL-safe. */
void vios_ledger_outbox_entry_dispose(vios_ledger_outbox_entry *e);
/* Marks seq committed to the outbox repository and drops its .age and signature. */
int vios_ledger_outbox_mark_committed(vios_store *st, long long seq);
/* The same for every bundle from seq `from` to `to` not marked yet, in one transaction. */
int vios_ledger_outbox_mark_committed_range(vios_store *st, long long from, long long to);
/* The highest committed seq, 0 when none. */
int vios_ledger_outbox_committed_max(long long *out, vios_store *st);
/* Marks every unpushed seq up to up_to pushed; *changed how many. */
int vios_ledger_outbox_mark_pushed(size_t *changed, vios_store *st, long long up_to);

typedef struct {
	size_t sealed;   /* bundles in the outbox */
	size_t unpushed; /* of them, not pushed yet */
	size_t held;     /* bundles held */
} vios_ledger_counts;

/* How many bundles are sealed, unpushed and held. */
int vios_ledger_count(vios_ledger_counts *out, vios_store *st);

#endif
