/*
 * test_age.c - the age writer and reader: round trips at the chunk edges,
 * several recipients, the wrong key, every kind of tampering and
 * truncation mapped to its error code, and interoperability with the stock
 * `age` and `age-keygen` tools (which must be installed: their absence is a
 * failure, not a skip). Each test that touches files works in its own
 * mkdtemp sandbox under /tmp and removes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/age.h"
#include "util/error.h"
#include "util/util.h"

#define TAG 16
#define ENC_CHUNK (VIOS_AGE_CHUNK + TAG)

typedef struct {
	uint8_t *sk;	/* sodium_malloc'd */
	uint8_t pk[32];
} keypair;

static void keypair_new(keypair *kp)
{
	kp->sk = sodium_malloc(32);
	assert_non_null(kp->sk);
	randombytes_buf(kp->sk, 32);
	assert_int_equal(crypto_scalarmult_base(kp->pk, kp->sk), 0);
}

static void keypair_free(keypair *kp)
{
	sodium_free(kp->sk);
	kp->sk = NULL;
}

static uint8_t *pattern(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + 3);
	return p;
}

/* Offset of the first payload byte (the 16-byte nonce). */
static size_t header_end(const uint8_t *ct, size_t len)
{
	const uint8_t *mac = memmem(ct, len, "\n--- ", 5);
	const uint8_t *nl;

	assert_non_null(mac);
	nl = memchr(mac + 1, '\n', len - (size_t)(mac + 1 - ct));
	assert_non_null(nl);
	return (size_t)(nl + 1 - ct);
}

static int decrypt_with(uint8_t **out, size_t *outlen, const uint8_t *ct, size_t ctlen,
			const keypair *kps, size_t n)
{
	const uint8_t *ids[8];
	size_t i;

	assert_true(n <= 8);
	for (i = 0; i < n; i++)
		ids[i] = kps[i].sk;
	*out = NULL;
	return vios_age_decrypt_buf(out, outlen, ct, ctlen, ids, n, SIZE_MAX);
}

/* Streams ct through a reader with a small buffer; *released counts the
 * plaintext handed out before the outcome, which is returned. */
static int stream_decrypt(size_t *released, uint8_t *pt, size_t ptcap,
			  const uint8_t *ct, size_t ctlen, const uint8_t *sk)
{
	const uint8_t *ids[1] = { sk };
	vios_age_reader *r = NULL;
	FILE *f = fmemopen((void *)(uintptr_t)ct, ctlen, "rb");
	int error;

	assert_non_null(f);
	*released = 0;
	if ((error = vios_age_reader_open(&r, f, ids, 1)) < 0)
		goto done;
	for (;;) {
		size_t got;
		uint8_t buf[7777];

		if ((error = vios_age_reader_read(r, buf, sizeof(buf), &got)) < 0 || got == 0)
			break;
		assert_true(*released + got <= ptcap);
		memcpy(pt + *released, buf, got);
		*released += got;
	}
done:
	vios_age_reader_free(r);
	fclose(f);
	return error;
}

static void round_trip(size_t len, size_t piece)
{
	keypair kp;
	uint8_t *plain = pattern(len), *ct = NULL, *out = NULL;
	size_t ctlen, outlen, hdr, chunks;
	vios_age_writer *w = NULL;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f;

	keypair_new(&kp);
	if (piece == 0) {
		assert_int_equal(vios_age_encrypt_buf(&ct, &ctlen, plain, len,
						      (const uint8_t (*)[32])kp.pk, 1), 0);
	} else {
		size_t off;

		f = open_memstream(&mem, &memlen);
		assert_non_null(f);
		assert_int_equal(vios_age_writer_open(&w, f, (const uint8_t (*)[32])kp.pk, 1), 0);
		for (off = 0; off < len; off += piece)
			assert_int_equal(vios_age_writer_write(w, plain + off,
							       len - off < piece ? len - off : piece), 0);
		assert_int_equal(vios_age_writer_close(w), 0);
		assert_int_equal(fclose(f), 0);
		ct = (uint8_t *)mem;
		ctlen = memlen;
	}

	/* Size: header, nonce, one tag per chunk, the final chunk never empty
	 * unless the payload is. */
	hdr = header_end(ct, ctlen);
	chunks = len == 0 ? 1 : (len + VIOS_AGE_CHUNK - 1) / VIOS_AGE_CHUNK;
	assert_int_equal(ctlen, hdr + 16 + len + chunks * TAG);
	assert_memory_equal(ct, "age-encryption.org/v1\n-> X25519 ", 32);

	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp, 1), 0);
	assert_int_equal(outlen, len);
	if (len > 0)
		assert_memory_equal(out, plain, len);

	free(out);
	free(ct);
	free(plain);
	keypair_free(&kp);
}

static void test_age__round_trip_empty(void **state)
{
	(void)state;
	round_trip(0, 0);
}

static void test_age__round_trip_one_byte(void **state)
{
	(void)state;
	round_trip(1, 0);
}

static void test_age__round_trip_exactly_one_chunk(void **state)
{
	(void)state;
	round_trip(VIOS_AGE_CHUNK, 0);
	round_trip(VIOS_AGE_CHUNK, 4096);	/* streamed, ends on the boundary */
}

static void test_age__round_trip_one_chunk_plus_one(void **state)
{
	(void)state;
	round_trip(VIOS_AGE_CHUNK + 1, 0);
	round_trip(VIOS_AGE_CHUNK + 1, 1000);
}

static void test_age__round_trip_200_kib(void **state)
{
	(void)state;
	round_trip(200 * 1024, 0);
	round_trip(200 * 1024, 3333);
	round_trip(2 * VIOS_AGE_CHUNK, 0);
}

static void test_age__each_of_three_recipients_decrypts(void **state)
{
	keypair kp[3], other;
	uint8_t pks[3][32], *plain = pattern(100000), *ct = NULL, *out = NULL;
	size_t ctlen, outlen, i;
	const char *p;
	int stanzas = 0;

	(void)state;
	for (i = 0; i < 3; i++) {
		keypair_new(&kp[i]);
		memcpy(pks[i], kp[i].pk, 32);
	}
	keypair_new(&other);
	assert_int_equal(vios_age_encrypt_buf(&ct, &ctlen, plain, 100000,
					      (const uint8_t (*)[32])pks, 3), 0);
	for (p = (const char *)ct; (p = strstr(p, "\n-> X25519 ")) != NULL; p++)
		stanzas++;
	assert_int_equal(stanzas, 3);

	for (i = 0; i < 3; i++) {
		assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp[i], 1), 0);
		assert_int_equal(outlen, 100000);
		assert_memory_equal(out, plain, 100000);
		free(out);
	}
	/* A wrong identity first does not stop a right one after it. */
	{
		keypair both[2] = { other, kp[2] };

		assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, both, 2), 0);
		assert_int_equal(outlen, 100000);
		free(out);
	}

	free(ct);
	free(plain);
	for (i = 0; i < 3; i++)
		keypair_free(&kp[i]);
	keypair_free(&other);
}

static void test_age__wrong_identity_reports_no_match(void **state)
{
	keypair kp, wrong[2];
	uint8_t *ct = NULL, *out = NULL;
	size_t ctlen, outlen;

	(void)state;
	keypair_new(&kp);
	keypair_new(&wrong[0]);
	keypair_new(&wrong[1]);
	assert_int_equal(vios_age_encrypt_buf(&ct, &ctlen, "secret", 6,
					      (const uint8_t (*)[32])kp.pk, 1), 0);
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, wrong, 2), VIOS_ENOTFOUND);
	assert_null(out);
	assert_non_null(strstr(vios_error_last(), "age: no identity matched"));
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, wrong, 0), VIOS_ENOTFOUND);
	free(ct);
	keypair_free(&kp);
	keypair_free(&wrong[0]);
	keypair_free(&wrong[1]);
}

/* A file of len bytes to kp, for the tampering tests. */
static uint8_t *sealed(size_t *ctlen, keypair *kp, size_t len)
{
	uint8_t *plain = pattern(len), *ct = NULL;

	keypair_new(kp);
	assert_int_equal(vios_age_encrypt_buf(&ct, ctlen, plain, len,
					      (const uint8_t (*)[32])kp->pk, 1), 0);
	free(plain);
	return ct;
}

static void flip_b64(uint8_t *c)
{
	*c = *c == 'A' ? 'B' : 'A';
}

static void test_age__tampered_version_line_is_corrupt(void **state)
{
	keypair kp;
	size_t ctlen, outlen;
	uint8_t *ct = sealed(&ctlen, &kp, 10), *out = NULL;

	(void)state;
	ct[20] = '2';	/* age-encryption.org/v2 */
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp, 1), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "version"));
	free(ct);
	keypair_free(&kp);
}

static void test_age__tampered_stanza_body_is_no_match(void **state)
{
	keypair kp;
	size_t ctlen, outlen;
	uint8_t *ct = sealed(&ctlen, &kp, 10), *out = NULL;
	uint8_t *body = (uint8_t *)memchr(ct + 22, '\n', ctlen - 22) + 1;	/* after the arg line */

	(void)state;
	flip_b64(body + 5);
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp, 1), VIOS_ENOTFOUND);
	free(ct);
	keypair_free(&kp);
}

static void test_age__tampered_share_is_no_match(void **state)
{
	keypair kp;
	size_t ctlen, outlen;
	uint8_t *ct = sealed(&ctlen, &kp, 10), *out = NULL;

	(void)state;
	flip_b64(ct + 22 + 10 + 5);	/* inside the share argument */
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp, 1), VIOS_ENOTFOUND);
	free(ct);
	keypair_free(&kp);
}

static void test_age__non_canonical_stanza_body_is_corrupt(void **state)
{
	keypair kp;
	size_t ctlen, outlen;
	uint8_t *ct = sealed(&ctlen, &kp, 10), *out = NULL;
	uint8_t *body = (uint8_t *)memchr(ct + 22, '\n', ctlen - 22) + 1;
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *pos = strchr(b64, body[42]);

	(void)state;
	/* 43 characters carry 258 bits: setting one of the 2 spare bits. */
	assert_non_null(pos);
	body[42] = (uint8_t)b64[(pos - b64) | 1];
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp, 1), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "canonical"));
	free(ct);
	keypair_free(&kp);
}

static void test_age__tampered_mac_is_verify_failure(void **state)
{
	keypair kp;
	size_t ctlen, outlen;
	uint8_t *ct = sealed(&ctlen, &kp, 10), *out = NULL;
	uint8_t *mac = memmem(ct, ctlen, "\n--- ", 5);

	(void)state;
	flip_b64(mac + 5 + 10);
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp, 1), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "MAC"));
	assert_null(out);
	free(ct);
	keypair_free(&kp);
}

static void test_age__inserted_stanza_breaks_the_mac(void **state)
{
	keypair kp;
	size_t ctlen, outlen, at;
	uint8_t *ct = sealed(&ctlen, &kp, 10), *out = NULL, *forged;
	static const char grease[] = "-> grease\n\n";

	(void)state;
	/* An unknown stanza is skipped by the parser, but it is header text the
	 * MAC covers. */
	at = (size_t)((uint8_t *)memmem(ct, ctlen, "\n--- ", 5) + 1 - ct);
	forged = malloc(ctlen + sizeof(grease) - 1);
	assert_non_null(forged);
	memcpy(forged, ct, at);
	memcpy(forged + at, grease, sizeof(grease) - 1);
	memcpy(forged + at + sizeof(grease) - 1, ct + at, ctlen - at);
	assert_int_equal(decrypt_with(&out, &outlen, forged, ctlen + sizeof(grease) - 1, &kp, 1),
			 VIOS_EVERIFY);
	free(forged);
	free(ct);
	keypair_free(&kp);
}

static void test_age__failed_unwrap_tries_the_other_stanzas(void **state)
{
	keypair a, b;
	uint8_t pks[2][32], *ct = NULL, *out = NULL, *body;
	size_t ctlen, outlen;

	(void)state;
	keypair_new(&a);
	keypair_new(&b);
	memcpy(pks[0], a.pk, 32);
	memcpy(pks[1], b.pk, 32);
	assert_int_equal(vios_age_encrypt_buf(&ct, &ctlen, "x", 1, (const uint8_t (*)[32])pks, 2), 0);
	body = (uint8_t *)memchr(ct + 22, '\n', ctlen - 22) + 1;	/* a's stanza body */
	flip_b64(body + 3);
	/* a alone: its stanza no longer opens, nothing else is for it. */
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &a, 1), VIOS_ENOTFOUND);
	/* a then b: b's stanza still yields the file key, and then the MAC
	 * over the tampered header fails. */
	{
		keypair both[2] = { a, b };

		assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, both, 2), VIOS_EVERIFY);
	}
	free(ct);
	keypair_free(&a);
	keypair_free(&b);
}

static void test_age__tampered_payload_byte_is_verify_failure(void **state)
{
	keypair kp;
	size_t ctlen, outlen, hdr, released;
	uint8_t *ct = sealed(&ctlen, &kp, 3 * VIOS_AGE_CHUNK), *out = NULL;
	uint8_t *plain = pattern(3 * VIOS_AGE_CHUNK), *pt = malloc(3 * VIOS_AGE_CHUNK);

	(void)state;
	assert_non_null(pt);
	hdr = header_end(ct, ctlen);
	ct[hdr + 16 + ENC_CHUNK + 100] ^= 0x01;	/* inside the second chunk */
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp, 1), VIOS_EVERIFY);
	assert_null(out);
	/* Streaming releases the first, authentic, chunk and stops there. */
	assert_int_equal(stream_decrypt(&released, pt, 3 * VIOS_AGE_CHUNK, ct, ctlen, kp.sk),
			 VIOS_EVERIFY);
	assert_int_equal(released, VIOS_AGE_CHUNK);
	assert_memory_equal(pt, plain, VIOS_AGE_CHUNK);
	ct[hdr + 16 + ENC_CHUNK + 100] ^= 0x01;
	/* The payload nonce feeds the payload key. */
	ct[hdr + 3] ^= 0x80;
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &kp, 1), VIOS_EVERIFY);
	free(pt);
	free(plain);
	free(ct);
	keypair_free(&kp);
}

static void test_age__truncations_are_rejected(void **state)
{
	keypair kp;
	size_t ctlen, outlen, hdr, released;
	uint8_t *ct = sealed(&ctlen, &kp, 200 * 1024), *out = NULL;
	uint8_t *pt = malloc(200 * 1024);

	(void)state;
	assert_non_null(pt);
	hdr = header_end(ct, ctlen);
	/* Last byte of the final chunk's tag. */
	assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen - 1, &kp, 1), VIOS_EVERIFY);
	/* Cut at a chunk boundary: every chunk left authenticates, but none is
	 * final. */
	assert_int_equal(decrypt_with(&out, &outlen, ct, hdr + 16 + 2 * ENC_CHUNK, &kp, 1),
			 VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "final chunk"));
	assert_int_equal(stream_decrypt(&released, pt, 200 * 1024, ct, hdr + 16 + 2 * ENC_CHUNK,
					kp.sk), VIOS_ECORRUPT);
	assert_int_equal(released, 2 * VIOS_AGE_CHUNK);
	/* Nonce and nothing else; half a nonce; half a header. */
	assert_int_equal(decrypt_with(&out, &outlen, ct, hdr + 16, &kp, 1), VIOS_ECORRUPT);
	assert_int_equal(decrypt_with(&out, &outlen, ct, hdr + 8, &kp, 1), VIOS_ECORRUPT);
	assert_int_equal(decrypt_with(&out, &outlen, ct, hdr / 2, &kp, 1), VIOS_ECORRUPT);
	assert_int_equal(decrypt_with(&out, &outlen, ct, 0, &kp, 1), VIOS_ECORRUPT);
	/* A chunk shorter than its tag. */
	assert_int_equal(decrypt_with(&out, &outlen, ct, hdr + 16 + ENC_CHUNK + 5, &kp, 1),
			 VIOS_ECORRUPT);
	assert_null(out);
	free(pt);
	free(ct);
	keypair_free(&kp);
}

static uint8_t *with_extra_byte(const uint8_t *ct, size_t ctlen)
{
	uint8_t *longer = malloc(ctlen + 1);

	assert_non_null(longer);
	memcpy(longer, ct, ctlen);
	longer[ctlen] = 0;
	return longer;
}

static void test_age__data_after_final_chunk_is_rejected(void **state)
{
	keypair kp;
	size_t ctlen, outlen;
	uint8_t *ct = sealed(&ctlen, &kp, VIOS_AGE_CHUNK), *out = NULL, *longer;

	(void)state;
	/* After a full final chunk the extra byte is seen as trailing data. */
	longer = with_extra_byte(ct, ctlen);
	assert_int_equal(decrypt_with(&out, &outlen, longer, ctlen + 1, &kp, 1), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "after the final chunk"));
	assert_null(out);
	free(longer);
	free(ct);
	keypair_free(&kp);

	/* After a short final chunk it is part of that chunk, which then fails
	 * to authenticate (as in age itself): a failure all the same. */
	ct = sealed(&ctlen, &kp, 1000);
	longer = with_extra_byte(ct, ctlen);
	assert_int_equal(decrypt_with(&out, &outlen, longer, ctlen + 1, &kp, 1), VIOS_EVERIFY);
	assert_null(out);
	free(longer);
	free(ct);
	keypair_free(&kp);
}

static void test_age__decrypt_buf_enforces_max(void **state)
{
	keypair kp;
	size_t ctlen, outlen;
	uint8_t *ct = sealed(&ctlen, &kp, 1000), *out = NULL;
	const uint8_t *ids[1];

	(void)state;
	ids[0] = kp.sk;
	assert_int_equal(vios_age_decrypt_buf(&out, &outlen, ct, ctlen, ids, 1, 999), VIOS_ECORRUPT);
	assert_null(out);
	assert_int_equal(vios_age_decrypt_buf(&out, &outlen, ct, ctlen, ids, 1, 1000), 0);
	assert_int_equal(outlen, 1000);
	free(out);
	free(ct);
	keypair_free(&kp);
}

static void test_age__writer_refuses_low_order_recipient(void **state)
{
	uint8_t zero[1][32] = { { 0 } }, *ct = NULL;
	size_t ctlen;

	(void)state;
	assert_int_equal(vios_age_encrypt_buf(&ct, &ctlen, "x", 1,
					      (const uint8_t (*)[32])zero, 1), VIOS_ERROR);
	assert_null(ct);
	assert_int_equal(vios_age_encrypt_buf(&ct, &ctlen, "x", 1,
					      (const uint8_t (*)[32])zero, 0), VIOS_ERROR);
}

/* Reader outcome for a hand-built file (header text, then nonce and chunk). */
static int open_text(const char *text, size_t len, const keypair *kp)
{
	uint8_t *out = NULL;
	size_t outlen;
	int error = decrypt_with(&out, &outlen, (const uint8_t *)text, len, kp, 1);

	free(out);
	return error;
}

static void test_age__scrypt_stanza_alone_is_no_match(void **state)
{
	static const char file[] =
		"age-encryption.org/v1\n"
		"-> scrypt ajMFur+EJLGaohv/dLRGnw 18\n"
		"8SHBz/ldWnjyGFQqfjat6uNBarWqqEMDS7W8X7+Xq5Q\n"
		"--- HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s\n"
		"0123456789abcdef";
	keypair kp;

	(void)state;
	keypair_new(&kp);
	assert_int_equal(open_text(file, sizeof(file) - 1, &kp), VIOS_ENOTFOUND);
	assert_non_null(strstr(vios_error_last(), "scrypt"));
	keypair_free(&kp);
}

/* ---- the scrypt (passphrase) recipient ---- */

/* Low work factor for speed; the format is the same at any. */
#define TEST_LOGN 10

static vios_secret *secret_of(const char *text)
{
	vios_secret *s = NULL;

	assert_int_equal(vios_secret_new(&s, text, strlen(text)), 0);
	return s;
}

static void test_age__scrypt_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, VIOS_AGE_CHUNK, VIOS_AGE_CHUNK + 1, 150 * 1024 };
	vios_secret *pass = secret_of("correct horse battery staple");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *pt = pattern(sizes[i]), *ct = NULL, *back = NULL;
		size_t ctlen, backlen;
		char want[64];

		assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, pt, sizes[i], pass, TEST_LOGN), 0);
		/* one stanza: "-> scrypt SALT 10" */
		assert_true(vios_snprintf(want, sizeof(want), " %d\n", TEST_LOGN) > 0);
		assert_memory_equal(ct, "age-encryption.org/v1\n-> scrypt ", 32);
		assert_non_null(memmem(ct, header_end(ct, ctlen), want, strlen(want)));
		assert_null(memmem(ct, header_end(ct, ctlen), "X25519", 6));
		assert_int_equal(vios_age_decrypt_buf_scrypt(&back, &backlen, ct, ctlen, pass, SIZE_MAX), 0);
		assert_int_equal(backlen, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(back, pt, sizes[i]);
		free(pt);
		free(ct);
		free(back);
	}
	vios_secret_free(pass);
}

static void test_age__scrypt_default_work_factor_is_18(void **state)
{
	vios_secret *pass = secret_of("pw");
	uint8_t *ct = NULL;
	size_t ctlen;

	(void)state;
	assert_int_equal(VIOS_AGE_SCRYPT_LOGN, 18);
	assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, "x", 1, pass, VIOS_AGE_SCRYPT_LOGN), 0);
	assert_non_null(memmem(ct, header_end(ct, ctlen), " 18\n", 4));
	free(ct);
	vios_secret_free(pass);
}

static void test_age__scrypt_wrong_passphrase_is_one_clear_error(void **state)
{
	vios_secret *pass = secret_of("correct horse battery staple");
	vios_secret *wrong = secret_of("correct horse battery stapler");
	uint8_t *ct = NULL, *back = NULL;
	size_t ctlen, backlen = 7;

	(void)state;
	assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, "secret", 6, pass, TEST_LOGN), 0);
	assert_int_equal(vios_age_decrypt_buf_scrypt(&back, &backlen, ct, ctlen, wrong, SIZE_MAX), VIOS_EAUTH);
	assert_null(back);
	assert_string_equal(vios_error_last(), "age: wrong passphrase (the scrypt stanza does not open with it)");
	free(ct);
	vios_secret_free(pass);
	vios_secret_free(wrong);
}

static void test_age__scrypt_work_factor_above_22_is_refused(void **state)
{
	/* a valid stanza shape with work factor 23: refused before scrypt runs
	 * (2^23 would take 8 GiB), whatever the passphrase */
	static const char file[] =
		"age-encryption.org/v1\n"
		"-> scrypt ajMFur+EJLGaohv/dLRGnw 23\n"
		"8SHBz/ldWnjyGFQqfjat6uNBarWqqEMDS7W8X7+Xq5Q\n"
		"--- HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s\n"
		"0123456789abcdef";
	vios_secret *pass = secret_of("password");
	uint8_t *back = NULL, *ct = NULL;
	size_t backlen, ctlen;

	(void)state;
	assert_int_equal(vios_age_decrypt_buf_scrypt(&back, &backlen, file, sizeof(file) - 1, pass, SIZE_MAX),
			 VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "work factor 23 is above 22"));
	/* and the writer will not make one */
	assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, "x", 1, pass, 23), VIOS_ERROR);
	assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, "x", 1, pass, 0), VIOS_ERROR);
	assert_null(ct);
	vios_secret_free(pass);
}

static void test_age__scrypt_file_refuses_identities_and_x25519_refuses_passphrase(void **state)
{
	vios_secret *pass = secret_of("password");
	uint8_t *ct = NULL, *back = NULL;
	size_t ctlen, backlen;
	keypair kp;

	(void)state;
	ct = sealed(&ctlen, &kp, 10);
	assert_int_equal(vios_age_decrypt_buf_scrypt(&back, &backlen, ct, ctlen, pass, SIZE_MAX), VIOS_ENOTFOUND);
	assert_non_null(strstr(vios_error_last(), "no scrypt stanza"));
	free(ct);
	assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, "x", 1, pass, TEST_LOGN), 0);
	assert_int_equal(decrypt_with(&back, &backlen, ct, ctlen, &kp, 1), VIOS_ENOTFOUND);
	assert_non_null(strstr(vios_error_last(), "passphrase"));
	free(ct);
	keypair_free(&kp);
	vios_secret_free(pass);
}

static void test_age__scrypt_tampered_header_fails_the_mac(void **state)
{
	vios_secret *pass = secret_of("password");
	uint8_t *ct = NULL, *back = NULL;
	size_t ctlen, backlen, at;

	(void)state;
	assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, "x", 1, pass, TEST_LOGN), 0);
	/* the work factor "10" becomes "11": scrypt gives another key, no match */
	at = (size_t)((uint8_t *)memmem(ct, ctlen, " 10\n", 4) - ct);
	ct[at + 2] = '1';
	assert_int_equal(vios_age_decrypt_buf_scrypt(&back, &backlen, ct, ctlen, pass, SIZE_MAX), VIOS_EAUTH);
	ct[at + 2] = '0';
	/* a flipped bit in the MAC line */
	at = header_end(ct, ctlen) - 3;
	ct[at] ^= 1;
	assert_true(vios_age_decrypt_buf_scrypt(&back, &backlen, ct, ctlen, pass, SIZE_MAX) < 0);
	free(ct);
	vios_secret_free(pass);
}

static void test_age__scrypt_stanza_with_another_is_corrupt(void **state)
{
	keypair kp;
	size_t ctlen, at;
	uint8_t *ct = sealed(&ctlen, &kp, 10);
	static const char scrypt[] = "-> scrypt ajMFur+EJLGaohv/dLRGnw 18\n"
				     "8SHBz/ldWnjyGFQqfjat6uNBarWqqEMDS7W8X7+Xq5Q\n";
	char *forged = malloc(ctlen + sizeof(scrypt));

	(void)state;
	assert_non_null(forged);
	at = (size_t)((uint8_t *)memmem(ct, ctlen, "\n--- ", 5) + 1 - ct);
	memcpy(forged, ct, at);
	memcpy(forged + at, scrypt, sizeof(scrypt) - 1);
	memcpy(forged + at + sizeof(scrypt) - 1, ct + at, ctlen - at);
	/* Refused before any identity is tried, though kp would match. */
	assert_int_equal(open_text(forged, ctlen + sizeof(scrypt) - 1, &kp), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "scrypt"));
	free(forged);
	free(ct);
	keypair_free(&kp);
}

static void test_age__header_over_one_mib_is_corrupt(void **state)
{
	size_t len = 1100 * 1024, i;
	char *file = malloc(len);
	keypair kp;

	(void)state;
	assert_non_null(file);
	keypair_new(&kp);
	i = (size_t)sprintf(file, "age-encryption.org/v1\n-> grease ");
	memset(file + i, 'a', len - i - 1);
	file[len - 1] = '\n';
	assert_int_equal(open_text(file, len, &kp), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "1 MiB"));
	free(file);
	keypair_free(&kp);
}

static void test_age__more_than_1024_stanzas_is_corrupt(void **state)
{
	static const char grease[] = "-> grease\n\n";
	size_t n = 1025, len = 22 + n * (sizeof(grease) - 1), i;
	char *file = malloc(len + 1);
	keypair kp;

	(void)state;
	assert_non_null(file);
	keypair_new(&kp);
	memcpy(file, "age-encryption.org/v1\n", 22);
	for (i = 0; i < n; i++)
		memcpy(file + 22 + i * (sizeof(grease) - 1), grease, sizeof(grease) - 1);
	assert_int_equal(open_text(file, len, &kp), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "stanzas"));
	free(file);
	keypair_free(&kp);
}

static void test_age__full_last_body_line_needs_an_empty_line(void **state)
{
	keypair kp;
	size_t ctlen, at;
	uint8_t *ct = sealed(&ctlen, &kp, 10);
	/* 48 bytes of body: exactly one full 64-column line. */
	static const char with_empty[] = "-> grease\n"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n\n";
	static const char without[] = "-> grease\n"
		"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n";
	char *forged = malloc(ctlen + sizeof(with_empty));

	(void)state;
	assert_non_null(forged);
	at = (size_t)((uint8_t *)memmem(ct, ctlen, "\n--- ", 5) + 1 - ct);
	/* Well formed (the MAC then fails, the stanza not being the writer's). */
	memcpy(forged, ct, at);
	memcpy(forged + at, with_empty, sizeof(with_empty) - 1);
	memcpy(forged + at + sizeof(with_empty) - 1, ct + at, ctlen - at);
	assert_int_equal(open_text(forged, ctlen + sizeof(with_empty) - 1, &kp), VIOS_EVERIFY);
	/* Without the empty line the MAC line is read as body: malformed. */
	memcpy(forged + at, without, sizeof(without) - 1);
	memcpy(forged + at + sizeof(without) - 1, ct + at, ctlen - at);
	assert_int_equal(open_text(forged, ctlen + sizeof(without) - 1, &kp), VIOS_ECORRUPT);
	free(forged);
	free(ct);
	keypair_free(&kp);
}

/* ---- interoperability with the stock tools ---- */

typedef struct {
	char dir[64];
} sandbox;

static void sandbox_new(sandbox *sb)
{
	assert_true(vios_snprintf(sb->dir, sizeof(sb->dir), "/tmp/vios-test-age.XXXXXX") > 0);
	assert_non_null(mkdtemp(sb->dir));
}

static void sandbox_free(sandbox *sb)
{
	assert_int_equal(vios_rm_rf(sb->dir), 0);
}

static void path_in(char *out, size_t len, const sandbox *sb, const char *name)
{
	assert_true(vios_snprintf(out, len, "%s/%s", sb->dir, name) > 0);
}

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (status %d): %s", rc, cmd);
}

static void require_stock_age(void)
{
	if (system("command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1") != 0)
		fail_msg("the stock `age` and `age-keygen` tools are required for the interop tests");
}

/* age-keygen into the sandbox; the key pair is read back from its file. */
static void stock_keygen(keypair *kp, char *recipient, const sandbox *sb, const char *name)
{
	char path[256], *line;
	uint8_t *text = NULL;
	size_t len;

	path_in(path, sizeof(path), sb, name);
	run("age-keygen -o '%s' 2>/dev/null", path);
	assert_int_equal(vios_file_read(&text, &len, path, 4096), 0);
	line = strstr((char *)text, "# public key: ");
	assert_non_null(line);
	memcpy(recipient, line + 14, VIOS_AGE_RECIPIENT_LEN);
	recipient[VIOS_AGE_RECIPIENT_LEN] = '\0';
	line = strstr((char *)text, "AGE-SECRET-KEY-1");
	assert_non_null(line);
	line[VIOS_AGE_IDENTITY_LEN] = '\0';
	kp->sk = sodium_malloc(32);
	assert_non_null(kp->sk);
	assert_int_equal(vios_age_identity_parse(kp->sk, line), 0);
	assert_int_equal(vios_age_recipient_parse(kp->pk, recipient), 0);
	sodium_memzero(text, len);
	free(text);
	{
		uint8_t derived[32];

		assert_int_equal(crypto_scalarmult_base(derived, kp->sk), 0);
		assert_memory_equal(derived, kp->pk, 32);
	}
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void assert_file_equals(const char *path, const uint8_t *data, size_t len)
{
	uint8_t *text = NULL;
	size_t got;

	assert_int_equal(vios_file_read(&text, &got, path, 16u << 20), 0);
	assert_int_equal(got, len);
	if (len > 0)
		assert_memory_equal(text, data, len);
	free(text);
}

static void test_age__stock_age_decrypts_two_recipients(void **state)
{
	static const size_t sizes[] = { 0, 1, VIOS_AGE_CHUNK, 200 * 1024 };
	sandbox sb;
	keypair a, b;
	char ra[VIOS_AGE_RECIPIENT_LEN + 1], rb[VIOS_AGE_RECIPIENT_LEN + 1];
	char enc[256], out[256], ka[256], kb[256];
	uint8_t pks[2][32];
	size_t i;

	(void)state;
	require_stock_age();
	sandbox_new(&sb);
	stock_keygen(&a, ra, &sb, "a.key");
	stock_keygen(&b, rb, &sb, "b.key");
	memcpy(pks[0], a.pk, 32);
	memcpy(pks[1], b.pk, 32);
	path_in(enc, sizeof(enc), &sb, "vios.age");
	path_in(out, sizeof(out), &sb, "out");
	path_in(ka, sizeof(ka), &sb, "a.key");
	path_in(kb, sizeof(kb), &sb, "b.key");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *plain = pattern(sizes[i]), *ct = NULL;
		size_t ctlen;

		assert_int_equal(vios_age_encrypt_buf(&ct, &ctlen, plain, sizes[i],
						      (const uint8_t (*)[32])pks, 2), 0);
		write_file(enc, ct, ctlen);
		/* Through stdout: age -o creates no file for an empty plaintext. */
		run("age -d -i '%s' '%s' > '%s'", ka, enc, out);
		assert_file_equals(out, plain, sizes[i]);
		remove(out);
		run("age -d -i '%s' '%s' > '%s'", kb, enc, out);
		assert_file_equals(out, plain, sizes[i]);
		remove(out);
		free(ct);
		free(plain);
	}
	keypair_free(&a);
	keypair_free(&b);
	sandbox_free(&sb);
}

static void test_age__vios_decrypts_stock_age_files(void **state)
{
	static const size_t sizes[] = { 0, 1, VIOS_AGE_CHUNK, VIOS_AGE_CHUNK + 1, 200 * 1024 };
	sandbox sb;
	keypair a, b, c;
	char ra[VIOS_AGE_RECIPIENT_LEN + 1], rb[VIOS_AGE_RECIPIENT_LEN + 1];
	char rc[VIOS_AGE_RECIPIENT_LEN + 1];
	char plainpath[256], one[256], two[256];
	size_t i;

	(void)state;
	require_stock_age();
	sandbox_new(&sb);
	stock_keygen(&a, ra, &sb, "a.key");
	stock_keygen(&b, rb, &sb, "b.key");
	stock_keygen(&c, rc, &sb, "c.key");
	path_in(plainpath, sizeof(plainpath), &sb, "plain");
	path_in(one, sizeof(one), &sb, "one.age");
	path_in(two, sizeof(two), &sb, "two.age");

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *plain = pattern(sizes[i]), *ct = NULL, *out = NULL;
		size_t ctlen, outlen;

		write_file(plainpath, plain, sizes[i]);
		/* age -r a */
		run("age -r %s -o '%s' '%s'", ra, one, plainpath);
		assert_int_equal(vios_file_read(&ct, &ctlen, one, 16u << 20), 0);
		assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &a, 1), 0);
		assert_int_equal(outlen, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(out, plain, sizes[i]);
		free(out);
		assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &b, 1), VIOS_ENOTFOUND);
		free(ct);

		/* age -r a -r b: each identity alone decrypts; c does not. */
		run("age -r %s -r %s -o '%s' '%s'", ra, rb, two, plainpath);
		assert_int_equal(vios_file_read(&ct, &ctlen, two, 16u << 20), 0);
		assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &a, 1), 0);
		assert_int_equal(outlen, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(out, plain, sizes[i]);
		free(out);
		assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &b, 1), 0);
		assert_int_equal(outlen, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(out, plain, sizes[i]);
		free(out);
		assert_int_equal(decrypt_with(&out, &outlen, ct, ctlen, &c, 1), VIOS_ENOTFOUND);
		free(ct);
		free(plain);
	}
	keypair_free(&a);
	keypair_free(&b);
	keypair_free(&c);
	sandbox_free(&sb);
}

/*
 * Stock age reads a passphrase only from a terminal: `script` (util-linux)
 * gives it one. Skipped, saying so, when script is missing.
 */
static void test_age__stock_age_opens_a_vios_passphrase_file(void **state)
{
	vios_secret *pass = secret_of("a passphrase for stock age");
	uint8_t *pt = pattern(100000), *ct = NULL;
	size_t ctlen;
	char enc[256], out[256];
	sandbox sb;

	(void)state;
	require_stock_age();
	if (system("command -v script >/dev/null 2>&1") != 0) {
		print_message("skipped: no `script` to give stock age a terminal\n");
		free(pt);
		vios_secret_free(pass);
		return;
	}
	sandbox_new(&sb);
	path_in(enc, sizeof(enc), &sb, "p.age");
	path_in(out, sizeof(out), &sb, "p.out");
	assert_int_equal(vios_age_encrypt_buf_scrypt(&ct, &ctlen, pt, 100000, pass, TEST_LOGN), 0);
	write_file(enc, ct, ctlen);
	run("(sleep 1; printf '%%s\\n' 'a passphrase for stock age') | "
	    "timeout 60 script -qec \"age -d -o '%s' '%s'\" /dev/null >/dev/null 2>&1", out, enc);
	assert_file_equals(out, pt, 100000);
	free(ct);
	free(pt);
	vios_secret_free(pass);
	sandbox_free(&sb);
}

static void test_age__stock_age_rejects_tampered_vios_file(void **state)
{
	sandbox sb;
	keypair a;
	char ra[VIOS_AGE_RECIPIENT_LEN + 1], enc[256], out[256], ka[256], cmd[1024];
	uint8_t *ct = NULL, *mac;
	size_t ctlen;

	(void)state;
	require_stock_age();
	sandbox_new(&sb);
	stock_keygen(&a, ra, &sb, "a.key");
	path_in(enc, sizeof(enc), &sb, "vios.age");
	path_in(out, sizeof(out), &sb, "out");
	path_in(ka, sizeof(ka), &sb, "a.key");
	assert_int_equal(vios_age_encrypt_buf(&ct, &ctlen, "hello", 5,
					      (const uint8_t (*)[32])a.pk, 1), 0);
	mac = memmem(ct, ctlen, "\n--- ", 5);
	assert_non_null(mac);
	flip_b64(mac + 5 + 7);
	write_file(enc, ct, ctlen);
	assert_true(vios_snprintf(cmd, sizeof(cmd), "age -d -i '%s' -o '%s' '%s' 2>/dev/null",
				  ka, out, enc) > 0);
	assert_int_not_equal(system(cmd), 0);
	free(ct);
	keypair_free(&a);
	sandbox_free(&sb);
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age__round_trip_empty),
		cmocka_unit_test(test_age__round_trip_one_byte),
		cmocka_unit_test(test_age__round_trip_exactly_one_chunk),
		cmocka_unit_test(test_age__round_trip_one_chunk_plus_one),
		cmocka_unit_test(test_age__round_trip_200_kib),
		cmocka_unit_test(test_age__each_of_three_recipients_decrypts),
		cmocka_unit_test(test_age__wrong_identity_reports_no_match),
		cmocka_unit_test(test_age__tampered_version_line_is_corrupt),
		cmocka_unit_test(test_age__tampered_stanza_body_is_no_match),
		cmocka_unit_test(test_age__tampered_share_is_no_match),
		cmocka_unit_test(test_age__non_canonical_stanza_body_is_corrupt),
		cmocka_unit_test(test_age__tampered_mac_is_verify_failure),
		cmocka_unit_test(test_age__inserted_stanza_breaks_the_mac),
		cmocka_unit_test(test_age__failed_unwrap_tries_the_other_stanzas),
		cmocka_unit_test(test_age__tampered_payload_byte_is_verify_failure),
		cmocka_unit_test(test_age__truncations_are_rejected),
		cmocka_unit_test(test_age__data_after_final_chunk_is_rejected),
		cmocka_unit_test(test_age__decrypt_buf_enforces_max),
		cmocka_unit_test(test_age__writer_refuses_low_order_recipient),
		cmocka_unit_test(test_age__scrypt_stanza_alone_is_no_match),
		cmocka_unit_test(test_age__scrypt_stanza_with_another_is_corrupt),
		cmocka_unit_test(test_age__header_over_one_mib_is_corrupt),
		cmocka_unit_test(test_age__more_than_1024_stanzas_is_corrupt),
		cmocka_unit_test(test_age__full_last_body_line_needs_an_empty_line),
		cmocka_unit_test(test_age__stock_age_decrypts_two_recipients),
		cmocka_unit_test(test_age__vios_decrypts_stock_age_files),
		cmocka_unit_test(test_age__stock_age_rejects_tampered_vios_file),
		cmocka_unit_test(test_age__scrypt_round_trip),
		cmocka_unit_test(test_age__scrypt_default_work_factor_is_18),
		cmocka_unit_test(test_age__scrypt_wrong_passphrase_is_one_clear_error),
		cmocka_unit_test(test_age__scrypt_work_factor_above_22_is_refused),
		cmocka_unit_test(test_age__scrypt_file_refuses_identities_and_x25519_refuses_passphrase),
		cmocka_unit_test(test_age__scrypt_tampered_header_fails_the_mac),
		cmocka_unit_test(test_age__stock_age_opens_a_vios_passphrase_file),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
