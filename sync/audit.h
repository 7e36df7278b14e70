/*
 * audit.h - the auditor's view of a hub repository (docs/architecture.md,
 * docs/formats.md): verify every signature, chain and data flow; list the flows;
 * replay history into a throwaway store and digest it.
 *
 * The audit never writes to the audited repository and needs no store of
 * its own: vios_audit_open makes a private working directory under $TMPDIR
 * (removed by vios_audit_free), fetches the source's registry ref and node
 * refs (layout.h) into a bare mirror there, and reads only the mirror.
 *
 * Trust root: the pinned root key fingerprint when the caller gives one (the
 * auditor's joined hub, or --hub-fingerprint), else the checkpoint's, else
 * the key of the first registry commit (trust on first use; reported so the
 * auditor can pin it). Every registry commit, first-parent from the first,
 * is loaded with vios_registry_load against that pin; versions go 1, 2, 3.
 * What the history says of each node (kind, role, keys, enrollment and
 * revocation) and every covenant version it published are kept.
 *
 * Each node ref must be a first-parent chain whose commit k adds exactly
 * bundles/<k>.age and its .minisig, nothing else, with the signed header as
 * commit message; each bundle is signed (minisign "ED") by its sender's
 * enrolled key, names that sender and seq, chains to the BLAKE2b-256 of the
 * previous .age, comes before the sender's revocation (seq <= last_seq),
 * names a covenant version the registry published (never going back along
 * the chain), and is addressed only to recipients that covenant allows,
 * the auditors the covenant's scope gives the data among them, and only to
 * nodes the sender approved in its headers (sync/recipients.h, sync/consent.h).
 *
 * A failed check is a finding, never an error: errors are reserved for
 * what stops the audit (an unreachable source, no registry, a malformed
 * checkpoint). Findings that make a bundle untrustworthy (signature,
 * sender, seq, chain, revocation, a modified file) also cut its sender's
 * chain there for the replay; compliance findings (recipients, covenant)
 * do not, since the data did flow.
 *
 * Memory: the per-ref walk keeps one bundle in memory at a time plus the
 * commit ids of that ref's chain; replay keeps one cursor per sender and
 * one bundle's payload at a time.
 */
#ifndef VIOS_AUDIT_H
#define VIOS_AUDIT_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/bundle.h"
#include "sync/registry.h"
#include "store/store.h"

#define VIOS_AUDIT_CHECKPOINT_FORMAT "vios-audit-checkpoint-2"
#define VIOS_AUDIT_CHECKPOINT_MAX (16u << 20)

typedef struct vios_audit vios_audit;

/* Where the trust root came from. */
typedef enum {
	VIOS_AUDIT_ROOT_PINNED = 1,     /* given by the caller */
	VIOS_AUDIT_ROOT_CHECKPOINT = 2, /* recorded in the checkpoint */
	VIOS_AUDIT_ROOT_FIRST = 3       /* the first registry commit's key (trust on first use) */
} vios_audit_root_source;

typedef struct {
	char node[37];      /* the node (ref) it is about; "" for the registry */
	long long seq;      /* the bundle's seq; 0 when not about one bundle */
	int breaking;       /* the bundle is untrustworthy: its sender's chain is cut there */
	int chain;          /* a rule of the ref's history (sync/chain.h): every reader refuses the ref */
	char what[600];
} vios_audit_finding;

/* A node ref read at a given commit instead of where the source has it. */
typedef struct {
	char node_id[37];
	git_oid head;
} vios_audit_ref_at;

typedef struct {
	const char *source;     /* URL or path of the hub repository (or a copy of it) */
	const uint8_t *pin;     /* the root key's fingerprint (VIOS_FINGERPRINT_BYTES, node.h), or NULL */
	const char *checkpoint; /* checkpoint file, or NULL (read if it exists) */
	/*
	 * A push about to land (vios hub check-push), for a source on a local
	 * path only: objects names one more object directory to read (git's
	 * quarantine of the pushed objects), and when nonly > 0 only these node
	 * refs are verified, each at its given head.
	 */
	const char *objects;
	const vios_audit_ref_at *only;
	size_t nonly;
} vios_audit_opts;

/* What the registry history says of a node. Strings "" when unknown. */
typedef struct {
	char node_id[37];
	char kind[16];
	char role[24];
	char name[VIOS_NAME_MAX + 1];
	char enrolled_at[21];
	char revoked_at[21]; /* "" when never revoked */
	long long last_seq;  /* when revoked, else -1 */
} vios_audit_node;

/* One bundle as the verification saw it (for flows). Borrowed for the call. */
typedef struct {
	const char *node;              /* the ref's node id */
	long long seq;                 /* from the file name */
	const vios_bundle_header *hdr; /* NULL when no readable header */
	const vios_audit_node *sender; /* NULL when never enrolled */
	int compliant;                 /* no finding about this bundle or its ref */
	const vios_audit_finding *findings;
	size_t nfindings;              /* the findings about this bundle */
} vios_audit_bundle;

typedef int (*vios_audit_bundle_fn)(void *ctx, const vios_audit_bundle *b);

typedef struct {
	char root[VIOS_FINGERPRINT_STRLEN + 1]; /* the trusted root key's fingerprint */
	vios_audit_root_source root_source;
	size_t registry_versions;      /* registry commits that verified */
	long long registry_version;    /* the newest version */
	size_t nodes;                  /* node refs */
	size_t bundles;                /* bundles looked at */
	size_t findings;
} vios_audit_summary;

/*
 * Makes the private working directory, fetches the source into its mirror,
 * reads the checkpoint (when given and present; its format is checked
 * first) and walks the registry history. VIOS_ERROR when the source cannot
 * be fetched; VIOS_ENOTFOUND when it has no registry (not a hub);
 * VIOS_ECORRUPT for a malformed checkpoint. Registry findings are recorded.
 */
int vios_audit_open(vios_audit **out, const vios_audit_opts *opts);
void vios_audit_free(vios_audit *a);

/*
 * Checks every node ref (and, with a checkpoint, that the registry and
 * every ref descend from what it recorded, and that no ref went away),
 * calling fn (may be NULL) once per bundle in each ref's seq order.
 * Returns 0 when it ran (findings or not), or an error from fn or below.
 */
int vios_audit_verify(vios_audit *a, vios_audit_bundle_fn fn, void *ctx);

/* The findings so far, in the order found. */
const vios_audit_finding *vios_audit_findings(const vios_audit *a, size_t *n);
void vios_audit_get_summary(vios_audit_summary *out, const vios_audit *a);
/* A node of the registry history, or NULL. */
const vios_audit_node *vios_audit_find_node(const vios_audit *a, const char *node_id);
/* The node with that id, or the one node with that name; NULL (message set)
 * when there is none or more than one. */
const vios_audit_node *vios_audit_resolve_node(const vios_audit *a, const char *text);

/*
 * Writes the checkpoint atomically (JSON, format VIOS_AUDIT_CHECKPOINT_FORMAT:
 * root fingerprint, registry head and version, each node ref's head and
 * last seq). Refused (VIOS_EVERIFY) when there are findings: a checkpoint
 * only ever records history that verified.
 */
int vios_audit_checkpoint_write(const vios_audit *a, const char *path);

typedef struct {
	char digest[65];
	size_t applied;     /* bundles decrypted and merged */
	size_t ops;         /* ops merged */
	size_t not_for_me;  /* selected, but the replaying node is not a recipient */
	size_t cut;         /* bundles up to `until` left out: they fail verification */
	char first_cut[700];
	size_t refused;     /* bundles refused for the mandate (not merged) */
	size_t held;        /* bundles held behind a refused one of their sender */
	char first_refused[700];
	size_t log_back;    /* bundles whose sender's access log went back (audit_replay.c) */
	char first_log_back[300];
	size_t name_check_skipped; /* records named by vios-payload-3 bundles: theme text written with --no-name-check */
	char first_name_check_skipped[300];
} vios_audit_replay_report;

/*
 * After vios_audit_verify: replays the verified history into a throwaway
 * encrypted store (vios_crdt_store_open_temp) with node's keys (unlocked):
 * bundles in the order of their header clocks (ties by sender, then seq;
 * each sender's seq order always holds) up to until_ms (0 = all), only
 * those addressed to for_node when it is not NULL, each decrypted, read
 * and merged on its own; a sender's chain stops at its first untrustworthy
 * bundle. The digest is taken over category (NULL, "theme" or "case").
 *
 * Each bundle is merged as every node imports it (crdt/mandate.h): every
 * op judged by vios_crdt_apply_checked under the mandate of the covenant
 * version the bundle names (as the registry published it; the newest when
 * it names one never published), writers' kind and role from the registry
 * history, the header's categories equal to the ops'; all or nothing. Wait
 * semantics as 'vios sync': a bundle that cannot be judged yet (an op on a
 * record not held, or a refusal a bundle still to come may lift) waits,
 * its sender's later bundles behind it, while other senders' go on; when
 * only waiting bundles are left, the earliest goes without waiting (ops on
 * records still not held are ignored, a refusal stands). A refused bundle
 * is not merged (counted in refused) and its sender's later bundles are
 * held behind it (counted in held), as every node keeps them behind the
 * quarantined one.
 */
int vios_audit_replay(vios_audit_replay_report *out, vios_audit *a, const vios_node *node,
		      uint64_t until_ms, const char *for_node, const char *category);

/*
 * After vios_audit_verify, for an auditor whose keys decrypt the content:
 * classifies every op of the verified history against the mandate (a
 * replay of all of it, as vios_audit_replay with until 0, every bundle
 * addressed to node). Each refused bundle is a finding on its sender and
 * seq ("<kind> (\"name\", role) sealed ops outside the mandate of covenant
 * vN: mandate: op K of M (set tbl.col of ID): why; refused whole, as at
 * every node[; seq A to B are held behind it, not replayed]"), breaking:
 * the bundle is untrustworthy, its flow not compliant. Bundles not
 * addressed to node (sealed before it was enrolled) are not classified
 * (out->not_for_me).
 */
int vios_audit_mandate(vios_audit_replay_report *out, vios_audit *a, const vios_node *node);

/*
 * The root key fingerprint a node home pinned at 'vios join', read without its
 * passphrase: the hub key of the registry commit the node verified last
 * (refs/vios/registry of HOME/outbox.git; the commit is set only after
 * every signature in it checked out against the pin). VIOS_ENOTFOUND when
 * the home has not joined.
 */
int vios_audit_home_pin(uint8_t pin[VIOS_FINGERPRINT_BYTES], const char *home);

/*
 * Parses a time for --until as Unix milliseconds (UTC): YYYY-MM-DD (through
 * the end of that day), YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]. VIOS_EUSAGE otherwise.
 */
int vios_audit_time_parse(uint64_t *ms, const char *text);

#endif
