/*
 * store.c - see store.h.
 */
#include "store/store.h"
#include "store/vfs.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#include <assert.h>
#include <errno.h>
#include <pwd.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Decrypted pages stay in SQLite's page cache (process memory only), so a
 * page is opened once per command rather than on every read: up to 64 MiB,
 * allocated as used. tools/bench.c measures with the same setting.
 */
#define STORE_PRAGMAS "PRAGMA cache_size = -65536"

extern const char *const vios_schema_migrations[];
extern const size_t vios_schema_migration_count;

int vios_store_schema_version(void)
{
	return (int)vios_schema_migration_count;
}

int vios_store_error(sqlite3 *db, int rc, const char *what)
{
	int ext = db ? sqlite3_extended_errcode(db) : rc;

	assert(what != NULL);
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if (vios_vfs_is_auth_error(ext) || vios_vfs_is_auth_error(rc) ||
	    (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
		vios_error_set(VIOS_ERR_STORE, "%s: the store is tampered or corrupt (a page failed authentication); nothing was written; restore store.db from a backup", what);
		return VIOS_ECORRUPT;
	}
	if ((rc & 0xff) == SQLITE_FULL ||
	    ((rc & 0xff) == SQLITE_IOERR && db &&
	     (sqlite3_system_errno(db) == ENOSPC || sqlite3_system_errno(db) == EFBIG || sqlite3_system_errno(db) == EDQUOT))) {
		vios_error_set(VIOS_ERR_STORE, "%s: disk full; nothing was written (free some space and run the command again)", what);
		return VIOS_ENOSPACE;
	}
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		vios_error_set(VIOS_ERR_STORE, "%s: the store is busy (another vios is running); try again", what);
		return VIOS_ERROR;
	}
	vios_error_set(VIOS_ERR_SQLITE, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return VIOS_ERROR;
}

static int exec(sqlite3 *db, const char *zSql, const char *what)
{
	int rc = sqlite3_exec(db, zSql, NULL, NULL, NULL);
	return vios_store_error(db, rc, what);
}

static int user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		*out = sqlite3_column_int(pStmt, 0);
	sqlite3_finalize(pStmt);
	return vios_store_error(db, rc, "reading the store's schema version");
}

static int migrate(sqlite3 *db)
{
	int have = 0, want = (int)vios_schema_migration_count, error;
	char sql[64];

	if ((error = user_version(db, &have)) < 0)
		return error;
	if (have > want) {
		vios_error_set(VIOS_ERR_STORE, "the store has schema version %d but this vios knows only %d: it was written by a newer vios; upgrade vios", have, want);
		return VIOS_ERROR;
	}
	for (int v = have; v < want; v++) {
		if ((error = exec(db, "BEGIN IMMEDIATE", "migrating the store")) < 0)
			return error;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((error = exec(db, vios_schema_migrations[v], "migrating the store")) < 0 ||
		    (error = exec(db, sql, "migrating the store")) < 0 ||
		    (error = exec(db, "COMMIT", "migrating the store")) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return error;
		}
	}
	return 0;
}

/* The store is sealed, but its size and times are nobody else's business. */
static int private_mode(const char *path)
{
	if (chmod(path, 0600) < 0)
		return vios_error_os("cannot set the mode of %s", path);
	return 0;
}

/* Opens the store at st->path under key (creating it when create is 1),
 * and migrates it. */
static int open_at(vios_store *st, const uint8_t *key, int create)
{
	int error;

	if ((error = vios_vfs_register()) < 0 ||
	    (error = vios_vfs_open(&st->db, st->path, key, create)) < 0 ||
	    (error = private_mode(st->path)) < 0 ||
	    (error = exec(st->db, STORE_PRAGMAS, "opening the store")) < 0 ||
	    (error = migrate(st->db)) < 0)
		return error;
	return 0;
}

static int store_new(vios_store **out, const vios_node *node)
{
	struct passwd *pw;

	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return vios_error_nomem();
	(*out)->node = node;
	pw = getpwuid(getuid());
	snprintf((*out)->os_user, sizeof((*out)->os_user), "%s", pw && pw->pw_name ? pw->pw_name : "?");
	return 0;
}

int vios_store_open(vios_store **out, const vios_node *node)
{
	vios_store *st = NULL;
	uint8_t *key = NULL;
	int error;

	assert(out != NULL && node != NULL);
	*out = NULL;
	if ((error = store_new(&st, node)) < 0)
		return error;
	if ((error = vios_snprintf(st->path, sizeof(st->path), "%s/store.db", node->home)) < 0)
		goto done;
	if ((key = sodium_malloc(32)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	/*
	 * Only a home made by this process (vios_node_init) gets a new store: a
	 * store.db that went missing, or was emptied, in a home that had one is
	 * not silently replaced by an empty one.
	 */
	if (!node->fresh) {
		struct stat sb;
		const char *why = NULL;
		if (stat(st->path, &sb) < 0) {
			if (errno != ENOENT) {
				error = vios_error_os("cannot read %s", st->path);
				goto done;
			}
			why = "missing";
		} else if (!S_ISREG(sb.st_mode))
			why = "not a regular file";
		else if (sb.st_size == 0)
			why = "empty";
		if (why != NULL) {
			vios_error_set(VIOS_ERR_STORE, "%s is %s: restore it from a backup (vios makes a new store only "
				       "with 'vios init')", st->path, why);
			error = VIOS_ENOTFOUND;
			goto done;
		}
	}
	if ((error = vios_node_subkey(key, node, 2, "viosstor")) < 0 ||
	    (error = open_at(st, key, node->fresh)) < 0)
		goto done;
	error = 0;
done:
	sodium_free(key);
	if (error < 0)
		vios_store_free(st);
	else
		*out = st;
	return error;
}

int vios_store_open_temp(vios_store **out, const vios_node *node, const char *dir)
{
	vios_store *st = NULL;
	uint8_t *key = NULL;
	int error;

	assert(out != NULL && node != NULL && dir != NULL);
	*out = NULL;
	if ((error = store_new(&st, node)) < 0)
		return error;
	if ((error = vios_snprintf(st->path, sizeof(st->path), "%s/store.db", dir)) < 0)
		goto done;
	if (vios_path_exists(st->path)) {
		vios_error_set(VIOS_ERR_STORE, "%s exists: a throwaway store is always new", st->path);
		error = VIOS_EEXISTS;
		goto done;
	}
	if ((key = sodium_malloc(32)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	randombytes_buf(key, 32);
	/* a crash loses a throwaway store anyway: no fsync per transaction */
	if ((error = open_at(st, key, 1)) == 0)
		error = exec(st->db, "PRAGMA synchronous = OFF", "opening the store");
done:
	sodium_free(key);
	if (error < 0)
		vios_store_free(st);
	else
		*out = st;
	return error;
}

/* Ends the open capture, if any, and forgets that a transaction captures. */
static void capture_abort(vios_store *st)
{
	if (st->capture_hooks)
		st->capture_hooks->abort(st->capture_ctx, st);
	st->capturing = 0;
}

void vios_store_free(vios_store *st)
{
	if (st == NULL)
		return;
	capture_abort(st);
	vios_store_set_capture(st, NULL, NULL);
	sqlite3_close_v2(st->db);
	free(st);
}

int vios_store_set_capture(vios_store *st, const vios_store_capture_hooks *hooks, void *ctx)
{
	assert(st != NULL);
	assert(!st->capturing);
	assert(hooks == NULL || (hooks->begin && hooks->commit && hooks->abort));
	if (st->capture_hooks && st->capture_hooks->destroy)
		st->capture_hooks->destroy(st->capture_ctx);
	st->capture_hooks = hooks;
	st->capture_ctx = hooks ? ctx : NULL;
	return 0;
}

int vios_store_tx_captured(const vios_store *st)
{
	assert(st != NULL);
	return st->capturing;
}

int vios_store_tx_begin_uncaptured(vios_store *st)
{
	assert(st != NULL && st->db != NULL);
	return exec(st->db, "BEGIN IMMEDIATE", "starting a write");
}

int vios_store_tx_begin(vios_store *st)
{
	int error;

	assert(st != NULL && st->db != NULL);
	/* a store opened for writing records has capture attached (vios_crdt_attach) */
	assert(st->capture_hooks != NULL);
	if (st->capture_hooks == NULL) {
		vios_error_set(VIOS_ERR_STORE, "starting a write: the store has no change capture attached;"
			       " its changes would never leave this node");
		return VIOS_ERROR;
	}
	if ((error = vios_store_tx_begin_uncaptured(st)) < 0)
		return error;
	st->capturing = 1;
	if ((error = st->capture_hooks->begin(st->capture_ctx, st)) < 0)
		vios_store_tx_rollback(st);
	return error;
}

int vios_store_tx_commit(vios_store *st)
{
	int error = 0;

	assert(st != NULL && st->db != NULL);
	VIOS_FAULT("store.commit");
	if ((st->capturing && st->capture_hooks &&
	     (error = st->capture_hooks->commit(st->capture_ctx, st)) < 0) ||
	    (error = exec(st->db, "COMMIT", "committing")) < 0) {
		vios_store_tx_rollback(st);
		return error;
	}
	st->capturing = 0;
	return 0;
}

void vios_store_tx_rollback(vios_store *st)
{
	assert(st != NULL && st->db != NULL);
	capture_abort(st);
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int vios_store_log(vios_store *st, const char *action, const char *tbl,
		   const char *record_id, const char *why)
{
	sqlite3_stmt *pStmt = NULL;
	char now[21];
	int rc;

	assert(st != NULL && st->db != NULL && st->node != NULL);
	assert(action != NULL);
	vios_now_iso(now);
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO access_log(at, node_id, os_user, action, tbl, record_id, why)"
				" VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(pStmt, 1, now, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(pStmt, 2, st->node->node_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 3, st->os_user, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 4, action, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 5, tbl, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 6, record_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, 7, why, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "writing the access log");
}

int vios_store_check(vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, ok = 0;

	assert(st != NULL && st->db != NULL);
	rc = sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		/* a healthy store answers exactly one row, "ok" */
		ok = !strcmp((const char *)sqlite3_column_text(pStmt, 0), "ok");
		rc = sqlite3_step(pStmt);
		if (rc == SQLITE_ROW)
			ok = 0;
	}
	sqlite3_finalize(pStmt);
	if (vios_store_error(st->db, rc, "checking the store") < 0)
		return VIOS_ECORRUPT;
	if (!ok) {
		vios_error_set(VIOS_ERR_STORE, "the store fails its integrity check");
		return VIOS_ECORRUPT;
	}
	return 0;
}

int vios_store_vacuum(vios_store *st)
{
	assert(st != NULL && st->db != NULL);
	assert(sqlite3_get_autocommit(st->db));
	return exec(st->db, "VACUUM", "vacuuming the store");
}

int vios_store_row_count(long long *out, vios_store *st, const char *tbl)
{
	static const char *const tables[] = { "pupil", "signal", "trend", "meeting", "case_file",
					      "agreement", "signal_count", "access_log", NULL };
	sqlite3_stmt *pStmt = NULL;
	char zSql[64];
	int rc, known = 0;

	assert(out != NULL && st != NULL && st->db != NULL && tbl != NULL);
	*out = 0;
	for (const char *const *t = tables; *t; t++)
		known |= !strcmp(*t, tbl);
	if (!known) {
		vios_error_set(VIOS_ERR_INPUT, "no table %s in the store", tbl);
		return VIOS_EUSAGE;
	}
	snprintf(zSql, sizeof(zSql), "SELECT count(*) FROM %s", tbl);
	rc = sqlite3_prepare_v2(st->db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		*out = sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc, "reading the store");
}
