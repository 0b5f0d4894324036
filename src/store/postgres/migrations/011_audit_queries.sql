-- Pages and the API read the audit trail by target (an account's history) and by type (a
-- directory's recent failures), a page at a time, instead of fetching a partner's whole trail.
CREATE INDEX audit_by_target ON audit_events (partner_id, (event->>'target'), seq);
CREATE INDEX audit_by_type ON audit_events (type, seq);
-- On a large trail the build takes a while and holds audit writes meanwhile: run the upgrade in
-- a quiet hour (docs/deploy.md).
