"""test_pages.py: the registration and password-reset pages — forms, errors, tokens, CSRF, headers.

Links come the way users get them: by e-mail, from the stack's SMTP server.
"""
import re

import fcgi
from browser import Browser, hidden, redeem, token_path
from gh import (STATE, ctl, expect, get, mail_link, mails_to, make_org, psql, request, unique, update,
                wait_mails)
from routes import routes
from test_users import PW, Org

CSP_MUST = ["default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"]


def invited(o, **fields):
    """A pending user and the /register link of their invitation."""
    fields.setdefault("email", f"{unique('p')}@example.com")
    u = expect(o.create(invite=True, **fields), 201).json()
    [m] = wait_mails(u["email"], template="invitation")
    path, token = mail_link(m, "/register")
    return u, path, token


def reset_link(o, u):
    """Sends the user a reset link through the native API and returns it from the mail."""
    before = len(mails_to(u["email"], template="Reset"))
    r = expect(o.call("POST", f"/api/v1/users/{u['uid']}/password-reset"), 202).json()
    ms = wait_mails(u["email"], n=before + 1, template="Reset")
    path, token = mail_link(ms[-1], "/reset")
    return path, token, r["expires_at"]


def status_of(o, u):
    return expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"]


def assert_page(r, status):
    """An HTML page with the pages' security headers and no script."""
    assert r.status == status, r
    assert r.headers["content-type"] == "text/html; charset=utf-8", r.headers
    for part in CSP_MUST:
        assert part in r.headers["content-security-policy"], r.headers["content-security-policy"]
    assert "script-src" not in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    body = r.body.decode()
    assert body.startswith("<!DOCTYPE html>") and '<html lang="en">' in body
    assert "<script" not in body and " style=" not in body and " on" + "click" not in body
    assert "Traceback" not in body and "SQLSTATE" not in body
    return body


# --- the form ------------------------------------------------------------------

def test_the_registration_form_is_accessible_and_carries_a_csrf_token():
    o = Org()
    u, path, token = invited(o, first_name="Ada")
    b = Browser()
    r = b.get(path)
    body = assert_page(r, 200)
    assert "<title>Set up your account - Gatehouse</title>" in body
    assert '<form method="post" action="/register">' in body
    assert hidden(r.body, "token") == token
    # The CSRF value is a cookie only this site can send, and the same value in the form.
    cookie = r.headers["set-cookie"]
    assert re.fullmatch(r"gh_csrf=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax", cookie)
    assert hidden(r.body, "csrf") == b.cookies["gh_csrf"]
    # Every visible input has a label; the password's hint is tied to it.
    for m in re.finditer(r'<input id="([^"]+)"', body):
        assert f'<label for="{m.group(1)}">' in body, m.group(1)
    assert 'aria-describedby="password-hint"' in body and 'id="password-hint"' in body
    assert 'autocomplete="new-password"' in body and 'type="password"' in body
    assert "At least 12 characters" in body
    assert u["email"] in body and o.name in body


def test_over_https_the_csrf_cookie_is_host_only_and_secure():
    o = Org()
    _, path, _ = invited(o)
    # Straight to the FastCGI socket, as nginx's HTTPS site sends it (fastcgi_param HTTPS on).
    status, headers, body = fcgi.get(str(STATE / "run" / "gatehouse.sock"), path, {"HTTPS": "on"})
    assert status == 200, body[:300]
    assert re.fullmatch(r"__Host-gh_csrf=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax; Secure",
                        headers["set-cookie"]), headers["set-cookie"]


def test_names_on_the_page_are_escaped():
    name, org_id = make_org()
    evil_org = f"<script>alert(1)</script> & {unique('o')}"
    update(f"UPDATE gatehouse.orgs SET name = $${evil_org}$$ WHERE id = {org_id}", 1, role="owner")
    admin = f"{unique('a')}@example.com"
    ctl("user", "create", "--org", evil_org, "--email", admin, "--level", "admin")
    key = ctl("key", "create", "--org", evil_org, "--user", admin)[1]
    email = f"{unique('e')}@example.com"
    expect(request("POST", "/api/v1/users", key=key,
                   json={"email": email, "username": "<img/src=x/onerror=alert(1)>\"'",
                         "invite": True}), 201)
    [m] = wait_mails(email)
    path, _ = mail_link(m, "/register")
    body = assert_page(Browser().get(path), 200)
    assert "<script>alert" not in body and "<img" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in body
    assert "&lt;img/src=x/onerror=alert(1)&gt;&quot;&#39;" in body


def test_a_password_the_policy_refuses_comes_back_on_the_form_with_the_token():
    o = Org()
    u, path, token = invited(o)
    b = Browser()
    r = redeem(b, path, "short")
    body = assert_page(r, 422)
    assert "<title>Error: Set up your account - Gatehouse</title>" in body
    assert 'role="alert"' in body and "There is a problem" in body
    assert '<a href="#password">Password must be at least 12 characters</a>' in body
    assert 'aria-describedby="password-hint password-error" aria-invalid="true"' in body
    assert hidden(r.body, "token") == token
    # Other rules of the policy, named the same way.
    for pw, words in (("password1234", "common"), (u["email"], "e-mail")):
        r = redeem(b, path, pw)
        assert r.status == 422 and words in r.body.decode(), (pw, r)
    assert status_of(o, u) == "pending"
    assert Browser().get(path).status == 200, "the link still works"


def test_the_two_password_fields_must_agree():
    o = Org()
    u, path, _ = invited(o)
    r = redeem(Browser(), path, PW, confirm=PW + "x")
    body = assert_page(r, 422)
    assert '<a href="#password_confirm">The two passwords do not match</a>' in body
    assert 'id="password_confirm-error"' in body
    assert status_of(o, u) == "pending"


def test_a_post_without_the_csrf_cookie_or_with_another_value_changes_nothing():
    o = Org()
    u, path, token = invited(o)
    form = {"token": token, "password": PW, "password_confirm": PW}
    r = Browser().post("/register", dict(form, csrf="A" * 43))
    body = assert_page(r, 403)
    assert "This form has expired" in body and f'href="{path}"' in body
    b = Browser()
    b.get(path)
    r = b.post("/register", dict(form, csrf="B" * 43))
    assert_page(r, 403)
    r = b.post("/register", form)
    assert_page(r, 403)
    assert status_of(o, u) == "pending"


def test_registration_activates_and_a_second_click_gets_the_already_used_page():
    o = Org()
    u, path, token = invited(o)
    b = Browser()
    r = redeem(b, path, PW)
    body = assert_page(r, 200)
    assert "Your account is ready" in body and u["email"] in body
    assert status_of(o, u) == "active"
    again = b.get(path)
    body = assert_page(again, 410)
    assert "<h1>This link has already been used</h1>" in body
    r = b.post("/register", {"token": token, "csrf": b.cookies["gh_csrf"], "password": PW + "!",
                             "password_confirm": PW + "!"})
    assert_page(r, 410)
    # Who did it: the user, through the link.
    r = expect(o.call("GET", f"/api/v1/audit?target={u['uid']}&action=user.register"), 200).json()
    [ev] = r["events"]
    assert ev["actor"] == u["email"] and ev["actor_uid"] == u["uid"]
    assert ev["changes"]["status"] == {"old": "pending", "new": "active"}
    assert ev["changes"]["password"] == {"changed": True}


def test_unknown_malformed_and_missing_tokens_get_a_clear_page():
    o = Org()
    _, path, token = invited(o)
    wrong_secret = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for p in ("/register", "/register?token=", "/register?token=nonsense",
              token_path("/register", wrong_secret), token_path("/reset", token),
              token_path("/register", "gt_999999k1_" + "A" * 43)):
        r = Browser().get(p)
        body = assert_page(r, 404)
        assert "<h1>This link is not valid</h1>" in body, p
    assert Browser().get(path).status == 200, "none of that touched the real link"


def test_an_expired_link_gets_the_expired_page_and_changes_nothing():
    o = Org()
    u, path, token = invited(o)
    b = Browser()
    page = b.get(path)
    update(f"UPDATE gatehouse.tokens SET expires_at = now() - interval '1 second' "
           f"WHERE user_id = {u['id']} AND used_at IS NULL", 1, role="owner")
    body = assert_page(b.get(path), 410)
    assert "<h1>This link has expired</h1>" in body
    r = b.post("/register", {"token": token, "csrf": hidden(page.body, "csrf"),
                             "password": PW, "password_confirm": PW})
    assert_page(r, 410)
    assert status_of(o, u) == "pending"


def test_a_disabled_accounts_link_cannot_be_used():
    o = Org()
    u, path, _ = invited(o)
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/disable"), 200)
    body = assert_page(Browser().get(path), 403)
    assert "<h1>This link cannot be used</h1>" in body


def test_wrong_methods_and_unknown_fields_answer_with_pages():
    r = request("PUT", "/register")
    body = assert_page(r, 405)
    assert r.headers["allow"] == "GET, HEAD, POST"
    r = get("/register?token=x&admin=1")
    body = assert_page(r, 400)
    assert "admin" in body
    r = request("POST", "/reset", body="{}", content_type="text/plain")
    assert_page(r, 415)


def test_every_page_route_is_public_and_sends_the_page_headers():
    rows = routes("web")
    assert {(m, p) for m, p in rows} >= {("GET", "/register"), ("POST", "/register"),
                                         ("GET", "/reset"), ("POST", "/reset")}
    for (method, path), (_, _, need) in rows.items():
        assert need == "public", (method, path, need)
        r = request(method, path, form={} if method == "POST" else None)
        assert r.status != 401 and r.status < 500, (method, path, r)
        assert r.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in r.headers["content-security-policy"]
        if path.endswith(".css"):
            assert r.headers["content-type"] == "text/css; charset=utf-8"
        elif path.endswith(".js"):
            assert r.headers["content-type"] == "text/javascript; charset=utf-8"
        else:
            assert_page(r, r.status)
    # The one stylesheet is what style-src 'self' allows.
    assert b"{" in get("/assets/gatehouse.css").body


# --- password reset ---------------------------------------------------------------

def test_a_reset_link_sets_a_new_password_and_ends_every_session():
    o = Org()
    u = expect(o.create(), 201).json()
    rc, before, _ = psql(f"SELECT password_hash FROM gatehouse.users WHERE id = {u['id']}", tenant=o.id)
    # Two browser sessions of the user (what issue 9's sign-in will make).
    for _ in range(2):
        rc, _, err = psql(f"INSERT INTO gatehouse.sessions (org_id, user_id, digest, csrf_digest, "
                          f"expires_at) VALUES ({o.id}, {u['id']}, sha256(random()::text::bytea), "
                          f"sha256(random()::text::bytea), now() + interval '1 hour')", tenant=o.id)
        assert rc == 0, err
    path, token, expires = reset_link(o, u)
    rc, hours, _ = psql(f"SELECT round(extract(epoch FROM '{expires}'::timestamptz - now()) / 3600)")
    assert hours == "1", "a reset link lives an hour by default"
    b = Browser()
    body = assert_page(b.get(path), 200)
    assert "<title>Choose a new password - Gatehouse</title>" in body
    r = redeem(b, path, PW + " new")
    body = assert_page(r, 200)
    assert "Your password has been changed" in body
    rc, after, _ = psql(f"SELECT password_hash FROM gatehouse.users WHERE id = {u['id']}", tenant=o.id)
    assert after != before and after.startswith("$")
    rc, out, _ = psql(f"SELECT count(*) FROM gatehouse.sessions WHERE user_id = {u['id']}", tenant=o.id)
    assert out == "0", "every session ended"
    assert status_of(o, u) == "active"
    assert_page(b.get(path), 410)
    ev = expect(o.call("GET", f"/api/v1/audit?target={u['uid']}&action=user.password_reset"),
                200).json()["events"]
    assert len(ev) == 1 and ev[0]["actor"] == u["email"]


def test_a_new_reset_link_replaces_the_one_before():
    o = Org()
    u = expect(o.create(), 201).json()
    first, _, _ = reset_link(o, u)
    second, _, _ = reset_link(o, u)
    assert first != second
    assert "already been used" in assert_page(Browser().get(first), 410)
    assert redeem(Browser(), second, PW + " again").status == 200


def test_registration_and_reset_links_live_as_long_as_the_org_says():
    o = Org()
    r = expect(o.call("PATCH", "/api/v1/org", json={"registration_token_hours": 5,
                                                     "reset_token_hours": 3}), 200).json()
    assert (r["registration_token_hours"], r["reset_token_hours"]) == (5, 3)
    u, _, _ = invited(o)
    rc, out, _ = psql(f"SELECT round(extract(epoch FROM expires_at - now()) / 3600) "
                      f"FROM gatehouse.tokens WHERE user_id = {u['id']}", tenant=o.id)
    assert out == "5"
    active = expect(o.create(), 201).json()
    _, _, expires = reset_link(o, active)
    rc, hours, _ = psql(f"SELECT round(extract(epoch FROM '{expires}'::timestamptz - now()) / 3600)")
    assert hours == "3"
    for field, bad in (("registration_token_hours", 0), ("registration_token_hours", 721),
                       ("reset_token_hours", 73), ("reset_token_hours", "x")):
        r = expect(o.call("PATCH", "/api/v1/org", json={field: bad}), 400).json()
        assert r["field"] == field


def test_reset_links_only_for_accounts_that_have_a_password_to_set():
    o = Org()
    sso = expect(o.create(auth_method="sso"), 201).json()
    r = expect(o.call("POST", f"/api/v1/users/{sso['uid']}/password-reset"), 409).json()
    assert "sso" in r["detail"]
    off = expect(o.create(), 201).json()
    expect(o.call("POST", f"/api/v1/users/{off['uid']}/disable"), 200)
    expect(o.call("POST", f"/api/v1/users/{off['uid']}/password-reset"), 409)
    expect(o.call("POST", f"/api/v1/users/{off['uid']}/password-reset", json={"x": 1}), 400)
    ev = expect(o.call("GET", f"/api/v1/audit?target={off['uid']}&action=user.password_reset_link"),
                200).json()["events"]
    assert ev == []


def test_a_reset_link_stops_working_when_the_email_address_changes():
    """A reset link went to the address the account had then. Once an admin moves the
    account to another address (the old mailbox was someone else's, or lost), the old
    mailbox must not be able to set the account's password; it still can."""
    o = Org()
    u = expect(o.create(), 201).json()
    path, _, _ = reset_link(o, u)
    expect(o.call("PATCH", f"/api/v1/users/{u['uid']}",
                  json={"email": f"{unique('moved')}@example.com"}), 200)
    version = expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["version"]
    b = Browser()
    page = b.get(path)
    if page.status == 200:
        pw = "a wholly new pass phrase 7"
        r = b.post("/reset", {"token": hidden(page.body, "token"), "csrf": hidden(page.body, "csrf"),
                              "password": pw, "password_confirm": pw})
        assert r.status in (403, 404, 410), f"the old address's link set the password: {r!r}"
    else:
        assert page.status in (403, 404, 410), page
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["version"] == version


def test_an_invitation_to_an_sso_account_activates_it_without_a_password():
    """An account that signs in through SSO (or LDAP, SAML, OAuth2) has no password:
    its invitation link confirms the address and activates it, and offers no
    password to set (before, the page asked for one and then refused it)."""
    o = Org()
    r = o.create(email=f"{unique('sso')}@example.com", invite=True, auth_method="sso")
    assert r.status == 201, r
    u = r.json()
    [m] = wait_mails(u["email"], template="invitation")
    path, _ = mail_link(m, "/register")
    b = Browser()
    page = b.get(path)
    assert page.status == 200, page
    assert b'type="password"' not in page.body, page.body
    token, csrf = hidden(page.body, "token"), hidden(page.body, "csrf")
    # A password is no part of such an account.
    r = b.post("/register", {"token": token, "csrf": csrf, "password": "a first pass phrase here",
                             "password_confirm": "a first pass phrase here"})
    assert r.status == 422, r
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "pending"
    r = b.post("/register", {"token": token, "csrf": csrf})
    assert r.status == 200 and b"is active" in r.body, r
    now = expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()
    assert now["status"] == "active" and now["has_password"] is False, now
    # Once.
    assert b.post("/register", {"token": token, "csrf": csrf}).status == 410
