"""test_canary.py: the Canary dialect (/canary), from Canary's user pages
(seeds/canary/queries.md, seeds/canary/management.md, seeds/canary-user-management.txt).

Every endpoint with its fields, messages and shapes; auth_token the ways Canary's
pages and its official Python client send it; flocks, notes, 2FA and summary e-mail;
the authorization matrix generated from the route table; and the same user seen
through the native API.
"""
import urllib.parse

from browser import Browser, redeem
from gh import expect, mail_link, psql, request, unique, wait_mails
from routes import routes
from test_users import PW, Org

LADDER = ["guest", "user", "admin", "super"]
BASE = "/canary/api/v1/"
INVALID = {"message": "Invalid auth_token", "result": "error"}
SUCCESS = {"result": "success"}
LIST_KEYS = ["access_level", "disabled", "email", "id", "managed_flocks", "note", "supervisor",
             "totp_enabled", "watched_flocks", "webauthn_enabled"]
FILTER_KEYS = ["access_level", "disabled", "email", "id", "note", "supervisor", "totp_enabled"]
GET_KEYS = ["access_level", "disabled", "email", "id", "managed_flocks", "no_direct_login", "note",
            "saml_provisioned", "summary_email_enabled", "supervisor", "totp_enabled",
            "watched_flocks", "webauthn_credential", "webauthn_enabled"]
AUTH_KEYS = ["access_level", "email", "is_sso_login", "managed_flocks", "result", "saml_login",
             "watched_flocks"]


def cy(method, path, token=None, where=None, **fields):
    """One Canary call the way its pages show it: the token and the fields in the
    query string for GET and DELETE, in the form body for POST (where= overrides:
    "query", "form" or "header")."""
    where = where or ("form" if method == "POST" else "query")
    fields = {k: v for k, v in fields.items() if v is not None}
    headers = {}
    if token is not None:
        if where == "header":
            headers["X-Canary-Auth-Token"] = token
        else:
            fields = {"auth_token": token, **fields}
    if where == "form":
        return request(method, BASE + path, headers=headers, form=fields)
    query = urllib.parse.urlencode(fields)
    return request(method, BASE + path + ("?" + query if query else ""), headers=headers)


def ok(r, msg=None):
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("application/json"), r.headers
    want = {"result": "success"} if msg is None else {"msg": msg, "result": "success"}
    assert r.json() == want, r.json()


def error(r, status, message=None):
    assert r.status == status, r
    body = r.json()
    assert list(body) == ["message", "result"] and body["result"] == "error", body
    if message is not None:
        assert body["message"] == message, body
    return body["message"]


def email():
    return f"{unique('cy')}@canary.example"


def add(o, level="admin", **fields):
    fields.setdefault("email", email())
    fields.setdefault("access_level", "user")
    return cy("POST", "user/add", o.keys[level], **fields), fields["email"]


def added(o, **fields):
    r, e = add(o, **fields)
    ok(r, f"User ({e}) successfully created.")
    return e


def native(o, e):
    return expect(o.call("GET", f"/api/v1/users/by-email/{urllib.parse.quote(e)}"), 200).json()


def flock(o, key=None):
    key = key or f"flock:{unique('f')}"
    expect(o.call("POST", "/api/v1/groups", json={"key": key}), 201)
    return key


def assign(o, e, flocks, role):
    """Puts user e in the comma-separated flocks with role, checking Canary's message."""
    r = cy("POST", "user/flock/assign", o.keys["admin"], email=e, flock_id_list=flocks,
           flock_access_level=role)
    shown = ", ".join(f"u'{k}'" for k in flocks.split(","))
    ok(r, f"User {e} successfully assigned to {role} flock(s) [{shown}]")


def sql(o, text):
    rc, out, err = psql(text, tenant=o.id)
    assert rc == 0, err
    return out


def active_user(o, level="user", **fields):
    """An active user with a password, made natively, and a key of its own."""
    from gh import make_key
    e = email()
    u = expect(o.create(email=e, access_level=level, **fields) if level != "admin" else
               o.create("super", email=e, access_level=level, **fields), 201).json()
    return u, make_key(o.name, e)


# --- auth_token ---------------------------------------------------------------------

def test_ping_answers_success_with_the_token_anywhere_canary_takes_it():
    o = Org()
    for level in LADDER:
        for where in ("query", "form", "header"):
            method = "POST" if where == "form" else "GET"
            r = cy(method, "ping", o.keys[level], where=where)
            if method == "POST":
                error(r, 405)     # ping is a GET: the form case is checked on a POST below
            else:
                ok(r)
    e = added(o)
    ok(cy("POST", "user/note/add", o.keys["admin"], email=e, note="in the form"),
       f"User ({e}) note successfully added.")
    assert native(o, e)["note"] == "in the form"


def test_the_official_client_sends_the_token_in_the_query_of_every_call():
    """canarytools.Console: session.params = {'auth_token': …} on GET, POST (data=) and DELETE."""
    o = Org()
    key = urllib.parse.quote(o.keys["admin"])
    ok(request("GET", f"{BASE}ping?auth_token={key}"))
    e = email()
    r = request("POST", f"{BASE}user/add?auth_token={key}",
                form={"email": e, "access_level": "user", "note": "by client"})
    ok(r, f"User ({e}) successfully created.")
    r = request("DELETE", f"{BASE}user/note/delete?auth_token={key}&email={urllib.parse.quote(e)}")
    ok(r, f"User ({e}) note successfully removed.")
    assert native(o, e)["note"] == ""


def test_delete_takes_its_fields_from_a_form_body_too():
    o = Org()
    e = added(o, note="gone soon")
    ok(cy("DELETE", "user/note/delete", o.keys["admin"], where="form", email=e),
       f"User ({e}) note successfully removed.")
    assert native(o, e)["note"] == ""


def test_a_missing_or_wrong_token_is_invalid_auth_token():
    o = Org()
    for token in (None, "", "nope", o.keys["admin"] + "x", "gh_1k1_" + "A" * 43):
        for where in ("query", "header"):
            r = cy("GET", "ping", token, where=where)
            assert r.status == 401 and r.json() == INVALID, (token, where, r)
    r = cy("POST", "user/add", None, email=email(), access_level="user")
    assert r.status == 401 and r.json() == INVALID


def test_the_same_token_twice_is_one_token_and_two_different_ones_are_refused():
    o = Org()
    key = urllib.parse.quote(o.keys["admin"])
    e = email()
    ok(request("POST", f"{BASE}user/add?auth_token={key}",
               form={"auth_token": o.keys["admin"], "email": e, "access_level": "user"}),
       f"User ({e}) successfully created.")
    e2 = email()
    r = request("POST", f"{BASE}user/add?auth_token={key}",
                form={"auth_token": o.keys["super"], "email": e2, "access_level": "user"})
    assert r.status == 401 and r.json() == INVALID
    r = request("GET", f"{BASE}ping?auth_token=other", headers={"X-Canary-Auth-Token": o.keys["admin"]})
    assert r.status == 401 and r.json() == INVALID
    expect(o.call("GET", f"/api/v1/users/by-email/{urllib.parse.quote(e2)}"), 404)


def test_unknown_paths_methods_and_fields_answer_in_canary_shape():
    o = Org()
    error(cy("GET", "nothing", o.keys["admin"]), 404, "no such resource")
    r = cy("GET", "user/add", o.keys["admin"])
    error(r, 405, "method not allowed on this resource")
    assert r.headers["allow"] == "POST"
    error(add(o, colour="blue")[0], 400, "unknown field colour")
    error(cy("POST", "user/add", o.keys["admin"], where="form", email=[email(), email()],
             access_level="user"), 400, "email must be given once")


# --- add ------------------------------------------------------------------------------

def test_add_user_makes_a_pending_user_and_mails_the_registration_link():
    o = Org()
    e = added(o, note="Example User Note")
    u = native(o, e)
    assert (u["username"], u["email"], u["status"], u["access_level"], u["note"]) == \
        (e, e, "pending", "user", "Example User Note")
    assert u["mfa_required"] is False and u["auth_method"] == "local" and u["invited_at"]
    [m] = wait_mails(e, template="invitation")
    path, _ = mail_link(m, "/register")
    b = Browser()
    done = redeem(b, path, PW)
    assert done.status == 200, done
    assert native(o, e)["status"] == "active"


def test_send_welcome_mail_false_mails_nothing_and_totp_enabled_requires_totp():
    o = Org()
    for value in ("false", "False", "0"):
        e = added(o, send_welcome_mail=value, totp_enabled="true")
        assert native(o, e)["mfa_required"] is True
        assert sql(o, f"SELECT count(*) FROM gatehouse.outbox WHERE to_addr = '{e}'") == "0"
    e = added(o, totp_enabled="False")
    assert native(o, e)["mfa_required"] is False
    assert sql(o, f"SELECT template FROM gatehouse.outbox WHERE to_addr = '{e}'") == "registration"
    error(add(o, send_welcome_mail="maybe")[0], 400, "send_welcome_mail must be true or false")
    error(add(o, totp_enabled="yes")[0], 400, "totp_enabled must be true or false")


def test_add_user_access_levels_and_who_may_grant_admin():
    o = Org()
    e = added(o, access_level="User")
    assert native(o, e)["access_level"] == "user"
    r, e = add(o, "super", access_level="admin")
    ok(r, f"User ({e}) successfully created.")
    assert native(o, e)["access_level"] == "admin"
    r, e = add(o, "admin", access_level="admin")
    error(r, 403, "only a super may grant or revoke admin or super")
    expect(o.call("GET", f"/api/v1/users/by-email/{urllib.parse.quote(e)}"), 404)
    error(add(o, access_level="boss")[0], 400, "access_level must be one of: admin, user")


def test_add_user_errors_name_the_field_and_make_nothing():
    o = Org()
    error(add(o, email="")[0], 400, "email is required")
    error(cy("POST", "user/add", o.keys["admin"], access_level="user"), 400, "email is required")
    error(add(o, email="not-an-address")[0], 400, "email must be a valid e-mail address")
    r, e = add(o, access_level="")
    error(r, 400, "access_level is required")
    error(add(o, note="x" * 4001)[0], 400)
    expect(o.call("GET", f"/api/v1/users/by-email/{urllib.parse.quote(e)}"), 404)
    e = added(o)
    r, _ = add(o, email=e.upper())
    assert r.status == 409 and r.json()["result"] == "error", r


# --- queries -------------------------------------------------------------------------

def test_list_users_shows_every_user_in_canarys_types():
    o = Org()
    watched, managed = flock(o), flock(o)
    e = added(o, note="hello")
    assign(o, e, watched, "watcher")
    assign(o, e, managed, "manager")
    r = cy("GET", "users/list", o.keys["admin"])
    assert r.status == 200 and list(r.json()) == ["result", "users"] and r.json()["result"] == "success"
    rows = {x["email"]: x for x in r.json()["users"]}
    assert len(rows) == 5   # the org's four key holders and the new user
    row = rows[e]
    assert list(row) == LIST_KEYS
    u = native(o, e)
    assert row == {"access_level": "1", "disabled": "None", "email": e, "id": u["uid"],
                   "managed_flocks": managed, "note": "hello", "supervisor": "False",
                   "totp_enabled": "False", "watched_flocks": watched, "webauthn_enabled": False}
    levels = {x["access_level"] for x in rows.values()}
    assert levels == {"0", "1", "2"}
    supers = [x for x in rows.values() if x["supervisor"] == "True"]
    assert len(supers) == 1 and supers[0]["access_level"] == "2"


def test_list_shows_disabled_and_totp_and_hides_removed_and_other_orgs():
    o, other = Org(), Org()
    a, b, gone = added(o), added(o), added(o)
    theirs = added(other)
    ok(cy("POST", "user/disable", o.keys["admin"], email=a), f"User ({a}) successfully disabled.")
    ok(cy("POST", "user/remove", o.keys["admin"], email=gone), f"User ({gone}) successfully removed.")
    sql(o, f"INSERT INTO gatehouse.totp_credentials (org_id, user_id, secret, confirmed_at) "
           f"VALUES ({o.id}, {native(o, b)['id']}, '\\xdeadbeef'::bytea, now())")
    sql(o, f"INSERT INTO gatehouse.webauthn_credentials (org_id, user_id, credential_id, public_key) "
           f"VALUES ({o.id}, {native(o, b)['id']}, '\\x01'::bytea, '\\x02'::bytea)")
    rows = {x["email"]: x for x in cy("GET", "users/list", o.keys["admin"]).json()["users"]}
    assert rows[a]["disabled"] == "True" and rows[b]["disabled"] == "None"
    assert rows[b]["totp_enabled"] == "True" and rows[b]["webauthn_enabled"] is True
    assert gone not in rows and theirs not in rows


def test_filter_users_matches_part_of_the_address_in_any_case():
    o = Org()
    tag = unique("Tag")
    hit1 = added(o, email=f"{tag}-one@canary.example", note="n1")
    hit2 = added(o, email=f"two-{tag.lower()}@canary.example")
    added(o)
    r = cy("GET", "users/filter", o.keys["admin"], filter_str=tag.upper())
    assert r.status == 200 and list(r.json()) == ["result", "users"]
    rows = {x["email"]: x for x in r.json()["users"]}
    assert set(rows) == {hit1, hit2}
    assert list(rows[hit1]) == FILTER_KEYS
    assert rows[hit1] == {"access_level": "1", "disabled": "None", "email": hit1,
                          "id": native(o, hit1)["uid"], "note": "n1", "supervisor": "False",
                          "totp_enabled": "False"}
    assert cy("GET", "users/filter", o.keys["admin"], filter_str="no-such-thing").json() == \
        {"result": "success", "users": []}
    error(cy("GET", "users/filter", o.keys["admin"]), 400, "filter_str is required")
    error(cy("GET", "users/filter", o.keys["admin"], filter_str=""), 400, "filter_str is required")


def test_get_user_answers_the_vendors_user_object():
    o = Org()
    watched = flock(o)
    e = added(o, note="Example User Note")
    assign(o, e, watched, "watcher")
    r = cy("GET", "user/get", o.keys["admin"], email=e)
    assert r.status == 200 and list(r.json()) == ["result", "user"] and r.json()["result"] == "success"
    user = r.json()["user"]
    assert list(user) == GET_KEYS
    assert user == {"access_level": "user", "disabled": False, "email": e, "id": native(o, e)["uid"],
                    "managed_flocks": "", "no_direct_login": False, "note": "Example User Note",
                    "saml_provisioned": False, "summary_email_enabled": True, "supervisor": False,
                    "totp_enabled": False, "watched_flocks": watched, "webauthn_credential": "",
                    "webauthn_enabled": False}


def test_get_user_shows_sso_users_admins_and_the_supervisor():
    o = Org()
    saml = expect(o.create(email=email(), auth_method="saml"), 201).json()
    user = cy("GET", "user/get", o.keys["admin"], email=saml["email"]).json()["user"]
    assert user["no_direct_login"] is True and user["saml_provisioned"] is True
    auth = cy("GET", "user/auth", o.keys["admin"], email=saml["email"]).json()
    assert auth["is_sso_login"] is True and auth["saml_login"] is True
    sso = expect(o.create(email=email(), auth_method="sso"), 201).json()
    auth = cy("GET", "user/auth", o.keys["admin"], email=sso["email"]).json()
    assert auth["is_sso_login"] is True and auth["saml_login"] is False
    adm = expect(o.create("super", email=email(), access_level="admin"), 201).json()
    sup = expect(o.create("super", email=email(), access_level="super"), 201).json()
    for u, supervisor, number in ((adm, False, 2), (sup, True, 2)):
        got = cy("GET", "user/get", o.keys["admin"], email=u["email"]).json()["user"]
        assert (got["access_level"], got["supervisor"]) == ("admin", supervisor)
        assert cy("GET", "user/auth", o.keys["admin"], email=u["email"]).json()["access_level"] == number


def test_user_auth_answers_levels_and_flocks_as_lists():
    o = Org()
    f1, f2, f3 = flock(o), flock(o), flock(o)
    e = added(o)
    assign(o, e, f"{f1},{f2}", "manager")
    assign(o, e, f3, "watcher")
    r = cy("GET", "user/auth", o.keys["admin"], email=e)
    assert r.status == 200 and list(r.json()) == AUTH_KEYS
    assert r.json() == {"access_level": 1, "email": e, "is_sso_login": False,
                        "managed_flocks": sorted([f1, f2], key=str.lower), "result": "success",
                        "saml_login": False, "watched_flocks": [f3]}
    got = cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]
    assert got["managed_flocks"] == ",".join(sorted([f1, f2], key=str.lower))


def test_an_unknown_user_is_an_error_and_the_email_is_required():
    o = Org()
    for path in ("user/get", "user/auth"):
        error(cy("GET", path, o.keys["admin"], email="nobody@canary.example"), 404, "no such user")
        error(cy("GET", path, o.keys["admin"]), 400, "email is required")
    for path in ("user/disable", "user/enable", "user/remove", "user/edit", "user/2fa/disable",
                 "user/webauthn/disable", "user/summary_email/enable", "user/password/reset"):
        error(cy("POST", path, o.keys["admin"], email="nobody@canary.example"), 404, "no such user")
        error(cy("POST", path, o.keys["admin"]), 400, "email is required")


# --- changes ------------------------------------------------------------------------

def test_disable_enable_remove_answer_canarys_messages_and_change_the_user():
    o = Org()
    u, _ = active_user(o)
    e = u["email"]
    ok(cy("POST", "user/disable", o.keys["admin"], email=e), f"User ({e}) successfully disabled.")
    n = native(o, e)
    assert (n["status"], n["disabled_reason"], n["summary_email"]) == ("disabled", "admin", False)
    assert cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]["disabled"] is True
    ok(cy("POST", "user/enable", o.keys["admin"], email=e), f"User ({e}) successfully enabled.")
    n = native(o, e)
    assert (n["status"], n["summary_email"]) == ("active", True)
    ok(cy("POST", "user/remove", o.keys["admin"], email=e), f"User ({e}) successfully removed.")
    expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 404)
    error(cy("GET", "user/get", o.keys["admin"], email=e), 404)


def test_a_disabled_user_keeps_summary_email_off_until_enabled():
    o = Org()
    e = added(o)
    ok(cy("POST", "user/summary_email/disable", o.keys["admin"], email=e),
       f"Successfully disabled summary email for email {e}")
    assert native(o, e)["summary_email"] is False
    ok(cy("POST", "user/summary_email/enable", o.keys["admin"], email=e),
       f"Successfully enabled summary email for email {e}")
    assert cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]["summary_email_enabled"] is True


def test_users_toggle_their_own_summary_email_and_only_admins_anothers():
    o = Org()
    me, my_key = active_user(o)
    other, _ = active_user(o)
    ok(cy("POST", "user/summary_email/disable", my_key, email=me["email"]),
       f"Successfully disabled summary email for email {me['email']}")
    assert native(o, me["email"])["summary_email"] is False
    r = cy("POST", "user/summary_email/disable", my_key, email=other["email"])
    error(r, 403, "only an admin may change another user's summary e-mail")
    assert native(o, other["email"])["summary_email"] is True
    ok(cy("POST", "user/summary_email/disable", o.keys["admin"], email=other["email"]),
       f"Successfully disabled summary email for email {other['email']}")
    assert native(o, other["email"])["summary_email"] is False


def test_edit_sets_the_note_when_given():
    o = Org()
    e = added(o, note="first")
    ok(cy("POST", "user/edit", o.keys["admin"], email=e, note="Example note"),
       f"User ({e}) successfully edited.")
    assert native(o, e)["note"] == "Example note"
    version = native(o, e)["version"]
    ok(cy("POST", "user/edit", o.keys["admin"], email=e), f"User ({e}) successfully edited.")
    assert native(o, e)["note"] == "Example note" and native(o, e)["version"] == version
    ok(cy("POST", "user/edit", o.keys["admin"], email=e, note=""), f"User ({e}) successfully edited.")
    assert native(o, e)["note"] == ""
    error(cy("POST", "user/edit", o.keys["admin"], email=e, note="x" * 4001), 400)
    error(cy("POST", "user/edit", o.keys["admin"], email=e, first_name="x"), 400,
          "unknown field first_name")


def test_edit_access_level_answers_only_success():
    o = Org()
    e = added(o)
    ok(cy("POST", "user/edit/access_level", o.keys["super"], email=e, access_level="admin"))
    assert native(o, e)["access_level"] == "admin"
    error(cy("POST", "user/edit/access_level", o.keys["admin"], email=e, access_level="user"), 403,
          "only a super may grant or revoke admin or super")
    assert native(o, e)["access_level"] == "admin"
    ok(cy("POST", "user/edit/access_level", o.keys["super"], email=e, access_level="user"))
    assert native(o, e)["access_level"] == "user"
    error(cy("POST", "user/edit/access_level", o.keys["admin"], email=e), 400, "access_level is required")
    error(cy("POST", "user/edit/access_level", o.keys["admin"], email=e, access_level="root"), 400,
          "access_level must be one of: admin, user")


def test_notes_are_added_and_removed():
    o = Org()
    e = added(o)
    ok(cy("POST", "user/note/add", o.keys["admin"], email=e, note="EXAMPLE_NOTE"),
       f"User ({e}) note successfully added.")
    assert cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]["note"] == "EXAMPLE_NOTE"
    error(cy("POST", "user/note/add", o.keys["admin"], email=e), 400, "note is required")
    error(cy("POST", "user/note/add", o.keys["admin"], email=e, note="two\nlines" * 500), 400)
    assert native(o, e)["note"] == "EXAMPLE_NOTE"
    ok(cy("DELETE", "user/note/delete", o.keys["admin"], email=e), f"User ({e}) note successfully removed.")
    assert native(o, e)["note"] == ""
    r = cy("POST", "user/note/delete", o.keys["admin"], email=e)
    error(r, 405)
    assert r.headers["allow"] == "DELETE"


def test_flocks_are_assigned_and_unassigned_with_canarys_message():
    o = Org()
    a, b = flock(o, "flock:default"), flock(o)
    e = added(o)
    ok(cy("POST", "user/flock/assign", o.keys["admin"], email=e, flock_id_list=f"{a},{b}",
          flock_access_level="watcher"),
       f"User {e} successfully assigned to watcher flock(s) [u'{a}', u'{b}']")
    members = expect(o.call("GET", f"/api/v1/users/{native(o, e)['uid']}/groups"), 200).json()
    roles = {g["key"]: g["role"] for g in members["groups"]}
    assert roles == {a: "watcher", b: "watcher"}
    # The same flocks as manager: the role changes.
    ok(cy("POST", "user/flock/assign", o.keys["admin"], email=e, flock_id_list=f" {b} ",
          flock_access_level="Manager"),
       f"User {e} successfully assigned to manager flock(s) [u'{b}']")
    got = cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]
    assert (got["managed_flocks"], got["watched_flocks"]) == (b, a)
    # Unassigning needs the role the user holds there; a wrong one changes nothing.
    error(cy("POST", "user/flock/unassign", o.keys["admin"], email=e, flock_id_list=f"{b},{a}",
             flock_access_level="manager"), 404, f'the user is not a manager of group "{a}"')
    assert cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]["managed_flocks"] == b
    ok(cy("POST", "user/flock/unassign", o.keys["admin"], email=e, flock_id_list=b,
          flock_access_level="manager"),
       f"User {e} successfully unassigned from manager flock(s) [u'{b}']")
    ok(cy("POST", "user/flock/unassign", o.keys["admin"], email=e, flock_id_list=a,
          flock_access_level="watcher"),
       f"User {e} successfully unassigned from watcher flock(s) [u'{a}']")
    got = cy("GET", "user/auth", o.keys["admin"], email=e).json()
    assert (got["managed_flocks"], got["watched_flocks"]) == ([], [])


def test_flock_fields_are_checked_and_an_unknown_flock_changes_nothing():
    o = Org()
    a = flock(o)
    e = added(o)
    put = lambda **kw: cy("POST", "user/flock/assign", o.keys["admin"], email=e, **kw)
    error(put(flock_id_list=f"{a},flock:nope", flock_access_level="watcher"), 404,
          'no group with key "flock:nope"')
    assert cy("GET", "user/auth", o.keys["admin"], email=e).json()["watched_flocks"] == []
    error(put(flock_access_level="watcher"), 400, "flock_id_list is required")
    error(put(flock_id_list=" , ", flock_access_level="watcher"), 400,
          "flock_id_list must name at least one flock")
    error(put(flock_id_list=",".join(f"f{i}" for i in range(101)), flock_access_level="watcher"),
          400, "flock_id_list names more than 100 flocks")
    error(put(flock_id_list=a), 400, "flock_access_level is required")
    error(put(flock_id_list=a, flock_access_level="member"), 400,
          "flock_access_level must be one of: manager, watcher")


def test_totp_and_webauthn_are_disabled():
    o = Org()
    u, _ = active_user(o)
    e = u["email"]
    sql(o, f"INSERT INTO gatehouse.totp_credentials (org_id, user_id, secret, confirmed_at) "
           f"VALUES ({o.id}, {u['id']}, '\\xdeadbeef'::bytea, now())")
    sql(o, f"INSERT INTO gatehouse.webauthn_credentials (org_id, user_id, credential_id, public_key) "
           f"VALUES ({o.id}, {u['id']}, '\\x0a0b'::bytea, '\\x02'::bytea)")
    got = cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]
    assert (got["totp_enabled"], got["webauthn_enabled"]) == (True, True)
    ok(cy("POST", "user/2fa/disable", o.keys["admin"], email=e),
       f"Successfully disabled two-factor authentication for user {e}")
    assert native(o, e)["mfa"] == {"totp": False, "webauthn": True}
    ok(cy("POST", "user/webauthn/disable", o.keys["admin"], email=e))
    assert native(o, e)["mfa"] == {"totp": False, "webauthn": False}
    # Again: nothing left to disable, still success.
    ok(cy("POST", "user/2fa/disable", o.keys["admin"], email=e),
       f"Successfully disabled two-factor authentication for user {e}")


def test_password_reset_mails_a_single_use_link():
    o = Org()
    u, _ = active_user(o)
    e = u["email"]
    ok(cy("POST", "user/password/reset", o.keys["admin"], email=e), f"Password reset email sent to {e}")
    [m] = wait_mails(e, template="Reset")
    path, _ = mail_link(m, "/reset")
    b = Browser()
    done = redeem(b, path, PW + " again")
    assert done.status == 200, done
    again = Browser().get(path)
    assert again.status == 410, again


def test_password_reset_of_an_sso_user_is_refused():
    o = Org()
    u = expect(o.create(email=email(), auth_method="saml"), 201).json()
    r = cy("POST", "user/password/reset", o.keys["admin"], email=u["email"])
    assert r.status in (400, 409) and r.json()["result"] == "error", r


def test_two_factor_enforcement_is_switched_for_the_org():
    o = Org()
    ok(cy("POST", "settings/usermanagement/globally_enforce_2fa/enable", o.keys["admin"]))
    assert expect(o.call("GET", "/api/v1/org"), 200).json()["enforce_2fa"] is True
    ok(cy("POST", "settings/usermanagement/globally_enforce_2fa/disable", o.keys["admin"]))
    assert expect(o.call("GET", "/api/v1/org"), 200).json()["enforce_2fa"] is False
    error(cy("POST", "settings/usermanagement/globally_enforce_2fa/enable", o.keys["admin"],
             extra="1"), 400, "unknown field extra")
    assert expect(o.call("GET", "/api/v1/org"), 200).json()["enforce_2fa"] is False


# --- the authorization matrix, generated from the route table --------------------------

class World:
    """Org A with a user in a flock; org B to ask from outside."""

    def __init__(self):
        self.a, self.b = Org(), Org()
        self.flock = flock(self.a)
        self.user = added(self.a, note="keep")
        assign(self.a, self.user, self.flock, "watcher")

    def fields(self, path):
        """Fields the handler accepts, naming org A's resources."""
        f = {"users/filter": {"filter_str": self.user},
             "user/add": {"email": email(), "access_level": "user"},
             "user/edit": {"email": self.user, "note": "changed"},
             "user/edit/access_level": {"email": self.user, "access_level": "admin"},
             "user/note/add": {"email": self.user, "note": "changed"},
             "user/flock/assign": {"email": self.user, "flock_id_list": self.flock,
                                   "flock_access_level": "manager"},
             "user/flock/unassign": {"email": self.user, "flock_id_list": self.flock,
                                     "flock_access_level": "watcher"}}
        if path in f:
            return f[path]
        return {"email": self.user} if path.startswith("user/") else {}

    def intact(self):
        u = native(self.a, self.user)
        assert (u["status"], u["note"], u["access_level"]) == ("pending", "keep", "user"), u
        got = cy("GET", "user/auth", self.a.keys["admin"], email=self.user).json()
        assert got["watched_flocks"] == [self.flock]
        assert expect(self.a.call("GET", "/api/v1/org"), 200).json()["enforce_2fa"] is False


def _routes():
    found = routes("canary")
    assert len(found) == 22, sorted(found)
    return sorted((m, p[len(BASE):], lvl) for (m, p), (_, _, lvl) in found.items())


def test_matrix_no_key_or_a_bad_key_is_invalid_auth_token():
    w = World()
    for method, path, _ in _routes():
        for token in (None, "", "gh_1k1_" + "A" * 43, w.a.keys["admin"] + "x"):
            r = cy(method, path, token, **w.fields(path))
            assert r.status == 401 and r.json() == INVALID, (method, path, token, r)
    w.intact()


def test_matrix_every_level_below_a_route_is_refused():
    w = World()
    checked = 0
    for method, path, need in _routes():
        for level in LADDER[:LADDER.index(need)]:
            error(cy(method, path, w.a.keys[level], **w.fields(path)), 403,
                  f"this needs access level {need}")
            checked += 1
    assert checked == 19 * 2, checked
    w.intact()


def test_matrix_another_orgs_super_cannot_reach_this_orgs_users():
    w = World()
    reached = 0
    for method, path, _ in _routes():
        r = cy(method, path, w.b.keys["super"], **w.fields(path))
        if path == "ping" or path.startswith("settings/"):
            ok(r)       # its own org's setting
            continue
        if path in ("users/list", "users/filter"):
            assert r.status == 200 and w.user not in {u["email"] for u in r.json()["users"]}
            continue
        if path == "user/add":
            assert r.status == 200     # a user of its own org
            continue
        error(r, 404)
        reached += 1
    assert reached == 16
    expect(cy("POST", "settings/usermanagement/globally_enforce_2fa/disable", w.b.keys["super"]), 200)
    w.intact()


# --- one user, every surface ----------------------------------------------------------

def test_a_canary_user_is_the_same_user_natively_and_in_faction():
    o = Org()
    e = added(o, note="n", totp_enabled="true")
    n = native(o, e)
    c = cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]
    assert (c["id"], c["email"], c["note"], c["access_level"]) == (n["uid"], n["email"], n["note"],
                                                                      n["access_level"])
    fa = expect(request("GET", "/faction/api/users/all", headers={"FACTION-API-KEY": o.keys["admin"]}),
                200).json()
    assert {"id": n["id"], "username": e, "email": e, "firstName": "", "lastName": "",
            "inactive": False} in fa
    expect(o.call("POST", f"/api/v1/users/{n['uid']}/disable"), 200)
    assert cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]["disabled"] is True
    expect(o.call("PATCH", f"/api/v1/users/{n['uid']}", json={"note": "natively"}), 200)
    assert cy("GET", "user/get", o.keys["admin"], email=e).json()["user"]["note"] == "natively"


def test_a_native_user_is_the_same_user_in_canary():
    o = Org()
    u, _ = active_user(o, note="from native", summary_email=False)
    c = cy("GET", "user/get", o.keys["admin"], email=u["email"]).json()["user"]
    assert (c["id"], c["note"], c["summary_email_enabled"], c["disabled"]) == \
        (u["uid"], "from native", False, False)
    ok(cy("POST", "user/disable", o.keys["admin"], email=u["email"]),
       f"User ({u['email']}) successfully disabled.")
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "disabled"


def test_canary_an_auth_token_given_as_a_list_is_refused():
    """docs/canary.md: a JSON body is read as the form is, where a field given as a list
    is refused (email as a list is 400) and a malformed token is 401. auth_token as a
    one-element list was taken as the token and the user was made."""
    o = Org()
    e = f"{unique('c')}@example.com"
    r = request("POST", "/canary/api/v1/user/add",
                json={"auth_token": [o.keys["admin"]], "email": e, "access_level": "user",
                      "send_welcome_mail": False})
    assert r.status == 401 and r.json() == {"message": "Invalid auth_token", "result": "error"}, r
    users = request("GET", "/canary/api/v1/users/list?auth_token=" + o.keys["admin"]).json()["users"]
    assert e not in [x["email"] for x in users]


def test_canary_a_taken_email_is_409_saying_the_email_is_in_use():
    """docs/canary.md: 409 for an e-mail already in use. Adding an existing address in
    other case answered "username is already taken", a field Canary has not got."""
    o = Org()
    e = f"{unique('c')}@example.com"
    expect(cy("POST", "user/add", o.keys["admin"], email=e, access_level="user", send_welcome_mail="false"), 200)
    r = cy("POST", "user/add", o.keys["admin"], email=e.upper(), access_level="user", send_welcome_mail="false")
    assert r.status == 409, r
    assert "email" in r.json()["message"] and "username" not in r.json()["message"], r


def test_the_form_readers_refusals_name_the_field():
    """A 400 names the field in Canary's one message too: the form reader's
    refusals said only "field" ("field is longer than 65536 bytes")."""
    o = Org()
    e = added(o, send_welcome_mail="false")
    r = cy("POST", "user/note/add", o.keys["admin"], email=e, note="x" * 100000)
    assert r.status == 400 and r.json()["message"].startswith("note "), r
    for raw, why in (("a%00b@example.com", "email contains a NUL byte"),
                     ("%ff%fe@example.com", "email is not valid UTF-8")):
        r = request("POST", BASE + "user/add",
                    body=f"auth_token={o.keys['admin']}&email={raw}&access_level=user",
                    content_type="application/x-www-form-urlencoded")
        assert r.status == 400 and r.json()["message"] == why, r
