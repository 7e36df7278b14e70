/*
 * digest.c - row categories and roles (docs/architecture.md, "Sharing") and the state
 * digest.
 *
 * Categories come from the SQL expressions in crdt_tables (crdt.c), so the
 * digest's per-category split, vios_crdt_row_category and the category a
 * tombstone keeps are one rule.
 *
 * Digest encoding (BLAKE2b-256, libsodium crypto_generichash, no key):
 *   "vios-digest-1" 0x00, then the scope: "all", "theme" or "case", 0x00;
 *   for each table in crdt_tables order, for each live row of the scope by
 *   id (bytewise): 'R', the table's index (1 byte), then id and every column
 *   in schema order, each value as a type tag (0 null, 1 integer, 2 real,
 *   3 text, 4 blob) followed by 8 bytes little-endian (the integer, the
 *   IEEE-754 bits of the real, or the byte length of text and blobs, the
 *   bytes following);
 *   scope "all" only: for each table in order, for each tombstone by id:
 *   'T', the table's index, the id as a text value.
 * Local-only state (clock, pending ops, cell clocks, history, conflicts,
 * the access log) is not in it.
 */
#include "crdt/internal.h"
#include "util/error.h"
#include "util/util.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const char *vios_crdt_category_name(vios_crdt_category cat)
{
	switch (cat) {
	case VIOS_CAT_THEME: return "theme";
	case VIOS_CAT_CASE: return "case";
	default: return NULL;
	}
}

uint32_t vios_crdt_role_bit(const char *role)
{
	return vios_role_bit(role);
}

const char *vios_crdt_role_name(uint32_t bit)
{
	for (int i = 0; i < VIOS_ROLE_TABLE_COUNT; i++)
		if (bit == 1u << i)
			return vios_role_name(i);
	return NULL;
}

int vios_crdt_roles_format(char *buf, size_t len, uint32_t roles)
{
	assert(buf != NULL);
	/* vocab owns how a role list is spelled */
	if (vios_role_mask_format(buf, len, roles) < 0) {
		vios_error_set(VIOS_ERR_INPUT, "a role list does not fit %zu bytes", len);
		return VIOS_ERROR;
	}
	return 0;
}

uint32_t crdt_roles_parse(const char *s)
{
	return vios_role_mask(s);
}

/* Steps a classify query (theme flag, roles text) once. */
static int classify_step(vios_store *st, sqlite3_stmt *pStmt, int *found, vios_crdt_category *cat,
			 uint32_t *roles)
{
	int rc = sqlite3_step(pStmt);

	*found = rc == SQLITE_ROW;
	*cat = VIOS_CAT_NONE;
	*roles = 0;
	if (rc == SQLITE_ROW) {
		*cat = sqlite3_column_int(pStmt, 0) ? VIOS_CAT_THEME : VIOS_CAT_CASE;
		if (*cat == VIOS_CAT_CASE)
			*roles = crdt_roles_parse((const char *)sqlite3_column_text(pStmt, 1));
	}
	return vios_store_error(st->db, rc, "classifying a record");
}

/* Prepares a classifying query (sqlite3_mprintf'd zSql, freed here; NULL means out of memory). */
static int prepare_classify(sqlite3_stmt **pStmt, vios_store *st, char *zSql)
{
	int rc;

	*pStmt = NULL;
	if (zSql == NULL)
		return vios_error_nomem();
	rc = sqlite3_prepare_v2(st->db, zSql, -1, pStmt, NULL);
	sqlite3_free(zSql);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*pStmt);
		*pStmt = NULL;
		return vios_store_error(st->db, rc, "classifying a record");
	}
	return 0;
}

void crdt_classifier_init(crdt_classifier *c, vios_store *st)
{
	assert(c != NULL && st != NULL);
	memset(c, 0, sizeof(*c));
	c->st = st;
}

void crdt_classifier_dispose(crdt_classifier *c)
{
	for (int t = 0; t < CRDT_NTABLES; t++)
		sqlite3_finalize(c->q[t]);
	sqlite3_finalize(c->tomb);
	memset(c, 0, sizeof(*c));
}

int crdt_classifier_row(crdt_classifier *c, int t, const char *pk, int *found, vios_crdt_category *cat,
			uint32_t *roles)
{
	const crdt_table *tb = &crdt_tables[t];
	int error;

	assert(c != NULL && t >= 0 && t < CRDT_NTABLES && pk != NULL && found != NULL && cat != NULL);
	*found = 0;
	if (c->q[t] == NULL &&
	    (error = prepare_classify(&c->q[t], c->st,
				      sqlite3_mprintf("SELECT coalesce((%s), 0), (%s) FROM %s AS r WHERE r.id = ?1",
						      tb->theme_sql, tb->roles_sql, tb->name))) < 0)
		return error;
	sqlite3_bind_text(c->q[t], 1, pk, -1, SQLITE_STATIC);
	error = classify_step(c->st, c->q[t], found, cat, roles);
	sqlite3_reset(c->q[t]);
	return error;
}

int crdt_row_classify(vios_store *st, int t, const char *pk, int *found, vios_crdt_category *cat,
		      uint32_t *roles)
{
	crdt_classifier c;
	int error;

	crdt_classifier_init(&c, st);
	error = crdt_classifier_row(&c, t, pk, found, cat, roles);
	crdt_classifier_dispose(&c);
	return error;
}

int crdt_values_classify(vios_store *st, int t, sqlite3_value **vals, vios_crdt_category *cat,
			 uint32_t *roles)
{
	const crdt_table *tb = &crdt_tables[t];
	sqlite3_stmt *pStmt = NULL;
	sqlite3_str *q = sqlite3_str_new(st->db);
	char *zSql;
	int found, error;

	assert(st != NULL && t >= 0 && t < CRDT_NTABLES && vals != NULL && cat != NULL);
	sqlite3_str_appendf(q, "SELECT coalesce((%s), 0), (%s) FROM (SELECT", tb->theme_sql, tb->roles_sql);
	for (int c = 0; c < tb->ncol; c++)
		sqlite3_str_appendf(q, "%s ?%d AS %s", c ? "," : "", c + 1, tb->cols[c].name);
	sqlite3_str_appendf(q, ") AS r");
	zSql = sqlite3_str_finish(q);
	if ((error = prepare_classify(&pStmt, st, zSql)) < 0)
		return error;
	for (int c = 0; c < tb->ncol; c++)
		sqlite3_bind_value(pStmt, c + 1, vals[c]);
	error = classify_step(st, pStmt, &found, cat, roles);
	sqlite3_finalize(pStmt);
	return error;
}

int crdt_classifier_category(crdt_classifier *c, vios_crdt_category *cat, uint32_t *roles, const char *tbl,
			     const char *pk)
{
	int t = crdt_table_index(tbl), found, rc, error;
	uint32_t r = 0;

	assert(c != NULL && cat != NULL && tbl != NULL && pk != NULL);
	*cat = VIOS_CAT_NONE;
	if (roles)
		*roles = 0;
	if (t < 0) {
		vios_error_set(VIOS_ERR_INPUT, "%s is not a synced table", tbl ? tbl : "(null)");
		return VIOS_EUSAGE;
	}
	if ((error = crdt_classifier_row(c, t, pk, &found, cat, &r)) < 0)
		return error;
	if (!found) {
		rc = SQLITE_OK;
		if (c->tomb == NULL)
			rc = sqlite3_prepare_v2(c->st->db, "SELECT category, roles FROM crdt_tombstone WHERE tbl = ?1"
						" AND pk = ?2 AND category IS NOT NULL", -1, &c->tomb, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(c->tomb, 1, tbl, -1, SQLITE_STATIC);
			sqlite3_bind_text(c->tomb, 2, pk, -1, SQLITE_STATIC);
			if ((rc = sqlite3_step(c->tomb)) == SQLITE_ROW) {
				found = 1;
				*cat = !strcmp((const char *)sqlite3_column_text(c->tomb, 0), "theme") ? VIOS_CAT_THEME
												    : VIOS_CAT_CASE;
				r = (uint32_t)sqlite3_column_int64(c->tomb, 1);
			}
			sqlite3_reset(c->tomb);
		}
		if ((error = vios_store_error(c->st->db, rc, "classifying a record")) < 0)
			return error;
	}
	if (!found) {
		vios_error_set(VIOS_ERR_INPUT, "no %s with id %s", tbl, pk);
		return VIOS_ENOTFOUND;
	}
	if (roles)
		*roles = r;
	return 0;
}

int vios_crdt_row_category(vios_crdt_category *cat, uint32_t *roles, vios_store *st,
			   const char *tbl, const char *pk)
{
	crdt_classifier c;
	int error;

	assert(st != NULL);
	crdt_classifier_init(&c, st);
	error = crdt_classifier_category(&c, cat, roles, tbl, pk);
	crdt_classifier_dispose(&c);
	return error;
}

/* ---- digest ------------------------------------------------------------- */

static void put_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t b[8];
	vios_store_le64(b, v);
	crypto_generichash_update(h, b, sizeof(b));
}

static void put_value(crypto_generichash_state *h, sqlite3_stmt *pStmt, int c)
{
	uint8_t tag;
	int type = sqlite3_column_type(pStmt, c);

	switch (type) {
	case SQLITE_INTEGER: {
		tag = 1;
		crypto_generichash_update(h, &tag, 1);
		put_u64(h, (uint64_t)sqlite3_column_int64(pStmt, c));
		return;
	}
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(pStmt, c);
		uint64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		tag = 2;
		crypto_generichash_update(h, &tag, 1);
		put_u64(h, bits);
		return;
	}
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const void *p = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(pStmt, c)
						    : sqlite3_column_blob(pStmt, c);
		size_t len = (size_t)sqlite3_column_bytes(pStmt, c);
		tag = type == SQLITE_TEXT ? 3 : 4;
		crypto_generichash_update(h, &tag, 1);
		put_u64(h, len);
		if (len)
			crypto_generichash_update(h, p, len);
		return;
	}
	default:
		tag = 0;
		crypto_generichash_update(h, &tag, 1);
	}
}

static int hash_query(crypto_generichash_state *h, vios_store *st, const char *zSql, uint8_t mark,
		      uint8_t t, const char *bind)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK && bind)
		sqlite3_bind_text(pStmt, 1, bind, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = SQLITE_ROW;
	while (rc == SQLITE_ROW && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		uint8_t head[2] = { mark, t };
		crypto_generichash_update(h, head, sizeof(head));
		for (int c = 0; c < sqlite3_column_count(pStmt); c++)
			put_value(h, pStmt, c);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "computing the digest");
}

int vios_crdt_digest(char hex[65], vios_store *st, const char *category)
{
	static const char magic[] = "vios-digest-1";
	crypto_generichash_state h;
	uint8_t out[32];
	const char *scope = category ? category : "all";
	int error = 0;

	assert(hex != NULL && st != NULL && st->db != NULL);
	hex[0] = 0;
	if (category && strcmp(category, "theme") != 0 && strcmp(category, "case") != 0) {
		vios_error_set(VIOS_ERR_INPUT, "unknown category '%s' (theme or case)", category);
		return VIOS_EUSAGE;
	}
	crypto_generichash_init(&h, NULL, 0, sizeof(out));
	crypto_generichash_update(&h, (const uint8_t *)magic, sizeof(magic));
	crypto_generichash_update(&h, (const uint8_t *)scope, strlen(scope) + 1);
	for (int t = 0; t < CRDT_NTABLES && error == 0; t++) {
		const crdt_table *tb = &crdt_tables[t];
		sqlite3_str *q = sqlite3_str_new(st->db);
		char *zSql;
		sqlite3_str_appendf(q, "SELECT");
		for (int c = 0; c < tb->ncol; c++)
			sqlite3_str_appendf(q, "%s r.%s", c ? "," : "", tb->cols[c].name);
		sqlite3_str_appendf(q, " FROM %s AS r", tb->name);
		if (category)
			sqlite3_str_appendf(q, " WHERE coalesce((%s), 0) = %d", tb->theme_sql,
					    !strcmp(category, "theme"));
		sqlite3_str_appendf(q, " ORDER BY r.id");
		if ((zSql = sqlite3_str_finish(q)) == NULL)
			return vios_error_nomem();
		error = hash_query(&h, st, zSql, 'R', (uint8_t)t, NULL);
		sqlite3_free(zSql);
	}
	for (int t = 0; t < CRDT_NTABLES && error == 0 && category == NULL; t++)
		error = hash_query(&h, st, "SELECT pk FROM crdt_tombstone WHERE tbl = ?1 AND hlc > 0 ORDER BY pk", 'T', (uint8_t)t,
				   crdt_tables[t].name);
	crypto_generichash_final(&h, out, sizeof(out));
	if (error < 0)
		return error;
	vios_hex(hex, out, sizeof(out));
	return 0;
}
