"""test_users.py: the user domain through the native API — lifecycle, rules, lists, concurrency, audit."""
import threading
import urllib.parse

from gh import ctl, expect, get, make_key, make_org, make_user, psql, request, unique, update

PW = "correct horse battery staple"


class Org:
    """A fresh org with one key per access level."""

    def __init__(self):
        self.name, self.id = make_org()
        self.keys = {}
        for level in ("guest", "user", "admin", "super"):
            email = make_user(self.name, level)
            self.keys[level] = make_key(self.name, email)
        self.super_email = None

    def call(self, method, path, level="admin", **kw):
        return request(method, path, key=self.keys[level], **kw)

    def create(self, level="admin", **fields):
        fields.setdefault("email", f"{unique('u')}@example.com")
        if "password" not in fields and not fields.get("invite") and \
                fields.get("auth_method", "local") == "local":
            fields["password"] = PW
        return self.call("POST", "/api/v1/users", level, json=fields)


def q(v):
    return urllib.parse.quote(v, safe="")


# --- create ----------------------------------------------------------------

def test_create_with_password_is_active_with_location_and_etag():
    o = Org()
    r = expect(o.create(first_name="Ada", last_name="Lovelace"), 201)
    u = r.json()
    assert u["status"] == "active" and u["has_password"] is True
    assert u["first_name"] == "Ada" and u["access_level"] == "user" and u["version"] == 1
    assert r.headers["location"] == f"/api/v1/users/{u['uid']}"
    assert r.headers["etag"] == '"1"'
    assert u["username"] == u["email"], "username defaults to the e-mail"


def test_create_invite_is_pending_with_hashed_token_and_queued_mail():
    o = Org()
    u = expect(o.create(invite=True), 201).json()
    assert u["status"] == "pending" and u["invited_at"]
    rc, out, _ = psql(f"SELECT purpose, length(digest), used_at IS NULL FROM gatehouse.tokens t "
                      f"JOIN gatehouse.users u ON u.org_id = t.org_id AND u.id = t.user_id "
                      f"WHERE u.uid = '{u['uid']}'", tenant=o.id)
    assert (rc, out) == (0, "registration|32|t")
    # The link's raw token waits in the row until the stack's mailer sends it, then leaves.
    rc, out, _ = psql(f"SELECT template, CASE WHEN sent_at IS NULL THEN payload->>'token' LIKE 'gt\\_%' "
                      f"ELSE NOT payload ? 'token' END FROM gatehouse.outbox "
                      f"WHERE to_addr = '{u['email']}'", tenant=o.id)
    assert (rc, out) == (0, "registration|t")


def test_create_invite_without_mail_queues_nothing():
    o = Org()
    u = expect(o.create(invite=True, send_email=False), 201).json()
    rc, out, _ = psql(f"SELECT count(*) FROM gatehouse.outbox WHERE to_addr = '{u['email']}'",
                      tenant=o.id)
    assert (rc, out) == (0, "0")


def test_create_external_auth_has_no_password():
    o = Org()
    u = expect(o.create(auth_method="saml"), 201).json()
    assert u["status"] == "active" and u["has_password"] is False and u["auth_method"] == "saml"


def test_external_auth_with_password_is_refused():
    o = Org()
    r = expect(o.create(auth_method="sso", password=PW), 400)
    assert r.json()["field"] == "password"


def test_local_account_needs_password_or_invite():
    o = Org()
    r = expect(o.call("POST", "/api/v1/users", json={"email": "x@example.com"}), 400)
    assert r.json()["field"] == "password"


def test_weak_passwords_are_refused_naming_the_rule():
    o = Org()
    email = f"{unique('w')}@example.com"
    for pw, words in (("short", "at least 12"), ("x" * 257, "at most 256"),
                      (email, "e-mail"), ("password1234", "common")):
        r = expect(o.create(email=email, password=pw), 400)
        assert r.json()["field"] == "password"
        assert words in r.json()["detail"], (pw, r.json())
    expect(get(f"/api/v1/users/by-email/{q(email)}", key=o.keys["admin"]), 404)


def test_invalid_fields_are_400_naming_the_field_and_change_nothing():
    o = Org()
    cases = {"email": "nope", "employee_type": "robot", "start_date": "2024-02-30",
             "in_audit_scope": "maybe", "access_level": "root", "roles": ["Not A Role"],
             "team": "no-such-team", "auth_method": "kerberos"}
    for field, value in cases.items():
        body = {"email": f"{unique('i')}@example.com", "password": PW, field: value}
        r = expect(o.call("POST", "/api/v1/users", json=body), 400)
        assert r.json()["field"] == field, (field, r.json())
    rc, out, _ = psql("SELECT count(*) FROM gatehouse.users WHERE email LIKE 'i%'", tenant=o.id)
    assert (rc, out) == (0, "0")


def test_unknown_field_is_refused():
    o = Org()
    r = expect(o.create(favourite_colour="blue"), 400)
    assert r.json()["field"] == "favourite_colour"


def test_form_bodies_work_like_json():
    o = Org()
    email = f"{unique('f')}@example.com"
    u = expect(o.call("POST", "/api/v1/users", form={"email": email, "password": PW,
                                                     "first_name": "Form", "roles": ["assessor", "client"]}),
               201).json()
    assert u["first_name"] == "Form" and sorted(u["roles"]) == ["assessor", "client"]


# --- uniqueness --------------------------------------------------------------

def test_username_and_email_are_unique_case_insensitively_and_keep_their_case():
    o = Org()
    u = expect(o.create(email="Mixed.Case@Example.com", username="MixedCase"), 201).json()
    assert u["email"] == "Mixed.Case@Example.com" and u["username"] == "MixedCase"
    r = expect(o.create(email="mixed.case@example.COM", username="other"), 409)
    assert r.json()["field"] == "email"
    r = expect(o.create(email="another@example.com", username="MIXEDCASE"), 409)
    assert r.json()["field"] == "username"
    assert get("/api/v1/users/by-username/mixedcase", key=o.keys["admin"]).json()["uid"] == u["uid"]
    assert get(f"/api/v1/users/by-email/{q('MIXED.case@example.com')}",
               key=o.keys["admin"]).json()["uid"] == u["uid"]


def test_same_names_in_two_orgs_do_not_collide():
    a, b = Org(), Org()
    expect(a.create(email="same@example.com"), 201)
    expect(b.create(email="same@example.com"), 201)


def test_concurrent_creates_of_one_username_have_exactly_one_winner():
    o = Org()
    name = unique("race")
    results = []

    def go(i):
        results.append(o.create(username=name, email=f"{name}{i}@example.com",
                                auth_method="sso").status)
    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201] + [409] * 7, results


# --- read, update, remove ------------------------------------------------------

def test_get_by_uid_id_username_and_email():
    o = Org()
    u = expect(o.create(username=unique("g")), 201).json()
    for path in (f"/api/v1/users/{u['uid']}", f"/api/v1/users/by-id/{u['id']}",
                 f"/api/v1/users/by-username/{q(u['username'])}",
                 f"/api/v1/users/by-email/{q(u['email'])}"):
        assert expect(get(path, key=o.keys["admin"]), 200).json()["uid"] == u["uid"]


def test_unknown_or_malformed_user_is_404():
    o = Org()
    for path in ("/api/v1/users/00000000-0000-0000-0000-000000000000", "/api/v1/users/not-a-uuid",
                 "/api/v1/users/by-id/0", "/api/v1/users/by-id/abc"):
        expect(get(path, key=o.keys["admin"]), 404)


def test_partial_update_changes_only_what_is_sent():
    o = Org()
    u = expect(o.create(first_name="A", last_name="B", title="T"), 201).json()
    r = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"first_name": "C"}), 200)
    v = r.json()
    assert (v["first_name"], v["last_name"], v["title"]) == ("C", "B", "T")
    assert v["version"] == 2 and r.headers["etag"] == '"2"'


def test_nullable_fields_clear_with_null():
    o = Org()
    u = expect(o.create(start_date="2024-01-15"), 201).json()
    assert u["start_date"] == "2024-01-15"
    v = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"start_date": None}), 200).json()
    assert v["start_date"] is None
    r = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"email": None}), 400)
    assert r.json()["field"] == "email"


def test_stale_if_match_is_412_and_changes_nothing():
    o = Org()
    u = expect(o.create(first_name="A"), 201).json()
    expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"first_name": "B"},
                  headers={"If-Match": '"1"'}), 200)
    expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"first_name": "C"},
                  headers={"If-Match": '"1"'}), 412)
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}", headers={"If-Match": '"1"'}), 412)
    assert get(f"/api/v1/users/{u['uid']}", key=o.keys["admin"]).json()["first_name"] == "B"
    expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"first_name": "C"},
                  headers={"If-Match": "garbage"}), 400)


def test_concurrent_updates_with_one_if_match_have_exactly_one_winner():
    o = Org()
    u = expect(o.create(), 201).json()
    results = []

    def go(i):
        results.append(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"title": f"t{i}"},
                              headers={"If-Match": '"1"'}).status)
    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [412] * 7, results


def test_removed_user_is_hidden_and_frees_its_names_and_its_keys_stop():
    o = Org()
    email = f"{unique('rm')}@example.com"
    ctl("user", "create", "--org", o.name, "--email", email, "--username", "removable")
    key = make_key(o.name, email)
    expect(get("/api/v1/me", key=key), 200)
    uid = get(f"/api/v1/users/by-email/{q(email)}", key=o.keys["admin"]).json()["uid"]
    expect(o.call("DELETE", f"/api/v1/users/{uid}"), 204)
    expect(get(f"/api/v1/users/{uid}", key=o.keys["admin"]), 404)
    expect(get("/api/v1/me", key=key), 401)
    again = expect(o.create(email=email, username="removable"), 201).json()
    assert again["uid"] != uid
    rc, out, _ = psql(f"SELECT status FROM gatehouse.users WHERE uid = '{uid}'", tenant=o.id)
    assert (rc, out) == (0, "removed"), "kept for audit"


def test_remove_leaves_groups_and_deletes_policies_assigned_only_to_the_user():
    o = Org()
    u = expect(o.create(), 201).json()
    other = expect(o.create(), 201).json()
    sql = f"""
        INSERT INTO gatehouse.groups (org_id, key, name) VALUES ({o.id}, 'g1', 'G1');
        INSERT INTO gatehouse.group_members (org_id, group_id, user_id)
            SELECT {o.id}, g.id, {u['id']} FROM gatehouse.groups g WHERE g.key = 'g1';
        INSERT INTO gatehouse.policies (org_id, name) VALUES ({o.id}, 'only-mine'), ({o.id}, 'shared');
        INSERT INTO gatehouse.policy_assignments (org_id, policy_id, user_id)
            SELECT {o.id}, p.id, x.uid FROM gatehouse.policies p,
                (VALUES ({u['id']}::bigint)) x(uid) WHERE p.name IN ('only-mine', 'shared');
        INSERT INTO gatehouse.policy_assignments (org_id, policy_id, user_id)
            SELECT {o.id}, p.id, {other['id']} FROM gatehouse.policies p WHERE p.name = 'shared'"""
    rc, _, err = psql(sql, tenant=o.id)
    assert rc == 0, err
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}"), 204)
    rc, out, _ = psql("SELECT string_agg(name, ',' ORDER BY name) FROM gatehouse.policies", tenant=o.id)
    assert out == "shared"
    rc, out, _ = psql("SELECT count(*) FROM gatehouse.group_members", tenant=o.id)
    assert out == "0"


# --- status ----------------------------------------------------------------------

def _uid_and_key(o, level="user"):
    email = make_user(o.name, level)
    key = make_key(o.name, email)
    uid = get(f"/api/v1/users/by-email/{q(email)}", key=o.keys["super"]).json()["uid"]
    return uid, key


def test_disable_and_enable_switch_access_at_once():
    o = Org()
    uid, key = _uid_and_key(o)
    v = expect(o.call("POST", f"/api/v1/users/{uid}/disable"), 200).json()
    assert v["status"] == "disabled" and v["disabled_reason"] == "admin"
    assert v["summary_email"] is False
    expect(get("/api/v1/me", key=key), 401)
    v = expect(o.call("POST", f"/api/v1/users/{uid}/enable"), 200).json()
    assert v["status"] == "active" and v["disabled_reason"] is None and v["summary_email"] is True
    expect(get("/api/v1/me", key=key), 200)


def test_disable_for_inactivity_records_the_reason():
    o = Org()
    uid, _ = _uid_and_key(o)
    v = expect(o.call("POST", f"/api/v1/users/{uid}/disable", json={"reason": "inactivity"}), 200).json()
    assert v["disabled_reason"] == "inactivity"
    r = expect(o.call("POST", f"/api/v1/users/{uid}/disable", json={"reason": "whim"}), 400)
    assert r.json()["field"] == "reason"


def test_suspend_and_unsuspend():
    o = Org()
    uid, key = _uid_and_key(o)
    assert expect(o.call("POST", f"/api/v1/users/{uid}/suspend"), 200).json()["status"] == "suspended"
    expect(get("/api/v1/me", key=key), 401)
    expect(o.call("POST", f"/api/v1/users/{uid}/enable"), 409)
    assert expect(o.call("POST", f"/api/v1/users/{uid}/unsuspend"), 200).json()["status"] == "active"
    expect(get("/api/v1/me", key=key), 200)


def test_repeating_a_transition_is_a_no_op_without_audit():
    o = Org()
    uid, _ = _uid_and_key(o)
    expect(o.call("POST", f"/api/v1/users/{uid}/disable"), 200)
    v = expect(o.call("POST", f"/api/v1/users/{uid}/disable"), 200).json()
    assert v["status"] == "disabled"
    rc, out, _ = psql(f"SELECT count(*) FROM gatehouse.audit_events WHERE action = 'user.disable' "
                      f"AND target_id = '{uid}'", tenant=o.id)
    assert out == "1"


def test_unlock_clears_lockout_reenables_and_can_reset_inactivity():
    o = Org()
    uid, _ = _uid_and_key(o)
    update(f"UPDATE gatehouse.users SET failed_logins = 5, locked_until = now() + interval '1 hour' "
           f"WHERE uid = '{uid}'", 1, tenant=o.id)
    assert get(f"/api/v1/users/{uid}", key=o.keys["super"]).json()["locked_until"], "locked before unlock"
    expect(o.call("POST", f"/api/v1/users/{uid}/disable", json={"reason": "inactivity"}), 200)
    v = expect(o.call("POST", f"/api/v1/users/{uid}/unlock", json={"reset_inactivity": True}), 200).json()
    assert v["status"] == "active" and v["locked_until"] is None and v["last_login_at"]


# --- levels and roles --------------------------------------------------------------

def test_only_super_grants_admin_or_super():
    o = Org()
    r = expect(o.create(level="admin", access_level="admin"), 403)
    assert r.json()["field"] == "access_level"
    u = expect(o.create(level="super", access_level="admin"), 201).json()
    expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", "admin", json={"access_level": "user"}), 403)
    v = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", "super", json={"access_level": "user"}), 200)
    assert v.json()["access_level"] == "user"


def test_admin_cannot_change_a_super():
    o = Org()
    u = expect(o.create(level="super", access_level="super"), 201).json()
    expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", "admin", json={"title": "x"}), 403)
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/disable", "admin"), 403)
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}", "admin"), 403)


def test_the_last_super_cannot_be_demoted_disabled_or_removed():
    name, _ = make_org()
    email = make_user(name, "super")
    key = make_key(name, email)
    uid = get(f"/api/v1/users/by-email/{q(email)}", key=key).json()["uid"]
    for method, path, body in (("PATCH", f"/api/v1/users/{uid}", {"access_level": "admin"}),
                               ("POST", f"/api/v1/users/{uid}/disable", None),
                               ("POST", f"/api/v1/users/{uid}/suspend", None),
                               ("DELETE", f"/api/v1/users/{uid}", None)):
        r = expect(request(method, path, key=key, json=body), 409)
        assert "last super" in r.json()["detail"]
    second = expect(request("POST", "/api/v1/users", key=key,
                            json={"email": f"{unique('s')}@example.com", "password": PW,
                                  "access_level": "super"}), 201).json()
    expect(request("PATCH", f"/api/v1/users/{uid}", key=key, json={"access_level": "admin"}), 200)
    r = expect(request("DELETE", f"/api/v1/users/{second['uid']}", key=key), 403)


def test_roles_come_from_the_catalogue_and_admin_role_grants_admin():
    o = Org()
    u = expect(o.create(roles=["assessor", "manager"]), 201).json()
    assert sorted(u["roles"]) == ["assessor", "manager"] and u["access_level"] == "user"
    expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", "admin", json={"roles": ["admin"]}), 403)
    v = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", "super", json={"roles": ["admin"]}), 200).json()
    assert v["roles"] == ["admin"] and v["access_level"] == "admin"
    v = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", "super", json={"roles": []}), 200).json()
    assert v["roles"] == []
    r = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"roles": ["wizard"]}), 400)
    assert r.json()["field"] == "roles"


# --- authorization matrix -------------------------------------------------------------

def test_user_routes_need_admin_and_stay_in_their_org():
    o, other = Org(), Org()
    u = expect(o.create(), 201).json()
    routes = [("GET", "/api/v1/users", None), ("POST", "/api/v1/users", {"email": "m@example.com"}),
              ("GET", f"/api/v1/users/{u['uid']}", None),
              ("PATCH", f"/api/v1/users/{u['uid']}", {"title": "x"}),
              ("POST", f"/api/v1/users/{u['uid']}/disable", None),
              ("DELETE", f"/api/v1/users/{u['uid']}", None)]
    for method, path, body in routes:
        expect(request(method, path, json=body), 401)
        for level in ("guest", "user"):
            expect(o.call(method, path, level, json=body), 403)
        if "/users/" in path:
            expect(other.call(method, path, "super", json=body), 404)
    expect(o.call("GET", f"/api/v1/users/{u['uid']}", "admin"), 200)


# --- passwords -------------------------------------------------------------------------

def test_users_set_their_own_password_and_admins_set_others():
    o = Org()
    u = expect(o.create(), 201).json()
    expect(o.call("PUT", f"/api/v1/users/{u['uid']}/password", json={"password": "another long passphrase"}), 204)
    r = expect(o.call("PUT", "/api/v1/me/password", "user", json={"password": "short"}), 400)
    assert r.json()["field"] == "password"
    expect(o.call("PUT", "/api/v1/me/password", "user", json={"password": "my own long passphrase"}), 204)


def test_changing_your_own_password_needs_the_current_one():
    o = Org()
    first = "my own long passphrase"
    expect(o.call("PUT", "/api/v1/me/password", "user", json={"password": first}), 204)
    r = expect(o.call("PUT", "/api/v1/me/password", "user", json={"password": "a second passphrase"}), 400)
    assert r.json()["field"] == "current_password"
    r = expect(o.call("PUT", "/api/v1/me/password", "user",
                      json={"password": "a second passphrase", "current_password": "wrong guess here"}), 403)
    assert r.json()["field"] == "current_password"
    expect(o.call("PUT", "/api/v1/me/password", "user",
                  json={"password": "a second passphrase", "current_password": first}), 204)


def test_an_empty_or_unchanged_patch_changes_nothing():
    o = Org()
    u = expect(o.create(first_name="Same"), 201).json()
    for body in ({}, {"first_name": "Same"}):
        v = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json=body), 200).json()
        assert v["version"] == 1
    rc, out, _ = psql(f"SELECT count(*) FROM gatehouse.audit_events WHERE action = 'user.update' "
                      f"AND target_id = '{u['uid']}'", tenant=o.id)
    assert out == "0"


def test_booleans_are_strict_everywhere():
    o = Org()
    r = expect(o.create(invite="perhaps"), 400)
    assert r.json()["field"] == "invite"
    r = expect(o.call("POST", "/api/v1/users/bulk", json=[{"email": "b@x.example", "invite": "maybe"}]), 400)
    assert r.json()["field"] == "users[0].invite"
    u = expect(o.call("POST", "/api/v1/users/bulk",
                      json=[{"email": f"{unique('s')}@x.example", "invite": "true", "send_email": 0}]), 201)
    assert u.json()["users"][0]["status"] == "pending"
    expect(o.call("GET", "/api/v1/api-keys?all=yes"), 400)


# --- lists -----------------------------------------------------------------------------

def _seed(o, n, prefix):
    for i in range(n):
        expect(o.create(email=f"{prefix}{i:03d}@list.example", auth_method="sso",
                        department="eng" if i % 2 else "ops"), 201)


def test_list_filters_by_fields_and_q():
    o = Org()
    p = unique("l")
    _seed(o, 6, p)
    r = expect(o.call("GET", "/api/v1/users?department=eng&limit=100"), 200).json()
    assert len(r["users"]) == 3 and all(u["department"] == "eng" for u in r["users"])
    r = expect(o.call("GET", "/api/v1/users?q=" + q(f"email:{p}* AND NOT department:eng")), 200).json()
    assert len(r["users"]) == 3 and all(u["department"] == "ops" for u in r["users"])
    r = expect(o.call("GET", "/api/v1/users?q=" + q("email:*@list.example OR username:nobody")), 200).json()
    assert len(r["users"]) == 6


def test_list_refuses_unknown_fields_and_bad_controls():
    o = Org()
    r = expect(o.call("GET", "/api/v1/users?shoe_size=9"), 400)
    assert r.json()["field"] == "shoe_size"
    for qs, field in (("limit=0", "limit"), ("limit=1001", "limit"), ("limit=%205", "limit"),
                      ("limit=%2B5", "limit"), ("limit=5x", "limit"), ("sort=shoe", "sort"),
                      ("cursor=zzz", "cursor"), ("q=" + q("email:(a"), "q"),
                      ("status=sleeping", "status"), ("created_at=yesterday", "created_at")):
        r = expect(o.call("GET", f"/api/v1/users?{qs}"), 400)
        assert r.json()["field"] == field, (qs, r.json())


def test_cursor_paging_visits_everyone_once_in_order_even_with_inserts():
    o = Org()
    p = unique("c")
    _seed(o, 7, p)
    seen, cursor, pages = [], None, 0
    while True:
        qs = f"q={q('email:' + p + '*')}&sort=email&limit=3" + (f"&cursor={cursor}" if cursor else "")
        r = expect(o.call("GET", f"/api/v1/users?{qs}"), 200).json()
        seen += [u["email"] for u in r["users"]]
        pages += 1
        if pages == 1:
            # A user inserted before the cursor's position does not shift later pages.
            expect(o.create(email=f"{p}000a@list.example", auth_method="sso"), 201)
        cursor = r["next_cursor"]
        if not cursor:
            break
    expected = sorted(f"{p}{i:03d}@list.example" for i in range(7))
    assert [s for s in seen if not s.startswith(f"{p}000a")] == expected
    assert len(seen) == len(set(seen))


def test_descending_created_at_paging():
    o = Org()
    p = unique("d")
    _seed(o, 5, p)
    seen, cursor = [], None
    while True:
        qs = f"q={q('email:' + p + '*')}&sort=-created_at&limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = expect(o.call("GET", f"/api/v1/users?{qs}"), 200).json()
        seen += [u["email"] for u in r["users"]]
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert seen == [f"{p}{i:03d}@list.example" for i in reversed(range(5))]


def test_cursor_from_another_sort_is_refused():
    o = Org()
    _seed(o, 3, unique("x"))
    cur = expect(o.call("GET", "/api/v1/users?sort=email&limit=1"), 200).json()["next_cursor"]
    r = expect(o.call("GET", f"/api/v1/users?sort=username&limit=1&cursor={cur}"), 400)
    assert r.json()["field"] == "cursor"


# --- audit ------------------------------------------------------------------------------

def test_every_mutation_is_audited_without_secrets():
    o = Org()
    u = expect(o.create(first_name="Aud"), 201).json()
    uid = u["uid"]
    expect(o.call("PATCH", f"/api/v1/users/{uid}", json={"first_name": "Audit"}), 200)
    expect(o.call("PUT", f"/api/v1/users/{uid}/password", json={"password": "yet another passphrase"}), 204)
    for op in ("disable", "enable", "suspend", "unsuspend", "unlock"):
        expect(o.call("POST", f"/api/v1/users/{uid}/{op}"), 200)
    expect(o.call("DELETE", f"/api/v1/users/{uid}"), 204)
    rc, out, _ = psql(f"SELECT action FROM gatehouse.audit_events WHERE target_id = '{uid}' ORDER BY id",
                      tenant=o.id)
    assert out.split() == ["user.create", "user.update", "user.password", "user.disable",
                           "user.enable", "user.suspend", "user.unsuspend", "user.unlock",
                           "user.remove"], out
    rc, out, _ = psql(f"SELECT changes::text || actor || request_id FROM gatehouse.audit_events "
                      f"WHERE target_id = '{uid}'", tenant=o.id)
    assert PW not in out and "yet another passphrase" not in out
    rc, out, _ = psql(f"SELECT changes->'first_name'->>'old', changes->'first_name'->>'new' "
                      f"FROM gatehouse.audit_events WHERE target_id = '{uid}' AND action = 'user.update'",
                      tenant=o.id)
    assert out == "Aud|Audit"
    rc, out, _ = psql(f"SELECT changes->'password'->>'changed' FROM gatehouse.audit_events "
                      f"WHERE target_id = '{uid}' AND action = 'user.create'", tenant=o.id)
    assert out == "true"


def test_a_tampered_cursor_is_the_cursors_error():
    import base64
    o = Org()
    for raw in (b"id\na\nabc\n5", b"created_at\na\nDROP TABLE\n5"):
        cur = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        sort = raw.split(b"\n")[0].decode()
        r = expect(o.call("GET", f"/api/v1/users?sort={sort}&cursor={cur}"), 400).json()
        assert r["field"] == "cursor", r


# --- personnel attributes (department id, access role, onboarding, agent, manager) ----------

def test_personnel_attributes_round_trip_and_clear():
    o = Org()
    boss = expect(o.create(first_name="Grace", last_name="Hopper"), 201).json()
    u = expect(o.create(first_name="Ada", last_name="Lovelace", department_id="ENG-7",
                        access_role="Risk Manager", onboarding_status="In_Progress",
                        personnel_status="onboarding", agent_acknowledged_at="2024-02-01T11:00:00+01:00",
                        manager=boss["uid"], employee_type="workspace"), 201).json()
    assert (u["department_id"], u["access_role"], u["onboarding_status"], u["personnel_status"]) == \
        ("ENG-7", "Risk Manager", "in_progress", "onboarding")
    assert u["agent_acknowledged_at"] == "2024-02-01T10:00:00.000Z"
    assert (u["manager"], u["manager_name"], u["name"], u["employee_type"]) == \
        (boss["uid"], "Grace Hopper", "Ada Lovelace", "workspace")
    v = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}",
                      json={"department_id": "", "access_role": None, "onboarding_status": None,
                            "agent_acknowledged_at": None, "manager": ""}), 200).json()
    assert (v["department_id"], v["access_role"], v["onboarding_status"], v["agent_acknowledged_at"],
            v["manager"], v["manager_name"], v["personnel_status"]) == \
        (None, None, None, None, None, None, "onboarding")
    # The change and its values are in the audit trail.
    rc, out, _ = psql(f"SELECT changes->'manager'->>'old' FROM gatehouse.audit_events "
                      f"WHERE action = 'user.update' AND target_id = '{u['uid']}'", tenant=o.id)
    assert (rc, out) == (0, boss["uid"])


def test_personnel_attributes_are_checked_naming_the_field():
    o = Org()
    u = expect(o.create(), 201).json()
    for field, value in (("onboarding_status", "done"), ("personnel_status", "retired"),
                         ("agent_acknowledged_at", "yesterday"), ("department_id", "a\nb"),
                         ("department_id", "x" * 101), ("access_role", "r\tole"),
                         ("manager", "not-a-uuid"), ("manager", "00000000-0000-0000-0000-000000000000"),
                         ("manager", u["uid"]), ("employee_type", "robot")):
        r = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={field: value}), 400)
        assert r.json()["field"] == field, (field, value, r.json())
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["version"] == 1


def test_a_removed_manager_leaves_the_reports_without_one():
    o = Org()
    boss = expect(o.create(), 201).json()
    u = expect(o.create(manager=boss["uid"]), 201).json()
    expect(o.call("DELETE", f"/api/v1/users/{boss['uid']}"), 204)
    v = expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()
    assert (v["manager"], v["manager_name"], v["version"]) == (None, None, 2)
    r = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"manager": boss["uid"]}), 400)
    assert r.json()["field"] == "manager"


def test_list_filters_by_the_personnel_attributes():
    o = Org()
    tag = unique("pa")
    a = expect(o.create(email=f"{tag}a@x.example", first_name="Ann", last_name="Lee",
                        department_id="Ops-1", onboarding_status="completed"), 201).json()
    b = expect(o.create(email=f"{tag}b@x.example", invite=True, personnel_status="offboarded",
                        agent_acknowledged_at="2024-05-01T23:30:00Z"), 201).json()
    expect(o.call("POST", f"/api/v1/users/{a['uid']}/suspend"), 200)

    def found(qs):
        r = expect(o.call("GET", f"/api/v1/users?q={q('email:' + tag + '*')}&{qs}"), 200).json()
        return sorted(u["email"] for u in r["users"])

    assert found("department_id=OPS-1") == [a["email"]]
    assert found("name=" + q("ann lee")) == [a["email"]]
    assert found("active=false") == [a["email"]] and found("active=true") == [b["email"]]
    assert found("invited=true") == [b["email"]]
    assert found("onboarding_status=completed") == [a["email"]]
    assert found("personnel_status=offboarded") == [b["email"]]
    assert found("agent_acknowledged_at=2024-05-01") == [b["email"]]

    def matched(query):
        r = expect(o.call("GET", "/api/v1/users?q=" + q(f"email:{tag}* AND ({query})")), 200).json()
        return sorted(u["email"] for u in r["users"])

    assert matched("agent_acknowledged_at:>=2024-05-02") == []
    assert matched("agent_acknowledged_at:<=2024-05-01") == [b["email"]]
    assert matched("Lee OR name:*nn*") == [a["email"]]


# --- defects found by probing the running stack (session 3) ------------------------------

def test_status_operations_refuse_unknown_fields_and_change_nothing():
    """DESIGN: bad input gets a 4xx naming the field and changes nothing. PATCH, the
    password operations and DELETE …/mfa refuse an unknown field; disable, enable,
    suspend, unsuspend, unlock and DELETE /users/{uid} ignore it and carry out the
    change (src/api/native_users.c: apply() and h_users_remove() never check the
    names they were given)."""
    o = Org()
    u = expect(o.create(), 201).json()
    for op, status in (("disable", "active"), ("suspend", "active")):
        r = o.call("POST", f"/api/v1/users/{u['uid']}/{op}", json={"colour": "red"})
        assert r.status == 400, f"{op} with an unknown field: {r!r}"
        assert r.json()["field"] == "colour", r.json()
        now = expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()
        assert now["status"] == status and now["version"] == u["version"], now
    # A field of another operation is as unknown: `reason` belongs to disable only.
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/disable"), 200)
    r = o.call("POST", f"/api/v1/users/{u['uid']}/enable", json={"reason": "bogus"})
    assert r.status == 400 and r.json()["field"] == "reason", r
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "disabled"
    # DELETE likewise removes the user whatever else the request says.
    r = o.call("DELETE", f"/api/v1/users/{u['uid']}?colour=red")
    assert r.status == 400 and r.json()["field"] == "colour", r
    expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200)


def test_an_email_address_the_mailer_could_not_send_to_is_refused():
    """The mailer speaks plain SMTP: a non-ASCII address was taken (201) and its
    invitation then failed to compose, leaving the account pending with no way in."""
    o = Org()
    for addr in (f"jürgen.{unique('')}@example.com", f"a{unique('')}@bücher.example"):
        r = o.create(email=addr, invite=True)
        assert r.status == 400 and r.json()["field"] == "email", r
    # The same domain in its xn-- form is an address.
    expect(o.create(email=f"a{unique('')}@xn--bcher-kva.example", invite=True), 201)


def test_a_username_of_100_characters_is_taken_whatever_their_script():
    """The docs and the error say "1 to 100 characters"; the check counts bytes, so a
    username of 60 characters in any script beyond ASCII ("é" is two bytes) is refused
    with a message that its length is wrong."""
    o = Org()
    name = "é" * 60 + unique("")
    r = o.create(username=name)
    assert r.status == 201, r
    assert r.json()["username"] == name

    r = o.create(username="é" * 101)
    assert r.status == 400 and r.json()["field"] == "username", r


def test_guessing_current_password_with_a_key_is_throttled():
    """PUT /api/v1/me/password asks for current_password "so a leaked key alone cannot
    take over the account" (openapi.yaml), but wrong guesses are unlimited: nothing
    counts them (failed_logins is never raised), nothing locks, and the right one still
    works after any number of wrong ones. NIST SP 800-63B 5.2.2 caps failed attempts
    at 100; this allows up to that many before it expects a refusal."""
    o = Org()
    me = expect(o.call("GET", "/api/v1/me", "user"), 200).json()["user"]
    expect(o.call("PUT", "/api/v1/me/password", "user", json={"password": "the first pass phrase"}), 204)
    refused = None
    for i in range(100):
        r = o.call("PUT", "/api/v1/me/password", "user",
                   json={"password": "a brand new pass phrase", "current_password": f"guess {i} x"})
        if r.status != 403:
            refused = r
            break
        u = expect(o.call("GET", f"/api/v1/users/{me['uid']}", "super"), 200).json()
        if u["locked_until"] is not None:
            refused = u
            break
    assert refused is not None, "100 wrong current_password guesses and no lockout or 429"
    r = o.call("PUT", "/api/v1/me/password", "user",
               json={"password": "a brand new pass phrase", "current_password": "the first pass phrase"})
    assert r.status != 204, "the right password still works straight after the guessing"


def test_ten_wrong_current_passwords_lock_until_an_admin_unlocks():
    o = Org()
    me = expect(o.call("GET", "/api/v1/me", "user"), 200).json()["user"]
    expect(o.call("PUT", "/api/v1/me/password", "user", json={"password": "the first pass phrase"}), 204)
    for i in range(9):
        r = o.call("PUT", "/api/v1/me/password", "user",
                   json={"password": "a brand new pass phrase", "current_password": f"guess {i}"})
        assert r.status == 403 and r.json()["detail"] == "current_password is not correct", r
    u = expect(o.call("GET", f"/api/v1/users/{me['uid']}", "super"), 200).json()
    assert u["locked_until"] is None, u
    expect(o.call("PUT", "/api/v1/me/password", "user",
                  json={"password": "a brand new pass phrase", "current_password": "tenth"}), 403)
    u = expect(o.call("GET", f"/api/v1/users/{me['uid']}", "super"), 200).json()
    assert u["locked_until"] is not None, u
    rc, out, err = psql(f"SELECT count(*) FROM gatehouse.audit_events WHERE action = "
                        f"'user.password_refused' AND target_id = '{me['uid']}'", role="owner")
    assert rc == 0 and out == "10", (out, err)
    # Locked: the right password is not even asked.
    r = o.call("PUT", "/api/v1/me/password", "user",
               json={"password": "a brand new pass phrase", "current_password": "the first pass phrase"})
    assert r.status == 403 and "locked" in r.json()["detail"], r
    expect(o.call("POST", f"/api/v1/users/{me['uid']}/unlock", "super"), 200)
    expect(o.call("PUT", "/api/v1/me/password", "user",
                  json={"password": "a brand new pass phrase", "current_password": "the first pass phrase"}),
           204)


def test_two_supers_demoted_at_once_while_a_third_remains_both_succeed():
    """Demoting two of three supers at the same time leaves one: both are allowed. The
    last-super check (keep_a_super, src/core/users.c) locks every other super after the
    target row is already locked, so the two transactions lock each other's targets in
    opposite orders: PostgreSQL breaks the deadlock after deadlock_timeout (1 s) and one
    caller gets 409 "concurrent change to user, try again"."""
    
    failures = []
    for _ in range(10):
        org, _ = make_org()
        emails = [make_user(org, "super") for _ in range(3)]
        key = make_key(org, emails[0])
        uids = [expect(get(f"/api/v1/users/by-email/{urllib.parse.quote(e, safe='')}", key=key), 200).json()["uid"]
                for e in emails]
        answers = []
        start = threading.Barrier(2)

        def demote(uid):
            start.wait()
            answers.append(request("PATCH", f"/api/v1/users/{uid}", key=key,
                                   json={"access_level": "user"}))
        threads = [threading.Thread(target=demote, args=(u,)) for u in uids[1:]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        failures += [r for r in answers if r.status != 200]
    assert not failures, failures


def test_two_supers_demoting_each_other_at_once_leave_one():
    """The last-super rule still holds when the two changes race."""
    for _ in range(5):
        org, _ = make_org()
        a, b = make_user(org, "super"), make_user(org, "super")
        ka, kb = make_key(org, a), make_key(org, b)
        ua = expect(get(f"/api/v1/users/by-email/{urllib.parse.quote(a, safe='')}", key=ka), 200).json()
        ub = expect(get(f"/api/v1/users/by-email/{urllib.parse.quote(b, safe='')}", key=kb), 200).json()
        start = threading.Barrier(2)
        answers = []

        def demote(uid, key):
            start.wait()
            answers.append(request("PATCH", f"/api/v1/users/{uid}", key=key,
                                   json={"access_level": "admin"}))
        threads = [threading.Thread(target=demote, args=(ub["uid"], ka)),
                   threading.Thread(target=demote, args=(ua["uid"], kb))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.status for r in answers) in ([200, 409], [200, 403]), answers
        rc, out, err = psql("SELECT count(*) FROM gatehouse.users u JOIN gatehouse.orgs o ON o.id = "
                            f"u.org_id WHERE o.name = '{org}' AND u.access_level = 'super' "
                            "AND u.status = 'active'", role="owner")
        assert rc == 0 and out == "1", (out, err)


def test_refusals_by_level_read_as_english():
    """The core's refusals are shown verbatim by every surface (native detail,
    AttackForge and Allthenticate "error", Secureframe "detail"); they read "a admin
    cannot change a user with access level super" and "a admin cannot manage the keys of
    a super" (src/core/users.c, src/core/keys.c build them as "a %s")."""
    o = Org()
    sup = expect(o.call("GET", "/api/v1/me", "super"), 200).json()["user"]
    r = o.call("POST", f"/api/v1/users/{sup['uid']}/disable", "admin")
    assert r.status == 403, r
    assert r.json()["detail"] == "an admin cannot change a user with access level super", r.json()
    r = o.call("POST", "/api/v1/api-keys", "admin", json={"name": "k", "user": sup["uid"]})
    assert r.status == 403, r
    assert r.json()["detail"] == "an admin cannot manage the keys of a super", r.json()
