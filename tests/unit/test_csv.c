/*
 * test_csv.c - the one CSV writer (src/util/csv.c): RFC 4180 quoting, the
 * formula-injection rule (a leading = + - @ tab CR gets a ' in front, a
 * whole number does not), records, and a failing stream reported as an
 * error. Table rows carry numbered ids so a failure names its row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/csv.h"
#include "util/error.h"

typedef struct {
	int id;
	const char *in;   /* NULL: a NULL cell */
	const char *want; /* the cell as written */
} cell_case;

static const cell_case cells[] = {
	/* plain text stays as it is */
	{ 1, "north", "north" },
	{ 2, "", "" },
	{ 3, NULL, "" },
	{ 4, "2026-10", "2026-10" },
	{ 5, "<5", "<5" },
	{ 6, "De Brug Noord", "De Brug Noord" },
	{ 7, "caf\xc3\xa9", "caf\xc3\xa9" },
	/* RFC 4180: comma, quote, CR, LF, and edge spaces are quoted */
	{ 10, "a,b", "\"a,b\"" },
	{ 11, "De \"Brug\", Noord", "\"De \"\"Brug\"\", Noord\"" },
	{ 12, "\"", "\"\"\"\"" },
	{ 13, "two\nlines", "\"two\nlines\"" },
	{ 14, "a\rb", "\"a\rb\"" },
	{ 15, " lead", "\" lead\"" },
	{ 16, "trail ", "\"trail \"" },
	/* formulas are neutralised with a leading ' */
	{ 20, "=1+1", "'=1+1" },
	{ 21, "+cmd", "'+cmd" },
	{ 22, "-2+3", "'-2+3" },
	{ 23, "@SUM(A1:A9)", "'@SUM(A1:A9)" },
	{ 24, "\tx", "'\tx" },
	{ 25, "\rx", "\"'\rx\"" },
	{ 26, "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
	{ 27, "-", "'-" },
	{ 28, "=a ", "\"'=a \"" },
	/* whole numbers, signed or not, are numbers: left alone */
	{ 30, "42", "42" },
	{ 31, "-3", "-3" },
	{ 32, "+7", "+7" },
	{ 33, "-2.5", "-2.5" },
	{ 34, "-2.", "'-2." },
	{ 35, "-.5", "'-.5" },
	{ 36, "-1e3", "'-1e3" },
	/* only the first character counts */
	{ 40, "a=b", "a=b" },
	{ 41, " =x", "\" =x\"" },
};

/* The text vios_csv_cell writes for s. */
static char *write_cell(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(vios_csv_cell(m, s), 0);
	assert_int_equal(fclose(m), 0);
	return buf;
}

static void test_csv__cells_are_quoted_and_neutralised_as_documented(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		char *got = write_cell(cells[i].in);
		if (strcmp(got, cells[i].want) != 0)
			fail_msg("row %d: wrote [%s], want [%s]", cells[i].id, got, cells[i].want);
		free(got);
	}
}

static void test_csv__neutralised_agrees_with_what_is_written(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		const char *w = cells[i].want;
		int leading_quote = w[0] == '\'' || (w[0] == '"' && w[1] == '\'');
		if (vios_csv_neutralised(cells[i].in) != leading_quote)
			fail_msg("row %d: vios_csv_neutralised says %d", cells[i].id, !leading_quote);
	}
}

static void test_csv__row_joins_cells_with_commas_and_ends_with_lf(void **state)
{
	const char *row[] = { "2026-10", "De \"Brug\", Noord", "weapons", "<5", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(m);
	assert_int_equal(vios_csv_row(m, row, 5), 0);
	assert_int_equal(vios_csv_row(m, row, 0), 0);
	assert_int_equal(fclose(m), 0);
	assert_string_equal(buf, "2026-10,\"De \"\"Brug\"\", Noord\",weapons,<5,\n\n");
	free(buf);
}

static void test_csv__dialects_rfc4180_crlf_and_excel_nl_semicolon_with_bom(void **state)
{
	const char *row[] = { "2026-10", "De Brug; Noord", "=HYPERLINK(\"x\")", "<5", "a,b" };
	static const struct {
		int id;
		vios_csv_dialect d;
		const char *want;
	} rows[] = {
		{ 1, VIOS_CSV_RFC4180, "2026-10,De Brug; Noord,\"'=HYPERLINK(\"\"x\"\")\",<5,\"a,b\"\r\n" },
		{ 2, VIOS_CSV_EXCEL_NL, "\xef\xbb\xbf" "2026-10;\"De Brug; Noord\";\"'=HYPERLINK(\"\"x\"\")\";<5;a,b\r\n" },
		{ 3, VIOS_CSV_LINES, "2026-10,De Brug; Noord,\"'=HYPERLINK(\"\"x\"\")\",<5,\"a,b\"\n" },
	};
	vios_csv_dialect d;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		assert_non_null(m);
		assert_int_equal(vios_csv_begin(m, rows[i].d), 0);
		assert_int_equal(vios_csv_row_as(m, rows[i].d, row, 5), 0);
		assert_int_equal(fclose(m), 0);
		if (strcmp(buf, rows[i].want) != 0)
			fail_msg("row %d: wrote [%s], want [%s]", rows[i].id, buf, rows[i].want);
		free(buf);
	}
	assert_int_equal(vios_csv_dialect_parse(&d, "excel-nl"), 0);
	assert_int_equal(d, VIOS_CSV_EXCEL_NL);
	assert_int_equal(vios_csv_dialect_parse(&d, "rfc4180"), 0);
	assert_int_equal(d, VIOS_CSV_RFC4180);
	assert_int_equal(vios_csv_dialect_parse(&d, "excel"), -1);
}

static void test_csv__failing_stream_is_an_error(void **state)
{
	const char *row[] = { "a", "b" };
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (f == NULL)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	assert_true(vios_csv_row(f, row, 2) < 0);
	assert_non_null(strstr(vios_error_last(), "cannot write the CSV"));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv__cells_are_quoted_and_neutralised_as_documented),
		cmocka_unit_test(test_csv__neutralised_agrees_with_what_is_written),
		cmocka_unit_test(test_csv__row_joins_cells_with_commas_and_ends_with_lf),
		cmocka_unit_test(test_csv__dialects_rfc4180_crlf_and_excel_nl_semicolon_with_bom),
		cmocka_unit_test(test_csv__failing_stream_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
