-- 0008_access_log_chain.sql - the access log becomes a hash chain
-- (docs/formats.md, "Access log chain", vios-access-log-1). Local, never
-- synced; only src/store/store.c reads and writes access_log.
--
-- Each entry stores hash = h_k, 64 lowercase hex digits of the BLAKE2b-256 of
-- the previous entry's hash (32 zero bytes before the first) and the entry's
-- own fields. vios_store_log, the one writer, computes it in the transaction
-- that appends the entry. The entries a store already holds when this
-- migration runs are chained by the store right after this SQL, in seq order,
-- in the same transaction (store.c, migration_step): the chain starts at the
-- store's first entry, not at the upgrade.
--
-- The update trigger is replaced by one that lets exactly that happen: a
-- hash may be set once on an entry that has none, nothing else changes; an
-- entry is never inserted without its hash. Deleting stays refused.
--
-- access_log_id holds the log's id: 16 random bytes as 32 lowercase hex
-- digits, made once, here, for a new store as for an upgraded one. It goes
-- with the head into every bundle: a store copied back from an old copy
-- keeps it (its log went back), a store made anew (vios init, a restore)
-- has another (a new log, not a rollback).
ALTER TABLE access_log ADD COLUMN hash TEXT
	CHECK (hash IS NULL OR (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'));
DROP TRIGGER access_log_no_update;
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
WHEN OLD.hash IS NOT NULL OR NEW.hash IS NULL OR NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at
	OR NEW.node_id IS NOT OLD.node_id OR NEW.os_user IS NOT OLD.os_user OR NEW.action IS NOT OLD.action
	OR NEW.tbl IS NOT OLD.tbl OR NEW.record_id IS NOT OLD.record_id OR NEW.why IS NOT OLD.why
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER access_log_hashed BEFORE INSERT ON access_log WHEN NEW.hash IS NULL
BEGIN SELECT RAISE(ABORT, 'an access log entry is written with its hash (vios_store_log)'); END;
CREATE TABLE access_log_id (id TEXT NOT NULL CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'));
INSERT INTO access_log_id(id) VALUES (lower(hex(randomblob(16))));
CREATE TRIGGER access_log_id_once BEFORE INSERT ON access_log_id
BEGIN SELECT RAISE(ABORT, 'the access log has one id'); END;
CREATE TRIGGER access_log_id_no_update BEFORE UPDATE ON access_log_id
BEGIN SELECT RAISE(ABORT, 'the access log has one id'); END;
CREATE TRIGGER access_log_id_no_delete BEFORE DELETE ON access_log_id
BEGIN SELECT RAISE(ABORT, 'the access log has one id'); END;
