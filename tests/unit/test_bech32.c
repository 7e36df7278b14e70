/*
 * test_bech32.c - Bech32 against the BIP-173 checksum test vectors, and the
 * age key encodings built on it (round trips, a key pair made by the stock
 * age-keygen, the example key from the age spec, malformed keys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/age.h"
#include "crypto/bech32.h"
#include "util/error.h"

typedef struct {
	int id;
	const char *text;
	const char *why;
} vector;

/* BIP-173 "Test vectors": valid Bech32 strings (checksum level). */
static const vector bip173_valid[] = {
	{ 1, "A12UEL5L", "" },
	{ 2, "a12uel5l", "" },
	{ 3, "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs", "" },
	{ 4, "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "" },
	{ 5, "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j", "" },
	{ 6, "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "" },
	{ 7, "?1ezyfcl", "" },
};

/* BIP-173 "Test vectors": invalid Bech32 strings and the reason given. */
static const vector bip173_invalid[] = {
	{ 1, "\x20" "1nwldj5", "HRP character out of range" },
	{ 2, "\x7f" "1axkwrx", "HRP character out of range" },
	{ 3, "\x80" "1eym55h", "HRP character out of range" },
	{ 4, "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
	  "overall max length exceeded" },
	{ 5, "pzry9x0s0muk", "No separator character" },
	{ 6, "1pzry9x0s0muk", "Empty HRP" },
	{ 7, "x1b4n0q5v", "Invalid data character" },
	{ 8, "li1dgmt3", "Too short checksum" },
	{ 9, "de1lg7wt" "\xff", "Invalid character in checksum" },
	{ 10, "A1G7SGD8", "checksum calculated with uppercase form of HRP" },
	{ 11, "10a06t8", "empty HRP" },
	{ 12, "1qzzfhee", "empty HRP" },
};

/* Made with `age-keygen` (age 1.1.1) for this test; the key protects nothing. */
static const char keygen_identity[] =
	"AGE-SECRET-KEY-1DN2UH4FHA28UZ04LFTTJM3F8R4HAXFJK0AE9RJ562P86TL7LQDFQYFHTTX";
static const char keygen_recipient[] =
	"age1l5uwytmdvcwvpsc0d26prvlctqdvvxjhxff5fz629ss07ys3lceszazcvs";

/* The example X25519 key in the age spec (c2sp.org/age). */
static const char spec_identity[] =
	"AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
static const char spec_recipient[] =
	"age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";

static void test_bech32__bip173_valid_vectors_pass(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bip173_valid) / sizeof(bip173_valid[0]); i++) {
		if (vios_bech32_check(bip173_valid[i].text) != 0)
			fail_msg("valid vector %d (%s) rejected: %s", bip173_valid[i].id,
				 bip173_valid[i].text, vios_error_last());
	}
}

static void test_bech32__bip173_invalid_vectors_fail(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bip173_invalid) / sizeof(bip173_invalid[0]); i++) {
		if (vios_bech32_check(bip173_invalid[i].text) != VIOS_ECORRUPT)
			fail_msg("invalid vector %d (%s) accepted", bip173_invalid[i].id,
				 bip173_invalid[i].why);
	}
}

static void test_bech32__decode_valid_vectors_reencode_identically(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bip173_valid) / sizeof(bip173_valid[0]); i++) {
		const char *text = bip173_valid[i].text;
		char hrp[100], again[200];
		uint8_t data[100];
		size_t len, j;
		int upper = text[0] >= 'A' && text[0] <= 'Z';

		/* Some vectors carry 5-bit data that is not whole bytes. */
		if (vios_bech32_decode(hrp, sizeof(hrp), data, sizeof(data), &len, text, 90) != 0)
			continue;
		assert_int_equal(vios_bech32_encode(again, sizeof(again), hrp, data, len, upper), 0);
		for (j = 0; text[j]; j++)
			if (text[j] != again[j])
				fail_msg("vector %d re-encodes as %s", bip173_valid[i].id, again);
		assert_int_equal(again[j], '\0');
	}
}

static void test_bech32__no_length_limit_outside_check(void **state)
{
	char hrp[100];
	uint8_t data[1];
	size_t len;

	(void)state;
	/* Invalid vector 4 fails only on BIP-173's 90-character limit. */
	assert_int_equal(vios_bech32_decode(hrp, sizeof(hrp), data, sizeof(data), &len,
					    bip173_invalid[3].text, 200), 0);
	assert_int_equal(len, 0);
	assert_int_equal(vios_bech32_decode(hrp, sizeof(hrp), data, sizeof(data), &len,
					    bip173_invalid[3].text, 90), VIOS_ECORRUPT);
}

/*
 * An independent BIP-173 checksum, used only to build strings whose 5-bit
 * data is not whole bytes (the encoder under test cannot make those).
 */
static void build(char *out, const char *hrp, const char *data5)
{
	static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };
	uint32_t values[256], chk = 1;
	size_t n = 0, i, hl = strlen(hrp), dl = strlen(data5);

	for (i = 0; i < hl; i++)
		values[n++] = (uint8_t)hrp[i] >> 5;
	values[n++] = 0;
	for (i = 0; i < hl; i++)
		values[n++] = (uint8_t)hrp[i] & 31;
	for (i = 0; i < dl; i++)
		values[n++] = (uint32_t)(strchr(cs, data5[i]) - cs);
	for (i = 0; i < 6; i++)
		values[n++] = 0;
	for (i = 0; i < n; i++) {
		uint32_t top = chk >> 25;

		chk = ((chk & 0x1ffffff) << 5) ^ values[i];
		for (int j = 0; j < 5; j++)
			if ((top >> j) & 1)
				chk ^= gen[j];
	}
	chk ^= 1;
	strcpy(out, hrp);
	strcat(out, "1");
	strcat(out, data5);
	n = strlen(out);
	for (i = 0; i < 6; i++)
		out[n++] = cs[(chk >> (5 * (5 - i))) & 31];
	out[n] = '\0';
}

static void test_bech32__decode_rejects_mixed_case_and_bad_padding(void **state)
{
	char hrp[16], text[200];
	uint8_t data[64], in[3] = { 0xff, 0xff, 0xff };
	size_t len;

	(void)state;
	build(text, "a", "");
	assert_string_equal(text, "a12uel5l");	/* the helper agrees with BIP-173 */

	assert_int_equal(vios_bech32_check("A12uEL5L"), VIOS_ECORRUPT);
	assert_int_equal(vios_bech32_decode(hrp, sizeof(hrp), data, sizeof(data), &len,
					    "A12uEL5L", 90), VIOS_ECORRUPT);

	/* 10 bits: one byte and two zero padding bits. */
	build(text, "x", "qq");
	assert_int_equal(vios_bech32_decode(hrp, sizeof(hrp), data, sizeof(data), &len, text, 90), 0);
	assert_int_equal(len, 1);
	assert_int_equal(data[0], 0);
	/* 10 bits with the two padding bits set. */
	build(text, "x", "ql");
	assert_int_equal(vios_bech32_check(text), 0);
	assert_int_equal(vios_bech32_decode(hrp, sizeof(hrp), data, sizeof(data), &len, text, 90),
			 VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "padding"));
	/* 5 bits: no whole byte, five bits of padding. */
	build(text, "x", "q");
	assert_int_equal(vios_bech32_check(text), 0);
	assert_int_equal(vios_bech32_decode(hrp, sizeof(hrp), data, sizeof(data), &len, text, 90),
			 VIOS_ECORRUPT);

	/* 3 bytes -> 5 groups, the last holding 4 zero padding bits. */
	assert_int_equal(vios_bech32_encode(text, sizeof(text), "x", in, sizeof(in), 0), 0);
	assert_int_equal(vios_bech32_decode(hrp, sizeof(hrp), data, sizeof(data), &len, text, 200), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, in, 3);
	/* Too little room for the data is an error, not a truncation. */
	assert_int_equal(vios_bech32_decode(hrp, sizeof(hrp), data, 2, &len, text, 200), VIOS_ECORRUPT);
	/* Too little room for the HRP. */
	assert_int_equal(vios_bech32_decode(hrp, 1, data, sizeof(data), &len, text, 200), VIOS_ECORRUPT);
	/* Output buffer too small. */
	assert_int_equal(vios_bech32_encode(text, 5, "x", in, sizeof(in), 0), VIOS_ERROR);
}

static void test_bech32__age_keygen_pair_matches(void **state)
{
	uint8_t *sk = sodium_malloc(32);
	uint8_t pk[32], want[32];
	char text[VIOS_AGE_RECIPIENT_LEN + 1];

	(void)state;
	assert_non_null(sk);
	assert_int_equal(vios_age_identity_parse(sk, keygen_identity), 0);
	assert_int_equal(crypto_scalarmult_base(pk, sk), 0);
	assert_int_equal(vios_age_recipient_format(text, sizeof(text), pk), 0);
	assert_string_equal(text, keygen_recipient);
	assert_int_equal(vios_age_recipient_parse(want, keygen_recipient), 0);
	assert_memory_equal(want, pk, 32);
	sodium_free(sk);
}

static void test_bech32__age_spec_example_pair_matches(void **state)
{
	uint8_t *sk = sodium_malloc(32);
	uint8_t pk[32];
	char text[VIOS_AGE_IDENTITY_LEN + 1];
	size_t i;

	(void)state;
	assert_non_null(sk);
	assert_int_equal(vios_age_identity_parse(sk, spec_identity), 0);
	/* The spec's example identity is 32 bytes of 0x42 ("BBBB..."). */
	assert_int_equal(vios_age_identity_format(text, sizeof(text), sk), 0);
	assert_string_equal(text, spec_identity);
	assert_int_equal(crypto_scalarmult_base(pk, sk), 0);
	assert_int_equal(vios_age_recipient_format(text, sizeof(text), pk), 0);
	assert_string_equal(text, spec_recipient);
	for (i = 0; i < 32; i++)
		assert_int_equal(sk[i], 0x42);
	sodium_free(sk);
}

static void test_bech32__age_keys_round_trip(void **state)
{
	int round;

	(void)state;
	for (round = 0; round < 50; round++) {
		uint8_t *sk = sodium_malloc(32), *sk2 = sodium_malloc(32);
		uint8_t pk[32], pk2[32];
		char id[VIOS_AGE_IDENTITY_LEN + 1], rc[VIOS_AGE_RECIPIENT_LEN + 1];

		assert_non_null(sk);
		assert_non_null(sk2);
		randombytes_buf(sk, 32);
		assert_int_equal(crypto_scalarmult_base(pk, sk), 0);
		assert_int_equal(vios_age_identity_format(id, sizeof(id), sk), 0);
		assert_int_equal(strlen(id), VIOS_AGE_IDENTITY_LEN);
		assert_int_equal(vios_age_recipient_format(rc, sizeof(rc), pk), 0);
		assert_int_equal(strlen(rc), VIOS_AGE_RECIPIENT_LEN);
		assert_int_equal(vios_age_identity_parse(sk2, id), 0);
		assert_memory_equal(sk, sk2, 32);
		assert_int_equal(vios_age_recipient_parse(pk2, rc), 0);
		assert_memory_equal(pk, pk2, 32);
		sodium_free(sk);
		sodium_free(sk2);
	}
}

static void test_bech32__age_rejects_malformed_keys(void **state)
{
	uint8_t *sk = sodium_malloc(32);
	uint8_t pk[32];
	char bad[128];

	(void)state;
	assert_non_null(sk);
	/* Wrong case for the type. */
	strcpy(bad, keygen_recipient);
	for (char *p = bad; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(vios_age_recipient_parse(pk, bad), VIOS_ECORRUPT);
	strcpy(bad, keygen_identity);
	for (char *p = bad; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	assert_int_equal(vios_age_identity_parse(sk, bad), VIOS_ECORRUPT);
	/* A flipped character breaks the checksum. */
	strcpy(bad, keygen_recipient);
	bad[10] = bad[10] == 'q' ? 'p' : 'q';
	assert_int_equal(vios_age_recipient_parse(pk, bad), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "age: recipient is not valid Bech32 (checksum"));
	strcpy(bad, keygen_identity);
	bad[20] = bad[20] == 'Q' ? 'P' : 'Q';
	assert_int_equal(vios_age_identity_parse(sk, bad), VIOS_ECORRUPT);
	/* Mixed case. */
	strcpy(bad, keygen_recipient);
	bad[8] = (char)(bad[8] >= 'a' && bad[8] <= 'z' ? bad[8] - 'a' + 'A' : bad[8]);
	bad[9] = (char)(bad[9] >= 'a' && bad[9] <= 'z' ? bad[9] - 'a' + 'A' : bad[9]);
	assert_int_equal(vios_age_recipient_parse(pk, bad), VIOS_ECORRUPT);
	/* Identity given as recipient and the other way round. */
	assert_int_equal(vios_age_recipient_parse(pk, keygen_identity), VIOS_ECORRUPT);
	assert_int_equal(vios_age_identity_parse(sk, keygen_recipient), VIOS_ECORRUPT);
	/* Valid Bech32 under "age" but 31 bytes. */
	{
		uint8_t short_key[31] = { 1 };

		assert_int_equal(vios_bech32_encode(bad, sizeof(bad), "age", short_key,
						    sizeof(short_key), 0), 0);
		assert_int_equal(vios_age_recipient_parse(pk, bad), VIOS_ECORRUPT);
	}
	/* Truncated and empty. */
	strcpy(bad, keygen_recipient);
	bad[strlen(bad) - 1] = '\0';
	assert_int_equal(vios_age_recipient_parse(pk, bad), VIOS_ECORRUPT);
	assert_int_equal(vios_age_recipient_parse(pk, ""), VIOS_ECORRUPT);
	sodium_free(sk);
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bech32__bip173_valid_vectors_pass),
		cmocka_unit_test(test_bech32__bip173_invalid_vectors_fail),
		cmocka_unit_test(test_bech32__decode_valid_vectors_reencode_identically),
		cmocka_unit_test(test_bech32__no_length_limit_outside_check),
		cmocka_unit_test(test_bech32__decode_rejects_mixed_case_and_bad_padding),
		cmocka_unit_test(test_bech32__age_keygen_pair_matches),
		cmocka_unit_test(test_bech32__age_spec_example_pair_matches),
		cmocka_unit_test(test_bech32__age_keys_round_trip),
		cmocka_unit_test(test_bech32__age_rejects_malformed_keys),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
