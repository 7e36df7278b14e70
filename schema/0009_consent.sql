-- 0009_consent.sql - what this node approved (docs/governance.md): the
-- covenant versions that govern its data and the nodes that may receive it.
-- Local, never synced as rows; sync/consent.c alone reads and writes it, and
-- every approval travels in the signed header of this node's next bundle
-- (`approves`, vios-bundle-2), where the auditor reads it.
--
-- kind 'covenant': subject is the version (decimal); kind 'node': a node id.
-- how: 'join' (what the registry held when this node joined), 'approve'
-- (vios covenant approve), 'publish' (the hub's own publication),
-- 'restore' (read back from this node's own bundles), 'upgrade' (below).
-- published_seq: the own bundle whose header carries it; NULL until sealed.
-- forward_due: 1 for a node approved after this node joined, until the next
-- export has sent it the current state of this node's records it may hold.
--
-- A store that joined before this migration sealed under the registry it
-- held: that is taken as approved (how 'upgrade'), so an upgrade stops
-- nothing that flowed before; anything enrolled after it waits.
CREATE TABLE consent (
	kind TEXT NOT NULL CHECK (kind IN ('covenant', 'node')),
	subject TEXT NOT NULL,
	approved_at TEXT NOT NULL,
	how TEXT NOT NULL CHECK (how IN ('join', 'approve', 'publish', 'restore', 'upgrade')),
	published_seq INTEGER,
	forward_due INTEGER NOT NULL DEFAULT 0 CHECK (forward_due IN (0, 1)),
	PRIMARY KEY (kind, subject)
) WITHOUT ROWID;

INSERT INTO consent(kind, subject, approved_at, how)
	SELECT 'covenant', CAST(max(version) AS TEXT), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'upgrade'
	FROM reg_covenant HAVING count(*) > 0;
INSERT INTO consent(kind, subject, approved_at, how)
	SELECT 'node', node_id, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'upgrade' FROM reg_node
	WHERE coalesce(revoked_at, '') = '';
-- (the node's own row is among them: sync/consent.c never addresses or publishes it)
