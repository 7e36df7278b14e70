/*
 * age.h - the age v1 file format (C2SP age spec, https://age-encryption.org/v1)
 * with X25519 recipients and the scrypt (passphrase) recipient, built on
 * libsodium.
 *
 * Writer: header with one X25519 stanza per recipient (or the one scrypt
 * stanza for a passphrase), header MAC, then the
 * STREAM payload (ChaCha20-Poly1305, 64 KiB chunks, last chunk flagged).
 * Reader: strict parser (canonical unpadded base64, stanza bodies of exactly
 * 32 bytes for X25519, header line limits), unknown stanza types skipped,
 * all-zero shared secret rejected, header MAC checked before any payload
 * byte is released, truncation without a final chunk rejected.
 *
 * Secret keys are held by the caller in sodium_malloc memory; this module
 * copies nothing secret into ordinary memory except on the stack, where it
 * is wiped before return.
 */
#ifndef VIOS_AGE_H
#define VIOS_AGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/secret.h"

#define VIOS_AGE_CHUNK 65536
/* "age1" + 52 data chars + 6 checksum chars, and the identity likewise. */
#define VIOS_AGE_RECIPIENT_LEN 62
#define VIOS_AGE_IDENTITY_LEN 74
/* scrypt work factor (log2 N) vios writes: 2^18 takes 256 MiB and about a
 * second, as stock age picks on a typical machine. */
#define VIOS_AGE_SCRYPT_LOGN 18
/* The highest work factor a reader accepts (4 GiB); above it the header is
 * refused before scrypt runs (the CCTV vectors expect 23 to be refused). */
#define VIOS_AGE_SCRYPT_LOGN_MAX 22

/* Bech32 "age1..." -> 32-byte X25519 public key. 0 or VIOS_ECORRUPT. */
int vios_age_recipient_parse(uint8_t pk[32], const char *text);
/* 32-byte public key -> "age1..." (out has room for VIOS_AGE_RECIPIENT_LEN+1). */
int vios_age_recipient_format(char *out, size_t outlen, const uint8_t pk[32]);
/* "AGE-SECRET-KEY-1..." -> 32-byte X25519 secret. 0 or VIOS_ECORRUPT. */
int vios_age_identity_parse(uint8_t sk[32], const char *text);
/* 32-byte secret -> "AGE-SECRET-KEY-1..." (uppercase, room for VIOS_AGE_IDENTITY_LEN+1). */
int vios_age_identity_format(char *out, size_t outlen, const uint8_t sk[32]);

/* Streaming writer. */
typedef struct vios_age_writer vios_age_writer;

/*
 * Writes the header for n recipients (32-byte X25519 public keys) to out and
 * returns a writer for the payload. out stays owned by the caller.
 */
int vios_age_writer_open(vios_age_writer **out, FILE *dst,
			 const uint8_t (*recipients)[32], size_t n);
/*
 * The same with the one scrypt stanza for a passphrase (the bytes of pass,
 * as typed) at work factor logn (1 to VIOS_AGE_SCRYPT_LOGN_MAX). Stock
 * `age -d` opens the file with the passphrase.
 */
int vios_age_writer_open_scrypt(vios_age_writer **out, FILE *dst, const vios_secret *pass, int logn);
int vios_age_writer_write(vios_age_writer *w, const void *buf, size_t len);
/* Writes the final chunk. Frees w whatever the outcome. */
int vios_age_writer_close(vios_age_writer *w);
/* Abandons a writer without finishing the file (frees it). */
void vios_age_writer_free(vios_age_writer *w);

/* Streaming reader. */
typedef struct vios_age_reader vios_age_reader;

/*
 * Reads and checks the header from src and unwraps the file key with the
 * first identity (32-byte X25519 secret keys) that matches a stanza.
 * Returns 0; VIOS_ENOTFOUND when no identity matches ("no match");
 * VIOS_EVERIFY when the header MAC is wrong; VIOS_ECORRUPT for a malformed
 * header. The message says which rule failed.
 */
int vios_age_reader_open(vios_age_reader **out, FILE *src,
			 const uint8_t *const *identities, size_t n);
/*
 * Reads up to cap plaintext bytes into buf. *got = 0 means the end, reached
 * only after the final chunk authenticated and nothing trails it.
 * Returns 0, VIOS_EVERIFY (chunk fails to authenticate) or VIOS_ECORRUPT
 * (truncated, empty non-initial final chunk, trailing data).
 */
/*
 * Reads the header as vios_age_reader_open does and unwraps the file key
 * with a passphrase: the scrypt stanza must be the only stanza and its work
 * factor at most VIOS_AGE_SCRYPT_LOGN_MAX (VIOS_ECORRUPT otherwise, before
 * scrypt runs). VIOS_EAUTH for a wrong passphrase, VIOS_ENOTFOUND when the
 * file has no scrypt stanza, VIOS_EVERIFY for a wrong header MAC.
 */
int vios_age_reader_open_scrypt(vios_age_reader **out, FILE *src, const vios_secret *pass);
int vios_age_reader_read(vios_age_reader *r, void *buf, size_t cap, size_t *got);
void vios_age_reader_free(vios_age_reader *r);

/* Conveniences over the streams. */
int vios_age_encrypt_buf(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
			 const uint8_t (*recipients)[32], size_t n);
/* Decrypts a whole buffer; the plaintext is malloc'd; at most max bytes. */
int vios_age_decrypt_buf(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
			 const uint8_t *const *identities, size_t n, size_t max);
/* The same to and from a passphrase (scrypt). */
int vios_age_encrypt_buf_scrypt(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
				const vios_secret *pass, int logn);
int vios_age_decrypt_buf_scrypt(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
				const vios_secret *pass, size_t max);

#endif
