/*
 * web_hub.c - the hub operator's desk in vios serve (issue 21): the
 * enrolled nodes with their fingerprints and when each last sent, the
 * covenant in force and what waits for approval, the trend report with
 * its chart, and "merge now".
 *
 * Each page calls what the CLI command calls: vios_hub_node_list (vios hub
 * nodes, cmd_hub.c), vios_consent_covenant_load and vios_consent_pending_get
 * (vios covenant show, vios status), vios_report_build and vios_report_svg
 * (vios hub report: only the published report, after disclosure control,
 * is ever shown; the same two access-log lines), vios_hub_merge (vios hub
 * merge). The merge runs inside the request (the server has one thread):
 * its result line waits in this file's memory for the page the POST
 * redirects to, until the next merge or the server's end.
 */
#include "web/web.h"

#include "store/directory.h"
#include "sync/consent.h"
#include "sync/hub.h"
#include "sync/registry.h"
#include "sync/report.h"
#include "util/error.h"
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A bundle header's clock (Unix ms) as a UTC stamp for web_time_out. */
static void ms_stamp(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = 0;
}

/* ---- "/": the nodes ---------------------------------------------------- */

/* The hub's start page: every node of its registry (vios hub nodes). */
static void page_nodes(vios_web_req *r, const char *rest)
{
	vios_hub_node *nodes = NULL;
	size_t n = 0;
	int error;

	if (rest && *rest) {
		web_fail(r, 404, _("There is no such page."));
		return;
	}
	error = vios_hub_node_list(&nodes, &n, web_store(r));
	web_page_begin(r, _("Nodes"));
	if (error < 0) {
		web_error_line(r);
		goto done;
	}
	h_printf(r, "<p>%s</p>", _("Read a fingerprint back with the node's coordinator before you trust it."));
	h_printf(r, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		 _("Name"), _("Kind"), _("Role"), _("Fingerprint"), _("Enrolled"), _("Last seen"), _("Revoked"));
	for (size_t i = 0; i < n; i++) {
		const vios_reg_node *rn = &nodes[i].node;
		h_raw(r, rn->revoked_at[0] ? "<tr class=\"revoked\">" : "<tr>");
		h_printf(r, "<td>%s</td><td>%s</td><td>%s</td><td><code class=\"fingerprint\">%s</code></td><td>", rn->name, web_word(rn->kind), web_role(rn->role),
			 nodes[i].fingerprint);
		web_time_cell(r, rn->enrolled_at);
		h_raw(r, "</td><td>");
		if (nodes[i].last_seq <= 0) {
			h_raw(r, _("nothing sent yet"));
		} else {
			char stamp[32] = "";
			if (nodes[i].last_ms >= 0)
				ms_stamp(stamp, nodes[i].last_ms);
			web_time_cell(r, stamp);
			h_printf(r, " (%s %lld)", _("bundle"), nodes[i].last_seq);
		}
		h_raw(r, "</td><td>");
		web_time_cell(r, rn->revoked_at);
		h_raw(r, "</td></tr>");
	}
	h_raw(r, "</tbody></table>");
	h_printf(r, "<p>%zu %s</p>", n, n == 1 ? _("node") : _("nodes"));
done:
	web_page_end(r);
	free(nodes);
}

/* ---- "/covenant" ------------------------------------------------------- */

/* The roles of a covenant's bit set (vios_covenant.receives), in words. */
static void roles_of_bits(vios_web_req *r, unsigned bits)
{
	int first = 1;

	for (int i = 0; i < VIOS_ROLE_COUNT; i++)
		if (bits & (1u << i)) {
			h_printf(r, "%s%s", first ? "" : ", ", web_role(vios_role_name(i)));
			first = 0;
		}
	if (first)
		h_raw(r, _("nobody"));
}

/* One covenant, readably: parties, categories (who receives what, how
 * long it is kept), marked fields, themes, the hub's part. */
static void covenant_body(vios_web_req *r, const vios_covenant *c)
{
	static const char *const cat_names[2] = { N_("Theme data (phenomena, never about a person)"),
						   N_("Case data (a pupil's case and what belongs to it)") };
	json_t *parties = json_object_get(c->doc, "parties"), *p;
	const char *title = web_col(c->doc, "title"), *purpose = web_col(c->doc, "purpose"), *fg = web_col(c->doc, "fg_contact");
	size_t i;

	if (title && *title)
		h_printf(r, "<p><strong>%s</strong></p>", title);
	h_printf(r, "<p>%s %lld (%s)</p>", _("Version"), c->version, web_col(c->doc, "format") ?: "");
	if (purpose)
		h_printf(r, "<h3>%s</h3><p class=\"text\">%s</p>", _("Purpose"), purpose);
	if (fg)
		h_printf(r, "<h3>%s</h3><p class=\"text\">%s</p>", _("The privacy officer (FG)"), fg);

	h_printf(r, "<h3>%s</h3><table><thead><tr><th>%s</th><th>%s</th></tr></thead><tbody>", _("Parties"), _("Role"),
		 _("Legal basis"));
	json_array_foreach(parties, i, p) {
		const char *role = json_is_string(p) ? json_string_value(p) : web_col(p, "role");
		h_printf(r, "<tr><td>%s</td><td>%s</td></tr>", web_role(role ?: ""), web_col(p, "legal_basis") ?: "-");
	}
	h_raw(r, "</tbody></table>");

	h_printf(r, "<h3>%s</h3><table><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		 _("What flows to whom"), _("Category"), _("Received by"), _("Kept"));
	for (int k = 0; k < 2; k++) {
		h_printf(r, "<tr><td>%s</td><td>", _(cat_names[k]));
		roles_of_bits(r, c->receives[k]);
		if (k == 1)
			h_printf(r, " %s", _("(only the roles taking part in the case)"));
		h_printf(r, "</td><td>%lld %s</td></tr>", c->retention_months[k], _("months"));
	}
	h_raw(r, "</tbody></table>");
	h_printf(r, "<p>%s</p>", _("The school that sends data always keeps it; the school that owns a case always takes part in it."));

	h_printf(r, "<h3>%s</h3>", _("Marked fields"));
	if (c->nfields == 0) {
		h_printf(r, "<p>%s</p>", _("This covenant marks no fields."));
	} else {
		h_printf(r, "<p>%s</p><table><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
			 _("A marked field travels only to the roles listed for it, never to the other roles that take part in a case."),
			 _("Field"), _("Marking"), _("Received by"));
		for (size_t f = 0; f < c->nfields; f++) {
			h_printf(r, "<tr><td><code>%s.%s</code></td><td>%s</td><td>", c->fields[f].tbl, c->fields[f].col,
				 c->fields[f].marking == VIOS_MARK_ART9 ? _("GDPR art. 9: special-category data")
									: _("GDPR art. 10: criminal data"));
			roles_of_bits(r, c->fields[f].receives);
			h_raw(r, "</td></tr>");
		}
		h_raw(r, "</tbody></table>");
	}

	h_printf(r, "<h3>%s</h3><table><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>", _("Themes"),
		 _("Theme"), _("Word"), _("Where from"));
	for (int t = 0; t < VIOS_THEME_COUNT; t++)
		h_printf(r, "<tr><td>%s</td><td><code>%s</code></td><td>%s</td></tr>", web_theme(r, vios_theme_name(t)),
			 vios_theme_name(t), _("base"));
	for (size_t t = 0; t < c->themes.n; t++)
		h_printf(r, "<tr><td>%s</td><td><code>%s</code></td><td>%s</td></tr>", c->themes.local[t].nl,
			 c->themes.local[t].name, _("local (this covenant)"));
	h_raw(r, "</tbody></table>");

	h_printf(r, "<h3>%s</h3><p>", _("The hub"));
	if (c->hub_role[0])
		h_printf(r, "%s %s.", _("For case data the hub plays the role"), web_role(c->hub_role));
	else
		h_raw(r, _("The hub takes part in no case and receives no case data."));
	h_raw(r, "</p>");
}

/* "/covenant": the covenant in force here, a newer one waiting, and the
 * nodes waiting for this node's approval (vios covenant show, vios status). */
static void page_covenant(vios_web_req *r, const char *rest)
{
	vios_covenant cur = { 0 }, top = { 0 };
	vios_consent_pending pend = { 0 };
	char *text = NULL;
	int error;

	(void)rest;
	if ((error = vios_consent_covenant_load(&cur, web_store(r))) == 0 &&
	    (error = vios_store_covenant_get(&text, web_store(r))) == 0 &&
	    (error = vios_covenant_parse(&top, text, strlen(text))) == 0)
		error = vios_consent_pending_get(&pend, web_store(r));
	web_page_begin(r, _("Covenant in force"));
	h_printf(r, "<p class=\"hint\">%s</p>", _("Printable: use the browser's print command."));
	if (error < 0) {
		web_error_line(r);
		goto done;
	}
	covenant_body(r, &cur);

	h_printf(r, "<h2>%s</h2>", _("Waiting for approval"));
	if (pend.covenant == 0 && pend.nnodes == 0)
		h_printf(r, "<p>%s</p>", _("Nothing waits for this node's approval."));
	if (pend.covenant > 0)
		h_printf(r, "<p>%s %lld %s <code>vios covenant approve %lld</code></p>", _("Covenant version"), pend.covenant,
			 _("waits for this node's approval:"), pend.covenant);
	if (pend.nnodes > 0) {
		h_printf(r, "<p>%s</p><table><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
			 _("These nodes receive nothing of this node's until it approves them:"), _("Name"), _("Kind"), _("Role"));
		for (size_t i = 0; i < pend.nnodes; i++)
			h_printf(r, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>", pend.nodes[i].name, web_word(pend.nodes[i].kind),
				 web_role(pend.nodes[i].role));
		h_raw(r, "</tbody></table>");
	}
	if (top.version > cur.version) {
		h_printf(r, "<h2>%s %lld</h2>", _("Published, not yet approved here: version"), top.version);
		covenant_body(r, &top);
	}
done:
	web_page_end(r);
	vios_consent_pending_dispose(&pend);
	vios_covenant_dispose(&cur);
	vios_covenant_dispose(&top);
	free(text);
}

/* ---- "/report" and "/report.svg" --------------------------------------- */

/* A month bound given on the report page (YYYY-MM), NULL when none. */
static const char *month_arg(vios_web_req *r, const char *name)
{
	const char *v = web_arg(r, name);

	return v && *v ? v : NULL;
}

/* The published report of the months asked for, with hub report's two
 * access-log lines (counts and the steering section, no personal data). */
static int report_get(json_t **pub, vios_web_req *r)
{
	int error;

	*pub = NULL;
	if ((error = vios_report_build(pub, web_store(r), month_arg(r, "from"), month_arg(r, "to"))) < 0 ||
	    (error = vios_store_log(web_store(r), "read", "signal_count", NULL, "hub report (counts, no personal data)")) < 0 ||
	    (error = vios_store_log(web_store(r), "read", "school_figure", NULL, "hub report, steering section (figures)")) < 0) {
		json_decref(*pub);
		*pub = NULL;
	}
	return error;
}

/* The chart of the published report (vios_report_svg), as image/svg+xml. */
static void page_report_svg(vios_web_req *r, const char *rest)
{
	json_t *pub = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int error;

	(void)rest;
	if (report_get(&pub, r) < 0) {
		web_fail(r, 400, _("The report cannot be made for these months."));
		return;
	}
	if ((f = open_memstream(&buf, &len)) == NULL) {
		json_decref(pub);
		web_fail(r, 500, _("Out of memory."));
		return;
	}
	error = vios_report_svg(f, pub);
	if (fclose(f) != 0 && error == 0)
		error = VIOS_ERROR;
	if (error < 0) {
		web_fail(r, 500, _("The chart could not be drawn."));
	} else {
		web_content_type(r, "image/svg+xml");
		web_write(r, buf, len);
	}
	free(buf);
	json_decref(pub);
}

/* A published count ("12", "<5" or "x") as a table cell. */
static void count_cell(vios_web_req *r, json_t *signals)
{
	char c[24];

	vios_report_cell(c, signals);
	h_printf(r, "<td class=\"num\">%s</td>", c);
}

/* The steering section's municipality figures (all schools together) per
 * month with a number shown, a count or a median with its n, as
 * published, and its notes. */
static void steering(vios_web_req *r, json_t *st)
{
	json_t *t;
	size_t i, shown = 0;

	if (st == NULL)
		return;
	h_printf(r, "<h2>%s</h2><table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		 _("Evaluation figures, all schools together"), _("Month"), _("Figure"), _("Value"), _("n"));
	json_array_foreach(json_object_get(st, "totals"), i, t) {
		json_t *med = json_object_get(t, "median"), *n = json_object_get(t, "n");
		/* as hub report's text: a figure with a number shown */
		if (!json_is_integer(json_object_get(t, "value")) && !json_is_integer(n) && !json_is_integer(med))
			continue;
		h_printf(r, "<tr><td>%s</td><td><code>%s</code></td>", web_col(t, "month") ?: "", web_col(t, "figure") ?: "");
		if (n != NULL) {
			if (json_is_integer(med))
				h_printf(r, "<td class=\"num\">%lld %s</td>", (long long)json_integer_value(med), _("days"));
			else
				h_raw(r, "<td class=\"num\">-</td>");
			count_cell(r, n);
		} else {
			count_cell(r, json_object_get(t, "value"));
			h_raw(r, "<td></td>");
		}
		h_raw(r, "</tr>");
		shown++;
	}
	if (shown == 0)
		h_printf(r, "<tr><td colspan=\"4\">%s</td></tr>", _("None."));
	h_raw(r, "</tbody></table>");
	json_array_foreach(json_object_get(st, "notes"), i, t)
		h_printf(r, "<p class=\"hint\">%s</p>", json_string_value(t));
}

/* "/report": the months form, the chart, the municipality's totals and
 * the schools' rows as hub report's text shows them, and the steering
 * section's totals. */
static void page_report(vios_web_req *r, const char *rest)
{
	json_t *pub = NULL, *x;
	const char *from = month_arg(r, "from"), *to = month_arg(r, "to");
	size_t i, shown = 0, hidden = 0;
	int error;

	(void)rest;
	error = report_get(&pub, r);
	web_page_begin(r, _("Trend report"));
	h_printf(r, "<form method=\"get\" action=\"/report\"><p><label for=\"from\">%s</label> "
		    "<input id=\"from\" name=\"from\" size=\"8\" placeholder=\"%s\" value=\"%s\"> "
		    "<label for=\"to\">%s</label> <input id=\"to\" name=\"to\" size=\"8\" placeholder=\"%s\" value=\"%s\"> "
		    "<button type=\"submit\">%s</button></p></form>",
		 _("From month"), _("YYYY-MM"), from ?: "", _("to month"), _("YYYY-MM"), to ?: "", _("Show"));
	if (error < 0) {
		web_error_line(r);
		goto done;
	}
	h_printf(r, "<p>%s, %s %s %s</p>", web_col(pub, "municipality") ?: "", web_col(pub, "from") ?: "", _("to"), web_col(pub, "to") ?: "");
	h_printf(r, "<p class=\"hint\">%s: %s %d %s; %s: %s</p>", VIOS_REPORT_BELOW, _("fewer than"), VIOS_REPORT_MIN_COUNT,
		 _("(0 included)"), VIOS_REPORT_HIDDEN, _("not shown, so that no small count can be worked out."));
	/* the chart: the same months, from this server (the CSP allows images from self) */
	if (from || to)
		h_printf(r, "<p><img class=\"chart\" src=\"/report.svg?from=%s&amp;to=%s\" alt=\"%s\"></p>", from ?: "", to ?: "",
			 _("Chart of the signals per theme per month"));
	else
		h_printf(r, "<p><img class=\"chart\" src=\"/report.svg\" alt=\"%s\"></p>", _("Chart of the signals per theme per month"));

	h_printf(r, "<h2>%s</h2><table><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		 _("All schools together"), _("Month"), _("Theme"), _("Signals"));
	json_array_foreach(json_object_get(pub, "totals"), i, x) {
		if (!json_is_integer(json_object_get(x, "signals")))
			continue;
		shown++;
		h_printf(r, "<tr><td>%s</td><td>%s</td>", web_col(x, "month") ?: "", web_theme(r, web_col(x, "theme") ?: ""));
		count_cell(r, json_object_get(x, "signals"));
		h_raw(r, "</tr>");
	}
	if (shown == 0)
		h_printf(r, "<tr><td colspan=\"3\">%s</td></tr>", _("No total shown for these months."));
	h_raw(r, "</tbody></table>");
	shown = 0;

	h_printf(r, "<h2>%s</h2><table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		 _("Per school"), _("Month"), _("School"), _("Theme"), _("Signals"), _("Trend"));
	/* a school's row when its count is shown or it has a trend, as hub report's text lists them */
	json_array_foreach(json_object_get(pub, "rows"), i, x) {
		if (!json_is_integer(json_object_get(x, "signals")) && !json_is_string(json_object_get(x, "trend"))) {
			hidden++;
			continue;
		}
		h_printf(r, "<tr><td>%s</td><td>%s</td><td>%s</td>", web_col(x, "month") ?: "", web_col(x, "school") ?: "",
			 web_theme(r, web_col(x, "theme") ?: ""));
		count_cell(r, json_object_get(x, "signals"));
		h_printf(r, "<td>%s</td></tr>", web_col(x, "trend") ? web_word(web_col(x, "trend")) : "");
		shown++;
	}
	h_raw(r, "</tbody></table>");
	h_printf(r, "<p>%zu %s; %zu %s</p>", shown, _("school rows with a count or a trend shown"), hidden,
		 _("not listed (<5 or x, no trend)"));
	steering(r, json_object_get(pub, "steering"));
done:
	web_page_end(r);
	json_decref(pub);
}

/* ---- "/merge" ---------------------------------------------------------- */

/* The last merge this server ran: its result line and error, for the page
 * the POST redirects to. One thread serves every request (web.h). */
static struct {
	int ran;
	char at[21];
	char line[512];
	char error[512];
	long long ms;
} last_merge;

/* "/merge": GET shows the button and the last result; POST merges now. */
static void page_merge(vios_web_req *r, const char *rest)
{
	(void)rest;
	if (web_is_post(r)) {
		vios_sync_report rep;
		size_t taken = 0, given = 0;
		struct timespec t0, t1;
		int error;

		memset(&rep, 0, sizeof(rep));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		error = vios_hub_merge(&rep, &taken, &given, web_store(r), NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (error < 0 && error != VIOS_EVERIFY) {
			/* nothing to show but the error: the form again */
			web_page_begin(r, _("Merge"));
			web_error_line(r);
			web_form_begin(r, "/merge");
			h_printf(r, "<p><button type=\"submit\">%s</button></p></form>", _("Merge now"));
			web_page_end(r);
			return;
		}
		memset(&last_merge, 0, sizeof(last_merge));
		last_merge.ran = 1;
		vios_now_iso(last_merge.at);
		last_merge.ms = (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		/* cli_hub_merge's line (cmd_sync.c), in the session's language */
		snprintf(last_merge.line, sizeof(last_merge.line),
			 _("hub merge: %zu nodes, %zu new bundles, %zu for the hub (%zu changes applied), %zu quarantined"),
			 rep.nodes, rep.bundles, rep.applied, rep.ops, rep.alarms);
		if (error == VIOS_EVERIFY)
			snprintf(last_merge.error, sizeof(last_merge.error), "%s", vios_error_last());
		else if (vios_hub_repack_failed()) /* as cli_hub_merge warns */
			snprintf(last_merge.error, sizeof(last_merge.error),
				 _("warning: %s (the merge stands; the next merge tries again)"), vios_hub_repack_failed());
		web_redirect(r, "/merge");
		return;
	}
	web_page_begin(r, _("Merge"));
	h_printf(r, "<p>%s</p>", _("Verifies every node's new bundles in the hub repository, imports what is addressed to the hub and quarantines what fails (vios hub merge)."));
	if (last_merge.ran) {
		char t[32];
		web_time_out(t, sizeof(t), last_merge.at);
		h_printf(r, "<h2>%s</h2><p>%s %s, %lld ms</p>", _("Last merge"), _("At"), t, last_merge.ms);
		h_printf(r, "<p class=\"notice\">%s</p>", last_merge.line);
		if (last_merge.error[0])
			h_printf(r, "<p class=\"error\" role=\"alert\">%s</p>", last_merge.error);
	}
	web_form_begin(r, "/merge");
	h_printf(r, "<p><button type=\"submit\">%s</button></p></form>", _("Merge now"));
	web_page_end(r);
}

/* In the menu's order; "/" is matched exactly (web_core.c). */
const vios_web_route vios_web_hub_routes[] = {
	{ "/", WEB_HUB, page_nodes, N_("Nodes") },
	{ "/covenant", WEB_HUB, page_covenant, N_("Covenant") },
	{ "/report", WEB_HUB, page_report, N_("Report") },
	{ "/report.svg", WEB_HUB, page_report_svg, NULL },
	{ "/merge", WEB_HUB, page_merge, N_("Merge") },
	{ NULL, 0, NULL, NULL },
};
