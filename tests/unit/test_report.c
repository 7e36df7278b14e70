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
#include <time.h>

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

/* The published total of (month, theme) as shown: "x" or the number. */
static void total_of(char out[24], json_t *pub, const char *month, const char *theme)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(pub, "totals"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "month")), month) &&
		    !strcmp(json_string_value(json_object_get(r, "theme")), theme)) {
			vios_report_cell(out, json_object_get(r, "signals"));
			return;
		}
	fail_msg("no total %s %s", month, theme);
}

/* A grid of one month and theme: the schools' counts n[0..k-1]. */
static json_t *column(const long long *n, size_t k)
{
	json_t *rows = json_array();
	for (size_t i = 0; i < k; i++) {
		char name[32];
		snprintf(name, sizeof(name), "s%zu", i);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:I}", "month", "2026-10", "school", name, "theme",
						      "weapons", "signals", (json_int_t)n[i]));
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "municipality", "m", "from", "2026-10", "to", "2026-10", "rows", rows);
}

/*
 * Disclosure control, column by column: the cells as shown and the total.
 * Each "<5" must stay any of 0..4 given the numbers shown and the total
 * (docs/disclosure.md); the rows are the cases of the issue and the edges
 * of the rule.
 */
static void test_report_publish__suppression_primary_and_complementary(void **state)
{
	static const struct {
		int id;
		long long n[6];
		size_t k;
		const char *cells; /* one character per school: n number, < "<5", x "x" */
		const char *total;
	} rows[] = {
		/* Regenboog 6, Kompas 2: the total 8 would give Kompas = 2 */
		{ 1, { 6, 2 }, 2, "n<", "x" },
		/* Kompas 5 drugs-trade, Regenboog 1: the total 6 would give the 1 */
		{ 2, { 5, 1 }, 2, "n<", "x" },
		/* nothing below 5: all shown */
		{ 3, { 5, 7, 12 }, 3, "nnn", "24" },
		/* all zero: 0 is <5 and so is the total, hidden */
		{ 4, { 0, 0, 0 }, 3, "<<<", "x" },
		/* a total below 5 is never shown */
		{ 5, { 1, 1, 2 }, 3, "<<<", "x" },
		/* small cells whose sum leaves each of them 0..4: total shown */
		{ 6, { 3, 2, 0, 4 }, 4, "<<<<", "9" },
		{ 7, { 7, 3, 1, 0 }, 4, "n<<<", "11" },
		/* two small cells summing to 8 would both be 4: hidden total */
		{ 8, { 4, 4 }, 2, "<<", "x" },
		/* a complementary cell: the smallest that leaves 0..4 */
		{ 9, { 20, 9, 1 }, 3, "nx<", "30" },
		{ 10, { 6, 12, 0 }, 3, "nx<", "18" },
		/* no single cell suffices: the largest ones */
		{ 11, { 7, 8, 0, 0 }, 4, "xx<<", "15" },
		/* none suffice: the total goes */
		{ 12, { 5, 6, 0 }, 3, "nn<", "x" },
		/* one school: its count is the total */
		{ 13, { 9 }, 1, "n", "9" },
		{ 14, { 3 }, 1, "<", "x" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *grid = column(rows[i].n, rows[i].k), *pub = NULL;
		char total[24];
		FX_OK(vios_report_publish(&pub, grid));
		for (size_t c = 0; c < rows[i].k; c++) {
			json_t *v = json_object_get(json_array_get(json_object_get(pub, "rows"), c), "signals");
			char want = rows[i].cells[c];
			int ok = want == 'n' ? json_is_integer(v) && json_integer_value(v) == rows[i].n[c]
				 : json_is_string(v) && !strcmp(json_string_value(v), want == '<' ? "<5" : "x");
			if (!ok)
				fail_msg("row %d: school %zu shown as %s, want %c", rows[i].id, c,
					 json_is_integer(v) ? "a number" : json_string_value(v), want);
		}
		total_of(total, pub, "2026-10", "weapons");
		if (strcmp(total, rows[i].total) != 0)
			fail_msg("row %d: total shown as %s, want %s", rows[i].id, total, rows[i].total);
		assert_string_equal(json_string_value(json_object_get(pub, "format")), "vios-report-2");
		json_decref(grid);
		json_decref(pub);
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
	FX_OK(vios_report_grid(&rep, sb->school.st, NULL, NULL));
	assert_string_equal(json_string_value(json_object_get(rep, "from")), "2026-09");
	assert_string_equal(json_string_value(json_object_get(rep, "to")), "2026-10");
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 2 * NTHEMES);
	assert_int_equal(signals_in(rep, "2026-09", "weapons"), 6);
	assert_int_equal(signals_in(rep, "2026-09", "alcohol"), 2);
	assert_int_equal(signals_in(rep, "2026-09", "sexting"), 0);
	assert_int_equal(signals_in(rep, "2026-10", "weapons"), 1);
	assert_string_equal(json_string_value(json_object_get(row_of(rep, "2026-09", "school", "weapons"), "school_id")),
			    sb->school.node->node_id);
	json_decref(rep);

	/* a quiet month asked for is a month of zeros */
	FX_OK(vios_report_grid(&rep, sb->school.st, "2026-08", "2026-11"));
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 4 * NTHEMES);
	assert_int_equal(signals_in(rep, "2026-08", "weapons"), 0);
	assert_int_equal(signals_in(rep, "2026-11", "weapons"), 0);
	json_decref(rep);

	/* a range before any data: zeros for the school that reports, not an error */
	FX_OK(vios_report_grid(&rep, sb->school.st, "2025-01", "2025-02"));
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 2 * NTHEMES);
	assert_int_equal(signals_in(rep, "2025-02", "weapons"), 0);
	json_decref(rep);
	/* never a month after the current one: --to is cut at it */
	{
		char now[8], want_to[8];
		time_t t = vios_now();
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(now, sizeof(now), "%Y-%m", &tm);
		snprintf(want_to, sizeof(want_to), "%s", now);
		FX_OK(vios_report_grid(&rep, sb->school.st, "2026-09", "2099-12"));
		assert_string_equal(json_string_value(json_object_get(rep, "to")), want_to);
		json_decref(rep);
	}
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
	FX_OK(vios_report_csv(f, rep, VIOS_CSV_RFC4180));
	assert_int_equal(fclose(f), 0);
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	/* a row per month, school and theme, and per month and theme the municipality */
	assert_int_equal(lines, 1 + 2 * NTHEMES + 2 * NTHEMES);
	assert_true(!strncmp(text, "month,school,theme,signals,trend\r\n", strlen("month,school,theme,signals,trend\r\n")));
	assert_non_null(strstr(text, "\n2026-09,school,weapons,6,\r\n"));
	assert_non_null(strstr(text, "\n2026-09,school,alcohol,<5,\r\n"));
	assert_non_null(strstr(text, "\n2026-10,school,weapons,<5,\r\n"));
	assert_non_null(strstr(text, "\n2026-10,school,sexting,<5,\r\n")); /* zero too */
	/* one school: its total is its count, shown when it is */
	assert_non_null(strstr(text, "\n2026-09,,weapons,6,\r\n"));
	assert_non_null(strstr(text, "\n2026-09,,alcohol,x,\r\n"));
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

	FX_OK(vios_report_grid(&rep, sb->w.hub.st, NULL, NULL));
	assert_int_equal(json_array_size(json_object_get(rep, "rows")), 2 * NTHEMES);
	assert_int_equal(signals_in(rep, "2026-09", "weapons"), 6);
	assert_int_equal(signals_in(rep, "2026-09", "alcohol"), 2);
	assert_int_equal(signals_in(rep, "2026-10", "weapons"), 1);
	assert_string_equal(json_string_value(json_object_get(row_of(rep, "2026-09", "school", "weapons"), "trend")),
			    "rising");
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_publish__suppression_primary_and_complementary),
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
