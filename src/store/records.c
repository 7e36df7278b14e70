/*
 * records.c - see records.h.
 */
#include "store/records.h"
#include "store/meldcode.h"
#include "store/caseview.h"
#include "store/rhythm.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_MAX 4000

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int vios_month_valid(const char *m)
{
	int mo;

	assert(m != NULL);
	if (strlen(m) != 7 || !digits(m, 4) || m[4] != '-' || !digits(m + 5, 2))
		return 0;
	mo = atoi(m + 5);
	return mo >= 1 && mo <= 12 && atoi(m) >= 1900;
}

int vios_date_valid(const char *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, day, max;

	assert(d != NULL);
	if (strlen(d) != 10 || !vios_month_valid((char[8]){ d[0], d[1], d[2], d[3], d[4], d[5], d[6], 0 }) ||
	    d[7] != '-' || !digits(d + 8, 2))
		return 0;
	y = atoi(d);
	mo = atoi(d + 5);
	day = atoi(d + 8);
	max = mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	return day >= 1 && day <= max;
}

/* The day `days` after today, by vios_now()'s clock, as YYYY-MM-DD: by the
 * calendar (noon, so a 23- or 25-hour day when the clocks change cannot
 * land on the wrong date), not by adding seconds. */
void vios_day_after(char out[11], int days)
{
	time_t t = vios_now();
	struct tm tm;
	localtime_r(&t, &tm);
	tm.tm_mday += days;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void vios_today(char out[11])
{
	vios_day_after(out, 0);
}

void vios_this_month(char out[8])
{
	char day[11];

	vios_today(day);
	memcpy(out, day, 7);
	out[7] = 0;
}

void vios_month_add(char out[8], const char *month, int delta)
{
	int m = atoi(month) * 12 + atoi(month + 5) - 1 + delta;
	char buf[32];

	assert(vios_month_valid(month));
	if (m < 0)
		m = 0;
	snprintf(buf, sizeof(buf), "%04d-%02d", (m / 12) % 10000, m % 12 + 1);
	memcpy(out, buf, 7);
	out[7] = 0;
}

int vios_pupil_over16(const char *birth_date)
{
	char day[11], cutoff[16];

	if (birth_date == NULL || !vios_date_valid(birth_date))
		return -1;
	/* 16 years before today, as text: 16 is a multiple of 4, so a 29
	 * February maps to a leap year (text order holds either way). */
	vios_today(day);
	snprintf(cutoff, sizeof(cutoff), "%04d%.6s", (atoi(day) - 16) % 10000, day + 4);
	return strcmp(birth_date, cutoff) <= 0;
}

int vios_pupil_age_mark(json_t *rows)
{
	size_t i;
	json_t *row;

	assert(rows != NULL);
	if (json_is_object(rows)) {
		int o = vios_pupil_over16(json_string_value(json_object_get(rows, "birth_date")));
		return json_object_set_new(rows, "over16", o < 0 ? json_null() : json_boolean(o)) < 0 ?
			vios_error_nomem() : 0;
	}
	json_array_foreach(rows, i, row)
		if (vios_pupil_age_mark(row) < 0)
			return VIOS_ERROR;
	return 0;
}

/* ---- table rules -------------------------------------------------------- */

/* V_PAST: a date no later than tomorrow (a day of slack for time zones):
 * what happened, not what is planned. V_DATE: any date (meetings and due
 * dates lie ahead by nature).
 * V_NOTE: free text that may be empty; empty is stored as NULL (the field
 * is cleared), so an edit with "" takes a note away. */
typedef enum {
	V_TEXT, V_DATE, V_PAST, V_MONTH, V_THEME, V_ROLE, V_ROLES, V_ENUM, V_BOOL,
	V_PUPIL, V_CASE, V_MEETING, V_SIGNALS, V_NOTE, V_DISCUSSED
} vkind;

typedef struct {
	const char *col;
	vkind kind;
	int required;
	const char *const *choices; /* V_ENUM */
	const char *label;          /* the command-line flag, for messages */
} colrule;

static const char *const c_where[] = { "in", "around", NULL };
static const char *const c_severity[] = { "low", "medium", "high", NULL };
static const char *const c_level[] = { "rising", "stable", "falling", NULL };
static const char *const c_mkind[] = { "thematic", "case", "steering", "evaluation", NULL };
static const char *const c_basis[] = { "public-task", "consent", "wpg-20", "vital-interest",
				       "legal-obligation", NULL };

static const colrule r_pupil[] = {
	{ "name", V_TEXT, 1, NULL, "--name" },
	{ "birth_date", V_PAST, 0, NULL, "--birth" },
	{ "class", V_TEXT, 0, NULL, "--class" },
	{ "local_id", V_TEXT, 0, NULL, "--local-id" },
	/* derived: written from birth_date by every add and edit, never given */
	{ "over16", V_BOOL, 0, NULL, "--over16" },
	{ "guardian_contact", V_TEXT, 0, NULL, "--guardian" },
	{ NULL, 0, 0, NULL, NULL }
};
static const colrule r_signal[] = {
	{ "theme", V_THEME, 1, NULL, "--theme" },
	{ "note", V_TEXT, 1, NULL, "--note" },
	{ "seen_at", V_PAST, 0, NULL, "--at" },
	{ "source", V_TEXT, 0, NULL, "--source" },
	{ "location", V_ENUM, 0, c_where, "--where" },
	{ "severity", V_ENUM, 0, c_severity, "--severity" },
	{ "pupil_id", V_PUPIL, 0, NULL, "--pupil" },
	{ "basis", V_ENUM, 0, c_basis, "--basis" },
	{ "parents_informed", V_BOOL, 0, NULL, "--parents-informed" },
	{ "not_informed_reason", V_TEXT, 0, NULL, "--not-informed-reason" },
	/* schema/0014: closed at triage (vios_signal_close, store/rhythm.h) */
	{ "closed_reason", V_TEXT, 0, NULL, "--reason" },
	{ "closed_at", V_PAST, 0, NULL, "closed_at" },
	{ NULL, 0, 0, NULL, NULL }
};
static const colrule r_trend[] = {
	{ "theme", V_THEME, 1, NULL, "--theme" },
	{ "period", V_MONTH, 1, NULL, "--period" },
	{ "level", V_ENUM, 1, c_level, "--level" },
	{ "note", V_TEXT, 0, NULL, "--note" },
	{ NULL, 0, 0, NULL, NULL }
};
static const colrule r_meeting[] = {
	{ "kind", V_ENUM, 1, c_mkind, "--kind" },
	{ "date", V_DATE, 1, NULL, "--date" },
	{ "roles", V_ROLES, 0, NULL, "--roles" },
	{ "minutes", V_TEXT, 0, NULL, "--minutes" },
	{ "case_id", V_CASE, 0, NULL, "--case" },
	/* schema/0014: what it discussed (store/rhythm.h), and planned, not yet held */
	{ "discussed", V_DISCUSSED, 0, NULL, "--discussed" },
	{ "planned", V_BOOL, 0, NULL, "--planned" },
	{ NULL, 0, 0, NULL, NULL }
};
static const colrule r_case[] = {
	{ "pupil_id", V_PUPIL, 1, NULL, "--pupil" },
	{ "signals", V_SIGNALS, 0, NULL, "--signals" },
	{ "roles", V_ROLES, 0, NULL, "--roles" },
	{ "lead_role", V_ROLE, 0, NULL, "--lead" },
	{ "basis", V_ENUM, 1, c_basis, "--basis" },
	/* the marked fields (schema/0010): art. 10 and art. 9 data */
	{ "police_info", V_NOTE, 0, NULL, "--police-info" },
	{ "care_info", V_NOTE, 0, NULL, "--care-info" },
	/* schema/0011; at open taken from the signals when not given */
	{ "parents_informed", V_BOOL, 0, NULL, "--parents-informed" },
	{ "not_informed_reason", V_TEXT, 0, NULL, "--not-informed-reason" },
	{ NULL, 0, 0, NULL, NULL }
};
static const colrule r_agreement[] = {
	{ "case_id", V_CASE, 0, NULL, "--case" },
	{ "meeting_id", V_MEETING, 0, NULL, "--meeting" },
	{ "owner_role", V_ROLE, 1, NULL, "--owner" },
	{ "action", V_TEXT, 1, NULL, "--action" },
	{ "due_date", V_DATE, 1, NULL, "--due" },
	{ NULL, 0, 0, NULL, NULL }
};

typedef struct {
	const char *table;
	const colrule *rules;
	const char *stamp; /* the creation-time column */
	const char *what;  /* the record's name in messages */
} tableinfo;

static const tableinfo tables[] = {
	{ "pupil", r_pupil, "created_at", "pupil" },
	{ "signal", r_signal, "created_at", "signal" },
	{ "trend", r_trend, "created_at", "trend" },
	{ "meeting", r_meeting, "created_at", "meeting" },
	{ "case_file", r_case, "opened_at", "case" },
	{ "agreement", r_agreement, "created_at", "agreement" },
};

/*
 * Columns an edit never changes, besides id, origin and the creation stamp
 * (no rule names those, so no edit can). They say what the row is about:
 * a case is about its pupil, and an agreement made in a case belongs to
 * that case, whose lead and roles the mandate's grants are counted in;
 * moving either would carry the row, and who receives it, elsewhere.
 */
static const struct {
	const char *table;
	const char *col;
	const char *why;
} fixed_cols[] = {
	{ "case_file", "pupil_id", "a case stays with its pupil" },
	{ "agreement", "case_id", "an agreement stays with the case it was made in" },
};

static const tableinfo *table_find(const char *table)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(tables[i].table, table))
			return &tables[i];
	vios_error_set(VIOS_ERR_INPUT, "no table %s", table);
	return NULL;
}

static const colrule *rule_find(const tableinfo *t, const char *col)
{
	for (const colrule *r = t->rules; r->col; r++)
		if (!strcmp(r->col, col))
			return r;
	return NULL;
}

static int exists(vios_store *st, const char *table, const char *id, int *found)
{
	sqlite3_stmt *pStmt = NULL;
	char zSql[96];
	int rc;

	*found = 0;
	snprintf(zSql, sizeof(zSql), "SELECT 1 FROM %s WHERE id = ?", table);
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
		*found = rc == SQLITE_ROW;
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "looking up a record");
}

static int check_ref(vios_store *st, const char *table, const char *what, const char *id)
{
	int found, error;

	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a %s id", id, what);
		return VIOS_EUSAGE;
	}
	if ((error = exists(st, table, id, &found)) < 0)
		return error;
	if (!found) {
		vios_error_set(VIOS_ERR_INPUT, "no %s with id %s", what, id);
		return VIOS_ENOTFOUND;
	}
	return 0;
}

/* Checks a comma-separated list; every item via check(item). */
static int check_list(vios_store *st, const colrule *r, const char *val)
{
	char buf[TEXT_MAX + 1], *save = NULL, *item;
	int error = 0, count = 0;

	snprintf(buf, sizeof(buf), "%s", val);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		count++;
		if (r->kind == V_ROLES && !vios_role_at_table(item)) {
			vios_error_set(VIOS_ERR_INPUT, "%s: unknown role '%s' (roles: %s)", r->label, item, vios_role_table_list());
			return VIOS_EUSAGE;
		}
		if (r->kind == V_SIGNALS && (error = check_ref(st, "signal", "signal", item)) < 0)
			return error;
	}
	if (count == 0) {
		vios_error_set(VIOS_ERR_INPUT, "%s: empty list", r->label);
		return VIOS_EUSAGE;
	}
	return 0;
}

/*
 * A theme this node writes: a base theme or a local theme of the covenant
 * it approved (vios_store_themes). Rows merged from other nodes are not
 * checked here: the schema checks their shape only, so a node that has not
 * approved a covenant's themes still merges them.
 */
static int check_theme(vios_store *st, const colrule *r, const char *v)
{
	vios_theme_set set;
	char all[VIOS_THEME_LOCAL_MAX * (VIOS_THEME_NAME_MAX + 2) + 200];
	int error;

	if (vios_theme_valid(v))
		return 0;
	if ((error = vios_store_themes(&set, st)) < 0)
		return error;
	if (vios_theme_local_find(&set, v))
		return 0;
	vios_theme_list_all(all, sizeof(all), &set); /* sized for every name: it fits */
	vios_error_set(VIOS_ERR_INPUT, "%s: unknown theme '%s' (themes: %s)", r->label, v, all);
	return VIOS_EUSAGE;
}

static int check_value(vios_store *st, const colrule *r, const char *v)
{
	if (strlen(v) > TEXT_MAX) {
		vios_error_set(VIOS_ERR_INPUT, "%s: longer than %d characters", r->label, TEXT_MAX);
		return VIOS_EUSAGE;
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\t') {
			vios_error_set(VIOS_ERR_INPUT, "%s: contains control characters", r->label);
			return VIOS_EUSAGE;
		}
	switch (r->kind) {
	case V_TEXT:
		if (*v == 0) {
			vios_error_set(VIOS_ERR_INPUT, "%s: must not be empty", r->label);
			return VIOS_EUSAGE;
		}
		return 0;
	case V_NOTE:
		return 0;
	case V_DATE:
	case V_PAST:
		if (!vios_date_valid(v)) {
			vios_error_set(VIOS_ERR_INPUT, "%s: '%s' is not a date (YYYY-MM-DD)", r->label, v);
			return VIOS_EUSAGE;
		}
		if (r->kind == V_PAST) {
			char tomorrow[11];
			vios_day_after(tomorrow, 1);
			if (strcmp(v, tomorrow) > 0) {
				vios_error_set(VIOS_ERR_INPUT, "%s: %s is in the future (at the latest %s)", r->label, v,
					       tomorrow);
				return VIOS_EUSAGE;
			}
		}
		return 0;
	case V_MONTH:
		if (!vios_month_valid(v)) {
			vios_error_set(VIOS_ERR_INPUT, "%s: '%s' is not a month (YYYY-MM)", r->label, v);
			return VIOS_EUSAGE;
		}
		{
			/* a month that has not begun is refused, as a date in the
			 * future is (V_PAST, with the same day of slack) */
			char tomorrow[11];
			vios_day_after(tomorrow, 1);
			if (strncmp(v, tomorrow, 7) > 0) {
				vios_error_set(VIOS_ERR_INPUT, "%s: %s is in the future (at the latest %.7s)", r->label, v,
					       tomorrow);
				return VIOS_EUSAGE;
			}
		}
		return 0;
	case V_THEME:
		return check_theme(st, r, v);
	case V_ROLE:
		if (!vios_role_at_table(v)) {
			vios_error_set(VIOS_ERR_INPUT, "%s: unknown role '%s' (roles: %s)", r->label, v, vios_role_table_list());
			return VIOS_EUSAGE;
		}
		return 0;
	case V_ENUM:
		if (!in_list(r->choices, v)) {
			char all[200] = "";
			for (const char *const *c = r->choices; *c; c++)
				snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", c == r->choices ? "" : ", ", *c);
			vios_error_set(VIOS_ERR_INPUT, "%s: '%s' is not one of %s", r->label, v, all);
			return VIOS_EUSAGE;
		}
		return 0;
	case V_BOOL:
		if (strcmp(v, "0") && strcmp(v, "1")) {
			vios_error_set(VIOS_ERR_INPUT, "%s: expected yes or no", r->label);
			return VIOS_EUSAGE;
		}
		return 0;
	case V_PUPIL:
		return check_ref(st, "pupil", "pupil", v);
	case V_CASE:
		return check_ref(st, "case_file", "case", v);
	case V_MEETING:
		return check_ref(st, "meeting", "meeting", v);
	case V_ROLES:
	case V_SIGNALS:
		return check_list(st, r, v);
	case V_DISCUSSED:
		return vios_meeting_discussed_check(st, r->label, v);
	}
	return 0;
}

static const char *field(const vios_field *f, size_t n, const char *col)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].col, col))
			return f[i].val;
	return NULL;
}

/* A checked role list (check_list) in the one spelling every stored role
 * list has, so the same parties are always the same text. */
static int roles_canonical(char *out, size_t len, const char *val)
{
	uint32_t mask = 0;
	const char *p = val;

	while (*p) {
		size_t k = strcspn(p, ",");
		char name[32];
		if (k < sizeof(name)) {
			memcpy(name, p, k);
			name[k] = 0;
			mask |= vios_role_bit(name);
		}
		p += k + (p[k] == ',');
	}
	if (vios_role_mask_format(out, len, mask) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "role list too long");
		return VIOS_EUSAGE;
	}
	return 0;
}

/* Binds a checked value as its column stores it. */
static int bind_value(sqlite3_stmt *pStmt, int i, const colrule *r, const char *v)
{
	char roles[256];
	int error;

	if (r->kind == V_BOOL)
		return sqlite3_bind_int(pStmt, i, atoi(v)) == SQLITE_OK ? 0 : vios_error_nomem();
	if (r->kind == V_NOTE && *v == 0)
		return sqlite3_bind_null(pStmt, i) == SQLITE_OK ? 0 : vios_error_nomem();
	if (r->kind == V_ROLES) {
		if ((error = roles_canonical(roles, sizeof(roles), v)) < 0)
			return error;
		return sqlite3_bind_text(pStmt, i, roles, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : vios_error_nomem();
	}
	return sqlite3_bind_text(pStmt, i, v, -1, SQLITE_STATIC) == SQLITE_OK ? 0 : vios_error_nomem();
}

/* The mask of a stored role list (NULL or "" is none). */
static uint32_t roles_mask(const char *list)
{
	char buf[256];
	uint32_t mask = 0;

	snprintf(buf, sizeof(buf), "%s", list ? list : "");
	for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
		mask |= vios_role_bit(item);
	return mask;
}

/*
 * A column's value once the write is done: the field given, else for an
 * edit (id not NULL) the stored value, NULL when there is none. buf holds
 * a stored value.
 */
static int after(const char **out, char *buf, size_t len, vios_store *st, const tableinfo *t, const char *id,
		 const vios_field *f, size_t n, const char *col)
{
	sqlite3_stmt *pStmt = NULL;
	char zSql[128];
	int rc;

	*out = field(f, n, col);
	if (*out != NULL || id == NULL)
		return 0;
	snprintf(zSql, sizeof(zSql), "SELECT %s FROM %s WHERE id = ?", col, t->table);
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, id, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW && sqlite3_column_type(pStmt, 0) != SQLITE_NULL) {
			snprintf(buf, len, "%s", (const char *)sqlite3_column_text(pStmt, 0));
			*out = buf;
		}
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading a record");
}

/*
 * The rules between columns of one row, on the row as the write leaves it
 * (id NULL: a new row of fields only). The one place they are written, for
 * adds and edits alike.
 */
static int row_rules(vios_store *st, const tableinfo *t, const char *id, const vios_field *f, size_t n)
{
	char b1[TEXT_MAX + 1], b2[TEXT_MAX + 1];
	const char *v1, *v2;
	int error;

	if (!strcmp(t->table, "agreement")) {
		if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "case_id")) < 0 ||
		    (error = after(&v2, b2, sizeof(b2), st, t, id, f, n, "meeting_id")) < 0)
			return error;
		if ((v1 == NULL) == (v2 == NULL)) {
			vios_error_set(VIOS_ERR_INPUT, "an agreement belongs to exactly one of --case ID or --meeting ID");
			return VIOS_EUSAGE;
		}
	}
	/* What a meeting discussed is what happened: a meeting that lists it
	 * is held (not planned) and dated at the latest tomorrow, as every
	 * date of what happened (store/rhythm.h). Checked when any of the
	 * three changes. */
	if (!strcmp(t->table, "meeting") &&
	    (field(f, n, "discussed") || field(f, n, "date") || field(f, n, "planned"))) {
		char tomorrow[11];
		if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "discussed")) < 0 ||
		    (error = after(&v2, b2, sizeof(b2), st, t, id, f, n, "planned")) < 0)
			return error;
		if (v1 != NULL && *v1 && (v2 == NULL || strcmp(v2, "1") != 0)) {
			if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "date")) < 0)
				return error;
			vios_day_after(tomorrow, 1);
			if (v1 != NULL && strcmp(v1, tomorrow) > 0) {
				vios_error_set(VIOS_ERR_INPUT, "--discussed: a meeting on %s has not been held yet;"
					       " record what it discussed when it is held ('vios meeting hold')", v1);
				return VIOS_EUSAGE;
			}
		}
	}
	/* A held meeting stays held: planned again, it would quietly take what
	 * it discussed back to new (store/rhythm.h). */
	if (!strcmp(t->table, "meeting") && id != NULL && field(f, n, "planned") && !strcmp(field(f, n, "planned"), "1")) {
		if ((error = after(&v1, b1, sizeof(b1), st, t, id, NULL, 0, "planned")) < 0)
			return error;
		if (v1 == NULL || strcmp(v1, "1") != 0) {
			vios_error_set(VIOS_ERR_INPUT, "meeting %s was held: it cannot be planned again", id);
			return VIOS_EUSAGE;
		}
	}
	/* A meeting that is no case meeting travels as theme data: what it
	 * discussed names only signals about no pupil (store/rhythm.h). */
	if (!strcmp(t->table, "meeting") &&
	    (field(f, n, "discussed") || field(f, n, "kind") || field(f, n, "case_id"))) {
		char b3[64];
		const char *v3;
		if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "discussed")) < 0 ||
		    (error = after(&v2, b2, sizeof(b2), st, t, id, f, n, "kind")) < 0 ||
		    (error = after(&v3, b3, sizeof(b3), st, t, id, f, n, "case_id")) < 0)
			return error;
		if (v1 != NULL && *v1 && !vios_meeting_is_case(v2, v3) &&
		    (error = vios_meeting_discussed_theme_check(st, "--discussed", v1)) < 0)
			return error;
	}
	/* The hub's own meetings are the region's steering and evaluation
	 * meetings: theme data every school receives (sync/recipients.c), so
	 * never a case meeting nor one that names a case. */
	if (!strcmp(t->table, "meeting") && st->node && vios_kind_index(st->node->kind) == VIOS_KIND_HUB) {
		if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "kind")) < 0 ||
		    (error = after(&v2, b2, sizeof(b2), st, t, id, f, n, "case_id")) < 0)
			return error;
		if (v2 != NULL || (v1 && strcmp(v1, "steering") != 0 && strcmp(v1, "evaluation") != 0)) {
			vios_error_set(VIOS_ERR_INPUT, "a hub records steering and evaluation meetings only, without --case"
				       " (they reach every school as theme data)");
			return VIOS_EUSAGE;
		}
	}
	/* A signal about a pupil, like a case, records its legal basis and
	 * whether the parents were told (with the reason when not). Checked on
	 * every add, and on edits that touch these columns or the pupil, so
	 * rows written before the rule stay editable otherwise. */
	if (!strcmp(t->table, "signal") || !strcmp(t->table, "case_file")) {
		int about = !strcmp(t->table, "case_file");
		if (!about) {
			if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "pupil_id")) < 0)
				return error;
			about = v1 != NULL;
		}
		if (about && (id == NULL || field(f, n, "pupil_id") || field(f, n, "basis") ||
			      field(f, n, "parents_informed") || field(f, n, "not_informed_reason"))) {
			if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "basis")) < 0)
				return error;
			if (v1 == NULL) {
				vios_error_set(VIOS_ERR_INPUT, "--basis is required for a %s about a pupil (%s)", t->what,
					       "public-task, consent, wpg-20, vital-interest or legal-obligation");
				return VIOS_EUSAGE;
			}
			if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "parents_informed")) < 0)
				return error;
			if (v1 == NULL) {
				if (!strcmp(t->table, "case_file"))
					vios_error_set(VIOS_ERR_INPUT, "--parents-informed yes|no is required for a case,"
						       " unless every one of its --signals records the same");
				else
					vios_error_set(VIOS_ERR_INPUT, "--parents-informed yes|no is required for a signal"
						       " about a pupil");
				return VIOS_EUSAGE;
			}
		}
		if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "parents_informed")) < 0 ||
		    (error = after(&v2, b2, sizeof(b2), st, t, id, f, n, "not_informed_reason")) < 0)
			return error;
		if (v1 && !strcmp(v1, "0") && v2 == NULL) {
			vios_error_set(VIOS_ERR_INPUT, "parents not informed: say why with --not-informed-reason");
			return VIOS_EUSAGE;
		}
	}
	/* A case lists signals about its own pupil, or about no pupil: another
	 * pupil's signal would put that pupil's data in this case (and in this
	 * pupil's subject access report). Checked when either changes. */
	if (!strcmp(t->table, "case_file") && (field(f, n, "signals") || field(f, n, "pupil_id"))) {
		json_t *rows = NULL;
		const char *p[2];
		if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "signals")) < 0 ||
		    (error = after(&v2, b2, sizeof(b2), st, t, id, f, n, "pupil_id")) < 0)
			return error;
		if (v1 != NULL && v2 != NULL) {
			p[0] = v1;
			p[1] = v2;
			if ((error = vios_query(&rows, st, "SELECT id FROM signal s WHERE "
						VIOS_SQL_LISTS_SIGNAL("?1", "s.id")
						" AND s.pupil_id IS NOT NULL AND s.pupil_id IS NOT ?2 ORDER BY id LIMIT 1",
						p, 2)) < 0)
				return error;
			if (json_array_size(rows) > 0) {
				vios_error_set(VIOS_ERR_INPUT, "--signals: signal %s is about another pupil than the case's",
					       json_string_value(json_object_get(json_array_get(rows, 0), "id")));
				json_decref(rows);
				return VIOS_EUSAGE;
			}
			json_decref(rows);
		}
	}
	/* The school owns a case and always takes part in it, listed or not;
	 * any other lead must be one of the case's roles. Checked when the
	 * roles or the lead change, so older rows stay editable otherwise. */
	if (!strcmp(t->table, "case_file") && (field(f, n, "roles") || field(f, n, "lead_role"))) {
		uint32_t was = 0, now;
		if (id && field(f, n, "roles")) {
			if ((error = after(&v1, b1, sizeof(b1), st, t, id, NULL, 0, "roles")) < 0)
				return error;
			was = roles_mask(v1);
		}
		if ((error = after(&v1, b1, sizeof(b1), st, t, id, f, n, "roles")) < 0 ||
		    (error = after(&v2, b2, sizeof(b2), st, t, id, f, n, "lead_role")) < 0)
			return error;
		now = roles_mask(v1);
		if ((was & VIOS_ROLE_SCHOOL) && !(now & VIOS_ROLE_SCHOOL)) {
			vios_error_set(VIOS_ERR_INPUT, "the school role cannot be removed: the school owns the case");
			return VIOS_EUSAGE;
		}
		if (v2 && !(vios_role_bit(v2) & (now | VIOS_ROLE_SCHOOL))) {
			if (field(f, n, "lead_role"))
				vios_error_set(VIOS_ERR_INPUT, "%s does not take part in the case: add it to the roles first",
					       v2);
			else
				vios_error_set(VIOS_ERR_INPUT, "%s leads the case and cannot leave it: give the lead to"
					       " another role first", v2);
			return VIOS_EUSAGE;
		}
	}
	return 0;
}

/* Room for the caller's fields and the ones derived_fields adds. */
#define FIELDS_MAX 32

/*
 * The fields a write stores: the caller's (fields[0..n)) and those that
 * follow from them, in out (FIELDS_MAX). A pupil's over16 follows from its
 * birth date and is never given. When a case is opened without
 * --parents-informed, its signals say it if they all say the same (and,
 * for "no", the reason when they all give the same one); otherwise
 * row_rules asks for the flag. Texts derived live in buf.
 */
static int derived_fields(vios_field *out, size_t *nout, char *buf, size_t len, vios_store *st,
			  const tableinfo *t, const vios_field *f, size_t n, int add)
{
	const char *birth = field(f, n, "birth_date"), *sigs = field(f, n, "signals");
	json_t *rows = NULL, *row;
	int error = 0;

	if (n > FIELDS_MAX - 2) {
		vios_error_set(VIOS_ERR_INPUT, "too many fields");
		return VIOS_EUSAGE;
	}
	memcpy(out, f, n * sizeof(*f));
	*nout = n;
	if (!strcmp(t->table, "pupil")) {
		if (field(f, n, "over16")) {
			vios_error_set(VIOS_ERR_INPUT, "--over16 follows from --birth: give the birth date instead");
			return VIOS_EUSAGE;
		}
		if (birth && vios_pupil_over16(birth) >= 0)
			out[(*nout)++] = (vios_field){ "over16", vios_pupil_over16(birth) ? "1" : "0" };
	}
	if (add && !strcmp(t->table, "case_file") && sigs && field(f, n, "parents_informed") == NULL) {
		const char *p[] = { sigs };
		if ((error = vios_query(&rows, st,
					"SELECT count(*) AS n, count(parents_informed) AS known,"
					" count(DISTINCT parents_informed) AS kinds, min(parents_informed) AS v,"
					" count(not_informed_reason) AS why, count(DISTINCT not_informed_reason) AS whys,"
					" min(not_informed_reason) AS reason FROM signal"
					" WHERE instr(',' || ?1 || ',', ',' || id || ',') > 0", p, 1)) < 0)
			return error;
		row = json_array_get(rows, 0);
#define COL(k) json_integer_value(json_object_get(row, k))
		if (COL("n") > 0 && COL("known") == COL("n") && COL("kinds") == 1) {
			out[(*nout)++] = (vios_field){ "parents_informed", COL("v") ? "1" : "0" };
			if (COL("v") == 0 && field(f, n, "not_informed_reason") == NULL && COL("why") == COL("n") &&
			    COL("whys") == 1) {
				snprintf(buf, len, "%s", json_string_value(json_object_get(row, "reason")));
				out[(*nout)++] = (vios_field){ "not_informed_reason", buf };
			}
		}
#undef COL
		json_decref(rows);
	}
	return error;
}

/* ---- the name guard ----------------------------------------------------- */

#define TOKENS_MAX 512

/* Lower-case ASCII tokens of text: runs of letters, digits and non-ASCII
 * bytes; everything else separates. Returns the count (at most max). */
static size_t tokenize(char (*tok)[48], size_t max, const char *text)
{
	size_t n = 0, k = 0;

	for (const unsigned char *p = (const unsigned char *)text;; p++) {
		int word = *p && (isalnum(*p) || *p >= 0x80);
		if (word && k < 47 && n < max)
			tok[n][k++] = (char)tolower(*p);
		else if (!word && k > 0) {
			tok[n++][k] = 0;
			k = 0;
		}
		if (!*p)
			break;
	}
	return n;
}

static int has_token(char (*tok)[48], size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tok[i], w))
			return 1;
	return 0;
}

/* 1 when w is written as 1 to 3 tokens in a row ("L-20931", "3 B"). */
static int has_joined(char (*tok)[48], size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++) {
		char buf[160] = "";
		for (size_t j = i; j < n && j < i + 3; j++) {
			strcat(buf, tok[j]);
			if (!strcmp(buf, w))
				return 1;
			if (strncmp(w, buf, strlen(buf)) != 0)
				break;
		}
	}
	return 0;
}

/* 1 when initials (e.g. "sdv") are written in the text: as one token
 * ("SdV") or as a run of one-letter tokens ("S. d. V."). */
static int has_initials(char (*tok)[48], size_t n, const char *initials)
{
	char run[48];
	size_t k = 0;

	if (strlen(initials) < 2)
		return 0;
	if (has_token(tok, n, initials))
		return 1;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && strlen(tok[i]) == 1 && k < sizeof(run) - 1) {
			run[k++] = tok[i][0];
			continue;
		}
		run[k] = 0;
		if (k >= 2 && strstr(run, initials) != NULL)
			return 1;
		k = 0;
	}
	return 0;
}

/* Does text (its tokens) name the pupil of name, class and local id? */
static int names_pupil(char (*tok)[48], size_t n, const char *name, const char *klass, const char *local_id)
{
	char (*nt)[48] = NULL, cls[48] = "", lid[48] = "", ini_all[48] = "", ini_fl[4] = "";
	size_t k = 0, i, j;
	int hit = 0, has_class;

	if ((nt = calloc(64, sizeof(*nt))) == NULL)
		return 0;
	k = name ? tokenize(nt, 64, name) : 0;
	/* a class or a local id as one word: "3B", "3 B" and "3-b" alike */
	for (const char *p = klass ? klass : ""; *p && strlen(cls) < sizeof(cls) - 1; p++)
		if (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)
			cls[strlen(cls)] = (char)tolower((unsigned char)*p);
	for (const char *p = local_id ? local_id : ""; *p && strlen(lid) < sizeof(lid) - 1; p++)
		if (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)
			lid[strlen(lid)] = (char)tolower((unsigned char)*p);
	has_class = cls[0] && has_joined(tok, n, cls);
	/* the full name, its words in a row */
	for (i = 0; k >= 2 && i + k <= n && !hit; i++) {
		for (j = 0; j < k && !strcmp(tok[i + j], nt[j]); j++)
			;
		hit = j == k;
	}
	/* first or last name with the class */
	if (!hit && has_class && k >= 1 && (has_token(tok, n, nt[0]) || (strlen(nt[k - 1]) >= 2 && has_token(tok, n, nt[k - 1]))))
		hit = 1;
	/* the local id */
	if (!hit && strlen(lid) >= 3 && has_joined(tok, n, lid))
		hit = 1;
	/* the class with the initials: of every word ("sdv") or first and last ("sv") */
	if (!hit && has_class && k >= 2) {
		for (i = 0; i < k && i < sizeof(ini_all) - 1; i++)
			ini_all[i] = nt[i][0];
		ini_fl[0] = nt[0][0];
		ini_fl[1] = nt[k - 1][0];
		hit = has_initials(tok, n, ini_all) || has_initials(tok, n, ini_fl);
	}
	free(nt);
	return hit;
}

void vios_records_name_check(vios_store *st, int on)
{
	assert(st != NULL);
	st->name_check_off = !on;
}

int vios_name_guard(char *hit, size_t hitlen, vios_store *st, const char *text)
{
	json_t *pupils = NULL, *p;
	char (*tok)[48] = NULL;
	size_t n, i;
	int error = 0;

	assert(hit != NULL && hitlen > 0 && st != NULL);
	hit[0] = 0;
	if (text == NULL || !*text)
		return 0;
	if ((tok = calloc(TOKENS_MAX, sizeof(*tok))) == NULL)
		return vios_error_nomem();
	n = tokenize(tok, TOKENS_MAX, text);
	/* this school's own pupils (an erased pupil has no name left) */
	if ((error = vios_query(&pupils, st, "SELECT name, class, local_id FROM pupil WHERE origin = ?1 AND name IS NOT NULL",
				(const char *[]){ st->node->node_id }, 1)) < 0)
		goto done;
	json_array_foreach(pupils, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		if (names_pupil(tok, n, name, json_string_value(json_object_get(p, "class")),
				json_string_value(json_object_get(p, "local_id")))) {
			snprintf(hit, hitlen, "%s", name);
			error = 1;
			break;
		}
	}
done:
	json_decref(pupils);
	free(tok);
	return error;
}

int vios_records_name_check_skipped(json_t **out, vios_store *st)
{
	const char *p[1] = { VIOS_NAME_CHECK_SKIPPED };

	assert(out != NULL && st != NULL);
	return vios_query(out, st, "SELECT DISTINCT tbl, record_id FROM access_log WHERE why = ?1 AND record_id IS NOT NULL"
				   " ORDER BY tbl, record_id", p, 1);
}

/* The free-text columns of table that go out as theme data when the row is
 * theme data (theme_text), NULL-terminated. */
static const char *const *theme_text_cols(const char *table)
{
	static const char *const trend[] = { "note", NULL }, *const meeting[] = { "minutes", NULL },
				  *const signal[] = { "note", "source", "closed_reason", NULL };

	return !strcmp(table, "trend") ? trend : !strcmp(table, "meeting") ? meeting : !strcmp(table, "signal") ? signal
															: NULL;
}

/*
 * The name guard over the theme text a write leaves in a row: fields f
 * (the write's) over the row as it is (cur, NULL for a new row). A trend is
 * always theme data; a meeting when it is no case meeting; a signal when it
 * is about no pupil. Skipped (and logged once the row is written, by the
 * caller) when st->name_check_off.
 */
static int name_guard_fields(int *skipped, vios_store *st, const char *table, const vios_field *f, size_t n, json_t *cur)
{
	const char *const *cols = theme_text_cols(table);
	char who[128];
	int error = 0;

	*skipped = 0;
	if (cols == NULL)
		return 0;
	{
		const char *kind = field(f, n, "kind"), *case_id = field(f, n, "case_id"), *pupil = field(f, n, "pupil_id");
		if (cur != NULL) {
			kind = kind ? kind : json_string_value(json_object_get(cur, "kind"));
			case_id = case_id ? case_id : json_string_value(json_object_get(cur, "case_id"));
			pupil = pupil ? pupil : json_string_value(json_object_get(cur, "pupil_id"));
		}
		if (!strcmp(table, "meeting") && vios_meeting_is_case(kind, case_id))
			return 0;
		if (!strcmp(table, "signal") && pupil && *pupil)
			return 0;
	}
	for (const char *const *c = cols; *c; c++) {
		const char *v = field(f, n, *c);
		if (v == NULL)
			continue;
		if (st->name_check_off) {
			*skipped = 1;
			continue;
		}
		if ((error = vios_name_guard(who, sizeof(who), st, v)) < 0)
			return error;
		if (error == 1) {
			vios_error_set(VIOS_ERR_INPUT, "%s names a pupil (%s): record it as a signal about the pupil, or rephrase",
				       *c, who);
			return VIOS_EUSAGE;
		}
	}
	return 0;
}

/*
 * One new row of table t inside the caller's transaction: the caller's
 * fields given[0..ngiven) (each a column of t) and those derived from them,
 * checked, name-guarded, inserted and logged; its new id in id.
 */
static int add_in_tx(char id[37], vios_store *st, const tableinfo *t, const vios_field *given, size_t ngiven)
{
	vios_field fields[FIELDS_MAX];
	char reason[TEXT_MAX + 1];
	size_t n = 0;
	const colrule *r;
	sqlite3_stmt *pStmt = NULL;
	char zSql[1024], vals[512], now[21], day[11];
	int error, rc, nbind = 0, skipped = 0;
	const char *table = t->table;

	if ((error = derived_fields(fields, &n, reason, sizeof(reason), st, t, given, ngiven, 1)) < 0)
		return error;
	vios_uuid7(id);
	vios_now_iso(now);
	vios_today(day);
	for (r = t->rules; r->col; r++) {
		const char *v = field(fields, n, r->col);
		if (v == NULL && r->required) {
			vios_error_set(VIOS_ERR_INPUT, "%s is required", r->label);
			return VIOS_EUSAGE;
		}
		if (v && (error = check_value(st, r, v)) < 0)
			return error;
	}
	if ((error = row_rules(st, t, NULL, fields, n)) < 0 ||
	    (error = name_guard_fields(&skipped, st, table, fields, n, NULL)) < 0)
		return error;
	/* Build "INSERT INTO t(id, origin, stamp, cols...) VALUES (?...)". */
	snprintf(zSql, sizeof(zSql), "INSERT INTO %s(id, origin, %s", table, t->stamp);
	snprintf(vals, sizeof(vals), "?, ?, ?");
	for (r = t->rules; r->col; r++) {
		if (field(fields, n, r->col) == NULL)
			continue;
		snprintf(zSql + strlen(zSql), sizeof(zSql) - strlen(zSql), ", %s", r->col);
		snprintf(vals + strlen(vals), sizeof(vals) - strlen(vals), ", ?");
	}
	if (!strcmp(table, "signal") && field(fields, n, "seen_at") == NULL) {
		snprintf(zSql + strlen(zSql), sizeof(zSql) - strlen(zSql), ", seen_at");
		snprintf(vals + strlen(vals), sizeof(vals) - strlen(vals), ", ?");
	}
	snprintf(zSql + strlen(zSql), sizeof(zSql) - strlen(zSql), ") VALUES (%s)", vals);
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, ++nbind, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, ++nbind, st->node->node_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, ++nbind, now, -1, SQLITE_STATIC);
		for (r = t->rules; r->col; r++) {
			const char *v = field(fields, n, r->col);
			if (v != NULL && (error = bind_value(pStmt, ++nbind, r, v)) < 0)
				goto done;
		}
		if (!strcmp(table, "signal") && field(fields, n, "seen_at") == NULL)
			sqlite3_bind_text(pStmt, ++nbind, day, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	if ((error = vios_store_error(st->db, rc, "saving the record")) < 0)
		goto done;
	error = vios_store_log(st, "create", table, id, skipped ? VIOS_NAME_CHECK_SKIPPED : NULL);
done:
	sqlite3_finalize(pStmt);
	return error;
}

/* The table of a write whose fields are each one of its columns. */
static const tableinfo *add_table(const char *table, const vios_field *given, size_t ngiven)
{
	const tableinfo *t = table_find(table);

	for (size_t i = 0; t != NULL && i < ngiven; i++)
		if (rule_find(t, given[i].col) == NULL) {
			vios_error_set(VIOS_ERR_INPUT, "%s has no field %s", table, given[i].col);
			return NULL;
		}
	return t;
}

int vios_record_add(char id[37], vios_store *st, const char *table,
		    const vios_field *given, size_t ngiven)
{
	const tableinfo *t;
	int error;

	assert(id != NULL && st != NULL && table != NULL);
	assert(given != NULL || ngiven == 0);
	if ((t = add_table(table, given, ngiven)) == NULL)
		return VIOS_EUSAGE;
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	if ((error = add_in_tx(id, st, t, given, ngiven)) < 0 || (error = vios_store_tx_commit(st)) < 0)
		vios_store_tx_rollback(st);
	return error;
}

int vios_record_add_series(char (*ids)[37], vios_store *st, const char *table, const vios_field *given,
			   size_t ngiven, const char *col, const char *const *vals, size_t count)
{
	vios_field fields[FIELDS_MAX];
	const tableinfo *t;
	int error = 0;

	assert(ids != NULL && st != NULL && table != NULL && col != NULL && vals != NULL);
	assert(given != NULL || ngiven == 0);
	if ((t = add_table(table, given, ngiven)) == NULL)
		return VIOS_EUSAGE;
	if (ngiven + 1 > FIELDS_MAX - 2 || rule_find(t, col) == NULL || field(given, ngiven, col) != NULL) {
		vios_error_set(VIOS_ERR_INPUT, "%s: cannot make a series over %s", table, col);
		return VIOS_EUSAGE;
	}
	memcpy(fields, given, ngiven * sizeof(*given));
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	for (size_t i = 0; i < count && error == 0; i++) {
		fields[ngiven] = (vios_field){ col, vals[i] };
		error = add_in_tx(ids[i], st, t, fields, ngiven + 1);
	}
	if (error < 0 || (error = vios_store_tx_commit(st)) < 0)
		vios_store_tx_rollback(st);
	return error;
}

/* ---- edits -------------------------------------------------------------- */

/* What an edit may name, before any transaction: at least one column, each
 * the table's, once, and none of those that never change. */
static int edit_fields_check(const tableinfo *t, const vios_field *f, size_t n)
{
	const colrule *r;

	if (n == 0) {
		vios_error_set(VIOS_ERR_INPUT, "nothing to change: give at least one field");
		return VIOS_EUSAGE;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = rule_find(t, f[i].col)) == NULL) {
			vios_error_set(VIOS_ERR_INPUT, "%s has no field %s", t->table, f[i].col);
			return VIOS_EUSAGE;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(f[j].col, f[i].col)) {
				vios_error_set(VIOS_ERR_INPUT, "%s given twice", r->label);
				return VIOS_EUSAGE;
			}
		for (size_t k = 0; k < sizeof(fixed_cols) / sizeof(fixed_cols[0]); k++)
			if (!strcmp(fixed_cols[k].table, t->table) && !strcmp(fixed_cols[k].col, f[i].col)) {
				vios_error_set(VIOS_ERR_INPUT, "%s cannot change: %s", r->label, fixed_cols[k].why);
				return VIOS_EUSAGE;
			}
		if (f[i].val == NULL) {
			vios_error_set(VIOS_ERR_INPUT, "%s: no value", r->label);
			return VIOS_EUSAGE;
		}
	}
	return 0;
}

/* 1 in *same when column r of row id already holds v (as bind_value
 * would store it). */
static int holds(int *same, vios_store *st, const tableinfo *t, const char *id, const colrule *r, const char *v)
{
	sqlite3_stmt *pStmt = NULL;
	char zSql[128];
	int rc, error = 0;

	*same = 0;
	snprintf(zSql, sizeof(zSql), "SELECT %s IS ?1 FROM %s WHERE id = ?2", r->col, t->table);
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (error = bind_value(pStmt, 1, r, v)) == 0) {
		sqlite3_bind_text(pStmt, 2, id, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW)
			*same = sqlite3_column_int(pStmt, 0);
	}
	sqlite3_finalize(pStmt);
	return error < 0 ? error : vios_store_error(st->db, rc, "reading a record");
}

/*
 * The edit inside the caller's transaction: the row must exist, every value
 * passes the rule vios_record_add checks it with (unless checked: values
 * the library made itself), the row's rules hold afterwards. Writes only the
 * columns whose value differs, appends their names to changed, and logs
 * the update.
 */
static int edit_in_tx(json_t *changed, vios_store *st, const tableinfo *t, const char *id,
		      const vios_field *f, size_t n, int checked)
{
	sqlite3_stmt *pStmt = NULL;
	const colrule *r;
	char zSql[1024], why[400], write[16];
	int found, error = 0, rc, nbind = 0, same;

	if ((error = exists(st, t->table, id, &found)) < 0)
		return error;
	if (!found) {
		vios_error_set(VIOS_ERR_INPUT, "no %s with id %s", t->what, id);
		return VIOS_ENOTFOUND;
	}
	for (size_t i = 0; i < n && !checked; i++)
		if ((error = check_value(st, rule_find(t, f[i].col), f[i].val)) < 0)
			return error;
	if ((error = row_rules(st, t, id, f, n)) < 0)
		return error;
	snprintf(zSql, sizeof(zSql), "UPDATE %s SET ", t->table);
	snprintf(why, sizeof(why), "edit:");
	for (r = t->rules; r->col; r++) {
		const char *v = field(f, n, r->col);
		assert(r - t->rules < (ptrdiff_t)sizeof(write));
		write[r - t->rules] = 0;
		if (v == NULL)
			continue;
		if ((error = holds(&same, st, t, id, r, v)) < 0)
			return error;
		if (same)
			continue;
		write[r - t->rules] = 1;
		snprintf(zSql + strlen(zSql), sizeof(zSql) - strlen(zSql), "%s%s = ?", nbind ? ", " : "", r->col);
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s", nbind ? "," : " ", r->col);
		nbind++;
		if (json_array_append_new(changed, json_string(r->col)) < 0)
			return vios_error_nomem();
	}
	if (nbind == 0) {
		snprintf(why, sizeof(why), "edit: no change");
	} else {
		snprintf(zSql + strlen(zSql), sizeof(zSql) - strlen(zSql), " WHERE id = ?");
		nbind = 0;
		rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
		for (r = t->rules; rc == SQLITE_OK && error == 0 && r->col; r++)
			if (write[r - t->rules])
				error = bind_value(pStmt, ++nbind, r, field(f, n, r->col));
		if (rc == SQLITE_OK && error == 0) {
			sqlite3_bind_text(pStmt, ++nbind, id, -1, SQLITE_STATIC);
			rc = sqlite3_step(pStmt);
		}
		sqlite3_finalize(pStmt);
		if (error < 0 || (error = vios_store_error(st->db, rc, "saving the record")) < 0)
			return error;
	}
	/* Column names only: never the values (store.h). */
	return vios_store_log(st, "update", t->table, id, why);
}

/* An edit in one transaction of its own. */
static int edit(json_t **changed, vios_store *st, const tableinfo *t, const char *id, const vios_field *f,
		size_t n, int checked)
{
	json_t *cols = json_array();
	int error;

	if (changed)
		*changed = NULL;
	if (cols == NULL)
		return vios_error_nomem();
	if ((error = vios_store_tx_begin(st)) < 0)
		goto done;
	if ((error = edit_in_tx(cols, st, t, id, f, n, checked)) < 0)
		vios_store_tx_rollback(st);
	else
		error = vios_store_tx_commit(st); /* the commit hook may refuse: VIOS_EDENIED */
done:
	if (error == 0 && changed) {
		*changed = cols;
		cols = NULL;
	}
	json_decref(cols);
	return error;
}

int vios_record_edit(json_t **changed, vios_store *st, const char *table, const char *id,
		     const vios_field *given, size_t ngiven)
{
	vios_field fields[FIELDS_MAX];
	char reason[TEXT_MAX + 1];
	const tableinfo *t;
	size_t n = 0;
	int error, skipped = 0;

	assert(st != NULL && table != NULL && id != NULL);
	assert(given != NULL || ngiven == 0);
	if (changed)
		*changed = NULL;
	if ((t = table_find(table)) == NULL)
		return VIOS_ERROR;
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a %s id", id, t->what);
		return VIOS_EUSAGE;
	}
	if ((error = edit_fields_check(t, given, ngiven)) < 0 ||
	    (error = derived_fields(fields, &n, reason, sizeof(reason), st, t, given, ngiven, 0)) < 0)
		return error;
	if (theme_text_cols(table) != NULL) {
		/* the name guard judges the row as the edit leaves it */
		json_t *cur = NULL;
		char zSql[96];
		snprintf(zSql, sizeof(zSql), "SELECT * FROM %s WHERE id = ?1", table);
		if ((error = vios_query(&cur, st, zSql, (const char *[]){ id }, 1)) < 0)
			return error;
		error = name_guard_fields(&skipped, st, table, fields, n, json_array_get(cur, 0));
		json_decref(cur);
		if (error < 0)
			return error;
	}
	if ((error = edit(changed, st, t, id, fields, n, 0)) == 0 && skipped)
		error = vios_store_log(st, "update", table, id, VIOS_NAME_CHECK_SKIPPED);
	return error;
}

/* ---- case lifecycle ----------------------------------------------------- */

/*
 * Where a case may go next from each status that is not final. The final
 * ones, closed and escalated, are the vocabulary's (vios_case_status_final):
 * a closed case is done and an escalated one is in other hands, so no
 * status follows either.
 */
static const char *const next_statuses[VIOS_CASE_STATUS_COUNT] = {
	[VIOS_CASE_REPORTED] = "discussed,closed,escalated",
	[VIOS_CASE_DISCUSSED] = "in-progress,closed,escalated",
	[VIOS_CASE_IN_PROGRESS] = "monitoring,closed,escalated",
	[VIOS_CASE_MONITORING] = "in-progress,closed,escalated",
};

static const char *const targets[] = { "zorg-en-veiligheidshuis", "veilig-thuis",
				       "raad-kinderbescherming", NULL };

const char *const *vios_record_choices(const char *table, const char *col)
{
	assert(table != NULL && col != NULL);
	if (!strcmp(table, "case_file") && !strcmp(col, "escalation_target"))
		return targets;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(tables[i].table, table))
			for (const colrule *r = tables[i].rules; r->col; r++)
				if (!strcmp(r->col, col))
					return r->kind == V_ENUM ? r->choices : NULL;
	return NULL;
}

const char *vios_case_next_statuses(const char *from)
{
	int i;

	assert(from != NULL);
	i = vios_case_status_index(from);
	if (i < 0 || vios_case_status_final(from) || next_statuses[i] == NULL)
		return "";
	return next_statuses[i];
}

/* Every status as "a, b, c" for messages, from the vocabulary. */
static const char *status_list(char *buf, size_t len)
{
	buf[0] = 0;
	for (int i = 0; i < VIOS_CASE_STATUS_COUNT; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", vios_case_status_name(i));
	return buf;
}

static int allowed(const char *from, const char *to)
{
	const char *next = vios_case_next_statuses(from);
	size_t n = strlen(to);

	for (const char *p = next; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && !strncmp(p, to, n))
			return 1;
		p += len + (comma != NULL);
	}
	return 0;
}

static int one_text(vios_store *st, const char *zSql, const char *param, char *out, size_t len, int *found)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	*found = 0;
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, param, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
			const char *v = (const char *)sqlite3_column_text(pStmt, 0);
			snprintf(out, len, "%s", v ? v : "");
			*found = 1;
		}
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading a record");
}

/* Like one_text, for a value of any length: *out malloc'd, NULL when the
 * row or the value is missing. */
static int one_text_dup(vios_store *st, const char *zSql, const char *param, char **out)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	*out = NULL;
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, param, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW && sqlite3_column_type(pStmt, 0) != SQLITE_NULL &&
		    (*out = strdup((const char *)sqlite3_column_text(pStmt, 0))) == NULL) {
			sqlite3_finalize(pStmt);
			return vios_error_nomem();
		}
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading a record");
}

static int run(vios_store *st, const char *zSql, const char *const *params, size_t n)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++)
		sqlite3_bind_text(pStmt, (int)i + 1, params[i], -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(pStmt);
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "saving the record");
}

int vios_case_set_status(vios_store *st, const char *id, const char *status, const char *target)
{
	char from[32], now[21];
	int found, error;

	assert(st != NULL && id != NULL && status != NULL);
	if (vios_case_status_index(status) < 0) {
		char all[160];
		vios_error_set(VIOS_ERR_INPUT, "unknown case status '%s' (%s)", status, status_list(all, sizeof(all)));
		return VIOS_EUSAGE;
	}
	if (target && strcmp(status, "escalated") != 0) {
		vios_error_set(VIOS_ERR_INPUT, "--to goes only with status escalated");
		return VIOS_EUSAGE;
	}
	if (target && !in_list(targets, target)) {
		vios_error_set(VIOS_ERR_INPUT, "unknown escalation target '%s' (zorg-en-veiligheidshuis, veilig-thuis, raad-kinderbescherming)", target);
		return VIOS_EUSAGE;
	}
	if (!strcmp(status, "escalated") && target == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "escalated needs --to (zorg-en-veiligheidshuis, veilig-thuis or raad-kinderbescherming)");
		return VIOS_EUSAGE;
	}
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a case id", id);
		return VIOS_EUSAGE;
	}
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	if ((error = one_text(st, "SELECT status FROM case_file WHERE id = ?", id, from, sizeof(from), &found)) < 0)
		goto done;
	if (!found) {
		vios_error_set(VIOS_ERR_INPUT, "no case with id %s", id);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	if (!allowed(from, status)) {
		const char *next = vios_case_next_statuses(from);
		if (*next)
			vios_error_set(VIOS_ERR_INPUT, "a case cannot go from %s to %s (allowed next: %s)", from, status,
				       next);
		else
			vios_error_set(VIOS_ERR_INPUT, "a case cannot go from %s to %s (%s is final)", from, status,
				       from);
		error = VIOS_EUSAGE;
		goto done;
	}
	if (target != NULL) {
		char *mc = NULL;
		if ((error = one_text_dup(st, "SELECT meldcode FROM case_file WHERE id = ?", id, &mc)) < 0)
			goto done;
		error = vios_meldcode_escalation(mc, target);
		free(mc);
		if (error < 0)
			goto done;
	}
	vios_now_iso(now);
	{
		const char *p[] = { status, target, !strcmp(status, "closed") ? now : NULL, id };
		if ((error = run(st, "UPDATE case_file SET status = ?, escalation_target = coalesce(?, escalation_target),"
				     " closed_at = ? WHERE id = ?", p, 4)) < 0)
			goto done;
	}
	if ((error = vios_store_log(st, "update", "case_file", id, status)) < 0)
		goto done;
	error = vios_store_tx_commit(st);
done:
	if (error < 0)
		vios_store_tx_rollback(st);
	return error;
}

int vios_agreement_done(vios_store *st, const char *id, const char *feedback)
{
	char status[16], now[21];
	int found, error;

	assert(st != NULL && id != NULL);
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not an agreement id", id);
		return VIOS_EUSAGE;
	}
	if (feedback && strlen(feedback) > TEXT_MAX) {
		vios_error_set(VIOS_ERR_INPUT, "--feedback: longer than %d characters", TEXT_MAX);
		return VIOS_EUSAGE;
	}
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	if ((error = one_text(st, "SELECT status FROM agreement WHERE id = ?", id, status, sizeof(status), &found)) < 0)
		goto done;
	if (!found) {
		vios_error_set(VIOS_ERR_INPUT, "no agreement with id %s", id);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	vios_now_iso(now);
	{
		const char *p[] = { now, feedback, id };
		if ((error = run(st, "UPDATE agreement SET status = 'done', done_at = coalesce(done_at, ?),"
				     " feedback = coalesce(?, feedback) WHERE id = ?", p, 3)) < 0)
			goto done;
	}
	if ((error = vios_store_log(st, "update", "agreement", id, "done")) < 0)
		goto done;
	error = vios_store_tx_commit(st);
done:
	if (error < 0)
		vios_store_tx_rollback(st);
	return error;
}

/* ---- a case's roles and lead -------------------------------------------- */

/* The mask of a role list given to case roles, each role checked. */
static int roles_arg(uint32_t *mask, const char *label, const char *list)
{
	static const colrule r = { "roles", V_ROLES, 0, NULL, NULL };
	colrule rl = r;

	*mask = 0;
	if (list == NULL)
		return 0;
	rl.label = label;
	if (check_list(NULL, &rl, list) < 0)
		return VIOS_EUSAGE;
	*mask = roles_mask(list);
	return 0;
}

int vios_case_roles(char *out, size_t len, vios_store *st, const char *id, const char *add, const char *remove)
{
	const tableinfo *t = table_find("case_file");
	uint32_t plus, minus, cur;
	char stored[256], now[256];
	const char *v;
	int error, found;

	assert(out != NULL && len > 0 && st != NULL && id != NULL && t != NULL);
	out[0] = 0;
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a case id", id);
		return VIOS_EUSAGE;
	}
	if (add == NULL && remove == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "give --add ROLE,... or --remove ROLE,...");
		return VIOS_EUSAGE;
	}
	if ((error = roles_arg(&plus, "--add", add)) < 0 || (error = roles_arg(&minus, "--remove", remove)) < 0)
		return error;
	if (plus & minus) {
		vios_role_mask_format(now, sizeof(now), plus & minus);
		vios_error_set(VIOS_ERR_INPUT, "%s both added and removed", now);
		return VIOS_EUSAGE;
	}
	if (minus & VIOS_ROLE_SCHOOL) {
		vios_error_set(VIOS_ERR_INPUT, "the school role cannot be removed: the school owns the case");
		return VIOS_EUSAGE;
	}
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	if ((error = exists(st, "case_file", id, &found)) < 0)
		goto done;
	if (!found) {
		vios_error_set(VIOS_ERR_INPUT, "no case with id %s", id);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	if ((error = after(&v, stored, sizeof(stored), st, t, id, NULL, 0, "roles")) < 0)
		goto done;
	cur = roles_mask(v);
	if (minus & ~cur) {
		vios_role_mask_format(now, sizeof(now), minus & ~cur);
		vios_error_set(VIOS_ERR_INPUT, "--remove: %s does not take part in the case", now);
		error = VIOS_EUSAGE;
		goto done;
	}
	/* a list of every role at the table fits: vios_role_mask_format cannot fail */
	vios_role_mask_format(now, sizeof(now), (cur | plus) & ~minus);
	{
		json_t *changed = json_array();
		vios_field f = { "roles", now };
		/* checked: now is a canonical list, and may be empty once the last
		 * partner leaves (a case opened without --roles is too) */
		if (changed == NULL)
			error = vios_error_nomem();
		else
			error = edit_in_tx(changed, st, t, id, &f, 1, 1);
		json_decref(changed);
	}
	if (error == 0)
		error = vios_store_tx_commit(st);
done:
	if (error < 0)
		vios_store_tx_rollback(st);
	else
		snprintf(out, len, "%s", now);
	return error;
}

int vios_case_lead(vios_store *st, const char *id, const char *role)
{
	const tableinfo *t = table_find("case_file");
	vios_field f = { "lead_role", role };

	assert(st != NULL && id != NULL && role != NULL && t != NULL);
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a case id", id);
		return VIOS_EUSAGE;
	}
	if (!vios_role_at_table(role)) {
		vios_error_set(VIOS_ERR_INPUT, "unknown role '%s' (roles: %s)", role, vios_role_table_list());
		return VIOS_EUSAGE;
	}
	return edit(NULL, st, t, id, &f, 1, 0);
}

/* ---- queries ------------------------------------------------------------ */

int vios_query(json_t **out, vios_store *st, const char *zSql, const char *const *params, size_t n)
{
	sqlite3_stmt *pStmt = NULL;
	json_t *rows = json_array(), *row;
	int rc, error;

	assert(out != NULL && st != NULL && st->db != NULL && zSql != NULL);
	assert(params != NULL || n == 0);
	*out = NULL;
	if (rows == NULL)
		return vios_error_nomem();
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++)
		sqlite3_bind_text(pStmt, (int)i + 1, params[i], -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = SQLITE_ROW;
	while (rc == SQLITE_ROW && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		if ((row = json_object()) == NULL || json_array_append_new(rows, row) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		for (int c = 0; c < sqlite3_column_count(pStmt); c++) {
			json_t *v;
			switch (sqlite3_column_type(pStmt, c)) {
			case SQLITE_NULL: v = json_null(); break;
			case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(pStmt, c)); break;
			default: v = json_string((const char *)sqlite3_column_text(pStmt, c)); break;
			}
			if (v == NULL || json_object_set_new(row, sqlite3_column_name(pStmt, c), v) < 0) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
	}
	if (rc == SQLITE_NOMEM)
		vios_error_nomem();
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading the store")) < 0) {
		json_decref(rows);
		return error;
	}
	*out = rows;
	return 0;
}

int vios_pupil_row(json_t **out, vios_store *st, const char *id)
{
	const char *p[] = { id };
	int error;

	assert(out != NULL && st != NULL && id != NULL);
	*out = NULL;
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a pupil id", id);
		return VIOS_EUSAGE;
	}
	if ((error = vios_query(out, st, "SELECT * FROM pupil WHERE id = ?", p, 1)) < 0)
		return error;
	if (json_array_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
		vios_error_set(VIOS_ERR_INPUT, "no pupil with id %s", id);
		return VIOS_ENOTFOUND;
	}
	return 0;
}

int vios_pupil_show(json_t **out, vios_store *st, const char *id)
{
	json_t *pupil = NULL, *signals = NULL, *cases = NULL, *agreements = NULL, *doc = NULL;
	const char *p[] = { id };
	int error;

	assert(out != NULL && st != NULL && id != NULL);
	*out = NULL;
	if ((error = vios_pupil_row(&pupil, st, id)) < 0)
		goto done;
	if ((error = vios_query(&signals, st, "SELECT * FROM signal WHERE pupil_id = ? ORDER BY seen_at, id", p, 1)) < 0 ||
	    (error = vios_query(&cases, st, "SELECT * FROM case_file WHERE pupil_id = ? ORDER BY opened_at, id", p, 1)) < 0 ||
	    (error = vios_query(&agreements, st,
				"SELECT a.* FROM agreement a JOIN case_file c ON a.case_id = c.id"
				" WHERE c.pupil_id = ? ORDER BY a.due_date, a.id", p, 1)) < 0)
		goto done;
	if ((error = vios_pupil_age_mark(pupil)) < 0)
		goto done;
	if ((doc = json_pack("{s:O, s:O, s:O, s:O}", "pupil", json_array_get(pupil, 0), "signals", signals,
			     "cases", cases, "agreements", agreements)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = vios_store_log(st, "read", "pupil", id, "show")) < 0)
		goto done;
	*out = doc;
	doc = NULL;
done:
	json_decref(pupil);
	json_decref(signals);
	json_decref(cases);
	json_decref(agreements);
	json_decref(doc);
	return error;
}

#define LISTS_SIGNAL VIOS_SQL_LISTS_SIGNAL

int vios_signal_show(json_t **out, vios_store *st, const char *id)
{
	json_t *sig = NULL, *pupil = NULL, *cases = NULL, *doc = NULL;
	const char *p[] = { id };
	int error;

	assert(out != NULL && st != NULL && id != NULL);
	*out = NULL;
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a signal id", id);
		return VIOS_EUSAGE;
	}
	if ((error = vios_query(&sig, st, "SELECT s.*, " VIOS_SQL_SIGNAL_TRIAGE_COLS("s") " FROM signal s WHERE s.id = ?1",
				p, 1)) < 0)
		goto done;
	if (json_array_size(sig) == 0) {
		vios_error_set(VIOS_ERR_INPUT, "no signal with id %s", id);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	if ((error = vios_query(&pupil, st,
				"SELECT p.id, p.name, p.class FROM pupil p JOIN signal s ON s.pupil_id = p.id"
				" WHERE s.id = ?", p, 1)) < 0 ||
	    (error = vios_query(&cases, st,
				"SELECT c.*, p.name AS pupil FROM case_file c LEFT JOIN pupil p ON p.id = c.pupil_id"
				" WHERE " LISTS_SIGNAL("c.signals", "?1") " ORDER BY c.opened_at, c.id", p, 1)) < 0)
		goto done;
	if ((doc = json_pack("{s:O, s:O, s:O}", "signal", json_array_get(sig, 0), "pupil",
			     json_array_size(pupil) ? json_array_get(pupil, 0) : json_null(), "cases", cases)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = vios_store_log(st, "read", "signal", id, "show")) < 0)
		goto done;
	*out = doc;
	doc = NULL;
done:
	json_decref(sig);
	json_decref(pupil);
	json_decref(cases);
	json_decref(doc);
	return error;
}

int vios_case_meldcode(vios_store *st, const char *id, int step, const char *date, const char *note,
		       const char *outcome)
{
	vios_meldcode m;
	char *text = NULL, *next = NULL, why[16];
	int found, error;

	assert(st != NULL && id != NULL && date != NULL);
	memset(&m, 0, sizeof(m));
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a case id", id);
		return VIOS_EUSAGE;
	}
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	if ((error = one_text(st, "SELECT id FROM case_file WHERE id = ?", id, why, sizeof(why), &found)) < 0)
		goto done;
	if (!found) {
		vios_error_set(VIOS_ERR_INPUT, "no case with id %s", id);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	if ((error = one_text_dup(st, "SELECT meldcode FROM case_file WHERE id = ?", id, &text)) < 0 ||
	    (error = vios_meldcode_parse(&m, text)) < 0 ||
	    (error = vios_meldcode_set(&m, step, date, note, outcome)) < 0 ||
	    (error = vios_meldcode_format(&next, &m)) < 0)
		goto done;
	{
		const char *p[] = { next, id };
		if ((error = run(st, "UPDATE case_file SET meldcode = ? WHERE id = ?", p, 2)) < 0)
			goto done;
	}
	snprintf(why, sizeof(why), "meldcode %d", step);
	if ((error = vios_store_log(st, "update", "case_file", id, why)) < 0)
		goto done;
	error = vios_store_tx_commit(st);
done:
	if (error < 0)
		vios_store_tx_rollback(st);
	vios_meldcode_clear(&m);
	free(text);
	free(next);
	return error;
}

/* The case's meldcode column in c (a row of case_file) as vios_meldcode_json's
 * steps, in place. */
static int case_meldcode_mark(json_t *c)
{
	json_t *v = json_object_get(c, "meldcode"), *steps;
	vios_meldcode m;
	int error;

	if ((error = vios_meldcode_parse(&m, json_is_string(v) ? json_string_value(v) : NULL)) < 0)
		return error;
	steps = vios_meldcode_json(&m);
	vios_meldcode_clear(&m);
	if (steps == NULL || json_object_set_new(c, "meldcode", steps) < 0)
		return vios_error_nomem();
	return 0;
}

int vios_case_show(json_t **out, vios_store *st, const char *id)
{
	json_t *c = NULL, *pupil = NULL, *signals = NULL, *meetings = NULL, *agreements = NULL, *doc = NULL;
	const char *p[] = { id };
	int error;

	assert(out != NULL && st != NULL && id != NULL);
	*out = NULL;
	if (!vios_uuid_valid(id)) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not a case id", id);
		return VIOS_EUSAGE;
	}
	/* A node that takes no part in the case does not hold it: not found. */
	if ((error = vios_query(&c, st, "SELECT * FROM case_file WHERE id = ?", p, 1)) < 0)
		goto done;
	if (json_array_size(c) == 0) {
		vios_error_set(VIOS_ERR_INPUT, "no case with id %s", id);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	/* Its agreements: those made in the case and those made at its meetings. */
	if ((error = vios_query(&pupil, st,
				"SELECT p.* FROM pupil p JOIN case_file c ON c.pupil_id = p.id WHERE c.id = ?", p, 1)) < 0 ||
	    (error = vios_query(&signals, st,
				"SELECT s.* FROM signal s JOIN case_file c ON " LISTS_SIGNAL("c.signals", "s.id")
				" WHERE c.id = ?1 ORDER BY s.seen_at, s.id", p, 1)) < 0 ||
	    (error = vios_query(&meetings, st, "SELECT * FROM meeting WHERE case_id = ? ORDER BY date, id", p, 1)) < 0 ||
	    (error = vios_query(&agreements, st,
				"SELECT * FROM agreement WHERE case_id = ?1"
				" OR meeting_id IN (SELECT id FROM meeting WHERE case_id = ?1) ORDER BY due_date, id",
				p, 1)) < 0)
		goto done;
	if ((error = vios_case_view_mark(json_array_get(c, 0), st->node)) < 0 ||
	    (error = case_meldcode_mark(json_array_get(c, 0))) < 0 ||
	    (error = vios_pupil_age_mark(pupil)) < 0)
		goto done;
	if ((doc = json_pack("{s:O, s:O, s:O, s:O, s:O}", "case", json_array_get(c, 0), "pupil",
			     json_array_size(pupil) ? json_array_get(pupil, 0) : json_null(), "signals", signals,
			     "meetings", meetings, "agreements", agreements)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = vios_store_log(st, "read", "case_file", id, "show")) < 0)
		goto done;
	*out = doc;
	doc = NULL;
done:
	json_decref(c);
	json_decref(pupil);
	json_decref(signals);
	json_decref(meetings);
	json_decref(agreements);
	json_decref(doc);
	return error;
}

/* ---- lists -------------------------------------------------------------- */

static const struct {
	const char *tbl; /* the table a read of the list is logged on (vios_records_list_log); NULL: none */
	const char *zSql;
	size_t nfilter;
	int self; /* 1: this node's id is bound after the filters (?nfilter+1) */
} lists[] = {
	[VIOS_LIST_PUPILS] = { "pupil", "SELECT id, name, class, birth_date, local_id, over16 FROM pupil ORDER BY name, id", 0 },
	[VIOS_LIST_SIGNALS] = { "signal", "SELECT s.*, " VIOS_SQL_SIGNAL_TRIAGE_COLS("s") " FROM signal s"
				" WHERE (?1 IS NULL OR s.theme = ?1) AND (?2 IS NULL OR s.seen_at >= ?2)"
				" AND (?3 IS NULL OR s.pupil_id = ?3)"
				/* a triage filter is about this node's own signals (?5):
				 * another node's signal moves on at its own table (rhythm.h) */
				" AND (?4 IS NULL OR (s.origin = ?5 AND " VIOS_SQL_SIGNAL_TRIAGE("s") " = ?4))"
				" ORDER BY s.seen_at, s.id", 4, 1 },
	[VIOS_LIST_TRENDS] = { "trend", "SELECT * FROM trend ORDER BY period, theme, id", 0 },
	[VIOS_LIST_MEETINGS] = { "meeting", "SELECT * FROM meeting ORDER BY date, id", 0 },
	[VIOS_LIST_CASES] = { "case_file", "SELECT c.*, p.name AS pupil FROM case_file c LEFT JOIN pupil p ON p.id = c.pupil_id"
			      " WHERE (?1 IS NULL OR c.status = ?1) ORDER BY c.opened_at, c.id", 1 },
	[VIOS_LIST_AGREEMENTS] = { "agreement", "SELECT * FROM agreement WHERE (?1 IS NULL OR case_id = ?1)"
				   " AND (?2 IS NULL OR (status = 'open' AND due_date < ?2))"
				   " ORDER BY due_date, id", 2 },
	[VIOS_LIST_ACCESS_LOG] = { NULL, "SELECT * FROM (SELECT * FROM access_log ORDER BY seq DESC LIMIT CAST(?1 AS INTEGER))"
				   " ORDER BY seq", 1 },
};

int vios_records_list(json_t **out, vios_store *st, vios_list_kind what,
		      const char *const *filter, size_t n)
{
	const char *p[8];
	int error;

	assert(out != NULL && st != NULL);
	assert((size_t)what < sizeof(lists) / sizeof(lists[0]) && lists[what].zSql != NULL);
	assert(n == lists[what].nfilter && (filter != NULL || n == 0));
	assert(n + 1 <= sizeof(p) / sizeof(p[0]));
	assert(what != VIOS_LIST_ACCESS_LOG || filter[0] != NULL);
	for (size_t i = 0; i < n; i++)
		p[i] = filter[i];
	if (lists[what].self)
		p[n++] = st->node->node_id;
	if ((error = vios_query(out, st, lists[what].zSql, p, n)) == 0 &&
	    ((what == VIOS_LIST_CASES && (error = vios_case_view_mark(*out, st->node)) < 0) ||
	     (what == VIOS_LIST_PUPILS && (error = vios_pupil_age_mark(*out)) < 0))) {
		json_decref(*out);
		*out = NULL;
	}
	return error;
}

/* ---- monthly signal counts ---------------------------------------------- */

int vios_signal_count_todo(json_t **out, vios_store *st, const char *origin)
{
	const char *p[1] = { origin };

	assert(out != NULL && st != NULL && origin != NULL);
	/* counted per (theme, day) first, in the order of the index on (theme,
	 * seen_at, origin, id), which needs no sort; then the days' counts per
	 * month: the refresh before every export sorts a row per day and theme,
	 * not one per signal (seen_at is a day) */
	return vios_query(out, st,
			  "SELECT month, theme, sum(n) AS n, max(have) AS have, max(old) AS old FROM ("
			  " SELECT substr(day, 1, 7) AS month, theme, k AS n, 0 AS have, -1 AS old FROM ("
			  "  SELECT theme, seen_at AS day, count(*) AS k FROM signal"
			  "  WHERE origin = ?1 AND seen_at IS NOT NULL AND theme IS NOT NULL GROUP BY theme, seen_at)"
			  " UNION ALL SELECT month, theme, 0, 1, signals FROM signal_count WHERE origin = ?1)"
			  " GROUP BY month, theme", p, 1);
}

int vios_signal_count_put(vios_store *st, const char *id, const char *origin, const char *month,
			  const char *theme, long long signals, const char *updated_at)
{
	sqlite3_stmt *p = NULL;
	int rc;

	assert(st != NULL && st->db != NULL && id != NULL && origin != NULL && month != NULL);
	assert(theme != NULL && updated_at != NULL);
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO signal_count(id, origin, month, theme, signals, updated_at) VALUES (?,?,?,?,?,?)"
				" ON CONFLICT(id) DO UPDATE SET signals = excluded.signals, updated_at = excluded.updated_at",
				-1, &p, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(p, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, origin, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 3, month, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 4, theme, -1, SQLITE_STATIC);
		sqlite3_bind_int64(p, 5, signals);
		sqlite3_bind_text(p, 6, updated_at, -1, SQLITE_STATIC);
		rc = sqlite3_step(p);
	}
	sqlite3_finalize(p);
	return vios_store_error(st->db, rc, "counting signals");
}

int vios_signal_count_range(json_t **out, vios_store *st)
{
	assert(out != NULL && st != NULL);
	return vios_query(out, st,
			  "SELECT min(m) AS lo, max(m) AS hi FROM (SELECT month AS m FROM signal_count"
			  " UNION ALL SELECT month FROM school_figure"
			  " UNION ALL SELECT period FROM trend WHERE period GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]')",
			  NULL, 0);
}

int vios_signal_count_list(json_t **out, vios_store *st, const char *lo, const char *hi)
{
	const char *p[2] = { lo, hi };

	assert(out != NULL && st != NULL && lo != NULL && hi != NULL);
	return vios_query(out, st, "SELECT origin, month, theme, signals FROM signal_count WHERE month BETWEEN ?1 AND ?2",
			  p, 2);
}

int vios_trend_list_between(json_t **out, vios_store *st, const char *lo, const char *hi)
{
	const char *p[2] = { lo, hi };

	assert(out != NULL && st != NULL && lo != NULL && hi != NULL);
	return vios_query(out, st,
			  "SELECT origin, period AS month, theme, level FROM trend WHERE period BETWEEN ?1 AND ?2"
			  " ORDER BY created_at, id", p, 2);
}

int vios_signal_count_schools(json_t **out, vios_store *st)
{
	assert(out != NULL && st != NULL);
	return vios_query(out, st,
			  "SELECT DISTINCT o.origin, coalesce(r.name, o.origin) AS name FROM"
			  " (SELECT origin FROM signal_count UNION SELECT origin FROM trend UNION SELECT origin FROM school_figure) o"
			  " LEFT JOIN reg_node r ON r.node_id = o.origin WHERE o.origin IS NOT NULL ORDER BY name, o.origin",
			  NULL, 0);
}

int vios_records_list_log(vios_store *st, vios_list_kind what, const char *why, size_t n)
{
	char note[160];
	int error;

	if ((unsigned)what >= sizeof(lists) / sizeof(lists[0]) || lists[what].tbl == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "not a list of records");
		return VIOS_EUSAGE;
	}
	if ((error = vios_snprintf(note, sizeof(note), "list%s%s, %zu rows", why ? " " : "", why ? why : "", n)) < 0)
		return error;
	return vios_store_log(st, "read", lists[what].tbl, NULL, note);
}

int vios_records_list_read(json_t **out, vios_store *st, vios_list_kind what, const char *const *filter, size_t n,
			   const char *why)
{
	int error;

	*out = NULL;
	if ((error = vios_records_list(out, st, what, filter, n)) < 0)
		return error;
	if ((error = vios_records_list_log(st, what, why, json_array_size(*out))) < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return error;
}
