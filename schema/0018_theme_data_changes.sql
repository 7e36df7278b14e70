-- 0018_theme_data_changes.sql - a change counter for what a school's theme
-- data derives from (issue 19: the export of a small change reads only what
-- changed). Local only, never synced, like meta.
--
-- Before every export a school refreshes its signal_count and school_figure
-- rows (sync/report.c, vios_report_refresh_theme_data), skipped while
-- nothing they derive from changed. That used to be decided by a digest of
-- every signal's theme and seen_at, linear in the store: 40% of the export
-- of a 1% change at 100k records. Now the triggers below add one to n on
-- every write that can change an input of the refresh, whoever writes
-- (a captured edit, a merge, an erasure, the refresh itself), and the export
-- compares n with the value it kept after its last refresh: one read.
--
-- The inputs are the digest's (docs/rhythm.md, Evaluation): every signal's
-- id, origin, theme and seen_at (a note is none); the meetings', cases' and
-- agreements' columns the figures and the first discussions read; every
-- column of school_figure and signal_count. An insert or a delete is always
-- a change; an update only when one of those columns takes another value.
-- A bump with no effect on the result (a row of another school) merely
-- makes the next export refresh once, which writes nothing new.
-- A trigger goes with its table: a later migration that rebuilds one of
-- these six tables (as 0014 and 0016 did) creates its triggers again.
-- IF NOT EXISTS: a test that takes a store back to an earlier version runs
-- this again over what is there.
CREATE TABLE IF NOT EXISTS theme_data_changes (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n INTEGER NOT NULL
);
INSERT OR IGNORE INTO theme_data_changes(id, n) VALUES (1, 0);
-- the digest the export kept before: the counter replaces it
DELETE FROM meta WHERE key = 'theme_data_digest';

CREATE TRIGGER IF NOT EXISTS theme_data_signal_ins AFTER INSERT ON signal
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_signal_del AFTER DELETE ON signal
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_signal_upd AFTER UPDATE OF id, origin, theme, seen_at ON signal
	WHEN OLD.id IS NOT NEW.id OR OLD.origin IS NOT NEW.origin OR OLD.theme IS NOT NEW.theme
	  OR OLD.seen_at IS NOT NEW.seen_at
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER IF NOT EXISTS theme_data_meeting_ins AFTER INSERT ON meeting
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_meeting_del AFTER DELETE ON meeting
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_meeting_upd AFTER UPDATE OF id, origin, date, planned, discussed ON meeting
	WHEN OLD.id IS NOT NEW.id OR OLD.origin IS NOT NEW.origin OR OLD.date IS NOT NEW.date
	  OR OLD.planned IS NOT NEW.planned OR OLD.discussed IS NOT NEW.discussed
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER IF NOT EXISTS theme_data_case_ins AFTER INSERT ON case_file
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_case_del AFTER DELETE ON case_file
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_case_upd
	AFTER UPDATE OF id, origin, opened_at, signals, status, escalation_target ON case_file
	WHEN OLD.id IS NOT NEW.id OR OLD.origin IS NOT NEW.origin OR OLD.opened_at IS NOT NEW.opened_at
	  OR OLD.signals IS NOT NEW.signals OR OLD.status IS NOT NEW.status
	  OR OLD.escalation_target IS NOT NEW.escalation_target
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER IF NOT EXISTS theme_data_agreement_ins AFTER INSERT ON agreement
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_agreement_del AFTER DELETE ON agreement
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_agreement_upd AFTER UPDATE OF id, origin, due_date, done_at ON agreement
	WHEN OLD.id IS NOT NEW.id OR OLD.origin IS NOT NEW.origin OR OLD.due_date IS NOT NEW.due_date
	  OR OLD.done_at IS NOT NEW.done_at
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER IF NOT EXISTS theme_data_figure_ins AFTER INSERT ON school_figure
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_figure_del AFTER DELETE ON school_figure
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_figure_upd AFTER UPDATE ON school_figure
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER IF NOT EXISTS theme_data_count_ins AFTER INSERT ON signal_count
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_count_del AFTER DELETE ON signal_count
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS theme_data_count_upd AFTER UPDATE ON signal_count
	BEGIN UPDATE theme_data_changes SET n = n + 1 WHERE id = 1; END;
