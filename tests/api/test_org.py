"""test_org.py: bulk creation, org settings, API keys as a resource, the audit log API, the sweep."""
import re
import time
import urllib.parse

from gh import (ROOT, ctl, expect, get, make_key, make_org, make_user, psql, request, split_key, unique,
                update)
from test_users import PW, Org


def q(v):
    return urllib.parse.quote(v, safe="")


# --- bulk create --------------------------------------------------------------

def test_bulk_create_makes_everyone_with_hashed_passwords():
    o = Org()
    p = unique("b")
    body = [{"email": f"{p}{i}@bulk.example", "password": f"{PW} {i}"} for i in range(6)]
    body.append({"email": f"{p}x@bulk.example", "auth_method": "sso", "roles": ["client"]})
    r = expect(o.call("POST", "/api/v1/users/bulk", json=body), 201).json()
    assert [u["email"] for u in r["users"]] == [b["email"] for b in body]
    assert all(u["has_password"] for u in r["users"][:6]) and not r["users"][6]["has_password"]
    rc, out, _ = psql(f"SELECT count(DISTINCT password_hash) FROM gatehouse.users "
                      f"WHERE email LIKE '{p}%' AND password_hash LIKE '$scrypt$%'", tenant=o.id)
    assert (rc, out) == (0, "6")


def test_bulk_with_one_bad_item_changes_nothing_and_names_it():
    o = Org()
    p = unique("b")
    body = [{"email": f"{p}0@bulk.example", "password": PW},
            {"email": f"{p}1@bulk.example", "password": "short"},
            {"email": f"{p}2@bulk.example", "password": PW}]
    r = expect(o.call("POST", "/api/v1/users/bulk", json=body), 400).json()
    assert r["field"] == "users[1].password" and r["detail"].startswith("item 1:")
    body[1] = {"email": f"{p}0@bulk.example", "password": PW}        # duplicate of item 0
    r = expect(o.call("POST", "/api/v1/users/bulk", json={"users": body}), 409).json()
    assert r["field"] == "users[1].email"
    rc, out, _ = psql(f"SELECT count(*) FROM gatehouse.users WHERE email LIKE '{p}%'", tenant=o.id)
    assert (rc, out) == (0, "0")


def test_bulk_refuses_a_body_that_is_not_a_list_of_objects():
    o = Org()
    for body in ({"email": "a@b.co"}, [], ["x"], [{"email": {"a": 1}}]):
        r = expect(o.call("POST", "/api/v1/users/bulk", json=body), 400).json()
        assert r["field"].startswith("users"), r


def test_bulk_needs_admin():
    o = Org()
    expect(o.call("POST", "/api/v1/users/bulk", "user", json=[{"email": "a@b.co"}]), 403)


# --- org settings -------------------------------------------------------------

def test_org_settings_read_and_update_with_audit():
    o = Org()
    s = expect(o.call("GET", "/api/v1/org"), 200).json()
    assert s["name"] == o.name and s["password_min"] == 12 and s["inactivity_days"] == 0
    s = expect(o.call("PATCH", "/api/v1/org", json={"inactivity_days": 30, "enforce_2fa": True,
                                                     "password_min": 16}), 200).json()
    assert (s["inactivity_days"], s["enforce_2fa"], s["password_min"]) == (30, True, 16)
    rc, out, _ = psql("SELECT changes->'password_min'->>'old', changes->'password_min'->>'new' "
                      "FROM gatehouse.audit_events WHERE action = 'org.update'", tenant=o.id)
    assert out == "12|16"


def test_org_password_minimum_applies_to_new_passwords():
    o = Org()
    expect(o.call("PATCH", "/api/v1/org", json={"password_min": 40}), 200)
    r = expect(o.create(password="a perfectly fine passphrase"), 400).json()
    assert r["field"] == "password" and "40" in r["detail"]


def test_org_tier_needs_super_and_bounds_are_enforced():
    o = Org()
    r = expect(o.call("PATCH", "/api/v1/org", json={"tier": "consultant"}), 403).json()
    assert r["field"] == "tier"
    assert expect(o.call("PATCH", "/api/v1/org", "super", json={"tier": "consultant"}), 200).json()["tier"] == "consultant"
    for body, field in (({"password_min": 4}, "password_min"), ({"inactivity_days": -1}, "inactivity_days"),
                        ({"session_lifetime_s": 10}, "session_lifetime_s"), ({"enforce_2fa": "yes"}, "enforce_2fa"),
                        ({"colour": "red"}, "colour"), ({"tier": "Gold Plan"}, "tier")):
        r = expect(o.call("PATCH", "/api/v1/org", "super", json=body), 400).json()
        assert r["field"] == field, (body, r)
    expect(o.call("GET", "/api/v1/org", "user"), 403)


def test_the_sign_in_settings_are_read_changed_bounded_and_audited():
    o = Org()
    r = expect(o.call("GET", "/api/v1/org"), 200).json()
    assert (r["session_idle_s"], r["lockout_threshold"], r["lockout_s"]) == (1800, 10, 900), r
    r = expect(o.call("PATCH", "/api/v1/org", json={"session_idle_s": 600, "lockout_threshold": 3,
                                                     "lockout_s": 120}), 200).json()
    assert (r["session_idle_s"], r["lockout_threshold"], r["lockout_s"]) == (600, 3, 120), r
    for body in ({"session_idle_s": 59}, {"session_idle_s": 86401}, {"lockout_threshold": 0},
                 {"lockout_threshold": 101}, {"lockout_s": 59}, {"lockout_s": "soon"}):
        field = next(iter(body))
        r = expect(o.call("PATCH", "/api/v1/org", json=body), 400).json()
        assert r["field"] == field, (body, r)
    assert expect(o.call("GET", "/api/v1/org"), 200).json()["lockout_threshold"] == 3
    rc, out, err = psql("SELECT changes FROM gatehouse.audit_events WHERE action = 'org.update' "
                        "ORDER BY id DESC LIMIT 1", tenant=o.id)
    assert rc == 0 and '"lockout_threshold"' in out, (out, err)


def test_a_wrong_current_password_locks_at_the_orgs_threshold():
    o = Org()
    expect(o.call("PATCH", "/api/v1/org", json={"lockout_threshold": 3}), 200)
    me = expect(o.call("GET", "/api/v1/me", "user"), 200).json()["user"]
    expect(o.call("PUT", "/api/v1/me/password", "user", json={"password": "the first pass phrase"}), 204)
    for i in range(3):
        expect(o.call("PUT", "/api/v1/me/password", "user",
                      json={"password": "a brand new pass phrase", "current_password": f"no {i}"}), 403)
    u = expect(o.call("GET", f"/api/v1/users/{me['uid']}", "super"), 200).json()
    assert u["locked_until"] is not None, u


# --- api keys -----------------------------------------------------------------

def test_a_user_issues_lists_and_revokes_their_own_keys():
    o = Org()
    r = expect(o.call("POST", "/api/v1/api-keys", "user", json={"name": "laptop", "expires_in": 3600}), 201).json()
    key, meta = r["key"], r["api_key"]
    assert split_key(key)[0] == meta["id"] and meta["name"] == "laptop" and meta["expires_at"]
    expect(get("/api/v1/me", key=key), 200)
    mine = expect(o.call("GET", "/api/v1/api-keys", "user"), 200).json()["api_keys"]
    assert meta["id"] in [k["id"] for k in mine]
    assert all("key" not in k and "digest" not in k for k in mine), "the secret is never listed"
    expect(o.call("DELETE", f"/api/v1/api-keys/{meta['id']}", "user"), 204)
    expect(get("/api/v1/me", key=key), 401)


def test_keys_of_others_need_admin_and_stay_below_the_admin():
    o = Org()
    admin_ref = split_key(o.keys["admin"])[0]
    super_ref = split_key(o.keys["super"])[0]
    expect(o.call("DELETE", f"/api/v1/api-keys/{admin_ref}", "user"), 403)
    expect(o.call("GET", "/api/v1/api-keys?all=true", "user"), 403)
    every = expect(o.call("GET", "/api/v1/api-keys?all=true", "admin"), 200).json()["api_keys"]
    assert {admin_ref, super_ref} <= {k["id"] for k in every}
    expect(o.call("DELETE", f"/api/v1/api-keys/{super_ref}", "admin"), 403)
    user_ref = split_key(o.keys["user"])[0]
    expect(o.call("DELETE", f"/api/v1/api-keys/{user_ref}", "admin"), 204)
    expect(get("/api/v1/me", key=o.keys["user"]), 401)


def test_admin_issues_a_key_for_another_user():
    o = Org()
    u = expect(o.create(), 201).json()
    r = expect(o.call("POST", "/api/v1/api-keys", json={"user": u["uid"]}), 201).json()
    assert get("/api/v1/me", key=r["key"]).json()["user"]["uid"] == u["uid"]
    r = expect(o.call("POST", "/api/v1/api-keys", json={"user": "00000000-0000-0000-0000-000000000000"}), 404)
    assert r.json()["field"] == "user"


def test_key_input_is_checked():
    o = Org()
    for body, field in (({"expires_in": -5}, "expires_in"), ({"name": "x" * 101}, "name"), ({"scope": "all"}, "scope")):
        r = expect(o.call("POST", "/api/v1/api-keys", json=body), 400).json()
        assert r["field"] == field, r
    expect(o.call("DELETE", "/api/v1/api-keys/gh_1k1"), 404)
    expect(o.call("DELETE", "/api/v1/api-keys/nonsense"), 404)


# --- audit API ----------------------------------------------------------------

def test_audit_log_filters_and_pages():
    o = Org()
    uids = [expect(o.create(), 201).json()["uid"] for _ in range(3)]
    expect(o.call("POST", f"/api/v1/users/{uids[0]}/disable"), 200)
    r = expect(o.call("GET", "/api/v1/audit?action=user.disable"), 200).json()
    assert [e["target_id"] for e in r["events"]] == [uids[0]]
    ev = r["events"][0]
    assert ev["actor"].endswith("@example.com") and ev["actor_uid"] and ev["request_id"]
    assert ev["changes"]["status"] == {"old": "active", "new": "disabled"}
    r = expect(o.call("GET", f"/api/v1/audit?target={uids[1]}"), 200).json()
    assert [e["action"] for e in r["events"]] == ["user.create"]
    creates = expect(o.call("GET", "/api/v1/audit?action=user.*&limit=1000"), 200).json()["events"]
    seen, cursor = [], None
    while True:
        page = expect(o.call("GET", "/api/v1/audit?action=user.*&limit=2" +
                             (f"&cursor={cursor}" if cursor else "")), 200).json()
        seen += [e["id"] for e in page["events"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [e["id"] for e in creates] and len(seen) == len(set(seen))
    ids = [int(e["id"]) for e in creates]
    assert ids == sorted(ids, reverse=True), "newest first"


def test_audit_time_range_and_actor():
    o = Org()
    expect(o.create(), 201)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
    assert expect(o.call("GET", f"/api/v1/audit?since={q(now)}"), 200).json()["events"] == []
    assert expect(o.call("GET", f"/api/v1/audit?until={q(now)}&action=user.create"), 200).json()["events"]
    r = expect(o.call("GET", "/api/v1/audit?actor=operator"), 200).json()
    assert r["events"] and all(e["actor"] == "operator" for e in r["events"])


def test_audit_query_is_checked_and_admin_only():
    o = Org()
    for qs, field in (("since=yesterday", "since"), ("limit=0", "limit"), ("action=DROP%20TABLE", "action"),
                      ("cursor=abc", "cursor"), ("who=me", "who")):
        r = expect(o.call("GET", f"/api/v1/audit?{qs}"), 400).json()
        assert r["field"] == field, (qs, r)
    expect(o.call("GET", "/api/v1/audit", "user"), 403)


# --- sweep --------------------------------------------------------------------

def test_sweep_disables_inactive_users_but_not_supers_and_drops_stale_tokens():
    o = Org()
    expect(o.call("PATCH", "/api/v1/org", json={"inactivity_days": 5}), 200)
    stale = expect(o.create(), 201).json()
    fresh = expect(o.create(), 201).json()
    boss = expect(o.create("super", access_level="super"), 201).json()
    invited = expect(o.create(invite=True, send_email=False), 201).json()
    update(f"UPDATE gatehouse.users SET last_login_at = now() - interval '6 days' "
           f"WHERE uid IN ('{stale['uid']}', '{boss['uid']}')", 2, role="owner")
    update(f"UPDATE gatehouse.tokens SET expires_at = now() - interval '1 second' "
           f"WHERE user_id = {invited['id']}", 1, role="owner")
    rc, out, _ = ctl("sweep")
    assert rc == 0 and re.fullmatch(r"orgs=\d+ disabled=\d+ tokens_expired=\d+", out), out
    assert int(re.search(r"disabled=(\d+)", out).group(1)) >= 1
    users = {u: get(f"/api/v1/users/{u}", key=o.keys["super"]).json() for u in
             (stale["uid"], fresh["uid"], boss["uid"])}
    assert users[stale["uid"]]["status"] == "disabled"
    assert users[stale["uid"]]["disabled_reason"] == "inactivity"
    assert users[fresh["uid"]]["status"] == "active" and users[boss["uid"]]["status"] == "active"
    rc, out, _ = psql(f"SELECT count(*) FROM gatehouse.tokens WHERE user_id = {invited['id']}", tenant=o.id)
    assert out == "0"
    rc, out, _ = psql(f"SELECT actor FROM gatehouse.audit_events WHERE target_id = '{stale['uid']}' "
                      f"AND action = 'user.disable'", tenant=o.id)
    assert out == "sweep"
    rc, out, _ = ctl("sweep")
    assert rc == 0, "safe to run again at once"


def test_sweep_leaves_orgs_without_inactivity_alone():
    o = Org()
    u = expect(o.create(), 201).json()
    update(f"UPDATE gatehouse.users SET last_login_at = now() - interval '900 days' "
           f"WHERE uid = '{u['uid']}'", 1, role="owner")
    ctl("sweep")
    assert get(f"/api/v1/users/{u['uid']}", key=o.keys["admin"]).json()["status"] == "active"


# --- source checks ------------------------------------------------------------

def _expand(body, macros):
    """Substitutes object-like string macros (#define NAME "...") until none is left."""
    for _ in range(5):
        for name, value in macros.items():
            body = re.sub(rf"\b{name}\b", lambda _m: value, body)
    return body


def test_every_prepared_statement_declares_the_parameters_it_uses():
    for path in (ROOT / "src").rglob("*.c"):
        text = path.read_text()
        macros = {m.group(1): m.group(2) for m in
                  re.finditer(r"#define\s+(\w+)\s+((?:\"[^\n]*\"\s*\\?\n?\s*)+)", text)}
        for m in re.finditer(r"DB_STMT\((\w+),\s*(\d+),(.*?)\);\n", text, re.S):
            used = [int(x) for x in re.findall(r"\$(\d+)", _expand(m.group(3), macros))]
            assert max(used, default=0) == int(m.group(2)), f"{path.name}: {m.group(1)}"


def test_cached_principals_follow_changes_at_once():
    o = Org()
    key = o.keys["super"]
    for _ in range(3):                       # warm every worker's key cache
        assert get("/api/v1/me", key=key).json()["org"]["tier"] == "standard"
    expect(o.call("PATCH", "/api/v1/org", "super", json={"tier": "consultant"}), 200)
    for _ in range(8):
        assert get("/api/v1/me", key=key).json()["org"]["tier"] == "consultant"
    uid = get("/api/v1/me", key=o.keys["user"]).json()["user"]["uid"]
    for _ in range(3):
        expect(get("/api/v1/me", key=o.keys["user"]), 200)
    expect(o.call("PATCH", f"/api/v1/users/{uid}", "super", json={"access_level": "admin"}), 200)
    for _ in range(8):
        assert get("/api/v1/me", key=o.keys["user"]).json()["access_level"] == "admin"
