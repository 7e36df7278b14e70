-- 0002_crdt.sql - change capture and merge state (src/crdt, DESIGN.md 6).
--
-- All local: none of these tables is synced or in the digest except through
-- crdt_tombstone's (tbl, pk). Clocks are 64-bit hybrid logical clocks
-- (48-bit ms << 16 | counter); a clock is the pair (hlc, node), ordered by
-- hlc, then node id bytewise. `value` columns have no declared type, so a
-- value keeps the SQLite type it was written with.

-- The node's clock: one row, advanced by every captured transaction and
-- every merge.
CREATE TABLE crdt_clock (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	hlc INTEGER NOT NULL
);
INSERT INTO crdt_clock(id, hlc) VALUES (1, 0);

-- This node's own ops in capture order. col NULL = tombstone. An op stays
-- pending until the exporter seals it (sealed_in = the bundle it went into);
-- unsealed sets of a row that gets deleted are dropped (they would be
-- overridden by the tombstone anyway, and deleted data should not travel).
CREATE TABLE crdt_pending (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	col TEXT,
	value,
	base_hlc INTEGER NOT NULL DEFAULT 0,
	base_node TEXT,
	sealed_in TEXT
);
CREATE INDEX crdt_pending_open ON crdt_pending(seq) WHERE sealed_in IS NULL;
CREATE INDEX crdt_pending_row ON crdt_pending(tbl, pk) WHERE sealed_in IS NULL;

-- The clock of the value each cell holds now (the greatest set op seen).
CREATE TABLE crdt_cell (
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	col TEXT NOT NULL,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	PRIMARY KEY (tbl, pk, col)
) WITHOUT ROWID;

-- Every set op seen for a live row, local or remote: the history conflicts
-- are computed from. An op is superseded once an op based on it is known;
-- its value is then dropped (only the heads of a cell's history can be a
-- winner or a conflict).
CREATE TABLE crdt_history (
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	col TEXT NOT NULL,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	base_hlc INTEGER NOT NULL,
	base_node TEXT,
	superseded INTEGER NOT NULL DEFAULT 0,
	value,
	PRIMARY KEY (tbl, pk, col, hlc, node)
) WITHOUT ROWID;

-- Deleted rows, for good: the greatest tombstone clock seen, and the
-- category and roles the row had here when it was deleted (NULL when this
-- node never held the row).
CREATE TABLE crdt_tombstone (
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	category TEXT,
	roles INTEGER,
	PRIMARY KEY (tbl, pk)
) WITHOUT ROWID;

-- Concurrent writes that lost: a head of a cell's history other than the
-- winner. Keyed by the losing op, so the same loss is recorded once.
CREATE TABLE crdt_conflict (
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	col TEXT NOT NULL,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	value,
	win_hlc INTEGER NOT NULL,
	win_node TEXT NOT NULL,
	recorded_at TEXT NOT NULL,
	PRIMARY KEY (tbl, pk, col, hlc, node)
) WITHOUT ROWID;
