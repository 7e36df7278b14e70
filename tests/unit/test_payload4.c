/*
 * test_payload4.c - vios-payload-4, the compact payload (sync/payload.c,
 * docs/formats.md).
 *
 * Proves: ops of every shape (runs of one record, a record in several
 * entries, columns out of order, shared and mixed base clocks, deletes,
 * forwarded ops, clocks going back, every value type) read back as exactly
 * the ops written, in order, with the access log head and
 * name_check_skipped; a writer refuses ops no reader takes; and a hostile
 * payload, made byte by byte here, is refused with one line and no ops
 * (numbered: a bitmap naming a column the table lacks, more values than
 * bits, a clock delta that overflows, a node index out of range, a record
 * repeated, and more). vios-payload-1 to -3 stay read (test_payload.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crdt/crdt.h"
#include "sync/layout.h"
#include "sync/payload.h"
#include "util/error.h"
#include "util/util.h"

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
	for (size_t i = 0; i < k; i++)
		v[i] = &in[i];
	header(&h, rcpt, (long long)k);
	assert_int_equal(vios_payload_build_v4(&gz, &gzlen, v, k, SENDER, 1, &log, skipped), 0);
	assert_int_equal(vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h), 0);
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
}

/* ---- hostile payloads, byte by byte -------------------------------------- */

typedef struct {
	uint8_t p[4096];
	size_t len;
} img;

static void put(img *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof(b->p));
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void uv(img *b, uint64_t v)
{
	do {
		uint8_t c = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		put(b, &c, 1);
		v >>= 7;
	} while (v);
}

static void str(img *b, const char *s)
{
	uv(b, strlen(s));
	put(b, s, strlen(s));
}

static void id(img *b, const char *uuid)
{
	char hex[33];
	uint8_t raw[16];
	size_t k = 0;

	for (const char *c = uuid; *c; c++)
		if (*c != '-')
			hex[k++] = *c;
	hex[k] = 0;
	assert_int_equal(vios_unhex(raw, 16, hex), 0);
	put(b, raw, 16);
}

/* magic, keys, nodes (SENDER, OTHER: sorted), tables (trend: origin, theme) */
static void prefix(img *b)
{
	static const char magic[] = "vios-payload-4";

	b->len = 0;
	put(b, magic, sizeof(magic));
	uv(b, 5);
	str(b, "sender"), str(b, SENDER);
	str(b, "seq"), str(b, "1");
	str(b, "log_id"), str(b, "00000000000000000000000000000000");
	str(b, "log_count"), str(b, "0");
	str(b, "log_head"), str(b, "0000000000000000000000000000000000000000000000000000000000000000");
	uv(b, 2);
	id(b, SENDER);
	id(b, OTHER);
	uv(b, 1);
	str(b, "trend");
	uv(b, 2);
	str(b, "origin");
	str(b, "theme");
}

/* one entry: table 0, base mode, delete; pk, zigzag'd clock delta, node index */
static void entry(img *b, unsigned base, int del, const char *pk, uint64_t dz, uint64_t node)
{
	uv(b, (uint64_t)base << 1 | (del ? 1u : 0u));
	id(b, pk);
	uv(b, dz);
	uv(b, node);
}

static void text(img *b, const char *s)
{
	uv(b, (uint64_t)strlen(s) << 3 | 3);
	put(b, s, strlen(s));
}

/* Case id: the image built, with the header's op count and the words its error must hold ("" = taken). */
static void hostile(int cid, img *b, long long *nops, const char **why)
{
	static const uint8_t overlong[] = { 0x80, 0x00 };

	prefix(b);
	*nops = 1;
	switch (cid) {
	case 0: /* taken: one entry, theme only */
	case 1: /* a bitmap naming a column the table lacks (bit 2 of 2 columns) */
	case 2: /* more values than bits */
		entry(b, 0, 0, PK1, HLC << 1, 0);
		uv(b, cid == 1 ? 4 : 2);
		text(b, "weapons");
		if (cid == 2)
			text(b, "theft");
		*why = cid == 0 ? "" : cid == 1 ? "names a column its table lacks" : "data after its last entry";
		break;
	case 3: /* a clock delta that overflows: past VIOS_HLC_MAX */
		entry(b, 0, 0, PK1, (VIOS_HLC_MAX + 1) << 1, 0);
		uv(b, 2);
		text(b, "weapons");
		*why = "clock's range";
		break;
	case 4: /* ... or below 1: the second entry goes back past 0 */
		*nops = 2;
		entry(b, 0, 0, PK1, HLC << 1, 0);
		uv(b, 2);
		text(b, "weapons");
		entry(b, 0, 0, PK2, (HLC << 1) - 1, 0);
		uv(b, 2);
		text(b, "theft");
		*why = "clock's range";
		break;
	case 5: /* a node index out of range */
		entry(b, 0, 0, PK1, HLC << 1, 2);
		uv(b, 2);
		text(b, "weapons");
		*why = "node index is out of range";
		break;
	case 6: /* a record repeated: the same entry twice */
	case 7: /* ... or a cell of it in a second entry */
		*nops = cid == 6 ? 2 : 3;
		entry(b, 0, 0, PK1, HLC << 1, 0);
		uv(b, cid == 6 ? 2 : 3);
		text(b, "weapons");
		if (cid == 7)
			text(b, SENDER);
		entry(b, 0, 0, PK1, 0, 0);
		uv(b, 2);
		text(b, "theft");
		*why = "one cell or one tombstone twice";
		break;
	case 8: /* a tombstone twice */
		*nops = 2;
		entry(b, 0, 1, PK1, HLC << 1, 0);
		entry(b, 0, 1, PK1, 0, 0);
		*why = "one cell or one tombstone twice";
		break;
	case 9: /* two entries of one record and clock, other columns: taken */
		*nops = 2;
		entry(b, 0, 0, PK1, HLC << 1, 0);
		uv(b, 2);
		text(b, "weapons");
		entry(b, 0, 0, PK1, 0, 0);
		uv(b, 1);
		text(b, SENDER);
		*why = "";
		break;
	case 10: /* a base clock not older than the op */
		entry(b, 1, 0, PK1, HLC << 1, 0);
		uv(b, 2);
		uv(b, HLC);
		uv(b, 0);
		text(b, "weapons");
		*why = "base clock or base node is out of range";
		break;
	case 11: /* a base node index out of range (per cell) */
		entry(b, 2, 0, PK1, HLC << 1, 0);
		uv(b, 2);
		uv(b, 1);
		uv(b, 2);
		text(b, "weapons");
		*why = "base clock or base node is out of range";
		break;
	case 12: /* base mode 3, a delete with a base */
	case 13:
		entry(b, cid == 12 ? 3 : 1, cid == 13, PK1, HLC << 1, 0);
		*why = "an unknown base";
		break;
	case 14: /* a table the entry's head does not list */
		uv(b, 1 << 3);
		id(b, PK1);
		uv(b, HLC << 1);
		uv(b, 0);
		uv(b, 2);
		text(b, "weapons");
		*why = "names no table in its list";
		break;
	case 15: /* a value of an unknown type; a text longer than the payload */
	case 16:
		entry(b, 0, 0, PK1, HLC << 1, 0);
		uv(b, 2);
		uv(b, cid == 15 ? 5 : 100 << 3 | 3);
		*why = cid == 15 ? "type is unknown" : "longer than its payload";
		break;
	case 17: /* an integer where the column takes text (the op's own check) */
		entry(b, 0, 0, PK1, HLC << 1, 0);
		uv(b, 2);
		uv(b, 1);
		uv(b, 6);
		*why = "op 1: bad op";
		break;
	case 18: /* a varint not in its shortest form */
		entry(b, 0, 0, PK1, HLC << 1, 0);
		put(b, overlong, sizeof(overlong));
		*why = "bitmap is empty";
		break;
	case 19: /* fewer ops than the header says */
		*nops = 2;
		entry(b, 0, 0, PK1, HLC << 1, 0);
		uv(b, 2);
		text(b, "weapons");
		*why = "another number of ops";
		break;
	case 20: /* an empty bitmap */
		entry(b, 0, 0, PK1, HLC << 1, 0);
		uv(b, 0);
		*why = "bitmap is empty";
		break;
	default:
		fail();
	}
}

/* As hostile, with an entry count in front of the entries: made apart, then spliced. */
static void test_payload4__hostile_payloads_are_refused(void **state)
{
	static const struct {
		int cid, entries;
	} rows[] = {
		{ 0, 1 }, { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 2 }, { 5, 1 }, { 6, 2 }, { 7, 2 }, { 8, 2 }, { 9, 2 },
		{ 10, 1 }, { 11, 1 }, { 12, 1 }, { 13, 1 }, { 14, 1 }, { 15, 1 }, { 16, 1 }, { 17, 1 }, { 18, 1 },
		{ 19, 1 }, { 20, 1 },
	};
	char rcpt[2][37];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		vios_bundle_header h;
		img body, full, pre;
		long long nops;
		const char *why = "";
		uint8_t *gz = NULL;
		size_t gzlen = 0, n = 99;
		vios_crdt_op *ops = (vios_crdt_op *)1;
		int rc;

		hostile(rows[i].cid, &body, &nops, &why);
		prefix(&pre);
		full = pre;
		uv(&full, (uint64_t)rows[i].entries);
		put(&full, body.p + pre.len, body.len - pre.len);
		header(&h, rcpt, nops);
		assert_int_equal(vios_payload_gzip(&gz, &gzlen, full.p, full.len, 0), 0);
		rc = vios_bundle_payload_read(&ops, &n, gz, gzlen, &h);
		print_message("case %d: %d %s\n", rows[i].cid, rc, rc ? vios_error_last() : "taken");
		if (!*why) {
			assert_int_equal(rc, 0);
			assert_int_equal(n, (size_t)nops);
			vios_crdt_ops_free(ops, n);
		} else {
			assert_int_equal(rc, VIOS_ECORRUPT);
			assert_null(ops);
			assert_int_equal(n, 0);
			assert_non_null(strstr(vios_error_last(), why));
			assert_null(strchr(vios_error_last(), '\n'));
		}
		free(gz);
	}
}

/* The prefix's own rules: keys, nodes, tables (numbered). */
static void test_payload4__bad_lists_are_refused(void **state)
{
	static const char magic[] = "vios-payload-4";
	char rcpt[2][37];

	(void)state;
	for (int cid = 1; cid <= 8; cid++) {
		vios_bundle_header h;
		img b = { .len = 0 };
		const char *why = NULL;
		uint8_t *gz = NULL;
		size_t gzlen = 0, n = 0;
		vios_crdt_op *ops = NULL;

		put(&b, magic, sizeof(magic));
		uv(&b, cid == 1 ? 6 : cid == 2 ? 4 : 5);
		if (cid == 1)
			str(&b, "format"), str(&b, "vios-payload-4"), why = "unknown, repeated or empty key";
		str(&b, "sender"), str(&b, SENDER);
		str(&b, "seq"), str(&b, cid == 3 ? "2" : "1");
		str(&b, "log_id"), str(&b, "00000000000000000000000000000000");
		str(&b, "log_count"), str(&b, "0");
		if (cid != 2)
			str(&b, "log_head"), str(&b, "0000000000000000000000000000000000000000000000000000000000000000");
		if (cid == 2)
			why = "without its access log head";
		if (cid == 3)
			why = "differ from the signed header";
		uv(&b, 2);
		id(&b, cid == 4 ? OTHER : SENDER);
		id(&b, cid == 4 ? SENDER : OTHER);
		if (cid == 4)
			why = "not in order";
		uv(&b, cid == 7 ? 2 : 1);
		str(&b, cid == 5 ? "pupils" : "trend");
		uv(&b, cid == 8 ? 0 : 2);
		str(&b, "origin");
		str(&b, cid == 6 ? "origin" : "theme");
		if (cid == 5)
			why = "not synced";
		if (cid == 6)
			why = "a column its table lacks, or one twice";
		if (cid == 7) {
			str(&b, "trend"), uv(&b, 1), str(&b, "theme");
			why = "or one twice";
		}
		if (cid == 8)
			why = "no columns";
		uv(&b, 1);
		entry(&b, 0, 0, PK1, HLC << 1, 0);
		uv(&b, 2);
		text(&b, "weapons");
		header(&h, rcpt, 1);
		assert_int_equal(vios_payload_gzip(&gz, &gzlen, b.p, b.len, 0), 0);
		print_message("case %d\n", cid);
		assert_int_equal(vios_bundle_payload_read(&ops, &n, gz, gzlen, &h), VIOS_ECORRUPT);
		assert_non_null(strstr(vios_error_last(), why));
		assert_null(ops);
		free(gz);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload4__ops_read_back_exactly_in_order),
		cmocka_unit_test(test_payload4__writer_refuses_ops_no_reader_takes),
		cmocka_unit_test(test_payload4__hostile_payloads_are_refused),
		cmocka_unit_test(test_payload4__bad_lists_are_refused),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
