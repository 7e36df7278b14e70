/*
 * minisign.h - minisign key and signature formats (https://jedisct1.github.io/minisign/)
 * on libsodium.
 *
 * Public key: base64 of "Ed" || key id (8) || Ed25519 public key (32); the
 * .pub file is "untrusted comment: ...\n<base64>\n".
 * Signature file (4 lines): untrusted comment, base64 of
 * "ED" || key id || Ed25519(BLAKE2b-512(message)), "trusted comment: T",
 * base64 of Ed25519(signature || T) (the global signature).
 *
 * We only produce "ED" (prehashed) signatures. Verification refuses the
 * legacy "Ed" form: it signs the raw message, so a verifier must hold the
 * whole file in memory, and minisign itself only makes it on request
 * (-l); vios never has a reason to accept one.
 *
 * Secret keys live in sodium_malloc memory (vios_minisign_sec) and are wiped
 * by vios_minisign_sec_free.
 */
#ifndef VIOS_MINISIGN_H
#define VIOS_MINISIGN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VIOS_MINISIGN_KEYID 8
#define VIOS_MINISIGN_TRUSTED_MAX 8192 /* minisign's own limit on the comment */
/* Base64 of 42 bytes = 56 characters. */
#define VIOS_MINISIGN_PUB_B64LEN 56
/*
 * The longest comments minisign itself reads back. It reads each comment
 * line with fgets() into a buffer of VIOS_MINISIGN_TRUSTED_MAX (trusted)
 * or 1024 (untrusted) bytes, which must hold the prefix, the text, the '\n'
 * and the NUL; longer lines make stock minisign refuse the file (checked
 * against minisign 0.11, whose signer cannot even write a trusted comment
 * over about 4 KiB, though its verifier reads up to this bound). vios_minisign_sign
 * refuses longer comments and vios_minisign_verify refuses longer lines, so
 * these are the effective bounds on "trusted" and "untrusted" below.
 */
#define VIOS_MINISIGN_TRUSTED_TEXT_MAX 8173   /* 8192 - 1 - strlen("trusted comment: ") - 1 */
#define VIOS_MINISIGN_UNTRUSTED_TEXT_MAX 1003 /* 1024 - 1 - strlen("untrusted comment: ") - 1 */
/* Largest signature file text vios_minisign_verify accepts. */
#define VIOS_MINISIGN_SIG_MAX 16384

typedef struct {
	uint8_t keyid[VIOS_MINISIGN_KEYID];
	uint8_t pk[32];
} vios_minisign_pub;

typedef struct {
	uint8_t keyid[VIOS_MINISIGN_KEYID];
	uint8_t sk[64]; /* libsodium Ed25519 secret key (seed || pk) */
} vios_minisign_sec;

/* New random key pair; *sec is sodium_malloc'd. */
int vios_minisign_keygen(vios_minisign_sec **sec, vios_minisign_pub *pub);
/* A sodium_malloc'd secret from its 64-byte sk and key id. */
int vios_minisign_sec_from(vios_minisign_sec **sec, const uint8_t keyid[8], const uint8_t sk[64]);
void vios_minisign_sec_free(vios_minisign_sec *sec);
/* The public half of a secret key. */
void vios_minisign_sec_pub(vios_minisign_pub *pub, const vios_minisign_sec *sec);

/* Base64 key line ("RW..."), out has room for VIOS_MINISIGN_PUB_B64LEN+1. */
int vios_minisign_pub_format(char *out, size_t outlen, const vios_minisign_pub *pub);
/*
 * The .pub file text, "untrusted comment: <untrusted>\n<key line>\n",
 * malloc'd in *out; untrusted is one line within
 * VIOS_MINISIGN_UNTRUSTED_TEXT_MAX bytes.
 */
int vios_minisign_pub_file(char **out, const vios_minisign_pub *pub, const char *untrusted);
/* Parses either the base64 key line alone or a whole .pub file. */
int vios_minisign_pub_parse(vios_minisign_pub *pub, const char *text);
/* The key id as 16 uppercase hex digits, as minisign prints it. */
void vios_minisign_keyid_hex(char out[17], const uint8_t keyid[8]);

/*
 * Signs msg (BLAKE2b-512 prehash, "ED") and returns the signature file text
 * (malloc'd, NUL-terminated). trusted must be one line of at most
 * VIOS_MINISIGN_TRUSTED_MAX bytes without '\n' or '\r'; untrusted likewise
 * (NULL gives "signature from vios secret key").
 */
int vios_minisign_sign(char **out, const vios_minisign_sec *sec,
		       const uint8_t *msg, size_t len,
		       const char *trusted, const char *untrusted);
/* The same over a stream (hashes it incrementally). */
int vios_minisign_sign_file(char **out, const vios_minisign_sec *sec, FILE *in,
			    const char *trusted, const char *untrusted);

/*
 * A parsed signature file (minisign's sig_load). trusted points into the
 * text that was parsed (not NUL-terminated, may be empty) and lives as long
 * as that text.
 */
typedef struct {
	uint8_t alg[2];                      /* always "ED": the only one accepted */
	uint8_t keyid[VIOS_MINISIGN_KEYID];
	uint8_t sig[64];                     /* Ed25519 over BLAKE2b-512(message) */
	uint8_t global_sig[64];              /* Ed25519 over sig || trusted */
	const char *trusted;                 /* without "trusted comment: " */
	size_t trusted_len;
} vios_minisign_sig;

/*
 * The one reader of the signature file format; parses it without verifying
 * anything. Strict: exactly four LF-terminated lines (trailing empty lines
 * allowed; a CR anywhere is refused), the untrusted and trusted comment
 * prefixes, comments within VIOS_MINISIGN_*_TEXT_MAX (the trusted comment
 * may be empty, as minisign allows), canonical base64 of exact length, the
 * prehashed "ED" algorithm, at most VIOS_MINISIGN_SIG_MAX bytes, no NUL.
 * Returns 0 and fills *out, VIOS_ECORRUPT naming the rule that failed, or
 * VIOS_ERROR when text is NULL.
 */
int vios_minisign_sig_parse(vios_minisign_sig *out, const char *text, size_t len);
/* The trusted comment of a parsed signature as a malloc'd C string. */
int vios_minisign_sig_trusted(char **out, const vios_minisign_sig *sig);

/*
 * Verifies sig_text (a whole signature file) over msg with pub: key id,
 * the signature over BLAKE2b-512(msg) and the global signature over the
 * trusted comment. On success *trusted (if not NULL) is the malloc'd trusted
 * comment, without the "trusted comment: " prefix. Returns 0,
 * VIOS_EVERIFY (wrong key id, bad signature, bad global signature) or
 * VIOS_ECORRUPT (malformed file, legacy "Ed" form); the message says which.
 */
int vios_minisign_verify(char **trusted, const vios_minisign_pub *pub,
			 const uint8_t *msg, size_t len,
			 const char *sig_text, size_t sig_len);
int vios_minisign_verify_file(char **trusted, const vios_minisign_pub *pub, FILE *in,
			      const char *sig_text, size_t sig_len);

#endif
