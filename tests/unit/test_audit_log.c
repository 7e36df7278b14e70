/*
 * test_audit_log.c - the auditor follows each sender's access log head
 * (sync/audit_replay.c, log_follow; docs/formats.md "Access log chain").
 *
 * Proves, on a hub with a school and an auditor, with the school's own keys
 * sealing theme bundles whose payloads carry a chosen head (what a store
 * copied back would seal): a clean history has no finding; a head with
 * fewer entries than the bundle before it is a finding on that seq and
 * counted by the replay; as many entries with another last hash is one too;
 * a bundle without a head (vios-payload-1) is not compared and the next
 * head is compared with the last one seen; a head of another log id starts
 * a new line (a store made anew), not a finding.
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

#include "store/ledger.h"
#include "store/records.h"
#include "sync/audit.h"
#include "sync/bundle.h"
#include "sync/payload.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

typedef struct {
	fx_world w;
	fx_node school, auditor;
	char trend[37];
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
	vios_field trend[] = { { "theme", "weapons" }, { "period", "2026-11" }, { "level", "rising" } };

	assert_non_null(sb);
	FX_OK(fx_world_make(&sb->w, "vios-audit-log"));
	FX_OK(fx_world_hub(&sb->w));
	FX_OK(fx_node_make(&sb->school, &sb->w, "school", "school", NULL));
	FX_OK(fx_node_make(&sb->auditor, &sb->w, "auditor", "auditor", NULL));
	{
		fx_node *all[] = { &sb->school, &sb->auditor };
		FX_OK(fx_enroll_join(&sb->w, all, 2));
	}
	assert_int_equal(vios_record_add(sb->trend, sb->school.st, "trend", trend, 3), 0);
	sync_ok(sb->school.st);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	fx_node_dispose(&sb->school);
	fx_node_dispose(&sb->auditor);
	fx_world_dispose(&sb->w);
	free(sb);
	return 0;
}

/* The school seals one theme op (its trend's level) as its next seq, the
 * payload carrying log (NULL: a vios-payload-1 payload), and syncs it.
 * Returns the seq. */
static long long school_seals(sandbox *sb, const vios_log_head *log, const char *level)
{
	vios_crdt_op op;
	const vios_crdt_op *pv[1] = { &op };
	const char *rcpt[2] = { sb->school.node->node_id, sb->auditor.node->node_id };
	uint8_t *gz = NULL;
	size_t gzlen = 0;
	long long seq;
	char hash[65];
	uint64_t hlc;

	memset(&op, 0, sizeof(op));
	assert_int_equal(vios_crdt_clock_tick(&hlc, sb->school.st), 0);
	op.kind = VIOS_OP_SET;
	op.hlc = hlc;
	op.node = sb->school.node->node_id;
	op.tbl = "trend";
	op.pk = sb->trend;
	op.col = "level";
	op.value.type = VIOS_VAL_TEXT;
	op.value.u.text.p = (char *)level;
	op.value.u.text.len = strlen(level);
	assert_int_equal(vios_ledger_outbox_last(&seq, hash, sb->school.st), 0);
	assert_int_equal(vios_payload_build_with_log(&gz, &gzlen, pv, 1, sb->school.node->node_id, seq + 1, log), 0);
	if (vios_bundle_seal_payload_to(sb->school.st, gz, gzlen, 1, VIOS_CAT_BIT_THEME, 0, rcpt, 2) != 0)
		fail_msg("sealing: %s", vios_error_last());
	free(gz);
	sync_ok(sb->school.st);
	return seq + 1;
}

/* audit verify with the mandate's replay (the findings) and a replay's report. */
static void audit(vios_audit **a, vios_audit_replay_report *rep, sandbox *sb)
{
	vios_audit_opts opts = { .source = sb->w.repo, .pin = sb->w.pin };
	if (vios_audit_open(a, &opts) != 0)
		fail_msg("audit open: %s", vios_error_last());
	assert_int_equal(vios_audit_verify(*a, NULL, NULL), 0);
	assert_int_equal(vios_audit_mandate(rep, *a, sb->auditor.node), 0);
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

static void test_audit_log__clean_history_has_no_finding(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_replay_report rep;
	vios_log_head now;
	size_t n;

	assert_int_equal(vios_store_log_head(&now, sb->school.st), 0);
	school_seals(sb, &now, "stable");
	audit(&a, &rep, sb);
	vios_audit_findings(a, &n);
	assert_int_equal(n, 0);
	assert_int_equal(rep.log_back, 0);
	vios_audit_free(a);
}

static void test_audit_log__a_log_that_went_back_is_a_finding(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_replay_report rep;
	vios_log_head now, back;
	const vios_audit_finding *f;
	char want[160];
	long long seq;

	assert_int_equal(vios_store_log_head(&now, sb->school.st), 0);
	back = now;
	back.count = 2;
	seq = school_seals(sb, &back, "stable");
	audit(&a, &rep, sb);
	f = finding_on(a, sb->school.node->node_id, seq);
	assert_non_null(f);
	/* the bundle before (the setup's sync) carried more than 2 entries, fewer than now */
	for (long long k = 3; k < now.count; k++) {
		snprintf(want, sizeof(want), "its access log went back from %lld entries to 2: the store was rolled"
			 " back or its log edited", k);
		if (strstr(f ? f->what : "", want))
			break;
		if (k + 1 == now.count)
			fail_msg("finding: %s", f ? f->what : "");
	}
	assert_false(f->breaking);
	assert_int_equal(rep.log_back, 1);
	vios_audit_free(a);
	/* audit replay counts it too */
	{
		vios_audit_opts opts = { .source = sb->w.repo, .pin = sb->w.pin };
		assert_int_equal(vios_audit_open(&a, &opts), 0);
		assert_int_equal(vios_audit_verify(a, NULL, NULL), 0);
		assert_int_equal(vios_audit_replay(&rep, a, sb->auditor.node, 0, NULL, NULL), 0);
		assert_int_equal(rep.log_back, 1);
		assert_non_null(strstr(rep.first_log_back, "went back"));
		vios_audit_free(a);
	}
}

static void test_audit_log__same_count_another_head_is_a_finding(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_replay_report rep;
	vios_log_head first;
	const vios_audit_finding *f;
	long long s1, s2;

	assert_int_equal(vios_store_log_head(&first, sb->school.st), 0);
	s1 = school_seals(sb, &first, "stable");
	first.head[0] ^= 1;
	s2 = school_seals(sb, &first, "falling");
	audit(&a, &rep, sb);
	assert_null(finding_on(a, sb->school.node->node_id, s1));
	f = finding_on(a, sb->school.node->node_id, s2);
	assert_non_null(f);
	assert_non_null(strstr(f ? f->what : "", "but another last entry"));
	vios_audit_free(a);
}

static void test_audit_log__no_head_and_another_log_are_not_compared(void **state)
{
	sandbox *sb = *state;
	vios_audit *a = NULL;
	vios_audit_replay_report rep;
	vios_log_head now, fresh;
	long long s1, s2, s3;

	assert_int_equal(vios_store_log_head(&now, sb->school.st), 0);
	/* a vios-payload-1 bundle: nothing to compare */
	s1 = school_seals(sb, NULL, "stable");
	/* another log (a store made anew): fewer entries, no finding */
	memset(&fresh, 0, sizeof(fresh));
	fresh.count = 1;
	fresh.head[0] = 1;
	randombytes_buf(fresh.id, sizeof(fresh.id));
	s2 = school_seals(sb, &fresh, "falling");
	/* and that new log goes back: a finding against it, not against the old */
	fresh.count = 0;
	memset(fresh.head, 0, sizeof(fresh.head));
	s3 = school_seals(sb, &fresh, "rising");
	audit(&a, &rep, sb);
	assert_null(finding_on(a, sb->school.node->node_id, s1));
	assert_null(finding_on(a, sb->school.node->node_id, s2));
	assert_non_null(finding_on(a, sb->school.node->node_id, s3));
	assert_non_null(strstr(finding_on(a, sb->school.node->node_id, s3)->what, "went back from 1 entries to 0"));
	assert_int_equal(rep.log_back, 1);
	vios_audit_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_audit_log__clean_history_has_no_finding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_log__a_log_that_went_back_is_a_finding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_log__same_count_another_head_is_a_finding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_log__no_head_and_another_log_are_not_compared, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("audit_log", tests, NULL, NULL);
}
