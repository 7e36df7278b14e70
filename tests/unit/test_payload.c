/*
 * test_payload.c - the bundle codec (sync/payload.c).
 *
 * Proves: a header formats to the compact sorted JSON the reader parses
 * back field for field; a payload built from ops reads back as the same
 * ops; gzip and gunzip round trip, and gunzip stops a stream that inflates
 * past its bound and refuses trailing bytes; the access log head round
 * trips in vios-payload-2, vios-payload-1 is still read, and a bundle
 * table with a missing, extra or malformed head is refused (numbered).
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

#include "sync/layout.h"
#include "sync/payload.h"
#include "util/error.h"

#define SENDER "01a225e4-cef8-73f3-9d70-a45b48a3ae2e"
#define OTHER "01a225e4-cfbb-78cd-8c7e-ff28405d90f9"

static void header(vios_bundle_header *h, char (*rcpt)[37])
{
	memset(h, 0, sizeof(*h));
	strcpy(h->sender, SENDER);
	h->seq = 1;
	strcpy(h->prev, VIOS_ZERO_HASH);
	h->hlc = 117698204964749312ull;
	h->covenant_version = 1;
	h->approves_covenant = 1;
	h->categories = VIOS_CAT_BIT_THEME;
	strcpy(rcpt[0], SENDER);
	strcpy(rcpt[1], OTHER);
	h->recipients = rcpt;
	h->nrecipients = 2;
	h->ops = 1;
}

static void test_payload__header_formats_and_parses_back(void **state)
{
	char rcpt[2][37], *text = NULL;
	vios_bundle_header h, back;

	(void)state;
	header(&h, rcpt);
	assert_int_equal(vios_bundle_header_format(&text, &h), 0);
	assert_string_equal(text, "{\"approves\":{\"covenant\":1,\"nodes\":[]},\"categories\":[\"theme\"],\"covenant_version\":1,"
				  "\"format\":\"vios-bundle-2\",\"hlc\":\"117698204964749312\",\"ops\":1,\"prev\":\"" VIOS_ZERO_HASH "\","
				  "\"recipients\":[\"" SENDER "\",\"" OTHER "\"],\"sender\":\"" SENDER "\",\"seq\":1}");
	assert_int_equal(vios_bundle_header_parse(&back, text), 0);
	assert_string_equal(back.sender, SENDER);
	assert_int_equal(back.hlc, h.hlc);
	assert_int_equal(back.nrecipients, 2);
	assert_string_equal(back.recipients[1], OTHER);
	assert_string_equal(back.json, text);
	assert_int_equal(back.format, 2);
	assert_int_equal(back.approves_covenant, 1);
	vios_bundle_header_dispose(&back);
	free(text);
}

/* vios-bundle-2: approvals and markings; what the reader refuses; -1 still read. */
static void test_payload__header_2_approvals_markings_and_version_1(void **state)
{
	static const struct {
		int id;
		const char *text; /* with %s for the sender, OTHER is the approved node */
		int ok;
	} rows[] = {
		{ 1, "{\"approves\":{\"covenant\":2,\"nodes\":[\"" OTHER "\"]},\"categories\":[\"case\",\"art10\"],\"covenant_version\":2,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":3,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 1 },
		/* approvals alone: no ops, no categories */
		{ 2, "{\"approves\":{\"covenant\":1,\"nodes\":[\"" OTHER "\"]},\"categories\":[],\"covenant_version\":1,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":0,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 1 },
		/* no ops but a category; ops but no category */
		{ 3, "{\"approves\":{\"covenant\":1,\"nodes\":[]},\"categories\":[\"case\"],\"covenant_version\":1,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":0,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		{ 4, "{\"approves\":{\"covenant\":1,\"nodes\":[]},\"categories\":[],\"covenant_version\":1,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		/* a marking without case; markings out of order */
		{ 5, "{\"approves\":{\"covenant\":1,\"nodes\":[]},\"categories\":[\"theme\",\"art9\"],\"covenant_version\":1,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		{ 6, "{\"approves\":{\"covenant\":1,\"nodes\":[]},\"categories\":[\"case\",\"art10\",\"art9\"],\"covenant_version\":1,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		/* approving a covenant below the one sealed under; the sender itself; unsorted */
		{ 7, "{\"approves\":{\"covenant\":1,\"nodes\":[]},\"categories\":[\"case\"],\"covenant_version\":2,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		{ 8, "{\"approves\":{\"covenant\":1,\"nodes\":[\"" SENDER "\"]},\"categories\":[\"case\"],\"covenant_version\":1,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		{ 9, "{\"approves\":{\"covenant\":1,\"nodes\":[\"" OTHER "\",\"" OTHER "\"]},\"categories\":[\"case\"],\"covenant_version\":1,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		/* -2 without approves; -1 with approves; -1 with a marking */
		{ 10, "{\"categories\":[\"case\"],\"covenant_version\":1,\"format\":\"vios-bundle-2\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		{ 11, "{\"approves\":{\"covenant\":1,\"nodes\":[]},\"categories\":[\"case\"],\"covenant_version\":1,\"format\":\"vios-bundle-1\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		{ 12, "{\"categories\":[\"case\",\"art10\"],\"covenant_version\":1,\"format\":\"vios-bundle-1\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 0 },
		/* -1 as written before consent: still read, no approvals */
		{ 13, "{\"categories\":[\"case\"],\"covenant_version\":1,\"format\":\"vios-bundle-1\",\"hlc\":\"1\",\"ops\":2,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}", 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		vios_bundle_header h;
		int rc = vios_bundle_header_parse(&h, rows[i].text);
		if ((rc == 0) != rows[i].ok)
			fail_msg("row %d: parse gave %d (%s)", rows[i].id, rc, rc ? vios_error_last() : "ok");
		if (rc == 0 && rows[i].id == 1) {
			assert_int_equal(h.categories, VIOS_CAT_BIT_CASE | VIOS_CAT_BIT_ART10);
			assert_int_equal(h.approves_covenant, 2);
			assert_int_equal(h.napproves, 1);
			assert_string_equal(h.approves[0], OTHER);
		}
		if (rc == 0 && rows[i].id == 13) {
			assert_int_equal(h.format, 1);
			assert_int_equal(h.approves_covenant, 0);
			assert_int_equal(h.napproves, 0);
		}
		vios_bundle_header_dispose(&h);
	}
}

/* vios-bundle-3: an epoch announcement round-trips; the reader's refusals. */
static void test_payload__header_3_epoch_round_trips_and_is_strict(void **state)
{
#define H3(epoch, fmt) "{\"approves\":{\"covenant\":1,\"nodes\":[]},\"categories\":[],\"covenant_version\":1," epoch "\"format\":\"" fmt "\",\"hlc\":\"1\",\"ops\":0,\"prev\":\"" VIOS_ZERO_HASH "\",\"recipients\":[\"" SENDER "\"],\"sender\":\"" SENDER "\",\"seq\":1}"
#define RCPT "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
	static const struct {
		int id;
		const char *text;
		int ok;
	} rows[] = {
		{ 1, H3("\"epoch\":{\"n\":2,\"recipient\":\"" RCPT "\",\"since\":\"2026-12-01T08:00:00Z\"},", "vios-bundle-3"), 1 },
		/* -3 without an epoch; -2 with one */
		{ 2, H3("", "vios-bundle-3"), 0 },
		{ 3, H3("\"epoch\":{\"n\":2,\"recipient\":\"" RCPT "\",\"since\":\"2026-12-01T08:00:00Z\"},", "vios-bundle-2"), 0 },
		/* n 0, n too large, n a string */
		{ 4, H3("\"epoch\":{\"n\":0,\"recipient\":\"" RCPT "\",\"since\":\"2026-12-01T08:00:00Z\"},", "vios-bundle-3"), 0 },
		{ 5, H3("\"epoch\":{\"n\":1000001,\"recipient\":\"" RCPT "\",\"since\":\"2026-12-01T08:00:00Z\"},", "vios-bundle-3"), 0 },
		{ 6, H3("\"epoch\":{\"n\":\"2\",\"recipient\":\"" RCPT "\",\"since\":\"2026-12-01T08:00:00Z\"},", "vios-bundle-3"), 0 },
		/* not a recipient; upper case (not canonical); a bad time; an extra member; a missing one */
		{ 7, H3("\"epoch\":{\"n\":2,\"recipient\":\"age1nope\",\"since\":\"2026-12-01T08:00:00Z\"},", "vios-bundle-3"), 0 },
		{ 8, H3("\"epoch\":{\"n\":2,\"recipient\":\"AGE1ZVKYG2LQZRAA2LNJVQEJ32NKUU0UES2S82HZRYE869XEEXVN73EQUNUJWJ\",\"since\":\"2026-12-01T08:00:00Z\"},", "vios-bundle-3"), 0 },
		{ 9, H3("\"epoch\":{\"n\":2,\"recipient\":\"" RCPT "\",\"since\":\"2026-12-01 08:00:00\"},", "vios-bundle-3"), 0 },
		{ 10, H3("\"epoch\":{\"n\":2,\"recipient\":\"" RCPT "\",\"since\":\"2026-12-01T08:00:00Z\",\"x\":1},", "vios-bundle-3"), 0 },
		{ 11, H3("\"epoch\":{\"n\":2,\"recipient\":\"" RCPT "\"},", "vios-bundle-3"), 0 },
		{ 12, H3("\"epoch\":[2],", "vios-bundle-3"), 0 },
	};
	char rcpt[2][37], *text = NULL;
	vios_bundle_header h, back;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		vios_bundle_header x;
		int rc = vios_bundle_header_parse(&x, rows[i].text);
		if ((rc == 0) != rows[i].ok)
			fail_msg("row %d: parse gave %d (%s)", rows[i].id, rc, rc ? vios_error_last() : "ok");
		if (rc == 0) {
			assert_int_equal(x.format, 3);
			assert_int_equal(x.epoch_n, 2);
			assert_string_equal(x.epoch_since, "2026-12-01T08:00:00Z");
		}
		vios_bundle_header_dispose(&x);
	}
	/* the writer writes -3 exactly when it carries an epoch, and it parses back */
	header(&h, rcpt);
	h.epoch_n = 7;
	for (int i = 0; i < 32; i++)
		h.epoch_pk[i] = (uint8_t)(i * 7 + 1);
	strcpy(h.epoch_since, "2027-01-01T00:00:05Z");
	assert_int_equal(vios_bundle_header_format(&text, &h), 0);
	assert_non_null(strstr(text, "\"format\":\"vios-bundle-3\""));
	assert_int_equal(vios_bundle_header_parse(&back, text), 0);
	assert_int_equal(back.format, 3);
	assert_int_equal(back.epoch_n, 7);
	assert_memory_equal(back.epoch_pk, h.epoch_pk, 32);
	assert_string_equal(back.epoch_since, h.epoch_since);
	assert_string_equal(back.json, text);
	vios_bundle_header_dispose(&back);
	free(text);
#undef H3
#undef RCPT
}

static void test_payload__built_payload_reads_back_as_the_same_ops(void **state)
{
	char rcpt[2][37];
	vios_bundle_header h;
	vios_crdt_op op, *back = NULL;
	const vios_crdt_op *ops[1] = { &op };
	uint8_t *gz = NULL;
	size_t gzlen = 0, n = 0;

	(void)state;
	header(&h, rcpt);
	memset(&op, 0, sizeof(op));
	op.kind = VIOS_OP_SET;
	op.hlc = h.hlc;
	op.node = SENDER;
	op.tbl = "trend";
	op.pk = OTHER;
	op.col = "theme";
	op.value.type = VIOS_VAL_TEXT;
	op.value.u.text.p = "weapons";
	op.value.u.text.len = 7;
	assert_int_equal(vios_payload_build(&gz, &gzlen, ops, 1, SENDER, 1), 0);
	assert_int_equal(vios_bundle_payload_read(&back, &n, gz, gzlen, &h), 0);
	assert_int_equal(n, 1);
	assert_string_equal(back[0].tbl, "trend");
	assert_string_equal(back[0].node, SENDER);
	assert_int_equal(back[0].value.type, VIOS_VAL_TEXT);
	assert_string_equal(back[0].value.u.text.p, "weapons");
	vios_crdt_ops_free(back, n);
	/* the same payload under another seq is refused */
	h.seq = 2;
	assert_int_equal(vios_bundle_payload_read(&back, &n, gz, gzlen, &h), VIOS_ECORRUPT);
	free(gz);
}

/* One op, as the round trip test has it. */
static void one_op(vios_crdt_op *op, const vios_bundle_header *h)
{
	memset(op, 0, sizeof(*op));
	op->kind = VIOS_OP_SET;
	op->hlc = h->hlc;
	op->node = SENDER;
	op->tbl = "trend";
	op->pk = OTHER;
	op->col = "theme";
	op->value.type = VIOS_VAL_TEXT;
	op->value.u.text.p = "weapons";
	op->value.u.text.len = 7;
}

static void test_payload__log_head_round_trips_in_version_2(void **state)
{
	char rcpt[2][37];
	vios_bundle_header h;
	vios_crdt_op op, *back = NULL;
	const vios_crdt_op *ops[1] = { &op };
	vios_log_head log;
	vios_payload_meta meta;
	uint8_t *gz = NULL;
	size_t gzlen = 0, n = 0;

	(void)state;
	header(&h, rcpt);
	one_op(&op, &h);
	log.count = 1234567890123LL;
	for (size_t i = 0; i < sizeof(log.head); i++)
		log.head[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(log.id); i++)
		log.id[i] = (uint8_t)(0xf0 - i);
	assert_int_equal(vios_payload_build_with_log(&gz, &gzlen, ops, 1, SENDER, 1, &log), 0);
	assert_int_equal(vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h), 0);
	assert_int_equal(n, 1);
	assert_string_equal(back[0].value.u.text.p, "weapons");
	assert_int_equal(meta.version, 2);
	assert_int_equal(meta.log.count, log.count);
	assert_memory_equal(meta.log.head, log.head, sizeof(log.head));
	assert_memory_equal(meta.log.id, log.id, sizeof(log.id));
	vios_crdt_ops_free(back, n);
	/* the plain reader reads it too (it does not ask for the head) */
	assert_int_equal(vios_bundle_payload_read(&back, &n, gz, gzlen, &h), 0);
	vios_crdt_ops_free(back, n);
	free(gz);
	/* an empty log: count 0, zeros */
	memset(&log, 0, sizeof(log));
	assert_int_equal(vios_payload_build_with_log(&gz, &gzlen, ops, 1, SENDER, 1, &log), 0);
	assert_int_equal(vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h), 0);
	assert_int_equal(meta.version, 2);
	assert_int_equal(meta.log.count, 0);
	vios_crdt_ops_free(back, n);
	free(gz);
}

static void test_payload__version_3_names_the_records_written_without_the_name_check(void **state)
{
	char rcpt[2][37];
	vios_bundle_header h;
	vios_crdt_op op, *back = NULL;
	const vios_crdt_op *ops[1] = { &op };
	vios_log_head log = { 3, { 0x11 }, { 0x22 } };
	vios_payload_meta meta;
	uint8_t *gz = NULL;
	size_t gzlen = 0, n = 0;
	const char *two = "trend:01a230a7-194e-7360-92ed-8e8dfce6b8b6 meeting:01a230a7-194e-7360-92ed-8e8dfce6b8b7";

	(void)state;
	header(&h, rcpt);
	one_op(&op, &h);
	assert_int_equal(vios_payload_build_v3(&gz, &gzlen, ops, 1, SENDER, 1, &log, two), 0);
	assert_int_equal(vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h), 0);
	assert_int_equal(meta.version, 3);
	assert_int_equal(meta.log.count, 3);
	assert_string_equal(meta.name_check_skipped, two);
	vios_crdt_ops_free(back, n);
	free(gz);
	/* none: exactly vios-payload-2, which a vios that knows only 2 reads */
	assert_int_equal(vios_payload_build_v3(&gz, &gzlen, ops, 1, SENDER, 1, &log, ""), 0);
	assert_int_equal(vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h), 0);
	assert_int_equal(meta.version, 2);
	assert_string_equal(meta.name_check_skipped, "");
	vios_crdt_ops_free(back, n);
	free(gz);
}

static void test_payload__version_1_is_still_read(void **state)
{
	char rcpt[2][37];
	vios_bundle_header h;
	vios_crdt_op op, *back = NULL;
	const vios_crdt_op *ops[1] = { &op };
	vios_payload_meta meta;
	uint8_t *gz = NULL;
	size_t gzlen = 0, n = 0;

	(void)state;
	header(&h, rcpt);
	one_op(&op, &h);
	assert_int_equal(vios_payload_build(&gz, &gzlen, ops, 1, SENDER, 1), 0);
	memset(&meta, 0xa5, sizeof(meta));
	assert_int_equal(vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h), 0);
	assert_int_equal(n, 1);
	assert_int_equal(meta.version, 1);
	assert_int_equal(meta.log.count, 0);
	vios_crdt_ops_free(back, n);
	free(gz);
}

/* A version-2 payload whose bundle table then has zSql run on it, gzip'd. */
static void tampered(uint8_t **gz, size_t *gzlen, const vios_bundle_header *h, const char *zSql)
{
	vios_crdt_op op;
	const vios_crdt_op *ops[1] = { &op };
	vios_log_head log = { 5, { 0xab }, { 0xcd } }; /* letters: upper() changes them */
	uint8_t *img = NULL;
	size_t len = 0;
	unsigned char *mem, *ser;
	sqlite3_int64 serlen = 0;
	sqlite3 *db = NULL;

	one_op(&op, h);
	assert_int_equal(vios_payload_image_with_log(&img, &len, ops, 1, SENDER, h->seq, &log), 0);
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

/* Each case a bundle table the reader refuses, numbered. */
static void test_payload__bad_log_head_is_refused(void **state)
{
	static const struct {
		int id;
		const char *zSql, *why;
	} cases[] = {
		{ 1, "DELETE FROM bundle WHERE key = 'log_head'", "without its access log head" },
		{ 2, "DELETE FROM bundle WHERE key IN ('log_head', 'log_count')", "without its access log head" },
		{ 3, "UPDATE bundle SET value = 'vios-payload-1' WHERE key = 'format'", "vios-payload-1 bundle table with an access log head" },
		{ 4, "UPDATE bundle SET value = '05' WHERE key = 'log_count'", "not an id, a count" },
		{ 5, "UPDATE bundle SET value = '-5' WHERE key = 'log_count'", "not an id, a count" },
		{ 6, "UPDATE bundle SET value = upper(value) WHERE key = 'log_head'", "not an id, a count" },
		{ 7, "UPDATE bundle SET value = substr(value, 3) WHERE key = 'log_head'", "not an id, a count" },
		{ 8, "UPDATE bundle SET value = '0' WHERE key = 'log_count'", "all zeros exactly when" },
		{ 9, "INSERT INTO bundle VALUES ('log_count', '6')", "repeated" },
		{ 10, "INSERT INTO bundle VALUES ('log_tail', '6')", "unknown" },
		{ 11, "UPDATE bundle SET value = 'vios-payload-3' WHERE key = 'format'", "vios-payload-3 bundle table without" },
		{ 12, "DELETE FROM bundle WHERE key = 'log_id'", "without its access log head" },
		{ 13, "UPDATE bundle SET value = upper(value) WHERE key = 'log_id'", "not an id" },
		{ 14, "UPDATE bundle SET value = value || '00' WHERE key = 'log_id'", "not an id" },
		/* vios-payload-3: the records written with --no-name-check */
		{ 15, "INSERT INTO bundle VALUES ('name_check_skipped', 'trend:01a230a7-194e-7360-92ed-8e8dfce6b8b6')", "vios-payload-2 bundle table without its access log head, or with a name_check_skipped" },
		{ 16, "UPDATE bundle SET value = 'vios-payload-5' WHERE key = 'format'", "format differ" },
		{ 21, "UPDATE bundle SET value = 'vios-payload-4' WHERE key = 'format'", "schema of its version" },
		{ 17, "UPDATE bundle SET value = 'vios-payload-3' WHERE key = 'format'; INSERT INTO bundle VALUES ('name_check_skipped', '')", "not a list of table:id" },
		{ 18, "UPDATE bundle SET value = 'vios-payload-3' WHERE key = 'format'; INSERT INTO bundle VALUES ('name_check_skipped', 'pupil:01a230a7-194e-7360-92ed-8e8dfce6b8b6')", "not a list of table:id" },
		{ 19, "UPDATE bundle SET value = 'vios-payload-3' WHERE key = 'format'; INSERT INTO bundle VALUES ('name_check_skipped', 'trend:01a230a7-194e-7360-92ed-8e8dfce6b8b6  signal:01a230a7-194e-7360-92ed-8e8dfce6b8b6')", "not a list of table:id" },
		{ 20, "UPDATE bundle SET value = 'vios-payload-3' WHERE key = 'format'; INSERT INTO bundle VALUES ('name_check_skipped', 'trend:Sam de Vries')", "not a list of table:id" },
	};
	char rcpt[2][37];
	vios_bundle_header h;
	vios_crdt_op *back = NULL;
	vios_payload_meta meta;

	(void)state;
	header(&h, rcpt);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *gz = NULL;
		size_t gzlen = 0, n = 0;
		tampered(&gz, &gzlen, &h, cases[i].zSql);
		if (vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h) != VIOS_ECORRUPT)
			fail_msg("case %d: read", cases[i].id);
		if (strstr(vios_error_last(), cases[i].why) == NULL)
			fail_msg("case %d: %s", cases[i].id, vios_error_last());
		assert_null(back);
		free(gz);
	}
	/* and the untampered one reads */
	{
		uint8_t *gz = NULL;
		size_t gzlen = 0, n = 0;
		tampered(&gz, &gzlen, &h, "SELECT 1");
		assert_int_equal(vios_bundle_payload_read_meta(&back, &n, &meta, gz, gzlen, &h), 0);
		assert_int_equal(meta.log.count, 5);
		vios_crdt_ops_free(back, n);
		free(gz);
	}
}

static void test_payload__gunzip_round_trips_and_stops_at_its_bound(void **state)
{
	static const uint8_t text[] = "a payload";
	uint8_t *gz = NULL, *plain = NULL, *more = NULL;
	size_t gzlen = 0, plainlen = 0;

	(void)state;
	assert_int_equal(vios_payload_gzip(&gz, &gzlen, text, sizeof(text), 0), 0);
	assert_int_equal(vios_payload_gunzip(&plain, &plainlen, gz, gzlen, 1024), 0);
	assert_int_equal(plainlen, sizeof(text));
	assert_memory_equal(plain, text, sizeof(text));
	free(plain);
	/* trailing bytes after the stream */
	more = malloc(gzlen + 1);
	assert_non_null(more);
	memcpy(more, gz, gzlen);
	more[gzlen] = 0;
	assert_int_equal(vios_payload_gunzip(&plain, &plainlen, more, gzlen + 1, 1024), VIOS_ECORRUPT);
	assert_null(plain);
	free(more);
	free(gz);
	/* 1 MiB of zeros behind the text: over a 256 KiB bound */
	assert_int_equal(vios_payload_gzip(&gz, &gzlen, text, sizeof(text), 1u << 20), 0);
	assert_true(gzlen < 8192);
	assert_int_equal(vios_payload_gunzip(&plain, &plainlen, gz, gzlen, 256u << 10), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "gzip bomb"));
	assert_int_equal(vios_payload_gunzip(&plain, &plainlen, gz, gzlen, 2u << 20), 0);
	assert_int_equal(plainlen, sizeof(text) + (1u << 20));
	free(plain);
	free(gz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload__header_formats_and_parses_back),
		cmocka_unit_test(test_payload__header_2_approvals_markings_and_version_1),
		cmocka_unit_test(test_payload__header_3_epoch_round_trips_and_is_strict),
		cmocka_unit_test(test_payload__built_payload_reads_back_as_the_same_ops),
		cmocka_unit_test(test_payload__gunzip_round_trips_and_stops_at_its_bound),
		cmocka_unit_test(test_payload__log_head_round_trips_in_version_2),
		cmocka_unit_test(test_payload__version_3_names_the_records_written_without_the_name_check),
		cmocka_unit_test(test_payload__version_1_is_still_read),
		cmocka_unit_test(test_payload__bad_log_head_is_refused),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
