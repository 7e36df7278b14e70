/*
 * hkdf.c - HKDF-SHA-256 (RFC 5869) on libsodium's HMAC-SHA-256.
 *
 * Extract: PRK = HMAC(salt, IKM), an empty salt standing for 32 zero bytes
 * (HMAC pads short keys with zeros, so the two are the same key).
 * Expand: T(i) = HMAC(PRK, T(i-1) || info || i), OKM = T(1) || T(2) ...
 * The PRK and every T block are wiped before return.
 */
#include "crypto/hkdf.h"

#include <sodium.h>
#include <string.h>

#include "util/error.h"

#define HASHLEN crypto_auth_hmacsha256_BYTES

int vios_hkdf_sha256(uint8_t *okm, size_t okm_len,
		     const uint8_t *salt, size_t salt_len,
		     const uint8_t *ikm, size_t ikm_len,
		     const uint8_t *info, size_t info_len)
{
	crypto_auth_hmacsha256_state st;
	uint8_t zero[HASHLEN] = { 0 };
	uint8_t prk[HASHLEN] = { 0 };
	uint8_t t[HASHLEN] = { 0 };
	size_t done = 0, tlen = 0;
	uint8_t ctr;
	int error = VIOS_ERROR;

	if (okm == NULL || okm_len > 255 * HASHLEN ||
	    (salt == NULL && salt_len > 0) || (ikm == NULL && ikm_len > 0) ||
	    (info == NULL && info_len > 0)) {
		vios_error_set(VIOS_ERR_CRYPTO, "hkdf: bad arguments (okm at most %d bytes)",
			       (int)(255 * HASHLEN));
		goto done;
	}

	if (salt_len == 0) {
		salt = zero;
		salt_len = sizeof(zero);
	}
	if (crypto_auth_hmacsha256_init(&st, salt, salt_len) != 0 ||
	    crypto_auth_hmacsha256_update(&st, ikm_len ? ikm : zero, ikm_len) != 0 ||
	    crypto_auth_hmacsha256_final(&st, prk) != 0)
		goto fail;

	for (ctr = 1; done < okm_len; ctr++) {
		size_t take;

		if (crypto_auth_hmacsha256_init(&st, prk, sizeof(prk)) != 0 ||
		    crypto_auth_hmacsha256_update(&st, t, tlen) != 0 ||
		    crypto_auth_hmacsha256_update(&st, info_len ? info : zero, info_len) != 0 ||
		    crypto_auth_hmacsha256_update(&st, &ctr, 1) != 0 ||
		    crypto_auth_hmacsha256_final(&st, t) != 0)
			goto fail;
		tlen = sizeof(t);
		take = okm_len - done < sizeof(t) ? okm_len - done : sizeof(t);
		memcpy(okm + done, t, take);
		done += take;
	}
	error = 0;
	goto done;

fail:
	vios_error_set(VIOS_ERR_CRYPTO, "hkdf: HMAC-SHA-256 failed");
done:
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
	return error;
}
