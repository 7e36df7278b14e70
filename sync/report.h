/*
 * report.h - trends for the steering group, from theme data only.
 *
 * A school keeps, per (month, theme), the number of signals it recorded, in
 * the synced theme table signal_count (no pupil, no note: a count). The hub
 * receives those rows and the schools' trends and reports per month, school
 * and theme. Counts below 5 are never shown as numbers ("<5"), per school and
 * for the municipality alike.
 */
#ifndef VIOS_REPORT_H
#define VIOS_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "store/store.h"

#define VIOS_REPORT_MIN_COUNT 5

/*
 * On a school node: recomputes this node's signal_count rows from its own
 * signals (in a captured transaction, so changes travel as theme ops).
 * Other kinds: nothing. *changed = rows written.
 */
int vios_report_refresh_counts(size_t *changed, vios_store *st);

/*
 * The report grid: {"from", "to", "rows": [{month, school, school_id, theme,
 * signals (integer), trend}...], "totals": [{month, theme, signals}...]}
 * for every month in [from, to] (YYYY-MM; NULL = the data's first / last
 * month), every school that reported, every theme. Exact counts: callers
 * format them with vios_report_count().
 */
int vios_report_build(json_t **out, vios_store *st, const char *from, const char *to);

/* A count as shown: "<5" below the threshold, else the number. */
void vios_report_count(char out[24], long long n);

/* Writes the grid as CSV (header month,school,theme,signals,trend) with
 * util/csv.h's quoting and formula neutralisation. */
int vios_report_csv(FILE *f, json_t *report);
/* Writes the grid as an SVG chart (a panel per school and one for the
 * municipality; counts below 5 are not drawn). */
int vios_report_svg(FILE *f, json_t *report);

#endif
