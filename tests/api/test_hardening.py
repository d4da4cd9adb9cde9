"""test_hardening.py: defects found by probing the running stack, each pinned by a test.

Scalars given as lists, objects or twice; look-alike names; If-Match per RFC 9110;
400s that name the right field before the database sees a value; no existence
oracle; and list requests deep enough to overflow a fixed parameter array.
"""
import urllib.parse

from gh import expect, get, make_key, make_org, make_user, request, unique
from test_users import Org


def q(v):
    return urllib.parse.quote(v, safe="")


def field_of(resp):
    return resp.json().get("field")


def bad(resp, field):
    """A 400 naming field."""
    assert resp.status == 400, f"expected 400 naming {field}, got {resp!r}"
    assert field_of(resp) == field, f"expected field {field!r}, got {resp!r}"
    return resp


# --- fixed-size arrays a request can fill ------------------------------------

def test_filter_terms_up_to_the_limit_fit_and_one_more_is_a_400():
    # 64 prefix terms take 128 parameters, plus limit and offset: the array that
    # once overflowed here. The sanitizer run of this tier would report a write past it.
    o = Org()
    qs = " ".join(["username:a*"] * 64)
    expect(o.call("GET", f"/api/v1/users?q={q(qs)}"), 200)
    qs = " ".join(["username:a*"] * 65)
    bad(o.call("GET", f"/api/v1/users?q={q(qs)}"), "q")
    # A field given 64 times is a field given more than once.
    terms = "&".join(["created_at=2024-01-01T00:00:00Z"] * 64)
    bad(o.call("GET", f"/api/v1/users?{terms}"), "created_at")
    expect(get("/readyz"), 200)


def test_a_full_filter_plus_a_cursor_still_fits():
    o = Org()
    for _ in range(3):
        expect(o.create(), 201)
    page = expect(o.call("GET", "/api/v1/users?limit=1"), 200).json()
    cur = page["next_cursor"]
    assert cur
    for sort in ("", "&sort=created_at"):
        page = expect(o.call("GET", f"/api/v1/users?limit=1{sort}"), 200).json()
        cur = page["next_cursor"]
        # 64 two-parameter terms, a cursor's two, limit and offset: at the bound, never past it.
        qs = " ".join(["username:u*"] * 64)
        r = expect(o.call("GET", f"/api/v1/users?limit=1{sort}&cursor={q(cur)}&q={q(qs)}"), 200)
        assert len(r.json()["users"]) == 1
        # Field filters on top of a full q: the total is held to the limit, naming q.
        r = o.call("GET", f"/api/v1/users?limit=1{sort}&cursor={q(cur)}&q={q(qs)}&status=active")
        bad(r, "q")
    expect(get("/readyz"), 200)


def test_seventy_repeated_field_filters_blame_that_field():
    o = Org()
    terms = "&".join(["status=active"] * 70)
    bad(o.call("GET", f"/api/v1/users?{terms}"), "status")


# --- scalars given as lists, objects or twice -----------------------------------

def test_scalar_fields_given_a_list_or_object_are_refused_and_change_nothing():
    o = Org()
    u = expect(o.create(), 201).json()
    path = f"/api/v1/users/{u['uid']}"
    bad(o.call("PATCH", path, json={"email": ["a@x.io", "b@x.io"]}), "email")
    bad(o.call("PATCH", path, json={"email": ["a@x.io"]}), "email")
    bad(o.call("PATCH", path, json={"status": {"x": 1}}), "status")
    bad(o.call("PATCH", path, json={"access_level": {"x": "super"}}), "access_level")
    after = expect(o.call("GET", path), 200).json()
    assert after["email"] == u["email"] and after["version"] == u["version"]


def test_a_json_body_that_is_not_an_object_is_refused():
    o = Org()
    u = expect(o.create(), 201).json()
    for body in ('"x"', "[1,2]", "null", "1", "true"):
        r = o.call("PATCH", f"/api/v1/users/{u['uid']}", body=body,
                   content_type="application/json")
        assert r.status == 400, (body, r)
    r = o.call("POST", "/api/v1/users", body='"x"', content_type="application/json")
    assert r.status == 400, r


def test_a_field_in_both_query_and_body_or_repeated_is_refused():
    o = Org()
    u = expect(o.create(), 201).json()
    path = f"/api/v1/users/{u['uid']}"
    bad(o.call("PATCH", f"{path}?title=a", json={"title": "b"}), "title")
    bad(o.call("PATCH", path, body="title=a&title=b",
               content_type="application/x-www-form-urlencoded"), "title")
    bad(o.call("GET", "/api/v1/users?limit=1&limit=2"), "limit")
    bad(o.call("POST", "/api/v1/teams", json={"name": ["a", "b"]}), "name")
    after = expect(o.call("GET", path), 200).json()
    assert after["title"] == u["title"] and after["version"] == u["version"]


def test_lists_stay_lists():
    o = Org()
    r = o.create(roles=[])
    assert r.status == 201, r


# --- look-alike names ---------------------------------------------------------------

def test_invisible_and_space_characters_are_refused_in_usernames_and_emails():
    o = Org()
    for cp in ("\u200b", "\u00a0", "\u2060", "\ufeff", "\u3000", " "):
        bad(o.create(email=f"adm{cp}in@example.com"), "email")
        bad(o.create(username=f"adm{cp}in@example.com"), "username")
        bad(o.create(username=f"adm{cp}in"), "username")


# --- If-Match --------------------------------------------------------------------

def test_if_match_follows_rfc_9110():
    o = Org()
    u = expect(o.create(), 201).json()
    path = f"/api/v1/users/{u['uid']}"
    assert u["version"] == 1
    # Well-formed entity tags that are not the current one: 412, never read as a version.
    for tag in ('"stale-0"', '"+1"', '"01"', 'W/"2"', '"x", "2"'):
        r = o.call("PATCH", path, json={"title": "x"}, headers={"If-Match": tag})
        assert r.status == 412, (tag, r)
    # Not entity tags at all: 400 naming the header.
    # Two versions of ours in one list cannot be one expectation: refused too.
    for tag in ('" 1"', "1", '"1', "W/1", ",", '*, "1"', '"1", "2"'):
        r = o.call("PATCH", path, json={"title": "x"}, headers={"If-Match": tag})
        assert r.status == 400 and field_of(r) == "If-Match", (tag, r)
    assert expect(o.call("GET", path), 200).json()["version"] == 1
    # A list that holds the current tag matches.
    expect(o.call("PATCH", path, json={"title": "x"}, headers={"If-Match": '"stale", W/"1"'}), 200)
    # Precondition on a missing resource: 404 first.
    r = o.call("PATCH", "/api/v1/users/00000000-0000-4000-8000-000000000000", json={"title": "x"},
               headers={"If-Match": '"stale-0"'})
    assert r.status == 404, r


def test_status_changes_honour_if_match():
    o = Org()
    u = expect(o.create(), 201).json()
    path = f"/api/v1/users/{u['uid']}"
    r = o.call("POST", f"{path}/disable", headers={"If-Match": '"7"'})
    assert r.status == 412, r
    assert expect(o.call("GET", path), 200).json()["status"] == "active"
    r = expect(o.call("POST", f"{path}/disable", headers={"If-Match": '"1"'}), 200)
    assert r.json()["status"] == "disabled"
    assert r.headers["etag"] == f'"{r.json()["version"]}"'


# --- 400s name the field, before the database sees the value ---------------------------

def test_bad_values_are_named_before_the_database_sees_them():
    o = Org()
    bad(o.call("GET", f"/api/v1/users?created_at={q('2024-01-01T00:00:00+99:99')}"), "created_at")
    bad(o.call("GET", f"/api/v1/audit?since={q('2024-01-01T00:00:00+99:99')}"), "since")
    bad(o.call("GET", f"/api/v1/audit?until={q('2024-13-01')}"), "until")
    bad(o.call("GET", "/api/v1/audit?actor=%ff"), "actor")
    bad(o.call("POST", "/api/v1/api-keys", body="name=%ff",
               content_type="application/x-www-form-urlencoded"), "name")
    bad(o.call("POST", "/api/v1/api-keys", json={"name": "a\u0001b"}), "name")
    bad(o.call("POST", "/api/v1/api-keys", json={"name": "a\nb"}), "name")
    # A key's name is shown beside people's names: their rule, no bidi override.
    bad(o.call("POST", "/api/v1/api-keys", json={"name": "invoice\u202egpj.exe"}), "name")


# --- no existence oracle -------------------------------------------------------------

def test_creating_a_key_for_someone_else_reveals_nothing_to_a_user():
    o = Org()
    other = expect(o.create(), 201).json()
    ghost = "00000000-0000-4000-8000-000000000000"
    a = o.call("POST", "/api/v1/api-keys", "user", json={"user": other["uid"]})
    b = o.call("POST", "/api/v1/api-keys", "user", json={"user": ghost})
    assert a.status == b.status == 403, (a, b)
    ja, jb = a.json(), b.json()
    ja.pop("request_id"), jb.pop("request_id")
    assert ja == jb, (ja, jb)
    # An admin still gets a real answer.
    expect(o.call("POST", "/api/v1/api-keys", json={"user": ghost}), 404)
    expect(o.call("POST", "/api/v1/api-keys", json={"user": other["uid"]}), 201)


# --- bounds named once in the core -------------------------------------------------------

def test_bulk_past_its_bound_is_413_and_creates_nothing():
    o = Org()
    p = unique("b")
    body = [{"email": f"{p}{i}@bulk.example", "auth_method": "sso"} for i in range(1001)]
    r = expect(o.call("POST", "/api/v1/users/bulk", json=body), 413)
    assert field_of(r) == "users", r
    r = expect(o.call("GET", f"/api/v1/users?q={q('email:' + p + '*')}"), 200)
    assert r.json()["users"] == []
