-- 0014_rhythm.sql - the VIOS table's rhythm (docs/rhythm.md): signal
-- triage, planned meetings and what a meeting discussed, the meldcode's
-- steps on a case, and themes the covenant adds to the base list.
--
-- signal (rebuilt, same columns in the same order, two appended):
--   theme: no longer a fixed list here. The base themes (src/node/vocab.c)
--     and the covenant's local themes are checked by the records layer for
--     a local write; a row from another node is checked only for the shape
--     of a theme word (lower-case letters, digits and '-', at most 32), so a
--     school that has not yet seen the covenant that adds a theme still
--     merges a signal of it.
--   closed_reason, closed_at: a signal closed at triage ("no further
--     action") with the person's reason and the date (YYYY-MM-DD). The other
--     triage states are not stored: a signal is linked while a case lists it
--     and discussed while a held meeting lists it (meeting.discussed), so
--     every node that holds the same rows sees the same state.
-- meeting:
--   discussed: the signals and cases the meeting discussed, a comma list of
--     ids as case_file.signals is ('' or NULL: none).
--   planned: 1 for a meeting planned and not yet held (vios meeting plan),
--     NULL or 0 for one that was held.
-- case_file.meldcode: the steps of the Meldcode huiselijk geweld en
--   kindermishandeling recorded on the case (1 map the signals, 2 consult
--   a colleague and if needed Veilig Thuis, 3 talk with the pupil and the
--   parents, 4 weigh with the assessment framework, 5 decide), as one JSON
--   document, format vios-meldcode-1 (docs/formats.md; the one reader and
--   writer is src/store/meldcode.c). One column, not a column per step:
--   only the case's owner writes it, so it never merges concurrently, and
--   a case insert carries one op for it rather than twelve.
--
-- Synced like every column of these tables (src/crdt/crdt.c lists them at
-- the end of each table, in this order) and written only by the row's owner.
CREATE TABLE signal_rhythm (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	seen_at TEXT,
	theme TEXT CHECK (length(theme) BETWEEN 1 AND 32 AND theme NOT GLOB '*[^a-z0-9-]*'
		AND theme GLOB '[a-z]*'),
	note TEXT,
	source TEXT,
	location TEXT DEFAULT 'in' CHECK (location IN ('in', 'around')),
	severity TEXT DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high')),
	pupil_id TEXT,
	basis TEXT,
	parents_informed INTEGER CHECK (parents_informed IN (0, 1)),
	not_informed_reason TEXT,
	created_at TEXT,
	closed_reason TEXT,
	closed_at TEXT
);
INSERT INTO signal_rhythm(id, origin, seen_at, theme, note, source, location, severity, pupil_id,
	basis, parents_informed, not_informed_reason, created_at)
SELECT id, origin, seen_at, theme, note, source, location, severity, pupil_id,
	basis, parents_informed, not_informed_reason, created_at FROM signal;
DROP TABLE signal;
ALTER TABLE signal_rhythm RENAME TO signal;
CREATE INDEX signal_pupil ON signal(pupil_id);
CREATE INDEX signal_theme_seen ON signal(theme, seen_at);

ALTER TABLE meeting ADD COLUMN discussed TEXT;
ALTER TABLE meeting ADD COLUMN planned INTEGER CHECK (planned IN (0, 1));
CREATE INDEX meeting_date ON meeting(date);

ALTER TABLE case_file ADD COLUMN meldcode TEXT CHECK (meldcode IS NULL OR json_valid(meldcode));
