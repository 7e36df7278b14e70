/*
 * report.c - see report.h.
 */
#include "sync/report.h"
#include "sync/report_chart.h"
#include "crdt/mandate.h"
#include "store/evaluate.h"
#include "store/records.h"
#include "sync/consent.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define NTHEMES VIOS_THEME_COUNT

int vios_report_refresh_counts(size_t *changed, vios_store *st)
{
	json_t *rows = NULL;
	size_t i;
	json_t *r;
	char now[21];
	int error;

	assert(changed != NULL && st != NULL && st->node != NULL);
	*changed = 0;
	if (vios_kind_index(st->node->kind) != VIOS_KIND_SCHOOL)
		return 0;
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	/* every (month, theme) this school has a row or a signal for, with the count now */
	if ((error = vios_signal_count_todo(&rows, st, st->node->node_id)) < 0)
		goto done;
	vios_now_iso(now);
	json_array_foreach(rows, i, r) {
		const char *month = json_string_value(json_object_get(r, "month"));
		const char *theme = json_string_value(json_object_get(r, "theme"));
		long long n = json_integer_value(json_object_get(r, "n"));
		long long old = json_integer_value(json_object_get(r, "old"));
		int have = (int)json_integer_value(json_object_get(r, "have"));
		char id[37];

		/* every theme of this school's own signals: each was checked when written (a base theme or a
		 * local theme of the covenant approved then) */
		if (!month || !theme || !vios_month_valid(month) || !vios_theme_word_valid(theme) || (have && old == n))
			continue;
		vios_mandate_count_id(id, st->node->node_id, month, theme);
		if ((error = vios_signal_count_put(st, id, st->node->node_id, month, theme, n, now)) < 0)
			goto done;
		(*changed)++;
	}
	error = vios_store_tx_commit(st);
	json_decref(rows);
	return error;
done:
	json_decref(rows);
	vios_store_tx_rollback(st);
	return error;
}

/* A figure row's member as (has, value). */
static int member_int(long long *v, json_t *r, const char *key)
{
	json_t *j = json_object_get(r, key);

	*v = json_is_integer(j) ? json_integer_value(j) : 0;
	return json_is_integer(j);
}

/* 1 in *ok when the mandate in force lets this school make school_figure
 * rows: a covenant from before them does not, and then there is nothing
 * to send under it (docs/rhythm.md, Evaluation). */
static int figures_allowed(int *ok, vios_store *st)
{
	vios_mandate m;
	const vios_mandate_rule *rule;
	int error, t;

	*ok = 0;
	for (t = 0; vios_crdt_tables()[t] && strcmp(vios_crdt_tables()[t], "school_figure") != 0; t++)
		;
	if ((error = vios_mandate_load(&m, st, 0)) < 0)
		return error;
	rule = vios_mandate_rule_for(&m, VIOS_KIND_SCHOOL, vios_role_index(st->node->role));
	*ok = rule != NULL && (rule->create >> t & 1);
	return 0;
}

int vios_report_refresh_figures(size_t *changed, vios_store *st)
{
	json_t *want = NULL, *have = NULL, *r, *h;
	size_t i, k;
	char now[21];
	int error, ok;

	assert(changed != NULL && st != NULL && st->node != NULL);
	*changed = 0;
	if (vios_kind_index(st->node->kind) != VIOS_KIND_SCHOOL)
		return 0;
	if ((error = figures_allowed(&ok, st)) < 0 || !ok)
		return error;
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	/* a median over fewer signals than the report shows is not sent */
	if ((error = vios_evaluate_figures(&want, st, st->node->node_id, VIOS_REPORT_MIN_COUNT)) < 0 ||
	    (error = vios_school_figure_own(&have, st, st->node->node_id)) < 0)
		goto done;
	vios_now_iso(now);
	/* a row that is gone: 0 for a count, no value and n 0 for a median */
	json_array_foreach(have, k, h) {
		const char *month = json_string_value(json_object_get(h, "month"));
		const char *fig = json_string_value(json_object_get(h, "figure"));
		int found = 0, median;
		long long v, n;
		if (month == NULL || fig == NULL)
			continue;
		json_array_foreach(want, i, r)
			found |= !strcmp(json_string_value(json_object_get(r, "month")) ?: "", month) &&
				 !strcmp(json_string_value(json_object_get(r, "figure")) ?: "", fig);
		median = vios_figure_is_median(fig);
		if (found || (median ? !member_int(&v, h, "value") && member_int(&n, h, "n") && n == 0
				     : member_int(&v, h, "value") && v == 0))
			continue;
		if (json_array_append_new(want, json_pack("{s:s, s:s, s:o, s:o}", "month", month, "figure", fig, "value",
							  median ? json_null() : json_integer(0), "n",
							  median ? json_integer(0) : json_null())) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	json_array_foreach(want, i, r) {
		const char *month = json_string_value(json_object_get(r, "month"));
		const char *fig = json_string_value(json_object_get(r, "figure"));
		long long v, n, hv, hn;
		int has_v = member_int(&v, r, "value"), has_n = member_int(&n, r, "n"), same = 0;
		char id[37];
		json_array_foreach(have, k, h)
			if (!strcmp(json_string_value(json_object_get(h, "month")) ?: "", month) &&
			    !strcmp(json_string_value(json_object_get(h, "figure")) ?: "", fig))
				same = member_int(&hv, h, "value") == has_v && (!has_v || hv == v) &&
				       member_int(&hn, h, "n") == has_n && (!has_n || hn == n);
		if (same)
			continue;
		vios_mandate_figure_id(id, st->node->node_id, month, fig);
		if ((error = vios_school_figure_put(st, id, st->node->node_id, month, fig, has_v, v, has_n, n, now)) < 0)
			goto done;
		(*changed)++;
	}
	error = vios_store_tx_commit(st);
	json_decref(want);
	json_decref(have);
	return error;
done:
	json_decref(want);
	json_decref(have);
	vios_store_tx_rollback(st);
	return error;
}

/* The meta key of what the theme data was last derived at: the rules
 * (theme_data_ctx) and the store's theme data version (store.h). */
#define THEME_DATA_SEEN "theme_data_seen"

/* What the theme data is derived under: a change of the rules (a newer
 * vios, a covenant that lets figures be made) is a change. Bump the -2
 * whenever what evaluate.c or the counts derive changes, so every school
 * refreshes once after the upgrade. */
static int theme_data_ctx(char *buf, size_t len, vios_store *st)
{
	long long version;
	int error, ok;

	if ((error = figures_allowed(&ok, st)) < 0 || (error = vios_store_theme_version(&version, st)) < 0)
		return error;
	return vios_snprintf(buf, len, "vios-theme-data-2 counts figures=%d min=%d version=%lld", ok,
			     VIOS_REPORT_MIN_COUNT, version);
}

int vios_report_refresh_theme_data(size_t *counts, size_t *figures, vios_store *st)
{
	char ctx[128], *was = NULL;
	int error, same;

	assert(counts != NULL && figures != NULL && st != NULL && st->node != NULL);
	*counts = *figures = 0;
	if (vios_kind_index(st->node->kind) != VIOS_KIND_SCHOOL)
		return 0;
	if ((error = theme_data_ctx(ctx, sizeof(ctx), st)) < 0)
		return error;
	if ((error = vios_store_meta_get(&was, st, THEME_DATA_SEEN)) < 0 && error != VIOS_ENOTFOUND)
		return error;
	vios_error_clear();
	same = was != NULL && strcmp(was, ctx) == 0;
	free(was);
	if (same)
		return 0;
	/* the version after the rows are written (each refresh that wrote one
	 * counted it): what the next export compares */
	if ((error = vios_report_refresh_counts(counts, st)) < 0 || (error = vios_report_refresh_figures(figures, st)) < 0 ||
	    (error = theme_data_ctx(ctx, sizeof(ctx), st)) < 0)
		return error;
	return vios_store_meta_set(st, THEME_DATA_SEEN, ctx);
}

void vios_report_cell(char out[24], json_t *signals)
{
	assert(out != NULL);
	if (json_is_integer(signals))
		snprintf(out, 24, "%lld", (long long)json_integer_value(signals));
	else
		snprintf(out, 24, "%s", json_string_value(signals) ?: VIOS_REPORT_HIDDEN);
}

/* theme's entry {"theme", "label"} in themes, appended when absent. */
static int theme_add(json_t *themes, const vios_theme_set *set, const char *theme)
{
	size_t i;
	json_t *t;

	json_array_foreach(themes, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "theme")) ?: "", theme))
			return 0;
	return json_array_append_new(themes, json_pack("{s:s, s:s}", "theme", theme, "label",
						       vios_theme_label(set, theme))) < 0 ? vios_error_nomem() : 0;
}

/*
 * The report's themes, each {"theme", "label"} with its Dutch label
 * (vios_theme_label): the base themes in the vocabulary's order, the local
 * themes of the covenant this node approved in its order, then any other
 * theme word the counts or trends name (a covenant not approved here),
 * as they come.
 */
static int report_themes(json_t **out, vios_store *st, json_t *counts, json_t *trends)
{
	vios_theme_set set;
	json_t *themes = json_array(), *r;
	size_t i;
	int error = 0;

	*out = NULL;
	if (themes == NULL)
		return vios_error_nomem();
	if ((error = vios_consent_themes(&set, st)) < 0)
		goto done;
	for (int t = 0; t < VIOS_THEME_COUNT && error == 0; t++)
		error = theme_add(themes, &set, vios_theme_name(t));
	for (i = 0; i < set.n && error == 0; i++)
		error = theme_add(themes, &set, set.local[i].name);
	json_array_foreach(counts, i, r)
		if (error == 0 && vios_theme_word_valid(json_string_value(json_object_get(r, "theme"))))
			error = theme_add(themes, &set, json_string_value(json_object_get(r, "theme")));
	json_array_foreach(trends, i, r)
		if (error == 0 && vios_theme_word_valid(json_string_value(json_object_get(r, "theme"))))
			error = theme_add(themes, &set, json_string_value(json_object_get(r, "theme")));
done:
	if (error < 0)
		json_decref(themes);
	else
		*out = themes;
	return error;
}

/* The figure words of the steering section, in order: the base ones, then
 * every escalation target any school sent in the period, by name. */
static json_t *figure_words(json_t *figs)
{
	json_t *words = json_array(), *extra = json_object(), *r;
	const char *f, *key;
	char base[64];
	size_t i;
	int ok = words && extra;

	for (int k = 0; ok && vios_figure_base(base, sizeof(base), k); k++)
		ok = json_array_append_new(words, json_string(base)) == 0;
	json_array_foreach(figs, i, r) {
		f = json_string_value(json_object_get(r, "figure"));
		if (ok && f && !strncmp(f, VIOS_FIGURE_ESCALATED_PREFIX, strlen(VIOS_FIGURE_ESCALATED_PREFIX)))
			ok = json_object_set_new(extra, f, json_true()) == 0;
	}
	/* jansson keeps no order: sort the targets by name */
	while (ok && json_object_size(extra)) {
		const char *least = NULL;
		json_object_foreach(extra, key, r)
			if (least == NULL || strcmp(key, least) < 0)
				least = key;
		ok = json_array_append_new(words, json_string(least)) == 0 && json_object_del(extra, least) == 0;
	}
	json_decref(extra);
	if (!ok) {
		json_decref(words);
		return NULL;
	}
	return words;
}

/*
 * The exact figures of the steering section: a row per month, school and
 * figure word, {month, school, school_id, figure, value, n}: a count's
 * value the number sent (0 when none), a median's value the days sent
 * (null when not sent) and n (0 when none).
 */
static int grid_figures(json_t **out, vios_store *st, json_t *schools, const char *lo, const char *hi)
{
	json_t *figs = NULL, *words = NULL, *ix = NULL, *rows = json_array(), *r;
	char m[8];
	size_t i, s, w;
	int error;

	*out = NULL;
	if (rows == NULL)
		return vios_error_nomem();
	if ((error = vios_school_figure_list(&figs, st, lo, hi)) < 0)
		goto done;
	if ((words = figure_words(figs)) == NULL || (ix = json_object()) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	/* the rows by "origin month figure" (the three are words without a
	 * space: a node id, YYYY-MM, a figure word), so each cell is one look-up */
	json_array_foreach(figs, i, r) {
		char key[160];
		snprintf(key, sizeof(key), "%s %s %s", json_string_value(json_object_get(r, "origin")) ?: "",
			 json_string_value(json_object_get(r, "month")) ?: "", json_string_value(json_object_get(r, "figure")) ?: "");
		if (json_object_set(ix, key, r) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	for (snprintf(m, sizeof(m), "%s", lo); strcmp(m, hi) <= 0; vios_month_add(m, m, 1))
		for (s = 0; s < json_array_size(schools); s++) {
			json_t *sc = json_array_get(schools, s);
			const char *sid = json_string_value(json_object_get(sc, "origin"));
			for (w = 0; w < json_array_size(words); w++) {
				const char *f = json_string_value(json_array_get(words, w));
				int median = vios_figure_is_median(f);
				json_t *value = median ? json_null() : json_integer(0), *n = median ? json_integer(0) : json_null();
				char key[160];
				snprintf(key, sizeof(key), "%s %s %s", sid ?: "", m, f);
				if ((r = json_object_get(ix, key)) != NULL) {
					json_t *v = json_object_get(r, "value"), *k = json_object_get(r, "n");
					json_decref(value);
					json_decref(n);
					value = json_is_integer(v) ? json_incref(v) : median ? json_null() : json_integer(0);
					n = median ? (json_is_integer(k) ? json_incref(k) : json_integer(0)) : json_null();
				}
				if (json_array_append_new(rows, json_pack("{s:s, s:O, s:s, s:s, s:o, s:o}", "month", m, "school",
									  json_object_get(sc, "name"), "school_id", sid,
									  "figure", f, "value", value, "n", n)) < 0) {
					error = vios_error_nomem();
					goto done;
				}
			}
		}
	*out = rows;
	rows = NULL;
done:
	json_decref(figs);
	json_decref(words);
	json_decref(ix);
	json_decref(rows);
	return error;
}

int vios_report_grid(json_t **out, vios_store *st, const char *from, const char *to)
{
	json_t *counts = NULL, *trends = NULL, *schools = NULL, *range = NULL, *rows = NULL, *doc = NULL, *themes = NULL;
	json_t *figures = NULL;
	char lo[8], hi[8], m[8], now[8];
	size_t i, s;
	int error;

	/* from and to are optional (NULL: the data's first / last month) */
	assert(out != NULL && st != NULL && st->node != NULL);
	*out = NULL;
	if ((from && !vios_month_valid(from)) || (to && !vios_month_valid(to))) {
		vios_error_set(VIOS_ERR_INPUT, "--from and --to take a month, YYYY-MM");
		return VIOS_EUSAGE;
	}
	if ((error = vios_signal_count_range(&range, st)) < 0)
		return error;
	snprintf(lo, sizeof(lo), "%s", from ? from : json_string_value(json_object_get(json_array_get(range, 0), "lo")) ?: "");
	snprintf(hi, sizeof(hi), "%s", to ? to : json_string_value(json_object_get(json_array_get(range, 0), "hi")) ?: "");
	json_decref(range);
	/* never a month after the current one, whatever a record says */
	vios_this_month(now);
	if (hi[0] && strcmp(hi, now) > 0)
		memcpy(hi, now, sizeof(hi));
	if ((rows = json_array()) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if (!lo[0] || !hi[0] || strcmp(lo, hi) > 0)
		goto pack; /* no data in range: an empty report */
	if ((error = vios_signal_count_list(&counts, st, lo, hi)) < 0 ||
	    (error = vios_trend_list_between(&trends, st, lo, hi)) < 0 ||
	    /* every school that ever reported: a quiet month is a row too */
	    (error = vios_signal_count_schools(&schools, st)) < 0 ||
	    (error = report_themes(&themes, st, counts, trends)) < 0)
		goto done;
	for (snprintf(m, sizeof(m), "%s", lo); strcmp(m, hi) <= 0; vios_month_add(m, m, 1)) {
		for (s = 0; s < json_array_size(schools); s++) {
			json_t *sc = json_array_get(schools, s);
			const char *sid = json_string_value(json_object_get(sc, "origin"));
			for (size_t t = 0; t < json_array_size(themes); t++) {
				const char *theme = json_string_value(json_object_get(json_array_get(themes, t), "theme"));
				long long n = 0;
				const char *level = NULL;
				json_t *r;
				json_array_foreach(counts, i, r)
					if (!strcmp(json_string_value(json_object_get(r, "origin")) ?: "", sid) &&
					    !strcmp(json_string_value(json_object_get(r, "month")) ?: "", m) &&
					    !strcmp(json_string_value(json_object_get(r, "theme")) ?: "", theme))
						n = json_integer_value(json_object_get(r, "signals"));
				json_array_foreach(trends, i, r)
					if (!strcmp(json_string_value(json_object_get(r, "origin")) ?: "", sid) &&
					    !strcmp(json_string_value(json_object_get(r, "month")) ?: "", m) &&
					    !strcmp(json_string_value(json_object_get(r, "theme")) ?: "", theme))
						level = json_string_value(json_object_get(r, "level"));
				if (json_array_append_new(rows, json_pack("{s:s, s:O, s:s, s:s, s:O, s:I, s:s?}", "month", m,
									  "school", json_object_get(sc, "name"), "school_id",
									  sid, "theme", theme, "label",
									  json_object_get(json_array_get(themes, t), "label"),
									  "signals", (json_int_t)n, "trend", level)) < 0) {
					error = vios_error_nomem();
					goto done;
				}
			}
		}
	}
	if ((error = grid_figures(&figures, st, schools, lo, hi)) < 0)
		goto done;
pack:
	if ((doc = json_pack("{s:s, s:s, s:s, s:O, s:O?}", "municipality", st->node->name, "from", lo, "to", hi, "rows",
			     rows, "figures", figures)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	*out = doc;
	error = 0;
done:
	json_decref(counts);
	json_decref(trends);
	json_decref(schools);
	json_decref(themes);
	json_decref(rows);
	json_decref(figures);
	return error;
}

/* A cell's fate in the published report. */
enum { SHOWN, BELOW, HIDDEN };

/*
 * Disclosure control of one column (a month and theme): x[0..n-1] the
 * schools' exact counts. Sets status[i] and returns 1 when the total is
 * shown, 0 when it is hidden. The rule is vios_report_publish's; in
 * numbers, with L = VIOS_REPORT_MIN_COUNT - 1 (4), P the cells below the
 * threshold, C the complementary cells and R the sum of P and C (what the
 * shown total and the shown cells give away): a cell of P can be anything
 * in 0..L iff R - 0 can be made up by the others (R <= L(|P|-1) when C is
 * empty; always when it is not, a cell of C being unbounded above) and R
 * leaves L for it once every other cell is at its least (R - (L+1)|C| >= L).
 * A cell of C is then never pinned either (its range is at least L wide).
 */
static int protect_column(int *status, const long long *x, size_t n)
{
	const long long L = VIOS_REPORT_MIN_COUNT - 1;
	long long total = 0, rp = 0, need, got = 0;
	size_t np = 0, nc = 0, i;
	ssize_t best = -1;

	assert(status != NULL && (x != NULL || n == 0));
	for (i = 0; i < n; i++) {
		assert(x[i] >= 0);
		total += x[i];
		status[i] = x[i] <= L ? BELOW : SHOWN;
		if (status[i] == BELOW) {
			np++;
			rp += x[i];
		}
	}
	if (total <= L)
		return 0; /* a total below the threshold is hidden too */
	if (np == 0)
		return 1;
	if (rp >= L && rp <= L * (long long)(np - 1))
		return 1;
	/* complementary suppression, at least one cell (when the small cells
	 * sum to more than L(|P|-1), one unbounded cell is what frees them):
	 * the one smallest count that suffices */
	need = rp < L ? L - rp : 0;
	for (i = 0; i < n; i++)
		if (status[i] == SHOWN && x[i] - (L + 1) >= need && (best < 0 || x[i] < x[best]))
			best = (ssize_t)i;
	if (best >= 0) {
		status[best] = HIDDEN;
		return 1;
	}
	/* else the largest first, as few as possible */
	while (got < need) {
		best = -1;
		for (i = 0; i < n; i++)
			if (status[i] == SHOWN && x[i] > L + 1 && (best < 0 || x[i] > x[best]))
				best = (ssize_t)i;
		if (best < 0)
			break;
		status[best] = HIDDEN;
		got += x[best] - (L + 1);
		nc++;
	}
	if (got >= need && nc > 0)
		return 1;
	/* no choice protects the column: the total goes instead */
	for (i = 0; i < n; i++)
		if (status[i] == HIDDEN)
			status[i] = SHOWN;
	return 0;
}

/* A count cell as published: the number, "<5" or "x". */
static json_t *cell_json(int status, long long x)
{
	return status == SHOWN ? json_integer((json_int_t)x)
			       : json_string(status == BELOW ? VIOS_REPORT_BELOW : VIOS_REPORT_HIDDEN);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* The share of on_time in due when both are shown numbers and due is not 0. */
static json_t *share_json(json_t *due, json_t *on_time)
{
	if (!json_is_integer(due) || !json_is_integer(on_time) || json_integer_value(due) <= 0)
		return NULL;
	return json_real((double)json_integer_value(on_time) / (double)json_integer_value(due));
}

#define STEERING_NOTE_MEDIAN                                                                          \
	"the municipality's median is the median of the schools' medians shown (the lower middle one "  \
	"of an even number), not weighted by n: a mean weighted by n would let a reader solve for n's "  \
	"that are not shown"
#define STEERING_NOTE_SENT                                                                            \
	"a school sends a median only over 5 or more signals (null: fewer, or none); every count and "  \
	"every n is shown as a number, <5 or x by the rule of the signal counts, per month and figure"
#define STEERING_NOTE_CASES                                                                           \
	"cases by the month they were opened and their status now, an escalated case by its target only; " \
	"agreements by the month they are due; medians by the month the signal was seen"

/*
 * The steering section of the published report from the grid's exact
 * figures (grid_figures): per month and figure one column of the schools'
 * cells and the municipality's, each decided by protect_column as the
 * signal counts are: a count figure's value, a median's n. A median itself
 * is shown as the school sent it (only over VIOS_REPORT_MIN_COUNT signals
 * or more); the municipality's is the lower median of those.
 */
static int publish_steering(json_t **out, json_t *figures)
{
	json_t *prow = json_array(), *ptot = json_array(), *cols = json_object(), *idx, *r;
	long long *x = calloc(json_array_size(figures) + 1, sizeof(*x));
	long long *med = calloc(json_array_size(figures) + 1, sizeof(*med));
	int *status = calloc(json_array_size(figures) + 1, sizeof(*status));
	const char *key;
	size_t i, k;
	int error = 0;

	*out = NULL;
	if (prow == NULL || ptot == NULL || cols == NULL || x == NULL || med == NULL || status == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	json_array_foreach(figures, i, r) {
		const char *month = json_string_value(json_object_get(r, "month"));
		const char *school = json_string_value(json_object_get(r, "school"));
		const char *fig = json_string_value(json_object_get(r, "figure"));
		json_t *v = json_object_get(r, "value"), *n = json_object_get(r, "n"), *col;
		char ck[80];
		int median;

		if (month == NULL || !vios_month_valid(month) || school == NULL || fig == NULL || strlen(fig) > 48 ||
		    ((median = vios_figure_is_median(fig)) && (!json_is_integer(n) || json_integer_value(n) < 0)) ||
		    (!median && (!json_is_integer(v) || json_integer_value(v) < 0)) ||
		    (!json_is_null(v) && !json_is_integer(v))) {
			vios_error_set(VIOS_ERR_INPUT, "report: figure %zu of the grid is not month, school, figure, value, n", i);
			error = VIOS_ECORRUPT;
			goto done;
		}
		snprintf(ck, sizeof(ck), "%s %s", month, fig);
		if ((col = json_object_get(cols, ck)) == NULL &&
		    ((col = json_array()) == NULL || json_object_set_new(cols, ck, col) < 0)) {
			error = vios_error_nomem();
			goto done;
		}
		if (json_array_append_new(col, json_integer((json_int_t)i)) < 0 ||
		    json_array_append_new(prow, json_pack("{s:s, s:s, s:s}", "month", month, "school", school, "figure",
							  fig)) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	json_object_foreach(cols, key, idx) {
		size_t n = json_array_size(idx), nm = 0;
		const char *fig = key + 8;
		int median = vios_figure_is_median(fig), shown;
		long long total = 0;
		json_t *tot;
		char month[8];

		for (k = 0; k < n; k++) {
			json_t *g = json_array_get(figures, (size_t)json_integer_value(json_array_get(idx, k)));
			x[k] = json_integer_value(json_object_get(g, median ? "n" : "value"));
			total += x[k];
			if (median && json_is_integer(json_object_get(g, "value")))
				med[nm++] = json_integer_value(json_object_get(g, "value"));
		}
		shown = protect_column(status, x, n);
		for (k = 0; k < n; k++) {
			size_t gi = (size_t)json_integer_value(json_array_get(idx, k));
			json_t *pr = json_array_get(prow, gi), *g = json_array_get(figures, gi);
			if (median)
				json_object_set(pr, "median", json_object_get(g, "value"));
			json_object_set_new(pr, median ? "n" : "value", cell_json(status[k], x[k]));
		}
		snprintf(month, sizeof(month), "%.7s", key);
		qsort(med, nm, sizeof(*med), cmp_ll);
		tot = median ? json_pack("{s:s, s:s, s:o, s:o}", "month", month, "figure", fig, "median",
					 nm ? json_integer((json_int_t)med[(nm - 1) / 2]) : json_null(), "n",
					 shown ? json_integer((json_int_t)total) : json_string(VIOS_REPORT_HIDDEN))
			     : json_pack("{s:s, s:s, s:o}", "month", month, "figure", fig, "value",
					 shown ? json_integer((json_int_t)total) : json_string(VIOS_REPORT_HIDDEN));
		if (tot == NULL || json_array_append_new(ptot, tot) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	/* the on-time share where both of its counts are shown */
	json_array_foreach(prow, i, r) {
		json_t *due = NULL, *sh;
		if (strcmp(json_string_value(json_object_get(r, "figure")), VIOS_FIGURE_AGREEMENTS_ON_TIME) != 0)
			continue;
		for (k = 0; k < json_array_size(prow) && due == NULL; k++) {
			json_t *d = json_array_get(prow, k);
			if (!strcmp(json_string_value(json_object_get(d, "figure")), VIOS_FIGURE_AGREEMENTS_DUE) &&
			    json_equal(json_object_get(d, "month"), json_object_get(r, "month")) &&
			    json_equal(json_object_get(d, "school"), json_object_get(r, "school")))
				due = json_object_get(d, "value");
		}
		if ((sh = share_json(due, json_object_get(r, "value"))) != NULL)
			json_object_set_new(r, "share", sh);
	}
	json_array_foreach(ptot, i, r) {
		json_t *due = NULL, *sh;
		if (strcmp(json_string_value(json_object_get(r, "figure")), VIOS_FIGURE_AGREEMENTS_ON_TIME) != 0)
			continue;
		for (k = 0; k < json_array_size(ptot) && due == NULL; k++) {
			json_t *d = json_array_get(ptot, k);
			if (!strcmp(json_string_value(json_object_get(d, "figure")), VIOS_FIGURE_AGREEMENTS_DUE) &&
			    json_equal(json_object_get(d, "month"), json_object_get(r, "month")))
				due = json_object_get(d, "value");
		}
		if ((sh = share_json(due, json_object_get(r, "value"))) != NULL)
			json_object_set_new(r, "share", sh);
	}
	if ((*out = json_pack("{s:[s, s, s], s:O, s:O}", "notes", STEERING_NOTE_MEDIAN, STEERING_NOTE_SENT,
			      STEERING_NOTE_CASES, "rows", prow, "totals", ptot)) == NULL)
		error = vios_error_nomem();
done:
	json_decref(prow);
	json_decref(ptot);
	json_decref(cols);
	free(x);
	free(med);
	free(status);
	return error;
}

int vios_report_publish(json_t **out, json_t *grid)
{
	json_t *rows = json_object_get(grid, "rows"), *pub = NULL, *prow = NULL, *ptot = NULL, *cols = NULL, *r;
	json_t *steering = NULL;
	long long *x = NULL;
	int *status = NULL;
	size_t i, k;
	const char *key;
	json_t *idx;
	int error = 0;

	assert(out != NULL && grid != NULL);
	*out = NULL;
	if (!json_is_array(rows)) {
		vios_error_set(VIOS_ERR_INPUT, "report: the grid has no rows");
		return VIOS_ECORRUPT;
	}
	prow = json_array();
	ptot = json_array();
	cols = json_object(); /* "month theme" -> [row index...], in the rows' order */
	x = calloc(json_array_size(rows) + 1, sizeof(*x));
	status = calloc(json_array_size(rows) + 1, sizeof(*status));
	if (prow == NULL || ptot == NULL || cols == NULL || x == NULL || status == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	/* the published rows, counts still to decide; the columns they form */
	json_array_foreach(rows, i, r) {
		const char *month = json_string_value(json_object_get(r, "month"));
		const char *theme = json_string_value(json_object_get(r, "theme"));
		const char *school = json_string_value(json_object_get(r, "school"));
		/* the Dutch label the grid gave, else the vocabulary's (a grid from a file may have none) */
		const char *label = json_string_value(json_object_get(r, "label")) ?: vios_theme_label(NULL, theme);
		json_t *n = json_object_get(r, "signals"), *trend = json_object_get(r, "trend"), *col;
		char ck[64];

		if (month == NULL || !vios_month_valid(month) || theme == NULL || !vios_theme_word_valid(theme) ||
		    school == NULL || !json_is_integer(n) || json_integer_value(n) < 0 ||
		    (trend != NULL && !json_is_null(trend) && !json_is_string(trend))) {
			vios_error_set(VIOS_ERR_INPUT, "report: row %zu of the grid is not month, school, theme, signals", i);
			error = VIOS_ECORRUPT;
			goto done;
		}
		snprintf(ck, sizeof(ck), "%s %s", month, theme);
		if ((col = json_object_get(cols, ck)) == NULL) {
			if ((col = json_array()) == NULL || json_object_set_new(cols, ck, col) < 0) {
				error = vios_error_nomem();
				goto done;
			}
		}
		if (json_array_append_new(col, json_integer((json_int_t)i)) < 0 ||
		    json_array_append_new(prow, json_pack("{s:s, s:s, s:s, s:s, s:n}", "month", month, "school", school,
							  "theme", theme, "label", label, "signals")) < 0 ||
		    (json_is_string(trend) && json_object_set(json_array_get(prow, i), "trend", trend) < 0)) {
			error = vios_error_nomem();
			goto done;
		}
	}
	/* each column decided on its own: no count is shown in two columns */
	json_object_foreach(cols, key, idx) {
		size_t n = json_array_size(idx);
		long long total = 0;
		int shown;
		char month[8];

		for (k = 0; k < n; k++) {
			x[k] = json_integer_value(json_object_get(json_array_get(rows, (size_t)json_integer_value(json_array_get(idx, k))), "signals"));
			total += x[k];
		}
		shown = protect_column(status, x, n);
		for (k = 0; k < n; k++) {
			json_t *pr = json_array_get(prow, (size_t)json_integer_value(json_array_get(idx, k)));
			json_object_set_new(pr, "signals", status[k] == SHOWN ? json_integer((json_int_t)x[k])
							   : json_string(status[k] == BELOW ? VIOS_REPORT_BELOW : VIOS_REPORT_HIDDEN));
		}
		snprintf(month, sizeof(month), "%.7s", key);
		if (json_array_append_new(ptot, json_pack("{s:s, s:s, s:O, s:o}", "month", month, "theme", key + 8, "label",
							  json_object_get(json_array_get(prow, (size_t)json_integer_value(
										 json_array_get(idx, 0))), "label"),
							  "signals",
							  shown ? json_integer((json_int_t)total) : json_string(VIOS_REPORT_HIDDEN))) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	{
		json_t *none = json_array(), *figs = json_object_get(grid, "figures");
		error = publish_steering(&steering, json_is_array(figs) ? figs : none);
		json_decref(none);
		if (error < 0)
			goto done;
	}
	pub = json_pack("{s:s, s:s, s:s, s:s, s:i, s:O, s:O, s:O}", "format", VIOS_REPORT_FORMAT, "municipality",
			json_string_value(json_object_get(grid, "municipality")) ?: "", "from",
			json_string_value(json_object_get(grid, "from")) ?: "", "to",
			json_string_value(json_object_get(grid, "to")) ?: "", "threshold", VIOS_REPORT_MIN_COUNT, "rows", prow,
			"totals", ptot, "steering", steering);
	if (pub == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	*out = pub;
done:
	json_decref(steering);
	json_decref(prow);
	json_decref(ptot);
	json_decref(cols);
	free(x);
	free(status);
	return error;
}

int vios_report_build(json_t **out, vios_store *st, const char *from, const char *to)
{
	json_t *grid = NULL;
	int error;

	assert(out != NULL && st != NULL);
	*out = NULL;
	if ((error = vios_report_grid(&grid, st, from, to)) == 0)
		error = vios_report_publish(out, grid);
	json_decref(grid);
	return error;
}

/* A municipality's row of the CSV: its month and theme, no school. */
static int csv_total_row(FILE *f, vios_csv_dialect d, json_t *tr)
{
	char n[24];
	const char *cells[5];

	vios_report_cell(n, json_object_get(tr, "signals"));
	cells[0] = json_string_value(json_object_get(tr, "month"));
	cells[1] = "";
	cells[2] = json_string_value(json_object_get(tr, "theme"));
	cells[3] = n;
	cells[4] = NULL;
	return vios_csv_row_as(f, d, cells, 5);
}

int vios_report_csv(FILE *f, json_t *pub, vios_csv_dialect d)
{
	static const char *const header[] = { "month", "school", "theme", "signals", "trend" };
	json_t *totals = json_object_get(pub, "totals"), *r;
	size_t i, t = 0;
	int error;

	assert(f != NULL && pub != NULL);
	if ((error = vios_csv_begin(f, d)) < 0 || (error = vios_csv_row_as(f, d, header, 5)) < 0)
		return error;
	json_array_foreach(json_object_get(pub, "rows"), i, r) {
		const char *month = json_string_value(json_object_get(r, "month"));
		char n[24];
		const char *cells[5];

		/* the municipality's rows close each month */
		for (; t < json_array_size(totals) &&
		       strcmp(json_string_value(json_object_get(json_array_get(totals, t), "month")) ?: "", month) < 0;
		     t++)
			if ((error = csv_total_row(f, d, json_array_get(totals, t))) < 0)
				return error;
		vios_report_cell(n, json_object_get(r, "signals"));
		cells[0] = month;
		cells[1] = json_string_value(json_object_get(r, "school"));
		cells[2] = json_string_value(json_object_get(r, "theme"));
		cells[3] = n;
		cells[4] = json_string_value(json_object_get(r, "trend"));
		if ((error = vios_csv_row_as(f, d, cells, 5)) < 0)
			return error;
	}
	for (; t < json_array_size(totals); t++)
		if ((error = csv_total_row(f, d, json_array_get(totals, t))) < 0)
			return error;
	return 0;
}

/* One steering line: a count's value, or a median's days and n. */
static void steering_line(FILE *f, const char *month, const char *school, json_t *r)
{
	json_t *med = json_object_get(r, "median"), *share = json_object_get(r, "share");
	char c[24], n[24], days[24];

	if (json_object_get(r, "n") != NULL) {
		vios_report_cell(n, json_object_get(r, "n"));
		snprintf(days, sizeof(days), json_is_integer(med) ? "%lld days" : "-", (long long)json_integer_value(med));
		fprintf(f, "%-8s %-24s %-32s %9s  n %s\n", month, school, json_string_value(json_object_get(r, "figure")), days,
			n);
		return;
	}
	vios_report_cell(c, json_object_get(r, "value"));
	fprintf(f, "%-8s %-24s %-32s %9s", month, school, json_string_value(json_object_get(r, "figure")), c);
	if (json_is_number(share))
		fprintf(f, "  (%.0f%% on time)", json_number_value(share) * 100.0);
	fputc('\n', f);
}

/* The steering section: per month the municipality's figures, then each
 * school's with something shown (a number or a median), then the notes. */
static void steering_text(FILE *f, json_t *st)
{
	json_t *rows = json_object_get(st, "rows"), *totals = json_object_get(st, "totals"), *r, *t;
	size_t i, k, hidden = 0;

	if (st == NULL)
		return;
	fprintf(f, "\nsteering group: evaluation figures per month (docs/rhythm.md, Evaluation)\n");
	fprintf(f, "%-8s %-24s %-32s %9s\n", "MONTH", "SCHOOL", "FIGURE", "VALUE");
	json_array_foreach(totals, k, t) {
		const char *month = json_string_value(json_object_get(t, "month"));
		const char *fig = json_string_value(json_object_get(t, "figure"));
		if (json_is_integer(json_object_get(t, "value")) || json_is_integer(json_object_get(t, "n")) ||
		    json_is_integer(json_object_get(t, "median")))
			steering_line(f, month, "(all schools)", t);
		json_array_foreach(rows, i, r) {
			json_t *v = json_object_get(r, "value");
			if (strcmp(json_string_value(json_object_get(r, "month")) ?: "", month ?: "") != 0 ||
			    strcmp(json_string_value(json_object_get(r, "figure")) ?: "", fig ?: "") != 0)
				continue;
			if (!json_is_integer(v) && !json_is_integer(json_object_get(r, "median"))) {
				hidden++;
				continue;
			}
			steering_line(f, month, json_string_value(json_object_get(r, "school")) ?: "", r);
		}
	}
	fprintf(f, "%zu school figures not listed (%s or %s, or no median)\n", hidden, VIOS_REPORT_BELOW, VIOS_REPORT_HIDDEN);
	json_array_foreach(json_object_get(st, "notes"), i, r)
		fprintf(f, "note: %s\n", json_string_value(r));
}

int vios_report_text(FILE *f, json_t *pub)
{
	size_t i, shown = 0, hidden = 0;
	json_t *r;

	assert(f != NULL && pub != NULL);
	fprintf(f, "signals per theme per month, %s, %s to %s\n", json_string_value(json_object_get(pub, "municipality")) ?: "",
		json_string_value(json_object_get(pub, "from")) ?: "", json_string_value(json_object_get(pub, "to")) ?: "");
	fprintf(f, "%s: fewer than %d (0 included); %s: not shown, so that no count below %d can be worked out "
		   "(docs/disclosure.md)\n", VIOS_REPORT_BELOW, VIOS_REPORT_MIN_COUNT, VIOS_REPORT_HIDDEN, VIOS_REPORT_MIN_COUNT);
	fprintf(f, "%-8s %-24s %-15s %7s  %-8s %s\n", "MONTH", "SCHOOL", "THEME", "SIGNALS", "TREND", "LABEL");
	/* a school's row when its count is shown or it has a trend: what is
	 * listed depends on what is published only */
	json_array_foreach(json_object_get(pub, "rows"), i, r) {
		json_t *n = json_object_get(r, "signals");
		char c[24];
		if (!json_is_integer(n) && !json_is_string(json_object_get(r, "trend"))) {
			hidden++;
			continue;
		}
		vios_report_cell(c, n);
		fprintf(f, "%-8s %-24s %-15s %7s  %-8s %s\n", json_string_value(json_object_get(r, "month")),
			json_string_value(json_object_get(r, "school")), json_string_value(json_object_get(r, "theme")), c,
			json_string_value(json_object_get(r, "trend")) ?: "", json_string_value(json_object_get(r, "label")) ?: "");
		shown++;
	}
	json_array_foreach(json_object_get(pub, "totals"), i, r) {
		char c[24];
		if (!json_is_integer(json_object_get(r, "signals")))
			continue;
		vios_report_cell(c, json_object_get(r, "signals"));
		fprintf(f, "%-8s %-24s %-15s %7s  %-8s %s\n", json_string_value(json_object_get(r, "month")), "(all schools)",
			json_string_value(json_object_get(r, "theme")), c, "", json_string_value(json_object_get(r, "label")) ?: "");
	}
	fprintf(f, "%zu school rows with a count or a trend shown; %zu not listed (%s or %s, no trend)\n", shown, hidden,
		VIOS_REPORT_BELOW, VIOS_REPORT_HIDDEN);
	steering_text(f, json_object_get(pub, "steering"));
	return ferror(f) ? vios_error_os("cannot write the report") : 0;
}

static void xml_text(FILE *f, const char *s)
{
	assert(f != NULL && s != NULL);
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

const char *const vios_chart_colors[VIOS_THEME_COUNT] = { "#d62728", "#9467bd", "#8c564b", "#e377c2",
							  "#ff7f0e", "#17becf", "#bcbd22", "#1f77b4",
							  "#2ca02c", "#7f7f7f", "#393b79", "#aaaaaa" };

void vios_chart_dispose(vios_chart *c)
{
	if (c == NULL)
		return;
	free(c->months);
	free(c->titles);
	free(c->vals);
	memset(c, 0, sizeof(*c));
}

static long long value_of(json_t *signals)
{
	if (json_is_integer(signals))
		return json_integer_value(signals);
	return !strcmp(json_string_value(signals) ?: "", VIOS_REPORT_BELOW) ? VIOS_CHART_BELOW : VIOS_CHART_HIDDEN;
}

int vios_chart_make(vios_chart *c, json_t *pub)
{
	json_t *rows = json_object_get(pub, "rows"), *totals = json_object_get(pub, "totals"), *r;
	size_t i, cap_m, cap_p;
	int error = 0;

	assert(c != NULL && pub != NULL);
	memset(c, 0, sizeof(*c));
	c->ymax = 10;
	c->stride = cap_m = json_array_size(totals) / NTHEMES + 1;
	cap_p = json_array_size(rows) / NTHEMES + 2;
	c->months = calloc(cap_m, sizeof(*c->months));
	c->titles = calloc(cap_p, sizeof(*c->titles));
	c->vals = calloc(cap_p * cap_m * NTHEMES, sizeof(*c->vals));
	if (c->months == NULL || c->titles == NULL || c->vals == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (i = 0; i < cap_p * cap_m * NTHEMES; i++)
		c->vals[i] = VIOS_CHART_HIDDEN;
	c->titles[0] = "all schools";
	c->npanels = 1;
	/* months from the totals (month, then theme) */
	json_array_foreach(totals, i, r) {
		const char *m = json_string_value(json_object_get(r, "month"));
		int t = vios_theme_index(json_string_value(json_object_get(r, "theme")) ?: "");
		if (m == NULL || t < 0)
			continue;
		if (c->nmonths == 0 || strcmp(c->months[c->nmonths - 1], m)) {
			if (c->nmonths == cap_m)
				break;
			snprintf(c->months[c->nmonths++], 8, "%s", m);
		}
		c->vals[(c->nmonths - 1) * NTHEMES + (size_t)t] = value_of(json_object_get(r, "signals"));
	}
	/* a panel per school, in the order of the rows */
	json_array_foreach(rows, i, r) {
		const char *s = json_string_value(json_object_get(r, "school")) ?: "";
		const char *m = json_string_value(json_object_get(r, "month")) ?: "";
		int t = vios_theme_index(json_string_value(json_object_get(r, "theme")) ?: "");
		size_t p, mi;
		for (p = 1; p < c->npanels && strcmp(c->titles[p], s); p++)
			;
		if (p == c->npanels) {
			if (p == cap_p)
				continue;
			c->titles[c->npanels++] = s;
		}
		for (mi = 0; mi < c->nmonths && strcmp(c->months[mi], m); mi++)
			;
		if (mi == c->nmonths || t < 0)
			continue;
		c->vals[(p * cap_m + mi) * NTHEMES + (size_t)t] = value_of(json_object_get(r, "signals"));
	}
	/* the scale from the numbers shown only */
	for (i = 0; i < cap_p * cap_m * NTHEMES; i++)
		if (c->vals[i] > c->ymax)
			c->ymax = c->vals[i];
	c->ymax = (c->ymax + 9) / 10 * 10; /* a round top, ticks at 0, half and top */
done:
	if (error < 0)
		vios_chart_dispose(c);
	return error;
}

void vios_chart_trends(char *out, size_t len, json_t *pub, const char *school)
{
	size_t i;
	json_t *r;

	assert(out != NULL && len > 0 && pub != NULL && school != NULL);
	out[0] = 0;
	json_array_foreach(json_object_get(pub, "rows"), i, r) {
		const char *lvl = json_string_value(json_object_get(r, "trend"));
		if (lvl == NULL || strcmp(json_string_value(json_object_get(r, "school")) ?: "", school) ||
		    strlen(out) + 64 > len)
			continue;
		snprintf(out + strlen(out), len - strlen(out), "%s%s %s (%s)", out[0] ? "; " : "",
			 json_string_value(json_object_get(r, "theme")),
			 !strcmp(lvl, "rising") ? "rising" : !strcmp(lvl, "falling") ? "falling" : "stable",
			 json_string_value(json_object_get(r, "month")));
	}
}

/* One panel: a line per theme over the months through the numbers shown;
 * a cell "<5" or "x" is a gap, marked on the band at the foot. */
static void panel(FILE *f, const vios_chart *c, size_t p, double x0, double y0, double w, double h, const char *trends)
{
	double px = x0 + 48, pw = w - 100, py = y0 + 28, ph = h - 70, bh = 14;
	const char *title = c->titles[p];

	assert(f != NULL && c != NULL && p < c->npanels && c->ymax > 0);
	fprintf(f, "<g>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\">", x0 + 8, y0 + 18);
	xml_text(f, p == 0 ? "Municipality (all schools)" : title);
	fputs("</text>\n", f);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n", px, py, pw, ph);
	/* the band of cells not shown */
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#eee\"/>\n", px, py + ph - bh, pw, bh);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#888\">not shown: &lt;%d, x</text>\n", px + 4,
		py + ph - 3, VIOS_REPORT_MIN_COUNT);
	for (int k = 0; k <= 2; k++) {
		long long v = c->ymax * k / 2;
		double y = py + ph - bh - (ph - bh) * (double)v / (double)c->ymax;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">%lld</text>\n", px - 4, y + 3, v);
	}
	for (size_t m = 0; m < c->nmonths; m++) {
		double x = VIOS_CHART_X(c, m, px, pw);
		if (c->nmonths <= 12 || m % ((c->nmonths + 11) / 12) == 0)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%s</text>\n", x,
				py + ph + 12, c->months[m]);
	}
	for (int t = 0; t < NTHEMES; t++) {
		int open = 0;
		for (size_t m = 0; m < c->nmonths; m++) {
			long long v = VIOS_CHART_VAL(c, p, m, t);
			if (v < 0) {
				if (open)
					fputs("\"/>\n", f);
				open = 0;
				continue;
			}
			if (!open)
				fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", vios_chart_colors[t]);
			fprintf(f, "%.1f,%.1f ", VIOS_CHART_X(c, m, px, pw), py + ph - bh - (ph - bh) * (double)v / (double)c->ymax);
			open = 1;
		}
		if (open)
			fputs("\"/>\n", f);
		for (size_t m = 0; m < c->nmonths; m++) {
			long long v = VIOS_CHART_VAL(c, p, m, t);
			double x = VIOS_CHART_X(c, m, px, pw);
			char shown[24];
			if (v >= 0) {
				snprintf(shown, sizeof(shown), "%lld", v);
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\">", x,
					py + ph - bh - (ph - bh) * (double)v / (double)c->ymax, vios_chart_colors[t]);
			} else {
				/* every cell not shown at the same place: 0 looks like 1-4 */
				snprintf(shown, sizeof(shown), "%s", v == VIOS_CHART_BELOW ? VIOS_REPORT_BELOW : VIOS_REPORT_HIDDEN);
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"none\" stroke=\"#999\">", x,
					py + ph - bh / 2);
			}
			fputs("<title>", f);
			xml_text(f, title);
			fprintf(f, ", %s, %s: ", vios_theme_name(t), c->months[m]);
			xml_text(f, shown);
			fputs("</title></circle>\n", f);
		}
	}
	if (trends && trends[0]) {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">trends: ", px, py + ph + 28);
		xml_text(f, trends);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

int vios_report_svg(FILE *f, json_t *pub)
{
	vios_chart c;
	double W = 960, PH = 250;
	int error;

	assert(f != NULL && pub != NULL);
	if ((error = vios_chart_make(&c, pub)) < 0)
		return error;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n"
		   "<title>VIOS signals per theme per month</title>\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		W, 90 + PH * (double)c.npanels);
	fputs("<text x=\"16\" y=\"26\" font-size=\"18\" font-weight=\"bold\">", f);
	xml_text(f, json_string_value(json_object_get(pub, "municipality")) ?: "");
	fprintf(f, ": signals per theme per month, %s to %s</text>\n", json_string_value(json_object_get(pub, "from")) ?: "",
		json_string_value(json_object_get(pub, "to")) ?: "");
	fprintf(f, "<text x=\"16\" y=\"44\" font-size=\"11\" fill=\"#555\">From the theme data the schools send: counts, no personal data. &lt;%d: fewer than %d; x: not shown, so that no count below %d can be worked out.</text>\n",
		VIOS_REPORT_MIN_COUNT, VIOS_REPORT_MIN_COUNT, VIOS_REPORT_MIN_COUNT);
	for (int t = 0; t < NTHEMES; t++)
		fprintf(f, "<g><rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text></g>\n",
			16 + (t % 6) * 150, 52 + (t / 6) * 14, vios_chart_colors[t], 30 + (t % 6) * 150, 61 + (t / 6) * 14,
			vios_theme_name(t));
	for (size_t p = 0; p < c.npanels; p++) {
		char trends[512];
		vios_chart_trends(trends, sizeof(trends), pub, p == 0 ? "" : c.titles[p]);
		panel(f, &c, p, 0, 84 + PH * (double)p, W, PH, p == 0 ? NULL : trends);
	}
	fputs("</svg>\n", f);
	if (ferror(f))
		error = vios_error_os("cannot write the SVG");
	vios_chart_dispose(&c);
	return error;
}
