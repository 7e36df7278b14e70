/*
 * forward.c - a row's state as the ops that made it (vios_crdt_row_state):
 * what an owner forwards of its rows to a node that never received them
 * (a role added to a case later; docs/architecture.md, "Sharing").
 *
 * Why the original clocks and not a new local write: a new write would
 * stamp another node's value (an agreement a partner marked done) as this
 * node's, at a later clock, so it would win over changes made meanwhile and
 * the mandate would judge it as this node's write. The original op, the
 * value it wrote and its base, is the same op the other nodes hold: merging
 * it again anywhere changes nothing, and conflicts stay a function of the
 * set of ops held.
 */
#include "crdt/internal.h"
#include "util/error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int found;
	uint64_t hlc, base_hlc;
	char node[37];
	char base_node[37]; /* "" when the base is not kept */
} cell;

/* The clock and base of every column of (t, pk) that has one. */
static int read_cells(cell *cells, vios_store *st, const crdt_table *t, const char *pk)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT k.col, k.hlc, k.node, h.base_hlc, h.base_node FROM crdt_cell k"
				" LEFT JOIN crdt_history h ON h.tbl = k.tbl AND h.pk = k.pk AND h.col = k.col"
				" AND h.hlc = k.hlc AND h.node = k.node WHERE k.tbl = ?1 AND k.pk = ?2", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 2, pk, -1, SQLITE_STATIC);
	}
	while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		int c = crdt_col_index(t, (const char *)sqlite3_column_text(pStmt, 0));
		rc = SQLITE_OK;
		if (c < 1)
			continue; /* a column the schema lost: nothing to forward */
		cells[c].found = 1;
		cells[c].hlc = (uint64_t)sqlite3_column_int64(pStmt, 1);
		snprintf(cells[c].node, sizeof(cells[c].node), "%s", (const char *)sqlite3_column_text(pStmt, 2) ?: "");
		cells[c].base_hlc = (uint64_t)sqlite3_column_int64(pStmt, 3);
		snprintf(cells[c].base_node, sizeof(cells[c].base_node), "%s",
			 (const char *)sqlite3_column_text(pStmt, 4) ?: "");
		if (cells[c].base_hlc == 0 || !cells[c].base_node[0]) {
			cells[c].base_hlc = 0;
			cells[c].base_node[0] = 0;
		}
	}
	sqlite3_finalize(pStmt);
	pStmt = NULL;
	/* the plain cells (schema/0017): one clock, base 0 */
	if (rc == SQLITE_DONE)
		rc = sqlite3_prepare_v2(st->db, "SELECT hlc, node, cols FROM crdt_row WHERE tbl = ?1 AND pk = ?2", -1,
					&pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 2, pk, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
			uint64_t cols = (uint64_t)sqlite3_column_int64(pStmt, 2);
			for (int c = 1; c < t->ncol; c++) {
				if (!(cols & (1ull << c)) || cells[c].found)
					continue;
				cells[c].found = 1;
				cells[c].hlc = (uint64_t)sqlite3_column_int64(pStmt, 0);
				snprintf(cells[c].node, sizeof(cells[c].node), "%s",
					 (const char *)sqlite3_column_text(pStmt, 1) ?: "");
				cells[c].base_hlc = 0;
				cells[c].base_node[0] = 0;
			}
			rc = SQLITE_DONE;
		}
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading a row's clocks");
}

static int dup_text(char **out, const char *s)
{
	if ((*out = strdup(s)) == NULL)
		return vios_error_nomem();
	return 0;
}

int vios_crdt_row_state(vios_crdt_op **out, size_t *n, size_t *unclocked, vios_store *st, const char *tbl,
			const char *pk, const char *col)
{
	int ti = crdt_table_index(tbl), only = -1, rc, error = 0;
	const crdt_table *t;
	cell cells[CRDT_MAXCOL];
	sqlite3_stmt *pStmt = NULL;
	vios_crdt_op *v = NULL;
	size_t cnt = 0, skipped = 0;
	char *zSql = NULL;

	assert(out != NULL && n != NULL && st != NULL && pk != NULL);
	*out = NULL;
	*n = 0;
	if (unclocked)
		*unclocked = 0;
	if (ti < 0 || (col != NULL && (only = crdt_col_index(&crdt_tables[ti], col)) < 1)) {
		vios_error_set(VIOS_ERR_INPUT, "%s%s%s is not a synced table or column", tbl ? tbl : "(null)",
			       col ? "." : "", col ? col : "");
		return VIOS_EUSAGE;
	}
	t = &crdt_tables[ti];
	memset(cells, 0, sizeof(cells));
	if ((error = read_cells(cells, st, t, pk)) < 0)
		return error;
	/* the columns in schema order, id first (the names are the crdt's own) */
	zSql = sqlite3_mprintf("SELECT \"id\"");
	for (int c = 1; zSql && c < t->ncol; c++)
		zSql = sqlite3_mprintf("%z, \"%w\"", zSql, t->cols[c].name);
	if (zSql)
		zSql = sqlite3_mprintf("%z FROM \"%w\" WHERE id = ?1", zSql, t->name);
	if (zSql == NULL)
		return vios_error_nomem();
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	sqlite3_free(zSql);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, pk, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(pStmt);
		vios_error_set(VIOS_ERR_INPUT, "no %s with id %s", t->name, pk);
		return VIOS_ENOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(pStmt);
		return vios_store_error(st->db, rc, "reading a row to forward");
	}
	if ((v = calloc((size_t)t->ncol, sizeof(*v))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (int c = 1; c < t->ncol; c++) {
		vios_crdt_op *op;
		if (only >= 1 && c != only)
			continue;
		if (!cells[c].found) {
			/* a value no op wrote: no clock to forward it under */
			skipped += sqlite3_column_type(pStmt, c) != SQLITE_NULL;
			continue;
		}
		op = &v[cnt++];
		op->kind = VIOS_OP_SET;
		op->hlc = cells[c].hlc;
		op->base_hlc = cells[c].base_hlc;
		if ((error = dup_text(&op->node, cells[c].node)) < 0 || (error = dup_text(&op->tbl, t->name)) < 0 ||
		    (error = dup_text(&op->pk, pk)) < 0 || (error = dup_text(&op->col, t->cols[c].name)) < 0 ||
		    (cells[c].base_hlc && (error = dup_text(&op->base_node, cells[c].base_node)) < 0) ||
		    (error = crdt_value_from_sqlite(&op->value, sqlite3_column_value(pStmt, c))) < 0)
			goto done;
	}
done:
	sqlite3_finalize(pStmt);
	if (error < 0) {
		vios_crdt_ops_free(v, cnt);
		return error;
	}
	if (cnt == 0) {
		free(v);
		v = NULL;
	}
	if (unclocked)
		*unclocked = skipped;
	*out = v;
	*n = cnt;
	return 0;
}
