/*
 * node.c - node homes, the key vault and enrollment requests; see node.h.
 *
 * keys.vault (little-endian, see docs/formats.md):
 *   magic "VIOSVLT1" | u16 version (2) | u16 slot count (2)
 *   | u16 creation preset (1 interactive, 2 moderate, 3 sensitive) | slots
 *   slot: u8 type (1 passphrase, 2 recovery code) | u8 alg (2 = Argon2id13)
 *         | u64 opslimit | u64 memlimit | salt[16] | nonce[24]
 *         | XChaCha20-Poly1305(master[32]) [48]
 *   The associated data of a slot is the file header and the slot's fields
 *   before the nonce, so costs, preset and salts cannot be changed
 *   unnoticed. Costs are bounded before Argon2id runs, and a new slot's
 *   costs come from the preset, never from a slot on disk. Version 1 (no
 *   preset, 12-byte header) is read; passphrase recover upgrades it.
 *
 * identity.sec:
 *   magic "VIOSSEC1" | u16 version (1) | nonce[24] | ciphertext of
 *   keyid[8] | ed25519 sk[64] | x25519 sk[32]  (+16 tag)
 *   key = crypto_kdf subkey 1, context "vios-id_", of the master key;
 *   associated data = magic | version | BLAKE2b-256(node.json).
 */
#include "node/node.h"
#include "crypto/age.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VAULT_MAGIC "VIOSVLT1"
#define SEC_MAGIC "VIOSSEC1"
#define VAULT_VERSION 2 /* costs bounded, creation preset recorded */
#define VAULT_V1 1      /* read; upgraded by passphrase recover */
#define SEC_VERSION 1
#define SLOT_PASS 1
#define SLOT_RECOVERY 2
#define SLOT_HDR 34 /* type, alg, ops, mem, salt */
#define SLOT_LEN (SLOT_HDR + 24 + 48)
#define VAULT_HDR 14    /* magic, version, slot count, preset */
#define VAULT_HDR_V1 12 /* magic, version, slot count */
#define VAULT_LEN (VAULT_HDR + 2 * SLOT_LEN)
#define VAULT_LEN_V1 (VAULT_HDR_V1 + 2 * SLOT_LEN)
#define VAULT_MAX VAULT_LEN
#define SEC_PLAIN (8 + 64 + 32)
#define SEC_LEN (10 + 24 + SEC_PLAIN + 16)
#define RECOVERY_BYTES 20

static int name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > VIOS_NAME_MAX)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

void vios_keyid_from_pk(uint8_t keyid[8], const uint8_t pk[32])
{
	uint8_t h[32];
	crypto_generichash_state st;

	assert(keyid != NULL && pk != NULL);
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)"vios-keyid-v1", 13);
	crypto_generichash_update(&st, pk, 32);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(keyid, h, 8);
}

void vios_fingerprint_from_pk(uint8_t out[VIOS_FINGERPRINT_BYTES], const uint8_t pk[32])
{
	crypto_generichash_state st;

	assert(out != NULL && pk != NULL);
	crypto_generichash_init(&st, NULL, 0, VIOS_FINGERPRINT_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)"vios-fingerprint-v2", 19);
	crypto_generichash_update(&st, pk, 32);
	crypto_generichash_final(&st, out, VIOS_FINGERPRINT_BYTES);
}

void vios_fingerprint_format(char out[VIOS_FINGERPRINT_STRLEN + 1], const uint8_t fp[VIOS_FINGERPRINT_BYTES])
{
	static const char hex[] = "0123456789ABCDEF";
	char *p = out;

	assert(out != NULL && fp != NULL);
	for (int i = 0; i < VIOS_FINGERPRINT_BYTES; i++) {
		if (i > 0 && i % 2 == 0)
			*p++ = '-';
		*p++ = hex[fp[i] >> 4];
		*p++ = hex[fp[i] & 15];
	}
	*p = 0;
	assert(p - out == VIOS_FINGERPRINT_STRLEN);
}

void vios_fingerprint_of_key(char out[VIOS_FINGERPRINT_STRLEN + 1], const uint8_t pk[32])
{
	uint8_t fp[VIOS_FINGERPRINT_BYTES];

	assert(out != NULL && pk != NULL);
	vios_fingerprint_from_pk(fp, pk);
	vios_fingerprint_format(out, fp);
}

void vios_node_fingerprint(char out[VIOS_FINGERPRINT_STRLEN + 1], const vios_node *node)
{
	assert(out != NULL && node != NULL);
	vios_fingerprint_of_key(out, node->sign_pub.pk);
}

int vios_fingerprint_parse(uint8_t out[VIOS_FINGERPRINT_BYTES], const char *text)
{
	vios_minisign_pub pub;
	char hex[2 * VIOS_FINGERPRINT_BYTES + 1], line[128];
	size_t n = 0, len;
	const char *p;

	assert(out != NULL && text != NULL);
	/* the public key line, as minisign prints it (surrounding blanks dropped) */
	while (*text == ' ' || *text == '\t')
		text++;
	len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len > 0 && len < sizeof(line)) {
		memcpy(line, text, len);
		line[len] = 0;
		if (vios_minisign_pub_parse(&pub, line) == 0) {
			vios_fingerprint_from_pk(out, pub.pk);
			return 0;
		}
	}
	/* hex digits, groups separated by '-' or blanks */
	for (p = text; p < text + len; p++) {
		char c = *p;
		if (c == '-' || c == ' ' || c == '\t')
			continue;
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')) || n == sizeof(hex) - 1) {
			n = 0;
			break;
		}
		hex[n++] = c;
	}
	hex[n] = 0;
	if (n == 16) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is an old 16-digit hub fingerprint (a 64-bit key id, too short to pin a hub): "
			       "ask the hub operator for the 32-digit fingerprint 'vios whoami' shows now", text);
		return VIOS_EUSAGE;
	}
	if (n == 2 * VIOS_FINGERPRINT_BYTES && vios_unhex(out, VIOS_FINGERPRINT_BYTES, hex) == 0)
		return 0;
	vios_error_set(VIOS_ERR_INPUT, "'%s' is not a hub fingerprint (32 hex digits in groups of 4, from 'vios whoami' on the hub, or the hub's public key line RW...)", text);
	return VIOS_EUSAGE;
}

static int path_in(char *out, size_t len, const char *home, const char *file)
{
	return vios_snprintf(out, len, "%s/%s", home, file) < 0 ? VIOS_ERROR : 0;
}

/* ---- node.json ---------------------------------------------------------- */

int vios_node_public_json(json_t **out, const vios_node *n)
{
	char pub[VIOS_MINISIGN_PUB_B64LEN + 1], rcpt[VIOS_AGE_RECIPIENT_LEN + 1], fp[VIOS_FINGERPRINT_STRLEN + 1];

	assert(out != NULL && n != NULL);
	*out = NULL;
	if (vios_minisign_pub_format(pub, sizeof(pub), &n->sign_pub) < 0 ||
	    vios_age_recipient_format(rcpt, sizeof(rcpt), n->age_pk) < 0)
		return VIOS_ERROR;
	vios_node_fingerprint(fp, n);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "format", "vios-node-1", "node_id", n->node_id, "kind", n->kind,
			 "name", n->name, "role", n->role, "fingerprint", fp,
			 "minisign_pubkey", pub, "age_recipient", rcpt, "created", n->created);
	return *out == NULL ? vios_error_nomem() : 0;
}

static int node_json(char **out, const vios_node *n)
{
	json_t *o = NULL;
	int error = VIOS_ERROR;

	*out = NULL;
	if ((error = vios_node_public_json(&o, n)) < 0)
		return error;
	if ((*out = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	error = 0;
done:
	json_decref(o);
	return error;
}

static int copy_str(char *dst, size_t len, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || strlen(s) >= len) {
		vios_error_set(VIOS_ERR_INPUT, "field '%s' missing or too long", key);
		return VIOS_ECORRUPT;
	}
	strcpy(dst, s);
	return 0;
}

/* Fills the public fields of n from a node.json or enrollment request object. */
static int public_from_json(vios_node *n, json_t *o)
{
	assert(n != NULL);
	if (!json_is_object(o)) {
		vios_error_set(VIOS_ERR_INPUT, "the node's identity is not a JSON object");
		return VIOS_ECORRUPT;
	}
	char pub[128], rcpt[128];
	uint8_t want[8];

	if (copy_str(n->node_id, sizeof(n->node_id), o, "node_id") < 0 ||
	    copy_str(n->kind, sizeof(n->kind), o, "kind") < 0 ||
	    copy_str(n->name, sizeof(n->name), o, "name") < 0 ||
	    copy_str(n->role, sizeof(n->role), o, "role") < 0 ||
	    copy_str(n->created, sizeof(n->created), o, "created") < 0 ||
	    copy_str(pub, sizeof(pub), o, "minisign_pubkey") < 0 ||
	    copy_str(rcpt, sizeof(rcpt), o, "age_recipient") < 0)
		return VIOS_ECORRUPT;
	if (!vios_uuid_valid(n->node_id)) {
		vios_error_set(VIOS_ERR_INPUT, "node_id is not a UUID");
		return VIOS_ECORRUPT;
	}
	if (!vios_kind_valid(n->kind)) {
		vios_error_set(VIOS_ERR_INPUT, "unknown node kind '%s'", n->kind);
		return VIOS_ECORRUPT;
	}
	if (!vios_role_valid(n->role)) {
		vios_error_set(VIOS_ERR_INPUT, "unknown role '%s'", n->role);
		return VIOS_ECORRUPT;
	}
	if (!name_valid(n->name)) {
		vios_error_set(VIOS_ERR_INPUT, "node name is empty, too long or has control characters");
		return VIOS_ECORRUPT;
	}
	if (vios_minisign_pub_parse(&n->sign_pub, pub) < 0 ||
	    vios_age_recipient_parse(n->age_pk, rcpt) < 0)
		return VIOS_ECORRUPT;
	vios_keyid_from_pk(want, n->sign_pub.pk);
	if (sodium_memcmp(want, n->sign_pub.keyid, 8) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "key id is not derived from the signing key");
		return VIOS_ECORRUPT;
	}
	return 0;
}

int vios_node_public_parse(vios_node *n, json_t *o)
{
	assert(n != NULL && o != NULL);
	if (strcmp(json_string_value(json_object_get(o, "format")) ?: "", "vios-node-1") != 0) {
		vios_error_set(VIOS_ERR_INPUT, "the node's identity is not format vios-node-1");
		return VIOS_ECORRUPT;
	}
	return public_from_json(n, o);
}

/* ---- vault -------------------------------------------------------------- */

/*
 * The costs a slot may carry, checked before any Argon2id runs (nothing is
 * authenticated yet): at least the interactive preset, at most four times
 * the sensitive preset's passes and the sensitive preset's memory. vios
 * writes only preset costs; anything else was written by someone else.
 */
#define OPS_MIN ((uint64_t)VIOS_VAULT_OPS_MIN)
#define OPS_MAX ((uint64_t)VIOS_VAULT_OPS_MAX)
#define MEM_MIN ((uint64_t)VIOS_VAULT_MEM_MIN)
#define MEM_MAX ((uint64_t)VIOS_VAULT_MEM_MAX)
_Static_assert(VIOS_VAULT_OPS_MIN == crypto_pwhash_OPSLIMIT_INTERACTIVE &&
		       VIOS_VAULT_OPS_MAX == 4 * crypto_pwhash_OPSLIMIT_SENSITIVE &&
		       VIOS_VAULT_MEM_MIN == crypto_pwhash_MEMLIMIT_INTERACTIVE &&
		       VIOS_VAULT_MEM_MAX == crypto_pwhash_MEMLIMIT_SENSITIVE,
	       "vault cost bounds follow libsodium's presets");

typedef struct {
	uint8_t b[VAULT_MAX];
	size_t len, hdr; /* file length, header length (14 or 12) */
	int version;     /* VAULT_VERSION or VAULT_V1 */
	int preset;      /* creation preset (version 2); 0 for version 1 */
} vault_t;

static uint8_t *vslot(vault_t *v, int i)
{
	return v->b + v->hdr + (size_t)i * SLOT_LEN;
}

static int slot_key(uint8_t key[32], const uint8_t *secret, size_t len,
		    const uint8_t salt[16], uint64_t ops, uint64_t mem)
{
	if (crypto_pwhash(key, 32, (const char *)secret, len, salt, ops, (size_t)mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		vios_error_set(VIOS_ERR_CRYPTO, "Argon2id failed (out of memory?)");
		return VIOS_ERROR;
	}
	return 0;
}

/* A new version-2 vault's header: magic, version, slot count, preset. */
static void vault_header(vault_t *v, int preset)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->b, VAULT_MAGIC, 8);
	vios_store_le16(v->b + 8, VAULT_VERSION);
	vios_store_le16(v->b + 10, 2);
	vios_store_le16(v->b + 12, (uint16_t)preset);
	v->version = VAULT_VERSION;
	v->hdr = VAULT_HDR;
	v->len = VAULT_LEN;
	v->preset = preset;
}

/* Associated data of slot i: the file header, then the slot's first 34 bytes. */
static size_t slot_ad(uint8_t ad[VAULT_HDR + SLOT_HDR], vault_t *v, int i)
{
	memcpy(ad, v->b, v->hdr);
	memcpy(ad + v->hdr, vslot(v, i), SLOT_HDR);
	return v->hdr + SLOT_HDR;
}

/* Seals master into slot i under secret with the given costs. */
static int slot_seal(vault_t *v, int i, const uint8_t *secret, size_t len, uint64_t ops,
		     uint64_t mem, const uint8_t *master)
{
	uint8_t key[32], ad[VAULT_HDR + SLOT_HDR], *slot = vslot(v, i);
	size_t adlen;
	int error;

	slot[0] = (uint8_t)(i == 0 ? SLOT_PASS : SLOT_RECOVERY);
	slot[1] = 2;
	vios_store_le64(slot + 2, ops);
	vios_store_le64(slot + 10, mem);
	randombytes_buf(slot + 18, 16);
	randombytes_buf(slot + SLOT_HDR, 24);
	if ((error = slot_key(key, secret, len, slot + 18, ops, mem)) < 0)
		return error;
	adlen = slot_ad(ad, v, i);
	crypto_aead_xchacha20poly1305_ietf_encrypt(slot + SLOT_HDR + 24, NULL, master, 32, ad,
						   adlen, NULL, slot + SLOT_HDR, key);
	sodium_memzero(key, sizeof(key));
	return 0;
}

/* Opens slot i; its costs were bounded by slot_check. */
static int slot_open(uint8_t *master, vault_t *v, int i, const uint8_t *secret, size_t len)
{
	uint8_t key[32], ad[VAULT_HDR + SLOT_HDR], *slot = vslot(v, i);
	size_t adlen;
	int error;

	if ((error = slot_key(key, secret, len, slot + 18, vios_load_le64(slot + 2),
			      vios_load_le64(slot + 10))) < 0)
		return error;
	adlen = slot_ad(ad, v, i);
	error = crypto_aead_xchacha20poly1305_ietf_decrypt(master, NULL, NULL, slot + SLOT_HDR + 24,
							   48, ad, adlen, slot + SLOT_HDR, key);
	sodium_memzero(key, sizeof(key));
	return error == 0 ? 0 : VIOS_EAUTH;
}

/* The largest preset whose costs both fit under (ops, mem); 0 if none. */
static int preset_under(uint64_t ops, uint64_t mem)
{
	int best = 0;

	for (int p = VIOS_KDF_INTERACTIVE; p <= VIOS_KDF_SENSITIVE; p++) {
		uint64_t po, pm;
		vios_kdf_preset_limits((vios_kdf_preset)p, &po, &pm);
		if (po <= ops && pm <= mem)
			best = p;
	}
	return best;
}

/* Parses a vault into v, authenticating nothing (docs/formats.md); costs are
 * slot_check's. */
static int vault_parse(vault_t *v, const uint8_t *buf, size_t len)
{
	memset(v, 0, sizeof(*v));
	if (len < VAULT_HDR_V1 || memcmp(buf, VAULT_MAGIC, 8) != 0 || vios_load_le16(buf + 10) != 2) {
		vios_error_set(VIOS_ERR_KEYS, "not a vios key vault");
		return VIOS_ECORRUPT;
	}
	v->version = vios_load_le16(buf + 8);
	if (v->version == VAULT_VERSION && len == VAULT_LEN) {
		v->hdr = VAULT_HDR;
		v->preset = vios_load_le16(buf + 12);
		if (v->preset < VIOS_KDF_INTERACTIVE || v->preset > VIOS_KDF_SENSITIVE) {
			vios_error_set(VIOS_ERR_KEYS, "unknown key derivation preset %d: the vault was tampered with", v->preset);
			return VIOS_ECORRUPT;
		}
	} else if (v->version == VAULT_V1 && len == VAULT_LEN_V1) {
		v->hdr = VAULT_HDR_V1;
	} else {
		vios_error_set(VIOS_ERR_KEYS, "unknown vault version %d or length %zu (from another vios version?)",
			       v->version, len);
		return VIOS_ECORRUPT;
	}
	v->len = len;
	memcpy(v->b, buf, len);
	for (int i = 0; i < 2; i++) {
		const uint8_t *slot = vslot(v, i);
		if (slot[0] != (i == 0 ? SLOT_PASS : SLOT_RECOVERY) || slot[1] != 2) {
			vios_error_set(VIOS_ERR_KEYS, "unknown slot type or algorithm: the vault was tampered with");
			return VIOS_ECORRUPT;
		}
	}
	return 0;
}

/*
 * Slot i's costs lie within the bounds and, in version 2, at or above the
 * recorded preset's: checked before the slot's Argon2id runs.
 */
static int slot_check(vault_t *v, int i)
{
	const uint8_t *slot = vslot(v, i);
	uint64_t ops = vios_load_le64(slot + 2), mem = vios_load_le64(slot + 10), pops = 0, pmem = 0;

	if (v->preset != 0)
		vios_kdf_preset_limits((vios_kdf_preset)v->preset, &pops, &pmem);
	if (ops < OPS_MIN || ops > OPS_MAX || mem < MEM_MIN || mem > MEM_MAX || ops < pops || mem < pmem) {
		vios_error_set(VIOS_ERR_KEYS,
			       "Argon2id costs of the %s slot (%llu passes, %llu KiB) are outside what vios writes: "
			       "the vault was tampered with",
			       i == 0 ? "passphrase" : "recovery code", (unsigned long long)ops,
			       (unsigned long long)(mem >> 10));
		return VIOS_ECORRUPT;
	}
	return 0;
}

int vios_vault_parse(vios_vault_info *out, const uint8_t *buf, size_t len)
{
	vault_t v;
	int error;

	assert(out != NULL && (buf != NULL || len == 0));
	memset(out, 0, sizeof(*out));
	if ((error = vault_parse(&v, buf, len)) == 0 && (error = slot_check(&v, 0)) == 0 &&
	    (error = slot_check(&v, 1)) == 0) {
		out->version = v.version;
		out->preset = v.preset;
		for (int i = 0; i < 2; i++) {
			out->ops[i] = vios_load_le64(vslot(&v, i) + 2);
			out->mem[i] = vios_load_le64(vslot(&v, i) + 10);
		}
	}
	sodium_memzero(&v, sizeof(v));
	return error;
}

/* Reads HOME/keys.vault; the slots in mask `need` (bit i: slot i) must
 * have costs slot_check accepts. */
static int vault_read(vault_t *v, const char *home, int need)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len;
	int error;

	if (path_in(path, sizeof(path), home, "keys.vault") < 0)
		return VIOS_ERROR;
	if ((error = vios_file_read(&buf, &len, path, 4096)) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_KEYS, "%s is not a vios home (no keys.vault); create one with 'vios init'", home);
		else if (error == VIOS_ECORRUPT)
			vios_error_set(VIOS_ERR_KEYS, "key vault %s is damaged (too large)", path);
		return error;
	}
	error = vault_parse(v, buf, len);
	for (int i = 0; i < 2 && error == 0; i++)
		if (need & (1 << i))
			error = slot_check(v, i);
	if (error < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_KEYS, "key vault %s: %s", path, why);
	}
	free(buf);
	return error;
}

static int vault_write(const vault_t *v, const char *home, int replace)
{
	char path[PATH_MAX];

	if (path_in(path, sizeof(path), home, "keys.vault") < 0)
		return VIOS_ERROR;
	return vios_file_write_atomic(path, v->b, v->len, 0600, replace);
}

/* ---- identity.sec ------------------------------------------------------- */

static int sec_ad(uint8_t ad[10 + 32], const char *home)
{
	char path[PATH_MAX];
	uint8_t *json = NULL;
	size_t len;
	int error;

	if (path_in(path, sizeof(path), home, "node.json") < 0)
		return VIOS_ERROR;
	if ((error = vios_file_read(&json, &len, path, 65536)) < 0)
		return error;
	memcpy(ad, SEC_MAGIC, 8);
	vios_store_le16(ad + 8, SEC_VERSION);
	crypto_generichash(ad + 10, 32, json, len, NULL, 0);
	free(json);
	return 0;
}

static int sec_write(const vios_node *n, int replace)
{
	uint8_t key[32], ad[42], file[SEC_LEN], *plain = NULL;
	char path[PATH_MAX];
	int error;

	if ((plain = sodium_malloc(SEC_PLAIN)) == NULL)
		return vios_error_nomem();
	memcpy(plain, n->sign_sec->keyid, 8);
	memcpy(plain + 8, n->sign_sec->sk, 64);
	/* 32 zero bytes: the age key was destroyed (epoch 0, store/epoch.h) */
	if (n->age_sk)
		memcpy(plain + 72, n->age_sk, 32);
	else
		memset(plain + 72, 0, 32);
	if ((error = sec_ad(ad, n->home)) < 0 ||
	    (error = vios_node_subkey(key, n, 1, "vios-id_")) < 0)
		goto done;
	memcpy(file, ad, 10);
	randombytes_buf(file + 10, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + 34, NULL, plain, SEC_PLAIN, ad,
						   sizeof(ad), NULL, file + 10, key);
	if ((error = path_in(path, sizeof(path), n->home, "identity.sec")) < 0)
		goto done;
	error = vios_file_write_atomic(path, file, sizeof(file), 0600, replace);
done:
	sodium_memzero(key, sizeof(key));
	sodium_free(plain);
	return error;
}

/* Reads identity.sec with the subkey of n->master. wrong_key: the message
 * (and VIOS_EAUTH) when it does not open, for a master key that came from
 * elsewhere than the vault (the unlock agent); NULL: it means tampering. */
static int sec_read(vios_node *n, const char *wrong_key)
{
	uint8_t key[32], ad[42], *file = NULL, *plain = NULL, pk[32];
	char path[PATH_MAX];
	size_t len;
	int error;

	if ((error = path_in(path, sizeof(path), n->home, "identity.sec")) < 0 ||
	    (error = vios_file_read(&file, &len, path, 4096)) < 0)
		goto done;
	if (len != SEC_LEN || memcmp(file, SEC_MAGIC, 8) != 0 || vios_load_le16(file + 8) != SEC_VERSION) {
		vios_error_set(VIOS_ERR_KEYS, "%s is damaged or from another vios version", path);
		error = VIOS_ECORRUPT;
		goto done;
	}
	if ((plain = sodium_malloc(SEC_PLAIN)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = sec_ad(ad, n->home)) < 0 || (error = vios_node_subkey(key, n, 1, "vios-id_")) < 0)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, file + 34, SEC_PLAIN + 16,
						       ad, sizeof(ad), file + 10, key) != 0) {
		if (wrong_key != NULL) {
			vios_error_set(VIOS_ERR_KEYS, "%s", wrong_key);
			error = VIOS_EAUTH;
		} else {
			vios_error_set(VIOS_ERR_KEYS, "node keys do not match node.json: the home was tampered with");
			error = VIOS_ECORRUPT;
		}
		goto done;
	}
	if ((error = vios_minisign_sec_from(&n->sign_sec, plain, plain + 8)) < 0)
		goto done;
	if (sodium_is_zero(plain + 72, 32)) {
		/* destroyed (vios_node_age_destroy): age_sk stays NULL */
		memcpy(pk, n->age_pk, 32);
	} else {
		if ((n->age_sk = sodium_malloc(32)) == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		memcpy(n->age_sk, plain + 72, 32);
		crypto_scalarmult_base(pk, n->age_sk);
	}
	if (sodium_memcmp(pk, n->age_pk, 32) != 0 ||
	    sodium_memcmp(n->sign_sec->sk + 32, n->sign_pub.pk, 32) != 0 ||
	    sodium_memcmp(n->sign_sec->keyid, n->sign_pub.keyid, 8) != 0) {
		vios_error_set(VIOS_ERR_KEYS, "node keys do not match node.json: the home was tampered with");
		error = VIOS_ECORRUPT;
		goto done;
	}
	error = 0;
done:
	sodium_memzero(key, sizeof(key));
	sodium_free(plain);
	free(file);
	return error;
}

int vios_node_age_destroy(vios_node *node)
{
	uint8_t *keep;
	int error;

	assert(node != NULL && node->sign_sec != NULL && node->master != NULL);
	if (node->age_sk == NULL)
		return 0;
	keep = node->age_sk;
	node->age_sk = NULL;
	if ((error = sec_write(node, 1)) < 0) {
		node->age_sk = keep;
		return error;
	}
	sodium_free(keep); /* wipes */
	return 0;
}

/* ---- recovery codes ----------------------------------------------------- */

static const char b32[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; /* no I, O, 0, 1 */

static void recovery_format(char *out, const uint8_t bytes[RECOVERY_BYTES])
{
	uint32_t acc = 0;
	int bits = 0, n = 0;

	for (int i = 0; i < RECOVERY_BYTES; i++) {
		acc = (acc << 8) | bytes[i];
		bits += 8;
		while (bits >= 5) {
			if (n > 0 && n % 4 == 0)
				*out++ = '-';
			*out++ = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
			n++;
		}
	}
	*out = 0;
}

/* Normalises a typed recovery code (dashes, spaces, case) into 32 symbols. */
static int recovery_normalise(char out[33], const char *code)
{
	size_t n = 0;

	for (const char *p = code; *p; p++) {
		char c = *p;
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (strchr(b32, c) == NULL || c == 0 || n >= 32)
			goto bad;
		out[n++] = c;
	}
	if (n != 32)
		goto bad;
	out[32] = 0;
	return 0;
bad:
	vios_error_set(VIOS_ERR_INPUT, "that is not a recovery code (8 groups of 4 letters and digits)");
	return VIOS_EUSAGE;
}

/* ---- node lifecycle ----------------------------------------------------- */

/*
 * A home is a directory of ours that nobody else may enter: a home another
 * user owns, or one with group or other permissions, could have had its
 * files swapped or read, so it is refused, not repaired.
 */
static int home_check(const char *home)
{
	struct stat sb;

	if (stat(home, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		return vios_error_os("cannot read %s", home);
	}
	if (!S_ISDIR(sb.st_mode)) {
		vios_error_set(VIOS_ERR_INPUT, "%s is not a directory: not a vios home", home);
		return VIOS_ERROR;
	}
	if (sb.st_uid != geteuid()) {
		vios_error_set(VIOS_ERR_INPUT, "%s belongs to another user (uid %ld): refusing to use it as a vios home",
			       home, (long)sb.st_uid);
		return VIOS_ERROR;
	}
	if ((sb.st_mode & 077) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "%s has mode %04o: a vios home must be 0700 (chmod 700 it if that is right)",
			       home, (unsigned)(sb.st_mode & 07777));
		return VIOS_ERROR;
	}
	return 0;
}

static int node_alloc(vios_node **out, const char *home)
{
	vios_node *n = calloc(1, sizeof(*n));

	*out = NULL;
	if (n == NULL)
		return vios_error_nomem();
	if (vios_snprintf(n->home, sizeof(n->home), "%s", home) < 0) {
		free(n);
		return VIOS_ERROR;
	}
	*out = n;
	return 0;
}

void vios_node_free(vios_node *node)
{
	if (node == NULL)
		return;
	sodium_free(node->master);
	vios_minisign_sec_free(node->sign_sec);
	sodium_free(node->age_sk);
	sodium_free(node->epochs);
	free(node);
}

int vios_node_subkey(uint8_t out[32], const vios_node *node, uint64_t id, const char ctx[8])
{
	assert(out != NULL && node != NULL && ctx != NULL);

	if (node->master == NULL) {
		vios_error_set(VIOS_ERR_KEYS, "node is not unlocked");
		return VIOS_ERROR;
	}
	crypto_kdf_derive_from_key(out, 32, id, ctx, node->master);
	return 0;
}

/*
 * vios_node_init and vios_node_init_from: a new home for a new identity
 * (from NULL) or for the identity from holds (its node id, created time,
 * and both key pairs; kind, name and role are passed in from it).
 */
static int node_create(vios_node **out, char *recovery, const char *home,
		       const char *kind, const char *name, const char *role,
		       const vios_secret *pass, vios_kdf_preset kdf, const vios_node *from)
{
	vios_node *n = NULL;
	vault_t vault;
	uint8_t *rbytes = NULL;
	char path[PATH_MAX], *json = NULL, *code = NULL;
	uint64_t ops, mem;
	int error = VIOS_ERROR, created = 0;

	assert(out != NULL && recovery != NULL && home != NULL && name != NULL && pass != NULL);
	*out = NULL;
	if (!vios_kind_valid(kind)) {
		vios_error_set(VIOS_ERR_INPUT, "unknown kind '%s' (use %s)", kind, vios_kind_list());
		return VIOS_EUSAGE;
	}
	if (role == NULL) {
		if (vios_kind_index(kind) == VIOS_KIND_PARTNER) {
			vios_error_set(VIOS_ERR_INPUT, "a partner node needs --role (%s)", vios_role_partner_list());
			return VIOS_EUSAGE;
		}
		role = kind;
	}
	if (!vios_role_valid(role)) {
		vios_error_set(VIOS_ERR_INPUT, "unknown role '%s' (roles: %s)", role, vios_role_list());
		return VIOS_EUSAGE;
	}
	if (!vios_role_fits_kind(role, kind)) {
		vios_error_set(VIOS_ERR_INPUT, "role '%s' does not go with kind '%s'", role, kind);
		return VIOS_EUSAGE;
	}
	if (!name_valid(name)) {
		vios_error_set(VIOS_ERR_INPUT, "--name must be 1 to %d characters without control characters", VIOS_NAME_MAX);
		return VIOS_EUSAGE;
	}
	if (pass->len < VIOS_PASSPHRASE_MIN) {
		vios_error_set(VIOS_ERR_INPUT, "the passphrase must have at least %d characters", VIOS_PASSPHRASE_MIN);
		return VIOS_EUSAGE;
	}
	if (kdf < VIOS_KDF_INTERACTIVE || kdf > VIOS_KDF_SENSITIVE) {
		vios_error_set(VIOS_ERR_INPUT, "unknown key derivation preset %d", (int)kdf);
		return VIOS_EUSAGE;
	}
	if (!vios_dir_empty_or_absent(home)) {
		vios_error_set(VIOS_ERR_INPUT, "%s exists and is not empty; refusing to overwrite it", home);
		return VIOS_EEXISTS;
	}
	if ((error = home_check(home)) < 0)
		return error;
	if ((error = node_alloc(&n, home)) < 0)
		return error;
	if (mkdir(home, 0700) < 0 && errno != EEXIST) {
		error = vios_error_os("cannot create %s", home);
		goto done;
	}
	created = 1;
	if ((error = home_check(home)) < 0) /* made meanwhile by someone else */
		goto done;
	if (from != NULL) {
		strcpy(n->node_id, from->node_id);
		strcpy(n->created, from->created);
	} else {
		vios_uuid7(n->node_id);
		vios_now_iso(n->created);
	}
	strcpy(n->kind, kind);
	strcpy(n->role, role);
	strcpy(n->name, name);

	if ((n->master = sodium_malloc(32)) == NULL ||
	    ((from == NULL || from->age_sk != NULL) && (n->age_sk = sodium_malloc(32)) == NULL) ||
	    (from != NULL && from->nepochs > 0 && (n->epochs = sodium_malloc(from->nepochs * sizeof(*n->epochs))) == NULL) ||
	    (rbytes = sodium_malloc(RECOVERY_BYTES)) == NULL || (code = sodium_malloc(64)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	randombytes_buf(n->master, 32);
	if (from != NULL) {
		if (from->age_sk != NULL)
			memcpy(n->age_sk, from->age_sk, 32);
		memcpy(n->age_pk, from->age_pk, 32);
		if (from->nepochs > 0) {
			memcpy(n->epochs, from->epochs, from->nepochs * sizeof(*n->epochs));
			n->nepochs = from->nepochs;
		}
		n->sign_pub = from->sign_pub;
		if ((error = vios_minisign_sec_from(&n->sign_sec, from->sign_sec->keyid, from->sign_sec->sk)) < 0)
			goto done;
	} else {
		randombytes_buf(n->age_sk, 32);
		crypto_scalarmult_base(n->age_pk, n->age_sk);
	}
	if (from == NULL) {
		vios_minisign_sec *tmp = NULL;
		uint8_t keyid[8];
		if ((error = vios_minisign_keygen(&tmp, &n->sign_pub)) < 0)
			goto done;
		vios_keyid_from_pk(keyid, n->sign_pub.pk);
		error = vios_minisign_sec_from(&n->sign_sec, keyid, tmp->sk);
		vios_minisign_sec_free(tmp);
		if (error < 0)
			goto done;
		memcpy(n->sign_pub.keyid, keyid, 8);
	}

	randombytes_buf(rbytes, RECOVERY_BYTES);
	recovery_format(code, rbytes);
	vios_kdf_preset_limits(kdf, &ops, &mem);
	vault_header(&vault, kdf);
	{
		char norm[33];
		if ((error = recovery_normalise(norm, code)) < 0 ||
		    (error = slot_seal(&vault, 0, pass->buf, pass->len, ops, mem, n->master)) < 0 ||
		    (error = slot_seal(&vault, 1, (uint8_t *)norm, 32, ops, mem, n->master)) < 0) {
			sodium_memzero(norm, sizeof(norm));
			goto done;
		}
		sodium_memzero(norm, sizeof(norm));
	}
	n->kdf_preset = kdf;
	if ((error = node_json(&json, n)) < 0 ||
	    (error = path_in(path, sizeof(path), home, "node.json")) < 0 ||
	    (error = vios_file_write_atomic(path, json, strlen(json), 0644, 0)) < 0 ||
	    (error = sec_write(n, 0)) < 0 ||
	    (error = vault_write(&vault, home, 0)) < 0)
		goto done;
	n->fresh = 1;
	memcpy(recovery, code, VIOS_RECOVERY_LEN + 1);
	error = 0;
done:
	sodium_memzero(&vault, sizeof(vault));
	sodium_free(rbytes);
	sodium_free(code);
	free(json);
	if (error < 0) {
		if (created)
			vios_rm_rf(home);
		vios_node_free(n);
	} else
		*out = n;
	return error;
}

int vios_node_init(vios_node **out, char *recovery, const char *home,
		   const char *kind, const char *name, const char *role,
		   const vios_secret *pass, vios_kdf_preset kdf)
{
	return node_create(out, recovery, home, kind, name, role, pass, kdf, NULL);
}

int vios_node_init_from(vios_node **out, char *recovery, const char *home, const vios_node *from,
			const vios_secret *pass, vios_kdf_preset kdf)
{
	uint8_t pk[32];

	assert(out != NULL && recovery != NULL && home != NULL && from != NULL && pass != NULL);
	*out = NULL;
	if (from->sign_sec == NULL || (from->age_sk == NULL && from->nepochs == 0) || !vios_uuid_valid(from->node_id)) {
		vios_error_set(VIOS_ERR_KEYS, "the identity to restore has no secret keys or no node id");
		return VIOS_ERROR;
	}
	/* the key pairs must be pairs: a restore must not make a node that cannot sign */
	if (from->age_sk != NULL)
		crypto_scalarmult_base(pk, from->age_sk);
	else
		memcpy(pk, from->age_pk, 32); /* destroyed (epoch 0): its epoch keys read */
	if (sodium_memcmp(pk, from->age_pk, 32) != 0 ||
	    sodium_memcmp(from->sign_sec->sk + 32, from->sign_pub.pk, 32) != 0 ||
	    sodium_memcmp(from->sign_sec->keyid, from->sign_pub.keyid, 8) != 0) {
		vios_error_set(VIOS_ERR_KEYS, "the identity's secret keys do not match its public keys");
		return VIOS_ECORRUPT;
	}
	return node_create(out, recovery, home, from->kind, from->name, from->role, pass, kdf, from);
}

int vios_node_open_public(vios_node **out, const char *home)
{
	vios_node *n = NULL;
	char path[PATH_MAX];
	json_t *o = NULL;
	json_error_t jerr;
	int error;

	assert(out != NULL && home != NULL);
	*out = NULL;
	if ((error = node_alloc(&n, home)) < 0)
		return error;
	if ((error = path_in(path, sizeof(path), home, "node.json")) < 0)
		goto done;
	if (vios_path_exists(home) && (error = home_check(home)) < 0)
		goto done;
	if (!vios_path_exists(path)) {
		vios_error_set(VIOS_ERR_KEYS, "%s is not a vios home (no node.json); create one with 'vios init'", home);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	if ((o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(o) ||
	    strcmp(json_string_value(json_object_get(o, "format")) ?: "", "vios-node-1") != 0) {
		vios_error_set(VIOS_ERR_KEYS, "%s is damaged or from another vios version", path);
		error = VIOS_ECORRUPT;
		goto done;
	}
	if ((error = public_from_json(n, o)) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_KEYS, "%s: %s", path, why);
		goto done;
	}
	error = 0;
done:
	json_decref(o);
	if (error < 0)
		vios_node_free(n);
	else
		*out = n;
	return error;
}

int vios_node_open(vios_node **out, const char *home, const vios_secret *pass)
{
	vios_node *n = NULL;
	vault_t vault;
	int error;

	assert(out != NULL && home != NULL && pass != NULL);
	*out = NULL;
	if ((error = vios_node_open_public(&n, home)) < 0)
		return error;
	if ((error = vault_read(&vault, home, 3)) < 0)
		goto done;
	if ((n->master = sodium_malloc(32)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = slot_open(n->master, &vault, 0, pass->buf, pass->len)) < 0) {
		if (error == VIOS_EAUTH)
			vios_error_set(VIOS_ERR_KEYS, "wrong passphrase for %s (forgotten? use 'vios passphrase recover')", home);
		goto done;
	}
	/* authenticated now: the header (and so the preset) is the slot's AD */
	n->kdf_preset = vault.preset;
	error = sec_read(n, NULL);
done:
	sodium_memzero(&vault, sizeof(vault));
	if (error < 0)
		vios_node_free(n);
	else
		*out = n;
	return error;
}

int vios_node_open_key(vios_node **out, const char *home, const uint8_t key[32], int kdf_preset)
{
	vios_node *n = NULL;
	char msg[PATH_MAX + 128];
	int error;

	assert(out != NULL && home != NULL && key != NULL);
	*out = NULL;
	if (kdf_preset < 0 || kdf_preset > VIOS_KDF_SENSITIVE) {
		vios_error_set(VIOS_ERR_KEYS, "unknown key derivation preset %d", kdf_preset);
		return VIOS_ECORRUPT;
	}
	if ((error = vios_node_open_public(&n, home)) < 0)
		return error;
	if ((n->master = sodium_malloc(32)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	memcpy(n->master, key, 32);
	n->kdf_preset = kdf_preset;
	if ((error = vios_snprintf(msg, sizeof(msg), "the unlock agent's key does not open %s: run 'vios lock', "
				   "then 'vios unlock'", home)) < 0)
		goto done;
	error = sec_read(n, msg);
done:
	if (error < 0)
		vios_node_free(n);
	else
		*out = n;
	return error;
}

static int newpass_check(const vios_secret *newpass)
{
	if (newpass->len < VIOS_PASSPHRASE_MIN) {
		vios_error_set(VIOS_ERR_INPUT, "the new passphrase must have at least %d characters", VIOS_PASSPHRASE_MIN);
		return VIOS_EUSAGE;
	}
	return 0;
}

/*
 * Rewraps the passphrase slot. Its costs come from the node's creation
 * preset (authenticated when the node was opened), never from the slot on
 * disk. A version-1 vault (no preset) keeps its format: the new slot takes
 * the larger of the two slots' costs, each already at least interactive.
 */
int vios_node_passphrase_change(vios_node *node, const vios_secret *newpass)
{
	vault_t disk, nv;
	uint64_t ops, mem;
	int error;

	assert(node != NULL && newpass != NULL);
	if (node->master == NULL) {
		vios_error_set(VIOS_ERR_KEYS, "node is not unlocked");
		return VIOS_ERROR;
	}
	/* a version-1 change takes costs from both slots: both must be sound */
	if ((error = newpass_check(newpass)) < 0 ||
	    (error = vault_read(&disk, node->home, node->kdf_preset != 0 ? 0 : 3)) < 0)
		return error;
	if ((disk.version == VAULT_VERSION) != (node->kdf_preset != 0)) {
		vios_error_set(VIOS_ERR_KEYS, "key vault of %s changed since it was opened; nothing was changed", node->home);
		error = VIOS_ECORRUPT;
		goto done;
	}
	if (node->kdf_preset != 0) {
		vault_header(&nv, node->kdf_preset);
		memcpy(vslot(&nv, 1), vslot(&disk, 1), SLOT_LEN);
		vios_kdf_preset_limits((vios_kdf_preset)node->kdf_preset, &ops, &mem);
	} else {
		nv = disk;
		ops = vios_load_le64(vslot(&disk, 0) + 2);
		mem = vios_load_le64(vslot(&disk, 0) + 10);
		if (vios_load_le64(vslot(&disk, 1) + 2) > ops)
			ops = vios_load_le64(vslot(&disk, 1) + 2);
		if (vios_load_le64(vslot(&disk, 1) + 10) > mem)
			mem = vios_load_le64(vslot(&disk, 1) + 10);
	}
	if ((error = slot_seal(&nv, 0, newpass->buf, newpass->len, ops, mem, node->master)) == 0)
		error = vault_write(&nv, node->home, 1);
done:
	sodium_memzero(&disk, sizeof(disk));
	sodium_memzero(&nv, sizeof(nv));
	return error;
}

/*
 * Opens the recovery slot (authenticating the header, and so the creation
 * preset), then seals a new passphrase slot with the preset's costs. A
 * version-1 vault is upgraded: its preset is the largest one under the
 * recovery slot's authenticated costs, and both slots are sealed anew.
 */
int vios_node_passphrase_recover(const char *home, const char *code, const vios_secret *newpass)
{
	vios_node *n = NULL;
	vault_t disk, nv;
	char norm[33];
	uint64_t ops, mem;
	int error, preset;

	assert(home != NULL && code != NULL && newpass != NULL);
	if ((error = recovery_normalise(norm, code)) < 0)
		return error;
	if ((error = newpass_check(newpass)) < 0 || (error = vios_node_open_public(&n, home)) < 0 ||
	    (error = vault_read(&disk, home, 2)) < 0) /* the passphrase slot is replaced */
		goto done;
	if ((n->master = sodium_malloc(32)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = slot_open(n->master, &disk, 1, (uint8_t *)norm, 32)) < 0) {
		if (error == VIOS_EAUTH)
			vios_error_set(VIOS_ERR_KEYS, "wrong recovery code for %s", home);
		goto done;
	}
	/* Prove the master key really opens this node's keys before rewrapping. */
	if ((error = sec_read(n, NULL)) < 0)
		goto done;
	preset = disk.preset != 0 ? disk.preset
				  : preset_under(vios_load_le64(vslot(&disk, 1) + 2), vios_load_le64(vslot(&disk, 1) + 10));
	vios_kdf_preset_limits((vios_kdf_preset)preset, &ops, &mem);
	vault_header(&nv, preset);
	if (disk.version == VAULT_VERSION)
		memcpy(vslot(&nv, 1), vslot(&disk, 1), SLOT_LEN);
	else if ((error = slot_seal(&nv, 1, (uint8_t *)norm, 32, ops, mem, n->master)) < 0)
		goto done;
	if ((error = slot_seal(&nv, 0, newpass->buf, newpass->len, ops, mem, n->master)) == 0)
		error = vault_write(&nv, home, 1);
done:
	sodium_memzero(norm, sizeof(norm));
	sodium_memzero(&disk, sizeof(disk));
	sodium_memzero(&nv, sizeof(nv));
	vios_node_free(n);
	return error;
}

int vios_node_age_identity(char *out, size_t outlen, const vios_node *node)
{
	assert(out != NULL && node != NULL);

	if (node->age_sk == NULL && node->sign_sec != NULL) {
		vios_error_set(VIOS_ERR_KEYS, "the identity's age key (epoch 0) was destroyed: see 'vios keys list'");
		return VIOS_ENOTFOUND;
	}
	if (node->age_sk == NULL) {
		vios_error_set(VIOS_ERR_KEYS, "node is not unlocked");
		return VIOS_ERROR;
	}
	return vios_age_identity_format(out, outlen, node->age_sk);
}

/* ---- enrollment requests ----------------------------------------------- */

#define ENROLL_MAX 65536

static json_t *request_object(const vios_node *n)
{
	char pub[VIOS_MINISIGN_PUB_B64LEN + 1], rcpt[VIOS_AGE_RECIPIENT_LEN + 1];

	if (vios_minisign_pub_format(pub, sizeof(pub), &n->sign_pub) < 0 ||
	    vios_age_recipient_format(rcpt, sizeof(rcpt), n->age_pk) < 0)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "format", "vios-enrollment-request-1", "node_id", n->node_id,
			 "kind", n->kind, "name", n->name, "role", n->role,
			 "minisign_pubkey", pub, "age_recipient", rcpt, "created", n->created);
}

int vios_node_enroll_request(char **out, const vios_node *node)
{
	json_t *req = NULL, *doc = NULL;
	char *canon = NULL, *sig = NULL, trusted[128];
	int error = VIOS_ERROR;

	assert(out != NULL && node != NULL);
	*out = NULL;
	if (node->sign_sec == NULL) {
		vios_error_set(VIOS_ERR_KEYS, "node is not unlocked");
		return VIOS_ERROR;
	}
	if ((req = request_object(node)) == NULL ||
	    (canon = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = vios_snprintf(trusted, sizeof(trusted), "vios enrollment request node=%s", node->node_id)) < 0 ||
	    (error = vios_minisign_sign(&sig, node->sign_sec, (uint8_t *)canon, strlen(canon), trusted,
					"vios enrollment request")) < 0)
		goto done;
	if ((doc = json_pack("{s:O, s:s}", "request", req, "signature", sig)) == NULL ||
	    (*out = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	error = 0;
done:
	json_decref(req);
	json_decref(doc);
	free(canon);
	free(sig);
	return error;
}

int vios_enroll_request_verify(vios_enroll_info *out, const char *text, size_t len)
{
	json_t *doc = NULL, *req;
	json_error_t jerr;
	vios_node tmp;
	char *canon = NULL, *trusted = NULL, want[128];
	const char *sig;
	int error = VIOS_ECORRUPT;

	assert(out != NULL && (text != NULL || len == 0));
	memset(&tmp, 0, sizeof(tmp));
	if (len > ENROLL_MAX) {
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: larger than %d bytes", ENROLL_MAX);
		return VIOS_ECORRUPT;
	}
	if ((doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: not valid JSON (line %d: %s)", jerr.line, jerr.text);
		goto done;
	}
	req = json_object_get(doc, "request");
	sig = json_string_value(json_object_get(doc, "signature"));
	if (!json_is_object(req)) {
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: no \"request\" object");
		goto done;
	}
	if (sig == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: it is not signed");
		goto done;
	}
	if (json_object_size(doc) != 2) {
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: unexpected fields beside \"request\" and \"signature\"");
		goto done;
	}
	if (strcmp(json_string_value(json_object_get(req, "format")) ?: "", "vios-enrollment-request-1") != 0 ||
	    json_object_size(req) != 8) {
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: unknown format or unexpected fields");
		goto done;
	}
	if ((error = public_from_json(&tmp, req)) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: %s", why);
		goto done;
	}
	if ((canon = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = vios_minisign_verify(&trusted, &tmp.sign_pub, (uint8_t *)canon, strlen(canon),
					  sig, strlen(sig))) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: not signed by the key it names (%s)", why);
		goto done;
	}
	snprintf(want, sizeof(want), "vios enrollment request node=%s", tmp.node_id);
	if (strcmp(trusted, want) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "enrollment request: the signed comment names another node");
		error = VIOS_EVERIFY;
		goto done;
	}
	memcpy(out->node_id, tmp.node_id, sizeof(out->node_id));
	memcpy(out->kind, tmp.kind, sizeof(out->kind));
	memcpy(out->name, tmp.name, sizeof(out->name));
	memcpy(out->role, tmp.role, sizeof(out->role));
	memcpy(out->created, tmp.created, sizeof(out->created));
	out->sign_pub = tmp.sign_pub;
	memcpy(out->age_pk, tmp.age_pk, 32);
	error = 0;
done:
	json_decref(doc);
	free(canon);
	free(trusted);
	return error;
}
