/*
 * bench.c - `make bench`: what vios costs, as ratios measured side by side
 * in one run. Never a test: it prints figures and fails only when a
 * workload itself fails.
 *
 * Store: the same schema (the migrations compiled in) and the same
 * workload run on plain SQLite and on the vios store (the encrypting VFS),
 * with the same pragmas (STORE_PRAGMAS: 4096-byte pages, WAL with
 * wal_autocheckpoint 1000, locking_mode EXCLUSIVE, synchronous FULL,
 * secure_delete, foreign_keys, temp_store MEMORY, mmap off; the same
 * cache_size), so the ratio is the cost of sealing pages (and of the 40
 * bytes of each page that hold nonce and tag):
 *   bulk insert   N signals in transactions of 1000
 *   lookups       N point reads by primary key, random order
 *   indexed scan  N/100 range reads on the (theme, seen_at) index
 *   mixed         N/10 transactions: read a row, update it, insert one
 * Both sides are open at once, on fresh files, and take turns within each
 * workload (a transaction of the bulk insert, 1000 lookups, 10 scans, 100
 * mixed transactions; the side going first alternates), so a slow spell
 * of fsync on this shared machine falls on both alike; STORE_REPS such
 * runs (--reps), a workload's best run counts. Wall time is what the
 * ratios say; the CPU time (user + system) of the bulk insert and the
 * mixed workload is printed beside it. For instruction counts, which do
 * not depend on the disk at all (docs/performance.md):
 *   valgrind --tool=callgrind --toggle-collect=run_mixed --dump-before=store_print \
 *       bench --rows 20000 --only store --reps 1
 *   callgrind_annotate --tree=caller --inclusive=yes callgrind.out.PID.1
 * (part 1 the store's page cache, part 2 the small one; run_mixed's
 * callers plain_turn and vios_turn are the two sides).
 *
 * Bundles (after the store tables), in DIR/bundles: a hub, a school, an
 * auditor and a police partner, enrolled and joined by
 * tests/unit/fixture.h. The school writes N records through captured
 * transactions of 1000 (exporting whenever half a bundle's op limit is
 * pending), changes 1% of them, and each step is measured next to what a
 * user would do without vios, on a plain SQLite copy of the same rows (see
 * bundles() for each row's exact definition):
 *   writes        captured transactions vs the same rows into plain SQLite
 *   export        vios_bundle_export of the initial records and of the 1%
 *                 change vs `sqlite3 .dump | gzip | age | minisign -S` of
 *                 the whole plain copy (time and bytes shipped; the first
 *                 export's CPU time printed beside its wall time)
 *   import        vios_bundle_import of every bundle at the auditor vs the
 *                 raw inserts (and updates) that built the plain copy
 *   verify        vios_minisign_verify of every bundle vs
 *                 crypto_sign_verify_detached over BLAKE2b-512 of each file
 * The pipeline's tools (PIPE_TOOLS) are looked up first; a missing one is
 * named and its rows say "skipped: tool missing". Progress goes to stderr.
 *
 * Replication and audit (the third table, see replication()): hub merge vs
 * raw SQLite inserts, a node ref pushed over git:// by libgit2 vs the git
 * CLI, and the peak memory of `vios audit replay` (the binary named by the
 * VIOS environment variable; its rows are skipped without it) at 1x and 10x
 * history.
 *
 * The unlock agent (the fourth table, see unlock_table()): a record
 * command through `vios unlock`'s agent vs the same command with the
 * passphrase, per-command wall time side by side.
 *
 * Usage: bench [--rows N] [--dir DIR] [--only store|bundles|replication|unlock]
 *              [--json FILE] [--reps N]
 *        (default 100000 rows, a temp dir removed at exit, every part;
 *        --reps: runs of each side in the store table, STORE_REPS)
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sync/bundle.h"
#include "crdt/mandate.h"
#include "sync/payload.h"
#include "crypto/age.h"
#include "crypto/minisign.h"
#include "sync/git.h"
#include "sync/hub.h"
#include "sync/sync.h"
#include "node/node.h"
#include "store/store.h"
#include "store/vfs.h"
#include "sync/trust.h"
#include "util/error.h"
#include "util/util.h"

#include "tests/unit/fixture.h"
#include "tools/rss_of.h"

#include <assert.h>

extern const char *const vios_schema_migrations[];
extern const size_t vios_schema_migration_count;

/* The i-th theme of the one vocabulary (node/vocab.h), round robin. */
static const char *theme_at(long long i)
{
	return vios_theme_name((int)(i % VIOS_THEME_COUNT));
}

#define STORE_REPS 3         /* runs of each side per store regime (--reps) */
#define STORE_CACHE (-65536) /* KiB, as src/store/store.c sets it */

/* What both sides of the store table run with: what vios_vfs_open() sets
 * (page size, WAL, locking mode, temp_store, mmap, secure_delete,
 * foreign_keys), the checkpoint interval SQLite defaults to, stated, and
 * synchronous FULL, SQLite's default and so the store's. */
#define STORE_PRAGMAS "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0; PRAGMA secure_delete=ON;" \
		      "PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=1000; PRAGMA synchronous=FULL"

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
	/* NOMUTEX as the store opens its own (vfs.c): the same SQLite on both sides */
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		die(db, rc, "open plain");
	exec(db, "PRAGMA page_size=4096; PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL;");
	exec(db, STORE_PRAGMAS);
	return db;
}

static sqlite3 *open_vios(const char *path, const uint8_t key[32])
{
	sqlite3 *db = NULL;
	if (vios_vfs_register() < 0 || vios_vfs_open(&db, path, key, 1) < 0) {
		fprintf(stderr, "bench: open vios store failed: %s\n", vios_error_last());
		exit(1);
	}
	exec(db, STORE_PRAGMAS);
	return db;
}

static void schema(sqlite3 *db)
{
	for (size_t i = 0; i < vios_schema_migration_count; i++)
		exec(db, vios_schema_migrations[i]);
}

typedef struct {
	double insert, lookup, scan, mixed;
	double insert_cpu, mixed_cpu; /* CPU seconds, user + system */
	long long bytes;
} result;

/* This process's CPU time so far, user + system, in seconds. */
static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void id_of(char out[37], long i)
{
	snprintf(out, 37, "00000000-0000-7000-8000-%012llu", (unsigned long long)i % 1000000000000ULL);
}

/* Bulk insert: signals from..to-1 in transactions of 1000 (from a multiple
 * of 1000); seconds. The store workloads are never inlined, so callgrind
 * can count each one alone. */
__attribute__((noinline)) static double run_insert(sqlite3 *db, sqlite3_stmt *ins, long from, long to)
{
	char id[37], note[160];
	double t;
	int rc;

	t = now();
	for (long i = from; i < to; i++) {
		char day[16]; /* 10 used; room for what -Wformat-truncation sees */
		if (i % 1000 == 0 || i == from)
			exec(db, "BEGIN");
		id_of(id, i);
		snprintf(day, sizeof(day), "2026-%02ld-%02ld", 1 + i % 12, 1 + i % 28);
		snprintf(note, sizeof(note), "signal %ld: factual note of what was seen near the school, source: the coordinator", i);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, day, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 3, theme_at(i), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, note, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(ins)) != SQLITE_DONE)
			die(db, rc, "insert");
		sqlite3_reset(ins);
		if (i % 1000 == 999 || i == to - 1)
			exec(db, "COMMIT");
	}
	return now() - t;
}

/* Point lookups: n reads by primary key among rows, random order; seconds. */
__attribute__((noinline)) static double run_lookup(sqlite3 *db, sqlite3_stmt *get, long rows, long n)
{
	char id[37];
	double t;
	int rc;

	t = now();
	for (long i = 0; i < n; i++) {
		id_of(id, (long)randombytes_uniform((uint32_t)rows));
		sqlite3_bind_text(get, 1, id, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(get)) != SQLITE_ROW)
			die(db, rc, "lookup");
		sqlite3_reset(get);
	}
	return now() - t;
}

/* Index range scans from..to-1 (of rows/100), counts on (theme, seen_at);
 * seconds. */
__attribute__((noinline)) static double run_scan(sqlite3 *db, sqlite3_stmt *scan, long from, long to)
{
	double t;
	int rc;

	t = now();
	for (long i = from; i < to; i++) {
		sqlite3_bind_text(scan, 1, theme_at(i), -1, SQLITE_STATIC);
		sqlite3_bind_text(scan, 2, "2026-03-01", -1, SQLITE_STATIC);
		sqlite3_bind_text(scan, 3, "2026-06-30", -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(scan)) != SQLITE_ROW)
			die(db, rc, "scan");
		sqlite3_reset(scan);
	}
	return now() - t;
}

/* Mixed: transactions from..to-1 (of rows/10), each a read, an update and
 * an insert; seconds. */
__attribute__((noinline)) static double run_mixed(sqlite3 *db, sqlite3_stmt *get, sqlite3_stmt *upd, sqlite3_stmt *ins,
						   long rows, long from, long to)
{
	char id[37];
	double t;
	int rc;

	t = now();
	for (long i = from; i < to; i++) {
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
	return now() - t;
}

/* One side of the store table, open on a fresh file: plain SQLite or the
 * vios store, its statements and what its workloads took so far. */
typedef struct {
	sqlite3 *db;
	sqlite3_stmt *ins, *get, *scan, *upd;
	const char *path;
	result r;
} store_side;

static void prepare(store_side *s, sqlite3_stmt **out, const char *zSql)
{
	int rc = sqlite3_prepare_v2(s->db, zSql, -1, out, NULL);

	if (rc != SQLITE_OK)
		die(s->db, rc, zSql);
}

static void set_cache(store_side *s, int cache_pages)
{
	char cache[64];

	snprintf(cache, sizeof(cache), "PRAGMA cache_size=%d", cache_pages);
	exec(s->db, cache);
}

/* A fresh file at path (its page index goes with it), the schema in it;
 * the bulk insert runs with the store's page cache, or 2000 KiB when the
 * reads are to use a small one. */
static void side_open(store_side *s, int vios, const char *path, const uint8_t key[32], int cache_pages)
{
	char index[PATH_MAX + 8];

	memset(s, 0, sizeof(*s));
	s->path = path;
	snprintf(index, sizeof(index), "%s-index", path);
	unlink(path);
	unlink(index);
	s->db = vios ? open_vios(path, key) : open_plain(path);
	set_cache(s, cache_pages < 0 ? cache_pages : -2000);
	schema(s->db);
	prepare(s, &s->ins, "INSERT INTO signal(id, origin, seen_at, theme, note, location, severity, created_at)"
			    " VALUES (?, 'bench', ?, ?, ?, 'in', 'medium', '2026-11-29T00:00:00Z')");
	prepare(s, &s->get, "SELECT note FROM signal WHERE id = ?");
	prepare(s, &s->scan, "SELECT count(*) FROM signal WHERE theme = ? AND seen_at BETWEEN ? AND ?");
	prepare(s, &s->upd, "UPDATE signal SET severity = 'high', note = note || '.' WHERE id = ?");
}

/* Checkpoints and closes the side; its file size. */
static void side_close(store_side *s)
{
	struct stat st;

	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->upd);
	exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close_v2(s->db);
	s->r.bytes = stat(s->path, &st) == 0 ? (long long)st.st_size : -1;
}

enum { W_INSERT, W_LOOKUP, W_SCAN, W_MIXED };

/* Workload w over [from, to) on s; its wall and CPU time are added up. */
static inline __attribute__((always_inline)) void turn(store_side *s, int w, long rows, long from, long to)
{
	double c = cpu_now();

	switch (w) {
	case W_INSERT:
		s->r.insert += run_insert(s->db, s->ins, from, to);
		s->r.insert_cpu += cpu_now() - c;
		break;
	case W_LOOKUP:
		s->r.lookup += run_lookup(s->db, s->get, rows, to - from);
		break;
	case W_SCAN:
		s->r.scan += run_scan(s->db, s->scan, from, to);
		break;
	default:
		s->r.mixed += run_mixed(s->db, s->get, s->upd, s->ins, rows, from, to);
		s->r.mixed_cpu += cpu_now() - c;
		break;
	}
}

/* A turn of each side under a name of its own (s: both sides, so that
 * the compiler does not fold the two into one): callgrind's callers of a
 * workload (callgrind_annotate --tree=caller) tell the sides apart. */
__attribute__((noinline)) static void plain_turn(store_side s[2], int w, long rows, long from, long to)
{
	turn(&s[0], w, rows, from, to);
}

__attribute__((noinline)) static void vios_turn(store_side s[2], int w, long rows, long from, long to)
{
	turn(&s[1], w, rows, from, to);
}

/*
 * Workload w, n units of it, in turns of step: plain SQLite (s[0]) and the
 * vios store (s[1]) take turns, the side that goes first alternating
 * (first: the one that goes first in the first turn). Both so meet the
 * same disk: a slow spell of fsync on this shared machine falls on both
 * alike, instead of on whichever side happened to be running.
 */
static void take_turns(store_side s[2], int w, long rows, long n, long step, int first)
{
	for (long from = 0, k = 0; from < n; from += step, k++) {
		long to = from + step < n ? from + step : n;

		for (int j = 0; j < 2; j++) {
			if ((k + j + first) % 2)
				vios_turn(s, w, rows, from, to);
			else
				plain_turn(s, w, rows, from, to);
		}
	}
}

static void row(const char *what, double plain, double enc, const char *unit)
{
	printf("%-36s %12.3f %12.3f %8.2fx   %s\n", what, plain, enc, plain > 0 ? enc / plain : 0.0, unit);
}

/* ---- bundles -------------------------------------------------------------- */

#define TX_ROWS 1000     /* records per write transaction */
#define CHANGE_TX 100    /* changed records per transaction in the 1% change */
#define CHANGE_ROUNDS 5  /* the 1% change made and exported so often (the first before the import) */
#define CHANGE_PIPES 3   /* and its pipeline run so often: each row is the median */
#define VERIFY_ROUNDS 5  /* verify loops, best round kept */
#define VERIFY_BYTES (64u << 20) /* bytes hashed per verify round, at least... */
#define VERIFY_MAX_REPS 200      /* ...in at most this many passes */
#define EXPORT_OPS (VIOS_BUNDLE_MAX_OPS / 2) /* pending ops that trigger an export */
#define PIPE_TOOLS "bash sqlite3 gzip age tee minisign"

static void fail(const char *what)
{
	fprintf(stderr, "bench: %s failed: %s\n", what, vios_error_last());
	exit(1);
}

static void check(int error, const char *what)
{
	if (error < 0)
		fail(what);
}

/*
 * The records: npupils pupils, as many cases (one per pupil, police and
 * youth protection at the table), then signals; every tenth signal is about
 * a pupil (category case), the others are not (category theme).
 */
typedef struct {
	long records, npupils, nsignals, changed;
} workload;

static void rec_id(char out[37], unsigned kind, long i)
{
	snprintf(out, 37, "01950000-%04x-7000-8000-%012llu", kind & 0xfff, (unsigned long long)i % 1000000000000ULL);
}

static void signal_note(char *out, size_t len, long i)
{
	static const char *const what[] = { "a group of pupils hanging around the bicycle shed",
					    "two pupils exchanging a small package",
					    "a pupil showing classmates an image of another pupil",
					    "older youths waiting in a car at the gate",
					    "a fresh gang tag sprayed on the gym wall",
					    "pupils smoking cannabis behind the canteen",
					    "a fight between pupils, filmed by bystanders",
					    "a pupil with a knife in the school bag" };
	static const char *const where[] = { "the main entrance", "the bus stop", "the sports field",
					     "the shopping centre", "the park across the road" };
	static const char *const who[] = { "the caretaker", "a mentor", "the care coordinator", "a parent",
					   "the community police officer", "a youth worker" };
	snprintf(out, len, "%s near %s at %02ld:%02ld; %ld pupils involved, %s. Source: %s, ref %ld.",
		 what[i % 8], where[(i / 8) % 5], 7 + (i * 7) % 12, (i * 13) % 60, 1 + i % 6,
		 i % 3 ? "no visible injuries" : "the pupils left when addressed", who[(i / 3) % 6], 4711 + i);
}

typedef struct {
	sqlite3 *db;
	sqlite3_stmt *pupil, *kase, *signal, *update;
} writer;

static void writer_open(writer *w, sqlite3 *db)
{
	static const char *const zSql[] = {
		"INSERT INTO pupil(id, origin, name, birth_date, class, local_id, over16, guardian_contact, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		"INSERT INTO case_file(id, origin, pupil_id, signals, roles, lead_role, status, escalation_target,"
		" basis, opened_at, closed_at) VALUES (?1, ?2, ?3, '', 'police,youth-protection', 'school',"
		" 'in-progress', NULL, 'public-task', ?4, NULL)",
		"INSERT INTO signal(id, origin, seen_at, theme, note, source, location, severity, pupil_id, basis,"
		" parents_informed, not_informed_reason, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
		"UPDATE signal SET note = ?2 WHERE id = ?1",
	};
	sqlite3_stmt **p[] = { &w->pupil, &w->kase, &w->signal, &w->update };
	int rc;

	w->db = db;
	for (int i = 0; i < 4; i++)
		if ((rc = sqlite3_prepare_v2(db, zSql[i], -1, p[i], NULL)) != SQLITE_OK)
			die(db, rc, zSql[i]);
}

static void writer_close(writer *w)
{
	sqlite3_finalize(w->pupil);
	sqlite3_finalize(w->kase);
	sqlite3_finalize(w->signal);
	sqlite3_finalize(w->update);
	memset(w, 0, sizeof(*w));
}

static void step(writer *w, sqlite3_stmt *p, const char *what)
{
	int rc = sqlite3_step(p);
	if (rc != SQLITE_DONE)
		die(w->db, rc, what);
	sqlite3_reset(p);
	sqlite3_clear_bindings(p);
}

#define TEXT(p, i, s) sqlite3_bind_text(p, i, s, -1, SQLITE_TRANSIENT)

/* Writes record i of the workload (the same values in every database). */
static void write_record(writer *w, const workload *wl, long i, const char *origin)
{
	char id[37], ref[37], a[64], b[40], note[320];

	if (i < wl->npupils) {
		sqlite3_stmt *p = w->pupil;
		rec_id(id, 1, i);
		TEXT(p, 1, id);
		TEXT(p, 2, origin);
		snprintf(a, sizeof(a), "Pupil %ld van Dijk", i);
		TEXT(p, 3, a);
		snprintf(a, sizeof(a), "20%02ld-%02ld-%02ld", 8 + i % 4, 1 + i % 12, 1 + i % 28);
		TEXT(p, 4, a);
		snprintf(a, sizeof(a), "%ldH%ld", 1 + i % 5, 1 + i % 3);
		TEXT(p, 5, a);
		snprintf(a, sizeof(a), "LL%06ld", i);
		TEXT(p, 6, a);
		sqlite3_bind_int(p, 7, i % 4 == 0);
		snprintf(a, sizeof(a), "guardian%ld@example.nl, 06-%08ld", i % 1000000000L, 12345678 + i % 10000000L);
		TEXT(p, 8, a);
		TEXT(p, 9, "2026-09-01T08:00:00Z");
		step(w, p, "insert pupil");
	} else if (i < 2 * wl->npupils) {
		sqlite3_stmt *p = w->kase;
		rec_id(id, 2, i - wl->npupils);
		rec_id(ref, 1, i - wl->npupils);
		TEXT(p, 1, id);
		TEXT(p, 2, origin);
		TEXT(p, 3, ref);
		TEXT(p, 4, "2026-09-15T10:00:00Z");
		step(w, p, "insert case");
	} else {
		sqlite3_stmt *p = w->signal;
		long k = i - 2 * wl->npupils;
		int about = k % 10 == 0;
		rec_id(id, 3, k);
		TEXT(p, 1, id);
		TEXT(p, 2, origin);
		snprintf(a, sizeof(a), "2026-%02ld-%02ld", 1 + k % 12, 1 + k % 28);
		TEXT(p, 3, a);
		TEXT(p, 4, theme_at(k));
		signal_note(note, sizeof(note), k);
		TEXT(p, 5, note);
		TEXT(p, 6, k % 4 ? "observed by staff" : "reported by a parent");
		TEXT(p, 7, k % 3 ? "in" : "around");
		TEXT(p, 8, k % 7 == 0 ? "high" : k % 2 ? "medium" : "low");
		if (about) {
			rec_id(ref, 1, (k / 10) % wl->npupils);
			TEXT(p, 9, ref);
			TEXT(p, 10, "public-task");
			sqlite3_bind_int(p, 11, k % 20 != 0);
			if (k % 20 == 0)
				TEXT(p, 12, "informing the parents would put the pupil at risk");
		}
		snprintf(b, sizeof(b), "2026-%02ld-%02ldT%02ld:%02ld:00Z", 1 + k % 12, 1 + k % 28, 8 + k % 9, k % 60);
		TEXT(p, 13, b);
		step(w, p, "insert signal");
	}
}

/* The 1% change: the j-th changed record is a signal, spread evenly; its
 * note gets a follow-up line. */
static void change_record(writer *w, const workload *wl, long j, int round)
{
	long k = j * (wl->nsignals / wl->changed);
	char id[37], note[400];
	size_t len;

	rec_id(id, 3, k);
	signal_note(note, sizeof(note), k);
	len = strlen(note);
	if (round > 0) {
		snprintf(note + len, sizeof(note) - len, " (round %d)", round + 1);
		len = strlen(note);
	}
	snprintf(note + len, sizeof(note) - len, " Follow-up %ld: discussed with the pupil and the mentor;"
		 " no further action for now.", j);
	TEXT(w->update, 1, id);
	TEXT(w->update, 2, note);
	step(w, w->update, "update signal");
}

/* ---- the scripted alternative ---- */

typedef struct {
	int ok;          /* every tool found */
	char missing[64];
	char cmd[2048];  /* the pipeline; %1$s = the output's path without .age */
	char key[PATH_MAX];
} pipeline;

static int have_tool(const char *name)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

static int shell_safe(const char *s)
{
	return strpbrk(s, "'\"$`\\%\n") == NULL;
}

static void pipeline_init(pipeline *pl, const char *dir, const char *db, const vios_node *const *to, size_t nto)
{
	char tools[] = PIPE_TOOLS, cmd[PATH_MAX + 128], *save = NULL;
	size_t len;

	memset(pl, 0, sizeof(*pl));
	for (char *t = strtok_r(tools, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (!have_tool(t)) {
			len = strlen(pl->missing);
			snprintf(pl->missing + len, sizeof(pl->missing) - len, "%s%s", len ? ", " : "", t);
		}
	if (pl->missing[0]) {
		fprintf(stderr, "bench: pipeline tool missing: %s (not on PATH); its rows are skipped\n", pl->missing);
		return;
	}
	if (!shell_safe(dir)) {
		fprintf(stderr, "bench: --dir must not contain quotes, $, `, %% or \\ (the pipeline runs in a shell)\n");
		exit(2);
	}
	check(vios_snprintf(pl->key, sizeof(pl->key), "%s/pipeline.key", dir), "pipeline key path");
	check(vios_snprintf(cmd, sizeof(cmd), "minisign -G -W -p '%s/pipeline.pub' -s '%s' >/dev/null", dir, pl->key),
	      "pipeline keygen command");
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: pipeline workload failed: %s\n", cmd);
		exit(1);
	}
	len = (size_t)snprintf(pl->cmd, sizeof(pl->cmd), "bash -o pipefail -c \"sqlite3 '%s' .dump | gzip | age", db);
	for (size_t i = 0; i < nto; i++) {
		char r[VIOS_AGE_RECIPIENT_LEN + 1];
		check(vios_age_recipient_format(r, sizeof(r), to[i]->age_pk), "age recipient");
		len += (size_t)snprintf(pl->cmd + len, sizeof(pl->cmd) - len, " -r %s", r);
	}
	/* %1$s: the output stem */
	snprintf(pl->cmd + len, sizeof(pl->cmd) - len,
		 " | tee '%%1$s.age' >/dev/null && minisign -S -s '%s' -m '%%1$s.age' -x '%%1$s.age.minisig' >/dev/null\"", pl->key);
	if (strlen(pl->cmd) >= sizeof(pl->cmd) - 1) {
		fprintf(stderr, "bench: pipeline command too long\n");
		exit(1);
	}
	pl->ok = 1;
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Runs the pipeline into dir/<stem>.age(.minisig); seconds, *bytes = both files. */
static double pipeline_run(const pipeline *pl, const char *dir, const char *stem, long long *bytes)
{
	char out[PATH_MAX], cmd[sizeof(pl->cmd) + 3 * PATH_MAX], sig[PATH_MAX + 16];
	double t;

	check(vios_snprintf(out, sizeof(out), "%s/%s", dir, stem), "pipeline output path");
	snprintf(sig, sizeof(sig), "%s.age.minisig", out);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(cmd, sizeof(cmd), pl->cmd, out);
#pragma GCC diagnostic pop
	t = now();
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: pipeline workload failed: %s\n", cmd);
		exit(1);
	}
	t = now() - t;
	snprintf(out + strlen(out), sizeof(out) - strlen(out), ".age");
	*bytes = file_size(out) + file_size(sig);
	if (file_size(out) <= 0 || file_size(sig) <= 0) {
		fprintf(stderr, "bench: pipeline workload failed: no output in %s\n", out);
		exit(1);
	}
	return t;
}

/* ---- bundles read back from the school's outbox repository ---- */

typedef struct {
	uint8_t *age;
	size_t agelen;
	char *sig;
	size_t siglen;
	uint8_t rawsig[64]; /* the Ed25519 signature over BLAKE2b-512(age) */
} bfile;

static void bundles_read(bfile *out, size_t n, const vios_node *node)
{
	git_repository *repo = NULL;
	git_oid head;
	char ref[64];

	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, node->node_id);
	check(vios_trust_repo(&repo, node), "opening the outbox");
	check(vios_git_ref_oid(&head, repo, ref), "reading the outbox ref");
	for (size_t i = 0; i < n; i++) {
		bfile *b = &out[i];
		char path[40], sigpath[48], *line;
		uint8_t bin[74], *sigbuf = NULL;
		size_t binlen = 0;

		vios_layout_bundle_path(path, (long long)i + 1, 0);
		snprintf(sigpath, sizeof(sigpath), "%s.minisig", path);
		check(vios_git_read_blob(&b->age, &b->agelen, repo, &head, path, VIOS_BUNDLE_MAX_AGE), "reading a bundle");
		check(vios_git_read_blob(&sigbuf, &b->siglen, repo, &head, sigpath, VIOS_BUNDLE_SIG_MAX),
		      "reading a signature");
		b->sig = (char *)sigbuf; /* NUL-terminated by vios_git_read_blob */
		/* the second line of the signature file: "ED" || key id || signature */
		line = strchr(b->sig, '\n');
		if (line == NULL || sodium_base642bin(bin, sizeof(bin), line + 1, strcspn(line + 1, "\n"), NULL, &binlen,
						      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    binlen != sizeof(bin) || memcmp(bin, "ED", 2) != 0) {
			fprintf(stderr, "bench: bundle %zu: unexpected signature line\n", i + 1);
			exit(1);
		}
		memcpy(b->rawsig, bin + 10, 64);
	}
	git_repository_free(repo);
}

/*
 * Best-of-VERIFY_ROUNDS seconds for one pass over b[0..n) with
 * vios_minisign_verify (*vios) and with BLAKE2b-512 of the file and
 * crypto_sign_verify_detached (*raw); each round repeats the pass until
 * VERIFY_BYTES were hashed (at most VERIFY_MAX_REPS times), so that the
 * clock has something to measure.
 */
static void verify_time(double *vios, double *raw, const bfile *b, size_t n, const vios_minisign_pub *pub)
{
	size_t bytes = 0, reps;

	for (size_t i = 0; i < n; i++)
		bytes += b[i].agelen;
	reps = bytes ? VERIFY_BYTES / bytes + 1 : 1;
	reps = reps > VERIFY_MAX_REPS ? VERIFY_MAX_REPS : reps;
	*vios = *raw = 1e9;
	for (int round = 0; round < VERIFY_ROUNDS; round++) {
		double t = now(), a, c;
		for (size_t r = 0; r < reps; r++)
			for (size_t i = 0; i < n; i++)
				check(vios_minisign_verify(NULL, pub, b[i].age, b[i].agelen, b[i].sig, b[i].siglen),
				      "vios_minisign_verify");
		a = (now() - t) / (double)reps;
		t = now();
		for (size_t r = 0; r < reps; r++)
			for (size_t i = 0; i < n; i++) {
				uint8_t h[crypto_generichash_BYTES_MAX];
				crypto_generichash(h, sizeof(h), b[i].age, b[i].agelen, NULL, 0);
				if (crypto_sign_verify_detached(b[i].rawsig, h, sizeof(h), pub->pk) != 0) {
					fprintf(stderr, "bench: raw verify of bundle %zu failed\n", i + 1);
					exit(1);
				}
			}
		c = (now() - t) / (double)reps;
		*vios = a < *vios ? a : *vios;
		*raw = c < *raw ? c : *raw;
	}
}

/* ---- the table ---- */

static const char *mib(char *buf, size_t len, long long bytes)
{
	if (bytes >= 1LL << 20)
		snprintf(buf, len, "%.2f MiB", (double)bytes / 1048576.0);
	else if (bytes >= 10LL << 10)
		snprintf(buf, len, "%.1f KiB", (double)bytes / 1024.0);
	else
		snprintf(buf, len, "%lld B", bytes);
	return buf;
}

/*
 * --json FILE: the rows the project's checks read, as one JSON array of
 * {"row", "vios", "baseline", "ratio"} (vios and baseline in the row's unit:
 * seconds, bytes or MiB), written when the run ends. A row that could not
 * be measured (a pipeline tool missing) is left out, not written as 0.
 */
static json_t *json_rows;

static void jrow(const char *key, double vios, double baseline)
{
	json_t *o;

	if (json_rows == NULL || !(vios > 0) || !(baseline > 0))
		return;
	o = json_pack("{s:s, s:f, s:f, s:f}", "row", key, "vios", vios, "baseline", baseline, "ratio", vios / baseline);
	if (o == NULL || json_array_append_new(json_rows, o) < 0) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
}

static void brow(const char *what, const char *size, const char *vios, const char *base, double ratio)
{
	char r[16] = "-";
	if (ratio > 0)
		snprintf(r, sizeof(r), ratio < 0.1 ? "%.3fx" : "%.2fx", ratio);
	printf("%-23s %-25s %-30s %-37s %7s\n", what, size, vios, base, r);
}

static const char *const skipped = "skipped: tool missing";

/* One line on stderr per phase, so a long run shows where it is. */
static void progress(const char *what)
{
	fflush(stdout);
	fprintf(stderr, "bench: bundles: %s\n", what);
}

/*
 * The bundles table. Each row, vios against the baseline, ratio = vios /
 * baseline (time, or bytes):
 *   writes, captured        the N records written into the school's store in
 *                           transactions of TX_ROWS through vios_store_tx_*
 *                           (session capture, ops, clock) vs the same rows
 *                           into a plain SQLite file, same transactions
 *   export initial          the vios_bundle_export calls that seal the N
 *                           records (ops/s; bundles, .age + .minisig bytes,
 *                           bytes per op) vs the pipeline over the plain
 *                           copy holding the same N records
 *   export 1% change        one vios_bundle_export of the change vs the
 *                           pipeline over the whole plain copy after it:
 *                           the median of CHANGE_ROUNDS such changes and
 *                           exports, and of CHANGE_PIPES pipelines
 *   import at auditor       vios_bundle_import of every bundle (ops/s,
 *                           bundles/s) vs the raw inserts and updates that
 *                           built the plain copy
 *   verify                  vios_minisign_verify of every bundle (and of the
 *                           small 1% bundles alone) vs BLAKE2b-512 of each
 *                           .age and crypto_sign_verify_detached
 */
/* One run of the bundles table: its sandbox, and what each step measured. */
typedef struct {
	long rows;
	workload wl;
	char dir[PATH_MAX], plainpath[PATH_MAX];
	fx_world world;
	fx_node school, aud, police;
	pipeline pl;
	vios_export_report r0, r1;       /* the initial export rounds, the 1% change */
	int exports0;                    /* initial export rounds */
	bfile *bf;                       /* every bundle, read back */
	size_t nb, applied;
	char hexs[65], hexa[65];         /* digests after the import: school, auditor */
	double t_setup, t_cap, t_plain_ins, t_plain_upd, t_exp0, t_exp1, t_pipe0, t_pipe1, t_imp; /* seconds */
	double c_exp0; /* CPU seconds of the initial export rounds (user + system) */
	double t_exp1s[CHANGE_ROUNDS], t_pipe1s[CHANGE_PIPES]; /* the 1% change's rounds; t_exp1, t_pipe1: medians */
	double t_vfy, t_raw, t_vfy1, t_raw1;
	double t_merge, t_judged;        /* the same ops merged without and with the mandate's judge */
	long long pipe0, pipe1, ship0, ship1, age_all, age_chg, ops_imp, plain_bytes; /* bytes, ops */
} bundles_run;

/* 1. the sandbox: hub, school, auditor, police; enrolled, joined (timed) */
static void bundles_setup(bundles_run *b, const char *top, long rows)
{
	double t;

	b->rows = rows;
	b->wl.records = rows;
	b->wl.npupils = rows / 1000 > 0 ? rows / 1000 : 1;
	b->wl.nsignals = rows - 2 * b->wl.npupils;
	b->wl.changed = rows / 100;

	check(vios_snprintf(b->dir, sizeof(b->dir), "%s/bundles", top), "sandbox path");
	check(vios_snprintf(b->plainpath, sizeof(b->plainpath), "%s/plain-copy.db", b->dir), "plain copy path");
	if (vios_path_exists(b->dir)) {
		fprintf(stderr, "bench: %s exists (an earlier run?): remove it or give another --dir\n", b->dir);
		exit(1);
	}
	check(fx_world_at(&b->world, b->dir), "making the sandbox");

	progress("setting up a hub, a school, an auditor and a police partner");
	t = now();
	check(vios_git_init(), "libgit2 init");
	check(fx_world_hub(&b->world), "the hub");
	check(fx_node_make(&b->school, &b->world, "school", "school", NULL), "the school");
	check(fx_node_make(&b->aud, &b->world, "auditor", "auditor", NULL), "the auditor");
	check(fx_node_make(&b->police, &b->world, "police", "partner", "police"), "the police");
	{
		fx_node *ps[] = { &b->school, &b->aud, &b->police };
		check(fx_enroll_join(&b->world, ps, 3), "enroll and join");
	}
	b->t_setup = now() - t;
	{
		const vios_node *to[] = { b->aud.node, b->police.node, b->world.hub.node };
		pipeline_init(&b->pl, b->dir, b->plainpath, to, 3);
	}
}

/* 2a. the records into a plain SQLite copy (timed: the raw inserts) */
static void bundles_write_plain(bundles_run *b)
{
	sqlite3 *plain;
	writer w;
	double t;

	progress("writing the records into a plain SQLite copy");
	plain = open_plain(b->plainpath);
	exec(plain, "PRAGMA cache_size=-65536");
	schema(plain);
	writer_open(&w, plain);
	t = now();
	for (long i = 0; i < b->rows; i++) {
		if (i % TX_ROWS == 0)
			exec(plain, "BEGIN");
		write_record(&w, &b->wl, i, b->school.node->node_id);
		if (i % TX_ROWS == TX_ROWS - 1 || i == b->rows - 1)
			exec(plain, "COMMIT");
	}
	b->t_plain_ins = now() - t;
	writer_close(&w);
	exec(plain, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close_v2(plain);
	/* the plain copy's pages on disk before anything of the store is timed:
	 * the export's flush syncs the file system (docs/faults.md), and would
	 * otherwise wait for the baseline's own unsynced 50 MB */
	sync();
}

/*
 * 2b. ... and into the school's store through captured transactions
 * (timed), exported (timed apart) in rounds: vios_bundle_export seals all
 * the pending ops of one recipient set into one bundle and readers refuse a
 * bundle of more than VIOS_BUNDLE_MAX_OPS ops, so the school exports
 * whenever EXPORT_OPS ops are pending, and once at the end. Then the
 * pipeline over the plain copy (timed).
 */
static void bundles_write_store(bundles_run *b)
{
	vios_store *st = b->school.st;
	writer w;
	double t = 0;

	progress("writing the records into the school's store, exporting");
	memset(&b->r0, 0, sizeof(b->r0));
	writer_open(&w, st->db);
	for (long i = 0; i < b->rows; i++) {
		if (i % TX_ROWS == 0) {
			t = now();
			check(vios_store_tx_begin(st), "vios_store_tx_begin");
		}
		write_record(&w, &b->wl, i, b->school.node->node_id);
		if (i % TX_ROWS == TX_ROWS - 1 || i == b->rows - 1) {
			size_t pending = 0;
			check(vios_store_tx_commit(st), "vios_store_tx_commit");
			b->t_cap += now() - t;
			check(vios_crdt_pending_count(&pending, st), "vios_crdt_pending_count");
			if (pending >= EXPORT_OPS || i == b->rows - 1) {
				vios_export_report r;
				double c = cpu_now();
				t = now();
				check(vios_sync_export(&r, st), "vios_bundle_export (initial)");
				b->t_exp0 += now() - t;
				b->c_exp0 += cpu_now() - c;
				b->r0.bundles += r.bundles;
				b->r0.ops += r.ops;
				b->exports0++;
			}
		}
	}
	writer_close(&w);
	if (b->pl.ok) {
		progress("pipeline over the plain copy");
		b->t_pipe0 = pipeline_run(&b->pl, b->dir, "pipeline-initial", &b->pipe0);
	}
}

/* 3. the 1% change: the school's store (captured), the plain copy (timed);
 * then one export (timed) and the pipeline again (timed) */
static void bundles_change(bundles_run *b)
{
	vios_store *st = b->school.st;
	sqlite3 *plain;
	writer w;
	double t;

	progress("the 1% change");
	writer_open(&w, st->db);
	for (long j = 0; j < b->wl.changed; j++) {
		if (j % CHANGE_TX == 0)
			check(vios_store_tx_begin(st), "vios_store_tx_begin");
		change_record(&w, &b->wl, j, 0);
		if (j % CHANGE_TX == CHANGE_TX - 1 || j == b->wl.changed - 1)
			check(vios_store_tx_commit(st), "vios_store_tx_commit");
	}
	writer_close(&w);
	plain = open_plain(b->plainpath);
	writer_open(&w, plain);
	t = now();
	for (long j = 0; j < b->wl.changed; j++) {
		if (j % CHANGE_TX == 0)
			exec(plain, "BEGIN");
		change_record(&w, &b->wl, j, 0);
		if (j % CHANGE_TX == CHANGE_TX - 1 || j == b->wl.changed - 1)
			exec(plain, "COMMIT");
	}
	b->t_plain_upd = now() - t;
	writer_close(&w);
	exec(plain, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close_v2(plain);
	b->plain_bytes = file_size(b->plainpath);

	t = now();
	check(vios_sync_export(&b->r1, st), "vios_bundle_export (1% change)");
	b->t_exp1s[0] = now() - t;
	if (b->pl.ok)
		b->t_pipe1s[0] = pipeline_run(&b->pl, b->dir, "pipeline-change", &b->pipe1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, size_t n)
{
	double s[CHANGE_ROUNDS > CHANGE_PIPES ? CHANGE_ROUNDS : CHANGE_PIPES];

	assert(n > 0 && n <= sizeof(s) / sizeof(s[0]));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return s[n / 2];
}

/* 3b. after the import and the verification (which read the first round's
 * bundles): the same 1000 notes changed again and exported, rounds 2 to
 * CHANGE_ROUNDS (timed), and the pipeline again (timed) until
 * CHANGE_PIPES; one export is one noisy sample on a shared machine, so
 * the row is the median of each side. */
static void bundles_change_again(bundles_run *b)
{
	vios_store *st = b->school.st;
	writer w;
	double t;

	progress("the 1% change, again");
	for (int r = 1; r < CHANGE_ROUNDS; r++) {
		vios_export_report x;
		writer_open(&w, st->db);
		for (long j = 0; j < b->wl.changed; j++) {
			if (j % CHANGE_TX == 0)
				check(vios_store_tx_begin(st), "vios_store_tx_begin");
			change_record(&w, &b->wl, j, r);
			if (j % CHANGE_TX == CHANGE_TX - 1 || j == b->wl.changed - 1)
				check(vios_store_tx_commit(st), "vios_store_tx_commit");
		}
		writer_close(&w);
		t = now();
		check(vios_sync_export(&x, st), "vios_bundle_export (1% change, again)");
		b->t_exp1s[r] = now() - t;
		if (x.ops != b->r1.ops) {
			fprintf(stderr, "bench: the 1%% change exported %zu ops in round %d, %zu in the first\n",
				(size_t)x.ops, r + 1, (size_t)b->r1.ops);
			exit(1);
		}
	}
	b->t_exp1 = median(b->t_exp1s, CHANGE_ROUNDS);
	for (int r = 1; b->pl.ok && r < CHANGE_PIPES; r++) {
		char stem[32];
		long long bytes;
		snprintf(stem, sizeof(stem), "pipeline-change-%d", r + 1);
		b->t_pipe1s[r] = pipeline_run(&b->pl, b->dir, stem, &bytes);
	}
	if (b->pl.ok)
		b->t_pipe1 = median(b->t_pipe1s, CHANGE_PIPES);
}

/* 4. every bundle, read back from the school's outbox, and its size (untimed) */
static void bundles_read_back(bundles_run *b)
{
	b->nb = b->r0.bundles + b->r1.bundles;
	if ((b->bf = calloc(b->nb ? b->nb : 1, sizeof(*b->bf))) == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	bundles_read(b->bf, b->nb, b->school.node);
	for (size_t i = 0; i < b->nb; i++) {
		long long sz = (long long)(b->bf[i].agelen + b->bf[i].siglen);
		b->age_all += (long long)b->bf[i].agelen;
		if (i < b->r0.bundles) {
			b->ship0 += sz;
		} else {
			b->ship1 += sz;
			b->age_chg += (long long)b->bf[i].agelen;
		}
	}
}

/* 5. import at the auditor, in seq order (timed; the auditor receives all),
 * then both digests (untimed) */
static void bundles_import_all(bundles_run *b)
{
	double t;

	progress("importing at the auditor");
	t = now();
	for (size_t i = 0; i < b->nb; i++) {
		vios_import_result r;
		memset(&r, 0, sizeof(r));
		check(vios_bundle_import(&r, b->aud.st, b->bf[i].age, b->bf[i].agelen, b->bf[i].sig, b->bf[i].siglen),
		      "vios_bundle_import");
		if (r.status != VIOS_IMPORT_APPLIED) {
			fprintf(stderr, "bench: import: bundle %zu was not applied (status %d)\n", i + 1, (int)r.status);
			exit(1);
		}
		b->ops_imp += r.hdr.ops;
		b->applied += r.ops_applied;
		vios_bundle_header_dispose(&r.hdr);
	}
	b->t_imp = now() - t;
	check(vios_crdt_digest(b->hexs, b->school.st, NULL), "digest (school)");
	check(vios_crdt_digest(b->hexa, b->aud.st, NULL), "digest (auditor)");
}

/* The school as every writer of the bench's ops (the judge's writer callback). */
static int bench_writer(void *ctx, const char *node_id, vios_mandate_writer *w)
{
	const vios_node *school = ctx;

	if (strcmp(node_id, school->node_id) != 0)
		return VIOS_ENOTFOUND;
	w->node_id = school->node_id;
	w->kind = VIOS_KIND_SCHOOL;
	w->role = VIOS_ROLE_IDX_SCHOOL;
	w->name = school->name;
	return 0;
}

/*
 * 5b. what the mandate's judge costs: every bundle's ops, decrypted and read
 * once (untimed), merged into a fresh store with vios_crdt_apply and into
 * another with vios_crdt_apply_checked (timed each); the difference is the
 * judge's share of the import.
 */
static void bundles_judge_cost(bundles_run *b)
{
	vios_store *plain = NULL, *judged = NULL;
	char d1[PATH_MAX], d2[PATH_MAX];
	vios_mandate m;
	double t;

	progress("merging the same ops without and with the mandate's judge");
	check(vios_snprintf(d1, sizeof(d1), "%s/merge-plain", b->dir), "path");
	check(vios_snprintf(d2, sizeof(d2), "%s/merge-judged", b->dir), "path");
	check(vios_mkdir_p(d1, 0700), "mkdir");
	check(vios_mkdir_p(d2, 0700), "mkdir");
	check(vios_crdt_store_open_temp(&plain, b->aud.node, d1), "a fresh store");
	check(vios_crdt_store_open_temp(&judged, b->aud.node, d2), "a fresh store");
	vios_mandate_default(&m);
	for (size_t i = 0; i < b->nb; i++) {
		const uint8_t *ids[1] = { b->aud.node->age_sk };
		vios_minisign_sig ms;
		vios_bundle_header h;
		vios_crdt_op *ops = NULL;
		vios_crdt_check chk;
		uint8_t *gz = NULL;
		size_t gzlen = 0, n = 0;
		char *trusted = NULL;

		memset(&chk, 0, sizeof(chk));
		chk.mandate = &m;
		chk.writer = bench_writer;
		chk.writer_ctx = b->school.node;
		check(vios_minisign_sig_parse(&ms, b->bf[i].sig, b->bf[i].siglen), "signature");
		check(vios_minisign_sig_trusted(&trusted, &ms), "trusted comment");
		check(vios_bundle_header_parse(&h, trusted), "header");
		check(vios_age_decrypt_buf(&gz, &gzlen, b->bf[i].age, b->bf[i].agelen, ids, 1, VIOS_BUNDLE_MAX_AGE), "decrypt");
		check(vios_bundle_payload_read(&ops, &n, gz, gzlen, &h), "payload");
		t = now();
		check(vios_crdt_apply(NULL, plain, ops, n, h.sender), "merge");
		b->t_merge += now() - t;
		t = now();
		check(vios_crdt_apply_checked(NULL, judged, ops, n, h.sender, &chk), "merge with the judge");
		b->t_judged += now() - t;
		vios_crdt_ops_free(ops, n);
		sodium_memzero(gz, gzlen);
		free(gz);
		free(trusted);
		vios_bundle_header_dispose(&h);
	}
	vios_store_free(plain);
	vios_store_free(judged);
}

/* 6. verify, over every bundle and over the small 1% bundles alone */
static void bundles_verify(bundles_run *b)
{
	progress("verifying signatures");
	verify_time(&b->t_vfy, &b->t_raw, b->bf, b->nb, &b->school.node->sign_pub);
	verify_time(&b->t_vfy1, &b->t_raw1, b->bf + b->r0.bundles, b->r1.bundles, &b->school.node->sign_pub);
}

/* The table's head: the workload and the baseline in words. */
static void bundles_print_head(const bundles_run *b)
{
	char s1[64];

	printf("\nbundles: a school sends to a hub, an auditor and a police partner (sandbox: %.1f s)\n"
	       "records: %ld = %ld pupils, %ld cases (police, youth protection), %ld signals, every 10th\n"
	       "  about a pupil (category case), the rest theme; written %d per transaction. Exported\n"
	       "  whenever %d ops are pending (a bundle may hold %d) and at the end: %d export%s.\n"
	       "1%% change: %ld signal notes updated, %d per transaction, then one export; %d times (the\n"
	       "  same notes again), the median of the exports against the median of %d pipelines.\n"
	       "baseline: the whole store dumped and shipped for each change, from a plain SQLite copy of the\n"
	       "  same rows (%s): sqlite3 copy.db .dump | gzip | age -r auditor -r police -r hub\n"
	       "  | tee out.age, then minisign -S -m out.age (key made by minisign -G -W).\n"
	       "bytes are .age + .minisig on both sides; ratio = vios / baseline.\n",
	       b->t_setup, b->wl.records, b->wl.npupils, b->wl.npupils, b->wl.nsignals, TX_ROWS, EXPORT_OPS,
	       VIOS_BUNDLE_MAX_OPS, b->exports0, b->exports0 == 1 ? "" : "s", b->wl.changed, CHANGE_TX,
	       CHANGE_ROUNDS, CHANGE_PIPES, mib(s1, sizeof(s1), b->plain_bytes));
	if (!b->pl.ok)
		printf("pipeline tool missing: %s; its rows are skipped.\n", b->pl.missing);
	printf("%-23s %-25s %-30s %-37s %7s\n", "what", "workload", "vios", "baseline", "ratio");
}

/* The table's rows: writes, the two exports (time, bytes), import, verify. */
static void bundles_print_rows(const bundles_run *b)
{
	char s1[64], s2[96], s3[96], s4[64], s5[64];
	const int ok = b->pl.ok;
	const long rows = b->rows;

	snprintf(s1, sizeof(s1), "%ld records, %ld tx", rows, (rows + TX_ROWS - 1) / TX_ROWS);
	snprintf(s2, sizeof(s2), "%.2f s, %.0f rec/s", b->t_cap, rows / b->t_cap);
	snprintf(s3, sizeof(s3), "%.2f s, %.0f rec/s (plain SQLite)", b->t_plain_ins, rows / b->t_plain_ins);
	brow("writes, captured", s1, s2, s3, b->t_cap / b->t_plain_ins);
	jrow("captured_writes", b->t_cap, b->t_plain_ins);

	snprintf(s1, sizeof(s1), "%ld rec -> %zu ops", rows, b->r0.ops);
	/* the CPU time beside it: the rest is waiting (for the disk: the flush syncs) */
	snprintf(s2, sizeof(s2), "%.2f s (CPU %.2f s), %.0f ops/s", b->t_exp0, b->c_exp0, b->r0.ops / b->t_exp0);
	snprintf(s3, sizeof(s3), "%.2f s (pipeline, %ld rec)", b->t_pipe0, rows);
	brow("export initial: time", s1, s2, ok ? s3 : skipped, ok ? b->t_exp0 / b->t_pipe0 : 0);
	if (ok)
		jrow("export_initial_time", b->t_exp0, b->t_pipe0);
	snprintf(s1, sizeof(s1), "%zu bundles vs 1 dump", b->r0.bundles);
	snprintf(s2, sizeof(s2), "%s, %.1f B/op", mib(s4, sizeof(s4), b->ship0), (double)b->ship0 / (double)b->r0.ops);
	snprintf(s3, sizeof(s3), "%s, %.1f B/record", mib(s5, sizeof(s5), b->pipe0), (double)b->pipe0 / (double)rows);
	brow("export initial: bytes", s1, s2, ok ? s3 : skipped, ok ? (double)b->ship0 / (double)b->pipe0 : 0);
	if (ok)
		jrow("export_initial_bytes", (double)b->ship0, (double)b->pipe0);

	snprintf(s1, sizeof(s1), "%ld rec -> %zu ops", b->wl.changed, b->r1.ops);
	snprintf(s2, sizeof(s2), "%.3f s (median of %d)", b->t_exp1, CHANGE_ROUNDS);
	snprintf(s3, sizeof(s3), "%.2f s (median of %d pipelines)", b->t_pipe1, CHANGE_PIPES);
	brow("export 1% change: time", s1, s2, ok ? s3 : skipped, ok ? b->t_exp1 / b->t_pipe1 : 0);
	if (ok)
		jrow("export_change_time", b->t_exp1, b->t_pipe1);
	snprintf(s1, sizeof(s1), "%zu bundles vs 1 dump", b->r1.bundles);
	snprintf(s2, sizeof(s2), "%s, %.1f B/op", mib(s4, sizeof(s4), b->ship1), (double)b->ship1 / (double)b->r1.ops);
	snprintf(s3, sizeof(s3), "%s, %.0f B/changed rec", mib(s5, sizeof(s5), b->pipe1),
		 (double)b->pipe1 / (double)b->wl.changed);
	brow("export 1% change: bytes", s1, s2, ok ? s3 : skipped, ok ? (double)b->ship1 / (double)b->pipe1 : 0);
	if (ok)
		jrow("export_change_bytes", (double)b->ship1, (double)b->pipe1);

	snprintf(s1, sizeof(s1), "%zu bundles, %lld ops", b->nb, b->ops_imp);
	snprintf(s2, sizeof(s2), "%.2f s, %.0f ops/s, %.2f b/s", b->t_imp, b->ops_imp / b->t_imp, b->nb / b->t_imp);
	snprintf(s3, sizeof(s3), "%.2f s: %ld inserts + %ld updates", b->t_plain_ins + b->t_plain_upd, rows,
		 b->wl.changed);
	brow("import at auditor", s1, s2, s3, b->t_imp / (b->t_plain_ins + b->t_plain_upd));
	jrow("import", b->t_imp, b->t_plain_ins + b->t_plain_upd);

	snprintf(s1, sizeof(s1), "%zu bundles, %s", b->nb, mib(s4, sizeof(s4), b->age_all));
	snprintf(s2, sizeof(s2), "%.4f s, %.0f MiB/s", b->t_vfy, (double)b->age_all / 1048576.0 / b->t_vfy);
	snprintf(s3, sizeof(s3), "%.4f s, %.0f MiB/s (libsodium)", b->t_raw, (double)b->age_all / 1048576.0 / b->t_raw);
	brow("verify: all bundles", s1, s2, s3, b->t_vfy / b->t_raw);
	snprintf(s1, sizeof(s1), "%zu bundles, %s", b->r1.bundles, mib(s4, sizeof(s4), b->age_chg));
	snprintf(s2, sizeof(s2), "%.1f us, %.0f bundles/s", b->t_vfy1 * 1e6, b->r1.bundles / b->t_vfy1);
	snprintf(s3, sizeof(s3), "%.1f us, %.0f bundles/s (libsodium)", b->t_raw1 * 1e6, b->r1.bundles / b->t_raw1);
	brow("verify: 1% change only", s1, s2, s3, b->t_vfy1 / b->t_raw1);

	snprintf(s1, sizeof(s1), "%lld ops, default mandate", b->ops_imp);
	snprintf(s2, sizeof(s2), "+%.3f s (judged %.2f s)", b->t_judged - b->t_merge, b->t_judged);
	snprintf(s3, sizeof(s3), "%.2f s: the import at the auditor", b->t_imp);
	brow("mandate judge: cost", s1, s2, s3, (b->t_judged - b->t_merge) / b->t_imp);
	printf("b/s = bundles per second. After the import the auditor's digest %s the school's\n"
	       "(%zu of %lld ops changed its state).\n",
	       strcmp(b->hexs, b->hexa) ? "DIFFERS FROM" : "equals", b->applied, b->ops_imp);
}

static void bundles_dispose(bundles_run *b)
{
	for (size_t i = 0; i < b->nb; i++) {
		free(b->bf[i].age);
		free(b->bf[i].sig);
	}
	free(b->bf);
	fx_node_dispose(&b->police);
	fx_node_dispose(&b->aud);
	fx_node_dispose(&b->school);
	fx_world_dispose(&b->world);
}

/* The bundles table: its steps in order, then the table. */
static void bundles(const char *top, long rows)
{
	bundles_run *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	bundles_setup(b, top, rows);  /* 1 */
	bundles_write_plain(b);       /* 2 */
	bundles_write_store(b);
	bundles_change(b);            /* 3 */
	bundles_read_back(b);         /* 4 */
	bundles_import_all(b);        /* 5 */
	bundles_judge_cost(b);
	bundles_verify(b);            /* 6 */
	bundles_change_again(b);      /* 3b */
	bundles_print_head(b);
	bundles_print_rows(b);
	bundles_dispose(b);
	free(b);
}

/* ---- replication and audit ------------------------------------------------ */

/*
 * The third table, in DIR/repl (its own sandboxes, apart from the bundles
 * table's): ratio = vios / baseline.
 *   hub merge      a school writes rows/4 records (1000 per transaction),
 *                  exporting every 1/REPL_MERGE_BUNDLES of them, and pushes its
 *                  outbox ref to the hub repository (vios_git_push, untimed);
 *                  then vios_hub_merge with the hub's store (timed: fetch,
 *                  verify, decrypt, merge) vs the same records inserted into
 *                  a plain SQLite database (1000 per transaction)
 *   git push       the school's node ref of the replay sandbox (10x history)
 *                  pushed over git:// to a git daemon on 127.0.0.1 into a fresh
 *                  bare repository: vios_git_push (libgit2, as vios sync) vs
 *                  `git push` of the same ref from the same repository into
 *                  another fresh bare repository; best of REPL_PUSH_REPS each
 *   replay memory  `$VIOS --home AUDITOR audit replay HUBREPO` as a child
 *                  after REPL_K bundles and after 10*REPL_K bundles (each
 *                  rows/1000 new signals, exported at once), the auditor
 *                  unlocked by its agent (vios unlock); peak RSS from the
 *                  replay's own ru_maxrss (rss_of) and wall time, 10x vs 1x
 */
#define REPL_MERGE_BUNDLES 20
#define REPL_K 20
#define REPL_PUSH_REPS 3

static pid_t daemon_pid; /* the git daemon this run started; killed at exit */

static void kill_daemon(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		daemon_pid = 0;
	}
}

static void repl_progress(const char *what)
{
	fflush(stdout);
	fprintf(stderr, "bench: replication: %s\n", what);
}

/* hub, school and auditor, enrolled and joined, in dir; w->repo made. */
static void repl_sandbox(fx_world *w, const char *dir, fx_node *school, fx_node *aud)
{
	fx_node *ps[2] = { school, aud };

	check(fx_world_at(w, dir), "making the sandbox");
	check(fx_world_hub(w), "the hub");
	check(fx_node_make(school, w, "school", "school", NULL), "the school");
	check(fx_node_make(aud, w, "auditor", "auditor", NULL), "the auditor");
	check(fx_enroll_join(w, ps, 2), "enroll and join"); /* every enrollment before any join */
}

/* Pushes the node's outbox ref to url with libgit2; seconds. */
static double push_ref(const vios_node *node, const char *url)
{
	git_repository *repo = NULL;
	char ref[64], spec[140];
	const char *specs[1] = { spec };
	double t;

	vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, node->node_id);
	snprintf(spec, sizeof(spec), "%s:%s", ref, ref);
	check(vios_trust_repo(&repo, node), "opening the outbox");
	t = now();
	check(vios_git_push(repo, url, specs, 1), "vios_git_push");
	t = now() - t;
	git_repository_free(repo);
	return t;
}

/* Writes records [from, to) through captured transactions of TX_ROWS. */
static void repl_write(fx_node *p, const workload *wl, long from, long to)
{
	writer w;
	writer_open(&w, p->st->db);
	for (long i = from; i < to; i++) {
		if ((i - from) % TX_ROWS == 0)
			check(vios_store_tx_begin(p->st), "vios_store_tx_begin");
		write_record(&w, wl, i, p->node->node_id);
		if ((i - from) % TX_ROWS == TX_ROWS - 1 || i == to - 1)
			check(vios_store_tx_commit(p->st), "vios_store_tx_commit");
	}
	writer_close(&w);
}

typedef struct {
	int ran;        /* 1 when it exited 0 */
	int status;
	double secs;
	long maxrss;    /* KiB */
	char why[128];
} child_run;

/* `bench --rss-of FD PROG ARGS...` (internal): see tools/rss_of.h. */


/* `vios --home HOME audit replay HUBREPO`, stdout and stderr into log,
 * through rss_of. */
static void run_replay(child_run *cr, const char *vios, const char *home, const char *hubrepo, const char *log)
{
	struct rusage ru;
	char num[24] = "", self[PATH_MAX];
	int p[2];
	ssize_t got;
	pid_t pid;
	double t;

	memset(cr, 0, sizeof(*cr));
	fflush(stdout);
	fflush(stderr);
	if ((got = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0 || pipe(p) < 0) {
		snprintf(cr->why, sizeof(cr->why), "no /proc/self/exe or pipe");
		return;
	}
	self[got] = 0;
	t = now();
	pid = fork();
	if (pid < 0) {
		snprintf(cr->why, sizeof(cr->why), "fork failed");
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		close(p[0]);
		snprintf(num, sizeof(num), "%d", p[1]);
		unsetenv("VIOS_PASSPHRASE"); /* the auditor's agent holds its key */
		execl(self, "bench", "--rss-of", num, vios, "--home", home, "audit", "replay", hubrepo, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	memset(&ru, 0, sizeof(ru));
	if (wait4(pid, &cr->status, 0, &ru) != pid) {
		snprintf(cr->why, sizeof(cr->why), "wait4 failed");
		close(p[0]);
		return;
	}
	cr->secs = now() - t;
	got = read(p[0], num, sizeof(num) - 1);
	close(p[0]);
	num[got > 0 ? got : 0] = 0;
	cr->maxrss = atol(num);
	if (WIFEXITED(cr->status) && WEXITSTATUS(cr->status) == 0 && cr->maxrss > 0)
		cr->ran = 1;
	else
		snprintf(cr->why, sizeof(cr->why), "failed: exit %d (see replay-*.log)",
			 WIFEXITED(cr->status) ? WEXITSTATUS(cr->status) : 128 + WTERMSIG(cr->status));
}

static int port_open(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Starts git daemon serving base; the port, or 0 (why in err). */
static int start_daemon(const char *base, char *err, size_t errlen)
{
	char pidfile[PATH_MAX], cmd[3 * PATH_MAX];

	if (!shell_safe(base)) {
		snprintf(err, errlen, "the sandbox path is not shell-safe");
		return 0;
	}
	if (vios_snprintf(pidfile, sizeof(pidfile), "%s/daemon.pid", base) < 0) {
		snprintf(err, errlen, "the sandbox path is too long");
		return 0;
	}
	for (int attempt = 0; attempt < 8; attempt++) {
		int port = 20000 + (int)randombytes_uniform(20001);
		FILE *f;
		long pid = 0;

		if (port_open(port))
			continue; /* someone else listens there */
		unlink(pidfile);
		vios_snprintf(cmd, sizeof(cmd),
			 "git daemon --reuseaddr --listen=127.0.0.1 --port=%d --base-path='%s' --export-all"
			 " --enable=receive-pack --detach --pid-file='%s' '%s' >/dev/null 2>&1",
			 port, base, pidfile, base);
		if (system(cmd) != 0)
			continue;
		for (int i = 0; i < 100 && pid == 0; i++) { /* the pid file, up to 2 s */
			if ((f = fopen(pidfile, "r")) != NULL) {
				if (fscanf(f, "%ld", &pid) != 1)
					pid = 0;
				fclose(f);
			}
			if (pid == 0)
				usleep(20000);
		}
		if (pid <= 0)
			continue;
		daemon_pid = (pid_t)pid;
		for (int i = 0; i < 150; i++) { /* listening, up to 3 s */
			if (kill(daemon_pid, 0) != 0)
				break; /* it exited: the port was taken */
			if (port_open(port) && kill(daemon_pid, 0) == 0)
				return port;
			usleep(20000);
		}
		kill_daemon();
	}
	snprintf(err, errlen, "git daemon did not start");
	return 0;
}

static int git_init_bare(const char *path)
{
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "git init -q --bare '%s' >/dev/null 2>&1", path);
	return system(cmd) == 0 ? 0 : -1;
}

/* One run of the replication table: its sandboxes, and what each step measured. */
typedef struct {
	long rows, mrec, per; /* --rows; records for the merge; new signals per replay export */
	const char *vios;     /* the binary for the replay, or NULL */
	int have_vios, have_git;
	char dir[PATH_MAX], d1[PATH_MAX], d2[PATH_MAX], plainpath[PATH_MAX];
	fx_world world;       /* the sandbox of the step running */
	fx_node school, aud;
	/* 1. hub merge */
	size_t nb_merge, ops_merge;
	double t_merge, t_plain;
	/* 2. replay */
	long hist1, hist10;
	child_run rp1, rp10;
	/* 3. git push */
	int port;
	double t_lib, t_cli;
	char err[128];
} repl_run;

static void repl_init(repl_run *r, const char *top, long rows, const char *vios)
{
	r->rows = rows;
	r->mrec = rows / 4;
	r->per = rows / 1000 > 0 ? rows / 1000 : 1;
	r->vios = vios;
	r->have_vios = vios && vios[0] && access(vios, X_OK) == 0;
	r->have_git = have_tool("git");
	r->t_lib = 1e9;
	r->t_cli = 1e9;
	check(vios_snprintf(r->dir, sizeof(r->dir), "%s/repl", top), "sandbox path");
	if (vios_path_exists(r->dir)) {
		fprintf(stderr, "bench: %s exists (an earlier run?): remove it or give another --dir\n", r->dir);
		exit(1);
	}
	check(vios_snprintf(r->d1, sizeof(r->d1), "%s/merge", r->dir), "sandbox path");
	check(vios_snprintf(r->d2, sizeof(r->d2), "%s/replay", r->dir), "sandbox path");
	check(vios_snprintf(r->plainpath, sizeof(r->plainpath), "%s/plain.db", r->d1), "plain path");
	check(vios_git_init(), "libgit2 init");
}

/* 1. hub merge: the school's records exported and pushed (untimed), then
 * vios_hub_merge (timed) vs the same records into plain SQLite (timed) */
static void repl_merge(repl_run *r)
{
	vios_sync_report rep;
	size_t taken = 0, given = 0;
	workload wl;
	writer w;
	sqlite3 *plain;
	double t;

	repl_progress("hub merge: a school's records, exported, pushed to the hub");
	repl_sandbox(&r->world, r->d1, &r->school, &r->aud);
	wl.records = r->mrec;
	wl.npupils = r->mrec / 1000 > 0 ? r->mrec / 1000 : 1;
	wl.nsignals = r->mrec - 2 * wl.npupils;
	wl.changed = 0;
	for (int b = 0; b < REPL_MERGE_BUNDLES; b++) {
		vios_export_report x;
		long from = r->mrec * b / REPL_MERGE_BUNDLES, to = r->mrec * (b + 1) / REPL_MERGE_BUNDLES;
		if (to <= from)
			continue;
		repl_write(&r->school, &wl, from, to);
		check(vios_sync_export(&x, r->school.st), "vios_bundle_export");
	}
	push_ref(r->school.node, r->world.repo);
	repl_progress("hub merge: vios_hub_merge");
	memset(&rep, 0, sizeof(rep));
	t = now();
	check(vios_hub_merge(&rep, &taken, &given, r->world.hub.st, NULL), "vios_hub_merge");
	r->t_merge = now() - t;
	r->nb_merge = rep.bundles;
	r->ops_merge = rep.ops;
	if (rep.alarms) {
		fprintf(stderr, "bench: hub merge raised %zu alarm(s): %s\n", rep.alarms, rep.first_alarm);
		exit(1);
	}
	plain = open_plain(r->plainpath);
	exec(plain, "PRAGMA cache_size=-65536");
	schema(plain);
	writer_open(&w, plain);
	t = now();
	for (long i = 0; i < r->mrec; i++) {
		if (i % TX_ROWS == 0)
			exec(plain, "BEGIN");
		write_record(&w, &wl, i, r->school.node->node_id);
		if (i % TX_ROWS == TX_ROWS - 1 || i == r->mrec - 1)
			exec(plain, "COMMIT");
	}
	r->t_plain = now() - t;
	writer_close(&w);
	sqlite3_close_v2(plain);
	fx_node_dispose(&r->aud);
	fx_node_dispose(&r->school);
	fx_world_dispose(&r->world);
}

/* 2. the replay history: REPL_K small exports pushed, `vios audit replay`
 * as a child (timed, peak RSS); then up to 10*REPL_K and again. The
 * school and its sandbox stay for step 3. */
static double unlock_run(const char *vios, const char *home, int pass, const char *log, const char *const *args,
			 double *cpu);

static void repl_replay(repl_run *r)
{
	static const char *const unlock[] = { "unlock", NULL }, *const lock[] = { "lock", NULL };
	char path[PATH_MAX + 32], log[PATH_MAX + 32];
	workload wl;

	repl_progress("replay history: small exports by a school");
	repl_sandbox(&r->world, r->d2, &r->school, &r->aud);
	fx_node_dispose(&r->aud); /* the child opens the auditor's home */
	wl.npupils = r->per;
	wl.nsignals = 1000000000L;
	wl.records = wl.nsignals;
	wl.changed = 0;
	for (int phase = 0; phase < 2; phase++) {
		long until = phase == 0 ? REPL_K : 10 * REPL_K;
		for (long b = phase == 0 ? 0 : REPL_K; b < until; b++) {
			vios_export_report x;
			repl_write(&r->school, &wl, b * r->per, (b + 1) * r->per);
			check(vios_sync_export(&x, r->school.st), "vios_bundle_export");
			if (phase == 0)
				r->hist1 += (long)x.bundles;
			else
				r->hist10 += (long)x.bundles;
		}
		push_ref(r->school.node, r->world.repo);
		if (r->have_vios) {
			repl_progress(phase == 0 ? "audit replay, 1x history" : "audit replay, 10x history");
			check(vios_snprintf(path, sizeof(path), "%s/auditor", r->d2), "auditor home");
			check(vios_snprintf(log, sizeof(log), "%s/replay-%dx.log", r->d2, phase ? 10 : 1), "log path");
			/* unlocked by its agent, as an auditor works: the peak is the
			 * replay's, not Argon2id's (its memory cost, 64 MiB at the
			 * fixture's preset, is a floor of any unlock by passphrase) */
			if (phase == 0 && unlock_run(r->vios, path, 1, log, unlock, NULL) < 0)
				fail("vios unlock of the auditor (see replay-1x.log)");
			run_replay(phase ? &r->rp10 : &r->rp1, r->vios, path, r->world.repo, log);
			if (phase == 1)
				unlock_run(r->vios, path, 0, log, lock, NULL);
		}
	}
	r->hist10 += r->hist1;
}

/* 3. the replay school's ref over git:// into fresh bare repositories:
 * vios_git_push vs `git push`, best of REPL_PUSH_REPS each (timed) */
static void repl_push(repl_run *r)
{
	char base[PATH_MAX], path[PATH_MAX + 32], url[PATH_MAX + 64], outbox[PATH_MAX], ref[64];
	double t;

	if (!r->have_git) {
		snprintf(r->err, sizeof(r->err), "skipped: git missing");
		return;
	}
	repl_progress("git daemon on 127.0.0.1: vios_git_push vs git push");
	check(vios_snprintf(base, sizeof(base), "%s/served", r->dir), "served path");
	if (vios_mkdir_p(base, 0700) < 0)
		fail("making the served dir");
	r->port = start_daemon(base, r->err, sizeof(r->err));
	if (r->port) {
		check(vios_snprintf(outbox, sizeof(outbox), "%s/school/outbox.git", r->d2), "outbox path");
		vios_layout_node_ref(ref, sizeof(ref), VIOS_NODES_REFS, r->school.node->node_id);
		for (int k = 0; k < REPL_PUSH_REPS && !r->err[0]; k++) {
			char cmd[3 * PATH_MAX];
			double x;
			snprintf(path, sizeof(path), "%s/lib%d.git", base, k);
			if (git_init_bare(path) < 0) {
				snprintf(r->err, sizeof(r->err), "git init --bare failed");
				break;
			}
			snprintf(url, sizeof(url), "git://127.0.0.1:%d/lib%d.git", r->port, k);
			x = push_ref(r->school.node, url);
			r->t_lib = x < r->t_lib ? x : r->t_lib;
			snprintf(path, sizeof(path), "%s/cli%d.git", base, k);
			if (git_init_bare(path) < 0) {
				snprintf(r->err, sizeof(r->err), "git init --bare failed");
				break;
			}
			snprintf(cmd, sizeof(cmd), "git -C '%s' push -q git://127.0.0.1:%d/cli%d.git %s:%s >/dev/null 2>&1",
				 outbox, r->port, k, ref, ref);
			t = now();
			if (system(cmd) != 0) {
				snprintf(r->err, sizeof(r->err), "git push failed");
				break;
			}
			x = now() - t;
			r->t_cli = x < r->t_cli ? x : r->t_cli;
		}
	}
	kill_daemon();
}

static void repl_print(const repl_run *r)
{
	char s1[96], s2[96], s3[96];

	printf("\nreplication and audit (sandboxes: a hub, a school, an auditor; ratio = vios / baseline)\n"
	       "hub merge: %ld records written 1000 per transaction, exported in %d rounds, pushed to the\n"
	       "  hub repository; vios_hub_merge (fetch, verify, decrypt, merge) vs the same records into\n"
	       "  plain SQLite. git push: the school's ref of the 10x history over git:// to a git daemon\n"
	       "  on 127.0.0.1, into a fresh bare repository, best of %d. replay: vios audit replay as a\n"
	       "  child process, after %d and %d exports of %ld new signals each, the auditor unlocked by\n"
	       "  its agent (vios unlock: no Argon2id in the replay); peak RSS (ru_maxrss of the replay's\n"
	       "  own process, not of the bench's copy that fork made).\n",
	       r->mrec, REPL_MERGE_BUNDLES, REPL_PUSH_REPS, REPL_K, 10 * REPL_K, r->per);
	printf("%-23s %-25s %-30s %-37s %7s\n", "what", "workload", "vios", "baseline", "ratio");

	snprintf(s1, sizeof(s1), "%zu bundles, %zu ops", r->nb_merge, r->ops_merge);
	snprintf(s2, sizeof(s2), "%.2f s, %.0f ops/s, %.1f b/s", r->t_merge, r->ops_merge / r->t_merge,
		 r->nb_merge / r->t_merge);
	snprintf(s3, sizeof(s3), "%.3f s: %ld inserts (plain SQLite)", r->t_plain, r->mrec);
	brow("hub merge", s1, s2, s3, r->t_merge / r->t_plain);
	jrow("hub_merge", r->t_merge, r->t_plain);

	snprintf(s1, sizeof(s1), "1 ref, %ld bundles", r->hist10);
	if (r->port && !r->err[0]) {
		snprintf(s2, sizeof(s2), "%.3f s (vios_git_push)", r->t_lib);
		snprintf(s3, sizeof(s3), "%.3f s (git push)", r->t_cli);
		brow("push over git://", s1, s2, s3, r->t_lib / r->t_cli);
	} else {
		brow("push over git://", s1, r->err[0] ? r->err : "skipped", "-", 0);
	}

	if (!r->have_vios) {
		brow("replay peak RSS", "-", "skipped: no vios binary", "-", 0);
		brow("replay time", "-", "skipped: no vios binary", "-", 0);
	} else if (!r->rp1.ran || !r->rp10.ran) {
		brow("replay peak RSS", "-", r->rp1.ran ? r->rp10.why : r->rp1.why, "-", 0);
	} else {
		snprintf(s1, sizeof(s1), "%ld vs %ld bundles", r->hist10, r->hist1);
		snprintf(s2, sizeof(s2), "%.1f MiB (10x history)", r->rp10.maxrss / 1024.0);
		snprintf(s3, sizeof(s3), "%.1f MiB (1x history)", r->rp1.maxrss / 1024.0);
		brow("replay peak RSS", s1, s2, s3, (double)r->rp10.maxrss / (double)r->rp1.maxrss);
		jrow("replay_rss_mib", r->rp10.maxrss / 1024.0, r->rp1.maxrss / 1024.0);
		snprintf(s2, sizeof(s2), "%.2f s, %.0f b/s", r->rp10.secs, r->hist10 / r->rp10.secs);
		snprintf(s3, sizeof(s3), "%.2f s, %.0f b/s", r->rp1.secs, r->hist1 / r->rp1.secs);
		brow("replay time", s1, s2, s3, r->rp10.secs / r->rp1.secs);
	}
	printf("b/s = bundles per second; replay ratios are 10x / 1x (bounded memory: RSS ratio near 1).\n");
}

/* The replication table: its steps in order, then the table. */
static void replication(const char *top, long rows, const char *vios)
{
	repl_run *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	repl_init(r, top, rows, vios);
	repl_merge(r);   /* 1 */
	repl_replay(r);  /* 2 */
	repl_push(r);    /* 3 */
	fx_node_dispose(&r->school);
	fx_world_dispose(&r->world);
	repl_print(r);
	free(r);
}

/*
 * The unlock agent (the fourth table): UNLOCK_CMDS `vios signal add`s on a
 * node made at the default KDF cost, each with the passphrase (Argon2id per
 * command, as without an agent) and each after `vios unlock` with no
 * passphrase source at all; the wall time of each command, as a user waits
 * for it (process start to exit). Needs the vios binary (VIOS).
 */
#define UNLOCK_CMDS 20
#define UNLOCK_TARGET 0.05 /* seconds per unlocked record command (the bound) */

/* Runs `vios --home HOME args...` (stdin and stdout /dev/null, stderr to
 * log), with VIOS_PASSPHRASE or without any; its wall time, or -1 when it
 * did not exit 0; its CPU time (user + system) into *cpu when cpu is set. */
static double unlock_run(const char *vios, const char *home, int pass, const char *log, const char *const *args,
			 double *cpu)
{
	const char *argv[16];
	struct rusage ru;
	int n = 0, status;
	double t = now();
	pid_t pid;

	argv[n++] = vios;
	argv[n++] = "--home";
	argv[n++] = home;
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDWR), err = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(in, 0);
		dup2(in, 1);
		if (err >= 0)
			dup2(err, 2);
		if (pass)
			setenv("VIOS_PASSPHRASE", FX_PASS, 1);
		else
			unsetenv("VIOS_PASSPHRASE");
		execv(vios, (char *const *)argv);
		_exit(127);
	}
	memset(&ru, 0, sizeof(ru));
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	if (cpu)
		*cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		       (double)ru.ru_stime.tv_usec / 1e6;
	return now() - t;
}

/* The 1-minute load average, or -1. */
static double load1(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static void unlock_table(const char *top, const char *vios)
{
	static const char *const init[] = { "init", "--kind", "school", "--name", "bench", NULL };
	static const char *const add[] = { "signal", "add", "--theme", "weapons", "--note", "bench signal", NULL };
	static const char *const unlock[] = { "unlock", "--for", "10m", NULL };
	static const char *const lock[] = { "lock", NULL };
	char home[PATH_MAX], log[PATH_MAX];
	double sum[2] = { 0, 0 }, max[2] = { 0, 0 }, cpu[2] = { 0, 0 };
	int within = 0;

	printf("\nunlock agent: %d 'vios signal add' each, a node at the default KDF cost (moderate)\n", UNLOCK_CMDS);
	if (vios == NULL || access(vios, X_OK) != 0) {
		printf("%-36s skipped: no vios binary (set VIOS)\n", "unlocked vs passphrase");
		return;
	}
	snprintf(home, sizeof(home), "%s/unlock-home", top);
	snprintf(log, sizeof(log), "%s/unlock.log", top);
	vios_rm_rf(home);
	if (unlock_run(vios, home, 1, log, init, NULL) < 0)
		fail("vios init for the unlock table (see unlock.log)");
	/* k 0: with the passphrase; k 1: through the agent, no passphrase at all */
	for (int k = 0; k < 2; k++) {
		if (k == 1 && unlock_run(vios, home, 1, log, unlock, NULL) < 0)
			fail("vios unlock (see unlock.log)");
		for (int i = 0; i < UNLOCK_CMDS; i++) {
			double c = 0, t = unlock_run(vios, home, k == 0, log, add, &c);
			if (t < 0) {
				unlock_run(vios, home, 0, log, lock, NULL);
				fail(k ? "signal add through the agent (see unlock.log)" : "signal add with the passphrase");
			}
			sum[k] += t;
			cpu[k] += c;
			max[k] = t > max[k] ? t : max[k];
			within += k == 1 && t <= UNLOCK_TARGET;
		}
	}
	if (unlock_run(vios, home, 0, log, lock, NULL) < 0)
		fail("vios lock (see unlock.log)");
	printf("%-36s %12s %12s %9s\n", "wall time per command", "unlocked", "passphrase", "ratio");
	row("mean", sum[1] / UNLOCK_CMDS, sum[0] / UNLOCK_CMDS, "s");
	row("slowest", max[1], max[0], "s");
	row("CPU time (user + system), mean", cpu[1] / UNLOCK_CMDS, cpu[0] / UNLOCK_CMDS, "s");
	printf("unlocked commands within %.2f s wall: %d of %d (load average now %.1f: wall time waits for the CPU)\n",
	       UNLOCK_TARGET, within, UNLOCK_CMDS, load1());
}

static char made_dir[256]; /* the temp dir this run made, removed at exit */

static void remove_made_dir(void)
{
	if (made_dir[0])
		vios_rm_rf(made_dir);
}

static double least(double a, double b)
{
	return a < b ? a : b;
}

/*
 * One regime of the store table: each workload's best of reps runs, plain
 * SQLite (best[0]) and the vios store (best[1]), each run on fresh files,
 * the sides taking turns within each workload (take_turns): a transaction
 * of the bulk insert, 1000 lookups, 10 scans, 100 mixed transactions.
 * cache: the page cache the reads and the mixed workload run with.
 */
static void store_measure(result best[2], const char *p1, const char *p2, const uint8_t key[32], long rows, int cache,
			  int reps)
{
	for (int k = 0; k < 2; k++)
		best[k] = (result){ 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 0 };
	for (int rep = 0; rep < reps; rep++) {
		store_side s[2];

		side_open(&s[0], 0, p1, key, cache);
		side_open(&s[1], 1, p2, key, cache);
		take_turns(s, W_INSERT, rows, rows, 1000, rep);
		set_cache(&s[0], cache);
		set_cache(&s[1], cache);
		take_turns(s, W_LOOKUP, rows, rows, 1000, rep);
		take_turns(s, W_SCAN, rows, rows / 100, 10, rep);
		take_turns(s, W_MIXED, rows, rows / 10, 100, rep);
		for (int k = 0; k < 2; k++) {
			const result *r = &s[k].r;

			side_close(&s[k]);
			best[k].insert = least(r->insert, best[k].insert);
			best[k].lookup = least(r->lookup, best[k].lookup);
			best[k].scan = least(r->scan, best[k].scan);
			best[k].mixed = least(r->mixed, best[k].mixed);
			best[k].insert_cpu = least(r->insert_cpu, best[k].insert_cpu);
			best[k].mixed_cpu = least(r->mixed_cpu, best[k].mixed_cpu);
			best[k].bytes = r->bytes;
		}
	}
}

/* Not inlined: callgrind's --dump-before=store_print parts the profile by
 * page cache. */
__attribute__((noinline)) static void store_print(const result *plain, const result *enc, long rows, int regime)
{
	char what[64];

	printf("\n%s\n", regime == 0 ? "store settings (page cache as the store sets it, 64 MiB)"
				  : "small page cache (200 pages): nearly every read decrypts a page");
	printf("%-36s %12s %12s %9s\n", "workload", "plain SQLite", "vios store", "ratio");
	snprintf(what, sizeof(what), "bulk insert, %ld rows (1000/tx)", rows);
	row(what, plain->insert, enc->insert, "s");
	if (regime == 0)
		jrow("store_bulk_insert", enc->insert, plain->insert);
	snprintf(what, sizeof(what), "point lookups by id, %ld", rows);
	row(what, plain->lookup, enc->lookup, "s");
	snprintf(what, sizeof(what), "index range scans, %ld", rows / 100);
	row(what, plain->scan, enc->scan, "s");
	snprintf(what, sizeof(what), "mixed read/update/insert, %ld tx", rows / 10);
	row(what, plain->mixed, enc->mixed, "s");
	if (regime == 0)
		jrow("store_mixed", enc->mixed, plain->mixed);
	row("  bulk insert, CPU time", plain->insert_cpu, enc->insert_cpu, "s");
	row("  mixed, CPU time", plain->mixed_cpu, enc->mixed_cpu, "s");
	if (regime == 0)
		jrow("store_mixed_cpu", enc->mixed_cpu, plain->mixed_cpu);
	row("total", plain->insert + plain->lookup + plain->scan + plain->mixed,
	    enc->insert + enc->lookup + enc->scan + enc->mixed, "s");
	row("file size", (double)plain->bytes / 1048576.0, (double)enc->bytes / 1048576.0, "MiB");
}

/* The store table: the store's own page cache, then a small one. */
static void store_table(const char *dir, long rows, int reps)
{
	char p1[300], p2[300];
	uint8_t key[32];

	snprintf(p1, sizeof(p1), "%s/plain.db", dir);
	snprintf(p2, sizeof(p2), "%s/store.db", dir);
	randombytes_buf(key, sizeof(key));
	printf("vios bench: %ld rows, best of %d runs each, the sides taking turns; plain SQLite and\n"
	       "the vios store run the same schema, workload and pragmas (4096-byte pages, WAL,\n"
	       "wal_autocheckpoint 1000, locking_mode EXCLUSIVE, synchronous FULL, secure_delete,\n"
	       "foreign_keys, temp_store MEMORY, mmap off), so a ratio is the cost of sealing pages.\n",
	       rows, reps);
	for (int regime = 0; regime < 2; regime++) {
		result best[2];
		store_measure(best, p1, p2, key, rows, regime == 0 ? STORE_CACHE : 200, reps);
		store_print(&best[0], &best[1], rows, regime);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "rows", required_argument, NULL, 'r' },
						   { "dir", required_argument, NULL, 'd' },
						   { "only", required_argument, NULL, 'o' },
						   { "json", required_argument, NULL, 'j' },
						   { "reps", required_argument, NULL, 'n' },
						   { NULL, 0, NULL, 0 } };
	long rows = 100000;
	char dir[256] = "";
	const char *json_path = NULL;
	int c, do_store = 1, do_bundles = 1, do_repl = 1, do_unlock = 1, store_reps = STORE_REPS;

	if (argc > 3 && !strcmp(argv[1], "--rss-of"))
		return rss_of(argv);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'r')
			rows = atol(optarg);
		else if (c == 'd')
			snprintf(dir, sizeof(dir), "%s", optarg);
		else if (c == 'j')
			json_path = optarg;
		else if (c == 'n' && atoi(optarg) >= 1 && atoi(optarg) <= 100)
			store_reps = atoi(optarg);
		else if (c == 'o' && !strcmp(optarg, "store"))
			do_bundles = do_repl = do_unlock = 0;
		else if (c == 'o' && !strcmp(optarg, "bundles"))
			do_store = do_repl = do_unlock = 0;
		else if (c == 'o' && !strcmp(optarg, "replication"))
			do_store = do_bundles = do_unlock = 0;
		else if (c == 'o' && !strcmp(optarg, "unlock"))
			do_store = do_bundles = do_repl = 0;
		else {
			fprintf(stderr, "usage: bench [--rows N] [--dir DIR] [--only store|bundles|replication|unlock]"
					" [--json FILE] [--reps N]\n");
			return 2;
		}
	}
	if (rows < 1000) {
		fprintf(stderr, "bench: --rows must be at least 1000\n");
		return 2;
	}
	/* SQLite set up as the CLI sets it up, before either side opens a database (vfs.c) */
	if (sodium_init() < 0 || vios_vfs_register() < 0)
		return 1;
	if (json_path != NULL && (json_rows = json_array()) == NULL)
		return 1;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/vios-bench.XXXXXX");
		if (mkdtemp(dir) == NULL)
			return 1;
		snprintf(made_dir, sizeof(made_dir), "%s", dir);
		atexit(remove_made_dir);
	}
	atexit(kill_daemon); /* runs before remove_made_dir */

	if (do_store)
		store_table(dir, rows, store_reps);
	if (do_bundles)
		bundles(dir, rows);
	if (do_repl)
		replication(dir, rows, getenv("VIOS"));
	if (do_unlock)
		unlock_table(dir, getenv("VIOS"));
	if (json_rows != NULL) {
		int bad = json_dump_file(json_rows, json_path, JSON_INDENT(1)) != 0;
		json_decref(json_rows);
		if (bad) {
			fprintf(stderr, "bench: cannot write %s\n", json_path);
			return 1;
		}
	}
	return 0;
}
