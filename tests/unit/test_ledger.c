/*
 * test_ledger.c - the store's bundle bookkeeping (src/store/ledger.c).
 *
 * Proves: an empty ledger reads as no chain (0, ""); a sender's chain, the
 * bundles seen, held bundles and the outbox each read back what was
 * written; a bundle this node sealed counts as seen under its own id; the
 * outbox moves from sealed to committed (its .age and signature dropped)
 * to pushed; the counts follow; lookups of absent rows are VIOS_ENOTFOUND.
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

#include "node/node.h"
#include "store/ledger.h"
#include "store/store.h"
#include "util/error.h"
#include "util/util.h"

#define OTHER "01a225e4-cfbb-78cd-8c7e-ff28405d90f9"
#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"

typedef struct {
	char dir[64];
	char home[128];
	vios_node *node;
	vios_store *st;
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	vios_secret *pass = NULL;
	char code[VIOS_RECOVERY_LEN + 1];

	assert_non_null(sb);
	strcpy(sb->dir, "/tmp/vios-ledger.XXXXXX");
	assert_non_null(mkdtemp(sb->dir));
	snprintf(sb->home, sizeof(sb->home), "%s/home", sb->dir);
	assert_int_equal(vios_secret_new(&pass, "ledger test passphrase", 22), 0);
	assert_int_equal(vios_node_init(&sb->node, code, sb->home, "school", "unit", NULL, pass, VIOS_KDF_INTERACTIVE), 0);
	vios_secret_free(pass);
	assert_int_equal(vios_store_open(&sb->st, sb->node), 0);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;

	vios_store_free(sb->st);
	vios_node_free(sb->node);
	vios_rm_rf(sb->dir);
	free(sb);
	return 0;
}

static void test_ledger__peer_seen_and_held_read_back_what_was_written(void **state)
{
	sandbox *sb = *state;
	vios_store *st = sb->st;
	static const uint8_t age[] = "not really age";
	uint8_t *back = NULL;
	size_t backlen = 0, n = 0;
	char hash[65], *sig = NULL;
	long long last = -1;
	vios_ledger_held_group *g = NULL;

	assert_int_equal(vios_ledger_peer_get(&last, hash, st, OTHER), 0);
	assert_int_equal(last, 0);
	assert_string_equal(hash, "");
	assert_int_equal(vios_ledger_seen_get(hash, st, OTHER, 1), VIOS_ENOTFOUND);
	assert_int_equal(vios_ledger_held_hash(hash, st, OTHER, 3), VIOS_ENOTFOUND);
	assert_int_equal(vios_ledger_held_get(&back, &backlen, &sig, st, OTHER, 3), VIOS_ENOTFOUND);

	assert_int_equal(vios_store_tx_begin_uncaptured(st), 0);
	assert_int_equal(vios_ledger_peer_set(st, OTHER, 1, H1), 0);
	assert_int_equal(vios_ledger_seen_add(st, OTHER, 1, H1, "applied", "{}", "2026-11-30T00:00:00Z"), 0);
	assert_int_equal(vios_ledger_held_put(st, OTHER, 3, H2, "sig text", "2026-11-30T00:00:00Z", age, sizeof(age)), 0);
	assert_int_equal(vios_store_tx_commit(st), 0);

	assert_int_equal(vios_ledger_peer_get(&last, hash, st, OTHER), 0);
	assert_int_equal(last, 1);
	assert_string_equal(hash, H1);
	assert_int_equal(vios_ledger_seen_get(hash, st, OTHER, 1), 0);
	assert_string_equal(hash, H1);
	assert_int_equal(vios_ledger_held_hash(hash, st, OTHER, 3), 0);
	assert_string_equal(hash, H2);
	assert_int_equal(vios_ledger_held_get(&back, &backlen, &sig, st, OTHER, 3), 0);
	assert_int_equal(backlen, sizeof(age));
	assert_memory_equal(back, age, sizeof(age));
	assert_string_equal(sig, "sig text");
	free(back);
	free(sig);
	assert_int_equal(vios_ledger_held_list(&g, &n, st), 0);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].sender, OTHER);
	assert_int_equal(g[0].first_seq, 3);
	assert_int_equal(g[0].n, 1);
	free(g);

	assert_int_equal(vios_store_tx_begin_uncaptured(st), 0);
	assert_int_equal(vios_ledger_held_delete(st, OTHER, 3), 0);
	assert_int_equal(vios_store_tx_commit(st), 0);
	assert_int_equal(vios_ledger_held_list(&g, &n, st), 0);
	assert_int_equal(n, 0);
	assert_null(g);
}

static void test_ledger__outbox_goes_from_sealed_to_committed_to_pushed(void **state)
{
	sandbox *sb = *state;
	vios_store *st = sb->st;
	static const uint8_t age[] = "sealed bytes";
	vios_ledger_outbox_entry e;
	vios_ledger_counts c;
	char hash[65];
	long long seq = -1, top = -1;
	size_t changed = 9;

	assert_int_equal(vios_ledger_outbox_last(&seq, hash, st), 0);
	assert_int_equal(seq, 0);
	assert_string_equal(hash, "");
	assert_int_equal(vios_ledger_outbox_next_uncommitted(&e, st, 0), VIOS_ENOTFOUND);

	assert_int_equal(vios_store_tx_begin_uncaptured(st), 0);
	assert_int_equal(vios_ledger_outbox_add(st, 1, H1, "{\"seq\":1}", "sig1", "2026-11-30T00:00:00Z", age, sizeof(age)), 0);
	assert_int_equal(vios_ledger_outbox_add(st, 2, H2, "{\"seq\":2}", "sig2", "2026-11-30T00:00:00Z", age, sizeof(age)), 0);
	assert_int_equal(vios_store_tx_commit(st), 0);

	assert_int_equal(vios_ledger_outbox_last(&seq, hash, st), 0);
	assert_int_equal(seq, 2);
	assert_string_equal(hash, H2);
	/* this node's own bundles count as seen under its own id */
	assert_int_equal(vios_ledger_seen_get(hash, st, sb->node->node_id, 1), 0);
	assert_string_equal(hash, H1);
	/* after a seq: the next one above it */
	assert_int_equal(vios_ledger_outbox_next_uncommitted(&e, st, 1), 0);
	assert_int_equal(e.seq, 2);
	vios_ledger_outbox_entry_dispose(&e);
	assert_int_equal(vios_ledger_outbox_next_uncommitted(&e, st, 2), VIOS_ENOTFOUND);
	assert_int_equal(vios_ledger_outbox_next_uncommitted(&e, st, 0), 0);
	assert_int_equal(e.seq, 1);
	assert_int_equal(e.agelen, sizeof(age));
	assert_memory_equal(e.age, age, sizeof(age));
	assert_string_equal(e.sig, "sig1");
	assert_string_equal(e.header, "{\"seq\":1}");
	vios_ledger_outbox_entry_dispose(&e);

	assert_int_equal(vios_store_tx_begin_uncaptured(st), 0);
	assert_int_equal(vios_ledger_outbox_mark_committed(st, 1), 0);
	assert_int_equal(vios_store_tx_commit(st), 0);
	assert_int_equal(vios_ledger_outbox_committed_max(&top, st), 0);
	assert_int_equal(top, 1);
	assert_int_equal(vios_ledger_outbox_next_uncommitted(&e, st, 0), 0);
	assert_int_equal(e.seq, 2);
	vios_ledger_outbox_entry_dispose(&e);

	assert_int_equal(vios_ledger_count(&c, st), 0);
	assert_int_equal(c.sealed, 2);
	assert_int_equal(c.unpushed, 2);
	assert_int_equal(c.held, 0);
	assert_int_equal(vios_ledger_outbox_mark_pushed(&changed, st, top), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(vios_ledger_count(&c, st), 0);
	assert_int_equal(c.unpushed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ledger__peer_seen_and_held_read_back_what_was_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger__outbox_goes_from_sealed_to_committed_to_pushed, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
