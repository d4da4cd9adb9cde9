-- 015_user_emails.sql: filters find the e-mail a user is shown with.
--
-- A user the provider gave no `emails` (made natively, or by a SCIM create
-- without them) is shown with its sign-in address as its one work e-mail
-- (src/api/scim_users.c, user_tree); a placeholder address under
-- no-email.invalid (users.h, USER_NO_EMAIL_DOMAIN) is never shown. Filters on
-- emails read the same list, so `emails[type eq "work"].value eq …` finds a
-- user by the address GET shows, and an IdP matching by e-mail finds the
-- account instead of creating a second one.

-- The e-mails a user is shown with. Plain SQL and STABLE, as jsonb_build_*
-- are: inlined where used (an IMMUTABLE body calling them would not be).
CREATE FUNCTION gatehouse.user_emails(p_emails jsonb, p_email text) RETURNS jsonb
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT CASE WHEN p_emails = '[]'::jsonb AND coalesce(p_email, '') <> ''
	    AND lower(p_email) NOT LIKE '%@no-email.invalid'
	    THEN jsonb_build_array(jsonb_build_object('value', p_email, 'type', 'work', 'primary', true))
	    ELSE p_emails END $$;
GRANT EXECUTE ON FUNCTION gatehouse.user_emails(jsonb, text) TO gatehouse_service;

-- As in 009, and the sign-in address of a user with no provider e-mails
-- (through users_email_key, (org_id, email_lc)).
CREATE OR REPLACE FUNCTION gatehouse.user_ids_email_value(p_value text) RETURNS SETOF bigint
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = gatehouse, pg_temp
	AS $$
	SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()
	    AND status <> 'removed' AND gatehouse.values_lc(emails) @> ARRAY[p_value]
	UNION ALL
	SELECT id FROM gatehouse.users WHERE org_id = gatehouse.current_org()
	    AND status <> 'removed' AND email_lc = p_value COLLATE "C" AND emails = '[]'::jsonb
	    AND p_value NOT LIKE '%@no-email.invalid'
	$$;
