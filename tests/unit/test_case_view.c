/*
 * test_case_view.c - the exporter's case view (docs/architecture.md,
 * "Sharing"; store/caseview.h): a role added to a case later is sent the
 * case's current state in the school's next export, as the original ops
 * (a cell a partner won keeps the partner's clock and node); a case opened
 * with its roles is sent with the pending ops and nothing twice; a role
 * taken off is sent the op that took it off and nothing after.
 *
 * The bundles are read from the school's HOME/outbox.git and opened with
 * the recipient's own age key, so what is checked is what a node of that
 * role would decrypt. The roles change is a captured UPDATE of
 * case_file.roles: the `vios case roles` command is written elsewhere.
 *
 * Each test has its own sandbox (fixture.h): a hub under the default
 * covenant, a school, the police, the social team, attendance and an
 * auditor, all enrolled and joined.
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

#include "crypto/age.h"
#include "crypto/minisign.h"
#include "store/caseview.h"
#include "store/records.h"
#include "sync/bundle.h"
#include "sync/git.h"
#include "sync/layout.h"
#include "sync/payload.h"
#include "util/error.h"

#include "fixture.h"

typedef struct {
	fx_world w;
	fx_node school, police, social, attend, aud;
	long long sealed; /* the school's bundles read so far */
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-caseview"));
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(&sb->school, &sb->w, "school", "school", NULL));
	FX_OK(fx_node_make(&sb->police, &sb->w, "police", "partner", "police"));
	FX_OK(fx_node_make(&sb->social, &sb->w, "social", "partner", "social-team"));
	FX_OK(fx_node_make(&sb->attend, &sb->w, "attend", "partner", "attendance"));
	FX_OK(fx_node_make(&sb->aud, &sb->w, "aud", "auditor", NULL));
	{
		fx_node *all[] = { &sb->school, &sb->police, &sb->social, &sb->attend, &sb->aud };
		FX_OK(fx_enroll_join(&sb->w, all, 5));
	}
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;

	fx_node_dispose(&sb->school);
	fx_node_dispose(&sb->police);
	fx_node_dispose(&sb->social);
	fx_node_dispose(&sb->attend);
	fx_node_dispose(&sb->aud);
	fx_world_dispose(&sb->w);
	free(sb);
	return 0;
}

/* ---- bundles ------------------------------------------------------------------ */

typedef struct {
	long long seq;
	uint8_t *age;
	size_t agelen;
	char *sig;
	size_t siglen;
	vios_bundle_header h;
} bundle;

typedef struct {
	bundle v[32];
	size_t n;
} blist;

static void blist_free(blist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].age);
		free(l->v[i].sig);
		vios_bundle_header_dispose(&l->v[i].h);
	}
	l->n = 0;
}

/* Exports t's changes and reads the new bundles from its outbox repository. */
static void export(blist *l, long long *sealed, fx_node *t)
{
	vios_export_report rep;
	git_repository *repo = NULL;
	git_oid head;
	char path[FX_PATH + 16], ref[64];

	l->n = 0;
	if (vios_bundle_export(&rep, t->st) != 0)
		fail_msg("export %s: %s", t->name, vios_error_last());
	if (rep.bundles == 0)
		return;
	assert_true(rep.bundles <= sizeof(l->v) / sizeof(l->v[0]));
	snprintf(path, sizeof(path), "%s/outbox.git", t->home);
	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, t->node->node_id);
	assert_int_equal(vios_git_open(&repo, path, 0), 0);
	assert_int_equal(vios_git_ref_oid(&head, repo, ref), 0);
	for (size_t k = 0; k < rep.bundles; k++) {
		bundle *b = &l->v[l->n++];
		char bpath[40], spath[48], *trusted = NULL;
		uint8_t *sig = NULL;

		memset(b, 0, sizeof(*b));
		b->seq = *sealed + 1 + (long long)k;
		vios_layout_bundle_path(bpath, b->seq, 0);
		snprintf(spath, sizeof(spath), "%s.minisig", bpath);
		if (vios_git_read_blob(&b->age, &b->agelen, repo, &head, bpath, VIOS_BUNDLE_MAX_AGE) != 0 ||
		    vios_git_read_blob(&sig, &b->siglen, repo, &head, spath, VIOS_BUNDLE_SIG_MAX) != 0)
			fail_msg("%s seq %lld: %s", t->name, b->seq, vios_error_last());
		b->sig = (char *)sig;
		assert_int_equal(vios_minisign_verify(&trusted, &t->node->sign_pub, b->age, b->agelen, b->sig, b->siglen), 0);
		assert_int_equal(vios_bundle_header_parse(&b->h, trusted), 0);
		free(trusted);
	}
	*sealed += (long long)rep.bundles;
	git_repository_free(repo);
}

static int addressed_to(const bundle *b, const fx_node *t)
{
	for (size_t i = 0; i < b->h.nrecipients; i++)
		if (!strcmp(b->h.recipients[i], t->node->node_id))
			return 1;
	return 0;
}

/* The ops of b as t decrypts them (b must be addressed to t). */
static void open_ops(vios_crdt_op **ops, size_t *n, const bundle *b, const fx_node *t)
{
	const uint8_t *ids[1] = { t->node->age_sk };
	uint8_t *gz = NULL;
	size_t gzlen = 0;

	assert_true(addressed_to(b, t));
	if (vios_age_decrypt_buf(&gz, &gzlen, b->age, b->agelen, ids, 1, VIOS_BUNDLE_MAX_AGE) != 0 ||
	    vios_bundle_payload_read(ops, n, gz, gzlen, &b->h) != 0)
		fail_msg("%s opening seq %lld: %s", t->name, b->seq, vios_error_last());
	free(gz);
}

/* Imports every bundle of l addressed to t (all of them: t follows the chain). */
static void import_all(fx_node *t, const blist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		vios_import_result res;
		if (vios_bundle_import(&res, t->st, l->v[i].age, l->v[i].agelen, l->v[i].sig, l->v[i].siglen) != 0)
			fail_msg("%s importing seq %lld: %s", t->name, l->v[i].seq, vios_error_last());
		vios_bundle_header_dispose(&res.hdr);
	}
}

/* ---- records ------------------------------------------------------------------ */

typedef struct {
	char pupil[37], signal[37], kase[37], agreement[37];
} kase;

static void open_case(kase *k, fx_node *school, const char *roles, int agreement)
{
	vios_field fp[] = { { "name", "Pupil One" } };
	vios_field fs[] = { { "theme", "weapons" }, { "note", "a knife in the bag" }, { "pupil_id", k->pupil },
			    { "basis", "public-task" }, { "parents_informed", "1" } };
	vios_field fc[] = { { "pupil_id", k->pupil }, { "signals", k->signal }, { "roles", roles },
			    { "basis", "public-task" } };
	vios_field fa[] = { { "case_id", k->kase }, { "owner_role", "social-team" }, { "action", "home visit" },
			    { "due_date", "2026-12-20" } };

	FX_OK(vios_record_add(k->pupil, school->st, "pupil", fp, 1));
	FX_OK(vios_record_add(k->signal, school->st, "signal", fs, 5));
	FX_OK(vios_record_add(k->kase, school->st, "case_file", fc, 4));
	if (agreement)
		FX_OK(vios_record_add(k->agreement, school->st, "agreement", fa, 4));
}

/* A captured write, as a command changing the case's roles would make it. */
static void set_roles(fx_node *t, const char *id, const char *roles)
{
	sqlite3_stmt *pStmt = NULL;

	FX_OK(vios_store_tx_begin(t->st));
	assert_int_equal(sqlite3_prepare_v2(t->st->db, "UPDATE case_file SET roles = ?1 WHERE id = ?2", -1, &pStmt, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(pStmt, 1, roles, -1, SQLITE_STATIC);
	sqlite3_bind_text(pStmt, 2, id, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(pStmt), SQLITE_DONE);
	sqlite3_finalize(pStmt);
	FX_OK(vios_store_tx_commit(t->st));
}

/* The clock of the value a cell of t holds (the op that wrote it). */
static void cell_clock(fx_node *t, const char *tbl, const char *pk, const char *col, uint64_t *hlc, char node[37])
{
	vios_crdt_op *ops = NULL;
	size_t n = 0;

	assert_int_equal(vios_crdt_row_state(&ops, &n, NULL, t->st, tbl, pk, col), 0);
	assert_int_equal(n, 1);
	*hlc = ops[0].hlc;
	snprintf(node, 37, "%s", ops[0].node);
	vios_crdt_ops_free(ops, n);
}

static const vios_crdt_op *find_op(const vios_crdt_op *ops, size_t n, const char *tbl, const char *pk, const char *col)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ops[i].tbl, tbl) && !strcmp(ops[i].pk, pk) && ops[i].col && !strcmp(ops[i].col, col))
			return &ops[i];
	return NULL;
}

static uint32_t sent_roles(fx_node *school, const char *id)
{
	vios_caseview_case *cases = NULL;
	size_t n = 0;
	uint32_t sent = 0;

	FX_OK(vios_caseview_list(&cases, &n, school->st, school->node->node_id));
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cases[i].id, id)) {
			assert_true(cases[i].known);
			sent = cases[i].sent;
		}
	free(cases);
	return sent;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_case_view__a_case_opened_with_its_roles_is_sent_once_without_forwarded_state(void **state)
{
	sandbox *sb = *state;
	kase k;
	blist l = { .n = 0 };
	size_t pending = 0, total = 0;

	open_case(&k, &sb->school, "police,social-team", 1);
	FX_OK(vios_crdt_pending_count(&pending, sb->school.st));
	export(&l, &sb->sealed, &sb->school);
	assert_true(l.n >= 1);
	/* every op once (the auditor receives every bundle), all the school's own */
	for (size_t i = 0; i < l.n; i++) {
		vios_crdt_op *ops = NULL;
		size_t n = 0;
		assert_false(addressed_to(&l.v[i], &sb->attend));
		open_ops(&ops, &n, &l.v[i], &sb->aud);
		for (size_t j = 0; j < n; j++)
			assert_string_equal(ops[j].node, sb->school.node->node_id);
		total += n;
		vios_crdt_ops_free(ops, n);
	}
	assert_int_equal(total, pending);
	assert_int_equal(sent_roles(&sb->school, k.kase), VIOS_ROLE_POLICE | VIOS_ROLE_SOCIAL_TEAM);
	blist_free(&l);

	/* and nothing again */
	export(&l, &sb->sealed, &sb->school);
	assert_int_equal(l.n, 0);
}

static void test_case_view__an_added_role_gets_the_state_with_the_partners_cell_forwarded(void **state)
{
	sandbox *sb = *state;
	kase k;
	blist l = { .n = 0 }, s = { .n = 0 };
	long long social_sealed = 0;
	uint64_t done_hlc;
	char done_node[37];
	size_t snapshots = 0;
	long long snapshot_seq = 0, roles_seq = 0;

	open_case(&k, &sb->school, "police,social-team", 1);
	export(&l, &sb->sealed, &sb->school);

	/* the social team marks its agreement done; the school takes it in */
	import_all(&sb->social, &l);
	blist_free(&l);
	FX_OK(vios_agreement_done(sb->social.st, k.agreement, "visited the family"));
	export(&s, &social_sealed, &sb->social);
	import_all(&sb->school, &s);
	blist_free(&s);
	cell_clock(&sb->school, "agreement", k.agreement, "status", &done_hlc, done_node);
	assert_string_equal(done_node, sb->social.node->node_id);

	/* attendance joins the case */
	set_roles(&sb->school, k.kase, "police,social-team,attendance");
	export(&l, &sb->sealed, &sb->school);
	for (size_t i = 0; i < l.n; i++) {
		vios_crdt_op *ops = NULL;
		size_t n = 0;
		const vios_crdt_op *st, *roles;

		if (!addressed_to(&l.v[i], &sb->attend))
			continue;
		assert_int_equal(l.v[i].h.categories, VIOS_CAT_BIT_CASE);
		open_ops(&ops, &n, &l.v[i], &sb->attend);
		if ((st = find_op(ops, n, "agreement", k.agreement, "status")) != NULL) {
			/* the state: every row the school made, the partner's cell as the partner wrote it */
			snapshots++;
			snapshot_seq = l.v[i].seq;
			assert_false(addressed_to(&l.v[i], &sb->police));
			assert_false(addressed_to(&l.v[i], &sb->social));
			assert_true(addressed_to(&l.v[i], &sb->aud));
			assert_string_equal(st->node, sb->social.node->node_id);
			assert_true(st->hlc == done_hlc);
			assert_int_equal(st->value.type, VIOS_VAL_TEXT);
			assert_string_equal(st->value.u.text.p, "done");
			assert_non_null(find_op(ops, n, "pupil", k.pupil, "name"));
			assert_non_null(find_op(ops, n, "signal", k.signal, "note"));
			assert_non_null(find_op(ops, n, "case_file", k.kase, "status"));
			assert_non_null(roles = find_op(ops, n, "case_file", k.kase, "roles"));
			assert_string_equal(roles->value.u.text.p, "police,social-team,attendance");
			/* referenced rows first, and each row's origin first */
			assert_string_equal(ops[0].tbl, "pupil");
			assert_string_equal(ops[0].col, "origin");
			assert_string_equal(ops[n - 1].tbl, "agreement");
			for (size_t j = 0; j < n; j++)
				assert_int_equal(vios_crdt_op_validate(&ops[j]), 0);
		} else if (find_op(ops, n, "case_file", k.kase, "roles") != NULL) {
			roles_seq = l.v[i].seq; /* the pending op that added the role */
		}
		vios_crdt_ops_free(ops, n);
	}
	assert_int_equal(snapshots, 1);
	assert_true(roles_seq > 0);
	assert_true(snapshot_seq < roles_seq); /* the rows before the ops that change them */
	assert_int_equal(sent_roles(&sb->school, k.kase), VIOS_ROLE_POLICE | VIOS_ROLE_SOCIAL_TEAM | VIOS_ROLE_ATTENDANCE);
	blist_free(&l);

	/* sent once */
	export(&l, &sb->sealed, &sb->school);
	assert_int_equal(l.n, 0);
}

static void test_case_view__a_pupil_sealed_before_the_case_is_sent_as_state(void **state)
{
	sandbox *sb = *state;
	vios_field fp[] = { { "name", "Pupil Two" } };
	char pupil[37], kase_id[37];
	vios_field fc[] = { { "pupil_id", pupil }, { "roles", "police" }, { "basis", "public-task" }, { "parents_informed", "1" } };
	blist l = { .n = 0 };
	int got = 0;

	FX_OK(vios_record_add(pupil, sb->school.st, "pupil", fp, 1));
	export(&l, &sb->sealed, &sb->school);
	for (size_t i = 0; i < l.n; i++)
		assert_false(addressed_to(&l.v[i], &sb->police)); /* a pupil with no case goes to no partner */
	blist_free(&l);

	FX_OK(vios_record_add(kase_id, sb->school.st, "case_file", fc, 4));
	export(&l, &sb->sealed, &sb->school);
	for (size_t i = 0; i < l.n; i++) {
		vios_crdt_op *ops = NULL;
		size_t n = 0;
		if (!addressed_to(&l.v[i], &sb->police))
			continue;
		open_ops(&ops, &n, &l.v[i], &sb->police);
		got += find_op(ops, n, "pupil", pupil, "name") != NULL;
		/* the case itself went with the pending ops, not twice */
		if (find_op(ops, n, "pupil", pupil, "name"))
			assert_null(find_op(ops, n, "case_file", kase_id, "roles"));
		vios_crdt_ops_free(ops, n);
	}
	assert_int_equal(got, 1);
	blist_free(&l);
}

/* A pupil with two cases, a role added to both: the pupil's state is
 * forwarded once (a payload holds each cell once; vios-payload-4 refuses
 * a cell twice), for both cases' roles. */
static void test_case_view__a_pupil_of_two_cases_a_role_joins_is_forwarded_once(void **state)
{
	sandbox *sb = *state;
	vios_field fp[] = { { "name", "Pupil Three" } };
	char pupil[37], k1[37], k2[37];
	vios_field fc[] = { { "pupil_id", pupil }, { "roles", "social-team" }, { "basis", "public-task" },
			    { "parents_informed", "1" } };
	blist l = { .n = 0 };
	int got = 0;

	FX_OK(vios_record_add(pupil, sb->school.st, "pupil", fp, 1));
	FX_OK(vios_record_add(k1, sb->school.st, "case_file", fc, 4));
	FX_OK(vios_record_add(k2, sb->school.st, "case_file", fc, 4));
	export(&l, &sb->sealed, &sb->school);
	blist_free(&l);
	set_roles(&sb->school, k1, "social-team,police");
	set_roles(&sb->school, k2, "social-team,police");
	export(&l, &sb->sealed, &sb->school);
	for (size_t i = 0; i < l.n; i++) {
		vios_crdt_op *ops = NULL;
		size_t n = 0, names = 0;
		if (!addressed_to(&l.v[i], &sb->police))
			continue;
		open_ops(&ops, &n, &l.v[i], &sb->police);
		for (size_t k = 0; k < n; k++)
			names += !strcmp(ops[k].tbl, "pupil") && !strcmp(ops[k].pk, pupil) && !strcmp(ops[k].col, "name");
		assert_true(names <= 1);
		got += (int)names;
		vios_crdt_ops_free(ops, n);
	}
	assert_int_equal(got, 1);
	import_all(&sb->police, &l);
	blist_free(&l);
}

static void test_case_view__a_removed_role_gets_the_roles_op_and_nothing_after(void **state)
{
	sandbox *sb = *state;
	kase k;
	blist l = { .n = 0 };
	vios_field fa[] = { { "case_id", NULL }, { "owner_role", "police" }, { "action", "talk to the pupil" },
			    { "due_date", "2026-12-21" } };
	char ag2[37];
	size_t to_social = 0;
	json_t *rows = NULL;

	open_case(&k, &sb->school, "police,social-team", 0);
	export(&l, &sb->sealed, &sb->school);
	import_all(&sb->social, &l);
	blist_free(&l);

	set_roles(&sb->school, k.kase, "police");
	export(&l, &sb->sealed, &sb->school);
	for (size_t i = 0; i < l.n; i++) {
		vios_crdt_op *ops = NULL;
		size_t n = 0;
		if (!addressed_to(&l.v[i], &sb->social))
			continue;
		to_social++;
		open_ops(&ops, &n, &l.v[i], &sb->social);
		assert_int_equal(n, 1);
		assert_string_equal(ops[0].tbl, "case_file");
		assert_string_equal(ops[0].col, "roles");
		assert_string_equal(ops[0].value.u.text.p, "police");
		assert_string_equal(ops[0].node, sb->school.node->node_id);
		assert_true(ops[0].base_hlc > 0); /* the op itself: it supersedes what the social team holds */
		vios_crdt_ops_free(ops, n);
	}
	assert_int_equal(to_social, 1);
	assert_int_equal(sent_roles(&sb->school, k.kase), VIOS_ROLE_POLICE);
	import_all(&sb->social, &l);
	blist_free(&l);

	/* the social team's copy: the case left its view, with no conflict */
	{
		const char *p[1] = { k.kase };
		json_t *c;
		FX_OK(vios_query(&rows, sb->social.st, "SELECT origin, roles FROM case_file WHERE id = ?", p, 1));
		assert_int_equal(json_array_size(rows), 1);
		c = json_array_get(rows, 0);
		assert_string_equal(json_string_value(json_object_get(c, "roles")), "police");
		assert_int_equal(vios_case_in_view(sb->social.node, json_string_value(json_object_get(c, "origin")),
						   json_string_value(json_object_get(c, "roles"))), 0);
		assert_int_equal(vios_case_in_view(sb->police.node, json_string_value(json_object_get(c, "origin")),
						   json_string_value(json_object_get(c, "roles"))), 1);
		assert_int_equal(vios_case_in_view(sb->school.node, json_string_value(json_object_get(c, "origin")),
						   json_string_value(json_object_get(c, "roles"))), 1);
		assert_int_equal(vios_case_in_view(sb->aud.node, json_string_value(json_object_get(c, "origin")),
						   json_string_value(json_object_get(c, "roles"))), 1);
		FX_OK(vios_case_view_mark(rows, sb->social.node));
		assert_true(json_is_false(json_object_get(c, "in_view")));
		FX_OK(vios_case_view_mark(c, sb->police.node));
		assert_true(json_is_true(json_object_get(c, "in_view")));
		json_decref(rows);
		FX_OK(vios_crdt_conflicts(&rows, sb->social.st));
		assert_int_equal(json_array_size(rows), 0);
		json_decref(rows);
	}

	/* afterwards nothing of the case reaches it */
	fa[0].val = k.kase;
	FX_OK(vios_record_add(ag2, sb->school.st, "agreement", fa, 4));
	FX_OK(vios_case_set_status(sb->school.st, k.kase, "discussed", NULL));
	export(&l, &sb->sealed, &sb->school);
	assert_true(l.n >= 1);
	for (size_t i = 0; i < l.n; i++)
		assert_false(addressed_to(&l.v[i], &sb->social));
	blist_free(&l);
}

static void test_case_view__a_row_written_outside_capture_has_no_state_to_forward(void **state)
{
	sandbox *sb = *state;
	static const char id[] = "01900000-0000-7000-8000-000000000001";
	char ok[37];
	vios_field fp[] = { { "name", "Pupil Three" } };
	vios_crdt_op *ops = NULL;
	size_t n = 0, unclocked = 0;

	/* written without capture: values, no clocks */
	FX_OK(vios_store_tx_begin_uncaptured(sb->school.st));
	assert_int_equal(sqlite3_exec(sb->school.st->db, "INSERT INTO pupil(id, origin, name) VALUES"
					" ('01900000-0000-7000-8000-000000000001', 'x', 'y')", NULL, NULL, NULL), SQLITE_OK);
	FX_OK(vios_store_tx_commit(sb->school.st));
	FX_OK(vios_crdt_row_state(&ops, &n, &unclocked, sb->school.st, "pupil", id, NULL));
	assert_int_equal(n, 0);
	assert_null(ops);
	assert_true(unclocked >= 2); /* origin, name (and the defaults) */

	/* a captured row: every column, in column order, origin first */
	FX_OK(vios_record_add(ok, sb->school.st, "pupil", fp, 1));
	FX_OK(vios_crdt_row_state(&ops, &n, &unclocked, sb->school.st, "pupil", ok, NULL));
	assert_int_equal(unclocked, 0);
	assert_int_equal(n, 8);
	assert_string_equal(ops[0].col, "origin");
	assert_string_equal(ops[0].value.u.text.p, sb->school.node->node_id);
	vios_crdt_ops_free(ops, n);
	FX_OK(vios_crdt_row_state(&ops, &n, NULL, sb->school.st, "pupil", ok, "name"));
	assert_int_equal(n, 1);
	assert_string_equal(ops[0].value.u.text.p, "Pupil Three");
	vios_crdt_ops_free(ops, n);
	assert_int_equal(vios_crdt_row_state(&ops, &n, NULL, sb->school.st, "pupil", ok, "id"), VIOS_EUSAGE);
	assert_int_equal(vios_crdt_row_state(&ops, &n, NULL, sb->school.st, "pupil", id + 1, NULL), VIOS_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_case_view__a_case_opened_with_its_roles_is_sent_once_without_forwarded_state,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_view__an_added_role_gets_the_state_with_the_partners_cell_forwarded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_view__a_pupil_sealed_before_the_case_is_sent_as_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_case_view__a_pupil_of_two_cases_a_role_joins_is_forwarded_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_case_view__a_removed_role_gets_the_roles_op_and_nothing_after, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_case_view__a_row_written_outside_capture_has_no_state_to_forward,
						setup, teardown),
	};
	if (sodium_init() < 0 || vios_git_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("case_view", tests, NULL, NULL);
}
