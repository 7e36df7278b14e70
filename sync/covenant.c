/*
 * covenant.c - the covenant: the one reader of its three formats, the
 * default vios publishes, marked fields, and the covenant rendered for
 * people (declarations: registry.h; the formats: docs/formats.md,
 * "Covenant").
 *
 *   vios-covenant-1  parties as role names, "receives" and
 *                    "retention_months" per category; the default mandate
 *   vios-covenant-2  the same with its "mandate" spelled out
 *   vios-covenant-3  the purpose, the privacy officer (FG), parties with
 *                    their legal basis (and optionally their nodes),
 *                    categories with what they are, who receives them and
 *                    for how long, marked fields (GDPR art. 9 and 10), the
 *                    auditor's scope, the mandate
 *   vios-covenant-4  a -3 that may add local themes to the base list
 *                    ("themes": name, Dutch label, English label)
 *
 * Invariants of a parsed covenant: receives[] and retention_months[] hold
 * theme [0] and case [1]; the hub never receives case data by its own role;
 * every role at the table that receives data (the school aside) is a party.
 * In -1 and -2 the auditor receives every category (auditor_scope content);
 * in -3 it is never among receives and auditor_scope says what it gets.
 * A marked field's roles are partner roles that receive case data.
 * A local theme is a theme word (vios_theme_word_valid) that is neither a
 * base theme nor another local theme, with a Dutch label.
 * The reader is strict: an unknown key is refused, and every refusal is one
 * line "covenant: ..." naming the rule (VIOS_ERR_INPUT).
 */
#include "sync/registry.h"
#include "util/error.h"
#include "util/json.h"
#include "util/util.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COVENANT_MAX_LEN 65536
#define COVENANT_MAX_FIELDS 64

/* The tables a marked field may be in: the ones that hold a pupil's data. */
static const char *const field_tables[] = { "pupil", "signal", "meeting", "case_file", "agreement", NULL };

static const char *const cat_names[2] = { "theme", "case" };

const char *vios_covenant_default(void)
{
	/* the mandate spelled out is vios_mandate_default's (tests/unit/test_mandate.c) */
	return "{\n"
	       "  \"format\": \"vios-covenant-3\",\n"
	       "  \"version\": 1,\n"
	       "  \"title\": \"VIOS covenant (vios default)\",\n"
	       "  \"purpose\": \"VIOS (safety in and around school): the school and its partners discuss signals of risky "
	       "or criminal behaviour of pupils in and around the school, first as themes (phenomena, no names), then, "
	       "where a pupil needs it, as cases with agreed actions, each case shared only with the partners that take "
	       "part in it.\",\n"
	       "  \"fg_contact\": \"the privacy officer (FG) named in the signed paper covenant\",\n"
	       "  \"parties\": [\n"
	       "    {\"role\": \"school\", \"legal_basis\": \"GDPR art. 6(1)(e) public task (Wet op het primair/voortgezet "
	       "onderwijs, zorgplicht)\"},\n"
	       "    {\"role\": \"police\", \"legal_basis\": \"Wet politiegegevens art. 19/20\"},\n"
	       "    {\"role\": \"youth-protection\", \"legal_basis\": \"Jeugdwet art. 7.1.1 / BW 1:255\"},\n"
	       "    {\"role\": \"social-team\", \"legal_basis\": \"Jeugdwet art. 7.1.1, Wmo 2015 art. 5.2.1\"},\n"
	       "    {\"role\": \"attendance\", \"legal_basis\": \"Leerplichtwet 1969 art. 16-18\"},\n"
	       "    {\"role\": \"youth-work\", \"legal_basis\": \"GDPR art. 6(1)(e), municipal assignment\"},\n"
	       "    {\"role\": \"municipality\", \"legal_basis\": \"Gemeentewet art. 172 (public order), GDPR art. 6(1)(e)\"}\n"
	       "  ],\n"
	       "  \"categories\": {\n"
	       "    \"theme\": {\"description\": \"phenomena in and around the school: signals without a pupil, trends, "
	       "thematic meetings and monthly signal counts; never about a person\",\n"
	       "              \"receives\": [\"hub\", \"police\", \"youth-protection\", \"social-team\", \"attendance\", "
	       "\"youth-work\", \"municipality\"],\n"
	       "              \"retention_months\": 60},\n"
	       "    \"case\": {\"description\": \"a pupil's case: the pupil, the signals about the pupil, case meetings, the "
	       "case file and the agreed actions\",\n"
	       "             \"receives\": [\"police\", \"youth-protection\", \"social-team\", \"attendance\", "
	       "\"youth-work\", \"municipality\"],\n"
	       "             \"retention_months\": 24}\n"
	       "  },\n"
	       "  \"fields\": {\n"
	       "    \"case_file.police_info\": {\"marking\": \"art10\", \"description\": \"what the police share about "
	       "the pupil: criminal data\", \"receives\": [\"police\"]},\n"
	       "    \"case_file.care_info\": {\"marking\": \"art9\", \"description\": \"health and care information about "
	       "the pupil\", \"receives\": [\"social-team\", \"youth-protection\"]}\n"
	       "  },\n"
	       "  \"case_scope\": \"roles-in-case\",\n"
	       "  \"hub_role\": null,\n"
	       "  \"auditor_scope\": \"headers\",\n"
	       "  \"mandate\": {\n"
	       "    \"school\": {\"create\": [\"pupil\", \"signal\", \"trend\", \"meeting\", \"case_file\", \"agreement\", \"signal_count\", \"school_figure\"],\n"
	       "               \"assigned\": [], \"lead\": [], \"lead_status\": []},\n"
	       "    \"partner\": {\"create\": [\"signal\"], \"assigned\": [\"status\", \"feedback\", \"done_at\"],\n"
	       "                \"lead\": [\"status\"], \"lead_status\": [\"in-progress\", \"monitoring\"]},\n"
	       "    \"hub\": {\"create\": [\"meeting\"], \"assigned\": [], \"lead\": [], \"lead_status\": []},\n"
	       "    \"auditor\": {\"create\": [\"meeting\"], \"assigned\": [], \"lead\": [], \"lead_status\": []}\n"
	       "  }\n"
	       "}\n";
}

void vios_covenant_dispose(vios_covenant *c)
{
	if (c == NULL)
		return;
	free(c->text);
	free(c->fields);
	json_decref(c->tables);
	json_decref(c->doc);
	memset(c, 0, sizeof(*c));
}

const vios_covenant_field *vios_covenant_field_find(const vios_covenant *c, const char *tbl, const char *col)
{
	assert(c != NULL);
	if (tbl == NULL || col == NULL)
		return NULL;
	for (size_t i = 0; i < c->nfields; i++)
		if (!strcmp(c->fields[i].tbl, tbl) && !strcmp(c->fields[i].col, col))
			return &c->fields[i];
	return NULL;
}

/* ---- the reader -------------------------------------------------------------- */

static int bad_cov(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_cov(const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	assert(fmt != NULL);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vios_error_set(VIOS_ERR_INPUT, "covenant: %s", msg);
	return VIOS_ERROR;
}

/* A JSON value as a short word for a message. */
static const char *word(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "(not a string)";
}

static int roles_bits(unsigned *bits, json_t *arr, const char *what)
{
	size_t i;
	json_t *v;

	assert(bits != NULL && what != NULL);
	*bits = 0;
	if (!json_is_array(arr))
		return bad_cov("\"%s\" must be a list of roles", what);
	json_array_foreach(arr, i, v) {
		int r = vios_role_index(json_string_value(v));
		if (r < 0)
			return bad_cov("unknown role in \"%s\"", what);
		assert(r < (int)(8 * sizeof(*bits)));
		*bits |= 1u << r;
	}
	return 0;
}

/* 1 when v is text with something besides white space in it. */
static int is_text(json_t *v)
{
	const char *s = json_string_value(v);

	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 1;
	return 0;
}

/* o's member key: absent (and not required) or non-empty text. what names it. */
static int text_member(json_t *o, const char *key, int required, const char *what)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL && !required)
		return 0;
	if (v == NULL)
		return bad_cov("a vios-covenant-3 states \"%s\"", what);
	if (!is_text(v))
		return bad_cov("\"%s\" must be non-empty text", what);
	return 0;
}

/* -1 and -2: "parties" a list of roles, "receives" and "retention_months" by category. */
static int parse_v12(vios_covenant *c, json_t *o, unsigned *parties)
{
	json_t *rec, *ret;
	int error;

	if ((error = roles_bits(parties, json_object_get(o, "parties"), "parties")) < 0)
		return error;
	rec = json_object_get(o, "receives");
	if (!json_is_object(rec) || json_object_size(rec) != 2)
		return bad_cov("\"receives\" must name exactly the categories theme and case");
	if ((error = roles_bits(&c->receives[0], json_object_get(rec, "theme"), "receives.theme")) < 0 ||
	    (error = roles_bits(&c->receives[1], json_object_get(rec, "case"), "receives.case")) < 0)
		return error;
	for (int cat = 0; cat < 2; cat++)
		if (!(c->receives[cat] & (1u << VIOS_ROLE_IDX_AUDITOR)))
			return bad_cov("the auditor must receive every category (%s)", cat_names[cat]);
	ret = json_object_get(o, "retention_months");
	for (int cat = 0; cat < 2; cat++) {
		json_t *m = json_object_get(ret, cat_names[cat]);
		if (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > 1200)
			return bad_cov("\"retention_months\" needs theme and case as months (1 to 1200)");
		c->retention_months[cat] = json_integer_value(m);
	}
	c->auditor_scope = VIOS_AUDITOR_CONTENT; /* the auditor receives every category */
	return 0;
}

/* -3 "parties": objects {role, legal_basis, nodes?}, each role once, the school among them. */
static int parties_v3(unsigned *bits, json_t *arr)
{
	static const char *const known[] = { "role", "legal_basis", "nodes", NULL };
	json_t *p, *seen = NULL;
	const char *key;
	size_t i;
	int error = VIOS_ERROR;

	*bits = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return bad_cov("\"parties\" must be a list of {\"role\", \"legal_basis\", \"nodes\"} objects");
	if ((seen = json_object()) == NULL)
		return vios_error_nomem();
	json_array_foreach(arr, i, p) {
		json_t *nodes, *n;
		size_t k;
		int r;
		if (!json_is_object(p)) {
			error = bad_cov("parties[%zu] must be an object with \"role\" and \"legal_basis\"", i);
			goto done;
		}
		if ((key = vios_json_unknown_key(p, known)) != NULL) {
			error = bad_cov("parties[%zu]: unknown field \"%s\"", i, key);
			goto done;
		}
		if ((r = vios_role_index(json_string_value(json_object_get(p, "role")))) < 0) {
			error = bad_cov("parties[%zu]: unknown role '%s'", i, word(json_object_get(p, "role")));
			goto done;
		}
		if (*bits & (1u << r)) {
			error = bad_cov("the party %s is listed twice", vios_role_name(r));
			goto done;
		}
		*bits |= 1u << r;
		if (!is_text(json_object_get(p, "legal_basis"))) {
			error = bad_cov("the party %s states no \"legal_basis\" (non-empty text)", vios_role_name(r));
			goto done;
		}
		if ((nodes = json_object_get(p, "nodes")) == NULL)
			continue;
		if (!json_is_array(nodes)) {
			error = bad_cov("the party %s: \"nodes\" must be a list of node ids", vios_role_name(r));
			goto done;
		}
		json_array_foreach(nodes, k, n) {
			if (!vios_uuid_valid(json_string_value(n) ?: "")) {
				error = bad_cov("the party %s: '%s' is not a node id", vios_role_name(r), word(n));
				goto done;
			}
			if (json_object_get(seen, json_string_value(n))) {
				error = bad_cov("node %s is listed twice among the parties", json_string_value(n));
				goto done;
			}
			if (json_object_set_new(seen, json_string_value(n), json_true()) < 0) {
				error = vios_error_nomem();
				goto done;
			}
		}
	}
	if (!(*bits & (1u << VIOS_ROLE_IDX_SCHOOL))) {
		error = bad_cov("the school must be a party");
		goto done;
	}
	error = 0;
done:
	json_decref(seen);
	return error;
}

/* -3 "categories": exactly theme and case, each {description?, receives, retention_months}. */
static int categories_v3(vios_covenant *c, json_t *cats)
{
	static const char *const known[] = { "description", "receives", "retention_months", NULL };
	int error;

	if (!json_is_object(cats) || json_object_size(cats) != 2 || !json_object_get(cats, "theme") ||
	    !json_object_get(cats, "case"))
		return bad_cov("\"categories\" must name exactly theme and case");
	for (int cat = 0; cat < 2; cat++) {
		json_t *k = json_object_get(cats, cat_names[cat]), *m;
		const char *key;
		char what[48];
		if (!json_is_object(k))
			return bad_cov("categories.%s must be an object with \"receives\" and \"retention_months\"",
				       cat_names[cat]);
		if ((key = vios_json_unknown_key(k, known)) != NULL)
			return bad_cov("categories.%s: unknown field \"%s\"", cat_names[cat], key);
		snprintf(what, sizeof(what), "categories.%s.description", cat_names[cat]);
		if ((error = text_member(k, "description", 0, what)) < 0)
			return error;
		snprintf(what, sizeof(what), "categories.%s.receives", cat_names[cat]);
		if ((error = roles_bits(&c->receives[cat], json_object_get(k, "receives"), what)) < 0)
			return error;
		if (c->receives[cat] & (1u << VIOS_ROLE_IDX_AUDITOR))
			return bad_cov("categories.%s.receives lists the auditor: in a vios-covenant-3 what the auditor "
				       "receives is \"auditor_scope\"", cat_names[cat]);
		m = json_object_get(k, "retention_months");
		if (!json_is_integer(m) || json_integer_value(m) < 1 || json_integer_value(m) > 1200)
			return bad_cov("categories.%s.retention_months must be months (1 to 1200)", cat_names[cat]);
		c->retention_months[cat] = json_integer_value(m);
	}
	return 0;
}

/* "table.column" of a marked field into f, or -1. */
static int field_name(vios_covenant_field *f, const char *key)
{
	const char *dot = strchr(key, '.'), *col;
	size_t tl, cl;
	int known = 0;

	if (dot == NULL)
		return -1;
	tl = (size_t)(dot - key);
	col = dot + 1;
	for (const char *const *t = field_tables; *t; t++)
		known |= strlen(*t) == tl && !strncmp(*t, key, tl);
	cl = strspn(col, "abcdefghijklmnopqrstuvwxyz_");
	if (!known || cl < 1 || cl > 31 || col[cl] != '\0')
		return -1;
	assert(tl < sizeof(f->tbl) && cl < sizeof(f->col));
	memcpy(f->tbl, key, tl);
	f->tbl[tl] = '\0';
	memcpy(f->col, col, cl + 1);
	return 0;
}

/* -3 "fields" (optional): "table.column": {marking, description?, receives} into c->fields. */
static int fields_v3(vios_covenant *c, json_t *fields)
{
	static const char *const known[] = { "marking", "description", "receives", NULL };
	const char *name;
	json_t *f;
	int error;

	if (fields == NULL)
		return 0;
	if (!json_is_object(fields))
		return bad_cov("\"fields\" must map \"table.column\" to its marking");
	if (json_object_size(fields) > COVENANT_MAX_FIELDS)
		return bad_cov("\"fields\" marks %zu fields, at most %d", json_object_size(fields), COVENANT_MAX_FIELDS);
	if ((c->fields = calloc(json_object_size(fields) + 1, sizeof(*c->fields))) == NULL)
		return vios_error_nomem();
	json_object_foreach(fields, name, f) {
		vios_covenant_field *out = &c->fields[c->nfields];
		const char *key, *marking;
		char what[96];
		if (field_name(out, name) < 0)
			return bad_cov("fields: '%.60s' is not table.column (table pupil, signal, meeting, case_file or "
				       "agreement; column [a-z_], 1 to 31)", name);
		if (!json_is_object(f))
			return bad_cov("fields.%s must be an object with \"marking\" and \"receives\"", name);
		if ((key = vios_json_unknown_key(f, known)) != NULL)
			return bad_cov("fields.%s: unknown field \"%s\"", name, key);
		marking = json_string_value(json_object_get(f, "marking")) ?: "";
		if (!strcmp(marking, "art9"))
			out->marking = VIOS_MARK_ART9;
		else if (!strcmp(marking, "art10"))
			out->marking = VIOS_MARK_ART10;
		else
			return bad_cov("fields.%s.marking must be \"art9\" (special-category data) or \"art10\" "
				       "(criminal data)", name);
		snprintf(what, sizeof(what), "fields.%s.description", name);
		if ((error = text_member(f, "description", 0, what)) < 0)
			return error;
		snprintf(what, sizeof(what), "fields.%s.receives", name);
		if ((error = roles_bits(&out->receives, json_object_get(f, "receives"), what)) < 0)
			return error;
		if (out->receives == 0)
			return bad_cov("fields.%s.receives must list at least one partner role", name);
		for (int r = 0; r < VIOS_ROLE_COUNT; r++) {
			if (!(out->receives & (1u << r)))
				continue;
			if (!vios_role_fits_kind(vios_role_name(r), "partner"))
				return bad_cov("fields.%s.receives lists %s: only partner roles receive a marked field "
					       "(the school that owns a case always has it)", name, vios_role_name(r));
			if (!(c->receives[1] & (1u << r)))
				return bad_cov("fields.%s.receives lists %s, which does not receive case data "
					       "(categories.case.receives)", name, vios_role_name(r));
		}
		c->nfields++;
	}
	return 0;
}

/* A label of a local theme: text of 1 to VIOS_THEME_LABEL_MAX bytes, no
 * control character (jansson gives only valid UTF-8). */
static int theme_label(char *out, json_t *v, size_t i, const char *key)
{
	const char *s = json_string_value(v);
	size_t n = s ? strlen(s) : 0;

	if (!is_text(v) || n > VIOS_THEME_LABEL_MAX)
		return bad_cov("themes[%zu].%s must be text of 1 to %d bytes", i, key, VIOS_THEME_LABEL_MAX);
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			return bad_cov("themes[%zu].%s holds a control character", i, key);
	memcpy(out, s, n + 1);
	return 0;
}

/* -4 "themes" (optional): [{name, nl, en?}...] into c->themes. */
static int themes_v4(vios_covenant *c, json_t *arr)
{
	static const char *const known[] = { "name", "nl", "en", NULL };
	json_t *t;
	size_t i;
	int error;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return bad_cov("\"themes\" must be a list of {\"name\", \"nl\", \"en\"} objects");
	if (json_array_size(arr) > VIOS_THEME_LOCAL_MAX)
		return bad_cov("\"themes\" adds %zu themes, at most %d", json_array_size(arr), VIOS_THEME_LOCAL_MAX);
	json_array_foreach(arr, i, t) {
		vios_theme_local *out = &c->themes.local[c->themes.n];
		const char *key, *name;
		if (!json_is_object(t))
			return bad_cov("themes[%zu] must be an object with \"name\" and \"nl\"", i);
		if ((key = vios_json_unknown_key(t, known)) != NULL)
			return bad_cov("themes[%zu]: unknown field \"%s\"", i, key);
		name = json_string_value(json_object_get(t, "name"));
		if (!vios_theme_word_valid(name))
			return bad_cov("themes[%zu].name must be a theme word (a-z, 0-9 and '-', 1 to %d, starting with "
				       "a letter)", i, VIOS_THEME_NAME_MAX);
		if (vios_theme_valid(name))
			return bad_cov("themes[%zu]: '%s' is a base theme already", i, name);
		if (vios_theme_local_find(&c->themes, name))
			return bad_cov("themes[%zu]: the theme '%s' is listed twice", i, name);
		if (json_object_get(t, "nl") == NULL)
			return bad_cov("themes[%zu] ('%s') states no Dutch label \"nl\"", i, name);
		if ((error = theme_label(out->nl, json_object_get(t, "nl"), i, "nl")) < 0)
			return error;
		if (json_object_get(t, "en") && (error = theme_label(out->en, json_object_get(t, "en"), i, "en")) < 0)
			return error;
		memcpy(out->name, name, strlen(name) + 1);
		c->themes.n++;
	}
	return 0;
}

/* -3: purpose, the FG, parties, categories, fields, the auditor's scope. */
static int parse_v3(vios_covenant *c, json_t *o, unsigned *parties)
{
	const char *scope;
	int error;

	if ((error = text_member(o, "title", 0, "title")) < 0 || (error = text_member(o, "purpose", 1, "purpose")) < 0 ||
	    (error = text_member(o, "fg_contact", 1, "fg_contact")) < 0 ||
	    (error = parties_v3(parties, json_object_get(o, "parties"))) < 0 ||
	    (error = categories_v3(c, json_object_get(o, "categories"))) < 0 ||
	    (error = fields_v3(c, json_object_get(o, "fields"))) < 0)
		return error;
	if (json_object_get(o, "auditor_scope") == NULL)
		return bad_cov("a vios-covenant-3 states \"auditor_scope\": \"headers\", \"theme\" or \"content\"");
	scope = json_string_value(json_object_get(o, "auditor_scope")) ?: "";
	if (!strcmp(scope, "headers"))
		c->auditor_scope = VIOS_AUDITOR_HEADERS;
	else if (!strcmp(scope, "theme"))
		c->auditor_scope = VIOS_AUDITOR_THEME;
	else if (!strcmp(scope, "content"))
		c->auditor_scope = VIOS_AUDITOR_CONTENT;
	else
		return bad_cov("\"auditor_scope\" must be \"headers\", \"theme\" or \"content\"");
	return 0;
}

/* What every format shares: case_scope, hub_role, tables. */
static int parse_common(vios_covenant *c, json_t *o)
{
	json_t *v = json_object_get(o, "case_scope");

	if (v && strcmp(json_string_value(v) ?: "", "roles-in-case") != 0)
		return bad_cov("\"case_scope\" must be \"roles-in-case\"");
	v = json_object_get(o, "hub_role");
	if (v && !json_is_null(v)) {
		int r = vios_role_index(json_string_value(v));
		if (r < 1 || r > 6)
			return bad_cov("\"hub_role\" must be null or a partner role");
		snprintf(c->hub_role, sizeof(c->hub_role), "%s", json_string_value(v));
	}
	v = json_object_get(o, "tables");
	if (v) {
		const char *school;
		json_t *list;
		if (!json_is_object(v))
			return bad_cov("\"tables\" must map a school node id to its partner node ids");
		json_object_foreach(v, school, list) {
			size_t i;
			json_t *p;
			if (!vios_uuid_valid(school) || !json_is_array(list))
				return bad_cov("\"tables\" must map a school node id to its partner node ids");
			json_array_foreach(list, i, p)
				if (!vios_uuid_valid(json_string_value(p) ?: ""))
					return bad_cov("\"tables\": '%s' is not a node id", word(p));
		}
		c->tables = json_incref(v);
	}
	return 0;
}

int vios_covenant_parse(vios_covenant *c, const char *text, size_t len)
{
	static const char *const known12[] = { "format", "version", "title", "parties", "receives", "case_scope",
					       "hub_role", "retention_months", "tables", "mandate", NULL };
	static const char *const known3[] = { "format", "version", "title", "purpose", "fg_contact", "parties",
					      "categories", "fields", "case_scope", "hub_role", "auditor_scope",
					      "tables", "mandate", NULL };
	static const char *const known4[] = { "format", "version", "title", "purpose", "fg_contact", "parties",
					      "categories", "fields", "case_scope", "hub_role", "auditor_scope",
					      "tables", "mandate", "themes", NULL };
	static const char *const formats[] = { "vios-covenant-1", "vios-covenant-2", "vios-covenant-3",
					       "vios-covenant-4" };
	json_t *o = NULL, *v;
	json_error_t jerr;
	const char *key, *format;
	unsigned parties = 0;
	int error = VIOS_ERROR, v3, fmt = 0;

	assert(c != NULL && (text != NULL || len == 0));
	memset(c, 0, sizeof(*c));
	if (len > COVENANT_MAX_LEN) {
		vios_error_set(VIOS_ERR_INPUT, "covenant: larger than 64 KiB");
		return VIOS_ERROR;
	}
	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(o)) {
		vios_error_set(VIOS_ERR_INPUT, "covenant: not a JSON object (line %d: %s)", jerr.line, jerr.text);
		goto done;
	}
	format = json_string_value(json_object_get(o, "format")) ?: "";
	for (int f = 0; f < 4; f++)
		if (!strcmp(format, formats[f]))
			fmt = f + 1;
	if (fmt == 0) {
		error = bad_cov("\"format\" must be \"vios-covenant-1\", \"vios-covenant-2\", \"vios-covenant-3\" or "
				"\"vios-covenant-4\"");
		goto done;
	}
	c->format = fmt;
	v3 = fmt >= 3; /* a -4 is a -3 that may add themes */
	if (fmt < 4 && json_object_get(o, "themes")) {
		error = bad_cov("\"themes\" needs \"format\": \"vios-covenant-4\"");
		goto done;
	}
	if ((key = vios_json_unknown_key(o, fmt == 4 ? known4 : v3 ? known3 : known12)) != NULL) {
		if (v3 && (!strcmp(key, "receives") || !strcmp(key, "retention_months")))
			error = bad_cov("unknown field \"%s\" (a %s states it per category, under \"categories\")", key, format);
		else
			error = bad_cov("unknown field \"%s\"", key);
		goto done;
	}
	/* -1: the mandate's defaults; -2 and -3: the mandate spelled out, signed with the rest */
	if (!strcmp(format, "vios-covenant-1")) {
		if (json_object_get(o, "mandate")) {
			error = bad_cov("\"mandate\" needs \"format\": \"vios-covenant-2\" or later");
			goto done;
		}
	} else if (json_object_get(o, "mandate") == NULL) {
		error = bad_cov("a %s states its \"mandate\"", format);
		goto done;
	}
	if ((error = vios_mandate_parse(&c->mandate, json_object_get(o, "mandate"))) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		error = bad_cov("%s", why);
		goto done;
	}
	v = json_object_get(o, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		error = bad_cov("\"version\" must be a whole number from 1");
		goto done;
	}
	c->version = json_integer_value(v);
	if ((error = v3 ? parse_v3(c, o, &parties) : parse_v12(c, o, &parties)) < 0 ||
	    (error = themes_v4(c, json_object_get(o, "themes"))) < 0)
		goto done;
	error = VIOS_ERROR;
	/* a role at the table that receives data must be a party (the school owns what it sends) */
	for (int cat = 0; cat < 2; cat++)
		for (int r = 0; r < VIOS_ROLE_TABLE_COUNT; r++)
			if (r != VIOS_ROLE_IDX_SCHOOL && (c->receives[cat] & (1u << r)) && !(parties & (1u << r))) {
				error = bad_cov("role %s receives data but is not a party", vios_role_name(r));
				goto done;
			}
	if (c->receives[1] & (1u << VIOS_ROLE_IDX_HUB)) {
		error = bad_cov("the hub never receives case data by its own role; give it one with \"hub_role\"");
		goto done;
	}
	if ((error = parse_common(c, o)) < 0)
		goto done;
	if ((c->text = malloc(len + 1)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(c->text, text, len);
	c->text[len] = 0;
	c->doc = json_incref(o);
	error = 0;
done:
	json_decref(o);
	if (error < 0)
		vios_covenant_dispose(c);
	return error;
}

/* ---- rendering for people ------------------------------------------------------ */

typedef struct {
	FILE *f;
	int md;              /* markdown, else plain text */
	const char *heads[5]; /* the open table's column names (text lays rows out under them) */
	int ncol;
} page;

/* s as text: control characters shown as '?'; in a table cell (cell 1) a
 * line break is a space and markdown's '|' is escaped. */
static void put(page *p, const char *s, int cell)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\n' || ch == '\r')
			fputc(cell ? ' ' : '\n', p->f);
		else if (ch < 0x20 || ch == 0x7f)
			fputc('?', p->f);
		else if (cell && p->md && ch == '|')
			fputs("\\|", p->f);
		else
			fputc(ch, p->f);
	}
}

static void putf(page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fmt's text through put (the arguments are covenant text, sanitised too). */
static void putf(page *p, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n >= 0)
		put(p, s, 0);
	else
		fputs("?", p->f); /* no memory: the stream's own error ends the render */
	free(s);
}

/* A heading: markdown's #, ## or ###; text underlines the first two levels. */
static void heading(page *p, int level, const char *s)
{
	size_t chars = 0;

	if (p->md) {
		fprintf(p->f, "%.*s ", level, "###");
		put(p, s, 1);
		fputs("\n\n", p->f);
		return;
	}
	put(p, s, 1);
	fputc('\n', p->f);
	for (const char *q = s; *q; q++)
		chars += ((unsigned char)*q & 0xc0) != 0x80; /* UTF-8: count characters, not bytes */
	if (level < 3)
		for (size_t i = 0; i < chars; i++)
			fputc(level == 1 ? '=' : '-', p->f);
	fputs(level < 3 ? "\n\n" : "\n", p->f);
}

/* A table of n columns: markdown pipes; in text each row a line with the
 * first cell and the others under it, named. */
static void table_begin(page *p, int n, ...)
{
	va_list ap;

	assert(n > 0 && n <= 5);
	p->ncol = n;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		p->heads[i] = va_arg(ap, const char *);
	va_end(ap);
	if (!p->md)
		return;
	for (int i = 0; i < n; i++)
		fprintf(p->f, "| %s ", p->heads[i]);
	fputs("|\n", p->f);
	for (int i = 0; i < n; i++)
		fputs("|---", p->f);
	fputs("|\n", p->f);
}

static void table_row(page *p, const char *const *cells)
{
	for (int i = 0; i < p->ncol; i++) {
		const char *s = cells[i] && *cells[i] ? cells[i] : "-";
		if (p->md) {
			fputs("| ", p->f);
			put(p, s, 1);
			fputc(' ', p->f);
		} else if (i == 0) {
			put(p, s, 1);
			fputc('\n', p->f);
		} else {
			fprintf(p->f, "    %s: ", p->heads[i]);
			put(p, s, 1);
			fputc('\n', p->f);
		}
	}
	fputs(p->md ? "|\n" : "", p->f);
}

static void table_end(page *p)
{
	fputc('\n', p->f);
	p->ncol = 0;
}

/* The roles of bits as "a, b, c" into buf ("nobody" for none). */
static void roles_text(char *buf, size_t len, unsigned bits)
{
	size_t used = 0;

	assert(len > 0);
	buf[0] = '\0';
	for (int r = 0; r < VIOS_ROLE_COUNT; r++)
		if (bits & (1u << r)) {
			int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", vios_role_name(r));
			if (n < 0 || (size_t)n >= len - used)
				break; /* every role name fits the callers' buffers: not reached */
			used += (size_t)n;
		}
	if (!used)
		snprintf(buf, len, "nobody");
}

/* A JSON list of strings as "a, b, c" into buf ("" for none). */
static void list_text(char *buf, size_t len, json_t *arr)
{
	size_t used = 0, i;
	json_t *v;

	assert(len > 0);
	buf[0] = '\0';
	json_array_foreach(arr, i, v) {
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", word(v));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static const vios_reg_node *node_find(const vios_reg_node *nodes, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(nodes[i].node_id, id))
			return &nodes[i];
	return NULL;
}

/* One node as a list item: name, fingerprint, node id, revoked. */
static void node_item(page *p, const vios_reg_node *n, int depth)
{
	uint8_t fp[VIOS_FINGERPRINT_BYTES];
	char fps[VIOS_FINGERPRINT_STRLEN + 1];

	vios_fingerprint_from_pk(fp, n->sign_pub.pk);
	vios_fingerprint_format(fps, fp);
	putf(p, "%*s- %s, fingerprint %s, node %s", 2 * depth, "", n->name, fps, n->node_id);
	if (n->revoked_at[0])
		putf(p, " (revoked %s: signs for no one)", n->revoked_at);
	fputc('\n', p->f);
}

/* The nodes of one role (or those listed, when listed is an array). */
static size_t nodes_count(const char *role, json_t *listed, const vios_reg_node *nodes, size_t nnodes)
{
	size_t shown = 0;

	if (json_is_array(listed))
		return json_array_size(listed);
	for (size_t i = 0; i < nnodes; i++)
		shown += !strcmp(nodes[i].role, role);
	return shown;
}

/* "LABEL: none" or "LABEL:" and the nodes of role (or listed) as list items. */
static void nodes_items(page *p, const char *label, const char *role, json_t *listed, const vios_reg_node *nodes,
			size_t nnodes, int depth)
{
	size_t i;
	json_t *v;

	if (nodes_count(role, listed, nodes, nnodes) == 0) {
		putf(p, "%s: none\n", label);
		return;
	}
	putf(p, "%s:\n", label);
	if (json_is_array(listed)) {
		json_array_foreach(listed, i, v) {
			const vios_reg_node *n = node_find(nodes, nnodes, json_string_value(v));
			if (n)
				node_item(p, n, depth);
			else
				putf(p, "%*s- node %s (named in the covenant, not enrolled)\n", 2 * depth, "", word(v));
		}
		return;
	}
	for (i = 0; i < nnodes; i++)
		if (!strcmp(nodes[i].role, role))
			node_item(p, &nodes[i], depth);
}

static const char *not_stated(const vios_covenant *c)
{
	return strcmp(json_string_value(json_object_get(c->doc, "format")) ?: "", "vios-covenant-1") == 0
		       ? "(not stated: a vios-covenant-1)"
		       : "(not stated: a vios-covenant-2)";
}

static void render_parties(page *p, const vios_covenant *c, int v3, const vios_reg_node *nodes, size_t nnodes)
{
	json_t *parties = json_object_get(c->doc, "parties"), *party;
	size_t i;

	heading(p, 2, "Parties");
	json_array_foreach(parties, i, party) {
		const char *role = v3 ? json_string_value(json_object_get(party, "role")) : json_string_value(party);
		heading(p, 3, role ? role : "?");
		if (v3)
			putf(p, "- Legal basis: %s\n", json_string_value(json_object_get(party, "legal_basis")));
		else
			putf(p, "- Legal basis: %s\n", not_stated(c));
		if (nodes != NULL) {
			json_t *listed = v3 ? json_object_get(party, "nodes") : NULL;
			nodes_items(p, listed ? "- Its nodes (named in the covenant)" : "- Enrolled nodes", role ? role : "",
				    listed, nodes, nnodes, 1);
		}
		fputc('\n', p->f);
	}
}

static void render_categories(page *p, const vios_covenant *c, int v3)
{
	json_t *cats = json_object_get(c->doc, "categories");

	heading(p, 2, "Data categories");
	table_begin(p, 4, "Category", "What it holds", "Received by", "Kept");
	for (int cat = 0; cat < 2; cat++) {
		char who[256], kept[48];
		const char *desc = json_string_value(json_object_get(json_object_get(cats, cat_names[cat]), "description"));
		const char *row[4] = { cat_names[cat], desc, who, kept };
		if (!v3)
			row[1] = cat ? "a pupil's case and what belongs to it" : "phenomena, never about a person";
		roles_text(who, sizeof(who), c->receives[cat]);
		if (cat == 1) {
			size_t l = strlen(who);
			snprintf(who + l, sizeof(who) - l, " (only the roles taking part in the case)");
		}
		snprintf(kept, sizeof(kept), "%lld months", c->retention_months[cat]);
		table_row(p, row);
	}
	table_end(p);
	putf(p, "The school that sends data always keeps it; the school that owns a case always takes part in it.\n\n");
}

static void render_fields(page *p, const vios_covenant *c, int v3)
{
	json_t *fields = json_object_get(c->doc, "fields");

	heading(p, 2, "Marked fields");
	if (!v3) {
		putf(p, "None: a %s marks no fields.\n\n", json_string_value(json_object_get(c->doc, "format")));
		return;
	}
	if (c->nfields == 0) {
		putf(p, "This covenant marks no fields.\n\n");
		return;
	}
	putf(p, "A marked field travels only to the roles listed for it, never to the other roles that take part "
		"in a case.\n\n");
	table_begin(p, 4, "Field", "Marking", "Received by", "What it holds");
	for (size_t i = 0; i < c->nfields; i++) {
		char name[64], who[256];
		const char *row[4] = { name, c->fields[i].marking == VIOS_MARK_ART9
						      ? "GDPR art. 9: special-category data"
						      : "GDPR art. 10: criminal data", who, NULL };
		snprintf(name, sizeof(name), "%s.%s", c->fields[i].tbl, c->fields[i].col);
		roles_text(who, sizeof(who), c->fields[i].receives);
		row[3] = json_string_value(json_object_get(json_object_get(fields, name), "description"));
		table_row(p, row);
	}
	table_end(p);
}

/* The base themes and the covenant's local ones, each with its Dutch label
 * (vios_theme_label, the one lookup the hub's report uses too). */
static void render_themes(page *p, const vios_covenant *c)
{
	heading(p, 2, "Themes");
	putf(p, "Signals, trends and the monthly counts name one of these themes. The base themes are vios's; %s\n\n",
	     c->themes.n ? "this covenant adds the local themes marked below." : "this covenant adds no local themes.");
	table_begin(p, 4, "Theme", "Dutch label", "English label", "Where from");
	for (int i = 0; i < VIOS_THEME_COUNT; i++) {
		const char *row[4] = { vios_theme_name(i), vios_theme_label(&c->themes, vios_theme_name(i)), NULL, "base" };
		table_row(p, row);
	}
	for (size_t i = 0; i < c->themes.n; i++) {
		const vios_theme_local *t = &c->themes.local[i];
		const char *row[4] = { t->name, vios_theme_label(&c->themes, t->name), t->en, "local (this covenant)" };
		table_row(p, row);
	}
	table_end(p);
}

static void render_mandate(page *p, const vios_covenant *c)
{
	json_t *m = vios_mandate_json(&c->mandate), *rule;
	const char *who;

	heading(p, 2, "Who may write what");
	if (m == NULL) {
		fputs("?\n", p->f); /* no memory: the caller's check of the stream reports it */
		return;
	}
	if (json_object_get(c->doc, "mandate") == NULL)
		putf(p, "The defaults (a vios-covenant-1 states no mandate).\n\n");
	putf(p, "Every node changes and deletes only the records it made. A partner changes another's record only "
		"where an agreement assigned to its role or a case it leads lets it.\n\n");
	table_begin(p, 5, "Writer", "Creates", "Assigned an agreement, may change", "Leading a case, may change",
		    "Statuses a lead may set");
	json_object_foreach(m, who, rule) {
		char label[64], cells[4][256];
		const char *row[5] = { label, cells[0], cells[1], cells[2], cells[3] };
		static const char *const parts[4] = { "create", "assigned", "lead", "lead_status" };
		if (!strcmp(who, "partner"))
			snprintf(label, sizeof(label), "partner (%s)", c->mandate.role_set ? "the roles not named below"
											: "every partner role");
		else if (vios_kind_index(who) >= 0)
			snprintf(label, sizeof(label), "%s", who);
		else
			snprintf(label, sizeof(label), "partner %s", who);
		for (int k = 0; k < 4; k++)
			list_text(cells[k], sizeof(cells[k]), json_object_get(rule, parts[k]));
		table_row(p, row);
	}
	table_end(p);
	json_decref(m);
}

static void render_auditor(page *p, const vios_covenant *c, const vios_reg_node *nodes, size_t nnodes)
{
	static const char *const scope[3] = {
		"The auditor receives the signed header of every bundle (who sent how much to whom, when, under "
		"which covenant version) and no content: nothing is encrypted to it.",
		"The auditor receives the theme data (phenomena, never about a person) and the signed header of "
		"every bundle, but no case data.",
		"The auditor receives the content of every bundle, theme and case data, so that it can replay the "
		"history (vios audit replay).",
	};

	heading(p, 2, "The auditor");
	assert(c->auditor_scope <= VIOS_AUDITOR_CONTENT);
	putf(p, "%s (auditor_scope: %s)\n\n", scope[c->auditor_scope],
	     c->auditor_scope == VIOS_AUDITOR_HEADERS ? "headers" : c->auditor_scope == VIOS_AUDITOR_THEME ? "theme" : "content");
	if (nodes != NULL) {
		nodes_items(p, "Enrolled auditor nodes", "auditor", NULL, nodes, nnodes, 0);
		fputc('\n', p->f);
	}
}

static void render_hub(page *p, const vios_covenant *c, const vios_reg_node *nodes, size_t nnodes)
{
	const char *school;
	json_t *list;

	heading(p, 2, "The hub");
	putf(p, "The hub passes the bundles on%s", c->receives[0] & (1u << VIOS_ROLE_IDX_HUB)
		? " and receives theme data (for its report of signal counts)" : "; it receives no theme data");
	if (c->hub_role[0])
		putf(p, ". For case data it plays the role %s: it receives a case's data when that role takes part "
			"in the case (hub_role: %s).\n\n", c->hub_role, c->hub_role);
	else
		putf(p, ". It takes part in no case and receives no case data (hub_role: none).\n\n");
	if (nodes != NULL) {
		nodes_items(p, "The hub node", "hub", NULL, nodes, nnodes, 0);
		fputc('\n', p->f);
	}
	if (c->tables == NULL)
		return;
	putf(p, "Tables: each school shares with the partner nodes listed for it only.\n\n");
	json_object_foreach(c->tables, school, list) {
		const vios_reg_node *n = node_find(nodes, nnodes, school);
		size_t i;
		json_t *v;
		putf(p, "- school %s:", n ? n->name : school);
		json_array_foreach(list, i, v) {
			const vios_reg_node *q = node_find(nodes, nnodes, json_string_value(v));
			putf(p, "%s %s", i ? "," : "", q ? q->name : word(v));
		}
		fputc('\n', p->f);
	}
	fputc('\n', p->f);
}

static void render_page(page *p, const vios_covenant *c, const vios_reg_node *nodes, size_t nnodes)
{
	const char *format = json_string_value(json_object_get(c->doc, "format")) ?: "?";
	const char *title = json_string_value(json_object_get(c->doc, "title"));
	int v3 = c->format >= 3;
	json_t *party;
	size_t i;

	heading(p, 1, title && *title ? title : "VIOS covenant");
	putf(p, "Covenant version %lld (format %s), as signed by the hub.\n\n", c->version, format);
	heading(p, 2, "Purpose");
	putf(p, "%s\n\n", v3 ? json_string_value(json_object_get(c->doc, "purpose")) : not_stated(c));
	heading(p, 2, "The privacy officer (FG)");
	putf(p, "%s\n\n", v3 ? json_string_value(json_object_get(c->doc, "fg_contact")) : not_stated(c));
	render_parties(p, c, v3, nodes, nnodes);
	render_categories(p, c, v3);
	render_fields(p, c, v3);
	render_themes(p, c);
	render_mandate(p, c);
	render_auditor(p, c, nodes, nnodes);
	render_hub(p, c, nodes, nnodes);
	heading(p, 2, "Signatures");
	json_array_foreach(json_object_get(c->doc, "parties"), i, party) {
		const char *role = v3 ? json_string_value(json_object_get(party, "role")) : json_string_value(party);
		putf(p, "For %s: name ____________________  signature ____________________  date ____________\n\n",
		     role ? role : "?");
	}
}

int vios_covenant_render(char **out, const vios_covenant *c, const char *format, const vios_reg_node *nodes,
			 size_t nnodes)
{
	page p = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int error = 0;

	assert(out != NULL && c != NULL && format != NULL && (nodes != NULL || nnodes == 0));
	*out = NULL;
	if (c->doc == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "covenant: not parsed (no document to render)");
		return VIOS_ERROR;
	}
	if (!strcmp(format, "json")) {
		char *s = json_dumps(c->doc, JSON_INDENT(2));
		if (s == NULL || asprintf(out, "%s\n", s) < 0) {
			*out = NULL;
			error = vios_error_nomem();
		}
		free(s);
		return error;
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "markdown") != 0) {
		vios_error_set(VIOS_ERR_INPUT, "covenant: no format '%s' (text, markdown or json)", format);
		return VIOS_EUSAGE;
	}
	if ((p.f = open_memstream(&buf, &len)) == NULL)
		return vios_error_nomem();
	p.md = !strcmp(format, "markdown");
	render_page(&p, c, nodes, nnodes);
	if (ferror(p.f))
		error = vios_error_nomem();
	if (fclose(p.f) != 0 && error == 0)
		error = vios_error_nomem();
	if (error < 0)
		free(buf);
	else
		*out = buf;
	return error;
}
