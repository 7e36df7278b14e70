/*
 * merge.c - the per-column last-writer-wins merge, tombstones, conflicts,
 * and vios_crdt_apply.
 *
 * State kept per cell (table, record, column): the clock of the value the
 * row holds (crdt_cell) and the history of every set op seen for it
 * (crdt_history). The rules, each independent of delivery order:
 *   - the row holds the value of the history's greatest (hlc, node);
 *   - an op is a duplicate when its (hlc, node) is in the history already;
 *     two different values under one clock (a faulty writer) resolve to the
 *     greater value, so even then every node ends up the same;
 *   - an op is superseded once an op whose base clock is its clock is known;
 *     the heads of the history are the ops not superseded; every head other
 *     than the winner is a concurrent write that lost: a conflict. So the
 *     conflict list is a function of the set of ops held, and an op whose
 *     base is missing only until the missing op arrives is no conflict;
 *   - a tombstone deletes the row and all of its cell state for good; sets
 *     that arrive later are ignored;
 *   - closed is final: a case's status cell holds the greatest clock among
 *     its final values (closed, escalated) once it has any, whatever the
 *     clocks of the other values, so no op of any clock reopens a case;
 *   - every role a grant column (case_file.lead_role, agreement.owner_role)
 *     ever named is kept with its smallest clock (crdt_grant): what the
 *     mandate lets that role do holds for its ops with later clocks.
 */
#include "crdt/internal.h"
#include "store/directory.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static int step_done(crdt_ctx *cx, sqlite3_stmt *pStmt, const char *what)
{
	int rc = sqlite3_step(pStmt);
	int error = vios_store_error(cx->st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, what);
	sqlite3_reset(pStmt);
	return error;
}

static void bind_cell(sqlite3_stmt *pStmt, const char *tbl, const char *pk, const char *col)
{
	sqlite3_bind_text(pStmt, 1, tbl, -1, SQLITE_STATIC);
	sqlite3_bind_text(pStmt, 2, pk, -1, SQLITE_STATIC);
	if (col)
		sqlite3_bind_text(pStmt, 3, col, -1, SQLITE_STATIC);
}

static void bind_clock(sqlite3_stmt *pStmt, int idx, uint64_t hlc, const char *node)
{
	sqlite3_bind_int64(pStmt, idx, (sqlite3_int64)hlc);
	sqlite3_bind_text(pStmt, idx + 1, node, -1, SQLITE_STATIC);
}

/* ---- a row's merge state (crdt_rowstate, internal.h) ---------------------- */

static int write_row(crdt_ctx *cx, int t, int c, const char *pk, const vios_crdt_value *v);

/*
 * Writes the values staged for the row read last, in one upsert rather
 * than a statement per column. A value the table's CHECK refuses makes it
 * write them one at a time, so the message names the column.
 */
static int write_staged(crdt_ctx *cx)
{
	crdt_rowstate *r = &cx->row;
	const crdt_table *tb;
	sqlite3_stmt *pStmt;
	int rc, k, error;

	if (r->t < 0 || !r->staged)
		return 0;
	tb = &crdt_tables[r->t];
	if (cx->ups[r->t] == NULL || cx->ups_cols[r->t] != r->staged) {
		sqlite3_str *q = sqlite3_str_new(cx->st->db);
		const char *sep = "";
		char *zSql;
		sqlite3_finalize(cx->ups[r->t]);
		cx->ups[r->t] = NULL;
		sqlite3_str_appendf(q, "INSERT INTO %s(id", tb->name);
		for (int c = 1; c < tb->ncol; c++)
			if (r->staged & (1ull << c))
				sqlite3_str_appendf(q, ", %s", tb->cols[c].name);
		sqlite3_str_appendall(q, ") VALUES (?1");
		k = 2;
		for (int c = 1; c < tb->ncol; c++)
			if (r->staged & (1ull << c))
				sqlite3_str_appendf(q, ", ?%d", k++);
		sqlite3_str_appendall(q, ") ON CONFLICT(id) DO UPDATE SET ");
		for (int c = 1; c < tb->ncol; c++)
			if (r->staged & (1ull << c)) {
				sqlite3_str_appendf(q, "%s%s = excluded.%s", sep, tb->cols[c].name, tb->cols[c].name);
				sep = ", ";
			}
		if ((zSql = sqlite3_str_finish(q)) == NULL)
			return vios_error_nomem();
		rc = sqlite3_prepare_v3(cx->st->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &cx->ups[r->t], NULL);
		sqlite3_free(zSql);
		if (rc != SQLITE_OK)
			return vios_store_error(cx->st->db, rc, "preparing the merge");
		cx->ups_cols[r->t] = r->staged;
	}
	pStmt = cx->ups[r->t];
	sqlite3_reset(pStmt);
	sqlite3_bind_text(pStmt, 1, r->pk, -1, SQLITE_STATIC);
	k = 2;
	for (int c = 1; c < tb->ncol; c++)
		if (r->staged & (1ull << c))
			crdt_value_bind(pStmt, k++, r->sval[c]);
	rc = sqlite3_step(pStmt);
	sqlite3_reset(pStmt);
	sqlite3_clear_bindings(pStmt);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		for (int c = 1; c < tb->ncol; c++)
			if ((r->staged & (1ull << c)) && (error = write_row(cx, r->t, c, r->pk, r->sval[c])) < 0) {
				cx->failed_op = r->sop[c];
				return error;
			}
	} else if ((error = vios_store_error(cx->st->db, rc, "merging a change")) < 0) {
		cx->failed_op = cx->op_index;
		return error;
	}
	r->staged = 0;
	return 0;
}

int crdt_ctx_flush(crdt_ctx *cx)
{
	crdt_rowstate *r = &cx->row;
	sqlite3_stmt *pStmt;
	const char *tbl;
	int error;

	assert(cx != NULL);
	if ((error = write_staged(cx)) < 0)
		return error;
	if (r->t < 0 || !r->dirty)
		return 0;
	tbl = crdt_tables[r->t].name;
	if (r->plain == 0 && !r->held) {
		r->dirty = 0;
		return 0;
	}
	if ((pStmt = crdt_q(cx, r->plain ? Q_ROW_PUT : Q_PURGE_ROW)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, tbl, r->pk, NULL);
	if (r->plain) {
		bind_clock(pStmt, 3, r->hlc, r->node);
		sqlite3_bind_int64(pStmt, 5, (sqlite3_int64)r->plain);
	}
	if ((error = step_done(cx, pStmt, "recording a row's clocks")) < 0)
		return error;
	r->held = r->plain != 0;
	r->dirty = 0;
	return 0;
}

/* Forgets the row read last without writing it (the row was deleted, or
 * its tombstone changed). */
static void row_forget(crdt_ctx *cx, int t, const char *pk)
{
	if (cx->row.t == t && !strcmp(cx->row.pk, pk)) {
		cx->row.t = -1;
		cx->row.staged = 0;
	}
}

/* node into a clock's node field, cut as snprintf would (it ran for every
 * cell of every row an export reads: a hundredth of a first export) */
static void node_put(char out[37], const char *node)
{
	size_t len = strnlen(node, 36);

	memcpy(out, node, len);
	out[len] = 0;
}

/* Reads the merge state of (t, pk) into cx->row, writing the previous
 * row's first. */
static int row_load(crdt_ctx *cx, int t, const char *pk)
{
	crdt_rowstate *r = &cx->row;
	const char *tbl = crdt_tables[t].name;
	sqlite3_stmt *pStmt;
	int rc, error;

	if (r->t == t && !strcmp(r->pk, pk))
		return 0;
	if ((error = crdt_ctx_flush(cx)) < 0)
		return error;
	r->t = -1;
	if (strlen(pk) >= sizeof(r->pk)) {
		vios_error_set(VIOS_ERR_INPUT, "%s: a record id is too long", tbl);
		return VIOS_ECORRUPT;
	}
	memset(r, 0, sizeof(*r));
	if ((pStmt = crdt_q(cx, Q_ROW_STATE)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, tbl, pk, NULL);
	while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		uint64_t hlc = (uint64_t)sqlite3_column_int64(pStmt, 1);
		const char *node = (const char *)sqlite3_column_text(pStmt, 2) ?: "";
		int c;
		switch (sqlite3_column_int(pStmt, 0)) {
		case 0:
			r->tomb = 1;
			r->tomb_hlc = hlc;
			node_put(r->tomb_node, node);
			break;
		case 1:
			r->held = 1;
			r->hlc = hlc;
			node_put(r->node, node);
			r->plain = (uint64_t)sqlite3_column_int64(pStmt, 3);
			break;
		default:
			c = crdt_col_index(&crdt_tables[t], (const char *)sqlite3_column_text(pStmt, 3));
			if (c < 1)
				break; /* a column the schema lost */
			r->general |= 1ull << c;
			r->ghlc[c] = hlc;
			node_put(r->gnode[c], node);
		}
	}
	sqlite3_reset(pStmt);
	if ((error = vios_store_error(cx->st->db, rc, "reading a row's clocks")) < 0)
		return error;
	/* a column is plain or ordinary, never both */
	r->plain &= ~r->general;
	r->t = t;
	snprintf(r->pk, sizeof(r->pk), "%s", pk);
	return 0;
}

int crdt_cell_clock(crdt_ctx *cx, int t, int c, const char *pk, int *found, uint64_t *hlc, const char **node)
{
	const crdt_rowstate *r = &cx->row;
	int error;

	assert(cx != NULL && t >= 0 && t < CRDT_NTABLES && c >= 1 && c < crdt_tables[t].ncol && pk != NULL);
	*found = 0;
	*hlc = 0;
	*node = "";
	if ((error = row_load(cx, t, pk)) < 0)
		return error;
	if (r->general & (1ull << c)) {
		*found = 1;
		*hlc = r->ghlc[c];
		*node = r->gnode[c];
	} else if (r->plain & (1ull << c)) {
		*found = 1;
		*hlc = r->hlc;
		*node = r->node;
	}
	return 0;
}

int crdt_cell_get(crdt_ctx *cx, const char *tbl, const char *pk, const char *col,
		  int *found, uint64_t *hlc, char node[37])
{
	int t = crdt_table_index(tbl), c, error;
	const char *n;

	assert(cx != NULL && tbl != NULL && pk != NULL && col != NULL);
	*found = 0;
	*hlc = 0;
	node[0] = 0;
	if (t < 0 || (c = crdt_col_index(&crdt_tables[t], col)) < 1)
		return 0;
	if ((error = crdt_cell_clock(cx, t, c, pk, found, hlc, &n)) < 0)
		return error;
	memcpy(node, n, strnlen(n, 36));
	node[strnlen(n, 36)] = 0;
	return 0;
}

static int tomb_get(crdt_ctx *cx, const char *tbl, const char *pk, int *found, uint64_t *hlc, char node[37])
{
	int t = crdt_table_index(tbl), error;

	*found = 0;
	assert(t >= 0);
	if ((error = row_load(cx, t, pk)) < 0)
		return error;
	*found = cx->row.tomb;
	if (hlc)
		*hlc = cx->row.tomb_hlc;
	if (node)
		snprintf(node, 37, "%s", cx->row.tomb_node);
	return 0;
}

int crdt_tomb_get(crdt_ctx *cx, const char *tbl, const char *pk, int *found)
{
	assert(cx != NULL && tbl != NULL && pk != NULL && found != NULL);

	return tomb_get(cx, tbl, pk, found, NULL, NULL);
}

/* The value column c of row pk holds now (the value of a plain cell). */
static int row_value(crdt_ctx *cx, int t, int c, const char *pk, vios_crdt_value *out)
{
	sqlite3_stmt *pStmt;
	char zSql[128];
	int rc, error = 0;

	memset(out, 0, sizeof(*out));
	out->type = VIOS_VAL_NULL;
	if (cx->sel[t][c] == NULL) {
		snprintf(zSql, sizeof(zSql), "SELECT %s FROM %s WHERE id = ?1", crdt_tables[t].cols[c].name,
			 crdt_tables[t].name);
		rc = sqlite3_prepare_v3(cx->st->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &cx->sel[t][c], NULL);
		if (rc != SQLITE_OK)
			return vios_store_error(cx->st->db, rc, "preparing the merge");
	}
	pStmt = cx->sel[t][c];
	sqlite3_reset(pStmt);
	sqlite3_bind_text(pStmt, 1, pk, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		error = crdt_value_from_sqlite(out, sqlite3_column_value(pStmt, 0));
		rc = SQLITE_DONE;
	}
	sqlite3_reset(pStmt);
	return error < 0 ? error : vios_store_error(cx->st->db, rc, "reading a merged row");
}

/* Records the clock of column c's value (crdt_cell), making the cell
 * ordinary first when it was plain. */
static int materialize(crdt_ctx *cx, int t, int c, const char *pk);

static int cell_set(crdt_ctx *cx, int t, int c, const char *pk, uint64_t hlc, const char *node)
{
	crdt_rowstate *r = &cx->row;
	sqlite3_stmt *pStmt;
	int error;

	if ((error = row_load(cx, t, pk)) < 0 || ((r->plain & (1ull << c)) && (error = materialize(cx, t, c, pk)) < 0))
		return error;
	if ((pStmt = crdt_q(cx, Q_CELL_SET)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, crdt_tables[t].name, pk, crdt_tables[t].cols[c].name);
	bind_clock(pStmt, 4, hlc, node);
	if ((error = step_done(cx, pStmt, "recording a cell's clock")) < 0)
		return error;
	r->general |= 1ull << c;
	r->ghlc[c] = hlc;
	snprintf(r->gnode[c], sizeof(r->gnode[c]), "%s", node);
	return 0;
}

/*
 * Makes plain column c of the row read last ordinary: its one op goes into
 * crdt_history (base 0, not superseded, the value the row holds) and its
 * clock into crdt_cell, as if it had been merged the ordinary way.
 */
static int materialize(crdt_ctx *cx, int t, int c, const char *pk)
{
	crdt_rowstate *r = &cx->row;
	vios_crdt_value v;
	sqlite3_stmt *pStmt;
	int error;

	assert(r->t == t && (r->plain & (1ull << c)));
	if ((error = row_value(cx, t, c, pk, &v)) < 0)
		return error;
	if ((pStmt = crdt_q(cx, Q_HIST_ADD)) == NULL) {
		vios_crdt_value_dispose(&v);
		return VIOS_ERROR;
	}
	bind_cell(pStmt, crdt_tables[t].name, pk, crdt_tables[t].cols[c].name);
	bind_clock(pStmt, 4, r->hlc, r->node);
	sqlite3_bind_int64(pStmt, 6, 0);
	sqlite3_bind_int(pStmt, 8, 0);
	crdt_value_bind(pStmt, 9, &v);
	error = step_done(cx, pStmt, "recording a change");
	vios_crdt_value_dispose(&v);
	if (error < 0)
		return error;
	r->plain &= ~(1ull << c);
	r->dirty = 1;
	return cell_set(cx, t, c, pk, r->hlc, r->node);
}

/* Writes v into column c of the row, making the row when it is missing. */
static int write_row(crdt_ctx *cx, int t, int c, const char *pk, const vios_crdt_value *v)
{
	const crdt_table *tb = &crdt_tables[t];
	char zSql[160];
	int rc, error;

	if (cx->upd[t][c] == NULL) {
		snprintf(zSql, sizeof(zSql), "UPDATE %s SET %s = ?1 WHERE id = ?2", tb->name, tb->cols[c].name);
		rc = sqlite3_prepare_v3(cx->st->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &cx->upd[t][c], NULL);
		if (rc == SQLITE_OK) {
			snprintf(zSql, sizeof(zSql), "INSERT INTO %s(id, %s) VALUES (?2, ?1)", tb->name, tb->cols[c].name);
			rc = sqlite3_prepare_v3(cx->st->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &cx->ins[t][c], NULL);
		}
		if (rc != SQLITE_OK)
			return vios_store_error(cx->st->db, rc, "preparing the merge");
	}
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *pStmt = pass == 0 ? cx->upd[t][c] : cx->ins[t][c];
		sqlite3_reset(pStmt);
		crdt_value_bind(pStmt, 1, v);
		sqlite3_bind_text(pStmt, 2, pk, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
		sqlite3_reset(pStmt);
		sqlite3_clear_bindings(pStmt);
		if ((rc & 0xff) == SQLITE_CONSTRAINT) {
			vios_error_set(VIOS_ERR_INPUT, "%s.%s: the value breaks the table's check", tb->name,
				       tb->cols[c].name);
			return VIOS_ECORRUPT;
		}
		if ((error = vios_store_error(cx->st->db, rc, "merging a change")) < 0)
			return error;
		if (sqlite3_changes(cx->st->db) > 0)
			return 0;
	}
	vios_error_set(VIOS_ERR_STORE, "%s: a merged row was not written", tb->name);
	return VIOS_ERROR;
}

/* Conflicts of a cell: every head of its history but the winner. */
static int recompute(crdt_ctx *cx, const char *tbl, const char *pk, const char *col,
		     uint64_t whlc, const char *wnode)
{
	sqlite3_stmt *pStmt;
	int error;

	if ((pStmt = crdt_q(cx, Q_CONF_DROP)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, tbl, pk, col);
	bind_clock(pStmt, 4, whlc, wnode);
	if ((error = step_done(cx, pStmt, "recording conflicts")) < 0)
		return error;
	if ((pStmt = crdt_q(cx, Q_CONF_UPSERT)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, tbl, pk, col);
	bind_clock(pStmt, 4, whlc, wnode);
	sqlite3_bind_text(pStmt, 6, cx->now, -1, SQLITE_STATIC);
	return step_done(cx, pStmt, "recording conflicts");
}

/* The same clock again: a duplicate, or a faulty writer's second value.
 * hist is the cell history's row for the op's clock (stepped, not reset). */
static int merge_same_clock(crdt_ctx *cx, int t, int c, const vios_crdt_op *op, sqlite3_stmt *hist,
			    int to_row, int *effect)
{
	vios_crdt_value held;
	sqlite3_stmt *pStmt;
	uint64_t chlc;
	char cnode[37];
	int greater = 0, found, error = 0;

	*effect = 0;
	/* a superseded op's value matters no more */
	if (!sqlite3_column_int(hist, 0) && (error = crdt_value_from_sqlite(&held, sqlite3_column_value(hist, 1))) == 0) {
		greater = crdt_value_cmp(&op->value, &held) > 0;
		vios_crdt_value_dispose(&held);
	}
	sqlite3_reset(hist);
	if (error < 0 || !greater)
		return error;
	if ((pStmt = crdt_q(cx, Q_HIST_SETVAL)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, op->tbl, op->pk, op->col);
	bind_clock(pStmt, 4, op->hlc, op->node);
	crdt_value_bind(pStmt, 6, &op->value);
	if ((error = step_done(cx, pStmt, "merging a change")) < 0 ||
	    (error = crdt_cell_get(cx, op->tbl, op->pk, op->col, &found, &chlc, cnode)) < 0)
		return error;
	if (found && crdt_clock_cmp(chlc, cnode, op->hlc, op->node) == 0 && to_row &&
	    (error = write_row(cx, t, c, op->pk, &op->value)) < 0)
		return error;
	*effect = 1;
	return found ? recompute(cx, op->tbl, op->pk, op->col, chlc, cnode) : 0;
}

/* Keeps the role a grant column names (see the top of this file). */
static int note_grant(crdt_ctx *cx, const vios_crdt_op *op)
{
	sqlite3_stmt *pStmt;

	if (op->value.type != VIOS_VAL_TEXT ||
	    !((!strcmp(op->tbl, "case_file") && !strcmp(op->col, "lead_role")) ||
	      (!strcmp(op->tbl, "agreement") && !strcmp(op->col, "owner_role"))))
		return 0;
	if ((pStmt = crdt_q(cx, Q_GRANT_ADD)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, op->tbl, op->pk, op->col);
	sqlite3_bind_text(pStmt, 4, op->value.u.text.p, -1, SQLITE_STATIC);
	sqlite3_bind_int64(pStmt, 5, (sqlite3_int64)op->hlc);
	return step_done(cx, pStmt, "recording a grant");
}

/* 1 when col of tbl names another row (what the cascade follows). */
int crdt_is_ref(const char *tbl, const char *col)
{
	if (!strcmp(col, "pupil_id"))
		return !strcmp(tbl, "signal") || !strcmp(tbl, "case_file");
	if (!strcmp(col, "case_id"))
		return !strcmp(tbl, "meeting") || !strcmp(tbl, "agreement");
	return !strcmp(col, "meeting_id") && !strcmp(tbl, "agreement");
}

/* Keeps every row a reference column was ever set to, winning or not
 * (crdt_ref, schema/0012): the cascade of an erasure follows them all. */
static int note_ref(crdt_ctx *cx, const vios_crdt_op *op)
{
	sqlite3_stmt *pStmt;

	if (op->value.type != VIOS_VAL_TEXT || !crdt_is_ref(op->tbl, op->col))
		return 0;
	if ((pStmt = crdt_q(cx, Q_REF_ADD)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, op->tbl, op->pk, op->col);
	sqlite3_bind_text(pStmt, 4, op->value.u.text.p, -1, SQLITE_STATIC);
	return step_done(cx, pStmt, "recording a reference");
}

static int is_status(const vios_crdt_op *op)
{
	return !strcmp(op->tbl, "case_file") && !strcmp(op->col, "status");
}

/* Keeps the greatest final status op of a case (see the top of this file). */
static int note_final(crdt_ctx *cx, const vios_crdt_op *op)
{
	sqlite3_stmt *pStmt;

	if (!is_status(op) || op->value.type != VIOS_VAL_TEXT || !vios_case_status_final(op->value.u.text.p))
		return 0;
	if ((pStmt = crdt_q(cx, Q_FINAL_ADD)) == NULL)
		return VIOS_ERROR;
	sqlite3_bind_text(pStmt, 1, op->pk, -1, SQLITE_STATIC);
	bind_clock(pStmt, 2, op->hlc, op->node);
	crdt_value_bind(pStmt, 4, &op->value);
	return step_done(cx, pStmt, "recording a final status");
}

/*
 * Closed is final: once a case has a final status op, the greatest of them
 * holds the status cell and the row, whatever the clocks of the others
 * (local ones included: a reopening written here loses here as well).
 */
static int hold_final(crdt_ctx *cx, const vios_crdt_op *op)
{
	sqlite3_stmt *pStmt = crdt_q(cx, Q_FINAL_GET);
	vios_crdt_value v;
	uint64_t fh, chlc;
	char fnode[37], cnode[37];
	int rc, found, error;

	if (pStmt == NULL || (error = write_staged(cx)) < 0) /* the row first holds what was merged */
		return pStmt == NULL ? VIOS_ERROR : error;
	sqlite3_bind_text(pStmt, 1, op->pk, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(pStmt)) != SQLITE_ROW) {
		sqlite3_reset(pStmt);
		return vios_store_error(cx->st->db, rc, "reading a final status");
	}
	fh = (uint64_t)sqlite3_column_int64(pStmt, 0);
	snprintf(fnode, sizeof(fnode), "%s", (const char *)sqlite3_column_text(pStmt, 1));
	error = crdt_value_from_sqlite(&v, sqlite3_column_value(pStmt, 2));
	sqlite3_reset(pStmt);
	if (error < 0)
		return error;
	if ((error = crdt_cell_get(cx, op->tbl, op->pk, op->col, &found, &chlc, cnode)) == 0 &&
	    (error = write_row(cx, crdt_table_index(op->tbl), crdt_col_index(&crdt_tables[crdt_table_index(op->tbl)], op->col),
			       op->pk, &v)) == 0 &&
	    (!found || crdt_clock_cmp(fh, fnode, chlc, cnode) != 0)) {
		int t = crdt_table_index(op->tbl);
		error = cell_set(cx, t, crdt_col_index(&crdt_tables[t], op->col), op->pk, fh, fnode);
		if (error == 0)
			error = recompute(cx, op->tbl, op->pk, op->col, fh, fnode);
	}
	vios_crdt_value_dispose(&v);
	return error;
}

/*
 * The plain cells (schema/0017): a column no op has reached yet takes an
 * op with base 0 as a plain cell when the row's plain cells have its clock
 * or there are none; the same op again is a duplicate (or, with a greater
 * value, a faulty writer's second value) as merge_same_clock says. Any
 * other op makes a plain cell ordinary first. 0 when merged here (effect
 * set), 1 when the ordinary merge is to follow, or an error.
 */
static int merge_plain(crdt_ctx *cx, int t, int c, const vios_crdt_op *op, int to_row, int *effect)
{
	crdt_rowstate *r = &cx->row;
	uint64_t bit = 1ull << c;
	int error;

	if ((error = row_load(cx, t, op->pk)) < 0)
		return error;
	if (r->general & bit)
		return (error = write_staged(cx)) < 0 ? error : 1;
	if (r->plain & bit) {
		vios_crdt_value held;
		int greater;
		/* what follows reads the row */
		if ((error = write_staged(cx)) < 0)
			return error;
		if (crdt_clock_cmp(op->hlc, op->node, r->hlc, r->node) != 0)
			return (error = materialize(cx, t, c, op->pk)) < 0 ? error : 1;
		if ((error = row_value(cx, t, c, op->pk, &held)) < 0)
			return error;
		greater = crdt_value_cmp(&op->value, &held) > 0;
		vios_crdt_value_dispose(&held);
		*effect = greater;
		return greater && to_row ? write_row(cx, t, c, op->pk, &op->value) : 0;
	}
	if (op->base_hlc != 0 || (r->plain && crdt_clock_cmp(op->hlc, op->node, r->hlc, r->node) != 0))
		return (error = write_staged(cx)) < 0 ? error : 1;
	if (to_row) {
		r->staged |= bit;
		r->sval[c] = &op->value;
		r->sop[c] = cx->op_index;
	}
	if (r->plain == 0) {
		r->hlc = op->hlc;
		snprintf(r->node, sizeof(r->node), "%s", op->node);
	}
	r->plain |= bit;
	r->dirty = 1;
	*effect = 1;
	return 0;
}

/* A status op merged: the final one holds, if the case has one. */
static int status_done(crdt_ctx *cx, const vios_crdt_op *op, int error)
{
	return error == 0 && is_status(op) ? hold_final(cx, op) : error;
}

int crdt_merge_set(crdt_ctx *cx, const vios_crdt_op *op, int to_row, int *effect)
{
	int t = crdt_table_index(op->tbl), c, found, superseded, rc, error;
	sqlite3_stmt *pStmt;
	uint64_t chlc, thlc = 0;
	char cnode[37], tnode[37] = "";

	assert(cx != NULL && op != NULL && effect != NULL);
	assert(op->kind == VIOS_OP_SET);
	*effect = 0;
	c = crdt_col_index(&crdt_tables[t], op->col);
	if ((error = tomb_get(cx, op->tbl, op->pk, &found, &thlc, tnode)) < 0)
		return error;
	if (found && thlc == 0 && !strcmp(tnode, CRDT_MARK_RETENTION)) {
		/* retention's delete of a pupil left with nothing: the row is wanted here again (erase.c) */
		if ((pStmt = crdt_q(cx, Q_TOMB_LIFT)) == NULL)
			return VIOS_ERROR;
		bind_cell(pStmt, op->tbl, op->pk, NULL);
		if ((error = step_done(cx, pStmt, "lifting a retention delete")) < 0)
			return error;
		cx->row.tomb = found = 0;
	}
	if (found) {
		*effect = 2;
		return 0;
	}
	if ((error = note_grant(cx, op)) < 0 || (error = note_final(cx, op)) < 0 || (error = note_ref(cx, op)) < 0)
		return error;
	if ((error = merge_plain(cx, t, c, op, to_row, effect)) != 1)
		return error < 0 ? error : status_done(cx, op, 0);
	if ((pStmt = crdt_q(cx, Q_HIST_GET)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, op->tbl, op->pk, op->col);
	bind_clock(pStmt, 4, op->hlc, op->node);
	if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		return status_done(cx, op, merge_same_clock(cx, t, c, op, pStmt, to_row, effect));
	sqlite3_reset(pStmt);
	if ((error = vios_store_error(cx->st->db, rc, "reading a cell's history")) < 0)
		return error;

	/* superseded on arrival when an op based on it came first */
	if ((pStmt = crdt_q(cx, Q_HIST_BASED_ON)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, op->tbl, op->pk, op->col);
	bind_clock(pStmt, 4, op->hlc, op->node);
	rc = sqlite3_step(pStmt);
	superseded = rc == SQLITE_ROW;
	sqlite3_reset(pStmt);
	if ((error = vios_store_error(cx->st->db, rc, "reading a cell's history")) < 0)
		return error;

	if ((pStmt = crdt_q(cx, Q_HIST_ADD)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, op->tbl, op->pk, op->col);
	bind_clock(pStmt, 4, op->hlc, op->node);
	sqlite3_bind_int64(pStmt, 6, (sqlite3_int64)op->base_hlc);
	if (op->base_node)
		sqlite3_bind_text(pStmt, 7, op->base_node, -1, SQLITE_STATIC);
	sqlite3_bind_int(pStmt, 8, superseded);
	if (!superseded)
		crdt_value_bind(pStmt, 9, &op->value);
	if ((error = step_done(cx, pStmt, "recording a change")) < 0)
		return error;
	if (op->base_hlc) {
		if ((pStmt = crdt_q(cx, Q_HIST_SUPERSEDE)) == NULL)
			return VIOS_ERROR;
		bind_cell(pStmt, op->tbl, op->pk, op->col);
		bind_clock(pStmt, 4, op->base_hlc, op->base_node);
		if ((error = step_done(cx, pStmt, "recording a change")) < 0)
			return error;
	}

	if ((error = crdt_cell_get(cx, op->tbl, op->pk, op->col, &found, &chlc, cnode)) < 0)
		return error;
	if (!found || crdt_clock_cmp(op->hlc, op->node, chlc, cnode) > 0) {
		if ((to_row && (error = write_row(cx, t, c, op->pk, &op->value)) < 0) ||
		    (error = cell_set(cx, t, c, op->pk, op->hlc, op->node)) < 0)
			return error;
		chlc = op->hlc;
		snprintf(cnode, sizeof(cnode), "%s", op->node);
	}
	*effect = 1;
	return status_done(cx, op, recompute(cx, op->tbl, op->pk, op->col, chlc, cnode));
}

static int purge(crdt_ctx *cx, int id, const char *tbl, const char *pk)
{
	sqlite3_stmt *pStmt = crdt_q(cx, id);

	if (pStmt == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, tbl, pk, NULL);
	return step_done(cx, pStmt, "deleting a record");
}

int crdt_merge_delete(crdt_ctx *cx, const vios_crdt_op *op, const char *cat, uint32_t roles,
		      int has_snapshot, int *effect)
{
	int t = crdt_table_index(op->tbl), found, error;
	vios_crdt_category rcat = VIOS_CAT_NONE;
	sqlite3_stmt *pStmt;
	uint64_t thlc;
	char tnode[37], zSql[96];

	assert(cx != NULL && op != NULL);
	assert(op->kind == VIOS_OP_DELETE);
	*effect = 0;
	/* the row as the ops before this one in the run left it: its category
	 * below is read from the store */
	if ((error = tomb_get(cx, op->tbl, op->pk, &found, &thlc, tnode)) < 0 || (error = crdt_ctx_flush(cx)) < 0)
		return error;
	if (found) {
		/* deleted already; keep the greatest clock so every node agrees */
		if (crdt_clock_cmp(op->hlc, op->node, thlc, tnode) <= 0)
			return 0;
		if ((pStmt = crdt_q(cx, Q_TOMB_RAISE)) == NULL)
			return VIOS_ERROR;
		bind_cell(pStmt, op->tbl, op->pk, NULL);
		bind_clock(pStmt, 3, op->hlc, op->node);
		row_forget(cx, t, op->pk);
		return step_done(cx, pStmt, "recording a deletion");
	}
	if (!has_snapshot) {
		if ((error = crdt_row_classify(cx->st, t, op->pk, &found, &rcat, &roles)) < 0)
			return error;
		cat = found ? vios_crdt_category_name(rcat) : NULL;
		if (!found)
			roles = 0;
	}
	if ((pStmt = crdt_q(cx, Q_TOMB_ADD)) == NULL)
		return VIOS_ERROR;
	bind_cell(pStmt, op->tbl, op->pk, NULL);
	bind_clock(pStmt, 3, op->hlc, op->node);
	if (cat) {
		sqlite3_bind_text(pStmt, 5, cat, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 6, roles);
	}
	if ((error = step_done(cx, pStmt, "recording a deletion")) < 0)
		return error;
	row_forget(cx, t, op->pk);
	if (cx->del[t] == NULL) {
		snprintf(zSql, sizeof(zSql), "DELETE FROM %s WHERE id = ?1", crdt_tables[t].name);
		int rc = sqlite3_prepare_v3(cx->st->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &cx->del[t], NULL);
		if (rc != SQLITE_OK)
			return vios_store_error(cx->st->db, rc, "preparing the merge");
	}
	sqlite3_reset(cx->del[t]);
	sqlite3_bind_text(cx->del[t], 1, op->pk, -1, SQLITE_STATIC);
	if ((error = step_done(cx, cx->del[t], "deleting a record")) < 0 ||
	    (error = purge(cx, Q_PURGE_CELL, op->tbl, op->pk)) < 0 ||
	    (error = purge(cx, Q_PURGE_ROW, op->tbl, op->pk)) < 0 ||
	    (error = purge(cx, Q_PURGE_HIST, op->tbl, op->pk)) < 0 ||
	    (error = purge(cx, Q_PURGE_CONF, op->tbl, op->pk)) < 0 ||
	    (error = purge(cx, Q_PURGE_GRANT, op->tbl, op->pk)) < 0 ||
	    (error = purge(cx, Q_PURGE_FINAL, op->tbl, op->pk)) < 0 ||
	    (error = purge(cx, Q_PURGE_REF, op->tbl, op->pk)) < 0 ||
	    (error = purge(cx, Q_PURGE_SEALED, op->tbl, op->pk)) < 0 ||
	    (error = purge(cx, op->hlc == 0 ? Q_PURGE_PENDING_LOCAL : Q_PURGE_PENDING, op->tbl, op->pk)) < 0 ||
	    (op->hlc == 0 && ((error = purge(cx, Q_PENDING_RECOUNT, op->tbl, op->pk)) < 0 ||
			      (error = purge(cx, Q_PENDING_DROP_EMPTY, op->tbl, op->pk)) < 0)))
		return error;
	*effect = 1;
	return 0;
}

/* ---- apply -------------------------------------------------------------- */

static int exec(vios_store *st, const char *zSql, const char *what)
{
	return vios_store_error(st->db, sqlite3_exec(st->db, zSql, NULL, NULL, NULL), what);
}

/* Prefixes the recorded message with "op N of M: ", keeping its code. */
static int at_op(int error, size_t i, size_t n)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "%s", vios_error_last());
	vios_error_set(vios_error_last_class(), "merge: op %zu of %zu: %s", i + 1, n, msg);
	return error;
}

/* Who wrote ops[i], cached for runs of one writer. */
typedef struct {
	vios_crdt_check *chk;
	vios_store *st;
	char id[37];
	vios_mandate_writer w;
	vios_reg_node reg;
	int have;
} writer_cache;

static int writer_of(writer_cache *wc, const char *node_id, const vios_mandate_writer **out)
{
	int error;

	if (!wc->have || strcmp(wc->id, node_id) != 0) {
		wc->have = 0;
		memset(&wc->w, 0, sizeof(wc->w));
		if (wc->chk->writer)
			error = wc->chk->writer(wc->chk->writer_ctx, node_id, &wc->w);
		else if ((error = vios_store_reg_node_get(&wc->reg, wc->st, node_id)) == 0) {
			wc->w.node_id = wc->reg.node_id;
			wc->w.kind = vios_kind_index(wc->reg.kind);
			wc->w.role = vios_role_index(wc->reg.role);
			wc->w.name = wc->reg.name;
		}
		if (error < 0) {
			if (error == VIOS_ENOTFOUND)
				vios_error_set(VIOS_ERR_INPUT, "node %s is not enrolled", node_id);
			return error;
		}
		snprintf(wc->id, sizeof(wc->id), "%s", node_id);
		wc->have = 1;
	}
	*out = &wc->w;
	return 0;
}

/* The categories (1 theme, 2 case) of the rows ops wrote, as this node
 * classifies them once merged; rows not held (ops ignored) count for none. */
static int ops_categories(unsigned *out, vios_store *st, const vios_crdt_op *ops, size_t n)
{
	crdt_classifier cl;
	int error = 0;

	*out = 0;
	crdt_classifier_init(&cl, st);
	for (size_t i = 0; i < n && error == 0; i++) {
		vios_crdt_category cat;
		if (i > 0 && !strcmp(ops[i].pk, ops[i - 1].pk) && !strcmp(ops[i].tbl, ops[i - 1].tbl))
			continue;
		if ((error = crdt_classifier_category(&cl, &cat, NULL, ops[i].tbl, ops[i].pk)) == VIOS_ENOTFOUND) {
			error = 0;
			continue;
		}
		if (error == 0)
			*out |= cat == VIOS_CAT_THEME ? 1u : cat == VIOS_CAT_CASE ? 2u : 0;
	}
	crdt_classifier_dispose(&cl);
	return error;
}

static void op_where(char *buf, size_t len, const vios_crdt_op *op)
{
	snprintf(buf, len, "%s %s.%s of %s", op->kind == VIOS_OP_DELETE ? "delete" : "set", op->tbl,
		 op->col ? op->col : "*", op->pk);
}

static int apply(vios_crdt_report *out, vios_store *st, const vios_crdt_op *ops, size_t n, const char *sender,
		 vios_crdt_check *chk)
{
	vios_crdt_report rep;
	crdt_ctx cx;
	crdt_judge jd;
	writer_cache wc;
	uint64_t now = vios_now_ms(), local;
	char why[300], where[160];
	int own_tx, cascade = 0, error = 0;

	assert(st != NULL && st->db != NULL && (ops != NULL || n == 0));
	memset(&rep, 0, sizeof(rep));
	memset(&wc, 0, sizeof(wc));
	if (out)
		memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		if (crdt_op_check(&ops[i], why, sizeof(why)) < 0) {
			vios_error_set(VIOS_ERR_INPUT, "merge: op %zu of %zu: %s; nothing was applied", i + 1, n, why);
			return VIOS_ECORRUPT;
		}
		/* with a mandate, another node's op may be forwarded by the row's owner */
		if (sender && chk == NULL && strcmp(ops[i].node, sender) != 0) {
			vios_error_set(VIOS_ERR_INPUT, "merge: op %zu of %zu: written by node %s, not by the sender %s;"
				       " nothing was applied", i + 1, n, ops[i].node, sender);
			return VIOS_ECORRUPT;
		}
		if (ops[i].hlc > rep.max_hlc)
			rep.max_hlc = ops[i].hlc;
		rep.future += (size_t)vios_hlc_is_future(ops[i].hlc, now);
	}
	own_tx = sqlite3_get_autocommit(st->db);
	if (!own_tx && vios_store_tx_captured(st)) {
		vios_error_set(VIOS_ERR_STORE, "merge: the open transaction captures changes; merge in one begun with"
			       " vios_store_tx_begin_uncaptured");
		return VIOS_ERROR;
	}
	if ((error = own_tx ? vios_store_tx_begin_uncaptured(st) : exec(st, "SAVEPOINT crdt_apply", "merging")) < 0)
		return error;
	crdt_ctx_init(&cx, st);
	if (chk) {
		crdt_judge_init(&jd, st, chk->mandate);
		wc.chk = chk;
		wc.st = st;
	}
	if ((error = crdt_clock_load(st->db, &local)) < 0)
		goto done;
	rep.clock = n ? vios_hlc_recv(local, rep.max_hlc, now) : local;
	if (n && (error = crdt_clock_save(st->db, rep.clock)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		int effect = 0;
		/* a run of ops on one row ends: the row is written before anything
		 * (the judge of the next op) reads it */
		if (i > 0 && (strcmp(ops[i].pk, ops[i - 1].pk) || strcmp(ops[i].tbl, ops[i - 1].tbl)) &&
		    (error = crdt_ctx_flush(&cx)) < 0) {
			at_op(error, cx.failed_op, n);
			goto done;
		}
		cx.op_index = i;
		/* the judge reads a set-once column from the row: it holds what
		 * the run's earlier ops wrote */
		if (chk && cx.row.staged && crdt_judge_reads_row(&ops[i]) && (error = crdt_ctx_flush(&cx)) < 0) {
			at_op(error, cx.failed_op, n);
			goto done;
		}
		if (chk) {
			const vios_mandate_writer *w;
			int verdict;
			if ((error = writer_of(&wc, ops[i].node, &w)) < 0 ||
			    (error = crdt_judge_op(&jd, w, &ops[i], &verdict, why, sizeof(why))) < 0) {
				at_op(error, i, n);
				goto done;
			}
			/* a forwarded op: only the row's owner forwards, for its own rows */
			if (verdict != VIOS_MANDATE_UNKNOWN && sender && strcmp(ops[i].node, sender) != 0 &&
			    (!jd.last_origin[0] || strcmp(jd.last_origin, sender) != 0)) {
				verdict = VIOS_MANDATE_DENIED;
				snprintf(why, sizeof(why), "only the owner of a record forwards what others wrote in it"
					 " (op written by %s)", ops[i].node);
			}
			if (verdict == VIOS_MANDATE_DENIED) {
				op_where(where, sizeof(where), &ops[i]);
				vios_error_set(VIOS_ERR_INPUT, "mandate: op %zu of %zu (%s): %s", i + 1, n, where, why);
				chk->bad_op = i;
				error = VIOS_EDENIED;
				goto done;
			}
			if (verdict == VIOS_MANDATE_UNKNOWN) {
				if (chk->wait_unknown) {
					op_where(where, sizeof(where), &ops[i]);
					vios_error_set(VIOS_ERR_INPUT, "op %zu of %zu (%s) is on a record not held here yet",
						       i + 1, n, where);
					chk->bad_op = i;
					error = VIOS_EWAIT;
					goto done;
				}
				rep.ignored++;
				continue;
			}
		}
		if (ops[i].kind == VIOS_OP_SET)
			error = crdt_merge_set(&cx, &ops[i], 1, &effect);
		else
			error = crdt_merge_delete(&cx, &ops[i], NULL, 0, 0, &effect);
		if (error < 0) {
			at_op(error, i, n);
			goto done;
		}
		/* a deletion, or a row that may name a deleted one: the cascade runs */
		if (effect == 1 && (ops[i].kind == VIOS_OP_DELETE || crdt_is_ref(ops[i].tbl, ops[i].col)))
			cascade = 1;
		if (effect == 1)
			rep.applied++;
		else if (effect == 2)
			rep.ignored++;
		else
			rep.duplicates++;
	}
	if ((error = crdt_ctx_flush(&cx)) < 0) {
		at_op(error, cx.failed_op, n);
		goto done;
	}
	if (chk) {
		size_t bad = 0;
		unsigned cats = 0;
		if ((error = crdt_judge_counts(&jd, ops, n, &bad, why, sizeof(why))) == VIOS_EDENIED) {
			op_where(where, sizeof(where), &ops[bad]);
			vios_error_set(VIOS_ERR_INPUT, "mandate: op %zu of %zu (%s): %s", bad + 1, n, where, why);
			chk->bad_op = bad;
		} else if (error == 0 && chk->categories && (error = ops_categories(&cats, st, ops, n)) == 0 &&
			   cats != 0 && cats != chk->categories) {
			static const char *const names[] = { "no", "theme", "case", "theme and case" };
			vios_error_set(VIOS_ERR_INPUT, "mandate: the header names %s data but the ops are %s data",
				       names[chk->categories & 3], names[cats & 3]);
			error = VIOS_EDENIED;
		}
	}
	/* rows about a pupil, case or meeting deleted for good go on every node */
	if (error == 0 && cascade)
		error = crdt_cascade(&cx, NULL);
done:
	if (chk)
		crdt_judge_dispose(&jd);
	crdt_ctx_dispose(&cx);
	if (error == 0)
		error = own_tx ? vios_store_tx_commit(st) : exec(st, "RELEASE crdt_apply", "merging");
	else if (own_tx)
		vios_store_tx_rollback(st);
	else
		sqlite3_exec(st->db, "ROLLBACK TO crdt_apply; RELEASE crdt_apply", NULL, NULL, NULL);
	if (error == 0 && out)
		*out = rep;
	return error;
}

int vios_crdt_apply(vios_crdt_report *out, vios_store *st, const vios_crdt_op *ops, size_t n,
		    const char *sender)
{
	return apply(out, st, ops, n, sender, NULL);
}

int vios_crdt_apply_checked(vios_crdt_report *out, vios_store *st, const vios_crdt_op *ops, size_t n,
			    const char *sender, vios_crdt_check *chk)
{
	assert(chk != NULL && chk->mandate != NULL);
	chk->bad_op = 0;
	return apply(out, st, ops, n, sender, chk);
}

/* ---- conflicts ---------------------------------------------------------- */

static json_t *value_json(sqlite3_stmt *pStmt, int c)
{
	switch (sqlite3_column_type(pStmt, c)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(pStmt, c));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(pStmt, c));
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(pStmt, c), (size_t)sqlite3_column_bytes(pStmt, c));
	case SQLITE_BLOB: {
		size_t len = (size_t)sqlite3_column_bytes(pStmt, c);
		char *hex = malloc(2 * len + 1);
		json_t *v;
		if (hex == NULL)
			return NULL;
		vios_hex(hex, sqlite3_column_blob(pStmt, c), len);
		v = json_string(hex);
		free(hex);
		return v;
	}
	default:
		return json_null();
	}
}

int vios_crdt_conflicts(json_t **out, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	json_t *rows = json_array(), *row;
	int rc, error;

	assert(out != NULL && st != NULL && st->db != NULL);
	*out = NULL;
	if (rows == NULL)
		return vios_error_nomem();
	rc = sqlite3_prepare_v2(st->db,
				"SELECT tbl, pk, col, value, hlc, node, win_hlc, win_node, recorded_at FROM crdt_conflict"
				" ORDER BY tbl, pk, col, hlc, node", -1, &pStmt, NULL);
	if (rc == SQLITE_OK)
		rc = SQLITE_ROW;
	while (rc == SQLITE_ROW && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		char at[25], wat[25];
		uint64_t h = (uint64_t)sqlite3_column_int64(pStmt, 4), wh = (uint64_t)sqlite3_column_int64(pStmt, 6);
		vios_hlc_iso(at, h);
		vios_hlc_iso(wat, wh);
		row = json_pack("{s:s, s:s, s:s, s:o*, s:I, s:s, s:s, s:I, s:s, s:s, s:s}",
				"table", (const char *)sqlite3_column_text(pStmt, 0),
				"record", (const char *)sqlite3_column_text(pStmt, 1),
				"column", (const char *)sqlite3_column_text(pStmt, 2),
				"value", value_json(pStmt, 3),
				"hlc", (json_int_t)h, "node", (const char *)sqlite3_column_text(pStmt, 5), "at", at,
				"winner_hlc", (json_int_t)wh, "winner_node", (const char *)sqlite3_column_text(pStmt, 7),
				"winner_at", wat, "recorded_at", (const char *)sqlite3_column_text(pStmt, 8));
		if (row == NULL || json_array_append_new(rows, row) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	if (rc == SQLITE_NOMEM)
		vios_error_nomem();
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading conflicts")) < 0) {
		json_decref(rows);
		return error;
	}
	*out = rows;
	return 0;
}
