/*
 * fuzz_vfs.c - the store's page reader: the "vios" VFS (src/store/vfs.c)
 * opening sealed files that someone changed on disk.
 *
 * Once per process it builds, with a fixed key and through vios_vfs_open,
 * three small real stores in a scratch directory (under $TMPDIR, /dev/shm
 * first when it exists) and keeps their files in memory:
 *   A  a database and its WAL (commits after a checkpoint: frames that
 *      update, insert and delete);
 *   J  a database in the middle of a transaction with its hot rollback
 *      journal (the cache spilled, so the database holds changed pages);
 *   B  another database and WAL under the same key, with other content:
 *      units sealed under the right key at the wrong place or in the wrong
 *      file.
 * Each keeps its page index (<db>-index) as it was at that moment.
 * Each input picks a starting set of files (its first byte) and then
 * applies up to FUZZ_VFS_OPS mutations of 7 bytes each (op, file, offset
 * 24-bit LE, argument 16-bit LE): flip or set a byte, cut the file, copy a
 * sealed unit (page, frame or journal record) in from another store or from
 * another place of the same file, zero a unit, delete the file or replace it
 * by another store's. The files are written to the scratch directory and the
 * store is opened with vios_vfs_open and read (a count over the table, the
 * integrity check) and written (one insert) through the VFS.
 *
 * What must hold: vios_vfs_open gives 0, VIOS_ECORRUPT, or VIOS_ENOTFOUND
 * when the database file is gone; every SQLite call on an open store
 * succeeds or fails with SQLITE_CORRUPT, SQLITE_NOTADB or the VFS's
 * SQLITE_IOERR_AUTH (or finds no table t: the VFS does not promise
 * freshness, and a database cut to nothing reads as an empty store)
 * - never another error, a crash, a sanitizer report or a
 * leak. Unmutated inputs must read back what was written (checked once at
 * start, with the recovery of the WAL and of the hot journal). Unlike the
 * other targets this one writes files (the VFS reads only files); they are
 * removed after each input, and the scratch directory at exit.
 */
#include "tools/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include "store/vfs.h"
#include "util/error.h"
#include "util/util.h"

#define FUZZ_VFS_OPS 32
#define FUZZ_VFS_OP_LEN 7

enum { F_DB, F_WAL, F_JOURNAL, F_INDEX, F_COUNT };
enum { S_A, S_J, S_B, S_COUNT };

static const char *const fuzz_vfs_suffix[F_COUNT] = { "", "-wal", "-journal", "-index" };

typedef struct {
	uint8_t *data;
	size_t len;
	int present;
} fuzz_vfs_file;

typedef struct {
	fuzz_vfs_file f[F_COUNT];
} fuzz_vfs_image;

/* Starting sets: which store's file each of db, WAL, journal and page
 * index comes from (-1: none). */
static const signed char fuzz_vfs_start[][F_COUNT] = {
	{ S_A, S_A, -1, S_A },  /* A as it is */
	{ S_J, -1, S_J, S_J },  /* J with its hot journal */
	{ S_A, S_B, -1, S_A },  /* A's database, B's WAL */
	{ S_B, S_A, -1, S_B },  /* B's database, A's WAL */
	{ S_A, S_A, S_J, S_A }, /* both sidecars */
	{ S_A, -1, -1, S_A },   /* A's database without the WAL its index says is live */
	{ S_J, S_A, -1, S_J },  /* J's database, A's WAL */
	{ S_A, -1, S_J, S_B },  /* A's database, J's journal, B's index */
};
#define FUZZ_VFS_STARTS (sizeof(fuzz_vfs_start) / sizeof(fuzz_vfs_start[0]))

/* Set by the regression test, which reads the files of a sound start again. */
static int fuzz_vfs_keep_files;

static struct {
	int ready;
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	uint8_t key[VIOS_VFS_KEY_BYTES];
	fuzz_vfs_image store[S_COUNT];
	size_t jhdr; /* where J's first journal record starts */
} fz;

static void fuzz_vfs_die(const char *what)
{
	fprintf(stderr, "fuzz_vfs: %s: %s\n", what, vios_error_last());
	abort();
}

static void fuzz_vfs_cleanup(void)
{
	if (fz.dir[0])
		vios_rm_rf(fz.dir);
	for (int s = 0; s < S_COUNT; s++)
		for (int i = 0; i < F_COUNT; i++)
			free(fz.store[s].f[i].data);
	memset(&fz, 0, sizeof(fz));
}

/*
 * A crash, a timeout or a kill ends a fuzzer without atexit: its scratch
 * directory (named with its pid) stays. Each start removes those whose
 * process is gone.
 */
static void fuzz_vfs_sweep(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;
	char path[4096];
	long pid;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *end;
		if (strncmp(e->d_name, "vios-fuzz-vfs-", 14))
			continue;
		pid = strtol(e->d_name + 14, &end, 10);
		/* only a directory whose process no longer exists */
		if (end == e->d_name + 14 || *end != '-' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name) < (int)sizeof(path))
			vios_rm_rf(path);
	}
	closedir(d);
}

static void fuzz_vfs_exec(sqlite3 *db, const char *zSql)
{
	char *err = NULL;

	if (sqlite3_exec(db, zSql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "fuzz_vfs: %s: %s\n", zSql, err ? err : "?");
		abort();
	}
}

/* Keeps the files of the store at path (as they are now) in img. */
static void fuzz_vfs_keep(fuzz_vfs_image *img, const char *path)
{
	char side[PATH_MAX + 16];

	for (int i = 0; i < F_COUNT; i++) {
		snprintf(side, sizeof(side), "%s%s", path, fuzz_vfs_suffix[i]);
		img->f[i].present = vios_file_read(&img->f[i].data, &img->f[i].len, side, 1u << 24) == 0;
	}
}

/* A summary of table t (rows, ids, text and blob lengths), or -1 on an error. */
static long long fuzz_vfs_summary(sqlite3 *db)
{
	sqlite3_stmt *pStmt = NULL;
	long long sum = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(*) * 1000003 + total(id) * 1009 + total(length(v)) * 31 +"
			       " total(length(b)) FROM t", -1, &pStmt, NULL) == SQLITE_OK &&
	    sqlite3_step(pStmt) == SQLITE_ROW)
		sum = sqlite3_column_int64(pStmt, 0);
	sqlite3_finalize(pStmt);
	return sum;
}

static sqlite3 *fuzz_vfs_create(const char *name)
{
	sqlite3 *db = NULL;

	snprintf(fz.path, sizeof(fz.path), "%s/%s", fz.dir, name);
	if (vios_vfs_open(&db, fz.path, fz.key, 1) < 0)
		fuzz_vfs_die(name);
	fuzz_vfs_exec(db, "PRAGMA wal_autocheckpoint=0;"
			  "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL, b BLOB);"
			  "CREATE INDEX t_v ON t(v)");
	return db;
}

/* Removes the store's files (after each input, so that a process killed
 * between inputs leaves at most an empty directory). */
static void fuzz_vfs_remove_files(void)
{
	char side[PATH_MAX + 32];

	for (int i = 0; i < F_COUNT; i++) {
		snprintf(side, sizeof(side), "%s%s", fz.path, fuzz_vfs_suffix[i]);
		unlink(side);
	}
}

static int fuzz_vfs_write_files(const fuzz_vfs_image *img);
static long long fuzz_vfs_open_summary(void);

static void fuzz_vfs_init(void)
{
	const char *tmp = getenv("TMPDIR");
	long long want_a, want_j;
	sqlite3 *db;

	if (fz.ready)
		return;
	if (sodium_init() < 0)
		fuzz_vfs_die("sodium_init");
	memset(fz.key, 0x6b, sizeof(fz.key)); /* 'k' */
	if (access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	if (tmp == NULL || !*tmp)
		tmp = "/tmp";
	fuzz_vfs_sweep(tmp);
	snprintf(fz.dir, sizeof(fz.dir), "%s/vios-fuzz-vfs-%ld-XXXXXX", tmp, (long)getpid());
	if (mkdtemp(fz.dir) == NULL) {
		fprintf(stderr, "fuzz_vfs: mkdtemp %s: %s\n", fz.dir, strerror(errno));
		abort();
	}
	atexit(fuzz_vfs_cleanup);

	/* A: 40 rows checkpointed, then three commits in the WAL */
	db = fuzz_vfs_create("a.db");
	fuzz_vfs_exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 40)"
			  " INSERT INTO t SELECT i, printf('row %d', i), zeroblob(200 + i) FROM c;"
			  "PRAGMA wal_checkpoint(TRUNCATE);"
			  "UPDATE t SET v = v || ' changed' WHERE id % 7 = 0;"
			  "INSERT INTO t VALUES (100, 'late', zeroblob(5000));"
			  "DELETE FROM t WHERE id = 3");
	want_a = fuzz_vfs_summary(db);
	fuzz_vfs_keep(&fz.store[S_A], fz.path);
	sqlite3_close_v2(db);

	/* J: a rollback journal, copied in the middle of a transaction that
	 * spilled pages to the database */
	db = fuzz_vfs_create("j.db");
	fuzz_vfs_exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 60)"
			  " INSERT INTO t SELECT i, printf('journal row %d', i), zeroblob(100 + i) FROM c;"
			  "PRAGMA journal_mode=DELETE; PRAGMA cache_size=2;"
			  "BEGIN; UPDATE t SET b = zeroblob(300 + id), v = v || ' updated'");
	want_j = -1;
	fuzz_vfs_keep(&fz.store[S_J], fz.path);
	fuzz_vfs_exec(db, "ROLLBACK");
	want_j = fuzz_vfs_summary(db);
	sqlite3_close_v2(db);

	/* B: other rows under the same key */
	db = fuzz_vfs_create("b.db");
	fuzz_vfs_exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 30)"
			  " INSERT INTO t SELECT i * 3, printf('other %d', i), zeroblob(900) FROM c;"
			  "PRAGMA wal_checkpoint(TRUNCATE);"
			  "UPDATE t SET b = zeroblob(10) WHERE id % 2 = 0;"
			  "INSERT INTO t VALUES (7, 'seven', NULL)");
	fuzz_vfs_keep(&fz.store[S_B], fz.path);
	sqlite3_close_v2(db);
	for (int s = 0; s < S_COUNT; s++) {
		snprintf(fz.path, sizeof(fz.path), "%s/%s", fz.dir, s == S_A ? "a.db" : s == S_J ? "j.db" : "b.db");
		fuzz_vfs_remove_files();
	}

	if (!fz.store[S_A].f[F_WAL].present || fz.store[S_A].f[F_WAL].len <= 32 ||
	    !fz.store[S_J].f[F_JOURNAL].present || !fz.store[S_B].f[F_WAL].present ||
	    !fz.store[S_A].f[F_INDEX].present || !fz.store[S_J].f[F_INDEX].present) {
		fprintf(stderr, "fuzz_vfs: the stores lack a WAL, journal or page index\n");
		abort();
	}
	/* the journal header is one sector (its field at 20), records follow */
	fz.jhdr = 4096;
	if (fz.store[S_J].f[F_JOURNAL].len >= 28) {
		const uint8_t *h = fz.store[S_J].f[F_JOURNAL].data + 20;
		uint32_t sector = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];

		if (sector >= 512 && sector <= 65536)
			fz.jhdr = sector;
	}
	snprintf(fz.path, sizeof(fz.path), "%s/store.db", fz.dir);

	/* the unmutated files read back what was committed: WAL recovery and
	 * the hot journal's rollback work through the VFS */
	if (fuzz_vfs_write_files(&(fuzz_vfs_image){ { fz.store[S_A].f[F_DB], fz.store[S_A].f[F_WAL], { 0 },
							 fz.store[S_A].f[F_INDEX] } }) < 0 ||
	    fuzz_vfs_open_summary() != want_a)
		fuzz_vfs_die("store A does not read back");
	if (fuzz_vfs_write_files(&(fuzz_vfs_image){ { fz.store[S_J].f[F_DB], { 0 }, fz.store[S_J].f[F_JOURNAL],
							 fz.store[S_J].f[F_INDEX] } }) < 0 ||
	    fuzz_vfs_open_summary() != want_j)
		fuzz_vfs_die("store J does not roll back");
	fuzz_vfs_remove_files();
	fz.ready = 1;
}

/* Writes img's files as the store at fz.path (absent ones removed). */
static int fuzz_vfs_write_files(const fuzz_vfs_image *img)
{
	char side[PATH_MAX + 32];

	for (int i = 0; i < F_COUNT; i++) {
		const fuzz_vfs_file *f = &img->f[i];
		int fd;

		snprintf(side, sizeof(side), "%s%s", fz.path, fuzz_vfs_suffix[i]);
		if (!f->present) {
			if (unlink(side) < 0 && errno != ENOENT)
				return -1;
			continue;
		}
		if ((fd = open(side, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
			return -1;
		if (f->len && write(fd, f->data, f->len) != (ssize_t)f->len) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* Opens fz.path and returns its summary, -1 when it cannot be read. */
static long long fuzz_vfs_open_summary(void)
{
	sqlite3 *db = NULL;
	long long sum = -1;

	if (vios_vfs_open(&db, fz.path, fz.key, 0) == 0)
		sum = fuzz_vfs_summary(db);
	sqlite3_close_v2(db);
	return sum;
}

/* --- mutations --------------------------------------------------------- */

/* Unit geometry of file i: first unit's offset and unit length (the page
 * index: its 40-byte header, then a 16-byte tag per page). */
static void fuzz_vfs_units(int i, size_t *start, size_t *len)
{
	*start = i == F_DB ? 0 : i == F_WAL ? 32 : i == F_INDEX ? 40 : fz.jhdr;
	*len = i == F_DB ? VIOS_VFS_PAGE_SIZE : i == F_WAL ? 24 + VIOS_VFS_PAGE_SIZE :
	       i == F_INDEX ? 16 : 4 + VIOS_VFS_PAGE_SIZE + 4;
}

static void fuzz_vfs_copy_from(fuzz_vfs_file *dst, const fuzz_vfs_file *src)
{
	free(dst->data);
	dst->data = NULL;
	dst->len = 0;
	dst->present = src->present;
	if (src->present && src->len) {
		if ((dst->data = malloc(src->len)) == NULL)
			abort();
		memcpy(dst->data, src->data, src->len);
		dst->len = src->len;
	}
}

/* Makes dst at least end bytes long (zero-filled); a file that was absent is then present. */
static void fuzz_vfs_grow(fuzz_vfs_file *dst, size_t end)
{
	uint8_t *p;

	dst->present = 1;
	if (end <= dst->len)
		return;
	if ((p = realloc(dst->data, end)) == NULL)
		abort();
	memset(p + dst->len, 0, end - dst->len);
	dst->data = p;
	dst->len = end;
}

/* Copies unit su of src over unit du of dst (up to one unit past dst's end). */
static void fuzz_vfs_put_unit(fuzz_vfs_file *dst, int i, size_t du, const uint8_t *src, size_t slen, size_t su)
{
	size_t start, len, n, from, to;

	fuzz_vfs_units(i, &start, &len);
	n = dst->len > start ? (dst->len - start) / len : 0;
	du %= n + 2;
	from = start + su * len;
	to = start + du * len;
	if (from >= slen)
		return;
	n = slen - from < len ? slen - from : len;
	fuzz_vfs_grow(dst, to + n);
	memmove(dst->data + to, src + from, n);
}

static void fuzz_vfs_mutate(fuzz_vfs_image *img, const uint8_t *op)
{
	int kind = op[0] % 8, i = op[1] % F_COUNT;
	size_t off = (size_t)op[2] | (size_t)op[3] << 8 | (size_t)op[4] << 16;
	unsigned arg = (unsigned)op[5] | (unsigned)op[6] << 8;
	fuzz_vfs_file *f = &img->f[i];
	const fuzz_vfs_file *other = &fz.store[arg % S_COUNT].f[i];
	size_t start, len, n;

	fuzz_vfs_units(i, &start, &len);
	n = f->len > start ? (f->len - start) / len : 0;
	switch (kind) {
	case 0: /* flip bits of a byte */
		if (f->len)
			f->data[off % f->len] ^= (uint8_t)(op[5] ? op[5] : 0x80);
		break;
	case 1: /* set a byte (the WAL and journal headers are plain) */
		if (f->len)
			f->data[off % f->len] = op[5];
		break;
	case 2: /* cut the file */
		if (f->present)
			f->len = off % (f->len + 1);
		break;
	case 3: /* another store's unit, sealed under the same key */
		if (other->present)
			fuzz_vfs_put_unit(f, i, off, other->data, other->len, arg >> 2);
		break;
	case 4: /* a unit of this file at another place */
		if (f->present && f->len && n) {
			uint8_t *copy = malloc(f->len);
			size_t clen = f->len;

			if (copy == NULL)
				abort();
			memcpy(copy, f->data, clen);
			fuzz_vfs_put_unit(f, i, off, copy, clen, arg % n);
			free(copy);
		}
		break;
	case 5: /* delete the file */
		fuzz_vfs_copy_from(f, &(fuzz_vfs_file){ NULL, 0, 0 });
		break;
	case 6: /* another store's whole file */
		fuzz_vfs_copy_from(f, other);
		break;
	default: /* a unit of zeros: a hole */
		if (f->present && n) {
			size_t at = start + (off % n) * len;
			memset(f->data + at, 0, len);
		}
		break;
	}
}

/* --- the reads --------------------------------------------------------- */

/* 1 when rc (with db's extended code) is a clean refusal of bad files. */
static int fuzz_vfs_clean_failure(sqlite3 *db, int rc)
{
	int ext = sqlite3_extended_errcode(db);

	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ||
	       vios_vfs_is_auth_error(rc) || vios_vfs_is_auth_error(ext);
}

/* Runs every row of zSql; 0, or the failing SQLite code (checked clean). */
static int fuzz_vfs_run(sqlite3 *db, const char *zSql)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL);
	if (rc == SQLITE_ERROR && strcmp(sqlite3_errmsg(db), "no such table: t") == 0)
		return rc; /* a database cut to nothing, or replaced by an empty one */
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW)
			(void)sqlite3_column_text(pStmt, 0);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK && !fuzz_vfs_clean_failure(db, rc)) {
		fprintf(stderr, "fuzz_vfs: %s: %s (%d, extended %d)\n", zSql, sqlite3_errmsg(db), rc,
			sqlite3_extended_errcode(db));
		FUZZ_CHECK(!"SQLite failed other than as corrupt or unauthenticated");
	}
	sqlite3_finalize(pStmt);
	return rc;
}

int fuzz_vfs(const uint8_t *data, size_t size)
{
	fuzz_vfs_image img;
	sqlite3 *db = NULL;
	int rc;

	fuzz_vfs_init();
	if (size < 1)
		return 0;
	memset(&img, 0, sizeof(img));
	for (int i = 0; i < F_COUNT; i++) {
		int s = fuzz_vfs_start[data[0] % FUZZ_VFS_STARTS][i];

		if (s >= 0)
			fuzz_vfs_copy_from(&img.f[i], &fz.store[s].f[i]);
	}
	data++;
	size--;
	for (int k = 0; k < FUZZ_VFS_OPS && size >= FUZZ_VFS_OP_LEN; k++) {
		fuzz_vfs_mutate(&img, data);
		data += FUZZ_VFS_OP_LEN;
		size -= FUZZ_VFS_OP_LEN;
	}
	if (fuzz_vfs_write_files(&img) < 0) {
		fprintf(stderr, "fuzz_vfs: writing %s: %s\n", fz.path, strerror(errno));
		abort();
	}

	rc = vios_vfs_open(&db, fz.path, fz.key, 0);
	if (rc != 0 && rc != VIOS_ECORRUPT && !(rc == VIOS_ENOTFOUND && !img.f[F_DB].present))
		fprintf(stderr, "fuzz_vfs: vios_vfs_open: %d: %s\n", rc, vios_error_last());
	FUZZ_CHECK(rc == 0 || rc == VIOS_ECORRUPT || (rc == VIOS_ENOTFOUND && !img.f[F_DB].present));
	FUZZ_CHECK((rc == 0) == (db != NULL));
	if (rc == 0) {
		if (fuzz_vfs_run(db, "SELECT count(*), total(length(v)), total(length(b)) FROM t") == SQLITE_OK)
			fuzz_vfs_run(db, "PRAGMA integrity_check");
		fuzz_vfs_run(db, "INSERT INTO t (v, b) VALUES ('fuzz', zeroblob(700))");
		FUZZ_CHECK(sqlite3_close_v2(db) == SQLITE_OK);
	}
	for (int i = 0; i < F_COUNT; i++)
		free(img.f[i].data);
	if (!fuzz_vfs_keep_files)
		fuzz_vfs_remove_files();
	return 0;
}

/*
 * Under libFuzzer a file may not grow past FUZZ_VFS_FSIZE (the stores are
 * about 100 KB): libFuzzer reports a write past it as "file size exceeded"
 * with the input, at once instead of after filling the scratch file system
 * (a tampered journal header once made the VFS write 10 GB of sealed zero
 * pages before the 60 s timeout: tests/resources/fuzz/regress/vfs/). The
 * regression test replays the inputs under the same cap.
 */
#define FUZZ_VFS_FSIZE ((rlim_t)64 << 20)

#ifndef FUZZ_NO_MAIN

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rlimit rl = { FUZZ_VFS_FSIZE, FUZZ_VFS_FSIZE };

	(void)argc;
	(void)argv;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0) {
		fprintf(stderr, "fuzz_vfs: setrlimit: %s\n", strerror(errno));
		abort();
	}
	fuzz_vfs_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_vfs(data, size);
}
#endif
