-- 0015_school_figure.sql - per (school, month, figure) evaluation figures,
-- theme data a school sends so the hub's report can show the steering group
-- how the table works (docs/rhythm-evaluation.md): counts and medians, no
-- ids, no free text. A school recomputes its own rows from its records
-- before every export (sync/report.c, vios_report_refresh_figures; the
-- figures are src/store/evaluate.c's); the row id is derived from (school,
-- month, figure) as signal_count's is (vios_mandate_figure_id), so every
-- node holds one row per triple. Synced, category theme, merged like every
-- other table (src/crdt).
--   figure: a word of src/store/evaluate.c's vocabulary (checked here for
--     its shape only, so a school on a newer vios still merges);
--   value: the count, or the median in days (NULL: a median over fewer
--     signals than the report's threshold, not sent);
--   n: the number of signals a median is over (NULL for a count).
CREATE TABLE school_figure (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	month TEXT CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
	figure TEXT CHECK (length(figure) BETWEEN 1 AND 48 AND figure NOT GLOB '*[^a-z0-9-]*'
		AND figure GLOB '[a-z]*'),
	value INTEGER CHECK (value IS NULL OR value >= 0),
	n INTEGER CHECK (n IS NULL OR n >= 0),
	updated_at TEXT
);
CREATE INDEX school_figure_month ON school_figure(month, origin, figure);
