/*
 * test_erase.c - erasure of a pupil, the cascade and retention
 * (src/crdt/erase.c, sync/retention.c, docs/lifecycle.md), between a
 * school and the police that exchange a case through a hub.
 *
 * Each test has its own sandbox (fixture.h): a hub under the default
 * covenant, a school and a police partner, enrolled and joined. The
 * school writes a pupil, a signal about the pupil, a case with the police,
 * an agreement on the case for the police and a trend, and both sync.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdt/crdt.h"
#include "store/records.h"
#include "sync/retention.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

#define CANARY "canary-7f3a"

typedef struct {
	fx_world w;
	fx_node school, police;
	char pupil[37], other[37], signal[37], kase[37], kase_other[37], agreement[37], trend[37];
} sandbox;

static void sync_ok(fx_node *t)
{
	vios_sync_report rep;

	if (vios_sync(&rep, t->st, NULL) != 0)
		fail_msg("%s: sync: %s", t->name, vios_error_last());
	assert_int_equal(rep.alarms, 0);
}

static int64_t one_int(fx_node *t, const char *zSql, const char *param)
{
	sqlite3_stmt *pStmt = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(t->st->db, zSql, -1, &pStmt, NULL), SQLITE_OK);
	if (param)
		sqlite3_bind_text(pStmt, 1, param, -1, SQLITE_STATIC);
	if (sqlite3_step(pStmt) == SQLITE_ROW)
		v = sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return v;
}

/* 1 when t holds row id of tbl. */
static int holds(fx_node *t, const char *tbl, const char *id)
{
	char q[96];

	snprintf(q, sizeof(q), "SELECT count(*) FROM %s WHERE id = ?1", tbl);
	return one_int(t, q, id) > 0;
}

/* How many places in t's store (records and the merge's state) still hold
 * the canary text. */
static int64_t canaries(fx_node *t)
{
	return one_int(t,
		       "SELECT (SELECT count(*) FROM pupil WHERE name LIKE '%'||?1||'%' OR guardian_contact LIKE '%'||?1||'%')"
		       " + (SELECT count(*) FROM signal WHERE note LIKE '%'||?1||'%')"
		       " + (SELECT count(*) FROM agreement WHERE action LIKE '%'||?1||'%' OR feedback LIKE '%'||?1||'%')"
		       " + (SELECT count(*) FROM crdt_history WHERE CAST(value AS TEXT) LIKE '%'||?1||'%')"
		       " + (SELECT count(*) FROM crdt_conflict WHERE CAST(value AS TEXT) LIKE '%'||?1||'%')"
		       " + (SELECT count(*) FROM crdt_change WHERE vals LIKE '%'||?1||'%')",
		       CANARY);
}

/* Runs zSql on t outside capture (as if it had been so for long). */
static void uncaptured(fx_node *t, const char *zSql)
{
	FX_OK(vios_store_tx_begin_uncaptured(t->st));
	if (sqlite3_exec(t->st->db, zSql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", zSql, sqlite3_errmsg(t->st->db));
	FX_OK(vios_store_tx_commit(t->st));
}

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	vios_field fp[] = { { "name", "Pupil " CANARY }, { "guardian_contact", "guardian-" CANARY "@example.org" } };
	vios_field fo[] = { { "name", "Other pupil" } };
	vios_field fs[] = { { "theme", "weapons" }, { "note", "note " CANARY }, { "pupil_id", NULL },
			    { "basis", "public-task" }, { "parents_informed", "1" } };
	vios_field fc[] = { { "pupil_id", NULL }, { "signals", NULL }, { "roles", "police" }, { "lead_role", "police" },
			    { "basis", "public-task" }, { "parents_informed", "1" } };
	vios_field fa[] = { { "case_id", NULL }, { "owner_role", "police" }, { "action", "visit " CANARY },
			    { "due_date", "2030-01-01" } };
	vios_field ft[] = { { "theme", "drugs-use" }, { "period", "2026-10" }, { "level", "rising" } };

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-erase"));
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(&sb->school, &sb->w, "school", "school", NULL));
	FX_OK(fx_node_make(&sb->police, &sb->w, "police", "partner", "police"));
	{
		fx_node *all[] = { &sb->school, &sb->police };
		FX_OK(fx_enroll_join(&sb->w, all, 2));
	}
	FX_OK(vios_record_add(sb->pupil, sb->school.st, "pupil", fp, 2));
	FX_OK(vios_record_add(sb->other, sb->school.st, "pupil", fo, 1));
	fs[2].val = sb->pupil;
	FX_OK(vios_record_add(sb->signal, sb->school.st, "signal", fs, 5));
	fc[0].val = sb->pupil;
	fc[1].val = sb->signal;
	FX_OK(vios_record_add(sb->kase, sb->school.st, "case_file", fc, 6));
	fa[0].val = sb->kase;
	FX_OK(vios_record_add(sb->agreement, sb->school.st, "agreement", fa, 4));
	FX_OK(vios_record_add(sb->trend, sb->school.st, "trend", ft, 3));
	/* the other pupil's open case with the police too */
	fc[0].val = sb->other;
	fc[1].val = NULL;
	FX_OK(vios_record_add(sb->kase_other, sb->school.st, "case_file", fc, 6));
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	assert_true(holds(&sb->police, "pupil", sb->pupil));
	assert_true(holds(&sb->police, "agreement", sb->agreement));
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	fx_node_dispose(&sb->school);
	fx_node_dispose(&sb->police);
	fx_world_dispose(&sb->w);
	free(sb);
	return 0;
}

/* A police agreement in the school's case, made at t as a merge of the
 * police's ops (the default mandate lets no partner make one; a covenant
 * may): what the cascade must take away with the case. */
static void police_agreement(sandbox *sb, fx_node *t, char id[37], uint64_t hlc)
{
	vios_crdt_op ops[3];
	const char *cols[] = { "origin", "case_id", "action" };
	const char *vals[] = { sb->police.node->node_id, sb->kase, "police action " CANARY };

	vios_uuid7(id);
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < 3; i++) {
		ops[i].kind = VIOS_OP_SET;
		ops[i].hlc = hlc;
		ops[i].node = (char *)sb->police.node->node_id;
		ops[i].tbl = (char *)"agreement";
		ops[i].pk = id;
		ops[i].col = (char *)cols[i];
		ops[i].value.type = VIOS_VAL_TEXT;
		ops[i].value.u.text.p = (char *)vals[i];
		ops[i].value.u.text.len = strlen(vals[i]);
	}
	FX_OK(vios_crdt_apply(NULL, t->st, ops, 3, NULL));
}

static void test_erase__a_partner_may_not_erase_the_schools_pupil(void **state)
{
	sandbox *sb = *state;
	char before[65], after[65];
	int64_t log0 = one_int(&sb->police, "SELECT count(*) FROM access_log", NULL);

	FX_OK(vios_crdt_digest(before, sb->police.st, NULL));
	assert_int_equal(vios_crdt_erase_pupil(NULL, sb->police.st, sb->pupil, "not mine"), VIOS_EDENIED);
	assert_non_null(strstr(vios_error_last(), "only the owning school may erase"));
	assert_null(strchr(vios_error_last(), '\n'));
	FX_OK(vios_crdt_digest(after, sb->police.st, NULL));
	assert_string_equal(after, before);
	assert_true(holds(&sb->police, "pupil", sb->pupil));
	assert_int_equal(one_int(&sb->police, "SELECT count(*) FROM access_log", NULL), log0);
	/* and the school's own checks: a reason, a pupil it holds */
	assert_int_equal(vios_crdt_erase_pupil(NULL, sb->school.st, sb->pupil, " "), VIOS_EUSAGE);
	assert_int_equal(vios_crdt_erase_pupil(NULL, sb->school.st, "0190d1c4-0000-7000-8000-000000000000", "x"),
			 VIOS_ENOTFOUND);
	assert_true(holds(&sb->school, "pupil", sb->pupil));
}

static void test_erase__the_school_erases_and_every_node_follows(void **state)
{
	sandbox *sb = *state;
	vios_crdt_erased e;
	char ds[65], dp[65];

	assert_true(canaries(&sb->police) > 0);
	FX_OK(vios_crdt_erase_pupil(&e, sb->school.st, sb->pupil, "request of the parents"));
	assert_int_equal(e.total, 4); /* pupil, signal, case, agreement */
	assert_int_equal(e.n[0], 1);
	assert_int_equal(e.n[1], 1);
	assert_int_equal(e.n[4], 1);
	assert_int_equal(e.n[5], 1);
	assert_int_equal(canaries(&sb->school), 0);
	assert_int_equal(one_int(&sb->school, "SELECT count(*) FROM access_log WHERE action = 'erase' AND tbl = 'pupil'"
					      " AND record_id = ?1 AND why = 'request of the parents'", sb->pupil), 1);
	/* the tombstones travel; nothing of the pupil is in a pending op but them */
	assert_int_equal(one_int(&sb->school, "SELECT count(*) FROM crdt_change WHERE sealed_in IS NULL AND cols IS NOT NULL"
					      " AND pk IN (SELECT pk FROM crdt_tombstone)", NULL), 0);
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	assert_false(holds(&sb->police, "pupil", sb->pupil));
	assert_false(holds(&sb->police, "signal", sb->signal));
	assert_false(holds(&sb->police, "case_file", sb->kase));
	assert_false(holds(&sb->police, "agreement", sb->agreement));
	assert_true(holds(&sb->police, "pupil", sb->other));
	assert_true(holds(&sb->police, "case_file", sb->kase_other));
	assert_true(holds(&sb->police, "trend", sb->trend));
	assert_int_equal(canaries(&sb->police), 0);
	assert_int_equal(one_int(&sb->police, "SELECT (SELECT count(*) FROM crdt_cell WHERE pk = ?1) + (SELECT count(*) FROM crdt_row WHERE pk = ?1)",
					     sb->pupil), 0);
	/* the school and the police hold the same case rows and tombstones */
	sync_ok(&sb->school);
	FX_OK(vios_crdt_digest(ds, sb->school.st, "case"));
	FX_OK(vios_crdt_digest(dp, sb->police.st, "case"));
	assert_string_equal(ds, dp);
	assert_int_equal(one_int(&sb->school, "SELECT count(*) FROM crdt_tombstone WHERE hlc > 0", NULL),
			 one_int(&sb->police, "SELECT count(*) FROM crdt_tombstone WHERE hlc > 0", NULL));
}

static void test_erase__a_police_row_in_the_case_cascades_and_a_late_one_is_erased_on_arrival(void **state)
{
	sandbox *sb = *state;
	char ag[37], late[37], before[65], after[65];
	uint64_t clock;

	/* the police holds an agreement of its own in the case */
	FX_OK(vios_crdt_clock_get(&clock, sb->police.st));
	police_agreement(sb, &sb->police, ag, clock + 1);
	assert_true(holds(&sb->police, "agreement", ag));
	FX_OK(vios_crdt_erase_pupil(NULL, sb->school.st, sb->pupil, "request of the parents"));
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	assert_false(holds(&sb->police, "case_file", sb->kase));
	assert_false(holds(&sb->police, "agreement", ag));
	assert_int_equal(canaries(&sb->police), 0);
	assert_int_equal(one_int(&sb->police, "SELECT count(*) FROM crdt_tombstone WHERE pk = ?1 AND hlc = 0", ag), 1);

	/* one written before the erasure, arriving after it at the school */
	FX_OK(vios_crdt_digest(before, sb->school.st, NULL));
	police_agreement(sb, &sb->school, late, clock + 2);
	assert_false(holds(&sb->school, "agreement", late));
	assert_int_equal(canaries(&sb->school), 0);
	FX_OK(vios_crdt_digest(after, sb->school.st, NULL));
	assert_string_equal(after, before);
	/* and again: nothing changes */
	police_agreement(sb, &sb->school, late, clock + 3);
	assert_false(holds(&sb->school, "agreement", late));
}

static void test_erase__retention_erases_a_closed_case_on_every_node(void **state)
{
	sandbox *sb = *state;
	vios_crdt_erased e;
	long long months[2];
	fx_node *both[] = { &sb->school, &sb->police };
	char ds[65], dp[65];

	FX_OK(vios_case_set_status(sb->school.st, sb->kase, "closed", NULL));
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	assert_true(holds(&sb->police, "case_file", sb->kase));
	/* the covenant in force (the default): 60 months theme, 24 case; nothing is that old */
	FX_OK(vios_retention_run(&e, months, sb->police.st));
	assert_int_equal(months[0], 60);
	assert_int_equal(months[1], 24);
	assert_int_equal(e.total, 0);
	/* a covenant of one month, three months on: the case goes, with its
	 * signal, agreement and pupil; the other pupil (recorded now) stays */
	for (int i = 0; i < 2; i++) {
		uncaptured(both[i], "UPDATE case_file SET closed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 months')"
				    " WHERE closed_at IS NOT NULL");
		uncaptured(both[i], "UPDATE pupil SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 months')"
				    " WHERE name <> 'Other pupil'");
		FX_OK(vios_crdt_retention(&e, both[i]->st, 1200, 1));
		assert_int_equal(e.n[4], 1);
		assert_int_equal(e.n[1], 1);
		assert_int_equal(e.n[5], 1);
		assert_int_equal(e.n[0], 1);
		assert_false(holds(both[i], "case_file", sb->kase));
		assert_false(holds(both[i], "pupil", sb->pupil));
		assert_true(holds(both[i], "pupil", sb->other));
		assert_true(holds(both[i], "case_file", sb->kase_other));
		assert_true(holds(both[i], "trend", sb->trend));
		assert_int_equal(canaries(both[i]), 0);
		assert_true(one_int(both[i], "SELECT count(*) FROM access_log WHERE action = 'erase'"
					     " AND why LIKE 'retention: 1 months after%'", NULL) >= 3);
	}
	FX_OK(vios_crdt_digest(ds, sb->school.st, "case"));
	FX_OK(vios_crdt_digest(dp, sb->police.st, "case"));
	assert_string_equal(ds, dp);
	/* theme: a trend older than its period */
	uncaptured(&sb->police, "UPDATE trend SET created_at = '2001-01-01T00:00:00Z'");
	FX_OK(vios_crdt_retention(&e, sb->police.st, 1, 1200));
	assert_int_equal(e.n[2], 1);
	assert_false(holds(&sb->police, "trend", sb->trend));
	/* a later sync brings nothing of it back */
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	assert_false(holds(&sb->police, "trend", sb->trend));
	assert_false(holds(&sb->police, "case_file", sb->kase));
	assert_int_equal(vios_crdt_retention(&e, sb->police.st, 0, 12), VIOS_EUSAGE);
}

/* Retention on one node only: the police let the closed case and the pupil
 * go; the school, which keeps the pupil, opens a new case with them. The
 * police must hold the new case: retention's delete of a pupil left with
 * nothing is not an erasure, and nothing cascades from it. */
static void test_erase__a_new_case_reaches_a_node_whose_retention_let_the_pupil_go(void **state)
{
	sandbox *sb = *state;
	vios_crdt_erased e;
	char kase2[37];
	vios_field fc[] = { { "pupil_id", sb->pupil }, { "roles", "police" }, { "lead_role", "police" },
			    { "basis", "public-task" }, { "parents_informed", "1" } };

	FX_OK(vios_case_set_status(sb->school.st, sb->kase, "closed", NULL));
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	uncaptured(&sb->police, "UPDATE case_file SET closed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 months')"
				" WHERE closed_at IS NOT NULL");
	uncaptured(&sb->police, "UPDATE pupil SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 months')");
	FX_OK(vios_crdt_retention(&e, sb->police.st, 1200, 1));
	assert_false(holds(&sb->police, "case_file", sb->kase));
	assert_false(holds(&sb->police, "pupil", sb->pupil));
	/* the school still holds the pupil and opens a new case with the police */
	assert_true(holds(&sb->school, "pupil", sb->pupil));
	FX_OK(vios_record_add(kase2, sb->school.st, "case_file", fc, 5));
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	assert_true(holds(&sb->police, "case_file", kase2));
	/* and it stays through the police's next retention run and sync */
	FX_OK(vios_crdt_retention(&e, sb->police.st, 1200, 1));
	sync_ok(&sb->police);
	assert_true(holds(&sb->police, "case_file", kase2));
}

/* A signal about the pupil seen after its case closed stays until its own
 * time is up: only the signals seen before the expired case closed go with it. */
static void test_erase__retention_keeps_a_signal_seen_after_the_case_closed(void **state)
{
	sandbox *sb = *state;
	vios_crdt_erased e;
	char late[37];
	vios_field fs[] = { { "theme", "weapons" }, { "note", "seen again" }, { "pupil_id", sb->pupil },
			    { "basis", "public-task" }, { "parents_informed", "1" } };

	FX_OK(vios_case_set_status(sb->school.st, sb->kase, "closed", NULL));
	uncaptured(&sb->school, "UPDATE case_file SET closed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 months')"
				" WHERE closed_at IS NOT NULL");
	uncaptured(&sb->school, "UPDATE signal SET seen_at = strftime('%Y-%m-%d', 'now', '-4 months')");
	FX_OK(vios_record_add(late, sb->school.st, "signal", fs, 5));
	FX_OK(vios_crdt_retention(&e, sb->school.st, 1200, 1));
	assert_false(holds(&sb->school, "case_file", sb->kase));
	assert_false(holds(&sb->school, "signal", sb->signal));
	assert_true(holds(&sb->school, "signal", late));
	assert_true(holds(&sb->school, "pupil", sb->pupil));
}

/* A signal without a pupil that only the pupil's case lists (its note may
 * describe the pupil) goes with the pupil; one another case lists stays. */
static void test_erase__a_signal_only_the_pupils_case_lists_goes_with_it(void **state)
{
	sandbox *sb = *state;
	vios_crdt_erased e;
	char lone[37], shared[37], k[37], ko[37], both[80];
	vios_field fs[] = { { "theme", "weapons" }, { "note", "a knife, the boy of " CANARY } };
	vios_field fc[] = { { "pupil_id", sb->pupil }, { "signals", NULL }, { "roles", "police" },
			    { "basis", "public-task" }, { "parents_informed", "1" } };

	FX_OK(vios_record_add(lone, sb->school.st, "signal", fs, 2));
	fs[1].val = "a knife near the gate";
	FX_OK(vios_record_add(shared, sb->school.st, "signal", fs, 2));
	snprintf(both, sizeof(both), "%s,%s", lone, shared);
	fc[1].val = both;
	FX_OK(vios_record_add(k, sb->school.st, "case_file", fc, 5));
	fc[0].val = sb->other;
	fc[1].val = shared;
	FX_OK(vios_record_add(ko, sb->school.st, "case_file", fc, 5));
	FX_OK(vios_crdt_erase_pupil(&e, sb->school.st, sb->pupil, "request of the parents"));
	assert_false(holds(&sb->school, "signal", lone));
	assert_true(holds(&sb->school, "signal", shared));
	assert_true(holds(&sb->school, "case_file", ko));
	assert_int_equal(canaries(&sb->school), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_erase__a_partner_may_not_erase_the_schools_pupil, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase__the_school_erases_and_every_node_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase__a_police_row_in_the_case_cascades_and_a_late_one_is_erased_on_arrival,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase__retention_erases_a_closed_case_on_every_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase__a_new_case_reaches_a_node_whose_retention_let_the_pupil_go, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_erase__retention_keeps_a_signal_seen_after_the_case_closed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_erase__a_signal_only_the_pupils_case_lists_goes_with_it, setup,
						teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
