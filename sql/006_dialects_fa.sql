-- 006_dialects_fa.sql: what the Faction and AttackForge dialects need of the
-- core that it did not hold yet.
--
-- 1. users.mfa_required: whether the user must sign in with a second factor
--    (AttackForge's per-user `mfa` Yes/No). Enrolled factors are
--    totp_credentials and webauthn_credentials; this is the requirement.
-- 2. group_members.access: the member's access to the group's projects
--    (AttackForge's View/Upload/Edit), beside the membership's role; and
--    updated_at, when the role or the access last changed.

ALTER TABLE gatehouse.users
	ADD COLUMN mfa_required boolean NOT NULL DEFAULT false;

ALTER TABLE gatehouse.group_members
	ADD COLUMN access text NOT NULL DEFAULT 'view' CHECK (access IN ('view', 'upload', 'edit')),
	ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- Existing memberships last changed when they were made.
UPDATE gatehouse.group_members SET updated_at = created_at;

-- Every read of a user asks whether it has a WebAuthn credential; without an
-- index on the user that was a scan of the org's credentials per user read
-- (0.08 ms a row in a 1,000-user bulk create's answer, with none stored).
CREATE INDEX webauthn_credentials_user_idx ON gatehouse.webauthn_credentials (org_id, user_id);
