/*
 * test_payload4.c - vios-payload-4, the compact payload (sync/payload.c,
 * docs/formats.md).
 *
 * Proves: ops of every shape (runs of one record, a record in several
 * entries, columns out of order, shared and mixed base clocks, deletes,
 * forwarded ops, clocks going back, every value type) read back as exactly
 * the ops written, in order, with the access log head and
 * name_check_skipped; a writer refuses ops no reader takes (a cell twice
 * among them); and a hostile
 * payload (a good one, its database then changed) is refused with one line
 * and no ops (numbered: a bitmap naming a column the table lacks, more
 * values than bits, a clock delta that overflows, a node index out of
 * range, a record repeated, and more). vios-payload-1 to -3 stay read
 * (test_payload.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "crdt/crdt.h"
#include "sync/layout.h"
#include "sync/payload.h"
#include "util/error.h"

#define SENDER "01a225e4-cef8-73f3-9d70-a45b48a3ae2e"
#define OTHER "01a225e4-cfbb-78cd-8c7e-ff28405d90f9"
#define PK1 "01a230a7-194e-7360-92ed-8e8dfce6b8b6"
#define PK2 "01a230a7-194e-7360-92ed-8e8dfce6b8b7"
#define HLC 117698204964749312ull

static void header(vios_bundle_header *h, char (*rcpt)[37], long long nops)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->sender, SENDER);
	h->seq = 1;
	strcpy(h->prev, VIOS_ZERO_HASH);
	h->hlc = HLC + 100;
	h->covenant_version = 1;
	h->approves_covenant = 1;
	h->categories = VIOS_CAT_BIT_THEME | VIOS_CAT_BIT_CASE;
	strcpy(rcpt[0], SENDER);
	strcpy(rcpt[1], OTHER);
	h->recipients = rcpt;
	h->nrecipients = 2;
	h->ops = nops;
}

static vios_crdt_op set(const char *tbl, const char *pk, const char *col, uint64_t hlc, const char *node,
			const char *text, uint64_t base_hlc, const char *base_node)
{
	vios_crdt_op op;

	memset(&op, 0, sizeof(op));
	op.kind = VIOS_OP_SET;
	op.tbl = (char *)tbl;
	op.pk = (char *)pk;
	op.col = (char *)col;
	op.hlc = hlc;
	op.node = (char *)node;
	if (text) {
		op.value.type = VIOS_VAL_TEXT;
		op.value.u.text.p = (char *)text;
		op.value.u.text.len = strlen(text);
	}
	op.base_hlc = base_hlc;
	op.base_node = (char *)base_node;
	return op;
}

static void same_op(const vios_crdt_op *a, const vios_crdt_op *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->hlc, b->hlc);
	assert_string_equal(a->node, b->node);
	assert_string_equal(a->tbl, b->tbl);
	assert_string_equal(a->pk, b->pk);
	assert_true((a->col == NULL) == (b->col == NULL));
	if (a->col)
		assert_string_equal(a->col, b->col);
	assert_int_equal(a->value.type, b->value.type);
	if (a->value.type == VIOS_VAL_INT)
		assert_int_equal(a->value.u.i, b->value.u.i);
	if (a->value.type == VIOS_VAL_TEXT) {
		assert_int_equal(a->value.u.text.len, b->value.u.text.len);
		assert_string_equal(a->value.u.text.p, b->value.u.text.p);
	}
	assert_int_equal(a->base_hlc, b->base_hlc);
	assert_true((a->base_node == NULL) == (b->base_node == NULL));
	if (a->base_node)
		assert_string_equal(a->base_node, b->base_node);
}

static void test_payload4__ops_read_back_exactly_in_order(void **state)
{
	vios_crdt_op in[20];
	const vios_crdt_op *v[20];
	vios_crdt_op *back = NULL;
	vios_payload_meta meta;
	vios_bundle_header h;
	vios_log_head log = { 7, { 0x11, 0x22 }, { 0x33 } };
	char rcpt[2][37];
	uint8_t *gz = NULL;
	size_t gzlen = 0, n = 0, k = 0;
	const char *skipped = "trend:" PK1;

	(void)state;
	/* a trend in one run */
	in[k++] = set("trend", PK1, "origin", HLC, SENDER, SENDER, 0, NULL);
	in[k++] = set("trend", PK1, "theme", HLC, SENDER, "weapons", 0, NULL);
	in[k++] = set("trend", PK1, "note", HLC, SENDER, "", 0, NULL);
	in[k++] = set("trend", PK1, "level", HLC, SENDER, NULL, 0, NULL);
	/* a signal: a flag (INT), then its record again after another record's op */
	in[k++] = set("signal", PK2, "theme", HLC + 5, SENDER, "nuisance", 0, NULL);
	in[k] = set("signal", PK2, "parents_informed", HLC + 5, SENDER, NULL, 0, NULL);
	in[k].value.type = VIOS_VAL_INT;
	in[k++].value.u.i = -3;
	in[k++] = set("trend", PK2, "theme", HLC + 1, SENDER, "theft", 0, NULL);
	in[k++] = set("signal", PK2, "note", HLC + 5, SENDER, "seen near the gate", 0, NULL);
	/* columns going back in one clock: two entries */
	in[k++] = set("signal", PK2, "origin", HLC + 5, SENDER, SENDER, 0, NULL);
	/* updates: one base for all, then mixed bases (one none) */
	in[k++] = set("trend", PK1, "theme", HLC + 9, SENDER, "drugs", HLC, SENDER);
	in[k++] = set("trend", PK1, "note", HLC + 9, SENDER, "more", HLC, SENDER);
	in[k++] = set("trend", PK1, "theme", HLC + 20, SENDER, "fire", HLC + 9, SENDER);
	in[k++] = set("trend", PK1, "note", HLC + 20, SENDER, "less", HLC + 2, OTHER);
	in[k++] = set("trend", PK1, "period", HLC + 20, SENDER, "2026-11", 0, NULL);
	/* a forwarded op (another writer), clocks going back, a tombstone */
	in[k++] = set("trend", PK2, "note", HLC - 50, OTHER, "theirs", 0, NULL);
	memset(&in[k], 0, sizeof(in[k]));
	in[k].kind = VIOS_OP_DELETE;
	in[k].tbl = "signal";
	in[k].pk = PK2;
	in[k].hlc = HLC + 30;
	in[k++].node = SENDER;
	/* a table of tombstones only: no columns */
	memset(&in[k], 0, sizeof(in[k]));
	in[k].kind = VIOS_OP_DELETE;
	in[k].tbl = "meeting";
	in[k].pk = PK1;
	in[k].hlc = HLC + 31;
	in[k++].node = OTHER;
	for (size_t i = 0; i < k; i++)
		v[i] = &in[i];
	header(&h, rcpt, (long long)k);
	assert_int_equal(vios_payload_build_v4(&gz, &gzlen, v, k, SENDER, 1, &log, skipped), 0);
	if (vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h) != 0)
		fail_msg("%s", vios_error_last());
	assert_int_equal(n, k);
	for (size_t i = 0; i < k; i++)
		same_op(&in[i], &back[i]);
	assert_int_equal(meta.version, 4);
	assert_int_equal(meta.log.count, 7);
	assert_memory_equal(meta.log.id, log.id, sizeof(log.id));
	assert_memory_equal(meta.log.head, log.head, sizeof(log.head));
	assert_string_equal(meta.name_check_skipped, skipped);
	vios_crdt_ops_free(back, n);
	/* another seq, another op count: refused */
	h.seq = 2;
	assert_int_equal(vios_bundle_payload_read(&back, &n, gz, gzlen, &h), VIOS_ECORRUPT);
	h.seq = 1;
	h.ops = (long long)k + 1;
	assert_int_equal(vios_bundle_payload_read(&back, &n, gz, gzlen, &h), VIOS_ECORRUPT);
	free(gz);
	/* a record whose values together pass the 1 MiB a reader takes of one value */
	{
		size_t big = 400u << 10;
		char *a = malloc(big + 1);
		vios_crdt_op three[3];
		const vios_crdt_op *w[3] = { &three[0], &three[1], &three[2] };
		assert_non_null(a);
		memset(a, 'a', big);
		a[big] = 0;
		three[0] = set("trend", PK1, "theme", HLC, SENDER, a, 0, NULL);
		three[1] = set("trend", PK1, "period", HLC, SENDER, a, 0, NULL);
		three[2] = set("trend", PK1, "note", HLC, SENDER, a, 0, NULL);
		header(&h, rcpt, 3);
		assert_int_equal(vios_payload_build_v4(&gz, &gzlen, w, 3, SENDER, 1, &log, NULL), 0);
		if (vios_bundle_payload_read(&back, &n, gz, gzlen, &h) != 0)
			fail_msg("%s", vios_error_last());
		assert_int_equal(n, 3);
		for (size_t i = 0; i < 3; i++)
			same_op(&three[i], &back[i]);
		vios_crdt_ops_free(back, n);
		free(gz);
		free(a);
	}
	/* no skipped records: no name_check_skipped; no ops at all */
	header(&h, rcpt, 0);
	assert_int_equal(vios_payload_build_v4(&gz, &gzlen, v, 0, SENDER, 1, &log, ""), 0);
	assert_int_equal(vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h), 0);
	assert_int_equal(n, 0);
	assert_int_equal(meta.version, 4);
	assert_string_equal(meta.name_check_skipped, "");
	vios_crdt_ops_free(back, n);
	free(gz);
}

static void test_payload4__writer_refuses_ops_no_reader_takes(void **state)
{
	vios_crdt_op op = set("trend", "not-a-uuid", "theme", HLC, SENDER, "x", 0, NULL);
	const vios_crdt_op *v[1] = { &op };
	vios_log_head log = { 0 };
	uint8_t *gz = NULL;
	size_t gzlen = 0;

	(void)state;
	assert_int_equal(vios_payload_build_v4(&gz, &gzlen, v, 1, SENDER, 1, &log, NULL), VIOS_EUSAGE);
	assert_null(gz);
	op = set("trend", PK1, NULL, HLC, SENDER, "x", 0, NULL);
	assert_int_equal(vios_payload_build_v4(&gz, &gzlen, v, 1, SENDER, 1, &log, NULL), VIOS_EUSAGE);
	op = set("trend", PK1, "theme", HLC, SENDER, "x", HLC, SENDER);
	assert_int_equal(vios_payload_build_v4(&gz, &gzlen, v, 1, SENDER, 1, &log, NULL), VIOS_EUSAGE);
	/* one cell twice (every reader would refuse the payload) */
	{
		vios_crdt_op two[2] = { set("trend", PK1, "theme", HLC, SENDER, "x", 0, NULL),
					set("trend", PK1, "theme", HLC, SENDER, "y", 0, NULL) };
		const vios_crdt_op *w[2] = { &two[0], &two[1] };
		assert_int_equal(vios_payload_build_v4(&gz, &gzlen, w, 2, SENDER, 1, &log, NULL), VIOS_EUSAGE);
		assert_non_null(strstr(vios_error_last(), "twice"));
		assert_null(gz);
	}
}

/* ---- hostile payloads ----------------------------------------------------- */

/*
 * A vios-payload-4 image of three ops (trend PK1: origin and theme at HLC;
 * trend PK2: theme at HLC + 1; by SENDER: two entries), then zSql run on
 * it, gzip'd.
 */
static void tampered(uint8_t **gz, size_t *gzlen, const char *zSql)
{
	vios_crdt_op in[3] = {
		set("trend", PK1, "origin", HLC, SENDER, SENDER, 0, NULL),
		set("trend", PK1, "theme", HLC, SENDER, "weapons", 0, NULL),
		set("trend", PK2, "theme", HLC + 1, SENDER, "theft", 0, NULL),
	};
	const vios_crdt_op *v[3] = { &in[0], &in[1], &in[2] };
	vios_log_head log = { 0 };
	uint8_t *img = NULL;
	size_t len = 0;
	unsigned char *mem, *ser;
	sqlite3_int64 serlen = 0;
	sqlite3 *db = NULL;

	assert_int_equal(vios_payload_image_v4(&img, &len, v, 3, SENDER, 1, &log, NULL), 0);
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	mem = sqlite3_malloc64(len);
	assert_non_null(mem);
	memcpy(mem, img, len);
	free(img);
	assert_int_equal(sqlite3_deserialize(db, "main", mem, (sqlite3_int64)len, (sqlite3_int64)len,
					     SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, zSql, NULL, NULL, NULL), SQLITE_OK);
	ser = sqlite3_serialize(db, "main", &serlen, 0);
	assert_non_null(ser);
	assert_int_equal(vios_payload_gzip(gz, gzlen, ser, (size_t)serlen, 0), 0);
	sqlite3_free(ser);
	sqlite3_close(db);
}

#define COPY2(n, hlc) "INSERT INTO ops_trend SELECT " #n ", pk, " #hlc ", node, cols, base_hlc, base_node, v_origin, v_theme FROM ops_trend WHERE n = 2"

/* Each case a payload the reader refuses with one line and no ops (or takes: why ""), numbered. */
static void test_payload4__hostile_payloads_are_refused(void **state)
{
	static const struct {
		int id;
		long long ops;
		const char *zSql, *why;
	} rows[] = {
		{ 1, 3, "SELECT 1", "" },
		/* a bitmap naming a column the table lacks (its list has two) */
		{ 2, 3, "UPDATE ops_trend SET cols = 7 WHERE n = 1", "names a column its table lacks" },
		{ 3, 3, "UPDATE ops_trend SET cols = -1 WHERE n = 1", "names a column its table lacks" },
		/* more values than bits */
		{ 4, 3, "UPDATE ops_trend SET v_origin = 'x' WHERE n = 2", "a value its column bitmap does not name" },
		/* a clock delta that overflows, or goes below 1 */
		{ 5, 3, "UPDATE ops_trend SET hlc = 9223372036854775807 WHERE n = 2", "leaves the clock's range" },
		{ 6, 3, "UPDATE ops_trend SET hlc = -117698204964749312 WHERE n = 2", "leaves the clock's range" },
		{ 7, 3, "UPDATE ops_trend SET hlc = -9223372036854775808 WHERE n = 2", "leaves the clock's range" },
		{ 8, 3, "UPDATE ops_trend SET hlc = 1.5 WHERE n = 2", "clock delta is not an integer" },
		/* a node index out of range */
		{ 9, 3, "UPDATE ops_trend SET node = 2 WHERE n = 1", "node index is out of range" },
		{ 10, 3, "UPDATE ops_trend SET node = 0 WHERE n = 1", "node index is out of range" },
		/* a record repeated: the same entry again, or one cell of it */
		{ 11, 4, COPY2(3, 0), "one cell or one tombstone twice" },
		{ 12, 4, "INSERT INTO ops_trend VALUES (3, '" PK1 "', -1, 1, 2, NULL, NULL, NULL, 'theft')",
		  "one cell or one tombstone twice" },
		/* ... but other columns of it are another entry, taken */
		{ 13, 3, "UPDATE ops_trend SET cols = 1, v_theme = NULL WHERE n = 1;"
			 "INSERT INTO ops_trend VALUES (3, '" PK1 "', -1, 1, 2, NULL, NULL, NULL, 'theft')", "" },
		/* a tombstone twice */
		{ 14, 4, "UPDATE ops_trend SET cols = 0, v_theme = NULL WHERE n = 2;" COPY2(3, 0),
		  "one cell or one tombstone twice" },
		/* a tombstone with a base or a value */
		{ 15, 3, "UPDATE ops_trend SET cols = 0, v_theme = NULL, base_hlc = 1, base_node = 1 WHERE n = 2",
		  "on a tombstone" },
		{ 16, 3, "UPDATE ops_trend SET cols = 0 WHERE n = 2", "a value its column bitmap does not name" },
		/* entries not numbered 1 to N */
		{ 17, 3, "UPDATE ops_trend SET n = 5 WHERE n = 2", "numbered 1 to N" },
		/* base clocks */
		{ 18, 3, "UPDATE ops_trend SET base_hlc = 117698204964749312, base_node = 1 WHERE n = 1", "not older" },
		{ 19, 3, "UPDATE ops_trend SET base_hlc = 1 WHERE n = 1", "base clock or base node is out of range" },
		{ 20, 3, "UPDATE ops_trend SET base_hlc = 1, base_node = 2 WHERE n = 1", "base clock or base node is out of range" },
		/* the lists */
		{ 21, 3, "UPDATE tables SET name = 'pupils'", "not synced" },
		{ 22, 3, "INSERT INTO tables VALUES ('trend', 'theme')", "or one twice" },
		{ 23, 3, "UPDATE tables SET cols = 'origin nope'", "a column its table lacks" },
		{ 24, 3, "UPDATE tables SET cols = 'origin origin'", "a column its table lacks, or one twice" },
		{ 25, 3, "UPDATE tables SET cols = 'origin  theme'", "a column its table lacks" },
		{ 26, 3, "UPDATE tables SET cols = 'theme origin'", "not as its table list says" },
		{ 27, 3, "INSERT INTO nodes VALUES (2, '" OTHER "')", "" },
		{ 28, 3, "INSERT INTO nodes VALUES (2, '" SENDER "')", "node list" },
		{ 29, 3, "INSERT INTO nodes VALUES (3, '" OTHER "')", "node list" },
		{ 30, 3, "UPDATE nodes SET node = upper(node)", "node list" },
		/* the schema */
		{ 31, 3, "CREATE TABLE ops_signal (a)", "an ops table its table list does not name" },
		{ 32, 3, "CREATE INDEX i ON ops_trend(pk)", "not the payload schema" },
		{ 33, 3, VIOS_PAYLOAD_SQL_OPS, "schema of its version" },
		{ 34, 3, "DROP TABLE nodes", "schema of its version" },
		{ 35, 3, "UPDATE bundle SET value = 'vios-payload-2' WHERE key = 'format'", "schema of its version" },
		/* the ops themselves */
		{ 36, 3, "UPDATE ops_trend SET v_theme = 5 WHERE n = 2", "op 3: bad op" },
		{ 37, 3, "UPDATE ops_trend SET pk = upper(pk) WHERE n = 2", "record id is not a UUID" },
		{ 38, 4, "SELECT 1", "another number of ops than the signed header says" },
		{ 39, 2, "SELECT 1", "more ops than the signed header says" },
		{ 40, 3, "DELETE FROM bundle WHERE key = 'log_head'", "without its access log head" },
		/* a value over 1 MiB, as in versions 1 to 3 */
		{ 41, 3, "UPDATE ops_trend SET v_theme = printf('%.*c', 1100000, 'x') WHERE n = 2", "cannot be read" },
	};
	char rcpt[2][37];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		vios_bundle_header h;
		uint8_t *gz = NULL;
		size_t gzlen = 0, n = 99;
		vios_crdt_op *ops = NULL;
		int rc;

		tampered(&gz, &gzlen, rows[i].zSql);
		header(&h, rcpt, rows[i].ops);
		rc = vios_bundle_payload_read(&ops, &n, gz, gzlen, &h);
		print_message("case %d: %s\n", rows[i].id, rc ? vios_error_last() : "taken");
		if (!*rows[i].why) {
			assert_int_equal(rc, 0);
			assert_int_equal(n, (size_t)rows[i].ops);
			vios_crdt_ops_free(ops, n);
		} else {
			assert_int_equal(rc, VIOS_ECORRUPT);
			assert_null(ops);
			assert_int_equal(n, 0);
			assert_non_null(strstr(vios_error_last(), rows[i].why));
			assert_null(strchr(vios_error_last(), '\n'));
		}
		free(gz);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload4__ops_read_back_exactly_in_order),
		cmocka_unit_test(test_payload4__writer_refuses_ops_no_reader_takes),
		cmocka_unit_test(test_payload4__hostile_payloads_are_refused),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
