/*
 * bech32.h - Bech32 (BIP-173) encoding for age keys.
 *
 * Unlike BIP-173 there is no 90-character limit (age keys are longer); the
 * caller passes the limit it wants. Mixed case is rejected; the output case
 * follows the input HRP's case.
 */
#ifndef VIOS_BECH32_H
#define VIOS_BECH32_H

#include <stddef.h>
#include <stdint.h>

/* Encodes 8-bit data under hrp. Returns 0 or VIOS_ERROR (no room). Output is
 * lowercase unless upper != 0. */
int vios_bech32_encode(char *out, size_t outlen, const char *hrp,
		       const uint8_t *data, size_t len, int upper);

/*
 * Decodes text of at most maxlen characters into hrp (lowercased, room for
 * hrplen bytes) and 8-bit data (room for datacap bytes; *datalen set).
 * Returns 0 or VIOS_ECORRUPT with the rule that failed (checksum, mixed
 * case, bad character, padding).
 */
int vios_bech32_decode(char *hrp, size_t hrplen, uint8_t *data, size_t datacap,
		       size_t *datalen, const char *text, size_t maxlen);

/* BIP-173 checksum test on the 5-bit level only (for known-answer tests):
 * 0 when text is a valid Bech32 string of at most 90 characters. */
int vios_bech32_check(const char *text);

#endif
