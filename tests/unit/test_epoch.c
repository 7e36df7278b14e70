/*
 * test_epoch.c - epoch keys (store/epoch.h): rotation, the announcement a
 * partner records and seals to, the destruction rule (the clock's effect
 * is made by dating the rows back: one process reads VIOS_TEST_DAYS_AHEAD
 * once), epoch 0 destroyed in identity.sec, and an identity backup that
 * carries the live epoch keys.
 *
 * Each test has its own sandbox (fixture.h): a hub, a school and the police.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/age.h"
#include "node/backup.h"
#include "store/epoch.h"
#include "sync/git.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

typedef struct {
	fx_world w;
	fx_node school, police;
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-epoch"));
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(&sb->school, &sb->w, "school", "school", NULL));
	FX_OK(fx_node_make(&sb->police, &sb->w, "police", "partner", "police"));
	{
		fx_node *all[] = { &sb->school, &sb->police };
		FX_OK(fx_enroll_join(&sb->w, all, 2));
	}
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

static void sync_ok(fx_node *t)
{
	vios_sync_report rep;

	if (vios_sync(&rep, t->st, NULL) != 0)
		fail_msg("%s: sync: %s", t->name, vios_error_last());
}

static void sql(fx_node *t, const char *zSql)
{
	char *err = NULL;

	if (sqlite3_exec(t->st->db, zSql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", zSql, err);
}

static size_t live_keys(fx_node *t)
{
	uint8_t **ids = NULL;
	size_t n = 0;

	FX_OK(vios_epoch_keys(&ids, &n, NULL, t->st));
	vios_epoch_keys_free(ids, n);
	return n;
}

static void test_epoch__a_partner_seals_to_the_announced_epoch_key(void **state)
{
	sandbox *sb = *state;
	vios_epoch_report rep;
	uint8_t before[32], own[32], after[32];
	const char *school = sb->school.node->node_id;

	/* a node's current epoch is 0 (its identity's key) until its month ends */
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_int_equal(rep.current, 0);
	assert_int_equal(live_keys(&sb->school), 1);
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 1));
	assert_int_equal(rep.current, 1);
	assert_int_equal(rep.started, 1);
	assert_int_equal(rep.ndestroyed, 0);
	/* epoch 0's grace counts once epoch 1 is announced, not before */
	assert_true(rep.awaiting_announce);
	assert_int_equal(rep.next_destroy[0], 0);
	assert_int_equal(live_keys(&sb->school), 2);

	FX_OK(vios_epoch_seal_pk(before, sb->police.st, school, sb->school.node->age_pk));
	assert_memory_equal(before, sb->school.node->age_pk, 32); /* nothing announced yet */
	FX_OK(vios_epoch_seal_pk(own, sb->school.st, school, sb->school.node->age_pk));
	assert_memory_not_equal(own, sb->school.node->age_pk, 32); /* to itself: its own epoch 1 */
	sync_ok(&sb->school);
	sync_ok(&sb->police);
	FX_OK(vios_epoch_seal_pk(after, sb->police.st, school, sb->school.node->age_pk));
	assert_memory_equal(after, own, 32);
	/* announced now: epoch 0 goes 14 days on */
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_false(rep.awaiting_announce);
	assert_true(rep.next_destroy[0] != 0);
}

static void test_epoch__destroyed_after_its_end_plus_the_grace_never_while_a_bundle_is_held(void **state)
{
	sandbox *sb = *state;
	vios_epoch_report rep;
	vios_node *again = NULL;
	vios_secret *pass = NULL;
	char id[VIOS_AGE_IDENTITY_LEN + 1];
	json_t *list = NULL;

	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 1));
	/* ended long ago, but epoch 1 was never announced (a rotate, then no
	 * sync): partners still seal to epoch 0, it stays */
	sql(&sb->school, "UPDATE epoch_zero SET ended_at = '2000-01-01T00:00:00Z'");
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_int_equal(rep.ndestroyed, 0);
	assert_true(rep.awaiting_announce);
	assert_non_null(sb->school.node->age_sk);
	/* epoch 1 announced 13 days ago: within the grace */
	sql(&sb->school, "UPDATE epoch_key SET published_seq = 1,"
			 " announced_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-13 days') WHERE n = 1");
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_int_equal(rep.ndestroyed, 0);
	assert_non_null(sb->school.node->age_sk);
	/* past the grace, but a bundle waits undecrypted */
	sql(&sb->school, "UPDATE epoch_key SET announced_at = '2000-01-01T00:00:00Z' WHERE n = 1");
	sql(&sb->school, "INSERT INTO held(sender, seq, hash, age, sig, held_at) VALUES ('x', 2, 'h', x'00', 's', '2000-01-01T00:00:00Z')");
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_int_equal(rep.ndestroyed, 0);
	assert_int_equal(rep.held, 1);
	assert_non_null(sb->school.node->age_sk);
	/* nothing held: epoch 0 goes, in identity.sec too */
	sql(&sb->school, "DELETE FROM held");
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_int_equal(rep.ndestroyed, 1);
	assert_int_equal(rep.destroyed[0], 0);
	assert_null(sb->school.node->age_sk);
	assert_int_equal(vios_node_age_identity(id, sizeof(id), sb->school.node), VIOS_ENOTFOUND);
	FX_OK(vios_secret_new(&pass, FX_PASS, strlen(FX_PASS)));
	FX_OK(vios_node_open(&again, sb->school.home, pass));
	assert_null(again->age_sk);
	assert_memory_equal(again->age_pk, sb->school.node->age_pk, 32);
	vios_node_free(again);
	vios_secret_free(pass);
	assert_int_equal(live_keys(&sb->school), 1);

	/* a month that ended rotates; the ended epoch lives on through its grace */
	sql(&sb->school, "UPDATE epoch_key SET started_at = '2000-01-01T00:00:00Z' WHERE n = 1");
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_int_equal(rep.current, 2);
	assert_int_equal(rep.ndestroyed, 0);
	assert_int_equal(live_keys(&sb->school), 2);
	sql(&sb->school, "UPDATE epoch_key SET ended_at = '2000-01-02T00:00:00Z' WHERE n = 1");
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_int_equal(rep.ndestroyed, 0); /* epoch 2 not announced yet */
	sql(&sb->school, "UPDATE epoch_key SET published_seq = 2, announced_at = '2000-01-02T00:00:00Z' WHERE n = 2");
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_int_equal(rep.ndestroyed, 1);
	assert_int_equal(rep.destroyed[0], 1);
	assert_int_equal(live_keys(&sb->school), 1);
	/* the list shows when, never a secret */
	FX_OK(vios_epoch_list(&list, sb->school.st));
	assert_int_equal(json_array_size(list), 3);
	assert_true(json_is_string(json_object_get(json_array_get(list, 1), "destroyed")));
	assert_true(json_is_null(json_object_get(json_array_get(list, 2), "destroyed")));
	{
		char *text = json_dumps(list, 0);
		assert_null(strstr(text, "SECRET"));
		free(text);
	}
	json_decref(list);
}

static void test_epoch__a_backup_carries_the_live_epoch_keys(void **state)
{
	sandbox *sb = *state;
	vios_epoch_report rep;
	vios_node *from = NULL;
	vios_backup_hub hub;
	vios_secret *pass = NULL;
	char path[FX_PATH];
	uint8_t pk[32], own[32];

	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 1));
	sql(&sb->school, "UPDATE epoch_key SET published_seq = 1, announced_at = '2000-01-01T00:00:00Z' WHERE n = 1");
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 0));
	assert_null(sb->school.node->age_sk);
	FX_OK(vios_epoch_node_load(sb->school.node, sb->school.st));
	assert_int_equal(sb->school.node->nepochs, 1);
	FX_OK(vios_snprintf(path, sizeof(path), "%s/school.backup", sb->w.dir));
	FX_OK(vios_secret_new(&pass, FX_PASS, strlen(FX_PASS)));
	FX_OK(vios_backup_write(path, sb->school.node, NULL, pass, 10, 0));
	FX_OK(vios_backup_read(&from, &hub, path, pass));
	assert_null(from->age_sk); /* destroyed: "age": null */
	assert_int_equal(from->nepochs, 1);
	assert_int_equal(from->epochs[0].n, 1);
	assert_string_equal(from->epochs[0].ended_at, "");
	crypto_scalarmult_base(pk, from->epochs[0].sk);
	FX_OK(vios_epoch_seal_pk(own, sb->school.st, sb->school.node->node_id, sb->school.node->age_pk));
	assert_memory_equal(pk, own, 32);
	vios_node_free(from);
	vios_secret_free(pass);
}

/* A backup its own reader would refuse is no backup: more live epoch keys
 * than a backup carries is refused when writing, and no file is made. */
static void test_epoch__a_backup_of_more_epochs_than_it_carries_is_refused(void **state)
{
	sandbox *sb = *state;
	vios_epoch_report rep;
	vios_secret *pass = NULL;
	char path[FX_PATH];

	/* held bundles keep every key: rotations pile up */
	sql(&sb->school, "INSERT INTO held(sender, seq, hash, age, sig, held_at) VALUES ('x', 2, 'h', x'00', 's', '2000-01-01T00:00:00Z')");
	for (int i = 0; i < VIOS_BACKUP_EPOCHS_MAX; i++)
		FX_OK(vios_epoch_maintain(&rep, sb->school.st, 1));
	FX_OK(vios_epoch_node_load(sb->school.node, sb->school.st));
	assert_int_equal(sb->school.node->nepochs, VIOS_BACKUP_EPOCHS_MAX);
	FX_OK(vios_snprintf(path, sizeof(path), "%s/school.backup", sb->w.dir));
	FX_OK(vios_secret_new(&pass, FX_PASS, strlen(FX_PASS)));
	FX_OK(vios_backup_write(path, sb->school.node, NULL, pass, 10, 0)); /* 64: still carried */
	assert_int_equal(unlink(path), 0);
	FX_OK(vios_epoch_maintain(&rep, sb->school.st, 1));
	FX_OK(vios_epoch_node_load(sb->school.node, sb->school.st));
	assert_int_equal(sb->school.node->nepochs, VIOS_BACKUP_EPOCHS_MAX + 1);
	assert_int_equal(vios_backup_write(path, sb->school.node, NULL, pass, 10, 0), VIOS_ERROR);
	assert_non_null(strstr(vios_error_last(), "more than the 64 a backup carries"));
	assert_int_equal(access(path, F_OK), -1);
	vios_secret_free(pass);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_epoch__a_partner_seals_to_the_announced_epoch_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch__destroyed_after_its_end_plus_the_grace_never_while_a_bundle_is_held,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch__a_backup_carries_the_live_epoch_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch__a_backup_of_more_epochs_than_it_carries_is_refused, setup,
						teardown),
	};
	if (sodium_init() < 0 || vios_git_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("epoch", tests, NULL, NULL);
}
