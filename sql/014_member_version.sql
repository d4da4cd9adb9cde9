-- 014_member_version.sql: a change of membership is a change to the member.
--
-- A user's representation lists its groups (SCIM's "groups"), so adding a user
-- to a group or taking it out changes the user as much as the group: both
-- versions step, both lastModified move, and an ETag read before the change
-- no longer matches (RFC 7644 §3.14). Still one statement-level trigger, one
-- step per user and statement however many groups the statement touched.
-- A role or access change inside a group (UPDATE) is the group's alone, and
-- so are a rename and the group's deletion (members show a group's name, but
-- either would rewrite every member of a large group: ~0.2 ms a member on the
-- bench's million users, so deleting a group of 100,000 would outlast the
-- request; docs/scim.md says so). What a request changes member by member is
-- bounded by its body.
--
-- The members' rows are locked in id order before they are updated: two
-- statements on overlapping members (an IdP syncing groups in parallel) then
-- wait for each other instead of deadlocking (as userattrs.c orders its locks).
CREATE OR REPLACE FUNCTION gatehouse.group_members_changed() RETURNS trigger
	LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		UPDATE gatehouse.groups g SET version = g.version + 1, updated_at = now()
		WHERE (g.org_id, g.id) IN (SELECT DISTINCT org_id, group_id FROM gone);
		-- Members taken out of a group that is still there (not its deletion).
		PERFORM 1 FROM gatehouse.users u
		WHERE (u.org_id, u.id) IN (SELECT o.org_id, o.user_id FROM gone o WHERE EXISTS
		    (SELECT 1 FROM gatehouse.groups g WHERE g.org_id = o.org_id AND g.id = o.group_id))
		ORDER BY u.org_id, u.id FOR NO KEY UPDATE;
		UPDATE gatehouse.users u SET version = u.version + 1, updated_at = now()
		WHERE (u.org_id, u.id) IN (SELECT o.org_id, o.user_id FROM gone o WHERE EXISTS
		    (SELECT 1 FROM gatehouse.groups g WHERE g.org_id = o.org_id AND g.id = o.group_id));
		RETURN NULL;
	END IF;
	UPDATE gatehouse.groups g SET version = g.version + 1, updated_at = now()
	WHERE (g.org_id, g.id) IN (SELECT DISTINCT org_id, group_id FROM came);
	IF TG_OP = 'INSERT' THEN
		PERFORM 1 FROM gatehouse.users u
		WHERE (u.org_id, u.id) IN (SELECT org_id, user_id FROM came)
		ORDER BY u.org_id, u.id FOR NO KEY UPDATE;
		UPDATE gatehouse.users u SET version = u.version + 1, updated_at = now()
		WHERE (u.org_id, u.id) IN (SELECT DISTINCT org_id, user_id FROM came);
	END IF;
	RETURN NULL;
END $$;
