"""test_mail.py: the outbox delivered by gatehousectl mailer to real SMTP servers on loopback.

The stack runs one mailer and one SMTP server (tools/smtp-sink.py, aiosmtpd)
that writes every message to STATE/mail. Tests of the mailer itself hold the
stack's mailer still and run mailers and SMTP servers of their own, on the two
ports after the stack's, so they alone take the messages they count.
"""
import email.header
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import time

from browser import Browser, redeem
from gh import (CTL, ROOT, SMTP_PORT, STATE, URL, ctl, expect, get, mail_link, mail_text,
                mails_to, psql, request, stack_mailer_paused, stack_mailer_pid, unique, update,
                wait_mails, wait_until)
from test_users import PW, Org

PORT_A, PORT_B = SMTP_PORT + 1, SMTP_PORT + 2
SINK = str(ROOT / "tools" / "smtp-sink.py")


class Sink:
    """An SMTP server of the test's own (the same one ./dev runs), stopped and started at will."""

    def __init__(self, port, *args):
        self.port, self.args = port, args
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name) / "mail"
        self.proc = None
        self.start()

    def start(self):
        ready = pathlib.Path(self.tmp.name) / "ready"
        ready.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", SINK, "--port", str(self.port), "--dir", str(self.dir),
             "--ready", str(ready), *self.args],
            stdout=subprocess.DEVNULL, stderr=open(pathlib.Path(self.tmp.name) / "log", "ab"))
        wait_until(lambda: ready.exists() or self.proc.poll() is not None, timeout=15)
        assert self.proc.poll() is None, (pathlib.Path(self.tmp.name) / "log").read_text()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    def to(self, addr):
        return mails_to(addr, self.dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.tmp.cleanup()


class Mailer:
    """A gatehousectl mailer of the test's own, delivering to 127.0.0.1:port."""

    def __init__(self, port, scheme="smtp", **settings):
        self.log_file = tempfile.NamedTemporaryFile(prefix="mailer-", suffix=".log")
        env = dict(os.environ, GATEHOUSE_SMTP_URL=f"{scheme}://127.0.0.1:{port}",
                   GATEHOUSE_SMTP_STARTTLS="off", GATEHOUSE_SMTP_FROM="gatehouse@localhost",
                   GATEHOUSE_PUBLIC_URL=URL, GATEHOUSE_MAILER_RETRY_MAX="1",
                   GATEHOUSE_LOG_LEVEL="info")
        env.update({f"GATEHOUSE_{k.upper()}": str(v) for k, v in settings.items()})
        self.proc = subprocess.Popen([CTL, "mailer"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=self.log_file)
        wait_until(lambda: "mailer started" in self.log() or self.proc.poll() is not None)
        assert self.proc.poll() is None, self.log()

    def log(self):
        return pathlib.Path(self.log_file.name).read_text()

    def sent(self, org_id):
        """How many messages of org_id this mailer reported sent."""
        return len(re.findall(rf'"mail {org_id}\.\d+ \(\w+\) sent"', self.log()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(timeout=40) == 0, self.log()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=40)
        self.log_file.close()


def invite(o, **fields):
    fields.setdefault("email", f"{unique('m')}@example.com")
    return expect(o.create(invite=True, **fields), 201).json()


def invite_while_down(o, sink, attempts):
    """Stops sink, invites a user and waits until their message failed attempts times."""
    sink.stop()
    u = invite(o)
    wait_until(lambda: outbox(o, u["email"])[0] >= attempts)
    return u


def outbox(o, email, template="registration"):
    """(attempts, sent, failed, has token, last_error) of the user's one message of template."""
    rc, out, err = psql(f"SELECT attempts, sent_at IS NOT NULL, failed_at IS NOT NULL, "
                        f"payload ? 'token', coalesce(last_error, '') FROM gatehouse.outbox "
                        f"WHERE to_addr = '{email}' AND template = '{template}'", tenant=o.id)
    assert rc == 0, err
    if not out:
        return None
    assert "\n" not in out, f"more than one {template} message to {email}: {out}"
    a, s, f, t, e = out.split("|", 4)
    return int(a), s == "t", f == "t", t == "t", e


def decoded(m, name):
    """A header's text with its encoded-words decoded, without parsing it as addresses."""
    [raw] = [v for k, v in m.raw_items() if k.lower() == name.lower()]
    return str(email.header.make_header(email.header.decode_header(raw)))


def _pgctl(action):
    subprocess.run([str(ROOT / "dev"), "_pgctl", str(STATE), action], check=True, timeout=60)


def tls_pair(directory):
    """A self-signed certificate for 127.0.0.1 and its key."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


# --- what arrives ----------------------------------------------------------------

def test_an_invitation_is_a_proper_mime_message_from_the_org():
    o = Org()
    u = invite(o, first_name="Zoë", username=unique("zoe"))
    [m] = wait_mails(u["email"])
    rc, oid, _ = psql(f"SELECT id FROM gatehouse.outbox WHERE to_addr = '{u['email']}'", tenant=o.id)
    assert m["From"].addresses[0].display_name == o.name
    assert m["From"].addresses[0].addr_spec == "gatehouse@localhost"
    assert m["To"].addresses[0].addr_spec == u["email"]
    assert m["Subject"] == f"Your invitation to {o.name}"
    assert m["Message-ID"] == f"<gatehouse.{o.id}.{oid}@localhost>"
    assert m["Date"].datetime.tzinfo is not None
    assert m["Auto-Submitted"] == "auto-generated" and m["MIME-Version"] == "1.0"
    assert m.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in m.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in m.iter_parts())
    text, html = mail_text(m), m.get_body(preferencelist=("html",)).get_content()
    assert text.startswith("Hello Zoë,\n") and "Hello Zoë," in html
    path, token = mail_link(m, "/register")
    assert f'href="{URL}{path}"' in html
    assert re.search(r"expires on \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    # Sent at once; the raw token left the row with it.
    assert outbox(o, u["email"]) == (1, True, False, False, "")


def test_a_utf8_subject_is_encoded_and_a_name_cannot_inject_a_header():
    # An org's name is whatever the operator typed, line breaks included.
    name = f"Café Müller {unique('')}\r\nBcc: everyone@evil.example\r\nX-Evil: 1"
    ctl("org", "create", name)
    admin = f"{unique('a')}@example.com"
    ctl("user", "create", "--org", name, "--email", admin, "--level", "admin")
    key = ctl("key", "create", "--org", name, "--user", admin)[1]
    email = f"{unique('i')}@example.com"
    expect(request("POST", "/api/v1/users", key=key, json={"email": email, "invite": True}), 201)
    [m] = wait_mails(email)
    assert m["Bcc"] is None and m["X-Evil"] is None
    assert m.get_all("Delivered-To") == [f"<{email}>"]
    # The name comes back whole, line breaks and all, inside the one header.
    assert decoded(m, "Subject") == f"Your invitation to {name}"
    assert decoded(m, "From") == f"{name} <gatehouse@localhost>"
    # On the wire both are encoded-words: no byte outside ASCII, no line break of their own.
    [raw] = [f.read_bytes() for f in (STATE / "mail").glob("*.eml") if email.encode() in f.read_bytes()]
    head = raw.split(b"\r\n\r\n")[0]
    assert b"=?UTF-8?B?" in head and all(c < 0x80 for c in head)
    assert b"\nBcc" not in head and b"\nX-Evil" not in head


def test_invitation_end_to_end_the_link_activates_the_account_once():
    o = Org()
    u = invite(o)
    [m] = wait_mails(u["email"])
    path, token = mail_link(m, "/register")
    b = Browser()
    r = b.get(path)
    assert r.status == 200 and b"Set up your account" in r.body
    r = redeem(b, path, PW)
    assert r.status == 200 and b"Your account is ready" in r.body, r
    after = expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()
    assert after["status"] == "active" and after["confirmed_at"] and after["has_password"]
    rc, out, _ = psql(f"SELECT count(*) FILTER (WHERE used_at IS NULL) FROM gatehouse.tokens "
                      f"WHERE user_id = {u['id']}", tenant=o.id)
    assert (rc, out) == (0, "0"), "the token no longer works"
    again = b.get(path)
    assert again.status == 410 and b"already been used" in again.body
    r = b.post("/register", {"token": token, "csrf": b.cookies["gh_csrf"],
                             "password": PW + " again", "password_confirm": PW + " again"})
    assert r.status == 410 and b"already been used" in r.body
    # The account is active: a welcome, once.
    [w] = wait_mails(u["email"], template="Welcome")
    assert w["Subject"] == f"Welcome to {o.name}" and "is active" in mail_text(w)
    time.sleep(0.5)
    assert len(mails_to(u["email"])) == 2


def test_disabling_an_account_tells_its_owner():
    o = Org()
    u = expect(o.create(), 201).json()
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/disable"), 200)
    [m] = wait_mails(u["email"], template="disabled")
    assert m["Subject"] == f"Your {o.name} account has been disabled"
    assert "disabled by an administrator" in mail_text(m) and "http" not in mail_text(m)
    # Disabling again changes nothing and tells nobody twice.
    expect(o.call("POST", f"/api/v1/users/{u['uid']}/disable"), 200)
    time.sleep(0.5)
    assert len(mails_to(u["email"], template="disabled")) == 1


def test_the_sweep_tells_each_user_it_disables_why():
    o = Org()
    u = expect(o.create(), 201).json()
    expect(o.call("PATCH", "/api/v1/org", json={"inactivity_days": 30}), 200)
    update(f"UPDATE gatehouse.users SET created_at = now() - interval '40 days', "
           f"confirmed_at = now() - interval '40 days' WHERE id = {u['id']}", 1, role="owner")
    ctl("sweep")
    [m] = wait_mails(u["email"], template="disabled")
    assert "has not been used for a while" in mail_text(m)


# --- the mailer ------------------------------------------------------------------

def test_a_relay_outage_keeps_the_message_and_delivers_it_once_afterwards():
    o = Org()
    with stack_mailer_paused(), Sink(PORT_A) as sink, Mailer(PORT_A) as mailer:
        u = invite_while_down(o, sink, attempts=2)
        attempts, sent, failed, token, err = outbox(o, u["email"])
        assert not sent and not failed and token, "kept, with its link, for later"
        assert "connect" in err.lower(), err
        sink.start()
        [m] = wait_mails(u["email"], directory=sink.dir)
        time.sleep(2.5)             # past another retry, had one been due
        assert len(sink.to(u["email"])) == 1
        assert outbox(o, u["email"])[1:4] == (True, False, False)
        assert "attempt 1 failed" in mailer.log()
        mailer.stop()


def test_two_mailers_at_once_deliver_each_message_once():
    o = Org()
    p = unique("two")
    # A relay that takes 50 ms a message: each mailer has time to claim while the other sends.
    with stack_mailer_paused(), Sink(PORT_A, "--delay", "0.05") as sink:
        with Mailer(PORT_A) as a, Mailer(PORT_A) as b:
            body = [{"email": f"{p}{i}@example.com", "invite": True} for i in range(40)]
            expect(o.call("POST", "/api/v1/users/bulk", json=body), 201)
            wait_until(lambda: a.sent(o.id) + b.sent(o.id) >= 40, timeout=60)
            time.sleep(1)
            assert a.sent(o.id) + b.sent(o.id) == 40
            assert a.sent(o.id) > 0 and b.sent(o.id) > 0, "both mailers took messages"
            a.stop()
            b.stop()
        for i in range(40):
            assert len(sink.to(f"{p}{i}@example.com")) == 1, i
        rc, out, _ = psql("SELECT count(*) FROM gatehouse.outbox WHERE sent_at IS NOT NULL "
                          "AND attempts = 1 AND NOT payload ? 'token'", tenant=o.id)
        assert out == "40"


def test_a_mailer_that_dies_before_marking_sends_that_message_once_more_and_no_more():
    o = Org()
    # The relay has the message as soon as it wrote it, and says so 5 s later.
    with stack_mailer_paused(), Sink(PORT_A, "--delay", "5") as sink:
        with Mailer(PORT_A) as first:
            u = invite(o)
            wait_until(lambda: sink.to(u["email"]))
            first.proc.kill()           # before the relay's answer, so before the mark
            first.proc.wait(timeout=10)
        assert outbox(o, u["email"])[1] is False, "not marked sent"
        with Mailer(PORT_A) as second:
            wait_until(lambda: outbox(o, u["email"])[1], timeout=30)
            time.sleep(1.5)
            second.stop()
        copies = sink.to(u["email"])
        assert len(copies) == 2, "sent once more, and no more"
        assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
        assert copies[0].get_body(("plain",)).get_content() == \
            copies[1].get_body(("plain",)).get_content()
        assert outbox(o, u["email"])[1:4] == (True, False, False)


def test_a_database_restart_under_the_mailer_loses_nothing():
    o = Org()
    with stack_mailer_paused(), Sink(PORT_A) as sink, Mailer(PORT_A) as mailer:
        before = invite_while_down(o, sink, attempts=1)
        _pgctl("restart")
        sink.start()
        wait_until(lambda: get("/readyz").status == 200)
        after = invite(o)
        wait_mails(before["email"], directory=sink.dir)
        wait_mails(after["email"], directory=sink.dir)
        time.sleep(2)
        assert len(sink.to(before["email"])) == 1 and len(sink.to(after["email"])) == 1
        assert mailer.proc.poll() is None, "the mailer rode it out"
        assert "database" in mailer.log()
        mailer.stop()


def test_a_recipient_the_relay_refuses_fails_for_good_and_drops_the_token():
    o = Org()
    with stack_mailer_paused(), Sink(PORT_A, "--refuse", "@refused.example") as sink, \
            Mailer(PORT_A) as mailer:
        u = invite(o, email=f"{unique('r')}@refused.example")
        wait_until(lambda: outbox(o, u["email"])[2])
        attempts, sent, failed, token, err = outbox(o, u["email"])
        assert (attempts, sent, failed, token) == (1, False, True, False)
        assert "550" in err and "failed for good" in mailer.log()
        assert sink.to(u["email"]) == []
        mailer.stop()
    # The user is still invited; an admin can send a new invitation.
    assert expect(o.call("GET", f"/api/v1/users/{u['uid']}"), 200).json()["status"] == "pending"


def test_starttls_and_auth_when_the_relay_asks_for_them():
    o = Org()
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = tls_pair(tmp)
        with stack_mailer_paused(), Sink(PORT_A, "--tls-cert", cert, "--tls-key", key,
                                         "--require-starttls", "--auth", "relay:s3cret-pw") as sink:
            with Mailer(PORT_A, smtp_starttls="require", smtp_ca_file=cert,
                        smtp_user="relay", smtp_password="wrong-pw-zz") as wrong:
                u = invite(o)
                wait_until(lambda: outbox(o, u["email"])[0] >= 2)
                assert outbox(o, u["email"])[1:3] == (False, False), "refused AUTH is retried"
                wrong.stop()
                assert "wrong-pw-zz" not in wrong.log()
            with Mailer(PORT_A, smtp_starttls="require", smtp_ca_file=cert,
                        smtp_user="relay", smtp_password="s3cret-pw") as right:
                [m] = wait_mails(u["email"], directory=sink.dir)
                assert " with ESMTPSA;" in m["Received"], "over TLS, authenticated"
                right.stop()
                assert "s3cret-pw" not in right.log()


def test_starttls_required_sends_nothing_to_a_relay_without_it():
    o = Org()
    with stack_mailer_paused(), Sink(PORT_A) as sink, \
            Mailer(PORT_A, smtp_starttls="require") as mailer:
        u = invite(o)
        wait_until(lambda: outbox(o, u["email"])[0] >= 2)
        assert outbox(o, u["email"])[1:3] == (False, False)
        assert sink.to(u["email"]) == []
        mailer.stop()


def test_implicit_tls_on_an_smtps_relay():
    o = Org()
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = tls_pair(tmp)
        with stack_mailer_paused(), \
                Sink(PORT_B, "--tls-cert", cert, "--tls-key", key, "--implicit-tls") as sink, \
                Mailer(PORT_B, scheme="smtps", smtp_ca_file=cert) as mailer:
            u = invite(o)
            [m] = wait_mails(u["email"], directory=sink.dir)
            assert " with ESMTPS;" in m["Received"]
            mailer.stop()


def test_mailer_once_delivers_what_is_due_and_exits():
    o = Org()
    with stack_mailer_paused(), Sink(PORT_A) as sink:
        u = invite(o)
        env = dict(os.environ, GATEHOUSE_SMTP_URL=f"smtp://127.0.0.1:{PORT_A}",
                   GATEHOUSE_SMTP_STARTTLS="off", GATEHOUSE_SMTP_FROM="gatehouse@localhost",
                   GATEHOUSE_PUBLIC_URL=URL)
        p = subprocess.run([CTL, "mailer", "--once"], env=env, capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr
        assert re.fullmatch(r"sent=[1-9]\d* retried=0 failed=0", p.stdout.strip()), p.stdout
        assert len(sink.to(u["email"])) == 1


def test_the_mailer_refuses_a_bad_configuration_naming_the_key():
    base = dict(os.environ, GATEHOUSE_SMTP_URL="smtp://127.0.0.1:1", GATEHOUSE_SMTP_FROM="gh@localhost",
                GATEHOUSE_PUBLIC_URL=URL)
    cases = [("GATEHOUSE_PUBLIC_URL", "", "public_url"),
             ("GATEHOUSE_PUBLIC_URL", "https://gh.example/?x=1", "public_url"),
             ("GATEHOUSE_SMTP_FROM", "no reply@example.com", "smtp_from"),
             ("GATEHOUSE_SMTP_URL", "smtp://user:pw@relay.example", "smtp_url"),
             ("GATEHOUSE_SMTP_URL", "http://relay.example", "smtp_url"),
             ("GATEHOUSE_SMTP_STARTTLS", "maybe", "smtp_starttls"),
             ("GATEHOUSE_SMTP_TIMEOUT", "0", "smtp_timeout")]
    for var, value, key in cases:
        env = dict(base)
        env[var] = value
        if value == "":
            env.pop(var)
        p = subprocess.run([CTL, "mailer", "--once"], env=env, capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 2 and key in p.stderr, (var, value, p.returncode, p.stderr)
        assert "pw@" not in p.stderr or key == "smtp_url"


def test_the_stack_mailer_is_running_and_listening():
    pid = stack_mailer_pid()
    log = (STATE / "log" / "mailer.log").read_text()
    assert "mailer started: relay smtp://127.0.0.1:" in log, log[-500:]
    assert os.path.exists(f"/proc/{pid}")
