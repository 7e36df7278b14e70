/*
 * test_report.c - trends for the steering group (sync/report.h): a count
 * below 5 is never shown as a number; a school's signals become one
 * signal_count row per (month, theme); the report grid has a row per month,
 * school and theme, quiet months included, and totals per month and theme;
 * the hub, after merging what the school pushed, reports the same.
 *
 * Each test has its own sandbox (fixture.h): a hub and a school, enrolled
 * and joined.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/git.h"
#include "sync/hub.h"
#include "sync/report.h"
#include "store/records.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

#define NTHEMES 12 /* the themes of records.h */

typedef struct {
	fx_world w;
	fx_node school;
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	fx_node *school;

	assert_non_null(sb);
	school = &sb->school;
	FX_OK(fx_world_make(&sb->w, "vios-report"));
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(school, &sb->w, "school", "school", NULL));
	FX_OK(fx_enroll_join(&sb->w, &school, 1));
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

static void signals(fx_node *t, const char *theme, const char *day, int n)
{
	vios_field f[] = { { "theme", theme }, { "note", "seen" }, { "seen_at", day } };
	char id[37];

	for (int i = 0; i < n; i++)
		FX_OK(vios_record_add(id, t->st, "signal", f, 3));
}

/* The school's signals: September weapons 6, alcohol 2; October weapons 1. */
static void school_signals(sandbox *sb)
{
	size_t changed = 0;

	signals(&sb->school, "weapons", "2026-09-03", 4);
	signals(&sb->school, "weapons", "2026-09-28", 2);
	signals(&sb->school, "alcohol", "2026-09-10", 2);
	signals(&sb->school, "weapons", "2026-10-01", 1);
	FX_OK(vios_report_refresh_counts(&changed, sb->school.st));
	assert_int_equal(changed, 3);
}

/* The grid's row for (month, school name, theme); fails when absent. */
static json_t *row_of(json_t *report, const char *month, const char *school, const char *theme)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(report, "rows"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "month")), month) &&
		    !strcmp(json_string_value(json_object_get(r, "school")), school) &&
		    !strcmp(json_string_value(json_object_get(r, "theme")), theme))
			return r;
	fail_msg("no row %s %s %s", month, school, theme);
	return NULL;
}

static long long signals_in(json_t *report, const char *month, const char *theme)
{
	return json_integer_value(json_object_get(row_of(report, month, "school", theme), "signals"));
}

static long long total_of(json_t *report, const char *month, const char *theme)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(report, "totals"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "month")), month) &&
		    !strcmp(json_string_value(json_object_get(r, "theme")), theme))
			return json_integer_value(json_object_get(r, "signals"));
	fail_msg("no total %s %s", month, theme);
	return -1;
}

static void test_report_count__below_five_is_never_a_number(void **state)
{
	static const struct {
		int id;
		long long n;
		const char *want;
	} rows[] = {
		{ 1, 0, "<5" }, { 2, 1, "<5" }, { 3, 4, "<5" }, { 4, 5, "5" }, { 5, 6, "6" }, { 6, 1234567, "1234567" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[24];
		vios_report_count(out, rows[i].n);
		if (strcmp(out, rows[i].want) != 0)
			fail_msg("row %d: %lld shown as '%s', not '%s'", rows[i].id, rows[i].n, out, rows[i].want);
	}
}

static void test_report_refresh_counts__one_row_per_month_and_theme_rewritten_only_on_change(void **state)
{
	sandbox *sb = *state;
	size_t changed = 99;
	json_t *rows = NULL;

	school_signals(sb);
	FX_OK(vios_query(&rows, sb->school.st, "SELECT month, theme, signals FROM signal_count ORDER BY month, theme",
			 NULL, 0));
	assert_int_equal(json_array_size(rows), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "theme")), "alcohol");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "signals")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "theme")), "weapons");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 1), "signals")), 6);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 2), "month")), "2026-10");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 2), "signals")), 1);
	json_decref(rows);

	/* nothing new: nothing written */
	FX_OK(vios_report_refresh_counts(&changed, sb->school.st));
	assert_int_equal(changed, 0);
	/* one more in October: that row alone */
	signals(&sb->school, "weapons", "2026-10-20", 1);
	FX_OK(vios_report_refresh_counts(&changed, sb->school.st));
	assert_int_equal(changed, 1);

	/* a node that is no school counts nothing */
	FX_OK(vios_report_refresh_counts(&changed, sb->w.hub.st));
	assert_int_equal(changed, 0);
}

static void test_report_build__a_row_per_month_school_and_theme_with_totals(void **state)
{
	sandbox *sb = *state;
	json_t *rep = NULL;

	school_signals(sb);

	/* the data's own months */
	FX_OK(vios_report_build(&rep, sb->school.st, NULL, NULL));
	assert_string_equal(json_string_value(json_object_get(rep, "from")), "2026-09");
	assert_string_equal(json_string_value(json_object_get(rep, "to")), "2026-10");
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 2 * NTHEMES);
	assert_int_equal(json_array_size(json_object_get(rep, "totals")), 2 * NTHEMES);
	assert_int_equal(signals_in(rep, "2026-09", "weapons"), 6);
	assert_int_equal(signals_in(rep, "2026-09", "alcohol"), 2);
	assert_int_equal(signals_in(rep, "2026-09", "sexting"), 0);
	assert_int_equal(signals_in(rep, "2026-10", "weapons"), 1);
	assert_int_equal(total_of(rep, "2026-09", "weapons"), 6);
	assert_int_equal(total_of(rep, "2026-10", "alcohol"), 0);
	assert_string_equal(json_string_value(json_object_get(row_of(rep, "2026-09", "school", "weapons"), "school_id")),
			    sb->school.node->node_id);
	json_decref(rep);

	/* a quiet month asked for is a month of zeros */
	FX_OK(vios_report_build(&rep, sb->school.st, "2026-08", "2026-11"));
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 4 * NTHEMES);
	assert_int_equal(signals_in(rep, "2026-08", "weapons"), 0);
	assert_int_equal(signals_in(rep, "2026-11", "weapons"), 0);
	json_decref(rep);

	/* a range before any data: zeros for the school that reports, not an error */
	FX_OK(vios_report_build(&rep, sb->school.st, "2025-01", "2025-02"));
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 2 * NTHEMES);
	assert_int_equal(total_of(rep, "2025-02", "weapons"), 0);
	json_decref(rep);
	/* a range that ends before it starts: an empty report */
	FX_OK(vios_report_build(&rep, sb->school.st, "2026-10", "2026-09"));
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 0);
	assert_int_equal(json_array_size(json_object_get(rep, "totals")), 0);
	json_decref(rep);

	/* months are YYYY-MM */
	assert_int_equal(vios_report_build(&rep, sb->school.st, "2026-13", NULL), VIOS_EUSAGE);
	assert_null(rep);
	assert_int_equal(vios_report_build(&rep, sb->school.st, NULL, "2026-9"), VIOS_EUSAGE);
}

static void test_report_csv__counts_below_five_are_shown_as_below_five(void **state)
{
	sandbox *sb = *state;
	json_t *rep = NULL;
	char *text = NULL;
	size_t len = 0, lines = 0;
	FILE *f;

	school_signals(sb);
	FX_OK(vios_report_build(&rep, sb->school.st, NULL, NULL));
	assert_non_null(f = open_memstream(&text, &len));
	FX_OK(vios_report_csv(f, rep));
	assert_int_equal(fclose(f), 0);
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1 + 2 * NTHEMES);
	assert_true(!strncmp(text, "month,school,theme,signals,trend\n", strlen("month,school,theme,signals,trend\n")));
	assert_non_null(strstr(text, "\n2026-09,school,weapons,6,\n"));
	assert_non_null(strstr(text, "\n2026-09,school,alcohol,<5,\n"));
	assert_non_null(strstr(text, "\n2026-10,school,weapons,<5,\n"));
	assert_non_null(strstr(text, "\n2026-10,school,sexting,<5,\n")); /* zero too */
	for (int n = 0; n < 5; n++) {
		char exact[8];
		snprintf(exact, sizeof(exact), ",%d,", n);
		if (strstr(text, exact))
			fail_msg("a count of %d is shown as a number:\n%s", n, text);
	}
	free(text);
	json_decref(rep);
}

static void test_report_build__the_hub_reports_what_the_school_pushed(void **state)
{
	sandbox *sb = *state;
	vios_sync_report srep, mrep;
	size_t taken = 0, given = 0;
	json_t *rep = NULL;
	vios_field trend[] = { { "theme", "weapons" }, { "period", "2026-09" }, { "level", "rising" } };
	char id[37];

	school_signals(sb);
	FX_OK(vios_record_add(id, sb->school.st, "trend", trend, 3));
	FX_OK(vios_sync(&srep, sb->school.st, NULL));
	FX_OK(vios_hub_merge(&mrep, &taken, &given, sb->w.hub.st, NULL));
	assert_int_equal(mrep.alarms, 0);
	assert_true(mrep.applied >= 1);

	FX_OK(vios_report_build(&rep, sb->w.hub.st, NULL, NULL));
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 2 * NTHEMES);
	assert_int_equal(signals_in(rep, "2026-09", "weapons"), 6);
	assert_int_equal(signals_in(rep, "2026-09", "alcohol"), 2);
	assert_int_equal(total_of(rep, "2026-10", "weapons"), 1);
	assert_string_equal(json_string_value(json_object_get(row_of(rep, "2026-09", "school", "weapons"), "trend")),
			    "rising");
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_count__below_five_is_never_a_number),
		cmocka_unit_test_setup_teardown(
			test_report_refresh_counts__one_row_per_month_and_theme_rewritten_only_on_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_build__a_row_per_month_school_and_theme_with_totals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_report_csv__counts_below_five_are_shown_as_below_five, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_report_build__the_hub_reports_what_the_school_pushed, setup,
						teardown),
	};
	if (sodium_init() < 0 || vios_git_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
