/*
 * test_sync.c - replication through a hub (sync/sync.h), with the hub
 * repository a local bare path: what a school writes reaches a partner
 * whose role the data is addressed to, and not another; a second sync
 * moves nothing; a node ref rewritten on the hub is an alarm, not an
 * update.
 *
 * Each test has its own sandbox (fixture.h): a hub under the default
 * covenant, a school, a police partner and a youth-work partner, all
 * enrolled and joined.
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

#include "sync/bundle.h"
#include "crdt/crdt.h"
#include "sync/git.h"
#include "store/records.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

typedef struct {
	fx_world w;
	fx_node school, police, youth;
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-sync"));
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(&sb->school, &sb->w, "school", "school", NULL));
	FX_OK(fx_node_make(&sb->police, &sb->w, "police", "partner", "police"));
	FX_OK(fx_node_make(&sb->youth, &sb->w, "youth", "partner", "youth-work"));
	{
		fx_node *all[] = { &sb->school, &sb->police, &sb->youth };
		FX_OK(fx_enroll_join(&sb->w, all, 3));
	}
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	fx_node_dispose(&sb->school);
	fx_node_dispose(&sb->police);
	fx_node_dispose(&sb->youth);
	fx_world_dispose(&sb->w);
	free(sb);
	return 0;
}

static vios_sync_report sync_ok(fx_node *t)
{
	vios_sync_report rep;

	if (vios_sync(&rep, t->st, NULL) != 0)
		fail_msg("%s: sync: %s", t->name, vios_error_last());
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(rep.registry, 1);
	return rep;
}

/* 1 when t holds the row id of table. */
static int holds(fx_node *t, const char *table, const char *id)
{
	char zSql[96];
	const char *p[1] = { id };
	json_t *rows = NULL;
	int n;

	snprintf(zSql, sizeof(zSql), "SELECT id FROM %s WHERE id = ?", table);
	FX_OK(vios_query(&rows, t->st, zSql, p, 1));
	n = (int)json_array_size(rows);
	json_decref(rows);
	return n;
}

/* The school's case with the police: a pupil, a signal about the pupil, the
 * case naming the police; and a trend (theme data). */
static void school_writes(sandbox *sb, char pupil[37], char signal[37], char kase[37], char trend[37])
{
	vios_field fp[] = { { "name", "Pupil One" } };
	vios_field fs[] = { { "theme", "weapons" }, { "note", "a knife in the bag" }, { "pupil_id", NULL },
			    { "basis", "public-task" }, { "parents_informed", "1" } };
	vios_field fc[] = { { "pupil_id", NULL }, { "signals", NULL }, { "roles", "police" }, { "basis", "public-task" } };
	vios_field ft[] = { { "theme", "drugs-use" }, { "period", "2026-10" }, { "level", "rising" } };

	FX_OK(vios_record_add(pupil, sb->school.st, "pupil", fp, 1));
	fs[2].val = pupil;
	FX_OK(vios_record_add(signal, sb->school.st, "signal", fs, 5));
	fc[0].val = pupil;
	fc[1].val = signal;
	FX_OK(vios_record_add(kase, sb->school.st, "case_file", fc, 4));
	FX_OK(vios_record_add(trend, sb->school.st, "trend", ft, 3));
}

static void test_sync__a_case_signal_reaches_the_role_it_is_addressed_to_and_no_other(void **state)
{
	sandbox *sb = *state;
	char pupil[37], signal[37], kase[37], trend[37], want[65], got[65];
	vios_sync_report rep;

	school_writes(sb, pupil, signal, kase, trend);
	rep = sync_ok(&sb->school);
	assert_true(rep.exported >= 1);
	assert_int_equal(rep.pushed, rep.exported);

	/* the police: the case, its pupil and signal, and the trend */
	rep = sync_ok(&sb->police);
	assert_true(rep.bundles >= 1);
	assert_true(rep.applied >= 1);
	assert_true(holds(&sb->police, "signal", signal));
	assert_true(holds(&sb->police, "pupil", pupil));
	assert_true(holds(&sb->police, "case_file", kase));
	assert_true(holds(&sb->police, "trend", trend));
	FX_OK(vios_crdt_digest(want, sb->school.st, "case"));
	FX_OK(vios_crdt_digest(got, sb->police.st, "case"));
	assert_string_equal(got, want);

	/* youth work: the trend only; the case does not name it */
	sync_ok(&sb->youth);
	assert_true(holds(&sb->youth, "trend", trend));
	assert_false(holds(&sb->youth, "signal", signal));
	assert_false(holds(&sb->youth, "pupil", pupil));
	assert_false(holds(&sb->youth, "case_file", kase));
	FX_OK(vios_crdt_digest(want, sb->school.st, "theme"));
	FX_OK(vios_crdt_digest(got, sb->youth.st, "theme"));
	assert_string_equal(got, want);
}

static void test_sync__a_second_sync_moves_nothing(void **state)
{
	sandbox *sb = *state;
	char pupil[37], signal[37], kase[37], trend[37], before[65], after[65];
	vios_sync_report rep;
	git_repository *hub = NULL;
	git_oid head1, head2;
	char ref[64];

	school_writes(sb, pupil, signal, kase, trend);
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	FX_OK(vios_git_open(&hub, sb->w.repo, 0));
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, sb->school.node->node_id);
	FX_OK(vios_git_ref_oid(&head1, hub, ref));
	FX_OK(vios_crdt_digest(before, sb->police.st, NULL));

	rep = sync_ok(&sb->school);
	assert_int_equal(rep.bundles, 0);
	assert_int_equal(rep.exported, 0);
	assert_int_equal(rep.pushed, 0);
	rep = sync_ok(&sb->police);
	assert_int_equal(rep.bundles, 0);
	assert_int_equal(rep.applied, 0);
	assert_int_equal(rep.ops, 0);
	assert_int_equal(rep.exported, 0);

	FX_OK(vios_git_ref_oid(&head2, hub, ref));
	assert_true(git_oid_equal(&head1, &head2));
	FX_OK(vios_crdt_digest(after, sb->police.st, NULL));
	assert_string_equal(after, before);
	git_repository_free(hub);
}

static void test_sync__a_node_ref_rewritten_on_the_hub_is_an_alarm(void **state)
{
	sandbox *sb = *state;
	char pupil[37], signal[37], kase[37], trend[37], ref[64], before[65], after[65];
	vios_git_file junk = { "junk.txt", "not a bundle", 12 };
	vios_sync_report rep;
	git_repository *hub = NULL;
	git_oid other;

	school_writes(sb, pupil, signal, kase, trend);
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	FX_OK(vios_crdt_digest(before, sb->police.st, NULL));

	/* the school's ref on the hub moved to a history of its own */
	FX_OK(vios_git_open(&hub, sb->w.repo, 0));
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, sb->school.node->node_id);
	FX_OK(vios_git_commit_files(&other, hub, "refs/heads/rewrite", &junk, 1, "rewrite", "x", "x@x"));
	FX_OK(vios_git_set_ref(hub, ref, &other, "rewrite"));
	git_repository_free(hub);

	assert_int_equal(vios_sync(&rep, sb->police.st, NULL), VIOS_EVERIFY);
	assert_int_equal(rep.alarms, 1);
	assert_non_null(strstr(rep.first_alarm, sb->school.node->node_id));
	FX_OK(vios_crdt_digest(after, sb->police.st, NULL));
	assert_string_equal(after, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync__a_case_signal_reaches_the_role_it_is_addressed_to_and_no_other,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync__a_second_sync_moves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync__a_node_ref_rewritten_on_the_hub_is_an_alarm, setup, teardown),
	};
	if (sodium_init() < 0 || vios_git_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
