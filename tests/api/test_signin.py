"""test_signin.py: people's sign-in through the pages — /login, the TOTP step and enrolment,
recovery codes, enforcement, sessions and their timeouts, lockout, CSRF, /account and /logout.

Codes come from an independent TOTP implementation, Debian's oathtool.
"""
import base64
import hashlib
import os
import re
import subprocess
import time
import urllib.parse

from browser import Browser, hidden
from gh import expect, psql, request, unique, update
from test_users import PW, Org

CSP_MUST = ["default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"]


def user(o, **fields):
    e = f"{unique('si')}@example.com"
    return expect(o.create(email=e, username=e.split("@")[0], **fields), 201).json()


def sql(o, text):
    rc, out, err = psql(text, tenant=o.id)
    assert rc == 0, err
    return out


def oathtool(key, when="now"):
    return subprocess.run(["oathtool", "--totp", "-b", "-N", when, key], capture_output=True,
                          text=True, check=True).stdout.strip()


def page(r, status):
    """An HTML page with the pages' security headers: no script but the security key's file,
    and that one allowed only where it is loaded."""
    assert r.status == status, r
    assert r.headers["content-type"] == "text/html; charset=utf-8", r.headers
    csp = r.headers["content-security-policy"]
    for part in CSP_MUST:
        assert part in csp
    body = r.body.decode()
    scripts = re.findall(r"<script[^>]*>", body)
    assert scripts in ([], ['<script src="/assets/webauthn.js" defer>']), scripts
    assert ("script-src 'self'" in csp) == bool(scripts) and "unsafe" not in csp, csp
    assert " on" + "click" not in body and " style=" not in body
    return body


def sign_in(o, u, password=PW, b=None, login=None):
    """Opens /login in b (a new browser by default) and posts the form; (browser, answer)."""
    b = b or Browser()
    form = b.get(f"/login?org={urllib.parse.quote(o.name)}")
    page(form, 200)
    r = b.post("/login", {"csrf": hidden(form.body, "csrf"), "org": o.name,
                          "login": login or u["username"], "password": password})
    return b, r


def signed_in(o, u, **kw):
    b, r = sign_in(o, u, **kw)
    assert r.status == 303 and r.headers["location"] == "/account", r
    return b


def csrf(b):
    return b.cookies["gh_csrf"]


def where(b, path="/account"):
    """Where the browser's session stands: 200 at path, or where it is sent."""
    r = b.get(path)
    return "here" if r.status == 200 else r.headers.get("location")


def enrol(b):
    """Sets up TOTP from the enrolment page; (key, recovery codes)."""
    r = b.get("/login/enrol")
    body = page(r, 200)
    assert "<svg" in body and 'role="img"' in body and 'aria-label="QR code' in body
    key = re.search(r"Key: <code>([A-Z2-7]+)</code>", body).group(1)
    done = b.post("/login/enrol", {"csrf": csrf(b), "code": oathtool(key)})
    body = page(done, 200)
    codes = re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", body)
    assert len(codes) == 10 and len(set(codes)) == 10
    return key, codes


def native(o, u):
    return expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()


# --- the password step ----------------------------------------------------------------

def test_the_login_form_is_accessible_and_carries_a_csrf_token():
    o = Org()
    b = Browser()
    body = page(b.get(f"/login?org={o.name}"), 200)
    for field in ("org", "login", "password"):
        assert f'<label for="{field}">' in body and f'id="{field}" name="{field}"' in body
    assert 'autocomplete="current-password"' in body and 'autocomplete="username"' in body
    assert f'value="{o.name}"' in body
    assert hidden(b.get("/login").body, "csrf") == csrf(b)


def test_a_right_password_signs_in_and_records_the_sign_in():
    o = Org()
    u = user(o)
    assert native(o, u)["last_login_at"] is None
    b, r = sign_in(o, u, login=u["email"].upper())
    assert r.status == 303 and r.headers["location"] == "/account"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("gh_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    body = page(b.get("/account"), 200)
    assert u["username"] in body and u["email"] in body and o.name in body
    assert native(o, u)["last_login_at"] is not None
    # Only the cookie's digest is stored.
    value = b.cookies["gh_session"].split(".", 1)[1]
    digest = hashlib.sha256(value.encode()).hexdigest()
    assert sql(o, f"SELECT count(*) FROM gatehouse.sessions WHERE digest = '\\x{digest}'::bytea") == "1"
    assert sql(o, f"SELECT count(*) FROM gatehouse.sessions WHERE encode(digest, 'escape') "
                  f"LIKE '%{value[:10]}%'") == "0"
    ev = expect(o.call("GET", f"/api/v1/audit?target={u['uid']}&action=user.login"), 200).json()
    assert len(ev["events"]) == 1 and ev["events"][0]["actor"] == u["email"]
    assert sql(o, f"SELECT success, method, address FROM gatehouse.login_events "
                  f"WHERE user_id = {u['id']}") == "t|password|127.0.0.1"


def test_every_failure_looks_the_same_whatever_the_reason():
    o, other = Org(), Org()
    live, off, pend = user(o), user(o), expect(o.create(email=f"{unique('p')}@example.com",
                                                         invite=True), 201).json()
    expect(o.call("POST", f"/api/v1/users/{off['uid']}/disable"), 200)
    sso = expect(o.create(email=f"{unique('s')}@example.com", auth_method="saml"), 201).json()
    answers = []
    for org, u, pw in ((o, live, "not the password"), (o, {"username": "nobody-here"}, PW),
                       (o, off, PW), (o, pend, PW), (o, sso, PW), (other, live, PW)):
        b, r = sign_in(org, u, password=pw, login=u.get("username") or u["email"])
        body = page(r, 401)
        # The form comes back with what was typed: take that out, and the rest is the same.
        for typed in (u.get("username") or u["email"], org.name, hidden(r.body, "csrf")):
            body = body.replace(f'value="{typed}"', 'value=""')
        answers.append(body)
        assert "gh_session" not in b.cookies
    assert all(a == answers[0] for a in answers), "the answers differ"
    assert "Wrong username or password" in answers[0] and 'role="alert"' in answers[0]
    failed = expect(o.call("GET", "/api/v1/audit?action=user.login_failed"), 200).json()["events"]
    reasons = sorted(e["changes"]["reason"] for e in failed)
    assert reasons == ["no local sign-in", "no such account", "not active", "not active",
                       "wrong password"], reasons
    assert all(e["address"] == "127.0.0.1" for e in failed)


def test_a_password_hashed_with_weaker_parameters_is_rehashed_at_sign_in():
    o = Org()
    u = user(o)
    salt = os.urandom(16)
    key = hashlib.scrypt(PW.encode(), salt=salt, n=2 ** 4, r=8, p=1, dklen=32)
    b64 = lambda v: base64.b64encode(v).decode().rstrip("=")
    weak = f"$scrypt$ln=4,r=8,p=1${b64(salt)}${b64(key)}"
    update(f"UPDATE gatehouse.users SET password_hash = '{weak}' WHERE id = {u['id']}", 1, tenant=o.id)
    signed_in(o, u)
    now = sql(o, f"SELECT password_hash FROM gatehouse.users WHERE id = {u['id']}")
    assert now != weak and "ln=4," not in now
    signed_in(o, u)     # and the new hash verifies


def test_csrf_is_required_and_checked():
    o = Org()
    u = user(o)
    b = Browser()
    b.get("/login")
    for token in (None, "", "x" * 43):
        form = {"org": o.name, "login": u["username"], "password": PW}
        if token is not None:
            form["csrf"] = token
        r = b.post("/login", form)
        assert r.status == 403 and "gh_session" not in b.cookies, r
    b = signed_in(o, u)
    r = b.post("/account/summary", {"csrf": "y" * 43})
    assert r.status == 403
    assert native(o, u)["summary_email"] is True
    r = b.post("/account/summary", {"csrf": csrf(b)})
    assert r.status == 200 and native(o, u)["summary_email"] is False


# --- lockout ------------------------------------------------------------------------

def test_failures_lock_the_account_and_an_unlock_from_any_dialect_clears_it():
    o = Org()
    update(f"UPDATE gatehouse.orgs SET lockout_threshold = 3, lockout_s = 600 WHERE id = {o.id}", 1,
           tenant=o.id)
    u = user(o)
    for _ in range(3):
        assert sign_in(o, u, password="wrong wrong wrong")[1].status == 401
    assert native(o, u)["locked_until"] is not None
    # Locked: the right password gets the same answer as a wrong one.
    b, r = sign_in(o, u)
    assert r.status == 401 and "Wrong username or password" in r.body.decode()
    expect(request("POST", "/faction/api/users/unlockUser", headers={"FACTION-API-KEY": o.keys["admin"]},
                   form={"username": u["username"]}), 200)
    assert native(o, u)["locked_until"] is None
    signed_in(o, u)


def test_an_address_that_keeps_failing_waits_longer_each_time():
    o = Org()
    u = user(o)
    for _ in range(5):
        assert sign_in(o, u, password="wrong wrong wrong")[1].status == 401
    # After five failures the address waits 1 s, after the sixth 2 s, and so on.
    b, r = sign_in(o, u)
    assert r.status == 429 and int(r.headers["retry-after"]) in (1, 2), r
    assert "try again in" in r.body.decode() and 'role="alert"' in r.body.decode()
    time.sleep(int(r.headers["retry-after"]))
    assert sign_in(o, u, password="wrong wrong wrong")[1].status == 401
    b, r = sign_in(o, u)
    assert r.status == 429 and int(r.headers["retry-after"]) in (2, 3), r
    time.sleep(int(r.headers["retry-after"]))
    assert native(o, u)["locked_until"] is None, "the account itself is not locked"
    signed_in(o, u)
    # A success clears the address's count.
    assert sql(o, "SELECT count(*) FROM gatehouse.login_address_failures") == "0"


# --- TOTP ---------------------------------------------------------------------------

def test_totp_enrolment_then_sign_in_with_codes_from_oathtool():
    o = Org()
    u = user(o)
    b = signed_in(o, u)
    before = o.call("GET", f"/api/v1/users/{u['uid']}")
    key, codes = enrol(b)
    after = o.call("GET", f"/api/v1/users/{u['uid']}")
    assert after.json()["mfa"]["totp"] is True
    # The representation changed, so its version and ETag did: a PUT with the old
    # If-Match must not overwrite what it never saw.
    assert after.json()["version"] > before.json()["version"]
    assert after.headers["etag"] != before.headers["etag"]
    assert sql(o, f"SELECT count(*) FROM gatehouse.totp_recovery_codes WHERE user_id = {u['id']}") == "10"
    for code in codes:
        assert sql(o, f"SELECT count(*) FROM gatehouse.totp_recovery_codes "
                      f"WHERE encode(digest, 'escape') LIKE '%{code[:5]}%'") == "0"
    b2, r = sign_in(o, u)
    assert r.status == 303 and r.headers["location"] == "/login/totp"
    assert where(b2) == "/login/totp", "nothing else before the code"
    wrong = b2.post("/login/totp", {"csrf": csrf(b2), "code": "000000"})
    assert wrong.status == 401 and "Wrong code" in wrong.body.decode()
    before = b2.cookies["gh_session"]
    ok = b2.post("/login/totp", {"csrf": csrf(b2), "code": oathtool(key, "now + 30 seconds")})
    assert ok.status == 303 and ok.headers["location"] == "/account", ok
    assert b2.cookies["gh_session"] != before, "a new session after the second step"
    assert where(b2) == "here"
    ev = expect(o.call("GET", f"/api/v1/audit?target={u['uid']}&action=user.login"), 200).json()["events"]
    assert ev[0]["changes"]["method"] == "totp"


def _at_code_step(o, u):
    b, r = sign_in(o, u)
    assert r.headers["location"] == "/login/totp"
    return b


def test_a_code_is_accepted_once_and_within_one_step_of_now():
    o = Org()
    u = user(o)
    key, _ = enrol(signed_in(o, u))
    # The enrolment used the code of now: it does not work again.
    b = _at_code_step(o, u)
    assert b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key)}).status == 401
    for when in ("now - 60 seconds", "now + 60 seconds"):
        assert b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, when)}).status == 401, when
    r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, "now + 30 seconds")})
    assert r.status == 303
    # Used: that step and every one before it are spent.
    b = _at_code_step(o, u)
    for when in ("now + 30 seconds", "now - 30 seconds", "now"):
        assert b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, when)}).status == 401


def test_one_step_behind_is_accepted():
    o = Org()
    u = user(o)
    b = signed_in(o, u)
    r = b.get("/login/enrol")
    key = re.search(r"Key: <code>([A-Z2-7]+)</code>", r.body.decode()).group(1)
    assert b.post("/login/enrol", {"csrf": csrf(b), "code": oathtool(key, "now - 30 seconds")}).status == 200


def test_a_recovery_code_works_once():
    o = Org()
    u = user(o)
    _, codes = enrol(signed_in(o, u))
    b = _at_code_step(o, u)
    r = b.post("/login/totp", {"csrf": csrf(b), "code": codes[3].upper()})
    assert r.status == 303 and r.headers["location"] == "/account"
    b = _at_code_step(o, u)
    assert b.post("/login/totp", {"csrf": csrf(b), "code": codes[3]}).status == 401
    assert b.post("/login/totp", {"csrf": csrf(b), "code": codes[4].replace("-", "")}).status == 303
    assert sql(o, f"SELECT count(*) FROM gatehouse.totp_recovery_codes WHERE user_id = {u['id']} "
                  f"AND used_at IS NOT NULL") == "2"


def test_wrong_codes_count_toward_the_lockout():
    o = Org()
    update(f"UPDATE gatehouse.orgs SET lockout_threshold = 2 WHERE id = {o.id}", 1, tenant=o.id)
    u = user(o)
    key, _ = enrol(signed_in(o, u))
    b = _at_code_step(o, u)
    for _ in range(2):
        assert b.post("/login/totp", {"csrf": csrf(b), "code": "123456"}).status == 401
    assert native(o, u)["locked_until"] is not None
    r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, "now + 30 seconds")})
    assert r.status == 401, "locked: even the right code is wrong"


def test_an_org_that_enforces_2fa_sends_users_without_it_to_enrol_first():
    o = Org()
    expect(o.call("PATCH", "/api/v1/org", json={"enforce_2fa": True}), 200)
    u = user(o)
    b, r = sign_in(o, u)
    assert r.status == 303 and r.headers["location"] == "/login/enrol"
    for path in ("/account", "/login/totp"):
        assert where(b, path) == "/login/enrol", path
    assert b.post("/account/summary", {"csrf": csrf(b)}).status == 303
    assert native(o, u)["summary_email"] is True and native(o, u)["last_login_at"] is None
    enrol(b)
    assert where(b) == "here"
    assert native(o, u)["last_login_at"] is not None


def test_totp_enabled_by_canary_makes_the_user_enrol():
    o = Org()
    e = f"{unique('cy')}@example.com"
    r = request("POST", "/canary/api/v1/user/add", form={"auth_token": o.keys["admin"], "email": e,
                "access_level": "user", "totp_enabled": "true", "send_welcome_mail": "false"})
    assert r.status == 200, r
    u = expect(o.call("GET", f"/api/v1/users/by-email/{e}"), 200).json()
    expect(o.call("PUT", f"/api/v1/users/{u['uid']}/password", json={"password": PW}), 204)
    update(f"UPDATE gatehouse.users SET status = 'active', confirmed_at = now() WHERE id = {u['id']}",
           1, tenant=o.id)
    b, r = sign_in(o, u)
    assert r.headers["location"] == "/login/enrol"


# --- sessions --------------------------------------------------------------------------

def test_an_idle_session_ends_and_so_does_one_past_its_lifetime():
    o = Org()
    u = user(o)
    b = signed_in(o, u)
    update(f"UPDATE gatehouse.sessions SET last_seen_at = now() - interval '31 minutes' "
           f"WHERE user_id = {u['id']}", 1, tenant=o.id)
    assert where(b) == "/login"
    sql(o, f"DELETE FROM gatehouse.sessions WHERE user_id = {u['id']}")
    b = signed_in(o, u)
    update(f"UPDATE gatehouse.sessions SET last_seen_at = now() - interval '29 minutes' "
           f"WHERE user_id = {u['id']}", 1, tenant=o.id)
    assert where(b) == "here", "each request restarts the idle clock"
    update(f"UPDATE gatehouse.sessions SET expires_at = now() - interval '1 second' "
           f"WHERE user_id = {u['id']}", 1, tenant=o.id)
    assert where(b) == "/login"


def test_disable_suspend_remove_and_mfa_reset_end_every_session():
    o = Org()
    for action in ("disable", "suspend", "remove", "mfa"):
        u = user(o)
        b = signed_in(o, u)
        if action == "remove":
            expect(o.call("DELETE", f"/api/v1/users/{u['uid']}"), 204)
        elif action == "mfa":
            enrol(b)
            expect(request("POST", "/canary/api/v1/user/2fa/disable",
                           form={"auth_token": o.keys["admin"], "email": u["email"]}), 200)
        else:
            expect(o.call("POST", f"/api/v1/users/{u['uid']}/{action}"), 200)
        assert where(b) == "/login", action
        assert sql(o, f"SELECT count(*) FROM gatehouse.sessions WHERE user_id = {u['id']}") == "0"


def test_logout_ends_this_session_and_everywhere_ends_them_all():
    o = Org()
    u = user(o)
    one, two, three = signed_in(o, u), signed_in(o, u), signed_in(o, u)
    r = one.post("/logout", {"csrf": csrf(one)})
    assert r.status == 200 and "Max-Age=0" in r.headers["set-cookie"]
    assert where(one) == "/login" and where(two) == "here"
    r = two.post("/logout/everywhere", {"csrf": csrf(two)})
    assert r.status == 200
    assert where(two) == "/login" and where(three) == "/login"


def test_a_password_without_its_second_factor_cannot_sign_out_everywhere():
    o = Org()
    u = user(o)
    key, _ = enrol(signed_in(o, u))
    full = _at_code_step(o, u)
    r = full.post("/login/totp", {"csrf": csrf(full), "code": oathtool(key, "now + 30 seconds")})
    assert r.status == 303, r
    assert where(full) == "here"
    half = _at_code_step(o, u)
    r = half.post("/logout/everywhere", {"csrf": csrf(half)})
    assert r.status == 403 and "Finish signing in" in r.body.decode()
    assert where(full) == "here", "the signed-in session lives on"
    ev = expect(o.call("GET", f"/api/v1/audit?target={u['uid']}&action=user.logout_everywhere"),
                200).json()["events"]
    assert ev == []
    r = half.post("/logout", {"csrf": csrf(half)})
    assert r.status == 200 and where(half) == "/login", "its own session it may end"
    assert where(full) == "here"


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions():
    o = Org()
    u = user(o)
    mine, other = signed_in(o, u), signed_in(o, u)
    r = mine.post("/account/password", {"csrf": csrf(mine), "current_password": "nope nope nope",
                                        "password": PW + " new"})
    assert r.status == 422 and "current_password is not correct" in r.body.decode().lower()
    assert where(other) == "here"
    r = mine.post("/account/password", {"csrf": csrf(mine), "current_password": PW,
                                        "password": PW + " new"})
    assert r.status == 200 and "Every other session has been signed out" in r.body.decode()
    assert where(mine) == "here" and where(other) == "/login"
    assert sign_in(o, u)[1].status == 401
    signed_in(o, u, password=PW + " new")


def test_account_shows_and_switches_the_summary_email_and_resets_totp():
    o = Org()
    u = user(o)
    b = signed_in(o, u)
    assert "Turn the summary e-mail off" in page(b.get("/account"), 200)
    b.post("/account/summary", {"csrf": csrf(b)})
    assert native(o, u)["summary_email"] is False
    assert "Turn the summary e-mail on" in page(b.get("/account"), 200)
    enrol(b)
    assert "Turn off and set up again" in page(b.get("/account"), 200)
    r = b.post("/account/totp/reset", {"csrf": csrf(b)})
    assert r.status == 303 and r.headers["location"] == "/login/enrol"
    assert native(o, u)["mfa"]["totp"] is False
    assert where(b) == "here", "resetting from this session keeps it"


def test_wrong_totp_codes_count_against_the_client_address():
    """docs/signin.md (Lockout and delays): each failure, password or code, also counts
    against the client address; after 5 the next attempt is 429 with Retry-After.
    Wrong codes were never counted: with the org's lockout_threshold at 100, eight wrong
    codes in a row were all checked (401), and a wrong password from the same address
    after them was checked too. A password holder could guess codes at full speed up
    to the account lockout."""
    o = Org()
    expect(o.call("PATCH", "/api/v1/org", json={"lockout_threshold": 100}), 200)
    u = user(o)
    enrol(signed_in(o, u))
    b = _at_code_step(o, u)
    for i in range(5):
        assert b.post("/login/totp", {"csrf": csrf(b), "code": "%06d" % i}).status == 401
    r = b.post("/login/totp", {"csrf": csrf(b), "code": "000009"})
    assert r.status == 429 and int(r.headers["retry-after"]) >= 1, r
    _, r = sign_in(o, user(o), password="wrong wrong wrong")
    assert r.status == 429, "the address's count is one for the org, codes and passwords alike"
