-- 0006_mandate.sql - what the mandate needs to judge an op (src/crdt/mandate.c)
-- and the quarantine of bundles refused for it (docs/mandate.md).
--
-- crdt_grant: every role the owner of a row ever named in a grant column
-- (case_file.lead_role, agreement.owner_role), with the smallest clock it
-- was named at. Kept by the merge for local and remote ops alike, so it is
-- a function of the ops a node holds: a role may use what a grant gives for
-- ops with a later clock, wherever and in whichever order they arrive.
-- Local, never synced; purged with the row's tombstone.
CREATE TABLE crdt_grant (
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	col TEXT NOT NULL,
	role TEXT NOT NULL,
	hlc INTEGER NOT NULL,
	PRIMARY KEY (tbl, pk, col, role)
) WITHOUT ROWID;

-- crdt_final: per case, the greatest clock (and its value) of the final
-- statuses (closed, escalated) among the status ops this node holds. Once a
-- case has one, that op holds the status cell whatever the clocks of the
-- others (src/crdt/merge.c, "closed is final"). Local; purged with the row.
CREATE TABLE crdt_final (
	pk TEXT PRIMARY KEY NOT NULL,
	hlc INTEGER NOT NULL,
	node TEXT NOT NULL,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- A bundle refused for the mandate stays held for its sender's seq with the
-- reason; the sender's later bundles wait behind it (vios status lists it).
ALTER TABLE held ADD COLUMN quarantined TEXT;
