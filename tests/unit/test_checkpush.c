/*
 * test_checkpush.c - git's pre-receive input as vios hub check-push reads it
 * (sync/checkpush.c). The decisions themselves run end to end through a git
 * daemon with the hook installed (tests/e2e/replication.sh).
 *
 * Proves: "OLD NEW REF" lines with 40-hex ids parse, a zero id stays zero
 * (creation, deletion); every other shape of line is refused whole, with
 * the line number, and nothing is handed out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/checkpush.h"
#include "util/error.h"

#define Z40 "0000000000000000000000000000000000000000"
#define A40 "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
#define B40 "3f786850e387550fdab836ed7e6dc881de23001b"
#define REF "refs/heads/nodes/01a225e4-cdff-75d0-bb9f-4981b15970d3"

static int read_text(vios_push_update **u, size_t *n, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int error;

	assert_non_null(f);
	error = vios_push_read(u, n, f);
	fclose(f);
	return error;
}

static void test_push_read__lines_with_creation_and_update(void **state)
{
	vios_push_update *u = NULL;
	size_t n = 0;
	char hex[GIT_OID_HEXSZ + 1];

	(void)state;
	assert_int_equal(read_text(&u, &n, Z40 " " A40 " " REF "\n" A40 " " B40 " refs/heads/registry\n"), 0);
	assert_int_equal(n, 2);
	assert_true(git_oid_is_zero(&u[0].old_oid));
	git_oid_tostr(hex, sizeof(hex), &u[0].new_oid);
	assert_string_equal(hex, A40);
	assert_string_equal(u[0].ref, REF);
	git_oid_tostr(hex, sizeof(hex), &u[1].new_oid);
	assert_string_equal(hex, B40);
	assert_string_equal(u[1].ref, "refs/heads/registry");
	free(u);
}

static void test_push_read__no_lines_is_an_empty_push(void **state)
{
	vios_push_update *u = NULL;
	size_t n = 9;

	(void)state;
	assert_int_equal(read_text(&u, &n, ""), 0);
	assert_int_equal(n, 0);
	assert_null(u);
}

/* Each case is refused whole (VIOS_ECORRUPT, nothing handed out), naming the line. */
static void test_push_read__refuses_every_other_shape(void **state)
{
	static const struct {
		int id;
		const char *text;
		const char *says;
	} cases[] = {
		{ 1, "garbage\n", "line 1" },
		{ 2, Z40 " " A40 "\n", "line 1" },                          /* no ref */
		{ 3, Z40 "0 " A40 " " REF "\n", "line 1" },                 /* 41 hex digits */
		{ 4, Z40 " " A40 "  " REF "\n", "line 1" },                 /* two spaces */
		{ 5, Z40 " " A40 " " REF " x\n", "line 1" },                /* a fourth field */
		{ 6, Z40 " g" A40 " " REF "\n", "line 1" },                 /* not hex */
		{ 7, Z40 " " A40 " " REF "\n" Z40 " " A40 " " REF, "line 2" }, /* unterminated */
		{ 8, Z40 " " A40 " " REF "\n\n", "line 2" },                /* an empty line */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vios_push_update *u = NULL;
		size_t n = 0;
		if (read_text(&u, &n, cases[i].text) != VIOS_ECORRUPT || u != NULL || n != 0)
			fail_msg("case %d was not refused whole", cases[i].id);
		if (strstr(vios_error_last(), cases[i].says) == NULL)
			fail_msg("case %d: \"%s\" does not name %s", cases[i].id, vios_error_last(), cases[i].says);
	}
}

static void test_push_read__refuses_more_refs_than_the_bound(void **state)
{
	const char *line = Z40 " " A40 " " REF "\n";
	size_t len = strlen(line), total = len * (VIOS_PUSH_MAX_UPDATES + 1);
	char *text = malloc(total + 1);
	vios_push_update *u = NULL;
	size_t n = 0;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i <= VIOS_PUSH_MAX_UPDATES; i++)
		memcpy(text + i * len, line, len);
	text[total] = 0;
	assert_int_equal(read_text(&u, &n, text), VIOS_ECORRUPT);
	assert_null(u);
	assert_non_null(strstr(vios_error_last(), "more than"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_read__lines_with_creation_and_update),
		cmocka_unit_test(test_push_read__no_lines_is_an_empty_push),
		cmocka_unit_test(test_push_read__refuses_every_other_shape),
		cmocka_unit_test(test_push_read__refuses_more_refs_than_the_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
