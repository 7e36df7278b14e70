/*
 * pending.c - this node's ops waiting to be sealed into bundles: listing
 * them (oldest first, optionally with their rows' categories and roles)
 * and marking them sealed inside the exporter's transaction.
 */
#include "crdt/internal.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static int text_col(char **out, sqlite3_stmt *pStmt, int c)
{
	const char *s = (const char *)sqlite3_column_text(pStmt, c);

	*out = NULL;
	if (s == NULL)
		return 0;
	if ((*out = strdup(s)) == NULL)
		return vios_error_nomem();
	return 0;
}

static int read_op(vios_crdt_pending_op *p, sqlite3_stmt *pStmt)
{
	vios_crdt_op *op = &p->op;
	int error;

	memset(p, 0, sizeof(*p));
	p->seq = sqlite3_column_int64(pStmt, 0);
	op->hlc = (uint64_t)sqlite3_column_int64(pStmt, 1);
	op->kind = sqlite3_column_type(pStmt, 5) == SQLITE_NULL ? VIOS_OP_DELETE : VIOS_OP_SET;
	op->base_hlc = (uint64_t)sqlite3_column_int64(pStmt, 7);
	if ((error = text_col(&op->node, pStmt, 2)) < 0 || (error = text_col(&op->tbl, pStmt, 3)) < 0 ||
	    (error = text_col(&op->pk, pStmt, 4)) < 0 || (error = text_col(&op->col, pStmt, 5)) < 0 ||
	    (error = text_col(&op->base_node, pStmt, 8)) < 0 ||
	    (error = crdt_value_from_sqlite(&op->value, sqlite3_column_value(pStmt, 6))) < 0)
		return error;
	return 0;
}

int vios_crdt_pending(vios_crdt_pending_op **out, size_t *n, vios_store *st, int64_t after_seq,
		      size_t max, unsigned flags)
{
	sqlite3_stmt *pStmt = NULL;
	vios_crdt_pending_op *v = NULL, *grown;
	size_t cnt = 0, cap = 0;
	vios_crdt_category cat = VIOS_CAT_NONE;
	uint32_t roles = 0;
	char last_tbl[16] = "", last_pk[37] = ""; /* copies: v moves when it grows */
	int rc, error = 0;

	assert(out != NULL && n != NULL && st != NULL && st->db != NULL);
	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT seq, hlc, node, tbl, pk, col, value, base_hlc, base_node FROM crdt_pending"
				" WHERE sealed_in IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, after_seq);
		sqlite3_bind_int64(pStmt, 2, max ? (sqlite3_int64)max : -1);
	}
	if (rc == SQLITE_OK)
		rc = SQLITE_ROW;
	while (rc == SQLITE_ROW && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		vios_crdt_pending_op *p;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 64;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				error = vios_error_nomem();
				goto done;
			}
			v = grown;
		}
		p = &v[cnt++];
		if ((error = read_op(p, pStmt)) < 0)
			goto done;
		if (!(flags & VIOS_PENDING_CLASSIFY))
			continue;
		/* consecutive ops mostly share a row: classify each row once */
		if (strcmp(last_tbl, p->op.tbl) || strcmp(last_pk, p->op.pk)) {
			error = vios_crdt_row_category(&cat, &roles, st, p->op.tbl, p->op.pk);
			if (error == VIOS_ENOTFOUND) { /* cannot happen: a deleted row's sets are dropped */
				cat = VIOS_CAT_CASE;
				roles = 0;
				error = 0;
			}
			if (error < 0)
				goto done;
			snprintf(last_tbl, sizeof(last_tbl), "%s", p->op.tbl);
			snprintf(last_pk, sizeof(last_pk), "%s", p->op.pk);
		}
		p->category = cat;
		p->roles = roles;
	}
	error = vios_store_error(st->db, rc, "listing pending changes");
done:
	sqlite3_finalize(pStmt);
	if (error < 0) {
		vios_crdt_pending_free(v, cnt);
		return error;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void vios_crdt_pending_free(vios_crdt_pending_op *ops, size_t n)
{
	if (ops == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		vios_crdt_op_dispose(&ops[i].op);
	free(ops);
}

int vios_crdt_pending_count(size_t *out, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(out != NULL && st != NULL && st->db != NULL);
	*out = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM crdt_pending WHERE sealed_in IS NULL", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "counting pending changes");
}

static int mark_sealed(vios_store *st, int64_t seq, const char *bundle_ref, int one);

int vios_crdt_mark_sealed(vios_store *st, int64_t up_to_seq, const char *bundle_ref)
{
	return mark_sealed(st, up_to_seq, bundle_ref, 0);
}

int vios_crdt_mark_sealed_one(vios_store *st, int64_t seq, const char *bundle_ref)
{
	return mark_sealed(st, seq, bundle_ref, 1);
}

static int mark_sealed(vios_store *st, int64_t up_to_seq, const char *bundle_ref, int one)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(st != NULL && st->db != NULL);
	if (sqlite3_get_autocommit(st->db)) {
		vios_error_set(VIOS_ERR_STORE, "sealing pending changes needs the exporter's open transaction");
		return VIOS_ERROR;
	}
	if (bundle_ref == NULL || *bundle_ref == 0) {
		vios_error_set(VIOS_ERR_INPUT, "sealing pending changes needs a bundle reference");
		return VIOS_EUSAGE;
	}
	rc = sqlite3_prepare_v2(st->db, one ? "UPDATE crdt_pending SET sealed_in = ?2 WHERE sealed_in IS NULL AND seq = ?1"
					    : "UPDATE crdt_pending SET sealed_in = ?2 WHERE sealed_in IS NULL AND seq <= ?1",
				-1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, up_to_seq);
		sqlite3_bind_text(pStmt, 2, bundle_ref, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "sealing pending changes");
}
