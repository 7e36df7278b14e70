/*
 * test_trust.c - the hub registry: re-enrollment with other keys, files the
 * manifest does not name, fingerprints, covenant validation.
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

#include "sync/git.h"
#include "sync/hub.h"
#include "sync/registry.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

typedef struct {
	fx_world w; /* the hub: w.hub, w.repo */
	fx_node school;
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-trust"));
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(&sb->school, &sb->w, "school", "school", NULL));
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	fx_node_dispose(&sb->school);
	fx_world_dispose(&sb->w);
	free(sb);
	return 0;
}

static void enroll(sandbox *sb, fx_node *n, int want)
{
	assert_int_equal(fx_enroll(&sb->w, &n, 1), want);
}

static void test_hub_enroll__refuses_same_node_id_with_other_keys(void **state)
{
	sandbox *sb = *state;
	fx_node other;

	FX_OK(fx_node_make(&other, &sb->w, "other", "school", NULL));
	enroll(sb, &sb->school, 0);
	/* a request that claims the school's id, signed by other keys */
	memcpy(other.node->node_id, sb->school.node->node_id, sizeof(other.node->node_id));
	enroll(sb, &other, VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "other keys"));
	fx_node_dispose(&other);
}

static void test_hub_enroll__refuses_keys_of_another_node(void **state)
{
	sandbox *sb = *state;
	fx_node clone;
	vios_node *c, *school = sb->school.node;

	FX_OK(fx_node_make(&clone, &sb->w, "clone", "school", NULL));
	c = clone.node;
	enroll(sb, &sb->school, 0);
	/* same keys, new node id: one key pair is one node */
	memcpy(c->node_id, "01234567-89ab-7def-8123-456789abcdef", 37);
	vios_minisign_sec_free(c->sign_sec);
	assert_int_equal(vios_minisign_sec_from(&c->sign_sec, school->sign_sec->keyid, school->sign_sec->sk), 0);
	c->sign_pub = school->sign_pub;
	enroll(sb, &clone, VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "belong to enrolled node"));
	fx_node_dispose(&clone);
}

static void test_registry_load__rejects_file_not_in_manifest(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	git_oid head;
	vios_git_file extra = { "registry/nodes/extra.json", "{}", 2 };

	assert_int_equal(vios_git_open(&repo, sb->w.repo, 0), 0);
	assert_int_equal(vios_git_commit_files(&head, repo, VIOS_REGISTRY_REF, &extra, 1, "sneak a file in", "x", "x@x"), 0);
	assert_int_equal(vios_registry_load(&reg, repo, &head, sb->w.hub.node->sign_pub.keyid), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "not in the signed manifest"));
	git_repository_free(repo);
}

static void test_registry_load__rejects_wrong_pin(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	git_oid head;

	assert_int_equal(vios_git_open(&repo, sb->w.repo, 0), 0);
	assert_int_equal(vios_git_ref_oid(&head, repo, VIOS_REGISTRY_REF), 0);
	assert_int_equal(vios_registry_load(&reg, repo, &head, sb->school.node->sign_pub.keyid), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "pinned fingerprint"));
	assert_int_equal(vios_registry_load(&reg, repo, &head, sb->w.hub.node->sign_pub.keyid), 0);
	assert_int_equal(reg->n, 1);
	assert_int_equal(reg->covenant.version, 1);
	vios_registry_free(reg);
	git_repository_free(repo);
}

static void test_fingerprint__both_forms(void **state)
{
	sandbox *sb = *state;
	uint8_t id[8];
	char hex[17], lower[17], line[VIOS_MINISIGN_PUB_B64LEN + 1];

	vios_node_fingerprint(hex, sb->w.hub.node);
	assert_int_equal(vios_fingerprint_parse(id, hex), 0);
	assert_memory_equal(id, sb->w.hub.node->sign_pub.keyid, 8);
	for (int i = 0; i < 17; i++)
		lower[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);
	assert_int_equal(vios_fingerprint_parse(id, lower), 0);
	assert_memory_equal(id, sb->w.hub.node->sign_pub.keyid, 8);
	assert_int_equal(vios_minisign_pub_format(line, sizeof(line), &sb->w.hub.node->sign_pub), 0);
	assert_int_equal(vios_fingerprint_parse(id, line), 0);
	assert_memory_equal(id, sb->w.hub.node->sign_pub.keyid, 8);
	assert_int_equal(vios_fingerprint_parse(id, "RWQAAAAAAAAAAAAA"), VIOS_EUSAGE);
	assert_int_equal(vios_fingerprint_parse(id, "12345"), VIOS_EUSAGE);
}

static void test_covenant_parse__rules(void **state)
{
	static const struct {
		int id;
		const char *json;
		int ok;
	} cases[] = {
		{ 1, "{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\",\"police\"],"
		     "\"receives\":{\"theme\":[\"hub\",\"auditor\",\"police\"],\"case\":[\"auditor\",\"police\"]},"
		     "\"retention_months\":{\"theme\":60,\"case\":24}}", 1 },
		{ 2, "{\"format\":\"vios-covenant-1\",\"version\":0,\"parties\":[],"
		     "\"receives\":{\"theme\":[\"auditor\"],\"case\":[\"auditor\"]},"
		     "\"retention_months\":{\"theme\":60,\"case\":24}}", 0 },
		{ 3, "{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\"],"
		     "\"receives\":{\"theme\":[\"auditor\",\"police\"],\"case\":[\"auditor\"]},"
		     "\"retention_months\":{\"theme\":60,\"case\":24}}", 0 }, /* police not a party */
		{ 4, "{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\"],"
		     "\"receives\":{\"theme\":[\"auditor\"],\"case\":[\"auditor\"]},"
		     "\"retention_months\":{\"theme\":60}}", 0 },
		{ 5, "{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\"],"
		     "\"receives\":{\"theme\":[\"auditor\"],\"case\":[\"auditor\"]},"
		     "\"retention_months\":{\"theme\":60,\"case\":24},\"surprise\":1}", 0 },
		{ 6, "{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\",\"municipality\"],"
		     "\"receives\":{\"theme\":[\"auditor\",\"municipality\"],\"case\":[\"auditor\",\"municipality\"]},"
		     "\"hub_role\":\"municipality\",\"retention_months\":{\"theme\":60,\"case\":24}}", 1 },
		{ 7, "not json", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vios_covenant c;
		int rc = vios_covenant_parse(&c, cases[i].json, strlen(cases[i].json));
		if ((rc == 0) != cases[i].ok)
			fail_msg("covenant case %d: got %d (%s)", cases[i].id, rc, vios_error_last());
		vios_covenant_dispose(&c);
	}
	{
		vios_covenant c;
		assert_int_equal(vios_covenant_parse(&c, vios_covenant_default(), strlen(vios_covenant_default())), 0);
		assert_true(c.receives[0] & (1u << vios_role_index("hub")));
		assert_false(c.receives[1] & (1u << vios_role_index("hub")));
		vios_covenant_dispose(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hub_enroll__refuses_same_node_id_with_other_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hub_enroll__refuses_keys_of_another_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_load__rejects_file_not_in_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry_load__rejects_wrong_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint__both_forms, setup, teardown),
		cmocka_unit_test(test_covenant_parse__rules),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
