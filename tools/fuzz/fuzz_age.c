/*
 * fuzz_age.c - the age reader: vios_age_reader_open and _read with the
 * fixed X25519 identity FUZZ_AGE_IDENTITY, the input as the age file, read
 * from memory (fmemopen) in odd-sized pieces. The end may be reported only
 * once, after the final chunk authenticated.
 */
#include "tools/fuzz/fuzz.h"

#include "crypto/age.h"
#include "util/error.h"

static uint8_t *fuzz_age_sk; /* sodium_malloc'd, kept for the process */

static void fuzz_age_init(void)
{
	if (fuzz_age_sk != NULL)
		return;
	if (sodium_init() < 0 || (fuzz_age_sk = sodium_malloc(32)) == NULL ||
	    vios_age_identity_parse(fuzz_age_sk, FUZZ_AGE_IDENTITY) != 0) {
		fprintf(stderr, "fuzz_age: cannot set up the identity\n");
		abort();
	}
}

int fuzz_age(const uint8_t *data, size_t size)
{
	static uint8_t empty[1];
	const uint8_t *ids[1];
	vios_age_reader *r = NULL;
	uint8_t buf[40000];
	size_t got, total = 0;
	FILE *f;
	int rc;

	fuzz_age_init();
	ids[0] = fuzz_age_sk;
	/* fmemopen wants a buffer even for an empty file */
	if ((f = fmemopen(size ? (void *)(uintptr_t)data : empty, size, "rb")) == NULL)
		return 0;
	if (vios_age_reader_open(&r, f, ids, 1) == 0) {
		/* 40000 does not divide a 64 KiB chunk: reads straddle chunks */
		while ((rc = vios_age_reader_read(r, buf, sizeof(buf), &got)) == 0 && got > 0) {
			FUZZ_CHECK(got <= sizeof(buf));
			total += got;
			FUZZ_CHECK(total <= size);
		}
		if (rc == 0) {
			/* the end, once reached, stays the end */
			FUZZ_CHECK(vios_age_reader_read(r, buf, sizeof(buf), &got) == 0 && got == 0);
		} else
			FUZZ_CHECK(rc == VIOS_EVERIFY || rc == VIOS_ECORRUPT || rc == VIOS_ERROR);
		vios_age_reader_free(r);
	}
	fclose(f);
	return 0;
}

FUZZ_ENTRY_INIT(fuzz_age_init, fuzz_age)
