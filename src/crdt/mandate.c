/*
 * mandate.c - who may write what (see mandate.h and docs/mandate.md): the
 * covenant's mandate data, the one judge of an op, and what the judge needs
 * to know of the store (row owners, grants, references).
 */
#include "crdt/mandate.h"
#include "crdt/internal.h"
#include "store/directory.h"
#include "util/error.h"
#include "util/json.h"
#include "util/util.h"

#include <assert.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the synced tables, as the mandate names them ---- */

enum { T_PUPIL, T_SIGNAL, T_TREND, T_MEETING, T_CASE, T_AGREEMENT, T_COUNT, T_FIGURE };

static uint32_t table_bit(const char *tbl)
{
	int t = crdt_table_index(tbl);

	return t < 0 ? 0 : 1u << t;
}

static uint32_t col_bit(int t, const char *col)
{
	int c = crdt_col_index(&crdt_tables[t], col);

	return c <= 0 ? 0 : 1u << c;
}

static const char *const kind_keys[VIOS_KIND_COUNT] = { "school", "partner", "hub", "auditor" };

void vios_mandate_default(vios_mandate *m)
{
	assert(m != NULL);
	memset(m, 0, sizeof(*m));
	/* a school makes every record of the table */
	m->kind[VIOS_KIND_SCHOOL].create = (1u << CRDT_NTABLES) - 1;
	/* a partner brings signals to the table, answers for the agreements
	 * assigned to its role, and moves a case it leads along (not closed:
	 * closing is final and the table's decision) */
	m->kind[VIOS_KIND_PARTNER].create = 1u << T_SIGNAL;
	m->kind[VIOS_KIND_PARTNER].assigned = col_bit(T_AGREEMENT, "status") | col_bit(T_AGREEMENT, "feedback") |
					      col_bit(T_AGREEMENT, "done_at");
	m->kind[VIOS_KIND_PARTNER].lead = col_bit(T_CASE, "status");
	m->kind[VIOS_KIND_PARTNER].lead_status = 1u << VIOS_CASE_IN_PROGRESS | 1u << VIOS_CASE_MONITORING;
	/* the hub and the auditor keep their own meetings, nothing else */
	m->kind[VIOS_KIND_HUB].create = 1u << T_MEETING;
	m->kind[VIOS_KIND_AUDITOR].create = 1u << T_MEETING;
}

const vios_mandate_rule *vios_mandate_rule_for(const vios_mandate *m, int kind, int role)
{
	static const vios_mandate_rule none;

	assert(m != NULL);
	if (kind == VIOS_KIND_PARTNER && role >= 0 && role < VIOS_ROLE_COUNT && (m->role_set >> role & 1))
		return &m->role[role];
	return kind >= 0 && kind < VIOS_KIND_COUNT ? &m->kind[kind] : &none;
}

/* ---- parse / format ---- */

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad(const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vios_error_set(VIOS_ERR_INPUT, "%s", msg);
	return VIOS_ECORRUPT;
}

/* Reads an array of names into bits; index(name) gives the bit, -1 = unknown. */
static int names_bits(uint32_t *out, const json_t *arr, const char *who, const char *key, int t)
{
	size_t i;
	const json_t *v;

	*out = 0;
	if (!json_is_array(arr))
		return bad("covenant mandate.%s.%s: not a list", who, key);
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		uint32_t bit = 0;
		if (s == NULL)
			return bad("covenant mandate.%s.%s: not a list of names", who, key);
		if (!strcmp(key, "create"))
			bit = table_bit(s);
		else if (!strcmp(key, "lead_status"))
			bit = vios_case_status_index(s) >= 0 ? 1u << vios_case_status_index(s) : 0;
		else
			bit = col_bit(t, s);
		if (bit == 0 || (!strcmp(key, "assigned") || !strcmp(key, "lead") ? !strcmp(s, "origin") : 0))
			return bad("covenant mandate.%s: '%s' cannot be named here", who, s);
		*out |= bit;
	}
	return 0;
}

static int parse_rule(vios_mandate_rule *r, const json_t *o, const char *who)
{
	static const char *const keys[] = { "create", "assigned", "lead", "lead_status", NULL };
	const char *unknown;
	int error;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return bad("covenant mandate.%s: not an object", who);
	if ((unknown = vios_json_unknown_key((json_t *)o, keys)) != NULL)
		return bad("covenant mandate.%s: unknown key '%s'", who, unknown);
	if (json_object_get(o, "create") && (error = names_bits(&r->create, json_object_get(o, "create"), who, "create", 0)) < 0)
		return error;
	if (json_object_get(o, "assigned") &&
	    (error = names_bits(&r->assigned, json_object_get(o, "assigned"), who, "assigned", T_AGREEMENT)) < 0)
		return error;
	if (json_object_get(o, "lead") && (error = names_bits(&r->lead, json_object_get(o, "lead"), who, "lead", T_CASE)) < 0)
		return error;
	if (json_object_get(o, "lead_status") &&
	    (error = names_bits(&r->lead_status, json_object_get(o, "lead_status"), who, "lead_status", 0)) < 0)
		return error;
	return 0;
}

int vios_mandate_parse(vios_mandate *m, const json_t *obj)
{
	const char *key;
	json_t *v;
	int error;

	assert(m != NULL);
	vios_mandate_default(m);
	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return bad("covenant mandate: not an object");
	/* every kind must be spelled out: a mandate is read as a whole */
	for (int k = 0; k < VIOS_KIND_COUNT; k++)
		if (json_object_get(obj, kind_keys[k]) == NULL)
			return bad("covenant mandate: no rule for %s", kind_keys[k]);
	json_object_foreach((json_t *)obj, key, v) {
		int k = vios_kind_index(key), r = vios_role_index(key);
		if (k >= 0 && !strcmp(kind_keys[k], key)) {
			if ((error = parse_rule(&m->kind[k], v, key)) < 0)
				return error;
		} else if (r >= 0 && vios_role_fits_kind(key, "partner")) {
			if ((error = parse_rule(&m->role[r], v, key)) < 0)
				return error;
			m->role_set |= 1u << r;
		} else
			return bad("covenant mandate: '%s' is neither a kind nor a partner role", key);
	}
	return 0;
}

static json_t *bits_json(uint32_t bits, int what, int t)
{
	json_t *a = json_array();

	for (int i = 0; a && i < 32; i++) {
		const char *name;
		if (!(bits >> i & 1))
			continue;
		name = what == 0 ? (i < CRDT_NTABLES ? crdt_tables[i].name : NULL)
		       : what == 1 ? (i < crdt_tables[t].ncol ? crdt_tables[t].cols[i].name : NULL)
				   : vios_case_status_name(i);
		if (name)
			json_array_append_new(a, json_string(name));
	}
	return a;
}

static json_t *rule_json(const vios_mandate_rule *r)
{
	return json_pack("{s:o, s:o, s:o, s:o}", "create", bits_json(r->create, 0, 0), "assigned",
			 bits_json(r->assigned, 1, T_AGREEMENT), "lead", bits_json(r->lead, 1, T_CASE), "lead_status",
			 bits_json(r->lead_status, 2, 0));
}

json_t *vios_mandate_json(const vios_mandate *m)
{
	json_t *o = json_object();

	assert(m != NULL);
	for (int k = 0; o && k < VIOS_KIND_COUNT; k++)
		json_object_set_new(o, kind_keys[k], rule_json(&m->kind[k]));
	for (int r = 0; o && r < VIOS_ROLE_COUNT; r++)
		if (m->role_set >> r & 1)
			json_object_set_new(o, vios_role_name(r), rule_json(&m->role[r]));
	return o;
}

int vios_mandate_load(vios_mandate *m, vios_store *st, long long version)
{
	char *text = NULL;
	json_t *doc;
	json_error_t jerr;
	int error;

	assert(m != NULL && st != NULL);
	vios_mandate_default(m);
	error = version > 0 ? vios_store_covenant_get_version(&text, st, version) : VIOS_ENOTFOUND;
	if (error == VIOS_ENOTFOUND)
		error = vios_store_covenant_get(&text, st);
	if (error == VIOS_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (doc == NULL) {
		vios_error_set(VIOS_ERR_STORE, "the kept covenant does not parse");
		return VIOS_ECORRUPT;
	}
	error = vios_mandate_parse(m, json_object_get(doc, "mandate"));
	json_decref(doc);
	return error;
}

/* ---- the judge ---- */

static const char *table_word(int t)
{
	static const char *const w[CRDT_NTABLES] = { "a pupil", "a signal", "a trend", "a meeting", "a case",
						     "an agreement", "a signal count",
						     "a school figure" };
	return t >= 0 && t < CRDT_NTABLES ? w[t] : "a record";
}

/* "the police role", for messages (only when one is written). */
#define WHO writer_word(who, sizeof(who), w)

static const char *writer_word(char *buf, size_t len, const vios_mandate_writer *w)
{
	const char *role = vios_role_name(w->role);

	snprintf(buf, len, "the %s role", role ? role : vios_kind_name(w->kind) ? vios_kind_name(w->kind) : "unknown");
	return buf;
}

/* Columns only the op that makes the row sets. */
static int set_once(int t, const char *col)
{
	return !strcmp(col, "origin") || (t == T_COUNT && (!strcmp(col, "month") || !strcmp(col, "theme"))) ||
	       (t == T_FIGURE && (!strcmp(col, "month") || !strcmp(col, "figure")));
}

int crdt_judge_reads_row(const vios_crdt_op *op)
{
	return op->kind == VIOS_OP_SET && set_once(crdt_table_index(op->tbl), op->col);
}

/* The table a reference column names, -1 for other columns. */
static int ref_table(int t, const char *col)
{
	if (!strcmp(col, "pupil_id") && (t == T_SIGNAL || t == T_CASE))
		return T_PUPIL;
	if (!strcmp(col, "case_id") && (t == T_MEETING || t == T_AGREEMENT))
		return T_CASE;
	if (!strcmp(col, "meeting_id") && t == T_AGREEMENT)
		return T_MEETING;
	return -1;
}

int vios_mandate_judge(char *why, size_t len, const vios_mandate *m, const vios_mandate_writer *w,
		       const vios_mandate_row *row, const vios_crdt_op *op)
{
	const vios_mandate_rule *r;
	char who[48];
	int t, c;

	assert(why != NULL && m != NULL && w != NULL && row != NULL && op != NULL);
	why[0] = 0;
	t = crdt_table_index(op->tbl);
	assert(t >= 0);
	r = vios_mandate_rule_for(m, w->kind, w->role);
	who[0] = 0;
	if (row->deleted)
		return VIOS_MANDATE_OK; /* deleted for good: the op changes nothing */
	if (op->kind == VIOS_OP_SET && !strcmp(op->col, "origin")) {
		const char *v = op->value.type == VIOS_VAL_TEXT ? op->value.u.text.p : NULL;
		if (v == NULL || strcmp(v, w->node_id) != 0) {
			snprintf(why, len, "%s may not make %s in another node's name (origin)", WHO, table_word(t));
			return VIOS_MANDATE_DENIED;
		}
		if (row->origin && strcmp(row->origin, v) != 0) {
			snprintf(why, len, "%s may not take over %s owned by %s (origin is set once)", WHO, table_word(t),
				 row->owner_name ? row->owner_name : row->origin);
			return VIOS_MANDATE_DENIED;
		}
		if (!(r->create >> t & 1)) {
			snprintf(why, len, "%s may not make %s", WHO, table_word(t));
			return VIOS_MANDATE_DENIED;
		}
		return VIOS_MANDATE_OK;
	}
	if (row->origin == NULL)
		return VIOS_MANDATE_UNKNOWN;
	if (row->reopens) {
		/* a status written over the final one, by anyone: closed is final.
		 * (A status written concurrently, before its writer saw the close,
		 * is no reopening: it is taken, and loses in the merge.) */
		snprintf(why, len, "%s may not reopen a case owned by %s: closed is final", WHO,
			 row->owner_name ? row->owner_name : row->origin);
		return VIOS_MANDATE_DENIED;
	}
	if (!strcmp(row->origin, w->node_id)) {
		int rt;
		if (op->kind == VIOS_OP_DELETE)
			return VIOS_MANDATE_OK;
		if (set_once(t, op->col) && row->cur != NULL &&
		    (op->value.type != VIOS_VAL_TEXT || strcmp(row->cur, op->value.u.text.p) != 0)) {
			snprintf(why, len, "the %s of %s is set once", op->col, table_word(t));
			return VIOS_MANDATE_DENIED;
		}
		if ((rt = ref_table(t, op->col)) >= 0 && op->value.type == VIOS_VAL_TEXT) {
			if (!(r->create >> rt & 1) || (row->ref_owner && strcmp(row->ref_owner, w->node_id) != 0)) {
				snprintf(why, len, "%s may not link %s to %s it does not own (%s)", WHO, table_word(t),
					 table_word(rt), op->col);
				return VIOS_MANDATE_DENIED;
			}
		}
		return VIOS_MANDATE_OK;
	}
	/* someone else's row */
	if (op->kind == VIOS_OP_DELETE) {
		snprintf(why, len, "%s may not delete %s owned by %s", WHO, table_word(t),
			 row->owner_name ? row->owner_name : row->origin);
		return VIOS_MANDATE_DENIED;
	}
	c = crdt_col_index(&crdt_tables[t], op->col);
	if (t == T_AGREEMENT && (r->assigned >> c & 1) && row->granted)
		return VIOS_MANDATE_OK;
	if (t == T_CASE && (r->lead >> c & 1) && row->granted) {
		int s = op->value.type == VIOS_VAL_TEXT ? vios_case_status_index(op->value.u.text.p) : -1;
		if (strcmp(op->col, "status") != 0 || (s >= 0 && (r->lead_status >> s & 1)))
			return VIOS_MANDATE_OK;
		snprintf(why, len, "%s may not move a case owned by %s to %s, though it leads the case", WHO,
			 row->owner_name ? row->owner_name : row->origin, s >= 0 ? vios_case_status_name(s) : "that status");
		return VIOS_MANDATE_DENIED;
	}
	snprintf(why, len, "%s may not change the %s of %s owned by %s", WHO, op->col, table_word(t),
		 row->owner_name ? row->owner_name : row->origin);
	return VIOS_MANDATE_DENIED;
}

/* A UUID-shaped BLAKE2b, keyed by purpose, of three NUL-ended parts. */
static void derived_id(char out[37], const char *purpose, const char *a, const char *b, const char *c)
{
	uint8_t h[16];
	char hex[33];
	crypto_generichash_state s;

	assert(out != NULL && purpose != NULL && a != NULL && b != NULL && c != NULL);
	/* the BLAKE2b key names the purpose; NUL-ended parts cannot run together */
	crypto_generichash_init(&s, (const uint8_t *)purpose, strlen(purpose), sizeof(h));
	crypto_generichash_update(&s, (const uint8_t *)a, strlen(a) + 1);
	crypto_generichash_update(&s, (const uint8_t *)b, strlen(b) + 1);
	crypto_generichash_update(&s, (const uint8_t *)c, strlen(c) + 1);
	crypto_generichash_final(&s, h, sizeof(h));
	h[6] = (uint8_t)(0x80 | (h[6] & 0x0f)); /* version 8: custom, derived */
	h[8] = (uint8_t)(0x80 | (h[8] & 0x3f)); /* RFC 4122 variant */
	vios_hex(hex, h, sizeof(h));
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void vios_mandate_count_id(char out[37], const char *origin, const char *month, const char *theme)
{
	derived_id(out, "vios-signal-count", origin, month, theme);
}

void vios_mandate_figure_id(char out[37], const char *origin, const char *month, const char *figure)
{
	derived_id(out, "vios-school-figure", origin, month, figure);
}

/* ---- what the store knows (for capture and apply) ---- */

void crdt_judge_init(crdt_judge *j, vios_store *st, const vios_mandate *m)
{
	assert(j != NULL && st != NULL && m != NULL);
	memset(j, 0, sizeof(*j));
	j->st = st;
	j->m = m;
	j->last_t = -1; /* no row cached */
}

void crdt_judge_dispose(crdt_judge *j)
{
	if (j == NULL)
		return;
	for (int t = 0; t < CRDT_NTABLES; t++) {
		sqlite3_finalize(j->origin_q[t]);
		for (int c = 0; c < CRDT_MAXCOL; c++)
			sqlite3_finalize(j->col_q[t][c]);
	}
	sqlite3_finalize(j->grant_q);
	sqlite3_finalize(j->tomb_q);
	sqlite3_finalize(j->final_q);
	sqlite3_finalize(j->count_q[0]);
	sqlite3_finalize(j->count_q[1]);
	memset(j, 0, sizeof(*j));
}

/* Forgets the cached row (the store changed under it). */
static void judge_forget(crdt_judge *j)
{
	j->last_t = -1;
	j->last_pk[0] = 0;
}

static int prep(crdt_judge *j, sqlite3_stmt **pp, const char *zSql)
{
	int rc;

	if (*pp) {
		sqlite3_reset(*pp);
		sqlite3_clear_bindings(*pp);
		return 0;
	}
	rc = sqlite3_prepare_v3(j->st->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, pp, NULL);
	return rc == SQLITE_OK ? 0 : vios_store_error(j->st->db, rc, "preparing the mandate check");
}

/* origin (and optionally one more column) of a row: found 0 when not held. */
static int row_origin(crdt_judge *j, int t, const char *pk, int *found, char origin[37])
{
	char zSql[96];
	int rc, error;

	snprintf(zSql, sizeof(zSql), "SELECT origin FROM %s WHERE id = ?1", crdt_tables[t].name);
	if ((error = prep(j, &j->origin_q[t], zSql)) < 0)
		return error;
	sqlite3_bind_text(j->origin_q[t], 1, pk, -1, SQLITE_STATIC);
	*found = 0;
	origin[0] = 0;
	if ((rc = sqlite3_step(j->origin_q[t])) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(j->origin_q[t], 0);
		*found = 1;
		if (o && strlen(o) < 37)
			strcpy(origin, o);
	}
	sqlite3_reset(j->origin_q[t]);
	return vios_store_error(j->st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading a record's owner");
}

static int col_text(crdt_judge *j, int t, const char *pk, const char *col, char *out, size_t len, int *isnull)
{
	int c = crdt_col_index(&crdt_tables[t], col), rc, error;
	sqlite3_stmt *pStmt;
	char zSql[128];

	*isnull = 1;
	out[0] = 0;
	assert(c >= 1);
	snprintf(zSql, sizeof(zSql), "SELECT %s FROM %s WHERE id = ?1", col, crdt_tables[t].name);
	if ((error = prep(j, &j->col_q[t][c], zSql)) < 0)
		return error;
	pStmt = j->col_q[t][c];
	sqlite3_bind_text(pStmt, 1, pk, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(pStmt)) == SQLITE_ROW && sqlite3_column_type(pStmt, 0) != SQLITE_NULL) {
		*isnull = 0;
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(pStmt, 0));
	}
	sqlite3_reset(pStmt);
	return vios_store_error(j->st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading a record for the mandate");
}

static int granted(crdt_judge *j, int t, const char *pk, const char *role, uint64_t hlc, int *out)
{
	int rc, error;

	*out = 0;
	if (role == NULL)
		return 0;
	if ((error = prep(j, &j->grant_q, "SELECT 1 FROM crdt_grant WHERE tbl = ?1 AND pk = ?2 AND col = ?3"
					   " AND role = ?4 AND hlc < ?5")) < 0)
		return error;
	sqlite3_bind_text(j->grant_q, 1, crdt_tables[t].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(j->grant_q, 2, pk, -1, SQLITE_STATIC);
	sqlite3_bind_text(j->grant_q, 3, t == T_CASE ? "lead_role" : "owner_role", -1, SQLITE_STATIC);
	sqlite3_bind_text(j->grant_q, 4, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(j->grant_q, 5, (sqlite3_int64)hlc);
	rc = sqlite3_step(j->grant_q);
	*out = rc == SQLITE_ROW;
	sqlite3_reset(j->grant_q);
	return vios_store_error(j->st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading a grant");
}

/* 1 in *out when op's base is the case's final status op (crdt_final). */
static int based_on_final(crdt_judge *j, const vios_crdt_op *op, int *out)
{
	int rc, error;

	*out = 0;
	if ((error = prep(j, &j->final_q, "SELECT 1 FROM crdt_final WHERE pk = ?1 AND hlc = ?2 AND node = ?3")) < 0)
		return error;
	sqlite3_bind_text(j->final_q, 1, op->pk, -1, SQLITE_STATIC);
	sqlite3_bind_int64(j->final_q, 2, (sqlite3_int64)op->base_hlc);
	sqlite3_bind_text(j->final_q, 3, op->base_node ? op->base_node : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(j->final_q);
	*out = rc == SQLITE_ROW;
	sqlite3_reset(j->final_q);
	return vios_store_error(j->st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading a final status");
}

/* The name of node id for messages (its id when not enrolled). */
static const char *node_name(crdt_judge *j, const char *id)
{
	vios_reg_node n;

	if (strcmp(j->name_id, id) != 0) {
		snprintf(j->name_id, sizeof(j->name_id), "%s", id);
		if (j->st->node && !strcmp(j->st->node->node_id, id))
			snprintf(j->name, sizeof(j->name), "%s", j->st->node->name);
		else if (vios_store_reg_node_get(&n, j->st, id) == 0)
			snprintf(j->name, sizeof(j->name), "%s", n.name);
		else
			snprintf(j->name, sizeof(j->name), "%s", id);
	}
	return j->name;
}

int crdt_judge_op(crdt_judge *j, const vios_mandate_writer *w, const vios_crdt_op *op, int *verdict, char *why,
		  size_t len)
{
	vios_mandate_row row;
	char cur[64], ref_origin[37];
	int t, rt, found, isnull, error;

	assert(j != NULL && w != NULL && op != NULL && verdict != NULL);
	memset(&row, 0, sizeof(row));
	t = crdt_table_index(op->tbl);
	assert(t >= 0);
	/* the owner of the row: cached for the ops of one row in a row */
	if (j->last_t != t || strcmp(j->last_pk, op->pk) != 0) {
		if ((error = row_origin(j, t, op->pk, &found, j->last_origin)) < 0)
			return error;
		j->last_held = found;
		j->last_deleted = 0;
		if (!found) {
			/* a row not held may be one deleted for good */
			int rc;
			if ((error = prep(j, &j->tomb_q, "SELECT 1 FROM crdt_tombstone WHERE tbl = ?1 AND pk = ?2")) < 0)
				return error;
			sqlite3_bind_text(j->tomb_q, 1, op->tbl, -1, SQLITE_STATIC);
			sqlite3_bind_text(j->tomb_q, 2, op->pk, -1, SQLITE_STATIC);
			rc = sqlite3_step(j->tomb_q);
			j->last_deleted = rc == SQLITE_ROW;
			sqlite3_reset(j->tomb_q);
			if ((error = vios_store_error(j->st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading a tombstone")) < 0)
				return error;
		}
		j->last_t = t;
		snprintf(j->last_pk, sizeof(j->last_pk), "%s", op->pk);
	}
	row.deleted = j->last_deleted;
	row.held = j->last_held;
	row.origin = j->last_origin[0] ? j->last_origin : NULL;
	if (row.origin)
		row.owner_name = node_name(j, row.origin);
	if (op->kind == VIOS_OP_SET && set_once(t, op->col) && row.held) {
		if ((error = col_text(j, t, op->pk, op->col, cur, sizeof(cur), &isnull)) < 0)
			return error;
		row.cur = isnull ? NULL : cur;
	}
	if (op->kind == VIOS_OP_SET && t == T_CASE && op->base_hlc && !strcmp(op->col, "status") &&
	    !(op->value.type == VIOS_VAL_TEXT && vios_case_status_final(op->value.u.text.p)) &&
	    (error = based_on_final(j, op, &row.reopens)) < 0)
		return error;
	if (op->kind == VIOS_OP_SET && row.origin && strcmp(row.origin, w->node_id) != 0 &&
	    (t == T_CASE || t == T_AGREEMENT) &&
	    (error = granted(j, t, op->pk, vios_role_name(w->role), op->hlc, &row.granted)) < 0)
		return error;
	if (op->kind == VIOS_OP_SET && (rt = ref_table(t, op->col)) >= 0 && op->value.type == VIOS_VAL_TEXT) {
		if ((error = row_origin(j, rt, op->value.u.text.p, &found, ref_origin)) < 0)
			return error;
		/* row_origin shares the statement cache: the row cache stays valid */
		row.ref_owner = found && ref_origin[0] ? ref_origin : NULL;
	}
	*verdict = vios_mandate_judge(why, len, j->m, w, &row, op);
	/* an accepted origin makes the row known for the ops after it */
	if (*verdict == VIOS_MANDATE_OK && op->kind == VIOS_OP_SET && !strcmp(op->col, "origin") &&
	    op->value.type == VIOS_VAL_TEXT && !row.deleted) {
		snprintf(j->last_origin, sizeof(j->last_origin), "%s", op->value.u.text.p);
		j->last_held = 1;
	}
	if (op->kind == VIOS_OP_DELETE)
		judge_forget(j);
	return 0;
}

/* The tables whose row id derives from (origin, month, key column). */
static const struct {
	const char *tbl, *sql, *why;
	void (*id)(char out[37], const char *, const char *, const char *);
} derived[] = {
	{ "signal_count", "SELECT origin, month, theme FROM signal_count WHERE id = ?1",
	  "a signal count's id must derive from its school, month and theme", vios_mandate_count_id },
	{ "school_figure", "SELECT origin, month, figure FROM school_figure WHERE id = ?1",
	  "a school figure's id must derive from its school, month and figure", vios_mandate_figure_id },
};

int crdt_judge_counts(crdt_judge *j, const vios_crdt_op *ops, size_t n, size_t *bad, char *why, size_t len)
{
	assert(j != NULL && (ops != NULL || n == 0) && bad != NULL);
	for (size_t i = 0; i < n; i++) {
		const char *origin, *month, *key;
		char want[37];
		int rc, error, whole = 0;
		size_t d;
		for (d = 0; d < sizeof(derived) / sizeof(derived[0]); d++)
			if (!strcmp(ops[i].tbl, derived[d].tbl))
				break;
		if (d == sizeof(derived) / sizeof(derived[0]) || ops[i].kind != VIOS_OP_SET ||
		    (i > 0 && !strcmp(ops[i - 1].tbl, ops[i].tbl) && !strcmp(ops[i - 1].pk, ops[i].pk)))
			continue;
		if ((error = prep(j, &j->count_q[d], derived[d].sql)) < 0)
			return error;
		sqlite3_bind_text(j->count_q[d], 1, ops[i].pk, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(j->count_q[d])) == SQLITE_ROW) {
			origin = (const char *)sqlite3_column_text(j->count_q[d], 0);
			month = (const char *)sqlite3_column_text(j->count_q[d], 1);
			key = (const char *)sqlite3_column_text(j->count_q[d], 2);
			/* not whole here (deleted, or not made yet): nothing to derive */
			if ((whole = origin && month && key))
				derived[d].id(want, origin, month, key);
		}
		sqlite3_reset(j->count_q[d]);
		if ((error = vios_store_error(j->st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading a derived row")) < 0)
			return error;
		if (whole && strcmp(want, ops[i].pk) != 0) {
			*bad = i;
			snprintf(why, len, "%s", derived[d].why);
			return VIOS_EDENIED;
		}
	}
	return 0;
}
