"""test_attackforge.py: the AttackForge dialect (/attackforge), from the vendor's pages
(seeds/attackforge-create-users.txt and seeds/attackforge/*.txt).

Every user endpoint with its fields, statuses and errors; CreateUsers' per-item
results and its bounds; groups with their access levels; a user's audit logs and
logins; the authorization matrix generated from the route table; and the same
user seen through the native API.
"""
import json as jsonlib
import urllib.parse

from gh import expect, psql, request, unique, update
from routes import routes
from test_users import Org

PW = "ThisIsASuperLongPassword"
LADDER = ["guest", "user", "admin", "super"]
USER_KEYS = {"status", "role", "first_name", "last_name", "email_address", "username",
             "mfa_enabled", "last_logged_in", "created", "id"}
CREATED_KEYS = {"id", "first_name", "last_name", "email", "username", "status", "role", "mfa"}


def af(method, path, key, **kw):
    """One AttackForge call: key in X-SSAPI-KEY (None: no header)."""
    headers = {} if key is None else {"X-SSAPI-KEY": key}
    return request(method, "/attackforge/api/ss/" + path, headers=headers, **kw)


def error(r, status, message=None):
    assert r.status == status, r
    body = r.json()
    assert list(body) == ["error"] and isinstance(body["error"], str), body
    if message is not None:
        assert body["error"] == message, body
    return body["error"]


def new_user(**fields):
    name = unique("af")
    user = {"first_name": "Jane", "last_name": "Citizen", "username": f"{name}@af.example",
            "email": f"{name}@af.example", "password": PW, "role": "consultant", "mfa": "Yes"}
    user.update(fields)
    return {k: v for k, v in user.items() if v is not None}


def create(o, level="admin", **fields):
    body = new_user(**fields)
    return af("POST", "user", o.keys[level], json=body), body


def made(o, **fields):
    r, body = create(o, **fields)
    assert r.status == 200, r
    return r.json()["user"]


def native(o, uid):
    return expect(o.call("GET", f"/api/v1/users/{uid}"), 200).json()


def q(v):
    return urllib.parse.quote(v, safe="")


# --- CreateUser --------------------------------------------------------------------

def test_create_user_answers_the_vendors_user_object():
    o = Org()
    r, body = create(o)
    assert r.status == 200 and list(r.json()) == ["user"]
    u = r.json()["user"]
    assert set(u) == CREATED_KEYS
    assert (u["first_name"], u["last_name"], u["email"], u["username"]) == \
        ("Jane", "Citizen", body["email"], body["username"])
    assert (u["status"], u["role"], u["mfa"]) == ("Active", "consultant", "Yes")
    n = native(o, u["id"])
    assert n["roles"] == ["consultant"] and n["mfa_required"] is True and n["has_password"]
    assert n["auth_method"] == "local" and n["access_level"] == "user"


def test_every_role_and_admin_grants_the_admin_level():
    o = Org()
    for role in ("librarymod", "client", "consultant", "projectoperator"):
        u = made(o, role=role)
        assert u["role"] == role and native(o, u["id"])["access_level"] == "user"
    r, _ = create(o, "super", role="Admin")
    assert r.status == 200 and r.json()["user"]["role"] == "admin"
    assert native(o, r.json()["user"]["id"])["access_level"] == "admin"
    r, body = create(o, "admin", role="admin")
    error(r, 403, "only a super may grant or revoke admin or super")
    error(create(o, role="boss")[0], 400,
          "role must be one of: admin, librarymod, client, consultant, projectoperator")


def test_mfa_is_yes_or_no():
    o = Org()
    assert made(o, mfa="No")["mfa"] == "No"
    assert made(o, mfa="yes")["mfa"] == "Yes"
    error(create(o, mfa="maybe")[0], 400, "mfa must be one of: Yes, No")


def test_a_password_needs_15_characters_whatever_the_org_allows():
    o = Org()
    error(create(o, password="fourteen chars")[0], 400, "password must be at least 15 characters")
    made(o, password="fifteen chars!!")
    # The org's own rules still hold on top.
    expect(o.call("PATCH", "/api/v1/org", "super", json={"password_min": 20}), 200)
    error(create(o, password="sixteen chars!!!")[0], 400, "password must be at least 20 characters")


def test_without_a_password_the_user_signs_in_through_sso():
    o = Org()
    u = made(o, password=None)
    n = native(o, u["id"])
    assert n["auth_method"] == "sso" and not n["has_password"] and n["status"] == "active"


def test_every_field_but_password_is_required_in_the_vendors_order():
    o = Org()
    for field in ("first_name", "last_name", "username", "email", "role", "mfa"):
        body = new_user(**{field: None})
        error(af("POST", "user", o.keys["admin"], json=body), 400, f"{field} is required")
    body = new_user()
    for field in ("first_name", "mfa"):
        del body[field]
    error(af("POST", "user", o.keys["admin"], json=body), 400, "first_name is required")


def test_bad_fields_are_400_naming_them_and_create_nothing():
    o = Org()
    for fields, message in (({"email": "nope"}, "email must be a valid e-mail address"),
                            ({"username": "has space"},
                             "username must be 1 to 100 characters without spaces"),
                            ({"first_name": "x" * 101}, "first_name must be at most 100 bytes of text on one line, without control characters"),
                            ({"last_name": 5}, "last_name must be a string"),
                            ({"mfa": None, "colour": "blue"}, "unknown field colour")):
        body = new_user(**fields)
        error(af("POST", "user", o.keys["admin"], json=body), 400, message)
        expect(o.call("GET", f"/api/v1/users/by-email/{q(body['email'])}"), 404)
    error(af("POST", "user", o.keys["admin"], json={**new_user(), "role": ["client"]}), 400,
          "role must be a single value, not a list")
    error(af("POST", "user", o.keys["admin"], form=new_user()), 400, "a user must be a JSON object")


def test_taken_names_are_409():
    o = Org()
    u = made(o)
    error(create(o, username=u["username"].upper())[0], 409, "username is already taken")
    error(create(o, email=u["email"])[0], 409, "email is already in use")


# --- CreateUsers ---------------------------------------------------------------------

def test_create_users_answers_each_item_in_order_and_a_bad_one_stops_nothing():
    o = Org()
    taken = made(o)
    items = [new_user(first_name="A"), new_user(username=taken["username"]),
             new_user(role="boss"), new_user(password="short"), new_user(first_name="E", mfa="No"),
             "not an object", new_user(email=taken["email"])]
    r = af("POST", "users", o.keys["admin"], json=items)
    assert r.status == 200, r
    res = r.json()
    assert len(res) == len(items)
    for entry in res:
        assert set(entry) == {"status", "user", "error"}, entry
    ok = [i for i, e in enumerate(res) if e["status"] == "Created"]
    assert ok == [0, 4], res
    assert res[0]["user"]["first_name"] == "A" and res[4]["user"]["mfa"] == "No"
    assert set(res[0]["user"]) == CREATED_KEYS and res[0]["error"] is None
    assert [e["error"] for e in res if e["status"] == "Failed"] == [
        "username is already taken",
        "role must be one of: admin, librarymod, client, consultant, projectoperator",
        "password must be at least 15 characters", "a user must be a JSON object",
        "email is already in use"]
    assert all(e["user"] is None for e in res if e["status"] == "Failed")
    for i in ok:
        assert native(o, res[i]["user"]["id"])["email"] == items[i]["email"]
    for i in (2, 3):
        expect(o.call("GET", f"/api/v1/users/by-email/{q(items[i]['email'])}"), 404)


def test_create_users_repeats_within_a_batch_fail_the_later_item():
    o = Org()
    a = new_user()
    b = new_user(username=a["username"].upper())
    c = new_user(email=a["email"].upper())
    res = af("POST", "users", o.keys["admin"], json=[a, b, c]).json()
    assert [e["status"] for e in res] == ["Created", "Failed", "Failed"]
    assert [e["error"] for e in res[1:]] == ["username is already taken", "email is already in use"]


def test_create_users_items_are_audited_one_event_each():
    o = Org()
    items = [new_user(), new_user(password=None)]
    res = af("POST", "users", o.keys["admin"], json=items).json()
    for e, item in zip(res, items):
        rc, out, _ = psql("SELECT action, changes->'email'->>'new', changes ? 'password'"
                          f" FROM gatehouse.audit_events WHERE target_id = '{e['user']['id']}'",
                          tenant=o.id)
        assert (rc, out) == (0, f"user.create|{item['email']}|{'t' if 'password' in item else 'f'}")


def test_create_users_bounds_refuse_the_whole_batch_before_anything():
    o = Org()
    p = unique("b")
    many = [new_user(username=f"{p}{i}@b.example", email=f"{p}{i}@b.example", password=None)
            for i in range(1001)]
    error(af("POST", "users", o.keys["admin"], json=many), 413, "at most 1000 users in one request")
    pw = [new_user(username=f"{p}p{i}@b.example", email=f"{p}p{i}@b.example") for i in range(51)]
    msg = error(af("POST", "users", o.keys["admin"], json=pw), 413)
    assert msg.startswith("at most 50 users with a password in one request (this has 51)"), msg
    # A bad item with a password counts too: the bound is the batch's, not its good items'.
    pw[50] = {"password": PW, "role": "boss"}
    error(af("POST", "users", o.keys["admin"], json=pw), 413)
    rc, out, _ = psql(f"SELECT count(*) FROM gatehouse.users WHERE email LIKE '{p}%'", tenant=o.id)
    assert (rc, out) == (0, "0")
    error(af("POST", "users", o.keys["admin"], json=[]), 400, "users must name at least one user")
    error(af("POST", "users", o.keys["admin"], json=new_user()), 400, "send a JSON array of users")


def test_create_users_takes_50_passwords_and_a_thousand_without():
    o = Org()
    p = unique("k")
    pw = [new_user(username=f"{p}p{i}@b.example", email=f"{p}p{i}@b.example") for i in range(50)]
    res = af("POST", "users", o.keys["admin"], json=pw).json()
    assert [e["status"] for e in res] == ["Created"] * 50
    many = [new_user(username=f"{p}{i}@b.example", email=f"{p}{i}@b.example", password=None)
            for i in range(1000)]
    res = af("POST", "users", o.keys["admin"], json=many).json()
    assert [e["user"]["email"] for e in res] == [u["email"] for u in many]
    r = af("GET", f"users/email/{q(many[999]['email'])}", o.keys["admin"])
    assert r.json()["user"]["id"] == res[999]["user"]["id"]


def test_the_native_bulk_create_takes_more_passwords_as_a_job():
    # CreateUsers is synchronous, as the vendor's: 413 past 50. The native API
    # has jobs, so the same batch there is accepted (202) and run as one
    # (tests/api/test_jobs.py).
    o = Org()
    body = [{"email": f"{unique('n')}@b.example", "password": PW} for _ in range(51)]
    r = expect(o.call("POST", "/api/v1/users/bulk", json=body), 202)
    assert r.headers["location"] == f"/api/v1/jobs/{r.json()['id']}"


# --- GetUsers and the lookups ----------------------------------------------------------------

def test_get_users_filters_by_each_field_and_counts():
    o = Org()
    a = made(o, first_name="Ann", last_name=unique("Zed"))
    b = made(o, first_name="Bob", last_name=a["last_name"])
    r = af("GET", "users", o.keys["admin"])
    assert r.status == 200 and list(r.json()) == ["count", "users"]
    assert r.json()["count"] == len(r.json()["users"]) == 6
    for query, ids in ((f"lastName={a['last_name']}", {a["id"], b["id"]}),
                       (f"lastName={a['last_name']}&firstName=Bob", {b["id"]}),
                       (f"email={q(a['email'].upper())}", {a["id"]}),
                       (f"username={q(b['username'])}", {b["id"]}),
                       ("firstName=Nobody", set())):
        r = af("GET", f"users?{query}", o.keys["admin"]).json()
        assert {u["id"] for u in r["users"]} == ids and r["count"] == len(ids), query
    error(af("GET", "users?first_name=Ann", o.keys["admin"]), 400, "unknown field first_name")


def test_the_user_object_of_the_lookups():
    o = Org()
    u = made(o, mfa="No")
    n = native(o, u["id"])
    for path in (f"users/{u['id']}", f"users/email/{q(u['email'])}",
                 f"users/username/{q(u['username'])}"):
        r = af("GET", path, o.keys["admin"])
        assert r.status == 200 and list(r.json()) == ["user"], path
        v = r.json()["user"]
        assert set(v) == USER_KEYS
        assert v == {"status": "Active", "role": "consultant", "first_name": "Jane",
                     "last_name": "Citizen", "email_address": u["email"], "username": u["username"],
                     "mfa_enabled": "No", "last_logged_in": None, "created": n["created_at"],
                     "id": u["id"]}


def test_mfa_enabled_is_yes_when_required_or_a_factor_is_enrolled():
    o = Org()
    assert af("GET", f"users/{made(o, mfa='Yes')['id']}", o.keys["admin"]).json()["user"][
        "mfa_enabled"] == "Yes"
    u = made(o, mfa="No")
    rc, _, err = psql("INSERT INTO gatehouse.totp_credentials (org_id, user_id, secret, confirmed_at)"
                      f" SELECT org_id, id, '\\x00', now() FROM gatehouse.users WHERE uid = '{u['id']}'",
                      tenant=o.id)
    assert rc == 0, err
    assert af("GET", f"users/{u['id']}", o.keys["admin"]).json()["user"]["mfa_enabled"] == "Yes"


def test_unknown_users_are_404():
    o = Org()
    for path in ("users/00000000-0000-0000-0000-000000000000", "users/5eacb8450c8d520a8281e539",
                 "users/email/nobody%40af.example", "users/username/nobody"):
        error(af("GET", path, o.keys["admin"]), 404, "no such user")


# --- UpdateUser, Activate, Deactivate ------------------------------------------------------

def test_update_user_changes_what_is_sent_and_answers_the_user():
    o = Org()
    u = made(o)
    email = f"{unique('bw')}@af.example"
    r = af("PUT", f"user/{u['id']}", o.keys["admin"],
           json={"first_name": "Bruce", "last_name": "Wayne", "email_address": email,
                 "username": email})
    assert r.status == 200 and list(r.json()) == ["user"]
    v = r.json()["user"]
    assert (v["first_name"], v["last_name"], v["email_address"], v["username"]) == \
        ("Bruce", "Wayne", email, email)
    n = native(o, u["id"])
    assert (n["first_name"], n["email"], n["roles"]) == ("Bruce", email, ["consultant"])
    v = af("PUT", f"user/{u['id']}", o.keys["admin"], json={"last_name": "Kent"}).json()["user"]
    assert (v["first_name"], v["last_name"]) == ("Bruce", "Kent")


def test_update_user_refuses_bad_fields_naming_them_and_changes_nothing():
    o = Org()
    u = made(o)
    other = made(o)
    for body, status, message in (
            ({"email_address": "nope"}, 400, "email_address must be a valid e-mail address"),
            ({"first_name": "x", "email": "a@b.co"}, 400, "unknown field email"),
            ({"is_deleted": "perhaps"}, 400, "is_deleted must be true or false"),
            ({"username": other["username"]}, 409, "username is already taken"),
            ({"first_name": "New", "is_deleted": True}, 400,
             "is_deleted cannot be combined with other changes")):
        error(af("PUT", f"user/{u['id']}", o.keys["admin"], json=body), status, message)
    n = native(o, u["id"])
    assert (n["first_name"], n["username"], n["version"]) == ("Jane", u["username"], 1)


def test_is_deleted_removes_the_user_and_frees_its_names():
    o = Org()
    u = made(o)
    r = af("PUT", f"user/{u['id']}", o.keys["admin"], json={"is_deleted": True})
    assert r.status == 200 and r.json()["user"]["status"] == "Deleted"
    error(af("GET", f"users/{u['id']}", o.keys["admin"]), 404)
    expect(o.call("GET", f"/api/v1/users/{u['id']}"), 404)
    made(o, username=u["username"], email=u["email"])
    u2 = made(o)
    v = af("PUT", f"user/{u2['id']}", o.keys["admin"], json={"is_deleted": False}).json()["user"]
    assert v["status"] == "Active"


def test_deactivate_and_activate():
    o = Org()
    u = made(o)
    r = af("PUT", f"user/{u['id']}/deactivate", o.keys["admin"])
    assert (r.status, r.json()) == (200, {"status": "User Deactivated"})
    n = native(o, u["id"])
    assert (n["status"], n["disabled_reason"]) == ("disabled", "admin")
    assert af("GET", f"users/{u['id']}", o.keys["admin"]).json()["user"]["status"] == "Deactivated"
    r = af("PUT", f"user/{u['id']}/activate", o.keys["admin"])
    assert (r.status, r.json()) == (200, {"status": "User Activated"})
    assert native(o, u["id"])["status"] == "active"
    error(af("PUT", "user/00000000-0000-0000-0000-000000000000/activate", o.keys["admin"]), 404)


def test_the_last_super_cannot_be_deactivated():
    o = Org()
    rc, out, _ = psql("SELECT uid FROM gatehouse.users WHERE access_level = 'super'", tenant=o.id)
    error(af("PUT", f"user/{out}/deactivate", o.keys["super"]), 409,
          "cannot disable or suspend the last super of the org")


# --- groups ------------------------------------------------------------------------------------

def group(o):
    key = unique("g")
    expect(o.call("POST", "/api/v1/groups", json={"key": key, "name": f"Group {key}"}), 201)
    return key


def groups_of(o, uid):
    r = af("GET", f"user/{uid}/groups", o.keys["admin"])
    assert r.status == 200 and list(r.json()) == ["count", "groups"], r
    assert r.json()["count"] == len(r.json()["groups"])
    return r.json()["groups"]


def test_add_user_to_group_with_an_access_level_and_read_it_back():
    o = Org()
    u, g = made(o), group(o)
    r = af("POST", "group/user", o.keys["admin"],
           json={"group_id": g, "user_id": u["id"], "access_level": "View"})
    assert (r.status, r.json()) == (200, {"status": "User Added To Group"})
    [m] = groups_of(o, u["id"])
    assert set(m) == {"group_name", "group_id", "access_level", "created", "last_updated"}
    assert (m["group_name"], m["group_id"], m["access_level"]) == (f"Group {g}", g, "View")
    members = expect(o.call("GET", f"/api/v1/groups/{g}/members"), 200).json()["members"]
    assert [(x["uid"], x["role"], x["access"]) for x in members] == [(u["id"], "member", "view")]


def test_update_access_then_delete_leaves_the_group():
    o = Org()
    u, g = made(o), group(o)
    expect(af("POST", "group/user", o.keys["admin"],
              json={"group_id": g, "user_id": u["id"], "access_level": "Upload"}), 200)
    before = groups_of(o, u["id"])[0]
    r = af("PUT", f"group/user/{u['id']}", o.keys["admin"],
           json={"group_id": g, "user_id": u["id"], "access_level": "Edit"})
    assert (r.status, r.json()) == (200, {"status": "User Access Updated On Group"})
    after = groups_of(o, u["id"])[0]
    assert after["access_level"] == "Edit" and after["created"] == before["created"]
    assert after["last_updated"] >= before["last_updated"]
    native_groups = expect(o.call("GET", f"/api/v1/users/{u['id']}/groups"), 200).json()["groups"]
    assert [(x["key"], x["access"]) for x in native_groups] == [(g, "edit")]
    # user_id may be left out of the body: the path names the user.
    r = af("PUT", f"group/user/{u['id']}", o.keys["admin"],
           json={"group_id": g, "access_level": "Delete"})
    assert (r.status, r.json()) == (200, {"status": "User Access Updated On Group"})
    assert groups_of(o, u["id"]) == []


def test_adding_again_changes_the_access_and_a_native_role_keeps_it():
    o = Org()
    u, g = made(o), group(o)
    for level in ("Edit", "View"):
        expect(af("POST", "group/user", o.keys["admin"],
                  json={"group_id": g, "user_id": u["id"], "access_level": level}), 200)
    expect(o.call("PUT", f"/api/v1/groups/{g}/members/{u['id']}", json={"role": "manager"}), 200)
    assert groups_of(o, u["id"])[0]["access_level"] == "View"
    rc, out, _ = psql(f"SELECT action, changes::text FROM gatehouse.audit_events WHERE target_id = '{u['id']}'"
                      " AND action LIKE 'group.%' ORDER BY id", tenant=o.id)
    assert out.splitlines() == [
        f'group.member.access|{{"groups": {{"{g}": {{"new": "edit", "old": null}}}}}}',
        f'group.member.access|{{"groups": {{"{g}": {{"new": "view", "old": "edit"}}}}}}',
        f'group.member.set|{{"groups": {{"{g}": {{"new": "manager", "old": "member"}}}}}}']


def test_group_membership_errors():
    o = Org()
    u, g = made(o), group(o)
    add = lambda body: af("POST", "group/user", o.keys["admin"], json=body)
    put = lambda body, uid=u["id"]: af("PUT", f"group/user/{uid}", o.keys["admin"], json=body)
    error(add({"group_id": g, "user_id": u["id"], "access_level": "Delete"}), 400,
          "access_level must be one of: View, Upload, Edit")
    error(add({"group_id": g, "user_id": u["id"], "access_level": "Admin"}), 400)
    for missing in ("group_id", "user_id", "access_level"):
        body = {"group_id": g, "user_id": u["id"], "access_level": "View"}
        del body[missing]
        error(add(body), 400, f"{missing} is required")
    error(add({"group_id": "no-such-group", "user_id": u["id"], "access_level": "View"}), 404,
          'no group with key "no-such-group"')
    error(add({"group_id": g, "user_id": "00000000-0000-0000-0000-000000000000",
               "access_level": "View"}), 404)
    error(put({"group_id": g, "access_level": "Edit"}), 404,
          f'the user is not a member of group "{g}"')
    error(put({"group_id": g, "access_level": "Delete"}), 404,
          f'the user is not a member of group "{g}"')
    other = made(o)
    error(put({"group_id": g, "user_id": other["id"], "access_level": "Edit"}), 400,
          "user_id must be the user of the path")
    assert groups_of(o, u["id"]) == []


def test_a_guest_cannot_join_a_group():
    o = Org()
    g = group(o)
    guest = expect(o.create(email=f"{unique('gu')}@af.example", access_level="guest"), 201).json()
    error(af("POST", "group/user", o.keys["admin"],
             json={"group_id": g, "user_id": guest["uid"], "access_level": "View"}), 400,
          "a guest cannot join groups")


# --- audit logs and logins ---------------------------------------------------------------------

def test_audit_logs_are_the_users_trail_newest_first_with_a_count():
    o = Org()
    u = made(o)
    expect(af("PUT", f"user/{u['id']}/deactivate", o.keys["admin"]), 200)
    expect(af("PUT", f"user/{u['id']}/activate", o.keys["admin"]), 200)
    r = af("GET", f"user/{u['id']}/auditlogs", o.keys["admin"])
    assert r.status == 200 and list(r.json()) == ["count", "logs"]
    body = r.json()
    assert body["count"] == 3 and [x["endpoint"] for x in body["logs"]] == \
        ["user.enable", "user.disable", "user.create"]
    log = body["logs"][0]
    admin_uid = expect(o.call("GET", "/api/v1/me"), 200).json()["user"]["uid"]
    assert log["user_id"] == admin_uid and log["source_ip_address"] == "127.0.0.1"
    assert log["event_description"].startswith(f"user.enable user {u['id']} by ")
    for unrecorded in ("method", "url", "path", "query", "status_code", "user_role", "project_id",
                       "verbosity", "export"):
        assert log[unrecorded] is None, unrecorded
    assert "request_body" not in log


def test_audit_logs_skip_limit_endpoint_and_request_body():
    o = Org()
    u = made(o)
    for _ in range(3):
        expect(af("PUT", f"user/{u['id']}/deactivate", o.keys["admin"]), 200)
        expect(af("PUT", f"user/{u['id']}/activate", o.keys["admin"]), 200)
    path = f"user/{u['id']}/auditlogs"
    all_ = af("GET", path, o.keys["admin"]).json()
    assert all_["count"] == 7
    page = af("GET", path + "?skip=2&limit=3", o.keys["admin"]).json()
    assert page["count"] == 7 and [x["id"] for x in page["logs"]] == \
        [x["id"] for x in all_["logs"][2:5]]
    only = af("GET", path + "?endpoint=user.disable", o.keys["admin"]).json()
    assert only["count"] == 3 and {x["endpoint"] for x in only["logs"]} == {"user.disable"}
    assert af("GET", path + "?endpoint=user.*", o.keys["admin"]).json()["count"] == 7
    withbody = af("GET", path + "?include_request_body=true&limit=1", o.keys["admin"]).json()
    assert withbody["logs"][0]["request_body"]["status"] == {"old": "disabled", "new": "active"}
    for query, message in (("limit=501", "limit must be a whole number from 1 to 500"),
                           ("limit=0", "limit must be a whole number from 1 to 500"),
                           ("skip=-1", "skip must be a whole number from 0 to 1000000"),
                           ("endpoint=User;drop", None),
                           ("include_request_body=maybe", "include_request_body must be true or false"),
                           ("verbose=1", "unknown field verbose")):
        error(af("GET", f"{path}?{query}", o.keys["admin"]), 400, message)
    msg = error(af("GET", path + "?method=GET", o.keys["admin"]), 400)
    assert msg.startswith("method cannot filter"), msg


def test_audit_logs_include_what_the_user_did():
    o = Org()
    admin = expect(o.call("GET", "/api/v1/me"), 200).json()["user"]
    target = made(o)
    logs = af("GET", f"user/{admin['uid']}/auditlogs?endpoint=user.create", o.keys["admin"]).json()
    assert target["id"] in {x["event_description"].split()[2] for x in logs["logs"]}


def test_logins_are_the_recorded_sign_ins_newest_first():
    o = Org()
    u = made(o)
    path = f"user/{u['id']}/logins"
    assert af("GET", path, o.keys["admin"]).json() == {"count": 0, "logs": []}
    rc, _, err = psql(
        "INSERT INTO gatehouse.login_events (org_id, user_id, success, address, at)"
        f" SELECT org_id, id, s, a::inet, t::timestamptz FROM gatehouse.users,"
        " (VALUES (true, '10.0.0.1', '2026-01-01T10:00:00Z'), (true, '10.0.0.2', '2026-01-02T10:00:00Z'),"
        "  (false, '10.0.0.3', '2026-01-03T10:00:00Z')) v(s, a, t)"
        f" WHERE uid = '{u['id']}'", tenant=o.id)
    assert rc == 0, err
    r = af("GET", path, o.keys["admin"])
    assert r.status == 200 and r.json() == {"count": 2, "logs": [
        {"created": "2026-01-02T10:00:00.000Z", "ip": "10.0.0.2"},
        {"created": "2026-01-01T10:00:00.000Z", "ip": "10.0.0.1"}]}
    assert af("GET", path + "?skip=1&limit=1", o.keys["admin"]).json()["logs"] == \
        [{"created": "2026-01-01T10:00:00.000Z", "ip": "10.0.0.1"}]
    error(af("GET", path + "?limit=1001", o.keys["admin"]), 400)
    error(af("GET", "user/00000000-0000-0000-0000-000000000000/logins", o.keys["admin"]), 404)


def test_last_logged_in_is_the_last_sign_in():
    o = Org()
    u = made(o)
    update(f"UPDATE gatehouse.users SET last_login_at = '2026-03-04T05:06:07Z' WHERE uid = '{u['id']}'",
           1, tenant=o.id)
    v = af("GET", f"users/{u['id']}", o.keys["admin"]).json()["user"]
    assert v["last_logged_in"] == "2026-03-04T05:06:07.000Z"


# --- errors outside a route --------------------------------------------------------------------

def test_unknown_paths_methods_and_bodies_answer_in_attackforge_shape():
    o = Org()
    error(af("GET", "nothing", o.keys["admin"]), 404, "no such resource")
    r = af("DELETE", "users", o.keys["admin"])
    error(r, 405)
    assert r.headers["allow"] == "POST, GET, HEAD"
    error(request("POST", "/attackforge/api/ss/user", headers={"X-SSAPI-KEY": o.keys["admin"]},
                  body="{not json", content_type="application/json"), 400)


# --- the authorization matrix, generated from the route table --------------------------------

class World:
    """Org A with a user in a group; org B to ask from outside."""

    def __init__(self):
        self.a, self.b = Org(), Org()
        self.user = made(self.a)
        self.group = group(self.a)
        expect(af("POST", "group/user", self.a.keys["admin"],
                  json={"group_id": self.group, "user_id": self.user["id"], "access_level": "View"}),
               200)

    def path(self, pattern):
        values = {"{id}": self.user["id"], "{user_id}": self.user["id"],
                  "{email}": q(self.user["email"]), "{username}": q(self.user["username"])}
        for k, v in values.items():
            pattern = pattern.replace(k, v)
        assert "{" not in pattern, pattern
        return pattern[len("/attackforge/api/ss/"):]

    def body(self, method, pattern):
        """A body the handler accepts, naming org A's resources (creations make new names)."""
        return {
            ("POST", "/attackforge/api/ss/user"): new_user(),
            ("POST", "/attackforge/api/ss/users"): [new_user()],
            ("PUT", "/attackforge/api/ss/user/{id}"): {"first_name": "Changed"},
            ("POST", "/attackforge/api/ss/group/user"):
                {"group_id": self.group, "user_id": self.user["id"], "access_level": "Edit"},
            ("PUT", "/attackforge/api/ss/group/user/{user_id}"):
                {"group_id": self.group, "access_level": "Delete"},
        }.get((method, pattern))


def _routes():
    found = routes("attackforge")
    assert len(found) == 14, sorted(found)
    return sorted((m, p, lvl) for (m, p), (_, _, lvl) in found.items())


def test_matrix_no_key_or_a_bad_key_is_401():
    w = World()
    for method, pattern, _ in _routes():
        for key in (None, "", "gh_1k1_" + "A" * 43):
            error(af(method, w.path(pattern), key, json=w.body(method, pattern)), 401)


def test_matrix_every_level_below_a_route_is_403():
    w = World()
    checked = 0
    for method, pattern, need in _routes():
        for level in LADDER[:LADDER.index(need)]:
            r = af(method, w.path(pattern), w.a.keys[level], json=w.body(method, pattern))
            error(r, 403, "this needs access level admin")
            checked += 1
    assert checked == 28, checked
    n = native(w.a, w.user["id"])
    assert n["first_name"] == "Jane" and n["status"] == "active"


def test_matrix_another_orgs_super_cannot_reach_this_orgs_resources():
    w = World()
    reached = 0
    for method, pattern, _ in _routes():
        if "{" not in pattern and method == "POST" and pattern != "/attackforge/api/ss/group/user":
            continue        # creations name no resource of org A
        r = af(method, w.path(pattern), w.b.keys["super"], json=w.body(method, pattern))
        if pattern == "/attackforge/api/ss/users":
            assert r.status == 200 and w.user["id"] not in {u["id"] for u in r.json()["users"]}
        else:
            error(r, 404)
            reached += 1
    assert reached == 11, reached
    n = native(w.a, w.user["id"])
    assert n["first_name"] == "Jane" and n["status"] == "active"
    assert groups_of(w.a, w.user["id"])[0]["access_level"] == "View"


# --- one user, every surface ----------------------------------------------------------------

def test_an_attackforge_user_is_the_same_user_natively_and_in_faction():
    o = Org()
    u = made(o, role="client", mfa="Yes")
    n = native(o, u["id"])
    assert (n["username"], n["email"], n["first_name"], n["last_name"], n["status"]) == \
        (u["username"], u["email"], "Jane", "Citizen", "active")
    rows = request("GET", "/faction/api/users/all", headers={"FACTION-API-KEY": o.keys["admin"]}).json()
    assert {"id": n["id"], "username": u["username"], "email": u["email"], "firstName": "Jane",
            "lastName": "Citizen", "inactive": False} in rows
    expect(request("POST", "/faction/api/users/disableUser", headers={"FACTION-API-KEY": o.keys["admin"]},
                   form={"username": u["username"]}), 200)
    assert af("GET", f"users/{u['id']}", o.keys["admin"]).json()["user"]["status"] == "Deactivated"
    assert native(o, u["id"])["status"] == "disabled"


def test_a_native_user_is_the_same_user_in_attackforge():
    o = Org()
    n = expect(o.create(username=unique("nat"), first_name="Nat", roles=["librarymod"],
                        mfa_required=True), 201).json()
    v = af("GET", f"users/{n['uid']}", o.keys["admin"]).json()["user"]
    assert (v["id"], v["username"], v["email_address"], v["first_name"], v["role"], v["mfa_enabled"],
            v["status"], v["created"]) == (n["uid"], n["username"], n["email"], "Nat", "librarymod",
                                           "Yes", "Active", n["created_at"])
    expect(o.call("POST", f"/api/v1/users/{n['uid']}/disable"), 200)
    assert af("GET", f"users/{n['uid']}", o.keys["admin"]).json()["user"]["status"] == "Deactivated"
    expect(af("PUT", f"user/{n['uid']}/activate", o.keys["admin"]), 200)
    assert native(o, n["uid"])["status"] == "active"


def test_attackforge_auditlogs_answer_the_vendors_own_endpoint_example():
    """AttackForge's GetUserAuditLogs page: `endpoint (string) (optional) Filter logs by
    an endpoint`, with the example `?endpoint=ProjectController.getProject`. A client
    that sends it gets 400 ("action is a name such as user.create …"): Gatehouse records
    no such endpoint, so the faithful answer is the logs that match it — none."""
    o = Org()
    u = made(o)
    r = af("GET", f"user/{u['id']}/auditlogs?endpoint=ProjectController.getProject",
           o.keys["admin"])
    assert r.status == 200, r
    assert r.json() == {"count": 0, "logs": []}, r.json()


def test_attackforge_update_user_refuses_a_number_where_the_vendor_says_string():
    """The vendor's UpdateUser fields are strings (`first_name (string)`), and
    CreateUser refuses a number ("first_name must be a string"); UpdateUser stores
    12 as "12" and moves the version."""
    o = Org()
    u = made(o)
    before = native(o, u["id"])
    r = af("PUT", f"user/{u['id']}", o.keys["admin"], json={"first_name": 12})
    assert r.status == 400, r
    assert "first_name" in r.json()["error"], r.json()
    after = native(o, u["id"])
    assert after["first_name"] == before["first_name"] and after["version"] == before["version"]
