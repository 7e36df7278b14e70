/*
 * pending.c - this node's ops waiting to be sealed into bundles: listing
 * them (oldest first, optionally with their rows' categories and roles)
 * and marking them sealed inside the exporter's transaction. They are
 * stored a change (one row of one transaction) at a time, in crdt_change
 * (schema/0017); a change's ops share its seq.
 */
#include "crdt/internal.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <jansson.h>
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

/* A growing array of pending ops. */
typedef struct {
	vios_crdt_pending_op *v;
	size_t n, cap;
} oparray;

static vios_crdt_pending_op *push(oparray *a)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		vios_crdt_pending_op *grown = realloc(a->v, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		a->v = grown;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[0]));
	return &a->v[a->n++];
}

static int corrupt(int64_t seq, const char *why)
{
	vios_error_set(VIOS_ERR_STORE, "pending change %lld: %s", (long long)seq, why);
	return VIOS_ECORRUPT;
}

/* A JSON value of a pending change's sets as a column value. */
static int value_of(vios_crdt_value *out, json_t *j)
{
	memset(out, 0, sizeof(*out));
	if (json_is_null(j)) {
		out->type = VIOS_VAL_NULL;
	} else if (json_is_integer(j)) {
		out->type = VIOS_VAL_INT;
		out->u.i = (int64_t)json_integer_value(j);
	} else if (json_is_string(j)) {
		size_t len = json_string_length(j);
		out->type = VIOS_VAL_TEXT;
		if ((out->u.text.p = malloc(len + 1)) == NULL)
			return vios_error_nomem();
		memcpy(out->u.text.p, json_string_value(j), len);
		out->u.text.p[len] = 0;
		out->u.text.len = len;
	} else {
		return 1;
	}
	return 0;
}

/*
 * The ops of one crdt_change row (schema/0017), appended to a: the
 * deletion, or a set per column of the sets object in the table's column
 * order, each with its base from the bases object.
 */
static int read_change(oparray *a, sqlite3_stmt *pStmt)
{
	int64_t seq = sqlite3_column_int64(pStmt, 0);
	const char *zTbl = (const char *)sqlite3_column_text(pStmt, 3);
	const char *zSets = (const char *)sqlite3_column_text(pStmt, 5);
	const char *zBases = (const char *)sqlite3_column_text(pStmt, 6);
	json_t *sets = NULL, *bases = NULL;
	int t = zTbl ? crdt_table_index(zTbl) : -1, error = 0;
	size_t used = 0;

	if (t < 0)
		return corrupt(seq, "not a synced table");
	if (zSets && ((sets = json_loads(zSets, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(sets) ||
		      json_object_size(sets) == 0)) {
		error = corrupt(seq, "its sets are not a JSON object");
		goto done;
	}
	if (zBases && ((bases = json_loads(zBases, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(bases))) {
		error = corrupt(seq, "its bases are not a JSON object");
		goto done;
	}
	for (int c = sets ? 1 : 0; c < (sets ? crdt_tables[t].ncol : 1) && error == 0; c++) {
		const char *col = crdt_tables[t].cols[c].name;
		json_t *v = sets ? json_object_get(sets, col) : NULL, *b;
		vios_crdt_pending_op *p;
		vios_crdt_op *op;
		if (sets && v == NULL)
			continue;
		if ((p = push(a)) == NULL) {
			error = vios_error_nomem();
			break;
		}
		op = &p->op;
		p->seq = seq;
		op->kind = sets ? VIOS_OP_SET : VIOS_OP_DELETE;
		op->hlc = (uint64_t)sqlite3_column_int64(pStmt, 1);
		if ((error = text_col(&op->node, pStmt, 2)) < 0 || (error = text_col(&op->tbl, pStmt, 3)) < 0 ||
		    (error = text_col(&op->pk, pStmt, 4)) < 0)
			break;
		if (!sets)
			break;
		used++;
		if ((op->col = strdup(col)) == NULL) {
			error = vios_error_nomem();
			break;
		}
		if ((error = value_of(&op->value, v)) != 0) {
			error = error < 0 ? error : corrupt(seq, "a value is neither null, an integer nor a text");
			break;
		}
		if (bases && (b = json_object_get(bases, col)) != NULL) {
			if (!json_is_array(b) || json_array_size(b) != 2 || !json_is_integer(json_array_get(b, 0)) ||
			    !json_is_string(json_array_get(b, 1))) {
				error = corrupt(seq, "a base is not [hlc, node]");
				break;
			}
			op->base_hlc = (uint64_t)json_integer_value(json_array_get(b, 0));
			if ((op->base_node = strdup(json_string_value(json_array_get(b, 1)))) == NULL)
				error = vios_error_nomem();
		}
	}
	if (error == 0 && sets && used != json_object_size(sets))
		error = corrupt(seq, "it sets a column the table lacks");
done:
	json_decref(sets);
	json_decref(bases);
	return error;
}

int vios_crdt_pending(vios_crdt_pending_op **out, size_t *n, vios_store *st, int64_t after_seq,
		      size_t max, unsigned flags)
{
	sqlite3_stmt *pStmt = NULL;
	oparray a = { NULL, 0, 0 };
	vios_crdt_category cat = VIOS_CAT_NONE;
	uint32_t roles = 0;
	int rc, error = 0;

	assert(out != NULL && n != NULL && st != NULL && st->db != NULL);
	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT seq, hlc, node, tbl, pk, sets, bases FROM crdt_change"
				" WHERE sealed_in IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, after_seq);
		sqlite3_bind_int64(pStmt, 2, max ? (sqlite3_int64)max : -1);
	}
	if (rc == SQLITE_OK)
		rc = SQLITE_ROW;
	while (rc == SQLITE_ROW && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		size_t first = a.n;
		if ((error = read_change(&a, pStmt)) < 0)
			goto done;
		if (!(flags & VIOS_PENDING_CLASSIFY) || first == a.n)
			continue;
		/* a change is one row: classified once */
		error = vios_crdt_row_category(&cat, &roles, st, a.v[first].op.tbl, a.v[first].op.pk);
		if (error == VIOS_ENOTFOUND) { /* cannot happen: a deleted row's sets are dropped */
			cat = VIOS_CAT_CASE;
			roles = 0;
			error = 0;
		}
		if (error < 0)
			goto done;
		for (size_t i = first; i < a.n; i++) {
			a.v[i].category = cat;
			a.v[i].roles = roles;
		}
	}
	error = vios_store_error(st->db, rc, "listing pending changes");
done:
	sqlite3_finalize(pStmt);
	if (error < 0) {
		vios_crdt_pending_free(a.v, a.n);
		return error;
	}
	*out = a.v;
	*n = a.n;
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
	rc = sqlite3_prepare_v2(st->db, "SELECT coalesce(sum(ops), 0) FROM crdt_change WHERE sealed_in IS NULL", -1, &pStmt, NULL);
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
	rc = sqlite3_prepare_v2(st->db, one ? "UPDATE crdt_change SET sealed_in = ?2 WHERE sealed_in IS NULL AND seq = ?1"
					    : "UPDATE crdt_change SET sealed_in = ?2 WHERE sealed_in IS NULL AND seq <= ?1",
				-1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, up_to_seq);
		sqlite3_bind_text(pStmt, 2, bundle_ref, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "sealing pending changes");
}
