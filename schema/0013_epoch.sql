-- 0013_epoch.sql - epoch keys: forward secrecy of history (local, never
-- synced). See sync/epoch.h and docs/formats.md, "Epoch keys".

-- This node's own epochs, 1, 2, ... (epoch 0 is the identity's age key in
-- identity.sec). sk is the X25519 secret, NULL once destroyed; the store
-- runs secure_delete, and destroying checkpoints the WAL. published_seq is
-- the own bundle whose signed header announced the epoch (NULL until one did),
-- announced_at when it was sealed: the grace of the epochs before it counts
-- from then (sync/epoch.h).
CREATE TABLE epoch_key (
	n INTEGER PRIMARY KEY NOT NULL CHECK (n >= 1),
	pk BLOB NOT NULL CHECK (length(pk) = 32),
	sk BLOB CHECK (sk IS NULL OR length(sk) = 32),
	started_at TEXT NOT NULL,
	ended_at TEXT,
	destroyed_at TEXT,
	published_seq INTEGER,
	announced_at TEXT
);

-- Epoch 0's fate (the identity's age key): one row once it ended or was
-- destroyed (identity.sec then holds 32 zero bytes in its place).
CREATE TABLE epoch_zero (
	id INTEGER PRIMARY KEY CHECK (id = 0),
	ended_at TEXT NOT NULL,
	destroyed_at TEXT
);

-- Every epoch another node announced in a verified bundle header (also
-- bundles not addressed to this node): senders seal to a node's latest.
CREATE TABLE peer_epoch (
	node_id TEXT NOT NULL,
	n INTEGER NOT NULL CHECK (n >= 1),
	recipient BLOB NOT NULL CHECK (length(recipient) = 32),
	since TEXT NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (node_id, n)
);
