/*
 * erase.c - erasure of a pupil, the cascade, and the retention rules
 * (docs/lifecycle.md).
 *
 * Two kinds of delete live here:
 *   - captured: the owning school's erase deletes the rows it owns inside a
 *     vios_store_tx_begin transaction, so the mandate judges them and their
 *     tombstones (table and id, nothing else) go to every node that
 *     received the rows;
 *   - local: crdt_local_delete deletes a row on this node only, with a local
 *     tombstone of clock 0 and node "" (so a set that arrives later is
 *     ignored, and a real tombstone arriving later raises it; retention's
 *     delete of a pupil left with nothing is marked instead, see
 *     crdt_local_delete in internal.h). Local tombstones are not in the digest (digest.c): whether a node held a row
 *     it then deleted locally must not make digests differ.
 *
 * The cascade is a function of the rows and tombstones held: every row whose
 * pupil_id names a deleted pupil, case_id a deleted case or meeting_id a
 * deleted meeting is deleted locally, until none is left. It runs after the
 * local erase, after every merge that deleted something or wrote a
 * reference (merge.c), and in every retention run, so every node that holds
 * the same ops ends with the same rows whatever the order of delivery.
 *
 * Nothing here carries personal data into an op, a message or the log:
 * ids, table names, counts and the person's reason (the access log only).
 */
#include "crdt/internal.h"
#include "store/directory.h"
#include "store/records.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(CRDT_NTABLES <= VIOS_CRDT_TABLES_MAX, "vios_crdt_erased holds every synced table");

#define T_PUPIL 0
#define T_SIGNAL 1
#define T_TREND 2
#define T_MEETING 3
#define T_CASE 4
#define T_AGREEMENT 5

/* "In the comma list": a case's signals column names the signal (as store/records.c). */
#define LISTS_SIGNAL VIOS_SQL_LISTS_SIGNAL

/* A row to delete: its table, id and owner. */
typedef struct {
	int t;
	char id[37];
	char origin[37];
	const char *why; /* retention: what the access log says */
} victim;

typedef struct {
	victim *v;
	size_t n, cap;
} victims;

static int victims_add(victims *l, int t, const char *id, const char *origin, const char *why)
{
	if (id == NULL || strlen(id) > 36)
		return 0; /* not a UUID: never made by capture nor accepted by a merge */
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].t == t && !strcmp(l->v[i].id, id))
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		victim *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return vios_error_nomem();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].t = t;
	snprintf(l->v[l->n].id, sizeof(l->v[0].id), "%s", id);
	snprintf(l->v[l->n].origin, sizeof(l->v[0].origin), "%s", origin ? origin : "");
	l->v[l->n].why = why;
	l->n++;
	return 0;
}

/* Appends the rows zSql selects (id, and origin as column 1 when it has
 * two columns) as rows of table t; params bound as text ?1, ?2 .. */
static int victims_query(victims *l, vios_store *st, int t, const char *zSql, const char *const *params,
			 int nparam, const char *why)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error = 0;

	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	for (int i = 0; rc == SQLITE_OK && i < nparam; i++)
		rc = sqlite3_bind_text(pStmt, i + 1, params[i], -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = SQLITE_ROW;
	while (rc == SQLITE_ROW && error == 0 && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		error = victims_add(l, t, (const char *)sqlite3_column_text(pStmt, 0),
				    sqlite3_column_count(pStmt) > 1 ? (const char *)sqlite3_column_text(pStmt, 1) : NULL,
				    why);
	sqlite3_finalize(pStmt);
	if (error < 0)
		return error;
	return vios_store_error(st->db, rc, "finding what to erase");
}

/* Runs zSql with one text parameter. */
static int run1(vios_store *st, const char *zSql, const char *p)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(pStmt, 1, p, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		rc = SQLITE_DONE;
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "erasing");
}

/* out: the time `shift` ("-N months") from now, as the store writes times. */
static int cutoff(char out[32], vios_store *st, const char *now, const char *shift)
{
	sqlite3_stmt *pStmt = NULL;
	char buf[32];
	int rc;

	snprintf(buf, sizeof(buf), "%s", shift);
	rc = sqlite3_prepare_v2(st->db, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ?1, ?2)", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 2, buf, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(pStmt, 0);
		if (v == NULL) {
			sqlite3_finalize(pStmt);
			vios_error_set(VIOS_ERR_STORE, "retention: the clock gives no date");
			return VIOS_ERROR;
		}
		snprintf(out, 32, "%s", v);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "computing the retention cut-off");
}

int crdt_local_delete(crdt_ctx *cx, const char *tbl, const char *pk, const char *mark, int *effect)
{
	vios_crdt_op op;

	assert(cx != NULL && tbl != NULL && pk != NULL && effect != NULL);
	memset(&op, 0, sizeof(op));
	op.kind = VIOS_OP_DELETE;
	op.hlc = 0; /* a local tombstone: any real one is greater and raises it */
	op.node = (char *)(mark ? mark : "");
	op.tbl = (char *)tbl;
	op.pk = (char *)pk;
	return crdt_merge_delete(cx, &op, NULL, 0, 0, effect);
}

/* Deletes every victim locally; counts[t] (counts may be NULL) and *done
 * (may be NULL) grow by the rows deleted. */
static int delete_local(crdt_ctx *cx, const victims *l, const char *mark, size_t counts[CRDT_NTABLES], size_t *done)
{
	for (size_t i = 0; i < l->n; i++) {
		int effect = 0, error;
		if ((error = crdt_local_delete(cx, crdt_tables[l->v[i].t].name, l->v[i].id, mark, &effect)) < 0)
			return error;
		if (effect && counts)
			counts[l->v[i].t]++;
		if (effect && done)
			(*done)++;
	}
	return 0;
}

/* the deleted rows of tbl that make their children go: every tombstone but
 * retention's of a pupil left with nothing (CRDT_MARK_RETENTION) */
#define TOMBS(tbl) "(SELECT pk FROM crdt_tombstone WHERE tbl = '" tbl "' AND node <> '" CRDT_MARK_RETENTION "')"

int crdt_cascade(crdt_ctx *cx, size_t counts[CRDT_NTABLES])
{
	/* children of a deleted row, each query ordered by id */
	static const struct {
		int t;
		const char *sql;
	} rules[] = {
		{ T_SIGNAL, "SELECT id FROM signal WHERE pupil_id IN " TOMBS("pupil")
			    " UNION SELECT pk FROM crdt_ref WHERE tbl = 'signal' AND col = 'pupil_id' AND ref IN "
			    TOMBS("pupil") " ORDER BY 1" },
		{ T_CASE, "SELECT id FROM case_file WHERE pupil_id IN " TOMBS("pupil")
			  " UNION SELECT pk FROM crdt_ref WHERE tbl = 'case_file' AND col = 'pupil_id' AND ref IN "
			  TOMBS("pupil") " ORDER BY 1" },
		{ T_MEETING, "SELECT id FROM meeting WHERE case_id IN " TOMBS("case_file")
			     " UNION SELECT pk FROM crdt_ref WHERE tbl = 'meeting' AND col = 'case_id' AND ref IN "
			     TOMBS("case_file") " ORDER BY 1" },
		{ T_AGREEMENT, "SELECT id FROM agreement WHERE case_id IN " TOMBS("case_file")
			       " UNION SELECT id FROM agreement WHERE meeting_id IN " TOMBS("meeting")
			       " UNION SELECT pk FROM crdt_ref WHERE tbl = 'agreement' AND col = 'case_id' AND ref IN "
			       TOMBS("case_file")
			       " UNION SELECT pk FROM crdt_ref WHERE tbl = 'agreement' AND col = 'meeting_id' AND ref IN "
			       TOMBS("meeting") " ORDER BY 1" },
	};
	size_t found;
	int error = 0;

	assert(cx != NULL && cx->st != NULL);
	/* a case deleted makes its meetings go, a meeting its agreements: until none is left */
	do {
		victims l = { 0 };
		for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]) && error == 0; r++)
			error = victims_query(&l, cx->st, rules[r].t, rules[r].sql, NULL, 0, NULL);
		found = 0;
		if (error == 0)
			error = delete_local(cx, &l, NULL, counts, &found);
		free(l.v);
	} while (error == 0 && found > 0);
	return error;
}

static void erased_total(vios_crdt_erased *e, const size_t counts[CRDT_NTABLES])
{
	memset(e, 0, sizeof(*e));
	for (int t = 0; t < CRDT_NTABLES; t++) {
		e->n[t] = counts[t];
		e->total += counts[t];
	}
}

int vios_crdt_cascade(vios_crdt_erased *out, vios_store *st)
{
	size_t counts[CRDT_NTABLES] = { 0 };
	crdt_ctx cx;
	int error;

	assert(st != NULL && st->db != NULL);
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	crdt_ctx_init(&cx, st);
	error = crdt_cascade(&cx, counts);
	crdt_ctx_dispose(&cx);
	if (error == 0)
		error = vios_store_tx_commit(st);
	else
		vios_store_tx_rollback(st);
	if (error == 0 && out)
		erased_total(out, counts);
	return error;
}

/* ---- erasure ------------------------------------------------------------ */

/* The rows about pupil p, children first, the pupil last. */
static int pupil_rows(victims *l, vios_store *st, const char *p)
{
	const char *params[] = { p };
#define CASES "(SELECT id FROM case_file WHERE pupil_id = ?1)"
	int error;

	if ((error = victims_query(l, st, T_AGREEMENT,
				   "SELECT id, origin FROM agreement WHERE case_id IN " CASES
				   " OR meeting_id IN (SELECT id FROM meeting WHERE case_id IN " CASES ") ORDER BY id",
				   params, 1, NULL)) < 0 ||
	    (error = victims_query(l, st, T_MEETING,
				   "SELECT id, origin FROM meeting WHERE case_id IN " CASES " ORDER BY id", params, 1,
				   NULL)) < 0 ||
	    /* its signals, and those without a pupil that only its cases list (their
	     * note may describe it) */
	    (error = victims_query(l, st, T_SIGNAL,
				   "SELECT s.id, s.origin FROM signal s WHERE " VIOS_SQL_SIGNAL_ABOUT("s", "?1")
				   " AND (s.pupil_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM case_file o WHERE"
				   " o.pupil_id IS NOT ?1 AND " LISTS_SIGNAL("o.signals", "s.id") ")) ORDER BY s.id",
				   params, 1, NULL)) < 0 ||
	    (error = victims_query(l, st, T_CASE, "SELECT id, origin FROM case_file WHERE pupil_id = ?1 ORDER BY id",
				   params, 1, NULL)) < 0)
		return error;
#undef CASES
	return victims_query(l, st, T_PUPIL, "SELECT id, origin FROM pupil WHERE id = ?1", params, 1, NULL);
}

/* Refuses anyone but the pupil's owner, in words a person can act on. */
static int owner_check(vios_store *st, const char *p, const char *origin)
{
	vios_reg_node reg;
	const char *name = origin;

	if (!strcmp(origin, st->node->node_id))
		return 0;
	if (vios_store_reg_node_get(&reg, st, origin) == 0)
		name = reg.name;
	vios_error_set(VIOS_ERR_INPUT, "mandate: only the owning school may erase pupil %s (%s recorded it);"
		       " nothing was erased", p, name);
	return VIOS_EDENIED;
}

int vios_crdt_erase_pupil(vios_crdt_erased *out, vios_store *st, const char *pupil_id, const char *reason)
{
	size_t counts[CRDT_NTABLES] = { 0 };
	victims l = { 0 };
	crdt_ctx cx;
	int error, open = 0, have_cx = 0, wal_busy = 0;

	assert(st != NULL && st->db != NULL && st->node != NULL && pupil_id != NULL);
	if (out)
		memset(out, 0, sizeof(*out));
	if (reason == NULL || reason[strspn(reason, " \t")] == 0) {
		vios_error_set(VIOS_ERR_INPUT, "an erasure needs a reason (--reason TEXT)");
		return VIOS_EUSAGE;
	}
	if (!vios_uuid_valid(pupil_id)) {
		vios_error_set(VIOS_ERR_INPUT, "no pupil with id %s", pupil_id);
		return VIOS_ENOTFOUND;
	}
	if ((error = vios_store_tx_begin(st)) < 0)
		return error;
	open = 1;
	if ((error = pupil_rows(&l, st, pupil_id)) < 0)
		goto done;
	if (l.n == 0 || l.v[l.n - 1].t != T_PUPIL) {
		vios_error_set(VIOS_ERR_INPUT, "no pupil with id %s", pupil_id);
		error = VIOS_ENOTFOUND;
		goto done;
	}
	if ((error = owner_check(st, pupil_id, l.v[l.n - 1].origin)) < 0)
		goto done;
	/* each row's category and roles before any of them goes: its tombstone's recipients */
	for (size_t i = 0; i < l.n; i++) {
		vios_crdt_category cat = VIOS_CAT_NONE;
		uint32_t roles = 0;
		int found = 0;
		if ((error = crdt_row_classify(st, l.v[i].t, l.v[i].id, &found, &cat, &roles)) < 0 ||
		    (found && (error = crdt_capture_snapshot(st, l.v[i].t, l.v[i].id, cat, roles)) < 0))
			goto done;
	}
	crdt_ctx_init(&cx, st);
	have_cx = 1;
	for (size_t i = 0; i < l.n; i++) {
		const victim *v = &l.v[i];
		if (!strcmp(v->origin, st->node->node_id)) {
			/* ours: captured, its tombstone goes to every node that has the row */
			char zSql[64];
			snprintf(zSql, sizeof(zSql), "DELETE FROM %s WHERE id = ?1", crdt_tables[v->t].name);
			if ((error = run1(st, zSql, v->id)) < 0)
				goto done;
			counts[v->t]++;
		} else {
			/* another node's row about the pupil: the cascade's local delete */
			int effect = 0;
			if ((error = crdt_capture_pause(st, 1)) < 0)
				goto done;
			error = crdt_local_delete(&cx, crdt_tables[v->t].name, v->id, NULL, &effect);
			if (error < 0) {
				crdt_capture_pause(st, 0);
				goto done;
			}
			if ((error = crdt_capture_pause(st, 0)) < 0)
				goto done;
			counts[v->t] += (size_t)effect;
		}
	}
	if ((error = vios_store_log(st, "erase", "pupil", pupil_id, reason)) < 0)
		goto done;
	crdt_ctx_dispose(&cx);
	have_cx = 0;
	open = 0;
	/* the commit captures the owned rows' deletes and runs the cascade over
	 * their tombstones in the same transaction (capture.c) */
	if ((error = vios_store_tx_commit(st)) < 0)
		goto done;
	wal_busy = vios_store_wal_truncate(st); /* docs/lifecycle.md */
done:
	if (have_cx)
		crdt_ctx_dispose(&cx);
	if (open)
		vios_store_tx_rollback(st);
	free(l.v);
	if (error == 0 && out) {
		erased_total(out, counts);
		out->wal_busy = wal_busy;
	}
	return error;
}

/* ---- retention ---------------------------------------------------------- */

/* A case held past its time: closed more than ?2 months before ?1. */
#define EXPIRED(c) "(" c ".closed_at IS NOT NULL AND " c ".closed_at < ?2)"
/* Signal s is in a case that stays: a case not expired lists it, or an open
 * case is about its pupil. */
#define IN_CASE_KEPT                                                                            \
	"EXISTS (SELECT 1 FROM case_file o WHERE NOT " EXPIRED("o") " AND (" LISTS_SIGNAL("o.signals", \
											 "s.id") \
	" OR (s.pupil_id IS NOT NULL AND o.pupil_id = s.pupil_id AND o.closed_at IS NULL)))"

int vios_crdt_retention(vios_crdt_erased *out, vios_store *st, long long theme_months, long long case_months)
{
	size_t counts[CRDT_NTABLES] = { 0 };
	victims l = { 0 }, pupils = { 0 };
	char now[21], tcut[32], ccut[32], why_case[80], why_seen[80], why_pupil[80], why_theme[80], zSql[600];
	const char *cp[2], *tp[2];
	crdt_ctx cx;
	int error, k, have_cx = 0;

	assert(st != NULL && st->db != NULL && st->node != NULL);
	if (out)
		memset(out, 0, sizeof(*out));
	if (theme_months < 1 || theme_months > 1200 || case_months < 1 || case_months > 1200) {
		vios_error_set(VIOS_ERR_INPUT, "retention: months must lie between 1 and 1200");
		return VIOS_EUSAGE;
	}
	vios_now_iso(now);
	snprintf(tcut, sizeof(tcut), "-%lld months", theme_months);
	snprintf(ccut, sizeof(ccut), "-%lld months", case_months);
	snprintf(why_case, sizeof(why_case), "retention: %lld months after the case closed", case_months);
	snprintf(why_seen, sizeof(why_seen), "retention: %lld months after the signal, in no case", case_months);
	snprintf(why_pupil, sizeof(why_pupil), "retention: %lld months after the pupil was recorded, nothing left",
		 case_months);
	snprintf(why_theme, sizeof(why_theme), "retention: %lld months (theme)", theme_months);
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	/* the cut-offs, as the store writes times */
	if ((error = cutoff(ccut, st, now, ccut)) < 0 || (error = cutoff(tcut, st, now, tcut)) < 0)
		goto done;
	cp[0] = now;
	cp[1] = ccut;
	tp[0] = now;
	tp[1] = tcut;

	/* case: closed cases past their time, and the signals only they held */
	if ((error = victims_query(&l, st, T_CASE, "SELECT c.id FROM case_file c WHERE " EXPIRED("c") " ORDER BY c.id",
				   cp, 2, why_case)) < 0 ||
	    (error = victims_query(&l, st, T_SIGNAL,
				   "SELECT s.id FROM signal s WHERE EXISTS (SELECT 1 FROM case_file c WHERE " EXPIRED("c")
				   " AND (" LISTS_SIGNAL("c.signals", "s.id")
				   " OR (s.pupil_id IS NOT NULL AND s.pupil_id = c.pupil_id"
				   " AND coalesce(s.seen_at, s.created_at) <= c.closed_at))) AND NOT " IN_CASE_KEPT
				   " ORDER BY s.id", cp, 2, why_case)) < 0 ||
	    /* case: a signal about a pupil, in no case, seen long ago */
	    (error = victims_query(&l, st, T_SIGNAL,
				   "SELECT s.id FROM signal s WHERE s.pupil_id IS NOT NULL"
				   " AND coalesce(s.seen_at, s.created_at) < ?2 AND NOT " IN_CASE_KEPT " ORDER BY s.id",
				   cp, 2, why_seen)) < 0)
		goto done;
	/* theme: trends, thematic meetings, signals known to have no pupil */
	if ((error = victims_query(&l, st, T_TREND, "SELECT r.id FROM trend AS r WHERE r.created_at < ?2 ORDER BY r.id",
				   tp, 2, why_theme)) < 0)
		goto done;
	k = snprintf(zSql, sizeof(zSql),
		     "SELECT r.id FROM meeting AS r WHERE coalesce((%s), 0) AND r.case_id IS NULL"
		     " AND coalesce(r.date, r.created_at) < ?2 ORDER BY r.id", crdt_tables[T_MEETING].theme_sql);
	assert(k > 0 && (size_t)k < sizeof(zSql)); /* fixed text */
	if ((error = victims_query(&l, st, T_MEETING, zSql, tp, 2, why_theme)) < 0)
		goto done;
	k = snprintf(zSql, sizeof(zSql),
		     "SELECT r.id FROM signal AS r WHERE coalesce((%s), 0)"
		     " AND coalesce(r.seen_at, r.created_at) < ?2 ORDER BY r.id", crdt_tables[T_SIGNAL].theme_sql);
	assert(k > 0 && (size_t)k < sizeof(zSql));
	(void)k;
	if ((error = victims_query(&l, st, T_SIGNAL, zSql, tp, 2, why_theme)) < 0)
		goto done;

	crdt_ctx_init(&cx, st);
	have_cx = 1;
	if ((error = delete_local(&cx, &l, NULL, counts, NULL)) < 0 || (error = crdt_cascade(&cx, counts)) < 0)
		goto done;
	/* case: a pupil with nothing left, recorded long ago (after the deletes above) */
	if ((error = victims_query(&pupils, st, T_PUPIL,
				   "SELECT p.id FROM pupil p WHERE p.created_at < ?2"
				   " AND NOT EXISTS (SELECT 1 FROM signal s WHERE s.pupil_id = p.id)"
				   " AND NOT EXISTS (SELECT 1 FROM case_file c WHERE c.pupil_id = p.id) ORDER BY p.id",
				   cp, 2, why_pupil)) < 0 ||
	    (error = delete_local(&cx, &pupils, CRDT_MARK_RETENTION, counts, NULL)) < 0)
		goto done;
	for (size_t i = 0; i < l.n + pupils.n; i++) {
		const victim *v = i < l.n ? &l.v[i] : &pupils.v[i - l.n];
		if ((error = vios_store_log(st, "erase", crdt_tables[v->t].name, v->id, v->why)) < 0)
			goto done;
	}
done:
	if (have_cx)
		crdt_ctx_dispose(&cx);
	if (error == 0)
		error = vios_store_tx_commit(st);
	else
		vios_store_tx_rollback(st);
	free(l.v);
	free(pupils.v);
	if (error == 0) {
		vios_crdt_erased e;
		erased_total(&e, counts);
		if (e.total > 0)
			e.wal_busy = vios_store_wal_truncate(st);
		if (out)
			*out = e;
	}
	return error;
}
