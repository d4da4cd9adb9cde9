"""test_scim.py: the SCIM 2.0 surface (/scim/v2) from RFC 7643 and RFC 7644, and the
requests Microsoft Entra ID and Okta document sending.

Discovery, Users, Groups, filters, paging, sorting, attribute lists, PUT, PATCH,
DELETE, ETags, errors and content types; the authorization matrix generated
from the route table; the e-mail policy; cross-surface checks through the
native API; and an Entra-style and an Okta-style provisioning sequence.
"""
import json as jsonlib
import urllib.parse

from gh import URL, expect, once, psql, request, split_key, unique
from routes import routes
from test_users import Org

SCIM_CT = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def scim(o, method, path, body=None, level="admin", headers=None, ct=SCIM_CT, raw=None):
    """One request to /scim/v2 with a key of the org at level."""
    h = dict(headers or {})
    data = raw
    if body is not None:
        data = jsonlib.dumps(body)
    if data is not None:
        h["Content-Type"] = ct
    return request(method, "/scim/v2" + path, key=o.keys[level] if o else None, headers=h, body=data)


def ok(resp, status=200):
    expect(resp, status)
    if status != 204:
        assert resp.headers["content-type"].startswith(SCIM_CT), resp.headers
    return resp.json() if resp.body else None


def err(resp, status, scim_type=None):
    """A SCIM error (RFC 7644 §3.12): the schema, status as a string, the scimType."""
    assert resp.status == status, f"expected {status}, got {resp!r}"
    assert resp.headers["content-type"].startswith(SCIM_CT), resp.headers
    j = resp.json()
    assert j["schemas"] == [ERROR], j
    assert j["status"] == str(status), j
    assert j.get("scimType") == scim_type, j
    assert j.get("detail"), j
    return j


def q(v):
    return urllib.parse.quote(v, safe="")


def user_body(name=None, **extra):
    name = name or f"{unique('s')}@corp.example"
    body = {"schemas": [USER], "userName": name,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": name, "type": "work", "primary": True}], "active": True}
    body.update(extra)
    return body


def new_user(o, **extra):
    return ok(scim(o, "POST", "/Users", user_body(**extra)), 201)


def patch(o, path, *ops, level="admin", headers=None):
    return scim(o, "PATCH", path, {"schemas": [PATCHOP], "Operations": list(ops)}, level=level,
                headers=headers)


def native_user(o, uid):
    return expect(o.call("GET", f"/api/v1/users/{uid}"), 200).json()


def sql(o, text):
    rc, out, e = psql(text, tenant=o.id)
    assert rc == 0, e
    return out


def find(o, filt, path="/Users"):
    return ok(scim(o, "GET", f"{path}?filter={q(filt)}"))


shared = once(Org)      # one org for tests that only read what they make


# --- discovery (RFC 7644 §4) ----------------------------------------------------------

def test_service_provider_config_says_what_is_supported():
    c = ok(scim(shared(), "GET", "/ServiceProviderConfig"))
    assert c["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert c["patch"] == {"supported": True}
    assert c["bulk"]["supported"] is False
    assert c["filter"] == {"supported": True, "maxResults": 1000}
    assert c["changePassword"] == {"supported": False}
    assert c["sort"] == {"supported": True} and c["etag"] == {"supported": True}
    scheme, = c["authenticationSchemes"]
    assert scheme["type"] == "oauthbearertoken" and scheme["primary"] is True
    assert c["meta"]["resourceType"] == "ServiceProviderConfig"
    assert c["meta"]["location"].endswith("/scim/v2/ServiceProviderConfig")


def test_links_are_built_on_public_url_not_on_the_clients_host_header():
    # The stack's public_url is http://localhost:PORT (./dev); the Host header a
    # client sends must not choose where an IdP is told a resource lives.
    port = urllib.parse.urlsplit(URL).port
    o = shared()
    base = f"http://localhost:{port}/scim/v2"
    for host in ("evil.example", "evil.example:1234"):
        c = ok(scim(o, "GET", "/ServiceProviderConfig", headers={"Host": host}))
        assert c["meta"]["location"] == f"{base}/ServiceProviderConfig", c["meta"]
        r = scim(o, "POST", "/Groups", {"schemas": [GROUP], "displayName": unique("host")},
                 headers={"Host": host})
        g = ok(r, 201)
        assert r.headers["location"] == f"{base}/Groups/{g['id']}"
        assert g["meta"]["location"] == r.headers["location"]


def test_discovery_takes_a_trailing_slash_and_names_in_any_case():
    o = shared()
    for path in ("/ServiceProviderConfig/", "/ResourceTypes/", "/Schemas/", "/ResourceTypes/User/",
                 "/ResourceTypes/user", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:user",
                 "/Schemas/URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:Group/"):
        ok(scim(o, "GET", path))
    got = ok(scim(o, "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:user"))
    assert got["id"] == "urn:ietf:params:scim:schemas:core:2.0:User", "the id as the schema spells it"
    err(scim(o, "GET", "/ResourceTypes/Nobody"), 404)
    lst = ok(scim(o, "POST", "/Users/.search/", {"schemas": [SEARCH], "count": 1}))
    assert lst["schemas"] == [LIST]


def test_resource_types_list_users_with_the_enterprise_extension_and_groups():
    o = shared()
    lst = ok(scim(o, "GET", "/ResourceTypes"))
    assert lst["schemas"] == [LIST] and lst["totalResults"] == 2
    by = {t["id"]: t for t in lst["Resources"]}
    assert by["User"]["endpoint"] == "/Users" and by["User"]["schema"] == USER
    assert by["User"]["schemaExtensions"] == [{"schema": ENT, "required": False}]
    assert by["Group"]["endpoint"] == "/Groups" and by["Group"]["schema"] == GROUP
    assert ok(scim(o, "GET", "/ResourceTypes/Group"))["schema"] == GROUP
    err(scim(o, "GET", "/ResourceTypes/Device"), 404)


def test_schemas_describe_each_supported_attribute():
    o = shared()
    lst = ok(scim(o, "GET", "/Schemas"))
    assert sorted(s["id"] for s in lst["Resources"]) == sorted([USER, ENT, GROUP])
    user = ok(scim(o, "GET", f"/Schemas/{USER}"))
    attrs = {a["name"]: a for a in user["attributes"]}
    assert attrs["userName"]["required"] is True and attrs["userName"]["uniqueness"] == "server"
    assert attrs["groups"]["mutability"] == "readOnly" and attrs["emails"]["multiValued"] is True
    assert [s["name"] for s in attrs["name"]["subAttributes"]] == [
        "formatted", "familyName", "givenName", "middleName"]
    assert "password" not in attrs, "passwords are not provisioned over SCIM"
    ent = ok(scim(o, "GET", f"/Schemas/{ENT}"))
    assert [a["name"] for a in ent["attributes"]] == ["employeeNumber", "department", "manager"]
    err(scim(o, "GET", "/Schemas/urn:example:nothing"), 404)


def test_bulk_and_me_are_not_implemented():
    o = shared()
    err(scim(o, "POST", "/Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                                  "Operations": []}), 501)
    err(scim(o, "GET", "/Me"), 501)


# --- the authorization matrix, generated from the route table ---------------------------

class World:
    """Org A with a SCIM user and group; org B asks from outside."""

    def __init__(self):
        self.a, self.b = Org(), Org()
        self.user = new_user(self.a)
        self.group = ok(scim(self.a, "POST", "/Groups", {"schemas": [GROUP],
                                                          "displayName": unique("G")}), 201)

    def path(self, pattern):
        values = {"/scim/v2/Users/{id}": self.user["id"], "/scim/v2/Groups/{id}": self.group["id"],
                  "/scim/v2/ResourceTypes/{name}": "User", "/scim/v2/Schemas/{id}": USER}
        for k, v in values.items():
            pattern = pattern.replace(k, k.replace("{id}", v).replace("{name}", v))
        assert "{" not in pattern, pattern
        return pattern[len("/scim/v2"):]

    def body(self, method, pattern):
        if method == "PATCH":
            return {"schemas": [PATCHOP], "Operations": [{"op": "replace", "path": "externalId",
                                                           "value": "x"}]}
        if method in ("POST", "PUT") and "Groups" in pattern and ".search" not in pattern:
            return {"schemas": [GROUP], "displayName": unique("G")}
        if method in ("POST", "PUT") and "Users" in pattern and ".search" not in pattern:
            return user_body()
        if ".search" in pattern:
            return {"schemas": [SEARCH]}
        return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]} \
            if method == "POST" else None


world = once(World)


def scim_routes():
    return sorted((m, p, lvl) for (m, p), (_, _, lvl) in routes("scim").items())


def test_the_route_table_is_read_and_every_route_needs_an_admin():
    rows = scim_routes()
    assert ("GET", "/scim/v2/Users", "admin") in rows and ("PATCH", "/scim/v2/Groups/{id}", "admin") in rows
    assert {lvl for _, _, lvl in rows} == {"admin"}, rows


def test_every_route_without_a_key_or_with_a_bad_one_is_401_in_scim_shape():
    w = world()
    for method, pattern, _ in scim_routes():
        for key in (None, "gh_1k1_" + "A" * 43):
            r = request(method, "/scim/v2" + w.path(pattern), key=key,
                        headers={"Content-Type": SCIM_CT},
                        body=jsonlib.dumps(w.body(method, pattern)) if w.body(method, pattern) else None)
            err(r, 401)
            assert r.headers["www-authenticate"].startswith("Bearer"), (method, pattern)


def test_every_level_below_admin_is_refused():
    w = world()
    checked = 0
    for method, pattern, _ in scim_routes():
        for level in ("guest", "user"):
            err(scim(w.a, method, w.path(pattern), w.body(method, pattern), level=level), 403)
            checked += 1
    assert checked >= 40, checked


def test_another_orgs_resources_are_not_found():
    w = world()
    reached = 0
    for method, pattern, _ in scim_routes():
        if not pattern.startswith(("/scim/v2/Users/{id}", "/scim/v2/Groups/{id}")):
            continue
        err(scim(w.b, method, w.path(pattern), w.body(method, pattern), level="super"), 404)
        reached += 1
    assert reached == 16, reached    # with and without a trailing slash
    ok(scim(w.a, "GET", f"/Users/{w.user['id']}"))
    ok(scim(w.a, "GET", f"/Groups/{w.group['id']}"))


# --- content types and errors -------------------------------------------------------------

def test_scim_json_and_json_are_accepted_and_other_types_refused():
    o = shared()
    ok(scim(o, "POST", "/Users", user_body(), ct="application/scim+json; charset=utf-8"), 201)
    ok(scim(o, "POST", "/Users", user_body(), ct="application/json"), 201)
    err(scim(o, "POST", "/Users", raw="userName=x", ct="text/plain"), 415)
    err(scim(o, "POST", "/Users", raw="{not json"), 400, "invalidSyntax")


def test_unknown_paths_and_methods_answer_in_scim_shape():
    o = shared()
    err(scim(o, "GET", "/Devices"), 404)
    r = scim(o, "DELETE", "/Users")
    err(r, 405)
    assert "GET" in r.headers["allow"] and "POST" in r.headers["allow"]


def test_a_trailing_slash_is_accepted_on_collections_and_resources():
    o = Org()
    u = ok(scim(o, "POST", "/Users/", user_body()), 201)
    assert ok(scim(o, "GET", f"/Users/{u['id']}/"))["id"] == u["id"]
    got = ok(patch(o, f"/Users/{u['id']}/", {"op": "Replace", "path": "title", "value": "T"}))
    assert got["title"] == "T"
    put = user_body(u["userName"], title="U")
    assert ok(scim(o, "PUT", f"/Users/{u['id']}/", put))["title"] == "U"
    g = ok(scim(o, "POST", "/Groups/", {"schemas": [GROUP], "displayName": unique("slash")}), 201)
    assert ok(scim(o, "GET", f"/Groups/{g['id']}/?excludedAttributes=members"))["id"] == g["id"]
    ok(patch(o, f"/Groups/{g['id']}/", {"op": "Add", "path": "members", "value": [{"value": u["id"]}]}))
    assert member_ids(ok(scim(o, "GET", f"/Groups/{g['id']}/"))) == [u["id"]]
    assert scim(o, "DELETE", f"/Groups/{g['id']}/").status == 204
    assert scim(o, "DELETE", f"/Users/{u['id']}/").status == 204
    err(scim(o, "GET", f"/Users/{u['id']}/"), 404)


def test_a_request_without_schemas_is_invalid_syntax():
    o = shared()
    body = user_body()
    del body["schemas"]
    err(scim(o, "POST", "/Users", body), 400, "invalidSyntax")
    u = new_user(o)
    err(scim(o, "PATCH", f"/Users/{u['id']}", {"Operations": [{"op": "add", "path": "title",
                                                              "value": "x"}]}), 400, "invalidSyntax")


# --- users: create, read, delete ----------------------------------------------------------

def test_create_is_201_with_location_etag_and_meta():
    o = Org()
    name = f"{unique('c')}@corp.example"
    r = scim(o, "POST", "/Users", user_body(name, externalId="ext-1", title="Countess",
                                            displayName="Ada L", preferredLanguage="en-GB",
                                            phoneNumbers=[{"value": "+44 20 7946 0000", "type": "work"}],
                                            addresses=[{"streetAddress": "1 Lane\nFlat 2",
                                                        "locality": "London", "type": "work",
                                                        "primary": True}],
                                            **{ENT: {"employeeNumber": "701", "department": "Eng"}}))
    u = ok(r, 201)
    assert r.headers["location"].endswith(f"/scim/v2/Users/{u['id']}")
    assert u["meta"]["location"] == r.headers["location"]
    assert r.headers["etag"] == 'W/"1"' and u["meta"]["version"] == 'W/"1"'
    assert u["meta"]["resourceType"] == "User" and u["meta"]["created"] == u["meta"]["lastModified"]
    assert u["schemas"] == [USER, ENT]
    assert u["userName"] == name and u["externalId"] == "ext-1" and u["active"] is True
    assert u["name"] == {"givenName": "Ada", "familyName": "Lovelace"}
    assert u["title"] == "Countess" and u["displayName"] == "Ada L"
    assert u["preferredLanguage"] == "en-GB"
    assert u["phoneNumbers"] == [{"value": "+44 20 7946 0000", "type": "work"}]
    assert u["addresses"] == [{"streetAddress": "1 Lane\nFlat 2", "locality": "London",
                               "type": "work", "primary": True}]
    assert u[ENT] == {"employeeNumber": "701", "department": "Eng"}
    assert "groups" not in u and "password" not in u
    n = native_user(o, u["id"])
    assert n["username"] == name and n["email"] == name and n["status"] == "active"
    assert n["auth_method"] == "sso" and n["has_password"] is False
    assert n["external_id"] == "ext-1" and n["employee_number"] == "701" and n["department"] == "Eng"
    assert n["first_name"] == "Ada" and n["display_name"] == "Ada L"


def test_unknown_and_read_only_attributes_are_ignored_on_create():
    o = shared()
    u = new_user(o, nickName="Babs", photos=[{"value": "https://x"}], id="not-mine",
                 meta={"version": "W/\"9\""}, groups=[{"value": "x"}], password="hunter2hunter2",
                 **{"urn:example:custom": {"a": 1}})
    assert "nickName" not in u and "photos" not in u and u["id"] != "not-mine"
    assert u["meta"]["version"] == 'W/"1"'
    assert native_user(o, u["id"])["has_password"] is False


def test_list_parameters_come_from_the_query_string_alone():
    o = shared()
    u = new_user(o, attributes="userName", excludedAttributes="emails", count=0)
    assert "emails" in u and "name" in u, "body members are attributes, never parameters"
    got = ok(scim(o, "POST", "/Users?attributes=userName", user_body(attributes="name")), 201)
    assert set(got) == {"schemas", "id", "userName"}


def test_user_name_is_required_and_valid():
    o = shared()
    body = user_body()
    del body["userName"]
    err(scim(o, "POST", "/Users", body), 400, "invalidValue")
    err(scim(o, "POST", "/Users", user_body("has space")), 400, "invalidValue")
    err(scim(o, "POST", "/Users", user_body(userName=["a"])), 400, "invalidValue")
    j = err(scim(o, "POST", "/Users", user_body(active="maybe")), 400, "invalidValue")
    assert "active" in j["detail"]


def test_a_taken_user_name_is_409_uniqueness_in_any_case():
    o = shared()
    u = new_user(o)
    j = err(scim(o, "POST", "/Users", user_body(u["userName"].upper())), 409, "uniqueness")
    assert "userName" in j["detail"]


def test_get_by_id_and_missing_or_malformed_ids_are_404():
    o = shared()
    u = new_user(o)
    r = scim(o, "GET", f"/Users/{u['id']}")
    assert ok(r) == u and r.headers["etag"] == 'W/"1"'
    err(scim(o, "GET", "/Users/00000000-0000-4000-8000-000000000000"), 404)
    err(scim(o, "GET", "/Users/not-a-uuid"), 404)


def test_if_none_match_answers_304_and_if_match_412():
    o = shared()
    u = new_user(o)
    r = scim(o, "GET", f"/Users/{u['id']}", headers={"If-None-Match": 'W/"1"'})
    assert r.status == 304 and r.headers["etag"] == 'W/"1"' and r.body == b""
    ok(scim(o, "GET", f"/Users/{u['id']}", headers={"If-None-Match": 'W/"7"'}))
    op = {"op": "replace", "path": "title", "value": "x"}
    err(patch(o, f"/Users/{u['id']}", op, headers={"If-Match": 'W/"7"'}), 412)
    err(patch(o, f"/Users/{u['id']}", op, headers={"If-Match": 'W/"1", W/"2"'}), 400, "invalidVers")
    got = ok(patch(o, f"/Users/{u['id']}", op, headers={"If-Match": 'W/"1"'}))
    assert got["title"] == "x" and got["meta"]["version"] == 'W/"2"'
    err(scim(o, "PUT", f"/Users/{u['id']}", user_body(u["userName"]), headers={"If-Match": 'W/"1"'}),
        412)
    err(scim(o, "DELETE", f"/Users/{u['id']}", headers={"If-Match": 'W/"1"'}), 412)
    assert scim(o, "DELETE", f"/Users/{u['id']}", headers={"If-Match": 'W/"2"'}).status == 204


def test_delete_removes_the_user_and_frees_its_name():
    o = Org()
    u = new_user(o)
    r = scim(o, "DELETE", f"/Users/{u['id']}")
    assert r.status == 204 and r.body == b""
    err(scim(o, "GET", f"/Users/{u['id']}"), 404)
    err(scim(o, "DELETE", f"/Users/{u['id']}"), 404)
    expect(o.call("GET", f"/api/v1/users/{u['id']}"), 404)
    assert find(o, f'userName eq "{u["userName"]}"')["totalResults"] == 0
    again = new_user(o, name=u["userName"])
    assert again["id"] != u["id"]


# --- users: lists and filters ---------------------------------------------------------------

class People:
    """An org with five users to filter."""

    def __init__(self):
        self.o = Org()
        self.tag = unique("p")
        t = self.tag
        self.ada = new_user(self.o, name=f"ada-{t}@x.example", externalId=f"A-{t}",
                            displayName=f"Ada {t}", emails=[{"value": f"ada-{t}@x.example",
                                                             "type": "work"},
                                                            {"value": f"ada-{t}@home.example",
                                                             "type": "home"}],
                            **{ENT: {"employeeNumber": f"1-{t}", "department": "Eng"}})
        self.bob = new_user(self.o, name=f"bob-{t}@x.example", externalId=f"a-{t}", title="Boss",
                            **{ENT: {"department": "Ops"}})
        self.cy = new_user(self.o, name=f"cy-{t}@y.example", active=False)
        self.dee = new_user(self.o, name=f"dee-{t}@y.example")
        self.eve = new_user(self.o, name=f"eve-{t}@z.example", emails=[])

    def ids(self, filt):
        lst = find(self.o, filt)
        assert lst["schemas"] == [LIST] and lst["startIndex"] == 1
        assert lst["totalResults"] == len(lst["Resources"]) == lst["itemsPerPage"]
        return sorted(u["id"] for u in lst["Resources"])


people = once(People)


def ids(*users):
    return sorted(u["id"] for u in users)


# Filters over People's users ({t} is its tag) and whom each must find, by name.
FILTERS = [
    # Names and operators in any case; an attribute with its schema URN.
    ('userName eq "ADA-{t}@X.EXAMPLE"', "ada"),
    ('USERNAME EQ "ada-{t}@x.example"', "ada"),
    ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada-{t}@x.example"', "ada"),
    # Every operator, and, or, not, parentheses.
    ('userName sw "ada-{t}" or userName sw "bob-{t}"', "ada bob"),
    ('userName ew "-{t}@y.example"', "cy dee"),
    ('userName co "-{t}@" and not (userName co "@y.")', "ada bob eve"),
    ('userName co "-{t}@" and title pr', "bob"),
    ('userName co "-{t}@" and active eq false', "cy"),
    ('userName co "-{t}@" and (active eq true and userName ge "dee")', "dee eve"),
    ('userName co "-{t}@" and displayName eq "ada {t}"', "ada"),
    ('userName co "-{t}@" and userName ne "ada-{t}@x.example" and userName lt "cy"', "bob"),
    # externalId is case-exact.
    ('externalId eq "A-{t}"', "ada"),
    ('externalId eq "a-{t}"', "bob"),
    # Value paths over emails; the attribute itself compares its values' "value"
    # (RFC 7644's emails co "example.com").
    ('emails[type eq "home" and value co "{t}"]', "ada"),
    ('emails[type eq "work" and value ew "-{t}@x.example"]', "ada bob"),
    ('emails.value eq "ADA-{t}@home.example"', "ada"),
    ('emails eq "bob-{t}@x.example"', "bob"),
    ('emails[type eq "work"].value eq "dee-{t}@y.example"', "dee"),
    # eve came with no emails: she is shown with her sign-in address (her
    # userName) as her work e-mail, and filters read what is shown.
    ('userName co "-{t}@" and not (emails pr)', ""),
    ('emails[type eq "work"].value eq "eve-{t}@z.example"', "eve"),
    # The enterprise extension, and times.
    (ENT + ':employeeNumber eq "1-{t}"', "ada"),
    ('userName co "-{t}@" and ' + ENT + ':department eq "ops"', "bob"),
    ('userName co "-{t}@" and meta.lastModified gt "2100-01-01T00:00:00Z"', ""),
]


def test_filters_find_exactly_whom_they_describe():
    p = people()
    for template, names in FILTERS:
        want = ids(*(getattr(p, n) for n in names.split()))
        assert p.ids(template.replace("{t}", p.tag)) == want, template


def test_a_user_without_provider_emails_is_found_by_the_email_it_shows():
    # Made natively: SCIM shows its sign-in address as its one work e-mail, and
    # an IdP that matches by e-mail must find it rather than create a second one.
    o = Org()
    t = unique("m")
    made = expect(o.call("POST", "/api/v1/users", json={
        "email": f"Native-{t}@Acme.example", "username": f"n-{t}", "auth_method": "sso"}), 201).json()
    mine = f'userName eq "n-{t}"'
    shown = ok(scim(o, "GET", f"/Users?filter={q(mine)}"))["Resources"][0]
    assert shown["emails"] == [{"value": f"Native-{t}@Acme.example", "type": "work", "primary": True}]
    for f in (f'emails[type eq "work"].value eq "native-{t}@acme.example"',
              f'emails[type eq "work" and value eq "NATIVE-{t}@acme.example"]',
              f'emails.value eq "native-{t}@acme.example"', f'emails eq "native-{t}@acme.example"',
              f'emails co "native-{t}@"', f'emails[primary eq true and value ew "{t}@acme.example"]',
              f'{mine} and emails pr', f'{mine} and emails.type eq "work"'):
        got = [u["id"] for u in find(o, f)["Resources"]]
        assert got == [shown["id"]], f
    for f in (f'emails[type eq "home"].value eq "native-{t}@acme.example"',
              f'{mine} and not (emails pr)'):
        assert find(o, f)["Resources"] == [], f
    assert made["uid"] == shown["id"]


def test_ne_matches_unassigned_values_and_order_comparisons_do_not():
    # "ne" is "not (eq)" whatever the attribute keeps a missing value as, and
    # a missing value is not "lt" anything (RFC 7644 3.4.2.2).
    p = people()
    mine = f'userName co "-{p.tag}@" and '
    everyone = ids(p.ada, p.bob, p.cy, p.dee, p.eve)
    for attr, value, holder in (("displayName", f"Ada {p.tag}", p.ada), ("externalId", f"A-{p.tag}", p.ada),
                                (ENT + ":employeeNumber", f"1-{p.tag}", p.ada), ("title", "Boss", p.bob)):
        rest = sorted(set(everyone) - {holder["id"]})
        assert p.ids(mine + f'{attr} ne "{value}"') == rest, attr
        assert p.ids(mine + f'not ({attr} eq "{value}")') == rest, attr
    assert p.ids(mine + 'title lt "C"') == ids(p.bob)
    assert p.ids(mine + 'title le "A"') == []
    assert p.ids(mine + 'displayName lt "zzz"') == ids(p.ada)
    # A blank given name ('' in its lowercase column) and an e-mail without a
    # display (a missing JSON member) behave alike.
    o = Org()
    body = user_body(f"{unique('nameless')}@x.example")
    del body["name"]
    nameless = ok(scim(o, "POST", "/Users", body), 201)
    named = new_user(o)
    in_o = lambda f: sorted(u["id"] for u in find(o, f)["Resources"])
    lt, ne = in_o('name.givenName lt "zzz"'), in_o('name.givenName ne "Ada"')
    assert named["id"] in lt and nameless["id"] not in lt
    assert nameless["id"] in ne and named["id"] not in ne
    assert {nameless["id"], named["id"]} <= set(in_o('emails[display ne "x"]'))


def test_filter_meta_created_compares_times():
    p = people()
    created = p.dee["meta"]["created"]
    assert p.ids(f'userName co "-{p.tag}@" and meta.created ge "{created}"') == ids(p.dee, p.eve)


def test_a_time_as_shown_compares_as_the_millisecond_it_names():
    # Times are stored to the microsecond and shown to the millisecond: a client
    # syncing "modified since the last one seen" must not get that one again,
    # and eq with a shown time must find its resource.
    p = people()
    for u in (p.dee, p.eve):
        shown = u["meta"]["lastModified"]
        assert len(shown) == len("2026-01-01T00:00:00.000Z"), shown
        mine = f'userName co "-{p.tag}@" and '
        assert u["id"] in p.ids(mine + f'meta.lastModified eq "{shown}"'), shown
        assert u["id"] not in p.ids(mine + f'meta.lastModified gt "{shown}"')
        assert u["id"] in p.ids(mine + f'meta.lastModified le "{shown}"')
        assert u["id"] in p.ids(mine + f'meta.lastModified ge "{shown}"')
        assert u["id"] not in p.ids(mine + f'meta.lastModified lt "{shown}"')
        assert u["id"] not in p.ids(mine + f'meta.created ne "{u["meta"]["created"]}"')


def test_entra_sends_plus_for_spaces_and_unquoted_values():
    p = people()
    r = scim(p.o, "GET", f"/Users?filter=userName+eq+%22ada-{p.tag}%40x.example%22")
    assert [u["id"] for u in ok(r)["Resources"]] == [p.ada["id"]]
    r = scim(p.o, "GET", f"/Users?filter=externalId+eq+A-{p.tag}")
    assert [u["id"] for u in ok(r)["Resources"]] == [p.ada["id"]]
    r = scim(p.o, "GET", f"/Users/?filter=userName+eq+%22bob-{p.tag}%40x.example%22")
    assert [u["id"] for u in ok(r)["Resources"]] == [p.bob["id"]]


def test_invalid_and_unsupported_filters_are_invalid_filter():
    o = shared()
    for f in ('userName eq', 'userName zz "x"', 'userName eq "x" and', '(userName eq "x"',
              'userName eq "x")', 'nickName eq "x"', 'emails[type eq "work"', 'emails[value[x eq 1]]',
              'id co "1"', 'active gt true', 'meta.created eq "yesterday"', 'userName eq "\\q"',
              'name[givenName eq "x"]', 'password eq "x"', 'emails[type eq "x"] or'):
        err(scim(o, "GET", f"/Users?filter={q(f)}"), 400, "invalidFilter")


def test_a_filter_error_names_the_attribute_the_client_wrote():
    """The core's own field names (enabled, created_at, …) are not the client's."""
    o = shared()
    for path, f, name, core in [
            ("/Users", 'active eq "maybe"', "active", "enabled"),
            ("/Users", 'meta.created gt "yesterday"', "meta.created", "created_at"),
            ("/Users", 'meta.lastModified lt 7', "meta.lastModified", "updated_at"),
            ("/Groups", 'meta.created ge "soon"', "meta.created", "created_at")]:
        detail = err(scim(o, "GET", f"{path}?filter={q(f)}"), 400, "invalidFilter")["detail"]
        assert name in detail and core not in detail, (f, detail)


def test_paging_by_start_index_and_count():
    p = people()
    f = q(f'userName co "-{p.tag}@"')
    everyone = ok(scim(p.o, "GET", f"/Users?filter={f}&sortBy=userName"))
    names = [u["userName"] for u in everyone["Resources"]]
    assert names == sorted(names) and len(names) == 5
    page = ok(scim(p.o, "GET", f"/Users?filter={f}&sortBy=userName&startIndex=2&count=2"))
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [u["userName"] for u in page["Resources"]] == names[1:3]
    past = ok(scim(p.o, "GET", f"/Users?filter={f}&startIndex=9"))
    assert past["totalResults"] == 5 and past["Resources"] == [] and past["itemsPerPage"] == 0
    none = ok(scim(p.o, "GET", f"/Users?filter={f}&count=0"))
    assert none["totalResults"] == 5 and none["Resources"] == []
    low = ok(scim(p.o, "GET", f"/Users?filter={f}&startIndex=-3&count=-1"))
    assert low["startIndex"] == 1 and low["Resources"] == []
    assert ok(scim(p.o, "GET", f"/Users?count=5000"))["itemsPerPage"] <= 1000
    err(scim(p.o, "GET", f"/Users?count=ten"), 400, "invalidValue")
    err(scim(p.o, "GET", f"/Users?count=1&count=2"), 400, "invalidSyntax")


def test_sort_by_and_sort_order():
    p = people()
    f = q(f'userName co "-{p.tag}@"')
    down = ok(scim(p.o, "GET", f"/Users?filter={f}&sortBy=userName&sortOrder=descending"))
    names = [u["userName"] for u in down["Resources"]]
    assert names == sorted(names, reverse=True)
    made = ok(scim(p.o, "GET", f"/Users?filter={f}&sortBy=meta.created"))
    assert [u["id"] for u in made["Resources"]] == [p.ada["id"], p.bob["id"], p.cy["id"],
                                                     p.dee["id"], p.eve["id"]]
    err(scim(p.o, "GET", f"/Users?sortBy=title"), 400, "invalidValue")
    err(scim(p.o, "GET", f"/Users?sortBy=userName&sortOrder=sideways"), 400, "invalidValue")


def test_attributes_and_excluded_attributes_with_sub_attributes_and_value_filters():
    p = people()
    path = f"/Users/{p.ada['id']}"
    a = ok(scim(p.o, "GET", path + "?attributes=userName,name.givenName"))
    assert set(a) == {"schemas", "id", "userName", "name"} and a["name"] == {"givenName": "Ada"}
    a = ok(scim(p.o, "GET", path + "?attributes=" + q('emails[type eq "home"].value')))
    assert a["emails"] == [{"value": f"ada-{p.tag}@home.example"}]
    a = ok(scim(p.o, "GET", path + "?attributes=" + q('emails[type eq "work"]')))
    assert a["emails"] == [{"value": f"ada-{p.tag}@x.example", "type": "work"}]
    a = ok(scim(p.o, "GET", path + f"?attributes={ENT}:department"))
    assert a[ENT] == {"department": "Eng"} and "userName" not in a
    a = ok(scim(p.o, "GET", path + f"?attributes={ENT}"))
    assert a[ENT] == {"employeeNumber": f"1-{p.tag}", "department": "Eng"}
    x = ok(scim(p.o, "GET", path + "?excludedAttributes=emails,name.familyName,meta,id"))
    assert "emails" not in x and "meta" not in x and x["name"] == {"givenName": "Ada"}
    assert x["id"] == p.ada["id"], "id is always returned"
    x = ok(scim(p.o, "GET", path + "?excludedAttributes=" + q('emails[type eq "home"]')))
    assert [e["type"] for e in x["emails"]] == ["work"]
    by_name = q(f'userName eq "{p.ada["userName"]}"')
    lst = ok(scim(p.o, "GET", f"/Users?filter={by_name}&attributes=externalId"))
    assert lst["Resources"] == [{"schemas": [USER, ENT], "id": p.ada["id"],
                                 "externalId": f"A-{p.tag}"}]
    err(scim(p.o, "GET", path + "?attributes=userName&excludedAttributes=title"), 400, "invalidValue")
    err(scim(p.o, "GET", path + "?attributes=" + q('emails[type eq]')), 400, "invalidFilter")


def test_search_by_post():
    p = people()
    body = {"schemas": [SEARCH], "filter": f'userName sw "ada-{p.tag}" or userName sw "bob-{p.tag}"',
            "attributes": ["userName"], "sortBy": "userName", "sortOrder": "descending",
            "startIndex": 1, "count": 10}
    lst = ok(scim(p.o, "POST", "/Users/.search", body))
    assert [u["userName"] for u in lst["Resources"]] == [p.bob["userName"], p.ada["userName"]]
    assert set(lst["Resources"][0]) == {"schemas", "id", "userName"}
    err(scim(p.o, "POST", "/Users/.search", {"filter": "userName pr"}), 400, "invalidSyntax")
    err(scim(p.o, "POST", "/Users/.search", {"schemas": [SEARCH], "filter": "userName"}), 400,
        "invalidFilter")
    r = scim(p.o, "POST", "/Users/.search", {"schemas": [SEARCH], "count": True})
    assert err(r, 400, "invalidValue")["detail"] == "count must be a whole number"


# --- users: PUT ------------------------------------------------------------------------------

def test_put_replaces_every_attribute_and_ignores_unknown_and_read_only_ones():
    o = shared()
    u = new_user(o, title="Dr", displayName="A", phoneNumbers=[{"value": "1", "type": "work"}],
                 **{ENT: {"department": "Eng"}})
    body = {"schemas": [USER], "userName": u["userName"], "id": "someone-else",
            "name": {"familyName": "Byron"}, "nickName": "x", "active": True,
            "emails": [{"value": u["userName"], "type": "work", "primary": True}],
            "meta": {"created": "2000-01-01T00:00:00Z"}}
    r = scim(o, "PUT", f"/Users/{u['id']}", body)
    got = ok(r)
    assert got["id"] == u["id"] and got["meta"]["created"] == u["meta"]["created"]
    assert got["name"] == {"familyName": "Byron"}
    for gone in ("title", "displayName", "phoneNumbers", ENT, "nickName"):
        assert gone not in got, gone
    assert r.headers["etag"] == got["meta"]["version"] == 'W/"2"'
    n = native_user(o, u["id"])
    assert n["first_name"] == "" and n["title"] == "" and n["department"] == ""
    same = ok(scim(o, "PUT", f"/Users/{u['id']}", body))
    assert same["meta"]["version"] == 'W/"2"', "a PUT that changes nothing changes no version"


def test_put_needs_user_name_and_schemas():
    o = shared()
    u = new_user(o)
    err(scim(o, "PUT", f"/Users/{u['id']}", {"schemas": [USER]}), 400, "invalidValue")
    err(scim(o, "PUT", f"/Users/{u['id']}", {"userName": u["userName"]}), 400, "invalidSyntax")
    err(scim(o, "PUT", "/Users/00000000-0000-4000-8000-000000000000", user_body()), 404)


# --- users: PATCH (RFC 7644 §3.5.2) -------------------------------------------------------

def test_patch_add_replace_remove_with_paths():
    o = shared()
    u = new_user(o)
    path = f"/Users/{u['id']}"
    got = ok(patch(o, path, {"op": "add", "path": "title", "value": "Engineer"},
                   {"op": "replace", "path": "name.givenName", "value": "Augusta"},
                   {"op": "add", "path": "phoneNumbers", "value": [{"value": "+1 555", "type": "mobile"}]},
                   {"op": "remove", "path": "name.familyName"}))
    assert got["title"] == "Engineer" and got["name"] == {"givenName": "Augusta"}
    assert got["phoneNumbers"] == [{"value": "+1 555", "type": "mobile"}]
    got = ok(patch(o, path, {"op": "remove", "path": "title"}))
    assert "title" not in got
    assert native_user(o, u["id"])["title"] == ""


def test_patch_without_path_takes_an_object_of_attributes():
    o = shared()
    u = new_user(o)
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "value": {
        "displayName": "Ada!", "name": {"middleName": "King"}, "nickName": "ignored",
        ENT: {"employeeNumber": "9"}, "schemas": [USER]}}))
    assert got["displayName"] == "Ada!" and got[ENT] == {"employeeNumber": "9"}
    assert got["name"] == {"givenName": "Ada", "familyName": "Lovelace", "middleName": "King"}, \
        "replacing a complex attribute leaves the sub-attributes it does not name"
    err(patch(o, f"/Users/{u['id']}", {"op": "remove"}), 400, "noTarget")
    err(patch(o, f"/Users/{u['id']}", {"op": "add", "value": "x"}), 400, "invalidValue")


def test_patch_value_paths_select_values_of_multi_valued_attributes():
    o = shared()
    name = f"{unique('v')}@corp.example"
    u = new_user(o, name=name, emails=[{"value": name, "type": "work", "primary": True},
                                       {"value": "old@home.example", "type": "home"}])
    path = f"/Users/{u['id']}"
    got = ok(patch(o, path, {"op": "replace", "path": 'emails[type eq "home"].value',
                             "value": "new@home.example"}))
    assert got["emails"] == [{"value": name, "type": "work", "primary": True},
                             {"value": "new@home.example", "type": "home"}]
    got = ok(patch(o, path, {"op": "remove", "path": 'emails[type eq "home"]'}))
    assert [e["type"] for e in got["emails"]] == ["work"]
    err(patch(o, path, {"op": "remove", "path": 'emails[type eq "home"]'}), 400, "noTarget")
    err(patch(o, path, {"op": "replace", "path": 'emails[type eq "other"].value', "value": "x@y.z"}),
        400, "noTarget")
    got = ok(patch(o, path, {"op": "add", "path": 'addresses[type eq "work"].locality',
                             "value": "Paris"}))
    assert got["addresses"] == [{"type": "work", "locality": "Paris"}], \
        "an add through a filter that matches nothing makes the value the filter describes"
    got = ok(patch(o, path, {"op": "add", "path": "emails",
                             "value": [{"value": "second@corp.example", "type": "other", "primary": True}]}))
    assert [e.get("primary", False) for e in got["emails"]] == [False, True], \
        "one primary at most: the new one takes it"


def test_a_patch_skips_attributes_not_kept_and_applies_the_rest():
    # Entra sends each mapped attribute as an op with its own path; one that
    # Gatehouse does not keep must not fail the changes beside it.
    o = shared()
    u = new_user(o)
    path = f"/Users/{u['id']}"
    got = ok(patch(o, path,
                   {"op": "Add", "path": "nickName", "value": "Babs"},
                   {"op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "Admin"},
                   {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter",
                    "value": "42"},
                   {"op": "Remove", "path": "locale"},
                   {"op": "Replace", "path": "title", "value": "Engineer"},
                   {"op": "Replace", "path": "active", "value": "False"}))
    assert got["title"] == "Engineer" and got["active"] is False
    assert not {"nickName", "roles", "locale"} & set(got), got
    assert ok(scim(o, "GET", path)) == got


def test_patch_errors_name_the_path_problem():
    o = shared()
    u = new_user(o)
    path = f"/Users/{u['id']}"
    err(patch(o, path, {"op": "add", "path": "name.nick", "value": "x"}), 400, "invalidPath")
    err(patch(o, path, {"op": "add", "path": "title[value eq \"x\"]", "value": "x"}), 400, "invalidPath")
    err(patch(o, path, {"op": "add", "path": "emails[type eq]", "value": "x"}), 400, "invalidFilter")
    err(patch(o, path, {"op": "add", "path": "userName..x", "value": "x"}), 400, "invalidPath")
    err(patch(o, path, {"op": "replace", "path": "id", "value": "other"}), 400, "mutability")
    err(patch(o, path, {"op": "replace", "path": "meta.created", "value": "2000-01-01T00:00:00Z"}), 400,
        "mutability")
    err(patch(o, path, {"op": "add", "path": "groups", "value": [{"value": "x"}]}), 400, "mutability")
    err(patch(o, path, {"op": "move", "path": "title", "value": "x"}), 400, "invalidSyntax")
    err(patch(o, path, {"op": "add", "path": "title"}), 400, "invalidValue")
    err(patch(o, path, {"op": "remove", "path": "userName"}), 400, "invalidValue")
    err(patch(o, path, {"op": "replace", "path": "active", "value": "sometimes"}), 400, "invalidValue")
    err(scim(o, "PATCH", path, {"schemas": [PATCHOP], "Operations": []}), 400, "invalidSyntax")
    err(scim(o, "PATCH", path, {"schemas": [PATCHOP], "Operations": [
        {"op": "add", "path": "title", "value": str(i)} for i in range(1001)]}), 400, "tooMany")
    assert ok(scim(o, "GET", path))["meta"]["version"] == 'W/"1"', "a refused PATCH changes nothing"


def test_patch_replacing_the_id_with_itself_is_no_change():
    o = shared()
    u = new_user(o)
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "value": {"id": u["id"], "title": "T"}}))
    assert got["title"] == "T"


def test_patch_answers_200_with_the_resource_as_the_attribute_lists_show_it():
    o = shared()
    u = new_user(o)
    r = patch(o, f"/Users/{u['id']}?attributes=title", {"op": "add", "path": "title", "value": "T"})
    assert ok(r) == {"schemas": [USER], "id": u["id"], "title": "T"}
    assert r.headers["etag"] == 'W/"2"'


def test_manager_is_a_user_of_the_org_given_by_id_or_bare():
    o = shared()
    boss, boss2, u = new_user(o), new_user(o), new_user(o)
    path = f"/Users/{u['id']}"
    got = ok(patch(o, path, {"op": "Add", "path": f"{ENT}:manager", "value": boss["id"]}))
    assert got[ENT]["manager"]["value"] == boss["id"]
    assert got[ENT]["manager"]["$ref"].endswith(f"/scim/v2/Users/{boss['id']}")
    assert native_user(o, u["id"])["manager"] == boss["id"]
    got = ok(patch(o, path, {"op": "replace", "path": ENT, "value": {"manager": {"value": boss2["id"]}}}))
    assert got[ENT]["manager"]["value"] == boss2["id"]
    # The core's rule, whatever the surface: nobody is their own manager.
    err(patch(o, path, {"op": "replace", "path": f"{ENT}:manager", "value": u["id"]}), 400,
        "invalidValue")
    assert native_user(o, u["id"])["manager"] == boss2["id"]
    other = Org()
    stranger = new_user(other)
    err(patch(o, path, {"op": "replace", "path": f"{ENT}:manager.value", "value": stranger["id"]}), 400,
        "invalidValue")
    got = ok(patch(o, path, {"op": "remove", "path": f"{ENT}:manager"}))
    assert ENT not in got


def test_a_value_without_primary_is_not_primary_in_paths_as_in_filters():
    o = shared()
    u = new_user(o, emails=[{"value": "p@x.example", "type": "work", "primary": True},
                            {"value": "h@x.example", "type": "home"}])
    mine = f'userName eq "{u["userName"]}" and emails[primary eq false]'
    assert [x["id"] for x in find(o, mine)["Resources"]] == [u["id"]]
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "remove", "path": "emails[primary eq false]"}))
    assert [e["value"] for e in got["emails"]] == ["p@x.example"]
    err(patch(o, f"/Users/{u['id']}", {"op": "replace", "path": "emails[primary ne true].type",
                                       "value": "other"}), 400, "noTarget")


def test_remove_of_a_single_valued_attribute_ignores_its_value_and_path_null_is_no_path():
    # Entra removes a manager naming it in a value list; the value of a remove
    # says which values of a multi-valued attribute go, and means nothing else.
    o = shared()
    boss, u = new_user(o), new_user(o, title="Chief")
    path = f"/Users/{u['id']}"
    ok(patch(o, path, {"op": "Add", "path": f"{ENT}:manager", "value": boss["id"]}))
    got = ok(patch(o, path, {"op": "Remove", "path": f"{ENT}:manager", "value": [{"value": boss["id"]}]},
                   {"op": "remove", "path": "title", "value": ["Chief"]}))
    assert ENT not in got and "title" not in got
    assert native_user(o, u["id"])["manager"] is None
    got = ok(patch(o, path, {"op": "replace", "path": None, "value": {"title": "Again"}}))
    assert got["title"] == "Again"
    err(patch(o, path, {"op": "remove", "path": None}), 400, "noTarget")


# --- the e-mail policy ----------------------------------------------------------------------

def test_two_users_may_share_a_work_address_and_the_second_signs_in_with_its_user_name():
    o = Org()
    shared_addr = f"{unique('team')}@corp.example"
    a = new_user(o, name=f"{unique('a')}@corp.example",
                 emails=[{"value": shared_addr, "type": "work", "primary": True}])
    b = new_user(o, name=f"{unique('b')}@corp.example",
                 emails=[{"value": shared_addr, "type": "work", "primary": True}])
    assert native_user(o, a["id"])["email"] == shared_addr
    assert native_user(o, b["id"])["email"] == b["userName"]
    assert b["emails"] == [{"value": shared_addr, "type": "work", "primary": True}], "kept as given"


def test_values_that_are_no_address_are_kept_and_a_user_without_any_gets_a_placeholder():
    o = Org()
    u = new_user(o, name=unique("jdoe"), emails=[{"value": "not an address", "type": "work"}])
    assert u["emails"] == [{"value": "not an address", "type": "work"}]
    email = native_user(o, u["id"])["email"]
    assert email.endswith("@no-email.invalid")
    v = new_user(o, name=unique("kdoe"), emails=[])
    assert "emails" not in v, "a placeholder is never shown as an e-mail"
    assert native_user(o, v["id"])["email"].endswith("@no-email.invalid")
    got = ok(patch(o, f"/Users/{v['id']}", {"op": "add", "path": "emails",
                                            "value": [{"value": f"{unique('k')}@corp.example"}]}))
    assert native_user(o, v["id"])["email"] == got["emails"][0]["value"]


def test_scim_cannot_take_over_another_users_sign_in_address():
    o = Org()
    victim = expect(o.create(auth_method="sso"), 201).json()
    u = new_user(o)
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "path": "emails", "value": [
        {"value": victim["email"], "type": "work", "primary": True}]}))
    assert got["emails"][0]["value"] == victim["email"]
    assert native_user(o, u["id"])["email"] == u["userName"], "kept its own sign-in address"
    assert native_user(o, victim["uid"])["email"] == victim["email"]
    err(scim(o, "POST", "/Users", user_body(victim["username"])), 409, "uniqueness")


def test_the_primary_then_work_address_becomes_the_sign_in_address():
    o = Org()
    t = unique("w")
    u = new_user(o, name=f"{t}-login", emails=[{"value": f"{t}-home@corp.example", "type": "home"},
                                               {"value": f"{t}-work@corp.example", "type": "work"}])
    assert native_user(o, u["id"])["email"] == f"{t}-work@corp.example"
    ok(patch(o, f"/Users/{u['id']}", {"op": "add", "path": "emails", "value": [
        {"value": f"{t}-main@corp.example", "type": "other", "primary": True}]}))
    assert native_user(o, u["id"])["email"] == f"{t}-main@corp.example"


def test_a_user_made_elsewhere_shows_its_sign_in_address_as_its_work_email():
    o = shared()
    n = expect(o.create(auth_method="sso", title="T"), 201).json()
    got = ok(scim(o, "GET", f"/Users/{n['uid']}"))
    assert got["emails"] == [{"value": n["email"], "type": "work", "primary": True}]
    assert got["userName"] == n["username"] and got["title"] == "T" and got["active"] is True


# --- active, cross-surface, audit ------------------------------------------------------------

def test_active_false_disables_through_every_surface_and_true_enables():
    o = Org()
    u = new_user(o)
    key = o.keys["super"]
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "Replace", "path": "active", "value": "False"}))
    assert got["active"] is False
    n = native_user(o, u["id"])
    assert n["status"] == "disabled" and n["disabled_reason"] == "admin"
    listed = expect(request("GET", "/api/v1/users?status=disabled", key=key), 200).json()["users"]
    assert u["id"] in [x["uid"] for x in listed]
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "value": {"active": True}}))
    assert got["active"] is True and native_user(o, u["id"])["status"] == "active"


def test_a_deactivated_users_keys_stop_working_on_every_surface():
    o = Org()
    u = new_user(o)
    made = expect(o.call("POST", "/api/v1/api-keys", json={"name": "k", "user": u["id"]}), 201).json()
    key = made["key"]
    expect(request("GET", "/api/v1/me", key=key), 200)
    ok(patch(o, f"/Users/{u['id']}", {"op": "Replace", "path": "active", "value": "False"}))
    expect(request("GET", "/api/v1/me", key=key), 401)
    assert request("GET", "/scim/v2/ServiceProviderConfig", key=key).status == 401
    ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": True}))
    expect(request("GET", "/api/v1/me", key=key), 200)


def test_a_disabled_user_made_over_scim_is_disabled_at_once():
    o = shared()
    u = new_user(o, active=False)
    assert u["active"] is False and native_user(o, u["id"])["status"] == "disabled"


def test_a_user_removed_through_the_native_api_is_404_over_scim():
    o = shared()
    u = new_user(o)
    expect(o.call("DELETE", f"/api/v1/users/{u['id']}"), 204)
    err(scim(o, "GET", f"/Users/{u['id']}"), 404)
    err(patch(o, f"/Users/{u['id']}", {"op": "add", "path": "title", "value": "x"}), 404)


def _dialect_views(o, u):
    """What Faction, AttackForge, Secureframe and Allthenticate say of a user's state."""
    n = native_user(o, u["id"])
    admin = o.keys["admin"]
    fa = expect(request("GET", "/faction/api/users/all", headers={"FACTION-API-KEY": admin}), 200).json()
    fa, = [x for x in fa if x["username"] == n["username"]]
    af = expect(request("GET", f"/attackforge/api/ss/users/{u['id']}",
                        headers={"X-SSAPI-KEY": admin}), 200).json()["user"]
    ref, secret = split_key(admin)
    sf = expect(request("GET", f"/secureframe/users?id={u['id']}",
                        headers={"Authorization": f"{ref} {secret}"}), 200).json()
    at = expect(request("GET", "/allthenticate/multipleusers", key=admin), 200).json()
    at, = [x for x in at if x["email_id"] == n["id"]]
    return {"native": n["status"], "faction": fa["inactive"], "attackforge": af["status"],
            "secureframe": [d["data"]["attributes"]["active"] for d in sf],
            "allthenticate": at["ad_status"]}


def test_a_user_deactivated_by_an_idp_patch_is_disabled_through_every_dialect():
    o = Org()
    u = new_user(o)
    assert _dialect_views(o, u) == {"native": "active", "faction": False, "attackforge": "Active",
                                    "secureframe": [True], "allthenticate": "ACTIVE"}
    # Entra's form: a capitalised op, the boolean as text, no path.
    ok(patch(o, f"/Users/{u['id']}", {"op": "Replace", "value": {"active": "False"}}))
    assert _dialect_views(o, u) == {"native": "disabled", "faction": True,
                                    "attackforge": "Deactivated", "secureframe": [False],
                                    "allthenticate": "DISABLED"}
    ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": True}))
    assert _dialect_views(o, u)["attackforge"] == "Active"


def test_a_user_removed_through_a_dialect_is_404_over_scim():
    o = Org()
    a, b = new_user(o), new_user(o)
    r = request("PUT", f"/attackforge/api/ss/user/{a['id']}", headers={"X-SSAPI-KEY": o.keys["admin"]},
                json={"is_deleted": True})
    assert r.status == 200 and r.json()["user"]["status"] == "Deleted"
    err(scim(o, "GET", f"/Users/{a['id']}"), 404)
    err(patch(o, f"/Users/{a['id']}", {"op": "replace", "path": "active", "value": False}), 404)
    nb = native_user(o, b["id"])
    expect(request("DELETE", f"/allthenticate/user?email_id={nb['id']}", key=o.keys["admin"]), 200)
    err(scim(o, "GET", f"/Users/{b['id']}"), 404)
    filt = q(f'userName eq "{b["userName"]}"')
    assert ok(scim(o, "GET", f"/Users?filter={filt}"))["totalResults"] == 0


def test_a_suspension_is_gatehouses_own_hold_which_a_directory_neither_sees_nor_lifts():
    """SCIM's active is the directory's administrative status: a user suspended in
    Gatehouse (Allthenticate's, or the native API's) stays active: true, the filter
    agrees, active: true leaves the suspension, and active: false disables."""
    o = Org()
    u = new_user(o)
    expect(o.call("POST", f"/api/v1/users/{u['id']}/suspend"), 200)
    assert ok(scim(o, "GET", f"/Users/{u['id']}"))["active"] is True
    for f, want in (("true", [u["id"]]), ("false", [])):
        found = ok(scim(o, "GET", "/Users?filter=" +
                        q(f'active eq {f} and userName eq "{u["userName"]}"')))
        assert [x["id"] for x in found["Resources"]] == want, f
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": True}))
    assert got["active"] is True and native_user(o, u["id"])["status"] == "suspended"
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": False}))
    assert got["active"] is False and native_user(o, u["id"])["status"] == "disabled"
    found = ok(scim(o, "GET", "/Users?filter=" + q(f'active eq false and userName eq "{u["userName"]}"')))
    assert [x["id"] for x in found["Resources"]] == [u["id"]]


def _allthenticate_groups(o, u):
    n = native_user(o, u["id"])
    rows = expect(request("GET", "/allthenticate/multipleusers", key=o.keys["admin"]), 200).json()
    row, = [x for x in rows if x["email_id"] == n["id"]]
    return row["groups"]


def test_a_group_made_over_scim_is_the_group_attackforge_and_allthenticate_show():
    o = Org()
    u = new_user(o)
    g = new_group(o, "Red Team", members=[u])
    key = expect(o.call("GET", "/api/v1/groups"), 200).json()["groups"]
    key, = [x["key"] for x in key if x["uid"] == g["id"]]
    r = request("GET", f"/attackforge/api/ss/user/{u['id']}/groups", headers={"X-SSAPI-KEY": o.keys["admin"]})
    assert [(x["group_name"], x["group_id"]) for x in r.json()["groups"]] == [("Red Team", key)]
    assert _allthenticate_groups(o, u) == [["Red Team"]]
    ok(patch(o, f"/Groups/{g['id']}", {"op": "remove", "path": f"members[value eq \"{u['id']}\"]"}))
    r = request("GET", f"/attackforge/api/ss/user/{u['id']}/groups", headers={"X-SSAPI-KEY": o.keys["admin"]})
    assert r.json()["groups"] == []
    assert _allthenticate_groups(o, u) == []


def test_a_group_made_over_scim_is_the_flock_canary_assigns_and_shows():
    from test_canary import cy
    o = Org()
    u = new_user(o)
    g = new_group(o, "flock:" + unique("blue"), members=[u])
    groups = expect(o.call("GET", "/api/v1/groups"), 200).json()["groups"]
    key, = [x["key"] for x in groups if x["uid"] == g["id"]]
    addr = native_user(o, u["id"])["email"]
    r = cy("POST", "user/flock/assign", o.keys["admin"], email=addr, flock_id_list=key,
           flock_access_level="watcher")
    assert r.status == 200 and r.json()["result"] == "success", r
    r = cy("GET", "user/auth", o.keys["admin"], email=addr)
    assert r.status == 200 and r.json()["watched_flocks"] == [key], r.json()
    # Still the SCIM group's member, whatever its role in Canary's terms.
    assert member_ids(ok(scim(o, "GET", f"/Groups/{g['id']}"))) == [u["id"]]
    ok(patch(o, f"/Groups/{g['id']}", {"op": "remove", "path": f"members[value eq \"{u['id']}\"]"}))
    assert cy("GET", "user/auth", o.keys["admin"], email=addr).json()["watched_flocks"] == []


def test_native_changes_show_over_scim_and_scim_changes_natively():
    o = shared()
    u = new_user(o)
    expect(o.call("PATCH", f"/api/v1/users/{u['id']}", json={"title": "From native",
                                                              "external_id": "N-1"}), 200)
    got = ok(scim(o, "GET", f"/Users/{u['id']}"))
    assert got["title"] == "From native" and got["externalId"] == "N-1"
    assert got["meta"]["version"] == 'W/"2"'
    ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "path": "displayName", "value": "From SCIM"}))
    assert native_user(o, u["id"])["display_name"] == "From SCIM"


def test_each_write_is_one_transaction_its_events_naming_the_scim_surface():
    o = Org()
    u = new_user(o)
    ok(patch(o, f"/Users/{u['id']}", {"op": "add", "path": "title", "value": "a"},
             {"op": "replace", "path": "active", "value": False}))
    scim(o, "DELETE", f"/Users/{u['id']}")
    rows = sql(o, f"SELECT action || ':' || surface FROM gatehouse.audit_events "
                  f"WHERE target_id = '{u['id']}' ORDER BY id").split()
    # A deactivation is recorded as user.disable, as through every surface, in
    # the same transaction (and request) as the attributes that came with it.
    assert rows == ["user.create:scim", "user.update:scim", "user.disable:scim",
                    "user.remove:scim"], rows
    changes = jsonlib.loads(sql(o, f"SELECT changes FROM gatehouse.audit_events "
                                   f"WHERE target_id = '{u['id']}' AND action = 'user.update'"))
    assert changes["title"]["new"] == "a" and "status" not in changes
    changes = jsonlib.loads(sql(o, f"SELECT changes FROM gatehouse.audit_events "
                                   f"WHERE target_id = '{u['id']}' AND action = 'user.disable'"))
    assert changes["status"]["new"] == "disabled"
    reqs = sql(o, f"SELECT count(DISTINCT request_id) FROM gatehouse.audit_events "
                  f"WHERE target_id = '{u['id']}' AND action IN ('user.update', 'user.disable')")
    assert reqs == "1", reqs
    native = expect(o.call("GET", f"/api/v1/audit?target={u['id']}&limit=10"), 200).json()
    assert {e["surface"] for e in native["events"]} == {"scim"}


# --- groups ----------------------------------------------------------------------------------

def new_group(o, name=None, members=(), **extra):
    body = {"schemas": [GROUP], "displayName": name or unique("Group "),
            "members": [{"value": m["id"]} for m in members]}
    body.update(extra)
    return ok(scim(o, "POST", "/Groups", body), 201)


def member_ids(g):
    return sorted(m["value"] for m in g.get("members", []))


def test_group_create_with_members_is_the_core_group_other_surfaces_see():
    o = Org()
    a, b = new_user(o), new_user(o)
    r = scim(o, "POST", "/Groups", {"schemas": [GROUP], "displayName": "Sales Team", "externalId": "g-1",
                                    "members": [{"value": a["id"]}, {"value": b["id"], "display": "x"}]})
    g = ok(r, 201)
    assert r.headers["location"].endswith(f"/scim/v2/Groups/{g['id']}") and r.headers["etag"]
    assert g["schemas"] == [GROUP] and g["displayName"] == "Sales Team" and g["externalId"] == "g-1"
    assert member_ids(g) == ids(a, b)
    m = {x["value"]: x for x in g["members"]}[a["id"]]
    assert m["type"] == "User" and m["$ref"].endswith(f"/scim/v2/Users/{a['id']}")
    assert m["display"] == a["userName"]
    native = expect(o.call("GET", "/api/v1/groups"), 200).json()["groups"]
    mine, = [x for x in native if x["uid"] == g["id"]]
    assert mine["name"] == "Sales Team" and mine["key"] == "Sales-Team" and mine["members"] == 2
    members = expect(o.call("GET", "/api/v1/groups/Sales-Team/members"), 200).json()["members"]
    assert sorted(x["uid"] for x in members) == ids(a, b)
    again = new_group(o, "Sales Team")
    assert again["id"] != g["id"], "a second group of the same name gets a key of its own"
    u = ok(scim(o, "GET", f"/Users/{a['id']}"))
    assert {x["value"] for x in u["groups"]} == {g["id"]}
    assert u["groups"][0]["display"] == "Sales Team" and u["groups"][0]["type"] == "direct"


def test_a_groups_key_is_made_from_any_name():
    o = Org()
    long_name = "é" * 50    # 100 bytes: the key is cut to 90, between characters
    for name, key in (("Équipe ventes/EMEA, 2", "Équipe-ventes-EMEA--2"), (long_name, "é" * 45),
                      (" ", "-")):
        g = ok(scim(o, "POST", "/Groups", {"schemas": [GROUP], "displayName": name}), 201)
        mine, = [x for x in expect(o.call("GET", "/api/v1/groups"), 200).json()["groups"]
                 if x["uid"] == g["id"]]
        assert mine["key"] == key and mine["name"] == name


def test_a_group_made_natively_is_a_scim_group():
    o = shared()
    u = new_user(o)
    key = unique("native")
    expect(o.call("POST", "/api/v1/groups", json={"key": key, "name": "Native G"}), 201)
    expect(o.call("POST", f"/api/v1/groups/{key}/members", json={"user": u["id"], "role": "member"}), 201)
    found = find(o, f'displayName eq "native g" and members[value eq "{u["id"]}"]', "/Groups")
    g, = found["Resources"]
    assert g["displayName"] == "Native G" and member_ids(g) == [u["id"]]


def test_group_create_errors():
    o = shared()
    err(scim(o, "POST", "/Groups", {"schemas": [GROUP]}), 400, "invalidValue")
    err(scim(o, "POST", "/Groups", {"schemas": [GROUP], "displayName": "x" * 101}), 400, "invalidValue")
    err(scim(o, "POST", "/Groups", {"displayName": "x"}), 400, "invalidSyntax")
    err(scim(o, "POST", "/Groups", {"schemas": [GROUP], "displayName": "x",
                                    "members": [{"value": "00000000-0000-4000-8000-000000000000"}]}),
        400, "invalidValue")
    stranger = new_user(Org())
    err(scim(o, "POST", "/Groups", {"schemas": [GROUP], "displayName": "x",
                                    "members": [{"value": stranger["id"]}]}), 400, "invalidValue")
    err(scim(o, "POST", "/Groups", {"schemas": [GROUP], "displayName": "x",
                                    "members": [{"display": "no value"}]}), 400, "invalidValue")


def test_group_get_list_filter_and_excluded_members():
    o = Org()
    a = new_user(o)
    g1 = new_group(o, "Alpha", [a], externalId="E-1")
    g2 = new_group(o, "Beta")
    got = ok(scim(o, "GET", f"/Groups/{g1['id']}?excludedAttributes=members"))
    assert "members" not in got and got["displayName"] == "Alpha"
    assert member_ids(ok(scim(o, "GET", f"/Groups/{g1['id']}"))) == [a["id"]]
    lst = ok(scim(o, "GET", "/Groups?excludedAttributes=members&sortBy=displayName&sortOrder=descending"))
    assert [x["displayName"] for x in lst["Resources"]] == ["Beta", "Alpha"]
    assert all("members" not in x for x in lst["Resources"])
    assert [x["id"] for x in find(o, 'displayName eq "ALPHA"', "/Groups")["Resources"]] == [g1["id"]]
    assert [x["id"] for x in find(o, 'externalId eq "E-1"', "/Groups")["Resources"]] == [g1["id"]]
    assert [x["id"] for x in find(o, f'members[value eq "{a["id"]}"]', "/Groups")["Resources"]] == [g1["id"]]
    assert [x["id"] for x in find(o, 'not (members pr)', "/Groups")["Resources"]] == [g2["id"]]
    page = ok(scim(o, "GET", "/Groups?startIndex=2&count=1&sortBy=meta.created"))
    assert page["totalResults"] == 2 and [x["id"] for x in page["Resources"]] == [g2["id"]]
    err(scim(o, "GET", "/Groups?filter=" + q('name eq "x"')), 400, "invalidFilter")
    lst = ok(scim(o, "POST", "/Groups/.search", {"schemas": [SEARCH], "filter": 'displayName sw "al"'}))
    assert [x["id"] for x in lst["Resources"]] == [g1["id"]]


def test_group_patch_members_add_remove_replace_and_rename():
    o = Org()
    a, b, c = new_user(o), new_user(o), new_user(o)
    g = new_group(o, "Team", [a])
    path = f"/Groups/{g['id']}"
    got = ok(patch(o, path, {"op": "add", "path": "members", "value": [{"value": b["id"], "display": "b"}]}))
    assert member_ids(got) == ids(a, b)
    got = ok(patch(o, path, {"op": "remove", "path": f'members[value eq "{a["id"]}"]'}))
    assert member_ids(got) == ids(b)
    err(patch(o, path, {"op": "remove", "path": f'members[value eq "{a["id"]}"]'}), 400, "noTarget")
    got = ok(patch(o, path, {"op": "replace", "path": "members", "value": [{"value": a["id"]},
                                                                           {"value": c["id"]}]}))
    assert member_ids(got) == ids(a, c)
    got = ok(patch(o, path, {"op": "replace", "value": {"id": g["id"], "displayName": "Team 2"}}))
    assert got["displayName"] == "Team 2"
    got = ok(patch(o, path, {"op": "remove", "path": "members"}))
    assert "members" not in got
    err(patch(o, path, {"op": "replace", "value": {"id": a["id"]}}), 400, "mutability")
    err(patch(o, path, {"op": "remove", "path": "displayName"}), 400, "invalidValue")
    err(patch(o, path, {"op": "add", "path": "members.display", "value": "x"}), 400, "invalidPath")
    err(patch(o, path, {"op": "remove", "path": 'members[display eq "x"]'}), 400, "invalidFilter")
    before = ok(scim(o, "GET", path))
    got = ok(patch(o, path, {"op": "add", "path": "owners", "value": "x"},
                   {"op": "replace", "path": "urn:example:ext:2.0:Group:costCenter", "value": "1"}))
    assert got == before, "attributes a group does not keep are skipped, path or not"
    err(patch(o, path, {"op": "add", "path": "members", "value": [{"value": "nobody"}]}), 400,
        "invalidValue")
    err(patch(o, path, {"op": "add", "path": "members", "value": [{"value": a["id"]}]},
              headers={"If-Match": 'W/"1"'}), 412)


def test_group_patch_members_in_entra_forms():
    o = Org()
    a, b = new_user(o), new_user(o)
    g = new_group(o, "Entra")
    path = f"/Groups/{g['id']}"
    got = ok(patch(o, path, {"op": "Add", "path": "members", "value": [{"$ref": None, "value": a["id"]}]},
                   {"op": "Add", "path": "members", "value": b["id"]}))
    assert member_ids(got) == ids(a, b)
    got = ok(patch(o, path, {"op": "Remove", "path": "members", "value": [{"value": a["id"]}]}))
    assert member_ids(got) == ids(b)
    ok(patch(o, path, {"op": "Remove", "path": "members", "value": [{"value": a["id"]}]}))


def test_group_put_replaces_name_external_id_and_members():
    o = Org()
    a, b = new_user(o), new_user(o)
    g = new_group(o, "Put", [a], externalId="x")
    got = ok(scim(o, "PUT", f"/Groups/{g['id']}", {"schemas": [GROUP], "displayName": "Put 2",
                                                   "members": [{"value": b["id"]}], "id": "ignored"}))
    assert got["id"] == g["id"] and got["displayName"] == "Put 2" and "externalId" not in got
    assert member_ids(got) == ids(b)
    err(scim(o, "PUT", f"/Groups/{g['id']}", {"schemas": [GROUP]}), 400, "invalidValue")


def test_group_versions_change_with_members_made_anywhere():
    o = Org()
    a = new_user(o)
    g = new_group(o, "Versioned")
    v1 = g["meta"]["version"]
    key = expect(o.call("GET", "/api/v1/groups"), 200).json()["groups"][0]["key"]
    expect(o.call("POST", f"/api/v1/groups/{key}/members", json={"user": a["id"], "role": "member"}), 201)
    r = scim(o, "GET", f"/Groups/{g['id']}", headers={"If-None-Match": v1})
    got = ok(r)
    assert got["meta"]["version"] != v1 and member_ids(got) == [a["id"]]


def test_a_members_version_changes_with_its_groups():
    # The user lists its groups: a membership change is a change to the user too
    # (RFC 7644 §3.14), so a cached copy or an If-Match read before it is stale.
    o = Org()
    a, b = new_user(o), new_user(o)
    g = new_group(o, "Members", members=[b])
    before = ok(scim(o, "GET", f"/Users/{a['id']}"))
    tag = before["meta"]["version"]
    ok(patch(o, f"/Groups/{g['id']}", {"op": "add", "path": "members", "value": [{"value": a["id"]}]}))
    r = scim(o, "GET", f"/Users/{a['id']}", headers={"If-None-Match": tag})
    got = ok(r)
    assert got["meta"]["version"] != tag and [x["value"] for x in got["groups"]] == [g["id"]]
    assert got["meta"]["lastModified"] > before["meta"]["lastModified"]
    err(scim(o, "PATCH", f"/Users/{a['id']}", {"schemas": [PATCHOP], "Operations": [
        {"op": "replace", "path": "title", "value": "x"}]}, headers={"If-Match": tag}), 412)
    tag = got["meta"]["version"]
    ok(patch(o, f"/Groups/{g['id']}", {"op": "remove", "path": f'members[value eq "{a["id"]}"]'}))
    got = ok(scim(o, "GET", f"/Users/{a['id']}", headers={"If-None-Match": tag}))
    assert got["meta"]["version"] != tag and not got.get("groups")
    # Deleting the group leaves its members' versions (docs/scim.md: it would
    # rewrite every member of a large group), though their groups change.
    tag_b = ok(scim(o, "GET", f"/Users/{b['id']}"))["meta"]["version"]
    expect(scim(o, "DELETE", f"/Groups/{g['id']}"), 204)
    got = ok(scim(o, "GET", f"/Users/{b['id']}"))
    assert got["meta"]["version"] == tag_b and not got.get("groups")


def test_group_delete_and_the_audit_names_scim():
    o = Org()
    a = new_user(o)
    g = new_group(o, "Gone", [a])
    assert scim(o, "DELETE", f"/Groups/{g['id']}").status == 204
    err(scim(o, "GET", f"/Groups/{g['id']}"), 404)
    assert "groups" not in ok(scim(o, "GET", f"/Users/{a['id']}"))
    rows = sql(o, "SELECT action || ':' || surface FROM gatehouse.audit_events "
                  "WHERE target_type = 'group' ORDER BY id").split()
    assert rows == ["group.create:scim", "group.delete:scim"], rows


def test_a_guest_cannot_join_and_a_super_is_out_of_an_admins_reach():
    o = Org()
    guest = expect(o.create(auth_method="sso", access_level="guest", level="super"), 201).json()
    sup = expect(o.create(auth_method="sso", access_level="super", level="super"), 201).json()
    g = new_group(o, "Reach")
    err(patch(o, f"/Groups/{g['id']}", {"op": "add", "path": "members", "value": guest["uid"]}), 400,
        "invalidValue")
    err(patch(o, f"/Groups/{g['id']}", {"op": "add", "path": "members", "value": sup["uid"]}), 403)


# --- identity-provider sequences --------------------------------------------------------------

def test_entra_id_provisioning_sequence():
    """As Microsoft documents Entra ID's requests: capitalised ops, "False", + in queries."""
    o = Org()
    upn = f"{unique('entra')}@contoso.example"
    r = scim(o, "GET", f"/Users?filter=userName+eq+%22{q(upn)}%22")
    assert ok(r)["totalResults"] == 0 and ok(r)["Resources"] == []
    u = ok(scim(o, "POST", "/Users", {
        "schemas": [USER, ENT], "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": upn, "active": True, "displayName": "Test User",
        "emails": [{"primary": True, "type": "work", "value": upn}],
        "meta": {"resourceType": "User"}, "name": {"formatted": "givenName familyName",
                                                   "familyName": "familyName", "givenName": "givenName"},
        "roles": [], ENT: {"department": "Sales"}}), 201)
    assert u["name"]["formatted"] == "givenName familyName"
    got = ok(scim(o, "GET", f"/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22"))
    assert [x["id"] for x in got["Resources"]] == [u["id"]]
    got = ok(patch(o, f"/Users/{u['id']}",
                   {"op": "Replace", "path": "displayName", "value": "Test User 2"},
                   {"op": "Add", "path": 'emails[type eq "work"].value', "value": f"new.{upn}"},
                   {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0100"},
                   {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
                   {"op": "Add", "path": f"{ENT}:employeeNumber", "value": "E-7"}))
    assert got["displayName"] == "Test User 2"
    assert got["emails"] == [{"primary": True, "type": "work", "value": f"new.{upn}"}]
    assert got["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]
    assert native_user(o, u["id"])["email"] == f"new.{upn}"
    g = ok(scim(o, "POST", "/Groups", {"schemas": [GROUP], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5",
                                       "displayName": "Group1DisplayName", "members": []}), 201)
    ok(patch(o, f"/Groups/{g['id']}", {"op": "Add", "path": "members",
                                       "value": [{"$ref": None, "value": u["id"]}]}))
    assert member_ids(ok(scim(o, "GET", f"/Groups/{g['id']}"))) == [u["id"]]
    lst = ok(scim(o, "GET", "/Groups?excludedAttributes=members&filter=displayName+eq+%22Group1DisplayName%22"))
    assert [x["id"] for x in lst["Resources"]] == [g["id"]] and "members" not in lst["Resources"][0]
    ok(patch(o, f"/Groups/{g['id']}", {"op": "Remove", "path": "members", "value": [{"value": u["id"]}]}))
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "Replace", "path": "active", "value": "False"}))
    assert got["active"] is False and native_user(o, u["id"])["status"] == "disabled"
    assert scim(o, "DELETE", f"/Users/{u['id']}").status == 204
    err(scim(o, "GET", f"/Users/{u['id']}"), 404)
    assert scim(o, "DELETE", f"/Groups/{g['id']}").status == 204


def test_okta_provisioning_sequence():
    """As Okta documents its SCIM 2.0 requests: PUT for updates, replace without a path."""
    o = Org()
    ok(scim(o, "GET", "/Users?startIndex=1&count=2"))
    login = f"{unique('okta')}@example.com"
    assert find(o, f'userName eq "{login}"')["totalResults"] == 0
    u = ok(scim(o, "POST", "/Users", {
        "schemas": [USER], "userName": login, "name": {"givenName": "John", "familyName": "Doe"},
        "emails": [{"primary": True, "value": login, "type": "work"}], "displayName": "John Doe",
        "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7", "groups": [], "active": True}), 201)
    got = ok(scim(o, "GET", f"/Users/{u['id']}"))
    assert got["userName"] == login and got["active"] is True
    put = dict(got)
    put["name"] = {"givenName": "Another", "familyName": "Doe"}
    put["emails"] = [{"primary": True, "value": login, "type": "work"}]
    got = ok(scim(o, "PUT", f"/Users/{u['id']}", put))
    assert got["name"] == {"givenName": "Another", "familyName": "Doe"}
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "value": {"active": False}}))
    assert got["active"] is False and native_user(o, u["id"])["status"] == "disabled"
    got = ok(patch(o, f"/Users/{u['id']}", {"op": "replace", "value": {"active": True}}))
    assert native_user(o, u["id"])["status"] == "active"
    g = ok(scim(o, "POST", "/Groups", {"schemas": [GROUP], "displayName": "Test SCIMv2",
                                       "members": []}), 201)
    ok(patch(o, f"/Groups/{g['id']}", {"op": "replace", "value": {"id": g["id"],
                                                                 "displayName": "Test SCIMv2 renamed"}}))
    ok(patch(o, f"/Groups/{g['id']}", {"op": "add", "path": "members",
                                       "value": [{"value": u["id"], "display": login}]}))
    assert member_ids(ok(scim(o, "GET", f"/Groups/{g['id']}"))) == [u["id"]]
    got = ok(patch(o, f"/Groups/{g['id']}", {"op": "remove", "path": f'members[value eq "{u["id"]}"]'}))
    assert "members" not in got and got["displayName"] == "Test SCIMv2 renamed"
    assert scim(o, "DELETE", f"/Groups/{g['id']}").status == 204


def test_scim_a_number_where_a_string_is_required_is_invalid_value():
    """RFC 7643 §2.3.1 / RFC 7644 §3.12: userName and title are strings; a number is
    invalidValue. POST took "userName": 12 as "12" and PATCH took "title": 12, while
    the same PATCH with a list or an object is refused."""
    o = Org()
    err(scim(o, "POST", "/Users", {"schemas": [USER], "userName": 12}), 400, "invalidValue")
    u = ok(scim(o, "POST", "/Users", user_body(title="Eng")), 201)
    err(patch(o, f"/Users/{u['id']}", {"op": "replace", "path": "title", "value": 12}),
        400, "invalidValue")
    assert ok(scim(o, "GET", f"/Users/{u['id']}"))["title"] == "Eng"


def test_scim_a_large_start_index_or_count_is_answered_not_refused():
    """RFC 7644 §3.4.2.4: a startIndex past the results gives an empty page and a count
    above maxResults is maxResults. Ten digits or more were "must be a whole number"."""
    o = Org()
    ok(scim(o, "POST", "/Users", user_body()), 201)
    page = ok(scim(o, "GET", "/Users?startIndex=2147483647"))
    assert page["Resources"] == [] and page["totalResults"] >= 1, page
    page = ok(scim(o, "GET", "/Users?count=10000000000"))
    assert 1 <= page["itemsPerPage"] <= 1000, page


def test_scim_if_none_match_with_a_list_holding_the_current_version_is_304():
    """RFC 7232 §3.2 (RFC 7644 §3.14): If-None-Match is a list of entity tags and the
    condition is false when any of them matches. A list holding the current version
    answered 200 with the whole user; the tag alone answers 304."""
    o = Org()
    u = ok(scim(o, "POST", "/Users", user_body()), 201)
    assert scim(o, "GET", f"/Users/{u['id']}", headers={"If-None-Match": 'W/"1"'}).status == 304
    r = scim(o, "GET", f"/Users/{u['id']}", headers={"If-None-Match": 'W/"7", W/"1"'})
    assert r.status == 304, r
