"""gh.py: helpers for API tests — HTTP calls, the operator CLI, psql, fixtures, delivered mail."""
import contextlib
import email
import email.policy
import http.client
import json as jsonlib
import os
import pathlib
import re
import signal
import subprocess
import time
import urllib.parse
import uuid

import fcgi

URL = os.environ.get("GATEHOUSE_URL", "http://127.0.0.1:18080")
ADMIN_KEY = os.environ.get("GATEHOUSE_ADMIN_KEY", "")
ROOT = pathlib.Path(os.environ.get("GH_ROOT", pathlib.Path(__file__).resolve().parents[2]))
STATE = pathlib.Path(os.environ.get("GH_STATE", ROOT / "var" / "test" / "api"))
BUILD = ROOT / os.environ.get("GH_BUILD", "build")   # build-asan: the sanitizer build
CTL = str(BUILD / "gatehousectl")
# The stack's SMTP server writes what it receives to STATE/mail; tests that run
# SMTP servers of their own use the two ports after it.
SMTP_PORT = int(os.environ.get("GH_SMTP_PORT", "18025"))
MAIL_DIR = STATE / "mail"
GATEHOUSE = str(BUILD / "gatehouse")

_host = urllib.parse.urlsplit(URL)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def json(self):
        return jsonlib.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def request(method, path, *, key=None, headers=None, body=None, json=None, form=None,
            content_type=None):
    """One HTTP request through nginx. key sends Authorization: Bearer."""
    h = dict(headers or {})
    if key is not None:
        h["Authorization"] = f"Bearer {key}"
    if json is not None:
        body = jsonlib.dumps(json).encode()
        h.setdefault("Content-Type", "application/json")
    elif form is not None:
        body = urllib.parse.urlencode(form, doseq=True).encode()
        h.setdefault("Content-Type", "application/x-www-form-urlencoded")
    if content_type is not None:
        h["Content-Type"] = content_type
    if isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection(_host.hostname, _host.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def get(path, **kw):
    return request("GET", path, **kw)


def post(path, **kw):
    return request("POST", path, **kw)


def expect(resp, status):
    assert resp.status == status, f"expected {status}, got {resp!r}"
    return resp


def ctl(*args, check=True):
    """Runs gatehousectl; returns (exit code, stdout, stderr)."""
    p = subprocess.run([CTL, *args], capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"gatehousectl {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def unique(prefix="t"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def make_org(tier=None):
    name = unique("org-")
    args = ["org", "create", name] + (["--tier", tier] if tier else [])
    _, out, _ = ctl(*args)
    return name, int(out)


def make_user(org, level="user", email=None):
    email = email or f"{unique('u')}@example.com"
    ctl("user", "create", "--org", org, "--email", email, "--level", level)
    return email


def split_key(key):
    """(public reference gh_<org>k<id>, secret); the secret may itself contain '_'."""
    m = re.fullmatch(r"(gh_\d+k\d+)_([A-Za-z0-9_-]{43})", key)
    assert m, f"not a key: {key!r}"
    return m.group(1), m.group(2)


def make_key(org, email, *extra):
    return ctl("key", "create", "--org", org, "--user", email, *extra)[1]


def psql(sql, role="app", tenant=None):
    """Runs SQL as the service role (app) or the owner, optionally as tenant; returns (rc, out, err)."""
    url = os.environ["GATEHOUSE_DATABASE_URL" if role == "app" else "GATEHOUSE_ADMIN_DATABASE_URL"]
    script = sql.rstrip().rstrip(";") + ";\n"
    if tenant is not None:
        script = f"BEGIN;\nSET LOCAL gatehouse.org_id = '{int(tenant)}';\n{script}COMMIT;\n"
    p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url],
                       input=script, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def update(sql, rows, role="app", tenant=None):
    """Runs one UPDATE and asserts it changed exactly `rows` rows: a test's setup
    that matched nothing (a typo, row-level security) must fail, not go on."""
    rc, out, err = psql(sql.rstrip().rstrip(";") + " RETURNING 1", role, tenant)
    assert rc == 0, err
    changed = len(out.split())
    assert changed == rows, f"setup changed {changed} row(s), not {rows}: {sql}"


def once(make):
    """A fixture made by make() on first use and shared by the tests of a module after."""
    made = []

    def get():
        if not made:
            made.append(make())
        return made[0]
    return get


def wait_until(fn, timeout=15.0, interval=0.1):
    """Polls fn until it returns truthy; returns its value or raises."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # the condition may raise while the system recovers
            last = e
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


def pgctl(action):
    """Stops, starts or restarts the test stack's PostgreSQL."""
    subprocess.run([str(ROOT / "dev"), "_pgctl", str(STATE), action], check=True, timeout=60)


def own_server(tmp, *args, env=None, unset=()):
    """`gatehouse serve` of the build under test on a socket in tmp, with env
    added to ours and the names in unset taken out; the caller stops it.
    Returns (process, socket path)."""
    sock = os.path.join(tmp, "gh.sock")
    env = dict(os.environ, GATEHOUSE_SOCKET=sock, GATEHOUSE_SOCKET_MODE="600", **(env or {}))
    for name in unset:
        env.pop(name, None)
    log = open(os.path.join(tmp, "log"), "wb")
    p = subprocess.Popen([GATEHOUSE, "serve", *args], env=env, stdout=log, stderr=log)
    wait_until(lambda: os.path.exists(sock) and fcgi.get(sock, "/healthz")[0] == 200)
    return p, sock


def _is_gatehouse(pid):
    try:
        return b"gatehouse" in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def master_pid():
    """The test stack's master. A stale pid file could name anyone's process by
    now, and the tests signal it and its children: check it is gatehouse."""
    path = STATE / "run" / "gatehouse.pid"
    pid = int(path.read_text())
    assert _is_gatehouse(pid), f"{path} names pid {pid}, which is not gatehouse"
    return pid


def kill_worker(pid, sig=signal.SIGKILL):
    """Kills a worker of the test stack on purpose. ./dev fails a tier for every
    worker that died by a signal, except those recorded here."""
    assert _is_gatehouse(pid), f"pid {pid} is not a gatehouse worker"
    with open(STATE / "log" / "expected-deaths", "a") as f:
        f.write(f"{pid} {int(sig)}\n")
    os.kill(pid, sig)


def children(pid):
    """Child pids of pid, from /proc."""
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(d.name))
    return sorted(out)


def serve(directory, *args, env=None, drop=()):
    """Starts a `gatehouse serve` of its own on a socket in directory (its log
    beside it), against the test stack's database, with env added to and the
    variables in drop taken from the environment; returns (process, socket)
    once it answers. Stop it with stop()."""
    sock = os.path.join(directory, "gh.sock")
    e = dict(os.environ, GATEHOUSE_SOCKET=sock, GATEHOUSE_SOCKET_MODE="600", **(env or {}))
    for name in drop:
        e.pop(name, None)
    with open(os.path.join(directory, "log"), "ab") as log:
        p = subprocess.Popen([GATEHOUSE, "serve", *args], env=e, stdout=log, stderr=log)
    wait_until(lambda: os.path.exists(sock) and fcgi.get(sock, "/healthz")[0] == 200)
    return p, sock


def stop(p):
    """Stops a server serve() started: SIGTERM, and waits for its drain."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)


def job_runner(pid):
    """The job runner among pid's children (it names itself gh-jobs), or None."""
    for c in children(pid):
        try:
            if pathlib.Path(f"/proc/{c}/comm").read_text().strip() == "gh-jobs":
                return c
        except OSError:
            pass
    return None


def workers(pid):
    """The FastCGI workers among pid's children: every child but its job runner."""
    runner = job_runner(pid)
    return [c for c in children(pid) if c != runner]


# --- delivered mail -----------------------------------------------------------

def mails(directory=MAIL_DIR):
    """Every message delivered as a file into directory, parsed, oldest first."""
    out = []
    for f in sorted(pathlib.Path(directory).glob("*.eml"), key=lambda p: p.name):
        with open(f, "rb") as fh:
            out.append(email.message_from_binary_file(fh, policy=email.policy.default))
    return out


def mails_to(addr, directory=MAIL_DIR, template=None):
    """The messages delivered to addr (its envelope recipient), optionally only one kind."""
    found = [m for m in mails(directory) if m.get_all("Delivered-To") == [f"<{addr}>"]]
    if template is not None:
        found = [m for m in found if template in str(m["Subject"])]
    return found


def wait_mails(addr, n=1, directory=MAIL_DIR, template=None, timeout=20.0):
    """Waits until at least n messages reached addr and returns them."""
    return wait_until(lambda: (lambda ms: ms if len(ms) >= n else None)(
        mails_to(addr, directory, template)), timeout=timeout)


def mail_text(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


def mail_link(msg, page):
    """The link to page ("/register", "/reset") in a message's text part, as (path?query, token)."""
    m = re.search(r"https?://[^/\s]+(" + re.escape(page) + r"\?token=(gt_[A-Za-z0-9_-]+))",
                  mail_text(msg))
    assert m, f"no {page} link in: {mail_text(msg)!r}"
    return m.group(1), m.group(2)


def stack_mailer_pid():
    """The test stack's mailer; checked to be one, as its pid file could be stale."""
    pid = int((STATE / "run" / "mailer.pid").read_text())
    cmd = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert cmd[0].endswith(b"gatehousectl") and cmd[1] == b"mailer", cmd
    return pid


@contextlib.contextmanager
def stack_mailer_paused():
    """Holds the stack's mailer still (SIGSTOP) so that only a test's own mailers
    take messages; it carries on (SIGCONT) where it stopped."""
    pid = stack_mailer_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)
