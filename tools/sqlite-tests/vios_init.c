/*
 * vios_init.c - puts the vios VFS under SQLite's own test suite.
 *
 * Linked into SQLite's testfixture (tools/sqlite-tests/build.sh) and named
 * by -DSQLITE_EXTRA_INIT=vios_sqlite_tests_init, so sqlite3_initialize()
 * calls vios_sqlite_tests_init() at its end, every time it runs (a test that
 * calls sqlite3_shutdown and sqlite3_initialize gets it again).
 *
 * This file includes src/store/vfs.c, so the VFS under test is the one the
 * store uses, byte for byte, with one switch: a database copied without its
 * page index (SQLite's tests copy database files, not the side files vios
 * adds) gets one made from its pages, where the store refuses such a copy.
 * The other thing the test build changes is where the key comes from: the
 * store hands it over in vios_vfs_open() (a
 * thread-local slot read by the main db's xOpen); SQLite's tests open their
 * databases with sqlite3_open_v2 or ATTACH, so xOpen is wrapped to put one
 * fixed test key in that slot for every main database. Everything else -
 * the refusals (page size, reserve, super-journals, no xShm), the sealing,
 * the memory temp files - is the VFS as shipped.
 *
 * With VIOS_SQLITE_VFS=vios in the environment the VFS is registered as the
 * default VFS over the unix VFS; otherwise the default (unix) VFS stays. In
 * both modes new databases get 40 reserved bytes per page, as the store's
 * page layout has them (vios_vfs_open sets them for the store): an
 * auto-extension sends SQLITE_FCNTL_RESERVE_BYTES for each database of a new
 * connection and, from a statement trace, again before each statement, so
 * ATTACHed databases get them too. The two runs so differ only in the VFS.
 * The page size is the build's default, 4096 (-DSQLITE_DEFAULT_PAGE_SIZE).
 */
/* SQLite's tests copy database files without the side files vios adds: a
 * copy gets a page index made from its pages (vfs.c, "The page index"). */
#define VIOS_VFS_ADOPT_MISSING_INDEX 1
#define VIOS_NO_FAULTS 1 /* vios's crash points are not linked in */
#include "store/vfs.c"

/* The fixed test key: bytes 0x00..0x1f. Tests only, never a store's key. */
static const uint8_t test_key[VIOS_VFS_KEY_BYTES] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* vfs_open with the test key in the slot vios_vfs_open() would fill. */
static int test_open(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *pFile,
		     int flags, int *pOutFlags)
{
	int rc;

	if ((flags & SQLITE_OPEN_MAIN_DB) && zName != NULL)
		pending_key = test_key;
	rc = vfs_open(pVfs, zName, pFile, flags, pOutFlags);
	pending_key = NULL;
	return rc;
}

/* Asks for 40 reserved bytes on every database of the connection (main,
 * temp, attached). Only a database without pages takes it; the others keep
 * their layout. */
static void reserve_all(sqlite3 *db)
{
	const char *zName;

	for (int i = 0; (zName = sqlite3_db_name(db, i)) != NULL; i++) {
		int n = VIOS_VFS_RESERVE;

		sqlite3_file_control(db, zName, SQLITE_FCNTL_RESERVE_BYTES, &n);
	}
}

/* Statement trace: before each statement runs, so a database ATTACHed by
 * an earlier statement gets the reserve before its first page is written.
 * (A test that installs its own trace replaces this one.) */
static int reserve_trace(unsigned type, void *ctx, void *p, void *x)
{
	(void)type;
	(void)ctx;
	(void)x;
	reserve_all(sqlite3_db_handle((sqlite3_stmt *)p));
	return 0;
}

/* Auto-extension: the reserve for main now, and for later ATTACHes. */
static int reserve_init(sqlite3 *db, char **pzErrMsg, const void *pApi)
{
	(void)pzErrMsg;
	(void)pApi;
	reserve_all(db);
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, reserve_trace, NULL);
	return SQLITE_OK;
}

int vios_sqlite_tests_init(const char *unused);

int vios_sqlite_tests_init(const char *unused)
{
	const char *mode = getenv("VIOS_SQLITE_VFS");
	int rc;

	(void)unused;
	if ((rc = sqlite3_auto_extension((void (*)(void))reserve_init)) != SQLITE_OK)
		return rc;
	if (mode == NULL || strcmp(mode, "vios") != 0)
		return SQLITE_OK;
	if (vios_vfs_register() != 0) {
		fprintf(stderr, "vios_init: %s\n", vios_error_last());
		return SQLITE_ERROR;
	}
	vios_vfs.xOpen = test_open;
	return sqlite3_vfs_register(&vios_vfs, 1);
}
