-- 0016_local_themes.sql - themes a covenant adds (vios-covenant-4,
-- docs/formats.md "Covenant") in the monthly signal counts.
--
-- signal_count (rebuilt, same columns in the same order): theme is no
-- longer a fixed list, as signal.theme is not since 0014. A school counts
-- the signals of a local theme too, and the hub and a school that has not
-- yet approved the covenant that adds it still merge its rows. The shape of
-- a theme word is the one rule of src/node/vocab.c (vios_theme_word_valid:
-- lower-case a-z, digits and '-', 1 to 32, starting with a letter), spelled
-- here as SQL as 0014 spells it for signal.theme; which themes a node may
-- write itself is the records layer's check (the base list and the local
-- themes of the covenant it approved).
--
-- trend.theme (0001) never had a list: a trend's theme is checked on a
-- local write like a signal's and merged as it comes.
CREATE TABLE signal_count_themes (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	month TEXT CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),
	theme TEXT CHECK (length(theme) BETWEEN 1 AND 32 AND theme NOT GLOB '*[^a-z0-9-]*'
		AND theme GLOB '[a-z]*'),
	signals INTEGER CHECK (signals >= 0),
	updated_at TEXT
);
INSERT INTO signal_count_themes(id, origin, month, theme, signals, updated_at)
SELECT id, origin, month, theme, signals, updated_at FROM signal_count;
DROP TABLE signal_count;
ALTER TABLE signal_count_themes RENAME TO signal_count;
CREATE INDEX signal_count_month ON signal_count(month, origin, theme);
