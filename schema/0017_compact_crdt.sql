-- 0017_compact_crdt.sql - change capture per row, not per cell (issue 19;
-- src/crdt/README.md, "Pending changes" and "Plain cells"). Local only,
-- like every crdt_* table.
--
-- crdt_change replaces crdt_pending: one row per row a captured transaction
-- changed (not one per column). Its ops all have hlc and node; they are
--   the row's deletion, when cols is NULL; else
--   a set of each column in the bit mask cols (bit c = column c of the
--   table as src/crdt/crdt.c lists it, id being 0) and of each key of vals.
-- vals is a JSON object {column: value} of the values the change carries
-- itself (null, an integer or a string: the only types a synced column
-- holds): the references (pupil_id, case_id, meeting_id), which a local
-- delete keeps after the row is gone, and every value of an op that came
-- over from crdt_pending. The value of a set in cols is read when it is
-- exported: the row's, as long as the op still holds the cell, else the
-- one its history kept (merge.c, pending.c). bases is a JSON object
-- {column: [hlc, node]} of the sets that replaced a value this node held
-- (absent: base 0); ops how many ops the change stands for.
-- seq orders the changes as crdt_pending's seq ordered the ops; an old
-- store's pending ops come over one per change, with their seq and seal.
CREATE TABLE crdt_change (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	cols INTEGER,
	vals TEXT,
	bases TEXT,
	ops INTEGER NOT NULL,
	sealed_in TEXT
);
INSERT INTO crdt_change(seq, hlc, node, tbl, pk, cols, vals, bases, ops, sealed_in)
	SELECT seq, hlc, node, tbl, pk,
	       CASE WHEN col IS NULL THEN NULL ELSE 0 END,
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
