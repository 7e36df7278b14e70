/*
 * test_web.c - what the web interface's pages share (src/web): the one
 * escape function and h_printf's escaping of every %s, the layout's
 * language and its escaping of the title, dates shown DD-MM-YYYY and typed
 * in both forms, times in Europe/Amsterdam (winter and summer time), the
 * Dutch catalog's words, and the case reference (stable, short). The
 * server's own rules (CSRF, Origin, Host, headers, 127.0.0.1) are tested
 * against the running server in tests/e2e/web_security.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util/i18n.h"
#include "web/web.h"
#include "web/web_internal.h"

static void test_web__h_esc_escapes_the_five_characters(void **state)
{
	vios_web_req *r = web_req_detached("en");

	(void)state;
	h_esc(r, "<script>alert('x') & \"y\"</script>");
	assert_string_equal(web_req_html(r), "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
	web_req_free(r);
}

static void test_web__h_printf_escapes_every_string_argument(void **state)
{
	vios_web_req *r = web_req_detached("en");
	const char *volatile none = NULL; /* NULL shows as nothing (hidden from the format check) */

	(void)state;
	h_printf(r, "<a href=\"/pupil/%s\">%s</a> %d %zu %lld %u %% %s", "x\"><img src=x>", "<b>Sam</b>", -3, (size_t)7,
		 (long long)1 << 40, 5u, none);
	assert_string_equal(web_req_html(r), "<a href=\"/pupil/x&quot;&gt;&lt;img src=x&gt;\">&lt;b&gt;Sam&lt;/b&gt;</a> "
					     "-3 7 1099511627776 5 % ");
	web_req_free(r);
}

static void test_web__the_page_says_its_language_and_escapes_its_title(void **state)
{
	vios_web_req *r = web_req_detached("nl");

	(void)state;
	web_page_begin(r, "<i>x</i>");
	web_page_end(r);
	assert_non_null(strstr(web_req_html(r), "<html lang=\"nl\">"));
	assert_non_null(strstr(web_req_html(r), "<h1>&lt;i&gt;x&lt;/i&gt;</h1>"));
	assert_null(strstr(web_req_html(r), "<i>x"));
	web_req_free(r);
}

typedef struct {
	int id;
	const char *in;
	const char *want;
} date_case;

static void test_web__dates_are_typed_in_both_forms(void **state)
{
	static const date_case cases[] = {
		{ 1, "01-12-2026", "2026-12-01" },
		{ 2, "1-2-2026", "2026-02-01" },
		{ 3, "29/02/2028", "2028-02-29" },
		{ 4, "31.12.2026", "2026-12-31" },
		{ 5, "2026-12-01", "2026-12-01" },   /* ISO as it is */
		{ 6, "31-02-2026", "31-02-2026" },   /* no such day: left for the library's error */
		{ 7, "29-02-2027", "29-02-2027" },
		{ 8, "13-13-2026", "13-13-2026" },
		{ 9, "01-12-2026x", "01-12-2026x" }, /* trailing text: not a date */
		{ 10, "tomorrow", "tomorrow" },
		{ 11, "", "" },
		{ 12, "1-2-26", "1-2-26" },          /* a two-digit year is not guessed */
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = web_date_in(buf, sizeof(buf), cases[i].in);
		if (strcmp(got, cases[i].want))
			fail_msg("case %d: '%s' gave '%s', want '%s'", cases[i].id, cases[i].in, got, cases[i].want);
	}
	assert_null(web_date_in(buf, sizeof(buf), NULL));
}

static void test_web__dates_and_times_are_shown_the_dutch_way(void **state)
{
	char buf[40];

	(void)state;
	setenv("TZ", "Europe/Amsterdam", 1);
	tzset();
	web_date_out(buf, sizeof(buf), "2026-12-01");
	assert_string_equal(buf, "01-12-2026");
	web_date_out(buf, sizeof(buf), "2026-12-01T10:00:00Z");
	assert_string_equal(buf, "01-12-2026");
	web_date_out(buf, sizeof(buf), "");
	assert_string_equal(buf, "");
	/* winter: UTC+1; summer: UTC+2; the night the date changes */
	web_time_out(buf, sizeof(buf), "2026-12-01T10:05:00Z");
	assert_string_equal(buf, "01-12-2026 11:05");
	web_time_out(buf, sizeof(buf), "2026-07-01T22:30:00.123Z");
	assert_string_equal(buf, "02-07-2026 00:30");
}

static void test_web__the_dutch_catalog_names_roles_statuses_and_themes(void **state)
{
	vios_web_req *r = web_req_detached("nl");

	(void)state;
	/* the catalog the build made (build/locale), found next to the test binary */
	vios_i18n_init();
	web_i18n_lang("nl");
	assert_string_equal(web_role("police"), "politie");
	assert_string_equal(web_word("in-progress"), "in behandeling");
	/* an empty word is empty, not the catalog's header (gettext's answer to "") */
	assert_string_equal(web_word(""), "");
	assert_string_equal(web_word(NULL), "");
	assert_string_equal(web_theme(r, "drugs-trade"), "Drugshandel");
	web_i18n_lang("en");
	assert_string_equal(web_role("police"), "police");
	assert_string_equal(web_word("in-progress"), "in progress");
	web_req_free(r);
	r = web_req_detached("en");
	assert_string_equal(web_theme(r, "drugs-trade"), "drugs-trade");
	web_req_free(r);
}

static void test_web__a_case_reference_is_short_and_stable(void **state)
{
	char a[32], b[32], c[32];

	(void)state;
	web_i18n_lang("en");
	web_case_ref(a, sizeof(a), NULL, "019a1b2c-3d4e-7f60-8a1b-2c3d4e5f6a7b");
	web_case_ref(b, sizeof(b), NULL, "019a1b2c-3d4e-7f60-8a1b-2c3d4e5f6a7b");
	web_case_ref(c, sizeof(c), NULL, "019a1b2c-3d4e-7f60-8a1b-2c3d4e5f6a7c");
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), strlen("Case ") + 5);
	assert_int_equal(strncmp(a, "Case ", 5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_web__h_esc_escapes_the_five_characters),
		cmocka_unit_test(test_web__h_printf_escapes_every_string_argument),
		cmocka_unit_test(test_web__the_page_says_its_language_and_escapes_its_title),
		cmocka_unit_test(test_web__dates_are_typed_in_both_forms),
		cmocka_unit_test(test_web__dates_and_times_are_shown_the_dutch_way),
		cmocka_unit_test(test_web__the_dutch_catalog_names_roles_statuses_and_themes),
		cmocka_unit_test(test_web__a_case_reference_is_short_and_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
