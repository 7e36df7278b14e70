/*
 * test_crdt.c - change capture, the hybrid logical clock, the per-column
 * LWW merge, tombstones, conflicts, categories and the digest (src/crdt).
 *
 * Every test builds its own sandbox of nodes (homes made with the cheap
 * Argon2id preset) under a temporary directory and removes it. Ops travel
 * between nodes as vios_crdt_pending gives them, the way an exporter would
 * hand them to a bundle.
 *
 * The convergence test is seeded: it prints its seed, and VIOS_TEST_SEED=N
 * replays one run; VIOS_TEST_SCHEDULES=N changes how many delivery
 * schedules it tries (default 8). VIOS_TEST_FILTER=PATTERN runs only the
 * tests whose names match (cmocka's glob).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crdt/crdt.h"
#include "crdt/mandate.h"
#include "node/node.h"
#include "node/vocab.h"
#include "store/records.h"
#include "store/store.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

#define MAXN 6

typedef fx_node tnode;

typedef struct {
	fx_world w;
	tnode n[MAXN];
	int count;
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-crdt"));
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;

	for (int i = 0; i < sb->count; i++)
		fx_node_dispose(&sb->n[i]);
	fx_world_dispose(&sb->w);
	free(sb);
	return 0;
}

/* Makes school nodes n<i> until sb->count == k, each with an open store. */
static void nodes(sandbox *sb, int k)
{
	char name[16];

	for (; sb->count < k; sb->count++) {
		snprintf(name, sizeof(name), "n%d", sb->count);
		FX_OK(fx_node_make(&sb->n[sb->count], &sb->w, name, "school", NULL));
		/* the merge engine alone: every node writes every row (no mandate) */
		FX_OK(vios_crdt_attach_unjudged(sb->n[sb->count].st));
	}
}

/* ---- helpers -------------------------------------------------------------- */

static void sql(tnode *t, const char *zSql)
{
	char *err = NULL;
	if (sqlite3_exec(t->st->db, zSql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", zSql, err ? err : "?");
}

/* Runs zSql in one captured transaction. */
static void tx(tnode *t, const char *zSql)
{
	assert_int_equal(vios_store_tx_begin(t->st), 0);
	sql(t, zSql);
	assert_int_equal(vios_store_tx_commit(t->st), 0);
}

static int64_t one_int(tnode *t, const char *zSql)
{
	sqlite3_stmt *pStmt = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(t->st->db, zSql, -1, &pStmt, NULL), SQLITE_OK);
	if (sqlite3_step(pStmt) == SQLITE_ROW)
		v = sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return v;
}

static void digest(tnode *t, const char *cat, char out[65])
{
	assert_int_equal(vios_crdt_digest(out, t->st, cat), 0);
	assert_int_equal(strlen(out), 64);
}

/* The conflict list without the local recorded_at, as canonical JSON. */
static char *conflicts_canon(tnode *t)
{
	json_t *rows = NULL, *row;
	size_t i;
	char *s;

	assert_int_equal(vios_crdt_conflicts(&rows, t->st), 0);
	json_array_foreach(rows, i, row)
		json_object_del(row, "recorded_at");
	s = json_dumps(rows, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(rows);
	assert_non_null(s);
	return s;
}

static size_t nconflicts(tnode *t)
{
	json_t *rows = NULL;
	size_t n;
	assert_int_equal(vios_crdt_conflicts(&rows, t->st), 0);
	n = json_array_size(rows);
	json_decref(rows);
	return n;
}

/* A growing array of ops (deep copies). */
typedef struct {
	vios_crdt_op *v;
	size_t n, cap;
} pool;

static void pool_add(pool *p, const vios_crdt_op *op)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		assert_non_null(p->v);
	}
	assert_int_equal(vios_crdt_op_copy(&p->v[p->n++], op), 0);
}

static void pool_free(pool *p)
{
	vios_crdt_ops_free(p->v, p->n);
	memset(p, 0, sizeof(*p));
}

static int same_op(const vios_crdt_op *a, const vios_crdt_op *b)
{
	return a->hlc == b->hlc && !strcmp(a->node, b->node) && !strcmp(a->tbl, b->tbl) && !strcmp(a->pk, b->pk) &&
	       ((a->col == NULL && b->col == NULL) || (a->col && b->col && !strcmp(a->col, b->col)));
}

/* Adds t's pending ops not in p yet; returns how many pending ops t has. */
static size_t take(pool *p, tnode *t)
{
	vios_crdt_pending_op *v = NULL;
	size_t n = 0;

	assert_int_equal(vios_crdt_pending(&v, &n, t->st, 0, 0, 0), 0);
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < p->n && !same_op(&p->v[j], &v[i].op); j++)
			;
		if (j == p->n)
			pool_add(p, &v[i].op);
	}
	vios_crdt_pending_free(v, n);
	return n;
}

static void apply_ok(tnode *t, const vios_crdt_op *ops, size_t n)
{
	vios_crdt_report rep;
	if (vios_crdt_apply(&rep, t->st, ops, n, NULL) != 0)
		fail_msg("apply: %s", vios_error_last());
}

/* t's pending ops, applied to u. */
static void ship(tnode *t, tnode *u)
{
	pool p = { 0 };
	take(&p, t);
	apply_ok(u, p.v, p.n);
	pool_free(&p);
}

static vios_crdt_value vtext(const char *s)
{
	vios_crdt_value v = { .type = VIOS_VAL_TEXT };
	v.u.text.p = (char *)s;
	v.u.text.len = strlen(s);
	return v;
}

static vios_crdt_value vint(int64_t i)
{
	vios_crdt_value v = { .type = VIOS_VAL_INT };
	v.u.i = i;
	return v;
}

/* A set op pointing at the caller's strings (never disposed). */
static vios_crdt_op mkset(uint64_t hlc, const char *node, const char *tbl, const char *pk, const char *col,
			  vios_crdt_value v, uint64_t bh, const char *bn)
{
	vios_crdt_op op = { 0 };
	op.kind = VIOS_OP_SET;
	op.hlc = hlc;
	op.node = (char *)node;
	op.tbl = (char *)tbl;
	op.pk = (char *)pk;
	op.col = (char *)col;
	op.value = v;
	op.base_hlc = bh;
	op.base_node = (char *)bn;
	return op;
}

static void add_pupil(tnode *t, char id[37], const char *name)
{
	vios_field f[] = { { "name", name }, { "class", "2B" } };
	assert_int_equal(vios_record_add(id, t->st, "pupil", f, 2), 0);
}

static vios_crdt_pending_op *pending(tnode *t, size_t *n)
{
	vios_crdt_pending_op *v = NULL;
	assert_int_equal(vios_crdt_pending(&v, n, t->st, 0, 0, VIOS_PENDING_CLASSIFY), 0);
	return v;
}

/* ---- schema and capture ---------------------------------------------------- */

static void test_crdt_schema__column_lists_match_the_store(void **state)
{
	sandbox *sb = *state;
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	for (const char *const *t = vios_crdt_tables(); *t; t++) {
		const char *const *cols = vios_crdt_columns(*t);
		char q[128];
		json_t *rows = NULL;
		snprintf(q, sizeof(q), "SELECT name, pk FROM pragma_table_info('%s') ORDER BY cid", *t);
		assert_int_equal(vios_query(&rows, a->st, q, NULL, 0), 0);
		assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "name")), "id");
		assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "pk")), 1);
		for (size_t i = 1; i < json_array_size(rows); i++) {
			assert_non_null(cols[i - 1]);
			assert_string_equal(json_string_value(json_object_get(json_array_get(rows, i), "name")),
					    cols[i - 1]);
		}
		assert_null(cols[json_array_size(rows) - 1]);
		json_decref(rows);
	}
	assert_null(vios_crdt_columns("access_log"));
	/* the signal category's SQL names pupil_id's bit in crdt_row (crdt.c, SIGNAL_PUPIL_COL) */
	assert_string_equal(vios_crdt_columns("signal")[8 - 1], "pupil_id");
}

static void test_crdt_capture__insert_sets_every_column_with_one_clock(void **state)
{
	sandbox *sb = *state;
	vios_crdt_pending_op *v;
	size_t n;
	char id[37];
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	add_pupil(a, id, "Ada");
	v = pending(a, &n);
	assert_int_equal(n, 8); /* every pupil column but id */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].op.kind, VIOS_OP_SET);
		assert_int_equal(v[i].op.hlc, v[0].op.hlc);
		assert_string_equal(v[i].op.node, a->node->node_id);
		assert_string_equal(v[i].op.tbl, "pupil");
		assert_string_equal(v[i].op.pk, id);
		assert_string_equal(v[i].op.col, vios_crdt_columns("pupil")[i]);
		assert_int_equal(v[i].op.base_hlc, 0);
		assert_null(v[i].op.base_node);
		assert_int_equal(v[i].category, VIOS_CAT_CASE);
		assert_int_equal(vios_crdt_op_validate(&v[i].op), 0);
		if (!strcmp(v[i].op.col, "name")) {
			assert_int_equal(v[i].op.value.type, VIOS_VAL_TEXT);
			assert_string_equal(v[i].op.value.u.text.p, "Ada");
		} else if (!strcmp(v[i].op.col, "over16")) { /* the column default, typed */
			assert_int_equal(v[i].op.value.type, VIOS_VAL_INT);
			assert_int_equal(v[i].op.value.u.i, 0);
		} else if (!strcmp(v[i].op.col, "birth_date")) {
			assert_int_equal(v[i].op.value.type, VIOS_VAL_NULL);
		}
		assert_true(v[i].seq == v[0].seq); /* one change: the row's ops share its seq */
	}
	{
		uint64_t clock;
		assert_int_equal(vios_crdt_clock_get(&clock, a->st), 0);
		assert_int_equal(clock, v[0].op.hlc);
		assert_true(VIOS_HLC_MS(clock) + 5000 > vios_now_ms());
	}
	vios_crdt_pending_free(v, n);
}

static void test_crdt_capture__updates_carry_changed_columns_and_base_clocks(void **state)
{
	sandbox *sb = *state;
	vios_crdt_pending_op *v;
	size_t n;
	char mid[37], aid[37], q[256];
	uint64_t h_insert, h_done;
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	{
		vios_field m[] = { { "kind", "thematic" }, { "date", "2026-11-02" } };
		vios_field f[] = { { "meeting_id", mid }, { "owner_role", "police" }, { "action", "patrol" },
				   { "due_date", "2026-12-01" } };
		assert_int_equal(vios_record_add(mid, a->st, "meeting", m, 2), 0);
		assert_int_equal(vios_record_add(aid, a->st, "agreement", f, 4), 0);
	}
	v = pending(a, &n);
	h_insert = v[n - 1].op.hlc;
	assert_true(h_insert > v[0].op.hlc); /* two transactions, two clocks */
	vios_crdt_pending_free(v, n);

	/* through the records API: status and done_at change, feedback is given */
	assert_int_equal(vios_agreement_done(a->st, aid, "done on time"), 0);
	/* plain SQL inside a transaction: one column */
	snprintf(q, sizeof(q), "UPDATE agreement SET feedback = 'later note' WHERE id = '%s'", aid);
	tx(a, q);
	/* a transaction that changes nothing makes no op and no clock */
	snprintf(q, sizeof(q), "UPDATE agreement SET feedback = 'later note' WHERE id = '%s'", aid);
	tx(a, q);

	v = pending(a, &n);
	assert_int_equal(n, 9 + 10 + 3 + 1); /* meeting, agreement, done, feedback */
	h_done = v[19].op.hlc;
	assert_true(h_done > h_insert);
	for (size_t i = 19; i < 22; i++) {
		assert_int_equal(v[i].op.hlc, h_done);
		assert_string_equal(v[i].op.pk, aid);
		assert_int_equal(v[i].op.base_hlc, h_insert); /* the clock each cell had before */
		assert_string_equal(v[i].op.base_node, a->node->node_id);
		assert_int_equal(v[i].category, VIOS_CAT_THEME);
	}
	assert_string_equal(v[19].op.col, "status");
	assert_string_equal(v[20].op.col, "feedback");
	assert_string_equal(v[21].op.col, "done_at");
	assert_string_equal(v[22].op.col, "feedback");
	assert_true(v[22].op.hlc > h_done);
	assert_int_equal(v[22].op.base_hlc, h_done);
	assert_string_equal(v[22].op.value.u.text.p, "later note");
	assert_int_equal(one_int(a, "SELECT hlc FROM crdt_clock"), (int64_t)v[22].op.hlc);
	vios_crdt_pending_free(v, n);
}

static void test_crdt_capture__delete_is_a_tombstone_and_drops_unsent_sets(void **state)
{
	sandbox *sb = *state;
	vios_crdt_pending_op *v;
	vios_crdt_category cat;
	uint32_t roles;
	size_t n;
	char p1[37], p2[37], cid[37], q[256];
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	add_pupil(a, p1, "Bo");
	{
		vios_field f[] = { { "pupil_id", p1 }, { "roles", "police,youth-work" }, { "basis", "public-task" }, { "parents_informed", "1" } };
		assert_int_equal(vios_record_add(cid, a->st, "case_file", f, 4), 0);
	}
	/* the first pupil and its case leave in a bundle */
	v = pending(a, &n);
	assert_int_equal(vios_store_tx_begin(a->st), 0);
	assert_int_equal(vios_crdt_mark_sealed(a->st, v[n - 1].seq, "seq 1"), 0);
	assert_int_equal(vios_store_tx_commit(a->st), 0);
	vios_crdt_pending_free(v, n);
	add_pupil(a, p2, "Cy");

	assert_int_equal(vios_store_tx_begin(a->st), 0);
	snprintf(q, sizeof(q), "DELETE FROM pupil WHERE id IN ('%s', '%s')", p1, p2);
	sql(a, q);
	assert_int_equal(vios_store_tx_commit(a->st), 0);

	v = pending(a, &n);
	/* p2's unsent sets are gone; two tombstones with one clock remain */
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].op.kind, VIOS_OP_DELETE);
		assert_null(v[i].op.col);
		assert_int_equal(v[i].op.hlc, v[0].op.hlc);
		assert_int_equal(vios_crdt_op_validate(&v[i].op), 0);
		assert_int_equal(v[i].category, VIOS_CAT_CASE);
	}
	/* p1 was in a case: its deletion keeps the roles it went to */
	assert_int_equal(vios_crdt_row_category(&cat, &roles, a->st, "pupil", p1), 0);
	assert_int_equal(cat, VIOS_CAT_CASE);
	assert_int_equal(roles, VIOS_ROLE_POLICE | VIOS_ROLE_YOUTH_WORK);
	vios_crdt_pending_free(v, n);
	/* what was sent of a deleted row is not kept (docs/lifecycle.md); the
	 * case went with its pupil by the cascade, its sent ops too */
	assert_int_equal(one_int(a, "SELECT count(*) FROM crdt_change WHERE sealed_in = 'seq 1'"), 0);
	assert_int_equal(one_int(a, "SELECT count(*) FROM case_file"), 0);
	assert_int_equal(one_int(a, "SELECT (SELECT count(*) FROM crdt_cell WHERE tbl = 'pupil')"
				    " + (SELECT count(*) FROM crdt_row WHERE tbl = 'pupil')"), 0);

	/* a deleted record cannot come back under its old id */
	assert_int_equal(vios_store_tx_begin(a->st), 0);
	snprintf(q, sizeof(q), "INSERT INTO pupil(id, name) VALUES ('%s', 'again')", p1);
	sql(a, q);
	assert_int_equal(vios_store_tx_commit(a->st), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "stays deleted"));
	assert_int_equal(one_int(a, "SELECT count(*) FROM pupil"), 0);
}

static void test_crdt_capture__access_log_and_local_tables_make_no_ops(void **state)
{
	sandbox *sb = *state;
	uint64_t c0, c1;
	size_t n;
	char id[37];
	json_t *doc = NULL;
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	add_pupil(a, id, "Di");
	assert_int_equal(vios_crdt_pending_count(&n, a->st), 0);
	assert_int_equal(n, 8);
	assert_int_equal(vios_crdt_clock_get(&c0, a->st), 0);

	assert_int_equal(vios_store_tx_begin(a->st), 0);
	assert_int_equal(vios_store_log(a->st, "export", "pupil", id, "test"), 0);
	sql(a, "INSERT INTO crdt_conflict VALUES ('x', 'y', 'z', 1, 'n', NULL, 2, 'm', 'now')");
	sql(a, "DELETE FROM crdt_conflict");
	assert_int_equal(vios_store_tx_commit(a->st), 0);
	assert_int_equal(vios_pupil_show(&doc, a->st, id), 0); /* logs a read */
	json_decref(doc);

	/* an uncaptured transaction is not shared at all */
	assert_int_equal(vios_store_tx_begin_uncaptured(a->st), 0);
	sql(a, "UPDATE pupil SET class = '3C'");
	assert_int_equal(vios_store_tx_commit(a->st), 0);

	assert_int_equal(vios_crdt_pending_count(&n, a->st), 0);
	assert_int_equal(n, 8);
	assert_int_equal(vios_crdt_clock_get(&c1, a->st), 0);
	assert_int_equal(c0, c1);
	assert_true(one_int(a, "SELECT count(*) FROM access_log") >= 3);
}

static void test_crdt_capture__text_other_nodes_would_refuse_fails_the_commit(void **state)
{
	sandbox *sb = *state;
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	assert_int_equal(vios_store_tx_begin(a->st), 0);
	sql(a, "INSERT INTO trend(id, theme, period, level) VALUES ('not-a-uuid', 'weapons', '2026-11', 'rising')");
	assert_int_equal(vios_store_tx_commit(a->st), VIOS_EUSAGE);
	assert_int_equal(vios_store_tx_begin(a->st), 0);
	sql(a, "INSERT INTO trend(id, theme, period, level, note) VALUES"
	       " ('01890a5d-ac96-774b-bcce-b302099a8057', 'weapons', '2026-11', 'rising', CAST(X'C328' AS TEXT))");
	assert_int_equal(vios_store_tx_commit(a->st), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "UTF-8"));
	assert_int_equal(one_int(a, "SELECT count(*) FROM trend"), 0);
	assert_int_equal(one_int(a, "SELECT count(*) FROM crdt_change"), 0);
}

static void test_crdt_pending__paging_and_sealing_in_the_exporters_transaction(void **state)
{
	sandbox *sb = *state;
	vios_crdt_pending_op *v = NULL;
	size_t n, left;
	char id[37];
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	add_pupil(a, id, "Ed");
	add_pupil(a, id, "Flo");
	/* a page is whole changes: Ed's row */
	assert_int_equal(vios_crdt_pending(&v, &n, a->st, 0, 1, 0), 0);
	assert_int_equal(n, 8);
	assert_int_equal(v[0].category, VIOS_CAT_NONE); /* not asked for */
	{
		int64_t last = v[7].seq;
		assert_true(v[0].seq == last);
		vios_crdt_pending_free(v, n);
		assert_int_equal(vios_crdt_pending(&v, &n, a->st, last, 0, 0), 0);
		assert_int_equal(n, 8);
		assert_true(v[0].seq > last);
		vios_crdt_pending_free(v, n);
		/* outside a transaction: refused */
		assert_int_equal(vios_crdt_mark_sealed(a->st, last, "seq 1"), VIOS_ERROR);
		assert_int_equal(vios_store_tx_begin(a->st), 0);
		assert_int_equal(vios_crdt_mark_sealed(a->st, last, "seq 1"), 0);
		assert_int_equal(vios_store_tx_commit(a->st), 0);
	}
	assert_int_equal(vios_crdt_pending_count(&left, a->st), 0);
	assert_int_equal(left, 8);
	/* a rolled back export leaves its ops pending */
	assert_int_equal(vios_store_tx_begin(a->st), 0);
	assert_int_equal(vios_crdt_mark_sealed(a->st, INT64_MAX, "seq 2"), 0);
	vios_store_tx_rollback(a->st);
	assert_int_equal(vios_crdt_pending_count(&left, a->st), 0);
	assert_int_equal(left, 8);
}

/*
 * The listing gives each change its row's owners (crdt.c, owners_sql),
 * read with its row: a signal another node made about this node's pupil
 * is owned by both, each once; a deleted row by nobody.
 */
static void test_crdt_pending__owners_come_with_the_row(void **state)
{
	sandbox *sb = *state;
	vios_crdt_pending_op *v;
	size_t n;
	char pid[37], sid[37], tid[37], q[160];
	tnode *a, *b;

	nodes(sb, 2);
	a = &sb->n[0];
	b = &sb->n[1];
	add_pupil(a, pid, "Gus");
	ship(a, b);
	{
		vios_field f[] = { { "theme", "weapons" }, { "note", "knife" }, { "pupil_id", pid }, { "basis", "public-task" },
				   { "parents_informed", "1" } };
		assert_int_equal(vios_record_add(sid, b->st, "signal", f, 5), 0);
	}
	{
		vios_field f[] = { { "theme", "weapons" }, { "period", "2026-11" }, { "level", "rising" } };
		assert_int_equal(vios_record_add(tid, b->st, "trend", f, 3), 0);
	}
	v = pending(b, &n);
	for (size_t i = 0; i < n; i++) {
		const vios_crdt_owners *o = v[i].owners;
		assert_non_null(o);
		assert_true(vios_crdt_owns(o, b->node->node_id));
		if (!strcmp(v[i].op.tbl, "signal")) {
			assert_int_equal(o->n, 2);
			assert_true(vios_crdt_owns(o, a->node->node_id));
		} else {
			assert_string_equal(v[i].op.tbl, "trend");
			assert_int_equal(o->n, 1);
			assert_false(vios_crdt_owns(o, a->node->node_id));
		}
		assert_true(vios_crdt_owners_same(o, v[i].owners));
	}
	assert_false(vios_crdt_owners_same(v[0].owners, v[n - 1].owners));
	assert_false(vios_crdt_owners_same(v[n - 1].owners, NULL));
	assert_true(vios_crdt_owners_same(NULL, NULL));
	assert_false(vios_crdt_owns(NULL, b->node->node_id));
	vios_crdt_pending_free(v, n);
	/* without VIOS_PENDING_CLASSIFY: not read */
	assert_int_equal(vios_crdt_pending(&v, &n, b->st, 0, 0, 0), 0);
	for (size_t i = 0; i < n; i++)
		assert_null(v[i].owners);
	vios_crdt_pending_free(v, n);
	/* a deleted row (its sets dropped): its tombstone, owned by nobody */
	assert_int_equal(vios_store_tx_begin(b->st), 0);
	snprintf(q, sizeof(q), "DELETE FROM trend WHERE id = '%s'", tid);
	sql(b, q);
	assert_int_equal(vios_store_tx_commit(b->st), 0);
	v = pending(b, &n);
	assert_int_equal(v[n - 1].op.kind, VIOS_OP_DELETE);
	assert_null(v[n - 1].owners);
	vios_crdt_pending_free(v, n);
}

static int crdt_value_equal(const vios_crdt_value *a, const vios_crdt_value *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == VIOS_VAL_INT)
		return a->u.i == b->u.i;
	if (a->type == VIOS_VAL_TEXT)
		return a->u.text.len == b->u.text.len && !memcmp(a->u.text.p, b->u.text.p, a->u.text.len);
	return a->type == VIOS_VAL_NULL;
}

/*
 * A store from before 0017 holds its pending ops a row per op in
 * crdt_pending. The migration brings each over as a change of one op with
 * its seq, sealed or not, and the next change's seq continues after the
 * greatest seq crdt_pending ever gave.
 */
static void test_crdt_pending__migration_keeps_every_op_and_the_seq(void **state)
{
	sandbox *sb = *state;
	vios_crdt_pending_op *v = NULL, *w = NULL;
	size_t n, m, left;
	char id[37], q[600];
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	add_pupil(a, id, "Gus");
	add_pupil(a, id, "Hal");
	tx(a, "UPDATE pupil SET class = '3C'"); /* sets with a base */
	assert_int_equal(vios_crdt_pending(&v, &n, a->st, 0, 0, 0), 0);
	assert_int_equal(n, 18);
	/* the old table, as 0002 made it, holding these ops; Gus's sealed */
	sql(a, "DROP TABLE crdt_change; DROP TABLE crdt_row;"
	       " CREATE TABLE crdt_pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, hlc INTEGER NOT NULL,"
	       " node TEXT NOT NULL, tbl TEXT NOT NULL, pk TEXT NOT NULL, col TEXT, value,"
	       " base_hlc INTEGER NOT NULL DEFAULT 0, base_node TEXT, sealed_in TEXT);"
	       " CREATE INDEX crdt_pending_open ON crdt_pending(seq) WHERE sealed_in IS NULL;"
	       " CREATE INDEX crdt_pending_row ON crdt_pending(tbl, pk) WHERE sealed_in IS NULL;"
	       " CREATE INDEX crdt_pending_any_row ON crdt_pending(tbl, pk);");
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *pStmt = NULL;
		assert_int_equal(sqlite3_prepare_v2(a->st->db, "INSERT INTO crdt_pending(seq, hlc, node, tbl, pk, col,"
						    " value, base_hlc, base_node, sealed_in) VALUES (?1, ?2, ?3, ?4, ?5,"
						    " ?6, ?7, ?8, ?9, ?10)", -1, &pStmt, NULL), SQLITE_OK);
		sqlite3_bind_int64(pStmt, 1, (sqlite3_int64)(3 * i + 1));
		sqlite3_bind_int64(pStmt, 2, (sqlite3_int64)v[i].op.hlc);
		sqlite3_bind_text(pStmt, 3, v[i].op.node, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 4, v[i].op.tbl, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 5, v[i].op.pk, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 6, v[i].op.col, -1, SQLITE_STATIC);
		assert_int_equal(vios_crdt_value_bind(pStmt, 7, &v[i].op.value), SQLITE_OK);
		sqlite3_bind_int64(pStmt, 8, (sqlite3_int64)v[i].op.base_hlc);
		if (v[i].op.base_node)
			sqlite3_bind_text(pStmt, 9, v[i].op.base_node, -1, SQLITE_STATIC);
		if (i < 8)
			sqlite3_bind_text(pStmt, 10, "up to seq 1", -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(pStmt), SQLITE_DONE);
		sqlite3_finalize(pStmt);
	}
	/* the store as it was before 0017, so 0017 (and what follows) runs again */
	snprintf(q, sizeof(q), "UPDATE sqlite_sequence SET seq = 1000 WHERE name = 'crdt_pending'; PRAGMA user_version = %d",
		 16);
	sql(a, q);
	vios_store_free(a->st);
	a->st = NULL;
	FX_OK(fx_store_open(&a->st, a->node));
	FX_OK(vios_crdt_attach_unjudged(a->st));

	/* the unsealed ops, one change each, as they were */
	assert_int_equal(vios_crdt_pending(&w, &m, a->st, 0, 0, 0), 0);
	assert_int_equal(m, n - 8);
	for (size_t i = 0; i < m; i++) {
		const vios_crdt_op *x = &v[i + 8].op, *y = &w[i].op;
		assert_int_equal(w[i].seq, (int64_t)(3 * (i + 8) + 1));
		assert_int_equal(y->kind, x->kind);
		assert_int_equal(y->hlc, x->hlc);
		assert_string_equal(y->node, x->node);
		assert_string_equal(y->pk, x->pk);
		assert_string_equal(y->col, x->col);
		assert_int_equal(crdt_value_equal(&y->value, &x->value), 1);
		assert_int_equal(y->base_hlc, x->base_hlc);
		if (x->base_node)
			assert_string_equal(y->base_node, x->base_node);
		else
			assert_null(y->base_node);
	}
	assert_int_equal(one_int(a, "SELECT count(*) FROM crdt_change WHERE sealed_in = 'up to seq 1'"), 8);
	assert_int_equal(vios_crdt_pending_count(&left, a->st), 0);
	assert_int_equal(left, n - 8);
	vios_crdt_pending_free(w, m);
	/* a new change comes after every seq crdt_pending gave */
	tx(a, "UPDATE pupil SET class = '4D'");
	assert_int_equal(vios_crdt_pending(&w, &m, a->st, 0, 0, 0), 0);
	assert_true(w[m - 1].seq > 1000);
	vios_crdt_pending_free(w, m);
	vios_crdt_pending_free(v, n);
}

/* A set and the row's deletion in one batch: the tombstone keeps the
 * category the set gave the row (the run's staged row is written before
 * the deletion reads it), as two batches do. */
static void test_crdt_apply__a_delete_after_a_set_in_one_batch_keeps_its_category(void **state)
{
	sandbox *sb = *state;
	const char *S = "11111111-1111-4111-8111-111111111111", *P = "22222222-2222-4222-8222-222222222222";
	uint64_t h = VIOS_HLC_MAKE(vios_now_ms(), 0);
	vios_crdt_op ops[2];
	vios_crdt_report rep;

	nodes(sb, 2);
	ops[0] = mkset(h, sb->n[0].node->node_id, "signal", S, "pupil_id", vtext(P), 0, NULL);
	memset(&ops[1], 0, sizeof(ops[1]));
	ops[1].kind = VIOS_OP_DELETE;
	ops[1].hlc = h + 1;
	ops[1].node = sb->n[0].node->node_id;
	ops[1].tbl = "signal";
	ops[1].pk = (char *)S;
	assert_int_equal(vios_crdt_apply(&rep, sb->n[0].st, ops, 2, NULL), 0);
	assert_int_equal(vios_crdt_apply(&rep, sb->n[1].st, ops, 1, NULL), 0);
	assert_int_equal(vios_crdt_apply(&rep, sb->n[1].st, ops + 1, 1, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(one_int(&sb->n[i], "SELECT count(*) FROM crdt_tombstone WHERE category = 'case'"), 1);
}

/* Every op's writer is a school (the judge's writer callback). */
static int school_writer(void *ctx, const char *id, vios_mandate_writer *w)
{
	(void)ctx;
	w->node_id = id;
	w->kind = VIOS_KIND_SCHOOL;
	w->role = 0;
	w->name = "school";
	return 0;
}

/* The mandate judges an op on the row as the batch's earlier ops left it,
 * staged or not: a signal count's month set twice in one batch is refused
 * as it is in two. */
static void test_crdt_apply__a_set_once_column_set_again_in_one_batch_is_refused(void **state)
{
	sandbox *sb = *state;
	const char *w = "33333333-3333-4333-8333-333333333333";
	uint64_t h = VIOS_HLC_MAKE(vios_now_ms(), 0);
	vios_crdt_report rep;
	vios_crdt_check chk;
	vios_mandate m;
	vios_crdt_op ops[6];
	char id[37];

	nodes(sb, 2);
	vios_mandate_count_id(id, w, "2026-01", "weapons");
	ops[0] = mkset(h, w, "signal_count", id, "origin", vtext(w), 0, NULL);
	ops[1] = mkset(h, w, "signal_count", id, "month", vtext("2026-01"), 0, NULL);
	ops[2] = mkset(h, w, "signal_count", id, "theme", vtext("weapons"), 0, NULL);
	ops[3] = mkset(h, w, "signal_count", id, "updated_at", vtext("2026-01-02T00:00:00Z"), 0, NULL);
	ops[4] = mkset(h, w, "signal_count", id, "signals", vint(3), 0, NULL);
	ops[5] = mkset(h - 5, w, "signal_count", id, "month", vtext("2026-02"), 0, NULL);
	for (int i = 0; i < 2; i++) {
		FX_OK(vios_mandate_load(&m, sb->n[i].st, 0));
		memset(&chk, 0, sizeof(chk));
		chk.mandate = &m;
		chk.writer = school_writer;
		if (i == 0) {
			assert_int_equal(vios_crdt_apply_checked(&rep, sb->n[i].st, ops, 6, w, &chk), VIOS_EDENIED);
		} else {
			assert_int_equal(vios_crdt_apply_checked(&rep, sb->n[i].st, ops, 5, w, &chk), 0);
			assert_int_equal(vios_crdt_apply_checked(&rep, sb->n[i].st, ops + 5, 1, w, &chk), VIOS_EDENIED);
		}
		assert_non_null(strstr(vios_error_last(), "set once"));
	}
	assert_int_equal(one_int(&sb->n[0], "SELECT count(*) FROM signal_count"), 0);
}

/* ---- categories ------------------------------------------------------------- */

static void test_crdt_category__rows_go_to_theme_or_case_with_the_cases_roles(void **state)
{
	static const struct {
		int id;
		const char *tbl;
		int key; /* index into ids[] */
		vios_crdt_category cat;
		uint32_t roles;
	} want[] = {
		{ 1, "pupil", 0, VIOS_CAT_CASE, VIOS_ROLE_POLICE | VIOS_ROLE_SOCIAL_TEAM | VIOS_ROLE_ATTENDANCE },
		{ 2, "signal", 1, VIOS_CAT_CASE, VIOS_ROLE_POLICE | VIOS_ROLE_SOCIAL_TEAM | VIOS_ROLE_ATTENDANCE },
		{ 3, "signal", 2, VIOS_CAT_THEME, 0 },
		{ 4, "trend", 3, VIOS_CAT_THEME, 0 },
		{ 5, "meeting", 4, VIOS_CAT_THEME, 0 },
		{ 6, "meeting", 5, VIOS_CAT_CASE, VIOS_ROLE_POLICE | VIOS_ROLE_SOCIAL_TEAM },
		{ 7, "case_file", 6, VIOS_CAT_CASE, VIOS_ROLE_POLICE | VIOS_ROLE_SOCIAL_TEAM },
		{ 8, "case_file", 7, VIOS_CAT_CASE, VIOS_ROLE_ATTENDANCE },
		{ 9, "agreement", 8, VIOS_CAT_CASE, VIOS_ROLE_POLICE | VIOS_ROLE_SOCIAL_TEAM | VIOS_ROLE_SCHOOL },
		{ 10, "agreement", 9, VIOS_CAT_THEME, 0 },
		{ 11, "agreement", 10, VIOS_CAT_CASE, VIOS_ROLE_POLICE | VIOS_ROLE_SOCIAL_TEAM | VIOS_ROLE_YOUTH_WORK },
		{ 12, "meeting", 11, VIOS_CAT_CASE, VIOS_ROLE_YOUTH_PROTECTION },
	};
	sandbox *sb = *state;
	char ids[12][37];
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	add_pupil(a, ids[0], "Gus");
	{
		vios_field s1[] = { { "theme", "weapons" }, { "note", "knife" }, { "pupil_id", ids[0] }, { "basis", "public-task" }, { "parents_informed", "1" } };
		vios_field s2[] = { { "theme", "nuisance" }, { "note", "noise at the gate" } };
		vios_field tr[] = { { "theme", "weapons" }, { "period", "2026-11" }, { "level", "rising" } };
		vios_field m1[] = { { "kind", "steering" }, { "date", "2026-11-03" } };
		vios_field c1[] = { { "pupil_id", ids[0] }, { "roles", "police,social-team" }, { "basis", "public-task" }, { "parents_informed", "1" } };
		vios_field c2[] = { { "pupil_id", ids[0] }, { "roles", "attendance" }, { "basis", "public-task" }, { "parents_informed", "1" } };
		vios_field m2[] = { { "kind", "case" }, { "date", "2026-11-04" }, { "case_id", ids[6] } };
		vios_field a1[] = { { "case_id", ids[6] }, { "owner_role", "school" }, { "action", "call home" },
				    { "due_date", "2026-11-20" } };
		vios_field a2[] = { { "meeting_id", ids[4] }, { "owner_role", "police" }, { "action", "patrol" },
				    { "due_date", "2026-11-20" } };
		vios_field a3[] = { { "meeting_id", ids[5] }, { "owner_role", "youth-work" }, { "action", "visit" },
				    { "due_date", "2026-11-20" } };
		vios_field m3[] = { { "kind", "case" }, { "date", "2026-11-05" }, { "roles", "youth-protection" } };
		assert_int_equal(vios_record_add(ids[1], a->st, "signal", s1, 5), 0);
		assert_int_equal(vios_record_add(ids[2], a->st, "signal", s2, 2), 0);
		assert_int_equal(vios_record_add(ids[3], a->st, "trend", tr, 3), 0);
		assert_int_equal(vios_record_add(ids[4], a->st, "meeting", m1, 2), 0);
		assert_int_equal(vios_record_add(ids[6], a->st, "case_file", c1, 4), 0);
		assert_int_equal(vios_record_add(ids[7], a->st, "case_file", c2, 4), 0);
		assert_int_equal(vios_record_add(ids[5], a->st, "meeting", m2, 3), 0);
		assert_int_equal(vios_record_add(ids[8], a->st, "agreement", a1, 4), 0);
		assert_int_equal(vios_record_add(ids[9], a->st, "agreement", a2, 4), 0);
		assert_int_equal(vios_record_add(ids[10], a->st, "agreement", a3, 4), 0);
		assert_int_equal(vios_record_add(ids[11], a->st, "meeting", m3, 3), 0);
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		vios_crdt_category cat;
		uint32_t roles;
		char names[128];
		if (vios_crdt_row_category(&cat, &roles, a->st, want[i].tbl, ids[want[i].key]) != 0)
			fail_msg("row %d: %s", want[i].id, vios_error_last());
		vios_crdt_roles_format(names, sizeof(names), roles);
		if (cat != want[i].cat || roles != want[i].roles)
			fail_msg("row %d (%s): category %d roles %s", want[i].id, want[i].tbl, cat, names);
	}
	{
		vios_crdt_category cat;
		char names[128];
		assert_int_equal(vios_crdt_row_category(&cat, NULL, a->st, "pupil", "01890a5d-ac96-774b-bcce-b302099a8057"),
				 VIOS_ENOTFOUND);
		assert_int_equal(vios_crdt_row_category(&cat, NULL, a->st, "access_log", ids[0]), VIOS_EUSAGE);
		assert_int_equal(vios_crdt_roles_format(names, sizeof(names), VIOS_ROLE_SCHOOL | VIOS_ROLE_MUNICIPALITY), 0);
		assert_string_equal(names, "school,municipality");
		assert_int_equal(vios_crdt_role_bit("youth-work"), VIOS_ROLE_YOUTH_WORK);
		assert_int_equal(vios_crdt_role_bit("hub"), 0);
	}
}

static void test_crdt_digest__category_digests_see_only_their_rows(void **state)
{
	sandbox *sb = *state;
	char all0[65], theme0[65], case0[65], d[65], pid[37], tid[37], q[200];
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	digest(a, NULL, all0);
	digest(a, "theme", theme0);
	digest(a, "case", case0);
	assert_string_not_equal(all0, theme0);
	assert_string_not_equal(theme0, case0);
	assert_int_equal(vios_crdt_digest(d, a->st, "directory"), VIOS_EUSAGE);

	add_pupil(a, pid, "Hal");
	digest(a, "theme", d);
	assert_string_equal(d, theme0);
	digest(a, "case", d);
	assert_string_not_equal(d, case0);
	digest(a, "case", case0);
	{
		vios_field tr[] = { { "theme", "alcohol" }, { "period", "2026-10" }, { "level", "stable" } };
		assert_int_equal(vios_record_add(tid, a->st, "trend", tr, 3), 0);
	}
	digest(a, "case", d);
	assert_string_equal(d, case0);
	digest(a, "theme", d);
	assert_string_not_equal(d, theme0);
	/* a tombstone shows in the full digest */
	digest(a, NULL, all0);
	snprintf(q, sizeof(q), "DELETE FROM trend WHERE id = '%s'", tid);
	tx(a, q);
	digest(a, NULL, d);
	assert_string_not_equal(d, all0);
	digest(a, "theme", d);
	assert_string_equal(d, theme0);
	/* local-only tables are not in it */
	digest(a, NULL, all0);
	assert_int_equal(vios_store_log(a->st, "read", "pupil", pid, NULL), 0);
	sql(a, "UPDATE crdt_clock SET hlc = hlc + 1000");
	digest(a, NULL, d);
	assert_string_equal(d, all0);
}

/* ---- clock -------------------------------------------------------------------- */

static void test_crdt_hlc__monotonic_receive_rule_and_future_flag(void **state)
{
	sandbox *sb = *state;
	uint64_t now = 1767225600000ULL, h, prev, r, c0, c1;
	int future = -1;
	tnode *a;

	/* pure rules */
	h = vios_hlc_next(0, now);
	assert_int_equal(h, VIOS_HLC_MAKE(now, 0));
	assert_int_equal(vios_hlc_next(h, now), VIOS_HLC_MAKE(now, 1));
	assert_int_equal(vios_hlc_next(VIOS_HLC_MAKE(now, 7), now - 5000), VIOS_HLC_MAKE(now, 8)); /* wall clock went back */
	assert_int_equal(vios_hlc_next(VIOS_HLC_MAKE(now, 0xffff), now), VIOS_HLC_MAKE(now + 1, 0)); /* counter carries */
	assert_int_equal(vios_hlc_next(VIOS_HLC_MAKE(now, 3), now + 1), VIOS_HLC_MAKE(now + 1, 0));
	prev = 0;
	for (int i = 0; i < 70000; i++) { /* through a counter overflow */
		h = vios_hlc_next(prev, now);
		assert_true(h > prev);
		prev = h;
	}
	assert_int_equal(vios_hlc_recv(VIOS_HLC_MAKE(now, 2), VIOS_HLC_MAKE(now, 9), now), VIOS_HLC_MAKE(now, 10));
	assert_int_equal(vios_hlc_recv(VIOS_HLC_MAKE(now, 9), VIOS_HLC_MAKE(now, 2), now), VIOS_HLC_MAKE(now, 10));
	assert_int_equal(vios_hlc_recv(VIOS_HLC_MAKE(now, 9), VIOS_HLC_MAKE(now + 50, 4), now), VIOS_HLC_MAKE(now + 50, 5));
	assert_int_equal(vios_hlc_recv(VIOS_HLC_MAKE(now - 9, 9), VIOS_HLC_MAKE(now - 50, 4), now), VIOS_HLC_MAKE(now, 0));
	assert_false(vios_hlc_is_future(VIOS_HLC_MAKE(now + VIOS_HLC_FUTURE_MS, 0xffff), now));
	assert_true(vios_hlc_is_future(VIOS_HLC_MAKE(now + VIOS_HLC_FUTURE_MS + 1, 0), now));
	{
		char iso[25];
		vios_hlc_iso(iso, VIOS_HLC_MAKE(now + 42, 3));
		assert_string_equal(iso, "2026-01-01T00:00:00.042Z");
	}

	/* the store's clock: ticks, receives, flags, persists */
	nodes(sb, 1);
	a = &sb->n[0];
	assert_int_equal(vios_crdt_clock_tick(&c0, a->st), 0);
	assert_int_equal(vios_crdt_clock_tick(&c1, a->st), 0);
	assert_true(c1 > c0);
	r = VIOS_HLC_MAKE(vios_now_ms() + 3600 * 1000, 5); /* an hour ahead: fine */
	assert_int_equal(vios_crdt_clock_receive(&h, &future, a->st, r), 0);
	assert_int_equal(future, 0);
	assert_int_equal(h, r + 1);
	r = VIOS_HLC_MAKE(vios_now_ms() + VIOS_HLC_FUTURE_MS + 60000, 0); /* 24 h and a minute: flagged */
	assert_int_equal(vios_crdt_clock_receive(&h, &future, a->st, r), 0);
	assert_int_equal(future, 1);
	assert_int_equal(h, r + 1);
	assert_int_equal(vios_crdt_clock_receive(&h, &future, a->st, 0), VIOS_ECORRUPT);
	assert_int_equal(vios_crdt_clock_receive(&h, &future, a->st, VIOS_HLC_MAX + 1), VIOS_ECORRUPT);
	vios_store_free(a->st);
	a->st = NULL;
	FX_OK(fx_store_open(&a->st, a->node));
	FX_OK(vios_crdt_attach_unjudged(a->st));
	assert_int_equal(vios_crdt_clock_get(&c0, a->st), 0);
	assert_int_equal(c0, r + 1);
	assert_int_equal(vios_crdt_clock_tick(&c1, a->st), 0);
	assert_int_equal(c1, r + 2);
}

static void test_crdt_apply__future_ops_are_accepted_and_counted(void **state)
{
	sandbox *sb = *state;
	char id[37];
	vios_crdt_report rep;
	uint64_t far = VIOS_HLC_MAKE(vios_now_ms() + 2 * VIOS_HLC_FUTURE_MS, 0), clock;
	tnode *a, *b;

	nodes(sb, 2);
	a = &sb->n[0];
	b = &sb->n[1];
	vios_uuid7(id);
	vios_crdt_op ops[] = {
		mkset(far, a->node->node_id, "trend", id, "theme", vtext("drugs-use"), 0, NULL),
		mkset(far, a->node->node_id, "trend", id, "level", vtext("falling"), 0, NULL),
		mkset(VIOS_HLC_MAKE(vios_now_ms(), 0), a->node->node_id, "trend", id, "note", vtext("x"), 0, NULL),
	};
	assert_int_equal(vios_crdt_apply(&rep, b->st, ops, 3, a->node->node_id), 0);
	assert_int_equal(rep.future, 2);
	assert_int_equal(rep.applied, 3);
	assert_int_equal(rep.max_hlc, far);
	assert_int_equal(vios_crdt_clock_get(&clock, b->st), 0);
	assert_true(clock > far);
	assert_int_equal(rep.clock, clock);
	/* and a local write after it still wins */
	{
		char q[200];
		snprintf(q, sizeof(q), "UPDATE trend SET level = 'rising' WHERE id = '%s'", id);
		tx(b, q);
		assert_int_equal(one_int(b, "SELECT level = 'rising' FROM trend"), 1);
		assert_true((uint64_t)one_int(b, "SELECT hlc FROM crdt_cell WHERE col = 'level'"
					      " UNION ALL SELECT hlc FROM crdt_row WHERE (cols >> 4) & 1") > far);
	}
}

/* ---- apply: idempotence and strictness ------------------------------------------ */

static void test_crdt_apply__same_batch_twice_changes_nothing(void **state)
{
	sandbox *sb = *state;
	char id[37], q[200], d1[65], d2[65], *c1, *c2;
	vios_crdt_report rep;
	pool p = { 0 };
	tnode *a, *b;

	nodes(sb, 2);
	a = &sb->n[0];
	b = &sb->n[1];
	add_pupil(a, id, "Ida");
	ship(a, b); /* both hold the pupil */
	snprintf(q, sizeof(q), "UPDATE pupil SET class = '4A' WHERE id = '%s'", id);
	tx(a, q);
	snprintf(q, sizeof(q), "UPDATE pupil SET class = '4B', local_id = 'L7' WHERE id = '%s'", id);
	tx(b, q); /* concurrent: one conflict */
	take(&p, a);
	assert_int_equal(vios_crdt_apply(&rep, b->st, p.v, p.n, a->node->node_id), 0);
	assert_int_equal(rep.applied, 1);   /* the class update */
	assert_int_equal(rep.duplicates, 8); /* the insert, held already */
	digest(b, NULL, d1);
	c1 = conflicts_canon(b);
	assert_int_equal(nconflicts(b), 1);
	assert_int_equal(vios_crdt_apply(&rep, b->st, p.v, p.n, a->node->node_id), 0);
	assert_int_equal(rep.applied, 0);
	assert_int_equal(rep.duplicates, p.n);
	digest(b, NULL, d2);
	c2 = conflicts_canon(b);
	assert_string_equal(d1, d2);
	assert_string_equal(c1, c2);
	free(c1);
	free(c2);
	pool_free(&p);
}

static void test_crdt_apply__bad_ops_are_ecorrupt_and_change_nothing(void **state)
{
	static const uint8_t nul_text[] = "ab\0cd";
	sandbox *sb = *state;
	char pid[37], before[65], after[65], *cbefore, *cafter;
	uint64_t now = VIOS_HLC_MAKE(vios_now_ms(), 0), clock0, clock1;
	size_t pend0, pend1;
	tnode *a, *b;
	const char *nid;

	nodes(sb, 2);
	a = &sb->n[0];
	b = &sb->n[1];
	nid = a->node->node_id;
	vios_uuid7(pid);
	struct {
		int id;
		vios_crdt_op op;
		const char *says;
	} bad[] = {
		{ 1, mkset(now, nid, "pupils", pid, "name", vtext("x"), 0, NULL), "unknown table" },
		{ 2, mkset(now, nid, "access_log", pid, "why", vtext("x"), 0, NULL), "unknown table" },
		{ 3, mkset(now, nid, "pupil", pid, "nam", vtext("x"), 0, NULL), "unknown column" },
		{ 4, mkset(now, nid, "pupil", pid, "id", vtext("x"), 0, NULL), "unknown column" },
		{ 5, mkset(now, nid, "pupil", "123", "name", vtext("x"), 0, NULL), "not a UUID" },
		{ 6, mkset(now, nid, "pupil", "01890A5D-AC96-774B-BCCE-B302099A8057", "name", vtext("x"), 0, NULL), "not a UUID" },
		{ 7, mkset(now, "node-7", "pupil", pid, "name", vtext("x"), 0, NULL), "node id" },
		{ 8, mkset(now, nid, "pupil", pid, "over16", vtext("1"), 0, NULL), "takes integer" },
		{ 9, mkset(now, nid, "pupil", pid, "name", vint(5), 0, NULL), "takes text" },
		{ 10, mkset(now, nid, "pupil", pid, "name", (vios_crdt_value){ .type = VIOS_VAL_REAL, .u.d = 1.5 }, 0, NULL), "real" },
		{ 11, mkset(now, nid, "signal", pid, "note",
			    (vios_crdt_value){ .type = VIOS_VAL_BLOB, .u.blob = { (uint8_t *)"ab", 2 } }, 0, NULL), "blob" },
		{ 12, mkset(now, nid, "pupil", pid, "name", vtext("caf\xc3"), 0, NULL), "UTF-8" },
		{ 13, mkset(now, nid, "pupil", pid, "name",
			    (vios_crdt_value){ .type = VIOS_VAL_TEXT, .u.text = { (char *)nul_text, 5 } }, 0, NULL), "UTF-8" },
		{ 14, mkset(0, nid, "pupil", pid, "name", vtext("x"), 0, NULL), "clock" },
		{ 15, mkset(VIOS_HLC_MAX + 1, nid, "pupil", pid, "name", vtext("x"), 0, NULL), "clock" },
		{ 16, mkset(now, nid, "pupil", pid, "name", vtext("x"), now, nid), "base clock not older" },
		{ 17, mkset(now, nid, "pupil", pid, "name", vtext("x"), now - 1, NULL), "base node" },
		{ 18, mkset(now, nid, "pupil", pid, "name", vtext("x"), 0, nid), "base node" },
		{ 19, mkset(now, nid, "pupil", pid, "name", vtext("x"), 0, NULL), "tombstone" },
		{ 20, mkset(now, nid, "pupil", pid, "name", vtext("x"), 0, NULL), "op kind" },
		{ 21, mkset(now, nid, "signal", pid, "theme", vtext("knives and"), 0, NULL), "check" },
		{ 22, mkset(now, nid, "meeting", pid, "kind", vtext("party"), 0, NULL), "check" },
		{ 23, mkset(now, nid, "pupil", pid, "over16", vint(2), 0, NULL), "check" },
	};
	bad[18].op.kind = VIOS_OP_DELETE; /* a tombstone with a column and value */
	bad[19].op.kind = (vios_crdt_kind)7;

	/* b holds some state first, with a conflict */
	{
		char id[37], q[160];
		add_pupil(a, id, "Jo");
		ship(a, b);
		snprintf(q, sizeof(q), "UPDATE pupil SET class = 'a' WHERE id = '%s'", id);
		tx(a, q);
		snprintf(q, sizeof(q), "UPDATE pupil SET class = 'b' WHERE id = '%s'", id);
		tx(b, q);
		ship(a, b);
		assert_int_equal(nconflicts(b), 1);
	}
	digest(b, NULL, before);
	cbefore = conflicts_canon(b);
	assert_int_equal(vios_crdt_clock_get(&clock0, b->st), 0);
	assert_int_equal(vios_crdt_pending_count(&pend0, b->st), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* good ops first: none of them may stay */
		char good_pk[37];
		vios_uuid7(good_pk);
		vios_crdt_op batch[] = {
			mkset(now, nid, "trend", good_pk, "theme", vtext("weapons"), 0, NULL),
			mkset(now, nid, "pupil", pid, "class", vtext("1A"), 0, NULL),
			bad[i].op,
		};
		int rc = vios_crdt_apply(NULL, b->st, batch, 3, NULL);
		if (rc != VIOS_ECORRUPT)
			fail_msg("bad op %d: apply gave %d", bad[i].id, rc);
		if (strstr(vios_error_last(), bad[i].says) == NULL || strstr(vios_error_last(), "op 3 of 3") == NULL ||
		    strchr(vios_error_last(), '\n'))
			fail_msg("bad op %d: message '%s' does not say '%s'", bad[i].id, vios_error_last(), bad[i].says);
		if (strstr(vios_error_last(), "knives") || strstr(vios_error_last(), "party"))
			fail_msg("bad op %d: the message shows the value", bad[i].id);
		digest(b, NULL, after);
		if (strcmp(before, after))
			fail_msg("bad op %d: digest changed", bad[i].id);
	}
	cafter = conflicts_canon(b);
	assert_string_equal(cbefore, cafter);
	assert_int_equal(vios_crdt_clock_get(&clock1, b->st), 0);
	assert_int_equal(clock0, clock1);
	assert_int_equal(vios_crdt_pending_count(&pend1, b->st), 0);
	assert_int_equal(pend0, pend1);
	assert_int_equal(vios_crdt_op_validate(&bad[4].op), VIOS_ECORRUPT);
	/* ops by another node than the bundle's sender */
	{
		vios_crdt_op good = mkset(now, nid, "trend", pid, "theme", vtext("weapons"), 0, NULL);
		assert_int_equal(vios_crdt_apply(NULL, b->st, &good, 1, b->node->node_id), VIOS_ECORRUPT);
		assert_non_null(strstr(vios_error_last(), "not by the sender"));
	}
	digest(b, NULL, after);
	assert_string_equal(before, after);
	free(cbefore);
	free(cafter);
}

static void test_crdt_apply__inside_the_importers_transaction_rolls_back_alone(void **state)
{
	sandbox *sb = *state;
	char id[37], d0[65], d1[65];
	uint64_t now = VIOS_HLC_MAKE(vios_now_ms(), 0);
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	vios_uuid7(id);
	vios_crdt_op good = mkset(now, "01890a5d-ac96-774b-bcce-b302099a8057", "trend", id, "theme", vtext("crime"), 0, NULL);
	vios_crdt_op bad = mkset(now, "01890a5d-ac96-774b-bcce-b302099a8057", "trend", id, "level", vtext("up"), 0, NULL);
	vios_crdt_op both[] = { good, bad };
	digest(a, NULL, d0);
	/* a captured transaction is refused */
	assert_int_equal(vios_store_tx_begin(a->st), 0);
	assert_int_equal(vios_crdt_apply(NULL, a->st, &good, 1, NULL), VIOS_ERROR);
	vios_store_tx_rollback(a->st);
	/* the importer's own bookkeeping survives a refused batch */
	assert_int_equal(vios_store_tx_begin_uncaptured(a->st), 0);
	assert_int_equal(vios_store_log(a->st, "import", "bundle", NULL, "seq 1"), 0);
	assert_int_equal(vios_crdt_apply(NULL, a->st, both, 2, NULL), VIOS_ECORRUPT);
	assert_int_equal(one_int(a, "SELECT count(*) FROM trend"), 0);
	assert_int_equal(vios_crdt_apply(NULL, a->st, &good, 1, NULL), 0);
	assert_int_equal(vios_store_tx_commit(a->st), 0);
	digest(a, NULL, d1);
	assert_string_not_equal(d0, d1);
	assert_int_equal(one_int(a, "SELECT count(*) FROM trend"), 1);
	assert_int_equal(one_int(a, "SELECT count(*) FROM access_log WHERE action = 'import'"), 1);
	assert_int_equal(one_int(a, "SELECT count(*) FROM crdt_change"), 0); /* nothing captured */
}

static void test_crdt_apply__two_values_under_one_clock_resolve_alike_in_any_order(void **state)
{
	sandbox *sb = *state;
	char id[37], d0[65], d1[65];
	uint64_t h = VIOS_HLC_MAKE(vios_now_ms(), 0);
	const char *w = "01890a5d-ac96-774b-bcce-b302099a8057";
	tnode *a, *b;

	nodes(sb, 2);
	a = &sb->n[0];
	b = &sb->n[1];
	vios_uuid7(id);
	/* a faulty writer sends two values under one clock */
	vios_crdt_op x = mkset(h, w, "trend", id, "note", vtext("apple"), 0, NULL);
	vios_crdt_op y = mkset(h, w, "trend", id, "note", vtext("pear"), 0, NULL);
	apply_ok(a, &x, 1);
	apply_ok(a, &y, 1);
	apply_ok(b, &y, 1);
	apply_ok(b, &x, 1);
	digest(a, NULL, d0);
	digest(b, NULL, d1);
	assert_string_equal(d0, d1);
	assert_int_equal(one_int(a, "SELECT note = 'pear' FROM trend"), 1);
}

/* ---- merge scenarios ---------------------------------------------------------------- */

/* Every node of sb holds equal digests (all and per category). */
static void assert_converged(sandbox *sb, int from, int to)
{
	char d0[3][65], d[65];
	static const char *cats[] = { NULL, "theme", "case" };
	char *c0 = conflicts_canon(&sb->n[from]);

	for (int c = 0; c < 3; c++)
		digest(&sb->n[from], cats[c], d0[c]);
	for (int i = from + 1; i <= to; i++) {
		char *ci = conflicts_canon(&sb->n[i]);
		for (int c = 0; c < 3; c++) {
			digest(&sb->n[i], cats[c], d);
			if (strcmp(d, d0[c]))
				fail_msg("node %d differs from node %d (%s digest)", i, from, cats[c] ? cats[c] : "full");
		}
		if (strcmp(ci, c0))
			fail_msg("node %d has other conflicts than node %d:\n%s\n%s", i, from, ci, c0);
		free(ci);
	}
	free(c0);
}

static void test_crdt_merge__same_row_deleted_on_two_nodes(void **state)
{
	sandbox *sb = *state;
	pool pa = { 0 }, pb = { 0 };
	char id[37], q[160];
	tnode *a, *b, *c, *d;

	nodes(sb, 4);
	a = &sb->n[0], b = &sb->n[1], c = &sb->n[2], d = &sb->n[3];
	add_pupil(a, id, "Kai");
	take(&pa, a);
	apply_ok(b, pa.v, pa.n);
	snprintf(q, sizeof(q), "DELETE FROM pupil WHERE id = '%s'", id);
	tx(a, q);
	tx(b, q);
	pool_free(&pa);
	take(&pa, a);
	take(&pb, b);
	assert_int_equal(pb.n, 1);
	apply_ok(a, pb.v, pb.n);
	apply_ok(b, pa.v, pa.n);
	/* c: a's then b's; d: b's tombstone before anything else */
	apply_ok(c, pa.v, pa.n);
	apply_ok(c, pb.v, pb.n);
	apply_ok(d, pb.v, pb.n);
	apply_ok(d, pa.v, pa.n);
	assert_converged(sb, 0, 3);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(one_int(&sb->n[i], "SELECT count(*) FROM pupil"), 0);
		assert_int_equal(one_int(&sb->n[i], "SELECT count(*) FROM crdt_tombstone"), 1);
		assert_int_equal(one_int(&sb->n[i], "SELECT (SELECT count(*) FROM crdt_cell) + (SELECT count(*) FROM crdt_row)"), 0);
	}
	pool_free(&pa);
	pool_free(&pb);
}

static void test_crdt_merge__delete_wins_over_a_concurrent_update_in_either_order(void **state)
{
	sandbox *sb = *state;
	pool ins = { 0 }, del = { 0 }, upd = { 0 };
	char id[37], q[160];
	tnode *a, *b, *c, *d;

	nodes(sb, 4);
	a = &sb->n[0], b = &sb->n[1], c = &sb->n[2], d = &sb->n[3];
	add_pupil(a, id, "Lou");
	take(&ins, a);
	apply_ok(b, ins.v, ins.n);
	snprintf(q, sizeof(q), "DELETE FROM pupil WHERE id = '%s'", id);
	tx(a, q);
	/* b updates after a's delete, by the clock too: it still loses */
	usleep(2000);
	snprintf(q, sizeof(q), "UPDATE pupil SET name = 'Louise', class = '5C' WHERE id = '%s'", id);
	tx(b, q);
	{
		vios_crdt_pending_op *v;
		size_t n;
		v = pending(a, &n);
		assert_int_equal(n, 1); /* the insert's unsent sets are dropped */
		for (size_t i = 0; i < n; i++)
			pool_add(&del, &v[i].op);
		vios_crdt_pending_free(v, n);
	}
	{
		vios_crdt_pending_op *v;
		size_t n;
		v = pending(b, &n);
		assert_int_equal(n, 2);
		for (size_t i = 0; i < n; i++)
			pool_add(&upd, &v[i].op);
		vios_crdt_pending_free(v, n);
		assert_true(upd.v[0].hlc > del.v[0].hlc);
	}
	/* a: the update arrives after the delete */
	apply_ok(a, upd.v, upd.n);
	/* b: the delete arrives after its own update */
	apply_ok(b, del.v, del.n);
	/* c: insert, update, delete; d: delete, update, insert */
	apply_ok(c, ins.v, ins.n);
	apply_ok(c, upd.v, upd.n);
	apply_ok(c, del.v, del.n);
	apply_ok(d, del.v, del.n);
	apply_ok(d, upd.v, upd.n);
	apply_ok(d, ins.v, ins.n);
	assert_converged(sb, 0, 3);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(one_int(&sb->n[i], "SELECT count(*) FROM pupil"), 0);
		assert_int_equal(nconflicts(&sb->n[i]), 0);
	}
	/* and a set arriving long after stays ignored */
	{
		vios_crdt_report rep;
		assert_int_equal(vios_crdt_apply(&rep, d->st, upd.v, upd.n, NULL), 0);
		assert_int_equal(rep.ignored, upd.n);
	}
	pool_free(&ins);
	pool_free(&del);
	pool_free(&upd);
}

static void test_crdt_merge__update_arriving_before_its_insert_converges(void **state)
{
	sandbox *sb = *state;
	pool ins = { 0 }, upd = { 0 };
	char id[37], q[160];
	vios_crdt_category cat;
	tnode *a, *b, *c;

	nodes(sb, 3);
	a = &sb->n[0], b = &sb->n[1], c = &sb->n[2];
	{
		vios_field f[] = { { "theme", "sexting" }, { "note", "shared photo" } };
		assert_int_equal(vios_record_add(id, a->st, "signal", f, 2), 0);
	}
	take(&ins, a);
	apply_ok(b, ins.v, ins.n);
	snprintf(q, sizeof(q), "UPDATE signal SET severity = 'high', note = 'shared photo (2)' WHERE id = '%s'", id);
	tx(b, q);
	take(&upd, b);
	/* c never saw the insert: the row starts from the update's columns */
	apply_ok(c, upd.v, upd.n);
	assert_int_equal(one_int(c, "SELECT count(*) FROM signal WHERE severity = 'high' AND theme IS NULL"), 1);
	/* too little known to call it thematic: case, the safe side */
	assert_int_equal(vios_crdt_row_category(&cat, NULL, c->st, "signal", id), 0);
	assert_int_equal(cat, VIOS_CAT_CASE);
	apply_ok(c, ins.v, ins.n);
	apply_ok(a, upd.v, upd.n);
	assert_converged(sb, 0, 2);
	assert_int_equal(vios_crdt_row_category(&cat, NULL, c->st, "signal", id), 0);
	assert_int_equal(cat, VIOS_CAT_THEME);
	assert_int_equal(one_int(c, "SELECT count(*) FROM signal WHERE severity = 'high' AND theme = 'sexting'"
				    " AND note = 'shared photo (2)'"), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(nconflicts(&sb->n[i]), 0);
	pool_free(&ins);
	pool_free(&upd);
}

static void test_crdt_merge__concurrent_updates_record_one_conflict_with_one_winner(void **state)
{
	sandbox *sb = *state;
	pool ins = { 0 }, ua = { 0 }, ub = { 0 };
	char mid[37], aid[37], q[200];
	json_t *rows = NULL, *row;
	tnode *a, *b, *c;

	nodes(sb, 3);
	a = &sb->n[0], b = &sb->n[1], c = &sb->n[2];
	{
		vios_field m[] = { { "kind", "thematic" }, { "date", "2026-11-02" } };
		assert_int_equal(vios_record_add(mid, a->st, "meeting", m, 2), 0);
		vios_field f[] = { { "meeting_id", mid }, { "owner_role", "police" }, { "action", "patrol" },
				   { "due_date", "2026-12-01" } };
		assert_int_equal(vios_record_add(aid, a->st, "agreement", f, 4), 0);
	}
	take(&ins, a);
	apply_ok(b, ins.v, ins.n);
	/* the police marks it done and moves it; the school moves it too */
	assert_int_equal(vios_agreement_done(b->st, aid, NULL), 0);
	snprintf(q, sizeof(q), "UPDATE agreement SET due_date = '2026-12-10' WHERE id = '%s'", aid);
	tx(b, q);
	usleep(2000);
	snprintf(q, sizeof(q), "UPDATE agreement SET due_date = '2026-12-15' WHERE id = '%s'", aid);
	tx(a, q);
	take(&ua, a);
	take(&ub, b);
	/* a's due_date op is later but based on the insert: concurrent with b's */
	apply_ok(a, ub.v, ub.n);
	apply_ok(b, ua.v, ua.n);
	apply_ok(c, ub.v, ub.n);
	apply_ok(c, ins.v, ins.n);
	apply_ok(c, ua.v, ua.n);
	apply_ok(c, ub.v, ub.n);
	assert_converged(sb, 0, 2);
	assert_int_equal(vios_crdt_conflicts(&rows, a->st), 0);
	assert_int_equal(json_array_size(rows), 1);
	row = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(row, "table")), "agreement");
	assert_string_equal(json_string_value(json_object_get(row, "record")), aid);
	assert_string_equal(json_string_value(json_object_get(row, "column")), "due_date");
	assert_string_equal(json_string_value(json_object_get(row, "value")), "2026-12-10");
	assert_string_equal(json_string_value(json_object_get(row, "node")), b->node->node_id);
	assert_string_equal(json_string_value(json_object_get(row, "winner_node")), a->node->node_id);
	assert_true(json_integer_value(json_object_get(row, "winner_hlc")) > json_integer_value(json_object_get(row, "hlc")));
	assert_non_null(json_object_get(row, "at"));
	json_decref(rows);
	assert_int_equal(one_int(b, "SELECT due_date = '2026-12-15' FROM agreement"), 1);
	/* b's status and done_at have no rival: they stand */
	assert_int_equal(one_int(a, "SELECT status = 'done' AND done_at IS NOT NULL FROM agreement"), 1);
	/* the same conflict is recorded once however often it is seen */
	apply_ok(a, ub.v, ub.n);
	apply_ok(b, ua.v, ua.n);
	assert_int_equal(nconflicts(a), 1);
	assert_int_equal(nconflicts(b), 1);
	pool_free(&ins);
	pool_free(&ua);
	pool_free(&ub);
}

static void test_crdt_merge__a_chain_of_writes_is_no_conflict_once_its_gap_is_filled(void **state)
{
	sandbox *sb = *state;
	pool ins = { 0 }, u1 = { 0 }, u2 = { 0 };
	char id[37], q[160];
	tnode *a, *b, *c;

	nodes(sb, 3);
	a = &sb->n[0], b = &sb->n[1], c = &sb->n[2];
	add_pupil(a, id, "Mo");
	take(&ins, a);
	snprintf(q, sizeof(q), "UPDATE pupil SET class = '6A' WHERE id = '%s'", id);
	tx(a, q);
	take(&u1, a);
	pool_free(&ins);
	take(&ins, a); /* everything of a so far */
	apply_ok(b, ins.v, ins.n);
	snprintf(q, sizeof(q), "UPDATE pupil SET class = '6B' WHERE id = '%s'", id);
	tx(b, q); /* b saw a's update: sequential */
	take(&u2, b);
	/* c gets the insert and b's update, but a's middle update only later */
	{
		vios_crdt_op first[16];
		size_t k = 0;
		for (size_t i = 0; i < ins.n; i++)
			if (!(ins.v[i].col && !strcmp(ins.v[i].col, "class") && ins.v[i].base_hlc))
				first[k++] = ins.v[i];
		apply_ok(c, first, k);
	}
	apply_ok(c, u2.v, u2.n);
	assert_int_equal(nconflicts(c), 1); /* for now it looks concurrent */
	apply_ok(c, ins.v, ins.n);
	assert_int_equal(nconflicts(c), 0);
	apply_ok(a, u2.v, u2.n);
	assert_converged(sb, 0, 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(nconflicts(&sb->n[i]), 0);
		assert_int_equal(one_int(&sb->n[i], "SELECT class = '6B' FROM pupil"), 1);
	}
	pool_free(&ins);
	pool_free(&u1);
	pool_free(&u2);
}

/* ---- convergence property -------------------------------------------------------- */

typedef struct {
	uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static unsigned rn(rng *r, unsigned n)
{
	return n ? (unsigned)(rnd(r) % n) : 0;
}

static const char *pick(rng *r, const char *const *list)
{
	size_t n = 0;
	while (list[n])
		n++;
	return list[rn(r, (unsigned)n)];
}

/* A random live id of tbl held by t, or "" when none. */
static void random_id(rng *r, tnode *t, const char *tbl, char out[37])
{
	char q[160];
	int64_t n;
	sqlite3_stmt *pStmt = NULL;

	out[0] = 0;
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s", tbl);
	if ((n = one_int(t, q)) <= 0)
		return;
	snprintf(q, sizeof(q), "SELECT id FROM %s ORDER BY id LIMIT 1 OFFSET %u", tbl, rn(r, (unsigned)n));
	assert_int_equal(sqlite3_prepare_v2(t->st->db, q, -1, &pStmt, NULL), SQLITE_OK);
	if (sqlite3_step(pStmt) == SQLITE_ROW)
		snprintf(out, 37, "%s", (const char *)sqlite3_column_text(pStmt, 0));
	sqlite3_finalize(pStmt);
}

/* A random SQL literal valid for tbl.col. */
static void random_literal(rng *r, tnode *t, const char *tbl, const char *col, char *out, size_t len)
{
	static const char *const themes[] = { "weapons", "drugs-use", "alcohol", "sexting", "crime", NULL };
	static const char *const roles[] = { "school", "police", "youth-protection", "social-team", "attendance",
					     "youth-work", "municipality", NULL };
	static const char *const texts[] = { "a", "b", "caf\xc3\xa9", "d e", "", NULL };
	const char *ref = NULL;
	char id[37];

	if (!strcmp(col, "theme"))
		snprintf(out, len, "'%s'", pick(r, themes));
	else if (!strcmp(col, "location"))
		snprintf(out, len, "'%s'", rn(r, 2) ? "in" : "around");
	else if (!strcmp(col, "severity"))
		snprintf(out, len, "'%s'", pick(r, (const char *const[]){ "low", "medium", "high", NULL }));
	else if (!strcmp(col, "level"))
		snprintf(out, len, "'%s'", pick(r, (const char *const[]){ "rising", "stable", "falling", NULL }));
	else if (!strcmp(col, "kind"))
		snprintf(out, len, "'%s'", pick(r, (const char *const[]){ "thematic", "case", "steering", "evaluation", NULL }));
	else if (!strcmp(col, "status") && !strcmp(tbl, "case_file"))
		snprintf(out, len, "'%s'", pick(r, (const char *const[]){ "reported", "discussed", "in-progress",
									  "monitoring", "closed", "escalated", NULL }));
	else if (!strcmp(col, "status"))
		snprintf(out, len, "'%s'", rn(r, 2) ? "open" : "done");
	else if (!strcmp(col, "month"))
		snprintf(out, len, "'2026-%02d'", 1 + (int)rn(r, 12));
	else if (!strcmp(col, "signals"))
		snprintf(out, len, "%d", (int)rn(r, 40));
	else if (!strcmp(col, "figure"))
		snprintf(out, len, "'%s'", pick(r, (const char *const[]){ "discussion-days", "cases-reported",
									  "agreements-due", NULL }));
	else if (!strcmp(col, "value") || !strcmp(col, "n"))
		snprintf(out, len, "%s", rn(r, 4) ? (rn(r, 2) ? "7" : "0") : "NULL");
	else if (!strcmp(col, "planned"))
		snprintf(out, len, "%s", pick(r, (const char *const[]){ "0", "1", "NULL", NULL }));
	else if (!strcmp(col, "meldcode"))
		snprintf(out, len, "'{\"v\":1,\"steps\":{\"%u\":{\"at\":\"2026-01-02\"}}}'", 1 + rn(r, 5));
	else if (!strcmp(col, "over16") || !strcmp(col, "parents_informed"))
		snprintf(out, len, "%s", pick(r, (const char *const[]){ "0", "1", "NULL", NULL }));
	else if (!strcmp(col, "roles"))
		snprintf(out, len, "'%s,%s'", pick(r, roles), pick(r, roles));
	else if (!strcmp(col, "owner_role") || !strcmp(col, "lead_role"))
		snprintf(out, len, "'%s'", pick(r, roles));
	else if (!strcmp(col, "pupil_id"))
		ref = "pupil";
	else if (!strcmp(col, "case_id"))
		ref = "case_file";
	else if (!strcmp(col, "meeting_id"))
		ref = "meeting";
	else if (rn(r, 8) == 0)
		snprintf(out, len, "NULL");
	else
		snprintf(out, len, "'%s%u'", pick(r, texts), rn(r, 1000));
	if (ref) {
		random_id(r, t, ref, id);
		if (*id && rn(r, 4))
			snprintf(out, len, "'%s'", id);
		else
			snprintf(out, len, "NULL");
	}
}

/* One random write inside the open transaction: an insert, an update of
 * 1-3 columns or a delete. */
static void random_write(rng *r, tnode *t)
{
	const char *const *tables = vios_crdt_tables();
	const char *tbl = pick(r, tables);
	const char *const *cols = vios_crdt_columns(tbl);
	unsigned ncol = 0, what = rn(r, 100);
	char q[2048], id[37], lit[64];

	while (cols[ncol])
		ncol++;
	random_id(r, t, tbl, id);
	if (what < 35 || *id == 0) {
		vios_uuid7(id);
		snprintf(q, sizeof(q), "INSERT INTO %s(id", tbl);
		for (unsigned c = 0; c < ncol; c++)
			snprintf(q + strlen(q), sizeof(q) - strlen(q), ", %s", cols[c]);
		snprintf(q + strlen(q), sizeof(q) - strlen(q), ") VALUES ('%s'", id);
		for (unsigned c = 0; c < ncol; c++) {
			random_literal(r, t, tbl, cols[c], lit, sizeof(lit));
			snprintf(q + strlen(q), sizeof(q) - strlen(q), ", %s", lit);
		}
		snprintf(q + strlen(q), sizeof(q) - strlen(q), ")");
	} else if (what < 90) {
		unsigned k = 1 + rn(r, 3);
		snprintf(q, sizeof(q), "UPDATE %s SET ", tbl);
		for (unsigned i = 0; i < k; i++) {
			const char *col = cols[rn(r, ncol)];
			random_literal(r, t, tbl, col, lit, sizeof(lit));
			snprintf(q + strlen(q), sizeof(q) - strlen(q), "%s%s = %s", i ? ", " : "", col, lit);
		}
		snprintf(q + strlen(q), sizeof(q) - strlen(q), " WHERE id = '%s'", id);
	} else {
		snprintf(q, sizeof(q), "DELETE FROM %s WHERE id = '%s'", tbl, id);
	}
	sql(t, q);
}

static void shuffle(rng *r, vios_crdt_op *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rn(r, (unsigned)i);
		vios_crdt_op tmp = v[i - 1];
		v[i - 1] = v[j];
		v[j] = tmp;
	}
}

/* Delivers ops (shallow copies) to t in random batches, with duplicates. */
static void deliver(rng *r, tnode *t, const vios_crdt_op *ops, size_t n, unsigned dup_pct)
{
	size_t cap = n + n * dup_pct / 100 + 1, m = 0;
	vios_crdt_op *v = malloc(cap * sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[m++] = ops[i];
	for (size_t i = 0; i < n && m < cap; i++)
		if (rn(r, 100) < dup_pct)
			v[m++] = ops[rn(r, (unsigned)n)];
	shuffle(r, v, m);
	for (size_t i = 0; i < m;) {
		size_t b = 1 + rn(r, rn(r, 4) ? 40 : 400);
		if (b > m - i)
			b = m - i;
		apply_ok(t, v + i, b);
		i += b;
	}
	free(v);
}

static void copy_file(const char *from, const char *to)
{
	uint8_t *buf;
	size_t len;
	assert_int_equal(vios_file_read(&buf, &len, from, 1 << 28), 0);
	assert_int_equal(vios_file_write_atomic(to, buf, len, 0600, 1), 0);
	free(buf);
}

/* Saves (restore = 0) or brings back (1) t's store as it is now, with its
 * page index (a store.db without the index it was written with is refused). */
static void snapshot(tnode *t, int restore)
{
	char db[FX_PATH + 16], snap[FX_PATH + 16], wal[FX_PATH + 32];
	char ix[FX_PATH + 32], snapix[FX_PATH + 32];

	vios_store_free(t->st);
	t->st = NULL;
	snprintf(db, sizeof(db), "%s/store.db", t->home);
	snprintf(snap, sizeof(snap), "%s/store.snap", t->home);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	snprintf(ix, sizeof(ix), "%s-index", db);
	snprintf(snapix, sizeof(snapix), "%s-index", snap);
	assert_false(vios_path_exists(wal)); /* closed cleanly: all in store.db */
	if (restore) {
		copy_file(snap, db);
		copy_file(snapix, ix);
	} else {
		copy_file(db, snap);
		copy_file(ix, snapix);
	}
	FX_OK(fx_store_open(&t->st, t->node));
	FX_OK(vios_crdt_attach_unjudged(t->st));
}

/*
 * An erasure in the mix (docs/lifecycle.md): a pupil of t's own erased with
 * vios_crdt_erase_pupil, or a random pupil or case deleted (its tombstone);
 * either way the rows naming it go by the cascade, on every node.
 */
static void random_erase(rng *r, tnode *t)
{
	char id[37] = "", q[200];
	const char *tbl = rn(r, 2) ? "pupil" : "case_file";
	sqlite3_stmt *pStmt = NULL;

	snprintf(q, sizeof(q), "SELECT id FROM pupil WHERE origin = '%s' ORDER BY id LIMIT 1 OFFSET %u",
		 t->node->node_id, rn(r, 3));
	assert_int_equal(sqlite3_prepare_v2(t->st->db, q, -1, &pStmt, NULL), SQLITE_OK);
	if (sqlite3_step(pStmt) == SQLITE_ROW)
		snprintf(id, sizeof(id), "%s", (const char *)sqlite3_column_text(pStmt, 0));
	sqlite3_finalize(pStmt);
	if (*id && rn(r, 2)) {
		FX_OK(vios_crdt_erase_pupil(NULL, t->st, id, "convergence test"));
		return;
	}
	random_id(r, t, tbl, id);
	if (*id == 0)
		return;
	snprintf(q, sizeof(q), "DELETE FROM %s WHERE id = '%s'", tbl, id);
	tx(t, q);
}

/* No live row of t names a deleted pupil, case or meeting. */
static void assert_cascaded(tnode *t)
{
	assert_int_equal(one_int(t, "SELECT count(*) FROM signal WHERE pupil_id IN"
				    " (SELECT pk FROM crdt_tombstone WHERE tbl = 'pupil')"), 0);
	assert_int_equal(one_int(t, "SELECT count(*) FROM case_file WHERE pupil_id IN"
				    " (SELECT pk FROM crdt_tombstone WHERE tbl = 'pupil')"), 0);
	assert_int_equal(one_int(t, "SELECT count(*) FROM meeting WHERE case_id IN"
				    " (SELECT pk FROM crdt_tombstone WHERE tbl = 'case_file')"), 0);
	assert_int_equal(one_int(t, "SELECT count(*) FROM agreement WHERE case_id IN"
				    " (SELECT pk FROM crdt_tombstone WHERE tbl = 'case_file') OR meeting_id IN"
				    " (SELECT pk FROM crdt_tombstone WHERE tbl = 'meeting')"), 0);
}

static void test_crdt_merge__random_histories_converge_in_any_delivery_order(void **state)
{
	sandbox *sb = *state;
	const char *env = getenv("VIOS_TEST_SEED"), *envs = getenv("VIOS_TEST_SCHEDULES");
	uint64_t seed;
	rng r;
	pool all = { 0 };
	int nw, schedules = envs ? atoi(envs) : 8;
	char want[3][65], d[65], *wantc = NULL;
	static const char *cats[] = { NULL, "theme", "case" };
	int64_t rows = 0, tombs, confl;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (env)
		seed = strtoull(env, NULL, 10);
	else
		randombytes_buf(&seed, sizeof(seed));
	seed |= 1;
	r.s = seed;
	nw = 3 + (int)rn(&r, 3); /* 3 to 5 writing nodes, and one that only receives */
	nodes(sb, nw + 1);

	/* Rounds of concurrent writes; between them each node sees a random part
	 * of what the others wrote, so later writes build on some of it. */
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < nw; i++) {
			int txs = 3 + (int)rn(&r, 5);
			for (int k = 0; k < txs; k++) {
				int w = 1 + (int)rn(&r, 3);
				if (rn(&r, 8) == 0) { /* through the records API */
					char id[37];
					add_pupil(&sb->n[i], id, "P");
					continue;
				}
				assert_int_equal(vios_store_tx_begin(sb->n[i].st), 0);
				for (int j = 0; j < w; j++)
					random_write(&r, &sb->n[i]);
				if (vios_store_tx_commit(sb->n[i].st) != 0)
					fail_msg("seed %llu: commit: %s", (unsigned long long)seed, vios_error_last());
			}
			if (rn(&r, 3) == 0)
				random_erase(&r, &sb->n[i]);
			take(&all, &sb->n[i]);
		}
		for (int i = 0; i < nw; i++) {
			pool some = { 0 };
			for (size_t k = 0; k < all.n; k++)
				if (strcmp(all.v[k].node, sb->n[i].node->node_id) && rn(&r, 100) < 45)
					pool_add(&some, &all.v[k]);
			deliver(&r, &sb->n[i], some.v, some.n, 10);
			pool_free(&some);
		}
	}
	/* the scenarios above, once more inside the mix: a row two nodes delete,
	 * and an update racing a delete */
	{
		char id[37], q[200];
		random_id(&r, &sb->n[0], "trend", id);
		if (*id) {
			snprintf(q, sizeof(q), "DELETE FROM trend WHERE id = '%s'", id);
			tx(&sb->n[0], q);
			snprintf(q, sizeof(q), "DELETE FROM trend WHERE id = '%s'", id);
			tx(&sb->n[1], q);
			snprintf(q, sizeof(q), "UPDATE trend SET note = 'late' WHERE id = '%s'", id);
			tx(&sb->n[2], q);
		}
	}
	for (int i = 0; i < nw; i++) {
		take(&all, &sb->n[i]);
		snapshot(&sb->n[i], 0);
	}
	snapshot(&sb->n[nw], 0);

	for (int s = 0; s < schedules; s++) {
		for (int i = 0; i <= nw; i++) {
			tnode *t = &sb->n[i];
			pool mine = { 0 };
			if (s > 0)
				snapshot(t, 1);
			for (size_t k = 0; k < all.n; k++)
				if (i == nw || strcmp(all.v[k].node, t->node->node_id) || rn(&r, 100) < 20)
					pool_add(&mine, &all.v[k]);
			deliver(&r, t, mine.v, mine.n, s == 0 ? 0 : 25);
			pool_free(&mine);
			assert_cascaded(t);
			for (int c = 0; c < 3; c++) {
				digest(t, cats[c], d);
				if (s == 0 && i == 0)
					memcpy(want[c], d, 65);
				else if (strcmp(d, want[c]))
					fail_msg("seed %llu: schedule %d node %d: %s digest differs", (unsigned long long)seed,
						 s, i, cats[c] ? cats[c] : "full");
			}
			{
				char *c = conflicts_canon(t);
				if (wantc == NULL)
					wantc = c;
				else {
					if (strcmp(c, wantc))
						fail_msg("seed %llu: schedule %d node %d: conflicts differ",
							 (unsigned long long)seed, s, i);
					free(c);
				}
			}
		}
	}
	for (const char *const *tb = vios_crdt_tables(); *tb; tb++) {
		char q[80];
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s", *tb);
		rows += one_int(&sb->n[0], q);
	}
	tombs = one_int(&sb->n[0], "SELECT count(*) FROM crdt_tombstone");
	confl = one_int(&sb->n[0], "SELECT count(*) FROM crdt_conflict");
	assert_int_equal(vios_store_check(sb->n[0].st), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("convergence: seed %llu, %d writing nodes + 1 receiver, %zu ops, %lld rows, %lld tombstones,"
	       " %lld conflicts; %d schedules x %d nodes converged in %.1f s\n",
	       (unsigned long long)seed, nw, all.n, (long long)rows, (long long)tombs, (long long)confl, schedules,
	       nw + 1, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	/* the run was not trivial */
	assert_true(rows > 20);
	assert_true(tombs > 0);
	assert_true(confl > 0);
	free(wantc);
	pool_free(&all);
}

/* ---- a case's marked fields (schema/0010) ----------------------------------------------- */

/* The latest of pending ops v[0..n) that sets column col of row pk, NULL
 * when none. */
static const vios_crdt_op *op_for(const vios_crdt_pending_op *v, size_t n, const char *pk, const char *col)
{
	const vios_crdt_op *last = NULL;

	for (size_t i = 0; i < n; i++)
		if (v[i].op.kind == VIOS_OP_SET && !strcmp(v[i].op.pk, pk) && !strcmp(v[i].op.col, col))
			last = &v[i].op;
	return last;
}

static void test_crdt_capture__case_marked_fields_are_ops_like_any_column(void **state)
{
	sandbox *sb = *state;
	vios_crdt_pending_op *v;
	const vios_crdt_op *op;
	size_t n;
	char p[37], cid[37], d0[65], d1[65];
	uint64_t h_open;
	tnode *a;

	nodes(sb, 1);
	a = &sb->n[0];
	add_pupil(a, p, "Dee");
	{
		vios_field f[] = { { "pupil_id", p }, { "roles", "police,social-team" },
				   { "police_info", "arrested for theft" }, { "basis", "public-task" }, { "parents_informed", "1" } };
		assert_int_equal(vios_record_add(cid, a->st, "case_file", f, 5), 0);
	}
	v = pending(a, &n);
	assert_non_null(op = op_for(v, n, cid, "police_info"));
	assert_int_equal(op->value.type, VIOS_VAL_TEXT);
	assert_string_equal(op->value.u.text.p, "arrested for theft");
	assert_int_equal(vios_crdt_op_validate(op), 0);
	h_open = op->hlc;
	/* the insert sets every column, the one not given as NULL */
	assert_non_null(op = op_for(v, n, cid, "care_info"));
	assert_int_equal(op->value.type, VIOS_VAL_NULL);
	assert_int_equal(op->hlc, h_open);
	vios_crdt_pending_free(v, n);

	/* an edit: one op each, on top of the insert's clock; in the digest */
	digest(a, "case", d0);
	{
		vios_field f[] = { { "care_info", "self-harm risk" }, { "police_info", "" } };
		assert_int_equal(vios_record_edit(NULL, a->st, "case_file", cid, f, 2), 0);
	}
	digest(a, "case", d1);
	assert_string_not_equal(d0, d1);
	v = pending(a, &n);
	assert_non_null(op = op_for(v, n, cid, "care_info"));
	assert_true(op->hlc > h_open);
	assert_string_equal(op->value.u.text.p, "self-harm risk");
	assert_int_equal(op->base_hlc, h_open);
	assert_string_equal(op->base_node, a->node->node_id);
	assert_int_equal(v[n - 1].category, VIOS_CAT_CASE);
	{ /* cleared: the op carries NULL */
		size_t sets = 0;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(v[i].op.pk, cid) && !strcmp(v[i].op.col, "police_info")) {
				sets++;
				if (v[i].op.hlc > h_open)
					assert_int_equal(v[i].op.value.type, VIOS_VAL_NULL);
			}
		assert_int_equal(sets, 2);
	}
	vios_crdt_pending_free(v, n);
	{ /* a remote op of the wrong type is refused like any column's */
		vios_crdt_op bad = mkset(VIOS_HLC_MAX - 1, a->node->node_id, "case_file", cid, "care_info", vint(1), 0, NULL);
		assert_int_equal(vios_crdt_op_validate(&bad), VIOS_ECORRUPT);
	}
}

static void test_crdt_merge__case_marked_fields_converge_after_concurrent_writes(void **state)
{
	sandbox *sb = *state;
	pool ins = { 0 }, ua = { 0 }, ub = { 0 };
	char p[37], cid[37], q[256];
	tnode *a, *b, *c;

	nodes(sb, 3);
	a = &sb->n[0], b = &sb->n[1], c = &sb->n[2];
	add_pupil(a, p, "Eli");
	{
		vios_field f[] = { { "pupil_id", p }, { "roles", "police,social-team" },
				   { "police_info", "known to the police" }, { "care_info", "GP involved" }, { "basis", "public-task" }, { "parents_informed", "1" } };
		assert_int_equal(vios_record_add(cid, a->st, "case_file", f, 6), 0);
	}
	take(&ins, a);
	apply_ok(b, ins.v, ins.n);
	assert_int_equal(one_int(b, "SELECT police_info = 'known to the police' AND care_info = 'GP involved'"
				    " FROM case_file"), 1);
	/* concurrently: a changes the police information, b both (b later) */
	snprintf(q, sizeof(q), "UPDATE case_file SET police_info = 'arrested for theft' WHERE id = '%s'", cid);
	tx(a, q);
	usleep(2000);
	snprintf(q, sizeof(q), "UPDATE case_file SET police_info = 'released', care_info = NULL WHERE id = '%s'", cid);
	tx(b, q);
	take(&ua, a);
	take(&ub, b);
	apply_ok(a, ub.v, ub.n);
	apply_ok(b, ua.v, ua.n);
	/* c: everything, b's first */
	apply_ok(c, ub.v, ub.n);
	apply_ok(c, ins.v, ins.n);
	apply_ok(c, ua.v, ua.n);
	assert_converged(sb, 0, 2);
	for (int i = 0; i < 3; i++) {
		/* the later write wins; the cleared care_info stays cleared */
		assert_int_equal(one_int(&sb->n[i], "SELECT police_info = 'released' AND care_info IS NULL FROM case_file"), 1);
		/* and a's lost write is a conflict on that column, everywhere */
		assert_int_equal(one_int(&sb->n[i], "SELECT count(*) FROM crdt_conflict WHERE tbl = 'case_file'"
						    " AND col = 'police_info' AND value = 'arrested for theft'"), 1);
		assert_int_equal(nconflicts(&sb->n[i]), 1);
	}
	pool_free(&ins);
	pool_free(&ua);
	pool_free(&ub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crdt_schema__column_lists_match_the_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_capture__insert_sets_every_column_with_one_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_capture__updates_carry_changed_columns_and_base_clocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_capture__delete_is_a_tombstone_and_drops_unsent_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_capture__access_log_and_local_tables_make_no_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_capture__text_other_nodes_would_refuse_fails_the_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_pending__paging_and_sealing_in_the_exporters_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_pending__owners_come_with_the_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_pending__migration_keeps_every_op_and_the_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_apply__a_delete_after_a_set_in_one_batch_keeps_its_category, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crdt_apply__a_set_once_column_set_again_in_one_batch_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crdt_category__rows_go_to_theme_or_case_with_the_cases_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_digest__category_digests_see_only_their_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_hlc__monotonic_receive_rule_and_future_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_apply__future_ops_are_accepted_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_apply__same_batch_twice_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_apply__bad_ops_are_ecorrupt_and_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_apply__inside_the_importers_transaction_rolls_back_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_apply__two_values_under_one_clock_resolve_alike_in_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_merge__same_row_deleted_on_two_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_merge__delete_wins_over_a_concurrent_update_in_either_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_merge__update_arriving_before_its_insert_converges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_merge__concurrent_updates_record_one_conflict_with_one_winner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_merge__a_chain_of_writes_is_no_conflict_once_its_gap_is_filled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_merge__random_histories_converge_in_any_delivery_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_capture__case_marked_fields_are_ops_like_any_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crdt_merge__case_marked_fields_converge_after_concurrent_writes, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	if (getenv("VIOS_TEST_FILTER")) /* e.g. "*random*" */
		cmocka_set_test_filter(getenv("VIOS_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
