/*
 * test_trust.c - the hub registry: re-enrollment with other keys, files the
 * manifest does not name, fingerprints (format, parse, the old 16-digit
 * form refused), the registry's expiry and refresh, freshness, a revoked
 * node refused sealing, covenant validation.
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
	assert_int_equal(vios_registry_load(&reg, repo, &head, sb->w.pin), VIOS_EVERIFY);
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
	{
		uint8_t school_pin[VIOS_FINGERPRINT_BYTES];
		vios_fingerprint_from_pk(school_pin, sb->school.node->sign_pub.pk);
		assert_int_equal(vios_registry_load(&reg, repo, &head, school_pin), VIOS_EVERIFY);
	}
	assert_non_null(strstr(vios_error_last(), "pinned fingerprint"));
	assert_int_equal(vios_registry_load(&reg, repo, &head, sb->w.pin), 0);
	assert_int_equal(reg->n, 1);
	assert_int_equal(reg->covenant.version, 1);
	vios_registry_free(reg);
	git_repository_free(repo);
}

static void test_fingerprint__format_is_128_bits_in_groups(void **state)
{
	sandbox *sb = *state;
	uint8_t want[VIOS_FINGERPRINT_BYTES], zero[VIOS_FINGERPRINT_BYTES] = { 0 };
	char fp[VIOS_FINGERPRINT_STRLEN + 1], z[VIOS_FINGERPRINT_STRLEN + 1];

	vios_node_fingerprint(fp, sb->w.hub.node);
	assert_int_equal(strlen(fp), 39);
	for (int i = 0; i < 39; i++)
		if (i % 5 == 4)
			assert_int_equal(fp[i], '-');
		else
			assert_non_null(strchr("0123456789ABCDEF", fp[i]));
	vios_fingerprint_from_pk(want, sb->w.hub.node->sign_pub.pk);
	assert_memory_equal(want, sb->w.pin, sizeof(want));
	/* not the minisign key id: a domain of its own */
	assert_memory_not_equal(want, sb->w.hub.node->sign_pub.keyid, 8);
	vios_fingerprint_format(z, zero);
	assert_string_equal(z, "0000-0000-0000-0000-0000-0000-0000-0000");
}

static void test_fingerprint__parse_forms(void **state)
{
	sandbox *sb = *state;
	char fp[VIOS_FINGERPRINT_STRLEN + 1], bare[33], lower[40], spaced[40], line[VIOS_MINISIGN_PUB_B64LEN + 1],
	     line_nl[VIOS_MINISIGN_PUB_B64LEN + 4], other[VIOS_FINGERPRINT_STRLEN + 1];
	uint8_t got[VIOS_FINGERPRINT_BYTES];
	size_t k = 0;

	vios_node_fingerprint(fp, sb->w.hub.node);
	vios_node_fingerprint(other, sb->school.node);
	for (int i = 0; fp[i]; i++) {
		if (fp[i] != '-')
			bare[k++] = fp[i];
		lower[i] = (char)(fp[i] >= 'A' && fp[i] <= 'F' ? fp[i] + 32 : fp[i]);
		spaced[i] = fp[i] == '-' ? ' ' : fp[i];
	}
	bare[k] = 0;
	lower[39] = spaced[39] = 0;
	assert_int_equal(vios_minisign_pub_format(line, sizeof(line), &sb->w.hub.node->sign_pub), 0);
	snprintf(line_nl, sizeof(line_nl), " %s\n", line);
	{
		static const int want_ok = 1;
		const struct {
			int id;
			const char *text;
			int ok;
		} cases[] = {
			{ 1, fp, want_ok },      /* as vios whoami prints it */
			{ 2, bare, want_ok },    /* without separators */
			{ 3, lower, want_ok },   /* lowercase */
			{ 4, spaced, want_ok },  /* groups separated by spaces */
			{ 5, line, want_ok },    /* the minisign public key line */
			{ 6, line_nl, want_ok }, /* ... with blanks around it */
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			memset(got, 0, sizeof(got));
			if (vios_fingerprint_parse(got, cases[i].text) != 0 || memcmp(got, sb->w.pin, sizeof(got)) != 0)
				fail_msg("fingerprint case %d (%s) not read as the hub's", cases[i].id, cases[i].text);
		}
	}
	/* another key's fingerprint parses, as another key's */
	assert_int_equal(vios_fingerprint_parse(got, other), 0);
	assert_memory_not_equal(got, sb->w.pin, sizeof(got));
	{
		const struct {
			int id;
			const char *text;
			const char *why;
		} bad[] = {
			{ 11, "0123456789ABCDEF", "old 16-digit" },     /* the 64-bit key id of before */
			{ 12, "0123-4567-89AB-CDEF", "old 16-digit" },  /* ... grouped */
			{ 13, "0123456789ABCDEF0123456789ABCDE", "not a hub fingerprint" },   /* 31 digits */
			{ 14, "0123456789ABCDEF0123456789ABCDEF0", "not a hub fingerprint" }, /* 33 digits */
			{ 15, "0123456789ABCDEF0123456789ABCDEG", "not a hub fingerprint" },  /* not hex */
			{ 16, "RWQAAAAAAAAAAAAA", "not a hub fingerprint" },
			{ 17, "12345", "not a hub fingerprint" },
			{ 18, "", "not a hub fingerprint" },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (vios_fingerprint_parse(got, bad[i].text) != VIOS_EUSAGE || strstr(vios_error_last(), bad[i].why) == NULL)
				fail_msg("fingerprint case %d (%s) not refused as '%s': %s", bad[i].id, bad[i].text, bad[i].why,
					 vios_error_last());
	}
}

static void test_registry_time__canonical_only(void **state)
{
	long long t;
	char back[21];

	(void)state;
	assert_int_equal(vios_registry_time_parse(&t, "2026-11-30T14:00:00Z"), 0);
	vios_time_format(back, t);
	assert_string_equal(back, "2026-11-30T14:00:00Z");
	assert_int_equal(vios_registry_time_parse(&t, "2026-11-30T14:00:00"), VIOS_ECORRUPT);
	assert_int_equal(vios_registry_time_parse(&t, "2026-02-30T14:00:00Z"), VIOS_ECORRUPT);
	assert_int_equal(vios_registry_time_parse(&t, "2026-11-30 14:00:00Z"), VIOS_ECORRUPT);
	assert_int_equal(vios_registry_time_parse(&t, "2026-11-30T14:00:00Z "), VIOS_ECORRUPT);
	assert_int_equal(vios_registry_time_parse(&t, NULL), VIOS_ECORRUPT);
}

/* The registry at the head of refs/heads/registry, verified. */
static vios_registry *head_registry(sandbox *sb, git_repository *repo)
{
	vios_registry *reg = NULL;
	git_oid head;

	FX_OK(vios_git_ref_oid(&head, repo, VIOS_REGISTRY_REF));
	FX_OK(vios_registry_load(&reg, repo, &head, sb->w.pin));
	return reg;
}

static void test_registry__expires_30_days_after_signing_and_refreshes(void **state)
{
	sandbox *sb = *state;
	git_repository *repo = NULL;
	vios_registry *reg, *again;
	git_oid commit;
	long long signed_at, expires;

	FX_OK(vios_git_open(&repo, sb->w.repo, 0));
	reg = head_registry(sb, repo);
	FX_OK(vios_registry_time_parse(&signed_at, reg->updated_at));
	FX_OK(vios_registry_time_parse(&expires, reg->expires_at));
	assert_int_equal(expires - signed_at, 30 * 86400LL);
	/* refresh: the same nodes and covenant, the next version, a new expiry */
	assert_int_equal(vios_registry_refresh(&commit, repo, sb->w.hub.node, reg, 0), VIOS_EUSAGE);
	assert_int_equal(vios_registry_refresh(&commit, repo, sb->w.hub.node, reg, 366), VIOS_EUSAGE);
	FX_OK(vios_registry_refresh(&commit, repo, sb->w.hub.node, reg, 90));
	again = head_registry(sb, repo);
	assert_int_equal(again->version, reg->version + 1);
	assert_int_equal(again->n, reg->n);
	assert_string_equal(again->covenant.text, reg->covenant.text);
	FX_OK(vios_registry_time_parse(&signed_at, again->updated_at));
	FX_OK(vios_registry_time_parse(&expires, again->expires_at));
	assert_int_equal(expires - signed_at, 90 * 86400LL);
	vios_registry_free(again);
	/* an expiry not after the signing time, or past a year, does not load */
	FX_OK(vios_registry_publish_until(&commit, repo, sb->w.hub.node, reg->nodes, reg->n, reg->covenant.text,
					  reg->version + 2, "expired at birth", (long long)time(NULL) - 10));
	assert_int_equal(vios_registry_load(&again, repo, &commit, sb->w.pin), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "expires at"));
	FX_OK(vios_registry_publish_until(&commit, repo, sb->w.hub.node, reg->nodes, reg->n, reg->covenant.text,
					  reg->version + 3, "too long", (long long)time(NULL) + 400 * 86400LL));
	assert_int_equal(vios_registry_load(&again, repo, &commit, sb->w.pin), VIOS_EVERIFY);
	vios_registry_free(reg);
	git_repository_free(repo);
}

/* Publishes the current registry again expiring at `expires` and installs it in the hub's store. */
static void republish_until(sandbox *sb, long long expires)
{
	git_repository *repo = NULL;
	vios_registry *reg, *next = NULL;
	git_oid commit;

	FX_OK(vios_git_open(&repo, sb->w.repo, 0));
	reg = head_registry(sb, repo);
	FX_OK(vios_registry_publish_until(&commit, repo, sb->w.hub.node, reg->nodes, reg->n, reg->covenant.text,
					  reg->version + 1, "test expiry", expires));
	FX_OK(vios_registry_load(&next, repo, &commit, sb->w.pin));
	FX_OK(vios_trust_install(sb->w.hub.st, repo, next, NULL, sb->w.pin));
	vios_registry_free(next);
	vios_registry_free(reg);
	git_repository_free(repo);
}

static void test_trust_freshness__fresh_expiring_expired(void **state)
{
	sandbox *sb = *state;
	vios_trust_fresh f;

	FX_OK(vios_trust_freshness(&f, sb->w.hub.st));
	assert_int_equal(f.state, VIOS_REGISTRY_FRESH);
	assert_true(f.seconds_left > 29 * 86400LL);
	republish_until(sb, (long long)time(NULL) + 3 * 86400LL);
	FX_OK(vios_trust_freshness(&f, sb->w.hub.st));
	assert_int_equal(f.state, VIOS_REGISTRY_EXPIRING);
	republish_until(sb, (long long)time(NULL) + 1);
	sleep(2);
	FX_OK(vios_trust_freshness(&f, sb->w.hub.st));
	assert_int_equal(f.state, VIOS_REGISTRY_EXPIRED);
	assert_true(f.seconds_left <= 0);
	/* a node that never joined has no registry to judge */
	assert_int_equal(vios_trust_freshness(&f, sb->school.st), VIOS_ENOTFOUND);
}

static void test_trust_may_seal__refuses_a_revoked_node(void **state)
{
	sandbox *sb = *state;
	vios_registry *reg = NULL;
	vios_reg_node n;

	enroll(sb, &sb->school, 0);
	FX_OK(vios_trust_join(&reg, sb->school.st, sb->w.repo, sb->w.fp));
	vios_registry_free(reg);
	assert_int_equal(vios_trust_may_seal(sb->school.st), 0);
	FX_OK(vios_hub_revoke(&n, sb->w.hub.st, sb->school.node->node_id));
	FX_OK(vios_trust_refresh(&reg, sb->school.st, NULL));
	vios_registry_free(reg);
	assert_int_equal(vios_trust_may_seal(sb->school.st), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "revoked by the hub at"));
	assert_non_null(strstr(vios_error_last(), n.revoked_at));
}

static void test_trust_join__refuses_an_old_16_digit_pin(void **state)
{
	sandbox *sb = *state;
	vios_registry *reg = NULL;
	char *fp = NULL;

	enroll(sb, &sb->school, 0);
	assert_int_equal(vios_trust_join(&reg, sb->school.st, sb->w.repo, "0123456789ABCDEF"), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "old 16-digit"));
	assert_int_equal(vios_store_meta_get(&fp, sb->school.st, "hub_fingerprint"), VIOS_ENOTFOUND);
	/* a store that pinned one before (made by an older vios) is told what to do */
	FX_OK(vios_store_meta_set(sb->school.st, "hub_url", sb->w.repo));
	FX_OK(vios_store_meta_set(sb->school.st, "hub_fingerprint", "0123456789ABCDEF"));
	assert_int_equal(vios_trust_refresh(&reg, sb->school.st, NULL), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "before registry format 2"));
	assert_null(reg);
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
		cmocka_unit_test_setup_teardown(test_fingerprint__format_is_128_bits_in_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint__parse_forms, setup, teardown),
		cmocka_unit_test(test_registry_time__canonical_only),
		cmocka_unit_test_setup_teardown(test_registry__expires_30_days_after_signing_and_refreshes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_freshness__fresh_expiring_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_may_seal__refuses_a_revoked_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_join__refuses_an_old_16_digit_pin, setup, teardown),
		cmocka_unit_test(test_covenant_parse__rules),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("trust", tests, NULL, NULL);
}
