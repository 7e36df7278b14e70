/*
 * test_recipients.c - the one recipient rule (sync/recipients.h) that the
 * exporter addresses bundles by and the audit judges flows by: table-driven
 * with numbered rows, over a -1 covenant (auditor scope content), a -3
 * covenant with an auditor scope and marked fields, and the audit's view of
 * a header (case roles not known, markings as categories).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "node/vocab.h"
#include "sync/payload.h"
#include "sync/recipients.h"
#include "sync/registry.h"

#define ANY VIOS_ROLES_ANY
#define T VIOS_CAT_BIT_THEME
#define C VIOS_CAT_BIT_CASE
#define A9 VIOS_CAT_BIT_ART9
#define A10 VIOS_CAT_BIT_ART10
#define POL (1u << VIOS_ROLE_IDX_POLICE)
#define SOC (1u << VIOS_ROLE_IDX_SOCIAL_TEAM)
#define YW (1u << VIOS_ROLE_IDX_YOUTH_WORK)

typedef struct {
	int id;
	const char *sender, *kind, *role;
	unsigned cats;
	uint32_t case_roles, marked;
	int table, want;
	const char *why;
} row;

static void run_rows(const vios_covenant *cov, const row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		vios_recipient_q q = { cov, rows[i].sender, rows[i].kind, rows[i].role, rows[i].cats,
				       rows[i].case_roles, rows[i].marked, rows[i].table };
		char why[300] = "";
		int got = vios_recipient_rule(why, sizeof(why), &q);
		if (got != rows[i].want || (rows[i].why && !strstr(why, rows[i].why)))
			fail_msg("row %d: got %d (%s)", rows[i].id, got, why);
		if (!got && !strstr(why, "covenant v") && !strstr(why, "receives no") && !strstr(why, "owner") &&
		    !strstr(why, "no part"))
			fail_msg("row %d: the reason names neither the covenant version nor the rule: %s", rows[i].id, why);
	}
}

static void test_rule__v1_covenant_as_the_audit_sees_headers(void **state)
{
	static const row rows[] = {
		{ 1, "school", "auditor", "auditor", T | C, ANY, ANY, -1, 1, NULL },
		{ 2, "school", "partner", "police", C, ANY, ANY, -1, 1, NULL },
		{ 3, "school", "partner", "police", T, ANY, ANY, -1, 1, NULL },
		{ 4, "school", "hub", "hub", T, ANY, ANY, -1, 1, NULL },
		{ 5, "school", "hub", "hub", C, ANY, ANY, -1, 0, "no role for case data" },
		{ 6, "school", "hub", "hub", T | C, ANY, ANY, -1, 0, "no role for case data" },
		{ 7, "school", "school", "school", T, ANY, ANY, -1, 0, "another school's theme data" },
		{ 8, "school", "school", "school", C, ANY, ANY, -1, 0, "only as the record's owner" },
		{ 9, "partner", "school", "school", C, ANY, ANY, -1, 1, NULL },
		{ 10, "partner", "school", "school", T, ANY, ANY, -1, 1, NULL },
		{ 11, "school", "partner", "police", C, ANY, ANY, 0, 0, "sender's table" },
		{ 12, "school", "partner", "police", C, ANY, ANY, 1, 1, NULL },
		{ 13, "school", "partner", "social-team", C, ANY, ANY, -1, 0, "role social-team receive case" },
		{ 14, "school", "partner", "social-team", T, ANY, ANY, -1, 1, NULL },
		{ 15, "school", "partner", "social-team", T | C, ANY, ANY, -1, 0, "role social-team receive case" },
		{ 16, "school", "partner", "nobody", T, ANY, ANY, -1, 0, "receives no data" },
		/* the exporter's view: it knows the case's roles */
		{ 17, "school", "partner", "police", C, SOC, ANY, -1, 0, "takes no part in the case" },
		{ 18, "school", "partner", "police", C, POL | SOC, ANY, -1, 1, NULL },
		{ 19, "partner", "school", "school", C, POL, ANY, -1, 0, "only as the record's owner" },
	};
	vios_covenant cov;
	/* the default, minus the social team for case data */
	const char *text = "{\"format\": \"vios-covenant-1\", \"version\": 3, \"parties\": [\"school\", \"police\", \"social-team\"],"
			   " \"receives\": {\"theme\": [\"hub\", \"auditor\", \"police\", \"social-team\"],"
			   " \"case\": [\"auditor\", \"police\"]}, \"hub_role\": null,"
			   " \"retention_months\": {\"theme\": 60, \"case\": 24}}";
	(void)state;
	assert_int_equal(vios_covenant_parse(&cov, text, strlen(text)), 0);
	assert_int_equal(cov.auditor_scope, VIOS_AUDITOR_CONTENT);
	run_rows(&cov, rows, sizeof(rows) / sizeof(rows[0]));
	vios_covenant_dispose(&cov);
}

static void test_rule__hub_role_gives_the_hub_case_data_of_that_role(void **state)
{
	static const row rows[] = {
		{ 1, "school", "hub", "hub", C, ANY, ANY, -1, 1, NULL },
		{ 2, "school", "hub", "hub", C, POL, ANY, -1, 0, "(the hub's role) takes no part" },
		{ 3, "school", "hub", "hub", C, 1u << VIOS_ROLE_IDX_MUNICIPALITY, ANY, -1, 1, NULL },
	};
	vios_covenant cov;
	const char *text = "{\"format\": \"vios-covenant-1\", \"version\": 4, \"parties\": [\"school\", \"municipality\"],"
			   " \"receives\": {\"theme\": [\"hub\", \"auditor\"], \"case\": [\"auditor\", \"municipality\"]},"
			   " \"hub_role\": \"municipality\", \"retention_months\": {\"theme\": 60, \"case\": 24}}";
	(void)state;
	assert_int_equal(vios_covenant_parse(&cov, text, strlen(text)), 0);
	run_rows(&cov, rows, sizeof(rows) / sizeof(rows[0]));
	vios_covenant_dispose(&cov);
}

/* The default covenant: auditor scope headers, police_info art. 10 to the
 * police, care_info art. 9 to the social team and youth protection. */
static void test_rule__default_covenant_scope_and_markings(void **state)
{
	vios_covenant cov;
	const char *d = vios_covenant_default();
	const vios_covenant_field *pf, *cf;
	(void)state;
	assert_int_equal(vios_covenant_parse(&cov, d, strlen(d)), 0);
	assert_int_equal(cov.auditor_scope, VIOS_AUDITOR_HEADERS);
	pf = vios_covenant_field_find(&cov, "case_file", "police_info");
	cf = vios_covenant_field_find(&cov, "case_file", "care_info");
	assert_non_null(pf);
	assert_non_null(cf);
	assert_null(vios_covenant_field_find(&cov, "case_file", "status"));
	assert_int_equal(vios_recipient_mark_bit(pf), A10);
	assert_int_equal(vios_recipient_mark_bit(cf), A9);
	{
		const row rows[] = {
			/* the auditor with scope headers receives nothing */
			{ 1, "school", "auditor", "auditor", T, ANY, ANY, -1, 0, "scope headers" },
			{ 2, "school", "auditor", "auditor", C, ANY, ANY, -1, 0, "scope headers" },
			/* a marked field: the police note to the police only, in a case of three roles */
			{ 3, "school", "partner", "police", C | A10, POL | SOC | YW, pf->receives, -1, 1, NULL },
			{ 4, "school", "partner", "social-team", C | A10, POL | SOC | YW, pf->receives, -1, 0, "marked (GDPR art. 10)" },
			{ 5, "school", "partner", "youth-work", C | A10, POL | SOC | YW, pf->receives, -1, 0, "art. 10" },
			{ 6, "school", "partner", "social-team", C | A9, POL | SOC | YW, cf->receives, -1, 1, NULL },
			{ 7, "school", "partner", "police", C | A9, POL | SOC | YW, cf->receives, -1, 0, "art. 9" },
			/* the rest of the case to every role in it */
			{ 8, "school", "partner", "youth-work", C, POL | SOC | YW, ANY, -1, 1, NULL },
			/* the audit's view of a header with both markings: only a role listed for both */
			{ 9, "school", "partner", "police", C | A9 | A10, ANY, vios_recipient_marked_roles(&cov, A9 | A10), -1, 0, "art. 9 and 10" },
			{ 10, "school", "partner", "police", C | A10, ANY, vios_recipient_marked_roles(&cov, A10), -1, 1, NULL },
			{ 11, "school", "partner", "youth-work", C | A10, ANY, vios_recipient_marked_roles(&cov, A10), -1, 0, "art. 10" },
			/* the hub's steering and evaluation meetings (theme data, no case) reach every
			 * school, though the default lets no school receive another school's theme data */
			{ 12, "hub", "school", "school", T, 0, ANY, -1, 1, NULL },
			{ 13, "school", "school", "school", T, 0, ANY, -1, 0, "another school's theme data" },
			{ 14, "hub", "school", "school", C, 0, ANY, -1, 0, "only as the record's owner" },
			/* ... and a partner as its role receives theme data */
			{ 15, "hub", "partner", "police", T, 0, ANY, -1, 1, NULL },
		};
		run_rows(&cov, rows, sizeof(rows) / sizeof(rows[0]));
	}
	assert_int_equal(vios_recipient_marked_roles(&cov, 0), ANY);
	assert_int_equal(vios_recipient_marked_roles(&cov, A10), pf->receives);
	vios_covenant_dispose(&cov);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule__v1_covenant_as_the_audit_sees_headers),
		cmocka_unit_test(test_rule__hub_role_gives_the_hub_case_data_of_that_role),
		cmocka_unit_test(test_rule__default_covenant_scope_and_markings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
