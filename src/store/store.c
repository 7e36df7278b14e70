/*
 * store.c - see store.h. The store's migrations, transactions and capture
 * hooks, and the access log: its one writer (vios_store_log), which chains
 * every entry to the one before (docs/formats.md, "Access log chain"), and
 * the chain's verifier. Nothing else writes access_log (its triggers refuse
 * updates, deletes and entries without a hash).
 */
#include "store/store.h"
#include "store/vfs.h"
#include "node/run.h"
#include "node/vocab.h"
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
 * page is opened once per command rather than on every read: up to 64 MiB
 * (KiB here), allocated as used. tools/bench.c measures with the same
 * setting. A throwaway store (vios_store_open_temp: the audit's replay) is
 * written once and read back once, and its whole history may be larger than
 * any one node's store: its cache is bounded to STORE_TEMP_CACHE_KIB, so the
 * replay's memory stays flat as history grows (docs/performance.md).
 */
#define STORE_CACHE_KIB 65536
#define STORE_TEMP_CACHE_KIB 8192

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
		if (vios_vfs_failure() != NULL)
			vios_error_set(VIOS_ERR_STORE, "%s: the store is tampered: %s; nothing was written; restore store.db from a backup",
				       what, vios_vfs_failure());
		else
			vios_error_set(VIOS_ERR_STORE, "%s: the store is tampered or corrupt (a page failed authentication); nothing was written; restore store.db from a backup", what);
		vios_vfs_failure_clear();
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

static int log_chain_existing(sqlite3 *db);

/* What a migration needs that SQL cannot do, run in its transaction right
 * after its SQL: 0008 chains the access log entries already there. */
static int migration_step(sqlite3 *db, int version)
{
	return version == 8 ? log_chain_existing(db) : 0;
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
		    (error = migration_step(db, v + 1)) < 0 ||
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

/* ---- the theme data's version (store.h) ------------------------------------ */

#define THEME_VERSION_KEY "theme_data_version"

/* The tables the theme data derives from: every write of them counts, but
 * a signal's update only when it names one of four columns (the trigger
 * below, not the update hook). */
static const char *const theme_tables[] = { "signal", "meeting", "case_file", "agreement", "school_figure",
					    "signal_count" };

static void theme_watch_row(void *ctx, int op, const char *db, const char *tbl, sqlite3_int64 rowid)
{
	vios_store *st = ctx;

	(void)rowid;
	if (st->theme_dirty || strcmp(db, "main") != 0)
		return;
	for (size_t i = 0; i < sizeof(theme_tables) / sizeof(theme_tables[0]); i++)
		if (!strcmp(tbl, theme_tables[i])) {
			/* a signal's update: the trigger, by column */
			st->theme_dirty = op != SQLITE_UPDATE || strcmp(tbl, "signal") != 0;
			return;
		}
}

/* vios_theme_changed(): what the trigger calls */
static void theme_watch_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	vios_store *st = sqlite3_user_data(ctx);

	(void)argc;
	(void)argv;
	st->theme_dirty = 1;
	sqlite3_result_null(ctx);
}

/* A commit with a change not counted (not through vios_store_tx_commit) is
 * turned into a rollback: non-zero here. */
static int theme_watch_commit(void *ctx)
{
	return ((vios_store *)ctx)->theme_dirty;
}

static void theme_watch_rollback(void *ctx)
{
	((vios_store *)ctx)->theme_dirty = 0;
}

static int theme_version_bump(vios_store *st)
{
	return exec(st->db,
		    "INSERT INTO meta(key, value) VALUES ('" THEME_VERSION_KEY "', '1')"
		    " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
		    "counting a change of the theme data");
}

static int theme_watch(vios_store *st, int migrated)
{
	int rc, error;

	st->theme_dirty = 0;
	/* only a school derives theme data; elsewhere a trigger on every merged
	 * signal would cost for nothing (measured: the auditor's import took
	 * 1.7 to 1.8 times as long) */
	if (st->node == NULL || vios_kind_index(st->node->kind) != VIOS_KIND_SCHOOL)
		return 0;
	if (migrated && (exec(st->db, "BEGIN IMMEDIATE", "counting a change of the theme data") < 0 ||
			 theme_version_bump(st) < 0 || exec(st->db, "COMMIT", "counting a change of the theme data") < 0)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return VIOS_ERROR;
	}
	rc = sqlite3_create_function(st->db, "vios_theme_changed", 0, SQLITE_UTF8, st, theme_watch_fn, NULL, NULL);
	if (rc != SQLITE_OK)
		return vios_store_error(st->db, rc, "opening the store");
	sqlite3_update_hook(st->db, theme_watch_row, st);
	sqlite3_commit_hook(st->db, theme_watch_commit, st);
	sqlite3_rollback_hook(st->db, theme_watch_rollback, st);
	if ((error = exec(st->db,
			  "CREATE TEMP TRIGGER vios_theme_watch AFTER UPDATE OF id, theme, seen_at, origin ON main.signal"
			  " BEGIN SELECT vios_theme_changed(); END",
			  "opening the store")) < 0)
		return error;
	/* a DELETE without WHERE empties a table without the update hook (the
	 * truncate optimisation); a delete trigger turns that off, and marks */
	for (size_t i = 0; i < sizeof(theme_tables) / sizeof(theme_tables[0]); i++) {
		const char *t = theme_tables[i];
		char sql[160];
		if ((error = vios_snprintf(sql, sizeof(sql),
					   "CREATE TEMP TRIGGER vios_theme_watch_%s AFTER DELETE ON main.%s"
					   " BEGIN SELECT vios_theme_changed(); END", t, t)) < 0 ||
		    (error = exec(st->db, sql, "opening the store")) < 0)
			return error;
	}
	return 0;
}

int vios_store_theme_version(long long *out, vios_store *st)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	assert(out != NULL && st != NULL && st->db != NULL);
	*out = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = '" THEME_VERSION_KEY "'", -1,
				&pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		*out = sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return vios_store_error(st->db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading the theme data's version");
}

/* Opens the store at st->path under key (creating it when create is 1)
 * with a page cache of up to cache_kib KiB, migrates it and watches the
 * theme data's inputs. */
static int open_at(vios_store *st, const uint8_t *key, int create, int cache_kib)
{
	char pragma[48];
	int error, before = 0;

	assert(cache_kib > 0);
	if ((error = vios_snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", cache_kib)) < 0 ||
	    (error = vios_vfs_register()) < 0 ||
	    (error = vios_vfs_open(&st->db, st->path, key, create)) < 0 ||
	    (error = private_mode(st->path)) < 0 ||
	    (error = exec(st->db, pragma, "opening the store")) < 0 ||
	    (error = user_version(st->db, &before)) < 0 ||
	    (error = migrate(st->db)) < 0 ||
	    (error = theme_watch(st, before != (int)vios_schema_migration_count)) < 0)
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
	/* one vios at a time: a second waits, then names the first (node/run.h) */
	if ((error = vios_run_hold(node->home, VIOS_RUN_STORE, VIOS_RUN_WAIT_MS)) < 0)
		goto done;
	st->held = 1;
	if ((error = vios_node_subkey(key, node, 2, "viosstor")) < 0 ||
	    (error = open_at(st, key, node->fresh, STORE_CACHE_KIB)) < 0)
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
	if ((error = open_at(st, key, 1, STORE_TEMP_CACHE_KIB)) == 0)
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
	if (st->held)
		vios_run_release(st->node->home, VIOS_RUN_STORE);
	free(st);
}

int vios_store_release(vios_store *st)
{
	int rc;

	assert(st != NULL && st->held && !st->capturing);
	if (st->db == NULL)
		return 0;
	/* no transaction may be open: SQLite would roll it back */
	assert(sqlite3_get_autocommit(st->db));
	/* sqlite3_close, not _v2: a statement left open would keep the lock */
	if ((rc = sqlite3_close(st->db)) != SQLITE_OK)
		return vios_store_error(st->db, rc, "letting go of the store");
	st->db = NULL;
	vios_run_release(st->node->home, VIOS_RUN_STORE);
	return 0;
}

int vios_store_reacquire(vios_store *st)
{
	uint8_t *key = NULL;
	int error;

	assert(st != NULL && st->held && st->node != NULL);
	if (st->db != NULL)
		return 0;
	if ((key = sodium_malloc(32)) == NULL)
		return vios_error_nomem();
	if ((error = vios_run_hold(st->node->home, VIOS_RUN_STORE, VIOS_RUN_WAIT_MS)) < 0)
		goto done;
	if ((error = vios_node_subkey(key, st->node, 2, "viosstor")) < 0 || (error = open_at(st, key, 0, STORE_CACHE_KIB)) < 0) {
		sqlite3_close_v2(st->db);
		st->db = NULL;
		vios_run_release(st->node->home, VIOS_RUN_STORE);
		goto done;
	}
	error = 0;
done:
	sodium_free(key);
	return error;
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

void vios_store_set_themes(vios_store *st, vios_store_themes_fn fn)
{
	assert(st != NULL);
	st->themes_fn = fn;
}

int vios_store_themes(vios_theme_set *out, vios_store *st)
{
	assert(out != NULL && st != NULL);
	memset(out, 0, sizeof(*out));
	return st->themes_fn ? st->themes_fn(out, st) : 0;
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

int vios_store_wal_truncate(vios_store *st)
{
	int log = 0, done = 0, rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);

	return rc != SQLITE_OK || log > 0;
}

int vios_store_tx_commit(vios_store *st)
{
	int error = 0;

	assert(st != NULL && st->db != NULL);
	VIOS_FAULT("store.commit");
	if ((st->capturing && st->capture_hooks &&
	     (error = st->capture_hooks->commit(st->capture_ctx, st)) < 0) ||
	    (st->theme_dirty && (error = theme_version_bump(st)) < 0)) {
		vios_store_tx_rollback(st);
		return error;
	}
	st->theme_dirty = 0; /* counted: the commit hook lets it through */
	if ((error = exec(st->db, "COMMIT", "committing")) < 0) {
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
	st->theme_dirty = 0;
}

/* ---- the access log: a hash chain (docs/formats.md, vios-access-log-1) ------ */

#define LOG_DOMAIN "vios-access-log-1"
#define LOG_FIELDS 7
#define LOG_COLS "at, node_id, os_user, action, tbl, record_id, why"
#define LOG_NULL 0xffffffffu

/* An entry's fields, in LOG_COLS order; f[i] NULL for SQL NULL. */
typedef struct {
	const char *f[LOG_FIELDS];
	size_t len[LOG_FIELDS];
} log_entry;

/* The fields of a row whose columns col0.. are LOG_COLS; valid until the
 * statement steps again. */
static void log_entry_row(log_entry *e, sqlite3_stmt *pStmt, int col0)
{
	for (int i = 0; i < LOG_FIELDS; i++) {
		e->f[i] = (const char *)sqlite3_column_text(pStmt, col0 + i);
		e->len[i] = e->f[i] ? (size_t)sqlite3_column_bytes(pStmt, col0 + i) : 0;
	}
}

/*
 * h = BLAKE2b-256(LOG_DOMAIN || prev || each field as its length, u32
 * little-endian, then its bytes; a NULL field as the length 0xffffffff and
 * no bytes). The only place the chain's bytes are defined.
 */
static void log_hash(uint8_t out[VIOS_LOG_HASH_LEN], const uint8_t prev[VIOS_LOG_HASH_LEN], const log_entry *e)
{
	crypto_generichash_state hs;
	uint8_t len[4];

	assert(out != NULL && prev != NULL && e != NULL);
	crypto_generichash_init(&hs, NULL, 0, VIOS_LOG_HASH_LEN);
	crypto_generichash_update(&hs, (const uint8_t *)LOG_DOMAIN, strlen(LOG_DOMAIN));
	crypto_generichash_update(&hs, prev, VIOS_LOG_HASH_LEN);
	for (int i = 0; i < LOG_FIELDS; i++) {
		assert(e->f[i] != NULL || e->len[i] == 0);
		assert(e->len[i] < LOG_NULL);
		vios_store_le32(len, e->f[i] ? (uint32_t)e->len[i] : LOG_NULL);
		crypto_generichash_update(&hs, len, sizeof(len));
		if (e->f[i])
			crypto_generichash_update(&hs, (const uint8_t *)e->f[i], e->len[i]);
	}
	crypto_generichash_final(&hs, out, VIOS_LOG_HASH_LEN);
}

/* A stored hash: 64 lowercase hex digits. 0 or VIOS_ECORRUPT. */
static int log_hash_parse(uint8_t out[VIOS_LOG_HASH_LEN], const char *hex)
{
	if (hex == NULL || strlen(hex) != 2 * VIOS_LOG_HASH_LEN ||
	    strspn(hex, "0123456789abcdef") != 2 * VIOS_LOG_HASH_LEN || vios_unhex(out, VIOS_LOG_HASH_LEN, hex) < 0)
		return VIOS_ECORRUPT;
	return 0;
}

/* The hash of the last entry (zeros when there is none), and its count
 * when count is not NULL. */
static int log_last(uint8_t prev[VIOS_LOG_HASH_LEN], long long *count, sqlite3 *db)
{
	sqlite3_stmt *pStmt = NULL;
	long long seq = 0;
	int rc, bad = 0;

	memset(prev, 0, VIOS_LOG_HASH_LEN);
	rc = sqlite3_prepare_v2(db, "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(pStmt, 0);
		bad = log_hash_parse(prev, (const char *)sqlite3_column_text(pStmt, 1)) < 0;
	}
	sqlite3_finalize(pStmt);
	pStmt = NULL;
	/* the count walks the table: only for the head (once per bundle), never per entry */
	if (count && (rc == SQLITE_ROW || rc == SQLITE_DONE)) {
		*count = 0;
		rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM access_log", -1, &pStmt, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
			*count = sqlite3_column_int64(pStmt, 0);
		sqlite3_finalize(pStmt);
	}
	if (bad) {
		vios_error_set(VIOS_ERR_STORE, "the access log's last entry (%lld) has no valid hash: the log was tampered"
			       " with ('vios log --verify' tells where)", seq);
		return VIOS_ECORRUPT;
	}
	return vios_store_error(db, rc, "reading the access log");
}

/* Migration 0008: the entries written before the chain, chained in seq
 * order (one row at a time: no statement reads the table it updates). */
static int log_chain_existing(sqlite3 *db)
{
	sqlite3_stmt *pSel = NULL, *pUpd = NULL;
	uint8_t prev[VIOS_LOG_HASH_LEN] = { 0 }, h[VIOS_LOG_HASH_LEN];
	char hex[2 * VIOS_LOG_HASH_LEN + 1];
	long long seq = 0;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT seq, " LOG_COLS ", hash FROM access_log WHERE seq > ?1 ORDER BY seq LIMIT 1",
				-1, &pSel, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "UPDATE access_log SET hash = ?1 WHERE seq = ?2", -1, &pUpd, NULL);
	while (rc == SQLITE_OK) {
		log_entry e;
		sqlite3_bind_int64(pSel, 1, seq);
		if ((rc = sqlite3_step(pSel)) != SQLITE_ROW)
			break;
		seq = sqlite3_column_int64(pSel, 0);
		if (sqlite3_column_type(pSel, 1 + LOG_FIELDS) != SQLITE_NULL) {
			/* already chained (not before 0008; kept as it is) */
			if (log_hash_parse(prev, (const char *)sqlite3_column_text(pSel, 1 + LOG_FIELDS)) < 0)
				memset(prev, 0, sizeof(prev));
			rc = sqlite3_reset(pSel);
			continue;
		}
		log_entry_row(&e, pSel, 1);
		log_hash(h, prev, &e);
		memcpy(prev, h, sizeof(prev));
		vios_hex(hex, h, sizeof(h));
		if ((rc = sqlite3_reset(pSel)) != SQLITE_OK)
			break;
		sqlite3_bind_text(pUpd, 1, hex, -1, SQLITE_STATIC);
		sqlite3_bind_int64(pUpd, 2, seq);
		if ((rc = sqlite3_step(pUpd)) == SQLITE_DONE)
			rc = sqlite3_reset(pUpd);
	}
	sqlite3_finalize(pSel);
	sqlite3_finalize(pUpd);
	return vios_store_error(db, rc, "chaining the access log");
}

int vios_store_log(vios_store *st, const char *action, const char *tbl,
		   const char *record_id, const char *why)
{
	sqlite3_stmt *pStmt = NULL;
	uint8_t prev[VIOS_LOG_HASH_LEN], h[VIOS_LOG_HASH_LEN];
	char now[21], hex[2 * VIOS_LOG_HASH_LEN + 1];
	log_entry e;
	int rc, error, own;

	assert(st != NULL && st->db != NULL && st->node != NULL);
	assert(action != NULL && tbl != NULL);
	vios_now_iso(now);
	{
		const char *f[LOG_FIELDS] = { now, st->node->node_id, st->os_user, action, tbl, record_id, why };
		for (int i = 0; i < LOG_FIELDS; i++) {
			e.f[i] = f[i];
			e.len[i] = f[i] ? strlen(f[i]) : 0;
		}
	}
	/* the last hash and the new entry in one transaction: no other writer
	 * can slip an entry in between */
	own = sqlite3_get_autocommit(st->db);
	if (own && (error = exec(st->db, "BEGIN IMMEDIATE", "writing the access log")) < 0)
		return error;
	if ((error = log_last(prev, NULL, st->db)) < 0)
		goto done;
	log_hash(h, prev, &e);
	vios_hex(hex, h, sizeof(h));
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO access_log(" LOG_COLS ", hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &pStmt, NULL);
	if (rc == SQLITE_OK) {
		for (int i = 0; i < LOG_FIELDS; i++)
			sqlite3_bind_text(pStmt, i + 1, e.f[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(pStmt, LOG_FIELDS + 1, hex, -1, SQLITE_STATIC);
		rc = sqlite3_step(pStmt);
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(st->db, rc, "writing the access log")) < 0)
		goto done;
	if (own)
		error = exec(st->db, "COMMIT", "writing the access log");
done:
	if (own && error < 0 && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return error;
}

/* The log's id (schema/0008: one row, made with the log). */
static int log_id(uint8_t id[VIOS_LOG_ID_LEN], sqlite3 *db)
{
	sqlite3_stmt *pStmt = NULL;
	int rc, error, bad = 1;

	rc = sqlite3_prepare_v2(db, "SELECT id FROM access_log_id", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(pStmt, 0);
		bad = hex == NULL || strlen(hex) != 2 * VIOS_LOG_ID_LEN || strspn(hex, "0123456789abcdef") != strlen(hex) ||
		      vios_unhex(id, VIOS_LOG_ID_LEN, hex) < 0;
		rc = sqlite3_step(pStmt);
		bad |= rc != SQLITE_DONE;
	}
	sqlite3_finalize(pStmt);
	if ((error = vios_store_error(db, rc, "reading the access log's id")) < 0)
		return error;
	if (bad) {
		vios_error_set(VIOS_ERR_STORE, "the access log's id is missing or malformed: the store was tampered with");
		return VIOS_ECORRUPT;
	}
	return 0;
}

int vios_store_log_head(vios_log_head *out, vios_store *st)
{
	int error;

	assert(out != NULL && st != NULL && st->db != NULL);
	memset(out, 0, sizeof(*out));
	if ((error = log_last(out->head, &out->count, st->db)) < 0)
		return error;
	return log_id(out->id, st->db);
}

/*
 * Why the entry at seq (fields e, stored hash want) does not follow the one
 * before: another entry whose hash it was written after (out of order, or
 * entries moved in between), the first entry's zeros, or none (edited).
 */
static int log_why(sqlite3 *db, long long seq, const log_entry *e, const uint8_t want[VIOS_LOG_HASH_LEN])
{
	sqlite3_stmt *pStmt = NULL;
	uint8_t prev[VIOS_LOG_HASH_LEN] = { 0 }, h[VIOS_LOG_HASH_LEN];
	long long after = -1;
	int rc;

	log_hash(h, prev, e);
	if (sodium_memcmp(h, want, sizeof(h)) == 0)
		after = 0;
	rc = sqlite3_prepare_v2(db, "SELECT seq, hash FROM access_log ORDER BY seq", -1, &pStmt, NULL);
	while (after < 0 && rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		if (log_hash_parse(prev, (const char *)sqlite3_column_text(pStmt, 1)) < 0)
			continue;
		log_hash(h, prev, e);
		if (sodium_memcmp(h, want, sizeof(h)) == 0)
			after = sqlite3_column_int64(pStmt, 0);
	}
	sqlite3_finalize(pStmt);
	if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vios_store_error(db, rc, "verifying the access log");
	if (after > seq)
		vios_error_set(VIOS_ERR_STORE, "access log: entry %lld is out of order: it was written after entry %lld"
			       " (the log was reordered)", seq, after);
	else if (after == 0)
		vios_error_set(VIOS_ERR_STORE, "access log: entry %lld was written as the first entry: the entries before"
			       " it were inserted or moved", seq);
	else if (after > 0)
		vios_error_set(VIOS_ERR_STORE, "access log: entry %lld was written right after entry %lld: the entries"
			       " between were inserted or moved (the log was reordered)", seq, after);
	else
		vios_error_set(VIOS_ERR_STORE, "access log: entry %lld was edited (or the entry before it deleted): its"
			       " fields and hash do not follow the entry before it", seq);
	return VIOS_EVERIFY;
}

/* Walks the chain; see vios_store_log_verify. */
static int log_verify(vios_log_head *out, long long *bad_seq, sqlite3 *db)
{
	sqlite3_stmt *pStmt = NULL;
	uint8_t prev[VIOS_LOG_HASH_LEN] = { 0 }, want[VIOS_LOG_HASH_LEN];
	long long last = 0, seq = 0, top = 0;
	int rc, error = 0;

	rc = sqlite3_prepare_v2(db, "SELECT seq, " LOG_COLS ", hash FROM access_log ORDER BY seq", -1, &pStmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		log_entry e;
		uint8_t h[VIOS_LOG_HASH_LEN];
		rc = SQLITE_OK;
		seq = sqlite3_column_int64(pStmt, 0);
		if (seq != last + 1) {
			*bad_seq = last + 1;
			if (seq == last + 2)
				vios_error_set(VIOS_ERR_STORE, "access log: entry %lld was deleted (entry %lld follows entry %lld)",
					       last + 1, seq, last);
			else
				vios_error_set(VIOS_ERR_STORE, "access log: entries %lld to %lld were deleted (entry %lld follows"
					       " entry %lld)", last + 1, seq - 1, seq, last);
			error = VIOS_EVERIFY;
			goto done;
		}
		if (log_hash_parse(want, (const char *)sqlite3_column_text(pStmt, 1 + LOG_FIELDS)) < 0) {
			*bad_seq = seq;
			vios_error_set(VIOS_ERR_STORE, "access log: entry %lld has no valid hash (written or edited outside vios)", seq);
			error = VIOS_EVERIFY;
			goto done;
		}
		log_entry_row(&e, pStmt, 1);
		log_hash(h, prev, &e);
		if (sodium_memcmp(h, want, sizeof(h)) != 0) {
			*bad_seq = seq;
			error = log_why(db, seq, &e, want);
			goto done;
		}
		memcpy(prev, want, sizeof(prev));
		memcpy(out->head, prev, sizeof(prev));
		out->count++;
		last = seq;
	}
	if ((error = vios_store_error(db, rc, "verifying the access log")) < 0)
		goto done;
	sqlite3_finalize(pStmt);
	/* entries deleted at the end leave AUTOINCREMENT's counter above them */
	rc = sqlite3_prepare_v2(db, "SELECT seq FROM sqlite_sequence WHERE name = 'access_log'", -1, &pStmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		top = sqlite3_column_int64(pStmt, 0);
	if ((error = vios_store_error(db, rc, "verifying the access log")) < 0)
		goto done;
	if (top > last) {
		*bad_seq = last + 1;
		if (top == last + 1)
			vios_error_set(VIOS_ERR_STORE, "access log: entry %lld, the last, was deleted", top);
		else
			vios_error_set(VIOS_ERR_STORE, "access log: entries %lld to %lld, the last, were deleted", last + 1, top);
		error = VIOS_EVERIFY;
	}
done:
	sqlite3_finalize(pStmt);
	return error;
}

int vios_store_log_verify(vios_log_head *out, long long *bad_seq, vios_store *st)
{
	long long bad = 0;
	int error, own;

	assert(out != NULL && st != NULL && st->db != NULL);
	memset(out, 0, sizeof(*out));
	/* one read transaction: a writer cannot append between the walk and the counter */
	own = sqlite3_get_autocommit(st->db);
	if (own && (error = exec(st->db, "BEGIN", "verifying the access log")) < 0)
		return error;
	if ((error = log_verify(out, &bad, st->db)) == 0)
		error = log_id(out->id, st->db);
	if (own)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (bad_seq)
		*bad_seq = error == VIOS_EVERIFY ? bad : 0;
	return error;
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
	/* pages SQLite's check does not read (free ones), and pages put back
	 * from an older state, which authenticate */
	return vios_vfs_verify(st->db);
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
					      "agreement", "signal_count", "school_figure", "access_log", NULL };
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
