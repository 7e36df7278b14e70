/*
 * rhythm.h - the VIOS table's rhythm (docs/rhythm.md): the triage state of
 * a signal, planned meetings, what a meeting discussed, and a meeting's
 * agenda.
 *
 * The triage state of a signal is derived, never stored, and derived here
 * only (schema/0014): every node that holds the same rows sees the same
 * state. In order of precedence:
 *   closed     the signal's closed_reason is set ("no further action",
 *              vios_signal_close);
 *   linked     a case's signals list names it (the case that was opened
 *              first is "its" case);
 *   discussed  a held meeting's discussed list names it (a meeting is held
 *              when its planned column is NULL or 0; a planned meeting
 *              discusses nothing yet);
 *   new        none of these.
 * Lists are comma lists of ids, membership by VIOS_SQL_LISTS_SIGNAL
 * (records.h), the one rule for it. Only a case or meeting of the signal's
 * own node counts (a row's references point only to rows of its owner,
 * docs/mandate.md): the merge does not look inside these lists, so a
 * meeting another node recorded (the hub's steering meeting, say) that
 * names a school's signal moves nothing on at the school.
 */
#ifndef VIOS_RHYTHM_H
#define VIOS_RHYTHM_H

#include <jansson.h>

#include "store/records.h"
#include "store/store.h"

/*
 * SQL over signal alias s (an alias of the signal table in the caller's
 * query), each a scalar expression:
 *   VIOS_SQL_SIGNAL_TRIAGE(s)        'closed', 'linked', 'discussed' or 'new';
 *   VIOS_SQL_SIGNAL_DISCUSSED_AT(s)  the date (YYYY-MM-DD) of the first held
 *                                    meeting whose discussed list names it,
 *                                    NULL when none;
 *   VIOS_SQL_SIGNAL_MEETING(s)       that meeting's id (ties by id), or NULL;
 *   VIOS_SQL_SIGNAL_LINKED_AT(s)     the date (YYYY-MM-DD, the first ten
 *                                    characters of opened_at) the first case
 *                                    that lists it was opened, NULL when none;
 *   VIOS_SQL_SIGNAL_CASE(s)          that case's id (ties by id), or NULL.
 * "Days from signal to first discussion" is then
 *   julianday(VIOS_SQL_SIGNAL_DISCUSSED_AT(s)) - julianday(s.seen_at).
 * The inner aliases are rhy_c and rhy_m: do not use them for s.
 */
#define VIOS_SQL_MEETING_HELD(m) "coalesce(" m ".planned, 0) = 0"
#define VIOS_SQL_SIGNAL_IN_CASE(s) \
	"FROM case_file rhy_c WHERE rhy_c.origin = " s ".origin AND " VIOS_SQL_LISTS_SIGNAL("rhy_c.signals", s ".id")
#define VIOS_SQL_SIGNAL_AT_MEETING(s)                                                                      \
	"FROM meeting rhy_m WHERE rhy_m.origin = " s ".origin AND " VIOS_SQL_MEETING_HELD("rhy_m") " AND " \
	VIOS_SQL_LISTS_SIGNAL("rhy_m.discussed", s ".id")
#define VIOS_SQL_SIGNAL_TRIAGE(s)                                                                       \
	"(CASE WHEN " s ".closed_reason IS NOT NULL THEN 'closed'"                                      \
	" WHEN EXISTS (SELECT 1 " VIOS_SQL_SIGNAL_IN_CASE(s) ") THEN 'linked'"                          \
	" WHEN EXISTS (SELECT 1 " VIOS_SQL_SIGNAL_AT_MEETING(s) ") THEN 'discussed' ELSE 'new' END)"
#define VIOS_SQL_SIGNAL_DISCUSSED_AT(s) "(SELECT min(rhy_m.date) " VIOS_SQL_SIGNAL_AT_MEETING(s) ")"
#define VIOS_SQL_SIGNAL_MEETING(s) \
	"(SELECT rhy_m.id " VIOS_SQL_SIGNAL_AT_MEETING(s) " ORDER BY rhy_m.date, rhy_m.id LIMIT 1)"
#define VIOS_SQL_SIGNAL_LINKED_AT(s) "(SELECT substr(min(rhy_c.opened_at), 1, 10) " VIOS_SQL_SIGNAL_IN_CASE(s) ")"
#define VIOS_SQL_SIGNAL_CASE(s) \
	"(SELECT rhy_c.id " VIOS_SQL_SIGNAL_IN_CASE(s) " ORDER BY rhy_c.opened_at, rhy_c.id LIMIT 1)"

/*
 * The items of a comma-separated list of ids (list an SQL expression; NULL
 * is empty) as the table-valued json_each: one row per item, its text in
 * `value`. json_quote keeps any text whole, so a list that is not a list
 * of ids still splits, in time linear in its length, at its commas.
 */
#define VIOS_SQL_LIST_ITEMS(list) "json_each('[' || replace(json_quote(coalesce(" list ", '')), ',', '\",\"') || ']')"

/*
 * The same two dates for every signal of node o at once (o an SQL
 * expression, e.g. a parameter), set-based: the subqueries above cost a
 * scan of the node's cases and meetings per signal; this costs one pass
 * over the signals and one over their lists' items. A WITH clause (the
 * caller follows it with its SELECT, or ", name AS (...)") defining
 *   rhy_first(id, discussed_at, linked_at)  one row per item a held
 *       meeting or a case of o lists: the earliest such meeting's date and
 *       case's opened day;
 *   rhy_signal(id, seen_at, theme, discussed_at, linked_at)  one row per
 *       signal of o, its dates NULL when nothing lists it.
 * VIOS_SQL_SIGNAL_LISTED_WITH(o) defines rhy_signal with the signals a
 * held meeting or a case of o lists only (every signal with a date is
 * among them; one a case with no opened day lists has none): what needs
 * the dates alone (the months' figures, store/evaluate.c) reads no other
 * signal.
 * discussed_at and linked_at are VIOS_SQL_SIGNAL_DISCUSSED_AT and
 * VIOS_SQL_SIGNAL_LINKED_AT of that signal: a list's items are its
 * comma-separated parts (json_quote keeps any text whole, in time linear in
 * the list), which is what VIOS_SQL_LISTS_SIGNAL matches for an id without
 * a comma (every record id is a UUID). tests/unit/test_evaluate.c compares
 * the two forms. The inner names begin with rhy_.
 */
#define VIOS_SQL_SIGNAL_FIRSTS_(o)                                                                                 \
	"WITH rhy_first(id, discussed_at, linked_at) AS (SELECT rhy_j.value,"                                      \
	" min(CASE rhy_l.kind WHEN 'm' THEN rhy_l.at END), substr(min(CASE rhy_l.kind WHEN 'c' THEN rhy_l.at END), 1, 10)" \
	" FROM (SELECT 'm' AS kind, rhy_m.date AS at, rhy_m.discussed AS list FROM meeting rhy_m"                  \
	" WHERE rhy_m.origin = " o " AND " VIOS_SQL_MEETING_HELD("rhy_m")                                        \
	" UNION ALL SELECT 'c', rhy_c.opened_at, rhy_c.signals FROM case_file rhy_c WHERE rhy_c.origin = " o ") rhy_l," \
	" " VIOS_SQL_LIST_ITEMS("rhy_l.list") " rhy_j"                                                           \
	" GROUP BY rhy_j.value), "                                                                               \
	"rhy_signal(id, seen_at, theme, discussed_at, linked_at) AS ("                                             \
	"SELECT rhy_s.id, rhy_s.seen_at, rhy_s.theme, rhy_f.discussed_at, rhy_f.linked_at FROM rhy_first rhy_f"    \
	" JOIN signal rhy_s ON rhy_s.id = rhy_f.id WHERE rhy_s.origin = " o
#define VIOS_SQL_SIGNAL_FIRSTS_WITH(o)                                                                             \
	VIOS_SQL_SIGNAL_FIRSTS_(o) " UNION ALL SELECT rhy_s.id, rhy_s.seen_at, rhy_s.theme, NULL, NULL FROM signal rhy_s" \
	" WHERE rhy_s.origin = " o " AND rhy_s.id NOT IN (SELECT id FROM rhy_first))"
#define VIOS_SQL_SIGNAL_LISTED_WITH(o) VIOS_SQL_SIGNAL_FIRSTS_(o) ")"

/* The columns every signal row the CLI shows carries besides the table's:
 * triage, discussed_at, meeting, case, linked_at (NULL when not known). */
#define VIOS_SQL_SIGNAL_TRIAGE_COLS(s)                                                              \
	VIOS_SQL_SIGNAL_TRIAGE(s) " AS triage, " VIOS_SQL_SIGNAL_DISCUSSED_AT(s) " AS discussed_at, " \
	VIOS_SQL_SIGNAL_MEETING(s) " AS meeting, " VIOS_SQL_SIGNAL_CASE(s) " AS \"case\", "          \
	VIOS_SQL_SIGNAL_LINKED_AT(s) " AS linked_at"

/* The triage states, in order of precedence (index = the state). */
typedef enum {
	VIOS_TRIAGE_CLOSED,
	VIOS_TRIAGE_LINKED,
	VIOS_TRIAGE_DISCUSSED,
	VIOS_TRIAGE_NEW
} vios_triage;

/* The state's name ("closed", ...); NULL for a value out of range. */
const char *vios_triage_name(vios_triage t);
/* The state named name, or -1. */
int vios_triage_parse(const char *name);

/*
 * The triage of signal id as one JSON object {"triage", "discussed_at",
 * "meeting", "case", "linked_at", "closed_at"} (nulls when not known). VIOS_EUSAGE for a
 * malformed id, VIOS_ENOTFOUND when the signal is not held. Not logged:
 * it shows no record's content.
 */
int vios_signal_triage(json_t **out, vios_store *st, const char *id);

/*
 * Closes signal id at triage with reason (free text, required): sets its
 * closed_reason and closed_at (today) through vios_record_edit, so the
 * write is checked, captured, judged by the mandate and logged as every
 * edit is. VIOS_EUSAGE when the signal is closed already (nothing
 * written) or reason is empty; VIOS_EDENIED when another node recorded
 * it (only a row's owner writes it); VIOS_ENOTFOUND when not held.
 */
int vios_signal_close(vios_store *st, const char *id, const char *reason);

/*
 * Checks a meeting's discussed list (the one rule, called by the records
 * layer for every write of meeting.discussed): a comma list of ids, none
 * empty, none twice, each a signal or a case this node holds and owns (a
 * row's references point only to rows of its own owner, docs/mandate.md).
 * 0, or VIOS_EUSAGE / VIOS_ENOTFOUND naming the item's position and id,
 * with label (the option, e.g. "--discussed") first.
 */
int vios_meeting_discussed_check(vios_store *st, const char *label, const char *list);

/*
 * A case meeting: kind "case", or a meeting about a case (case_id set and
 * not empty). The one test: the name guard, the discussed list's rule below
 * and the agenda ask it. Any other meeting travels as theme data.
 */
int vios_meeting_is_case(const char *kind, const char *case_id);

/*
 * What a meeting that is no case meeting may list as discussed: signals
 * about no pupil only. Such a meeting travels as theme data (to the hub,
 * and to other schools where the covenant says so), so its list may name
 * neither a case nor a signal about a pupil (their ids would tie theme
 * data to case data). Called by the records layer on the row as a write
 * leaves it, after vios_meeting_discussed_check. 0, or VIOS_EUSAGE naming
 * the item's position and id.
 */
int vios_meeting_discussed_theme_check(vios_store *st, const char *label, const char *list);

/*
 * Holds planned meeting id: writes planned = 0 with the fields given (its
 * minutes, and as the caller has them discussed and date: columns of the
 * meeting table) through vios_record_edit, checked as an edit is.
 * A meeting is held on a day that has come: its date (the planned one,
 * or the date field) at most tomorrow, as every date of what happened.
 * VIOS_EUSAGE when the meeting was held already or its date lies ahead
 * (nothing written),
 * VIOS_ENOTFOUND when not held here, vios_record_edit's errors otherwise.
 */
int vios_meeting_hold(vios_store *st, const char *id, const vios_field *fields, size_t n);

/*
 * The planned meetings dated on or after day (YYYY-MM-DD), by date then
 * id, as vios_query rows of the meeting table.
 */
int vios_meeting_upcoming(json_t **out, vios_store *st, const char *day);

/*
 * The first planned meeting dated on or after day into id:
 * VIOS_ENOTFOUND (with a message) when none is planned.
 */
int vios_meeting_next(char id[37], vios_store *st, const char *day);

/*
 * The agenda of planned meeting id (docs/rhythm.md "Agenda"):
 *   {"meeting": row, "since": the date of the last meeting of its kind held
 *    on or before its date, or null,
 *    "signals": [new signals seen on or before its date, by seen_at:
 *      {id, seen_at, theme, severity, location} and, for a case meeting
 *      only, "pupil" (the name, or null)],
 *    "cases": [cases not closed, by opened_at: {id, status, lead_role,
 *      opened_at, "pupil" (case meeting only), "overdue": [open agreements
 *      of the case or its meetings due before the meeting date:
 *      {id, owner_role, action, due_date}]}],
 *    "trends": [trends recorded on or after "since" (all when null), by
 *      creation: {id, theme, period, level, note}]}
 * VIOS_EUSAGE for a malformed id or a meeting that was held already,
 * VIOS_ENOTFOUND when not held here. Logged as a read of the meeting.
 */
int vios_meeting_agenda(json_t **out, vios_store *st, const char *id);

#endif
