/*
 * test_store.c - the encrypted record store through the records API:
 * migrations, a newer schema refused, crash safety under SIGKILL, no
 * plain text on disk after normal use, a crash and VACUUM, tampering
 * reported as VIOS_ECORRUPT, and the access log's hash chain: appends,
 * each kind of tampering named (edited, deleted, reordered), the chaining
 * of a log written before the chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crdt/crdt.h"
#include "node/node.h"
#include "store/records.h"
#include "store/store.h"
#include "util/error.h"
#include "util/util.h"

#include "fixture.h"

typedef struct {
	char dir[64];
	char home[128];
	vios_node *node;
	char canary[40];
} sandbox;

static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	vios_secret *pass = NULL;
	char code[VIOS_RECOVERY_LEN + 1];
	uint8_t r[8];
	char hex[17];

	strcpy(sb->dir, "/tmp/vios-store.XXXXXX");
	assert_non_null(mkdtemp(sb->dir));
	snprintf(sb->home, sizeof(sb->home), "%s/home", sb->dir);
	assert_int_equal(vios_secret_new(&pass, "store test passphrase", 21), 0);
	assert_int_equal(vios_node_init(&sb->node, code, sb->home, "school", "unit", NULL, pass, VIOS_KDF_INTERACTIVE), 0);
	vios_secret_free(pass);
	randombytes_buf(r, sizeof(r));
	vios_hex(hex, r, sizeof(r));
	snprintf(sb->canary, sizeof(sb->canary), "canary%s", hex);
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	vios_node_free(sb->node);
	vios_rm_rf(sb->dir);
	free(sb);
	return 0;
}

/* 1 when needle occurs in any file under dir. */
static int found_under(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	int hit = 0;

	if (d == NULL)
		return 0;
	while (!hit && (e = readdir(d)) != NULL) {
		uint8_t *buf;
		size_t len;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			hit = found_under(path, needle);
			continue;
		}
		if (vios_file_read(&buf, &len, path, 1 << 30) == 0) {
			hit = memmem(buf, len, needle, strlen(needle)) != NULL;
			free(buf);
		}
	}
	closedir(d);
	return hit;
}

static void add_pupil(vios_store *st, const char *name, char id[37])
{
	vios_field f[] = { { "name", name }, { "class", "2B" } };
	assert_int_equal(vios_record_add(id, st, "pupil", f, 2), 0);
}

static void test_store_open__migrates_to_current_schema(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;
	json_t *rows = NULL;

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	assert_int_equal(vios_query(&rows, st, "PRAGMA user_version", NULL, 0), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "user_version")),
			 vios_store_schema_version());
	json_decref(rows);
	assert_int_equal(vios_store_check(st), 0);
	vios_store_free(st);
}

static void test_store_open__refuses_newer_schema(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	assert_int_equal(sqlite3_exec(st->db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	vios_store_free(st);
	st = NULL;
	assert_int_equal(fx_store_open(&st, sb->node), VIOS_ERROR);
	assert_null(st);
	assert_non_null(strstr(vios_error_last(), "newer vios"));
}

static void test_store__no_plaintext_after_use_and_vacuum(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;
	char id[37], sid[37], name[80];

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	snprintf(name, sizeof(name), "Pupil %s", sb->canary);
	add_pupil(st, name, id);
	{
		vios_field f[] = { { "theme", "weapons" }, { "note", sb->canary }, { "pupil_id", id },
				   { "basis", "public-task" }, { "parents_informed", "1" } };
		assert_int_equal(vios_record_add(sid, st, "signal", f, 5), 0);
	}
	assert_false(found_under(sb->home, sb->canary));
	/* through the store's commit: a raw one would be refused (the theme
	 * data's version counts a signal deleted, store.h) */
	assert_int_equal(fx_sql_merged(st, "DELETE FROM signal"), SQLITE_OK);
	assert_int_equal(sqlite3_exec(st->db, "VACUUM", NULL, NULL, NULL), SQLITE_OK);
	assert_false(found_under(sb->home, sb->canary));
	assert_int_equal(vios_store_check(st), 0);
	vios_store_free(st);
	assert_false(found_under(sb->home, sb->canary));
}

/*
 * A child writes pupils in a loop, one transaction each, and reports each
 * committed number through a pipe; the parent kills it with SIGKILL at a
 * random moment. Afterwards the store opens, passes integrity_check, holds
 * every reported record and no plaintext.
 */
static void crash_once(sandbox *sb, int delay_ms)
{
	int fd[2];
	pid_t pid;
	long last = -1, v;
	FILE *in;
	vios_store *st = NULL;
	json_t *rows = NULL;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vios_store *cst = NULL;
		char id[37], name[80];
		close(fd[0]);
		if (fx_store_open(&cst, sb->node) < 0)
			_exit(2);
		for (long i = 0;; i++) {
			vios_field f[] = { { "name", name }, { "local_id", NULL }, { "class", "batch" } };
			char num[24];
			snprintf(name, sizeof(name), "%s-%ld", sb->canary, i);
			snprintf(num, sizeof(num), "%ld", i);
			f[1].val = num;
			if (vios_record_add(id, cst, "pupil", f, 3) < 0)
				_exit(3);
			if (dprintf(fd[1], "%ld\n", i) < 0)
				_exit(4);
		}
	}
	close(fd[1]);
	{
		struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	in = fdopen(fd[0], "r");
	while (fscanf(in, "%ld", &v) == 1)
		last = v;
	fclose(in);

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	assert_int_equal(vios_store_check(st), 0);
	{
		char q[160];
		snprintf(q, sizeof(q), "SELECT count(*) AS n FROM pupil WHERE class = 'batch' AND CAST(local_id AS INTEGER) <= %ld", last);
		assert_int_equal(vios_query(&rows, st, q, NULL, 0), 0);
		assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "n")), last + 1);
		json_decref(rows);
	}
	/* every row is whole: a name for every local id, no duplicates */
	assert_int_equal(vios_query(&rows, st,
				    "SELECT count(*) AS n FROM pupil WHERE class = 'batch' AND (name IS NULL OR local_id IS NULL)",
				    NULL, 0), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "n")), 0);
	json_decref(rows);
	assert_int_equal(sqlite3_exec(st->db, "DELETE FROM pupil WHERE class = 'batch'", NULL, NULL, NULL), SQLITE_OK);
	vios_store_free(st);
	assert_false(found_under(sb->home, sb->canary));
}

static void test_store__survives_sigkill_during_writes(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;

	/* create the store first so the child's kill can hit any write */
	assert_int_equal(fx_store_open(&st, sb->node), 0);
	vios_store_free(st);
	for (int i = 0; i < 6; i++)
		crash_once(sb, 80 + (int)randombytes_uniform(400));
}

static void flip_byte(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	int c;
	assert_non_null(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	c = fgetc(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	fputc(c ^ 0x40, f);
	fclose(f);
}

static void test_store__tampered_page_is_ecorrupt_and_nothing_written(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;
	char id[37], path[256];
	json_t *rows = NULL;
	uint8_t *before, *after;
	size_t blen, alen;
	long page;

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	for (int i = 0; i < 300; i++)
		add_pupil(st, "a pupil with a long enough name to fill several pages of the store", id);
	/* the last page of the pupil table (other tables' pages lie between) */
	assert_int_equal(vios_query(&rows, st, "SELECT max(pageno) AS p FROM dbstat WHERE name = 'pupil'", NULL, 0), 0);
	page = (long)json_integer_value(json_object_get(json_array_get(rows, 0), "p"));
	json_decref(rows);
	rows = NULL;
	assert_true(page >= 4);
	vios_store_free(st);
	snprintf(path, sizeof(path), "%s/store.db", sb->home);
	assert_int_equal(vios_file_read(&before, &blen, path, 1 << 26), 0);
	free(before);
	assert_true(blen >= 8 * 4096 && (size_t)page * 4096 <= blen);
	/* a page of the pupil table, well past the schema pages */
	flip_byte(path, (page - 1) * 4096 + 777);
	assert_int_equal(vios_file_read(&before, &blen, path, 1 << 26), 0);

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	int rc = vios_query(&rows, st, "SELECT count(*), max(name) FROM pupil", NULL, 0);
	assert_int_equal(rc, VIOS_ECORRUPT);
	assert_non_null(strstr(vios_error_last(), "tampered or corrupt"));
	{
		vios_field f[] = { { "name", "x" } };
		assert_true(vios_record_add(id, st, "pupil", f, 1) < 0);
	}
	vios_store_free(st);
	assert_int_equal(vios_file_read(&after, &alen, path, 1 << 26), 0);
	assert_int_equal(blen, alen);
	assert_memory_equal(before, after, blen);
	free(before);
	free(after);
}

static void test_store__tampered_page1_refused_at_open(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;
	char path[256];

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	vios_store_free(st);
	st = NULL;
	snprintf(path, sizeof(path), "%s/store.db", sb->home);
	flip_byte(path, 50);
	assert_int_equal(fx_store_open(&st, sb->node), VIOS_ECORRUPT);
	assert_null(st);
}

static void test_store_log__is_append_only(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;
	char id[37];

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	add_pupil(st, "x", id);
	assert_int_not_equal(sqlite3_exec(st->db, "UPDATE access_log SET why = 'rewritten'", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(st->db, "DELETE FROM access_log", NULL, NULL, NULL), SQLITE_OK);
	vios_store_free(st);
}

static void test_records__validators(void **state)
{
	static const struct {
		int id;
		const char *date;
		int ok;
	} dates[] = {
		{ 1, "2026-11-29", 1 }, { 2, "2024-02-29", 1 }, { 3, "2023-02-29", 0 },
		{ 4, "2026-13-01", 0 }, { 5, "2026-1-01", 0 },  { 6, "20261101", 0 },
		{ 7, "2026-11-31", 0 }, { 8, "2000-02-29", 1 }, { 9, "1900-02-29", 0 },
		{ 10, "", 0 },          { 11, "2026-11-29x", 0 }, { 12, "abcd-ef-gh", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		if (vios_date_valid(dates[i].date) != dates[i].ok)
			fail_msg("date case %d (%s)", dates[i].id, dates[i].date);
	assert_true(vios_month_valid("2026-01"));
	assert_false(vios_month_valid("2026-00"));
	assert_true(vios_theme_valid("exploitation"));
	assert_false(vios_theme_valid("loverboys"));
	assert_true(vios_role_at_table("youth-work"));
	assert_false(vios_role_at_table("hub"));
	assert_string_equal(vios_case_next_statuses("closed"), "");
}

/* A store nobody attached capture to refuses a captured transaction (an
 * assert in a debug build, VIOS_ERROR otherwise): its writes would never
 * leave the node. Attached, the same store writes. */
static void test_store_tx_begin__refuses_a_store_without_capture(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;
	pid_t pid;
	int status = 0;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit nocore = { 0, 0 };
		vios_store *cst = NULL;
		if (setrlimit(RLIMIT_CORE, &nocore) < 0 || freopen("/dev/null", "w", stderr) == NULL ||
		    vios_store_open(&cst, sb->node) < 0)
			_exit(2);
		_exit(vios_store_tx_begin(cst) == VIOS_ERROR ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true((WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) == 0));

	assert_int_equal(vios_store_open(&st, sb->node), 0);
	assert_int_equal(vios_store_tx_captured(st), 0);
	assert_int_equal(vios_crdt_attach(st), 0);
	assert_int_equal(vios_crdt_attach(st), 0);
	assert_int_equal(vios_store_tx_begin(st), 0);
	assert_int_equal(vios_store_tx_captured(st), 1);
	assert_int_equal(vios_store_tx_commit(st), 0);
	assert_int_equal(vios_store_tx_captured(st), 0);
	vios_store_free(st);
}

/* ---- the access log's hash chain ------------------------------------------ */

/* A store with n pupils added (a create entry each). */
static vios_store *log_store(sandbox *sb, int n)
{
	vios_store *st = NULL;
	char id[37];

	assert_int_equal(fx_store_open(&st, sb->node), 0);
	for (int i = 0; i < n; i++)
		add_pupil(st, "x", id);
	return st;
}

static void sql_ok(vios_store *st, const char *zSql)
{
	char *err = NULL;
	if (sqlite3_exec(st->db, zSql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", zSql, err);
}

/* The triggers guard against slips, not against someone with the key:
 * a test that tampers removes them first, as such a person would. */
static void log_unguard(vios_store *st)
{
	sql_ok(st, "DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete");
}

static void test_store_log__chain_verifies_after_appends(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 3);
	vios_log_head v, head, before;
	long long bad = -1, rows = 0;

	assert_int_equal(vios_store_log_verify(&v, &bad, st), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(vios_store_row_count(&rows, st, "access_log"), 0);
	assert_true(rows >= 3);
	assert_int_equal(v.count, rows);
	assert_int_equal(vios_store_log_head(&head, st), 0);
	assert_int_equal(head.count, v.count);
	assert_memory_equal(head.head, v.head, VIOS_LOG_HASH_LEN);
	before = head;
	assert_int_equal(vios_store_log(st, "read", "pupil", NULL, "one more"), 0);
	assert_int_equal(vios_store_log_head(&head, st), 0);
	assert_int_equal(head.count, before.count + 1);
	assert_memory_not_equal(head.head, before.head, VIOS_LOG_HASH_LEN);
	assert_int_equal(vios_store_log_verify(&v, NULL, st), 0);
	assert_memory_equal(head.head, v.head, VIOS_LOG_HASH_LEN);
	vios_store_free(st);
}

/* The log's id: made with the store, kept when it is reopened (or copied),
 * another for another store; one row, never changed. */
static void test_store_log__id_is_made_once_and_kept(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 1), *tmp = NULL;
	vios_log_head a, b, c;
	char dir[128];

	assert_int_equal(vios_store_log_head(&a, st), 0);
	vios_store_free(st);
	st = log_store(sb, 1);
	assert_int_equal(vios_store_log_head(&b, st), 0);
	assert_memory_equal(a.id, b.id, VIOS_LOG_ID_LEN);
	assert_int_equal(b.count, a.count + 1);
	assert_int_not_equal(sqlite3_exec(st->db, "UPDATE access_log_id SET id = lower(hex(randomblob(16)))", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(st->db, "INSERT INTO access_log_id VALUES (lower(hex(randomblob(16))))", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(st->db, "DELETE FROM access_log_id", NULL, NULL, NULL), SQLITE_OK);
	snprintf(dir, sizeof(dir), "%s/tmp", sb->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(vios_store_open_temp(&tmp, sb->node, dir), 0);
	assert_int_equal(vios_store_log_head(&c, tmp), 0);
	assert_memory_not_equal(a.id, c.id, VIOS_LOG_ID_LEN);
	vios_store_free(tmp);
	vios_store_free(st);
}

static void test_store_log__empty_log_has_zero_head(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 0);
	vios_log_head v;
	uint8_t zero[VIOS_LOG_HASH_LEN] = { 0 };

	assert_int_equal(vios_store_log_verify(&v, NULL, st), 0);
	assert_int_equal(v.count, 0);
	assert_memory_equal(v.head, zero, sizeof(zero));
	vios_store_free(st);
}

static void test_store_log__entry_without_hash_is_refused(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 1);

	assert_int_not_equal(sqlite3_exec(st->db, "INSERT INTO access_log(at, node_id, os_user, action, tbl)"
				  " VALUES ('2026-01-01T00:00:00Z', 'n', 'u', 'read', 'pupil')", NULL, NULL, NULL), SQLITE_OK);
	vios_store_free(st);
}

static void test_store_log__edited_entry_is_named(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 4);
	vios_log_head v;
	long long bad = 0;

	log_unguard(st);
	sql_ok(st, "UPDATE access_log SET os_user = 'someone-else' WHERE seq = 2");
	assert_int_equal(vios_store_log_verify(&v, &bad, st), VIOS_EVERIFY);
	assert_int_equal(bad, 2);
	assert_int_equal(v.count, 1);
	assert_non_null(strstr(vios_error_last(), "entry 2 was edited"));
	vios_store_free(st);
}

static void test_store_log__edited_hash_is_named(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 4);
	long long bad = 0;
	vios_log_head v;

	log_unguard(st);
	/* (a hash that already began with 00 would be left as it was: 1 run in 256) */
	sql_ok(st, "UPDATE access_log SET hash = CASE WHEN substr(hash, 1, 2) = '00' THEN 'ff' ELSE '00' END"
		   " || substr(hash, 3) WHERE seq = 3");
	assert_int_equal(vios_store_log_verify(&v, &bad, st), VIOS_EVERIFY);
	assert_int_equal(bad, 3);
	assert_non_null(strstr(vios_error_last(), "entry 3 was edited"));
	/* a hash that is no hash at all */
	sql_ok(st, "DROP TRIGGER access_log_hashed");
	sql_ok(st, "UPDATE access_log SET hash = NULL WHERE seq = 2");
	assert_int_equal(vios_store_log_verify(&v, &bad, st), VIOS_EVERIFY);
	assert_int_equal(bad, 2);
	assert_non_null(strstr(vios_error_last(), "entry 2 has no valid hash"));
	vios_store_free(st);
}

static void test_store_log__deleted_entry_is_named(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 4);
	long long bad = 0;
	vios_log_head v;

	log_unguard(st);
	sql_ok(st, "DELETE FROM access_log WHERE seq = 2");
	assert_int_equal(vios_store_log_verify(&v, &bad, st), VIOS_EVERIFY);
	assert_int_equal(bad, 2);
	assert_non_null(strstr(vios_error_last(), "entry 2 was deleted"));
	/* renumbered to hide the gap: the chain still breaks there */
	sql_ok(st, "UPDATE access_log SET seq = seq - 1 WHERE seq > 2");
	assert_int_equal(vios_store_log_verify(&v, &bad, st), VIOS_EVERIFY);
	assert_int_equal(bad, 2);
	assert_non_null(strstr(vios_error_last(), "entry 2 was edited (or the entry before it deleted)"));
	vios_store_free(st);
}

static void test_store_log__deleted_last_entries_are_named(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 4);
	long long bad = 0;
	vios_log_head v;

	log_unguard(st);
	sql_ok(st, "DELETE FROM access_log WHERE seq >= 3");
	assert_int_equal(vios_store_log_verify(&v, &bad, st), VIOS_EVERIFY);
	assert_int_equal(bad, 3);
	assert_int_equal(v.count, 2);
	assert_non_null(strstr(vios_error_last(), "entries 3 to 4, the last, were deleted"));
	/* and when the log goes on after them */
	assert_int_equal(vios_store_log(st, "read", "pupil", NULL, NULL), 0);
	assert_int_equal(vios_store_log_verify(&v, &bad, st), VIOS_EVERIFY);
	assert_int_equal(bad, 3);
	assert_non_null(strstr(vios_error_last(), "entries 3 to 4 were deleted (entry 5 follows entry 2)"));
	vios_store_free(st);
}

static void test_store_log__swapped_entries_are_named(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 4);
	long long bad = 0;
	vios_log_head v;

	log_unguard(st);
	sql_ok(st, "UPDATE access_log SET seq = 100 WHERE seq = 2; UPDATE access_log SET seq = 2 WHERE seq = 3;"
		   " UPDATE access_log SET seq = 3 WHERE seq = 100");
	assert_int_equal(vios_store_log_verify(&v, &bad, st), VIOS_EVERIFY);
	assert_int_equal(bad, 2);
	assert_non_null(strstr(vios_error_last(), "entry 2 is out of order: it was written after entry 3"));
	vios_store_free(st);
}

/* A store from before the chain (schema 7): migration 0008 chains the
 * entries it holds, in seq order, as vios_store_log would have. The store
 * is taken back to 7 by undoing every migration after 0007: 0008, 0009
 * (consent), 0010 (the case's marked fields), 0011 (parents informed of
 * a case), 0012 (erasure: crdt_ref), 0013 (epoch keys), 0014 (the
 * rhythm's columns; the signal table it rebuilt stays without its theme
 * list, which 0014 copies over again), 0015 (school_figure), 0016 (local
 * themes), which rebuilds signal_count the same way, so it is left as it is
 * and rebuilt again, and 0017 (crdt_change and crdt_row; crdt_pending back
 * as 0002 made it). */
static void test_store_open__migration_chains_existing_log(void **state)
{
	sandbox *sb = *state;
	vios_store *st = log_store(sb, 3);
	vios_log_head before, after;
	long long bad = 0;

	assert_int_equal(vios_store_schema_version(), 18);
	assert_int_equal(vios_store_log_verify(&before, NULL, st), 0);
	sql_ok(st, "DROP INDEX signal_theme_seen; CREATE INDEX signal_theme_seen ON signal(theme, seen_at);" /* 0018 */
		   " DROP TABLE crdt_row; DROP TABLE crdt_change;" /* 0017, and crdt_pending as 0002 made it */
		   " CREATE TABLE crdt_pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, hlc INTEGER NOT NULL,"
		   " node TEXT NOT NULL, tbl TEXT NOT NULL, pk TEXT NOT NULL, col TEXT, value,"
		   " base_hlc INTEGER NOT NULL DEFAULT 0, base_node TEXT, sealed_in TEXT);"
		   " CREATE INDEX crdt_pending_open ON crdt_pending(seq) WHERE sealed_in IS NULL;"
		   " CREATE INDEX crdt_pending_row ON crdt_pending(tbl, pk) WHERE sealed_in IS NULL;"
		   " DROP TABLE school_figure;" /* 0015 */
		   " ALTER TABLE signal DROP COLUMN closed_reason; ALTER TABLE signal DROP COLUMN closed_at;"
		   " ALTER TABLE meeting DROP COLUMN discussed; ALTER TABLE meeting DROP COLUMN planned;"
		   " DROP INDEX meeting_date;"
		   " ALTER TABLE case_file DROP COLUMN meldcode;" /* 0014 */
		   " DROP TABLE epoch_key; DROP TABLE epoch_zero; DROP TABLE peer_epoch;" /* 0013 */
		   " DROP TABLE crdt_ref; DROP INDEX meeting_case;"
		   " DROP INDEX agreement_meeting;" /* 0012 (issue 16, erasure) */
		   " ALTER TABLE case_file DROP COLUMN not_informed_reason;"
		   " ALTER TABLE case_file DROP COLUMN parents_informed;"
		   " ALTER TABLE case_file DROP COLUMN care_info; ALTER TABLE case_file DROP COLUMN police_info;"
		   " DROP TABLE consent;"
		   " DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_hashed;"
		   " ALTER TABLE access_log DROP COLUMN hash; DROP TABLE access_log_id;"
		   " CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log"
		   " BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;"
		   " PRAGMA user_version = 7");
	vios_store_free(st);
	st = NULL;
	assert_int_equal(fx_store_open(&st, sb->node), 0);
	assert_int_equal(vios_store_log_verify(&after, &bad, st), 0);
	assert_int_equal(after.count, before.count);
	assert_memory_equal(after.head, before.head, VIOS_LOG_HASH_LEN);
	assert_memory_not_equal(after.id, before.id, VIOS_LOG_ID_LEN); /* made by the migration */
	/* and the guard is back: an entry keeps its hash */
	assert_int_not_equal(sqlite3_exec(st->db, "UPDATE access_log SET why = 'x' WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(st->db, "UPDATE access_log SET hash = NULL WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
	vios_store_free(st);
}

/* Only the process that made the home creates its store: a reopened node
 * whose store.db is gone or empty gets an error and no new file. */
static void test_store_open__missing_store_is_an_error(void **state)
{
	sandbox *sb = *state;
	vios_store *st = NULL;
	vios_secret *pass = NULL;
	vios_node *again = NULL;
	char path[256];
	struct stat stb;

	assert_int_equal(vios_store_open(&st, sb->node), 0); /* fresh: made */
	vios_store_free(st);
	st = NULL;
	assert_int_equal(vios_secret_new(&pass, "store test passphrase", 21), 0);
	assert_int_equal(vios_node_open(&again, sb->home, pass), 0);
	vios_secret_free(pass);
	assert_int_equal(again->fresh, 0);
	assert_int_equal(vios_store_open(&st, again), 0); /* it exists: opened */
	vios_store_free(st);
	st = NULL;

	snprintf(path, sizeof(path), "%s/store.db", sb->home);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(vios_store_open(&st, again), VIOS_ENOTFOUND);
	assert_null(st);
	assert_non_null(strstr(vios_error_last(), "store.db is missing: restore it from a backup"));
	assert_int_equal(stat(path, &stb), -1);

	assert_int_equal(vios_file_write_atomic(path, "", 0, 0600, 0), 0);
	assert_int_equal(vios_store_open(&st, again), VIOS_ENOTFOUND);
	assert_non_null(strstr(vios_error_last(), "is empty"));
	assert_int_equal(stat(path, &stb), 0);
	assert_int_equal(stb.st_size, 0);
	vios_node_free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_open__migrates_to_current_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open__missing_store_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open__refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__no_plaintext_after_use_and_vacuum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__survives_sigkill_during_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__tampered_page_is_ecorrupt_and_nothing_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store__tampered_page1_refused_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__is_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__chain_verifies_after_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__empty_log_has_zero_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__id_is_made_once_and_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__entry_without_hash_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__edited_entry_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__edited_hash_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__deleted_entry_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__deleted_last_entries_are_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_log__swapped_entries_are_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open__migration_chains_existing_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_tx_begin__refuses_a_store_without_capture, setup, teardown),
		cmocka_unit_test(test_records__validators),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
