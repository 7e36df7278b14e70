/*
 * fuzz.h - fixtures shared by the fuzz targets (tools/fuzz/fuzz_*.c), the
 * seed generator (make_seeds.c) and the regression test
 * (tests/unit/test_fuzz_regress.c), so that a seed made by one is a
 * plausible input for the other.
 *
 * Each target is a function `int fuzz_<name>(const uint8_t *data, size_t size)`
 * that runs one input through the reader and never writes to disk. A target
 * file also defines libFuzzer's entry points unless FUZZ_NO_MAIN is defined
 * (the regression test includes every target file with it defined).
 *
 * An invariant a target checks after a reader said yes goes through
 * FUZZ_CHECK, which aborts: libFuzzer (and ASan in `make check SAN=1`)
 * reports it as a crash with the input that caused it.
 */
#ifndef VIOS_FUZZ_H
#define VIOS_FUZZ_H

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/minisign.h"
#include "node/node.h"
#include "sync/layout.h"

#define FUZZ_CHECK(cond)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz: %s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

/*
 * libFuzzer's entry points for a target: init() once at start-up, then
 * one(data, size) per input. Nothing when FUZZ_NO_MAIN is defined (the
 * regression test includes every target file). FUZZ_ENTRY is for targets
 * with nothing to set up.
 */
#ifdef FUZZ_NO_MAIN
#define FUZZ_ENTRY_INIT(init, one)
#else
#define FUZZ_ENTRY_INIT(init, one)                                         \
	int LLVMFuzzerInitialize(int *argc, char ***argv);                 \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                  \
	{                                                                  \
		(void)argc;                                                \
		(void)argv;                                                \
		init();                                                    \
		return 0;                                                  \
	}                                                                  \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);      \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)       \
	{                                                                  \
		return one(data, size);                                    \
	}
#endif
static inline void fuzz_no_init(void)
{
}
#define FUZZ_ENTRY(one) FUZZ_ENTRY_INIT(fuzz_no_init, one)

/* The sender of the fixed bundle header, and the number of ops it claims. */
#define FUZZ_SENDER "0190a000-0000-7000-8000-000000000001"
#define FUZZ_PAYLOAD_OPS 8
#define FUZZ_PAYLOAD_SEQ 1

/*
 * The fixed, plausible header fuzz_bundle_payload reads every payload
 * against: a theme bundle, seq 1, FUZZ_PAYLOAD_OPS ops, clock 2026-01-01.
 * It is what vios_bundle_export would sign (keys sorted, compact).
 */
#define FUZZ_HEADER_JSON                                                                        \
	"{\"categories\":[\"theme\"],\"covenant_version\":1,\"format\":\"vios-bundle-1\","   \
	"\"hlc\":\"115816896921600000\",\"ops\":8,"                                          \
	"\"prev\":\"" VIOS_ZERO_HASH "\","                                                   \
	"\"recipients\":[\"0190a000-0000-7000-8000-000000000001\","                           \
	"\"0190a000-0000-7000-8000-000000000002\",\"0190a000-0000-7000-8000-000000000003\"]," \
	"\"sender\":\"0190a000-0000-7000-8000-000000000001\",\"seq\":1}"

/*
 * The X25519 identity fuzz_age decrypts with: the one of the C2SP CCTV age
 * test vectors (tests/resources/age), so their files are seeds as they are.
 */
#define FUZZ_AGE_IDENTITY "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"

/* The message fuzz_minisign verifies signatures over. */
#define FUZZ_MINISIGN_MESSAGE "vios fuzz: the signed message\n"

/*
 * The fixed minisign key pair: Ed25519 from a seed of 32 bytes 0x76 ('v'),
 * key id derived as vios derives it. sk may be NULL.
 */
static inline void fuzz_minisign_key(vios_minisign_pub *pub, uint8_t sk[64])
{
	uint8_t seed[32], pk[32], skbuf[64];

	memset(seed, 0x76, sizeof(seed));
	crypto_sign_seed_keypair(pk, skbuf, seed);
	memcpy(pub->pk, pk, 32);
	vios_keyid_from_pk(pub->keyid, pk);
	if (sk != NULL)
		memcpy(sk, skbuf, 64);
	sodium_memzero(skbuf, sizeof(skbuf));
}

/* A NUL-terminated malloc'd copy of the input (for text readers). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		if (size)
			memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

#endif
