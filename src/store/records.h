/*
 * records.h - the VIOS records on top of the store: validation, creation,
 * status changes and queries. Every change is one transaction that also
 * appends to the access log.
 *
 * Records are written as (column, value) lists of text, as they come from
 * the command line; each table's rules say which columns exist, which are
 * required and how each is checked (theme, role, date, enumeration, a
 * reference to an existing record). Queries return jansson arrays of
 * objects, one per row, keyed by column name.
 */
#ifndef VIOS_RECORDS_H
#define VIOS_RECORDS_H

#include <jansson.h>

#include "store/store.h"

typedef struct {
	const char *col;
	const char *val; /* NULL = not given */
} vios_field;

/* Validators (1 = valid). Themes and roles: node/vocab.h
 * (vios_theme_valid, vios_role_at_table). */
int vios_date_valid(const char *date);       /* YYYY-MM-DD, a real date */
int vios_month_valid(const char *month);     /* YYYY-MM */
/* Today, and the day `days` after today (negative: before), in the local
 * time zone by vios_now()'s clock, as YYYY-MM-DD: by the calendar, so a
 * day when the clocks change cannot land on the wrong date. */
void vios_today(char out[11]);
void vios_day_after(char out[11], int days);
/* This month (local time, vios_now), and month (YYYY-MM, valid) moved by
 * delta months, as YYYY-MM: the one month arithmetic (evaluate, report). */
void vios_this_month(char out[8]);
void vios_month_add(char out[8], const char *month, int delta);

/*
 * Whether a pupil born on birth_date (YYYY-MM-DD) is 16 or older today, by
 * vios_now()'s clock: 1 or 0; -1 when the date is absent or invalid. The
 * one rule for over16: no one sets it by hand (vios_record_add and _edit
 * refuse the field and write it from the birth date), and every output
 * of a pupil reports it computed today.
 */
int vios_pupil_over16(const char *birth_date);
/* Sets "over16" (true, false, or null without a birth date) on a pupil
 * row, or on every row of an array of them, from its "birth_date". */
int vios_pupil_age_mark(json_t *rows);

/*
 * Creates a record in table (pupil, signal, trend, meeting, case_file,
 * agreement) from fields; writes the new UUIDv7 to id. VIOS_EUSAGE with a
 * message naming the field for invalid input; VIOS_ENOTFOUND when a
 * referenced record does not exist.
 */
/*
 * The name guard (docs/name-guard.md). Before a record whose free text goes
 * out as theme data is written (a trend's note; the minutes of a meeting
 * that is not a case meeting; the note and source of a signal about no
 * pupil), vios_record_add and vios_record_edit check that text against this
 * store's own pupils: a pupil's full name, first name and class, last name
 * and class, local id, or class and initials. A hit refuses the write with
 * VIOS_EUSAGE and one line: "note names a pupil (Sam de Vries): record it
 * as a signal about the pupil, or rephrase" (the pupil's name goes to the
 * coordinator who typed it, never to a log or a bundle).
 *
 * vios_records_name_check(st, 0) skips the guard for the writes that follow
 * (the CLI's --no-name-check): each such write is logged in the access log
 * on the record (create or update) with the note VIOS_NAME_CHECK_SKIPPED,
 * never the text; the bundles that carry the record name it to the
 * auditor (vios-payload-3, sync/payload.h).
 */
#define VIOS_NAME_CHECK_SKIPPED "name check skipped (--no-name-check)"
void vios_records_name_check(vios_store *st, int on);

/* Every record written with the check skipped, as the access log says:
 * [{"tbl", "record_id"}...]; the exporter names those among a bundle's ops
 * in its payload (vios-payload-3). */
int vios_records_name_check_skipped(json_t **out, vios_store *st);

/*
 * 1 when text names one of the store's pupils by the rules above (*hit: the
 * pupil's name, NUL-terminated, cut at hitlen), 0 when it does not, or a
 * negative error.
 */
int vios_name_guard(char *hit, size_t hitlen, vios_store *st, const char *text);

int vios_record_add(char id[37], vios_store *st, const char *table,
		    const vios_field *fields, size_t n);
/*
 * count records of table in one transaction, as vios_record_add makes each:
 * the fields given, and column col (not among them) set to vals[i] for the
 * i-th; their ids in ids[0..count). All or none: the first error (as
 * vios_record_add's) leaves the store unchanged. A planned series of
 * meetings (store/rhythm.h) is one.
 */
int vios_record_add_series(char (*ids)[37], vios_store *st, const char *table, const vios_field *fields,
			   size_t n, const char *col, const char *const *vals, size_t count);
/*
 * The rules of issue 16 (data quality), for adds and edits alike:
 *   - pupil.over16 is never given (VIOS_EUSAGE naming --birth); it is
 *     written from birth_date.
 *   - Dates of what happened (a pupil's birth, a signal's seen_at) are at
 *     most tomorrow; meeting dates and due dates may lie ahead.
 *   - A signal with a pupil, and every case, has a basis and
 *     parents_informed (and not_informed_reason when that is 0). A case
 *     opened without parents_informed takes it from its signals when they
 *     all say the same (and their one reason, for "no"); else it is
 *     VIOS_EUSAGE naming --parents-informed.
 */

/*
 * Changes the given columns of record id in table, each checked by the rule
 * vios_record_add checks it with (the same fields, the same messages), and
 * the rules between columns (an agreement's one case or meeting, a reason
 * when parents were not informed, a case's lead among its roles) on the
 * row as the edit leaves it. At least one field; each once. Columns that
 * never change are refused: id, origin and the creation stamp (no field
 * names them), case_file.pupil_id, agreement.case_id. A case's roles and
 * lead also follow vios_case_roles' and vios_case_lead's rules.
 * Only columns whose value differs are written; *changed (when not NULL)
 * gets their names in the table's column order, a JSON array the caller
 * frees (empty when nothing differed). One transaction, logged as "update"
 * with the changed column names (never values). VIOS_EUSAGE for bad input,
 * VIOS_ENOTFOUND when a record (id or a reference) is not held, and the
 * commit hook's error unchanged (VIOS_EDENIED: outside the mandate);
 * nothing is written on any error.
 *
 * A case's marked fields, police_info (what the police shared: criminal
 * data, GDPR art. 10) and care_info (what care partners shared: special-
 * category data, art. 9), are free text up to the text limit; an empty
 * value clears one (stored as NULL), in an add as in an edit. Only the
 * case's owner writes them, as every column of a case (the mandate refuses
 * anyone else at commit: VIOS_EDENIED). The covenant says which roles
 * receive each; vios_case_show gives them as held here.
 */
int vios_record_edit(json_t **changed, vios_store *st, const char *table, const char *id,
		     const vios_field *fields, size_t n);

/* The words column col of table takes (an enumeration: a signal's
 * location, severity and basis, a trend's level, a meeting's kind, a
 * case's basis; a case's escalation_target), NULL-terminated, static; NULL for any other column. For
 * a form's choices (src/web), so no list is spelled twice. */
const char *const *vios_record_choices(const char *table, const char *col);

/*
 * Moves a case to status (and escalation target for "escalated"). Illegal
 * transitions are VIOS_EUSAGE with the allowed next statuses named.
 */
int vios_case_set_status(vios_store *st, const char *id, const char *status,
			 const char *target);
/*
 * Records step (1..5) of the meldcode on case id (src/store/meldcode.h):
 * date, an optional note, and step 5's outcome. One captured write of the
 * case's meldcode column, judged by the mandate (only the case's owner
 * writes it) and logged. VIOS_EUSAGE / VIOS_ENOTFOUND with one line.
 */
int vios_case_meldcode(vios_store *st, const char *id, int step, const char *date, const char *note,
		       const char *outcome);
/* The statuses a case may move to from `from`, as "a,b" (static text);
 * "" for a final status (vios_case_status_final: closed, escalated) and
 * for an unknown one. */
const char *vios_case_next_statuses(const char *from);

/*
 * The roles taking part in case id: add and remove are comma lists of
 * roles at the table (either may be NULL, not both; a role in both is
 * refused). The school owns the case and is never removed; the lead role
 * cannot be removed while it leads; removing a role the case does not have
 * is refused. Writes case_file.roles in the one spelling of a role list
 * (vios_role_mask_format: role order, each once), also copied to out.
 * Errors as vios_record_edit's.
 */
int vios_case_roles(char *out, size_t len, vios_store *st, const char *id, const char *add,
		    const char *remove);
/* Makes role lead case id: the school, or one of the case's roles (else
 * VIOS_EUSAGE). Errors as vios_record_edit's. */
int vios_case_lead(vios_store *st, const char *id, const char *role);

/* Marks an agreement done with optional feedback. */
int vios_agreement_done(vios_store *st, const char *id, const char *feedback);

/*
 * Runs a read-only query with text parameters and returns the rows as a
 * JSON array of objects (NULL columns as JSON null, integers as integers).
 */
int vios_query(json_t **out, vios_store *st, const char *zSql,
	       const char *const *params, size_t n);

/* The pupil row of id as a one-element array (vios_query's shape): exit 2
 * (VIOS_EUSAGE) for a malformed id, VIOS_ENOTFOUND when not held. */
int vios_pupil_row(json_t **out, vios_store *st, const char *id);

/* The pupil with its signals, cases and agreements, as one JSON object. */
int vios_pupil_show(json_t **out, vios_store *st, const char *id);
/* {"signal": row (with the triage columns, store/rhythm.h), "pupil": {id,
 * name, class} or null, "cases": [the case
 * rows whose signals list it, each with its pupil's name as "pupil", as in
 * the case list]}. Logged as a read. */
int vios_signal_show(json_t **out, vios_store *st, const char *id);
/*
 * {"case": row, "pupil": row or null, "signals": [the rows its signals
 * list names, by seen_at], "meetings": [meetings with its case_id, by
 * date], "agreements": [agreements made in it or at its meetings, by due
 * date]}. Only what this node holds: a node that takes no part in the case
 * gets VIOS_ENOTFOUND. Logged as a read.
 */
int vios_case_show(json_t **out, vios_store *st, const char *id);

/*
 * The record lists the command line shows, as vios_query rows (a JSON
 * array the caller frees with json_decref). filter[0..n) are the list's
 * filters, each NULL for "any"; n must be the count given for the list:
 *   VIOS_LIST_PUPILS      0  id, name, class, birth_date, local_id, over16,
 *                            by name
 *   VIOS_LIST_SIGNALS     4  theme, seen at or after, pupil id, triage state
 *                            (store/rhythm.h); each row with the triage
 *                            columns (VIOS_SQL_SIGNAL_TRIAGE_COLS); by seen_at
 *   VIOS_LIST_TRENDS      0  by period, theme
 *   VIOS_LIST_MEETINGS    0  by date
 *   VIOS_LIST_CASES       1  status; each case with its pupil's name
 *                            ("pupil"), by opened_at
 *   VIOS_LIST_AGREEMENTS  2  case id, a day: only open ones due before it;
 *                            by due_date
 *   VIOS_LIST_ACCESS_LOG  1  how many of the latest entries (decimal text,
 *                            "-1" for all; not NULL), oldest first
 * Ties are ordered by id (seq for the access log).
 */
typedef enum {
	VIOS_LIST_PUPILS,
	VIOS_LIST_SIGNALS,
	VIOS_LIST_TRENDS,
	VIOS_LIST_MEETINGS,
	VIOS_LIST_CASES,
	VIOS_LIST_AGREEMENTS,
	VIOS_LIST_ACCESS_LOG
} vios_list_kind;

int vios_records_list(json_t **out, vios_store *st, vios_list_kind what,
		      const char *const *filter, size_t n);
/*
 * vios_records_list, and the read written to the access log as every list
 * shown to a person is: "list[ why], N rows" on the list's table (pupil,
 * signal, trend, meeting, case_file, agreement). The one wording for the
 * CLI's lists and the web's pages. Not for VIOS_LIST_ACCESS_LOG.
 */
int vios_records_list_read(json_t **out, vios_store *st, vios_list_kind what, const char *const *filter, size_t n,
			   const char *why);
/* The read alone, for a list narrowed after it was read (the web's pupil
 * search: why "search", n the rows shown). */
int vios_records_list_log(vios_store *st, vios_list_kind what, const char *why, size_t n);

/* ---- monthly signal counts (signal_count) and what reports read ---- */

/*
 * What a school's monthly counts should be: one row per (month, theme) the
 * school `origin` has a signal or a signal_count row for, with "n" (its
 * signals now), "have" (1 when a count row exists) and "old" (that row's
 * count, -1 when none). JSON rows as vios_query's; the caller frees them.
 */
int vios_signal_count_todo(json_t **out, vios_store *st, const char *origin);
/* Inserts or updates the count row id (origin, month, theme) to signals,
 * stamped updated_at. Inside the caller's transaction. */
int vios_signal_count_put(vios_store *st, const char *id, const char *origin, const char *month,
			  const char *theme, long long signals, const char *updated_at);
/* One row {"lo", "hi"}: the first and last month of counts and of trends
 * with a YYYY-MM period (both null when there are none). */
int vios_signal_count_range(json_t **out, vios_store *st);
/* The count rows {origin, month, theme, signals} with month in [lo, hi]. */
int vios_signal_count_list(json_t **out, vios_store *st, const char *lo, const char *hi);
/* The trend rows {origin, month (the period), theme, level} with period in
 * [lo, hi], by creation time then id. */
int vios_trend_list_between(json_t **out, vios_store *st, const char *lo, const char *hi);
/* Every school that ever reported a count or a trend, {origin, name}, name
 * from the registry (the node id when it is not enrolled), by name. */
int vios_signal_count_schools(json_t **out, vios_store *st);

/*
 * SQL, the one rule of which signals a case lists and which signals are
 * about a pupil (records.c, the erasure in crdt/erase.c, the subject access
 * report in subject.c):
 *   VIOS_SQL_LISTS_SIGNAL(list, sid): the comma list `list` (a case's
 *     signals column) names signal id `sid`;
 *   VIOS_SQL_SIGNAL_ABOUT(s, p): signal alias s is about pupil p (an SQL
 *     expression, e.g. a parameter): its pupil_id is p, or it has no pupil
 *     and one of p's cases lists it (its note may describe the pupil).
 */
#define VIOS_SQL_LISTS_SIGNAL(list, sid) "instr(',' || coalesce(" list ", '') || ',', ',' || " sid " || ',') > 0"
#define VIOS_SQL_SIGNAL_ABOUT(s, p)                                                                              \
	"(" s ".pupil_id = " p " OR (" s ".pupil_id IS NULL AND EXISTS (SELECT 1 FROM case_file about_c"      \
	" WHERE about_c.pupil_id = " p " AND " VIOS_SQL_LISTS_SIGNAL("about_c.signals", s ".id") ")))"

#endif
