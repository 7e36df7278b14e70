-- 0004_bundles.sql - bundles this node sealed and the chains it follows
-- (local, never synced). See sync/bundle.c and docs/formats.md.

-- This node's own bundles, seq 1, 2, ... A bundle is written here, bytes and
-- all, in the same transaction that seals its ops; it is then committed to
-- refs/heads/nodes/<id> of the outbox repository and `committed` is set
-- (the bytes are dropped then). A crash between the two steps leaves a row
-- with committed = 0 that the next export or sync commits first, so a seq is
-- never sealed twice with different content.
CREATE TABLE outbox (
	seq INTEGER PRIMARY KEY NOT NULL,
	hash TEXT NOT NULL,
	header TEXT NOT NULL,
	age BLOB,
	sig TEXT,
	committed INTEGER NOT NULL DEFAULT 0,
	pushed INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);

-- Every sender's chain as this node has verified it.
CREATE TABLE peer (
	node_id TEXT PRIMARY KEY NOT NULL,
	last_seq INTEGER NOT NULL,
	last_hash TEXT NOT NULL
);

-- Every bundle this node verified: applied, skipped (not addressed to it).
CREATE TABLE bundle_seen (
	sender TEXT NOT NULL,
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('applied', 'skipped')),
	header TEXT NOT NULL,
	seen_at TEXT NOT NULL,
	PRIMARY KEY (sender, seq)
);

-- Verified bundles that came before the seq they follow; applied in order
-- when the gap fills.
CREATE TABLE held (
	sender TEXT NOT NULL,
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL,
	age BLOB NOT NULL,
	sig TEXT NOT NULL,
	held_at TEXT NOT NULL,
	PRIMARY KEY (sender, seq)
);
