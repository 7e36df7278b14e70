/*
 * crdt.c - the synced tables' descriptions, values and ops, strict op
 * validation, and the statement cache the merge steps share.
 *
 * The column lists below must match the schema column for column, in the
 * order the migrations leave them (schema/0001_records.sql, then the columns
 * later migrations add at the end: case_file's police_info and care_info,
 * 0010, then its parents_informed and not_informed_reason, 0011; 0014's signal
 * closed_reason and closed_at, meeting discussed and planned, and case_file's
 * meldcode); 0015's school_figure, a table of its own appended at the end of
 * the digest order. Capture checks the count of every changeset table against them,
 * and tests/unit/test_crdt.c compares the names with the store's schema.
 */
#include "crdt/internal.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define T VIOS_VAL_TEXT
#define I VIOS_VAL_INT

static const crdt_col c_pupil[] = {
	{ "id", T }, { "origin", T }, { "name", T }, { "birth_date", T }, { "class", T },
	{ "local_id", T }, { "over16", I }, { "guardian_contact", T }, { "created_at", T },
};
static const crdt_col c_signal[] = {
	{ "id", T }, { "origin", T }, { "seen_at", T }, { "theme", T }, { "note", T },
	{ "source", T }, { "location", T }, { "severity", T }, { "pupil_id", T }, { "basis", T },
	{ "parents_informed", I }, { "not_informed_reason", T }, { "created_at", T },
	{ "closed_reason", T }, { "closed_at", T },
};
static const crdt_col c_trend[] = {
	{ "id", T }, { "origin", T }, { "theme", T }, { "period", T }, { "level", T },
	{ "note", T }, { "created_at", T },
};
static const crdt_col c_meeting[] = {
	{ "id", T }, { "origin", T }, { "kind", T }, { "date", T }, { "roles", T },
	{ "minutes", T }, { "case_id", T }, { "created_at", T }, { "discussed", T }, { "planned", I },
};
static const crdt_col c_case[] = {
	{ "id", T }, { "origin", T }, { "pupil_id", T }, { "signals", T }, { "roles", T },
	{ "lead_role", T }, { "status", T }, { "escalation_target", T }, { "basis", T },
	{ "opened_at", T }, { "closed_at", T }, { "police_info", T }, { "care_info", T },
	{ "parents_informed", I }, { "not_informed_reason", T },
	{ "meldcode", T },
};
static const crdt_col c_agreement[] = {
	{ "id", T }, { "origin", T }, { "case_id", T }, { "meeting_id", T }, { "owner_role", T },
	{ "action", T }, { "due_date", T }, { "status", T }, { "feedback", T }, { "done_at", T },
	{ "created_at", T },
};
static const crdt_col c_count[] = {
	{ "id", T }, { "origin", T }, { "month", T }, { "theme", T }, { "signals", I }, { "updated_at", T },
};
static const crdt_col c_figure[] = {
	{ "id", T }, { "origin", T }, { "month", T }, { "figure", T }, { "value", I }, { "n", I },
	{ "updated_at", T },
};

#undef T
#undef I

static const char *const n_pupil[] = { "origin", "name", "birth_date", "class", "local_id", "over16",
				       "guardian_contact", "created_at", NULL };
static const char *const n_signal[] = { "origin", "seen_at", "theme", "note", "source", "location",
					"severity", "pupil_id", "basis", "parents_informed",
					"not_informed_reason", "created_at", "closed_reason", "closed_at", NULL };
static const char *const n_trend[] = { "origin", "theme", "period", "level", "note", "created_at", NULL };
static const char *const n_meeting[] = { "origin", "kind", "date", "roles", "minutes", "case_id",
					 "created_at", "discussed", "planned", NULL };
static const char *const n_case[] = { "origin", "pupil_id", "signals", "roles", "lead_role", "status",
				      "escalation_target", "basis", "opened_at", "closed_at", "police_info",
				      "care_info", "parents_informed", "not_informed_reason", "meldcode", NULL };
static const char *const n_count[] = { "origin", "month", "theme", "signals", "updated_at", NULL };
static const char *const n_figure[] = { "origin", "month", "figure", "value", "n", "updated_at", NULL };
static const char *const n_agreement[] = { "origin", "case_id", "meeting_id", "owner_role", "action",
					   "due_date", "status", "feedback", "done_at", "created_at", NULL };

#define THEMATIC "('thematic', 'steering', 'evaluation')"
/* signal.pupil_id's index in c_signal: its bit in crdt_row.cols (a plain
 * cell, schema/0017); test_crdt checks it against the column list */
#define SIGNAL_PUPIL_COL "8"
#define CASE_ROLES(id) "(SELECT c.roles FROM case_file c WHERE c.id = " id ")"

#define N(a) ((int)(sizeof(a) / sizeof(a[0])))

/* A row's owner through a reference column: the origin of the record it names. */
#define ORIGIN_OF(tbl, col) "(SELECT o.origin FROM " tbl " o WHERE o.id = r." col ")"

/* Digest order. Never reorder: the digest of every store depends on it. */
const crdt_table crdt_tables[CRDT_NTABLES] = {
	{ "pupil", c_pupil, N(c_pupil), "0",
	  "(SELECT group_concat(c.roles) FROM case_file c WHERE c.pupil_id = r.id)", n_pupil, { "r.origin" } },
	{ "signal", c_signal, N(c_signal),
	  "r.pupil_id IS NULL AND (EXISTS (SELECT 1 FROM crdt_row k WHERE k.tbl = 'signal'"
	  " AND k.pk = r.id AND (k.cols >> " SIGNAL_PUPIL_COL ") & 1) OR EXISTS (SELECT 1"
	  " FROM crdt_cell k WHERE k.tbl = 'signal' AND k.pk = r.id AND k.col = 'pupil_id'))",
	  "(SELECT group_concat(c.roles) FROM case_file c WHERE c.pupil_id = r.pupil_id)", n_signal,
	  { "r.origin", ORIGIN_OF("pupil", "pupil_id") } },
	{ "trend", c_trend, N(c_trend), "1", "NULL", n_trend, { "r.origin" } },
	{ "meeting", c_meeting, N(c_meeting), "r.kind IN " THEMATIC,
	  "CASE WHEN r.case_id IS NOT NULL THEN " CASE_ROLES("r.case_id") " ELSE r.roles END", n_meeting,
	  { "r.origin", ORIGIN_OF("case_file", "case_id") } },
	{ "case_file", c_case, N(c_case), "0", "r.roles", n_case, { "r.origin" } },
	{ "agreement", c_agreement, N(c_agreement),
	  "r.case_id IS NULL AND r.meeting_id IS NOT NULL AND EXISTS (SELECT 1 FROM meeting m"
	  " WHERE m.id = r.meeting_id AND m.kind IN " THEMATIC ")",
	  "coalesce(r.owner_role, '') || ',' || coalesce(CASE WHEN r.case_id IS NOT NULL THEN "
	  CASE_ROLES("r.case_id") " ELSE (SELECT CASE WHEN m.case_id IS NOT NULL THEN "
	  CASE_ROLES("m.case_id") " ELSE m.roles END FROM meeting m WHERE m.id = r.meeting_id) END, '')",
	  n_agreement, { "r.origin", ORIGIN_OF("case_file", "case_id"), ORIGIN_OF("meeting", "meeting_id") } },
	/* a school's own figures: nobody owns them beyond the school */
	{ "signal_count", c_count, N(c_count), "1", "NULL", n_count, { NULL } },
	{ "school_figure", c_figure, N(c_figure), "1", "NULL", n_figure, { NULL } },
};

static const char *const table_names[] = { "pupil", "signal", "trend", "meeting", "case_file",
					   "agreement", "signal_count", "school_figure", NULL };

const char *const *vios_crdt_tables(void)
{
	return table_names;
}

int crdt_table_index(const char *name)
{
	if (name == NULL)
		return -1;
	for (int t = 0; t < CRDT_NTABLES; t++)
		if (!strcmp(crdt_tables[t].name, name))
			return t;
	return -1;
}

int crdt_col_index(const crdt_table *t, const char *col)
{
	assert(t != NULL);

	if (col == NULL)
		return -1;
	for (int c = 0; c < t->ncol; c++)
		if (!strcmp(t->cols[c].name, col))
			return c;
	return -1;
}

const char *const *vios_crdt_columns(const char *tbl)
{
	int t = crdt_table_index(tbl);
	return t < 0 ? NULL : crdt_tables[t].names;
}

/* ---- values ------------------------------------------------------------- */

void vios_crdt_value_dispose(vios_crdt_value *v)
{
	if (v == NULL)
		return;
	if (v->type == VIOS_VAL_TEXT)
		free(v->u.text.p);
	else if (v->type == VIOS_VAL_BLOB)
		free(v->u.blob.p);
	memset(v, 0, sizeof(*v));
}

static int set_bytes(vios_crdt_value *out, vios_crdt_type type, const void *p, size_t len)
{
	/* one spare byte so text is always NUL-terminated */
	uint8_t *copy = malloc(len + 1);

	if (copy == NULL)
		return vios_error_nomem();
	if (len)
		memcpy(copy, p, len);
	copy[len] = 0;
	out->type = type;
	if (type == VIOS_VAL_TEXT) {
		out->u.text.p = (char *)copy;
		out->u.text.len = len;
	} else {
		out->u.blob.p = copy;
		out->u.blob.len = len;
	}
	return 0;
}

int vios_crdt_value_copy(vios_crdt_value *out, const vios_crdt_value *v)
{
	assert(out != NULL && v != NULL);

	memset(out, 0, sizeof(*out));
	switch (v->type) {
	case VIOS_VAL_TEXT:
		return set_bytes(out, v->type, v->u.text.p, v->u.text.len);
	case VIOS_VAL_BLOB:
		return set_bytes(out, v->type, v->u.blob.p, v->u.blob.len);
	default:
		*out = *v;
		return 0;
	}
}

int crdt_value_from_sqlite(vios_crdt_value *out, sqlite3_value *v)
{
	assert(out != NULL && v != NULL);

	memset(out, 0, sizeof(*out));
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		out->type = VIOS_VAL_INT;
		out->u.i = sqlite3_value_int64(v);
		return 0;
	case SQLITE_FLOAT:
		out->type = VIOS_VAL_REAL;
		out->u.d = sqlite3_value_double(v);
		return 0;
	case SQLITE_TEXT: {
		const unsigned char *p = sqlite3_value_text(v);
		if (p == NULL)
			return vios_error_nomem();
		return set_bytes(out, VIOS_VAL_TEXT, p, (size_t)sqlite3_value_bytes(v));
	}
	case SQLITE_BLOB: {
		const void *p = sqlite3_value_blob(v);
		size_t len = (size_t)sqlite3_value_bytes(v);
		return set_bytes(out, VIOS_VAL_BLOB, p ? p : "", len);
	}
	default:
		out->type = VIOS_VAL_NULL;
		return 0;
	}
}

int crdt_value_bind(sqlite3_stmt *pStmt, int idx, const vios_crdt_value *v)
{
	assert(pStmt != NULL && v != NULL && idx >= 1);

	switch (v->type) {
	case VIOS_VAL_INT:
		return sqlite3_bind_int64(pStmt, idx, v->u.i);
	case VIOS_VAL_REAL:
		return sqlite3_bind_double(pStmt, idx, v->u.d);
	case VIOS_VAL_TEXT:
		return sqlite3_bind_text64(pStmt, idx, v->u.text.p, v->u.text.len, SQLITE_STATIC, SQLITE_UTF8);
	case VIOS_VAL_BLOB:
		return sqlite3_bind_blob64(pStmt, idx, v->u.blob.p, v->u.blob.len, SQLITE_STATIC);
	default:
		return sqlite3_bind_null(pStmt, idx);
	}
}

int vios_crdt_value_bind(sqlite3_stmt *pStmt, int idx, const vios_crdt_value *v)
{
	assert(pStmt != NULL && v != NULL);
	return crdt_value_bind(pStmt, idx, v);
}

static int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int crdt_value_cmp(const vios_crdt_value *a, const vios_crdt_value *b)
{
	assert(a != NULL && b != NULL);

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	switch (a->type) {
	case VIOS_VAL_INT:
		return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
	case VIOS_VAL_REAL:
		return memcmp(&a->u.d, &b->u.d, sizeof(double));
	case VIOS_VAL_TEXT:
		return bytes_cmp(a->u.text.p, a->u.text.len, b->u.text.p, b->u.text.len);
	case VIOS_VAL_BLOB:
		return bytes_cmp(a->u.blob.p, a->u.blob.len, b->u.blob.p, b->u.blob.len);
	default:
		return 0;
	}
}

int crdt_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	assert(s != NULL || len == 0);
	while (p < end) {
		unsigned c = *p++;
		int n;
		uint32_t cp, min;
		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		if (end - p < n)
			return 0;
		for (int i = 0; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		p += n;
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

int crdt_clock_cmp(uint64_t ha, const char *na, uint64_t hb, const char *nb)
{
	if (ha != hb)
		return ha < hb ? -1 : 1;
	if (na == NULL || nb == NULL)
		return (na != NULL) - (nb != NULL);
	return strcmp(na, nb); /* UUIDs: bytewise */
}

/* ---- ops ---------------------------------------------------------------- */

void vios_crdt_op_dispose(vios_crdt_op *op)
{
	if (op == NULL)
		return;
	free(op->node);
	free(op->tbl);
	free(op->pk);
	free(op->col);
	free(op->base_node);
	vios_crdt_value_dispose(&op->value);
	memset(op, 0, sizeof(*op));
}

void vios_crdt_ops_free(vios_crdt_op *ops, size_t n)
{
	if (ops == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		vios_crdt_op_dispose(&ops[i]);
	free(ops);
}

static int dup_str(char **out, const char *s)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	if ((*out = strdup(s)) == NULL)
		return vios_error_nomem();
	return 0;
}

int vios_crdt_op_copy(vios_crdt_op *out, const vios_crdt_op *op)
{
	int error;

	assert(out != NULL && op != NULL);
	memset(out, 0, sizeof(*out));
	out->kind = op->kind;
	out->hlc = op->hlc;
	out->base_hlc = op->base_hlc;
	if ((error = dup_str(&out->node, op->node)) < 0 || (error = dup_str(&out->tbl, op->tbl)) < 0 ||
	    (error = dup_str(&out->pk, op->pk)) < 0 || (error = dup_str(&out->col, op->col)) < 0 ||
	    (error = dup_str(&out->base_node, op->base_node)) < 0 ||
	    (error = vios_crdt_value_copy(&out->value, &op->value)) < 0)
		vios_crdt_op_dispose(out);
	return error;
}

/* A name from elsewhere, shown in a message only when it is short and plain. */
static const char *shown(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return "(none)";
	for (; s[n]; n++)
		if (n >= 32 || !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_' ||
				 s[n] == '-'))
			return "(not shown)";
	return n ? s : "(empty)";
}

static const char *type_name(vios_crdt_type t)
{
	switch (t) {
	case VIOS_VAL_NULL: return "null";
	case VIOS_VAL_INT: return "integer";
	case VIOS_VAL_REAL: return "real";
	case VIOS_VAL_TEXT: return "text";
	case VIOS_VAL_BLOB: return "blob";
	}
	return "unknown";
}

int crdt_op_check(const vios_crdt_op *op, char *why, size_t len)
{
	const crdt_table *t;
	int ti, c;

	assert(op != NULL && why != NULL && len > 0);
#define FAIL(...) do { snprintf(why, len, __VA_ARGS__); return VIOS_ECORRUPT; } while (0)
	if (op->kind != VIOS_OP_SET && op->kind != VIOS_OP_DELETE)
		FAIL("unknown op kind %d", (int)op->kind);
	if ((ti = crdt_table_index(op->tbl)) < 0)
		FAIL("unknown table %s", shown(op->tbl));
	t = &crdt_tables[ti];
	if (op->pk == NULL || !vios_uuid_valid(op->pk))
		FAIL("%s: record id is not a UUID", t->name);
	if (op->node == NULL || !vios_uuid_valid(op->node))
		FAIL("%s %s: node id is not a UUID", t->name, op->pk);
	if (op->hlc == 0 || op->hlc > VIOS_HLC_MAX)
		FAIL("%s %s: clock out of range", t->name, op->pk);
	if (op->kind == VIOS_OP_DELETE) {
		if (op->col != NULL || op->value.type != VIOS_VAL_NULL || op->base_hlc != 0 || op->base_node != NULL)
			FAIL("%s %s: a tombstone carries no column, value or base clock", t->name, op->pk);
		return 0;
	}
	if ((c = crdt_col_index(t, op->col)) < 1)
		FAIL("%s %s: unknown column %s", t->name, op->pk, shown(op->col));
	if (op->value.type != VIOS_VAL_NULL && op->value.type != t->cols[c].type)
		FAIL("%s.%s: a %s value where the column takes %s", t->name, op->col, type_name(op->value.type),
		     type_name(t->cols[c].type));
	if (op->value.type == VIOS_VAL_TEXT &&
	    (op->value.u.text.p == NULL || strlen(op->value.u.text.p) != op->value.u.text.len ||
	     !crdt_utf8_valid(op->value.u.text.p, op->value.u.text.len)))
		FAIL("%s.%s: text is not valid UTF-8 (or holds a NUL)", t->name, op->col);
	if (op->base_hlc == 0) {
		if (op->base_node != NULL)
			FAIL("%s.%s: base node without a base clock", t->name, op->col);
	} else {
		if (op->base_node == NULL || !vios_uuid_valid(op->base_node))
			FAIL("%s.%s: base node id is not a UUID", t->name, op->col);
		if (op->base_hlc >= op->hlc)
			FAIL("%s.%s: base clock not older than the op", t->name, op->col);
	}
	return 0;
#undef FAIL
}

int vios_crdt_op_validate(const vios_crdt_op *op)
{
	char why[160];

	assert(op != NULL);
	if (crdt_op_check(op, why, sizeof(why)) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "bad op: %s", why);
		return VIOS_ECORRUPT;
	}
	return 0;
}

/* ---- statement cache ---------------------------------------------------- */

static const char *const q_sql[Q_COUNT] = {
	/* a row's merge state in one statement: its tombstone (0), its plain
	 * cells (1) and its ordinary cells (2, one row each) */
	[Q_ROW_STATE] = "SELECT 0, hlc, node, NULL FROM crdt_tombstone WHERE tbl = ?1 AND pk = ?2"
			" UNION ALL SELECT 1, hlc, node, cols FROM crdt_row WHERE tbl = ?1 AND pk = ?2"
			" UNION ALL SELECT 2, hlc, node, col FROM crdt_cell WHERE tbl = ?1 AND pk = ?2",
	[Q_ROW_PUT] = "INSERT OR REPLACE INTO crdt_row(tbl, pk, hlc, node, cols) VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_PURGE_ROW] = "DELETE FROM crdt_row WHERE tbl = ?1 AND pk = ?2",
	[Q_CELL_SET] = "INSERT INTO crdt_cell(tbl, pk, col, hlc, node) VALUES (?1, ?2, ?3, ?4, ?5)"
		       " ON CONFLICT(tbl, pk, col) DO UPDATE SET hlc = excluded.hlc, node = excluded.node",
	[Q_HIST_GET] = "SELECT superseded, value FROM crdt_history"
		       " WHERE tbl = ?1 AND pk = ?2 AND col = ?3 AND hlc = ?4 AND node = ?5",
	[Q_HIST_ADD] = "INSERT INTO crdt_history(tbl, pk, col, hlc, node, base_hlc, base_node, superseded, value)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_HIST_SUPERSEDE] = "UPDATE crdt_history SET superseded = 1, value = NULL"
			     " WHERE tbl = ?1 AND pk = ?2 AND col = ?3 AND hlc = ?4 AND node = ?5 AND superseded = 0",
	[Q_HIST_BASED_ON] = "SELECT 1 FROM crdt_history"
			    " WHERE tbl = ?1 AND pk = ?2 AND col = ?3 AND base_hlc = ?4 AND base_node = ?5 LIMIT 1",
	[Q_HIST_SETVAL] = "UPDATE crdt_history SET value = ?6"
			  " WHERE tbl = ?1 AND pk = ?2 AND col = ?3 AND hlc = ?4 AND node = ?5",
	[Q_CONF_DROP] = "DELETE FROM crdt_conflict WHERE tbl = ?1 AND pk = ?2 AND col = ?3 AND"
			" ((hlc = ?4 AND node = ?5) OR NOT EXISTS (SELECT 1 FROM crdt_history h"
			" WHERE h.tbl = ?1 AND h.pk = ?2 AND h.col = ?3 AND h.hlc = crdt_conflict.hlc"
			" AND h.node = crdt_conflict.node AND h.superseded = 0))",
	[Q_CONF_UPSERT] = "INSERT INTO crdt_conflict(tbl, pk, col, hlc, node, value, win_hlc, win_node, recorded_at)"
			  " SELECT tbl, pk, col, hlc, node, value, ?4, ?5, ?6 FROM crdt_history"
			  " WHERE tbl = ?1 AND pk = ?2 AND col = ?3 AND superseded = 0 AND NOT (hlc = ?4 AND node = ?5)"
			  " ON CONFLICT(tbl, pk, col, hlc, node) DO UPDATE SET value = excluded.value,"
			  " win_hlc = excluded.win_hlc, win_node = excluded.win_node",
	[Q_TOMB_RAISE] = "UPDATE crdt_tombstone SET hlc = ?3, node = ?4 WHERE tbl = ?1 AND pk = ?2",
	[Q_TOMB_ADD] = "INSERT INTO crdt_tombstone(tbl, pk, hlc, node, category, roles) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_TOMB_LIFT] = "DELETE FROM crdt_tombstone WHERE tbl = ?1 AND pk = ?2 AND hlc = 0 AND node = '" CRDT_MARK_RETENTION "'",
	[Q_PURGE_CELL] = "DELETE FROM crdt_cell WHERE tbl = ?1 AND pk = ?2",
	[Q_PURGE_HIST] = "DELETE FROM crdt_history WHERE tbl = ?1 AND pk = ?2",
	[Q_PURGE_CONF] = "DELETE FROM crdt_conflict WHERE tbl = ?1 AND pk = ?2",
	[Q_PURGE_PENDING] = "DELETE FROM crdt_change WHERE tbl = ?1 AND pk = ?2 AND cols IS NOT NULL"
			    " AND sealed_in IS NULL",
	[Q_PENDING_ADD] = "INSERT INTO crdt_change(hlc, node, tbl, pk, cols, vals, bases, ops)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[Q_GRANT_ADD] = "INSERT INTO crdt_grant(tbl, pk, col, role, hlc) VALUES (?1, ?2, ?3, ?4, ?5)"
			" ON CONFLICT(tbl, pk, col, role) DO UPDATE SET hlc = min(hlc, excluded.hlc)",
	[Q_PURGE_GRANT] = "DELETE FROM crdt_grant WHERE tbl = ?1 AND pk = ?2",
	[Q_FINAL_ADD] = "INSERT INTO crdt_final(pk, hlc, node, value) VALUES (?1, ?2, ?3, ?4)"
			" ON CONFLICT(pk) DO UPDATE SET hlc = excluded.hlc, node = excluded.node, value = excluded.value"
			" WHERE (excluded.hlc, excluded.node) > (hlc, node)"
			" OR ((excluded.hlc, excluded.node) = (hlc, node) AND excluded.value > value)",
	[Q_FINAL_GET] = "SELECT hlc, node, value FROM crdt_final WHERE pk = ?1",
	[Q_PURGE_FINAL] = "DELETE FROM crdt_final WHERE pk = ?2 AND ?1 = 'case_file'",
	[Q_REF_ADD] = "INSERT OR IGNORE INTO crdt_ref(tbl, pk, col, ref) VALUES (?1, ?2, ?3, ?4)",
	[Q_PURGE_REF] = "DELETE FROM crdt_ref WHERE tbl = ?1 AND pk = ?2",
	/* a local delete (the cascade) keeps the unsent references: ids only, and
	 * what makes every other node cascade the same row (three steps: keep
	 * the references each unsent change carries in vals, count them, drop
	 * what is empty) */
	[Q_PURGE_PENDING_LOCAL] = "UPDATE crdt_change SET cols = 0,"
				  " vals = (SELECT json_group_object(key, value) FROM json_each(crdt_change.vals)"
				  " WHERE key IN ('pupil_id', 'case_id', 'meeting_id')),"
				  " bases = (SELECT json_group_object(key, json(value)) FROM json_each(crdt_change.bases)"
				  " WHERE key IN ('pupil_id', 'case_id', 'meeting_id'))"
				  " WHERE tbl = ?1 AND pk = ?2 AND cols IS NOT NULL AND sealed_in IS NULL",
	[Q_PENDING_RECOUNT] = "UPDATE crdt_change SET ops = (SELECT count(*) FROM json_each(vals)),"
			      " vals = nullif(vals, '{}'), bases = nullif(bases, '{}')"
			      " WHERE tbl = ?1 AND pk = ?2 AND cols = 0 AND sealed_in IS NULL",
	[Q_PENDING_DROP_EMPTY] = "DELETE FROM crdt_change WHERE tbl = ?1 AND pk = ?2 AND cols = 0"
				 " AND sealed_in IS NULL AND ops = 0",
	/* what was sent of a deleted row is not kept either */
	[Q_PURGE_SEALED] = "DELETE FROM crdt_change WHERE tbl = ?1 AND pk = ?2 AND cols IS NOT NULL"
			   " AND sealed_in IS NOT NULL",
};

void crdt_ctx_init(crdt_ctx *cx, vios_store *st)
{
	assert(cx != NULL && st != NULL && st->db != NULL);

	memset(cx, 0, sizeof(*cx));
	cx->st = st;
	cx->row.t = -1;
	vios_now_iso(cx->now);
}

void crdt_ctx_dispose(crdt_ctx *cx)
{
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(cx->q[i]);
	for (int t = 0; t < CRDT_NTABLES; t++) {
		for (int c = 0; c < CRDT_MAXCOL; c++) {
			sqlite3_finalize(cx->upd[t][c]);
			sqlite3_finalize(cx->ins[t][c]);
			sqlite3_finalize(cx->sel[t][c]);
		}
		sqlite3_finalize(cx->del[t]);
		sqlite3_finalize(cx->ups[t]);
	}
	memset(cx, 0, sizeof(*cx));
}

sqlite3_stmt *crdt_q(crdt_ctx *cx, int id)
{
	sqlite3_stmt *pStmt = cx->q[id];
	int rc;

	assert(cx != NULL && cx->st != NULL);
	if (pStmt) {
		sqlite3_reset(pStmt);
		sqlite3_clear_bindings(pStmt);
		return pStmt;
	}
	rc = sqlite3_prepare_v3(cx->st->db, q_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &pStmt, NULL);
	if (rc != SQLITE_OK) {
		vios_store_error(cx->st->db, rc, "preparing the merge");
		sqlite3_finalize(pStmt);
		return NULL;
	}
	cx->q[id] = pStmt;
	return pStmt;
}
