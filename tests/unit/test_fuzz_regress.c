/*
 * test_fuzz_regress.c - runs the fuzz targets' inputs through the same
 * entry points in the normal `make check` (and under ASan/UBSan with
 * SAN=1): every seed in tests/resources/fuzz/<target>/ and every input a
 * fuzzer once crashed on, kept in tests/resources/fuzz/regress/<target>/
 * (see tests/resources/fuzz/README.md), and the corpus a fuzzer grew and we
 * kept, tests/resources/fuzz/corpus/<target>/. The target files are
 * included as they are, without their libFuzzer entry points (FUZZ_NO_MAIN).
 *
 * Seeds are also checked to still be what they claim: a seed made as a
 * valid header, payload, signature, request or covenant must still be
 * accepted, or the corpus has gone stale and tools/fuzz/make-seeds.sh must
 * be run again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NO_MAIN
#include "tools/fuzz/fuzz_age.c"
#include "tools/fuzz/fuzz_bundle_header.c"
#include "tools/fuzz/fuzz_bundle_payload.c"
#include "tools/fuzz/fuzz_covenant.c"
#include "tools/fuzz/fuzz_enroll.c"
#include "tools/fuzz/fuzz_minisign.c"
#include "tools/fuzz/fuzz_registry_node.c"
#include "tools/fuzz/fuzz_vault.c"
#include "tools/fuzz/fuzz_vfs.c"

#include "util/error.h"

#define RES "tests/resources/fuzz"

typedef int (*entry_fn)(const uint8_t *data, size_t size);
/* 0 when a seed named name is accepted by the reader (or need not be). */
typedef int (*accept_fn)(const char *name, const uint8_t *data, size_t size);

static int skip_name(const struct dirent *d)
{
	return d->d_name[0] != '.' && strcmp(d->d_name, "README.md") != 0;
}

/*
 * Runs every file of dir through entry (and, for seeds, accept); returns
 * how many there were. A missing directory holds nothing.
 */
static size_t run_dir(const char *dir, entry_fn entry, accept_fn accept)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, skip_name, alphasort);
	size_t count = 0;

	for (int i = 0; i < n; i++) {
		char path[512];
		uint8_t *data = NULL;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (vios_file_read(&data, &len, path, 4u << 20) != 0)
			fail_msg("%s: %s", path, vios_error_last());
		entry(data, len);
		if (accept != NULL && accept(names[i]->d_name, data, len) != 0)
			fail_msg("seed %s is no longer accepted: %s (run tools/fuzz/make-seeds.sh)", path,
				 vios_error_last());
		free(data);
		free(names[i]);
		count++;
	}
	free(names);
	return count;
}

static void run_target(const char *target, entry_fn entry, accept_fn accept)
{
	char dir[256];
	size_t seeds, regress, corpus;

	snprintf(dir, sizeof(dir), "%s/%s", RES, target);
	seeds = run_dir(dir, entry, accept);
	snprintf(dir, sizeof(dir), "%s/regress/%s", RES, target);
	regress = run_dir(dir, entry, NULL);
	snprintf(dir, sizeof(dir), "%s/corpus/%s", RES, target);
	corpus = run_dir(dir, entry, NULL);
	printf("fuzz regress: %-14s %zu seeds, %zu regression inputs, %zu kept corpus inputs\n", target, seeds,
	       regress, corpus);
	assert_true(seeds > 0);
}

/* ---- what each seed must still be ------------------------------------------ */

static int accept_header(const char *name, const uint8_t *data, size_t size)
{
	vios_bundle_header h;
	char *text = fuzz_strndup(data, size);
	int rc;

	(void)name;
	assert_non_null(text);
	rc = vios_bundle_header_parse(&h, text);
	vios_bundle_header_dispose(&h);
	free(text);
	return rc;
}

static int accept_payload(const char *name, const uint8_t *data, size_t size)
{
	vios_crdt_op *ops = NULL;
	size_t n = 0;
	int rc;

	if (strncmp(name, "reject-", 7) == 0)
		return 0; /* made to be refused */
	fuzz_payload_init();
	rc = vios_bundle_payload_read(&ops, &n, data, size, &fuzz_payload_hdr);
	vios_crdt_ops_free(ops, n);
	return rc;
}

static int accept_minisign(const char *name, const uint8_t *data, size_t size)
{
	static const char msg[] = FUZZ_MINISIGN_MESSAGE;
	vios_minisign_pub pub;
	char *text;
	int rc;

	fuzz_minisign_init();
	if (strstr(name, ".minisig"))
		return vios_minisign_verify(NULL, &fuzz_minisign_pub, (const uint8_t *)msg, sizeof(msg) - 1,
					    (const char *)data, size);
	text = fuzz_strndup(data, size);
	assert_non_null(text);
	rc = vios_minisign_pub_parse(&pub, text);
	free(text);
	if (rc == 0 && memcmp(&pub, &fuzz_minisign_pub, sizeof(pub)) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "not the fixed key");
		rc = VIOS_ERROR;
	}
	return rc;
}

static int accept_enroll(const char *name, const uint8_t *data, size_t size)
{
	vios_enroll_info info;
	(void)name;
	return vios_enroll_request_verify(&info, (const char *)data, size);
}

static int accept_covenant(const char *name, const uint8_t *data, size_t size)
{
	vios_covenant c;
	int rc = vios_covenant_parse(&c, (const char *)data, size);
	(void)name;
	vios_covenant_dispose(&c);
	return rc;
}

static int accept_registry_node(const char *name, const uint8_t *data, size_t size)
{
	vios_reg_node n;
	return vios_registry_node_parse(&n, (const char *)data, size, name);
}

/* A vault as vios writes it (or wrote it, version 1) parses; a reject-*
 * seed must still be refused. */
static int accept_vault(const char *name, const uint8_t *data, size_t size)
{
	vios_vault_info info;
	int rc = vios_vault_parse(&info, data, size);

	if (strncmp(name, "reject-", 7) != 0)
		return rc;
	if (rc == 0) {
		vios_error_set(VIOS_ERR_INPUT, "a reject- seed was accepted");
		return VIOS_ERROR;
	}
	return 0;
}

/* A start that is one store's own files, unmutated (sound-*), opens and
 * reads (fuzz_vfs has just written its files). */
static int accept_vfs(const char *name, const uint8_t *data, size_t size)
{
	sqlite3 *db = NULL;
	long long sum;

	(void)data;
	if (strncmp(name, "sound-", 6) != 0 || size != 1)
		return 0;
	if (vios_vfs_open(&db, fz.path, fz.key, 0) < 0)
		return VIOS_ERROR;
	sum = fuzz_vfs_summary(db);
	sqlite3_close_v2(db);
	if (sum <= 0) {
		vios_error_set(VIOS_ERR_STORE, "table t does not read");
		return VIOS_ERROR;
	}
	return 0;
}

/* The vios-made age files are for the fixed identity and must decrypt. */
static int accept_age(const char *name, const uint8_t *data, size_t size)
{
	const uint8_t *ids[1];
	uint8_t *out = NULL;
	size_t outlen = 0;
	int rc;

	if (strncmp(name, "vios-", 5) != 0)
		return 0; /* CCTV vectors: their own test checks their outcomes */
	fuzz_age_init();
	ids[0] = fuzz_age_sk;
	rc = vios_age_decrypt_buf(&out, &outlen, data, size, ids, 1, SIZE_MAX);
	free(out);
	return rc;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_fuzz_regress__bundle_header(void **state)
{
	(void)state;
	run_target("bundle_header", fuzz_bundle_header, accept_header);
}

static void test_fuzz_regress__bundle_payload(void **state)
{
	(void)state;
	run_target("bundle_payload", fuzz_bundle_payload, accept_payload);
}

static void test_fuzz_regress__age(void **state)
{
	(void)state;
	run_target("age", fuzz_age, accept_age);
}

static void test_fuzz_regress__minisign(void **state)
{
	(void)state;
	run_target("minisign", fuzz_minisign, accept_minisign);
}

static void test_fuzz_regress__enroll(void **state)
{
	(void)state;
	run_target("enroll", fuzz_enroll, accept_enroll);
}

static void test_fuzz_regress__covenant(void **state)
{
	(void)state;
	run_target("covenant", fuzz_covenant, accept_covenant);
}

static void test_fuzz_regress__registry_node(void **state)
{
	(void)state;
	run_target("registry_node", fuzz_registry_node, accept_registry_node);
}

static void test_fuzz_regress__vault(void **state)
{
	(void)state;
	run_target("vault", fuzz_vault, accept_vault);
}

/* With libFuzzer's cap on file size (FUZZ_VFS_FSIZE): an input that once
 * filled the disk (a journal header's database size) fails here at 64 MiB
 * if it comes back, instead of filling the disk of `make check`. */
static void test_fuzz_regress__vfs(void **state)
{
	struct rlimit old, cap;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	cap = old; /* the soft limit only: a lowered hard limit cannot be raised again */
	if (old.rlim_max == RLIM_INFINITY || old.rlim_max > FUZZ_VFS_FSIZE)
		cap.rlim_cur = FUZZ_VFS_FSIZE;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &cap), 0);
	fuzz_vfs_keep_files = 1;
	run_target("vfs", fuzz_vfs, accept_vfs);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_regress__bundle_header),
		cmocka_unit_test(test_fuzz_regress__bundle_payload),
		cmocka_unit_test(test_fuzz_regress__age),
		cmocka_unit_test(test_fuzz_regress__minisign),
		cmocka_unit_test(test_fuzz_regress__enroll),
		cmocka_unit_test(test_fuzz_regress__covenant),
		cmocka_unit_test(test_fuzz_regress__registry_node),
		cmocka_unit_test(test_fuzz_regress__vault),
		cmocka_unit_test(test_fuzz_regress__vfs),
	};
	int rc;

	if (sodium_init() < 0)
		return 1;
	rc = cmocka_run_group_tests_name("fuzz_regress", tests, NULL, NULL);
	vios_bundle_header_dispose(&fuzz_payload_hdr);
	if (fuzz_age_sk != NULL)
		sodium_free(fuzz_age_sk);
	return rc;
}
