/*
 * restore.h - a node made again from its identity backup and the hub.
 *
 * `vios restore --backup FILE URL` makes a new home with the backed-up
 * identity (node/backup.h, node.h vios_node_init_from) and then calls
 * vios_restore_from_hub on its new, empty store: join the hub with the pin
 * the backup carries, take this node's own bundles back from its ref on
 * the hub (every bundle a node seals is addressed to itself too, so it can
 * read its own history), then every other node's bundles addressed to it,
 * as a sync would. Afterwards the store's outbox ends where the hub's ref
 * for this node ends (same last seq and hash, recorded as committed and
 * pushed), HOME/outbox.git's own ref is the hub's, and the clock is past
 * the last own bundle's: the next `vios sync` continues the chain with the
 * next seq and never seals a seq twice.
 */
#ifndef VIOS_RESTORE_H
#define VIOS_RESTORE_H

#include "node/backup.h"
#include "store/store.h"
#include "sync/sync.h"

typedef struct {
	long long own_seq;      /* this node's last seq on the hub (0: none) */
	size_t own_bundles;     /* own bundles taken back */
	size_t own_ops;         /* ops they held */
	size_t own_unreadable;  /* own bundles not addressed to this node: their ops are not back */
	long long own_epoch;    /* the highest epoch this node's own headers announced (0: none) */
	long long epoch_started; /* the epoch started above it (vios_epoch_resume; 0: none needed) */
	vios_sync_report others; /* the other nodes' bundles, as vios sync counts them */
} vios_restore_report;

/*
 * The hub pin this node joined with, for its identity backup: the hub's
 * URL and fingerprint as the store recorded them at join, and the hub's
 * public key line from the registry verified then (HOME/outbox.git,
 * checked again against the pin). All "" when the node joined no hub.
 */
int vios_restore_hub_pin(vios_backup_hub *out, vios_store *st);

/*
 * Rebuilds st (a store just made for a restored identity, nothing in it)
 * from the hub at url, pinned by pin (a fingerprint or a hub public key
 * line, as `vios join` takes it). VIOS_EVERIFY when the hub's registry or
 * this node's own chain fails verification. Another node's ref or bundle
 * that raises an alarm is counted in rep->others.alarms (the first named
 * in rep->others.first_alarm) and the rest goes on, as in vios sync; the
 * caller reports it.
 */
int vios_restore_from_hub(vios_restore_report *rep, vios_store *st, const char *url, const char *pin);

#endif
