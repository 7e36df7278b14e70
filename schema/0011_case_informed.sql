-- 0011_case_informed.sql - whether the parents were told of a case, and
-- why not when they were not (DOMAIN.md: "purpose and basis are recorded
-- with every signal and case"), as a signal records it (0001).
--
-- parents_informed: 1 told, 0 not told, NULL only on cases opened before
--   this migration. The records layer requires it when a case is opened,
--   taking it from the case's signals when they all say the same.
-- not_informed_reason: free text, required when parents_informed is 0.
--
-- Synced, like every column of case_file (src/crdt/crdt.c lists them at the
-- end of case_file's columns, after 0010's, in this order), and written only
-- by the case's owner.
ALTER TABLE case_file ADD COLUMN parents_informed INTEGER CHECK (parents_informed IN (0, 1));
ALTER TABLE case_file ADD COLUMN not_informed_reason TEXT;
