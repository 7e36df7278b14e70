/*
 * test_records.c - the records' edits, a case's roles and lead, and the
 * signal and case views (src/store/records.c): an edit writes only the
 * columns given, a bad value or a column that never changes leaves the
 * store as it was (same state digest, same access log length), role lists
 * are stored in role order, the lead stays among the roles, and case show
 * gathers what belongs to the case. A case's marked fields (police_info,
 * care_info) are set, cleared with an empty value, shown, and written only
 * by the case's owner. Data quality (issue 16): over16 follows the birth
 * date, a signal about a pupil and a case record basis and parents
 * informed, and dates of what happened are not in the future.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdt/crdt.h"
#include "store/records.h"
#include "store/store.h"
#include "util/error.h"
#include "util/util.h"

#include <time.h>

#include "fixture.h"

typedef struct {
	fx_world w;
	fx_node school;
	char pupil[37], signal[37], signal2[37], kase[37], meeting[37], agreement[37], agreement2[37];
} world;

static int setup(void **state)
{
	world *x = calloc(1, sizeof(*x));
	vios_store *st;

	assert_non_null(x);
	FX_OK(fx_world_make(&x->w, "vios-records"));
	FX_OK(fx_node_make(&x->school, &x->w, "school", "school", NULL));
	st = x->school.st;
	{
		vios_field f[] = { { "name", "Anna" }, { "class", "2B" }, { "birth_date", "2011-03-04" } };
		fx_add(x->pupil, st, "pupil", f, 3);
	}
	{
		vios_field f[] = { { "theme", "weapons" }, { "note", "knife" }, { "pupil_id", x->pupil },
				   { "seen_at", "2026-11-03" }, { "parents_informed", "1" }, { "basis", "public-task" } };
		fx_add(x->signal, st, "signal", f, 6);
	}
	{
		vios_field f[] = { { "theme", "nuisance" }, { "note", "groups at the gate" } };
		fx_add(x->signal2, st, "signal", f, 2);
	}
	{
		vios_field f[] = { { "pupil_id", x->pupil }, { "signals", x->signal },
				   { "roles", "social-team,police" }, { "lead_role", "police" }, { "basis", "public-task" } };
		fx_add(x->kase, st, "case_file", f, 5);
	}
	{
		vios_field f[] = { { "kind", "case" }, { "date", "2026-11-05" }, { "case_id", x->kase } };
		fx_add(x->meeting, st, "meeting", f, 3);
	}
	{
		vios_field f[] = { { "case_id", x->kase }, { "owner_role", "police" }, { "action", "talk" },
				   { "due_date", "2026-12-01" } };
		fx_add(x->agreement, st, "agreement", f, 4);
	}
	{
		vios_field f[] = { { "meeting_id", x->meeting }, { "owner_role", "school" }, { "action", "lesson" },
				   { "due_date", "2026-12-02" } };
		fx_add(x->agreement2, st, "agreement", f, 4);
	}
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	world *x = *state;

	fx_node_dispose(&x->school);
	fx_world_dispose(&x->w);
	free(x);
	return 0;
}

/* The row as JSON (a new reference). */
static json_t *row(vios_store *st, const char *table, const char *id)
{
	char zSql[96];
	const char *p[] = { id };
	json_t *rows = NULL, *r;

	snprintf(zSql, sizeof(zSql), "SELECT * FROM %s WHERE id = ?", table);
	FX_OK(vios_query(&rows, st, zSql, p, 1));
	assert_int_equal(json_array_size(rows), 1);
	r = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return r;
}

static long long log_length(vios_store *st)
{
	long long n = 0;

	FX_OK(vios_store_row_count(&n, st, "access_log"));
	return n;
}

static void test_record_edit__changes_only_the_given_columns(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	/* born 2008: 16 or older, so over16 follows the birth date to 1 */
	vios_field f[] = { { "class", "3C" }, { "birth_date", "2008-01-01" } };
	json_t *before = row(st, "pupil", x->pupil), *after, *changed = NULL;
	const char *k;
	json_t *v;
	long long n0 = log_length(st);

	FX_OK(vios_record_edit(&changed, st, "pupil", x->pupil, f, 2));
	assert_int_equal(json_array_size(changed), 3);
	assert_string_equal(json_string_value(json_array_get(changed, 0)), "birth_date");
	assert_string_equal(json_string_value(json_array_get(changed, 1)), "class");
	assert_string_equal(json_string_value(json_array_get(changed, 2)), "over16");
	json_decref(changed);
	after = row(st, "pupil", x->pupil);
	json_object_foreach(after, k, v) {
		if (!strcmp(k, "class"))
			assert_string_equal(json_string_value(v), "3C");
		else if (!strcmp(k, "birth_date"))
			assert_string_equal(json_string_value(v), "2008-01-01");
		else if (!strcmp(k, "over16"))
			assert_int_equal(json_integer_value(v), 1);
		else if (!json_equal(v, json_object_get(before, k)))
			fail_msg("column %s changed", k);
	}
	json_decref(before);
	json_decref(after);
	/* one access log entry, an update naming the columns, not the values */
	assert_int_equal(log_length(st), n0 + 1);
	{
		const char *p[] = { "1" };
		json_t *last = NULL;
		FX_OK(vios_records_list(&last, st, VIOS_LIST_ACCESS_LOG, p, 1));
		assert_string_equal(json_string_value(json_object_get(json_array_get(last, 0), "action")), "update");
		assert_string_equal(json_string_value(json_object_get(json_array_get(last, 0), "why")),
				    "edit: birth_date,class,over16");
		json_decref(last);
	}
}

static void test_record_edit__same_value_writes_nothing(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	vios_field f[] = { { "name", "Anna" } };
	json_t *changed = NULL;
	char d0[65], d1[65];

	FX_OK(vios_crdt_digest(d0, st, NULL));
	FX_OK(vios_record_edit(&changed, st, "pupil", x->pupil, f, 1));
	assert_int_equal(json_array_size(changed), 0);
	json_decref(changed);
	FX_OK(vios_crdt_digest(d1, st, NULL));
	assert_string_equal(d0, d1);
}

static void test_record_edit__bad_input_changes_nothing(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	static const char nowhere[] = "01234567-89ab-7def-8123-456789abcdef";
	fx_snapshot s;
	json_t *changed = (json_t *)1;

	fx_snap(&s, st);
	{ /* a bad value next to a good one: neither is written */
		vios_field f[] = { { "class", "4A" }, { "birth_date", "2011-02-30" } };
		assert_int_equal(vios_record_edit(&changed, st, "pupil", x->pupil, f, 2), VIOS_EUSAGE);
		assert_null(changed);
		assert_non_null(strstr(vios_error_last(), "--birth"));
	}
	{
		vios_field f[] = { { "name", "" } };
		assert_int_equal(vios_record_edit(NULL, st, "pupil", x->pupil, f, 1), VIOS_EUSAGE);
	}
	assert_int_equal(vios_record_edit(NULL, st, "pupil", x->pupil, NULL, 0), VIOS_EUSAGE);
	{
		vios_field f[] = { { "class", "4A" }, { "class", "4B" } };
		assert_int_equal(vios_record_edit(NULL, st, "pupil", x->pupil, f, 2), VIOS_EUSAGE);
	}
	{
		vios_field f[] = { { "origin", "someone" } };
		assert_int_equal(vios_record_edit(NULL, st, "pupil", x->pupil, f, 1), VIOS_EUSAGE);
	}
	{
		vios_field f[] = { { "class", "4A" } };
		assert_int_equal(vios_record_edit(NULL, st, "pupil", nowhere, f, 1), VIOS_ENOTFOUND);
		assert_int_equal(vios_record_edit(NULL, st, "pupil", "42", f, 1), VIOS_EUSAGE);
	}
	{ /* a reference to a record not held */
		vios_field f[] = { { "pupil_id", nowhere } };
		assert_int_equal(vios_record_edit(NULL, st, "signal", x->signal2, f, 1), VIOS_ENOTFOUND);
	}
	{ /* the rules between columns, on the row as the edit would leave it */
		vios_field f[] = { { "parents_informed", "0" } };
		assert_int_equal(vios_record_edit(NULL, st, "signal", x->signal, f, 1), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--not-informed-reason"));
	}
	{
		vios_field f[] = { { "meeting_id", x->meeting } };
		assert_int_equal(vios_record_edit(NULL, st, "agreement", x->agreement, f, 1), VIOS_EUSAGE);
	}
	{ /* columns that never change */
		vios_field f[] = { { "case_id", x->kase } };
		assert_int_equal(vios_record_edit(NULL, st, "agreement", x->agreement2, f, 1), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--case cannot change"));
	}
	{
		vios_field f[] = { { "pupil_id", x->pupil } };
		assert_int_equal(vios_record_edit(NULL, st, "case_file", x->kase, f, 1), VIOS_EUSAGE);
	}
	fx_assert_unchanged(&s, st);

	{ /* and the good ones go through */
		vios_field f[] = { { "parents_informed", "0" }, { "not_informed_reason", "safety" } };
		FX_OK(vios_record_edit(NULL, st, "signal", x->signal, f, 2));
	}
	{
		vios_field f[] = { { "meeting_id", x->meeting }, { "owner_role", "youth-work" } };
		vios_field g[] = { { "owner_role", "social-team" }, { "due_date", "2027-01-15" } };
		FX_OK(vios_record_edit(NULL, st, "agreement", x->agreement2, f, 2));
		FX_OK(vios_record_edit(NULL, st, "agreement", x->agreement, g, 2));
	}
}

/* A capture whose commit refuses, as the mandate's does: the edit returns
 * that error and its message unchanged and nothing is written. */
static int refuse_begin(void *ctx, vios_store *st)
{
	(void)ctx;
	(void)st;
	return 0;
}
static int refuse_commit(void *ctx, vios_store *st)
{
	(void)ctx;
	(void)st;
	vios_error_set(VIOS_ERR_INPUT, "mandate: refused by the test hook");
	return VIOS_EDENIED;
}
static void refuse_abort(void *ctx, vios_store *st)
{
	(void)ctx;
	(void)st;
}
static const vios_store_capture_hooks refusing = { refuse_begin, refuse_commit, refuse_abort, NULL };

static void test_record_edit__commit_hook_error_comes_back_unchanged(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	vios_field f[] = { { "class", "5Z" } };
	json_t *r;
	char roles[64];

	/* the store is opened once (exclusively): swap its capture for the
	 * refusing one, and reopen it with the crdt's afterwards */
	FX_OK(vios_store_set_capture(st, &refusing, NULL));
	assert_int_equal(vios_record_edit(NULL, st, "pupil", x->pupil, f, 1), VIOS_EDENIED);
	assert_string_equal(vios_error_last(), "mandate: refused by the test hook");
	assert_int_equal(vios_case_roles(roles, sizeof(roles), st, x->kase, "attendance", NULL), VIOS_EDENIED);
	assert_int_equal(vios_case_lead(st, x->kase, "social-team"), VIOS_EDENIED);
	assert_string_equal(vios_error_last(), "mandate: refused by the test hook");
	vios_store_free(st);
	x->school.st = NULL;
	FX_OK(fx_store_open(&x->school.st, x->school.node));
	r = row(x->school.st, "pupil", x->pupil);
	assert_string_equal(json_string_value(json_object_get(r, "class")), "2B");
	json_decref(r);
	r = row(x->school.st, "case_file", x->kase);
	assert_string_equal(json_string_value(json_object_get(r, "roles")), "police,social-team");
	assert_string_equal(json_string_value(json_object_get(r, "lead_role")), "police");
	json_decref(r);
}

static const char *roles_of(vios_store *st, const char *id, char *buf, size_t len)
{
	json_t *r = row(st, "case_file", id);

	snprintf(buf, len, "%s", json_string_value(json_object_get(r, "roles")));
	json_decref(r);
	return buf;
}

static void test_case_roles__stored_in_role_order(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char out[256], got[256];

	/* case open stored "social-team,police" in role order */
	assert_string_equal(roles_of(st, x->kase, got, sizeof(got)), "police,social-team");
	FX_OK(vios_case_roles(out, sizeof(out), st, x->kase, "municipality,attendance,police", NULL));
	assert_string_equal(out, "police,social-team,attendance,municipality");
	assert_string_equal(roles_of(st, x->kase, got, sizeof(got)), out);
	FX_OK(vios_case_roles(out, sizeof(out), st, x->kase, "school,youth-work", "municipality,attendance"));
	assert_string_equal(out, "school,police,social-team,youth-work");
	assert_string_equal(roles_of(st, x->kase, got, sizeof(got)), out);
}

static void test_case_roles__refusals_change_nothing(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char out[256], got[256];
	fx_snapshot s;

	FX_OK(vios_case_roles(out, sizeof(out), st, x->kase, "school", NULL));
	fx_snap(&s, st);
	/* the lead cannot leave while it leads */
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->kase, NULL, "police"), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "police leads the case"));
	/* the school never leaves */
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->kase, NULL, "school"), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "school role cannot be removed"));
	{
		vios_field f[] = { { "roles", "police,social-team" } };
		assert_int_equal(vios_record_edit(NULL, st, "case_file", x->kase, f, 1), VIOS_EUSAGE);
	}
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->kase, NULL, "attendance"), VIOS_EUSAGE);
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->kase, "bakers", NULL), VIOS_EUSAGE);
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->kase, "hub", NULL), VIOS_EUSAGE);
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->kase, "police", "police"), VIOS_EUSAGE);
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->kase, NULL, NULL), VIOS_EUSAGE);
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->signal, "police", NULL), VIOS_ENOTFOUND);
	fx_assert_unchanged(&s, st);
	assert_string_equal(roles_of(st, x->kase, got, sizeof(got)), "school,police,social-team");
}

static void test_case_lead__must_take_part(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char out[256];
	fx_snapshot s;
	json_t *r;

	fx_snap(&s, st);
	assert_int_equal(vios_case_lead(st, x->kase, "municipality"), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "municipality does not take part"));
	assert_int_equal(vios_case_lead(st, x->kase, "janitor"), VIOS_EUSAGE);
	assert_int_equal(vios_case_lead(st, x->kase, "hub"), VIOS_EUSAGE);
	fx_assert_unchanged(&s, st);

	FX_OK(vios_case_lead(st, x->kase, "social-team"));
	r = row(st, "case_file", x->kase);
	assert_string_equal(json_string_value(json_object_get(r, "lead_role")), "social-team");
	json_decref(r);
	/* police no longer leads, so it may leave; then social-team may not */
	FX_OK(vios_case_roles(out, sizeof(out), st, x->kase, NULL, "police"));
	assert_string_equal(out, "social-team");
	assert_int_equal(vios_case_roles(out, sizeof(out), st, x->kase, NULL, "social-team"), VIOS_EUSAGE);
	/* the school owns the case: it may lead without being listed */
	FX_OK(vios_case_lead(st, x->kase, "school"));
	FX_OK(vios_case_roles(out, sizeof(out), st, x->kase, NULL, "social-team"));
	assert_string_equal(out, "");
	/* and case open keeps the same rule */
	{
		vios_field f[] = { { "pupil_id", x->pupil }, { "roles", "police" }, { "lead_role", "attendance" },
				   { "basis", "public-task" }, { "parents_informed", "1" } };
		char id[37];
		assert_int_equal(vios_record_add(id, st, "case_file", f, 5), VIOS_EUSAGE);
	}
}

static void test_case_statuses__from_the_vocabulary(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;

	assert_string_equal(vios_case_next_statuses("reported"), "discussed,closed,escalated");
	assert_string_equal(vios_case_next_statuses("monitoring"), "in-progress,closed,escalated");
	assert_string_equal(vios_case_next_statuses("closed"), "");
	assert_string_equal(vios_case_next_statuses("escalated"), "");
	assert_string_equal(vios_case_next_statuses("nonsense"), "");
	for (int i = 0; i < VIOS_CASE_STATUS_COUNT; i++)
		assert_int_equal(*vios_case_next_statuses(vios_case_status_name(i)) == 0,
				 vios_case_status_final(vios_case_status_name(i)));
	/* Veilig Thuis after the meldcode's decision to report (test_meldcode has the rule) */
	assert_int_equal(vios_case_set_status(st, x->kase, "escalated", "veilig-thuis"), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "step 5"));
	for (int step = 1; step <= 4; step++)
		FX_OK(vios_case_meldcode(st, x->kase, step, "2026-01-05", NULL, NULL));
	FX_OK(vios_case_meldcode(st, x->kase, 5, "2026-01-06", NULL, "report"));
	FX_OK(vios_case_set_status(st, x->kase, "escalated", "veilig-thuis"));
	assert_int_equal(vios_case_set_status(st, x->kase, "monitoring", NULL), VIOS_EUSAGE);
	assert_int_equal(vios_case_set_status(st, x->kase, "finished", NULL), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "reported, discussed, in-progress, monitoring, closed, escalated"));
}

static void test_case_show__gathers_the_case(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	json_t *doc = NULL, *a;
	long long n0 = log_length(st);

	FX_OK(vios_case_show(&doc, st, x->kase));
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "case"), "id")), x->kase);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "pupil"), "name")), "Anna");
	assert_int_equal(json_array_size(json_object_get(doc, "signals")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "signals"), 0), "id")),
			    x->signal);
	assert_int_equal(json_array_size(json_object_get(doc, "meetings")), 1);
	/* made in the case, and at its meeting, by due date */
	a = json_object_get(doc, "agreements");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "id")), x->agreement);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "id")), x->agreement2);
	json_decref(doc);
	assert_int_equal(log_length(st), n0 + 1);

	assert_int_equal(vios_case_show(&doc, st, "01234567-89ab-7def-8123-456789abcdef"), VIOS_ENOTFOUND);
	assert_null(doc);
	assert_int_equal(vios_case_show(&doc, st, x->pupil), VIOS_ENOTFOUND);
	assert_int_equal(vios_case_show(&doc, st, "x"), VIOS_EUSAGE);
}

/* The case's marked field col as stored: NULL when none. */
static char *marked(vios_store *st, const char *id, const char *col)
{
	json_t *r = row(st, "case_file", id);
	const char *v = json_string_value(json_object_get(r, col));
	char *out = v ? strdup(v) : NULL;

	assert_true(json_is_null(json_object_get(r, col)) || v != NULL);
	json_decref(r);
	return out;
}

static void assert_marked(vios_store *st, const char *id, const char *col, const char *want)
{
	char *got = marked(st, id, col);

	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	free(got);
}

/* The last access log entry's action and why. */
static void assert_last_log(vios_store *st, const char *action, const char *why)
{
	const char *p[] = { "1" };
	json_t *last = NULL;

	FX_OK(vios_records_list(&last, st, VIOS_LIST_ACCESS_LOG, p, 1));
	assert_string_equal(json_string_value(json_object_get(json_array_get(last, 0), "action")), action);
	assert_string_equal(json_string_value(json_object_get(json_array_get(last, 0), "why")), why);
	json_decref(last);
}

static void test_case_marked__set_at_open_then_set_and_cleared(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	json_t *changed = NULL;
	char id[37];
	long long n0;

	{ /* at open: given, and given empty (nothing stored) */
		vios_field f[] = { { "pupil_id", x->pupil }, { "roles", "police,social-team" },
				   { "police_info", "arrested for theft" }, { "care_info", "" }, { "basis", "public-task" }, { "parents_informed", "1" } };
		fx_add(id, st, "case_file", f, 6);
	}
	assert_marked(st, id, "police_info", "arrested for theft");
	assert_marked(st, id, "care_info", NULL);
	assert_marked(st, x->kase, "police_info", NULL); /* a case opened without them */
	assert_marked(st, x->kase, "care_info", NULL);

	n0 = log_length(st);
	{ /* set one, keep the other */
		vios_field f[] = { { "care_info", "self-harm risk\nsee the GP's letter" } };
		FX_OK(vios_record_edit(&changed, st, "case_file", id, f, 1));
	}
	assert_int_equal(json_array_size(changed), 1);
	assert_string_equal(json_string_value(json_array_get(changed, 0)), "care_info");
	json_decref(changed);
	assert_marked(st, id, "police_info", "arrested for theft");
	assert_marked(st, id, "care_info", "self-harm risk\nsee the GP's letter");
	/* logged as an update naming the column, never the value */
	assert_int_equal(log_length(st), n0 + 1);
	assert_last_log(st, "update", "edit: care_info");

	{ /* clear one with an empty value, change the other */
		vios_field f[] = { { "police_info", "" }, { "care_info", "self-harm risk" } };
		FX_OK(vios_record_edit(&changed, st, "case_file", id, f, 2));
	}
	assert_int_equal(json_array_size(changed), 2);
	assert_string_equal(json_string_value(json_array_get(changed, 0)), "police_info");
	assert_string_equal(json_string_value(json_array_get(changed, 1)), "care_info");
	json_decref(changed);
	assert_marked(st, id, "police_info", NULL);
	assert_marked(st, id, "care_info", "self-harm risk");
	assert_last_log(st, "update", "edit: police_info,care_info");

	{ /* clearing what is already clear writes nothing */
		char d0[65], d1[65];
		vios_field f[] = { { "police_info", "" } };
		FX_OK(vios_crdt_digest(d0, st, NULL));
		FX_OK(vios_record_edit(&changed, st, "case_file", id, f, 1));
		assert_int_equal(json_array_size(changed), 0);
		json_decref(changed);
		FX_OK(vios_crdt_digest(d1, st, NULL));
		assert_string_equal(d0, d1);
	}
}

static void test_case_marked__bad_text_changes_nothing(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char *long_text = malloc(5000);
	fx_snapshot s;

	assert_non_null(long_text);
	memset(long_text, 'x', 4999);
	long_text[4999] = 0;
	{
		vios_field f[] = { { "police_info", "known to the police" } };
		FX_OK(vios_record_edit(NULL, st, "case_file", x->kase, f, 1));
	}
	fx_snap(&s, st);
	{
		vios_field f[] = { { "police_info", long_text } };
		assert_int_equal(vios_record_edit(NULL, st, "case_file", x->kase, f, 1), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--police-info"));
	}
	{ /* a bad value next to a good one: neither is written */
		vios_field f[] = { { "police_info", "" }, { "care_info", "bell\a" } };
		assert_int_equal(vios_record_edit(NULL, st, "case_file", x->kase, f, 2), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--care-info"));
	}
	fx_assert_unchanged(&s, st);
	assert_marked(st, x->kase, "police_info", "known to the police");
	free(long_text);
}

/*
 * Only the owner writes them: a police node that holds the school's case
 * (its ops applied, as a sync would) is refused by the mandate at commit,
 * for setting and for clearing, and its store stays as it was. Writing the
 * value the row holds already is no change, so it is not refused.
 */
static void test_case_marked__only_the_owner_writes_them(void **state)
{
	world *x = *state;
	fx_node police;
	vios_crdt_pending_op *v = NULL;
	vios_crdt_op *ops;
	vios_crdt_report rep;
	size_t n = 0;
	fx_snapshot s;

	{
		vios_field f[] = { { "police_info", "arrested for theft" }, { "care_info", "self-harm risk" } };
		FX_OK(vios_record_edit(NULL, x->school.st, "case_file", x->kase, f, 2));
	}
	FX_OK(fx_node_make(&police, &x->w, "police", "partner", "police"));
	FX_OK(vios_crdt_pending(&v, &n, x->school.st, 0, 0, 0));
	ops = calloc(n ? n : 1, sizeof(*ops));
	assert_non_null(ops);
	for (size_t i = 0; i < n; i++)
		ops[i] = v[i].op; /* borrowed: freed with v */
	FX_OK(vios_crdt_apply(&rep, police.st, ops, n, x->school.node->node_id));
	free(ops);
	vios_crdt_pending_free(v, n);
	assert_marked(police.st, x->kase, "police_info", "arrested for theft");

	fx_snap(&s, police.st);
	{
		vios_field f[] = { { "police_info", "released, no charges" } };
		assert_int_equal(vios_record_edit(NULL, police.st, "case_file", x->kase, f, 1), VIOS_EDENIED);
		assert_non_null(strstr(vios_error_last(), "mandate: "));
		assert_non_null(strstr(vios_error_last(), "police_info"));
	}
	{
		vios_field f[] = { { "care_info", "" } };
		assert_int_equal(vios_record_edit(NULL, police.st, "case_file", x->kase, f, 1), VIOS_EDENIED);
		assert_non_null(strstr(vios_error_last(), "care_info"));
	}
	fx_assert_unchanged(&s, police.st);
	/* writing the value it holds changes nothing: no write, no refusal
	 * (the edit is logged, as every edit is) */
	{
		vios_field f[] = { { "police_info", "arrested for theft" } };
		FX_OK(vios_record_edit(NULL, police.st, "case_file", x->kase, f, 1));
		s.log++;
	}
	fx_assert_unchanged(&s, police.st);
	assert_marked(police.st, x->kase, "police_info", "arrested for theft");
	assert_marked(police.st, x->kase, "care_info", "self-harm risk");
	/* the owner still may */
	{
		vios_field f[] = { { "police_info", "released, no charges" } };
		FX_OK(vios_record_edit(NULL, x->school.st, "case_file", x->kase, f, 1));
	}
	assert_marked(x->school.st, x->kase, "police_info", "released, no charges");
	fx_node_dispose(&police);
}

static void test_case_marked__case_show_gives_them(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	json_t *doc = NULL, *c;

	FX_OK(vios_case_show(&doc, st, x->kase));
	c = json_object_get(doc, "case");
	/* present, null, before any is written */
	assert_non_null(json_object_get(c, "police_info"));
	assert_true(json_is_null(json_object_get(c, "police_info")));
	assert_true(json_is_null(json_object_get(c, "care_info")));
	json_decref(doc);
	{
		vios_field f[] = { { "police_info", "arrested for theft" }, { "care_info", "self-harm risk" } };
		FX_OK(vios_record_edit(NULL, st, "case_file", x->kase, f, 2));
	}
	FX_OK(vios_case_show(&doc, st, x->kase));
	c = json_object_get(doc, "case");
	assert_string_equal(json_string_value(json_object_get(c, "police_info")), "arrested for theft");
	assert_string_equal(json_string_value(json_object_get(c, "care_info")), "self-harm risk");
	json_decref(doc);
	assert_last_log(st, "read", "show");
}

static void test_signal_show__pupil_and_cases(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	json_t *doc = NULL;

	FX_OK(vios_signal_show(&doc, st, x->signal));
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "signal"), "note")), "knife");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "pupil"), "name")), "Anna");
	assert_int_equal(json_array_size(json_object_get(doc, "cases")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "cases"), 0), "id")),
			    x->kase);
	json_decref(doc);
	FX_OK(vios_signal_show(&doc, st, x->signal2));
	assert_true(json_is_null(json_object_get(doc, "pupil")));
	assert_int_equal(json_array_size(json_object_get(doc, "cases")), 0);
	json_decref(doc);
	assert_int_equal(vios_signal_show(&doc, st, x->kase), VIOS_ENOTFOUND);
}

/* ---- data quality (issue 16) -------------------------------------------- */

/* The day `days` from today by the store's clock, YYYY-MM-DD. */
static void day_from_now(char out[16], int years, int days)
{
	time_t t = vios_now() + (time_t)days * 86400;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_year += years;
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static void test_data_quality__over16_follows_the_birth_date(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char b17[16], b12[16], older[37], id[37];
	json_t *doc = NULL, *rows = NULL, *r;
	fx_snapshot s0;
	size_t i;

	day_from_now(b17, -17, 0);
	day_from_now(b12, -12, 0);
	{
		vios_field f[] = { { "name", "Older" }, { "birth_date", b17 } };
		fx_add(older, st, "pupil", f, 2);
	}
	r = row(st, "pupil", older);
	assert_int_equal(json_integer_value(json_object_get(r, "over16")), 1); /* stored, so synced */
	json_decref(r);
	FX_OK(vios_pupil_show(&doc, st, older));
	assert_true(json_is_true(json_object_get(json_object_get(doc, "pupil"), "over16")));
	json_decref(doc);
	FX_OK(vios_records_list(&rows, st, VIOS_LIST_PUPILS, NULL, 0));
	json_array_foreach(rows, i, r)
		assert_true(json_is_true(json_object_get(r, "over16")) ==
			    !strcmp(json_string_value(json_object_get(r, "id")), older));
	json_decref(rows);
	/* never given by hand, in an add or an edit */
	fx_snap(&s0, st);
	{
		vios_field f[] = { { "name", "Flag" }, { "birth_date", b12 }, { "over16", "1" } };
		assert_int_equal(vios_record_add(id, st, "pupil", f, 3), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--birth"));
	}
	{
		vios_field f[] = { { "over16", "0" } };
		assert_int_equal(vios_record_edit(NULL, st, "pupil", older, f, 1), VIOS_EUSAGE);
	}
	fx_assert_unchanged(&s0, st);
	/* younger once the birth date says so */
	{
		vios_field f[] = { { "birth_date", b12 } };
		FX_OK(vios_record_edit(NULL, st, "pupil", older, f, 1));
	}
	r = row(st, "pupil", older);
	assert_int_equal(json_integer_value(json_object_get(r, "over16")), 0);
	json_decref(r);
	assert_int_equal(vios_pupil_over16(NULL), -1);
	assert_int_equal(vios_pupil_over16(b17), 1);
	assert_int_equal(vios_pupil_over16(b12), 0);
}

static void test_data_quality__a_signal_about_a_pupil_needs_basis_and_parents_informed(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char id[37];
	fx_snapshot s0;
	static const struct {
		int id;
		size_t n;
		vios_field f[6];
		const char *names;
	} rows[] = {
		{ 1, 4, { { "theme", "weapons" }, { "note", "n" }, { "pupil_id", NULL }, { "parents_informed", "1" } },
		  "--basis" },
		{ 2, 4, { { "theme", "weapons" }, { "note", "n" }, { "pupil_id", NULL }, { "basis", "consent" } },
		  "--parents-informed" },
		{ 3, 5, { { "theme", "weapons" }, { "note", "n" }, { "pupil_id", NULL }, { "basis", "consent" },
			  { "parents_informed", "0" } }, "--not-informed-reason" },
	};

	fx_snap(&s0, st);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		vios_field f[6];
		memcpy(f, rows[i].f, sizeof(f));
		f[2].val = x->pupil;
		if (vios_record_add(id, st, "signal", f, rows[i].n) != VIOS_EUSAGE ||
		    strstr(vios_error_last(), rows[i].names) == NULL)
			fail_msg("row %d: %s", rows[i].id, vios_error_last());
	}
	fx_assert_unchanged(&s0, st);
	{ /* thematic: neither */
		vios_field f[] = { { "theme", "nuisance" }, { "note", "noise" } };
		fx_add(id, st, "signal", f, 2);
	}
	{ /* giving it a pupil later asks for them too */
		vios_field f[] = { { "pupil_id", x->pupil } };
		assert_int_equal(vios_record_edit(NULL, st, "signal", id, f, 1), VIOS_EUSAGE);
	}
}

static void test_data_quality__a_case_takes_parents_informed_from_its_signals(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char no[37], kase[37], kase2[37];
	json_t *r;

	{
		vios_field f[] = { { "theme", "crime" }, { "note", "n" }, { "pupil_id", x->pupil }, { "basis", "wpg-20" },
				   { "parents_informed", "0" }, { "not_informed_reason", "safety of the pupil" } };
		fx_add(no, st, "signal", f, 6);
	}
	{ /* one signal: its value and its reason */
		vios_field f[] = { { "pupil_id", x->pupil }, { "signals", no }, { "basis", "wpg-20" } };
		fx_add(kase, st, "case_file", f, 3);
	}
	r = row(st, "case_file", kase);
	assert_int_equal(json_integer_value(json_object_get(r, "parents_informed")), 0);
	assert_string_equal(json_string_value(json_object_get(r, "not_informed_reason")), "safety of the pupil");
	json_decref(r);
	{ /* signals that disagree: the flag is asked for */
		char both[80];
		snprintf(both, sizeof(both), "%s,%s", x->signal, no);
		vios_field f[] = { { "pupil_id", x->pupil }, { "signals", both }, { "basis", "wpg-20" } };
		assert_int_equal(vios_record_add(kase2, st, "case_file", f, 3), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--parents-informed"));
	}
	{ /* no signals: asked for; a basis always */
		vios_field f[] = { { "pupil_id", x->pupil }, { "basis", "wpg-20" } };
		assert_int_equal(vios_record_add(kase2, st, "case_file", f, 2), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--parents-informed"));
	}
	{
		vios_field f[] = { { "pupil_id", x->pupil }, { "parents_informed", "1" } };
		assert_int_equal(vios_record_add(kase2, st, "case_file", f, 2), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--basis"));
	}
}

static void test_data_quality__dates_of_what_happened_are_not_in_the_future(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char tomorrow[16], later[16], id[37];
	fx_snapshot s0;

	day_from_now(tomorrow, 0, 1);
	day_from_now(later, 0, 2);
	fx_snap(&s0, st);
	{
		vios_field f[] = { { "theme", "weapons" }, { "note", "n" }, { "seen_at", later } };
		assert_int_equal(vios_record_add(id, st, "signal", f, 3), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--at"));
	}
	{
		vios_field f[] = { { "name", "Future" }, { "birth_date", later } };
		assert_int_equal(vios_record_add(id, st, "pupil", f, 2), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "in the future"));
	}
	{
		vios_field f[] = { { "seen_at", later } };
		assert_int_equal(vios_record_edit(NULL, st, "signal", x->signal2, f, 1), VIOS_EUSAGE);
	}
	fx_assert_unchanged(&s0, st);
	{ /* a day of slack; meetings and due dates lie ahead by nature */
		vios_field f[] = { { "theme", "weapons" }, { "note", "n" }, { "seen_at", tomorrow } };
		vios_field m[] = { { "kind", "thematic" }, { "date", later } };
		char mid[37];
		vios_field a[] = { { "meeting_id", mid }, { "owner_role", "school" }, { "action", "lesson" },
				   { "due_date", later } };
		fx_add(id, st, "signal", f, 3);
		fx_add(mid, st, "meeting", m, 2);
		fx_add(id, st, "agreement", a, 4);
	}
}

/*
 * The name guard (docs/name-guard.md) at the library: the pupil of the
 * setup is "Anna", class 2B; a second one has a full name and a local id.
 * Numbered texts, hit or not; then the writes it guards and those it does
 * not, and the switch.
 */
/* The local themes of a covenant this node approved, as sync/consent.c
 * would answer: one, lachgas. */
static int lachgas_themes(vios_theme_set *out, vios_store *st)
{
	(void)st;
	snprintf(out->local[0].name, sizeof(out->local[0].name), "lachgas");
	snprintf(out->local[0].nl, sizeof(out->local[0].nl), "Lachgas (N2O)");
	out->n = 1;
	return 0;
}

static void test_local_themes__a_local_write_takes_the_approved_covenants_themes(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char id[37], month[8];
	fx_snapshot before;
	json_t *r;
	time_t now = time(NULL);

	strftime(month, sizeof(month), "%Y-%m", localtime(&now));
	/* no covenant themes registered: the base list only, refused with it */
	fx_snap(&before, st);
	{
		vios_field f[] = { { "theme", "lachgas" }, { "note", "balloons at the gate" } };
		assert_int_equal(vios_record_add(id, st, "signal", f, 2), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "--theme: unknown theme 'lachgas' (themes: weapons,"));
		assert_null(strchr(vios_error_last(), '\n'));
	}
	fx_assert_unchanged(&before, st);
	/* the approved covenant adds lachgas: signals and trends take it */
	vios_store_set_themes(st, lachgas_themes);
	{
		vios_field f[] = { { "theme", "lachgas" }, { "note", "balloons at the gate" } };
		fx_add(id, st, "signal", f, 2);
		r = row(st, "signal", id);
		assert_string_equal(json_string_value(json_object_get(r, "theme")), "lachgas");
		json_decref(r);
	}
	{
		vios_field f[] = { { "theme", "lachgas" }, { "period", month }, { "level", "rising" } };
		fx_add(id, st, "trend", f, 3);
	}
	/* an unknown theme is refused naming the base and local themes, nothing written */
	fx_snap(&before, st);
	{
		vios_field f[] = { { "theme", "lachgaz" }, { "note", "n" } };
		assert_int_equal(vios_record_add(id, st, "signal", f, 2), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "unknown theme 'lachgaz' (themes: weapons, drugs-use"));
		assert_non_null(strstr(vios_error_last(), "crime, other, lachgas)"));
	}
	{
		vios_field f[] = { { "theme", "other" } };
		assert_int_equal(vios_record_edit(NULL, st, "signal", x->signal2, f, 1), 0);
		f[0].val = "Lachgas";
		assert_int_equal(vios_record_edit(NULL, st, "signal", x->signal2, f, 1), VIOS_EUSAGE);
	}
	fx_snap(&before, st);
	/* what other nodes send is checked for shape only (schema 0014, 0016) */
	assert_int_equal(fx_sql_merged(st, "INSERT INTO signal_count(id, origin, month, theme, signals) VALUES"
					   " ('c1', 'o', '2026-01', 'straatintimidatie', 1)"),
			 SQLITE_OK);
	assert_int_not_equal(fx_sql_merged(st, "INSERT INTO signal_count(id, origin, month, theme, signals) VALUES"
					       " ('c2', 'o', '2026-01', 'Bad Theme', 1)"),
			     SQLITE_OK);
	assert_int_not_equal(fx_sql_merged(st, "INSERT INTO signal(id, origin, theme) VALUES ('s9', 'o', '9lives')"),
			     SQLITE_OK);
	vios_store_set_themes(st, NULL);
}

static void test_name_guard__theme_text_naming_a_pupil_is_refused(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	static const struct {
		int id;
		const char *text, *who; /* who: NULL for no hit */
	} cases[] = {
		{ 1, "Bram van Dijk had a knife", "Bram van Dijk" },
		{ 2, "bram VAN dijk", "Bram van Dijk" },
		{ 3, "Bram (4A) again", "Bram van Dijk" },
		{ 4, "Dijk from 4 a", "Bram van Dijk" },
		{ 5, "id X-777 was seen", "Bram van Dijk" },
		{ 6, "B.v.D. of 4A", "Bram van Dijk" },
		{ 7, "Anna in 2B", "Anna" },
		{ 8, "Bram alone is a name, not a hit", NULL },
		{ 9, "4A had a lesson", NULL },
		{ 10, "van Dijk", NULL },
		{ 11, "knives near the station", NULL },
		{ 12, "", NULL },
		{ 13, "Bram van", NULL },
	};
	char who[128], id[37], month[8];
	time_t t = time(NULL);
	struct tm tm;

	{
		vios_field f[] = { { "name", "Bram van Dijk" }, { "class", "4A" }, { "local_id", "X-777" } };
		fx_add(id, st, "pupil", f, 3);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = vios_name_guard(who, sizeof(who), st, cases[i].text);
		if (rc != (cases[i].who != NULL) || (rc == 1 && strcmp(who, cases[i].who)))
			fail_msg("case %d: '%s' gives %d (%s)", cases[i].id, cases[i].text, rc, who);
	}
	localtime_r(&t, &tm);
	strftime(month, sizeof(month), "%Y-%m", &tm);
	{ /* guarded: a trend's note, thematic minutes, a signal about no pupil */
		vios_field tr[] = { { "theme", "weapons" }, { "period", month }, { "level", "rising" }, { "note", "Bram van Dijk" } };
		vios_field mt[] = { { "kind", "thematic" }, { "date", "2026-11-05" }, { "minutes", "Anna of 2B" } };
		vios_field sg[] = { { "theme", "weapons" }, { "note", "knife" }, { "source", "X-777" } };
		vios_field ed[] = { { "note", "Bram van Dijk said so" } };
		assert_int_equal(vios_record_add(id, st, "trend", tr, 4), VIOS_EUSAGE);
		assert_string_equal(vios_error_last(), "note names a pupil (Bram van Dijk): record it as a signal about the pupil, or rephrase");
		assert_int_equal(vios_record_add(id, st, "meeting", mt, 3), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "minutes names a pupil (Anna)"));
		assert_int_equal(vios_record_add(id, st, "signal", sg, 3), VIOS_EUSAGE);
		assert_int_equal(vios_record_edit(NULL, st, "signal", x->signal2, ed, 1), VIOS_EUSAGE);
	}
	{ /* not guarded: case data */
		vios_field mt[] = { { "kind", "case" }, { "date", "2026-11-05" }, { "case_id", x->kase }, { "minutes", "Anna of 2B" } };
		vios_field ed[] = { { "note", "Anna of 2B" } };
		fx_add(id, st, "meeting", mt, 4);
		FX_OK(vios_record_edit(NULL, st, "signal", x->signal, ed, 1));
	}
	{ /* the switch: written, and logged */
		vios_field tr[] = { { "theme", "weapons" }, { "period", month }, { "level", "rising" }, { "note", "Bram van Dijk" } };
		json_t *rows = NULL;
		vios_records_name_check(st, 0);
		fx_add(id, st, "trend", tr, 4);
		vios_records_name_check(st, 1);
		FX_OK(vios_records_name_check_skipped(&rows, st));
		assert_int_equal(json_array_size(rows), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "record_id")), id);
		json_decref(rows);
	}
	{ /* a trend for a month that has not begun */
		vios_field tr[] = { { "theme", "weapons" }, { "period", "2099-01" }, { "level", "rising" } };
		assert_int_equal(vios_record_add(id, st, "trend", tr, 3), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "in the future"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_name_guard__theme_text_naming_a_pupil_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_themes__a_local_write_takes_the_approved_covenants_themes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_record_edit__changes_only_the_given_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_edit__same_value_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_edit__bad_input_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_edit__commit_hook_error_comes_back_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_roles__stored_in_role_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_roles__refusals_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_lead__must_take_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_statuses__from_the_vocabulary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_show__gathers_the_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_show__pupil_and_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_marked__set_at_open_then_set_and_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_marked__bad_text_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_marked__only_the_owner_writes_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_marked__case_show_gives_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_quality__over16_follows_the_birth_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_quality__a_signal_about_a_pupil_needs_basis_and_parents_informed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_quality__a_case_takes_parents_informed_from_its_signals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_data_quality__dates_of_what_happened_are_not_in_the_future, setup,
						teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("records", tests, NULL, NULL);
}
