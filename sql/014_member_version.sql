-- 014_member_version.sql: a change of membership is a change to the member.
--
-- A user's representation lists its groups (SCIM's "groups"), so adding a user
-- to a group or taking it out changes the user as much as the group: both
-- versions step, both lastModified move, and an ETag read before the change
-- no longer matches (RFC 7644 §3.14). Still one statement-level trigger, one
-- step per user and statement however many groups the statement touched.
-- A role or access change inside a group (UPDATE) is the group's alone.
CREATE OR REPLACE FUNCTION gatehouse.group_members_changed() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		UPDATE gatehouse.groups g SET version = g.version + 1, updated_at = now()
		WHERE (g.org_id, g.id) IN (SELECT DISTINCT org_id, group_id FROM gone);
		UPDATE gatehouse.users u SET version = u.version + 1, updated_at = now()
		WHERE (u.org_id, u.id) IN (SELECT DISTINCT org_id, user_id FROM gone);
		RETURN NULL;
	END IF;
	UPDATE gatehouse.groups g SET version = g.version + 1, updated_at = now()
	WHERE (g.org_id, g.id) IN (SELECT DISTINCT org_id, group_id FROM came);
	IF TG_OP = 'INSERT' THEN
		UPDATE gatehouse.users u SET version = u.version + 1, updated_at = now()
		WHERE (u.org_id, u.id) IN (SELECT DISTINCT org_id, user_id FROM came);
	END IF;
	RETURN NULL;
END $$;
