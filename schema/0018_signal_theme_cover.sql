-- 0018_signal_theme_cover.sql - the index on a signal's theme and date
-- also holds its origin and id (issue 19, second pass).
--
-- A school derives its counts and figures (src/store/evaluate.c,
-- vios_signal_count_todo in src/store/records.c) from every signal's
-- origin, theme, seen_at and id; with them all in the index the two reads
-- scan the index instead of every signal record (with its note and
-- pupil). The index keeps (theme, seen_at) as its leading columns, so
-- whatever searched by theme and date still does.
DROP INDEX IF EXISTS signal_theme_seen;
CREATE INDEX signal_theme_seen ON signal(theme, seen_at, origin, id);
