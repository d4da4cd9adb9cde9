"""test_allthenticate.py: Allthenticate's user API under /allthenticate, from the vendor's page.

The vendor: Bearer keys; form or JSON bodies, list fields as JSON arrays or as
serialized JSON in a form field; users by email_id or email (email_id wins);
answers {"success": msg} 200 and {"error": msg} 4xx/5xx.
"""
import json
import urllib.parse

from gh import expect, psql, request, unique
from routes import routes
from test_users import Org

LADDER = ["guest", "user", "admin", "super"]
ENTRY_FIELDS = {"ad_status", "active_date", "confirmed", "created", "device_added", "email",
                "email_id", "email_status", "first_name", "groups", "last_name", "name",
                "user_id", "username", "unique_id"}


def at(o, method, path, level="admin", **kw):
    return o.call(method, "/allthenticate" + path, level, **kw)


def ok(r):
    expect(r, 200)
    body = r.json()
    assert list(body) == ["success"] and body["success"], body
    return body["success"]


def err(r, status):
    expect(r, status)
    body = r.json()
    assert list(body) == ["error"] and body["error"], body
    return body["error"]


def make(o, level="user", **fields):
    fields.setdefault("auth_method", "sso")
    fields.setdefault("access_level", level)
    return expect(o.create("super", **fields), 201).json()


def native(o, u):
    return expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()


def entries(o, qs=""):
    r = expect(at(o, "GET", "/multipleusers" + qs), 200).json()
    assert isinstance(r, list)
    for e in r:
        assert set(e) == ENTRY_FIELDS, set(e) ^ ENTRY_FIELDS
    return {e["email"]: e for e in r}


# --- authorization matrix, generated from the route table ------------------------------

def _routes():
    found = routes("allthenticate")
    assert len(found) == 9, found
    return sorted((m, p, lvl) for (m, p), (_, _, lvl) in found.items())


def send(o, method, path, level, args, headers=None):
    """args in the query string of a GET or DELETE, else as a JSON body; o None sends no key."""
    kw = {"json": args} if method == "POST" else {}
    if method != "POST":
        path += "?" + urllib.parse.urlencode(args)
    if o is None:
        return request(method, path, headers=headers or {}, **kw)
    return o.call(method, path, level, **kw)


def _body(u, by="id"):
    who = {"email_id": u["id"], "admin_user_id": u["id"]} if by == "id" else {"email": u["email"]}
    return dict(who, rank="REGULAR", smartcards=[], computer_usernames=[])


def _args(method, path, u, by="id"):
    """The fields a route takes, naming u, so that only the caller's rights can stop it."""
    body = _body(u, by)
    keep = {"/modifyrank": ("admin_user_id", "email", "rank"),
            "/modifysmartcard": ("email_id", "email", "smartcards"),
            "/modifyallusernames": ("email_id", "email", "computer_usernames"),
            "/multipleusers": ()}.get(path[len("/allthenticate"):], ("email_id", "email"))
    if method == "GET" and path.endswith("/modifysmartcard"):
        keep = ("email_id", "email")
    return {k: v for k, v in body.items() if k in keep}


def test_matrix_no_key_or_a_bad_key_is_401():
    o = Org()
    u = make(o)
    for method, path, _ in _routes():
        for headers in ({}, {"Authorization": "Bearer gh_1k1_" + "A" * 43},
                        {"Authorization": o.keys["admin"]}):
            r = send(None, method, path, None, _args(method, path, u), headers)
            assert "key" in err(r, 401), (method, path)


def test_matrix_levels_below_the_route_are_403_and_change_nothing():
    o = Org()
    u = make(o)
    checked = 0
    for method, path, need in _routes():
        for level in LADDER[:LADDER.index(need)]:
            r = send(o, method, path, level, _args(method, path, u))
            assert need in err(r, 403), (method, path, level)
            checked += 1
    assert checked >= 18
    assert native(o, u)["version"] == 1


def test_matrix_another_orgs_users_are_not_found():
    a, b = Org(), Org()
    u = make(a)
    for method, path, _ in _routes():
        if path.endswith("/multipleusers"):
            assert u["email"] not in entries(b)
            continue
        for by in ("id", "email"):
            r = send(b, method, path, "super", _args(method, path, u, by))
            assert err(r, 404) == "User not found", (method, path, by)
    n = native(a, u)
    assert (n["status"], n["version"]) == ("active", 1)


# --- users by email_id or email ------------------------------------------------------------

def test_email_id_wins_over_email_and_either_names_the_user():
    o = Org()
    u, v = make(o), make(o)
    ok(at(o, "POST", "/togglesuspension", json={"email_id": u["id"], "email": v["email"]}))
    assert (native(o, u)["status"], native(o, v)["status"]) == ("suspended", "active")
    ok(at(o, "POST", "/togglesuspension", form={"email": v["email"].upper()}))
    assert native(o, v)["status"] == "suspended"
    assert "email_id or email is required" in err(at(o, "POST", "/togglesuspension", json={}), 400)
    assert "email_id" in err(at(o, "POST", "/togglesuspension", json={"email_id": "x"}), 400)
    assert err(at(o, "POST", "/togglesuspension", json={"email_id": 999999999}), 404) == "User not found"
    assert "unknown field" in err(at(o, "POST", "/togglesuspension",
                                     json={"email_id": u["id"], "colour": "red"}), 400)


# --- suspension ------------------------------------------------------------------------------

def test_togglesuspension_switches_active_and_suspended_on_every_surface():
    o = Org()
    u = make(o)
    assert "SUSPENDED" in ok(at(o, "POST", "/togglesuspension", json={"email_id": u["id"]}))
    assert native(o, u)["status"] == "suspended"
    assert entries(o)[u["email"]]["ad_status"] == "SUSPENDED"
    sf = expect(o.call("GET", f"/api/v1/users?uid={u['uid']}&active=false"), 200).json()["users"]
    assert [x["uid"] for x in sf] == [u["uid"]], "suspended is inactive through the native filter too"
    assert "ACTIVE" in ok(at(o, "POST", "/togglesuspension", json={"email_id": u["id"]}))
    assert native(o, u)["status"] == "active"
    # A disabled user is not toggled into a suspension.
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/disable"), 200)
    assert "only an active user" in err(at(o, "POST", "/togglesuspension",
                                           json={"email_id": u["id"]}), 400)
    assert native(o, u)["status"] == "disabled"


# --- ranks and guests --------------------------------------------------------------------------

def test_modifyrank_sets_the_access_level_and_only_super_grants_admin_or_super():
    o = Org()
    u = make(o)
    r = at(o, "POST", "/modifyrank", json={"admin_user_id": u["id"], "rank": "ADMIN"})
    assert "super" in err(r, 403)
    assert native(o, u)["access_level"] == "user"
    ok(at(o, "POST", "/modifyrank", "super", json={"admin_user_id": u["id"], "rank": "ADMIN"}))
    assert native(o, u)["access_level"] == "admin"
    r = at(o, "POST", "/modifyrank", json={"admin_user_id": u["id"], "rank": "REGULAR"})
    assert "super" in err(r, 403), "revoking admin needs super too"
    ok(at(o, "POST", "/modifyrank", "super", form={"admin_user_id": str(u["id"]), "rank": "super"}))
    assert native(o, u)["access_level"] == "super"
    ok(at(o, "POST", "/modifyrank", "super", json={"admin_user_id": u["id"], "rank": "REGULAR"}))
    assert native(o, u)["access_level"] == "user"
    for body, words in (({"admin_user_id": u["id"], "rank": "OWNER"}, "rank must be one of"),
                        ({"admin_user_id": u["id"]}, "rank is required"),
                        ({"rank": "ADMIN"}, "admin_user_id or email is required")):
        assert words in err(at(o, "POST", "/modifyrank", "super", json=body), 400)


def test_a_guest_has_no_rank_until_promoted():
    o = Org()
    g = make(o, "guest")
    assert "guest" in err(at(o, "POST", "/modifyrank", "super",
                             json={"admin_user_id": g["id"], "rank": "ADMIN"}), 400)
    assert native(o, g)["access_level"] == "guest"
    assert "GUEST to USER" in ok(at(o, "POST", "/promoteguest", json={"email_id": g["id"]}))
    assert native(o, g)["access_level"] == "user"
    assert err(at(o, "POST", "/promoteguest", json={"email_id": g["id"]}), 400) == "User is not a guest"


def test_guests_cannot_be_in_groups_or_policies_until_promoted():
    o = Org()
    g = make(o, "guest")
    grp = expect(o.call("POST", "/api/v1/groups", json={"key": unique("g")}), 201).json()
    pol = expect(o.call("POST", "/api/v1/policies", json={"name": unique("p")}), 201).json()
    expect(o.call("POST", f"/api/v1/groups/{grp['key']}/members", json={"user": g["uid"]}), 400)
    expect(o.call("POST", f"/api/v1/policies/{pol['id']}/assignments", json={"user": g["uid"]}), 400)
    ok(at(o, "POST", "/promoteguest", json={"email_id": g["id"]}))
    expect(o.call("POST", f"/api/v1/groups/{grp['key']}/members", json={"user": g["uid"]}), 201)
    expect(o.call("POST", f"/api/v1/policies/{pol['id']}/assignments", json={"user": g["uid"]}), 201)


# --- multipleusers --------------------------------------------------------------------------------

def test_multipleusers_answers_every_field_from_the_core():
    o = Org()
    u = make(o, first_name="Joe", last_name="Developer", username=unique("joe"))
    grp = expect(o.call("POST", "/api/v1/groups", json={"key": unique("g"), "name": "Employees"}),
                 201).json()
    expect(o.call("POST", f"/api/v1/groups/{grp['key']}/members", json={"user": u["uid"]}), 201)
    rc, _, err_ = psql(f"INSERT INTO gatehouse.webauthn_credentials (org_id, user_id, credential_id,"
                       f" public_key, created_at) VALUES ({o.id}, {u['id']}, '\\x01', '\\x02',"
                       f" '2023-01-23 23:46:35+00')", tenant=o.id)
    assert rc == 0, err_
    e = entries(o)[u["email"]]
    created = u["created_at"][:19].replace("T", " ")
    assert e == {
        "ad_status": "ACTIVE", "active_date": u["confirmed_at"][:19].replace("T", " "),
        "confirmed": u["confirmed_at"][:19].replace("T", " "), "created": created,
        "device_added": "2023-01-23 23:46:35", "email": u["email"], "email_id": u["id"],
        "email_status": "CONFIRMED", "first_name": "Joe", "groups": [["Employees"]],
        "last_name": "Developer", "name": "Joe Developer", "user_id": u["id"],
        "username": u["username"], "unique_id": u["uid"],
    }
    e = entries(o, "?email=true")[u["email"]]
    assert e["name"] == f"Joe Developer ({u['email']})"


def test_multipleusers_lists_guests_apart_and_pending_users_unconfirmed():
    o = Org()
    g = make(o, "guest")
    p = expect(o.create("super", invite=True, send_email=False), 201).json()
    everyone = entries(o)
    assert g["email"] not in everyone and p["email"] in everyone
    e = everyone[p["email"]]
    assert (e["email_status"], e["ad_status"], e["confirmed"], e["active_date"], e["device_added"]) == \
        ("UNCONFIRMED", "PENDING", None, None, None)
    guests = entries(o, "?user_tag=GUEST")
    natives = expect(o.call("GET", "/api/v1/users?access_level=guest"), 200).json()["users"]
    assert sorted(guests) == sorted(x["email"] for x in natives) and g["email"] in guests
    assert not set(guests) & set(everyone)
    assert guests[g["email"]]["groups"] == []
    assert "user_tag" in err(at(o, "GET", "/multipleusers?user_tag=ROBOT"), 400)
    assert "email" in err(at(o, "GET", "/multipleusers?email=maybe"), 400)
    # Removed users are not listed.
    expect(o.call("DELETE", f"/api/v1/users/{p['uid']}", "super"), 204)
    assert p["email"] not in entries(o)


# --- smart cards and workstation usernames ---------------------------------------------------------

def test_smartcards_get_and_replace_with_json_or_serialized_form_fields():
    o = Org()
    u = make(o)
    cards = [{"number": "123456", "label": "Test"}, {"number": 42}]
    ok(at(o, "POST", "/modifysmartcard", json={"email_id": u["id"], "smartcards": cards}))
    got = expect(at(o, "GET", f"/modifysmartcard?email_id={u['id']}"), 200).json()
    assert got == {"email_id": u["id"], "smartcards": [{"label": "Test", "number": "123456"},
                                                      {"label": "", "number": "42"}]}
    ok(at(o, "POST", "/modifysmartcard", form={"email": u["email"],
                                               "smartcards": json.dumps([{"number": "7"}])}))
    got = expect(at(o, "GET", f"/modifysmartcard?email={u['email']}"), 200).json()
    assert got == {"email_id": u["id"], "smartcards": [{"label": "", "number": "7"}]}
    ok(at(o, "POST", "/modifysmartcard", json={"email_id": u["id"], "smartcards": []}))
    assert expect(at(o, "GET", f"/modifysmartcard?email_id={u['id']}"), 200).json()["smartcards"] == []


def test_smartcards_are_refused_when_malformed_or_held_by_another_user():
    o = Org()
    u, v = make(o), make(o)
    ok(at(o, "POST", "/modifysmartcard", json={"email_id": v["id"], "smartcards": [{"number": "55"}]}))
    for cards, words in (([{"number": "12a"}], "digits"), ([{"label": "x"}], "number"),
                         (["55"], "object"), ("[{", "not valid JSON"), ({"number": "1"}, "list"),
                         ([{"number": "1"}, {"number": "1"}], "twice")):
        assert words in err(at(o, "POST", "/modifysmartcard",
                               json={"email_id": u["id"], "smartcards": cards}), 400), cards
    assert "another user" in err(at(o, "POST", "/modifysmartcard",
                                    json={"email_id": u["id"], "smartcards": [{"number": "55"}]}), 400)
    ok(at(o, "POST", "/modifysmartcard", json={"email_id": u["id"], "smartcards": [{"number": "55"}],
                                              "allow_duplicates": True}))
    assert "smartcards" in err(at(o, "POST", "/modifysmartcard", json={"email_id": u["id"]}), 400)


def test_modifyallusernames_replaces_them_and_an_empty_array_clears():
    o = Org()
    u = make(o)
    names = [{"computer_username": "jdeveloper"}, {"computer_username": "ACME\\jd"}]
    ok(at(o, "POST", "/modifyallusernames", json={"email_id": u["id"], "computer_usernames": names}))
    got = expect(at(o, "GET", f"/user?email_id={u['id']}"), 200).json()
    assert sorted(got["computer_usernames"]) == ["ACME\\jd", "jdeveloper"]
    ok(at(o, "POST", "/modifyallusernames",
          form={"email_id": u["id"], "computer_usernames": json.dumps([{"computer_username": "x"}])}))
    assert expect(at(o, "GET", f"/user?email_id={u['id']}"), 200).json()["computer_usernames"] == ["x"]
    ok(at(o, "POST", "/modifyallusernames", json={"email_id": u["id"], "computer_usernames": []}))
    assert expect(at(o, "GET", f"/user?email_id={u['id']}"), 200).json()["computer_usernames"] == []
    for bad in (["x"], [{"username": "x"}], [{"computer_username": ""}],
                [{"computer_username": "x", "extra": 1}], [{"computer_username": 5}]):
        err(at(o, "POST", "/modifyallusernames", json={"email_id": u["id"], "computer_usernames": bad}),
            400)


# --- one user ---------------------------------------------------------------------------------------

def test_user_get_answers_policies_usernames_and_cards():
    o = Org()
    u = make(o)
    grp = expect(o.call("POST", "/api/v1/groups", json={"key": unique("g")}), 201).json()
    expect(o.call("POST", f"/api/v1/groups/{grp['key']}/members", json={"user": u["uid"]}), 201)
    direct = expect(o.call("POST", "/api/v1/policies", json={"name": "asdf"}), 201).json()
    via_group = expect(o.call("POST", "/api/v1/policies", json={"name": "test_policy"}), 201).json()
    expect(o.call("POST", f"/api/v1/policies/{direct['id']}/assignments", json={"user": u["uid"]}), 201)
    expect(o.call("POST", f"/api/v1/policies/{via_group['id']}/assignments", json={"group": grp["key"]}),
           201)
    ok(at(o, "POST", "/modifysmartcard", json={"email_id": u["id"],
                                              "smartcards": [{"number": "9", "label": "Label"}]}))
    ok(at(o, "POST", "/modifyallusernames", json={"email_id": u["id"],
                                                 "computer_usernames": [{"computer_username": "u"}]}))
    got = expect(at(o, "GET", f"/user?email_id={u['id']}"), 200).json()
    assert got == {"policies": [["asdf"], ["test_policy"]], "computer_usernames": ["u"],
                   "smartcards": [{"label": "Label", "number": "9"}]}


def test_user_delete_leaves_groups_drops_sole_policies_and_keeps_the_row():
    o = Org()
    u, other = make(o, username=unique("del")), make(o)
    grp = expect(o.call("POST", "/api/v1/groups", json={"key": unique("g")}), 201).json()
    expect(o.call("POST", f"/api/v1/groups/{grp['key']}/members", json={"user": u["uid"]}), 201)
    only = expect(o.call("POST", "/api/v1/policies", json={"name": unique("only")}), 201).json()
    shared = expect(o.call("POST", "/api/v1/policies", json={"name": unique("shared")}), 201).json()
    for p, who in ((only, [u]), (shared, [u, other])):
        for x in who:
            expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"user": x["uid"]}),
                   201)
    msg = ok(request("DELETE", f"/allthenticate/user?email_id={u['id']}&email={other['email']}",
                     key=o.keys["admin"]))
    assert msg == f"User {u['email']}/{u['username']} was successfully deleted from your organization."
    expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 404)
    assert native(o, other)["status"] == "active", "email_id won over email"
    rc, out, _ = psql(f"SELECT status FROM gatehouse.users WHERE uid = '{u['uid']}'", tenant=o.id)
    assert (rc, out) == (0, "removed"), "the row is kept"
    policies = {p["name"] for p in expect(o.call("GET", "/api/v1/policies"), 200).json()["policies"]}
    assert only["name"] not in policies and shared["name"] in policies
    g = expect(o.call("GET", f"/api/v1/groups/{grp['key']}"), 200).json()
    assert g["members"] == 0
    assert err(at(o, "DELETE", f"/user?email_id={u['id']}"), 404) == "User not found"
    # By e-mail, from a form body.
    v = make(o)
    ok(at(o, "DELETE", "/user", form={"email": v["email"]}))
    expect(o.call("GET", f"/api/v1/users/{v['uid']}"), 404)


def test_the_last_super_cannot_be_deleted_or_demoted():
    o = Org()
    rc, out, _ = psql("SELECT id FROM gatehouse.users WHERE access_level = 'super'", tenant=o.id)
    sid = int(out)
    assert "last super" in err(at(o, "DELETE", f"/user?email_id={sid}", "super"), 400)
    assert "last super" in err(at(o, "POST", "/modifyrank", "super",
                                  json={"admin_user_id": sid, "rank": "REGULAR"}), 400)


def test_a_user_made_natively_is_the_same_here_and_changes_here_show_natively():
    o = Org()
    u = make(o, first_name="Kim", last_name="Lee")
    e = entries(o)[u["email"]]
    assert (e["unique_id"], e["email_id"], e["name"], e["ad_status"]) == (u["uid"], u["id"], "Kim Lee",
                                                                         "ACTIVE")
    ok(at(o, "POST", "/togglesuspension", json={"email_id": u["id"]}))
    ok(at(o, "POST", "/modifysmartcard", json={"email_id": u["id"], "smartcards": [{"number": "31"}]}))
    assert native(o, u)["status"] == "suspended"
    cards = expect(o.call("GET", f"/api/v1/users/{u['uid']}/smartcards"), 200).json()["smartcards"]
    assert [c["number"] for c in cards] == ["31"]
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/unsuspend"), 200)
    assert entries(o)[u["email"]]["ad_status"] == "ACTIVE"


def test_multipleusers_refuses_an_org_too_large_to_answer_at_once():
    o = Org()
    tag = unique("big")
    # The org's three key holders who are not guests and 9,997 more: the most one answer holds.
    for start in range(0, 9997, 1000):
        items = [{"email": f"{tag}{i:05d}@big.example", "auth_method": "sso"}
                 for i in range(start, min(start + 1000, 9997))]
        expect(o.call("POST", "/api/v1/users/bulk", json=items), 201)
    assert len(entries(o)) == 10000
    make(o)
    assert "more than 10000 users" in err(at(o, "GET", "/multipleusers"), 400)
    # The guests alone are few enough.
    assert len(entries(o, "?user_tag=GUEST")) == 1


def test_allthenticate_modifyallusernames_names_its_own_field_in_errors():
    """Errors name the field at fault in the caller's words: a bad entry of
    `computer_usernames` is reported as `usernames[1]`, a field Allthenticate has not."""
    o = Org()
    u = make(o)
    r = at(o, "POST", "/modifyallusernames",
           json={"email_id": u["id"], "computer_usernames": [{"computer_username": "ok"},
                                                             {"computer_username": "a\nb"}]})
    message = err(r, 400)
    assert message.startswith("computer_usernames[1]"), message
