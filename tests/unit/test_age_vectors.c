/*
 * test_age_vectors.c - the reader against the C2SP CCTV age test vectors in
 * tests/resources/age/ (see the README there for their origin and format).
 *
 * Every file is read. Vectors needing what vios does not implement (ASCII
 * armor, the hybrid ML-KEM identity) are skipped by category and counted;
 * a vector that gives only passphrases is opened with the first one
 * (vios_age_reader_open_scrypt); every other one must give exactly the expected
 * outcome class and release plaintext hashing to the expected SHA-256.
 * Run from the repository root.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <zlib.h>

#include "crypto/age.h"
#include "util/error.h"
#include "util/util.h"

#define VECTOR_DIR "tests/resources/age"
#define MAX_VECTOR (64u * 1024 * 1024)
#define MAX_IDENTITIES 8

enum skip_reason { RUN = 0, RUN_SCRYPT, SKIP_ARMOR, SKIP_NON_X25519, SKIP_UNKNOWN_KEY, SKIP_NREASONS };

static const char *const skip_names[SKIP_NREASONS] = {
	"run", "run with a passphrase (scrypt)", "armor", "non-X25519 identity (hybrid ML-KEM)",
	"unknown header key"
};

typedef struct {
	char name[128];
	char expect[32];
	char payload[65];
	int has_payload;
	const char *identity[MAX_IDENTITIES];	/* point into the file buffer */
	size_t n_identity;
	int n_passphrase;
	const char *passphrase;	/* the first one, into the file buffer */
	int armored;
	int compressed;
	int unknown_key;
	const uint8_t *body;
	size_t body_len;
} vector;

/* Splits the "key: value" header off the file; body follows the empty line. */
static int parse_vector(vector *v, uint8_t *buf, size_t len)
{
	char *p = (char *)buf, *end = (char *)buf + len;

	for (;;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *colon;

		if (nl == NULL)
			return -1;
		*nl = '\0';
		if (p == nl) {
			v->body = (const uint8_t *)nl + 1;
			v->body_len = (size_t)(end - nl - 1);
			return 0;
		}
		if ((colon = strstr(p, ": ")) == NULL)
			return -1;
		*colon = '\0';
		colon += 2;
		if (strcmp(p, "expect") == 0) {
			if (vios_snprintf(v->expect, sizeof(v->expect), "%s", colon) < 0)
				return -1;
		} else if (strcmp(p, "payload") == 0) {
			if (vios_snprintf(v->payload, sizeof(v->payload), "%s", colon) < 0)
				return -1;
			v->has_payload = 1;
		} else if (strcmp(p, "identity") == 0) {
			if (v->n_identity == MAX_IDENTITIES)
				return -1;
			v->identity[v->n_identity++] = colon;
		} else if (strcmp(p, "passphrase") == 0) {
			if (v->n_passphrase++ == 0)
				v->passphrase = colon;
		} else if (strcmp(p, "armored") == 0) {
			v->armored = strcmp(colon, "yes") == 0;
		} else if (strcmp(p, "compressed") == 0) {
			if (strcmp(colon, "zlib") != 0)
				return -1;
			v->compressed = 1;
		} else if (strcmp(p, "file key") != 0 && strcmp(p, "comment") != 0) {
			v->unknown_key = 1;
		}
		p = nl + 1;
	}
}

static int is_x25519_identity(const char *s)
{
	return strncmp(s, "AGE-SECRET-KEY-1", 16) == 0;
}

static enum skip_reason classify(const vector *v)
{
	size_t i, x25519 = 0;

	if (v->unknown_key)
		return SKIP_UNKNOWN_KEY;
	if (v->armored)
		return SKIP_ARMOR;
	for (i = 0; i < v->n_identity; i++)
		x25519 += is_x25519_identity(v->identity[i]) ? 1 : 0;
	if (v->n_passphrase > 0 && v->n_identity == 0)
		return RUN_SCRYPT;
	/*
	 * Holding fewer identities than the vector gives can only turn a
	 * success into a no-match, so a vector with a non-X25519 identity
	 * runs (with its X25519 identities) only when it must fail in the
	 * header whatever the identity.
	 */
	if (x25519 < v->n_identity && (x25519 == 0 || strcmp(v->expect, "header failure") != 0))
		return SKIP_NON_X25519;
	return RUN;
}

static uint8_t *inflate_all(const uint8_t *in, size_t inlen, size_t *outlen)
{
	z_stream zs;
	uint8_t *out = NULL;
	size_t cap = 1u << 20;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return NULL;
	if ((out = malloc(cap)) == NULL)
		goto fail;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)inlen;
	for (;;) {
		if (zs.total_out == cap) {
			uint8_t *p;

			if (cap >= MAX_VECTOR)
				goto fail;
			if ((p = realloc(out, cap * 2)) == NULL)
				goto fail;
			out = p;
			cap *= 2;
		}
		zs.next_out = out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			goto fail;
		if (rc == Z_BUF_ERROR && zs.avail_in == 0)
			goto fail;
	}
	*outlen = zs.total_out;
	inflateEnd(&zs);
	return out;
fail:
	inflateEnd(&zs);
	free(out);
	return NULL;
}

/*
 * Decrypts v->body and names the outcome class as the vectors spell it;
 * hash gets the SHA-256 of everything released. msg gets the diagnostic
 * (snprintf there may truncate: it is only printed).
 */
static const char *run_vector(const vector *v, int scrypt, uint8_t hash[32], char *msg, size_t msglen)
{
	vios_secret *pass = NULL;
	uint8_t *ids[MAX_IDENTITIES] = { 0 };
	const uint8_t *idp[MAX_IDENTITIES];
	crypto_hash_sha256_state sha;
	vios_age_reader *r = NULL;
	static uint8_t buf[10000];	/* not a chunk multiple: exercises partial reads */
	uint8_t *data = NULL;
	const uint8_t *src;
	size_t src_len, n = 0, i;
	static const uint8_t empty[1];
	const char *outcome = "error";
	FILE *f = NULL;
	int rc;

	msg[0] = '\0';
	crypto_hash_sha256_init(&sha);
	for (i = 0; i < v->n_identity; i++) {
		if (!is_x25519_identity(v->identity[i]))
			continue;
		ids[n] = sodium_malloc(32);
		if (ids[n] == NULL || vios_age_identity_parse(ids[n], v->identity[i]) != 0) {
			snprintf(msg, msglen, "identity %zu does not parse: %s", i + 1, vios_error_last());
			n += ids[n] != NULL;
			goto done;
		}
		idp[n] = ids[n];
		n++;
	}
	src = v->body;
	src_len = v->body_len;
	if (v->compressed) {
		if ((data = inflate_all(v->body, v->body_len, &src_len)) == NULL) {
			snprintf(msg, msglen, "zlib inflate failed");
			goto done;
		}
		src = data;
	}
	f = fmemopen((void *)(uintptr_t)(src_len ? src : empty), src_len, "rb");
	if (f == NULL) {
		snprintf(msg, msglen, "fmemopen failed");
		goto done;
	}

	if (scrypt) {
		if (vios_secret_new(&pass, v->passphrase, strlen(v->passphrase)) < 0) {
			snprintf(msg, msglen, "out of memory");
			goto done;
		}
		rc = vios_age_reader_open_scrypt(&r, f, pass);
	} else {
		rc = vios_age_reader_open(&r, f, idp, n);
	}
	if (rc == VIOS_ENOTFOUND || rc == VIOS_EAUTH)
		outcome = "no match";
	else if (rc == VIOS_EVERIFY)
		outcome = "HMAC failure";
	else if (rc == VIOS_ECORRUPT)
		outcome = "header failure";
	if (rc < 0) {
		snprintf(msg, msglen, "%s", vios_error_last());
		goto done;
	}
	for (;;) {
		size_t got;

		rc = vios_age_reader_read(r, buf, sizeof(buf), &got);
		if (rc == VIOS_EVERIFY || rc == VIOS_ECORRUPT) {
			outcome = "payload failure";
			snprintf(msg, msglen, "%s", vios_error_last());
			break;
		}
		if (rc < 0) {
			snprintf(msg, msglen, "%s", vios_error_last());
			break;
		}
		if (got == 0) {
			outcome = "success";
			break;
		}
		crypto_hash_sha256_update(&sha, buf, got);
	}

done:
	vios_secret_free(pass);
	crypto_hash_sha256_final(&sha, hash);
	vios_age_reader_free(r);
	if (f != NULL)
		fclose(f);
	free(data);
	for (i = 0; i < n; i++)
		sodium_free(ids[i]);
	return outcome;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted vector file names (README.md excluded). */
static char **list_vectors(size_t *count)
{
	DIR *d = opendir(VECTOR_DIR);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README.md") == 0)
			continue;
		if (n == cap) {
			char **p = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			assert_non_null(p);
			names = p;
		}
		names[n] = strdup(de->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	*count = n;
	return names;
}

static void test_age_vectors__every_runnable_cctv_vector_passes(void **state)
{
	size_t count = 0, i, passed = 0, failed = 0, skipped = 0;
	size_t by_reason[SKIP_NREASONS] = { 0 };
	char **names;

	(void)state;
	names = list_vectors(&count);
	if (names == NULL)
		fail_msg("cannot open %s (tests run from the repository root)", VECTOR_DIR);
	assert_int_equal(count, 143);

	for (i = 0; i < count; i++) {
		char path[512], msg[600], hex[65];
		uint8_t *buf = NULL, hash[32];
		size_t len;
		vector v;
		enum skip_reason why;
		const char *got;

		memset(&v, 0, sizeof(v));
		assert_true(vios_snprintf(v.name, sizeof(v.name), "%s", names[i]) >= 0);
		assert_true(vios_snprintf(path, sizeof(path), "%s/%s", VECTOR_DIR, names[i]) > 0);
		if (vios_file_read(&buf, &len, path, MAX_VECTOR) != 0)
			fail_msg("vector %s: %s", names[i], vios_error_last());
		if (parse_vector(&v, buf, len) != 0 || v.expect[0] == '\0')
			fail_msg("vector %s: malformed vector header", names[i]);

		why = classify(&v);
		by_reason[why]++;
		if (why != RUN && why != RUN_SCRYPT) {
			if (getenv("VIOS_TEST_VERBOSE") != NULL)
				print_message("vector #%zu %s: skipped (%s)\n", i + 1, v.name,
					      skip_names[why]);
			skipped++;
			free(buf);
			continue;
		}
		got = run_vector(&v, why == RUN_SCRYPT, hash, msg, sizeof(msg));
		vios_hex(hex, hash, sizeof(hash));
		if (strcmp(got, v.expect) != 0) {
			print_error("vector #%zu %s: expected \"%s\", got \"%s\" (%s)\n",
				    i + 1, v.name, v.expect, got, msg);
			failed++;
		} else if (v.has_payload && strcmp(hex, v.payload) != 0) {
			print_error("vector #%zu %s: \"%s\" as expected but released plaintext "
				    "hashes to %s, want %s\n", i + 1, v.name, got, hex, v.payload);
			failed++;
		} else {
			passed++;
			if (getenv("VIOS_TEST_VERBOSE") != NULL)
				print_message("vector #%zu %s: %s%s%s\n", i + 1, v.name, got,
					      msg[0] ? ": " : "", msg);
		}
		free(buf);
	}

	print_message("age vectors: %zu passed (%zu of them with a passphrase), %zu skipped\n", passed,
		      by_reason[RUN_SCRYPT], skipped);
	print_message("age vectors skipped: %zu %s, %zu %s, %zu %s\n",
		      by_reason[SKIP_ARMOR], skip_names[SKIP_ARMOR],
		      by_reason[SKIP_NON_X25519], skip_names[SKIP_NON_X25519],
		      by_reason[SKIP_UNKNOWN_KEY], skip_names[SKIP_UNKNOWN_KEY]);
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	assert_int_equal(failed, 0);
	assert_int_equal(passed + skipped, count);
	/* Nothing silently skipped for an unknown reason, and a real number ran. */
	assert_int_equal(by_reason[SKIP_UNKNOWN_KEY], 0);
	assert_true(passed >= 60);
	/* every passphrase-only vector but the armored one (scrypt_and_x25519 runs with its identity) */
	assert_int_equal(by_reason[RUN_SCRYPT], 24);
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_vectors__every_runnable_cctv_vector_passes),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
