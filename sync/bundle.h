/*
 * bundle.h - signed, encrypted change bundles (docs/formats.md).
 *
 * A bundle is two files: <seq>.age, an age file (X25519, one recipient per
 * node the covenant allows) whose plaintext is a gzip'd SQLite database of
 * ops (docs/formats.md), and <seq>.age.minisig, a minisign "ED" signature of
 * the .age file by the sender whose trusted comment is the signed header
 * (one line of JSON, payload.h): format, sender, seq, prev (BLAKE2b-256 of the sender's
 * previous .age, zeros for seq 1), hlc, covenant_version, categories,
 * recipients, ops.
 *
 * Readers verify before they decrypt and decrypt before they parse: the
 * signature against the sender's key in the verified registry, the sender
 * enrolled and not revoked for that seq, seq = last + 1 and prev; then the
 * age file (bounded), gunzip (bounded), the payload opened read-only from
 * memory with defensive settings and its schema checked exactly, and the
 * ops merged in one transaction with the chain bookkeeping.
 */
#ifndef VIOS_BUNDLE_H
#define VIOS_BUNDLE_H

#include <git2.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "crdt/crdt.h"
#include "sync/layout.h"
#include "sync/payload.h"
#include "store/store.h"

/* The last seq and .age hash of sender node this node verified (0 and zeros
 * when none). */
int vios_bundle_peer(long long *last, char hash[65], vios_store *st, const char *node);

typedef struct {
	size_t bundles;
	size_t ops;
	size_t held;      /* case-data ops kept queued: the registry expired (trust.h) */
} vios_export_report;

/*
 * Seals every pending op into bundles, one per recipient set the covenant
 * in force decides, and commits them (one commit each) to this node's ref in
 * HOME/outbox.git. Needs a joined hub (registry and covenant). For the cases
 * this node made it also seals, first, the current state of the case's rows
 * to roles added since the last export, and the ops that changed the roles
 * to roles taken off (the case view, docs/architecture.md "Sharing";
 * store/caseview.h). out->ops counts both.
 *
 * A node the registry lists as revoked seals nothing (VIOS_EVERIFY,
 * vios_trust_may_seal). With an expired registry only theme data is sealed:
 * case-data ops stay pending (out->held counts them), the case view waits,
 * until a fresh registry is installed.
 */
int vios_bundle_export(vios_export_report *out, vios_store *st);

/*
 * Seals gz (an already gzip'd payload, taken as it is) as this node's next
 * bundle claiming `ops` ops of category theme, addressed to the theme
 * recipients, and commits it. For tests and tools that need a bundle a
 * reader must refuse (a gzip bomb, a payload with extra tables): a node can
 * sign anything with its own key, so this grants nothing new.
 */
int vios_bundle_seal_payload(vios_store *st, const uint8_t *gz, size_t len, long long ops);
/*
 * The same with the header's categories (VIOS_CAT_BIT_*) given, addressed
 * to recipients (node ids of the registry) when given, else to the
 * recipients the covenant in force gives a record of the first category
 * with roles (vios_crdt_role_bit; no owners beyond the sender). For test
 * tools sealing an op set a reader must judge (tests/tools/t_forge.c).
 */
int vios_bundle_seal_payload_to(vios_store *st, const uint8_t *gz, size_t len, long long ops, unsigned categories,
				uint32_t roles, const char *const *recipients, size_t nrecipients);

/* Commits bundles sealed but not yet in the outbox repository (after an
 * export, or after a crash), one commit each, and marks them committed. */
int vios_bundle_flush(vios_store *st, git_repository *repo);

typedef enum {
	VIOS_IMPORT_APPLIED = 1,   /* addressed to this node, merged */
	VIOS_IMPORT_SKIPPED = 2,   /* verified, not addressed to this node */
	VIOS_IMPORT_DUPLICATE = 3, /* the same bundle was imported before */
	VIOS_IMPORT_HELD = 4,      /* verified, waits for an earlier seq */
	VIOS_IMPORT_QUARANTINED = 5 /* refused for the mandate before: still in quarantine
				     * (returned with VIOS_EVERIFY; judged no more) */
} vios_import_status;

typedef struct {
	vios_import_status status;
	vios_bundle_header hdr;
	size_t ops_applied;
	int future;       /* the sender's clock is over 24 h ahead */
	size_t released;  /* held bundles of this sender applied after it */
	uint64_t wait_hlc; /* with VIOS_EWAIT: the waiting bundle's header clock */
} vios_import_result;

/*
 * Verifies and imports one bundle. VIOS_EVERIFY for a bad signature, an
 * unknown, unenrolled or revoked sender, a broken chain or a fork;
 * VIOS_ECORRUPT for a malformed header or payload (bounds, schema). On any
 * failure nothing changes, but for one: a bundle holding an op outside the
 * mandate of its covenant version (crdt/mandate.h), or whose header
 * categories differ from its ops', is refused whole (VIOS_EVERIFY, "bundle
 * S seq N: mandate: op K of M (...): ...") and kept in quarantine
 * (store/ledger.h), where the sender's later bundles wait behind it.
 */
int vios_bundle_import(vios_import_result *out, vios_store *st, const uint8_t *age, size_t agelen,
		       const char *sig, size_t siglen);

/*
 * The same with flags. VIOS_IMPORT_WAIT: a bundle that cannot be judged
 * yet (an op on a record this node does not hold, or outside the mandate
 * as far as this node knows now) returns VIOS_EWAIT with nothing changed,
 * for the caller to try again after importing other senders' bundles
 * (the last try goes without the flag). Without it, ops on records not
 * held here are ignored and a refusal is final.
 */
#define VIOS_IMPORT_WAIT 1u
int vios_bundle_import_flags(vios_import_result *out, vios_store *st, const uint8_t *age, size_t agelen,
			     const char *sig, size_t siglen, unsigned flags);

/*
 * vios restore: imports one of this node's own bundles as the hub holds
 * them, into a store that is being rebuilt. Verified as any bundle is
 * (signature, enrolled sender), then: the sender must be this node, its seq
 * the outbox's last + 1 and its prev that bundle's hash. Its ops are merged
 * (flags as vios_bundle_import_flags: VIOS_EWAIT when they must wait) and
 * the bundle is recorded in the outbox as sealed, committed and pushed, so
 * the next export continues the chain after it; the clock moves past its
 * header's. VIOS_IMPORT_SKIPPED when it is not addressed to this node (its
 * ops cannot be read back). VIOS_EVERIFY for any rule broken.
 */
int vios_bundle_import_own(vios_import_result *out, vios_store *st, const uint8_t *age, size_t agelen,
			   const char *sig, size_t siglen, unsigned flags);
/*
 * Verifies a bundle (signature, enrolled sender) without importing it and
 * returns {"header": {...}, "addressed_to_me": bool, "summary": {...}}: the
 * summary counts ops per table and kind, decrypted only when addressed to
 * this node; nothing is written.
 */
int vios_bundle_inspect(json_t **out, vios_store *st, const uint8_t *age, size_t agelen,
			const char *sig, size_t siglen);

#endif
