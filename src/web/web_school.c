/*
 * web_school.c - the school's safety coordinator's pages (issue 21): the
 * start page, pupils, the record forms, the case page, the agenda, the
 * conflicts and the access log.
 *
 * Every page calls the library functions the matching CLI command calls
 * (src/cli/cmd_records.c, cmd_rhythm.c, cmd_crdt.c, cmd_hub.c's status):
 * the validation, the mandate, the one-line errors and the access log
 * entries are theirs. A form's fields are named after the record's
 * columns, as the CLI's add commands fill them (their addopt specs); a
 * date typed goes through web_date_in, an empty field is a field not given.
 * A POST that the library refuses shows the form again with what was typed
 * and the library's line, and has written nothing (the library's
 * transaction); one that writes answers 303 to the page showing the result.
 *
 * URLs carry ids only: a search is a POST, a form's defaults come as
 * ?pupil=ID, ?case=ID, ?meeting=ID, ?signal=ID. A signal's page closes it
 * at triage (vios_signal_close, as `signal close`).
 *
 * "Sync now" is the core's job page (/sync, web_job.c); the start page
 * says when the last sync was and what waits to be sent, as `vios status`.
 */
#include "web/web.h"

#include "crdt/crdt.h"
#include "node/vocab.h"
#include "store/directory.h"
#include "store/ledger.h"
#include "store/meldcode.h"
#include "store/records.h"
#include "store/rhythm.h"
#include "util/error.h"
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many rows of a list are shown; a search narrows it. */
#define LIST_CAP 300
/* The access log's latest entries shown, unless all are asked for. */
#define LOG_LATEST "200"
#define MAXF 16

/* ---- small helpers -------------------------------------------------------- */

static int empty(const char *s)
{
	return s == NULL || *s == 0;
}

/* A comma list of roles in words. */
static void h_roles(vios_web_req *r, const char *list)
{
	char role[64];
	int first = 1;

	if (empty(list)) {
		h_raw(r, "&mdash;");
		return;
	}
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n > 0 && n < sizeof(role)) {
			memcpy(role, p, n);
			role[n] = 0;
			h_printf(r, "%s%s", first ? "" : ", ", web_role(role));
			first = 0;
		}
		p += n + (p[n] == ',');
	}
}

static void h_yesno(vios_web_req *r, const json_t *v)
{
	if (!json_is_integer(v))
		h_raw(r, "&mdash;");
	else
		h_esc(r, json_integer_value(v) ? _("yes") : _("no"));
}

/* A case's short reference as a link to its page. */
static void h_case(vios_web_req *r, const char *id)
{
	char ref[64];

	if (empty(id) || !vios_uuid_valid(id)) {
		h_raw(r, "&mdash;");
		return;
	}
	if (web_case_ref(ref, sizeof(ref), r, id) < 0)
		snprintf(ref, sizeof(ref), "%.8s", id);
	h_printf(r, "<a href=\"/case/%s\">%s</a>", id, ref);
}

/* A pupil as "name (class)" into buf, from a pupil row. */
static const char *pupil_label(char *buf, size_t len, const json_t *p)
{
	const char *name = web_col(p, "name"), *cls = web_col(p, "class");

	if (empty(cls))
		snprintf(buf, len, "%s", name ? name : "?");
	else
		snprintf(buf, len, "%s (%s)", name ? name : "?", cls);
	return buf;
}

/* The pupils this node holds, by id (rows of VIOS_LIST_PUPILS), for
 * showing a pupil id as "name (class)". Read as the CLI's pupil list is,
 * and logged as it. NULL on failure (the error is set). */
static json_t *pupil_map(vios_web_req *r, json_t **list_out);

/* A pupil id as "name (class)", a link to the pupil's page; fallback (a
 * name from the row, e.g. a case list's "pupil") when the map lacks it. */
static void h_pupil(vios_web_req *r, const json_t *map, const char *id, const char *fallback)
{
	const json_t *p = id ? json_object_get(map, id) : NULL;
	char buf[300];

	if (p != NULL)
		h_printf(r, "<a href=\"/pupil/%s\">%s</a>", id, pupil_label(buf, sizeof(buf), p));
	else if (!empty(fallback) && id && vios_uuid_valid(id))
		h_printf(r, "<a href=\"/pupil/%s\">%s</a>", id, fallback);
	else if (!empty(fallback))
		h_esc(r, fallback);
	else
		h_raw(r, "&mdash;");
}

/* A value of a JSON row as text (conflicts hold integers and reals too). */
static void h_value(vios_web_req *r, const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		h_esc(r, json_string_value(v));
	else if (json_is_integer(v))
		h_printf(r, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		h_esc(r, buf);
	} else
		h_raw(r, "&mdash;");
}

/* A list and its read in the access log, as the CLI's lists
 * (vios_records_list_read). */
static int list_logged(json_t **out, vios_web_req *r, vios_list_kind what, const char *const *params, size_t n,
		       const char *why)
{
	return vios_records_list_read(out, web_store(r), what, params, n, why);
}

static json_t *pupil_map(vios_web_req *r, json_t **list_out)
{
	json_t *rows = NULL, *map, *p;
	size_t i;

	if (list_logged(&rows, r, VIOS_LIST_PUPILS, NULL, 0, NULL) < 0)
		return NULL;
	if ((map = json_object()) == NULL) {
		json_decref(rows);
		vios_error_nomem();
		return NULL;
	}
	json_array_foreach(rows, i, p)
		if (web_col(p, "id"))
			json_object_set(map, web_col(p, "id"), p);
	if (list_out)
		*list_out = rows;
	else
		json_decref(rows);
	return map;
}

/* A page that could not read what it shows: the library's line. */
static void page_failed(vios_web_req *r, int error, const char *title)
{
	if (error == VIOS_ENOTFOUND) {
		web_fail(r, 404, vios_error_last());
		return;
	}
	if (error == VIOS_EUSAGE) {
		web_fail(r, 400, vios_error_last());
		return;
	}
	web_page_begin(r, title);
	web_error_line(r);
	web_page_end(r);
}

static void print_hint(vios_web_req *r)
{
	h_printf(r, "<p class=\"print-hint\">%s</p>\n",
		 _("Print this page with your browser (Ctrl+P) to take it to the meeting."));
}

/* ---- tables ---------------------------------------------------------------- */

enum { C_TEXT, C_DATE, C_TIME, C_WORD, C_THEME, C_ROLE, C_ROLES, C_PUPIL, C_CASE, C_YESNO, C_VALUE, C_MEETING, C_SIGNAL,
       C_MEETDATE, C_AGRDATE };

typedef struct {
	const char *key;
	const char *head; /* N_() */
	int how;
} tcol;

/* rows under cols, at most cap of them (0: all); "None." when empty. For
 * C_PUPIL the key holds a pupil id shown through map (a row's "pupil" name
 * when the map lacks it); C_MEETING links a meeting's agenda when it is
 * planned. */
static void h_table(vios_web_req *r, const json_t *rows, const tcol *cols, const json_t *map, size_t cap)
{
	const json_t *row;
	size_t i;

	if (json_array_size(rows) == 0) {
		h_printf(r, "<p class=\"none\">%s</p>\n", _("None."));
		return;
	}
	h_raw(r, "<table>\n<thead><tr>");
	for (const tcol *c = cols; c->key; c++)
		h_printf(r, "<th>%s</th>", _(c->head));
	h_raw(r, "</tr></thead>\n<tbody>\n");
	json_array_foreach(rows, i, row) {
		if (cap && i >= cap)
			break;
		h_raw(r, "<tr>");
		for (const tcol *c = cols; c->key; c++) {
			const char *v = web_col(row, c->key);
			h_raw(r, "<td>");
			switch (c->how) {
			case C_DATE: web_date_cell(r, v); break;
			case C_SIGNAL:
				/* a signal's date, a link to its page */
				if (web_col(row, "id") && vios_uuid_valid(web_col(row, "id"))) {
					h_printf(r, "<a href=\"/signal/%s\">", web_col(row, "id"));
					web_date_cell(r, v);
					h_raw(r, "</a>");
				} else
					web_date_cell(r, v);
				break;
			case C_MEETDATE:
			case C_AGRDATE:
				/* a meeting's or an agreement's date, a link to its page */
				if (web_col(row, "id") && vios_uuid_valid(web_col(row, "id"))) {
					h_printf(r, "<a href=\"/%s/%s\">", c->how == C_MEETDATE ? "meeting" : "agreement",
						 web_col(row, "id"));
					web_date_cell(r, v);
					h_raw(r, "</a>");
				} else
					web_date_cell(r, v);
				break;
			case C_TIME: web_time_cell(r, v); break;
			case C_WORD: if (v) h_esc(r, web_word(v)); else h_raw(r, "&mdash;"); break;
			case C_THEME: if (v) h_esc(r, web_theme(r, v)); else h_raw(r, "&mdash;"); break;
			case C_ROLE: if (v) h_esc(r, web_role(v)); else h_raw(r, "&mdash;"); break;
			case C_ROLES: h_roles(r, v); break;
			case C_PUPIL: h_pupil(r, map, v, web_col(row, "pupil")); break;
			case C_CASE: h_case(r, v); break;
			case C_YESNO: h_yesno(r, json_object_get(row, c->key)); break;
			case C_VALUE: h_value(r, json_object_get(row, c->key)); break;
			case C_MEETING:
				if (json_is_integer(json_object_get(row, "planned")) &&
				    json_integer_value(json_object_get(row, "planned")) && v && vios_uuid_valid(v))
					h_printf(r, "<a href=\"/agenda/%s\">%s</a>", v, _("agenda"));
				else
					h_esc(r, _("held"));
				break;
			default: if (v) h_esc(r, v); else h_raw(r, "&mdash;"); break;
			}
			h_raw(r, "</td>");
		}
		h_raw(r, "</tr>\n");
	}
	h_raw(r, "</tbody></table>\n");
	if (cap && json_array_size(rows) > cap)
		h_printf(r, "<p class=\"notice\">%s</p>\n", _("More rows than shown: search to narrow the list."));
}

static const tcol signal_cols[] = { { "seen_at", N_("Seen"), C_SIGNAL },	   { "theme", N_("Theme"), C_THEME },
				   { "severity", N_("Severity"), C_WORD }, { "location", N_("Where"), C_WORD },
				   { "pupil_id", N_("Pupil"), C_PUPIL },   { "triage", N_("Triage"), C_WORD },
				   { "case", N_("Case"), C_CASE },	   { "note", N_("Note"), C_TEXT },
				   { NULL, NULL, 0 } };
/* a signal of a pupil's or a case's page (vios_pupil_show, vios_case_show:
 * the table's columns, no triage), and a new one on the start page */
static const tcol own_signal_cols[] = { { "seen_at", N_("Seen"), C_SIGNAL },	  { "theme", N_("Theme"), C_THEME },
					{ "severity", N_("Severity"), C_WORD }, { "location", N_("Where"), C_WORD },
					{ "source", N_("Source"), C_TEXT },	  { "note", N_("Note"), C_TEXT },
					{ NULL, NULL, 0 } };
static const tcol new_signal_cols[] = { { "seen_at", N_("Seen"), C_SIGNAL },	  { "theme", N_("Theme"), C_THEME },
					{ "severity", N_("Severity"), C_WORD }, { "location", N_("Where"), C_WORD },
					{ "pupil_id", N_("Pupil"), C_PUPIL },	  { "note", N_("Note"), C_TEXT },
					{ NULL, NULL, 0 } };
static const tcol case_cols[] = { { "id", N_("Case"), C_CASE },	     { "pupil_id", N_("Pupil"), C_PUPIL },
				 { "status", N_("Status"), C_WORD }, { "roles", N_("Roles"), C_ROLES },
				 { "lead_role", N_("Lead"), C_ROLE }, { "opened_at", N_("Opened"), C_DATE },
				 { NULL, NULL, 0 } };
static const tcol agreement_cols[] = { { "due_date", N_("Due"), C_AGRDATE },     { "owner_role", N_("Owner"), C_ROLE },
				      { "status", N_("Status"), C_WORD },    { "action", N_("Action"), C_TEXT },
				      { "feedback", N_("Feedback"), C_TEXT }, { "case_id", N_("Case"), C_CASE },
				      { NULL, NULL, 0 } };
static const tcol meeting_cols[] = { { "date", N_("Date"), C_MEETDATE },	    { "kind", N_("Kind"), C_WORD },
				    { "roles", N_("Roles"), C_ROLES },	    { "case_id", N_("Case"), C_CASE },
				    { "id", N_("Agenda"), C_MEETING },	    { "minutes", N_("Minutes"), C_TEXT },
				    { NULL, NULL, 0 } };
static const tcol trend_cols[] = { { "period", N_("Period"), C_TEXT }, { "theme", N_("Theme"), C_THEME },
				  { "level", N_("Level"), C_WORD },   { "note", N_("Note"), C_TEXT },
				  { NULL, NULL, 0 } };

/* ---- forms ----------------------------------------------------------------- */

/* How a form field is asked. */
enum {
	F_TEXT,    /* one line */
	F_AREA,    /* free text */
	F_DATE,    /* DD-MM-YYYY or YYYY-MM-DD, through web_date_in */
	F_MONTH,   /* YYYY-MM */
	F_YESNO,   /* "", yes (1), no (0) */
	F_CHOICE,  /* the column's words (vios_record_choices) */
	F_THEME,   /* the base themes and the approved covenant's local ones */
	F_ROLE,    /* one role at the table */
	F_ROLES,   /* roles at the table but the school: checkboxes COL-ROLE, a comma list */
	F_PUPIL,   /* a pupil held here */
	F_CASE,    /* an open case */
	F_MEETING, /* a meeting */
	F_SIGNALS, /* checkboxes sig-ID of the candidate signals, a comma list */
	F_CHECK    /* a checkbox: "1" when ticked */
};

typedef struct {
	const char *col;   /* the record's column: the form field's name */
	const char *label; /* N_() */
	int kind;
	const char *query; /* the query argument giving its default on GET, or NULL */
} field;

/* What a form's POST gives the library: the fields, and the text they
 * point to (date and list by the field's place in its spec). */
typedef struct {
	vios_field f[MAXF];
	size_t n;
	char date[MAXF][16];
	char *list[MAXF];
} form_values;

static void form_values_dispose(form_values *v)
{
	for (size_t i = 0; i < MAXF; i++)
		free(v->list[i]);
}

/* What a field holds now: what was typed (POST), else its default (GET),
 * else the record's value (cur: an edit form's record, or NULL). */
static const char *fval(vios_web_req *r, const field *f, const json_t *cur)
{
	const char *v = web_arg(r, f->col);

	if (v == NULL && !web_is_post(r) && f->query)
		v = web_arg(r, f->query);
	if (v == NULL && cur)
		v = web_col(cur, f->col);
	return v;
}

static int ticked(vios_web_req *r, const char *prefix, const char *item)
{
	char name[128];

	if (snprintf(name, sizeof(name), "%s-%s", prefix, item) >= (int)sizeof(name))
		return 0;
	return !empty(web_arg(r, name));
}

/* The roles ticked for col, as a comma list (role order) into out. */
static void roles_ticked(char *out, size_t len, vios_web_req *r, const char *col)
{
	out[0] = 0;
	for (int i = 0; i < VIOS_ROLE_TABLE_COUNT; i++) {
		const char *role = vios_role_name(i);
		if (i == VIOS_ROLE_IDX_SCHOOL || !ticked(r, col, role))
			continue;
		snprintf(out + strlen(out), len - strlen(out), "%s%s", *out ? "," : "", role);
	}
}

/*
 * The form's fields as the library takes them: empty fields are not given,
 * a date through web_date_in, role and signal checkboxes joined into their
 * comma lists (signals: the candidates ticked, in their order). 0, or
 * VIOS_ERROR (out of memory).
 */
static int form_collect(form_values *out, vios_web_req *r, const field *spec, const json_t *signals)
{
	memset(out, 0, sizeof(*out));
	/* a field's text lives at its place in spec, given or not */
	for (const field *f = spec; f->col && f - spec < MAXF; f++) {
		size_t k = (size_t)(f - spec);
		const char *v = web_arg(r, f->col);
		if (f->kind == F_ROLES) {
			if ((out->list[k] = malloc(256)) == NULL)
				return vios_error_nomem();
			roles_ticked(out->list[k], 256, r, f->col);
			v = out->list[k];
		} else if (f->kind == F_SIGNALS) {
			const json_t *s;
			size_t i;
			if ((out->list[k] = calloc(json_array_size(signals) + 1, 37)) == NULL)
				return vios_error_nomem();
			json_array_foreach(signals, i, s)
				if (web_col(s, "id") && ticked(r, "sig", web_col(s, "id")))
					sprintf(out->list[k] + strlen(out->list[k]), "%s%s", *out->list[k] ? "," : "",
						web_col(s, "id"));
			v = out->list[k];
		} else if (f->kind == F_DATE)
			v = web_date_in(out->date[k], sizeof(out->date[k]), v);
		else if (f->kind == F_CHECK)
			v = empty(v) ? NULL : "1";
		if (empty(v))
			continue;
		out->f[out->n++] = (vios_field){ f->col, v };
	}
	return 0;
}

static void option(vios_web_req *r, const char *value, const char *label, const char *cur)
{
	h_printf(r, "<option value=\"%s\"%s>%s</option>", value, cur && !strcmp(cur, value) ? " selected" : "", label);
}

/* The select of a field whose choices come from a list of rows. */
static void select_rows(vios_web_req *r, const field *f, const char *cur, const json_t *rows, const json_t *map)
{
	const json_t *row;
	size_t i;
	char label[400], buf[300];

	h_printf(r, "<select id=\"%s\" name=\"%s\">", f->col, f->col);
	option(r, "", "\xe2\x80\x94", cur);
	json_array_foreach(rows, i, row) {
		const char *id = web_col(row, "id");
		if (id == NULL)
			continue;
		if (f->kind == F_PUPIL)
			pupil_label(label, sizeof(label), row);
		else if (f->kind == F_CASE) {
			const json_t *p = json_object_get(map, web_col(row, "pupil_id") ? web_col(row, "pupil_id") : "");
			if (web_case_ref(buf, sizeof(buf), r, id) < 0)
				snprintf(buf, sizeof(buf), "%.8s", id);
			snprintf(label, sizeof(label), "%s, %s", buf, p ? web_col(p, "name") : web_col(row, "pupil") ? web_col(row, "pupil") : "");
		} else {
			char d[32];
			web_date_out(d, sizeof(d), web_col(row, "date") ? web_col(row, "date") : "");
			snprintf(label, sizeof(label), "%s %s", d, web_col(row, "kind") ? web_word(web_col(row, "kind")) : "");
		}
		option(r, id, label, cur);
	}
	h_raw(r, "</select>");
}

/* What the selects and checkboxes of a form list. */
typedef struct {
	json_t *pupils;  /* VIOS_LIST_PUPILS rows */
	json_t *map;     /* by id */
	json_t *cases;   /* open cases */
	json_t *meetings;
	json_t *signals; /* the candidates of an F_SIGNALS field */
	const char *table;
} form_lists;

static void form_lists_dispose(form_lists *l)
{
	json_decref(l->pupils);
	json_decref(l->map);
	json_decref(l->cases);
	json_decref(l->meetings);
	json_decref(l->signals);
}

/* The form's fields with what they hold (typed on POST, defaults on GET,
 * else the record rec's values: an edit form). */
static void form_fields(vios_web_req *r, const field *spec, const form_lists *l, const json_t *rec)
{
	for (const field *f = spec; f->col; f++) {
		const char *cur = fval(r, f, rec);
		char day[16];
		h_printf(r, "<p class=\"field\"><label for=\"%s\">%s</label><br>\n", f->col, _(f->label));
		switch (f->kind) {
		case F_AREA:
			h_printf(r, "<textarea id=\"%s\" name=\"%s\" rows=\"4\" cols=\"60\">%s</textarea>", f->col, f->col,
				 cur ? cur : "");
			break;
		case F_DATE:
			/* a stored date shows as it is typed here, DD-MM-YYYY */
			if (cur && vios_date_valid(cur)) {
				web_date_out(day, sizeof(day), cur);
				cur = day;
			}
			h_printf(r, "<input type=\"text\" id=\"%s\" name=\"%s\" value=\"%s\" placeholder=\"%s\" size=\"12\">",
				 f->col, f->col, cur ? cur : "", _("DD-MM-YYYY"));
			break;
		case F_MONTH:
			h_printf(r, "<input type=\"text\" id=\"%s\" name=\"%s\" value=\"%s\" placeholder=\"%s\" size=\"9\">",
				 f->col, f->col, cur ? cur : "", _("YYYY-MM"));
			break;
		case F_YESNO:
			h_printf(r, "<select id=\"%s\" name=\"%s\">", f->col, f->col);
			option(r, "", "\xe2\x80\x94", cur);
			option(r, "1", _("yes"), cur);
			option(r, "0", _("no"), cur);
			h_raw(r, "</select>");
			break;
		case F_CHOICE: {
			const char *const *w = vios_record_choices(l->table, f->col);
			h_printf(r, "<select id=\"%s\" name=\"%s\">", f->col, f->col);
			option(r, "", "\xe2\x80\x94", cur);
			for (; w && *w; w++)
				option(r, *w, web_word(*w), cur);
			h_raw(r, "</select>");
			break;
		}
		case F_THEME: {
			vios_theme_set set;
			h_printf(r, "<select id=\"%s\" name=\"%s\">", f->col, f->col);
			option(r, "", "\xe2\x80\x94", cur);
			for (int i = 0; i < VIOS_THEME_COUNT; i++)
				option(r, vios_theme_name(i), web_theme(r, vios_theme_name(i)), cur);
			if (vios_store_themes(&set, web_store(r)) == 0)
				for (size_t i = 0; i < set.n; i++)
					option(r, set.local[i].name, web_theme(r, set.local[i].name), cur);
			h_raw(r, "</select>");
			break;
		}
		case F_ROLE:
			h_printf(r, "<select id=\"%s\" name=\"%s\">", f->col, f->col);
			option(r, "", "\xe2\x80\x94", cur);
			for (int i = 0; i < VIOS_ROLE_TABLE_COUNT; i++)
				option(r, vios_role_name(i), web_role(vios_role_name(i)), cur);
			h_raw(r, "</select>");
			break;
		case F_ROLES:
			for (int i = 0; i < VIOS_ROLE_TABLE_COUNT; i++) {
				const char *role = vios_role_name(i);
				if (i == VIOS_ROLE_IDX_SCHOOL)
					continue;
				h_printf(r, "<label class=\"check\"><input type=\"checkbox\" name=\"%s-%s\" value=\"1\"%s> %s</label> ",
					 f->col, role, web_is_post(r) && ticked(r, f->col, role) ? " checked" : "",
					 web_role(role));
			}
			break;
		case F_PUPIL:
			select_rows(r, f, cur, l->pupils, l->map);
			break;
		case F_CASE:
			select_rows(r, f, cur, l->cases, l->map);
			break;
		case F_MEETING:
			select_rows(r, f, cur, l->meetings, l->map);
			break;
		case F_SIGNALS: {
			const json_t *s;
			size_t i;
			const char *pre = web_arg(r, "signal");
			if (json_array_size(l->signals) == 0)
				h_printf(r, "<span class=\"none\">%s</span>", _("None."));
			json_array_foreach(l->signals, i, s) {
				const char *id = web_col(s, "id");
				char d[32];
				int on;
				if (id == NULL)
					continue;
				on = web_is_post(r) ? ticked(r, "sig", id) : pre != NULL && !strcmp(pre, id);
				web_date_out(d, sizeof(d), web_col(s, "seen_at") ? web_col(s, "seen_at") : "");
				h_printf(r, "<label class=\"check\"><input type=\"checkbox\" name=\"sig-%s\" value=\"1\"%s> %s %s: %s</label><br>\n",
					 id, on ? " checked" : "", d, web_theme(r, web_col(s, "theme") ? web_col(s, "theme") : ""),
					 web_col(s, "note") ? web_col(s, "note") : "");
			}
			break;
		}
		case F_CHECK:
			h_printf(r, "<input type=\"checkbox\" id=\"%s\" name=\"%s\" value=\"1\"%s>", f->col, f->col,
				 !empty(cur) ? " checked" : "");
			break;
		default:
			h_printf(r, "<input type=\"text\" id=\"%s\" name=\"%s\" value=\"%s\" size=\"40\">", f->col, f->col,
				 cur ? cur : "");
			break;
		}
		h_raw(r, "</p>\n");
	}
}

/*
 * One record form: GET shows it, POST adds the record through
 * vios_record_add (as the CLI's add command) and answers 303 to the page
 * after(id, fields) names; a refusal shows the form again with the
 * library's line. lists says which selects the form needs.
 */
typedef struct {
	const char *path;   /* the form's own path */
	const char *title;  /* N_() */
	const char *table;
	const field *spec;
	const char *submit; /* N_() */
	/* the page to show the new record on (into out) */
	void (*after)(char *out, size_t len, const char *id, const form_values *v);
	/* the candidates of an F_SIGNALS field: GET (with its defaults) or POST */
	int (*signals)(json_t **out, vios_web_req *r);
} form_def;

static int spec_has(const field *spec, int kind)
{
	for (; spec->col; spec++)
		if (spec->kind == kind)
			return 1;
	return 0;
}

static const char *given(const form_values *v, const char *col)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->f[i].col, col))
			return v->f[i].val;
	return NULL;
}

static int form_lists_load(form_lists *l, vios_web_req *r, const form_def *d)
{
	int error = 0;

	memset(l, 0, sizeof(*l));
	l->table = d->table;
	if (spec_has(d->spec, F_PUPIL) || spec_has(d->spec, F_CASE)) {
		if ((l->map = pupil_map(r, &l->pupils)) == NULL)
			return VIOS_ERROR;
	}
	if (spec_has(d->spec, F_CASE)) {
		json_t *all = NULL, *c;
		size_t i;
		const char *p[] = { NULL };
		if ((error = list_logged(&all, r, VIOS_LIST_CASES, p, 1, NULL)) < 0)
			return error;
		l->cases = json_array();
		json_array_foreach(all, i, c)
			if (web_col(c, "status") && !vios_case_status_final(web_col(c, "status")))
				json_array_append(l->cases, c);
		json_decref(all);
	}
	if (spec_has(d->spec, F_MEETING) &&
	    (error = list_logged(&l->meetings, r, VIOS_LIST_MEETINGS, NULL, 0, NULL)) < 0)
		return error;
	if (spec_has(d->spec, F_SIGNALS) && d->signals && (error = d->signals(&l->signals, r)) < 0)
		return error;
	return 0;
}

static void form_page(vios_web_req *r, const form_def *d)
{
	form_lists l;
	form_values v;
	char id[37], next[128];
	int error, failed = 0;

	memset(&v, 0, sizeof(v));
	if (web_is_post(r)) {
		json_t *cand = NULL;
		if ((error = spec_has(d->spec, F_SIGNALS) && d->signals ? d->signals(&cand, r) : 0) < 0 ||
		    (error = form_collect(&v, r, d->spec, cand)) < 0 ||
		    (error = vios_record_add(id, web_store(r), d->table, v.f, v.n)) < 0) {
			json_decref(cand);
			failed = 1;
		} else {
			json_decref(cand);
			d->after(next, sizeof(next), id, &v);
			form_values_dispose(&v);
			web_redirect(r, next);
			return;
		}
	}
	web_page_begin(r, _(d->title));
	/* the library's line first: the lists below must not replace it */
	if (failed)
		web_error_line(r);
	form_values_dispose(&v);
	if ((error = form_lists_load(&l, r, d)) < 0) {
		web_error_line(r);
		form_lists_dispose(&l);
		web_page_end(r);
		return;
	}
	web_form_begin(r, d->path);
	form_fields(r, d->spec, &l, NULL);
	h_printf(r, "<p><button type=\"submit\">%s</button></p>\n</form>\n", _(d->submit));
	form_lists_dispose(&l);
	web_page_end(r);
}

/* ---- the forms ------------------------------------------------------------ */

static void after_pupil(char *out, size_t len, const char *id, const form_values *v)
{
	(void)v;
	snprintf(out, len, "/pupil/%s", id);
}

static void after_signal(char *out, size_t len, const char *id, const form_values *v)
{
	const char *p = given(v, "pupil_id");

	(void)id;
	if (p && vios_uuid_valid(p))
		snprintf(out, len, "/pupil/%s", p);
	else
		snprintf(out, len, "/signals");
}

static void after_trend(char *out, size_t len, const char *id, const form_values *v)
{
	(void)id, (void)v;
	snprintf(out, len, "/trends");
}

static void after_meeting(char *out, size_t len, const char *id, const form_values *v)
{
	(void)id, (void)v;
	snprintf(out, len, "/meetings");
}

static void after_case(char *out, size_t len, const char *id, const form_values *v)
{
	(void)v;
	snprintf(out, len, "/case/%s", id);
}

static void after_agreement(char *out, size_t len, const char *id, const form_values *v)
{
	const char *c = given(v, "case_id");

	(void)id;
	if (c && vios_uuid_valid(c))
		snprintf(out, len, "/case/%s", c);
	else
		snprintf(out, len, "/meetings");
}

/* cmd_pupil's add spec */
static const field pupil_form[] = { { "name", N_("Name"), F_TEXT, NULL },
				    { "birth_date", N_("Date of birth"), F_DATE, NULL },
				    { "class", N_("Class"), F_TEXT, NULL },
				    { "local_id", N_("Pupil number (school administration)"), F_TEXT, NULL },
				    { "guardian_contact", N_("Contact of the parents or guardians"), F_AREA, NULL },
				    { NULL, NULL, 0, NULL } };
/* cmd_signal's add spec */
static const field signal_form[] = { { "theme", N_("Theme"), F_THEME, NULL },
				     { "note", N_("What was seen"), F_AREA, NULL },
				     { "pupil_id", N_("Pupil (none: a thematic signal)"), F_PUPIL, "pupil" },
				     { "seen_at", N_("Seen on"), F_DATE, NULL },
				     { "location", N_("Where"), F_CHOICE, NULL },
				     { "severity", N_("Severity"), F_CHOICE, NULL },
				     { "source", N_("Source"), F_TEXT, NULL },
				     { "basis", N_("Legal basis"), F_CHOICE, NULL },
				     { "parents_informed", N_("Parents informed"), F_YESNO, NULL },
				     { "not_informed_reason", N_("Why the parents were not informed"), F_TEXT, NULL },
				     { NULL, NULL, 0, NULL } };
/* cmd_trend's add spec */
static const field trend_form[] = { { "theme", N_("Theme"), F_THEME, NULL },
				    { "period", N_("Month (YYYY-MM)"), F_MONTH, NULL },
				    { "level", N_("Level"), F_CHOICE, NULL },
				    { "note", N_("Note"), F_AREA, NULL },
				    { NULL, NULL, 0, NULL } };
/* cmd_meeting's add spec, and plan's planned meeting (one) */
static const field meeting_form[] = { { "kind", N_("Kind of meeting"), F_CHOICE, NULL },
				      { "date", N_("Date"), F_DATE, NULL },
				      { "roles", N_("Partners at the table"), F_ROLES, NULL },
				      { "case_id", N_("Case (a case meeting)"), F_CASE, "case" },
				      { "minutes", N_("Minutes"), F_AREA, NULL },
				      { "planned", N_("Planned, not held yet (its agenda is made from it)"), F_CHECK, NULL },
				      { NULL, NULL, 0, NULL } };
/* cmd_case's open spec */
static const field case_form[] = { { "pupil_id", N_("Pupil"), F_PUPIL, "pupil" },
				   { "signals", N_("Signals of the case"), F_SIGNALS, NULL },
				   { "roles", N_("Partners taking part"), F_ROLES, NULL },
				   { "lead_role", N_("Lead"), F_ROLE, NULL },
				   { "basis", N_("Legal basis"), F_CHOICE, NULL },
				   { "parents_informed", N_("Parents informed (empty: as the signals say)"), F_YESNO, NULL },
				   { "not_informed_reason", N_("Why the parents were not informed"), F_TEXT, NULL },
				   { "police_info", N_("Police information (art. 10 GDPR)"), F_AREA, NULL },
				   { "care_info", N_("Care information (art. 9 GDPR)"), F_AREA, NULL },
				   { NULL, NULL, 0, NULL } };
/* cmd_agreement's add spec */
static const field agreement_form[] = { { "case_id", N_("Case"), F_CASE, "case" },
					{ "meeting_id", N_("Meeting"), F_MEETING, "meeting" },
					{ "owner_role", N_("Who does it"), F_ROLE, NULL },
					{ "action", N_("What is agreed"), F_AREA, NULL },
					{ "due_date", N_("Due on"), F_DATE, NULL },
					{ NULL, NULL, 0, NULL } };

/*
 * The signals a case form offers. On GET: the pupil's signals when
 * ?pupil=ID, else the new ones; on POST every signal held, so a pupil
 * chosen after the form was shown loses none of the ticks. Listed (and
 * logged) as the CLI's signal list.
 */
static int case_signals(json_t **out, vios_web_req *r)
{
	const char *pupil = web_is_post(r) ? NULL : web_arg(r, "pupil");
	const char *p[4] = { NULL, NULL, NULL, NULL };
	char why[160];

	if (pupil && vios_uuid_valid(pupil))
		p[2] = pupil;
	else if (!web_is_post(r))
		p[3] = vios_triage_name(VIOS_TRIAGE_NEW);
	if (vios_snprintf(why, sizeof(why), "theme=* since=* pupil=%s%s", p[2] ? p[2] : "*", p[3] ? " new" : "") < 0)
		return VIOS_ERROR;
	return list_logged(out, r, VIOS_LIST_SIGNALS, p, 4, why);
}

static const form_def pupil_def = { "/pupil-new", N_("New pupil"), "pupil", pupil_form, N_("Add pupil"), after_pupil, NULL };
static const form_def signal_def = { "/signal-new", N_("New signal"), "signal", signal_form, N_("Record signal"), after_signal, NULL };
static const form_def trend_def = { "/trend-new", N_("New trend"), "trend", trend_form, N_("Record trend"), after_trend, NULL };
static const form_def meeting_def = { "/meeting-new", N_("New meeting"), "meeting", meeting_form, N_("Record meeting"), after_meeting, NULL };
static const form_def case_def = { "/case-new", N_("New case"), "case_file", case_form, N_("Open case"), after_case, case_signals };
static const form_def agreement_def = { "/agreement-new", N_("New agreement"), "agreement", agreement_form, N_("Record agreement"), after_agreement, NULL };

static void page_pupil_new(vios_web_req *r, const char *rest)
{
	(void)rest;
	form_page(r, &pupil_def);
}

static void page_signal_new(vios_web_req *r, const char *rest)
{
	(void)rest;
	form_page(r, &signal_def);
}

static void page_trend_new(vios_web_req *r, const char *rest)
{
	(void)rest;
	form_page(r, &trend_def);
}

static void page_meeting_new(vios_web_req *r, const char *rest)
{
	(void)rest;
	form_page(r, &meeting_def);
}

static void page_case_new(vios_web_req *r, const char *rest)
{
	(void)rest;
	form_page(r, &case_def);
}

static void page_agreement_new(vios_web_req *r, const char *rest)
{
	(void)rest;
	form_page(r, &agreement_def);
}

/* ---- the start page ------------------------------------------------------- */

/* Last sync and what waits to be sent, as `vios status` says them. */
static int sync_summary(vios_web_req *r)
{
	vios_ledger_counts c;
	size_t pending = 0;
	char *last = NULL, *via = NULL;
	int error;

	if ((error = vios_store_meta_get(&last, web_store(r), "last_sync")) < 0 && error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_store_meta_get(&via, web_store(r), "last_sync_via")) < 0 && error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_ledger_count(&c, web_store(r))) < 0 || (error = vios_crdt_pending_count(&pending, web_store(r))) < 0)
		goto done;
	h_printf(r, "<p>%s ", _("Last sync:"));
	if (last)
		web_time_cell(r, last);
	else
		h_esc(r, _("never"));
	if (via)
		h_printf(r, " (%s)", _("by USB stick"));
	h_raw(r, "</p>\n<p>");
	h_printf(r, _("Waiting to be sent: %zu changes not sealed yet, %zu bundles not sent yet."), pending, c.unpushed);
	h_printf(r, "</p>\n<p><a href=\"/sync\">%s</a></p>\n", _("Sync now"));
	error = 0;
done:
	free(last);
	free(via);
	return error;
}

static void page_start(vios_web_req *r, const char *rest)
{
	json_t *map = NULL, *sig = NULL, *cases = NULL, *open = NULL, *agr = NULL, *overdue = NULL, *week = NULL, *a;
	char today[11], in7[11];
	size_t i;
	int error;

	if (!empty(rest) && strcmp(rest, "/") != 0) {
		web_fail(r, 404, _("No such page."));
		return;
	}
	vios_today(today);
	vios_day_after(in7, 7);
	{
		const char *ps[] = { NULL, NULL, NULL, vios_triage_name(VIOS_TRIAGE_NEW) };
		const char *pc[] = { NULL };
		const char *pa[] = { NULL, in7 };
		if ((map = pupil_map(r, NULL)) == NULL ||
		    (error = list_logged(&sig, r, VIOS_LIST_SIGNALS, ps, 4, "theme=* since=* pupil=* new")) < 0 ||
		    (error = list_logged(&cases, r, VIOS_LIST_CASES, pc, 1, NULL)) < 0 ||
		    (error = list_logged(&agr, r, VIOS_LIST_AGREEMENTS, pa, 2, "due within a week")) < 0) {
			page_failed(r, VIOS_ERROR, _("Start"));
			goto done;
		}
	}
	open = json_array();
	overdue = json_array();
	week = json_array();
	if (open == NULL || overdue == NULL || week == NULL) {
		vios_error_nomem();
		page_failed(r, VIOS_ERROR, _("Start"));
		goto done;
	}
	json_array_foreach(cases, i, a)
		if (web_col(a, "status") && !vios_case_status_final(web_col(a, "status")))
			json_array_append(open, a);
	json_array_foreach(agr, i, a)
		json_array_append(web_col(a, "due_date") && strcmp(web_col(a, "due_date"), today) < 0 ? overdue : week, a);

	web_page_begin(r, _("Start"));
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("New signals, not discussed yet"), json_array_size(sig));
	h_table(r, sig, new_signal_cols, map, LIST_CAP);
	h_printf(r, "<p><a href=\"/signal-new\">%s</a></p>\n", _("Record a signal"));
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Open cases"), json_array_size(open));
	h_table(r, open, case_cols, map, LIST_CAP);
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Agreements overdue"), json_array_size(overdue));
	h_table(r, overdue, agreement_cols, map, LIST_CAP);
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Agreements due this week"), json_array_size(week));
	h_table(r, week, agreement_cols, map, LIST_CAP);
	h_printf(r, "<h2>%s</h2>\n", _("Sync"));
	if (sync_summary(r) < 0)
		web_error_line(r);
	web_page_end(r);
done:
	json_decref(map);
	json_decref(sig);
	json_decref(cases);
	json_decref(open);
	json_decref(agr);
	json_decref(overdue);
	json_decref(week);
}

/* ---- pupils --------------------------------------------------------------- */

static void page_pupils(vios_web_req *r, const char *rest)
{
	const char *q = web_is_post(r) ? web_arg(r, "q") : NULL;
	json_t *rows = NULL, *hits = NULL, *p;
	size_t i;

	(void)rest;
	if (vios_records_list(&rows, web_store(r), VIOS_LIST_PUPILS, NULL, 0) < 0) {
		page_failed(r, VIOS_ERROR, _("Pupils"));
		return;
	}
	/* a search narrows the list by name or class; the query itself is never logged */
	if ((hits = json_array()) == NULL) {
		vios_error_nomem();
		page_failed(r, VIOS_ERROR, _("Pupils"));
		json_decref(rows);
		return;
	}
	json_array_foreach(rows, i, p)
		if (empty(q) || (web_col(p, "name") && strcasestr(web_col(p, "name"), q)) ||
		    (web_col(p, "class") && strcasestr(web_col(p, "class"), q)))
			json_array_append(hits, p);
	if (vios_records_list_log(web_store(r), VIOS_LIST_PUPILS, empty(q) ? NULL : "search", json_array_size(hits)) < 0) {
		page_failed(r, VIOS_ERROR, _("Pupils"));
		goto done;
	}
	web_page_begin(r, _("Pupils"));
	web_form_begin(r, "/pupils");
	h_printf(r, "<p><label for=\"q\">%s</label> <input type=\"search\" id=\"q\" name=\"q\" value=\"%s\"> "
		    "<button type=\"submit\">%s</button></p>\n</form>\n",
		 _("Name or class"), q ? q : "", _("Search"));
	if (!empty(q)) {
		h_raw(r, "<p>");
		h_printf(r, _("Pupils found: %zu"), json_array_size(hits));
		h_raw(r, "</p>\n");
	}
	h_raw(r, "<table>\n<thead><tr>");
	h_printf(r, "<th>%s</th><th>%s</th><th>%s</th></tr></thead>\n<tbody>\n", _("Name"), _("Class"), _("Date of birth"));
	json_array_foreach(hits, i, p) {
		if (i >= LIST_CAP)
			break;
		h_printf(r, "<tr><td><a href=\"/pupil/%s\">%s</a></td><td>%s</td><td>", web_col(p, "id"), web_col(p, "name"),
			 web_col(p, "class"));
		web_date_cell(r, web_col(p, "birth_date"));
		h_raw(r, "</td></tr>\n");
	}
	h_raw(r, "</tbody></table>\n");
	if (json_array_size(hits) == 0)
		h_printf(r, "<p class=\"none\">%s</p>\n", _("None."));
	else if (json_array_size(hits) > LIST_CAP)
		h_printf(r, "<p class=\"notice\">%s</p>\n", _("More rows than shown: search to narrow the list."));
	h_printf(r, "<p><a href=\"/pupil-new\">%s</a></p>\n", _("Add a pupil"));
	web_page_end(r);
done:
	json_decref(rows);
	json_decref(hits);
}

static void page_pupil(vios_web_req *r, const char *id)
{
	json_t *doc = NULL, *p, *map = NULL;
	char label[300];
	int error;

	if (id == NULL || !vios_uuid_valid(id)) {
		web_fail(r, 404, _("No such pupil."));
		return;
	}
	if ((error = vios_pupil_show(&doc, web_store(r), id)) < 0) {
		page_failed(r, error, _("Pupil"));
		return;
	}
	p = json_object_get(doc, "pupil");
	if ((map = json_object()) != NULL)
		json_object_set(map, id, p);
	web_page_begin(r, pupil_label(label, sizeof(label), p));
	h_raw(r, "<dl>\n");
	h_printf(r, "<dt>%s</dt><dd>%s</dd>\n", _("Name"), web_col(p, "name"));
	h_printf(r, "<dt>%s</dt><dd>%s</dd>\n", _("Class"), web_col(p, "class") ? web_col(p, "class") : "\xe2\x80\x94");
	h_printf(r, "<dt>%s</dt><dd>", _("Date of birth"));
	web_date_cell(r, web_col(p, "birth_date"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>%s</dd>\n", _("16 or older"),
		 json_is_null(json_object_get(p, "over16")) ? _("unknown (no date of birth)") :
		 json_is_true(json_object_get(p, "over16")) ? _("yes") : _("no"));
	h_printf(r, "<dt>%s</dt><dd>%s</dd>\n", _("Pupil number (school administration)"),
		 web_col(p, "local_id") ? web_col(p, "local_id") : "\xe2\x80\x94");
	h_raw(r, "</dl>\n");
	h_printf(r, "<p><a href=\"/signal-new?pupil=%s\">%s</a> &middot; <a href=\"/case-new?pupil=%s\">%s</a>"
		    " &middot; <a href=\"/pupil-edit/%s\">%s</a></p>\n", id,
		 _("Record a signal about this pupil"), id, _("Open a case"), id, _("Edit the pupil"));
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Signals"), json_array_size(json_object_get(doc, "signals")));
	h_table(r, json_object_get(doc, "signals"), own_signal_cols, map, 0);
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Cases"), json_array_size(json_object_get(doc, "cases")));
	h_table(r, json_object_get(doc, "cases"), case_cols, map, 0);
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Agreements"), json_array_size(json_object_get(doc, "agreements")));
	h_table(r, json_object_get(doc, "agreements"), agreement_cols, map, 0);
	web_page_end(r);
	json_decref(map);
	json_decref(doc);
}

/*
 * /pupil-edit/ID: the pupil's fields (cmd_pupil's spec), filled in from
 * the record (vios_pupil_show, logged as the page's read); POST changes
 * them through vios_record_edit as `pupil edit`: a field typed is given, an
 * emptied one is given empty (the library clears or refuses it), one left
 * empty stays as it is. Only columns that differ are written (the library).
 */
static void page_pupil_edit(vios_web_req *r, const char *id)
{
	json_t *doc = NULL, *cur = NULL;
	form_values v;
	form_lists l;
	char path[64], line[512] = "";
	int error, failed = 0;

	if (id == NULL || !vios_uuid_valid(id)) {
		web_fail(r, 404, _("No such pupil."));
		return;
	}
	snprintf(path, sizeof(path), "/pupil/%s", id);
	if (web_is_post(r)) {
		memset(&v, 0, sizeof(v));
		/* the record as it is, unshown and unlogged: which empty fields were emptied */
		if ((error = vios_pupil_row(&cur, web_store(r), id)) == 0) {
			for (const field *f = pupil_form; f->col && f - pupil_form < MAXF; f++) {
				size_t k = (size_t)(f - pupil_form);
				const char *t = web_arg(r, f->col);
				if (f->kind == F_DATE)
					t = web_date_in(v.date[k], sizeof(v.date[k]), t);
				if (t == NULL || (empty(t) && empty(web_col(json_array_get(cur, 0), f->col))))
					continue;
				v.f[v.n++] = (vios_field){ f->col, t };
			}
			error = vios_record_edit(NULL, web_store(r), "pupil", id, v.f, v.n);
		}
		json_decref(cur);
		if (error == 0) {
			web_redirect(r, path);
			return;
		}
		failed = 1;
		snprintf(line, sizeof(line), "%s", vios_error_last());
	}
	if ((error = vios_pupil_show(&doc, web_store(r), id)) < 0) {
		page_failed(r, error, _("Edit the pupil"));
		return;
	}
	if (failed)
		vios_error_set(VIOS_ERR_INPUT, "%s", line);
	web_page_begin(r, _("Edit the pupil"));
	if (failed)
		web_error_line(r);
	memset(&l, 0, sizeof(l));
	l.table = "pupil";
	snprintf(path, sizeof(path), "/pupil-edit/%s", id);
	web_form_begin(r, path);
	form_fields(r, pupil_form, &l, json_object_get(doc, "pupil"));
	/* last, so an emptied last field still arrives (form_end) */
	h_printf(r, "<input type=\"hidden\" name=\"form\" value=\"pupil\">\n"
		    "<p><button type=\"submit\">%s</button> <a href=\"/pupil/%s\">%s</a></p>\n</form>\n", _("Save"), id,
		 _("Back to the pupil"));
	web_page_end(r);
	json_decref(doc);
}

/* ---- lists: signals, meetings, trends -------------------------------------- */

static void list_page(vios_web_req *r, const char *title, vios_list_kind what, size_t nparams,
		      const tcol *cols, const char *newpath, const char *newlabel)
{
	const char *p[4] = { NULL, NULL, NULL, NULL };
	json_t *rows = NULL, *map = NULL;

	if ((map = pupil_map(r, NULL)) == NULL || list_logged(&rows, r, what, p, nparams, NULL) < 0) {
		page_failed(r, VIOS_ERROR, title);
		goto done;
	}
	web_page_begin(r, title);
	h_printf(r, "<p><a href=\"%s\">%s</a></p>\n", newpath, newlabel);
	h_table(r, rows, cols, map, LIST_CAP);
	web_page_end(r);
done:
	json_decref(rows);
	json_decref(map);
}

static void page_signals(vios_web_req *r, const char *rest)
{
	(void)rest;
	list_page(r, _("Signals"), VIOS_LIST_SIGNALS, 4, signal_cols, "/signal-new", _("Record a signal"));
}

static void page_meetings(vios_web_req *r, const char *rest)
{
	(void)rest;
	list_page(r, _("Meetings"), VIOS_LIST_MEETINGS, 0, meeting_cols, "/meeting-new", _("Record a meeting"));
}

static void page_trends(vios_web_req *r, const char *rest)
{
	(void)rest;
	list_page(r, _("Trends"), VIOS_LIST_TRENDS, 0, trend_cols, "/trend-new", _("Record a trend"));
}

/* ---- the signal page -------------------------------------------------------- */

/* /signal/ID: the signal (vios_signal_show, logged as `signal show`) and,
 * while it is new or discussed, the form closing it at triage with a reason
 * (vios_signal_close, as `signal close`). */
static void signal_render(vios_web_req *r, const char *id, int failed)
{
	json_t *doc = NULL, *sg, *pu, *map = NULL;
	const char *triage;
	char path[64], line[512] = "";
	int error;

	if (failed)
		snprintf(line, sizeof(line), "%s", vios_error_last());
	if ((error = vios_signal_show(&doc, web_store(r), id)) < 0) {
		page_failed(r, error, _("Signal"));
		return;
	}
	if (failed)
		vios_error_set(VIOS_ERR_INPUT, "%s", line);
	sg = json_object_get(doc, "signal");
	pu = json_object_get(doc, "pupil");
	if ((map = json_object()) != NULL && json_is_object(pu) && web_col(pu, "id"))
		json_object_set(map, web_col(pu, "id"), pu);
	triage = web_col(sg, "triage") ? web_col(sg, "triage") : "";
	web_page_begin(r, _("Signal"));
	if (failed)
		web_error_line(r);
	h_raw(r, "<dl>\n");
	h_printf(r, "<dt>%s</dt><dd>", _("Seen on"));
	web_date_cell(r, web_col(sg, "seen_at"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>%s</dd>\n", _("Theme"), web_theme(r, web_col(sg, "theme") ? web_col(sg, "theme") : ""));
	h_printf(r, "<dt>%s</dt><dd>", _("Pupil"));
	if (json_is_object(pu))
		h_pupil(r, map, web_col(pu, "id"), NULL);
	else if (web_col(sg, "pupil_id"))
		h_esc(r, _("not held here"));
	else
		h_esc(r, _("none: a thematic signal"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>%s</dd>\n", _("Severity"), web_col(sg, "severity") ? web_word(web_col(sg, "severity")) : "");
	h_printf(r, "<dt>%s</dt><dd>%s</dd>\n", _("Where"), web_col(sg, "location") ? web_word(web_col(sg, "location")) : "");
	h_printf(r, "<dt>%s</dt><dd>%s</dd>\n", _("Source"), web_col(sg, "source") ? web_col(sg, "source") : "\xe2\x80\x94");
	h_printf(r, "<dt>%s</dt><dd>%s</dd>\n", _("Legal basis"), web_col(sg, "basis") ? web_word(web_col(sg, "basis")) : "\xe2\x80\x94");
	h_printf(r, "<dt>%s</dt><dd>", _("Parents informed"));
	h_yesno(r, json_object_get(sg, "parents_informed"));
	if (web_col(sg, "not_informed_reason"))
		h_printf(r, ", %s %s", _("not because:"), web_col(sg, "not_informed_reason"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd><pre>%s</pre></dd>\n", _("What was seen"), web_col(sg, "note"));
	h_printf(r, "<dt>%s</dt><dd>%s", _("Triage"), web_word(triage));
	if (!strcmp(triage, "closed")) {
		h_raw(r, " ");
		web_date_cell(r, web_col(sg, "closed_at"));
		h_printf(r, ": %s", web_col(sg, "closed_reason"));
	} else if (!strcmp(triage, "linked")) {
		h_raw(r, " ");
		h_case(r, web_col(sg, "case"));
	} else if (!strcmp(triage, "discussed")) {
		h_raw(r, " ");
		web_date_cell(r, web_col(sg, "discussed_at"));
	}
	h_raw(r, "</dd>\n</dl>\n");
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Cases"), json_array_size(json_object_get(doc, "cases")));
	h_table(r, json_object_get(doc, "cases"), case_cols, map, 0);
	if (!strcmp(triage, "new") || !strcmp(triage, "discussed")) {
		if (json_is_object(pu))
			h_printf(r, "<p><a href=\"/case-new?pupil=%s&amp;signal=%s\">%s</a></p>\n", web_col(pu, "id"), id,
				 _("Open a case from this signal"));
		h_printf(r, "<h2>%s</h2>\n", _("No further action"));
		snprintf(path, sizeof(path), "/signal/%s", id);
		web_form_begin(r, path);
		h_printf(r, "<p class=\"field\"><label for=\"reason\">%s</label><br>\n"
			    "<textarea id=\"reason\" name=\"reason\" rows=\"3\" cols=\"60\">%s</textarea></p>\n"
			    "<p><button type=\"submit\">%s</button></p>\n</form>\n",
			 _("Why no further action is needed"), web_arg(r, "reason") ? web_arg(r, "reason") : "", _("Close the signal"));
	}
	web_page_end(r);
	json_decref(map);
	json_decref(doc);
}

static void page_signal(vios_web_req *r, const char *id)
{
	char path[64];

	if (id == NULL || !vios_uuid_valid(id)) {
		web_fail(r, 404, _("No such signal."));
		return;
	}
	if (web_is_post(r)) {
		const char *reason = web_arg(r, "reason");
		if (vios_signal_close(web_store(r), id, reason ? reason : "") < 0) {
			signal_render(r, id, 1);
			return;
		}
		snprintf(path, sizeof(path), "/signal/%s", id);
		web_redirect(r, path);
		return;
	}
	signal_render(r, id, 0);
}

/* ---- the case page --------------------------------------------------------- */

/* 1 when the comma list holds item. */
static int in_list(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list ? list : ""; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && !strncmp(p, item, n))
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

/* What a field of a form on a page holds: what was typed, else now. */
static const char *typed_or(vios_web_req *r, const char *name, const char *now)
{
	const char *v = web_is_post(r) ? web_arg(r, name) : NULL;

	return v ? v : now ? now : "";
}

/* A step 5 outcome word (vios_meldcode_outcome_list) in words. */
static const char *outcome_label(const char *word)
{
	if (!strcmp(word, "report"))
		return _("report to Veilig Thuis");
	if (!strcmp(word, "help"))
		return _("organise help");
	if (!strcmp(word, "report-and-help"))
		return _("report and organise help");
	if (!strcmp(word, "none"))
		return _("neither");
	return word;
}

/*
 * A form's end: its hidden field naming it, then the button. The hidden
 * field goes last on purpose: libmicrohttpd hands the page a POST's last
 * field only when it has a value, so an emptied text field must not be
 * last (an empty field is given empty on these forms: it clears).
 */
static void form_end(vios_web_req *r, const char *form, const char *submit)
{
	h_printf(r, "<input type=\"hidden\" name=\"form\" value=\"%s\">\n"
		    "<p class=\"noprint\"><button type=\"submit\">%s</button></p>\n</form>\n", form, submit);
}

/* The forms changing a case (while it is in this node's view): its roles
 * (vios_case_roles), its lead (vios_case_lead), the marked fields
 * (vios_record_edit, as `case info`) and a meldcode step
 * (vios_case_meldcode). Each posts to the case's page with "form" naming
 * it; what was typed stays on a refusal. */
static void case_forms(vios_web_req *r, const char *id, const json_t *cf)
{
	const char *roles = web_col(cf, "roles"), *lead = web_col(cf, "lead_role");
	char path[64], word[32];
	int any;

	snprintf(path, sizeof(path), "/case/%s", id);
	/* roles: those taking part may go, the others may come */
	h_printf(r, "<h2 class=\"noprint\">%s</h2>\n", _("Partners taking part"));
	web_form_begin(r, path);
	for (int pass = 0; pass < 2; pass++) {
		const char *pre = pass ? "remove" : "add";
		h_printf(r, "<p class=\"field noprint\">%s<br>\n", pass ? _("Remove from the case") : _("Add to the case"));
		any = 0;
		for (int i = 0; i < VIOS_ROLE_TABLE_COUNT; i++) {
			const char *role = vios_role_name(i);
			if (i == VIOS_ROLE_IDX_SCHOOL || in_list(roles, role) != pass)
				continue;
			h_printf(r, "<label class=\"check\"><input type=\"checkbox\" name=\"%s-%s\" value=\"1\"%s> %s</label> ", pre,
				 role, web_is_post(r) && ticked(r, pre, role) ? " checked" : "", web_role(role));
			any = 1;
		}
		if (!any)
			h_printf(r, "<span class=\"none\">%s</span>", _("None."));
		h_raw(r, "</p>\n");
	}
	form_end(r, "roles", _("Change the partners"));

	/* the lead: the school or one of the case's roles */
	h_printf(r, "<h2 class=\"noprint\">%s</h2>\n", _("Lead"));
	web_form_begin(r, path);
	h_printf(r, "<p class=\"noprint\"><label for=\"lead\">%s</label> <select id=\"lead\" name=\"lead\">",
		 _("Who leads"));
	for (int i = 0; i < VIOS_ROLE_TABLE_COUNT; i++) {
		const char *role = vios_role_name(i);
		if (i == VIOS_ROLE_IDX_SCHOOL || in_list(roles, role))
			option(r, role, web_role(role), typed_or(r, "lead", lead));
	}
	h_raw(r, "</select></p>\n");
	form_end(r, "lead", _("Change the lead"));

	/* the marked fields, as `case info`: an empty field clears one */
	h_printf(r, "<h2 class=\"noprint\">%s</h2>\n", _("Marked information"));
	web_form_begin(r, path);
	h_printf(r, "<p class=\"field noprint\"><label for=\"police_info\">%s</label><br>\n"
		    "<textarea id=\"police_info\" name=\"police_info\" rows=\"4\" cols=\"60\">%s</textarea></p>\n"
		    "<p class=\"field noprint\"><label for=\"care_info\">%s</label><br>\n"
		    "<textarea id=\"care_info\" name=\"care_info\" rows=\"4\" cols=\"60\">%s</textarea></p>\n"
		    "<p class=\"noprint\">%s</p>\n",
		 _("Police information (art. 10 GDPR)"), typed_or(r, "police_info", web_col(cf, "police_info")),
		 _("Care information (art. 9 GDPR)"), typed_or(r, "care_info", web_col(cf, "care_info")),
		 _("An empty field clears it."));
	form_end(r, "info", _("Save the marked information"));

	/* a meldcode step */
	h_printf(r, "<h2 class=\"noprint\">%s</h2>\n", _("Record a meldcode step"));
	web_form_begin(r, path);
	h_printf(r, "<p class=\"field noprint\"><label for=\"step\">%s</label><br>\n<select id=\"step\" name=\"step\">",
		 _("Step"));
	option(r, "", "\xe2\x80\x94", web_arg(r, "step"));
	for (int i = 1; i <= VIOS_MELDCODE_STEPS; i++) {
		char n[4], label[160];
		snprintf(n, sizeof(n), "%d", i);
		snprintf(label, sizeof(label), "%d. %s", i,
			 !strcmp(web_lang(r), "nl") ? vios_meldcode_step_name_nl(i) : vios_meldcode_step_name(i));
		option(r, n, label, web_arg(r, "step"));
	}
	h_printf(r, "</select></p>\n<p class=\"field noprint\"><label for=\"step_date\">%s</label><br>\n"
		    "<input type=\"text\" id=\"step_date\" name=\"step_date\" value=\"%s\" placeholder=\"%s\" size=\"12\"></p>\n"
		    "<p class=\"field noprint\"><label for=\"step_note\">%s</label><br>\n"
		    "<textarea id=\"step_note\" name=\"step_note\" rows=\"3\" cols=\"60\">%s</textarea></p>\n"
		    "<p class=\"field noprint\"><label for=\"outcome\">%s</label><br>\n<select id=\"outcome\" name=\"outcome\">",
		 _("Date"), typed_or(r, "step_date", NULL), _("DD-MM-YYYY"), _("Note"), typed_or(r, "step_note", NULL),
		 _("Decision (step 5 only)"));
	option(r, "", "\xe2\x80\x94", web_arg(r, "outcome"));
	/* the outcome words as the library lists them: "a, b, c or d" */
	for (const char *p = vios_meldcode_outcome_list(); *p;) {
		size_t n;
		p += strspn(p, ", ");
		n = strcspn(p, ", ");
		if (n > 0 && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = 0;
			if (strcmp(word, "or"))
				option(r, word, outcome_label(word), web_arg(r, "outcome"));
		}
		p += n;
	}
	h_raw(r, "</select></p>\n");
	form_end(r, "meldcode", _("Record the step"));
}

/* A POST of one of case_forms: the library call the CLI command makes,
 * with the command's own checks first (their lines as the CLI's). */
static int case_change(vios_web_req *r, const char *id, const char *form)
{
	if (!strcmp(form, "roles")) {
		char add[256], rem[256], out[256];
		roles_ticked(add, sizeof(add), r, "add");
		roles_ticked(rem, sizeof(rem), r, "remove");
		if (!*add && !*rem) {
			vios_error_set(VIOS_ERR_INPUT, "roles: give --add ROLE,... or --remove ROLE,...");
			return VIOS_EUSAGE;
		}
		return vios_case_roles(out, sizeof(out), web_store(r), id, *add ? add : NULL, *rem ? rem : NULL);
	}
	if (!strcmp(form, "lead")) {
		const char *lead = web_arg(r, "lead");
		return vios_case_lead(web_store(r), id, lead ? lead : "");
	}
	if (!strcmp(form, "info")) {
		vios_field f[2];
		size_t n = 0;
		/* a field on the form is given, empty or not (empty clears it) */
		if (web_arg(r, "police_info"))
			f[n++] = (vios_field){ "police_info", web_arg(r, "police_info") };
		if (web_arg(r, "care_info"))
			f[n++] = (vios_field){ "care_info", web_arg(r, "care_info") };
		if (n == 0) {
			vios_error_set(VIOS_ERR_INPUT, "info: nothing to change, give one or more of --police-info, --care-info");
			return VIOS_EUSAGE;
		}
		return vios_record_edit(NULL, web_store(r), "case_file", id, f, n);
	}
	if (!strcmp(form, "meldcode")) {
		const char *step = web_arg(r, "step"), *date = web_arg(r, "step_date");
		const char *note = web_arg(r, "step_note"), *outcome = web_arg(r, "outcome");
		char day[16], *end = NULL;
		long n;
		if (empty(step) || empty(date)) {
			vios_error_set(VIOS_ERR_INPUT, "meldcode: give --step N (1 to 5) and --date YYYY-MM-DD");
			return VIOS_EUSAGE;
		}
		n = strtol(step, &end, 10);
		if (end == step || *end || n < 1 || n > 5) {
			vios_error_set(VIOS_ERR_INPUT, "--step: the meldcode has steps 1 to 5, not '%s'", step);
			return VIOS_EUSAGE;
		}
		return vios_case_meldcode(web_store(r), id, (int)n, web_date_in(day, sizeof(day), date),
					  empty(note) ? NULL : note, empty(outcome) ? NULL : outcome);
	}
	{
		const char *status = web_arg(r, "status"), *target = web_arg(r, "target");
		return vios_case_set_status(web_store(r), id, status ? status : "", empty(target) ? NULL : target);
	}
}

static void marked(vios_web_req *r, const char *label, const json_t *cf, const char *key)
{
	const char *v = web_col(cf, key);

	h_printf(r, "<dt>%s</dt><dd class=\"marked\">", label);
	if (empty(v))
		h_esc(r, _("(none held here)"));
	else
		h_printf(r, "<pre>%s</pre>", v);
	h_raw(r, "</dd>\n");
}

/* The case and, while it is not final, the form moving its status
 * (vios_case_next_statuses: only what may follow). failed: the library
 * refused the last POST; its line goes first. */
static void case_render(vios_web_req *r, const char *id, int failed)
{
	json_t *doc = NULL, *cf, *pu, *map = NULL;
	const char *next;
	char ref[64], title[128];
	int error;

	if (failed) {
		/* keep the refusal's line: it is shown once the page has begun */
		char line[512];
		snprintf(line, sizeof(line), "%s", vios_error_last());
		if ((error = vios_case_show(&doc, web_store(r), id)) < 0) {
			page_failed(r, error, _("Case"));
			return;
		}
		vios_error_set(VIOS_ERR_INPUT, "%s", line);
	} else if ((error = vios_case_show(&doc, web_store(r), id)) < 0) {
		page_failed(r, error, _("Case"));
		return;
	}
	cf = json_object_get(doc, "case");
	pu = json_object_get(doc, "pupil");
	if ((map = json_object()) != NULL && json_is_object(pu) && web_col(pu, "id"))
		json_object_set(map, web_col(pu, "id"), pu);
	if (web_case_ref(ref, sizeof(ref), r, id) < 0)
		snprintf(ref, sizeof(ref), "%.8s", id);
	snprintf(title, sizeof(title), "%s", ref);
	web_page_begin(r, title);
	if (failed)
		web_error_line(r);
	print_hint(r);
	h_raw(r, "<dl>\n");
	h_printf(r, "<dt>%s</dt><dd>", _("Pupil"));
	if (json_is_object(pu))
		h_pupil(r, map, web_col(pu, "id"), NULL);
	else
		h_esc(r, _("not held here"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>%s", _("Status"), web_word(web_col(cf, "status") ? web_col(cf, "status") : ""));
	if (web_col(cf, "escalation_target"))
		h_printf(r, " (%s)", web_word(web_col(cf, "escalation_target")));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("Partners taking part"));
	h_roles(r, web_col(cf, "roles"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>%s</dd>\n", _("Lead"), web_col(cf, "lead_role") ? web_role(web_col(cf, "lead_role")) : "");
	h_printf(r, "<dt>%s</dt><dd>%s</dd>\n", _("Legal basis"), web_col(cf, "basis") ? web_word(web_col(cf, "basis")) : "");
	h_printf(r, "<dt>%s</dt><dd>", _("Opened"));
	web_date_cell(r, web_col(cf, "opened_at"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("Closed"));
	web_date_cell(r, web_col(cf, "closed_at"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("Parents informed"));
	h_yesno(r, json_object_get(cf, "parents_informed"));
	if (web_col(cf, "not_informed_reason"))
		h_printf(r, ", %s %s", _("not because:"), web_col(cf, "not_informed_reason"));
	h_raw(r, "</dd>\n");
	marked(r, _("Police information (art. 10 GDPR)"), cf, "police_info");
	marked(r, _("Care information (art. 9 GDPR)"), cf, "care_info");
	h_raw(r, "</dl>\n");
	if (json_is_false(json_object_get(cf, "in_view")))
		h_printf(r, "<p class=\"notice\">%s</p>\n", _("This case left this node's view: nothing more of it reaches this node."));
	{
		const json_t *steps = json_object_get(cf, "meldcode"), *o;
		size_t i;
		if (json_array_size(steps)) {
			h_printf(r, "<h2>%s</h2>\n<ol>\n", _("Meldcode"));
			json_array_foreach(steps, i, o) {
				const char *nm = web_col(o, !strcmp(web_lang(r), "nl") ? "name_nl" : "name");
				h_printf(r, "<li>%s: ", nm ? nm : web_col(o, "name") ? web_col(o, "name") : "");
				web_date_cell(r, web_col(o, "at"));
				if (json_object_get(o, "report") != NULL) {
					/* step 5's decision, as case show says it */
					int rep = json_is_true(json_object_get(o, "report")), help = json_is_true(json_object_get(o, "help"));
					h_printf(r, " (%s)", outcome_label(rep && help ? "report-and-help" : rep ? "report" : help ? "help" : "none"));
				}
				if (web_col(o, "note"))
					h_printf(r, " &mdash; %s", web_col(o, "note"));
				h_raw(r, "</li>\n");
			}
			h_raw(r, "</ol>\n");
		}
	}
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Signals"), json_array_size(json_object_get(doc, "signals")));
	h_table(r, json_object_get(doc, "signals"), own_signal_cols, map, 0);
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Meetings"), json_array_size(json_object_get(doc, "meetings")));
	h_table(r, json_object_get(doc, "meetings"), meeting_cols, map, 0);
	h_printf(r, "<p class=\"noprint\"><a href=\"/meeting-new?case=%s\">%s</a></p>\n", id, _("Record a meeting about this case"));
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Agreements"), json_array_size(json_object_get(doc, "agreements")));
	h_table(r, json_object_get(doc, "agreements"), agreement_cols, map, 0);
	next = vios_case_next_statuses(web_col(cf, "status") ? web_col(cf, "status") : "");
	if (!json_is_false(json_object_get(cf, "in_view")) && *next) {
		char path[64], word[32];
		h_printf(r, "<p class=\"noprint\"><a href=\"/agreement-new?case=%s\">%s</a></p>\n", id, _("Record an agreement"));
		h_printf(r, "<h2 class=\"noprint\">%s</h2>\n", _("Change the status"));
		snprintf(path, sizeof(path), "/case/%s", id);
		web_form_begin(r, path);
		h_printf(r, "<p class=\"noprint\"><label for=\"status\">%s</label> <select id=\"status\" name=\"status\">",
			 _("New status"));
		for (const char *p = next; *p;) {
			size_t n = strcspn(p, ",");
			if (n < sizeof(word)) {
				memcpy(word, p, n);
				word[n] = 0;
				option(r, word, web_word(word), web_arg(r, "status"));
			}
			p += n + (p[n] == ',');
		}
		h_printf(r, "</select> <label for=\"target\">%s</label> <select id=\"target\" name=\"target\">",
			 _("escalated to"));
		option(r, "", "\xe2\x80\x94", web_arg(r, "target"));
		for (const char *const *t = vios_record_choices("case_file", "escalation_target"); t && *t; t++)
			option(r, *t, web_word(*t), web_arg(r, "target"));
		h_printf(r, "</select> <button type=\"submit\">%s</button></p>\n</form>\n", _("Change"));
	}
	if (!json_is_false(json_object_get(cf, "in_view")))
		case_forms(r, id, cf);
	web_page_end(r);
	json_decref(map);
	json_decref(doc);
}

static void page_case(vios_web_req *r, const char *id)
{
	char path[64];

	if (id == NULL || !vios_uuid_valid(id)) {
		web_fail(r, 404, _("No such case."));
		return;
	}
	if (web_is_post(r)) {
		/* the status form names none (the first form of the page) */
		const char *form = web_arg(r, "form");
		if (case_change(r, id, form ? form : "status") < 0) {
			case_render(r, id, 1);
			return;
		}
		snprintf(path, sizeof(path), "/case/%s", id);
		web_redirect(r, path);
		return;
	}
	case_render(r, id, 0);
}

/* ---- the agenda ------------------------------------------------------------ */

static void agenda_render(vios_web_req *r, const json_t *doc, const json_t *upcoming)
{
	static const tcol sig_cols[] = { { "seen_at", N_("Seen"), C_DATE },     { "theme", N_("Theme"), C_THEME },
					{ "severity", N_("Severity"), C_WORD }, { "location", N_("Where"), C_WORD },
					{ "pupil", N_("Pupil"), C_TEXT },	{ NULL, NULL, 0 } };
	static const tcol overdue_cols[] = { { "due_date", N_("Due"), C_AGRDATE }, { "owner_role", N_("Owner"), C_ROLE },
					    { "action", N_("Action"), C_TEXT }, { NULL, NULL, 0 } };
	const json_t *m = json_object_get(doc, "meeting"), *cases = json_object_get(doc, "cases"), *c, *u;
	int pupils = vios_meeting_is_case(web_col(m, "kind"), web_col(m, "case_id"));
	tcol scols[8];
	size_t i, k = 0;

	for (const tcol *x = sig_cols; x->key; x++)
		if (strcmp(x->key, "pupil") || pupils)
			scols[k++] = *x;
	scols[k] = (tcol){ NULL, NULL, 0 };
	web_page_begin(r, _("Agenda"));
	print_hint(r);
	h_printf(r, "<p>%s: %s, ", _("Meeting"), web_word(web_col(m, "kind") ? web_col(m, "kind") : ""));
	web_date_cell(r, web_col(m, "date"));
	h_printf(r, "</p>\n<p>%s: ", _("Partners at the table"));
	h_roles(r, web_col(m, "roles"));
	h_raw(r, "</p>\n");
	if (web_col(m, "id") && vios_uuid_valid(web_col(m, "id")))
		h_printf(r, "<p class=\"noprint\"><a href=\"/meeting/%s\">%s</a></p>\n", web_col(m, "id"),
			 _("Record the meeting as held"));
	h_printf(r, "<h2>1. %s (%zu)</h2>\n", _("New signals"), json_array_size(json_object_get(doc, "signals")));
	h_table(r, json_object_get(doc, "signals"), scols, NULL, 0);
	h_printf(r, "<h2>2. %s (%zu)</h2>\n", _("Open cases"), json_array_size(cases));
	if (json_array_size(cases) == 0)
		h_printf(r, "<p class=\"none\">%s</p>\n", _("None."));
	json_array_foreach(cases, i, c) {
		h_raw(r, "<h3>");
		h_case(r, web_col(c, "id"));
		h_printf(r, "</h3>\n<p>%s, %s %s, %s ", web_word(web_col(c, "status") ? web_col(c, "status") : ""), _("lead"),
			 web_col(c, "lead_role") ? web_role(web_col(c, "lead_role")) : "", _("opened"));
		web_date_cell(r, web_col(c, "opened_at"));
		if (pupils && web_col(c, "pupil"))
			h_printf(r, ", %s", web_col(c, "pupil"));
		h_raw(r, "</p>\n");
		if (json_array_size(json_object_get(c, "overdue"))) {
			h_printf(r, "<p>%s</p>\n", _("Agreements overdue:"));
			h_table(r, json_object_get(c, "overdue"), overdue_cols, NULL, 0);
		}
	}
	h_printf(r, "<h2>3. %s (%zu)</h2>\n", _("Trends"), json_array_size(json_object_get(doc, "trends")));
	if (web_col(doc, "since")) {
		h_printf(r, "<p>%s ", _("Recorded since the last meeting of this kind,"));
		web_date_cell(r, web_col(doc, "since"));
		h_raw(r, "</p>\n");
	}
	h_table(r, json_object_get(doc, "trends"), trend_cols, NULL, 0);
	if (json_array_size(upcoming) > 1) {
		h_printf(r, "<h2 class=\"noprint\">%s</h2>\n<ul class=\"noprint\">\n", _("Other planned meetings"));
		json_array_foreach(upcoming, i, u) {
			if (!web_col(u, "id") || !strcmp(web_col(u, "id"), web_col(m, "id") ? web_col(m, "id") : ""))
				continue;
			h_printf(r, "<li><a href=\"/agenda/%s\">", web_col(u, "id"));
			web_date_cell(r, web_col(u, "date"));
			h_printf(r, " %s</a></li>\n", web_word(web_col(u, "kind") ? web_col(u, "kind") : ""));
		}
		h_raw(r, "</ul>\n");
	}
	web_page_end(r);
}

/* /agenda: the next planned meeting's (vios_meeting_next, as `meeting agenda
 * --next`); /agenda/ID: that meeting's. */
static void page_agenda(vios_web_req *r, const char *rest)
{
	char day[11], next[37];
	const char *id = rest;
	json_t *doc = NULL, *upcoming = NULL;
	int error;

	vios_today(day);
	if (!empty(id) && !vios_uuid_valid(id)) {
		web_fail(r, 404, _("No such meeting."));
		return;
	}
	if ((error = vios_meeting_upcoming(&upcoming, web_store(r), day)) < 0) {
		page_failed(r, error, _("Agenda"));
		return;
	}
	if (empty(id)) {
		if ((error = vios_meeting_next(next, web_store(r), day)) == VIOS_ENOTFOUND) {
			web_page_begin(r, _("Agenda"));
			h_printf(r, "<p>%s</p>\n<p><a href=\"/meeting-new\">%s</a></p>\n",
				 _("No meeting is planned: record one as planned to see its agenda."), _("Record a meeting"));
			web_page_end(r);
			goto done;
		}
		if (error < 0) {
			page_failed(r, error, _("Agenda"));
			goto done;
		}
		id = next;
	}
	if ((error = vios_meeting_agenda(&doc, web_store(r), id)) < 0) {
		page_failed(r, error, _("Agenda"));
		goto done;
	}
	agenda_render(r, doc, upcoming);
done:
	json_decref(doc);
	json_decref(upcoming);
}

/* ---- a meeting's page ------------------------------------------------------- */

/* The row of rows whose id is id, or NULL. */
static const json_t *row_by_id(const json_t *rows, const char *id)
{
	const json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
		if (web_col(row, "id") && !strcmp(web_col(row, "id"), id))
			return row;
	return NULL;
}

/* The ids of an agenda's signals and cases ticked on the hold form
 * (disc-ID), as a comma list in the agenda's order, into a malloc'd out. */
static int discussed_ticked(char **out, vios_web_req *r, const json_t *agenda)
{
	const char *keys[] = { "signals", "cases" };
	const json_t *o;
	size_t i, n = 0;

	for (int k = 0; k < 2; k++)
		n += json_array_size(json_object_get(agenda, keys[k]));
	if ((*out = calloc(n + 1, 37)) == NULL)
		return vios_error_nomem();
	for (int k = 0; k < 2; k++)
		json_array_foreach(json_object_get(agenda, keys[k]), i, o)
			if (web_col(o, "id") && strlen(web_col(o, "id")) == 36 && ticked(r, "disc", web_col(o, "id")))
				sprintf(*out + strlen(*out), "%s%s", **out ? "," : "", web_col(o, "id"));
	return 0;
}

/*
 * /meeting/ID: the meeting as the meeting list shows it (the list read and
 * logged as `meeting list`), what it discussed, its agreements (the
 * agreement list's, logged as `agreement list`) and, while it is planned,
 * the form that holds it: minutes, the day it was held (empty: its planned
 * date) and the agenda's signals and cases as checkboxes for what was
 * discussed (vios_meeting_agenda; vios_meeting_hold as `meeting hold`).
 */
static void meeting_render(vios_web_req *r, const char *id, int failed)
{
	json_t *meetings = NULL, *agr = NULL, *mine = NULL, *agenda = NULL, *cases = NULL, *sigs = NULL;
	const json_t *m, *a;
	const char *pa[] = { NULL, NULL }, *disc;
	char line[512] = "", path[64];
	size_t i;
	int planned;

	if (failed)
		snprintf(line, sizeof(line), "%s", vios_error_last());
	if (list_logged(&meetings, r, VIOS_LIST_MEETINGS, NULL, 0, NULL) < 0) {
		page_failed(r, VIOS_ERROR, _("Meeting"));
		goto done;
	}
	if ((m = row_by_id(meetings, id)) == NULL) {
		web_fail(r, 404, _("No such meeting."));
		goto done;
	}
	planned = json_is_integer(json_object_get(m, "planned")) && json_integer_value(json_object_get(m, "planned"));
	disc = web_col(m, "discussed");
	if (list_logged(&agr, r, VIOS_LIST_AGREEMENTS, pa, 2, NULL) < 0 || (mine = json_array()) == NULL ||
	    (planned && vios_meeting_agenda(&agenda, web_store(r), id) < 0) ||
	    (!empty(disc) && list_logged(&cases, r, VIOS_LIST_CASES, pa, 1, NULL) < 0)) {
		if (mine == NULL && agr != NULL)
			vios_error_nomem();
		page_failed(r, VIOS_ERROR, _("Meeting"));
		goto done;
	}
	if (!empty(disc)) {
		const char *ps[] = { NULL, NULL, NULL, NULL };
		if (list_logged(&sigs, r, VIOS_LIST_SIGNALS, ps, 4, "theme=* since=* pupil=*") < 0) {
			page_failed(r, VIOS_ERROR, _("Meeting"));
			goto done;
		}
	}
	json_array_foreach(agr, i, a)
		if (web_col(a, "meeting_id") && !strcmp(web_col(a, "meeting_id"), id))
			json_array_append(mine, (json_t *)a);
	if (failed)
		vios_error_set(VIOS_ERR_INPUT, "%s", line);
	web_page_begin(r, _("Meeting"));
	if (failed)
		web_error_line(r);
	print_hint(r);
	h_raw(r, "<dl>\n");
	h_printf(r, "<dt>%s</dt><dd>", _("Date"));
	web_date_cell(r, web_col(m, "date"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>%s</dd>\n", _("Kind"), web_word(web_col(m, "kind") ? web_col(m, "kind") : ""));
	h_printf(r, "<dt>%s</dt><dd>", _("Partners at the table"));
	h_roles(r, web_col(m, "roles"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("Case"));
	h_case(r, web_col(m, "case_id"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("State"));
	if (planned)
		h_printf(r, "%s (<a href=\"/agenda/%s\">%s</a>)", _("planned, not held yet"), id, _("agenda"));
	else
		h_esc(r, _("held"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("Minutes"));
	if (empty(web_col(m, "minutes")))
		h_raw(r, "&mdash;");
	else
		h_printf(r, "<pre>%s</pre>", web_col(m, "minutes"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("Discussed"));
	if (empty(disc))
		h_raw(r, "&mdash;");
	for (const char *p = disc ? disc : ""; *p;) {
		size_t n = strcspn(p, ",");
		char item[64];
		if (n > 0 && n < sizeof(item)) {
			const json_t *s;
			memcpy(item, p, n);
			item[n] = 0;
			h_raw(r, p == disc ? "" : ", ");
			if (row_by_id(cases, item))
				h_case(r, item);
			else if ((s = row_by_id(sigs, item)) != NULL && vios_uuid_valid(item)) {
				char d[32];
				web_date_out(d, sizeof(d), web_col(s, "seen_at") ? web_col(s, "seen_at") : "");
				h_printf(r, "<a href=\"/signal/%s\">%s %s %s</a>", item, _("signal"), d,
					 web_theme(r, web_col(s, "theme") ? web_col(s, "theme") : ""));
			} else
				h_esc(r, item);
		}
		p += n + (p[n] == ',');
	}
	h_raw(r, "</dd>\n</dl>\n");
	h_printf(r, "<h2>%s (%zu)</h2>\n", _("Agreements"), json_array_size(mine));
	h_table(r, mine, agreement_cols, NULL, 0);
	if (empty(web_col(m, "case_id")))
		h_printf(r, "<p class=\"noprint\"><a href=\"/agreement-new?meeting=%s\">%s</a></p>\n", id,
			 _("Record an agreement made at this meeting"));
	if (planned) {
		const char *keys[] = { "signals", "cases" };
		/* a meeting that is no case meeting may list no case (rhythm.h): none is offered */
		int nkeys = vios_meeting_is_case(web_col(m, "kind"), web_col(m, "case_id")) ? 2 : 1;
		const json_t *o;
		h_printf(r, "<h2 class=\"noprint\">%s</h2>\n", _("Record the meeting as held"));
		snprintf(path, sizeof(path), "/meeting/%s", id);
		web_form_begin(r, path);
		h_printf(r, "<p class=\"field noprint\"><label for=\"minutes\">%s</label><br>\n"
			    "<textarea id=\"minutes\" name=\"minutes\" rows=\"6\" cols=\"60\">%s</textarea></p>\n"
			    "<p class=\"field noprint\"><label for=\"held_on\">%s</label><br>\n"
			    "<input type=\"text\" id=\"held_on\" name=\"held_on\" value=\"%s\" placeholder=\"%s\" size=\"12\"></p>\n"
			    "<p class=\"field noprint\">%s<br>\n",
			 _("Minutes"), typed_or(r, "minutes", NULL), _("Held on (empty: the planned date)"),
			 typed_or(r, "held_on", NULL), _("DD-MM-YYYY"), _("Discussed"));
		if (json_array_size(json_object_get(agenda, "signals")) +
			    (nkeys > 1 ? json_array_size(json_object_get(agenda, "cases")) : 0) == 0)
			h_printf(r, "<span class=\"none\">%s</span>", _("None."));
		for (int k = 0; k < nkeys; k++)
			json_array_foreach(json_object_get(agenda, keys[k]), i, o) {
				const char *oid = web_col(o, "id");
				char d[32], ref[64];
				if (oid == NULL || !vios_uuid_valid(oid))
					continue;
				h_printf(r, "<label class=\"check\"><input type=\"checkbox\" name=\"disc-%s\" value=\"1\"%s> ", oid,
					 web_is_post(r) && ticked(r, "disc", oid) ? " checked" : "");
				if (k == 0) {
					web_date_out(d, sizeof(d), web_col(o, "seen_at") ? web_col(o, "seen_at") : "");
					h_printf(r, "%s %s %s", _("signal"), d, web_theme(r, web_col(o, "theme") ? web_col(o, "theme") : ""));
				} else {
					if (web_case_ref(ref, sizeof(ref), r, oid) < 0)
						snprintf(ref, sizeof(ref), "%.8s", oid);
					h_esc(r, ref);
				}
				if (web_col(o, "pupil"))
					h_printf(r, ", %s", web_col(o, "pupil"));
				h_raw(r, "</label><br>\n");
			}
		h_printf(r, "</p>\n<p class=\"noprint\"><button type=\"submit\">%s</button></p>\n</form>\n",
			 _("Record as held"));
	}
	web_page_end(r);
done:
	json_decref(meetings);
	json_decref(agr);
	json_decref(mine);
	json_decref(agenda);
	json_decref(cases);
	json_decref(sigs);
}

static void page_meeting(vios_web_req *r, const char *id)
{
	char path[64], day[16], *disc = NULL;
	json_t *agenda = NULL;
	int error;

	if (id == NULL || !vios_uuid_valid(id)) {
		web_fail(r, 404, _("No such meeting."));
		return;
	}
	if (web_is_post(r)) {
		const char *minutes = web_arg(r, "minutes"), *held = web_arg(r, "held_on");
		vios_field f[3];
		size_t nf = 0;
		if (empty(minutes)) {
			vios_error_set(VIOS_ERR_INPUT, "hold: --minutes TEXT is required");
			error = VIOS_EUSAGE;
		} else {
			/* what may be ticked: the agenda's items (a meeting held already has
			 * none: vios_meeting_hold says why it cannot be held) */
			if (vios_meeting_agenda(&agenda, web_store(r), id) < 0)
				agenda = NULL;
			error = discussed_ticked(&disc, r, agenda);
			f[nf++] = (vios_field){ "minutes", minutes };
			if (disc && *disc)
				f[nf++] = (vios_field){ "discussed", disc };
			if (!empty(held))
				f[nf++] = (vios_field){ "date", web_date_in(day, sizeof(day), held) };
			if (error == 0)
				error = vios_meeting_hold(web_store(r), id, f, nf);
		}
		free(disc);
		json_decref(agenda);
		if (error == 0) {
			snprintf(path, sizeof(path), "/meeting/%s", id);
			web_redirect(r, path);
			return;
		}
		meeting_render(r, id, 1);
		return;
	}
	meeting_render(r, id, 0);
}

/* ---- an agreement's page ------------------------------------------------- */

/*
 * /agreement/ID: the agreement (the agreement list's row, read and logged
 * as `agreement list`) and, while it is open, the form marking it done with
 * feedback (vios_agreement_done, as `agreement done`; the mandate refuses an
 * agreement another node recorded: its line shows).
 */
static void agreement_render(vios_web_req *r, const char *id, int failed)
{
	json_t *agr = NULL;
	const json_t *a;
	const char *pa[] = { NULL, NULL };
	char line[512] = "", path[64];

	if (failed)
		snprintf(line, sizeof(line), "%s", vios_error_last());
	if (list_logged(&agr, r, VIOS_LIST_AGREEMENTS, pa, 2, NULL) < 0) {
		page_failed(r, VIOS_ERROR, _("Agreement"));
		return;
	}
	if ((a = row_by_id(agr, id)) == NULL) {
		web_fail(r, 404, _("No such agreement."));
		json_decref(agr);
		return;
	}
	if (failed)
		vios_error_set(VIOS_ERR_INPUT, "%s", line);
	web_page_begin(r, _("Agreement"));
	if (failed)
		web_error_line(r);
	h_raw(r, "<dl>\n");
	h_printf(r, "<dt>%s</dt><dd><pre>%s</pre></dd>\n", _("What is agreed"), web_col(a, "action"));
	h_printf(r, "<dt>%s</dt><dd>%s</dd>\n", _("Who does it"), web_col(a, "owner_role") ? web_role(web_col(a, "owner_role")) : "");
	h_printf(r, "<dt>%s</dt><dd>", _("Due on"));
	web_date_cell(r, web_col(a, "due_date"));
	h_printf(r, "</dd>\n<dt>%s</dt><dd>%s", _("Status"), web_word(web_col(a, "status") ? web_col(a, "status") : ""));
	if (web_col(a, "done_at")) {
		h_raw(r, " ");
		web_date_cell(r, web_col(a, "done_at"));
	}
	h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("Feedback"));
	if (empty(web_col(a, "feedback")))
		h_raw(r, "&mdash;");
	else
		h_printf(r, "<pre>%s</pre>", web_col(a, "feedback"));
	if (web_col(a, "case_id")) {
		h_printf(r, "</dd>\n<dt>%s</dt><dd>", _("Case"));
		h_case(r, web_col(a, "case_id"));
	} else if (web_col(a, "meeting_id") && vios_uuid_valid(web_col(a, "meeting_id")))
		h_printf(r, "</dd>\n<dt>%s</dt><dd><a href=\"/meeting/%s\">%s</a>", _("Meeting"), web_col(a, "meeting_id"),
			 _("the meeting"));
	h_raw(r, "</dd>\n</dl>\n");
	if (!web_col(a, "status") || strcmp(web_col(a, "status"), "done")) {
		h_printf(r, "<h2 class=\"noprint\">%s</h2>\n", _("Mark done"));
		snprintf(path, sizeof(path), "/agreement/%s", id);
		web_form_begin(r, path);
		h_printf(r, "<p class=\"field noprint\"><label for=\"feedback\">%s</label><br>\n"
			    "<textarea id=\"feedback\" name=\"feedback\" rows=\"4\" cols=\"60\">%s</textarea></p>\n"
			    "<p class=\"noprint\"><button type=\"submit\">%s</button></p>\n</form>\n",
			 _("Feedback: what was done"), typed_or(r, "feedback", NULL), _("Mark done"));
	}
	web_page_end(r);
	json_decref(agr);
}

static void page_agreement(vios_web_req *r, const char *id)
{
	char path[64];

	if (id == NULL || !vios_uuid_valid(id)) {
		web_fail(r, 404, _("No such agreement."));
		return;
	}
	if (web_is_post(r)) {
		const char *feedback = web_arg(r, "feedback");
		if (vios_agreement_done(web_store(r), id, empty(feedback) ? NULL : feedback) < 0) {
			agreement_render(r, id, 1);
			return;
		}
		snprintf(path, sizeof(path), "/agreement/%s", id);
		web_redirect(r, path);
		return;
	}
	agreement_render(r, id, 0);
}

/* ---- conflicts and the access log ----------------------------------------- */

static void page_conflicts(vios_web_req *r, const char *rest)
{
	static const tcol cols[] = { { "table", N_("Table"), C_TEXT },	      { "record", N_("Record"), C_TEXT },
				    { "column", N_("Field"), C_TEXT },	      { "value", N_("Losing value"), C_VALUE },
				    { "node", N_("Losing node"), C_TEXT },    { "winner_node", N_("Winning node"), C_TEXT },
				    { "at", N_("When"), C_TIME },	      { NULL, NULL, 0 } };
	json_t *rows = NULL;
	char why[64];
	int error;

	(void)rest;
	if ((error = vios_crdt_conflicts(&rows, web_store(r))) < 0 ||
	    /* losing values are record content: the read is logged like any list (cmd_conflicts) */
	    (error = vios_snprintf(why, sizeof(why), "conflicts, %zu rows", json_array_size(rows))) < 0 ||
	    (error = vios_store_log(web_store(r), "read", "conflicts", NULL, why)) < 0) {
		page_failed(r, error, _("Conflicts"));
		json_decref(rows);
		return;
	}
	web_page_begin(r, _("Conflicts"));
	h_printf(r, "<p>%s</p>\n", _("Changes made at the same time on two nodes: the later one won, the other is kept here to look at."));
	h_table(r, rows, cols, NULL, 0);
	web_page_end(r);
	json_decref(rows);
}

static void page_log(vios_web_req *r, const char *rest)
{
	const char *all = web_arg(r, "all");
	const char *p[] = { !empty(all) ? "-1" : LOG_LATEST };
	json_t *rows = NULL, *e;
	size_t i;
	int error;

	(void)rest;
	if ((error = vios_records_list(&rows, web_store(r), VIOS_LIST_ACCESS_LOG, p, 1)) < 0) {
		page_failed(r, error, _("Access log"));
		return;
	}
	web_page_begin(r, _("Access log"));
	h_printf(r, "<p>%s</p>\n", _("Who read or changed what, when: the newest first."));
	if (empty(all))
		h_printf(r, "<p><a href=\"/log?all=1\">%s</a></p>\n", _("Show the whole log"));
	h_printf(r, "<table>\n<thead><tr><th>#</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead>\n<tbody>\n",
		 _("When"), _("User"), _("Action"), _("Table"), _("Record"), _("Why"));
	/* vios log lists oldest first; a page reads best from the newest */
	for (i = json_array_size(rows); i-- > 0;) {
		const char *tbl, *rec;
		e = json_array_get(rows, i);
		tbl = web_col(e, "tbl");
		rec = web_col(e, "record_id");
		h_printf(r, "<tr><td>%lld</td><td>", (long long)json_integer_value(json_object_get(e, "seq")));
		web_time_cell(r, web_col(e, "at"));
		h_printf(r, "</td><td>%s</td><td>%s</td><td>%s</td><td>", web_col(e, "os_user"),
			 web_col(e, "action") ? web_word(web_col(e, "action")) : "", tbl);
		if (rec && tbl && !strcmp(tbl, "pupil") && vios_uuid_valid(rec))
			h_printf(r, "<a href=\"/pupil/%s\">%s</a>", rec, rec);
		else if (rec && tbl && !strcmp(tbl, "case_file") && vios_uuid_valid(rec))
			h_case(r, rec);
		else
			h_esc(r, rec);
		h_printf(r, "</td><td>%s</td></tr>\n", web_col(e, "why"));
	}
	h_raw(r, "</tbody></table>\n");
	web_page_end(r);
	json_decref(rows);
}

/* ---- the routes ------------------------------------------------------------- */

const vios_web_route vios_web_school_routes[] = {
	{ "/", WEB_SCHOOL, page_start, N_("Start") },
	{ "/pupils", WEB_SCHOOL, page_pupils, N_("Pupils") },
	{ "/pupil/", WEB_SCHOOL, page_pupil, NULL },
	{ "/pupil-new", WEB_SCHOOL, page_pupil_new, NULL },
	{ "/pupil-edit/", WEB_SCHOOL, page_pupil_edit, NULL },
	{ "/signals", WEB_SCHOOL, page_signals, N_("Signals") },
	{ "/signal/", WEB_SCHOOL, page_signal, NULL },
	{ "/signal-new", WEB_SCHOOL, page_signal_new, NULL },
	{ "/case-new", WEB_SCHOOL, page_case_new, NULL },
	{ "/case/", WEB_SCHOOL, page_case, NULL },
	{ "/agreement-new", WEB_SCHOOL, page_agreement_new, NULL },
	{ "/agreement/", WEB_SCHOOL, page_agreement, NULL },
	{ "/meetings", WEB_SCHOOL, page_meetings, N_("Meetings") },
	{ "/meeting-new", WEB_SCHOOL, page_meeting_new, NULL },
	{ "/meeting/", WEB_SCHOOL, page_meeting, NULL },
	{ "/agenda/", WEB_SCHOOL, page_agenda, NULL },
	{ "/agenda", WEB_SCHOOL, page_agenda, N_("Agenda") },
	{ "/trends", WEB_SCHOOL, page_trends, N_("Trends") },
	{ "/trend-new", WEB_SCHOOL, page_trend_new, NULL },
	{ "/conflicts", WEB_SCHOOL, page_conflicts, N_("Conflicts") },
	{ "/log", WEB_SCHOOL, page_log, N_("Access log") },
	{ NULL, 0, NULL, NULL }
};
