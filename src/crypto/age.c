/*
 * age.c - the age v1 file format with X25519 recipients (C2SP age spec).
 *
 * A file is a text header then a binary payload:
 *
 *	age-encryption.org/v1
 *	-> X25519 <base64 ephemeral share>
 *	<base64 body: the 16-byte file key wrapped with ChaCha20-Poly1305>
 *	   or, for a passphrase, the only stanza:
 *	-> scrypt <base64 16-byte salt> <decimal log2 N>
 *	<base64 body: the file key wrapped under scrypt(passphrase,
 *	 "age-encryption.org/v1/scrypt" || salt, N, r = 8, p = 1)>
 *	--- <base64 HMAC-SHA-256 of everything up to and including "---">
 *	<16-byte nonce><chunk 0>...<final chunk>
 *
 * Each chunk is at most 64 KiB of plaintext sealed with ChaCha20-Poly1305
 * under HKDF(salt = nonce, ikm = file key, "payload"); its 12-byte nonce is
 * an 11-byte big-endian counter and a flag byte, 1 on the final chunk.
 *
 * The reader is strict: canonical unpadded base64 everywhere, body lines of
 * 64 columns ending with a shorter line, X25519 stanzas of exactly two
 * arguments with a 32-byte share and a 32-byte body, scrypt stanzas alone
 * with exactly a 16-byte salt, a work factor in 1..22 written as a decimal
 * without leading zeros and a 32-byte body (a higher work factor is refused
 * before scrypt runs: 2^23 would take 8 GiB and minutes), an all-zero
 * shared secret refused, at most MAX_HEADER bytes and
 * MAX_STANZAS stanzas. It releases no plaintext before the header MAC has
 * been checked, and reports the end only after a final chunk authenticated
 * and nothing follows it.
 *
 * Invariants: the file key, shared secrets and wrap keys live on the stack
 * and are wiped before return; the payload key and plaintext buffers live
 * in the sodium_malloc'd reader/writer structs and go with sodium_free.
 */
#include "crypto/age.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/bech32.h"
#include "crypto/hkdf.h"
#include "util/error.h"
#include "util/util.h"

#define VERSION_LINE "age-encryption.org/v1"
#define X25519_INFO "age-encryption.org/v1/X25519"
#define SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define SCRYPT_SALT_LEN 16
#define MAX_HEADER (1024 * 1024)
#define MAX_STANZAS 1024
#define BODY_COLUMNS 64
#define FILE_KEY_LEN 16
#define TAG_LEN crypto_aead_chacha20poly1305_ietf_ABYTES
#define ENC_CHUNK (VIOS_AGE_CHUNK + TAG_LEN)
#define PAYLOAD_NONCE_LEN 16
#define B64 sodium_base64_VARIANT_ORIGINAL_NO_PADDING

struct vios_age_writer {
	FILE *dst;
	uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
	uint64_t counter;
	int failed;
	size_t buflen;
	uint8_t buf[VIOS_AGE_CHUNK];
	uint8_t ct[ENC_CHUNK];
};

struct vios_age_reader {
	FILE *src;
	uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
	uint64_t counter;
	int final_seen;	/* the final chunk authenticated */
	int at_end;	/* ...and nothing trails it */
	int error;	/* sticky failure code */
	size_t pos, len;
	uint8_t pt[VIOS_AGE_CHUNK];
	uint8_t ct[ENC_CHUNK];
};

/* One X25519 stanza as parsed: share and wrapped file key. */
typedef struct {
	uint8_t share[crypto_scalarmult_BYTES];
	uint8_t body[FILE_KEY_LEN + TAG_LEN];
} x25519_stanza;

/* The scrypt stanza as parsed (there is at most one). */
typedef struct {
	uint8_t salt[SCRYPT_SALT_LEN];
	int logn;
	uint8_t body[FILE_KEY_LEN + TAG_LEN];
} scrypt_stanza;

/* What the reader needs from a parsed header. */
typedef struct {
	uint8_t *text;		/* the header bytes read so far */
	size_t len, cap;
	size_t mac_input_len;	/* bytes covered by the MAC, through "---" */
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	x25519_stanza *x25519;
	size_t n_x25519, cap_x25519;
	size_t n_stanzas;
	int has_scrypt;
	scrypt_stanza scrypt;
} header;

static int age_corrupt(const char *what)
{
	vios_error_set(VIOS_ERR_AGE, "age: %s", what);
	return VIOS_ECORRUPT;
}

static int init_sodium(void)
{
	if (sodium_init() < 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "age: libsodium failed to initialise");
		return VIOS_ERROR;
	}
	return 0;
}

/* 11-byte big-endian counter, then the final-chunk flag. */
static void chunk_nonce(uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES],
			uint64_t counter, int last)
{
	int i;

	memset(nonce, 0, crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
	for (i = 0; i < 8; i++)
		nonce[10 - i] = (uint8_t)(counter >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

/*
 * Strict unpadded base64: only the standard alphabet, no '=', zero trailing
 * bits, and exactly the decoded length the text implies. Returns 0 with
 * *outlen set, or -1 (also when more than cap bytes would come out).
 */
static int b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t inlen)
{
	size_t i;

	for (i = 0; i < inlen; i++) {
		char c = in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	if (inlen % 4 == 1)
		return -1;
	if (inlen * 3 / 4 > cap)
		return -1;
	if (sodium_base642bin(out, cap, in, inlen, NULL, outlen, NULL, B64) != 0)
		return -1;
	if (*outlen != inlen * 3 / 4)
		return -1;
	return 0;
}

/*
 * Appends one LF-terminated line to h->text; *start is its offset there and
 * *linelen its length without the LF. Returns 0, VIOS_ECORRUPT at EOF
 * before the LF or past MAX_HEADER bytes, or an OS/memory error.
 */
static int read_line(header *h, FILE *src, size_t *start, size_t *linelen)
{
	int c;

	*start = h->len;
	for (;;) {
		c = getc(src);
		if (c == EOF) {
			if (ferror(src))
				return vios_error_os("age: reading header");
			return age_corrupt(h->len == 0 ? "header: the file is empty"
					   : "header: ends before the MAC line");
		}
		if (h->len == h->cap) {
			size_t ncap = h->cap ? h->cap * 2 : 256;
			uint8_t *p;

			if (h->cap >= MAX_HEADER)
				return age_corrupt("header: longer than 1 MiB");
			if (ncap > MAX_HEADER)
				ncap = MAX_HEADER;
			if ((p = realloc(h->text, ncap)) == NULL)
				return vios_error_nomem();
			h->text = p;
			h->cap = ncap;
		}
		h->text[h->len++] = (uint8_t)c;
		if (c == '\n')
			break;
	}
	*linelen = h->len - *start - 1;
	return 0;
}

/*
 * Splits a stanza's argument line (after "-> ") at single spaces; each
 * argument is 1*VCHAR. The first maxargs arguments are returned as pointers
 * into line, the rest only counted in *nargs.
 */
static int split_args(const char *line, size_t len, const char **args, size_t *arglens,
		      size_t maxargs, size_t *nargs)
{
	size_t i = 0, n = 0;

	if (len == 0)
		return age_corrupt("header: stanza has no arguments");
	while (i < len) {
		size_t s = i;

		while (i < len && line[i] != ' ') {
			if ((uint8_t)line[i] < 0x21 || (uint8_t)line[i] > 0x7e)
				return age_corrupt("header: stanza argument has a character outside VCHAR");
			i++;
		}
		if (i == s)
			return age_corrupt("header: stanza has an empty argument");
		if (n < maxargs) {
			args[n] = line + s;
			arglens[n] = i - s;
		}
		n++;
		if (i < len) {
			i++; /* the single space */
			if (i == len)
				return age_corrupt("header: stanza has an empty argument");
		}
	}
	*nargs = n;
	return 0;
}

static int arg_is(const char *arg, size_t len, const char *what)
{
	return len == strlen(what) && memcmp(arg, what, len) == 0;
}

/*
 * Reads stanza body lines: 64-column lines until one shorter (maybe empty),
 * each canonical base64. The first cap bytes go to body (when not NULL);
 * *bodylen is the whole decoded length.
 */
static int read_body(header *h, FILE *src, uint8_t *body, size_t cap, size_t *bodylen)
{
	size_t total = 0;
	int error;

	for (;;) {
		size_t start, len, got;
		uint8_t chunk[BODY_COLUMNS / 4 * 3];

		if ((error = read_line(h, src, &start, &len)) < 0)
			return error;
		if (len > BODY_COLUMNS)
			return age_corrupt("header: stanza body line longer than 64 columns");
		if (b64_decode(chunk, sizeof(chunk), &got, (const char *)h->text + start, len) < 0)
			return age_corrupt("header: stanza body is not canonical unpadded base64");
		if (body != NULL && total + got <= cap)
			memcpy(body + total, chunk, got);
		total += got;
		if (len < BODY_COLUMNS)
			break;
	}
	*bodylen = total;
	return 0;
}

/*
 * The work factor: 1*DIGIT without a leading zero, at most
 * VIOS_AGE_SCRYPT_LOGN_MAX. 0 with *logn, or VIOS_ECORRUPT.
 */
static int parse_logn(int *logn, const char *arg, size_t len)
{
	int v = 0;

	if (len == 0 || len > 2 || arg[0] == '0')
		goto bad;
	for (size_t i = 0; i < len; i++) {
		if (arg[i] < '0' || arg[i] > '9')
			goto bad;
		v = v * 10 + (arg[i] - '0');
	}
	if (v > VIOS_AGE_SCRYPT_LOGN_MAX) {
		vios_error_set(VIOS_ERR_AGE, "age: header: scrypt work factor %d is above %d (would take too long); refused",
			       v, VIOS_AGE_SCRYPT_LOGN_MAX);
		return VIOS_ECORRUPT;
	}
	*logn = v;
	return 0;
bad:
	/* a long argument says only that it is wrong */
	return age_corrupt(len > 2 && arg[0] != '0' && strspn(arg, "0123456789") >= len
			   ? "header: scrypt work factor is above 22 (would take too long); refused"
			   : "header: scrypt work factor is not a decimal from 1 to 22 without leading zeros");
}

/* "-> scrypt SALT LOGN" and its body; the one scrypt stanza of a header. */
static int parse_scrypt(header *h, FILE *src, const char **args, const size_t *arglens, size_t nargs)
{
	scrypt_stanza st;
	size_t saltlen, bodylen;
	int error;

	if (nargs != 3)
		return age_corrupt("header: scrypt stanza must have exactly two arguments (salt, work factor)");
	if (h->has_scrypt)
		return age_corrupt("header: an scrypt stanza must be the only stanza");
	if (b64_decode(st.salt, sizeof(st.salt), &saltlen, args[1], arglens[1]) < 0 ||
	    saltlen != sizeof(st.salt))
		return age_corrupt("header: scrypt salt is not 16 bytes of canonical base64");
	if ((error = parse_logn(&st.logn, args[2], arglens[2])) < 0)
		return error;
	if ((error = read_body(h, src, st.body, sizeof(st.body), &bodylen)) < 0)
		return error;
	if (bodylen != sizeof(st.body))
		return age_corrupt("header: scrypt stanza body is not 32 bytes");
	h->has_scrypt = 1;
	h->scrypt = st;
	return 0;
}

static int parse_stanza(header *h, FILE *src, size_t start, size_t len)
{
	const char *line = (const char *)h->text + start + 3;
	const char *args[3];
	size_t arglens[3], nargs, bodylen, sharelen;
	x25519_stanza st;
	int error, is_x25519;

	if (++h->n_stanzas > MAX_STANZAS)
		return age_corrupt("header: more than 1024 stanzas");
	if ((error = split_args(line, len - 3, args, arglens, 3, &nargs)) < 0)
		return error;
	/* args point into h->text, which read_body may move: use them first. */
	is_x25519 = arg_is(args[0], arglens[0], "X25519");
	if (arg_is(args[0], arglens[0], "scrypt"))
		return parse_scrypt(h, src, args, arglens, nargs);

	if (!is_x25519)
		return read_body(h, src, NULL, 0, &bodylen);

	if (nargs != 2)
		return age_corrupt("header: X25519 stanza must have exactly one argument");
	if (b64_decode(st.share, sizeof(st.share), &sharelen, args[1], arglens[1]) < 0 ||
	    sharelen != sizeof(st.share))
		return age_corrupt("header: X25519 share is not 32 bytes of canonical base64");
	if ((error = read_body(h, src, st.body, sizeof(st.body), &bodylen)) < 0)
		return error;
	if (bodylen != sizeof(st.body))
		return age_corrupt("header: X25519 stanza body is not 32 bytes");

	if (h->n_x25519 == h->cap_x25519) {
		size_t ncap = h->cap_x25519 ? h->cap_x25519 * 2 : 4;
		x25519_stanza *p = realloc(h->x25519, ncap * sizeof(*p));

		if (p == NULL)
			return vios_error_nomem();
		h->x25519 = p;
		h->cap_x25519 = ncap;
	}
	h->x25519[h->n_x25519++] = st;
	return 0;
}

/* Reads and checks the header syntax through the MAC line. */
static int parse_header(header *h, FILE *src)
{
	size_t start, len, maclen;
	int error;

	if ((error = read_line(h, src, &start, &len)) < 0)
		return error;
	if (len != strlen(VERSION_LINE) || memcmp(h->text, VERSION_LINE, len) != 0) {
		if (len >= 19 && memcmp(h->text, "age-encryption.org/", 19) == 0)
			return age_corrupt("header: unsupported version (want age-encryption.org/v1)");
		return age_corrupt("header: not an age file (no age-encryption.org/v1 line)");
	}

	for (;;) {
		const char *line;

		if ((error = read_line(h, src, &start, &len)) < 0)
			return error;
		line = (const char *)h->text + start;
		if (len >= 3 && memcmp(line, "---", 3) == 0)
			break;
		if (len < 3 || memcmp(line, "-> ", 3) != 0)
			return age_corrupt("header: line is neither a stanza (\"-> \") nor the MAC (\"--- \")");
		if ((error = parse_stanza(h, src, start, len)) < 0)
			return error;
	}

	if (h->n_stanzas == 0)
		return age_corrupt("header: no recipient stanza");
	h->mac_input_len = start + 3;
	if (len != 4 + 43 || h->text[start + 3] != ' ')
		return age_corrupt("header: MAC line is not \"--- \" and 43 base64 characters");
	if (b64_decode(h->mac, sizeof(h->mac), &maclen, (const char *)h->text + start + 4, 43) < 0 ||
	    maclen != sizeof(h->mac))
		return age_corrupt("header: MAC is not canonical unpadded base64");
	return 0;
}

static void header_dispose(header *h)
{
	free(h->text);
	if (h->x25519 != NULL)
		sodium_memzero(h->x25519, h->cap_x25519 * sizeof(*h->x25519));
	free(h->x25519);
	sodium_memzero(&h->scrypt, sizeof(h->scrypt));
	memset(h, 0, sizeof(*h));
}

/* wrap key = HKDF(salt = share || recipient, ikm = shared, X25519_INFO). */
static int x25519_wrap_key(uint8_t key[32], const uint8_t shared[32],
			   const uint8_t share[32], const uint8_t recipient[32])
{
	uint8_t salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient, 32);
	return vios_hkdf_sha256(key, 32, salt, sizeof(salt), shared, 32,
				(const uint8_t *)X25519_INFO, strlen(X25519_INFO));
}

/* wrap key = scrypt(passphrase, SCRYPT_LABEL || salt, 2^logn, 8, 1). */
static int scrypt_wrap_key(uint8_t key[32], const vios_secret *pass,
			   const uint8_t salt[SCRYPT_SALT_LEN], int logn)
{
	uint8_t s[sizeof(SCRYPT_LABEL) - 1 + SCRYPT_SALT_LEN];

	assert(logn >= 1 && logn <= VIOS_AGE_SCRYPT_LOGN_MAX);
	memcpy(s, SCRYPT_LABEL, sizeof(SCRYPT_LABEL) - 1);
	memcpy(s + sizeof(SCRYPT_LABEL) - 1, salt, SCRYPT_SALT_LEN);
	if (crypto_pwhash_scryptsalsa208sha256_ll(pass->buf, pass->len, s, sizeof(s),
						  (uint64_t)1 << logn, 8, 1, key, 32) != 0) {
		sodium_memzero(key, 32);
		return vios_error_os("age: scrypt with work factor %d failed", logn);
	}
	return 0;
}

/*
 * Unwraps the file key of the scrypt stanza with the passphrase: 0,
 * VIOS_ENOTFOUND (no scrypt stanza) or VIOS_EAUTH (wrong passphrase).
 */
static int unwrap_scrypt(uint8_t file_key[FILE_KEY_LEN], const header *h, const vios_secret *pass)
{
	static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t wrap[32];
	unsigned long long outlen;
	int error;

	if (!h->has_scrypt) {
		vios_error_set(VIOS_ERR_AGE, "age: the file is not encrypted to a passphrase (no scrypt stanza)");
		return VIOS_ENOTFOUND;
	}
	if ((error = scrypt_wrap_key(wrap, pass, h->scrypt.salt, h->scrypt.logn)) < 0)
		goto done;
	if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, &outlen, NULL, h->scrypt.body,
			sizeof(h->scrypt.body), NULL, 0, zero_nonce, wrap) != 0 || outlen != FILE_KEY_LEN) {
		vios_error_set(VIOS_ERR_AGE, "age: wrong passphrase (the scrypt stanza does not open with it)");
		error = VIOS_EAUTH;
		goto done;
	}
	error = 0;
done:
	sodium_memzero(wrap, sizeof(wrap));
	if (error < 0)
		sodium_memzero(file_key, FILE_KEY_LEN);
	return error;
}

/*
 * Tries every identity on every X25519 stanza. Returns 0 with the file key,
 * VIOS_ENOTFOUND, or VIOS_ECORRUPT for an all-zero shared secret.
 */
static int unwrap_file_key(uint8_t file_key[FILE_KEY_LEN], const header *h,
			   const uint8_t *const *identities, size_t n)
{
	static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t pk[32], shared[32], wrap[32];
	unsigned long long outlen;
	size_t i, j;
	int error = VIOS_ENOTFOUND;

	for (i = 0; i < n; i++) {
		if (crypto_scalarmult_base(pk, identities[i]) != 0) {
			error = VIOS_ERROR;
			vios_error_set(VIOS_ERR_AGE, "age: identity %zu is not a usable X25519 key", i + 1);
			goto done;
		}
		for (j = 0; j < h->n_x25519; j++) {
			const x25519_stanza *st = &h->x25519[j];

			if (crypto_scalarmult(shared, identities[i], st->share) != 0) {
				error = age_corrupt("header: X25519 share gives an all-zero shared secret");
				goto done;
			}
			if ((error = x25519_wrap_key(wrap, shared, st->share, pk)) < 0)
				goto done;
			if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, &outlen, NULL,
					st->body, sizeof(st->body), NULL, 0, zero_nonce, wrap) == 0 &&
			    outlen == FILE_KEY_LEN) {
				error = 0;
				goto done;
			}
			error = VIOS_ENOTFOUND;
		}
	}
	if (h->has_scrypt)
		vios_error_set(VIOS_ERR_AGE, "age: no identity matched (the file is encrypted to a "
			       "passphrase, scrypt: open it with the passphrase)");
	else
		vios_error_set(VIOS_ERR_AGE, "age: no identity matched any of the %zu X25519 stanzas",
			       h->n_x25519);

done:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wrap, sizeof(wrap));
	if (error < 0)
		sodium_memzero(file_key, FILE_KEY_LEN);
	return error;
}

static int header_mac(uint8_t mac[crypto_auth_hmacsha256_BYTES], const uint8_t file_key[FILE_KEY_LEN],
		      const uint8_t *text, size_t len)
{
	uint8_t key[32];
	int error;

	if ((error = vios_hkdf_sha256(key, sizeof(key), NULL, 0, file_key, FILE_KEY_LEN,
				      (const uint8_t *)"header", 6)) < 0)
		goto done;
	if (crypto_auth_hmacsha256(mac, text, len, key) != 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "age: HMAC-SHA-256 failed");
		error = VIOS_ERROR;
	}
done:
	sodium_memzero(key, sizeof(key));
	return error;
}

static int payload_key(uint8_t key[32], const uint8_t nonce[PAYLOAD_NONCE_LEN],
		       const uint8_t file_key[FILE_KEY_LEN])
{
	return vios_hkdf_sha256(key, 32, nonce, PAYLOAD_NONCE_LEN, file_key, FILE_KEY_LEN,
				(const uint8_t *)"payload", 7);
}

/* ---- keys ---- */

/* Rewords the Bech32 module's message as an age one. */
static int bech32_failure(const char *what)
{
	char why[256];
	const char *last = vios_error_last();

	/* The message is copied out first: it lives in the buffer that
	 * vios_error_set is about to overwrite. */
	if (strncmp(last, "bech32: ", 8) == 0)
		last += 8;
	if (strlen(last) >= sizeof(why))
		last = "malformed";
	memcpy(why, last, strlen(last) + 1);
	vios_error_set(VIOS_ERR_AGE, "age: %s is not valid Bech32 (%s)", what, why);
	return VIOS_ECORRUPT;
}

int vios_age_recipient_parse(uint8_t pk[32], const char *text)
{
	char hrp[8];
	size_t len;

	if (pk == NULL || text == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	if (strncmp(text, "age1", 4) != 0)
		return age_corrupt("recipient does not start with age1");
	if (vios_bech32_decode(hrp, sizeof(hrp), pk, 32, &len, text, VIOS_AGE_RECIPIENT_LEN) < 0)
		return bech32_failure("recipient");
	if (strcmp(hrp, "age") != 0 || len != 32) {
		memset(pk, 0, 32);
		return age_corrupt("recipient is not a 32-byte X25519 key under \"age\"");
	}
	return 0;
}

int vios_age_recipient_format(char *out, size_t outlen, const uint8_t pk[32])
{
	if (out == NULL || pk == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	return vios_bech32_encode(out, outlen, "age", pk, 32, 0);
}

int vios_age_identity_parse(uint8_t sk[32], const char *text)
{
	char hrp[24];
	size_t len;

	if (sk == NULL || text == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	if (strncmp(text, "AGE-SECRET-KEY-1", 16) != 0)
		return age_corrupt("identity does not start with AGE-SECRET-KEY-1");
	if (vios_bech32_decode(hrp, sizeof(hrp), sk, 32, &len, text, VIOS_AGE_IDENTITY_LEN) < 0) {
		sodium_memzero(sk, 32);
		return bech32_failure("identity");
	}
	if (strcmp(hrp, "age-secret-key-") != 0 || len != 32) {
		sodium_memzero(sk, 32);
		return age_corrupt("identity is not a 32-byte X25519 key under \"AGE-SECRET-KEY-\"");
	}
	return 0;
}

int vios_age_identity_format(char *out, size_t outlen, const uint8_t sk[32])
{
	if (out == NULL || sk == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	return vios_bech32_encode(out, outlen, "AGE-SECRET-KEY-", sk, 32, 1);
}

/* ---- writer ---- */

static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *p = realloc(*buf, ncap);

		if (p == NULL)
			return vios_error_nomem();
		*buf = p;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

static int write_all(FILE *dst, const void *buf, size_t len)
{
	if (len > 0 && fwrite(buf, 1, len, dst) != len)
		return vios_error_os("age: writing");
	return 0;
}

/* Seals buflen bytes as chunk number w->counter and writes it. */
static int flush_chunk(vios_age_writer *w, int last)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	unsigned long long ctlen;
	int error;

	if (w->counter == UINT64_MAX) {
		vios_error_set(VIOS_ERR_AGE, "age: payload too long");
		return VIOS_ERROR;
	}
	chunk_nonce(nonce, w->counter, last);
	crypto_aead_chacha20poly1305_ietf_encrypt(w->ct, &ctlen, w->buf, w->buflen,
						  NULL, 0, NULL, nonce, w->key);
	if ((error = write_all(w->dst, w->ct, (size_t)ctlen)) < 0)
		return error;
	w->counter++;
	sodium_memzero(w->buf, w->buflen);
	w->buflen = 0;
	return 0;
}

/* The scrypt stanza for pass at work factor logn, wrapping file_key, to hdr. */
static int scrypt_stanza_write(char **hdr, size_t *hlen, size_t *hcap, const uint8_t file_key[FILE_KEY_LEN],
			       const vios_secret *pass, int logn)
{
	static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t salt[SCRYPT_SALT_LEN], wrap[32], body[FILE_KEY_LEN + TAG_LEN];
	char b64[sodium_base64_ENCODED_LEN(FILE_KEY_LEN + TAG_LEN, B64)], line[96];
	int error;

	randombytes_buf(salt, sizeof(salt));
	if ((error = scrypt_wrap_key(wrap, pass, salt, logn)) < 0)
		goto done;
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, FILE_KEY_LEN,
						  NULL, 0, NULL, zero_nonce, wrap);
	sodium_bin2base64(b64, sizeof(b64), salt, sizeof(salt), B64);
	if ((error = vios_snprintf(line, sizeof(line), "-> scrypt %s %d\n", b64, logn)) < 0 ||
	    (error = append(hdr, hlen, hcap, line)) < 0)
		goto done;
	/* 43 characters: a single short body line. */
	sodium_bin2base64(b64, sizeof(b64), body, sizeof(body), B64);
	if ((error = append(hdr, hlen, hcap, b64)) < 0 || (error = append(hdr, hlen, hcap, "\n")) < 0)
		goto done;
	error = 0;
done:
	sodium_memzero(wrap, sizeof(wrap));
	return error;
}

/*
 * Writes the header to dst, one X25519 stanza per recipient or (pass not
 * NULL) the one scrypt stanza, and returns the payload writer.
 */
static int writer_open(vios_age_writer **out, FILE *dst, const uint8_t (*recipients)[32], size_t n,
		       const vios_secret *pass, int logn)
{
	static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	vios_age_writer *w = NULL;
	uint8_t file_key[FILE_KEY_LEN], esk[32], epk[32], shared[32], wrap[32];
	uint8_t body[FILE_KEY_LEN + TAG_LEN], mac[crypto_auth_hmacsha256_BYTES];
	uint8_t nonce[PAYLOAD_NONCE_LEN];
	char b64[sodium_base64_ENCODED_LEN(32, B64)];
	char *hdr = NULL;
	size_t hlen = 0, hcap = 0, i;
	int error = VIOS_ERROR;

	if (out == NULL || dst == NULL ||
	    (pass == NULL && (recipients == NULL || n == 0 || n > MAX_STANZAS))) {
		vios_error_set(VIOS_ERR_AGE, "age: writer needs a file and 1 to %d recipients",
			       MAX_STANZAS);
		goto done;
	}
	if (pass != NULL && (logn < 1 || logn > VIOS_AGE_SCRYPT_LOGN_MAX)) {
		vios_error_set(VIOS_ERR_AGE, "age: scrypt work factor %d is outside 1 to %d",
			       logn, VIOS_AGE_SCRYPT_LOGN_MAX);
		goto done;
	}
	*out = NULL;
	if ((error = init_sodium()) < 0)
		goto done;
	if ((w = sodium_malloc(sizeof(*w))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memset(w, 0, sizeof(*w));
	w->dst = dst;

	randombytes_buf(file_key, sizeof(file_key));
	if ((error = append(&hdr, &hlen, &hcap, VERSION_LINE "\n")) < 0)
		goto done;
	if (pass != NULL && (error = scrypt_stanza_write(&hdr, &hlen, &hcap, file_key, pass, logn)) < 0)
		goto done;
	for (i = 0; pass == NULL && i < n; i++) {
		randombytes_buf(esk, sizeof(esk));
		if (crypto_scalarmult_base(epk, esk) != 0 ||
		    crypto_scalarmult(shared, esk, recipients[i]) != 0) {
			vios_error_set(VIOS_ERR_AGE, "age: recipient %zu is not a usable X25519 key "
				       "(low-order point)", i + 1);
			error = VIOS_ERROR;
			goto done;
		}
		if ((error = x25519_wrap_key(wrap, shared, epk, recipients[i])) < 0)
			goto done;
		crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, sizeof(file_key),
							  NULL, 0, NULL, zero_nonce, wrap);
		sodium_bin2base64(b64, sizeof(b64), epk, sizeof(epk), B64);
		if ((error = append(&hdr, &hlen, &hcap, "-> X25519 ")) < 0 ||
		    (error = append(&hdr, &hlen, &hcap, b64)) < 0 ||
		    (error = append(&hdr, &hlen, &hcap, "\n")) < 0)
			goto done;
		/* 43 characters: a single short body line. */
		sodium_bin2base64(b64, sizeof(b64), body, sizeof(body), B64);
		if ((error = append(&hdr, &hlen, &hcap, b64)) < 0 ||
		    (error = append(&hdr, &hlen, &hcap, "\n")) < 0)
			goto done;
	}
	if ((error = append(&hdr, &hlen, &hcap, "---")) < 0 ||
	    (error = header_mac(mac, file_key, (const uint8_t *)hdr, hlen)) < 0)
		goto done;
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac), B64);
	if ((error = append(&hdr, &hlen, &hcap, " ")) < 0 ||
	    (error = append(&hdr, &hlen, &hcap, b64)) < 0 ||
	    (error = append(&hdr, &hlen, &hcap, "\n")) < 0)
		goto done;

	randombytes_buf(nonce, sizeof(nonce));
	if ((error = payload_key(w->key, nonce, file_key)) < 0)
		goto done;
	if ((error = write_all(dst, hdr, hlen)) < 0 ||
	    (error = write_all(dst, nonce, sizeof(nonce))) < 0)
		goto done;
	error = 0;

done:
	sodium_memzero(file_key, sizeof(file_key));
	sodium_memzero(esk, sizeof(esk));
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wrap, sizeof(wrap));
	free(hdr);
	if (error < 0)
		vios_age_writer_free(w);
	else
		*out = w;
	return error;
}

int vios_age_writer_open(vios_age_writer **out, FILE *dst,
			 const uint8_t (*recipients)[32], size_t n)
{
	return writer_open(out, dst, recipients, n, NULL, 0);
}

int vios_age_writer_open_scrypt(vios_age_writer **out, FILE *dst, const vios_secret *pass, int logn)
{
	if (pass == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	return writer_open(out, dst, NULL, 0, pass, logn);
}

int vios_age_writer_write(vios_age_writer *w, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int error = 0;

	if (w == NULL || (buf == NULL && len > 0)) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	if (w->failed) {
		vios_error_set(VIOS_ERR_AGE, "age: writer already failed");
		return VIOS_ERROR;
	}
	while (len > 0) {
		size_t take;

		/* A full buffer is flushed only once more data is known to
		 * follow, so the final chunk is never empty unless the whole
		 * payload is. */
		if (w->buflen == VIOS_AGE_CHUNK && (error = flush_chunk(w, 0)) < 0) {
			w->failed = 1;
			return error;
		}
		take = VIOS_AGE_CHUNK - w->buflen;
		if (take > len)
			take = len;
		memcpy(w->buf + w->buflen, p, take);
		w->buflen += take;
		p += take;
		len -= take;
	}
	return 0;
}

int vios_age_writer_close(vios_age_writer *w)
{
	int error;

	if (w == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	if (w->failed) {
		vios_error_set(VIOS_ERR_AGE, "age: writer already failed");
		error = VIOS_ERROR;
		goto done;
	}
	if ((error = flush_chunk(w, 1)) < 0)
		goto done;
	if (fflush(w->dst) != 0 || ferror(w->dst))
		error = vios_error_os("age: writing");
done:
	vios_age_writer_free(w);
	return error;
}

void vios_age_writer_free(vios_age_writer *w)
{
	sodium_free(w);
}

/* ---- reader ---- */

/* Opens with the identities, or with the passphrase when pass is not NULL. */
static int reader_open(vios_age_reader **out, FILE *src, const uint8_t *const *identities, size_t n,
		       const vios_secret *pass)
{
	vios_age_reader *r = NULL;
	header h;
	uint8_t file_key[FILE_KEY_LEN] = { 0 };
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	uint8_t nonce[PAYLOAD_NONCE_LEN];
	size_t i;
	int error = VIOS_ERROR;

	memset(&h, 0, sizeof(h));
	if (out == NULL || src == NULL || (identities == NULL && n > 0)) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		goto done;
	}
	*out = NULL;
	for (i = 0; i < n; i++) {
		if (identities[i] == NULL) {
			vios_error_set(VIOS_ERR_AGE, "age: identity %zu is NULL", i + 1);
			goto done;
		}
	}
	if ((error = init_sodium()) < 0)
		goto done;
	if ((error = parse_header(&h, src)) < 0)
		goto done;
	if (h.has_scrypt && h.n_stanzas > 1) {
		error = age_corrupt("header: an scrypt stanza must be the only stanza");
		goto done;
	}
	if (pass != NULL)
		error = unwrap_scrypt(file_key, &h, pass);
	else
		error = unwrap_file_key(file_key, &h, identities, n);
	if (error < 0)
		goto done;
	if ((error = header_mac(mac, file_key, h.text, h.mac_input_len)) < 0)
		goto done;
	if (crypto_verify_32(mac, h.mac) != 0) {
		vios_error_set(VIOS_ERR_AGE, "age: header MAC does not match (header tampered with)");
		error = VIOS_EVERIFY;
		goto done;
	}
	if (fread(nonce, 1, sizeof(nonce), src) != sizeof(nonce)) {
		if (ferror(src))
			error = vios_error_os("age: reading payload nonce");
		else
			error = age_corrupt("payload: the 16-byte nonce is missing or short");
		goto done;
	}
	if ((r = sodium_malloc(sizeof(*r))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memset(r, 0, sizeof(*r));
	r->src = src;
	if ((error = payload_key(r->key, nonce, file_key)) < 0)
		goto done;
	error = 0;

done:
	sodium_memzero(file_key, sizeof(file_key));
	sodium_memzero(mac, sizeof(mac));
	header_dispose(&h);
	if (error < 0)
		vios_age_reader_free(r);
	else
		*out = r;
	return error;
}

int vios_age_reader_open(vios_age_reader **out, FILE *src,
			 const uint8_t *const *identities, size_t n)
{
	return reader_open(out, src, identities, n, NULL);
}

int vios_age_reader_open_scrypt(vios_age_reader **out, FILE *src, const vios_secret *pass)
{
	if (pass == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	return reader_open(out, src, NULL, 0, pass);
}

/*
 * Reads and opens the next chunk into r->pt. A chunk shorter than 64 KiB
 * plus tag is the final one; a full one that fails as a non-final chunk is
 * tried as a final one (a payload that fills its last chunk exactly).
 */
static int read_chunk(vios_age_reader *r)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	unsigned long long ptlen;
	size_t got;
	int last, rc;

	got = fread(r->ct, 1, sizeof(r->ct), r->src);
	if (got < sizeof(r->ct) && ferror(r->src))
		return vios_error_os("age: reading payload");
	if (got == 0)
		return age_corrupt(r->counter == 0 ? "payload: no chunks after the nonce"
				   : "payload: truncated (no final chunk)");
	if (got < TAG_LEN)
		return age_corrupt("payload: chunk shorter than its 16-byte tag");
	if (r->counter == UINT64_MAX)
		return age_corrupt("payload: too many chunks");
	last = got < sizeof(r->ct);
	chunk_nonce(nonce, r->counter, last);
	rc = crypto_aead_chacha20poly1305_ietf_decrypt(r->pt, &ptlen, NULL, r->ct, got,
						       NULL, 0, nonce, r->key);
	if (rc != 0 && !last) {
		last = 1;
		chunk_nonce(nonce, r->counter, last);
		rc = crypto_aead_chacha20poly1305_ietf_decrypt(r->pt, &ptlen, NULL, r->ct, got,
							       NULL, 0, nonce, r->key);
	}
	if (rc != 0) {
		vios_error_set(VIOS_ERR_AGE, "age: payload chunk %llu fails to authenticate",
			       (unsigned long long)r->counter);
		return VIOS_EVERIFY;
	}
	if (last && ptlen == 0 && r->counter != 0)
		return age_corrupt("payload: empty final chunk after data (only an empty payload may have one)");
	r->counter++;
	r->pos = 0;
	r->len = (size_t)ptlen;
	r->final_seen = last;
	return 0;
}

int vios_age_reader_read(vios_age_reader *r, void *buf, size_t cap, size_t *got)
{
	int error;

	if (got != NULL)
		*got = 0;
	if (r == NULL || buf == NULL || cap == 0 || got == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	if (r->error < 0) {
		vios_error_set(VIOS_ERR_AGE, "age: reader already failed");
		return r->error;
	}
	for (;;) {
		if (r->pos < r->len) {
			size_t take = r->len - r->pos;

			if (take > cap)
				take = cap;
			memcpy(buf, r->pt + r->pos, take);
			r->pos += take;
			*got = take;
			if (r->pos == r->len) {
				sodium_memzero(r->pt, r->len);
				r->pos = r->len = 0;
			}
			return 0;
		}
		if (r->at_end)
			return 0;
		if (r->final_seen) {
			int c = getc(r->src);

			if (c != EOF) {
				error = age_corrupt("payload: data after the final chunk");
				goto fail;
			}
			if (ferror(r->src)) {
				error = vios_error_os("age: reading payload");
				goto fail;
			}
			r->at_end = 1;
			return 0;
		}
		if ((error = read_chunk(r)) < 0)
			goto fail;
	}

fail:
	r->error = error;
	return error;
}

void vios_age_reader_free(vios_age_reader *r)
{
	sodium_free(r);
}

/* ---- whole buffers ---- */

static int encrypt_buf(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
		       const uint8_t (*recipients)[32], size_t n, const vios_secret *pass, int logn)
{
	vios_age_writer *w = NULL;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = NULL;
	int error = VIOS_ERROR;

	if (out == NULL || outlen == NULL || (in == NULL && inlen > 0)) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		goto done;
	}
	if ((f = open_memstream(&mem, &memlen)) == NULL) {
		error = vios_error_os("age: open_memstream");
		goto done;
	}
	if ((error = writer_open(&w, f, recipients, n, pass, logn)) < 0 ||
	    (error = vios_age_writer_write(w, in, inlen)) < 0)
		goto done;
	error = vios_age_writer_close(w);
	w = NULL;
	if (error < 0)
		goto done;
	if (fclose(f) != 0) {
		f = NULL;
		error = vios_error_os("age: closing memory stream");
		goto done;
	}
	f = NULL;
	*out = (uint8_t *)mem;
	*outlen = memlen;
	mem = NULL;
	error = 0;

done:
	vios_age_writer_free(w);
	if (f != NULL)
		fclose(f);
	free(mem);
	return error;
}

static int decrypt_buf(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
		       const uint8_t *const *identities, size_t n, const vios_secret *pass, size_t max)
{
	vios_age_reader *r = NULL;
	uint8_t *pt = NULL;
	size_t len = 0, cap = 0;
	FILE *f = NULL;
	int error = VIOS_ERROR;

	if (out == NULL || outlen == NULL || (in == NULL && inlen > 0)) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		goto done;
	}
	if (inlen == 0) {
		error = age_corrupt("header: the file is empty");
		goto done;
	}
	if ((f = fmemopen((void *)in, inlen, "rb")) == NULL) {
		error = vios_error_os("age: fmemopen");
		goto done;
	}
	if ((error = reader_open(&r, f, identities, n, pass)) < 0)
		goto done;
	for (;;) {
		size_t got;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : VIOS_AGE_CHUNK;
			uint8_t *p;

			if (max < SIZE_MAX && ncap > max + 1)
				ncap = max + 1;
			if (ncap <= cap) {
				vios_error_set(VIOS_ERR_AGE, "age: plaintext larger than %zu bytes", max);
				error = VIOS_ECORRUPT;
				goto done;
			}
			if ((p = malloc(ncap)) == NULL) {
				error = vios_error_nomem();
				goto done;
			}
			if (len > 0)
				memcpy(p, pt, len);
			if (pt != NULL) {
				sodium_memzero(pt, cap);
				free(pt);
			}
			pt = p;
			cap = ncap;
		}
		if ((error = vios_age_reader_read(r, pt + len, cap - len, &got)) < 0)
			goto done;
		if (got == 0)
			break;
		len += got;
		if (len > max) {
			vios_error_set(VIOS_ERR_AGE, "age: plaintext larger than %zu bytes", max);
			error = VIOS_ECORRUPT;
			goto done;
		}
	}
	*out = pt;
	*outlen = len;
	pt = NULL;
	error = 0;

done:
	vios_age_reader_free(r);
	if (f != NULL)
		fclose(f);
	if (pt != NULL) {
		sodium_memzero(pt, cap);
		free(pt);
	}
	return error;
}

int vios_age_encrypt_buf(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
			 const uint8_t (*recipients)[32], size_t n)
{
	return encrypt_buf(out, outlen, in, inlen, recipients, n, NULL, 0);
}

int vios_age_decrypt_buf(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
			 const uint8_t *const *identities, size_t n, size_t max)
{
	return decrypt_buf(out, outlen, in, inlen, identities, n, NULL, max);
}

int vios_age_encrypt_buf_scrypt(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
				const vios_secret *pass, int logn)
{
	if (pass == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	return encrypt_buf(out, outlen, in, inlen, NULL, 0, pass, logn);
}

int vios_age_decrypt_buf_scrypt(uint8_t **out, size_t *outlen, const void *in, size_t inlen,
				const vios_secret *pass, size_t max)
{
	if (pass == NULL) {
		vios_error_set(VIOS_ERR_AGE, "age: bad arguments");
		return VIOS_ERROR;
	}
	return decrypt_buf(out, outlen, in, inlen, NULL, 0, pass, max);
}
