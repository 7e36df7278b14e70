/*
 * web_partner.c - a partner's pages of vios serve (issue 21): the cases its
 * role takes part in, its agreements, one case as this node holds it, and
 * an agreement to mark done with feedback.
 *
 * Every page reads through the calls `vios case list`, `vios case show`,
 * `vios agreement list` and `vios agreement done` make (src/cli/
 * cmd_records.c): the same queries, the same access-log lines, the same
 * mandate (the commit hook refuses an agreement not assigned to this
 * node's role, exactly as on the command line) and the same one-line
 * errors. Nothing here decides who may see or change what. The sync page
 * is web_school.c's (it serves partners too).
 */
#include "web/web.h"

#include "store/records.h"
#include "util/error.h"
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A comma list of roles as case_file.roles holds it, each in words. */
static void roles_cell(vios_web_req *r, const char *list)
{
	const char *p = list;
	int first = 1;

	if (list == NULL || *list == 0) {
		h_raw(r, "-");
		return;
	}
	while (*p) {
		char role[32];
		size_t len = strcspn(p, ",");
		if (len > 0 && len < sizeof(role)) {
			memcpy(role, p, len);
			role[len] = 0;
			if (!first)
				h_raw(r, ", ");
			h_esc(r, web_role(role));
			first = 0;
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

/* A case's short reference, linked to its page. */
static void case_link(vios_web_req *r, const char *id)
{
	char ref[64];

	if (id == NULL || !vios_uuid_valid(id)) {
		h_raw(r, "-");
		return;
	}
	if (web_case_ref(ref, sizeof(ref), r, id) < 0)
		snprintf(ref, sizeof(ref), "%.8s", id);
	h_printf(r, "<a href=\"/case/%s\">%s</a>", id, ref);
}

/* A pupil as "name (class)", the class from pupils (VIOS_LIST_PUPILS rows). */
static void pupil_cell(vios_web_req *r, const char *pupil_id, const char *name, json_t *pupils)
{
	const char *cls = NULL;
	size_t i;
	json_t *p;

	if (name == NULL) {
		h_raw(r, _("(not held here)"));
		return;
	}
	json_array_foreach(pupils, i, p)
		if (pupil_id && web_col(p, "id") && !strcmp(web_col(p, "id"), pupil_id))
			cls = web_col(p, "class");
	if (cls && *cls)
		h_printf(r, "%s (%s)", name, cls);
	else
		h_esc(r, name);
}

/* The open agreements of rows first (by due date, as listed), then the
 * done ones; an open one in overdue (the list's overdue rows) is marked.
 * With owner_only, only those assigned to this node's role. */
static void agreement_table(vios_web_req *r, json_t *rows, json_t *overdue, int owner_only, int with_case)
{
	const char *role = web_node(r)->role;
	size_t i, shown = 0;
	json_t *a;

	h_raw(r, "<table><thead><tr>");
	if (with_case)
		h_printf(r, "<th>%s</th>", _("Case"));
	h_printf(r, "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>", _("Due"),
		 _("Action"), _("Owner"), _("Status"), _("Feedback"));
	for (int pass = 0; pass < 2; pass++)
		json_array_foreach(rows, i, a) {
			const char *id = web_col(a, "id"), *status = web_col(a, "status");
			int open = status && !strcmp(status, "open"), late = 0;
			size_t k;
			json_t *o;
			if (open != (pass == 0) || id == NULL)
				continue;
			if (owner_only && strcmp(web_col(a, "owner_role") ?: "", role) != 0)
				continue;
			json_array_foreach(overdue, k, o)
				late |= web_col(o, "id") && !strcmp(web_col(o, "id"), id);
			h_raw(r, late ? "<tr class=\"overdue\">" : "<tr>");
			if (with_case) {
				h_raw(r, "<td>");
				if (web_col(a, "case_id"))
					case_link(r, web_col(a, "case_id"));
				else
					h_raw(r, _("meeting"));
				h_raw(r, "</td>");
			}
			h_raw(r, "<td>");
			web_date_cell(r, web_col(a, "due_date"));
			if (late)
				h_printf(r, " <strong>%s</strong>", _("overdue"));
			h_printf(r, "</td><td><a href=\"/agreement/%s\">%s</a></td><td>%s</td><td>%s</td><td>%s</td></tr>", id,
				 web_col(a, "action") ?: "-", web_role(web_col(a, "owner_role") ?: ""), web_word(status ?: ""),
				 web_col(a, "feedback") ?: "");
			shown++;
		}
	if (shown == 0)
		h_printf(r, "<tr><td colspan=\"%d\">%s</td></tr>", with_case ? 6 : 5, _("None."));
	h_raw(r, "</tbody></table>");
}

/* The agreements held (all, and the overdue ones: the two lists `vios
 * agreement list` and `--overdue` give), both logged as the CLI logs them. */
static int agreements_get(vios_web_req *r, json_t **all, json_t **overdue, const char *case_id)
{
	char today[11];
	const char *p_all[2] = { case_id, NULL }, *p_late[2] = { case_id, today };
	int error;

	*all = *overdue = NULL;
	vios_today(today);
	if ((error = vios_records_list_read(all, web_store(r), VIOS_LIST_AGREEMENTS, p_all, 2, NULL)) < 0 ||
	    (error = vios_records_list(overdue, web_store(r), VIOS_LIST_AGREEMENTS, p_late, 2)) < 0) {
		json_decref(*all);
		json_decref(*overdue);
		*all = *overdue = NULL;
	}
	return error;
}

/* "/": the cases this node's role takes part in, and its agreements. */
static void page_start(vios_web_req *r, const char *rest)
{
	const char *p_cases[1] = { NULL };
	json_t *cases = NULL, *pupils = NULL, *all = NULL, *overdue = NULL, *c;
	size_t i;
	int error;

	if (rest && *rest) {
		web_fail(r, 404, _("There is no such page."));
		return;
	}
	error = vios_records_list_read(&cases, web_store(r), VIOS_LIST_CASES, p_cases, 1, NULL);
	if (error == 0)
		error = vios_records_list_read(&pupils, web_store(r), VIOS_LIST_PUPILS, NULL, 0, NULL);
	if (error == 0)
		error = agreements_get(r, &all, &overdue, NULL);
	web_page_begin(r, _("Start"));
	if (error < 0) {
		web_error_line(r);
		goto done;
	}
	h_printf(r, "<h2>%s</h2>", _("My agreements"));
	h_printf(r, "<p>%s</p>", _("The agreements assigned to this role: open ones first, overdue ones marked."));
	agreement_table(r, all, overdue, 1, 1);

	h_printf(r, "<h2>%s</h2>", _("Cases this role takes part in"));
	h_printf(r, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		 _("Case"), _("Pupil"), _("Status"), _("Roles"), _("Lead"), _("Opened"));
	json_array_foreach(cases, i, c) {
		h_raw(r, "<tr><td>");
		case_link(r, web_col(c, "id"));
		if (json_is_false(json_object_get(c, "in_view")))
			h_printf(r, " <em>%s</em>", _("(left this node's view)"));
		h_raw(r, "</td><td>");
		pupil_cell(r, web_col(c, "pupil_id"), web_col(c, "pupil"), pupils);
		h_printf(r, "</td><td>%s</td><td>", web_word(web_col(c, "status") ?: ""));
		roles_cell(r, web_col(c, "roles"));
		h_printf(r, "</td><td>%s</td><td>", web_role(web_col(c, "lead_role") ?: ""));
		web_date_cell(r, web_col(c, "opened_at"));
		h_raw(r, "</td></tr>");
	}
	if (json_array_size(cases) == 0)
		h_printf(r, "<tr><td colspan=\"6\">%s</td></tr>", _("None."));
	h_raw(r, "</tbody></table>");
done:
	web_page_end(r);
	json_decref(cases);
	json_decref(pupils);
	json_decref(all);
	json_decref(overdue);
}

/* One marked field of a case (art. 9 / art. 10) as held here. */
static void marked(vios_web_req *r, const char *label, const char *text)
{
	h_printf(r, "<dt>%s</dt><dd>", label);
	if (text && *text)
		h_printf(r, "<p class=\"text\">%s</p>", text);
	else
		h_printf(r, "<em>%s</em>", _("(none held here)"));
	h_raw(r, "</dd>");
}

/* "/case/ID": the case as this node holds it (vios case show). */
static void page_case(vios_web_req *r, const char *id)
{
	json_t *doc = NULL, *cf, *pu, *overdue = NULL, *x;
	const char *p_late[2] = { id, NULL };
	char ref[64], today[11];
	size_t i;
	int error;

	if ((error = vios_case_show(&doc, web_store(r), id)) < 0) {
		if (error == VIOS_ENOTFOUND || error == VIOS_EUSAGE) {
			web_fail(r, 404, _("This node holds no such case."));
		} else {
			web_page_begin(r, _("Case"));
			web_error_line(r);
			web_page_end(r);
		}
		return;
	}
	vios_today(today);
	p_late[1] = today;
	if (vios_records_list(&overdue, web_store(r), VIOS_LIST_AGREEMENTS, p_late, 2) < 0)
		overdue = NULL; /* nothing marked overdue; the case is still shown */
	cf = json_object_get(doc, "case");
	pu = json_object_get(doc, "pupil");
	if (web_case_ref(ref, sizeof(ref), r, id) < 0)
		snprintf(ref, sizeof(ref), "%.8s", id);
	web_page_begin(r, ref);
	h_printf(r, "<p class=\"hint\">%s</p>", _("Printable: use the browser's print command."));
	if (json_is_false(json_object_get(cf, "in_view")))
		h_printf(r, "<p class=\"notice\">%s</p>",
			 _("This case left this node's view: its roles no longer include this node's role; nothing more of it reaches this node."));
	h_raw(r, "<dl>");
	h_printf(r, "<dt>%s</dt><dd>", _("Pupil"));
	if (json_is_object(pu)) {
		if (web_col(pu, "class") && *web_col(pu, "class"))
			h_printf(r, "%s (%s)", web_col(pu, "name") ?: "", web_col(pu, "class"));
		else
			h_esc(r, web_col(pu, "name") ?: "");
	} else
		h_raw(r, _("(not held here)"));
	h_printf(r, "</dd><dt>%s</dt><dd>%s", _("Status"), web_word(web_col(cf, "status") ?: ""));
	if (web_col(cf, "escalation_target"))
		h_printf(r, " (%s)", web_col(cf, "escalation_target"));
	h_printf(r, "</dd><dt>%s</dt><dd>", _("Roles"));
	roles_cell(r, web_col(cf, "roles"));
	h_printf(r, "</dd><dt>%s</dt><dd>%s</dd>", _("Lead"), web_role(web_col(cf, "lead_role") ?: ""));
	h_printf(r, "<dt>%s</dt><dd>%s</dd>", _("Legal basis"), web_word(web_col(cf, "basis") ?: ""));
	h_printf(r, "<dt>%s</dt><dd>", _("Opened"));
	web_date_cell(r, web_col(cf, "opened_at"));
	h_printf(r, "</dd><dt>%s</dt><dd>", _("Closed"));
	web_date_cell(r, web_col(cf, "closed_at"));
	h_printf(r, "</dd><dt>%s</dt><dd>", _("Parents informed"));
	x = json_object_get(cf, "parents_informed");
	h_raw(r, !json_is_integer(x) ? "-" : json_integer_value(x) ? _("yes") : _("no"));
	if (web_col(cf, "not_informed_reason"))
		h_printf(r, " (%s)", web_col(cf, "not_informed_reason"));
	h_raw(r, "</dd>");
	marked(r, _("Police information (art. 10)"), web_col(cf, "police_info"));
	marked(r, _("Care information (art. 9)"), web_col(cf, "care_info"));
	h_raw(r, "</dl>");

	if (json_array_size(json_object_get(cf, "meldcode"))) {
		h_printf(r, "<h2>%s</h2><table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
			 _("Meldcode"), _("Step"), _("Date"), _("Name"), _("Note"));
		json_array_foreach(json_object_get(cf, "meldcode"), i, x) {
			h_printf(r, "<tr><td>%lld</td><td>", (long long)json_integer_value(json_object_get(x, "step")));
			web_date_cell(r, web_col(x, "at"));
			h_printf(r, "</td><td>%s</td><td>%s</td></tr>", web_col(x, "name") ?: "", web_col(x, "note") ?: "");
		}
		h_raw(r, "</tbody></table>");
	}

	h_printf(r, "<h2>%s (%zu)</h2>", _("Signals"), json_array_size(json_object_get(doc, "signals")));
	if (json_array_size(json_object_get(doc, "signals"))) {
		h_printf(r, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
			 _("Seen"), _("Theme"), _("Severity"), _("Where"), _("Note"));
		json_array_foreach(json_object_get(doc, "signals"), i, x) {
			h_raw(r, "<tr><td>");
			web_date_cell(r, web_col(x, "seen_at"));
			h_printf(r, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", web_theme(r, web_col(x, "theme") ?: ""),
				 web_word(web_col(x, "severity") ?: ""), web_word(web_col(x, "location") ?: ""), web_col(x, "note") ?: "");
		}
		h_raw(r, "</tbody></table>");
	}

	h_printf(r, "<h2>%s (%zu)</h2>", _("Meetings"), json_array_size(json_object_get(doc, "meetings")));
	if (json_array_size(json_object_get(doc, "meetings"))) {
		h_printf(r, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>", _("Date"),
			 _("Kind"), _("Roles"), _("Minutes"));
		json_array_foreach(json_object_get(doc, "meetings"), i, x) {
			h_raw(r, "<tr><td>");
			web_date_cell(r, web_col(x, "date"));
			h_printf(r, "</td><td>%s</td><td>", web_word(web_col(x, "kind") ?: ""));
			roles_cell(r, web_col(x, "roles"));
			h_printf(r, "</td><td class=\"text\">%s</td></tr>", web_col(x, "minutes") ?: "");
		}
		h_raw(r, "</tbody></table>");
	}

	h_printf(r, "<h2>%s (%zu)</h2>", _("Agreements"), json_array_size(json_object_get(doc, "agreements")));
	agreement_table(r, json_object_get(doc, "agreements"), overdue, 0, 0);
	web_page_end(r);
	json_decref(overdue);
	json_decref(doc);
}

/* The agreement id among rows (VIOS_LIST_AGREEMENTS), or NULL. */
static json_t *find_row(json_t *rows, const char *id)
{
	size_t i;
	json_t *a;

	json_array_foreach(rows, i, a)
		if (web_col(a, "id") && !strcmp(web_col(a, "id"), id))
			return a;
	return NULL;
}

/* The agreement's page: what it is, and while open the form to mark it
 * done; failed (1 after a refused POST) shows the error line and the
 * feedback as typed. */
static void agreement_page(vios_web_req *r, json_t *a, int late, int failed, const char *typed)
{
	const char *id = web_col(a, "id"), *status = web_col(a, "status");
	char path[64];

	web_page_begin(r, _("Agreement"));
	if (failed)
		web_error_line(r);
	h_printf(r, "<dl><dt>%s</dt><dd class=\"text\">%s</dd>", _("Action"), web_col(a, "action") ?: "");
	h_printf(r, "<dt>%s</dt><dd>", _("Case"));
	if (web_col(a, "case_id"))
		case_link(r, web_col(a, "case_id"));
	else
		h_raw(r, _("an agreement made at a meeting"));
	h_printf(r, "</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>", _("Owner"), web_role(web_col(a, "owner_role") ?: ""), _("Due"));
	web_date_cell(r, web_col(a, "due_date"));
	if (late)
		h_printf(r, " <strong>%s</strong>", _("overdue"));
	h_printf(r, "</dd><dt>%s</dt><dd>%s</dd>", _("Status"), web_word(status ?: ""));
	if (status && !strcmp(status, "done")) {
		h_printf(r, "<dt>%s</dt><dd>", _("Done on"));
		web_time_cell(r, web_col(a, "done_at"));
		h_printf(r, "</dd><dt>%s</dt><dd class=\"text\">%s</dd>", _("Feedback"), web_col(a, "feedback") ?: "-");
	}
	h_raw(r, "</dl>");
	if (status && !strcmp(status, "open")) {
		h_printf(r, "<h2>%s</h2>", _("Mark done with feedback"));
		snprintf(path, sizeof(path), "/agreement/%s", id);
		web_form_begin(r, path);
		h_printf(r, "<p><label for=\"feedback\">%s</label><br><textarea id=\"feedback\" name=\"feedback\" rows=\"5\" cols=\"60\">%s</textarea></p>",
			 _("Feedback (what was done; optional)"), typed ? typed : "");
		h_printf(r, "<p><button type=\"submit\">%s</button></p></form>", _("Mark done"));
	}
	web_page_end(r);
}

/* "/agreement/ID": GET shows it; POST marks it done (vios agreement done). */
static void page_agreement(vios_web_req *r, const char *id)
{
	json_t *all = NULL, *overdue = NULL, *a;
	const char *feedback;
	char path[64];
	int error;

	if (!vios_uuid_valid(id)) {
		web_fail(r, 404, _("There is no such agreement."));
		return;
	}
	if (web_is_post(r)) {
		feedback = web_arg(r, "feedback");
		/* an empty field is no feedback: what `agreement done` without --feedback writes */
		error = vios_agreement_done(web_store(r), id, feedback && *feedback ? feedback : NULL);
		if (error == 0) {
			snprintf(path, sizeof(path), "/agreement/%s", id);
			web_redirect(r, path);
			return;
		}
		/* the form again, as typed, with the library's line; the store is as it was */
		{
			char *why = strdup(vios_error_last());
			if (agreements_get(r, &all, &overdue, NULL) < 0 || (a = find_row(all, id)) == NULL) {
				web_fail(r, 404, _("There is no such agreement."));
			} else {
				vios_error_set(VIOS_ERR_INPUT, "%s", why ? why : "");
				agreement_page(r, a, find_row(overdue, id) != NULL, 1, feedback);
			}
			free(why);
		}
		goto done;
	}
	if ((error = agreements_get(r, &all, &overdue, NULL)) < 0 || (a = find_row(all, id)) == NULL) {
		web_fail(r, 404, _("There is no such agreement."));
		goto done;
	}
	agreement_page(r, a, find_row(overdue, id) != NULL, 0, NULL);
done:
	json_decref(all);
	json_decref(overdue);
}

/* "/" is matched exactly; the others are prefixes taking an id (web_core.c). */
const vios_web_route vios_web_partner_routes[] = {
	{ "/", WEB_PARTNER, page_start, N_("Start") },
	{ "/case/", WEB_PARTNER, page_case, NULL },
	{ "/agreement/", WEB_PARTNER, page_agreement, NULL },
	{ NULL, 0, NULL, NULL },
};
