/*
 * vfs.h - the "vios" SQLite VFS: the store's database, rollback journal and
 * WAL are sealed page by page with XChaCha20-Poly1305 under a 32-byte key
 * given per database. Temp files never reach the OS: they live in memory.
 *
 * Use vios_vfs_open() rather than sqlite3_open_v2(..., "vios"): it hands the
 * key to the VFS, checks it against the store before SQLite touches any file,
 * and sets the pragmas the VFS relies on (page size 4096 with 40 reserved
 * bytes, locking_mode=EXCLUSIVE, WAL, temp_store=MEMORY, mmap_size=0).
 * The VFS refuses to open a main database it was given no key for, so
 * ATTACH of a file database and VACUUM INTO a file fail instead of writing
 * plain text.
 *
 * One connection per store at a time: the store runs in locking_mode
 * EXCLUSIVE (the WAL index then lives in heap memory and no -shm file is ever
 * made, see vfs.c); a second connection, in this process or another, waits
 * for the busy timeout and then gets SQLITE_BUSY.
 *
 * A page that fails authentication makes the read fail with the extended
 * code SQLITE_IOERR_AUTH; vios_vfs_is_auth_error() tells the store layer
 * "tampered or corrupt store" from other I/O errors.
 */
#ifndef VIOS_STORE_VFS_H
#define VIOS_STORE_VFS_H

#include <sqlite3.h>
#include <stdint.h>

#define VIOS_VFS_NAME "vios"
#define VIOS_VFS_PAGE_SIZE 4096 /* the only page size the VFS accepts */
#define VIOS_VFS_RESERVE 40     /* nonce (24) + tag (16) per page */
#define VIOS_VFS_KEY_BYTES 32

/*
 * Registers the VFS "vios" (never as the default) over the default VFS found
 * when first called. Idempotent and thread-safe. 0 or VIOS_ERROR.
 */
int vios_vfs_register(void);

/*
 * Opens the encrypted store at path with a 32-byte key (the VFS keeps its own
 * copy in sodium_malloc'd memory; the caller's copy stays the caller's).
 * With create != 0 a missing store is created (page size 4096, 40 reserved
 * bytes), otherwise VIOS_ENOTFOUND. The key is checked against the files on
 * disk before SQLite opens them: when none of page 1, the first WAL frame and
 * the first journal record authenticates (wrong key, or tampered), the result
 * is VIOS_ECORRUPT with the message "store: cannot decrypt page 1: wrong key
 * or tampered store" and no file is touched. A page 1 that fails once SQLite
 * reads it gives the same; another page that fails while opening gives
 * VIOS_ECORRUPT ("... tampered or corrupt store").
 * On success *out is a connection in WAL mode with locking_mode=EXCLUSIVE,
 * temp_store=MEMORY, mmap_size=0, secure_delete=ON, foreign_keys=ON,
 * extended result codes and a 5 s busy timeout; close it with
 * sqlite3_close_v2(). Returns 0, VIOS_ENOTFOUND, VIOS_ECORRUPT,
 * VIOS_ENOSPACE or VIOS_ERROR.
 */
int vios_vfs_open(sqlite3 **out, const char *path, const uint8_t key[32], int create);

/* 1 when an extended SQLite result code means "a page failed authentication"
 * (SQLITE_IOERR_AUTH), 0 otherwise. */
int vios_vfs_is_auth_error(int sqlite_extended_errcode);

/*
 * Why the page index last refused a page in this thread ("page 7 is not the
 * page this store last wrote there ..."), or NULL when a page simply failed
 * authentication. Reset by vios_vfs_open() and vios_vfs_verify().
 */
const char *vios_vfs_failure(void);

/* Forgets the reason, once a message has said it. */
void vios_vfs_failure_clear(void);

/*
 * Writes the WAL back (checkpoint TRUNCATE) and checks every page of the
 * database against the store's page index: each authenticates and is the
 * page this store last wrote there, and the file holds exactly the pages the
 * index lists. 0; VIOS_ECORRUPT ("store: page 7 is not the page this store
 * last wrote there ...: tampered store"); VIOS_ENOSPACE or VIOS_ERROR.
 */
int vios_vfs_verify(sqlite3 *db);

/* The file control vios_vfs_verify() sends to the main database. */
#define VIOS_VFS_FCNTL_VERIFY 0x76690001

#endif
