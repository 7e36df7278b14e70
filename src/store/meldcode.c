/*
 * meldcode.c - see meldcode.h: the vios-meldcode-1 column and the rule
 * that escalation to Veilig Thuis follows step 5's decision to report.
 */
#include "store/meldcode.h"
#include "store/records.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *en, *nl;
} steps[VIOS_MELDCODE_STEPS] = {
	{ "map the signals", "signalen in kaart brengen" },
	{ "consult a colleague and if needed Veilig Thuis", "collegiale consultatie en zo nodig Veilig Thuis raadplegen" },
	{ "talk with the pupil and the parents", "gesprek met de leerling en de ouders" },
	{ "weigh with the assessment framework", "wegen aan de hand van het afwegingskader" },
	{ "decide: report to Veilig Thuis and/or organise help", "beslissen: melden bij Veilig Thuis en/of hulp organiseren" },
};

static const struct {
	const char *word;
	int report, help;
} outcomes[] = {
	{ "report", 1, 0 },
	{ "help", 0, 1 },
	{ "report-and-help", 1, 1 },
	{ "none", 0, 0 },
};

#define MELDCODE_V 1

const char *vios_meldcode_step_name(int step)
{
	return step >= 1 && step <= VIOS_MELDCODE_STEPS ? steps[step - 1].en : NULL;
}

const char *vios_meldcode_step_name_nl(int step)
{
	return step >= 1 && step <= VIOS_MELDCODE_STEPS ? steps[step - 1].nl : NULL;
}

int vios_meldcode_outcome(const char *word, int *report, int *help)
{
	assert(report != NULL && help != NULL);
	for (size_t i = 0; word && i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (!strcmp(word, outcomes[i].word)) {
			*report = outcomes[i].report;
			*help = outcomes[i].help;
			return 0;
		}
	*report = *help = -1;
	return -1;
}

const char *vios_meldcode_outcome_list(void)
{
	return "report, help, report-and-help or none";
}

void vios_meldcode_clear(vios_meldcode *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < VIOS_MELDCODE_STEPS; i++)
		free(m->note[i]);
	memset(m, 0, sizeof(*m));
	m->report = m->help = -1;
}

static int bad(const char *what)
{
	vios_error_set(VIOS_ERR_STORE, "the case's meldcode record is not vios-meldcode-1: %s", what);
	return VIOS_ECORRUPT;
}

/* Text of 1..VIOS_MELDCODE_NOTE_MAX bytes of UTF-8 without NUL (jansson's
 * rule for a string, which the column's JSON has to meet anyway). */
static int note_valid(const char *s, size_t len)
{
	json_t *j;

	if (len == 0 || len > VIOS_MELDCODE_NOTE_MAX || memchr(s, 0, len) != NULL || (j = json_stringn(s, len)) == NULL)
		return 0;
	json_decref(j);
	return 1;
}

/* One step's object: {"at": date, "note"?: text}, nothing else. */
static int parse_step(vios_meldcode *m, int i, json_t *o)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return bad("a step is not an object");
	json_object_foreach(o, key, v) {
		if (!strcmp(key, "at")) {
			if (!json_is_string(v) || !vios_date_valid(json_string_value(v)))
				return bad("a step's date is not YYYY-MM-DD");
			memcpy(m->at[i], json_string_value(v), 11);
		} else if (!strcmp(key, "note")) {
			if (!json_is_string(v) || !note_valid(json_string_value(v), json_string_length(v)))
				return bad("a step's note is not text");
			if ((m->note[i] = strdup(json_string_value(v))) == NULL)
				return vios_error_nomem();
		} else
			return bad("a step has an unknown member");
	}
	if (!m->at[i][0])
		return bad("a step has no date");
	return 0;
}

static int parse_doc(vios_meldcode *m, json_t *doc)
{
	const char *key;
	json_t *v, *st = NULL, *report = NULL, *help = NULL;
	int error;

	if (!json_is_object(doc))
		return bad("not an object");
	json_object_foreach(doc, key, v) {
		if (!strcmp(key, "v")) {
			if (!json_is_integer(v) || json_integer_value(v) != MELDCODE_V)
				return bad("unknown version");
		} else if (!strcmp(key, "steps"))
			st = v;
		else if (!strcmp(key, "report"))
			report = v;
		else if (!strcmp(key, "help"))
			help = v;
		else
			return bad("unknown member");
	}
	if (json_object_get(doc, "v") == NULL || !json_is_object(st))
		return bad("no version or no steps");
	json_object_foreach(st, key, v) {
		if (strlen(key) != 1 || key[0] < '1' || key[0] > '0' + VIOS_MELDCODE_STEPS)
			return bad("a step is not numbered 1 to 5");
		if ((error = parse_step(m, key[0] - '1', v)) < 0)
			return error;
	}
	if ((report != NULL) != (m->at[4][0] != 0) || (help != NULL) != (m->at[4][0] != 0))
		return bad("step 5 and its decision go together");
	if (report != NULL) {
		if (!json_is_boolean(report) || !json_is_boolean(help))
			return bad("the decision is not true or false");
		m->report = json_is_true(report);
		m->help = json_is_true(help);
	}
	return 0;
}

int vios_meldcode_parse(vios_meldcode *m, const char *text)
{
	json_t *doc;
	int error;

	assert(m != NULL);
	memset(m, 0, sizeof(*m));
	m->report = m->help = -1;
	if (text == NULL)
		return 0;
	if ((doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return bad("not JSON");
	error = parse_doc(m, doc);
	json_decref(doc);
	if (error < 0)
		vios_meldcode_clear(m);
	return error;
}

int vios_meldcode_set(vios_meldcode *m, int step, const char *date, const char *note, const char *outcome)
{
	char tomorrow[11];
	int report = -1, help = -1;
	char *copy = NULL;

	assert(m != NULL && date != NULL);
	if (step < 1 || step > VIOS_MELDCODE_STEPS) {
		vios_error_set(VIOS_ERR_INPUT, "--step: the meldcode has steps 1 to 5");
		return VIOS_EUSAGE;
	}
	if (!vios_date_valid(date)) {
		vios_error_set(VIOS_ERR_INPUT, "--date: '%s' is not a date (YYYY-MM-DD)", date);
		return VIOS_EUSAGE;
	}
	/* a step is recorded once taken: at the latest tomorrow, the day of
	 * slack every date of what happened has (store/records.c) */
	vios_day_after(tomorrow, 1);
	if (strcmp(date, tomorrow) > 0) {
		vios_error_set(VIOS_ERR_INPUT, "--date: %s is in the future (at the latest %s): record a step once it"
			       " is taken", date, tomorrow);
		return VIOS_EUSAGE;
	}
	if (note != NULL && !note_valid(note, strlen(note))) {
		vios_error_set(VIOS_ERR_INPUT, "--note: empty, not UTF-8 or longer than %d bytes", VIOS_MELDCODE_NOTE_MAX);
		return VIOS_EUSAGE;
	}
	if (step == 5) {
		if (outcome == NULL) {
			vios_error_set(VIOS_ERR_INPUT, "step 5 records the decision: give --outcome (%s)",
				       vios_meldcode_outcome_list());
			return VIOS_EUSAGE;
		}
		if (vios_meldcode_outcome(outcome, &report, &help) < 0) {
			vios_error_set(VIOS_ERR_INPUT, "--outcome: unknown outcome '%s' (%s)", outcome,
				       vios_meldcode_outcome_list());
			return VIOS_EUSAGE;
		}
		for (int i = 0; i < 4; i++)
			if (!m->at[i][0]) {
				vios_error_set(VIOS_ERR_INPUT, "step 5 decides after steps 1 to 4: step %d (%s) is not recorded",
					       i + 1, steps[i].en);
				return VIOS_EUSAGE;
			}
	} else if (outcome != NULL) {
		vios_error_set(VIOS_ERR_INPUT, "--outcome goes only with step 5 (the decision)");
		return VIOS_EUSAGE;
	}
	if (note != NULL && (copy = strdup(note)) == NULL)
		return vios_error_nomem();
	memcpy(m->at[step - 1], date, 11);
	if (copy != NULL) {
		free(m->note[step - 1]);
		m->note[step - 1] = copy;
	}
	if (step == 5) {
		m->report = report;
		m->help = help;
	}
	return 0;
}

int vios_meldcode_format(char **out, const vios_meldcode *m)
{
	json_t *doc = NULL, *st;
	int any = 0;

	assert(out != NULL && m != NULL);
	*out = NULL;
	if ((doc = json_pack("{s:i, s:{}}", "v", MELDCODE_V, "steps")) == NULL)
		return vios_error_nomem();
	st = json_object_get(doc, "steps");
	for (int i = 0; i < VIOS_MELDCODE_STEPS; i++) {
		char key[2] = { (char)('1' + i), 0 };
		json_t *o;
		if (!m->at[i][0])
			continue;
		any = 1;
		if ((o = json_pack("{s:s}", "at", m->at[i])) == NULL || json_object_set_new(st, key, o) < 0 ||
		    (m->note[i] && json_object_set_new(o, "note", json_string(m->note[i])) < 0))
			goto nomem;
	}
	if (m->at[4][0] && (json_object_set_new(doc, "report", json_boolean(m->report == 1)) < 0 ||
			    json_object_set_new(doc, "help", json_boolean(m->help == 1)) < 0))
		goto nomem;
	if (any && (*out = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto nomem;
	json_decref(doc);
	return 0;
nomem:
	json_decref(doc);
	return vios_error_nomem();
}

json_t *vios_meldcode_json(const vios_meldcode *m)
{
	json_t *a = json_array();

	assert(m != NULL);
	for (int i = 0; a != NULL && i < VIOS_MELDCODE_STEPS; i++) {
		json_t *o;
		if (!m->at[i][0])
			continue;
		o = json_pack("{s:i, s:s, s:s, s:s}", "step", i + 1, "name", steps[i].en, "name_nl", steps[i].nl, "at",
			      m->at[i]);
		if (o != NULL && m->note[i] != NULL)
			json_object_set_new(o, "note", json_string(m->note[i]));
		if (o != NULL && i == 4) {
			json_object_set_new(o, "report", json_boolean(m->report == 1));
			json_object_set_new(o, "help", json_boolean(m->help == 1));
		}
		if (o == NULL || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int vios_meldcode_escalation(const char *text, const char *target)
{
	vios_meldcode m;
	int error;

	if (target == NULL || strcmp(target, "veilig-thuis") != 0)
		return 0;
	if ((error = vios_meldcode_parse(&m, text)) < 0)
		return error;
	if (!m.at[4][0]) {
		vios_error_set(VIOS_ERR_INPUT, "escalation to veilig-thuis follows the meldcode: record step 5's decision"
					       " first ('vios case meldcode ID --step 5 --date D --outcome report')");
		error = VIOS_EUSAGE;
	} else if (m.report != 1) {
		vios_error_set(VIOS_ERR_INPUT, "meldcode step 5 (%s) decided not to report to Veilig Thuis; record step 5"
					       " again to change the decision", m.at[4]);
		error = VIOS_EUSAGE;
	}
	vios_meldcode_clear(&m);
	return error;
}
