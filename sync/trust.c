/*
 * trust.c - see trust.h.
 */
#include "trust.h"
#include "git.h"
#include "crypto/age.h"
#include "util/error.h"
#include "util/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int vios_meta_get(char **out, vios_store *st, const char *key)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error;

	*out = NULL;
	rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, key, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW &&
		    (*out = strdup((const char *)sqlite3_column_text(pStmt, 0))) == NULL)
			rc = SQLITE_NOMEM;
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading the node's settings")) < 0)
		return error;
	if (*out == NULL) {
		vios_error_set(VIOS_ERR_STORE, "no %s yet", key);
		return VIOS_ENOTFOUND;
	}
	return 0;
}

int vios_meta_set(vios_store *st, const char *key, const char *value)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "INSERT INTO meta(key, value) VALUES (?, ?)"
				" ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 2, value, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "saving the node's settings");
}

int vios_trust_repo(git_repository **out, const vios_node *node)
{
	char path[PATH_MAX];

	if (vios_snprintf(path, sizeof(path), "%s/outbox.git", node->home) < 0)
		return VIOS_ERROR;
	return vios_git_open(out, path, 1);
}

static int put_node(vios_store *st, const vios_reg_node *n)
{
	char pub[VIOS_MINISIGN_PUB_B64LEN + 1], rcpt[VIOS_AGE_RECIPIENT_LEN + 1];
	sqlite3_stmt *pStmt = NULL;
	int rc;

	if (vios_minisign_pub_format(pub, sizeof(pub), &n->sign_pub) < 0 ||
	    vios_age_recipient_format(rcpt, sizeof(rcpt), n->age_pk) < 0)
		return VIOS_ERROR;
	rc = sqlite3_prepare_v2(st->db, "INSERT INTO reg_node(node_id, kind, role, name, minisign_pubkey,"
				" age_recipient, enrolled_at, revoked_at, last_seq) VALUES (?,?,?,?,?,?,?,?,?)",
				-1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, n->node_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 2, n->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 3, n->role, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 4, n->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 5, pub, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 6, rcpt, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 7, n->enrolled_at, -1, SQLITE_STATIC);
		if (n->revoked_at[0]) {
			sqlite3_bind_text(pStmt, 8, n->revoked_at, -1, SQLITE_STATIC);
			sqlite3_bind_int64(pStmt, 9, n->last_seq);
		}
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "saving the registry");
}

int vios_trust_install(vios_store *st, git_repository *repo, const vios_registry *reg,
		       const char *hub_url, const uint8_t pin[8])
{
	char *old_commit = NULL, *old_pin = NULL, *old_version = NULL, hex[GIT_OID_HEXSZ + 1], fp[17],
	     num[32], now[21];
	int error, in_tx = 0;

	vios_minisign_keyid_hex(fp, pin);
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	in_tx = 1;
	if ((error = vios_meta_get(&old_pin, st, "hub_fingerprint")) == 0 && strcmp(old_pin, fp) != 0) {
		vios_error_set(VIOS_ERR_INPUT, "this node already trusts hub %s, not %s; a node joins one hub", old_pin, fp);
		error = VIOS_EVERIFY;
		goto done;
	}
	if (error < 0 && error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_meta_get(&old_commit, st, "registry_commit")) == 0) {
		git_oid prev;
		int ok = 0;
		if (git_oid_fromstr(&prev, old_commit) < 0 ||
		    (error = vios_git_descends(&ok, repo, &reg->commit, &prev)) < 0 || !ok) {
			vios_error_set(VIOS_ERR_INPUT, "the hub's registry was rewritten: it does not extend the registry verified before (commit %.12s); refusing it", old_commit);
			error = VIOS_EVERIFY;
			goto done;
		}
	} else if (error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_meta_get(&old_version, st, "registry_version")) == 0 && atoll(old_version) > reg->version) {
		vios_error_set(VIOS_ERR_INPUT, "the hub's registry went back from version %s to %lld; refusing it", old_version, reg->version);
		error = VIOS_EVERIFY;
		goto done;
	}
	if (error < 0 && error != VIOS_ENOTFOUND)
		goto done;
	if ((error = vios_store_error(st->db, sqlite3_exec(st->db, "DELETE FROM reg_node", NULL, NULL, NULL),
				      "saving the registry")) < 0)
		goto done;
	for (size_t i = 0; i < reg->n; i++)
		if ((error = put_node(st, &reg->nodes[i])) < 0)
			goto done;
	{
		sqlite3_stmt *pStmt = NULL;
		int rc;
		vios_now_iso(now);
		rc = sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO reg_covenant(version, text, registry_version, installed_at)"
					" VALUES (?, ?, ?, ?)", -1, &pStmt, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(pStmt, 1, reg->covenant.version);
			sqlite3_bind_text(pStmt, 2, reg->covenant.text, -1, SQLITE_STATIC);
			sqlite3_bind_int64(pStmt, 3, reg->version);
			sqlite3_bind_text(pStmt, 4, now, -1, SQLITE_STATIC);
			rc = sqlite3_step(pStmt);
		}
		sqlite3_finalize(pStmt);
		if ((error = vios_store_error(st->db, rc, "saving the covenant")) < 0)
			goto done;
	}
	git_oid_tostr(hex, sizeof(hex), &reg->commit);
	snprintf(num, sizeof(num), "%lld", reg->version);
	if ((hub_url && (error = vios_meta_set(st, "hub_url", hub_url)) < 0) ||
	    (error = vios_meta_set(st, "hub_fingerprint", fp)) < 0 ||
	    (error = vios_meta_set(st, "registry_commit", hex)) < 0 ||
	    (error = vios_meta_set(st, "registry_version", num)) < 0 ||
	    (error = vios_meta_set(st, "registry_updated_at", reg->updated_at)) < 0)
		goto done;
	if ((error = vios_store_log(st, "import", "registry", NULL, "registry verified and installed")) < 0)
		goto done;
	if ((error = vios_store_tx_commit(st)) < 0)
		goto done;
	in_tx = 0;
	error = vios_git_set_ref(repo, VIOS_VERIFIED_REGISTRY_REF, &reg->commit, "vios: registry verified");
done:
	if (in_tx)
		vios_store_tx_rollback(st);
	free(old_commit);
	free(old_pin);
	free(old_version);
	return error;
}

static int fetch_and_verify(vios_registry **out, vios_store *st, const char *url, const uint8_t pin[8],
			    int keep_url)
{
	static const char *const spec[] = { "+" VIOS_REGISTRY_REF ":" VIOS_INCOMING_REGISTRY_REF };
	git_repository *repo = NULL;
	git_oid got;
	int error;

	*out = NULL;
	if ((error = vios_trust_repo(&repo, st->node)) < 0 ||
	    (error = vios_git_fetch(repo, url, spec, 1)) < 0)
		goto done;
	if ((error = vios_git_ref_oid(&got, repo, VIOS_INCOMING_REGISTRY_REF)) < 0) {
		vios_error_set(VIOS_ERR_GIT, "%s has no registry: is it a vios hub?", url);
		error = VIOS_EVERIFY;
		goto done;
	}
	if ((error = vios_registry_load(out, repo, &got, pin)) < 0)
		goto done;
	if ((error = vios_trust_install(st, repo, *out, keep_url ? NULL : url, pin)) < 0) {
		vios_registry_free(*out);
		*out = NULL;
	}
done:
	/* What failed verification is not kept, not even as a ref. */
	if (error < 0 && repo)
		git_reference_remove(repo, VIOS_INCOMING_REGISTRY_REF);
	git_repository_free(repo);
	return error;
}

int vios_trust_join(vios_registry **out, vios_store *st, const char *url, const char *fingerprint)
{
	uint8_t pin[8];
	char abs[PATH_MAX];

	*out = NULL;
	/* A fingerprint that cannot be any hub key's is a failed verification
	 * (exit 3), as is one that names another key: nothing is stored. */
	if (vios_fingerprint_parse(pin, fingerprint) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "'%s' is not the hub's fingerprint (16 hex digits, from 'vios whoami' on the hub); nothing was stored", fingerprint);
		return VIOS_EVERIFY;
	}
	/* A node joins one hub: another fingerprint is refused before any fetch. */
	{
		char *old = NULL, fp[17];
		vios_minisign_keyid_hex(fp, pin);
		if (vios_meta_get(&old, st, "hub_fingerprint") == 0 && strcmp(old, fp) != 0) {
			vios_error_set(VIOS_ERR_INPUT, "this node already trusts hub %s, not %s; a node joins one hub; nothing was changed", old, fp);
			free(old);
			return VIOS_EVERIFY;
		}
		free(old);
	}
	/* A plain path is kept absolute, so later syncs work from anywhere. */
	if (strstr(url, "://") == NULL && url[0] != '/' && realpath(url, abs) != NULL)
		url = abs;
	return fetch_and_verify(out, st, url, pin, 0);
}

int vios_trust_refresh(vios_registry **out, vios_store *st, const char *via)
{
	char *url = NULL, *fp = NULL;
	uint8_t pin[8];
	int error;

	*out = NULL;
	if ((error = vios_meta_get(&url, st, "hub_url")) < 0 || (error = vios_meta_get(&fp, st, "hub_fingerprint")) < 0) {
		if (error == VIOS_ENOTFOUND)
			vios_error_set(VIOS_ERR_INPUT, "this node has not joined a hub yet: run 'vios join URL --hub-fingerprint FP'");
		goto done;
	}
	if ((error = vios_fingerprint_parse(pin, fp)) < 0)
		goto done;
	error = fetch_and_verify(out, st, via ? via : url, pin, via != NULL);
done:
	free(url);
	free(fp);
	return error;
}

int vios_trust_node(vios_reg_node *out, vios_store *st, const char *node_id)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error, found = 0;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(st->db, "SELECT node_id, kind, role, name, minisign_pubkey, age_recipient,"
				" enrolled_at, revoked_at, last_seq FROM reg_node WHERE node_id = ?", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, node_id, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
			found = 1;
			snprintf(out->node_id, sizeof(out->node_id), "%s", sqlite3_column_text(pStmt, 0));
			snprintf(out->kind, sizeof(out->kind), "%s", sqlite3_column_text(pStmt, 1));
			snprintf(out->role, sizeof(out->role), "%s", sqlite3_column_text(pStmt, 2));
			snprintf(out->name, sizeof(out->name), "%s", sqlite3_column_text(pStmt, 3));
			snprintf(out->enrolled_at, sizeof(out->enrolled_at), "%s", sqlite3_column_text(pStmt, 6));
			if (sqlite3_column_type(pStmt, 7) != SQLITE_NULL) {
				snprintf(out->revoked_at, sizeof(out->revoked_at), "%s", sqlite3_column_text(pStmt, 7));
				out->last_seq = sqlite3_column_int64(pStmt, 8);
			} else
				out->last_seq = -1;
			if (vios_minisign_pub_parse(&out->sign_pub, (const char *)sqlite3_column_text(pStmt, 4)) < 0 ||
			    vios_age_recipient_parse(out->age_pk, (const char *)sqlite3_column_text(pStmt, 5)) < 0)
				rc = SQLITE_CORRUPT;
		}
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading the registry")) < 0)
		return error;
	if (!found) {
		vios_error_set(VIOS_ERR_INPUT, "node %s is not enrolled at this node's hub", node_id);
		return VIOS_ENOTFOUND;
	}
	return 0;
}

int vios_trust_covenant(vios_covenant *out, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error;
	char *text = NULL;

	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(st->db, "SELECT text FROM reg_covenant ORDER BY version DESC LIMIT 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW &&
	    (text = strdup((const char *)sqlite3_column_text(pStmt, 0))) == NULL)
		rc = SQLITE_NOMEM;
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading the covenant")) < 0)
		return error;
	if (text == NULL) {
		vios_error_set(VIOS_ERR_INPUT, "no covenant yet: join a hub first");
		return VIOS_ENOTFOUND;
	}
	error = vios_covenant_parse(out, text, strlen(text));
	free(text);
	return error;
}
