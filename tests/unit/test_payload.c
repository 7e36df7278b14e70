/*
 * test_payload.c - the bundle codec (sync/payload.c).
 *
 * Proves: a header formats to the compact sorted JSON the reader parses
 * back field for field; a payload built from ops reads back as the same
 * ops; gzip and gunzip round trip, and gunzip stops a stream that inflates
 * past its bound and refuses trailing bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
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
	assert_string_equal(text, "{\"categories\":[\"theme\"],\"covenant_version\":1,\"format\":\"vios-bundle-1\","
				  "\"hlc\":\"117698204964749312\",\"ops\":1,\"prev\":\"" VIOS_ZERO_HASH "\","
				  "\"recipients\":[\"" SENDER "\",\"" OTHER "\"],\"sender\":\"" SENDER "\",\"seq\":1}");
	assert_int_equal(vios_bundle_header_parse(&back, text), 0);
	assert_string_equal(back.sender, SENDER);
	assert_int_equal(back.hlc, h.hlc);
	assert_int_equal(back.nrecipients, 2);
	assert_string_equal(back.recipients[1], OTHER);
	assert_string_equal(back.json, text);
	vios_bundle_header_dispose(&back);
	free(text);
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
		cmocka_unit_test(test_payload__built_payload_reads_back_as_the_same_ops),
		cmocka_unit_test(test_payload__gunzip_round_trips_and_stops_at_its_bound),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
