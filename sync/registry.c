/*
 * registry.c - see registry.h. The covenant (its formats, the default and its
 * rendering) lives in covenant.c.
 */
#include "sync/registry.h"
#include "sync/git.h"
#include "crypto/age.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FILE_MAX (1 << 20)

int vios_registry_time_parse(long long *out, const char *iso)
{
	struct tm tm;
	const char *end;
	char back[21];
	time_t t;

	assert(out != NULL);
	memset(&tm, 0, sizeof(tm));
	if (iso == NULL || strlen(iso) != 20 || (end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end ||
	    (t = timegm(&tm)) == (time_t)-1)
		return VIOS_ECORRUPT;
	vios_time_format(back, (long long)t);
	if (strcmp(back, iso) != 0)
		return VIOS_ECORRUPT; /* not canonical (a 61st second, a 30th of February) */
	*out = (long long)t;
	return 0;
}

/* ---- node entries -------------------------------------------------------- */

char *vios_registry_node_format(const vios_reg_node *n)
{
	char pub[VIOS_MINISIGN_PUB_B64LEN + 1], rcpt[VIOS_AGE_RECIPIENT_LEN + 1];
	json_t *o;
	char *s;

	assert(n != NULL);
	if (vios_minisign_pub_format(pub, sizeof(pub), &n->sign_pub) < 0 ||
	    vios_age_recipient_format(rcpt, sizeof(rcpt), n->age_pk) < 0)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
		      "format", "vios-registry-node-1", "node_id", n->node_id, "kind", n->kind,
		      "role", n->role, "name", n->name, "minisign_pubkey", pub, "age_recipient", rcpt,
		      "enrolled_at", n->enrolled_at,
		      "revoked_at", n->revoked_at[0] ? json_string(n->revoked_at) : json_null(),
		      "last_seq", n->revoked_at[0] ? json_integer(n->last_seq) : json_null());
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static int str_field(char *dst, size_t len, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	assert(dst != NULL && len > 0 && key != NULL);
	if (s == NULL || strlen(s) >= len)
		return -1;
	strcpy(dst, s);
	return 0;
}

int vios_registry_node_parse(vios_reg_node *out, const char *text, size_t len, const char *path)
{
	json_t *o = NULL, *v;
	json_error_t jerr;
	char pub[128], rcpt[128];
	uint8_t want[8];
	int error = VIOS_ECORRUPT;

	assert(out != NULL && (text != NULL || len == 0) && path != NULL);
	memset(out, 0, sizeof(*out));
	out->last_seq = -1;
	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(o) ||
	    strcmp(json_string_value(json_object_get(o, "format")) ?: "", "vios-registry-node-1") != 0 ||
	    json_object_size(o) != 10 ||
	    str_field(out->node_id, sizeof(out->node_id), o, "node_id") < 0 ||
	    str_field(out->kind, sizeof(out->kind), o, "kind") < 0 ||
	    str_field(out->role, sizeof(out->role), o, "role") < 0 ||
	    str_field(out->name, sizeof(out->name), o, "name") < 0 ||
	    str_field(out->enrolled_at, sizeof(out->enrolled_at), o, "enrolled_at") < 0 ||
	    str_field(pub, sizeof(pub), o, "minisign_pubkey") < 0 ||
	    str_field(rcpt, sizeof(rcpt), o, "age_recipient") < 0) {
		vios_error_set(VIOS_ERR_INPUT, "registry: %s is not a well-formed node entry", path);
		goto done;
	}
	v = json_object_get(o, "revoked_at");
	if (json_is_string(v)) {
		/* revoked: a time and the last seq accepted (0 or more); an empty
		 * time or a negative seq would read as "not revoked" elsewhere */
		if (str_field(out->revoked_at, sizeof(out->revoked_at), o, "revoked_at") < 0 ||
		    out->revoked_at[0] == '\0' || !json_is_integer(json_object_get(o, "last_seq")) ||
		    json_integer_value(json_object_get(o, "last_seq")) < 0) {
			vios_error_set(VIOS_ERR_INPUT, "registry: %s has a malformed revocation", path);
			goto done;
		}
		out->last_seq = json_integer_value(json_object_get(o, "last_seq"));
	} else if (!json_is_null(v) || !json_is_null(json_object_get(o, "last_seq"))) {
		vios_error_set(VIOS_ERR_INPUT, "registry: %s has a malformed revocation", path);
		goto done;
	}
	if (!vios_uuid_valid(out->node_id) || !vios_kind_valid(out->kind) || !vios_role_valid(out->role)) {
		vios_error_set(VIOS_ERR_INPUT, "registry: %s names an unknown kind or role, or a bad node id", path);
		goto done;
	}
	if (vios_minisign_pub_parse(&out->sign_pub, pub) < 0 || vios_age_recipient_parse(out->age_pk, rcpt) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "registry: %s has a malformed key", path);
		goto done;
	}
	vios_keyid_from_pk(want, out->sign_pub.pk);
	if (sodium_memcmp(want, out->sign_pub.keyid, 8) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "registry: %s has a key id that is not its key's", path);
		goto done;
	}
	error = 0;
done:
	json_decref(o);
	return error;
}

/* ---- load and verify ---------------------------------------------------- */

void vios_registry_free(vios_registry *reg)
{
	if (reg == NULL)
		return;
	free(reg->nodes);
	vios_covenant_dispose(&reg->covenant);
	free(reg);
}

const vios_reg_node *vios_registry_find(const vios_registry *reg, const char *node_id)
{
	assert(reg != NULL && node_id != NULL);

	for (size_t i = 0; i < reg->n; i++)
		if (!strcmp(reg->nodes[i].node_id, node_id))
			return &reg->nodes[i];
	return NULL;
}


/* Reads path and path.minisig at commit and verifies the signature by root. */
static int read_signed(uint8_t **out, size_t *len, git_repository *repo, const git_oid *commit,
		       const char *path, const vios_minisign_pub *root)
{
	char sigpath[512], *trusted = NULL;
	uint8_t *sig = NULL;
	size_t siglen;
	int error;

	assert(out != NULL && len != NULL && repo != NULL && commit != NULL && path != NULL && root != NULL);
	*out = NULL;
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", path);
	if ((error = vios_git_read_blob(out, len, repo, commit, path, FILE_MAX)) < 0 ||
	    (error = vios_git_read_blob(&sig, &siglen, repo, commit, sigpath, 16384)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_INPUT, "registry: %s", why);
		error = VIOS_EVERIFY;
		goto done;
	}
	if ((error = vios_minisign_verify(&trusted, root, *out, *len, (char *)sig, siglen)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		vios_error_set(VIOS_ERR_INPUT, "registry: %s is not signed by the hub root key (%s)", path, why);
		error = VIOS_EVERIFY;
		goto done;
	}
done:
	free(trusted);
	free(sig);
	if (error < 0) {
		free(*out);
		*out = NULL;
	}
	return error;
}

int vios_registry_load(vios_registry **out, git_repository *repo, const git_oid *commit,
		       const uint8_t pin[VIOS_FINGERPRINT_BYTES])
{
	vios_registry *reg = NULL;
	uint8_t *pubtext = NULL, *man = NULL, *data = NULL, want[8], fp[VIOS_FINGERPRINT_BYTES];
	long long signed_at, expires;
	char **files = NULL, hex[65];
	size_t nfiles = 0, len, i;
	json_t *mo = NULL, *listed, *v;
	json_error_t jerr;
	const char *key;
	int error = VIOS_EVERIFY;

	assert(out != NULL && repo != NULL && commit != NULL && pin != NULL);
	*out = NULL;
	if ((reg = calloc(1, sizeof(*reg))) == NULL)
		return vios_error_nomem();
	git_oid_cpy(&reg->commit, commit);
	if ((error = vios_git_read_blob(&pubtext, &len, repo, commit, "registry/hub.pub", 4096)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "%s", vios_error_last());
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "registry: no registry/hub.pub: this is not a vios hub");
		else
			vios_error_set(VIOS_ERR_INPUT, "registry: %s", why);
		error = VIOS_EVERIFY;
		goto done;
	}
	if (vios_minisign_pub_parse(&reg->root, (char *)pubtext) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "registry: registry/hub.pub is not a minisign public key");
		error = VIOS_EVERIFY;
		goto done;
	}
	vios_keyid_from_pk(want, reg->root.pk);
	vios_fingerprint_from_pk(fp, reg->root.pk);
	if (sodium_memcmp(want, reg->root.keyid, 8) != 0 || sodium_memcmp(fp, pin, VIOS_FINGERPRINT_BYTES) != 0) {
		char got[VIOS_FINGERPRINT_STRLEN + 1], pinned[VIOS_FINGERPRINT_STRLEN + 1];
		vios_fingerprint_format(got, fp);
		vios_fingerprint_format(pinned, pin);
		vios_error_set(VIOS_ERR_INPUT, "registry: the hub key is %s, not the pinned fingerprint %s: refusing it", got, pinned);
		error = VIOS_EVERIFY;
		goto done;
	}
	if ((error = read_signed(&man, &len, repo, commit, "registry/manifest.json", &reg->root)) < 0)
		goto done;
	error = VIOS_EVERIFY;
	if ((mo = json_loadb((char *)man, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(mo)) {
		vios_error_set(VIOS_ERR_INPUT, "registry: the manifest is malformed");
		goto done;
	}
	if (!strcmp(json_string_value(json_object_get(mo, "format")) ?: "", "vios-registry-1")) {
		vios_error_set(VIOS_ERR_INPUT, "registry: the manifest is format vios-registry-1 (a 64-bit fingerprint, no expiry): "
			       "this vios reads vios-registry-2; the hub must be made again with this version");
		goto done;
	}
	if (strcmp(json_string_value(json_object_get(mo, "format")) ?: "", "vios-registry-2") != 0 ||
	    json_object_size(mo) != 6 || !json_is_integer(json_object_get(mo, "version")) ||
	    json_integer_value(json_object_get(mo, "version")) < 1 ||
	    !json_is_object(listed = json_object_get(mo, "files")) ||
	    str_field(reg->updated_at, sizeof(reg->updated_at), mo, "updated_at") < 0 ||
	    str_field(reg->expires_at, sizeof(reg->expires_at), mo, "expires_at") < 0 ||
	    vios_registry_time_parse(&signed_at, reg->updated_at) < 0 ||
	    vios_registry_time_parse(&expires, reg->expires_at) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "registry: the manifest is malformed");
		goto done;
	}
	{
		char fphex[VIOS_FINGERPRINT_STRLEN + 1];
		vios_fingerprint_format(fphex, fp);
		if (strcmp(json_string_value(json_object_get(mo, "hub_fingerprint")) ?: "", fphex) != 0) {
			vios_error_set(VIOS_ERR_INPUT, "registry: the manifest's hub_fingerprint is not its key's (%s)", fphex);
			goto done;
		}
	}
	if (expires <= signed_at || expires - signed_at > (long long)VIOS_REGISTRY_VALID_MAX * 86400) {
		vios_error_set(VIOS_ERR_INPUT, "registry: the manifest expires at %s, not within %d days after it was signed (%s)",
			       reg->expires_at, VIOS_REGISTRY_VALID_MAX, reg->updated_at);
		goto done;
	}
	reg->version = json_integer_value(json_object_get(mo, "version"));
	/* Every file in the tree is the manifest, a listed file, or a signature of one. */
	if ((error = vios_git_list(&files, &nfiles, repo, commit)) < 0)
		goto done;
	error = VIOS_EVERIFY;
	for (i = 0; i < nfiles; i++) {
		char base[512];
		size_t fl = strlen(files[i]);
		if (!strcmp(files[i], "registry/manifest.json") || !strcmp(files[i], "registry/manifest.json.minisig"))
			continue;
		snprintf(base, sizeof(base), "%s", files[i]);
		if (fl > 8 && !strcmp(files[i] + fl - 8, ".minisig"))
			base[fl - 8] = 0;
		if (json_object_get(listed, base) == NULL) {
			vios_error_set(VIOS_ERR_INPUT, "registry: %s is not in the signed manifest", files[i]);
			goto done;
		}
	}
	if (json_object_size(listed) > VIOS_REGISTRY_MAX_NODES + 2) {
		vios_error_set(VIOS_ERR_INPUT, "registry: too many entries");
		goto done;
	}
	if ((reg->nodes = calloc(json_object_size(listed) + 1, sizeof(*reg->nodes))) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	json_object_foreach(listed, key, v) {
		int is_pub = !strcmp(key, "registry/hub.pub"), is_cov = !strcmp(key, "covenant.json");
		int is_node = !strncmp(key, "registry/nodes/", 15);
		if (!json_is_string(v) || !(is_pub || is_cov || is_node)) {
			vios_error_set(VIOS_ERR_INPUT, "registry: the manifest lists an unexpected file %s", key);
			goto done;
		}
		free(data);
		data = NULL;
		if (is_pub)
			error = vios_git_read_blob(&data, &len, repo, commit, key, 4096);
		else
			error = read_signed(&data, &len, repo, commit, key, &reg->root);
		if (error < 0) {
			error = VIOS_EVERIFY;
			goto done;
		}
		error = VIOS_EVERIFY;
		vios_blake2b_hex(hex, data, len);
		if (strcmp(hex, json_string_value(v)) != 0) {
			vios_error_set(VIOS_ERR_INPUT, "registry: %s does not match its hash in the signed manifest", key);
			goto done;
		}
		if (is_cov) {
			if (vios_covenant_parse(&reg->covenant, (char *)data, len) < 0) {
				char why[300];
				snprintf(why, sizeof(why), "%s", vios_error_last());
				vios_error_set(VIOS_ERR_INPUT, "registry: %s", why);
				goto done;
			}
		} else if (is_node) {
			vios_reg_node *n;
			/* reg->nodes has room for every listed file and one more */
			assert(reg->n < json_object_size(listed) + 1);
			n = &reg->nodes[reg->n];
			char want_path[128];
			if (vios_registry_node_parse(n, (char *)data, len, key) < 0) {
				error = VIOS_EVERIFY;
				goto done;
			}
			snprintf(want_path, sizeof(want_path), "registry/nodes/%s.json", n->node_id);
			if (strcmp(want_path, key) != 0 || vios_registry_find(reg, n->node_id)) {
				vios_error_set(VIOS_ERR_INPUT, "registry: %s holds the entry of another node", key);
				goto done;
			}
			reg->n++;
		}
	}
	if (reg->covenant.text == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "registry: no covenant");
		goto done;
	}
	error = 0;
done:
	json_decref(mo);
	free(pubtext);
	free(man);
	free(data);
	vios_git_list_free(files, nfiles);
	if (error < 0)
		vios_registry_free(reg);
	else
		*out = reg;
	return error;
}

/* ---- publish (hub) ------------------------------------------------------- */

typedef struct {
	vios_git_file *files;
	size_t n;
	char **owned;
	size_t nowned;
	size_t cap; /* files has room for cap, owned for 2 * cap */
} fileset;

static int add_file(fileset *fs, json_t *manifest, const char *path, char *data, size_t len, int list)
{
	char hex[65];
	char *p;

	assert(fs != NULL && path != NULL && data != NULL);
	assert(fs->n < fs->cap && fs->nowned + 2 <= 2 * fs->cap);
	if ((p = strdup(path)) == NULL)
		return vios_error_nomem();
	fs->owned[fs->nowned++] = p;
	fs->owned[fs->nowned++] = data;
	fs->files[fs->n++] = (vios_git_file){ p, data, len };
	if (list) {
		vios_blake2b_hex(hex, (uint8_t *)data, len);
		if (json_object_set_new(manifest, path, json_string(hex)) < 0)
			return vios_error_nomem();
	}
	return 0;
}

static int add_signed(fileset *fs, json_t *manifest, const vios_node *hub, const char *path,
		      const char *text, const char *comment)
{
	char sigpath[512], *copy, *sig = NULL;
	int error;

	assert(fs != NULL && hub != NULL && path != NULL && text != NULL && comment != NULL);
	if ((copy = strdup(text)) == NULL)
		return vios_error_nomem();
	if ((error = vios_minisign_sign(&sig, hub->sign_sec, (uint8_t *)text, strlen(text), comment,
					"signed by the vios hub root key")) < 0) {
		free(copy);
		return error;
	}
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", path);
	if ((error = add_file(fs, manifest, path, copy, strlen(copy), 1)) < 0) {
		free(sig);
		return error;
	}
	return add_file(fs, manifest, sigpath, sig, strlen(sig), 0);
}

int vios_registry_publish(git_oid *out, git_repository *repo, const vios_node *hub,
			  const vios_reg_node *nodes, size_t n, const char *covenant_text,
			  long long version, const char *message)
{
	return vios_registry_publish_until(out, repo, hub, nodes, n, covenant_text, version, message,
					   (long long)vios_now() + VIOS_REGISTRY_VALID_DAYS * 86400LL);
}

int vios_registry_refresh(git_oid *out, git_repository *repo, const vios_node *hub,
			  const vios_registry *cur, int days)
{
	char message[96];

	assert(out != NULL && repo != NULL && hub != NULL && cur != NULL && cur->covenant.text != NULL);
	if (days < 1 || days > VIOS_REGISTRY_VALID_MAX) {
		vios_error_set(VIOS_ERR_INPUT, "a registry is valid 1 to %d days, not %d", VIOS_REGISTRY_VALID_MAX, days);
		return VIOS_EUSAGE;
	}
	snprintf(message, sizeof(message), "registry v%lld: refreshed, valid %d days", cur->version + 1, days);
	return vios_registry_publish_until(out, repo, hub, cur->nodes, cur->n, cur->covenant.text, cur->version + 1,
					   message, (long long)vios_now() + days * 86400LL);
}

int vios_registry_publish_until(git_oid *out, git_repository *repo, const vios_node *hub,
				const vios_reg_node *nodes, size_t n, const char *covenant_text,
				long long version, const char *message, long long expires)
{
	fileset fs = { 0 };
	json_t *listed = json_object(), *man = NULL;
	char fp[VIOS_FINGERPRINT_STRLEN + 1], now[21], until[21], comment[160], *pubfile = NULL,
	     *mantext = NULL, **owned = NULL;
	int error = VIOS_ERROR;
	size_t cap = 2 * n + 8;

	assert(out != NULL && repo != NULL && hub != NULL);
	assert((nodes != NULL || n == 0) && covenant_text != NULL && message != NULL);
	fs.cap = cap;
	fs.files = calloc(cap, sizeof(*fs.files));
	owned = fs.owned = calloc(2 * cap, sizeof(char *));
	if (listed == NULL || fs.files == NULL || fs.owned == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	vios_node_fingerprint(fp, hub);
	vios_now_iso(now);
	vios_time_format(until, expires);
	snprintf(comment, sizeof(comment), "vios hub root key %s", fp);
	if ((error = vios_minisign_pub_file(&pubfile, &hub->sign_pub, comment)) < 0)
		goto done;
	error = add_file(&fs, listed, "registry/hub.pub", pubfile, strlen(pubfile), 1);
	pubfile = NULL;
	if (error < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		char path[128], *text = vios_registry_node_format(&nodes[i]);
		if (text == NULL) {
			error = vios_error_nomem();
			goto done;
		}
		snprintf(path, sizeof(path), "registry/nodes/%s.json", nodes[i].node_id);
		snprintf(comment, sizeof(comment), "vios registry v%lld node=%s", version, nodes[i].node_id);
		error = add_signed(&fs, listed, hub, path, text, comment);
		free(text);
		if (error < 0)
			goto done;
	}
	snprintf(comment, sizeof(comment), "vios registry v%lld covenant", version);
	if ((error = add_signed(&fs, listed, hub, "covenant.json", covenant_text, comment)) < 0)
		goto done;
	man = json_pack("{s:s, s:I, s:s, s:s, s:s, s:O}", "format", "vios-registry-2", "version", (json_int_t)version,
			"hub_fingerprint", fp, "updated_at", now, "expires_at", until, "files", listed);
	if (man == NULL || (mantext = json_dumps(man, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	snprintf(comment, sizeof(comment), "vios registry v%lld manifest", version);
	{
		json_t *ignore = json_object();
		error = add_signed(&fs, ignore, hub, "registry/manifest.json", mantext, comment);
		json_decref(ignore);
		if (error < 0)
			goto done;
	}
	{
		char email[80];
		snprintf(email, sizeof(email), "%s@vios.invalid", hub->node_id);
		error = vios_git_commit_files(out, repo, VIOS_REGISTRY_REF, fs.files, fs.n, message, hub->name, email);
	}
done:
	for (size_t i = 0; owned && i < fs.nowned; i++)
		free(owned[i]);
	free(owned);
	free(fs.files);
	free(pubfile);
	free(mantext);
	json_decref(man);
	json_decref(listed);
	return error;
}
