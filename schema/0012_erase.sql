-- 0012_erase.sql - what the cascade of an erasure needs (docs/lifecycle.md):
-- every reference a live row was ever given, so that "a row that ever named
-- an erased pupil, case or meeting goes" is a function of the ops a node
-- holds, whatever order they came in (a value that lost, or was overwritten
-- before the erasure arrived, counts too). Local only; ids only.
CREATE TABLE crdt_ref (
	tbl TEXT NOT NULL,
	pk TEXT NOT NULL,
	col TEXT NOT NULL CHECK (col IN ('pupil_id', 'case_id', 'meeting_id')),
	ref TEXT NOT NULL,
	PRIMARY KEY (tbl, pk, col, ref)
) WITHOUT ROWID;
CREATE INDEX crdt_ref_by_ref ON crdt_ref(col, ref);

-- the references rows hold now
INSERT OR IGNORE INTO crdt_ref(tbl, pk, col, ref)
	SELECT 'signal', id, 'pupil_id', pupil_id FROM signal WHERE pupil_id IS NOT NULL
	UNION ALL SELECT 'case_file', id, 'pupil_id', pupil_id FROM case_file WHERE pupil_id IS NOT NULL
	UNION ALL SELECT 'meeting', id, 'case_id', case_id FROM meeting WHERE case_id IS NOT NULL
	UNION ALL SELECT 'agreement', id, 'case_id', case_id FROM agreement WHERE case_id IS NOT NULL
	UNION ALL SELECT 'agreement', id, 'meeting_id', meeting_id FROM agreement WHERE meeting_id IS NOT NULL;

-- a deleted row's pending ops go, sealed or not (crdt_pending_row covers
-- only the unsealed ones)
CREATE INDEX crdt_pending_any_row ON crdt_pending(tbl, pk);

-- the cascade looks rows up by the row they name
CREATE INDEX meeting_case ON meeting(case_id);
CREATE INDEX agreement_meeting ON agreement(meeting_id);
