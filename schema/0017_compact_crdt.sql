-- 0017_compact_crdt.sql - change capture per row, not per cell (issue 19;
-- src/crdt/README.md, "State"). Local only, like every crdt_* table.
--
-- crdt_change replaces crdt_pending: one row per row a captured transaction
-- changed (not one per column), the ops of that row being
--   sets   a JSON object {column: value} of the columns it set (value null,
--          an integer or a string: the only types a synced column holds),
--          NULL when the change is the row's deletion;
--   bases  a JSON object {column: [hlc, node]} of the sets that replaced a
--          value this node held (absent: base 0), NULL when none did;
--   ops    how many ops the change stands for (the sets, or 1).
-- All its ops share hlc and node. seq orders the changes as crdt_pending's
-- seq ordered the ops; an old store's pending ops come over one per change,
-- with their seq, so what was sealed keeps its bundle.
CREATE TABLE crdt_change (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	sets TEXT,
	bases TEXT,
	ops INTEGER NOT NULL,
	sealed_in TEXT
);
INSERT INTO crdt_change(seq, hlc, node, tbl, pk, sets, bases, ops, sealed_in)
	SELECT seq, hlc, node, tbl, pk,
	       CASE WHEN col IS NULL THEN NULL ELSE json_object(col, value) END,
	       CASE WHEN col IS NOT NULL AND base_hlc != 0 AND base_node IS NOT NULL
		    THEN json_object(col, json_array(base_hlc, base_node)) END,
	       1, sealed_in
	FROM crdt_pending ORDER BY seq;
-- the next seq continues crdt_pending's (AUTOINCREMENT never reuses one)
DELETE FROM sqlite_sequence WHERE name = 'crdt_change';
INSERT INTO sqlite_sequence(name, seq)
	SELECT 'crdt_change', max(seq) FROM sqlite_sequence WHERE name IN ('crdt_pending', 'crdt_change')
	HAVING max(seq) IS NOT NULL;
DROP TABLE crdt_pending;
CREATE INDEX crdt_change_open ON crdt_change(seq) WHERE sealed_in IS NULL;
CREATE INDEX crdt_change_row ON crdt_change(tbl, pk);

-- Plain cells: the columns `cols` (bit c = column c of the table as
-- src/crdt/crdt.c lists it, id being 0) of row (tbl, pk) hold the value of
-- one op, (hlc, node) with base 0, and this node knows no other op of them.
-- Such a cell has no crdt_cell and no crdt_history row: its clock is here and
-- its value in the row itself. The first other op of a column makes the cell
-- ordinary (crdt_cell, crdt_history) before it is merged (merge.c). A row
-- inserted in one transaction, or received in one bundle, is all plain.
CREATE TABLE crdt_row (
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	cols INTEGER NOT NULL,
	PRIMARY KEY (tbl, pk)
) WITHOUT ROWID;
