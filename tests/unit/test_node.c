/*
 * test_node.c - node homes, the key vault and enrollment requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "node/node.h"
#include "util/error.h"
#include "util/util.h"

typedef struct {
	char dir[64];
	char home[128];
	vios_secret *pass;
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	strcpy(sb->dir, "/tmp/vios-node.XXXXXX");
	assert_non_null(mkdtemp(sb->dir));
	snprintf(sb->home, sizeof(sb->home), "%s/home", sb->dir);
	assert_int_equal(vios_secret_new(&sb->pass, "unit test passphrase", 20), 0);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	vios_rm_rf(sb->dir);
	vios_secret_free(sb->pass);
	free(sb);
	return 0;
}

static vios_node *make(sandbox *sb, const char *kind, const char *role, char *code)
{
	vios_node *n = NULL;
	assert_int_equal(vios_node_init(&n, code, sb->home, kind, "unit", role, sb->pass, VIOS_KDF_INTERACTIVE), 0);
	return n;
}

static void test_node_init__opens_with_its_passphrase_and_same_keys(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_node *a = make(sb, "school", NULL, code), *b = NULL;

	assert_string_equal(a->role, "school");
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), 0);
	assert_string_equal(a->node_id, b->node_id);
	assert_memory_equal(a->sign_sec->sk, b->sign_sec->sk, 64);
	assert_memory_equal(a->age_sk, b->age_sk, 32);
	assert_memory_equal(a->master, b->master, 32);
	vios_node_free(a);
	vios_node_free(b);
}

static void test_node_open__rejects_wrong_passphrase(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_secret *wrong = NULL;
	vios_node *a = make(sb, "school", NULL, code), *b = NULL;

	assert_int_equal(vios_secret_new(&wrong, "unit test passphrasE", 20), 0);
	assert_int_equal(vios_node_open(&b, sb->home, wrong), VIOS_EAUTH);
	assert_null(b);
	assert_non_null(strstr(vios_error_last(), "wrong passphrase"));
	vios_secret_free(wrong);
	vios_node_free(a);
}

static void test_node_init__refuses_existing_home(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_node *a = make(sb, "school", NULL, code), *b = NULL;

	assert_int_equal(vios_node_init(&b, code, sb->home, "school", "x", NULL, sb->pass, VIOS_KDF_INTERACTIVE),
			 VIOS_EEXISTS);
	assert_null(b);
	vios_node_free(a);
}

static void test_node_init__checks_kind_role_name(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_node *n = NULL;
	static const struct {
		int id;
		const char *kind, *role, *name;
	} bad[] = {
		{ 1, "teacher", NULL, "x" },  { 2, "partner", NULL, "x" },
		{ 3, "partner", "baker", "x" }, { 4, "partner", "school", "x" },
		{ 5, "school", "police", "x" }, { 6, "school", NULL, "" },
		{ 7, "school", NULL, "a\nb" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = vios_node_init(&n, code, sb->home, bad[i].kind, bad[i].name, bad[i].role, sb->pass,
					VIOS_KDF_INTERACTIVE);
		if (rc != VIOS_EUSAGE)
			fail_msg("case %d: expected a usage error, got %d", bad[i].id, rc);
		assert_false(vios_path_exists(sb->home));
	}
}

static void test_node_recover__resets_passphrase_keeps_keys(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_secret *np = NULL;
	vios_node *a = make(sb, "partner", "police", code), *b = NULL;

	assert_int_equal(vios_secret_new(&np, "a brand new passphrase", 22), 0);
	assert_int_equal(vios_node_passphrase_recover(sb->home, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", np),
			 VIOS_EAUTH);
	assert_int_equal(vios_node_passphrase_recover(sb->home, "not a code", np), VIOS_EUSAGE);
	assert_int_equal(vios_node_passphrase_recover(sb->home, code, np), 0);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), VIOS_EAUTH);
	assert_int_equal(vios_node_open(&b, sb->home, np), 0);
	assert_memory_equal(a->sign_sec->sk, b->sign_sec->sk, 64);
	assert_memory_equal(a->master, b->master, 32);
	vios_node_free(b);
	/* and the code still works after use */
	assert_int_equal(vios_node_passphrase_recover(sb->home, code, sb->pass), 0);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), 0);
	vios_node_free(b);
	vios_secret_free(np);
	vios_node_free(a);
}

static void test_node_change__old_passphrase_stops_working(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_secret *np = NULL, *shortp = NULL;
	vios_node *a = make(sb, "hub", NULL, code), *b = NULL;

	assert_int_equal(vios_secret_new(&np, "changed passphrase", 18), 0);
	assert_int_equal(vios_secret_new(&shortp, "short", 5), 0);
	assert_int_equal(vios_node_passphrase_change(a, shortp), VIOS_EUSAGE);
	assert_int_equal(vios_node_passphrase_change(a, np), 0);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), VIOS_EAUTH);
	assert_int_equal(vios_node_open(&b, sb->home, np), 0);
	vios_node_free(b);
	vios_secret_free(np);
	vios_secret_free(shortp);
	vios_node_free(a);
}

static void test_node_open__detects_edited_node_json(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1], path[256];
	uint8_t *buf;
	size_t len;
	vios_node *a = make(sb, "school", NULL, code), *b = NULL;

	snprintf(path, sizeof(path), "%s/node.json", sb->home);
	assert_int_equal(vios_file_read(&buf, &len, path, 65536), 0);
	char *p = strstr((char *)buf, "\"unit\"");
	assert_non_null(p);
	p[1] = 'U';
	assert_int_equal(vios_file_write_atomic(path, buf, len, 0644, 1), 0);
	free(buf);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), VIOS_ECORRUPT);
	vios_node_free(a);
}

static void test_node_vault__no_secret_in_plain_text(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1], path[256];
	const char *files[] = { "node.json", "keys.vault", "identity.sec" };
	vios_node *a = make(sb, "school", NULL, code);

	for (size_t i = 0; i < 3; i++) {
		uint8_t *buf;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", sb->home, files[i]);
		assert_int_equal(vios_file_read(&buf, &len, path, 65536), 0);
		assert_null(memmem(buf, len, a->master, 32));
		assert_null(memmem(buf, len, a->sign_sec->sk, 32)); /* the Ed25519 seed */
		assert_null(memmem(buf, len, a->age_sk, 32));
		assert_null(memmem(buf, len, code, strlen(code)));
		free(buf);
	}
	vios_node_free(a);
}

/* ---- the vault's costs (issue 23) ------------------------------------------ */

/* Offsets in a version-2 vault: 14-byte header, 106-byte slots. */
#define V2_HDR 14
#define V2_SLOT 106

static void vault_load(sandbox *sb, uint8_t **buf, size_t *len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/keys.vault", sb->home);
	assert_int_equal(vios_file_read(buf, len, path, 4096), 0);
}

static void vault_store(sandbox *sb, const uint8_t *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/keys.vault", sb->home);
	assert_int_equal(vios_file_write_atomic(path, buf, len, 0600, 1), 0);
}

/* Sets slot i's costs in the vault on disk; returns the old bytes. */
static uint8_t *vault_set_costs(sandbox *sb, int i, uint64_t ops, uint64_t mem)
{
	uint8_t *buf, *old;
	size_t len;

	vault_load(sb, &buf, &len);
	assert_int_equal(len, 226);
	old = malloc(len);
	memcpy(old, buf, len);
	vios_store_le64(buf + V2_HDR + (size_t)i * V2_SLOT + 2, ops);
	vios_store_le64(buf + V2_HDR + (size_t)i * V2_SLOT + 10, mem);
	vault_store(sb, buf, len);
	free(buf);
	return old;
}

static void test_node_vault__format_2_records_the_preset(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_vault_info info;
	uint8_t *buf;
	size_t len;
	vios_node *a = make(sb, "school", NULL, code);

	vault_load(sb, &buf, &len);
	assert_int_equal(len, 226); /* docs/formats.md */
	assert_memory_equal(buf, "VIOSVLT1\x02\x00\x02\x00\x01\x00", 14);
	assert_int_equal(vios_vault_parse(&info, buf, len), 0);
	assert_int_equal(info.version, 2);
	assert_int_equal(info.preset, VIOS_KDF_INTERACTIVE);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(info.ops[i], crypto_pwhash_OPSLIMIT_INTERACTIVE);
		assert_int_equal(info.mem[i], crypto_pwhash_MEMLIMIT_INTERACTIVE);
	}
	assert_int_equal(a->kdf_preset, VIOS_KDF_INTERACTIVE);
	assert_int_equal(a->fresh, 1);
	/* truncated, unknown version, unknown preset */
	assert_int_equal(vios_vault_parse(&info, buf, len - 1), VIOS_ECORRUPT);
	buf[8] = 3;
	assert_int_equal(vios_vault_parse(&info, buf, len), VIOS_ECORRUPT);
	buf[8] = 2;
	buf[12] = 4;
	assert_int_equal(vios_vault_parse(&info, buf, len), VIOS_ECORRUPT);
	free(buf);
	vios_node_free(a);
}

static void test_node_vault__weak_costs_refused(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_secret *np = NULL;
	vios_node *a = make(sb, "school", NULL, code), *b = NULL;
	uint8_t *old;

	/* (1 pass, 8 KiB) in either slot: tampered, before any Argon2id */
	for (int i = 0; i < 2; i++) {
		old = vault_set_costs(sb, i, 1, 8192);
		assert_int_equal(vios_node_open(&b, sb->home, sb->pass), VIOS_ECORRUPT);
		assert_non_null(strstr(vios_error_last(), "tampered"));
		assert_null(b);
		vault_store(sb, old, 226);
		free(old);
	}
	/* a weakened recovery slot is refused by recovery too */
	assert_int_equal(vios_secret_new(&np, "a brand new passphrase", 22), 0);
	old = vault_set_costs(sb, 1, 1, 8192);
	assert_int_equal(vios_node_passphrase_recover(sb->home, code, np), VIOS_ECORRUPT);
	vault_store(sb, old, 226);
	free(old);
	/* a weakened passphrase slot is replaced, with the preset's costs */
	old = vault_set_costs(sb, 0, 1, 8192);
	free(old);
	assert_int_equal(vios_node_passphrase_recover(sb->home, code, np), 0);
	{
		vios_vault_info info;
		uint8_t *buf;
		size_t len;
		vault_load(sb, &buf, &len);
		assert_int_equal(vios_vault_parse(&info, buf, len), 0);
		free(buf);
		assert_int_equal(info.ops[0], crypto_pwhash_OPSLIMIT_INTERACTIVE);
		assert_int_equal(info.mem[0], crypto_pwhash_MEMLIMIT_INTERACTIVE);
	}
	assert_int_equal(vios_node_open(&b, sb->home, np), 0);
	vios_node_free(b);
	vios_secret_free(np);
	vios_node_free(a);
}

static void test_node_vault__inflated_costs_refused_at_once(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	static const uint64_t bad[][2] = {
		{ 0xffffffffu, crypto_pwhash_MEMLIMIT_INTERACTIVE },
		{ 2, (uint64_t)4 << 30 },
		{ 0xffffffffu, (uint64_t)4 << 30 },
		{ 17, crypto_pwhash_MEMLIMIT_INTERACTIVE },
		{ 2, ((uint64_t)1 << 30) + 1024 },
		{ UINT64_MAX, UINT64_MAX },
	};
	vios_node *a = make(sb, "school", NULL, code), *b = NULL;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		uint64_t t0;
		uint8_t *old = vault_set_costs(sb, (int)(k % 2), bad[k][0], bad[k][1]);
		t0 = vios_now_ms();
		assert_int_equal(vios_node_open(&b, sb->home, sb->pass), VIOS_ECORRUPT);
		/* the other slot's interactive Argon2id never ran either */
		assert_true(vios_now_ms() - t0 < 50);
		vault_store(sb, old, 226);
		free(old);
	}
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), 0);
	vios_node_free(b);
	vios_node_free(a);
}

/*
 * A node made with "moderate": a passphrase slot lowered to interactive
 * costs (within the bounds) is below the recorded preset, so refused; after
 * recovery the new slot has the preset's costs again, and a passphrase
 * change keeps them.
 */
static void test_node_vault__recover_restores_creation_costs(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_secret *np = NULL;
	vios_vault_info info;
	vios_node *a = NULL, *b = NULL;
	uint8_t *buf, *old;
	size_t len;

	assert_int_equal(vios_node_init(&a, code, sb->home, "school", "unit", NULL, sb->pass, VIOS_KDF_MODERATE), 0);
	old = vault_set_costs(sb, 0, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	free(old);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), VIOS_ECORRUPT);
	/* lowering the recorded preset too breaks the header both slots authenticate */
	vault_load(sb, &buf, &len);
	buf[12] = VIOS_KDF_INTERACTIVE;
	vault_store(sb, buf, len);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), VIOS_EAUTH);
	buf[12] = VIOS_KDF_MODERATE;
	vault_store(sb, buf, len);
	free(buf);

	assert_int_equal(vios_secret_new(&np, "a brand new passphrase", 22), 0);
	assert_int_equal(vios_node_passphrase_recover(sb->home, code, np), 0);
	vault_load(sb, &buf, &len);
	assert_int_equal(vios_vault_parse(&info, buf, len), 0);
	free(buf);
	assert_int_equal(info.preset, VIOS_KDF_MODERATE);
	assert_int_equal(info.ops[0], crypto_pwhash_OPSLIMIT_MODERATE);
	assert_int_equal(info.mem[0], crypto_pwhash_MEMLIMIT_MODERATE);
	assert_int_equal(vios_node_open(&b, sb->home, np), 0);
	assert_int_equal(b->kdf_preset, VIOS_KDF_MODERATE);
	assert_int_equal(b->fresh, 0);
	assert_int_equal(vios_node_passphrase_change(b, sb->pass), 0);
	vault_load(sb, &buf, &len);
	assert_int_equal(vios_vault_parse(&info, buf, len), 0);
	free(buf);
	assert_int_equal(info.ops[0], crypto_pwhash_OPSLIMIT_MODERATE);
	assert_int_equal(info.mem[0], crypto_pwhash_MEMLIMIT_MODERATE);
	vios_node_free(b);
	vios_secret_free(np);
	vios_node_free(a);
}

/* Seals slot i of a version-1 vault (12-byte header) by hand. */
static void v1_seal(uint8_t *v, int i, const char *secret, const uint8_t *master)
{
	uint8_t *slot = v + 12 + (size_t)i * V2_SLOT, key[32], ad[12 + 34];

	slot[0] = (uint8_t)(i + 1);
	slot[1] = 2;
	vios_store_le64(slot + 2, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	vios_store_le64(slot + 10, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	randombytes_buf(slot + 18, 16 + 24);
	assert_int_equal(crypto_pwhash(key, 32, secret, strlen(secret), slot + 18, crypto_pwhash_OPSLIMIT_INTERACTIVE,
				       crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13),
			 0);
	memcpy(ad, v, 12);
	memcpy(ad + 12, slot, 34);
	crypto_aead_xchacha20poly1305_ietf_encrypt(slot + 58, NULL, master, 32, ad, sizeof(ad), NULL, slot + 34, key);
}

/* A version-1 vault opens; passphrase change keeps version 1; recover upgrades it to 2. */
static void test_node_vault__version_1_read_and_upgraded(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1], norm[33];
	uint8_t v1[224], *buf;
	size_t len, n = 0;
	vios_vault_info info;
	vios_secret *np = NULL;
	vios_node *a = make(sb, "school", NULL, code), *b = NULL;

	for (const char *p = code; *p; p++)
		if (*p != '-')
			norm[n++] = *p;
	norm[n] = 0;
	memcpy(v1, "VIOSVLT1\x01\x00\x02\x00", 12);
	v1_seal(v1, 0, "unit test passphrase", a->master);
	v1_seal(v1, 1, norm, a->master);
	vault_store(sb, v1, sizeof(v1));
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), 0);
	assert_int_equal(b->kdf_preset, 0);
	assert_int_equal(vios_secret_new(&np, "a brand new passphrase", 22), 0);
	assert_int_equal(vios_node_passphrase_change(b, np), 0);
	vios_node_free(b);
	vault_load(sb, &buf, &len);
	assert_int_equal(len, 224);
	free(buf);
	assert_int_equal(vios_node_open(&b, sb->home, np), 0);
	vios_node_free(b);
	assert_int_equal(vios_node_passphrase_recover(sb->home, code, sb->pass), 0);
	vault_load(sb, &buf, &len);
	assert_int_equal(vios_vault_parse(&info, buf, len), 0);
	free(buf);
	assert_int_equal(info.version, 2);
	assert_int_equal(info.preset, VIOS_KDF_INTERACTIVE);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), 0);
	assert_memory_equal(b->master, a->master, 32);
	vios_node_free(b);
	/* the recovery slot was sealed anew and still opens */
	assert_int_equal(vios_node_passphrase_recover(sb->home, code, np), 0);
	vios_secret_free(np);
	vios_node_free(a);
}

/* A home made 0777, or one with any group or other bit, is refused. */
static void test_node_home__wide_modes_refused(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1];
	vios_node *a = NULL, *b = NULL;

	assert_int_equal(mkdir(sb->home, 0700), 0);
	assert_int_equal(chmod(sb->home, 0777), 0);
	assert_int_equal(vios_node_init(&a, code, sb->home, "school", "unit", NULL, sb->pass, VIOS_KDF_INTERACTIVE),
			 VIOS_ERROR);
	assert_non_null(strstr(vios_error_last(), "0700"));
	assert_int_equal(chmod(sb->home, 0700), 0);
	a = make(sb, "school", NULL, code);
	assert_int_equal(chmod(sb->home, 0750), 0);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), VIOS_ERROR);
	assert_int_equal(vios_node_open_public(&b, sb->home), VIOS_ERROR);
	assert_int_equal(chmod(sb->home, 0700), 0);
	assert_int_equal(vios_node_open(&b, sb->home, sb->pass), 0);
	vios_node_free(b);
	vios_node_free(a);
}

static void test_enroll__request_verifies_and_tampering_fails(void **state)
{
	sandbox *sb = *state;
	char code[VIOS_RECOVERY_LEN + 1], *req = NULL;
	vios_enroll_info info;
	vios_node *a = make(sb, "partner", "social-team", code);

	assert_int_equal(vios_node_enroll_request(&req, a), 0);
	assert_int_equal(vios_enroll_request_verify(&info, req, strlen(req)), 0);
	assert_string_equal(info.node_id, a->node_id);
	assert_string_equal(info.role, "social-team");
	assert_memory_equal(info.sign_pub.pk, a->sign_pub.pk, 32);

	/* 1: a changed name breaks the signature */
	char *bad = strdup(req), *p = strstr(bad, "\"unit\"");
	p[1] = 'X';
	assert_int_equal(vios_enroll_request_verify(&info, bad, strlen(bad)), VIOS_EVERIFY);
	free(bad);
	/* 2: truncated */
	assert_int_equal(vios_enroll_request_verify(&info, req, strlen(req) / 2), VIOS_ECORRUPT);
	/* 3: unsigned */
	json_t *doc = json_loads(req, 0, NULL);
	json_object_del(doc, "signature");
	char *uns = json_dumps(doc, 0);
	assert_int_equal(vios_enroll_request_verify(&info, uns, strlen(uns)), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "not signed"));
	free(uns);
	/* 4: unknown role (re-signing is impossible without the key, so the
	 * field check must come first and say so) */
	json_object_set_new(doc, "signature", json_string("x"));
	json_object_set_new(json_object_get(doc, "request"), "role", json_string("baker"));
	uns = json_dumps(doc, 0);
	assert_int_equal(vios_enroll_request_verify(&info, uns, strlen(uns)), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "unknown role"));
	free(uns);
	json_decref(doc);
	/* 5: signed by another key */
	{
		sandbox other = *sb;
		vios_node *b = NULL;
		char *req2 = NULL;
		snprintf(other.home, sizeof(other.home), "%s/other", sb->dir);
		assert_int_equal(vios_node_init(&b, code, other.home, "school", "unit", NULL, sb->pass, VIOS_KDF_INTERACTIVE), 0);
		assert_int_equal(vios_node_enroll_request(&req2, b), 0);
		json_t *d1 = json_loads(req, 0, NULL), *d2 = json_loads(req2, 0, NULL);
		json_object_set(d1, "signature", json_object_get(d2, "signature"));
		char *mixed = json_dumps(d1, 0);
		assert_int_equal(vios_enroll_request_verify(&info, mixed, strlen(mixed)), VIOS_EVERIFY);
		free(mixed);
		free(req2);
		json_decref(d1);
		json_decref(d2);
		vios_node_free(b);
	}
	free(req);
	vios_node_free(a);
}

/* The one vocabulary: indices and names round-trip, role bits are the
 * indices of the roles at the table, kinds pair with roles as node init
 * requires. */
static void test_vocab__one_table_round_trips(void **state)
{
	static const struct {
		int id;
		const char *role, *kind;
		int fits;
	} pairs[] = {
		{ 1, "school", "school", 1 },   { 2, "police", "partner", 1 },   { 3, "municipality", "partner", 1 },
		{ 4, "school", "partner", 0 },  { 5, "hub", "partner", 0 },      { 6, "auditor", "auditor", 1 },
		{ 7, "police", "school", 0 },   { 8, "hub", "hub", 1 },          { 9, "nurse", "partner", 0 },
		{ 10, "school", "teacher", 0 },
	};

	(void)state;
	for (int i = 0; i < VIOS_ROLE_COUNT; i++) {
		assert_int_equal(vios_role_index(vios_role_name(i)), i);
		assert_int_equal(vios_role_bit(vios_role_name(i)), i < VIOS_ROLE_TABLE_COUNT ? 1u << i : 0);
	}
	for (int i = 0; i < VIOS_KIND_COUNT; i++)
		assert_int_equal(vios_kind_index(vios_kind_name(i)), i);
	for (int i = 0; i < VIOS_THEME_COUNT; i++)
		assert_int_equal(vios_theme_index(vios_theme_name(i)), i);
	assert_null(vios_role_name(VIOS_ROLE_COUNT));
	assert_int_equal(vios_role_index(NULL), -1);
	assert_int_equal(vios_role_bit("youth-work"), VIOS_ROLE_YOUTH_WORK);
	assert_int_equal(vios_role_bit("auditor"), 0);
	assert_string_equal(vios_role_list(), "school, police, youth-protection, social-team, attendance, youth-work,"
			    " municipality, hub, auditor");
	assert_string_equal(vios_theme_list(), "weapons, drugs-use, drugs-trade, alcohol, exploitation, sexting,"
			    " street-culture, polarisation, nuisance, vandalism, crime, other");
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (vios_role_fits_kind(pairs[i].role, pairs[i].kind) != pairs[i].fits)
			fail_msg("pair case %d (%s as %s)", pairs[i].id, pairs[i].role, pairs[i].kind);
}

/* The shape of a theme word (vios_theme_word_valid, the one rule schema
 * 0014/0016 spells as SQL), the base themes' Dutch labels, the one label
 * lookup and the list a refusal names. */
static void test_vocab__theme_words_labels_and_local_themes(void **state)
{
	static const struct {
		int id;
		const char *word;
		int ok;
	} words[] = {
		{ 1, "weapons", 1 },   { 2, "lachgas", 1 },  { 3, "drugs-use", 1 }, { 4, "a1-2", 1 },
		{ 5, "Lachgas", 0 },   { 6, "1gas", 0 },     { 7, "-gas", 0 },      { 8, "", 0 },
		{ 9, "lach gas", 0 },  { 10, "lach_gas", 0 }, { 11, "gás", 0 },     { 12, NULL, 0 },
		{ 13, "abcdefghijklmnopqrstuvwxyzabcdef", 1 }, /* 32 */
		{ 14, "abcdefghijklmnopqrstuvwxyzabcdefg", 0 }, /* 33 */
	};
	vios_theme_set set = { .n = 1 };
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (vios_theme_word_valid(words[i].word) != words[i].ok)
			fail_msg("word case %d (%s)", words[i].id, words[i].word ? words[i].word : "NULL");
	/* every base theme is a theme word with a Dutch label */
	for (int i = 0; i < VIOS_THEME_COUNT; i++) {
		assert_true(vios_theme_word_valid(vios_theme_name(i)));
		assert_non_null(vios_theme_label_nl(i));
		assert_string_equal(vios_theme_label(NULL, vios_theme_name(i)), vios_theme_label_nl(i));
	}
	assert_null(vios_theme_label_nl(VIOS_THEME_COUNT));
	assert_string_equal(vios_theme_label(NULL, "weapons"), "Wapens");
	assert_string_equal(vios_theme_label(NULL, "drugs-trade"), "Drugshandel");
	assert_string_equal(vios_theme_label(NULL, "other"), "Overig");
	/* a local theme: known and labelled through the set only */
	snprintf(set.local[0].name, sizeof(set.local[0].name), "lachgas");
	snprintf(set.local[0].nl, sizeof(set.local[0].nl), "Lachgas (N2O)");
	assert_true(vios_theme_known(&set, "lachgas"));
	assert_true(vios_theme_known(&set, "crime"));
	assert_false(vios_theme_known(NULL, "lachgas"));
	assert_false(vios_theme_valid("lachgas"));
	assert_string_equal(vios_theme_label(&set, "lachgas"), "Lachgas (N2O)");
	assert_string_equal(vios_theme_label(NULL, "lachgas"), "lachgas");
	assert_null(vios_theme_local_find(&set, "weapons"));
	assert_int_equal(vios_theme_list_all(buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, vios_theme_list());
	assert_int_equal(vios_theme_list_all(buf, sizeof(buf), &set), 0);
	assert_string_equal(buf, "weapons, drugs-use, drugs-trade, alcohol, exploitation, sexting, street-culture,"
			    " polarisation, nuisance, vandalism, crime, other, lachgas");
	assert_int_equal(vios_theme_list_all(buf, 10, &set), -1);
	assert_int_equal(vios_theme_list_all(buf, strlen(vios_theme_list()) + 5, &set), -1);
	assert_string_equal(buf, vios_theme_list()); /* the whole names that fit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_node_init__opens_with_its_passphrase_and_same_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_open__rejects_wrong_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_init__refuses_existing_home, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_init__checks_kind_role_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_recover__resets_passphrase_keeps_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_change__old_passphrase_stops_working, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_open__detects_edited_node_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_vault__no_secret_in_plain_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_vault__format_2_records_the_preset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_vault__weak_costs_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_vault__inflated_costs_refused_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_vault__recover_restores_creation_costs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_vault__version_1_read_and_upgraded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_home__wide_modes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enroll__request_verifies_and_tampering_fails, setup, teardown),
		cmocka_unit_test(test_vocab__one_table_round_trips),
		cmocka_unit_test(test_vocab__theme_words_labels_and_local_themes),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("node", tests, NULL, NULL);
}
