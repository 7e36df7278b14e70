/*
 * ledger.c - see ledger.h. One statement per function, prepared, bound,
 * stepped and finalised in place; errors through vios_store_error with the
 * words the callers used before the tables had one owner.
 */
#include "store/ledger.h"
#include "util/error.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies a hash column into hash[65]. */
static void hash_col(char hash[65], sqlite3_stmt *pStmt, int i)
{
	snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(pStmt, i) ?: "");
}

/* Runs zSql with sender (?1) and seq (?2) bound; reads the first column as a hash. */
static int hash_lookup(char hash[65], vios_store *st, const char *zSql, const char *sender, long long seq,
		       const char *what)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error;

	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, sender, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 2, seq);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW)
			hash_col(hash, pStmt, 0);
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, what)) < 0)
		return error;
	return rc == SQLITE_ROW ? 0 : VIOS_ENOTFOUND;
}

/* Binds texts to ?1..?n (a NULL text binds ints[i]) and the blob, when given, to ?n+1; steps once. */
static int exec_bind(vios_store *st, const char *zSql, const char *what, int n, const char *const *texts,
		     const long long *ints, const uint8_t *blob, size_t bloblen)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	for (int i = 0; rc == SQLITE_OK && i < n; i++) {
		if (texts[i])
			sqlite3_bind_text(pStmt, i + 1, texts[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(pStmt, i + 1, ints[i]);
	}
	if (rc == SQLITE_OK && blob)
		sqlite3_bind_blob(pStmt, n + 1, blob, (int)bloblen, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(pStmt);
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, what);
}

/* ---- peer -------------------------------------------------------------------- */

int vios_ledger_peer_get(long long *last, char hash[65], vios_store *st, const char *node)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(last != NULL && hash != NULL && st != NULL && node != NULL);
	*last = 0;
	hash[0] = '\0';
	rc = sqlite3_prepare_v2(st->db, "SELECT last_seq, last_hash FROM peer WHERE node_id = ?", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, node, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
			*last = sqlite3_column_int64(pStmt, 0);
			hash_col(hash, pStmt, 1);
		}
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading a sender's chain");
}

int vios_ledger_peer_set(vios_store *st, const char *node, long long seq, const char *hash)
{
	const char *t[] = { node, NULL, hash };
	long long iv[] = { 0, seq, 0 };

	assert(st != NULL && node != NULL && hash != NULL);
	return exec_bind(st, "INSERT INTO peer(node_id, last_seq, last_hash) VALUES (?1, ?2, ?3)"
			     " ON CONFLICT(node_id) DO UPDATE SET last_seq = ?2, last_hash = ?3",
			 "recording the sender's chain", 3, t, iv, NULL, 0);
}

/* ---- bundle_seen ------------------------------------------------------------- */

int vios_ledger_seen_get(char hash[65], vios_store *st, const char *sender, long long seq)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error;

	assert(hash != NULL && st != NULL && st->node != NULL && sender != NULL);
	rc = sqlite3_prepare_v2(st->db, "SELECT hash FROM bundle_seen WHERE sender = ? AND seq = ?"
					" UNION ALL SELECT hash FROM outbox WHERE ? = ? AND seq = ?", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, sender, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 2, seq);
		sqlite3_bind_text(pStmt, 3, sender, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 4, st->node->node_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 5, seq);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW)
			hash_col(hash, pStmt, 0);
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading the bundles seen")) < 0)
		return error;
	return rc == SQLITE_ROW ? 0 : VIOS_ENOTFOUND;
}

int vios_ledger_seen_add(vios_store *st, const char *sender, long long seq, const char *hash,
			 const char *status, const char *header, const char *seen_at)
{
	const char *t[] = { sender, NULL, hash, status, header, seen_at };
	long long iv[] = { 0, seq, 0, 0, 0, 0 };

	assert(st != NULL && sender != NULL && hash != NULL && status != NULL && header != NULL && seen_at != NULL);
	return exec_bind(st, "INSERT INTO bundle_seen(sender, seq, hash, status, header, seen_at)"
			     " VALUES (?, ?, ?, ?, ?, ?)", "recording the bundle", 6, t, iv, NULL, 0);
}

/* ---- held -------------------------------------------------------------------- */

int vios_ledger_held_hash(char hash[65], vios_store *st, const char *sender, long long seq)
{
	assert(hash != NULL && st != NULL && sender != NULL);
	return hash_lookup(hash, st, "SELECT hash FROM held WHERE sender = ? AND seq = ?", sender, seq,
			   "reading held bundles");
}

int vios_ledger_held_get(uint8_t **age, size_t *agelen, char **sig, vios_store *st, const char *sender,
			 long long seq)
{
	sqlite3_stmt *pStmt = NULL;
	uint8_t *a = NULL;
	char *s = NULL;
	size_t alen = 0;
	int rc, error, found = 0;

	assert(age != NULL && agelen != NULL && sig != NULL && st != NULL && sender != NULL);
	*age = NULL;
	*sig = NULL;
	*agelen = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT age, sig FROM held WHERE sender = ? AND seq = ?", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, sender, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 2, seq);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
			found = 1;
			alen = (size_t)sqlite3_column_bytes(pStmt, 0);
			a = malloc(alen + 1);
			s = strdup((const char *)sqlite3_column_text(pStmt, 1) ?: "");
			if (a == NULL || s == NULL)
				rc = SQLITE_NOMEM;
			else if (alen)
				memcpy(a, sqlite3_column_blob(pStmt, 0), alen);
		}
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading held bundles")) < 0 || !found) {
		free(a);
		free(s);
		return error < 0 ? error : VIOS_ENOTFOUND;
	}
	*age = a;
	*agelen = alen;
	*sig = s;
	return 0;
}

int vios_ledger_held_put(vios_store *st, const char *sender, long long seq, const char *hash, const char *sig,
			 const char *held_at, const uint8_t *age, size_t agelen)
{
	const char *t[] = { sender, NULL, hash, sig, held_at };
	long long iv[] = { 0, seq, 0, 0, 0 };

	assert(st != NULL && sender != NULL && hash != NULL && sig != NULL && held_at != NULL && age != NULL);
	return exec_bind(st, "INSERT INTO held(sender, seq, hash, sig, held_at, age) VALUES (?, ?, ?, ?, ?, ?)",
			 "holding the bundle", 5, t, iv, age, agelen);
}

int vios_ledger_quarantine_put(vios_store *st, const char *sender, long long seq, const char *hash, const char *sig,
			       const char *held_at, const uint8_t *age, size_t agelen, const char *reason)
{
	const char *t[] = { sender, NULL, hash, sig, held_at, reason };
	long long iv[] = { 0, seq, 0, 0, 0, 0 };

	assert(st != NULL && sender != NULL && hash != NULL && sig != NULL && held_at != NULL && age != NULL);
	assert(reason != NULL);
	return exec_bind(st, "INSERT OR REPLACE INTO held(sender, seq, hash, sig, held_at, quarantined, age)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?)", "quarantining the bundle", 6, t, iv, age, agelen);
}

int vios_ledger_quarantined_get(char *reason, size_t len, vios_store *st, const char *sender, long long seq,
				const char *hash)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error;

	assert(reason != NULL && len > 0 && st != NULL && sender != NULL && hash != NULL);
	reason[0] = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT quarantined FROM held WHERE sender = ?1 AND seq = ?2 AND hash = ?3"
				" AND quarantined IS NOT NULL", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, sender, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pStmt, 2, seq);
		sqlite3_bind_text(pStmt, 3, hash, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW)
			snprintf(reason, len, "%s", (const char *)sqlite3_column_text(pStmt, 0));
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading quarantined bundles")) < 0)
		return error;
	return rc == SQLITE_ROW ? 0 : VIOS_ENOTFOUND;
}

int vios_ledger_held_delete(vios_store *st, const char *sender, long long seq)
{
	const char *t[] = { sender, NULL };
	long long iv[] = { 0, seq };

	assert(st != NULL && sender != NULL);
	return exec_bind(st, "DELETE FROM held WHERE sender = ? AND seq = ?", "releasing a held bundle", 2, t, iv,
			 NULL, 0);
}

int vios_ledger_held_list(vios_ledger_held_group **out, size_t *n, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	vios_ledger_held_group *g = NULL;
	size_t count = 0, cap = 0;
	int rc, error;

	assert(out != NULL && n != NULL && st != NULL);
	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT sender, min(seq) AS seq, count(*) AS n, (SELECT q.seq || ': ' || q.quarantined FROM held q"
				" WHERE q.sender = held.sender AND q.quarantined IS NOT NULL ORDER BY q.seq LIMIT 1)"
				" FROM held GROUP BY sender", -1,
				&pStmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		if (count == cap) {
			vios_ledger_held_group *ng = realloc(g, (cap = cap ? cap * 2 : 8) * sizeof(*g));
			if (ng == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			g = ng;
		}
		snprintf(g[count].sender, sizeof(g[count].sender), "%s",
			 (const char *)sqlite3_column_text(pStmt, 0) ?: "");
		g[count].first_seq = sqlite3_column_int64(pStmt, 1);
		g[count].n = (size_t)sqlite3_column_int64(pStmt, 2);
		snprintf(g[count].quarantined, sizeof(g[count].quarantined), "%s",
			 (const char *)sqlite3_column_text(pStmt, 3) ?: "");
		count++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading held bundles")) < 0) {
		free(g);
		return error;
	}
	*out = g;
	*n = count;
	return 0;
}

/* ---- outbox ------------------------------------------------------------------ */

int vios_ledger_outbox_last(long long *seq, char hash[65], vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(seq != NULL && hash != NULL && st != NULL);
	*seq = 0;
	hash[0] = '\0';
	rc = sqlite3_prepare_v2(st->db, "SELECT seq, hash FROM outbox ORDER BY seq DESC LIMIT 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(pStmt, 0);
		hash_col(hash, pStmt, 1);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading the outbox");
}

int vios_ledger_outbox_add(vios_store *st, long long seq, const char *hash, const char *header, const char *sig,
			   const char *created_at, const uint8_t *age, size_t agelen)
{
	const char *t[] = { NULL, hash, header, sig, created_at };
	long long iv[] = { seq, 0, 0, 0, 0 };

	assert(st != NULL && hash != NULL && header != NULL && sig != NULL && created_at != NULL && age != NULL);
	return exec_bind(st, "INSERT INTO outbox(seq, hash, header, sig, created_at, age) VALUES (?, ?, ?, ?, ?, ?)",
			 "sealing the bundle", 5, t, iv, age, agelen);
}

void vios_ledger_outbox_entry_dispose(vios_ledger_outbox_entry *e)
{
	if (e == NULL)
		return;
	free(e->age);
	free(e->sig);
	free(e->header);
	memset(e, 0, sizeof(*e));
}

int vios_ledger_outbox_next_uncommitted(vios_ledger_outbox_entry *out, vios_store *st, long long after)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error, have = 0;

	assert(out != NULL && st != NULL);
	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(st->db, "SELECT seq, age, sig, header FROM outbox WHERE committed = 0 AND seq > ?1"
				" ORDER BY seq LIMIT 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_int64(pStmt, 1, after);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		have = 1;
		out->seq = sqlite3_column_int64(pStmt, 0);
		out->agelen = (size_t)sqlite3_column_bytes(pStmt, 1);
		out->age = malloc(out->agelen + 1);
		out->sig = strdup((const char *)sqlite3_column_text(pStmt, 2) ?: "");
		out->header = strdup((const char *)sqlite3_column_text(pStmt, 3) ?: "");
		if (!out->age || !out->sig || !out->header)
			rc = SQLITE_NOMEM;
		else if (out->agelen)
			memcpy(out->age, sqlite3_column_blob(pStmt, 1), out->agelen);
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "reading the outbox")) < 0 || !have) {
		vios_ledger_outbox_entry_dispose(out);
		return error < 0 ? error : VIOS_ENOTFOUND;
	}
	return 0;
}

int vios_ledger_outbox_mark_committed(vios_store *st, long long seq)
{
	return vios_ledger_outbox_mark_committed_range(st, seq, seq);
}

int vios_ledger_outbox_mark_committed_range(vios_store *st, long long from, long long to)
{
	const char *t[] = { NULL, NULL };
	long long iv[] = { from, to };

	assert(st != NULL && from <= to);
	return exec_bind(st, "UPDATE outbox SET committed = 1, age = NULL, sig = NULL WHERE seq BETWEEN ? AND ?"
			 " AND committed = 0", "recording the commit", 2, t, iv, NULL, 0);
}

int vios_ledger_outbox_committed_max(long long *out, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(out != NULL && st != NULL);
	*out = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT coalesce(max(seq), 0) FROM outbox WHERE committed = 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		*out = sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading the outbox");
}

int vios_ledger_outbox_mark_pushed(size_t *changed, vios_store *st, long long up_to)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(changed != NULL && st != NULL);
	*changed = 0;
	rc = sqlite3_prepare_v2(st->db, "UPDATE outbox SET pushed = 1 WHERE pushed = 0 AND seq <= ?", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(pStmt, 1, up_to);
		rc = sqlite3_step(pStmt);
		*changed = (size_t)sqlite3_changes(st->db);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "recording the push");
}

int vios_ledger_count(vios_ledger_counts *out, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(out != NULL && st != NULL);
	memset(out, 0, sizeof(*out));
	rc = sqlite3_prepare_v2(st->db, "SELECT (SELECT count(*) FROM outbox WHERE pushed = 0),"
					" (SELECT count(*) FROM outbox), (SELECT count(*) FROM held)", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		out->unpushed = (size_t)sqlite3_column_int64(pStmt, 0);
		out->sealed = (size_t)sqlite3_column_int64(pStmt, 1);
		out->held = (size_t)sqlite3_column_int64(pStmt, 2);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading the outbox");
}
