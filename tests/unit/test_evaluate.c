/*
 * test_evaluate.c - a school's evaluation figures (src/store/evaluate.c)
 * against a fixture computed by hand, and the figures a school sends
 * (vios_report_refresh_figures, school_figure).
 *
 * The fixture (all the school's own):
 *   signals  s1 2026-03-02 weapons, s2 2026-03-10 weapons, s3 2026-03-20
 *            drugs-use, s4 2026-04-01 nuisance, s5 2026-04-15 weapons
 *   meetings m1 held 2026-03-12 discussed s1,s2; m2 held 2026-03-30 s1,s3;
 *            m3 held 2026-04-20 s4,s5; m4 *planned* 2026-03-25 s3 (no
 *            discussion: counted, s3 would be 5 days)
 *            -> days to first discussion s1 10, s2 2, s3 10, s4 19, s5 5
 *   cases    c1 opened 2026-03-15 lists s1, status discussed;
 *            c2 opened 2026-04-25 lists s2,s4, escalated to veilig-thuis
 *            -> days to a case s1 13, s2 46, s4 24
 *   agreements due 2026-03-20 done 03-18 (on time), due 03-31 done 04-02
 *            (late), due 04-10 not done, due 04-30 done 04-30T10:00Z (on
 *            time: the same day)
 * Medians of an even n take the lower middle value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdt/crdt.h"
#include "crdt/mandate.h"
#include "store/evaluate.h"
#include "store/records.h"
#include "store/rhythm.h"
#include "store/store.h"
#include "sync/report.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

typedef struct {
	fx_world w;
	fx_node school;
	char s[6][37], pupil[37], c1[37], c2[37];
} world;

/* One captured write the record commands do not make (yet): the columns
 * another helper's commands write (meeting.discussed, planned) and dates
 * in the past (opened_at, done_at). */
static void sql(vios_store *st, const char *fmt, ...)
{
	char q[600];
	char *err = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	FX_OK(vios_store_tx_begin(st));
	if (sqlite3_exec(st->db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	FX_OK(vios_store_tx_commit(st));
}

static void meeting(vios_store *st, const char *date, const char *discussed, int planned)
{
	char id[37];
	vios_field f[] = { { "kind", "thematic" }, { "date", date } };

	fx_add(id, st, "meeting", f, 2);
	sql(st, "UPDATE meeting SET discussed = '%s', planned = %d WHERE id = '%s'", discussed, planned, id);
}

static void agreement(vios_store *st, const char *kase, const char *due, const char *done)
{
	char id[37];
	vios_field f[] = { { "case_id", kase }, { "owner_role", "police" }, { "action", "talk" }, { "due_date", due } };

	fx_add(id, st, "agreement", f, 4);
	if (done)
		sql(st, "UPDATE agreement SET status = 'done', done_at = '%s' WHERE id = '%s'", done, id);
}

static int setup(void **state)
{
	static const char *const seen[5][2] = { { "2026-03-02", "weapons" }, { "2026-03-10", "weapons" },
						{ "2026-03-20", "drugs-use" }, { "2026-04-01", "nuisance" },
						{ "2026-04-15", "weapons" } };
	world *x = calloc(1, sizeof(*x));
	vios_store *st;
	char list[80];

	assert_non_null(x);
	FX_OK(fx_world_make(&x->w, "vios-evaluate"));
	FX_OK(fx_node_make(&x->school, &x->w, "school", "school", NULL));
	st = x->school.st;
	for (int i = 0; i < 5; i++) {
		vios_field f[] = { { "theme", seen[i][1] }, { "note", "seen at the gate" }, { "seen_at", seen[i][0] } };
		fx_add(x->s[i + 1], st, "signal", f, 3);
	}
	{
		vios_field f[] = { { "name", "Anna" }, { "birth_date", "2011-03-04" } };
		fx_add(x->pupil, st, "pupil", f, 2);
	}
	snprintf(list, sizeof(list), "%s,%s", x->s[1], x->s[2]);
	meeting(st, "2026-03-12", list, 0);
	snprintf(list, sizeof(list), "%s,%s", x->s[1], x->s[3]);
	meeting(st, "2026-03-30", list, 0);
	snprintf(list, sizeof(list), "%s,%s", x->s[4], x->s[5]);
	meeting(st, "2026-04-20", list, 0);
	meeting(st, "2026-03-25", x->s[3], 1);
	{
		vios_field f[] = { { "pupil_id", x->pupil }, { "basis", "public-task" }, { "parents_informed", "1" } };
		fx_add(x->c1, st, "case_file", f, 3);
		fx_add(x->c2, st, "case_file", f, 3);
	}
	sql(st, "UPDATE case_file SET signals = '%s', opened_at = '2026-03-15T09:00:00Z', status = 'discussed' WHERE id = '%s'",
	    x->s[1], x->c1);
	sql(st, "UPDATE case_file SET signals = '%s,%s', opened_at = '2026-04-25T09:00:00Z', status = 'escalated',"
		" escalation_target = 'veilig-thuis' WHERE id = '%s'", x->s[2], x->s[4], x->c2);
	agreement(st, x->c1, "2026-03-20", "2026-03-18T12:00:00Z");
	agreement(st, x->c1, "2026-03-31", "2026-04-02T12:00:00Z");
	agreement(st, x->c1, "2026-04-10", NULL);
	agreement(st, x->c2, "2026-04-30", "2026-04-30T10:00:00Z");
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

static json_t *eval(world *x, const char *from, const char *to)
{
	json_t *doc = NULL;

	FX_OK(vios_evaluate(&doc, x->school.st, x->school.node->node_id, from, to));
	assert_non_null(doc);
	return doc;
}

static long long at(json_t *doc, const char *path)
{
	char buf[128], *save = NULL;
	json_t *v = doc;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

static void test_evaluate__medians_counts_and_share_as_computed_by_hand(void **state)
{
	world *x = *state;
	json_t *doc = eval(x, "2026-03", "2026-04"), *themes;

	assert_string_equal(json_string_value(json_object_get(doc, "format")), "vios-evaluate-1");
	/* signals per theme, in the vocabulary's order */
	assert_int_equal(at(doc, "signals.total"), 5);
	themes = json_object_get(json_object_get(doc, "signals"), "themes");
	assert_int_equal(json_array_size(themes), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(themes, 0), "theme")), "weapons");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(themes, 0), "signals")), 3);
	/* [2, 5, 10, 10, 19]: 10 over 5 (with m4 counted it would be 5) */
	assert_int_equal(at(doc, "discussion.median_days"), 10);
	assert_int_equal(at(doc, "discussion.n"), 5);
	/* [13, 24, 46] */
	assert_int_equal(at(doc, "case.median_days"), 24);
	assert_int_equal(at(doc, "case.n"), 3);
	assert_int_equal(at(doc, "cases.opened"), 2);
	assert_int_equal(at(doc, "cases.by_status.discussed"), 1);
	assert_int_equal(at(doc, "cases.by_status.escalated"), 1);
	assert_int_equal(at(doc, "cases.by_status.reported"), 0);
	assert_int_equal(at(doc, "cases.escalated_to.veilig-thuis"), 1);
	assert_int_equal(at(doc, "agreements.due"), 4);
	assert_int_equal(at(doc, "agreements.on_time"), 2);
	assert_true(json_real_value(json_object_get(json_object_get(doc, "agreements"), "share")) == 0.5);
	json_decref(doc);
}

static void test_evaluate__even_n_takes_the_lower_middle_value(void **state)
{
	world *x = *state;
	json_t *doc = eval(x, "2026-04", "2026-04");

	/* April's signals: s4 19 and s5 5 days to discussion -> 5 (the mean would be 12) */
	assert_int_equal(at(doc, "discussion.median_days"), 5);
	assert_int_equal(at(doc, "discussion.n"), 2);
	assert_int_equal(at(doc, "signals.total"), 2);
	json_decref(doc);
	/* March's: s1 13 and s2 46 days to a case -> 13 */
	doc = eval(x, "2026-03", "2026-03");
	assert_int_equal(at(doc, "case.median_days"), 13);
	assert_int_equal(at(doc, "case.n"), 2);
	/* s1 10, s2 2, s3 10: the planned m4 (s3 on 03-25) is no discussion */
	assert_int_equal(at(doc, "discussion.median_days"), 10);
	assert_int_equal(at(doc, "discussion.n"), 3);
	assert_int_equal(at(doc, "agreements.due"), 2);
	assert_int_equal(at(doc, "agreements.on_time"), 1);
	json_decref(doc);
}

static void test_evaluate__a_planned_meeting_is_no_discussion(void **state)
{
	world *x = *state;
	json_t *doc;
	char id[37];
	vios_field f[] = { { "theme", "alcohol" }, { "note", "bottles" }, { "seen_at", "2026-05-04" } };

	fx_add(id, x->school.st, "signal", f, 3);
	meeting(x->school.st, "2026-05-06", id, 1);
	doc = eval(x, "2026-05", "2026-05");
	assert_int_equal(at(doc, "signals.total"), 1);
	assert_int_equal(at(doc, "discussion.n"), 0);
	assert_true(json_is_null(json_object_get(json_object_get(doc, "discussion"), "median_days")));
	json_decref(doc);
	/* once held (planned 0), it is */
	sql(x->school.st, "UPDATE meeting SET planned = 0 WHERE discussed = '%s'", id);
	doc = eval(x, "2026-05", "2026-05");
	assert_int_equal(at(doc, "discussion.n"), 1);
	assert_int_equal(at(doc, "discussion.median_days"), 2);
	json_decref(doc);
}

static void test_evaluate__bad_months_are_usage_errors(void **state)
{
	world *x = *state;
	json_t *doc = NULL;

	assert_int_equal(vios_evaluate(&doc, x->school.st, x->school.node->node_id, "2026-13", NULL), VIOS_EUSAGE);
	assert_int_equal(vios_evaluate(&doc, x->school.st, x->school.node->node_id, "2026-4", "2026-05"), VIOS_EUSAGE);
	assert_int_equal(vios_evaluate(&doc, x->school.st, x->school.node->node_id, "2026-05", "2026-04"), VIOS_EUSAGE);
	assert_null(doc);
}

/* The figure row of (month, figure) in rows, or NULL. */
static json_t *figure(json_t *rows, const char *month, const char *fig)
{
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "month")), month) &&
		    !strcmp(json_string_value(json_object_get(r, "figure")), fig))
			return r;
	return NULL;
}

static void test_evaluate_figures__per_month_medians_below_min_n_have_no_value(void **state)
{
	world *x = *state;
	json_t *rows = NULL;

	FX_OK(vios_evaluate_figures(&rows, x->school.st, x->school.node->node_id, 5));
	/* March: 3 signals discussed -> n 3, no value under 5 */
	assert_non_null(figure(rows, "2026-03", "discussion-days"));
	assert_true(json_is_null(json_object_get(figure(rows, "2026-03", "discussion-days"), "value")));
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-03", "discussion-days"), "n")), 3);
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-03", "cases-discussed"), "value")), 1);
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-04", "cases-escalated-veilig-thuis"), "value")), 1);
	/* an escalated case counts once: by its target, not as cases-escalated too */
	assert_null(figure(rows, "2026-04", "cases-escalated"));
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-03", "agreements-due"), "value")), 2);
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-03", "agreements-on-time"), "value")), 1);
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-04", "agreements-on-time"), "value")), 1);
	json_decref(rows);
	/* with a threshold of 2 March's median is sent: 10 */
	FX_OK(vios_evaluate_figures(&rows, x->school.st, x->school.node->node_id, 2));
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-03", "discussion-days"), "value")), 10);
	json_decref(rows);
}

/* ---- the set-based figures against the per-signal definition ------------- */

/* The per-signal definition as it stood before the set-based form: for
 * each signal, rhythm.h's subqueries, and the days as evaluate.c counts
 * them (a date before the signal's day is the same day). */
#define REF_DAYS(d) "max(0, CAST(julianday(" d ") - julianday(date(s.seen_at)) AS INTEGER))"
static const char ref_sql[] =
	"SELECT substr(s.seen_at, 1, 7) AS month, " REF_DAYS(VIOS_SQL_SIGNAL_DISCUSSED_AT("s")) " AS discussed, "
	REF_DAYS(VIOS_SQL_SIGNAL_LINKED_AT("s")) " AS cased FROM signal s WHERE s.origin = ?1"
	" AND s.seen_at IS NOT NULL AND s.theme IS NOT NULL ORDER BY month, s.id";

static int ref_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* The lower median and n of key over the reference rows of month (NULL:
 * every month), by sorting every value: the definition itself. */
static void ref_median(long long *median, long long *n, json_t *rows, const char *month, const char *key)
{
	long long v[256];
	size_t i, k = 0;
	json_t *r;

	json_array_foreach(rows, i, r) {
		json_t *d = json_object_get(r, key);
		if ((month == NULL || !strcmp(json_string_value(json_object_get(r, "month")), month)) && json_is_integer(d)) {
			assert_true(k < sizeof(v) / sizeof(v[0]));
			v[k++] = json_integer_value(d);
		}
	}
	qsort(v, k, sizeof(v[0]), ref_cmp);
	*n = (long long)k;
	*median = k ? v[(k - 1) / 2] : -1;
}

/* A signal of st seen on day, with theme. */
static void signal_on(char id[37], vios_store *st, const char *day, const char *theme)
{
	vios_field f[] = { { "theme", theme }, { "note", "seen near the school" }, { "seen_at", day } };

	fx_add(id, st, "signal", f, 3);
}

/* A case of pupil opened at opened listing list. */
static void case_listing(vios_store *st, const char *pupil, const char *opened, const char *list)
{
	char id[37];
	vios_field f[] = { { "pupil_id", pupil }, { "basis", "public-task" }, { "parents_informed", "1" } };

	fx_add(id, st, "case_file", f, 3);
	sql(st, "UPDATE case_file SET signals = '%s', opened_at = '%s' WHERE id = '%s'", list, opened, id);
}

/*
 * The fixture's March and April, and on top of them:
 *   May   a0..a5 seen 05-01; held meetings 05-04 (a0 a1 a2), 05-08 (a3 a4,
 *         and a0 again: later, not its first), 05-10 (a5) -> discussion
 *         3 3 3 7 7 9: even n 6 with ties, lower median 3 (upper 7); cases
 *         05-02 (a0 a1) and 05-06 (a1 a2 a3) -> 1 1 5 5: even n 4, 1;
 *   June  b0..b6 seen 06-10; held 06-09 (b0: before it, 0 days), 06-11
 *         (b1 b2), 06-14 (b3 b4 b5), 06-30 (b6); a planned 06-10 lists b6
 *         -> 0 1 1 4 4 4 20: odd n 7 with ties, median 4;
 *   July  c0, c1 seen 07-01; held 07-02 (c0 c1), 07-03 (c0, an empty item
 *         and an id held nowhere) -> n 2: suppressed under min_n 5.
 */
static void test_evaluate_figures__set_based_equals_the_per_signal_definition(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	const char *origin = x->school.node->node_id;
	const char *p[1] = { origin };
	char a[6][37], b[7][37], c[2][37], list[300], ghost[37], extra[37], extra2[37];
	json_t *ref = NULL, *figs = NULL, *rows = NULL, *before = NULL, *doc;
	static const char *const months[] = { "2026-03", "2026-04", "2026-05", "2026-06", "2026-07" };
	static const char *const medians[][2] = { { VIOS_FIGURE_DISCUSSION_DAYS, "discussed" },
						  { VIOS_FIGURE_CASE_DAYS, "cased" } };
	static const long long min_ns[] = { 5, 1 };

	for (int i = 0; i < 6; i++)
		signal_on(a[i], st, "2026-05-01", i % 2 ? "weapons" : "nuisance");
	for (int i = 0; i < 7; i++)
		signal_on(b[i], st, "2026-06-10", "drugs-use");
	for (int i = 0; i < 2; i++)
		signal_on(c[i], st, "2026-07-01", "weapons");
	snprintf(list, sizeof(list), "%s,%s,%s", a[0], a[1], a[2]);
	meeting(st, "2026-05-04", list, 0);
	snprintf(list, sizeof(list), "%s,%s,%s", a[3], a[4], a[0]);
	meeting(st, "2026-05-08", list, 0);
	meeting(st, "2026-05-10", a[5], 0);
	snprintf(list, sizeof(list), "%s,%s", a[0], a[1]);
	case_listing(st, x->pupil, "2026-05-02T08:00:00Z", list);
	snprintf(list, sizeof(list), "%s,%s,%s", a[1], a[2], a[3]);
	case_listing(st, x->pupil, "2026-05-06T08:00:00Z", list);
	meeting(st, "2026-06-09", b[0], 0);
	snprintf(list, sizeof(list), "%s,%s", b[1], b[2]);
	meeting(st, "2026-06-11", list, 0);
	snprintf(list, sizeof(list), "%s,%s,%s", b[3], b[4], b[5]);
	meeting(st, "2026-06-14", list, 0);
	meeting(st, "2026-06-30", b[6], 0);
	meeting(st, "2026-06-10", b[6], 1);
	snprintf(list, sizeof(list), "%s,%s", c[0], c[1]);
	meeting(st, "2026-07-02", list, 0);
	vios_uuid7(ghost);
	snprintf(list, sizeof(list), "%s,,%s", c[0], ghost);
	meeting(st, "2026-07-03", list, 0);

	/* the two dates, signal by signal: the set-based form is the subqueries' */
	FX_OK(vios_query(&rows, st,
			 VIOS_SQL_SIGNAL_FIRSTS_WITH("?1")
			 " SELECT s.id FROM signal s LEFT JOIN rhy_signal f ON f.id = s.id WHERE s.origin = ?1 AND"
			 " (f.id IS NULL OR f.discussed_at IS NOT " VIOS_SQL_SIGNAL_DISCUSSED_AT("s") " OR f.linked_at IS NOT "
			 VIOS_SQL_SIGNAL_LINKED_AT("s") ")", p, 1));
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	FX_OK(vios_query(&rows, st, VIOS_SQL_SIGNAL_FIRSTS_WITH("?1") " SELECT count(*) AS n FROM rhy_signal", p, 1));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "n")), 5 + 6 + 7 + 2);
	json_decref(rows);

	FX_OK(vios_query(&ref, st, ref_sql, p, 1));
	assert_int_equal(json_array_size(ref), 5 + 6 + 7 + 2);
	for (size_t m = 0; m < sizeof(min_ns) / sizeof(min_ns[0]); m++) {
		FX_OK(vios_evaluate_figures(&figs, st, origin, min_ns[m]));
		for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++)
			for (size_t k = 0; k < 2; k++) {
				long long med, n;
				json_t *r = figure(figs, months[i], medians[k][0]);
				ref_median(&med, &n, ref, months[i], medians[k][1]);
				if (n == 0) {
					assert_null(r);
					continue;
				}
				assert_non_null(r);
				assert_int_equal(json_integer_value(json_object_get(r, "n")), n);
				if (n < min_ns[m])
					assert_true(json_is_null(json_object_get(r, "value")));
				else
					assert_int_equal(json_integer_value(json_object_get(r, "value")), med);
			}
		json_decref(figs);
		figs = NULL;
	}
	/* the hand-made values the fixture promises */
	FX_OK(vios_evaluate_figures(&figs, st, origin, 5));
	assert_int_equal(json_integer_value(json_object_get(figure(figs, "2026-05", "discussion-days"), "value")), 3);
	assert_int_equal(json_integer_value(json_object_get(figure(figs, "2026-05", "discussion-days"), "n")), 6);
	assert_true(json_is_null(json_object_get(figure(figs, "2026-05", "case-days"), "value")));
	assert_int_equal(json_integer_value(json_object_get(figure(figs, "2026-05", "case-days"), "n")), 4);
	assert_int_equal(json_integer_value(json_object_get(figure(figs, "2026-06", "discussion-days"), "value")), 4);
	assert_int_equal(json_integer_value(json_object_get(figure(figs, "2026-06", "discussion-days"), "n")), 7);
	assert_true(json_is_null(json_object_get(figure(figs, "2026-07", "discussion-days"), "value")));
	assert_int_equal(json_integer_value(json_object_get(figure(figs, "2026-07", "discussion-days"), "n")), 2);
	json_decref(figs);
	FX_OK(vios_evaluate_figures(&figs, st, origin, 1));
	assert_int_equal(json_integer_value(json_object_get(figure(figs, "2026-05", "case-days"), "value")), 1);
	json_decref(figs);

	/* and the evaluation of a period: the same medians over its months, the signals counted once each */
	doc = eval(x, "2026-03", "2026-07");
	{
		long long med, n;
		ref_median(&med, &n, ref, NULL, "discussed");
		assert_int_equal(at(doc, "discussion.n"), n);
		assert_int_equal(at(doc, "discussion.median_days"), med);
		ref_median(&med, &n, ref, NULL, "cased");
		assert_int_equal(at(doc, "case.n"), n);
		assert_int_equal(at(doc, "case.median_days"), med);
	}
	assert_int_equal(at(doc, "signals.total"), 5 + 6 + 7 + 2);
	json_decref(doc);
	/* the listed form (the figures read it): the signals with a date, each once with the same
	 * dates, and no other (not the ghost id a meeting lists, not a signal nothing lists or only
	 * a planned meeting lists); and the figures do not change when such signals come, in a
	 * month of their own or in one with figures */
	FX_OK(vios_evaluate_figures(&before, st, origin, 1));
	signal_on(extra, st, "2026-08-03", "weapons");
	signal_on(extra2, st, "2026-06-12", "drugs-use");
	meeting(st, "2026-06-13", extra2, 1);
	FX_OK(vios_query(&rows, st,
			 "WITH every(id, d, l) AS (SELECT * FROM (" VIOS_SQL_SIGNAL_FIRSTS_WITH("?1")
			 " SELECT id, discussed_at, linked_at FROM rhy_signal)),"
			 " listed(id, d, l) AS (SELECT * FROM (" VIOS_SQL_SIGNAL_LISTED_WITH("?1")
			 " SELECT id, discussed_at, linked_at FROM rhy_signal))"
			 " SELECT (SELECT count(*) FROM listed) AS n, (SELECT count(DISTINCT id) FROM listed) AS ids,"
			 " (SELECT count(*) FROM every WHERE d IS NOT NULL OR l IS NOT NULL) AS dated,"
			 " (SELECT count(*) FROM listed JOIN every USING (id) WHERE listed.d IS every.d AND listed.l IS every.l"
			 "  AND (every.d IS NOT NULL OR every.l IS NOT NULL)) AS same",
			 p, 1));
	{
		json_t *r = json_array_get(rows, 0);
		long long dated = json_integer_value(json_object_get(r, "dated"));
		assert_int_equal(dated, 5 + 6 + 7 + 2);
		assert_int_equal(json_integer_value(json_object_get(r, "n")), dated);
		assert_int_equal(json_integer_value(json_object_get(r, "ids")), dated);
		assert_int_equal(json_integer_value(json_object_get(r, "same")), dated);
	}
	json_decref(rows);
	FX_OK(vios_evaluate_figures(&figs, st, origin, 1));
	assert_non_null(figure(figs, "2026-07", VIOS_FIGURE_DISCUSSION_DAYS));
	assert_true(json_equal(figs, before));
	for (size_t i = 0; i < json_array_size(figs); i++)
		assert_string_not_equal(json_string_value(json_object_get(json_array_get(figs, i), "month")), "2026-08");
	json_decref(figs);
	json_decref(before);
	json_decref(ref);
}

static void test_evaluate_refresh__writes_derived_rows_once_and_follows_changes(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	json_t *rows = NULL, *r;
	size_t changed = 0, i;
	char id[37];

	FX_OK(vios_report_refresh_figures(&changed, st));
	assert_true(changed > 0);
	FX_OK(vios_query(&rows, st, "SELECT id, origin, month, figure, value, n FROM school_figure", NULL, 0));
	assert_int_equal(json_array_size(rows), changed);
	json_array_foreach(rows, i, r) {
		vios_mandate_figure_id(id, json_string_value(json_object_get(r, "origin")),
				       json_string_value(json_object_get(r, "month")),
				       json_string_value(json_object_get(r, "figure")));
		assert_string_equal(id, json_string_value(json_object_get(r, "id")));
	}
	json_decref(rows);
	/* nothing changed: nothing written */
	FX_OK(vios_report_refresh_figures(&changed, st));
	assert_int_equal(changed, 0);
	/* the case moved on: its old status goes to 0, its new one counts */
	sql(st, "UPDATE case_file SET status = 'closed' WHERE id = '%s'", x->c1);
	FX_OK(vios_report_refresh_figures(&changed, st));
	assert_int_equal(changed, 2);
	FX_OK(vios_query(&rows, st, "SELECT month, figure, value, n FROM school_figure WHERE figure LIKE 'cases-%'", NULL, 0));
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-03", "cases-discussed"), "value")), 0);
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-03", "cases-closed"), "value")), 1);
	json_decref(rows);
}

/* Rows of school_figure and signal_count, as "table month key value n" lines, sorted. */
static char *theme_rows(vios_store *st)
{
	json_t *rows = NULL, *r;
	size_t i, len = 0;
	char *out = NULL;

	FX_OK(vios_query(&rows, st,
			 "SELECT 'f ' || month || ' ' || figure || ' ' || coalesce(value, '-') || ' ' || coalesce(n, '-') AS l"
			 " FROM school_figure UNION ALL SELECT 'c ' || month || ' ' || theme || ' ' || signals FROM signal_count"
			 " ORDER BY l", NULL, 0));
	json_array_foreach(rows, i, r)
		len += strlen(json_string_value(json_object_get(r, "l"))) + 1;
	out = calloc(len + 1, 1);
	assert_non_null(out);
	json_array_foreach(rows, i, r) {
		strcat(out, json_string_value(json_object_get(r, "l")));
		strcat(out, "\n");
	}
	json_decref(rows);
	return out;
}

static void test_evaluate_refresh__theme_data_skipped_only_while_nothing_it_derives_from_changed(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	size_t counts = 0, figures = 0, pending = 0, after = 0;
	json_t *rows = NULL;
	char *before, *now;

	FX_OK(vios_report_refresh_theme_data(&counts, &figures, st));
	assert_true(counts > 0 && figures > 0);
	before = theme_rows(st);
	/* as the two refreshes alone would have it: they write nothing more */
	FX_OK(vios_report_refresh_counts(&counts, st));
	FX_OK(vios_report_refresh_figures(&figures, st));
	assert_int_equal(counts + figures, 0);
	/* nothing changed: skipped, nothing captured */
	FX_OK(vios_crdt_pending_count(&pending, st));
	FX_OK(vios_report_refresh_theme_data(&counts, &figures, st));
	assert_int_equal(counts + figures, 0);
	/* a note is no input: still nothing */
	sql(st, "UPDATE signal SET note = 'seen at the gate, twice' WHERE id = '%s'", x->s[2]);
	FX_OK(vios_crdt_pending_count(&pending, st));
	FX_OK(vios_report_refresh_theme_data(&counts, &figures, st));
	assert_int_equal(counts + figures, 0);
	FX_OK(vios_crdt_pending_count(&after, st));
	assert_int_equal(after, pending);
	now = theme_rows(st);
	assert_string_equal(before, now);
	free(now);
	/* a theme moves a count */
	sql(st, "UPDATE signal SET theme = 'nuisance' WHERE id = '%s'", x->s[2]);
	FX_OK(vios_report_refresh_theme_data(&counts, &figures, st));
	assert_int_equal(counts, 2);
	assert_int_equal(figures, 0);
	/* a meeting that discusses s4 earlier: April's median (n 2, not
	 * sent) stays as it was */
	meeting(st, "2026-04-02", x->s[4], 0);
	FX_OK(vios_report_refresh_theme_data(&counts, &figures, st));
	assert_int_equal(counts + figures, 0);
	/* a case that lists s3 moves March's case-days n (2 -> 3) */
	case_listing(st, x->pupil, "2026-03-25T08:00:00Z", x->s[3]);
	FX_OK(vios_report_refresh_theme_data(&counts, &figures, st));
	assert_int_equal(counts, 0);
	assert_true(figures >= 1);
	FX_OK(vios_query(&rows, st, "SELECT month, figure, value, n FROM school_figure", NULL, 0));
	assert_int_equal(json_integer_value(json_object_get(figure(rows, "2026-03", "case-days"), "n")), 3);
	json_decref(rows);
	/* a kept row changed behind the refresh's back is put right again */
	sql(st, "UPDATE school_figure SET value = 99 WHERE figure = 'cases-discussed'");
	FX_OK(vios_report_refresh_theme_data(&counts, &figures, st));
	assert_int_equal(figures, 1);
	FX_OK(vios_report_refresh_theme_data(&counts, &figures, st));
	assert_int_equal(counts + figures, 0);
	free(before);
}

static long long theme_version(vios_store *st)
{
	long long v = -1;

	FX_OK(vios_store_theme_version(&v, st));
	return v;
}

/*
 * The store counts every transaction that changes an input of the theme
 * data, whoever writes: one number per transaction, not per row; a note
 * is no input; another node's merged op is; a commit around the count
 * (raw SQL, no vios_store_tx_commit) is refused with nothing written.
 */
static void test_evaluate_refresh__the_theme_data_version_counts_every_writer(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	vios_crdt_report rep;
	vios_crdt_op op;
	json_t *rows = NULL;
	long long v0, before, after;
	char q[300];
	char *err = NULL;

	v0 = theme_version(st);
	assert_true(v0 >= 1); /* a new store: its migrations count once */
	sql(st, "UPDATE signal SET note = 'seen at the gate' WHERE id = '%s'", x->s[1]);
	assert_int_equal(theme_version(st), v0);
	sql(st, "UPDATE signal SET theme = 'nuisance' WHERE id IN ('%s', '%s')", x->s[1], x->s[2]);
	assert_int_equal(theme_version(st), v0 + 1);
	sql(st, "UPDATE signal SET seen_at = '2026-03-03T08:00:00Z' WHERE id = '%s'", x->s[1]);
	assert_int_equal(theme_version(st), v0 + 2);
	meeting(st, "2026-04-03", x->s[4], 1); /* two transactions: added, then listed */
	assert_int_equal(theme_version(st), v0 + 4);
	/* a rolled back change counts nothing */
	FX_OK(vios_store_tx_begin(st));
	assert_int_equal(sqlite3_exec(st->db, "UPDATE case_file SET status = 'closed'", NULL, NULL, NULL), SQLITE_OK);
	vios_store_tx_rollback(st);
	assert_int_equal(theme_version(st), v0 + 4);
	/* another node's op, merged: an agreement marked done */
	memset(&op, 0, sizeof(op));
	op.kind = VIOS_OP_SET;
	op.hlc = ((uint64_t)1900000000000ull) << 16;
	op.node = "0190a0b0-0000-7000-8000-0000000000aa";
	op.tbl = "agreement";
	FX_OK(vios_query(&rows, st, "SELECT id FROM agreement WHERE done_at IS NULL LIMIT 1", NULL, 0));
	assert_int_equal(json_array_size(rows), 1);
	op.pk = strdup(json_string_value(json_object_get(json_array_get(rows, 0), "id")));
	json_decref(rows);
	op.col = "done_at";
	op.value.type = VIOS_VAL_TEXT;
	op.value.u.text.p = "2026-04-11T09:00:00Z";
	op.value.u.text.len = strlen(op.value.u.text.p);
	FX_OK(vios_crdt_apply(&rep, st, &op, 1, NULL));
	free(op.pk);
	assert_int_equal(theme_version(st), v0 + 5);
	/* around vios_store_tx_commit: refused, and nothing written */
	FX_OK(vios_store_row_count(&before, st, "meeting"));
	snprintf(q, sizeof(q), "DELETE FROM meeting WHERE date = '2026-04-03'");
	assert_int_not_equal(sqlite3_exec(st->db, q, NULL, NULL, &err), SQLITE_OK);
	sqlite3_free(err);
	FX_OK(vios_store_row_count(&after, st, "meeting"));
	assert_int_equal(before, after);
	assert_int_equal(theme_version(st), v0 + 5);
	/* a DELETE without WHERE (SQLite's truncate optimisation passes the
	 * update hook by): refused raw, counted in a transaction */
	FX_OK(vios_store_row_count(&before, st, "meeting"));
	assert_true(before > 0);
	assert_int_not_equal(sqlite3_exec(st->db, "DELETE FROM meeting", NULL, NULL, &err), SQLITE_OK);
	sqlite3_free(err);
	err = NULL;
	FX_OK(vios_store_row_count(&after, st, "meeting"));
	assert_int_equal(before, after);
	FX_OK(vios_store_tx_begin_uncaptured(st));
	assert_int_equal(sqlite3_exec(st->db, "DELETE FROM meeting", NULL, NULL, NULL), SQLITE_OK);
	vios_store_tx_rollback(st);
	assert_int_equal(theme_version(st), v0 + 5);
	assert_int_equal(fx_sql_merged(st, "DELETE FROM agreement"), SQLITE_OK);
	assert_int_equal(theme_version(st), v0 + 6);
	/* a note, raw: no input, so not refused */
	snprintf(q, sizeof(q), "UPDATE signal SET note = 'twice' WHERE id = '%s'", x->s[3]);
	assert_int_equal(sqlite3_exec(st->db, q, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(theme_version(st), v0 + 6);
}

static void test_evaluate_refresh__a_figure_under_an_id_not_derived_is_refused(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char id[37], q[300];
	char *err = NULL;
	long long before, after;

	FX_OK(vios_store_row_count(&before, st, "school_figure"));
	vios_uuid7(id);
	snprintf(q, sizeof(q), "INSERT INTO school_figure(id, origin, month, figure, value) VALUES ('%s', '%s', '2026-03',"
		 " 'cases-closed', 3)", id, x->school.node->node_id);
	FX_OK(vios_store_tx_begin(st));
	assert_int_equal(sqlite3_exec(st->db, q, NULL, NULL, &err), SQLITE_OK);
	assert_int_not_equal(vios_store_tx_commit(st), 0);
	assert_non_null(strstr(vios_error_last(), "a school figure's id must derive from its school, month and figure"));
	FX_OK(vios_store_row_count(&after, st, "school_figure"));
	assert_int_equal(before, after);
	/* the derived one is taken */
	vios_mandate_figure_id(id, x->school.node->node_id, "2026-03", "cases-closed");
	snprintf(q, sizeof(q), "INSERT INTO school_figure(id, origin, month, figure, value) VALUES ('%s', '%s', '2026-03',"
		 " 'cases-closed', 3)", id, x->school.node->node_id);
	sql(st, "%s", q);
	FX_OK(vios_store_row_count(&after, st, "school_figure"));
	assert_int_equal(before + 1, after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_evaluate__medians_counts_and_share_as_computed_by_hand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evaluate__even_n_takes_the_lower_middle_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evaluate__a_planned_meeting_is_no_discussion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evaluate__bad_months_are_usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evaluate_figures__per_month_medians_below_min_n_have_no_value, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_evaluate_figures__set_based_equals_the_per_signal_definition, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_evaluate_refresh__writes_derived_rows_once_and_follows_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_evaluate_refresh__theme_data_skipped_only_while_nothing_it_derives_from_changed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_evaluate_refresh__the_theme_data_version_counts_every_writer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_evaluate_refresh__a_figure_under_an_id_not_derived_is_refused, setup,
						teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("evaluate", tests, NULL, NULL);
}
