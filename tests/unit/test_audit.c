/*
 * test_audit.c - the audit library (sync/audit.h): the --until times
 * (the recipient rule is test_recipients.c's), table-driven with numbered rows; and, on a small hub
 * (hub, school, police, auditor; the school and the police sync), a clean
 * verification with its checkpoint, a registry commit the root did not
 * sign, a ref rewritten since the checkpoint, a malformed checkpoint, an
 * unreachable source, a replay whose digest equals the nodes', the pin a
 * joined home gives without its passphrase, and the throwaway store; and
 * the mandate in the replay: a bundle the police sealed with its own keys
 * holding an op outside the mandate is a finding naming sender, seq and op
 * and holds the police's later bundles, a header whose categories differ
 * from its ops' is one, and an op on a record sealed later waits for it;
 * and freshness: with an expired registry the exporter seals theme data and
 * holds case data until a refresh, and the audit flags case data sealed to a
 * partner after the expiry (theme data then is no finding).
 *
 * One sandbox per test (fixture.h) under $TMPDIR or /tmp, removed afterwards; homes use the cheap
 * Argon2id preset.
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
#include <unistd.h>

#include "sync/audit.h"
#include "crdt/crdt.h"
#include "store/ledger.h"
#include "sync/bundle.h"
#include "sync/payload.h"
#include "sync/git.h"
#include "sync/hub.h"
#include "sync/registry.h"
#include "store/records.h"
#include "sync/sync.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

/* ---- --until -------------------------------------------------------------- */

static void test_audit_time_parse__forms(void **state)
{
	static const struct {
		int id;
		const char *text;
		long long want; /* ms; -1 = refused */
	} rows[] = {
		{ 1, "2026-03-01", 1772409599999LL },             /* through the end of the day */
		{ 2, "2026-03-01T10:30", 1772361059999LL },       /* through the minute */
		{ 3, "2026-03-01T10:30:15Z", 1772361015999LL },   /* through the second */
		{ 4, "2026-03-01T10:30:15.250Z", 1772361015250LL },
		{ 5, "2026-03-01T10:30:15.2", 1772361015299LL },
		{ 6, "2026-02-30", -1 },
		{ 7, "2026-3-1", -1 },
		{ 8, "yesterday", -1 },
		{ 9, "2026-03-01T25:00", -1 },
		{ 10, "2026-03-01T10:30:15.", -1 },
		{ 11, "2026-03-01T10:30:15+01:00", -1 },
		{ 12, "", -1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t ms = 0;
		int rc = vios_audit_time_parse(&ms, rows[i].text);
		if (rows[i].want < 0 ? rc != VIOS_EUSAGE : (rc != 0 || ms != (uint64_t)rows[i].want))
			fail_msg("row %d: '%s' gave %d, %llu", rows[i].id, rows[i].text, rc, (unsigned long long)ms);
	}
}

/* ---- a small hub ------------------------------------------------------------ */

typedef struct {
	fx_world w; /* the hub: w.hub, w.repo */
	char cp[FX_PATH + 32];
	fx_node school, police, auditor;
} sandbox;

static void sync_ok(vios_store *st)
{
	vios_sync_report rep;
	if (vios_sync(&rep, st, NULL) != 0)
		fail_msg("sync: %s", vios_error_last());
}

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-audit-test"));
	snprintf(sb->cp, sizeof(sb->cp), "%s/checkpoint.json", sb->w.dir);
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(&sb->school, &sb->w, "school", "school", NULL));
	FX_OK(fx_node_make(&sb->police, &sb->w, "police", "partner", "police"));
	FX_OK(fx_node_make(&sb->auditor, &sb->w, "auditor", "auditor", NULL));
	{
		fx_node *all[] = { &sb->school, &sb->police, &sb->auditor };
		FX_OK(fx_enroll_join(&sb->w, all, 3));
	}
	/* a trend (theme), then a pupil and its case with the police (case);
	 * the case makes the school's figures of its month (theme) */
	{
		vios_field trend[] = { { "theme", "weapons" }, { "period", "2026-11" }, { "level", "rising" } };
		vios_field pupil[] = { { "name", "Pupil" } };
		vios_field kase[] = { { "pupil_id", NULL }, { "roles", "police" }, { "basis", "public-task" }, { "parents_informed", "1" } };
		char id[37], pid[37];
		assert_int_equal(vios_record_add(id, sb->school.st, "trend", trend, 3), 0);
		sync_ok(sb->school.st);
		assert_int_equal(vios_record_add(pid, sb->school.st, "pupil", pupil, 1), 0);
		kase[0].val = pid;
		assert_int_equal(vios_record_add(id, sb->school.st, "case_file", kase, 4), 0);
		sync_ok(sb->school.st);
	}
	sync_ok(sb->police.st);
	sync_ok(sb->auditor.st);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	fx_node_dispose(&sb->school);
	fx_node_dispose(&sb->police);
	fx_node_dispose(&sb->auditor);
	fx_world_dispose(&sb->w);
	free(sb);
	return 0;
}

static void open_audit(vios_audit **a, sandbox *sb, const char *checkpoint)
{
	vios_audit_opts opts = { .source = sb->w.repo, .pin = sb->w.pin, .checkpoint = checkpoint };
	if (vios_audit_open(a, &opts) != 0)
		fail_msg("audit open: %s", vios_error_last());
	assert_int_equal(vios_audit_verify(*a, NULL, NULL), 0);
}

static int has_finding(const vios_audit *a, const char *what)
{
	size_t n;
	const vios_audit_finding *f = vios_audit_findings(a, &n);
	for (size_t i = 0; i < n; i++)
		if (strstr(f[i].what, what))
			return 1;
	return 0;
}

static void print_findings(const vios_audit *a)
{
	size_t n;
	const vios_audit_finding *f = vios_audit_findings(a, &n);
	for (size_t i = 0; i < n; i++)
		print_message("finding: %s seq %lld: %s\n", f[i].node, f[i].seq, f[i].what);
}

static void test_audit_verify__clean_history_has_no_findings(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_summary sum;
	size_t n;

	open_audit(&a, sb, sb->cp);
	vios_audit_findings(a, &n);
	if (n)
		print_findings(a);
	assert_int_equal(n, 0);
	vios_audit_get_summary(&sum, a);
	assert_int_equal(sum.root_source, VIOS_AUDIT_ROOT_PINNED);
	assert_int_equal(sum.registry_versions, 4);
	assert_int_equal(sum.nodes, 1);
	assert_int_equal(sum.bundles, 3); /* the trend; the case; its figures (school_figure) */
	assert_int_equal(vios_audit_checkpoint_write(a, sb->cp), 0);
	vios_audit_free(a);
	/* the second run trusts the checkpoint's root and finds nothing */
	{
		vios_audit_opts opts = { .source = sb->w.repo, .pin = NULL, .checkpoint = sb->cp };
		assert_int_equal(vios_audit_open(&a, &opts), 0);
		assert_int_equal(vios_audit_verify(a, NULL, NULL), 0);
		vios_audit_findings(a, &n);
		assert_int_equal(n, 0);
		vios_audit_get_summary(&sum, a);
		assert_int_equal(sum.root_source, VIOS_AUDIT_ROOT_CHECKPOINT);
		vios_audit_free(a);
	}
}

static void test_audit_verify__rewritten_ref_since_checkpoint(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	git_repository *repo = NULL;
	git_commit *head = NULL;
	git_reference *ref = NULL;
	git_oid oid;
	char refname[64];

	open_audit(&a, sb, sb->cp);
	assert_int_equal(vios_audit_checkpoint_write(a, sb->cp), 0);
	vios_audit_free(a);
	/* the school's ref moved back one commit in the hub repository */
	vios_layout_node_ref(refname, sizeof(refname), VIOS_NODES_REFS, sb->school.node->node_id);
	assert_int_equal(vios_git_open(&repo, sb->w.repo, 0), 0);
	assert_int_equal(vios_git_ref_oid(&oid, repo, refname), 0);
	assert_int_equal(git_commit_lookup(&head, repo, &oid), 0);
	assert_int_equal(git_reference_create(&ref, repo, refname, git_commit_parent_id(head, 0), 1, "rewrite"), 0);
	git_reference_free(ref);
	git_commit_free(head);
	git_repository_free(repo);
	/* consistent on its own, a rewrite against the checkpoint */
	open_audit(&a, sb, NULL);
	assert_false(has_finding(a, "rewritten"));
	vios_audit_free(a);
	open_audit(&a, sb, sb->cp);
	assert_true(has_finding(a, "was rewritten since the checkpoint"));
	assert_int_equal(vios_audit_checkpoint_write(a, sb->cp), VIOS_EVERIFY);
	vios_audit_free(a);
}

static void test_audit_verify__registry_commit_not_signed_by_root(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	git_repository *repo = NULL;
	git_oid head;
	vios_git_file extra = { "registry/nodes/extra.json", "{}", 2 };

	assert_int_equal(vios_git_open(&repo, sb->w.repo, 0), 0);
	assert_int_equal(vios_git_commit_files(&head, repo, VIOS_REGISTRY_REF, &extra, 1, "sneak a file in", "x", "x@x"), 0);
	git_repository_free(repo);
	open_audit(&a, sb, NULL);
	assert_true(has_finding(a, "not in the signed manifest"));
	assert_true(has_finding(a, "versions go up by one") || has_finding(a, "does not verify"));
	vios_audit_free(a);
}

static void test_audit_open__refuses_malformed_checkpoint(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_opts opts = { .source = sb->w.repo, .pin = NULL, .checkpoint = sb->cp };
	static const char *const bad[] = {
		"not json",
		"{\"format\": \"vios-audit-checkpoint-2\"}",
		"{\"format\": \"vios-audit-checkpoint-2\", \"hub_fingerprint\": \"XYZ\", \"registry\": {}, \"nodes\": {}}",
		"{\"format\": \"vios-audit-checkpoint-2\", \"hub_fingerprint\": \"0123-4567-89AB-CDEF-0123-4567-89AB-CDEF\", \"extra\": 1}",
		/* an old checkpoint: format 1, a 16-digit fingerprint */
		"{\"format\": \"vios-audit-checkpoint-1\", \"hub_fingerprint\": \"0123456789ABCDEF\", \"registry\": {}, \"nodes\": {}}",
		/* format 2 with an old 16-digit fingerprint */
		"{\"format\": \"vios-audit-checkpoint-2\", \"hub_fingerprint\": \"0123456789ABCDEF\", "
		"\"registry\": {\"head\": \"0123456789abcdef0123456789abcdef01234567\", \"version\": 1}, \"nodes\": {}}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vios_file_write_atomic(sb->cp, bad[i], strlen(bad[i]), 0644, 1), 0);
		if (vios_audit_open(&a, &opts) != VIOS_ECORRUPT)
			fail_msg("checkpoint %zu accepted", i);
		assert_null(a);
	}
}

static void test_audit_open__unreachable_source_is_an_error(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	char path[FX_PATH + 32];
	vios_audit_opts opts = { .source = path, .pin = NULL, .checkpoint = NULL };

	snprintf(path, sizeof(path), "%s/nowhere.git", sb->w.dir);
	assert_int_equal(vios_audit_open(&a, &opts), VIOS_ERROR);
	assert_null(a);
	/* a git repository without a registry is no hub */
	snprintf(path, sizeof(path), "%s/school/outbox.git", sb->w.dir);
	assert_int_equal(vios_audit_open(&a, &opts), VIOS_ENOTFOUND);
	assert_non_null(strstr(vios_error_last(), "not a vios hub"));
}

static void test_audit_replay__digest_equals_the_nodes(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_replay_report rep;
	char want[65];

	open_audit(&a, sb, NULL);
	/* everything the auditor received: its own store */
	assert_int_equal(vios_audit_replay(&rep, a, sb->auditor.node, 0, NULL, NULL), 0);
	assert_int_equal(vios_crdt_digest(want, sb->auditor.st, NULL), 0);
	assert_string_equal(rep.digest, want);
	assert_int_equal(rep.cut, 0);
	assert_int_equal(rep.applied, 3);
	vios_audit_free(a);
	/* what the police should hold */
	open_audit(&a, sb, NULL);
	assert_int_equal(vios_audit_replay(&rep, a, sb->auditor.node, 0, sb->police.node->node_id, "case"), 0);
	assert_int_equal(vios_crdt_digest(want, sb->police.st, "case"), 0);
	assert_string_equal(rep.digest, want);
	vios_audit_free(a);
	/* before everything: the empty state */
	open_audit(&a, sb, NULL);
	assert_int_equal(vios_audit_replay(&rep, a, sb->auditor.node, 1000, NULL, NULL), 0);
	assert_int_equal(rep.applied, 0);
	vios_audit_free(a);
}

static void test_audit_home_pin__is_the_joined_hub_without_a_passphrase(void **state)
{
	sandbox *sb = *state;
	fx_node fresh;
	uint8_t pin[VIOS_FINGERPRINT_BYTES];

	FX_OK(fx_node_make(&fresh, &sb->w, "fresh", "auditor", NULL));
	assert_int_equal(vios_audit_home_pin(pin, sb->auditor.node->home), 0);
	assert_memory_equal(pin, sb->w.pin, VIOS_FINGERPRINT_BYTES);
	assert_int_equal(vios_audit_home_pin(pin, fresh.home), VIOS_ENOTFOUND);
	fx_node_dispose(&fresh);
}

static void test_store_open_temp__fresh_and_never_reused(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;
	char dir[FX_PATH + 32], hex[65], empty[65];

	snprintf(dir, sizeof(dir), "%s/tmpstore", sb->w.dir);
	assert_int_equal(vios_mkdir_p(dir, 0700), 0);
	assert_int_equal(vios_crdt_store_open_temp(&st, sb->auditor.node, dir), 0);
	assert_int_equal(vios_crdt_digest(empty, st, NULL), 0);
	assert_int_equal(vios_store_check(st), 0);
	vios_store_free(st);
	/* the key is gone: the store is never opened again */
	assert_int_equal(vios_crdt_store_open_temp(&st, sb->auditor.node, dir), VIOS_EEXISTS);
	assert_null(st);
	/* a node's own store is not the throwaway one */
	assert_int_equal(vios_crdt_digest(hex, sb->auditor.st, NULL), 0);
	assert_string_not_equal(hex, empty);
}


/* ---- the mandate in the replay ----------------------------------------------- */

/* The id of the one row of a table in st (the setup makes one pupil, one case). */
static void one_id(char out[37], vios_store *st, const char *sql)
{
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	snprintf(out, 37, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
}

/* Seals ops (text values; NULL value: SQL NULL; col NULL: a delete) as
 * from's next bundle with header categories cats, to the school, the police
 * and the auditor: what tests/tools/t_forge.c 'ops' does. */
static void seals_as(sandbox *sb, fx_node *from, unsigned cats, const char *const (*spec)[4], size_t n)
{
	vios_crdt_op ops[8];
	const vios_crdt_op *pv[8];
	const char *rcpt[3] = { sb->school.node->node_id, sb->police.node->node_id, sb->auditor.node->node_id };
	uint8_t *gz = NULL;
	size_t gzlen = 0;
	long long seq;
	char hash[65];
	uint64_t hlc;

	assert_true(n <= 8);
	assert_int_equal(vios_crdt_clock_tick(&hlc, from->st), 0);
	for (size_t i = 0; i < n; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].kind = spec[i][2] ? VIOS_OP_SET : VIOS_OP_DELETE;
		ops[i].hlc = hlc;
		ops[i].node = from->node->node_id;
		ops[i].tbl = (char *)spec[i][0];
		ops[i].pk = (char *)spec[i][1];
		ops[i].col = (char *)spec[i][2];
		if (spec[i][2] && spec[i][3]) {
			ops[i].value.type = VIOS_VAL_TEXT;
			ops[i].value.u.text.p = (char *)spec[i][3];
			ops[i].value.u.text.len = strlen(spec[i][3]);
		}
		pv[i] = &ops[i];
	}
	assert_int_equal(vios_ledger_outbox_last(&seq, hash, from->st), 0);
	assert_int_equal(vios_payload_build(&gz, &gzlen, pv, n, from->node->node_id, seq + 1), 0);
	if (vios_bundle_seal_payload_to(from->st, gz, gzlen, (long long)n, cats, 0, rcpt, 3) != 0)
		fail_msg("sealing: %s", vios_error_last());
	free(gz);
}

static void police_seals(sandbox *sb, unsigned cats, const char *const (*spec)[4], size_t n)
{
	seals_as(sb, &sb->police, cats, spec, n);
}

static const vios_audit_finding *finding_on(const vios_audit *a, const char *node, long long seq)
{
	size_t n;
	const vios_audit_finding *f = vios_audit_findings(a, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].node, node) && f[i].seq == seq)
			return &f[i];
	return NULL;
}

static void test_audit_mandate__refused_bundle_is_a_finding_and_holds_its_sender(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_replay_report rep;
	vios_sync_report srep;
	const vios_audit_finding *f;
	char pid[37], want[200], dig[65], sig[37];
	vios_field signal[] = { { "theme", "other" }, { "note", "seen at the gate" } };

	one_id(pid, sb->school.st, "SELECT id FROM pupil");
	{
		const char *const rename[][4] = { { "pupil", pid, "name", "Renamed by the police" } };
		police_seals(sb, VIOS_CAT_BIT_CASE, rename, 1);
	}
	/* a later bundle the police may send: held behind the refused one */
	assert_int_equal(vios_record_add(sig, sb->police.st, "signal", signal, 2), 0);
	sync_ok(sb->police.st);
	/* the school refuses it as every node does */
	assert_int_equal(vios_sync(&srep, sb->school.st, NULL), VIOS_EVERIFY);
	assert_int_equal(srep.alarms, 1);

	open_audit(&a, sb, NULL);
	assert_int_equal(vios_audit_mandate(&rep, a, sb->auditor.node), 0);
	if ((f = finding_on(a, sb->police.node->node_id, 1)) == NULL) {
		print_findings(a);
		fail_msg("no finding on the police's seq 1");
	}
	snprintf(want, sizeof(want), "mandate: op 1 of 1 (set pupil.name of %s): the police role may not change the name of a pupil owned by school", pid);
	if (strstr(f->what, want) == NULL || strstr(f->what, "partner (\"police\", police)") == NULL ||
	    strstr(f->what, "seq 2 to 2 are held behind it") == NULL)
		fail_msg("finding: %s", f->what);
	assert_true(f->breaking);
	assert_null(finding_on(a, sb->police.node->node_id, 2));
	assert_int_equal(rep.refused, 1);
	assert_int_equal(rep.held, 1);
	vios_audit_free(a);
	/* the replay for the school: what the school holds, exit-worthy refusals counted */
	open_audit(&a, sb, NULL);
	assert_int_equal(vios_audit_replay(&rep, a, sb->auditor.node, 0, sb->school.node->node_id, NULL), 0);
	assert_int_equal(vios_crdt_digest(dig, sb->school.st, NULL), 0);
	assert_string_equal(rep.digest, dig);
	assert_int_equal(rep.refused, 1);
	assert_non_null(strstr(rep.first_refused, "may not change the name"));
	vios_audit_free(a);
}

static void test_audit_mandate__header_categories_must_equal_the_ops(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_replay_report rep;
	const vios_audit_finding *f;
	char sid[37];
	/* the police's own signal without a pupil (theme data), sealed as case data */
	vios_uuid7(sid);
	{
		const char *const own[][4] = { { "signal", sid, "origin", sb->police.node->node_id },
					       { "signal", sid, "pupil_id", NULL },
					       { "signal", sid, "theme", "alcohol" } };
		police_seals(sb, VIOS_CAT_BIT_CASE, own, 3);
	}
	sync_ok(sb->police.st);
	open_audit(&a, sb, NULL);
	assert_int_equal(vios_audit_mandate(&rep, a, sb->auditor.node), 0);
	if ((f = finding_on(a, sb->police.node->node_id, 1)) == NULL ||
	    strstr(f->what, "the header names case data but the ops are theme data") == NULL) {
		print_findings(a);
		fail_msg("no categories finding");
	}
	assert_int_equal(rep.refused, 1);
	vios_audit_free(a);
}

static void test_audit_mandate__an_op_waits_for_the_record_it_needs(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_replay_report rep;
	vios_sync_report srep;
	size_t n;
	char cid[37], agid[37], want[65];
	vios_field ag[] = { { "case_id", NULL }, { "owner_role", "police" }, { "action", "home visit" }, { "due_date", "2026-12-20" } };

	/* the school assigns an agreement to the police but seals it only
	 * after the police sealed its answer: in clock order the answer comes
	 * first, on a record not held yet, and waits for it */
	one_id(cid, sb->school.st, "SELECT id FROM case_file");
	ag[0].val = cid;
	if (vios_record_add(agid, sb->school.st, "agreement", ag, 4) != 0)
		fail_msg("agreement: %s", vios_error_last());
	usleep(5000); /* the police's answer has a later clock than the assignment (a grant holds for later ops) */
	{
		const char *const done[][4] = { { "agreement", agid, "status", "done" },
						{ "agreement", agid, "feedback", "visited" } };
		police_seals(sb, VIOS_CAT_BIT_CASE, done, 2);
	}
	sync_ok(sb->police.st);
	sync_ok(sb->school.st);
	if (vios_sync(&srep, sb->auditor.st, NULL) != 0)
		fail_msg("auditor sync: %s", vios_error_last());
	open_audit(&a, sb, NULL);
	assert_int_equal(vios_audit_mandate(&rep, a, sb->auditor.node), 0);
	vios_audit_findings(a, &n);
	if (n)
		print_findings(a);
	assert_int_equal(n, 0);
	assert_int_equal(rep.refused, 0);
	assert_int_equal(vios_crdt_digest(want, sb->auditor.st, NULL), 0);
	assert_string_equal(rep.digest, want);
	vios_audit_free(a);
	/* the auditor's store, which imported in passes, holds the answer */
	{
		char status[37];
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT status FROM agreement WHERE id = '%s'", agid);
		one_id(status, sb->auditor.st, sql);
		assert_string_equal(status, "done");
	}
}

/* ---- freshness (issue 14) ----------------------------------------------------- */

/* The hub signs its registry again expiring in a second, installs it, and the test waits it out. */
static void registry_expires(sandbox *sb)
{
	git_repository *repo = NULL;
	vios_registry *reg = NULL, *next = NULL;
	git_oid head, commit;

	FX_OK(vios_git_open(&repo, sb->w.repo, 0));
	FX_OK(vios_git_ref_oid(&head, repo, VIOS_REGISTRY_REF));
	FX_OK(vios_registry_load(&reg, repo, &head, sb->w.pin));
	FX_OK(vios_registry_publish_until(&commit, repo, sb->w.hub.node, reg->nodes, reg->n, reg->covenant.text,
					  reg->version + 1, "expires in a second", (long long)time(NULL) + 1));
	FX_OK(vios_registry_load(&next, repo, &commit, sb->w.pin));
	FX_OK(vios_trust_install(sb->w.hub.st, repo, next, NULL, sb->w.pin));
	vios_registry_free(next);
	vios_registry_free(reg);
	git_repository_free(repo);
	sleep(2);
}

static void test_export__expired_registry_seals_theme_and_holds_case_data(void **state)
{
	sandbox *sb = *state;
	vios_field trend[] = { { "theme", "alcohol" }, { "period", "2026-11" }, { "level", "stable" } };
	vios_field pupil[] = { { "name", "Pupil Two" } };
	vios_export_report ex;
	git_repository *repo = NULL;
	vios_registry *reg = NULL, *next = NULL;
	git_oid head, commit;
	size_t pending;
	char id[37];

	registry_expires(sb);
	sync_ok(sb->school.st); /* the school installs the expired registry */
	/* a case-data row first, then a theme one: the theme one still goes */
	assert_int_equal(vios_record_add(id, sb->school.st, "pupil", pupil, 1), 0);
	assert_int_equal(vios_record_add(id, sb->school.st, "trend", trend, 3), 0);
	FX_OK(vios_bundle_export(&ex, sb->school.st));
	assert_int_equal(ex.bundles, 1);
	assert_true(ex.held > 0);
	FX_OK(vios_crdt_pending_count(&pending, sb->school.st));
	assert_int_equal(pending, ex.held);
	/* a fresh registry: the held case data goes */
	FX_OK(vios_git_open(&repo, sb->w.repo, 0));
	FX_OK(vios_git_ref_oid(&head, repo, VIOS_REGISTRY_REF));
	FX_OK(vios_registry_load(&reg, repo, &head, sb->w.pin));
	FX_OK(vios_registry_refresh(&commit, repo, sb->w.hub.node, reg, 30));
	FX_OK(vios_registry_load(&next, repo, &commit, sb->w.pin));
	FX_OK(vios_trust_install(sb->w.hub.st, repo, next, NULL, sb->w.pin));
	vios_registry_free(next);
	vios_registry_free(reg);
	git_repository_free(repo);
	sync_ok(sb->school.st);
	FX_OK(vios_crdt_pending_count(&pending, sb->school.st));
	assert_int_equal(pending, 0);
}

static void test_audit_verify__case_data_sealed_after_the_registry_expired(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	const vios_audit_finding *f;
	char pid[37], tid[37];
	size_t n;

	one_id(pid, sb->school.st, "SELECT id FROM pupil");
	one_id(tid, sb->school.st, "SELECT id FROM trend");
	registry_expires(sb);
	sync_ok(sb->school.st);
	{
		/* theme data after the expiry: as the covenant says, no finding */
		const char *const level[][4] = { { "trend", tid, "level", "falling" } };
		seals_as(sb, &sb->school, VIOS_CAT_BIT_THEME, level, 1);
	}
	{
		/* case data to the police after the expiry: what no exporter seals */
		const char *const rename[][4] = { { "pupil", pid, "name", "Renamed" } };
		seals_as(sb, &sb->school, VIOS_CAT_BIT_CASE, rename, 1);
	}
	sync_ok(sb->school.st);
	open_audit(&a, sb, NULL);
	vios_audit_findings(a, &n);
	if (n != 1 || (f = finding_on(a, sb->school.node->node_id, 5)) == NULL ||
	    strstr(f->what, "case data sealed to partner") == NULL || strstr(f->what, sb->police.node->node_id) == NULL ||
	    strstr(f->what, "expired at") == NULL) {
		print_findings(a);
		fail_msg("want one finding on the school's seq 5 (case data after the expiry)");
	}
	vios_audit_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_time_parse__forms),
		cmocka_unit_test_setup_teardown(test_audit_verify__clean_history_has_no_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_verify__rewritten_ref_since_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_verify__registry_commit_not_signed_by_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_open__refuses_malformed_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_open__unreachable_source_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_replay__digest_equals_the_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_home_pin__is_the_joined_hub_without_a_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_temp__fresh_and_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_mandate__refused_bundle_is_a_finding_and_holds_its_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_mandate__header_categories_must_equal_the_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_mandate__an_op_waits_for_the_record_it_needs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export__expired_registry_seals_theme_and_holds_case_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_verify__case_data_sealed_after_the_registry_expired, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
