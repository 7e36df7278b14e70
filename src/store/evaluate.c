/*
 * evaluate.c - see evaluate.h.
 *
 * Three reads (the school's signals with their two triage dates, grouped
 * and counted; its cases; its agreements), each row keyed by its month;
 * everything after is C over those rows: vios_evaluate sums the months of
 * a period, the figures are the same sums per month. The reads are
 * set-based (one pass over the signals and the lists that name them, not
 * signals x cases); the figures, which the refresh before every export
 * derives, read only the signals a list names (sql_signals_listed).
 */
#include "store/evaluate.h"
#include "store/rhythm.h"
#include "store/records.h"
#include "node/vocab.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Whole days from the signal's day to a date (NULL stays NULL, without
 * parsing the signal's day: most signals have neither date, and the two
 * date parses were a seventh of the refresh before an export); a date
 * before the signal's day counts as the same day. */
#define DAYS_TO(d) "CASE WHEN " d " IS NOT NULL THEN max(0, CAST(julianday(" d ") - julianday(date(s.seen_at)) AS INTEGER)) END"

/*
 * ?1 the school, ?2 and ?3 the first and last month. The school's signals
 * with the days to their two triage dates (rhythm.h's set-based form, one
 * pass over the lists), grouped: one row per (month, theme, discussed,
 * cased) with its count k, so what C reads is as small as the figures.
 * Ordered by month, then by the least signal id of the group: a theme
 * comes first where its first signal by (month, id) is.
 */
#define SQL_SIGNALS(with)                                                                 \
	with " SELECT month, theme, discussed, cased, count(*) AS k, min(id) AS first FROM (" \
	"SELECT substr(s.seen_at, 1, 7) AS month, s.theme AS theme, s.id AS id,"              \
	" " DAYS_TO("s.discussed_at") " AS discussed,"                                      \
	" " DAYS_TO("s.linked_at") " AS cased"                                              \
	" FROM rhy_signal s WHERE s.seen_at IS NOT NULL AND s.theme IS NOT NULL"              \
	" AND substr(s.seen_at, 1, 7) BETWEEN ?2 AND ?3)"                                     \
	" GROUP BY month, theme, discussed, cased ORDER BY month, first"
static const char sql_signals[] = SQL_SIGNALS(VIOS_SQL_SIGNAL_FIRSTS_WITH("?1"));
/* The same for the signals a held meeting or a case lists, every signal
 * with a date among them: all the months' figures read (a signal no list
 * names has neither day, so it is in no median; a month it alone falls in
 * has no figure).
 * Read instead of sql_signals, the refresh before every export costs a
 * pass over the lists, not over every signal the school ever wrote. */
static const char sql_signals_listed[] = SQL_SIGNALS(VIOS_SQL_SIGNAL_LISTED_WITH("?1"));
static const char sql_cases[] =
	"SELECT substr(opened_at, 1, 7) AS month, status, escalation_target AS target FROM case_file"
	" WHERE origin = ?1 AND opened_at IS NOT NULL AND substr(opened_at, 1, 7) BETWEEN ?2 AND ?3"
	" ORDER BY month, id";
static const char sql_agreements[] =
	"SELECT substr(due_date, 1, 7) AS month,"
	" (done_at IS NOT NULL AND date(done_at) <= date(due_date)) AS on_time FROM agreement"
	" WHERE origin = ?1 AND due_date IS NOT NULL AND substr(due_date, 1, 7) BETWEEN ?2 AND ?3"
	" ORDER BY month, id";

typedef struct {
	json_t *signals, *cases, *agreements;
} eval_rows;

static void rows_dispose(eval_rows *r)
{
	json_decref(r->signals);
	json_decref(r->cases);
	json_decref(r->agreements);
	memset(r, 0, sizeof(*r));
}

/* The rows of origin's months lo to hi; listed: the signals a list names only (sql_signals_listed). */
static int rows_load(eval_rows *r, vios_store *st, const char *origin, const char *lo, const char *hi, int listed)
{
	const char *p[3] = { origin, lo, hi };
	int error;

	memset(r, 0, sizeof(*r));
	if ((error = vios_query(&r->signals, st, listed ? sql_signals_listed : sql_signals, p, 3)) < 0 ||
	    (error = vios_query(&r->cases, st, sql_cases, p, 3)) < 0 ||
	    (error = vios_query(&r->agreements, st, sql_agreements, p, 3)) < 0)
		rows_dispose(r);
	return error;
}

/* Row r belongs to month (NULL: every month). */
static int in_month(json_t *r, const char *month)
{
	return month == NULL || !strcmp(json_string_value(json_object_get(r, "month")) ?: "", month);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* A signal row's count: each row of sql_signals stands for k signals. */
static long long weight(json_t *r)
{
	return json_integer_value(json_object_get(r, "k"));
}

/* The lower median of the integer member key of the signals of month
 * (NULLs left out; each row counted weight(r) times): *n the values'
 * count, the median or -1 when n is 0. */
static int median_of(long long *median, long long *n, json_t *rows, const char *month, const char *key)
{
	long long (*v)[2] = malloc((json_array_size(rows) + 1) * sizeof(*v));
	long long total = 0, below = 0, mid;
	size_t i, k = 0;
	json_t *r;

	if (v == NULL)
		return vios_error_nomem();
	json_array_foreach(rows, i, r) {
		json_t *d = json_object_get(r, key);
		if (in_month(r, month) && json_is_integer(d) && weight(r) > 0) {
			v[k][0] = json_integer_value(d);
			v[k][1] = weight(r);
			total += v[k++][1];
		}
	}
	qsort(v, k, sizeof(*v), cmp_ll);
	*n = total;
	*median = -1;
	/* the ((total - 1) / 2)-th value (from 0) in order: the lower middle one */
	mid = (total - 1) / 2;
	for (i = 0; total > 0 && i < k; i++) {
		below += v[i][1];
		if (below > mid) {
			*median = v[i][0];
			break;
		}
	}
	free(v);
	return 0;
}

/* The case figure word of a case row ("cases-<status>" or
 * "cases-escalated-<target>") into buf; 0 when the row makes none. */
static int case_figure(char *buf, size_t len, json_t *r)
{
	const char *status = json_string_value(json_object_get(r, "status"));
	const char *target = json_string_value(json_object_get(r, "target"));
	int k;

	if (status == NULL || vios_case_status_index(status) < 0)
		return 0;
	if (vios_case_status_index(status) != VIOS_CASE_ESCALATED)
		k = snprintf(buf, len, VIOS_FIGURE_CASES_PREFIX "%s", status);
	else if (target && *target && strspn(target, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(target))
		k = snprintf(buf, len, VIOS_FIGURE_ESCALATED_PREFIX "%s", target);
	else
		k = snprintf(buf, len, VIOS_FIGURE_ESCALATED_PREFIX "unknown");
	return k > 0 && (size_t)k < len;
}

int vios_figure_is_median(const char *figure)
{
	assert(figure != NULL);
	return !strcmp(figure, VIOS_FIGURE_DISCUSSION_DAYS) || !strcmp(figure, VIOS_FIGURE_CASE_DAYS);
}

_Static_assert(VIOS_CASE_ESCALATED == VIOS_CASE_STATUS_COUNT - 1, "escalated is the last status");

int vios_figure_base(char *out, size_t len, int i)
{
	static const char *const head[] = { VIOS_FIGURE_DISCUSSION_DAYS, VIOS_FIGURE_CASE_DAYS };
	static const char *const tail[] = { VIOS_FIGURE_AGREEMENTS_DUE, VIOS_FIGURE_AGREEMENTS_ON_TIME };
	const int nstatus = VIOS_CASE_STATUS_COUNT - 1; /* escalated goes by target */
	int k;

	assert(out != NULL && len > 0);
	if (i < 0 || i >= 2 + nstatus + 2)
		return 0;
	if (i < 2)
		k = snprintf(out, len, "%s", head[i]);
	else if (i < 2 + nstatus) /* escalated is the last status */
		k = snprintf(out, len, VIOS_FIGURE_CASES_PREFIX "%s", vios_case_status_name(i - 2));
	else
		k = snprintf(out, len, "%s", tail[i - 2 - nstatus]);
	return k > 0 && (size_t)k < len;
}

/* ---- the period ---------------------------------------------------------- */

int vios_evaluate_period(char lo[8], char hi[8], const char *from, const char *to)
{
	if ((from && !vios_month_valid(from)) || (to && !vios_month_valid(to))) {
		vios_error_set(VIOS_ERR_INPUT, "--from and --to take a month, YYYY-MM (01 to 12)");
		return VIOS_EUSAGE;
	}
	if (to)
		snprintf(hi, 8, "%s", to);
	else
		vios_this_month(hi);
	if (from)
		snprintf(lo, 8, "%s", from);
	else
		vios_month_add(lo, hi, -11);
	if (strcmp(lo, hi) > 0) {
		vios_error_set(VIOS_ERR_INPUT, "--from %s is after the period's end %s%s", lo, hi, to ? "" : " (this month)");
		return VIOS_EUSAGE;
	}
	return 0;
}

/* ---- the evaluation ------------------------------------------------------ */

static json_t *median_json(long long median, long long n)
{
	return json_pack("{s:o, s:I}", "median_days", n > 0 ? json_integer((json_int_t)median) : json_null(), "n",
			 (json_int_t)n);
}

/* Adds by to obj[key]. */
static int add_to(json_t *obj, const char *key, long long by)
{
	json_t *v = json_object_get(obj, key);

	return json_object_set_new(obj, key, json_integer(json_integer_value(v) + by));
}

/* Adds 1 to obj[key]. */
static int bump(json_t *obj, const char *key)
{
	return add_to(obj, key, 1);
}

/* Signals per theme: the base themes in their order, then others by name. */
static json_t *themes_json(json_t *signals, long long *total)
{
	json_t *counts = json_object(), *out = json_array(), *r;
	const char *key;
	size_t i;
	int ok = counts && out;

	*total = 0;
	json_array_foreach(signals, i, r) {
		ok = ok && add_to(counts, json_string_value(json_object_get(r, "theme")) ?: "other", weight(r)) == 0;
		*total += weight(r);
	}
	for (int t = 0; ok && t < VIOS_THEME_COUNT; t++)
		if (json_object_get(counts, vios_theme_name(t)))
			ok = json_array_append_new(out, json_pack("{s:s, s:O}", "theme", vios_theme_name(t), "signals",
								  json_object_get(counts, vios_theme_name(t)))) == 0;
	json_object_foreach(counts, key, r)
		if (ok && vios_theme_index(key) < 0)
			ok = json_array_append_new(out, json_pack("{s:s, s:O}", "theme", key, "signals", r)) == 0;
	json_decref(counts);
	if (!ok) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int vios_evaluate(json_t **out, vios_store *st, const char *origin, const char *from, const char *to)
{
	eval_rows rows = { 0 };
	json_t *doc = NULL, *themes = NULL, *status = NULL, *targets = NULL, *r;
	char lo[8], hi[8];
	long long total, dmed, dn, cmed, cn, due = 0, on_time = 0;
	size_t i;
	int error;

	assert(out != NULL && st != NULL && origin != NULL);
	*out = NULL;
	if ((error = vios_evaluate_period(lo, hi, from, to)) < 0 || (error = rows_load(&rows, st, origin, lo, hi, 0)) < 0)
		return error;
	if ((error = median_of(&dmed, &dn, rows.signals, NULL, "discussed")) < 0 ||
	    (error = median_of(&cmed, &cn, rows.signals, NULL, "cased")) < 0)
		goto done;
	themes = themes_json(rows.signals, &total);
	status = json_object();
	targets = json_object();
	error = themes && status && targets ? 0 : vios_error_nomem();
	for (int s = 0; error == 0 && s < VIOS_CASE_STATUS_COUNT; s++)
		if (json_object_set_new(status, vios_case_status_name(s), json_integer(0)) < 0)
			error = vios_error_nomem();
	json_array_foreach(rows.cases, i, r) {
		const char *s = json_string_value(json_object_get(r, "status"));
		const char *t = json_string_value(json_object_get(r, "target"));
		if (error == 0 && s && bump(status, s) < 0)
			error = vios_error_nomem();
		if (error == 0 && s && vios_case_status_index(s) == VIOS_CASE_ESCALATED && bump(targets, t ? t : "unknown") < 0)
			error = vios_error_nomem();
	}
	if (error < 0)
		goto done;
	json_array_foreach(rows.agreements, i, r) {
		due++;
		on_time += json_integer_value(json_object_get(r, "on_time")) != 0;
	}
	doc = json_pack("{s:s, s:s, s:s, s:{s:I, s:O}, s:o, s:o, s:{s:I, s:O, s:O}, s:{s:I, s:I, s:o}}", "format",
			VIOS_EVALUATE_FORMAT, "from", lo, "to", hi, "signals", "total", (json_int_t)total, "themes", themes,
			"discussion", median_json(dmed, dn), "case", median_json(cmed, cn), "cases", "opened",
			(json_int_t)json_array_size(rows.cases), "by_status", status, "escalated_to", targets, "agreements",
			"due", (json_int_t)due, "on_time", (json_int_t)on_time, "share",
			due ? json_real((double)on_time / (double)due) : json_null());
	if (doc == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	*out = doc;
done:
	json_decref(themes);
	json_decref(status);
	json_decref(targets);
	rows_dispose(&rows);
	return error;
}

/* ---- the figures per month ---------------------------------------------- */

static int figure_add(json_t *out, const char *month, const char *figure, json_t *value, json_t *n)
{
	json_t *row = json_pack("{s:s, s:s, s:o, s:o}", "month", month, "figure", figure, "value",
				value ? value : json_null(), "n", n ? n : json_null());

	if (row == NULL || json_array_append_new(out, row) < 0)
		return vios_error_nomem();
	return 0;
}

/* The figures of one month of rows into out. */
static int month_figures(json_t *out, const eval_rows *rows, const char *month, long long min_n)
{
	static const char *const medians[][2] = { { VIOS_FIGURE_DISCUSSION_DAYS, "discussed" },
						  { VIOS_FIGURE_CASE_DAYS, "cased" } };
	json_t *counts = json_object(), *r, *v;
	const char *key;
	long long med, n, due = 0, on_time = 0;
	size_t i;
	int error = counts ? 0 : vios_error_nomem();

	for (size_t k = 0; error == 0 && k < 2; k++) {
		if ((error = median_of(&med, &n, rows->signals, month, medians[k][1])) < 0 || n == 0)
			continue;
		error = figure_add(out, month, medians[k][0], n >= min_n ? json_integer((json_int_t)med) : NULL,
				   json_integer((json_int_t)n));
	}
	json_array_foreach(rows->cases, i, r) {
		char fig[64];
		if (error == 0 && in_month(r, month) && case_figure(fig, sizeof(fig), r) && bump(counts, fig) < 0)
			error = vios_error_nomem();
	}
	json_object_foreach(counts, key, v)
		if (error == 0)
			error = figure_add(out, month, key, json_incref(v), NULL);
	json_array_foreach(rows->agreements, i, r) {
		if (!in_month(r, month))
			continue;
		due++;
		on_time += json_integer_value(json_object_get(r, "on_time")) != 0;
	}
	if (error == 0 && due)
		error = figure_add(out, month, VIOS_FIGURE_AGREEMENTS_DUE, json_integer((json_int_t)due), NULL);
	if (error == 0 && on_time)
		error = figure_add(out, month, VIOS_FIGURE_AGREEMENTS_ON_TIME, json_integer((json_int_t)on_time), NULL);
	json_decref(counts);
	return error;
}

/* Adds month m of rows' "month" members to the set months (an object). */
static int months_of(json_t *months, json_t *rows)
{
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r) {
		const char *m = json_string_value(json_object_get(r, "month"));
		if (m && vios_month_valid(m) && json_object_set_new(months, m, json_true()) < 0)
			return vios_error_nomem();
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int vios_evaluate_figures(json_t **out, vios_store *st, const char *origin, long long min_n)
{
	eval_rows rows = { 0 };
	json_t *months = NULL, *figs = NULL, *v;
	const char **order = NULL;
	const char *m;
	size_t k = 0;
	int error;

	assert(out != NULL && st != NULL && origin != NULL);
	*out = NULL;
	if ((error = rows_load(&rows, st, origin, "0000-00", "9999-99", 1)) < 0)
		return error;
	months = json_object();
	figs = json_array();
	if (months == NULL || figs == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = months_of(months, rows.signals)) < 0 || (error = months_of(months, rows.cases)) < 0 ||
	    (error = months_of(months, rows.agreements)) < 0)
		goto done;
	if ((order = calloc(json_object_size(months) + 1, sizeof(*order))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	json_object_foreach(months, m, v)
		order[k++] = m;
	qsort(order, k, sizeof(*order), cmp_str);
	for (size_t i = 0; i < k; i++)
		if ((error = month_figures(figs, &rows, order[i], min_n)) < 0)
			goto done;
	*out = figs;
	figs = NULL;
done:
	free(order);
	json_decref(months);
	json_decref(figs);
	rows_dispose(&rows);
	return error;
}

/* ---- school_figure -------------------------------------------------------- */

int vios_school_figure_own(json_t **out, vios_store *st, const char *origin)
{
	const char *p[1] = { origin };

	assert(out != NULL && st != NULL && origin != NULL);
	return vios_query(out, st, "SELECT month, figure, value, n FROM school_figure WHERE origin = ?1", p, 1);
}

int vios_school_figure_put(vios_store *st, const char *id, const char *origin, const char *month, const char *figure,
			   int has_value, long long value, int has_n, long long n, const char *updated_at)
{
	sqlite3_stmt *p = NULL;
	int rc;

	assert(st != NULL && st->db != NULL && id != NULL && origin != NULL && month != NULL);
	assert(figure != NULL && updated_at != NULL);
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO school_figure(id, origin, month, figure, value, n, updated_at)"
				" VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET value = excluded.value,"
				" n = excluded.n, updated_at = excluded.updated_at",
				-1, &p, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(p, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, origin, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 3, month, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 4, figure, -1, SQLITE_STATIC);
		if (has_value)
			sqlite3_bind_int64(p, 5, value);
		if (has_n)
			sqlite3_bind_int64(p, 6, n);
		sqlite3_bind_text(p, 7, updated_at, -1, SQLITE_STATIC);
		rc = sqlite3_step(p);
	}
	sqlite3_finalize(p);
	return vios_store_error(st->db, rc, "writing a school figure");
}

int vios_school_figure_list(json_t **out, vios_store *st, const char *lo, const char *hi)
{
	const char *p[2] = { lo, hi };

	assert(out != NULL && st != NULL && lo != NULL && hi != NULL);
	return vios_query(out, st,
			  "SELECT origin, month, figure, value, n FROM school_figure WHERE month BETWEEN ?1 AND ?2"
			  " AND origin IS NOT NULL AND figure IS NOT NULL ORDER BY origin, month, figure",
			  p, 2);
}
