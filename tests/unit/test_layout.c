/*
 * test_layout.c - the hub repository layout (sync/layout.c).
 *
 * Proves: node refs and bundle paths are built exactly as docs/formats.md
 * spells them, and parse back; names that are not bundle files (wrong
 * directory, short or non-digit seq, seq 0, other extensions) are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sync/layout.h"
#include "util/error.h"

#define ID "01a225e4-cdff-75d0-bb9f-4981b15970d3"

static void test_layout__node_ref_is_namespace_and_id_and_parses_back(void **state)
{
	char ref[VIOS_LAYOUT_REF_MAX];

	(void)state;
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, ID);
	assert_string_equal(ref, "refs/heads/nodes/" ID);
	assert_string_equal(vios_layout_ref_node(ref, VIOS_NODES_REFS), ID);
	assert_null(vios_layout_ref_node(ref, VIOS_SEEN_NODES));
	assert_null(vios_layout_ref_node(VIOS_REGISTRY_REF, VIOS_NODES_REFS));
	vios_layout_node_ref(ref, sizeof(ref), VIOS_SEEN_NODES, ID);
	assert_string_equal(ref, "refs/vios/seen/nodes/" ID);
	assert_string_equal(VIOS_ZERO_HASH, "0000000000000000000000000000000000000000000000000000000000000000");
}

static void test_layout__bundle_paths_are_ten_digits_and_parse_back(void **state)
{
	char path[VIOS_LAYOUT_PATH_MAX];
	long long seq = 0;
	int sig = -1;

	(void)state;
	vios_layout_bundle_path(path, 42, 0);
	assert_string_equal(path, "bundles/0000000042.age");
	assert_int_equal(vios_layout_bundle_path_parse(&seq, &sig, path), 0);
	assert_int_equal(seq, 42);
	assert_int_equal(sig, 0);
	vios_layout_bundle_path(path, 9999999999LL, 1);
	assert_string_equal(path, "bundles/9999999999.age.minisig");
	assert_int_equal(vios_layout_bundle_path_parse(&seq, &sig, path), 0);
	assert_int_equal(seq, 9999999999LL);
	assert_int_equal(sig, 1);
	vios_layout_bundle_name(path, 7, 1);
	assert_string_equal(path, "0000000007.age.minisig");
	assert_int_equal(vios_layout_bundle_name_parse(&seq, &sig, path), 0);
	assert_int_equal(seq, 7);
}

static void test_layout__refuses_names_that_are_not_bundle_files(void **state)
{
	static const struct {
		int id;
		const char *path;
	} rows[] = {
		{ 1, "bundles/0000000000.age" },
		{ 2, "bundles/000000001.age" },
		{ 3, "bundles/00000000x1.age" },
		{ 4, "bundles/0000000001.age.sig" },
		{ 5, "bundles/0000000001.agex" },
		{ 6, "other/0000000001.age" },
		{ 7, "bundles/0000000001" },
		{ 8, "0000000001.age" },
	};
	long long seq;
	int sig;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (vios_layout_bundle_path_parse(&seq, &sig, rows[i].path) != VIOS_ENOTFOUND)
			fail_msg("row %d: %s parsed as a bundle path", rows[i].id, rows[i].path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout__node_ref_is_namespace_and_id_and_parses_back),
		cmocka_unit_test(test_layout__bundle_paths_are_ten_digits_and_parse_back),
		cmocka_unit_test(test_layout__refuses_names_that_are_not_bundle_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
