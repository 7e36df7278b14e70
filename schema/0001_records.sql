-- 0001_records.sql - the VIOS records (DESIGN.md section 5).
--
-- Every synced table is keyed by a text UUIDv7, never an integer rowid, so
-- rows made on different nodes never collide. `origin` is the node id that
-- created the row. Dates are ISO 8601 text (YYYY-MM-DD, or a full UTC time
-- for *_at columns). Enumerations are checked here as well as in the CLI.
-- No foreign keys: rows arrive from other nodes in any order (CRDT merge);
-- references are checked where a record is made (src/store/records.c).

CREATE TABLE pupil (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT NOT NULL,
	name TEXT NOT NULL,
	birth_date TEXT,
	class TEXT,
	local_id TEXT,
	over16 INTEGER NOT NULL DEFAULT 0 CHECK (over16 IN (0, 1)),
	guardian_contact TEXT,
	created_at TEXT NOT NULL
);

CREATE TABLE signal (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT NOT NULL,
	seen_at TEXT NOT NULL,
	theme TEXT NOT NULL CHECK (theme IN ('weapons', 'drugs-use', 'drugs-trade', 'alcohol',
		'exploitation', 'sexting', 'street-culture', 'polarisation', 'nuisance',
		'vandalism', 'crime', 'other')),
	note TEXT NOT NULL,
	source TEXT,
	location TEXT NOT NULL DEFAULT 'in' CHECK (location IN ('in', 'around')),
	severity TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high')),
	pupil_id TEXT,
	basis TEXT,
	parents_informed INTEGER CHECK (parents_informed IN (0, 1)),
	not_informed_reason TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX signal_pupil ON signal(pupil_id);
CREATE INDEX signal_theme_seen ON signal(theme, seen_at);

CREATE TABLE trend (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT NOT NULL,
	theme TEXT NOT NULL,
	period TEXT NOT NULL,
	level TEXT NOT NULL CHECK (level IN ('rising', 'stable', 'falling')),
	note TEXT,
	created_at TEXT NOT NULL
);

CREATE TABLE meeting (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('thematic', 'case', 'steering', 'evaluation')),
	date TEXT NOT NULL,
	roles TEXT,
	minutes TEXT,
	case_id TEXT,
	created_at TEXT NOT NULL
);

CREATE TABLE case_file (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT NOT NULL,
	pupil_id TEXT NOT NULL,
	signals TEXT NOT NULL DEFAULT '',
	roles TEXT NOT NULL DEFAULT '',
	lead_role TEXT,
	status TEXT NOT NULL DEFAULT 'reported' CHECK (status IN ('reported', 'discussed',
		'in-progress', 'monitoring', 'closed', 'escalated')),
	escalation_target TEXT,
	basis TEXT,
	opened_at TEXT NOT NULL,
	closed_at TEXT
);
CREATE INDEX case_pupil ON case_file(pupil_id);

CREATE TABLE agreement (
	id TEXT PRIMARY KEY NOT NULL,
	origin TEXT NOT NULL,
	case_id TEXT,
	meeting_id TEXT,
	owner_role TEXT NOT NULL,
	action TEXT NOT NULL,
	due_date TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
	feedback TEXT,
	done_at TEXT,
	created_at TEXT NOT NULL,
	CHECK ((case_id IS NULL) <> (meeting_id IS NULL))
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
