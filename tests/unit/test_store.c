/*
 * test_store.c - the encrypted record store through the records API:
 * migrations, a newer schema refused, crash safety under SIGKILL, no
 * plain text on disk after normal use, a crash and VACUUM, and tampering
 * reported as VIOS_ECORRUPT.
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
		vios_field f[] = { { "theme", "weapons" }, { "note", sb->canary }, { "pupil_id", id } };
		assert_int_equal(vios_record_add(sid, st, "signal", f, 3), 0);
	}
	assert_false(found_under(sb->home, sb->canary));
	assert_int_equal(sqlite3_exec(st->db, "DELETE FROM signal", NULL, NULL, NULL), SQLITE_OK);
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
		cmocka_unit_test_setup_teardown(test_store_tx_begin__refuses_a_store_without_capture, setup, teardown),
		cmocka_unit_test(test_records__validators),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
