/*
 * directory.c - see directory.h. The one place that reads and writes the
 * store's `meta`, `reg_node` and `reg_covenant` tables; keys are kept as
 * their text forms (a minisign key line, an age recipient) and parsed back
 * strictly on every read.
 */
#include "store/directory.h"
#include "crypto/age.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vios_store_meta_get(char **out, vios_store *st, const char *key)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error;

	assert(out != NULL && st != NULL && st->db != NULL && key != NULL);
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
		goto done;
	if (*out == NULL) {
		vios_error_set(VIOS_ERR_STORE, "no %s yet", key);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	error = 0;
done:
	if (error < 0) {
		free(*out);
		*out = NULL;
	}
	return error;
}

int vios_store_meta_set(vios_store *st, const char *key, const char *value)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(st != NULL && st->db != NULL && key != NULL && value != NULL);
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

/* ---- reg_node ----------------------------------------------------------- */

#define REG_NODE_COLS "node_id, kind, role, name, minisign_pubkey, age_recipient, enrolled_at, revoked_at, last_seq"

/* One reg_node row (columns REG_NODE_COLS) into *out; SQLITE_CORRUPT when a
 * stored key does not parse. */
static int row_to_node(vios_reg_node *out, sqlite3_stmt *pStmt)
{
	memset(out, 0, sizeof(*out));
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
		return SQLITE_CORRUPT;
	return SQLITE_ROW;
}

static int put_node(vios_store *st, const vios_reg_node *n)
{
	char pub[VIOS_MINISIGN_PUB_B64LEN + 1], rcpt[VIOS_AGE_RECIPIENT_LEN + 1];
	sqlite3_stmt *pStmt = NULL;
	int rc;

	if (vios_minisign_pub_format(pub, sizeof(pub), &n->sign_pub) < 0 ||
	    vios_age_recipient_format(rcpt, sizeof(rcpt), n->age_pk) < 0)
		return VIOS_ERROR;
	rc = sqlite3_prepare_v2(st->db, "INSERT INTO reg_node(" REG_NODE_COLS ") VALUES (?,?,?,?,?,?,?,?,?)",
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

int vios_store_reg_node_replace_all(vios_store *st, const vios_reg_node *nodes, size_t n)
{
	int error;

	assert(st != NULL && st->db != NULL);
	assert(nodes != NULL || n == 0);
	if ((error = vios_store_error(st->db, sqlite3_exec(st->db, "DELETE FROM reg_node", NULL, NULL, NULL),
				      "saving the registry")) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if ((error = put_node(st, &nodes[i])) < 0)
			return error;
	return 0;
}

int vios_store_reg_node_get(vios_reg_node *out, vios_store *st, const char *node_id)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error, found = 0;

	assert(out != NULL && st != NULL && st->db != NULL && node_id != NULL);
	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(st->db, "SELECT " REG_NODE_COLS " FROM reg_node WHERE node_id = ?", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, node_id, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
			found = 1;
			rc = row_to_node(out, pStmt);
		}
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading the registry")) < 0)
		return error;
	if (!found) {
		vios_error_set(VIOS_ERR_STORE, "node %s is not in the registry", node_id);
		return VIOS_ENOTFOUND;
	}
	return 0;
}

int vios_store_reg_node_list(vios_reg_node **out, size_t *n, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	vios_reg_node *v = NULL;
	size_t len = 0, cap = 0;
	int rc, error;

	assert(out != NULL && n != NULL && st != NULL && st->db != NULL);
	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT " REG_NODE_COLS " FROM reg_node ORDER BY node_id", -1, &pStmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			vios_reg_node *nv = realloc(v, ncap * sizeof(*nv));
			if (nv == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		if ((rc = row_to_node(&v[len], pStmt)) != SQLITE_ROW)
			break;
		len++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(pStmt);
	if (rc == SQLITE_NOMEM) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = vios_store_error(st->db, rc, "reading the registry")) < 0)
		goto done;
	error = 0;
done:
	if (error < 0)
		free(v);
	else {
		*out = len ? v : NULL;
		*n = len;
		if (len == 0)
			free(v);
	}
	return error;
}

/* ---- reg_covenant ------------------------------------------------------- */

int vios_store_covenant_add(vios_store *st, long long version, const char *text,
			    long long registry_version)
{
	sqlite3_stmt *pStmt = NULL;
	char now[21];
	int rc;

	assert(st != NULL && st->db != NULL && text != NULL);
	vios_now_iso(now);
	rc = sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO reg_covenant(version, text, registry_version, installed_at)"
				" VALUES (?, ?, ?, ?)", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, version);
		sqlite3_bind_text(pStmt, 2, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 3, registry_version);
		sqlite3_bind_text(pStmt, 4, now, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "saving the covenant");
}

/* The text of the covenant `version` (0: the highest kept). */
static int covenant_text(char **out, vios_store *st, long long version)
{
	sqlite3_stmt *pStmt = NULL;
	char *text = NULL;
	int rc, error;

	assert(out != NULL && st != NULL && st->db != NULL);
	*out = NULL;
	rc = sqlite3_prepare_v2(st->db, version > 0 ? "SELECT text FROM reg_covenant WHERE version = ?1"
					: "SELECT text FROM reg_covenant ORDER BY version DESC LIMIT 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && version > 0)
		sqlite3_bind_int64(pStmt, 1, version);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW &&
	    (text = strdup((const char *)sqlite3_column_text(pStmt, 0))) == NULL)
		rc = SQLITE_NOMEM;
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading the covenant")) < 0)
		return error;
	if (text == NULL) {
		if (version > 0)
			vios_error_set(VIOS_ERR_STORE, "covenant version %lld is not kept here", version);
		else
			vios_error_set(VIOS_ERR_STORE, "no covenant yet");
		return VIOS_ENOTFOUND;
	}
	*out = text;
	return 0;
}

int vios_store_covenant_get(char **out, vios_store *st)
{
	return covenant_text(out, st, 0);
}

int vios_store_covenant_get_version(char **out, vios_store *st, long long version)
{
	assert(version > 0);
	return covenant_text(out, st, version);
}
