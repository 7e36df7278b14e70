/*
 * test_vfs.c - the encrypting VFS: rows round-trip; no record text reaches
 * any file in either journal mode, mid-transaction, after VACUUM or a
 * checkpoint; a wrong key or a flipped byte is refused without touching the
 * files; SIGKILL mid-transaction loses no commit and leaves no half one;
 * spilled transactions roll back; temp files never reach the OS VFS.
 *
 * A spy VFS is made the default before the VFS registers, so every file the
 * store opens passes through it and the test sees what reaches the OS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/vfs.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#define CANARY "canary-XYZ"
#define PAGE VIOS_VFS_PAGE_SIZE

typedef struct {
	char dir[64];
	char db[128];
	uint8_t *key;
} sandbox;

/* --- the spy VFS --------------------------------------------------------- */

static sqlite3_vfs spy;
static sqlite3_vfs *spy_base;
static int spy_main_opens, spy_temp_opens;

static int spy_open(sqlite3_vfs *v, const char *zName, sqlite3_file *f, int flags, int *out)
{
	(void)v;
	if (flags & SQLITE_OPEN_MAIN_DB)
		spy_main_opens++;
	if (zName == NULL || (flags & (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL |
				       SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_TRANSIENT_DB |
				       SQLITE_OPEN_SUPER_JOURNAL)))
		spy_temp_opens++;
	return spy_base->xOpen(spy_base, zName, f, flags, out);
}

static void spy_install(void)
{
	spy_base = sqlite3_vfs_find(NULL);
	spy = *spy_base;
	spy.zName = "vios-test-spy";
	spy.xOpen = spy_open;
	sqlite3_vfs_register(&spy, 1);
}

/* --- helpers ------------------------------------------------------------- */

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	assert_non_null(sb);
	strcpy(sb->dir, "/tmp/vios-vfs.XXXXXX");
	assert_non_null(mkdtemp(sb->dir));
	snprintf(sb->db, sizeof(sb->db), "%s/store.db", sb->dir);
	assert_non_null(sb->key = sodium_malloc(32));
	randombytes_buf(sb->key, 32);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;

	vios_rm_rf(sb->dir);
	sodium_free(sb->key);
	free(sb);
	return 0;
}

static void exec_ok(sqlite3 *db, const char *zSql)
{
	char *err = NULL;

	if (sqlite3_exec(db, zSql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", zSql, err ? err : "?");
}

static sqlite3_int64 query_int(sqlite3 *db, const char *zSql)
{
	sqlite3_stmt *pStmt = NULL;
	sqlite3_int64 v;

	if (sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL) != SQLITE_OK ||
	    sqlite3_step(pStmt) != SQLITE_ROW)
		fail_msg("%s: %s", zSql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return v;
}

/* Runs zSql to the end; the final result code. */
static int query_rc(sqlite3 *db, const char *zSql)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL)) != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW)
		;
	sqlite3_finalize(pStmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void assert_integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *pStmt = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &pStmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(pStmt), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(pStmt, 0), "ok");
	sqlite3_finalize(pStmt);
}

static void row_text(char *buf, size_t len, int i)
{
	snprintf(buf, len, "%s row %06d: a pupil's note, long enough to fill pages", CANARY, i);
}

/* Inserts rows [from, from+n) into t(id, v), in the caller's transaction. */
static void insert_rows(sqlite3 *db, int from, int n)
{
	sqlite3_stmt *pStmt = NULL;
	char v[128];

	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(id, v) VALUES(?, ?)", -1, &pStmt, NULL), SQLITE_OK);
	for (int i = from; i < from + n; i++) {
		row_text(v, sizeof(v), i);
		sqlite3_bind_int(pStmt, 1, i);
		sqlite3_bind_text(pStmt, 2, v, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(pStmt) != SQLITE_DONE)
			fail_msg("insert %d: %s", i, sqlite3_errmsg(db));
		sqlite3_reset(pStmt);
	}
	sqlite3_finalize(pStmt);
}

/* insert_rows() for a forked child: no cmocka, 0 or -1. */
static int child_insert_rows(sqlite3 *db, int from, int n)
{
	sqlite3_stmt *pStmt = NULL;
	char v[128];
	int rc = 0;

	if (sqlite3_prepare_v2(db, "INSERT INTO t(id, v) VALUES(?, ?)", -1, &pStmt, NULL) != SQLITE_OK)
		return -1;
	for (int i = from; rc == 0 && i < from + n; i++) {
		row_text(v, sizeof(v), i);
		sqlite3_bind_int(pStmt, 1, i);
		sqlite3_bind_text(pStmt, 2, v, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(pStmt) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(pStmt);
	}
	sqlite3_finalize(pStmt);
	return rc;
}

/* Opens the sandbox's store; mode "delete" switches the journal after open. */
static sqlite3 *open_store(sandbox *sb, const char *mode)
{
	sqlite3 *db = NULL;
	char sql[64];

	if (vios_vfs_open(&db, sb->db, sb->key, 1) != 0)
		fail_msg("vios_vfs_open: %s", vios_error_last());
	if (mode && strcmp(mode, "wal") != 0) {
		snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
		exec_ok(db, sql);
	}
	return db;
}

static void close_store(sqlite3 *db)
{
	assert_int_equal(sqlite3_close_v2(db), SQLITE_OK);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;

	if (vios_file_read(&buf, len, path, (size_t)1 << 30) != 0)
		fail_msg("read %s: %s", path, vios_error_last());
	return buf;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Fails naming the file when any file in the sandbox holds the canary. */
static void assert_no_plaintext(sandbox *sb, const char *when)
{
	DIR *d = opendir(sb->dir);
	struct dirent *e;
	char path[512];
	int files = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		uint8_t *buf;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", sb->dir, e->d_name);
		buf = slurp(path, &len);
		files++;
		if (memmem(buf, len, CANARY, strlen(CANARY)) != NULL) {
			free(buf);
			closedir(d);
			fail_msg("%s: plain text found in %s", when, e->d_name);
		}
		if (len >= 16 && memcmp(buf, "SQLite format 3", 16) == 0) {
			free(buf);
			closedir(d);
			fail_msg("%s: %s starts with the SQLite header", when, e->d_name);
		}
		free(buf);
	}
	closedir(d);
	assert_true(files >= 1);
}

/* The stock sqlite3 CLI is required, and must not read the file. */
static void assert_cli_cannot_read(const char *path)
{
	char cmd[512];
	int st;

	if (system("command -v sqlite3 >/dev/null 2>&1") != 0)
		fail_msg("the stock sqlite3 CLI is missing (apt-get install sqlite3): cannot check the store is unreadable");
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' .tables >/dev/null 2>&1", path);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 0);
}

static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void assert_file_is(const char *path, const uint8_t *want, size_t want_len)
{
	size_t len;
	uint8_t *buf = slurp(path, &len);

	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, len);
	free(buf);
}

/* A store with table t of n rows, closed (so everything is in store.db). */
static void make_store(sandbox *sb, int n)
{
	sqlite3 *db = open_store(sb, "wal");

	exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
	exec_ok(db, "BEGIN");
	insert_rows(db, 1, n);
	exec_ok(db, "COMMIT");
	close_store(db);
}

/* --- round trip ---------------------------------------------------------- */

static void test_vfs__round_trips_2000_rows_exactly(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db;
	sqlite3_stmt *pStmt = NULL;
	char want[128];
	int i = 0;

	make_store(sb, 2000);
	db = open_store(sb, NULL);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, v FROM t ORDER BY id", -1, &pStmt, NULL), SQLITE_OK);
	while (sqlite3_step(pStmt) == SQLITE_ROW) {
		i++;
		row_text(want, sizeof(want), i);
		assert_int_equal(sqlite3_column_int(pStmt, 0), i);
		assert_string_equal((const char *)sqlite3_column_text(pStmt, 1), want);
	}
	sqlite3_finalize(pStmt);
	assert_int_equal(i, 2000);
	assert_int_equal(query_int(db, "PRAGMA page_size"), PAGE);
	close_store(db);
}

/* --- no plain text on disk ----------------------------------------------- */

static void no_plaintext(sandbox *sb, const char *mode)
{
	sqlite3 *db = open_store(sb, mode);
	int wal = strcmp(mode, "wal") == 0;
	char side[160];

	snprintf(side, sizeof(side), "%s%s", sb->db, wal ? "-wal" : "-journal");
	exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
	exec_ok(db, "BEGIN");
	insert_rows(db, 1, 500);
	exec_ok(db, "COMMIT");
	assert_no_plaintext(sb, "after commit");

	/* a write transaction open, spilled to the journal / WAL and db */
	exec_ok(db, "PRAGMA cache_size=10");
	exec_ok(db, "BEGIN");
	exec_ok(db, "UPDATE t SET v = v || ' (edited)' WHERE id % 7 = 0");
	insert_rows(db, 501, 2500);
	assert_true(file_size(side) > PAGE);
	assert_no_plaintext(sb, "with a write transaction open");
	exec_ok(db, "COMMIT");
	assert_no_plaintext(sb, "after the big commit");

	exec_ok(db, "DELETE FROM t WHERE id % 3 = 0");
	exec_ok(db, "VACUUM");
	assert_no_plaintext(sb, "after VACUUM");
	if (wal) {
		exec_ok(db, "PRAGMA wal_checkpoint(TRUNCATE)");
		assert_no_plaintext(sb, "after a checkpoint");
	}
	close_store(db);
	assert_no_plaintext(sb, "after close");
	assert_cli_cannot_read(sb->db);

	db = open_store(sb, mode);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 2000);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t WHERE v LIKE '%(edited)'"), 71 - 23);
	assert_integrity_ok(db);
	close_store(db);
}

static void test_vfs__no_plaintext_on_disk_in_wal_mode(void **state)
{
	no_plaintext(*state, "wal");
}

static void test_vfs__no_plaintext_on_disk_with_a_rollback_journal(void **state)
{
	no_plaintext(*state, "delete");
}

/* --- wrong key ----------------------------------------------------------- */

static void test_vfs__wrong_key_is_refused_and_changes_nothing(void **state)
{
	sandbox *sb = *state;
	uint8_t other[32], *before;
	size_t len;
	sqlite3 *db = NULL;
	char side[160];

	make_store(sb, 300);
	before = slurp(sb->db, &len);
	randombytes_buf(other, sizeof(other));

	vios_error_clear();
	assert_int_equal(vios_vfs_open(&db, sb->db, other, 1), VIOS_ECORRUPT);
	assert_null(db);
	assert_string_equal(vios_error_last(), "store: cannot decrypt page 1: wrong key or tampered store");
	assert_int_equal(vios_vfs_open(&db, sb->db, other, 0), VIOS_ECORRUPT);
	assert_file_is(sb->db, before, len);
	snprintf(side, sizeof(side), "%s-wal", sb->db);
	assert_false(vios_path_exists(side));
	snprintf(side, sizeof(side), "%s-journal", sb->db);
	assert_false(vios_path_exists(side));

	db = open_store(sb, NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 300);
	close_store(db);
	free(before);
}

static void test_vfs__wrong_key_leaves_an_uncheckpointed_wal_untouched(void **state)
{
	sandbox *sb = *state;
	uint8_t other[32], *db_before, *wal_before;
	size_t db_len, wal_len;
	char wal[160];
	sqlite3 *db = NULL;
	pid_t pid;
	int st;

	/* a writer that dies without closing leaves its commits in the WAL */
	if ((pid = fork()) == 0) {
		if (vios_vfs_open(&db, sb->db, sb->key, 1) != 0 ||
		    sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)", NULL, NULL, NULL) != SQLITE_OK)
			_exit(3);
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		if (child_insert_rows(db, 1, 300) < 0)
			_exit(4);
		_exit(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : 5);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	snprintf(wal, sizeof(wal), "%s-wal", sb->db);
	assert_true(file_size(wal) > 32);
	assert_no_plaintext(sb, "WAL left by a dead writer");

	db_before = slurp(sb->db, &db_len);
	wal_before = slurp(wal, &wal_len);
	randombytes_buf(other, sizeof(other));
	assert_int_equal(vios_vfs_open(&db, sb->db, other, 1), VIOS_ECORRUPT);
	assert_file_is(sb->db, db_before, db_len);
	assert_file_is(wal, wal_before, wal_len);

	db = open_store(sb, NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 300);
	assert_integrity_ok(db);
	close_store(db);
	free(db_before);
	free(wal_before);
}

/* --- flipped bytes ------------------------------------------------------- */

static void assert_auth_failure(sqlite3 *db, const char *zSql)
{
	int rc = query_rc(db, zSql);

	assert_int_not_equal(rc, SQLITE_OK);
	assert_int_equal(sqlite3_extended_errcode(db), SQLITE_IOERR_AUTH);
	assert_true(vios_vfs_is_auth_error(sqlite3_extended_errcode(db)));
	assert_false(vios_vfs_is_auth_error(SQLITE_IOERR_READ));
}

static void test_vfs__flipped_byte_in_page_3_fails_auth_and_changes_nothing(void **state)
{
	sandbox *sb = *state;
	uint8_t *tampered;
	size_t len;
	sqlite3 *db;

	make_store(sb, 2000);
	flip_byte(sb->db, 2 * PAGE + 1000);
	tampered = slurp(sb->db, &len);

	db = open_store(sb, NULL); /* page 1 is intact */
	assert_auth_failure(db, "SELECT count(*), sum(length(v)) FROM t");
	assert_auth_failure(db, "PRAGMA integrity_check");
	close_store(db);
	assert_file_is(sb->db, tampered, len);
	free(tampered);
}

static void test_vfs__flipped_byte_in_page_1_fails_auth_and_changes_nothing(void **state)
{
	sandbox *sb = *state;
	uint8_t *good, *tampered;
	size_t len;
	sqlite3 *db = NULL;
	int fd;

	make_store(sb, 200);
	good = slurp(sb->db, &len);

	/* at open: the key check reads page 1 */
	flip_byte(sb->db, 40);
	tampered = slurp(sb->db, &len);
	assert_int_equal(vios_vfs_open(&db, sb->db, sb->key, 1), VIOS_ECORRUPT);
	assert_string_equal(vios_error_last(), "store: cannot decrypt page 1: wrong key or tampered store");
	assert_file_is(sb->db, tampered, len);

	/* under an open connection: page 1 read again after the cache is dropped */
	fd = open(sb->db, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, good, len, 0), (ssize_t)len);
	close(fd);
	db = open_store(sb, NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 200);
	flip_byte(sb->db, 3000);
	free(tampered);
	tampered = slurp(sb->db, &len);
	sqlite3_db_release_memory(db);
	assert_auth_failure(db, "SELECT count(*) FROM t");
	close_store(db);
	assert_file_is(sb->db, tampered, len);
	free(good);
	free(tampered);
}

static void test_vfs__all_zero_page_is_not_accepted_as_data(void **state)
{
	sandbox *sb = *state;
	uint8_t zeros[PAGE] = { 0 };
	sqlite3 *db;
	int fd;

	make_store(sb, 2000);
	fd = open(sb->db, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, zeros, PAGE, 3 * PAGE), PAGE);
	close(fd);
	db = open_store(sb, NULL);
	assert_auth_failure(db, "SELECT sum(length(v)) FROM t");
	close_store(db);
}

/* --- page layout --------------------------------------------------------- */

static void test_vfs__other_page_size_is_refused(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db;

	make_store(sb, 500);
	db = open_store(sb, "delete");
	exec_ok(db, "PRAGMA page_size=8192");
	assert_int_not_equal(sqlite3_exec(db, "VACUUM", NULL, NULL, NULL), SQLITE_OK);
	close_store(db);

	db = open_store(sb, NULL);
	assert_int_equal(query_int(db, "PRAGMA page_size"), PAGE);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 500);
	assert_integrity_ok(db);
	close_store(db);
}

/* --- crash safety -------------------------------------------------------- */

/* The child: commits batches of 10 rows, reporting each batch after COMMIT. */
static void crash_child(sandbox *sb, const char *mode, int fd)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *pStmt = NULL;
	char sql[64], v[1600];
	int batch;

	if (vios_vfs_open(&db, sb->db, sb->key, 1) != 0)
		_exit(3);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
	/* a tiny cache: transactions spill mid-way, as large ones do */
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA cache_size=8", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS b(batch INTEGER, i INTEGER, v TEXT);"
			 "CREATE INDEX IF NOT EXISTS b_v ON b(v)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT coalesce(max(batch), 0) + 1 FROM b", -1, &pStmt, NULL) != SQLITE_OK ||
	    sqlite3_step(pStmt) != SQLITE_ROW)
		_exit(4);
	batch = sqlite3_column_int(pStmt, 0);
	sqlite3_finalize(pStmt);
	if (sqlite3_prepare_v2(db, "INSERT INTO b VALUES(?, ?, ?)", -1, &pStmt, NULL) != SQLITE_OK)
		_exit(5);
	for (;; batch++) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			_exit(6);
		for (int i = 0; i < 10; i++) {
			snprintf(v, sizeof(v), "%s batch %d row %d %01500d", CANARY, batch, i, batch * 10 + i);
			sqlite3_bind_int(pStmt, 1, batch);
			sqlite3_bind_int(pStmt, 2, i);
			sqlite3_bind_text(pStmt, 3, v, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(pStmt) != SQLITE_DONE)
				_exit(7);
			sqlite3_reset(pStmt);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
		    write(fd, &batch, sizeof(batch)) != (ssize_t)sizeof(batch))
			_exit(8);
	}
}

/* Checks the store after a kill; returns the highest batch present. */
static int crash_verify(sandbox *sb, int reported)
{
	sqlite3 *db = open_store(sb, NULL);
	sqlite3_stmt *pStmt = NULL;
	int expect = 1;

	assert_integrity_ok(db);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT batch, count(*) FROM b GROUP BY batch ORDER BY batch", -1, &pStmt, NULL), SQLITE_OK);
	while (sqlite3_step(pStmt) == SQLITE_ROW) {
		assert_int_equal(sqlite3_column_int(pStmt, 0), expect); /* no gap */
		assert_int_equal(sqlite3_column_int(pStmt, 1), 10);     /* no half batch */
		expect++;
	}
	sqlite3_finalize(pStmt);
	/* a crash never looks like tampering: every page is the one last written */
	if (vios_vfs_verify(db) != 0)
		fail_msg("after a crash: %s", vios_error_last());
	close_store(db);
	assert_true(expect - 1 >= reported);     /* every reported commit is there */
	assert_true(expect - 1 <= reported + 1); /* at most the one being reported */
	return expect - 1;
}

static void crash_rounds(sandbox *sb, const char *mode)
{
	int last = 0;

	for (int round = 0; round < 6; round++) {
		int fds[2], st, b, seen = 0, reported = last;
		int target = 2 + (int)randombytes_uniform(12);
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		if ((pid = fork()) == 0) {
			close(fds[0]);
			crash_child(sb, mode, fds[1]);
		}
		assert_true(pid > 0);
		close(fds[1]);
		while (seen < target && read(fds[0], &b, sizeof(b)) == (ssize_t)sizeof(b)) {
			reported = b;
			seen++;
		}
		usleep((useconds_t)randombytes_uniform(5000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		while (read(fds[0], &b, sizeof(b)) == (ssize_t)sizeof(b))
			reported = b;
		close(fds[0]);
		if (!WIFSIGNALED(st))
			fail_msg("round %d: the writer exited with %d before the kill", round, WEXITSTATUS(st));
		assert_int_equal(seen, target);
		last = crash_verify(sb, reported);
	}
	assert_no_plaintext(sb, "after the crashes");
}

static void test_vfs__sigkill_mid_transaction_keeps_whole_batches_in_wal_mode(void **state)
{
	crash_rounds(*state, "wal");
}

static void test_vfs__sigkill_mid_transaction_keeps_whole_batches_with_a_rollback_journal(void **state)
{
	crash_rounds(*state, "delete");
}

/*
 * A writer in a child process commits rows 1..n of t one transaction each
 * and dies without closing, so the commits stay in the WAL. Returns the
 * WAL's size.
 */
static off_t leave_wal(sandbox *sb, int n, char *wal, size_t wal_len)
{
	sqlite3 *db = NULL;
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		if (vios_vfs_open(&db, sb->db, sb->key, 1) != 0 ||
		    sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)", NULL, NULL, NULL) != SQLITE_OK)
			_exit(3);
		for (int i = 1; i <= n; i++)
			if (child_insert_rows(db, i, 1) < 0)
				_exit(4);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(wal, wal_len, "%s-wal", sb->db);
	return file_size(wal);
}

static void test_vfs__tampered_wal_frame_ends_the_log_and_is_never_read(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db;
	char wal[160];

	assert_true(leave_wal(sb, 40, wal, sizeof(wal)) > 32 + 20 * (24 + PAGE));
	/* a byte in the page of the 20th frame */
	flip_byte(wal, 32 + 19 * (24 + PAGE) + 24 + 100);

	db = open_store(sb, NULL);
	assert_integrity_ok(db);
	assert_true(query_int(db, "SELECT count(*) FROM t") < 40);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t WHERE v NOT LIKE '" CANARY " row %'"), 0);
	close_store(db);
}

static void test_vfs__torn_last_wal_frame_loses_only_its_transaction(void **state)
{
	sandbox *sb = *state;
	uint8_t zeros[2000] = { 0 };
	sqlite3 *db;
	char wal[160];
	off_t size;
	int fd;

	/* cut short in the middle of its page */
	size = leave_wal(sb, 30, wal, sizeof(wal));
	assert_int_equal(truncate(wal, size - 2000), 0);
	db = open_store(sb, NULL);
	assert_integrity_ok(db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 29);
	assert_int_equal(query_int(db, "SELECT max(id) FROM t"), 29);
	close_store(db);

	/* or the end of its page never reached the disk */
	vios_rm_rf(sb->dir);
	assert_int_equal(mkdir(sb->dir, 0700), 0);
	size = leave_wal(sb, 30, wal, sizeof(wal));
	fd = open(wal, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, zeros, sizeof(zeros), size - (off_t)sizeof(zeros)), (ssize_t)sizeof(zeros));
	close(fd);
	db = open_store(sb, NULL);
	assert_integrity_ok(db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 29);
	close_store(db);
}

/* --- spills -------------------------------------------------------------- */

static void spill_and_roll_back(sandbox *sb, const char *mode)
{
	sqlite3 *db = open_store(sb, mode);
	int wal = strcmp(mode, "wal") == 0;
	char side[160];
	off_t before;

	snprintf(side, sizeof(side), "%s%s", sb->db, wal ? "-wal" : "-journal");
	exec_ok(db, "PRAGMA cache_size=10");
	exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
	exec_ok(db, "BEGIN");
	insert_rows(db, 1, 200);
	exec_ok(db, "COMMIT");

	before = file_size(sb->db);
	exec_ok(db, "BEGIN");
	exec_ok(db, "UPDATE t SET v = 'changed' WHERE id % 2 = 0");
	insert_rows(db, 201, 5000);
	/* it did spill: to the WAL, or to the db after journalling the old pages */
	if (wal)
		assert_true(file_size(side) > 20 * PAGE);
	else
		assert_true(file_size(side) > PAGE && file_size(sb->db) > before + 20 * PAGE);
	assert_no_plaintext(sb, "with a spilled transaction open");
	exec_ok(db, "ROLLBACK");

	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 200);
	assert_int_equal(query_int(db, "SELECT max(id) FROM t"), 200);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t WHERE v = 'changed'"), 0);
	assert_integrity_ok(db);
	assert_no_plaintext(sb, "after the rollback");
	close_store(db);

	db = open_store(sb, NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 200);
	assert_integrity_ok(db);
	close_store(db);
}

static void test_vfs__spilled_transaction_leaves_no_plaintext_and_rolls_back_in_wal_mode(void **state)
{
	spill_and_roll_back(*state, "wal");
}

static void test_vfs__spilled_transaction_leaves_no_plaintext_and_rolls_back_with_a_journal(void **state)
{
	spill_and_roll_back(*state, "delete");
}

/* --- a cut database with a hot journal ------------------------------------- */

static void put_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/*
 * A database that ends in a cut page (torn or tampered) beside a hot
 * journal: the rollback rewrites whole pages inside the file, which the VFS
 * lets through, and extending the file past the cut page is refused as
 * unauthenticated. So the store rolls back or is corrupt - never "disk I/O
 * error" (found by fuzz_vfs: every page write was refused with
 * SQLITE_IOERR_WRITE).
 */
static void test_vfs__cut_database_with_a_hot_journal_rolls_back_or_is_corrupt(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db = open_store(sb, "delete");
	char copy[160], journal[160], copy_journal[176], index[160], copy_index[176];
	uint8_t *dbimg, *jimg, *ximg;
	size_t dblen, jlen, xlen;

	snprintf(journal, sizeof(journal), "%s-journal", sb->db);
	snprintf(index, sizeof(index), "%s-index", sb->db);
	snprintf(copy, sizeof(copy), "%s/copy.db", sb->dir);
	snprintf(copy_journal, sizeof(copy_journal), "%s-journal", copy);
	snprintf(copy_index, sizeof(copy_index), "%s-index", copy);
	exec_ok(db, "PRAGMA cache_size=2");
	exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
	exec_ok(db, "BEGIN");
	insert_rows(db, 1, 200);
	exec_ok(db, "COMMIT");
	exec_ok(db, "BEGIN");
	exec_ok(db, "UPDATE t SET v = 'changed' WHERE id % 2 = 0");
	/* the files as a crash in the middle of the transaction leaves them */
	dbimg = slurp(sb->db, &dblen);
	jimg = slurp(journal, &jlen);
	ximg = slurp(index, &xlen);
	exec_ok(db, "ROLLBACK");
	close_store(db);
	assert_true(dblen > 4 * PAGE && jlen > PAGE);

	/* cut inside the second page, and inside the last one */
	for (int i = 0; i < 2; i++) {
		size_t cut = i == 0 ? PAGE + 1000 : dblen - 1000;
		int rc;

		put_file(copy, dbimg, cut);
		put_file(copy_journal, jimg, jlen);
		put_file(copy_index, ximg, xlen);
		db = NULL;
		rc = vios_vfs_open(&db, copy, sb->key, 0);
		if (rc == 0) {
			/* rolled back as far as the file goes: a page past the
			 * cut fails authentication when read, nothing else */
			rc = query_rc(db, "SELECT count(*) FROM t WHERE v = 'changed'");
			print_message("cut at %zu: opened, reading the table: %d\n", cut, rc);
			if (rc != SQLITE_OK)
				assert_true(vios_vfs_is_auth_error(sqlite3_extended_errcode(db)) ||
					    (rc & 0xff) == SQLITE_CORRUPT);
		} else {
			print_message("cut at %zu: corrupt\n", cut);
			assert_int_equal(rc, VIOS_ECORRUPT);
		}
		sqlite3_close_v2(db);
	}
	free(dbimg);
	free(jimg);
	free(ximg);
}


/* --- the page index ------------------------------------------------------ */

/* A page as read through the VFS by SQLite's own file handle. */
static int read_page(sqlite3 *db, int pgno)
{
	sqlite3_file *fp = NULL;
	uint8_t buf[PAGE];

	assert_int_equal(sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &fp), SQLITE_OK);
	assert_non_null(fp);
	return fp->pMethods->xRead(fp, buf, PAGE, (sqlite3_int64)(pgno - 1) * PAGE);
}

/* Writes bytes [off, off+len) of src over the same place in path. */
static void put_range(const char *path, const uint8_t *src, off_t off, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, src + off, len, off), (ssize_t)len);
	close(fd);
}

/*
 * Two states of one store; every page that differs between them, copied
 * from the older state alone into the newer one, authenticates (same key,
 * same place) and is still caught: by a read of that page through the VFS
 * and by vios_vfs_verify (what `vios store check` runs), each naming the
 * page. Page 1 is caught already when the store opens.
 */
static void test_vfs__a_page_put_back_from_an_older_state_is_caught(void **state)
{
	sandbox *sb = *state;
	uint8_t *old, *new;
	size_t oldlen, newlen;
	sqlite3 *db;
	int differ = 0, caught_read = 0, caught_verify = 0;
	char want[64];

	make_store(sb, 600);
	old = slurp(sb->db, &oldlen);
	db = open_store(sb, "wal");
	exec_ok(db, "BEGIN");
	insert_rows(db, 601, 400);
	exec_ok(db, "UPDATE t SET v = v || ' (edited)' WHERE id % 7 = 0");
	exec_ok(db, "DELETE FROM t WHERE id % 11 = 0");
	exec_ok(db, "COMMIT");
	close_store(db);
	new = slurp(sb->db, &newlen);
	assert_true(newlen > oldlen && oldlen >= 8 * PAGE);

	for (size_t p = 1; p <= oldlen / PAGE; p++) {
		size_t off = (p - 1) * PAGE;
		int rc;

		if (memcmp(old + off, new + off, PAGE) == 0)
			continue;
		differ++;
		put_file(sb->db, new, newlen);
		put_range(sb->db, old, (off_t)off, PAGE);
		snprintf(want, sizeof(want), "page %zu is not the one this store last wrote", p);
		db = NULL;
		rc = vios_vfs_open(&db, sb->db, sb->key, 0);
		if (p == 1) {
			assert_int_equal(rc, VIOS_ECORRUPT);
			assert_non_null(strstr(vios_error_last(), want));
			caught_read++;
			caught_verify++;
			continue;
		}
		assert_int_equal(rc, 0);
		if (vios_vfs_is_auth_error(read_page(db, (int)p)) && strstr(vios_vfs_failure(), want))
			caught_read++;
		if (vios_vfs_verify(db) == VIOS_ECORRUPT && strstr(vios_error_last(), want))
			caught_verify++;
		sqlite3_close_v2(db);
		/* the refusal changed nothing */
		{
			size_t len;
			uint8_t *now = slurp(sb->db, &len);

			assert_int_equal(len, newlen);
			assert_memory_equal(now + off, old + off, PAGE);
			free(now);
		}
	}
	print_message("pages that differ: %d; caught by a read: %d, by verify: %d\n", differ, caught_read, caught_verify);
	assert_true(differ >= 3);
	assert_int_equal(caught_read, differ);
	assert_int_equal(caught_verify, differ);

	/* the whole older file under the newer index: caught as well */
	put_file(sb->db, old, oldlen);
	db = NULL;
	if (vios_vfs_open(&db, sb->db, sb->key, 0) == 0) {
		assert_int_equal(vios_vfs_verify(db), VIOS_ECORRUPT);
		sqlite3_close_v2(db);
	}
	/* and the newer file back: sound */
	put_file(sb->db, new, newlen);
	db = open_store(sb, NULL);
	assert_int_equal(vios_vfs_verify(db), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 1000 - 90);
	close_store(db);
	free(old);
	free(new);
}

/*
 * The index itself: deleted, a byte changed, an older copy of it, a
 * symbolic link in its place - each refused (VIOS_ECORRUPT, the index or a
 * page named), the store's files unchanged.
 */
static void test_vfs__a_missing_changed_or_older_index_is_refused(void **state)
{
	sandbox *sb = *state;
	char index[160], other[176];
	uint8_t *ximg, *dbimg, *oldx;
	size_t xlen, dblen, oldxlen;
	sqlite3 *db = NULL;

	snprintf(index, sizeof(index), "%s-index", sb->db);
	make_store(sb, 100);
	oldx = slurp(index, &oldxlen);
	db = open_store(sb, NULL);
	exec_ok(db, "BEGIN");
	insert_rows(db, 101, 100);
	exec_ok(db, "COMMIT");
	close_store(db);
	ximg = slurp(index, &xlen);
	dbimg = slurp(sb->db, &dblen);

	assert_int_equal(unlink(index), 0);
	assert_int_equal(vios_vfs_open(&db, sb->db, sb->key, 0), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "-index is missing"));
	assert_int_equal(file_size(index), -1);
	assert_file_is(sb->db, dbimg, dblen);

	put_file(index, ximg, xlen);
	flip_byte(index, (off_t)xlen / 2);
	assert_int_equal(vios_vfs_open(&db, sb->db, sb->key, 0), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "fails authentication"));
	assert_file_is(sb->db, dbimg, dblen);

	/* an older index: it may open (page 1 unchanged), but verify sees it */
	put_file(index, oldx, oldxlen);
	if (vios_vfs_open(&db, sb->db, sb->key, 0) == 0) {
		assert_int_equal(vios_vfs_verify(db), VIOS_ECORRUPT);
		sqlite3_close_v2(db);
	}
	assert_file_is(sb->db, dbimg, dblen);

	snprintf(other, sizeof(other), "%s.elsewhere", index);
	put_file(other, ximg, xlen);
	assert_int_equal(unlink(index), 0);
	assert_int_equal(symlink(other, index), 0);
	assert_int_equal(vios_vfs_open(&db, sb->db, sb->key, 0), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "symbolic link"));

	/* the right index back: sound again */
	assert_int_equal(unlink(index), 0);
	put_file(index, ximg, xlen);
	db = open_store(sb, NULL);
	assert_int_equal(vios_vfs_verify(db), 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 200);
	close_store(db);
	free(ximg);
	free(dbimg);
	free(oldx);
}

/* Re-seals page 1 of path as stores did before the index ("viosmain"). */
static void seal_page1_legacy(const char *path, const uint8_t *key, const char *from_label)
{
	uint8_t page[PAGE], m[PAGE], ad[16];
	unsigned long long mlen = 0;
	int fd = open(path, O_RDWR);
	const size_t body = PAGE - 40;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, page, PAGE, 0), PAGE);
	memcpy(ad, from_label, 8);
	vios_store_le64(ad + 8, 1);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, NULL, page, body,
		page + body + 24, ad, 16, page + body, key), 0);
	mlen = body;
	memcpy(ad, "viosmain", 8);
	randombytes_buf(page + body, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(page, page + body + 24, NULL, m, mlen,
		ad, 16, NULL, page + body, key);
	assert_int_equal(pwrite(fd, page, PAGE, 0), PAGE);
	close(fd);
}

/* 1 when page 1 of path opens under label. */
static int page1_label_is(const char *path, const uint8_t *key, const char *label)
{
	uint8_t page[PAGE], m[PAGE], ad[16];
	int fd = open(path, O_RDONLY), ok;
	const size_t body = PAGE - 40;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, page, PAGE, 0), PAGE);
	close(fd);
	memcpy(ad, label, 8);
	vios_store_le64(ad + 8, 1);
	ok = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, NULL, page, body,
		page + body + 24, ad, 16, page + body, key) == 0;
	sodium_memzero(m, sizeof(m));
	return ok;
}

/*
 * A store sealed before the page index existed (page 1 under "viosmain",
 * no index) is refused with a line that says so and points to 'vios
 * restore' - not adopted, which would let anyone who deletes the index and
 * puts back an old page 1 turn the check off - and nothing is written.
 */
static void test_vfs__a_store_sealed_before_the_index_is_refused(void **state)
{
	sandbox *sb = *state;
	char index[160];
	uint8_t *img;
	size_t len;
	sqlite3 *db = NULL;

	snprintf(index, sizeof(index), "%s-index", sb->db);
	make_store(sb, 100);
	assert_true(page1_label_is(sb->db, sb->key, "viosidx1"));
	seal_page1_legacy(sb->db, sb->key, "viosidx1");
	assert_true(page1_label_is(sb->db, sb->key, "viosmain"));
	assert_int_equal(unlink(index), 0);
	img = slurp(sb->db, &len);
	assert_int_equal(vios_vfs_open(&db, sb->db, sb->key, 0), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "older than the page index"));
	assert_non_null(strstr(vios_error_last(), "vios restore"));
	assert_file_is(sb->db, img, len);
	assert_int_equal(file_size(index), -1);
	free(img);
}

/*
 * A new store whose first transaction is cut by SIGKILL after the cache
 * spilled pages into the database (rollback journal) opens again and rolls
 * back to empty, its pages sound. A store deleted with its index left
 * behind is no place for a new one: the emptied database beside an index
 * that lists pages is refused.
 */
static void test_vfs__a_new_store_cut_in_its_first_transaction_opens_again(void **state)
{
	sandbox *sb = *state;
	char index[160];
	sqlite3 *db = NULL;
	pid_t pid;
	int st;

	snprintf(index, sizeof(index), "%s-index", sb->db);
	make_store(sb, 50);
	assert_int_equal(unlink(sb->db), 0);
	assert_int_equal(vios_vfs_open(&db, sb->db, sb->key, 1), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "the database is empty; its page index lists"));
	for (int round = 0; round < 2; round++) {
		unlink(sb->db);
		assert_int_equal(unlink(index), 0);
		if ((pid = fork()) == 0) {
			if (vios_vfs_open(&db, sb->db, sb->key, 1) != 0 ||
			    sqlite3_exec(db, "PRAGMA journal_mode=delete; PRAGMA cache_size=2; BEGIN;"
					 "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)", NULL, NULL, NULL) != SQLITE_OK ||
			    child_insert_rows(db, 1, 400) < 0)
				_exit(3);
			raise(SIGKILL);
			_exit(4);
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		assert_true(file_size(sb->db) > 2 * PAGE); /* pages spilled before the kill */
		if (vios_vfs_open(&db, sb->db, sb->key, 0) != 0)
			fail_msg("the cut new store (round %d): %s", round, vios_error_last());
		assert_int_not_equal(query_rc(db, "SELECT count(*) FROM t"), SQLITE_OK); /* rolled back: no table */
		assert_int_equal(vios_vfs_verify(db), 0);
		close_store(db);
		make_store(sb, 10); /* the next round begins where a store was */
	}
}

/*
 * SIGKILL just before the page index is written (crash point
 * vfs.index.write): at its first passage (before the first page of the new
 * database) and its second (after the first checkpoint's sync, the
 * database's pages newer than the index on disk). The store opens again
 * with every committed row and passes vios_vfs_verify: pages the index does
 * not list yet are still in the WAL.
 */
static void test_vfs__a_kill_before_the_index_is_written_leaves_a_sound_store(void **state)
{
	sandbox *sb = *state;
	char index[160], wal[160];
	sqlite3 *db = NULL;

	snprintf(index, sizeof(index), "%s-index", sb->db);
	snprintf(wal, sizeof(wal), "%s-wal", sb->db);
	for (int passage = 1; passage <= 3; passage++) {
		char point[32];
		pid_t pid;
		int st;

		snprintf(point, sizeof(point), "vfs.index.write@%d", passage);
		if ((pid = fork()) == 0) {
			setenv("VIOS_FAULT", point, 1);
			vios_fault_reset();
			if (vios_vfs_open(&db, sb->db, sb->key, 1) != 0 ||
			    sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)", NULL, NULL, NULL) != SQLITE_OK ||
			    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK || child_insert_rows(db, 1, 300) < 0 ||
			    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
				_exit(3);
			sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
			child_insert_rows(db, 301, 300);
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
			_exit(5);
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!WIFSIGNALED(st))
			fail_msg("%s: the writer exited with %d instead of dying there", point, WEXITSTATUS(st));
		print_message("%s: store.db %lld bytes, WAL %lld, index %lld\n", point, (long long)file_size(sb->db),
			      (long long)file_size(wal), (long long)file_size(index));
		if (vios_vfs_open(&db, sb->db, sb->key, 0) != 0)
			fail_msg("%s: %s", point, vios_error_last());
		if (query_rc(db, "SELECT count(*) FROM t") == SQLITE_OK) {
			sqlite3_int64 n = query_int(db, "SELECT count(*) FROM t");

			assert_true(n == 300 || n == 600);
		}
		if (vios_vfs_verify(db) != 0)
			fail_msg("%s: %s", point, vios_error_last());
		close_store(db);
		assert_int_equal(unlink(sb->db), 0);
		unlink(index);
		unlink(wal);
	}
}

/*
 * The WAL and the journal are bound to the index too. An older WAL put
 * back after the store wrote it back and deleted it is not replayed (the
 * row reads as last committed, verify passes); a live WAL deleted is
 * refused; a journal made up beside the store (its header is plain: a
 * valid magic, no records, an original size of 0 or 1 page) is not played
 * back, so the store is neither emptied nor cut.
 */
static void test_vfs__an_older_wal_or_a_made_up_journal_is_not_played_back(void **state)
{
	sandbox *sb = *state;
	char wal[160], journal[176];
	uint8_t *oldwal, hdr[512];
	size_t oldlen;
	sqlite3 *db;
	off_t dbsize;

	snprintf(wal, sizeof(wal), "%s-wal", sb->db);
	snprintf(journal, sizeof(journal), "%s-journal", sb->db);
	db = open_store(sb, "wal");
	exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
	exec_ok(db, "INSERT INTO t VALUES (1, 'OLD')");
	oldwal = slurp(wal, &oldlen);
	assert_true(oldlen > 32);
	exec_ok(db, "UPDATE t SET v = 'NEW' WHERE id = 1");
	close_store(db);
	assert_int_equal(file_size(wal), -1); /* written back and deleted */

	put_file(wal, oldwal, oldlen);
	db = open_store(sb, NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM t WHERE v = 'NEW'"), 1);
	assert_int_equal(vios_vfs_verify(db), 0);
	close_store(db);
	free(oldwal);

	/* a live WAL (a writer died with commits in it) deleted: refused */
	vios_rm_rf(sb->dir);
	assert_int_equal(mkdir(sb->dir, 0700), 0);
	assert_true(leave_wal(sb, 20, wal, sizeof(wal)) > 32);
	assert_int_equal(unlink(wal), 0);
	db = NULL;
	assert_int_equal(vios_vfs_open(&db, sb->db, sb->key, 0), VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "store.db-wal is missing"));

	/* a made-up journal: magic, record count 0, a seed, original size 0 or 1 */
	vios_rm_rf(sb->dir);
	assert_int_equal(mkdir(sb->dir, 0700), 0);
	make_store(sb, 300);
	dbsize = file_size(sb->db);
	for (uint32_t orig = 0; orig < 2; orig++) {
		static const uint8_t magic[8] = { 0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7 };

		memset(hdr, 0, sizeof(hdr));
		memcpy(hdr, magic, 8);
		hdr[15] = 0x2a;      /* checksum seed */
		hdr[19] = (uint8_t)orig; /* original size in pages, big-endian */
		hdr[22] = 0x02;      /* sector size 512 */
		hdr[26] = 0x10;      /* page size 4096 */
		put_file(journal, hdr, sizeof(hdr));
		db = open_store(sb, NULL);
		assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 300);
		assert_int_equal(vios_vfs_verify(db), 0);
		close_store(db);
		assert_int_equal(file_size(sb->db), dbsize);
		unlink(journal);
	}
}

/* --- many pages, small cache --------------------------------------------- */

static void test_vfs__many_pages_with_a_small_cache_pass_integrity_check(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db = open_store(sb, "wal");

	exec_ok(db, "PRAGMA cache_size=5");
	exec_ok(db, "CREATE TABLE m(id INTEGER PRIMARY KEY, v TEXT, b BLOB);"
		    "CREATE INDEX m_v ON m(v)");
	exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) "
		    "INSERT INTO m SELECT i, '" CANARY " ' || i, randomblob(600) FROM n");
	exec_ok(db, "DELETE FROM m WHERE id % 2 = 0");
	exec_ok(db, "UPDATE m SET b = randomblob(300) WHERE id % 3 = 0");
	assert_true(query_int(db, "PRAGMA page_count") > 500);
	assert_integrity_ok(db);
	exec_ok(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	exec_ok(db, "PRAGMA journal_mode=DELETE");
	exec_ok(db, "UPDATE m SET b = randomblob(700) WHERE id % 5 = 0");
	assert_integrity_ok(db);
	close_store(db);

	db = open_store(sb, NULL);
	exec_ok(db, "PRAGMA cache_size=5");
	assert_integrity_ok(db);
	assert_int_equal(query_int(db, "SELECT count(*) FROM m"), 2000);
	close_store(db);
	assert_no_plaintext(sb, "after many pages");
}

/*
 * The VFS holds in memory the frames it wrote in the WAL's current
 * generation (at most 1024) and reads those from memory, not from disk.
 * A generation longer than that, frames rewritten in place by a spilled
 * transaction, and checkpoints that read the frames back all give the rows
 * that were written, in this process and after it reopens the store.
 */
/* A digest of every row of m, in id order, into out. */
static void digest_m(sqlite3 *db, uint8_t out[32])
{
	crypto_generichash_state h;
	sqlite3_stmt *pStmt = NULL;

	crypto_generichash_init(&h, NULL, 0, 32);
	if (sqlite3_prepare_v2(db, "SELECT id, v, b FROM m ORDER BY id", -1, &pStmt, NULL) != SQLITE_OK)
		fail_msg("digest: %s", sqlite3_errmsg(db));
	while (sqlite3_step(pStmt) == SQLITE_ROW)
		for (int c = 0; c < 3; c++) {
			const void *p = sqlite3_column_blob(pStmt, c);
			int n = sqlite3_column_bytes(pStmt, c);
			uint8_t len[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };

			crypto_generichash_update(&h, len, 4);
			if (n > 0)
				crypto_generichash_update(&h, p, (size_t)n);
		}
	sqlite3_finalize(pStmt);
	crypto_generichash_final(&h, out, 32);
}

static void test_vfs__wal_generations_past_the_held_frames_read_back(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db = open_store(sb, "wal");
	uint8_t sum[32], now[32];

	exec_ok(db, "PRAGMA wal_autocheckpoint=0");
	exec_ok(db, "CREATE TABLE m(id INTEGER PRIMARY KEY, v TEXT, b BLOB)");
	/* one commit of some 1500 pages: past the 1024 frames held */
	exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
		    "INSERT INTO m SELECT i, '" CANARY " ' || i, zeroblob(1800) FROM n");
	exec_ok(db, "UPDATE m SET b = randomblob(1700) WHERE id % 7 = 0");
	/* a spilled transaction rewrites frames it wrote before */
	exec_ok(db, "PRAGMA cache_size=5");
	exec_ok(db, "BEGIN; UPDATE m SET v = v || '.' WHERE id % 3 = 0;"
		    "UPDATE m SET v = v || ':' WHERE id % 3 = 0; COMMIT");
	exec_ok(db, "PRAGMA cache_size=2000");
	assert_true(query_int(db, "PRAGMA wal_checkpoint") == 0);
	/* a new generation, held whole, then checkpointed */
	exec_ok(db, "UPDATE m SET b = randomblob(900) WHERE id % 11 = 0");
	exec_ok(db, "DELETE FROM m WHERE id % 13 = 0");
	digest_m(db, sum);
	assert_integrity_ok(db);
	exec_ok(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	digest_m(db, now);
	assert_memory_equal(now, sum, 32);
	exec_ok(db, "UPDATE m SET v = v || '!' WHERE id % 5 = 0");
	digest_m(db, sum);
	close_store(db);

	db = open_store(sb, NULL);
	assert_integrity_ok(db);
	digest_m(db, now);
	assert_memory_equal(now, sum, 32);
	assert_int_equal(query_int(db, "SELECT count(*) FROM m"), 3000 - 3000 / 13);
	close_store(db);
	assert_no_plaintext(sb, "after generations past the held frames");
}

/*
 * A new frame's header waits for its page in the slot past the held frames;
 * a page that comes in parts instead (not SQLite's order) is put together
 * as any partial frame is, held, and read back whole, and the store goes on
 * over it: SQLite writes its next commit's frame there and every row reads
 * back after a reopen.
 */
static void test_vfs__a_frame_written_in_parts_past_the_held_ones_reads_back(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db = open_store(sb, "wal");
	sqlite3_file *wal = NULL;
	sqlite3_int64 size = 0;
	uint8_t frame[24 + PAGE], back[24 + PAGE], sum[32], now[32];

	exec_ok(db, "CREATE TABLE m(id INTEGER PRIMARY KEY, v TEXT, b BLOB)");
	exec_ok(db, "INSERT INTO m VALUES (1, '" CANARY " 1', zeroblob(10))");
	assert_int_equal(sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal), SQLITE_OK);
	assert_non_null(wal);
	assert_int_equal(wal->pMethods->xFileSize(wal, &size), SQLITE_OK);
	assert_true(size > 32 && (size - 32) % (24 + PAGE) == 0);
	randombytes_buf(frame, sizeof(frame));
	memset(frame, 0, 4);                       /* page number 0: no frame to SQLite */
	memset(frame + sizeof(frame) - 40, 0, 40); /* reserved bytes read as zeros */
	assert_int_equal(wal->pMethods->xWrite(wal, frame, 24, size), SQLITE_OK);
	assert_int_equal(wal->pMethods->xWrite(wal, frame + 24, 1000, size + 24), SQLITE_OK);
	assert_int_equal(wal->pMethods->xWrite(wal, frame + 1024, PAGE - 1000, size + 1024), SQLITE_OK);
	assert_int_equal(wal->pMethods->xRead(wal, back, sizeof(back), size), SQLITE_OK);
	assert_memory_equal(back, frame, sizeof(frame));

	exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
		    "INSERT INTO m SELECT i, '" CANARY " ' || i, randomblob(300) FROM n");
	digest_m(db, sum);
	close_store(db);
	db = open_store(sb, NULL);
	assert_integrity_ok(db);
	digest_m(db, now);
	assert_memory_equal(now, sum, 32);
	assert_int_equal(query_int(db, "SELECT count(*) FROM m"), 300);
	close_store(db);
	assert_no_plaintext(sb, "after a frame written in parts");
}

/* Fills a fresh store at path with the same pages each time; closed. */
static void fill_fresh(const char *path, const uint8_t *key)
{
	sqlite3 *db = NULL;

	if (vios_vfs_open(&db, path, key, 1) != 0)
		fail_msg("vios_vfs_open: %s", vios_error_last());
	exec_ok(db, "CREATE TABLE f(id INTEGER PRIMARY KEY, b BLOB);"
		    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
		    "INSERT INTO f SELECT i, zeroblob(1000) FROM n");
	assert_int_equal(sqlite3_close_v2(db), SQLITE_OK);
}

/* The nonces of every page of the database at path, appended to out. */
static size_t page_nonces(uint8_t (*out)[24], size_t have, const char *path)
{
	size_t len;
	uint8_t *buf = slurp(path, &len);

	for (size_t off = 0; off + PAGE <= len; off += PAGE)
		memcpy(out[have++], buf + off + PAGE - 40, 24);
	free(buf);
	return have;
}

/*
 * Nonces come from a per-thread pool: a child made by fork() must not hand
 * out the ones its parent has yet to use. Both fill a fresh store the same
 * way after the fork (with the same key, the worst case); no nonce of one
 * is a nonce of the other.
 */
static void test_vfs__a_forked_child_seals_under_nonces_of_its_own(void **state)
{
	sandbox *sb = *state;
	char pa[160], pb[160];
	uint8_t (*nonces)[24] = calloc(4096, 24);
	sqlite3 *db = open_store(sb, "wal");
	size_t n;
	pid_t pid;
	int st;

	assert_non_null(nonces);
	exec_ok(db, "CREATE TABLE t(x)"); /* the parent's pool is begun */
	close_store(db);
	snprintf(pa, sizeof(pa), "%s/parent.db", sb->dir);
	snprintf(pb, sizeof(pb), "%s/child.db", sb->dir);
	if ((pid = fork()) == 0) {
		fill_fresh(pb, sb->key);
		_exit(0);
	}
	assert_true(pid > 0);
	fill_fresh(pa, sb->key);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	n = page_nonces(nonces, 0, pa);
	n = page_nonces(nonces, n, pb);
	assert_true(n > 20);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (memcmp(nonces[i], nonces[j], 24) == 0)
				fail_msg("pages %zu and %zu were sealed under the same nonce", i, j);
	free(nonces);
}

/* --- temp files ---------------------------------------------------------- */

static void test_vfs__temp_files_never_reach_the_os(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db;

	spy_main_opens = spy_temp_opens = 0;
	db = open_store(sb, "wal");
	/* ask for temp files even so: the VFS must keep them in memory */
	exec_ok(db, "PRAGMA temp_store=FILE");
	exec_ok(db, "PRAGMA cache_size=10");
	exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)");
	exec_ok(db, "BEGIN");
	insert_rows(db, 1, 3000);
	exec_ok(db, "COMMIT");
	/* a temp db bigger than its cache, a sort bigger than the sorter's
	 * memory (1 MiB here), a statement journal past its 64 KiB spill size */
	exec_ok(db, "PRAGMA temp.cache_size=10");
	exec_ok(db, "CREATE TEMP TABLE tt AS SELECT v, hex(randomblob(300)) AS pad FROM t");
	assert_int_equal(query_rc(db, "SELECT v, pad FROM tt ORDER BY random()"), SQLITE_OK);
	exec_ok(db, "BEGIN");
	assert_int_not_equal(sqlite3_exec(db, "UPDATE t SET v = CASE WHEN id = 3000 THEN "
		"(SELECT v FROM t WHERE id = 1) ELSE v || ' edited' END", NULL, NULL, NULL), SQLITE_OK);
	exec_ok(db, "COMMIT");
	assert_int_equal(query_int(db, "SELECT count(*) FROM t WHERE v LIKE '% edited'"), 0);
	exec_ok(db, "VACUUM");
	assert_int_equal(query_int(db, "SELECT count(*) FROM tt"), 3000);
	close_store(db);

	assert_true(spy_main_opens >= 1); /* the spy is in the path */
	assert_int_equal(spy_temp_opens, 0);
	assert_no_plaintext(sb, "after temp work");
}

static void test_vfs__attach_and_vacuum_into_a_file_are_refused(void **state)
{
	sandbox *sb = *state;
	sqlite3 *db;
	char sql[256], other[160];

	make_store(sb, 100);
	db = open_store(sb, NULL);
	snprintf(other, sizeof(other), "%s/plain.db", sb->dir);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", other);
	assert_int_not_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS p", other);
	assert_int_not_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	close_store(db);
	assert_false(file_size(other) > 0);
	assert_no_plaintext(sb, "after refused copies");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vfs__round_trips_2000_rows_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__no_plaintext_on_disk_in_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__no_plaintext_on_disk_with_a_rollback_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__wrong_key_is_refused_and_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__wrong_key_leaves_an_uncheckpointed_wal_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__flipped_byte_in_page_3_fails_auth_and_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__flipped_byte_in_page_1_fails_auth_and_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__all_zero_page_is_not_accepted_as_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__other_page_size_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__sigkill_mid_transaction_keeps_whole_batches_in_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__sigkill_mid_transaction_keeps_whole_batches_with_a_rollback_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__tampered_wal_frame_ends_the_log_and_is_never_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__torn_last_wal_frame_loses_only_its_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__spilled_transaction_leaves_no_plaintext_and_rolls_back_in_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__spilled_transaction_leaves_no_plaintext_and_rolls_back_with_a_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__cut_database_with_a_hot_journal_rolls_back_or_is_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__a_page_put_back_from_an_older_state_is_caught, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__a_missing_changed_or_older_index_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__a_store_sealed_before_the_index_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__a_new_store_cut_in_its_first_transaction_opens_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__a_kill_before_the_index_is_written_leaves_a_sound_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__an_older_wal_or_a_made_up_journal_is_not_played_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__many_pages_with_a_small_cache_pass_integrity_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__wal_generations_past_the_held_frames_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__a_frame_written_in_parts_past_the_held_ones_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__a_forked_child_seals_under_nonces_of_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__temp_files_never_reach_the_os, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfs__attach_and_vacuum_into_a_file_are_refused, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	spy_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
