/*
 * test_mandate.c - the mandate's data and its judge (src/crdt/mandate.c).
 *
 * Proves: the default covenant spells out exactly vios_mandate_default;
 * mandate JSON is read strictly (unknown keys, tables, columns, statuses,
 * kinds missing, a -1 covenant carrying one) and round-trips; the judge
 * gives each writer what docs/mandate.md's table says and nothing more,
 * one case per row of that table; signal count ids derive from their triple.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crdt/mandate.h"
#include "sync/registry.h"
#include "util/error.h"

#define SCHOOL "01a225e4-cdff-75d0-bb9f-4981b15970d3"
#define OTHER "01a225e4-cdff-75d0-bb9f-4981b15970d4"
#define POLICE "01a225e4-cdff-75d0-bb9f-4981b15970d5"
#define ROW "01a225e4-cdff-75d0-bb9f-4981b15970d6"

static vios_crdt_op set_op(const char *tbl, const char *col, const char *value, const char *node)
{
	vios_crdt_op op;

	memset(&op, 0, sizeof(op));
	op.kind = VIOS_OP_SET;
	op.hlc = 1000;
	op.node = (char *)node;
	op.tbl = (char *)tbl;
	op.pk = ROW;
	op.col = (char *)col;
	if (value) {
		op.value.type = VIOS_VAL_TEXT;
		op.value.u.text.p = (char *)value;
		op.value.u.text.len = strlen(value);
	}
	return op;
}

static int judge(const vios_mandate *m, const vios_mandate_writer *w, const vios_mandate_row *row,
		 const vios_crdt_op *op, char *why)
{
	return vios_mandate_judge(why, 300, m, w, row, op);
}

static void test_mandate__default_covenant_states_the_default_mandate(void **state)
{
	vios_covenant c;
	vios_mandate d;
	json_t *a, *b;
	const char *text = vios_covenant_default();

	(void)state;
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	vios_mandate_default(&d);
	a = vios_mandate_json(&c.mandate);
	b = vios_mandate_json(&d);
	assert_true(json_equal(a, b));
	assert_memory_equal(&c.mandate, &d, sizeof(d));
	json_decref(a);
	json_decref(b);
	vios_covenant_dispose(&c);
}

static void test_mandate__json_is_read_strictly_and_round_trips(void **state)
{
	static const struct {
		const char *json;
		const char *needle;
	} bad[] = {
		{ "[]", "not an object" },
		{ "{\"school\":{},\"partner\":{},\"hub\":{}}", "no rule for auditor" },
		{ "{\"school\":{},\"partner\":{},\"hub\":{},\"auditor\":{},\"janitor\":{}}", "janitor" },
		{ "{\"school\":{\"create\":[\"pupils\"]},\"partner\":{},\"hub\":{},\"auditor\":{}}", "pupils" },
		{ "{\"school\":{\"delete\":[]},\"partner\":{},\"hub\":{},\"auditor\":{}}", "unknown key 'delete'" },
		{ "{\"school\":{},\"partner\":{\"assigned\":[\"origin\"]},\"hub\":{},\"auditor\":{}}", "origin" },
		{ "{\"school\":{},\"partner\":{\"lead\":[\"colour\"]},\"hub\":{},\"auditor\":{}}", "colour" },
		{ "{\"school\":{},\"partner\":{\"lead_status\":[\"done\"]},\"hub\":{},\"auditor\":{}}", "done" },
		{ "{\"school\":{},\"partner\":{},\"hub\":{},\"auditor\":{},\"school \":{}}", "school " },
	};
	vios_mandate m, back;
	json_t *o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i].json, 0, NULL);
		assert_non_null(j);
		if (vios_mandate_parse(&m, j) != VIOS_ECORRUPT || !strstr(vios_error_last(), bad[i].needle))
			fail_msg("row %zu: %s -> %s", i, bad[i].json, vios_error_last());
		json_decref(j);
	}
	/* a police override: it may also make meetings */
	o = json_loads("{\"school\":{\"create\":[\"pupil\"]},\"partner\":{\"create\":[\"signal\"]},\"hub\":{},"
		       "\"auditor\":{},\"police\":{\"create\":[\"signal\",\"meeting\"],\"assigned\":[\"status\"]}}",
		       0, NULL);
	assert_int_equal(vios_mandate_parse(&m, o), 0);
	json_decref(o);
	assert_true(vios_mandate_rule_for(&m, VIOS_KIND_PARTNER, vios_role_index("police"))->create ==
		    ((1u << 1) | (1u << 3)));
	assert_true(vios_mandate_rule_for(&m, VIOS_KIND_PARTNER, vios_role_index("social-team"))->create == (1u << 1));
	o = vios_mandate_json(&m);
	assert_int_equal(vios_mandate_parse(&back, o), 0);
	assert_memory_equal(&m, &back, sizeof(m));
	json_decref(o);
	/* a -1 covenant cannot carry a mandate; a -2 must */
	{
		vios_covenant c;
		const char *one = "{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\"],"
				  "\"receives\":{\"theme\":[\"auditor\"],\"case\":[\"auditor\"]},"
				  "\"retention_months\":{\"theme\":1,\"case\":1},\"mandate\":{}}";
		const char *two = "{\"format\":\"vios-covenant-2\",\"version\":2,\"parties\":[\"school\"],"
				  "\"receives\":{\"theme\":[\"auditor\"],\"case\":[\"auditor\"]},"
				  "\"retention_months\":{\"theme\":1,\"case\":1}}";
		assert_int_equal(vios_covenant_parse(&c, one, strlen(one)), VIOS_ERROR);
		assert_non_null(strstr(vios_error_last(), "vios-covenant-2"));
		assert_int_equal(vios_covenant_parse(&c, two, strlen(two)), VIOS_ERROR);
		assert_non_null(strstr(vios_error_last(), "mandate"));
	}
}

static void test_mandate__each_writer_gets_its_row_of_the_table(void **state)
{
	vios_mandate m;
	vios_mandate_writer school = { SCHOOL, VIOS_KIND_SCHOOL, VIOS_ROLE_IDX_SCHOOL, "De Linde" };
	vios_mandate_writer police = { POLICE, VIOS_KIND_PARTNER, VIOS_ROLE_IDX_POLICE, "Politie" };
	vios_mandate_writer hub = { OTHER, VIOS_KIND_HUB, VIOS_ROLE_IDX_HUB, "Hub" };
	vios_mandate_row none = { 0 }, schools = { 1, 0, SCHOOL, "De Linde", NULL, 0, NULL, 0 };
	vios_mandate_row granted = { 1, 0, SCHOOL, "De Linde", NULL, 1, NULL, 0 };
	vios_mandate_row polices = { 1, 0, POLICE, "Politie", NULL, 0, NULL, 0 };
	vios_crdt_op op;
	char why[300];

	(void)state;
	vios_mandate_default(&m);
	/* making rows: origin is the maker, in a table its kind may make */
	op = set_op("pupil", "origin", SCHOOL, SCHOOL);
	assert_int_equal(judge(&m, &school, &none, &op, why), VIOS_MANDATE_OK);
	op = set_op("pupil", "origin", SCHOOL, POLICE);
	assert_int_equal(judge(&m, &police, &none, &op, why), VIOS_MANDATE_DENIED);
	assert_non_null(strstr(why, "another node's name"));
	op = set_op("pupil", "origin", POLICE, POLICE);
	assert_int_equal(judge(&m, &police, &none, &op, why), VIOS_MANDATE_DENIED);
	assert_string_equal(why, "the police role may not make a pupil");
	op = set_op("trend", "origin", POLICE, POLICE);
	assert_int_equal(judge(&m, &police, &none, &op, why), VIOS_MANDATE_DENIED);
	op = set_op("signal_count", "origin", POLICE, POLICE);
	assert_int_equal(judge(&m, &police, &none, &op, why), VIOS_MANDATE_DENIED);
	op = set_op("signal", "origin", POLICE, POLICE);
	assert_int_equal(judge(&m, &police, &none, &op, why), VIOS_MANDATE_OK);
	op = set_op("meeting", "origin", OTHER, OTHER);
	assert_int_equal(judge(&m, &hub, &none, &op, why), VIOS_MANDATE_OK);
	op = set_op("signal", "origin", OTHER, OTHER);
	assert_int_equal(judge(&m, &hub, &none, &op, why), VIOS_MANDATE_DENIED);
	/* origin is set once */
	op = set_op("signal", "origin", POLICE, POLICE);
	assert_int_equal(judge(&m, &police, &schools, &op, why), VIOS_MANDATE_DENIED);
	assert_non_null(strstr(why, "set once"));
	/* the owner edits and deletes; others do not */
	op = set_op("pupil", "name", "Sam", SCHOOL);
	assert_int_equal(judge(&m, &school, &schools, &op, why), VIOS_MANDATE_OK);
	op = set_op("pupil", "name", "Renamed", POLICE);
	assert_int_equal(judge(&m, &police, &schools, &op, why), VIOS_MANDATE_DENIED);
	assert_string_equal(why, "the police role may not change the name of a pupil owned by De Linde");
	op = set_op("signal", "note", "mine", POLICE);
	assert_int_equal(judge(&m, &police, &polices, &op, why), VIOS_MANDATE_OK);
	op.kind = VIOS_OP_DELETE;
	op.col = NULL;
	assert_int_equal(judge(&m, &police, &schools, &op, why), VIOS_MANDATE_DENIED);
	assert_non_null(strstr(why, "may not delete a signal owned by De Linde"));
	assert_int_equal(judge(&m, &school, &schools, &op, why), VIOS_MANDATE_OK);
	/* closed is final: a status written over the final one is refused, even the owner's */
	{
		vios_mandate_row closed = { 1, 0, SCHOOL, "De Linde", NULL, 1, NULL, 1 };
		op = set_op("case_file", "status", "monitoring", POLICE);
		assert_int_equal(judge(&m, &police, &closed, &op, why), VIOS_MANDATE_DENIED);
		assert_non_null(strstr(why, "closed is final"));
		op = set_op("case_file", "status", "discussed", SCHOOL);
		assert_int_equal(judge(&m, &school, &closed, &op, why), VIOS_MANDATE_DENIED);
	}
	/* a row not held here cannot be judged */
	op = set_op("pupil", "name", "Renamed", POLICE);
	assert_int_equal(judge(&m, &police, &none, &op, why), VIOS_MANDATE_UNKNOWN);
	/* assigned agreements: only the granted columns, only once granted */
	op = set_op("agreement", "status", "done", POLICE);
	assert_int_equal(judge(&m, &police, &schools, &op, why), VIOS_MANDATE_DENIED);
	assert_int_equal(judge(&m, &police, &granted, &op, why), VIOS_MANDATE_OK);
	op = set_op("agreement", "action", "nothing", POLICE);
	assert_int_equal(judge(&m, &police, &granted, &op, why), VIOS_MANDATE_DENIED);
	/* a lead moves its case along, but does not close it */
	op = set_op("case_file", "status", "in-progress", POLICE);
	assert_int_equal(judge(&m, &police, &schools, &op, why), VIOS_MANDATE_DENIED);
	assert_string_equal(why, "the police role may not change the status of a case owned by De Linde");
	assert_int_equal(judge(&m, &police, &granted, &op, why), VIOS_MANDATE_OK);
	op = set_op("case_file", "status", "closed", POLICE);
	assert_int_equal(judge(&m, &police, &granted, &op, why), VIOS_MANDATE_DENIED);
	op = set_op("case_file", "roles", "school,police,youth-work", POLICE);
	assert_int_equal(judge(&m, &police, &granted, &op, why), VIOS_MANDATE_DENIED);
	/* references: only to own rows of a table the writer may make */
	{
		vios_mandate_row ref = { 1, 0, SCHOOL, "De Linde", NULL, 0, OTHER, 0 };
		op = set_op("signal", "pupil_id", ROW, SCHOOL);
		assert_int_equal(judge(&m, &school, &ref, &op, why), VIOS_MANDATE_DENIED);
		ref.ref_owner = SCHOOL;
		assert_int_equal(judge(&m, &school, &ref, &op, why), VIOS_MANDATE_OK);
		op = set_op("signal", "pupil_id", ROW, POLICE);
		assert_int_equal(judge(&m, &police, &polices, &op, why), VIOS_MANDATE_DENIED);
	}
	/* a signal count's month and theme are set once */
	{
		vios_mandate_row count = { 1, 0, SCHOOL, "De Linde", "2026-10", 0, NULL, 0 };
		op = set_op("signal_count", "month", "2026-11", SCHOOL);
		assert_int_equal(judge(&m, &school, &count, &op, why), VIOS_MANDATE_DENIED);
		op = set_op("signal_count", "month", "2026-10", SCHOOL);
		assert_int_equal(judge(&m, &school, &count, &op, why), VIOS_MANDATE_OK);
	}
	/* so are a school figure's; only a school makes one */
	{
		vios_mandate_row fig = { 1, 0, SCHOOL, "De Linde", "cases-closed", 0, NULL, 0 };
		op = set_op("school_figure", "figure", "cases-reported", SCHOOL);
		assert_int_equal(judge(&m, &school, &fig, &op, why), VIOS_MANDATE_DENIED);
		op = set_op("school_figure", "updated_at", "2026-11-02T10:00:00Z", SCHOOL);
		assert_int_equal(judge(&m, &school, &fig, &op, why), VIOS_MANDATE_OK);
		op = set_op("school_figure", "origin", POLICE, POLICE);
		assert_int_equal(judge(&m, &police, &none, &op, why), VIOS_MANDATE_DENIED);
		assert_string_equal(why, "the police role may not make a school figure");
	}
}

static void test_mandate__count_ids_derive_from_school_month_and_theme(void **state)
{
	char a[37], b[37], c[37];

	(void)state;
	vios_mandate_count_id(a, SCHOOL, "2026-10", "weapons");
	vios_mandate_count_id(b, SCHOOL, "2026-10", "weapons");
	vios_mandate_count_id(c, OTHER, "2026-10", "weapons");
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '8'); /* UUID version 8 */
	/* a figure's id: its own purpose, so never a count's */
	vios_mandate_figure_id(b, SCHOOL, "2026-10", "weapons");
	vios_mandate_figure_id(c, SCHOOL, "2026-10", "weapons");
	assert_string_equal(b, c);
	assert_string_not_equal(a, b);
	assert_int_equal(b[14], '8');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mandate__default_covenant_states_the_default_mandate),
		cmocka_unit_test(test_mandate__json_is_read_strictly_and_round_trips),
		cmocka_unit_test(test_mandate__each_writer_gets_its_row_of_the_table),
		cmocka_unit_test(test_mandate__count_ids_derive_from_school_month_and_theme),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
