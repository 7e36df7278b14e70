/*
 * bulk.h - the one allocator for large, short-lived arrays: an export's
 * list of pending ops (crdt/pending.c) and its groups' indices
 * (sync/bundle_export.c), tens of megabytes written once and freed at the
 * end of the export.
 *
 * Fresh memory costs a page fault per 4 KiB page at its first touch. On the
 * virtual machines measured here that fault costs about 16 us: 60 MiB of
 * ops took 240 ms to touch, more than listing them (docs/performance.md,
 * "Seventh pass"). An array of VIOS_BULK_MIN bytes or more is therefore
 * mapped on its own, 2 MiB aligned, and the kernel is asked for transparent
 * huge pages on it (madvise MADV_HUGEPAGE: a fault per 2 MiB, where the
 * system allows it; where it does not, it is an ordinary mapping, as
 * malloc's own for that size). Smaller arrays come from malloc. The price:
 * a huge page is 2 MiB of memory from its first touch, and where memory is
 * fragmented the kernel may compact it first or fall back to small pages;
 * an export holds a few such arrays (its ops, their ids, a group's
 * indices), so at most a few MiB more than it touches.
 *
 * Memory from vios_bulk_alloc() is freed with vios_bulk_free() only, and
 * is not zeroed.
 */
#ifndef VIOS_BULK_H
#define VIOS_BULK_H

#include <stddef.h>

#define VIOS_BULK_MIN (4u << 20)

/* size bytes (size > 0), or NULL when out of memory (nothing recorded: the
 * caller says what it was for). */
void *vios_bulk_alloc(size_t size);

/* p grown (or shrunk) to size bytes, its first min(old, size) bytes kept;
 * NULL when out of memory, p then untouched. p NULL: as vios_bulk_alloc. */
void *vios_bulk_realloc(void *p, size_t size);

/* NULL is a no-op. */
void vios_bulk_free(void *p);

#endif
