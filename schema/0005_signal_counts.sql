-- 0005_signal_counts.sql - per (school, month, theme) signal counts, the
-- theme data a school sends so the hub can report without personal data
-- (DESIGN.md section 5). A school recomputes its own rows from its signals
-- before every export (sync/report.c); the row id is derived from (school,
-- month, theme), so every node holds one row per triple. Synced, category
-- theme, merged like every other table (src/crdt).
CREATE TABLE signal_count (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	month TEXT CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
	theme TEXT CHECK (theme IN ('weapons', 'drugs-use', 'drugs-trade', 'alcohol',
		'exploitation', 'sexting', 'street-culture', 'polarisation', 'nuisance',
		'vandalism', 'crime', 'other')),
	signals INTEGER CHECK (signals >= 0),
	updated_at TEXT
);
CREATE INDEX signal_count_month ON signal_count(month, origin, theme);
