"""test_totp_at_rest.py: TOTP secrets sealed at rest (src/core/totp_secret.c; docs/signin.md,
"At rest") — the row is not the secret, a sealed secret moved to another user does not open,
rows from before sealing still sign in and end up sealed, key rotation, and the checks of the
key file at start.

The key id is computed here from the key file, independently of the C code: a blob's first
nine bytes are the version (1) and SHA-256("gatehouse seal key id\\0" || key)[:8].
"""
import base64
import hashlib
import os
import re
import subprocess
import tempfile
import urllib.parse

import fcgi
from browser import Browser, hidden
from gh import GATEHOUSE, Response, psql, serve, stop, update, wait_until
from test_signin import csrf, enrol, oathtool, page, sign_in, signed_in, sql, user
from test_users import PW, Org

KEY_FILE = os.environ.get("GATEHOUSE_SECRET_KEY_FILE", "")
OVERHEAD = 1 + 8 + 12 + 16   # version, key id, nonce, tag


def key_bytes(path):
    data = open(path, "rb").read()
    return data if len(data) == 32 else base64.b64decode(data.strip())


def head(raw_key):
    return b"\x01" + hashlib.sha256(b"gatehouse seal key id\x00" + raw_key).digest()[:8]


def secret_of(key_b32):
    return base64.b32decode(key_b32 + "=" * (-len(key_b32) % 8))


def row(o, u):
    """(plain, sealed) of the user's row, each bytes or None."""
    out = sql(o, f"SELECT coalesce(encode(secret, 'hex'), '-') || '|' || "
                 f"coalesce(encode(sealed, 'hex'), '-') FROM gatehouse.totp_credentials "
                 f"WHERE user_id = {u['id']}")
    plain, sealed = out.split("|")
    return (None if plain == "-" else bytes.fromhex(plain),
            None if sealed == "-" else bytes.fromhex(sealed))


def make_plain(o, u, secret):
    """The row as it was before sealing: the secret in the clear."""
    update(f"UPDATE gatehouse.totp_credentials SET secret = decode('{secret.hex()}', 'hex'), "
           f"sealed = NULL WHERE user_id = {u['id']}", 1, tenant=o.id)


def forget_steps(o, u):
    """Lets a code of now be used again, so that a refusal can only mean the secret did not open."""
    update(f"UPDATE gatehouse.totp_credentials SET last_step = 0 WHERE user_id = {u['id']}",
           1, tenant=o.id)


def code_step(o, u, b=None):
    b, r = sign_in(o, u, b=b)
    assert r.status == 303 and r.headers["location"] == "/login/totp", r
    return b


def key_file(directory, raw):
    path = os.path.join(directory, "new.key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, raw)
    os.close(fd)
    return path


class Direct(Browser):
    """A browser whose requests go over FastCGI to a server of a test's own, not through nginx."""

    def __init__(self, sock):
        super().__init__()
        self.sock = sock

    def exchange(self, method, path, form, headers):
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        params = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        if form is not None:
            params["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        return Response(*fcgi.request(self.sock, method, path, body, params))


def test_the_row_holds_the_secret_sealed_not_the_secret():
    o = Org()
    u = user(o)
    key, _ = enrol(signed_in(o, u))
    secret = secret_of(key)
    plain, sealed = row(o, u)
    assert plain is None, "no plain copy beside the sealed one"
    assert sealed != secret and len(sealed) == len(secret) + OVERHEAD
    assert sealed[:9] == head(key_bytes(KEY_FILE)), "version and the stack's key id lead the blob"
    assert secret not in sealed and secret[:8] not in sealed
    # The secret shown is the one sealed: its codes sign in.
    b = code_step(o, u)
    r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, "now + 30 seconds")})
    assert r.status == 303 and r.headers["location"] == "/account", r


def test_a_sealed_secret_moved_to_another_user_does_not_open():
    o = Org()
    a, v = user(o), user(o)
    key_a, _ = enrol(signed_in(o, a))
    key_v, codes_v = enrol(signed_in(o, v))
    update(f"UPDATE gatehouse.totp_credentials SET sealed = (SELECT sealed FROM "
           f"gatehouse.totp_credentials WHERE user_id = {a['id']}) WHERE user_id = {v['id']}",
           1, tenant=o.id)
    b = code_step(o, v)
    wrong = b.post("/login/totp", {"csrf": csrf(b), "code": "000000"})
    assert wrong.status == 401 and "Wrong code" in page(wrong, 401)
    # Neither the owner's codes nor the victim's own open it: the same answer, never a 500.
    for key in (key_a, key_v):
        r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, "now + 30 seconds")})
        assert r.status == 401 and r.body == wrong.body, r
    # The row is left as it was (nothing to seal again), and the way out still works.
    assert row(o, v)[1] == row(o, a)[1]
    r = b.post("/login/totp", {"csrf": csrf(b), "code": codes_v[0]})
    assert r.status == 303 and r.headers["location"] == "/account", r
    # The owner of the blob is not affected.
    b = code_step(o, a)
    r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key_a, "now + 30 seconds")})
    assert r.status == 303, r


def shown_key(b):
    r = b.get("/login/enrol")
    return re.search(r"Key: <code>([A-Z2-7]+)</code>", page(r, 200)).group(1)


def test_a_waiting_secret_that_no_longer_opens_is_replaced_when_shown_again():
    o = Org()
    a, v = user(o), user(o)
    enrol(signed_in(o, a))
    b = signed_in(o, v)
    first = shown_key(b)
    assert shown_key(b) == first, "a page shown twice shows the same secret"
    update(f"UPDATE gatehouse.totp_credentials SET sealed = (SELECT sealed FROM "
           f"gatehouse.totp_credentials WHERE user_id = {a['id']}) WHERE user_id = {v['id']}",
           1, tenant=o.id)
    again = shown_key(b)
    assert again != first
    assert row(o, v)[1] != row(o, a)[1]
    r = b.post("/login/enrol", {"csrf": csrf(b), "code": oathtool(again)})
    assert r.status == 200 and "<code>" in page(r, 200), r


def test_a_plain_row_from_before_sealing_signs_in_and_ends_up_sealed():
    o = Org()
    u = user(o)
    key, _ = enrol(signed_in(o, u))
    secret = secret_of(key)
    make_plain(o, u, secret)
    assert row(o, u) == (secret, None)
    b = code_step(o, u)
    r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, "now + 30 seconds")})
    assert r.status == 303 and r.headers["location"] == "/account", r
    plain, sealed = row(o, u)
    assert plain is None and sealed[:9] == head(key_bytes(KEY_FILE))
    assert len(sealed) == len(secret) + OVERHEAD and secret not in sealed
    # And what was sealed opens: a code signs in again (the replay guard set back to allow it).
    forget_steps(o, u)
    b = code_step(o, u)
    r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key)})
    assert r.status == 303, r


def test_a_server_start_seals_every_plain_row_of_every_org_without_a_sign_in():
    orgs = [Org(), Org()]
    people = []
    for o in orgs:
        u = user(o)
        key, _ = enrol(signed_in(o, u))
        make_plain(o, u, secret_of(key))
        people.append((o, u, key))
    with tempfile.TemporaryDirectory() as tmp:
        p, _ = serve(tmp, "--workers", "1")
        try:
            # Its job runner seals them as it starts.
            wait_until(lambda: all(row(o, u)[0] is None for o, u, _ in people), timeout=30)
        finally:
            stop(p)
        log = open(os.path.join(tmp, "log")).read()
    assert "sealed" in log and "TOTP secret(s) under key " + head(key_bytes(KEY_FILE))[1:].hex() in log
    for o, u, key in people:
        assert row(o, u)[1][:9] == head(key_bytes(KEY_FILE))
        assert key not in log and secret_of(key).hex() not in log, "no secret in the log"
        b = code_step(o, u)
        r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, "now + 30 seconds")})
        assert r.status == 303, r


def _rows_under(h):
    """Rows of every org sealed under the key with head h (as the owner, which row security spares)."""
    rc, out, err = psql(f"SELECT count(*) FROM gatehouse.totp_credentials "
                        f"WHERE substring(sealed FROM 1 FOR 9) = decode('{h.hex()}', 'hex')", role="owner")
    assert rc == 0, err
    return int(out)


def test_a_rotated_key_opens_old_secrets_and_they_are_sealed_again_under_the_new_one():
    o = Org()
    u = user(o)
    key, codes = enrol(signed_in(o, u))
    old = key_bytes(KEY_FILE)
    new = os.urandom(32)
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as back:
        new_file = key_file(tmp, new)
        p, sock = serve(tmp, "--workers", "1", env={"GATEHOUSE_SECRET_KEY_FILE": new_file,
                                                      "GATEHOUSE_SECRET_KEY_OLD_FILE": KEY_FILE})
        try:
            wait_until(lambda: row(o, u)[1][:9] == head(new), timeout=30)
            # Signs in through the rotated server: the secret opens under the new key.
            b = Direct(sock)
            form = b.get(f"/login?org={urllib.parse.quote(o.name)}")
            r = b.post("/login", {"csrf": hidden(form.body, "csrf"), "org": o.name,
                                  "login": u["username"], "password": PW})
            assert r.status == 303 and r.headers["location"] == "/login/totp", r
            r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key, "now + 30 seconds")})
            assert r.status == 303 and r.headers["location"] == "/account", r
        finally:
            stop(p)
        # The stack, which has only the key rotated out, cannot open it: a wrong code, not a 500.
        forget_steps(o, u)
        b = code_step(o, u)
        r = b.post("/login/totp", {"csrf": csrf(b), "code": oathtool(key)})
        assert r.status == 401 and "Wrong code" in page(r, 401)
        # Rotated back for the tests after this one: the stack's key current, the new one old.
        p, _ = serve(back, "--workers", "1", env={"GATEHOUSE_SECRET_KEY_FILE": KEY_FILE,
                                                   "GATEHOUSE_SECRET_KEY_OLD_FILE": new_file})
        try:
            wait_until(lambda: _rows_under(head(new)) == 0, timeout=30)
        finally:
            stop(p)
    assert row(o, u)[1][:9] == head(old)
    r = b.post("/login/totp", {"csrf": csrf(b), "code": codes[0]})
    assert r.status == 303, r


def _start(env):
    """gatehouse serve with env, expected to refuse to start; its stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "gh.sock")
        e = dict(os.environ, GATEHOUSE_SOCKET=sock, **env)
        for k in [k for k, v in e.items() if v is None]:
            del e[k]
        p = subprocess.run([GATEHOUSE, "serve", "--workers", "1"], env=e, capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert not os.path.exists(sock), "refused before it listened"
        return p.stderr


def test_gatehouse_refuses_to_start_without_a_private_key_of_the_right_length():
    good = open(KEY_FILE, "rb").read()
    with tempfile.TemporaryDirectory() as tmp:
        def write(name, data, mode):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, mode)
            return path

        shared = write("shared.key", good, 0o640)
        short = write("short.key", os.urandom(31), 0o600)
        text = write("text.key", b"not a key at all\n", 0o600)
        cases = [
            ({"GATEHOUSE_SECRET_KEY_FILE": None}, "secret_key_file is not set"),
            ({"GATEHOUSE_SECRET_KEY_FILE": os.path.join(tmp, "none.key")}, "none.key: No such file"),
            ({"GATEHOUSE_SECRET_KEY_FILE": shared}, "shared.key: mode 640 lets others read it"),
            ({"GATEHOUSE_SECRET_KEY_FILE": short}, "short.key: expected 32 random bytes"),
            ({"GATEHOUSE_SECRET_KEY_FILE": text}, "text.key: expected 32 random bytes"),
            ({"GATEHOUSE_SECRET_KEY_OLD_FILE": shared}, "shared.key: mode 640"),
        ]
        for env, says in cases:
            err = _start(env)
            assert says in err, (env, err)
            assert good.strip().decode() not in err, "the key is never shown"
