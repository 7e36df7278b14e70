/*
 * test_meldcode.c - the meldcode column (src/store/meldcode.c): the strict
 * vios-meldcode-1 reader, recording steps (step 5 after 1 to 4, with its
 * outcome; no date in the future), the round trip through the writer, and
 * the rule that escalation to Veilig Thuis follows step 5's decision to
 * report. Bad documents carry numbered ids so a failure names its row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/meldcode.h"
#include "store/records.h"
#include "util/error.h"

#define DAY "2026-03-0"

static void set_ok(vios_meldcode *m, int step, const char *outcome)
{
	char date[24];
	snprintf(date, sizeof(date), DAY "%d", step);
	if (vios_meldcode_set(m, step, date, step == 3 ? "talked with mother" : NULL, outcome) != 0)
		fail_msg("step %d: %s", step, vios_error_last());
}

static void test_meldcode__steps_round_trip_through_the_column(void **state)
{
	vios_meldcode m, back;
	char *text = NULL, *again = NULL;
	json_t *steps;

	(void)state;
	assert_int_equal(vios_meldcode_parse(&m, NULL), 0);
	assert_int_equal(vios_meldcode_format(&text, &m), 0);
	assert_null(text); /* nothing recorded: the column stays NULL */
	for (int s = 1; s <= 4; s++)
		set_ok(&m, s, NULL);
	set_ok(&m, 5, "report-and-help");
	assert_int_equal(vios_meldcode_format(&text, &m), 0);
	assert_non_null(text);
	assert_int_equal(vios_meldcode_parse(&back, text), 0);
	for (int i = 0; i < VIOS_MELDCODE_STEPS; i++) {
		assert_string_equal(back.at[i], m.at[i]);
		if (i == 2)
			assert_string_equal(back.note[i], "talked with mother");
		else
			assert_null(back.note[i]);
	}
	assert_int_equal(back.report, 1);
	assert_int_equal(back.help, 1);
	assert_int_equal(vios_meldcode_format(&again, &back), 0);
	assert_string_equal(again, text); /* one canonical form */
	steps = vios_meldcode_json(&back);
	assert_int_equal(json_array_size(steps), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 4), "name_nl")),
			    vios_meldcode_step_name_nl(5));
	assert_true(json_is_true(json_object_get(json_array_get(steps, 4), "report")));
	json_decref(steps);
	vios_meldcode_clear(&m);
	vios_meldcode_clear(&back);
	free(text);
	free(again);
}

static void test_meldcode__bad_steps_are_refused_and_leave_it_unchanged(void **state)
{
	vios_meldcode m;
	char future[11], *before = NULL, *after = NULL;
	struct {
		int id, step;
		const char *date, *note, *outcome, *says;
	} bad[] = {
		{ 1, 0, "2026-03-01", NULL, NULL, "steps 1 to 5" },
		{ 2, 6, "2026-03-01", NULL, NULL, "steps 1 to 5" },
		{ 3, 1, "2026-02-30", NULL, NULL, "not a date" },
		{ 4, 1, "1-3-2026", NULL, NULL, "not a date" },
		{ 5, 1, future, NULL, NULL, "in the future" },
		{ 6, 2, "2026-03-01", NULL, "report", "only with step 5" },
		{ 7, 5, "2026-03-05", NULL, NULL, "give --outcome" },
		{ 8, 5, "2026-03-05", NULL, "maybe", "unknown outcome" },
		{ 9, 1, "2026-03-01", "", NULL, "--note" },
		{ 10, 1, "2026-03-01", "caf\xc3", NULL, "--note" },
	};

	(void)state;
	vios_day_after(future, 2);
	assert_int_equal(vios_meldcode_parse(&m, NULL), 0);
	for (int s = 1; s <= 4; s++)
		set_ok(&m, s, NULL);
	assert_int_equal(vios_meldcode_format(&before, &m), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vios_meldcode_set(&m, bad[i].step, bad[i].date, bad[i].note, bad[i].outcome) != VIOS_EUSAGE)
			fail_msg("bad step %d was accepted", bad[i].id);
		if (strstr(vios_error_last(), bad[i].says) == NULL || strchr(vios_error_last(), '\n'))
			fail_msg("bad step %d: '%s' does not say '%s'", bad[i].id, vios_error_last(), bad[i].says);
		assert_int_equal(vios_meldcode_format(&after, &m), 0);
		if (strcmp(before, after))
			fail_msg("bad step %d changed the record", bad[i].id);
		free(after);
		after = NULL;
	}
	vios_meldcode_clear(&m);
	free(before);

	/* step 5 decides after 1 to 4 */
	assert_int_equal(vios_meldcode_parse(&m, NULL), 0);
	set_ok(&m, 1, NULL);
	set_ok(&m, 2, NULL);
	assert_int_equal(vios_meldcode_set(&m, 5, "2026-03-05", NULL, "report"), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "step 3"));
	vios_meldcode_clear(&m);
}

static void test_meldcode__reader_refuses_what_is_not_vios_meldcode_1(void **state)
{
	static const struct {
		int id;
		const char *text;
	} bad[] = {
		{ 1, "" },
		{ 2, "[]" },
		{ 3, "{\"steps\":{}}" },
		{ 4, "{\"v\":2,\"steps\":{}}" },
		{ 5, "{\"v\":1}" },
		{ 6, "{\"v\":1,\"steps\":{},\"x\":1}" },
		{ 7, "{\"v\":1,\"steps\":{\"6\":{\"at\":\"2026-03-01\"}}}" },
		{ 8, "{\"v\":1,\"steps\":{\"01\":{\"at\":\"2026-03-01\"}}}" },
		{ 9, "{\"v\":1,\"steps\":{\"1\":{}}}" },
		{ 10, "{\"v\":1,\"steps\":{\"1\":{\"at\":\"2026-13-01\"}}}" },
		{ 11, "{\"v\":1,\"steps\":{\"1\":{\"at\":\"2026-03-01\",\"who\":\"x\"}}}" },
		{ 12, "{\"v\":1,\"steps\":{\"1\":{\"at\":\"2026-03-01\",\"note\":\"\"}}}" },
		{ 13, "{\"v\":1,\"steps\":{\"5\":{\"at\":\"2026-03-01\"}}}" },
		{ 14, "{\"v\":1,\"steps\":{\"1\":{\"at\":\"2026-03-01\"}},\"report\":true,\"help\":false}" },
		{ 15, "{\"v\":1,\"steps\":{\"5\":{\"at\":\"2026-03-01\"}},\"report\":1,\"help\":0}" },
		{ 16, "{\"v\":1,\"v\":1,\"steps\":{}}" },
	};
	vios_meldcode m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vios_meldcode_parse(&m, bad[i].text) != VIOS_ECORRUPT)
			fail_msg("bad document %d was read", bad[i].id);
		if (strstr(vios_error_last(), "vios-meldcode-1") == NULL || strchr(vios_error_last(), '\n'))
			fail_msg("bad document %d: '%s'", bad[i].id, vios_error_last());
	}
}

static void test_meldcode__veilig_thuis_follows_step_5s_decision_to_report(void **state)
{
	vios_meldcode m;
	char *text = NULL;

	(void)state;
	/* other targets need no meldcode */
	assert_int_equal(vios_meldcode_escalation(NULL, "zorg-en-veiligheidshuis"), 0);
	assert_int_equal(vios_meldcode_escalation(NULL, "raad-kinderbescherming"), 0);
	assert_int_equal(vios_meldcode_escalation(NULL, "veilig-thuis"), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "step 5"));
	assert_int_equal(vios_meldcode_parse(&m, NULL), 0);
	for (int s = 1; s <= 4; s++)
		set_ok(&m, s, NULL);
	assert_int_equal(vios_meldcode_format(&text, &m), 0);
	assert_int_equal(vios_meldcode_escalation(text, "veilig-thuis"), VIOS_EUSAGE); /* 1 to 4 are not enough */
	free(text);
	set_ok(&m, 5, "help");
	assert_int_equal(vios_meldcode_format(&text, &m), 0);
	assert_int_equal(vios_meldcode_escalation(text, "veilig-thuis"), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "decided not to report"));
	free(text);
	set_ok(&m, 5, "report");
	assert_int_equal(vios_meldcode_format(&text, &m), 0);
	assert_int_equal(vios_meldcode_escalation(text, "veilig-thuis"), 0);
	free(text);
	assert_int_equal(vios_meldcode_escalation("{}", "veilig-thuis"), VIOS_ECORRUPT);
	vios_meldcode_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meldcode__steps_round_trip_through_the_column),
		cmocka_unit_test(test_meldcode__bad_steps_are_refused_and_leave_it_unchanged),
		cmocka_unit_test(test_meldcode__reader_refuses_what_is_not_vios_meldcode_1),
		cmocka_unit_test(test_meldcode__veilig_thuis_follows_step_5s_decision_to_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
