/*
 * evaluate.h - a school's evaluation figures (issue 22): what its VIOS
 * table did with its signals over a period, computed from the store alone
 * (docs/rhythm.md, "Evaluation").
 *
 * Over the school's own records (origin = the school):
 *   - signals per theme, by the month of seen_at;
 *   - the median number of days from a signal to its first discussion (a
 *     held meeting that lists it in meeting.discussed) and to its first
 *     case (a case that lists it in case_file.signals), with n: the
 *     signals seen in the period that got one. Median of an even n: the
 *     lower of the two middle values (a whole number of days, and a day
 *     that occurred);
 *   - the cases opened in the period, by status now and by escalation
 *     target;
 *   - the agreements due in the period: how many, how many done by their
 *     due date (the date of done_at <= due_date), and the share.
 *
 * The same numbers per month are the school's *figures*, the theme data it
 * sends the hub in the synced table school_figure (schema/0015): counts
 * and medians, never an id or a text. This file is the one owner of that
 * vocabulary and of the SQL on school_figure.
 */
#ifndef VIOS_STORE_EVALUATE_H
#define VIOS_STORE_EVALUATE_H

#include <jansson.h>
#include <stddef.h>

#include "store/store.h"

#define VIOS_EVALUATE_FORMAT "vios-evaluate-1"

/* The figure words (school_figure.figure). Medians carry n; the others are
 * counts. A case figure is "cases-<status>" for each status but escalated,
 * and "cases-escalated-<target>" for an escalated case ("-unknown" when it
 * names none): together they count each case opened once, so no figure is
 * the sum of others. */
#define VIOS_FIGURE_DISCUSSION_DAYS "discussion-days"
#define VIOS_FIGURE_CASE_DAYS "case-days"
#define VIOS_FIGURE_AGREEMENTS_DUE "agreements-due"
#define VIOS_FIGURE_AGREEMENTS_ON_TIME "agreements-on-time"
#define VIOS_FIGURE_CASES_PREFIX "cases-"
#define VIOS_FIGURE_ESCALATED_PREFIX "cases-escalated-"

/* 1 when figure is a median (value in days, with n), 0 for a count. */
int vios_figure_is_median(const char *figure);
/* The figures every school has each month, i from 0, in the order reports
 * list them (the medians, the case statuses, the agreements): writes the
 * i-th into out and returns 1; 0 past the last (or when len is too small).
 * "cases-escalated-<target>" figures come after them, by name. */
int vios_figure_base(char *out, size_t len, int i);

/*
 * The evaluation of school origin over the months from..to (YYYY-MM, both
 * included; NULL: to = this month, from = 11 months before to), as a new
 * object (docs/rhythm.md, "Evaluation"):
 *   {"format": "vios-evaluate-1", "from", "to",
 *    "signals": {"total": N, "themes": [{"theme", "signals"}...]},
 *    "discussion": {"median_days": D|null, "n": N},
 *    "case": {"median_days": D|null, "n": N},
 *    "cases": {"opened": N, "by_status": {STATUS: N...},
 *              "escalated_to": {TARGET: N...}},
 *    "agreements": {"due": N, "on_time": N, "share": 0..1|null}}
 * VIOS_EUSAGE (one line) for a month that is not YYYY-MM with MM 01..12,
 * or from after to. Reads only.
 */
int vios_evaluate(json_t **out, vios_store *st, const char *origin, const char *from, const char *to);

/* The period [lo, hi] of --from and --to (YYYY-MM; NULL: the last 12
 * months up to this one), the one check of both: VIOS_EUSAGE with one line
 * for a month that is not YYYY-MM or from after the end. Needs no store
 * (the CLI asks it before unlocking). */
int vios_evaluate_period(char lo[8], char hi[8], const char *from, const char *to);

/*
 * The figures of school origin per month, every month it has data for:
 * [{"month", "figure", "value": N|null, "n": N|null}...]; a median whose
 * n is below min_n has value null (not sent). Reads only.
 */
int vios_evaluate_figures(json_t **out, vios_store *st, const char *origin, long long min_n);

/* The school_figure rows of origin: [{"month", "figure", "value", "n"}...]. */
int vios_school_figure_own(json_t **out, vios_store *st, const char *origin);

/* Writes (inserts or updates) one school_figure row; the caller derives id
 * from (origin, month, figure) (vios_mandate_figure_id) and holds the
 * captured transaction. value and n: NULL when has_value / has_n is 0. */
int vios_school_figure_put(vios_store *st, const char *id, const char *origin, const char *month, const char *figure,
			   int has_value, long long value, int has_n, long long n, const char *updated_at);

/* Every school_figure row with month in lo..hi: [{"origin", "month",
 * "figure", "value", "n"}...] ordered by origin, month, figure. */
int vios_school_figure_list(json_t **out, vios_store *st, const char *lo, const char *hi);

#endif
