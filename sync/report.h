/*
 * report.h - trends for the steering group, from theme data only.
 *
 * A school keeps, per (month, theme), the number of signals it recorded, in
 * the synced theme table signal_count (no pupil, no note: a count). The hub
 * receives those rows and the schools' trends and reports per month, school
 * and theme, with the municipality's total per month and theme.
 *
 * Two documents, one owner of each:
 *
 *   the grid       exact counts (vios_report_grid). It never leaves this
 *                  file's callers' memory: no writer below takes it.
 *   the published  the grid after disclosure control (vios_report_publish,
 *   report         the one place the rule lives; docs/disclosure.md): every
 *                  count is a number, "<5" (fewer than 5, 0 included) or
 *                  "x" (not shown so that no "<5" can be worked out from the
 *                  numbers shown). Every output (CSV, JSON, text, SVG, PDF,
 *                  PNG) is written from it and only from it.
 *
 * The published report (format "vios-report-2", docs/formats.md; issue 22
 * added each theme's Dutch "label" and the steering section):
 *   {"format": "vios-report-2", "municipality": NAME, "from": "YYYY-MM",
 *    "to": "YYYY-MM", "threshold": 5,
 *    "rows":   [{"month", "school", "theme", "label", "signals": N|"<5"|"x",
 *                "trend"?: "rising"|"stable"|"falling"}...],
 *    "totals": [{"month", "theme", "label", "signals": N|"x"}...],
 *    "steering": {"notes": [TEXT...],
 *                 "rows": [{"month", "school", "figure",
 *                           "value": N|"<5"|"x" (a count) |
 *                           "median": DAYS|null, "n": N|"<5"|"x" (a median),
 *                           "share"?: 0..1 (agreements-on-time)}...],
 *                 "totals": [{"month", "figure", the same members}...]}}
 * rows in the order month, school (name, then node id), theme (the base
 * themes in vocab order, the local themes of the covenant this node
 * approved, then any other theme a count or trend names); totals month,
 * theme. "label" is the theme's Dutch label (vios_theme_label, vocab.h).
 * The steering section (the schools' evaluation figures, school_figure)
 * per month, school and figure (src/store/evaluate.h's words), each
 * (month, figure) one column decided by the same rule as a (month, theme)
 * of signal counts. A month after the current one is never in a report.
 */
#ifndef VIOS_REPORT_H
#define VIOS_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "store/store.h"
#include "util/csv.h"

#define VIOS_REPORT_MIN_COUNT 5
#define VIOS_REPORT_FORMAT "vios-report-2"
#define VIOS_REPORT_BELOW "<5"  /* a count below VIOS_REPORT_MIN_COUNT */
#define VIOS_REPORT_HIDDEN "x"  /* suppressed to protect a count below it */

/*
 * On a school node: recomputes this node's signal_count rows from its own
 * signals (in a captured transaction, so changes travel as theme ops).
 * Other kinds: nothing. *changed = rows written.
 */
int vios_report_refresh_counts(size_t *changed, vios_store *st);

/*
 * On a school node: brings this node's school_figure rows (its evaluation
 * figures per month, src/store/evaluate.h) up to date, in a captured
 * transaction, as vios_report_refresh_counts does for the counts. A median
 * over fewer than VIOS_REPORT_MIN_COUNT signals goes with value null (its
 * n only). Nothing when the covenant in force does not let a school make
 * school_figure rows (one from before them). *changed = rows written.
 */
int vios_report_refresh_figures(size_t *changed, vios_store *st);

/*
 * Both refreshes above, as every export runs them, skipped when nothing
 * they derive from (nor the rows they keep, nor the rules they follow)
 * changed since the last time: the store's theme data version
 * (vios_store_theme_version) and the rules are kept in the store's meta
 * and compared first, so an export of a change that touches none of it
 * reads no signal record and writes nothing. *counts, *figures = rows
 * written.
 */
int vios_report_refresh_theme_data(size_t *counts, size_t *figures, vios_store *st);

/*
 * The exact grid: {"municipality", "from", "to", "rows": [{month, school,
 * school_id, theme, label, signals (integer), trend?}...], "totals": [{month,
 * theme, signals}...], "figures": [{month, school, school_id, figure, value
 * (integer, or null for a median not sent), n (a median's, integer; null
 * for a count)}...]} for every month in [from, to] (YYYY-MM; NULL = the
 * data's first / last month; never after the current month), every school
 * that reported, every theme and figure. For vios_report_publish only; a
 * grid without "figures" publishes an empty steering section.
 */
int vios_report_grid(json_t **out, vios_store *st, const char *from, const char *to);

/*
 * Disclosure control (docs/disclosure.md): the published report of an exact
 * grid (as vios_report_grid makes, or a test tool from a JSON file with the
 * same members). Per month and theme, the schools' counts and their total:
 *   1. primary suppression: a school's count below 5 (0 too) is "<5";
 *   2. the total is shown when it is 5 or more and, with the "<5" cells of
 *      its column known only as 0..4, each of them can still be any of
 *      0..4; otherwise complementary suppression: the fewest school counts
 *      (the smallest that suffice) become "x" until that holds, and when no
 *      choice does, the total is "x" instead.
 * The grid is not changed. Returns 0 or a vios error code.
 */
int vios_report_publish(json_t **out, json_t *grid);

/* vios_report_grid, then vios_report_publish. */
int vios_report_build(json_t **out, vios_store *st, const char *from, const char *to);

/* A cell of the published report as shown: the number, "<5" or "x". */
void vios_report_cell(char out[24], json_t *signals);

/* The published report as CSV in dialect d: header
 * month,school,theme,signals,trend, a row per month, school and theme, then
 * per month a row per theme with an empty school: the municipality. */
int vios_report_csv(FILE *f, json_t *pub, vios_csv_dialect d);
/* The published report as a text table: the rows with a number or a trend
 * shown, the municipality's totals. */
int vios_report_text(FILE *f, json_t *pub);
/* The published report as an SVG chart (a panel for the municipality and
 * one per school; numbers shown are drawn, "<5" and "x" marked as such). */
int vios_report_svg(FILE *f, json_t *pub);
/* The same chart with cairo, as PDF (the one-page summary first, then a
 * page per panel) or PNG; the summary page alone with summary_only. */
int vios_report_pdf(FILE *f, json_t *pub, int summary_only);
int vios_report_png(FILE *f, json_t *pub);

#endif
