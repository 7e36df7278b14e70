/*
 * hkdf.h - HKDF-SHA-256 (RFC 5869) on libsodium's HMAC-SHA-256.
 */
#ifndef VIOS_HKDF_H
#define VIOS_HKDF_H

#include <stddef.h>
#include <stdint.h>

/* Extract-then-expand; okm_len at most 255*32. Returns 0 or VIOS_ERROR. */
int vios_hkdf_sha256(uint8_t *okm, size_t okm_len,
		     const uint8_t *salt, size_t salt_len,
		     const uint8_t *ikm, size_t ikm_len,
		     const uint8_t *info, size_t info_len);

#endif
