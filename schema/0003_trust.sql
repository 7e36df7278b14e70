-- 0003_trust.sql - what a node has verified of its hub (local, never synced).
--
-- `meta` holds the hub remote, the pinned root key id, and the registry
-- commit and version last verified; the registry's nodes and its covenant
-- are copied here only after every signature checked out (sync/trust.c).

CREATE TABLE meta (
	key TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
);

CREATE TABLE reg_node (
	node_id TEXT PRIMARY KEY NOT NULL,
	kind TEXT NOT NULL,
	role TEXT NOT NULL,
	name TEXT NOT NULL,
	minisign_pubkey TEXT NOT NULL,
	age_recipient TEXT NOT NULL,
	enrolled_at TEXT NOT NULL,
	revoked_at TEXT,
	last_seq INTEGER
);

CREATE TABLE reg_covenant (
	version INTEGER PRIMARY KEY NOT NULL,
	text TEXT NOT NULL,
	registry_version INTEGER NOT NULL,
	installed_at TEXT NOT NULL
);
