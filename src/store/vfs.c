/*
 * vfs.c - the "vios" VFS: a shim over the default (unix) VFS that seals every
 * page of the store, its rollback journal and its WAL with
 * XChaCha20-Poly1305 (libsodium, detached mode). See vfs.h for the API.
 *
 * Units. Each file is cut into units that are sealed whole. The 40 reserved
 * bytes at the end of the unit's page hold a fresh random 24-byte nonce
 * (see next_nonce) and the 16-byte tag; everything else in the unit is
 * ciphertext:
 *   main db  one page at (pgno-1)*4096; associated data "viosmain"+pgno,
 *            page 1 of an indexed store "viosidx1"+1 (see the page index).
 *   WAL      one frame at 32+k*4120: the 24-byte frame header and its page,
 *            sealed as one message; AD "vios-wal"+offset of the page image.
 *   journal  one record at X: the 4-byte page number, the page and the
 *            4-byte checksum, sealed as one message; AD "viosjrnl"+X+4.
 * Page 1 is sealed whole, header included, so nothing on disk says SQLite.
 * Reads hand SQLite the page with its reserved bytes zeroed, so the page
 * images SQLite checksums into the journal and WAL are deterministic.
 *
 * What stays plain, and why. The frame headers and record fields look like
 * metadata, but SQLite's checksums in them are computed over the plain page
 * (the WAL's is a 64-bit running sum over every byte): an unkeyed function of
 * the content that would let anyone with the file confirm a guess of a
 * record. So they are sealed with their page as above. What is left plain:
 *   - the WAL header (32 bytes: magic, version, page size, checkpoint count,
 *     two salts, a checksum over those) - no content;
 *   - the journal header (magic, record count, a random checksum seed, the
 *     original page count, sector and page size; zero padding) - no content.
 *     A first header other than the one the page index records as live is
 *     shown to SQLite as no journal (its original page count would truncate
 *     the database, or fill the disk with sealed zero pages).
 *     Writes to the journal other than records are refused unless they have
 *     this shape (at most 28 meaningful bytes, the rest zero).
 * File sizes show the page count and how many pages a transaction touched.
 *
 * The page index (<db>-index, format vios-page-index-1 in docs/formats.md).
 * Every seal has a fresh nonce, so each page's tag is new with each write.
 * The index lists the tag of every page of the database as the VFS last
 * wrote it, under a keyed BLAKE2b MAC (key derived from the store key). A
 * page read under a lock must carry the tag the index lists, so a page put
 * back from an older state of the same store - sealed under the same key at
 * the same place, so it authenticates - is refused with SQLITE_IOERR_AUTH,
 * as is a page past the end the index gives, or a database cut short of it.
 * It also records the live WAL generation (its salts) and the live journal
 * (its first header's seed and size): an older WAL or a journal put beside
 * the store reads as none, and a live WAL deleted is refused.
 * Page 1 of an indexed store is sealed under its own label ("viosidx1"), so
 * deleting the index does not turn the check off; a store sealed before the
 * index existed (page 1 under "viosmain") is refused, to be rebuilt from the
 * hub. The index is rewritten whole, atomically (temporary file, fsync,
 * rename), and only once the database file's own pages are durable: after
 * the database's xSync (unless a WAL generation is live: its frames hold
 * the pages a checkpoint wrote), and before the WAL or journal could forget a
 * page written since (WAL header rewrite or truncation, journal header,
 * truncation or deletion, unlock, close). Until then, pages written since
 * the last index are still in the WAL or journal, which SQLite reads or
 * plays back before it reads them from the database, so a crash never makes
 * a good store look tampered. Not covered: putting back every file of the
 * store together (the index included) - the chain's witness at the hub
 * catches that (docs/chain.md) - and a live WAL cut short at a frame (the
 * commits after it are lost, as after a crash). vios_vfs_verify() compares
 * every page with the index. In the test build (tools/sqlite-tests) a
 * database without an index gets one made from its pages, as SQLite's tests
 * copy databases without their side files.
 *
 * Write patterns. SQLite writes a journal record as number, page, checksum,
 * and a new WAL frame as header, page, in consecutive xWrite calls. The VFS
 * holds the first parts in the file's pending buffer and writes the unit when
 * the last part comes (the journal's layout is not fixed, so records are
 * known by this sequence when written and by which unit authenticates when
 * read). A frame header is held only when no sealed frame is at its place or
 * the one there is of an older WAL generation (other salts). Any other
 * partial frame write - a header rewritten by walRewriteChecksums, or filled
 * in after SQLite wrote it with zero salts, a page overwritten in place, a
 * frame over one rolled back - is done at once by read-open-modify-seal, so
 * nothing SQLite believes written is held back once its call returns. (The
 * moment's unit of new header and old page never passes SQLite's checksum
 * or salt check.) Whatever is still pending when another call comes is
 * written if it is a lone 4-byte journal field (not content), else refused
 * with SQLITE_IOERR_WRITE. Main db writes must be single whole pages; a
 * write past the end first fills the gap with sealed zero pages, and size
 * hints and chunk sizes are ignored, so the VFS itself never leaves a hole.
 * A db that ends in a cut page is never filled past it (SQLITE_IOERR_AUTH,
 * as reading that page gives); whole-page writes inside the file go ahead.
 * A page 1 written to the db or the WAL must say 4096-byte pages with 40
 * reserved bytes, so a changed page layout is refused, not half-sealed.
 *
 * Reads. A read that is not a whole aligned page is served by decrypting the
 * covering unit(s) (SQLite reads 100 bytes of page 1 at open, 8-byte
 * checksums of a frame header, 4-byte journal fields). A unit that starts at
 * or past the end of file reads as zeros with SQLITE_IOERR_SHORT_READ, as
 * SQLite expects for new pages. A unit inside the file that does not
 * authenticate - tampered, cut short, written under another key, or all
 * zeros because it was never written (a hole) - is never returned as data:
 *   main db, journal page reads, WAL reads of a page or part of a frame
 *     -> SQLITE_IOERR_AUTH;
 *   WAL reads of a whole frame, header and page (WAL recovery reads so)
 *     -> zeros, i.e. page number 0, which SQLite takes as "not a valid
 *     frame": the log ends there, exactly as for a torn write after a crash.
 *     Tampering inside the WAL can so cost the commits after it, which
 *     truncating the file would cost as well;
 *   4-byte journal reads -> the record at that offset (page number) or the
 *     record ending there (checksum) if one authenticates; otherwise the raw
 *     bytes (header fields are plain). The page read that follows fails.
 * Frames held in memory. The WAL file keeps the plain images of the frames
 * it wrote in the generation it began (it wrote the WAL header), at most
 * HELD_MAX, in heap memory wiped when the file closes (a new generation
 * writes over the last one's). A new frame is put together in its place
 * there, header then page, and sealed from it. Reads of those frames (the
 * checkpoint's, walRewriteChecksums') and rewrites of them use the images,
 * and a new frame's header written just past them is held for its page
 * without reading the older generation's frame under it: so a page is
 * sealed once into the WAL and once into the database, and opened by
 * neither. Frames past HELD_MAX, and a WAL found on disk, go by the file as
 * described above. A frame changed on disk after it was written here is so
 * never taken in; what reaches the database is what this process sealed.
 *
 * So that a wrong key never reaches SQLite's recovery (which would find the
 * WAL "empty" and delete it on close), vios_vfs_open() first checks the key
 * against page 1, the first WAL frame or the first journal record directly.
 *
 * Keys. vios_vfs_open() puts the key in a thread-local slot for the duration
 * of sqlite3_open_v2(); the main db's xOpen copies it into a registry entry
 * (sodium_malloc'd, read-only) named by the db path SQLite passes to xOpen.
 * The journal and WAL xOpen find their entry by sqlite3_filename_database()
 * of their own name (checked to be that name plus "-journal" / "-wal").
 * Each open file holds a reference; the key is wiped and freed when the last
 * file of the store closes. A mutex guards the registry. A main db opened
 * without a key (ATTACH, VACUUM INTO, a plain sqlite3_open_v2) is refused.
 *
 * Temp files (TEMP_DB, TEMP_JOURNAL, SUBJOURNAL, TRANSIENT_DB, anonymous)
 * are memory files, wiped when closed. Super-journals are refused: the store
 * runs in WAL mode, where SQLite does not use them, and a multi-database
 * commit in rollback mode would have to write other databases' names.
 *
 * Shared memory. The io methods are version 1: no xFetch (so no mmap) and no
 * xShm*. The -shm file of a normal WAL database would hold page numbers,
 * frame counts, the salts and the running frame checksum of the last commit -
 * that checksum is again a function of plain content, and the kernel writes
 * the mapping to disk. Without xShm SQLite allows WAL only in
 * locking_mode=EXCLUSIVE, which vios_vfs_open() sets first: the WAL index
 * lives in heap memory, no -shm file exists, one connection uses the store.
 *
 * Crash safety. A SIGKILL can cut a multi-page pwrite, so a unit can be torn;
 * it then fails authentication and is handled like SQLite handles a torn
 * frame or record (see Reads). SQLite only plays back journal records its
 * header vouches for after a sync, so with synchronous=NORMAL or FULL a torn
 * record is never read; with synchronous=OFF a torn last record would make
 * the rollback fail with SQLITE_IOERR_AUTH rather than be guessed at.
 */
#include "store/vfs.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE VIOS_VFS_PAGE_SIZE
#define RESERVE VIOS_VFS_RESERVE
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define BODY (PAGE - RESERVE)
#define WAL_HDR 32
#define FRAME_HDR 24
#define FRAME (FRAME_HDR + PAGE)
#define JREC (4 + PAGE + 4)
#define JHDR_FIELDS 28
#define UNIT_MAX FRAME
#define AD_LEN 16
#define MEM_MAX ((sqlite3_int64)1 << 40)
#define HELD_MAX 1024 /* WAL frames held in memory at most (4 MiB) */

_Static_assert(RESERVE == NONCE + TAG, "reserved bytes hold nonce and tag");
_Static_assert(VIOS_VFS_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key size");

enum { KIND_MAIN, KIND_JOURNAL, KIND_WAL, KIND_MEM };

#define MEMORY_FLAGS (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL | \
		      SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_TRANSIENT_DB)

/* Device characteristics the VFS does not pass on: atomic-write claims
 * (units are larger than pages) and safe-append (it would make SQLite trust
 * journal records by file size instead of by its synced header). */
#define IOCAP_DROP (0x1ff | SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_BATCH_ATOMIC)

/* The page index of one store (see the file comment): the tag of pages
 * 1..n as the VFS last wrote them. lock guards every field. */
typedef struct page_index {
	pthread_mutex_t lock;
	char *path;         /* <db>-index */
	uint8_t *tags;      /* TAG bytes per page, page p at (p-1)*TAG */
	uint32_t n, cap;    /* pages listed; room for */
	uint32_t flags;     /* IDX_WAL_LIVE, IDX_JOURNAL_LIVE */
	uint8_t wal_salt[8];   /* the live WAL generation's salts (WAL header 16..23) */
	uint8_t journal[8];    /* the live journal's first header, bytes 12..19 */
	uint64_t id;        /* random, new with each index made afresh */
	uint64_t commits;   /* times the index was written */
	int loaded, dirty;  /* read (or made); changed since written */
	int unwritten;      /* made for an empty database, not yet on disk */
} page_index;

/* One store's key, shared by its main db, journal and WAL files. */
typedef struct store_key {
	struct store_key *next;
	char *name;   /* main db path as SQLite passed it to xOpen */
	uint8_t *key; /* VIOS_VFS_KEY_BYTES, then the index's MAC key; sodium_malloc'd, read-only */
	int nref;     /* open files using it */
	struct vfs_file *main; /* an open main db file of the store (loads the index) */
	int have_id;  /* dev/ino of the main db file set */
	dev_t dev;
	ino_t ino;
	page_index ix;
} store_key;

struct vfs_file;

/* The buffers a sealed file works in, allocated apart from vfs_file (memory
 * files have none): SQLite zeroes szOsFile bytes twice for every pager it
 * opens, an ephemeral table's for each statement that uses one, and these
 * made that 50 KiB a time. */
typedef struct unit_bufs {
	uint8_t pend[UNIT_MAX];
	uint8_t pend_mask[UNIT_MAX];
	uint8_t disk[UNIT_MAX];
	uint8_t plain[UNIT_MAX];
	uint8_t scratch[2 * UNIT_MAX];
} unit_bufs;

typedef struct vfs_file {
	sqlite3_file base;
	int kind;
	store_key *sk;      /* NULL for memory files */
	sqlite3_file *real; /* the underlying file; NULL for memory files */

	/* A unit being assembled from consecutive writes: WAL frame header
	 * waiting for its page (pend_mask says which bytes are given), or a
	 * journal record: 1 = page number given, 2 = number and page.
	 * pend_slot: the WAL frame header waits instead in the held slot
	 * past the held frames (see held_slot), pend and pend_mask clean. */
	int pend_state;
	uint8_t *pend_slot;
	sqlite3_int64 pend_off;
	sqlite3_int64 cache_off; /* journal: plain holds the record at this offset, or -1 */

	/* u's buffers (calloc'd, wiped when freed), by their names */
	unit_bufs *u;
	uint8_t *pend, *pend_mask, *disk, *plain, *scratch;

	uint8_t *mem; /* memory files */
	sqlite3_int64 mem_size, mem_cap;

	/* WAL: the plain images of frames 0..held_n-1 of the generation this
	 * file began (its header written here: held_on), as sealed into them;
	 * room for held_cap. held_open: no frame of the generation lies past
	 * them (else frames past them were written without being held). See
	 * "Frames held in memory" in the file comment. */
	uint8_t *held;
	uint32_t held_n, held_cap;
	uint32_t held_used; /* frames of held written since it was last wiped */
	int held_on, held_open;

	int lock_level; /* main db: the lock SQLite holds on it */
} vfs_file;

#define REAL_OFFSET ((sizeof(vfs_file) + 7) & ~(size_t)7)

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static store_key *registry;
static _Thread_local const uint8_t *pending_key;
static _Thread_local char failure[200]; /* why the index refused, for vios_vfs_failure() */

/* The test build makes an index for an indexed database that has none. */
#ifndef VIOS_VFS_ADOPT_MISSING_INDEX
#define VIOS_VFS_ADOPT_MISSING_INDEX 0
#endif

static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static const char *register_failure;
static sqlite3_vfs vios_vfs;

static const uint8_t zero_page[PAGE];

/* --- nonces ----------------------------------------------------------- */

/*
 * Every seal takes a fresh random nonce. libsodium's randombytes_buf() is a
 * getrandom() system call per 256 bytes, which cost as much as the sealing
 * itself, so nonces come NONCE_BATCH at a time into a per-thread pool:
 * ChaCha20 output (randombytes_buf_deterministic) under a 32-byte seed
 * fresh from the OS generator, one system call a batch; each is handed out
 * once (they are no secret). A child made by fork() starts with a copy of
 * its parent's pool, so the pool is dropped when the fork count (bumped in
 * the child) moved on: a nonce is never used twice under a key even then.
 */
#define NONCE_BATCH 128

static volatile unsigned fork_count;
static _Thread_local uint8_t nonce_pool[NONCE_BATCH * NONCE];
static _Thread_local unsigned nonce_left, nonce_fork;

static void nonce_after_fork(void)
{
	fork_count++;
}

static void next_nonce(uint8_t out[NONCE])
{
	uint8_t seed[randombytes_SEEDBYTES];

	if (nonce_left == 0 || nonce_fork != fork_count) {
		randombytes_buf(seed, sizeof(seed));
		randombytes_buf_deterministic(nonce_pool, sizeof(nonce_pool), seed);
		sodium_memzero(seed, sizeof(seed));
		nonce_left = NONCE_BATCH;
		nonce_fork = fork_count;
	}
	memcpy(out, nonce_pool + (size_t)(--nonce_left) * NONCE, NONCE);
}

/* --- units ------------------------------------------------------------ */

static size_t unit_len(int kind)
{
	return kind == KIND_MAIN ? PAGE : kind == KIND_WAL ? FRAME : JREC;
}

/* Where the page's reserved bytes sit inside the unit. */
static size_t unit_res(int kind)
{
	return kind == KIND_MAIN ? BODY : kind == KIND_WAL ? FRAME_HDR + BODY : 4 + BODY;
}

/* The position bound into a unit: page number, or the page image's offset. */
static uint64_t unit_pos(int kind, sqlite3_int64 off)
{
	if (kind == KIND_MAIN)
		return (uint64_t)(off / PAGE) + 1;
	return (uint64_t)off + (kind == KIND_WAL ? FRAME_HDR : 4);
}

/* legacy: page 1 as sealed before the page index ("viosmain"), to tell
 * such a store from a tampered one. */
static void make_ad(uint8_t ad[AD_LEN], int kind, uint64_t pos, int legacy)
{
	const char *label = kind == KIND_WAL ? "vios-wal" : kind == KIND_JOURNAL ? "viosjrnl" :
			    pos == 1 && !legacy ? "viosidx1" : "viosmain";

	memcpy(ad, label, 8);
	vios_store_le64(ad + 8, pos);
}

/*
 * Seals the plain unit image img (its reserved bytes ignored) into disk with a
 * fresh nonce. scratch holds 2 * UNIT_MAX bytes; img and disk must differ.
 */
static void seal_unit(int kind, const uint8_t *key, uint64_t pos,
		      const uint8_t *img, uint8_t *disk, uint8_t *scratch)
{
	size_t len = unit_len(kind), res = unit_res(kind);
	size_t tail = len - res - RESERVE, mlen = len - RESERVE;
	uint8_t ad[AD_LEN], *m = scratch, *c = scratch + UNIT_MAX;

	make_ad(ad, kind, pos, 0);
	next_nonce(disk + res);
	if (tail == 0) {
		/* a page or a frame: the message is one run, sealed in place */
		crypto_aead_xchacha20poly1305_ietf_encrypt_detached(disk, disk + res + NONCE, NULL,
			img, mlen, ad, sizeof(ad), NULL, disk + res, key);
		return;
	}
	memcpy(m, img, res);
	memcpy(m + res, img + res + RESERVE, tail);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c, disk + res + NONCE, NULL,
		m, mlen, ad, sizeof(ad), NULL, disk + res, key);
	memcpy(disk, c, res);
	memcpy(disk + res + RESERVE, c + res, tail);
	sodium_memzero(m, mlen);
}

/*
 * Opens the sealed unit disk into img, reserved bytes zeroed. 0, or -1 when
 * it does not authenticate (img zeroed, or untouched, then). img may equal
 * disk. legacy as for make_ad().
 */
static int open_unit(int kind, const uint8_t *key, uint64_t pos, int legacy,
		     const uint8_t *disk, uint8_t *img, uint8_t *scratch)
{
	size_t len = unit_len(kind), res = unit_res(kind);
	size_t tail = len - res - RESERVE, mlen = len - RESERVE;
	uint8_t ad[AD_LEN], *c = scratch, *m = scratch + UNIT_MAX;

	make_ad(ad, kind, pos, legacy);
	if (tail == 0) {
		/* a page or a frame: opened in one run (libsodium checks the
		 * tag before it writes img, and zeroes img when it fails) */
		if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(img, NULL, disk, mlen,
				disk + res + NONCE, ad, sizeof(ad), disk + res, key) != 0)
			return -1;
		memset(img + res, 0, RESERVE);
		return 0;
	}
	memcpy(c, disk, res);
	memcpy(c + res, disk + res + RESERVE, tail);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, NULL, c, mlen,
			disk + res + NONCE, ad, sizeof(ad), disk + res, key) != 0)
		return -1;
	memcpy(img, m, res);
	memset(img + res, 0, RESERVE);
	memcpy(img + res + RESERVE, m + res, tail);
	sodium_memzero(m, mlen);
	return 0;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 1 when a page-1 image declares the page size and reserve the VFS needs. */
static int page1_ok(const uint8_t *p)
{
	return p[16] == (PAGE >> 8) && p[17] == (PAGE & 0xff) && p[20] == RESERVE;
}

/* --- the underlying file ---------------------------------------------- */

static int real_read(vfs_file *f, void *buf, int n, sqlite3_int64 off)
{
	return f->real->pMethods->xRead(f->real, buf, n, off);
}

/* A file size limit or a quota is a full disk to the caller, as ENOSPC is. */
static int real_write(vfs_file *f, const void *buf, int n, sqlite3_int64 off)
{
	int rc = f->real->pMethods->xWrite(f->real, buf, n, off);

	if (rc == SQLITE_IOERR_WRITE && (errno == EFBIG || errno == EDQUOT))
		rc = SQLITE_FULL;
	return rc;
}

static int real_size(vfs_file *f, sqlite3_int64 *size)
{
	return f->real->pMethods->xFileSize(f->real, size);
}

/*
 * Reads and opens the unit at off into img (legacy as for make_ad). SQLITE_OK;
 * SQLITE_DONE when it starts at or past the end of file (img zeroed);
 * SQLITE_IOERR_AUTH when it is cut short or does not authenticate (img
 * zeroed); or an I/O error. The sealed unit stays in f->disk.
 */
static int load_unit_as(vfs_file *f, sqlite3_int64 off, uint8_t *img, int legacy)
{
	size_t len = unit_len(f->kind);
	sqlite3_int64 size;
	int rc;

	rc = real_read(f, f->disk, (int)len, off);
	if (rc == SQLITE_IOERR_SHORT_READ) {
		memset(img, 0, len);
		if ((rc = real_size(f, &size)) != SQLITE_OK)
			return rc;
		return off >= size ? SQLITE_DONE : SQLITE_IOERR_AUTH;
	}
	if (rc != SQLITE_OK)
		return rc;
	if (open_unit(f->kind, f->sk->key, unit_pos(f->kind, off), legacy, f->disk, img, f->scratch) < 0) {
		memset(img, 0, len);
		return SQLITE_IOERR_AUTH;
	}
	return SQLITE_OK;
}

/* As load_unit_as(), pages of an indexed store. */
static int load_unit(vfs_file *f, sqlite3_int64 off, uint8_t *img)
{
	return load_unit_as(f, off, img, 0);
}

static int index_wrote(vfs_file *f, uint32_t pgno, const uint8_t *tag);
static int idx_ready(vfs_file *f);
static int idx_write(page_index *ix, const uint8_t *key);
static const uint8_t *idx_key(const store_key *sk);

/* Seals img as the unit at off and writes it; a database page goes into
 * the page index whether or not the write got through (SQLite will write
 * it again, or roll it back, and a page half written fails anyway). */
static int store_unit(vfs_file *f, sqlite3_int64 off, const uint8_t *img)
{
	int rc, rc2 = SQLITE_OK;

	f->cache_off = -1;
	if (f->kind == KIND_MAIN) {
		/* the index describes the file as it was before this write (an
		 * empty database gets a fresh one, not one left beside it), and
		 * is on disk before the first page is: a crash in the first
		 * transaction leaves an empty index beside the hot journal,
		 * not a database whose index is missing */
		pthread_mutex_lock(&f->sk->ix.lock);
		if ((rc = idx_ready(f)) == SQLITE_OK && f->sk->ix.unwritten) {
			f->sk->ix.dirty = 1;
			rc = idx_write(&f->sk->ix, idx_key(f->sk));
		}
		pthread_mutex_unlock(&f->sk->ix.lock);
		if (rc != SQLITE_OK)
			return rc;
	}
	seal_unit(f->kind, f->sk->key, unit_pos(f->kind, off), img, f->disk, f->scratch);
	rc = real_write(f, f->disk, (int)unit_len(f->kind), off);
	if (f->kind == KIND_MAIN)
		rc2 = index_wrote(f, (uint32_t)(off / PAGE) + 1, f->disk + BODY + NONCE);
	return rc != SQLITE_OK ? rc : rc2;
}

/* A WAL frame. When the write carries page bytes (page != 0), page 1 must
 * have the layout the VFS needs; a header written alone can pair for a
 * moment with another page, whose own write follows. */
static int store_frame(vfs_file *f, sqlite3_int64 off, const uint8_t *img, int page)
{
	if (page && get_be32(img) == 1 && !page1_ok(img + FRAME_HDR))
		return SQLITE_IOERR_WRITE;
	return store_unit(f, off, img);
}

/* --- WAL frames held in memory ----------------------------------------- */

/* Forgets the held frames until the next WAL header is written. They are
 * not wiped here: the next generation writes its frames over them, and
 * held_wipe() wipes what was ever written when the file closes (a wipe of
 * up to 4 MiB at every checkpoint cost as much as sealing a frame per
 * transaction); the plain pages are in SQLite's page cache meanwhile too. */
static void held_stop(vfs_file *f)
{
	f->held_n = 0;
	f->held_on = 0;
	f->held_open = 0;
}

/* The held image of the frame at start, or NULL when it is not held. */
static uint8_t *held_frame(vfs_file *f, sqlite3_int64 start)
{
	sqlite3_int64 k = (start - WAL_HDR) / FRAME;

	return f->held_on && k < f->held_n ? f->held + (size_t)k * FRAME : NULL;
}

/* Wipes every held frame ever written (the file closes). */
static void held_wipe(vfs_file *f)
{
	if (f->held)
		sodium_memzero(f->held, (size_t)f->held_used * FRAME);
	f->held_used = 0;
}

/* 1 when the frame at start is the next of the generation begun here. */
static int held_next(const vfs_file *f, sqlite3_int64 start)
{
	return f->held_open && (start - WAL_HDR) / FRAME == f->held_n;
}

/* Keeps img (the unit just sealed at held_n, reserved bytes zeroed as a
 * read returns them); when HELD_MAX are held or memory is short, the frames
 * held stay so and the ones after are not held. The old buffer is wiped,
 * not realloc'd. */
static int held_room(vfs_file *f);

static void held_append(vfs_file *f, const uint8_t *img)
{
	uint8_t *dst;

	if (!held_room(f)) {
		f->held_open = 0;
		return;
	}
	dst = f->held + (size_t)f->held_n++ * FRAME;
	if (f->held_n > f->held_used)
		f->held_used = f->held_n;
	memcpy(dst, img, FRAME);
	memset(dst + FRAME_HDR + BODY, 0, RESERVE);
}

/* 1 when held has room for frame held_n (grown if need be); 0 when
 * HELD_MAX are held or memory is short. The old buffer is wiped, not
 * realloc'd. */
static int held_room(vfs_file *f)
{
	uint32_t cap = f->held_cap ? 2 * f->held_cap : 64;
	uint8_t *p;

	if (f->held_n < f->held_cap)
		return 1;
	if (cap > HELD_MAX || (p = malloc((size_t)cap * FRAME)) == NULL)
		return 0;
	if (f->held) {
		memcpy(p, f->held, (size_t)f->held_n * FRAME);
		held_wipe(f);
		free(f->held);
		f->held_used = f->held_n;
	}
	f->held = p;
	f->held_cap = cap;
	return 1;
}

/* The slot of the frame after the held ones, where a new frame is put
 * together (held_room() said there is one). */
static uint8_t *held_slot(vfs_file *f)
{
	return f->held + (size_t)f->held_n * FRAME;
}

/* The WAL was cut to size bytes: frames past it are held no more. */
static void held_truncate(vfs_file *f, sqlite3_int64 size)
{
	sqlite3_int64 keep = size < WAL_HDR ? 0 : (size - WAL_HDR) / FRAME;

	if (!f->held_on || keep >= f->held_n)
		return;
	sodium_memzero(f->held + (size_t)keep * FRAME, (size_t)(f->held_n - keep) * FRAME);
	f->held_n = (uint32_t)keep;
	if (size < WAL_HDR)
		held_stop(f);
}

static void pending_clear(vfs_file *f)
{
	f->pend_state = 0;
	f->pend_slot = NULL;
	sodium_memzero(f->pend, sizeof(f->u->pend));
	memset(f->pend_mask, 0, sizeof(f->u->pend_mask));
}

/* A frame header waiting in the held slot moves to pend, as any other
 * partial frame waits (anything but its page came next). */
static void pending_demote(vfs_file *f)
{
	if (f->pend_slot == NULL)
		return;
	memcpy(f->pend, f->pend_slot, FRAME_HDR);
	memset(f->pend_mask, 1, FRAME_HDR);
	f->pend_slot = NULL;
}

/*
 * Writes out whatever unit is half-assembled: a lone journal field as it is,
 * a WAL frame completed from the frame on disk. A journal page whose
 * checksum never came, or a frame that cannot be completed, is dropped with
 * SQLITE_IOERR_WRITE.
 */
static int flush_pending(vfs_file *f)
{
	int rc;

	if (f->pend_state == 0)
		return SQLITE_OK;
	pending_demote(f);
	if (f->kind == KIND_JOURNAL) {
		rc = f->pend_state == 1 ? real_write(f, f->pend, 4, f->pend_off) : SQLITE_IOERR_WRITE;
		pending_clear(f);
		return rc;
	}
	held_stop(f); /* a header whose page never came: not a frame to hold */
	rc = load_unit(f, f->pend_off, f->plain);
	if (rc == SQLITE_OK) {
		for (size_t i = 0; i < FRAME; i++)
			if (f->pend_mask[i])
				f->plain[i] = f->pend[i];
		rc = store_frame(f, f->pend_off, f->plain, memchr(f->pend_mask + FRAME_HDR, 1, PAGE) != NULL);
	} else if (rc == SQLITE_DONE || rc == SQLITE_IOERR_AUTH) {
		rc = SQLITE_IOERR_WRITE;
	}
	pending_clear(f);
	sodium_memzero(f->plain, sizeof(f->u->plain));
	return rc;
}

/* --- the page index --------------------------------------------------- */

#define IDX_SUFFIX "-index"
#define IDX_MAGIC "viospidx"
#define IDX_VERSION 1
#define IDX_HDR 56               /* see docs/formats.md, "Page index" */
#define IDX_MAC 32               /* keyed BLAKE2b-256 over everything before it */
#define IDX_WAL_LIVE 2u          /* a WAL generation is live: wal_salt */
#define IDX_JOURNAL_LIVE 4u      /* a rollback journal is live: journal */
#define IDX_FLAGS (IDX_WAL_LIVE | IDX_JOURNAL_LIVE)
#define IDX_MAX_PAGES (1u << 28) /* 1 TiB of pages */

static void idx_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Keeps why the index refused a page, for vios_vfs_failure(). */
static void idx_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(failure, sizeof(failure), fmt, ap);
	va_end(ap);
}

static const uint8_t *idx_key(const store_key *sk)
{
	return sk->key + VIOS_VFS_KEY_BYTES;
}

/* Room for n pages' tags (new room zeroed: a zero tag matches no seal). */
static int idx_reserve(page_index *ix, uint32_t n)
{
	uint32_t cap = ix->cap ? ix->cap : 256;
	uint8_t *p;

	if (n <= ix->cap)
		return SQLITE_OK;
	if (n > IDX_MAX_PAGES)
		return SQLITE_FULL;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(ix->tags, (size_t)cap * TAG)) == NULL)
		return SQLITE_IOERR_NOMEM;
	memset(p + (size_t)ix->cap * TAG, 0, (size_t)(cap - ix->cap) * TAG);
	ix->tags = p;
	ix->cap = cap;
	return SQLITE_OK;
}

/* A new index of n pages whose tags the caller fills in. */
static int idx_fresh(page_index *ix, uint32_t n, uint32_t flags)
{
	int rc;

	if ((rc = idx_reserve(ix, n)) != SQLITE_OK)
		return rc;
	ix->n = n;
	ix->flags = flags;
	memset(ix->wal_salt, 0, sizeof(ix->wal_salt));
	memset(ix->journal, 0, sizeof(ix->journal));
	randombytes_buf(&ix->id, sizeof(ix->id));
	ix->commits = 0;
	ix->loaded = 1;
	ix->dirty = 1;
	ix->unwritten = 0;
	return SQLITE_OK;
}

/*
 * Reads the index file: SQLITE_OK; SQLITE_NOTFOUND when there is none;
 * SQLITE_IOERR_AUTH (failure set) when it is malformed, lists more than max
 * pages or fails its MAC; or an I/O error.
 */
static int idx_read(page_index *ix, const uint8_t *key)
{
	uint8_t *buf = NULL, mac[IDX_MAC];
	struct stat sb;
	size_t len, got = 0;
	uint32_t n;
	int fd, rc = SQLITE_IOERR_AUTH;

	if ((fd = open(ix->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return SQLITE_NOTFOUND;
		if (errno != ELOOP)
			return SQLITE_IOERR_READ;
		idx_fail("%s is a symbolic link, not a page index", ix->path);
		return SQLITE_IOERR_AUTH;
	}
	if (fstat(fd, &sb) < 0) {
		rc = SQLITE_IOERR_READ;
		goto done;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < IDX_HDR + IDX_MAC ||
	    (sb.st_size - IDX_HDR - IDX_MAC) % TAG != 0 ||
	    (uint64_t)(sb.st_size - IDX_HDR - IDX_MAC) / TAG > IDX_MAX_PAGES) {
		idx_fail("%s is not a page index", ix->path);
		goto done;
	}
	len = (size_t)sb.st_size;
	n = (uint32_t)((len - IDX_HDR - IDX_MAC) / TAG);
	if ((buf = malloc(len)) == NULL) {
		rc = SQLITE_IOERR_NOMEM;
		goto done;
	}
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = SQLITE_IOERR_READ;
			goto done;
		}
		got += (size_t)r;
	}
	if (memcmp(buf, IDX_MAGIC, 8) != 0 || vios_load_le32(buf + 8) == 0) {
		idx_fail("%s is not a page index", ix->path);
		goto done;
	}
	if (vios_load_le32(buf + 8) != IDX_VERSION) {
		idx_fail("%s has page index version %u; this vios reads version %d", ix->path,
			 (unsigned)vios_load_le32(buf + 8), IDX_VERSION);
		goto done;
	}
	crypto_generichash(mac, IDX_MAC, buf, len - IDX_MAC, key, VIOS_VFS_KEY_BYTES);
	if (sodium_memcmp(mac, buf + len - IDX_MAC, IDX_MAC) != 0 ||
	    (vios_load_le32(buf + 12) & ~IDX_FLAGS) != 0 || vios_load_le32(buf + 16) != n ||
	    vios_load_le32(buf + 20) != 0) {
		idx_fail("%s fails authentication: changed outside vios", ix->path);
		goto done;
	}
	if ((rc = idx_reserve(ix, n)) != SQLITE_OK)
		goto done;
	if (n > 0)
		memcpy(ix->tags, buf + IDX_HDR, (size_t)n * TAG);
	ix->n = n;
	ix->flags = vios_load_le32(buf + 12);
	ix->id = vios_load_le64(buf + 24);
	ix->commits = vios_load_le64(buf + 32);
	memcpy(ix->wal_salt, buf + 40, 8);
	memcpy(ix->journal, buf + 48, 8);
	ix->loaded = 1;
	ix->dirty = 0;
	ix->unwritten = 0;
	rc = SQLITE_OK;
done:
	free(buf);
	close(fd);
	return rc;
}

/* Writes the index, when it changed, whole and atomically. */
static int idx_write(page_index *ix, const uint8_t *key)
{
	size_t len;
	uint8_t *buf;
	int error;

	if (!ix->loaded || !ix->dirty)
		return SQLITE_OK;
	VIOS_FAULT("vfs.index.write");
	len = IDX_HDR + (size_t)ix->n * TAG + IDX_MAC;
	if ((buf = calloc(1, len)) == NULL)
		return SQLITE_IOERR_NOMEM;
	memcpy(buf, IDX_MAGIC, 8);
	vios_store_le32(buf + 8, IDX_VERSION);
	vios_store_le32(buf + 12, ix->flags);
	vios_store_le32(buf + 16, ix->n);
	vios_store_le64(buf + 24, ix->id);
	vios_store_le64(buf + 32, ix->commits + 1);
	memcpy(buf + 40, ix->wal_salt, 8);
	memcpy(buf + 48, ix->journal, 8);
	if (ix->n > 0)
		memcpy(buf + IDX_HDR, ix->tags, (size_t)ix->n * TAG);
	crypto_generichash(buf + len - IDX_MAC, IDX_MAC, buf, len - IDX_MAC, key, VIOS_VFS_KEY_BYTES);
	error = vios_file_write_atomic(ix->path, buf, len, 0600, 1);
	free(buf);
	if (error < 0)
		return error == VIOS_ENOSPACE ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	ix->commits++;
	ix->dirty = 0;
	ix->unwritten = 0;
	return SQLITE_OK;
}

/* The first 8..32 bytes of path into buf: 1 when all n were there. */
static int read_head(const char *path, uint8_t *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t got = -1;

	if (fd >= 0) {
		got = pread(fd, buf, n, 0);
		close(fd);
	}
	return got == (ssize_t)n;
}

static const uint8_t journal_magic[8] = { 0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7 };

/* The test build's copy without an index: the WAL and journal beside it
 * are taken as they are (their headers recorded as the live ones). */
static void idx_adopt_sides(page_index *ix, const char *db)
{
	char side[PATH_MAX + 16];
	uint8_t h[WAL_HDR];

	if (vios_snprintf(side, sizeof(side), "%s-wal", db) >= 0 && read_head(side, h, WAL_HDR) &&
	    (get_be32(h) & 0xfffffffe) == 0x377f0682) {
		ix->flags |= IDX_WAL_LIVE;
		memcpy(ix->wal_salt, h + 16, 8);
	}
	if (vios_snprintf(side, sizeof(side), "%s-journal", db) >= 0 && read_head(side, h, JHDR_FIELDS) &&
	    memcmp(h, journal_magic, 8) == 0) {
		ix->flags |= IDX_JOURNAL_LIVE;
		memcpy(ix->journal, h + 12, 8);
	}
}

/*
 * Loads the index of f's store (a main db; ix->lock held): from its file,
 * or a new one for an empty database without one. Refused: a store whose
 * index is missing; a store sealed before the index existed (page 1 under
 * "viosmain"), which is rebuilt from the hub ('vios restore'); an empty
 * database whose index lists pages; a live WAL deleted. In the test build a
 * copy without its index gets one made from its pages, and an empty
 * database a new one whatever lies beside it.
 */
/* An index for an empty database: nothing to vouch for until a page is
 * written, so not dirty (never written over one another process makes, and
 * index_refresh() reads that one), but on disk before the first page is. */
static int idx_fresh_empty(page_index *ix)
{
	int rc;

	if ((rc = idx_fresh(ix, 0, 0)) == SQLITE_OK) {
		ix->dirty = 0;
		ix->unwritten = 1;
	}
	return rc;
}

static int idx_load(vfs_file *f)
{
	page_index *ix = &f->sk->ix;
	char side[PATH_MAX + 16];
	sqlite3_int64 size;
	struct stat sb;
	uint32_t pages;
	int rc;

	if ((rc = real_size(f, &size)) != SQLITE_OK)
		return rc;
	if (size / PAGE > IDX_MAX_PAGES)
		return SQLITE_FULL;
	pages = (uint32_t)(size / PAGE);
	if (size == 0 && VIOS_VFS_ADOPT_MISSING_INDEX) {
		/* the test build: an index left beside it is stale, the WAL or
		 * journal beside it taken as it is */
		if ((rc = idx_fresh_empty(ix)) == SQLITE_OK)
			idx_adopt_sides(ix, f->sk->name);
		return rc;
	}
	if ((rc = idx_read(ix, idx_key(f->sk))) == SQLITE_OK) {
		/* the WAL it says holds commits not yet in the database cannot
		 * have gone (SQLite deletes a WAL only after writing it back,
		 * and the index says so first) */
		if ((ix->flags & IDX_WAL_LIVE) && !VIOS_VFS_ADOPT_MISSING_INDEX &&
		    vios_snprintf(side, sizeof(side), "%s-wal", f->sk->name) >= 0 &&
		    lstat(side, &sb) < 0 && errno == ENOENT) {
			ix->loaded = 0;
			idx_fail("%s is missing: the page index says it holds commits not yet in the database", side);
			return SQLITE_IOERR_AUTH;
		}
		if (size == 0 && ix->n > 0) {
			ix->loaded = 0;
			idx_fail("the database is empty; its page index lists %u pages", (unsigned)ix->n);
			return SQLITE_IOERR_AUTH;
		}
		return SQLITE_OK;
	}
	if (rc == SQLITE_NOTFOUND && size == 0)
		return idx_fresh_empty(ix);
	if (rc != SQLITE_NOTFOUND)
		return rc;
	rc = load_unit(f, 0, f->plain);
	if (rc == SQLITE_IOERR_AUTH && load_unit_as(f, 0, f->plain, 1) == SQLITE_OK) {
		idx_fail("the store was sealed by a vios older than the page index (%s): rebuild it from the hub "
			 "with 'vios restore'", ix->path);
	} else if (rc == SQLITE_OK && !VIOS_VFS_ADOPT_MISSING_INDEX) {
		idx_fail("%s is missing, and page 1 says this store has one", ix->path);
		rc = SQLITE_IOERR_AUTH;
	}
	sodium_memzero(f->plain, sizeof(f->u->plain));
	if (rc != SQLITE_OK)
		return rc;
	if ((rc = idx_fresh(ix, pages, 0)) != SQLITE_OK)
		return rc;
	idx_adopt_sides(ix, f->sk->name);
	for (uint32_t p = 1; p <= pages; p++)
		if ((rc = real_read(f, ix->tags + (size_t)(p - 1) * TAG, TAG,
				    (sqlite3_int64)(p - 1) * PAGE + BODY + NONCE)) != SQLITE_OK) {
			ix->loaded = 0;
			return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_AUTH : rc;
		}
	return idx_write(ix, idx_key(f->sk));
}

static int idx_ready(vfs_file *f)
{
	return f->sk->ix.loaded ? SQLITE_OK : idx_load(f);
}

/*
 * At a lock taken from none, another process may have written the store
 * since the index was read: it is read again (at the next page read) when
 * its file is no longer the one read or last written here.
 */
static void index_refresh(vfs_file *f)
{
	page_index *ix = &f->sk->ix;
	uint8_t hdr[IDX_HDR];
	ssize_t got = -1;
	int fd;

	sqlite3_int64 size = -1;

	pthread_mutex_lock(&ix->lock);
	if (ix->loaded && ix->unwritten) {
		/* made for an empty database, not on disk yet: it stands while
		 * the database is still empty (another process may have begun
		 * it meanwhile) */
		if (real_size(f, &size) != SQLITE_OK || size != 0)
			ix->loaded = 0;
	} else if (ix->loaded && !ix->dirty) {
		if ((fd = open(ix->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >= 0) {
			got = pread(fd, hdr, sizeof(hdr), 0);
			close(fd);
		}
		if (got != IDX_HDR || vios_load_le64(hdr + 24) != ix->id ||
		    vios_load_le64(hdr + 32) != ix->commits)
			ix->loaded = 0;
	}
	pthread_mutex_unlock(&ix->lock);
}

/* Page pgno was sealed with tag and written. */
static int index_wrote(vfs_file *f, uint32_t pgno, const uint8_t *tag)
{
	page_index *ix = &f->sk->ix;
	uint8_t t[TAG];
	int rc;

	memcpy(t, tag, TAG); /* loading the index reuses f->disk */
	pthread_mutex_lock(&ix->lock);
	if ((rc = idx_ready(f)) == SQLITE_OK && (rc = idx_reserve(ix, pgno)) == SQLITE_OK) {
		memcpy(ix->tags + (size_t)(pgno - 1) * TAG, t, TAG);
		if (pgno > ix->n)
			ix->n = pgno;
		ix->dirty = 1;
	}
	pthread_mutex_unlock(&ix->lock);
	return rc;
}

/* The database was cut to pages pages. */
static void index_truncated(vfs_file *f, uint32_t pages)
{
	page_index *ix = &f->sk->ix;

	pthread_mutex_lock(&ix->lock);
	if (ix->loaded && pages < ix->n) {
		ix->n = pages;
		ix->dirty = 1;
	}
	pthread_mutex_unlock(&ix->lock);
}

/*
 * The live WAL generation (flag IDX_WAL_LIVE, bytes: its 8 salts) or
 * journal (IDX_JOURNAL_LIVE, bytes 12..19 of its first header: checksum
 * seed and original size) changes, bytes NULL for none: the index records
 * it and is written before the change reaches the file, so an older WAL or
 * a journal put beside the store is not taken for the live one (wal_read,
 * journal_read). Also writes what else changed.
 */
static int index_side(store_key *sk, uint32_t flag, const uint8_t *bytes)
{
	page_index *ix;
	uint8_t *dst;
	int rc;

	if (sk == NULL)
		return SQLITE_OK;
	ix = &sk->ix;
	dst = flag == IDX_WAL_LIVE ? ix->wal_salt : ix->journal;
	pthread_mutex_lock(&ix->lock);
	if (!ix->loaded && bytes) {
		/* a side file begun before the database was read (or since
		 * another process changed the index): its header must be
		 * recorded, else it would be taken for one put beside the
		 * store, so the index is read now */
		rc = sk->main ? idx_load(sk->main) : SQLITE_IOERR_WRITE;
		if (rc != SQLITE_OK) {
			pthread_mutex_unlock(&ix->lock);
			return rc;
		}
	}
	if (ix->loaded && bytes && (!(ix->flags & flag) || memcmp(dst, bytes, 8) != 0)) {
		ix->flags |= flag;
		memcpy(dst, bytes, 8);
		ix->dirty = 1;
	} else if (ix->loaded && !bytes && (ix->flags & flag)) {
		ix->flags &= ~flag;
		memset(dst, 0, 8);
		ix->dirty = 1;
	}
	rc = idx_write(ix, idx_key(sk));
	pthread_mutex_unlock(&ix->lock);
	return rc;
}

/*
 * 1 when the side file's header (bytes: the WAL's salts or the journal's
 * bytes 12..19) is not the live one the index records; 0 when it is, or
 * when the index is not loaded (the database's header read loads it first).
 */
static int index_foreign(store_key *sk, uint32_t flag, const uint8_t *bytes)
{
	page_index *ix = &sk->ix;
	int foreign = 0;

	pthread_mutex_lock(&ix->lock);
	if (ix->loaded)
		foreign = !(ix->flags & flag) ||
			  memcmp(flag == IDX_WAL_LIVE ? ix->wal_salt : ix->journal, bytes, 8) != 0;
	pthread_mutex_unlock(&ix->lock);
	return foreign;
}

/* 1 when the loaded index records a live WAL generation. */
static int index_wal_live(store_key *sk)
{
	int live;

	pthread_mutex_lock(&sk->ix.lock);
	live = sk->ix.loaded && (sk->ix.flags & IDX_WAL_LIVE);
	pthread_mutex_unlock(&sk->ix.lock);
	return live;
}

/* The pages the index lists are durable: it is written if it changed. */
static int index_commit(store_key *sk)
{
	int rc;

	if (sk == NULL)
		return SQLITE_OK;
	pthread_mutex_lock(&sk->ix.lock);
	rc = idx_write(&sk->ix, idx_key(sk));
	pthread_mutex_unlock(&sk->ix.lock);
	return rc;
}

/*
 * Reads page pgno into img as load_unit_as() does and checks it against the
 * index: SQLITE_IOERR_AUTH (failure set) for a page that is not the one this
 * store last wrote there, a page past the end the index gives, or the end of
 * the file before a page the index lists. A read without a lock (SQLite reads
 * page 1's header so when it opens a database) is only authenticated: the
 * file may be in the middle of another process's transaction, which a hot
 * journal undoes once SQLite holds the lock, and SQLite reads the page again
 * then.
 */
static int main_load(vfs_file *f, uint32_t pgno, uint8_t *img)
{
	page_index *ix = &f->sk->ix;
	uint8_t want[TAG];
	uint32_t n = 0;
	int rc, known = 0;

	pthread_mutex_lock(&ix->lock);
	if ((rc = idx_ready(f)) == SQLITE_OK) {
		n = ix->n;
		if ((known = pgno <= n))
			memcpy(want, ix->tags + (size_t)(pgno - 1) * TAG, TAG);
	}
	pthread_mutex_unlock(&ix->lock);
	if (rc != SQLITE_OK)
		return rc;
	rc = load_unit(f, (sqlite3_int64)(pgno - 1) * PAGE, img);
	if (rc == SQLITE_IOERR_AUTH)
		failure[0] = '\0'; /* not the index's refusal: no stale reason */
	if (f->lock_level == SQLITE_LOCK_NONE)
		return rc;
	if (rc == SQLITE_DONE && known) {
		idx_fail("the database ends before page %u, which its page index lists", (unsigned)pgno);
		return SQLITE_IOERR_AUTH;
	}
	if (rc != SQLITE_OK)
		return rc;
	if (!known || sodium_memcmp(want, f->disk + BODY + NONCE, TAG) != 0) {
		if (known)
			idx_fail("page %u is not the one this store last wrote there (an older copy put back?)",
				 (unsigned)pgno);
		else
			idx_fail("page %u lies past the %u pages the page index lists", (unsigned)pgno, (unsigned)n);
		sodium_memzero(img, PAGE);
		return SQLITE_IOERR_AUTH;
	}
	return SQLITE_OK;
}

/* Every page of the database against the index (vios_vfs_verify). */
static int main_verify(vfs_file *f)
{
	sqlite3_int64 size;
	uint32_t n;
	int rc;

	if ((rc = flush_pending(f)) != SQLITE_OK || (rc = real_size(f, &size)) != SQLITE_OK)
		return rc;
	pthread_mutex_lock(&f->sk->ix.lock);
	rc = idx_ready(f);
	n = f->sk->ix.n;
	pthread_mutex_unlock(&f->sk->ix.lock);
	if (rc != SQLITE_OK)
		return rc;
	if (size % PAGE != 0 || size / PAGE != n) {
		idx_fail("the database holds %lld bytes; its page index lists %u pages of %d",
			 (long long)size, (unsigned)n, PAGE);
		return SQLITE_IOERR_AUTH;
	}
	for (uint32_t p = 1; p <= n && rc == SQLITE_OK; p++)
		rc = main_load(f, p, f->plain);
	sodium_memzero(f->plain, sizeof(f->u->plain));
	return rc;
}

/* --- main database ---------------------------------------------------- */

/* plain is wiped after a read only when a page passed through it (a
 * whole aligned page is opened straight into SQLite's buffer). */
static int main_read(vfs_file *f, uint8_t *out, int n, sqlite3_int64 off)
{
	int rc, short_read = 0, used = 0;

	while (n > 0) {
		sqlite3_int64 start = off / PAGE * PAGE;
		int in = (int)(off - start), take = PAGE - in < n ? PAGE - in : n;
		uint8_t *img = (in == 0 && take == PAGE) ? out : f->plain;

		used |= img == f->plain;
		rc = main_load(f, (uint32_t)(start / PAGE) + 1, img);
		if (rc == SQLITE_DONE) {
			short_read = 1;
		} else if (rc != SQLITE_OK) {
			memset(out, 0, (size_t)n);
			if (used)
				sodium_memzero(f->plain, sizeof(f->u->plain));
			return rc;
		}
		if (img != out)
			memcpy(out, img + in, (size_t)take);
		out += take;
		off += take;
		n -= take;
	}
	if (used)
		sodium_memzero(f->plain, sizeof(f->u->plain));
	return short_read ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

/*
 * Extends the main db to end at `end` with sealed zero pages. A file that
 * ends in a cut page (torn or tampered) is left be: writes and truncations
 * within it go ahead (a hot journal's rollback rewrites whole pages), but
 * extending it past the cut page would seal over a unit that fails
 * authentication, so that is SQLITE_IOERR_AUTH, as reading it is. Pages the
 * file holds past the end the index lists (a checkpoint cut by a crash
 * before the index was written, which SQLite writes again in page order,
 * except the lock-byte page at 1 GiB it never writes) are made anew too,
 * so that every page up to `end` is one the index lists.
 */
static int main_fill(vfs_file *f, sqlite3_int64 end)
{
	sqlite3_int64 size, from;
	int rc;

	if ((rc = real_size(f, &size)) != SQLITE_OK)
		return rc;
	pthread_mutex_lock(&f->sk->ix.lock);
	if ((rc = idx_ready(f)) == SQLITE_OK)
		from = (sqlite3_int64)f->sk->ix.n * PAGE;
	pthread_mutex_unlock(&f->sk->ix.lock);
	if (rc != SQLITE_OK)
		return rc;
	if (from > size)
		from = size;
	if (from >= end)
		return SQLITE_OK;
	if (from == size && size % PAGE)
		return SQLITE_IOERR_AUTH;
	for (; from < end; from += PAGE)
		if ((rc = store_unit(f, from, zero_page)) != SQLITE_OK)
			return rc;
	return SQLITE_OK;
}

static int main_write(vfs_file *f, const uint8_t *buf, int n, sqlite3_int64 off)
{
	int rc;

	if (off % PAGE || n != PAGE)
		return SQLITE_IOERR_WRITE; /* SQLite writes one whole page at a time */
	if (off == 0 && !page1_ok(buf))
		return SQLITE_IOERR_WRITE;
	if ((rc = main_fill(f, off)) != SQLITE_OK)
		return rc;
	return store_unit(f, off, buf);
}

/* --- WAL -------------------------------------------------------------- */

static int wal_read(vfs_file *f, uint8_t *out, int n, sqlite3_int64 off)
{
	int rc, short_read = 0, used = 0;

	if (off < WAL_HDR) {
		int take = (int)(WAL_HDR - off) < n ? (int)(WAL_HDR - off) : n;

		rc = real_read(f, out, take, off);
		if (rc == SQLITE_IOERR_SHORT_READ)
			short_read = 1;
		else if (rc != SQLITE_OK)
			return rc;
		/* a WAL of another generation than the live one the index
		 * records (an older copy put back) reads as no WAL: SQLite
		 * finds no valid header and the log empty */
		if (rc == SQLITE_OK && off == 0 && take == WAL_HDR && index_foreign(f->sk, IDX_WAL_LIVE, out + 16)) {
			idx_fail("the WAL beside the store is not the one it wrote last (ignored)");
			memset(out, 0, (size_t)take);
		}
		out += take;
		off += take;
		n -= take;
	}
	while (n > 0) {
		sqlite3_int64 start = WAL_HDR + (off - WAL_HDR) / FRAME * FRAME;
		int in = (int)(off - start), take = FRAME - in < n ? FRAME - in : n;
		const uint8_t *img = held_frame(f, start);

		if (img) {
			memcpy(out, img + in, (size_t)take);
			out += take;
			off += take;
			n -= take;
			continue;
		}
		used = 1;
		rc = load_unit(f, start, f->plain);
		if (rc == SQLITE_DONE) {
			short_read = 1;
		} else if (rc == SQLITE_IOERR_AUTH && in == 0 && take == FRAME) {
			/* recovery reads whole frames: an invalid one ends the
			 * log (plain is zeroed, so its page number is 0) */
		} else if (rc != SQLITE_OK) {
			memset(out, 0, (size_t)n);
			sodium_memzero(f->plain, sizeof(f->u->plain));
			return rc;
		}
		memcpy(out, f->plain + in, (size_t)take);
		out += take;
		off += take;
		n -= take;
	}
	if (used) /* not when every frame read was held */
		sodium_memzero(f->plain, sizeof(f->u->plain));
	return short_read ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

/*
 * 1 when a frame header with salts new_salt, written over a sealed frame with
 * salts old_salt, starts a frame of a new WAL generation (its page follows at
 * once). A rewrite keeps the salts, or fills in the zero salts SQLite writes
 * while it means to recompute checksums at commit.
 */
static int new_generation(const uint8_t *old_salt, const uint8_t *new_salt)
{
	static const uint8_t zero[8];

	return memcmp(old_salt, zero, 8) != 0 && memcmp(new_salt, zero, 8) != 0 &&
	       memcmp(old_salt, new_salt, 8) != 0;
}

/*
 * The page of the frame at start, whose header waits in the held slot: the
 * frame is sealed from the slot and stays there, held (reserved bytes zeroed
 * as a read returns them). So a new frame is copied once, not into pend,
 * then into held, with pend and its mask wiped after each frame.
 */
static int held_complete(vfs_file *f, sqlite3_int64 start, const uint8_t *page)
{
	uint8_t *slot = f->pend_slot;
	int rc;

	memcpy(slot + FRAME_HDR, page, PAGE);
	f->pend_state = 0;
	f->pend_slot = NULL;
	rc = store_frame(f, start, slot, 1);
	memset(slot + FRAME_HDR + BODY, 0, RESERVE);
	if (rc == SQLITE_OK)
		f->held_n++;
	else
		held_stop(f);
	return rc;
}

/* One write's share of the frame at start: bytes [in, in+take) of it. */
static int wal_write_frame(vfs_file *f, sqlite3_int64 start, int in, const uint8_t *buf, int take)
{
	uint8_t *img;
	int rc;

	if (f->pend_slot != NULL) {
		if (f->pend_off == start && in == FRAME_HDR && take == PAGE)
			return held_complete(f, start, buf);
		pending_demote(f); /* anything else: as any partial frame */
	}
	if (f->pend_state && f->pend_off != start && (rc = flush_pending(f)) != SQLITE_OK)
		return rc;
	if (!f->pend_state && (img = held_frame(f, start)) != NULL) {
		/* a frame of this generation rewritten (a header by
		 * walRewriteChecksums, a page in place): from its held image */
		memcpy(f->plain, img, FRAME);
		memcpy(f->plain + in, buf, (size_t)take);
		if ((rc = store_frame(f, start, f->plain, in + take > FRAME_HDR)) == SQLITE_OK) {
			memcpy(img, f->plain, FRAME);
			memset(img + FRAME_HDR + BODY, 0, RESERVE);
		} else
			held_stop(f);
		sodium_memzero(f->plain, sizeof(f->u->plain));
		return rc;
	}
	if (!f->pend_state && held_next(f, start) && in == 0 && take == FRAME_HDR) {
		/* the next frame's header: whatever lies there on disk is of
		 * an older generation, so it is not read; it waits for its
		 * page in the held slot when there is one */
		f->pend_state = 1;
		f->pend_off = start;
		if (held_room(f)) {
			f->pend_slot = held_slot(f);
			if (f->held_n + 1 > f->held_used)
				f->held_used = f->held_n + 1;
			memcpy(f->pend_slot, buf, FRAME_HDR);
			return SQLITE_OK;
		}
	} else if (!f->pend_state) {
		if (in == 0 && take == FRAME) {
			rc = store_frame(f, start, buf, 1);
			if (rc == SQLITE_OK && held_next(f, start))
				held_append(f, buf);
			else if (rc != SQLITE_OK || f->held_open)
				held_stop(f);
			return rc;
		}
		if (f->held_open && (start - WAL_HDR) / FRAME >= f->held_n)
			held_stop(f); /* a part of the next frame, or past it: not in SQLite's order */
		rc = load_unit(f, start, f->plain);
		if (rc == SQLITE_OK && (in != 0 || take != FRAME_HDR ||
					!new_generation(f->plain + 8, buf + 8))) {
			/* a page overwritten in place, or a header rewritten
			 * (walRewriteChecksums): read-modify-write now, so
			 * nothing is held back once SQLite's call returns */
			memcpy(f->plain + in, buf, (size_t)take);
			rc = store_frame(f, start, f->plain, in + take > FRAME_HDR);
			sodium_memzero(f->plain, sizeof(f->u->plain));
			return rc;
		}
		sodium_memzero(f->plain, sizeof(f->u->plain));
		if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_IOERR_AUTH)
			return rc;
		if (in != 0 || take != FRAME_HDR)
			return SQLITE_IOERR_WRITE; /* nothing on disk to complete it */
		/* a new frame's header: its page comes with the next write */
		f->pend_state = 1;
		f->pend_off = start;
	}
	memcpy(f->pend + in, buf, (size_t)take);
	memset(f->pend_mask + in, 1, (size_t)take);
	if (memchr(f->pend_mask, 0, FRAME) != NULL)
		return SQLITE_OK;
	rc = store_frame(f, start, f->pend, 1);
	if (rc == SQLITE_OK && held_next(f, start))
		held_append(f, f->pend);
	else if (rc != SQLITE_OK || f->held_open)
		held_stop(f);
	pending_clear(f);
	return rc;
}

static int wal_write(vfs_file *f, const uint8_t *buf, int n, sqlite3_int64 off)
{
	int rc;

	if (off < WAL_HDR) {
		/* the WAL header: whole, and for our page size */
		if (off != 0 || n < WAL_HDR || get_be32(buf + 8) != PAGE)
			return SQLITE_IOERR_WRITE;
		/* a new WAL generation forgets the frames: the index, which
		 * records the new salts as the live generation's, first */
		held_stop(f);
		if ((rc = flush_pending(f)) != SQLITE_OK ||
		    (rc = index_side(f->sk, IDX_WAL_LIVE, buf + 16)) != SQLITE_OK ||
		    (rc = real_write(f, buf, WAL_HDR, 0)) != SQLITE_OK)
			return rc;
		f->held_on = f->held_open = 1; /* its frames start now, at frame 0 */
		buf += WAL_HDR;
		off += WAL_HDR;
		n -= WAL_HDR;
	}
	while (n > 0) {
		sqlite3_int64 start = WAL_HDR + (off - WAL_HDR) / FRAME * FRAME;
		int in = (int)(off - start), take = FRAME - in < n ? FRAME - in : n;

		if ((rc = wal_write_frame(f, start, in, buf, take)) != SQLITE_OK)
			return rc;
		buf += take;
		off += take;
		n -= take;
	}
	return SQLITE_OK;
}

/* --- rollback journal ------------------------------------------------- */

/* Loads the record at off into the read cache. As load_unit(). */
static int journal_load(vfs_file *f, sqlite3_int64 off)
{
	int rc;

	if (f->cache_off == off)
		return SQLITE_OK;
	f->cache_off = -1;
	if (off < 0)
		return SQLITE_IOERR_AUTH;
	if ((rc = load_unit(f, off, f->plain)) == SQLITE_OK)
		f->cache_off = off;
	return rc;
}

/*
 * 1 when the journal's first header is not the one the index records as
 * live: a journal put beside the store (or an older one) is then shown to
 * SQLite as no journal at all (zeros), so it is never played back - its
 * original size would truncate the database or fill the disk with sealed
 * zero pages, its records put back older pages.
 */
static int journal_foreign(vfs_file *f)
{
	uint8_t h[JHDR_FIELDS];
	int rc = real_read(f, h, JHDR_FIELDS, 0);

	if (rc != SQLITE_OK || memcmp(h, journal_magic, 8) != 0)
		return 0; /* no header SQLite would take either */
	if (!index_foreign(f->sk, IDX_JOURNAL_LIVE, h + 12))
		return 0;
	idx_fail("the rollback journal beside the store is not the one it began (ignored)");
	return 1;
}

static int journal_read(vfs_file *f, uint8_t *out, int n, sqlite3_int64 off)
{
	int rc;

	if (off < JHDR_FIELDS && journal_foreign(f)) {
		memset(out, 0, (size_t)n);
		return SQLITE_OK;
	}
	if (n == 4) {
		/* a record's page number, a record's checksum, or a header field */
		if (f->cache_off >= 0 && f->cache_off == off - 4 - PAGE) {
			memcpy(out, f->plain + 4 + PAGE, 4);
			return SQLITE_OK;
		}
		if ((rc = journal_load(f, off)) == SQLITE_OK) {
			memcpy(out, f->plain, 4);
			return SQLITE_OK;
		}
		if (rc != SQLITE_DONE && rc != SQLITE_IOERR_AUTH)
			return rc;
		if ((rc = journal_load(f, off - 4 - PAGE)) == SQLITE_OK) {
			memcpy(out, f->plain + 4 + PAGE, 4);
			return SQLITE_OK;
		}
		if (rc != SQLITE_DONE && rc != SQLITE_IOERR_AUTH)
			return rc;
		return real_read(f, out, n, off);
	}
	if (n == PAGE && off >= 4) {
		rc = journal_load(f, off - 4);
		if (rc == SQLITE_OK) {
			memcpy(out, f->plain + 4, PAGE);
			return SQLITE_OK;
		}
		memset(out, 0, PAGE);
		return rc == SQLITE_DONE ? SQLITE_IOERR_SHORT_READ : rc;
	}
	return real_read(f, out, n, off);
}

/* 1 when a write that is not a record has the shape of journal header data:
 * at most 28 meaningful bytes (with our page size, if it says one), zeros
 * after them. */
static int journal_plain_ok(const uint8_t *buf, int n)
{
	if (n <= JHDR_FIELDS)
		return 1;
	if (get_be32(buf + 24) != 0 && get_be32(buf + 24) != PAGE)
		return 0;
	for (int i = JHDR_FIELDS; i < n; i++)
		if (buf[i])
			return 0;
	return 1;
}

static int journal_write(vfs_file *f, const uint8_t *buf, int n, sqlite3_int64 off)
{
	int rc;

	f->cache_off = -1;
	if (n == 4 && f->pend_state == 2 && off == f->pend_off + 4 + PAGE) {
		memcpy(f->pend + 4 + PAGE, buf, 4);
		rc = store_unit(f, f->pend_off, f->pend);
		pending_clear(f);
		return rc;
	}
	if (n == PAGE && f->pend_state == 1 && off == f->pend_off + 4) {
		memcpy(f->pend + 4, buf, PAGE);
		f->pend_state = 2;
		return SQLITE_OK;
	}
	if ((rc = flush_pending(f)) != SQLITE_OK)
		return rc;
	if (n == 4) {
		memcpy(f->pend, buf, 4);
		f->pend_off = off;
		f->pend_state = 1;
		return SQLITE_OK;
	}
	if (!journal_plain_ok(buf, n))
		return SQLITE_IOERR_WRITE;
	/* the first header, new or zeroed: the index records the journal as
	 * live (its checksum seed and original size, bytes 12..19; SQLite
	 * writes the magic later, with the record count) or gone (the header
	 * zeroed, journal_mode=PERSIST), and is written first */
	if (off == 0) {
		static const uint8_t zero[20];

		if (n >= 20 && memcmp(buf, zero, 20) == 0)
			rc = index_side(f->sk, IDX_JOURNAL_LIVE, NULL);
		else if (n >= 20)
			rc = index_side(f->sk, IDX_JOURNAL_LIVE, buf + 12);
		else
			rc = index_commit(f->sk);
		if (rc != SQLITE_OK)
			return rc;
	}
	return real_write(f, buf, n, off);
}

/* --- io methods for sealed files -------------------------------------- */

static void key_release(store_key *sk);

static int enc_close(sqlite3_file *pFile)
{
	vfs_file *f = (vfs_file *)pFile;
	int rc = flush_pending(f), rc2;

	if (rc == SQLITE_OK && f->kind == KIND_MAIN)
		rc = index_commit(f->sk);
	if (f->kind == KIND_MAIN) {
		pthread_mutex_lock(&f->sk->ix.lock);
		if (f->sk->main == f)
			f->sk->main = NULL;
		pthread_mutex_unlock(&f->sk->ix.lock);
	}
	rc2 = f->real->pMethods->xClose(f->real);
	key_release(f->sk);
	f->sk = NULL;
	sodium_memzero(f->u, sizeof(*f->u));
	free(f->u);
	f->u = NULL;
	held_wipe(f);
	held_stop(f);
	free(f->held);
	f->held = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int enc_read(sqlite3_file *pFile, void *buf, int n, sqlite3_int64 off)
{
	vfs_file *f = (vfs_file *)pFile;
	int rc;

	if (off < 0 || n < 0)
		return SQLITE_IOERR_READ;
	if ((rc = flush_pending(f)) != SQLITE_OK)
		return rc;
	switch (f->kind) {
	case KIND_MAIN:
		return main_read(f, buf, n, off);
	case KIND_WAL:
		return wal_read(f, buf, n, off);
	default:
		return journal_read(f, buf, n, off);
	}
}

static int enc_write(sqlite3_file *pFile, const void *buf, int n, sqlite3_int64 off)
{
	vfs_file *f = (vfs_file *)pFile;

	if (off < 0 || n < 0)
		return SQLITE_IOERR_WRITE;
	switch (f->kind) {
	case KIND_MAIN:
		return main_write(f, buf, n, off);
	case KIND_WAL:
		return wal_write(f, buf, n, off);
	default:
		return journal_write(f, buf, n, off);
	}
}

static int enc_truncate(sqlite3_file *pFile, sqlite3_int64 size)
{
	vfs_file *f = (vfs_file *)pFile;
	sqlite3_int64 cur;
	int rc;

	if ((rc = flush_pending(f)) != SQLITE_OK)
		return rc;
	f->cache_off = -1;
	if (f->kind == KIND_MAIN) {
		if (size < 0 || size % PAGE)
			return SQLITE_IOERR_TRUNCATE;
		if ((rc = real_size(f, &cur)) != SQLITE_OK)
			return rc;
		if (size > cur)
			return main_fill(f, size);
		if ((rc = f->real->pMethods->xTruncate(f->real, size)) == SQLITE_OK)
			index_truncated(f, (uint32_t)(size / PAGE));
		return rc;
	}
	/* the WAL or journal forgets its pages: the index first (cut to
	 * less than a header, it is live no more) */
	if (size < (f->kind == KIND_WAL ? WAL_HDR : JHDR_FIELDS))
		rc = index_side(f->sk, f->kind == KIND_WAL ? IDX_WAL_LIVE : IDX_JOURNAL_LIVE, NULL);
	else
		rc = index_commit(f->sk);
	if (rc != SQLITE_OK)
		return rc;
	if (f->kind == KIND_WAL)
		held_truncate(f, size);
	return f->real->pMethods->xTruncate(f->real, size);
}

static int enc_sync(sqlite3_file *pFile, int flags)
{
	vfs_file *f = (vfs_file *)pFile;
	int rc;

	if ((rc = flush_pending(f)) != SQLITE_OK ||
	    (rc = f->real->pMethods->xSync(f->real, flags)) != SQLITE_OK)
		return rc;
	/* the database's pages are durable: so may the index be. While a
	 * WAL generation is live, every page a checkpoint wrote since the
	 * last index is a frame of it, which recovery after a crash plays
	 * again before the database is read; the index is written before
	 * that WAL can go (new header, truncation, deletion, unlock, close),
	 * so it waits for that: one index write per checkpoint, not two */
	if (f->kind != KIND_MAIN || index_wal_live(f->sk))
		return SQLITE_OK;
	return index_commit(f->sk);
}

static int enc_file_size(sqlite3_file *pFile, sqlite3_int64 *pSize)
{
	vfs_file *f = (vfs_file *)pFile;
	int rc;

	if ((rc = flush_pending(f)) != SQLITE_OK)
		return rc;
	return real_size(f, pSize);
}

static int enc_lock(sqlite3_file *pFile, int eLock)
{
	vfs_file *f = (vfs_file *)pFile;
	int rc = f->real->pMethods->xLock(f->real, eLock);

	if (rc == SQLITE_OK && f->kind == KIND_MAIN) {
		if (f->lock_level == SQLITE_LOCK_NONE)
			index_refresh(f);
		if (eLock > f->lock_level)
			f->lock_level = eLock;
	}
	return rc;
}

static int enc_unlock(sqlite3_file *pFile, int eLock)
{
	vfs_file *f = (vfs_file *)pFile;
	int rc, rc2;

	if ((rc = flush_pending(f)) != SQLITE_OK)
		return rc;
	/* whatever another process writes next, it reads the index first;
	 * the lock goes even when that fails (the index stays dirty, and is
	 * written at the next occasion) */
	if (f->kind == KIND_MAIN && eLock == SQLITE_LOCK_NONE)
		rc = index_commit(f->sk);
	rc2 = f->real->pMethods->xUnlock(f->real, eLock);
	if (rc2 == SQLITE_OK && f->kind == KIND_MAIN)
		f->lock_level = eLock;
	return rc != SQLITE_OK ? rc : rc2;
}

static int enc_check_reserved_lock(sqlite3_file *pFile, int *pResOut)
{
	vfs_file *f = (vfs_file *)pFile;

	return f->real->pMethods->xCheckReservedLock(f->real, pResOut);
}

static int enc_file_control(sqlite3_file *pFile, int op, void *pArg)
{
	vfs_file *f = (vfs_file *)pFile;
	int rc;

	if ((rc = flush_pending(f)) != SQLITE_OK)
		return rc;
	switch (op) {
	case SQLITE_FCNTL_SIZE_HINT:
	case SQLITE_FCNTL_CHUNK_SIZE:
		return SQLITE_OK; /* no preallocated holes */
	case SQLITE_FCNTL_MMAP_SIZE:
		*(sqlite3_int64 *)pArg = 0; /* no memory-mapped I/O */
		return SQLITE_OK;
	case VIOS_VFS_FCNTL_VERIFY:
		return f->kind == KIND_MAIN ? main_verify(f) : SQLITE_NOTFOUND;
	case SQLITE_FCNTL_VFSNAME:
		rc = f->real->pMethods->xFileControl(f->real, op, pArg);
		if (rc == SQLITE_OK)
			*(char **)pArg = sqlite3_mprintf(VIOS_VFS_NAME "/%z", *(char **)pArg);
		return rc;
	default:
		return f->real->pMethods->xFileControl(f->real, op, pArg);
	}
}

static int enc_sector_size(sqlite3_file *pFile)
{
	vfs_file *f = (vfs_file *)pFile;

	return f->real->pMethods->xSectorSize(f->real);
}

static int enc_device_characteristics(sqlite3_file *pFile)
{
	vfs_file *f = (vfs_file *)pFile;

	return f->real->pMethods->xDeviceCharacteristics(f->real) & ~IOCAP_DROP;
}

static const sqlite3_io_methods enc_methods = {
	1, /* no xShm*, no xFetch: see the file comment */
	enc_close, enc_read, enc_write, enc_truncate, enc_sync, enc_file_size,
	enc_lock, enc_unlock, enc_check_reserved_lock, enc_file_control,
	enc_sector_size, enc_device_characteristics,
	NULL, NULL, NULL, NULL, NULL, NULL
};

/* --- memory files ----------------------------------------------------- */

static int mem_close(sqlite3_file *pFile)
{
	vfs_file *f = (vfs_file *)pFile;

	if (f->mem) {
		sodium_memzero(f->mem, (size_t)f->mem_cap);
		free(f->mem);
	}
	f->mem = NULL;
	f->mem_size = f->mem_cap = 0;
	return SQLITE_OK;
}

static int mem_read(sqlite3_file *pFile, void *buf, int n, sqlite3_int64 off)
{
	vfs_file *f = (vfs_file *)pFile;
	sqlite3_int64 have = off < f->mem_size ? f->mem_size - off : 0;

	if (off < 0 || n < 0)
		return SQLITE_IOERR_READ;
	if (have >= n) {
		memcpy(buf, f->mem + off, (size_t)n);
		return SQLITE_OK;
	}
	if (have > 0)
		memcpy(buf, f->mem + off, (size_t)have);
	memset((uint8_t *)buf + have, 0, (size_t)(n - have));
	return SQLITE_IOERR_SHORT_READ;
}

/* Grows the buffer to hold need bytes; the old one is wiped, not realloc'd. */
static int mem_grow(vfs_file *f, sqlite3_int64 need)
{
	sqlite3_int64 cap = f->mem_cap ? f->mem_cap : 65536;
	uint8_t *p;

	if (need <= f->mem_cap)
		return SQLITE_OK;
	if (need > MEM_MAX)
		return SQLITE_FULL;
	while (cap < need)
		cap *= 2;
	if ((p = malloc((size_t)cap)) == NULL)
		return SQLITE_IOERR_NOMEM;
	if (f->mem) {
		memcpy(p, f->mem, (size_t)f->mem_size);
		sodium_memzero(f->mem, (size_t)f->mem_cap);
		free(f->mem);
	}
	memset(p + f->mem_size, 0, (size_t)(cap - f->mem_size));
	f->mem = p;
	f->mem_cap = cap;
	return SQLITE_OK;
}

static int mem_write(sqlite3_file *pFile, const void *buf, int n, sqlite3_int64 off)
{
	vfs_file *f = (vfs_file *)pFile;
	int rc;

	if (off < 0 || n < 0)
		return SQLITE_IOERR_WRITE;
	if (off > MEM_MAX)
		return SQLITE_FULL;
	if ((rc = mem_grow(f, off + n)) != SQLITE_OK)
		return rc;
	memcpy(f->mem + off, buf, (size_t)n);
	if (off + n > f->mem_size)
		f->mem_size = off + n;
	return SQLITE_OK;
}

static int mem_truncate(sqlite3_file *pFile, sqlite3_int64 size)
{
	vfs_file *f = (vfs_file *)pFile;

	if (size < 0)
		return SQLITE_IOERR_TRUNCATE;
	if (size < f->mem_size) {
		sodium_memzero(f->mem + size, (size_t)(f->mem_size - size));
		f->mem_size = size;
	}
	return SQLITE_OK;
}

static int mem_sync(sqlite3_file *pFile, int flags)
{
	(void)pFile;
	(void)flags;
	return SQLITE_OK;
}

static int mem_file_size(sqlite3_file *pFile, sqlite3_int64 *pSize)
{
	*pSize = ((vfs_file *)pFile)->mem_size;
	return SQLITE_OK;
}

static int mem_lock(sqlite3_file *pFile, int eLock)
{
	(void)pFile;
	(void)eLock;
	return SQLITE_OK;
}

static int mem_check_reserved_lock(sqlite3_file *pFile, int *pResOut)
{
	(void)pFile;
	*pResOut = 0;
	return SQLITE_OK;
}

static int mem_file_control(sqlite3_file *pFile, int op, void *pArg)
{
	(void)pFile;
	(void)op;
	(void)pArg;
	return SQLITE_NOTFOUND;
}

static int mem_sector_size(sqlite3_file *pFile)
{
	(void)pFile;
	return 512;
}

static int mem_device_characteristics(sqlite3_file *pFile)
{
	(void)pFile;
	return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static const sqlite3_io_methods mem_methods = {
	1,
	mem_close, mem_read, mem_write, mem_truncate, mem_sync, mem_file_size,
	mem_lock, mem_lock, mem_check_reserved_lock, mem_file_control,
	mem_sector_size, mem_device_characteristics,
	NULL, NULL, NULL, NULL, NULL, NULL
};

/* --- the VFS ---------------------------------------------------------- */

static store_key *key_find_locked(const char *name)
{
	store_key *sk;

	for (sk = registry; sk; sk = sk->next)
		if (strcmp(sk->name, name) == 0)
			return sk;
	return NULL;
}

/* A new entry for zName (registry_lock held), first in the registry so
 * that lookups by name find it before an older one of the same name. */
static store_key *key_new_locked(const char *zName, const uint8_t *key)
{
	static const char label[] = "vios page index key";
	store_key *sk;

	if ((sk = calloc(1, sizeof(*sk))) == NULL ||
	    (sk->name = strdup(zName)) == NULL ||
	    (sk->ix.path = sqlite3_mprintf("%s" IDX_SUFFIX, zName)) == NULL ||
	    (sk->key = sodium_malloc(2 * VIOS_VFS_KEY_BYTES)) == NULL) {
		if (sk) {
			free(sk->name);
			sqlite3_free(sk->ix.path);
		}
		free(sk);
		return NULL;
	}
	memcpy(sk->key, key, VIOS_VFS_KEY_BYTES);
	crypto_generichash(sk->key + VIOS_VFS_KEY_BYTES, VIOS_VFS_KEY_BYTES,
			   (const uint8_t *)label, sizeof(label) - 1, key, VIOS_VFS_KEY_BYTES);
	sodium_mprotect_readonly(sk->key);
	pthread_mutex_init(&sk->ix.lock, NULL);
	sk->nref = 1;
	sk->next = registry;
	registry = sk;
	return sk;
}

/*
 * The main db zName was opened with *skp: ties the entry to the file's
 * identity. When the name now names another file than the one the entry's
 * other users opened (the database was renamed or deleted and a new one
 * made under its name), the new file gets an entry, and an index, of its
 * own instead of the other file's.
 */
static int key_bind_file(store_key **skp, const char *zName)
{
	store_key *sk = *skp, *nk;
	struct stat st;
	int rc = SQLITE_OK;

	if (stat(zName, &st) < 0)
		return SQLITE_OK;
	pthread_mutex_lock(&registry_lock);
	if (!sk->have_id) {
		sk->have_id = 1;
		sk->dev = st.st_dev;
		sk->ino = st.st_ino;
	} else if (sk->dev != st.st_dev || sk->ino != st.st_ino) {
		if ((nk = key_new_locked(zName, sk->key)) == NULL) {
			rc = SQLITE_NOMEM;
		} else {
			nk->have_id = 1;
			nk->dev = st.st_dev;
			nk->ino = st.st_ino;
			sk->nref--; /* others still hold it */
			*skp = nk;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

/* The main db's entry: joins or creates it with the thread's pending key. */
static int key_acquire_main(store_key **out, const char *zName)
{
	const uint8_t *key = pending_key;
	store_key *sk;
	int rc = SQLITE_OK;

	if (key == NULL)
		return SQLITE_CANTOPEN; /* no key, no plain-text database */
	pending_key = NULL;
	pthread_mutex_lock(&registry_lock);
	if ((sk = key_find_locked(zName)) != NULL) {
		if (sodium_memcmp(sk->key, key, VIOS_VFS_KEY_BYTES) == 0)
			sk->nref++;
		else
			rc = SQLITE_CANTOPEN;
	} else if ((sk = key_new_locked(zName, key)) == NULL) {
		rc = SQLITE_NOMEM;
	}
	pthread_mutex_unlock(&registry_lock);
	*out = rc == SQLITE_OK ? sk : NULL;
	return rc;
}

/* A journal's or WAL's entry: that of its main db, which must be open. */
static int key_acquire_side(store_key **out, const char *zName, const char *suffix)
{
	const char *db = sqlite3_filename_database(zName);
	size_t len = db ? strlen(db) : 0;
	store_key *sk = NULL;

	if (db == NULL || strncmp(zName, db, len) != 0 || strcmp(zName + len, suffix) != 0)
		return SQLITE_CANTOPEN;
	pthread_mutex_lock(&registry_lock);
	if ((sk = key_find_locked(db)) != NULL)
		sk->nref++;
	pthread_mutex_unlock(&registry_lock);
	*out = sk;
	return sk ? SQLITE_OK : SQLITE_CANTOPEN;
}

static void key_release(store_key *sk)
{
	int last;

	if (sk == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	if ((last = --sk->nref == 0)) {
		store_key **pp = &registry;

		while (*pp != sk)
			pp = &(*pp)->next;
		*pp = sk->next;
	}
	pthread_mutex_unlock(&registry_lock);
	if (last) {
		sodium_free(sk->key);
		pthread_mutex_destroy(&sk->ix.lock);
		sqlite3_free(sk->ix.path);
		free(sk->ix.tags);
		free(sk->name);
		free(sk);
	}
}

static int vfs_open(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *pFile,
		    int flags, int *pOutFlags)
{
	sqlite3_vfs *base = pVfs->pAppData;
	vfs_file *f = (vfs_file *)pFile;
	int rc;

	memset(f, 0, sizeof(*f));
	f->cache_off = -1;
	if (zName == NULL || (flags & MEMORY_FLAGS)) {
		f->kind = KIND_MEM;
		f->base.pMethods = &mem_methods;
		if (pOutFlags)
			*pOutFlags = flags;
		return SQLITE_OK;
	}
	if (flags & SQLITE_OPEN_MAIN_DB) {
		f->kind = KIND_MAIN;
		rc = key_acquire_main(&f->sk, zName);
	} else if (flags & SQLITE_OPEN_MAIN_JOURNAL) {
		f->kind = KIND_JOURNAL;
		rc = key_acquire_side(&f->sk, zName, "-journal");
	} else if (flags & SQLITE_OPEN_WAL) {
		f->kind = KIND_WAL;
		rc = key_acquire_side(&f->sk, zName, "-wal");
	} else {
		rc = SQLITE_CANTOPEN; /* super-journals, and anything unknown */
	}
	if (rc != SQLITE_OK)
		return rc;
	if ((f->u = calloc(1, sizeof(*f->u))) == NULL) {
		key_release(f->sk);
		f->sk = NULL;
		return SQLITE_NOMEM;
	}
	f->pend = f->u->pend;
	f->pend_mask = f->u->pend_mask;
	f->disk = f->u->disk;
	f->plain = f->u->plain;
	f->scratch = f->u->scratch;
	f->real = (sqlite3_file *)((char *)f + REAL_OFFSET);
	rc = base->xOpen(base, zName, f->real, flags, pOutFlags);
	if (rc == SQLITE_OK && f->kind == KIND_MAIN && (rc = key_bind_file(&f->sk, zName)) != SQLITE_OK)
		f->real->pMethods->xClose(f->real);
	else if (rc != SQLITE_OK && f->real->pMethods)
		f->real->pMethods->xClose(f->real);
	if (rc != SQLITE_OK) {
		free(f->u);
		f->u = NULL;
		key_release(f->sk);
		f->sk = NULL;
		return rc;
	}
	f->base.pMethods = &enc_methods;
	if (f->kind == KIND_MAIN) {
		pthread_mutex_lock(&f->sk->ix.lock);
		f->sk->main = f;
		pthread_mutex_unlock(&f->sk->ix.lock);
	}
	return SQLITE_OK;
}

#define BASE(v) ((sqlite3_vfs *)(v)->pAppData)

/* Deleting a store's journal or WAL forgets its pages: the index first. */
static int vfs_delete(sqlite3_vfs *v, const char *z, int sync)
{
	static const char *const sides[] = { "-journal", "-wal" };
	size_t len = strlen(z);
	store_key *sk = NULL;
	int rc;

	uint32_t flag = 0;

	for (size_t i = 0; i < 2 && sk == NULL; i++) {
		size_t sl = strlen(sides[i]);
		char *db;

		if (len <= sl || strcmp(z + len - sl, sides[i]) != 0)
			continue;
		if ((db = strndup(z, len - sl)) == NULL)
			return SQLITE_IOERR_NOMEM;
		pthread_mutex_lock(&registry_lock);
		if ((sk = key_find_locked(db)) != NULL)
			sk->nref++;
		pthread_mutex_unlock(&registry_lock);
		free(db);
		flag = i == 0 ? IDX_JOURNAL_LIVE : IDX_WAL_LIVE;
	}
	rc = index_side(sk, flag, NULL);
	key_release(sk);
	if (rc != SQLITE_OK)
		return rc;
	return BASE(v)->xDelete(BASE(v), z, sync);
}

static int vfs_access(sqlite3_vfs *v, const char *z, int flags, int *out)
{
	return BASE(v)->xAccess(BASE(v), z, flags, out);
}

static int vfs_full_pathname(sqlite3_vfs *v, const char *z, int n, char *out)
{
	return BASE(v)->xFullPathname(BASE(v), z, n, out);
}

static void *vfs_dl_open(sqlite3_vfs *v, const char *z)
{
	return BASE(v)->xDlOpen(BASE(v), z);
}

static void vfs_dl_error(sqlite3_vfs *v, int n, char *out)
{
	BASE(v)->xDlError(BASE(v), n, out);
}

static void (*vfs_dl_sym(sqlite3_vfs *v, void *h, const char *z))(void)
{
	return BASE(v)->xDlSym(BASE(v), h, z);
}

static void vfs_dl_close(sqlite3_vfs *v, void *h)
{
	BASE(v)->xDlClose(BASE(v), h);
}

static int vfs_randomness(sqlite3_vfs *v, int n, char *out)
{
	return BASE(v)->xRandomness(BASE(v), n, out);
}

static int vfs_sleep(sqlite3_vfs *v, int us)
{
	return BASE(v)->xSleep(BASE(v), us);
}

static int vfs_current_time(sqlite3_vfs *v, double *out)
{
	return BASE(v)->xCurrentTime(BASE(v), out);
}

static int vfs_get_last_error(sqlite3_vfs *v, int n, char *out)
{
	return BASE(v)->xGetLastError ? BASE(v)->xGetLastError(BASE(v), n, out) : 0;
}

static int vfs_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	double d;
	int rc;

	if (BASE(v)->iVersion >= 2 && BASE(v)->xCurrentTimeInt64)
		return BASE(v)->xCurrentTimeInt64(BASE(v), out);
	rc = BASE(v)->xCurrentTime(BASE(v), &d);
	*out = (sqlite3_int64)(d * 86400000.0);
	return rc;
}

static void register_vfs(void)
{
	sqlite3_vfs *base;

	/* No count of SQLite's memory: vios never reads it, and keeping it
	 * takes a global lock around every allocation SQLite makes. Only
	 * possible before SQLite is initialised (the CLI registers first
	 * thing); later it fails harmlessly and the count stays on. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sodium_init() < 0) {
		register_failure = "libsodium failed to initialise";
		return;
	}
	if (pthread_atfork(NULL, NULL, nonce_after_fork) != 0) {
		register_failure = "pthread_atfork failed";
		return;
	}
	base = sqlite3_vfs_find(NULL);
	if (base == NULL || strcmp(base->zName, VIOS_VFS_NAME) == 0)
		base = sqlite3_vfs_find("unix");
	if (base == NULL) {
		register_failure = "SQLite has no default VFS";
		return;
	}
	vios_vfs.iVersion = 2;
	vios_vfs.szOsFile = (int)(REAL_OFFSET + (size_t)base->szOsFile);
	vios_vfs.mxPathname = base->mxPathname;
	vios_vfs.zName = VIOS_VFS_NAME;
	vios_vfs.pAppData = base;
	vios_vfs.xOpen = vfs_open;
	vios_vfs.xDelete = vfs_delete;
	vios_vfs.xAccess = vfs_access;
	vios_vfs.xFullPathname = vfs_full_pathname;
	vios_vfs.xDlOpen = vfs_dl_open;
	vios_vfs.xDlError = vfs_dl_error;
	vios_vfs.xDlSym = vfs_dl_sym;
	vios_vfs.xDlClose = vfs_dl_close;
	vios_vfs.xRandomness = vfs_randomness;
	vios_vfs.xSleep = vfs_sleep;
	vios_vfs.xCurrentTime = vfs_current_time;
	vios_vfs.xGetLastError = vfs_get_last_error;
	vios_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
	if (sqlite3_vfs_register(&vios_vfs, 0) != SQLITE_OK)
		register_failure = "sqlite3_vfs_register failed";
}

int vios_vfs_register(void)
{
	if (pthread_once(&register_once, register_vfs) != 0)
		register_failure = "pthread_once failed";
	if (register_failure) {
		vios_error_set(VIOS_ERR_STORE, "store: cannot register the encrypting VFS: %s", register_failure);
		return VIOS_ERROR;
	}
	return 0;
}

int vios_vfs_is_auth_error(int sqlite_extended_errcode)
{
	return sqlite_extended_errcode == SQLITE_IOERR_AUTH;
}

const char *vios_vfs_failure(void)
{
	return failure[0] ? failure : NULL;
}

void vios_vfs_failure_clear(void)
{
	failure[0] = '\0';
}

int vios_vfs_verify(sqlite3 *db)
{
	int rc, log = 0, done = 0;

	failure[0] = '\0';
	rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	if (rc == SQLITE_OK && log > 0 && done < log) {
		vios_error_set(VIOS_ERR_STORE, "store: verifying the pages: the WAL could not be written back (another reader?)");
		return VIOS_ERROR;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_file_control(db, "main", VIOS_VFS_FCNTL_VERIFY, NULL);
	if (rc == SQLITE_OK)
		return 0;
	if (vios_vfs_is_auth_error(rc) || vios_vfs_is_auth_error(sqlite3_extended_errcode(db))) {
		vios_error_set(VIOS_ERR_STORE, "store: %s: tampered store",
			       vios_vfs_failure() ? vios_vfs_failure() : "a page failed authentication");
		vios_vfs_failure_clear();
		return VIOS_ECORRUPT;
	}
	if ((rc & 0xff) == SQLITE_FULL) {
		vios_error_set(VIOS_ERR_STORE, "store: verifying the pages: disk full (free some space and run the command again)");
		return VIOS_ENOSPACE;
	}
	vios_error_set(VIOS_ERR_SQLITE, "store: verifying the pages: %s", sqlite3_errstr(rc));
	return VIOS_ERROR;
}

/* --- opening a store -------------------------------------------------- */

static const char page1_message[] = "store: cannot decrypt page 1: wrong key or tampered store";

/*
 * Reads len bytes at off of path into buf. 1 when all were there, 0 when the
 * file is missing or shorter, VIOS_ERROR (message set) on an I/O error.
 * *size gets the file size (0 when missing).
 */
static int read_at(uint8_t *buf, size_t len, off_t off, const char *path, off_t *size)
{
	struct stat sb;
	ssize_t got;
	int fd, error = 0;

	*size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : vios_error_os("store: cannot open %s", path);
	if (fstat(fd, &sb) < 0) {
		error = vios_error_os("store: cannot stat %s", path);
		goto done;
	}
	*size = sb.st_size;
	if (sb.st_size < off + (off_t)len)
		goto done;
	if ((got = pread(fd, buf, len, off)) < 0)
		error = vios_error_os("store: cannot read %s", path);
	else
		error = (size_t)got == len;
done:
	close(fd);
	return error;
}

/*
 * Checks key against the store's files as they are on disk, without SQLite:
 * *verdict = 1 when page 1, the first WAL frame or the first journal record
 * authenticates; 0 when the files hold sealed data and none of those does;
 * -1 when there is nothing to check (a new, empty store). 0 or an error.
 */
static int key_check(int *verdict, const char *path, const uint8_t *key)
{
	char *resolved = realpath(path, NULL);
	const char *db = resolved ? resolved : path;
	char side[PATH_MAX + 16];
	uint8_t *buf = NULL;
	off_t size;
	int error, sealed = 0, ok = 0;

	if ((buf = malloc(4 * UNIT_MAX)) == NULL) {
		error = vios_error_nomem();
		goto done;
	}
	if ((error = read_at(buf, PAGE, 0, db, &size)) < 0)
		goto done;
	sealed |= size > 0;
	ok = error == 1 && (open_unit(KIND_MAIN, key, 1, 0, buf, buf + UNIT_MAX, buf + 2 * UNIT_MAX) == 0 ||
			    open_unit(KIND_MAIN, key, 1, 1, buf, buf + UNIT_MAX, buf + 2 * UNIT_MAX) == 0);

	if (!ok && (error = vios_snprintf(side, sizeof(side), "%s-wal", db)) >= 0) {
		if ((error = read_at(buf, FRAME, WAL_HDR, side, &size)) < 0)
			goto done;
		sealed |= size > WAL_HDR;
		ok = error == 1 && open_unit(KIND_WAL, key, WAL_HDR + FRAME_HDR, 0, buf,
					     buf + UNIT_MAX, buf + 2 * UNIT_MAX) == 0;
	}
	if (!ok && (error = vios_snprintf(side, sizeof(side), "%s-journal", db)) >= 0) {
		/* the first record follows the first header, one sector long */
		off_t at[3] = { 512, 4096, 0 };

		if ((error = read_at(buf, JHDR_FIELDS, 0, side, &size)) < 0)
			goto done;
		sealed |= size >= JREC;
		if (error == 1) {
			uint32_t sector = get_be32(buf + 20);

			if (sector >= 32 && sector <= 65536 && (sector & (sector - 1)) == 0)
				at[2] = sector;
		}
		for (int i = 0; !ok && i < 3; i++) {
			if (at[i] == 0)
				continue;
			if ((error = read_at(buf, JREC, at[i], side, &size)) < 0)
				goto done;
			ok = error == 1 && open_unit(KIND_JOURNAL, key, (uint64_t)at[i] + 4, 0, buf,
						     buf + UNIT_MAX, buf + 2 * UNIT_MAX) == 0;
		}
	}
	if (error < 0)
		goto done;
	*verdict = ok ? 1 : sealed ? 0 : -1;
	error = 0;
done:
	if (buf) {
		sodium_memzero(buf, 4 * UNIT_MAX);
		free(buf);
	}
	free(resolved);
	return error;
}

/* Turns an SQLite failure while opening into a vios error; page1 says
 * whether page 1 was what SQLite was reading. */
static int open_error(sqlite3 *db, int rc, const char *what, int page1)
{
	int ext = db ? sqlite3_extended_errcode(db) : rc;

	if (vios_vfs_is_auth_error(ext) || vios_vfs_is_auth_error(rc) ||
	    (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
		if (vios_vfs_failure() != NULL)
			vios_error_set(VIOS_ERR_STORE, "store: %s: %s: tampered store", what, vios_vfs_failure());
		else if (page1)
			vios_error_set(VIOS_ERR_STORE, "%s", page1_message);
		else
			vios_error_set(VIOS_ERR_STORE, "store: %s: a page failed authentication: tampered or corrupt store", what);
		vios_vfs_failure_clear();
		return VIOS_ECORRUPT;
	}
	if ((rc & 0xff) == SQLITE_FULL) {
		vios_error_set(VIOS_ERR_STORE, "store: %s: disk full (free some space and run the command again)", what);
		return VIOS_ENOSPACE;
	}
	vios_error_set(VIOS_ERR_SQLITE, "store: %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return VIOS_ERROR;
}

/* Runs zSql; when it returns a row, its first column goes to text/num. */
static int step1(sqlite3 *db, const char *zSql, char *text, size_t textlen, sqlite3_int64 *num)
{
	sqlite3_stmt *pStmt = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, NULL)) != SQLITE_OK)
		goto done;
	rc = sqlite3_step(pStmt);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(pStmt, 0);

		if (text)
			snprintf(text, textlen, "%s", t ? (const char *)t : "");
		if (num)
			*num = sqlite3_column_int64(pStmt, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
done:
	sqlite3_finalize(pStmt);
	return rc;
}

int vios_vfs_open(sqlite3 **out, const char *path, const uint8_t key[32], int create)
{
	static const char *const tail[] = {
		"PRAGMA temp_store=MEMORY", "PRAGMA mmap_size=0",
		"PRAGMA secure_delete=ON", "PRAGMA foreign_keys=ON"
	};
	sqlite3 *db = NULL;
	struct stat sb;
	char text[32];
	sqlite3_int64 pages = 0, num = 0;
	int error, rc, verdict = -1, reserve;

	if (out)
		*out = NULL;
	if (out == NULL || path == NULL || key == NULL || path[0] == '\0') {
		vios_error_set(VIOS_ERR_STORE, "store: no path or key given");
		return VIOS_ERROR;
	}
	if ((error = vios_vfs_register()) < 0)
		return error;
	failure[0] = '\0';
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT)
			return vios_error_os("store: cannot stat %s", path);
		if (!create) {
			vios_error_set(VIOS_ERR_STORE, "store: %s does not exist", path);
			return VIOS_ENOTFOUND;
		}
	}
	if ((error = key_check(&verdict, path, key)) < 0)
		return error;
	if (verdict == 0) {
		vios_error_set(VIOS_ERR_STORE, "%s", page1_message);
		return VIOS_ECORRUPT;
	}

	pending_key = key;
	/* NOMUTEX: a store's connection is used by one thread at a time (the
	 * web server's one request thread, else the command's), so SQLite's
	 * per-call lock of it is pure cost (docs/performance.md) */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOMUTEX |
			     (create ? SQLITE_OPEN_CREATE : 0), VIOS_VFS_NAME);
	pending_key = NULL;
	if (rc != SQLITE_OK) {
		error = open_error(db, rc, "opening the store", 1);
		goto done;
	}
	sqlite3_extended_result_codes(db, 1);
	/* before anything reads the file: no -shm, see the file comment */
	if ((rc = step1(db, "PRAGMA locking_mode=EXCLUSIVE", text, sizeof(text), NULL)) != SQLITE_OK ||
	    (rc = sqlite3_busy_timeout(db, 5000)) != SQLITE_OK) {
		error = open_error(db, rc, "setting the locking mode", 0);
		goto done;
	}
	/* page 1 alone (and any recovery SQLite runs first), then the schema */
	if ((rc = step1(db, "PRAGMA schema_version", NULL, 0, &num)) != SQLITE_OK) {
		error = open_error(db, rc, "reading page 1", 1);
		goto done;
	}
	if ((rc = step1(db, "PRAGMA page_count", NULL, 0, &pages)) != SQLITE_OK) {
		error = open_error(db, rc, "reading the schema", 0);
		goto done;
	}
	if (pages == 0) {
		reserve = RESERVE;
		if ((rc = step1(db, "PRAGMA page_size=4096", NULL, 0, NULL)) != SQLITE_OK ||
		    (rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve)) != SQLITE_OK) {
			error = open_error(db, rc, "setting the page layout", 0);
			goto done;
		}
	}
	if ((rc = step1(db, "PRAGMA journal_mode=WAL", text, sizeof(text), NULL)) != SQLITE_OK) {
		error = open_error(db, rc, "switching to WAL", 0);
		goto done;
	}
	if (strcmp(text, "wal") != 0) {
		vios_error_set(VIOS_ERR_STORE, "store: cannot switch %s to WAL (journal mode stays %s)", path, text);
		error = VIOS_ERROR;
		goto done;
	}
	reserve = -1;
	if ((rc = step1(db, "PRAGMA page_size", NULL, 0, &num)) != SQLITE_OK ||
	    (rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve)) != SQLITE_OK) {
		error = open_error(db, rc, "reading the page layout", 0);
		goto done;
	}
	if (num != PAGE || reserve != RESERVE) {
		vios_error_set(VIOS_ERR_STORE, "store: %s has page size %lld with %d reserved bytes; the store needs %d with %d",
			       path, (long long)num, reserve, PAGE, RESERVE);
		error = VIOS_ECORRUPT;
		goto done;
	}
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
		if ((rc = step1(db, tail[i], NULL, 0, NULL)) != SQLITE_OK) {
			error = open_error(db, rc, tail[i], 0);
			goto done;
		}
	}
	error = 0;
done:
	if (error < 0)
		sqlite3_close_v2(db);
	else
		*out = db;
	return error;
}
