/*
 * consent.c - see consent.h. The one reader and writer of the store's
 * `consent` table.
 */
#include "sync/consent.h"
#include "store/records.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs one statement with up to five text parameters (NULL binds NULL). */
static int run(vios_store *st, const char *sql, const char *a, const char *b, const char *c, const char *d, const char *e)
{
	const char *p[5] = { a, b, c, d, e };
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(st != NULL && st->db != NULL && sql != NULL);
	rc = sqlite3_prepare_v2(st->db, sql, -1, &pStmt, NULL);
	for (int i = 0; rc == SQLITE_OK && i < 5 && i < sqlite3_bind_parameter_count(pStmt); i++)
		rc = p[i] ? sqlite3_bind_text(pStmt, i + 1, p[i], -1, SQLITE_STATIC) : sqlite3_bind_null(pStmt, i + 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(pStmt);
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "keeping approvals");
}

/* Approves kind/subject (kept as first approved when it already is);
 * seq: published in that own bundle (restore), else NULL. */
static int add(vios_store *st, const char *kind, const char *subject, const char *how, int forward, const char *seq)
{
	char now[21];
	int error;

	vios_now_iso(now);
	if ((error = run(st, "INSERT OR IGNORE INTO consent(kind, subject, approved_at, how, forward_due)"
			     " VALUES (?1, ?2, ?3, ?4, CAST(?5 AS INTEGER))",
			 kind, subject, now, how, forward ? "1" : "0")) < 0 || seq == NULL)
		return error;
	return run(st, "UPDATE consent SET published_seq = CAST(?3 AS INTEGER) WHERE kind = ?1 AND subject = ?2"
		       " AND published_seq IS NULL",
		   kind, subject, seq, NULL, NULL);
}

static int add_covenant(vios_store *st, long long version, const char *how, const char *seq)
{
	char v[24];

	snprintf(v, sizeof(v), "%lld", version);
	return add(st, "covenant", v, how, 0, seq);
}

int vios_consent_on_install(vios_store *st, const vios_registry *reg, int first)
{
	const char *how = !strcmp(st->node->kind, "hub") ? "publish" : first ? "join" : NULL;
	int error;

	assert(st != NULL && st->node != NULL && reg != NULL);
	if (how == NULL)
		return 0;
	if ((error = add_covenant(st, reg->covenant.version, how, NULL)) < 0)
		return error;
	for (size_t i = 0; i < reg->n; i++)
		if (!reg->nodes[i].revoked_at[0] && strcmp(reg->nodes[i].node_id, st->node->node_id) != 0 &&
		    (error = add(st, "node", reg->nodes[i].node_id, how, 0, NULL)) < 0)
			return error;
	return 0;
}

int vios_consent_covenant(long long *version, vios_store *st)
{
	json_t *rows = NULL;
	int error;

	assert(version != NULL && st != NULL);
	*version = 0;
	if ((error = vios_query(&rows, st, "SELECT max(CAST(subject AS INTEGER)) AS v FROM consent WHERE kind = 'covenant'",
				NULL, 0)) < 0)
		return error;
	*version = json_integer_value(json_object_get(json_array_get(rows, 0), "v"));
	json_decref(rows);
	if (*version < 1) {
		vios_error_set(VIOS_ERR_INPUT, "this node holds no covenant: join a hub first ('vios join URL --hub-fingerprint FP')");
		return VIOS_ENOTFOUND;
	}
	return 0;
}

int vios_consent_covenant_load(vios_covenant *out, vios_store *st)
{
	long long v;
	char *text = NULL;
	int error;

	assert(out != NULL && st != NULL);
	memset(out, 0, sizeof(*out));
	if ((error = vios_consent_covenant(&v, st)) < 0)
		return error;
	if ((error = vios_store_covenant_get_version(&text, st, v)) < 0)
		return error;
	error = vios_covenant_parse(out, text, strlen(text));
	free(text);
	return error;
}

int vios_consent_themes(vios_theme_set *out, vios_store *st)
{
	vios_covenant c;
	int error;

	assert(out != NULL && st != NULL);
	memset(out, 0, sizeof(*out));
	if ((error = vios_consent_covenant_load(&c, st)) == VIOS_ENOTFOUND)
		return 0; /* not joined: the base themes only */
	if (error < 0)
		return error;
	*out = c.themes;
	vios_covenant_dispose(&c);
	return 0;
}

int vios_consent_nodes(vios_reg_node **out, size_t *n, vios_store *st)
{
	vios_reg_node *all = NULL;
	json_t *rows = NULL;
	size_t nall = 0, k = 0;
	int error;

	assert(out != NULL && n != NULL && st != NULL && st->node != NULL);
	*out = NULL;
	*n = 0;
	if ((error = vios_store_reg_node_list(&all, &nall, st)) < 0 ||
	    (error = vios_query(&rows, st, "SELECT subject FROM consent WHERE kind = 'node'", NULL, 0)) < 0) {
		free(all);
		return error;
	}
	for (size_t i = 0; i < nall; i++) {
		int ok = !strcmp(all[i].node_id, st->node->node_id);
		size_t r;
		json_t *row;
		json_array_foreach(rows, r, row)
			ok |= !strcmp(json_string_value(json_object_get(row, "subject")) ?: "", all[i].node_id);
		if (ok)
			all[k++] = all[i];
	}
	json_decref(rows);
	*out = all;
	*n = k;
	return 0;
}

static int log_consent(vios_store *st, const char *subject, const char *why)
{
	return vios_store_log(st, "update", "consent", subject, why);
}

int vios_consent_approve_covenant(vios_store *st, long long version)
{
	long long have = 0;
	char *text = NULL, why[96];
	int error;

	assert(st != NULL);
	if ((error = vios_consent_covenant(&have, st)) < 0)
		return error;
	if (version <= have) {
		vios_error_set(VIOS_ERR_INPUT, "covenant version %lld is already approved (this node approved version %lld)",
			       version, have);
		return VIOS_EUSAGE;
	}
	if ((error = vios_store_covenant_get_version(&text, st, version)) < 0) {
		if (error == VIOS_ENOTFOUND) {
			vios_error_set(VIOS_ERR_INPUT, "covenant version %lld is not installed here: run 'vios sync' to fetch the hub's registry ('vios covenant show' lists what is)",
				       version);
			error = VIOS_EUSAGE;
		}
		return error;
	}
	free(text);
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	snprintf(why, sizeof(why), "approved covenant version %lld (was %lld)", version, have);
	if ((error = add_covenant(st, version, "approve", NULL)) < 0 || (error = log_consent(st, NULL, why)) < 0) {
		vios_store_tx_rollback(st);
		return error;
	}
	return vios_store_tx_commit(st);
}

int vios_consent_approve_node(vios_store *st, const char *node_id)
{
	vios_reg_node n;
	json_t *rows = NULL;
	const char *params[1] = { node_id };
	char why[160];
	int error, known;

	assert(st != NULL && st->node != NULL && node_id != NULL);
	if ((error = vios_store_reg_node_get(&n, st, node_id)) < 0) {
		if (error == VIOS_ENOTFOUND) {
			vios_error_set(VIOS_ERR_INPUT, "node %s is not enrolled in the registry this node holds (run 'vios sync' first)",
				       node_id);
			error = VIOS_EUSAGE;
		}
		return error;
	}
	if (!strcmp(node_id, st->node->node_id)) {
		vios_error_set(VIOS_ERR_INPUT, "a node does not approve itself");
		return VIOS_EUSAGE;
	}
	if (n.revoked_at[0]) {
		vios_error_set(VIOS_ERR_INPUT, "node %s (\"%s\") was revoked at %s: it receives nothing", node_id, n.name, n.revoked_at);
		return VIOS_EUSAGE;
	}
	if ((error = vios_query(&rows, st, "SELECT 1 FROM consent WHERE kind = 'node' AND subject = ?1", params, 1)) < 0)
		return error;
	known = json_array_size(rows) > 0;
	json_decref(rows);
	if (known) {
		vios_error_set(VIOS_ERR_INPUT, "node %s (\"%s\") is already approved", node_id, n.name);
		return VIOS_EUSAGE;
	}
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	snprintf(why, sizeof(why), "approved node %s (%s, role %s) as a recipient of this node's data", node_id, n.kind,
		 n.role[0] ? n.role : "-");
	if ((error = add(st, "node", node_id, "approve", 1, NULL)) < 0 || (error = log_consent(st, node_id, why)) < 0) {
		vios_store_tx_rollback(st);
		return error;
	}
	return vios_store_tx_commit(st);
}

int vios_consent_pending_get(vios_consent_pending *out, vios_store *st)
{
	vios_reg_node *all = NULL, *ok = NULL;
	size_t nall = 0, nok = 0;
	json_t *rows = NULL;
	int error;

	assert(out != NULL && st != NULL && st->node != NULL);
	memset(out, 0, sizeof(*out));
	if ((error = vios_consent_covenant(&out->approved, st)) < 0 && error != VIOS_ENOTFOUND)
		return error;
	if ((error = vios_query(&rows, st, "SELECT max(version) AS v FROM reg_covenant", NULL, 0)) < 0)
		return error;
	{
		long long top = json_integer_value(json_object_get(json_array_get(rows, 0), "v"));
		out->covenant = top > out->approved ? top : 0;
	}
	json_decref(rows);
	if ((error = vios_store_reg_node_list(&all, &nall, st)) < 0 || (error = vios_consent_nodes(&ok, &nok, st)) < 0) {
		free(all);
		return error;
	}
	out->nodes = all;
	for (size_t i = 0; i < nall; i++) {
		int approved = 0;
		for (size_t k = 0; k < nok && !approved; k++)
			approved = !strcmp(ok[k].node_id, all[i].node_id);
		if (!approved && !all[i].revoked_at[0] && strcmp(all[i].node_id, st->node->node_id) != 0)
			all[out->nnodes++] = all[i];
	}
	free(ok);
	return 0;
}

void vios_consent_pending_dispose(vios_consent_pending *p)
{
	if (p == NULL)
		return;
	free(p->nodes);
	memset(p, 0, sizeof(*p));
}

/* Node ids of rows matching sql (one column "subject"), into a malloc'd sorted array. */
static int ids_of(char (**ids)[37], size_t *n, vios_store *st, const char *sql, size_t max)
{
	json_t *rows = NULL, *row;
	size_t i;
	int error;

	*ids = NULL;
	*n = 0;
	if ((error = vios_query(&rows, st, sql, NULL, 0)) < 0)
		return error;
	if (json_array_size(rows) > 0 && (*ids = calloc(json_array_size(rows), sizeof(**ids))) == NULL) {
		json_decref(rows);
		return vios_error_nomem();
	}
	json_array_foreach(rows, i, row) {
		const char *s = json_string_value(json_object_get(row, "subject")) ?: "";
		if (*n == max)
			break;
		/* a node never approves itself (a store upgraded by 0009 lists its own row) */
		if (!vios_uuid_valid(s) || !strcmp(s, st->node->node_id))
			continue;
		snprintf((*ids)[(*n)++], sizeof((*ids)[0]), "%s", s);
	}
	json_decref(rows);
	return 0;
}

int vios_consent_unpublished(int *due, char (**ids)[37], size_t *n, vios_store *st, size_t max)
{
	json_t *rows = NULL;
	int error;

	assert(due != NULL && ids != NULL && n != NULL && st != NULL);
	*ids = NULL;
	*n = 0;
	/* what joining approved waits for the first bundle; what a person approved is published at once */
	if ((error = vios_query(&rows, st, "SELECT 1 FROM consent WHERE published_seq IS NULL AND how = 'approve'", NULL, 0)) < 0)
		return error;
	*due = json_array_size(rows) > 0;
	json_decref(rows);
	return ids_of(ids, n, st, "SELECT subject FROM consent WHERE kind = 'node' AND published_seq IS NULL ORDER BY subject",
		      max);
}

int vios_consent_mark_published(vios_store *st, const char (*ids)[37], size_t n, long long seq)
{
	char s[24];
	int error;

	assert(st != NULL && (ids != NULL || n == 0) && seq >= 1);
	snprintf(s, sizeof(s), "%lld", seq);
	if ((error = run(st, "UPDATE consent SET published_seq = CAST(?1 AS INTEGER) WHERE kind = 'covenant'"
			     " AND published_seq IS NULL",
			 s, NULL, NULL, NULL, NULL)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if ((error = run(st, "UPDATE consent SET published_seq = CAST(?1 AS INTEGER) WHERE kind = 'node' AND subject = ?2",
				 s, ids[i], NULL, NULL, NULL)) < 0)
			return error;
	return 0;
}

int vios_consent_forward_due(char (**ids)[37], size_t *n, vios_store *st)
{
	assert(ids != NULL && n != NULL && st != NULL);
	return ids_of(ids, n, st, "SELECT subject FROM consent WHERE kind = 'node' AND forward_due = 1 ORDER BY subject",
		      (size_t)-1);
}

int vios_consent_forward_done(vios_store *st, const char *node_id)
{
	assert(st != NULL && node_id != NULL);
	return run(st, "UPDATE consent SET forward_due = 0 WHERE kind = 'node' AND subject = ?1", node_id, NULL, NULL, NULL, NULL);
}

int vios_consent_ensure(vios_store *st, const vios_registry *reg)
{
	long long v;
	int error;

	assert(st != NULL && reg != NULL);
	if ((error = vios_consent_covenant(&v, st)) != VIOS_ENOTFOUND)
		return error < 0 ? error : 0;
	vios_error_clear();
	return vios_consent_on_install(st, reg, 1);
}

int vios_consent_reset(vios_store *st)
{
	assert(st != NULL);
	return run(st, "DELETE FROM consent", NULL, NULL, NULL, NULL, NULL);
}

int vios_consent_from_header(vios_store *st, const vios_bundle_header *h)
{
	char seq[24];
	int error;

	assert(st != NULL && h != NULL);
	if (h->approves_covenant < 1)
		return 0; /* a vios-bundle-1: no approvals */
	snprintf(seq, sizeof(seq), "%lld", h->seq);
	if ((error = add_covenant(st, h->approves_covenant, "restore", seq)) < 0)
		return error;
	for (size_t i = 0; i < h->napproves; i++)
		if ((error = add(st, "node", h->approves[i], "restore", 0, seq)) < 0)
			return error;
	return 0;
}
