/*
 * store.h - the node's encrypted record store: an SQLite database at
 * HOME/store.db opened through the encrypting VFS (vfs.h) with a key
 * derived from the node's master key, its schema migrated on open, and the
 * local append-only access log.
 *
 * Every write goes through vios_store_tx_begin / _commit so that change
 * capture sees whole transactions: a write made outside them is never
 * shared with other nodes. The store does not know how changes are
 * captured: a higher layer (src/crdt, vios_crdt_attach) registers capture
 * hooks on each store it opens, as SQLite's commit hooks, and a captured
 * transaction on a store without them is refused.
 */
#ifndef VIOS_STORE_H
#define VIOS_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "node/node.h"
#include "node/vocab.h"

typedef struct vios_store vios_store;

/*
 * Change capture, seen from the store: begin runs right after BEGIN of a
 * captured transaction, commit right before its COMMIT (an error rolls the
 * whole transaction back), abort whenever a transaction ends otherwise and
 * when the store is freed (it must accept being called with no capture
 * open). destroy, when not NULL, releases ctx when the hooks are replaced
 * or the store is freed. The hooks struct is borrowed and must outlive the
 * store (a static const table).
 */
typedef struct vios_store_capture_hooks {
	int (*begin)(void *ctx, vios_store *st);
	int (*commit)(void *ctx, vios_store *st);
	void (*abort)(void *ctx, vios_store *st);
	void (*destroy)(void *ctx);
} vios_store_capture_hooks;

/*
 * The local themes a write on this node may name besides the base list
 * (node/vocab.h): those of the covenant this node approved. The store
 * cannot read a covenant nor know what was approved (sync/ owns both), so
 * that layer's function is registered here (vios_store_set_themes; the CLI
 * registers sync/consent.c's vios_consent_themes on every store it opens).
 * fn fills *out (zeroed first; no themes when the node approved none).
 */
typedef int (*vios_store_themes_fn)(vios_theme_set *out, vios_store *st);

struct vios_store {
	sqlite3 *db;
	const vios_node *node; /* borrowed; outlives the store */
	char os_user[64];
	char path[PATH_MAX];
	const vios_store_capture_hooks *capture_hooks; /* NULL until registered */
	void *capture_ctx;     /* owned by the hooks (their destroy) */
	int capturing;         /* a captured transaction is open */
	int name_check_off;    /* records.h vios_records_name_check: 1 = skipped, logged */
	int held;              /* the node's store: its run lock (node/run.h) is this store's */
	vios_store_themes_fn themes_fn; /* NULL: a local write knows the base themes only */
	int theme_dirty;       /* the open transaction changed an input of the theme data */
};

/* Schema version this vios writes (the number of migrations in schema/). */
int vios_store_schema_version(void);

/*
 * Opens the store of an unlocked node and applies pending migrations. The
 * store is created only for a node vios_node_init made in this process
 * (node->fresh); in any other home a missing, empty or non-regular
 * store.db is VIOS_ENOTFOUND ("... is missing: restore it from a backup"),
 * never a new, empty store. A store from a newer vios is refused (VIOS_ERROR with
 * a message); a page that fails authentication gives VIOS_ECORRUPT.
 */
int vios_store_open(vios_store **out, const vios_node *node);
void vios_store_free(vios_store *st);

/*
 * The store is one process's at a time: SQLite holds it in exclusive
 * locking mode from the first read until it is closed (vfs.c, no -shm), and
 * the run lock (node/run.h) says which vios holds it. A command that waits
 * on something else (the network) lets go of the store first and takes it
 * back afterwards, so other commands run meanwhile:
 *
 * vios_store_release closes the database (no transaction may be open) and
 * gives the run lock back; st keeps its node and capture hooks.
 * vios_store_reacquire takes the run lock again (waiting as an open does,
 * then naming the vios that keeps it) and reopens the database under the
 * node's key. Both do nothing when there is nothing to do. A store from
 * vios_store_open_temp is not released.
 */
int vios_store_release(vios_store *st);
int vios_store_reacquire(vios_store *st);

/*
 * Opens a new, throwaway store at DIR/store.db (which must not exist yet):
 * encrypted like any store, under a random key that lives only in the VFS's
 * memory and is lost when the store is closed, schema migrated. For
 * replaying history (the audit) without touching the node's own store; node
 * is borrowed (node id and access log) and need not be unlocked. The caller
 * removes DIR afterwards.
 */
int vios_store_open_temp(vios_store **out, const vios_node *node, const char *dir);

/*
 * Turns an SQLite result into a vios error with a message naming `what`.
 * Authentication failures and SQLite corruption become VIOS_ECORRUPT
 * ("tampered or corrupt store"), SQLITE_FULL VIOS_ENOSPACE, the rest
 * VIOS_ERROR. Returns 0 for SQLITE_OK, SQLITE_DONE and SQLITE_ROW.
 */
int vios_store_error(sqlite3 *db, int rc, const char *what);

/*
 * Registers the capture hooks of st (replacing, and destroying, earlier
 * ones; hooks NULL removes them). ctx is handed to every hook and is owned
 * by the hooks from here on: hooks->destroy releases it. Not while a
 * transaction is open. Returns 0.
 */
int vios_store_set_capture(vios_store *st, const vios_store_capture_hooks *hooks, void *ctx);

/* Registers fn as st's source of local themes (NULL: none). */
void vios_store_set_themes(vios_store *st, vios_store_themes_fn fn);
/*
 * The local themes a write on st may name, into *out: the registered
 * function's answer, none when no function is registered. 0 or its error.
 */
int vios_store_themes(vios_theme_set *out, vios_store *st);

/*
 * A write transaction (BEGIN IMMEDIATE) and its end. Changes are captured
 * by the registered hooks (vios_store_set_capture; src/crdt turns changes
 * to the synced tables into ops stamped with one new clock, stored in the
 * same transaction, just before COMMIT). A capture that fails (e.g. a value
 * other nodes would refuse) rolls the whole transaction back. A store with
 * no capture registered refuses vios_store_tx_begin (VIOS_ERROR): its
 * writes would silently never leave the node.
 */
int vios_store_tx_begin(vios_store *st);
int vios_store_tx_commit(vios_store *st);

/*
 * After a commit that removed something secret (an erasure, a destroyed
 * key): a TRUNCATE checkpoint, so no WAL frame keeps a page as it was
 * before (secure_delete already overwrote the database's own pages).
 * Returns 1 when a reader in another process kept the WAL from being
 * truncated (the frames stay until SQLite's next checkpoint; what was
 * committed stands), else 0. Never fails: the caller tells the person.
 */
int vios_store_wal_truncate(vios_store *st);
void vios_store_tx_rollback(vios_store *st);

/*
 * The theme data's version, at a school (elsewhere nothing is derived
 * from it and it stays 0): a number in the store's meta that every
 * committed transaction which changed an input of the school's counts and
 * figures (sync/report.c) makes one higher. The inputs: a signal inserted
 * or deleted, a signal's id, theme, seen_at or origin updated, and any row
 * of meeting, case_file, agreement, school_figure and signal_count written.
 * The store watches them on its connection (an update hook, a temporary
 * trigger for the signal columns, and one on delete per table: a DELETE
 * without WHERE passes the update hook by), whoever writes: a captured write, a merge,
 * an erasure; vios_store_tx_commit counts them in the same transaction. A
 * commit of such a change that bypasses vios_store_tx_commit (a raw COMMIT,
 * an autocommit statement) is refused, so the version cannot fall behind
 * the rows. A migration counts once.
 */
int vios_store_theme_version(long long *out, vios_store *st);

/* A write transaction whose changes are not captured: for merging what
 * other nodes wrote (vios_crdt_apply) and for local-only bookkeeping. */
int vios_store_tx_begin_uncaptured(vios_store *st);

/* 1 when a transaction begun with vios_store_tx_begin is open, else 0. */
int vios_store_tx_captured(const vios_store *st);

/*
 * The access log is a hash chain (docs/formats.md, "Access log chain",
 * vios-access-log-1): entry k stores h_k = BLAKE2b-256("vios-access-log-1"
 * || h_{k-1} || its fields, each length-prefixed), h_0 all zeros. Its head
 * is the number of entries and the last entry's hash, with the log's id;
 * it travels in every bundle this node seals, so the auditor can tell a
 * log that went back.
 */
#define VIOS_LOG_HASH_LEN 32
#define VIOS_LOG_ID_LEN 16

typedef struct {
	long long count;                 /* entries in the log */
	uint8_t head[VIOS_LOG_HASH_LEN]; /* h_count; all zeros when count is 0 */
	uint8_t id[VIOS_LOG_ID_LEN];     /* the log's id, random, made with it: a store copied
					  * back keeps it, a store made anew has another */
} vios_log_head;

/*
 * Appends to the access log: action is create, read, update, export,
 * import or erase; record_id and why may be NULL. Never pass record content
 * (names, notes) in why: only ids, counts and filters. The one writer of
 * access_log: it chains the entry to the last one in the same transaction
 * (its own when none is open). VIOS_ECORRUPT when the last entry's hash is
 * unreadable (the log was tampered with: 'vios log --verify' says where).
 */
int vios_store_log(vios_store *st, const char *action, const char *tbl,
		   const char *record_id, const char *why);

/* The head of the access log as it stands (not verified), with its id. */
int vios_store_log_head(vios_log_head *out, vios_store *st);

/*
 * Recomputes the whole chain. 0 when every entry gives its hash and follows
 * the one before (out: count, head and id). VIOS_EVERIFY when it breaks, with
 * *bad_seq the seq of the first entry that does not hold and a message
 * naming it and what happened (edited, deleted, out of order; entries
 * deleted at the end show as a gap in SQLite's AUTOINCREMENT counter); out
 * then holds the entries before it. Other negative codes for errors.
 * bad_seq may be NULL.
 */
int vios_store_log_verify(vios_log_head *out, long long *bad_seq, vios_store *st);

/* Runs PRAGMA integrity_check, then checks every page against the page
 * index (vios_vfs_verify: pages put back from an older state, free pages).
 * 0, or VIOS_ECORRUPT naming what failed. */
int vios_store_check(vios_store *st);

/* Rebuilds the database file (VACUUM), giving free pages back. Not inside a
 * transaction. */
int vios_store_vacuum(vios_store *st);

/* The number of rows in tbl, one of the store's record tables (pupil,
 * signal, trend, meeting, case_file, agreement, signal_count, school_figure) or
 * access_log; VIOS_EUSAGE for any other name. */
int vios_store_row_count(long long *out, vios_store *st, const char *tbl);

#endif
