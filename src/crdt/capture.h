/*
 * capture.h - the store's hooks into change capture (capture.c). Only
 * src/store/store.c calls these, around every vios_store_tx_begin /
 * _commit / _rollback; store and crdt are one layer (STYLE.md).
 */
#ifndef VIOS_CRDT_CAPTURE_H
#define VIOS_CRDT_CAPTURE_H

#include "store/store.h"

/* After BEGIN: starts a session on the synced tables (st->capture). */
int vios_crdt_capture_begin(vios_store *st);
/* Before COMMIT: turns the session's changeset into ops stamped with one new
 * clock and stores them; ends the session. 0 when nothing was captured. */
int vios_crdt_capture_commit(vios_store *st);
/* Ends the session, if any, without storing anything. */
void vios_crdt_capture_abort(vios_store *st);

#endif
