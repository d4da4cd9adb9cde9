"""test_groups.py: teams, groups and members, policies, smart cards, workstation usernames and MFA reset through the native API."""
import json as jsonlib
import threading
import urllib.parse

from gh import expect, get, psql, request, unique
from test_users import Org


def q(v):
    return urllib.parse.quote(v, safe="")


def new_user(o, **fields):
    fields.setdefault("auth_method", "sso")
    return expect(o.create(**fields), 201).json()


def new_group(o, key=None, **fields):
    return expect(o.call("POST", "/api/v1/groups", json={"key": key or unique("g"), **fields}), 201).json()


def new_policy(o, name=None):
    return expect(o.call("POST", "/api/v1/policies", json={"name": name or unique("p")}), 201).json()


def sql(o, text):
    rc, out, err = psql(text, tenant=o.id)
    assert rc == 0, err
    return out


def actions(o, target):
    return sql(o, f"SELECT action FROM gatehouse.audit_events WHERE target_id = '{target}' "
                  f"ORDER BY id").split()


def members_of(o, key):
    return expect(o.call("GET", f"/api/v1/groups/{q(key)}/members"), 200).json()["members"]


# --- teams -------------------------------------------------------------------------

def test_team_create_is_201_with_location_and_the_list_counts_its_users():
    o = Org()
    r = expect(o.call("POST", "/api/v1/teams", json={"name": "Red Team"}), 201)
    t = r.json()
    assert t["name"] == "Red Team" and t["members"] == 0
    assert r.headers["location"] == f"/api/v1/teams/{t['id']}"
    new_user(o, team="red team")
    listed = expect(o.call("GET", "/api/v1/teams"), 200).json()["teams"]
    assert [(x["id"], x["members"]) for x in listed] == [(t["id"], 1)]


def test_team_names_are_unique_case_insensitively():
    o = Org()
    expect(o.call("POST", "/api/v1/teams", json={"name": "Blue"}), 201)
    r = expect(o.call("POST", "/api/v1/teams", json={"name": "BLUE"}), 409)
    assert r.json()["field"] == "name"


def test_team_name_must_be_one_line_of_1_to_100_bytes():
    o = Org()
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "two\nlines"}):
        r = expect(o.call("POST", "/api/v1/teams", json=body), 400)
        assert r.json()["field"] == "name", body
    assert expect(o.call("GET", "/api/v1/teams"), 200).json()["teams"] == []


def test_team_rename_shows_in_its_users():
    o = Org()
    t = expect(o.call("POST", "/api/v1/teams", json={"name": "Old"}), 201).json()
    u = new_user(o, team="Old")
    v = expect(o.call("PATCH", f"/api/v1/teams/{t['id']}", json={"name": "New"}), 200).json()
    assert v["name"] == "New" and v["members"] == 1
    assert get(f"/api/v1/users/{u['uid']}", key=o.keys["admin"]).json()["team"] == "New"


def test_team_rename_to_a_taken_name_is_409_and_changes_nothing():
    o = Org()
    expect(o.call("POST", "/api/v1/teams", json={"name": "Taken"}), 201)
    t = expect(o.call("POST", "/api/v1/teams", json={"name": "Mine"}), 201).json()
    r = expect(o.call("PATCH", f"/api/v1/teams/{t['id']}", json={"name": "taken"}), 409)
    assert r.json()["field"] == "name"
    names = sorted(x["name"] for x in o.call("GET", "/api/v1/teams").json()["teams"])
    assert names == ["Mine", "Taken"]


def test_team_with_users_cannot_be_deleted():
    o = Org()
    t = expect(o.call("POST", "/api/v1/teams", json={"name": "Busy"}), 201).json()
    new_user(o, team="Busy")
    r = expect(o.call("DELETE", f"/api/v1/teams/{t['id']}"), 409)
    assert "move them" in r.json()["detail"]
    assert len(o.call("GET", "/api/v1/teams").json()["teams"]) == 1


def test_team_whose_users_are_removed_can_be_deleted():
    o = Org()
    t = expect(o.call("POST", "/api/v1/teams", json={"name": "Gone"}), 201).json()
    u = new_user(o, team="Gone")
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}"), 204)
    expect(o.call("DELETE", f"/api/v1/teams/{t['id']}"), 204)
    assert o.call("GET", "/api/v1/teams").json()["teams"] == []
    assert sql(o, f"SELECT status, team_id IS NULL FROM gatehouse.users WHERE uid = '{u['uid']}'") == "removed|t"


def test_unknown_team_is_404():
    o = Org()
    for tid in ("0", "999999999", "abc"):
        expect(o.call("PATCH", f"/api/v1/teams/{tid}", json={"name": "x"}), 404)
        expect(o.call("DELETE", f"/api/v1/teams/{tid}"), 404)


# --- groups ------------------------------------------------------------------------

def test_group_create_is_201_with_location_and_can_be_read_by_key():
    o = Org()
    r = expect(o.call("POST", "/api/v1/groups", json={"key": "flock:default", "name": "Default"}), 201)
    g = r.json()
    assert (g["key"], g["name"], g["members"]) == ("flock:default", "Default", 0)
    assert r.headers["location"] == "/api/v1/groups/flock:default"
    assert expect(o.call("GET", r.headers["location"]), 200).json()["id"] == g["id"]
    assert expect(o.call("GET", "/api/v1/groups/flock%3Adefault"), 200).json()["key"] == "flock:default"


def test_group_name_defaults_to_its_key():
    o = Org()
    assert new_group(o, "engineering")["name"] == "engineering"


def test_group_keys_are_unique_case_insensitively_and_match_in_any_case():
    o = Org()
    new_group(o, "Engineering")
    r = expect(o.call("POST", "/api/v1/groups", json={"key": "engineering"}), 409)
    assert r.json()["field"] == "key"
    assert expect(o.call("GET", "/api/v1/groups/ENGINEERING"), 200).json()["key"] == "Engineering"


def test_group_key_must_be_a_plain_token():
    o = Org()
    for key in ("", "a b", "a,b", "a/b", "x" * 101):
        r = expect(o.call("POST", "/api/v1/groups", json={"key": key}), 400)
        assert r.json()["field"] == "key", key
    r = expect(o.call("POST", "/api/v1/groups", json={"key": "ok", "name": "x" * 101}), 400)
    assert r.json()["field"] == "name"
    assert expect(o.call("GET", "/api/v1/groups"), 200).json()["groups"] == []


def test_groups_list_by_key_with_member_counts():
    o = Org()
    new_group(o, "b")
    new_group(o, "a")
    u = new_user(o)
    expect(o.call("POST", "/api/v1/groups/b/members", json={"user": u["uid"]}), 201)
    listed = expect(o.call("GET", "/api/v1/groups"), 200).json()["groups"]
    assert [(g["key"], g["members"]) for g in listed] == [("a", 0), ("b", 1)]


def test_group_delete_takes_its_memberships_and_policy_assignments():
    o = Org()
    g = new_group(o)
    u = new_user(o)
    p = new_policy(o)
    expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": u["uid"]}), 201)
    expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"group": g["key"]}), 201)
    expect(o.call("DELETE", f"/api/v1/groups/{g['key']}"), 204)
    expect(o.call("GET", f"/api/v1/groups/{g['key']}"), 404)
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}/groups"), 200).json()["groups"] == []
    assert o.call("GET", "/api/v1/policies").json()["policies"][0]["assignments"] == 0


def test_unknown_group_is_404():
    o = Org()
    u = new_user(o)
    for method, path, body in (("GET", "/api/v1/groups/nope", None),
                               ("DELETE", "/api/v1/groups/nope", None),
                               ("GET", "/api/v1/groups/nope/members", None),
                               ("POST", "/api/v1/groups/nope/members", {"user": u["uid"]}),
                               ("PUT", f"/api/v1/groups/nope/members/{u['uid']}", {"role": "member"})):
        expect(o.call(method, path, json=body), 404)


# --- members -----------------------------------------------------------------------

def test_adding_a_member_is_201_and_changing_its_role_is_200():
    o = Org()
    g = new_group(o, "flock:ops")
    u = new_user(o)
    r = expect(o.call("POST", "/api/v1/groups/flock:ops/members", json={"user": u["uid"], "role": "watcher"}), 201)
    m = r.json()
    assert (m["uid"], m["role"], m["group"], m["email"]) == (u["uid"], "watcher", g["key"], u["email"])
    assert r.headers["location"] == f"/api/v1/groups/flock:ops/members/{u['uid']}"
    m = expect(o.call("POST", "/api/v1/groups/flock:ops/members", json={"user": u["uid"], "role": "Manager"}), 200).json()
    assert m["role"] == "manager"
    assert [(x["uid"], x["role"]) for x in members_of(o, "flock:ops")] == [(u["uid"], "manager")]


def test_member_role_defaults_to_member():
    o = Org()
    g = new_group(o)
    u = new_user(o)
    assert expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": u["uid"]}), 201).json()["role"] == "member"


def test_put_member_creates_or_changes_the_membership():
    o = Org()
    g = new_group(o)
    u = new_user(o)
    path = f"/api/v1/groups/{g['key']}/members/{u['uid']}"
    assert expect(o.call("PUT", path, json={"role": "manager"}), 201).json()["role"] == "manager"
    assert expect(o.call("PUT", path, json={"role": "watcher"}), 200).json()["role"] == "watcher"


def test_member_role_must_be_member_manager_or_watcher():
    o = Org()
    g = new_group(o)
    u = new_user(o)
    r = expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": u["uid"], "role": "owner"}), 400)
    assert r.json()["field"] == "role"
    assert members_of(o, g["key"]) == []


def test_member_needs_a_known_user():
    o = Org()
    g = new_group(o)
    r = expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"role": "member"}), 400)
    assert r.json()["field"] == "user"
    r = expect(o.call("POST", f"/api/v1/groups/{g['key']}/members",
                      json={"user": "00000000-0000-0000-0000-000000000000"}), 404)
    assert r.json()["field"] == "user"


def test_guest_cannot_join_groups():
    o = Org()
    g = new_group(o)
    guest = new_user(o, access_level="guest")
    r = expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": guest["uid"]}), 400)
    assert r.json()["field"] == "user" and r.json()["detail"] == "a guest cannot join groups"
    expect(o.call("PUT", f"/api/v1/groups/{g['key']}/members/{guest['uid']}", json={"role": "watcher"}), 400)
    assert members_of(o, g["key"]) == []


def test_removing_a_member_and_removing_a_non_member_is_404():
    o = Org()
    g = new_group(o)
    u = new_user(o)
    expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": u["uid"]}), 201)
    expect(o.call("DELETE", f"/api/v1/groups/{g['key']}/members/{u['uid']}"), 204)
    assert members_of(o, g["key"]) == []
    expect(o.call("DELETE", f"/api/v1/groups/{g['key']}/members/{u['uid']}"), 404)


def test_members_list_pages_with_a_cursor():
    o = Org()
    g = new_group(o)
    uids = []
    for _ in range(5):
        u = new_user(o)
        uids.append(u["uid"])
        expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": u["uid"]}), 201)
    seen, cursor = [], None
    while True:
        qs = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = expect(o.call("GET", f"/api/v1/groups/{g['key']}/members?{qs}"), 200).json()
        assert len(page["members"]) <= 2
        seen += [m["uid"] for m in page["members"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == uids
    for qs, field in (("limit=0", "limit"), ("limit=1001", "limit"), ("cursor=abc", "cursor")):
        r = expect(o.call("GET", f"/api/v1/groups/{g['key']}/members?{qs}"), 400)
        assert r.json()["field"] == field


def test_user_groups_list_each_membership_with_its_role():
    o = Org()
    a, b = new_group(o, "b-team"), new_group(o, "a-team")
    u = new_user(o)
    expect(o.call("PUT", f"/api/v1/groups/{a['key']}/members/{u['uid']}", json={"role": "manager"}), 201)
    expect(o.call("PUT", f"/api/v1/groups/{b['key']}/members/{u['uid']}", json={"role": "watcher"}), 201)
    groups = expect(o.call("GET", f"/api/v1/users/{u['uid']}/groups"), 200).json()["groups"]
    assert [(g["key"], g["role"]) for g in groups] == [("a-team", "watcher"), ("b-team", "manager")]


def test_a_removed_user_leaves_its_groups():
    o = Org()
    g = new_group(o)
    u = new_user(o)
    expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": u["uid"]}), 201)
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}"), 204)
    assert members_of(o, g["key"]) == []
    assert o.call("GET", f"/api/v1/groups/{g['key']}").json()["members"] == 0
    expect(o.call("GET", f"/api/v1/users/{u['uid']}/groups"), 404)


def test_an_admin_cannot_change_the_groups_of_a_super():
    o = Org()
    g = new_group(o)
    boss = expect(o.create(level="super", access_level="super", auth_method="sso"), 201).json()
    expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": boss["uid"]}), 403)
    expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", "super", json={"user": boss["uid"]}), 201)
    expect(o.call("DELETE", f"/api/v1/groups/{g['key']}/members/{boss['uid']}"), 403)


# --- policies ----------------------------------------------------------------------

def test_policy_create_is_201_and_the_list_counts_assignments():
    o = Org()
    r = expect(o.call("POST", "/api/v1/policies", json={"name": "Door A", "description": "front door"}), 201)
    p = r.json()
    assert (p["name"], p["description"], p["assignments"]) == ("Door A", "front door", 0)
    assert r.headers["location"] == f"/api/v1/policies/{p['id']}"
    expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"user": new_user(o)["uid"]}), 201)
    expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"group": new_group(o)["key"]}), 201)
    assert [(x["id"], x["assignments"]) for x in o.call("GET", "/api/v1/policies").json()["policies"]] == [(p["id"], 2)]


def test_policy_names_are_unique_case_insensitively():
    o = Org()
    new_policy(o, "VPN")
    r = expect(o.call("POST", "/api/v1/policies", json={"name": "vpn"}), 409)
    assert r.json()["field"] == "name"


def test_policy_fields_are_bounded():
    o = Org()
    r = expect(o.call("POST", "/api/v1/policies", json={"name": ""}), 400)
    assert r.json()["field"] == "name"
    r = expect(o.call("POST", "/api/v1/policies", json={"name": "x", "description": "d" * 2001}), 400)
    assert r.json()["field"] == "description"
    assert o.call("GET", "/api/v1/policies").json()["policies"] == []


def test_assigning_a_policy_twice_is_idempotent():
    o = Org()
    p = new_policy(o)
    u = new_user(o)
    path = f"/api/v1/policies/{p['id']}/assignments"
    r = expect(o.call("POST", path, json={"user": u["uid"]}), 201)
    a = r.json()
    assert (a["user"], a["group"], a["policy_id"]) == (u["uid"], None, p["id"])
    assert r.headers["location"] == f"{path}/{a['id']}"
    assert expect(o.call("POST", path, json={"user": u["uid"]}), 200).json()["id"] == a["id"]
    assert [x["id"] for x in o.call("GET", path).json()["assignments"]] == [a["id"]]
    assert actions(o, str(p["id"])).count("policy.assign") == 1


def test_user_policies_mark_direct_and_group_assignments():
    o = Org()
    direct, via, both = new_policy(o, "a-direct"), new_policy(o, "b-via"), new_policy(o, "c-both")
    g = new_group(o, "staff")
    u = new_user(o)
    expect(o.call("POST", f"/api/v1/groups/staff/members", json={"user": u["uid"]}), 201)
    a1 = expect(o.call("POST", f"/api/v1/policies/{direct['id']}/assignments", json={"user": u["uid"]}), 201).json()
    expect(o.call("POST", f"/api/v1/policies/{via['id']}/assignments", json={"group": g["key"]}), 201)
    a3 = expect(o.call("POST", f"/api/v1/policies/{both['id']}/assignments", json={"user": u["uid"]}), 201).json()
    expect(o.call("POST", f"/api/v1/policies/{both['id']}/assignments", json={"group": "STAFF"}), 201)
    got = expect(o.call("GET", f"/api/v1/users/{u['uid']}/policies"), 200).json()["policies"]
    assert [(p["name"], p["direct"], p["assignment_id"], p["groups"]) for p in got] == [
        ("a-direct", True, a1["id"], []), ("b-via", False, None, ["staff"]),
        ("c-both", True, a3["id"], ["staff"])]


def test_guest_cannot_be_assigned_policies():
    o = Org()
    p = new_policy(o)
    guest = new_user(o, access_level="guest")
    r = expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"user": guest["uid"]}), 400)
    assert r.json()["field"] == "user" and "guest" in r.json()["detail"]
    assert o.call("GET", f"/api/v1/policies/{p['id']}/assignments").json()["assignments"] == []


def test_an_assignment_names_a_user_or_a_group_not_both():
    o = Org()
    p = new_policy(o)
    u, g = new_user(o), new_group(o)
    path = f"/api/v1/policies/{p['id']}/assignments"
    for body in ({}, {"user": u["uid"], "group": g["key"]}):
        r = expect(o.call("POST", path, json=body), 400)
        assert r.json()["field"] == "user", body
    r = expect(o.call("POST", path, json={"group": "no-such-group"}), 404)
    assert r.json()["field"] == "group"
    expect(o.call("POST", "/api/v1/policies/0/assignments", json={"user": u["uid"]}), 404)


def test_unassigning_a_policy_and_unknown_assignments_are_404():
    o = Org()
    p, other = new_policy(o), new_policy(o)
    u = new_user(o)
    a = expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"user": u["uid"]}), 201).json()
    expect(o.call("DELETE", f"/api/v1/policies/{other['id']}/assignments/{a['id']}"), 404)
    expect(o.call("DELETE", f"/api/v1/policies/{p['id']}/assignments/{a['id']}"), 204)
    expect(o.call("DELETE", f"/api/v1/policies/{p['id']}/assignments/{a['id']}"), 404)
    assert o.call("GET", f"/api/v1/users/{u['uid']}/policies").json()["policies"] == []


def test_policy_delete_takes_its_assignments():
    o = Org()
    p = new_policy(o)
    u = new_user(o)
    expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"user": u["uid"]}), 201)
    expect(o.call("DELETE", f"/api/v1/policies/{p['id']}"), 204)
    expect(o.call("DELETE", f"/api/v1/policies/{p['id']}"), 404)
    assert o.call("GET", f"/api/v1/users/{u['uid']}/policies").json()["policies"] == []
    assert sql(o, "SELECT count(*) FROM gatehouse.policy_assignments") == "0"


# --- smart cards -------------------------------------------------------------------

def test_smartcards_replace_the_whole_set_and_an_empty_list_clears_it():
    o = Org()
    u = new_user(o)
    path = f"/api/v1/users/{u['uid']}/smartcards"
    assert expect(o.call("GET", path), 200).json() == {"smartcards": []}
    got = expect(o.call("PUT", path, json={"smartcards": [{"number": "222", "label": "spare"},
                                                          {"number": "111"}]}), 200).json()
    assert got["smartcards"] == [{"number": "111", "label": ""}, {"number": "222", "label": "spare"}]
    expect(o.call("PUT", path, json={"smartcards": [{"number": "333"}]}), 200)
    assert expect(o.call("GET", path), 200).json()["smartcards"] == [{"number": "333", "label": ""}]
    assert expect(o.call("PUT", path, json={"smartcards": []}), 200).json() == {"smartcards": []}
    assert expect(o.call("GET", path), 200).json() == {"smartcards": []}


def test_smartcards_in_a_form_body_are_json_text():
    o = Org()
    u = new_user(o)
    body = {"smartcards": jsonlib.dumps([{"number": "0042", "label": "badge"}]), "allow_duplicates": "false"}
    got = expect(o.call("PUT", f"/api/v1/users/{u['uid']}/smartcards", form=body), 200).json()
    assert got["smartcards"] == [{"number": "0042", "label": "badge"}]


def test_a_smartcard_of_another_user_is_409_unless_duplicates_are_allowed():
    o = Org()
    a, b = new_user(o), new_user(o)
    expect(o.call("PUT", f"/api/v1/users/{a['uid']}/smartcards", json={"smartcards": [{"number": "555"}]}), 200)
    r = expect(o.call("PUT", f"/api/v1/users/{b['uid']}/smartcards",
                      json={"smartcards": [{"number": "1"}, {"number": "555"}]}), 409)
    assert r.json()["field"] == "smartcards" and "555" in r.json()["detail"]
    assert o.call("GET", f"/api/v1/users/{b['uid']}/smartcards").json()["smartcards"] == []
    expect(o.call("PUT", f"/api/v1/users/{b['uid']}/smartcards",
                  json={"smartcards": [{"number": "555"}], "allow_duplicates": True}), 200)
    assert o.call("GET", f"/api/v1/users/{b['uid']}/smartcards").json()["smartcards"] == [
        {"number": "555", "label": ""}]


def test_a_smartcard_of_a_removed_user_can_be_given_again():
    o = Org()
    a, b = new_user(o), new_user(o)
    expect(o.call("PUT", f"/api/v1/users/{a['uid']}/smartcards", json={"smartcards": [{"number": "9"}]}), 200)
    expect(o.call("DELETE", f"/api/v1/users/{a['uid']}"), 204)
    expect(o.call("PUT", f"/api/v1/users/{b['uid']}/smartcards", json={"smartcards": [{"number": "9"}]}), 200)


def test_the_same_smartcard_twice_in_one_request_is_400():
    o = Org()
    u = new_user(o)
    r = expect(o.call("PUT", f"/api/v1/users/{u['uid']}/smartcards",
                      json={"smartcards": [{"number": "7"}, {"number": "7", "label": "again"}],
                            "allow_duplicates": True}), 400)
    assert r.json()["field"] == "smartcards"


def test_smartcard_numbers_are_1_to_64_digits_and_a_bad_one_changes_nothing():
    o = Org()
    u = new_user(o)
    path = f"/api/v1/users/{u['uid']}/smartcards"
    expect(o.call("PUT", path, json={"smartcards": [{"number": "100"}]}), 200)
    for cards in ([{"number": "12a"}], [{"number": ""}], [{"number": "1" * 65}], [{"label": "no number"}],
                  [{"number": "1", "label": "x" * 101}], [{"number": "1", "colour": "red"}], ["123"],
                  [{"number": "1"}] + [{"number": str(i + 2)} for i in range(100)]):
        r = expect(o.call("PUT", path, json={"smartcards": cards}), 400)
        assert r.json()["field"] == "smartcards", cards
    assert o.call("GET", path).json()["smartcards"] == [{"number": "100", "label": ""}]


def test_smartcards_must_be_a_list():
    o = Org()
    u = new_user(o)
    path = f"/api/v1/users/{u['uid']}/smartcards"
    for body in ({}, {"smartcards": "nope"}, {"smartcards": {"number": "1"}}, {"smartcards": None}):
        r = expect(o.call("PUT", path, json=body), 400)
        assert r.json()["field"] == "smartcards", body
    r = expect(o.call("PUT", path, json={"smartcards": [], "allow_duplicates": "maybe"}), 400)
    assert r.json()["field"] == "allow_duplicates"


def test_concurrent_claims_of_one_smartcard_have_exactly_one_winner():
    o = Org()
    users = [new_user(o) for _ in range(6)]
    results = []

    def go(u):
        results.append(o.call("PUT", f"/api/v1/users/{u['uid']}/smartcards",
                              json={"smartcards": [{"number": "424242"}]}).status)
    threads = [threading.Thread(target=go, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * 5, results
    assert sql(o, "SELECT count(*) FROM gatehouse.smart_cards WHERE number = '424242'") == "1"


# --- workstation usernames -----------------------------------------------------------

def test_workstation_usernames_replace_the_set_drop_repeats_and_clear():
    o = Org()
    u = new_user(o)
    path = f"/api/v1/users/{u['uid']}/workstation-usernames"
    assert expect(o.call("GET", path), 200).json() == {"usernames": []}
    got = expect(o.call("PUT", path, json={"usernames": ["jdoe", "CORP\\jdoe", "jdoe"]}), 200).json()
    assert got["usernames"] == ["CORP\\jdoe", "jdoe"]
    expect(o.call("PUT", path, form={"usernames": jsonlib.dumps(["admin-jd"])}), 200)
    assert o.call("GET", path).json()["usernames"] == ["admin-jd"]
    assert expect(o.call("PUT", path, json={"usernames": []}), 200).json() == {"usernames": []}
    assert o.call("GET", path).json()["usernames"] == []


def test_workstation_usernames_are_1_to_256_characters_on_one_line():
    o = Org()
    u = new_user(o)
    path = f"/api/v1/users/{u['uid']}/workstation-usernames"
    expect(o.call("PUT", path, json={"usernames": ["é" * 256]}), 200)
    for names in ([""], ["x" * 257], ["two\nlines"], [7], [None], [["nested"]]):
        r = expect(o.call("PUT", path, json={"usernames": names}), 400)
        assert r.json()["field"] == "usernames", names
    expect(o.call("PUT", path, json={"names": ["x"]}), 400)
    assert o.call("GET", path).json()["usernames"] == ["é" * 256]


# --- MFA reset -----------------------------------------------------------------------

def _enrol(o, u, webauthn=2):
    sql(o, f"INSERT INTO gatehouse.totp_credentials (org_id, user_id, secret, confirmed_at) "
           f"VALUES ({o.id}, {u['id']}, '\\xdeadbeefcafe'::bytea, now())")
    for i in range(webauthn):
        sql(o, f"INSERT INTO gatehouse.webauthn_credentials (org_id, user_id, credential_id, public_key) "
               f"VALUES ({o.id}, {u['id']}, '\\x{u['id']:016x}{i:02x}'::bytea, '\\x0102'::bytea)")


def _mfa_rows(o, u):
    return sql(o, f"SELECT (SELECT count(*) FROM gatehouse.totp_credentials WHERE user_id = {u['id']}) || ',' || "
                  f"(SELECT count(*) FROM gatehouse.webauthn_credentials WHERE user_id = {u['id']})")


def test_mfa_reset_deletes_totp_and_webauthn_and_answers_the_user():
    o = Org()
    u = new_user(o)
    _enrol(o, u)
    before = o.call("GET", f"/api/v1/users/{u['uid']}").json()
    assert before["mfa"] == {"totp": True, "webauthn": True}
    r = expect(o.call("DELETE", f"/api/v1/users/{u['uid']}/mfa"), 200)
    v = r.json()
    assert v["uid"] == u["uid"] and v["mfa"] == {"totp": False, "webauthn": False}
    assert v["version"] == before["version"] + 1 and r.headers["etag"] == f'"{v["version"]}"'
    assert _mfa_rows(o, u) == "0,0"


def test_mfa_reset_of_one_type_keeps_the_other():
    o = Org()
    u = new_user(o)
    _enrol(o, u)
    v = expect(o.call("DELETE", f"/api/v1/users/{u['uid']}/mfa?type=totp"), 200).json()
    assert v["mfa"] == {"totp": False, "webauthn": True}
    assert _mfa_rows(o, u) == "0,2"
    v = expect(o.call("DELETE", f"/api/v1/users/{u['uid']}/mfa?type=webauthn"), 200).json()
    assert v["mfa"] == {"totp": False, "webauthn": False}


def test_mfa_reset_type_must_be_totp_webauthn_or_all():
    o = Org()
    u = new_user(o)
    _enrol(o, u)
    r = expect(o.call("DELETE", f"/api/v1/users/{u['uid']}/mfa?type=sms"), 400)
    assert r.json()["field"] == "type"
    assert _mfa_rows(o, u) == "1,2"


def test_an_admin_cannot_reset_the_mfa_of_a_super():
    o = Org()
    boss = expect(o.create(level="super", access_level="super", auth_method="sso"), 201).json()
    _enrol(o, boss, webauthn=1)
    expect(o.call("DELETE", f"/api/v1/users/{boss['uid']}/mfa"), 403)
    assert _mfa_rows(o, boss) == "1,1"
    expect(o.call("DELETE", f"/api/v1/users/{boss['uid']}/mfa", "super"), 200)


def test_an_admin_cannot_change_the_cards_or_workstation_names_of_a_super():
    o = Org()
    boss = expect(o.create(level="super", access_level="super", auth_method="sso"), 201).json()
    expect(o.call("PUT", f"/api/v1/users/{boss['uid']}/smartcards", json={"smartcards": []}), 403)
    expect(o.call("PUT", f"/api/v1/users/{boss['uid']}/workstation-usernames", json={"usernames": []}), 403)
    expect(o.call("GET", f"/api/v1/users/{boss['uid']}/smartcards"), 200)


# --- input, authorization, audit ------------------------------------------------------

def test_unknown_fields_are_refused_naming_them():
    o = Org()
    u = new_user(o)
    g = new_group(o)
    for method, path, body, field in (
            ("POST", "/api/v1/teams", {"name": "x", "colour": "red"}, "colour"),
            ("POST", "/api/v1/groups", {"key": "k", "extra": [{"a": 1}]}, "extra"),
            ("POST", f"/api/v1/groups/{g['key']}/members", {"user": u["uid"], "rank": "x"}, "rank"),
            ("PUT", f"/api/v1/users/{u['uid']}/smartcards", {"smartcards": [], "cards": [{"number": "1"}]}, "cards"),
            ("POST", "/api/v1/policies", {"name": "p", "owner": {"x": 1}}, "owner")):
        r = expect(o.call(method, path, json=body), 400)
        assert r.json()["field"] == field, (path, r.json())
    assert o.call("GET", "/api/v1/teams").json()["teams"] == []
    assert [x["key"] for x in o.call("GET", "/api/v1/groups").json()["groups"]] == [g["key"]]
    assert o.call("GET", "/api/v1/policies").json()["policies"] == []


def test_routes_need_a_key_and_admin_and_stay_in_their_org():
    o, other = Org(), Org()
    u, g, p = new_user(o), new_group(o), new_policy(o)
    t = expect(o.call("POST", "/api/v1/teams", json={"name": "t"}), 201).json()
    a = expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"user": u["uid"]}), 201).json()
    own = [("PATCH", f"/api/v1/teams/{t['id']}", {"name": "x"}),
           ("DELETE", f"/api/v1/teams/{t['id']}", None),
           ("GET", f"/api/v1/groups/{g['key']}", None),
           ("DELETE", f"/api/v1/groups/{g['key']}", None),
           ("GET", f"/api/v1/groups/{g['key']}/members", None),
           ("POST", f"/api/v1/groups/{g['key']}/members", {"user": u["uid"]}),
           ("PUT", f"/api/v1/groups/{g['key']}/members/{u['uid']}", {"role": "member"}),
           ("DELETE", f"/api/v1/groups/{g['key']}/members/{u['uid']}", None),
           ("DELETE", f"/api/v1/policies/{p['id']}", None),
           ("GET", f"/api/v1/policies/{p['id']}/assignments", None),
           ("POST", f"/api/v1/policies/{p['id']}/assignments", {"user": u["uid"]}),
           ("DELETE", f"/api/v1/policies/{p['id']}/assignments/{a['id']}", None),
           ("GET", f"/api/v1/users/{u['uid']}/groups", None),
           ("GET", f"/api/v1/users/{u['uid']}/policies", None),
           ("GET", f"/api/v1/users/{u['uid']}/smartcards", None),
           ("PUT", f"/api/v1/users/{u['uid']}/smartcards", {"smartcards": []}),
           ("GET", f"/api/v1/users/{u['uid']}/workstation-usernames", None),
           ("PUT", f"/api/v1/users/{u['uid']}/workstation-usernames", {"usernames": []}),
           ("DELETE", f"/api/v1/users/{u['uid']}/mfa", None)]
    lists = [("GET", "/api/v1/teams", None), ("POST", "/api/v1/teams", {"name": "y"}),
             ("GET", "/api/v1/groups", None), ("POST", "/api/v1/groups", {"key": "y"}),
             ("GET", "/api/v1/policies", None), ("POST", "/api/v1/policies", {"name": "y"})]
    for method, path, body in own + lists:
        r = expect(request(method, path, json=body), 401)
        assert "bearer" in r.headers["www-authenticate"].lower()
        for level in ("guest", "user"):
            expect(o.call(method, path, level, json=body), 403)
    for method, path, body in own:
        expect(other.call(method, path, "super", json=body), 404)
    assert expect(o.call("GET", f"/api/v1/groups/{g['key']}"), 200).json()["key"] == g["key"]
    assert len(o.call("GET", "/api/v1/teams").json()["teams"]) == 1


def test_every_mutation_is_audited_once_with_old_and_new():
    o = Org()
    u = new_user(o)
    t = expect(o.call("POST", "/api/v1/teams", json={"name": "T1"}), 201).json()
    expect(o.call("PATCH", f"/api/v1/teams/{t['id']}", json={"name": "T2"}), 200)
    expect(o.call("DELETE", f"/api/v1/teams/{t['id']}"), 204)
    assert actions(o, str(t["id"])) == ["team.create", "team.rename", "team.delete"]
    assert sql(o, f"SELECT changes->'name'->>'old' || '>' || (changes->'name'->>'new') FROM gatehouse.audit_events "
                  f"WHERE action = 'team.rename'") == "T1>T2"

    g = new_group(o, "audited")
    expect(o.call("PUT", f"/api/v1/groups/audited/members/{u['uid']}", json={"role": "watcher"}), 201)
    expect(o.call("PUT", f"/api/v1/groups/audited/members/{u['uid']}", json={"role": "manager"}), 200)
    expect(o.call("PUT", f"/api/v1/groups/audited/members/{u['uid']}", json={"role": "manager"}), 200)
    expect(o.call("DELETE", f"/api/v1/groups/audited/members/{u['uid']}"), 204)
    expect(o.call("DELETE", f"/api/v1/groups/{g['key']}"), 204)
    assert actions(o, g["key"]) == ["group.create", "group.delete"]
    rows = sql(o, "SELECT action, changes->'groups'->'audited'->>'old', changes->'groups'->'audited'->>'new' "
                  "FROM gatehouse.audit_events WHERE action LIKE 'group.member.%' ORDER BY id").splitlines()
    assert rows == ["group.member.set||watcher", "group.member.set|watcher|manager",
                    "group.member.remove|manager|"], rows

    p = new_policy(o)
    a = expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"user": u["uid"]}), 201).json()
    expect(o.call("DELETE", f"/api/v1/policies/{p['id']}/assignments/{a['id']}"), 204)
    expect(o.call("DELETE", f"/api/v1/policies/{p['id']}"), 204)
    assert actions(o, str(p["id"])) == ["policy.create", "policy.assign", "policy.unassign", "policy.delete"]

    cards = {"smartcards": [{"number": "31337", "label": "desk"}]}
    expect(o.call("PUT", f"/api/v1/users/{u['uid']}/smartcards", json=cards), 200)
    expect(o.call("PUT", f"/api/v1/users/{u['uid']}/smartcards", json=cards), 200)
    expect(o.call("PUT", f"/api/v1/users/{u['uid']}/workstation-usernames", json={"usernames": ["ws1"]}), 200)
    _enrol(o, u, webauthn=1)
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}/mfa"), 200)
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}/mfa"), 200)
    assert [x for x in actions(o, u["uid"]) if x != "user.create"] == [
        "group.member.set", "group.member.set", "group.member.remove", "user.smartcards",
        "user.workstation_usernames", "user.mfa_reset"]
    assert sql(o, "SELECT changes->'smartcards'->'new'->0->>'number' FROM gatehouse.audit_events "
                  "WHERE action = 'user.smartcards'") == "31337"
    assert sql(o, "SELECT changes->>'type', changes->'totp'->>'old', changes->'webauthn_credentials'->>'old' "
                  "FROM gatehouse.audit_events WHERE action = 'user.mfa_reset'") == "all|true|1"


def test_audit_records_no_credentials():
    o = Org()
    u = new_user(o)
    _enrol(o, u)
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}/mfa"), 200)
    out = sql(o, f"SELECT changes::text FROM gatehouse.audit_events WHERE action = 'user.mfa_reset'")
    assert "deadbeef" not in out.lower() and "0102" not in out
    assert sql(o, "SELECT actor FROM gatehouse.audit_events WHERE action = 'user.mfa_reset'") != ""


def test_a_user_in_groups_cannot_be_demoted_to_guest():
    o = Org()
    u = expect(o.create(), 201).json()
    key = unique("g")
    expect(o.call("POST", "/api/v1/groups", json={"key": key}), 201)
    expect(o.call("POST", f"/api/v1/groups/{key}/members", json={"user": u["uid"], "role": "member"}), 201)
    r = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"access_level": "guest"}), 409).json()
    assert r["field"] == "access_level"
    expect(o.call("DELETE", f"/api/v1/groups/{key}/members/{u['uid']}"), 204)
    v = expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"access_level": "guest"}), 200).json()
    assert v["access_level"] == "guest"


def test_removing_a_user_frees_its_smart_cards_and_drops_its_credentials():
    o = Org()
    u = expect(o.create(), 201).json()
    other = expect(o.create(), 201).json()
    expect(o.call("PUT", f"/api/v1/users/{u['uid']}/smartcards", json={"smartcards": [{"number": "424242"}]}), 200)
    expect(o.call("PUT", f"/api/v1/users/{u['uid']}/workstation-usernames", json={"usernames": ["ws-1"]}), 200)
    rc, _, err = psql(f"INSERT INTO gatehouse.totp_credentials (org_id, user_id, secret, confirmed_at) "
                      f"VALUES ({o.id}, {u['id']}, '\\x00', now())", tenant=o.id)
    assert rc == 0, err
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}"), 204)
    for table in ("smart_cards", "workstation_usernames", "totp_credentials"):
        rc, out, _ = psql(f"SELECT count(*) FROM gatehouse.{table} WHERE user_id = {u['id']}", tenant=o.id)
        assert out == "0", table
    expect(o.call("PUT", f"/api/v1/users/{other['uid']}/smartcards",
                  json={"smartcards": [{"number": "424242"}]}), 200)


def test_deleting_a_group_or_policy_that_reaches_a_higher_user_is_refused():
    o = Org()
    boss = expect(o.create("super", access_level="super"), 201).json()
    gkey, other = unique("g"), unique("g")
    expect(o.call("POST", "/api/v1/groups", json={"key": gkey}), 201)
    expect(o.call("POST", "/api/v1/groups", json={"key": other}), 201)
    expect(o.call("POST", f"/api/v1/groups/{gkey}/members", "super",
                  json={"user": boss["uid"], "role": "member"}), 201)
    pol = expect(o.call("POST", "/api/v1/policies", json={"name": unique("p")}), 201).json()
    expect(o.call("POST", f"/api/v1/policies/{pol['id']}/assignments", "super",
                  json={"user": boss["uid"]}), 201)
    # An admin may not do through a group or policy what it may not do to the super directly.
    expect(o.call("DELETE", f"/api/v1/groups/{gkey}"), 403)
    expect(o.call("DELETE", f"/api/v1/policies/{pol['id']}"), 403)
    pol2 = expect(o.call("POST", "/api/v1/policies", json={"name": unique("p")}), 201).json()
    expect(o.call("POST", f"/api/v1/policies/{pol2['id']}/assignments", json={"group": gkey}), 403)
    expect(o.call("POST", f"/api/v1/policies/{pol2['id']}/assignments", json={"group": other}), 201)
    expect(o.call("GET", f"/api/v1/groups/{gkey}"), 200)
    # A super may.
    expect(o.call("DELETE", f"/api/v1/policies/{pol['id']}", "super"), 204)
    expect(o.call("DELETE", f"/api/v1/groups/{gkey}", "super"), 204)
