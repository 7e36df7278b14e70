/*
 * retention.h - the covenant's retention periods enforced on this node
 * (docs/lifecycle.md, "Retention"): the covenant in force here (the
 * version this node approved, else the default covenant for a node that
 * joined no hub) gives the months per category; src/crdt/erase.c applies
 * the rules. Run by every `vios sync` before it seals, and by
 * `vios retention run`.
 */
#ifndef VIOS_RETENTION_H
#define VIOS_RETENTION_H

#include "crdt/crdt.h"
#include "store/store.h"

/*
 * Erases what the covenant in force no longer lets this node keep, as of
 * vios_now(). *out says how many rows per table, *months[0] theme and
 * [1] case the periods applied (months may be NULL). 0 or an error.
 */
int vios_retention_run(vios_crdt_erased *out, long long months[2], vios_store *st);

#endif
