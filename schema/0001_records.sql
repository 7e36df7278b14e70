-- 0001_records.sql - the VIOS records (DESIGN.md section 5).
--
-- Every synced table is keyed by a text UUIDv7, never an integer rowid, so
-- rows made on different nodes never collide. `origin` is the node id that
-- created the row. Dates are ISO 8601 text (YYYY-MM-DD, or a full UTC time
-- for *_at columns). Enumerations are checked here as well as in the CLI.
-- No foreign keys: rows arrive from other nodes in any order (CRDT merge);
-- references are checked where a record is made (src/store/records.c).
-- For the same reason only `id` is NOT NULL: a node may hold a row it knows
-- only some columns of (an update whose insert was never addressed to it),
-- so required fields are enforced by the records layer for local adds, not
-- here. CHECKs name one column each (NULL passes), so a bad value from
-- another node is refused; a CHECK over two columns could refuse a merge
-- whose columns were each valid, and is not used.

CREATE TABLE pupil (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	name TEXT,
	birth_date TEXT,
	class TEXT,
	local_id TEXT,
	over16 INTEGER DEFAULT 0 CHECK (over16 IN (0, 1)),
	guardian_contact TEXT,
	created_at TEXT
);

CREATE TABLE signal (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	seen_at TEXT,
	theme TEXT CHECK (theme IN ('weapons', 'drugs-use', 'drugs-trade', 'alcohol',
		'exploitation', 'sexting', 'street-culture', 'polarisation', 'nuisance',
		'vandalism', 'crime', 'other')),
	note TEXT,
	source TEXT,
	location TEXT DEFAULT 'in' CHECK (location IN ('in', 'around')),
	severity TEXT DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high')),
	pupil_id TEXT,
	basis TEXT,
	parents_informed INTEGER CHECK (parents_informed IN (0, 1)),
	not_informed_reason TEXT,
	created_at TEXT
);
CREATE INDEX signal_pupil ON signal(pupil_id);
CREATE INDEX signal_theme_seen ON signal(theme, seen_at);

CREATE TABLE trend (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	theme TEXT,
	period TEXT,
	level TEXT CHECK (level IN ('rising', 'stable', 'falling')),
	note TEXT,
	created_at TEXT
);

CREATE TABLE meeting (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	kind TEXT CHECK (kind IN ('thematic', 'case', 'steering', 'evaluation')),
	date TEXT,
	roles TEXT,
	minutes TEXT,
	case_id TEXT,
	created_at TEXT
);

CREATE TABLE case_file (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	pupil_id TEXT,
	signals TEXT DEFAULT '',
	roles TEXT DEFAULT '',
	lead_role TEXT,
	status TEXT DEFAULT 'reported' CHECK (status IN ('reported', 'discussed',
		'in-progress', 'monitoring', 'closed', 'escalated')),
	escalation_target TEXT,
	basis TEXT,
	opened_at TEXT,
	closed_at TEXT
);
CREATE INDEX case_pupil ON case_file(pupil_id);

CREATE TABLE agreement (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT,
	case_id TEXT,
	meeting_id TEXT,
	owner_role TEXT,
	action TEXT,
	due_date TEXT,
	status TEXT DEFAULT 'open' CHECK (status IN ('open', 'done')),
	feedback TEXT,
	done_at TEXT,
	created_at TEXT
);
CREATE INDEX agreement_case ON agreement(case_id);
CREATE INDEX agreement_due ON agreement(status, due_date);

-- Local only, never synced: who did what to which record, when and why.
-- Append-only: the triggers refuse every UPDATE and DELETE.
CREATE TABLE access_log (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	at TEXT NOT NULL,
	node_id TEXT NOT NULL,
	os_user TEXT NOT NULL,
	action TEXT NOT NULL CHECK (action IN ('create', 'read', 'update', 'export', 'import', 'erase')),
	tbl TEXT NOT NULL,
	record_id TEXT,
	why TEXT
);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
