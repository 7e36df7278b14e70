/*
 * minisign.c - minisign keys and prehashed ("ED") signatures; see minisign.h.
 *
 * The formats are minisign's own (jedisct1/minisign, src/minisign.c):
 *
 *   public key   base64("Ed" || keyid[8] || ed25519 pk[32])          56 chars
 *   signature    base64("ED" || keyid[8] || ed25519(BLAKE2b-512(m)))  100 chars
 *   global sig   base64(ed25519(sig[64] || trusted comment bytes))     88 chars
 *
 * base64 is the standard alphabet with '=' padding (libsodium's
 * sodium_base64_VARIANT_ORIGINAL, what minisign writes). The key id is 8
 * raw bytes; minisign shows it as the uppercase hex of the little-endian
 * 64-bit integer they encode, which vios_minisign_keyid_hex reproduces.
 *
 * The parser (vios_minisign_sig_parse, the only reader of signature files
 * in vios) is stricter than minisign: it takes exactly four LF-terminated
 * lines (trailing empty lines allowed), exact base64 lengths in canonical
 * form, comments within the bounds minisign itself can read back, and only
 * the prehashed "ED" algorithm. Every refusal names the rule that failed.
 * Nothing here prints; secret keys stay in sodium_malloc memory.
 */
#include "crypto/minisign.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SIGALG_LEGACY "Ed"
#define SIGALG_HASHED "ED"
#define PKALG "Ed"
#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define DEFAULT_UNTRUSTED "signature from vios secret key"

#define PREHASH_LEN crypto_generichash_BYTES_MAX /* 64: BLAKE2b-512 */
#define SIG_BIN_LEN (2 + VIOS_MINISIGN_KEYID + crypto_sign_BYTES) /* 74 */
#define PUB_BIN_LEN (2 + VIOS_MINISIGN_KEYID + crypto_sign_PUBLICKEYBYTES) /* 42 */
#define SIG_B64_LEN 100 /* base64 of 74 bytes, one '=' */
#define GSIG_B64_LEN 88 /* base64 of 64 bytes, "==" */
#define READ_CHUNK 65536

_Static_assert(sizeof(((vios_minisign_sig *)0)->sig) == crypto_sign_BYTES, "Ed25519 signature size");

/* 1 when b64 is len alphabet characters of which exactly the last pad are '='. */
static int b64_well_formed(const char *b64, size_t len, size_t pad)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (len < pad)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (i >= len - pad) {
			if (b64[i] != '=')
				return 0;
		} else if (b64[i] == '\0' || strchr(alphabet, b64[i]) == NULL) {
			return 0;
		}
	}
	return 1;
}

/*
 * Decodes exactly binlen bytes from the len characters at b64, which must
 * be the canonical padded encoding (the one sodium_bin2base64 produces).
 * Returns 0 or VIOS_ECORRUPT with a message naming `what`.
 */
static int b64_decode_exact(uint8_t *bin, size_t binlen, const char *b64, size_t len,
			    const char *what)
{
	char again[160];
	const char *end = NULL;
	size_t got = 0;
	size_t want = sodium_base64_ENCODED_LEN(binlen, sodium_base64_VARIANT_ORIGINAL) - 1;
	int error = VIOS_ECORRUPT;

	if (want + 1 > sizeof(again)) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: %s: internal size error", what);
		error = VIOS_ERROR;
		goto done;
	}
	if (len != want) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: %s is %zu base64 characters, expected %zu",
			       what, len, want);
		goto done;
	}
	if (!b64_well_formed(b64, len, (3 - binlen % 3) % 3)) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: %s is not valid base64", what);
		goto done;
	}
	/*
	 * Well formed, so what is left to fail is non-zero spare bits in the
	 * last character. libsodium refuses those; re-encoding and comparing
	 * states the rule without relying on that.
	 */
	if (sodium_base642bin(bin, binlen, b64, len, NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    got == binlen && end == b64 + len) {
		sodium_bin2base64(again, sizeof(again), bin, binlen, sodium_base64_VARIANT_ORIGINAL);
		if (memcmp(again, b64, len) == 0)
			error = 0;
	}
	if (error < 0)
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: %s is not canonical base64 (stray bits in its last character)",
			       what);
done:
	return error;
}

void vios_minisign_keyid_hex(char out[17], const uint8_t keyid[8])
{
	static const char digits[] = "0123456789ABCDEF";
	uint64_t v = vios_load_le64(keyid);

	for (int i = 15; i >= 0; i--) {
		out[i] = digits[v & 15];
		v >>= 4;
	}
	out[16] = '\0';
}

int vios_minisign_keygen(vios_minisign_sec **sec, vios_minisign_pub *pub)
{
	vios_minisign_sec *s = NULL;
	int error = VIOS_ERROR;

	if (sec == NULL || pub == NULL) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: keygen: missing argument");
		goto done;
	}
	*sec = NULL;
	if (sodium_init() < 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "minisign: libsodium failed to initialise");
		goto done;
	}
	if ((s = sodium_malloc(sizeof(*s))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	randombytes_buf(s->keyid, sizeof(s->keyid));
	if (crypto_sign_keypair(pub->pk, s->sk) != 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "minisign: key generation failed");
		goto done;
	}
	memcpy(pub->keyid, s->keyid, sizeof(pub->keyid));
	error = 0;

done:
	if (error < 0)
		vios_minisign_sec_free(s);
	else
		*sec = s;
	return error;
}

int vios_minisign_sec_from(vios_minisign_sec **sec, const uint8_t keyid[8], const uint8_t sk[64])
{
	vios_minisign_sec *s = NULL;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk2[crypto_sign_SECRETKEYBYTES];
	int error = VIOS_ERROR;

	if (sec == NULL || keyid == NULL || sk == NULL) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: sec_from: missing argument");
		goto done;
	}
	*sec = NULL;
	if (sodium_init() < 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "minisign: libsodium failed to initialise");
		goto done;
	}
	/* The pk half must be the one the seed half derives. */
	if (crypto_sign_seed_keypair(pk, sk2, sk) != 0 ||
	    sodium_memcmp(sk2, sk, sizeof(sk2)) != 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: secret key is inconsistent (its public half does not match its seed)");
		error = VIOS_ECORRUPT;
		goto done;
	}
	if ((s = sodium_malloc(sizeof(*s))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(s->keyid, keyid, sizeof(s->keyid));
	memcpy(s->sk, sk, sizeof(s->sk));
	error = 0;

done:
	sodium_memzero(sk2, sizeof(sk2));
	if (error < 0)
		vios_minisign_sec_free(s);
	else
		*sec = s;
	return error;
}

void vios_minisign_sec_free(vios_minisign_sec *sec)
{
	/* sodium_free wipes the whole allocation before releasing it. */
	if (sec != NULL)
		sodium_free(sec);
}

void vios_minisign_sec_pub(vios_minisign_pub *pub, const vios_minisign_sec *sec)
{
	memcpy(pub->keyid, sec->keyid, sizeof(pub->keyid));
	memcpy(pub->pk, sec->sk + crypto_sign_SEEDBYTES, sizeof(pub->pk));
}

static int comment_ok(const char *c, size_t max, const char *what);

int vios_minisign_pub_file(char **out, const vios_minisign_pub *pub, const char *untrusted)
{
	char line[VIOS_MINISIGN_PUB_B64LEN + 1], *text = NULL;
	int error;

	assert(out != NULL && pub != NULL && untrusted != NULL);
	*out = NULL;
	if ((error = comment_ok(untrusted, VIOS_MINISIGN_UNTRUSTED_TEXT_MAX, "untrusted")) < 0 ||
	    (error = vios_minisign_pub_format(line, sizeof(line), pub)) < 0)
		goto done;
	if (asprintf(&text, UNTRUSTED_PREFIX "%s\n%s\n", untrusted, line) < 0) {
		text = NULL;
		error = vios_error_nomem();
		goto done;
	}
	*out = text;
done:
	return error;
}

int vios_minisign_pub_format(char *out, size_t outlen, const vios_minisign_pub *pub)
{
	uint8_t bin[PUB_BIN_LEN];

	if (out == NULL || pub == NULL || outlen < VIOS_MINISIGN_PUB_B64LEN + 1) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: public key needs %d bytes of room", VIOS_MINISIGN_PUB_B64LEN + 1);
		return VIOS_ERROR;
	}
	memcpy(bin, PKALG, 2);
	memcpy(bin + 2, pub->keyid, VIOS_MINISIGN_KEYID);
	memcpy(bin + 2 + VIOS_MINISIGN_KEYID, pub->pk, sizeof(pub->pk));
	sodium_bin2base64(out, outlen, bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Largest .pub text worth looking at: a comment line and the key line. */
#define PUB_TEXT_MAX \
	(sizeof(UNTRUSTED_PREFIX) + VIOS_MINISIGN_UNTRUSTED_TEXT_MAX + 2 * VIOS_MINISIGN_PUB_B64LEN + 64)

int vios_minisign_pub_parse(vios_minisign_pub *pub, const char *text)
{
	uint8_t bin[PUB_BIN_LEN];
	const char *p, *end, *nl;
	size_t n;
	int error = VIOS_ECORRUPT;

	if (pub == NULL || text == NULL) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: pub_parse: missing argument");
		error = VIOS_ERROR;
		goto done;
	}
	for (n = 0; n <= PUB_TEXT_MAX && text[n] != '\0'; n++)
		;
	if (n > PUB_TEXT_MAX) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: public key text is longer than %zu bytes", (size_t)PUB_TEXT_MAX);
		goto done;
	}
	p = text;
	end = text + n;
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: public key is empty");
		goto done;
	}

	/* More than one line: a whole .pub file, comment line then key line. */
	if ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if ((size_t)(nl - p) < sizeof(UNTRUSTED_PREFIX) - 1 ||
		    memcmp(p, UNTRUSTED_PREFIX, sizeof(UNTRUSTED_PREFIX) - 1) != 0) {
			vios_error_set(VIOS_ERR_MINISIGN,
				       "minisign: public key file should start with \"" UNTRUSTED_PREFIX "\"");
			goto done;
		}
		if ((size_t)(nl - p) > sizeof(UNTRUSTED_PREFIX) - 1 + VIOS_MINISIGN_UNTRUSTED_TEXT_MAX) {
			vios_error_set(VIOS_ERR_MINISIGN,
				       "minisign: public key file comment is longer than %d bytes",
				       VIOS_MINISIGN_UNTRUSTED_TEXT_MAX);
			goto done;
		}
		if (memchr(p, '\r', (size_t)(nl - p)) != NULL) {
			vios_error_set(VIOS_ERR_MINISIGN,
				       "minisign: public key file comment line contains a CR (expected LF line endings)");
			goto done;
		}
		p = nl + 1;
		if (memchr(p, '\n', (size_t)(end - p)) != NULL) {
			vios_error_set(VIOS_ERR_MINISIGN,
				       "minisign: public key file has text after its key line");
			goto done;
		}
	} else if ((size_t)(end - p) >= sizeof(UNTRUSTED_PREFIX) - 2 &&
		   memcmp(p, UNTRUSTED_PREFIX, sizeof(UNTRUSTED_PREFIX) - 2) == 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: public key file has a comment line but no key line");
		goto done;
	}

	if (b64_decode_exact(bin, sizeof(bin), p, (size_t)(end - p), "public key") < 0)
		goto done;
	if (memcmp(bin, PKALG, 2) != 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: public key algorithm is not \"" PKALG "\" (Ed25519)");
		goto done;
	}
	memcpy(pub->keyid, bin + 2, VIOS_MINISIGN_KEYID);
	memcpy(pub->pk, bin + 2 + VIOS_MINISIGN_KEYID, sizeof(pub->pk));
	error = 0;

done:
	return error;
}

/* 0 when c is one line (no CR or LF) of at most max bytes, else VIOS_EUSAGE. */
static int comment_ok(const char *c, size_t max, const char *what)
{
	size_t n = strlen(c);

	if (n > max) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: %s comment is %zu bytes, the limit is %zu", what, n, max);
		return VIOS_EUSAGE;
	}
	if (strpbrk(c, "\r\n") != NULL) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: %s comment must be one line (it contains CR or LF)", what);
		return VIOS_EUSAGE;
	}
	return 0;
}

/* The signature file text for a BLAKE2b-512 prehash; see vios_minisign_sign. */
static int sign_prehashed(char **out, const vios_minisign_sec *sec,
			  const uint8_t hash[PREHASH_LEN],
			  const char *trusted, const char *untrusted)
{
	uint8_t sigbin[SIG_BIN_LEN];
	uint8_t gsig[crypto_sign_BYTES];
	uint8_t *signed_comment = NULL;
	char *text = NULL, *w;
	size_t tlen, ulen, total;
	int error = VIOS_ERROR;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || sec == NULL || trusted == NULL) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: sign: missing argument");
		goto done;
	}
	if (untrusted == NULL)
		untrusted = DEFAULT_UNTRUSTED;
	if ((error = comment_ok(trusted, VIOS_MINISIGN_TRUSTED_TEXT_MAX, "trusted")) < 0 ||
	    (error = comment_ok(untrusted, VIOS_MINISIGN_UNTRUSTED_TEXT_MAX, "untrusted")) < 0)
		goto done;
	error = VIOS_ERROR;
	tlen = strlen(trusted);
	ulen = strlen(untrusted);

	memcpy(sigbin, SIGALG_HASHED, 2);
	memcpy(sigbin + 2, sec->keyid, VIOS_MINISIGN_KEYID);
	if (crypto_sign_detached(sigbin + 2 + VIOS_MINISIGN_KEYID, NULL, hash, PREHASH_LEN,
				 sec->sk) != 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "minisign: signing failed");
		goto done;
	}

	if ((signed_comment = malloc(crypto_sign_BYTES + tlen)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(signed_comment, sigbin + 2 + VIOS_MINISIGN_KEYID, crypto_sign_BYTES);
	memcpy(signed_comment + crypto_sign_BYTES, trusted, tlen);
	if (crypto_sign_detached(gsig, NULL, signed_comment, crypto_sign_BYTES + tlen,
				 sec->sk) != 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "minisign: signing the trusted comment failed");
		goto done;
	}

	total = sizeof(UNTRUSTED_PREFIX) - 1 + ulen + 1 + SIG_B64_LEN + 1 +
		sizeof(TRUSTED_PREFIX) - 1 + tlen + 1 + GSIG_B64_LEN + 1 + 1;
	if ((text = malloc(total)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	w = text;
	memcpy(w, UNTRUSTED_PREFIX, sizeof(UNTRUSTED_PREFIX) - 1);
	w += sizeof(UNTRUSTED_PREFIX) - 1;
	memcpy(w, untrusted, ulen);
	w += ulen;
	*w++ = '\n';
	sodium_bin2base64(w, SIG_B64_LEN + 1, sigbin, sizeof(sigbin), sodium_base64_VARIANT_ORIGINAL);
	w += SIG_B64_LEN;
	*w++ = '\n';
	memcpy(w, TRUSTED_PREFIX, sizeof(TRUSTED_PREFIX) - 1);
	w += sizeof(TRUSTED_PREFIX) - 1;
	memcpy(w, trusted, tlen);
	w += tlen;
	*w++ = '\n';
	sodium_bin2base64(w, GSIG_B64_LEN + 1, gsig, sizeof(gsig), sodium_base64_VARIANT_ORIGINAL);
	w += GSIG_B64_LEN;
	*w++ = '\n';
	*w = '\0';
	assert((size_t)(w - text) + 1 == total);
	*out = text;
	text = NULL;
	error = 0;

done:
	free(signed_comment);
	free(text);
	return error;
}

/* BLAKE2b-512 of everything left in `in`. 0 or an OS error. */
static int hash_stream(uint8_t hash[PREHASH_LEN], FILE *in)
{
	crypto_generichash_state st;
	uint8_t *buf = NULL;
	size_t n;
	int error = VIOS_ERROR;

	if (in == NULL) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: no input stream");
		goto done;
	}
	if ((buf = malloc(READ_CHUNK)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	crypto_generichash_init(&st, NULL, 0, PREHASH_LEN);
	while ((n = fread(buf, 1, READ_CHUNK, in)) > 0)
		crypto_generichash_update(&st, buf, n);
	if (ferror(in)) {
		error = vios_error_os("minisign: reading the message");
		goto done;
	}
	crypto_generichash_final(&st, hash, PREHASH_LEN);
	error = 0;

done:
	free(buf);
	return error;
}

int vios_minisign_sign(char **out, const vios_minisign_sec *sec,
		       const uint8_t *msg, size_t len,
		       const char *trusted, const char *untrusted)
{
	uint8_t hash[PREHASH_LEN];
	int error;

	if (msg == NULL && len > 0) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: sign: missing message");
		return VIOS_ERROR;
	}
	crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
	error = sign_prehashed(out, sec, hash, trusted, untrusted);
	sodium_memzero(hash, sizeof(hash));
	return error;
}

int vios_minisign_sign_file(char **out, const vios_minisign_sec *sec, FILE *in,
			    const char *trusted, const char *untrusted)
{
	uint8_t hash[PREHASH_LEN];
	int error;

	if (out != NULL)
		*out = NULL;
	if ((error = hash_stream(hash, in)) < 0)
		goto done;
	error = sign_prehashed(out, sec, hash, trusted, untrusted);

done:
	sodium_memzero(hash, sizeof(hash));
	return error;
}

/*
 * Takes the next line from [*p, end): its start and length without the
 * '\n'. Returns 1 when the line ended with '\n', 0 when it ran to end,
 * -1 when nothing is left.
 */
static int next_line(const char **line, size_t *linelen, const char **p, const char *end)
{
	const char *nl;

	if (*p >= end)
		return -1;
	*line = *p;
	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL) {
		*linelen = (size_t)(end - *p);
		*p = end;
		return 0;
	}
	*linelen = (size_t)(nl - *p);
	*p = nl + 1;
	return 1;
}

static const char *const line_names[4] = {
	"untrusted comment line", "signature line", "trusted comment line", "global signature line"
};

int vios_minisign_sig_parse(vios_minisign_sig *sf, const char *text, size_t len)
{
	const char *lines[4];
	size_t lens[4];
	uint8_t sigbin[SIG_BIN_LEN];
	const char *p, *end;
	int i, ended = 1;
	int error = VIOS_ECORRUPT;

	assert(sf != NULL);
	memset(sf, 0, sizeof(*sf));
	if (text == NULL) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: no signature text");
		error = VIOS_ERROR;
		goto done;
	}
	if (len > VIOS_MINISIGN_SIG_MAX) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: signature file is %zu bytes, the limit is %d",
			       len, VIOS_MINISIGN_SIG_MAX);
		goto done;
	}
	if (memchr(text, '\0', len) != NULL) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: signature file contains a NUL byte");
		goto done;
	}

	p = text;
	end = text + len;
	for (i = 0; i < 4; i++) {
		int r;

		if (!ended || (r = next_line(&lines[i], &lens[i], &p, end)) < 0) {
			vios_error_set(VIOS_ERR_MINISIGN,
				       "minisign: signature file has %d line%s, expected 4 (missing the %s)",
				       i, i == 1 ? "" : "s", line_names[i]);
			goto done;
		}
		ended = r;
		if (memchr(lines[i], '\r', lens[i]) != NULL) {
			vios_error_set(VIOS_ERR_MINISIGN,
				       "minisign: %s contains a CR (expected LF line endings)",
				       line_names[i]);
			goto done;
		}
	}
	for (; p < end; p++) {
		if (*p != '\n') {
			vios_error_set(VIOS_ERR_MINISIGN,
				       "minisign: signature file has text after its 4th line");
			goto done;
		}
	}

	if (lens[0] < sizeof(UNTRUSTED_PREFIX) - 1 ||
	    memcmp(lines[0], UNTRUSTED_PREFIX, sizeof(UNTRUSTED_PREFIX) - 1) != 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: untrusted comment line should start with \"" UNTRUSTED_PREFIX "\"");
		goto done;
	}
	if (lens[0] - (sizeof(UNTRUSTED_PREFIX) - 1) > VIOS_MINISIGN_UNTRUSTED_TEXT_MAX) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: untrusted comment is %zu bytes, the limit is %d",
			       lens[0] - (sizeof(UNTRUSTED_PREFIX) - 1), VIOS_MINISIGN_UNTRUSTED_TEXT_MAX);
		goto done;
	}
	if (lens[2] < sizeof(TRUSTED_PREFIX) - 1 ||
	    memcmp(lines[2], TRUSTED_PREFIX, sizeof(TRUSTED_PREFIX) - 1) != 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: trusted comment line should start with \"" TRUSTED_PREFIX "\"");
		goto done;
	}
	sf->trusted = lines[2] + sizeof(TRUSTED_PREFIX) - 1;
	sf->trusted_len = lens[2] - (sizeof(TRUSTED_PREFIX) - 1);
	if (sf->trusted_len > VIOS_MINISIGN_TRUSTED_TEXT_MAX) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: trusted comment is %zu bytes, the limit is %d",
			       sf->trusted_len, VIOS_MINISIGN_TRUSTED_TEXT_MAX);
		goto done;
	}

	if ((error = b64_decode_exact(sigbin, sizeof(sigbin), lines[1], lens[1], "signature")) < 0)
		goto done;
	error = VIOS_ECORRUPT;
	memcpy(sf->alg, sigbin, 2);
	if (memcmp(sf->alg, SIGALG_LEGACY, 2) == 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: legacy \"" SIGALG_LEGACY "\" signature refused: vios only accepts "
			       "prehashed \"" SIGALG_HASHED "\" signatures (sign without -l)");
		goto done;
	}
	if (memcmp(sf->alg, SIGALG_HASHED, 2) != 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: unsupported signature algorithm (expected \"" SIGALG_HASHED "\")");
		goto done;
	}
	memcpy(sf->keyid, sigbin + 2, VIOS_MINISIGN_KEYID);
	memcpy(sf->sig, sigbin + 2 + VIOS_MINISIGN_KEYID, crypto_sign_BYTES);
	if ((error = b64_decode_exact(sf->global_sig, sizeof(sf->global_sig), lines[3], lens[3],
				      "global signature")) < 0)
		goto done;
	error = 0;

done:
	return error;
}

int vios_minisign_sig_trusted(char **out, const vios_minisign_sig *sig)
{
	char *tc;

	assert(out != NULL && sig != NULL);
	*out = NULL;
	if ((tc = malloc(sig->trusted_len + 1)) == NULL)
		return vios_error_nomem();
	memcpy(tc, sig->trusted, sig->trusted_len);
	tc[sig->trusted_len] = '\0';
	*out = tc;
	return 0;
}

/* Refuses a signature made by another key id; VIOS_EVERIFY with both ids. */
static int keyid_check(const vios_minisign_sig *sf, const vios_minisign_pub *pub)
{
	char got[17], want[17];

	if (sodium_memcmp(sf->keyid, pub->keyid, VIOS_MINISIGN_KEYID) == 0)
		return 0;
	vios_minisign_keyid_hex(got, sf->keyid);
	vios_minisign_keyid_hex(want, pub->keyid);
	vios_error_set(VIOS_ERR_MINISIGN, "minisign: signature is by key %s, expected %s", got, want);
	return VIOS_EVERIFY;
}

/* Checks both signatures of a parsed file against the message's prehash. */
static int verify_prehashed(char **trusted, const vios_minisign_pub *pub, const vios_minisign_sig *sf,
			    const uint8_t hash[PREHASH_LEN])
{
	uint8_t *signed_comment = NULL;
	char *tc = NULL;
	int error = VIOS_EVERIFY;

	if (crypto_sign_verify_detached(sf->sig, hash, PREHASH_LEN, pub->pk) != 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: signature verification failed (the file or the signature was altered)");
		goto done;
	}
	if ((signed_comment = malloc(crypto_sign_BYTES + sf->trusted_len)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(signed_comment, sf->sig, crypto_sign_BYTES);
	memcpy(signed_comment + crypto_sign_BYTES, sf->trusted, sf->trusted_len);
	if (crypto_sign_verify_detached(sf->global_sig, signed_comment,
					crypto_sign_BYTES + sf->trusted_len, pub->pk) != 0) {
		vios_error_set(VIOS_ERR_MINISIGN,
			       "minisign: trusted comment signature verification failed (the comment was altered)");
		goto done;
	}
	if (trusted != NULL) {
		if ((error = vios_minisign_sig_trusted(&tc, sf)) < 0)
			goto done;
		*trusted = tc;
	}
	error = 0;

done:
	free(signed_comment);
	return error;
}

int vios_minisign_verify(char **trusted, const vios_minisign_pub *pub,
			 const uint8_t *msg, size_t len,
			 const char *sig_text, size_t sig_len)
{
	uint8_t hash[PREHASH_LEN];
	vios_minisign_sig sf;
	int error;

	if (trusted != NULL)
		*trusted = NULL;
	if (pub == NULL || (msg == NULL && len > 0)) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: verify: missing argument");
		error = VIOS_ERROR;
		goto done;
	}
	if ((error = vios_minisign_sig_parse(&sf, sig_text, sig_len)) < 0 ||
	    (error = keyid_check(&sf, pub)) < 0)
		goto done;
	crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
	error = verify_prehashed(trusted, pub, &sf, hash);

done:
	return error;
}

int vios_minisign_verify_file(char **trusted, const vios_minisign_pub *pub, FILE *in,
			      const char *sig_text, size_t sig_len)
{
	uint8_t hash[PREHASH_LEN];
	vios_minisign_sig sf;
	int error;

	if (trusted != NULL)
		*trusted = NULL;
	if (pub == NULL) {
		vios_error_set(VIOS_ERR_MINISIGN, "minisign: verify: missing public key");
		error = VIOS_ERROR;
		goto done;
	}
	/* A malformed or foreign signature is refused before reading the stream. */
	if ((error = vios_minisign_sig_parse(&sf, sig_text, sig_len)) < 0 ||
	    (error = keyid_check(&sf, pub)) < 0 ||
	    (error = hash_stream(hash, in)) < 0)
		goto done;
	error = verify_prehashed(trusted, pub, &sf, hash);

done:
	return error;
}
