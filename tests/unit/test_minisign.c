/*
 * test_minisign.c - minisign keys and signatures (src/crypto/minisign.c).
 *
 * Proves: sign/verify round trips (buffer and stream variants produce and
 * accept the same text), every tampered part is refused with the right
 * code, legacy "Ed" and Ed25519ph signatures are refused, malformed files
 * are refused naming the rule, the one signature file parser gives every
 * part of a file and refuses CRLF, foreign algorithms, bad base64 and cut
 * files, and the stock `minisign` tool (which must be
 * installed: these tests fail without it) verifies what vios signs and
 * signs what vios verifies. Interop tests work in a mkdtemp sandbox under
 * /tmp that they remove.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/minisign.h"
#include "util/error.h"
#include "util/util.h"

#define SIGBIN_LEN 74

static const uint8_t msg[] = "the quick brown fox jumps over the lazy dog\n";
#define MSG_LEN (sizeof(msg) - 1)

/* ---- helpers ---------------------------------------------------------- */

static void keypair(vios_minisign_sec **sec, vios_minisign_pub *pub)
{
	assert_int_equal(vios_minisign_keygen(sec, pub), 0);
	assert_non_null(*sec);
}

/* Splits a four-line signature text into malloc'd lines (without '\n'). */
static void split4(char *lines[4], const char *text)
{
	const char *p = text;

	for (int i = 0; i < 4; i++) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		lines[i] = strndup(p, (size_t)(nl - p));
		assert_non_null(lines[i]);
		p = nl + 1;
	}
}

static void free4(char *lines[4])
{
	for (int i = 0; i < 4; i++)
		free(lines[i]);
}

/* Joins four lines back into a signature text, each ending in '\n'. */
static char *join4(const char *a, const char *b, const char *c, const char *d)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 5;
	char *out = malloc(n);

	assert_non_null(out);
	assert_int_equal(snprintf(out, n, "%s\n%s\n%s\n%s\n", a, b, c, d), (int)n - 1);
	return out;
}

static void b64dec(uint8_t *bin, size_t len, const char *b64)
{
	size_t got = 0;

	assert_int_equal(sodium_base642bin(bin, len, b64, strlen(b64), NULL, &got, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(got, len);
}

static char *b64enc(const uint8_t *bin, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = malloc(n);

	assert_non_null(out);
	sodium_bin2base64(out, n, bin, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

/* A signature text signed over `signed_msg` (raw, not prehashed) with algorithm bytes alg. */
static char *handmade_sig(const vios_minisign_sec *sec, const char *alg,
			  const uint8_t *signed_msg, size_t signed_len, const char *trusted)
{
	uint8_t sigbin[SIGBIN_LEN], gsig[64];
	size_t tlen = strlen(trusted);
	uint8_t *sc = malloc(64 + tlen);
	char *s64, *g64, *tline, *out;

	assert_non_null(sc);
	memcpy(sigbin, alg, 2);
	memcpy(sigbin + 2, sec->keyid, 8);
	assert_int_equal(crypto_sign_detached(sigbin + 10, NULL, signed_msg, signed_len, sec->sk), 0);
	memcpy(sc, sigbin + 10, 64);
	memcpy(sc + 64, trusted, tlen);
	assert_int_equal(crypto_sign_detached(gsig, NULL, sc, 64 + tlen, sec->sk), 0);
	s64 = b64enc(sigbin, sizeof(sigbin));
	g64 = b64enc(gsig, sizeof(gsig));
	assert_true(asprintf(&tline, "trusted comment: %s", trusted) > 0);
	out = join4("untrusted comment: handmade", s64, tline, g64);
	free(sc);
	free(s64);
	free(g64);
	free(tline);
	return out;
}

static int verify_text(char **trusted, const vios_minisign_pub *pub, const char *text)
{
	return vios_minisign_verify(trusted, pub, msg, MSG_LEN, text, strlen(text));
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* A stream holding data, positioned at its start. */
static FILE *stream_of(const uint8_t *data, size_t len)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	rewind(f);
	return f;
}

/* ---- round trips ------------------------------------------------------ */

static void test_minisign__sign_verify_round_trip_returns_trusted_comment_exactly(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text = NULL, *trusted = NULL;
	const char *tc = "timestamp:1700000000\tfile:bundle.vios\twith  spaces \xc3\xa9";
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, tc, "my untrusted note"), 0);
	assert_non_null(text);
	assert_true(strncmp(text, "untrusted comment: my untrusted note\n", 37) == 0);
	assert_int_equal(verify_text(&trusted, &pub, text), 0);
	assert_string_equal(trusted, tc);
	free(trusted);
	/* trusted may be NULL when the caller does not want it */
	assert_int_equal(verify_text(NULL, &pub, text), 0);
	free(text);

	/* NULL untrusted gives the default comment; empty trusted is allowed */
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "", NULL), 0);
	assert_true(strncmp(text, "untrusted comment: signature from vios secret key\n", 50) == 0);
	assert_int_equal(verify_text(&trusted, &pub, text), 0);
	assert_string_equal(trusted, "");
	free(trusted);
	free(text);

	/* the empty message */
	assert_int_equal(vios_minisign_sign(&text, sec, NULL, 0, "empty", NULL), 0);
	assert_int_equal(vios_minisign_verify(&trusted, &pub, NULL, 0, text, strlen(text)), 0);
	assert_string_equal(trusted, "empty");
	free(trusted);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__signature_file_has_minisign_layout(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *lines[4];
	uint8_t sigbin[SIGBIN_LEN], gsig[64], hash[64], sc[64 + 2];
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "tc", "uc"), 0);
	split4(lines, text);
	assert_string_equal(lines[0], "untrusted comment: uc");
	assert_int_equal(strlen(lines[1]), 100);
	assert_string_equal(lines[2], "trusted comment: tc");
	assert_int_equal(strlen(lines[3]), 88);
	assert_string_equal(text + strlen(text) - 1, "\n");
	b64dec(sigbin, sizeof(sigbin), lines[1]);
	b64dec(gsig, sizeof(gsig), lines[3]);
	assert_memory_equal(sigbin, "ED", 2);
	assert_memory_equal(sigbin + 2, pub.keyid, 8);
	/* plain Ed25519 over the BLAKE2b-512 of the message */
	crypto_generichash(hash, sizeof(hash), msg, MSG_LEN, NULL, 0);
	assert_int_equal(crypto_sign_verify_detached(sigbin + 10, hash, sizeof(hash), pub.pk), 0);
	memcpy(sc, sigbin + 10, 64);
	memcpy(sc + 64, "tc", 2);
	assert_int_equal(crypto_sign_verify_detached(gsig, sc, sizeof(sc), pub.pk), 0);
	free4(lines);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__buffer_and_stream_variants_agree(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	size_t big_len = 300000; /* several read chunks */
	uint8_t *big = malloc(big_len);
	char *t_buf = NULL, *t_file = NULL, *trusted = NULL;
	FILE *f;
	(void)state;

	assert_non_null(big);
	randombytes_buf(big, big_len);
	keypair(&sec, &pub);

	assert_int_equal(vios_minisign_sign(&t_buf, sec, big, big_len, "agree", NULL), 0);
	f = stream_of(big, big_len);
	assert_int_equal(vios_minisign_sign_file(&t_file, sec, f, "agree", NULL), 0);
	fclose(f);
	/* Ed25519 is deterministic: both variants sign the same prehash */
	assert_string_equal(t_buf, t_file);

	f = stream_of(big, big_len);
	assert_int_equal(vios_minisign_verify_file(&trusted, &pub, f, t_buf, strlen(t_buf)), 0);
	assert_string_equal(trusted, "agree");
	free(trusted);
	fclose(f);
	assert_int_equal(vios_minisign_verify(&trusted, &pub, big, big_len, t_file, strlen(t_file)), 0);
	assert_string_equal(trusted, "agree");
	free(trusted);

	/* a stream one byte different is refused */
	big[big_len / 2] ^= 0x01;
	f = stream_of(big, big_len);
	assert_int_equal(vios_minisign_verify_file(&trusted, &pub, f, t_buf, strlen(t_buf)),
			 VIOS_EVERIFY);
	assert_null(trusted);
	fclose(f);

	/* the empty stream */
	free(t_file);
	f = stream_of(big, 0);
	assert_int_equal(vios_minisign_sign_file(&t_file, sec, f, "zero", NULL), 0);
	fclose(f);
	assert_int_equal(vios_minisign_verify(NULL, &pub, NULL, 0, t_file, strlen(t_file)), 0);

	free(t_buf);
	free(t_file);
	free(big);
	vios_minisign_sec_free(sec);
}

/* ---- tampering -------------------------------------------------------- */

static void test_minisign__rejects_tampered_message(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *trusted = (char *)"sentinel";
	uint8_t other[sizeof(msg)];
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", NULL), 0);
	memcpy(other, msg, sizeof(msg));
	other[3] ^= 0x20;
	assert_int_equal(vios_minisign_verify(&trusted, &pub, other, MSG_LEN, text, strlen(text)),
			 VIOS_EVERIFY);
	assert_null(trusted);
	assert_non_null(strstr(vios_error_last(), "minisign: signature verification failed"));
	/* truncated message */
	assert_int_equal(vios_minisign_verify(NULL, &pub, msg, MSG_LEN - 1, text, strlen(text)),
			 VIOS_EVERIFY);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__rejects_flipped_signature_byte(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *lines[4], *s64, *forged;
	uint8_t sigbin[SIGBIN_LEN];
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", NULL), 0);
	split4(lines, text);
	for (size_t at = 10; at < SIGBIN_LEN; at += 21) {
		b64dec(sigbin, sizeof(sigbin), lines[1]);
		sigbin[at] ^= 0x01;
		s64 = b64enc(sigbin, sizeof(sigbin));
		forged = join4(lines[0], s64, lines[2], lines[3]);
		assert_int_equal(verify_text(NULL, &pub, forged), VIOS_EVERIFY);
		free(s64);
		free(forged);
	}
	free4(lines);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__rejects_tampered_trusted_comment(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *lines[4], *forged;
	char *trusted = NULL;
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "timestamp:1\tfile:a", NULL), 0);
	split4(lines, text);
	forged = join4(lines[0], lines[1], "trusted comment: timestamp:2\tfile:a", lines[3]);
	assert_int_equal(verify_text(&trusted, &pub, forged), VIOS_EVERIFY);
	assert_null(trusted);
	assert_non_null(strstr(vios_error_last(), "minisign: trusted comment signature"));
	free(forged);
	/* dropping the comment is tampering too */
	forged = join4(lines[0], lines[1], "trusted comment: ", lines[3]);
	assert_int_equal(verify_text(&trusted, &pub, forged), VIOS_EVERIFY);
	free(forged);
	/* the untrusted comment is not covered: changing it is allowed */
	forged = join4("untrusted comment: anything at all", lines[1], lines[2], lines[3]);
	assert_int_equal(verify_text(NULL, &pub, forged), 0);
	free(forged);
	free4(lines);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__rejects_flipped_global_signature_byte(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *lines[4], *g64, *forged;
	uint8_t gsig[64];
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", NULL), 0);
	split4(lines, text);
	for (size_t at = 0; at < 64; at += 13) {
		b64dec(gsig, sizeof(gsig), lines[3]);
		gsig[at] ^= 0x80;
		g64 = b64enc(gsig, sizeof(gsig));
		forged = join4(lines[0], lines[1], lines[2], g64);
		assert_int_equal(verify_text(NULL, &pub, forged), VIOS_EVERIFY);
		free(g64);
		free(forged);
	}
	free4(lines);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__rejects_tampered_key_id_naming_both_ids(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *lines[4], *s64, *forged;
	char want[17], got[17], expect[128];
	uint8_t sigbin[SIGBIN_LEN];
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", NULL), 0);
	split4(lines, text);
	b64dec(sigbin, sizeof(sigbin), lines[1]);
	sigbin[2] ^= 0xff;
	s64 = b64enc(sigbin, sizeof(sigbin));
	forged = join4(lines[0], s64, lines[2], lines[3]);
	assert_int_equal(verify_text(NULL, &pub, forged), VIOS_EVERIFY);
	vios_minisign_keyid_hex(got, sigbin + 2);
	vios_minisign_keyid_hex(want, pub.keyid);
	snprintf(expect, sizeof(expect), "minisign: signature is by key %s, expected %s", got, want);
	assert_string_equal(vios_error_last(), expect);
	/* the stream variant refuses it too */
	{
		FILE *f = stream_of(msg, MSG_LEN);
		assert_int_equal(vios_minisign_verify_file(NULL, &pub, f, forged, strlen(forged)),
				 VIOS_EVERIFY);
		fclose(f);
	}
	free(s64);
	free(forged);
	free4(lines);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__rejects_signature_by_other_key(void **state)
{
	vios_minisign_sec *sec, *sec2;
	vios_minisign_pub pub, pub2;
	char *text;
	(void)state;

	keypair(&sec, &pub);
	keypair(&sec2, &pub2);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", NULL), 0);
	/* different key id: refused by id */
	assert_int_equal(verify_text(NULL, &pub2, text), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "signature is by key"));
	/* same key id, other Ed25519 key: refused by the signature itself */
	memcpy(pub2.keyid, pub.keyid, 8);
	assert_int_equal(verify_text(NULL, &pub2, text), VIOS_EVERIFY);
	assert_non_null(strstr(vios_error_last(), "signature verification failed"));
	free(text);
	vios_minisign_sec_free(sec);
	vios_minisign_sec_free(sec2);
}

static void test_minisign__refuses_legacy_Ed_signature_saying_why(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *trusted = NULL;
	(void)state;

	keypair(&sec, &pub);
	/* a correct legacy signature: Ed25519 over the raw message, "Ed" */
	text = handmade_sig(sec, "Ed", msg, MSG_LEN, "legacy");
	assert_int_equal(verify_text(&trusted, &pub, text), VIOS_ECORRUPT);
	assert_null(trusted);
	assert_non_null(strstr(vios_error_last(), "minisign: legacy \"Ed\" signature refused"));
	assert_non_null(strstr(vios_error_last(), "prehashed"));
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__accepts_handmade_prehashed_signature(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *trusted = NULL;
	uint8_t hash[64];
	(void)state;

	/* control for the legacy test: same construction, prehashed and "ED" */
	keypair(&sec, &pub);
	crypto_generichash(hash, sizeof(hash), msg, MSG_LEN, NULL, 0);
	text = handmade_sig(sec, "ED", hash, sizeof(hash), "handmade");
	assert_int_equal(verify_text(&trusted, &pub, text), 0);
	assert_string_equal(trusted, "handmade");
	free(trusted);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__rejects_ed25519ph_signature(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	crypto_sign_state st;
	uint8_t sigbin[SIGBIN_LEN], gsig[64], sc[64 + 2];
	char *s64, *g64, *text;
	(void)state;

	/* crypto_sign_init/update/final is Ed25519ph, not what minisign signs */
	keypair(&sec, &pub);
	memcpy(sigbin, "ED", 2);
	memcpy(sigbin + 2, sec->keyid, 8);
	crypto_sign_init(&st);
	crypto_sign_update(&st, msg, MSG_LEN);
	assert_int_equal(crypto_sign_final_create(&st, sigbin + 10, NULL, sec->sk), 0);
	memcpy(sc, sigbin + 10, 64);
	memcpy(sc + 64, "ph", 2);
	assert_int_equal(crypto_sign_detached(gsig, NULL, sc, sizeof(sc), sec->sk), 0);
	s64 = b64enc(sigbin, sizeof(sigbin));
	g64 = b64enc(gsig, sizeof(gsig));
	text = join4("untrusted comment: ph", s64, "trusted comment: ph", g64);
	assert_int_equal(verify_text(NULL, &pub, text), VIOS_EVERIFY);
	free(s64);
	free(g64);
	free(text);
	vios_minisign_sec_free(sec);
}

/* ---- malformed files -------------------------------------------------- */

/* Sets the low bit of the base64 character at s[i] (a non-canonical twin). */
static void set_low_bit(char *s, size_t i)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *at = strchr(alpha, s[i]);

	assert_non_null(at);
	s[i] = alpha[(at - alpha) | 1];
}

typedef struct {
	int id;
	const char *what;
	char *text;
	size_t len;
	const char *expect; /* substring of the error message */
} malformed_case;

static void test_minisign__rejects_malformed_signature_files(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *l[4];
	char *s_short, *s_long, *s_bad, *s_url, *s_nopad, *s_noncanon, *g_noncanon, *g_short;
	char *s_space, *s_alg, *t_long, *u_long, *tline_long, *uline_long, *huge;
	uint8_t sigbin[SIGBIN_LEN];
	size_t n;
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", "u"), 0);
	split4(l, text);

	s_short = strndup(l[1], 99);
	assert_true(asprintf(&s_long, "%sA", l[1]) > 0);
	s_bad = strdup(l[1]);
	s_bad[20] = '!';
	s_url = strdup(l[1]);
	s_url[21] = '-';
	s_nopad = strdup(l[1]);
	assert_int_equal(s_nopad[99], '=');
	s_nopad[99] = 'A';
	s_noncanon = strdup(l[1]); /* 74 bytes: "xxx=" ends the text, 2 spare bits */
	set_low_bit(s_noncanon, 98);
	g_noncanon = strdup(l[3]); /* 64 bytes: "xx==" ends the text, 4 spare bits */
	set_low_bit(g_noncanon, 85);
	g_short = strndup(l[3], 84);
	s_space = strdup(l[1]);
	s_space[40] = ' ';
	b64dec(sigbin, sizeof(sigbin), l[1]);
	memcpy(sigbin, "XX", 2);
	s_alg = b64enc(sigbin, sizeof(sigbin));
	t_long = repeat('t', VIOS_MINISIGN_TRUSTED_TEXT_MAX + 1);
	u_long = repeat('u', VIOS_MINISIGN_UNTRUSTED_TEXT_MAX + 1);
	assert_true(asprintf(&tline_long, "trusted comment: %s", t_long) > 0);
	assert_true(asprintf(&uline_long, "untrusted comment: %s", u_long) > 0);
	n = VIOS_MINISIGN_SIG_MAX + 1;
	huge = malloc(n + 1);
	assert_non_null(huge);
	memset(huge, '\n', n);
	memcpy(huge, text, strlen(text));
	huge[n] = '\0';

	malformed_case cases[] = {
		{ 1, "empty", strdup(""), 0, "has 0 lines" },
		{ 2, "blank lines after the first", join4(l[0], "", "", ""), 0,
		  "trusted comment line should start" },
		{ 3, "only the untrusted comment", NULL, 0, "has 1 line, expected 4" },
		{ 4, "two lines", NULL, 0, "has 2 lines" },
		{ 5, "three lines", NULL, 0, "has 3 lines" },
		{ 6, "first line not a comment", join4("comment: u", l[1], l[2], l[3]), 0,
		  "untrusted comment line should start" },
		{ 7, "untrusted prefix without space", join4("untrusted comment:u", l[1], l[2], l[3]), 0,
		  "untrusted comment line should start" },
		{ 8, "trusted prefix capitalised", join4(l[0], l[1], "Trusted comment: t", l[3]), 0,
		  "trusted comment line should start" },
		{ 9, "signature one character short", join4(l[0], s_short, l[2], l[3]), 0,
		  "signature is 99 base64 characters, expected 100" },
		{ 10, "signature one character long", join4(l[0], s_long, l[2], l[3]), 0,
		  "signature is 101 base64" },
		{ 11, "invalid base64 character", join4(l[0], s_bad, l[2], l[3]), 0, "not valid base64" },
		{ 12, "url-safe base64 character", join4(l[0], s_url, l[2], l[3]), 0, "not valid base64" },
		{ 13, "padding replaced", join4(l[0], s_nopad, l[2], l[3]), 0, "signature is not" },
		{ 14, "non-canonical signature base64", join4(l[0], s_noncanon, l[2], l[3]), 0,
		  "signature is not canonical base64" },
		{ 15, "non-canonical global signature base64", join4(l[0], l[1], l[2], g_noncanon), 0,
		  "global signature is not canonical base64" },
		{ 16, "global signature short", join4(l[0], l[1], l[2], g_short), 0,
		  "global signature is 84 base64 characters, expected 88" },
		{ 17, "space inside the signature", join4(l[0], s_space, l[2], l[3]), 0, "not valid base64" },
		{ 18, "unknown algorithm", join4(l[0], s_alg, l[2], l[3]), 0,
		  "unsupported signature algorithm" },
		{ 19, "trusted comment too long", join4(l[0], l[1], tline_long, l[3]), 0,
		  "trusted comment is 8174 bytes, the limit is 8173" },
		{ 20, "untrusted comment too long", join4(uline_long, l[1], l[2], l[3]), 0,
		  "untrusted comment is 1004 bytes, the limit is 1003" },
		{ 21, "stray fifth line", NULL, 0, "text after its 4th line" },
		{ 22, "stray text after blank lines", NULL, 0, "text after its 4th line" },
		{ 23, "CRLF line endings", NULL, 0, "contains a CR" },
		{ 24, "NUL byte", NULL, 0, "NUL byte" },
		{ 25, "larger than the size limit", huge, n, "the limit is 16384" },
		{ 26, "base64 lines swapped", join4(l[0], l[3], l[2], l[1]), 0, "signature is 88 base64" },
		{ 27, "trailing space after global signature", NULL, 0, "global signature is 89" },
	};

	assert_true(asprintf(&cases[2].text, "%s\n", l[0]) > 0);
	assert_true(asprintf(&cases[3].text, "%s\n%s\n", l[0], l[1]) > 0);
	assert_true(asprintf(&cases[4].text, "%s\n%s\n%s\n", l[0], l[1], l[2]) > 0);
	assert_true(asprintf(&cases[20].text, "%sextra\n", text) > 0);
	assert_true(asprintf(&cases[21].text, "%s\n\nx", text) > 0);
	assert_true(asprintf(&cases[22].text, "%s\r\n%s\r\n%s\r\n%s\r\n", l[0], l[1], l[2], l[3]) > 0);
	cases[23].text = strdup(text);
	cases[23].len = strlen(text);
	cases[23].text[5] = '\0';
	assert_true(asprintf(&cases[26].text, "%s\n%s\n%s\n%s \n", l[0], l[1], l[2], l[3]) > 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		malformed_case *c = &cases[i];
		char *trusted = (char *)"sentinel";
		int rc;

		assert_non_null(c->text);
		if (c->len == 0)
			c->len = strlen(c->text);
		vios_error_clear();
		rc = vios_minisign_verify(&trusted, &pub, msg, MSG_LEN, c->text, c->len);
		if (rc != VIOS_ECORRUPT || strstr(vios_error_last(), c->expect) == NULL ||
		    strncmp(vios_error_last(), "minisign: ", 10) != 0 || trusted != NULL)
			fail_msg("case %d (%s): rc %d, message \"%s\", expected VIOS_ECORRUPT and \"%s\"",
				 c->id, c->what, rc, vios_error_last(), c->expect);
		free(c->text);
	}

	free(s_short);
	free(s_long);
	free(s_bad);
	free(s_url);
	free(s_nopad);
	free(s_noncanon);
	free(g_noncanon);
	free(g_short);
	free(s_space);
	free(s_alg);
	free(t_long);
	free(u_long);
	free(tline_long);
	free(uline_long);
	free4(l);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__accepts_trailing_newlines_and_missing_final_newline(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text, *more;
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", NULL), 0);
	assert_true(asprintf(&more, "%s\n\n\n", text) > 0);
	assert_int_equal(verify_text(NULL, &pub, more), 0);
	assert_int_equal(vios_minisign_verify(NULL, &pub, msg, MSG_LEN, text, strlen(text) - 1), 0);
	/* sig_len bounds the text: a prefix that drops the last line is refused */
	assert_int_equal(vios_minisign_verify(NULL, &pub, msg, MSG_LEN, text, strlen(text) - 89),
			 VIOS_ECORRUPT);
	free(more);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__sign_refuses_bad_comments(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char *text = (char *)"sentinel", *trusted = NULL;
	char *t_max = repeat('T', VIOS_MINISIGN_TRUSTED_TEXT_MAX);
	char *t_over = repeat('T', VIOS_MINISIGN_TRUSTED_TEXT_MAX + 1);
	char *u_max = repeat('U', VIOS_MINISIGN_UNTRUSTED_TEXT_MAX);
	char *u_over = repeat('U', VIOS_MINISIGN_UNTRUSTED_TEXT_MAX + 1);
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "two\nlines", NULL), VIOS_EUSAGE);
	assert_null(text);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "cr\r", NULL), VIOS_EUSAGE);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", "u\nv"), VIOS_EUSAGE);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, t_over, NULL), VIOS_EUSAGE);
	assert_non_null(strstr(vios_error_last(), "minisign: trusted comment is 8174 bytes"));
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "t", u_over), VIOS_EUSAGE);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, NULL, NULL), VIOS_ERROR);
	assert_null(text);

	/* exactly at the limits is fine, and reads back */
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, t_max, u_max), 0);
	assert_int_equal(verify_text(&trusted, &pub, text), 0);
	assert_string_equal(trusted, t_max);
	free(trusted);
	free(text);
	free(t_max);
	free(t_over);
	free(u_max);
	free(u_over);
	vios_minisign_sec_free(sec);
}

/* ---- keys ------------------------------------------------------------- */

static void test_minisign__keyid_hex_is_little_endian_uppercase(void **state)
{
	const uint8_t id1[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t id2[8] = { 0xef, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t id3[8] = { 0x86, 0x69, 0x95, 0xc9, 0x3f, 0x0d, 0x47, 0xfd };
	char hex[17];
	(void)state;

	vios_minisign_keyid_hex(hex, id1);
	assert_string_equal(hex, "0807060504030201");
	vios_minisign_keyid_hex(hex, id2);
	assert_string_equal(hex, "00000000000000EF");
	vios_minisign_keyid_hex(hex, id3);
	assert_string_equal(hex, "FD470D3FC9956986");
}

static void test_minisign__pub_format_and_parse_round_trip(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub, back;
	char line[VIOS_MINISIGN_PUB_B64LEN + 1], small[VIOS_MINISIGN_PUB_B64LEN];
	char hex[17], *text;
	uint8_t bin[42];
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_pub_format(line, sizeof(line), &pub), 0);
	assert_int_equal(strlen(line), VIOS_MINISIGN_PUB_B64LEN);
	assert_int_equal(strncmp(line, "RW", 2), 0); /* "Ed" encodes as "RW" */
	b64dec(bin, sizeof(bin), line);
	assert_memory_equal(bin, "Ed", 2);
	assert_memory_equal(bin + 2, pub.keyid, 8);
	assert_memory_equal(bin + 10, pub.pk, 32);
	assert_int_equal(vios_minisign_pub_format(small, sizeof(small), &pub), VIOS_ERROR);

	const char *around[][2] = { { "", "" }, { "", "\n" }, { "  \t", " \r\n\n" }, { "\n", "" } };
	for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
		memset(&back, 0, sizeof(back));
		assert_true(asprintf(&text, "%s%s%s", around[i][0], line, around[i][1]) > 0);
		assert_int_equal(vios_minisign_pub_parse(&back, text), 0);
		assert_memory_equal(&back, &pub, sizeof(pub));
		free(text);
	}

	/* a whole .pub file, with and without its final newline */
	vios_minisign_keyid_hex(hex, pub.keyid);
	assert_true(asprintf(&text, "untrusted comment: minisign public key %s\n%s\n", hex, line) > 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(vios_minisign_pub_parse(&back, text), 0);
	assert_memory_equal(&back, &pub, sizeof(pub));
	text[strlen(text) - 1] = '\0';
	assert_int_equal(vios_minisign_pub_parse(&back, text), 0);
	free(text);

	/* sec_pub gives the same public half */
	vios_minisign_sec_pub(&back, sec);
	assert_memory_equal(&back, &pub, sizeof(pub));
	vios_minisign_sec_free(sec);
}

static void test_minisign__pub_parse_rejects_malformed_keys(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub, back;
	char line[VIOS_MINISIGN_PUB_B64LEN + 1];
	char *cases[12], *longc;
	const char *expect[12];
	uint8_t bin[42];
	size_t n = 0;
	(void)state;

	keypair(&sec, &pub);
	assert_int_equal(vios_minisign_pub_format(line, sizeof(line), &pub), 0);
	longc = repeat('c', VIOS_MINISIGN_UNTRUSTED_TEXT_MAX + 1);

	cases[n] = strdup("");
	expect[n++] = "empty";
	cases[n] = strndup(line, 55);
	expect[n++] = "55 base64 characters, expected 56";
	assert_true(asprintf(&cases[n], "%sA", line) > 0);
	expect[n++] = "57 base64";
	cases[n] = strdup(line);
	cases[n][10] = '*';
	expect[n++] = "not valid base64";
	b64dec(bin, sizeof(bin), line);
	memcpy(bin, "ED", 2);
	cases[n] = b64enc(bin, sizeof(bin));
	expect[n++] = "algorithm is not \"Ed\"";
	assert_true(asprintf(&cases[n], "untrusted comment:x\n%s\n", line) > 0);
	expect[n++] = "should start with \"untrusted comment: \"";
	assert_true(asprintf(&cases[n], "comment\n%s\n", line) > 0);
	expect[n++] = "should start with";
	assert_true(asprintf(&cases[n], "untrusted comment: x\n%s\nmore\n", line) > 0);
	expect[n++] = "text after its key line";
	assert_true(asprintf(&cases[n], "untrusted comment: x\r\n%s\r\n", line) > 0);
	expect[n++] = "CR";
	assert_true(asprintf(&cases[n], "untrusted comment: %s\n%s\n", longc, line) > 0);
	expect[n++] = "comment is longer than 1003";
	assert_true(asprintf(&cases[n], "untrusted comment: x\n") > 0);
	expect[n++] = "no key line";

	for (size_t i = 0; i < n; i++) {
		vios_error_clear();
		if (vios_minisign_pub_parse(&back, cases[i]) != VIOS_ECORRUPT ||
		    strstr(vios_error_last(), expect[i]) == NULL ||
		    strncmp(vios_error_last(), "minisign: ", 10) != 0)
			fail_msg("pub case %zu: message \"%s\", expected \"%s\"", i + 1,
				 vios_error_last(), expect[i]);
		free(cases[i]);
	}
	free(longc);
	vios_minisign_sec_free(sec);
}

static void test_minisign__sec_from_round_trips_and_rejects_mismatched_halves(void **state)
{
	vios_minisign_sec *sec = NULL;
	vios_minisign_pub pub, pub2;
	uint8_t seed[32], pk[32], sk[64];
	const uint8_t keyid[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	char *text, *trusted = NULL;
	(void)state;

	memset(seed, 0x42, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
	assert_int_equal(vios_minisign_sec_from(&sec, keyid, sk), 0);
	vios_minisign_sec_pub(&pub, sec);
	assert_memory_equal(pub.keyid, keyid, 8);
	assert_memory_equal(pub.pk, pk, 32);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, "from", NULL), 0);
	assert_int_equal(verify_text(&trusted, &pub, text), 0);
	assert_string_equal(trusted, "from");
	free(trusted);
	free(text);
	vios_minisign_sec_free(sec);
	vios_minisign_sec_free(NULL);

	sk[40] ^= 1; /* pk half no longer matches the seed */
	sec = (vios_minisign_sec *)&pub2;
	assert_int_equal(vios_minisign_sec_from(&sec, keyid, sk), VIOS_ECORRUPT);
	assert_null(sec);
	sodium_memzero(sk, sizeof(sk));
}

/* ---- interop with stock minisign -------------------------------------- */

typedef struct {
	char dir[64];
} sandbox;

/* Per-test sandbox under /tmp; the teardown removes it even after a failure. */
static int sandbox_setup(void **state)
{
	sandbox *sb = malloc(sizeof(*sb));

	if (sb == NULL)
		return -1;
	strcpy(sb->dir, "/tmp/vios-test-minisign-XXXXXX");
	if (mkdtemp(sb->dir) == NULL) {
		free(sb);
		return -1;
	}
	*state = sb;
	return 0;
}

static int sandbox_teardown(void **state)
{
	sandbox *sb = *state;
	int rc = vios_rm_rf(sb->dir);

	free(sb);
	return rc < 0 ? -1 : 0;
}

static char *path_in(const sandbox *sb, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", sb->dir, name) > 0);
	return p;
}

static void write_text(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(text);
	n = fread(text, 1, 65535, f);
	assert_false(ferror(f));
	assert_true(feof(f));
	assert_true(n > 0);
	fclose(f);
	return text;
}

/* Runs a shell command, returns its exit status and (if out) its stdout+stderr. */
static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(char **out, const char *fmt, ...)
{
	char *cmd, *full, buf[4096];
	size_t len = 0, n;
	char *acc = NULL;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	assert_true(asprintf(&full, "%s </dev/null 2>&1", cmd) > 0);
	p = popen(full, "r");
	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		acc = realloc(acc, len + n + 1);
		assert_non_null(acc);
		memcpy(acc + len, buf, n);
		len += n;
	}
	if (acc == NULL)
		acc = calloc(1, 1);
	acc[len] = '\0';
	status = pclose(p);
	free(cmd);
	free(full);
	if (out != NULL)
		*out = acc;
	else
		free(acc);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The interop tests must fail, not skip, without the stock tool. */
static void require_minisign(void)
{
	char *out = NULL;
	int rc = run(&out, "minisign -v");

	if (rc != 0 || strstr(out, "minisign") == NULL)
		fail_msg("stock `minisign` is required for interop tests (exit %d: %s)", rc, out);
	free(out);
}

/* Writes the vios public key as a minisign .pub file. */
static void write_pub_file(const char *path, const vios_minisign_pub *pub, char line[57])
{
	char hex[17], *text;

	assert_int_equal(vios_minisign_pub_format(line, 57, pub), 0);
	vios_minisign_keyid_hex(hex, pub->keyid);
	assert_true(asprintf(&text, "untrusted comment: minisign public key %s\n%s\n", hex, line) > 0);
	write_text(path, text, strlen(text));
	free(text);
}

static void test_minisign__stock_minisign_verifies_vios_signature(void **state)
{
	sandbox *sb = *state;
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char line[57], *text, *out;
	char *pubf, *msgf, *sigf;
	const char *tc = "timestamp:1700000000\tfile:msg.txt\tvios";

	require_minisign();
	pubf = path_in(sb, "vios.pub");
	msgf = path_in(sb, "msg.txt");
	sigf = path_in(sb, "msg.txt.minisig");
	keypair(&sec, &pub);
	write_pub_file(pubf, &pub, line);
	write_text(msgf, msg, MSG_LEN);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, tc, "signed by vios"), 0);
	write_text(sigf, text, strlen(text));

	assert_int_equal(run(&out, "minisign -V -p '%s' -m '%s'", pubf, msgf), 0);
	assert_non_null(strstr(out, "Signature and comment signature verified"));
	assert_non_null(strstr(out, "Trusted comment: timestamp:1700000000\tfile:msg.txt\tvios\n"));
	free(out);
	assert_int_equal(run(&out, "minisign -V -P '%s' -m '%s'", line, msgf), 0);
	assert_non_null(strstr(out, "Trusted comment: timestamp:1700000000\tfile:msg.txt\tvios\n"));
	free(out);
	/* -H: minisign requires a prehashed signature, which is all vios writes */
	assert_int_equal(run(&out, "minisign -V -H -Q -P '%s' -m '%s'", line, msgf), 0);
	assert_string_equal(out, "timestamp:1700000000\tfile:msg.txt\tvios\n");
	free(out);

	/* and minisign rejects it once the message changes: the check is real */
	write_text(msgf, "forged\n", 7);
	assert_int_not_equal(run(&out, "minisign -V -p '%s' -m '%s'", pubf, msgf), 0);
	assert_non_null(strstr(out, "Signature verification failed"));
	free(out);

	free(text);
	free(pubf);
	free(msgf);
	free(sigf);
	vios_minisign_sec_free(sec);
}

static void test_minisign__stock_minisign_reads_vios_comments_at_the_limits(void **state)
{
	sandbox *sb = *state;
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	char line[57], *text, *out;
	char *pubf, *msgf, *sigf;
	char *t_max = repeat('T', VIOS_MINISIGN_TRUSTED_TEXT_MAX);
	char *u_max = repeat('U', VIOS_MINISIGN_UNTRUSTED_TEXT_MAX);

	require_minisign();
	pubf = path_in(sb, "vios.pub");
	msgf = path_in(sb, "msg.txt");
	sigf = path_in(sb, "msg.txt.minisig");
	keypair(&sec, &pub);
	write_pub_file(pubf, &pub, line);
	write_text(msgf, msg, MSG_LEN);
	assert_int_equal(vios_minisign_sign(&text, sec, msg, MSG_LEN, t_max, u_max), 0);
	write_text(sigf, text, strlen(text));
	assert_int_equal(run(&out, "minisign -V -Q -p '%s' -m '%s'", pubf, msgf), 0);
	assert_int_equal(strlen(out), VIOS_MINISIGN_TRUSTED_TEXT_MAX + 1);
	assert_memory_equal(out, t_max, VIOS_MINISIGN_TRUSTED_TEXT_MAX);
	free(out);
	free(text);

	free(t_max);
	free(u_max);
	free(pubf);
	free(msgf);
	free(sigf);
	vios_minisign_sec_free(sec);
}

static void test_minisign__vios_verifies_stock_minisign_signature(void **state)
{
	sandbox *sb = *state;
	vios_minisign_pub pub, pub_line;
	char *pubf, *secf, *msgf, *sigf, *pubtext, *sigtext, *out, *trusted = NULL, *nl;
	uint8_t *data;
	size_t big_len = 200000;
	unsigned long long shown;
	FILE *f;

	require_minisign();
	pubf = path_in(sb, "stock.pub");
	secf = path_in(sb, "stock.key");
	msgf = path_in(sb, "big.bin");
	sigf = path_in(sb, "big.bin.minisig");
	data = malloc(big_len);
	assert_non_null(data);
	randombytes_buf(data, big_len);
	write_text(msgf, data, big_len);

	assert_int_equal(run(NULL, "minisign -G -W -p '%s' -s '%s'", pubf, secf), 0);
	assert_int_equal(run(NULL, "minisign -S -s '%s' -m '%s' -t 'comment from stock minisign'",
			     secf, msgf), 0);

	/* the whole .pub file and its bare key line both parse */
	pubtext = read_text(pubf);
	assert_int_equal(vios_minisign_pub_parse(&pub, pubtext), 0);
	nl = strchr(pubtext, '\n');
	assert_non_null(nl);
	assert_int_equal(vios_minisign_pub_parse(&pub_line, nl + 1), 0);
	assert_memory_equal(&pub, &pub_line, sizeof(pub));
	/* minisign's shown key id is the little-endian reading of the id bytes */
	assert_int_equal(sscanf(pubtext, "untrusted comment: minisign public key %llX", &shown), 1);
	assert_true((uint64_t)shown == vios_load_le64(pub.keyid));

	sigtext = read_text(sigf);
	assert_int_equal(vios_minisign_verify(&trusted, &pub, data, big_len, sigtext, strlen(sigtext)), 0);
	assert_string_equal(trusted, "comment from stock minisign");
	free(trusted);
	f = fopen(msgf, "rb");
	assert_non_null(f);
	assert_int_equal(vios_minisign_verify_file(&trusted, &pub, f, sigtext, strlen(sigtext)), 0);
	assert_string_equal(trusted, "comment from stock minisign");
	free(trusted);
	fclose(f);
	data[0] ^= 1;
	assert_int_equal(vios_minisign_verify(NULL, &pub, data, big_len, sigtext, strlen(sigtext)),
			 VIOS_EVERIFY);
	data[0] ^= 1;
	free(sigtext);

	/* minisign's default trusted comment (with tabs) comes back exactly as -Q shows it */
	assert_int_equal(run(NULL, "minisign -S -s '%s' -m '%s'", secf, msgf), 0);
	assert_int_equal(run(&out, "minisign -V -Q -p '%s' -m '%s'", pubf, msgf), 0);
	sigtext = read_text(sigf);
	assert_int_equal(vios_minisign_verify(&trusted, &pub, data, big_len, sigtext, strlen(sigtext)), 0);
	assert_non_null(strchr(trusted, '\t'));
	assert_int_equal(strlen(out), strlen(trusted) + 1);
	assert_memory_equal(out, trusted, strlen(trusted));
	free(trusted);
	free(out);
	free(sigtext);

	free(pubtext);
	free(data);
	free(pubf);
	free(secf);
	free(msgf);
	free(sigf);
}

static void test_minisign__refuses_stock_minisign_legacy_signature(void **state)
{
	sandbox *sb = *state;
	vios_minisign_pub pub;
	char *pubf, *secf, *msgf, *sigf, *pubtext, *sigtext, *out, *trusted = NULL;
	uint8_t sigbin[SIGBIN_LEN];
	char *lines[4];

	require_minisign();
	pubf = path_in(sb, "stock.pub");
	secf = path_in(sb, "stock.key");
	msgf = path_in(sb, "msg.txt");
	sigf = path_in(sb, "msg.txt.minisig");
	write_text(msgf, msg, MSG_LEN);
	assert_int_equal(run(NULL, "minisign -G -W -p '%s' -s '%s'", pubf, secf), 0);
	assert_int_equal(run(&out, "minisign -S -l -s '%s' -m '%s' -t legacy", secf, msgf), 0);
	free(out);
	/* minisign itself accepts its legacy signature, so the file is genuine */
	assert_int_equal(run(&out, "minisign -V -p '%s' -m '%s'", pubf, msgf), 0);
	free(out);

	pubtext = read_text(pubf);
	sigtext = read_text(sigf);
	split4(lines, sigtext);
	b64dec(sigbin, sizeof(sigbin), lines[1]);
	assert_memory_equal(sigbin, "Ed", 2);
	free4(lines);
	assert_int_equal(vios_minisign_pub_parse(&pub, pubtext), 0);
	assert_int_equal(vios_minisign_verify(&trusted, &pub, msg, MSG_LEN, sigtext, strlen(sigtext)),
			 VIOS_ECORRUPT);
	assert_null(trusted);
	assert_non_null(strstr(vios_error_last(), "legacy \"Ed\" signature refused"));

	free(pubtext);
	free(sigtext);
	free(pubf);
	free(secf);
	free(msgf);
	free(sigf);
}

/* ---- vios_minisign_sig_parse: the one signature file reader ------------ */

static char *signed_text(vios_minisign_sec **sec, vios_minisign_pub *pub, const char *trusted)
{
	char *text = NULL;

	keypair(sec, pub);
	assert_int_equal(vios_minisign_sign(&text, *sec, msg, MSG_LEN, trusted, "uc"), 0);
	return text;
}

static void test_minisign__sig_parse_gives_every_part_of_a_good_file(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	vios_minisign_sig sig;
	char *text = signed_text(&sec, &pub, "hello trusted"), *lines[4], *tc = NULL;
	uint8_t sigbin[SIGBIN_LEN], gsig[64];

	(void)state;
	split4(lines, text);
	b64dec(sigbin, sizeof(sigbin), lines[1]);
	b64dec(gsig, sizeof(gsig), lines[3]);
	assert_int_equal(vios_minisign_sig_parse(&sig, text, strlen(text)), 0);
	assert_memory_equal(sig.alg, "ED", 2);
	assert_memory_equal(sig.keyid, pub.keyid, VIOS_MINISIGN_KEYID);
	assert_memory_equal(sig.sig, sigbin + 10, 64);
	assert_memory_equal(sig.global_sig, gsig, 64);
	assert_int_equal(sig.trusted_len, strlen("hello trusted"));
	assert_memory_equal(sig.trusted, "hello trusted", sig.trusted_len);
	assert_ptr_equal(sig.trusted, strstr(text, "hello trusted"));
	assert_int_equal(vios_minisign_sig_trusted(&tc, &sig), 0);
	assert_string_equal(tc, "hello trusted");
	free(tc);
	free4(lines);
	free(text);
	vios_minisign_sec_free(sec);
}

static void test_minisign__sig_parse_accepts_empty_trusted_comment(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	vios_minisign_sig sig;
	char *text = signed_text(&sec, &pub, ""), *tc = NULL;

	(void)state;
	assert_int_equal(vios_minisign_sig_parse(&sig, text, strlen(text)), 0);
	assert_int_equal(sig.trusted_len, 0);
	assert_int_equal(vios_minisign_sig_trusted(&tc, &sig), 0);
	assert_string_equal(tc, "");
	free(tc);
	free(text);
	vios_minisign_sec_free(sec);
}

/* Rows: a signature text made from a good one, and the rule the refusal names. */
static void test_minisign__sig_parse_refuses_malformed_files_naming_the_rule(void **state)
{
	vios_minisign_sec *sec;
	vios_minisign_pub pub;
	vios_minisign_sig sig;
	char *text = signed_text(&sec, &pub, "tc"), *l[4], *crlf, *alg64, *badb64, *trunc;
	uint8_t sigbin[SIGBIN_LEN];
	size_t n;

	(void)state;
	split4(l, text);
	/* CRLF line endings, as a Windows editor would save the file */
	assert_true(asprintf(&crlf, "%s\r\n%s\r\n%s\r\n%s\r\n", l[0], l[1], l[2], l[3]) > 0);
	/* a signature line naming another algorithm */
	b64dec(sigbin, sizeof(sigbin), l[1]);
	memcpy(sigbin, "XY", 2);
	alg64 = b64enc(sigbin, sizeof(sigbin));
	/* a '*' in the global signature's base64 */
	badb64 = strdup(l[3]);
	assert_non_null(badb64);
	badb64[5] = '*';
	/* the file cut in the middle of its global signature line */
	n = strlen(l[0]) + strlen(l[1]) + strlen(l[2]) + 3 + 20;
	trunc = strndup(text, n);
	assert_non_null(trunc);
	struct {
		int id;
		char *text;
		const char *rule;
	} rows[] = {
		{ 1, crlf, "contains a CR" },
		{ 2, join4(l[0], alg64, l[2], l[3]), "unsupported signature algorithm" },
		{ 3, join4(l[0], l[1], l[2], badb64), "global signature is not valid base64" },
		{ 4, trunc, "global signature is 20 base64 characters, expected 88" },
		{ 5, join4(l[0], l[1], "trusted comment:tc", l[3]), "trusted comment line should start" },
		{ 6, strndup(text, strlen(l[0]) + strlen(l[1]) + 2), "has 2 lines, expected 4 (missing the trusted comment line)" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = vios_minisign_sig_parse(&sig, rows[i].text, strlen(rows[i].text));
		if (rc != VIOS_ECORRUPT || strstr(vios_error_last(), rows[i].rule) == NULL)
			fail_msg("row %d: rc %d, message \"%s\", expected \"%s\"", rows[i].id, rc,
				 vios_error_last(), rows[i].rule);
		free(rows[i].text);
	}
	assert_int_equal(vios_minisign_sig_parse(&sig, NULL, 0), VIOS_ERROR);
	free(alg64);
	free(badb64);
	free4(l);
	free(text);
	vios_minisign_sec_free(sec);
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minisign__sign_verify_round_trip_returns_trusted_comment_exactly),
		cmocka_unit_test(test_minisign__signature_file_has_minisign_layout),
		cmocka_unit_test(test_minisign__buffer_and_stream_variants_agree),
		cmocka_unit_test(test_minisign__rejects_tampered_message),
		cmocka_unit_test(test_minisign__rejects_flipped_signature_byte),
		cmocka_unit_test(test_minisign__rejects_tampered_trusted_comment),
		cmocka_unit_test(test_minisign__rejects_flipped_global_signature_byte),
		cmocka_unit_test(test_minisign__rejects_tampered_key_id_naming_both_ids),
		cmocka_unit_test(test_minisign__rejects_signature_by_other_key),
		cmocka_unit_test(test_minisign__refuses_legacy_Ed_signature_saying_why),
		cmocka_unit_test(test_minisign__accepts_handmade_prehashed_signature),
		cmocka_unit_test(test_minisign__rejects_ed25519ph_signature),
		cmocka_unit_test(test_minisign__rejects_malformed_signature_files),
		cmocka_unit_test(test_minisign__accepts_trailing_newlines_and_missing_final_newline),
		cmocka_unit_test(test_minisign__sign_refuses_bad_comments),
		cmocka_unit_test(test_minisign__sig_parse_gives_every_part_of_a_good_file),
		cmocka_unit_test(test_minisign__sig_parse_accepts_empty_trusted_comment),
		cmocka_unit_test(test_minisign__sig_parse_refuses_malformed_files_naming_the_rule),
		cmocka_unit_test(test_minisign__keyid_hex_is_little_endian_uppercase),
		cmocka_unit_test(test_minisign__pub_format_and_parse_round_trip),
		cmocka_unit_test(test_minisign__pub_parse_rejects_malformed_keys),
		cmocka_unit_test(test_minisign__sec_from_round_trips_and_rejects_mismatched_halves),
		cmocka_unit_test_setup_teardown(test_minisign__stock_minisign_verifies_vios_signature,
						sandbox_setup, sandbox_teardown),
		cmocka_unit_test_setup_teardown(test_minisign__stock_minisign_reads_vios_comments_at_the_limits,
						sandbox_setup, sandbox_teardown),
		cmocka_unit_test_setup_teardown(test_minisign__vios_verifies_stock_minisign_signature,
						sandbox_setup, sandbox_teardown),
		cmocka_unit_test_setup_teardown(test_minisign__refuses_stock_minisign_legacy_signature,
						sandbox_setup, sandbox_teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
