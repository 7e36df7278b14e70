/*
 * report.c - see report.h.
 */
#include "sync/report.h"
#include "crdt/mandate.h"
#include "store/records.h"
#include "util/csv.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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

		if (!month || !theme || !vios_month_valid(month) || !vios_theme_valid(theme) || (have && old == n))
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

void vios_report_count(char out[24], long long n)
{
	assert(out != NULL);
	if (n < VIOS_REPORT_MIN_COUNT)
		snprintf(out, 24, "<%d", VIOS_REPORT_MIN_COUNT);
	else
		snprintf(out, 24, "%lld", n);
}

static void next_month(char m[8])
{
	assert(strlen(m) == 7 && m[4] == '-');
	int y = atoi(m), mo = atoi(m + 5) + 1;
	if (mo > 12) {
		mo = 1;
		y++;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%04d-%02d", y % 10000, mo);
	memcpy(m, buf, 7);
	m[7] = 0;
}

int vios_report_build(json_t **out, vios_store *st, const char *from, const char *to)
{
	json_t *counts = NULL, *trends = NULL, *schools = NULL, *range = NULL, *rows = NULL, *totals = NULL, *doc = NULL;
	char lo[8], hi[8], m[8];
	size_t i, s;
	int error;

	/* from and to are optional (NULL: the data's first / last month) */
	assert(out != NULL && st != NULL);
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
	rows = json_array();
	totals = json_array();
	if (rows == NULL || totals == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if (!lo[0] || !hi[0] || strcmp(lo, hi) > 0)
		goto pack; /* no data in range: an empty report */
	if ((error = vios_signal_count_list(&counts, st, lo, hi)) < 0 ||
	    (error = vios_trend_list_between(&trends, st, lo, hi)) < 0 ||
	    /* every school that ever reported: a quiet month is a row too */
	    (error = vios_signal_count_schools(&schools, st)) < 0)
		goto done;
	for (snprintf(m, sizeof(m), "%s", lo); strcmp(m, hi) <= 0; next_month(m)) {
		long long total[NTHEMES] = { 0 };
		for (s = 0; s < json_array_size(schools); s++) {
			json_t *sc = json_array_get(schools, s);
			const char *sid = json_string_value(json_object_get(sc, "origin"));
			for (int t = 0; t < NTHEMES; t++) {
				long long n = 0;
				const char *level = NULL;
				json_t *r;
				json_array_foreach(counts, i, r)
					if (!strcmp(json_string_value(json_object_get(r, "origin")) ?: "", sid) &&
					    !strcmp(json_string_value(json_object_get(r, "month")) ?: "", m) &&
					    !strcmp(json_string_value(json_object_get(r, "theme")) ?: "", vios_theme_name(t)))
						n = json_integer_value(json_object_get(r, "signals"));
				json_array_foreach(trends, i, r)
					if (!strcmp(json_string_value(json_object_get(r, "origin")) ?: "", sid) &&
					    !strcmp(json_string_value(json_object_get(r, "month")) ?: "", m) &&
					    !strcmp(json_string_value(json_object_get(r, "theme")) ?: "", vios_theme_name(t)))
						level = json_string_value(json_object_get(r, "level"));
				total[t] += n;
				json_array_append_new(rows, json_pack("{s:s, s:O, s:s, s:s, s:I, s:s?}", "month", m, "school",
								      json_object_get(sc, "name"), "school_id", sid, "theme",
								      vios_theme_name(t), "signals", (json_int_t)n, "trend", level));
			}
		}
		for (int t = 0; t < NTHEMES; t++)
			json_array_append_new(totals, json_pack("{s:s, s:s, s:I}", "month", m, "theme", vios_theme_name(t), "signals",
								(json_int_t)total[t]));
	}
pack:
	if ((doc = json_pack("{s:s, s:s, s:O, s:O}", "from", lo, "to", hi, "rows", rows, "totals", totals)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	*out = doc;
	error = 0;
done:
	json_decref(counts);
	json_decref(trends);
	json_decref(schools);
	json_decref(rows);
	json_decref(totals);
	return error;
}

int vios_report_csv(FILE *f, json_t *report)
{
	static const char *const header[] = { "month", "school", "theme", "signals", "trend" };
	size_t i;
	json_t *r;
	int error;

	assert(f != NULL && report != NULL);
	if ((error = vios_csv_row(f, header, 5)) < 0)
		return error;
	json_array_foreach(json_object_get(report, "rows"), i, r) {
		char n[24];
		const char *cells[5];
		vios_report_count(n, json_integer_value(json_object_get(r, "signals")));
		cells[0] = json_string_value(json_object_get(r, "month"));
		cells[1] = json_string_value(json_object_get(r, "school"));
		cells[2] = json_string_value(json_object_get(r, "theme"));
		cells[3] = n;
		cells[4] = json_string_value(json_object_get(r, "trend"));
		if ((error = vios_csv_row(f, cells, 5)) < 0)
			return error;
	}
	return 0;
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

static const char *const colors[NTHEMES] = { "#d62728", "#9467bd", "#8c564b", "#e377c2", "#ff7f0e", "#17becf",
					     "#bcbd22", "#1f77b4", "#2ca02c", "#7f7f7f", "#393b79", "#aaaaaa" };

/* One panel: a line per theme over the months; values below 5 are gaps. */
static void panel(FILE *f, double x0, double y0, double w, double h, const char *title, long long (*vals)[NTHEMES],
		  size_t nmonths, char (*months)[8], const char *const *trend_notes, long long ymax)
{
	double px = x0 + 48, pw = w - 100, py = y0 + 28, ph = h - 70;

	/* trend_notes is optional */
	assert(f != NULL && title != NULL && vals != NULL && (months != NULL || nmonths == 0) && ymax > 0);
	fprintf(f, "<g>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\">", x0 + 8, y0 + 18);
	xml_text(f, title);
	fputs("</text>\n", f);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n", px, py, pw, ph);
	/* the band where counts are not shown */
	{
		double bh = ph * (double)VIOS_REPORT_MIN_COUNT / (double)ymax;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#eee\"/>\n", px, py + ph - bh, pw, bh);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#888\">&lt;%d not shown</text>\n", px + 4,
			py + ph - 3, VIOS_REPORT_MIN_COUNT);
	}
	for (int k = 0; k <= 2; k++) {
		long long v = ymax * k / 2;
		double y = py + ph - ph * (double)v / (double)ymax;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">%lld</text>\n", px - 4, y + 3, v);
	}
	for (size_t m = 0; m < nmonths; m++) {
		double x = nmonths > 1 ? px + pw * (double)m / (double)(nmonths - 1) : px + pw / 2;
		if (nmonths <= 12 || m % ((nmonths + 11) / 12) == 0)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%s</text>\n", x,
				py + ph + 12, months[m]);
	}
	for (int t = 0; t < NTHEMES; t++) {
		int open = 0;
		for (size_t m = 0; m < nmonths; m++) {
			long long v = vals[m][t];
			double x = nmonths > 1 ? px + pw * (double)m / (double)(nmonths - 1) : px + pw / 2;
			double y = py + ph - ph * (double)v / (double)ymax;
			if (v < VIOS_REPORT_MIN_COUNT) {
				if (open)
					fputs("\"/>\n", f);
				open = 0;
				continue;
			}
			if (!open)
				fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colors[t]);
			fprintf(f, "%.1f,%.1f ", x, y);
			open = 1;
		}
		if (open)
			fputs("\"/>\n", f);
		for (size_t m = 0; m < nmonths; m++) {
			long long v = vals[m][t];
			double x = nmonths > 1 ? px + pw * (double)m / (double)(nmonths - 1) : px + pw / 2;
			if (v >= VIOS_REPORT_MIN_COUNT)
				fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s %s: %lld</title></circle>\n", x,
					py + ph - ph * (double)v / (double)ymax, colors[t], vios_theme_name(t), months[m], v);
		}
	}
	if (trend_notes && trend_notes[0] && trend_notes[0][0]) {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">trends: ", px, py + ph + 28);
		xml_text(f, trend_notes[0]);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

int vios_report_svg(FILE *f, json_t *report)
{
	json_t *rows = json_object_get(report, "rows"), *totals = json_object_get(report, "totals"), *r;
	char (*months)[8] = NULL, (*names)[VIOS_NAME_MAX + 1] = NULL;
	long long (*vals)[NTHEMES] = NULL, ymax = 10;
	size_t nmonths = 0, nschools = 0, i;
	double W = 960, PH = 250;
	int error = 0;

	assert(f != NULL && report != NULL);
	/* months and schools, in the order of the rows */
	months = calloc(json_array_size(totals) / NTHEMES + 1, sizeof(*months));
	names = calloc(json_array_size(rows) / NTHEMES + 1, sizeof(*names));
	if (months == NULL || names == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	json_array_foreach(totals, i, r) {
		const char *m = json_string_value(json_object_get(r, "month"));
		assert(m != NULL);
		if (nmonths == 0 || strcmp(months[nmonths - 1], m)) {
			assert(nmonths < json_array_size(totals) / NTHEMES + 1);
			snprintf(months[nmonths++], 8, "%s", m);
		}
		if (json_integer_value(json_object_get(r, "signals")) > ymax)
			ymax = json_integer_value(json_object_get(r, "signals"));
	}
	json_array_foreach(rows, i, r) {
		const char *s = json_string_value(json_object_get(r, "school"));
		size_t k;
		for (k = 0; k < nschools && strcmp(names[k], s); k++)
			;
		if (k == nschools) {
			assert(nschools < json_array_size(rows) / NTHEMES + 1);
			snprintf(names[nschools++], VIOS_NAME_MAX + 1, "%s", s);
		}
	}
	ymax = (ymax + 9) / 10 * 10; /* a round top, ticks at 0, half and top */
	if ((vals = calloc(nmonths + 1, sizeof(*vals))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n"
		   "<title>VIOS signals per theme per month</title>\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		W, 90 + PH * (double)(nschools + 1));
	fprintf(f, "<text x=\"16\" y=\"26\" font-size=\"18\" font-weight=\"bold\">Signals per theme per month, %s to %s</text>\n",
		json_string_value(json_object_get(report, "from")), json_string_value(json_object_get(report, "to")));
	fprintf(f, "<text x=\"16\" y=\"44\" font-size=\"11\" fill=\"#555\">From the theme data the schools send: counts, no personal data. Counts below %d are not shown.</text>\n",
		VIOS_REPORT_MIN_COUNT);
	for (int t = 0; t < NTHEMES; t++)
		fprintf(f, "<g><rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text></g>\n",
			16 + (t % 6) * 150, 52 + (t / 6) * 14, colors[t], 30 + (t % 6) * 150, 61 + (t / 6) * 14, vios_theme_name(t));
	/* the municipality: totals */
	memset(vals, 0, (nmonths + 1) * sizeof(*vals));
	json_array_foreach(totals, i, r) {
		assert(i / NTHEMES <= nmonths);
		vals[i / NTHEMES][i % NTHEMES] = json_integer_value(json_object_get(r, "signals"));
	}
	panel(f, 0, 84, W, PH, "Municipality (all schools)", vals, nmonths, months, NULL, ymax);
	for (size_t s = 0; s < nschools; s++) {
		char notes[512] = "";
		const char *note[1] = { notes };
		memset(vals, 0, (nmonths + 1) * sizeof(*vals));
		json_array_foreach(rows, i, r) {
			const char *lvl = json_string_value(json_object_get(r, "trend"));
			if (strcmp(json_string_value(json_object_get(r, "school")), names[s]))
				continue;
			size_t m = (i / NTHEMES) / nschools;
			if (m < nmonths)
				vals[m][i % NTHEMES] = json_integer_value(json_object_get(r, "signals"));
			if (lvl && strlen(notes) < sizeof(notes) - 64)
				snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%s%s %s (%s)", notes[0] ? "; " : "",
					 json_string_value(json_object_get(r, "theme")),
					 !strcmp(lvl, "rising") ? "rising" : !strcmp(lvl, "falling") ? "falling" : "stable",
					 json_string_value(json_object_get(r, "month")));
		}
		panel(f, 0, 84 + PH * (double)(s + 1), W, PH, names[s], vals, nmonths, months, note, ymax);
	}
	fputs("</svg>\n", f);
	if (ferror(f))
		error = vios_error_os("cannot write the SVG");
done:
	free(months);
	free(names);
	free(vals);
	return error;
}
