/*
 * caseview.c - see caseview.h. Statements prepared, bound, stepped and
 * finalised in place, like ledger.c; errors through vios_store_error.
 */
#include "store/caseview.h"
#include "store/rhythm.h"
#include "node/vocab.h"
#include "util/error.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vios_caseview_list(vios_caseview_case **out, size_t *n, vios_store *st, const char *origin)
{
	sqlite3_stmt *pStmt = NULL;
	vios_caseview_case *v = NULL, *grown;
	size_t cnt = 0, cap = 0;
	int rc;

	assert(out != NULL && n != NULL && st != NULL && origin != NULL);
	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(st->db,
				"SELECT c.id, c.roles,"
				" (SELECT group_concat(v.role) FROM case_view v WHERE v.case_id = c.id AND v.role <> ''),"
				" EXISTS (SELECT 1 FROM case_view v WHERE v.case_id = c.id AND v.role = '')"
				" FROM case_file c WHERE c.origin = ?1 ORDER BY c.id", -1, &pStmt, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_text(pStmt, 1, origin, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		vios_caseview_case *c;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 16;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				sqlite3_finalize(pStmt);
				free(v);
				return vios_error_nomem();
			}
			v = grown;
		}
		c = &v[cnt++];
		memset(c, 0, sizeof(*c));
		snprintf(c->id, sizeof(c->id), "%s", (const char *)sqlite3_column_text(pStmt, 0) ?: "");
		c->roles = vios_role_mask((const char *)sqlite3_column_text(pStmt, 1));
		c->sent = vios_role_mask((const char *)sqlite3_column_text(pStmt, 2));
		c->known = sqlite3_column_int(pStmt, 3);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(pStmt);
	if ((rc = vios_store_error(st->db, rc, "listing the cases and the roles sent them")) < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Runs zSql with ?1 = case_id, ?2 = role and ?3 = since bound; steps once. */
static int exec_case_role(vios_store *st, const char *zSql, const char *case_id, const char *role, const char *since)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, case_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 2, role, -1, SQLITE_STATIC);
		if (since)
			sqlite3_bind_text(pStmt, 3, since, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "recording the roles sent a case");
}

int vios_caseview_record(vios_store *st, const char *case_id, uint32_t roles, const char *since)
{
	static const char add[] = "INSERT OR IGNORE INTO case_view(case_id, role, since) VALUES (?1, ?2, ?3)";
	static const char drop[] = "DELETE FROM case_view WHERE case_id = ?1 AND role = ?2";
	int error;

	assert(st != NULL && case_id != NULL && since != NULL);
	if ((error = exec_case_role(st, add, case_id, "", since)) < 0)
		return error;
	for (int i = 0; i < VIOS_ROLE_TABLE_COUNT; i++) {
		int in = (roles >> i) & 1;
		if ((error = exec_case_role(st, in ? add : drop, case_id, vios_role_name(i), in ? since : NULL)) < 0)
			return error;
	}
	return 0;
}

int vios_caseview_prune(vios_store *st, const char *origin)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(st != NULL && origin != NULL);
	rc = sqlite3_prepare_v2(st->db, "DELETE FROM case_view WHERE case_id NOT IN (SELECT id FROM case_file WHERE origin = ?1)",
				-1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, origin, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "dropping the roles sent cases gone");
}

int vios_caseview_rows(vios_caseview_row **out, size_t *n, vios_store *st, const char *case_id,
		       const char *origin)
{
	/*
	 * The order is the merge order a receiver needs (a reference's target
	 * first); within a table by id. signals is a comma-separated list of
	 * ids (src/store/records.c writes it without spaces; spaces are
	 * dropped anyway), split into its ids (VIOS_SQL_LIST_ITEMS) so each
	 * signal is looked up by its key (a search of every signal for each
	 * case made a school's first export quadratic).
	 */
	static const char zSql[] =
		"WITH c AS (SELECT id, origin, pupil_id, signals FROM case_file WHERE id = ?1)"
		" SELECT 'pupil', p.id, 1 FROM pupil p, c WHERE p.id = c.pupil_id AND p.origin = ?2"
		" UNION ALL SELECT 'signal', s.id, 2 FROM signal s WHERE s.origin = ?2 AND s.id IN"
		"  (SELECT j.value FROM c, " VIOS_SQL_LIST_ITEMS("replace(c.signals, ' ', '')") " j)"
		" UNION ALL SELECT 'case_file', c.id, 3 FROM c WHERE c.origin = ?2"
		" UNION ALL SELECT 'meeting', m.id, 4 FROM meeting m WHERE m.case_id = ?1 AND m.origin = ?2"
		" UNION ALL SELECT 'agreement', a.id, 5 FROM agreement a WHERE a.origin = ?2"
		"  AND (a.case_id = ?1 OR a.meeting_id IN (SELECT id FROM meeting WHERE case_id = ?1))"
		" ORDER BY 3, 2";
	sqlite3_stmt *pStmt = NULL;
	vios_caseview_row *v = NULL, *grown;
	size_t cnt = 0, cap = 0;
	int rc;

	assert(out != NULL && n != NULL && st != NULL && case_id != NULL && origin != NULL);
	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, case_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 2, origin, -1, SQLITE_STATIC);
	}
	while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? 2 * cap : 16;
			if ((grown = realloc(v, cap * sizeof(*v))) == NULL) {
				sqlite3_finalize(pStmt);
				free(v);
				return vios_error_nomem();
			}
			v = grown;
		}
		snprintf(v[cnt].tbl, sizeof(v[cnt].tbl), "%s", (const char *)sqlite3_column_text(pStmt, 0) ?: "");
		snprintf(v[cnt].id, sizeof(v[cnt].id), "%s", (const char *)sqlite3_column_text(pStmt, 1) ?: "");
		cnt++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(pStmt);
	if ((rc = vios_store_error(st->db, rc, "listing a case's rows")) < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int vios_case_in_view(const vios_node *node, const char *origin, const char *roles)
{
	assert(node != NULL);
	if (origin && !strcmp(origin, node->node_id))
		return 1;
	if (strcmp(node->kind, "partner") != 0)
		return 1;
	return (vios_role_mask(roles) & vios_role_bit(node->role)) != 0;
}

static int mark_one(json_t *c, const vios_node *node)
{
	int in = vios_case_in_view(node, json_string_value(json_object_get(c, "origin")),
				   json_string_value(json_object_get(c, "roles")));

	if (!json_is_object(c))
		return 0;
	return json_object_set_new(c, "in_view", json_boolean(in)) == 0 ? 0 : vios_error_nomem();
}

int vios_case_view_mark(json_t *cases, const vios_node *node)
{
	size_t i;
	json_t *c;
	int error;

	assert(node != NULL);
	if (!json_is_array(cases))
		return mark_one(cases, node);
	json_array_foreach(cases, i, c)
		if ((error = mark_one(c, node)) < 0)
			return error;
	return 0;
}
