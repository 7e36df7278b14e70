/*
 * test_subject.c - the subject access report (src/store/subject.c): it
 * gathers what the node holds about one pupil and nothing about another,
 * says who made each row and which nodes this node's bundles carried it
 * to (from crdt_pending's sealed_in and the outbox's signed headers),
 * redacts other pupils' names in free text, and is logged as a read with
 * the reason; an unknown pupil is refused with nothing logged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdt/crdt.h"
#include "store/ledger.h"
#include "store/records.h"
#include "store/store.h"
#include "store/subject.h"
#include "util/error.h"

#include "fixture.h"

#define POLICE "01234567-89ab-7def-8123-456789abcdef"

typedef struct {
	fx_world w;
	fx_node school;
	char pupil[37], other[37], signal[37], kase[37], meeting[37], theme[37];
} world;

static int setup(void **state)
{
	world *x = calloc(1, sizeof(*x));
	vios_store *st;

	assert_non_null(x);
	FX_OK(fx_world_make(&x->w, "vios-subject"));
	FX_OK(fx_node_make(&x->school, &x->w, "school", "school", NULL));
	st = x->school.st;
	{
		vios_field f[] = { { "name", "Anna de Vries" }, { "birth_date", "2011-03-04" } };
		fx_add(x->pupil, st, "pupil", f, 2);
	}
	{
		vios_field f[] = { { "name", "Bram" }, { "birth_date", "2011-06-01" } };
		fx_add(x->other, st, "pupil", f, 2);
	}
	{
		vios_field f[] = { { "theme", "weapons" }, { "note", "knife, with Bram" }, { "pupil_id", x->pupil },
				   { "basis", "public-task" }, { "parents_informed", "0" },
				   { "not_informed_reason", "safety" } };
		fx_add(x->signal, st, "signal", f, 6);
	}
	{
		vios_field f[] = { { "theme", "weapons" }, { "note", "Bram's own signal" }, { "pupil_id", x->other },
				   { "basis", "public-task" }, { "parents_informed", "1" } };
		char id[37];
		fx_add(id, st, "signal", f, 5);
	}
	{
		vios_field f[] = { { "theme", "nuisance" }, { "note", "groups at the gate" } };
		fx_add(x->theme, st, "signal", f, 2);
	}
	{
		vios_field f[] = { { "pupil_id", x->pupil }, { "signals", x->signal }, { "roles", "police" },
				   { "basis", "public-task" } };
		fx_add(x->kase, st, "case_file", f, 4);
	}
	{
		vios_field f[] = { { "kind", "case" }, { "date", "2026-11-05" }, { "case_id", x->kase },
				   { "minutes", "Anna and BRAM talked; Brammetje too" } };
		fx_add(x->meeting, st, "meeting", f, 4);
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

static long long log_length(vios_store *st)
{
	long long n = 0;

	FX_OK(vios_store_row_count(&n, st, "access_log"));
	return n;
}

static void test_subject_redact__whole_names_in_any_case(void **state)
{
	static const struct {
		int id;
		const char *in, *out;
	} rows[] = {
		{ 1, "Bram was there", "[redacted: another pupil] was there" },
		{ 2, "with bram.", "with [redacted: another pupil]." },
		{ 3, "Brammetje", "Brammetje" },
		{ 4, "Bram de Boer and Bram", "[redacted: another pupil] and [redacted: another pupil]" },
		{ 5, "", "" },
		{ 6, "Abram", "Abram" },
	};
	json_t *names = json_pack("[s, s]", "Bram", "Bram de Boer");

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *out = NULL;
		FX_OK(vios_subject_redact(&out, rows[i].in, names));
		if (strcmp(out, rows[i].out))
			fail_msg("row %d: '%s' gave '%s'", rows[i].id, rows[i].in, out);
		free(out);
	}
	json_decref(names);
}

static void test_subject_report__holds_the_pupil_and_nothing_of_another(void **state)
{
	world *x = *state;
	json_t *doc = NULL, *sig, *c, *m;
	char *text;

	FX_OK(vios_subject_report(&doc, x->school.st, x->pupil, "request of the parents"));
	assert_string_equal(json_string_value(json_object_get(doc, "format")), "vios-subject-report-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "pupil"), "name")), "Anna de Vries");
	assert_true(json_is_boolean(json_object_get(json_object_get(doc, "pupil"), "over16")));
	assert_int_equal(json_array_size(json_object_get(doc, "signals")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "cases")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "meetings")), 1);
	sig = json_array_get(json_object_get(doc, "signals"), 0);
	assert_string_equal(json_string_value(json_object_get(sig, "note")), "knife, with [redacted: another pupil]");
	assert_string_equal(json_string_value(json_object_get(sig, "basis")), "public-task");
	assert_string_equal(json_string_value(json_object_get(sig, "not_informed_reason")), "safety");
	c = json_array_get(json_object_get(doc, "cases"), 0);
	/* taken from its one signal */
	assert_int_equal(json_integer_value(json_object_get(c, "parents_informed")), 0);
	assert_true(json_is_true(json_object_get(json_object_get(c, "made_by"), "here")));
	assert_int_equal(json_array_size(json_object_get(c, "sent")), 0);
	m = json_array_get(json_object_get(doc, "meetings"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "minutes")),
			    "Anna and [redacted: another pupil] talked; Brammetje too");
	/* the other pupil's own signal and the thematic one are not in it */
	text = json_dumps(doc, 0);
	assert_non_null(text);
	assert_null(strstr(text, "Bram's own signal"));
	assert_null(strstr(text, "groups at the gate"));
	assert_null(strstr(text, "Bram\""));
	free(text);
	json_decref(doc);
}

/* A signal without a pupil that one of the pupil's cases lists is about the
 * pupil too (VIOS_SQL_SIGNAL_ABOUT, the rule erasure follows): it is in the
 * report; a thematic signal no case of theirs lists is not. */
static void test_subject_report__holds_a_pupil_less_signal_the_pupils_case_lists(void **state)
{
	world *x = *state;
	json_t *doc = NULL;
	char lone[37], k[37], list[80];
	char *text;

	{
		vios_field f[] = { { "theme", "weapons" }, { "note", "a knife in a bag at the bus stop" } };
		fx_add(lone, x->school.st, "signal", f, 2);
	}
	snprintf(list, sizeof(list), "%s,%s", x->signal, lone);
	{
		vios_field f[] = { { "pupil_id", x->pupil }, { "signals", list }, { "roles", "police" },
				   { "basis", "public-task" }, { "parents_informed", "0" }, { "not_informed_reason", "safety" } };
		fx_add(k, x->school.st, "case_file", f, 6);
	}
	FX_OK(vios_subject_report(&doc, x->school.st, x->pupil, NULL));
	assert_int_equal(json_array_size(json_object_get(doc, "signals")), 2);
	text = json_dumps(doc, 0);
	assert_non_null(strstr(text, "a knife in a bag at the bus stop"));
	assert_null(strstr(text, "groups at the gate"));
	free(text);
	json_decref(doc);
}

/* A value a concurrent edit replaced is still held (crdt_conflict): the
 * report shows it with its row, redacted like the row's own text. The
 * conflict is written as the merge writes one (crdt/merge.c). */
static void test_subject_report__shows_replaced_values_redacted(void **state)
{
	world *x = *state;
	json_t *doc = NULL, *lost;
	char zSql[400];

	snprintf(zSql, sizeof(zSql),
		 "INSERT INTO crdt_conflict(tbl, pk, col, hlc, node, value, win_hlc, win_node, recorded_at)"
		 " VALUES ('pupil', '%s', 'class', 1, '%s', '2C, next to Bram', 2, '%s', '2026-11-02T10:00:00Z')",
		 x->pupil, POLICE, POLICE);
	FX_OK(vios_store_tx_begin_uncaptured(x->school.st));
	assert_int_equal(sqlite3_exec(x->school.st->db, zSql, NULL, NULL, NULL), SQLITE_OK);
	FX_OK(vios_store_tx_commit(x->school.st));
	FX_OK(vios_subject_report(&doc, x->school.st, x->pupil, NULL));
	lost = json_object_get(json_object_get(doc, "pupil"), "lost_values");
	assert_int_equal(json_array_size(lost), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(lost, 0), "col")), "class");
	assert_string_equal(json_string_value(json_object_get(json_array_get(lost, 0), "value")),
			    "2C, next to [redacted: another pupil]");
	/* a row with none has an empty list */
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(doc, "signals"), 0),
							 "lost_values")), 0);
	json_decref(doc);
}

static void test_subject_report__names_the_nodes_the_bundles_went_to(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	json_t *doc = NULL, *sent;
	char header[256];

	/* seq 1: what an export sealed, to the police node, case data */
	snprintf(header, sizeof(header),
		 "{\"categories\":[\"case\"],\"format\":\"vios-bundle-2\",\"recipients\":[\"%s\",\"%s\"],\"seq\":1}", POLICE,
		 x->school.node->node_id);
	FX_OK(vios_store_tx_begin(st));
	FX_OK(vios_ledger_outbox_add(st, 1, "00", header, "sig", "2026-11-20T10:00:00Z", (const uint8_t *)"a", 1));
	FX_OK(vios_crdt_mark_sealed(st, 1000000, "up to seq 1"));
	FX_OK(vios_store_tx_commit(st));

	FX_OK(vios_subject_report(&doc, st, x->pupil, NULL));
	sent = json_object_get(json_array_get(json_object_get(doc, "cases"), 0), "sent");
	assert_int_equal(json_array_size(sent), 1); /* never the sender itself */
	assert_string_equal(json_string_value(json_object_get(json_array_get(sent, 0), "node_id")), POLICE);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sent, 0), "at")), "2026-11-20T10:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(sent, 0), "seq")), 1);
	json_decref(doc);
}

static void test_subject_report__logged_with_the_reason_and_refused_unknown(void **state)
{
	world *x = *state;
	vios_store *st = x->school.st;
	json_t *doc = NULL, *last = NULL;
	const char *p[] = { "1" };
	long long n0 = log_length(st);

	FX_OK(vios_subject_report(&doc, st, x->pupil, "parents asked"));
	json_decref(doc);
	assert_int_equal(log_length(st), n0 + 1);
	FX_OK(vios_records_list(&last, st, VIOS_LIST_ACCESS_LOG, p, 1));
	assert_string_equal(json_string_value(json_object_get(json_array_get(last, 0), "action")), "read");
	assert_string_equal(json_string_value(json_object_get(json_array_get(last, 0), "tbl")), "pupil");
	assert_string_equal(json_string_value(json_object_get(json_array_get(last, 0), "record_id")), x->pupil);
	assert_string_equal(json_string_value(json_object_get(json_array_get(last, 0), "why")),
			    "subject access: parents asked");
	json_decref(last);

	doc = NULL;
	assert_int_equal(vios_subject_report(&doc, st, POLICE, NULL), VIOS_ENOTFOUND);
	assert_null(doc);
	assert_int_equal(vios_subject_report(&doc, st, "42", NULL), VIOS_EUSAGE);
	assert_int_equal(log_length(st), n0 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_redact__whole_names_in_any_case),
		cmocka_unit_test_setup_teardown(test_subject_report__holds_the_pupil_and_nothing_of_another, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_report__holds_a_pupil_less_signal_the_pupils_case_lists, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_subject_report__shows_replaced_values_redacted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_report__names_the_nodes_the_bundles_went_to, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_report__logged_with_the_reason_and_refused_unknown, setup,
						teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("subject", tests, NULL, NULL);
}
