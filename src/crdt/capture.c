/*
 * capture.c - change capture with the SQLite session extension.
 *
 * vios_crdt_attach registers this file's hooks on a store (the store calls
 * back, it never includes src/crdt). vios_store_tx_begin then opens a
 * session on the synced tables; just before
 * COMMIT the session's changeset (one entry per changed row, with the old
 * and new values of the changed columns) becomes ops: a SET per changed
 * column (every column of an INSERT), a DELETE per deleted row. All ops of
 * the transaction share one new clock. Each op is stored as pending, and
 * merged into this node's own cell state exactly as a remote op would be
 * (history, cell clock, conflicts), so that a local write's base clock is
 * what this node held before it. A deleted row keeps the category and
 * roles it had (from the changeset's old values), for the exporter.
 *
 * A change other nodes would refuse (a record id that is not a UUID, text
 * that is not UTF-8, a row inserted again after its deletion) fails the
 * commit: the whole transaction rolls back.
 */
#include "crdt/internal.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A deleted row's category and roles as they were before the transaction
 * (crdt_capture_snapshot). */
typedef struct {
	int t;
	char pk[37];
	vios_crdt_category cat;
	uint32_t roles;
} snapshot;

/* A store's capture state: the open transaction's session, or NULL. */
typedef struct {
	sqlite3_session *session;
	int unjudged; /* vios_crdt_attach_unjudged: no mandate check */
	snapshot *snaps; /* of the open transaction */
	size_t nsnaps;
} capture_state;

/* Ends the session, if any, without storing anything. */
static void capture_abort(void *ctx, vios_store *st)
{
	capture_state *cs = ctx;

	(void)st;
	assert(cs != NULL);
	if (cs->session) {
		sqlite3session_delete(cs->session);
		cs->session = NULL;
	}
	free(cs->snaps);
	cs->snaps = NULL;
	cs->nsnaps = 0;
}

int crdt_capture_snapshot(vios_store *st, int t, const char *pk, vios_crdt_category cat, uint32_t roles)
{
	capture_state *cs;
	snapshot *v;

	assert(st != NULL && t >= 0 && t < CRDT_NTABLES && pk != NULL);
	if (!vios_store_tx_captured(st) || (cs = st->capture_ctx) == NULL || cs->session == NULL) {
		vios_error_set(VIOS_ERR_STORE, "erase: no captured transaction is open");
		return VIOS_ERROR;
	}
	if ((v = realloc(cs->snaps, (cs->nsnaps + 1) * sizeof(*v))) == NULL)
		return vios_error_nomem();
	cs->snaps = v;
	v[cs->nsnaps].t = t;
	snprintf(v[cs->nsnaps].pk, sizeof(v[0].pk), "%s", pk);
	v[cs->nsnaps].cat = cat;
	v[cs->nsnaps].roles = roles;
	cs->nsnaps++;
	return 0;
}

/* The snapshot taken of (t, pk) in this transaction, or NULL. */
static const snapshot *snapshot_of(vios_store *st, int t, const char *pk)
{
	capture_state *cs = st->capture_ctx;

	for (size_t i = 0; cs && i < cs->nsnaps; i++)
		if (cs->snaps[i].t == t && !strcmp(cs->snaps[i].pk, pk))
			return &cs->snaps[i];
	return NULL;
}

/* After BEGIN: starts a session on the synced tables. */
static int capture_begin(void *ctx, vios_store *st)
{
	capture_state *cs = ctx;
	sqlite3_session *s = NULL;
	int rc;

	assert(cs != NULL && st != NULL);
	capture_abort(cs, st);
	rc = sqlite3session_create(st->db, "main", &s);
	for (int t = 0; rc == SQLITE_OK && t < CRDT_NTABLES; t++)
		rc = sqlite3session_attach(s, crdt_tables[t].name);
	if (rc != SQLITE_OK) {
		if (s)
			sqlite3session_delete(s);
		return vios_store_error(st->db, rc, "starting change capture");
	}
	cs->session = s;
	return 0;
}

/* One captured op and, for a DELETE, the row's category snapshot. */
typedef struct {
	vios_crdt_op op;
	const char *cat;
	uint32_t roles;
	char owner[37]; /* DELETE: the row's origin ("" when none) */
} captured;

typedef struct {
	captured *v;
	size_t n, cap;
} oplist;

static captured *push(oplist *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		captured *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static void oplist_dispose(oplist *l)
{
	for (size_t i = 0; i < l->n; i++)
		vios_crdt_op_dispose(&l->v[i].op);
	free(l->v);
}

/* The ops of one changeset entry, appended to l (clocks stamped later). */
static int capture_change(crdt_ctx *cx, sqlite3_changeset_iter *it, oplist *l, uint64_t *maxbase)
{
	const char *zTab;
	int nCol, kind, indirect, t, rc, found, error;
	sqlite3_value *pkv = NULL, *v;
	const char *pk;
	captured *cp;

	if ((rc = sqlite3changeset_op(it, &zTab, &nCol, &kind, &indirect)) != SQLITE_OK)
		return vios_store_error(cx->st->db, rc, "capturing changes");
	if ((t = crdt_table_index(zTab)) < 0 || nCol != crdt_tables[t].ncol) {
		vios_error_set(VIOS_ERR_STORE, "capture: table %s does not match the synced tables", zTab);
		return VIOS_ERROR;
	}
	rc = kind == SQLITE_INSERT ? sqlite3changeset_new(it, 0, &pkv) : sqlite3changeset_old(it, 0, &pkv);
	if (rc != SQLITE_OK || pkv == NULL || sqlite3_value_type(pkv) != SQLITE_TEXT ||
	    !vios_uuid_valid((pk = (const char *)sqlite3_value_text(pkv)))) {
		vios_error_set(VIOS_ERR_INPUT, "cannot share a change to %s: its id is not a UUID; nothing was written", zTab);
		return VIOS_EUSAGE;
	}

	if (kind == SQLITE_DELETE) {
		sqlite3_value *vals[CRDT_MAXCOL];
		for (int c = 0; c < nCol; c++)
			if ((rc = sqlite3changeset_old(it, c, &vals[c])) != SQLITE_OK)
				return vios_store_error(cx->st->db, rc, "capturing changes");
		if ((cp = push(l)) == NULL)
			return vios_error_nomem();
		cp->op.kind = VIOS_OP_DELETE;
		if ((cp->op.tbl = strdup(zTab)) == NULL || (cp->op.pk = strdup(pk)) == NULL)
			return vios_error_nomem();
		vios_crdt_category cat;
		if ((error = crdt_values_classify(cx->st, t, vals, &cat, &cp->roles)) < 0)
			return error;
		/* rows deleted together (an erasure): the roles each had before any went */
		const snapshot *sn = snapshot_of(cx->st, t, pk);
		if (sn) {
			if (sn->cat == VIOS_CAT_CASE)
				cat = VIOS_CAT_CASE;
			cp->roles |= sn->roles;
		}
		cp->cat = vios_crdt_category_name(cat);
		if (vals[1] && sqlite3_value_type(vals[1]) == SQLITE_TEXT && sqlite3_value_bytes(vals[1]) < 37)
			strcpy(cp->owner, (const char *)sqlite3_value_text(vals[1])); /* cols[1] is origin */
		return 0;
	}
	if (kind == SQLITE_INSERT) {
		if ((error = crdt_tomb_get(cx, zTab, pk, &found)) < 0)
			return error;
		if (found) {
			vios_error_set(VIOS_ERR_INPUT, "cannot add %s %s again: it was deleted, and a deleted record"
				       " stays deleted; nothing was written", zTab, pk);
			return VIOS_EUSAGE;
		}
	}
	for (int c = 1; c < nCol; c++) {
		uint64_t bhlc;
		char bnode[37];
		v = NULL;
		if ((rc = sqlite3changeset_new(it, c, &v)) != SQLITE_OK)
			return vios_store_error(cx->st->db, rc, "capturing changes");
		if (v == NULL) /* an UPDATE that left this column alone */
			continue;
		if ((cp = push(l)) == NULL)
			return vios_error_nomem();
		cp->op.kind = VIOS_OP_SET;
		if ((cp->op.tbl = strdup(zTab)) == NULL || (cp->op.pk = strdup(pk)) == NULL ||
		    (cp->op.col = strdup(crdt_tables[t].cols[c].name)) == NULL ||
		    (error = crdt_value_from_sqlite(&cp->op.value, v)) < 0)
			return vios_error_nomem();
		if ((error = crdt_cell_get(cx, zTab, pk, cp->op.col, &found, &bhlc, bnode)) < 0)
			return error;
		if (found) {
			cp->op.base_hlc = bhlc;
			if ((cp->op.base_node = strdup(bnode)) == NULL)
				return vios_error_nomem();
			if (bhlc > *maxbase)
				*maxbase = bhlc;
		}
	}
	return 0;
}

/* v as JSON (a synced column holds NULL, an integer or a text). */
static json_t *value_json(const vios_crdt_value *v)
{
	switch (v->type) {
	case VIOS_VAL_INT:
		return json_integer((json_int_t)v->u.i);
	case VIOS_VAL_TEXT:
		return json_stringn(v->u.text.p, v->u.text.len);
	case VIOS_VAL_NULL:
		return json_null();
	default: /* crdt_op_check refused it before */
		assert(0);
		return NULL;
	}
}

/*
 * Stores ops[0..n), the ops of one row (all of one clock), as one pending
 * change (crdt_change, schema/0017): a deletion, or the sets as a bit mask
 * of their columns, whose values are read when they are exported, except
 * the references, which the change carries in vals (a local delete keeps
 * them after the row is gone); the bases that are not 0 as a JSON object of
 * column to [hlc, node].
 */
static int store_change(crdt_ctx *cx, const captured *ops, size_t n)
{
	const vios_crdt_op *op = &ops[0].op;
	int t = crdt_table_index(op->tbl), rc, error = 0;
	sqlite3_stmt *pStmt = crdt_q(cx, Q_PENDING_ADD);
	json_t *vals = NULL, *bases = NULL;
	char *zVals = NULL, *zBases = NULL;
	uint64_t cols = 0;

	if (pStmt == NULL)
		return VIOS_ERROR;
	for (size_t i = 0; op->kind == VIOS_OP_SET && i < n && error == 0; i++) {
		const vios_crdt_op *o = &ops[i].op;
		assert(o->kind == VIOS_OP_SET && o->hlc == op->hlc && !strcmp(o->pk, op->pk));
		if (crdt_is_ref(o->tbl, o->col)) {
			if ((vals == NULL && (vals = json_object()) == NULL) ||
			    json_object_set_new(vals, o->col, value_json(&o->value)) < 0)
				error = vios_error_nomem();
		} else {
			cols |= 1ull << crdt_col_index(&crdt_tables[t], o->col);
		}
		if (error == 0 && o->base_hlc &&
		    ((bases == NULL && (bases = json_object()) == NULL) ||
		     json_object_set_new(bases, o->col, json_pack("[Is]", (json_int_t)o->base_hlc,
								  o->base_node ? o->base_node : "")) < 0))
			error = vios_error_nomem();
	}
	if (error == 0 && ((vals && (zVals = json_dumps(vals, JSON_COMPACT)) == NULL) ||
			   (bases && (zBases = json_dumps(bases, JSON_COMPACT)) == NULL)))
		error = vios_error_nomem();
	if (error == 0) {
		sqlite3_bind_int64(pStmt, 1, (sqlite3_int64)op->hlc);
		sqlite3_bind_text(pStmt, 2, op->node, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 3, op->tbl, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 4, op->pk, -1, SQLITE_STATIC);
		if (op->kind == VIOS_OP_SET)
			sqlite3_bind_int64(pStmt, 5, (sqlite3_int64)cols);
		if (zVals)
			sqlite3_bind_text(pStmt, 6, zVals, -1, SQLITE_STATIC);
		if (zBases)
			sqlite3_bind_text(pStmt, 7, zBases, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 8, (sqlite3_int64)n);
		rc = sqlite3_step(pStmt);
		sqlite3_reset(pStmt);
		error = vios_store_error(cx->st->db, rc, "storing a pending change");
	}
	json_decref(vals);
	json_decref(bases);
	free(zVals);
	free(zBases);
	return error;
}

/*
 * The mandate in force judges this node's own ops before anything is
 * stored (crdt/mandate.h), on the rows as the transaction left them: a
 * command outside the mandate fails its commit and writes nothing.
 */
static int judge_local(vios_store *st, oplist *l)
{
	vios_mandate m;
	vios_mandate_writer w = { st->node->node_id, vios_kind_index(st->node->kind),
				  vios_role_index(st->node->role), st->node->name };
	crdt_judge jd;
	char why[300];
	int error = 0;

	if ((error = vios_mandate_load(&m, st, 0)) < 0)
		return error;
	crdt_judge_init(&jd, st, &m);
	for (size_t i = 0; i < l->n && error == 0; i++) {
		const vios_crdt_op *op = &l->v[i].op;
		int verdict;
		if (op->kind == VIOS_OP_DELETE) {
			/* the row is gone: its owner comes from the changeset */
			vios_mandate_row row = { 1, 0, l->v[i].owner[0] ? l->v[i].owner : NULL, NULL, NULL, 0, NULL, 0 };
			verdict = vios_mandate_judge(why, sizeof(why), &m, &w, &row, op);
		} else if ((error = crdt_judge_op(&jd, &w, op, &verdict, why, sizeof(why))) < 0)
			break;
		if (verdict == VIOS_MANDATE_UNKNOWN) {
			snprintf(why, sizeof(why), "the owner of %s %s is not known here", op->tbl, op->pk);
			verdict = VIOS_MANDATE_DENIED;
		}
		if (verdict == VIOS_MANDATE_DENIED) {
			vios_error_set(VIOS_ERR_INPUT, "mandate: %s", why);
			error = VIOS_EDENIED;
		}
	}
	if (error == 0) {
		size_t bad;
		vios_crdt_op *ops = malloc((l->n ? l->n : 1) * sizeof(*ops));
		if (ops == NULL)
			error = vios_error_nomem();
		for (size_t i = 0; ops && i < l->n; i++)
			ops[i] = l->v[i].op;
		if (ops && (error = crdt_judge_counts(&jd, ops, l->n, &bad, why, sizeof(why))) == VIOS_EDENIED)
			vios_error_set(VIOS_ERR_INPUT, "mandate: %s", why);
		free(ops);
	}
	crdt_judge_dispose(&jd);
	return error;
}

static int capture_changeset(vios_store *st, int n, void *p)
{
	sqlite3_changeset_iter *it = NULL;
	oplist l = { 0 };
	crdt_ctx cx;
	uint64_t local, hlc, maxbase = 0;
	char why[200];
	int rc, cascade = 0, error = 0;

	crdt_ctx_init(&cx, st);
	if ((rc = sqlite3changeset_start(&it, n, p)) != SQLITE_OK) {
		error = vios_store_error(st->db, rc, "capturing changes");
		goto done;
	}
	while ((rc = sqlite3changeset_next(it)) == SQLITE_ROW)
		if ((error = capture_change(&cx, it, &l, &maxbase)) < 0)
			goto done;
	if (rc != SQLITE_DONE) {
		error = vios_store_error(st->db, rc, "capturing changes");
		goto done;
	}
	if (l.n == 0)
		goto done;

	/* One clock for the transaction, newer than every value it replaced. */
	if ((error = crdt_clock_load(st->db, &local)) < 0)
		goto done;
	hlc = vios_hlc_next(local > maxbase ? local : maxbase, vios_now_ms());
	for (size_t i = 0; i < l.n; i++) {
		vios_crdt_op *op = &l.v[i].op;
		op->hlc = hlc;
		if ((op->node = strdup(st->node->node_id)) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		if (crdt_op_check(op, why, sizeof(why)) < 0) {
			vios_error_set(VIOS_ERR_INPUT, "cannot share this change: %s; nothing was written", why);
			error = VIOS_EUSAGE;
			goto done;
		}
	}
	if (!((capture_state *)st->capture_ctx)->unjudged && (error = judge_local(st, &l)) < 0)
		goto done;
	for (size_t i = 0; i < l.n; i++) {
		const vios_crdt_op *op = &l.v[i].op;
		int effect;
		/* a changeset entry's ops are a run: one pending change per row */
		if (i == 0 || strcmp(op->pk, l.v[i - 1].op.pk) || strcmp(op->tbl, l.v[i - 1].op.tbl)) {
			size_t j = i + 1;
			while (j < l.n && !strcmp(l.v[j].op.pk, op->pk) && !strcmp(l.v[j].op.tbl, op->tbl))
				j++;
			if ((error = store_change(&cx, &l.v[i], j - i)) < 0)
				goto done;
		}
		if (op->kind == VIOS_OP_SET)
			error = crdt_merge_set(&cx, op, 0, &effect);
		else
			error = crdt_merge_delete(&cx, op, l.v[i].cat, l.v[i].roles, 1, &effect);
		if (error < 0)
			goto done;
		cascade |= op->kind == VIOS_OP_DELETE || crdt_is_ref(op->tbl, op->col);
	}
	if ((error = crdt_ctx_flush(&cx)) < 0)
		goto done;
	/* the session has ended: the cascade's local deletes are not captured */
	if (cascade && (error = crdt_cascade(&cx, NULL)) < 0)
		goto done;
	error = crdt_clock_save(st->db, hlc);
done:
	sqlite3changeset_finalize(it);
	crdt_ctx_dispose(&cx);
	oplist_dispose(&l);
	return error;
}

/* Before COMMIT: turns the session's changeset into ops stamped with one
 * new clock and stores them; ends the session. 0 when nothing was captured. */
static int capture_commit(void *ctx, vios_store *st)
{
	capture_state *cs = ctx;
	sqlite3_session *s;
	void *p = NULL;
	int n = 0, rc, error;

	assert(cs != NULL && st != NULL);
	if ((s = cs->session) == NULL)
		return 0;
	cs->session = NULL;
	rc = sqlite3session_changeset(s, &n, &p);
	sqlite3session_delete(s);
	if (rc != SQLITE_OK) {
		sqlite3_free(p);
		return vios_store_error(st->db, rc, "capturing changes");
	}
	error = n > 0 ? capture_changeset(st, n, p) : 0;
	sqlite3_free(p);
	capture_abort(cs, st); /* the snapshots */
	return error;
}

static void capture_destroy(void *ctx)
{
	capture_state *cs = ctx;

	if (cs == NULL)
		return;
	assert(cs->session == NULL);
	free(cs);
}

int crdt_capture_pause(vios_store *st, int paused)
{
	capture_state *cs;

	assert(st != NULL);
	if (!vios_store_tx_captured(st) || (cs = st->capture_ctx) == NULL || cs->session == NULL) {
		vios_error_set(VIOS_ERR_STORE, "erase: no captured transaction is open");
		return VIOS_ERROR;
	}
	sqlite3session_enable(cs->session, !paused);
	return 0;
}

static const vios_store_capture_hooks capture_hooks = {
	capture_begin, capture_commit, capture_abort, capture_destroy,
};

int vios_crdt_attach(vios_store *st)
{
	capture_state *cs;

	assert(st != NULL && st->db != NULL);
	assert(!vios_store_tx_captured(st));
	if (st->capture_hooks == &capture_hooks)
		return 0;
	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return vios_error_nomem();
	return vios_store_set_capture(st, &capture_hooks, cs);
}

int vios_crdt_attach_unjudged(vios_store *st)
{
	int error;

	if ((error = vios_crdt_attach(st)) < 0)
		return error;
	((capture_state *)st->capture_ctx)->unjudged = 1;
	return 0;
}

/* Hands out a store just opened (error: what opening it said) with capture attached, or frees it. */
static int attached(vios_store **out, vios_store *st, int error)
{
	if (error == 0)
		error = vios_crdt_attach(st);
	if (error < 0) {
		vios_store_free(st);
		return error;
	}
	*out = st;
	return 0;
}

int vios_crdt_store_open(vios_store **out, const vios_node *node)
{
	vios_store *st = NULL;
	int error;

	assert(out != NULL && node != NULL);
	*out = NULL;
	error = vios_store_open(&st, node);
	return attached(out, st, error);
}

int vios_crdt_store_open_temp(vios_store **out, const vios_node *node, const char *dir)
{
	vios_store *st = NULL;
	int error;

	assert(out != NULL && node != NULL && dir != NULL);
	*out = NULL;
	error = vios_store_open_temp(&st, node, dir);
	return attached(out, st, error);
}
