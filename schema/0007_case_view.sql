-- 0007_case_view.sql - which roles have been sent each case this node owns
-- (docs/architecture.md, "Sharing"). Local, never synced; only
-- src/store/caseview.c reads and writes it.
--
-- Ops are sealed to the roles a case has when they are exported, so a role
-- added later has missed everything before, and a role taken off would
-- never learn it was. After every export a row (case_id, role) is kept for
-- each role in the roles of each case the node owns; the next export
-- compares: a role in the case's roles without a row is sent the case's
-- current state, a row whose role left the roles is sent the op that took
-- it off and is dropped.
--
-- role '' stands for the case itself: recorded by the first export that
-- saw the case, so a case whose roles were empty then (or that only has
-- roles added afterwards) is not taken for a case exported for the first
-- time. `since` is when the role was recorded (UTC, ISO 8601).
--
-- Cases held when this migration runs were exported under the old rule (each
-- op to the roles of its case then): their roles now are taken as sent, so an
-- upgrade does not send every case again. Cases made by other nodes are
-- dropped again by the first export (vios_caseview_prune).
CREATE TABLE case_view (
	case_id TEXT NOT NULL,
	role TEXT NOT NULL,
	since TEXT NOT NULL,
	PRIMARY KEY (case_id, role)
) WITHOUT ROWID;

WITH RECURSIVE split(case_id, item, rest) AS (
	SELECT id, '', coalesce(roles, '') || ',' FROM case_file
	UNION ALL
	SELECT case_id, trim(substr(rest, 1, instr(rest, ',') - 1)), substr(rest, instr(rest, ',') + 1)
	FROM split WHERE rest <> ''
)
INSERT OR IGNORE INTO case_view(case_id, role, since)
SELECT case_id, item, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM split;
