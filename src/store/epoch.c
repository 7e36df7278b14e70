/*
 * epoch.c - see epoch.h. The one reader and writer of the store's
 * epoch_key, epoch_zero and peer_epoch tables (schema/0013_epoch.sql).
 *
 * Invariants: epoch numbers of this node are 1, 2, ... with no gap; the
 * highest is the current one and has no ended_at; every other has ended_at
 * (the start of the next); a destroyed epoch has sk NULL and destroyed_at.
 * Epoch 0 (the identity's age key) has a row in epoch_zero from the moment
 * epoch 1 started. Secrets leave the store only into sodium memory.
 */
#include "store/epoch.h"
#include "crypto/age.h"
#include "store/ledger.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GRACE_SECONDS ((time_t)VIOS_EPOCH_GRACE_DAYS * 86400)

static int sqlerr(vios_store *st, int rc)
{
	return vios_store_error(st->db, rc, "keeping epoch keys");
}

/* "YYYY-MM-DDTHH:MM:SSZ" to seconds; -1 when it is not one. */
static time_t iso_time(const char *s)
{
	struct tm tm;
	char z = 0;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				&tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* 1 when the calendar month (UTC) of `since` has ended at now. */
static int month_ended(const char *since, time_t now)
{
	struct tm a, b;
	time_t t = iso_time(since);

	if (t < 0)
		return 1;
	gmtime_r(&t, &a);
	gmtime_r(&now, &b);
	return b.tm_year * 12 + b.tm_mon > a.tm_year * 12 + a.tm_mon;
}

/* The current epoch (0: none) and when it started. */
static int current(long long *n, char since[21], vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	*n = 0;
	if (since)
		since[0] = '\0';
	rc = sqlite3_prepare_v2(st->db, "SELECT n, started_at FROM epoch_key ORDER BY n DESC LIMIT 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(pStmt, 0);
		if (since)
			snprintf(since, 21, "%s", (const char *)sqlite3_column_text(pStmt, 1) ?: "");
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(pStmt);
	return sqlerr(st, rc);
}

/* Runs sql with one text (may be NULL) and one integer parameter. */
static int run(vios_store *st, const char *sql, const char *t, long long i)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(pStmt) >= 1)
		rc = t ? sqlite3_bind_text(pStmt, 1, t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(pStmt, 1);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(pStmt) >= 2)
		rc = sqlite3_bind_int64(pStmt, 2, i);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(pStmt);
	sqlite3_finalize(pStmt);
	return sqlerr(st, rc);
}

/* Starts epoch n (> cur) at now; ends cur (epoch 0: records its end). In the caller's tx. */
static int start_next(vios_store *st, long long cur, long long n, const char *now)
{
	uint8_t pk[32], *sk = NULL;
	sqlite3_stmt *pStmt = NULL;
	int rc, error;

	if ((sk = sodium_malloc(32)) == NULL)
		return vios_error_nomem();
	randombytes_buf(sk, 32);
	crypto_scalarmult_base(pk, sk);
	if (cur == 0)
		error = run(st, "INSERT OR IGNORE INTO epoch_zero(id, ended_at) VALUES (0, ?1)", now, 0);
	else
		error = run(st, "UPDATE epoch_key SET ended_at = ?1 WHERE n = ?2", now, cur);
	if (error < 0)
		goto done;
	rc = sqlite3_prepare_v2(st->db, "INSERT INTO epoch_key(n, pk, sk, started_at) VALUES (?1, ?2, ?3, ?4)", -1, &pStmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(pStmt, 1, n);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(pStmt, 2, pk, 32, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(pStmt, 3, sk, 32, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(pStmt, 4, now, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(pStmt);
	error = sqlerr(st, rc);
done:
	sqlite3_finalize(pStmt);
	sodium_free(sk);
	return error;
}

/* 1 when a verified bundle waits undecrypted (held): no key may go then. */
static int anything_held(int *out, vios_store *st)
{
	vios_ledger_counts c;
	int error;

	*out = 0;
	if ((error = vios_ledger_count(&c, st)) < 0)
		return error;
	*out = c.held > 0;
	return 0;
}

/* The ended epochs whose key lives (epoch 0's in identity.sec), as live.n;
 * and for each, when a later epoch was first announced (sealed into an own
 * bundle's header): the grace counts from then, not from the end, so a key
 * stays until partners could have learned of its successor. */
#define LIVE_ENDED                                                                                       \
	"(SELECT n FROM epoch_key WHERE sk IS NOT NULL AND ended_at IS NOT NULL"                         \
	" UNION ALL SELECT 0 FROM epoch_zero WHERE destroyed_at IS NULL) AS live"
#define SUCCESSOR_ANNOUNCED \
	"(SELECT min(x.announced_at) FROM epoch_key x WHERE x.n > live.n AND x.announced_at IS NOT NULL)"

/* Destroys every epoch whose grace passed at now (the rule in epoch.h). */
static int destroy_due(vios_epoch_report *rep, vios_store *st, time_t now, int *zero)
{
	sqlite3_stmt *pStmt = NULL;
	char nowiso[21];
	long long due[64];
	size_t ndue = 0;
	int rc, error, held;

	*zero = 0;
	if ((error = anything_held(&held, st)) < 0 || held) {
		if (rep)
			rep->held = held;
		return error;
	}

	vios_time_format(nowiso, now);
	rc = sqlite3_prepare_v2(st->db, "SELECT n, " SUCCESSOR_ANNOUNCED " FROM " LIVE_ENDED " ORDER BY 1", -1, &pStmt, NULL);
	for (; rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW; rc = SQLITE_OK) {
		time_t end = iso_time((const char *)sqlite3_column_text(pStmt, 1));
		if (end >= 0 && now >= end + GRACE_SECONDS && ndue < sizeof(due) / sizeof(due[0]))
			due[ndue++] = sqlite3_column_int64(pStmt, 0);
	}
	sqlite3_finalize(pStmt);
	if (rc != SQLITE_DONE)
		return sqlerr(st, rc);
	for (size_t i = 0; i < ndue; i++) {
		if (due[i] == 0) {
			error = run(st, "UPDATE epoch_zero SET destroyed_at = ?1", nowiso, 0);
			*zero = 1;
		} else {
			error = run(st, "UPDATE epoch_key SET sk = NULL, destroyed_at = ?1 WHERE n = ?2", nowiso, due[i]);
		}
		if (error < 0)
			return error;
		if (rep && rep->ndestroyed < sizeof(rep->destroyed) / sizeof(rep->destroyed[0]))
			rep->destroyed[rep->ndestroyed++] = due[i];
	}
	return 0;
}

int vios_epoch_maintain(vios_epoch_report *out, vios_store *st, int force)
{
	vios_epoch_report rep;
	long long cur;
	char since[21], now[21];
	time_t t = vios_now();
	int error, zero = 0;

	assert(st != NULL && st->db != NULL && st->node != NULL);
	memset(&rep, 0, sizeof(rep));
	vios_time_format(now, t);
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	if ((error = current(&cur, since, st)) < 0)
		goto done;
	/* epoch 0 (the identity's key) began when the node was made */
	if (force || month_ended(cur == 0 ? st->node->created : since, t)) {
		if ((error = start_next(st, cur, cur + 1, now)) < 0)
			goto done;
		rep.started = 1;
		cur++;
	}
	rep.current = cur;
	if ((error = destroy_due(&rep, st, t, &zero)) < 0)
		goto done;
	/* the store borrows the node the caller unlocked: epoch 0 lives in its identity.sec */
	if (zero && (error = vios_node_age_destroy((vios_node *)st->node)) < 0)
		goto done;
	{
		/* when the previous epoch goes: its end plus the grace */
		sqlite3_stmt *pStmt = NULL;
		int rc = sqlite3_prepare_v2(st->db, "SELECT max(a), count(*) - count(a) FROM (SELECT " SUCCESSOR_ANNOUNCED
					    " AS a FROM " LIVE_ENDED ")", -1, &pStmt, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
			time_t e = iso_time((const char *)sqlite3_column_text(pStmt, 0));
			rep.awaiting_announce = sqlite3_column_int64(pStmt, 1) > 0;
			if (e >= 0 && !rep.awaiting_announce)
				vios_time_format(rep.next_destroy, e + GRACE_SECONDS);
			rc = SQLITE_DONE;
		}
		sqlite3_finalize(pStmt);
		if ((error = sqlerr(st, rc)) < 0)
			goto done;
	}
	error = vios_store_tx_commit(st);
done:
	if (error < 0)
		vios_store_tx_rollback(st);
	else if (rep.ndestroyed > 0)
		/* secure_delete overwrote the pages; the WAL still holds copies */
		rep.wal_busy = vios_store_wal_truncate(st);
	if (out)
		*out = rep;
	return error;
}

int vios_epoch_resume(long long *started, vios_store *st, long long announced)
{
	long long cur;
	char now[21];
	int error;

	assert(started != NULL && st != NULL && st->node != NULL && announced >= 0);
	*started = 0;
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	if ((error = current(&cur, NULL, st)) < 0)
		goto done;
	if (announced > cur) {
		vios_now_iso(now);
		if ((error = start_next(st, cur, announced + 1, now)) < 0)
			goto done;
		*started = announced + 1;
	}
	error = vios_store_tx_commit(st);
done:
	if (error < 0) {
		vios_store_tx_rollback(st);
		*started = 0;
	}
	return error;
}

int vios_epoch_unpublished(vios_epoch_announcement *a, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(a != NULL && st != NULL);
	memset(a, 0, sizeof(*a));
	rc = sqlite3_prepare_v2(st->db, "SELECT n, pk, started_at FROM epoch_key WHERE published_seq IS NULL"
				" ORDER BY n DESC LIMIT 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(pStmt, 1) == 32) {
			a->n = sqlite3_column_int64(pStmt, 0);
			memcpy(a->pk, sqlite3_column_blob(pStmt, 1), 32);
			snprintf(a->since, sizeof(a->since), "%s", (const char *)sqlite3_column_text(pStmt, 2) ?: "");
		}
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(pStmt);
	return sqlerr(st, rc);
}

int vios_epoch_published(vios_store *st, long long n, long long seq)
{
	sqlite3_stmt *pStmt = NULL;
	char now[21];
	int rc;

	assert(st != NULL && n >= 1 && seq >= 1);
	vios_now_iso(now);
	/* an older epoch never announced is superseded by this one */
	rc = sqlite3_prepare_v2(st->db, "UPDATE epoch_key SET published_seq = ?2, announced_at = ?3"
				" WHERE n <= ?1 AND published_seq IS NULL", -1, &pStmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(pStmt, 1, n);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(pStmt, 2, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(pStmt, 3, now, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(pStmt);
	sqlite3_finalize(pStmt);
	return sqlerr(st, rc);
}

int vios_epoch_seal_pk(uint8_t out[32], vios_store *st, const char *node_id, const uint8_t registry_pk[32])
{
	sqlite3_stmt *pStmt = NULL;
	int rc, self;

	assert(out != NULL && st != NULL && st->node != NULL && node_id != NULL && registry_pk != NULL);
	memcpy(out, registry_pk, 32);
	self = !strcmp(node_id, st->node->node_id);
	rc = sqlite3_prepare_v2(st->db, self ? "SELECT pk FROM epoch_key ORDER BY n DESC LIMIT 1"
					     : "SELECT recipient FROM peer_epoch WHERE node_id = ?1 ORDER BY n DESC LIMIT 1",
				-1, &pStmt, NULL);
	if (rc == SQLITE_OK && !self)
		rc = sqlite3_bind_text(pStmt, 1, node_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(pStmt, 0) == 32)
			memcpy(out, sqlite3_column_blob(pStmt, 0), 32);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(pStmt);
	return sqlerr(st, rc);
}

int vios_epoch_record(vios_store *st, const char *sender, long long seq, const vios_epoch_announcement *a)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(st != NULL && st->node != NULL && sender != NULL && a != NULL);
	if (a->n < 1 || !strcmp(sender, st->node->node_id))
		return 0;
	rc = sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO peer_epoch(node_id, n, recipient, since, seq)"
				" VALUES (?1, ?2, ?3, ?4, ?5)", -1, &pStmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(pStmt, 1, sender, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(pStmt, 2, a->n);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(pStmt, 3, a->pk, 32, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(pStmt, 4, a->since, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(pStmt, 5, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(pStmt);
	sqlite3_finalize(pStmt);
	return sqlerr(st, rc);
}

void vios_epoch_keys_free(uint8_t **ids, size_t n)
{
	(void)n;
	if (ids == NULL)
		return;
	sodium_free(ids[0]); /* the block (NULL when no key) */
	free(ids);
}

int vios_epoch_keys(uint8_t ***ids, size_t *n, size_t *destroyed, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	uint8_t **v = NULL, *block = NULL;
	size_t cap = 0, k = 0, gone = 0;
	int rc, error;

	assert(ids != NULL && n != NULL && st != NULL && st->node != NULL);
	*ids = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT count(*), sum(sk IS NULL) FROM epoch_key", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		cap = (size_t)sqlite3_column_int64(pStmt, 0) + 1;
		gone = (size_t)sqlite3_column_int64(pStmt, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(pStmt);
	pStmt = NULL;
	if ((error = sqlerr(st, rc)) < 0)
		return error;
	if (st->node->age_sk == NULL)
		gone++;
	if ((v = calloc(cap, sizeof(*v))) == NULL || (block = sodium_malloc(cap * 32)) == NULL) {
		free(v);
		return vios_error_nomem();
	}
	rc = sqlite3_prepare_v2(st->db, "SELECT sk FROM epoch_key WHERE sk IS NOT NULL ORDER BY n DESC", -1, &pStmt, NULL);
	for (; rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW; rc = SQLITE_OK)
		if (sqlite3_column_bytes(pStmt, 0) == 32 && k < cap) {
			memcpy(block + 32 * k, sqlite3_column_blob(pStmt, 0), 32);
			v[k] = block + 32 * k;
			k++;
		}
	sqlite3_finalize(pStmt);
	if ((error = sqlerr(st, rc)) < 0) {
		sodium_free(block);
		free(v);
		return error;
	}
	if (st->node->age_sk != NULL && k < cap) {
		memcpy(block + 32 * k, st->node->age_sk, 32);
		v[k] = block + 32 * k;
		k++;
	}
	if (k == 0) {
		/* keep the block reachable for vios_epoch_keys_free */
		v[0] = NULL;
		sodium_free(block);
	}
	*ids = v;
	*n = k;
	if (destroyed)
		*destroyed = gone;
	return 0;
}

int vios_epoch_list(json_t **out, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	json_t *a = json_array(), *o;
	char rcpt[100];
	int rc;

	assert(out != NULL && st != NULL && st->node != NULL);
	*out = NULL;
	if (a == NULL)
		return vios_error_nomem();
	rc = sqlite3_prepare_v2(st->db, "SELECT 0, NULL, NULL, ended_at, destroyed_at, NULL FROM epoch_zero"
				" UNION ALL SELECT n, pk, started_at, ended_at, destroyed_at, published_seq FROM epoch_key ORDER BY 1",
				-1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) != SQLITE_ROW) {
		/* no epoch started yet: epoch 0 alone, live */
		if (vios_age_recipient_format(rcpt, sizeof(rcpt), st->node->age_pk) == 0)
			json_array_append_new(a, json_pack("{s:I, s:s, s:n, s:n, s:n, s:n}", "n", (json_int_t)0, "recipient", rcpt,
							   "started", "ended", "destroyed", "published_seq"));
	}
	for (; rc == SQLITE_ROW; rc = sqlite3_step(pStmt)) {
		long long n = sqlite3_column_int64(pStmt, 0);
		const uint8_t *pk = n == 0 ? st->node->age_pk : sqlite3_column_blob(pStmt, 1);
		const char *s[3];
		if (pk == NULL || (n > 0 && sqlite3_column_bytes(pStmt, 1) != 32) ||
		    vios_age_recipient_format(rcpt, sizeof(rcpt), pk) < 0)
			continue;
		for (int i = 0; i < 3; i++)
			s[i] = (const char *)sqlite3_column_text(pStmt, 2 + i);
		o = json_pack("{s:I, s:s, s:o, s:o, s:o, s:o}", "n", (json_int_t)n, "recipient", rcpt, "started",
			      s[0] ? json_string(s[0]) : json_null(), "ended", s[1] ? json_string(s[1]) : json_null(),
			      "destroyed", s[2] ? json_string(s[2]) : json_null(), "published_seq",
			      sqlite3_column_type(pStmt, 5) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(pStmt, 5)));
		if (o == NULL || json_array_append_new(a, o) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(pStmt);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return sqlerr(st, rc);
	}
	*out = a;
	return 0;
}

int vios_epoch_node_load(vios_node *node, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	vios_node_epoch *v = NULL;
	size_t cap = 0, k = 0;
	int rc, error;

	assert(node != NULL && st != NULL && st->node == node);
	rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM epoch_key WHERE sk IS NOT NULL", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		cap = (size_t)sqlite3_column_int64(pStmt, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(pStmt);
	pStmt = NULL;
	if ((error = sqlerr(st, rc)) < 0)
		return error;
	if (cap > 0 && (v = sodium_malloc(cap * sizeof(*v))) == NULL)
		return vios_error_nomem();
	rc = sqlite3_prepare_v2(st->db, "SELECT n, sk, started_at, ended_at FROM epoch_key WHERE sk IS NOT NULL ORDER BY n",
				-1, &pStmt, NULL);
	for (; rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW; rc = SQLITE_OK) {
		if (k >= cap || sqlite3_column_bytes(pStmt, 1) != 32)
			continue;
		memset(&v[k], 0, sizeof(v[k]));
		v[k].n = sqlite3_column_int64(pStmt, 0);
		memcpy(v[k].sk, sqlite3_column_blob(pStmt, 1), 32);
		snprintf(v[k].started_at, sizeof(v[k].started_at), "%s", (const char *)sqlite3_column_text(pStmt, 2) ?: "");
		snprintf(v[k].ended_at, sizeof(v[k].ended_at), "%s", (const char *)sqlite3_column_text(pStmt, 3) ?: "");
		k++;
	}
	sqlite3_finalize(pStmt);
	if ((error = sqlerr(st, rc)) < 0) {
		sodium_free(v);
		return error;
	}
	sodium_free(node->epochs);
	node->epochs = v;
	node->nepochs = k;
	return 0;
}

int vios_epoch_install(vios_store *st)
{
	const vios_node *node;
	sqlite3_stmt *pStmt = NULL;
	int rc = SQLITE_OK, error;

	assert(st != NULL && st->node != NULL);
	node = st->node;
	if (node->nepochs == 0)
		return 0;
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	/* epoch 0 ended when the first epoch the backup holds started (or earlier) */
	if ((error = run(st, "INSERT OR IGNORE INTO epoch_zero(id, ended_at) VALUES (0, ?1)", node->epochs[0].started_at, 0)) < 0 ||
	    (node->age_sk == NULL && (error = run(st, "UPDATE epoch_zero SET destroyed_at = ?1", node->epochs[0].started_at, 0)) < 0))
		goto done;
	rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO epoch_key(n, pk, sk, started_at, ended_at) VALUES (?1, ?2, ?3, ?4, ?5)",
				-1, &pStmt, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < node->nepochs; i++) {
		const vios_node_epoch *e = &node->epochs[i];
		uint8_t pk[32];
		crypto_scalarmult_base(pk, e->sk);
		sqlite3_reset(pStmt);
		if ((rc = sqlite3_bind_int64(pStmt, 1, e->n)) == SQLITE_OK &&
		    (rc = sqlite3_bind_blob(pStmt, 2, pk, 32, SQLITE_TRANSIENT)) == SQLITE_OK &&
		    (rc = sqlite3_bind_blob(pStmt, 3, e->sk, 32, SQLITE_STATIC)) == SQLITE_OK &&
		    (rc = sqlite3_bind_text(pStmt, 4, e->started_at, -1, SQLITE_STATIC)) == SQLITE_OK &&
		    (rc = e->ended_at[0] ? sqlite3_bind_text(pStmt, 5, e->ended_at, -1, SQLITE_STATIC) : sqlite3_bind_null(pStmt, 5)) == SQLITE_OK &&
		    (rc = sqlite3_step(pStmt)) == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(pStmt);
	if ((error = sqlerr(st, rc)) < 0)
		goto done;
	error = vios_store_tx_commit(st);
done:
	if (error < 0)
		vios_store_tx_rollback(st);
	return error;
}
