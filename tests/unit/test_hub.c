/*
 * test_hub.c - the hub operator's work (sync/hub.h): create makes registry
 * v1 (the hub and the default covenant) and refuses a directory that is
 * not empty; enroll, revoke and a covenant each publish a new registry
 * version that verifies against the hub's key, descends from the one
 * before and is installed in the hub's own store; what must be refused is.
 *
 * Each test has its own sandbox (fixture.h): a hub node with its hub
 * repository, and a school and a police partner, not enrolled.
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
	fx_node school, police;
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-hub"));
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(&sb->school, &sb->w, "school", "school", NULL));
	FX_OK(fx_node_make(&sb->police, &sb->w, "police", "partner", "police"));
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

/* The registry at the head of refs/heads/registry, verified against the
 * hub's key; with prev, its commit must descend from prev's. */
static vios_registry *head_registry(sandbox *sb, const vios_registry *prev)
{
	git_repository *repo = NULL;
	vios_registry *reg = NULL;
	git_oid head;

	FX_OK(vios_git_open(&repo, sb->w.repo, 0));
	FX_OK(vios_git_ref_oid(&head, repo, VIOS_REGISTRY_REF));
	FX_OK(vios_registry_load(&reg, repo, &head, sb->w.pin));
	if (prev) {
		int d = 0;
		FX_OK(vios_git_descends(&d, repo, &reg->commit, &prev->commit));
		assert_int_equal(d, 1);
	}
	git_repository_free(repo);
	return reg;
}

/* The version the hub's own store has installed. */
static long long installed_version(sandbox *sb)
{
	char *v = NULL;
	long long n;

	FX_OK(vios_store_meta_get(&v, sb->w.hub.st, "registry_version"));
	n = atoll(v);
	free(v);
	return n;
}

static int enroll(sandbox *sb, fx_node *t, int *already)
{
	char *req = NULL;
	vios_enroll_info info;
	int rc;

	FX_OK(vios_node_enroll_request(&req, t->node));
	rc = vios_hub_enroll(&info, already, sb->w.hub.st, req, strlen(req));
	if (rc == 0)
		assert_string_equal(info.node_id, t->node->node_id);
	free(req);
	return rc;
}

static void test_hub_create__publishes_v1_with_the_hub_and_the_default_covenant(void **state)
{
	sandbox *sb = *state;
	vios_registry *reg = head_registry(sb, NULL);
	vios_covenant cov;
	vios_reg_node self;

	assert_int_equal(reg->version, 1);
	assert_int_equal(reg->n, 1);
	assert_string_equal(reg->nodes[0].node_id, sb->w.hub.node->node_id);
	assert_string_equal(reg->nodes[0].kind, "hub");
	assert_string_equal(reg->nodes[0].revoked_at, "");
	assert_int_equal(reg->covenant.version, 1);
	{
		/* the fixture's: the default with auditor_scope content (fixture.h) */
		char *want = fx_covenant_content();
		assert_non_null(want);
		assert_string_equal(reg->covenant.text, want);
		free(want);
	}
	vios_registry_free(reg);

	/* the hub installed it as any node would after a join */
	assert_int_equal(installed_version(sb), 1);
	FX_OK(vios_trust_node(&self, sb->w.hub.st, sb->w.hub.node->node_id));
	assert_string_equal(self.kind, "hub");
	FX_OK(vios_trust_covenant(&cov, sb->w.hub.st));
	assert_int_equal(cov.version, 1);
	vios_covenant_dispose(&cov);
}

static void test_hub_create__refuses_a_directory_that_is_not_empty(void **state)
{
	sandbox *sb = *state;
	fx_node other;
	char dir[FX_PATH + 32], file[FX_PATH + 48];
	vios_registry *before = head_registry(sb, NULL), *after;

	/* a second hub node, into the hub repository that exists */
	FX_OK(fx_node_make(&other, &sb->w, "hub2", "hub", NULL));
	assert_int_equal(vios_hub_create(other.st, sb->w.repo), VIOS_EEXISTS);
	assert_non_null(strstr(vios_error_last(), "not empty"));
	after = head_registry(sb, NULL);
	assert_true(git_oid_equal(&after->commit, &before->commit));
	vios_registry_free(after);

	/* into a directory holding some file: the file stays, alone */
	FX_OK(vios_snprintf(dir, sizeof(dir), "%s/elsewhere", sb->w.dir));
	FX_OK(vios_snprintf(file, sizeof(file), "%s/keep.txt", dir));
	FX_OK(vios_mkdir_p(dir, 0700));
	FX_OK(vios_file_write_atomic(file, "keep", 4, 0600, 0));
	assert_int_equal(vios_hub_create(other.st, dir), VIOS_EEXISTS);
	assert_true(vios_path_exists(file));
	FX_OK(vios_rm_rf(file));
	assert_true(vios_dir_empty_or_absent(dir));

	/* the first hub again, into the empty directory: it runs a hub already */
	assert_int_equal(vios_hub_create(sb->w.hub.st, dir), VIOS_EEXISTS);
	assert_non_null(strstr(vios_error_last(), "already runs the hub"));
	assert_true(vios_dir_empty_or_absent(dir));

	/* a school is no hub */
	assert_int_equal(vios_hub_create(sb->school.st, dir), VIOS_EUSAGE);
	assert_true(vios_dir_empty_or_absent(dir));
	fx_node_dispose(&other);
	vios_registry_free(before);
}

static void test_hub__enroll_revoke_and_covenant_each_publish_a_new_verified_version(void **state)
{
	static const char covenant_v2[] =
		"{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\",\"police\"],"
		"\"receives\":{\"theme\":[\"hub\",\"auditor\",\"police\"],\"case\":[\"auditor\",\"police\"]},"
		"\"retention_months\":{\"theme\":60,\"case\":24}}";
	sandbox *sb = *state;
	vios_registry *v1 = head_registry(sb, NULL), *v2, *v3, *v4, *v5;
	const vios_reg_node *e;
	vios_reg_node revoked;
	vios_covenant cov;
	int already = -1;

	/* enroll: v2 names the school with its keys */
	FX_OK(enroll(sb, &sb->school, &already));
	assert_int_equal(already, 0);
	v2 = head_registry(sb, v1);
	assert_int_equal(v2->version, 2);
	assert_int_equal(v2->n, 2);
	assert_non_null(e = vios_registry_find(v2, sb->school.node->node_id));
	assert_string_equal(e->kind, "school");
	assert_string_equal(e->role, "school");
	assert_memory_equal(e->sign_pub.pk, sb->school.node->sign_pub.pk, 32);
	assert_memory_equal(e->age_pk, sb->school.node->age_pk, 32);
	assert_int_equal(e->last_seq, -1);
	assert_int_equal(installed_version(sb), 2);

	/* the same request again: already enrolled, no new version */
	FX_OK(enroll(sb, &sb->school, &already));
	assert_int_equal(already, 1);
	v3 = head_registry(sb, v2);
	assert_true(git_oid_equal(&v3->commit, &v2->commit));
	vios_registry_free(v3);

	/* the police partner: v3, its role kept */
	FX_OK(enroll(sb, &sb->police, &already));
	assert_int_equal(already, 0);
	v3 = head_registry(sb, v2);
	assert_int_equal(v3->version, 3);
	assert_int_equal(v3->n, 3);
	assert_string_equal(vios_registry_find(v3, sb->police.node->node_id)->role, "police");

	/* revoke: v4, the school still listed, revoked after the seq the hub holds */
	FX_OK(vios_hub_revoke(&revoked, sb->w.hub.st, sb->school.node->node_id));
	assert_string_not_equal(revoked.revoked_at, "");
	assert_int_equal(revoked.last_seq, 0); /* nothing pushed yet */
	v4 = head_registry(sb, v3);
	assert_int_equal(v4->version, 4);
	assert_int_equal(v4->n, 3);
	assert_string_equal(vios_registry_find(v4, sb->school.node->node_id)->revoked_at, revoked.revoked_at);
	assert_string_equal(vios_registry_find(v4, sb->police.node->node_id)->revoked_at, "");

	/* a covenant: v5, the nodes as they were */
	FX_OK(vios_hub_covenant_set(&cov, sb->w.hub.st, covenant_v2, strlen(covenant_v2)));
	assert_int_equal(cov.version, 2);
	vios_covenant_dispose(&cov);
	v5 = head_registry(sb, v4);
	assert_int_equal(v5->version, 5);
	assert_int_equal(v5->covenant.version, 2);
	assert_string_equal(v5->covenant.text, covenant_v2);
	assert_int_equal(v5->n, 3);
	assert_int_equal(installed_version(sb), 5);
	FX_OK(vios_trust_covenant(&cov, sb->w.hub.st));
	assert_int_equal(cov.version, 2);
	vios_covenant_dispose(&cov);

	vios_registry_free(v1);
	vios_registry_free(v2);
	vios_registry_free(v3);
	vios_registry_free(v4);
	vios_registry_free(v5);
}

static void test_hub__refusals_publish_nothing(void **state)
{
	static const char covenant_v1[] =
		"{\"format\":\"vios-covenant-1\",\"version\":1,\"parties\":[\"school\"],"
		"\"receives\":{\"theme\":[\"auditor\"],\"case\":[\"auditor\"]},"
		"\"retention_months\":{\"theme\":60,\"case\":24}}";
	sandbox *sb = *state;
	vios_registry *before, *after;
	vios_reg_node revoked, again;
	vios_enroll_info info;
	vios_covenant cov;
	fx_node hub2;
	char *req = NULL;
	int already;

	FX_OK(enroll(sb, &sb->school, &already));
	FX_OK(vios_hub_revoke(&revoked, sb->w.hub.st, sb->school.node->node_id));
	before = head_registry(sb, NULL);

	/* 1. a revoked node is not enrolled again */
	assert_int_equal(enroll(sb, &sb->school, &already), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "revoked"));
	/* 2. revoking it again changes nothing and says when it was */
	FX_OK(vios_hub_revoke(&again, sb->w.hub.st, sb->school.node->node_id));
	assert_string_equal(again.revoked_at, revoked.revoked_at);
	/* 3. the hub does not revoke itself */
	assert_int_equal(vios_hub_revoke(&again, sb->w.hub.st, sb->w.hub.node->node_id), VIOS_EUSAGE);
	/* 4. a node the registry does not name */
	assert_int_equal(vios_hub_revoke(&again, sb->w.hub.st, "01234567-89ab-7def-8123-456789abcdef"), VIOS_ENOTFOUND);
	/* 5. a name is matched exactly, case and all: "school" is the school (revoked
	 * before, so nothing changes), "School" is no node */
	FX_OK(vios_hub_revoke(&again, sb->w.hub.st, "school"));
	assert_string_equal(again.node_id, sb->school.node->node_id);
	assert_string_equal(again.revoked_at, revoked.revoked_at);
	assert_int_equal(vios_hub_revoke(&again, sb->w.hub.st, "School"), VIOS_ENOTFOUND);
	/* 6. a hub's request */
	FX_OK(fx_node_make(&hub2, &sb->w, "hub2", "hub", NULL));
	assert_int_equal(enroll(sb, &hub2, &already), VIOS_EUSAGE);
	fx_node_dispose(&hub2);
	/* 7. a request changed after it was signed: its name */
	FX_OK(vios_node_enroll_request(&req, sb->police.node));
	{
		char *name = strstr(req, "\"name\": \"police\"");
		assert_non_null(name);
		name[strlen("\"name\": \"pol")] = 'z';
	}
	assert_int_equal(vios_hub_enroll(&info, &already, sb->w.hub.st, req, strlen(req)), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "not signed by the key it names"));
	free(req);
	/* 8. a covenant no newer than the one in force */
	assert_int_equal(vios_hub_covenant_set(&cov, sb->w.hub.st, covenant_v1, strlen(covenant_v1)), VIOS_ERROR);
	assert_non_null(strstr(vios_error_last(), "not newer"));
	/* 9. the operator's work from a school's store */
	FX_OK(vios_node_enroll_request(&req, sb->police.node));
	assert_int_equal(vios_hub_enroll(&info, &already, sb->school.st, req, strlen(req)), VIOS_EUSAGE);
	free(req);

	after = head_registry(sb, NULL);
	assert_true(git_oid_equal(&after->commit, &before->commit));
	assert_int_equal(after->version, 3);
	vios_registry_free(before);
	vios_registry_free(after);
}

static void test_hub_node_list__every_node_with_its_whoami_fingerprint(void **state)
{
	sandbox *sb = *state;
	fx_node *want[3] = { &sb->w.hub, &sb->school, &sb->police };
	vios_hub_node *rows = NULL;
	size_t n = 0;
	int already;

	FX_OK(enroll(sb, &sb->school, &already));
	FX_OK(enroll(sb, &sb->police, &already));
	FX_OK(vios_hub_revoke(&(vios_reg_node){ 0 }, sb->w.hub.st, "police"));
	FX_OK(vios_hub_node_list(&rows, &n, sb->w.hub.st));
	assert_int_equal(n, 3);
	for (size_t k = 0; k < 3; k++) {
		char fp[VIOS_FINGERPRINT_STRLEN + 1];
		size_t i = 0;
		while (i < n && strcmp(rows[i].node.node_id, want[k]->node->node_id) != 0)
			i++;
		assert_true(i < n);
		vios_node_fingerprint(fp, want[k]->node);
		assert_string_equal(rows[i].fingerprint, fp);
		assert_string_equal(rows[i].node.kind, want[k]->node->kind);
		assert_string_equal(rows[i].node.role, want[k]->node->role);
		/* nothing was pushed: no seq, no clock */
		assert_int_equal(rows[i].last_seq, 0);
		assert_int_equal(rows[i].last_ms, -1);
		assert_int_equal(rows[i].node.revoked_at[0] != 0, want[k] == &sb->police);
	}
	free(rows);
	/* a school runs no hub */
	assert_int_equal(vios_hub_node_list(&rows, &n, sb->school.st), VIOS_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hub_create__publishes_v1_with_the_hub_and_the_default_covenant, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hub_create__refuses_a_directory_that_is_not_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hub__enroll_revoke_and_covenant_each_publish_a_new_verified_version,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hub__refusals_publish_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hub_node_list__every_node_with_its_whoami_fingerprint, setup, teardown),
	};
	if (sodium_init() < 0 || vios_git_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("hub", tests, NULL, NULL);
}
