/*
 * test_rhythm.c - the table's rhythm (src/store/rhythm.c): a signal's
 * triage state is derived, in order of precedence closed > linked >
 * discussed > new, and a planned meeting discusses nothing until it is
 * held; closing a signal twice, or closing another node's, changes
 * nothing; a discussed list names only this node's own signals and cases;
 * a planned series is written whole or not at all; an agenda holds the new
 * signals seen by its date and names pupils only at a case meeting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crdt/crdt.h"
#include "store/records.h"
#include "store/rhythm.h"
#include "store/store.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

typedef struct {
	fx_world w;
	fx_node school;
	char today[11];
	char pupil[37], signal[37], other[37];
} world;

static int setup(void **state)
{
	world *x = calloc(1, sizeof(*x));
	time_t t = vios_now();
	struct tm tm;

	assert_non_null(x);
	localtime_r(&t, &tm);
	strftime(x->today, sizeof(x->today), "%Y-%m-%d", &tm);
	FX_OK(fx_world_make(&x->w, "vios-rhythm"));
	FX_OK(fx_node_make(&x->school, &x->w, "school", "school", NULL));
	{
		vios_field f[] = { { "name", "Sam de Vries" }, { "class", "2B" } };
		fx_add(x->pupil, x->school.st, "pupil", f, 2);
	}
	{
		vios_field f[] = { { "theme", "weapons" }, { "note", "knife at the gate" }, { "seen_at", "2026-11-03" } };
		fx_add(x->signal, x->school.st, "signal", f, 3);
	}
	{
		vios_field f[] = { { "theme", "nuisance" }, { "note", "groups" }, { "seen_at", "2026-11-04" } };
		fx_add(x->other, x->school.st, "signal", f, 3);
	}
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	world *x = *state;

	fx_node_dispose(&x->school);
	fx_world_dispose(&x->w);
	free(x);
	return 0;
}

/* Signal id's triage state, and (when key) one more member of it, as text
 * in val (empty for null). */
static const char *triage(vios_store *st, const char *id, const char *key, char *val, size_t len)
{
	static char state[16];
	json_t *t = NULL;

	FX_OK(vios_signal_triage(&t, st, id));
	snprintf(state, sizeof(state), "%s", json_string_value(json_object_get(t, "triage")));
	if (key)
		snprintf(val, len, "%s", json_string_value(json_object_get(t, key)) ?: "");
	json_decref(t);
	return state;
}

/* The ids signal list --new gives, as one comma list in buf. */
static const char *new_ids(vios_store *st, char *buf, size_t len)
{
	const char *filter[4] = { NULL, NULL, NULL, "new" };
	json_t *rows = NULL, *r;
	size_t i;

	buf[0] = 0;
	FX_OK(vios_records_list(&rows, st, VIOS_LIST_SIGNALS, filter, 4));
	json_array_foreach(rows, i, r)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "",
			 json_string_value(json_object_get(r, "id")));
	json_decref(rows);
	return buf;
}

/* A case about the fixture's pupil listing signals. */
static void open_case(char id[37], world *x, const char *signals)
{
	vios_field f[] = { { "pupil_id", x->pupil }, { "signals", signals }, { "basis", "public-task" },
			   { "parents_informed", "1" } };
	fx_add(id, x->school.st, "case_file", f, 4);
}

static void test_triage__new_discussed_linked_closed_in_turn(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char m[37], c[37], val[64], ids[256];

	assert_string_equal(triage(st, x->signal, "discussed_at", val, sizeof(val)), "new");
	assert_string_equal(val, "");
	assert_non_null(strstr(new_ids(st, ids, sizeof(ids)), x->signal));
	{ /* a held meeting (planned not set) that discussed it */
		vios_field f[] = { { "kind", "thematic" }, { "date", "2026-11-10" }, { "discussed", x->signal } };
		fx_add(m, st, "meeting", f, 3);
	}
	assert_string_equal(triage(st, x->signal, "discussed_at", val, sizeof(val)), "discussed");
	assert_string_equal(val, "2026-11-10");
	triage(st, x->signal, "meeting", val, sizeof(val));
	assert_string_equal(val, m);
	assert_null(strstr(new_ids(st, ids, sizeof(ids)), x->signal));
	assert_non_null(strstr(ids, x->other)); /* the other signal is still new */
	open_case(c, x, x->signal);
	assert_string_equal(triage(st, x->signal, "case", val, sizeof(val)), "linked");
	assert_string_equal(val, c);
	triage(st, x->signal, "linked_at", val, sizeof(val));
	assert_string_equal(val, x->today);
	FX_OK(vios_signal_close(st, x->signal, "no further action"));
	assert_string_equal(triage(st, x->signal, "closed_at", val, sizeof(val)), "closed");
	assert_string_equal(val, x->today);
}

static void test_triage__closed_before_linked_before_discussed(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char m[37], c[37], val[64];

	/* closed wins over everything, even a signal never discussed */
	FX_OK(vios_signal_close(st, x->other, "a one-off, nothing to do"));
	assert_string_equal(triage(st, x->other, NULL, NULL, 0), "closed");
	/* linked wins over discussed, whichever came first */
	open_case(c, x, x->signal);
	{
		vios_field f[] = { { "kind", "case" }, { "date", "2026-11-20" }, { "discussed", x->signal } };
		fx_add(m, st, "meeting", f, 3);
	}
	assert_string_equal(triage(st, x->signal, "discussed_at", val, sizeof(val)), "linked");
	assert_string_equal(val, "2026-11-20"); /* still known */
	{ /* and a closed signal that a case lists and a meeting discussed is closed */
		vios_field f[] = { { "kind", "thematic" }, { "date", "2026-11-21" }, { "discussed", x->other } };
		fx_add(m, st, "meeting", f, 3);
		open_case(c, x, x->other);
	}
	assert_string_equal(triage(st, x->other, NULL, NULL, 0), "closed");
}

static void test_triage__a_planned_meeting_discusses_nothing_until_held(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char m[37], val[64], ids[256];

	{
		vios_field f[] = { { "kind", "thematic" }, { "date", x->today }, { "planned", "1" },
				   { "discussed", x->signal } };
		fx_add(m, st, "meeting", f, 4);
	}
	assert_string_equal(triage(st, x->signal, "discussed_at", val, sizeof(val)), "new");
	assert_string_equal(val, "");
	assert_non_null(strstr(new_ids(st, ids, sizeof(ids)), x->signal));
	{
		vios_field f[] = { { "minutes", "we talked about it" } };
		FX_OK(vios_meeting_hold(st, m, f, 1));
	}
	assert_string_equal(triage(st, x->signal, "discussed_at", val, sizeof(val)), "discussed");
	assert_string_equal(val, x->today);
	{ /* held is final: holding it again is refused */
		vios_field f[] = { { "minutes", "again" } };
		assert_int_equal(vios_meeting_hold(st, m, f, 1), VIOS_EUSAGE);
	}
	{ /* and it is not planned again, which would take its signals back to new */
		vios_field f[] = { { "planned", "1" } };
		assert_int_equal(vios_record_edit(NULL, st, "meeting", m, f, 1), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "cannot be planned again"));
		assert_string_equal(triage(st, x->signal, NULL, NULL, 0), "discussed");
	}
}

/* A case or a meeting of another node that names the school's signal (the
 * merge does not look inside the lists) moves nothing on: only the signal's
 * own node's rows count. Written here behind the records layer, as a merge
 * would hold them. */
static void test_triage__only_the_signals_own_node_moves_it_on(void **state)
{
	world *x = *state;
	char sql[512], val[40];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO meeting(id, origin, kind, date, discussed) VALUES"
		 " ('01234567-89ab-7def-8123-456789abcde0', '01234567-89ab-7def-8123-456789abcdff', 'steering', '2026-11-05', '%s');"
		 "INSERT INTO case_file(id, origin, pupil_id, signals) VALUES"
		 " ('01234567-89ab-7def-8123-456789abcde1', '01234567-89ab-7def-8123-456789abcdff', '%s', '%s')",
		 x->signal, x->pupil, x->signal);
	assert_int_equal(fx_sql_merged(x->school.st, sql), SQLITE_OK);
	assert_string_equal(triage(x->school.st, x->signal, "discussed_at", val, sizeof(val)), "new");
	assert_string_equal(val, "");
	assert_string_equal(triage(x->school.st, x->signal, "case", val, sizeof(val)), "new");
	assert_string_equal(val, "");
}

/* Another school's signal held here (theme data the covenant lets a school
 * receive) is neither on signal list --new nor on this node's agenda: it
 * moves on at its own table. */
static void test_triage__another_nodes_signal_is_not_on_this_nodes_table(void **state)
{
	world *x = *state;
	char ids[200], m[37];
	json_t *doc = NULL;

	assert_int_equal(fx_sql_merged(x->school.st,
				       "INSERT INTO signal(id, origin, seen_at, theme) VALUES ('01234567-89ab-7def-8123-456789abcde2',"
				       " '01234567-89ab-7def-8123-456789abcdff', '2026-11-01', 'weapons')"),
			 SQLITE_OK);
	new_ids(x->school.st, ids, sizeof(ids));
	assert_non_null(strstr(ids, x->signal));
	assert_null(strstr(ids, "01234567-89ab-7def-8123-456789abcde2"));
	{
		vios_field f[] = { { "kind", "thematic" }, { "date", "2026-11-10" }, { "planned", "1" } };
		fx_add(m, x->school.st, "meeting", f, 3);
	}
	FX_OK(vios_meeting_agenda(&doc, x->school.st, m));
	assert_int_equal(json_array_size(json_object_get(doc, "signals")), 2); /* the school's own two */
	{
		char *text = json_dumps(json_object_get(doc, "signals"), 0);
		assert_non_null(text);
		assert_null(strstr(text, "abcde2"));
		free(text);
	}
	json_decref(doc);
}

static void test_signal_close__twice_or_not_owned_changes_nothing(void **state)
{
	world *x = *state;
	vios_crdt_pending_op *v = NULL;
	vios_crdt_op *ops;
	vios_crdt_report rep;
	fx_node police;
	size_t n = 0;
	fx_snapshot s;

	FX_OK(vios_signal_close(x->school.st, x->signal, "no further action"));
	fx_snap(&s, x->school.st);
	assert_int_equal(vios_signal_close(x->school.st, x->signal, "again"), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "closed already"));
	fx_assert_unchanged(&s, x->school.st);
	/* the police node holds the school's other signal, which it did not record */
	FX_OK(fx_node_make(&police, &x->w, "police", "partner", "police"));
	FX_OK(vios_crdt_pending(&v, &n, x->school.st, 0, 0, 0));
	ops = calloc(n ? n : 1, sizeof(*ops));
	assert_non_null(ops);
	for (size_t i = 0; i < n; i++)
		ops[i] = v[i].op;
	FX_OK(vios_crdt_apply(&rep, police.st, ops, n, x->school.node->node_id));
	free(ops);
	vios_crdt_pending_free(v, n);
	fx_snap(&s, police.st);
	assert_int_equal(vios_signal_close(police.st, x->other, "not ours to close"), VIOS_EDENIED);
	fx_assert_unchanged(&s, police.st);
	assert_int_equal(vios_signal_close(x->school.st, "01234567-89ab-7def-8123-456789abcdef", "x"), VIOS_ENOTFOUND);
	fx_node_dispose(&police);
}

static void test_discussed__names_only_own_held_signals_and_cases(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char m[37], c[37], list[128];
	fx_snapshot s;

	open_case(c, x, x->signal);
	fx_snap(&s, st);
	{ /* an unknown id: refused, naming its position */
		vios_field f[] = { { "kind", "thematic" }, { "date", "2026-11-10" },
				   { "discussed", "" } };
		snprintf(list, sizeof(list), "%s,01234567-89ab-7def-8123-456789abcdef", x->signal);
		f[2].val = list;
		assert_int_equal(vios_record_add(m, st, "meeting", f, 3), VIOS_ENOTFOUND);
		assert_non_null(strstr(vios_error_last(), "item 2"));
		snprintf(list, sizeof(list), "%s,,%s", x->signal, c);
		assert_int_equal(vios_record_add(m, st, "meeting", f, 3), VIOS_EUSAGE);
		snprintf(list, sizeof(list), "%s,%s", x->signal, x->signal);
		assert_int_equal(vios_record_add(m, st, "meeting", f, 3), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "twice"));
		snprintf(list, sizeof(list), "%s,not-an-id", c);
		assert_int_equal(vios_record_add(m, st, "meeting", f, 3), VIOS_EUSAGE);
	}
	fx_assert_unchanged(&s, st);
	{ /* a signal and a case of this node's own */
		vios_field f[] = { { "kind", "case" }, { "date", "2026-11-10" }, { "case_id", c }, { "discussed", list } };
		snprintf(list, sizeof(list), "%s,%s", x->other, c);
		fx_add(m, st, "meeting", f, 4);
	}
	assert_string_equal(triage(st, x->other, NULL, NULL, 0), "discussed");
}

static void test_series__all_or_nothing(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	const char *dates[] = { "2026-12-01", "2026-12-15", "2026-12-29" };
	char ids[3][37];
	json_t *rows = NULL;
	fx_snapshot s;

	fx_snap(&s, st);
	{
		vios_field f[] = { { "kind", "thematic" }, { "planned", "1" }, { "roles", "police,nobody" } };
		assert_int_equal(vios_record_add_series(ids, st, "meeting", f, 3, "date", dates, 3), VIOS_EUSAGE);
	}
	{ /* the third date is bad: not even the first two are written */
		const char *bad[] = { "2026-12-01", "2026-12-15", "2026-12-32" };
		vios_field f[] = { { "kind", "thematic" }, { "planned", "1" } };
		assert_int_equal(vios_record_add_series(ids, st, "meeting", f, 2, "date", bad, 3), VIOS_EUSAGE);
	}
	fx_assert_unchanged(&s, st);
	{
		vios_field f[] = { { "kind", "thematic" }, { "planned", "1" } };
		FX_OK(vios_record_add_series(ids, st, "meeting", f, 2, "date", dates, 3));
	}
	FX_OK(vios_meeting_upcoming(&rows, st, "2026-12-02"));
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "date")), "2026-12-15");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "id")), ids[2]);
	json_decref(rows);
}

static void test_agenda__new_signals_by_its_date_pupils_only_at_a_case_meeting(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	char m[37], cm[37], s3[37];
	json_t *doc = NULL, *sig;

	{ /* a signal about the pupil, seen after the meeting's date */
		vios_field f[] = { { "theme", "sexting" }, { "note", "photo" }, { "seen_at", x->today },
				   { "pupil_id", x->pupil }, { "basis", "public-task" }, { "parents_informed", "1" } };
		fx_add(s3, st, "signal", f, 6);
	}
	{
		vios_field f[] = { { "kind", "thematic" }, { "date", "2026-11-03" }, { "planned", "1" } };
		fx_add(m, st, "meeting", f, 3);
	}
	FX_OK(vios_meeting_agenda(&doc, st, m));
	sig = json_object_get(doc, "signals");
	assert_int_equal(json_array_size(sig), 1); /* seen on or before 2026-11-03 */
	assert_string_equal(json_string_value(json_object_get(json_array_get(sig, 0), "id")), x->signal);
	assert_null(json_object_get(json_array_get(sig, 0), "pupil"));
	assert_null(json_object_get(json_array_get(sig, 0), "note"));
	json_decref(doc);
	{
		vios_field f[] = { { "kind", "case" }, { "date", x->today }, { "planned", "1" } };
		fx_add(cm, st, "meeting", f, 3);
	}
	FX_OK(vios_meeting_agenda(&doc, st, cm));
	sig = json_object_get(doc, "signals");
	assert_int_equal(json_array_size(sig), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sig, 2), "pupil")), "Sam de Vries");
	json_decref(doc);
	{ /* a meeting about one case: that case, and new signals about its pupil only */
		char other[37], k1[37], k2[37], am[37];
		vios_field fp[] = { { "name", "Noor Bakker" } };
		fx_add(other, st, "pupil", fp, 1);
		{
			vios_field f[] = { { "pupil_id", x->pupil }, { "basis", "public-task" }, { "parents_informed", "1" } };
			fx_add(k1, st, "case_file", f, 3);
		}
		{
			vios_field f[] = { { "pupil_id", other }, { "basis", "public-task" }, { "parents_informed", "1" } };
			fx_add(k2, st, "case_file", f, 3);
		}
		{
			vios_field f[] = { { "kind", "case" }, { "date", x->today }, { "planned", "1" }, { "case_id", k1 } };
			fx_add(am, st, "meeting", f, 4);
		}
		FX_OK(vios_meeting_agenda(&doc, st, am));
		assert_int_equal(json_array_size(json_object_get(doc, "cases")), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "cases"), 0), "id")), k1);
		sig = json_object_get(doc, "signals");
		assert_int_equal(json_array_size(sig), 1); /* s3, about Sam; not the two signals about no pupil */
		assert_string_equal(json_string_value(json_object_get(json_array_get(sig, 0), "id")), s3);
		{ /* the other case's pupil is named nowhere on it */
			char *text = json_dumps(doc, 0);
			assert_non_null(text);
			assert_null(strstr(text, "Noor Bakker"));
			assert_null(strstr(text, k2));
			free(text);
		}
		json_decref(doc);
	}
	/* a held meeting has no agenda */
	{
		vios_field f[] = { { "minutes", "held" } };
		FX_OK(vios_meeting_hold(st, cm, f, 1));
	}
	assert_int_equal(vios_meeting_agenda(&doc, st, cm), VIOS_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_triage__new_discussed_linked_closed_in_turn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triage__closed_before_linked_before_discussed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triage__a_planned_meeting_discusses_nothing_until_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triage__only_the_signals_own_node_moves_it_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triage__another_nodes_signal_is_not_on_this_nodes_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_close__twice_or_not_owned_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discussed__names_only_own_held_signals_and_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series__all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agenda__new_signals_by_its_date_pupils_only_at_a_case_meeting, setup,
						teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("rhythm", tests, NULL, NULL);
}
