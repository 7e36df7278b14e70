/*
 * bench.c - `make bench`: what vios costs, as ratios measured side by side
 * in one run. Never a test: it prints figures and fails only when a
 * workload itself fails.
 *
 * Store: the same schema (the migrations compiled in) and the same
 * workload run on plain SQLite and on the vios store (the encrypting VFS),
 * with the same pragmas (4096-byte pages, WAL, locking_mode EXCLUSIVE,
 * synchronous FULL, secure_delete, temp_store MEMORY, mmap off), so the
 * ratio is the cost of sealing pages:
 *   bulk insert   N signals in transactions of 1000
 *   lookups       N point reads by primary key, random order
 *   indexed scan  N/100 range reads on the (theme, seen_at) index
 *   mixed         N/10 transactions: read a row, update it, insert one
 *
 * Usage: bench [--rows N] [--dir DIR]   (default 100000 rows, a temp dir)
 */
#include <getopt.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/vfs.h"
#include "util/error.h"
#include "util/util.h"

extern const char *const vios_schema_migrations[];
extern const size_t vios_schema_migration_count;

static const char *const themes[] = { "weapons", "drugs-use", "drugs-trade", "alcohol",
				      "exploitation", "sexting", "street-culture", "polarisation",
				      "nuisance", "vandalism", "crime", "other" };

#define REPS 2
#define STORE_CACHE (-65536) /* KiB, as src/store/store.c sets it */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(sqlite3 *db, int rc, const char *what)
{
	fprintf(stderr, "bench: %s failed: %s\n", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		die(db, rc, sql);
}

static sqlite3 *open_plain(const char *path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK)
		die(db, rc, "open plain");
	exec(db, "PRAGMA page_size=4096; PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL;"
		 "PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0;"
		 "PRAGMA secure_delete=ON");
	return db;
}

static sqlite3 *open_vios(const char *path, const uint8_t key[32])
{
	sqlite3 *db = NULL;
	if (vios_vfs_register() < 0 || vios_vfs_open(&db, path, key, 1) < 0) {
		fprintf(stderr, "bench: open vios store failed: %s\n", vios_error_last());
		exit(1);
	}
	exec(db, "PRAGMA synchronous=FULL");
	return db;
}

static void schema(sqlite3 *db)
{
	for (size_t i = 0; i < vios_schema_migration_count; i++)
		exec(db, vios_schema_migrations[i]);
}

typedef struct {
	double insert, lookup, scan, mixed;
	long long bytes;
} result;

static void id_of(char out[37], long i)
{
	snprintf(out, 37, "00000000-0000-7000-8000-%012ld", i % 1000000000000L);
}

static void run(result *r, sqlite3 *db, const char *path, long rows, int cache_pages)
{
	char cache[64];

	sqlite3_stmt *ins = NULL, *get = NULL, *scan = NULL, *upd = NULL;
	char id[37], note[160];
	double t;
	struct stat st;
	int rc;

	snprintf(cache, sizeof(cache), "PRAGMA cache_size=%d", cache_pages < 0 ? cache_pages : -2000);
	exec(db, cache);
	schema(db);
	rc = sqlite3_prepare_v2(db, "INSERT INTO signal(id, origin, seen_at, theme, note, location, severity, created_at)"
				    " VALUES (?, 'bench', ?, ?, ?, 'in', 'medium', '2026-11-29T00:00:00Z')", -1, &ins, NULL);
	if (rc != SQLITE_OK)
		die(db, rc, "prepare insert");
	t = now();
	for (long i = 0; i < rows; i++) {
		char day[11];
		if (i % 1000 == 0)
			exec(db, "BEGIN");
		id_of(id, i);
		snprintf(day, sizeof(day), "2026-%02ld-%02ld", 1 + i % 12, 1 + i % 28);
		snprintf(note, sizeof(note), "signal %ld: factual note of what was seen near the school, source: the coordinator", i);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, day, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 3, themes[i % 12], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, note, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(ins)) != SQLITE_DONE)
			die(db, rc, "insert");
		sqlite3_reset(ins);
		if (i % 1000 == 999 || i == rows - 1)
			exec(db, "COMMIT");
	}
	r->insert = now() - t;

	/* Reads with the page cache under test: the store's own setting, or a
	 * small one so that nearly every page read is decrypted again. */
	snprintf(cache, sizeof(cache), "PRAGMA cache_size=%d", cache_pages);
	exec(db, cache);
	sqlite3_prepare_v2(db, "SELECT note FROM signal WHERE id = ?", -1, &get, NULL);
	t = now();
	for (long i = 0; i < rows; i++) {
		id_of(id, (long)randombytes_uniform((uint32_t)rows));
		sqlite3_bind_text(get, 1, id, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(get)) != SQLITE_ROW)
			die(db, rc, "lookup");
		sqlite3_reset(get);
	}
	r->lookup = now() - t;

	sqlite3_prepare_v2(db, "SELECT count(*) FROM signal WHERE theme = ? AND seen_at BETWEEN ? AND ?", -1, &scan, NULL);
	t = now();
	for (long i = 0; i < rows / 100; i++) {
		sqlite3_bind_text(scan, 1, themes[i % 12], -1, SQLITE_STATIC);
		sqlite3_bind_text(scan, 2, "2026-03-01", -1, SQLITE_STATIC);
		sqlite3_bind_text(scan, 3, "2026-06-30", -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(scan)) != SQLITE_ROW)
			die(db, rc, "scan");
		sqlite3_reset(scan);
	}
	r->scan = now() - t;

	sqlite3_prepare_v2(db, "UPDATE signal SET severity = 'high', note = note || '.' WHERE id = ?", -1, &upd, NULL);
	t = now();
	for (long i = 0; i < rows / 10; i++) {
		exec(db, "BEGIN");
		id_of(id, (long)randombytes_uniform((uint32_t)rows));
		sqlite3_bind_text(get, 1, id, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(get)) != SQLITE_ROW)
			die(db, rc, "mixed read");
		sqlite3_reset(get);
		sqlite3_bind_text(upd, 1, id, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(upd)) != SQLITE_DONE)
			die(db, rc, "mixed update");
		sqlite3_reset(upd);
		id_of(id, rows + i);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, "2026-11-29", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, "nuisance", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, "mixed workload", -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(ins)) != SQLITE_DONE)
			die(db, rc, "mixed insert");
		sqlite3_reset(ins);
		exec(db, "COMMIT");
	}
	r->mixed = now() - t;
	sqlite3_finalize(ins);
	sqlite3_finalize(get);
	sqlite3_finalize(scan);
	sqlite3_finalize(upd);
	exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close_v2(db);
	r->bytes = stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void row(const char *what, double plain, double enc, const char *unit)
{
	printf("%-36s %12.3f %12.3f %8.2fx   %s\n", what, plain, enc, plain > 0 ? enc / plain : 0.0, unit);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "rows", required_argument, NULL, 'r' },
						   { "dir", required_argument, NULL, 'd' },
						   { NULL, 0, NULL, 0 } };
	long rows = 100000;
	char dir[256] = "", p1[300], p2[300];
	uint8_t key[32];
	result plain = { 0 }, enc = { 0 };
	int c, made = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'r')
			rows = atol(optarg);
		else if (c == 'd')
			snprintf(dir, sizeof(dir), "%s", optarg);
		else
			return 2;
	}
	if (rows < 1000) {
		fprintf(stderr, "bench: --rows must be at least 1000\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/vios-bench.XXXXXX");
		if (mkdtemp(dir) == NULL)
			return 1;
		made = 1;
	}
	snprintf(p1, sizeof(p1), "%s/plain.db", dir);
	snprintf(p2, sizeof(p2), "%s/store.db", dir);
	randombytes_buf(key, sizeof(key));

	printf("vios bench: %ld rows, best of %d runs each; plain SQLite and the vios store run\n"
	       "the same schema, pragmas and workload, so a ratio is the cost of sealing pages.\n", rows, REPS);
	for (int regime = 0; regime < 2; regime++) {
		int cache = regime == 0 ? STORE_CACHE : 200;
		result best[2];
		for (int k = 0; k < 2; k++)
			best[k] = (result){ 1e9, 1e9, 1e9, 1e9, 0 };
		for (int rep = 0; rep < REPS; rep++) {
			for (int k = 0; k < 2; k++) {
				result r = { 0 };
				const char *path = k ? p2 : p1;
				unlink(path);
				run(&r, k ? open_vios(path, key) : open_plain(path), path, rows, cache);
				best[k].insert = r.insert < best[k].insert ? r.insert : best[k].insert;
				best[k].lookup = r.lookup < best[k].lookup ? r.lookup : best[k].lookup;
				best[k].scan = r.scan < best[k].scan ? r.scan : best[k].scan;
				best[k].mixed = r.mixed < best[k].mixed ? r.mixed : best[k].mixed;
				best[k].bytes = r.bytes;
			}
		}
		plain = best[0];
		enc = best[1];
		printf("\n%s\n", regime == 0 ? "store settings (page cache as the store sets it, 64 MiB)"
					  : "small page cache (200 pages): nearly every read decrypts a page");
		printf("%-36s %12s %12s %9s\n", "workload", "plain SQLite", "vios store", "ratio");
		{
			char what[64];
			snprintf(what, sizeof(what), "bulk insert, %ld rows (1000/tx)", rows);
			row(what, plain.insert, enc.insert, "s");
			snprintf(what, sizeof(what), "point lookups by id, %ld", rows);
			row(what, plain.lookup, enc.lookup, "s");
			snprintf(what, sizeof(what), "index range scans, %ld", rows / 100);
			row(what, plain.scan, enc.scan, "s");
			snprintf(what, sizeof(what), "mixed read/update/insert, %ld tx", rows / 10);
			row(what, plain.mixed, enc.mixed, "s");
			row("total", plain.insert + plain.lookup + plain.scan + plain.mixed,
			    enc.insert + enc.lookup + enc.scan + enc.mixed, "s");
			row("file size", (double)plain.bytes / 1048576.0, (double)enc.bytes / 1048576.0, "MiB");
		}
	}
	if (made)
		vios_rm_rf(dir);
	return 0;
}
