/*
 * pending.c - this node's ops waiting to be sealed into bundles: listing
 * them (oldest first, optionally with their rows' categories and roles)
 * and marking them sealed inside the exporter's transaction. They are
 * stored a change (one row of one transaction) at a time, in crdt_change
 * (schema/0017); a change's ops share its seq.
 */
#include "crdt/internal.h"
#include "util/bulk.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A growing array of pending ops, and the blocks their changes' node,
 * table and record ids (and rows' owners) are copied into once per change:
 * the first sized for the whole listing, more only when a change came in
 * after it was sized. Each block starts with a pointer to the one before
 * (head: the last; arena, used, size: the last's room). */
typedef struct {
	vios_crdt_pending_op *v;
	size_t n, cap;
	void *head;
	char *arena;
	size_t used, size;
} oparray;

/* A new block of `bytes` for a's copies; 0, or -1 when out of memory. */
static int block_new(oparray *a, size_t bytes)
{
	void **b = vios_bulk_alloc(sizeof(void *) + bytes);

	if (b == NULL)
		return -1;
	b[0] = a->head;
	a->head = b;
	a->arena = (char *)(b + 1);
	a->used = 0;
	a->size = bytes;
	return 0;
}

/* Frees a listing's blocks (the last one given). */
static void blocks_free(void *head)
{
	while (head) {
		void *prev = *(void **)head;
		vios_bulk_free(head);
		head = prev;
	}
}

/* Where len bytes fit in a's block, a new block (64 KiB, or len) when they
 * do not; nothing is taken yet. NULL when out of memory. */
static char *arena_free(oparray *a, size_t len)
{
	if ((a->arena == NULL || a->size - a->used < len) && block_new(a, len > (64u << 10) ? len : (64u << 10)) < 0)
		return NULL;
	return a->arena + a->used;
}

/* len bytes taken from a's block: NULL when out of memory. */
static char *arena_room(oparray *a, size_t len)
{
	char *p = arena_free(a, len);

	if (p != NULL)
		a->used += len;
	return p;
}

/* s in a's block, or NULL when out of memory (the op then owns a copy, or fails). */
static char *arena_copy(oparray *a, const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = arena_room(a, len);

	if (p != NULL)
		memcpy(p, s, len);
	return p;
}

/* Room for a row's owners (listings that classify size their first block for it). */
#define OWNERS_ROOM (offsetof(vios_crdt_owners, id) + VIOS_CRDT_OWNERS_MAX * sizeof(((vios_crdt_owners *)0)->id[0]))
/* placed at any byte of a block: the owners are bytes only */
_Static_assert(_Alignof(vios_crdt_owners) == 1, "vios_crdt_owners is copied to unaligned places");

/*
 * The owners row gives in its columns from `first` on (t's owners_sql),
 * each once, copied into a's block: NULL when there are none, and *nomem
 * set when there is no memory for them.
 */
static const vios_crdt_owners *owners_copy(oparray *a, sqlite3_stmt *row, int first, int t, int *nomem)
{
	vios_crdt_owners *o;

	*nomem = 0;
	if (crdt_tables[t].owners_sql[0] == NULL)
		return NULL;
	/* room for the most owners; only what they use is taken */
	if ((o = (vios_crdt_owners *)arena_free(a, OWNERS_ROOM)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	o->n = 0;
	for (int k = 0; k < VIOS_CRDT_OWNERS_MAX && crdt_tables[t].owners_sql[k]; k++) {
		const char *id = (const char *)sqlite3_column_text(row, first + k);
		if (id == NULL || strlen(id) >= sizeof(o->id[0]) || vios_crdt_owns(o, id))
			continue;
		strcpy(o->id[o->n++], id);
	}
	if (o->n == 0)
		return NULL;
	a->used += offsetof(vios_crdt_owners, id) + o->n * sizeof(o->id[0]);
	return o;
}

int vios_crdt_owns(const vios_crdt_owners *o, const char *node)
{
	assert(node != NULL);
	for (size_t i = 0; o && i < o->n; i++)
		if (!strcmp(o->id[i], node))
			return 1;
	return 0;
}

int vios_crdt_owners_same(const vios_crdt_owners *a, const vios_crdt_owners *b)
{
	size_t na = a ? a->n : 0, nb = b ? b->n : 0;

	if (a == b)
		return 1;
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!vios_crdt_owns(b, a->id[i]))
			return 0;
	return 1;
}

static vios_crdt_pending_op *push(oparray *a)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		vios_crdt_pending_op *grown = vios_bulk_realloc(a->v, cap * sizeof(*grown));
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

/* What reading pending changes needs: the merge's view of a row's clocks
 * (crdt_cell_get, its history) and the rows' values, a statement per table.
 * classify: the statement also gives the row's category and roles, as
 * crdt_classifier_row reads them (the table's theme_sql and roles_sql over
 * the same row), so a change whose row is read is classified by that read. */
typedef struct {
	crdt_ctx cx;
	sqlite3_stmt *row_q[CRDT_NTABLES];
	int classify;
} reader;

static void reader_dispose(reader *rd)
{
	for (int t = 0; t < CRDT_NTABLES; t++)
		sqlite3_finalize(rd->row_q[t]);
	crdt_ctx_dispose(&rd->cx);
}

/* Steps rd's statement for row pk of t: SQLITE_ROW with its columns, SQLITE_DONE when not held. */
static int row_read(reader *rd, int t, const char *pk, sqlite3_stmt **out)
{
	const crdt_table *tb = &crdt_tables[t];
	vios_store *st = rd->cx.st;
	int rc;

	if (rd->row_q[t] == NULL) {
		sqlite3_str *q = sqlite3_str_new(st->db);
		char *zSql;
		for (int c = 0; c < tb->ncol; c++)
			sqlite3_str_appendf(q, "%s r.%s", c ? "," : "SELECT", tb->cols[c].name);
		if (rd->classify) {
			sqlite3_str_appendf(q, ", coalesce((%s), 0), (%s)", tb->theme_sql, tb->roles_sql);
			for (int o = 0; o < VIOS_CRDT_OWNERS_MAX && tb->owners_sql[o]; o++)
				sqlite3_str_appendf(q, ", %s", tb->owners_sql[o]);
		}
		sqlite3_str_appendf(q, " FROM %s AS r WHERE r.id = ?1", tb->name);
		if ((zSql = sqlite3_str_finish(q)) == NULL) {
			vios_error_nomem();
			return SQLITE_NOMEM;
		}
		rc = sqlite3_prepare_v2(st->db, zSql, -1, &rd->row_q[t], NULL);
		sqlite3_free(zSql);
		if (rc != SQLITE_OK)
			return rc;
	}
	*out = rd->row_q[t];
	sqlite3_reset(*out);
	sqlite3_bind_text(*out, 1, pk, -1, SQLITE_STATIC);
	return sqlite3_step(*out);
}

/*
 * The value set op (t, pk, column c, hlc, node) of a pending change wrote:
 * the row's while the op holds the cell, else the one the cell's history
 * kept for it. A superseded op's value is kept nowhere (merge.c); it is
 * superseded by a later change of this node, pending as well, so the
 * row's value stands in (a receiver drops it when that change arrives).
 */
static int set_value(reader *rd, int t, int c, const char *pk, uint64_t hlc, const char *node, sqlite3_stmt *row,
		     vios_crdt_value *out)
{
	const crdt_table *tb = &crdt_tables[t];
	sqlite3_stmt *pStmt;
	uint64_t h;
	const char *n;
	int found, rc, error;

	if ((error = crdt_cell_clock(&rd->cx, t, c, pk, &found, &h, &n)) < 0)
		return error;
	if (!found || h != hlc || strcmp(n, node) != 0) {
		if ((pStmt = crdt_q(&rd->cx, Q_HIST_GET)) == NULL)
			return VIOS_ERROR;
		sqlite3_bind_text(pStmt, 1, tb->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 2, pk, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 3, tb->cols[c].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 4, (sqlite3_int64)hlc);
		sqlite3_bind_text(pStmt, 5, node, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW && !sqlite3_column_int(pStmt, 0)) {
			error = crdt_value_from_sqlite(out, sqlite3_column_value(pStmt, 1));
			sqlite3_reset(pStmt);
			return error;
		}
		sqlite3_reset(pStmt);
		if ((error = vios_store_error(rd->cx.st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc,
					      "reading a change's history")) < 0)
			return error;
	}
	return crdt_value_from_sqlite(out, sqlite3_column_value(row, c));
}

/*
 * The ops of one crdt_change row (schema/0017), appended to a: the
 * deletion, or a set per column of cols and of vals, in the table's
 * column order, each with its base from bases. With rd->classify, the
 * row of every change but a deletion is read: *cat, *roles and *owners
 * are the row's when it is held, else *cat is VIOS_CAT_NONE and *owners
 * NULL (a change that carries its values for a row no longer held).
 */
static int read_change(oparray *a, reader *rd, sqlite3_stmt *pStmt, vios_crdt_category *cat, uint32_t *roles,
		       const vios_crdt_owners **owners)
{
	int64_t seq = sqlite3_column_int64(pStmt, 0);
	uint64_t hlc = (uint64_t)sqlite3_column_int64(pStmt, 1);
	const char *zNode = (const char *)sqlite3_column_text(pStmt, 2);
	const char *zTbl = (const char *)sqlite3_column_text(pStmt, 3);
	const char *zPk = (const char *)sqlite3_column_text(pStmt, 4);
	int deletion = sqlite3_column_type(pStmt, 5) == SQLITE_NULL;
	uint64_t cols = (uint64_t)sqlite3_column_int64(pStmt, 5);
	const char *zVals = (const char *)sqlite3_column_text(pStmt, 6);
	const char *zBases = (const char *)sqlite3_column_text(pStmt, 7);
	json_t *vals = NULL, *bases = NULL;
	sqlite3_stmt *row = NULL;
	int t = zTbl ? crdt_table_index(zTbl) : -1, rc, error = 0;
	size_t used = 0;

	char *aNode, *aTbl, *aPk;

	*cat = VIOS_CAT_NONE;
	*roles = 0;
	*owners = NULL;
	if (t < 0 || zNode == NULL || zPk == NULL)
		return corrupt(seq, "not a synced table's row");
	/* the change's ids, once for its ops (or each op its own copies) */
	aNode = arena_copy(a, zNode);
	aTbl = aNode ? arena_copy(a, zTbl) : NULL;
	aPk = aTbl ? arena_copy(a, zPk) : NULL;
	if (!deletion && (cols >> crdt_tables[t].ncol || (cols & 1)))
		return corrupt(seq, "it sets a column the table lacks");
	if (zVals && (deletion || (vals = json_loads(zVals, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
		      !json_is_object(vals))) {
		error = corrupt(seq, "its values are not a JSON object");
		goto done;
	}
	if (zBases && (deletion || (bases = json_loads(zBases, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
		       !json_is_object(bases))) {
		error = corrupt(seq, "its bases are not a JSON object");
		goto done;
	}
	/* the row, for the values of cols and, when classifying, for what it
	 * is and who owns it; a change of a row no longer held carries its
	 * values (a deleted row's sets are dropped, merge.c) */
	if (cols || (rd->classify && !deletion)) {
		if ((rc = row_read(rd, t, zPk, &row)) == SQLITE_DONE && !cols) {
			sqlite3_reset(row);
			row = NULL;
		} else if (rc != SQLITE_ROW) {
			error = rc == SQLITE_DONE ? corrupt(seq, "its row is gone")
						  : vios_store_error(rd->cx.st->db, rc, "reading a changed row");
			goto done;
		}
	}
	/* as crdt_classifier_row reads it: theme when true, else case with its roles */
	if (row && rd->classify) {
		int n = crdt_tables[t].ncol, nomem;
		*cat = sqlite3_column_int(row, n) ? VIOS_CAT_THEME : VIOS_CAT_CASE;
		if (*cat == VIOS_CAT_CASE)
			*roles = crdt_roles_parse((const char *)sqlite3_column_text(row, n + 1));
		*owners = owners_copy(a, row, n + 2, t, &nomem);
		if (nomem) {
			error = vios_error_nomem();
			goto done;
		}
	}
	for (int c = deletion ? 0 : 1; c < (deletion ? 1 : crdt_tables[t].ncol) && error == 0; c++) {
		const char *col = crdt_tables[t].cols[c].name;
		json_t *v = vals ? json_object_get(vals, col) : NULL, *b;
		int in_cols = !deletion && (cols & (1ull << c));
		vios_crdt_pending_op *p;
		vios_crdt_op *op;
		if (!deletion && !in_cols && v == NULL)
			continue;
		if (in_cols && v != NULL) {
			error = corrupt(seq, "a column is both read and carried");
			break;
		}
		if ((p = push(a)) == NULL) {
			error = vios_error_nomem();
			break;
		}
		op = &p->op;
		p->seq = seq;
		op->kind = deletion ? VIOS_OP_DELETE : VIOS_OP_SET;
		op->hlc = hlc;
		if (aPk) {
			p->borrowed = 1;
			op->node = aNode;
			op->tbl = aTbl;
			op->pk = aPk;
			op->col = deletion ? NULL : (char *)col;
		} else if ((op->node = strdup(zNode)) == NULL || (op->tbl = strdup(zTbl)) == NULL ||
			   (op->pk = strdup(zPk)) == NULL || (!deletion && (op->col = strdup(col)) == NULL)) {
			error = vios_error_nomem();
			break;
		}
		if (deletion)
			break;
		if (in_cols) {
			error = set_value(rd, t, c, zPk, hlc, zNode, row, &op->value);
		} else {
			used++;
			if ((error = value_of(&op->value, v)) > 0)
				error = corrupt(seq, "a value is neither null, an integer nor a text");
		}
		if (error == 0 && bases && (b = json_object_get(bases, col)) != NULL) {
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
	if (error == 0 && vals && used != json_object_size(vals))
		error = corrupt(seq, "it sets a column the table lacks");
done:
	if (row)
		sqlite3_reset(row);
	json_decref(vals);
	json_decref(bases);
	return error;
}

int vios_crdt_pending(vios_crdt_pending_op **out, size_t *n, vios_store *st, int64_t after_seq,
		      size_t max, unsigned flags)
{
	sqlite3_stmt *pStmt = NULL;
	oparray a = { NULL, 0, 0, NULL, NULL, 0, 0 };
	vios_crdt_category cat = VIOS_CAT_NONE;
	const vios_crdt_owners *owners = NULL;
	crdt_classifier cl;
	reader rd;
	uint32_t roles = 0;
	int rc, error = 0;

	assert(out != NULL && n != NULL && st != NULL && st->db != NULL);
	*out = NULL;
	*n = 0;
	crdt_classifier_init(&cl, st);
	memset(&rd, 0, sizeof(rd));
	crdt_ctx_init(&rd.cx, st);
	rd.classify = (flags & VIOS_PENDING_CLASSIFY) != 0;
	/* the array at its size at once (a first export lists a million ops),
	 * and the block for the changes' ids and, when classifying, their
	 * rows' owners: only what is used of it is ever touched */
	rc = sqlite3_prepare_v2(st->db, "SELECT coalesce(sum(ops), 0), coalesce(sum(length(CAST(node AS BLOB))"
				" + length(CAST(tbl AS BLOB)) + length(CAST(pk AS BLOB)) + 3 + ?2), 0) FROM crdt_change"
				" WHERE sealed_in IS NULL AND seq > ?1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, after_seq);
		sqlite3_bind_int64(pStmt, 2, rd.classify ? (sqlite3_int64)OWNERS_ROOM : 0);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
			sqlite3_int64 want = sqlite3_column_int64(pStmt, 0), bytes = sqlite3_column_int64(pStmt, 1);
			if (max == 0 && want > 0 && (a.v = vios_bulk_alloc((size_t)want * sizeof(*a.v))) != NULL)
				a.cap = (size_t)want;
			/* without it, smaller blocks come as they are needed */
			if (want > 0 && bytes > 0)
				(void)block_new(&a, (size_t)bytes);
			rc = SQLITE_DONE;
		}
	}
	sqlite3_finalize(pStmt);
	pStmt = NULL;
	if ((error = vios_store_error(st->db, rc, "listing pending changes")) < 0)
		goto done;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT seq, hlc, node, tbl, pk, cols, vals, bases FROM crdt_change"
				" WHERE sealed_in IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, after_seq);
		sqlite3_bind_int64(pStmt, 2, max ? (sqlite3_int64)max : -1);
	}
	if (rc == SQLITE_OK)
		rc = SQLITE_ROW;
	while (rc == SQLITE_ROW && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		size_t first = a.n;
		if ((error = read_change(&a, &rd, pStmt, &cat, &roles, &owners)) < 0)
			goto done;
		if (!(flags & VIOS_PENDING_CLASSIFY) || first == a.n)
			continue;
		/* a change is one row: classified once, by its read when it was
		 * read (the row is there), else as vios_crdt_row_category does */
		if (cat == VIOS_CAT_NONE)
			error = crdt_classifier_category(&cl, &cat, &roles, a.v[first].op.tbl, a.v[first].op.pk);
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
			a.v[i].owners = owners;
		}
	}
	error = vios_store_error(st->db, rc, "listing pending changes");
done:
	sqlite3_finalize(pStmt);
	crdt_classifier_dispose(&cl);
	reader_dispose(&rd);
	/* the block goes with the ops (on their first) */
	if (a.n > 0)
		a.v[0].block = a.head;
	else
		blocks_free(a.head);
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
	for (size_t i = 0; i < n; i++) {
		if (ops[i].borrowed) {
			free(ops[i].op.base_node);
			vios_crdt_value_dispose(&ops[i].op.value);
		} else {
			vios_crdt_op_dispose(&ops[i].op);
		}
		blocks_free(ops[i].block);
	}
	vios_bulk_free(ops);
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
