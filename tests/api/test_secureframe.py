"""test_secureframe.py: Secureframe's user API under /secureframe, from the vendor's pages.

The vendor: GET /users (every documented filter as field=value, page/per_page,
Lucene q, include, relationships), GET /users/{id}, PUT /users/{id} with query
or form parameters; every answer a document {"data": resource, "included": [...]}
(a list is an array of them, as the vendor's OpenAPI says); errors
{"errors": [{"status", "title", "detail"}]}; the key as "Authorization: <key_id> <secret>".
"""
import urllib.parse

from gh import expect, psql, request, split_key, unique, update
from routes import routes
from test_users import PW, Org

# Every attribute of the vendor's OpenAPI User schema (seeds/secureframe-openapi-users.yaml).
USER_ATTRIBUTES = {
    "id", "access_role", "active", "active_source", "created_at", "department_id", "email",
    "employee_type", "end_date", "first_name", "image_url", "in_audit_scope", "invited",
    "invited_at", "last_name", "manager_name", "middle_name", "name", "onboarding_status",
    "personnel_status", "preferred_first_name", "role", "secureframe_agent_acknowledged_at",
    "start_date", "title", "updated_at",
}
# The vendor's filters ("Search parameters").
FILTERS = ["active", "department_id", "email", "employee_type", "end_date", "first_name", "id",
           "in_audit_scope", "invited", "invited_at", "last_name", "name", "onboarding_status",
           "personnel_status", "preferred_first_name", "secureframe_agent_acknowledged_at",
           "start_date", "title"]
LADDER = ["guest", "user", "admin", "super"]


def sf_auth(key):
    ref, secret = split_key(key)
    return {"Authorization": f"{ref} {secret}"}


def sf(o, method, path, level="admin", **kw):
    """A request to /secureframe with the org's key of that level, the vendor's way."""
    headers = dict(kw.pop("headers", {}))
    headers.update(sf_auth(o.keys[level]))
    return request(method, "/secureframe" + path, headers=headers, **kw)


def q(v):
    return urllib.parse.quote(v, safe="")


def errors_of(r, status):
    """The vendor's error document: one error, status as text, title and detail."""
    expect(r, status)
    body = r.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1, body
    e = body["errors"][0]
    assert e["status"] == str(status) and e["title"] and e["detail"], e
    return e["detail"]


def make(o, **fields):
    fields.setdefault("auth_method", "sso")
    return expect(o.create(**fields), 201).json()


def listed(o, qs):
    """The users of one list answer (checking its shape), as their attributes."""
    body = expect(sf(o, "GET", "/users?" + qs), 200).json()
    assert isinstance(body, list), body
    for doc in body:
        assert set(doc) == {"data", "included"} and doc["data"]["type"] == "user"
    return [doc["data"]["attributes"] for doc in body]


def emails(o, qs):
    return sorted(a["email"] for a in listed(o, qs))


# --- authentication and the authorization matrix -------------------------------------

def test_the_key_is_two_words_id_and_secret():
    o = Org()
    key = o.keys["admin"]
    ref, secret = split_key(key)
    expect(request("GET", "/secureframe/users", headers={"Authorization": f"{ref} {secret}"}), 200)
    expect(request("GET", "/secureframe/users", headers={"Authorization": f"{ref}   {secret}"}), 200)
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")   # never the secret itself
    for bad in (None, "", ref, f"Bearer {key}", key, f"{ref} {secret} x", f"{ref} {wrong}",
                f"{ref}_{secret}", f" {secret}"):
        headers = {} if bad is None else {"Authorization": bad}
        detail = errors_of(request("GET", "/secureframe/users", headers=headers), 401)
        assert "key" in detail


def _matrix_routes():
    found = routes("secureframe")
    assert {("GET", "/secureframe/users"), ("GET", "/secureframe/users/{id}"),
            ("PUT", "/secureframe/users/{id}")} <= set(found), found
    return sorted((m, p, lvl) for (m, p), (_, _, lvl) in found.items())


def test_matrix_every_route_needs_a_key_and_its_level():
    o = Org()
    u = make(o)
    checked = 0
    for method, pattern, need in _matrix_routes():
        path = pattern.replace("{id}", u["uid"])
        errors_of(request(method, path), 401)
        errors_of(request(method, path, headers={"Authorization": "gh_1k1 nope"}), 401)
        for level in LADDER[:LADDER.index(need)]:
            detail = errors_of(sf(o, method, path[len("/secureframe"):], level), 403)
            assert need in detail
            checked += 1
        r = sf(o, method, path[len("/secureframe"):], need)
        assert r.status == 200, (method, pattern, r)
    assert checked >= 6
    # Nothing the refused calls sent changed the user.
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["version"] == 1


def test_matrix_another_orgs_users_are_not_found():
    a, b = Org(), Org()
    u = make(a)
    for method, pattern, _ in _matrix_routes():
        if "{id}" not in pattern:
            continue
        path = pattern.replace("{id}", u["uid"])[len("/secureframe"):]
        detail = errors_of(sf(b, method, path + ("?active=false" if method == "PUT" else ""), "super"),
                           404)
        assert detail == "Resource not found"
    assert expect(a.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "active"
    # And b's list does not hold a's user.
    assert u["email"] not in emails(b, "email=" + q(u["email"]))


# --- the User resource ------------------------------------------------------------------

def test_get_answers_every_attribute_of_the_schema_from_the_core():
    o = Org()
    boss = make(o, first_name="Grace", last_name="Hopper")
    u = make(o, first_name="Ada", middle_name="King", last_name="Lovelace", title="Analyst",
             department="Engineering", department_id="ENG-7", access_role="Risk Manager",
             employee_type="contractor", start_date="2024-01-15", end_date="2025-06-30",
             in_audit_scope=False, onboarding_status="in_progress", personnel_status="onboarding",
             agent_acknowledged_at="2024-02-01T10:00:00Z", manager=boss["uid"])
    r = expect(sf(o, "GET", f"/users/{u['uid']}"), 200)
    doc = r.json()
    assert set(doc) == {"data", "included"} and doc["included"] == []
    d = doc["data"]
    assert d["id"] == u["uid"] and d["type"] == "user"
    assert d["relationships"] == {} and d["links"] == {"self": f"/secureframe/users/{u['uid']}"}
    a = d["attributes"]
    assert set(a) == USER_ATTRIBUTES, set(a) ^ USER_ATTRIBUTES
    assert a == {
        "id": u["uid"], "access_role": "Risk Manager", "active": True, "active_source": None,
        "created_at": u["created_at"], "department_id": "ENG-7", "email": u["email"],
        "employee_type": "contractor", "end_date": "2025-06-30T00:00:00.000Z", "first_name": "Ada",
        "image_url": None, "in_audit_scope": False, "invited": False, "invited_at": None,
        "last_name": "Lovelace", "manager_name": "Grace Hopper", "middle_name": "King",
        "name": "Ada Lovelace", "onboarding_status": "in_progress", "personnel_status": "onboarding",
        "preferred_first_name": None, "role": "user",
        "secureframe_agent_acknowledged_at": "2024-02-01T10:00:00.000Z",
        "start_date": "2024-01-15T00:00:00.000Z", "title": "Analyst", "updated_at": u["updated_at"],
    }


def test_attributes_without_values_are_null_and_invites_show():
    o = Org()
    u = expect(o.create(invite=True, send_email=False, first_name="Solo", preferred_first_name="So"),
               201).json()
    a = expect(sf(o, "GET", f"/users/{u['uid']}"), 200).json()["data"]["attributes"]
    assert a["invited"] is True and a["invited_at"] == u["invited_at"]
    assert a["active"] is True, "an invited user is not deactivated"
    assert a["name"] == "Solo" and a["preferred_first_name"] == "So"
    for k in ("end_date", "start_date", "department_id", "access_role", "manager_name",
              "onboarding_status", "personnel_status", "secureframe_agent_acknowledged_at"):
        assert a[k] is None, k


def test_unknown_or_malformed_id_is_404():
    o = Org()
    for uid in ("00000000-0000-0000-0000-000000000000", "not-a-uuid", "1"):
        assert errors_of(sf(o, "GET", f"/users/{uid}"), 404) == "Resource not found"
        assert errors_of(sf(o, "PUT", f"/users/{uid}?active=false"), 404) == "Resource not found"


def test_relationships_and_included_manager():
    o = Org()
    boss = make(o, first_name="Grace", last_name="Hopper")
    u = make(o, manager=boss["uid"])
    lone = make(o)
    doc = expect(sf(o, "GET", f"/users/{u['uid']}?relationships=true"), 200).json()
    assert doc["data"]["relationships"] == {"manager": {"data": {"id": boss["uid"], "type": "user"}}}
    assert doc["included"] == []
    for inc in ("manager", "true"):
        doc = expect(sf(o, "GET", f"/users/{u['uid']}?include={inc}&relationships=true"), 200).json()
        assert [i["id"] for i in doc["included"]] == [boss["uid"]]
        assert doc["included"][0]["attributes"]["name"] == "Grace Hopper"
    doc = expect(sf(o, "GET", f"/users/{lone['uid']}?include=manager"), 200).json()
    assert doc["data"]["relationships"] == {"manager": {"data": None}} and doc["included"] == []
    # In a list, each document includes its own user's manager.
    docs = expect(sf(o, "GET", "/users?include=manager&q=" + q(f"id:{u['uid']} OR id:{lone['uid']}")),
                  200).json()
    assert {d["data"]["id"]: [i["id"] for i in d["included"]] for d in docs} == \
        {u["uid"]: [boss["uid"]], lone["uid"]: []}
    detail = errors_of(sf(o, "GET", f"/users/{u['uid']}?include=team"), 400)
    assert "include" in detail
    errors_of(sf(o, "GET", f"/users/{u['uid']}?relationships=maybe"), 400)
    errors_of(sf(o, "GET", f"/users/{u['uid']}?colour=blue"), 400)


# --- lists -------------------------------------------------------------------------------

def _tagged(o, n, tag, **fields):
    return [make(o, email=f"{tag}{i:03d}@sf.example", **fields) for i in range(n)]


def test_pages_are_offsets_in_id_order():
    o = Org()
    tag = unique("p")
    users = _tagged(o, 7, tag)
    want = [u["email"] for u in users]
    pages = [[a["email"] for a in listed(o, f"q=email:{tag}*&per_page=3&page={p}")] for p in (1, 2, 3, 4)]
    assert pages == [want[0:3], want[3:6], want[6:7], []]
    assert [a["email"] for a in listed(o, f"q=email:{tag}*")] == want, "page 1 by default"


def test_per_page_defaults_to_100_and_is_capped_at_100():
    o = Org()
    tag = unique("cap")
    items = [{"email": f"{tag}{i:03d}@sf.example", "auth_method": "sso"} for i in range(105)]
    expect(o.call("POST", "/api/v1/users/bulk", json=items), 201)
    assert len(listed(o, f"q=email:{tag}*")) == 100
    assert len(listed(o, f"q=email:{tag}*&per_page=1000")) == 100
    assert len(listed(o, f"q=email:{tag}*&per_page=1000&page=2")) == 5
    assert len(listed(o, f"q=email:{tag}*&per_page=50&page=3")) == 5


def test_bad_page_controls_are_400():
    o = Org()
    for qs in ("page=0", "page=-1", "page=x", "per_page=0", "per_page=-5", "per_page=2.5",
               "page=1&page=2", "per_page=99999999999999999999", "page=100001"):
        detail = errors_of(sf(o, "GET", "/users?" + qs), 400)
        assert "page" in detail, (qs, detail)


def test_every_documented_filter_selects_by_its_value():
    o = Org()
    tag = unique("f")
    boss = make(o)
    x = make(o, email=f"{tag}x@sf.example", first_name="Xavier", last_name="Quill", title="Quant",
             department_id="FIN-1", employee_type="auditor", start_date="2023-03-01",
             end_date="2026-01-31", in_audit_scope=False, onboarding_status="completed",
             personnel_status="offboarding", preferred_first_name="Xav",
             agent_acknowledged_at="2024-04-04T04:04:04Z", manager=boss["uid"])
    y = expect(o.create(email=f"{tag}y@sf.example", first_name="Yara", last_name="Quill",
                        invite=True, send_email=False), 201).json()
    expect(o.call("POST", f"/api/v1/users/{x['uid']}/disable"), 200)
    values = {
        "active": "false", "department_id": "fin-1", "email": x["email"].upper(),
        "employee_type": "auditor", "end_date": "2026-01-31", "first_name": "xavier",
        "id": x["uid"], "in_audit_scope": "false", "invited": "false",
        "last_name": "QUILL", "name": "xavier quill", "onboarding_status": "completed",
        "personnel_status": "offboarding", "preferred_first_name": "Xav",
        "secureframe_agent_acknowledged_at": "2024-04-04", "start_date": "2023-03-01",
        "title": "quant",
    }
    assert set(values) | {"invited_at"} == set(FILTERS)
    scope = f"&q=email:{tag}*"
    for field, value in values.items():
        got = emails(o, f"{field}={q(value)}{scope}")
        want = [x["email"], y["email"]] if field == "last_name" else [x["email"]]
        assert got == sorted(want), (field, got)
    assert emails(o, f"invited=true{scope}") == [y["email"]]
    assert emails(o, f"invited_at={y['invited_at'][:10]}{scope}") == [y["email"]]
    assert emails(o, f"active=true{scope}") == [y["email"]]
    # Two filters are both applied; a date filter takes the vendor's date-times too.
    assert emails(o, f"last_name=quill&first_name=yara{scope}") == [y["email"]]
    assert emails(o, f"start_date={q('2023-03-01T00:00:00Z')}{scope}") == [x["email"]]


def test_an_unknown_filter_is_400_user_is_not_filterable():
    o = Org()
    for qs, field in (("colour=blue", "colour"), ("status=active", "status"),
                      ("username=ada", "username"), ("q=" + q("role:admin"), "role"),
                      ("q=" + q("email:x OR shoe:9"), "shoe"), ("uid=x", "uid")):
        assert errors_of(sf(o, "GET", "/users?" + qs), 400) == f"User is not filterable by {field}"


def test_filter_values_are_checked_by_type_naming_the_vendors_field():
    o = Org()
    for qs, words in (("active=maybe", "active must be true or false"),
                      ("start_date=2024-02-30", "start_date must be a date"),
                      ("id=nope", "id must be a UUID"),
                      ("employee_type=robot", "employee_type must be one of"),
                      ("q=" + q("secureframe_agent_acknowledged_at:soon"),
                       "secureframe_agent_acknowledged_at must be an ISO 8601")):
        detail = errors_of(sf(o, "GET", "/users?" + qs), 400)
        assert words in detail, (qs, detail)


def test_q_is_lucene_over_the_vendors_fields():
    o = Org()
    tag = unique("q")
    a = make(o, email=f"{tag}a@acme.com", first_name="Ann", last_name="Lee", title="VP Sales")
    b = make(o, email=f"{tag}b@acme.com", first_name="Bob", last_name="Lee", department_id="ops-2")
    c = make(o, email=f"{tag}c@other.org", first_name="Cy", last_name="Ng", start_date="2024-05-01")
    expect(o.call("POST", f"/api/v1/users/{b['uid']}/suspend"), 200)
    s = f" AND email:{tag}*"
    cases = {
        "active:true AND email:*@acme.com": [a],
        "NOT active:true": [b],
        "last_name:lee OR first_name:cy": [a, b, c],
        "(first_name:ann OR first_name:bob) AND NOT department_id:OPS-2": [a],
        'title:"vp sales"': [a],
        "first_name:?y": [c],
        "start_date:[2024-01-01 TO 2024-12-31]": [c],
        "start_date:[* TO *]": [c],
        "name:*lee": [a, b],
        "lee": [a, b],
        "name:(ann* OR cy*)": [a, c],
        "email:*acme* || email:*other*": [a, b, c],
    }
    for query, want in cases.items():
        got = emails(o, "q=" + q(f"({query}){s}"))
        assert got == sorted(u["email"] for u in want), (query, got)


def test_q_syntax_errors_are_400_with_the_position():
    o = Org()
    for query, words in (("email:(a", "missing closing parenthesis at character 7"),
                         ("email:a AND", "expected a term at character 12"),
                         ("name:foo~", "not supported at character 9"),
                         ("x" * 4097, "longer than 4096")):
        detail = errors_of(sf(o, "GET", "/users?q=" + q(query)), 400)
        assert words in detail, (query, detail)


# --- PUT ---------------------------------------------------------------------------------

def test_put_with_query_parameters_updates_the_core_user():
    o = Org()
    u = make(o)
    r = expect(sf(o, "PUT", f"/users/{u['uid']}?employee_type=workspace&start_date="
                  + q("2024-03-01T09:00:00Z") + "&end_date=2024-12-31&in_audit_scope=false"), 200)
    a = r.json()["data"]["attributes"]
    assert (a["employee_type"], a["start_date"], a["end_date"], a["in_audit_scope"]) == \
        ("workspace", "2024-03-01T00:00:00.000Z", "2024-12-31T00:00:00.000Z", False)
    n = expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()
    assert (n["employee_type"], n["start_date"], n["end_date"], n["in_audit_scope"], n["version"]) == \
        ("workspace", "2024-03-01", "2024-12-31", False, 2)


def test_put_with_form_parameters_and_clearing_a_date():
    o = Org()
    u = make(o, end_date="2030-01-01")
    a = expect(sf(o, "PUT", f"/users/{u['uid']}", form={"end_date": "", "employee_type": "EXTERNAL"}),
               200).json()["data"]["attributes"]
    assert a["end_date"] is None and a["employee_type"] == "external"


def test_put_active_disables_enables_and_unsuspends():
    o = Org()
    u = make(o)
    path = f"/users/{u['uid']}"
    assert expect(sf(o, "PUT", path + "?active=false"), 200).json()["data"]["attributes"]["active"] is False
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "disabled"
    assert expect(sf(o, "PUT", path + "?active=true"), 200).json()["data"]["attributes"]["active"] is True
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "active"
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/suspend"), 200)
    assert listed(o, f"id={u['uid']}")[0]["active"] is False
    expect(sf(o, "PUT", path + "?active=TRUE"), 200)
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "active"


def test_put_refuses_bad_and_unknown_parameters_and_changes_nothing():
    o = Org()
    u = make(o, start_date="2020-01-01")
    for qs, words in (("start_date=2024-01-01&employee_type=robot", "employee_type"),
                      ("start_date=2024-01-01&end_date=soon", "end_date"),
                      ("start_date=2024-01-01&active=perhaps", "active"),
                      ("start_date=2024-01-01&in_audit_scope=2", "in_audit_scope"),
                      ("start_date=2024-01-01&title=CEO", "title"),
                      ("start_date=2024-01-01&start_date=2024-01-02", "start_date")):
        detail = errors_of(sf(o, "PUT", f"/users/{u['uid']}?{qs}"), 400)
        assert words in detail, (qs, detail)
    n = expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()
    assert (n["start_date"], n["version"]) == ("2020-01-01", 1)


def test_put_is_one_change_all_or_nothing():
    o = Org()
    # The org's only active super cannot be deactivated: neither half of the PUT happens.
    rc, out, _ = psql("SELECT uid FROM gatehouse.users WHERE access_level = 'super'", tenant=o.id)
    assert rc == 0
    sup = out.split()[0]
    update(f"UPDATE gatehouse.users SET status = 'disabled', disabled_reason = 'admin' "
           f"WHERE access_level = 'super' AND uid <> '{sup}'", 0, tenant=o.id)
    detail = errors_of(sf(o, "PUT", f"/users/{sup}?active=false&employee_type=external", "super"), 400)
    assert "last super" in detail
    n = expect(o.call("GET", f"/api/v1/users/{sup}", "super"), 200).json()
    assert (n["status"], n["employee_type"]) == ("active", "employee")
    # A PUT that changes nothing records nothing.
    u = make(o)
    expect(sf(o, "PUT", f"/users/{u['uid']}?active=true&employee_type=employee"), 200)
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["version"] == 1


# --- one core for every surface ------------------------------------------------------------

def test_a_user_is_the_same_through_secureframe_and_the_native_api():
    o = Org()
    u = make(o, first_name="Nia", last_name="Okafor", department_id="d-9")
    a = listed(o, f"id={u['uid']}")[0]
    assert (a["email"], a["name"], a["department_id"], a["created_at"]) == \
        (u["email"], "Nia Okafor", "d-9", u["created_at"])
    expect(sf(o, "PUT", f"/users/{u['uid']}?active=false"), 200)
    n = expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()
    assert n["status"] == "disabled" and n["disabled_reason"] == "admin"
    assert emails(o, "active=false&q=" + q(f"id:{u['uid']}")) == [u["email"]]
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/enable"), 200)
    assert listed(o, f"id={u['uid']}")[0]["active"] is True
    # A removed user is gone from every surface.
    expect(o.call("DELETE", f"/api/v1/users/{u['uid']}"), 204)
    errors_of(sf(o, "GET", f"/users/{u['uid']}"), 404)
    assert listed(o, f"id={u['uid']}") == []


def test_injection_attempts_are_refused_or_literal_never_500():
    o = Org()
    u = make(o, title="x') OR 1=1 --")
    for qs in ("email=" + q("' OR '1'='1"), "q=" + q("title:\"x') OR 1=1 --\""),
               "q=" + q("email:*'; DROP TABLE gatehouse.users; --*"), "name=" + q("a\\' --"),
               "q=" + q("title:x\\') OR 1=1"), "title=" + q("%_%"), "q=" + q("title:\\%*"),
               "q=" + q("(" * 40 + "x" + ")" * 40), "q=" + q(" OR ".join(["x"] * 80)),
               "q=" + q("id:1; SELECT 1"), "q=" + q("\x00x"), "q=" + q("email:\xff")):
        r = sf(o, "GET", "/users?" + qs)
        assert r.status in (200, 400), (qs, r)
    got = listed(o, "q=" + q("title:\"x') OR 1=1 --\""))
    assert [a["id"] for a in got] == [u["uid"]]
    assert listed(o, "title=" + q("%_%")) == []


def test_an_unknown_path_is_the_vendors_404():
    o = Org()
    for path in ("/nothing-here", "/users/extra/segments"):
        assert errors_of(sf(o, "GET", path), 404) == "Resource not found"
