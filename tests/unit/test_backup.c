/*
 * test_backup.c - the identity backup file (node/backup.h) and a home made
 * again from it (vios_node_init_from). The restore from the hub itself runs
 * end to end in tests/e2e/restore.sh.
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
#include <sys/stat.h>

#include "crypto/age.h"
#include "node/backup.h"
#include "node/node.h"
#include "util/error.h"
#include "util/util.h"

/* The format at any work factor; 10 keeps the tests fast. */
#define TEST_LOGN 10

typedef struct {
	char dir[64];
	char home[128];
	char file[128];
	vios_secret *pass;
	vios_node *node;
} sandbox;

static const vios_backup_hub test_hub = { "/srv/hub.git", "0123456789ABCDEF",
					  "RWQ2ZjNhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2Rl" };

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	char code[VIOS_RECOVERY_LEN + 1];

	if (sb == NULL || sodium_init() < 0)
		return -1;
	strcpy(sb->dir, "/tmp/vios-backup.XXXXXX");
	if (mkdtemp(sb->dir) == NULL)
		return -1;
	snprintf(sb->home, sizeof(sb->home), "%s/home", sb->dir);
	snprintf(sb->file, sizeof(sb->file), "%s/node.backup", sb->dir);
	if (vios_secret_new(&sb->pass, "unit test passphrase", 20) < 0 ||
	    vios_node_init(&sb->node, code, sb->home, "partner", "Politie Noord", "police", sb->pass,
			   VIOS_KDF_INTERACTIVE) < 0)
		return -1;
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;

	vios_node_free(sb->node);
	vios_rm_rf(sb->dir);
	vios_secret_free(sb->pass);
	free(sb);
	return 0;
}

static void test_backup__round_trip_gives_the_same_identity_and_hub(void **state)
{
	sandbox *sb = *state;
	vios_node *back = NULL;
	vios_backup_hub hub;
	struct stat stb;

	assert_int_equal(vios_backup_write(sb->file, sb->node, &test_hub, sb->pass, TEST_LOGN, 0), 0);
	assert_int_equal(stat(sb->file, &stb), 0);
	assert_int_equal(stb.st_mode & 0777, 0600);
	assert_int_equal(vios_backup_read(&back, &hub, sb->file, sb->pass), 0);
	assert_string_equal(back->node_id, sb->node->node_id);
	assert_string_equal(back->kind, "partner");
	assert_string_equal(back->role, "police");
	assert_string_equal(back->name, "Politie Noord");
	assert_string_equal(back->created, sb->node->created);
	assert_memory_equal(back->sign_sec->sk, sb->node->sign_sec->sk, 64);
	assert_memory_equal(back->age_sk, sb->node->age_sk, 32);
	assert_null(back->master);
	assert_string_equal(hub.url, test_hub.url);
	assert_string_equal(hub.fingerprint, test_hub.fingerprint);
	assert_string_equal(hub.public_key, test_hub.public_key);
	vios_node_free(back);
}

static void test_backup__is_an_age_passphrase_file_with_nothing_in_the_clear(void **state)
{
	sandbox *sb = *state;
	uint8_t *buf = NULL;
	size_t len;
	char id[VIOS_AGE_IDENTITY_LEN + 1];

	assert_int_equal(vios_backup_write(sb->file, sb->node, NULL, sb->pass, TEST_LOGN, 0), 0);
	assert_int_equal(vios_file_read(&buf, &len, sb->file, 1 << 20), 0);
	assert_true(len > 40);
	assert_memory_equal(buf, "age-encryption.org/v1\n-> scrypt ", 32);
	assert_int_equal(vios_node_age_identity(id, sizeof(id), sb->node), 0);
	assert_null(memmem(buf, len, id, strlen(id)));
	assert_null(memmem(buf, len, sb->node->node_id, strlen(sb->node->node_id)));
	assert_null(memmem(buf, len, "vios-identity-backup", 20));
	sodium_memzero(id, sizeof(id));
	free(buf);
}

static void test_backup__refuses_to_overwrite_without_replace(void **state)
{
	sandbox *sb = *state;

	assert_int_equal(vios_backup_write(sb->file, sb->node, NULL, sb->pass, TEST_LOGN, 0), 0);
	assert_int_equal(vios_backup_write(sb->file, sb->node, NULL, sb->pass, TEST_LOGN, 0), VIOS_EEXISTS);
	assert_int_equal(vios_backup_write(sb->file, sb->node, NULL, sb->pass, TEST_LOGN, 1), 0);
}

static void test_backup__rejects_wrong_passphrase(void **state)
{
	sandbox *sb = *state;
	vios_secret *wrong = NULL;
	vios_node *back = NULL;
	vios_backup_hub hub;

	assert_int_equal(vios_backup_write(sb->file, sb->node, NULL, sb->pass, TEST_LOGN, 0), 0);
	assert_int_equal(vios_secret_new(&wrong, "unit test passphrasE", 20), 0);
	assert_int_equal(vios_backup_read(&back, &hub, sb->file, wrong), VIOS_EAUTH);
	assert_null(back);
	assert_non_null(strstr(vios_error_last(), "wrong passphrase for the identity backup"));
	vios_secret_free(wrong);
}

static void test_backup__rejects_a_flipped_bit(void **state)
{
	sandbox *sb = *state;
	uint8_t *buf = NULL;
	size_t len;
	vios_node *back = NULL;
	vios_backup_hub hub;

	assert_int_equal(vios_backup_write(sb->file, sb->node, NULL, sb->pass, TEST_LOGN, 0), 0);
	assert_int_equal(vios_file_read(&buf, &len, sb->file, 1 << 20), 0);
	buf[len - 5] ^= 0x10; /* in the payload */
	assert_int_equal(vios_file_write_atomic(sb->file, buf, len, 0600, 1), 0);
	assert_true(vios_backup_read(&back, &hub, sb->file, sb->pass) < 0);
	assert_null(back);
	free(buf);
}

static void test_backup__rejects_an_age_file_that_is_not_a_backup(void **state)
{
	sandbox *sb = *state;
	static const char doc[] = "{\"format\": \"vios-node-1\"}";
	uint8_t *ct = NULL;
	size_t ctlen;
	vios_node *back = NULL;
	vios_backup_hub hub;

	assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, doc, sizeof(doc) - 1, sb->pass, TEST_LOGN), 0);
	assert_int_equal(vios_file_write_atomic(sb->file, ct, ctlen, 0600, 0), 0);
	assert_int_equal(vios_backup_read(&back, &hub, sb->file, sb->pass), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "not format vios-identity-backup-2"));
	free(ct);
}

static void test_backup__restored_home_has_the_same_keys_and_a_new_master(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1], home2[160];
	vios_node *back = NULL, *made = NULL, *opened = NULL;
	vios_backup_hub hub;

	snprintf(home2, sizeof(home2), "%s/home2", sb->dir);
	assert_int_equal(vios_backup_write(sb->file, sb->node, NULL, sb->pass, TEST_LOGN, 0), 0);
	assert_int_equal(vios_backup_read(&back, &hub, sb->file, sb->pass), 0);
	assert_string_equal(hub.url, "");
	assert_int_equal(vios_node_init_from(&made, code, home2, back, sb->pass, VIOS_KDF_INTERACTIVE), 0);
	assert_int_equal(vios_node_open(&opened, home2, sb->pass), 0);
	assert_string_equal(opened->node_id, sb->node->node_id);
	assert_string_equal(opened->created, sb->node->created);
	assert_memory_equal(opened->sign_pub.pk, sb->node->sign_pub.pk, 32);
	assert_memory_equal(opened->sign_sec->sk, sb->node->sign_sec->sk, 64);
	assert_memory_equal(opened->age_sk, sb->node->age_sk, 32);
	assert_memory_not_equal(opened->master, sb->node->master, 32);
	/* a home that exists is never overwritten */
	vios_node_free(made);
	made = NULL;
	assert_int_equal(vios_node_init_from(&made, code, home2, back, sb->pass, VIOS_KDF_INTERACTIVE), VIOS_EEXISTS);
	vios_node_free(back);
	vios_node_free(opened);
}

static void test_backup__init_from_refuses_keys_that_are_not_pairs(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1], home2[160];
	vios_node *back = NULL, *made = NULL;
	vios_backup_hub hub;

	snprintf(home2, sizeof(home2), "%s/home3", sb->dir);
	assert_int_equal(vios_backup_write(sb->file, sb->node, NULL, sb->pass, TEST_LOGN, 0), 0);
	assert_int_equal(vios_backup_read(&back, &hub, sb->file, sb->pass), 0);
	back->age_sk[1] ^= 1; /* not bit 0: X25519 clears the low three bits */
	assert_int_equal(vios_node_init_from(&made, code, home2, back, sb->pass, VIOS_KDF_INTERACTIVE), VIOS_ECORRUPT);
	assert_null(made);
	assert_false(vios_path_exists(home2));
	vios_node_free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup__round_trip_gives_the_same_identity_and_hub, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup__is_an_age_passphrase_file_with_nothing_in_the_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup__refuses_to_overwrite_without_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup__rejects_wrong_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup__rejects_a_flipped_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup__rejects_an_age_file_that_is_not_a_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup__restored_home_has_the_same_keys_and_a_new_master, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup__init_from_refuses_keys_that_are_not_pairs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
