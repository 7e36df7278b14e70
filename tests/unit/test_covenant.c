/*
 * test_covenant.c - the covenant (sync/covenant.c): formats 3 and 4 and
 * their rendering.
 *
 * Proves: the default covenant is a -3 whose parties, legal bases,
 * categories, marked fields and auditor scope come out as written; every
 * rule of -3 is refused with its own one-line message (numbered rows, each
 * one change to the default); -1 and -2 covenants still parse, with the
 * auditor receiving content; the markdown page holds the purpose, the legal
 * bases, the art. 9 and art. 10 rows, the enrolled nodes with their
 * fingerprints (revoked ones marked) and a signature line per party; the
 * text page is the same without markdown; the json page is the document;
 * a -4's local themes are read with their labels, and every rule of them
 * (shape, base clash, duplicate, at most 32, labels) refused on one line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/registry.h"
#include "util/error.h"

#define SCHOOL_ID "01a225e4-cdff-75d0-bb9f-4981b15970d3"
#define POLICE_ID "01a225e4-cdff-75d0-bb9f-4981b15970d5"

/* What vios published as its default before format 3: a -2, as signed then. */
static const char v2_text[] =
	"{\n"
	"  \"format\": \"vios-covenant-2\",\n"
	"  \"version\": 1,\n"
	"  \"title\": \"VIOS covenant (vios default)\",\n"
	"  \"parties\": [\"school\", \"police\", \"youth-protection\", \"social-team\", \"attendance\", \"youth-work\", \"municipality\"],\n"
	"  \"receives\": {\n"
	"    \"theme\": [\"hub\", \"auditor\", \"police\", \"youth-protection\", \"social-team\", \"attendance\", \"youth-work\", \"municipality\"],\n"
	"    \"case\": [\"auditor\", \"police\", \"youth-protection\", \"social-team\", \"attendance\", \"youth-work\", \"municipality\"]\n"
	"  },\n"
	"  \"case_scope\": \"roles-in-case\",\n"
	"  \"hub_role\": null,\n"
	"  \"retention_months\": {\"theme\": 60, \"case\": 24},\n"
	"  \"mandate\": {\n"
	"    \"school\": {\"create\": [\"pupil\", \"signal\", \"trend\", \"meeting\", \"case_file\", \"agreement\", \"signal_count\", \"school_figure\"],\n"
	"               \"assigned\": [], \"lead\": [], \"lead_status\": []},\n"
	"    \"partner\": {\"create\": [\"signal\"], \"assigned\": [\"status\", \"feedback\", \"done_at\"],\n"
	"                \"lead\": [\"status\"], \"lead_status\": [\"in-progress\", \"monitoring\"]},\n"
	"    \"hub\": {\"create\": [\"meeting\"], \"assigned\": [], \"lead\": [], \"lead_status\": []},\n"
	"    \"auditor\": {\"create\": [\"meeting\"], \"assigned\": [], \"lead\": [], \"lead_status\": []}\n"
	"  }\n"
	"}\n";

static const struct {
	const char *role;
	const char *basis;
} bases[] = {
	{ "school", "GDPR art. 6(1)(e) public task (Wet op het primair/voortgezet onderwijs, zorgplicht)" },
	{ "police", "Wet politiegegevens art. 19/20" },
	{ "youth-protection", "Jeugdwet art. 7.1.1 / BW 1:255" },
	{ "social-team", "Jeugdwet art. 7.1.1, Wmo 2015 art. 5.2.1" },
	{ "attendance", "Leerplichtwet 1969 art. 16-18" },
	{ "youth-work", "GDPR art. 6(1)(e), municipal assignment" },
	{ "municipality", "Gemeentewet art. 172 (public order), GDPR art. 6(1)(e)" },
};

static unsigned bit(const char *role)
{
	return 1u << vios_role_index(role);
}

static void test_covenant_default__is_format_3_with_its_parties_fields_and_scope(void **state)
{
	const char *text = vios_covenant_default();
	const vios_covenant_field *f;
	json_t *parties;
	vios_covenant c;

	(void)state;
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_string_equal(json_string_value(json_object_get(c.doc, "format")), "vios-covenant-3");
	assert_int_equal(c.version, 1);
	assert_int_equal(c.auditor_scope, VIOS_AUDITOR_HEADERS);
	assert_string_equal(c.hub_role, "");
	assert_int_equal(c.retention_months[0], 60);
	assert_int_equal(c.retention_months[1], 24);
	/* the receives of the -2 default, the auditor taken out */
	assert_true(c.receives[0] == (bit("hub") | bit("police") | bit("youth-protection") | bit("social-team") |
				      bit("attendance") | bit("youth-work") | bit("municipality")));
	assert_true(c.receives[1] == (bit("police") | bit("youth-protection") | bit("social-team") | bit("attendance") |
				      bit("youth-work") | bit("municipality")));
	/* every party once, in order, with its legal basis */
	parties = json_object_get(c.doc, "parties");
	assert_int_equal(json_array_size(parties), sizeof(bases) / sizeof(bases[0]));
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		json_t *p = json_array_get(parties, i);
		assert_string_equal(json_string_value(json_object_get(p, "role")), bases[i].role);
		assert_string_equal(json_string_value(json_object_get(p, "legal_basis")), bases[i].basis);
	}
	assert_non_null(strstr(json_string_value(json_object_get(c.doc, "purpose")), "themes"));
	assert_string_equal(json_string_value(json_object_get(c.doc, "fg_contact")),
			    "the privacy officer (FG) named in the signed paper covenant");
	/* the two marked fields */
	assert_int_equal(c.nfields, 2);
	assert_non_null(f = vios_covenant_field_find(&c, "case_file", "police_info"));
	assert_int_equal(f->marking, VIOS_MARK_ART10);
	assert_true(f->receives == bit("police"));
	assert_non_null(f = vios_covenant_field_find(&c, "case_file", "care_info"));
	assert_int_equal(f->marking, VIOS_MARK_ART9);
	assert_true(f->receives == (bit("social-team") | bit("youth-protection")));
	assert_null(vios_covenant_field_find(&c, "case_file", "status"));
	assert_null(vios_covenant_field_find(&c, "signal", "police_info"));
	assert_string_equal(c.text, text);
	vios_covenant_dispose(&c);
}

/* The default with one change: path is '/'-separated (array indices as
 * numbers, "+" appends to an array); value is JSON, NULL deletes. */
static char *mutate(const char *path, const char *value)
{
	json_t *doc = json_loads(vios_covenant_default(), 0, NULL), *at = doc, *v = NULL;
	char buf[256], *save = NULL, *part, *next;
	char *out;

	assert_non_null(doc);
	if (value && (v = json_loads(value, JSON_DECODE_ANY, NULL)) == NULL)
		fail_msg("bad value %s", value);
	snprintf(buf, sizeof(buf), "%s", path);
	part = strtok_r(buf, "/", &save);
	while ((next = strtok_r(NULL, "/", &save)) != NULL) {
		at = json_is_array(at) ? json_array_get(at, strtoul(part, NULL, 10)) : json_object_get(at, part);
		assert_non_null(at);
		part = next;
	}
	if (json_is_array(at)) {
		if (!strcmp(part, "+"))
			json_array_append_new(at, v);
		else if (v)
			json_array_set_new(at, strtoul(part, NULL, 10), v);
		else
			json_array_remove(at, strtoul(part, NULL, 10));
	} else if (v)
		json_object_set_new(at, part, v);
	else
		json_object_del(at, part);
	out = json_dumps(doc, JSON_INDENT(1));
	json_decref(doc);
	assert_non_null(out);
	return out;
}

static void test_covenant_parse__refuses_each_rule_of_format_3(void **state)
{
	static const struct {
		int id;
		const char *path, *value, *needle;
	} rows[] = {
		{ 1, "surprise", "1", "unknown field \"surprise\"" },
		{ 2, "receives", "{}", "under \"categories\"" },
		{ 3, "purpose", NULL, "states \"purpose\"" },
		{ 4, "purpose", "\"  \"", "\"purpose\" must be non-empty text" },
		{ 5, "fg_contact", NULL, "states \"fg_contact\"" },
		{ 6, "fg_contact", "42", "\"fg_contact\" must be non-empty text" },
		{ 7, "parties", "{}", "\"parties\" must be a list" },
		{ 8, "parties/0", "\"school\"", "parties[0] must be an object" },
		{ 9, "parties/1/role", "\"baker\"", "parties[1]: unknown role 'baker'" },
		{ 10, "parties/1/role", "\"school\"", "the party school is listed twice" },
		{ 11, "parties/0", NULL, "the school must be a party" },
		{ 12, "parties/2/legal_basis", "\"\"", "the party youth-protection states no \"legal_basis\"" },
		{ 13, "parties/2/legal_basis", NULL, "the party youth-protection states no \"legal_basis\"" },
		{ 14, "parties/0/nodes", "[\"not-a-node\"]", "the party school: 'not-a-node' is not a node id" },
		{ 15, "parties/0/nodes", "\"" SCHOOL_ID "\"", "\"nodes\" must be a list of node ids" },
		{ 16, "parties/0/extra", "1", "parties[0]: unknown field \"extra\"" },
		{ 17, "parties/1/nodes", "[\"" SCHOOL_ID "\", \"" SCHOOL_ID "\"]", "listed twice among the parties" },
		{ 18, "parties/1", NULL, "role police receives data but is not a party" },
		{ 19, "categories/pupil", "{}", "\"categories\" must name exactly theme and case" },
		{ 20, "categories/theme", NULL, "\"categories\" must name exactly theme and case" },
		{ 21, "categories/case/receives/+", "\"auditor\"", "\"auditor_scope\"" },
		{ 22, "categories/theme/receives/+", "\"auditor\"", "categories.theme.receives lists the auditor" },
		{ 23, "categories/case/receives/+", "\"hub\"", "the hub never receives case data" },
		{ 24, "categories/theme/retention_months", "0", "categories.theme.retention_months must be months (1 to 1200)" },
		{ 25, "categories/case/retention_months", "1201", "categories.case.retention_months must be months" },
		{ 26, "categories/case/retention_months", NULL, "categories.case.retention_months must be months" },
		{ 27, "categories/theme/receives/+", "\"baker\"", "unknown role in \"categories.theme.receives\"" },
		{ 28, "categories/theme/receives", "\"hub\"", "\"categories.theme.receives\" must be a list of roles" },
		{ 29, "categories/case/colour", "1", "categories.case: unknown field \"colour\"" },
		{ 30, "categories/case/description", "\"\"", "\"categories.case.description\" must be non-empty text" },
		{ 31, "categories/case", "[]", "categories.case must be an object" },
		{ 32, "fields/case_file.Police", "{\"marking\":\"art10\",\"receives\":[\"police\"]}", "is not table.column" },
		{ 33, "fields/teacher.notes", "{\"marking\":\"art10\",\"receives\":[\"police\"]}", "is not table.column" },
		{ 34, "fields/case_file.", "{\"marking\":\"art10\",\"receives\":[\"police\"]}", "is not table.column" },
		{ 35, "fields/case_file.abcdefghijklmnopqrstuvwxyzabcdef", "{\"marking\":\"art10\",\"receives\":[\"police\"]}",
		  "is not table.column" },
		{ 36, "fields/case_file.police_info/marking", "\"art11\"", "fields.case_file.police_info.marking must be \"art9\"" },
		{ 37, "fields/case_file.police_info/marking", NULL, "fields.case_file.police_info.marking must be" },
		{ 38, "fields/case_file.police_info/receives", "[]", "must list at least one partner role" },
		{ 39, "fields/case_file.police_info/receives", "[\"school\"]", "only partner roles receive a marked field" },
		{ 40, "fields/case_file.police_info/receives", "[\"hub\"]", "only partner roles receive a marked field" },
		{ 41, "fields/case_file.police_info/receives", "[\"auditor\"]", "only partner roles receive a marked field" },
		{ 42, "categories/case/receives", "[\"police\", \"youth-protection\"]",
		  "fields.case_file.care_info.receives lists social-team, which does not receive case data" },
		{ 43, "fields/case_file.police_info/extra", "1", "fields.case_file.police_info: unknown field \"extra\"" },
		{ 44, "fields/case_file.police_info", "\"art10\"", "fields.case_file.police_info must be an object" },
		{ 45, "fields", "[]", "\"fields\" must map" },
		{ 46, "auditor_scope", NULL, "states \"auditor_scope\"" },
		{ 47, "auditor_scope", "\"everything\"", "\"auditor_scope\" must be \"headers\", \"theme\" or \"content\"" },
		{ 48, "mandate", NULL, "a vios-covenant-3 states its \"mandate\"" },
		{ 49, "format", "\"vios-covenant-5\"", "\"format\" must be" },
		{ 50, "hub_role", "\"school\"", "\"hub_role\" must be null or a partner role" },
		{ 51, "version", "0", "\"version\" must be a whole number from 1" },
		{ 52, "case_scope", "\"everyone\"", "\"case_scope\" must be \"roles-in-case\"" },
		{ 53, "title", "\"\"", "\"title\" must be non-empty text" },
		{ 54, "tables", "{\"x\":[]}", "\"tables\" must map a school node id" },
		{ 55, "fields/case_file.police_info/description", "\"\"", "description\" must be non-empty text" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *text = mutate(rows[i].path, rows[i].value);
		vios_covenant c;
		int rc = vios_covenant_parse(&c, text, strlen(text));
		const char *msg = vios_error_last();
		if (rc != VIOS_ERROR || strncmp(msg, "covenant: ", 10) != 0 || !strstr(msg, rows[i].needle) ||
		    strchr(msg, '\n'))
			fail_msg("row %d (%s): got %d, \"%s\"", rows[i].id, rows[i].path, rc, msg);
		assert_null(c.doc);
		assert_null(c.fields);
		free(text);
	}
}

static void test_covenant_parse__at_most_64_fields_and_the_optional_parts(void **state)
{
	json_t *doc = json_loads(vios_covenant_default(), 0, NULL), *fields = json_object();
	vios_covenant c;
	char *text;

	(void)state;
	for (int i = 0; i < 64; i++) {
		char name[48];
		snprintf(name, sizeof(name), "case_file.col_%c%c", 'a' + i / 26, 'a' + i % 26);
		json_object_set_new(fields, name, json_pack("{s:s, s:[s]}", "marking", "art9", "receives", "police"));
	}
	json_object_set(doc, "fields", fields);
	text = json_dumps(doc, 0);
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_int_equal(c.nfields, 64);
	vios_covenant_dispose(&c);
	free(text);
	json_object_set_new(fields, "pupil.one_more", json_pack("{s:s, s:[s]}", "marking", "art9", "receives", "police"));
	text = json_dumps(doc, 0);
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), VIOS_ERROR);
	assert_non_null(strstr(vios_error_last(), "at most 64"));
	free(text);
	/* no fields, no title, no case_scope, a hub role, a node named for a party */
	json_object_del(doc, "fields");
	json_object_del(doc, "title");
	json_object_del(doc, "case_scope");
	json_object_set_new(doc, "hub_role", json_string("municipality"));
	json_object_set_new(json_array_get(json_object_get(doc, "parties"), 0), "nodes", json_pack("[s]", SCHOOL_ID));
	json_object_set_new(doc, "auditor_scope", json_string("content"));
	text = json_dumps(doc, 0);
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_int_equal(c.nfields, 0);
	assert_string_equal(c.hub_role, "municipality");
	assert_int_equal(c.auditor_scope, VIOS_AUDITOR_CONTENT);
	assert_null(vios_covenant_field_find(&c, "case_file", "police_info"));
	vios_covenant_dispose(&c);
	free(text);
	json_decref(fields);
	json_decref(doc);
}

/* The default as a -4 with themes (JSON text; NULL: no "themes" member). */
static char *with_themes(const char *format, const char *themes)
{
	json_t *doc = json_loads(vios_covenant_default(), 0, NULL);
	char *out;

	assert_non_null(doc);
	json_object_set_new(doc, "format", json_string(format));
	if (themes) {
		json_t *v = json_loads(themes, JSON_DECODE_ANY, NULL);
		if (v == NULL)
			fail_msg("bad themes %s", themes);
		json_object_set_new(doc, "themes", v);
	}
	out = json_dumps(doc, JSON_INDENT(1));
	json_decref(doc);
	assert_non_null(out);
	return out;
}

static void test_covenant_parse__local_themes_of_format_4(void **state)
{
	char *text = with_themes("vios-covenant-4", "[{\"name\": \"lachgas\", \"nl\": \"Lachgas (N2O)\", \"en\": "
						    "\"Laughing gas\"}, {\"name\": \"online-gokken\", \"nl\": \"Online gokken\"}]");
	char list[1024], *page = NULL;
	vios_covenant c;

	(void)state;
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_int_equal(c.format, 4);
	assert_int_equal(c.themes.n, 2);
	assert_string_equal(c.themes.local[0].name, "lachgas");
	assert_string_equal(c.themes.local[0].nl, "Lachgas (N2O)");
	assert_string_equal(c.themes.local[0].en, "Laughing gas");
	assert_string_equal(c.themes.local[1].en, "");
	/* a -4 is a -3: the auditor's scope and the fields as before */
	assert_int_equal(c.auditor_scope, VIOS_AUDITOR_HEADERS);
	assert_int_equal(c.nfields, 2);
	/* the one label lookup and the list a refusal names */
	assert_true(vios_theme_known(&c.themes, "lachgas"));
	assert_false(vios_theme_known(NULL, "lachgas"));
	assert_string_equal(vios_theme_label(&c.themes, "lachgas"), "Lachgas (N2O)");
	assert_string_equal(vios_theme_label(&c.themes, "weapons"), "Wapens");
	assert_string_equal(vios_theme_label(&c.themes, "unheard-of"), "unheard-of");
	assert_int_equal(vios_theme_list_all(list, sizeof(list), &c.themes), 0);
	assert_non_null(strstr(list, "crime, other, lachgas, online-gokken"));
	assert_int_equal(vios_theme_list_all(list, 20, &c.themes), -1);
	/* covenant show prints them with their labels */
	assert_int_equal(vios_covenant_render(&page, &c, "markdown", NULL, 0), 0);
	assert_non_null(strstr(page, "## Themes"));
	assert_non_null(strstr(page, "| lachgas | Lachgas (N2O) | Laughing gas | local (this covenant) |"));
	assert_non_null(strstr(page, "| weapons | Wapens | - | base |"));
	assert_non_null(strstr(page, "Covenant version 1 (format vios-covenant-4)"));
	free(page);
	vios_covenant_dispose(&c);
	free(text);
	/* a -4 without themes, and the default (-3) adds none */
	text = with_themes("vios-covenant-4", NULL);
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_int_equal(c.themes.n, 0);
	vios_covenant_dispose(&c);
	free(text);
}

static void test_covenant_parse__refuses_each_rule_of_local_themes(void **state)
{
	static const struct {
		int id;
		const char *format, *themes, *needle;
	} rows[] = {
		{ 1, "vios-covenant-3", "[{\"name\": \"lachgas\", \"nl\": \"Lachgas\"}]",
		  "\"themes\" needs \"format\": \"vios-covenant-4\"" },
		{ 2, "vios-covenant-2", "[]", "\"themes\" needs \"format\": \"vios-covenant-4\"" },
		{ 3, "vios-covenant-4", "{\"lachgas\": \"Lachgas\"}", "\"themes\" must be a list" },
		{ 4, "vios-covenant-4", "[\"lachgas\"]", "themes[0] must be an object" },
		/* duplicate, base-name clash */
		{ 5, "vios-covenant-4", "[{\"name\": \"lachgas\", \"nl\": \"A\"}, {\"name\": \"lachgas\", \"nl\": \"B\"}]",
		  "themes[1]: the theme 'lachgas' is listed twice" },
		{ 6, "vios-covenant-4", "[{\"name\": \"weapons\", \"nl\": \"Wapens\"}]", "themes[0]: 'weapons' is a base theme" },
		/* bad shape */
		{ 7, "vios-covenant-4", "[{\"name\": \"Lachgas\", \"nl\": \"Lachgas\"}]", "themes[0].name must be a theme word" },
		{ 8, "vios-covenant-4", "[{\"name\": \"1gas\", \"nl\": \"Lachgas\"}]", "themes[0].name must be a theme word" },
		{ 9, "vios-covenant-4", "[{\"name\": \"lach gas\", \"nl\": \"Lachgas\"}]", "must be a theme word" },
		{ 10, "vios-covenant-4", "[{\"name\": \"\", \"nl\": \"Lachgas\"}]", "must be a theme word" },
		{ 11, "vios-covenant-4", "[{\"name\": \"abcdefghijklmnopqrstuvwxyzabcdefg\", \"nl\": \"L\"}]",
		  "must be a theme word" },
		{ 12, "vios-covenant-4", "[{\"name\": 7, \"nl\": \"Lachgas\"}]", "must be a theme word" },
		/* labels */
		{ 13, "vios-covenant-4", "[{\"name\": \"lachgas\"}]", "themes[0] ('lachgas') states no Dutch label \"nl\"" },
		{ 14, "vios-covenant-4", "[{\"name\": \"lachgas\", \"nl\": \" \"}]", "themes[0].nl must be text of 1 to 64" },
		{ 15, "vios-covenant-4", "[{\"name\": \"lachgas\", \"nl\": \"L\", \"en\": \"\"}]", "themes[0].en must be text" },
		{ 16, "vios-covenant-4",
		  "[{\"name\": \"lachgas\", \"nl\": \"Lachgas Lachgas Lachgas Lachgas Lachgas Lachgas Lachgas Lachgas Lachgas\"}]",
		  "themes[0].nl must be text of 1 to 64" },
		{ 17, "vios-covenant-4", "[{\"name\": \"lachgas\", \"nl\": \"Lach\\ngas\"}]", "themes[0].nl holds a control" },
		{ 18, "vios-covenant-4", "[{\"name\": \"lachgas\", \"nl\": \"L\", \"fr\": \"Gaz\"}]",
		  "themes[0]: unknown field \"fr\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *text = with_themes(rows[i].format, rows[i].themes);
		vios_covenant c;
		int rc = vios_covenant_parse(&c, text, strlen(text));
		const char *msg = vios_error_last();
		if (rc != VIOS_ERROR || strncmp(msg, "covenant: ", 10) != 0 || !strstr(msg, rows[i].needle) ||
		    strchr(msg, '\n'))
			fail_msg("row %d: got %d, \"%s\"", rows[i].id, rc, msg);
		assert_null(c.doc);
		assert_int_equal(c.themes.n, 0);
		free(text);
	}
}

static void test_covenant_parse__at_most_32_local_themes(void **state)
{
	json_t *themes = json_array();
	vios_covenant c;
	char *list, *text;

	(void)state;
	for (int i = 0; i < VIOS_THEME_LOCAL_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "local-%c%c", 'a' + i / 26, 'a' + i % 26);
		json_array_append_new(themes, json_pack("{s:s, s:s}", "name", name, "nl", "Lokaal"));
	}
	list = json_dumps(themes, 0);
	text = with_themes("vios-covenant-4", list);
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_int_equal(c.themes.n, VIOS_THEME_LOCAL_MAX);
	vios_covenant_dispose(&c);
	free(text);
	free(list);
	json_array_append_new(themes, json_pack("{s:s, s:s}", "name", "one-more", "nl", "Nog een"));
	list = json_dumps(themes, 0);
	text = with_themes("vios-covenant-4", list);
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), VIOS_ERROR);
	assert_non_null(strstr(vios_error_last(), "adds 33 themes, at most 32"));
	free(text);
	free(list);
	json_decref(themes);
}

static void test_covenant_parse__formats_1_and_2_as_before(void **state)
{
	static const char v1[] =
		"{\"format\":\"vios-covenant-1\",\"version\":2,\"parties\":[\"school\",\"police\"],"
		"\"receives\":{\"theme\":[\"hub\",\"auditor\",\"police\"],\"case\":[\"auditor\",\"police\"]},"
		"\"retention_months\":{\"theme\":60,\"case\":24}}";
	vios_covenant c;

	(void)state;
	assert_int_equal(vios_covenant_parse(&c, v2_text, strlen(v2_text)), 0);
	assert_int_equal(c.auditor_scope, VIOS_AUDITOR_CONTENT);
	assert_true(c.receives[0] & bit("auditor"));
	assert_true(c.receives[1] & bit("auditor"));
	assert_int_equal(c.nfields, 0);
	assert_null(c.fields);
	assert_non_null(c.doc);
	vios_covenant_dispose(&c);
	assert_int_equal(vios_covenant_parse(&c, v1, strlen(v1)), 0);
	assert_int_equal(c.auditor_scope, VIOS_AUDITOR_CONTENT);
	vios_covenant_dispose(&c);
	/* -2 keeps its own words: no categories, no auditor_scope */
	{
		json_t *d = json_loads(v2_text, 0, NULL);
		char *t;
		json_object_set_new(d, "auditor_scope", json_string("headers"));
		t = json_dumps(d, 0);
		assert_int_equal(vios_covenant_parse(&c, t, strlen(t)), VIOS_ERROR);
		assert_non_null(strstr(vios_error_last(), "unknown field \"auditor_scope\""));
		free(t);
		json_object_del(d, "auditor_scope");
		json_object_set_new(json_object_get(d, "receives"), "case", json_pack("[s]", "police"));
		t = json_dumps(d, 0);
		assert_int_equal(vios_covenant_parse(&c, t, strlen(t)), VIOS_ERROR);
		assert_non_null(strstr(vios_error_last(), "the auditor must receive every category (case)"));
		free(t);
		json_decref(d);
	}
}

/* Two enrolled nodes: a school and a revoked police node. */
static void two_nodes(vios_reg_node n[2])
{
	memset(n, 0, 2 * sizeof(*n));
	snprintf(n[0].node_id, sizeof(n[0].node_id), SCHOOL_ID);
	snprintf(n[0].kind, sizeof(n[0].kind), "school");
	snprintf(n[0].role, sizeof(n[0].role), "school");
	snprintf(n[0].name, sizeof(n[0].name), "De Linde");
	memset(n[0].sign_pub.pk, 7, sizeof(n[0].sign_pub.pk));
	snprintf(n[1].node_id, sizeof(n[1].node_id), POLICE_ID);
	snprintf(n[1].kind, sizeof(n[1].kind), "partner");
	snprintf(n[1].role, sizeof(n[1].role), "police");
	snprintf(n[1].name, sizeof(n[1].name), "Politie | Noord");
	snprintf(n[1].revoked_at, sizeof(n[1].revoked_at), "2026-11-02T10:00:00Z");
	memset(n[1].sign_pub.pk, 9, sizeof(n[1].sign_pub.pk));
}

static void test_covenant_render__markdown_to_sign_at_the_table(void **state)
{
	const char *text = vios_covenant_default();
	vios_reg_node nodes[2];
	uint8_t fp[VIOS_FINGERPRINT_BYTES];
	char fps[VIOS_FINGERPRINT_STRLEN + 1], want[160], *md = NULL;
	vios_covenant c;
	static const char *const needles[] = {
		"# VIOS covenant (vios default)\n",
		"Covenant version 1 (format vios-covenant-3)",
		"## Purpose\n\nVIOS",
		"## The privacy officer (FG)\n\nthe privacy officer (FG) named in the signed paper covenant",
		"## Parties\n\n### school\n",
		"| case_file.police_info | GDPR art. 10: criminal data | police |",
		"| case_file.care_info | GDPR art. 9: special-category data | youth-protection, social-team |",
		"| theme |",
		"| 60 months |",
		"| 24 months |",
		"## Who may write what",
		"| school | pupil, signal, trend, meeting, case_file, agreement, signal_count, school_figure |",
		"## The auditor\n\nThe auditor receives the signed header of every bundle",
		"(auditor_scope: headers)",
		"hub_role: none",
		"- Politie | Noord, fingerprint ",
		"(revoked 2026-11-02T10:00:00Z",
		"- Enrolled nodes: none", /* youth-protection */
	};

	(void)state;
	two_nodes(nodes);
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_int_equal(vios_covenant_render(&md, &c, "markdown", nodes, 2), 0);
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (!strstr(md, needles[i]))
			fail_msg("needle %zu not in the page: %s\n%s", i, needles[i], md);
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		snprintf(want, sizeof(want), "### %s\n\n- Legal basis: %s\n", bases[i].role, bases[i].basis);
		if (!strstr(md, want))
			fail_msg("no legal basis for %s", bases[i].role);
		snprintf(want, sizeof(want), "For %s: name ____", bases[i].role);
		if (!strstr(md, want))
			fail_msg("no signature line for %s", bases[i].role);
	}
	vios_fingerprint_from_pk(fp, nodes[0].sign_pub.pk);
	vios_fingerprint_format(fps, fp);
	snprintf(want, sizeof(want), "  - De Linde, fingerprint %s, node %s\n", fps, SCHOOL_ID);
	assert_non_null(strstr(md, want));
	/* the page without nodes lists none */
	free(md);
	assert_int_equal(vios_covenant_render(&md, &c, "markdown", NULL, 0), 0);
	assert_null(strstr(md, "Enrolled nodes"));
	assert_non_null(strstr(md, "For municipality: name"));
	free(md);
	assert_int_equal(vios_covenant_render(&md, &c, "pdf", NULL, 0), VIOS_EUSAGE);
	assert_null(md);
	vios_covenant_dispose(&c);
}

static void test_covenant_render__text_is_the_same_page_plain(void **state)
{
	const char *text = vios_covenant_default();
	vios_reg_node nodes[2];
	vios_covenant c;
	char *out = NULL;

	(void)state;
	two_nodes(nodes);
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_int_equal(vios_covenant_render(&out, &c, "text", nodes, 2), 0);
	assert_non_null(strstr(out, "VIOS covenant (vios default)\n============================\n"));
	assert_non_null(strstr(out, "Purpose\n-------\n"));
	assert_non_null(strstr(out, "case_file.police_info\n    Marking: GDPR art. 10: criminal data\n    Received by: police\n"));
	assert_non_null(strstr(out, "Politie | Noord"));
	assert_non_null(strstr(out, "For youth-work: name ____"));
	assert_null(strstr(out, "## "));
	assert_null(strstr(out, "|---"));
	free(out);
	vios_covenant_dispose(&c);
}

static void test_covenant_render__json_is_the_document(void **state)
{
	const char *text = vios_covenant_default();
	vios_covenant c;
	json_t *back;
	char *out = NULL;

	(void)state;
	assert_int_equal(vios_covenant_parse(&c, text, strlen(text)), 0);
	assert_int_equal(vios_covenant_render(&out, &c, "json", NULL, 0), 0);
	assert_non_null(back = json_loads(out, JSON_REJECT_DUPLICATES, NULL));
	assert_true(json_equal(back, c.doc));
	json_decref(back);
	free(out);
	vios_covenant_dispose(&c);
}

static void test_covenant_render__format_2_says_what_it_does_not_state(void **state)
{
	vios_covenant c;
	char *out = NULL;

	(void)state;
	assert_int_equal(vios_covenant_parse(&c, v2_text, strlen(v2_text)), 0);
	assert_int_equal(vios_covenant_render(&out, &c, "markdown", NULL, 0), 0);
	assert_non_null(strstr(out, "## Purpose\n\n(not stated: a vios-covenant-2)"));
	assert_non_null(strstr(out, "- Legal basis: (not stated: a vios-covenant-2)"));
	assert_non_null(strstr(out, "None: a vios-covenant-2 marks no fields."));
	assert_non_null(strstr(out, "(auditor_scope: content)"));
	assert_non_null(strstr(out, "For police: name ____"));
	free(out);
	vios_covenant_dispose(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_covenant_default__is_format_3_with_its_parties_fields_and_scope),
		cmocka_unit_test(test_covenant_parse__refuses_each_rule_of_format_3),
		cmocka_unit_test(test_covenant_parse__at_most_64_fields_and_the_optional_parts),
		cmocka_unit_test(test_covenant_parse__local_themes_of_format_4),
		cmocka_unit_test(test_covenant_parse__refuses_each_rule_of_local_themes),
		cmocka_unit_test(test_covenant_parse__at_most_32_local_themes),
		cmocka_unit_test(test_covenant_parse__formats_1_and_2_as_before),
		cmocka_unit_test(test_covenant_render__markdown_to_sign_at_the_table),
		cmocka_unit_test(test_covenant_render__text_is_the_same_page_plain),
		cmocka_unit_test(test_covenant_render__json_is_the_document),
		cmocka_unit_test(test_covenant_render__format_2_says_what_it_does_not_state),
	};
	return cmocka_run_group_tests_name("covenant", tests, NULL, NULL);
}
