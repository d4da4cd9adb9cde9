"""test_faction.py: the Faction dialect (/faction), from Faction's Users API page (seeds/faction-users-api.txt).

Every endpoint, field, status code, message and the order of addUser's errors;
the FACTION-API-KEY header, the consultant tier and the manager role; the
authorization matrix generated from the route table; and the same user seen
through the native API and AttackForge.
"""
import urllib.parse

from gh import ctl, expect, make_key, make_org, make_user, psql, request, unique, update
from routes import routes
from test_users import PW, Org

NOT_AUTHORIZED = [{"result": "ERROR", "message": "Not Authorized"}]
SUCCESS = [{"result": "SUCCESS"}]
LADDER = ["guest", "user", "admin", "super"]


def fa(method, path, key, **kw):
    """One Faction call: key in FACTION-API-KEY (None: no header)."""
    headers = {} if key is None else {"FACTION-API-KEY": key}
    return request(method, "/faction/api/users/" + path, headers=headers, **kw)


def error(r, status, message):
    assert r.status == status, r
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert r.json() == [{"result": "ERROR", "message": message}], r.json()


def team(o, name=None):
    name = name or unique("team")
    expect(o.call("POST", "/api/v1/teams", json={"name": name}), 201)
    return name


def add_form(t, **fields):
    """An addUser form for a SAML user on team t (no verification needed)."""
    name = unique("fu")
    form = {"username": name, "email": f"{name}@faction.example", "fname": "Fay", "lname": "Tion",
            "team": t, "authMethod": "SAML", "verify": "false"}
    form.update(fields)
    return form


def native(o, username):
    return expect(o.call("GET", f"/api/v1/users/by-username/{urllib.parse.quote(username)}"),
                  200).json()


def add(o, key_level="admin", **fields):
    t = fields.pop("team", None) or team(o)
    form = add_form(t, **fields)
    r = fa("POST", "addUser", o.keys[key_level], form=form)
    return r, form


# --- addUser -----------------------------------------------------------------------

def test_add_user_answers_success_and_the_user_holds_every_field():
    o = Org()
    t = team(o)
    r, form = add(o, team=t, isAssessor="true", isRemediation="TRUE", isEngage="True",
                  isManager="true")
    assert (r.status, r.json()) == (200, SUCCESS)
    u = native(o, form["username"])
    assert (u["username"], u["email"], u["first_name"], u["last_name"], u["team"]) == \
        (form["username"], form["email"], "Fay", "Tion", t)
    assert u["auth_method"] == "saml" and u["status"] == "active" and not u["has_password"]
    assert sorted(u["roles"]) == ["assessor", "engagement", "manager", "remediation"]
    assert u["access_level"] == "user"


def test_every_auth_method_is_taken_in_faction_spelling():
    o = Org()
    t = team(o)
    for method, stored in (("LDAP", "ldap"), ("SSO", "sso"), ("SAML", "saml"), ("OAuth2", "oauth2")):
        r, form = add(o, team=t, authMethod=method)
        assert (r.status, r.json()) == (200, SUCCESS), method
        assert native(o, form["username"])["auth_method"] == stored
    r, form = add(o, team=t, authMethod="LOCAL", verify="true")
    assert r.status == 200 and native(o, form["username"])["auth_method"] == "local"
    error(add(o, team=t, authMethod="Kerberos")[0], 400,
          "authMethod must be one of: local, ldap, sso, saml, oauth2")


def test_is_admin_grants_the_admin_role_and_access_level():
    o = Org()
    r, form = add(o, "super", isAdmin="true")
    assert r.status == 200, r
    u = native(o, form["username"])
    assert u["roles"] == ["admin"] and u["access_level"] == "admin"


def test_only_a_super_may_make_an_admin_and_an_admin_is_told_not_authorized():
    o = Org()
    r, form = add(o, "admin", isAdmin="true")
    assert (r.status, r.json()) == (401, NOT_AUTHORIZED)
    expect(o.call("GET", f"/api/v1/users/by-username/{form['username']}"), 404)


def test_verify_true_is_pending_with_a_registration_token_and_queued_mail():
    o = Org()
    r, form = add(o, authMethod="LOCAL", verify="true")
    assert r.status == 200, r
    u = native(o, form["username"])
    assert u["status"] == "pending" and u["invited_at"] and u["has_password"]
    rc, out, _ = psql(f"SELECT t.purpose, t.used_at IS NULL FROM gatehouse.tokens t JOIN gatehouse.users u"
                      f" ON u.org_id = t.org_id AND u.id = t.user_id WHERE u.uid = '{u['uid']}'",
                      tenant=o.id)
    assert (rc, out) == (0, "registration|t")
    rc, out, _ = psql(f"SELECT template, payload->>'username' FROM gatehouse.outbox"
                      f" WHERE to_addr = '{form['email']}'", tenant=o.id)
    assert (rc, out) == (0, f"registration|{form['username']}")


def test_verify_is_the_same_path_as_the_native_invitation():
    o = Org()
    r, form = add(o, authMethod="LOCAL", verify="true")
    assert r.status == 200
    mine = native(o, form["username"])
    theirs = expect(o.create(email=f"{unique('n')}@faction.example", invite=True), 201).json()
    for k in ("status", "has_password", "confirmed_at", "disabled_reason", "access_level"):
        assert mine[k] == theirs[k], k
    rc, out, _ = psql("SELECT count(DISTINCT payload ? 'token') FROM gatehouse.outbox"
                      f" WHERE to_addr IN ('{form['email']}', '{theirs['email']}')", tenant=o.id)
    assert (rc, out) == (0, "1")


def test_a_local_account_without_verify_is_refused_and_nothing_is_made():
    o = Org()
    for verify in ("false", "yes", "1", None):
        fields = {"authMethod": "LOCAL"}
        if verify is not None:
            fields["verify"] = verify
        r, form = add(o, **fields)
        error(r, 400, "A LOCAL account needs verify=true: it has no password until the registration"
                      " link sets one")
        expect(o.call("GET", f"/api/v1/users/by-username/{form['username']}"), 404)


def test_booleans_are_true_only_for_the_string_true_in_any_case():
    o = Org()
    t = team(o)
    for value, expected in (("true", True), ("TRUE", True), ("tRuE", True), ("yes", False),
                            ("1", False), ("on", False), ("", False), ("false", False)):
        r, form = add(o, team=t, isAssessor=value)
        assert r.status == 200, (value, r)
        assert native(o, form["username"])["roles"] == (["assessor"] if expected else []), value


def test_username_taken_is_user_already_exists_in_any_case():
    o = Org()
    t = team(o)
    r, form = add(o, team=t)
    assert r.status == 200
    again = add_form(t, username=form["username"].upper(), email=f"{unique('x')}@faction.example")
    error(fa("POST", "addUser", o.keys["admin"], form=again), 400, "User Already Exists")


def test_email_taken_is_user_already_exists():
    o = Org()
    t = team(o)
    r, form = add(o, team=t)
    assert r.status == 200
    error(fa("POST", "addUser", o.keys["admin"], form=add_form(t, email=form["email"])), 400,
          "User Already Exists")


def test_bad_or_missing_username_is_user_name_invalid():
    o = Org()
    t = team(o)
    for username in ("", "has space", "x" * 101, None):
        form = add_form(t)
        if username is None:
            del form["username"]
        else:
            form["username"] = username
        error(fa("POST", "addUser", o.keys["admin"], form=form), 400, "User Name Invalid")


def test_unknown_or_missing_team_is_team_name_does_not_exist():
    o = Org()
    other = Org()
    for t in ("no-such-team", "", None, team(other)):
        form = add_form("x")
        if t is None:
            del form["team"]
        else:
            form["team"] = t
        error(fa("POST", "addUser", o.keys["admin"], form=form), 400, "Team Name Does not exist")
        expect(o.call("GET", f"/api/v1/users/by-username/{form['username']}"), 404)


def test_the_team_matches_in_any_case():
    o = Org()
    t = team(o, unique("Red"))
    r, form = add(o, team=t.upper())
    assert r.status == 200
    assert native(o, form["username"])["team"] == t


def test_add_user_errors_come_in_faction_order():
    o = Org()
    t = team(o)
    r, taken = add(o, team=t)
    assert r.status == 200
    # taken username, bad team, bad e-mail: the taken name wins
    error(fa("POST", "addUser", o.keys["admin"],
             form=add_form("no-such-team", username=taken["username"], email="bad")), 400,
          "User Already Exists")
    # invalid username and bad team: the username wins
    error(fa("POST", "addUser", o.keys["admin"], form=add_form("no-such-team", username="a b")),
          400, "User Name Invalid")
    # bad team and bad e-mail: the team wins
    error(fa("POST", "addUser", o.keys["admin"], form=add_form("no-such-team", email="bad")),
          400, "Team Name Does not exist")
    # and authorization before all of them
    error(fa("POST", "addUser", o.keys["user"], form=add_form("no-such-team", username="a b")),
          401, "Not Authorized")


def test_other_bad_fields_are_400_naming_the_faction_field():
    o = Org()
    t = team(o)
    for field, value, message in (
            ("email", "nope", "email must be a valid e-mail address"),
            ("fname", "x" * 101,
             "fname must be at most 100 bytes of text on one line, without control characters"),
            ("lname", "a\x01b",
             "lname must be at most 100 bytes of text on one line, without control characters"),
            ("lname", "a\nb",
             "lname must be at most 100 bytes of text on one line, without control characters"),
            ("fname", "Eve\u202egnp.exe",
             "fname must be at most 100 bytes of text on one line, without control characters")):
        form = add_form(t, **{field: value})
        error(fa("POST", "addUser", o.keys["admin"], form=form), 400, message)
    form = add_form(t)
    del form["email"]
    error(fa("POST", "addUser", o.keys["admin"], form=form), 400, "email is required")


def test_unknown_and_repeated_fields_are_refused():
    o = Org()
    t = team(o)
    error(fa("POST", "addUser", o.keys["admin"], form=add_form(t, colour="blue")), 400,
          "unknown field colour")
    form = list(add_form(t).items()) + [("isAssessor", "true"), ("isAssessor", "false")]
    error(fa("POST", "addUser", o.keys["admin"], form=form), 400, "isAssessor must be given once")


# --- disableUser and unlockUser ---------------------------------------------------

def test_disable_then_unlock():
    o = Org()
    r, form = add(o)
    assert r.status == 200
    name = form["username"]
    assert (fa("POST", "disableUser", o.keys["admin"], form={"username": name}).json()) == SUCCESS
    u = native(o, name)
    assert (u["status"], u["disabled_reason"]) == ("disabled", "admin")
    r = fa("POST", "unlockUser", o.keys["admin"], form={"username": name})
    assert (r.status, r.json()) == (200, SUCCESS)
    assert native(o, name)["status"] == "active"


def test_unlock_clears_a_lockout_and_an_inactivity_disable():
    o = Org()
    r, form = add(o)
    uid = native(o, form["username"])["uid"]
    update(f"UPDATE gatehouse.users SET status = 'disabled', disabled_reason = 'inactivity',"
           f" failed_logins = 7, locked_until = now() + interval '1 hour' WHERE uid = '{uid}'", 1,
           tenant=o.id)
    expect(fa("POST", "unlockUser", o.keys["admin"], form={"username": form["username"]}), 200)
    u = native(o, form["username"])
    assert (u["status"], u["disabled_reason"], u["locked_until"]) == ("active", None, None)


def test_uioli_true_sets_the_last_login_to_now_and_otherwise_leaves_it():
    o = Org()
    r, form = add(o)
    uid = native(o, form["username"])["uid"]
    update(f"UPDATE gatehouse.users SET last_login_at = '2020-01-01Z' WHERE uid = '{uid}'", 1,
           tenant=o.id)
    for uioli in ("false", "yes", None):
        data = {"username": form["username"]} | ({} if uioli is None else {"uioli": uioli})
        expect(fa("POST", "unlockUser", o.keys["admin"], form=data), 200)
        assert native(o, form["username"])["last_login_at"].startswith("2020-01-01"), uioli
    expect(fa("POST", "unlockUser", o.keys["admin"],
              form={"username": form["username"], "uioli": "TRUE"}), 200)
    rc, out, _ = psql(f"SELECT now() - last_login_at < interval '1 minute' FROM gatehouse.users"
                      f" WHERE uid = '{uid}'", tenant=o.id)
    assert (rc, out) == (0, "t")


def test_unknown_user_is_400():
    o = Org()
    for path in ("disableUser", "unlockUser"):
        for data in ({"username": "nobody-here"}, {"username": ""}, {}):
            error(fa("POST", path, o.keys["admin"], form=data), 400, "User Does not exist")


def test_a_user_above_the_caller_is_not_authorized_and_unchanged():
    o = Org()
    rc, out, _ = psql("SELECT username FROM gatehouse.users WHERE access_level = 'super'",
                      tenant=o.id)
    target = out.split()[0]
    error(fa("POST", "disableUser", o.keys["admin"], form={"username": target}), 401,
          "Not Authorized")
    assert native(o, target)["status"] == "active"


# --- all users ------------------------------------------------------------------------

def test_all_users_lists_the_directory():
    o = Org()
    r, form = add(o)
    r2, form2 = add(o)
    expect(fa("POST", "disableUser", o.keys["admin"], form={"username": form2["username"]}), 200)
    r = fa("GET", "all", o.keys["admin"])
    assert r.status == 200
    rows = {u["username"]: u for u in r.json()}
    mine = native(o, form["username"])
    assert rows[form["username"]] == {"id": mine["id"], "username": form["username"],
                                      "email": form["email"], "firstName": "Fay",
                                      "lastName": "Tion", "inactive": False}
    assert rows[form2["username"]]["inactive"] is True
    assert len(rows) == 6, "the four level users, and the two made here"


def test_all_users_hides_removed_and_other_orgs_users():
    o, other = Org(), Org()
    r, form = add(o)
    uid = native(o, form["username"])["uid"]
    expect(o.call("DELETE", f"/api/v1/users/{uid}"), 204)
    names = {u["username"] for u in fa("GET", "all", o.keys["admin"]).json()}
    assert form["username"] not in names
    assert not names & {u["username"] for u in fa("GET", "all", other.keys["admin"]).json()}


def test_all_users_takes_a_manager_at_any_level_and_refuses_others():
    o = Org()
    for level in ("guest", "user"):
        email = f"{unique('m')}@faction.example"
        expect(o.create(email=email, roles=["manager"], access_level=level), 201)
        key = make_key(o.name, email)
        r = fa("GET", "all", key)
        assert r.status == 200 and any(u["email"] == email for u in r.json()), level
        error(fa("POST", "disableUser", key, form={"username": email}), 401, "Not Authorized")
    for level in ("guest", "user"):
        error(fa("GET", "all", o.keys[level]), 401, "Not Authorized")


def test_the_consultant_tier_has_no_users_api():
    name, org_id = make_org("consultant")
    super_key = make_key(name, make_user(name, "super"))
    ctl("user", "create", "--org", name, "--email", f"{unique('c')}@x.example")
    for method, path in (("GET", "all"), ("POST", "addUser"), ("POST", "disableUser"),
                         ("POST", "unlockUser")):
        error(fa(method, path, super_key, form={"username": "x"} if method == "POST" else None),
              401, "Not Authorized")
    # The native API of the same org is not a Faction endpoint.
    expect(request("GET", "/api/v1/users", key=super_key), 200)


def test_unknown_paths_and_methods_answer_in_faction_shape():
    o = Org()
    error(fa("GET", "nothing", o.keys["admin"]), 404, "no such resource")
    r = fa("GET", "addUser", o.keys["admin"])
    error(r, 405, "method not allowed on this resource")
    assert r.headers["allow"] == "POST"


# --- the authorization matrix, generated from the route table --------------------------

class World:
    """Org A with a team and a user; org B to ask from outside."""

    def __init__(self):
        self.a, self.b = Org(), Org()
        self.team = team(self.a)
        r, self.form = add(self.a, team=self.team)
        assert r.status == 200
        self.user = self.form["username"]

    def body(self, path):
        """A form the handler accepts, naming org A's resources."""
        return {"addUser": add_form(self.team), "disableUser": {"username": self.user},
                "unlockUser": {"username": self.user}}.get(path)


def _routes():
    found = routes("faction")
    assert {p for _, p in found} == {"/faction/api/users/addUser", "/faction/api/users/disableUser",
                                     "/faction/api/users/unlockUser", "/faction/api/users/all"}
    return sorted((m, p[len("/faction/api/users/"):], lvl) for (m, p), (_, _, lvl) in found.items())


def test_matrix_no_key_or_a_bad_key_is_not_authorized():
    w = World()
    for method, path, _ in _routes():
        for key in (None, "", "gh_1k1_" + "A" * 43, w.a.keys["admin"] + "x"):
            error(fa(method, path, key, form=w.body(path)), 401, "Not Authorized")


def test_matrix_every_level_below_a_route_is_not_authorized():
    w = World()
    checked = 0
    for method, path, need in _routes():
        for level in LADDER[:LADDER.index(need)]:
            error(fa(method, path, w.a.keys[level], form=w.body(path)), 401, "Not Authorized")
            checked += 1
    assert checked == 6, checked
    assert native(w.a, w.user)["status"] == "active"


def test_matrix_another_orgs_super_cannot_reach_this_orgs_resources():
    w = World()
    for method, path, _ in _routes():
        r = fa(method, path, w.b.keys["super"], form=w.body(path))
        if path == "addUser":
            error(r, 400, "Team Name Does not exist")
        elif path == "all":
            assert r.status == 200 and w.user not in {u["username"] for u in r.json()}
        else:
            error(r, 400, "User Does not exist")
    assert native(w.a, w.user)["status"] == "active"


# --- one user, every surface ----------------------------------------------------------

def test_a_faction_user_is_the_same_user_natively_and_in_attackforge():
    o = Org()
    r, form = add(o, "super", isAdmin="true", isAssessor="true")
    assert r.status == 200
    u = native(o, form["username"])
    af = expect(request("GET", f"/attackforge/api/ss/users/username/{form['username']}",
                        headers={"X-SSAPI-KEY": o.keys["admin"]}), 200).json()["user"]
    assert (af["id"], af["username"], af["email_address"], af["first_name"], af["last_name"]) == \
        (u["uid"], u["username"], u["email"], u["first_name"], u["last_name"])
    assert (af["status"], af["role"], af["created"]) == ("Active", "admin", u["created_at"])
    expect(fa("POST", "disableUser", o.keys["super"], form={"username": form["username"]}), 200)
    assert native(o, form["username"])["status"] == "disabled"
    af = request("GET", f"/attackforge/api/ss/users/{u['uid']}",
                 headers={"X-SSAPI-KEY": o.keys["admin"]}).json()["user"]
    assert af["status"] == "Deactivated"


def test_native_and_attackforge_changes_show_in_faction():
    o = Org()
    u = expect(o.create(username=unique("nat"), first_name="Nat", last_name="Ive"), 201).json()
    rows = {x["username"]: x for x in fa("GET", "all", o.keys["admin"]).json()}
    assert rows[u["username"]] == {"id": u["id"], "username": u["username"], "email": u["email"],
                                   "firstName": "Nat", "lastName": "Ive", "inactive": False}
    expect(request("PUT", f"/attackforge/api/ss/user/{u['uid']}/deactivate",
                   headers={"X-SSAPI-KEY": o.keys["admin"]}), 200)
    rows = {x["username"]: x for x in fa("GET", "all", o.keys["admin"]).json()}
    assert rows[u["username"]]["inactive"] is True
    expect(fa("POST", "unlockUser", o.keys["admin"], form={"username": u["username"]}), 200)
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "active"


# --- end to end: verify=true through the mailer, the relay and the page ---------------------

def test_verify_true_end_to_end_mail_link_password_active_once():
    """addUser verify=true → the loopback SMTP server receives the mail → the
    link is followed → the password is set → the account is active, the token
    no longer works, and a second click gets the "already used" page."""
    from browser import Browser, redeem
    from gh import mail_link, mail_text, wait_mails

    o = Org()
    r, form = add(o, authMethod="LOCAL", verify="true")
    expect(r, 200)
    [m] = wait_mails(form["email"])
    assert o.name in m["Subject"] or o.name in mail_text(m)
    path, token = mail_link(m, "/register")
    b = Browser()
    page = b.get(path)
    assert page.status == 200, page
    done = redeem(b, path, PW)
    assert done.status == 200 and b"Your account is ready" in done.body, done
    u = expect(o.call("GET", f"/api/v1/users/by-username/{urllib.parse.quote(form['username'])}"),
               200).json()
    assert u["status"] == "active" and u["has_password"] and u["confirmed_at"]
    # Faction sees the same user, active.
    listed = {x["username"]: x for x in expect(fa("GET", "all", o.keys["admin"]), 200).json()}
    assert listed[form["username"]]["inactive"] is False
    rc, out, _ = psql(f"SELECT count(*) FILTER (WHERE used_at IS NULL) FROM gatehouse.tokens "
                      f"WHERE user_id = {u['id']}", tenant=o.id)
    assert (rc, out) == (0, "0"), "the token no longer works"
    again = b.get(path)
    assert again.status == 410 and b"already been used" in again.body, again
