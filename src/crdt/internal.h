/*
 * internal.h - what the files of src/crdt share: the synced tables'
 * descriptions, value helpers, a statement cache, and the merge steps used
 * by both capture (local ops) and apply (remote ops). Not for other layers.
 */
#ifndef VIOS_CRDT_INTERNAL_H
#define VIOS_CRDT_INTERNAL_H

#include "crdt/crdt.h"

#include <sqlite3.h>

#define CRDT_NTABLES 8
#define CRDT_MAXCOL 24 /* columns of a synced table, id included */

typedef struct {
	const char *name;
	vios_crdt_type type; /* VIOS_VAL_TEXT or VIOS_VAL_INT (NULL always allowed) */
} crdt_col;

/*
 * A synced table: cols[0] is always "id" (the primary key, never set by an
 * op). theme_sql is an SQL expression over a row aliased `r`, true when the
 * row is in the theme category; roles_sql gives the comma-separated roles
 * taking part in a case row (NULL for none). Both are used by the digest,
 * row categories and tombstone snapshots alike, so they cannot disagree.
 * owners_sql: the row's owners (vios_crdt_owners), one expression each
 * over the same `r`, NULL-terminated; none for a table whose rows nobody
 * owns beyond their sender.
 */
typedef struct {
	const char *name;
	const crdt_col *cols;
	int ncol;
	const char *theme_sql;
	const char *roles_sql;
	const char *const *names; /* cols[1..] names, NULL-terminated */
	const char *owners_sql[VIOS_CRDT_OWNERS_MAX + 1];
} crdt_table;

extern const crdt_table crdt_tables[CRDT_NTABLES];

/* The table's index in crdt_tables (digest order), or -1. */
int crdt_table_index(const char *name);
/* The column's index in t->cols (>= 1 for an op's column), or -1. */
int crdt_col_index(const crdt_table *t, const char *col);

/* ---- values ---- */

/* Copies an SQLite value into a vios value. 0 or VIOS_ERROR (no memory). */
int crdt_value_from_sqlite(vios_crdt_value *out, sqlite3_value *v);
/* Binds v to parameter idx; v must outlive the statement's next step. */
int crdt_value_bind(sqlite3_stmt *pStmt, int idx, const vios_crdt_value *v);
/* Orders values by type, then content; 0 when equal. */
int crdt_value_cmp(const vios_crdt_value *a, const vios_crdt_value *b);
/* 1 when s[0..len) is valid UTF-8 (shortest forms, no surrogates). */
int crdt_utf8_valid(const char *s, size_t len);
/* (hlc, node) order: <0, 0, >0. node may be NULL (sorts first). */
int crdt_clock_cmp(uint64_t ha, const char *na, uint64_t hb, const char *nb);

/* The rule op breaks, written to why (no record content); 0 when none. */
int crdt_op_check(const vios_crdt_op *op, char *why, size_t len);

/* ---- prepared statements, reused within one capture or apply ---- */

enum {
	Q_ROW_STATE,
	Q_ROW_PUT,
	Q_PURGE_ROW,
	Q_CELL_SET,
	Q_HIST_GET,
	Q_HIST_ADD,
	Q_HIST_SUPERSEDE,
	Q_HIST_BASED_ON,
	Q_HIST_SETVAL,
	Q_CONF_DROP,
	Q_CONF_UPSERT,
	Q_TOMB_RAISE,
	Q_TOMB_ADD,
	Q_TOMB_LIFT,
	Q_PURGE_CELL,
	Q_PURGE_HIST,
	Q_PURGE_CONF,
	Q_PURGE_PENDING,
	Q_PENDING_ADD,
	Q_GRANT_ADD,
	Q_PURGE_GRANT,
	Q_FINAL_ADD,
	Q_FINAL_GET,
	Q_PURGE_FINAL,
	Q_REF_ADD,
	Q_PURGE_REF,
	Q_PURGE_PENDING_LOCAL,
	Q_PENDING_RECOUNT,
	Q_PENDING_DROP_EMPTY,
	Q_PURGE_SEALED,
	Q_COUNT
};

/*
 * The merge state of one row, read once for a run of ops on it (ops of a row
 * come in runs): its tombstone, its plain cells (crdt_row, schema/0017) and
 * the clocks of its ordinary cells (crdt_cell). Changes to the plain cells
 * are written back when the next row is read or by crdt_ctx_flush; the rest
 * is written at once.
 */
typedef struct {
	int t;             /* -1: nothing read */
	char pk[64];
	int tomb;          /* the row has a tombstone */
	uint64_t tomb_hlc;
	char tomb_node[37];
	int held;          /* crdt_row has a row for it */
	int dirty;         /* hlc, node or plain differ from crdt_row */
	uint64_t hlc;      /* the plain cells' clock */
	char node[37];
	uint64_t plain;    /* bit c: column c is plain */
	uint64_t general;  /* bit c: column c has a crdt_cell row, clock below */
	uint64_t ghlc[CRDT_MAXCOL];
	char gnode[CRDT_MAXCOL][37];
	/* bit c: the row is to hold *sval[c] (a merged plain cell), written in
	 * one statement with the others; the values are the merged ops' own */
	uint64_t staged;
	const vios_crdt_value *sval[CRDT_MAXCOL];
	size_t sop[CRDT_MAXCOL]; /* the op_index of each (for messages) */
} crdt_rowstate;

typedef struct {
	vios_store *st;
	crdt_rowstate row;
	sqlite3_stmt *q[Q_COUNT];
	sqlite3_stmt *upd[CRDT_NTABLES][CRDT_MAXCOL]; /* UPDATE t SET c = ? WHERE id = ? */
	sqlite3_stmt *ins[CRDT_NTABLES][CRDT_MAXCOL]; /* INSERT INTO t(id, c) VALUES (?, ?) */
	sqlite3_stmt *del[CRDT_NTABLES];              /* DELETE FROM t WHERE id = ? */
	sqlite3_stmt *sel[CRDT_NTABLES][CRDT_MAXCOL]; /* SELECT c FROM t WHERE id = ? */
	sqlite3_stmt *ups[CRDT_NTABLES];              /* the staged columns' upsert, */
	uint64_t ups_cols[CRDT_NTABLES];              /* for these columns */
	char now[21];                                 /* recorded_at for new conflicts */
	size_t op_index;                              /* the op being merged (for messages) */
	size_t failed_op;                             /* the op a flush failed on */
} crdt_ctx;

void crdt_ctx_init(crdt_ctx *cx, vios_store *st);
/* Writes the plain cells' changes of the row read last, its clocks and the
 * values staged for it (merge.c); every run of crdt_merge_set calls on one
 * row ends with it (reading another row does it too), before anything else
 * reads that row or crdt_row. 0 or an error. */
int crdt_ctx_flush(crdt_ctx *cx);
/* Frees the statements; unflushed changes are dropped (an error path). */
void crdt_ctx_dispose(crdt_ctx *cx);
/* The cached statement `id`, reset and unbound; NULL with an error set. */
sqlite3_stmt *crdt_q(crdt_ctx *cx, int id);

/* ---- merge steps (merge.c) ---- */

/* The clock the cell holds (found = 0 when none). *node points into a
 * buffer of 37 bytes the caller gives. */
int crdt_cell_get(crdt_ctx *cx, const char *tbl, const char *pk, const char *col,
		  int *found, uint64_t *hlc, char node[37]);
/* The same by table and column index (c >= 1): *node points into the
 * row's state, valid until another row is read ("" when found = 0). */
int crdt_cell_clock(crdt_ctx *cx, int t, int c, const char *pk, int *found, uint64_t *hlc, const char **node);
/* found = 1 when (tbl, pk) has a tombstone. */
int crdt_tomb_get(crdt_ctx *cx, const char *tbl, const char *pk, int *found);

/*
 * Merges one validated set op (local or remote): records it in the cell's
 * history, writes the value into the row when it is the greatest clock
 * (unless to_row is 0: a local op whose value the row holds already),
 * and recomputes the cell's conflicts. Sets on deleted rows are ignored.
 * *effect: 0 duplicate, 1 applied, 2 ignored (deleted row).
 */
int crdt_merge_set(crdt_ctx *cx, const vios_crdt_op *op, int to_row, int *effect);
/*
 * Merges one validated tombstone: deletes the row for good, with its
 * cells, history, conflicts and unsealed pending sets. cat/roles are the
 * snapshot to keep (cat NULL = compute it from the row if held).
 * *effect: 0 duplicate, 1 applied.
 */
int crdt_merge_delete(crdt_ctx *cx, const vios_crdt_op *op, const char *cat, uint32_t roles,
		      int has_snapshot, int *effect);

/* ---- categories (category.c) ---- */

/* The category and roles of a live row (found = 0 when not held). */
int crdt_row_classify(vios_store *st, int t, const char *pk, int *found,
		      vios_crdt_category *cat, uint32_t *roles);
/* The same from a row's values (vals[i] for cols[i], id included), for a
 * row already deleted in the open transaction. */
int crdt_values_classify(vios_store *st, int t, sqlite3_value **vals,
			 vios_crdt_category *cat, uint32_t *roles);
/* Classifies many rows with one prepared statement per table (the export,
 * the import's category check): the same rule as crdt_row_classify. */
typedef struct {
	vios_store *st;
	sqlite3_stmt *q[CRDT_NTABLES];
	sqlite3_stmt *tomb;
} crdt_classifier;

void crdt_classifier_init(crdt_classifier *c, vios_store *st);
void crdt_classifier_dispose(crdt_classifier *c);
/* crdt_row_classify with c's statements. */
int crdt_classifier_row(crdt_classifier *c, int t, const char *pk, int *found, vios_crdt_category *cat,
			uint32_t *roles);
/* vios_crdt_row_category with c's statements. */
int crdt_classifier_category(crdt_classifier *c, vios_crdt_category *cat, uint32_t *roles, const char *tbl,
			     const char *pk);
/* Parses "a,b, c" into role bits (unknown names ignored). */
uint32_t crdt_roles_parse(const char *s);

/* ---- the mandate's view of the store (mandate.c) ---- */

#include "crdt/mandate.h"

typedef struct {
	vios_store *st;
	const vios_mandate *m;
	sqlite3_stmt *origin_q[CRDT_NTABLES];
	sqlite3_stmt *col_q[CRDT_NTABLES][CRDT_MAXCOL]; /* SELECT c FROM t WHERE id = ? */
	sqlite3_stmt *grant_q;
	sqlite3_stmt *tomb_q;
	sqlite3_stmt *final_q;
	sqlite3_stmt *count_q[2]; /* signal_count, school_figure */
	/* the row of the last op judged: ops of one row come in a run */
	int last_t, last_held, last_deleted;
	char last_pk[64], last_origin[37];
	char name_id[37], name[VIOS_NAME_MAX + 1];
} crdt_judge;

void crdt_judge_init(crdt_judge *j, vios_store *st, const vios_mandate *m);
void crdt_judge_dispose(crdt_judge *j);
/* Judges op by w on the store as it is now: *verdict VIOS_MANDATE_*. */
/* 1 when judging op reads its row's column from the store (a set-once
 * column): the merge first writes what the ops before it staged. */
int crdt_judge_reads_row(const vios_crdt_op *op);
int crdt_judge_op(crdt_judge *j, const vios_mandate_writer *w, const vios_crdt_op *op, int *verdict, char *why,
		  size_t len);
/* After a batch is merged: every signal_count row it wrote has the id its
 * (origin, month, theme) derive, every school_figure row the id its
 * (origin, month, figure) derive. VIOS_EDENIED with *bad the first op. */
int crdt_judge_counts(crdt_judge *j, const vios_crdt_op *ops, size_t n, size_t *bad, char *why, size_t len);

/* ---- erasure (erase.c, capture.c) ---- */

/*
 * In the open captured transaction, stops (paused 1) or resumes (0)
 * recording changes: what is written in between is not captured and never
 * leaves the node. VIOS_ERROR when no captured transaction is open.
 */
int crdt_capture_pause(vios_store *st, int paused);
/*
 * Keeps the category and roles row (t, pk) has now, for the tombstone of
 * its deletion later in the open captured transaction (the rows an erasure
 * deletes together must keep the roles that reached them: a pupil's roles
 * come from its cases, deleted with it). The snapshot's roles are added to
 * what the deleted row's values give. VIOS_ERROR when no captured
 * transaction is open.
 */
int crdt_capture_snapshot(vios_store *st, int t, const char *pk, vios_crdt_category cat, uint32_t roles);
/*
 * Deletes (tbl, pk) locally for good: a local tombstone (clock 0, node ""
 * or mark), the row and its cell state, as a merged tombstone does. Nothing
 * is captured. *effect 1 when the row was held or unknown, 0 when it was
 * deleted already.
 *
 * mark CRDT_MARK_RETENTION is retention's delete of a pupil left with
 * nothing: its tombstone makes nothing cascade, and a set that arrives
 * later (a new case about the pupil brought it back to this node) lifts it
 * (merge.c). Any other local tombstone is for good.
 */
#define CRDT_MARK_RETENTION "retention"
int crdt_local_delete(crdt_ctx *cx, const char *tbl, const char *pk, const char *mark, int *effect);
/*
 * The cascade (docs/lifecycle.md): deletes with crdt_local_delete every
 * row whose pupil_id names (now, or ever: crdt_ref) a deleted pupil, whose
 * case_id a deleted case or whose meeting_id a deleted meeting, until none
 * is left. A function of the ops held, whatever their order.
 * counts[t] (may be NULL) grows by the rows of table t deleted.
 */
int crdt_cascade(crdt_ctx *cx, size_t counts[CRDT_NTABLES]);
/* 1 when tbl.col names another row: signal and case_file pupil_id, meeting
 * and agreement case_id, agreement meeting_id. */
int crdt_is_ref(const char *tbl, const char *col);

/* ---- clock (clock.c) ---- */

int crdt_clock_load(sqlite3 *db, uint64_t *out);
int crdt_clock_save(sqlite3 *db, uint64_t v);

#endif
