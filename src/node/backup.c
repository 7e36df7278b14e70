/*
 * backup.c - the identity backup file; see backup.h and docs/formats.md.
 *
 * The plaintext (one JSON object, keys sorted):
 *
 *   { "format": "vios-identity-backup-2" (format 1, without epoch_keys, is still read),
 *     "written_at": "2026-11-30T14:00:00Z",
 *     "node": { node.json's object, format "vios-node-1" },
 *     "secret_keys": { "ed25519": base64 of the 64-byte Ed25519 secret key
 *                                 (seed || public key) the node signs with,
 *                      "age": "AGE-SECRET-KEY-1..." },
 *     "hub": { "url": ..., "fingerprint": ..., "public_key": ... } | null,
 *     "epoch_keys": [ {"n", "age", "started_at", "ended_at"}, ... ] }
 *
 * "age" is null once the identity's age key (epoch 0) was destroyed.
 *
 * The reader is strict: the format is checked first, no member it does not
 * know, the node object read by node.json's own reader, each secret key
 * canonical and matching its public key.
 *
 * While a document with secrets exists, jansson allocates from
 * sodium_malloc (secret_json_begin/end): every string jansson copies a key
 * into lives there and is wiped when freed. The allocator is switched only
 * between begin and end, and every object made in between is freed before
 * end, so no object is ever freed by another allocator than made it.
 */
#include "node/backup.h"
#include "crypto/age.h"
#include "util/error.h"
#include "util/json.h"
#include "util/util.h"

#include <assert.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ED25519_B64_LEN sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)

static json_malloc_t saved_malloc;
static json_free_t saved_free;

static void secret_json_begin(void)
{
	json_get_alloc_funcs(&saved_malloc, &saved_free);
	json_set_alloc_funcs(sodium_malloc, sodium_free);
}

static void secret_json_end(void)
{
	json_set_alloc_funcs(saved_malloc, saved_free);
}

static int backup_corrupt(const char *what)
{
	vios_error_set(VIOS_ERR_KEYS, "identity backup: %s", what);
	return VIOS_ECORRUPT;
}

/* The document, serialised into sodium memory (*out, *len; sodium_free). */
static int document(char **out, size_t *len, const vios_node *node, const vios_backup_hub *hub)
{
	json_t *doc = NULL, *pub = NULL, *hubo = NULL, *epochs = NULL;
	char *b64 = NULL, *id = NULL, *id2 = NULL, now[21];
	size_t n;
	int error;

	*out = NULL;
	if (node->nepochs > VIOS_BACKUP_EPOCHS_MAX) {
		/* the reader takes at most this many: a file it refuses is no backup */
		vios_error_set(VIOS_ERR_KEYS, "identity backup: this node holds %zu live epoch keys, more than the %d a"
			       " backup carries; let old epochs be destroyed first ('vios status' lists held bundles,"
			       " which keep them)", node->nepochs, VIOS_BACKUP_EPOCHS_MAX);
		return VIOS_ERROR;
	}
	if ((b64 = sodium_malloc(ED25519_B64_LEN)) == NULL || (id = sodium_malloc(VIOS_AGE_IDENTITY_LEN + 1)) == NULL ||
	    (id2 = sodium_malloc(VIOS_AGE_IDENTITY_LEN + 1)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	sodium_bin2base64(b64, ED25519_B64_LEN, node->sign_sec->sk, 64, sodium_base64_VARIANT_ORIGINAL);
	if ((node->age_sk != NULL && (error = vios_node_age_identity(id, VIOS_AGE_IDENTITY_LEN + 1, node)) < 0) ||
	    (error = vios_node_public_json(&pub, node)) < 0)
		goto done;
	if ((epochs = json_array()) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (size_t i = 0; i < node->nepochs; i++) {
		const vios_node_epoch *e = &node->epochs[i];
		if ((error = vios_age_identity_format(id2, VIOS_AGE_IDENTITY_LEN + 1, e->sk)) < 0)
			goto done;
		if (json_array_append_new(epochs, json_pack("{s:I, s:s, s:s, s:o}", "n", (json_int_t)e->n, "age", id2,
							    "started_at", e->started_at, "ended_at",
							    e->ended_at[0] ? json_string(e->ended_at) : json_null())) < 0) {
			error = vios_error_nomem();
			goto done;
		}
	}
	if (hub != NULL && hub->url[0]) {
		hubo = json_pack("{s:s, s:s, s:s}", "url", hub->url, "fingerprint", hub->fingerprint,
				 "public_key", hub->public_key);
		if (hubo == NULL) {
			error = vios_error_nomem();
			goto done;
		}
	} else {
		hubo = json_null();
	}
	vios_now_iso(now);
	/* age null: the identity's age key was destroyed (epoch 0); epoch_keys the live ones */
	doc = json_pack("{s:s, s:s, s:O, s:{s:s, s:o}, s:O, s:O}", "format", VIOS_BACKUP_FORMAT, "written_at", now,
			"node", pub, "secret_keys", "ed25519", b64, "age", node->age_sk ? json_string(id) : json_null(),
			"hub", hubo, "epoch_keys", epochs);
	if (doc == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	n = json_dumpb(doc, NULL, 0, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (n == 0 || (*out = sodium_malloc(n + 1)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if (json_dumpb(doc, *out, n, JSON_INDENT(2) | JSON_SORT_KEYS) != n) {
		sodium_free(*out);
		*out = NULL;
		error = vios_error_nomem();
		goto done;
	}
	(*out)[n] = '\0';
	*len = n;
	error = 0;
done:
	json_decref(doc);
	json_decref(pub);
	json_decref(hubo);
	json_decref(epochs);
	sodium_free(b64);
	sodium_free(id);
	sodium_free(id2);
	return error;
}

int vios_backup_write(const char *path, const vios_node *node, const vios_backup_hub *hub,
		      const vios_secret *pass, int logn, int replace)
{
	char *text = NULL, *ct = NULL;
	size_t len = 0, ctlen = 0;
	int error;

	assert(path != NULL && node != NULL && pass != NULL);
	if (node->sign_sec == NULL || (node->age_sk == NULL && node->nepochs == 0)) {
		vios_error_set(VIOS_ERR_KEYS, "identity backup: the node is not unlocked");
		return VIOS_ERROR;
	}
	secret_json_begin();
	error = document(&text, &len, node, hub);
	secret_json_end();
	if (error < 0)
		goto done;
	/* only ciphertext leaves sodium memory */
	if ((error = vios_age_encrypt_buf_scrypt((uint8_t **)&ct, &ctlen, text, len, pass, logn)) < 0)
		goto done;
	error = vios_file_write_atomic(path, ct, ctlen, 0600, replace);
	if (error == VIOS_EEXISTS)
		vios_error_set(VIOS_ERR_INPUT, "%s exists; use --force to replace it", path);
done:
	free(ct);
	sodium_free(text);
	return error;
}

static int copy_hub_field(char *dst, size_t len, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || strlen(s) >= len)
		return backup_corrupt("hub: a field is missing, not text or too long");
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return backup_corrupt("hub: a field has control characters");
	strcpy(dst, s);
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int iso_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";

	if (s == NULL || strlen(s) != sizeof(pat) - 1)
		return 0;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
			return 0;
	return 1;
}

/* epoch_keys (format 2): [{"n": from 1, ascending, "age": identity, "started_at", "ended_at": time or null (the last only)}]. */
static int epochs_from(vios_node *n, json_t *a)
{
	static const char *const keys[] = { "n", "age", "started_at", "ended_at", NULL };
	size_t i, k = json_array_size(a);
	json_t *e;

	if (!json_is_array(a) || k > VIOS_BACKUP_EPOCHS_MAX)
		return backup_corrupt("epoch_keys must be an array of at most 64 epoch keys");
	if (k && (n->epochs = sodium_malloc(k * sizeof(*n->epochs))) == NULL)
		return vios_error_nomem();
	json_array_foreach(a, i, e) {
		vios_node_epoch *x = &n->epochs[i];
		json_t *num = json_object_get(e, "n"), *end = json_object_get(e, "ended_at");
		const char *age = json_string_value(json_object_get(e, "age")), *st = json_string_value(json_object_get(e, "started_at"));
		if (!json_is_object(e) || vios_json_unknown_key(e, keys) != NULL || json_object_size(e) != 4 ||
		    !json_is_integer(num) || json_integer_value(num) < 1 || json_integer_value(num) > 1000000 ||
		    (i > 0 && json_integer_value(num) <= n->epochs[i - 1].n) || age == NULL || !iso_ok(st) ||
		    !(json_is_null(end) || iso_ok(json_string_value(end))) || (json_is_null(end) && i + 1 != k))
			return backup_corrupt("epoch_keys: each must be {n (ascending from 1), age, started_at, ended_at (null for the last only)}");
		memset(x, 0, sizeof(*x));
		x->n = json_integer_value(num);
		if (vios_age_identity_parse(x->sk, age) < 0)
			return backup_corrupt("epoch_keys: age is not an age identity");
		strcpy(x->started_at, st);
		if (!json_is_null(end))
			strcpy(x->ended_at, json_string_value(end));
		n->nepochs = i + 1;
	}
	return 0;
}

/* Fills n (public fields, sign_sec, age_sk, epochs) and hub from the parsed document. */
static int from_document(vios_node *n, vios_backup_hub *hub, json_t *doc)
{
	static const char *const top[] = { "format", "written_at", "node", "secret_keys", "hub", "epoch_keys", NULL };
	static const char *const keys[] = { "ed25519", "age", NULL };
	static const char *const hubkeys[] = { "url", "fingerprint", "public_key", NULL };
	json_t *sk, *h;
	const char *ed, *age;
	uint8_t *raw = NULL, keyid[8];
	size_t rawlen;
	int error;

	const char *format = json_string_value(json_object_get(doc, "format")) ?: "";
	int v2 = !strcmp(format, VIOS_BACKUP_FORMAT);

	if (!json_is_object(doc) || (!v2 && strcmp(format, VIOS_BACKUP_FORMAT_1) != 0))
		return backup_corrupt("not format " VIOS_BACKUP_FORMAT " (nor " VIOS_BACKUP_FORMAT_1 ")");
	if (vios_json_unknown_key(doc, top) != NULL || (v2 != (json_object_get(doc, "epoch_keys") != NULL)))
		return backup_corrupt("a member it does not know (or no epoch_keys in format 2)");
	if (!json_is_string(json_object_get(doc, "written_at")))
		return backup_corrupt("no written_at");
	if ((error = vios_node_public_parse(n, json_object_get(doc, "node") ?: json_null())) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "node: %s", vios_error_last());
		return backup_corrupt(why);
	}
	sk = json_object_get(doc, "secret_keys");
	if (!json_is_object(sk) || vios_json_unknown_key(sk, keys) != NULL ||
	    (ed = json_string_value(json_object_get(sk, "ed25519"))) == NULL ||
	    ((age = json_string_value(json_object_get(sk, "age"))) == NULL && !(v2 && json_is_null(json_object_get(sk, "age")))))
		return backup_corrupt("secret_keys must hold exactly ed25519 and age (null: destroyed, format 2)");
	if ((raw = sodium_malloc(64)) == NULL || (age != NULL && (n->age_sk = sodium_malloc(32)) == NULL)) {
		sodium_free(raw);
		return vios_error_nomem();
	}
	if (v2 && (error = epochs_from(n, json_object_get(doc, "epoch_keys"))) < 0)
		goto done;
	if (age == NULL && n->nepochs == 0) {
		error = backup_corrupt("no age key at all: the identity's destroyed and no epoch key");
		goto done;
	}
	if (strlen(ed) != ED25519_B64_LEN - 1 ||
	    sodium_base642bin(raw, 64, ed, strlen(ed), NULL, &rawlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    rawlen != 64) {
		error = backup_corrupt("secret_keys.ed25519 is not 64 bytes of base64");
		goto done;
	}
	if (age != NULL && vios_age_identity_parse(n->age_sk, age) < 0) {
		error = backup_corrupt("secret_keys.age is not an age identity");
		goto done;
	}
	vios_keyid_from_pk(keyid, raw + 32);
	if ((error = vios_minisign_sec_from(&n->sign_sec, keyid, raw)) < 0)
		goto done;
	h = json_object_get(doc, "hub");
	memset(hub, 0, sizeof(*hub));
	if (h != NULL && !json_is_null(h)) {
		if (!json_is_object(h) || vios_json_unknown_key(h, hubkeys) != NULL) {
			error = backup_corrupt("hub must be null or hold exactly url, fingerprint and public_key");
			goto done;
		}
		if ((error = copy_hub_field(hub->url, sizeof(hub->url), h, "url")) < 0 ||
		    (error = copy_hub_field(hub->fingerprint, sizeof(hub->fingerprint), h, "fingerprint")) < 0 ||
		    (error = copy_hub_field(hub->public_key, sizeof(hub->public_key), h, "public_key")) < 0)
			goto done;
	}
	error = 0;
done:
	sodium_free(raw);
	return error;
}

int vios_backup_read(vios_node **out, vios_backup_hub *hub, const char *path, const vios_secret *pass)
{
	vios_age_reader *r = NULL;
	vios_node *n = NULL;
	json_t *doc = NULL;
	json_error_t jerr;
	char *text = NULL;
	size_t len = 0;
	FILE *f = NULL;
	uint8_t pk[32];
	int error;

	assert(out != NULL && hub != NULL && path != NULL && pass != NULL);
	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		error = vios_error_os("cannot open the identity backup %s", path);
		goto done;
	}
	if ((error = vios_age_reader_open_scrypt(&r, f, pass)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		if (error == VIOS_EAUTH)
			vios_error_set(VIOS_ERR_KEYS, "wrong passphrase for the identity backup %s", path);
		else
			vios_error_set(VIOS_ERR_KEYS, "identity backup %s: %s", path,
				       error == VIOS_ENOTFOUND ? "not encrypted to a passphrase (no scrypt stanza)" : why);
		goto done;
	}
	if ((text = sodium_malloc(VIOS_BACKUP_MAX + 1)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	for (;;) {
		size_t got;

		if ((error = vios_age_reader_read(r, text + len, VIOS_BACKUP_MAX + 1 - len, &got)) < 0)
			goto done;
		if (got == 0)
			break;
		len += got;
		if (len > VIOS_BACKUP_MAX) {
			error = backup_corrupt("larger than 64 KiB");
			goto done;
		}
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	secret_json_begin();
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	error = doc == NULL ? backup_corrupt("not JSON") : from_document(n, hub, doc);
	json_decref(doc);
	secret_json_end();
	if (error < 0)
		goto done;
	/* the secret keys are the public keys' pairs (a destroyed age key: its pk stands) */
	if (n->age_sk != NULL)
		crypto_scalarmult_base(pk, n->age_sk);
	else
		memcpy(pk, n->age_pk, 32);
	if (sodium_memcmp(pk, n->age_pk, 32) != 0 ||
	    sodium_memcmp(n->sign_sec->sk + 32, n->sign_pub.pk, 32) != 0 ||
	    sodium_memcmp(n->sign_sec->keyid, n->sign_pub.keyid, 8) != 0) {
		error = backup_corrupt("the secret keys do not match the node's public keys");
		goto done;
	}
	error = 0;
done:
	vios_age_reader_free(r);
	if (f != NULL)
		fclose(f);
	sodium_free(text);
	if (error < 0)
		vios_node_free(n);
	else
		*out = n;
	return error;
}
