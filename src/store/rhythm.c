/*
 * rhythm.c - see rhythm.h. The one place a signal's triage state is
 * derived (the SQL in rhythm.h), a meeting's discussed list is checked and
 * an agenda is assembled. Writes go through the records layer
 * (vios_record_edit), so they are checked, captured, judged by the
 * mandate and logged as every write is.
 */
#include "store/rhythm.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <string.h>

static const char *const triage_names[] = {
	[VIOS_TRIAGE_CLOSED] = "closed",
	[VIOS_TRIAGE_LINKED] = "linked",
	[VIOS_TRIAGE_DISCUSSED] = "discussed",
	[VIOS_TRIAGE_NEW] = "new",
};

const char *vios_triage_name(vios_triage t)
{
	return (unsigned)t < sizeof(triage_names) / sizeof(triage_names[0]) ? triage_names[t] : NULL;
}

int vios_triage_parse(const char *name)
{
	assert(name != NULL);
	for (size_t i = 0; i < sizeof(triage_names) / sizeof(triage_names[0]); i++)
		if (!strcmp(triage_names[i], name))
			return (int)i;
	return -1;
}

/* The one row of zSql over id, or VIOS_ENOTFOUND naming what. */
static int one_row(json_t **out, vios_store *st, const char *zSql, const char *id, const char *what)
{
	const char *p[] = { id };
	int error;

	*out = NULL;
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a %s id", id, what);
		return VIOS_EUSAGE;
	}
	if ((error = vios_query(out, st, zSql, p, 1)) < 0)
		return error;
	if (json_array_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
		vios_error_set(VIOS_ERR_INPUT, "no %s with id %s", what, id);
		return VIOS_ENOTFOUND;
	}
	return 0;
}

int vios_signal_triage(json_t **out, vios_store *st, const char *id)
{
	json_t *rows = NULL;
	int error;

	assert(out != NULL && st != NULL && id != NULL);
	*out = NULL;
	if ((error = one_row(&rows, st, "SELECT " VIOS_SQL_SIGNAL_TRIAGE_COLS("s") ", s.closed_at FROM signal s WHERE s.id = ?1", id,
			     "signal")) < 0)
		return error;
	*out = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return 0;
}

int vios_signal_close(vios_store *st, const char *id, const char *reason)
{
	json_t *rows = NULL, *row;
	char day[11];
	vios_field f[2];
	int error;

	assert(st != NULL && id != NULL && reason != NULL);
	if ((error = one_row(&rows, st, "SELECT origin, closed_reason, closed_at FROM signal WHERE id = ?1", id, "signal")) < 0)
		return error;
	row = json_array_get(rows, 0);
	if (!json_is_null(json_object_get(row, "closed_reason"))) {
		vios_error_set(VIOS_ERR_INPUT, "signal %s was closed already (on %s)", id,
			       json_string_value(json_object_get(row, "closed_at")) ?: "an unknown day");
		error = VIOS_EUSAGE;
	} else if (!json_is_string(json_object_get(row, "origin")) ||
		   strcmp(json_string_value(json_object_get(row, "origin")), st->node->node_id) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "signal %s was recorded by another node: only that node closes it", id);
		error = VIOS_EDENIED;
	}
	json_decref(rows);
	if (error < 0)
		return error;
	vios_today(day);
	f[0] = (vios_field){ "closed_reason", reason };
	f[1] = (vios_field){ "closed_at", day };
	return vios_record_edit(NULL, st, "signal", id, f, 2);
}

/* What item (an id) of a discussed list is: "signal" or "case" in kind,
 * 1 in *own when this node recorded it; VIOS_ENOTFOUND when not held. */
static int discussed_item(const char **kind, int *own, vios_store *st, const char *item)
{
	const char *p[] = { item };
	json_t *rows = NULL, *row;
	int error;

	if ((error = vios_query(&rows, st,
				"SELECT 'signal' AS kind, origin FROM signal WHERE id = ?1"
				" UNION ALL SELECT 'case', origin FROM case_file WHERE id = ?1", p, 1)) < 0)
		return error;
	row = json_array_get(rows, 0);
	if (row == NULL) {
		error = VIOS_ENOTFOUND;
	} else {
		*kind = !strcmp(json_string_value(json_object_get(row, "kind")), "case") ? "case" : "signal";
		*own = json_is_string(json_object_get(row, "origin")) &&
		       !strcmp(json_string_value(json_object_get(row, "origin")), st->node->node_id);
	}
	json_decref(rows);
	return error;
}

int vios_meeting_discussed_check(vios_store *st, const char *label, const char *list)
{
	const char *p = list, *kind = NULL;
	char item[64];
	int pos = 0, own = 0, error;

	assert(st != NULL && label != NULL && list != NULL);
	for (;;) {
		size_t k = strcspn(p, ",");
		pos++;
		if (k == 0 || k >= sizeof(item)) {
			vios_error_set(VIOS_ERR_INPUT, "%s: item %d is %s, not a signal or case id", label, pos,
				       k == 0 ? "empty" : "too long");
			return VIOS_EUSAGE;
		}
		memcpy(item, p, k);
		item[k] = 0;
		if (!vios_uuid_valid(item)) {
			vios_error_set(VIOS_ERR_INPUT, "%s: item %d '%s' is not a signal or case id", label, pos, item);
			return VIOS_EUSAGE;
		}
		/* each once: an earlier item with the same id */
		for (const char *q = list; q < p; q += strcspn(q, ",") + 1)
			if (strcspn(q, ",") == k && !strncmp(q, item, k)) {
				vios_error_set(VIOS_ERR_INPUT, "%s: item %d %s is listed twice", label, pos, item);
				return VIOS_EUSAGE;
			}
		if ((error = discussed_item(&kind, &own, st, item)) == VIOS_ENOTFOUND) {
			vios_error_set(VIOS_ERR_INPUT, "%s: item %d %s is no signal or case held here", label, pos, item);
			return error;
		}
		if (error < 0)
			return error;
		if (!own) {
			vios_error_set(VIOS_ERR_INPUT, "%s: item %d %s is a %s another node recorded: a meeting lists"
				       " only this node's own signals and cases", label, pos, item, kind);
			return VIOS_EUSAGE;
		}
		if (p[k] == 0)
			return 0;
		p += k + 1;
	}
}

int vios_meeting_is_case(const char *kind, const char *case_id)
{
	return (kind != NULL && !strcmp(kind, "case")) || (case_id != NULL && *case_id);
}

int vios_meeting_discussed_theme_check(vios_store *st, const char *label, const char *list)
{
	const char *p = list;
	char item[64];
	int pos = 0, error = 0;

	assert(st != NULL && label != NULL && list != NULL);
	while (*p && error == 0) {
		size_t k = strcspn(p, ",");
		const char *q[] = { item };
		json_t *rows = NULL;
		const char *what;
		pos++;
		snprintf(item, sizeof(item), "%.*s", (int)(k < sizeof(item) ? k : sizeof(item) - 1), p);
		if ((error = vios_query(&rows, st,
					"SELECT 'a case' AS what FROM case_file WHERE id = ?1"
					" UNION ALL SELECT 'a signal about a pupil' FROM signal WHERE id = ?1"
					" AND coalesce(pupil_id, '') <> ''", q, 1)) < 0)
			return error;
		what = json_string_value(json_object_get(json_array_get(rows, 0), "what"));
		if (what != NULL) {
			vios_error_set(VIOS_ERR_INPUT, "%s: item %d %s is %s: a meeting that is no case meeting travels as"
				       " theme data and lists only signals about no pupil", label, pos, item, what);
			error = VIOS_EUSAGE;
		}
		json_decref(rows);
		p += k + (p[k] ? 1 : 0);
	}
	return error;
}

int vios_meeting_hold(vios_store *st, const char *id, const vios_field *fields, size_t n)
{
	vios_field f[16];
	json_t *rows = NULL, *row;
	const char *date = NULL;
	char was[16], tomorrow[11];
	int error, planned;

	assert(st != NULL && id != NULL && (fields != NULL || n == 0));
	if (n + 1 > sizeof(f) / sizeof(f[0])) {
		vios_error_set(VIOS_ERR_INPUT, "too many fields");
		return VIOS_EUSAGE;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(fields[i].col, "planned")) {
			vios_error_set(VIOS_ERR_INPUT, "holding a meeting sets planned itself");
			return VIOS_EUSAGE;
		}
		if (!strcmp(fields[i].col, "date"))
			date = fields[i].val;
	}
	if ((error = one_row(&rows, st, "SELECT planned, date FROM meeting WHERE id = ?1", id, "meeting")) < 0)
		return error;
	row = json_array_get(rows, 0);
	planned = json_integer_value(json_object_get(row, "planned")) == 1;
	snprintf(was, sizeof(was), "%s", json_string_value(json_object_get(row, "date")) ?: "");
	json_decref(rows);
	if (!planned) {
		vios_error_set(VIOS_ERR_INPUT, "meeting %s was held already", id);
		return VIOS_EUSAGE;
	}
	/* held is what happened: on a day that has come (a day of slack, as
	 * the records' dates of what happened have) */
	vios_day_after(tomorrow, 1);
	if (date == NULL && strcmp(was, tomorrow) > 0) {
		vios_error_set(VIOS_ERR_INPUT, "meeting %s is planned for %s: hold it then, or give the day it was"
			       " held with --date", id, was);
		return VIOS_EUSAGE;
	}
	if (date != NULL && vios_date_valid(date) && strcmp(date, tomorrow) > 0) {
		vios_error_set(VIOS_ERR_INPUT, "--date: %s is in the future (a meeting is held at the latest %s)", date,
			       tomorrow);
		return VIOS_EUSAGE;
	}
	if (n > 0)
		memcpy(f, fields, n * sizeof(*fields));
	f[n] = (vios_field){ "planned", "0" };
	return vios_record_edit(NULL, st, "meeting", id, f, n + 1);
}

int vios_meeting_upcoming(json_t **out, vios_store *st, const char *day)
{
	const char *q[2];

	assert(out != NULL && st != NULL && day != NULL);
	/* this node's own: another node's planned meetings held here (theme
	 * data) are not this table's */
	q[0] = day;
	q[1] = st->node->node_id;
	return vios_query(out, st, "SELECT * FROM meeting WHERE planned = 1 AND date >= ?1 AND origin = ?2"
			  " ORDER BY date, id", q, 2);
}

int vios_meeting_next(char id[37], vios_store *st, const char *day)
{
	json_t *rows = NULL;
	int error;

	assert(id != NULL && st != NULL && day != NULL);
	if ((error = vios_meeting_upcoming(&rows, st, day)) < 0)
		return error;
	if (json_array_size(rows) == 0) {
		vios_error_set(VIOS_ERR_INPUT, "no meeting is planned from %s on: plan one with 'vios meeting plan'", day);
		error = VIOS_ENOTFOUND;
	} else {
		snprintf(id, 37, "%s", json_string_value(json_object_get(json_array_get(rows, 0), "id")));
	}
	json_decref(rows);
	return error;
}

/* The agenda's parts over its meeting m (see rhythm.h), into doc. */
static int agenda_parts(json_t *doc, vios_store *st, const json_t *m)
{
	const char *date = json_string_value(json_object_get(m, "date"));
	const char *kind = json_string_value(json_object_get(m, "kind"));
	int named = vios_meeting_is_case(kind, json_string_value(json_object_get(m, "case_id")));
	/* ?1 the date, ?2 the kind, ?3 the last held meeting's date, ?4 this
	 * node: the agenda is this node's table, its own records only (another
	 * school's theme data or a hub's meeting held here is not on it) */
	const char *about = json_string_value(json_object_get(m, "case_id"));
	/* ?5 the case a meeting is about (NULL: none): its agenda is that
	 * case's, and new signals about its pupil only, so the roles of one
	 * case do not read the names of another's */
	const char *p[5] = { date, kind, NULL, st->node->node_id, about && *about ? about : NULL };
	json_t *since = NULL, *signals = NULL, *cases = NULL, *trends = NULL, *c;
	size_t i;
	int error;

	if (date == NULL || kind == NULL) {
		vios_error_set(VIOS_ERR_STORE, "meeting %s has no date or kind", json_string_value(json_object_get(m, "id")));
		return VIOS_ECORRUPT;
	}
	/* A thematic meeting's agenda names no pupil; a case meeting's may. */
	if ((error = vios_query(&since, st,
				"SELECT max(date) AS since FROM meeting WHERE kind = ?2 AND origin = ?4 AND "
				VIOS_SQL_MEETING_HELD("meeting") " AND date <= ?1", p, 4)) < 0 ||
	    (error = vios_query(&signals, st, named
				? "SELECT s.id, s.seen_at, s.theme, s.severity, s.location, p.name AS pupil FROM signal s"
				  " LEFT JOIN pupil p ON p.id = s.pupil_id WHERE s.origin = ?4 AND s.seen_at <= ?1 AND "
				  VIOS_SQL_SIGNAL_TRIAGE("s") " = 'new' AND (?5 IS NULL OR s.pupil_id ="
				  " (SELECT pupil_id FROM case_file WHERE id = ?5)) ORDER BY s.seen_at, s.id"
				: "SELECT s.id, s.seen_at, s.theme, s.severity, s.location FROM signal s"
				  " WHERE s.origin = ?4 AND s.seen_at <= ?1 AND " VIOS_SQL_SIGNAL_TRIAGE("s") " = 'new'"
				  " AND ?5 IS NULL ORDER BY s.seen_at, s.id",
				p, 5)) < 0 ||
	    (error = vios_query(&cases, st, named
				? "SELECT c.id, c.status, c.lead_role, c.opened_at, p.name AS pupil FROM case_file c"
				  " LEFT JOIN pupil p ON p.id = c.pupil_id WHERE c.origin = ?4 AND c.status IS NOT 'closed'"
				  " AND (?5 IS NULL OR c.id = ?5) ORDER BY c.opened_at, c.id"
				: "SELECT c.id, c.status, c.lead_role, c.opened_at FROM case_file c"
				  " WHERE c.origin = ?4 AND c.status IS NOT 'closed' AND ?5 IS NULL ORDER BY c.opened_at, c.id",
				p, 5)) < 0)
		goto done;
	p[2] = json_string_value(json_object_get(json_array_get(since, 0), "since"));
	if ((error = vios_query(&trends, st,
				"SELECT id, theme, period, level, note FROM trend"
				" WHERE origin = ?4 AND (?3 IS NULL OR substr(created_at, 1, 10) >= ?3) ORDER BY created_at, id",
				p, 4)) < 0)
		goto done;
	json_array_foreach(cases, i, c) {
		json_t *overdue = NULL;
		const char *q[2] = { json_string_value(json_object_get(c, "id")), date };
		/* an agreement's action is case data: on a case meeting's agenda
		 * only; any other meeting sees who owes it and since when */
		if ((error = vios_query(&overdue, st,
					named ? "SELECT id, owner_role, action, due_date FROM agreement WHERE status = 'open'"
						" AND due_date < ?2 AND (case_id = ?1"
						" OR meeting_id IN (SELECT id FROM meeting WHERE case_id = ?1)) ORDER BY due_date, id"
					      : "SELECT id, owner_role, due_date FROM agreement WHERE status = 'open'"
						" AND due_date < ?2 AND (case_id = ?1"
						" OR meeting_id IN (SELECT id FROM meeting WHERE case_id = ?1)) ORDER BY due_date, id",
					q, 2)) < 0)
			goto done;
		if (json_object_set_new(c, "overdue", overdue) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	if (json_object_set(doc, "since", p[2] ? json_object_get(json_array_get(since, 0), "since") : json_null()) < 0 ||
	    json_object_set(doc, "signals", signals) < 0 || json_object_set(doc, "cases", cases) < 0 ||
	    json_object_set(doc, "trends", trends) < 0)
		error = vios_error_nomem();
done:
	json_decref(since);
	json_decref(signals);
	json_decref(cases);
	json_decref(trends);
	return error;
}

int vios_meeting_agenda(json_t **out, vios_store *st, const char *id)
{
	json_t *rows = NULL, *doc = NULL, *m;
	int error;

	assert(out != NULL && st != NULL && id != NULL);
	*out = NULL;
	if ((error = one_row(&rows, st, "SELECT * FROM meeting WHERE id = ?1", id, "meeting")) < 0)
		return error;
	m = json_array_get(rows, 0);
	if (strcmp(json_string_value(json_object_get(m, "origin")) ?: "", st->node->node_id) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "meeting %s is another node's: an agenda is for this node's own"
			       " planned meetings (see 'vios meeting list --upcoming')", id);
		error = VIOS_EUSAGE;
		goto done;
	}
	if (json_integer_value(json_object_get(m, "planned")) != 1) {
		vios_error_set(VIOS_ERR_INPUT, "meeting %s was held already: only a planned meeting has an agenda"
			       " (see 'vios meeting list --upcoming')", id);
		error = VIOS_EUSAGE;
		goto done;
	}
	if ((doc = json_pack("{s:O}", "meeting", m)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = agenda_parts(doc, st, m)) < 0 || (error = vios_store_log(st, "read", "meeting", id, "agenda")) < 0)
		goto done;
	*out = doc;
	doc = NULL;
done:
	json_decref(rows);
	json_decref(doc);
	return error;
}
