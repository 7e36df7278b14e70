/*
 * crdt.h - change capture, the hybrid logical clock, the per-column
 * last-writer-wins merge, conflicts, categories and the state digest
 * (docs/architecture.md, "Merge"). See README.md beside this file for the rules.
 *
 * Every local write transaction (vios_store_tx_begin .. _commit) is captured
 * with the SQLite session extension on the synced tables (pupil, signal,
 * trend, meeting, case_file, agreement) and turned, just before COMMIT, into
 * ops stamped with one new clock: a SET per changed column (every column of
 * an INSERT) carrying the clock of the value it replaced, and a DELETE
 * (tombstone) per deleted row. The ops wait in the store until an exporter
 * seals them (vios_crdt_pending, vios_crdt_mark_sealed).
 *
 * Ops from other nodes are merged with vios_crdt_apply: a column holds the
 * value of the op with the greatest (hlc, node id); a tombstone is final;
 * applying the same ops again, in any order or batching, changes nothing.
 * Concurrent writes that lost are kept as conflicts (vios_crdt_conflicts).
 *
 * Invariants: the persisted clock is greater than or equal to the clock of
 * every op the store holds, so a local write always wins over what this node
 * has seen; nodes holding the same set of ops have the same digest.
 *
 * Strings in the structs below are owned by the struct (malloc'd);
 * _dispose frees what is inside a caller's struct, _free what the library
 * allocated. Library functions return 0 or a negative VIOS_E* code and
 * record one line with vios_error_set; no message carries record content.
 */
#ifndef VIOS_CRDT_H
#define VIOS_CRDT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- capture ------------------------------------------------------------
 * The store knows nothing of ops: capture is hooks this layer registers on
 * a store (vios_store_set_capture). Every store whose records are written
 * with vios_store_tx_begin needs them; the store refuses a captured
 * transaction without.
 */

/* Registers change capture on st (again: a no-op). Not inside a
 * transaction. 0, or VIOS_ERROR (no memory). */
int vios_crdt_attach(vios_store *st);
/*
 * Capture without the mandate's judgement of this node's own writes
 * (crdt/mandate.h): for tests of the merge engine alone, which need ops of
 * several nodes on one row. No vios command uses it.
 */
int vios_crdt_attach_unjudged(vios_store *st);

/* vios_store_open / vios_store_open_temp with capture attached: *out is
 * the caller's (vios_store_free), NULL on failure. Same errors. */
int vios_crdt_store_open(vios_store **out, const vios_node *node);
int vios_crdt_store_open_temp(vios_store **out, const vios_node *node, const char *dir);

/* ---- hybrid logical clock ------------------------------------------------
 * A clock is 48 bits of Unix milliseconds shifted left by 16, or'ed with a
 * 16-bit counter; clocks compare as integers. A counter that would overflow
 * carries into the milliseconds, so the clock never stops increasing.
 */
#define VIOS_HLC_MS(h) ((uint64_t)(h) >> 16)
#define VIOS_HLC_COUNTER(h) ((uint16_t)((h) & 0xffff))
#define VIOS_HLC_MAKE(ms, counter) (((uint64_t)(ms) << 16) | (uint16_t)(counter))
/* Clocks accepted from elsewhere lie in [1, VIOS_HLC_MAX] (year 4000+). */
#define VIOS_HLC_MAX ((UINT64_C(1) << 62) - 1)
/* A remote clock more than this ahead of the local time is flagged. */
#define VIOS_HLC_FUTURE_MS (UINT64_C(24) * 3600 * 1000)

/* The clock after a local event: max(local + 1, now). Pure. */
uint64_t vios_hlc_next(uint64_t local, uint64_t now_ms);
/* The clock after receiving `remote`: max(local + 1, remote + 1, now). Pure. */
uint64_t vios_hlc_recv(uint64_t local, uint64_t remote, uint64_t now_ms);
/* 1 when remote is more than VIOS_HLC_FUTURE_MS ahead of now_ms. */
int vios_hlc_is_future(uint64_t remote, uint64_t now_ms);
/* The clock's time as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC). */
void vios_hlc_iso(char out[25], uint64_t hlc);

/* The store's clock, without advancing it. */
int vios_crdt_clock_get(uint64_t *out, vios_store *st);
/* Advances the store's clock for a local event and returns the new value
 * (e.g. a bundle's "created" clock). Use inside the caller's transaction. */
int vios_crdt_clock_tick(uint64_t *out, vios_store *st);
/* Advances the store's clock on receiving `remote` (e.g. a bundle header's
 * clock); *future is set to 1 when remote is over 24 h ahead of this node's
 * time (accepted all the same). VIOS_ECORRUPT when remote is 0 or above
 * VIOS_HLC_MAX. out and future may be NULL. */
int vios_crdt_clock_receive(uint64_t *out, int *future, vios_store *st, uint64_t remote);

/* ---- values and ops ------------------------------------------------------ */

typedef enum {
	VIOS_VAL_NULL = 0,
	VIOS_VAL_INT = 1,
	VIOS_VAL_REAL = 2,
	VIOS_VAL_TEXT = 3,
	VIOS_VAL_BLOB = 4
} vios_crdt_type;

/* A column value. text.p is NUL-terminated (len excludes the NUL). */
typedef struct {
	vios_crdt_type type;
	union {
		int64_t i;
		double d;
		struct {
			char *p;
			size_t len;
		} text;
		struct {
			uint8_t *p;
			size_t len;
		} blob;
	} u;
} vios_crdt_value;

typedef enum {
	VIOS_OP_SET = 1,   /* (hlc, node, tbl, pk, col, value, base) */
	VIOS_OP_DELETE = 2 /* (hlc, node, tbl, pk): the row's tombstone */
} vios_crdt_kind;

typedef struct {
	vios_crdt_kind kind;
	uint64_t hlc;          /* the writing transaction's clock */
	char *node;            /* the writer's node id (UUID) */
	char *tbl;             /* a synced table */
	char *pk;              /* the row's id (UUID) */
	char *col;             /* SET: a column other than id; DELETE: NULL */
	vios_crdt_value value; /* SET: the new value; DELETE: NULL */
	uint64_t base_hlc;     /* SET: clock of the value it replaced, 0 if none */
	char *base_node;       /* SET: its node; NULL when base_hlc is 0 */
} vios_crdt_op;

/*
 * Binds v to parameter idx of pStmt (the value is not copied: v must
 * outlive the statement's next step). Returns SQLite's result code.
 */
int vios_crdt_value_bind(sqlite3_stmt *pStmt, int idx, const vios_crdt_value *v);
/* Frees what is inside v / op and zeroes it. NULL-safe. */
void vios_crdt_value_dispose(vios_crdt_value *v);
void vios_crdt_op_dispose(vios_crdt_op *op);
/* Deep copies (out is overwritten, not disposed). 0 or VIOS_ERROR. */
int vios_crdt_value_copy(vios_crdt_value *out, const vios_crdt_value *v);
int vios_crdt_op_copy(vios_crdt_op *out, const vios_crdt_op *op);
/* Disposes n ops and frees the array. NULL-safe. */
void vios_crdt_ops_free(vios_crdt_op *ops, size_t n);

/*
 * Checks one op strictly: known table and column, UUID-shaped pk and node,
 * clocks in range (base older than the op), a value type the column takes
 * (NULL, or INT for the flag columns and TEXT, valid UTF-8 without NUL, for
 * the others), and nothing set that the kind does not use. 0, or
 * VIOS_ECORRUPT with a one-line message saying which rule failed.
 */
int vios_crdt_op_validate(const vios_crdt_op *op);

/* ---- the synced tables --------------------------------------------------- */

/* At least the number of synced tables. */
#define VIOS_CRDT_TABLES_MAX 8

/* The synced tables in digest order, NULL-terminated. */
const char *const *vios_crdt_tables(void);
/* A synced table's columns other than id in schema (= digest) order,
 * NULL-terminated; NULL for a table that is not synced. */
const char *const *vios_crdt_columns(const char *tbl);

/* ---- categories (docs/architecture.md, "Sharing") ------------------------- */

typedef enum {
	VIOS_CAT_NONE = 0,
	VIOS_CAT_THEME = 1,
	VIOS_CAT_CASE = 2
} vios_crdt_category;

/* Role bits (VIOS_ROLE_SCHOOL, ...): one per role at the table, the bit
 * of its index in node/vocab.h. */

/* "theme", "case" (NULL for VIOS_CAT_NONE). */
const char *vios_crdt_category_name(vios_crdt_category cat);
/* The role's bit, 0 for anything that is not a role at the table
 * (vios_role_bit). */
uint32_t vios_crdt_role_bit(const char *role);
/* The role's name for a single bit, NULL otherwise. */
const char *vios_crdt_role_name(uint32_t bit);
/* The roles of a mask as "school,police" (role order); "" for none. */
int vios_crdt_roles_format(char *buf, size_t len, uint32_t roles);

/*
 * The category of a row, and for case rows the roles taking part (the
 * union of case_file.roles of the cases the row belongs to; see README.md).
 * theme: trend; a thematic, steering or evaluation meeting; a signal known
 * to have no pupil; an agreement on such a meeting. Everything else is case,
 * including a row this node holds too little of to tell (the safe side).
 * For a deleted row, the category and roles it had when this node deleted
 * it. roles may be NULL. VIOS_ENOTFOUND when the row is neither held nor
 * known deleted; VIOS_EUSAGE for a table that is not synced.
 */
int vios_crdt_row_category(vios_crdt_category *cat, uint32_t *roles, vios_store *st,
			   const char *tbl, const char *pk);

/* ---- pending ops (for the exporter) -------------------------------------- */

/*
 * The nodes that own a row: the node that made it and the node that made
 * each record it belongs to (a case's maker for its agreements and
 * meetings, a pupil's for its signals, a meeting's for agreements on it),
 * each once. They receive every change of the row, whoever makes it.
 */
#define VIOS_CRDT_OWNERS_MAX 3
typedef struct {
	unsigned char n;
	char id[][37];
} vios_crdt_owners;

/* 1 when node is among o's owners (o may be NULL: nobody). */
int vios_crdt_owns(const vios_crdt_owners *o, const char *node);
/* 1 when a and b (either may be NULL: nobody) name the same owners. */
int vios_crdt_owners_same(const vios_crdt_owners *a, const vios_crdt_owners *b);

typedef struct {
	int64_t seq;                 /* its change: the ops one transaction made to one row
					share it; changes strictly increase */
	vios_crdt_op op;
	vios_crdt_category category; /* with VIOS_PENDING_CLASSIFY, else NONE */
	uint32_t roles;              /* with VIOS_PENDING_CLASSIFY: case rows' roles */
	const vios_crdt_owners *owners; /* with VIOS_PENDING_CLASSIFY: its row's owners, shared by
					   the change's ops (NULL: nobody, as for a deleted row) */
	int borrowed;                /* op.node, tbl, pk and col are not the op's own but the
					listing's (block, or static): vios_crdt_pending_free knows */
	void *block;                 /* memory of the listing, on one of its ops; NULL elsewhere */
} vios_crdt_pending_op;

#define VIOS_PENDING_CLASSIFY 1u

/*
 * This node's ops not sealed yet with seq > after_seq, oldest first, the ops
 * of at most max changes (0 = all; a change's ops come whole), into an
 * array from vios_bulk_alloc (util/bulk.h; *out NULL when none). With
 * VIOS_PENDING_CLASSIFY each carries its row's category and roles as
 * vios_crdt_row_category gives them now, and its row's owners, read with
 * them. Free with vios_crdt_pending_free, which takes only such an array
 * (an array of pending ops made elsewhere comes from vios_bulk_alloc too).
 */
int vios_crdt_pending(vios_crdt_pending_op **out, size_t *n, vios_store *st,
		      int64_t after_seq, size_t max, unsigned flags);
void vios_crdt_pending_free(vios_crdt_pending_op *ops, size_t n);
/* The number of ops not sealed yet (of every change). */
int vios_crdt_pending_count(size_t *out, vios_store *st);
/*
 * Marks every pending op with seq <= up_to_seq as sealed in bundle_ref (a
 * short text naming the bundle, e.g. "seq 12"); they are pending no more.
 * Must run inside the exporter's open write transaction (VIOS_ERROR
 * otherwise), so the mark and the bundle commit together.
 */
int vios_crdt_mark_sealed(vios_store *st, int64_t up_to_seq, const char *bundle_ref);
/* The same for the ops of the one change seq (the exporter holding others back). */
int vios_crdt_mark_sealed_one(vios_store *st, int64_t seq, const char *bundle_ref);

/* ---- forwarding a row's state (for the exporter) -------------------------- */

/*
 * The state of row (tbl, pk) as this node holds it, as SET ops: one per
 * column that has a clock here (crdt_cell, or crdt_row for a plain cell), in column order (origin first,
 * so the op that makes the row comes first), or only column col when col
 * is not NULL. Each op carries the value the row holds and the clock of
 * that value: the hlc and node of the op that wrote it - the original
 * writer's, which may be another node than this one (a "forwarded op") -
 * and that op's base as the cell's history keeps it (0 and NULL when it is
 * not kept), so a forwarded op is the very op the writer made and every
 * node holding it agrees on its conflicts. A column holding a value but
 * no clock (a row written outside capture) gives no op; *unclocked counts
 * them (may be NULL). *out is malloc'd (NULL when no op), free with
 * vios_crdt_ops_free. VIOS_ENOTFOUND when the row is not held; VIOS_EUSAGE
 * for a table that is not synced or a column it does not have.
 */
int vios_crdt_row_state(vios_crdt_op **out, size_t *n, size_t *unclocked, vios_store *st, const char *tbl,
			const char *pk, const char *col);

/* ---- merge --------------------------------------------------------------- */

typedef struct {
	size_t applied;    /* ops that changed what this node holds */
	size_t duplicates; /* ops held already */
	size_t ignored;    /* sets on rows deleted for good */
	size_t future;     /* ops whose clock is over 24 h ahead of this node */
	uint64_t max_hlc;  /* the greatest op clock of the batch */
	uint64_t clock;    /* this node's clock afterwards */
} vios_crdt_report;

/*
 * Merges ops from other nodes in one transaction, with capture off: every
 * op is validated first (vios_crdt_op_validate; with sender non-NULL every
 * op must also be by that node), then the clock receives the batch's
 * greatest clock, then each op is merged. Any failure, including a value a
 * table's CHECK refuses (VIOS_ECORRUPT, "op N: ..."), leaves nothing
 * applied. Runs its own transaction, or, when the caller has one open with
 * vios_store_tx_begin_uncaptured, a savepoint inside it (the importer's
 * bookkeeping and the merge then commit together). out may be NULL.
 */
int vios_crdt_apply(vios_crdt_report *out, vios_store *st, const vios_crdt_op *ops, size_t n,
		    const char *sender);

/*
 * The concurrent writes that lost, as a JSON array of objects ordered by
 * table, record, column and clock: table, record, column, value (the losing
 * value: null, integer, real or string; a blob as hex), hlc, node, at (the
 * losing write's time), winner_hlc, winner_node, winner_at, recorded_at
 * (when this node first saw the conflict).
 */
int vios_crdt_conflicts(json_t **out, vios_store *st);

/* ---- erasure and retention (erase.c, docs/lifecycle.md) ------------------ */

/* Rows deleted, per synced table in digest order (vios_crdt_tables). */
typedef struct {
	size_t n[VIOS_CRDT_TABLES_MAX];
	size_t total;
	/* the truncating WAL checkpoint after the deletes found another process
	 * reading the store: pages as they were stay in the WAL until SQLite's
	 * next checkpoint (the deletes stand) */
	int wal_busy;
} vios_crdt_erased;

/*
 * Erases pupil_id and everything about it (docs/lifecycle.md, "Erasure"),
 * in one transaction: the rows this node owns are deleted captured (their
 * tombstones, ids only, go to every node that received them; the mandate
 * judges them), the rest of the pupil's signals, cases and their meetings
 * and agreements are deleted locally by the cascade; the access log gets
 * one 'erase' entry with reason. Then the WAL is checkpointed (TRUNCATE),
 * so no WAL frame keeps a freed page. Only the node that made the pupil
 * (its origin) erases it: VIOS_EDENIED otherwise; VIOS_ENOTFOUND when the
 * pupil is not held; VIOS_EUSAGE for an empty reason. out may be NULL.
 */
int vios_crdt_erase_pupil(vios_crdt_erased *out, vios_store *st, const char *pupil_id, const char *reason);

/*
 * The retention rules (docs/lifecycle.md, "Retention") with theme_months
 * and case_months, on every row this node holds, as of vios_now(): local
 * deletes (never sent), then the cascade, each erased row logged
 * ('erase', why "retention: N months after ..."), in one transaction;
 * the WAL is checkpointed when anything was erased. Months 1 to 1200.
 */
int vios_crdt_retention(vios_crdt_erased *out, vios_store *st, long long theme_months, long long case_months);

/* Runs the cascade on its own (in its own transaction): rows referring to
 * a deleted pupil, case or meeting are deleted locally. out may be NULL. */
int vios_crdt_cascade(vios_crdt_erased *out, vios_store *st);

/* ---- digest -------------------------------------------------------------- */

/*
 * BLAKE2b-256 of the synced state in canonical form, as 64 lowercase hex
 * digits: category NULL = every live row and every tombstone; "theme" or
 * "case" = the live rows of that category. VIOS_EUSAGE for another
 * category. Nodes holding the same ops have the same digests.
 */
int vios_crdt_digest(char hex[65], vios_store *st, const char *category);

#endif
