"""test_webauthn.py: security keys on the sign-in pages — registration on /account and at
enrolment, the second step with a key, every way an answer can be wrong, the lockout it
shares with TOTP, removal, and the admin resets of the Canary and native dialects.

The authenticator is tests/api/softkey.py: an ES256 key of Debian's python3-cryptography
answering the challenge the page hands its script, as a browser would post it.
"""
import os
import re
import urllib.parse

from browser import Browser
from gh import URL, expect, request, update
from softkey import UP, UV, SoftKey, b64u
from test_signin import csrf, enrol, native, page, sign_in, signed_in, sql, user, where
from test_users import Org

# The stack's public_url is http://localhost:PORT (dev): browsers refuse an IP as RP ID.
ORIGIN = f"http://localhost:{urllib.parse.urlsplit(URL).port}"


def form_data(body, kind):
    """The action and data- attributes of the page's security key form of kind."""
    m = re.search(r'<form method="post" action="([^"]+)" data-webauthn="' + kind + r'"([^>]*)>',
                  body)
    assert m, f"no {kind} form in {body[:600]}"
    d = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', m.group(2)))
    assert m.group(2).endswith(" hidden"), "shown only once the script runs"
    d["action"] = m.group(1)
    return d


def register(b, key=None, label="blue key", path="/account", **kw):
    """Adds a key from the page at path; (key, answer)."""
    d = form_data(page(b.get(path), 200), "create")
    assert d["rp-id"] == "localhost"
    key = key or SoftKey(d["rp-id"], ORIGIN)
    return key, b.post(d["action"], {"csrf": csrf(b), "label": label, **key.create(d["challenge"],
                                                                               **kw)})


def registered(o, u, **kw):
    """A user with a key (and no TOTP), signed out; the key."""
    b = signed_in(o, u)
    key, r = register(b, **kw)
    assert "Your security key has been added." in page(r, 200)
    return key


def second_step(o, u, body=None):
    """A new browser at the second step; (browser, the get form's data). The page's
    text goes into body (a list) when given: each showing of it is a new challenge."""
    b, r = sign_in(o, u)
    assert r.status == 303 and r.headers["location"] == "/login/totp", r
    text = page(b.get("/login/totp"), 200)
    if body is not None:
        body.append(text)
    return b, form_data(text, "get")


def use(b, key, d, **kw):
    return b.post("/login/webauthn", {"csrf": csrf(b), **key.get(d["challenge"], **kw)})


def audits(o, u, action):
    return sql(o, f"SELECT coalesce(string_agg(changes::text, '|' ORDER BY id), '') FROM "
                  f"gatehouse.audit_events WHERE target_id = '{u['uid']}' AND action = '{action}'")


def forgive(o, u):
    """Clears the failures an earlier refusal counted, so the next one is judged alone."""
    update(f"UPDATE gatehouse.users SET failed_logins = 0 WHERE id = {u['id']}", 1, tenant=o.id)
    sql(o, "DELETE FROM gatehouse.login_address_failures")


# --- registration and sign-in ----------------------------------------------------------

def test_a_key_registered_on_account_signs_in_and_no_code_is_asked():
    o = Org()
    u = user(o)
    b = signed_in(o, u)
    body = page(b.get("/account"), 200)
    assert "<h2>Security keys</h2>" in body and "None." in body
    assert "A security key needs JavaScript" in body, "said to a browser without the script"
    key, r = register(b)
    body = page(r, 200)
    assert "<strong>blue key</strong>, added " in body and "not used yet" in body
    assert native(o, u)["mfa"] == {"totp": False, "webauthn": True}
    assert '"user_verified": true' in audits(o, u, "user.webauthn_register")

    shown = []
    b2, d = second_step(o, u, shown)
    body = shown[0]
    assert 'name="code"' not in body, "a user whose only factor is a key is never asked for a code"
    assert d["credentials"] == b64u(key.cred_id) and d["rp-id"] == "localhost"
    assert len(d["challenge"]) == 43
    r = use(b2, key, d)
    assert r.status == 303 and r.headers["location"] == "/account", r
    assert where(b2) == "here"
    assert native(o, u)["last_login_at"] is not None
    assert '"method": "webauthn"' in audits(o, u, "user.login")
    assert sql(o, f"SELECT method FROM gatehouse.login_events WHERE user_id = {u['id']} "
                  "ORDER BY id DESC LIMIT 1") == "webauthn"
    row = sql(o, f"SELECT sign_count || ',' || (last_used_at IS NOT NULL) || ',' || user_verified "
                 f"FROM gatehouse.webauthn_credentials WHERE user_id = {u['id']}")
    assert row == f"{key.count},true,true"
    assert "last used " in page(b2.get("/account"), 200)


def test_pages_with_a_key_form_allow_only_the_same_origin_script():
    o = Org()
    u = user(o)
    registered(o, u)
    b, _ = second_step(o, u)
    r = b.get("/login/totp")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert '<script src="/assets/webauthn.js" defer></script>' in page(r, 200)
    js = request("GET", "/assets/webauthn.js")
    assert js.status == 200 and js.headers["content-type"].startswith("text/javascript")
    assert b"navigator.credentials.get" in js.body and b"navigator.credentials.create" in js.body
    # The sign-in form itself needs none.
    r = Browser().get(f"/login?org={o.name}")
    assert "script-src" not in r.headers["content-security-policy"]


def test_a_user_with_totp_and_a_key_is_offered_both():
    o = Org()
    u = user(o)
    b = signed_in(o, u)
    enrol(b)
    key, r = register(b)
    page(r, 200)
    shown = []
    b2, d = second_step(o, u, shown)
    body = shown[0]
    assert "Use your security key" in body and 'name="code"' in body
    assert "Enter a code from your authenticator app below instead." in body
    assert use(b2, key, d).status == 303


# --- every wrong answer ------------------------------------------------------------------

def test_wrong_assertions_are_refused_audited_and_leave_the_session_at_the_second_step():
    o = Org()
    u, other = user(o), user(o)
    key = registered(o, u)
    their = registered(o, other)
    stranger = SoftKey("localhost", ORIGIN, cred_id=key.cred_id)
    cases = {
        "signed by another key": dict(signer=stranger),
        "another origin": dict(origin="http://evil.example"),
        "another RP ID": dict(rp_id="evil.example"),
        "no user presence": dict(flags=UV),
        "a registration's type": dict(typ="webauthn.create"),
        "a cross-origin frame": dict(cross=True),
    }
    for why, kw in cases.items():
        b, d = second_step(o, u)
        r = use(b, key, d, **kw)
        assert r.status == 401, (why, r)
        assert "The security key was not accepted" in page(r, 401)
        assert where(b, "/account") == "/login/totp", why
        forgive(o, u)
    # Another user's key is not this user's, even with a right signature.
    b, d = second_step(o, u)
    assert use(b, their, d).status == 401
    forgive(o, u)
    # A challenge this page never gave.
    b, d = second_step(o, u)
    assert use(b, key, {"challenge": b64u(os.urandom(32))}).status == 401
    forgive(o, u)
    log = audits(o, u, "user.login_failed")
    for reason in ("the signature does not verify", "the origin is not this site's",
                   "another site (RP ID)", "did not see the user present",
                   "not of a sign-in", "a frame of another origin",
                   "not one of the user's security keys", "the challenge is not the one"):
        assert reason in log, (reason, log)
    assert sql(o, f"SELECT count(*) FROM gatehouse.login_events WHERE user_id = {u['id']} "
                  "AND NOT success AND method = 'webauthn'") == "8"
    # Still a right key signs in.
    b, d = second_step(o, u)
    assert use(b, key, d).status == 303


def test_a_challenge_is_single_use_bound_to_its_session_and_expires():
    o = Org()
    u = user(o)
    key = registered(o, u)
    # Replayed: the right answer a second time, in the same session, after a wrong one took it.
    b, d = second_step(o, u)
    answer = key.get(d["challenge"])
    bad = dict(answer, signature=b64u(SoftKey("localhost", ORIGIN).sign(b"x")))
    r = b.post("/login/webauthn", {"csrf": csrf(b), **bad})
    assert r.status == 401
    assert form_data(page(r, 401), "get")["challenge"] != d["challenge"], "a new one for a retry"
    assert b.post("/login/webauthn", {"csrf": csrf(b), **answer}).status == 401
    assert audits(o, u, "user.login_failed").endswith(
        '"reason": "security key: the challenge is not the one this page gave"}')
    forgive(o, u)
    # Another session's challenge: a and b are both at the second step.
    a, da = second_step(o, u)
    b, db = second_step(o, u)
    assert use(b, key, da).status == 401
    forgive(o, u)
    assert use(a, key, da).status == 303, "a's own challenge is still good for a"
    # Expired.
    b, d = second_step(o, u)
    sql(o, "UPDATE gatehouse.webauthn_challenges SET expires_at = now() - interval '1 second'")
    assert use(b, key, d).status == 401
    assert audits(o, u, "user.login_failed").endswith('"reason": "security key: no live challenge"}')
    forgive(o, u)
    # A used assertion replayed into a fresh session.
    b, d = second_step(o, u)
    answer = key.get(d["challenge"])
    assert b.post("/login/webauthn", {"csrf": csrf(b), **answer}).status == 303
    c, _ = second_step(o, u)
    assert c.post("/login/webauthn", {"csrf": csrf(c), **answer}).status == 401


def test_a_sign_count_that_goes_back_is_refused_as_a_cloned_key():
    o = Org()
    u = user(o)
    key = registered(o, u)
    b, d = second_step(o, u)
    assert use(b, key, d, count=5).status == 303
    for count in (5, 3, 0):
        b, d = second_step(o, u)
        assert use(b, key, d, count=count).status == 401, count
        forgive(o, u)
    assert audits(o, u, "user.login_failed").count("sign count went back") == 3
    b, d = second_step(o, u)
    assert use(b, key, d, count=6).status == 303


def test_key_failures_count_toward_the_lockout_like_wrong_codes():
    o = Org()
    update(f"UPDATE gatehouse.orgs SET lockout_threshold = 2 WHERE id = {o.id}", 1, tenant=o.id)
    u = user(o)
    key = registered(o, u)
    b, d = second_step(o, u)
    r = use(b, key, d, origin="http://evil.example")
    assert r.status == 401 and native(o, u)["locked_until"] is None
    # The retry on the page it came back with; a right password would have cleared the count.
    r = use(b, key, form_data(page(r, 401), "get"), flags=UV)
    assert r.status == 401
    assert native(o, u)["locked_until"] is not None
    assert use(b, key, form_data(page(r, 401), "get")).status == 401, "locked: the right key too"
    assert '"locked": true' in audits(o, u, "user.login_failed")
    # Locked: the password step itself now fails, and so would the right key.
    assert sign_in(o, u)[1].status == 401
    assert sql(o, f"SELECT count(*) FROM gatehouse.login_address_failures") != "0"


def test_bad_fields_are_a_400_naming_the_field_and_change_nothing():
    o = Org()
    u = user(o)
    key = registered(o, u)
    b, d = second_step(o, u)
    good = key.get(d["challenge"])
    for field, value in (("signature", "!!"), ("client_data", ""), ("credential_id", "A"),
                         ("authenticator_data", "x" * 5000)):
        r = b.post("/login/webauthn", {"csrf": csrf(b), **dict(good, **{field: value})})
        assert r.status == 400 and f"<code>{field}</code>" in r.body.decode(), (field, r)
    assert native(o, u)["locked_until"] is None
    assert sql(o, f"SELECT failed_logins FROM gatehouse.users WHERE id = {u['id']}") == "0"
    assert sql(o, "SELECT count(*) FROM gatehouse.webauthn_challenges WHERE purpose = 'get'") == "1"
    assert b.post("/login/webauthn", {"csrf": csrf(b), **good}).status == 303
    # Without the session's form token nothing is tried.
    b, d = second_step(o, u)
    assert b.post("/login/webauthn", {"csrf": "x" * 43, **key.get(d["challenge"])}).status == 403


def test_registration_refusals_name_the_label_and_store_nothing():
    o = Org()
    u = user(o)
    b = signed_in(o, u)
    for kw, msg in ((dict(origin="http://evil.example"), "origin is not this site"),
                    (dict(rp_id="evil.example"), "another site (RP ID)"),
                    (dict(flags=UV | 0x40), "did not see the user present"),
                    (dict(typ="webauthn.get"), "not of a registration")):
        _, r = register(b, **kw)
        body = page(r, 422)
        assert msg in body and 'href="#label"' in body and 'aria-invalid="true"' in body, msg
    for label, msg in (("", "abel is required"), ("x" * 65, "1 to 64 bytes"),
                       ("a\u202eb", "direction controls")):
        _, r = register(b, label=label)
        assert msg in page(r, 422), label
    assert native(o, u)["mfa"]["webauthn"] is False
    # Packed self-attestation is taken; the same key again is refused.
    key, r = register(b, fmt="packed")
    page(r, 200)
    _, r = register(b, key=key)
    assert "registered already" in page(r, 409)
    # A key another user of the org registered is theirs.
    other = user(o)
    _, r = register(signed_in(o, other), key=key)
    assert r.status == 409
    # At most ten keys.
    for i in range(9):
        _, r = register(b, label=f"key {i}")
        page(r, 200)
    body = page(b.get("/account"), 200)
    assert "remove one to add another" in body and 'data-webauthn="create"' not in body
    assert sql(o, f"SELECT count(*) FROM gatehouse.webauthn_credentials WHERE user_id = {u['id']}") \
        == "10"


# --- enforcement, removal and resets ---------------------------------------------------------

def test_enforcement_is_met_by_a_key_registered_at_enrolment():
    o = Org()
    expect(o.call("PATCH", "/api/v1/org", json={"enforce_2fa": True}), 200)
    u = user(o)
    b, r = sign_in(o, u)
    assert r.headers["location"] == "/login/enrol"
    body = page(b.get("/login/enrol"), 200)
    assert "Or use a security key" in body and 'action="/login/enrol/webauthn"' in body
    old = dict(b.cookies)
    key, r = register(b, path="/login/enrol")
    assert r.status == 303 and r.headers["location"] == "/account", r
    assert b.cookies["gh_session"] != old["gh_session"], "a new session: no fixation"
    assert where(b) == "here"
    assert native(o, u)["last_login_at"] is not None
    # Next time the key is the second step; no enrolment, no code.
    b, d = second_step(o, u)
    assert use(b, key, d).status == 303 and where(b) == "here"


def test_removing_a_key_ends_other_sessions_and_leaves_the_password_alone():
    o = Org()
    u = user(o)
    a = signed_in(o, u)
    key, r = register(a, label="old key")
    kid = re.search(r'name="key" value="(\d+)"', page(r, 200)).group(1)
    b, d = second_step(o, u)
    assert use(b, key, d).status == 303
    # Someone else's id, or none, removes nothing.
    other = signed_in(o, user(o))
    assert other.post("/account/webauthn/remove", {"csrf": csrf(other), "key": kid}).status == 404
    assert a.post("/account/webauthn/remove", {"csrf": csrf(a), "key": "x"}).status == 400
    r = a.post("/account/webauthn/remove", {"csrf": csrf(a), "key": kid})
    assert "The security key has been removed." in page(r, 200)
    assert where(a) == "here" and where(b) == "/login"
    assert '"new": 0' in audits(o, u, "user.webauthn_remove")
    assert native(o, u)["mfa"]["webauthn"] is False
    # No factor left: the password alone signs in.
    c, r = sign_in(o, u)
    assert r.headers["location"] == "/account"


def test_a_removed_key_is_refused_at_the_second_step():
    o = Org()
    u = user(o)
    a = signed_in(o, u)
    enrol(a)
    key, r = register(a, label="lost key")
    kid = re.search(r'name="key" value="(\d+)"', page(r, 200)).group(1)
    page(a.post("/account/webauthn/remove", {"csrf": csrf(a), "key": kid}), 200)
    b, r = sign_in(o, u)
    assert r.headers["location"] == "/login/totp", "TOTP is still due"
    body = page(b.get("/login/totp"), 200)
    assert 'data-webauthn="get"' not in body and 'name="code"' in body
    # The page gives no key challenge, and an answer to one made up is refused and counted.
    assert b.post("/login/webauthn", {"csrf": csrf(b), **key.get(b64u(os.urandom(32)))}).status \
        == 401
    assert '"reason": "security key: no live challenge"' in audits(o, u, "user.login_failed")


def test_canary_and_native_resets_remove_keys_and_end_sessions():
    o = Org()
    u2 = user(o)
    key = registered(o, u2)
    r = request("GET", f"/canary/api/v1/user/get?auth_token={o.keys['admin']}&email="
                       f"{urllib.parse.quote(u2['email'])}")
    assert r.status == 200 and '"webauthn_enabled":true' in r.body.decode().replace(" ", ""), r
    b2, d2 = second_step(o, u2)
    assert use(b2, key, d2).status == 303
    expect(request("POST", "/canary/api/v1/user/webauthn/disable",
                   form={"auth_token": o.keys["admin"], "email": u2["email"]}), 200)
    assert where(b2) == "/login"
    assert native(o, u2)["mfa"]["webauthn"] is False
    assert sql(o, f"SELECT count(*) FROM gatehouse.sessions WHERE user_id = {u2['id']}") == "0"
    # Native: DELETE /users/{uid}/mfa?type=webauthn.
    key = registered(o, u3 := user(o))
    b3, d3 = second_step(o, u3)
    assert use(b3, key, d3).status == 303
    expect(o.call("DELETE", f"/api/v1/users/{u3['uid']}/mfa?type=webauthn"), 200)
    assert where(b3) == "/login" and native(o, u3)["mfa"]["webauthn"] is False
