/*
 * bech32.c - Bech32 (BIP-173) as age uses it: checksum over the lowercase
 * HRP, 8-bit data regrouped into 5-bit groups, no length limit unless the
 * caller asks for one.
 *
 * Nothing is allocated: the checksum and the 5-to-8 bit regrouping are run
 * straight over the text, so a secret key being decoded only ever exists in
 * the caller's buffer (and a few bits in a local accumulator, wiped).
 */
#include "crypto/bech32.h"

#include <sodium.h>
#include <string.h>

#include "util/error.h"

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

#define CHECKSUM_LEN 6
#define BIP173_MAXLEN 90

static uint32_t polymod_step(uint32_t pre)
{
	uint32_t b = pre >> 25;

	return ((pre & 0x1ffffffu) << 5) ^
		(-((b >> 0) & 1) & 0x3b6a57b2u) ^
		(-((b >> 1) & 1) & 0x26508e6du) ^
		(-((b >> 2) & 1) & 0x1ea119fau) ^
		(-((b >> 3) & 1) & 0x3d4233ddu) ^
		(-((b >> 4) & 1) & 0x2a1462b3u);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static char upper_of(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* The 5-bit value of a data character (either case), or -1. */
static int charval(char c)
{
	const char *p;

	c = lower(c);
	if (c == '\0' || (p = strchr(charset, c)) == NULL)
		return -1;
	return (int)(p - charset);
}

/* Checksum state after the expanded HRP (high bits, 0, low bits). */
static uint32_t hrp_state(const char *hrp, size_t hrplen)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < hrplen; i++)
		chk = polymod_step(chk) ^ ((uint8_t)lower(hrp[i]) >> 5);
	chk = polymod_step(chk);
	for (i = 0; i < hrplen; i++)
		chk = polymod_step(chk) ^ ((uint8_t)lower(hrp[i]) & 31);
	return chk;
}

int vios_bech32_encode(char *out, size_t outlen, const char *hrp,
		       const uint8_t *data, size_t len, int upper)
{
	size_t hrplen, need, o = 0, i;
	uint32_t chk, acc = 0;
	unsigned bits = 0;
	int error = VIOS_ERROR;

	if (out == NULL || hrp == NULL || (data == NULL && len > 0)) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: bad arguments");
		goto done;
	}
	hrplen = strlen(hrp);
	if (hrplen == 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: empty human-readable part");
		goto done;
	}
	for (i = 0; i < hrplen; i++) {
		if ((uint8_t)hrp[i] < 33 || (uint8_t)hrp[i] > 126) {
			vios_error_set(VIOS_ERR_CRYPTO, "bech32: human-readable part has a character out of range");
			goto done;
		}
	}
	if (len > (SIZE_MAX - hrplen - 16) / 2) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: data too long");
		goto done;
	}
	need = hrplen + 1 + (len * 8 + 4) / 5 + CHECKSUM_LEN + 1;
	if (outlen < need) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: output needs %zu bytes, has %zu", need, outlen);
		goto done;
	}

	for (i = 0; i < hrplen; i++)
		out[o++] = upper ? upper_of(hrp[i]) : lower(hrp[i]);
	out[o++] = '1';

	chk = hrp_state(hrp, hrplen);
	for (i = 0; i < len; i++) {
		acc = ((acc << 8) | data[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			uint32_t v = (acc >> (bits - 5)) & 31;

			bits -= 5;
			chk = polymod_step(chk) ^ v;
			out[o++] = charset[v];
		}
	}
	if (bits > 0) {
		uint32_t v = (acc << (5 - bits)) & 31;

		chk = polymod_step(chk) ^ v;
		out[o++] = charset[v];
	}
	for (i = 0; i < CHECKSUM_LEN; i++)
		chk = polymod_step(chk);
	chk ^= 1;
	for (i = 0; i < CHECKSUM_LEN; i++)
		out[o++] = charset[(chk >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	if (upper) {
		for (i = hrplen + 1; i < o; i++)
			out[i] = upper_of(out[i]);
	}
	error = 0;

done:
	sodium_memzero(&acc, sizeof(acc));
	return error;
}

/*
 * Checks everything at the 5-bit level: length, character range, case,
 * separator, data characters, checksum. Sets *seppos to the separator.
 */
static int check5(size_t *seppos, const char *text, size_t maxlen)
{
	size_t len, i, sep;
	int has_lower = 0, has_upper = 0;
	uint32_t chk;

	len = strnlen(text, maxlen + 1);
	if (len > maxlen) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: longer than %zu characters", maxlen);
		return VIOS_ECORRUPT;
	}
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)text[i];

		if (c < 33 || c > 126) {
			vios_error_set(VIOS_ERR_CRYPTO, "bech32: character out of range at %zu", i);
			return VIOS_ECORRUPT;
		}
		if (c >= 'a' && c <= 'z')
			has_lower = 1;
		if (c >= 'A' && c <= 'Z')
			has_upper = 1;
	}
	if (has_lower && has_upper) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: mixed case");
		return VIOS_ECORRUPT;
	}
	{
		const char *p = memrchr(text, '1', len);

		if (p == NULL) {
			vios_error_set(VIOS_ERR_CRYPTO, "bech32: no separator character");
			return VIOS_ECORRUPT;
		}
		sep = (size_t)(p - text);
	}
	if (sep == 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: empty human-readable part");
		return VIOS_ECORRUPT;
	}
	if (len - sep - 1 < CHECKSUM_LEN) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: checksum too short");
		return VIOS_ECORRUPT;
	}
	chk = hrp_state(text, sep);
	for (i = sep + 1; i < len; i++) {
		int v = charval(text[i]);

		if (v < 0) {
			vios_error_set(VIOS_ERR_CRYPTO, "bech32: invalid data character at %zu", i);
			return VIOS_ECORRUPT;
		}
		chk = polymod_step(chk) ^ (uint32_t)v;
	}
	if (chk != 1) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: checksum mismatch");
		return VIOS_ECORRUPT;
	}
	*seppos = sep;
	return 0;
}

int vios_bech32_decode(char *hrp, size_t hrplen, uint8_t *data, size_t datacap,
		       size_t *datalen, const char *text, size_t maxlen)
{
	size_t sep, len, i, n = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	int error;

	if (hrp == NULL || (data == NULL && datacap > 0) || datalen == NULL || text == NULL) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: bad arguments");
		error = VIOS_ERROR;
		goto done;
	}
	*datalen = 0;
	if ((error = check5(&sep, text, maxlen)) < 0)
		goto done;
	error = VIOS_ECORRUPT;
	if (sep + 1 > hrplen) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: human-readable part longer than %zu characters",
			       hrplen ? hrplen - 1 : 0);
		goto done;
	}
	len = strlen(text) - CHECKSUM_LEN;
	for (i = sep + 1; i < len; i++) {
		acc = ((acc << 5) | (uint32_t)charval(text[i])) & 0x1fff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n == datacap) {
				vios_error_set(VIOS_ERR_CRYPTO, "bech32: more than %zu bytes of data", datacap);
				goto done;
			}
			data[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits >= 5) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: padding of 5 or more bits");
		goto done;
	}
	if ((acc & ((1u << bits) - 1)) != 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: non-zero padding bits");
		goto done;
	}
	for (i = 0; i < sep; i++)
		hrp[i] = lower(text[i]);
	hrp[sep] = '\0';
	*datalen = n;
	error = 0;

done:
	sodium_memzero(&acc, sizeof(acc));
	if (error < 0 && data != NULL && n > 0)
		sodium_memzero(data, n);
	return error;
}

int vios_bech32_check(const char *text)
{
	size_t sep;

	if (text == NULL) {
		vios_error_set(VIOS_ERR_CRYPTO, "bech32: bad arguments");
		return VIOS_ERROR;
	}
	return check5(&sep, text, BIP173_MAXLEN);
}
