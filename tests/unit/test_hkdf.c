/*
 * test_hkdf.c - HKDF-SHA-256 against RFC 5869 Appendix A, test cases 1-3,
 * plus the output-length bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/hkdf.h"
#include "util/error.h"
#include "util/util.h"

typedef struct {
	int id;
	const char *ikm, *salt, *info, *okm;
} kat;

/* RFC 5869 A.1-A.3 (SHA-256). Ranges written out as hex. */
static const kat kats[] = {
	{ 1,
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "000102030405060708090a0b0c",
	  "f0f1f2f3f4f5f6f7f8f9",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	{ 2,
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ 3,
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "",
	  "",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

static void unhex(uint8_t *out, size_t *len, const char *hex)
{
	*len = strlen(hex) / 2;
	assert_int_equal(vios_unhex(out, *len, hex), 0);
}

static void run_kat(const kat *k)
{
	uint8_t ikm[128], salt[128], info[128], want[128], got[128];
	size_t ikm_len, salt_len, info_len, want_len;

	unhex(ikm, &ikm_len, k->ikm);
	unhex(salt, &salt_len, k->salt);
	unhex(info, &info_len, k->info);
	unhex(want, &want_len, k->okm);
	memset(got, 0xaa, sizeof(got));
	assert_int_equal(vios_hkdf_sha256(got, want_len, salt, salt_len, ikm, ikm_len,
					  info, info_len), 0);
	if (memcmp(got, want, want_len) != 0)
		fail_msg("RFC 5869 test case %d: OKM differs", k->id);
	/* Nothing written past okm_len. */
	assert_int_equal(got[want_len], 0xaa);
}

static void test_hkdf__rfc5869_case1_basic(void **state)
{
	(void)state;
	run_kat(&kats[0]);
}

static void test_hkdf__rfc5869_case2_long_inputs(void **state)
{
	(void)state;
	run_kat(&kats[1]);
}

static void test_hkdf__rfc5869_case3_empty_salt_and_info(void **state)
{
	(void)state;
	run_kat(&kats[2]);
}

static void test_hkdf__prefix_of_longer_output_matches(void **state)
{
	uint8_t a[100], b[7];
	const uint8_t ikm[] = "input key material";

	(void)state;
	assert_int_equal(vios_hkdf_sha256(a, sizeof(a), NULL, 0, ikm, sizeof(ikm) - 1,
					  (const uint8_t *)"x", 1), 0);
	assert_int_equal(vios_hkdf_sha256(b, sizeof(b), NULL, 0, ikm, sizeof(ikm) - 1,
					  (const uint8_t *)"x", 1), 0);
	assert_memory_equal(a, b, sizeof(b));
}

static void test_hkdf__rejects_output_longer_than_255_blocks(void **state)
{
	static uint8_t okm[255 * 32 + 1];
	const uint8_t ikm[1] = { 1 };

	(void)state;
	assert_int_equal(vios_hkdf_sha256(okm, 255 * 32, NULL, 0, ikm, 1, NULL, 0), 0);
	assert_int_equal(vios_hkdf_sha256(okm, 255 * 32 + 1, NULL, 0, ikm, 1, NULL, 0),
			 VIOS_ERROR);
	assert_non_null(strstr(vios_error_last(), "hkdf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf__rfc5869_case1_basic),
		cmocka_unit_test(test_hkdf__rfc5869_case2_long_inputs),
		cmocka_unit_test(test_hkdf__rfc5869_case3_empty_salt_and_info),
		cmocka_unit_test(test_hkdf__prefix_of_longer_output_matches),
		cmocka_unit_test(test_hkdf__rejects_output_longer_than_255_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
